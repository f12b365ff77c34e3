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
	/* Without a steering program: off, hash config on. */
	for (int r = 0; r < rounds; r++) {
		vtap_dev__set_report(dev, NULL);
		off += bench_recv_rate(q, f, BATCH, secs);
		vtap_dev__set_report(dev, &cfg);
		on += bench_recv_rate(q, f, BATCH, secs);
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
		steer_off += bench_recv_rate(q, f, BATCH, secs);
		vtap_dev__set_report(dev, &st_opts);
		steer_on += bench_recv_rate(q, f, BATCH, secs);
	}
	bench_gen_stop(&gen);
	vtap_queue__stats(q, &st);

	printf("bench_report_pps: %d-byte IPv4/UDP frames, %d-byte vnet "
	       "header, batch %d, %d x %.1f s rounds\n",
	       FRAME, HDR, BATCH, rounds, secs);
	printf("%-28s %14s %14s %8s\n", "setup", "report off pps",
	       "report on pps", "cost");
	printf("%-28s %14.0f %14.0f %7.1f%%\n", "hash config (all types)",
	       off / rounds, on / rounds, 100.0 * (1 - on / off));
	printf("%-28s %14.0f %14.0f %7.1f%%\n", "RSS steering map",
	       steer_off / rounds, steer_on / rounds,
	       100.0 * (1 - steer_on / steer_off));
	printf("(reports: udpv4 %llu, none %llu)\n",
	       (unsigned long long)st.hash_reports[VTAP_HASH_REPORT_UDPV4],
	       (unsigned long long)st.hash_reports[VTAP_HASH_REPORT_NONE]);
	vtap_steer__close(steer);
	vtap_dev__close(dev);
	close(bench_env.ns_fd);
	return 0;
}
