// SPDX-License-Identifier: MIT
/*
 * steer_attach.c - attaching the steering program to a device, through
 * one interface (struct vtap_steer_attach_ops) with a backend per kind of
 * device: tun/tap takes the program with TUNSETSTEERINGEBPF on a queue;
 * macvtap and ipvtap have no steering ioctl and take the tc build of the
 * program as a filter on their clsact ingress
 *
 * tc. A clsact ingress filter runs before macvtap's rx handler picks the
 * queue (skb_get_hash() % attached queues), so the program sets the hash
 * (steer.bpf.c). vtap attaches it as a direct-action filter with its own
 * handle and priority (TC_HANDLE, TC_PRIO): it creates the clsact qdisc
 * when the device has none, and shares one that is there. A filter keeps
 * its program loaded with no process around, like a pin; what detaching
 * needs is recorded in the device's run directory ("tc": handle,
 * priority, whether vtap created the qdisc), and the qdisc goes with the
 * filter only when vtap created it and no other filter is left on it.
 * The device taking its own frames counts them as rx (macvlan's
 * macvlan_count_rx()), tun as tx: ops->frames says which.
 *
 * Counters. The program counts every run per queue and deciding step
 * (vtap_steer_stats, pinned as "stats", readable by all):
 * vtap_steer__counts() sums them over CPUs, and vtap_steer__attached()
 * compares their total with the frames the device handed its readers
 * since vtap last attached the program (recorded in the run directory) to
 * tell whether it still steers; when vtap attached an instance of its own
 * (steer_guard.c) the answer is a fact: whether that instance is alive.
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/pkt_sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "link.h"
#include "rundir.h"
#include "steer_attach.h"
#include "steer_guard.h"

#define IFF_PERSIST_ 0x0800

static void attach_record(const struct vtap_steer *s);

/* ------------------------------------------------------------------ */
/* tun/tap: TUNSETSTEERINGEBPF                                        */
/* ------------------------------------------------------------------ */

/* A queue of the tun/tap, opened to attach through (the caller closes). */
static int tun_open_queue(struct vtap_steer *s)
{
	struct ifreq ifr;
	int flags, fd, err;

	flags = vtap_link_tun_flags(s->ifname, NULL);
	if (flags < 0) {
		pr_warn("steer: %s is not a tun/tap device\n", s->ifname);
		return flags;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", s->ifname);
	ifr.ifr_flags = (short)(flags & ~IFF_PERSIST_);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = -errno;
		pr_warn("steer: open a queue of %s: %s%s\n", s->ifname,
			strerror(-err),
			err == -EPERM
				? " (needs CAP_NET_ADMIN or the tap's owner)"
			: err == -EBUSY ? " (single-queue tap open elsewhere)"
					: "");
		close(fd);
		return err;
	}
	return fd;
}

static int tun_attach(struct vtap_steer *s, int queue_fd)
{
	int fd = queue_fd, prog = s->fd[PIN_PROG], err = 0;

	if (fd < 0) {
		fd = tun_open_queue(s);
		if (fd < 0)
			return fd;
	}
	if (ioctl(fd, TUNSETSTEERINGEBPF, &prog)) {
		err = -errno;
		pr_warn("steer: TUNSETSTEERINGEBPF on %s: %s\n", s->ifname,
			strerror(-err));
	}
	if (queue_fd < 0)
		close(fd);
	return err;
}

static int tun_detach(struct vtap_steer *s)
{
	int fd, none = -1, err = 0;

	fd = tun_open_queue(s);
	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETSTEERINGEBPF, &none)) {
		err = -errno;
		pr_warn("steer: TUNSETSTEERINGEBPF on %s: %s\n", s->ifname,
			strerror(-err));
	}
	close(fd);
	return err;
}

static uint64_t tun_frames(const struct vtap_link *l)
{
	return l->stats.tx_packets;
}

const struct vtap_steer_attach_ops vtap_steer_attach_tun = {
	.name = "tun",
	.attach = tun_attach,
	.detach = tun_detach,
	.frames = tun_frames,
};

/* ------------------------------------------------------------------ */
/* macvtap/ipvtap: a clsact ingress filter                            */
/* ------------------------------------------------------------------ */

/* The filter's handle ("vt") and priority (first on the ingress). */
#define TC_HANDLE 0x7674u
#define TC_PRIO 1u
#define TC_RECORD "tc"

struct tc_record {
	unsigned int handle, prio;
	bool created; /* vtap created the clsact qdisc */
};

