// SPDX-License-Identifier: MIT
/*
 * test_steer_twin.c - the steering program (BPF_PROG_TEST_RUN) against its
 * C twin vtap_steer__predict() on the same frames and configurations
 *
 * Frames: every layer frames.h builds (Ethernet, VLAN/QinQ, ARP, IPv4 with
 * options and fragment fields, IPv6 with chains of hop-by-hop, destination
 * options with a Home Address, type-2 and other routing headers, fragment
 * and AH headers, TCP/UDP/ICMP), every truncation of a set of them, and
 * thousands of random and mutated frames, in TAP (Ethernet) and TUN (bare
 * IP) mode. Configurations: random hash types, keys (1..52 bytes), tables,
 * unclassified queues, masked and exact flow rules, automq records, and
 * steps switched on and off at random.
 *
 * BPF_PROG_TEST_RUN of a socket filter strips an Ethernet header with
 * eth_type_trans() before the program runs, so each frame is handed over
 * behind a 14-byte dummy header: the program then sees the frame at
 * skb->data exactly as tun hands it over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "frames.h"
#include "steer_impl.h"
#include "vtap/vtap.h"

#define DUMMY_HLEN 14
#define TWIN_FRAME_MAX 3000 /* BPF_PROG_TEST_RUN takes about a page */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned long n_compared, n_mismatch;
/* How often each step decided: every step must be exercised. */
static unsigned long n_by[VTAP_STEER_BY_FLOW_HASH + 1];
static unsigned long n_report[VTAP_HASH_REPORT__COUNT];

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static uint32_t rnd_n(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* A small address pool so rules and flows collide often. */
static void pool_addr(int v6, uint8_t *a)
{
	static const char *const v4[] = {"192.0.2.1", "192.0.2.2",
					 "198.51.100.7", "10.1.2.3"};
	static const char *const v6a[] = {"2001:db8::1", "2001:db8::2",
					  "2001:db8:1::42", "fe80::1"};

	if (rnd_n(8) == 0) {
		rnd_bytes(a, v6 ? 16 : 4);
		return;
	}
	frame_pton(v6 ? AF_INET6 : AF_INET, v6 ? v6a[rnd_n(4)] : v4[rnd_n(4)],
		   a);
}

static uint16_t pool_port(void)
{
	static const uint16_t ports[] = {80, 443, 5201, 53, 1234, 40000};

	return rnd_n(6) ? ports[rnd_n(6)] : (uint16_t)rnd();
}

static void add_l4(struct frame *f)
{
	switch (rnd_n(5)) {
	case 0:
	case 1:
		frame_tcp(f, pool_port(), pool_port());
		break;
	case 2:
	case 3:
		frame_udp(f, pool_port(), pool_port());
		break;
	default:
		frame_icmp(f, 8, 0);
		break;
	}
	if (rnd_n(2))
		frame_payload(f, NULL, rnd_n(64));
}

/* A random well-formed frame of any kind frames.h builds. */
static void gen_frame(struct frame *f, bool l3)
{
	uint8_t a[16], b[16], h[16];
	int v6;

	if (l3) {
		frame_init_l3(f);
	} else {
		frame_init(f);
		frame_eth(f, NULL, NULL);
		for (uint32_t n = rnd_n(4); n; n--)
			frame_vlan(f,
				   rnd_n(2) ? FRAME_ETH_P_8021Q
					    : FRAME_ETH_P_8021AD,
				   (uint16_t)rnd_n(4096));
		if (rnd_n(16) == 0) {
			frame_arp(f);
			frame_finish(f);
			return;
		}
	}
	v6 = rnd_n(2);
	pool_addr(v6, a);
	pool_addr(v6, b);
	if (!v6) {
		uint8_t opts[40];
		size_t olen = rnd_n(3) ? 0 : 4 * rnd_n(11);
		uint16_t frag = FRAME_IPV4_DF;

		rnd_bytes(opts, sizeof(opts));
		if (rnd_n(6) == 0)
			frag = rnd_n(2) ? FRAME_IPV4_MF
					: FRAME_IPV4_OFFSET(8 *
							    (1 + rnd_n(100)));
		frame_ipv4_ex(f, a, b, olen ? opts : NULL, olen, frag);
	} else {
		frame_ipv6(f, a, b);
		for (uint32_t n = rnd_n(3) ? rnd_n(4) : rnd_n(11); n; n--) {
			uint8_t body[64];

			pool_addr(1, h);
			switch (rnd_n(7)) {
			case 0:
				frame_ipv6_hao(f, h);
				break;
			case 1:
				frame_ipv6_rh2(f, h);
				break;
			case 2:
				frame_ipv6_frag(f, (uint16_t)rnd_n(2), rnd_n(2),
						rnd());
				break;
			case 3:
				frame_ipv6_ah(f, rnd());
				break;
			case 4: /* other routing header, maybe RH2-like */
				rnd_bytes(body, sizeof(body));
				body[0] = (uint8_t)rnd_n(4);
				body[1] = (uint8_t)rnd_n(3);
				frame_ipv6_ext(f, FRAME_IPPROTO_ROUTING, body,
					       6 + 8 * rnd_n(3));
				break;
			case 5: /* destination options: random options */
				rnd_bytes(body, sizeof(body));
				for (int i = 0; i < 64; i++)
					if (rnd_n(3) == 0)
						body[i] = rnd_n(2) ? 0 : 0xc9;
				frame_ipv6_ext(f, FRAME_IPPROTO_DSTOPTS, body,
					       6 + 8 * rnd_n(7));
				break;
			default:
				memset(body, 0, sizeof(body));
				frame_ipv6_ext(f, FRAME_IPPROTO_HOPOPTS, body,
					       6 + 8 * rnd_n(2));
				break;
			}
		}
	}
	add_l4(f);
	frame_finish(f);
}

/* Flip, overwrite or cut: frames the parser must survive alike. */
static size_t mutate(uint8_t *p, size_t len)
{
	uint32_t n = 1 + rnd_n(4);

	while (n--) {
		if (!len)
			break;
		switch (rnd_n(4)) {
		case 0:
			p[rnd_n((uint32_t)len)] ^= (uint8_t)(1u << rnd_n(8));
			break;
		case 1:
			p[rnd_n((uint32_t)len)] = (uint8_t)rnd();
			break;
		case 2:
			len = rnd_n((uint32_t)len + 1);
			break;
		default: /* a plausible next-header / protocol value */
			p[rnd_n((uint32_t)len)] = (uint8_t[]){
				0, 6, 17, 43, 44, 51, 60, 4, 0x86}[rnd_n(9)];
			break;
		}
	}
	return len;
}

struct twin {
	struct vtap_steer *steer;
	int prog_fd;
	bool l3;
};

static void compare(struct twin *t, const uint8_t *frame, size_t len,
		    const char *what)
{
	static uint8_t buf[DUMMY_HLEN + TWIN_FRAME_MAX];
	struct vtap_steer_prediction p;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	if (len > TWIN_FRAME_MAX)
		len = TWIN_FRAME_MAX;
	memset(buf, 0, DUMMY_HLEN);
	/* Local experimental EtherType: the kernel looks no further. */
	buf[12] = 0x88;
	buf[13] = 0xb5;
	memcpy(buf + DUMMY_HLEN, frame, len);
	opts.data_in = buf;
	opts.data_size_in = (uint32_t)(DUMMY_HLEN + len);
	err = bpf_prog_test_run_opts(t->prog_fd, &opts);
	if (err)
		fprintf(stderr, "test run of %zu bytes: %s\n", len,
			strerror(errno));
	assert_int_equal(err, 0);
	assert_int_equal(vtap_steer__predict(t->steer, frame, len, &p), 0);
	assert_int_not_equal(p.by, VTAP_STEER_BY_EXT);
	n_compared++;
	n_by[p.by]++;
	if (p.by == VTAP_STEER_BY_RSS)
		n_report[p.rss.report]++;
	if (opts.retval != p.value) {
		n_mismatch++;
		if (n_mismatch <= 10) {
			fprintf(stderr,
				"mismatch (%s, %s, len %zu): bpf %u, C %u (by %u, report %u hash 0x%08x)\n  ",
				what, t->l3 ? "tun" : "tap", len, opts.retval,
				p.value, p.by, p.rss.report, p.rss.hash);
			for (size_t i = 0; i < len && i < 96; i++)
				fprintf(stderr, "%02x", frame[i]);
			fprintf(stderr, "\n");
		}
	}
}

static void random_rule(struct twin *t, const struct frame *f)
{
	VTAP_OPTS_INIT(vtap_steer_rule, r);
	struct vtap_pkt_info info;
	uint32_t id;

	vtap_pkt__parse(f->data, f->len, t->l3 ? VTAP_PKT_L3 : 0, &info);
	r.queue = (uint16_t)rnd_n(256);
	r.prio = (uint16_t)rnd_n(8);
	if (info.l3 && rnd_n(4)) {
		unsigned int max = info.l3 == VTAP_PKT_L3_IPV6 ? 128 : 32;

		r.family = info.l3 == VTAP_PKT_L3_IPV6 ? 6 : 4;
		if (rnd_n(2)) {
			memcpy(r.src, info.src, 16);
			r.src_len = (uint8_t)rnd_n(max + 1);
		}
		if (rnd_n(2)) {
			memcpy(r.dst, info.dst, 16);
			r.dst_len = (uint8_t)rnd_n(max + 1);
		}
		if (rnd_n(3) == 0) /* the other address: misses mostly */
			memcpy(r.dst, info.src, 16);
	} else if (rnd_n(2)) {
		r.family = (uint8_t)(rnd_n(2) ? 4 : 6);
	}
	if (info.l4 && rnd_n(2)) {
		r.proto = info.l4 == VTAP_PKT_L4_TCP ? 6 : 17;
		if (rnd_n(4) == 0)
			r.proto = r.proto == 6 ? 17 : 6;
	}
	if (info.l4 && rnd_n(2)) {
		r.has_sport = true;
		r.sport = ntohs(info.sport);
	}
	if (info.l4 && rnd_n(2)) {
		r.has_dport = true;
		r.dport = ntohs(info.dport);
	}
	if (info.l4 && r.family && rnd_n(3) == 0) { /* an exact rule */
		r.proto = info.l4 == VTAP_PKT_L4_TCP ? 6 : 17;
		r.src_len = r.dst_len = r.family == 6 ? 128 : 32;
		memcpy(r.src, info.src, 16);
		memcpy(r.dst, info.dst, 16);
		r.has_sport = r.has_dport = true;
		r.sport = ntohs(info.sport);
		r.dport = ntohs(info.dport);
	}
	/* EEXIST for a repeated exact 5-tuple is fine. */
	vtap_steer__rule_add(t->steer, &r, &id);
}

static void random_config(struct twin *t, struct frame *pool, size_t npool)
{
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	struct vtap_steer_rule rules[512];
	uint32_t steps;
	int n;

	r.hash_types =
		rnd_n(4) ? rnd() & VTAP_HASH_TYPE_ALL : VTAP_HASH_TYPE_ALL;
	if (rnd_n(3)) {
		r.key_len = rnd_n(4) ? 40 : 1 + rnd_n(VTAP_TOEPLITZ_KEY_MAX);
		rnd_bytes(r.key, r.key_len);
	}
	r.kind = VTAP_STEER_TABLE_EXPLICIT;
	r.table_len = (uint16_t)(1u << rnd_n(8));
	for (unsigned int i = 0; i < r.table_len; i++)
		r.table[i] = (uint16_t)rnd_n(256);
	r.unclassified_queue = (uint16_t)rnd_n(256);
	assert_int_equal(vtap_steer__set_rss(t->steer, &r), 0);

	/* Drop some rules, add some. */
	n = vtap_steer__rules(t->steer, rules, 512);
	assert_true(n >= 0);
	for (int i = 0; i < n && i < 512; i++)
		if (rnd_n(2))
			assert_int_equal(
				vtap_steer__rule_del(t->steer, rules[i].id), 0);
	for (uint32_t i = rnd_n(12); i; i--)
		random_rule(t, &pool[rnd_n((uint32_t)npool)]);
	for (uint32_t i = rnd_n(20); i; i--) {
		const struct frame *f = &pool[rnd_n((uint32_t)npool)];

		vtap_steer__record_flow(t->steer, f->data, f->len, rnd_n(256));
	}
	steps = rnd() & (VTAP_STEER_STEP_RULES | VTAP_STEER_STEP_RSS |
			 VTAP_STEER_STEP_AUTOMQ);
	assert_int_equal(vtap_steer__set_steps(t->steer, steps), 0);
}

static void run_mode(bool l3)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .queues = 256,
		       .flags = l3 ? VTAP_STEER_TUN : 0);
	static struct frame pool[64], f;
	struct twin t = {.l3 = l3};
	uint8_t m[FRAME_MAX];

	t.steer = vtap_steer__open(l3 ? "vtwintun" : "vtwintap", &o);
	assert_non_null(t.steer);
	t.prog_fd = vtap_steer__prog_fd(t.steer);
	assert_true(t.prog_fd >= 0);
	for (size_t i = 0; i < 64; i++)
		gen_frame(&pool[i], l3);

	/* Default configuration (automq), then every truncation. */
	for (size_t i = 0; i < 64; i++)
		for (size_t len = 0; len <= pool[i].len; len++)
			compare(&t, pool[i].data, len, "truncated");

	for (int round = 0; round < 150; round++) {
		random_config(&t, pool, 64);
		for (int i = 0; i < 64; i++)
			compare(&t, pool[i].data, pool[i].len, "pool");
		for (int i = 0; i < 40; i++) {
			gen_frame(&f, l3);
			compare(&t, f.data, f.len, "random");
			memcpy(m, f.data, f.len);
			compare(&t, m, mutate(m, f.len), "mutated");
		}
		if (round % 10 == 0) {
			/* Every truncation of a fresh frame under this config. */
			gen_frame(&f, l3);
			for (size_t len = 0; len <= f.len; len++)
				compare(&t, f.data, len, "truncated");
		}
	}
	vtap_steer__close(t.steer);
}

