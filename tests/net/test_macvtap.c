// SPDX-License-Identifier: MIT
/*
 * test_macvtap.c - libvtap on a macvtap (and an ipvtap where the kernel has
 * one): a veth pair between two namespaces, a macvtap made by libvtap on
 * one end, frames sent from the other end's namespace read on 1, 2 and 4
 * queues; GSO frames with the 12-byte header; detach and attach with tun's
 * renumbering; the node's owner (or group) opens queues as that uid and
 * nobody else does; hash reporting equal to vtap_rss__hash(); the device
 * goes with a handle that made it without VTAP_DEV_PERSIST; the queue
 * depth report (frame bound from the tap's offloads and the lower link's
 * MTU, drops at a full queue); steering through libvtap
 * (vtap_steer__attach_dev(): tc backend, RSS, a rule, detach/attach, the
 * kernel's choice and its counts).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_impl.h"
#include "netns.h"

#define NFLOWS 64
#define BUFSZ (VTAP_FRAME_MAX + 20)

static const uint8_t tap_mac[6] = {0x02, 0x7a, 0, 0, 0, 0x02};

static char ns_a[16], ns_b[16], lower[16], peer[16], name[16];
static int net; /* 10.net.0.0/24 */
static uint8_t *buf;

__attribute__((format(printf, 2, 0))) static int
log_stderr(enum vtap_log_level level, const char *fmt, va_list ap)
{
	return level == VTAP_LOG_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* veth lower (in ns_a) -- peer (in ns_b, 10.net.0.1, neighbour .2 = tap). */
static int setup(void **state)
{
	nt_name(ns_a, sizeof(ns_a), "mA");
	nt_name(ns_b, sizeof(ns_b), "mB");
	nt_name(lower, sizeof(lower), "ml");
	nt_name(peer, sizeof(peer), "mp");
	net = 100 + getpid() % 100;
	if (nt_ns_add(ns_a) || nt_ns_add(ns_b))
		return -1;
	if (nt_sh("ip -n %s link add %s type veth peer name %s netns %s && "
		  "ip -n %s link set %s up && "
		  "ip -n %s addr add 10.%d.0.1/24 dev %s && "
		  "ip -n %s link set %s up && "
		  "ip -n %s neigh add 10.%d.0.2 lladdr "
		  "02:7a:00:00:00:02 dev %s",
		  ns_a, lower, peer, ns_b, ns_a, lower, ns_b, net, peer, ns_b,
		  peer, ns_b, net, peer))
		return -1;
	buf = malloc(BUFSZ);
	if (!buf || nt_enter(ns_a))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	nt_enter(NULL);
	free(buf);
	nt_cleanup();
	return 0;
}

/* Open a macvtap (or ipvtap) on the lower device, up, with @queues. */
static struct vtap_dev *make(uint32_t type, unsigned int queues,
			     unsigned int hdr, unsigned int flags)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .flags = flags, .queues = queues,
		       .vnet_hdr_len = hdr, .type = type, .link = lower,
		       .mode = type == VTAP_DEV_TYPE_MACVTAP
				       ? VTAP_DEV_MODE_BRIDGE
				       : VTAP_DEV_MODE_L2,
		       .mac = tap_mac);
	struct vtap_dev *dev;

	nt_name(name, sizeof(name), "mv");
	dev = vtap_dev__open(name, &opts);
	if (!dev)
		return NULL;
	assert_int_equal(vtap_dev__set_up(dev, true), 0);
	return dev;
}

/* Send one UDP datagram per flow from ns_b to 10.net.0.2:9000. */
static void send_flows(int nflows, size_t len)
{
	struct sockaddr_in dst = {.sin_family = AF_INET,
				  .sin_port = htons(9000)};
	static char payload[65000];

	assert_int_equal(nt_enter(ns_b), 0);
	dst.sin_addr.s_addr = htonl(10u << 24 | (uint32_t)net << 16 | 2);
	for (int i = 0; i < nflows; i++) {
		struct sockaddr_in src = {.sin_family = AF_INET,
					  .sin_port = htons(20000 + i)};
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		assert_true(s >= 0);
		assert_int_equal(bind(s, (struct sockaddr *)&src, sizeof(src)),
				 0);
		memset(payload, 'a' + i % 26, len);
		assert_int_equal(sendto(s, payload, len, 0,
					(struct sockaddr *)&dst, sizeof(dst)),
				 (ssize_t)len);
		close(s);
	}
	assert_int_equal(nt_enter(ns_a), 0);
}

