// SPDX-License-Identifier: MIT
/*
 * test_vhost.c - vtap-vhost driven by the test frontend (fe.c) over its
 * socket, with the tap in a namespace: negotiation; frames both ways
 * compared byte for byte with sockets behind the tap; multiqueue with
 * every reported hash equal to vtap_rss over the frame and every queue the
 * table's choice, a queue pair disabled and enabled again (detach, table
 * rebuilt, attach); the same steering over a macvtap; a 64 KiB TSO frame
 * into 2 KiB mergeable buffers;
 * offloads following the features; each hostile descriptor case stopping
 * its queue with a counted error and a log line; hostile vnet headers as
 * counted drops; MSS-sized TCP segments and UDP datagrams coalesced on
 * transmit (or not: --coalesce off, no USO on 6.1), across batch edges and
 * interleaved flows; disconnect and reconnect; --client mode.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fe.h"
#include "netns.h"
#include "rundir.h"

#define F(bit) (1ull << (bit))
#define NET 97

static const uint8_t tap_mac[6] = {0x02, 0x97, 0, 0, 0, 0x01};
static const uint8_t guest_mac[6] = {0x02, 0x97, 0, 0, 0, 0x02};

static char ns[16], tap[16], work_dir[64], sock_path[108], log_path[128],
	vhost_bin[512], vtapctl_bin[512];
static pid_t daemon_pid = -1;
static const char *daemon_env = ""; /* VAR=value for the next start */
/*
 * VHOST_DAEMON_WRAP: a command the daemon runs under, e.g. setpriv with
 * the unit's capability bounding set (tests/vhost/test_units.sh).
 */
static const char *daemon_wrap = "";
static struct fe fe;

