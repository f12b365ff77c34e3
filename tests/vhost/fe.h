/* SPDX-License-Identifier: MIT */
/*
 * fe.h - a small vhost-user frontend for tests: memfd guest memory, split
 * rings, the messages a VMM sends, and a driver's view of the rings
 * (transmit chains, posted receive buffers, used entries).
 *
 * Guest physical addresses start at FE_GPA_BASE while the frontend's own
 * addresses (ring addresses in SET_VRING_ADDR) are where the memfd is
 * mapped here, so a backend that mixes the two up fails.
 */
#ifndef VTAP_TEST_FE_H
#define VTAP_TEST_FE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vring.h"
#include "vu_msg.h"

#define FE_GPA_BASE 0x40000000ull
#define FE_MEM_SIZE (64u << 20)
/* The second region (fe.region2_from), not adjacent to the first. */
#define FE_GPA2_BASE (FE_GPA_BASE + 2ull * FE_MEM_SIZE)
#define FE_PAIRS_MAX 4

struct fe_vq {
	unsigned int index;
	unsigned int num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx; /* next index the driver publishes */
	uint16_t last_used; /* used entries consumed */
	int kick;
	int call;
	int err;
	/* Buffers: one per descriptor slot, buf_size each. */
	uint8_t *bufs;
	uint32_t buf_size;
};

struct fe {
	int sock;
	int memfd;
	uint8_t *mem;
	size_t alloc;
	/*
	 * Set between fe_connect() and fe_start(): the rings and buffers of
	 * pairs from this one on live in a second region with its own memfd
	 * (0: one region for everything).
	 */
	unsigned int region2_from;
	/* With region2_from: only their buffers go there, the rings not. */
	bool region2_bufs;
	int memfd2;
	uint8_t *mem2;
	size_t alloc2;
	uint64_t features; /* negotiated */
	uint64_t offered;
	uint64_t proto;
	unsigned int pairs;
	unsigned int hdr_len;
	/* fe_make_avail() publishes without kicking while set (a batch of
	 * fe_tx() calls, then one fe_kick()). */
	bool hold_kick;
	struct fe_vq vq[2 * FE_PAIRS_MAX];
};

/* Guest physical address of a pointer into guest memory. */
uint64_t fe_gpa(const struct fe *f, const void *p);
/* Bump-allocate zeroed guest memory (in region 0, or 1). */
void *fe_alloc(struct fe *f, size_t size, size_t align);
void *fe_alloc_in(struct fe *f, int region, size_t size, size_t align);

/* Connect to a listening backend (retries for up to 5 s). */
int fe_connect(struct fe *f, const char *path);
/* Use an accepted socket (--client mode backends). */
int fe_attach(struct fe *f, int sock);
void fe_close(struct fe *f);

/*
 * Send a message; with @reply, wait for the reply's u64 (or the ack
 * with REPLY_ACK and VU_FLAG_NEED_REPLY in @flags) into @ret.
 * Return: 0, or -1 (socket error or a reply of the wrong request).
 */
int fe_msg(struct fe *f, uint32_t req, uint32_t flags, const void *payload,
	   uint32_t size, const int *fds, unsigned int nfds, bool reply,
	   uint64_t *ret);
int fe_get_u64(struct fe *f, uint32_t req, uint64_t *ret);
int fe_set_u64(struct fe *f, uint32_t req, uint64_t v);

/*
 * QEMU's order: GET_FEATURES, GET_PROTOCOL_FEATURES,
 * SET_PROTOCOL_FEATURES (MQ, REPLY_ACK), GET_QUEUE_NUM, SET_OWNER,
 * SET_FEATURES (@want & offered), SET_MEM_TABLE. Then the rings of
 * @pairs queue pairs with @num entries, enabled.
 */
int fe_start(struct fe *f, uint64_t want, unsigned int pairs, unsigned int num);
/* SET_VRING_NUM/ADDR/BASE/KICK/CALL/ERR for one ring (fresh rings). */
int fe_setup_vq(struct fe *f, unsigned int index, unsigned int num,
		uint32_t buf_size);
/* Stop a ring (GET_VRING_BASE) and set it up again. */
int fe_restart_vq(struct fe *f, unsigned int index);
int fe_enable(struct fe *f, unsigned int index, bool on);

/* Make head @head available on ring @index and kick. */
void fe_make_avail(struct fe *f, unsigned int index, uint16_t head);
void fe_kick(struct fe *f, unsigned int index);

/*
 * Transmit a frame on pair @pair: header (@hdr, hdr_len bytes, zeros when
 * NULL) then @frame. @layout: 0 one descriptor; 1 header and frame in
 * two chained descriptors, the frame split in 3; 2 the same through an
 * indirect table. Return: the head used.
 */
int fe_tx(struct fe *f, unsigned int pair, const void *hdr, const void *frame,
	  size_t len, int layout);
/* Wait until every transmitted chain came back; 0 or -1 on timeout. */
int fe_tx_wait(struct fe *f, unsigned int pair, int timeout_ms);

/* Post @n receive buffers (descriptors 0..n-1) on pair @pair. */
void fe_rx_post(struct fe *f, unsigned int pair, unsigned int n);
/*
 * Receive one frame: header (hdr_len bytes) then frame into @out.
 * Return: bytes, 0 on timeout, -1 on error; @ret_nbufs the chains used.
 */
int fe_rx(struct fe *f, unsigned int pair, uint8_t *out, size_t cap,
	  unsigned int *ret_nbufs, int timeout_ms);

#endif /* VTAP_TEST_FE_H */
