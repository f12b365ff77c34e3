// SPDX-License-Identifier: MIT
/*
 * test_queue.c - real traffic through a 4-queue tap whose netdev lives in a
 * namespace: UDP and TCP (with TSO GSO frames) read on the queues with
 * their vnet headers, frames written on each queue received by a socket in
 * the namespace, hostile headers dropped and counted, queues detached and
 * attached while traffic flows with the counters adding up; coalescing on
 * send across the edge between two sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_impl.h"
#include "netns.h"

#define NQ 4
#define HDR 12
#define BUFSZ (VTAP_FRAME_MAX + HDR)

static const uint8_t peer_mac[6] = {0x02, 0x77, 0, 0, 0, 0x01};
static const uint8_t tap_mac[6] = {0x02, 0x77, 0, 0, 0, 0x02};

static char ns[16], tapname[16];
static uint8_t net3; /* 10.77.net3.0/24 */
static struct vtap_dev *dev;
static struct vtap_frame frames[32];
static uint8_t *bufs[32];

static uint32_t ip4(uint8_t host)
{
	return htonl(10u << 24 | 77u << 16 | (uint32_t)net3 << 8 | host);
}

/* RFC 1071, computed here independently of the library. */
static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/*
 * Build Ethernet + IPv4 + L4 header in @f (after a zeroed vnet header).
 * @l4 holds the L4 header and payload (@l4len bytes). Return: total length
 * including the vnet header.
 */
static size_t build_ip4(uint8_t *f, uint8_t proto, const void *l4, size_t l4len)
{
	uint8_t *eth = f + HDR, *ip = eth + 14, *l4p = ip + 20;
	uint32_t src = ip4(1), dst = ip4(2), ps;

	memset(f, 0, HDR);
	memcpy(eth, tap_mac, 6);
	memcpy(eth + 6, peer_mac, 6);
	put16(eth + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	memcpy(l4p, l4, l4len);
	/* L4 checksum over the pseudo-header. */
	ps = sum16(ip + 12, 8, 0) + proto + (uint32_t)l4len;
	if (proto == IPPROTO_UDP) {
		put16(l4p + 6, 0);
		put16(l4p + 6, fold(sum16(l4p, l4len, ps)) ?: 0xffff);
	} else {
		put16(l4p + 16, 0);
		put16(l4p + 16, fold(sum16(l4p, l4len, ps)));
	}
	return HDR + 14 + 20 + l4len;
}

static size_t build_udp(uint8_t *f, uint16_t sport, uint16_t dport,
			const void *payload, size_t plen)
{
	uint8_t l4[2048];

	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (uint16_t)(8 + plen));
	put16(l4 + 6, 0);
	memcpy(l4 + 8, payload, plen);
	return build_ip4(f, IPPROTO_UDP, l4, 8 + plen);
}

/* IPv4 UDP/TCP frame parsed after the vnet header. */
struct parsed {
	uint8_t proto;
	uint16_t sport, dport;
	const uint8_t *l4;
	size_t l4len;
};

static bool parse(const uint8_t *buf, size_t len, struct parsed *p)
{
	const uint8_t *eth = buf + HDR, *ip = eth + 14;

	if (len < HDR + 14 + 20 + 8 || get16(eth + 12) != 0x0800 ||
	    (ip[0] >> 4) != 4)
		return false;
	p->proto = ip[9];
	p->l4 = ip + (ip[0] & 15) * 4;
	p->l4len = len - (size_t)(p->l4 - buf);
	p->sport = get16(p->l4);
	p->dport = get16(p->l4 + 2);
	return true;
}

/* ---- the namespace side, in threads that setns() themselves ---- */

struct ns_job {
	int nflows;
	int per_flow;
	int delay_us;
	uint16_t dport;
	int sent;
	/* receiver */
	volatile bool stop;
	volatile bool pause;
};

