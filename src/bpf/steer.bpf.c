// SPDX-License-Identifier: MIT
/*
 * steer.bpf.c - vtap's steering program for TUNSETSTEERINGEBPF
 *
 * Theory of operation
 *
 * tun runs the program on every frame it is about to queue to user space
 * and takes the return value, truncated to 16 bits, modulo the number of
 * attached queues. The chain, first match wins, each step switched by a
 * bit of the active configuration slot (steer_maps.h):
 *
 *   1. flow rules in one priority order (lower prio first, equal prio by
 *      id, i.e. in the order added; vtap_steer_rule_rank()): the exact
 *      5-tuple hash map is looked up first, then the masked rules, which
 *      the slot keeps sorted by rank, are scanned only while their rank is
 *      below the exact match's; the first masked match there wins, else
 *      the exact rule. So a frame with an exact match pays only for the
 *      masked rules ranked before that rule;
 *   2. the user's extension, by tail call into vtap_steer_jmp[EXT]; it
 *      returns a queue or tail-calls vtap_steer_cont (jmp[CONT]); an empty
 *      slot makes the tail call fall through to step 3;
 *   3. RSS: the virtio-net field-selection cascade (the same rules as
 *      vtap_rss__hash_info(), SPEC-NOTES.md), Toeplitz from the slot's
 *      per-byte-position tables, the indirection table, the unclassified
 *      queue;
 *   4. automq: the bucket of the symmetric flow hash in the mmapped flow
 *      table user space fills on send, else the flow hash itself.
 *
 * Every run is counted in the per-CPU array vtap_steer_stats, by the queue
 * returned and the step that decided (steer_ext.h): that is how `vtapctl
 * stats` shows steering for openers that do not use libvtap, and how
 * `vtapctl steer show` tells whether the program still runs at all.
 *
 * The parser mirrors vtap_pkt__parse() (src/lib/pkt.c) decision for
 * decision; tests/bpf/test_steer_twin.c holds the two to the same answers.
 * Frames are read with bpf_skb_load_bytes() relative to skb->data, which is
 * the Ethernet header on a TAP device and the IP header on a TUN device
 * (VTAP_STEER_F_L3). Only the first 64 KiB count, as in the C parser.
 * IPv6 destination options are scanned with bpf_loop(), one option per
 * callback read straight from the frame, within the bounds pkt.c has too
 * (VTAP_STEER_OPT_*: padding runs and VTAP_STEER_OPT_STEPS_MAX option
 * reads per frame), so no frame costs more
 * than a few times an ordinary one; frames cut short by the bounds are
 * counted in cfg->frames_cut.
 *
 * With -DVTAP_STEER_BITLOOP the Toeplitz step is the reference bit loop
 * (for bench/bench_steer_pps.c only).
 *
 * With -DVTAP_STEER_TC the same chain is a tc program for the clsact
 * ingress of a macvtap or ipvtap (steer_tc.bpf.o): those have no steering
 * ioctl, the kernel takes skb_get_hash() % attached queues, so instead of
 * returning the queue the program sets the hash that selects it
 * (vtap_steer_tc_hash(), never 0) and returns TC_ACT_OK. Step 4 is not
 * automq there but the kernel's own choice: the hash is left alone, and
 * the frame is counted as the kernel's (VTAP_STEER_STAT_KERNEL) on the
 * queue that hash selects (kernel_choice()), not as "none". tc
 * ingress sees the frame from its Ethernet header, as a TAP device hands
 * it over. An extension's tc entry (steer_ext.h) leaves its answer in
 * vtap_steer_verdict and continues here.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer_maps.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_steer_cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_steer_automq);
} automq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VTAP_STEER_EXACT_MAX);
	__type(key, struct vtap_steer_exact_key);
	__type(value, struct vtap_steer_exact_val);
} exact SEC(".maps");

#define VLAN_MAX 2
#define IPV6_EXT_MAX 8 /* VTAP_PKT_IPV6_EXT_MAX */
#define FRAME_MAX 65535

/* One load of the active index per packet (see steer_maps.h). */
#define READ_ONCE_ACTIVE(c) (*(volatile __u32 *)&(c)->active)

