// SPDX-License-Identifier: MIT
/*
 * vnet.c - virtio-net header encode, decode and validation against a frame
 *
 * Theory of operation
 * ===================
 *
 * Layouts are those of the virtio spec ("Packet header"; SPEC-NOTES.md
 * "Header layouts"), always little-endian: tun cannot do big-endian
 * headers without a kernel option (TUNSETVNETBE), so vtap never uses them.
 *
 * vtap_vnet__check_frame() applies what the kernel's tap write path
 * refuses (tun_get_user(): frame and hdr_len at least ETH_HLEN, hdr_len
 * inside the frame; virtio_net_hdr_to_skb(): GSO types, gso_size, the
 * checksum fields) and, for GSO frames, a parse of the headers the GSO
 * type names. That parse is the single source of truth for the header
 * positions software GSO uses (struct vtap_vnet_layout): gso.c never
 * looks at a byte the parse has not proven to lie inside the frame.
 *
 * The parse is bounded by the frame's length only: GSO frames are longer
 * than their IP length fields say, so those fields are neither used nor
 * checked (gso.c rewrites them per segment).
 */
#include <string.h>

#include "internal.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define GSO_BY_FRAGS 0xffff

static const char *const drop_names[] = {
	[VTAP_DROP_SHORT] = "short",
	[VTAP_DROP_GSO_TYPE] = "gso_type",
	[VTAP_DROP_GSO_SIZE] = "gso_size",
	[VTAP_DROP_CSUM] = "csum",
	[VTAP_DROP_HDR_LEN] = "hdr_len",
	[VTAP_DROP_HEADERS] = "headers",
	[VTAP_DROP_TOO_BIG] = "too_big",
	[VTAP_DROP_QUEUE_FULL] = "queue_full",
	[VTAP_DROP_UNSUPPORTED] = "unsupported",
	[VTAP_DROP_IO] = "io",
};
_Static_assert(ARRAY_SIZE(drop_names) == VTAP_DROP__COUNT,
	       "every drop reason has a name");

