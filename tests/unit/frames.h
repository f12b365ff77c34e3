/* SPDX-License-Identifier: MIT */
/*
 * frames.h - build test frames layer by layer: Ethernet, VLAN/QinQ, ARP,
 * IPv4 (options, fragment fields), IPv6 with any chain of extension headers
 * (hop-by-hop, destination options with a Home Address option, type-2 and
 * other routing headers, fragment, AH), TCP, UDP, ICMP and ICMPv6, with
 * correct length fields and checksums
 *
 * Header-only (static inline) so that unit, BPF twin, network and fuzz
 * tests can share it without linking anything. Usage:
 *
 *	struct frame f;
 *
 *	frame_init(&f);			// frame_init_l3() for a bare IP packet
 *	frame_eth(&f, NULL, NULL);	// default MACs
 *	frame_vlan(&f, 0x8100, 5);	// optional, repeatable
 *	frame_ipv6(&f, src, dst);	// or frame_ipv4() / frame_ipv4_ex()
 *	frame_ipv6_hao(&f, home);	// any extension headers, in order
 *	frame_tcp(&f, 1234, 80);	// or udp/icmp, or frame_proto()
 *	frame_payload(&f, NULL, 100);	// optional
 *	frame_finish(&f);		// lengths and checksums
 *	... f.data, f.len ...
 *
 * Each layer writes its own type into the previous layer's type field
 * (EtherType, IPv4 protocol, IPv6 next header). After frame_finish() the
 * bytes may still be patched by hand to make a frame malformed. Overflowing
 * FRAME_MAX (define it before including for larger frames) aborts.
 *
 * Upper-layer checksums use the addresses the upper layer sees: the Home
 * Address instead of the source when a Home Address option is present and
 * the type-2 routing address instead of the destination (RFC 6275 6.3 and
 * 6.4; RFC 8200 8.1).
 */
#ifndef VTAP_TESTS_FRAMES_H
#define VTAP_TESTS_FRAMES_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FRAME_MAX
#define FRAME_MAX 9216
#endif

#define FRAME_NONE ((size_t)-1)

#define FRAME_ETH_P_IPV4 0x0800
#define FRAME_ETH_P_ARP 0x0806
#define FRAME_ETH_P_IPV6 0x86dd
#define FRAME_ETH_P_8021Q 0x8100
#define FRAME_ETH_P_8021AD 0x88a8

/* IPv4 flags/fragment-offset field values for frame_ipv4_ex(). */
#define FRAME_IPV4_DF 0x4000
#define FRAME_IPV4_MF 0x2000
/* Fragment offset @bytes (a multiple of 8) as a field value. */
#define FRAME_IPV4_OFFSET(bytes) ((uint16_t)((bytes) / 8))

#define FRAME_IPPROTO_HOPOPTS 0
#define FRAME_IPPROTO_ICMP 1
#define FRAME_IPPROTO_TCP 6
#define FRAME_IPPROTO_UDP 17
#define FRAME_IPPROTO_ROUTING 43
#define FRAME_IPPROTO_FRAGMENT 44
#define FRAME_IPPROTO_ESP 50
#define FRAME_IPPROTO_AH 51
#define FRAME_IPPROTO_ICMPV6 58
#define FRAME_IPPROTO_NONE 59
#define FRAME_IPPROTO_DSTOPTS 60

struct frame {
	size_t len;
	size_t l3_off; /* IP header, or FRAME_NONE */
	size_t l4_off; /* TCP/UDP/ICMP header added, or FRAME_NONE */
	size_t type_off; /* where the next EtherType goes, or FRAME_NONE */
	size_t nh_off; /* where the next protocol number goes, or NONE */
	int ip_version; /* 4, 6, or 0 before an IP header */
	uint8_t l4_proto;
	unsigned int n_ext; /* IPv6 extension headers added */
	bool has_hao;
	bool has_rh2;
	uint8_t hao[16];
	uint8_t rh2[16];
	uint8_t data[FRAME_MAX];
};