struct got {
	unsigned int frames, gso, per_queue[VTAP_QUEUES_MAX];
	unsigned int hash_bad, hashed;
};

/* The frame is one of ours: UDP or TCP to port 9000. */
static bool ours(const uint8_t *f, size_t len)
{
	return len >= 14 + 20 + 8 && f[12] == 0x08 && f[13] == 0x00 &&
	       (f[14 + 9] == IPPROTO_UDP || f[14 + 9] == IPPROTO_TCP) &&
	       f[14 + 22] == 0x23 && f[14 + 23] == 0x28;
}

/*
 * Send one TCP/IPv4 GSO frame (4 x 1000 bytes) from the peer with a packet
 * socket and its vnet header: the kernel passes it through the veth to the
 * macvtap as it is, so the tap's offloads decide whether its readers get
 * it whole or in segments.
 */
static void send_tso(void)
{
	uint8_t f[10 + 14 + 20 + 20 + 4000] = {0};
	uint8_t *eth = f + 10, *ip = eth + 14, *tcp = ip + 20;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	int s, one = 1;

	f[0] = 1; /* NEEDS_CSUM */
	f[1] = 1; /* GSO_TCPV4 */
	f[2] = 54; /* hdr_len */
	f[4] = 1000 & 0xff; /* gso_size, little-endian */
	f[5] = 1000 >> 8;
	f[6] = 34; /* csum_start */
	f[8] = 16; /* csum_offset */
	memcpy(eth, tap_mac, 6);
	memcpy(eth + 6, "\x02\x7a\x00\x00\x00\x01", 6);
	eth[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (20 + 20 + 4000) >> 8;
	ip[3] = (20 + 20 + 4000) & 0xff;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	ip[12] = 10;
	ip[13] = (uint8_t)net;
	ip[15] = 1;
	ip[16] = 10;
	ip[17] = (uint8_t)net;
	ip[19] = 2;
	tcp[0] = 20000 >> 8;
	tcp[1] = 20000 & 0xff;
	tcp[2] = 9000 >> 8;
	tcp[3] = 9000 & 0xff;
	tcp[12] = 0x50;
	tcp[13] = 0x18;
	tcp[14] = 0xff;
	tcp[15] = 0xff;
	memset(tcp + 20, 'g', 4000);

	assert_int_equal(nt_enter(ns_b), 0);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(
		setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)),
		0);
	sll.sll_ifindex = (int)if_nametoindex(peer);
	sll.sll_protocol = htons(ETH_P_IP);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	assert_int_equal(send(s, f, sizeof(f), 0), (ssize_t)sizeof(f));
	close(s);
	assert_int_equal(nt_enter(ns_a), 0);
}

/*
 * Read every queue of @dev until @want of our frames came (or the queues
 * stay empty for a second: the count then tells). With @rss, check each
 * reported hash against it.
 */
