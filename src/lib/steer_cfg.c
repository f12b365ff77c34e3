// SPDX-License-Identifier: MIT
/*
 * steer_cfg.c - the steering configuration map: its validated copy, its
 * one writer (the slot writer) and the table builder
 *
 * State. The program (src/bpf/steer.bpf.c) reads one configuration map,
 * "cfg": a header and two complete slots (src/bpf/steer_maps.h). This file
 * is the library's only writer. Every change goes through vtap_steer_slot_begin() /
 * vtap_steer_slot_commit(): take the writers' lock (flock on the pin directory, so
 * two vtapctl runs cannot interleave), read the validated copy of the map
 * (below), wait out the grace period since the last flip (at most
 * VTAP_STEER_GRACE_NS, whatever the map says) so that no program run still
 * reads the inactive slot, change the copy, write it into the inactive
 * slot with Toeplitz tables made from its key, then publish it with a
 * release store of the new index. A program run therefore always sees one
 * whole slot.
 *
 * Owner-writable memory. The tap's owner may map "cfg" and write anything
 * into it at any time (docs/security.md). So user space reads it in one
 * place only, vtap_steer_cfg_read(): the header and the active slot are
 * copied out between two equal generation counts and every field of the
 * copy is checked against its array and the design's bounds; tools, the C
 * twin, hash reporting (report.c), the table builder and the writers work
 * on that copy alone, and a copy that fails is reported as corrupt
 * (EUCLEAN), by the tap's name, never used.
 *
 * Intent. The user's RSS table is kept as intent (equal N, weights, or an
 * explicit table) in the cfg header, and the slot holds the table built
 * from it for the queues present (cur_queues). When queues come and go
 * (vtap_steer__set_queues(), called by dev's queue hook before a detach and
 * after an attach) the table is rebuilt, so it only names attached kernel
 * indices. Validation is against the intended queue count recorded with the
 * state, not against the queues attached at that moment: a persistent tap
 * is configured before its VMM opens it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include "steer_cfg.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define SLOT_FLAGS                                                  \
	(VTAP_STEER_F_RULES | VTAP_STEER_F_EXT | VTAP_STEER_F_RSS | \
	 VTAP_STEER_F_AUTOMQ | VTAP_STEER_F_L3)

static bool pow2_upto(unsigned int n, unsigned int max)
{
	return n && n <= max && !(n & (n - 1));
}

/* The first field of @v out of bounds, or NULL; details in @buf. */
static const char *check_view(const struct vtap_steer_view *v, char *buf,
			      size_t size)
{
	const struct vtap_steer_intent *in = &v->intent;
	const struct vtap_steer_slot_head *h = &v->slot;
	unsigned int len = (unsigned int)h->table_mask + 1;

#define BAD(...) (snprintf(buf, size, __VA_ARGS__), buf)
	if (v->intended_queues > VTAP_STEER_QUEUES_MAX)
		return BAD("intended queue count %u (at most %d)",
			   v->intended_queues, VTAP_STEER_QUEUES_MAX);
	if (!v->cur_queues || v->cur_queues > VTAP_STEER_QUEUES_MAX)
		return BAD("queue count %u (1..%d)", v->cur_queues,
			   VTAP_STEER_QUEUES_MAX);
	if (v->flip_ns > now_ns() + VTAP_STEER_GRACE_NS)
		return BAD("last flip %" PRIu64 " ns in the future",
			   v->flip_ns - now_ns());
	if (in->kind > VTAP_STEER_INTENT_EXPLICIT)
		return BAD("table intent kind %u", in->kind);
	if (in->equal_n > VTAP_STEER_QUEUES_MAX)
		return BAD("equal intent of %u queues (at most %d)",
			   in->equal_n, VTAP_STEER_QUEUES_MAX);
	if (in->n_weights > VTAP_STEER_QUEUES_MAX)
		return BAD("%u weights (at most %d)", in->n_weights,
			   VTAP_STEER_QUEUES_MAX);
	if (in->table_len && !pow2_upto(in->table_len, VTAP_STEER_TABLE_MAX))
		return BAD("intended table length %u (a power of two <= %d)",
			   in->table_len, VTAP_STEER_TABLE_MAX);
	for (unsigned int i = 0; i < in->table_len; i++)
		if (in->table[i] >= VTAP_STEER_QUEUES_MAX)
			return BAD("intended table entry %u names queue %u", i,
				   in->table[i]);
	if (in->unclassified >= VTAP_STEER_QUEUES_MAX)
		return BAD("intended unclassified queue %u", in->unclassified);
	if (h->flags & ~SLOT_FLAGS)
		return BAD("unknown slot flags 0x%x", h->flags & ~SLOT_FLAGS);
	if (h->hash_types & ~VTAP_HASH_TYPE_ALL)
		return BAD("unknown hash types 0x%x",
			   h->hash_types & ~VTAP_HASH_TYPE_ALL);
	if (!pow2_upto(len, VTAP_STEER_TABLE_MAX))
		return BAD("table length %u (a power of two <= %d)", len,
			   VTAP_STEER_TABLE_MAX);
	for (unsigned int i = 0; i < len; i++)
		if (h->table[i] >= VTAP_STEER_QUEUES_MAX)
			return BAD("table entry %u names queue %u", i,
				   h->table[i]);
	if (h->unclassified >= VTAP_STEER_QUEUES_MAX)
		return BAD("unclassified queue %u", h->unclassified);
	if (h->nrules > VTAP_STEER_RULES_MAX)
		return BAD("%u rules (at most %d)", h->nrules,
			   VTAP_STEER_RULES_MAX);
	if (h->automq_queues > VTAP_STEER_QUEUES_MAX)
		return BAD("automq queue count %u", h->automq_queues);
	if (!h->key_len || h->key_len > VTAP_STEER_KEY_MAX)
		return BAD("key length %u (1..%d)", h->key_len,
			   VTAP_STEER_KEY_MAX);
	return NULL;
}