#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AH 51
#define NH_DSTOPTS 60

/* What the parse found: struct vtap_pkt_info's fields, as BPF keeps them. */
struct pinfo {
	struct vtap_steer_key k; /* l3, l4, addresses, ports */
	__u32 hao[4];
	__u32 rh2[4];
	__u8 has_hao;
	__u8 has_rh2;
	__u8 is_frag;
	__u8 ip_proto;
	__u16 l3_off;
	__u16 l4_off;
	__u32 len;
	__u32 opt_steps; /* option reads left (VTAP_STEER_OPT_STEPS_MAX) */
	__u32 opts_cut;
};

static __always_inline __u16 be16_at(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Read the ports at l4_off (parse_ports() of pkt.c). */
static __always_inline void parse_ports(struct __sk_buff *skb, struct pinfo *pi)
{
	__u32 off = pi->l4_off;
	__u16 ports[2];

	if (pi->is_frag || pi->len < 4 || off > pi->len - 4)
		return;
	if (pi->ip_proto != IPPROTO_TCP && pi->ip_proto != IPPROTO_UDP)
		return;
	if (bpf_skb_load_bytes(skb, off, ports, 4))
		return;
	pi->k.l4 = pi->ip_proto;
	pi->k.sport = ports[0];
	pi->k.dport = ports[1];
}

static __always_inline void parse_ipv4(struct __sk_buff *skb, __u32 off,
				       struct pinfo *pi)
{
	__u8 ip[20];
	__u32 hlen;
	__u16 frag;

	if (pi->len - off < 20 || bpf_skb_load_bytes(skb, off, ip, 20))
		return;
	if (ip[0] >> 4 != 4)
		return;
	hlen = (ip[0] & 0xf) * 4;
	if (hlen < 20 || pi->len - off < hlen)
		return;
	pi->k.l3 = 4;
	frag = be16_at(ip + 6);
	pi->is_frag = (frag & 0x3fff) != 0;
	pi->ip_proto = ip[9];
	pi->l4_off = off + hlen;
	__builtin_memcpy(&pi->k.src[0], ip + 12, 4);
	__builtin_memcpy(&pi->k.dst[0], ip + 16, 4);
	parse_ports(skb, pi);
}

/* The state of one destination options scan, on the caller's stack. */
struct optscan {
	struct __sk_buff *skb;
	__u32 off; /* the header's offset in the frame */
	__u32 p; /* the next option, from the header's start */
	__u32 end; /* the header's length */
	__u32 pad; /* padding bytes in a row */
	__u32 steps; /* option reads left in the frame */
	__u32 hao_at; /* offset of the HAO's data in the header, 0 = none */
	__u32 cut;
};

/*
 * One option of scan_dstopts() in pkt.c, read straight from the frame, with
 * the same bounds (VTAP_STEER_OPT_*): a frame costs at most
 * VTAP_STEER_OPT_STEPS_MAX of these, whatever its options.
 */
static long optscan_step(__u32 i, void *ctx)
{
	struct optscan *o = ctx;
	__u32 p = o->p, end = o->end, olen;
	__u8 b[2];

	if (p >= end)
		return 1;
	if (!o->steps) {
		o->cut = 1;
		return 1;
	}
	o->steps--;
	if (end - p >= 2) {
		if (bpf_skb_load_bytes(o->skb, o->off + p, b, 2))
			return 1;
	} else {
		if (bpf_skb_load_bytes(o->skb, o->off + p, b, 1))
			return 1;
	}
	if (b[0] == 0) {
		if (++o->pad > VTAP_STEER_OPT_PAD_MAX) {
			o->cut = 1;
			o->steps = 0;
			return 1;
		}
		o->p = p + 1;
		return 0;
	}
	if (end - p < 2)
		return 1;
	olen = b[1];
	if (end - p - 2 < olen)
		return 1;
	if (b[0] == 1) {
		o->pad += 2 + olen;
		if (o->pad > VTAP_STEER_OPT_PAD_MAX) {
			o->cut = 1;
			o->steps = 0;
			return 1;
		}
	} else {
		if (b[0] == 0xc9 && olen == 16) {
			o->hao_at = p + 2;
			return 1;
		}
		o->pad = 0;
	}
	o->p = p + 2 + olen;
	return 0;
}

/* Look for a Home Address option in the header [off, off + hlen). */
static __always_inline void scan_dstopts(struct __sk_buff *skb, __u32 off,
					 __u32 hlen, struct pinfo *pi)
{
	struct optscan o = {
		.skb = skb,
		.off = off,
		.p = 2,
		.end = hlen,
		.steps = pi->opt_steps,
	};

	if (hlen < 2 || hlen > VTAP_STEER_EXTHDR_MAX)
		return;
	if (!pi->opt_steps) {
		/* The frame's budget is spent: an option here is one too many
		 * (pkt.c's scan stops at its first option alike). */
		if (hlen > 2)
			pi->opts_cut = 1;
		return;
	}
	bpf_loop(VTAP_STEER_OPT_STEPS_MAX + 1, optscan_step, &o, 0);
	pi->opt_steps = o.steps;
	if (o.cut)
		pi->opts_cut = 1;
	if (o.hao_at && !bpf_skb_load_bytes(skb, off + o.hao_at, pi->hao, 16))
		pi->has_hao = 1;
}

static __always_inline int is_ipv6_ext(__u8 nh)
{
	return nh == NH_HOPOPTS || nh == NH_ROUTING || nh == NH_FRAGMENT ||
	       nh == NH_DSTOPTS || nh == NH_AH;
}

static __always_inline void parse_ipv6(struct __sk_buff *skb, __u32 off,
				       struct pinfo *pi)
{
	__u8 ip[8], h[4];
	int complete = 0;
	__u8 nh;
	__u32 n;

	if (pi->len - off < 40 || bpf_skb_load_bytes(skb, off, ip, 8))
		return;
	if (ip[0] >> 4 != 6)
		return;
	if (bpf_skb_load_bytes(skb, off + 8, pi->k.src, 16) ||
	    bpf_skb_load_bytes(skb, off + 24, pi->k.dst, 16))
		return;
	pi->k.l3 = 6;
	nh = ip[6];
	off += 40;

	/*
	 * Unrolled: the 6.1 verifier's control-flow check rejects this loop
	 * ("back-edge") because a helper call precedes its head; 6.7 relaxed
	 * the check. IPV6_EXT_MAX + 1 copies cost little.
	 */
#pragma unroll
	for (n = 0; n <= IPV6_EXT_MAX; n++) {
		__u32 hlen;

		if (!is_ipv6_ext(nh)) {
			complete = 1;
			break;
		}
		if (n == IPV6_EXT_MAX || pi->len - off < 2)
			break;
		if (bpf_skb_load_bytes(skb, off, h, 2))
			break;
		if (nh == NH_FRAGMENT)
			hlen = 8;
		else if (nh == NH_AH)
			hlen = ((__u32)h[1] + 2) * 4;
		else
			hlen = ((__u32)h[1] + 1) * 8;
		if (pi->len - off < hlen)
			break;
		if (nh == NH_DSTOPTS && !pi->has_hao) {
			scan_dstopts(skb, off, hlen, pi);
		} else if (nh == NH_ROUTING && !pi->has_rh2 && h[1] == 2) {
			if (!bpf_skb_load_bytes(skb, off + 2, h + 2, 2) &&
			    h[2] == 2 && h[3] == 1 &&
			    !bpf_skb_load_bytes(skb, off + 8, pi->rh2, 16))
				pi->has_rh2 = 1;
		}
		off += hlen;
		if (nh == NH_FRAGMENT) {
			/* Ends the walk, as in pkt.c. */
			pi->is_frag = 1;
			nh = h[0];
			break;
		}
		nh = h[0];
	}
	pi->ip_proto = nh;
	pi->l4_off = off;
	if (complete)
		parse_ports(skb, pi);
}

/* vtap_pkt__parse() for the frame in @skb. */
static __always_inline void parse(struct __sk_buff *skb, __u32 flags,
				  struct pinfo *pi)
{
	__u32 off = 0, n;
	int version = 0;
	__u8 b[2];

	pi->len = skb->len > FRAME_MAX ? FRAME_MAX : skb->len;
	pi->opt_steps = VTAP_STEER_OPT_STEPS_MAX;
	if (flags & VTAP_STEER_F_L3) {
		if (pi->len && !bpf_skb_load_bytes(skb, 0, b, 1))
			version = b[0] >> 4;
	} else {
		__u16 type;

		if (pi->len < ETH_HLEN || bpf_skb_load_bytes(skb, 12, b, 2))
			return;
		type = be16_at(b);
		off = ETH_HLEN;
		for (n = 0; n <= VLAN_MAX; n++) {
			if (type != ETH_P_8021Q && type != ETH_P_8021AD)
				break;
			if (n == VLAN_MAX || pi->len < off + 4 ||
			    bpf_skb_load_bytes(skb, off + 2, b, 2))
				return;
			type = be16_at(b);
			off += 4;
		}
		if (type == ETH_P_IP)
			version = 4;
		else if (type == ETH_P_IPV6)
			version = 6;
	}
	pi->l3_off = off;
	if (off >= pi->len)
		return;
	if (version == 4)
		parse_ipv4(skb, off, pi);
	else if (version == 6)
		parse_ipv6(skb, off, pi);
}

static __always_inline struct vtap_steer_slot *active_slot(__u32 *ret_idx)
{
	struct vtap_steer_cfg *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c || c->abi != VTAP_STEER_ABI)
		return NULL;
	*ret_idx = READ_ONCE_ACTIVE(c) & 1;
	return &c->slot[*ret_idx];
}

