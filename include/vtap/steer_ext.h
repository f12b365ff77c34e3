/* SPDX-License-Identifier: MIT */
/*
 * steer_ext.h - write a vtap steering extension: a BPF socket-filter
 * program that vtap's steering chain reaches by tail call, and that either
 * picks a queue or falls back to the rest of the chain (RSS, automq)
 *
 * Usage (compile with clang -O2 -g -target bpf, then
 * `vtapctl steer ext set dev NAME obj FILE.o`):
 *
 *	#include <vtap/steer_ext.h>
 *
 *	VTAP_STEER_EXT(icmp_to_1)
 *	{
 *		return pkt->ip_proto == 1 ? 1 : -1;	// -1: no opinion
 *	}
 *
 * The body gets `skb` (struct __sk_buff *, the frame as the tap will
 * deliver it: Ethernet first on a TAP device, IP first on a TUN device)
 * and `pkt` (const struct vtap_steer_pkt *, what vtap's parser found).
 * It returns a queue index (>= 0; the kernel takes it modulo the number of
 * attached queues) or a negative value for "no opinion", in which case the
 * wrapper tail-calls vtap's continuation and the chain goes on.
 *
 * How it works: vtap's entry program runs the flow rules, stores its parse
 * in the per-CPU map vtap_steer_pkt and tail-calls slot
 * VTAP_STEER_JMP_EXT of the program array vtap_steer_jmp. The wrapper
 * declares both maps with the same names and layouts; vtapctl (or
 * vtap_steer__ext_set()) loads the object reusing vtap's maps by name, so
 * an object without them was not built with this header and is refused.
 * Since a tail call does not return, "no opinion" is a tail call into
 * slot VTAP_STEER_JMP_CONT, vtap's continuation program.
 *
 * macvtap and ipvtap: there vtap steers with a tc ingress program
 * (SEC("tc"), docs/steering.md), and tail calls stay within one program
 * type, so the macro also makes NAME__tc, the same body as a tc program.
 * A tc program's return value is a tc verdict, not a queue: NAME__tc
 * leaves its answer (queue + 1, 0 for no opinion) in the per-CPU map
 * vtap_steer_verdict and always tail-calls vtap's continuation, which
 * turns it into the hash that selects the queue. vtap picks the entry
 * that fits the device; an object built with an older copy of this header
 * has no NAME__tc and is refused on a macvtap.
 */
#ifndef VTAP_STEER_EXT_H
#define VTAP_STEER_EXT_H

#include <linux/types.h>

/* Slots of the program array vtap_steer_jmp. */
#define VTAP_STEER_JMP_EXT 0
#define VTAP_STEER_JMP_CONT 1
#define VTAP_STEER_JMP_SLOTS 2

/**
 * struct vtap_steer_pkt - vtap's parse of the frame, for extensions
 * @l3: 0 (no IP header found), 4 or 6
 * @l4: 0 (no readable ports: not TCP/UDP, a fragment, truncated), 6, 17
 * @ip_proto: IPv4 protocol, or the IPv6 next header the walk ended at
 * @is_frag: the packet is a fragment
 * @l3_off: offset of the IP header from the start of the frame
 * @l4_off: offset of the upper-layer header
 * @sport: source port, network byte order (when @l4 != 0)
 * @dport: destination port, network byte order (when @l4 != 0)
 * @len: frame length seen by the parser
 */
struct vtap_steer_pkt {
	__u8 l3;
	__u8 l4;
	__u8 ip_proto;
	__u8 is_frag;
	__u16 l3_off;
	__u16 l4_off;
	__u16 sport;
	__u16 dport;
	__u32 len;
};

/*
 * Which step decided a frame's queue: the program counts, per CPU, per
 * queue it returned (the last slot counts every queue at or above it) and
 * per step, in the per-CPU array vtap_steer_stats (`vtapctl stats dev`).
 * An extension built with this header counts its own answers.
 */
