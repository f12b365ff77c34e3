// SPDX-License-Identifier: MIT
/*
 * bench_queue_pps.c - packets per second through one tap queue: the
 * library's batched vtap_queue__recv()/send() against a plain read()/write()
 * loop on the same queue fd, in the same run
 *
 * Receive: a generator thread in a private namespace blasts 64-byte frames
 * at the tap's netdev through an AF_PACKET socket (PACKET_QDISC_BYPASS,
 * sendmmsg), so they land on the tap's queue; the reader drains the queue
 * for a fixed time, alternating library and plain loop rounds. Send: frames
 * with a 12-byte vnet header and an Ethernet destination nobody has are
 * written to the tap (the namespace's stack drops them early).
 *
 * Usage: bench_queue_pps [SECONDS_PER_ROUND] [ROUNDS]   (root)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "bench_util.h"

#define HDR 12
#define FRAME 64
#define BATCH 32

/* Frames per second a plain read() loop gets from @fd. */
static double rx_plain(int fd, uint8_t *buf, size_t cap, double secs)
{
	struct bench_timer t = bench_timer_start(secs, 2048);
	uint64_t n = 0;

	do {
		if (read(fd, buf, cap) > 0)
			n++;
	} while (bench_timer_running(&t));
	return bench_timer_rate(&t, n);
}

/* Frames per second vtap_queue__send() gets out in batches. */
static double tx_lib(struct vtap_queue *q, struct vtap_frame *f, double secs)
{
	struct bench_timer t = bench_timer_start(secs, 64);
	uint64_t n = 0;

	do {
		int r = vtap_queue__send(q, f, BATCH);

		if (r > 0)
			n += (uint64_t)r;
	} while (bench_timer_running(&t));
	return bench_timer_rate(&t, n);
}

/* Frames per second a plain write() loop gets out. */
static double tx_plain(int fd, const uint8_t *buf, size_t len, double secs)
{
	struct bench_timer t = bench_timer_start(secs, 2048);
	uint64_t n = 0;

	do {
		if (write(fd, buf, len) == (ssize_t)len)
			n++;
	} while (bench_timer_running(&t));
	return bench_timer_rate(&t, n);
}

int main(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .queues = 1, .vnet_hdr_len = HDR);
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	static uint8_t bufs[BATCH][VTAP_FRAME_MAX + HDR];
	double lib_rx = 0, plain_rx = 0, lib_tx = 0, plain_tx = 0;
	struct vtap_frame f[BATCH];
	struct vtap_queue_stats st;
	struct vtap_dev *dev;
	struct vtap_queue *q;
	static uint8_t gen_frame[FRAME];
	struct iovec gen_iov[BATCH];
	struct bench_gen gen;
	int fd;

	if (geteuid()) {
		fprintf(stderr, "bench_queue_pps: needs root\n");
		return 77;
	}
	dev = bench_tap_in_netns("vtbench", "vtb", &opts);
	if (!dev)
		return 1;
	q = vtap_dev__queue(dev, 0);
	fd = vtap_queue__fd(q);
	bench_frames_init(f, bufs[0], sizeof(bufs[0]), BATCH);

	/*
	 * Receive: the generator runs through every round, sending one
	 * broadcast UDP-ish frame over and over (the reader only counts).
	 */
	memset(gen_frame, 0xff, 6);
	memcpy(gen_frame + 6, "\x02\x77\x00\x00\x00\x09", 6);
	gen_frame[12] = 0x08, gen_frame[13] = 0x00;
	for (int i = 0; i < BATCH; i++)
		gen_iov[i] = (struct iovec){gen_frame, FRAME};
	if (bench_gen_start(&gen, gen_iov, BATCH))
		return 1;
	for (int r = 0; r < rounds; r++) {
		lib_rx += bench_recv_rate(q, f, BATCH, secs);
		plain_rx += rx_plain(fd, bufs[0], sizeof(bufs[0]), secs);
	}
	bench_gen_stop(&gen);

	/* Send: valid 64-byte frames to a MAC nobody has. */
	for (int i = 0; i < BATCH; i++) {
		memset(bufs[i], 0, HDR + FRAME);
		memcpy(bufs[i] + HDR, "\x02\x77\x00\x00\x00\x0a", 6);
		memcpy(bufs[i] + HDR + 6, "\x02\x77\x00\x00\x00\x0b", 6);
		bufs[i][HDR + 12] = 0x08;
		f[i].len = HDR + FRAME;
	}
	for (int r = 0; r < rounds; r++) {
		lib_tx += tx_lib(q, f, secs);
		plain_tx += tx_plain(fd, bufs[0], HDR + FRAME, secs);
	}
	vtap_queue__stats(q, &st);

	printf("bench_queue_pps: %d-byte frames, %d-byte vnet header, batch "
	       "%d, %d x %.1f s rounds\n",
	       FRAME, HDR, BATCH, rounds, secs);
	printf("%-8s %14s %14s %8s\n", "path", "library pps", "plain pps",
	       "ratio");
	printf("%-8s %14.0f %14.0f %8.3f\n", "receive", lib_rx / rounds,
	       plain_rx / rounds, lib_rx / plain_rx);
	printf("%-8s %14.0f %14.0f %8.3f\n", "send", lib_tx / rounds,
	       plain_tx / rounds, lib_tx / plain_tx);
	printf("(library counters: rx %llu, tx %llu, tx drops queue_full %llu)\n",
	       (unsigned long long)st.rx_packets,
	       (unsigned long long)st.tx_packets,
	       (unsigned long long)st.tx_drops[VTAP_DROP_QUEUE_FULL]);
	vtap_dev__close(dev);
	close(bench_env.ns_fd);
	return 0;
}