struct rulescan {
	struct vtap_steer_key k;
	__u64 limit; /* rank of the exact rule that matched, else ~0 */
	__u32 slot;
	__u32 n;
	__u32 queue;
	__u32 found;
};

/* One masked rule: bpf_loop() keeps the verifier's work per rule constant. */
static long rulescan_step(__u32 i, void *ctx)
{
	struct rulescan *r = ctx;
	struct vtap_steer_cfg *c;
	const struct vtap_steer_mrule *rule;
	__u32 zero = 0;

	if (i >= r->n || i >= VTAP_STEER_RULES_MAX)
		return 1;
	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c)
		return 1;
	/* Re-bound i where the verifier sees it (clang drops the check). */
	asm volatile("%0 &= 0xff" : "+r"(i));
	rule = &c->slot[r->slot & 1].rules[i];
	/* Sorted by rank: every rule from here on ranks after the exact one. */
	if (vtap_steer_rule_rank(rule->prio, rule->id) > r->limit)
		return 1;
	if (!vtap_steer_rule_match(rule, &r->k))
		return 0;
	r->queue = rule->queue;
	r->found = 1;
	return 1;
}

/*
 * Step 1: the exact 5-tuple rule, unless a masked rule that ranks before it
 * matches too (the masked rules in rank order, up to the exact one's).
 */
