// SPDX-License-Identifier: MIT
/*
 * test_rss.c - the RSS cascade on real frames (frames.h) against the public
 * Toeplitz vectors and against an independent oracle written here: every
 * hash-type mask for every frame kind, the _EX rule with and without HAO
 * and RH2, truncation at every length, queue selection, config validation
 *
 * The oracle knows each frame from how it was built (struct truth), not
 * from vtap_pkt__parse(), and hashes with its own bit-by-bit Toeplitz.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"
#include "vtap/vtap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ----------------------------------------------------------------------- */
/* the oracle                                                              */
/* ----------------------------------------------------------------------- */

/* What a frame holds, as its builder knows it. */
struct truth {
	int ver; /* 4, 6, or 0: no usable IP header */
	uint8_t proto; /* 6 or 17 when @ports */
	bool ports; /* TCP/UDP, not a fragment, ports inside the frame */
	bool has_hao;
	bool has_rh2;
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t hao[16];
	uint8_t rh2[16];
	uint16_t sport; /* host order */
	uint16_t dport;
};

/* Toeplitz, one input bit at a time, one key bit at a time. */
static uint32_t ref_toeplitz(const uint8_t *key, size_t key_len,
			     const uint8_t *in, size_t len)
{
	uint32_t h = 0;

	for (size_t i = 0; i < len * 8; i++) {
		uint32_t window = 0;

		if (!((in[i / 8] >> (7 - i % 8)) & 1))
			continue;
		for (size_t j = 0; j < 32; j++) {
			size_t k = i + j;
			unsigned int bit = 0;

			if (k / 8 < key_len)
				bit = (key[k / 8] >> (7 - k % 8)) & 1;
			window = window << 1 | bit;
		}
		h ^= window;
	}
	return h;
}

/* The spec's list for one family, in priority order. */
struct candidate {
	uint32_t type;
	int report;
	bool applies;
	bool ex; /* EX addresses */
	bool ports; /* 4-tuple */
};

/* Expected report and Toeplitz input for @t under @types. */
static int oracle(uint32_t types, const struct truth *t, uint8_t *in,
		  size_t *ret_len)
{
	bool tcp = t->ports && t->proto == 6;
	bool udp = t->ports && t->proto == 17;
	struct candidate v4[] = {
		{VTAP_HASH_TYPE_TCPV4, 2, tcp, false, true},
		{VTAP_HASH_TYPE_UDPV4, 3, udp, false, true},
		{VTAP_HASH_TYPE_IPV4, 1, true, false, false},
	};
	struct candidate v6[] = {
		{VTAP_HASH_TYPE_TCPV6_EX, 8, tcp, true, true},
		{VTAP_HASH_TYPE_TCPV6, 5, tcp, false, true},
		{VTAP_HASH_TYPE_UDPV6_EX, 9, udp, true, true},
		{VTAP_HASH_TYPE_UDPV6, 6, udp, false, true},
		{VTAP_HASH_TYPE_IPV6_EX, 7, true, true, false},
		{VTAP_HASH_TYPE_IPV6, 4, true, false, false},
	};
	struct candidate *c;
	size_t n, alen = t->ver == 4 ? 4 : 16;

	if (t->ver == 4) {
		c = v4;
		n = ARRAY_LEN(v4);
	} else if (t->ver == 6) {
		c = v6;
		n = ARRAY_LEN(v6);
	} else {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;

		if (!c[i].applies || !(types & c[i].type))
			continue;
		memcpy(in, c[i].ex && t->has_hao ? t->hao : t->src, alen);
		memcpy(in + alen, c[i].ex && t->has_rh2 ? t->rh2 : t->dst,
		       alen);
		len = 2 * alen;
		if (c[i].ports) {
			in[len++] = (uint8_t)(t->sport >> 8);
			in[len++] = (uint8_t)t->sport;
			in[len++] = (uint8_t)(t->dport >> 8);
			in[len++] = (uint8_t)t->dport;
		}
		*ret_len = len;
		return c[i].report;
	}
	return 0;
}

/* ----------------------------------------------------------------------- */
/* frame kinds                                                             */
/* ----------------------------------------------------------------------- */

static uint8_t a4_src[4] = {10, 1, 2, 3}, a4_dst[4] = {172, 16, 9, 200};
static uint8_t a6_src[16], a6_dst[16], a6_hao[16], a6_rh2[16];

/* A built frame, its truth and what truncation needs to know. */
struct sample {
	const char *name;
	unsigned int flags; /* VTAP_PKT_L3 */
	struct frame f;
	struct truth t;
	size_t l3_end; /* end of the IP header (IPv4 options included) */
	size_t hao_end;
	size_t rh2_end;
	size_t ports_end; /* l4_off + 4 */
};

static void start(struct sample *s, const char *name, int vlans, bool l3)
{
	memset(&s->t, 0, sizeof(s->t));
	s->name = name;
	s->flags = l3 ? VTAP_PKT_L3 : 0;
	s->hao_end = s->rh2_end = s->ports_end = 0;
	frame_init(&s->f);
	if (!l3)
		frame_eth(&s->f, NULL, NULL);
	if (vlans >= 1)
		frame_vlan(&s->f, FRAME_ETH_P_8021AD, 100);
	if (vlans >= 2)
		frame_vlan(&s->f, FRAME_ETH_P_8021Q, 200);
}

static void ip4(struct sample *s, size_t opts, uint16_t frag)
{
	frame_ipv4_ex(&s->f, a4_src, a4_dst, NULL, opts, frag);
	s->t.ver = 4;
	memcpy(s->t.src, a4_src, 4);
	memcpy(s->t.dst, a4_dst, 4);
	s->l3_end = s->f.len;
}

