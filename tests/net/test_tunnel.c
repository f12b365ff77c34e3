// SPDX-License-Identifier: MIT
/*
 * test_tunnel.c - UDP tunnel GSO segmented in software, against the kernel
 *
 * User space plays a guest behind a tap with the 24-byte vnet header
 * (virtio_net_hdr_v1_hash_tunnel) whose netdev lives in namespace NS
 * (10.83.0.1; the guest is 10.83.0.2). NS has a VXLAN device (VNI 42, port
 * 4789, 10.84.0.1/24) and, where the kernel has the module, a Geneve
 * device (VNI 43, 10.85.0.1/24), whose remote is the guest. UDP tunnel GSO
 * is in the device's software set (forced here; a kernel without it
 * refuses such frames with EINVAL and vtap learns the same), so vtap
 * segments the frames. The guest sends 1 MiB of TCP (a pattern) in VXLAN
 * (and Geneve) tunnel GSO frames, with and without the outer UDP
 * checksum; in NS, a packet socket on the tunnel device (GRO off) sees
 * every inner segment: IP and TCP checksums verify (computed here),
 * sequence numbers follow, payloads are the pattern. NS's UDP and TCP
 * InCsumErrors do not move: the kernel's UDP receive checked the outer
 * checksums where present.
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
#include <unistd.h>

#include <cmocka.h>

#include "netns.h"
#include "vtap/vtap.h"

#define HDR VTAP_VNET_HDR_TUNNEL_LEN
#define PATTERN_LEN (1u << 20)
#define TCP_DPORT 9002
#define GSO 1300

static const uint8_t guest_mac[6] = {0x02, 0x83, 0, 0, 0, 0x02};
static const uint8_t tap_mac[6] = {0x02, 0x83, 0, 0, 0, 0x01};
static const uint8_t inner_guest_mac[6] = {0x02, 0x84, 0, 0, 0, 0x02};
static const uint8_t vx_mac[6] = {0x02, 0x84, 0, 0, 0, 0x01};
static const uint8_t gn_mac[6] = {0x02, 0x85, 0, 0, 0, 0x01};
static const uint8_t guest4[4] = {10, 83, 0, 2}, host4[4] = {10, 83, 0, 1};

static char ns[16], tap[16];
static struct vtap_dev *dev;
static struct vtap_queue *q;
static uint8_t *pattern, *fbuf;
static uint8_t rbuf[65536];
static bool have_geneve;

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

static void ipv4(uint8_t *ip, const uint8_t *src, const uint8_t *dst,
		 uint8_t proto, size_t len, uint16_t id)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)len);
	put16(ip + 4, id);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
}

/*
 * A tunnel GSO frame in fbuf: outer Ethernet, IPv4, UDP to @port, the
 * tunnel header (VXLAN, or Geneve with 8 bytes of options), inner Ethernet
 * to @mac, IPv4 10.@net.0.2 > 10.@net.0.1, TCP with @seq and @len pattern
 * bytes from @off. Return: the length with the vnet header.
 */
static size_t build(bool geneve, bool ocsum, size_t off, size_t len,
		    uint32_t seq, uint8_t flags)
{
	const uint8_t net = geneve ? 85 : 84;
	const uint8_t isrc[4] = {10, net, 0, 2}, idst[4] = {10, net, 0, 1};
	const size_t tl = geneve ? 16 : 8;
	uint8_t *eth = fbuf + HDR, *oip = eth + 14, *uh = oip + 20;
	uint8_t *th = uh + 8, *ieth = th + tl, *iip = ieth + 14;
	uint8_t *tcp = iip + 20;
	size_t inner = 14 + 20 + 20 + len;
	struct vtap_vnet_hdr h = {0};

	memset(fbuf, 0, HDR + (size_t)(tcp + 20 - eth));
	memcpy(eth, tap_mac, 6);
	memcpy(eth + 6, guest_mac, 6);
	put16(eth + 12, 0x0800);
	ipv4(oip, guest4, host4, 17, 20 + 8 + tl + inner, 0x4000);
	put16(uh, 50000);
	put16(uh + 2, geneve ? 6081 : 4789);
	put16(uh + 4, (uint16_t)(8 + tl + inner));
	if (geneve) {
		th[0] = 2; /* 8 bytes of options */
		put16(th + 2, 0x6558);
		th[6] = 43; /* VNI */
		put16(th + 8, 0xff01); /* experimental option class */
		th[10] = 0x01;
		th[11] = 1; /* 4 bytes of data */
	} else {
		th[0] = 0x08;
		th[6] = 42;
	}
	memcpy(ieth, geneve ? gn_mac : vx_mac, 6);
	memcpy(ieth + 6, inner_guest_mac, 6);
	put16(ieth + 12, 0x0800);
	ipv4(iip, isrc, idst, 6, 20 + 20 + len, 0x100);
	put16(tcp, 45000);
	put16(tcp + 2, TCP_DPORT);
	put32(tcp + 4, seq);
	put32(tcp + 8, 1);
	tcp[12] = 5 << 4;
	tcp[13] = flags | 0x10;
	put16(tcp + 14, 65535);
	memcpy(tcp + 20, pattern + off, len);
	/* the inner seed, the pseudo-header without length */
	put16(tcp + 16, fold(sum16(iip + 12, 8, 6)));

	h.flags = VTAP_VNET_F_NEEDS_CSUM |
		  (ocsum ? VTAP_VNET_F_UDP_TUNNEL_CSUM : 0);
	h.gso_type = VTAP_VNET_GSO_TCPV4 | VTAP_VNET_GSO_UDP_TUNNEL_IPV4;
	h.gso_size = GSO;
	h.csum_start = (uint16_t)(tcp - eth);
	h.csum_offset = 16;
	h.hdr_len = (uint16_t)(tcp + 20 - eth);
	h.outer_th_offset = (uint16_t)(uh - eth);
	h.inner_nh_offset = (uint16_t)(iip - eth);
	assert_int_equal(vtap_vnet__encode(&h, fbuf, HDR), 0);
	return HDR + (size_t)(tcp + 20 - eth) + len;
}

