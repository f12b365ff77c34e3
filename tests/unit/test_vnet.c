// SPDX-License-Identifier: MIT
/*
 * test_vnet.c - virtio-net header codec and the header/frame checks
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

static void test_decode_layout(void **state)
{
	/* Hand-written little-endian bytes, per the spec's layout table. */
	const uint8_t b[20] = {
		0x01, 0x81, 0x36, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00,
		0x03, 0x00, 0x78, 0x56, 0x34, 0x12, 0x02, 0x00, 0xee, 0xee,
	};
	struct vtap_vnet_hdr h;
	size_t sizes[] = {10, 12, 20};

	for (size_t i = 0; i < 3; i++) {
		uint8_t *copy = malloc(sizes[i]);

		memcpy(copy, b, sizes[i]);
		memset(&h, 0xaa, sizeof(h));
		assert_int_equal(vtap_vnet__decode(copy, sizes[i], &h), 0);
		free(copy);
		assert_int_equal(h.flags, VTAP_VNET_F_NEEDS_CSUM);
		assert_int_equal(h.gso_type,
				 VTAP_VNET_GSO_TCPV4 | VTAP_VNET_GSO_ECN);
		assert_int_equal(h.hdr_len, 0x36);
		assert_int_equal(h.gso_size, 1448);
		assert_int_equal(h.csum_start, 0x22);
		assert_int_equal(h.csum_offset, 16);
		assert_int_equal(h.num_buffers, sizes[i] >= 12 ? 3 : 0);
		assert_int_equal(h.hash_value, sizes[i] >= 20 ? 0x12345678 : 0);
		assert_int_equal(h.hash_report, sizes[i] >= 20 ? 2 : 0);
	}
}

static void test_round_trip(void **state)
{
	size_t sizes[] = {10, 12, 14, 16, 18, 20, 24};

	srand(7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int k = 0; k < 200; k++) {
			size_t n = sizes[i];
			uint8_t *buf = malloc(n), *again = malloc(n);
			struct vtap_vnet_hdr h, h2;

			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)rand();
			/* Bytes no field covers are written as zeros. */
			if (n >= 20) {
				memset(buf + 18, 0, n - 18);
			} else if (n > 12) {
				/* 14: hash_value does not fit wholly. */
				memset(buf + 12, 0, n - 12);
				if (n >= 16) {
					for (size_t j = 12; j < 16; j++)
						buf[j] = (uint8_t)rand();
				}
			}
			assert_int_equal(vtap_vnet__decode(buf, n, &h), 0);
			memset(again, 0x5a, n);
			assert_int_equal(vtap_vnet__encode(&h, again, n), 0);
			assert_memory_equal(buf, again, n);
			assert_int_equal(vtap_vnet__decode(again, n, &h2), 0);
			assert_int_equal(h.flags, h2.flags);
			assert_int_equal(h.gso_type, h2.gso_type);
			assert_int_equal(h.hdr_len, h2.hdr_len);
			assert_int_equal(h.gso_size, h2.gso_size);
			assert_int_equal(h.csum_start, h2.csum_start);
			assert_int_equal(h.csum_offset, h2.csum_offset);
			assert_int_equal(h.num_buffers, h2.num_buffers);
			assert_int_equal(h.hash_value, h2.hash_value);
			assert_int_equal(h.hash_report, h2.hash_report);
			free(buf);
			free(again);
		}
	}
}

static void test_codec_errors(void **state)
{
	uint8_t b[20] = {0};
	struct vtap_vnet_hdr h = {0};

	assert_int_equal(vtap_vnet__decode(b, 9, &h), -EINVAL);
	assert_int_equal(vtap_vnet__decode(NULL, 10, &h), -EINVAL);
	assert_int_equal(vtap_vnet__decode(b, 10, NULL), -EINVAL);
	assert_int_equal(vtap_vnet__encode(&h, b, 9), -EINVAL);
	assert_int_equal(vtap_vnet__encode(NULL, b, 10), -EINVAL);
	/* Encoding a 10-byte header leaves bytes past it alone. */
	memset(b, 0x77, sizeof(b));
	h.num_buffers = 9;
	assert_int_equal(vtap_vnet__encode(&h, b, 10), 0);
	assert_int_equal(b[10], 0x77);
}