static void drain(struct vtap_dev *dev, unsigned int want,
		  const struct vtap_rss *rss, struct got *g)
{
	unsigned int hdr = vtap_dev__vnet_hdr_len(dev);
	unsigned int n = vtap_dev__num_queues(dev);
	struct pollfd pfd[VTAP_QUEUES_MAX];

	memset(g, 0, sizeof(*g));
	while (g->frames < want && nt_poll_queues(dev, pfd, (int)n, 1000) > 0) {
		for (unsigned int q = 0; q < n; q++) {
			struct vtap_frame f = {.buf = buf, .cap = BUFSZ};

			if (!(pfd[q].revents & POLLIN))
				continue;
			while (vtap_queue__recv(vtap_dev__queue(dev, q), &f,
						1) == 1) {
				if (!ours(buf + hdr, f.len - hdr))
					continue;
				g->frames++;
				g->per_queue[q]++;
				if (hdr && buf[1] != VTAP_VNET_GSO_NONE)
					g->gso++;
				/* num_buffers: filled by libvtap, never left
				 * as the buffer held it. */
				if (hdr >= 12)
					assert_int_equal(buf[10] | buf[11], 0);
				if (rss) {
					struct vtap_rss_result r;
					uint32_t h = (uint32_t)buf[12] |
						     (uint32_t)buf[13] << 8 |
						     (uint32_t)buf[14] << 16 |
						     (uint32_t)buf[15] << 24;

					vtap_rss__hash(rss, buf + hdr,
						       f.len - hdr, 0, &r);
					g->hashed++;
					if (h != r.hash ||
					    (buf[16] | buf[17] << 8) !=
						    r.report)
						g->hash_bad++;
				}
			}
		}
	}
}

static void test_type_api(void **state)
{
	assert_string_equal(vtap_dev_type__name(VTAP_DEV_TYPE_MACVTAP),
			    "macvtap");
	assert_string_equal(vtap_dev_type__name(VTAP_DEV_TYPE_IPVTAP),
			    "ipvtap");
	assert_null(vtap_dev_type__name(VTAP_DEV_TYPE__COUNT));
	assert_string_equal(vtap_dev_mode__name(VTAP_DEV_MODE_L3S), "l3s");
	assert_true(vtap_dev_mode__valid(VTAP_DEV_TYPE_MACVTAP,
					 VTAP_DEV_MODE_PASSTHRU));
	assert_false(
		vtap_dev_mode__valid(VTAP_DEV_TYPE_MACVTAP, VTAP_DEV_MODE_L3));
	assert_false(vtap_dev_mode__valid(VTAP_DEV_TYPE_IPVTAP,
					  VTAP_DEV_MODE_BRIDGE));
}

/* Errors that name the object: no lower device, a mode of the other type. */
static void test_create_errors(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .type = VTAP_DEV_TYPE_MACVTAP,
		       .link = "vtnolower0");

	assert_null(vtap_dev__open("vtmverr0", &opts));
	assert_int_equal(errno, ENODEV);
	opts.link = lower;
	opts.mode = VTAP_DEV_MODE_L3;
	assert_null(vtap_dev__open("vtmverr0", &opts));
	assert_int_equal(errno, EINVAL);
	opts.mode = 0;
	opts.link = NULL;
	assert_null(vtap_dev__open("vtmverr0", &opts));
	assert_int_equal(errno, EINVAL);
}

static void check_queues(unsigned int nq)
{
	struct vtap_dev_counters c = {.sz = sizeof(c)};
	struct vtap_dev_link info = {.sz = sizeof(info)};
	struct vtap_dev *dev;
	struct got g;
	unsigned int busy = 0;

	dev = make(VTAP_DEV_TYPE_MACVTAP, nq, 12, 0);
	assert_non_null(dev);
	assert_int_equal(vtap_dev__type(dev), VTAP_DEV_TYPE_MACVTAP);
	assert_int_equal(vtap_dev__num_queues(dev), nq);
	assert_int_equal(vtap_dev__link(name, &info), 0);
	assert_int_equal(info.type, VTAP_DEV_TYPE_MACVTAP);
	assert_int_equal(info.mode, VTAP_DEV_MODE_BRIDGE);
	assert_string_equal(info.link, lower);
	assert_true(info.node_major > 0);
	for (unsigned int q = 0; q < nq; q++)
		assert_int_equal(
			vtap_queue__kernel_index(vtap_dev__queue(dev, q)), q);
	send_flows(NFLOWS, 100);
	drain(dev, NFLOWS, NULL, &g);
	assert_int_equal(g.frames, NFLOWS);
	/* The kernel's counters by direction: these went to the reader. */
	assert_int_equal(vtap_dev__counters(name, &c), 0);
	assert_true(c.to_vmm_packets >= NFLOWS);
	for (unsigned int q = 0; q < nq; q++)
		busy += g.per_queue[q] > 0;
	/* 64 flows over the kernel's hash: more than one queue is used. */
	if (nq > 1)
		assert_true(busy > 1);
	vtap_dev__close(dev);
	/* Made here without VTAP_DEV_PERSIST: gone with the handle. */
	assert_int_equal(vtap_dev__link(name, &info), -ENODEV);
}

