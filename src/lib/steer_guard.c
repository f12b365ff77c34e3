// SPDX-License-Identifier: MIT
/*
 * steer_guard.c - keeping vtap's steering program attached to taps whose
 * openers detach it (QEMU does at guest driver start and on every guest
 * `ethtool -L`), without attaching a queue of vtap's own
 *
 * Theory of operation
 *
 * There is no getter for a tun's steering program, and the pinned program
 * stays alive whether a tap runs it or not. So vtap attaches a fresh
 * instance of the program instead: loaded from the same skeleton with
 * every map reused from the pins (the configuration, rules, automq table,
 * counters and tail-call array are the tap's; only the entry program is
 * new), attached, and its fd closed at once. The tap then holds the only
 * reference: when an opener replaces or removes the program
 * (TUNSETSTEERINGEBPF), the instance is freed and its id stops resolving
 * (BPF_PROG_GET_FD_BY_ID: ENOENT). Whether the tap runs vtap's program
 * is then a fact, not an inference from counters (vtap_steer__attached()
 * uses it). The id is recorded in the run directory with the attach.
 *
 * The attach goes through a queue the tap's opener already holds
 * (opener.c: /proc/PID/fdinfo, pidfd_getfd), never through a queue of
 * vtap's own, which would be attached to the tap while open: frames the
 * kernel steered to it would be lost and the VMM's queues renumbered.
 * When no process has a queue of the tap attached there is nothing to
 * steer; with VTAP_STEER_ATTACH_OWN_QUEUE a queue of vtap's own is used
 * then (nobody reads the tap, nothing is lost).
 *
 * The guard (vtap_steer_guard__poll(), every quarter second from `vtapctl
 * steer guard`): for each tap of the namespace with pins (or the one
 * named), it checks that the instance it attached still resolves (one
 * syscall per tap: all a round costs while nothing changes; new taps,
 * openers and removed pins are looked for every GUARD_FULL_EVERY rounds
 * and whenever a tap runs no instance of the guard's); when it does not,
 * it attaches the next instance, loaded in advance so that re-attaching
 * is one ioctl (GUARD_SPARES of them, loaded while the tap is quiet:
 * QEMU's detaches come in bursts, two per guest `ethtool -L`; with none
 * ready, the pinned program is attached at once, then an instance over
 * it), and counts it in the run directory ("guard"). Only what the guard
 * repaired is counted: every vtap attach (the guard's, `vtapctl steer
 * attach`, `rss set`, libvtap's) records itself in the run directory
 * ("attach") before the ioctl, so an instance that went while the record
 * changed was replaced by vtap, not detached by the opener: the guard
 * then watches the new instance (or attaches its own over the pinned
 * program) and counts nothing. Taps handed back with `vtapctl steer detach`
 * (vtap_steer__release(): "released" in the run directory) and taps a
 * libvtap handle has open (a live stats file: libvtap users re-attach
 * themselves) are left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dev_impl.h"
#include "internal.h"
#include "link.h"
#include "opener.h"
#include "rundir.h"
#include "steer_guard.h"

#define GUARD_FILE VTAP_STEER_GUARD_FILE
#define RELEASED_FILE VTAP_STEER_RELEASED_FILE
/* One guard per tap: held (flock) by the guard that guards it. */
#define GUARD_LOCK "guard.lock"
/* Rounds between full passes while every tap runs the guard's instance. */
#define GUARD_FULL_EVERY 8
/* Instances loaded in advance per tap, and how long a tap must have been
 * quiet before the guard loads one (a load takes a fraction of a second
 * during which the guard does not look). */
#define GUARD_SPARES 2
#define GUARD_QUIET_NS 2000000000ull

/* ------------------------------------------------------------------ */
/* instances                                                          */
/* ------------------------------------------------------------------ */

/* TUNSETSTEERINGEBPF @prog (-1: detach) on queue @qfd of @s's tap. */
static int set_prog(const struct vtap_steer *s, int qfd, int prog)
{
	if (ioctl(qfd, TUNSETSTEERINGEBPF, &prog)) {
		int err = -errno;

		pr_warn("steer: TUNSETSTEERINGEBPF on %s: %s\n",
			vtap_steer_ifname(s), strerror(-err));
		return err;
	}
	return 0;
}

/*
 * A queue of @s's tap to run an ioctl on: one its opener holds (cached in
 * *@pid / *@fd), else with @own a queue of vtap's own when nobody has one.
 */
