// SPDX-License-Identifier: MIT
/*
 * test_csum.c - Internet checksum helpers against a byte-pair reference
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

/* Reference: RFC 1071 over big-endian 16-bit words, folded, not inverted. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	sum = frame_sum(sum, p, n);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The library's folded sum as the big-endian value its bytes hold. */
static uint16_t lib_be(uint16_t mem)
{
	uint8_t b[2];

	memcpy(b, &mem, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Ones' complement equality: 0 and 0xffff are the same number. */
static int same(uint16_t a, uint16_t b)
{
	return a == b || ((a | b) == 0xffff && (a & b) == 0);
}

static void test_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the sum of these bytes is ddf2. */
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	assert_int_equal(lib_be(vtap_csum__fold(vtap_csum__partial(b, 8, 0))),
			 0xddf2);
	assert_int_equal(lib_be(vtap_csum__finish(vtap_csum__partial(b, 8, 0))),
			 (uint16_t)~0xddf2);
}

static void test_partial_all_lengths(void **state)
{
	uint8_t buf[600];

	srand(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	/* Every length and alignment, including all-0xff stretches. */
	memset(buf + 100, 0xff, 200);
	for (size_t off = 0; off < 9; off++) {
		for (size_t n = 0; n + off <= sizeof(buf); n++) {
			uint8_t *copy = malloc(n ? n : 1);
			uint16_t got, want;

			memcpy(copy, buf + off, n);
			got = lib_be(vtap_csum__fold(
				vtap_csum__partial(copy, n, 0)));
			want = ref_sum(copy, n, 0);
			free(copy);
			if (!same(got, want))
				fail_msg("off %zu len %zu: %04x != %04x", off,
					 n, got, want);
		}
	}
}

static void test_partial_chaining(void **state)
{
	uint8_t buf[257];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
		uint32_t s = vtap_csum__partial(buf, cut, 0);

		s = vtap_csum__partial(buf + cut, sizeof(buf) - cut, s);
		assert_true(same(lib_be(vtap_csum__fold(s)),
				 ref_sum(buf, sizeof(buf), 0)));
	}
	/* A large seed must not overflow. */
	assert_true(same(lib_be(vtap_csum__fold(
				 vtap_csum__partial(buf, 64, 0xffffffffu))),
			 ref_sum(buf, 64, 0xffff) /* 0xffffffff folds to
						   * 0xffff */));
}

static void test_pseudo(void **state)
{
	uint8_t s4[4], d4[4], s6[16], d6[16], ph[40];
	uint32_t lens[] = {0, 1, 20, 1500, 65535, 65536, 0x12345678};

	frame_pton(AF_INET, "192.0.2.1", s4);
	frame_pton(AF_INET, "198.51.100.200", d4);
	frame_pton(AF_INET6, "2001:db8::1", s6);
	frame_pton(AF_INET6, "2001:db8:ffff::abcd:2", d6);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint32_t len = lens[i];

		/* IPv4 pseudo-header: src, dst, zero, proto, 16-bit length. */
		if (len <= 0xffff) {
			memset(ph, 0, sizeof(ph));
			memcpy(ph, s4, 4);
			memcpy(ph + 4, d4, 4);
			ph[9] = 6;
			frame_put_be16(ph + 10, (uint16_t)len);
			assert_true(
				same(lib_be(vtap_csum__fold(vtap_csum__pseudo4(
					     s4, d4, 6, len))),
				     ref_sum(ph, 12, 0)));
		}
		/* IPv6: src, dst, 32-bit length, 3 zero bytes, next hdr. */
		memset(ph, 0, sizeof(ph));
		memcpy(ph, s6, 16);
		memcpy(ph + 16, d6, 16);
		frame_put_be32(ph + 32, len);
		ph[39] = 17;
		assert_true(same(lib_be(vtap_csum__fold(
					 vtap_csum__pseudo6(s6, d6, 17, len))),
				 ref_sum(ph, 40, 0)));
	}
}

/* Build a finished frame, replace its L4 checksum by the NEEDS_CSUM seed. */
static void seeded(struct frame *f, int v6, int udp, size_t payload,
		   size_t *ret_start, size_t *ret_off, uint16_t *ret_want)
{
	uint8_t *ip, *l4;
	size_t l4_len, off = udp ? 6 : 16;
	uint32_t p;
	uint16_t seed;

	frame_l4(f, v6, udp, 1, 2, payload);
	ip = f->data + f->l3_off;
	l4 = f->data + f->l4_off;
	l4_len = f->len - f->l4_off;
	*ret_want = (uint16_t)(l4[off] << 8 | l4[off + 1]);
	p = v6 ? vtap_csum__pseudo6(ip + 8, ip + 24, udp ? 17 : 6,
				    (uint32_t)l4_len)
	       : vtap_csum__pseudo4(ip + 12, ip + 16, udp ? 17 : 6,
				    (uint32_t)l4_len);
	seed = vtap_csum__fold(p);
	memcpy(l4 + off, &seed, 2);
	*ret_start = f->l4_off;
	*ret_off = off;
}

static void test_complete(void **state)
{
	static struct frame f;

	for (int v6 = 0; v6 < 2; v6++)
		for (int udp = 0; udp < 2; udp++)
			for (size_t n = 0; n < 80; n++) {
				size_t start, off;
				uint16_t want, got;
				uint8_t *copy;

				seeded(&f, v6, udp, n, &start, &off, &want);
				copy = malloc(f.len);
				memcpy(copy, f.data, f.len);
				assert_int_equal(
					vtap_csum__complete(copy, f.len,
							    (uint16_t)start,
							    (uint16_t)off),
					0);
				got = (uint16_t)(copy[start + off] << 8 |
						 copy[start + off + 1]);
				/* TCP may legitimately store 0xffff for 0. */
				assert_true(udp ? got == want
						: same(got, want));
				/* Everything else untouched. */
				copy[start + off] = f.data[start + off];
				copy[start + off + 1] = f.data[start + off + 1];
				assert_memory_equal(copy, f.data, f.len);
				free(copy);
			}
}

static void test_complete_zero_is_ffff(void **state)
{
	/* Range whose sum is 0xffff: the checksum would be 0. */
	uint8_t b[6] = {0xff, 0xff, 0, 0, 0, 0};

	assert_int_equal(vtap_csum__complete(b, sizeof(b), 0, 2), 0);
	assert_int_equal(b[2], 0xff);
	assert_int_equal(b[3], 0xff);
}

static void test_complete_bounds(void **state)
{
	uint8_t *b = malloc(40);

	memset(b, 0, 40);
	assert_int_equal(vtap_csum__complete(b, 40, 38, 0), 0);
	assert_int_equal(vtap_csum__complete(b, 40, 39, 0), -EINVAL);
	assert_int_equal(vtap_csum__complete(b, 40, 20, 19), -EINVAL);
	assert_int_equal(vtap_csum__complete(b, 40, 0xffff, 0xffff), -EINVAL);
	assert_int_equal(vtap_csum__complete(b, 1, 0, 0), -EINVAL);
	assert_int_equal(vtap_csum__complete(NULL, 40, 0, 0), -EINVAL);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_partial_all_lengths),
		cmocka_unit_test(test_partial_chaining),
		cmocka_unit_test(test_pseudo),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_complete_zero_is_ffff),
		cmocka_unit_test(test_complete_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
