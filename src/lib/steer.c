// SPDX-License-Identifier: MIT
/*
 * steer.c - in-kernel steering: opens a handle on a link's steering state
 * (a new program from its skeleton, or the one pinned for the link), maps
 * its configuration, and holds the public glue of the steering module
 *
 * Theory of operation
 *
 * The module is one handle (struct vtap_steer, steer_priv.h) and files
 * named for their concern, each with its own theory of operation:
 *  - steer_cfg.c: the configuration map's validated copy (the only reader
 *    of owner-writable memory), its one writer (two slots, published with
 *    a release store after a grace period) and the table builder;
 *  - steer_pins.c: the bpffs that outlives the caller, one pin directory
 *    per link, garbage collection of the pins of links that are gone;
 *  - steer_rules.c: flow rules and the user extension;
 *  - steer_twin.c: the C twin of the program (vtap_steer__predict()) and
 *    the automq table's writer;
 *  - steer_attach.c: one interface (struct vtap_steer_attach_ops) that
 *    attaches the program to a device, and the program's counters.
 * The device (dev_steer.c) binds a handle and calls
 * vtap_steer__set_queues() from its queue hook; nothing here calls the
 * device.
 *
 * This file opens and closes handles and holds what the public API sets
 * through the slot writer: the steps in force, the RSS settings (kept as
 * intent: equal N, weights or an explicit table, see steer_cfg.c) and the
 * queue count the table is built for.
 */
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "link.h"
#include "rundir.h"
#include "steer.skel.h"
#include "steer_tc.skel.h"
#include "steer_attach.h"
#include "steer_cfg.h"
#include "steer_pins.h"
#include "steer_rules.h"

_Static_assert(VTAP_STEER_STEP_RULES == VTAP_STEER_F_RULES, "step bits");
_Static_assert(VTAP_STEER_STEP_EXT == VTAP_STEER_F_EXT, "step bits");
_Static_assert(VTAP_STEER_STEP_RSS == VTAP_STEER_F_RSS, "step bits");
_Static_assert(VTAP_STEER_STEP_AUTOMQ == VTAP_STEER_F_AUTOMQ, "step bits");
_Static_assert(VTAP_STEER_TABLE_MAX == VTAP_RSS_TABLE_MAX, "table size");
_Static_assert(VTAP_STEER_KEY_MAX == VTAP_TOEPLITZ_KEY_MAX, "key size");
_Static_assert(VTAP_STEER_INPUT_MAX == VTAP_TOEPLITZ_INPUT_MAX, "input");
_Static_assert(VTAP_STEER_QUEUES_MAX == VTAP_QUEUES_MAX, "queues");
_Static_assert(VTAP_STEER_OPT_PAD_MAX == VTAP_PKT_OPT_PAD_MAX, "opt bounds");
_Static_assert(VTAP_STEER_OPT_STEPS_MAX == VTAP_PKT_OPT_STEPS_MAX,
	       "opt bounds");
/* The sizes steer_maps.h pins for the BPF side, checked here as well. */
_Static_assert(sizeof(struct vtap_steer_cfg) == 118248, "cfg size");
_Static_assert(sizeof(struct vtap_steer_mrule) == 84, "rule size");

#define IFF_TUN_ 0x0001

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

/* ------------------------------------------------------------------ */
/* open, pin, close                                                   */
/* ------------------------------------------------------------------ */

static int map_maps(struct vtap_steer *s)
{
	void *p;

	s->cfg_len = page_round(sizeof(struct vtap_steer_cfg));
	p = mmap(NULL, s->cfg_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 s->fd[PIN_CFG], 0);
	if (p == MAP_FAILED)
		return -errno;
	s->cfg = p;
	s->amq_len = page_round(sizeof(struct vtap_steer_automq));
	p = mmap(NULL, s->amq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 s->fd[PIN_AUTOMQ], 0);
	if (p == MAP_FAILED)
		return -errno;
	s->amq = p;
	return 0;
}

/* The object names of what the handle holds, by pin (maps and programs). */
static const char *const obj_names[PIN__COUNT] = {
	[PIN_CFG] = "cfg",
	[PIN_AUTOMQ] = "automq",
	[PIN_EXACT] = "exact",
	[PIN_JMP] = "vtap_steer_jmp",
	[PIN_PKT] = "vtap_steer_pkt",
	[PIN_PROG] = "vtap_steer",
	[PIN_CONT] = "vtap_steer_cont",
	[PIN_STATS] = "vtap_steer_stats",
	[PIN_VERDICT] = "vtap_steer_verdict",
};