static void test_queues_1(void **state)
{
	check_queues(1);
}

static void test_queues_2(void **state)
{
	check_queues(2);
}

static void test_queues_4(void **state)
{
	check_queues(4);
}

/* Detach queue 1 of 4: the last moves into its slot; attach: the end. */
static void test_renumber(void **state)
{
	struct vtap_dev *dev = make(VTAP_DEV_TYPE_MACVTAP, 4, 12, 0);
	struct vtap_queue *q[4];
	struct got g;

	assert_non_null(dev);
	for (int i = 0; i < 4; i++)
		q[i] = vtap_dev__queue(dev, (unsigned int)i);
	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	assert_int_equal(vtap_queue__kernel_index(q[0]), 0);
	assert_int_equal(vtap_queue__kernel_index(q[1]), -1);
	assert_int_equal(vtap_queue__kernel_index(q[2]), 2);
	assert_int_equal(vtap_queue__kernel_index(q[3]), 1);
	assert_int_equal(vtap_dev__num_attached(dev), 3);
	/* Nothing reaches the detached queue; the rest get every frame. */
	send_flows(NFLOWS, 100);
	drain(dev, NFLOWS, NULL, &g);
	assert_int_equal(g.frames, NFLOWS);
	assert_int_equal(g.per_queue[1], 0);
	assert_int_equal(vtap_dev__attach_queue(dev, 1), 0);
	assert_int_equal(vtap_queue__kernel_index(q[1]), 3);
	assert_int_equal(vtap_dev__detach_queue(dev, 0), 0);
	assert_int_equal(vtap_queue__kernel_index(q[1]), 0);
	assert_int_equal(vtap_dev__attach_queue(dev, 0), 0);
	assert_int_equal(vtap_queue__kernel_index(q[0]), 3);
	send_flows(NFLOWS, 100);
	drain(dev, NFLOWS, NULL, &g);
	assert_int_equal(g.frames, NFLOWS);
	vtap_dev__close(dev);
}

/*
 * Offloads on a macvtap: the probe, set and read back; a TSO frame from
 * the peer arrives whole with the 12-byte header while tso4 is on, in
 * four segments with csum alone.
 */
static void test_offloads_gso(void **state)
{
	struct vtap_dev *dev = make(VTAP_DEV_TYPE_MACVTAP, 2, 12, 0);
	struct vtap_offload_state st;
	struct vtap_dev_features f;
	struct vtap_dev_info info;
	uint32_t want;
	struct got g;

	assert_non_null(dev);
	/* A new macvtap has the kernel's default offloads. */
	assert_int_equal(vtap_dev__offloads(dev, &st), 0);
	assert_int_equal(st.kernel, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
					    VTAP_OFFLOAD_TSO6 |
					    VTAP_OFFLOAD_TSO_ECN);
	assert_int_equal(vtap_dev__features(dev, &f), 0);
	assert_true(f.offloads & VTAP_OFFLOAD_CSUM);
	assert_true(f.offloads & VTAP_OFFLOAD_TSO4);
	assert_true(f.hdr_sizes & VTAP_HDR_SIZE_12);
	want = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6 |
	       (f.offloads & VTAP_OFFLOAD_USO);
	assert_int_equal(vtap_dev__set_offloads(dev, want), 0);
	assert_int_equal(vtap_dev__offloads(dev, &st), 0);
	assert_int_equal(st.kernel, want);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.offloads, want);
	send_tso();
	drain(dev, 1, NULL, &g);
	assert_int_equal(g.frames, 1);
	assert_int_equal(g.gso, 1);
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM), 0);
	send_tso();
	drain(dev, 4, NULL, &g);
	assert_int_equal(g.frames, 4);
	assert_int_equal(g.gso, 0);
	vtap_dev__close(dev);
}

