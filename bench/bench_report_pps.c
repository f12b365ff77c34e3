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

#define HDR VTAP_VNET_HDR_HASH_LEN
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
	static uint8_t frame[BATCH][FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int s, one = 1;

	(void)arg;
	if (setns(ns_fd, CLONE_NEWNET))
		return NULL;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;
	ll.sll_ifindex = (int)if_nametoindex(tap);
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		uint8_t *f = frame[i], *ip = f + 14, *udp = ip + 20;

		/* Broadcast IPv4/UDP, one source port per flow. */
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
		msgs[i].msg_hdr.msg_iov = &iov[i];
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
	pthread_t gen;
	char cmd[256];

	if (geteuid()) {
		fprintf(stderr, "bench_report_pps: needs root\n");
		return 77;
	}
	snprintf(ns, sizeof(ns), "vtbrep%d", (int)getpid());
	snprintf(tap, sizeof(tap), "vtr%d", (int)getpid() % 1000000);
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
	for (int i = 0; i < BATCH; i++)
		f[i] = (struct vtap_frame){.buf = bufs[i],
					   .cap = sizeof(bufs[i])};

	pthread_create(&gen, NULL, generator, NULL);
	usleep(100000);
	/* Without a steering program: off, hash config on. */
	for (int r = 0; r < rounds; r++) {
		vtap_dev__set_report(dev, NULL);
		off += rx_lib(q, f, secs);
		vtap_dev__set_report(dev, &cfg);
		on += rx_lib(q, f, secs);
	}
	/* With RSS steering: off, reporting from the steering map. */
	steer = vtap_steer__open(tap, &so);
	if (!steer || vtap_steer__attach_dev(steer, dev) ||
	    vtap_steer__set_rss(steer, &rss)) {
		perror("steering");
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		vtap_dev__set_report(dev, NULL);
		steer_off += rx_lib(q, f, secs);
		vtap_dev__set_report(dev, &st_opts);
		steer_on += rx_lib(q, f, secs);
	}
	gen_stop = true;
	pthread_join(gen, NULL);
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
	close(ns_fd);
	return 0;
}
