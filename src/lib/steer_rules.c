// SPDX-License-Identifier: MIT
/*
 * steer_rules.c - flow rules and the user extension: the first two steps
 * of the steering chain
 *
 * Rules. Exact and masked rules share one priority order, their rank
 * (vtap_steer_rule_rank(): prio, then id). Ids come from one counter in
 * the cfg header (next_rule_id) for both kinds, so the id order is the
 * order added. Exact 5-tuple rules live in a hash map (element updates
 * are atomic in the kernel); masked rules live in the configuration slot,
 * which keeps them sorted by rank: a new rule goes after every rule of the
 * same or a lower prio, and it has the largest id. The program and
 * vtap_steer__predict() rely on that order to stop scanning at the first
 * masked rule that ranks after the frame's exact rule.
 *
 * Extension. A user's socket-filter program, built with
 * <vtap/steer_ext.h>, sits in the program array at VTAP_STEER_JMP_EXT and
 * shares the per-frame scratch map; it is pinned as "ext" with the rest.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer_cfg.h"
#include "steer_pins.h"
#include "steer_rules.h"

bool vtap_steer_ext_present(const struct vtap_steer *s)
{
	uint32_t key = VTAP_STEER_JMP_EXT, id;

	return !bpf_map_lookup_elem(s->fd[PIN_JMP], &key, &id);
}

static void prefix_mask(unsigned int len, unsigned int max, uint8_t *mask)
{
	memset(mask, 0, 16);
	for (unsigned int i = 0; i < max / 8 && len; i++) {
		unsigned int b = len >= 8 ? 8 : len;

		mask[i] = (uint8_t)(0xff00 >> b);
		len -= b;
	}
}

static void words(const uint8_t *bytes, uint32_t *w)
{
	memcpy(w, bytes, 16);
}

static bool rule_is_exact(const struct vtap_steer_rule *r)
{
	unsigned int full = r->family == 6 ? 128 : 32;

	return r->proto && r->family && r->src_len == full &&
	       r->dst_len == full && r->has_sport && r->has_dport;
}

static int check_rule(unsigned int nq, const struct vtap_steer_rule *r)
{
	unsigned int max = r->family == 6 ? 128 : 32;

	if (r->family != 0 && r->family != 4 && r->family != 6) {
		pr_warn("steer: rule family %u is not 4 or 6\n", r->family);
		return -EINVAL;
	}
	if (r->proto != 0 && r->proto != 6 && r->proto != 17) {
		pr_warn("steer: rule protocol %u is not tcp (6) or udp (17)\n",
			r->proto);
		return -EINVAL;
	}
	if ((r->src_len || r->dst_len) && !r->family) {
		pr_warn("steer: a rule with addresses needs a family\n");
		return -EINVAL;
	}
	if (r->src_len > max || r->dst_len > max) {
		pr_warn("steer: prefix length over %u\n", max);
		return -EINVAL;
	}
	if (r->queue >= nq) {
		pr_warn("steer: rule names queue %u, but the tap has %u queues\n",
			r->queue, nq);
		return -EINVAL;
	}
	return 0;
}

int vtap_steer__rule_add(struct vtap_steer *s, const struct vtap_steer_rule *r,
			 uint32_t *ret_id)
{
	uint8_t sm[16], dm[16], a[16];
	struct vtap_steer_slot_head *slot;
	uint32_t id;
	int err;

	if (!s || !r || r->sz < sizeof(*r))
		return vtap_err(-EINVAL);
	err = vtap_steer_slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	err = check_rule(s->view->intended_queues, r);
	if (err) {
		vtap_steer_slot_abort(s);
		return vtap_err(err);
	}
	prefix_mask(r->src_len, r->family == 6 ? 128 : 32, sm);
	prefix_mask(r->dst_len, r->family == 6 ? 128 : 32, dm);
	id = s->view->next_rule_id;

	if (rule_is_exact(r)) {
		struct vtap_steer_exact_key k = {0};
		struct vtap_steer_exact_val v = {0};

		k.l3 = r->family;
		k.l4 = r->proto;
		memcpy(k.src, r->src, r->family == 6 ? 16 : 4);
		memcpy(k.dst, r->dst, r->family == 6 ? 16 : 4);
		k.sport = htons(r->sport);
		k.dport = htons(r->dport);
		v.id = id;
		v.queue = r->queue;
		v.prio = r->prio;
		if (bpf_map_update_elem(s->fd[PIN_EXACT], &k, &v,
					BPF_NOEXIST)) {
			err = -errno;
			vtap_steer_slot_abort(s);
			pr_warn("steer: add exact rule: %s%s\n", strerror(-err),
				err == -EEXIST
					? " (the same 5-tuple has a rule)"
					: "");
			return vtap_err(err);
		}
	} else {
		struct vtap_steer_mrule b;
		unsigned int pos;

		if (slot->nrules >= VTAP_STEER_RULES_MAX) {
			vtap_steer_slot_abort(s);
			pr_warn("steer: %d prioritised rules already\n",
				VTAP_STEER_RULES_MAX);
			return vtap_err(-ENOSPC);
		}
		memset(&b, 0, sizeof(b));
		b.id = id;
		b.prio = r->prio;
		b.queue = r->queue;
		b.family = r->family;
		b.proto = r->proto;
		b.src_len = r->src_len;
		b.dst_len = r->dst_len;
		if (r->has_sport) {
			b.flags |= VTAP_STEER_RULE_SPORT;
			b.sport = htons(r->sport);
		}
		if (r->has_dport) {
			b.flags |= VTAP_STEER_RULE_DPORT;
			b.dport = htons(r->dport);
		}
		for (int i = 0; i < 16; i++)
			a[i] = r->src[i] & sm[i];
		words(a, b.src);
		words(sm, b.src_mask);
		for (int i = 0; i < 16; i++)
			a[i] = r->dst[i] & dm[i];
		words(a, b.dst);
		words(dm, b.dst_mask);
		/*
		 * After every rule of the same or a lower priority value: the
		 * new id is the largest, so the slot stays sorted by rank.
		 */
		for (pos = 0; pos < slot->nrules; pos++)
			if (s->rules[pos].prio > r->prio)
				break;
		memmove(&s->rules[pos + 1], &s->rules[pos],
			(slot->nrules - pos) * sizeof(s->rules[0]));
		s->rules[pos] = b;
		slot->nrules++;
	}
	s->view->next_rule_id = id + 1;
	slot->flags |= VTAP_STEER_F_RULES;
	err = vtap_steer_slot_commit(s);
	if (err)
		return vtap_err(err);
	if (ret_id)
		*ret_id = id;
	return 0;
}

