/* SPDX-License-Identifier: MIT */
/*
 * steer_maps.h - map layouts shared by the steering program (steer.bpf.c)
 * and the library (src/lib/steer*.c), plus the small pure functions both
 * sides run on the same fields (rule matching, the symmetric flow hash)
 *
 * Theory of operation: configuration updates
 *
 * All configuration the program reads per packet lives in one
 * BPF_F_MMAPABLE array map ("cfg", one entry, struct vtap_steer_cfg): a
 * header and two complete configuration slots. The program reads
 * cfg->active once per packet and then only slot[active & 1]. A writer
 * (the library, through its mmap of the map) follows this order:
 *
 *   1. wait until the inactive slot is quiescent: at least
 *      VTAP_STEER_GRACE_NS after the last flip (cfg->flip_ns), so no
 *      program run that loaded the old index can still be reading it (a
 *      steering run lasts well under a microsecond, with bottom halves
 *      disabled);
 *   2. copy the active slot into the inactive one and change it there;
 *   3. a release fence, then store the new index into cfg->active (one
 *      aligned 32-bit store), then cfg->flip_ns and cfg->generation.
 *
 * So a program run sees either the whole old or the whole new slot, never
 * a half-written table. Writers are serialised with flock() on the pin
 * directory (or by the owning handle for unpinned state).
 *
 * The exact 5-tuple rules live in a hash map whose elements the kernel
 * replaces atomically. Each carries its prio and id, so that it takes its
 * place in the one priority order of all rules (vtap_steer_rule_rank()):
 * the program looks the frame's 5-tuple up first, then scans the masked
 * rules, which a slot keeps sorted by rank, only while their rank is below
 * the exact rule's; the first masked match there wins, else the exact
 * rule. The automq table is a second mmapable array
 * ("automq"): one u16 per flow bucket, 0 = nothing recorded, q + 1 = the
 * queue user space last sent that flow's frames from; single 16-bit stores
 * need no ordering.
 */
#ifndef VTAP_STEER_MAPS_H
#define VTAP_STEER_MAPS_H

#ifdef __bpf__
#include <linux/types.h>
#else
#include <linux/types.h>
#include <stddef.h>
#endif

#include "vtap/steer_ext.h"

#define VTAP_STEER_ABI 0x76747301u /* "vts" + layout version 1 */

#define VTAP_STEER_RULES_MAX 256
#define VTAP_STEER_EXACT_MAX 65536
#define VTAP_STEER_TABLE_MAX 128
#define VTAP_STEER_KEY_MAX 52
#define VTAP_STEER_INPUT_MAX 36
#define VTAP_STEER_QUEUES_MAX 256
#define VTAP_STEER_AUTOMQ_BUCKETS 4096 /* power of two */
/* Longest IPv6 extension header: (255 + 1) * 8 bytes. */
#define VTAP_STEER_EXTHDR_MAX 2048
/* The bounds of the IPv6 option scan: VTAP_PKT_OPT_* of vtap.h. */
#define VTAP_STEER_OPT_PAD_MAX 7
#define VTAP_STEER_OPT_STEPS_MAX 8

#define VTAP_STEER_GRACE_NS 2000000ull /* 2 ms, see "configuration updates" */

/* Chain steps (slot flags); the order is the chain's order. */
#define VTAP_STEER_F_RULES (1u << 0)
#define VTAP_STEER_F_EXT (1u << 1)
#define VTAP_STEER_F_RSS (1u << 2)
#define VTAP_STEER_F_AUTOMQ (1u << 3)
/* Frames start at the IP header (TUN device). */
#define VTAP_STEER_F_L3 (1u << 8)

/* Rule field flags. */
#define VTAP_STEER_RULE_SPORT (1u << 0)
#define VTAP_STEER_RULE_DPORT (1u << 1)

/*
 * The fields rules and automq look at, extracted from the parse.
 * Addresses as 4 words in network byte order (IPv4 in word 0, the rest
 * zero); l3 is 0, 4 or 6; l4 is 0 (no readable ports), 6 (TCP), 17 (UDP).
 */
struct vtap_steer_key {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport; /* network order */
	__u16 dport;
	__u8 l3;
	__u8 l4;
	__u8 pad[2];
};

/*
 * A masked rule. Addresses are stored already masked. family 0 matches
 * every frame, 4/6 only that IP version; proto 0 any, else 6/17 and the
 * frame's ports must be readable; ports only match frames with readable
 * ports.
 */
struct vtap_steer_mrule {
	__u32 id;
	__u16 prio;
	__u16 queue;
	__u8 family;
	__u8 proto;
	__u8 src_len;
	__u8 dst_len;
	__u32 flags; /* VTAP_STEER_RULE_* */
	__u16 sport; /* network order */
	__u16 dport;
	__u32 src[4];
	__u32 src_mask[4];
	__u32 dst[4];
	__u32 dst_mask[4];
};