/*
 * vtap_qdepth__info() on a macvtap says what its queues can hold: the
 * largest frame follows the tap's TUNSETOFFLOAD state (64 KiB while tso4
 * is on, the MTU with csum alone: the kernel segments for the readers),
 * not its ethtool features (the macvlan's); the MTU bound is the lower
 * link's when that is larger, and an 8000-byte datagram through a lower
 * link of MTU 9000 does reach the reader of a macvtap of MTU 1500 whole;
 * frames dropped at a full queue are counted (the macvtap's rx_dropped).
 */
static void test_qdepth_info(void **state)
{
	VTAP_OPTS_INIT(vtap_qdepth_opts, qd, .mode = VTAP_QDEPTH_QLEN,
		       .qlen = 16);
	struct vtap_dev *dev = make(VTAP_DEV_TYPE_MACVTAP, 1, 12, 0);
	struct vtap_qdepth_info qi;
	uint64_t drops;
	struct got g;

	assert_non_null(dev);
	assert_int_equal(vtap_qdepth__info(name, &qi), 0);
	assert_int_equal(qi.frame_bytes, VTAP_QDEPTH_GSO_FRAME);
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM), 0);
	assert_int_equal(vtap_qdepth__info(name, &qi), 0);
	assert_int_equal(qi.frame_bytes, 1500);

	/* A lower link with a larger MTU than the macvtap's. */
	assert_int_equal(nt_sh("ip -n %s link set %s mtu 9000 && "
			       "ip -n %s link set %s mtu 9000 && "
			       "ip -n %s link set %s mtu 1500",
			       ns_a, lower, ns_b, peer, ns_a, name),
			 0);
	assert_int_equal(vtap_qdepth__info(name, &qi), 0);
	assert_int_equal(qi.frame_bytes, 9000);
	send_flows(1, 8000);
	drain(dev, 1, NULL, &g);
	assert_int_equal(g.frames, 1);
	assert_int_equal(g.gso, 0);
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM |
							     VTAP_OFFLOAD_TSO4),
			 0);
	assert_int_equal(vtap_qdepth__info(name, &qi), 0);
	assert_int_equal(qi.frame_bytes, VTAP_QDEPTH_GSO_FRAME);

	/* 40 frames at a queue 16 deep that nobody reads: 24 dropped. */
	assert_int_equal(vtap_dev__set_qdepth(dev, &qd), 0);
	assert_int_equal(vtap_qdepth__info(name, &qi), 0);
	assert_int_equal(qi.qlen, 16);
	assert_int_equal(qi.worst_case_bytes, 16ull * VTAP_QDEPTH_GSO_FRAME);
	drops = qi.queue_full_drops;
	send_flows(40, 100);
	assert_int_equal(vtap_qdepth__info(name, &qi), 0);
	assert_int_equal(qi.queue_full_drops - drops, 24);
	drain(dev, 40, NULL, &g);
	assert_int_equal(g.frames, 16);
	vtap_dev__close(dev);
}

/* The lower link's MTU back for the tests after (also after a failure). */
static int mtu_restore(void **state)
{
	return nt_sh("ip -n %s link set %s mtu 1500; "
		     "ip -n %s link set %s mtu 1500",
		     ns_a, lower, ns_b, peer)
		       ? -1
		       : 0;
}

/*
 * Read every queue of @dev until @want of our frames came (or the queues
 * stay empty for a second); check that each one was read from the kernel
 * queue steering chose: vtap_steer__predict()'s hash modulo the queues
 * attached (the program sets that hash, tap_get_queue() takes it modulo).
 * With @kernel, no step decides: count per kernel index in @ret_kidx.
 * Return: the frames read; @ret_bad counts the misplaced ones.
 */