static __always_inline int rules_step(const struct vtap_steer_slot *s,
				      __u32 slot, const struct pinfo *pi,
				      __u32 *ret)
{
	struct rulescan r = {.slot = slot, .limit = ~0ull};
	__u32 exact_queue = 0;
	int exact_found = 0;

	if (pi->k.l4) {
		struct vtap_steer_exact_key ek = {
			.l3 = pi->k.l3,
			.l4 = pi->k.l4,
			.sport = pi->k.sport,
			.dport = pi->k.dport,
		};
		struct vtap_steer_exact_val *v;

		__builtin_memcpy(ek.src, pi->k.src, 16);
		__builtin_memcpy(ek.dst, pi->k.dst, 16);
		v = bpf_map_lookup_elem(&exact, &ek);
		if (v) {
			exact_queue = v->queue;
			exact_found = 1;
			r.limit = vtap_steer_rule_rank(v->prio, v->id);
		}
	}
	r.n = s->nrules;
	if (r.n) {
		r.k = pi->k;
		bpf_loop(VTAP_STEER_RULES_MAX, rulescan_step, &r, 0);
		if (r.found) {
			*ret = r.queue;
			return 1;
		}
	}
	*ret = exact_queue;
	return exact_found;
}

#ifdef VTAP_STEER_BITLOOP
struct bits_in {
	__u8 key[VTAP_STEER_KEY_MAX];
	__u8 in[VTAP_STEER_INPUT_MAX];
	__u32 len;
};

