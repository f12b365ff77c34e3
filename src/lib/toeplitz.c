// SPDX-License-Identifier: MIT
/*
 * toeplitz.c - the Toeplitz hash of RSS (virtio-net spec, "Hash calculation
 * for incoming packets"; SPEC-NOTES.md "Toeplitz")
 *
 * For each set input bit i (bit 0 = MSB of the first byte), XOR in the 32
 * key bits starting at key bit i. Key bits past the key's end count as 0.
 *
 * PLACEHOLDER: only the reference bit loop; table and GFNI come next.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const uint8_t vtap_rss_default_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct vtap_toeplitz {
	enum vtap_toeplitz_impl impl;
	size_t key_len;
	/* Key padded with zeros so every 32-bit window can be read. */
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX + 8];
};

struct vtap_toeplitz *vtap_toeplitz__new(const uint8_t *key, size_t key_len,
					 enum vtap_toeplitz_impl impl)
{
	struct vtap_toeplitz *t;

	if (!key || !key_len || key_len > VTAP_TOEPLITZ_KEY_MAX)
		return vtap_err_ptr(-EINVAL);
	if (impl != VTAP_TOEPLITZ_AUTO && impl != VTAP_TOEPLITZ_BITLOOP)
		return vtap_err_ptr(-EOPNOTSUPP);
	t = calloc(1, sizeof(*t));
	if (!t)
		return vtap_err_ptr(-ENOMEM);
	t->impl = VTAP_TOEPLITZ_BITLOOP;
	t->key_len = key_len;
	memcpy(t->key, key, key_len);
	return t;
}

void vtap_toeplitz__free(struct vtap_toeplitz *t)
{
	free(t);
}

/* The 32 key bits starting at bit @i. */
static uint32_t key_window(const uint8_t *key, unsigned int i)
{
	const uint8_t *p = key + i / 8;
	uint64_t w = (uint64_t)p[0] << 32 | (uint64_t)p[1] << 24 |
		     (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];

	return (uint32_t)(w >> (8 - i % 8));
}

uint32_t vtap_toeplitz__hash(const struct vtap_toeplitz *t, const uint8_t *in,
			     size_t len)
{
	uint32_t h = 0;

	if (len > VTAP_TOEPLITZ_INPUT_MAX)
		len = VTAP_TOEPLITZ_INPUT_MAX;
	for (unsigned int i = 0; i < len * 8; i++)
		if (in[i / 8] & (0x80 >> (i % 8)))
			h ^= key_window(t->key, i);
	return h;
}

enum vtap_toeplitz_impl vtap_toeplitz__impl(const struct vtap_toeplitz *t)
{
	return t->impl;
}

bool vtap_toeplitz__impl_supported(enum vtap_toeplitz_impl impl)
{
	return impl == VTAP_TOEPLITZ_AUTO || impl == VTAP_TOEPLITZ_BITLOOP;
}

const char *vtap_toeplitz__impl_name(enum vtap_toeplitz_impl impl)
{
	static const char *const names[] = {
		[VTAP_TOEPLITZ_AUTO] = "auto",
		[VTAP_TOEPLITZ_BITLOOP] = "bitloop",
		[VTAP_TOEPLITZ_TABLE] = "table",
		[VTAP_TOEPLITZ_GFNI] = "gfni",
	};

	if ((unsigned int)impl >= VTAP_TOEPLITZ__COUNT)
		return NULL;
	return names[impl];
}
