// SPDX-License-Identifier: MIT
/*
 * pkt.c - bounds-checked parse of a frame into the fields RSS hashing needs
 *
 * Theory of operation
 *
 * The parser follows SPEC-NOTES.md "Which fields are hashed": Ethernet, up
 * to two VLAN tags (0x8100 or 0x88a8, in any combination), then IPv4 or
 * IPv6 chosen by the EtherType and confirmed by the version nibble (or, in
 * TUN mode, chosen by the version nibble alone). Every read is preceded by
 * a check against the frame's length; nothing at or past @len is touched.
 * The IPv4 total length and IPv6 payload length fields are never used: a
 * frame may carry padding, and a GSO frame exceeds them.
 *
 * What the result means:
 * - l3 NONE: no usable IP header; nothing else in the result counts.
 * - ip_proto names the header found at l4_off: for IPv4 the protocol field
 *   and the end of the header (IHL); for IPv6 the next-header value at which
 *   the extension-header walk stopped and the offset where that header
 *   starts. l4_off may equal the frame length (nothing follows).
 * - l4 TCP/UDP: ip_proto is TCP/UDP, the packet is not a fragment and both
 *   ports (the first four bytes at l4_off) lie inside the frame.
 *
 * IPv6 extension headers (hop-by-hop, routing, fragment, destination
 * options, AH) are walked, at most VTAP_PKT_IPV6_EXT_MAX of them. Each must
 * lie wholly inside the frame to be walked; one that does not ends the walk
 * without ports, but a Home Address option or type-2 routing address found
 * before it still counts. A fragment header ends the walk too (vtap rule):
 * every fragment of a packet carries the same unfragmentable part, so all
 * of them hash alike, and a later fragment has no upper-layer header to
 * find. Its next-header value becomes ip_proto.
 *
 * The scan of destination options for a Home Address option is bounded
 * (vtap rule, VTAP_PKT_OPT_*; the steering program stops at the same
 * places): padding runs of at most 7 bytes, at most 8 options read per
 * frame. Past a bound the frame is cut short (opts_cut) and no Home Address
 * is taken from there on, so no frame makes the parse, or the program,
 * cost more than a few times an ordinary one.
 */
#include <netinet/in.h>
#include <string.h>

#include "internal.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define VLAN_MAX 2

#define IPV4_HLEN_MIN 20
#define IPV4_MF 0x2000
#define IPV4_OFFSET 0x1fff
#define IPV6_HLEN 40

#define IPV6_FRAG_HLEN 8
#define IPV6_OPT_PAD1 0
#define IPV6_OPT_PADN 1
#define IPV6_OPT_HAO 0xc9
#define IPV6_HAO_LEN 16
#define IPV6_RH2_TYPE 2
#define IPV6_RH2_HDRLEN 2 /* in 8-byte units past the first 8 bytes */
#define IPV6_RH2_SEGLEFT 1
#define IPV6_RH2_ADDR_OFF 8

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Skip Ethernet and VLAN tags. Return the IP version the EtherType names
 * (4 or 6) and its offset in *ret_off, or 0 for anything else.
 */
static int parse_l2(const uint8_t *b, size_t len, struct vtap_pkt_info *info,
		    size_t *ret_off)
{
	size_t off = ETH_HLEN;
	uint16_t type;

	if (len < ETH_HLEN)
		return 0;
	type = get_be16(b + 12);
	while (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (info->n_vlan == VLAN_MAX || len < off + VLAN_HLEN)
			return 0;
		type = get_be16(b + off + 2);
		off += VLAN_HLEN;
		info->n_vlan++;
	}
	*ret_off = off;
	if (type == ETH_P_IPV4)
		return 4;
	if (type == ETH_P_IPV6)
		return 6;
	return 0;
}

/*
 * Set l4 and the ports when the header at l4_off is TCP or UDP, the packet
 * is not a fragment and both ports lie inside the frame.
 */
static void parse_ports(const uint8_t *b, size_t len,
			struct vtap_pkt_info *info)
{
	size_t off = info->l4_off;

	if (info->is_frag || len < 4 || off > len - 4)
		return;
	if (info->ip_proto == IPPROTO_TCP)
		info->l4 = VTAP_PKT_L4_TCP;
	else if (info->ip_proto == IPPROTO_UDP)
		info->l4 = VTAP_PKT_L4_UDP;
	else
		return;
	memcpy(&info->sport, b + off, 2);
	memcpy(&info->dport, b + off + 2, 2);
}

static void parse_ipv4(const uint8_t *b, size_t len, size_t off,
		       struct vtap_pkt_info *info)
{
	const uint8_t *ip = b + off;
	size_t hlen;
	uint16_t frag;

	if (len - off < IPV4_HLEN_MIN || ip[0] >> 4 != 4)
		return;
	hlen = (size_t)(ip[0] & 0xf) * 4;
	if (hlen < IPV4_HLEN_MIN || len - off < hlen)
		return;
	info->l3 = VTAP_PKT_L3_IPV4;
	frag = get_be16(ip + 6);
	info->is_frag = (frag & (IPV4_MF | IPV4_OFFSET)) != 0;
	info->ip_proto = ip[9];
	info->l4_off = (uint16_t)(off + hlen);
	memcpy(info->src, ip + 12, 4);
	memcpy(info->dst, ip + 16, 4);
	parse_ports(b, len, info);
}

/*
 * Look for a Home Address option in the destination options header
 * [@p, @end). Options are read in order; one running past the header ends
 * the scan. The scan is bounded: padding runs of at most
 * VTAP_PKT_OPT_PAD_MAX bytes (as the kernel's ip6_parse_tlv() requires)
 * and *@steps (what is left of the frame's VTAP_PKT_OPT_STEPS_MAX) options
 * read; going past one ends the scan of the frame (*@steps = 0) and sets
 * opts_cut. steer.bpf.c's scan_dstopts() is the twin.
 */
