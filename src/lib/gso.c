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
 *
 * UFO (gso_type UDP, as legacy guests send it) is IP fragmentation, not
 * segmentation: the UDP datagram stays one datagram. Its checksum is
 * completed once, over the whole datagram (when NEEDS_CSUM; otherwise the
 * field is left as the sender wrote it), then the IP payload (UDP header
 * included) is cut into fragments of F = gso_size rounded down to a
 * multiple of 8 (the unit of fragment offsets). IPv4: every fragment
 * repeats the L2 and IP headers (options included) with total length,
 * MF, offset and header checksum fixed; DF is cleared, as Linux's
 * inet_gso_segment() does, the ID is the datagram's. IPv6: a fragment
 * header goes in front of the UDP header (after every extension header
 * the frame has), with the next-header field that named UDP changed to
 * 44 and an identification derived from the addresses and the completed
 * UDP header. For UFO the state's fields are reused: @seq holds the IPv6
 * identification, @pseudo the UDP checksum, @csum_start whether it was
 * computed here (NEEDS_CSUM: the UDP length is set too), @csum_offset the
 * offset of the next-header byte to change.
 */
#include <arpa/inet.h>
#include <string.h>

#include "internal.h"

enum gso_mode {
	GSO_COPY, /* non-GSO frame: a copy */
	GSO_CSUM, /* non-GSO frame: a copy with its checksum completed */
	GSO_TCP, /* TSO */
	GSO_UDP, /* USO (UDP_L4) */
	GSO_UFO, /* UFO (UDP): IP fragments */
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

/* The UDP checksum of the whole datagram, from the addresses. */
static uint16_t ufo_csum(const struct vtap_gso *g)
{
	const struct vtap_vnet_layout *lo = &g->lo;
	const uint8_t *p = g->frame, *uh = p + lo->l4_off;
	uint32_t l4_len = (uint32_t)(g->len - lo->l4_off);
	uint8_t hdr[8];
	uint32_t sum;
	uint16_t c;

	if (lo->l3 == VTAP_PKT_L3_IPV4)
		sum = vtap_csum__pseudo4(p + lo->l3_off + 12,
					 p + lo->l3_off + 16, 17, l4_len);
	else
		sum = vtap_csum__pseudo6(p + lo->ip6_src_off,
					 p + lo->ip6_dst_off, 17, l4_len);
	memcpy(hdr, uh, 4);
	put_be16(hdr + 4, (uint16_t)l4_len);
	hdr[6] = hdr[7] = 0;
	sum = vtap_csum__partial(hdr, 8, sum);
	sum = vtap_csum__partial(uh + 8, l4_len - 8, sum);
	c = vtap_csum__finish(sum);
	return c ? c : 0xffff;
}

/*
 * The offset of the next-header byte that names the UDP header: the IPv6
 * header's, or the last extension header's (the chain was validated by
 * vtap_vnet__check_frame(): every header lies inside the frame).
 */
static size_t ufo_nh_off(const struct vtap_gso *g)
{
	const uint8_t *p = g->frame;
	size_t nh = g->lo.l3_off + 6, off = g->lo.l3_off + 40;

	while (off < g->lo.l4_off) {
		uint8_t type = p[nh]; /* of the header at off */

		nh = off;
		off += type == 51 ? ((size_t)p[off + 1] + 2) * 4
				  : ((size_t)p[off + 1] + 1) * 8;
	}
	return nh;
}

static int ufo_init(struct vtap_gso *g, const struct vtap_vnet_hdr *h,
		    enum vtap_drop_reason *ret_reason)
{
	const struct vtap_vnet_layout *lo = &g->lo;
	const uint8_t *p = g->frame;
	size_t ip_payload = g->len - lo->l4_off;
	uint16_t c;

