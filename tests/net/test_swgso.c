// SPDX-License-Identifier: MIT
/*
 * test_swgso.c - software offloads on send, against the real kernel
 *
 * User space plays a guest behind a tap whose netdev lives in namespace NS
 * (10.78.0.1/24, fd78::1/64; the guest is 10.78.0.2 / fd78::2). The tap
 * has no kernel offloads, while the guest was promised csum, tso4, tso6
 * and uso (a pinned set, as after a migration to a host whose tap offers
 * less), so vtap segments and checksums in software:
 * - USO frames (IPv4 and IPv6) carrying a 2 MiB pattern reach a UDP socket
 *   in NS: every datagram is compared byte for byte;
 * - TSO frames (IPv4 with ECN/CWR, and IPv6) carrying a 2 MiB pattern are
 *   captured with a packet socket in NS: every segment's IP and TCP
 *   checksums verify (computed here, independently of the library), the
 *   sequence numbers and flags are right and the payload is the pattern;
 * - UFO frames (IPv4 and IPv6, up to 60000 bytes) are fragmented and
 *   reach the UDP socket whole;
 * - NEEDS_CSUM frames get their checksum completed;
 * and NS's InCsumErrors counters (/proc/net/snmp, snmp6) do not move. A
 * control frame with a wrong checksum does move them, so they are live.
 * Last, with the offloads in the kernel, frames pass untouched; forcing
 * USO into software segments USO frames only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
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

#include "netns.h"
#include "vtap/vtap.h"

#define HDR VTAP_VNET_HDR_V1_LEN
#define PATTERN_LEN (2u << 20)
#define UDP_PORT 9000
#define TCP_DPORT 9001
#define TCP_SPORT 45000

static const uint8_t guest_mac[6] = {0x02, 0x78, 0, 0, 0, 0x02};
static const uint8_t tap_mac[6] = {0x02, 0x78, 0, 0, 0, 0x01};
static uint8_t guest4[4] = {10, 78, 0, 2}, host4[4] = {10, 78, 0, 1};
static uint8_t guest6[16], host6[16];

static char ns[16], tap[16];
static struct vtap_dev *dev;
static struct vtap_queue *q;
static uint8_t *pattern;
static uint8_t *fbuf; /* one frame to send */
static uint8_t rbuf[65536];

/* ------------------------------------------------------------------ */
/* checksums, computed here independently of the library               */
/* ------------------------------------------------------------------ */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo-header sum (host order) for @l4len bytes of @proto. */
static uint32_t pseudo(bool v6, const uint8_t *ip, uint8_t proto,
		       uint32_t l4len)
{
	if (v6)
		return sum16(ip + 8, 32, 0) + proto + (l4len >> 16) +
		       (l4len & 0xffff);
	return sum16(ip + 12, 8, 0) + proto + l4len;
}