static void check_coverage(const char *mode)
{
	fprintf(stderr,
		"%s: %lu frames compared, %lu mismatches; decided by exact %lu, rule %lu, rss %lu, automq %lu, flow hash %lu, none %lu\n",
		mode, n_compared, n_mismatch, n_by[VTAP_STEER_BY_EXACT],
		n_by[VTAP_STEER_BY_RULE], n_by[VTAP_STEER_BY_RSS],
		n_by[VTAP_STEER_BY_AUTOMQ], n_by[VTAP_STEER_BY_FLOW_HASH],
		n_by[VTAP_STEER_BY_NONE]);
	for (int by = VTAP_STEER_BY_EXACT; by <= VTAP_STEER_BY_FLOW_HASH; by++)
		if (by != VTAP_STEER_BY_EXT)
			assert_true(n_by[by] > 0);
	/* Every report type the cascade can give was compared under RSS. */
	for (int r = 0; r < VTAP_HASH_REPORT__COUNT; r++) {
		fprintf(stderr, " %s=%lu", vtap_hash_report__name(r),
			n_report[r]);
		assert_true(n_report[r] > 0);
	}
	fprintf(stderr, "\n");
	assert_int_equal(n_mismatch, 0);
	n_compared = n_mismatch = 0;
	memset(n_by, 0, sizeof(n_by));
	memset(n_report, 0, sizeof(n_report));
}

static void test_tap(void **state)
{
	run_mode(false);
	check_coverage("tap");
}

static void test_tun(void **state)
{
	run_mode(true);
	check_coverage("tun");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_tun),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root for BPF_PROG_TEST_RUN\n");
		return 77;
	}
	if (getenv("VTAP_TWIN_SEED"))
		rng_state = strtoull(getenv("VTAP_TWIN_SEED"), NULL, 0) | 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
