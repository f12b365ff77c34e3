// SPDX-License-Identifier: MIT
/*
 * bench_steer_pps.c - what steering costs, measured in one run
 *
 * 1. Receive rate of UDP frames sent from a namespace through a 1-queue
 *    tap and read by one reader, with no steering program (stock automq),
 *    with vtap's program doing RSS only, and with the full chain (64 rules
 *    that do not match, an exact-rule lookup, RSS). The sender is one
 *    thread in the namespace using sendmmsg(); the reader one thread.
 * 2. The program alone under BPF_PROG_TEST_RUN (ns per frame, IPv6 TCP,
 *    RSS only): Toeplitz from per-byte tables vs the BPF bit loop
 *    (steer_bitloop.bpf.o, the same program built with
 *    -DVTAP_STEER_BITLOOP, reading the same configuration map).
 *
 * Needs root. Usage: bench_steer_pps [seconds per case, default 2]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer_bitloop.skel.h"
#include "steer_impl.h"
#include "vtap/vtap.h"

#include "bench_util.h"

static char tap[IFNAMSIZ] = "vtbench0", ns[32] = "vtbenchns";
static atomic_bool stop;

static int sh(const char *cmd)
{
	return system(cmd);
}

static void *sender(void *arg)
{
	int s = *(int *)arg;
	struct mmsghdr m[64];
	struct sockaddr_in dst[64];
	struct iovec iov[64];
	char payload[18] = "vtap-bench";

	for (int i = 0; i < 64; i++) {
		memset(&dst[i], 0, sizeof(dst[i]));
		dst[i].sin_family = AF_INET;
		dst[i].sin_port = htons((uint16_t)(20000 + i));
		inet_pton(AF_INET, "10.99.0.2", &dst[i].sin_addr);
		iov[i].iov_base = payload;
		iov[i].iov_len = sizeof(payload);
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_name = &dst[i];
		m[i].msg_hdr.msg_namelen = sizeof(dst[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load(&stop))
		sendmmsg(s, m, 64, 0);
	return NULL;
}

/* Receive for @secs seconds; return frames per second. */
static double measure(int qfd, int udp, double secs)
{
	static char buf[2048];
	unsigned long n = 0;
	pthread_t th;
	double t0, t;

	atomic_store(&stop, false);
	pthread_create(&th, NULL, sender, &udp);
	usleep(200000);
	while (read(qfd, buf, sizeof(buf)) > 0)
		;
	t0 = bench_now();
	do {
		struct pollfd p = {.fd = qfd, .events = POLLIN};

		poll(&p, 1, 10);
		while (read(qfd, buf, sizeof(buf)) > 0)
			n++;
		t = bench_now();
	} while (t - t0 < secs);
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	return (double)n / (t - t0);
}

static int set_prog(int qfd, int prog_fd)
{
	return ioctl(qfd, TUNSETSTEERINGEBPF, &prog_fd);
}

/* ns per run of @prog_fd on @frame (behind a dummy Ethernet header). */
static double test_run_ns(int prog_fd, const uint8_t *frame, size_t len)
{
	uint8_t buf[256] = {[12] = 0x88, [13] = 0xb5};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf,
		    .data_size_in = (uint32_t)(14 + len), .repeat = 1000000);

	memcpy(buf + 14, frame, len);
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -1;
	return (double)o.duration;
}

static void build_v6_tcp(uint8_t *f, size_t *len)
{
	memset(f, 0, 78);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 20;
	f[20] = 6; /* next header TCP */
	f[21] = 64;
	inet_pton(AF_INET6, "2001:db8::1", f + 22);
	inet_pton(AF_INET6, "2001:db8::2", f + 38);
	f[54] = 0x30;
	f[55] = 0x39;
	f[56] = 0x14;
	f[57] = 0x51;
	f[66] = 0x50;
	*len = 74;
}