/* ---- helpers ---------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + UDP (checksum 0) or TCP; returns the frame length. */
static size_t frame4(uint8_t *b, const uint8_t *dst_mac, const uint8_t *src_mac,
		     uint8_t src_host, uint8_t dst_host, uint8_t proto,
		     uint16_t sport, uint16_t dport, size_t payload,
		     uint8_t seed)
{
	size_t l4 = proto == 6 ? 20 : 8, ip_len = 20 + l4 + payload;

	memcpy(b, dst_mac, 6);
	memcpy(b + 6, src_mac, 6);
	put16(b + 12, 0x0800);
	memset(b + 14, 0, 20 + l4);
	b[14] = 0x45;
	put16(b + 16, (uint16_t)(ip_len > 65535 ? 0 : ip_len));
	b[22] = 64;
	b[23] = proto;
	b[26] = 10;
	b[27] = NET;
	b[29] = src_host;
	b[30] = 10;
	b[31] = NET;
	b[33] = dst_host;
	put16(b + 24, ip_csum(b + 14, 20));
	put16(b + 34, sport);
	put16(b + 36, dport);
	if (proto == 6)
		b[46] = 5 << 4;
	else
		put16(b + 38, (uint16_t)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		b[34 + l4 + i] = (uint8_t)(seed + i * 7);
	return 34 + l4 + payload;
}

static size_t frame6_udp(uint8_t *b, uint16_t sport, uint16_t dport,
			 size_t payload)
{
	memcpy(b, guest_mac, 6);
	memcpy(b + 6, tap_mac, 6);
	put16(b + 12, 0x86dd);
	memset(b + 14, 0, 48);
	b[14] = 0x60;
	put16(b + 18, (uint16_t)(8 + payload));
	b[20] = 17;
	b[21] = 64;
	b[22] = 0xfd;
	b[23] = NET;
	b[37] = 1;
	b[38] = 0xfd;
	b[39] = NET;
	b[53] = 2;
	put16(b + 54, sport);
	put16(b + 56, dport);
	put16(b + 58, (uint16_t)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		b[62 + i] = (uint8_t)i;
	return 62 + payload;
}

static bool log_has(const char *needle)
{
	static char buf[1 << 16];
	FILE *f = fopen(log_path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static void wait_log(const char *needle)
{
	uint64_t end = nt_now_ms() + 5000;

	while (!log_has(needle) && nt_now_ms() < end)
		usleep(20000);
	if (!log_has(needle)) {
		fprintf(stderr, "log of vtap-vhost lacks '%s'\n", needle);
		nt_sh("cat %s >&2", log_path);
		fail();
	}
}

/* A daemon that did not exit 0 on SIGTERM (a sanitizer report, a crash). */
static bool daemon_failed;

static void daemon_stop(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		if (nt_wait(daemon_pid) != 0) {
			fprintf(stderr, "vtap-vhost did not exit cleanly\n");
			daemon_failed = true;
		}
	}
	daemon_pid = -1;
}

/* The daemon exited (it is not reaped: daemon_stop() does that). */
static bool daemon_exited(void)
{
	siginfo_t si = {0};

	return waitid(P_PID, (id_t)daemon_pid, &si,
		      WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == daemon_pid;
}

/*
 * Start the daemon in the namespace; wait for its tap (and socket). The
 * bound is generous: in a TCG guest on 6.1 the verifier alone keeps a
 * daemon from listening for 25-35 s (two steering programs; about 1.5 s
 * on the host under load), and a ready daemon ends the wait at once.
 */
#define START_MS 180000

static void daemon_start(const char *args, bool wait_socket)
{
	uint64_t end = nt_now_ms() + START_MS;
	struct stat st;

	daemon_stop();
	/* A socket a killed daemon left would end the wait too early. */
	if (wait_socket)
		unlink(sock_path);
	if (!strstr(args, "--tap")) {
		/* What a failed test before may have left. */
		vtap_steer__unpin(tap);
		vtap_dev__delete(tap);
	}
	daemon_pid =
		nt_spawn(NULL, "%s exec %s %s --socket %s --netns %s %s 2>>%s",
			 daemon_env, daemon_wrap, vhost_bin, sock_path, ns,
			 args, log_path);
	assert_true(daemon_pid > 0);
	while (nt_now_ms() < end && !daemon_exited() &&
	       (nt_sh("ip link show %s >/dev/null 2>&1", tap) ||
		(wait_socket && stat(sock_path, &st))))
		usleep(20000);
	assert_false(daemon_exited());
}

static void link_setup(void)
{
	assert_int_equal(
		nt_sh("ip link set %s address 02:97:00:00:00:01 up && "
		      "ip addr replace 10.%d.0.1/24 dev %s && "
		      "ip addr replace fd%d::1/64 dev %s nodad && "
		      "ip neigh replace 10.%d.0.2 lladdr 02:97:00:00:00:02 dev %s && "
		      "ip -6 neigh replace fd%d::2 lladdr 02:97:00:00:00:02 dev %s",
		      tap, NET, tap, NET, tap, NET, tap, NET, tap),
		0);
}

static int udp_sock(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(10u << 24 | NET << 16 | 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* An AF_PACKET socket on the tap: frames go out of it to the guest. */
static int pkt_sock(bool vnet)
{
	struct sockaddr_ll a = {.sll_family = AF_PACKET,
				.sll_protocol = htons(ETH_P_ALL)};
	int one = 1, fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sll_ifindex = (int)if_nametoindex(tap);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (vnet)
		assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR,
					    &one, sizeof(one)),
				 0);
	return fd;
}

static void connect_only(uint64_t want, unsigned int pairs)
{
	fe_close(&fe);
	assert_int_equal(fe_connect(&fe, sock_path), 0);
	assert_int_equal(fe_start(&fe, want, pairs, 256), 0);
}

static void connect_start(uint64_t want, unsigned int pairs)
{
	connect_only(want, pairs);
	for (unsigned int i = 0; i < pairs; i++)
		fe_rx_post(&fe, i, 256);
}

static const uint64_t base_features =
	F(32) | F(15) | F(0) | F(1) | F(11) | F(29) | F(28) | F(22) | F(56);

/*
 * fe_rx() without the frames the tap's own stack sends by itself (IPv6
 * router and multicast listener messages, ARP).
 */
static int rx(unsigned int pair, uint8_t *out, size_t cap, unsigned int *nb,
	      int ms)
{
	for (;;) {
		int n = fe_rx(&fe, pair, out, cap, nb, ms);
		const uint8_t *e = out + fe.hdr_len;
		uint16_t type;

		if (n < (int)fe.hdr_len + 14)
			return n;
		type = (uint16_t)(e[12] << 8 | e[13]);
		if (type == 0x0806)
			continue;
		if (type == 0x86dd && n >= (int)fe.hdr_len + 54 &&
		    (e[20] == 58 || e[20] == 0) && e[22] == 0xfe)
			continue; /* link-local source: the stack's own */
		if (type == 0x86dd && n >= (int)fe.hdr_len + 54 &&
		    (e[20] == 58 || e[20] == 0) && e[22] == 0)
			continue; /* unspecified source (DAD, MLD) */
		return n;
	}
}

/* Guest -> tap over pair @pair, the UDP payload compared. */
static void check_tx(unsigned int pair, int layout, size_t payload)
{
	uint8_t f[2048], got[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	int s = udp_sock(5000), n;
	size_t len = frame4(f, tap_mac, guest_mac, 2, 1, 17, 4000, 5000,
			    payload, (uint8_t)(layout * 31 + payload));

	assert_true(fe_tx(&fe, pair, NULL, f, len, layout) >= 0);
	assert_int_equal(fe_tx_wait(&fe, pair, 3000), 0);
	{
		struct pollfd p = {.fd = s, .events = POLLIN};

		assert_true(poll(&p, 1, 3000) > 0);
	}
	n = (int)recvfrom(s, got, sizeof(got), 0, (struct sockaddr *)&from,
			  &fl);
	assert_int_equal(n, (int)payload);
	assert_memory_equal(got, f + 42, payload);
	assert_int_equal(ntohs(from.sin_port), 4000);
	assert_int_equal(ntohl(from.sin_addr.s_addr),
			 10u << 24 | NET << 16 | 2);
	close(s);
}

/* Tap -> guest: a socket in the namespace sends, the guest compares. */
static void check_rx_udp(unsigned int pair, size_t payload)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(4000)};
	uint8_t msg[2048], got[4096];
	int s = udp_sock(5001), n;
	const uint8_t *fr;

	for (size_t i = 0; i < payload; i++)
		msg[i] = (uint8_t)(i * 13 + payload);
	to.sin_addr.s_addr = htonl(10u << 24 | NET << 16 | 2);
	assert_int_equal(
		sendto(s, msg, payload, 0, (struct sockaddr *)&to, sizeof(to)),
		(ssize_t)payload);
	n = rx(pair, got, sizeof(got), NULL, 3000);
	assert_int_equal(n, (int)(fe.hdr_len + 42 + payload));
	fr = got + fe.hdr_len;
	assert_memory_equal(fr, guest_mac, 6);
	assert_memory_equal(fr + 6, tap_mac, 6);
	assert_int_equal(fr[12] << 8 | fr[13], 0x0800);
	assert_int_equal(fr[23], 17);
	assert_int_equal(fr[29], 1);
	assert_int_equal(fr[33], 2);
	assert_int_equal(fr[34] << 8 | fr[35], 5001);
	assert_int_equal(fr[36] << 8 | fr[37], 4000);
	assert_memory_equal(fr + 42, msg, payload);
	close(s);
}

/* Tap -> guest through AF_PACKET: the exact bytes arrive. */
static void check_rx_exact(int pkt, unsigned int pair, const uint8_t *f,
			   size_t len)
{
	uint8_t got[4096];
	int n;

	assert_int_equal(send(pkt, f, len, 0), (ssize_t)len);
	n = rx(pair, got, sizeof(got), NULL, 3000);
	assert_int_equal(n, (int)(fe.hdr_len + len));
	assert_memory_equal(got + fe.hdr_len, f, len);
}

/* HOST_USO: one 1500-byte UDP GSO frame, three datagrams of 500. */
static void check_tx_uso(void)
{
	uint8_t g[1600], h[12] = {0}, got[2048];
	size_t len =
		frame4(g, tap_mac, guest_mac, 2, 1, 17, 4000, 5000, 1500, 77);
	uint32_t sum = 17;
	int s = udp_sock(5000);

	/* Seed: the pseudo-header sum without the length. */
	for (int i = 26; i < 34; i += 2)
		sum += (uint32_t)g[i] << 8 | g[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(g + 40, (uint16_t)sum);
	h[0] = VTAP_VNET_F_NEEDS_CSUM;
	h[1] = VTAP_VNET_GSO_UDP_L4;
	h[2] = 42;
	h[4] = 500 & 0xff;
	h[5] = 500 >> 8;
	h[6] = 34;
	h[8] = 6;
	assert_true(fe_tx(&fe, 0, h, g, len, 1) >= 0);
	assert_int_equal(fe_tx_wait(&fe, 0, 3000), 0);
	for (int i = 0; i < 3; i++) {
		struct pollfd p = {.fd = s, .events = POLLIN};

		assert_true(poll(&p, 1, 3000) > 0);
		assert_int_equal(recv(s, got, sizeof(got), 0), 500);
		assert_memory_equal(got, g + 42 + 500 * i, 500);
	}
	close(s);
}

/* ---- tests ------------------------------------------------------------ */

static void start_create(unsigned int queues, const char *extra)
{
	char args[256];

	snprintf(args, sizeof(args), "--create %s --queues %u %s", tap, queues,
		 extra);
	daemon_start(args, true);
	link_setup();
}

static void test_negotiate_frames(void **state)
{
	static const int want_bits[] = {0,  1,	7,  8,	9,  11, 12, 13, 15,
					16, 17, 22, 28, 29, 30, 32, 56, 57};
	struct vtap_dev_features kf;
	uint64_t v;
	uint8_t f[256];
	int pkt;

	(void)state;
	start_create(2, "");
	assert_int_equal(fe_connect(&fe, sock_path), 0);
	assert_int_equal(fe_get_u64(&fe, VU_GET_FEATURES, &v), 0);
	for (size_t i = 0; i < sizeof(want_bits) / sizeof(want_bits[0]); i++)
		if (!(v & F(want_bits[i])))
			fail_msg("feature bit %d not offered (%#llx)",
				 want_bits[i], (unsigned long long)v);
	/* No dirty logging (LOG_ALL), no RSS, no packed rings. */
	assert_false(v & (F(26) | F(60) | F(34)));
	assert_int_equal(vtap_features__probe(&kf), 0);
	assert_int_equal(!!(v & F(54)), !!(kf.offloads & VTAP_OFFLOAD_USO));
	assert_int_equal(fe_get_u64(&fe, VU_GET_PROTOCOL_FEATURES, &v), 0);
	assert_true(v & F(VU_PF_MQ));
	assert_true(v & F(VU_PF_REPLY_ACK));
	assert_false(v & F(VU_PF_LOG_SHMFD));
	assert_int_equal(fe_get_u64(&fe, VU_GET_QUEUE_NUM, &v), 0);
	assert_int_equal(v, 2);
	fe_close(&fe);

	connect_start(base_features, 1);
	assert_int_equal(fe.hdr_len, 12);
	for (int layout = 0; layout < 3; layout++) {
		check_tx(0, layout, 64);
		check_tx(0, layout, 1400);
	}
	check_tx_uso();
	for (size_t p = 1; p < 1472; p += 490)
		check_rx_udp(0, p);
	check_rx_udp(0, 1472);
	pkt = pkt_sock(false);
	for (size_t len = 60; len <= 1514; len += 363) {
		for (size_t i = 0; i < len; i++)
			f[i % sizeof(f)] = (uint8_t)(i ^ len);
		memcpy(f, guest_mac, 6);
		memcpy(f + 6, tap_mac, 6);
		put16(f + 12, 0x88b5); /* local experimental: no hash */
		{
			uint8_t big[1514];

			for (size_t i = 0; i < len; i++)
				big[i] = i < 14 ? f[i] : (uint8_t)(i * 3 + len);
			check_rx_exact(pkt, 0, big, len);
		}
	}
	close(pkt);
	fe_close(&fe);
}

/*
 * Queue pair i is tap queue i: a tap prepared with pinned RSS (the
 * operator's configuration), every frame's reported hash equal to vtap_rss
 * over it and its queue the table's choice, then pair 1 disabled (queue
 * detached, table rebuilt) and enabled again.
 */
static const uint8_t key[40] = {1,  2,	3,  4,	5,  6,	7,  8,	9,  10,
				11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
				21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
				31, 32, 33, 34, 35, 36, 37, 38, 39, 40};
static const uint16_t table[8] = {1, 0, 0, 1, 1, 1, 0, 0};

static void table_in_effect(uint16_t *ret, unsigned int *ret_len)
{
	VTAP_OPTS_INIT(vtap_steer_opts, so,
		       .flags = VTAP_STEER_PIN | VTAP_STEER_NO_CREATE);
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	struct vtap_steer *st = vtap_steer__open(tap, &so);

	assert_non_null(st);
	assert_int_equal(vtap_steer__rss(st, &r), 0);
	memcpy(ret, r.table, r.table_len * sizeof(r.table[0]));
	*ret_len = r.table_len;
	vtap_steer__close(st);
}

/* Send @n flows; each must arrive with the right hash on the right pair. */
static void check_flows(int pkt, const struct vtap_rss *rss, unsigned int n,
			unsigned int *per_pair)
{
	uint16_t tab[VTAP_RSS_TABLE_MAX];
	unsigned int tl;

	table_in_effect(tab, &tl);
	per_pair[0] = per_pair[1] = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t f[256], got[512];
		struct vtap_rss_result want;
		unsigned int pair = 0, qwant;
		size_t len;
		uint32_t hash;
		uint16_t report;
		int got_n = 0;

		if (i % 4 == 3)
			len = frame6_udp(f, (uint16_t)(1000 + i), 7, 32);
		else
			len = frame4(f, guest_mac, tap_mac, 1, 2,
				     i % 4 == 2 ? 6 : 17, (uint16_t)(1000 + i),
				     7, 32, (uint8_t)i);
		assert_int_equal(vtap_rss__hash(rss, f, len, 0, &want), 0);
		qwant = want.report ? tab[want.hash & (tl - 1)] : 0;
		assert_int_equal(send(pkt, f, len, 0), (ssize_t)len);
		for (uint64_t end = nt_now_ms() + 3000;
		     !got_n && nt_now_ms() < end;) {
			for (pair = 0; pair < 2 && !got_n; pair++)
				got_n = rx(pair, got, sizeof(got), NULL, 5);
			if (got_n)
				pair--;
		}
		assert_int_equal(got_n, (int)(20 + len));
		assert_memory_equal(got + 20, f, len);
		hash = (uint32_t)got[12] | (uint32_t)got[13] << 8 |
		       (uint32_t)got[14] << 16 | (uint32_t)got[15] << 24;
		report = (uint16_t)(got[16] | got[17] << 8);
		assert_int_equal(hash, want.hash);
		assert_int_equal(report, want.report);
		assert_true(report != VTAP_HASH_REPORT_NONE);
		if (pair != qwant)
			fail_msg("flow %u: pair %u, table says %u", i, pair,
				 qwant);
		per_pair[pair]++;
	}
}

static void test_multiqueue_hash(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .flags = VTAP_DEV_PERSIST, .queues = 2,
		       .vnet_hdr_len = 20);
	VTAP_OPTS_INIT(vtap_steer_opts, so, .flags = VTAP_STEER_PIN,
		       .queues = 2);
	VTAP_OPTS_INIT(vtap_steer_rss, r, .hash_types = VTAP_HASH_TYPE_ALL,
		       .key_len = 40, .kind = VTAP_STEER_TABLE_EXPLICIT,
		       .table_len = 8);
	VTAP_OPTS_INIT(vtap_rss_opts, ro, .hash_types = VTAP_HASH_TYPE_ALL,
		       .key = key, .key_len = 40);
	struct vtap_dev_info info;
	unsigned int per[2], tl;
	uint16_t tab[VTAP_RSS_TABLE_MAX];
	struct vtap_steer *st;
	struct vtap_rss *rss;
	struct vtap_dev *dev;
	int pkt;
	char args[64];

	(void)state;
	daemon_stop();
	vtap_steer__unpin(tap);
	vtap_dev__delete(tap);
	/* The operator's preparation: persistent tap, pinned RSS. */
	dev = vtap_dev__open(tap, &o);
	assert_non_null(dev);
	nt_link_cleanup(tap);
	st = vtap_steer__open(tap, &so);
	assert_non_null(st);
	memcpy(r.key, key, 40);
	memcpy(r.table, table, sizeof(table));
	assert_int_equal(vtap_steer__set_rss(st, &r), 0);
	assert_int_equal(
		vtap_steer__attach(st, vtap_queue__fd(vtap_dev__queue(dev, 0))),
		0);
	vtap_steer__close(st);
	vtap_dev__close(dev);

	snprintf(args, sizeof(args), "--tap %s --queues 2", tap);
	daemon_start(args, true);
	link_setup();
	connect_start(base_features | F(57), 2);
	assert_int_equal(fe.hdr_len, 20);
	rss = vtap_rss__new(&ro);
	assert_non_null(rss);
	pkt = pkt_sock(false);

	assert_int_equal(vtap_dev__info(tap, &info), 0);
	assert_int_equal(info.attached_queues, 2);
	table_in_effect(tab, &tl);
	assert_int_equal(tl, 8);
	assert_memory_equal(tab, table, sizeof(table));
	check_flows(pkt, rss, 64, per);
	assert_true(per[0] > 0 && per[1] > 0);

	/* The guest uses one pair: queue 1 detaches, the table follows. */
	assert_int_equal(fe_enable(&fe, 2, false), 0);
	assert_int_equal(fe_enable(&fe, 3, false), 0);
	assert_int_equal(vtap_dev__info(tap, &info), 0);
	assert_int_equal(info.attached_queues, 1);
	table_in_effect(tab, &tl);
	for (unsigned int i = 0; i < tl; i++)
		assert_int_equal(tab[i], 0);
	check_flows(pkt, rss, 16, per);
	assert_int_equal(per[1], 0);

	/* And back. */
	assert_int_equal(fe_enable(&fe, 2, true), 0);
	assert_int_equal(fe_enable(&fe, 3, true), 0);
	assert_int_equal(vtap_dev__info(tap, &info), 0);
	assert_int_equal(info.attached_queues, 2);
	table_in_effect(tab, &tl);
	assert_memory_equal(tab, table, sizeof(table));
	check_flows(pkt, rss, 32, per);
	assert_true(per[0] > 0 && per[1] > 0);
	/* Transmit works on both pairs too. */
	check_tx(1, 0, 100);
	check_tx(0, 2, 100);

	close(pkt);
	vtap_rss__free(rss);
	fe_close(&fe);
	daemon_stop();
	vtap_steer__unpin(tap);
	vtap_dev__delete(tap);
}

/*
 * vtap-vhost over a macvtap (--tap of an existing one; queue pair i is
 * macvtap queue i): the operator's macvtap on a veth with pinned RSS
 * (steered by the tc ingress program); frames sent into the veth's other
 * end arrive on the pair the table chooses, with the reported hash equal
 * to vtap_rss over them.
 */
static void test_macvtap(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .flags = VTAP_DEV_PERSIST, .queues = 2,
		       .vnet_hdr_len = 20, .type = VTAP_DEV_TYPE_MACVTAP,
		       .mode = VTAP_DEV_MODE_BRIDGE, .mac = guest_mac);
	VTAP_OPTS_INIT(vtap_steer_opts, so, .flags = VTAP_STEER_PIN,
		       .queues = 2);
	VTAP_OPTS_INIT(vtap_steer_rss, r, .hash_types = VTAP_HASH_TYPE_ALL,
		       .key_len = 40, .kind = VTAP_STEER_TABLE_EXPLICIT,
		       .table_len = 8);
	VTAP_OPTS_INIT(vtap_rss_opts, ro, .hash_types = VTAP_HASH_TYPE_ALL,
		       .key = key, .key_len = 40);
	struct sockaddr_ll a = {.sll_family = AF_PACKET,
				.sll_protocol = htons(ETH_P_ALL)};
	char saved[sizeof(tap)], lower[16], peer[16], args[64];
	struct vtap_steer *st;
	struct vtap_rss *rss;
	struct vtap_dev *dev;
	unsigned int per[2];
	int pkt;

	(void)state;
	daemon_stop();
	nt_name(lower, sizeof(lower), "vl");
	nt_name(peer, sizeof(peer), "vp");
	assert_int_equal(nt_sh("ip link add %s type veth peer name %s && "
			       "ip link set %s up && ip link set %s up",
			       lower, peer, lower, peer),
			 0);
	nt_link_cleanup(lower);
	memcpy(saved, tap, sizeof(tap));
	nt_name(tap, sizeof(tap), "vm");
	o.link = lower;
	dev = vtap_dev__open(tap, &o);
	assert_non_null(dev);
	nt_link_cleanup(tap);
	assert_int_equal(vtap_dev__set_up(dev, true), 0);
	st = vtap_steer__open(tap, &so);
	assert_non_null(st);
	memcpy(r.key, key, 40);
	memcpy(r.table, table, sizeof(table));
	assert_int_equal(vtap_steer__set_rss(st, &r), 0);
	assert_int_equal(vtap_steer__attach_name(st), 0);
	vtap_steer__close(st);
	vtap_dev__close(dev);

	snprintf(args, sizeof(args), "--tap %s --queues 2", tap);
	daemon_start(args, true);
	connect_start(base_features | F(57), 2);
	assert_int_equal(fe.hdr_len, 20);
	rss = vtap_rss__new(&ro);
	assert_non_null(rss);
	/* Frames for the guest's MAC enter through the lower device. */
	pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(pkt >= 0);
	a.sll_ifindex = (int)if_nametoindex(peer);
	assert_int_equal(bind(pkt, (struct sockaddr *)&a, sizeof(a)), 0);
	check_flows(pkt, rss, 64, per);
	assert_true(per[0] > 0 && per[1] > 0);

	close(pkt);
	vtap_rss__free(rss);
	fe_close(&fe);
	daemon_stop();
	vtap_steer__unpin(tap);
	assert_int_equal(vtap_dev__delete(tap), 0);
	memcpy(tap, saved, sizeof(tap));
	nt_sh("ip link del %s", lower);
}

/* A 64 KiB TSO frame into 2 KiB mergeable buffers, and without TSO. */
static void test_mrg_tso(void **state)
{
	static uint8_t f[12 + 65536], got[80000];
	struct vtap_dev_info info;
	unsigned int nb;
	size_t len;
	int pkt, n;
	uint8_t *vh = f;

	(void)state;
	start_create(1, "");
	connect_start(base_features | F(7) | F(8), 1);
	assert_int_equal(vtap_dev__info(tap, &info), 0);
	assert_true(info.offloads & VTAP_OFFLOAD_TSO4);
	assert_true(info.offloads & VTAP_OFFLOAD_CSUM);

	/* virtio_net_hdr for the packet socket, then the frame. */
	memset(vh, 0, 10);
	vh[0] = VTAP_VNET_F_NEEDS_CSUM;
	vh[1] = VTAP_VNET_GSO_TCPV4;
	vh[2] = 54;
	vh[4] = 1448 & 0xff;
	vh[5] = 1448 >> 8;
	vh[6] = 34;
	vh[8] = 16;
	len = frame4(f + 10, guest_mac, tap_mac, 1, 2, 6, 80, 4000, 65000 - 54,
		     9);
	pkt = pkt_sock(true);
	assert_int_equal(send(pkt, f, 10 + len, 0), (ssize_t)(10 + len));
	n = rx(0, got, sizeof(got), &nb, 3000);
	assert_int_equal(n, (int)(12 + len));
	assert_int_equal(nb, (12 + len + 2047) / 2048);
	assert_int_equal(got[10] | got[11] << 8, nb);
	assert_int_equal(got[1], VTAP_VNET_GSO_TCPV4);
	assert_int_equal(got[4] | got[5] << 8, 1448);
	assert_memory_equal(got + 12, f + 10, len);
	close(pkt);
	fe_close(&fe);

	/* Without GUEST_TSO4 the tap has no TSO: the kernel segments. */
	connect_start(base_features, 1);
	assert_int_equal(vtap_dev__info(tap, &info), 0);
	assert_false(info.offloads & VTAP_OFFLOAD_TSO4);
	pkt = pkt_sock(true);
	assert_int_equal(send(pkt, f, 10 + len, 0), (ssize_t)(10 + len));
	n = rx(0, got, sizeof(got), &nb, 3000);
	assert_int_equal(n, 12 + 14 + 20 + 20 + 1448);
	assert_int_equal(nb, 1);
	assert_int_equal(got[1], VTAP_VNET_GSO_NONE);
	close(pkt);
	fe_close(&fe);
}

static uint64_t err_count(struct fe_vq *vq)
{
	struct pollfd p = {.fd = vq->err, .events = POLLIN};
	uint64_t v = 0;

	if (poll(&p, 1, 2000) > 0 && read(vq->err, &v, 8) != 8)
		v = 0;
	return v;
}

/* The ring stopped: a good frame is not taken; the other pair works. */
static void expect_stopped(unsigned int index, const char *what)
{
	char line[160];
	uint8_t f[128];
	size_t len;

	snprintf(line, sizeof(line), "virtqueue %u (%s of queue pair %u): %s",
		 index, index & 1 ? "tx" : "rx", index / 2, what);
	wait_log(line);
	assert_true(err_count(&fe.vq[index]) >= 1);
	if (index & 1) {
		struct fe_vq *vq = &fe.vq[index];
		uint16_t used = vq->used->idx;

		len = frame4(f, tap_mac, guest_mac, 2, 1, 17, 4000, 5000, 20,
			     1);
		vq->desc[8] =
			(struct vring_desc){fe_gpa(&fe, vq->bufs),
					    (uint32_t)(fe.hdr_len + len), 0, 0};
		memset(vq->bufs, 0, fe.hdr_len);
		memcpy(vq->bufs + fe.hdr_len, f, len);
		fe_make_avail(&fe, index, 8);
		usleep(100000);
		assert_int_equal(vq->used->idx, used);
	}
	check_tx(1, 0, 80);
	assert_int_equal(kill(daemon_pid, 0), 0);
}

/* Ring errors of pair @pair as `vtapctl stats` sees them. */
static struct vtap_ring_errors ring_errors(unsigned int pair)
{
	struct vtap_ring_errors re[4];

	assert_true(vtap_stats__ring_errors(tap, re, 4) > (int)pair);
	return re[pair];
}

static uint64_t sum_errors(const uint64_t *v)
{
	uint64_t n = 0;

	for (int e = 0; e < VTAP_RING_ERR__COUNT; e++)
		n += v[e];
	return n;
}

static void hostile_tx(void (*make)(struct fe_vq *vq), const char *what)
{
	struct vtap_ring_errors re;

	connect_start(base_features, 2);
	/* A new connection: nothing counted yet. */
	re = ring_errors(0);
	assert_int_equal(sum_errors(re.tx) + sum_errors(re.rx), 0);
	make(&fe.vq[1]);
	fe_make_avail(&fe, 1, 0);
	expect_stopped(1, what);
	re = ring_errors(0);
	assert_int_equal(sum_errors(re.tx), 1);
	assert_int_equal(re.stopped, 2);
	/* The driver resets the ring: it works again. */
	assert_int_equal(fe_restart_vq(&fe, 1), 0);
	re = ring_errors(0);
	assert_int_equal(sum_errors(re.tx), 1);
	assert_int_equal(re.stopped, 0);
	check_tx(0, 0, 90);
	fe_close(&fe);
}

static void mk_outside(struct fe_vq *vq)
{
	vq->desc[0] =
		(struct vring_desc){FE_GPA_BASE + FE_MEM_SIZE - 16, 100, 0, 0};
}

static void mk_below(struct fe_vq *vq)
{
	vq->desc[0] = (struct vring_desc){0x1000, 100, 0, 0};
}

static void mk_loop(struct fe_vq *vq)
{
	vq->desc[0] = (struct vring_desc){fe_gpa(&fe, vq->bufs), 64,
					  VRING_DESC_F_NEXT, 1};
	vq->desc[1] = (struct vring_desc){fe_gpa(&fe, vq->bufs), 64,
					  VRING_DESC_F_NEXT, 0};
}

static void mk_long(struct fe_vq *vq)
{
	for (unsigned int i = 0; i < vq->num; i++)
		vq->desc[i] = (struct vring_desc){
			fe_gpa(&fe, vq->bufs), 16, VRING_DESC_F_NEXT,
			(uint16_t)((i + 1) % vq->num)};
}

static void mk_ind_len(struct fe_vq *vq)
{
	struct vring_desc *t = fe_alloc(&fe, 64, 16);

	vq->desc[0] = (struct vring_desc){fe_gpa(&fe, t), 24,
					  VRING_DESC_F_INDIRECT, 0};
}

static void mk_ind_outside(struct fe_vq *vq)
{
	vq->desc[0] = (struct vring_desc){FE_GPA_BASE + FE_MEM_SIZE - 32, 64,
					  VRING_DESC_F_INDIRECT, 0};
}

static void mk_ind_nested(struct fe_vq *vq)
{
	struct vring_desc *t = fe_alloc(&fe, 32, 16);

	t[0] = (struct vring_desc){fe_gpa(&fe, t), 32, VRING_DESC_F_INDIRECT,
				   0};
	vq->desc[0] = (struct vring_desc){fe_gpa(&fe, t), 32,
					  VRING_DESC_F_INDIRECT, 0};
}

static void mk_ind_loop(struct fe_vq *vq)
{
	struct vring_desc *t = fe_alloc(&fe, 32, 16);

	t[0] = (struct vring_desc){fe_gpa(&fe, vq->bufs), 64, VRING_DESC_F_NEXT,
				   1};
	t[1] = (struct vring_desc){fe_gpa(&fe, vq->bufs), 64, VRING_DESC_F_NEXT,
				   0};
	vq->desc[0] = (struct vring_desc){fe_gpa(&fe, t), 32,
					  VRING_DESC_F_INDIRECT, 0};
}

static void mk_writable(struct fe_vq *vq)
{
	vq->desc[0] = (struct vring_desc){fe_gpa(&fe, vq->bufs), 100,
					  VRING_DESC_F_WRITE, 0};
}

static void test_hostile(void **state)
{
	(void)state;
	start_create(2, "");
	hostile_tx(mk_outside, "buffer outside guest memory");
	hostile_tx(mk_below, "buffer outside guest memory");
	hostile_tx(mk_loop, "descriptor chain loops");
	hostile_tx(mk_long, "descriptor chain loops");
	hostile_tx(mk_ind_len, "bad indirect descriptor table");
	hostile_tx(mk_ind_outside, "bad indirect descriptor table");
	hostile_tx(mk_ind_nested, "bad indirect descriptor table");
	hostile_tx(mk_ind_loop, "descriptor chain loops");
	hostile_tx(mk_writable, "descriptor of the wrong direction");

	/* A readable buffer on the receive ring. */
	connect_only(base_features, 2);
	fe_rx_post(&fe, 1, 256);
	{
		struct fe_vq *vq = &fe.vq[0];
		uint8_t f[128];
		size_t len =
			frame4(f, guest_mac, tap_mac, 1, 2, 0x88, 1, 1, 20, 3);
		int pkt = pkt_sock(false);

		/* A device-readable buffer where writable ones belong. */
		vq->desc[0] = (struct vring_desc){fe_gpa(&fe, vq->bufs),
						  vq->buf_size, 0, 0};
		fe_make_avail(&fe, 0, 0);
		/* Several flows: RSS sends some of them to pair 0. */
		for (uint8_t h = 1; h <= 16; h++) {
			len = frame4(f, guest_mac, tap_mac, h, 2, 0x88, 1, 1,
				     20, 3);
			assert_int_equal(send(pkt, f, len, 0), (ssize_t)len);
		}
		close(pkt);
		expect_stopped(0, "descriptor of the wrong direction");
	}
	fe_close(&fe);

	/* A region larger than its memory file is refused, not mapped. */
	connect_start(base_features, 1);
	{
		uint8_t mem[8 + 32] = {1};
		uint64_t v, ack = 0;

		v = FE_GPA_BASE;
		memcpy(mem + 8, &v, 8);
		v = 2ull * FE_MEM_SIZE;
		memcpy(mem + 16, &v, 8);
		v = (uintptr_t)fe.mem;
		memcpy(mem + 24, &v, 8);
		assert_int_equal(fe_msg(&fe, VU_SET_MEM_TABLE,
					VU_FLAG_NEED_REPLY, mem, sizeof(mem),
					&fe.memfd, 1, false, &ack),
				 0);
		assert_int_equal(ack, 1);
		wait_log("its file has");
		assert_int_equal(kill(daemon_pid, 0), 0);
	}
	fe_close(&fe);

	/* An available index past the queue size. */
	connect_start(base_features, 2);
	{
		struct fe_vq *vq = &fe.vq[1];

		vq->avail->idx = (uint16_t)(vq->num + 5);
		fe_kick(&fe, 1);
		expect_stopped(1, "available index runs ahead");
	}
	fe_close(&fe);
}

/* Wait until @n tap queues are attached. */
static void wait_attached(unsigned int n)
{
	struct vtap_dev_info info = {0};

	for (uint64_t end = nt_now_ms() + 5000; nt_now_ms() < end;) {
		assert_int_equal(vtap_dev__info(tap, &info), 0);
		if (info.attached_queues == n)
			break;
		usleep(20000);
	}
	assert_int_equal(info.attached_queues, n);
}

/* Errors signalled on @vq's error eventfd so far (0 at once if none). */
static uint64_t err_now(struct fe_vq *vq)
{
	uint64_t v = 0;

	if (read(vq->err, &v, 8) != 8)
		v = 0;
	return v;
}

/*
 * The frontend shrinks the memory file behind pair 1's rings to 0 under
 * live rings (QEMU's memory-backend-file and DPDK cannot seal it): a ring
 * (re)started by the main thread and a ring kicked into a worker each
 * fault, are stopped with a log line and counted; the daemon, its tap and
 * pair 0 go on, SIGUSR1 still dumps every ring, and the next connection
 * gets both pairs back.
 *
 * Counting is exact, one per stop: ring 3 is live from the truncate until
 * the daemon handles GET_VRING_BASE, and its worker may read it in that
 * window (a kick of check_tx() still pending after the worker took its
 * frame in the pass that follows every message; the pass after ring 2's
 * fault), fault and stop it: counted, its error eventfd signalled before
 * the GET_VRING_BASE reply (the main thread parks the worker first). So
 * the test reads that eventfd after the reply (0 or 1 faults) and expects
 * exactly one more from setting the ring up again, and none from
 * messages that do not reset a stopped ring (docs/vhost.md).
 */
static void test_shrink(void **state)
{
	struct vu_vring_state st = {3, 0}, en = {3, 1};
	uint64_t v, ack = 1, early;

	(void)state;
	start_create(2, "");
	fe_close(&fe);
	assert_int_equal(fe_connect(&fe, sock_path), 0);
	fe.region2_from = 1;
	assert_int_equal(fe_start(&fe, base_features, 2, 256), 0);
	fe_rx_post(&fe, 0, 256);
	fe_rx_post(&fe, 1, 256);
	check_tx(1, 0, 100);
	check_tx(0, 0, 100);
	wait_attached(2);

	assert_int_equal(ftruncate(fe.memfd2, 0), 0);
	/* The main thread: a stopped ring set up again reads its used index. */
	assert_int_equal(
		fe_msg(&fe, VU_GET_VRING_BASE, 0, &st, 8, NULL, 0, true, &v),
		0);
	early = err_now(&fe.vq[3]);
	assert_in_range(early, 0, 1);
	v = 3;
	assert_int_equal(fe_msg(&fe, VU_SET_VRING_KICK, VU_FLAG_NEED_REPLY, &v,
				8, &fe.vq[3].kick, 1, false, &ack),
			 0);
	assert_int_equal(err_now(&fe.vq[3]), 1);
	wait_log("virtqueue 3 (tx of queue pair 1): guest memory faulted");
	/* Stopped: a message that does not reset it does not read it. */
	assert_int_equal(fe_msg(&fe, VU_SET_VRING_ENABLE, VU_FLAG_NEED_REPLY,
				&en, 8, NULL, 0, false, &ack),
			 0);
	assert_int_equal(ack, 0);
	assert_int_equal(err_now(&fe.vq[3]), 0);
	/* A worker: the receive ring is kicked. */
	fe_kick(&fe, 2);
	wait_log("virtqueue 2 (rx of queue pair 1): guest memory faulted");
	assert_int_equal(err_count(&fe.vq[2]), 1);
	/* Its tap queue goes: what the kernel steers reaches pair 0. */
	wait_attached(1);
	{
		struct vtap_ring_errors re = ring_errors(1);
		int tx_faults = (int)early + 1;

		assert_int_equal(re.tx[VTAP_RING_ERR_FAULT], tx_faults);
		assert_int_equal(re.rx[VTAP_RING_ERR_FAULT], 1);
		assert_int_equal(re.stopped, 3);
		re = ring_errors(0);
		assert_int_equal(sum_errors(re.tx) + sum_errors(re.rx), 0);
		assert_int_equal(re.stopped, 0);
		assert_int_equal(
			nt_sh("%s stats dev %s | grep -q 'guest errors: tx "
			      "ring stopped: fault %d'",
			      vtapctl_bin, tap, tx_faults),
			0);
		assert_int_equal(
			nt_sh("%s -j stats dev %s | python3 -c 'import json,"
			      "sys; q = json.load(sys.stdin)[0][\"stats\"][1]"
			      "[\"guest_errors\"]; sys.exit(not (q[\"rx_"
			      "stopped\"] and q[\"tx\"][\"fault\"] == %d))'",
			      vtapctl_bin, tap, tx_faults),
			0);
	}
	kill(daemon_pid, SIGUSR1);
	wait_log("virtqueue 3: size 256 started enabled broken");
	assert_int_equal(kill(daemon_pid, 0), 0);
	for (int i = 0; i < 3; i++) {
		check_tx(0, i, 200);
		check_rx_udp(0, 200 + (size_t)i);
	}
	fe_close(&fe);

	/* The next frontend gets both pairs, and a clean count. */
	connect_start(base_features, 2);
	wait_attached(2);
	{
		struct vtap_ring_errors re = ring_errors(1);

		assert_int_equal(sum_errors(re.tx) + sum_errors(re.rx), 0);
		assert_int_equal(re.stopped, 0);
	}
	check_tx(1, 1, 300);
	check_rx_udp(0, 300);
	fe_close(&fe);
	assert_int_equal(kill(daemon_pid, 0), 0);
	daemon_stop();
}

/*
 * The frontend shrinks the file behind pair 1's buffers only (its rings
 * stay in the first region): the kernel's writev()/readv() on them fail
 * with EFAULT, not SIGBUS. The daemon then touches the buffers itself,
 * faults, and stops the ring as for a fault of its own (not a drop
 * counted as too big or I/O): a transmit chain whose header is there but
 * not the rest of its frame, then the receive buffers.
 */
static void test_shrink_buffers(void **state)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct vtap_queue_stats qs[4];
	static uint8_t f[12000];
	struct vtap_ring_errors re;
	size_t len, cut;
	int head, s;

	(void)state;
	start_create(2, "");
	fe_close(&fe);
	assert_int_equal(fe_connect(&fe, sock_path), 0);
	fe.region2_from = 1;
	fe.region2_bufs = true;
	assert_int_equal(fe_start(&fe, base_features, 2, 256), 0);
	fe_rx_post(&fe, 0, 256);
	fe_rx_post(&fe, 1, 256);
	check_tx(1, 0, 100);
	wait_attached(2);

	/* Past VH_GRO_FRAME: written from the guest's buffers (writev). */
	len = frame4(f, tap_mac, guest_mac, 2, 1, 17, 4000, 5000,
		     sizeof(f) - 42, 9);
	fe.hold_kick = true;
	head = fe_tx(&fe, 1, NULL, f, len, 1);
	fe.hold_kick = false;
	assert_true(head >= 0);
	/* The header and the frame's first 512 bytes stay; the rest goes. */
	cut = (size_t)(fe.vq[3].bufs - fe.mem2) +
	      (size_t)head * fe.vq[3].buf_size + fe.hdr_len + 512;
	cut = (cut + 4095) & ~(size_t)4095;
	assert_true(cut < (size_t)(fe.vq[3].bufs - fe.mem2) +
				  (size_t)head * fe.vq[3].buf_size + len);
	assert_int_equal(ftruncate(fe.memfd2, (off_t)cut), 0);
	fe_kick(&fe, 3);
	wait_log("virtqueue 3 (tx of queue pair 1): guest memory faulted");
	assert_int_equal(err_count(&fe.vq[3]), 1);

	/* The receive buffers go too: 64 flows, some steered to queue 1. */
	assert_int_equal(ftruncate(fe.memfd2, 0), 0);
	s = udp_sock(5001);
	to.sin_addr.s_addr = htonl(10u << 24 | NET << 16 | 2);
	for (int i = 0; i < 64; i++) {
		to.sin_port = htons((uint16_t)(4000 + i));
		assert_int_equal(sendto(s, f, 100, 0, (struct sockaddr *)&to,
					sizeof(to)),
				 100);
	}
	close(s);
	wait_log("virtqueue 2 (rx of queue pair 1): guest memory faulted");
	assert_int_equal(err_count(&fe.vq[2]), 1);
	wait_attached(1);
	re = ring_errors(1);
	assert_int_equal(re.tx[VTAP_RING_ERR_FAULT], 1);
	assert_int_equal(re.rx[VTAP_RING_ERR_FAULT], 1);
	assert_int_equal(sum_errors(re.tx) + sum_errors(re.rx), 2);
	assert_int_equal(re.stopped, 3);
	assert_true(vtap_stats__read(tap, qs, 4) >= 2);
	assert_int_equal(qs[1].rx_drops[VTAP_DROP_TOO_BIG], 0);
	assert_int_equal(qs[1].tx_drops[VTAP_DROP_IO], 0);
	/* The daemon and pair 0 go on. */
	check_tx(0, 0, 100);
	assert_int_equal(kill(daemon_pid, 0), 0);
	fe_close(&fe);
	daemon_stop();
}