	/* The reassembled datagram must fit the IP length fields. */
	if (lo->l4_off - lo->l3_off + ip_payload >
	    (lo->l3 == VTAP_PKT_L3_IPV4 ? 0xffffu : 0xffffu + 40))
		return refuse(-EMSGSIZE, VTAP_DROP_TOO_BIG, ret_reason);
	g->mode = GSO_UFO;
	g->gso_size = (uint16_t)(h->gso_size & ~7u);
	/* in memory order, as stored */
	if (h->flags & VTAP_VNET_F_NEEDS_CSUM)
		c = ufo_csum(g);
	else
		memcpy(&c, p + lo->l4_off + 6, 2);
	g->pseudo = c;
	g->csum_start = (h->flags & VTAP_VNET_F_NEEDS_CSUM) != 0;
	if (lo->l3 == VTAP_PKT_L3_IPV4) {
		g->ip_id = get_be16(p + lo->l3_off + 4);
	} else {
		/* FNV-1a over the addresses and the UDP header */
		uint32_t id = 2166136261u;
		uint8_t uh[8];

		memcpy(uh, p + lo->l4_off, 8);
		memcpy(uh + 6, &c, 2);
		for (size_t i = 0; i < 32; i++)
			id = (id ^ p[lo->l3_off + 8 + i]) * 16777619u;
		for (size_t i = 0; i < 8; i++)
			id = (id ^ uh[i]) * 16777619u;
		g->seq = id ? id : 1;
		g->csum_offset = (uint16_t)ufo_nh_off(g);
	}
	return 0;
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

	type = h->gso_type & ~(VTAP_VNET_GSO_ECN | VTAP_VNET_GSO_UDP_TUNNEL);
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
	if (lo.l3 == VTAP_PKT_L3_IPV6 && !lo.ip6_dst_known)
		return refuse(-EOPNOTSUPP, VTAP_DROP_UNSUPPORTED, ret_reason);
	if (type == VTAP_VNET_GSO_UDP)
		return ufo_init(g, h, ret_reason);

