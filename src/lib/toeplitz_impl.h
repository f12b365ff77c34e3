/* SPDX-License-Identifier: MIT */
/*
 * toeplitz_impl.h - what toeplitz.c shares with its GFNI variant (internal)
 *
 * toeplitz.c owns the hasher object, the reference bit loop and the byte
 * tables; toeplitz_gfni.c owns the GF(2) affine-transform implementation,
 * compiled with function-level target attributes so that the library runs
 * on every x86-64 (and builds to stubs elsewhere).
 */
#ifndef VTAP_TOEPLITZ_IMPL_H
#define VTAP_TOEPLITZ_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtap/vtap.h"

/*
 * The key as the hashers keep it: zero padded past its end (key bits beyond
 * the key count as zero), with room for the widest read any implementation
 * makes past the last input bit.
 */
#define TOEPLITZ_KEY_BUF (VTAP_TOEPLITZ_KEY_MAX + 8)

/*
 * GFNI layout (see toeplitz_gfni.c): one 8x8 bit matrix per "diagonal"
 * s = input position + output byte index, s = 0 .. INPUT_MAX + 2, held one
 * per 64-bit lane of 512-bit vectors, 8 lanes per vector.
 */
#define TOEPLITZ_GFNI_LANES_PER_VEC 8
#define TOEPLITZ_GFNI_VECS                                                 \
	((VTAP_TOEPLITZ_INPUT_MAX + 3 + TOEPLITZ_GFNI_LANES_PER_VEC - 1) / \
	 TOEPLITZ_GFNI_LANES_PER_VEC)
#define TOEPLITZ_GFNI_LANES (TOEPLITZ_GFNI_VECS * TOEPLITZ_GFNI_LANES_PER_VEC)

/**
 * struct toeplitz_gfni - per-key precomputation of the GFNI implementation
 * @matrix: GF2P8AFFINEQB matrix of diagonal s in lane s
 * @index: VPERMB byte indices gathering the input bytes of each lane
 *
 * Aligned to a 512-bit vector so each row of @matrix and @index is one
 * aligned load.
 */
struct toeplitz_gfni {
	uint64_t matrix[TOEPLITZ_GFNI_LANES];
	uint8_t index[TOEPLITZ_GFNI_VECS][64];
} __attribute__((aligned(64)));

/* Whether this CPU (and OS) can run toeplitz_gfni__hash(). */
bool toeplitz_gfni__supported(void);

/* Build @g for a key in the TOEPLITZ_KEY_BUF zero-padded form. */
void toeplitz_gfni__prepare(struct toeplitz_gfni *g, const uint8_t *key);

/* Hash @len (<= VTAP_TOEPLITZ_INPUT_MAX) bytes; only if supported. */
uint32_t toeplitz_gfni__hash(const struct toeplitz_gfni *g, const uint8_t *in,
			     size_t len);

#endif /* VTAP_TOEPLITZ_IMPL_H */