static void *ns_udp_sender(void *arg)
{
	struct ns_job *j = arg;
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(j->dport),
				 .sin_addr.s_addr = ip4(1)};
	int socks[64];

	if (nt_enter(ns))
		return NULL;
	for (int i = 0; i < j->nflows; i++)
		socks[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (int k = 0; k < j->per_flow && !j->stop; k++) {
		while (j->pause)
			usleep(200);
		for (int i = 0; i < j->nflows; i++) {
			char msg[32];
			int n = snprintf(msg, sizeof(msg), "vtap %d %d", i, k);

			if (sendto(socks[i], msg, (size_t)n, 0,
				   (struct sockaddr *)&to, sizeof(to)) == n)
				j->sent++;
		}
		if (j->delay_us)
			usleep((useconds_t)j->delay_us);
	}
	for (int i = 0; i < j->nflows; i++)
		close(socks[i]);
	return NULL;
}

/* Bind a UDP socket in the namespace (done from the calling thread). */
static int ns_udp_socket(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = ip4(2)};
	int s, big = 8 << 20;

	assert_int_equal(nt_enter(ns), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(nt_enter(NULL), 0);
	return s;
}

/* Datagrams waiting on @s (drain with a short grace period). */
static int drain_socket(int s, int want, int ms)
{
	uint64_t end = nt_now_ms() + (uint64_t)ms;
	char b[2048];
	int n = 0;

	while (nt_now_ms() < end) {
		ssize_t r = recv(s, b, sizeof(b), 0);

		if (r >= 0) {
			n++;
			if (n == want)
				end = nt_now_ms() + 50; /* catch extras */
			continue;
		}
		usleep(1000);
	}
	return n;
}

/* ---- fixture ---- */

static int setup(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .queues = NQ, .vnet_hdr_len = HDR,
		       .flags = VTAP_DEV_SET_OFFLOADS,
		       .offloads = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
				   VTAP_OFFLOAD_TSO6);
	char path[64];
	int fd;

	net3 = (uint8_t)(getpid() % 200 + 20);
	nt_name(ns, sizeof(ns), "qns");
	nt_name(tapname, sizeof(tapname), "que");
	if (nt_ns_add(ns))
		return -1;
	nt_sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	      "net.ipv6.conf.default.disable_ipv6=1",
	      ns);
	nt_link_cleanup(tapname);
	dev = vtap_dev__open(tapname, &opts);
	if (!dev)
		return -1;
	if (vtap_dev__set_mac(dev, tap_mac))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || vtap_dev__set_netns(dev, fd, 0))
		return -1;
	close(fd);
	if (nt_sh("ip -n %s addr add 10.77.%u.2/24 dev %s && "
		  "ip -n %s link set %s up && "
		  "ip -n %s neigh add 10.77.%u.1 lladdr "
		  "02:77:00:00:00:01 dev %s",
		  ns, net3, tapname, ns, tapname, ns, net3, tapname))
		return -1;
	for (int i = 0; i < 32; i++) {
		bufs[i] = malloc(BUFSZ);
		if (!bufs[i])
			return -1;
		frames[i] = (struct vtap_frame){.buf = bufs[i], .cap = BUFSZ};
	}
	return 0;
}

static int teardown(void **state)
{
	vtap_dev__close(dev);
	for (int i = 0; i < 32; i++)
		free(bufs[i]);
	nt_cleanup();
	return 0;
}

/* Drain every attached queue into per-queue callbacks for @ms. */
typedef void (*frame_fn)(unsigned int qid, const uint8_t *buf, size_t len,
			 void *ctx);

static unsigned int drain_queues(int ms, frame_fn fn, void *ctx,
				 unsigned int *per_q)
{
	uint64_t end = nt_now_ms() + (uint64_t)ms;
	unsigned int total = 0;

	while (nt_now_ms() < end) {
		bool any = false;

		for (unsigned int q = 0; q < vtap_dev__num_queues(dev); q++) {
			struct vtap_queue *vq = vtap_dev__queue(dev, q);
			int n;

			if (vtap_queue__kernel_index(vq) < 0)
				continue;
			n = vtap_queue__recv(vq, frames, 32);
			assert_true(n >= 0);
			for (int i = 0; i < n; i++)
				fn(q, frames[i].buf, frames[i].len, ctx);
			if (per_q)
				per_q[q] += (unsigned int)n;
			total += (unsigned int)n;
			any |= n > 0;
		}
		if (!any)
			usleep(500);
	}
	return total;
}