/* The first rule of @r[0..n) out of bounds, or NULL. */
static const char *check_rules(const struct vtap_steer_mrule *r, unsigned int n,
			       char *buf, size_t size)
{
	for (unsigned int i = 0; i < n; i++, r++) {
		if (r->family != 0 && r->family != 4 && r->family != 6)
			return BAD("rule %u: family %u", i, r->family);
		if (r->proto != 0 && r->proto != 6 && r->proto != 17)
			return BAD("rule %u: protocol %u", i, r->proto);
		if (r->flags &
		    ~(uint32_t)(VTAP_STEER_RULE_SPORT | VTAP_STEER_RULE_DPORT))
			return BAD("rule %u: flags 0x%x", i, r->flags);
		if (r->queue >= VTAP_STEER_QUEUES_MAX)
			return BAD("rule %u: queue %u", i, r->queue);
		if (r->src_len > 128 || r->dst_len > 128)
			return BAD("rule %u: prefix length %u/%u", i,
				   r->src_len, r->dst_len);
	}
	return NULL;
#undef BAD
}

int vtap_steer_cfg_read(const struct vtap_steer_cfg *cfg, const char *name,
			struct vtap_steer_view *ret_view,
			struct vtap_steer_mrule *ret_rules,
			uint32_t (*tables)[256])
{
	const struct vtap_steer_slot *slot;
	struct vtap_steer_view v;
	const char *bad;
	char buf[96];
	uint64_t gen;
	bool ok = false;

	for (int tries = 0; tries < 8 && !ok; tries++) {
		gen = __atomic_load_n(&cfg->generation, __ATOMIC_ACQUIRE);
		memset(&v, 0, sizeof(v));
		v.generation = gen;
		if (__atomic_load_n(&cfg->abi, __ATOMIC_ACQUIRE) !=
		    VTAP_STEER_ABI) {
			snprintf(buf, sizeof(buf), "layout 0x%x (want 0x%x)",
				 cfg->abi, VTAP_STEER_ABI);
			bad = buf;
			goto corrupt;
		}
		v.active = __atomic_load_n(&cfg->active, __ATOMIC_ACQUIRE) & 1;
		v.flip_ns = __atomic_load_n(&cfg->flip_ns, __ATOMIC_RELAXED);
		v.intended_queues = cfg->intended_queues;
		v.cur_queues = cfg->cur_queues;
		v.next_rule_id = cfg->next_rule_id;
		v.rss_on_intent = cfg->rss_on_intent;
		v.ifindex = cfg->ifindex;
		memcpy(&v.intent, &cfg->intent, sizeof(v.intent));
		slot = &cfg->slot[v.active];
		memcpy(&v.slot, slot, sizeof(v.slot));
		/* Copied as far as this copy says; checked below. */
		if (ret_rules)
			memcpy(ret_rules, slot->rules,
			       (v.slot.nrules <= VTAP_STEER_RULES_MAX
					? v.slot.nrules
					: VTAP_STEER_RULES_MAX) *
				       sizeof(*ret_rules));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		ok = __atomic_load_n(&cfg->generation, __ATOMIC_RELAXED) == gen;
	}
	if (!ok) {
		pr_debug(
			"steer: the configuration of %s kept changing while read\n",
			name);
		return -EAGAIN;
	}
	bad = check_view(&v, buf, sizeof(buf));
	if (!bad && ret_rules)
		bad = check_rules(ret_rules, v.slot.nrules, buf, sizeof(buf));
	if (!bad && tables) {
		slot = &cfg->slot[v.active];
		if (vtap_toeplitz__tables(v.slot.key, v.slot.key_len, tables) ||
		    memcmp(tables, slot->toeplitz, sizeof(slot->toeplitz)))
			bad = "Toeplitz tables that do not match the key";
	}
	if (bad)
		goto corrupt;
	*ret_view = v;
	return 0;
corrupt:
	pr_warn("steer: the configuration of %s is corrupt: %s (its owner can write it; delete the steering state and set it up again)\n",
		name, bad);
	return -EUCLEAN;
}