static void ip6(struct sample *s)
{
	frame_ipv6(&s->f, a6_src, a6_dst);
	s->t.ver = 6;
	memcpy(s->t.src, a6_src, 16);
	memcpy(s->t.dst, a6_dst, 16);
	s->l3_end = s->f.len;
}

static void hao(struct sample *s)
{
	frame_ipv6_hao(&s->f, a6_hao);
	if (!s->t.has_hao) {
		s->t.has_hao = true;
		memcpy(s->t.hao, a6_hao, 16);
		s->hao_end = s->f.len;
	}
}

static void rh2(struct sample *s)
{
	frame_ipv6_rh2(&s->f, a6_rh2);
	if (!s->t.has_rh2) {
		s->t.has_rh2 = true;
		memcpy(s->t.rh2, a6_rh2, 16);
		s->rh2_end = s->f.len;
	}
}

/* TCP (6) or UDP (17); @usable: the frame's truth says ports count. */
static void l4(struct sample *s, uint8_t proto, bool usable)
{
	uint16_t sport = 40000 + (uint16_t)strlen(s->name), dport = 443;

	if (proto == 6)
		frame_tcp(&s->f, sport, dport);
	else
		frame_udp(&s->f, sport, dport);
	s->t.proto = proto;
	s->t.ports = usable;
	s->t.sport = sport;
	s->t.dport = dport;
	s->ports_end = s->f.l4_off + 4;
}

static void finish(struct sample *s)
{
	frame_payload(&s->f, NULL, 17);
	frame_finish(&s->f);
}

enum kind {
	K_V4_TCP,
	K_V4_UDP,
	K_V4_ICMP,
	K_V4_OPTS_TCP,
	K_V4_FRAG_FIRST,
	K_V4_FRAG_LATER,
	K_V4_VLAN_UDP,
	K_V4_QINQ_TCP,
	K_V4_PORTS_CUT,
	K_V6_TCP,
	K_V6_UDP,
	K_V6_ICMP,
	K_V6_HAO_TCP,
	K_V6_RH2_UDP,
	K_V6_HAO_RH2_TCP,
	K_V6_HAO_RH2_UDP,
	K_V6_HAO_RH2_ICMP,
	K_V6_FRAG_HAO_RH2,
	K_V6_CHAIN8_TCP,
	K_V6_CHAIN9_TCP,
	K_V6_AH_UDP,
	K_V6_QINQ_RH2_TCP,
	K_TUN_V4_UDP,
	K_TUN_V6_HAO_TCP,
	K_ARP,
	K_V4_BAD_VERSION,
	K__COUNT,
};

static void build(struct sample *s, enum kind k)
{
	switch (k) {
	case K_V4_TCP:
		start(s, "v4 tcp", 0, false);
		ip4(s, 0, FRAME_IPV4_DF);
		l4(s, 6, true);
		break;
	case K_V4_UDP:
		start(s, "v4 udp", 0, false);
		ip4(s, 0, 0);
		l4(s, 17, true);
		break;
	case K_V4_ICMP:
		start(s, "v4 icmp", 0, false);
		ip4(s, 0, 0);
		frame_icmp(&s->f, 8, 0);
		break;
	case K_V4_OPTS_TCP:
		start(s, "v4 options tcp", 0, false);
		ip4(s, 24, 0);
		l4(s, 6, true);
		break;
	case K_V4_FRAG_FIRST:
		start(s, "v4 first fragment tcp", 0, false);
		ip4(s, 0, FRAME_IPV4_MF);
		l4(s, 6, false);
		break;
	case K_V4_FRAG_LATER:
		start(s, "v4 later fragment udp", 0, false);
		ip4(s, 0, FRAME_IPV4_OFFSET(1480));
		l4(s, 17, false); /* looks like ports, but is payload */
		break;
	case K_V4_VLAN_UDP:
		start(s, "v4 vlan udp", 1, false);
		ip4(s, 4, 0);
		l4(s, 17, true);
		break;
	case K_V4_QINQ_TCP:
		start(s, "v4 qinq tcp", 2, false);
		ip4(s, 0, 0);
		l4(s, 6, true);
		break;
	case K_V4_PORTS_CUT:
		start(s, "v4 tcp, 3 bytes of ports", 0, false);
		ip4(s, 0, 0);
		frame_proto(&s->f, 6);
		frame_payload(&s->f, NULL, 3);
		s->t.proto = 6;
		frame_finish(&s->f);
		return; /* no payload: the frame ends inside the ports */
	case K_V6_TCP:
		start(s, "v6 tcp", 0, false);
		ip6(s);
		l4(s, 6, true);
		break;
	case K_V6_UDP:
		start(s, "v6 udp", 0, false);
		ip6(s);
		l4(s, 17, true);
		break;
	case K_V6_ICMP:
		start(s, "v6 icmp", 0, false);
		ip6(s);
		frame_icmp(&s->f, 128, 0);
		break;
	case K_V6_HAO_TCP:
		start(s, "v6 hao tcp", 0, false);
		ip6(s);
		hao(s);
		l4(s, 6, true);
		break;
	case K_V6_RH2_UDP:
		start(s, "v6 rh2 udp", 0, false);
		ip6(s);
		rh2(s);
		l4(s, 17, true);
		break;
	case K_V6_HAO_RH2_TCP:
		start(s, "v6 hbh rh2 hao tcp", 0, false);
		ip6(s);
		frame_ipv6_ext(&s->f, FRAME_IPPROTO_HOPOPTS, NULL, 6);
		rh2(s);
		hao(s);
		l4(s, 6, true);
		break;
	case K_V6_HAO_RH2_UDP:
		start(s, "v6 hao rh2 udp", 0, false);
		ip6(s);
		hao(s);
		rh2(s);
		l4(s, 17, true);
		break;
	case K_V6_HAO_RH2_ICMP:
		start(s, "v6 hao rh2 icmp", 0, false);
		ip6(s);
		rh2(s);
		hao(s);
		frame_icmp(&s->f, 128, 0);
		break;
	case K_V6_FRAG_HAO_RH2:
		start(s, "v6 rh2 hao fragment tcp", 0, false);
		ip6(s);
		rh2(s);
		hao(s);
		frame_ipv6_frag(&s->f, 0, true, 99);
		l4(s, 6, false);
		break;
	case K_V6_CHAIN8_TCP:
		start(s, "v6 8 headers tcp", 0, false);
		ip6(s);
		hao(s);
		for (int i = 0; i < 6; i++)
			frame_ipv6_ext(&s->f, FRAME_IPPROTO_DSTOPTS, NULL, 6);
		rh2(s);
		l4(s, 6, true);
		break;
	case K_V6_CHAIN9_TCP:
		start(s, "v6 9 headers tcp", 0, false);
		ip6(s);
		hao(s);
		for (int i = 0; i < 6; i++)
			frame_ipv6_ext(&s->f, FRAME_IPPROTO_DSTOPTS, NULL, 6);
		rh2(s);
		frame_ipv6_ah(&s->f, 5);
		l4(s, 6, false);
		break;
	case K_V6_AH_UDP:
		start(s, "v6 ah udp", 0, false);
		ip6(s);
		frame_ipv6_ah(&s->f, 7);
		l4(s, 17, true);
		break;
	case K_V6_QINQ_RH2_TCP:
		start(s, "v6 qinq rh2 tcp", 2, false);
		ip6(s);
		rh2(s);
		l4(s, 6, true);
		break;
	case K_TUN_V4_UDP:
		start(s, "tun v4 udp", 0, true);
		ip4(s, 0, 0);
		l4(s, 17, true);
		break;
	case K_TUN_V6_HAO_TCP:
		start(s, "tun v6 hao tcp", 0, true);
		ip6(s);
		hao(s);
		l4(s, 6, true);
		break;
	case K_ARP:
		start(s, "arp", 0, false);
		frame_arp(&s->f);
		s->l3_end = s->f.len;
		break;
	case K_V4_BAD_VERSION:
		start(s, "ipv4 ethertype, version 6", 0, false);
		ip4(s, 0, 0);
		l4(s, 6, true);
		finish(s);
		s->f.data[14] = 0x65;
		memset(&s->t, 0, sizeof(s->t));
		return;
	case K__COUNT:
		fail();
	}
	finish(s);
}