/* Whether the tap's stats/ directory holds a file stats.@pid.N. */
static bool stats_files_of(const char *dir, pid_t pid)
{
	char path[300], pre[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/stats", dir);
	snprintf(pre, sizeof(pre), "stats.%d.", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d)))
		found |= !strncmp(de->d_name, pre, strlen(pre));
	if (d)
		closedir(d);
	return found;
}

static void daemon_kill9(void)
{
	kill(daemon_pid, SIGKILL);
	nt_wait(daemon_pid);
	daemon_pid = -1;
	/* Its socket stays: the next start must not take it for its own. */
	unlink(sock_path);
}

/*
 * A daemon killed (SIGKILL: nothing of it runs) leaves its stats file;
 * the next instance removes it. For a tap it created, the tap goes with
 * it, and the run state of the link that is gone goes at the next root
 * vtapctl run (vtap_gc()).
 */
static void test_stale_state(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .flags = VTAP_DEV_PERSIST, .queues = 2,
		       .vnet_hdr_len = 20);
	char args[64], dir[256], old_dir[256];
	struct vtap_dev_info info;
	struct vtap_dev *dev;
	struct stat st;
	pid_t dead;

	(void)state;
	daemon_stop();
	vtap_steer__unpin(tap);
	vtap_dev__delete(tap);
	dev = vtap_dev__open(tap, &o);
	assert_non_null(dev);
	vtap_dev__close(dev);
	snprintf(args, sizeof(args), "--tap %s --queues 2", tap);
	daemon_start(args, true);
	assert_int_equal(vtap_dev__info(tap, &info), 0);
	assert_int_equal(vtap_rundir_path(info.ifindex, dir, sizeof(dir)), 0);
	dead = daemon_pid;
	assert_true(stats_files_of(dir, dead));
	daemon_kill9();
	assert_true(stats_files_of(dir, dead));
	daemon_start(args, true);
	assert_false(stats_files_of(dir, dead));
	assert_true(stats_files_of(dir, daemon_pid));
	daemon_stop();
	vtap_steer__unpin(tap);
	vtap_dev__delete(tap);

	/* A tap of its own: gone with it; its run state goes next time. */
	start_create(1, "");
	assert_int_equal(vtap_dev__info(tap, &info), 0);
	assert_int_equal(
		vtap_rundir_path(info.ifindex, old_dir, sizeof(old_dir)), 0);
	assert_true(stats_files_of(old_dir, daemon_pid));
	daemon_kill9();
	assert_int_equal(stat(old_dir, &st), 0);
	start_create(1, "");
	/* A link gone: its state is vtap_gc()'s, run by every root vtapctl. */
	assert_int_equal(nt_sh("%s dev show >/dev/null", vtapctl_bin), 0);
	assert_int_equal(stat(old_dir, &st), -1);
	daemon_stop();
}

