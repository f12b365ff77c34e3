// SPDX-License-Identifier: MIT
/*
 * test_pkt.c - vtap_pkt__parse() on frames built with frames.h: Ethernet,
 * VLAN/QinQ, IPv4 options and fragments, IPv6 extension header chains,
 * HAO/RH2 edge cases, truncation, TUN mode; plus frames.h's own checksums
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"
#include "vtap/vtap.h"

static const uint8_t v4_src[4] = {192, 0, 2, 1};
static const uint8_t v4_dst[4] = {198, 51, 100, 7};
static uint8_t v6_src[16], v6_dst[16], v6_home[16], v6_home2[16];

static int setup(void **state)
{
	(void)state;
	frame_pton(AF_INET6, "2001:db8::1", v6_src);
	frame_pton(AF_INET6, "2001:db8:ffff::2", v6_dst);
	frame_pton(AF_INET6, "2001:db8:1111::aa", v6_home);
	frame_pton(AF_INET6, "2001:db8:2222::bb", v6_home2);
	return 0;
}

/* Parse the first @len bytes of @f from an exact-size heap copy (ASan). */
static struct vtap_pkt_info parse_len(const struct frame *f, size_t len,
				      unsigned int flags)
{
	struct vtap_pkt_info info;
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, f->data, len);
	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(vtap_pkt__parse(copy, len, flags, &info), 0);
	free(copy);
	return info;
}

static struct vtap_pkt_info parse(const struct frame *f, unsigned int flags)
{
	return parse_len(f, f->len, flags);
}

static uint16_t be16(uint16_t v)
{
	return htons(v);
}

static void assert_none(const struct vtap_pkt_info *info)
{
	assert_int_equal(info->l3, VTAP_PKT_L3_NONE);
	assert_int_equal(info->l4, VTAP_PKT_L4_NONE);
	assert_false(info->is_frag);
	assert_false(info->has_hao);
	assert_false(info->has_rh2);
}

static void build_v4(struct frame *f, int l4)
{
	frame_init(f);
	frame_eth(f, NULL, NULL);
	frame_ipv4(f, v4_src, v4_dst);
	if (l4 == FRAME_IPPROTO_TCP)
		frame_tcp(f, 1234, 80);
	else if (l4 == FRAME_IPPROTO_UDP)
		frame_udp(f, 5353, 53);
	else if (l4 == FRAME_IPPROTO_ICMP)
		frame_icmp(f, 8, 0);
	frame_payload(f, NULL, 10);
	frame_finish(f);
}

static void test_ipv4_tcp_udp_icmp(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	build_v4(&f, FRAME_IPPROTO_TCP);
	info = parse(&f, 0);
	assert_int_equal(info.l3, VTAP_PKT_L3_IPV4);
	assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
	assert_int_equal(info.l3_off, 14);
	assert_int_equal(info.l4_off, 34);
	assert_int_equal(info.ip_proto, 6);
	assert_int_equal(info.n_vlan, 0);
	assert_false(info.is_frag);
	assert_memory_equal(info.src, v4_src, 4);
	assert_memory_equal(info.dst, v4_dst, 4);
	assert_int_equal(info.sport, be16(1234));
	assert_int_equal(info.dport, be16(80));

	build_v4(&f, FRAME_IPPROTO_UDP);
	info = parse(&f, 0);
	assert_int_equal(info.l4, VTAP_PKT_L4_UDP);
	assert_int_equal(info.ip_proto, 17);
	assert_int_equal(info.sport, be16(5353));
	assert_int_equal(info.dport, be16(53));

	build_v4(&f, FRAME_IPPROTO_ICMP);
	info = parse(&f, 0);
	assert_int_equal(info.l3, VTAP_PKT_L3_IPV4);
	assert_int_equal(info.l4, VTAP_PKT_L4_NONE);
	assert_int_equal(info.ip_proto, 1);
	assert_int_equal(info.l4_off, 34);
}