/* Read the map into the handle's view (and its rules, when @rules). */
int vtap_steer_read_view(const struct vtap_steer *s, bool rules)
{
	return vtap_steer_cfg_read(s->cfg, s->ifname, s->view,
				   rules ? s->rules : NULL, NULL);
}

/*
 * The writers' lock: flock on the pin directory, which only root can open
 * (0711), so no other user can hold it. Bounded: a writer that held it for
 * LOCK_WAIT_MS (a stuck root process) is not waited for longer.
 */
#define LOCK_WAIT_MS 2000
static void lock(struct vtap_steer *s)
{
	struct timespec ts = {.tv_nsec = 1000000};

	if (s->dir_fd < 0)
		return;
	for (int i = 0; i < LOCK_WAIT_MS; i++) {
		if (!flock(s->dir_fd, LOCK_EX | LOCK_NB))
			return;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		nanosleep(&ts, NULL);
	}
	pr_warn("steer: %s: the writers' lock is held too long; going on "
		"without it\n",
		s->dir);
}

static void unlock(struct vtap_steer *s)
{
	if (s->dir_fd >= 0)
		flock(s->dir_fd, LOCK_UN);
}

/*
 * Start a change: lock, read the validated copy (rules included) into the
 * handle's view, wait for the inactive slot to be quiescent. The change is
 * made to s->view (and s->rules) and written by vtap_steer_slot_commit(). The wait
 * is bounded by the grace period whatever the map's flip time says.
 * Return: 0 or a negative errno (nothing locked then).
 */