static int tc_record_read(int ifindex, struct tc_record *ret)
{
	unsigned int created;
	char buf[64];
	ssize_t n = -ENOENT;
	int fd;

	fd = vtap_rundir_open(ifindex, false);
	if (fd >= 0) {
		n = vtap_read_file_at(fd, TC_RECORD, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	if (sscanf(buf, "%x %u %u", &ret->handle, &ret->prio, &created) != 3 ||
	    !ret->handle || !ret->prio || ret->prio > 0xffff)
		return -EINVAL;
	ret->created = created;
	return 0;
}

static void tc_record_write(int ifindex, const char *name,
			    const struct tc_record *r)
{
	char buf[64];
	int fd, n, err;

	fd = vtap_rundir_open(ifindex, true);
	if (fd < 0) {
		pr_warn("steer: %s: cannot record the tc filter (%s): 'vtapctl "
			"steer detach' will not remove the clsact qdisc\n",
			name, strerror(-fd));
		return;
	}
	n = snprintf(buf, sizeof(buf), "%x %u %u\n", r->handle, r->prio,
		     r->created);
	err = vtap_write_file_at(fd, TC_RECORD, buf, (size_t)n);
	if (err)
		pr_warn("steer: %s: recording the tc filter: %s\n", name,
			strerror(-err));
	close(fd);
}

/* Whether the filter at @opts's handle and priority runs vtap's program. */
static bool tc_is_ours(const struct bpf_tc_hook *hook, unsigned int handle,
		       unsigned int prio)
{
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = handle, .priority = prio);
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	bool ours = false;
	int fd;

	/* Asked first with a dump: a query of a missing filter makes the
	 * kernel (and libbpf's log) complain. */
	if (!vtap_nl_tc_filter_exists(hook->ifindex,
				      TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
				      handle, prio))
		return false;
	if (bpf_tc_query(hook, &q) || !q.prog_id)
		return false;
	fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		ours = !strcmp(info.name, "vtap_steer");
	close(fd);
	return ours;
}

static int tc_attach(struct vtap_steer *s, int queue_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = s->ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIO,
		    .prog_fd = s->fd[PIN_PROG]);
	struct tc_record r = {.handle = TC_HANDLE, .prio = TC_PRIO};
	struct tc_record old;
	int err;

	if (s->ifindex <= 0) {
		pr_warn("steer: %s: no such device to attach to\n", s->ifname);
		return -ENODEV;
	}
	err = bpf_tc_hook_create(&hook);
	if (!err)
		r.created = true;
	else if (err == -EEXIST)
		/* Ours from an earlier attach, or someone else's: shared. */
		r.created = !tc_record_read(s->ifindex, &old) && old.created;
	else
		goto fail;
	/* Replace an earlier vtap filter, never another one. */
	if (tc_is_ours(&hook, TC_HANDLE, TC_PRIO))
		opts.flags = BPF_TC_F_REPLACE;
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		if (r.created &&
		    !vtap_nl_tc_filters(
			    s->ifindex,
			    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS))) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		goto fail;
	}
	tc_record_write(s->ifindex, s->ifname, &r);
	return 0;
fail:
	pr_warn("steer: attach to the tc ingress of %s: %s%s\n", s->ifname,
		strerror(-err),
		err == -EEXIST
			? " (another filter holds handle 0x7674 priority 1)"
		: err == -EPERM || err == -EACCES
			? " (needs CAP_NET_ADMIN and CAP_BPF, or root)"
			: "");
	return err;
}

int vtap_steer_tc_detach(int ifindex, const char *name)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	struct tc_record r = {.handle = TC_HANDLE, .prio = TC_PRIO};
	bool recorded;
	int err = 0, in, eg, fd;

	recorded = !tc_record_read(ifindex, &r);
	if (recorded || tc_is_ours(&hook, r.handle, r.prio)) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = r.handle,
			    .priority = r.prio);

		err = bpf_tc_detach(&hook, &opts);
		if (err == -ENOENT || err == -EINVAL) /* filter or qdisc gone */
			err = 0;
		if (err)
			pr_warn("steer: detach from the tc ingress of %s: %s\n",
				name, strerror(-err));
	}
	if (!err && recorded && r.created) {
		in = vtap_nl_tc_filters(
			ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
		eg = vtap_nl_tc_filters(
			ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
		if (in == 0 && eg == 0) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			err = bpf_tc_hook_destroy(&hook);
			if (err == -ENOENT || err == -EINVAL)
				err = 0;
			if (err)
				pr_warn("steer: remove the clsact qdisc of %s: "
					"%s\n",
					name, strerror(-err));
		} else if (in > 0 || eg > 0) {
			pr_info("steer: %s: the clsact qdisc stays (%d other "
				"filter(s) on it)\n",
				name, (in > 0 ? in : 0) + (eg > 0 ? eg : 0));
		}
	}
	if (!err && recorded) {
		fd = vtap_rundir_open(ifindex, false);
		if (fd >= 0) {
			unlinkat(fd, TC_RECORD, 0);
			close(fd);
		}
	}
	return err;
}

