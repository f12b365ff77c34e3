// SPDX-License-Identifier: MIT
/*
 * gso.c - software segmentation of GSO frames and checksum completion
 *
 * Theory of operation
 * ===================
 *
 * vtap_gso__init() runs vtap_vnet__check_frame(), which proves that the
 * L2, L3 and L4 headers (hdrs_len bytes) lie inside the frame and says
 * where they are. Nothing else of the frame is interpreted, and every
 * later read is below hdrs_len or in [hdrs_len, len): the segment math
 * below cannot leave the frame.
 *
 * Segment math. With H = hdrs_len, P = len - H payload bytes and
 * S = gso_size, there are N = max(1, ceil(P / S)) segments; segment i
 * (0 <= i < N) is the H header bytes followed by payload bytes
 * [H + i*S, H + min((i+1)*S, P)). So every segment but the last carries
 * exactly S bytes, the last 1..S (0 only when P is 0), and the payloads
 * concatenated give back the frame's payload.
 *
 * Per segment, copied headers are fixed up: IPv4 total length, id + i and
 * header checksum; IPv6 payload length (extension headers included, as
 * they are repeated); TCP seq + i*S, FIN and PSH only on the last segment,
 * CWR only on the first (RFC 3168 6.1.2: CWR is set once, as the kernel's
 * tcp_gso_segment() does); UDP length.
 *
 * Checksums. The L4 checksum of each segment is computed in full: the
 * pseudo-header from the addresses (precomputed once, without length),
 * plus the segment's L4 length, plus the L4 header with a zero checksum
 * field, plus the payload read straight from the frame. The frame's own
 * checksum field is ignored, so it does not matter whether the sender
 * seeded it with or without the length (SPEC-NOTES.md: without, for
 * TSO/USO). The L4 header length is even (TCP: 4 * data offset, UDP: 8),
 * so the header and payload sums chain without byte rotation.
 */
#include <arpa/inet.h>
#include <string.h>

#include "internal.h"

enum gso_mode {
	GSO_COPY, /* non-GSO frame: a copy */
	GSO_CSUM, /* non-GSO frame: a copy with its checksum completed */
	GSO_TCP, /* TSO */
	GSO_UDP, /* USO (UDP_L4) */
};

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

/* 32-bit ones' complement addition of two partial sums. */
static uint32_t add32(uint32_t a, uint32_t b)
{
	a += b;
	return a + (a < b);
}

static int refuse(int err, enum vtap_drop_reason reason,
		  enum vtap_drop_reason *ret_reason)
{
	if (ret_reason)
		*ret_reason = reason;
	return vtap_err(err);
}

int vtap_gso__init_flags(struct vtap_gso *g, const struct vtap_vnet_hdr *h,
			 const void *frame, size_t len, unsigned int flags,
			 enum vtap_drop_reason *ret_reason)
{
	struct vtap_vnet_layout lo;
	enum vtap_drop_reason reason;
	const uint8_t *p = frame;
	uint8_t type;
	size_t seg_max, l3_max;
	int err;

	if (!g || !h)
		return refuse(-EINVAL, VTAP_DROP_SHORT, ret_reason);
	err = vtap_vnet__check_frame(h, frame, len, flags, &lo, &reason);
	if (err < 0)
		return refuse(err, reason, ret_reason);

	type = h->gso_type & ~VTAP_VNET_GSO_ECN;
	memset(g, 0, sizeof(*g));
	g->frame = p;
	g->len = len;
	g->lo = lo;
	g->gso_size = h->gso_size;
	g->csum_start = h->csum_start;
	g->csum_offset = h->csum_offset;

	if (type == VTAP_VNET_GSO_NONE) {
		g->mode =
			h->flags & VTAP_VNET_F_NEEDS_CSUM ? GSO_CSUM : GSO_COPY;
		return 0;
	}
	if (type == VTAP_VNET_GSO_UDP)
		return refuse(-EOPNOTSUPP, VTAP_DROP_UNSUPPORTED, ret_reason);
	if (lo.l3 == VTAP_PKT_L3_IPV6 && !lo.ip6_dst_known)
		return refuse(-EOPNOTSUPP, VTAP_DROP_UNSUPPORTED, ret_reason);

	/* The IP length fields must hold the longest segment. */
	seg_max = lo.hdrs_len +
		  (lo.payload < h->gso_size ? lo.payload : h->gso_size);
	l3_max = 0xffff + (lo.l3 == VTAP_PKT_L3_IPV6 ? 40 : 0);
	if (seg_max - lo.l3_off > l3_max)
		return refuse(-EMSGSIZE, VTAP_DROP_TOO_BIG, ret_reason);