/*
 * The reference Toeplitz: one 32-bit key window per set input bit. A
 * global function, so the verifier checks its 288-step loop once rather
 * than on every path that reaches it.
 */
__attribute__((noinline)) int toeplitz_bits(struct bits_in *x)
{
	__u32 h = 0, i;

	if (!x)
		return 0;
	for (i = 0; i < VTAP_STEER_INPUT_MAX * 8; i++) {
		__u32 b = i >> 3, sh = i & 7;
		__u64 w;

		if (b >= x->len)
			break;
		if (!(x->in[b] & (0x80 >> sh)))
			continue;
		w = (__u64)x->key[b] << 32 | (__u64)x->key[b + 1] << 24 |
		    (__u64)x->key[b + 2] << 16 | (__u64)x->key[b + 3] << 8 |
		    x->key[b + 4];
		h ^= (__u32)(w >> (8 - sh));
	}
	return (int)h;
}

static __always_inline __u32 toeplitz(const struct vtap_steer_slot *s,
				      const __u8 *in, __u32 len)
{
	struct bits_in x;

	__builtin_memcpy(x.key, s->key, sizeof(x.key));
	__builtin_memcpy(x.in, in, sizeof(x.in));
	x.len = len;
	return (__u32)toeplitz_bits(&x);
}
#else
/* Toeplitz from the per-byte-position tables: 36 lookups at most. */
static __always_inline __u32 toeplitz(const struct vtap_steer_slot *s,
				      const __u8 *in, __u32 len)
{
	__u32 h = 0;

#pragma unroll
	for (int p = 0; p < VTAP_STEER_INPUT_MAX; p++) {
		if (p >= len)
			break;
		h ^= s->toeplitz[p][in[p]];
	}
	return h;
}
#endif

/*
 * Step 3: the virtio-net cascade (rss.c select_fields()), then the table.
 * The unclassified queue is returned as UNCLASSIFIED_BIT | queue, for the
 * counters; rest() strips the bit.
 */
#define UNCLASSIFIED_BIT 0x80000000u
static __always_inline __u32 rss_step(const struct vtap_steer_slot *s,
				      const struct pinfo *pi)
{
	__u32 types = s->hash_types, len;
	__u8 in[VTAP_STEER_INPUT_MAX] = {};
	int tcp = pi->k.l4 == IPPROTO_TCP && !pi->is_frag;
	int udp = pi->k.l4 == IPPROTO_UDP && !pi->is_frag;
	const __u32 *src = pi->k.src, *dst = pi->k.dst;

	if (pi->k.l3 == 4) {
		__builtin_memcpy(in, src, 4);
		__builtin_memcpy(in + 4, dst, 4);
		if ((tcp && (types & (1u << 1))) ||
		    (udp && (types & (1u << 2)))) {
			__builtin_memcpy(in + 8, &pi->k.sport, 2);
			__builtin_memcpy(in + 10, &pi->k.dport, 2);
			len = 12;
		} else if (types & (1u << 0)) {
			len = 8;
		} else {
			return UNCLASSIFIED_BIT | s->unclassified;
		}
	} else if (pi->k.l3 == 6) {
		int ex, ports;

		if (tcp && (types & (1u << 7))) {
			ex = 1, ports = 1;
		} else if (tcp && (types & (1u << 4))) {
			ex = 0, ports = 1;
		} else if (udp && (types & (1u << 8))) {
			ex = 1, ports = 1;
		} else if (udp && (types & (1u << 5))) {
			ex = 0, ports = 1;
		} else if (types & (1u << 6)) {
			ex = 1, ports = 0;
		} else if (types & (1u << 3)) {
			ex = 0, ports = 0;
		} else {
			return UNCLASSIFIED_BIT | s->unclassified;
		}
		if (ex && pi->has_hao)
			src = pi->hao;
		if (ex && pi->has_rh2)
			dst = pi->rh2;
		__builtin_memcpy(in, src, 16);
		__builtin_memcpy(in + 16, dst, 16);
		len = 32;
		if (ports) {
			__builtin_memcpy(in + 32, &pi->k.sport, 2);
			__builtin_memcpy(in + 34, &pi->k.dport, 2);
			len = 36;
		}
	} else {
		return UNCLASSIFIED_BIT | s->unclassified;
	}
	return s->table[toeplitz(s, in, len) & s->table_mask &
			(VTAP_STEER_TABLE_MAX - 1)];
}