static unsigned int steered(struct vtap_dev *dev, struct vtap_steer *steer,
			    unsigned int want, bool kernel,
			    unsigned int *ret_kidx, unsigned int *ret_bad)
{
	unsigned int hdr = vtap_dev__vnet_hdr_len(dev);
	unsigned int n = vtap_dev__num_queues(dev), frames = 0, att = 0;
	struct pollfd pfd[VTAP_QUEUES_MAX];

	for (unsigned int q = 0; q < n; q++)
		att += vtap_queue__kernel_index(vtap_dev__queue(dev, q)) >= 0;
	*ret_bad = 0;
	while (frames < want && nt_poll_queues(dev, pfd, (int)n, 1000) > 0) {
		for (unsigned int q = 0; q < n; q++) {
			struct vtap_queue *vq = vtap_dev__queue(dev, q);
			struct vtap_frame f = {.buf = buf, .cap = BUFSZ};
			int kidx = vtap_queue__kernel_index(vq);

			if (!(pfd[q].revents & POLLIN))
				continue;
			while (vtap_queue__recv(vq, &f, 1) == 1) {
				struct vtap_steer_prediction p;

				if (!ours(buf + hdr, f.len - hdr))
					continue;
				frames++;
				assert_true(kidx >=
					    0); /* never a detached one */
				assert_int_equal(
					vtap_steer__predict(steer, buf + hdr,
							    f.len - hdr, &p),
					0);
				if (kernel) {
					assert_int_equal(p.by,
							 VTAP_STEER_BY_KERNEL);
					ret_kidx[kidx]++;
				} else if (p.hash % att != (unsigned int)kidx) {
					(*ret_bad)++;
				}
			}
		}
	}
	return frames;
}

/*
 * libvtap end to end on a macvtap: vtap_dev__open() with the macvtap type,
 * vtap_steer__attach_dev() (the tc backend), RSS over 4 queues and a flow
 * rule; every frame from the lower side is read from the queue steering
 * chose, also after a queue is detached (the queue hook rebuilds the table
 * for 3 queues: nothing goes to the detached one) and attached again.
 * With RSS off, what no step decides is the kernel's choice, and the
 * program's "kernel" counts per queue are the frames each queue read.
 */
static void test_steer_attach_dev(void **state)
{
	VTAP_OPTS_INIT(vtap_steer_opts, so, .queues = 4);
	VTAP_OPTS_INIT(vtap_steer_rss, rss, .hash_types = VTAP_HASH_TYPE_ALL,
		       .kind = VTAP_STEER_TABLE_EQUAL, .equal_n = 4);
	VTAP_OPTS_INIT(vtap_steer_rule, rule, .proto = 17, .has_sport = true,
		       .sport = 20005, .queue = 3);
	struct vtap_dev *dev = make(VTAP_DEV_TYPE_MACVTAP, 4, 12, 0);
	struct vtap_steer_qcount c0[4], c1[4];
	unsigned int kidx[VTAP_QUEUES_MAX] = {0}, used = 0, bad;
	struct vtap_steer *steer;
	uint32_t id;

	assert_non_null(dev);
	steer = vtap_steer__open(name, &so);
	assert_non_null(steer);
	assert_string_equal(vtap_steer__attach_point(steer), "tc");
	assert_int_equal(vtap_steer__attach_dev(steer, dev), 0);
	assert_int_equal(vtap_steer__set_rss(steer, &rss), 0);
	assert_int_equal(vtap_steer__rule_add(steer, &rule, &id), 0);
	assert_int_equal(
		vtap_steer__set_steps(steer, VTAP_STEER_STEP_RULES |
						     VTAP_STEER_STEP_RSS),
		0);

	send_flows(NFLOWS, 100);
	assert_int_equal(steered(dev, steer, NFLOWS, false, kidx, &bad),
			 NFLOWS);
	assert_int_equal(bad, 0);

	/* Detach queue 1: the last kernel queue moves into its place. */
	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	send_flows(NFLOWS, 100);
	assert_int_equal(steered(dev, steer, NFLOWS, false, kidx, &bad),
			 NFLOWS);
	assert_int_equal(bad, 0);
	assert_int_equal(vtap_dev__attach_queue(dev, 1), 0);
	send_flows(NFLOWS, 100);
	assert_int_equal(steered(dev, steer, NFLOWS, false, kidx, &bad),
			 NFLOWS);
	assert_int_equal(bad, 0);

	/* RSS off: rule 20005 -> 3, the rest the kernel's choice. */
	assert_int_equal(vtap_steer__rule_del(steer, id), 0);
	assert_int_equal(vtap_steer__set_steps(steer, VTAP_STEER_STEP_RULES),
			 0);
	assert_int_equal(vtap_steer__counts(steer, c0, 4) >= 0, 1);
	send_flows(NFLOWS, 100);
	assert_int_equal(steered(dev, steer, NFLOWS, true, kidx, &bad), NFLOWS);
	assert_int_equal(vtap_steer__counts(steer, c1, 4) >= 0, 1);
	for (unsigned int q = 0; q < 4; q++) {
		assert_int_equal(c1[q].by[VTAP_STEER_CNT_KERNEL] -
					 c0[q].by[VTAP_STEER_CNT_KERNEL],
				 kidx[q]);
		assert_int_equal(c1[q].by[VTAP_STEER_CNT_NONE],
				 c0[q].by[VTAP_STEER_CNT_NONE]);
		used += kidx[q] != 0;
	}
	assert_true(used > 1);
	vtap_steer__close(steer);
	vtap_dev__close(dev);
}