static void test_vlan_qinq(void **state)
{
	static const uint16_t tpids[] = {FRAME_ETH_P_8021Q, FRAME_ETH_P_8021AD};
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	for (unsigned int n = 0; n <= 3; n++) {
		/* Every combination of the two TPIDs over n tags. */
		for (unsigned int combo = 0; combo < (1u << n); combo++) {
			frame_init(&f);
			frame_eth(&f, NULL, NULL);
			for (unsigned int i = 0; i < n; i++)
				frame_vlan(&f, tpids[(combo >> i) & 1],
					   (uint16_t)(10 + i));
			frame_ipv4(&f, v4_src, v4_dst);
			frame_tcp(&f, 1, 2);
			frame_finish(&f);
			info = parse(&f, 0);
			if (n == 3) {
				/* A third tag is not skipped: no IP. */
				assert_none(&info);
				continue;
			}
			assert_int_equal(info.n_vlan, n);
			assert_int_equal(info.l3, VTAP_PKT_L3_IPV4);
			assert_int_equal(info.l3_off, 14 + 4 * n);
			assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
			assert_int_equal(info.l4_off, 34 + 4 * n);
		}
	}
	/* Other TPIDs (0x9100) are not VLAN tags here. */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_vlan(&f, 0x9100, 1);
	frame_ipv4(&f, v4_src, v4_dst);
	frame_finish(&f);
	info = parse(&f, 0);
	assert_none(&info);
}

static void test_ipv4_options(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	for (size_t opts = 0; opts <= 40; opts += 4) {
		frame_init(&f);
		frame_eth(&f, NULL, NULL);
		frame_ipv4_ex(&f, v4_src, v4_dst, NULL, opts, 0);
		frame_udp(&f, 7, 9);
		frame_finish(&f);
		info = parse(&f, 0);
		assert_int_equal(info.l3, VTAP_PKT_L3_IPV4);
		assert_int_equal(info.l4, VTAP_PKT_L4_UDP);
		assert_int_equal(info.l4_off, 34 + opts);
		assert_int_equal(info.sport, be16(7));
		assert_int_equal(info.dport, be16(9));
		/* Header (with options) cut short: no IP at all. */
		info = parse_len(&f, 34 + opts - 1, 0);
		assert_none(&info);
		/* Header whole, ports not: IP without ports. */
		for (size_t cut = 0; cut < 4; cut++) {
			info = parse_len(&f, 34 + opts + cut, 0);
			assert_int_equal(info.l3, VTAP_PKT_L3_IPV4);
			assert_int_equal(info.l4, VTAP_PKT_L4_NONE);
		}
		info = parse_len(&f, 34 + opts + 4, 0);
		assert_int_equal(info.l4, VTAP_PKT_L4_UDP);
	}
	/* IHL below 5 is malformed. */
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		build_v4(&f, FRAME_IPPROTO_TCP);
		f.data[14] = (uint8_t)(0x40 | ihl);
		info = parse(&f, 0);
		assert_none(&info);
	}
}

static void test_ipv4_fragments(void **state)
{
	static const struct {
		uint16_t frag;
		bool is_frag;
	} cases[] = {
		{0, false},
		{FRAME_IPV4_DF, false},
		{FRAME_IPV4_MF, true}, /* first */
		{FRAME_IPV4_MF | FRAME_IPV4_OFFSET(1480), true}, /* middle */
		{FRAME_IPV4_OFFSET(8), true}, /* last */
		{FRAME_IPV4_OFFSET(65528), true},
	};
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		frame_init(&f);
		frame_eth(&f, NULL, NULL);
		frame_ipv4_ex(&f, v4_src, v4_dst, NULL, 8, cases[i].frag);
		frame_tcp(&f, 1000, 2000);
		frame_finish(&f);
		info = parse(&f, 0);
		assert_int_equal(info.l3, VTAP_PKT_L3_IPV4);
		assert_int_equal(info.is_frag, cases[i].is_frag);
		assert_int_equal(info.ip_proto, 6);
		assert_int_equal(info.l4, cases[i].is_frag ? VTAP_PKT_L4_NONE
							   : VTAP_PKT_L4_TCP);
	}
}

