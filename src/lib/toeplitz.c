// SPDX-License-Identifier: MIT
/*
 * toeplitz.c - the Toeplitz hash of RSS (virtio-net spec, "Hash calculation
 * for incoming packets"; SPEC-NOTES.md "Toeplitz")
 *
 * Theory of operation
 * ===================
 *
 * For each set input bit i (bit 0 = MSB of the first byte), XOR in the 32
 * key bits starting at key bit i. Key bits past the key's end count as 0.
 * The hash is linear over GF(2) in the input, which is what every faster
 * implementation exploits:
 *
 * - BITLOOP, the reference: literally the definition, one 32-bit key window
 *   per input bit. Kept for tests and as the benchmark baseline.
 * - TABLE, for every CPU: by linearity the hash is the XOR over input
 *   positions p of the hash of byte in[p] alone at position p. So one
 *   256-entry table per position, tables[p][b] = hash of byte b at
 *   position p with all other bytes zero, turns the hash into one lookup
 *   and XOR per input byte. vtap_toeplitz__tables() computes exactly these
 *   tables; the BPF steering program uses the same ones from a map, so the
 *   C and BPF twins share one design and one layout.
 * - GFNI, on x86-64 with GFNI and AVX-512: each (input byte, output byte)
 *   pair is an 8x8 bit matrix product, done 64 at a time by GF2P8AFFINEQB;
 *   see toeplitz_gfni.c.
 *
 * All precomputation (tables, matrices) happens in vtap_toeplitz__new(),
 * once per key; a hasher is read-only afterwards, so hashing allocates
 * nothing and any number of threads may share a hasher.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "toeplitz_impl.h"

const uint8_t vtap_rss_default_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/*
 * The hasher. The GFNI state comes first for its 64-byte alignment; the
 * tables are allocated only for the TABLE implementation.
 */
struct vtap_toeplitz {
	struct toeplitz_gfni gfni;
	enum vtap_toeplitz_impl impl;
	size_t key_len;
	/* Key padded with zeros so every 32-bit window can be read. */
	uint8_t key[TOEPLITZ_KEY_BUF];
	uint32_t table[][256];
};

/* The 32 key bits starting at bit @i of a TOEPLITZ_KEY_BUF key. */
static uint32_t key_window(const uint8_t *key, unsigned int i)
{
	const uint8_t *p = key + i / 8;
	uint64_t w = (uint64_t)p[0] << 32 | (uint64_t)p[1] << 24 |
		     (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];

	return (uint32_t)(w >> (8 - i % 8));
}

/*
 * Fill the per-position tables from a TOEPLITZ_KEY_BUF key. A single set
 * bit k of byte p contributes the key window at 8p + k; every other byte
 * value is, by linearity, the XOR of its lowest set bit's entry and the
 * entry of the remaining bits, both already computed.
 */
static void tables_fill(const uint8_t *key,
			uint32_t tables[VTAP_TOEPLITZ_INPUT_MAX][256])
{
	for (unsigned int p = 0; p < VTAP_TOEPLITZ_INPUT_MAX; p++) {
		uint32_t *t = tables[p];

		t[0] = 0;
		for (unsigned int k = 0; k < 8; k++)
			t[0x80 >> k] = key_window(key, 8 * p + k);
		for (unsigned int b = 1; b < 256; b++)
			if (b & (b - 1))
				t[b] = t[b & (b - 1)] ^ t[b & -b];
	}
}

static bool key_len_valid(const uint8_t *key, size_t key_len)
{
	return key && key_len >= 1 && key_len <= VTAP_TOEPLITZ_KEY_MAX;
}

static void key_pad(uint8_t dst[TOEPLITZ_KEY_BUF], const uint8_t *key,
		    size_t key_len)
{
	memset(dst, 0, TOEPLITZ_KEY_BUF);
	memcpy(dst, key, key_len);
}

bool vtap_toeplitz__impl_supported(enum vtap_toeplitz_impl impl)
{
	switch (impl) {
	case VTAP_TOEPLITZ_AUTO:
	case VTAP_TOEPLITZ_BITLOOP:
	case VTAP_TOEPLITZ_TABLE:
		return true;
	case VTAP_TOEPLITZ_GFNI:
		return toeplitz_gfni__supported();
	default:
		return false;
	}
}