static void test_reason_names(void **state)
{
	for (int i = 0; i < VTAP_DROP__COUNT; i++) {
		const char *n = vtap_drop_reason__name(i);

		assert_non_null(n);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, vtap_drop_reason__name(j));
	}
	assert_string_equal(vtap_drop_reason__name(VTAP_DROP_GSO_SIZE),
			    "gso_size");
	assert_null(vtap_drop_reason__name(VTAP_DROP__COUNT));
	assert_null(vtap_drop_reason__name((enum vtap_drop_reason) - 1));
}

enum { V4, V6 };
enum { TCP, UDP };

/* A valid GSO frame: Ethernet, IPv4/IPv6, TCP/UDP, @payload bytes. */
static void build(struct frame *f, int v6, int udp, size_t payload)
{
	frame_l4(f, v6, udp, 1000, 2000, payload);
}

static struct vtap_vnet_hdr hdr_for(const struct frame *f, int v6, int udp)
{
	struct vtap_vnet_hdr h = {
		.flags = VTAP_VNET_F_NEEDS_CSUM,
		.gso_type = udp	 ? VTAP_VNET_GSO_UDP_L4
			    : v6 ? VTAP_VNET_GSO_TCPV6
				 : VTAP_VNET_GSO_TCPV4,
		.gso_size = 100,
		.csum_start = (uint16_t)f->l4_off,
		.csum_offset = udp ? 6 : 16,
		.hdr_len = (uint16_t)(f->l4_off + (udp ? 8 : 20)),
	};
	return h;
}

/* Check @f (an exact-size heap copy) with @h; return the reason or -1. */
static int check(const struct vtap_vnet_hdr *h, const struct frame *f,
		 unsigned int flags, struct vtap_vnet_layout *lo)
{
	uint8_t *copy = malloc(f->len ? f->len : 1);
	enum vtap_drop_reason r = VTAP_DROP__COUNT;
	int err;

	memcpy(copy, f->data, f->len);
	err = vtap_vnet__check_frame(h, copy, f->len, flags, lo, &r);
	free(copy);
	if (!err) {
		assert_int_equal(r, VTAP_DROP__COUNT); /* untouched */
		return -1;
	}
	assert_int_equal(err, -EINVAL);
	return (int)r;
}

static void test_check_valid(void **state)
{
	static struct frame f;
	struct vtap_vnet_layout lo;

	for (int v6 = 0; v6 < 2; v6++)
		for (int udp = 0; udp < 2; udp++) {
			struct vtap_vnet_hdr h;

			build(&f, v6, udp, 1000);
			h = hdr_for(&f, v6, udp);
			assert_int_equal(check(&h, &f, 0, &lo), -1);
			assert_int_equal(lo.l3, v6 ? VTAP_PKT_L3_IPV6
						   : VTAP_PKT_L3_IPV4);
			assert_int_equal(lo.l4, udp ? VTAP_PKT_L4_UDP
						    : VTAP_PKT_L4_TCP);
			assert_int_equal(lo.l3_off, f.l3_off);
			assert_int_equal(lo.l4_off, f.l4_off);
			assert_int_equal(lo.hdrs_len,
					 f.l4_off + (udp ? 8 : 20));
			assert_int_equal(lo.payload, 1000);
			assert_int_equal(lo.segs, 10);
			/* The ECN bit on TCP is fine. */
			if (!udp) {
				h.gso_type |= VTAP_VNET_GSO_ECN;
				assert_int_equal(check(&h, &f, 0, NULL), -1);
			}
			/* Without NEEDS_CSUM TCP GSO is fine too. */
			if (!udp) {
				h.flags = 0;
				h.csum_offset = 0;
				assert_int_equal(check(&h, &f, 0, NULL), -1);
			}
		}
	/* Not longer than gso_size: one segment. */
	build(&f, V4, TCP, 100);
	struct vtap_vnet_hdr h = hdr_for(&f, V4, TCP);
	assert_int_equal(check(&h, &f, 0, &lo), -1);
	assert_int_equal(lo.segs, 1);
	h.gso_size = 99;
	assert_int_equal(check(&h, &f, 0, &lo), -1);
	assert_int_equal(lo.segs, 2);
	build(&f, V4, TCP, 0);
	h = hdr_for(&f, V4, TCP);
	assert_int_equal(check(&h, &f, 0, &lo), -1);
	assert_int_equal(lo.segs, 1);
	/* Non-GSO frames are not parsed. */
	h = (struct vtap_vnet_hdr){0};
	assert_int_equal(check(&h, &f, 0, &lo), -1);
	assert_int_equal(lo.l3, VTAP_PKT_L3_NONE);
	assert_int_equal(lo.segs, 1);
}