int vtap_steer__rule_del(struct vtap_steer *s, uint32_t id)
{
	struct vtap_steer_exact_key k, next, *prev = NULL;
	struct vtap_steer_slot_head *slot;
	struct vtap_steer_exact_val v;
	int err;

	if (!s || !id)
		return vtap_err(-EINVAL);
	err = vtap_steer_slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	for (unsigned int i = 0; i < slot->nrules; i++) {
		if (s->rules[i].id != id)
			continue;
		memmove(&s->rules[i], &s->rules[i + 1],
			(slot->nrules - i - 1) * sizeof(s->rules[0]));
		slot->nrules--;
		return vtap_err(vtap_steer_slot_commit(s));
	}
	vtap_steer_slot_abort(s);
	while (!bpf_map_get_next_key(s->fd[PIN_EXACT], prev, &next)) {
		if (!bpf_map_lookup_elem(s->fd[PIN_EXACT], &next, &v) &&
		    v.id == id) {
			if (bpf_map_delete_elem(s->fd[PIN_EXACT], &next))
				return vtap_err(-errno);
			return 0;
		}
		k = next;
		prev = &k;
	}
	return vtap_err(-ENOENT);
}

static void words_to_bytes(const uint32_t *w, uint8_t *b)
{
	memcpy(b, w, 16);
}

static unsigned int mask_len(const uint32_t *mask)
{
	uint8_t b[16];
	unsigned int n = 0;

	words_to_bytes(mask, b);
	for (int i = 0; i < 16; i++)
		n += (unsigned int)__builtin_popcount(b[i]);
	return n;
}