/* Whether the L4 checksum of a segment verifies. */
static bool l4_ok(bool v6, const uint8_t *ip, const uint8_t *l4, size_t l4len,
		  uint8_t proto)
{
	return fold(sum16(l4, l4len, pseudo(v6, ip, proto, (uint32_t)l4len))) ==
	       0xffff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* ------------------------------------------------------------------ */
/* frames                                                             */
/* ------------------------------------------------------------------ */

/*
 * Build a guest frame after a HDR-byte vnet header in fbuf: Ethernet, IP,
 * an L4 header of @proto (TCP with @seq and @tcp_flags) and @len payload
 * bytes from pattern[@off]. The L4 checksum field holds the seed a guest
 * puts there: the pseudo-header sum without the length for GSO, with it
 * for a plain NEEDS_CSUM frame. Return: the frame length with header.
 */
static size_t build(bool v6, uint8_t proto, size_t off, size_t len,
		    uint16_t gso_size, uint32_t seq, uint8_t tcp_flags,
		    bool ecn)
{
	uint8_t *eth = fbuf + HDR, *ip = eth + 14, *l4;
	size_t l4hdr = proto == 6 ? 20 : 8, iphdr = v6 ? 40 : 20;
	size_t l4len = l4hdr + len;
	struct vtap_vnet_hdr h = {0};
	uint16_t seed;

	memset(fbuf, 0, HDR + 14 + iphdr + l4hdr);
	memcpy(eth, tap_mac, 6);
	memcpy(eth + 6, guest_mac, 6);
	put16(eth + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, guest6, 16);
		memcpy(ip + 24, host6, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, 0x1234);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, guest4, 4);
		memcpy(ip + 16, host4, 4);
		put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
	}
	l4 = ip + iphdr;
	if (proto == 6) {
		put16(l4, TCP_SPORT);
		put16(l4 + 2, TCP_DPORT);
		put32(l4 + 4, seq);
		put32(l4 + 8, 1);
		l4[12] = 5 << 4;
		l4[13] = tcp_flags | 0x10; /* ACK */
		put16(l4 + 14, 65535);
	} else {
		put16(l4, 40000);
		put16(l4 + 2, UDP_PORT);
		put16(l4 + 4, (uint16_t)l4len); /* the whole, as Linux does */
	}
	memcpy(l4 + l4hdr, pattern + off, len);
	seed = fold(pseudo(v6, ip, proto, gso_size ? 0 : (uint32_t)l4len));
	put16(l4 + (proto == 6 ? 16 : 6), seed);

	h.flags = VTAP_VNET_F_NEEDS_CSUM;
	h.csum_start = (uint16_t)(14 + iphdr);
	h.csum_offset = proto == 6 ? 16 : 6;
	if (gso_size) {
		h.gso_size = gso_size;
		h.hdr_len = (uint16_t)(14 + iphdr + l4hdr);
		if (proto == 17)
			h.gso_type = VTAP_VNET_GSO_UDP_L4;
		else
			h.gso_type =
				v6 ? VTAP_VNET_GSO_TCPV6 : VTAP_VNET_GSO_TCPV4;
		if (ecn)
			h.gso_type |= VTAP_VNET_GSO_ECN;
	}
	assert_int_equal(vtap_vnet__encode(&h, fbuf, HDR), 0);
	return HDR + 14 + iphdr + l4len;
}

static void send_frame(size_t len)
{
	struct vtap_frame f = {.buf = fbuf, .cap = len, .len = len};

	assert_int_equal(vtap_queue__send(q, &f, 1), 1);
	assert_int_equal(f.drop, -1);
}

/* ------------------------------------------------------------------ */
/* namespace side                                                     */
/* ------------------------------------------------------------------ */

/* A counter of NS's /proc/net/snmp or snmp6. */
static unsigned long snmp(const char *file, const char *proto,
			  const char *field)
{
	char out[8192], *hdr, *val, *save1, *save2, *k, *v;

	assert_int_equal(nt_sh_out(out, sizeof(out),
				   "ip netns exec %s cat /proc/net/%s", ns,
				   file),
			 0);
	if (!strcmp(file, "snmp6")) {
		char key[64], *p;

		snprintf(key, sizeof(key), "%s%s", proto, field);
		p = strstr(out, key);
		assert_non_null(p);
		return strtoul(p + strlen(key), NULL, 10);
	}
	/* Two lines per protocol: names, then values. */
	for (hdr = out; (hdr = strstr(hdr, proto)); hdr++) {
		if (hdr != out && hdr[-1] != '\n')
			continue;
		val = strchr(hdr, '\n');
		assert_non_null(val);
		*val++ = '\0';
		strchr(val, '\n')[0] = '\0';
		k = strtok_r(hdr + strlen(proto), " ", &save1);
		v = strtok_r(val + strlen(proto), " ", &save2);
		while (k && v) {
			if (!strcmp(k, field))
				return strtoul(v, NULL, 10);
			k = strtok_r(NULL, " ", &save1);
			v = strtok_r(NULL, " ", &save2);
		}
		break;
	}
	fail_msg("no %s %s in /proc/net/%s", proto, field, file);
	return 0;
}

struct csum_errors {
	unsigned long tcp, udp, udp6;
};

static void csum_errors(struct csum_errors *c)
{
	c->tcp = snmp("snmp", "Tcp:", "InCsumErrors");
	c->udp = snmp("snmp", "Udp:", "InCsumErrors");
	c->udp6 = snmp("snmp6", "Udp6", "InCsumErrors");
}

static int ns_socket(int family, int type, int proto)
{
	int fd;

	assert_int_equal(nt_enter(ns), 0);
	fd = socket(family, type | SOCK_CLOEXEC, proto);
	assert_true(fd >= 0);
	assert_int_equal(nt_enter(NULL), 0);
	return fd;
}

static int udp_socket(bool v6)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(UDP_PORT)};
	struct sockaddr_in6 b = {.sin6_family = AF_INET6,
				 .sin6_port = htons(UDP_PORT)};
	int one = 1, size = 8 << 20;
	int fd = ns_socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (v6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		memcpy(&b.sin6_addr, host6, 16);
		assert_int_equal(bind(fd, (struct sockaddr *)&b, sizeof(b)), 0);
	} else {
		memcpy(&a.sin_addr, host4, 4);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	return fd;
}