static void test_check_reasons(void **state)
{
	static struct frame f;
	struct vtap_vnet_hdr h, base;

	build(&f, V4, TCP, 1000);
	base = hdr_for(&f, V4, TCP);

	/* SHORT: below an Ethernet header. */
	{
		struct frame *s = malloc(sizeof(*s));

		memcpy(s, &f, sizeof(*s));
		s->len = 13;
		h = (struct vtap_vnet_hdr){0};
		assert_int_equal(check(&h, s, 0, NULL), VTAP_DROP_SHORT);
		s->len = 14;
		assert_int_equal(check(&h, s, 0, NULL), -1);
		free(s);
	}

	/* GSO_TYPE */
	const uint8_t bad_types[] = {2, 6, 7, 0x40, 0x80, 0x83, 0x85, 0xff};
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		h = base;
		h.gso_type = bad_types[i];
		assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_GSO_TYPE);
	}

	/* GSO_SIZE */
	h = base;
	h.gso_size = 0;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_GSO_SIZE);
	h.gso_size = 0xffff;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_GSO_SIZE);
	h = (struct vtap_vnet_hdr){0}; /* gso_size ignored without GSO */
	assert_int_equal(check(&h, &f, 0, NULL), -1);

	/* HDR_LEN */
	h = base;
	h.hdr_len = (uint16_t)(f.len + 1);
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HDR_LEN);
	h.hdr_len = (uint16_t)f.len;
	assert_int_equal(check(&h, &f, 0, NULL), -1);
	h.hdr_len = 13;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HDR_LEN);

	/* CSUM: past the end, exactly at the end */
	h = (struct vtap_vnet_hdr){.flags = VTAP_VNET_F_NEEDS_CSUM};
	h.csum_start = (uint16_t)(f.len - 2);
	h.csum_offset = 0;
	assert_int_equal(check(&h, &f, 0, NULL), -1);
	h.csum_offset = 1;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);
	h.csum_start = 0xffff;
	h.csum_offset = 0xffff;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);
	h.csum_start = 19; /* below the smallest network header */
	h.csum_offset = 0;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);
	/* TCP with NEEDS_CSUM: offset 16 only */
	h = base;
	h.csum_offset = 6;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);
	/* csum_start not at the TCP header */
	h = base;
	h.csum_start = (uint16_t)(f.l4_off + 2);
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);

	/* UDP_L4 needs NEEDS_CSUM and offset 6 */
	build(&f, V6, UDP, 1000);
	base = hdr_for(&f, V6, UDP);
	assert_int_equal(check(&base, &f, 0, NULL), -1);
	h = base;
	h.flags = 0;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);
	h = base;
	h.csum_offset = 16;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);
	/* TCPV6 needs csum_start >= 40 */
	h = base;
	h.gso_type = VTAP_VNET_GSO_TCPV6;
	h.csum_start = 38;
	h.csum_offset = 16;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);

	/* TOO_BIG: more UDP segments than the kernel takes */
	h = base;
	h.gso_size = 1000 / VTAP_VNET_UDP_SEGS_MAX + 1; /* 8 -> 125 segs */
	assert_int_equal(check(&h, &f, 0, NULL), -1);
	h.gso_size = 7; /* 143 segs */
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_TOO_BIG);
}