/* ----------------------------------------------------------------------- */
/* helpers                                                                 */
/* ----------------------------------------------------------------------- */

static const uint16_t q_table[VTAP_RSS_TABLE_MAX] = {
#define Q(i) [i] = (uint16_t)(((i)*7 + 3) % 13)
	Q(0),	Q(1),	Q(2),	Q(3),	Q(4),	Q(5),	Q(6),	Q(7),	Q(8),
	Q(9),	Q(10),	Q(11),	Q(12),	Q(13),	Q(14),	Q(15),	Q(16),	Q(17),
	Q(18),	Q(19),	Q(20),	Q(21),	Q(22),	Q(23),	Q(24),	Q(25),	Q(26),
	Q(27),	Q(28),	Q(29),	Q(30),	Q(31),	Q(32),	Q(33),	Q(34),	Q(35),
	Q(36),	Q(37),	Q(38),	Q(39),	Q(40),	Q(41),	Q(42),	Q(43),	Q(44),
	Q(45),	Q(46),	Q(47),	Q(48),	Q(49),	Q(50),	Q(51),	Q(52),	Q(53),
	Q(54),	Q(55),	Q(56),	Q(57),	Q(58),	Q(59),	Q(60),	Q(61),	Q(62),
	Q(63),	Q(64),	Q(65),	Q(66),	Q(67),	Q(68),	Q(69),	Q(70),	Q(71),
	Q(72),	Q(73),	Q(74),	Q(75),	Q(76),	Q(77),	Q(78),	Q(79),	Q(80),
	Q(81),	Q(82),	Q(83),	Q(84),	Q(85),	Q(86),	Q(87),	Q(88),	Q(89),
	Q(90),	Q(91),	Q(92),	Q(93),	Q(94),	Q(95),	Q(96),	Q(97),	Q(98),
	Q(99),	Q(100), Q(101), Q(102), Q(103), Q(104), Q(105), Q(106), Q(107),
	Q(108), Q(109), Q(110), Q(111), Q(112), Q(113), Q(114), Q(115), Q(116),
	Q(117), Q(118), Q(119), Q(120), Q(121), Q(122), Q(123), Q(124), Q(125),
	Q(126), Q(127),
#undef Q
};
#define Q_NUM 13
#define Q_UNCLASSIFIED 12

static struct vtap_rss *new_rss(uint32_t types, const uint8_t *key,
				size_t key_len)
{
	VTAP_OPTS_INIT(vtap_rss_opts, o, .hash_types = types, .key = key,
		       .key_len = key_len, .table = q_table,
		       .table_len = VTAP_RSS_TABLE_MAX,
		       .unclassified_queue = Q_UNCLASSIFIED,
		       .num_queues = Q_NUM);
	struct vtap_rss *rss = vtap_rss__new(&o);

	assert_non_null(rss);
	return rss;
}

