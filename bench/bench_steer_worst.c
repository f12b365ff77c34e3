// SPDX-License-Identifier: MIT
/*
 * bench_steer_worst.c - what one frame can cost the steering program: the
 * average run time (BPF_PROG_TEST_RUN, repeat) of ordinary frames and of
 * the worst frames a remote sender can make (IPv6 option scans at the
 * VTAP_PKT_OPT_* bounds, eight extension headers), as a ratio to a plain
 * IPv6 TCP frame measured in the same run
 *
 *   bench_steer_worst [REPEAT]      (root; default 50000 runs per frame)
 *
 * The steering configuration is RSS with all hash types, so the Home
 * Address and the ports are hashed. tests/bpf/test_steer_bounds.c checks
 * the worst ratio against a generous bound.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "frames.h"
#include "vtap/vtap.h"

#define DUMMY_HLEN 14
#define RUN_MAX 4000

static int prog_fd, repeat = 50000;

static uint32_t run_ns(const struct frame *f)
{
	static uint8_t buf[DUMMY_HLEN + RUN_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint32_t best = UINT32_MAX;

	memset(buf, 0, DUMMY_HLEN);
	buf[12] = 0x88; /* local experimental EtherType: nothing to strip */
	buf[13] = 0xb5;
	memcpy(buf + DUMMY_HLEN, f->data, f->len);
	opts.data_in = buf;
	opts.data_size_in = (uint32_t)(DUMMY_HLEN + f->len);
	opts.repeat = repeat;
	for (int round = 0; round < 5; round++) {
		if (bpf_prog_test_run_opts(prog_fd, &opts)) {
			perror("bench_steer_worst: BPF_PROG_TEST_RUN");
			exit(1);
		}
		if (opts.duration < best)
			best = opts.duration;
	}
	return best ? best : 1;
}

static void ip6(struct frame *f)
{
	uint8_t a[16], b[16];

	frame_pton(AF_INET6, "2001:db8::1", a);
	frame_pton(AF_INET6, "2001:db8::2", b);
	frame_init(f);
	frame_eth(f, NULL, NULL);
	frame_ipv6(f, a, b);
}

static void dstopts(struct frame *f, const uint8_t *o, size_t n, size_t len)
{
	uint8_t body[2048] = {0};

	if (n)
		memcpy(body, o, n);
	frame_ipv6_ext(f, FRAME_IPPROTO_DSTOPTS, body, len);
}

static size_t tlvs(uint8_t *p, unsigned int n, unsigned int len)
{
	for (unsigned int i = 0; i < n; i++) {
		p[i * (2 + len)] = 0x1e;
		p[i * (2 + len) + 1] = (uint8_t)len;
	}
	return n * (2 + len);
}

int main(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_steer_opts, so, .queues = 16);
	VTAP_OPTS_INIT(vtap_steer_rss, r, .hash_types = VTAP_HASH_TYPE_ALL,
		       .kind = VTAP_STEER_TABLE_EQUAL);
	static const uint8_t home[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
	struct vtap_steer *s;
	struct frame f;
	uint8_t o[2048], a4[4], b4[4];
	uint32_t base = 0;

	if (argc > 1)
		repeat = atoi(argv[1]);
	if (geteuid()) {
		fprintf(stderr, "bench_steer_worst: needs root\n");
		return 77;
	}
	s = vtap_steer__open("vtbenchw", &so);
	if (!s || vtap_steer__set_rss(s, &r)) {
		perror("bench_steer_worst: steering");
		return 1;
	}
	prog_fd = vtap_steer__prog_fd(s);
	printf("%-36s %6s %8s %6s\n", "frame", "len", "ns/run", "ratio");
	for (int k = 0; k < 9; k++) {
		const char *name = NULL;
		uint32_t ns;

		memset(o, 0, sizeof(o));
		ip6(&f);
		switch (k) {
		case 0:
			name = "ipv6 tcp (baseline)";
			break;
		case 1:
			name = "ipv4 tcp";
			frame_pton(AF_INET, "10.0.0.1", a4);
			frame_pton(AF_INET, "10.0.0.2", b4);
			frame_init(&f);
			frame_eth(&f, NULL, NULL);
			frame_ipv4(&f, a4, b4);
			break;
		case 2:
			name = "ipv6 hao + rh2 tcp";
			frame_ipv6_hao(&f, home);
			frame_ipv6_rh2(&f, home);
			break;
		case 3:
			name = "ipv6 8 hop-by-hop headers";
			for (int h = 0; h < 8; h++)
				frame_ipv6_ext(&f, FRAME_IPPROTO_HOPOPTS, NULL,
					       6);
			break;
		case 4:
			name = "dstopts of 2046 Pad1";
			dstopts(&f, NULL, 0, 2046);
			break;
		case 5:
			name = "dstopts 7 Pad1 + 8 options";
			tlvs(o + 7, 8, 0);
			dstopts(&f, o, 23, 23);
			break;
		case 6:
			name = "8 dstopts of long options";
			for (int h = 0; h < 8; h++)
				dstopts(&f, o, tlvs(o, 1, 253), 263);
			break;
		case 7:
			name = "8 dstopts of 8 short options";
			for (int h = 0; h < 8; h++)
				dstopts(&f, o, tlvs(o, 8, 0), 16);
			break;
		default:
			name = "8 dstopts of 1-step options";
			o[0] = 0x1e;
			o[1] = 200;
			for (int h = 0; h < 8; h++)
				dstopts(&f, o, 2, 38);
			break;
		}
		frame_tcp(&f, 40000, 5201);
		frame_finish(&f);
		ns = run_ns(&f);
		if (!k)
			base = ns;
		printf("%-36s %6zu %8u %5.1fx\n", name, f.len, ns,
		       (double)ns / base);
	}
	vtap_steer__close(s);
	return 0;
}