static void test_check_headers(void **state)
{
	static struct frame f;
	struct vtap_vnet_hdr h;
	uint8_t s4[4] = {10, 0, 0, 1}, d4[4] = {10, 0, 0, 2};
	uint8_t s6[16] = {0xfd, [15] = 1}, d6[16] = {0xfd, [15] = 2};

	/* gso_type does not match the frame */
	build(&f, V6, TCP, 500);
	h = hdr_for(&f, V6, TCP);
	h.gso_type = VTAP_VNET_GSO_TCPV4;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	build(&f, V4, TCP, 500);
	h = hdr_for(&f, V4, TCP);
	h.gso_type = VTAP_VNET_GSO_TCPV6;
	/* csum_start 34 is below an IPv6 header: the kernel's check. */
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_CSUM);
	h.flags = 0;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	h = hdr_for(&f, V4, TCP);
	h.gso_type = VTAP_VNET_GSO_UDP_L4;
	h.csum_offset = 6;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	build(&f, V4, UDP, 500);
	h = hdr_for(&f, V4, UDP);
	h.gso_type = VTAP_VNET_GSO_TCPV4;
	h.csum_offset = 16;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);

	/* IPv4: IHL < 5, version mismatch, fragment */
	build(&f, V4, TCP, 500);
	h = hdr_for(&f, V4, TCP);
	f.data[f.l3_off] = 0x44;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	f.data[f.l3_off] = 0x65;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	f.data[f.l3_off] = 0x45;
	f.data[f.l3_off + 6] |= 0x20; /* MF */
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	f.data[f.l3_off + 6] = 0;
	f.data[f.l3_off + 7] = 1; /* offset 8 */
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	f.data[f.l3_off + 7] = 0;
	assert_int_equal(check(&h, &f, 0, NULL), -1);
	/* TCP data offset < 5, or past the end */
	f.data[f.l4_off + 12] = 4 << 4;
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	{
		struct frame *s = malloc(sizeof(*s));

		memcpy(s, &f, sizeof(*s));
		s->data[s->l4_off + 12] = 15 << 4;
		s->len = s->l4_off + 59;
		h.hdr_len = 0;
		h.csum_offset = 16;
		assert_int_equal(check(&h, s, 0, NULL), VTAP_DROP_HEADERS);
		s->len = s->l4_off + 60;
		assert_int_equal(check(&h, s, 0, NULL), -1);
		free(s);
	}

	/* Not IP at all (ARP), with a TCP GSO type */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_arp(&f);
	frame_payload(&f, NULL, 100);
	h = (struct vtap_vnet_hdr){.gso_type = VTAP_VNET_GSO_TCPV4,
				   .gso_size = 10};
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);

	/* IPv6 fragment header */
	frame_init(&f);
	frame_eth(&f, NULL, NULL);
	frame_ipv6(&f, s6, d6);
	frame_ipv6_frag(&f, 0, true, 1);
	frame_tcp(&f, 1, 2);
	frame_payload(&f, NULL, 300);
	frame_finish(&f);
	h = hdr_for(&f, V6, TCP);
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);

	/* IPv6: 8 extension headers are walked, 9 are not */
	for (int n = 8; n <= 9; n++) {
		frame_init(&f);
		frame_eth(&f, NULL, NULL);
		frame_ipv6(&f, s6, d6);
		for (int i = 0; i < n; i++)
			frame_ipv6_ext(&f, FRAME_IPPROTO_DSTOPTS, NULL, 6);
		frame_tcp(&f, 1, 2);
		frame_payload(&f, NULL, 300);
		frame_finish(&f);
		h = hdr_for(&f, V6, TCP);
		assert_int_equal(check(&h, &f, 0, NULL),
				 n == 8 ? -1 : VTAP_DROP_HEADERS);
	}

	/* VLAN: two tags parsed, a third is not */
	for (int n = 1; n <= 3; n++) {
		frame_init(&f);
		frame_eth(&f, NULL, NULL);
		for (int i = 0; i < n; i++)
			frame_vlan(&f, i ? 0x8100 : 0x88a8, 5);
		frame_ipv4(&f, s4, d4);
		frame_tcp(&f, 1, 2);
		frame_payload(&f, NULL, 300);
		frame_finish(&f);
		h = hdr_for(&f, V4, TCP);
		assert_int_equal(check(&h, &f, 0, NULL),
				 n <= 2 ? -1 : VTAP_DROP_HEADERS);
	}
}

