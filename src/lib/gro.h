/* SPDX-License-Identifier: MIT */
/*
 * gro.h - the coalescer behind vtap_queue__set_gro() (not installed)
 *
 * Pure: no syscalls, no allocation. The queue's send path parses each
 * frame once (vtap_gro_parse()), grows a run of consecutive frames with
 * vtap_gro_add() and, for a run of two or more, writes the merged frame
 * with vtap_gro_build() into its scratch buffer. Tests and the fuzz target
 * drive the same functions.
 */
#ifndef VTAP_GRO_H
#define VTAP_GRO_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* vtap_gro_parse(): the frame may start or join a run. */
#define VTAP_GRO_CANDIDATE (-1)
/* vtap_gro_parse(): not TCP/UDP of a coalesced type; not counted. */
#define VTAP_GRO_OTHER (-2)

/**
 * struct vtap_gro_cfg - what a queue coalesces
 * @types: VTAP_GRO_TCP, VTAP_GRO_UDP
 * @hdr_len: vnet header in front of every frame (10, 12 or 20)
 * @pflags: enum vtap_pkt_flags (VTAP_PKT_L3 for TUN)
 * @max_segs: segments per run, 2..VTAP_GRO_SEGS_MAX
 */
struct vtap_gro_cfg {
	uint32_t types;
	unsigned int hdr_len;
	unsigned int pflags;
	unsigned int max_segs;
};

/**
 * struct vtap_gro_seg - one frame, as the coalescer sees it
 * @frame: the bytes after the vnet header
 * @len: their number
 * @l3: VTAP_PKT_L3_IPV4 or _IPV6
 * @l4: VTAP_PKT_L4_TCP or _UDP
 * @l3_off: IP header
 * @l4_off: TCP/UDP header
 * @hdrs_len: @l4_off plus the TCP header (options included) or 8
 * @tcp_flags: byte 13 of the TCP header
 * @ip_id: IPv4 identification
 * @seq: TCP sequence number
 * @payload: bytes after @hdrs_len
 */
struct vtap_gro_seg {
	const uint8_t *frame;
	size_t len;
	uint8_t l3;
	uint8_t l4;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t hdrs_len;
	uint8_t tcp_flags;
	uint16_t ip_id;
	uint32_t seq;
	size_t payload;
};

/**
 * struct vtap_gro_run - consecutive frames that merge into one
 * @first: the first segment (its headers lead the merged frame)
 * @last: the latest segment added
 * @n: segments in the run
 * @len: length of the merged frame (after the vnet header)
 * @closed: the last segment ends the run (PSH, or shorter than @first)
 */
struct vtap_gro_run {
	struct vtap_gro_seg first;
	struct vtap_gro_seg last;
	unsigned int n;
	size_t len;
	bool closed;
};

/*
 * Parse the frame in @buf (@len bytes, vnet header included) into @ret.
 * Return: VTAP_GRO_CANDIDATE when it may be merged (@ret filled),
 * VTAP_GRO_OTHER when it is not TCP/UDP of a type in @cfg, else the enum
 * vtap_gro_reason it must be written as it is.
 */
int vtap_gro_parse(const struct vtap_gro_cfg *cfg, const void *buf, size_t len,
		   struct vtap_gro_seg *ret);

/* Start @run with a candidate @s. */
void vtap_gro_start(struct vtap_gro_run *run, const struct vtap_gro_seg *s);

/*
 * Add candidate @s to @run. Return: VTAP_GRO_CANDIDATE when added, else
 * the enum vtap_gro_reason it is not (@run unchanged).
 */
int vtap_gro_add(const struct vtap_gro_cfg *cfg, struct vtap_gro_run *run,
		 const struct vtap_gro_seg *s);

/*
 * Write the vnet header and the headers of @run's merged frame (the first
 * segment's, with lengths, checksums and flags of the whole) into @buf:
 * what goes in front of the payloads, which follow from each frame as it
 * is (the queue writes them with writev(), without copying).
 * Return: the length written (@cfg->hdr_len + the first segment's
 * hdrs_len), or 0 when @size is short.
 */
size_t vtap_gro_build_headers(const struct vtap_gro_cfg *cfg,
			      const struct vtap_gro_run *run, void *buf,
			      size_t size);

/*
 * Write the merged frame of @run, whose @run->n frames are @frames (as
 * parsed into the run, vnet header included), with a new vnet header
 * (@cfg->hdr_len bytes) into @buf.
 * Return: the length written (header included), or 0 when @size is short.
 */
size_t vtap_gro_build(const struct vtap_gro_cfg *cfg,
		      const struct vtap_gro_run *run,
		      const struct vtap_frame *frames, void *buf, size_t size);

#endif /* VTAP_GRO_H */