/* Wait up to @ms for @fd to be readable. */
static bool readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

/* Drain what the namespace sent back (RSTs, ND) so the tap never fills. */
static void drain_tap(void)
{
	static uint8_t buf[HDR + VTAP_FRAME_MAX];
	struct vtap_frame f = {.buf = buf, .cap = sizeof(buf)};

	while (vtap_queue__recv(q, &f, 1) > 0)
		;
}

/* ------------------------------------------------------------------ */
/* tests                                                              */
/* ------------------------------------------------------------------ */

static void stats(struct vtap_queue_stats *st)
{
	assert_int_equal(vtap_queue__stats(q, st), 0);
}

static void uso_stream(bool v6)
{
	const uint16_t gso = v6 ? 1452 : 1472;
	const size_t per_frame = (size_t)gso * 43;
	struct vtap_queue_stats a, b;
	unsigned long datagrams = 0, frames = 0;
	int fd = udp_socket(v6);
	size_t off = 0;

	stats(&a);
	while (off < PATTERN_LEN) {
		size_t len = PATTERN_LEN - off < per_frame ? PATTERN_LEN - off
							   : per_frame;
		size_t got = 0;

		send_frame(build(v6, 17, off, len, gso, 0, 0, false));
		frames++;
		/* Every segment is one datagram, in order. */
		while (got < len) {
			ssize_t n;

			assert_true(readable(fd, 2000));
			n = recv(fd, rbuf, sizeof(rbuf), 0);
			assert_true(n > 0);
			assert_true((size_t)n ==
				    (len - got < gso ? len - got : gso));
			assert_memory_equal(rbuf, pattern + off + got,
					    (size_t)n);
			got += (size_t)n;
			datagrams++;
		}
		off += len;
	}
	assert_false(readable(fd, 50));
	close(fd);
	stats(&b);
	fprintf(stderr, "uso %s: %lu frames -> %lu datagrams\n",
		v6 ? "ipv6" : "ipv4", frames, datagrams);
	assert_int_equal(b.sw_gso_frames - a.sw_gso_frames, frames);
	assert_int_equal(b.sw_gso_segments - a.sw_gso_segments, datagrams);
	assert_int_equal(b.tx_packets - a.tx_packets, datagrams);
	assert_int_equal(b.tx_gso - a.tx_gso, 0);
}

static void test_uso(void **state)
{
	struct csum_errors e0, e1;

	assert_int_equal(vtap_dev__sw_offloads(dev),
			 VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
				 VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_TSO_ECN |
				 VTAP_OFFLOAD_USO);
	csum_errors(&e0);
	uso_stream(false);
	uso_stream(true);
	csum_errors(&e1);
	assert_int_equal(e1.udp, e0.udp);
	assert_int_equal(e1.udp6, e0.udp6);
}

/*
 * UFO (gso_type UDP): vtap fragments the datagram in software; the
 * namespace's stack reassembles it and the socket gets it whole.
 */
static void ufo_stream(bool v6)
{
	const uint16_t gso = v6 ? 1448 : 1480;
	const size_t sizes[] = {100, 1400, 1473, 3000, 8000, 20000, 60000};
	struct vtap_queue_stats a, b;
	int fd = udp_socket(v6);
	size_t off = 0;

	stats(&a);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], flen;
		struct vtap_vnet_hdr h;
		ssize_t n;

		flen = build(v6, 17, off, len, gso, 0, 0, false);
		assert_int_equal(vtap_vnet__decode(fbuf, HDR, &h), 0);
		h.gso_type = VTAP_VNET_GSO_UDP;
		assert_int_equal(vtap_vnet__encode(&h, fbuf, HDR), 0);
		send_frame(flen);
		assert_true(readable(fd, 2000));
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		assert_int_equal(n, len);
		assert_memory_equal(rbuf, pattern + off, len);
		off += len;
	}
	assert_false(readable(fd, 50));
	close(fd);
	stats(&b);
	assert_int_equal(b.sw_gso_frames - a.sw_gso_frames, 7);
	assert_true(b.sw_gso_segments - a.sw_gso_segments > 7);
}

static void test_ufo(void **state)
{
	struct csum_errors e0, e1;

	csum_errors(&e0);
	ufo_stream(false);
	ufo_stream(true);
	csum_errors(&e1);
	assert_int_equal(e1.udp, e0.udp);
	assert_int_equal(e1.udp6, e0.udp6);
}

