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
 * unclassified queues, masked and exact flow rules with random priorities
 * (so exact and masked rules that match the same frame overlap in both
 * orders), automq records, and steps switched on and off at random. The
 * winner among overlapping rules is also checked against a plain oracle:
 * the matching rule of the lowest (prio, id), found by a full scan.
 *
 * test_prio_* pin the order down on fixed cases: an exact rule of prio 20
 * and a masked rule of prio 10 matching the same frame (the masked one
 * wins), the prios swapped (the exact one wins), and equal prios (the one
 * added first wins).
 *
 * BPF_PROG_TEST_RUN of a socket filter strips an Ethernet header with
 * eth_type_trans() before the program runs, so each frame is handed over
 * behind a 14-byte dummy header: the program then sees the frame at
 * skb->data exactly as tun hands it over.
 *
 * test_tc runs the same frames and configurations through the tc build of
 * the program (macvtap/ipvtap: it sets the skb hash the kernel picks the
 * queue with, and leaves it alone when no step decides). A tc test run
 * takes the frame from its Ethernet header (and refuses frames of no more
 * than that, or with a cut IP header behind an IP EtherType: those are not
 * run) and does not report the skb
 * hash back (ctx_out has no hash), so the program's own record of the hash
 * it set, vtap_steer_verdict, is read instead: it must equal the twin's
 * (p.hash, never 0 when set) and select the twin's queue modulo the queue
 * count the table is built for (varied at random here), and be 0 on the
 * kernel-default path. Every run of test_tap/tun/tc is also checked in
 * the program's counters (vtap_steer_stats): exactly one count, in the
 * step the twin names and on its queue; the kernel's choice (tc) counted
 * as "kernel" on a queue below the table's count (the kernel's keyed flow
 * hash decides which: tests/net/test_steer_macvtap.sh checks it against
 * the frames real queues read). test_tc_ext checks an extension's tc entry: its
 * answer becomes the hash, its "no opinion" goes on to RSS or leaves the
 * hash alone.
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
#include <bpf/libbpf.h>

#include "frames.h"
#include "steer_impl.h"
#include "vtap/vtap.h"

#define DUMMY_HLEN 14
#define TWIN_FRAME_MAX 3000 /* BPF_PROG_TEST_RUN takes about a page */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static unsigned long n_compared, n_mismatch;
/* How often each step decided: every step must be exercised. */
static unsigned long n_by[VTAP_STEER_BY_KERNEL + 1];
/* tc: hashes set and left alone. */
static unsigned long n_hash_set, n_hash_kept;
/* tc: queues (below 64) the kernel's choice was counted on. */
static unsigned char n_kernel_queues[64];
static unsigned long n_report[VTAP_HASH_REPORT__COUNT];
/* Frames matched by an exact and a masked rule, by the winner's kind. */
static unsigned long n_masked_over_exact, n_exact_over_masked;

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
	int verdict_fd; /* tc: vtap_steer_verdict */
	int stats_fd; /* vtap_steer_stats, when the counters are checked */
	bool l3;
	bool tc;
};

#define CPUS_MAX 1024
static int ncpus;
static struct vtap_steer_verdict verdicts[CPUS_MAX];

/* tc: forget what earlier runs recorded (every CPU's copy). */
static void verdict_clear(const struct twin *t)
{
	uint32_t zero = 0;

	memset(verdicts, 0, sizeof(verdicts));
	assert_int_equal(
		bpf_map_update_elem(t->verdict_fd, &zero, verdicts, BPF_ANY),
		0);
}

/* tc: the hash the run recorded (the CPU it ran on is the one set). */
static uint32_t verdict_hash(const struct twin *t)
{
	struct vtap_steer_verdict *v = verdicts;
	uint32_t zero = 0, h = 0;

	assert_int_equal(bpf_map_lookup_elem(t->verdict_fd, &zero, v), 0);
	for (int c = 0; c < ncpus; c++) {
		assert_int_equal(v[c].queue_plus1, 0);
		if (v[c].hash) {
			assert_int_equal(h, 0); /* one run, one CPU */
			h = v[c].hash;
		}
	}
	return h;
}