static int queue_of(struct vtap_steer *s, pid_t *pid, int *fd, bool own)
{
	int q = -ENOENT;

	if (*pid > 0)
		q = vtap_opener_borrow_again(*pid, *fd, vtap_steer_ifname(s));
	if (q < 0)
		q = vtap_opener_borrow(vtap_steer_ifname(s), pid, fd);
	if (q == -ENOENT && own)
		q = vtap_steer_tun_queue(s);
	return q;
}

/*
 * Attach @prog (instance @id, 0: the pinned program) through queue @q of
 * @s's tap, recorded in the run directory first: a guard that sees its
 * own instance go finds the record naming this one already, and knows
 * vtap replaced it (not the opener). Put back when the attach fails.
 */
static int attach_recorded(struct vtap_steer *s, int q, int prog, uint32_t id)
{
	uint32_t prev = vtap_steer_attach_recorded(s);
	int err;

	vtap_steer_attach_record(s, id);
	err = set_prog(s, q, prog);
	if (err)
		vtap_steer_attach_record(s, prev);
	return err;
}

/* ------------------------------------------------------------------ */
/* the run directory: count and flag                                  */
/* ------------------------------------------------------------------ */

static int count_reattach(const struct vtap_steer *s, uint64_t *ret)
{
	char buf[32];
	uint64_t n;
	bool released;
	int fd, err, len;

	fd = vtap_rundir_open(vtap_steer_ifindex(s), true);
	if (fd < 0)
		return fd;
	vtap_steer_guard_info(vtap_steer_ifindex(s), &n, &released);
	n++;
	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", n);
	err = vtap_write_file_at(fd, GUARD_FILE, buf, (size_t)len);
	close(fd);
	if (!err)
		*ret = n;
	return err;
}

static int set_released(const struct vtap_steer *s, bool on)
{
	int fd, err = 0;

	fd = vtap_rundir_open(vtap_steer_ifindex(s), on);
	if (fd < 0)
		return on ? fd : 0;
	if (on)
		err = vtap_write_file_at(fd, RELEASED_FILE, "1\n", 2);
	else if (unlinkat(fd, RELEASED_FILE, 0) && errno != ENOENT)
		err = -errno;
	close(fd);
	return err;
}

/* ------------------------------------------------------------------ */
/* attach, release                                                    */
/* ------------------------------------------------------------------ */

int vtap_steer__attach_borrowed(struct vtap_steer *s, unsigned int flags)
{
	pid_t pid = 0;
	uint32_t id = 0;
	int prog, q, fd = -1, err;

	if (s && vtap_steer_tc_pinned(s)) {
		/* A tc filter goes on the device: no queue to borrow. */
		err = vtap_steer__attach_name(s);
		return vtap_err(err ? err : set_released(s, false));
	}
	if (!s || !vtap_steer_tun_pinned(s))
		return vtap_err(-EINVAL);
	q = queue_of(s, &pid, &fd, flags & VTAP_STEER_ATTACH_OWN_QUEUE);
	if (q < 0) {
		if (q == -EPERM)
			pr_warn("steer: cannot borrow a queue of %s from its "
				"opener (needs root: CAP_SYS_PTRACE)\n",
				vtap_steer_ifname(s));
		return vtap_err(q);
	}
	prog = vtap_steer_instance_load(s, &id);
	if (prog < 0) {
		/* Not allowed to load (the tap's owner): the pinned one. */
		prog = vtap_steer__prog_fd(s);
		prog = prog >= 0 ? fcntl(prog, F_DUPFD_CLOEXEC, 3) : -1;
		id = 0;
	}
	if (prog < 0) {
		close(q);
		pr_warn("steer: no access to the steering program of %s "
			"(needs CAP_BPF and CAP_NET_ADMIN, or root)\n",
			vtap_steer_ifname(s));
		return vtap_err(-EPERM);
	}
	err = attach_recorded(s, q, prog, id);
	close(q);
	close(prog);
	if (err)
		return vtap_err(err);
	/* Taken again: the guard guards it from now on. */
	err = set_released(s, false);
	return vtap_err(err);
}