static int tc_detach(struct vtap_steer *s)
{
	if (s->ifindex <= 0)
		return -ENODEV;
	return vtap_steer_tc_detach(s->ifindex, s->ifname);
}

static uint64_t tc_frames(const struct vtap_link *l)
{
	return l->stats.rx_packets;
}

const struct vtap_steer_attach_ops vtap_steer_attach_tc = {
	.name = "tc",
	.tc = true,
	.attach = tc_attach,
	.detach = tc_detach,
	.frames = tc_frames,
};

const struct vtap_steer_attach_ops *
vtap_steer_attach_for(const struct vtap_link *l)
{
	if (l->is_tun)
		return &vtap_steer_attach_tun;
	if (!strcmp(l->kind, "macvtap") || !strcmp(l->kind, "ipvtap"))
		return &vtap_steer_attach_tc;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the public glue                                                    */
/* ------------------------------------------------------------------ */

static int attach(struct vtap_steer *s, int queue_fd)
{
	uint32_t prev;
	int err;

	if (s->fd[PIN_PROG] < 0) {
		pr_warn("steer: no access to the steering program of %s%s\n",
			s->ifname, vtap_steer_perm_hint(-EPERM));
		return vtap_err(-EPERM);
	}
	/* Recorded first (a guard that sees its instance go then knows vtap
	 * replaced it: steer_guard.c), put back when the attach fails. */
	prev = vtap_steer_attach_recorded(s);
	attach_record(s);
	err = s->ops->attach(s, queue_fd);
	if (err) {
		vtap_steer_attach_record(s, prev);
		return vtap_err(err);
	}
	return 0;
}

int vtap_steer__attach(struct vtap_steer *s, int tap_fd)
{
	if (!s || tap_fd < 0)
		return vtap_err(-EINVAL);
	return attach(s, tap_fd);
}

int vtap_steer__attach_name(struct vtap_steer *s)
{
	if (!s)
		return vtap_err(-EINVAL);
	return attach(s, -1);
}

int vtap_steer__detach(struct vtap_steer *s)
{
	if (!s)
		return vtap_err(-EINVAL);
	return vtap_err(s->ops->detach(s));
}

const char *vtap_steer__attach_point(const struct vtap_steer *s)
{
	return s ? s->ops->name : NULL;
}

/* ------------------------------------------------------------------ */
/* counters                                                           */
/* ------------------------------------------------------------------ */

_Static_assert(VTAP_STEER_CNT_RULE == 0 && VTAP_STEER_CNT_EXT == 1 &&
		       VTAP_STEER_CNT_RSS == 2 &&
		       VTAP_STEER_CNT_UNCLASSIFIED == 3 &&
		       VTAP_STEER_CNT_AUTOMQ == 4 && VTAP_STEER_CNT_NONE == 5 &&
		       VTAP_STEER_CNT_KERNEL == VTAP_STEER_STAT_KERNEL &&
		       VTAP_STEER_CNT__COUNT <= VTAP_STEER_STAT_SLOTS,
	       "the program's step counters (steer_ext.h)");

static const char *const by_names[] = {
	[VTAP_STEER_CNT_RULE] = "rule",
	[VTAP_STEER_CNT_EXT] = "ext",
	[VTAP_STEER_CNT_RSS] = "rss",
	[VTAP_STEER_CNT_UNCLASSIFIED] = "unclassified",
	[VTAP_STEER_CNT_AUTOMQ] = "automq",
	[VTAP_STEER_CNT_NONE] = "none",
	[VTAP_STEER_CNT_KERNEL] = "kernel",
};
_Static_assert(sizeof(by_names) / sizeof(by_names[0]) == VTAP_STEER_CNT__COUNT,
	       "step names");

const char *vtap_steer_cnt__name(unsigned int by)
{
	return by < VTAP_STEER_CNT__COUNT ? by_names[by] : NULL;
}

int vtap_steer__counts(const struct vtap_steer *s,
		       struct vtap_steer_qcount *ret, unsigned int max)
{
	int ncpu = libbpf_num_possible_cpus(), last = 0;
	struct vtap_steer_qstats *v;

	if (!s || (!ret && max))
		return vtap_err(-EINVAL);
	if (s->fd[PIN_STATS] < 0)
		return vtap_err(-ENOENT);
	if (ncpu <= 0)
		return vtap_err(ncpu ? ncpu : -EINVAL);
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return vtap_err(-ENOMEM);
	if (max)
		memset(ret, 0, max * sizeof(*ret));
	for (__u32 q = 0; q < VTAP_STEER_STATS_QUEUES; q++) {
		bool any = false;

		if (bpf_map_lookup_elem(s->fd[PIN_STATS], &q, v))
			continue;
		for (int c = 0; c < ncpu; c++) {
			for (int b = 0; b < VTAP_STEER_CNT__COUNT; b++) {
				any |= v[c].by[b] != 0;
				if (q < max)
					ret[q].by[b] += v[c].by[b];
			}
		}
		if (any)
			last = (int)q + 1;
	}
	free(v);
	return last;
}

/* All runs of the program so far (sum of the counters). */
static int total_runs(const struct vtap_steer *s, uint64_t *ret)
{
	struct vtap_steer_qcount *c;
	int n;

	c = calloc(VTAP_STEER_STATS_QUEUES, sizeof(*c));
	if (!c)
		return -ENOMEM;
	n = vtap_steer__counts(s, c, VTAP_STEER_STATS_QUEUES);
	*ret = 0;
	for (int q = 0; q < n; q++)
		for (int b = 0; b < VTAP_STEER_CNT__COUNT; b++)
			*ret += c[q].by[b];
	free(c);
	return n < 0 ? n : 0;
}

/* The tap's frames handed to readers so far, and the program's runs. */
static int attach_now(const struct vtap_steer *s, uint64_t *ret_runs,
		      uint64_t *ret_frames)
{
	struct vtap_link l;
	int err;

	err = vtap_link_get(s->ifindex, NULL, &l);
	if (err)
		return err;
	if (!l.has_stats)
		return -ENODATA;
	*ret_frames = s->ops->frames(&l);
	return total_runs(s, ret_runs);
}

/*
 * After an attach: from here on every frame a reader takes ran the
 * program. Record (runs, tx_packets, the instance attached) in the tap's
 * run directory, root's, for vtap_steer__attached() (a handle that cannot
 * write there, the tap's owner, leaves the last record).
 */
void vtap_steer_attach_record(const struct vtap_steer *s, uint32_t prog_id)
{
	uint64_t runs, frames;
	char buf[96];
	int fd, n;

	if (!s->pinned || attach_now(s, &runs, &frames))
		return;
	fd = vtap_rundir_open(s->ifindex, true);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%llu %llu %u\n",
		     (unsigned long long)runs, (unsigned long long)frames,
		     prog_id);
	vtap_write_file_at(fd, "attach", buf, (size_t)n);
	close(fd);
}

