// SPDX-License-Identifier: MIT
/*
 * gro.c - coalescing consecutive TCP segments (and UDP datagrams) of one
 * flow into one GSO frame on send (software GRO)
 *
 * Theory of operation
 * ===================
 *
 * The invariant: segmenting the merged frame again, as vtap_gso__next()
 * or the kernel's tcp_gso_segment()/__udp_gso_segment() do, gives back
 * exactly the frames that were merged. Those segmenters copy the first
 * segment's headers in front of every segment and change only: the IPv4
 * total length, identification (first + i) and header checksum; the IPv6
 * payload length; the TCP sequence number (first + i * gso_size), PSH and
 * FIN (last segment only) and checksum; the UDP length and checksum. So a
 * frame joins a run only when:
 *
 * - every other header byte, Ethernet and VLAN tags included, equals the
 *   first segment's (the same flow, ACK, window, TTL/hop limit, TOS/traffic
 *   class, DF, TCP options with equal timestamps, IPv6 extension headers);
 * - the changing fields are what the segmenter would write: the IPv4 ID is
 *   the previous one plus 1, the sequence number follows the previous
 *   segment's data (no gap, overlap or retransmission), the lengths match
 *   the frame, the checksums verify (unless the vnet header says
 *   DATA_VALID or NEEDS_CSUM: then the kernel would not have checked them
 *   either, and it does not check the merged frame's);
 * - its flags are ACK, or ACK|PSH, which closes the run (PSH goes to the
 *   last segment only); SYN, FIN, RST, URG, ECE and CWR are never merged;
 * - every segment but the last carries gso_size bytes, the first one's
 *   payload; a shorter one closes the run.
 *
 * What cannot be repeated is never merged: IPv4 options (allowed in GSO,
 * but Linux's own GRO refuses them, and so does vtap), fragments, AH (its
 * ICV covers the payload), routing headers and Home Address options (the
 * checksum would need their addresses). Frame parsing is vtap_pkt's (one
 * header walker): it gives the offsets, this file checks the fields.
 *
 * The merged frame: the first segment's headers, then every segment's
 * payload in order; vnet header NEEDS_CSUM, csum_start at the L4 header,
 * csum_offset 16 (TCP) or 6 (UDP), gso_type TCPV4/TCPV6/UDP_L4, gso_size
 * the first payload, hdr_len the header bytes; IP lengths and the IPv4
 * header checksum are those of the merged frame, TCP flags those of the
 * last segment.
 *
 * The checksum seed. The L4 checksum field holds the pseudo-header sum
 * (folded, not complemented) WITH the merged frame's L4 length, as Linux's
 * own stack and GRO (tcp4_gro_complete()) leave it: when the kernel
 * segments the frame again (forwarding to a device without TSO),
 * tcp_gso_segment() and __udp_gso_segment() adjust the seed by the
 * difference between that length and each segment's, so a seed without
 * the length gives every segment a wrong checksum. tests/net/test_gro.sh
 * shows it: routed on through a veth without offloads, a seed without
 * length makes the next hop count InCsumErrors and the transfer stall.
 * Local delivery does not look at the seed (CHECKSUM_PARTIAL is trusted).
 */
#include <string.h>

#include "gro.h"

#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define UDP_HLEN 8
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static const char *const reason_names[] = {
	[VTAP_GRO_ALONE] = "alone",
	[VTAP_GRO_VNET] = "vnet",
	[VTAP_GRO_FLAGS] = "flags",
	[VTAP_GRO_EMPTY] = "empty",
	[VTAP_GRO_IP_OPTIONS] = "ip_options",
	[VTAP_GRO_FRAGMENT] = "fragment",
	[VTAP_GRO_IPV6_EXT] = "ipv6_ext",
	[VTAP_GRO_LENGTH] = "length",
	[VTAP_GRO_CSUM] = "csum",
	[VTAP_GRO_ORDER] = "order",
	[VTAP_GRO_HEADERS] = "headers",
	[VTAP_GRO_IP_ID] = "ip_id",
	[VTAP_GRO_SIZE] = "size",
};
_Static_assert(ARRAY_SIZE(reason_names) == VTAP_GRO__COUNT,
	       "every not-merged reason has a name");

