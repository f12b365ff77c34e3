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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <vtap/vtap.h>

#define HDR 12
#define FRAME 64
#define BATCH 32

static char ns[32], tap[16];
static volatile bool gen_stop;
static int ns_fd = -1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void cleanup(void)
{
	char cmd[96];

	if (ns[0]) {
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns);
		if (system(cmd))
			fprintf(stderr, "cleanup: %s failed\n", cmd);
	}
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

static void *generator(void *arg)
{
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL)};
	static uint8_t frame[FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = {frame, FRAME};
	int s, one = 1;

	(void)arg;
	if (setns(ns_fd, CLONE_NEWNET))
		return NULL;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;
	ll.sll_ifindex = (int)if_nametoindex(tap);
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	/* Broadcast UDP-ish frame: the reader only counts. */
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x77\x00\x00\x00\x09", 6);
	frame[12] = 0x08, frame[13] = 0x00;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &ll;
		msgs[i].msg_hdr.msg_namelen = sizeof(ll);
	}
	while (!gen_stop)
		sendmmsg(s, msgs, BATCH, MSG_DONTWAIT);
	close(s);
	return NULL;
}

static double rx_lib(struct vtap_queue *q, struct vtap_frame *f, double secs)
{
	double t0 = now(), t;
	uint64_t n = 0;
	unsigned int spins = 0;

	do {
		int r = vtap_queue__recv(q, f, BATCH);

		if (r > 0)
			n += (uint64_t)r;
		if (++spins % 64 == 0)
			t = now();
		else
			t = t0;
	} while (t - t0 < secs);
	return (double)n / (now() - t0);
}

static double rx_plain(int fd, uint8_t *buf, size_t cap, double secs)
{
	double t0 = now(), t;
	uint64_t n = 0;
	unsigned int spins = 0;

	do {
		if (read(fd, buf, cap) > 0)
			n++;
		if (++spins % 2048 == 0)
			t = now();
		else
			t = t0;
	} while (t - t0 < secs);
	return (double)n / (now() - t0);
}

static double tx_lib(struct vtap_queue *q, struct vtap_frame *f, double secs)
{
	double t0 = now(), t;
	uint64_t n = 0;
	unsigned int spins = 0;

	do {
		int r = vtap_queue__send(q, f, BATCH);

		if (r > 0)
			n += (uint64_t)r;
		if (++spins % 64 == 0)
			t = now();
		else
			t = t0;
	} while (t - t0 < secs);
	return (double)n / (now() - t0);
}

static double tx_plain(int fd, const uint8_t *buf, size_t len, double secs)
{
	double t0 = now(), t;
	uint64_t n = 0;
	unsigned int spins = 0;

	do {
		if (write(fd, buf, len) == (ssize_t)len)
			n++;
		if (++spins % 2048 == 0)
			t = now();
		else
			t = t0;
	} while (t - t0 < secs);
	return (double)n / (now() - t0);
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
	pthread_t gen;
	char cmd[256];
	int fd;

	if (geteuid()) {
		fprintf(stderr, "bench_queue_pps: needs root\n");
		return 77;
	}
	snprintf(ns, sizeof(ns), "vtbench%d", (int)getpid());
	snprintf(tap, sizeof(tap), "vtb%d", (int)getpid() % 1000000);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	snprintf(cmd, sizeof(cmd), "ip netns add %s", ns);
	if (system(cmd))
		return 1;
	dev = vtap_dev__open(tap, &opts);
	if (!dev) {
		perror("vtap_dev__open");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "/run/netns/%s", ns);
	ns_fd = open(cmd, O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0 || vtap_dev__set_netns(dev, ns_fd, 0)) {
		perror("move to namespace");
		return 1;
	}
	snprintf(cmd, sizeof(cmd),
		 "ip -n %s link set %s up && ip netns exec %s sysctl -qw "
		 "net.ipv6.conf.%s.disable_ipv6=1",
		 ns, tap, ns, tap);
	if (system(cmd))
		return 1;
	q = vtap_dev__queue(dev, 0);
	fd = vtap_queue__fd(q);
	for (int i = 0; i < BATCH; i++)
		f[i] = (struct vtap_frame){.buf = bufs[i],
					   .cap = sizeof(bufs[i])};

	/* Receive: the generator runs through every round. */
	pthread_create(&gen, NULL, generator, NULL);
	usleep(100000);
	for (int r = 0; r < rounds; r++) {
		lib_rx += rx_lib(q, f, secs);
		plain_rx += rx_plain(fd, bufs[0], sizeof(bufs[0]), secs);
	}
	gen_stop = true;
	pthread_join(gen, NULL);

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
	close(ns_fd);
	return 0;
}