/* Hash the first @len bytes of @s from an exact-size heap copy (ASan). */
static struct vtap_rss_result hash_len(const struct vtap_rss *rss,
				       const struct sample *s, size_t len)
{
	struct vtap_rss_result r;
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, s->f.data, len);
	memset(&r, 0xa5, sizeof(r));
	assert_int_equal(vtap_rss__hash(rss, copy, len, s->flags, &r), 0);
	free(copy);
	return r;
}

/*
 * Check @r against the oracle for @t; @what names the case on failure.
 * @queues: the configuration uses q_table and Q_UNCLASSIFIED (check the
 * queue too).
 */
static void check_q(const struct vtap_rss_result *r, uint32_t types,
		    const struct truth *t, const uint8_t *key, size_t key_len,
		    const char *what, bool queues)
{
	uint8_t in[VTAP_TOEPLITZ_INPUT_MAX];
	size_t len = 0;
	int report = oracle(types, t, in, &len);
	uint32_t hash = report ? ref_toeplitz(key, key_len, in, len) : 0;
	uint16_t queue = report ? q_table[hash & (VTAP_RSS_TABLE_MAX - 1)]
				: Q_UNCLASSIFIED;

	if (r->report != report || r->hash != hash ||
	    (queues && r->queue != queue))
		fail_msg("%s, types 0x%03x: got report %u hash 0x%08x queue %u,"
			 " want %d 0x%08x %u",
			 what, types, r->report, r->hash, r->queue, report,
			 hash, queue);
	/* Invariants the fuzzer checks too. */
	if (r->report)
		assert_true(types & (1u << (r->report - 1)));
	else
		assert_int_equal(r->hash, 0);
}

static void check(const struct vtap_rss_result *r, uint32_t types,
		  const struct truth *t, const uint8_t *key, size_t key_len,
		  const char *what)
{
	check_q(r, types, t, key, key_len, what, true);
}

/* ----------------------------------------------------------------------- */
/* the Toeplitz vectors on real frames                                     */
/* ----------------------------------------------------------------------- */

static uint8_t hexval(char c)
{
	return (uint8_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

static FILE *open_vectors(void)
{
	const char *dir = getenv("VTAP_SHARED");
	char path[4096];
	FILE *fp;

	if (!dir)
		fail_msg("VTAP_SHARED is not set (run through meson test)");
	snprintf(path, sizeof(path), "%s/vectors/toeplitz.txt", dir);
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("%s: %s", path, strerror(errno));
	return fp;
}

static void test_vectors(void **state)
{
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
	size_t key_len = 0;
	unsigned int n_lines = 0, n_vectors = 0;
	char line[512];
	FILE *fp = open_vectors();

	(void)state;
	while (fgets(line, sizeof(line), fp)) {
		char src[64], dst[64];
		unsigned int sport, dport, h2, h4;
		struct vtap_rss *all, *l3only, *l4only;
		bool v6;

		if (!strncmp(line, "# key ", 6)) {
			const char *p = line + 6;

			for (key_len = 0; p[0] && p[1] && p[0] != '\n'; p += 2)
				key[key_len++] = (uint8_t)(hexval(p[0]) << 4 |
							   hexval(p[1]));
			continue;
		}
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%63s %u %63s %u %x %x", src,
					&sport, dst, &dport, &h2, &h4),
				 6);
		assert_int_equal(key_len, 40);
		v6 = strchr(src, ':');
		n_lines++;

		all = new_rss(VTAP_HASH_TYPE_ALL, key, key_len);
		l3only = new_rss(VTAP_HASH_TYPE_IPV4 | VTAP_HASH_TYPE_IPV6, key,
				 key_len);
		l4only = new_rss(VTAP_HASH_TYPE_TCPV4 | VTAP_HASH_TYPE_UDPV4 |
					 VTAP_HASH_TYPE_TCPV6 |
					 VTAP_HASH_TYPE_UDPV6,
				 key, key_len);
		/* TCP, UDP and ICMP frames with these addresses and ports. */
		for (int proto = 0; proto < 3; proto++) {
			struct vtap_rss_result r;
			struct sample *s = calloc(1, sizeof(*s));

			assert_non_null(s);
			/* 0, 1 or 2 VLAN tags on the way. */
			start(s, "vector", proto, false);
			if (v6) {
				uint8_t a[16], b[16];

				frame_pton(AF_INET6, src, a);
				frame_pton(AF_INET6, dst, b);
				frame_ipv6(&s->f, a, b);
			} else {
				uint8_t a[4], b[4];

				frame_pton(AF_INET, src, a);
				frame_pton(AF_INET, dst, b);
				frame_ipv4(&s->f, a, b);
			}
			if (proto == 0)
				frame_tcp(&s->f, (uint16_t)sport,
					  (uint16_t)dport);
			else if (proto == 1)
				frame_udp(&s->f, (uint16_t)sport,
					  (uint16_t)dport);
			else
				frame_icmp(&s->f, v6 ? 128 : 8, 0);
			frame_payload(&s->f, NULL, 5);
			frame_finish(&s->f);

			r = hash_len(all, s, s->f.len);
			assert_int_equal(r.hash, proto < 2 ? h4 : h2);
			if (proto == 0)
				assert_int_equal(r.report,
						 v6 ? VTAP_HASH_REPORT_TCPV6_EX
						    : VTAP_HASH_REPORT_TCPV4);
			else if (proto == 1)
				assert_int_equal(r.report,
						 v6 ? VTAP_HASH_REPORT_UDPV6_EX
						    : VTAP_HASH_REPORT_UDPV4);
			else
				assert_int_equal(r.report,
						 v6 ? VTAP_HASH_REPORT_IPV6_EX
						    : VTAP_HASH_REPORT_IPV4);
			assert_int_equal(r.queue, q_table[r.hash & 127]);

			/* Only the L3 types: the 2-tuple hash. */
			r = hash_len(l3only, s, s->f.len);
			assert_int_equal(r.hash, h2);
			assert_int_equal(r.report, v6 ? VTAP_HASH_REPORT_IPV6
						      : VTAP_HASH_REPORT_IPV4);

			/* Only the non-EX L4 types: 4-tuple or nothing. */
			r = hash_len(l4only, s, s->f.len);
			if (proto < 2) {
				assert_int_equal(r.hash, h4);
				assert_int_equal(r.report,
						 (v6 ? 5 : 2) + proto);
			} else {
				assert_int_equal(r.report, 0);
				assert_int_equal(r.hash, 0);
				assert_int_equal(r.queue, Q_UNCLASSIFIED);
			}
			free(s);
		}
		n_vectors += 2;
		vtap_rss__free(all);
		vtap_rss__free(l3only);
		vtap_rss__free(l4only);
	}
	fclose(fp);
	assert_int_equal(n_lines, 8);
	assert_int_equal(n_vectors, 16);
}