const char *vtap_gro_reason__name(enum vtap_gro_reason reason)
{
	if ((unsigned int)reason >= VTAP_GRO__COUNT)
		return NULL;
	return reason_names[reason];
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The pseudo-header partial sum of @s, with L4 length @l4_len. */
static uint32_t pseudo(const struct vtap_gro_seg *s, const uint8_t *f,
		       uint32_t l4_len)
{
	const uint8_t *ip = f + s->l3_off;
	uint8_t proto = s->l4 == VTAP_PKT_L4_TCP ? IPPROTO_TCP_ : IPPROTO_UDP_;

	if (s->l3 == VTAP_PKT_L3_IPV4)
		return vtap_csum__pseudo4(ip + 12, ip + 16, proto, l4_len);
	return vtap_csum__pseudo6(ip + 8, ip + 24, proto, l4_len);
}

/* Whether the L4 checksum of @s verifies (a UDP checksum of 0 does not:
 * the segmenter would write one, so the frame would change). */
static bool l4_csum_ok(const struct vtap_gro_seg *s)
{
	const uint8_t *f = s->frame;
	uint32_t l4_len = (uint32_t)(s->len - s->l4_off);

	if (s->l4 == VTAP_PKT_L4_UDP && !f[s->l4_off + 6] && !f[s->l4_off + 7])
		return false;
	return vtap_csum__fold(vtap_csum__partial(
		       f + s->l4_off, l4_len, pseudo(s, f, l4_len))) == 0xffff;
}

/* Check the vnet header; *@ret_trust: the L4 checksum needs no check. */
static int parse_vnet(const struct vtap_gro_cfg *cfg, const uint8_t *h,
		      bool *ret_trust, uint16_t *ret_start, uint16_t *ret_off)
{
	uint8_t flags = h[0];

	if (h[1] != VTAP_VNET_GSO_NONE ||
	    (flags & ~(VTAP_VNET_F_NEEDS_CSUM | VTAP_VNET_F_DATA_VALID)))
		return VTAP_GRO_VNET;
	*ret_trust = flags != 0;
	*ret_start = flags & VTAP_VNET_F_NEEDS_CSUM ? get_le16(h + 6) : 0;
	*ret_off = flags & VTAP_VNET_F_NEEDS_CSUM ? get_le16(h + 8) : 0;
	(void)cfg;
	return VTAP_GRO_CANDIDATE;
}

/* The IP part of the checks; fills @s's L3 fields. */
static int parse_ip(const struct vtap_pkt_info *info, uint32_t ext,
		    struct vtap_gro_seg *s)
{
	const uint8_t *ip = s->frame + info->l3_off;
	size_t l3_len = s->len - info->l3_off;

	if (info->l3 == VTAP_PKT_L3_IPV4) {
		if ((ip[0] & 0xf) != IPV4_HLEN / 4)
			return VTAP_GRO_IP_OPTIONS;
		if (get_be16(ip + 2) != l3_len)
			return VTAP_GRO_LENGTH;
		if (vtap_csum__fold(vtap_csum__partial(ip, IPV4_HLEN, 0)) !=
		    0xffff)
			return VTAP_GRO_CSUM;
		s->ip_id = get_be16(ip + 4);
	} else {
		if ((ext & ~(VTAP_PKT_EXT_HOP | VTAP_PKT_EXT_DST)) ||
		    info->has_hao)
			return VTAP_GRO_IPV6_EXT;
		if (get_be16(ip + 4) != l3_len - IPV6_HLEN)
			return VTAP_GRO_LENGTH;
	}
	return VTAP_GRO_CANDIDATE;
}

int vtap_gro_parse(const struct vtap_gro_cfg *cfg, const void *buf, size_t len,
		   struct vtap_gro_seg *ret)
{
	const uint8_t *b = buf;
	struct vtap_pkt_info info;
	struct vtap_gro_seg s = {0};
	uint16_t csum_start, csum_off;
	uint32_t ext;
	bool trust;
	int why;

	if (!buf || cfg->hdr_len < VTAP_VNET_HDR_LEN || len <= cfg->hdr_len ||
	    len - cfg->hdr_len > VTAP_FRAME_MAX)
		return VTAP_GRO_OTHER;
	s.frame = b + cfg->hdr_len;
	s.len = len - cfg->hdr_len;
	vtap_pkt_parse_ext(s.frame, s.len, cfg->pflags, &info, &ext);
	if (info.l3 == VTAP_PKT_L3_NONE)
		return VTAP_GRO_OTHER;
	if (info.ip_proto == IPPROTO_TCP_ && (cfg->types & VTAP_GRO_TCP))
		s.l4 = VTAP_PKT_L4_TCP;
	else if (info.ip_proto == IPPROTO_UDP_ && (cfg->types & VTAP_GRO_UDP))
		s.l4 = VTAP_PKT_L4_UDP;
	else
		return VTAP_GRO_OTHER;
	why = parse_vnet(cfg, b, &trust, &csum_start, &csum_off);
	if (why >= 0)
		return why;
	if (info.is_frag)
		return VTAP_GRO_FRAGMENT;
	if (info.l4 == VTAP_PKT_L4_NONE)
		return VTAP_GRO_LENGTH; /* truncated before the ports */
	s.l3 = info.l3;
	s.l3_off = info.l3_off;
	s.l4_off = info.l4_off;
	why = parse_ip(&info, ext, &s);
	if (why >= 0)
		return why;

	if (s.l4 == VTAP_PKT_L4_TCP) {
		const uint8_t *th = s.frame + s.l4_off;
		size_t doff;

		if (s.len - s.l4_off < 20)
			return VTAP_GRO_LENGTH;
		doff = (size_t)(th[12] >> 4) * 4;
		if (doff < 20 || s.len - s.l4_off < doff)
			return VTAP_GRO_LENGTH;
		s.tcp_flags = th[13];
		if (s.tcp_flags != TCP_ACK &&
		    s.tcp_flags != (TCP_ACK | TCP_PSH))
			return VTAP_GRO_FLAGS;
		s.seq = get_be32(th + 4);
		s.hdrs_len = (uint16_t)(s.l4_off + doff);
	} else {
		if (s.len - s.l4_off < UDP_HLEN)
			return VTAP_GRO_LENGTH;
		if (get_be16(s.frame + s.l4_off + 4) != s.len - s.l4_off)
			return VTAP_GRO_LENGTH;
		s.hdrs_len = (uint16_t)(s.l4_off + UDP_HLEN);
	}
	s.payload = s.len - s.hdrs_len;
	if (!s.payload)
		return VTAP_GRO_EMPTY;

	if (csum_start || csum_off) {
		/* NEEDS_CSUM: the seed must be where the merged frame's
		 * header will say it is. */
		if (csum_start != s.l4_off ||
		    csum_off != (s.l4 == VTAP_PKT_L4_TCP ? 16 : 6))
			return VTAP_GRO_VNET;
	} else if (!trust && !l4_csum_ok(&s)) {
		return VTAP_GRO_CSUM;
	}
	*ret = s;
	return VTAP_GRO_CANDIDATE;
}

void vtap_gro_start(struct vtap_gro_run *run, const struct vtap_gro_seg *s)
{
	run->first = *s;
	run->last = *s;
	run->n = 1;
	run->len = s->len;
	run->closed = (s->tcp_flags & TCP_PSH) != 0;
}

/* Whether [@from, @to) of @a and @b are equal. */
static bool same(const uint8_t *a, const uint8_t *b, size_t from, size_t to)
{
	return !memcmp(a + from, b + from, to - from);
}

/*
 * Whether @s's headers equal @f's except the fields the segmenter writes
 * (see the top of the file). Both have the same offsets.
 */
static bool same_headers(const struct vtap_gro_seg *f,
			 const struct vtap_gro_seg *s)
{
	const uint8_t *a = f->frame, *b = s->frame;
	size_t l3 = f->l3_off, l4 = f->l4_off;

	if (!same(a, b, 0, l3))
		return false;
	if (f->l3 == VTAP_PKT_L3_IPV4) {
		/* version..TOS; flags, TTL, protocol; addresses */
		if (!same(a, b, l3, l3 + 2) || !same(a, b, l3 + 6, l3 + 10) ||
		    !same(a, b, l3 + 12, l4))
			return false;
	} else {
		/* version, class, label; next header..extension headers */
		if (!same(a, b, l3, l3 + 4) || !same(a, b, l3 + 6, l4))
			return false;
	}
	if (f->l4 == VTAP_PKT_L4_UDP)
		return same(a, b, l4, l4 + 4); /* ports */
	/* ports; ACK, data offset; window; urgent pointer, options */
	return same(a, b, l4, l4 + 4) && same(a, b, l4 + 8, l4 + 13) &&
	       same(a, b, l4 + 14, l4 + 16) && same(a, b, l4 + 18, f->hdrs_len);
}

/* Whether @s belongs to @f's flow: addresses, protocol and ports. */
static bool same_flow(const struct vtap_gro_seg *f,
		      const struct vtap_gro_seg *s)
{
	const uint8_t *a = f->frame, *b = s->frame;

	if (f->l3 != s->l3 || f->l4 != s->l4 || f->l3_off != s->l3_off ||
	    f->l4_off != s->l4_off)
		return false;
	if (!same(a, b, f->l4_off, f->l4_off + 4))
		return false;
	if (f->l3 == VTAP_PKT_L3_IPV4)
		return same(a, b, f->l3_off + 12, f->l3_off + 20);
	return same(a, b, f->l3_off + 8, f->l3_off + 40);
}

int vtap_gro_add(const struct vtap_gro_cfg *cfg, struct vtap_gro_run *run,
		 const struct vtap_gro_seg *s)
{
	const struct vtap_gro_seg *f = &run->first, *l = &run->last;
	size_t len = run->len + s->payload;
	size_t l3_max = 0xffff + (f->l3 == VTAP_PKT_L3_IPV6 ? IPV6_HLEN : 0);
	unsigned int max = cfg->max_segs;

	if (!same_flow(f, s) || run->closed)
		return VTAP_GRO_ALONE;
	if (s->hdrs_len != f->hdrs_len || !same_headers(f, s))
		return VTAP_GRO_HEADERS;
	if (f->l4 == VTAP_PKT_L4_TCP && s->seq != l->seq + (uint32_t)l->payload)
		return VTAP_GRO_ORDER;
	if (f->l3 == VTAP_PKT_L3_IPV4 && s->ip_id != (uint16_t)(l->ip_id + 1))
		return VTAP_GRO_IP_ID;
	if (f->l4 == VTAP_PKT_L4_UDP && max > VTAP_VNET_UDP_SEGS_MAX)
		max = VTAP_VNET_UDP_SEGS_MAX;
	if (s->payload > f->payload || run->n >= max || len > VTAP_FRAME_MAX ||
	    len - f->l3_off > l3_max)
		return VTAP_GRO_SIZE;
	run->last = *s;
	run->n++;
	run->len = len;
	run->closed = s->payload < f->payload || (s->tcp_flags & TCP_PSH);
	return VTAP_GRO_CANDIDATE;
}

size_t vtap_gro_build_headers(const struct vtap_gro_cfg *cfg,
			      const struct vtap_gro_run *run, void *buf,
			      size_t size)
{
	const struct vtap_gro_seg *f = &run->first;
	const size_t hl = f->hdrs_len, hdr_len = cfg->hdr_len;
	uint8_t *h = buf, *b = h + hdr_len, *ip, *l4;
	const bool tcp = f->l4 == VTAP_PKT_L4_TCP;
	uint16_t c;

	if (size < hdr_len + hl)
		return 0;
	memset(h, 0, hdr_len);
	h[0] = VTAP_VNET_F_NEEDS_CSUM;
	h[1] = !tcp			   ? VTAP_VNET_GSO_UDP_L4
	       : f->l3 == VTAP_PKT_L3_IPV4 ? VTAP_VNET_GSO_TCPV4
					   : VTAP_VNET_GSO_TCPV6;
	put_le16(h + 2, (uint16_t)hl);
	put_le16(h + 4, (uint16_t)f->payload);
	put_le16(h + 6, f->l4_off);
	put_le16(h + 8, tcp ? 16 : 6);
	memcpy(b, f->frame, hl);

	ip = b + f->l3_off;
	l4 = b + f->l4_off;
	if (f->l3 == VTAP_PKT_L3_IPV4) {
		put_be16(ip + 2, (uint16_t)(run->len - f->l3_off));
		ip[10] = ip[11] = 0;
		c = vtap_csum__finish(vtap_csum__partial(ip, IPV4_HLEN, 0));
		memcpy(ip + 10, &c, 2);
	} else {
		put_be16(ip + 4, (uint16_t)(run->len - f->l3_off - IPV6_HLEN));
	}
	if (tcp)
		l4[13] = run->last.tcp_flags;
	else
		put_be16(l4 + 4, (uint16_t)(run->len - f->l4_off));
	/* The seed, with the length (see the top of the file). */
	c = vtap_csum__fold(pseudo(f, b, (uint32_t)(run->len - f->l4_off)));
	memcpy(l4 + (tcp ? 16 : 6), &c, 2);
	return hdr_len + hl;
}

size_t vtap_gro_build(const struct vtap_gro_cfg *cfg,
		      const struct vtap_gro_run *run,
		      const struct vtap_frame *frames, void *buf, size_t size)
{
	const size_t hl = run->first.hdrs_len, hdr_len = cfg->hdr_len;
	size_t off;

	if (size < hdr_len + run->len)
		return 0;
	off = vtap_gro_build_headers(cfg, run, buf, size);
	for (unsigned int i = 0; i < run->n; i++) {
		const uint8_t *p = (const uint8_t *)frames[i].buf + hdr_len;
		size_t plen = frames[i].len - hdr_len - hl;

		memcpy((uint8_t *)buf + off, p + hl, plen);
		off += plen;
	}
	return off;
}
