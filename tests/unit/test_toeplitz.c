// SPDX-License-Identifier: MIT
/*
 * test_toeplitz.c - unit tests of the Toeplitz hash and its implementations
 *
 * The oracles: the public Microsoft RSS verification vectors (read at run
 * time from shared/vectors/toeplitz.txt, key included), the definition
 * itself (a brute-force per-bit computation written here, independent of
 * the library), and agreement of every implementation the CPU supports
 * with the reference bit loop on many random keys and inputs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vtap/vtap.h"

/* The implementations that take a key (AUTO resolves to one of them). */
static const enum vtap_toeplitz_impl all_impls[] = {
	VTAP_TOEPLITZ_AUTO,
	VTAP_TOEPLITZ_BITLOOP,
	VTAP_TOEPLITZ_TABLE,
	VTAP_TOEPLITZ_GFNI,
};

#define N_IMPLS (sizeof(all_impls) / sizeof(all_impls[0]))

/* xorshift64*: a fixed-seed generator, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rng_fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(rng() >> 56);
}

/*
 * The definition, bit by bit, independent of the library: for each set
 * input bit i, XOR the 32 key bits i .. i + 31 (zero past the key).
 */
static uint32_t brute_hash(const uint8_t *key, size_t key_len,
			   const uint8_t *in, size_t len)
{
	uint32_t h = 0;

	for (size_t i = 0; i < len * 8; i++) {
		uint32_t w = 0;

		if (!(in[i / 8] & (0x80 >> (i % 8))))
			continue;
		for (size_t j = 0; j < 32; j++) {
			size_t b = i + j;
			unsigned int bit = 0;

			if (b / 8 < key_len)
				bit = (key[b / 8] >> (7 - b % 8)) & 1;
			w = w << 1 | bit;
		}
		h ^= w;
	}
	return h;
}

/* ------------------------------------------------------------------ */
/* vectors file                                                       */
/* ------------------------------------------------------------------ */

struct vector {
	uint8_t src[16], dst[16];
	size_t addr_len;
	uint16_t sport, dport;
	uint32_t hash2, hash4;
};

#define MAX_VECTORS 32

struct vectors {
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
	size_t key_len;
	struct vector v[MAX_VECTORS];
	size_t n;
};

static FILE *open_vectors(void)
{
	const char *dir = getenv("VTAP_SHARED");
	char path[PATH_MAX];
	FILE *f;

	if (dir) {
		snprintf(path, sizeof(path), "%s/vectors/toeplitz.txt", dir);
		f = fopen(path, "r");
		if (f)
			return f;
	}
	dir = getenv("VTAP_SRCDIR");
	if (dir) {
		snprintf(path, sizeof(path),
			 "%s/../shared/vectors/toeplitz.txt", dir);
		f = fopen(path, "r");
		if (f)
			return f;
	}
	return NULL;
}

static int parse_addr(const char *s, uint8_t *out, size_t *ret_len)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*ret_len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*ret_len = 16;
		return 0;
	}
	return -1;
}

static int parse_hex_key(const char *s, struct vectors *vs)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	if (n == 0 || n % 2 || n / 2 > VTAP_TOEPLITZ_KEY_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int byte;

		if (sscanf(s + 2 * i, "%2x", &byte) != 1)
			return -1;
		vs->key[i] = (uint8_t)byte;
	}
	vs->key_len = n / 2;
	return 0;
}