/* Check one captured TCP segment; return its payload length. */
static size_t check_segment(bool v6, const uint8_t *eth, size_t len,
			    uint32_t *next_seq, uint32_t seq0, bool first,
			    bool *ret_last)
{
	const uint8_t *ip = eth + 14, *tcp = ip + (v6 ? 40 : 20);
	size_t iplen = v6 ? 40u + get16(ip + 4) : get16(ip + 2);
	size_t payload, l4len = iplen - (v6 ? 40 : 20);
	uint32_t seq = get32(tcp + 4);
	uint8_t flags = tcp[13];

	assert_true(14 + iplen <= len);
	if (!v6)
		assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff);
	assert_true(l4_ok(v6, ip, tcp, l4len, 6));
	payload = l4len - (size_t)(tcp[12] >> 4) * 4;
	assert_int_equal(seq, *next_seq);
	assert_memory_equal(tcp + (tcp[12] >> 4) * 4, pattern + (seq - seq0),
			    payload);
	*next_seq = seq + (uint32_t)payload;
	/* CWR only on the first segment of a frame; FIN, PSH on the last. */
	if (!first)
		assert_false(flags & 0x80);
	*ret_last = flags & 0x01;
	return payload;
}

static void tso_stream(bool v6, bool ecn)
{
	const uint16_t gso = v6 ? 1428 : 1448;
	const size_t per_frame = 60000;
	const uint32_t seq0 = 0x7fff0000u; /* wraps past 2^31 */
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL)};
	struct vtap_queue_stats a, b;
	unsigned long segs = 0, frames = 0, cwr = 0, fin = 0;
	uint32_t next = seq0;
	size_t off = 0;
	int fd, one = 1, size = 16 << 20;

	fd = ns_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	assert_int_equal(nt_enter(ns), 0);
	ll.sll_ifindex = (int)if_nametoindex(tap);
	assert_int_equal(nt_enter(NULL), 0);
	assert_true(ll.sll_ifindex > 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&ll, sizeof(ll)), 0);

	stats(&a);
	while (off < PATTERN_LEN) {
		size_t len = PATTERN_LEN - off < per_frame ? PATTERN_LEN - off
							   : per_frame;
		bool last = off + len == PATTERN_LEN;
		uint8_t flags = (frames == 0 && ecn ? 0x80 : 0) |
				(last ? 0x09 : 0x08); /* CWR, FIN, PSH */
		size_t got = 0;
		bool first = true;

		send_frame(build(v6, 6, off, len, gso, seq0 + (uint32_t)off,
				 flags, ecn));
		frames++;
		while (got < len) {
			const uint8_t *ip = rbuf + 14;
			ssize_t n;
			bool fin_seen;

			assert_true(readable(fd, 2000));
			n = recv(fd, rbuf, sizeof(rbuf), 0);
			assert_true(n > 14);
			/* Only our TCP segments (not ND, MLD, ...). */
			if (get16(rbuf + 12) != (v6 ? 0x86dd : 0x0800) ||
			    (v6 ? ip[6] : ip[9]) != 6 ||
			    get16(ip + (v6 ? 40 : 20) + 2) != TCP_DPORT)
				continue;
			if ((ip + (v6 ? 40 : 20))[13] & 0x80)
				cwr++;
			got += check_segment(v6, rbuf, (size_t)n, &next, seq0,
					     first, &fin_seen);
			first = false;
			segs++;
			if (fin_seen) {
				fin++;
				assert_true(last && got == len);
			}
			if (got < len)
				assert_false(fin_seen);
		}
		off += len;
		drain_tap();
	}
	close(fd);
	stats(&b);
	fprintf(stderr, "tso %s%s: %lu frames -> %lu segments, cwr %lu\n",
		v6 ? "ipv6" : "ipv4", ecn ? " ecn" : "", frames, segs, cwr);
	assert_int_equal(next - seq0, PATTERN_LEN);
	assert_int_equal(fin, 1);
	assert_int_equal(cwr, ecn ? 1 : 0);
	assert_int_equal(b.sw_gso_frames - a.sw_gso_frames, frames);
	assert_int_equal(b.sw_gso_segments - a.sw_gso_segments, segs);
	assert_int_equal(b.tx_gso - a.tx_gso, 0);
}