/* The daemon's CPU time (user + system) in clock ticks. */
static unsigned long long cpu_ticks(pid_t pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* Fields after the command: state is 3, utime 14, stime 15. */
	p = strrchr(buf, ')');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
				"%llu %llu",
				&ut, &st),
			 2);
	return ut + st;
}

/* SET_VRING_KICK of @index in polling mode (no fd); the ack. */
static uint64_t kick_nofd(unsigned int index)
{
	uint64_t v = index | VU_VRING_NOFD, ack = 99;

	assert_int_equal(fe_msg(&fe, VU_SET_VRING_KICK, VU_FLAG_NEED_REPLY, &v,
				8, NULL, 0, false, &ack),
			 0);
	return ack;
}

/*
 * A frontend asks for polling mode (SET_VRING_KICK without an eventfd) on
 * every ring: refused without --allow-polling, and the daemon's CPU time
 * over 5 s stays below a tenth of a core (a functional bound on a busy
 * loop: a polling worker takes a whole core). With --allow-polling the
 * polled rings move frames without kicks, and an idle guest costs well
 * below half a core (the workers back off to 1 ms).
 */
static void test_polling(void **state)
{
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long t0, t1;

	(void)state;
	start_create(2, "");
	connect_start(base_features, 2);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(kick_nofd(i), 1);
	wait_log("without a kick eventfd (polling mode) refused");
	t0 = cpu_ticks(daemon_pid);
	sleep(5);
	t1 = cpu_ticks(daemon_pid);
	fprintf(stderr, "polling refused: %llu ticks of CPU in 5 s (%ld/s)\n",
		t1 - t0, hz);
	assert_true((t1 - t0) * 10 < 5ull * (unsigned long long)hz);
	/* The rings keep their eventfds and work. */
	check_tx(1, 0, 100);
	fe_close(&fe);

	start_create(2, "--allow-polling");
	connect_start(base_features, 2);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(kick_nofd(i), 0);
	/* Frames move without a kick the daemon listens to. */
	check_tx(1, 1, 300);
	check_tx(0, 2, 300);
	check_rx_udp(0, 100);
	t0 = cpu_ticks(daemon_pid);
	sleep(5);
	t1 = cpu_ticks(daemon_pid);
	fprintf(stderr, "polling allowed, idle: %llu ticks in 5 s (%ld/s)\n",
		t1 - t0, hz);
	assert_true((t1 - t0) * 2 < 5ull * (unsigned long long)hz);
	fe_close(&fe);
	daemon_stop();
}