static inline void frame_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void frame_put_be32(uint8_t *p, uint32_t v)
{
	frame_put_be16(p, (uint16_t)(v >> 16));
	frame_put_be16(p + 2, (uint16_t)v);
}

/* Parse an address for tests; aborts on a typo. @out: 4 or 16 bytes. */
static inline void frame_pton(int af, const char *s, uint8_t *out)
{
	if (inet_pton(af, s, out) != 1) {
		fprintf(stderr, "frames: bad address '%s'\n", s);
		abort();
	}
}

/* Start an Ethernet frame (add frame_eth() next). */
static inline void frame_init(struct frame *f)
{
	f->len = 0;
	f->l3_off = FRAME_NONE;
	f->l4_off = FRAME_NONE;
	f->type_off = FRAME_NONE;
	f->nh_off = FRAME_NONE;
	f->ip_version = 0;
	f->l4_proto = 0;
	f->n_ext = 0;
	f->has_hao = false;
	f->has_rh2 = false;
	memset(f->hao, 0, sizeof(f->hao));
	memset(f->rh2, 0, sizeof(f->rh2));
}

/* Start a bare IP packet (TUN mode): same as frame_init(), no Ethernet. */
static inline void frame_init_l3(struct frame *f)
{
	frame_init(f);
}

/* Append @n zero bytes; return where they start. */
static inline uint8_t *frame_put(struct frame *f, size_t n)
{
	uint8_t *p;

	if (n > FRAME_MAX - f->len) {
		fprintf(stderr, "frames: frame longer than FRAME_MAX (%d)\n",
			FRAME_MAX);
		abort();
	}
	p = f->data + f->len;
	memset(p, 0, n);
	f->len += n;
	return p;
}

/* Write @type into the pending EtherType field, if any. */
static inline void frame_ethertype(struct frame *f, uint16_t type)
{
	if (f->type_off != FRAME_NONE)
		frame_put_be16(f->data + f->type_off, type);
	f->type_off = FRAME_NONE;
}

/* Write @proto into the pending IP protocol / next-header field. */
static inline void frame_proto(struct frame *f, uint8_t proto)
{
	if (f->nh_off != FRAME_NONE)
		f->data[f->nh_off] = proto;
	f->nh_off = FRAME_NONE;
}

/* Ethernet header; NULL MACs give 02:00:00:00:00:02 <- 02:00:00:00:00:01. */
static inline void frame_eth(struct frame *f, const uint8_t dst[6],
			     const uint8_t src[6])
{
	static const uint8_t def_dst[6] = {2, 0, 0, 0, 0, 2};
	static const uint8_t def_src[6] = {2, 0, 0, 0, 0, 1};
	uint8_t *p = frame_put(f, 14);

	memcpy(p, dst ? dst : def_dst, 6);
	memcpy(p + 6, src ? src : def_src, 6);
	f->type_off = (size_t)(p + 12 - f->data);
}

/* A VLAN tag with TPID @tpid (0x8100 or 0x88a8, or anything) and @vid. */
static inline void frame_vlan(struct frame *f, uint16_t tpid, uint16_t vid)
{
	uint8_t *p;

	frame_ethertype(f, tpid);
	p = frame_put(f, 4);
	frame_put_be16(p, vid & 0xfff);
	f->type_off = (size_t)(p + 2 - f->data);
}

/* An ARP request (who-has 192.0.2.2 tell 192.0.2.1). */
static inline void frame_arp(struct frame *f)
{
	uint8_t *p;

	frame_ethertype(f, FRAME_ETH_P_ARP);
	p = frame_put(f, 28);
	frame_put_be16(p, 1); /* Ethernet */
	frame_put_be16(p + 2, FRAME_ETH_P_IPV4);
	p[4] = 6;
	p[5] = 4;
	frame_put_be16(p + 6, 1); /* request */
	memcpy(p + 8, (const uint8_t[]){2, 0, 0, 0, 0, 1}, 6);
	memcpy(p + 14, (const uint8_t[]){192, 0, 2, 1}, 4);
	memcpy(p + 24, (const uint8_t[]){192, 0, 2, 2}, 4);
}