/* Fill @vs from the vectors file; fails the test on any malformed line. */
static void load_vectors(struct vectors *vs)
{
	char line[512];
	FILE *f = open_vectors();

	memset(vs, 0, sizeof(*vs));
	if (!f)
		fail_msg("cannot open vectors/toeplitz.txt (VTAP_SHARED=%s)",
			 getenv("VTAP_SHARED") ?: "unset");
	while (fgets(line, sizeof(line), f)) {
		char src[64], dst[64];
		unsigned int sport, dport, h2, h4;
		struct vector *v;
		size_t dst_len;

		if (!strncmp(line, "# key ", 6)) {
			assert_int_equal(parse_hex_key(line + 6, vs), 0);
			continue;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_true(vs->n < MAX_VECTORS);
		v = &vs->v[vs->n++];
		assert_int_equal(sscanf(line, "%63s %u %63s %u %x %x", src,
					&sport, dst, &dport, &h2, &h4),
				 6);
		assert_int_equal(parse_addr(src, v->src, &v->addr_len), 0);
		assert_int_equal(parse_addr(dst, v->dst, &dst_len), 0);
		assert_int_equal(dst_len, v->addr_len);
		assert_true(sport <= 0xffff && dport <= 0xffff);
		v->sport = (uint16_t)sport;
		v->dport = (uint16_t)dport;
		v->hash2 = h2;
		v->hash4 = h4;
	}
	fclose(f);
	assert_true(vs->key_len > 0);
}

/* src addr, dst addr [, src port, dst port], network order. */
static size_t vector_input(const struct vector *v, bool ports, uint8_t *buf)
{
	size_t n = 0;

	memcpy(buf + n, v->src, v->addr_len);
	n += v->addr_len;
	memcpy(buf + n, v->dst, v->addr_len);
	n += v->addr_len;
	if (ports) {
		buf[n++] = (uint8_t)(v->sport >> 8);
		buf[n++] = (uint8_t)v->sport;
		buf[n++] = (uint8_t)(v->dport >> 8);
		buf[n++] = (uint8_t)v->dport;
	}
	return n;
}

static void test_vectors(void **state)
{
	static struct vectors vs;
	unsigned int checked = 0;

	load_vectors(&vs);
	/* The file has 8 lines, 2-tuple and 4-tuple each. */
	assert_int_equal(vs.n, 8);

	for (size_t i = 0; i < N_IMPLS; i++) {
		struct vtap_toeplitz *t;

		if (!vtap_toeplitz__impl_supported(all_impls[i])) {
			print_message("impl %s not supported here, skipped\n",
				      vtap_toeplitz__impl_name(all_impls[i]));
			continue;
		}
		t = vtap_toeplitz__new(vs.key, vs.key_len, all_impls[i]);
		assert_non_null(t);
		for (size_t k = 0; k < vs.n; k++) {
			uint8_t in[VTAP_TOEPLITZ_INPUT_MAX];
			size_t len;

			len = vector_input(&vs.v[k], false, in);
			assert_int_equal(vtap_toeplitz__hash(t, in, len),
					 vs.v[k].hash2);
			len = vector_input(&vs.v[k], true, in);
			assert_int_equal(vtap_toeplitz__hash(t, in, len),
					 vs.v[k].hash4);
			/* The definition agrees with the published values. */
			assert_int_equal(
				brute_hash(vs.key, vs.key_len, in, len),
				vs.v[k].hash4);
			checked += 2;
		}
		vtap_toeplitz__free(t);
	}
	/* At least AUTO, BITLOOP and TABLE run everywhere. */
	assert_true(checked >= 3 * 16);
}

/* The library's default key is the one the vectors use. */
static void test_default_key(void **state)
{
	static struct vectors vs;

	load_vectors(&vs);
	assert_int_equal(vs.key_len, sizeof(vtap_rss_default_key));
	assert_memory_equal(vs.key, vtap_rss_default_key, vs.key_len);
}

/* ------------------------------------------------------------------ */
/* implementations agree                                              */
/* ------------------------------------------------------------------ */

#define KEYS_PER_LEN 8
#define INPUTS_PER_LEN 4

/*
 * For every key length 1..52 (KEYS_PER_LEN random keys each) and every
 * input length 0..36 (INPUTS_PER_LEN random inputs each), every supported
 * implementation equals the bit loop; every 7th key is checked against the
 * brute-force definition too.
 */
static void test_random_agree(void **state)
{
	unsigned long cases = 0;

	rng_state = 0x5eed0f70e911cull;
	for (size_t key_len = 1; key_len <= VTAP_TOEPLITZ_KEY_MAX; key_len++) {
		for (unsigned int k = 0; k < KEYS_PER_LEN; k++) {
			struct vtap_toeplitz *h[N_IMPLS] = {0};
			uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
			struct vtap_toeplitz *ref;
			bool brute = (key_len * KEYS_PER_LEN + k) % 7 == 0;

			rng_fill(key, key_len);
			ref = vtap_toeplitz__new(key, key_len,
						 VTAP_TOEPLITZ_BITLOOP);
			assert_non_null(ref);
			for (size_t i = 0; i < N_IMPLS; i++) {
				if (!vtap_toeplitz__impl_supported(
					    all_impls[i]))
					continue;
				h[i] = vtap_toeplitz__new(key, key_len,
							  all_impls[i]);
				assert_non_null(h[i]);
			}
			for (size_t len = 0; len <= VTAP_TOEPLITZ_INPUT_MAX;
			     len++) {
				for (unsigned int n = 0; n < INPUTS_PER_LEN;
				     n++) {
					uint8_t in[VTAP_TOEPLITZ_INPUT_MAX];
					uint32_t want;

					rng_fill(in, len);
					want = vtap_toeplitz__hash(ref, in,
								   len);
					if (brute)
						assert_int_equal(
							brute_hash(key, key_len,
								   in, len),
							want);
					for (size_t i = 0; i < N_IMPLS; i++) {
						if (!h[i])
							continue;
						assert_int_equal(
							vtap_toeplitz__hash(
								h[i], in, len),
							want);
						cases++;
					}
				}
			}
			for (size_t i = 0; i < N_IMPLS; i++)
				vtap_toeplitz__free(h[i]);
			vtap_toeplitz__free(ref);
		}
	}
	print_message("%lu random cases agreed\n", cases);
	assert_true(cases >= 3ul * VTAP_TOEPLITZ_KEY_MAX * KEYS_PER_LEN *
				     (VTAP_TOEPLITZ_INPUT_MAX + 1) *
				     INPUTS_PER_LEN);
}

/*
 * Bits at the very ends: a single set bit at every input position, with
 * all-ones keys of every length, so key truncation and the last key bits
 * are exercised exactly.
 */
static void test_single_bits(void **state)
{
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];

	memset(key, 0xff, sizeof(key));
	for (size_t key_len = 1; key_len <= VTAP_TOEPLITZ_KEY_MAX; key_len++) {
		for (size_t i = 0; i < N_IMPLS; i++) {
			struct vtap_toeplitz *t;

			if (!vtap_toeplitz__impl_supported(all_impls[i]))
				continue;
			t = vtap_toeplitz__new(key, key_len, all_impls[i]);
			assert_non_null(t);
			for (size_t bit = 0; bit < VTAP_TOEPLITZ_INPUT_MAX * 8;
			     bit++) {
				uint8_t in[VTAP_TOEPLITZ_INPUT_MAX] = {0};

				in[bit / 8] = (uint8_t)(0x80 >> (bit % 8));
				assert_int_equal(
					vtap_toeplitz__hash(
						t, in, VTAP_TOEPLITZ_INPUT_MAX),
					brute_hash(key, key_len, in,
						   VTAP_TOEPLITZ_INPUT_MAX));
			}
			vtap_toeplitz__free(t);
		}
	}
}