static void test_length_fields_ignored(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	/* IPv4 total length claiming only the header; trailing padding. */
	build_v4(&f, FRAME_IPPROTO_TCP);
	f.data[16] = 0;
	f.data[17] = 20;
	frame_put(&f, 30);
	info = parse(&f, 0);
	assert_int_equal(info.l4, VTAP_PKT_L4_TCP);

	/* IPv6 payload length 0 with a TCP header after it. */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_tcp(&f, 1, 2);
	frame_finish(&f);
	f.data[18] = 0;
	f.data[19] = 0;
	info = parse(&f, 0);
	assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
}

static void test_not_ip(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_arp(&f);
	info = parse(&f, 0);
	assert_none(&info);

	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_vlan(&f, FRAME_ETH_P_8021Q, 3);
	frame_arp(&f);
	info = parse(&f, 0);
	assert_none(&info);
	assert_int_equal(info.n_vlan, 1);

	/* Shorter than an Ethernet header, or exactly one. */
	build_v4(&f, FRAME_IPPROTO_TCP);
	for (size_t len = 0; len <= 14; len++) {
		info = parse_len(&f, len, 0);
		assert_none(&info);
	}
}

static void test_version_mismatch(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	/* EtherType IPv4 carrying an IPv6 header and the reverse. */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_tcp(&f, 1, 2);
	frame_finish(&f);
	f.data[12] = 0x08;
	f.data[13] = 0x00;
	info = parse(&f, 0);
	assert_none(&info);

	build_v4(&f, FRAME_IPPROTO_TCP);
	frame_put(&f, 40); /* long enough for an IPv6 header */
	f.data[12] = 0x86;
	f.data[13] = 0xdd;
	info = parse(&f, 0);
	assert_none(&info);

	/* Version 5 or 0 under EtherType IPv4. */
	build_v4(&f, FRAME_IPPROTO_TCP);
	f.data[14] = 0x55;
	info = parse(&f, 0);
	assert_none(&info);
	f.data[14] = 0x05;
	info = parse(&f, 0);
	assert_none(&info);
}

static void test_tun_mode(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	frame_init_l3(&f);
	frame_ipv4(&f, v4_src, v4_dst);
	frame_udp(&f, 10, 20);
	frame_finish(&f);
	info = parse(&f, VTAP_PKT_L3);
	assert_int_equal(info.l3, VTAP_PKT_L3_IPV4);
	assert_int_equal(info.l3_off, 0);
	assert_int_equal(info.l4_off, 20);
	assert_int_equal(info.l4, VTAP_PKT_L4_UDP);
	assert_memory_equal(info.src, v4_src, 4);
	/* Without the flag it is not an Ethernet frame with IP. */
	info = parse(&f, 0);
	assert_none(&info);

	frame_init_l3(&f);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_ipv6_hao(&f, v6_home);
	frame_tcp(&f, 10, 20);
	frame_finish(&f);
	info = parse(&f, VTAP_PKT_L3);
	assert_int_equal(info.l3, VTAP_PKT_L3_IPV6);
	assert_int_equal(info.l4_off, 64);
	assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
	assert_true(info.has_hao);
	assert_memory_equal(info.hao, v6_home, 16);

	/* Versions other than 4 and 6, and empty input. */
	f.data[0] = 0x50;
	info = parse(&f, VTAP_PKT_L3);
	assert_none(&info);
	info = parse_len(&f, 0, VTAP_PKT_L3);
	assert_none(&info);

	/* An Ethernet frame read as IP: 02:.. has version 0. */
	build_v4(&f, FRAME_IPPROTO_TCP);
	info = parse(&f, VTAP_PKT_L3);
	assert_none(&info);
}