static unsigned long snmp_udp_tcp_errors(void)
{
	char out[8192];
	unsigned long n = 0;
	char *p = out;

	assert_int_equal(nt_sh_out(out, sizeof(out),
				   "ip netns exec %s cat /proc/net/snmp", ns),
			 0);
	/* Tcp: and Udp: value lines: InCsumErrors is a column; summing
	 * every line's numbers would not do, so read the columns. */
	for (int proto = 0; proto < 2; proto++) {
		const char *name = proto ? "\nUdp:" : "\nTcp:";
		char *hdr = strstr(p, name), *val, *save1, *save2, *k, *v;

		assert_non_null(hdr);
		hdr++;
		val = strchr(hdr, '\n');
		assert_non_null(val);
		val++;
		{
			char hl[1024], vl[1024];
			size_t a = (size_t)(strchr(hdr, '\n') - hdr);
			size_t b = (size_t)(strchr(val, '\n') - val);

			snprintf(hl, sizeof(hl), "%.*s", (int)a, hdr);
			snprintf(vl, sizeof(vl), "%.*s", (int)b, val);
			k = strtok_r(hl, " ", &save1);
			v = strtok_r(vl, " ", &save2);
			while (k && v) {
				if (!strcmp(k, "InCsumErrors"))
					n += strtoul(v, NULL, 10);
				k = strtok_r(NULL, " ", &save1);
				v = strtok_r(NULL, " ", &save2);
			}
		}
	}
	return n;
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

static bool readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static void drain_tap(void)
{
	static uint8_t buf[HDR + VTAP_FRAME_MAX];
	struct vtap_frame f = {.buf = buf, .cap = sizeof(buf)};

	while (vtap_queue__recv(q, &f, 1) > 0)
		;
}

/* A packet socket on NS's device @ifname. */
static int capture(const char *ifname)
{
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL)};
	int fd, one = 1, size = 16 << 20;

	fd = ns_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	assert_int_equal(nt_enter(ns), 0);
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	assert_int_equal(nt_enter(NULL), 0);
	assert_true(ll.sll_ifindex > 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&ll, sizeof(ll)), 0);
	return fd;
}