struct udp_seen {
	uint16_t dport;
	int count;
	int per_q[NQ];
	int flow_q[64];
	bool flow_moved;
};

static void on_udp(unsigned int qid, const uint8_t *buf, size_t len, void *ctx)
{
	struct udp_seen *s = ctx;
	struct parsed p = {0};
	int flow = -1, k;

	if (!parse(buf, len, &p) || p.proto != IPPROTO_UDP ||
	    p.dport != s->dport)
		return;
	/* Header: no GSO; checksum offloaded (NEEDS_CSUM) or complete. */
	assert_int_equal(buf[1], VTAP_VNET_GSO_NONE);
	if (buf[0] & VTAP_VNET_F_NEEDS_CSUM) {
		assert_int_equal(le16(buf + 6), 14 + 20);
		assert_int_equal(le16(buf + 8), 6);
	}
	assert_int_equal(get16(p.l4 + 4), p.l4len);
	assert_int_equal(
		sscanf((const char *)p.l4 + 8, "vtap %d %d", &flow, &k), 2);
	if (flow >= 0 && flow < 64) {
		if (s->flow_q[flow] >= 0 && s->flow_q[flow] != (int)qid)
			s->flow_moved = true;
		s->flow_q[flow] = (int)qid;
	}
	s->count++;
	s->per_q[qid]++;
}

static void test_rx_udp(void **state)
{
	struct ns_job job = {.nflows = 32, .per_flow = 4, .dport = 9000};
	struct udp_seen seen = {.dport = 9000};
	struct vtap_queue_stats st, sum = {0};
	unsigned int per_q[NQ] = {0}, total;
	int used = 0;
	pthread_t t;

	memset(seen.flow_q, -1, sizeof(seen.flow_q));
	drain_queues(100, on_udp, &seen, NULL); /* whatever came before */
	memset(&seen, 0, sizeof(seen));
	seen.dport = 9000;
	memset(seen.flow_q, -1, sizeof(seen.flow_q));
	for (unsigned int q = 0; q < NQ; q++) {
		vtap_queue__stats(vtap_dev__queue(dev, q), &st);
		vtap_stats__sum(&sum, &st);
	}

	assert_int_equal(pthread_create(&t, NULL, ns_udp_sender, &job), 0);
	pthread_join(t, NULL);
	total = drain_queues(500, on_udp, &seen, per_q);
	assert_int_equal(job.sent, 128);
	assert_int_equal(seen.count, 128);
	/* One flow stays on one queue; 32 flows spread over several. */
	assert_false(seen.flow_moved);
	for (int q = 0; q < NQ; q++)
		used += seen.per_q[q] > 0;
	assert_true(used >= 2);
	/* The counters saw exactly what we read. */
	{
		struct vtap_queue_stats after = {0};

		for (unsigned int q = 0; q < NQ; q++) {
			vtap_queue__stats(vtap_dev__queue(dev, q), &st);
			vtap_stats__sum(&after, &st);
		}
		assert_int_equal(after.rx_packets - sum.rx_packets, total);
	}
}

/* ---- TCP with TSO: a handshake answered by hand, then GSO frames ---- */

struct tcp_job {
	uint16_t port;
	int connected;
	ssize_t written;
};

static void *ns_tcp_client(void *arg)
{
	struct tcp_job *j = arg;
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(j->port),
				 .sin_addr.s_addr = ip4(1)};
	static char data[256 * 1024];
	struct pollfd pfd;
	int s;

	if (nt_enter(ns))
		return NULL;
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	connect(s, (struct sockaddr *)&to, sizeof(to));
	pfd = (struct pollfd){.fd = s, .events = POLLOUT};
	if (poll(&pfd, 1, 3000) == 1 && !(pfd.revents & (POLLERR | POLLHUP))) {
		j->connected = 1;
		memset(data, 'x', sizeof(data));
		j->written = send(s, data, sizeof(data), MSG_DONTWAIT);
		usleep(300 * 1000);
	}
	close(s);
	return NULL;
}