/* Step 4: the recorded queue of the flow's bucket, else the flow hash. */
static __always_inline __u32 automq_step(const struct vtap_steer_slot *s,
					 const struct pinfo *pi)
{
	__u32 h = vtap_steer_symhash(&pi->k), zero = 0, nq;
	struct vtap_steer_automq *t;

	t = bpf_map_lookup_elem(&automq, &zero);
	if (t) {
		__u16 q = t->queue_plus1[h & (VTAP_STEER_AUTOMQ_BUCKETS - 1)];

		if (q)
			return q - 1;
	}
	nq = s->automq_queues;
	return nq ? h % nq : (h & 0xffff);
}

/* rest() on tc when no step decided: leave the hash, the kernel picks. */
#define KERNEL_DEFAULT 0xffffffffu

#ifdef VTAP_STEER_TC
/*
 * A frame no step decided: the hash stays, and the kernel takes the queue
 * from it (tap_get_queue()). Count it as the kernel's choice on the queue
 * that choice is among the @s->automq_queues the configuration is built
 * for: bpf_get_hash_recalc() is skb_get_hash(), which computes the flow
 * hash once and keeps it in the skb, so it is the very hash the kernel
 * takes next (nothing between the clsact ingress and macvtap's rx handler
 * touches it); with one queue nothing is computed (queue 0 whatever the
 * hash). Without a configuration (@s NULL: vtap_steer__open() refuses such
 * pins, so nobody reads these counts) the count is unknown: queue 0.
 */
static __always_inline __u32 kernel_choice(struct __sk_buff *skb,
					   const struct vtap_steer_slot *s)
{
	__u32 n = s ? s->automq_queues : 0, q = 0;

	if (n > 1)
		q = vtap_steer_tc_kernel_queue(bpf_get_hash_recalc(skb),
					       skb->queue_mapping, n);
	vtap_steer_count(q, VTAP_STEER_STAT_KERNEL);
	return KERNEL_DEFAULT;
}
#endif

static __always_inline __u32 rest(struct __sk_buff *skb,
				  const struct vtap_steer_slot *s,
				  const struct pinfo *pi)
{
	__u32 flags = s->flags, q;

	if (flags & VTAP_STEER_F_RSS) {
		q = rss_step(s, pi);
		if (q & UNCLASSIFIED_BIT)
			return vtap_steer_count(q & ~UNCLASSIFIED_BIT,
						VTAP_STEER_STAT_UNCLASSIFIED);
		return vtap_steer_count(q, VTAP_STEER_STAT_RSS);
	}
#ifdef VTAP_STEER_TC
	return kernel_choice(skb, s);
#else
	if (flags & VTAP_STEER_F_AUTOMQ)
		return vtap_steer_count(automq_step(s, pi),
					VTAP_STEER_STAT_AUTOMQ);
	return vtap_steer_count(0, VTAP_STEER_STAT_NONE);
#endif
}

#ifdef VTAP_STEER_TC
#define STEER_SEC "tc"

/*
 * The decision as the tc attach point takes it: the hash that selects
 * queue @q among the @s->automq_queues the table is built for, recorded
 * in vtap_steer_verdict; KERNEL_DEFAULT (and no configuration, @s NULL)
 * leave the hash alone. Always TC_ACT_OK: steering never drops.
 */
static __always_inline int verdict(struct __sk_buff *skb,
				   const struct vtap_steer_slot *s, __u32 q)
{
	struct vtap_steer_verdict *v;
	__u32 zero = 0, h = 0;

	if (s && q != KERNEL_DEFAULT) {
		h = vtap_steer_tc_hash(q, s->automq_queues);
		bpf_set_hash(skb, h);
	}
	v = bpf_map_lookup_elem(&vtap_steer_verdict, &zero);
	if (v) {
		v->queue_plus1 = 0;
		v->hash = h;
	}
	return TC_ACT_OK;
}