/* qsort() order of a rule list: the order the rules are tried in. */
static int rule_cmp(const void *a, const void *b)
{
	const struct vtap_steer_rule *x = a, *y = b;
	uint64_t rx = vtap_steer_rule_rank(x->prio, x->id);
	uint64_t ry = vtap_steer_rule_rank(y->prio, y->id);

	return (rx > ry) - (rx < ry);
}

int vtap_steer__rules(const struct vtap_steer *s, struct vtap_steer_rule *ret,
		      size_t max)
{
	struct vtap_steer_exact_key k, next, *prev = NULL;
	const struct vtap_steer_slot_head *slot;
	struct vtap_steer_exact_val v;
	size_t n = 0;
	int err;

	if (!s || (!ret && max))
		return vtap_err(-EINVAL);
	err = vtap_steer_read_view(s, true);
	if (err)
		return vtap_err(err);
	while (!bpf_map_get_next_key(s->fd[PIN_EXACT], prev, &next)) {
		if (!bpf_map_lookup_elem(s->fd[PIN_EXACT], &next, &v)) {
			if (n < max) {
				struct vtap_steer_rule *r = &ret[n];
				size_t alen = next.l3 == 6 ? 16 : 4;

				memset(r, 0, sizeof(*r));
				r->sz = sizeof(*r);
				r->id = v.id;
				r->family = next.l3;
				r->proto = next.l4;
				memcpy(r->src, next.src, alen);
				memcpy(r->dst, next.dst, alen);
				r->src_len = r->dst_len = (uint8_t)(alen * 8);
				r->has_sport = r->has_dport = true;
				r->sport = ntohs(next.sport);
				r->dport = ntohs(next.dport);
				r->queue = v.queue;
				r->prio = v.prio;
				r->exact = true;
			}
			n++;
		}
		k = next;
		prev = &k;
	}
	slot = &s->view->slot;
	for (unsigned int i = 0; i < slot->nrules; i++, n++) {
		const struct vtap_steer_mrule *b = &s->rules[i];
		struct vtap_steer_rule *r;

		if (n >= max)
			continue;
		r = &ret[n];
		memset(r, 0, sizeof(*r));
		r->sz = sizeof(*r);
		r->id = b->id;
		r->family = b->family;
		r->proto = b->proto;
		words_to_bytes(b->src, r->src);
		words_to_bytes(b->dst, r->dst);
		r->src_len = (uint8_t)mask_len(b->src_mask);
		r->dst_len = (uint8_t)mask_len(b->dst_mask);
		r->has_sport = b->flags & VTAP_STEER_RULE_SPORT;
		r->has_dport = b->flags & VTAP_STEER_RULE_DPORT;
		r->sport = ntohs(b->sport);
		r->dport = ntohs(b->dport);
		r->queue = b->queue;
		r->prio = b->prio;
	}
	if (ret)
		qsort(ret, n < max ? n : max, sizeof(*ret), rule_cmp);
	return n > INT_MAX ? INT_MAX : (int)n;
}