static void stream(bool geneve, bool ocsum)
{
	const uint32_t seq0 = 0xfff00000u;
	const size_t per_frame = (size_t)GSO * 40;
	struct vtap_queue_stats a, b;
	unsigned long frames = 0, segs = 0;
	uint32_t next = seq0;
	size_t off = 0;
	int fd = capture(geneve ? "gn0" : "vx0");

	assert_int_equal(vtap_queue__stats(q, &a), 0);
	while (off < PATTERN_LEN) {
		size_t len = PATTERN_LEN - off < per_frame ? PATTERN_LEN - off
							   : per_frame;
		struct vtap_frame f = {.buf = fbuf};
		size_t got = 0;

		f.len = f.cap = build(geneve, ocsum, off, len,
				      seq0 + (uint32_t)off, 0x08);
		assert_int_equal(vtap_queue__send(q, &f, 1), 1);
		assert_int_equal(f.drop, -1);
		frames++;
		while (got < len) {
			const uint8_t *ip = rbuf + 14, *tcp = ip + 20;
			size_t l4len, plen;
			ssize_t n;

			assert_true(readable(fd, 2000));
			n = recv(fd, rbuf, sizeof(rbuf), 0);
			assert_true(n > 14);
			if (get16(rbuf + 12) != 0x0800 || ip[9] != 6 ||
			    get16(tcp + 2) != TCP_DPORT)
				continue;
			assert_memory_equal(rbuf + 6, inner_guest_mac, 6);
			assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff);
			assert_int_equal(get16(ip + 2), (size_t)n - 14);
			l4len = (size_t)n - 34;
			assert_int_equal(fold(sum16(tcp, l4len,
						    sum16(ip + 12, 8, 6) +
							    (uint32_t)l4len)),
					 0xffff);
			assert_int_equal(get32(tcp + 4), next);
			plen = l4len - 20;
			assert_true(plen <= GSO);
			assert_memory_equal(tcp + 20, pattern + off + got,
					    plen);
			next += (uint32_t)plen;
			got += plen;
			segs++;
		}
		off += len;
		drain_tap();
	}
	close(fd);
	assert_int_equal(vtap_queue__stats(q, &b), 0);
	fprintf(stderr, "%s, outer csum %s: %lu frames -> %lu segments\n",
		geneve ? "geneve" : "vxlan", ocsum ? "on" : "off", frames,
		segs);
	assert_int_equal(next - seq0, PATTERN_LEN);
	assert_int_equal(b.sw_gso_frames - a.sw_gso_frames, frames);
	assert_int_equal(b.sw_gso_segments - a.sw_gso_segments, segs);
}

static void test_tunnels(void **state)
{
	unsigned long e0 = snmp_udp_tcp_errors();

	(void)state;
	assert_true(vtap_dev__sw_offloads(dev) & VTAP_OFFLOAD_UDP_TUNNEL);
	stream(false, true);
	stream(false, false);
	if (have_geneve) {
		stream(true, true);
		stream(true, false);
	}
	assert_int_equal(snmp_udp_tcp_errors(), e0);
}

static int setup(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .vnet_hdr_len = HDR,
		       .flags = VTAP_DEV_SET_OFFLOADS,
		       .offloads = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
				   VTAP_OFFLOAD_TSO6);

	(void)state;
	pattern = malloc(PATTERN_LEN);
	fbuf = malloc(HDR + VTAP_FRAME_MAX);
	if (!pattern || !fbuf)
		return -1;
	srand(83);
	for (size_t i = 0; i < PATTERN_LEN; i++)
		pattern[i] = (uint8_t)rand();
	nt_name(tap, sizeof(tap), "tn");
	nt_name(ns, sizeof(ns), "tnn");
	if (nt_ns_add(ns))
		return -1;
	dev = nt_dev_open(tap, &o);
	if (!dev)
		return -1;
	q = vtap_dev__queue(dev, 0);
	/* The software path, whatever the kernel's write path takes (6.17+
	 * takes tunnel GSO frames even without the offload set; older
	 * kernels refuse them with EINVAL, and vtap learns the same). */
	if (vtap_dev__set_sw_offloads(dev,
				      VTAP_OFFLOAD_UDP_TUNNEL |
					      VTAP_OFFLOAD_UDP_TUNNEL_CSUM))
		return -1;
	if (nt_link_into_ns(tap, ns, 83, "02:83:00:00:00"))
		return -1;
	if (nt_sh("ip -n %s link add vx0 address 02:84:00:00:00:01 type vxlan "
		  "id 42 dstport 4789 local 10.83.0.1 remote 10.83.0.2 "
		  "dev %s && "
		  "ip -n %s addr add 10.84.0.1/24 dev vx0 && "
		  "ip -n %s link set vx0 up && "
		  "ip netns exec %s ethtool -K vx0 gro off",
		  ns, tap, ns, ns, ns)) {
		fprintf(stderr, "SKIP: kernel: no vxlan devices here\n");
		nt_cleanup();
		exit(NT_SKIP);
	}
	/* Geneve is a module some kernels lack: then VXLAN only (the
	 * unit tests segment Geneve frames). */
	have_geneve =
		!nt_sh("ip -n %s link add gn0 address 02:85:00:00:00:01 type "
		       "geneve id 43 remote 10.83.0.2 2>/dev/null && "
		       "ip -n %s addr add 10.85.0.1/24 dev gn0 && "
		       "ip -n %s link set gn0 up && "
		       "ip netns exec %s ethtool -K gn0 gro off",
		       ns, ns, ns, ns);
	if (!have_geneve)
		fprintf(stderr, "no geneve devices here: VXLAN only\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vtap_dev__close(dev);
	free(pattern);
	free(fbuf);
	nt_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnels),
	};

	nt_require_root();
	/* The tunnel devices' GRO is turned off with ethtool. */
	if (nt_sh("command -v ethtool >/dev/null")) {
		fprintf(stderr, "SKIP: missing tool ethtool (apt-get install "
				"ethtool; scripts/setup.sh installs it)\n");
		return NT_SKIP;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
