// SPDX-License-Identifier: MIT
/*
 * test_report.c - hash reporting on a real 4-queue tap with vtap RSS
 * steering and 20-byte headers: every received frame's reported hash and
 * type equal vtap_rss__hash() over that frame with the steering program's
 * configuration, and the frame arrived on table[hash & mask]; frames a
 * rule or an extension steered still carry the RSS hash; reporting
 * follows configuration changes made through the steering API; the
 * hash-config-only mode; and with reporting off every header byte past the
 * kernel's 10 is zero, whatever the buffer held before
 *
 * The tap's netdev lives in namespace NS (10.89.0.1/24, fd89::1/64) with
 * static neighbours 10.89.0.2 / fd89::2 behind it, so datagrams, TCP SYNs
 * and pings to those addresses leave through the tap and are read here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
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

#include "netns.h"
#include "vtap/vtap.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define NQ 4
#define NFLOWS 64
#define HDR VTAP_VNET_HDR_HASH_LEN
#define BATCH 16

static char tap[16], ns[16];
static struct vtap_dev *dev;
static struct vtap_steer *steer;
static struct vtap_frame frames[BATCH];

/* What the frames of one collect() run showed. */
struct counts {
	unsigned long frames;
	unsigned long hash_mismatch; /* reported != vtap_rss__hash() */
	unsigned long queue_mismatch; /* not on table[hash & mask] */
	unsigned long by_report[VTAP_HASH_REPORT__COUNT];
	unsigned long gso; /* GSO frames */
	unsigned long watched; /* frames to the watched UDP port */
	unsigned long watched_on[NQ]; /* by kernel index */
	unsigned long watched_rss_elsewhere; /* RSS would pick another queue */
	unsigned long icmp_on[NQ]; /* ICMP/ICMPv6 by kernel index */
};

/* How collect() checks frames. */
struct expect {
	const struct vtap_rss *rss; /* the configuration to compare with */
	bool check_queue; /* table[hash & mask] == kernel index */
	uint16_t watch_port; /* frames to this UDP port: not queue-checked */
	bool skip_icmp_queue; /* ICMP steered by the extension */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A vtap_rss with the steering state's configuration in effect. */
static struct vtap_rss *steer_rss(void)
{
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	VTAP_OPTS_INIT(vtap_rss_opts, o);
	struct vtap_rss *rss;