static void test_tso(void **state)
{
	struct csum_errors e0, e1;

	csum_errors(&e0);
	tso_stream(false, true);
	tso_stream(true, false);
	csum_errors(&e1);
	assert_int_equal(e1.tcp, e0.tcp);
}

static void test_needs_csum(void **state)
{
	struct vtap_queue_stats a, b;
	struct csum_errors e0, e1;
	int fd4 = udp_socket(false), fd6 = udp_socket(true);
	ssize_t n;
	size_t len;

	csum_errors(&e0);
	stats(&a);
	for (int i = 0; i < 8; i++) {
		bool v6 = i & 1;
		int fd = v6 ? fd6 : fd4;

		send_frame(
			build(v6, 17, (size_t)i * 1000, 1000, 0, 0, 0, false));
		assert_true(readable(fd, 2000));
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		assert_int_equal(n, 1000);
		assert_memory_equal(rbuf, pattern + i * 1000, 1000);
	}
	stats(&b);
	assert_int_equal(b.sw_csum - a.sw_csum, 8);
	assert_int_equal(b.tx_packets - a.tx_packets, 8);
	csum_errors(&e1);
	assert_int_equal(e1.udp, e0.udp);
	assert_int_equal(e1.udp6, e0.udp6);

	/* Control: the seed alone, NEEDS_CSUM cleared, is a bad checksum
	 * the namespace counts (so the counters above are live). */
	len = build(false, 17, 0, 1000, 0, 0, 0, false);
	fbuf[0] = 0;
	send_frame(len);
	assert_false(readable(fd4, 200));
	csum_errors(&e1);
	assert_int_equal(e1.udp, e0.udp + 1);
	close(fd4);
	close(fd6);
}

/*
 * With the offloads in the kernel, frames pass untouched. The kernel's set
 * is probed, never assumed: tap USO arrived in 6.2, so on 6.1 USO frames
 * still take the software path while TSO passes.
 */
static void test_kernel_offloads_pass(void **state)
{
	const uint32_t pinned = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
				VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_TSO_ECN |
				VTAP_OFFLOAD_USO;
	struct vtap_dev_features f;
	struct vtap_queue_stats a, b;
	uint32_t all, soft;
	bool uso;
	int fd = udp_socket(false);
	ssize_t n;

	assert_int_equal(vtap_dev__features(dev, &f), 0);
	all = pinned & f.offloads;
	soft = pinned & ~f.offloads; /* what this kernel's tap cannot take */
	uso = f.offloads & VTAP_OFFLOAD_USO;
	fprintf(stderr, "kernel offloads 0x%x, in software 0x%x\n", all, soft);
	/* Every kernel vtap supports (6.1 on) has CSUM, TSO and TSO_ECN. */
	assert_int_equal(soft & ~VTAP_OFFLOAD_USO, 0);
	/* Asking for what the kernel lacks fails and changes nothing. */
	if (!uso)
		assert_int_equal(vtap_dev__set_offloads(dev, pinned),
				 -EOPNOTSUPP);
	/* Only TSO_ECN (and what the kernel lacks) missing: software. */
	assert_int_equal(
		vtap_dev__set_offloads(dev, all & ~VTAP_OFFLOAD_TSO_ECN), 0);
	assert_int_equal(vtap_dev__sw_offloads(dev),
			 VTAP_OFFLOAD_TSO_ECN | soft);
	/* The kernel has what it can: nothing else in software. */
	assert_int_equal(vtap_dev__set_offloads(dev, all), 0);
	assert_int_equal(vtap_dev__sw_offloads(dev), soft);
	stats(&a);
	send_frame(build(false, 17, 0, 14720, 1472, 0, 0, false));
	send_frame(build(false, 6, 0, 14480, 1448, 1, 0, false));
	send_frame(build(false, 17, 0, 1000, 0, 0, 0, false));
	stats(&b);
	if (uso) {
		assert_int_equal(b.tx_gso - a.tx_gso, 2);
		assert_int_equal(b.tx_packets - a.tx_packets, 3);
		assert_int_equal(b.sw_gso_frames + b.sw_csum,
				 a.sw_gso_frames + a.sw_csum);
	} else {
		/* The USO frame went out as 10 datagrams made here. */
		assert_int_equal(b.tx_gso - a.tx_gso, 1);
		assert_int_equal(b.tx_packets - a.tx_packets, 12);
		assert_int_equal(b.sw_gso_frames - a.sw_gso_frames, 1);
		assert_int_equal(b.sw_gso_segments - a.sw_gso_segments, 10);
	}
	for (int i = 0; i < 11; i++) { /* 10 segments + 1 */
		assert_true(readable(fd, 2000));
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		assert_true(n == 1472 || n == 1000);
	}

	/* Forced: USO in software, TSO still by the kernel. */
	assert_int_equal(vtap_dev__set_sw_offloads(dev, VTAP_OFFLOAD_USO), 0);
	assert_int_equal(vtap_dev__sw_offloads(dev), VTAP_OFFLOAD_USO);
	stats(&a);
	send_frame(build(false, 17, 0, 14720, 1472, 0, 0, false));
	send_frame(build(false, 6, 0, 14480, 1448, 1, 0, false));
	stats(&b);
	assert_int_equal(b.sw_gso_frames - a.sw_gso_frames, 1);
	assert_int_equal(b.sw_gso_segments - a.sw_gso_segments, 10);
	assert_int_equal(b.tx_gso - a.tx_gso, 1);
	for (int i = 0; i < 10; i++) {
		assert_true(readable(fd, 2000));
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		assert_int_equal(n, 1472);
		assert_memory_equal(rbuf, pattern + i * 1472, 1472);
	}
	close(fd);
	assert_int_equal(vtap_dev__set_sw_offloads(dev, 1u << 20), -EINVAL);
	drain_tap();
}