#define VTAP_STEER_STAT_RULE 0
#define VTAP_STEER_STAT_EXT 1
#define VTAP_STEER_STAT_RSS 2
#define VTAP_STEER_STAT_UNCLASSIFIED 3
#define VTAP_STEER_STAT_AUTOMQ 4
#define VTAP_STEER_STAT_NONE 5 /* tun: no step on, or no configuration */
/* tc: no step decided; the kernel's flow hash chose (counted on its queue) */
#define VTAP_STEER_STAT_KERNEL 6
#define VTAP_STEER_STAT_SLOTS 8
#define VTAP_STEER_STATS_QUEUES 256

struct vtap_steer_qstats {
	__u64 by[VTAP_STEER_STAT_SLOTS];
};

/*
 * What the tc entry decided for the frame (vtap_steer_verdict): the queue
 * plus 1, 0 for no opinion; and, written by vtap's program, the hash it
 * set (0: left alone, the kernel's own choice), for tests and debugging.
 */
struct vtap_steer_verdict {
	__u32 queue_plus1;
	__u32 hash;
};

#ifdef __bpf__
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, VTAP_STEER_JMP_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} vtap_steer_jmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_steer_pkt);
} vtap_steer_pkt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VTAP_STEER_STATS_QUEUES);
	__type(key, __u32);
	__type(value, struct vtap_steer_qstats);
} vtap_steer_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_steer_verdict);
} vtap_steer_verdict SEC(".maps");

/* Count a frame steered to queue @q by step @by (a constant); return @q. */
static __always_inline __u32 vtap_steer_count(__u32 q, const __u32 by)
{
	__u32 key = q & 0xffff;
	struct vtap_steer_qstats *st;

	if (key >= VTAP_STEER_STATS_QUEUES)
		key = VTAP_STEER_STATS_QUEUES - 1;
	st = bpf_map_lookup_elem(&vtap_steer_stats, &key);
	if (st)
		st->by[by & (VTAP_STEER_STAT_SLOTS - 1)]++;
	return q;
}

/**
 * VTAP_STEER_EXT() - define a steering extension program
 * @name: the program's name (vtapctl's "prog NAME")
 *
 * Follow it with the body of a function of (struct __sk_buff *skb,
 * const struct vtap_steer_pkt *pkt) returning int: a queue, or negative
 * for no opinion.
 */
#define VTAP_STEER_EXT(name)                                               \
	static __always_inline int name##__body(                           \
		struct __sk_buff *skb, const struct vtap_steer_pkt *pkt);  \
	SEC("socket") int name(struct __sk_buff *skb)                      \
	{                                                                  \
		const struct vtap_steer_pkt *pkt;                          \
		__u32 zero = 0;                                            \
		int q = -1;                                                \
                                                                           \
		pkt = bpf_map_lookup_elem(&vtap_steer_pkt, &zero);         \
		if (pkt)                                                   \
			q = name##__body(skb, pkt);                        \
		if (q >= 0)                                                \
			return (int)vtap_steer_count((__u32)q,             \
						     VTAP_STEER_STAT_EXT); \
		bpf_tail_call(skb, &vtap_steer_jmp, VTAP_STEER_JMP_CONT);  \
		return 0;                                                  \
	}                                                                  \
	SEC("tc") int name##__tc(struct __sk_buff *skb)                    \
	{                                                                  \
		const struct vtap_steer_pkt *pkt;                          \
		struct vtap_steer_verdict *v;                              \
		__u32 zero = 0;                                            \
		int q = -1;                                                \
                                                                           \
		pkt = bpf_map_lookup_elem(&vtap_steer_pkt, &zero);         \
		if (pkt)                                                   \
			q = name##__body(skb, pkt);                        \
		v = bpf_map_lookup_elem(&vtap_steer_verdict, &zero);       \
		if (v)                                                     \
			v->queue_plus1 = q >= 0 ? (__u32)q + 1 : 0;        \
		bpf_tail_call(skb, &vtap_steer_jmp, VTAP_STEER_JMP_CONT);  \
		return 0; /* TC_ACT_OK: the kernel's own choice */         \
	}                                                                  \
	static __always_inline int name##__body(                           \
		struct __sk_buff *skb, const struct vtap_steer_pkt *pkt)
#endif /* __bpf__ */

#endif /* VTAP_STEER_EXT_H */