static void test_ipv6_basic(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_tcp(&f, 443, 50000);
	frame_finish(&f);
	info = parse(&f, 0);
	assert_int_equal(info.l3, VTAP_PKT_L3_IPV6);
	assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
	assert_int_equal(info.l3_off, 14);
	assert_int_equal(info.l4_off, 54);
	assert_int_equal(info.ip_proto, 6);
	assert_memory_equal(info.src, v6_src, 16);
	assert_memory_equal(info.dst, v6_dst, 16);
	assert_int_equal(info.sport, be16(443));
	assert_int_equal(info.dport, be16(50000));
	assert_false(info.has_hao);
	assert_false(info.has_rh2);
	/* The IPv6 header cut short: nothing. */
	info = parse_len(&f, 53, 0);
	assert_none(&info);
	info = parse_len(&f, 54, 0);
	assert_int_equal(info.l3, VTAP_PKT_L3_IPV6);
	assert_int_equal(info.l4, VTAP_PKT_L4_NONE);
	assert_int_equal(info.ip_proto, 6);
	assert_int_equal(info.l4_off, 54);

	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_icmp(&f, 128, 0);
	frame_finish(&f);
	info = parse(&f, 0);
	assert_int_equal(info.l3, VTAP_PKT_L3_IPV6);
	assert_int_equal(info.l4, VTAP_PKT_L4_NONE);
	assert_int_equal(info.ip_proto, 58);

	/* No next header (59) and ESP (50) are not walked. */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_ipv6_ext(&f, FRAME_IPPROTO_DSTOPTS, NULL, 6);
	frame_proto(&f, FRAME_IPPROTO_ESP);
	frame_payload(&f, NULL, 40);
	frame_finish(&f);
	info = parse(&f, 0);
	assert_int_equal(info.l4, VTAP_PKT_L4_NONE);
	assert_int_equal(info.ip_proto, 50);
	assert_int_equal(info.l4_off, 62);
}

static void test_ipv6_ext_chain(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;
	uint8_t ah_body[30] = {0};

	(void)state;
	/* Every walked type once, AH with a 20-byte ICV (32 bytes). */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_ipv6_ext(&f, FRAME_IPPROTO_HOPOPTS, NULL, 6);
	frame_ipv6_ext(&f, FRAME_IPPROTO_DSTOPTS, NULL, 14);
	frame_ipv6_ext(&f, FRAME_IPPROTO_ROUTING, (const uint8_t[]){0, 0},
		       2); /* type 0, seg 0 */
	frame_ipv6_ext(&f, FRAME_IPPROTO_AH, ah_body, sizeof(ah_body));
	frame_udp(&f, 1111, 2222);
	frame_finish(&f);
	assert_int_equal(f.data[54 + 8 + 16 + 8 + 1], 32 / 4 - 2);
	info = parse(&f, 0);
	assert_int_equal(info.l4, VTAP_PKT_L4_UDP);
	assert_int_equal(info.l4_off, 54 + 8 + 16 + 8 + 32);
	assert_int_equal(info.ip_proto, 17);
	assert_int_equal(info.sport, be16(1111));
	assert_false(info.has_hao);
	assert_false(info.has_rh2);
}

/* A chain of @n destination options headers, then TCP. */
static void build_chain(struct frame *f, unsigned int n)
{
	frame_init(f);
	frame_eth(f, NULL, NULL);
	frame_ipv6(f, v6_src, v6_dst);
	for (unsigned int i = 0; i < n; i++)
		frame_ipv6_ext(f, FRAME_IPPROTO_DSTOPTS, NULL, 6);
	frame_tcp(f, 80, 8080);
	frame_finish(f);
}