	if (lo.l4 == VTAP_PKT_L4_TCP) {
		g->mode = GSO_TCP;
		g->seq = get_be32(p + lo.l4_off + 4);
	} else {
		g->mode = GSO_UDP;
	}
	if (lo.l3 == VTAP_PKT_L3_IPV4) {
		g->ip_id = get_be16(p + lo.l3_off + 4);
		g->pseudo = vtap_csum__pseudo4(p + lo.l3_off + 12,
					       p + lo.l3_off + 16,
					       p[lo.l3_off + 9], 0);
	} else {
		g->pseudo = vtap_csum__pseudo6(
			p + lo.ip6_src_off, p + lo.ip6_dst_off,
			lo.l4 == VTAP_PKT_L4_TCP ? 6 : 17, 0);
	}
	return 0;
}

int vtap_gso__init(struct vtap_gso *g, const struct vtap_vnet_hdr *h,
		   const void *frame, size_t len)
{
	return vtap_gso__init_flags(g, h, frame, len, 0, NULL);
}

uint32_t vtap_gso__segs(const struct vtap_gso *g)
{
	return g->lo.segs;
}

size_t vtap_gso__seg_max(const struct vtap_gso *g)
{
	if (g->mode == GSO_COPY || g->mode == GSO_CSUM)
		return g->len;
	return g->lo.hdrs_len +
	       (g->lo.payload < g->gso_size ? g->lo.payload : g->gso_size);
}

/*
 * Fix up the copied headers of segment @i, @seg bytes, in @b; its payload
 * is the frame's @plen bytes at @off.
 */
static void fix_segment(const struct vtap_gso *g, uint8_t *b, uint32_t i,
			size_t seg, size_t off, size_t plen)
{
	const struct vtap_vnet_layout *lo = &g->lo;
	uint8_t *ip = b + lo->l3_off, *l4 = b + lo->l4_off;
	size_t l4_len = seg - lo->l4_off;
	uint32_t sum;
	uint16_t c;

	if (lo->l3 == VTAP_PKT_L3_IPV4) {
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;

		put_be16(ip + 2, (uint16_t)(seg - lo->l3_off));
		put_be16(ip + 4, (uint16_t)(g->ip_id + i));
		ip[10] = ip[11] = 0;
		c = vtap_csum__finish(vtap_csum__partial(ip, ihl, 0));
		memcpy(ip + 10, &c, 2);
	} else {
		put_be16(ip + 4, (uint16_t)(seg - lo->l3_off - 40));
	}

	if (g->mode == GSO_TCP) {
		put_be32(l4 + 4, g->seq + i * (uint32_t)g->gso_size);
		if (i + 1 < lo->segs)
			l4[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i > 0)
			l4[13] &= (uint8_t)~TCP_CWR;
		l4[16] = l4[17] = 0;
	} else {
		put_be16(l4 + 4, (uint16_t)l4_len);
		l4[6] = l4[7] = 0;
	}

	sum = add32(g->pseudo, htons((uint16_t)l4_len));
	sum = vtap_csum__partial(l4, lo->hdrs_len - lo->l4_off, sum);
	sum = vtap_csum__partial(g->frame + off, plen, sum);
	c = vtap_csum__finish(sum);
	if (g->mode == GSO_UDP && !c)
		c = 0xffff; /* 0 means "no checksum" in UDP */
	memcpy(l4 + (g->mode == GSO_TCP ? 16 : 6), &c, 2);
}

int vtap_gso__next(struct vtap_gso *g, void *buf, size_t size, size_t *ret_len)
{
	uint8_t *b = buf;
	size_t hl, off, plen, seg;

	if (!g || !buf || !ret_len)
		return vtap_err(-EINVAL);
	if (g->next >= g->lo.segs)
		return 0;

	if (g->mode == GSO_COPY || g->mode == GSO_CSUM) {
		if (size < g->len)
			return vtap_err(-ENOBUFS);
		memcpy(b, g->frame, g->len);
		if (g->mode == GSO_CSUM)
			vtap_csum__complete(b, g->len, g->csum_start,
					    g->csum_offset);
		g->next++;
		*ret_len = g->len;
		return 1;
	}

	hl = g->lo.hdrs_len;
	off = hl + (size_t)g->next * g->gso_size;
	plen = g->len - off < g->gso_size ? g->len - off : g->gso_size;
	seg = hl + plen;
	if (size < seg)
		return vtap_err(-ENOBUFS);
	memcpy(b, g->frame, hl);
	memcpy(b + hl, g->frame + off, plen);
	fix_segment(g, b, g->next, seg, off, plen);
	g->next++;
	*ret_len = seg;
	return 1;
}