/* ----------------------------------------------------------------------- */
/* the cascade                                                             */
/* ----------------------------------------------------------------------- */

/* Every frame kind under all 512 type masks. */
static void test_cascade_exhaustive(void **state)
{
	struct vtap_rss *rss = new_rss(0, vtap_rss_default_key, 40);
	struct sample *s = malloc(sizeof(*s));

	(void)state;
	assert_non_null(s);
	for (int k = 0; k < K__COUNT; k++) {
		build(s, (enum kind)k);
		for (uint32_t types = 0; types <= VTAP_HASH_TYPE_ALL; types++) {
			struct vtap_rss_result r;

			assert_int_equal(vtap_rss__set_types(rss, types), 0);
			r = hash_len(rss, s, s->f.len);
			check(&r, types, &s->t, vtap_rss_default_key, 40,
			      s->name);
		}
	}
	free(s);
	vtap_rss__free(rss);
}

/* The _EX types: HAO/RH2 replace the addresses, with and without them. */
static void test_ex_types(void **state)
{
	static const uint32_t ex_types[] = {
		VTAP_HASH_TYPE_TCPV6_EX,
		VTAP_HASH_TYPE_UDPV6_EX,
		VTAP_HASH_TYPE_IPV6_EX,
	};
	static const int ex_reports[] = {
		VTAP_HASH_REPORT_TCPV6_EX,
		VTAP_HASH_REPORT_UDPV6_EX,
		VTAP_HASH_REPORT_IPV6_EX,
	};
	struct vtap_rss *rss = new_rss(0, vtap_rss_default_key, 40);
	struct sample *s = malloc(sizeof(*s));

	(void)state;
	assert_non_null(s);
	for (int with = 0; with < 4; with++) {
		for (int proto = 0; proto < 3; proto++) {
			start(s, "ex", 0, false);
			ip6(s);
			if (with & 1)
				hao(s);
			if (with & 2)
				rh2(s);
			if (proto < 2)
				l4(s, proto ? 17 : 6, true);
			else
				frame_icmp(&s->f, 128, 0);
			finish(s);
			for (size_t i = 0; i < ARRAY_LEN(ex_types); i++) {
				uint8_t in[36];
				size_t len = 32;
				struct vtap_rss_result r;
				bool l4_match = (int)i == proto;

				assert_int_equal(
					vtap_rss__set_types(rss, ex_types[i]),
					0);
				r = hash_len(rss, s, s->f.len);
				if (i < 2 && !l4_match) {
					/* TCPv6_EX on UDP etc.: no match. */
					assert_int_equal(r.report, 0);
					continue;
				}
				/* Built by hand, not by the oracle. */
				memcpy(in, with & 1 ? a6_hao : a6_src, 16);
				memcpy(in + 16, with & 2 ? a6_rh2 : a6_dst, 16);
				if (i < 2) {
					in[32] = (uint8_t)(s->t.sport >> 8);
					in[33] = (uint8_t)s->t.sport;
					in[34] = (uint8_t)(s->t.dport >> 8);
					in[35] = (uint8_t)s->t.dport;
					len = 36;
				}
				assert_int_equal(r.report, ex_reports[i]);
				assert_int_equal(
					r.hash,
					ref_toeplitz(vtap_rss_default_key, 40,
						     in, len));
			}
		}
	}

	/* vtap's rule: TCPv6 wins over IPv6_EX, even with a HAO. */
	start(s, "ex rule", 0, false);
	ip6(s);
	hao(s);
	rh2(s);
	l4(s, 6, true);
	finish(s);
	assert_int_equal(vtap_rss__set_types(rss, VTAP_HASH_TYPE_IPV6_EX |
							  VTAP_HASH_TYPE_TCPV6),
			 0);
	{
		struct vtap_rss_result r = hash_len(rss, s, s->f.len);
		uint8_t in[36];

		memcpy(in, a6_src, 16);
		memcpy(in + 16, a6_dst, 16);
		in[32] = (uint8_t)(s->t.sport >> 8);
		in[33] = (uint8_t)s->t.sport;
		in[34] = (uint8_t)(s->t.dport >> 8);
		in[35] = (uint8_t)s->t.dport;
		assert_int_equal(r.report, VTAP_HASH_REPORT_TCPV6);
		assert_int_equal(
			r.hash, ref_toeplitz(vtap_rss_default_key, 40, in, 36));
	}
	free(s);
	vtap_rss__free(rss);
}