/*
 * IPv4 header with @opts_len bytes of options (a multiple of 4, at most 40;
 * NULL @opts gives NOPs) and the flags/fragment-offset field @frag
 * (FRAME_IPV4_MF | FRAME_IPV4_OFFSET(bytes), ...).
 */
static inline void frame_ipv4_ex(struct frame *f, const uint8_t src[4],
				 const uint8_t dst[4], const uint8_t *opts,
				 size_t opts_len, uint16_t frag)
{
	uint8_t *p;

	if (opts_len % 4 || opts_len > 40) {
		fprintf(stderr, "frames: bad IPv4 options length %zu\n",
			opts_len);
		abort();
	}
	frame_ethertype(f, FRAME_ETH_P_IPV4);
	p = frame_put(f, 20 + opts_len);
	f->l3_off = (size_t)(p - f->data);
	f->ip_version = 4;
	p[0] = (uint8_t)(0x40 | (20 + opts_len) / 4);
	frame_put_be16(p + 4, 0x1234); /* id */
	frame_put_be16(p + 6, frag);
	p[8] = 64; /* ttl */
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	if (opts)
		memcpy(p + 20, opts, opts_len);
	else
		memset(p + 20, 1, opts_len); /* NOP */
	f->nh_off = f->l3_off + 9;
}

static inline void frame_ipv4(struct frame *f, const uint8_t src[4],
			      const uint8_t dst[4])
{
	frame_ipv4_ex(f, src, dst, NULL, 0, FRAME_IPV4_DF);
}

static inline void frame_ipv6(struct frame *f, const uint8_t src[16],
			      const uint8_t dst[16])
{
	uint8_t *p;

	frame_ethertype(f, FRAME_ETH_P_IPV6);
	p = frame_put(f, 40);
	f->l3_off = (size_t)(p - f->data);
	f->ip_version = 6;
	p[0] = 0x60;
	p[7] = 64; /* hop limit */
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	f->nh_off = f->l3_off + 6;
}

/*
 * An IPv6 extension header of @type with @body (@body_len bytes after the
 * next-header and length bytes; NULL = zeros, which are Pad1 options),
 * zero-padded to its unit: 8 bytes for fragment, 4-byte units for AH (length
 * field = units - 2), 8-byte units for the others (length field = units - 1).
 * Return where the header starts.
 */
static inline uint8_t *frame_ipv6_ext(struct frame *f, uint8_t type,
				      const uint8_t *body, size_t body_len)
{
	size_t unit = type == FRAME_IPPROTO_AH ? 4 : 8;
	size_t total = (2 + body_len + unit - 1) / unit * unit;
	uint8_t *p;

	if (type == FRAME_IPPROTO_FRAGMENT)
		total = 8;
	if (body_len > total - 2) {
		fprintf(stderr, "frames: extension header body too long\n");
		abort();
	}
	frame_proto(f, type);
	p = frame_put(f, total);
	if (type == FRAME_IPPROTO_AH)
		p[1] = (uint8_t)(total / 4 - 2);
	else if (type != FRAME_IPPROTO_FRAGMENT)
		p[1] = (uint8_t)(total / 8 - 1);
	if (body)
		memcpy(p + 2, body, body_len);
	f->nh_off = (size_t)(p - f->data);
	f->n_ext++;
	return p;
}

/* Destination options header holding a Home Address option (RFC 6275). */
static inline void frame_ipv6_hao(struct frame *f, const uint8_t home[16])
{
	uint8_t body[22] = {1, 2, 0, 0, 0xc9, 16}; /* PadN(2), HAO */

	memcpy(body + 6, home, 16);
	frame_ipv6_ext(f, FRAME_IPPROTO_DSTOPTS, body, sizeof(body));
	if (!f->has_hao) {
		f->has_hao = true;
		memcpy(f->hao, home, 16);
	}
}