	assert_int_equal(vtap_steer__rss(steer, &r), 0);
	o.hash_types = r.hash_types;
	o.key = r.key;
	o.key_len = r.key_len;
	o.table = r.table;
	o.table_len = r.table_len;
	o.unclassified_queue = r.unclassified_queue;
	o.impl = VTAP_TOEPLITZ_BITLOOP; /* the reference, not what the
					 * queues use */
	rss = vtap_rss__new(&o);
	assert_non_null(rss);
	return rss;
}

static void check_frame(struct counts *c, const struct expect *e, int kidx,
			const uint8_t *buf, size_t len)
{
	const uint8_t *frame = buf + HDR;
	struct vtap_rss_result want;
	struct vtap_pkt_info info;
	uint32_t hash = le32(buf + 12);
	uint16_t report = (uint16_t)(buf[16] | buf[17] << 8);
	bool icmp, watched;

	c->frames++;
	if (buf[1] != VTAP_VNET_GSO_NONE)
		c->gso++;
	assert_true(report < VTAP_HASH_REPORT__COUNT);
	c->by_report[report]++;
	assert_int_equal(buf[18] | buf[19] << 8, 0); /* padding */
	if (!e->rss)
		return;
	vtap_pkt__parse(frame, len - HDR, 0, &info);
	assert_int_equal(vtap_rss__hash(e->rss, frame, len - HDR, 0, &want), 0);
	if (want.hash != hash || want.report != report) {
		c->hash_mismatch++;
		fprintf(stderr,
			"frame of %zu bytes: reported %08x/%u, expected %08x/%u\n",
			len, hash, report, want.hash, want.report);
	}
	if (report == VTAP_HASH_REPORT_NONE)
		assert_int_equal(hash, 0);
	icmp = info.l3 && (info.ip_proto == 1 || info.ip_proto == 58);
	if (icmp && kidx >= 0)
		c->icmp_on[kidx]++;
	watched = e->watch_port && info.l4 == VTAP_PKT_L4_UDP &&
		  ntohs(info.dport) == e->watch_port;
	if (watched) {
		c->watched++;
		c->watched_on[kidx]++;
		if (want.queue != kidx)
			c->watched_rss_elsewhere++;
		return;
	}
	if (icmp && e->skip_icmp_queue)
		return;
	if (e->check_queue && want.queue != (unsigned int)kidx) {
		c->queue_mismatch++;
		fprintf(stderr,
			"frame of %zu bytes (report %u) on kernel queue %d, table says %u\n",
			len, report, kidx, want.queue);
	}
}

/* Receive on every queue for @ms milliseconds, checking each frame. */
static void collect(struct counts *c, int ms, const struct expect *e)
{
	uint64_t end = nt_now_ms() + (uint64_t)ms;

	memset(c, 0, sizeof(*c));
	while (nt_now_ms() < end) {
		struct pollfd pfd[NQ];

		if (nt_poll_queues(dev, pfd, NQ, 20) <= 0)
			continue;
		for (int q = 0; q < NQ; q++) {
			struct vtap_queue *vq = vtap_dev__queue(dev, q);
			int kidx = vtap_queue__kernel_index(vq);
			int n;

			if (!(pfd[q].revents & POLLIN) || kidx < 0)
				continue;
			while ((n = vtap_queue__recv(vq, frames, BATCH)) > 0)
				for (int i = 0; i < n && e; i++)
					check_frame(c, e, kidx, frames[i].buf,
						    frames[i].len);
			assert_true(n >= 0);
		}
	}
}

static void drain(void)
{
	struct counts c;

	collect(&c, 150, NULL);
}

static void send_udp(uint16_t sport_base, uint16_t dport, int n)
{
	assert_int_equal(nt_enter(ns), 0);
	for (int i = 0; i < n; i++) {
		bool v6 = i & 1;
		struct sockaddr_storage ss, me;
		socklen_t len = nt_sockaddr(
			&ss, v6, 89, 2, dport ? dport : (uint16_t)(30000 + i));
		int fd = socket(v6 ? AF_INET6 : AF_INET,
				SOCK_DGRAM | SOCK_CLOEXEC, 0);

		assert_true(fd >= 0);
		nt_sockaddr(&me, v6, 89, 0, (uint16_t)(sport_base + i));
		assert_int_equal(bind(fd, (struct sockaddr *)&me, len), 0);
		assert_int_equal(
			sendto(fd, "report", 6, 0, (struct sockaddr *)&ss, len),
			6);
		close(fd);
	}
	assert_int_equal(nt_enter(NULL), 0);
}

/* Non-blocking connects: each sends a SYN (and retransmits it). */
static void send_tcp(int n, int *fds)
{
	assert_int_equal(nt_enter(ns), 0);
	for (int i = 0; i < n; i++) {
		bool v6 = i & 1;
		struct sockaddr_storage ss;
		socklen_t len =
			nt_sockaddr(&ss, v6, 89, 2, (uint16_t)(5300 + i));
		int fd = socket(v6 ? AF_INET6 : AF_INET,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		assert_true(fd >= 0);
		connect(fd, (struct sockaddr *)&ss, len);
		fds[i] = fd;
	}
	assert_int_equal(nt_enter(NULL), 0);
}

static void send_pings(void)
{
	assert_int_equal(
		nt_sh("ip netns exec %s ping -c 4 -i 0.02 -W 0.1 10.89.0.2 >/dev/null 2>&1; "
		      "ip netns exec %s ping -6 -c 4 -i 0.02 -W 0.1 fd89::2 >/dev/null 2>&1; true",
		      ns, ns),
		0);
}

/* Every kind of traffic, then check what arrived. */
static void traffic(struct counts *c, const struct expect *e)
{
	int fds[NFLOWS / 2];

	send_tcp(NFLOWS / 2, fds);
	send_udp(41000, 0, NFLOWS / 2);
	send_pings();
	collect(c, 500, e);
	for (int i = 0; i < NFLOWS / 2; i++)
		close(fds[i]);
	fprintf(stderr,
		"%lu frames (gso %lu), reports none %lu ipv4 %lu tcpv4 %lu udpv4 %lu ipv6 %lu tcpv6 %lu udpv6 %lu ipv6_ex %lu tcpv6_ex %lu udpv6_ex %lu, mismatches hash %lu queue %lu\n",
		c->frames, c->gso, c->by_report[0], c->by_report[1],
		c->by_report[2], c->by_report[3], c->by_report[4],
		c->by_report[5], c->by_report[6], c->by_report[7],
		c->by_report[8], c->by_report[9], c->hash_mismatch,
		c->queue_mismatch);
	assert_true(c->frames >= NFLOWS);
	assert_int_equal(c->hash_mismatch, 0);
	assert_int_equal(c->queue_mismatch, 0);
}

static void set_rss(uint32_t types, const uint8_t *key, const uint16_t *table,
		    size_t table_len, uint16_t unclassified)
{
	VTAP_OPTS_INIT(vtap_steer_rss, r, .hash_types = types,
		       .unclassified_queue = unclassified);

	if (key) {
		r.key_len = VTAP_RSS_KEY_LEN;
		memcpy(r.key, key, VTAP_RSS_KEY_LEN);
	}
	if (table) {
		r.kind = VTAP_STEER_TABLE_EXPLICIT;
		r.table_len = (uint16_t)table_len;
		memcpy(r.table, table, table_len * sizeof(*table));
	} else {
		r.kind = VTAP_STEER_TABLE_EQUAL;
		r.equal_n = NQ;
	}
	assert_int_equal(vtap_steer__set_rss(steer, &r), 0);
	assert_int_equal(vtap_steer__set_steps(steer, VTAP_STEER_STEP_RSS), 0);
}

static void report_steer(void)
{
	VTAP_OPTS_INIT(vtap_report_opts, o, .mode = VTAP_REPORT_STEER);

	assert_int_equal(vtap_dev__set_report(dev, &o), 0);
	assert_int_equal(vtap_dev__report_mode(dev), VTAP_REPORT_STEER);
}

/* Sum of the per-queue hash report counters. */
static void report_counters(uint64_t *ret)
{
	struct vtap_queue_stats st;

	memset(ret, 0, VTAP_HASH_REPORT__COUNT * sizeof(*ret));
	for (int q = 0; q < NQ; q++) {
		assert_int_equal(
			vtap_queue__stats(vtap_dev__queue(dev, q), &st), 0);
		for (int r = 0; r < VTAP_HASH_REPORT__COUNT; r++)
			ret[r] += st.hash_reports[r];
	}
}

static void test_all_types(void **state)
{
	uint64_t before[VTAP_HASH_REPORT__COUNT],
		after[VTAP_HASH_REPORT__COUNT];
	struct expect e = {.check_queue = true};
	struct counts c;

	set_rss(VTAP_HASH_TYPE_ALL, NULL, NULL, 0, 0);
	report_steer();
	drain();
	report_counters(before);
	e.rss = steer_rss();
	traffic(&c, &e);
	/* All types on: IPv6 packets take the _EX types (vtap's rule). */
	for (int r = VTAP_HASH_REPORT_IPV4; r <= VTAP_HASH_REPORT_UDPV4; r++)
		assert_true(c.by_report[r] > 0);
	for (int r = VTAP_HASH_REPORT_IPV6_EX; r <= VTAP_HASH_REPORT_UDPV6_EX;
	     r++)
		assert_true(c.by_report[r] > 0);
	assert_int_equal(c.by_report[VTAP_HASH_REPORT_IPV6] +
				 c.by_report[VTAP_HASH_REPORT_TCPV6] +
				 c.by_report[VTAP_HASH_REPORT_UDPV6],
			 0);
	/* The per-queue counters saw the same report types. */
	report_counters(after);
	for (int r = 0; r < VTAP_HASH_REPORT__COUNT; r++)
		assert_int_equal(after[r] - before[r], c.by_report[r]);
	vtap_rss__free((struct vtap_rss *)e.rss);
}

static void test_no_l3_types(void **state)
{
	const uint32_t l4 = VTAP_HASH_TYPE_TCPV4 | VTAP_HASH_TYPE_UDPV4 |
			    VTAP_HASH_TYPE_TCPV6 | VTAP_HASH_TYPE_UDPV6;
	struct counts c;
	struct expect e = {.check_queue = true};

	/* ICMP has no L4 hash: NONE, hash 0, the unclassified queue. */
	set_rss(l4, NULL, NULL, 0, 2);
	drain();
	e.rss = steer_rss();
	traffic(&c, &e);
	assert_int_equal(c.by_report[VTAP_HASH_REPORT_IPV4] +
				 c.by_report[VTAP_HASH_REPORT_IPV6],
			 0);
	assert_true(c.by_report[VTAP_HASH_REPORT_NONE] >= 8);
	assert_true(c.icmp_on[2] >= 8);
	vtap_rss__free((struct vtap_rss *)e.rss);
}

static void test_rule_and_extension(void **state)
{
	VTAP_OPTS_INIT(vtap_steer_rule, r, .proto = 17, .has_dport = true,
		       .dport = 40000, .queue = 3);
	struct expect e = {.check_queue = true,
			   .watch_port = 40000,
			   .skip_icmp_queue = true};
	char obj[512];
	struct counts c;
	uint32_t id;

	set_rss(VTAP_HASH_TYPE_ALL, NULL, NULL, 0, 0);
	assert_int_equal(vtap_steer__rule_add(steer, &r, &id), 0);
	snprintf(obj, sizeof(obj), "%s/src/bpf/ext_icmp.bpf.o",
		 getenv("VTAP_BUILDDIR") ?: "build");
	assert_int_equal(vtap_steer__ext_set(steer, obj, NULL), 0);
	drain();
	e.rss = steer_rss();
	send_udp(42000, 40000, 32);
	traffic(&c, &e);
	fprintf(stderr,
		"rule: %lu frames on queue 3, %lu of them RSS would put elsewhere; icmp per queue %lu %lu %lu %lu\n",
		c.watched_on[3], c.watched_rss_elsewhere, c.icmp_on[0],
		c.icmp_on[1], c.icmp_on[2], c.icmp_on[3]);
	/* The rule decided the queue, the report is RSS's all the same. */
	assert_true(c.watched >= 32);
	assert_int_equal(c.watched_on[3], c.watched);
	assert_true(c.watched_rss_elsewhere > 0);
	/* The extension sent ICMP to queue 1; reports are still RSS's
	 * (checked frame by frame) and of the L3 types. */
	assert_true(c.icmp_on[1] >= 8);
	assert_true(c.by_report[VTAP_HASH_REPORT_IPV4] > 0);
	assert_true(c.by_report[VTAP_HASH_REPORT_IPV6_EX] > 0);
	assert_int_equal(vtap_steer__ext_del(steer), 0);
	assert_int_equal(vtap_steer__rule_del(steer, id), 0);
	vtap_rss__free((struct vtap_rss *)e.rss);
}

static void test_follows_changes(void **state)
{
	static const uint16_t t1[] = {3, 2, 1, 0, 0, 1, 2, 3};
	static const uint16_t t2[] = {1, 2};
	uint8_t key[VTAP_RSS_KEY_LEN];
	struct expect e = {.check_queue = true};
	struct counts c;

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)rand();
		/* Frames in flight during the change are drained unchecked. */
		send_udp(43000, 0, 16);
		if (round == 0)
			set_rss(VTAP_HASH_TYPE_ALL, key, t1, 8, 1);
		else if (round == 1)
			set_rss(VTAP_HASH_TYPE_IPV4 | VTAP_HASH_TYPE_TCPV6 |
					VTAP_HASH_TYPE_UDPV4,
				key, t2, 2, 3);
		else
			set_rss(VTAP_HASH_TYPE_ALL, key, NULL, 0, 0);
		drain();
		e.rss = steer_rss();
		traffic(&c, &e);
		vtap_rss__free((struct vtap_rss *)e.rss);
	}
	/* Queues come and go: the table is rebuilt, reporting follows. */
	assert_int_equal(vtap_dev__detach_queue(dev, 0), 0);
	drain();
	e.rss = steer_rss();
	traffic(&c, &e);
	vtap_rss__free((struct vtap_rss *)e.rss);
	assert_int_equal(vtap_dev__attach_queue(dev, 0), 0);
	drain();
	e.rss = steer_rss();
	traffic(&c, &e);
	vtap_rss__free((struct vtap_rss *)e.rss);
}