struct tcp_seen {
	uint16_t port;
	bool got_syn;
	uint8_t syn[128];
	size_t syn_len;
	int gso_frames;
	size_t max_len;
	uint16_t gso_size;
	bool bad_hdr;
};

static void on_tcp(unsigned int qid, const uint8_t *buf, size_t len, void *ctx)
{
	struct tcp_seen *s = ctx;
	struct parsed p = {0};

	if (!parse(buf, len, &p) || p.proto != IPPROTO_TCP ||
	    p.dport != s->port)
		return;
	if ((p.l4[13] & 0x02) && !s->got_syn && len <= sizeof(s->syn)) {
		s->got_syn = true;
		memcpy(s->syn, buf, len);
		s->syn_len = len;
		return;
	}
	if (buf[1] == VTAP_VNET_GSO_TCPV4) {
		s->gso_frames++;
		s->gso_size = le16(buf + 4);
		/* TSO frames carry a partial checksum at the TCP header. */
		if (!(buf[0] & VTAP_VNET_F_NEEDS_CSUM) ||
		    le16(buf + 6) != 14 + 20 || le16(buf + 8) != 16)
			s->bad_hdr = true;
	}
	if (len > s->max_len)
		s->max_len = len;
}

static void send_synack(const struct tcp_seen *s)
{
	struct parsed p = {0};
	uint8_t l4[32] = {0}, f[256];
	uint32_t isn;
	struct vtap_frame fr = {.buf = f};

	assert_true(parse(s->syn, s->syn_len, &p));
	isn = (uint32_t)p.l4[4] << 24 | (uint32_t)p.l4[5] << 16 |
	      (uint32_t)p.l4[6] << 8 | p.l4[7];
	put16(l4, p.dport);
	put16(l4 + 2, p.sport);
	put16(l4 + 4, 0x1234);
	put16(l4 + 6, 0x5678);
	isn++;
	put16(l4 + 8, (uint16_t)(isn >> 16));
	put16(l4 + 10, (uint16_t)isn);
	l4[12] = 8 << 4; /* 32 bytes: options below */
	l4[13] = 0x12; /* SYN, ACK */
	put16(l4 + 14, 65535);
	/* MSS 1460, window scale 10, NOPs */
	l4[20] = 2, l4[21] = 4, put16(l4 + 22, 1460);
	l4[24] = 1, l4[25] = 3, l4[26] = 3, l4[27] = 10;
	l4[28] = 1, l4[29] = 1, l4[30] = 1, l4[31] = 1;
	fr.len = build_ip4(f, IPPROTO_TCP, l4, sizeof(l4));
	fr.cap = sizeof(f);
	assert_int_equal(vtap_queue__send(vtap_dev__queue(dev, 0), &fr, 1), 1);
	assert_int_equal(fr.drop, -1);
}

static void test_rx_tcp_gso(void **state)
{
	struct tcp_job job = {.port = 5201};
	struct tcp_seen seen = {.port = 5201};
	uint64_t end = nt_now_ms() + 3000;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, ns_tcp_client, &job), 0);
	while (!seen.got_syn && nt_now_ms() < end)
		drain_queues(20, on_tcp, &seen, NULL);
	assert_true(seen.got_syn);
	send_synack(&seen);
	drain_queues(600, on_tcp, &seen, NULL);
	pthread_join(t, NULL);
	assert_int_equal(job.connected, 1);
	assert_true(job.written > 0);
	/* The tap takes TSO4, so the stack hands it frames beyond the MTU. */
	assert_true(seen.gso_frames > 0);
	assert_false(seen.bad_hdr);
	assert_true(seen.max_len > HDR + 1514);
	assert_int_equal(seen.gso_size, 1460);
}

/* ---- send on each queue, received in the namespace ---- */

