/* SPDX-License-Identifier: MIT */
/*
 * bench_util.h - helpers shared by the benchmarks: a monotonic clock, a
 * timed loop, a tap moved into a private namespace that is deleted at
 * exit, and a generator thread that blasts frames at that tap
 *
 * Header only (every function is static): each benchmark is one file.
 * The namespace and tap live in one global, bench_env, because the atexit
 * and signal handlers that delete the namespace need to find it.
 */
#ifndef VTAP_BENCH_UTIL_H
#define VTAP_BENCH_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <vtap/vtap.h>

/* The most frames a generator sends per sendmmsg(). */
#define BENCH_GEN_MAX 64

/**
 * bench_now() - seconds on the monotonic clock
 */
static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * struct bench_timer - a loop that runs for a fixed time and reads the
 * clock only every @every passes, so the clock costs little in tight loops
 */
struct bench_timer {
	double t0;
	double secs;
	unsigned int every;
	unsigned int spins;
};

/**
 * bench_timer_start() - start a timed loop of @secs seconds
 * @every: read the clock on every @every-th pass only
 */
static inline struct bench_timer bench_timer_start(double secs,
						   unsigned int every)
{
	return (struct bench_timer){
		.t0 = bench_now(), .secs = secs, .every = every};
}

/**
 * bench_timer_running() - end of a pass: true while time is left
 */
static inline bool bench_timer_running(struct bench_timer *t)
{
	if (++t->spins % t->every)
		return true;
	return bench_now() - t->t0 < t->secs;
}

/**
 * bench_timer_rate() - @n events over the time since the loop started,
 * per second
 */
static inline double bench_timer_rate(const struct bench_timer *t, uint64_t n)
{
	return (double)n / (bench_now() - t->t0);
}

/**
 * bench_recv_rate() - frames per second vtap_queue__recv() reads from @q
 * in batches of @batch into @f, for @secs seconds
 */
static inline double bench_recv_rate(struct vtap_queue *q, struct vtap_frame *f,
				     unsigned int batch, double secs)
{
	struct bench_timer t = bench_timer_start(secs, 64);
	uint64_t n = 0;

	do {
		int r = vtap_queue__recv(q, f, batch);

		if (r > 0)
			n += (uint64_t)r;
	} while (bench_timer_running(&t));
	return bench_timer_rate(&t, n);
}

/**
 * bench_frames_init() - point @n frames at consecutive buffers of @cap
 * bytes each, starting at @bufs
 */
static inline void bench_frames_init(struct vtap_frame *f, uint8_t *bufs,
				     size_t cap, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		f[i] = (struct vtap_frame){.buf = bufs + i * cap, .cap = cap};
}

/*
 * struct bench_env - the benchmark's namespace and the tap in it
 * @ns: namespace name; "" until bench_tap_in_netns() names it
 * @tap: the tap's name
 * @ns_fd: the namespace (open file of /run/netns/@ns), or -1
 */
struct bench_env {
	char ns[32];
	char tap[16];
	int ns_fd;
};

static struct bench_env bench_env = {.ns_fd = -1};

/**
 * bench_cleanup() - delete the namespace (and the tap in it), if named
 *
 * Registered with atexit() by bench_tap_in_netns().
 */
static inline void bench_cleanup(void)
{
	char cmd[96];

	if (bench_env.ns[0]) {
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null",
			 bench_env.ns);
		if (system(cmd))
			fprintf(stderr, "cleanup: %s failed\n", cmd);
	}
}

/**
 * bench_on_signal() - SIGINT/SIGTERM handler: clean up, then exit
 */
static inline void bench_on_signal(int sig)
{
	bench_cleanup();
	_exit(128 + sig);
}

/**
 * bench_tap_in_netns() - open a tap and move it into a new namespace
 * @ns_prefix: the namespace is named @ns_prefix followed by the pid
 * @tap_prefix: the tap is named @tap_prefix followed by the pid mod 10^6
 * @opts: options for vtap_dev__open()
 *
 * Fills bench_env, makes sure the namespace is deleted at exit or on
 * SIGINT/SIGTERM, and brings the tap up in the namespace with IPv6 off
 * (no stray neighbour discovery frames).
 *
 * Return: the device, or NULL after printing why.
 */