static void test_ipv6_ext_max(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	for (unsigned int n = 0; n <= VTAP_PKT_IPV6_EXT_MAX + 2; n++) {
		build_chain(&f, n);
		info = parse(&f, 0);
		assert_int_equal(info.l3, VTAP_PKT_L3_IPV6);
		if (n <= VTAP_PKT_IPV6_EXT_MAX) {
			assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
			assert_int_equal(info.ip_proto, 6);
			assert_int_equal(info.l4_off, 54 + 8 * n);
		} else {
			/* Stopped at header 9: its type and offset. */
			assert_int_equal(info.l4, VTAP_PKT_L4_NONE);
			assert_int_equal(info.ip_proto, 60);
			assert_int_equal(info.l4_off,
					 54 + 8 * VTAP_PKT_IPV6_EXT_MAX);
		}
	}

	/* HAO in the 8th header counts; in the 9th it is never reached. */
	for (unsigned int pos = 8; pos <= 9; pos++) {
		frame_init(&f);
		frame_eth(&f, NULL, NULL);
		frame_ipv6(&f, v6_src, v6_dst);
		for (unsigned int i = 1; i < pos; i++)
			frame_ipv6_ext(&f, FRAME_IPPROTO_HOPOPTS, NULL, 6);
		frame_ipv6_hao(&f, v6_home);
		frame_udp(&f, 1, 2);
		frame_finish(&f);
		info = parse(&f, 0);
		assert_int_equal(info.has_hao, pos == 8);
		assert_int_equal(info.l4,
				 pos == 8 ? VTAP_PKT_L4_UDP : VTAP_PKT_L4_NONE);
	}
}

static void test_ipv6_fragment(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	for (int later = 0; later <= 1; later++) {
		frame_init(&f);
		frame_eth(&f, NULL, NULL);
		frame_ipv6(&f, v6_src, v6_dst);
		frame_ipv6_hao(&f, v6_home);
		frame_ipv6_rh2(&f, v6_home2);
		frame_ipv6_frag(&f, later ? 1448 : 0, !later, 77);
		if (later) {
			frame_proto(&f, FRAME_IPPROTO_TCP);
			frame_payload(&f, NULL, 40);
		} else {
			frame_tcp(&f, 1, 2);
		}
		frame_finish(&f);
		info = parse(&f, 0);
		assert_int_equal(info.l3, VTAP_PKT_L3_IPV6);
		assert_true(info.is_frag);
		assert_int_equal(info.l4, VTAP_PKT_L4_NONE);
		assert_int_equal(info.ip_proto, 6);
		assert_int_equal(info.l4_off, 54 + 24 + 24 + 8);
		assert_true(info.has_hao);
		assert_true(info.has_rh2);
		assert_memory_equal(info.hao, v6_home, 16);
		assert_memory_equal(info.rh2, v6_home2, 16);
	}

	/* The walk ends at the fragment header: a HAO after it is unseen. */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_ipv6_frag(&f, 0, true, 1);
	frame_ipv6_hao(&f, v6_home);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	info = parse(&f, 0);
	assert_true(info.is_frag);
	assert_false(info.has_hao);
	assert_int_equal(info.ip_proto, 60);
}

/* IPv6 + one destination options header with @opts, then UDP. */
static struct vtap_pkt_info parse_dstopts(const uint8_t *opts, size_t len)
{
	struct frame f;

	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_ipv6_ext(&f, FRAME_IPPROTO_DSTOPTS, opts, len);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	return parse(&f, 0);
}