static void test_gso_one_hash(void **state)
{
	static const char data[8000];
	struct expect e = {.check_queue = true};
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(44000)};
	struct counts c;
	struct vtap_dev_features f;
	uint32_t offloads = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
			    VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_USO;
	bool uso;
	int seg = 1000, fd;

	/*
	 * Where the kernel has tap USO (6.2 on, probed) the device takes it
	 * and the consumer gets one GSO frame per send; without it (6.1)
	 * the kernel segments first and every datagram carries the flow's
	 * hash and lands on its queue.
	 */
	assert_int_equal(vtap_dev__features(dev, &f), 0);
	uso = f.offloads & VTAP_OFFLOAD_USO;
	if (!uso)
		offloads &= ~VTAP_OFFLOAD_USO;
	assert_int_equal(vtap_dev__set_offloads(dev, offloads), 0);
	set_rss(VTAP_HASH_TYPE_ALL, NULL, NULL, 0, 0);
	drain();
	e.rss = steer_rss();
	inet_pton(AF_INET, "10.89.0.2", &a.sin_addr);
	assert_int_equal(nt_enter(ns), 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(nt_enter(NULL), 0);
	assert_true(fd >= 0);
	assert_int_equal(
		setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(sendto(fd, data, sizeof(data), 0,
					(struct sockaddr *)&a, sizeof(a)),
				 (ssize_t)sizeof(data));
	close(fd);
	collect(&c, 300, &e);
	assert_int_equal(c.hash_mismatch, 0);
	assert_int_equal(c.queue_mismatch, 0);
	if (uso) {
		assert_true(c.gso >= 8);
		assert_true(c.by_report[VTAP_HASH_REPORT_UDPV4] >= 8);
	} else {
		assert_int_equal(c.gso, 0);
		assert_true(c.by_report[VTAP_HASH_REPORT_UDPV4] >= 64);
	}
	vtap_rss__free((struct vtap_rss *)e.rss);
	assert_int_equal(vtap_dev__set_offloads(dev, 0), 0);
}

static void test_hash_config_only(void **state)
{
	const uint32_t types = VTAP_HASH_TYPE_TCPV4 | VTAP_HASH_TYPE_UDPV6 |
			       VTAP_HASH_TYPE_IPV6;
	VTAP_OPTS_INIT(vtap_report_opts, o, .mode = VTAP_REPORT_CONFIG,
		       .hash_types = types);
	VTAP_OPTS_INIT(vtap_rss_opts, ro, .hash_types = types);
	uint8_t key[VTAP_RSS_KEY_LEN];
	struct expect e = {0};
	struct counts c;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 37 + 11);
	o.key = ro.key = key;
	o.key_len = ro.key_len = sizeof(key);
	/* No RSS steering: the program's automq step picks queues. */
	assert_int_equal(vtap_steer__set_steps(steer, VTAP_STEER_STEP_AUTOMQ),
			 0);
	assert_int_equal(vtap_dev__set_report(dev, &o), 0);
	assert_int_equal(vtap_dev__report_mode(dev), VTAP_REPORT_CONFIG);
	drain();
	e.rss = vtap_rss__new(&ro);
	assert_non_null(e.rss);
	traffic(&c, &e);
	assert_true(c.by_report[VTAP_HASH_REPORT_TCPV4] > 0);
	assert_true(c.by_report[VTAP_HASH_REPORT_UDPV6] > 0);
	assert_true(c.by_report[VTAP_HASH_REPORT_IPV6] > 0); /* TCPv6, ICMPv6 */
	assert_true(c.by_report[VTAP_HASH_REPORT_NONE] > 0); /* UDPv4, ICMP */
	assert_int_equal(c.by_report[VTAP_HASH_REPORT_UDPV4] +
				 c.by_report[VTAP_HASH_REPORT_IPV4] +
				 c.by_report[VTAP_HASH_REPORT_TCPV6],
			 0);
	vtap_rss__free((struct vtap_rss *)e.rss);

	/* Off: the hash fields stay as the kernel left them (zero). */
	assert_int_equal(vtap_dev__set_report(dev, NULL), 0);
	assert_int_equal(vtap_dev__report_mode(dev), VTAP_REPORT_OFF);
	drain();
	e.rss = NULL;
	traffic(&c, &e);
	assert_int_equal(c.by_report[VTAP_HASH_REPORT_NONE], c.frames);
	report_steer();
}