static inline struct vtap_dev *
bench_tap_in_netns(const char *ns_prefix, const char *tap_prefix,
		   const struct vtap_dev_opts *opts)
{
	struct bench_env *e = &bench_env;
	struct vtap_dev *dev;
	char cmd[256];

	snprintf(e->ns, sizeof(e->ns), "%s%d", ns_prefix, (int)getpid());
	snprintf(e->tap, sizeof(e->tap), "%s%d", tap_prefix,
		 (int)getpid() % 1000000);
	atexit(bench_cleanup);
	signal(SIGINT, bench_on_signal);
	signal(SIGTERM, bench_on_signal);
	snprintf(cmd, sizeof(cmd), "ip netns add %s", e->ns);
	if (system(cmd))
		return NULL;
	dev = vtap_dev__open(e->tap, opts);
	if (!dev) {
		perror("vtap_dev__open");
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "/run/netns/%s", e->ns);
	e->ns_fd = open(cmd, O_RDONLY | O_CLOEXEC);
	if (e->ns_fd < 0 || vtap_dev__set_netns(dev, e->ns_fd, 0)) {
		perror("move to namespace");
		return NULL;
	}
	snprintf(cmd, sizeof(cmd),
		 "ip -n %s link set %s up && ip netns exec %s sysctl -qw "
		 "net.ipv6.conf.%s.disable_ipv6=1",
		 e->ns, e->tap, e->ns, e->tap);
	if (system(cmd))
		return NULL;
	return dev;
}

/*
 * struct bench_gen - a thread in bench_env's namespace that sends frames at
 * the tap through an AF_PACKET socket (PACKET_QDISC_BYPASS, sendmmsg()) as
 * fast as it can, so they land on the tap's queues
 * @frames: the frames, one per message of each sendmmsg()
 * @n: how many (at most BENCH_GEN_MAX)
 * @stop: set by bench_gen_stop()
 * @thread: the thread
 */
struct bench_gen {
	const struct iovec *frames;
	unsigned int n;
	volatile bool stop;
	pthread_t thread;
};

static inline void *bench_gen_run(void *arg)
{
	struct bench_gen *g = arg;
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL)};
	struct mmsghdr msgs[BENCH_GEN_MAX];
	int s, one = 1;

	if (setns(bench_env.ns_fd, CLONE_NEWNET))
		return NULL;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;
	ll.sll_ifindex = (int)if_nametoindex(bench_env.tap);
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	memset(msgs, 0, sizeof(msgs));
	for (unsigned int i = 0; i < g->n; i++) {
		msgs[i].msg_hdr.msg_iov = (struct iovec *)&g->frames[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &ll;
		msgs[i].msg_hdr.msg_namelen = sizeof(ll);
	}
	while (!g->stop)
		sendmmsg(s, msgs, g->n, MSG_DONTWAIT);
	close(s);
	return NULL;
}

/**
 * bench_gen_start() - start sending @n @frames in a loop; give the
 * generator 100 ms to get going
 *
 * Return: 0, or -1 after printing why.
 */
static inline int bench_gen_start(struct bench_gen *g,
				  const struct iovec *frames, unsigned int n)
{
	int err = EINVAL;

	g->frames = frames;
	g->n = n;
	g->stop = false;
	if (n > BENCH_GEN_MAX ||
	    (err = pthread_create(&g->thread, NULL, bench_gen_run, g))) {
		fprintf(stderr, "generator: %s\n", strerror(err));
		return -1;
	}
	usleep(100000);
	return 0;
}

/**
 * bench_gen_stop() - stop the generator and wait for its thread
 */
static inline void bench_gen_stop(struct bench_gen *g)
{
	g->stop = true;
	pthread_join(g->thread, NULL);
}

#endif /* VTAP_BENCH_UTIL_H */