int vtap_steer__release(struct vtap_steer *s)
{
	pid_t pid = 0;
	int q, fd = -1, err;

	if (!s || (!vtap_steer_tun_pinned(s) && !vtap_steer_tc_pinned(s)))
		return vtap_err(-EINVAL);
	/* The flag first: a guard that sees the program go leaves it. */
	err = set_released(s, true);
	if (err) {
		pr_warn("steer: cannot record that %s is handed back in its "
			"run directory: %s\n",
			vtap_steer_ifname(s), strerror(-err));
		return vtap_err(err);
	}
	if (vtap_steer_tc_pinned(s)) {
		/* The tc filter goes (and the clsact qdisc vtap made). */
		err = vtap_steer__detach(s);
		if (!err)
			vtap_steer_attach_record(s, 0);
		return vtap_err(err);
	}
	q = queue_of(s, &pid, &fd, true);
	if (q < 0)
		return vtap_err(q);
	err = set_prog(s, q, -1);
	close(q);
	if (!err)
		vtap_steer_attach_record(s, 0);
	return vtap_err(err);
}

/* ------------------------------------------------------------------ */
/* the guard                                                          */
/* ------------------------------------------------------------------ */

struct guard_tap {
	int ifindex;
	char name[IFNAMSIZ];
	int queues; /* attached now */
	bool seen;
	struct vtap_steer *s;
	/* Instances loaded in advance: re-attaching is then one ioctl. */
	int spare[GUARD_SPARES];
	uint32_t spare_id[GUARD_SPARES];
	unsigned int n_spare;
	uint64_t last_attach_ns;
	uint32_t live_id; /* the instance the tap runs, 0: none known */
	uint32_t rec_id; /* what the run directory recorded then */
	bool lost; /* live_id went away, not attached again yet */
	bool released; /* handed back: dropped */
	bool quiet; /* an error was told; not again until it changes */
	pid_t pid; /* the opener last borrowed from */
	int fd;
	int lock_fd; /* GUARD_LOCK held (-1: not, see busy) */
	bool busy; /* another guard has the tap: left to it */
	pid_t holder; /* that guard's PID (0: unknown) */
};

struct vtap_steer_guard {
	char ifname[IFNAMSIZ];
	int (*fn)(const struct vtap_steer_guard_event *ev, void *ctx);
	void *ctx;
	struct guard_tap *taps;
	size_t n;
	unsigned int round;
	bool busy; /* a tap of the first round had a guard already */
};

static void tell(struct vtap_steer_guard *g, const struct guard_tap *t,
		 unsigned int what, int err, uint64_t count)
{
	struct vtap_steer_guard_event ev = {
		.what = what,
		.ifname = t->name,
		.ifindex = t->ifindex,
		.pid = what == VTAP_STEER_GUARD_BUSY ? t->holder : t->pid,
		.reattached = count,
		.err = err,
	};

	if (g->fn)
		g->fn(&ev, g->ctx);
}

struct vtap_steer_guard *
vtap_steer_guard__new(const struct vtap_steer_guard_opts *opts)
{
	struct vtap_steer_guard *g;
	const char *name = OPTS_GET(opts, ifname, NULL);

	if (!OPTS_VALID(opts, struct vtap_steer_guard_opts) ||
	    (name && (!*name || strlen(name) >= IFNAMSIZ)))
		return vtap_err_ptr(-EINVAL);
	g = calloc(1, sizeof(*g));
	if (!g)
		return vtap_err_ptr(-ENOMEM);
	if (name)
		snprintf(g->ifname, sizeof(g->ifname), "%s", name);
	g->fn = OPTS_GET(opts, fn, NULL);
	g->ctx = OPTS_GET(opts, ctx, NULL);
	return g;
}

/*
 * Take tap @t's guard lock (GUARD_LOCK in its run directory, root's and
 * 0600: no other user can open it to hold it) and write our PID in it.
 * Return: 0, -EBUSY (another guard holds it: its PID in t->holder), or
 * -errno.
 */
static int tap_lock(struct guard_tap *t)
{
	char buf[16];
	struct stat st;
	ssize_t n;
	int dfd, fd;

	dfd = vtap_rundir_open(t->ifindex, true);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, GUARD_LOCK,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    0600);
	close(dfd);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return -EPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		t->holder = (pid_t)strtol(buf, NULL, 10);
		t->busy = err == -EBUSY;
		close(fd);
		return err;
	}
	t->busy = false;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		pr_debug("steer: %s: %s: %s\n", t->name, GUARD_LOCK,
			 strerror(errno));
	t->lock_fd = fd;
	t->holder = 0;
	return 0;
}

static void tap_free(struct guard_tap *t)
{
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	vtap_steer__close(t->s);
	for (unsigned int i = 0; i < t->n_spare; i++)
		close(t->spare[i]);
}

