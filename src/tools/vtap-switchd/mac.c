// SPDX-License-Identifier: MIT
/*
 * mac.c - the switch's MAC learning table, with aging
 *
 * Theory of operation
 *
 * The table is an array of 64-byte buckets, each a sequence counter and
 * three entries. An entry is two 64-bit words:
 *   key = 1 << 63 (valid) | vid << 48 | MAC (48 bits, first byte highest)
 *   val = port << 48 | last-seen time in milliseconds (48 bits)
 * so a lookup compares one word.
 *
 * Readers never write: they read the bucket's counter (retry while it is
 * odd), read the entries with relaxed atomic loads, and retry if the
 * counter changed meanwhile (a seqlock). Writers make the counter odd with
 * a compare-and-swap (which is also their mutual exclusion), write, and
 * make it even again; a bucket is written only when an address is new,
 * moved to another port, or its time stamp is more than a second old, so
 * in steady state the workers share the table's cache lines read-only.
 *
 * Aging is lazy: an entry older than the aging time is ignored by
 * lookups and is the first to be replaced; sw_mac__expire() clears them
 * for good (the daemon calls it once a second). A full bucket replaces its
 * oldest entry; with 3 entries per bucket and a table sized for the
 * expected station count that costs some flooding, never a wrong port.
 *
 * Per-port limits: each port's entries are counted (an atomic counter,
 * changed by the writer that adds, moves, replaces or clears an entry,
 * under its bucket's lock). A port at its limit learns no new address: one
 * guest sending from random source addresses cannot push every other
 * port's stations out of the table. Each refusal is counted per port; the
 * check before the lock keeps a refused address from taking the bucket's
 * lock on every frame.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"

#define WAYS 3
#define VALID (1ull << 63)
#define TS_MASK ((1ull << 48) - 1)
#define REFRESH_MS 1000

struct bucket {
	_Atomic uint32_t seq;
	uint32_t pad;
	struct {
		_Atomic uint64_t key;
		_Atomic uint64_t val;
	} e[WAYS];
	uint64_t pad2;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct bucket) == 64, "one cache line per bucket");

struct port_count {
	_Atomic uint32_t n; /* entries learned on the port */
	_Atomic uint32_t limit; /* 0 = none */
	_Atomic uint64_t refused;
} __attribute__((aligned(64)));

struct sw_mac_table {
	struct bucket *b;
	uint64_t mask;
	uint64_t aging_ms;
	struct port_count port[SW_PORTS_MAX];
};

static uint64_t make_key(const uint8_t mac[6], uint16_t vid)
{
	uint64_t k = VALID | (uint64_t)(vid & 0xfff) << 48;

	for (int i = 0; i < 6; i++)
		k |= (uint64_t)mac[i] << (40 - 8 * i);
	return k;
}

static struct bucket *bucket_of(const struct sw_mac_table *t, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	return &t->b[(h >> 32) & t->mask];
}

struct sw_mac_table *sw_mac__new(unsigned int log2_buckets, uint64_t aging_ms)
{
	struct sw_mac_table *t;

	if (log2_buckets > 24)
		return NULL;
	t = aligned_alloc(64, sizeof(*t));
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->b = aligned_alloc(64, sizeof(struct bucket) << log2_buckets);
	if (!t->b) {
		free(t);
		return NULL;
	}
	memset(t->b, 0, sizeof(struct bucket) << log2_buckets);
	t->mask = (1ull << log2_buckets) - 1;
	t->aging_ms = aging_ms;
	return t;
}

void sw_mac__free(struct sw_mac_table *t)
{
	if (!t)
		return;
	free(t->b);
	free(t);
}

void sw_mac__set_aging(struct sw_mac_table *t, uint64_t aging_ms)
{
	t->aging_ms = aging_ms;
}

static bool fresh(const struct sw_mac_table *t, uint64_t val, uint64_t now)
{
	uint64_t ts = val & TS_MASK;

	return now < ts || (now & TS_MASK) - ts <= t->aging_ms;
}

/* Read the entry for @key in @b; return its val, or 0. Lock-free. */
static uint64_t read_entry(const struct bucket *cb, uint64_t key)
{
	struct bucket *b = (struct bucket *)cb;
	uint32_t s1, s2;
	uint64_t val;

	do {
		while ((s1 = atomic_load_explicit(&b->seq,
						  memory_order_acquire)) &
		       1)
			;
		val = 0;
		for (int i = 0; i < WAYS; i++) {
			if (atomic_load_explicit(&b->e[i].key,
						 memory_order_relaxed) == key) {
				val = atomic_load_explicit(
					&b->e[i].val, memory_order_relaxed);
				break;
			}
		}
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&b->seq, memory_order_relaxed);
	} while (s1 != s2);
	return val;
}