/* Raw bytes on a fresh connection, then close it. */
static void send_raw_close(const void *buf, size_t len, const int *fds,
			   unsigned int nfds)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	fe_close(&fe);
	assert_int_equal(fe_connect(&fe, sock_path), 0);
	if (nfds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	assert_int_equal(sendmsg(fe.sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
	fe_close(&fe);
}

/*
 * Frontends that go away in the middle of a message (a short header, a
 * header without its payload, a memory table with its fd but half its
 * regions), and one that stalls mid-message: each connection ends, and
 * the daemon serves the next frontend fully.
 */
static void test_midmessage(void **state)
{
	uint8_t m[12 + 40] = {0};
	uint32_t req = VU_SET_MEM_TABLE, flags = VU_FLAG_VERSION, size = 40;
	int memfd = memfd_create("vtap-test", MFD_CLOEXEC);

	(void)state;
	assert_true(memfd >= 0);
	start_create(2, "");
	memcpy(m, &req, 4);
	memcpy(m + 4, &flags, 4);
	memcpy(m + 8, &size, 4);
	send_raw_close(m, 6, NULL, 0);
	send_raw_close(m, 12, NULL, 0);
	send_raw_close(m, 12 + 17, &memfd, 1);
	/* Stalled after half a header: the daemon gives up after 2 s. */
	fe_close(&fe);
	assert_int_equal(fe_connect(&fe, sock_path), 0);
	assert_int_equal(send(fe.sock, m, 7, MSG_NOSIGNAL), 7);
	wait_log("reading a message");
	fe_close(&fe);
	close(memfd);
	assert_int_equal(kill(daemon_pid, 0), 0);
	connect_start(base_features, 2);
	check_tx(1, 1, 200);
	check_tx(0, 0, 200);
	check_rx_udp(0, 200);
	fe_close(&fe);
	daemon_stop();
}

/* A queue of the tap opened without libvtap (raw TUNSETIFF), as a VMM. */
static int raw_queue(void)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct ifreq ifr = {0};
	int hdr = 12;

	assert_true(fd >= 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETVNETHDRSZ, &hdr), 0);
	return fd;
}

