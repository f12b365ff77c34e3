// SPDX-License-Identifier: MIT
/*
 * fwd.c - the switch's forwarding decision and VLAN tag edits
 *
 * VLANs follow the usual switch model: an access port carries one VLAN
 * untagged (tagged frames arriving there are dropped); a trunk port carries
 * its allowed VLANs tagged and, optionally, a native VLAN untagged. A
 * priority tag (VID 0) counts as untagged. The MAC table is keyed by
 * (VLAN, address), so the same address may live on different ports in
 * different VLANs.
 */
#include <string.h>

#include "fwd.h"

#define ETH_HLEN 14
#define ETH_P_8021Q 0x8100
#define VNET_F_NEEDS_CSUM 1

static bool allowed(const struct sw_fwd_port *p, uint16_t vid)
{
	return p->allowed && vid && vid <= SW_VID_MAX &&
	       (p->allowed[vid / 64] >> (vid % 64)) & 1;
}

/*
 * Whether port @p carries VLAN @vid; *@tag says if it wants it tagged.
 */
static bool carries(const struct sw_fwd_port *p, uint16_t vid, bool *tag)
{
	if (p->mode == SW_VLAN_ACCESS) {
		*tag = false;
		return p->vid == vid;
	}
	if (p->vid && p->vid == vid) {
		*tag = false;
		return true;
	}
	*tag = true;
	return allowed(p, vid);
}

static void add_port(struct sw_fwd_result *r, unsigned int port, bool tag)
{
	if (tag)
		r->tagged |= 1ull << port;
	else
		r->untagged |= 1ull << port;
}

void sw_fwd__decide(struct sw_mac_table *mac, const struct sw_fwd_port *ports,
		    uint64_t present, unsigned int in_port,
		    const uint8_t *frame, size_t len, uint64_t now_ms,
		    struct sw_fwd_result *r)
{
	const struct sw_fwd_port *in = &ports[in_port];
	uint16_t vid = 0;
	bool tag;
	int dst;

	memset(r, 0, sizeof(*r));
	if (len < ETH_HLEN) {
		r->verdict = SW_FWD_SHORT;
		return;
	}
	if ((frame[12] << 8 | frame[13]) == ETH_P_8021Q) {
		if (len < ETH_HLEN + 4) {
			r->verdict = SW_FWD_SHORT;
			return;
		}
		vid = (uint16_t)((frame[14] << 8 | frame[15]) & 0xfff);
		r->in_tagged = vid != 0;
	}
	if (in->mode == SW_VLAN_ACCESS) {
		if (r->in_tagged) {
			r->verdict = SW_FWD_VLAN;
			return;
		}
		vid = in->vid;
	} else if (r->in_tagged) {
		if (!allowed(in, vid) || vid == in->vid) {
			r->verdict = SW_FWD_VLAN;
			return;
		}
	} else {
		if (!in->vid) {
			r->verdict = SW_FWD_VLAN;
			return;
		}
		vid = in->vid;
	}
	r->vid = vid;

	/* Learn the source unless it is a group address (never a station). */
	if (!(frame[6] & 1))
		sw_mac__learn(mac, frame + 6, vid, (uint16_t)in_port, now_ms);

	if (!(frame[0] & 1)) {
		dst = sw_mac__lookup(mac, frame, vid, now_ms);
		if (dst == (int)in_port) {
			r->verdict = SW_FWD_FILTERED;
			return;
		}
		if (dst >= 0 && dst < SW_PORTS_MAX && (present >> dst) & 1 &&
		    carries(&ports[dst], vid, &tag)) {
			add_port(r, (unsigned int)dst, tag);
			return;
		}
	}
	r->flooded = true;
	for (unsigned int p = 0; p < SW_PORTS_MAX; p++) {
		if (p == in_port || !((present >> p) & 1))
			continue;
		if (carries(&ports[p], vid, &tag))
			add_port(r, p, tag);
	}
}

static void hdr_shift(uint8_t *hdr, int delta)
{
	uint16_t v;

	if (hdr[0] & VNET_F_NEEDS_CSUM) {
		v = (uint16_t)(hdr[6] | hdr[7] << 8);
		v = (uint16_t)(v + delta);
		hdr[6] = (uint8_t)v;
		hdr[7] = (uint8_t)(v >> 8);
	}
	v = (uint16_t)(hdr[2] | hdr[3] << 8);
	if (v) {
		v = (uint16_t)(v + delta);
		hdr[2] = (uint8_t)v;
		hdr[3] = (uint8_t)(v >> 8);
	}
}

void sw_frame_pop_tag(uint8_t **pkt, size_t *len, size_t hdr_size)
{
	uint8_t *p = *pkt;

	memmove(p + 4, p, hdr_size + 12);
	p += 4;
	if (hdr_size >= 10)
		hdr_shift(p, -4);
	*pkt = p;
	*len -= 4;
}

void sw_frame_push_tag(uint8_t **pkt, size_t *len, size_t hdr_size,
		       uint16_t vid)
{
	uint8_t *p = *pkt - 4;

	memmove(p, p + 4, hdr_size + 12);
	p[hdr_size + 12] = ETH_P_8021Q >> 8;
	p[hdr_size + 13] = ETH_P_8021Q & 0xff;
	p[hdr_size + 14] = (uint8_t)(vid >> 8);
	p[hdr_size + 15] = (uint8_t)vid;
	if (hdr_size >= 10)
		hdr_shift(p, 4);
	*pkt = p;
	*len += 4;
}