/*
 * The program's counters (vtap_steer_stats), summed over CPUs: the cell
 * (queue, step) one run added to must be the one the twin's prediction
 * names. stats_now holds the sums after the last run.
 */
static struct vtap_steer_qstats *stats_cpu; /* one batch: keys x CPUs */
static uint64_t stats_now[VTAP_STEER_STATS_QUEUES][VTAP_STEER_STAT_SLOTS];

static void stats_read(const struct twin *t,
		       uint64_t out[][VTAP_STEER_STAT_SLOTS])
{
	static uint32_t keys[VTAP_STEER_STATS_QUEUES];
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t n = VTAP_STEER_STATS_QUEUES, out_batch;

	if (!stats_cpu) {
		stats_cpu = calloc((size_t)VTAP_STEER_STATS_QUEUES * ncpus,
				   sizeof(*stats_cpu));
		assert_non_null(stats_cpu);
	}
	assert_int_equal(bpf_map_lookup_batch(t->stats_fd, NULL, &out_batch,
					      keys, stats_cpu, &n, &o),
			 0);
	assert_int_equal(n, VTAP_STEER_STATS_QUEUES);
	memset(out, 0, sizeof(stats_now));
	for (uint32_t i = 0; i < n; i++)
		for (int c = 0; c < ncpus; c++)
			for (int b = 0; b < VTAP_STEER_STAT_SLOTS; b++)
				out[keys[i]][b] +=
					stats_cpu[(size_t)i * ncpus + c].by[b];
}

/*
 * The one cell the last run counted in, checked against the twin: the
 * step the prediction names, on its queue; the kernel's choice (tc), on a
 * queue below the count the configuration is built for (@n: the kernel's
 * flow hash modulo @n, which the twin cannot compute).
 */
static void stats_check(const struct twin *t,
			const struct vtap_steer_prediction *p, uint32_t n)
{
	static uint64_t now[VTAP_STEER_STATS_QUEUES][VTAP_STEER_STAT_SLOTS];
	unsigned int cq = 0, cb = 0, cells = 0;
	uint32_t want_q = p->value & 0xffff;

	stats_read(t, now);
	for (unsigned int q = 0; q < VTAP_STEER_STATS_QUEUES; q++)
		for (unsigned int b = 0; b < VTAP_STEER_STAT_SLOTS; b++) {
			uint64_t d = now[q][b] - stats_now[q][b];

			if (!d)
				continue;
			assert_int_equal(d, 1);
			cq = q, cb = b, cells++;
		}
	memcpy(stats_now, now, sizeof(now));
	assert_int_equal(cells, 1);
	if (want_q >= VTAP_STEER_STATS_QUEUES)
		want_q = VTAP_STEER_STATS_QUEUES - 1;
	switch (p->by) {
	case VTAP_STEER_BY_EXACT:
	case VTAP_STEER_BY_RULE:
		assert_int_equal(cb, VTAP_STEER_CNT_RULE);
		assert_int_equal(cq, want_q);
		break;
	case VTAP_STEER_BY_RSS:
		assert_true(cb == VTAP_STEER_CNT_RSS ||
			    cb == VTAP_STEER_CNT_UNCLASSIFIED);
		assert_int_equal(cq, want_q);
		break;
	case VTAP_STEER_BY_AUTOMQ:
	case VTAP_STEER_BY_FLOW_HASH:
		assert_int_equal(cb, VTAP_STEER_CNT_AUTOMQ);
		assert_int_equal(cq, want_q);
		break;
	case VTAP_STEER_BY_NONE:
		assert_int_equal(cb, VTAP_STEER_CNT_NONE);
		assert_int_equal(cq, 0);
		break;
	case VTAP_STEER_BY_KERNEL:
		assert_int_equal(cb, VTAP_STEER_CNT_KERNEL);
		assert_true(cq < (n > 1 ? n : 1));
		if (n > 1)
			n_kernel_queues[cq < 64 ? cq : 63] = 1;
		break;
	default:
		fail_msg("a step the program never counts: %u", p->by);
	}
}