/*
 * The intent and effect of the tap's pinned RSS: queues_now and whether
 * the table in effect is the intent's.
 */
static unsigned int queues_now(bool *ret_same)
{
	VTAP_OPTS_INIT(vtap_steer_opts, so,
		       .flags = VTAP_STEER_PIN | VTAP_STEER_NO_CREATE);
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	struct vtap_steer *st = vtap_steer__open(tap, &so);
	unsigned int n;

	assert_non_null(st);
	assert_int_equal(vtap_steer__rss(st, &r), 0);
	n = r.queues_now;
	*ret_same = r.table_len == r.intent_table_len &&
		    !memcmp(r.table, r.intent_table,
			    r.table_len * sizeof(r.table[0]));
	vtap_steer__close(st);
	return n;
}

/*
 * A plain two-queue reader (no libvtap) gets 64 flows: each on the queue
 * the C twin predicts, and both queues some (weight 5,2).
 */
static void plain_reader_check(void)
{
	VTAP_OPTS_INIT(vtap_steer_opts, so,
		       .flags = VTAP_STEER_PIN | VTAP_STEER_NO_CREATE);
	struct vtap_steer *st;
	unsigned int per[2] = {0, 0};
	int q[2], pkt;

	q[0] = raw_queue();
	q[1] = raw_queue();
	st = vtap_steer__open(tap, &so);
	assert_non_null(st);
	pkt = pkt_sock(false);
	for (unsigned int i = 0; i < 64; i++) {
		struct vtap_steer_prediction pr;
		uint8_t f[256], got[512];
		size_t len = frame4(f, guest_mac, tap_mac, 1, 2, 17,
				    (uint16_t)(2000 + i), 7, 32, (uint8_t)i);
		int n = -1, which = -1;

		assert_int_equal(vtap_steer__predict(st, f, len, &pr), 0);
		assert_int_equal(send(pkt, f, len, 0), (ssize_t)len);
		for (uint64_t end = nt_now_ms() + 3000;
		     which < 0 && nt_now_ms() < end;) {
			for (int k = 0; k < 2 && which < 0; k++) {
				n = (int)read(q[k], got, sizeof(got));
				/* Only our frame: 12-byte header, then it. */
				if (n == (int)(12 + len) &&
				    !memcmp(got + 12, f, len))
					which = k;
			}
			if (which < 0)
				usleep(1000);
		}
		assert_true(which >= 0);
		if ((unsigned int)which != pr.value % 2)
			fail_msg("flow %u: queue %d, the twin says %u", i,
				 which, pr.value % 2);
		per[which]++;
	}
	fprintf(stderr, "plain reader: %u/%u frames on queues 0/1\n", per[0],
		per[1]);
	assert_true(per[0] > 0 && per[1] > 0);
	close(pkt);
	vtap_steer__close(st);
	close(q[0]);
	close(q[1]);
}

/*
 * The intended queue count outlives every opener: vtap-vhost on a
 * persistent 2-queue tap with `weight 5,2` waits for a guest (queue 1
 * detached, the table in effect built for 1 queue, the intent shown
 * apart); when it exits the table goes back to the intent over 2 queues,
 * and a plain 2-queue reader gets frames on both queues as the twin
 * predicts. Killed instead (nothing of it runs), the table stays built for
 * one queue until the next `rss set`, which rebuilds it for the intended
 * count because no queue is attached.
 */
static void test_exit_restores(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .flags = VTAP_DEV_PERSIST, .queues = 2,
		       .vnet_hdr_len = 12);
	VTAP_OPTS_INIT(vtap_steer_opts, so, .flags = VTAP_STEER_PIN,
		       .queues = 2);
	VTAP_OPTS_INIT(vtap_steer_rss, r, .hash_types = VTAP_HASH_TYPE_ALL,
		       .kind = VTAP_STEER_TABLE_WEIGHT, .n_weights = 2);
	struct vtap_steer *st;
	struct vtap_dev *dev;
	char args[64];
	bool same;

	(void)state;
	daemon_stop();
	vtap_steer__unpin(tap);
	vtap_dev__delete(tap);
	dev = vtap_dev__open(tap, &o);
	assert_non_null(dev);
	st = vtap_steer__open(tap, &so);
	assert_non_null(st);
	r.weights[0] = 5;
	r.weights[1] = 2;
	assert_int_equal(vtap_steer__set_rss(st, &r), 0);
	assert_int_equal(
		vtap_steer__attach(st, vtap_queue__fd(vtap_dev__queue(dev, 0))),
		0);
	vtap_steer__close(st);
	vtap_dev__close(dev);
	assert_int_equal(nt_sh("ip link set %s up", tap), 0);
	assert_int_equal(queues_now(&same), 2);
	assert_true(same);

	snprintf(args, sizeof(args), "--tap %s --queues 2", tap);
	for (int round = 0; round < 2; round++) {
		daemon_start(args, true);
		wait_attached(1);
		assert_int_equal(queues_now(&same), 1);
		assert_false(same);
		assert_int_equal(
			nt_sh("%s rss show dev %s | grep -qx 'table: weight "
			      "5,2 over 2 queues' && %s rss show dev %s | "
			      "grep -qx 'table in effect for the 1 queue "
			      "attached now:'",
			      vtapctl_bin, tap, vtapctl_bin, tap),
			0);
		if (round == 0) {
			daemon_stop();
		} else {
			daemon_kill9();
			assert_int_equal(queues_now(&same), 1);
			/* No queue attached: rebuilt for the intent. */
			assert_int_equal(
				nt_sh("%s rss set dev %s table weight 5,2",
				      vtapctl_bin, tap),
				0);
		}
		wait_attached(0);
		assert_int_equal(queues_now(&same), 2);
		assert_true(same);
		plain_reader_check();
	}
	vtap_steer__unpin(tap);
	vtap_dev__delete(tap);
}

/* Hostile vnet headers: counted drops; the ring keeps working. */
static void test_hostile_headers(void **state)
{
	struct vtap_queue_stats qs[4];
	uint8_t f[256], h[12];
	size_t len;
	int n;

	(void)state;
	start_create(1, "");
	connect_start(base_features, 1);
	len = frame4(f, tap_mac, guest_mac, 2, 1, 6, 4000, 5000, 100, 5);

	memset(h, 0, sizeof(h));
	h[1] = VTAP_VNET_GSO_TCPV4; /* gso_size 0 */
	assert_true(fe_tx(&fe, 0, h, f, len, 0) >= 0);
	memset(h, 0, sizeof(h));
	h[0] = VTAP_VNET_F_NEEDS_CSUM;
	h[6] = 0xd0; /* csum_start 2000, past the frame */
	h[7] = 0x07;
	h[8] = 16;
	assert_true(fe_tx(&fe, 0, h, f, len, 1) >= 0);
	memset(h, 0, sizeof(h));
	h[1] = VTAP_VNET_GSO_TCPV4;
	h[4] = 0xff; /* gso_size 0xffff: GSO_BY_FRAGS */
	h[5] = 0xff;
	assert_true(fe_tx(&fe, 0, h, f, len, 2) >= 0);
	assert_int_equal(fe_tx_wait(&fe, 0, 3000), 0);
	check_tx(0, 0, 60);

	n = vtap_stats__read(tap, qs, 4);
	assert_true(n >= 1);
	assert_int_equal(qs[0].tx_drops[VTAP_DROP_GSO_SIZE], 2);
	assert_int_equal(qs[0].tx_drops[VTAP_DROP_CSUM], 1);
	assert_true(qs[0].tx_packets >= 1);
	assert_int_equal(kill(daemon_pid, 0), 0);
	fe_close(&fe);
}