int main(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_steer_rss, rss, .hash_types = VTAP_HASH_TYPE_ALL,
		       .kind = VTAP_STEER_TABLE_EQUAL);
	double secs = argc > 1 ? atof(argv[1]) : 2.0, base, r_rss, r_full;
	struct steer_bitloop_bpf *bl = NULL;
	struct vtap_steer *s;
	struct ifreq ifr;
	uint8_t frame[128];
	size_t flen;
	int qfd, udp, orig, nsfd, prog;
	char cmd[512];

	if (geteuid()) {
		fprintf(stderr, "bench_steer_pps: needs root\n");
		return 77;
	}
	snprintf(tap, sizeof(tap), "vtb%d", getpid() % 100000);
	snprintf(ns, sizeof(ns), "vtbn%d", getpid() % 100000);
	qfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	if (qfd < 0 || ioctl(qfd, TUNSETIFF, &ifr)) {
		perror("tap");
		return 1;
	}
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %s && ip link set %s netns %s && "
		 "ip -n %s addr add 10.99.0.1/24 dev %s && "
		 "ip -n %s link set %s up && "
		 "ip -n %s neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev %s",
		 ns, tap, ns, ns, tap, ns, tap, ns, tap);
	if (sh(cmd)) {
		fprintf(stderr, "namespace setup failed\n");
		goto out_ns;
	}
	orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(cmd, sizeof(cmd), "/run/netns/%s", ns);
	nsfd = open(cmd, O_RDONLY | O_CLOEXEC);
	setns(nsfd, CLONE_NEWNET);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setns(orig, CLONE_NEWNET);

	s = vtap_steer__open(tap, NULL);
	if (!s) {
		perror("vtap_steer__open");
		goto out_ns;
	}
	prog = vtap_steer__prog_fd(s);

	for (int i = 0; i < 64; i++) {
		VTAP_OPTS_INIT(vtap_steer_rule, r, .proto = 6,
			       .has_dport = true, .dport = (uint16_t)(1000 + i),
			       .queue = 0, .prio = (uint16_t)i);
		vtap_steer__rule_add(s, &r, NULL);
	}
	vtap_steer__set_rss(s, &rss);
	printf("receive rate, 1 queue, UDP 64 flows, best of 3 interleaved rounds of %.1f s\n",
	       secs);
	/* Interleaved rounds, best of each: the machine is shared. */
	base = r_rss = r_full = 0;
	for (int round = 0; round < 3; round++) {
		double v;

		set_prog(qfd, -1);
		v = measure(qfd, udp, secs);
		base = v > base ? v : base;
		vtap_steer__set_steps(s, VTAP_STEER_STEP_RSS);
		set_prog(qfd, prog);
		v = measure(qfd, udp, secs);
		r_rss = v > r_rss ? v : r_rss;
		vtap_steer__set_steps(s, VTAP_STEER_STEP_RULES |
						 VTAP_STEER_STEP_RSS);
		v = measure(qfd, udp, secs);
		r_full = v > r_full ? v : r_full;
	}
	set_prog(qfd, -1);
	printf("  %-24s %10.0f pps  (baseline)\n", "no program (automq)", base);
	printf("  %-24s %10.0f pps  (%+.1f%%)\n", "RSS only", r_rss,
	       100.0 * (r_rss - base) / base);
	printf("  %-24s %10.0f pps  (%+.1f%%)\n", "rules(64)+exact+RSS", r_full,
	       100.0 * (r_full - base) / base);

	/* The program alone: table Toeplitz vs bit loop, same config. */
	vtap_steer__set_steps(s, VTAP_STEER_STEP_RSS);
	build_v6_tcp(frame, &flen);
	bl = steer_bitloop_bpf__open();
	if (!bl ||
	    bpf_map__reuse_fd(bl->maps.cfg, vtap_steer_map_fd(s, "cfg")) ||
	    steer_bitloop_bpf__load(bl)) {
		fprintf(stderr, "loading the bit-loop variant failed\n");
	} else {
		double t_tab = test_run_ns(prog, frame, flen);
		double t_bit = test_run_ns(
			bpf_program__fd(bl->progs.vtap_steer), frame, flen);

		printf("program alone (BPF_PROG_TEST_RUN, IPv6 TCP, RSS only)\n");
		printf("  %-24s %10.1f ns/frame\n", "Toeplitz byte tables",
		       t_tab);
		printf("  %-24s %10.1f ns/frame  (%.1fx the tables)\n",
		       "Toeplitz bit loop", t_bit, t_bit / t_tab);
	}
	steer_bitloop_bpf__destroy(bl);
	vtap_steer__close(s);
out_ns:
	close(qfd);
	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns);
	sh(cmd);
	return 0;
}