/* Hash reporting (mode CONFIG) on a 20-byte header equals vtap_rss__hash(). */
static void test_report(void **state)
{
	VTAP_OPTS_INIT(vtap_report_opts, ro, .mode = VTAP_REPORT_CONFIG,
		       .hash_types = VTAP_HASH_TYPE_ALL);
	VTAP_OPTS_INIT(vtap_rss_opts, rso, .hash_types = VTAP_HASH_TYPE_ALL);
	struct vtap_dev *dev = make(VTAP_DEV_TYPE_MACVTAP, 2, 20, 0);
	struct vtap_rss *rss = vtap_rss__new(&rso);
	struct got g;

	assert_non_null(dev);
	assert_non_null(rss);
	assert_int_equal(vtap_dev__set_report(dev, &ro), 0);
	send_flows(NFLOWS, 100);
	drain(dev, NFLOWS, rss, &g);
	assert_int_equal(g.frames, NFLOWS);
	assert_int_equal(g.hashed, NFLOWS);
	assert_int_equal(g.hash_bad, 0);
	vtap_rss__free(rss);
	vtap_dev__close(dev);
}

static int open_as_owner(void)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_NO_CREATE | VTAP_DEV_MATCH,
		       .queues = 2, .vnet_hdr_len = 12);
	struct vtap_dev *dev = vtap_dev__open(name, &opts);

	if (!dev) {
		fprintf(stderr, "open as %u: %s\n", (unsigned int)getuid(),
			strerror(errno));
		return 10;
	}
	if (vtap_dev__num_queues(dev) != 2 ||
	    vtap_dev__type(dev) != VTAP_DEV_TYPE_MACVTAP)
		return 11;
	if (vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM))
		return 12;
	if (vtap_dev__detach_queue(dev, 0) || vtap_dev__attach_queue(dev, 0))
		return 13;
	vtap_dev__close(dev);
	return 0;
}

static int open_as_other(void)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_NO_CREATE | VTAP_DEV_MATCH,
		       .queues = 1, .vnet_hdr_len = 12);
	struct vtap_dev *dev = vtap_dev__open(name, &opts);

	if (dev)
		return 20;
	return errno == EACCES ? 0 : 21;
}