/*
 * Reporting off, 20-byte headers: every receive writes the whole header.
 * tun before 2025 (6.1 among them) writes only the first 10 bytes and
 * leaves the rest of the caller's buffer as it was; headers prefilled with
 * 0xff show any byte nobody wrote.
 */
static void test_header_filled(void **state)
{
	unsigned long seen = 0;
	uint64_t end;

	assert_int_equal(vtap_dev__set_report(dev, NULL), 0);
	drain();
	send_udp(41000, 0, 16);
	end = nt_now_ms() + 3000;
	while (seen < 16 && nt_now_ms() < end) {
		struct pollfd pfd[NQ];

		if (nt_poll_queues(dev, pfd, NQ, 20) <= 0)
			continue;
		for (int q = 0; q < NQ; q++) {
			struct vtap_queue *vq = vtap_dev__queue(dev, q);
			int n;

			if (!(pfd[q].revents & POLLIN))
				continue;
			do {
				for (int i = 0; i < BATCH; i++)
					memset(frames[i].buf, 0xff, HDR);
				n = vtap_queue__recv(vq, frames, BATCH);
				for (int i = 0; i < n; i++, seen++) {
					const uint8_t *h = frames[i].buf;

					for (int b = VTAP_VNET_HDR_LEN; b < HDR;
					     b++)
						assert_int_equal(h[b], 0);
				}
			} while (n > 0);
			assert_true(n >= 0);
		}
	}
	assert_true(seen >= 16);
	report_steer();
}

