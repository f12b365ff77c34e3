// SPDX-License-Identifier: MIT
/*
 * qdepth.c - queue depth and a memory budget per tap
 *
 * Theory of operation
 *
 * tun gives each queue a ring of txqueuelen frames for its reader
 * (tun_net_xmit() drops a frame that finds its ring full and counts it in
 * the link's tx_dropped); changing txqueuelen resizes every ring, attached
 * or detached (tun_queue_resize()). The memory a slow reader can pin is
 * therefore queues x txqueuelen x the largest frame, which is the MTU, or
 * 64 KiB once a GSO offload lets the stack hand the tap whole GSO frames.
 *
 * vtap either fixes the depth (QLEN) or derives it from a byte budget
 * (BUDGET) with vtap_qdepth_rule(): budget / (queues x frame), never below
 * the virtio ring size (256) and never above VTAP_QDEPTH_MAX. The rule
 * depends on the attached queues, the MTU and the offloads, so it is
 * applied again whenever one of them changes through libvtap: the device
 * (dev_qdepth.c) calls vtap_qdepth_update() with the tap as a struct
 * vtap_qdepth_target after a queue attaches or detaches, after the
 * offloads or the MTU change, and when a handle opens the tap. The writer
 * side gets a matching send buffer (TUNSETSNDBUF, depth x frame bytes per
 * queue; it belongs to the device and applies to queues attached later).
 *
 * The setting is one line in the tap's run state (vtap_qdepth_record()),
 * so it outlives the process that set it, as the queue count does. The
 * queues counted are the kernel's (IFLA_TUN_NUM_QUEUES), so handles of
 * several processes agree; the queues of a tool's handle (VTAP_DEV_MATCH:
 * vtapctl opening a tap to change its offloads or its send buffer) are
 * left out. When no queue is attached, the recorded
 * queue count of a persistent tap stands in for the VMM still to come.
 *
 * State comes from rtnetlink (MTU, txqueuelen, queues, tx_dropped) and
 * ethtool (offloads) in the caller's namespace; a handle whose link moved
 * elsewhere does not apply anything.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link.h"
#include "qdepth_impl.h"
#include "rundir.h"

#define RECORD_FILE "qdepth"

static const char *const mode_names[] = {
	[VTAP_QDEPTH_KERNEL] = "kernel",
	[VTAP_QDEPTH_QLEN] = "qlen",
	[VTAP_QDEPTH_BUDGET] = "budget",
};

static_assert(ARRAY_SIZE(mode_names) == VTAP_QDEPTH__COUNT,
	      "mode_names covers every enum vtap_qdepth_mode");

const char *vtap_qdepth_mode__name(enum vtap_qdepth_mode mode)
{
	return (unsigned int)mode < VTAP_QDEPTH__COUNT ? mode_names[mode]
						       : NULL;
}

/* ------------------------------------------------------------------ */
/* the rule (pure)                                                    */
/* ------------------------------------------------------------------ */

uint32_t vtap_qdepth_frame(unsigned int mtu, bool gso)
{
	if (gso)
		return VTAP_QDEPTH_GSO_FRAME;
	return mtu ? mtu : 1;
}

uint32_t vtap_qdepth_rule(const struct vtap_qdepth_cfg *cfg,
			  unsigned int queues, unsigned int mtu, bool gso)
{
	uint64_t per_frame, depth;

	switch (cfg->mode) {
	case VTAP_QDEPTH_QLEN:
		return cfg->qlen;
	case VTAP_QDEPTH_BUDGET:
		per_frame = (uint64_t)(queues ? queues : 1) *
			    vtap_qdepth_frame(mtu, gso);
		depth = cfg->budget / per_frame;
		if (depth < VTAP_QDEPTH_FLOOR)
			return VTAP_QDEPTH_FLOOR;
		if (depth > VTAP_QDEPTH_MAX)
			return VTAP_QDEPTH_MAX;
		return (uint32_t)depth;
	default:
		return 0;
	}
}

int vtap_qdepth_sndbuf(uint32_t depth, uint32_t frame)
{
	uint64_t b = (uint64_t)depth * frame;

	return b > INT_MAX || !b ? INT_MAX : (int)b;
}