/* The node follows owner/group; the owner opens queues, others cannot. */
static void test_owner(void **state)
{
	VTAP_OPTS_INIT(
		vtap_dev_opts, opts,
		.flags = VTAP_DEV_PERSIST | VTAP_DEV_SET_OWNER | VTAP_DEV_EXCL,
		.queues = 1, .vnet_hdr_len = 12, .type = VTAP_DEV_TYPE_MACVTAP,
		.link = lower, .owner = 65534);
	struct vtap_dev_info info;
	struct vtap_dev *dev;

	nt_name(name, sizeof(name), "mo");
	dev = vtap_dev__open(name, &opts);
	assert_non_null(dev);
	vtap_dev__close(dev);
	/* Persistent: it stays, with its owner. */
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.owner, 65534);
	assert_int_equal(info.group, -1);
	assert_int_equal(nt_as_user(65534, 65534, open_as_owner), 0);
	assert_int_equal(nt_as_user(12345, 12345, open_as_other), 0);
	assert_int_equal(vtap_dev__delete(name), 0);
	assert_int_equal(vtap_dev__info(name, &info), -ENODEV);
}

/* With a group: the node is 0660 and any member opens queues. */
static void test_group(void **state)
{
	VTAP_OPTS_INIT(
		vtap_dev_opts, opts,
		.flags = VTAP_DEV_PERSIST | VTAP_DEV_SET_GROUP | VTAP_DEV_EXCL,
		.queues = 1, .vnet_hdr_len = 12, .type = VTAP_DEV_TYPE_MACVTAP,
		.link = lower, .group = 12345);
	struct vtap_dev_info info;
	struct vtap_dev *dev;

	nt_name(name, sizeof(name), "mg");
	dev = vtap_dev__open(name, &opts);
	assert_non_null(dev);
	vtap_dev__close(dev);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.owner, -1);
	assert_int_equal(info.group, 12345);
	assert_int_equal(nt_as_user(23456, 12345, open_as_owner), 0);
	assert_int_equal(nt_as_user(23456, 23456, open_as_other), 0);
	assert_int_equal(vtap_dev__delete(name), 0);
}

/* An ipvtap: the same queue code (module on 6.1, absent on some hosts). */
static void test_ipvtap(void **state)
{
	struct vtap_dev *dev = make(VTAP_DEV_TYPE_IPVTAP, 2, 12, 0);
	struct got g;

	if (!dev && errno == EOPNOTSUPP) {
		fprintf(stderr, "skip: no ipvtap module\n");
		skip();
	}
	assert_non_null(dev);
	assert_int_equal(vtap_dev__type(dev), VTAP_DEV_TYPE_IPVTAP);
	/* ipvlan delivers by IP address (the device needs the guest's) and
	 * shares the lower's MAC: the peer's neighbour entry says so. */
	assert_int_equal(nt_sh("ip -n %s addr add 10.%d.0.2/32 dev %s && "
			       "ip -n %s neigh replace 10.%d.0.2 lladdr "
			       "$(ip -n %s -br link show %s | "
			       "awk '{print $3}') dev %s",
			       ns_a, net, name, ns_b, net, ns_a, lower, peer),
			 0);
	send_flows(NFLOWS, 100);
	drain(dev, NFLOWS, NULL, &g);
	assert_int_equal(g.frames, NFLOWS);
	assert_int_equal(vtap_dev__detach_queue(dev, 0), 0);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 1)), 0);
	vtap_dev__close(dev);
	assert_int_equal(nt_sh("ip -n %s neigh replace 10.%d.0.2 lladdr "
			       "02:7a:00:00:00:02 dev %s",
			       ns_b, net, peer),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_api),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_queues_1),
		cmocka_unit_test(test_queues_2),
		cmocka_unit_test(test_queues_4),
		cmocka_unit_test(test_renumber),
		cmocka_unit_test(test_offloads_gso),
		cmocka_unit_test_teardown(test_qdepth_info, mtu_restore),
		cmocka_unit_test(test_steer_attach_dev),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_ipvtap),
	};

	nt_require_root();
	vtap_set_log(log_stderr);
	return cmocka_run_group_tests(tests, setup, teardown);
}