static void scan_dstopts(const uint8_t *p, const uint8_t *end,
			 unsigned int *steps, struct vtap_pkt_info *info)
{
	unsigned int pad = 0;

	p += 2;
	while (p < end) {
		size_t olen;

		if (!*steps) {
			info->opts_cut = true;
			return;
		}
		--*steps;
		if (p[0] == IPV6_OPT_PAD1) {
			if (++pad > VTAP_PKT_OPT_PAD_MAX) {
				info->opts_cut = true;
				*steps = 0;
				return;
			}
			p++;
			continue;
		}
		if (end - p < 2)
			return;
		olen = p[1];
		if ((size_t)(end - p - 2) < olen)
			return;
		if (p[0] == IPV6_OPT_PADN) {
			pad += 2 + (unsigned int)olen;
			if (pad > VTAP_PKT_OPT_PAD_MAX) {
				info->opts_cut = true;
				*steps = 0;
				return;
			}
		} else {
			if (p[0] == IPV6_OPT_HAO && olen == IPV6_HAO_LEN) {
				memcpy(info->hao, p + 2, IPV6_HAO_LEN);
				info->has_hao = true;
				return;
			}
			pad = 0;
		}
		p += 2 + olen;
	}
}

static bool is_ipv6_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_AH;
}

/* The VTAP_PKT_EXT_* bit of an extension header type. */
static uint32_t ext_bit(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
		return VTAP_PKT_EXT_HOP;
	case IPPROTO_ROUTING:
		return VTAP_PKT_EXT_ROUTING;
	case IPPROTO_FRAGMENT:
		return VTAP_PKT_EXT_FRAG;
	case IPPROTO_DSTOPTS:
		return VTAP_PKT_EXT_DST;
	default:
		return VTAP_PKT_EXT_AH;
	}
}

static void parse_ipv6(const uint8_t *b, size_t len, size_t off,
		       struct vtap_pkt_info *info, uint32_t *ext)
{
	const uint8_t *ip = b + off;
	unsigned int steps = VTAP_PKT_OPT_STEPS_MAX;
	uint8_t nh;
	bool complete = false;

	if (len - off < IPV6_HLEN || ip[0] >> 4 != 6)
		return;
	info->l3 = VTAP_PKT_L3_IPV6;
	memcpy(info->src, ip + 8, 16);
	memcpy(info->dst, ip + 24, 16);
	nh = ip[6];
	off += IPV6_HLEN;

	for (unsigned int n = 0;; n++) {
		const uint8_t *h = b + off;
		size_t hlen;

		if (!is_ipv6_ext(nh)) {
			complete = true;
			break;
		}
		/* One header more than the vtap rule allows: no ports. */
		if (n == VTAP_PKT_IPV6_EXT_MAX || len - off < 2)
			break;
		if (nh == IPPROTO_FRAGMENT)
			hlen = IPV6_FRAG_HLEN;
		else if (nh == IPPROTO_AH)
			hlen = ((size_t)h[1] + 2) * 4;
		else
			hlen = ((size_t)h[1] + 1) * 8;
		if (len - off < hlen)
			break;

		*ext |= ext_bit(nh);
		if (nh == IPPROTO_DSTOPTS && !info->has_hao)
			scan_dstopts(h, h + hlen, &steps, info);
		else if (nh == IPPROTO_ROUTING && !info->has_rh2 &&
			 h[1] == IPV6_RH2_HDRLEN && h[2] == IPV6_RH2_TYPE &&
			 h[3] == IPV6_RH2_SEGLEFT) {
			memcpy(info->rh2, h + IPV6_RH2_ADDR_OFF, 16);
			info->has_rh2 = true;
		}
		off += hlen;
		if (nh == IPPROTO_FRAGMENT) {
			/* Ends the walk (see the top of the file). */
			info->is_frag = true;
			nh = h[0];
			break;
		}
		nh = h[0];
	}
	info->ip_proto = nh;
	info->l4_off = (uint16_t)off;
	if (complete)
		parse_ports(b, len, info);
}

int vtap_pkt__parse(const void *frame, size_t len, unsigned int flags,
		    struct vtap_pkt_info *ret_info)
{
	uint32_t ext;

	return vtap_pkt_parse_ext(frame, len, flags, ret_info, &ext);
}

int vtap_pkt_parse_ext(const void *frame, size_t len, unsigned int flags,
		       struct vtap_pkt_info *ret_info, uint32_t *ret_ext)
{
	const uint8_t *b = frame;
	struct vtap_pkt_info info;
	uint32_t ext = 0;
	size_t off = 0;
	int version;

	if (!frame || !ret_info || !ret_ext)
		return vtap_err(-EINVAL);
	memset(&info, 0, sizeof(info));
	/* Offsets are 16 bits; a longer frame is parsed over its first 64K. */
	if (len > UINT16_MAX)
		len = UINT16_MAX;

	if (flags & VTAP_PKT_L3)
		version = len ? b[0] >> 4 : 0;
	else
		version = parse_l2(b, len, &info, &off);
	info.l3_off = (uint16_t)off;
	if (off < len) {
		if (version == 4)
			parse_ipv4(b, len, off, &info);
		else if (version == 6)
			parse_ipv6(b, len, off, &info, &ext);
	}
	if (info.l3 == VTAP_PKT_L3_NONE) {
		uint8_t n_vlan = info.n_vlan;

		memset(&info, 0, sizeof(info));
		info.n_vlan = n_vlan;
		info.l3_off = (uint16_t)off;
		ext = 0;
	}
	*ret_info = info;
	*ret_ext = ext;
	return 0;
}
