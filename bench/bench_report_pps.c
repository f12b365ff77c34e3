// SPDX-License-Identifier: MIT
/*
 * bench_report_pps.c - the cost of hash reporting on receive: packets per
 * second read from one tap queue with vtap_queue__recv() with reporting
 * off and on (hash config of all types; and the steering program's RSS
 * configuration), alternating rounds on the same tap in the same run
 *
 * A generator thread in a private namespace blasts 64-byte IPv4/UDP frames
 * of 32 flows at the tap's netdev through an AF_PACKET socket
 * (PACKET_QDISC_BYPASS, sendmmsg), so every frame read is parsed and
 * hashed (UDPv4 4-tuple) when reporting is on. The goal (DESIGN.md):
 * reporting costs under 5% of the rate without it.
 *
 * Usage: bench_report_pps [SECONDS_PER_ROUND] [ROUNDS]   (root)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "bench_util.h"

#define HDR VTAP_VNET_HDR_HASH_LEN
#define FRAME 64
#define BATCH 32

/*
 * The generator's frames: broadcast IPv4/UDP, one source port per flow, so
 * every frame read is parsed and hashed when reporting is on.
 */
static void build_frames(uint8_t (*frame)[FRAME], struct iovec *iov)
{
	for (int i = 0; i < BATCH; i++) {
		uint8_t *f = frame[i], *ip = f + 14, *udp = ip + 20;

		memset(f, 0xff, 6);
		memcpy(f + 6, "\x02\x77\x00\x00\x00\x09", 6);
		f[12] = 0x08, f[13] = 0x00;
		ip[0] = 0x45;
		ip[3] = FRAME - 14;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, "\x0a\x63\x00\x02\x0a\x63\x00\x01", 8);
		udp[0] = 0x9c, udp[1] = (uint8_t)i;
		udp[2] = 0x13, udp[3] = 0x89;
		udp[5] = FRAME - 34;
		iov[i] = (struct iovec){frame[i], FRAME};
	}
}

/*
 * The work reporting adds per frame, timed alone: parse + cascade +
 * Toeplitz of the generator's frames with every type on. Unlike the
 * receive rates it does not depend on the generator or the scheduler, so
 * its ratio to the measured time per received frame is a steadier
 * estimate of the cost than the difference of two noisy rates.
 */
static double hash_ns_per_frame(uint8_t (*frame)[FRAME])
{
	VTAP_OPTS_INIT(vtap_rss_opts, o, .hash_types = VTAP_HASH_TYPE_ALL);
	struct vtap_rss *rss = vtap_rss__new(&o);
	struct vtap_rss_result r;
	volatile uint32_t sink = 0;
	const int n = 4000000;
	double t0, t;

	if (!rss)
		return 0;
	t0 = bench_now();
	for (int i = 0; i < n; i++) {
		vtap_rss__hash(rss, frame[i % BATCH], FRAME, 0, &r);
		sink ^= r.hash;
	}
	t = bench_now() - t0;
	vtap_rss__free(rss);
	(void)sink;
	return t * 1e9 / n;
}

int main(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .queues = 1, .vnet_hdr_len = HDR);
	VTAP_OPTS_INIT(vtap_report_opts, cfg, .mode = VTAP_REPORT_CONFIG,
		       .hash_types = VTAP_HASH_TYPE_ALL);
	VTAP_OPTS_INIT(vtap_report_opts, st_opts, .mode = VTAP_REPORT_STEER);
	VTAP_OPTS_INIT(vtap_steer_opts, so, .queues = 1);
	VTAP_OPTS_INIT(vtap_steer_rss, rss, .hash_types = VTAP_HASH_TYPE_ALL,
		       .equal_n = 1);
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	static uint8_t bufs[BATCH][VTAP_FRAME_MAX + HDR];
	double off = 0, on = 0, steer_off = 0, steer_on = 0;
	struct vtap_frame f[BATCH];
	struct vtap_queue_stats st;
	struct vtap_steer *steer;
	struct vtap_dev *dev;
	struct vtap_queue *q;
	static uint8_t gen_frames[BATCH][FRAME];
	struct iovec gen_iov[BATCH];
	struct bench_gen gen;

	if (geteuid()) {
		fprintf(stderr, "bench_report_pps: needs root\n");
		return 77;
	}
	dev = bench_tap_in_netns("vtbrep", "vtr", &opts);
	if (!dev)
		return 1;
	q = vtap_dev__queue(dev, 0);
	bench_frames_init(f, bufs[0], sizeof(bufs[0]), BATCH);

	build_frames(gen_frames, gen_iov);
	if (bench_gen_start(&gen, gen_iov, BATCH))
		return 1;
	/*
	 * A discarded warm-up round first: the generator, the tap's queue and
	 * the CPUs' clocks need a moment, which would otherwise count against
	 * whichever setting is measured first. Then the best of the
	 * alternating rounds: on a shared 2-CPU machine the best is the
	 * least disturbed.
	 */
	vtap_dev__set_report(dev, NULL);
	bench_recv_rate(q, f, BATCH, secs);
	/* Without a steering program: off, hash config on. */
	for (int r = 0; r < rounds; r++) {
		vtap_dev__set_report(dev, NULL);
		off = fmax(off, bench_recv_rate(q, f, BATCH, secs));
		vtap_dev__set_report(dev, &cfg);
		on = fmax(on, bench_recv_rate(q, f, BATCH, secs));
	}
	/* With RSS steering: off, reporting from the steering map. */
	steer = vtap_steer__open(bench_env.tap, &so);
	if (!steer || vtap_steer__attach_dev(steer, dev) ||
	    vtap_steer__set_rss(steer, &rss)) {
		perror("steering");
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		vtap_dev__set_report(dev, NULL);
		steer_off = fmax(steer_off, bench_recv_rate(q, f, BATCH, secs));
		vtap_dev__set_report(dev, &st_opts);
		steer_on = fmax(steer_on, bench_recv_rate(q, f, BATCH, secs));
	}
	bench_gen_stop(&gen);
	vtap_queue__stats(q, &st);

	printf("bench_report_pps: %d-byte IPv4/UDP frames, %d-byte vnet "
	       "header, batch %d, best of %d x %.1f s rounds\n",
	       FRAME, HDR, BATCH, rounds, secs);
	printf("%-28s %14s %14s %8s\n", "setup", "report off pps",
	       "report on pps", "cost");
	printf("%-28s %14.0f %14.0f %7.1f%%\n", "hash config (all types)", off,
	       on, 100.0 * (1 - on / off));
	printf("%-28s %14.0f %14.0f %7.1f%%\n", "RSS steering map", steer_off,
	       steer_on, 100.0 * (1 - steer_on / steer_off));
	double hns = hash_ns_per_frame(gen_frames);
	printf("hashing alone: %.1f ns per frame = %.2f%% of the %.0f ns per frame of "
	       "a plain receive\n",
	       hns, 100.0 * hns / (1e9 / off), 1e9 / off);
	printf("(reports: udpv4 %llu, none %llu)\n",
	       (unsigned long long)st.hash_reports[VTAP_HASH_REPORT_UDPV4],
	       (unsigned long long)st.hash_reports[VTAP_HASH_REPORT_NONE]);
	vtap_steer__close(steer);
	vtap_dev__close(dev);
	close(bench_env.ns_fd);
	return 0;
}