/* The truth of the first @len bytes of a sample. */
static struct truth truth_prefix(const struct sample *s, size_t len)
{
	struct truth t = s->t;

	if (len < s->l3_end || !t.ver) {
		memset(&t, 0, sizeof(t));
		return t;
	}
	if (len < s->hao_end)
		t.has_hao = false;
	if (len < s->rh2_end)
		t.has_rh2 = false;
	if (len < s->ports_end)
		t.ports = false;
	return t;
}

/* Every kind cut at every length, from exact-size heap copies. */
static void test_truncated(void **state)
{
	static const uint32_t masks[] = {
		VTAP_HASH_TYPE_ALL,
		VTAP_HASH_TYPE_ALL &
			~(VTAP_HASH_TYPE_IPV6_EX | VTAP_HASH_TYPE_TCPV6_EX |
			  VTAP_HASH_TYPE_UDPV6_EX),
		VTAP_HASH_TYPE_IPV6_EX | VTAP_HASH_TYPE_IPV4,
	};
	struct vtap_rss *rss = new_rss(0, vtap_rss_default_key, 40);
	struct sample *s = malloc(sizeof(*s));

	(void)state;
	assert_non_null(s);
	for (int k = 0; k < K__COUNT; k++) {
		build(s, (enum kind)k);
		for (size_t m = 0; m < ARRAY_LEN(masks); m++) {
			assert_int_equal(vtap_rss__set_types(rss, masks[m]), 0);
			for (size_t len = 0; len <= s->f.len; len++) {
				struct vtap_rss_result r =
					hash_len(rss, s, len);
				struct truth t = truth_prefix(s, len);
				char what[128];

				snprintf(what, sizeof(what), "%s cut at %zu",
					 s->name, len);
				check(&r, masks[m], &t, vtap_rss_default_key,
				      40, what);
			}
		}
	}
	free(s);
	vtap_rss__free(rss);
}

/* queue = table[hash & (len - 1)] for every table length. */
static void test_queue_selection(void **state)
{
	struct sample *s = malloc(sizeof(*s));
	uint16_t table[VTAP_RSS_TABLE_MAX];

	(void)state;
	assert_non_null(s);
	for (size_t tl = 1; tl <= VTAP_RSS_TABLE_MAX; tl *= 2) {
		VTAP_OPTS_INIT(vtap_rss_opts, o,
			       .hash_types = VTAP_HASH_TYPE_ALL, .table = table,
			       .table_len = tl, .num_queues = 0 /* 256 */,
			       .unclassified_queue = 255);
		struct vtap_rss *rss;

		for (size_t i = 0; i < tl; i++)
			table[i] = (uint16_t)(255 - i);
		rss = vtap_rss__new(&o);
		assert_non_null(rss);
		for (int k = 0; k < K__COUNT; k++) {
			struct vtap_rss_result r;

			build(s, (enum kind)k);
			r = hash_len(rss, s, s->f.len);
			if (r.report)
				assert_int_equal(r.queue,
						 255 - (r.hash & (tl - 1)));
			else
				assert_int_equal(r.queue, 255);
		}
		vtap_rss__free(rss);
	}
	free(s);
}

