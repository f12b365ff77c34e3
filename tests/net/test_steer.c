// SPDX-License-Identifier: MIT
/*
 * test_steer.c - the steering program on a real 4-queue tap with traffic
 * from a network namespace: every frame arrives on the queue the C twin
 * predicts; table changes, queue detach/attach, flow rules, the example
 * extension and automq all steer real packets
 *
 * The tap's netdev lives in namespace NS (10.88.0.1/24, fd88::1/64) with
 * static neighbours 10.88.0.2 / fd88::2 behind it, so datagrams and TCP
 * SYNs to those addresses leave through the tap and are read here on its
 * queues.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "netns.h"
#include "vtap/vtap.h"

#define NQ 4
#define NFLOWS 64

static char tap[16], ns[16];
static struct vtap_dev *dev;
static struct vtap_steer *steer;
static int udp4, udp6;

struct counts {
	unsigned long frames; /* frames read */
	unsigned long mismatch; /* not on the predicted queue */
	unsigned long on_qid[NQ]; /* by stable queue id */
	unsigned long by[8]; /* by decider */
	unsigned long icmp_on_kidx[NQ];
	unsigned long dport_on_kidx[NQ]; /* frames to the watched port */
};

static uint16_t watch_port;

static void send_udp_flows(void)
{
	for (int i = 0; i < NFLOWS / 4; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		struct sockaddr_in6 b = {.sin6_family = AF_INET6};

		a.sin_port = htons((uint16_t)(30000 + i));
		inet_pton(AF_INET, "10.88.0.2", &a.sin_addr);
		b.sin6_port = htons((uint16_t)(30000 + i));
		inet_pton(AF_INET6, "fd88::2", &b.sin6_addr);
		sendto(udp4, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
		sendto(udp6, "x", 1, 0, (struct sockaddr *)&b, sizeof(b));
	}
}

/* Non-blocking connects: each sends a SYN (and retransmits it). */
static void send_tcp_flows(uint16_t port, int n, int *fds)
{
	assert_int_equal(nt_enter(ns), 0);
	for (int i = 0; i < n; i++) {
		bool v6 = i & 1;
		struct sockaddr_storage ss;
		socklen_t len = nt_sockaddr(&ss, v6, 88, 2,
					    port ? port : (uint16_t)(5300 + i));
		int fd = socket(v6 ? AF_INET6 : AF_INET,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		assert_true(fd >= 0);
		connect(fd, (struct sockaddr *)&ss, len);
		fds[i] = fd;
	}
	assert_int_equal(nt_enter(NULL), 0);
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Read every queue for @ms milliseconds; check each frame against the
 * prediction unless @check is false (draining). Detached queues are read
 * too: anything there counts in on_qid.
 */
static void collect(struct counts *c, int ms, bool check)
{
	static uint8_t buf[65536];
	uint64_t end = nt_now_ms() + (uint64_t)ms;

	memset(c, 0, sizeof(*c));
	while (nt_now_ms() < end) {
		struct pollfd pfd[NQ];

		if (nt_poll_queues(dev, pfd, NQ, 20) <= 0)
			continue;
		for (int q = 0; q < NQ; q++) {
			struct vtap_queue *vq = vtap_dev__queue(dev, q);
			struct vtap_steer_prediction p;
			struct vtap_pkt_info info;
			int kidx = vtap_queue__kernel_index(vq);
			unsigned int n = vtap_dev__num_attached(dev);
			ssize_t len;

			if (!(pfd[q].revents & POLLIN))
				continue;
			while ((len = read(pfd[q].fd, buf, sizeof(buf))) > 0) {
				c->frames++;
				c->on_qid[q]++;
				if (!check || kidx < 0)
					continue;
				assert_int_equal(
					vtap_steer__predict(steer, buf,
							    (size_t)len, &p),
					0);
				c->by[p.by & 7]++;
				vtap_pkt__parse(buf, (size_t)len, 0, &info);
				if (info.l3 &&
				    (info.ip_proto == 1 || info.ip_proto == 58))
					c->icmp_on_kidx[kidx]++;
				if (info.l4 && watch_port &&
				    ntohs(info.dport) == watch_port)
					c->dport_on_kidx[kidx]++;
				if (p.by == VTAP_STEER_BY_EXT)
					continue; /* checked by the caller */
				if ((uint16_t)p.value % n !=
				    (unsigned int)kidx) {
					c->mismatch++;
					fprintf(stderr,
						"frame of %zd bytes on kernel queue %d, predicted %u %% %u (by %u)\n",
						len, kidx, p.value, n, p.by);
				}
			}
		}
	}
}

/* Send the 64 flows (TCP SYNs and UDP) and check every frame. */
static void flows_and_check(struct counts *c)
{
	int fds[NFLOWS / 2];

	send_tcp_flows(0, NFLOWS / 2, fds);
	send_udp_flows();
	collect(c, 600, true);
	close_all(fds, NFLOWS / 2);
	fprintf(stderr,
		"%lu frames, per queue id %lu %lu %lu %lu, mismatches %lu\n",
		c->frames, c->on_qid[0], c->on_qid[1], c->on_qid[2],
		c->on_qid[3], c->mismatch);
	assert_true(c->frames >= NFLOWS);
	assert_int_equal(c->mismatch, 0);
}

static void set_table(const uint16_t *t, size_t n)
{
	VTAP_OPTS_INIT(vtap_steer_rss, r, .hash_types = VTAP_HASH_TYPE_ALL);

	if (t) {
		r.kind = VTAP_STEER_TABLE_EXPLICIT;
		r.table_len = (uint16_t)n;
		memcpy(r.table, t, n * sizeof(*t));
	} else {
		r.kind = VTAP_STEER_TABLE_EQUAL;
		r.equal_n = NQ;
	}
	assert_int_equal(vtap_steer__set_rss(steer, &r), 0);
}

static void test_rss_spread(void **state)
{
	struct counts c;

	set_table(NULL, 0);
	assert_int_equal(vtap_steer__set_steps(steer, VTAP_STEER_STEP_RSS), 0);
	collect(&c, 100, false);
	flows_and_check(&c);
	assert_true(c.by[VTAP_STEER_BY_RSS] >= NFLOWS);
	for (int q = 0; q < NQ; q++)
		assert_true(c.on_qid[q] > 0);
}

static void test_table_change(void **state)
{
	static const uint16_t t1[] = {3, 3, 0, 1}, t2[] = {2, 1};
	struct counts c;

	/* Change the table twice while datagrams are in flight. */
	send_udp_flows();
	set_table(t1, 4);
	send_udp_flows();
	set_table(t2, 2);
	send_udp_flows();
	collect(&c, 100, false); /* frames queued under older tables */
	flows_and_check(&c);
	/* Table {2, 1}: nothing classified lands on kernel queues 0 or 3. */
	assert_true(c.on_qid[1] + c.on_qid[2] > 0);
	set_table(NULL, 0);
}

static void test_detach_attach(void **state)
{
	struct counts c;

	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	assert_int_equal(vtap_dev__num_attached(dev), NQ - 1);
	collect(&c, 100, false);
	flows_and_check(&c);
	assert_int_equal(c.on_qid[1], 0); /* nothing on the detached queue */
	assert_true(c.on_qid[0] && c.on_qid[2] && c.on_qid[3]);

	assert_int_equal(vtap_dev__attach_queue(dev, 1), 0);
	collect(&c, 100, false);
	flows_and_check(&c);
	for (int q = 0; q < NQ; q++)
		assert_true(c.on_qid[q] > 0); /* the spread is back */
}

static void test_flow_rule(void **state)
{
	VTAP_OPTS_INIT(vtap_steer_rule, r, .proto = 6, .has_dport = true,
		       .dport = 5201, .queue = 2);
	struct counts c;
	int fds[16];
	uint32_t id;

	watch_port = 5201;
	assert_int_equal(vtap_steer__rule_add(steer, &r, &id), 0);
	collect(&c, 100, false);
	send_tcp_flows(5201, 16, fds);
	send_udp_flows();
	collect(&c, 600, true);
	close_all(fds, 16);
	assert_int_equal(c.mismatch, 0);
	assert_true(c.dport_on_kidx[2] >= 16);
	assert_int_equal(c.dport_on_kidx[0] + c.dport_on_kidx[1] +
				 c.dport_on_kidx[3],
			 0);
	assert_true(c.by[VTAP_STEER_BY_RULE] >= 16);

	assert_int_equal(vtap_steer__rule_del(steer, id), 0);
	collect(&c, 100, false);
	send_tcp_flows(5201, 16, fds);
	collect(&c, 600, true);
	close_all(fds, 16);
	assert_int_equal(c.mismatch, 0);
	assert_int_equal(c.by[VTAP_STEER_BY_RULE], 0);
	/* 16 source ports over 4 queues by RSS: not all on queue 2. */
	assert_true(c.dport_on_kidx[0] + c.dport_on_kidx[1] +
			    c.dport_on_kidx[3] >
		    0);
	watch_port = 0;
}

static void test_extension(void **state)
{
	char obj[512];
	struct counts c;

	snprintf(obj, sizeof(obj), "%s/src/bpf/ext_icmp.bpf.o",
		 getenv("VTAP_BUILDDIR") ?: "build");
	assert_int_equal(vtap_steer__ext_set(steer, obj, NULL), 0);
	collect(&c, 100, false);
	assert_int_equal(
		nt_sh("ip netns exec %s ping -c 4 -i 0.05 -W 0.1 10.88.0.2 >/dev/null 2>&1; "
		      "ip netns exec %s ping -6 -c 4 -i 0.05 -W 0.1 fd88::2 >/dev/null 2>&1; true",
		      ns, ns),
		0);
	send_udp_flows();
	collect(&c, 400, true);
	fprintf(stderr, "icmp per kernel queue %lu %lu %lu %lu\n",
		c.icmp_on_kidx[0], c.icmp_on_kidx[1], c.icmp_on_kidx[2],
		c.icmp_on_kidx[3]);
	assert_true(c.icmp_on_kidx[1] >= 8);
	assert_int_equal(
		c.icmp_on_kidx[0] + c.icmp_on_kidx[2] + c.icmp_on_kidx[3], 0);
	/* Non-ICMP frames fell back to RSS: checked in collect(). */
	assert_int_equal(c.mismatch, 0);
	assert_true(c.by[VTAP_STEER_BY_EXT] >= 16);
	assert_int_equal(vtap_steer__ext_del(steer), 0);
}

static void test_automq(void **state)
{
	static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 2};
	static const uint8_t tap_mac[6] = {2, 0, 0, 0, 0, 1};
	uint8_t src[4], dst[4], buf[64];
	struct sockaddr_in from;
	socklen_t flen;
	struct counts c;
	int s;

	assert_int_equal(vtap_steer__set_steps(steer, VTAP_STEER_STEP_AUTOMQ),
			 0);
	assert_int_equal(nt_enter(ns), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(nt_enter(NULL), 0);
	{
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons(4444)};
		struct timeval tv = {.tv_sec = 1};

		inet_pton(AF_INET, "10.88.0.1", &a.sin_addr);
		assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	frame_pton(AF_INET, "10.88.0.2", src);
	frame_pton(AF_INET, "10.88.0.1", dst);
	for (int round = 0; round < 8; round++) {
		unsigned int qid = (unsigned int)(round % NQ);
		struct vtap_queue *q = vtap_dev__queue(dev, qid);
		uint16_t sport = (uint16_t)(9000 + round);
		struct frame f;
		ssize_t n;

		frame_init(&f);
		frame_eth(&f, tap_mac, peer_mac);
		frame_ipv4(&f, src, dst);
		frame_udp(&f, sport, 4444);
		frame_payload(&f, "ping", 4);
		frame_finish(&f);
		collect(&c, 50, false);
		/* What a sender using libvtap does on each send. */
		assert_int_equal(
			vtap_steer__record_flow(
				steer, f.data, f.len,
				(unsigned int)vtap_queue__kernel_index(q)),
			0);
		assert_int_equal(write(vtap_queue__fd(q), f.data, f.len),
				 (ssize_t)f.len);
		flen = sizeof(from);
		n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &flen);
		assert_int_equal(n, 4);
		assert_int_equal(
			sendto(s, "pong", 4, 0, (struct sockaddr *)&from, flen),
			4);
		watch_port = sport;
		collect(&c, 200, true);
		watch_port = 0;
		fprintf(stderr,
			"automq: sent on queue id %u, reply per kernel queue %lu %lu %lu %lu\n",
			qid, c.dport_on_kidx[0], c.dport_on_kidx[1],
			c.dport_on_kidx[2], c.dport_on_kidx[3]);
		assert_int_equal(c.dport_on_kidx[vtap_queue__kernel_index(q)],
				 1);
		assert_int_equal(c.mismatch, 0);
	}
	close(s);
}

/*
 * Issue 11, suspected: a flow rule names a kernel queue index and is not
 * rewritten when the kernel renumbers queues. Shown safe: after queue 1
 * detaches (the last queue moves into its slot), the rule's queue 3 is
 * past the attached count and the kernel's modulo puts its frames on an
 * attached queue, the one the C twin predicts; nothing reaches the
 * detached queue. (Which attached queue is the kernel's modulo, not the
 * queue the rule meant: docs/security.md.)
 */
static void test_rule_after_detach(void **state)
{
	VTAP_OPTS_INIT(vtap_steer_rule, r, .proto = 6, .has_dport = true,
		       .dport = 5202, .queue = 3);
	struct counts c;
	int fds[16];
	uint32_t id;

	watch_port = 5202;
	assert_int_equal(vtap_steer__rule_add(steer, &r, &id), 0);
	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	collect(&c, 100, false);
	send_tcp_flows(5202, 16, fds);
	collect(&c, 600, true);
	close_all(fds, 16);
	assert_int_equal(c.mismatch, 0);
	assert_int_equal(c.on_qid[1], 0);
	assert_true(c.dport_on_kidx[0] >= 16); /* 3 % 3 attached queues */
	assert_int_equal(vtap_dev__attach_queue(dev, 1), 0);
	assert_int_equal(vtap_steer__rule_del(steer, id), 0);
	watch_port = 0;
}

static int setup(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .queues = NQ);
	VTAP_OPTS_INIT(vtap_steer_opts, so, .queues = NQ);

	nt_name(tap, sizeof(tap), "st");
	nt_name(ns, sizeof(ns), "stn");
	if (nt_ns_add(ns))
		return -1;
	dev = nt_dev_open(tap, &o);
	if (!dev)
		return -1;
	steer = vtap_steer__open(tap, &so);
	if (!steer || vtap_steer__attach_dev(steer, dev)) {
		fprintf(stderr, "steer %s: %s\n", tap, strerror(errno));
		return -1;
	}
	if (nt_link_into_ns(tap, ns, 88, "02:00:00:00:00"))
		return -1;
	if (nt_enter(ns))
		return -1;
	udp4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	udp6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nt_enter(NULL) || udp4 < 0 || udp6 < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	close(udp4);
	close(udp6);
	vtap_steer__close(steer);
	vtap_dev__close(dev);
	nt_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss_spread),
		cmocka_unit_test(test_table_change),
		cmocka_unit_test(test_detach_attach),
		cmocka_unit_test(test_flow_rule),
		cmocka_unit_test(test_rule_after_detach),
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_automq),
	};

	nt_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
