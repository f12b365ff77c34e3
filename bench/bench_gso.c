// SPDX-License-Identifier: MIT
/*
 * bench_gso.c - software segmentation throughput against a plain memcpy
 *
 * A 64 KiB TCPv4 GSO frame (Ethernet + IPv4 + TCP + 65495 payload bytes,
 * the largest IPv4 TSO frame) is segmented with gso_size 1448 into 46
 * frames, checksums included, over and over into a ring of output buffers
 * larger than the L2 cache. The baseline, measured in the same run, copies
 * the same bytes (every segment's headers and payload) with memcpy into
 * the same buffers. Throughput is payload bits per second.
 *
 * Usage: bench_gso [seconds per row, default 1]
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vtap/vtap.h"

#include "bench_util.h"

#define HDRS (14 + 20 + 20)
#define PAYLOAD (65535 - 40)
#define FRAME_LEN (HDRS + PAYLOAD)
#define MSS 1448
#define SEGS ((PAYLOAD + MSS - 1) / MSS)
#define SEG_MAX (HDRS + MSS)
/* Output ring: 64 frames' worth of segments (~6 MiB), beyond L2. */
#define RING 64

static void build(uint8_t *f, struct vtap_vnet_hdr *h)
{
	uint8_t *ip = f + 14, *th = f + 34;
	uint32_t sum;
	uint16_t v;

	memset(f, 0, HDRS);
	memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	ip[0] = 0x45;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
	th[0] = 0x0f;
	th[3] = 0x50;
	th[12] = 5 << 4;
	th[13] = 0x18;
	for (size_t i = 0; i < PAYLOAD; i++)
		f[HDRS + i] = (uint8_t)(i * 131 + 7);
	sum = vtap_csum__pseudo4(ip + 12, ip + 16, 6, 0);
	v = vtap_csum__fold(sum);
	memcpy(th + 16, &v, 2);
	*h = (struct vtap_vnet_hdr){
		.flags = VTAP_VNET_F_NEEDS_CSUM,
		.gso_type = VTAP_VNET_GSO_TCPV4,
		.hdr_len = HDRS,
		.gso_size = MSS,
		.csum_start = 34,
		.csum_offset = 16,
	};
}

static volatile uint64_t sink;

/* Segment with vtap_gso, @frames times; returns seconds. */
static double run_gso(const uint8_t *f, const struct vtap_vnet_hdr *h,
		      uint8_t *ring, unsigned long frames)
{
	double t0 = bench_now();

	for (unsigned long k = 0; k < frames; k++) {
		uint8_t *out = ring + (k % RING) * SEGS * SEG_MAX;
		struct vtap_gso g;
		size_t n;

		if (vtap_gso__init(&g, h, f, FRAME_LEN) < 0)
			abort();
		while (vtap_gso__next(&g, out, SEG_MAX, &n) == 1)
			out += SEG_MAX;
	}
	sink += ring[0];
	return bench_now() - t0;
}

/* The same bytes with memcpy: headers and payload of every segment. */
static double run_memcpy(const uint8_t *f, uint8_t *ring, unsigned long frames)
{
	double t0 = bench_now();

	for (unsigned long k = 0; k < frames; k++) {
		uint8_t *out = ring + (k % RING) * SEGS * SEG_MAX;

		for (size_t off = HDRS; off < FRAME_LEN; off += MSS) {
			size_t p =
				FRAME_LEN - off < MSS ? FRAME_LEN - off : MSS;

			memcpy(out, f, HDRS);
			memcpy(out + HDRS, f + off, p);
			out += SEG_MAX;
		}
		__asm__ volatile("" : : "r"(out) : "memory");
	}
	sink += ring[0];
	return bench_now() - t0;
}

/* Only the checksum of the same payload, for reference. */
static double run_csum(const uint8_t *f, unsigned long frames)
{
	double t0 = bench_now();
	uint32_t s = 0;

	for (unsigned long k = 0; k < frames; k++) {
		s += vtap_csum__partial(f + HDRS, PAYLOAD, 0);
		__asm__ volatile("" : "+r"(s));
	}
	sink += s;
	return bench_now() - t0;
}

/* Run @fn until about @secs seconds; returns Gbit/s of payload. */
#define MEASURE(secs, call)                                                    \
	({                                                                     \
		unsigned long _n = 16;                                         \
		double _t;                                                     \
		for (;;) {                                                     \
			unsigned long frames = _n;                             \
			_t = call;                                             \
			if (_t >= (secs))                                      \
				break;                                         \
			_n = _t > 0.01                                         \
				     ? (unsigned long)(_n * (secs) / _t * 1.1) \
				     : _n * 8;                                 \
		}                                                              \
		(double)_n *PAYLOAD * 8 / _t / 1e9;                            \
	})

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct vtap_vnet_hdr h;
	double base, gso, csum;
	uint8_t *f, *ring;

	f = malloc(FRAME_LEN);
	ring = malloc((size_t)RING * SEGS * SEG_MAX);
	if (!f || !ring || secs <= 0) {
		fprintf(stderr, "bench_gso: %s\n",
			secs <= 0 ? "usage: bench_gso [seconds]"
				  : "out of memory");
		return secs <= 0 ? 2 : 1;
	}
	memset(ring, 0, (size_t)RING * SEGS * SEG_MAX);
	build(f, &h);

	base = MEASURE(secs, run_memcpy(f, ring, frames));
	gso = MEASURE(secs, run_gso(f, &h, ring, frames));
	csum = MEASURE(secs, run_csum(f, frames));

	printf("64 KiB TCPv4 GSO frame, %d payload bytes, gso_size %d, "
	       "%d segments\n",
	       PAYLOAD, MSS, SEGS);
	printf("%-34s %10s %8s\n", "method", "Gbit/s", "ratio");
	printf("%-34s %10.1f %8.2f\n", "memcpy of the segments (baseline)",
	       base, 1.0);
	printf("%-34s %10.1f %8.2f\n", "vtap_gso (segments + checksums)", gso,
	       gso / base);
	printf("%-34s %10.1f %8.2f\n", "vtap_csum__partial (payload only)",
	       csum, csum / base);
	free(f);
	free(ring);
	return 0;
}