/* A new program, the tun or the tc build (s->ops->tc), and its maps. */
static int load_new(struct vtap_steer *s)
{
	int err, one = VTAP_STEER_JMP_CONT, fd;
	struct bpf_object *obj;

	if (s->ops->tc) {
		s->skel_tc = steer_tc_bpf__open_and_load();
		obj = s->skel_tc ? s->skel_tc->obj : NULL;
	} else {
		s->skel = steer_bpf__open_and_load();
		obj = s->skel ? s->skel->obj : NULL;
	}
	if (!obj) {
		err = -errno;
		pr_warn("steer: loading the steering program failed: %s%s\n",
			strerror(-err), vtap_steer_perm_hint(err));
		return err;
	}
	for (int i = 0; i < PIN_EXT; i++) {
		struct bpf_program *p;

		if (i == PIN_PROG || i == PIN_CONT) {
			p = bpf_object__find_program_by_name(obj, obj_names[i]);
			s->fd[i] = p ? bpf_program__fd(p) : -ENOENT;
		} else {
			s->fd[i] = bpf_object__find_map_fd_by_name(
				obj, obj_names[i]);
		}
		if (s->fd[i] < 0)
			return -ENOENT;
	}
	fd = s->fd[PIN_CONT];
	if (bpf_map_update_elem(s->fd[PIN_JMP], &one, &fd, BPF_ANY))
		return -errno;
	return 0;
}

struct vtap_steer *vtap_steer__open(const char *ifname,
				    const struct vtap_steer_opts *opts)
{
	unsigned int flags = OPTS_GET(opts, flags, 0), queues;
	struct vtap_steer *s;
	bool tun = flags & VTAP_STEER_TUN;
	struct vtap_link l = {.ifindex = 0};
	int err, lerr;

	if (!vtap_steer_ifname_ok(ifname) ||
	    !OPTS_VALID(opts, struct vtap_steer_opts))
		return vtap_err_ptr(-EINVAL);
	queues = OPTS_GET(opts, queues, 0);
	if (queues > VTAP_QUEUES_MAX) {
		pr_warn("steer: %u queues, at most %d\n", queues,
			VTAP_QUEUES_MAX);
		return vtap_err_ptr(-EINVAL);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return vtap_err_ptr(-ENOMEM);
	s->view = calloc(1, sizeof(*s->view));
	s->rules = calloc(VTAP_STEER_RULES_MAX, sizeof(*s->rules));
	s->tables = calloc(VTAP_STEER_INPUT_MAX, sizeof(*s->tables));
	if (!s->view || !s->rules || !s->tables) {
		err = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < PIN__COUNT; i++)
		s->fd[i] = -1;
	s->dir_fd = -1;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	/*
	 * The link of this name in the caller's namespace, now, and how it
	 * runs the program: its kind picks the attach point.
	 */
	s->ops = flags & VTAP_STEER_TC ? &vtap_steer_attach_tc
				       : &vtap_steer_attach_tun;
	lerr = vtap_link_get(0, ifname, &l);
	if (!lerr) {
		const struct vtap_steer_attach_ops *ops;

		ops = vtap_steer_attach_for(&l);
		if (ops) {
			s->ops = ops;
			s->ifindex = l.ifindex;
			if (l.is_tun && (l.tun_flags & IFF_TUN_))
				tun = true;
		} else {
			lerr = -EINVAL;
		}
	}
	/* tc sees the Ethernet header, as a TAP device hands frames over. */
	s->tun = tun && !s->ops->tc;

	if (flags & (VTAP_STEER_PIN | VTAP_STEER_NO_CREATE)) {
		s->pinned = true;
		/* Pins are the state of one link: (namespace, ifindex). */
		if (lerr) {
			err = lerr == -EINVAL ? -EINVAL : -ENODEV;
			if (err == -EINVAL)
				pr_warn("steer: %s is not a tun/tap, macvtap or "
					"ipvtap device (it is '%s')\n",
					ifname, l.kind);
			goto fail;
		}
		err = vtap_steer_pin_dir(!(flags & VTAP_STEER_NO_CREATE),
					 s->ifindex, s->dir, sizeof(s->dir));
		if (err)
			goto fail;
		/* Another link's pins (it had this ifindex): never used. */
		if (vtap_steer_pins_exist(s) && !vtap_steer_pins_bound(s) &&
		    vtap_steer_pins_exist(s)) {
			err = -ESTALE;
			goto fail;
		}
		if (!vtap_steer_pins_exist(s) &&
		    (flags & VTAP_STEER_NO_CREATE)) {
			err = -ENOENT;
			goto fail;
		}
	}
	if (s->pinned && vtap_steer_pins_exist(s)) {
		err = vtap_steer_open_pins(s);
		if (!err)
			err = map_maps(s);
		if (!err && s->cfg->abi != VTAP_STEER_ABI) {
			pr_warn("steer: the pins in %s have another layout (0x%x, want 0x%x)\n",
				s->dir, s->cfg->abi, VTAP_STEER_ABI);
			err = -EINVAL;
		}
	} else {
		if (!queues) {
			int n = s->ifindex > 0 ? vtap_rundir_queues(s->ifindex)
					       : -ENOENT;

			queues = n > 0 ? (unsigned int)n : 1;
		}
		if (s->pinned)
			vtap_steer_gc_pins();
		err = load_new(s);
		if (!err)
			err = map_maps(s);
		if (!err)
			err = vtap_steer_init_cfg(s, queues, s->tun);
		if (!err && s->pinned)
			err = vtap_steer_pin_all(s, opts);
	}
	if (err)
		goto fail;
	/* The writers' lock: only root can open the directory (0711). */
	if (s->pinned)
		s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);
	/* State someone else wrote: say at once when it is corrupt. */
	err = vtap_steer_read_view(s, true);
	if (err)
		goto fail;
	return s;
fail:
	vtap_steer__close(s);
	return vtap_err_ptr(err);
}