/* Exact 5-tuple rules: key of the "exact" hash map. */
struct vtap_steer_exact_key {
	__u8 l3;
	__u8 l4;
	__u16 pad;
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;
	__u16 dport;
};

struct vtap_steer_exact_val {
	__u32 id;
	__u16 queue;
	__u16 prio;
};

/* One complete configuration; see "configuration updates". */
struct vtap_steer_slot {
	__u32 flags; /* VTAP_STEER_F_* */
	__u32 hash_types;
	__u16 table_mask; /* table length - 1 */
	__u16 unclassified;
	__u16 nrules;
	__u16 automq_queues; /* modulo for the flow hash, 0 = none */
	__u16 table[VTAP_STEER_TABLE_MAX];
	__u8 key[VTAP_STEER_KEY_MAX];
	__u32 key_len;
	struct vtap_steer_mrule rules[VTAP_STEER_RULES_MAX];
	/* vtap_toeplitz__tables() of the key: hash = XOR of [p][in[p]]. */
	__u32 toeplitz[VTAP_STEER_INPUT_MAX][256];
};

/* How the indirection table is built from the user's intent. */
#define VTAP_STEER_INTENT_EQUAL 0
#define VTAP_STEER_INTENT_WEIGHT 1
#define VTAP_STEER_INTENT_EXPLICIT 2

struct vtap_steer_intent {
	__u16 kind; /* VTAP_STEER_INTENT_* */
	__u16 equal_n; /* EQUAL: first N queues, 0 = all */
	__u16 n_weights; /* WEIGHT */
	__u16 table_len; /* EXPLICIT */
	__u16 unclassified; /* as asked (the slot holds it reduced) */
	__u16 pad;
	__u16 weights[VTAP_STEER_QUEUES_MAX];
	__u16 table[VTAP_STEER_TABLE_MAX];
};

struct vtap_steer_cfg {
	__u32 abi; /* VTAP_STEER_ABI once initialised */
	__u32 active;
	__u64 generation;
	__u64 flip_ns; /* CLOCK_MONOTONIC of the last flip */
	__u32 intended_queues; /* the tap's queue count (vtapctl dev add) */
	__u32 cur_queues; /* queues the table is built for */
	__u32 next_rule_id;
	__u32 rss_on_intent; /* RSS configured (even if switched off) */
	struct vtap_steer_intent intent;
	/*
	 * The tap's ifindex when the pins were made (0: unknown). Pins whose
	 * tap was deleted and made again under the same name are stale.
	 */
	__u32 ifindex;
	/*
	 * Frames whose IPv6 option scan the program cut short (the
	 * VTAP_STEER_OPT_* bounds); only the program adds to it. Informational:
	 * the owner can write it too.
	 */
	__u64 frames_cut;
	__u8 pad[24];
	struct vtap_steer_slot slot[2];
};

struct vtap_steer_automq {
	__u16 queue_plus1[VTAP_STEER_AUTOMQ_BUCKETS];
};

_Static_assert(sizeof(struct vtap_steer_key) == 40, "key layout");
_Static_assert(sizeof(struct vtap_steer_mrule) == 84, "rule layout");
_Static_assert(sizeof(struct vtap_steer_exact_key) == 40, "exact key");
_Static_assert(sizeof(struct vtap_steer_exact_val) == 8, "exact value");
_Static_assert(sizeof(struct vtap_steer_slot) ==
		       16 + 2 * VTAP_STEER_TABLE_MAX + VTAP_STEER_KEY_MAX + 4 +
			       84 * VTAP_STEER_RULES_MAX +
			       4 * 256 * VTAP_STEER_INPUT_MAX,
	       "slot layout");
_Static_assert(sizeof(struct vtap_steer_intent) ==
		       12 + 2 * VTAP_STEER_QUEUES_MAX +
			       2 * VTAP_STEER_TABLE_MAX,
	       "intent layout");
_Static_assert(__builtin_offsetof(struct vtap_steer_cfg, slot) % 8 == 0,
	       "slot align");
_Static_assert(sizeof(struct vtap_steer_cfg) ==
		       __builtin_offsetof(struct vtap_steer_cfg, slot) +
			       2 * sizeof(struct vtap_steer_slot),
	       "cfg layout");
_Static_assert(sizeof(struct vtap_steer_slot) == 58696, "slot size");
_Static_assert(sizeof(struct vtap_steer_cfg) == 118248, "cfg size");
_Static_assert(sizeof(struct vtap_steer_automq) ==
		       2 * VTAP_STEER_AUTOMQ_BUCKETS,
	       "automq layout");
_Static_assert(sizeof(struct vtap_steer_pkt) == 16, "pkt layout");