static void lock(struct bucket *b)
{
	uint32_t s;

	for (;;) {
		s = atomic_load_explicit(&b->seq, memory_order_relaxed);
		if (!(s & 1) &&
		    atomic_compare_exchange_weak_explicit(&b->seq, &s, s + 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			break;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	atomic_thread_fence(memory_order_release);
}

static void unlock(struct bucket *b)
{
	atomic_fetch_add_explicit(&b->seq, 1, memory_order_release);
}

int sw_mac__lookup(const struct sw_mac_table *t, const uint8_t mac[6],
		   uint16_t vid, uint64_t now_ms)
{
	uint64_t key = make_key(mac, vid);
	uint64_t val = read_entry(bucket_of(t, key), key);

	if (!val || !fresh(t, val, now_ms))
		return -1;
	return (int)(val >> 48);
}

static struct port_count *pc_of(const struct sw_mac_table *t, uint64_t port)
{
	return (struct port_count *)&t->port[port % SW_PORTS_MAX];
}

/* Whether @port is at its limit (a new entry would pass it). */
static bool at_limit(const struct port_count *pc)
{
	uint32_t lim = atomic_load_explicit(&pc->limit, memory_order_relaxed);

	return lim && atomic_load_explicit(&pc->n, memory_order_relaxed) >= lim;
}

static void refuse(struct port_count *pc)
{
	atomic_fetch_add_explicit(&pc->refused, 1, memory_order_relaxed);
}

/* An entry of @port goes away (under its bucket's lock). */
static void drop_count(struct sw_mac_table *t, uint64_t val)
{
	atomic_fetch_sub_explicit(&pc_of(t, val >> 48)->n, 1,
				  memory_order_relaxed);
}

/* Take one entry of @port's allowance; false when at the limit. */
static bool take_count(struct sw_mac_table *t, uint16_t port)
{
	struct port_count *pc = pc_of(t, port);
	uint32_t lim = atomic_load_explicit(&pc->limit, memory_order_relaxed);

	if (lim &&
	    atomic_fetch_add_explicit(&pc->n, 1, memory_order_relaxed) >= lim) {
		atomic_fetch_sub_explicit(&pc->n, 1, memory_order_relaxed);
		refuse(pc);
		return false;
	}
	if (!lim)
		atomic_fetch_add_explicit(&pc->n, 1, memory_order_relaxed);
	return true;
}

bool sw_mac__learn(struct sw_mac_table *t, const uint8_t mac[6], uint16_t vid,
		   uint16_t port, uint64_t now_ms)
{
	uint64_t key = make_key(mac, vid);
	struct bucket *b = bucket_of(t, key);
	uint64_t val = read_entry(b, key);
	uint64_t now = now_ms & TS_MASK;
	uint64_t nval = (uint64_t)port << 48 | now;
	int slot = -1;

	if (val && (val >> 48) == port && now >= (val & TS_MASK) &&
	    now - (val & TS_MASK) < REFRESH_MS)
		return false;
	/* New here, or moving here: refused without the lock at the limit. */
	if ((!val || (val >> 48) != port) && at_limit(pc_of(t, port))) {
		refuse(pc_of(t, port));
		return false;
	}

	lock(b);
	for (int i = 0; i < WAYS; i++) {
		if (atomic_load_explicit(&b->e[i].key, memory_order_relaxed) ==
		    key) {
			slot = i;
			break;
		}
	}
	if (slot >= 0) {
		uint64_t old = atomic_load_explicit(&b->e[slot].val,
						    memory_order_relaxed);

		if ((old >> 48) != port) {
			if (!take_count(t, port)) {
				unlock(b);
				return false;
			}
			drop_count(t, old);
		}
	} else {
		uint64_t oldest = UINT64_MAX;

		for (int i = 0; i < WAYS; i++) {
			uint64_t k = atomic_load_explicit(&b->e[i].key,
							  memory_order_relaxed);
			uint64_t v = atomic_load_explicit(&b->e[i].val,
							  memory_order_relaxed);
			/* An empty or aged slot ranks before any other. */
			uint64_t rank =
				!k || !fresh(t, v, now) ? 0 : (v & TS_MASK) + 1;

			if (rank < oldest) {
				oldest = rank;
				slot = i;
			}
		}
		if (!take_count(t, port)) {
			unlock(b);
			return false;
		}
		if (atomic_load_explicit(&b->e[slot].key, memory_order_relaxed))
			drop_count(t,
				   atomic_load_explicit(&b->e[slot].val,
							memory_order_relaxed));
		atomic_store_explicit(&b->e[slot].key, key,
				      memory_order_relaxed);
	}
	atomic_store_explicit(&b->e[slot].val, nval, memory_order_relaxed);
	unlock(b);
	return true;
}

unsigned int sw_mac__flush_port(struct sw_mac_table *t, uint16_t port)
{
	unsigned int n = 0;

	for (uint64_t i = 0; i <= t->mask; i++) {
		struct bucket *b = &t->b[i];

		lock(b);
		for (int w = 0; w < WAYS; w++) {
			uint64_t k = atomic_load_explicit(&b->e[w].key,
							  memory_order_relaxed);
			uint64_t v = atomic_load_explicit(&b->e[w].val,
							  memory_order_relaxed);

			if (k && (v >> 48) == port) {
				atomic_store_explicit(&b->e[w].key, 0,
						      memory_order_relaxed);
				drop_count(t, v);
				n++;
			}
		}
		unlock(b);
	}
	return n;
}

unsigned int sw_mac__expire(struct sw_mac_table *t, uint64_t now_ms)
{
	unsigned int n = 0;

	for (uint64_t i = 0; i <= t->mask; i++) {
		struct bucket *b = &t->b[i];
		bool stale = false;

		/* Look first, lock only buckets with something to clear. */
		for (int w = 0; w < WAYS; w++)
			if (atomic_load_explicit(&b->e[w].key,
						 memory_order_relaxed) &&
			    !fresh(t,
				   atomic_load_explicit(&b->e[w].val,
							memory_order_relaxed),
				   now_ms))
				stale = true;
		if (!stale)
			continue;
		lock(b);
		for (int w = 0; w < WAYS; w++) {
			uint64_t k = atomic_load_explicit(&b->e[w].key,
							  memory_order_relaxed);
			uint64_t v = atomic_load_explicit(&b->e[w].val,
							  memory_order_relaxed);

			if (k && !fresh(t, v, now_ms)) {
				atomic_store_explicit(&b->e[w].key, 0,
						      memory_order_relaxed);
				drop_count(t, v);
				n++;
			}
		}
		unlock(b);
	}
	return n;
}

void sw_mac__set_limit(struct sw_mac_table *t, uint16_t port, uint32_t limit)
{
	atomic_store(&pc_of(t, port)->limit, limit);
	atomic_store(&pc_of(t, port)->refused, 0);
}

uint32_t sw_mac__count(const struct sw_mac_table *t, uint16_t port)
{
	return atomic_load(&pc_of(t, port)->n);
}

uint64_t sw_mac__refused(const struct sw_mac_table *t, uint16_t port)
{
	return atomic_load(&pc_of(t, port)->refused);
}

size_t sw_mac__dump(const struct sw_mac_table *t, uint64_t now_ms,
		    struct sw_mac_entry *out, size_t max)
{
	size_t n = 0;

	for (uint64_t i = 0; i <= t->mask; i++) {
		struct bucket *b = &t->b[i];
		uint64_t keys[WAYS], vals[WAYS];
		uint32_t s1, s2;

		do {
			while ((s1 = atomic_load_explicit(
					&b->seq, memory_order_acquire)) &
			       1)
				;
			for (int w = 0; w < WAYS; w++) {
				keys[w] = atomic_load_explicit(
					&b->e[w].key, memory_order_relaxed);
				vals[w] = atomic_load_explicit(
					&b->e[w].val, memory_order_relaxed);
			}
			atomic_thread_fence(memory_order_acquire);
			s2 = atomic_load_explicit(&b->seq,
						  memory_order_relaxed);
		} while (s1 != s2);
		for (int w = 0; w < WAYS; w++) {
			if (!keys[w] || !fresh(t, vals[w], now_ms))
				continue;
			if (n < max) {
				struct sw_mac_entry *e = &out[n];
				uint64_t ts = vals[w] & TS_MASK;

				for (int j = 0; j < 6; j++)
					e->mac[j] = (uint8_t)(keys[w] >>
							      (40 - 8 * j));
				e->vid = (uint16_t)((keys[w] >> 48) & 0xfff);
				e->port = (uint16_t)(vals[w] >> 48);
				e->age_ms = (now_ms & TS_MASK) > ts
						    ? (now_ms & TS_MASK) - ts
						    : 0;
			}
			n++;
		}
	}
	return n;
}