void vtap_steer__close(struct vtap_steer *s)
{
	if (!s)
		return;
	if (s->release)
		s->release(s, s->release_ctx);
	if (s->cfg)
		munmap(s->cfg, s->cfg_len);
	if (s->amq)
		munmap(s->amq, s->amq_len);
	vtap_rss__free(s->rss);
	free(s->view);
	free(s->rules);
	free(s->tables);
	bpf_object__close(s->ext_obj);
	if (s->skel) {
		steer_bpf__destroy(s->skel); /* owns the fds */
	} else if (s->skel_tc) {
		steer_tc_bpf__destroy(s->skel_tc);
	} else {
		for (int i = 0; i < PIN__COUNT; i++)
			if (s->fd[i] >= 0)
				close(s->fd[i]);
	}
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s);
}

/* ------------------------------------------------------------------ */
/* steps, RSS, queues                                                 */
/* ------------------------------------------------------------------ */

uint32_t vtap_steer__steps(const struct vtap_steer *s)
{
	if (!s || vtap_steer_read_view(s, false))
		return 0;
	return s->view->slot.flags & VTAP_STEER_STEP_ALL;
}

uint64_t vtap_steer__frames_cut(const struct vtap_steer *s)
{
	/* Any value is fine to print: nothing is indexed by it. */
	return s ? __atomic_load_n(&s->cfg->frames_cut, __ATOMIC_RELAXED) : 0;
}

int vtap_steer__set_steps(struct vtap_steer *s, uint32_t steps)
{
	struct vtap_steer_slot_head *slot;
	int err;

	if (!s || (steps & ~VTAP_STEER_STEP_ALL))
		return vtap_err(-EINVAL);
	if ((steps & VTAP_STEER_STEP_EXT) && !vtap_steer_ext_present(s)) {
		pr_warn("steer: no extension installed on %s\n", s->ifname);
		return vtap_err(-ENOENT);
	}
	err = vtap_steer_slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	slot->flags = (slot->flags & ~VTAP_STEER_STEP_ALL) | steps;
	return vtap_err(vtap_steer_slot_commit(s));
}

unsigned int vtap_steer__intended_queues(const struct vtap_steer *s)
{
	if (!s || vtap_steer_read_view(s, false))
		return 0;
	return s->view->intended_queues;
}