/*
 * The pure functions below run unchanged in BPF and in C: the C twin of
 * the chain (vtap_steer__predict()) and the program share them. The parse
 * and the RSS cascade are not shared: BPF has its own, tested against
 * vtap_pkt__parse() and vtap_rss__hash().
 */
#ifdef __bpf__
#define VTAP_STEER_INLINE static __always_inline
#else
#define VTAP_STEER_INLINE static inline
#endif

/* murmur3's finaliser: a cheap full-avalanche 32-bit mix. */
VTAP_STEER_INLINE __u32 vtap_steer_fmix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * Symmetric flow hash: swapping source and destination (addresses and
 * ports) gives the same value, so a reply lands in the bucket its request
 * was recorded in. 0 for frames without an IP header.
 */
VTAP_STEER_INLINE __u32 vtap_steer_symhash(const struct vtap_steer_key *k)
{
	__u32 h;

	if (!k->l3)
		return 0;
	h = 0x9e3779b9u * k->l3;
	h = vtap_steer_fmix(h ^ k->src[0] ^ k->dst[0]);
	h = vtap_steer_fmix(h ^ k->src[1] ^ k->dst[1]);
	h = vtap_steer_fmix(h ^ k->src[2] ^ k->dst[2]);
	h = vtap_steer_fmix(h ^ k->src[3] ^ k->dst[3]);
	h = vtap_steer_fmix(h ^ (((__u32)(k->sport ^ k->dport)) << 8) ^ k->l4);
	return h;
}

VTAP_STEER_INLINE int vtap_steer_addr_match(const __u32 *a, const __u32 *val,
					    const __u32 *mask)
{
	return ((a[0] & mask[0]) == val[0]) & ((a[1] & mask[1]) == val[1]) &
	       ((a[2] & mask[2]) == val[2]) & ((a[3] & mask[3]) == val[3]);
}

/*
 * The order flow rules are tried in, exact and masked alike: lower prio
 * first, equal prio by id (ids are handed out in the order rules are added,
 * from one counter for both kinds). A rule with a smaller value wins.
 */
VTAP_STEER_INLINE __u64 vtap_steer_rule_rank(__u16 prio, __u32 id)
{
	return (__u64)prio << 32 | id;
}

/* Whether rule @r matches the frame whose fields are @k. */
VTAP_STEER_INLINE int vtap_steer_rule_match(const struct vtap_steer_mrule *r,
					    const struct vtap_steer_key *k)
{
	if (r->family && r->family != k->l3)
		return 0;
	if (r->proto && r->proto != k->l4)
		return 0;
	if ((r->flags & (VTAP_STEER_RULE_SPORT | VTAP_STEER_RULE_DPORT)) &&
	    !k->l4)
		return 0;
	if ((r->flags & VTAP_STEER_RULE_SPORT) && r->sport != k->sport)
		return 0;
	if ((r->flags & VTAP_STEER_RULE_DPORT) && r->dport != k->dport)
		return 0;
	return vtap_steer_addr_match(k->src, r->src, r->src_mask) &
	       vtap_steer_addr_match(k->dst, r->dst, r->dst_mask);
}

/*
 * The tc attach point (macvtap, ipvtap). The kernel picks the queue of a
 * frame as skb_get_hash() % attached queues for a non-zero hash (a plain
 * modulo, drivers/net/tap.c tap_get_queue()), so the program asks for
 * queue @q by setting the hash to a value that is @q modulo the queue
 * count: @q itself, which gives what tun's modulo of the returned queue
 * gives; queue 0, whose hash must not be 0 (0 means "no hash": the kernel
 * would go on to the recorded rx queue), is asked for with a multiple of
 * every count up to 16 (720720 = lcm(1..16)) and of @n, the count the
 * table is built for, so it stays queue 0 while a queue comes or goes.
 * Never 0; at most 720720 * 256 < 2^32.
 */
#define VTAP_STEER_TC_HASH0 720720u

VTAP_STEER_INLINE __u32 vtap_steer_tc_hash(__u32 q, __u32 n)
{
	if (q)
		return q;
	if (!n || n > VTAP_STEER_QUEUES_MAX)
		n = 1;
	return VTAP_STEER_TC_HASH0 * n;
}

/*
 * The queue the kernel picks for a frame whose hash vtap's tc program left
 * alone (drivers/net/tap.c tap_get_queue() with @n queues attached): the
 * skb hash modulo @n when it is not 0, else the recorded rx queue
 * (@queue_mapping - 1, brought below @n by subtraction, i.e. modulo),
 * else queue 0; one queue is queue 0.
 */
VTAP_STEER_INLINE __u32 vtap_steer_tc_kernel_queue(__u32 hash,
						   __u32 queue_mapping, __u32 n)
{
	if (n <= 1)
		return 0;
	if (hash)
		return hash % n;
	if (queue_mapping)
		return (queue_mapping - 1) % n;
	return 0;
}

#endif /* VTAP_STEER_MAPS_H */