static void attach_record(const struct vtap_steer *s)
{
	vtap_steer_attach_record(s, 0);
}

/*
 * The record of the last attach: counters then and the instance attached.
 * Return: 0 or -ENOENT.
 */
static int attach_read(const struct vtap_steer *s, uint64_t *ret_runs,
		       uint64_t *ret_frames, uint32_t *ret_id)
{
	unsigned long long r0, f0;
	unsigned int id = 0;
	char buf[96];
	ssize_t n = -ENOENT;
	int fd;

	fd = vtap_rundir_open(s->ifindex, false);
	if (fd >= 0) {
		n = vtap_read_file_at(fd, "attach", buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	n = sscanf(buf, "%llu %llu %u", &r0, &f0, &id);
	if (n < 2)
		return -ENOENT;
	*ret_runs = r0;
	*ret_frames = f0;
	*ret_id = n == 3 ? id : 0;
	return 0;
}

uint32_t vtap_steer_attach_recorded(const struct vtap_steer *s)
{
	uint64_t runs, frames;
	uint32_t id;

	return attach_read(s, &runs, &frames, &id) ? 0 : id;
}

int vtap_steer__attached(struct vtap_steer *s, struct vtap_steer_attached *ret)
{
	struct vtap_steer_attached r = {.state = VTAP_STEER_ATTACHED_UNKNOWN};
	uint64_t runs, frames, r0, f0;
	struct vtap_link l;
	bool counted = false;
	int err;

	if (!s || !ret || !s->pinned || s->ifindex <= 0)
		return vtap_err(-EINVAL);
	err = attach_now(s, &runs, &frames);
	if (err)
		return vtap_err(err);
	r.queues = !vtap_link_get(s->ifindex, NULL, &l) ? l.num_queues : -1;
	vtap_steer_guard_info(s->ifindex, &r.reattached, &r.released);
	/* Counters that went back belong to other state: unknown. */
	if (!attach_read(s, &r0, &f0, &r.prog_id) && runs >= r0 &&
	    frames >= f0) {
		r.runs = runs - r0;
		r.frames = frames - f0;
		counted = true;
	}
	if (r.prog_id && geteuid() == 0) {
		/* The tap holds the only reference to the instance. */
		r.prog_seen = true;
		r.state = vtap_steer_instance_live(r.prog_id)
				  ? VTAP_STEER_ATTACHED_YES
				  : VTAP_STEER_ATTACHED_NO;
	} else if (r.released) {
		/* vtap detached it (steer detach) and recorded that. */
		r.state = VTAP_STEER_ATTACHED_NO;
	} else if (counted && r.frames) {
		r.state = r.runs >= r.frames ? VTAP_STEER_ATTACHED_YES
					     : VTAP_STEER_ATTACHED_NO;
	}
	/*
	 * Frames that ran no program while one queue was attached: the
	 * kernel runs none then (tun_select_queue() with one queue), so they
	 * say nothing about the program.
	 */
	if ((r.state != VTAP_STEER_ATTACHED_NO || !r.prog_seen) && counted &&
	    r.frames && r.runs < r.frames && r.queues >= 0 && r.queues <= 1 &&
	    !r.released)
		r.state = VTAP_STEER_ATTACHED_NOT_RUN;
	*ret = r;
	return 0;
}

/*
 * Whether filter @f is vtap's: its handle and priority, and a program
 * named vtap_steer (by id when the caller may look it up, else by the name
 * libbpf gave the filter, "vtap_steer:[ID]").
 */
static bool tc_filter_is_ours(const struct vtap_nl_tc_filter *f)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd, err;

	if (f->handle != TC_HANDLE || f->prio != TC_PRIO || f->chain ||
	    strcmp(f->kind, "bpf"))
		return false;
	fd = f->bpf_id ? bpf_prog_get_fd_by_id(f->bpf_id) : -1;
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (!err)
			return !strcmp(info.name, "vtap_steer");
	}
	return !strncmp(f->bpf_name, "vtap_steer:", strlen("vtap_steer:"));
}