/* Inputs longer than the maximum hash over their first 36 bytes only. */
static void test_long_input(void **state)
{
	uint8_t in[VTAP_TOEPLITZ_INPUT_MAX + 28];

	rng_state = 42;
	rng_fill(in, sizeof(in));
	for (size_t i = 0; i < N_IMPLS; i++) {
		struct vtap_toeplitz *t;

		if (!vtap_toeplitz__impl_supported(all_impls[i]))
			continue;
		t = vtap_toeplitz__new(vtap_rss_default_key,
				       sizeof(vtap_rss_default_key),
				       all_impls[i]);
		assert_non_null(t);
		assert_int_equal(vtap_toeplitz__hash(t, in, sizeof(in)),
				 brute_hash(vtap_rss_default_key,
					    sizeof(vtap_rss_default_key), in,
					    VTAP_TOEPLITZ_INPUT_MAX));
		assert_int_equal(vtap_toeplitz__hash(t, in, 0), 0);
		vtap_toeplitz__free(t);
	}
}

/* ------------------------------------------------------------------ */
/* API                                                                */
/* ------------------------------------------------------------------ */

static void test_impl_api(void **state)
{
	struct vtap_toeplitz *t;

	assert_string_equal(vtap_toeplitz__impl_name(VTAP_TOEPLITZ_AUTO),
			    "auto");
	assert_string_equal(vtap_toeplitz__impl_name(VTAP_TOEPLITZ_BITLOOP),
			    "bitloop");
	assert_string_equal(vtap_toeplitz__impl_name(VTAP_TOEPLITZ_TABLE),
			    "table");
	assert_string_equal(vtap_toeplitz__impl_name(VTAP_TOEPLITZ_GFNI),
			    "gfni");
	assert_null(vtap_toeplitz__impl_name(VTAP_TOEPLITZ__COUNT));
	assert_null(vtap_toeplitz__impl_name((enum vtap_toeplitz_impl) - 1));

	assert_true(vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_AUTO));
	assert_true(vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_BITLOOP));
	assert_true(vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_TABLE));
	assert_false(vtap_toeplitz__impl_supported(VTAP_TOEPLITZ__COUNT));
	print_message("gfni supported: %s\n",
		      vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_GFNI) ? "yes"
									: "no");

	/* Each explicit choice is kept; AUTO picks the fastest supported. */
	for (size_t i = 1; i < N_IMPLS; i++) {
		if (!vtap_toeplitz__impl_supported(all_impls[i]))
			continue;
		t = vtap_toeplitz__new(vtap_rss_default_key, 40, all_impls[i]);
		assert_non_null(t);
		assert_int_equal(vtap_toeplitz__impl(t), all_impls[i]);
		vtap_toeplitz__free(t);
	}
	t = vtap_toeplitz__new(vtap_rss_default_key, 40, VTAP_TOEPLITZ_AUTO);
	assert_non_null(t);
	assert_int_equal(vtap_toeplitz__impl(t),
			 vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_GFNI)
				 ? VTAP_TOEPLITZ_GFNI
				 : VTAP_TOEPLITZ_TABLE);
	vtap_toeplitz__free(t);

	vtap_toeplitz__free(NULL);
}