static int check_rss(const struct vtap_steer_rss *r, unsigned int nq)
{
	if (r->hash_types & ~VTAP_HASH_TYPE_ALL) {
		pr_warn("steer: unknown hash type bits 0x%x\n",
			r->hash_types & ~VTAP_HASH_TYPE_ALL);
		return -EINVAL;
	}
	if (r->key_len > VTAP_TOEPLITZ_KEY_MAX) {
		pr_warn("steer: key of %u bytes, at most %d\n", r->key_len,
			VTAP_TOEPLITZ_KEY_MAX);
		return -EINVAL;
	}
	if (r->unclassified_queue >= nq) {
		pr_warn("steer: unclassified queue %u, but the tap has %u queues\n",
			r->unclassified_queue, nq);
		return -EINVAL;
	}
	switch (r->kind) {
	case VTAP_STEER_TABLE_EQUAL:
		if (r->equal_n > nq) {
			pr_warn("steer: equal %u, but the tap has %u queues\n",
				r->equal_n, nq);
			return -EINVAL;
		}
		return 0;
	case VTAP_STEER_TABLE_WEIGHT:
		if (!r->n_weights || r->n_weights > nq) {
			pr_warn("steer: %u weights, but the tap has %u queues\n",
				r->n_weights, nq);
			return -EINVAL;
		}
		for (unsigned int i = 0; i < r->n_weights; i++)
			if (r->weights[i])
				return 0;
		pr_warn("steer: every weight is 0; at least one queue needs a share\n");
		return -EINVAL;
	case VTAP_STEER_TABLE_EXPLICIT:
		if (!r->table_len || r->table_len > VTAP_RSS_TABLE_MAX ||
		    (r->table_len & (r->table_len - 1))) {
			pr_warn("steer: table length %u is not a power of two in 1..%d\n",
				r->table_len, VTAP_RSS_TABLE_MAX);
			return -EINVAL;
		}
		for (unsigned int i = 0; i < r->table_len; i++) {
			if (r->table[i] >= nq) {
				pr_warn("steer: table entry %u names queue %u, but the tap has %u queues\n",
					i, r->table[i], nq);
				return -EINVAL;
			}
		}
		return 0;
	default:
		pr_warn("steer: unknown table kind %u\n", r->kind);
		return -EINVAL;
	}
}

/*
 * The queue count a table is built for when no handle of this process
 * manages the device's queues: those the kernel has attached
 * (IFLA_TUN_NUM_QUEUES: a VMM without libvtap counts too), else every
 * intended queue, so that the next opener gets the intent; the current
 * count when the link does not say (not a tun device).
 */
static unsigned int unmanaged_queues(const struct vtap_steer *s)
{
	struct vtap_link l;

	if (vtap_link_get(s->ifindex, NULL, &l) || l.num_queues < 0)
		return s->view->cur_queues;
	if (l.num_queues > 0 && l.num_queues <= VTAP_QUEUES_MAX)
		return (unsigned int)l.num_queues;
	return s->view->intended_queues ? s->view->intended_queues : 1;
}

int vtap_steer_queues_released(struct vtap_steer *s)
{
	unsigned int n;
	int err;

	err = vtap_steer_slot_begin(s);
	if (err)
		return err;
	n = unmanaged_queues(s);
	if (n == s->view->cur_queues) {
		vtap_steer_slot_abort(s);
		return 0;
	}
	s->view->cur_queues = n;
	vtap_steer_build_table(&s->view->intent, n, &s->view->slot);
	return vtap_steer_slot_commit(s);
}

int vtap_steer__set_rss(struct vtap_steer *s, const struct vtap_steer_rss *r)
{
	struct vtap_steer_intent in = {0};
	struct vtap_steer_slot_head *slot;
	const uint8_t *key;
	size_t key_len;
	int err;

	if (!s || !r || r->sz < offsetof(struct vtap_steer_rss, queues_now))
		return vtap_err(-EINVAL);
	err = vtap_steer_read_view(s, false);
	if (!err)
		err = check_rss(r, s->view->intended_queues);
	if (err)
		return vtap_err(err);
	in.kind = (uint16_t)r->kind;
	in.equal_n = r->equal_n;
	in.n_weights = r->n_weights;
	memcpy(in.weights, r->weights, sizeof(in.weights));
	in.table_len = r->kind == VTAP_STEER_TABLE_EXPLICIT ? r->table_len : 0;
	memcpy(in.table, r->table, sizeof(in.table));
	in.unclassified = r->unclassified_queue;
	key = r->key_len ? r->key : vtap_rss_default_key;
	key_len = r->key_len ? r->key_len : sizeof(vtap_rss_default_key);

	err = vtap_steer_slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	vtap_steer_set_key(slot, key, key_len);
	slot->hash_types = r->hash_types;
	s->view->intent = in;
	s->view->rss_on_intent = 1;
	/* Not following a device's queues here: build for what is attached,
	 * or for the intent when nothing is (a VMM that left). */
	if (!vtap_steer_bound(s))
		s->view->cur_queues = unmanaged_queues(s);
	vtap_steer_build_table(&in, s->view->cur_queues, slot);
	slot->flags |= VTAP_STEER_F_RSS;
	return vtap_err(vtap_steer_slot_commit(s));
}