int vtap_steer_slot_begin(struct vtap_steer *s)
{
	uint64_t flip, now;
	int err;

	lock(s);
	err = vtap_steer_read_view(s, true);
	if (err) {
		unlock(s);
		return err;
	}
	flip = s->view->flip_ns;
	now = now_ns();
	if (now < flip + VTAP_STEER_GRACE_NS) {
		uint64_t d = flip + VTAP_STEER_GRACE_NS - now;
		struct timespec ts;

		if (d > VTAP_STEER_GRACE_NS)
			d = VTAP_STEER_GRACE_NS;
		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	return 0;
}

/*
 * Write the view into the inactive slot (its Toeplitz tables made from
 * its key), publish it, write the header fields writers own, and unlock.
 */
int vtap_steer_slot_commit(struct vtap_steer *s)
{
	struct vtap_steer_cfg *c = s->cfg;
	const struct vtap_steer_view *v = s->view;
	unsigned int a = v->active & 1;
	struct vtap_steer_slot *slot = &c->slot[!a];
	int err;

	memcpy(slot, &v->slot, sizeof(v->slot));
	memcpy(slot->rules, s->rules, v->slot.nrules * sizeof(s->rules[0]));
	memset(slot->rules + v->slot.nrules, 0,
	       (VTAP_STEER_RULES_MAX - v->slot.nrules) * sizeof(s->rules[0]));
	err = vtap_toeplitz__tables(v->slot.key, v->slot.key_len,
				    slot->toeplitz);
	if (err) {
		unlock(s);
		return err;
	}
	c->intended_queues = v->intended_queues;
	c->cur_queues = v->cur_queues;
	c->next_rule_id = v->next_rule_id;
	c->rss_on_intent = v->rss_on_intent;
	c->intent = v->intent;
	__atomic_store_n(&c->active, !a, __ATOMIC_RELEASE);
	__atomic_store_n(&c->flip_ns, now_ns(), __ATOMIC_RELEASE);
	__atomic_store_n(&c->generation, v->generation + 1, __ATOMIC_RELEASE);
	unlock(s);
	return 0;
}

/* Give up a change (the inactive slot is simply not published). */
void vtap_steer_slot_abort(struct vtap_steer *s)
{
	unlock(s);
}

/*
 * Build the indirection table in effect from the intent for @nq queues
 * (see the file's header and struct vtap_steer_rss).
 */
void vtap_steer_build_table(const struct vtap_steer_intent *in, unsigned int nq,
			    struct vtap_steer_slot_head *slot)
{
	unsigned int len = VTAP_STEER_TABLE_MAX, i;

	if (!nq)
		nq = 1;
	if (in->kind == VTAP_STEER_INTENT_EXPLICIT && in->table_len) {
		len = in->table_len;
		for (i = 0; i < len; i++)
			slot->table[i] = in->table[i] % nq;
	} else if (in->kind == VTAP_STEER_INTENT_WEIGHT) {
		unsigned int n = in->n_weights < nq ? in->n_weights : nq;
		unsigned int cnt[VTAP_STEER_QUEUES_MAX] = {0};
		unsigned long rem[VTAP_STEER_QUEUES_MAX] = {0};
		unsigned long total = 0, given = 0;
		unsigned int q, k = 0;

		for (q = 0; q < n; q++)
			total += in->weights[q];
		if (!total) {
			for (i = 0; i < len; i++)
				slot->table[i] = (uint16_t)(i % nq);
			goto done;
		}
		for (q = 0; q < n; q++) {
			unsigned long share =
				(unsigned long)len * in->weights[q];

			cnt[q] = (unsigned int)(share / total);
			rem[q] = share % total;
			given += cnt[q];
		}
		/* Largest remainder first, lower queue on ties. */
		while (given < len) {
			unsigned int best = 0;

			for (q = 1; q < n; q++)
				if (rem[q] > rem[best])
					best = q;
			cnt[best]++;
			rem[best] = 0;
			given++;
		}
		for (q = 0; q < n; q++)
			for (i = 0; i < cnt[q]; i++)
				slot->table[k++] = (uint16_t)q;
	} else {
		unsigned int m =
			in->equal_n && in->equal_n < nq ? in->equal_n : nq;

		for (i = 0; i < len; i++)
			slot->table[i] = (uint16_t)(i % m);
	}
done:
	slot->table_mask = (uint16_t)(len - 1);
	slot->unclassified = (uint16_t)(in->unclassified % nq);
	slot->automq_queues = (uint16_t)nq;
}

void vtap_steer_set_key(struct vtap_steer_slot_head *slot, const uint8_t *key,
			size_t key_len)
{
	memset(slot->key, 0, sizeof(slot->key));
	memcpy(slot->key, key, key_len);
	slot->key_len = (uint32_t)key_len;
}

/* Initialise a fresh cfg map: automq on, default RSS settings kept off. */
int vtap_steer_init_cfg(struct vtap_steer *s, unsigned int queues, bool tun)
{
	struct vtap_steer_cfg *c = s->cfg;
	struct vtap_steer_view *v = s->view;
	int err;

	memset(c, 0, sizeof(*c));
	memset(v, 0, sizeof(*v));
	c->ifindex = (uint32_t)s->ifindex;
	v->intended_queues = queues;
	v->cur_queues = queues;
	v->next_rule_id = 1;
	v->intent.kind = VTAP_STEER_INTENT_EQUAL;
	v->slot.flags = VTAP_STEER_F_AUTOMQ | (tun ? VTAP_STEER_F_L3 : 0);
	v->slot.hash_types = VTAP_HASH_TYPE_ALL;
	vtap_steer_set_key(&v->slot, vtap_rss_default_key,
			   sizeof(vtap_rss_default_key));
	vtap_steer_build_table(&v->intent, queues, &v->slot);
	/* Both slots the same: commit writes slot 1 from the view. */
	v->active = 0;
	err = vtap_steer_slot_commit(s);
	if (err)
		return err;
	memcpy(&c->slot[0], &c->slot[1], sizeof(c->slot[0]));
	c->active = 0;
	c->generation = 0;
	c->flip_ns = now_ns();
	/* The program ignores the map until the ABI word says it is ready. */
	__atomic_store_n(&c->abi, VTAP_STEER_ABI, __ATOMIC_RELEASE);
	return 0;
}