static void test_hao_options(void **state)
{
	uint8_t o[64];
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	/* Pad1 bytes before the HAO. */
	memset(o, 0, sizeof(o));
	o[3] = 0xc9;
	o[4] = 16;
	memcpy(o + 5, v6_home, 16);
	info = parse_dstopts(o, 21);
	assert_true(info.has_hao);
	assert_memory_equal(info.hao, v6_home, 16);
	assert_int_equal(info.l4, VTAP_PKT_L4_UDP);

	/* HAO of length 18 is skipped; a proper one after it is found. */
	memset(o, 0, sizeof(o));
	o[0] = 0xc9;
	o[1] = 18;
	memcpy(o + 2, v6_home2, 16);
	o[20] = 0xc9;
	o[21] = 16;
	memcpy(o + 22, v6_home, 16);
	info = parse_dstopts(o, 38);
	assert_true(info.has_hao);
	assert_memory_equal(info.hao, v6_home, 16);

	/* HAO of length 14 only: none. */
	memset(o, 0, sizeof(o));
	o[0] = 0xc9;
	o[1] = 14;
	info = parse_dstopts(o, 16);
	assert_false(info.has_hao);

	/* PadN, other TLVs, then the HAO. */
	memset(o, 0, sizeof(o));
	o[0] = 1;
	o[1] = 3;
	o[5] = 0x1e; /* some other option */
	o[6] = 1;
	o[8] = 0xc9;
	o[9] = 16;
	memcpy(o + 10, v6_home, 16);
	info = parse_dstopts(o, 26);
	assert_true(info.has_hao);

	/* An option running past its header ends the scan of the header. */
	memset(o, 0, sizeof(o));
	o[0] = 0x1e;
	o[1] = 200;
	o[2] = 0xc9; /* inside the bogus option's "data" */
	o[3] = 16;
	memcpy(o + 4, v6_home, 16);
	info = parse_dstopts(o, 20);
	assert_false(info.has_hao);
	assert_int_equal(info.l4, VTAP_PKT_L4_UDP); /* the walk goes on */

	/* A HAO whose data would run past the header. */
	memset(o, 0, sizeof(o));
	o[5] = 0xc9; /* at byte 7 of a 24-byte header, data to byte 25 */
	o[6] = 16;
	memcpy(o + 7, v6_home, 13);
	info = parse_dstopts(o, 20);
	assert_false(info.has_hao);

	/* Option type and length byte: only the type fits. */
	memset(o, 0, sizeof(o));
	o[5] = 0xc9;
	info = parse_dstopts(o, 6);
	assert_false(info.has_hao);

	/* First HAO wins across headers; a hop-by-hop HAO is not one. */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	memset(o, 0, sizeof(o));
	o[4] = 0xc9;
	o[5] = 16;
	memcpy(o + 6, v6_home2, 16);
	frame_ipv6_ext(&f, FRAME_IPPROTO_HOPOPTS, o, 22);
	frame_ipv6_ext(&f, FRAME_IPPROTO_DSTOPTS, NULL, 6);
	frame_ipv6_hao(&f, v6_home);
	frame_ipv6_hao(&f, v6_home2);
	frame_tcp(&f, 1, 2);
	frame_finish(&f);
	info = parse(&f, 0);
	assert_true(info.has_hao);
	assert_memory_equal(info.hao, v6_home, 16);
	assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
}

static void test_rh2(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;
	uint8_t *rh;

	(void)state;
	/* Not RH2: segments left 0, type 0, type 2 with length 4. */
	for (int variant = 0; variant < 3; variant++) {
		uint8_t body[38] = {2, 1};

		frame_init(&f);
		frame_eth(&f, NULL, NULL);
		frame_ipv6(&f, v6_src, v6_dst);
		memcpy(body + 6, v6_home, 16);
		if (variant == 0)
			body[1] = 0;
		else if (variant == 1)
			body[0] = 0;
		rh = frame_ipv6_ext(&f, FRAME_IPPROTO_ROUTING, body,
				    variant == 2 ? 38 : 22);
		assert_int_equal(rh[1], variant == 2 ? 4 : 2);
		frame_ipv6_rh2(&f, v6_home2);
		frame_tcp(&f, 1, 2);
		frame_finish(&f);
		info = parse(&f, 0);
		/* The first is walked over, the second is the RH2. */
		assert_true(info.has_rh2);
		assert_memory_equal(info.rh2, v6_home2, 16);
		assert_int_equal(info.l4, VTAP_PKT_L4_TCP);
		assert_int_equal(info.l4_off, f.l4_off);
	}

	/* The first RH2 wins. */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_ipv6_rh2(&f, v6_home);
	frame_ipv6_rh2(&f, v6_home2);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	info = parse(&f, 0);
	assert_true(info.has_rh2);
	assert_memory_equal(info.rh2, v6_home, 16);
}