static void test_errors(void **state)
{
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX + 1] = {1};
	static uint32_t tables[VTAP_TOEPLITZ_INPUT_MAX][256];

	errno = 0;
	assert_null(vtap_toeplitz__new(key, 0, VTAP_TOEPLITZ_AUTO));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(vtap_toeplitz__new(key, VTAP_TOEPLITZ_KEY_MAX + 1,
				       VTAP_TOEPLITZ_AUTO));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(vtap_toeplitz__new(NULL, 40, VTAP_TOEPLITZ_AUTO));
	assert_int_equal(errno, EINVAL);

	/* An implementation unknown to this build is not supported. */
	errno = 0;
	assert_null(vtap_toeplitz__new(key, 40, VTAP_TOEPLITZ__COUNT));
	assert_int_equal(errno, EOPNOTSUPP);
	if (!vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_GFNI)) {
		errno = 0;
		assert_null(vtap_toeplitz__new(key, 40, VTAP_TOEPLITZ_GFNI));
		assert_int_equal(errno, EOPNOTSUPP);
	}

	/* The limits themselves are fine. */
	for (size_t len = 1; len <= VTAP_TOEPLITZ_KEY_MAX;
	     len += VTAP_TOEPLITZ_KEY_MAX - 1) {
		struct vtap_toeplitz *t =
			vtap_toeplitz__new(key, len, VTAP_TOEPLITZ_AUTO);

		assert_non_null(t);
		vtap_toeplitz__free(t);
	}

	errno = 0;
	assert_int_equal(vtap_toeplitz__tables(key, 0, tables), -EINVAL);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
		vtap_toeplitz__tables(key, VTAP_TOEPLITZ_KEY_MAX + 1, tables),
		-EINVAL);
	assert_int_equal(vtap_toeplitz__tables(NULL, 40, tables), -EINVAL);
	assert_int_equal(vtap_toeplitz__tables(key, 40, NULL), -EINVAL);
}

/*
 * vtap_toeplitz__tables(): entry [p][b] is the hash of byte b at position
 * p, computed here through the bit loop on a 36-byte input that is zero
 * elsewhere, for a few key lengths including the extremes.
 */
static void test_tables(void **state)
{
	static uint32_t tables[VTAP_TOEPLITZ_INPUT_MAX][256];
	static const size_t key_lens[] = {1, 4, 13, 40, VTAP_TOEPLITZ_KEY_MAX};
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];

	rng_state = 7;
	for (size_t l = 0; l < sizeof(key_lens) / sizeof(key_lens[0]); l++) {
		size_t key_len = key_lens[l];
		struct vtap_toeplitz *ref;

		rng_fill(key, key_len);
		memset(tables, 0xa5, sizeof(tables));
		assert_int_equal(vtap_toeplitz__tables(key, key_len, tables),
				 0);
		ref = vtap_toeplitz__new(key, key_len, VTAP_TOEPLITZ_BITLOOP);
		assert_non_null(ref);
		for (size_t p = 0; p < VTAP_TOEPLITZ_INPUT_MAX; p++) {
			for (unsigned int b = 0; b < 256; b++) {
				uint8_t in[VTAP_TOEPLITZ_INPUT_MAX] = {0};

				in[p] = (uint8_t)b;
				assert_int_equal(
					tables[p][b],
					vtap_toeplitz__hash(
						ref, in,
						VTAP_TOEPLITZ_INPUT_MAX));
			}
		}
		vtap_toeplitz__free(ref);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_default_key),
		cmocka_unit_test(test_random_agree),
		cmocka_unit_test(test_single_bits),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_impl_api),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
