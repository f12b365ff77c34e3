// SPDX-License-Identifier: MIT
/*
 * demo.c - vtap-switchd --demo: the switch at work in one command
 *
 * Two network namespaces, made with unshare() and held only by file
 * descriptors (nothing is mounted under /run/netns, so nothing outlives
 * the process even if it is killed), one switch port each, addresses
 * 10.199.0.1/24 and 10.199.0.2/24 inside them. Sender threads enter the
 * first namespace and receiver threads the second (setns() works per
 * thread), and several TCP connections run through the switch for a few
 * seconds while a progress line shows the rate. Then it prints the
 * throughput, the packets each queue of each port carried (libvtap's
 * per-queue counters), and two checks: every byte sent was received, and
 * the hash libvtap reported in each frame's 20-byte virtio-net header
 * selects, through the port's indirection table, the queue the kernel's
 * steering program put the frame on (the BPF program and the library's C
 * twin agree, frame by frame, on real traffic). Ctrl-C
 * stops early and still cleans up: the ports' taps go with their fds and
 * the namespaces with the last fd that holds them; the transfer is then
 * not judged (bytes in flight were never received) and the exit status
 * is 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
 *
 * The last lines are meant for scripts:
 *   transfer check: SENT bytes sent, RECEIVED received: PASS|FAIL
 *                   (or "not checked (interrupted)")
 *   hash/steering check: N frames, M mismatches: PASS|FAIL
 *   demo: PASS|FAIL|interrupted
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "switchd.h"

#define DEMO_PORT 5201
#define DEMO_BUF (256 * 1024)

struct demo {
	int ns[2];
	unsigned int conns;
	unsigned int seconds;
	_Atomic bool abort;
	_Atomic bool listening;
	_Atomic uint64_t sent;
	_Atomic uint64_t received;
	_Atomic unsigned int senders_done;
	_Atomic bool receiver_done;
	_Atomic int error;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_netns(void)
{
	int saved, fd;

	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		fd = -errno;
		close(saved);
		return fd;
	}
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	else if (if_up("lo"))
		fd = -EIO;
	setns(saved, CLONE_NEWNET);
	close(saved);
	return fd;
}

static void *receiver(void *arg)
{
	struct demo *d = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(DEMO_PORT)};
	struct epoll_event ev, evs[16];
	unsigned int open_conns = 0, accepted = 0;
	int one = 1, lfd, ep = -1;
	char *buf = malloc(DEMO_BUF);

	if (!buf || setns(d->ns[1], CLONE_NEWNET) < 0)
		goto fail;
	sa.sin_addr.s_addr = inet_addr("10.199.0.2");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		goto fail;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 64) < 0)
		goto close_lfd;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	atomic_store(&d->listening, true);
	while (!atomic_load(&d->abort) && (accepted < d->conns || open_conns)) {
		int n = epoll_wait(ep, evs, 16, 100);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c = accept4(lfd, NULL, NULL,
						SOCK_CLOEXEC | SOCK_NONBLOCK);

				if (c < 0)
					continue;
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				accepted++;
				open_conns++;
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, DEMO_BUF);

				if (r > 0) {
					atomic_fetch_add(&d->received,
							 (uint64_t)r);
					continue;
				}
				if (r < 0 && errno == EAGAIN)
					break;
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				open_conns--;
				break;
			}
		}
	}
	close(ep);
close_lfd:
	close(lfd);
	free(buf);
	atomic_store(&d->receiver_done, true);
	return NULL;
fail:
	free(buf);
	atomic_store(&d->error, errno ? errno : EIO);
	atomic_store(&d->listening, true);
	atomic_store(&d->receiver_done, true);
	return NULL;
}

static void *sender(void *arg)
{
	struct demo *d = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(DEMO_PORT)};
	double end = now_s() + d->seconds;
	char *buf = calloc(1, DEMO_BUF);
	int fd = -1;

	if (!buf || setns(d->ns[0], CLONE_NEWNET) < 0)
		goto out;
	sa.sin_addr.s_addr = inet_addr("10.199.0.2");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	/* The first SYNs may race ARP through a cold MAC table: retry. */
	for (int i = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0;
	     i++) {
		if (i == 50 || atomic_load(&d->abort)) {
			atomic_store(&d->error, errno);
			goto out;
		}
		close(fd);
		usleep(100000);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	for (unsigned int i = 0; i < DEMO_BUF; i++)
		buf[i] = (char)(i * 7);
	while (!atomic_load(&d->abort) && now_s() < end) {
		ssize_t n = send(fd, buf, DEMO_BUF, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			atomic_store(&d->error, errno);
			break;
		}
		atomic_fetch_add(&d->sent, (uint64_t)n);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	atomic_fetch_add(&d->senders_done, 1);
	return NULL;
}

/* The number of a pending signal (SIGINT, SIGTERM, SIGHUP), or 0. */
static int got_signal(int sfd)
{
	struct signalfd_siginfo si;

	return read(sfd, &si, sizeof(si)) > 0 ? (int)si.ssi_signo : 0;
}

static void print_human(double v, const char *unit, char *out, size_t n)
{
	if (v >= 1e9)
		snprintf(out, n, "%.2f G%s", v / 1e9, unit);
	else if (v >= 1e6)
		snprintf(out, n, "%.2f M%s", v / 1e6, unit);
	else
		snprintf(out, n, "%.0f %s", v, unit);
}

int demo_run(const char *argv0, unsigned int seconds, unsigned int queues,
	     unsigned int conns)
{
	static struct sw sw;
	static struct demo d;
	struct sw_config cfg;
	struct sw_port_config pc[2];
	bool steer[2] = {false, false};
	pthread_t rx, *tx = NULL;
	unsigned int started = 0;
	uint64_t checked = 0, mism = 0;
	char err[256], names[2][SW_IFNAMSIZ], a[32], b[32];
	bool interrupted = false, ok_transfer, ok_hash;
	double t0, t1, last = 0;
	sigset_t mask;
	int sfd, ret = 1, signo = 0;
	const bool tty = isatty(STDOUT_FILENO);

	(void)argv0;
	if (geteuid() != 0) {
		fprintf(stderr,
			"vtap-switchd: --demo needs root (network namespaces, taps)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	d.conns = conns;
	d.seconds = seconds;
	d.ns[0] = d.ns[1] = -1;
	for (int i = 0; i < 2; i++) {
		d.ns[i] = make_netns();
		if (d.ns[i] < 0) {
			fprintf(stderr,
				"vtap-switchd: demo: make namespace: %s\n",
				strerror(-d.ns[i]));
			goto close_ns;
		}
	}
	swcfg_init(&cfg);
	cfg.workers = (uint16_t)queues;
	/* The demo's control socket is private to it. */
	snprintf(cfg.control, sizeof(cfg.control), "/run/vtap-switchd-demo.%d",
		 getpid());
	if (sw_init(&sw, &cfg)) {
		fprintf(stderr, "vtap-switchd: demo: out of memory\n");
		goto close_ns;
	}
	sw.quiet = true;
	for (int i = 0; i < 2; i++) {
		snprintf(names[i], sizeof(names[i]), "vtdemo%u%c",
			 (unsigned int)getpid() % 10000000, 'a' + i);
		swcfg_port_init(&pc[i], names[i]);
		pc[i].queues = (uint16_t)queues;
		if (sw_port_add(&sw, &pc[i], d.ns[i], err, sizeof(err))) {
			fprintf(stderr, "vtap-switchd: demo: %s\n", err);
			goto fini;
		}
	}
	for (int i = 0; i < 2; i++) {
		int saved;

		struct sw_port *p = sw_port_find(&sw, names[i]);

		/* The check is about libvtap's report agreeing with the
		 * steering program: a software hash does not count. */
		steer[i] = p->steered && p->hash_src != SW_HASH_SOFT;
		if (!steer[i])
			fprintf(stderr, "vtap-switchd: demo: port %s: %s\n",
				names[i],
				p->steered ? "libvtap does not report hashes"
					   : "no vtap RSS steering");
		if (ns_enter(d.ns[i], &saved) ||
		    if_addr4(names[i], htonl(0x0ac70001 + (uint32_t)i), 24)) {
			fprintf(stderr,
				"vtap-switchd: demo: address on %s: %s\n",
				names[i], strerror(errno));
			ns_leave(saved);
			goto fini;
		}
		ns_leave(saved);
	}
	if (sw_start(&sw)) {
		fprintf(stderr, "vtap-switchd: demo: start workers: %s\n",
			strerror(errno));
		goto fini;
	}
	printf("vtap-switchd demo: ports %s (10.199.0.1, own netns) and %s (10.199.0.2, own netns),\n"
	       "  %u queues per port, %u workers, %u TCP connections for %u s\n",
	       names[0], names[1], queues, sw.n_workers, conns, seconds);

	if (pthread_create(&rx, NULL, receiver, &d)) {
		fprintf(stderr, "vtap-switchd: demo: thread: %s\n",
			strerror(errno));
		goto stop;
	}
	while (!atomic_load(&d.listening))
		usleep(1000);
	tx = calloc(conns, sizeof(*tx));
	t0 = now_s();
	for (; tx && started < conns; started++)
		if (pthread_create(&tx[started], NULL, sender, &d))
			break;
	while (atomic_load(&d.senders_done) < started) {
		double t = now_s() - t0;
		int sig;

		usleep(250000);
		sig = got_signal(sfd);
		if (sig) {
			signo = sig;
			interrupted = true;
			atomic_store(&d.abort, true);
		}
		if (tty || t - last >= 1.0) {
			char rate[32], tot[32];
			double el = now_s() - t0;

			print_human(8.0 * (double)atomic_load(&d.received) /
					    (el > 0 ? el : 1),
				    "bit/s", rate, sizeof(rate));
			print_human((double)atomic_load(&d.received), "B", tot,
				    sizeof(tot));
			printf(tty ? "\r  %5.1f s  %s  (%s received)   "
				   : "  %5.1f s  %s  (%s received)\n",
			       el, rate, tot);
			fflush(stdout);
			last = t;
		}
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(tx[i], NULL);
	t1 = now_s();
	/* Let the receiver drain what is in flight (bounded). */
	for (int i = 0; i < 100 && !atomic_load(&d.receiver_done); i++) {
		if (got_signal(sfd))
			break;
		usleep(50000);
	}
	atomic_store(&d.abort, true);
	pthread_join(rx, NULL);
	if (tty)
		printf("\n");
	if (interrupted)
		printf("interrupted: cleaning up\n");

	print_human(8.0 * (double)atomic_load(&d.received) / (t1 - t0), "bit/s",
		    a, sizeof(a));
	print_human((double)atomic_load(&d.received), "B", b, sizeof(b));
	printf("throughput: %s (%s in %.1f s, %u connections)\n", a, b, t1 - t0,
	       started);
	for (int i = 0; i < 2; i++) {
		struct sw_port *p = sw_port_find(&sw, names[i]);
		struct vtap_queue_stats st[SW_QUEUES_MAX];

		/* The library's per-queue counters, as vtapctl stats shows. */
		for (unsigned int q = 0; q < p->nq; q++) {
			memset(&st[q], 0, sizeof(st[q]));
			vtap_queue__stats(p->q[q], &st[q]);
			checked += atomic_load(&p->qs[q].hash_checked);
			mism += atomic_load(&p->qs[q].hash_mismatch);
		}
		printf("port %s:", p->name);
		for (unsigned int q = 0; q < p->nq; q++)
			printf(" q%u rx %" PRIu64 " tx %" PRIu64, q,
			       st[q].rx_packets, st[q].tx_packets);
		printf(" packets; gso frames rx");
		for (unsigned int q = 0; q < p->nq; q++)
			printf(" %" PRIu64, st[q].rx_gso);
		printf("; hash %s\n", port_hash_src_name(p->hash_src));
	}
	printf("checked: the receiver got every byte sent, and for every frame\n"
	       "  the hash libvtap reported in its virtio-net header picks,\n"
	       "  through the port's RSS table, the queue the kernel's steering\n"
	       "  program put it on\n");
	ok_transfer = !interrupted && atomic_load(&d.sent) > 0 &&
		      atomic_load(&d.sent) == atomic_load(&d.received) &&
		      !atomic_load(&d.error);
	/* Cut short, bytes in flight were never received: no verdict. */
	printf("transfer check: %" PRIu64 " bytes sent, %" PRIu64
	       " received: %s\n",
	       (uint64_t)atomic_load(&d.sent),
	       (uint64_t)atomic_load(&d.received),
	       interrupted   ? "not checked (interrupted)"
	       : ok_transfer ? "PASS"
			     : "FAIL");
	if (atomic_load(&d.error))
		printf("transfer error: %s\n", strerror(atomic_load(&d.error)));
	ok_hash = steer[0] && steer[1] && checked > 0 && mism == 0;
	if (steer[0] && steer[1])
		printf("hash/steering check: %" PRIu64 " frames, %" PRIu64
		       " mismatches: %s\n",
		       checked, mism, ok_hash ? "PASS" : "FAIL");
	else
		printf("hash/steering check: no RSS steering with hashes reported by libvtap on the ports: FAIL\n");
	ret = ok_transfer && ok_hash ? 0 : 1;
	if (interrupted) {
		/* The shell's convention for a command ended by a signal. */
		ret = 128 + signo;
		printf("demo: interrupted\n");
	} else {
		printf("demo: %s\n", ret ? "FAIL" : "PASS");
	}
stop:
	free(tx);
	sw_stop(&sw);
fini:
	sw_fini(&sw);
close_ns:
	for (int i = 0; i < 2; i++)
		if (d.ns[i] >= 0)
			close(d.ns[i]);
	close(sfd);
	return ret;
}