/*
 * A HOST_USO frame on a kernel without tap USO (Linux 6.1): segmented in
 * software by libvtap, as the daemon would learn on the first refusal.
 */
static void test_sw_offloads(void **state)
{
	struct vtap_queue_stats qs[2];

	(void)state;
	daemon_env = "VTAP_VHOST_SW_OFFLOADS=uso";
	start_create(1, "");
	daemon_env = "";
	connect_start(base_features, 1);
	check_tx_uso();
	check_tx(0, 1, 300);
	assert_true(vtap_stats__read(tap, qs, 2) >= 1);
	assert_int_equal(qs[0].sw_gso_frames, 1);
	assert_int_equal(qs[0].sw_gso_segments, 3);
	fe_close(&fe);
	daemon_stop();
}

/*
 * Send @nseg MSS-sized (1000-byte) TCP segments of one flow in one
 * transmit batch (published, then one kick), or with @split in two (a
 * kick after segment @split, waiting until the ring gave every chain
 * back); read what enters the tap's stack with a packet socket, in order.
 * Return: frames of the flow seen; *@gso the gso_size of the last,
 * *@bytes the TCP payload bytes of all.
 */
static int tx_segments(unsigned int nseg, unsigned int split, unsigned int *gso,
		       size_t *bytes)
{
	static uint8_t f[2048], got[70000], data[64 * 1000];
	uint8_t hdr[20] = {0};
	int pkt = pkt_sock(true), frames = 0;
	size_t len = 0;

	assert_true(nseg <= 64);

	/* NEEDS_CSUM, csum_start 34, csum_offset 16: a guest with CSUM. */
	hdr[0] = VTAP_VNET_F_NEEDS_CSUM;
	hdr[6] = 34;
	hdr[8] = 16;
	fe.hold_kick = true;
	for (unsigned int i = 0; i < nseg; i++) {
		uint32_t seq = 1000 + i * 1000;

		len = frame4(f, tap_mac, guest_mac, 2, 1, 6, 4000, 5000, 1000,
			     (uint8_t)i);
		put16(f + 18, (uint16_t)(77 + i)); /* IPv4 ID + 1 each */
		put16(f + 24, 0);
		put16(f + 24, ip_csum(f + 14, 20));
		put16(f + 38, (uint16_t)(seq >> 16));
		put16(f + 40, (uint16_t)seq);
		f[47] = 0x10; /* ACK */
		put16(f + 48, 512); /* window */
		memcpy(data + i * 1000, f + 54, 1000);
		assert_true(fe_tx(&fe, 0, hdr, f, len, i & 1) >= 0);
		if (i + 1 == split) {
			fe_kick(&fe, 1);
			assert_int_equal(fe_tx_wait(&fe, 0, 3000), 0);
		}
	}
	fe.hold_kick = false;
	fe_kick(&fe, 1);
	assert_int_equal(fe_tx_wait(&fe, 0, 3000), 0);
	*bytes = 0;
	for (;;) {
		struct pollfd pf = {.fd = pkt, .events = POLLIN};
		uint32_t seq;
		ssize_t n;

		if (poll(&pf, 1, 1000) <= 0)
			break;
		n = recv(pkt, got, sizeof(got), 0);
		if (n < 10 + 54 || got[10 + 23] != 6 ||
		    got[10 + 34] != 4000 >> 8 || got[10 + 35] != (4000 & 0xff))
			continue;
		/* In order: each frame's data follows the one before. */
		seq = (uint32_t)got[10 + 38] << 24 | got[10 + 39] << 16 |
		      got[10 + 40] << 8 | got[10 + 41];
		assert_int_equal(seq, 1000 + *bytes);
		assert_memory_equal(got + 10 + 54, data + *bytes,
				    (size_t)n - 10 - 54);
		frames++;
		*gso = got[1] == VTAP_VNET_GSO_TCPV4
			       ? (unsigned int)(got[4] | got[5] << 8)
			       : 0;
		*bytes += (size_t)n - 10 - 54;
		if (*bytes >= (size_t)nseg * 1000)
			break;
	}
	close(pkt);
	return frames;
}

/*
 * Coalescing on transmit: 8 segments of one flow, in one batch, enter the
 * tap as one TCPV4 GSO frame (gso_size 1000, 8000 bytes), split over two
 * kicks as two; with --coalesce off as 8 frames. Half of them come in
 * chained descriptors. The data arrives in order, byte for byte.
 */
static void test_tx_coalesce(void **state)
{
	unsigned int gso = 0;
	size_t bytes = 0;

	(void)state;
	start_create(1, "");
	connect_start(base_features, 1);
	assert_int_equal(tx_segments(8, 0, &gso, &bytes), 1);
	assert_int_equal(gso, 1000);
	assert_int_equal(bytes, 8000);
	/* Split over two kicks: one frame per transmit batch. */
	assert_int_equal(tx_segments(8, 5, &gso, &bytes), 2);
	assert_int_equal(gso, 1000);
	assert_int_equal(bytes, 8000);
	fe_close(&fe);
	daemon_stop();

	start_create(1, "--coalesce off");
	connect_start(base_features, 1);
	assert_int_equal(tx_segments(8, 0, &gso, &bytes), 8);
	assert_int_equal(gso, 0);
	assert_int_equal(bytes, 8000);
	assert_int_equal(tx_segments(8, 5, &gso, &bytes), 8);
	fe_close(&fe);
	daemon_stop();
}

/* ---- UDP coalescing on transmit --------------------------------------- */

/* One datagram from the guest: its flow (source port) and payload size. */
struct dgram {
	uint16_t sport;
	uint16_t size;
};

#define DGRAMS_MAX 128
#define DGRAM_PORT 5010

/*
 * An IPv4 UDP datagram from the guest to port DGRAM_PORT with IPv4 ID
 * @id and a full UDP checksum; with @seed_only the checksum field holds
 * the pseudo-header sum instead, as a guest with CSUM leaves it.
 */
static size_t frame4_dgram(uint8_t *f, const struct dgram *d, uint16_t id,
			   uint8_t seed, bool seed_only)
{
	size_t len = frame4(f, tap_mac, guest_mac, 2, 1, 17, d->sport,
			    DGRAM_PORT, d->size, seed);
	uint32_t s = 17 + 8u + d->size;

	put16(f + 18, id);
	put16(f + 24, 0);
	put16(f + 24, ip_csum(f + 14, 20));
	for (int i = 26; i < 34; i += 2)
		s += (uint32_t)f[i] << 8 | f[i + 1];
	if (seed_only) {
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		put16(f + 40, (uint16_t)s);
		return len;
	}
	for (size_t i = 34; i + 1 < len; i += 2)
		s += (uint32_t)f[i] << 8 | f[i + 1];
	if (len & 1)
		s += (uint32_t)f[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(f + 40, (uint16_t)(s == 0xffff ? 0xffff : ~s));
	return len;
}

/*
 * Send the @n datagrams @d from the guest, kicking after datagram @split
 * (0: none) and waiting until the ring gave every chain back (so the first
 * part is one transmit batch and the rest another), then once at the end.
 * A socket in the namespace receives every datagram intact, in order per
 * flow, and nothing else. *@ret: the tap queue's counters grown meanwhile.
 */
static void tx_dgrams(const struct dgram *d, unsigned int n, unsigned int split,
		      bool needs_csum, struct vtap_queue_stats *ret)
{
	static uint8_t f[DGRAMS_MAX][1600];
	static uint16_t ids[65536];
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(DGRAM_PORT)};
	struct vtap_queue_stats before[2], after[2];
	bool seen[DGRAMS_MAX] = {0};
	uint8_t hdr[20] = {0}, got[2048];
	int rcvbuf = 8 << 20, s;

	assert_true(n <= DGRAMS_MAX);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				    sizeof(rcvbuf)),
			 0);
	a.sin_addr.s_addr = htonl(10u << 24 | NET << 16 | 1);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	if (needs_csum) {
		hdr[0] = VTAP_VNET_F_NEEDS_CSUM;
		hdr[6] = 34;
		hdr[8] = 6;
	}
	assert_true(vtap_stats__read(tap, before, 2) >= 1);
	fe.hold_kick = true;
	for (unsigned int i = 0; i < n; i++) {
		size_t len = frame4_dgram(f[i], &d[i], ids[d[i].sport]++,
					  (uint8_t)(i * 13 + d[i].sport),
					  needs_csum);

		assert_true(fe_tx(&fe, 0, hdr, f[i], len, (int)(i % 3)) >= 0);
		if (i + 1 == split || i + 1 == n) {
			fe_kick(&fe, 1);
			assert_int_equal(fe_tx_wait(&fe, 0, 5000), 0);
		}
	}
	fe.hold_kick = false;

	/* Each datagram received is the first of its flow not yet seen. */
	for (unsigned int i = 0; i < n; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		struct pollfd p = {.fd = s, .events = POLLIN};
		unsigned int k;
		ssize_t r;

		assert_true(poll(&p, 1, 5000) > 0);
		r = recvfrom(s, got, sizeof(got), 0, (struct sockaddr *)&from,
			     &fl);
		for (k = 0; k < n; k++)
			if (d[k].sport == ntohs(from.sin_port) && !seen[k])
				break;
		if (k == n)
			fail_msg("datagram %u: from port %u, none expected", i,
				 ntohs(from.sin_port));
		seen[k] = true;
		assert_int_equal(r, d[k].size);
		assert_memory_equal(got, f[k] + 42, d[k].size);
	}
	{
		struct pollfd p = {.fd = s, .events = POLLIN};

		assert_int_equal(poll(&p, 1, 200), 0); /* nothing more */
	}
	close(s);
	assert_true(vtap_stats__read(tap, after, 2) >= 1);
	memset(ret, 0, sizeof(*ret));
	ret->tx_packets = after[0].tx_packets - before[0].tx_packets;
	ret->tx_gso = after[0].tx_gso - before[0].tx_gso;
	ret->gro_frames = after[0].gro_frames - before[0].gro_frames;
	ret->gro_segments = after[0].gro_segments - before[0].gro_segments;
}

/*
 * What one case of test_tx_coalesce_udp() sends, and what enters the tap
 * when the tap takes USO frames and coalescing is on: @frames frames, of
 * them @gro coalesced from @segs datagrams.
 */