int vtap_steer__ext_set(struct vtap_steer *s, const char *obj_path,
			const char *prog_name)
{
	struct bpf_program *prog = NULL, *p;
	struct bpf_map *jmp, *pkt, *stats;
	struct bpf_object *obj;
	uint32_t key = VTAP_STEER_JMP_EXT;
	char path[PATH_MAX];
	int err, fd;

	if (!s || !obj_path)
		return vtap_err(-EINVAL);
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		char msg[128];

		err = -errno;
		libbpf_strerror(err, msg, sizeof(msg));
		pr_warn("steer: open %s: %s\n", obj_path, msg);
		/* libbpf's own codes (ELF format, ...) mean: not a BPF object. */
		return vtap_err(-err >= __LIBBPF_ERRNO__START ? -ENOEXEC : err);
	}
	jmp = bpf_object__find_map_by_name(obj, "vtap_steer_jmp");
	pkt = bpf_object__find_map_by_name(obj, "vtap_steer_pkt");
	if (!jmp || !pkt) {
		pr_warn("steer: %s was not built with <vtap/steer_ext.h> (no vtap_steer_jmp/vtap_steer_pkt maps)\n",
			obj_path);
		err = -ENOEXEC;
		goto fail;
	}
	if (bpf_object__find_program_by_name(obj, "vtap_steer_cont")) {
		/* It has the maps, but tail-calling it would loop. */
		pr_warn("steer: %s is vtap's own steering program, not an extension\n",
			obj_path);
		err = -ENOEXEC;
		goto fail;
	}
	bpf_object__for_each_program(p, obj)
	{
		bool match = prog_name
				     ? !strcmp(bpf_program__name(p), prog_name)
				     : !prog;

		if (match &&
		    bpf_program__type(p) == BPF_PROG_TYPE_SOCKET_FILTER)
			prog = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!prog) {
		pr_warn("steer: %s has no socket-filter program%s%s (SEC(\"socket\"), e.g. VTAP_STEER_EXT())\n",
			obj_path, prog_name ? " named " : "",
			prog_name ? prog_name : "");
		err = prog_name ? -ENOENT : -EINVAL;
		goto fail;
	}
	if (bpf_map__reuse_fd(jmp, s->fd[PIN_JMP]) ||
	    bpf_map__reuse_fd(pkt, s->fd[PIN_PKT])) {
		err = -errno;
		goto fail;
	}
	/* An extension built with a <vtap/steer_ext.h> that counts. */
	stats = bpf_object__find_map_by_name(obj, "vtap_steer_stats");
	if (stats && s->fd[PIN_STATS] >= 0 &&
	    bpf_map__reuse_fd(stats, s->fd[PIN_STATS])) {
		err = -errno;
		goto fail;
	}
	if (bpf_object__load(obj)) {
		err = -errno;
		pr_warn("steer: loading %s failed: %s%s\n", obj_path,
			strerror(-err), vtap_steer_perm_hint(err));
		goto fail;
	}
	fd = bpf_program__fd(prog);
	if (bpf_map_update_elem(s->fd[PIN_JMP], &key, &fd, BPF_ANY)) {
		err = -errno;
		goto fail;
	}
	if (s->pinned && !vtap_steer_pin_path(s, PIN_EXT, path, sizeof(path))) {
		unlink(path);
		if (bpf_obj_pin(fd, path))
			pr_warn("steer: pin %s: %s\n", path, strerror(errno));
	}
	bpf_object__close(s->ext_obj);
	s->ext_obj = obj;
	err = vtap_steer_slot_begin(s);
	if (err)
		return vtap_err(err);
	s->view->slot.flags |= VTAP_STEER_F_EXT;
	return vtap_err(vtap_steer_slot_commit(s));
fail:
	bpf_object__close(obj);
	return vtap_err(err);
}

int vtap_steer__ext_del(struct vtap_steer *s)
{
	uint32_t key = VTAP_STEER_JMP_EXT;
	char path[PATH_MAX];
	int err;

	if (!s)
		return vtap_err(-EINVAL);
	err = vtap_steer_slot_begin(s);
	if (err)
		return vtap_err(err);
	s->view->slot.flags &= ~VTAP_STEER_F_EXT;
	err = vtap_steer_slot_commit(s);
	if (err)
		return vtap_err(err);
	if (bpf_map_delete_elem(s->fd[PIN_JMP], &key) && errno != ENOENT)
		return vtap_err(-errno);
	if (s->pinned && !vtap_steer_pin_path(s, PIN_EXT, path, sizeof(path)))
		unlink(path);
	bpf_object__close(s->ext_obj);
	s->ext_obj = NULL;
	return 0;
}

int vtap_steer__ext_name(const struct vtap_steer *s, char *buf, size_t size)
{
	struct bpf_prog_info info;
	uint32_t key = VTAP_STEER_JMP_EXT, id, len = sizeof(info);
	int fd, err;

	if (!s || !buf || !size)
		return vtap_err(-EINVAL);
	if (bpf_map_lookup_elem(s->fd[PIN_JMP], &key, &id))
		return vtap_err(-ENOENT);
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return vtap_err(-errno);
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return vtap_err(-errno);
	snprintf(buf, size, "%s", info.name);
	return 0;
}