void vtap_steer_guard__free(struct vtap_steer_guard *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		tap_free(&g->taps[i]);
	free(g->taps);
	free(g);
}

static struct guard_tap *tap_find(struct vtap_steer_guard *g, int ifindex)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->taps[i].ifindex == ifindex)
			return &g->taps[i];
	return NULL;
}

static void tap_drop(struct vtap_steer_guard *g, size_t i, unsigned int what)
{
	tell(g, &g->taps[i], what, 0, 0);
	tap_free(&g->taps[i]);
	g->taps[i] = g->taps[--g->n];
}

/* A link of the namespace: guard it when vtap's steering is pinned. */
static int scan_link(const struct vtap_link *l, void *ctx)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .flags = VTAP_STEER_NO_CREATE);
	struct vtap_steer_guard *g = ctx;
	struct guard_tap *t, *p;
	uint64_t count;
	bool released;

	if (!l->is_tun || (g->ifname[0] && strcmp(g->ifname, l->name)))
		return 0;
	t = tap_find(g, l->ifindex);
	if (t && strcmp(t->name, l->name)) {
		/* Renamed: the handle names it by its old name. */
		tap_drop(g, (size_t)(t - g->taps), VTAP_STEER_GUARD_GONE);
		t = NULL;
	}
	if (!t) {
		if (!vtap_steer_pins_present(l->ifindex))
			return 0;
		vtap_steer_guard_info(l->ifindex, &count, &released);
		if (released)
			return 0;
		p = realloc(g->taps, (g->n + 1) * sizeof(*g->taps));
		if (!p)
			return 0;
		g->taps = p;
		t = &g->taps[g->n];
		memset(t, 0, sizeof(*t));
		t->ifindex = l->ifindex;
		t->lock_fd = -1;
		snprintf(t->name, sizeof(t->name), "%s", l->name);
		t->s = vtap_steer__open(l->name, &o);
		if (!t->s)
			return 0;
		g->n++;
		if (tap_lock(t) == -EBUSY) {
			/* Another guard guards it: left to that one, looked
			 * at again every full pass (it may stop). */
			tell(g, t, VTAP_STEER_GUARD_BUSY, 0, count);
			if (g->round == 1)
				g->busy = true;
		} else {
			tell(g, t, VTAP_STEER_GUARD_WATCH, 0, count);
		}
	} else if (t->busy && !tap_lock(t)) {
		/* The other guard stopped: ours now. */
		vtap_steer_guard_info(l->ifindex, &count, &released);
		tell(g, t, VTAP_STEER_GUARD_WATCH, 0, count);
	}
	t->seen = true;
	t->queues = l->num_queues;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void guard_one(struct vtap_steer_guard *g, struct guard_tap *t)
{
	uint64_t count = 0;
	uint32_t id = 0;
	bool released;
	int q, err, prog;

	if (t->busy)
		return; /* another guard's */
	if (t->live_id) {
		if (vtap_steer_instance_live(t->live_id))
			return;
		/*
		 * Gone. A record that changed since the guard's attach says
		 * vtap replaced it (`vtapctl steer attach`, `rss set`, a
		 * libvtap handle: each records its attach first), not the
		 * opener: nothing to count, and an instance that lives is
		 * watched in place of the guard's own. Otherwise the opener
		 * detached it: lost (live_id kept, so that a later round
		 * looks at the record again).
		 */
		id = vtap_steer_attach_recorded(t->s);
		if (id != t->rec_id) {
			t->lost = false;
			t->live_id = 0;
			if (id && vtap_steer_instance_live(id)) {
				t->live_id = id;
				t->rec_id = id;
				tell(g, t, VTAP_STEER_GUARD_ADOPTED, 0, 0);
				return;
			}
		} else {
			t->lost = true;
		}
	}
	/* Nobody has a queue attached: nothing to steer, nothing to
	 * attach through; the next round after an opener comes will. */
	if (t->queues <= 0)
		return;
	vtap_steer_guard_info(t->ifindex, &count, &released);
	if (released) {
		t->released = true; /* dropped below */
		return;
	}
	if (vtap_stats_live_handles(t->ifindex) > 0)
		return; /* a libvtap user: it attaches the program itself */
	q = queue_of(t->s, &t->pid, &t->fd, false);
	if (q < 0) {
		if (q != -ENOENT && !t->quiet)
			tell(g, t, VTAP_STEER_GUARD_ERROR, q, 0);
		t->quiet = q != -ENOENT;
		return;
	}
	if (!t->n_spare) {
		/*
		 * None ready (detaches in a burst: `ethtool -L` makes two):
		 * the pinned program steers at once, then an instance is
		 * loaded and attached over it, so that the next detach can
		 * be seen again.
		 */
		prog = vtap_steer__prog_fd(t->s);
		if (prog >= 0)
			set_prog(t->s, q, prog);
		close(q);
		prog = vtap_steer_instance_load(t->s, &id);
		if (prog < 0) {
			if (!t->quiet)
				tell(g, t, VTAP_STEER_GUARD_ERROR, prog, 0);
			t->quiet = true;
			return;
		}
		q = queue_of(t->s, &t->pid, &t->fd, false);
		if (q < 0) {
			close(prog);
			return;
		}
	} else {
		prog = t->spare[--t->n_spare];
		id = t->spare_id[t->n_spare];
	}
	err = attach_recorded(t->s, q, prog, id);
	close(q);
	close(prog);
	if (err) {
		if (!t->quiet)
			tell(g, t, VTAP_STEER_GUARD_ERROR, err, 0);
		t->quiet = true;
		return;
	}
	t->quiet = false;
	t->live_id = id;
	/* What the record says now (id, unless it could not be written). */
	t->rec_id = vtap_steer_attach_recorded(t->s);
	t->last_attach_ns = now_ns();
	if (t->lost) {
		err = count_reattach(t->s, &count);
		tell(g, t, VTAP_STEER_GUARD_REATTACHED, err, count);
	} else {
		tell(g, t, VTAP_STEER_GUARD_ATTACHED, 0, count);
	}
	t->lost = false;
}