struct udp_case {
	const char *name;
	struct dgram d[DGRAMS_MAX];
	unsigned int n, split;
	bool needs_csum;
	unsigned int frames, gro, segs;
};

#define A 4000
#define B 4001
#define K 1000
static const struct udp_case udp_cases[] = {
	/* One flow, one batch: one UDP_L4 frame. */
	{.name = "run",
	 .d = {[0 ... 7] = {A, K}},
	 .n = 8,
	 .needs_csum = true,
	 .frames = 1,
	 .gro = 1,
	 .segs = 8},
	/* A shorter datagram is the last of its run; a larger one ends a
	 * run: [K K K K 400] [K K K 600] [600 600] [K K]. */
	{.name = "sizes",
	 .d = {[0 ... 3] = {A, K},
	       {A, 400},
	       [5 ... 7] = {A, K},
	       [8 ... 10] = {A, 600},
	       [11 ... 12] = {A, K}},
	 .n = 13,
	 .frames = 4,
	 .gro = 4,
	 .segs = 13},
	/* Two flows interleaved: only neighbours merge:
	 * [A] [B] [A] [B] [A A A] [B B B]. */
	{.name = "interleaved",
	 .d = {{A, K},
	       {B, K},
	       {A, K},
	       {B, K},
	       [4 ... 6] = {A, K},
	       [7 ... 9] = {B, K}},
	 .n = 10,
	 .frames = 6,
	 .gro = 2,
	 .segs = 6},
	/* One run across two kicks, each its own transmit batch: one frame
	 * per batch, nothing held back. */
	{.name = "kicks",
	 .d = {[0 ... 5] = {A, K}},
	 .n = 6,
	 .split = 3,
	 .frames = 2,
	 .gro = 2,
	 .segs = 6},
	/* More than a batch (VH_BATCH, 64 frames) in one kick: the run
	 * ends at the batch edge, [64] [36]. */
	{.name = "batch",
	 .d = {[0 ... 99] = {A, K}},
	 .n = 100,
	 .frames = 2,
	 .gro = 2,
	 .segs = 100},
};
#undef A
#undef B
#undef K

/*
 * Coalescing UDP on transmit: datagrams of one flow in one batch enter the
 * tap as UDP_L4 GSO frames where the tap takes them (USO: Linux 6.2 and
 * later), one by one where it does not (6.1) or with --coalesce off; a
 * socket behind the tap receives every datagram as it was sent.
 */
static void test_tx_coalesce_udp(void **state)
{
	struct vtap_dev_features kf;
	bool uso;

	(void)state;
	assert_int_equal(vtap_features__probe(&kf), 0);
	uso = (kf.offloads & VTAP_OFFLOAD_USO) != 0;
	if (!uso)
		fprintf(stderr, "no USO on this kernel's tap: every datagram "
				"must enter the tap alone\n");
	for (int on = 1; on >= 0; on--) {
		start_create(1, on ? "" : "--coalesce off");
		fe_close(&fe);
		assert_int_equal(fe_connect(&fe, sock_path), 0);
		/* 128 transmit slots: more than a batch in one kick. */
		assert_int_equal(fe_start(&fe, base_features, 1, 512), 0);
		for (size_t c = 0; c < sizeof(udp_cases) / sizeof(udp_cases[0]);
		     c++) {
			const struct udp_case *u = &udp_cases[c];
			bool merge = on && uso;
			struct vtap_queue_stats st;

			tx_dgrams(u->d, u->n, u->split, u->needs_csum, &st);
			fprintf(stderr,
				"coalesce %s, %s: %u datagrams -> %llu "
				"frames (%llu coalesced of %llu)\n",
				on ? "on" : "off", u->name, u->n,
				(unsigned long long)st.tx_packets,
				(unsigned long long)st.gro_frames,
				(unsigned long long)st.gro_segments);
			assert_int_equal(st.tx_packets,
					 merge ? u->frames : u->n);
			assert_int_equal(st.gro_frames, merge ? u->gro : 0);
			assert_int_equal(st.gro_segments, merge ? u->segs : 0);
			assert_int_equal(st.tx_gso, merge ? u->gro : 0);
		}
		fe_close(&fe);
		daemon_stop();
	}
}

/* The guest reboots / the VMM restarts: the same daemon serves again. */
static void test_reconnect(void **state)
{
	struct vtap_dev_info info;
	pid_t pid;

	(void)state;
	/* --owner: an unprivileged VMM may connect; the tap is its too. */
	start_create(2, "--owner 4242");
	pid = daemon_pid;
	{
		struct stat st;

		assert_int_equal(stat(sock_path, &st), 0);
		assert_int_equal(st.st_uid, 4242);
		assert_int_equal(vtap_dev__info(tap, &info), 0);
		assert_int_equal(info.owner, 4242);
	}
	for (int round = 0; round < 3; round++) {
		connect_start(base_features, 2);
		assert_int_equal(vtap_dev__info(tap, &info), 0);
		assert_int_equal(info.attached_queues, 2);
		check_tx(round & 1, round, 200);
		check_rx_udp(0, 300);
		fe_close(&fe);
		wait_log("frontend disconnected");
		/* Nobody reads pair 1 now: its queue is detached. */
		for (uint64_t end = nt_now_ms() + 3000; nt_now_ms() < end;) {
			assert_int_equal(vtap_dev__info(tap, &info), 0);
			if (info.attached_queues == 1)
				break;
			usleep(20000);
		}
		assert_int_equal(info.attached_queues, 1);
	}
	assert_int_equal(daemon_pid, pid);
	assert_int_equal(kill(pid, 0), 0);
}

/* --client: the daemon connects to the VMM's socket and reconnects. */
static void test_client(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char args[128];
	int l, c;

	(void)state;
	daemon_stop();
	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	snprintf(args, sizeof(args), "--client --create %s", tap);
	daemon_start(args, false);
	link_setup();
	for (int round = 0; round < 2; round++) {
		struct pollfd p = {.fd = l, .events = POLLIN};

		/* Round 0 waits for the daemon to start (START_MS). */
		assert_true(poll(&p, 1, round ? 5000 : START_MS) > 0);
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		assert_true(c >= 0);
		fe_close(&fe);
		assert_int_equal(fe_attach(&fe, c), 0);
		assert_int_equal(fe_start(&fe, base_features, 1, 256), 0);
		fe_rx_post(&fe, 0, 256);
		check_tx(0, 1, 500);
		check_rx_udp(0, 500);
		fe_close(&fe);
	}
	close(l);
	daemon_stop();
}

/*
 * Like `ip netns exec`: a sysfs of the namespace entered (libvtap reads
 * tun flags there), with the BPF filesystem carried over (steering pins).
 */
static int remount_sysfs(void)
{
	int bpf;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL))
		return -1;
	bpf = (int)syscall(SYS_open_tree, AT_FDCWD, "/sys/fs/bpf",
			   1 /* OPEN_TREE_CLONE */ | AT_RECURSIVE);
	if ((umount2("/sys", MNT_DETACH) && errno != EINVAL) ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL))
		return -1;
	if (bpf >= 0) {
		syscall(SYS_move_mount, bpf, "", AT_FDCWD, "/sys/fs/bpf",
			4 /* MOVE_MOUNT_F_EMPTY_PATH */);
		close(bpf);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate_frames),
		cmocka_unit_test(test_multiqueue_hash),
		cmocka_unit_test(test_macvtap),
		cmocka_unit_test(test_mrg_tso),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_shrink),
		cmocka_unit_test(test_shrink_buffers),
		cmocka_unit_test(test_stale_state),
		cmocka_unit_test(test_polling),
		cmocka_unit_test(test_midmessage),
		cmocka_unit_test(test_exit_restores),
		cmocka_unit_test(test_sw_offloads),
		cmocka_unit_test(test_tx_coalesce),
		cmocka_unit_test(test_tx_coalesce_udp),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_client),
	};
	const char *b = getenv("VTAP_BUILDDIR");
	int ret;

	nt_require_root();
	if (!b)
		b = ".";
	snprintf(vhost_bin, sizeof(vhost_bin),
		 "%s/src/tools/vtap-vhost/vtap-vhost", b);
	snprintf(vtapctl_bin, sizeof(vtapctl_bin), "%s/src/tools/vtapctl", b);
	if (access(vhost_bin, X_OK)) {
		fprintf(stderr, "SKIP: missing build: %s not built\n",
			vhost_bin);
		return NT_SKIP;
	}
	nt_name(ns, sizeof(ns), "vh");
	nt_name(tap, sizeof(tap), "vq");
	/* A directory of the test's own (mode 0700, a name nobody could
	 * have placed a link at) for the socket and the daemon's log; a
	 * TMPDIR too long for a socket path gives way to /tmp. */
	{
		const char *t = getenv("TMPDIR");

		if (!t || !*t || strlen(t) > 40)
			t = "/tmp";
		snprintf(work_dir, sizeof(work_dir),
			 "%s/vtap-vhost-test.XXXXXX", t);
		if (!mkdtemp(work_dir)) {
			perror("mkdtemp");
			return 1;
		}
	}
	snprintf(sock_path, sizeof(sock_path), "%s/sock", work_dir);
	snprintf(log_path, sizeof(log_path), "%s/daemon.log", work_dir);
	assert_int_equal(nt_ns_add(ns), 0);
	if (nt_enter(ns) || remount_sysfs()) {
		fprintf(stderr, "cannot enter %s\n", ns);
		return 1;
	}
	fe.sock = -1;
	fe.memfd = -1;
	if (getenv("VHOST_DAEMON_WRAP"))
		daemon_wrap = getenv("VHOST_DAEMON_WRAP");
	if (getenv("VHOST_TEST")) /* run one test by name while debugging */
		cmocka_set_test_filter(getenv("VHOST_TEST"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	fe_close(&fe);
	daemon_stop();
	if (daemon_failed && !ret)
		ret = 1;
	vtap_steer__unpin(tap);
	vtap_dev__delete(tap);
	unlink(sock_path);
	if (ret == 0) {
		unlink(log_path);
		rmdir(work_dir);
	} else {
		fprintf(stderr, "daemon log kept in %s\n", log_path);
	}
	nt_cleanup();
	return ret;
}