/* vtapctl reads the live handle's counters and software set. */
static void test_vtapctl(void **state)
{
	const char *b = getenv("VTAP_BUILDDIR") ?: "build";
	struct vtap_queue_stats st;
	char out[65536], want[64];

	stats(&st);
	assert_int_equal(nt_sh_out(out, sizeof(out),
				   "ip netns exec %s %s/src/tools/vtapctl -j "
				   "stats dev %s",
				   ns, b, tap),
			 0);
	snprintf(want, sizeof(want), "\"sw_gso_segments\":%llu",
		 (unsigned long long)st.sw_gso_segments);
	assert_non_null(strstr(out, want));
	assert_int_equal(nt_sh_out(out, sizeof(out),
				   "ip netns exec %s %s/src/tools/vtapctl -j "
				   "offload show dev %s",
				   ns, b, tap),
			 0);
	/* USO was forced into software by test_kernel_offloads_pass. */
	assert_non_null(
		strstr(out, "{\"name\":\"uso\",\"state\":\"software\""));
	assert_non_null(strstr(out, "{\"name\":\"tso4\",\"state\":\"kernel\""));
	assert_non_null(strstr(out, "\"handles\":1"));
	assert_int_equal(nt_sh_out(out, sizeof(out),
				   "ip netns exec %s %s/src/tools/vtapctl -j "
				   "stats dev %s watch count 2 | wc -l",
				   ns, b, tap),
			 0);
	assert_int_equal(atoi(out), 2);
	assert_int_equal(nt_sh("%s/src/tools/vtapctl stats dev %s count 2 "
			       "2>/dev/null",
			       b, tap),
			 2);
}

static int setup(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .vnet_hdr_len = HDR,
		       .flags = VTAP_DEV_SET_OFFLOADS | VTAP_DEV_PIN,
		       .offloads = 0,
		       .pinned = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
				 VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_TSO_ECN |
				 VTAP_OFFLOAD_USO);

	inet_pton(AF_INET6, "fd78::2", guest6);
	inet_pton(AF_INET6, "fd78::1", host6);
	pattern = malloc(PATTERN_LEN);
	fbuf = malloc(HDR + VTAP_FRAME_MAX);
	if (!pattern || !fbuf)
		return -1;
	srand(77);
	for (size_t i = 0; i < PATTERN_LEN; i++)
		pattern[i] = (uint8_t)rand();
	nt_name(tap, sizeof(tap), "sg");
	nt_name(ns, sizeof(ns), "sgn");
	if (nt_ns_add(ns))
		return -1;
	dev = nt_dev_open(tap, &o);
	if (!dev)
		return -1;
	q = vtap_dev__queue(dev, 0);
	/* Moved by the library: its counters follow into the namespace. */
	if (nt_dev_into_ns(dev, ns, 78, "02:78:00:00:00"))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	vtap_dev__close(dev);
	free(pattern);
	free(fbuf);
	nt_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uso),
		cmocka_unit_test(test_ufo),
		cmocka_unit_test(test_tso),
		cmocka_unit_test(test_needs_csum),
		cmocka_unit_test(test_kernel_offloads_pass),
		cmocka_unit_test(test_vtapctl),
	};

	nt_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