/*
 * Load one instance in advance for one tap that has fewer than
 * GUARD_SPARES and has been quiet for GUARD_QUIET_NS (not in the middle of
 * a burst of detaches, when a load would delay the next repair).
 */
static void replenish(struct vtap_steer_guard *g)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < g->n; i++) {
		struct guard_tap *t = &g->taps[i];
		int fd;

		if (t->n_spare >= GUARD_SPARES || !t->live_id ||
		    now - t->last_attach_ns < GUARD_QUIET_NS)
			continue;
		fd = vtap_steer_instance_load(t->s, &t->spare_id[t->n_spare]);
		if (fd >= 0)
			t->spare[t->n_spare++] = fd;
		return;
	}
}

/*
 * Whether this round needs the full pass (a link dump, new taps, openers,
 * pins): every GUARD_FULL_EVERY rounds, and whenever a tap runs no
 * instance of the guard's. Otherwise a round is one lookup per tap.
 */
static bool need_full(struct vtap_steer_guard *g)
{
	if (g->round % GUARD_FULL_EVERY == 0)
		return true;
	for (size_t i = 0; i < g->n; i++)
		if (!g->taps[i].live_id ||
		    !vtap_steer_instance_live(g->taps[i].live_id))
			return true;
	return false;
}

int vtap_steer_guard__poll(struct vtap_steer_guard *g)
{
	bool pins;
	int err;

	if (!g)
		return vtap_err(-EINVAL);
	pins = g->round % GUARD_FULL_EVERY == 0;
	if (!need_full(g)) {
		g->round++;
		replenish(g);
		return (int)g->n;
	}
	g->round++;
	for (size_t i = 0; i < g->n; i++)
		g->taps[i].seen = false;
	err = vtap_link_each(scan_link, g);
	if (err)
		return vtap_err(err);
	for (size_t i = 0; i < g->n; i++)
		if (g->taps[i].seen)
			guard_one(g, &g->taps[i]);
	/* Handed back, gone, unpinned or pinned anew (checked now and then:
	 * an instance must be made over the maps the pins hold). */
	/* A tap another guard held at the start: this one does not start. */
	if (g->busy)
		return vtap_err(-EBUSY);
	for (size_t i = g->n; i-- > 0;)
		if (g->taps[i].released)
			tap_drop(g, i, VTAP_STEER_GUARD_RELEASED);
		else if (!g->taps[i].seen ||
			 (pins &&
			  (!vtap_steer_pins_present(g->taps[i].ifindex) ||
			   !vtap_steer_pins_current(g->taps[i].s))))
			tap_drop(g, i, VTAP_STEER_GUARD_GONE);
	return (int)g->n;
}