int vtap_steer__tc_filters(struct vtap_steer *s,
			   int (*fn)(const struct vtap_steer_tc_filter *filter,
				     void *ctx),
			   void *ctx)
{
	struct vtap_nl_tc_filter *list = NULL;
	struct vtap_steer_tc_filter f;
	int n, ours = -1, err = 0;

	if (!s || !fn)
		return vtap_err(-EINVAL);
	if (!s->ops->tc)
		return vtap_err(-EOPNOTSUPP);
	if (s->ifindex <= 0)
		return vtap_err(-ENODEV);
	n = vtap_nl_tc_filter_list(
		s->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), &list);
	if (n < 0)
		return vtap_err(n);
	for (int i = 0; i < n && ours < 0; i++)
		if (tc_filter_is_ours(&list[i]))
			ours = i;
	for (int i = 0; i < n && !err; i++) {
		memset(&f, 0, sizeof(f));
		f.sz = sizeof(f);
		f.prio = list[i].prio;
		f.handle = list[i].handle;
		f.chain = list[i].chain;
		f.protocol = list[i].protocol;
		memcpy(f.kind, list[i].kind, sizeof(f.kind));
		memcpy(f.bpf_name, list[i].bpf_name, sizeof(f.bpf_name));
		f.bpf_id = list[i].bpf_id;
		f.ours = i == ours;
		f.before = ours >= 0 && i < ours && !f.chain;
		err = fn(&f, ctx);
	}
	free(list);
	return err ? err : n;
}

/* ------------------------------------------------------------------ */
/* what the guard needs (steer_guard.h)                               */
/* ------------------------------------------------------------------ */

const char *vtap_steer_ifname(const struct vtap_steer *s)
{
	return s->ifname;
}

int vtap_steer_ifindex(const struct vtap_steer *s)
{
	return s->ifindex;
}

bool vtap_steer_tun_pinned(const struct vtap_steer *s)
{
	return s->pinned && s->ifindex > 0 && s->ops == &vtap_steer_attach_tun;
}

bool vtap_steer_tc_pinned(const struct vtap_steer *s)
{
	return s->pinned && s->ifindex > 0 && s->ops->tc;
}

int vtap_steer_tun_queue(struct vtap_steer *s)
{
	return tun_open_queue(s);
}
