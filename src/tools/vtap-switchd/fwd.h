/* SPDX-License-Identifier: MIT */
/*
 * fwd.h - the switch's forwarding decision and VLAN tag edits
 *
 * Pure code: given the ingress port and a frame, learn its source and say
 * which ports get it, tagged or untagged. No syscalls, no allocation.
 */
#ifndef VTAP_SWITCHD_FWD_H
#define VTAP_SWITCHD_FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "mac.h"

/**
 * struct sw_fwd_port - what forwarding needs to know about a port
 * @mode: enum sw_vlan_mode
 * @vid: ACCESS: the VLAN; TRUNK: the native VLAN (0 = none)
 * @allowed: TRUNK: bitmap of allowed VLANs (4096 bits)
 */
struct sw_fwd_port {
	uint8_t mode;
	uint16_t vid;
	const uint64_t *allowed;
};

enum sw_fwd_verdict {
	SW_FWD_OK = 0, /* send to the ports in the masks (maybe none) */
	SW_FWD_SHORT, /* shorter than an Ethernet header: bad frame */
	SW_FWD_VLAN, /* VLAN not allowed on the ingress port */
	SW_FWD_FILTERED, /* destination is on the ingress port */
	SW_FWD__COUNT,
};

/**
 * struct sw_fwd_result - the decision for one frame
 * @verdict: enum sw_fwd_verdict
 * @vid: the frame's VLAN inside the switch
 * @in_tagged: the frame arrived with an 802.1Q tag
 * @flooded: destination unknown, broadcast or multicast
 * @untagged: ports that get the frame without a tag
 * @tagged: ports that get it with an 802.1Q tag for @vid
 */
struct sw_fwd_result {
	uint8_t verdict;
	uint16_t vid;
	bool in_tagged;
	bool flooded;
	uint64_t untagged;
	uint64_t tagged;
};

/**
 * sw_fwd__decide() - learn the source and choose the egress ports
 * @mac: MAC table (learned into)
 * @ports: SW_PORTS_MAX entries, indexed by port number
 * @present: bitmap of the ports that exist
 * @in_port: ingress port number
 * @frame: the frame, starting at the Ethernet header
 * @len: its length
 * @now_ms: current time for learning and aging
 * @ret: the decision
 */
void sw_fwd__decide(struct sw_mac_table *mac, const struct sw_fwd_port *ports,
		    uint64_t present, unsigned int in_port,
		    const uint8_t *frame, size_t len, uint64_t now_ms,
		    struct sw_fwd_result *ret);

/*
 * Remove the 802.1Q tag of the frame after a @hdr_size-byte vnet header at
 * *@pkt (*@len bytes in all); the packet then starts 4 bytes later. The
 * header's csum_start and hdr_len follow the move.
 */
void sw_frame_pop_tag(uint8_t **pkt, size_t *len, size_t hdr_size);

/*
 * Insert an 802.1Q tag for @vid; the packet then starts 4 bytes earlier,
 * so the caller must own 4 bytes of headroom before *@pkt.
 */
void sw_frame_push_tag(uint8_t **pkt, size_t *len, size_t hdr_size,
		       uint16_t vid);

#endif /* VTAP_SWITCHD_FWD_H */