const char *vtap_drop_reason__name(enum vtap_drop_reason reason)
{
	if ((unsigned int)reason >= VTAP_DROP__COUNT)
		return NULL;
	return drop_names[reason];
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int vtap_vnet__decode(const void *buf, size_t hdr_size,
		      struct vtap_vnet_hdr *ret)
{
	const uint8_t *p = buf;
	struct vtap_vnet_hdr h = {0};

	if (!buf || !ret || hdr_size < VTAP_VNET_HDR_LEN)
		return vtap_err(-EINVAL);
	h.flags = p[0];
	h.gso_type = p[1];
	h.hdr_len = get_le16(p + 2);
	h.gso_size = get_le16(p + 4);
	h.csum_start = get_le16(p + 6);
	h.csum_offset = get_le16(p + 8);
	if (hdr_size >= VTAP_VNET_HDR_V1_LEN)
		h.num_buffers = get_le16(p + 10);
	if (hdr_size >= 16)
		h.hash_value = get_le32(p + 12);
	if (hdr_size >= 18)
		h.hash_report = get_le16(p + 16);
	if (hdr_size >= VTAP_VNET_HDR_TUNNEL_LEN) {
		h.outer_th_offset = get_le16(p + 20);
		h.inner_nh_offset = get_le16(p + 22);
	}
	*ret = h;
	return 0;
}

int vtap_vnet__encode(const struct vtap_vnet_hdr *h, void *buf, size_t hdr_size)
{
	uint8_t *p = buf;

	if (!h || !buf || hdr_size < VTAP_VNET_HDR_LEN)
		return vtap_err(-EINVAL);
	memset(p, 0, hdr_size);
	p[0] = h->flags;
	p[1] = h->gso_type;
	put_le16(p + 2, h->hdr_len);
	put_le16(p + 4, h->gso_size);
	put_le16(p + 6, h->csum_start);
	put_le16(p + 8, h->csum_offset);
	if (hdr_size >= VTAP_VNET_HDR_V1_LEN)
		put_le16(p + 10, h->num_buffers);
	if (hdr_size >= 16)
		put_le32(p + 12, h->hash_value);
	if (hdr_size >= 18)
		put_le16(p + 16, h->hash_report);
	if (hdr_size >= VTAP_VNET_HDR_TUNNEL_LEN) {
		put_le16(p + 20, h->outer_th_offset);
		put_le16(p + 22, h->inner_nh_offset);
	}
	return 0;
}

/*
 * Walk IPv6 extension headers from @off (the fixed header at @l3), up to
 * VTAP_PKT_IPV6_EXT_MAX. Records the checksum addresses (HAO, final
 * destination of a type 2 or 4 routing header). Returns the upper-layer
 * protocol with *off at its header, or -1 (fragment, no next header, too
 * many, truncated).
 */
static int walk_ipv6(const uint8_t *p, size_t len, size_t *off,
		     struct vtap_vnet_layout *lo)
{
	uint8_t nh = p[lo->l3_off + 6];
	size_t o = *off;

	for (int i = 0; i <= VTAP_PKT_IPV6_EXT_MAX; i++) {
		size_t hl;

		switch (nh) {
		case 0: /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
		case 51: /* authentication header */
			break;
		default:
			/* 44 (fragment), 59 (no next header), anything else:
			 * the caller decides on the protocol value. */
			*off = o;
			return nh;
		}
		if (i == VTAP_PKT_IPV6_EXT_MAX || o + 8 > len)
			return -1;
		hl = nh == 51 ? ((size_t)p[o + 1] + 2) * 4
			      : ((size_t)p[o + 1] + 1) * 8;
		if (o + hl > len)
			return -1;
		if (nh == 43 && p[o + 3] > 0) {
			/* Segments left: the pseudo-header uses the final
			 * destination (RFC 8200 8.1). Type 2 carries exactly
			 * one address; SRH (4) lists the final one first. */
			if ((p[o + 2] == 2 || p[o + 2] == 4) && hl >= 24)
				lo->ip6_dst_off = (uint16_t)(o + 8);
			else
				lo->ip6_dst_known = false;
		}
		if (nh == 60) {
			/* Home Address option: the checksum uses it as the
			 * source (RFC 6275 6.3). */
			size_t q = o + 2;

			while (q < o + hl) {
				if (p[q] == 0) {
					q++;
					continue;
				}
				if (q + 2 > o + hl || q + 2 + p[q + 1] > o + hl)
					break;
				if (p[q] == 0xc9 && p[q + 1] == 16) {
					lo->ip6_src_off = (uint16_t)(q + 2);
					break;
				}
				q += 2 + (size_t)p[q + 1];
			}
		}
		nh = p[o];
		o += hl;
	}
	return -1;
}

/*
 * Parse the L2/L3/L4 headers of a GSO frame as @gso_type says they are.
 * Returns 0 with @lo filled, or -1 (reason HEADERS).
 */
static int parse_headers(const uint8_t *p, size_t len, unsigned int flags,
			 uint8_t gso_type, struct vtap_vnet_layout *lo)
{
	uint8_t want_l3 = VTAP_PKT_L3_NONE, want_proto, proto;
	size_t off = 0;

	switch (gso_type & ~VTAP_VNET_GSO_ECN) {
	case VTAP_VNET_GSO_TCPV4:
		want_l3 = VTAP_PKT_L3_IPV4;
		want_proto = IPPROTO_TCP_;
		break;
	case VTAP_VNET_GSO_TCPV6:
		want_l3 = VTAP_PKT_L3_IPV6;
		want_proto = IPPROTO_TCP_;
		break;
	default: /* UDP, UDP_L4: either IP version */
		want_proto = IPPROTO_UDP_;
		break;
	}

	if (flags & VTAP_PKT_L3) {
		if (len < 1)
			return -1;
		lo->l3 = p[0] >> 4 == 4	  ? VTAP_PKT_L3_IPV4
			 : p[0] >> 4 == 6 ? VTAP_PKT_L3_IPV6
					  : VTAP_PKT_L3_NONE;
	} else {
		uint16_t type;
		int vlans = 0;

		if (len < ETH_HLEN)
			return -1;
		type = get_be16(p + 12);
		off = ETH_HLEN;
		while ((type == ETH_P_8021Q || type == ETH_P_8021AD) &&
		       vlans < 2) {
			if (off + 4 > len)
				return -1;
			type = get_be16(p + off + 2);
			off += 4;
			vlans++;
		}
		lo->l3 = type == ETH_P_IP     ? VTAP_PKT_L3_IPV4
			 : type == ETH_P_IPV6 ? VTAP_PKT_L3_IPV6
					      : VTAP_PKT_L3_NONE;
	}
	if (lo->l3 == VTAP_PKT_L3_NONE ||
	    (want_l3 != VTAP_PKT_L3_NONE && lo->l3 != want_l3))
		return -1;
	lo->l3_off = (uint16_t)off;

	if (lo->l3 == VTAP_PKT_L3_IPV4) {
		size_t ihl;

		if (off + 20 > len || p[off] >> 4 != 4)
			return -1;
		ihl = (size_t)(p[off] & 0xf) * 4;
		if (ihl < 20 || off + ihl > len)
			return -1;
		/* MF or a fragment offset: not a segmentable packet. */
		if (get_be16(p + off + 6) & 0x3fff)
			return -1;
		proto = p[off + 9];
		off += ihl;
	} else {
		int nh;

		if (off + 40 > len || p[off] >> 4 != 6)
			return -1;
		lo->ip6_src_off = (uint16_t)(off + 8);
		lo->ip6_dst_off = (uint16_t)(off + 24);
		lo->ip6_dst_known = true;
		off += 40;
		nh = walk_ipv6(p, len, &off, lo);
		if (nh < 0)
			return -1;
		proto = (uint8_t)nh;
	}
	if (proto != want_proto)
		return -1;
	lo->l4_off = (uint16_t)off;

	if (proto == IPPROTO_TCP_) {
		size_t doff;

		if (off + 20 > len)
			return -1;
		doff = (size_t)(p[off + 12] >> 4) * 4;
		if (doff < 20 || off + doff > len)
			return -1;
		lo->l4 = VTAP_PKT_L4_TCP;
		off += doff;
	} else {
		if (off + 8 > len)
			return -1;
		lo->l4 = VTAP_PKT_L4_UDP;
		off += 8;
	}
	lo->hdrs_len = (uint16_t)off;
	return 0;
}

/*
 * The headers of a UDP tunnel GSO frame: the outer ones (the IP version
 * the tunnel bit names, UDP at outer_th_offset), then the inner packet at
 * inner_nh_offset parsed as a bare IP frame of the inner GSO type. @lo
 * describes the inner headers (offsets from the frame's start) and where
 * the outer ones are. Returns 0, or -1 (reason HEADERS).
 */
static int parse_tunnel(const struct vtap_vnet_hdr *h, const uint8_t *p,
			size_t len, unsigned int flags,
			struct vtap_vnet_layout *lo)
{
	struct vtap_vnet_layout outer = {0}, inner = {0};
	uint8_t want = h->gso_type & VTAP_VNET_GSO_UDP_TUNNEL_IPV4
			       ? VTAP_PKT_L3_IPV4
			       : VTAP_PKT_L3_IPV6;
	size_t nh = h->inner_nh_offset;

	if (parse_headers(p, len, flags, VTAP_VNET_GSO_UDP_L4, &outer) < 0 ||
	    outer.l3 != want || outer.l4_off != h->outer_th_offset ||
	    nh < outer.hdrs_len || nh >= len)
		return -1;
	if (parse_headers(p + nh, len - nh, VTAP_PKT_L3,
			  h->gso_type & ~VTAP_VNET_GSO_UDP_TUNNEL, &inner) < 0)
		return -1;
	*lo = inner;
	lo->l3_off = (uint16_t)(nh + inner.l3_off);
	lo->l4_off = (uint16_t)(nh + inner.l4_off);
	lo->hdrs_len = (uint16_t)(nh + inner.hdrs_len);
	lo->ip6_src_off =
		(uint16_t)(inner.ip6_src_off ? nh + inner.ip6_src_off : 0);
	lo->ip6_dst_off =
		(uint16_t)(inner.ip6_dst_off ? nh + inner.ip6_dst_off : 0);
	lo->outer_l3 = outer.l3;
	lo->outer_l3_off = outer.l3_off;
	lo->outer_th_off = outer.l4_off;
	return 0;
}

static int refuse(enum vtap_drop_reason reason,
		  enum vtap_drop_reason *ret_reason)
{
	if (ret_reason)
		*ret_reason = reason;
	return vtap_err(-EINVAL);
}

int vtap_vnet__check_frame(const struct vtap_vnet_hdr *h, const void *frame,
			   size_t len, unsigned int flags,
			   struct vtap_vnet_layout *ret_layout,
			   enum vtap_drop_reason *ret_reason)
{
	struct vtap_vnet_layout lo = {0};
	const bool tap = !(flags & VTAP_PKT_L3);
	uint8_t type, tunnel;
	bool csum;

	if (!h || (!frame && len))
		return refuse(VTAP_DROP_SHORT, ret_reason);
	if (tap && len < ETH_HLEN)
		return refuse(VTAP_DROP_SHORT, ret_reason);

	tunnel = h->gso_type & VTAP_VNET_GSO_UDP_TUNNEL;
	type = h->gso_type & ~(VTAP_VNET_GSO_ECN | VTAP_VNET_GSO_UDP_TUNNEL);
	switch (type) {
	case VTAP_VNET_GSO_NONE:
	case VTAP_VNET_GSO_UDP:
	case VTAP_VNET_GSO_UDP_L4:
		if (h->gso_type & VTAP_VNET_GSO_ECN)
			return refuse(VTAP_DROP_GSO_TYPE, ret_reason);
		break;
	case VTAP_VNET_GSO_TCPV4:
	case VTAP_VNET_GSO_TCPV6:
		break;
	default:
		return refuse(VTAP_DROP_GSO_TYPE, ret_reason);
	}
	/* A tunnel carries TCP or UDP_L4 GSO, over IPv4 or IPv6, not both. */
	if (tunnel && (tunnel == VTAP_VNET_GSO_UDP_TUNNEL ||
		       type == VTAP_VNET_GSO_NONE || type == VTAP_VNET_GSO_UDP))
		return refuse(VTAP_DROP_GSO_TYPE, ret_reason);
	if (type != VTAP_VNET_GSO_NONE &&
	    (h->gso_size == 0 || h->gso_size == GSO_BY_FRAGS))
		return refuse(VTAP_DROP_GSO_SIZE, ret_reason);

	if (h->hdr_len > len || (tap && h->hdr_len && h->hdr_len < ETH_HLEN))
		return refuse(VTAP_DROP_HDR_LEN, ret_reason);

	csum = h->flags & VTAP_VNET_F_NEEDS_CSUM;
	if (csum) {
		size_t min_start = type == VTAP_VNET_GSO_TCPV6 ? 40 : 20;

		if ((size_t)h->csum_start + h->csum_offset + 2 > len ||
		    h->csum_start < min_start)
			return refuse(VTAP_DROP_CSUM, ret_reason);
	}
	if ((type == VTAP_VNET_GSO_TCPV4 || type == VTAP_VNET_GSO_TCPV6) &&
	    csum && h->csum_offset != 16)
		return refuse(VTAP_DROP_CSUM, ret_reason);
	if (type == VTAP_VNET_GSO_UDP_L4 && (!csum || h->csum_offset != 6))
		return refuse(VTAP_DROP_CSUM, ret_reason);
	if (tunnel && !csum)
		return refuse(VTAP_DROP_CSUM, ret_reason);

	if (type == VTAP_VNET_GSO_NONE) {
		lo.hdrs_len = 0;
		lo.payload = (uint32_t)len;
		lo.segs = 1;
		goto out;
	}

	if (tunnel) {
		if (parse_tunnel(h, frame, len, flags, &lo) < 0)
			return refuse(VTAP_DROP_HEADERS, ret_reason);
	} else if (parse_headers(frame, len, flags, h->gso_type, &lo) < 0) {
		return refuse(VTAP_DROP_HEADERS, ret_reason);
	}
	if (csum && h->csum_start != lo.l4_off)
		return refuse(VTAP_DROP_CSUM, ret_reason);
	lo.payload = (uint32_t)(len - lo.hdrs_len);
	lo.segs = lo.payload ? (lo.payload + h->gso_size - 1) / h->gso_size : 1;
	if (type == VTAP_VNET_GSO_UDP) {
		/* UFO: IP fragments of gso_size bytes (rounded down to the
		 * 8-byte unit of fragment offsets), UDP header included. */
		uint32_t fs = h->gso_size & ~7u;
		uint32_t ip_payload = (uint32_t)(len - lo.l4_off);

		if (!fs)
			return refuse(VTAP_DROP_GSO_SIZE, ret_reason);
		lo.segs = (ip_payload + fs - 1) / fs;
	}
	if (type == VTAP_VNET_GSO_UDP_L4 && lo.segs > VTAP_VNET_UDP_SEGS_MAX)
		return refuse(VTAP_DROP_TOO_BIG, ret_reason);
out:
	if (ret_layout)
		*ret_layout = lo;
	return 0;
}

int vtap_vnet__check(const struct vtap_vnet_hdr *h, const void *frame,
		     size_t len, enum vtap_drop_reason *ret_reason)
{
	return vtap_vnet__check_frame(h, frame, len, 0, NULL, ret_reason);
}