/* The extension's answer (its tc entry), taken once: queue + 1, or 0. */
static __always_inline __u32 take_ext_verdict(void)
{
	struct vtap_steer_verdict *v;
	__u32 zero = 0, q = 0;

	v = bpf_map_lookup_elem(&vtap_steer_verdict, &zero);
	if (v) {
		q = v->queue_plus1;
		v->queue_plus1 = 0;
	}
	return q;
}
#else
#define STEER_SEC "socket"

/* tun takes the returned queue (modulo the attached queues) itself. */
static __always_inline int verdict(struct __sk_buff *skb,
				   const struct vtap_steer_slot *s, __u32 q)
{
	return (int)q;
}
#endif

/*
 * No configuration to run: tun takes queue 0 (the value returned), tc
 * leaves the hash to the kernel.
 */
static __always_inline __u32 no_config(struct __sk_buff *skb)
{
#ifdef VTAP_STEER_TC
	return kernel_choice(skb, NULL);
#else
	return vtap_steer_count(0, VTAP_STEER_STAT_NONE);
#endif
}

/* Hand the parse to the extension (struct vtap_steer_pkt). */
static __always_inline void share_pkt(const struct pinfo *pi)
{
	struct vtap_steer_pkt *p;
	__u32 zero = 0;

	p = bpf_map_lookup_elem(&vtap_steer_pkt, &zero);
	if (!p)
		return;
	p->l3 = pi->k.l3;
	p->l4 = pi->k.l4;
	p->ip_proto = pi->ip_proto;
	p->is_frag = pi->is_frag;
	p->l3_off = pi->l3_off;
	p->l4_off = pi->l4_off;
	p->sport = pi->k.sport;
	p->dport = pi->k.dport;
	p->len = pi->len;
}

/* Count a frame whose option scan was cut short (cfg->frames_cut). */
static __always_inline void count_cut(void)
{
	struct vtap_steer_cfg *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&cfg, &zero);
	if (c)
		__sync_fetch_and_add(&c->frames_cut, 1);
}

SEC(STEER_SEC)
int vtap_steer(struct __sk_buff *skb)
{
	struct pinfo pi = {};
	struct vtap_steer_slot *s;
	__u32 q, idx;

	s = active_slot(&idx);
	if (!s)
		return verdict(skb, s, no_config(skb));
	parse(skb, s->flags, &pi);
	if (pi.opts_cut)
		count_cut();
	if ((s->flags & VTAP_STEER_F_RULES) && rules_step(s, idx, &pi, &q))
		return verdict(skb, s,
			       vtap_steer_count(q, VTAP_STEER_STAT_RULE));
#ifndef VTAP_STEER_BITLOOP /* the bench variant has no extension step */
	if (s->flags & VTAP_STEER_F_EXT) {
		share_pkt(&pi);
#ifdef VTAP_STEER_TC
		take_ext_verdict(); /* none left from an earlier frame */
#endif
		bpf_tail_call(skb, &vtap_steer_jmp, VTAP_STEER_JMP_EXT);
		/* No extension in the slot: go on. */
	}
#endif
	return verdict(skb, s, rest(skb, s, &pi));
}

/* Where an extension with no opinion continues: steps 3 and 4. */
SEC(STEER_SEC)
int vtap_steer_cont(struct __sk_buff *skb)
{
	struct pinfo pi = {};
	struct vtap_steer_slot *s;
	__u32 idx;

	s = active_slot(&idx);
#ifdef VTAP_STEER_TC
	{
		/* The extension's tc entry always comes here (steer_ext.h). */
		__u32 q = take_ext_verdict();

		if (q)
			return verdict(
				skb, s,
				vtap_steer_count(q - 1, VTAP_STEER_STAT_EXT));
	}
#endif
	if (!s)
		return verdict(skb, s, no_config(skb));
	parse(skb, s->flags, &pi);
	return verdict(skb, s, rest(skb, s, &pi));
}