static void test_bad_args(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .vnet_hdr_len = 12);
	VTAP_OPTS_INIT(vtap_report_opts, r, .mode = VTAP_REPORT_CONFIG);
	VTAP_OPTS_INIT(vtap_report_opts, s, .mode = VTAP_REPORT_STEER);
	struct vtap_dev *d12;
	char name[16];

	r.hash_types = 1u << 12;
	assert_int_equal(vtap_dev__set_report(dev, &r), -EINVAL);
	r.hash_types = VTAP_HASH_TYPE_ALL;
	r.mode = VTAP_REPORT__COUNT;
	assert_int_equal(vtap_dev__set_report(dev, &r), -EINVAL);
	nt_name(name, sizeof(name), "r12");
	d12 = vtap_dev__open(name, &o);
	assert_non_null(d12);
	r.mode = VTAP_REPORT_CONFIG;
	assert_int_equal(vtap_dev__set_report(d12, &r), -EINVAL);
	/* STEER without steering attached. */
	vtap_dev__close(d12);
	o.vnet_hdr_len = HDR;
	d12 = vtap_dev__open(name, &o);
	assert_non_null(d12);
	assert_int_equal(vtap_dev__set_report(d12, &s), -ENOENT);
	vtap_dev__close(d12);
	/* The device under test still reports from its steering. */
	assert_int_equal(vtap_dev__report_mode(dev), VTAP_REPORT_STEER);
}

static int setup(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .queues = NQ, .vnet_hdr_len = HDR);
	VTAP_OPTS_INIT(vtap_steer_opts, so, .queues = NQ);

	srand(1234);
	nt_name(tap, sizeof(tap), "rp");
	nt_name(ns, sizeof(ns), "rpn");
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
	for (int i = 0; i < BATCH; i++) {
		frames[i].cap = HDR + VTAP_FRAME_MAX;
		frames[i].buf = malloc(frames[i].cap);
		if (!frames[i].buf)
			return -1;
	}
	if (nt_link_into_ns(tap, ns, 89, "02:00:00:00:00"))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	vtap_steer__close(steer);
	vtap_dev__close(dev);
	for (int i = 0; i < BATCH; i++)
		free(frames[i].buf);
	nt_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_types),
		cmocka_unit_test(test_no_l3_types),
		cmocka_unit_test(test_rule_and_extension),
		cmocka_unit_test(test_follows_changes),
		cmocka_unit_test(test_gso_one_hash),
		cmocka_unit_test(test_hash_config_only),
		cmocka_unit_test(test_header_filled),
		cmocka_unit_test(test_bad_args),
	};

	nt_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