static void test_ipv6_truncated_chain(void **state)
{
	struct vtap_pkt_info info;
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, v6_src, v6_dst);
	frame_ipv6_hao(&f, v6_home); /* 54..78 */
	frame_ipv6_ext(&f, FRAME_IPPROTO_HOPOPTS, NULL, 14); /* 78..94 */
	frame_ipv6_rh2(&f, v6_home2); /* 94..118 */
	frame_tcp(&f, 1, 2); /* 118.. */
	frame_finish(&f);
	for (size_t len = 0; len <= f.len; len++) {
		info = parse_len(&f, len, 0);
		if (len < 54) {
			assert_none(&info);
			continue;
		}
		assert_int_equal(info.l3, VTAP_PKT_L3_IPV6);
		assert_int_equal(info.has_hao, len >= 78);
		assert_int_equal(info.has_rh2, len >= 118);
		assert_int_equal(info.l4, len >= 122 ? VTAP_PKT_L4_TCP
						     : VTAP_PKT_L4_NONE);
		if (len < 78)
			assert_int_equal(info.ip_proto, 60);
		else if (len < 94)
			assert_int_equal(info.ip_proto, 0);
		else if (len < 118)
			assert_int_equal(info.ip_proto, 43);
		else
			assert_int_equal(info.ip_proto, 6);
	}
}

static void test_null_args(void **state)
{
	struct vtap_pkt_info info;
	uint8_t b[1] = {0};

	(void)state;
	assert_int_equal(vtap_pkt__parse(NULL, 0, 0, &info), -EINVAL);
	assert_int_equal(vtap_pkt__parse(b, 1, 0, NULL), -EINVAL);
}

/* frames.h self-check: a textbook IPv4 header checksum and UDP/TCP sums. */
static void test_frames_checksums(void **state)
{
	static const uint8_t a[4] = {192, 168, 0, 1};
	static const uint8_t b[4] = {192, 168, 0, 199};
	struct frame f;
	uint8_t *ip;

	(void)state;
	/* 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7 */
	frame_init_l3(&f);
	frame_ipv4(&f, a, b);
	frame_udp(&f, 1, 2);
	frame_payload(&f, NULL, 0x73 - 28);
	frame_finish(&f);
	ip = f.data;
	ip[4] = 0;
	ip[5] = 0;
	frame_finish(&f);
	assert_int_equal(ip[2] << 8 | ip[3], 0x73);
	assert_int_equal(ip[9], 17);
	assert_int_equal(ip[10] << 8 | ip[11], 0xb861);
	assert_int_equal(f.data[24] << 8 | f.data[25], 0x73 - 20);
	assert_true(frame_is_consistent(&f));

	/* Whole-packet sums with the pseudo header fold to zero. */
	for (int v6 = 0; v6 <= 1; v6++) {
		for (int tcp = 0; tcp <= 1; tcp++) {
			uint32_t sum = 0;
			size_t l4_len;

			frame_init(&f);
			frame_eth(&f, NULL, NULL);
			if (v6) {
				frame_ipv6(&f, v6_src, v6_dst);
				frame_ipv6_hao(&f, v6_home);
				frame_ipv6_rh2(&f, v6_home2);
			} else {
				frame_ipv4(&f, v4_src, v4_dst);
			}
			if (tcp)
				frame_tcp(&f, 1234, 80);
			else
				frame_udp(&f, 1234, 80);
			frame_payload(&f, NULL, 33);
			frame_finish(&f);
			l4_len = f.len - f.l4_off;
			if (v6) {
				sum = frame_sum(sum, v6_home, 16);
				sum = frame_sum(sum, v6_home2, 16);
			} else {
				sum = frame_sum(sum, v4_src, 4);
				sum = frame_sum(sum, v4_dst, 4);
			}
			sum += (uint32_t)l4_len + f.l4_proto;
			sum = frame_sum(sum, f.data + f.l4_off, l4_len);
			assert_int_equal(frame_fold(sum), 0);
			assert_true(frame_is_consistent(&f));
			f.data[f.len - 1] ^= 1;
			assert_false(frame_is_consistent(&f));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp_udp_icmp),
		cmocka_unit_test(test_vlan_qinq),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_length_fields_ignored),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_version_mismatch),
		cmocka_unit_test(test_tun_mode),
		cmocka_unit_test(test_ipv6_basic),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_ext_max),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_hao_options),
		cmocka_unit_test(test_rh2),
		cmocka_unit_test(test_ipv6_truncated_chain),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_frames_checksums),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
