// SPDX-License-Identifier: MIT
/*
 * toeplitz_gfni.c - the Toeplitz hash as GF(2) affine transforms (x86 GFNI
 * with AVX-512)
 *
 * Theory of operation
 * ===================
 *
 * Number input bits i = 8p + k (byte p, bit k, k = 0 the most significant)
 * and hash bits j = 0..31 (j = 0 the most significant). The Toeplitz hash
 * is linear over GF(2):
 *
 *	hash bit j = XOR over set input bits i of key bit (i + j).
 *
 * Split the hash into four bytes q = 0..3 (q = 0 the most significant,
 * bits j = 8q + m, m = 0..7). The contribution of input byte p to hash
 * byte q is an 8x8 bit matrix applied to the byte:
 *
 *	out bit m = XOR over k of in bit k AND key bit (8(p + q) + k + m)
 *
 * The matrix depends on p and q only through the "diagonal" s = p + q (that
 * is what makes it a Toeplitz matrix), so there is one matrix A_s per
 * s = 0 .. INPUT_MAX + 2, and
 *
 *	hash byte q = XOR over p of A_(p + q) * in[p].
 *
 * GF2P8AFFINEQB x, A computes, for every byte of x, bit t of the result
 * (t = 0 the least significant) as parity(A.byte[7 - t] AND x), with A the
 * 64-bit lane holding that byte of x. With t = 7 - m and x's bit b = 7 - k,
 * row A_s.byte[m] must have bit b = key bit (8s + m + 7 - b): byte m of the
 * matrix is simply the 8 key bits starting at key bit 8s + m, most
 * significant first. toeplitz_gfni__prepare() builds the A_s once per key.
 *
 * Every byte in a 64-bit lane is multiplied by that lane's one matrix, so
 * the lanes are indexed by s and each lane gathers the input bytes that
 * meet matrix A_s: lane s, byte r (r = 0..3) holds in[s - 3 + r], which
 * lands in hash byte q = 3 - r (zero where s - 3 + r is outside the input).
 * Bytes 4..7 of a lane compute products nobody needs; they are discarded.
 * One VPERMB per 512-bit vector does the gathering (indices precomputed in
 * toeplitz_gfni__prepare(); out-of-range positions point at byte 63, which
 * the zero-masked input load leaves 0), one GF2P8AFFINEQB multiplies 8
 * lanes, and the lanes are XOR-ed together. After the XOR-reduction, bytes
 * 0..3 of the remaining lane hold hash bytes 3, 2, 1, 0: read as a
 * little-endian 32-bit word, that is the hash, no byte swap needed.
 *
 * An input of len bytes touches lanes 0 .. len + 2, so a 12-byte IPv4
 * 4-tuple costs 2 permutes and 2 affine products, the 36-byte IPv6 4-tuple
 * 5 of each, plus a short horizontal XOR.
 */
#include <string.h>

#include "toeplitz_impl.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define GFNI_TARGET "gfni,avx512f,avx512bw,avx512vl,avx512vbmi"

bool toeplitz_gfni__supported(void)
{
	/*
	 * libgcc (and compiler-rt) only report the AVX-512 features when the
	 * OS saves the ZMM state (XGETBV), so this is the whole check.
	 */
	__builtin_cpu_init();
	return __builtin_cpu_supports("gfni") &&
	       __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl") &&
	       __builtin_cpu_supports("avx512vbmi");
}

/* The 8 key bits starting at key bit @bit, the first one most significant. */
static uint8_t key_byte_at(const uint8_t *key, unsigned int bit)
{
	unsigned int w = (unsigned int)key[bit / 8] << 8 | key[bit / 8 + 1];

	return (uint8_t)(w >> (8 - bit % 8));
}

void toeplitz_gfni__prepare(struct toeplitz_gfni *g, const uint8_t *key)
{
	/* Matrices: lane s holds A_s, byte m = key bits 8s + m .. 8s + m + 7. */
	for (unsigned int s = 0; s < TOEPLITZ_GFNI_LANES; s++) {
		uint64_t a = 0;

		for (unsigned int m = 0; m < 8; m++)
			a |= (uint64_t)key_byte_at(key, 8 * s + m) << (8 * m);
		g->matrix[s] = a;
	}

	/* Gather indices: lane s, byte r <- input byte s - 3 + r, else 63. */
	for (unsigned int v = 0; v < TOEPLITZ_GFNI_VECS; v++) {
		for (unsigned int b = 0; b < 64; b++) {
			int s = (int)(v * TOEPLITZ_GFNI_LANES_PER_VEC + b / 8);
			int pos = s - 3 + (int)(b % 8);

			g->index[v][b] = pos < 0 ? 63 : (uint8_t)pos;
		}
	}
}

/* Lanes 8v .. 8v+7: gather their input bytes and multiply by A_s. */
__attribute__((target(GFNI_TARGET), always_inline)) static inline __m512i
gfni_vec(const struct toeplitz_gfni *g, __m512i in, unsigned int v)
{
	__m512i idx = _mm512_load_si512((const void *)g->index[v]);
	__m512i mat = _mm512_load_si512((const void *)&g->matrix[8 * v]);

	return _mm512_gf2p8affine_epi64_epi8(_mm512_permutexvar_epi8(idx, in),
					     mat, 0);
}

__attribute__((target(GFNI_TARGET))) uint32_t
toeplitz_gfni__hash(const struct toeplitz_gfni *g, const uint8_t *in,
		    size_t len)
{
	/* len <= VTAP_TOEPLITZ_INPUT_MAX < 64: every other byte loads as 0. */
	__m512i x = _mm512_maskz_loadu_epi8((__mmask64)((1ULL << len) - 1), in);
	__m512i acc = gfni_vec(g, x, 0);
	__m256i h256;
	__m128i h128;

	_Static_assert(TOEPLITZ_GFNI_VECS == 5, "unrolled for 5 vectors");
	_Static_assert(VTAP_TOEPLITZ_INPUT_MAX + 8 <= 63,
		       "byte 63 must stay zero and every index in range");

	/* Lanes len + 3 and up would only multiply zeros. */
	if (len > 5) {
		acc = _mm512_xor_si512(acc, gfni_vec(g, x, 1));
		if (len > 13) {
			acc = _mm512_xor_si512(acc, gfni_vec(g, x, 2));
			if (len > 21) {
				acc = _mm512_ternarylogic_epi64(
					acc, gfni_vec(g, x, 3),
					gfni_vec(g, x, 4), 0x96);
			}
		}
	}

	/* XOR the 8 lanes together; hash bytes 3..0 are bytes 0..3. */
	h256 = _mm256_xor_si256(_mm512_castsi512_si256(acc),
				_mm512_extracti64x4_epi64(acc, 1));
	h128 = _mm_xor_si128(_mm256_castsi256_si128(h256),
			     _mm256_extracti128_si256(h256, 1));
	h128 = _mm_xor_si128(h128, _mm_unpackhi_epi64(h128, h128));
	return (uint32_t)_mm_cvtsi128_si32(h128);
}

#else /* !x86-64 */

bool toeplitz_gfni__supported(void)
{
	return false;
}

void toeplitz_gfni__prepare(struct toeplitz_gfni *g, const uint8_t *key)
{
	(void)key;
	memset(g, 0, sizeof(*g));
}

uint32_t toeplitz_gfni__hash(const struct toeplitz_gfni *g, const uint8_t *in,
			     size_t len)
{
	(void)g;
	(void)in;
	(void)len;
	return 0;
}

#endif