/* vtap_rss__hash_info() on a parsed frame equals vtap_rss__hash(). */
static void test_hash_info(void **state)
{
	struct vtap_rss *rss = vtap_rss__new(NULL);
	struct sample *s = malloc(sizeof(*s));

	(void)state;
	assert_non_null(rss);
	assert_non_null(s);
	for (int k = 0; k < K__COUNT; k++) {
		struct vtap_rss_result a, b;
		struct vtap_pkt_info info;

		build(s, (enum kind)k);
		assert_int_equal(
			vtap_pkt__parse(s->f.data, s->f.len, s->flags, &info),
			0);
		assert_int_equal(vtap_rss__hash_info(rss, &info, &a), 0);
		b = hash_len(rss, s, s->f.len);
		assert_memory_equal(&a, &b, sizeof(a));
		/* Defaults: all types, the default key, table {0}. */
		check_q(&a, VTAP_HASH_TYPE_ALL, &s->t, vtap_rss_default_key, 40,
			s->name, false);
		assert_int_equal(a.queue, 0);
	}
	assert_int_equal(vtap_rss__hash_info(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(
		vtap_rss__hash(rss, NULL, 0, 0, &(struct vtap_rss_result){0}),
		-EINVAL);
	assert_int_equal(vtap_rss__hash(rss, s->f.data, 1, 0, NULL), -EINVAL);
	free(s);
	vtap_rss__free(rss);
}

/* A different key (and lengths 1 and 52) changes the hash as it should. */
static void test_keys(void **state)
{
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
	struct vtap_rss *rss = new_rss(VTAP_HASH_TYPE_ALL, NULL, 0);
	struct sample *s = malloc(sizeof(*s));
	const size_t lens[] = {1, 4, 13, 36, 40, 52};

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 37 + 11);
	for (size_t l = 0; l < ARRAY_LEN(lens); l++) {
		assert_int_equal(vtap_rss__set_key(rss, key, lens[l]), 0);
		for (int k = 0; k < K__COUNT; k++) {
			struct vtap_rss_result r;

			build(s, (enum kind)k);
			r = hash_len(rss, s, s->f.len);
			check(&r, VTAP_HASH_TYPE_ALL, &s->t, key, lens[l],
			      s->name);
		}
	}
	free(s);
	vtap_rss__free(rss);
}

/* ----------------------------------------------------------------------- */
/* configuration                                                           */
/* ----------------------------------------------------------------------- */

static char last_log[512];
static unsigned int n_logs;

__attribute__((format(printf, 2, 0))) static int
capture_log(enum vtap_log_level level, const char *fmt, va_list ap)
{
	(void)level;
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	n_logs++;
	return 0;
}

/* Expect @err with a logged reason containing @word. */
static void expect_fail(int err, const char *word)
{
	assert_int_equal(err, -EINVAL);
	assert_int_equal(errno, EINVAL);
	assert_true(n_logs > 0);
	if (!strstr(last_log, word))
		fail_msg("log '%s' does not mention '%s'", last_log, word);
	assert_non_null(strchr(last_log, '\n'));
	n_logs = 0;
	last_log[0] = '\0';
}

static int try_new(const struct vtap_rss_opts *o)
{
	struct vtap_rss *rss = vtap_rss__new(o);

	if (rss) {
		vtap_rss__free(rss);
		return 0;
	}
	return -errno;
}

static void test_config_errors(void **state)
{
	uint16_t table[256] = {0};
	uint8_t key[64] = {1};
	vtap_log_fn old = vtap_set_log(capture_log);

	(void)state;
	/* Table lengths. */
	for (size_t tl = 0; tl <= 256; tl++) {
		VTAP_OPTS_INIT(vtap_rss_opts, o, .table = table,
			       .table_len = tl);
		bool ok = tl && tl <= 128 && !(tl & (tl - 1));

		if (ok)
			assert_int_equal(try_new(&o), 0);
		else
			expect_fail(try_new(&o), "table length");
	}
	/* Key lengths. */
	for (size_t kl = 0; kl <= 60; kl++) {
		VTAP_OPTS_INIT(vtap_rss_opts, o, .key = key, .key_len = kl);

		if (kl && kl <= 52)
			assert_int_equal(try_new(&o), 0);
		else
			expect_fail(try_new(&o), "key length");
	}
	/* Type bits. */
	for (int bit = 0; bit < 32; bit++) {
		VTAP_OPTS_INIT(vtap_rss_opts, o, .hash_types = 1u << bit);

		if (bit < 9)
			assert_int_equal(try_new(&o), 0);
		else
			expect_fail(try_new(&o), "hash type");
	}
	/* Queue indices against num_queues (0 = 256). */
	for (unsigned int nq = 0; nq <= 257; nq += 1) {
		unsigned int eff = nq ? nq : 256;

		for (unsigned int q = eff - 1; q <= eff; q++) {
			VTAP_OPTS_INIT(vtap_rss_opts, o, .table = table,
				       .table_len = 4,
				       .num_queues = (uint16_t)nq);
			VTAP_OPTS_INIT(vtap_rss_opts, u,
				       .unclassified_queue = (uint16_t)q,
				       .num_queues = (uint16_t)nq);

			table[2] = (uint16_t)q;
			if (nq > 256) {
				expect_fail(try_new(&o), "queues");
				continue;
			}
			if (q < eff) {
				assert_int_equal(try_new(&o), 0);
				assert_int_equal(try_new(&u), 0);
			} else {
				expect_fail(try_new(&o), "table entry 2");
				expect_fail(try_new(&u), "unclassified");
			}
		}
	}
	table[2] = 0;
	/* An options struct too short for its own size field. */
	{
		VTAP_OPTS_INIT(vtap_rss_opts, o);

		o.sz = 4;
		expect_fail(try_new(&o), "size");
	}
	vtap_set_log(old);
}

static void assert_opts_equal(const struct vtap_rss_opts *a,
			      const struct vtap_rss_opts *b)
{
	assert_int_equal(a->hash_types, b->hash_types);
	assert_int_equal(a->key_len, b->key_len);
	assert_memory_equal(a->key, b->key, a->key_len);
	assert_int_equal(a->table_len, b->table_len);
	assert_memory_equal(a->table, b->table, a->table_len * 2);
	assert_int_equal(a->unclassified_queue, b->unclassified_queue);
	assert_int_equal(a->num_queues, b->num_queues);
	assert_int_equal(a->impl, b->impl);
}

/* Setters validate before they change anything; get() reads back. */
static void test_setters(void **state)
{
	uint16_t table[8] = {0, 1, 2, 3, 3, 2, 1, 0};
	uint16_t bad[4] = {0, 1, 4, 0};
	uint8_t key[20];
	vtap_log_fn old = vtap_set_log(capture_log);
	VTAP_OPTS_INIT(vtap_rss_opts, o, .hash_types = VTAP_HASH_TYPE_TCPV4,
		       .key = key, .key_len = sizeof(key), .table = table,
		       .table_len = 8, .unclassified_queue = 3,
		       .num_queues = 4);
	VTAP_OPTS_INIT(vtap_rss_opts, got);
	VTAP_OPTS_INIT(vtap_rss_opts, again);
	struct vtap_rss *rss;

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xf0 ^ i);
	rss = vtap_rss__new(&o);
	assert_non_null(rss);
	assert_int_equal(vtap_rss__get(rss, &got), 0);
	assert_int_equal(got.hash_types, VTAP_HASH_TYPE_TCPV4);
	assert_int_equal(got.key_len, sizeof(key));
	assert_memory_equal(got.key, key, sizeof(key));
	assert_ptr_not_equal(got.key, key); /* copied */
	assert_int_equal(got.table_len, 8);
	assert_memory_equal(got.table, table, sizeof(table));
	assert_int_equal(got.unclassified_queue, 3);
	assert_int_equal(got.num_queues, 4);
	assert_int_equal(got.impl, VTAP_TOEPLITZ_AUTO);

	expect_fail(vtap_rss__set_table(rss, bad, 4), "queue 4");
	expect_fail(vtap_rss__set_table(rss, table, 6), "power of two");
	expect_fail(vtap_rss__set_table(rss, NULL, 4), "table");
	expect_fail(vtap_rss__set_unclassified(rss, 4), "unclassified");
	expect_fail(vtap_rss__set_types(rss, 0x200), "hash type");
	expect_fail(vtap_rss__set_key(rss, key, 0), "key length");
	expect_fail(vtap_rss__set_key(rss, key, 53), "key length");
	expect_fail(vtap_rss__set_key(rss, NULL, 40), "key");
	o.table_len = 5;
	expect_fail(vtap_rss__set(rss, &o), "table length");
	o.table_len = 8;
	assert_int_equal(vtap_rss__get(rss, &again), 0);
	assert_opts_equal(&again, &got);

	/* Good changes. */
	assert_int_equal(vtap_rss__set_table(rss, bad, 2), 0);
	assert_int_equal(vtap_rss__set_unclassified(rss, 0), 0);
	assert_int_equal(vtap_rss__set_types(rss, VTAP_HASH_TYPE_ALL), 0);
	assert_int_equal(vtap_rss__set_key(rss, vtap_rss_default_key, 40), 0);
	assert_int_equal(vtap_rss__get(rss, &got), 0);
	assert_int_equal(got.table_len, 2);
	assert_int_equal(got.table[1], 1);
	assert_int_equal(got.unclassified_queue, 0);
	assert_int_equal(got.hash_types, VTAP_HASH_TYPE_ALL);
	assert_memory_equal(got.key, vtap_rss_default_key, 40);

	/* set() from get() of the same handle (aliasing), more queues. */
	got.num_queues = 200;
	got.unclassified_queue = 199;
	assert_int_equal(vtap_rss__set(rss, &got), 0);
	assert_int_equal(vtap_rss__get(rss, &again), 0);
	assert_int_equal(again.num_queues, 200);
	assert_int_equal(again.unclassified_queue, 199);
	assert_int_equal(again.table_len, 2);
	assert_int_equal(again.table[0], 0);
	assert_int_equal(again.table[1], 1);
	assert_memory_equal(again.key, vtap_rss_default_key, 40);
	assert_int_equal(vtap_rss__set_unclassified(rss, 199), 0);

	/* set(NULL): defaults. */
	assert_int_equal(vtap_rss__set(rss, NULL), 0);
	assert_int_equal(vtap_rss__get(rss, &got), 0);
	assert_int_equal(got.hash_types, VTAP_HASH_TYPE_ALL);
	assert_int_equal(got.table_len, 1);
	assert_int_equal(got.table[0], 0);
	assert_int_equal(got.num_queues, VTAP_QUEUES_MAX);
	assert_memory_equal(got.key, vtap_rss_default_key, 40);

	/* A caller's older, shorter struct: only its fields are written. */
	{
		struct vtap_rss_opts small;

		memset(&small, 0x5a, sizeof(small));
		small.sz = offsetof(struct vtap_rss_opts, key);
		assert_int_equal(vtap_rss__get(rss, &small), 0);
		assert_int_equal(small.hash_types, VTAP_HASH_TYPE_ALL);
		assert_int_equal(small.key_len, 0x5a5a5a5a5a5a5a5aull);
	}

	assert_int_equal(vtap_rss__set_types(NULL, 0), -EINVAL);
	assert_int_equal(vtap_rss__get(rss, NULL), -EINVAL);
	vtap_rss__free(rss);
	vtap_rss__free(NULL);
	vtap_set_log(old);
}