struct vtap_toeplitz *vtap_toeplitz__new(const uint8_t *key, size_t key_len,
					 enum vtap_toeplitz_impl impl)
{
	struct vtap_toeplitz *t;
	size_t size = sizeof(*t);
	void *mem;

	if (!key_len_valid(key, key_len))
		return vtap_err_ptr(-EINVAL);
	/* An impl value this build does not know is just "not supported". */
	if (!vtap_toeplitz__impl_supported(impl))
		return vtap_err_ptr(-EOPNOTSUPP);
	if (impl == VTAP_TOEPLITZ_AUTO)
		impl = vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_GFNI)
			       ? VTAP_TOEPLITZ_GFNI
			       : VTAP_TOEPLITZ_TABLE;
	if (impl == VTAP_TOEPLITZ_TABLE)
		size += VTAP_TOEPLITZ_INPUT_MAX * sizeof(t->table[0]);

	if (posix_memalign(&mem, _Alignof(struct vtap_toeplitz), size))
		return vtap_err_ptr(-ENOMEM);
	t = memset(mem, 0, size);
	t->impl = impl;
	t->key_len = key_len;
	key_pad(t->key, key, key_len);

	switch (impl) {
	case VTAP_TOEPLITZ_TABLE:
		tables_fill(t->key, t->table);
		break;
	case VTAP_TOEPLITZ_GFNI:
		toeplitz_gfni__prepare(&t->gfni, t->key);
		break;
	default:
		break;
	}
	pr_debug("toeplitz: %zu-byte key, %s implementation\n", key_len,
		 vtap_toeplitz__impl_name(impl));
	return t;
}

void vtap_toeplitz__free(struct vtap_toeplitz *t)
{
	free(t);
}

/* The reference: one key window per set input bit. */
static uint32_t hash_bitloop(const uint8_t *key, const uint8_t *in, size_t len)
{
	uint32_t h = 0;

	for (unsigned int i = 0; i < len * 8; i++)
		if (in[i / 8] & (0x80 >> (i % 8)))
			h ^= key_window(key, i);
	return h;
}

/* One lookup per input byte, four independent loads per step. */
static uint32_t hash_table(const uint32_t (*tab)[256], const uint8_t *in,
			   size_t len)
{
	uint32_t h = 0;
	size_t p = 0;

	for (; p + 4 <= len; p += 4)
		h ^= tab[p][in[p]] ^ tab[p + 1][in[p + 1]] ^
		     tab[p + 2][in[p + 2]] ^ tab[p + 3][in[p + 3]];
	for (; p < len; p++)
		h ^= tab[p][in[p]];
	return h;
}

uint32_t vtap_toeplitz__hash(const struct vtap_toeplitz *t, const uint8_t *in,
			     size_t len)
{
	if (len > VTAP_TOEPLITZ_INPUT_MAX)
		len = VTAP_TOEPLITZ_INPUT_MAX;
	switch (t->impl) {
	case VTAP_TOEPLITZ_GFNI:
		return toeplitz_gfni__hash(&t->gfni, in, len);
	case VTAP_TOEPLITZ_TABLE:
		return hash_table((const uint32_t(*)[256])t->table, in, len);
	default:
		return hash_bitloop(t->key, in, len);
	}
}

enum vtap_toeplitz_impl vtap_toeplitz__impl(const struct vtap_toeplitz *t)
{
	return t->impl;
}

const char *vtap_toeplitz__impl_name(enum vtap_toeplitz_impl impl)
{
	static const char *const names[] = {
		[VTAP_TOEPLITZ_AUTO] = "auto",
		[VTAP_TOEPLITZ_BITLOOP] = "bitloop",
		[VTAP_TOEPLITZ_TABLE] = "table",
		[VTAP_TOEPLITZ_GFNI] = "gfni",
	};

	_Static_assert(ARRAY_SIZE(names) == VTAP_TOEPLITZ__COUNT,
		       "a name for every implementation");
	if ((unsigned int)impl >= VTAP_TOEPLITZ__COUNT)
		return NULL;
	return names[impl];
}

int vtap_toeplitz__tables(const uint8_t *key, size_t key_len,
			  uint32_t ret_tables[][256])
{
	uint8_t padded[TOEPLITZ_KEY_BUF];

	if (!key_len_valid(key, key_len) || !ret_tables)
		return vtap_err(-EINVAL);
	key_pad(padded, key, key_len);
	tables_fill(padded, ret_tables);
	return 0;
}
