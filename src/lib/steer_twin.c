// SPDX-License-Identifier: MIT
/*
 * steer_twin.c - the steering chain in C: vtap_steer__predict() says
 * which step decides a frame and what it decides, as the program does,
 * from the same validated configuration; tests hold the two to each other
 * on the same frames (tests/bpf/test_steer_twin.c). And the automq table's
 * writer, which uses the same flow key.
 */
#include <string.h>

#include <bpf/bpf.h>

#include "steer_cfg.h"

void vtap_steer_key_from_info(const struct vtap_pkt_info *info,
			      struct vtap_steer_key *k)
{
	memset(k, 0, sizeof(*k));
	if (info->l3 == VTAP_PKT_L3_IPV4) {
		k->l3 = 4;
		memcpy(k->src, info->src, 4);
		memcpy(k->dst, info->dst, 4);
	} else if (info->l3 == VTAP_PKT_L3_IPV6) {
		k->l3 = 6;
		memcpy(k->src, info->src, 16);
		memcpy(k->dst, info->dst, 16);
	} else {
		return;
	}
	if (info->l4 == VTAP_PKT_L4_TCP)
		k->l4 = 6;
	else if (info->l4 == VTAP_PKT_L4_UDP)
		k->l4 = 17;
	if (k->l4) {
		k->sport = info->sport;
		k->dport = info->dport;
	}
}

static unsigned int parse_flags(const struct vtap_steer_slot_head *slot)
{
	return slot->flags & VTAP_STEER_F_L3 ? VTAP_PKT_L3 : 0;
}

int vtap_steer__record_flow(struct vtap_steer *s, const void *frame, size_t len,
			    unsigned int queue)
{
	struct vtap_pkt_info info;
	struct vtap_steer_key k;
	uint32_t h;

	if (!s || !frame || queue >= VTAP_QUEUES_MAX)
		return vtap_err(-EINVAL);
	/* The handle's own knowledge, not the owner-writable slot flags. */
	vtap_pkt__parse(frame, len, s->tun ? VTAP_PKT_L3 : 0, &info);
	vtap_steer_key_from_info(&info, &k);
	if (!k.l3)
		return 0;
	h = vtap_steer_symhash(&k);
	__atomic_store_n(
		&s->amq->queue_plus1[h & (VTAP_STEER_AUTOMQ_BUCKETS - 1)],
		(uint16_t)(queue + 1), __ATOMIC_RELAXED);
	return 0;
}

/* A vtap_rss for the active slot, rebuilt when the configuration moved. */
static int predict_rss(struct vtap_steer *s,
		       const struct vtap_steer_slot_head *slot, uint64_t gen)
{
	VTAP_OPTS_INIT(vtap_rss_opts, o);
	struct vtap_steer_view v;
	int err;

	if (s->rss && s->rss_gen == gen)
		return 0;
	/* A new configuration: check its Toeplitz tables once. */
	err = vtap_steer_cfg_read(s->cfg, s->ifname, &v, NULL, s->tables);
	if (err)
		return err;
	o.hash_types = slot->hash_types;
	o.key = slot->key;
	o.key_len = slot->key_len;
	o.table = slot->table;
	o.table_len = (size_t)slot->table_mask + 1;
	o.unclassified_queue = slot->unclassified;
	o.num_queues = 0;
	o.impl = VTAP_TOEPLITZ_TABLE;
	vtap_rss__free(s->rss);
	s->rss = vtap_rss__new(&o);
	if (!s->rss)
		return -errno;
	s->rss_gen = gen;
	return 0;
}

int vtap_steer__predict(struct vtap_steer *s, const void *frame, size_t len,
			struct vtap_steer_prediction *ret)
{
	struct vtap_steer_prediction p = {0};
	const struct vtap_steer_slot_head *slot;
	struct vtap_pkt_info info;
	struct vtap_steer_key k;
	uint64_t gen;
	uint32_t flags, h;
	int err;

	if (!s || !frame || !ret)
		return vtap_err(-EINVAL);
	err = vtap_steer_read_view(s, true);
	if (err)
		return vtap_err(err);
	gen = s->view->generation;
	slot = &s->view->slot;
	flags = slot->flags;
	vtap_pkt__parse(frame, len, parse_flags(slot), &info);
	vtap_steer_key_from_info(&info, &k);
	err = predict_rss(s, slot, gen);
	if (err)
		return vtap_err(err);
	vtap_rss__hash_info(s->rss, &info, &p.rss);

	if (flags & VTAP_STEER_F_RULES) {
		/* As the program: exact rule, unless a masked one ranks first. */
		uint64_t limit = UINT64_MAX;

		if (k.l4) {
			struct vtap_steer_exact_key ek = {0};
			struct vtap_steer_exact_val v;

			ek.l3 = k.l3;
			ek.l4 = k.l4;
			memcpy(ek.src, k.src, 16);
			memcpy(ek.dst, k.dst, 16);
			ek.sport = k.sport;
			ek.dport = k.dport;
			if (!bpf_map_lookup_elem(s->fd[PIN_EXACT], &ek, &v)) {
				p.by = VTAP_STEER_BY_EXACT;
				p.rule_id = v.id;
				p.value = v.queue;
				limit = vtap_steer_rule_rank(v.prio, v.id);
			}
		}
		for (unsigned int i = 0; i < slot->nrules; i++) {
			const struct vtap_steer_mrule *m = &s->rules[i];

			if (vtap_steer_rule_rank(m->prio, m->id) > limit)
				break;
			if (vtap_steer_rule_match(m, &k)) {
				p.by = VTAP_STEER_BY_RULE;
				p.rule_id = m->id;
				p.value = m->queue;
				goto out;
			}
		}
		if (p.by == VTAP_STEER_BY_EXACT)
			goto out;
	}
	if (flags & VTAP_STEER_F_EXT)
		p.by = VTAP_STEER_BY_EXT;
	if (flags & VTAP_STEER_F_RSS) {
		if (!p.by)
			p.by = VTAP_STEER_BY_RSS;
		p.value = p.rss.queue;
	} else if (flags & VTAP_STEER_F_AUTOMQ) {
		uint16_t q;

		h = vtap_steer_symhash(&k);
		q = __atomic_load_n(
			&s->amq->queue_plus1[h &
					     (VTAP_STEER_AUTOMQ_BUCKETS - 1)],
			__ATOMIC_RELAXED);
		if (!p.by)
			p.by = q ? VTAP_STEER_BY_AUTOMQ
				 : VTAP_STEER_BY_FLOW_HASH;
		if (q)
			p.value = q - 1u;
		else
			p.value = slot->automq_queues ? h % slot->automq_queues
						      : (h & 0xffff);
	}
out:
	*ret = p;
	return 0;
}