/* Type-2 routing header (RFC 6275: length 2, segments left 1). */
static inline void frame_ipv6_rh2(struct frame *f, const uint8_t home[16])
{
	uint8_t body[22] = {2, 1}; /* routing type, segments left */

	memcpy(body + 6, home, 16);
	frame_ipv6_ext(f, FRAME_IPPROTO_ROUTING, body, sizeof(body));
	if (!f->has_rh2) {
		f->has_rh2 = true;
		memcpy(f->rh2, home, 16);
	}
}

/* Fragment header: @offset in bytes (multiple of 8), @mf more fragments. */
static inline void frame_ipv6_frag(struct frame *f, uint16_t offset, bool mf,
				   uint32_t id)
{
	uint8_t body[6] = {0};

	frame_put_be16(body + 1, (uint16_t)((offset & ~7u) | (mf ? 1 : 0)));
	frame_put_be32(body + 2, id);
	frame_ipv6_ext(f, FRAME_IPPROTO_FRAGMENT, body, sizeof(body));
}

/* Authentication header with a 12-byte ICV (24 bytes in all). */
static inline void frame_ipv6_ah(struct frame *f, uint32_t spi)
{
	uint8_t body[22] = {0};

	frame_put_be32(body + 2, spi);
	frame_put_be32(body + 6, 1); /* sequence number */
	frame_ipv6_ext(f, FRAME_IPPROTO_AH, body, sizeof(body));
}

static inline void frame_tcp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *p;

	frame_proto(f, FRAME_IPPROTO_TCP);
	p = frame_put(f, 20);
	f->l4_off = (size_t)(p - f->data);
	f->l4_proto = FRAME_IPPROTO_TCP;
	frame_put_be16(p, sport);
	frame_put_be16(p + 2, dport);
	frame_put_be32(p + 4, 1000); /* seq */
	frame_put_be32(p + 8, 2000); /* ack */
	p[12] = 5 << 4;
	p[13] = 0x18; /* PSH, ACK */
	frame_put_be16(p + 14, 65535);
}

static inline void frame_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *p;

	frame_proto(f, FRAME_IPPROTO_UDP);
	p = frame_put(f, 8);
	f->l4_off = (size_t)(p - f->data);
	f->l4_proto = FRAME_IPPROTO_UDP;
	frame_put_be16(p, sport);
	frame_put_be16(p + 2, dport);
}

/* ICMP (IPv4) or ICMPv6 (IPv6) echo request-like header. */
static inline void frame_icmp(struct frame *f, uint8_t type, uint8_t code)
{
	uint8_t proto =
		f->ip_version == 6 ? FRAME_IPPROTO_ICMPV6 : FRAME_IPPROTO_ICMP;
	uint8_t *p;

	frame_proto(f, proto);
	p = frame_put(f, 8);
	f->l4_off = (size_t)(p - f->data);
	f->l4_proto = proto;
	p[0] = type;
	p[1] = code;
	frame_put_be16(p + 4, 0x77);
	frame_put_be16(p + 6, 1);
}

/* Append @n bytes of @data, or a counting pattern when @data is NULL. */
static inline void frame_payload(struct frame *f, const void *data, size_t n)
{
	uint8_t *p = frame_put(f, n);

	if (data)
		memcpy(p, data, n);
	else
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)i;
}

/* One's complement sum of @n bytes, added to @sum (not folded). */
static inline uint32_t frame_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static inline uint16_t frame_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Fill in the IP length fields, the UDP length and every checksum. Call it
 * once, after the last layer.
 */
