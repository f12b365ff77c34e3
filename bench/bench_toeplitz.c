// SPDX-License-Identifier: MIT
/*
 * bench_toeplitz.c - nanoseconds per Toeplitz hash, per implementation
 *
 * For a 12-byte input (IPv4 4-tuple) and a 36-byte input (IPv6 4-tuple),
 * time every implementation this CPU supports, the bit loop included as the
 * baseline of the same run, and print ns/hash and the speed-up over the
 * bit loop.
 *
 * Inputs rotate through a pool of random buffers so the compiler cannot
 * fold the hash, and every result goes into a volatile sink. Each figure is
 * the best of several repetitions, which filters out scheduling noise on a
 * shared machine.
 *
 * Usage: bench_toeplitz [-q]   (-q: fewer iterations, for a smoke run)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vtap/vtap.h"

#define POOL 256 /* input buffers, a power of two */
#define REPEATS 5

static volatile uint32_t sink;

static const enum vtap_toeplitz_impl impls[] = {
	VTAP_TOEPLITZ_BITLOOP,
	VTAP_TOEPLITZ_TABLE,
	VTAP_TOEPLITZ_GFNI,
};
#define N_IMPLS (sizeof(impls) / sizeof(impls[0]))

static const size_t lens[] = {12, 36};
#define N_LENS (sizeof(lens) / sizeof(lens[0]))

static uint8_t pool[POOL][VTAP_TOEPLITZ_INPUT_MAX];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Best-of-REPEATS ns per hash of @iters hashes of @len-byte inputs. */
static double time_hash(const struct vtap_toeplitz *t, size_t len,
			unsigned long iters)
{
	double best = 0;

	for (int r = 0; r < REPEATS; r++) {
		uint32_t acc = 0;
		double start = now_ns(), ns;

		for (unsigned long i = 0; i < iters; i++)
			acc ^= vtap_toeplitz__hash(t, pool[i & (POOL - 1)],
						   len);
		ns = (now_ns() - start) / (double)iters;
		sink ^= acc;
		if (r == 0 || ns < best)
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && !strcmp(argv[1], "-q");
	double ns[N_IMPLS][N_LENS] = {{0}};
	bool have[N_IMPLS] = {false};
	uint64_t x = 0x243f6a8885a308d3ull;

	for (size_t i = 0; i < POOL; i++) {
		for (size_t j = 0; j < VTAP_TOEPLITZ_INPUT_MAX; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pool[i][j] = (uint8_t)x;
		}
	}

	for (size_t i = 0; i < N_IMPLS; i++) {
		struct vtap_toeplitz *t;

		if (!vtap_toeplitz__impl_supported(impls[i]))
			continue;
		t = vtap_toeplitz__new(vtap_rss_default_key,
				       sizeof(vtap_rss_default_key), impls[i]);
		if (!t) {
			perror("bench_toeplitz: vtap_toeplitz__new");
			return 1;
		}
		for (size_t l = 0; l < N_LENS; l++) {
			/* The bit loop is ~50x slower: fewer iterations. */
			unsigned long iters = impls[i] == VTAP_TOEPLITZ_BITLOOP
						      ? 400000
						      : 10000000;

			if (quick)
				iters /= 100;
			time_hash(t, lens[l], iters / 10); /* warm up */
			ns[i][l] = time_hash(t, lens[l], iters);
		}
		have[i] = true;
		vtap_toeplitz__free(t);
	}

	printf("Toeplitz hash, 40-byte key, best of %d runs (auto = %s)\n",
	       REPEATS,
	       vtap_toeplitz__impl_name(
		       vtap_toeplitz__impl_supported(VTAP_TOEPLITZ_GFNI)
			       ? VTAP_TOEPLITZ_GFNI
			       : VTAP_TOEPLITZ_TABLE));
	printf("%-8s %12s %9s %12s %9s\n", "impl", "12B ns/hash", "vs bit",
	       "36B ns/hash", "vs bit");
	for (size_t i = 0; i < N_IMPLS; i++) {
		if (!have[i]) {
			printf("%-8s %12s\n",
			       vtap_toeplitz__impl_name(impls[i]),
			       "unsupported");
			continue;
		}
		printf("%-8s", vtap_toeplitz__impl_name(impls[i]));
		for (size_t l = 0; l < N_LENS; l++)
			printf(" %12.2f %8.1fx", ns[i][l], ns[0][l] / ns[i][l]);
		printf("\n");
	}
	return 0;
}