static void test_check_tun_mode(void **state)
{
	static struct frame f;
	uint8_t s4[4] = {10, 0, 0, 1}, d4[4] = {10, 0, 0, 2};
	struct vtap_vnet_layout lo;
	struct vtap_vnet_hdr h;

	frame_init_l3(&f);
	frame_ipv4(&f, s4, d4);
	frame_tcp(&f, 1, 2);
	frame_payload(&f, NULL, 300);
	frame_finish(&f);
	assert_int_equal(f.l3_off, 0);
	h = hdr_for(&f, V4, TCP);
	h.hdr_len = 0;
	assert_int_equal(check(&h, &f, VTAP_PKT_L3, &lo), -1);
	assert_int_equal(lo.l3_off, 0);
	assert_int_equal(lo.l4_off, 20);
	/* Read as Ethernet it is not IPv4/TCP. */
	assert_int_equal(check(&h, &f, 0, NULL), VTAP_DROP_HEADERS);
	/* A 13-byte bare IP "frame" is not short in TUN mode, just bad. */
	h = (struct vtap_vnet_hdr){0};
	f.len = 13;
	assert_int_equal(check(&h, &f, VTAP_PKT_L3, NULL), -1);
}

/* Every prefix of valid frames, as exact-size heap copies (ASan). */
static void test_check_truncated(void **state)
{
	static struct frame f;
	uint8_t s6[16] = {0xfd, [15] = 1}, d6[16] = {0xfd, [15] = 2};
	uint8_t home[16] = {0x20, 0x01, [15] = 9};

	for (int k = 0; k < 3; k++) {
		struct vtap_vnet_hdr h;
		size_t full;

		if (k < 2) {
			build(&f, k, TCP, 200);
		} else {
			frame_init(&f);
			frame_eth(&f, NULL, NULL);
			frame_vlan(&f, 0x8100, 3);
			frame_ipv6(&f, s6, d6);
			frame_ipv6_ext(&f, FRAME_IPPROTO_HOPOPTS, NULL, 6);
			frame_ipv6_hao(&f, home);
			frame_ipv6_rh2(&f, home);
			frame_ipv6_ah(&f, 7);
			frame_udp(&f, 1, 2);
			frame_payload(&f, NULL, 200);
			frame_finish(&f);
		}
		h = hdr_for(&f, k == 1 || k == 2, k == 2);
		full = f.len;
		for (size_t n = 0; n <= full; n++) {
			f.len = n;
			int r = check(&h, &f, 0, NULL);
			int rn = check(&h, &f, VTAP_PKT_L3, NULL);

			(void)rn;
			/* Valid exactly when everything the header names
			 * is there: hdr_len and the checksum field. */
			assert_true((r == -1) ==
				    (n >= h.hdr_len &&
				     n >= h.csum_start + h.csum_offset + 2u));
		}
		f.len = full;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_layout),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_codec_errors),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_check_valid),
		cmocka_unit_test(test_check_reasons),
		cmocka_unit_test(test_check_headers),
		cmocka_unit_test(test_check_tun_mode),
		cmocka_unit_test(test_check_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