static int check_cfg(const char *name, const struct vtap_qdepth_cfg *cfg)
{
	switch (cfg->mode) {
	case VTAP_QDEPTH_KERNEL:
		return 0;
	case VTAP_QDEPTH_QLEN:
		if (cfg->qlen >= 1 && cfg->qlen <= VTAP_QDEPTH_MAX)
			return 0;
		pr_warn("%s: qlen %" PRIu32 " is not in 1..%u\n", name,
			cfg->qlen, VTAP_QDEPTH_MAX);
		return -EINVAL;
	case VTAP_QDEPTH_BUDGET:
		if (cfg->budget)
			return 0;
		pr_warn("%s: a budget of 0 bytes: give one of at least 1 "
			"byte, or turn the budget off\n",
			name);
		return -EINVAL;
	default:
		pr_warn("%s: queue depth mode %" PRIu32 " unknown\n", name,
			cfg->mode);
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------ */
/* the record in the run state                                        */
/* ------------------------------------------------------------------ */

/* A decimal number of digits only, no sign, no spaces, at most @max. */
static int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!len || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int vtap_qdepth_parse(const char *text, struct vtap_qdepth_cfg *ret)
{
	struct vtap_qdepth_cfg cfg = {0};
	const char *num;
	size_t len;
	uint64_t v;

	if (!strncmp(text, "qlen ", 5)) {
		cfg.mode = VTAP_QDEPTH_QLEN;
		num = text + 5;
	} else if (!strncmp(text, "budget ", 7)) {
		cfg.mode = VTAP_QDEPTH_BUDGET;
		num = text + 7;
	} else {
		return -EINVAL;
	}
	len = strcspn(num, "\n");
	if (strcmp(num + len, "\n") && strcmp(num + len, ""))
		return -EINVAL;
	if (parse_u64(num, len,
		      cfg.mode == VTAP_QDEPTH_QLEN ? VTAP_QDEPTH_MAX
						   : UINT64_MAX,
		      &v) ||
	    !v)
		return -EINVAL;
	if (cfg.mode == VTAP_QDEPTH_QLEN)
		cfg.qlen = (uint32_t)v;
	else
		cfg.budget = v;
	*ret = cfg;
	return 0;
}

int vtap_qdepth_format(const struct vtap_qdepth_cfg *cfg, char *buf,
		       size_t size)
{
	int n;

	if (cfg->mode == VTAP_QDEPTH_QLEN)
		n = snprintf(buf, size, "qlen %" PRIu32 "\n", cfg->qlen);
	else if (cfg->mode == VTAP_QDEPTH_BUDGET)
		n = snprintf(buf, size, "budget %" PRIu64 "\n", cfg->budget);
	else
		return -EINVAL;
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

/*
 * The record lives in the tap's run directory (rundir.h: keyed by network
 * namespace and ifindex, root's, files never followed or waited on).
 */
static int record_read(const char *name, struct vtap_qdepth_cfg *ret)
{
	struct vtap_link l;
	char buf[64];
	ssize_t n;
	int fd;

	*ret = (struct vtap_qdepth_cfg){.mode = VTAP_QDEPTH_KERNEL};
	if (vtap_link_get(0, name, &l))
		return 0;
	fd = vtap_rundir_open(l.ifindex, false);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	n = vtap_read_file_at(fd, RECORD_FILE, buf, sizeof(buf) - 1);
	close(fd);
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return n == -EPERM ? -EINVAL : (int)n;
	buf[n] = '\0';
	if ((size_t)n != strlen(buf) || vtap_qdepth_parse(buf, ret)) {
		*ret = (struct vtap_qdepth_cfg){.mode = VTAP_QDEPTH_KERNEL};
		return -EINVAL;
	}
	return 0;
}

static int record_write(const char *name, const struct vtap_qdepth_cfg *cfg)
{
	struct vtap_link l;
	char buf[64];
	int fd, len, err;

	err = vtap_link_get(0, name, &l);
	if (err)
		return err;
	if (cfg->mode == VTAP_QDEPTH_KERNEL) {
		fd = vtap_rundir_open(l.ifindex, false);
		if (fd < 0)
			return fd == -ENOENT ? 0 : fd;
		err = unlinkat(fd, RECORD_FILE, 0) && errno != ENOENT ? -errno
								      : 0;
		close(fd);
		return err;
	}
	len = vtap_qdepth_format(cfg, buf, sizeof(buf));
	if (len < 0)
		return len;
	fd = vtap_rundir_open(l.ifindex, true);
	if (fd < 0)
		return fd;
	/* A new file renamed over the old one: readers see either. */
	err = vtap_write_file_at(fd, RECORD_FILE, buf, (size_t)len);
	close(fd);
	return err;
}

int vtap_qdepth_record(const char *name, struct vtap_qdepth_cfg *cfg,
		       bool write)
{
	return write ? record_write(name, cfg) : record_read(name, cfg);
}

/* ------------------------------------------------------------------ */
/* applying                                                           */
/* ------------------------------------------------------------------ */

/*
 * The queues the rule counts: @attached (the kernel's count minus the
 * caller's own transient queues), or when none are attached the recorded
 * count of a persistent tap, else 1.
 */
static unsigned int queues_counted(int ifindex, int attached)
{
	int n;

	if (attached > 0)
		return (unsigned int)attached;
	n = vtap_rundir_queues(ifindex);
	return n > 0 ? (unsigned int)n : 1;
}

/* GSO on the link now (ethtool's view: what the stack may hand it). */
static bool link_gso(const char *name)
{
	uint32_t off = 0;

	if (vtap_nl_offloads(name, &off))
		return false;
	return off & VTAP_QDEPTH_GSO_OFFLOADS;
}

/*
 * The MTU that bounds a frame without GSO: the link's, or on a macvtap or
 * ipvtap the lower link's when that is larger (what it receives is handed
 * on unchecked).
 */
static unsigned int frame_mtu(const struct vtap_qdepth_target *t,
			      unsigned int mtu)
{
	return t->lower_mtu > mtu ? t->lower_mtu : mtu;
}

/* GSO for @t: what its hub says, else the link's features. */
static bool target_gso(const struct vtap_qdepth_target *t)
{
	return t->gso >= 0 ? t->gso : link_gso(t->name);
}

/* The deepest ring kernels that refuse VTAP_QDEPTH_MAX take (see apply()). */
#define QDEPTH_MAX_OLD 32767u

static int apply(const struct vtap_qdepth_target *c,
		 const struct vtap_qdepth_cfg *cfg)
{
	struct vtap_nl_link_state st;
	unsigned int queues;
	uint32_t depth, frame;
	bool gso;
	int err, sndbuf;

	err = vtap_nl_link_get(c->ifindex, &st);
	if (err) {
		pr_warn("%s: reading the link: %s\n", c->name, strerror(-err));
		return err;
	}
	gso = target_gso(c);
	queues = queues_counted(c->ifindex, st.tun_queues >= 0
						    ? st.tun_queues - c->own
						    : c->fallback);
	depth = vtap_qdepth_rule(cfg, queues, frame_mtu(c, st.mtu), gso);
	frame = vtap_qdepth_frame(frame_mtu(c, st.mtu), gso);
	if (depth && depth != st.txqlen) {
		struct vtap_nl_link set = {
			.up = -1, .netns_fd = -1, .txqlen = depth};

		err = vtap_nl_link_set(c->ifindex, &set);
		/*
		 * Older kernels refuse a txqueuelen of 32768 or more with
		 * ERANGE (measured on Debian 12's 6.1, any device). A budget
		 * is an upper bound: take the deepest ring they accept.
		 */
		if (err == -ERANGE && cfg->mode == VTAP_QDEPTH_BUDGET &&
		    depth > QDEPTH_MAX_OLD) {
			depth = QDEPTH_MAX_OLD;
			set.txqlen = depth;
			err = depth == st.txqlen
				      ? 0
				      : vtap_nl_link_set(c->ifindex, &set);
		}
		if (err) {
			pr_warn("%s: setting the queue depth (txqueuelen) to "
				"%" PRIu32 ": %s\n",
				c->name, depth, strerror(-err));
			return err;
		}
		pr_debug("%s: queue depth %" PRIu32 " (%u queue(s), %" PRIu32
			 "-byte frames)\n",
			 c->name, depth, queues, frame);
	}
	if (c->fd < 0)
		return 0;
	if (cfg->mode == VTAP_QDEPTH_BUDGET)
		sndbuf = vtap_qdepth_sndbuf(depth, frame);
	else if (c->reset_sndbuf)
		sndbuf = INT_MAX;
	else
		return 0;
	if (ioctl(c->fd, TUNSETSNDBUF, &sndbuf)) {
		err = -errno;
		pr_warn("%s: TUNSETSNDBUF %d: %s\n", c->name, sndbuf,
			strerror(-err));
		return err;
	}
	return 0;
}

void vtap_qdepth_update(const struct vtap_qdepth_target *t)
{
	struct vtap_qdepth_cfg cfg;
	int err;

	err = vtap_qdepth_record(t->name, &cfg, false);
	if (err) {
		pr_info("%s: queue depth record unreadable: %s\n", t->name,
			strerror(-err));
		return;
	}
	if (cfg.mode == VTAP_QDEPTH_KERNEL)
		return;
	err = apply(t, &cfg);
	if (err)
		pr_info("%s: the queue depth stays as it was\n", t->name);
}

void vtap_qdepth_opened(const struct vtap_qdepth_target *t, bool created)
{
	struct vtap_qdepth_cfg none = {.mode = VTAP_QDEPTH_KERNEL};

	if (!created) {
		vtap_qdepth_update(t);
		return;
	}
	/* Left by a tap deleted another way (ip link del, its namespace). */
	if (vtap_qdepth_record(t->name, &none, true) == 0)
		return;
	pr_info("%s: cannot remove a stale queue depth record\n", t->name);
}

int vtap_qdepth_cfg_from_opts(const char *name,
			      const struct vtap_qdepth_opts *opts,
			      struct vtap_qdepth_cfg *ret)
{
	if (!opts || !OPTS_VALID(opts, struct vtap_qdepth_opts))
		return -EINVAL;
	*ret = (struct vtap_qdepth_cfg){
		.mode = OPTS_GET(opts, mode, VTAP_QDEPTH_KERNEL),
		.qlen = OPTS_GET(opts, qlen, 0),
		.budget = OPTS_GET(opts, budget_bytes, 0),
	};
	return check_cfg(name, ret);
}

int vtap_qdepth_set_cfg(const struct vtap_qdepth_target *c,
			const struct vtap_qdepth_cfg *cfg)
{
	int err = apply(c, cfg);

	if (err)
		return err;
	err = vtap_qdepth_record(c->name, (struct vtap_qdepth_cfg *)cfg, true);
	if (err)
		pr_warn("%s: recording the queue depth in %s: %s (it will not "
			"follow queue and offload changes)\n",
			c->name, vtap_run_dir(), strerror(-err));
	return err;
}

int vtap_qdepth_info(const struct vtap_qdepth_target *t,
		     struct vtap_qdepth_info *ret)
{
	struct vtap_qdepth_info info = {0};
	struct vtap_nl_link_state st;
	struct vtap_qdepth_cfg cfg;
	int err;

	err = vtap_nl_link_get(t->ifindex, &st);
	if (err)
		return err;
	/* A record that does not parse counts as none. */
	vtap_qdepth_record(t->name, &cfg, false);
	info.mode = cfg.mode;
	info.qlen = st.txqlen;
	info.set_qlen = cfg.mode == VTAP_QDEPTH_QLEN ? cfg.qlen : 0;
	info.budget_bytes = cfg.mode == VTAP_QDEPTH_BUDGET ? cfg.budget : 0;
	info.queues = queues_counted(t->ifindex, st.tun_queues);
	info.frame_bytes =
		vtap_qdepth_frame(frame_mtu(t, st.mtu), target_gso(t));
	info.worst_case_bytes =
		(uint64_t)info.qlen * info.queues * info.frame_bytes;
	info.over_budget = cfg.mode == VTAP_QDEPTH_BUDGET &&
			   info.worst_case_bytes > cfg.budget;
	info.queue_full_drops = t->rx_side ? st.rx_dropped : st.tx_dropped;
	*ret = info;
	return 0;
}