/* The program's answer for @frame (at most TWIN_FRAME_MAX bytes). */
static uint32_t prog_run(const struct twin *t, const uint8_t *frame, size_t len)
{
	static uint8_t buf[DUMMY_HLEN + TWIN_FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	assert_true(len <= TWIN_FRAME_MAX);
	if (t->tc) {
		/* tc programs see the frame from its Ethernet header. */
		memcpy(buf, frame, len);
		opts.data_in = buf;
		opts.data_size_in = (uint32_t)len;
		verdict_clear(t);
	} else {
		memset(buf, 0, DUMMY_HLEN);
		/* Local experimental EtherType: the kernel looks no further. */
		buf[12] = 0x88;
		buf[13] = 0xb5;
		memcpy(buf + DUMMY_HLEN, frame, len);
		opts.data_in = buf;
		opts.data_size_in = (uint32_t)(DUMMY_HLEN + len);
	}
	err = bpf_prog_test_run_opts(t->prog_fd, &opts);
	if (err)
		fprintf(stderr, "test run of %zu bytes: %s\n", len,
			strerror(errno));
	assert_int_equal(err, 0);
	return opts.retval;
}

/*
 * The oracle for the rules step, independent of the twin's early stop:
 * when an exact and a masked rule both match, the winner is the matching
 * rule of the lowest (prio, id) over the whole masked list.
 */
static void check_overlap(const struct twin *t, const uint8_t *frame,
			  size_t len, const struct vtap_steer_prediction *p)
{
	const struct vtap_steer_cfg *c = vtap_steer_cfg(t->steer);
	const struct vtap_steer_slot *slot;
	struct vtap_steer_exact_key ek = {0};
	struct vtap_steer_exact_val v;
	const struct vtap_steer_mrule *best = NULL;
	struct vtap_pkt_info info;
	struct vtap_steer_key k;

	slot = &c->slot[__atomic_load_n(&c->active, __ATOMIC_ACQUIRE) & 1];
	if (!(slot->flags & VTAP_STEER_F_RULES))
		return;
	vtap_pkt__parse(frame, len, t->l3 ? VTAP_PKT_L3 : 0, &info);
	vtap_steer_key_from_info(&info, &k);
	if (!k.l4)
		return;
	ek.l3 = k.l3;
	ek.l4 = k.l4;
	memcpy(ek.src, k.src, 16);
	memcpy(ek.dst, k.dst, 16);
	ek.sport = k.sport;
	ek.dport = k.dport;
	if (bpf_map_lookup_elem(vtap_steer_map_fd(t->steer, "exact"), &ek, &v))
		return;
	for (unsigned int i = 0; i < slot->nrules; i++) {
		const struct vtap_steer_mrule *m = &slot->rules[i];

		if (vtap_steer_rule_match(m, &k) &&
		    (!best ||
		     vtap_steer_rule_rank(m->prio, m->id) <
			     vtap_steer_rule_rank(best->prio, best->id)))
			best = m;
	}
	if (!best)
		return;
	if (vtap_steer_rule_rank(best->prio, best->id) <
	    vtap_steer_rule_rank(v.prio, v.id)) {
		assert_int_equal(p->by, VTAP_STEER_BY_RULE);
		assert_int_equal(p->rule_id, best->id);
		n_masked_over_exact++;
	} else {
		assert_int_equal(p->by, VTAP_STEER_BY_EXACT);
		assert_int_equal(p->rule_id, v.id);
		n_exact_over_masked++;
	}
}

/*
 * Whether a tc test run takes @frame: more than an Ethernet header, and
 * (6.18) a whole IPv4 or IPv6 header behind an IP EtherType.
 */
static bool tc_runnable(const uint8_t *frame, size_t len)
{
	unsigned int type;

	if (len <= 14)
		return false;
	type = (unsigned int)frame[12] << 8 | frame[13];
	return !(type == 0x0800 && len < 14 + 20) &&
	       !(type == 0x86dd && len < 14 + 40);
}

static void compare(struct twin *t, const uint8_t *frame, size_t len,
		    const char *what)
{
	struct vtap_steer_prediction p;
	uint32_t retval;

	if (len > TWIN_FRAME_MAX)
		len = TWIN_FRAME_MAX;
	if (t->tc && !tc_runnable(frame, len))
		return;
	retval = prog_run(t, frame, len);
	assert_int_equal(vtap_steer__predict(t->steer, frame, len, &p), 0);
	assert_int_not_equal(p.by, VTAP_STEER_BY_EXT);
	check_overlap(t, frame, len, &p);
	n_compared++;
	n_by[p.by]++;
	if (p.by == VTAP_STEER_BY_RSS)
		n_report[p.rss.report]++;
	if (t->stats_fd >= 0) {
		const struct vtap_steer_cfg *c = vtap_steer_cfg(t->steer);

		stats_check(t, &p, c->slot[c->active & 1].automq_queues);
	}
	if (t->tc) {
		const struct vtap_steer_cfg *c = vtap_steer_cfg(t->steer);
		uint32_t n = c->slot[c->active & 1].automq_queues;
		uint32_t h = verdict_hash(t);

		/* The program returns TC_ACT_OK and says it with the hash. */
		assert_int_equal(retval, 0);
		if (p.by == VTAP_STEER_BY_KERNEL) {
			assert_int_equal(p.hash, 0);
			n_hash_kept++;
		} else {
			assert_int_not_equal(p.hash, 0);
			assert_int_equal(p.hash % n, p.value % n);
			n_hash_set++;
		}
		retval = h;
		if (h == p.hash)
			return;
		n_mismatch++;
		if (n_mismatch <= 10)
			fprintf(stderr,
				"tc mismatch (%s, len %zu): bpf hash %u, C hash %u (queue %u by %u)\n",
				what, len, h, p.hash, p.value, p.by);
		return;
	}
	if (retval != p.value) {
		n_mismatch++;
		if (n_mismatch <= 10) {
			fprintf(stderr,
				"mismatch (%s, %s, len %zu): bpf %u, C %u (by %u, report %u hash 0x%08x)\n  ",
				what, t->l3 ? "tun" : "tap", len, retval,
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
	if (info.l4 && r.family && rnd_n(2) == 0) { /* an exact rule */
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
	/* tc: the hash depends on the queue count the table is built for. */
	if (t->tc)
		assert_int_equal(
			vtap_steer__set_queues(t->steer, 1 + rnd_n(256)), 0);
}

static void run_mode(bool l3, bool tc)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .queues = 256);
	static struct frame pool[64], f;
	struct twin t = {.l3 = l3, .tc = tc};
	const char *name = "vtwintap";
	uint8_t m[FRAME_MAX];

	if (l3) {
		o.flags = VTAP_STEER_TUN;
		name = "vtwintun";
	} else if (tc) {
		o.flags = VTAP_STEER_TC;
		name = "vtwintc";
	}
	t.steer = vtap_steer__open(name, &o);
	assert_non_null(t.steer);
	t.prog_fd = vtap_steer__prog_fd(t.steer);
	assert_true(t.prog_fd >= 0);
	t.verdict_fd = vtap_steer_map_fd(t.steer, "verdict");
	if (tc) {
		assert_string_equal(vtap_steer__attach_point(t.steer), "tc");
		assert_true(t.verdict_fd >= 0);
	}
	/* Every run's count is checked against the twin's step. */
	t.stats_fd = vtap_steer_map_fd(t.steer, "stats");
	assert_true(t.stats_fd >= 0);
	stats_read(&t, stats_now);
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

static void check_coverage(const char *mode, bool tc)
{
	fprintf(stderr,
		"%s: %lu frames compared, %lu mismatches; decided by exact %lu, rule %lu, rss %lu, automq %lu, flow hash %lu, none %lu\n",
		mode, n_compared, n_mismatch, n_by[VTAP_STEER_BY_EXACT],
		n_by[VTAP_STEER_BY_RULE], n_by[VTAP_STEER_BY_RSS],
		n_by[VTAP_STEER_BY_AUTOMQ], n_by[VTAP_STEER_BY_FLOW_HASH],
		n_by[VTAP_STEER_BY_NONE]);
	fprintf(stderr,
		"%s: exact and masked rule both matched: masked won %lu, exact won %lu\n",
		mode, n_masked_over_exact, n_exact_over_masked);
	assert_true(n_masked_over_exact > 0);
	assert_true(n_exact_over_masked > 0);
	fprintf(stderr,
		"%s: kernel's choice %lu; hash set %lu, left alone %lu\n", mode,
		n_by[VTAP_STEER_BY_KERNEL], n_hash_set, n_hash_kept);
	for (int by = VTAP_STEER_BY_EXACT; by <= VTAP_STEER_BY_KERNEL; by++) {
		bool tc_only = by == VTAP_STEER_BY_KERNEL;
		bool tun_only = by == VTAP_STEER_BY_AUTOMQ ||
				by == VTAP_STEER_BY_FLOW_HASH;

		if (by == VTAP_STEER_BY_EXT)
			continue;
		if (tc ? tun_only : tc_only)
			assert_int_equal(n_by[by], 0);
		else
			assert_true(n_by[by] > 0);
	}
	if (tc) {
		unsigned int used = 0;

		assert_true(n_hash_set > 0);
		assert_true(n_hash_kept > 0);
		/* The kernel's choice was counted on many queues, not one. */
		for (int q = 0; q < 64; q++)
			used += n_kernel_queues[q];
		fprintf(stderr, "%s: kernel's choice counted on %u queues\n",
			mode, used);
		assert_true(used > 1);
	}
	/* Every report type the cascade can give was compared under RSS. */
	for (int r = 0; r < VTAP_HASH_REPORT__COUNT; r++) {
		fprintf(stderr, " %s=%lu", vtap_hash_report__name(r),
			n_report[r]);
		assert_true(n_report[r] > 0);
	}
	fprintf(stderr, "\n");
	assert_int_equal(n_mismatch, 0);
	n_compared = n_mismatch = 0;
	n_hash_set = n_hash_kept = 0;
	memset(n_kernel_queues, 0, sizeof(n_kernel_queues));
	n_masked_over_exact = n_exact_over_masked = 0;
	memset(n_by, 0, sizeof(n_by));
	memset(n_report, 0, sizeof(n_report));
}

static void test_tap(void **state)
{
	run_mode(false, false);
	check_coverage("tap", false);
}

static void test_tun(void **state)
{
	run_mode(true, false);
	check_coverage("tun", false);
}

static void test_tc(void **state)
{
	run_mode(false, true);
	check_coverage("tc", true);
}

/* An exact rule for the 5-tuple of frame_l4(@v6, TCP, 40000 -> 5201). */
static uint32_t add_exact(struct twin *t, bool v6, uint16_t prio,
			  uint16_t queue)
{
	VTAP_OPTS_INIT(vtap_steer_rule, r, .proto = 6, .has_sport = true,
		       .sport = 40000, .has_dport = true, .dport = 5201,
		       .queue = queue, .prio = prio);
	uint32_t id;

	r.family = v6 ? 6 : 4;
	r.src_len = r.dst_len = v6 ? 128 : 32;
	frame_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00::1" : "10.0.0.1", r.src);
	frame_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00::2" : "10.0.0.2", r.dst);
	assert_int_equal(vtap_steer__rule_add(t->steer, &r, &id), 0);
	return id;
}

/* The masked rule "proto tcp dport 5201". */
static uint32_t add_masked(struct twin *t, uint16_t prio, uint16_t queue)
{
	VTAP_OPTS_INIT(vtap_steer_rule, r, .proto = 6, .has_dport = true,
		       .dport = 5201, .queue = queue, .prio = prio);
	uint32_t id;

	assert_int_equal(vtap_steer__rule_add(t->steer, &r, &id), 0);
	return id;
}

/*
 * Steer a TCP frame 40000 -> @dport (source port @sport) by program and
 * twin; they must agree on the queue, and the twin names the rule.
 */
static uint32_t steer_tcp(struct twin *t, bool v6, uint16_t sport,
			  uint16_t dport, uint32_t *ret_rule)
{
	struct vtap_steer_prediction p;
	struct frame f;
	uint32_t q;

	frame_l4(&f, v6, false, sport, dport, 16);
	q = prog_run(t, f.data, f.len);
	assert_int_equal(vtap_steer__predict(t->steer, f.data, f.len, &p), 0);
	assert_int_equal(q, p.value);
	*ret_rule = p.rule_id;
	return q;
}

/* vtap_steer__rules() lists @first before @second. */
static void assert_listed_before(struct twin *t, uint32_t first,
				 uint32_t second)
{
	struct vtap_steer_rule rules[8];
	int n = vtap_steer__rules(t->steer, rules, 8), a = -1, b = -1;

	assert_true(n >= 2 && n <= 8);
	for (int i = 0; i < n; i++) {
		if (rules[i].id == first)
			a = i;
		if (rules[i].id == second)
			b = i;
	}
	assert_true(a >= 0 && b >= 0);
	assert_true(a < b);
}

static void del_rules(struct twin *t, uint32_t a, uint32_t b)
{
	assert_int_equal(vtap_steer__rule_del(t->steer, a), 0);
	assert_int_equal(vtap_steer__rule_del(t->steer, b), 0);
}

/*
 * Exact rule prio 20 -> queue 3 and masked "tcp dport 5201" prio 10 ->
 * queue 2: a frame both match goes to 2; with the prios swapped, to 3;
 * with equal prios, to the rule added first. Each time the order of adding
 * is the one that would give the other answer if only the ids counted.
 */
static void prio_case(bool v6)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .queues = 4);
	struct twin t = {.stats_fd = -1};
	uint32_t ex, ma, rule;

	t.steer = vtap_steer__open("vtwinprio", &o);
	assert_non_null(t.steer);
	t.prog_fd = vtap_steer__prog_fd(t.steer);
	assert_true(t.prog_fd >= 0);
	assert_int_equal(vtap_steer__set_steps(t.steer, VTAP_STEER_STEP_RULES),
			 0);

	/* Masked prio 10 beats exact prio 20 (added first). */
	ex = add_exact(&t, v6, 20, 3);
	ma = add_masked(&t, 10, 2);
	assert_int_equal(steer_tcp(&t, v6, 40000, 5201, &rule), 2);
	assert_int_equal(rule, ma);
	/* Another source port: the masked rule alone. */
	assert_int_equal(steer_tcp(&t, v6, 40001, 5201, &rule), 2);
	assert_int_equal(rule, ma);
	/* Neither matches: no rule decides, the rules-only chain gives 0. */
	assert_int_equal(steer_tcp(&t, v6, 40000, 80, &rule), 0);
	assert_int_equal(rule, 0);
	assert_listed_before(&t, ma, ex);
	del_rules(&t, ex, ma);

	/* Swapped: exact prio 10 beats masked prio 20 (added first). */
	ma = add_masked(&t, 20, 2);
	ex = add_exact(&t, v6, 10, 3);
	assert_int_equal(steer_tcp(&t, v6, 40000, 5201, &rule), 3);
	assert_int_equal(rule, ex);
	assert_int_equal(steer_tcp(&t, v6, 40001, 5201, &rule), 2);
	assert_int_equal(rule, ma);
	assert_listed_before(&t, ex, ma);
	del_rules(&t, ex, ma);

	/* Equal prio: the order added decides, across the two kinds. */
	ex = add_exact(&t, v6, 10, 3);
	ma = add_masked(&t, 10, 2);
	assert_int_equal(steer_tcp(&t, v6, 40000, 5201, &rule), 3);
	assert_int_equal(rule, ex);
	assert_listed_before(&t, ex, ma);
	del_rules(&t, ex, ma);
	ma = add_masked(&t, 10, 2);
	ex = add_exact(&t, v6, 10, 3);
	assert_int_equal(steer_tcp(&t, v6, 40000, 5201, &rule), 2);
	assert_int_equal(rule, ma);
	assert_listed_before(&t, ma, ex);
	del_rules(&t, ex, ma);

	vtap_steer__close(t.steer);
}

/* tc: the hash one frame gets, checked against the twin. */
static uint32_t tc_hash_of(struct twin *t, const struct frame *f,
			   uint32_t want_by)
{
	struct vtap_steer_prediction p;
	uint32_t ret;

	ret = prog_run(t, f->data, f->len);
	assert_int_equal(ret, 0); /* TC_ACT_OK */
	assert_int_equal(vtap_steer__predict(t->steer, f->data, f->len, &p), 0);
	assert_int_equal(p.by, want_by);
	if (want_by == VTAP_STEER_BY_RSS || want_by == VTAP_STEER_BY_KERNEL)
		assert_int_equal(verdict_hash(t), p.hash);
	return verdict_hash(t);
}

/*
 * An extension's tc entry (ext_icmp: ICMP to queue 1, else no opinion):
 * its answer becomes the hash for queue 1; no opinion goes on to RSS,
 * and with RSS off leaves the hash alone.
 */
static void test_tc_ext(void **state)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .queues = 4, .flags = VTAP_STEER_TC);
	VTAP_OPTS_INIT(vtap_steer_rss, r, .hash_types = VTAP_HASH_TYPE_ALL,
		       .kind = VTAP_STEER_TABLE_EQUAL, .equal_n = 4);
	struct twin t = {.tc = true, .stats_fd = -1};
	const char *b = getenv("VTAP_BUILDDIR");
	uint8_t s4[4], d4[4];
	struct frame icmp, udp;
	char obj[4096], name[64];
	uint32_t h;

	if (!b)
		skip();
	snprintf(obj, sizeof(obj), "%s/src/bpf/ext_icmp.bpf.o", b);
	frame_pton(AF_INET, "10.0.0.1", s4);
	frame_pton(AF_INET, "10.0.0.2", d4);
	frame_init(&icmp);
	frame_eth(&icmp, NULL, NULL);
	frame_ipv4(&icmp, s4, d4);
	frame_icmp(&icmp, 8, 0);
	frame_finish(&icmp);
	frame_l4(&udp, false, true, 4000, 5000, 16);

	t.steer = vtap_steer__open("vtwintcext", &o);
	assert_non_null(t.steer);
	t.prog_fd = vtap_steer__prog_fd(t.steer);
	t.verdict_fd = vtap_steer_map_fd(t.steer, "verdict");
	assert_true(t.prog_fd >= 0 && t.verdict_fd >= 0);
	assert_int_equal(vtap_steer__set_rss(t.steer, &r), 0);
	assert_int_equal(vtap_steer__ext_set(t.steer, obj, NULL), 0);
	assert_int_equal(vtap_steer__ext_name(t.steer, name, sizeof(name)), 0);
	assert_string_equal(name, "vtap_ext_icmp");
	assert_int_equal(
		vtap_steer__set_steps(t.steer, VTAP_STEER_STEP_EXT |
						       VTAP_STEER_STEP_RSS),
		0);

	h = tc_hash_of(&t, &icmp, VTAP_STEER_BY_EXT);
	assert_int_equal(h, vtap_steer_tc_hash(1, 4));
	assert_int_equal(h % 4, 1);
	/* No opinion: RSS decides (the twin says RSS: no extension step). */
	assert_int_equal(vtap_steer__set_steps(t.steer, VTAP_STEER_STEP_RSS),
			 0);
	h = tc_hash_of(&t, &udp, VTAP_STEER_BY_RSS);
	assert_int_equal(
		vtap_steer__set_steps(t.steer, VTAP_STEER_STEP_EXT |
						       VTAP_STEER_STEP_RSS),
		0);
	assert_int_equal(tc_hash_of(&t, &udp, VTAP_STEER_BY_EXT), h);
	assert_int_not_equal(h, 0);
	/* No opinion and nothing after it: the kernel's own choice. */
	assert_int_equal(vtap_steer__set_steps(t.steer, VTAP_STEER_STEP_EXT),
			 0);
	assert_int_equal(tc_hash_of(&t, &udp, VTAP_STEER_BY_EXT), 0);
	assert_int_equal(tc_hash_of(&t, &icmp, VTAP_STEER_BY_EXT),
			 vtap_steer_tc_hash(1, 4));
	assert_int_equal(vtap_steer__set_steps(t.steer, 0), 0);
	assert_int_equal(tc_hash_of(&t, &icmp, VTAP_STEER_BY_KERNEL), 0);
	assert_int_equal(vtap_steer__ext_del(t.steer), 0);
	vtap_steer__close(t.steer);
}

static void test_prio_exact_vs_masked(void **state)
{
	prio_case(false);
	prio_case(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prio_exact_vs_masked),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_tun),
		cmocka_unit_test(test_tc),
		cmocka_unit_test(test_tc_ext),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root for BPF_PROG_TEST_RUN\n");
		return 77;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > CPUS_MAX)
		return 1;
	if (getenv("VTAP_TWIN_SEED"))
		rng_state = strtoull(getenv("VTAP_TWIN_SEED"), NULL, 0) | 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