static void test_tx_each_queue(void **state)
{
	int s = ns_udp_socket(9001), got;
	struct vtap_queue_stats st;

	for (unsigned int q = 0; q < NQ; q++) {
		for (int i = 0; i < 16; i++)
			frames[i].len = build_udp(bufs[i], (uint16_t)(4000 + q),
						  9001, "hello", 5);
		assert_int_equal(
			vtap_queue__send(vtap_dev__queue(dev, q), frames, 16),
			16);
		for (int i = 0; i < 16; i++)
			assert_int_equal(frames[i].drop, -1);
		vtap_queue__stats(vtap_dev__queue(dev, q), &st);
		assert_true(st.tx_packets >= 16);
	}
	got = drain_socket(s, 4 * 16, 2000);
	assert_int_equal(got, 4 * 16);
	close(s);
}

/* ---- hostile headers ---- */

static void test_tx_hostile(void **state)
{
	int s = ns_udp_socket(9002), got;
	struct vtap_queue *q = vtap_dev__queue(dev, 2);
	struct vtap_queue_stats before, after;
	size_t len;
	uint8_t *h;

	vtap_queue__stats(q, &before);
	for (int i = 0; i < 7; i++)
		frames[i].len = build_udp(bufs[i], 4100, 9002, "evil", 4);
	len = frames[0].len;
	/* 0: TCP GSO with gso_size 0 */
	h = bufs[0];
	h[1] = VTAP_VNET_GSO_TCPV4, h[4] = 0, h[5] = 0;
	/* 1: csum_start past the end */
	h = bufs[1];
	h[0] = VTAP_VNET_F_NEEDS_CSUM;
	h[6] = (uint8_t)(len + 10), h[7] = (uint8_t)((len + 10) >> 8);
	h[8] = 6;
	/* 2: hdr_len past the end */
	h = bufs[2];
	h[2] = 0xff, h[3] = 0x7f;
	/* 3: unknown gso_type */
	h = bufs[3];
	h[1] = 7, h[4] = 100;
	/* 4: a good frame in between */
	/* 5: shorter than its vnet header */
	frames[5].len = HDR - 2;
	/* 6: csum_offset pointing past the end */
	h = bufs[6];
	h[0] = VTAP_VNET_F_NEEDS_CSUM;
	h[6] = 34, h[8] = 0xf0, h[9] = 0x0f;

	assert_int_equal(vtap_queue__send(q, frames, 7), 7);
	assert_int_equal(frames[0].drop, VTAP_DROP_GSO_SIZE);
	assert_int_equal(frames[1].drop, VTAP_DROP_CSUM);
	assert_int_equal(frames[2].drop, VTAP_DROP_HDR_LEN);
	assert_int_equal(frames[3].drop, VTAP_DROP_GSO_TYPE);
	assert_int_equal(frames[4].drop, -1);
	assert_int_equal(frames[5].drop, VTAP_DROP_SHORT);
	assert_int_equal(frames[6].drop, VTAP_DROP_CSUM);
	vtap_queue__stats(q, &after);
	assert_int_equal(after.tx_packets - before.tx_packets, 1);
	assert_int_equal(after.tx_drops[VTAP_DROP_GSO_SIZE] -
				 before.tx_drops[VTAP_DROP_GSO_SIZE],
			 1);
	assert_int_equal(after.tx_drops[VTAP_DROP_CSUM] -
				 before.tx_drops[VTAP_DROP_CSUM],
			 2);
	assert_int_equal(after.tx_drops[VTAP_DROP_HDR_LEN] -
				 before.tx_drops[VTAP_DROP_HDR_LEN],
			 1);
	assert_int_equal(after.tx_drops[VTAP_DROP_GSO_TYPE] -
				 before.tx_drops[VTAP_DROP_GSO_TYPE],
			 1);
	assert_int_equal(after.tx_drops[VTAP_DROP_SHORT] -
				 before.tx_drops[VTAP_DROP_SHORT],
			 1);
	/* Only the good one arrives; the device is alive and still sends. */
	got = drain_socket(s, 1, 500);
	assert_int_equal(got, 1);
	frames[0].len = build_udp(bufs[0], 4100, 9002, "after", 5);
	assert_int_equal(vtap_queue__send(q, frames, 1), 1);
	assert_int_equal(drain_socket(s, 1, 500), 1);
	assert_int_equal(nt_sh("ip -n %s link show %s >/dev/null", ns, tapname),
			 0);
	close(s);
}