/* Each implementation gives the same results on every kind. */
static void test_impls(void **state)
{
	struct sample *s = malloc(sizeof(*s));

	(void)state;
	assert_non_null(s);
	for (int impl = VTAP_TOEPLITZ_AUTO; impl < VTAP_TOEPLITZ__COUNT;
	     impl++) {
		VTAP_OPTS_INIT(vtap_rss_opts, o,
			       .hash_types = VTAP_HASH_TYPE_ALL,
			       .impl = (enum vtap_toeplitz_impl)impl);
		struct vtap_rss *rss = vtap_rss__new(&o);

		if (!vtap_toeplitz__impl_supported(
			    (enum vtap_toeplitz_impl)impl)) {
			assert_null(rss);
			continue;
		}
		assert_non_null(rss);
		for (int k = 0; k < K__COUNT; k++) {
			struct vtap_rss_result r;

			build(s, (enum kind)k);
			r = hash_len(rss, s, s->f.len);
			check_q(&r, VTAP_HASH_TYPE_ALL, &s->t,
				vtap_rss_default_key, 40, s->name, false);
		}
		vtap_rss__free(rss);
	}
	free(s);
}

static int setup(void **state)
{
	(void)state;
	frame_pton(AF_INET6, "2001:db8:a::1", a6_src);
	frame_pton(AF_INET6, "2001:db8:b::2", a6_dst);
	frame_pton(AF_INET6, "2001:db8:c::3", a6_hao);
	frame_pton(AF_INET6, "2001:db8:d::4", a6_rh2);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_cascade_exhaustive),
		cmocka_unit_test(test_ex_types),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_queue_selection),
		cmocka_unit_test(test_hash_info),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_setters),
		cmocka_unit_test(test_impls),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