	/* The IP length fields must hold the longest segment. */
	seg_max = lo.hdrs_len +
		  (lo.payload < h->gso_size ? lo.payload : h->gso_size);
	l3_max = 0xffff + (lo.l3 == VTAP_PKT_L3_IPV6 ? 40 : 0);
	if (seg_max - lo.l3_off > l3_max)
		return refuse(-EMSGSIZE, VTAP_DROP_TOO_BIG, ret_reason);
	if (lo.outer_l3 != VTAP_PKT_L3_NONE) {
		const uint8_t *oip = p + lo.outer_l3_off;

		l3_max = 0xffff + (lo.outer_l3 == VTAP_PKT_L3_IPV6 ? 40 : 0);
		if (seg_max - lo.outer_l3_off > l3_max)
			return refuse(-EMSGSIZE, VTAP_DROP_TOO_BIG, ret_reason);
		g->outer_csum = (h->flags & VTAP_VNET_F_UDP_TUNNEL_CSUM) != 0;
		if (lo.outer_l3 == VTAP_PKT_L3_IPV4) {
			g->outer_ip_id = get_be16(oip + 4);
			g->outer_pseudo =
				vtap_csum__pseudo4(oip + 12, oip + 16, 17, 0);
		} else {
			g->outer_pseudo =
				vtap_csum__pseudo6(oip + 8, oip + 24, 17, 0);
		}
	}

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
	if (g->mode == GSO_UFO) {
		size_t rest = g->len - g->lo.l4_off;

		return g->lo.l4_off + (g->lo.l3 == VTAP_PKT_L3_IPV6 ? 8 : 0) +
		       (rest < g->gso_size ? rest : g->gso_size);
	}
	return g->lo.hdrs_len +
	       (g->lo.payload < g->gso_size ? g->lo.payload : g->gso_size);
}

/*
 * UDP tunnel GSO: the outer headers of segment @i (@seg bytes in @b, its
 * inner headers and checksum already final): outer IPv4 total length, id +
 * i and header checksum, or IPv6 payload length; outer UDP length, and its
 * checksum computed over the segment with VTAP_VNET_F_UDP_TUNNEL_CSUM, left
 * as the frame has it (0: none) without, as Linux's
 * __skb_udp_tunnel_segment() does.
 */
static void fix_outer(const struct vtap_gso *g, uint8_t *b, uint32_t i,
		      size_t seg)
{
	const struct vtap_vnet_layout *lo = &g->lo;
	uint8_t *ip = b + lo->outer_l3_off, *uh = b + lo->outer_th_off;
	size_t ulen = seg - lo->outer_th_off;
	uint16_t c = 0;

	if (lo->outer_l3 == VTAP_PKT_L3_IPV4) {
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;

		put_be16(ip + 2, (uint16_t)(seg - lo->outer_l3_off));
		put_be16(ip + 4, (uint16_t)(g->outer_ip_id + i));
		ip[10] = ip[11] = 0;
		c = vtap_csum__finish(vtap_csum__partial(ip, ihl, 0));
		memcpy(ip + 10, &c, 2);
	} else {
		put_be16(ip + 4, (uint16_t)(seg - lo->outer_l3_off - 40));
	}
	put_be16(uh + 4, (uint16_t)ulen);
	if (g->outer_csum) {
		uint32_t sum = add32(g->outer_pseudo, htons((uint16_t)ulen));

		uh[6] = uh[7] = 0;
		c = vtap_csum__finish(vtap_csum__partial(uh, ulen, sum));
		if (!c)
			c = 0xffff;
		memcpy(uh + 6, &c, 2);
	}
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
	if (lo->outer_l3 != VTAP_PKT_L3_NONE)
		fix_outer(g, b, i, seg);
}

/* Fragment g->next of a UFO datagram (see the top of the file). */
static int ufo_next(struct vtap_gso *g, uint8_t *b, size_t size,
		    size_t *ret_len)
{
	const struct vtap_vnet_layout *lo = &g->lo;
	const bool v6 = lo->l3 == VTAP_PKT_L3_IPV6;
	size_t hl = lo->l4_off, fh = v6 ? 8 : 0;
	size_t rest = g->len - lo->l4_off;
	size_t start = (size_t)g->next * g->gso_size;
	size_t plen = rest - start < g->gso_size ? rest - start : g->gso_size;
	bool more = start + plen < rest;
	uint8_t *ip = b + lo->l3_off;
	uint16_t c;

	if (size < hl + fh + plen)
		return vtap_err(-ENOBUFS);
	memcpy(b, g->frame, hl);
	memcpy(b + hl + fh, g->frame + hl + start, plen);
	if (!start && g->csum_start) {
		/* The UDP header: the whole datagram's length, checksum. */
		uint8_t *uh = b + hl + fh;

		put_be16(uh + 4, (uint16_t)rest);
		memcpy(uh + 6, &g->pseudo, 2);
	}
	if (!v6) {
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;

		put_be16(ip + 2, (uint16_t)(hl - lo->l3_off + plen));
		put_be16(ip + 6, (uint16_t)(start / 8 | (more ? 0x2000 : 0)));
		ip[10] = ip[11] = 0;
		c = vtap_csum__finish(vtap_csum__partial(ip, ihl, 0));
		memcpy(ip + 10, &c, 2);
	} else {
		uint8_t *fr = b + hl;

		put_be16(ip + 4, (uint16_t)(hl - lo->l3_off - 40 + fh + plen));
		b[g->csum_offset] = 44;
		fr[0] = 17;
		fr[1] = 0;
		put_be16(fr + 2, (uint16_t)(start | (more ? 1 : 0)));
		put_be32(fr + 4, g->seq);
	}
	g->next++;
	*ret_len = hl + fh + plen;
	return 1;
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

	if (g->mode == GSO_UFO)
		return ufo_next(g, b, size, ret_len);

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