/* ---- attach and detach while traffic flows ---- */

/* Frames the tap's netdev dropped on its way to the queues. */
static uint64_t tx_dropped(void)
{
	char out[64];

	if (nt_sh_out(out, sizeof(out),
		      "ip netns exec %s cat /sys/class/net/%s/statistics/"
		      "tx_dropped",
		      ns, tapname))
		return 0;
	return strtoull(out, NULL, 10);
}

static void test_attach_detach_under_traffic(void **state)
{
	struct ns_job job = {
		.nflows = 16, .per_flow = 150, .delay_us = 2000, .dport = 9003};
	struct udp_seen seen = {.dport = 9003};
	struct vtap_queue_stats st[NQ], st0[NQ];
	unsigned int per_q[NQ] = {0}, total = 0;
	uint64_t tx_sent = 0, tx_done = 0, lib_rx = 0;
	int s = ns_udp_socket(9004);
	pthread_t t;

	uint64_t dropped0 = tx_dropped();

	memset(seen.flow_q, -1, sizeof(seen.flow_q));
	for (unsigned int q = 0; q < NQ; q++)
		vtap_queue__stats(vtap_dev__queue(dev, q), &st0[q]);
	assert_int_equal(pthread_create(&t, NULL, ns_udp_sender, &job), 0);
	for (int round = 0; round < 8; round++) {
		unsigned int qid = 1 + (unsigned int)round % 3;
		struct vtap_queue *vq = vtap_dev__queue(dev, qid);

		total += drain_queues(50, on_udp, &seen, per_q);
		/* The kernel discards (uncounted) what is still queued on a
		 * queue it detaches (tun_queue_purge()): pause the sender
		 * and drain first, as a steering change would. */
		job.pause = true;
		usleep(5000);
		total += drain_queues(20, on_udp, &seen, per_q);
		assert_int_equal(vtap_dev__detach_queue(dev, qid), 0);
		job.pause = false;
		total += drain_queues(60, on_udp, &seen, per_q);
		/* Nothing is read from a detached queue; what the kernel had
		 * queued on it before the detach waits for the re-attach. */
		assert_int_equal(vtap_queue__recv(vq, frames, 4), -ENXIO);
		/* Send through whatever is attached meanwhile. */
		for (unsigned int q = 0; q < NQ; q++) {
			struct vtap_queue *sq = vtap_dev__queue(dev, q);
			int n;

			for (int i = 0; i < 8; i++)
				frames[i].len = build_udp(bufs[i], 4200, 9004,
							  "churn", 5);
			n = vtap_queue__send(sq, frames, 8);
			if (vtap_queue__kernel_index(sq) < 0) {
				assert_int_equal(n, -ENXIO);
				continue;
			}
			assert_int_equal(n, 8);
			tx_sent += 8;
		}
		assert_int_equal(vtap_dev__attach_queue(dev, qid), 0);
	}
	pthread_join(t, NULL);
	total += drain_queues(300, on_udp, &seen, per_q);
	/* Quiet phase: everything sent now arrives. */
	{
		struct ns_job j2 = {.nflows = 16, .per_flow = 4, .dport = 9003};
		int before = seen.count;

		assert_int_equal(pthread_create(&t, NULL, ns_udp_sender, &j2),
				 0);
		pthread_join(t, NULL);
		total += drain_queues(400, on_udp, &seen, per_q);
		assert_int_equal(seen.count - before, j2.sent);
		seen.count = before;
	}
	/* Every datagram sent was read once, or counted as dropped by the
	 * tap (a full ring: tx_dropped of the netdev). */
	assert_int_equal(seen.count + (int)(tx_dropped() - dropped0), job.sent);

	/* Library counters add up: rx = what recv returned; tx sent =
	 * tx_packets + tx drops; the namespace got every tx_packet. */
	for (unsigned int q = 0; q < NQ; q++) {
		uint64_t drops = 0;

		vtap_queue__stats(vtap_dev__queue(dev, q), &st[q]);
		assert_int_equal(st[q].rx_packets - st0[q].rx_packets,
				 per_q[q]);
		lib_rx += st[q].rx_packets - st0[q].rx_packets;
		for (int r = 0; r < VTAP_DROP__COUNT; r++)
			drops += st[q].tx_drops[r] - st0[q].tx_drops[r];
		tx_done += st[q].tx_packets - st0[q].tx_packets + drops;
	}
	assert_int_equal(lib_rx, total);
	assert_int_equal(tx_done, tx_sent);
	assert_int_equal(drain_socket(s, (int)tx_sent, 2000), (int)tx_sent);
	close(s);
}