int vtap_steer__rss(const struct vtap_steer *s, struct vtap_steer_rss *ret)
{
	const struct vtap_steer_slot_head *slot;
	const struct vtap_steer_intent *in;
	struct vtap_steer_slot_head whole;
	struct vtap_steer_rss r;
	size_t sz;
	int err;

	if (!s || !ret || ret->sz < offsetof(struct vtap_steer_rss, queues_now))
		return vtap_err(-EINVAL);
	err = vtap_steer_read_view(s, false);
	if (err)
		return vtap_err(err);
	if (!s->view->rss_on_intent)
		return vtap_err(-ENOENT);
	slot = &s->view->slot;
	in = &s->view->intent;
	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.hash_types = slot->hash_types;
	r.key_len = slot->key_len;
	memcpy(r.key, slot->key, sizeof(r.key));
	r.kind = in->kind;
	r.equal_n = in->equal_n;
	r.n_weights = in->n_weights;
	memcpy(r.weights, in->weights, sizeof(r.weights));
	r.table_len = (uint16_t)(slot->table_mask + 1);
	memcpy(r.table, slot->table, sizeof(r.table));
	r.unclassified_queue = slot->unclassified;
	/* What the table in effect is built for, and the intent's table. */
	r.queues_now = (uint16_t)s->view->cur_queues;
	memset(&whole, 0, sizeof(whole));
	vtap_steer_build_table(in, s->view->intended_queues, &whole);
	r.intent_table_len = (uint16_t)(whole.table_mask + 1);
	memcpy(r.intent_table, whole.table, sizeof(r.intent_table));
	/* Callers built before the last fields get what they know of. */
	sz = ret->sz < sizeof(r) ? ret->sz : sizeof(r);
	r.sz = ret->sz;
	memcpy(ret, &r, sz);
	return 0;
}

int vtap_steer__set_queues(struct vtap_steer *s, unsigned int n)
{
	int err;

	if (!s || !n || n > VTAP_QUEUES_MAX)
		return vtap_err(-EINVAL);
	err = vtap_steer_slot_begin(s);
	if (err)
		return vtap_err(err);
	s->view->cur_queues = n;
	vtap_steer_build_table(&s->view->intent, n, &s->view->slot);
	return vtap_err(vtap_steer_slot_commit(s));
}

int vtap_steer__prog_fd(const struct vtap_steer *s)
{
	if (!s || s->fd[PIN_PROG] < 0)
		return vtap_err(-ENOENT);
	return s->fd[PIN_PROG];
}

const struct vtap_steer_cfg *vtap_steer_cfg(const struct vtap_steer *s)
{
	return s->cfg;
}

int vtap_steer_map_fd(const struct vtap_steer *s, const char *name)
{
	for (int i = 0; i < PIN_EXT; i++)
		if (i != PIN_PROG && i != PIN_CONT &&
		    !strcmp(vtap_steer_pin_names[i], name))
			return s->fd[i];
	return -ENOENT;
}

int vtap_steer__unpin(const char *ifname)
{
	const struct vtap_steer_attach_ops *ops = NULL;
	struct vtap_link l;
	int ifindex = 0, err = 0, err2;

	if (!vtap_steer_ifname_ok(ifname))
		return vtap_err(-EINVAL);
	if (!vtap_link_get(0, ifname, &l)) {
		ops = vtap_steer_attach_for(&l);
		if (ops)
			ifindex = l.ifindex;
	}
	/* A tc filter would go on steering from state nobody can reach. */
	if (ops && ops->tc)
		err = vtap_steer_tc_detach(ifindex, ifname);
	err2 = vtap_steer_remove_pins(ifindex);
	return vtap_err(err ? err : err2);
}

int vtap_steer_bind(struct vtap_steer *s, vtap_steer_release_fn fn, void *ctx)
{
	if (s->release && s->release_ctx != ctx)
		return -EBUSY;
	s->release = fn;
	s->release_ctx = ctx;
	return 0;
}

void *vtap_steer_bound(const struct vtap_steer *s)
{
	return s->release ? s->release_ctx : NULL;
}

void vtap_steer_unbind(struct vtap_steer *s)
{
	s->release = NULL;
	s->release_ctx = NULL;
}