static inline void frame_finish(struct frame *f)
{
	uint8_t *ip = f->l3_off != FRAME_NONE ? f->data + f->l3_off : NULL;
	size_t l4_len;
	uint32_t sum = 0;
	uint8_t *l4;
	int csum_off;

	if (!ip)
		return;
	if (f->ip_version == 4) {
		size_t hlen = (size_t)(ip[0] & 0xf) * 4;

		frame_put_be16(ip + 2, (uint16_t)(f->len - f->l3_off));
		frame_put_be16(ip + 10, 0);
		frame_put_be16(ip + 10, frame_fold(frame_sum(0, ip, hlen)));
	} else {
		frame_put_be16(ip + 4, (uint16_t)(f->len - f->l3_off - 40));
	}
	if (f->l4_off == FRAME_NONE)
		return;
	l4 = f->data + f->l4_off;
	l4_len = f->len - f->l4_off;
	switch (f->l4_proto) {
	case FRAME_IPPROTO_TCP:
		csum_off = 16;
		break;
	case FRAME_IPPROTO_UDP:
		csum_off = 6;
		frame_put_be16(l4 + 4, (uint16_t)l4_len);
		break;
	case FRAME_IPPROTO_ICMP:
	case FRAME_IPPROTO_ICMPV6:
		csum_off = 2;
		break;
	default:
		return;
	}
	frame_put_be16(l4 + csum_off, 0);
	/* Pseudo header (none for ICMPv4). */
	if (f->ip_version == 4 && f->l4_proto != FRAME_IPPROTO_ICMP) {
		sum = frame_sum(sum, ip + 12, 8);
		sum += f->l4_proto + (uint32_t)l4_len;
	} else if (f->ip_version == 6) {
		sum = frame_sum(sum, f->has_hao ? f->hao : ip + 8, 16);
		sum = frame_sum(sum, f->has_rh2 ? f->rh2 : ip + 24, 16);
		sum += (uint32_t)(l4_len >> 16) + (l4_len & 0xffff);
		sum += f->l4_proto;
	}
	sum = frame_sum(sum, l4, l4_len);
	sum = frame_fold(sum);
	/* UDP sends a computed 0 as 0xffff (0 means "no checksum"). */
	if (!sum && f->l4_proto == FRAME_IPPROTO_UDP)
		sum = 0xffff;
	frame_put_be16(l4 + csum_off, (uint16_t)sum);
}

/*
 * Whether the length fields and checksums of @f are what frame_finish()
 * writes; for tests that look at frames after they crossed the kernel
 * (set f->len, and the offsets, to describe the frame received).
 */
static inline bool frame_is_consistent(const struct frame *f)
{
	struct frame *c = malloc(sizeof(*c));
	bool ok;

	if (!c)
		return false;
	memcpy(c, f, sizeof(*c));
	frame_finish(c);
	ok = !memcmp(c->data, f->data, f->len);
	free(c);
	return ok;
}

/*
 * A finished frame: Ethernet, IPv4 10.0.0.1 > 10.0.0.2 or (@v6) IPv6
 * fd00::1 > fd00::2, TCP or (@udp) UDP from @sport to @dport, and @payload
 * bytes of frame_payload()'s default pattern.
 */
static inline void frame_l4(struct frame *f, bool v6, bool udp, uint16_t sport,
			    uint16_t dport, size_t payload)
{
	uint8_t s4[4], d4[4], s6[16], d6[16];

	frame_pton(AF_INET, "10.0.0.1", s4);
	frame_pton(AF_INET, "10.0.0.2", d4);
	frame_pton(AF_INET6, "fd00::1", s6);
	frame_pton(AF_INET6, "fd00::2", d6);
	frame_init(f);
	frame_eth(f, NULL, NULL);
	if (v6)
		frame_ipv6(f, s6, d6);
	else
		frame_ipv4(f, s4, d4);
	if (udp)
		frame_udp(f, sport, dport);
	else
		frame_tcp(f, sport, dport);
	frame_payload(f, NULL, payload);
	frame_finish(f);
}

#endif /* VTAP_TESTS_FRAMES_H */