/* ---- coalescing across a batch edge ---- */

/* Receive the next datagram on @s (non-blocking) within 3 s: its length. */
static ssize_t recv_one(int s, uint8_t *buf, size_t cap)
{
	struct pollfd p = {.fd = s, .events = POLLIN};

	if (poll(&p, 1, 3000) <= 0)
		return -1;
	return recv(s, buf, cap, 0);
}

/*
 * Coalescing across a batch edge: UDP datagrams of one flow, in sequence,
 * handed over in three sends ([K K K] [K K 400] [K]) become one UDP_L4
 * frame per send of two or more where the kernel's tap takes USO (one
 * frame per datagram where it does not, Linux 6.1): nothing is held back
 * for the next send (each send's datagrams arrive before the next send),
 * nothing is merged across the edge, lost, or reordered.
 */
static void test_tx_gro_batch_edge(void **state)
{
	static const unsigned int batch[][3] = {
		{1000, 1000, 1000}, {1000, 1000, 400}, {1000}};
	struct vtap_queue *q = vtap_dev__queue(dev, 3);
	struct vtap_queue_stats before, after;
	VTAP_OPTS_INIT(vtap_gro_opts, go);
	int s = ns_udp_socket(9003);
	uint16_t id = 100;
	uint8_t got[2048];
	bool udp;

	(void)state;
	assert_int_equal(vtap_queue__set_gro(q, &go), 0);
	udp = (vtap_queue__gro(q) & VTAP_GRO_UDP) != 0;
	if (!udp)
		fprintf(stderr, "no USO on this kernel's tap: the datagrams "
				"go one by one\n");
	vtap_queue__stats(q, &before);
	for (unsigned int b = 0; b < 3; b++) {
		unsigned int n = 0;

		for (; n < 3 && batch[b][n]; n++) {
			uint8_t msg[1000], *ip = bufs[n] + HDR + 14;

			for (size_t i = 0; i < batch[b][n]; i++)
				msg[i] = (uint8_t)(id * 7 + i);
			frames[n].len = build_udp(bufs[n], 4000, 9003, msg,
						  batch[b][n]);
			/* IPv4 IDs one apart, as the segmenter writes them */
			put16(ip + 4, id++);
			put16(ip + 10, 0);
			put16(ip + 10, fold(sum16(ip, 20, 0)));
		}
		assert_int_equal(vtap_queue__send(q, frames, n), (int)n);
		for (unsigned int i = 0; i < n; i++) {
			size_t plen = frames[i].len - HDR - 42;

			assert_int_equal(frames[i].drop, -1);
			assert_int_equal(recv_one(s, got, sizeof(got)),
					 (ssize_t)plen);
			assert_memory_equal(got, bufs[i] + HDR + 42, plen);
		}
	}
	assert_int_equal(recv(s, got, sizeof(got), 0), -1); /* no more */
	vtap_queue__stats(q, &after);
	assert_int_equal(after.tx_packets - before.tx_packets, udp ? 3 : 7);
	assert_int_equal(after.gro_frames - before.gro_frames, udp ? 2 : 0);
	assert_int_equal(after.gro_segments - before.gro_segments, udp ? 6 : 0);
	assert_int_equal(vtap_queue__set_gro(q, NULL), 0);
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_udp),
		cmocka_unit_test(test_rx_tcp_gso),
		cmocka_unit_test(test_tx_each_queue),
		cmocka_unit_test(test_tx_hostile),
		cmocka_unit_test(test_attach_detach_under_traffic),
		cmocka_unit_test(test_tx_gro_batch_edge),
	};

	nt_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
