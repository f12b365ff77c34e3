// SPDX-License-Identifier: MIT
/*
 * dev.c - tap devices: create or open, features, offloads, queues, link
 *
 * Theory of operation
 *
 * A device handle owns one fd per queue, opened with TUNSETIFF on
 * /dev/net/tun with the same name and flags. Queue ids are the handle's
 * own and never change. The kernel keeps its own order: an attach
 * (TUNSETIFF or TUNSETQUEUE IFF_ATTACH_QUEUE) appends the queue at index
 * numqueues; a detach of the queue at index k moves the queue at the last
 * index into slot k (tun's __tun_detach()). struct vtap_dev_qmap mirrors
 * that order (qid[i] sits at kernel index base + i), updated after each
 * successful ioctl the same way the kernel updates its array. The mirror is
 * exact while nobody else attaches or detaches queues of the device, which
 * is how a VMM uses its tap; @base covers queues other processes had
 * attached before the handle opened.
 *
 * The steering module keeps an indirection table of kernel indices, so it
 * is told of every change (vtap_dev_set_queue_hook()): before a detach with
 * the mapping to come (so it can stop naming the leaving index first) and
 * after every attach and detach with the mapping in force.
 *
 * Device flags that belong to the device rather than the fd (IFF_NO_PI,
 * IFF_VNET_HDR, the vnet header size, offloads) are overwritten by any
 * TUNSETIFF, so the existing device's flags are read (rtnetlink) first and a
 * mismatch is refused by name instead of silently changing the device under
 * another user.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_impl.h"

#define TUN_PATH "/dev/net/tun"

/* The IFF_* flags of TUNSETIFF that must match an existing device. */
#define IFF_MATCH \
	(IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)

/* ------------------------------------------------------------------ */
/* the kernel's view and the run state                                */
/* ------------------------------------------------------------------ */

static bool name_ok(const char *name)
{
	return name && *name && strlen(name) < IFNAMSIZ && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

int vtap_dev__intended_queues(const char *name)
{
	struct vtap_link l;
	int n;

	if (!name_ok(name))
		return vtap_err(-EINVAL);
	if (vtap_link_get(0, name, &l))
		return vtap_err(-ENOENT);
	n = vtap_rundir_queues(l.ifindex);
	return n < 0 ? vtap_err(n) : n;
}

/* ------------------------------------------------------------------ */
/* opening                                                            */
/* ------------------------------------------------------------------ */

static const char *iff_name(unsigned int bit)
{
	switch (bit) {
	case IFF_MULTI_QUEUE:
		return "multi_queue";
	case IFF_VNET_HDR:
		return "vnet_hdr";
	case IFF_NO_PI:
		return "no_pi";
	default:
		return "?";
	}
}

/*
 * Compare an existing device's flags with the ones asked for, and (for
 * @opts with VTAP_DEV_SET_OWNER/GROUP) its owner and group from @l.
 * Return: 0, or -EEXIST with every difference logged in one line.
 */
static int check_flags(const char *name, unsigned int have, unsigned int want,
		       const struct vtap_link *l,
		       const struct vtap_dev_opts *opts)
{
	static const unsigned int bits[] = {IFF_MULTI_QUEUE, IFF_VNET_HDR,
					    IFF_NO_PI};
	unsigned int flags = OPTS_GET(opts, flags, 0);
	char diff[256];
	size_t n = 0;

#define DIFF(...)                                                            \
	(n +=                                                                \
	 (size_t)snprintf(diff + n, n < sizeof(diff) ? sizeof(diff) - n : 0, \
			  __VA_ARGS__))
	if ((have & (IFF_TUN | IFF_TAP)) != (want & (IFF_TUN | IFF_TAP)))
		DIFF("as a %s device, asked for %s",
		     have & IFF_TUN ? "TUN" : "TAP",
		     want & IFF_TUN ? "TUN" : "TAP");
	/* Every flag that differs, in one line. */
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		if ((have & bits[i]) != (want & bits[i]))
			DIFF("%s%s %s, asked for %s", n ? "; " : "with ",
			     iff_name(bits[i]), have & bits[i] ? "on" : "off",
			     want & bits[i] ? "on" : "off");
	/* Owner and group: the same check, the same words. */
	const struct {
		const char *what;
		unsigned int set;
		long long have;
		unsigned int want;
	} ids[] = {
		{"owner", VTAP_DEV_SET_OWNER, l ? (long long)l->owner : -1,
		 (unsigned int)OPTS_GET(opts, owner, 0)},
		{"group", VTAP_DEV_SET_GROUP, l ? (long long)l->group : -1,
		 (unsigned int)OPTS_GET(opts, group, 0)},
	};
	for (size_t i = 0; l && i < ARRAY_SIZE(ids); i++) {
		if (!(flags & ids[i].set) || ids[i].have == ids[i].want)
			continue;
		if (ids[i].have < 0)
			DIFF("%sno %s, asked for %u", n ? "; " : "with ",
			     ids[i].what, ids[i].want);
		else
			DIFF("%s%s %lld, asked for %u", n ? "; " : "with ",
			     ids[i].what, ids[i].have, ids[i].want);
	}
#undef DIFF
	if (!n)
		return 0;
	pr_warn("%s: exists %s\n", name, diff);
	return -EEXIST;
}

/* Open one queue fd of @dev (attached). Return: fd or -errno. */
static int open_queue_fd(struct vtap_dev *dev, char *ret_name)
{
	struct ifreq ifr = {0};
	int fd, err;

	if (dev->type != VTAP_DEV_TYPE_TUN)
		return vtap_macvtap_queue_fd(dev);
	fd = open(TUN_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = (short)dev->iff;
	memcpy(ifr.ifr_name, dev->name, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (ret_name)
		snprintf(ret_name, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

/* An fd whose queue is attached, for device-wide ioctls. */
static int ctl_fd(const struct vtap_dev *dev)
{
	for (unsigned int i = 0; i < dev->n_queues; i++)
		if (dev->queues[i].kidx >= 0)
			return dev->queues[i].fd;
	return -ENXIO;
}

/*
 * What a queue needs besides its fd, made at open so the data path never
 * allocates: the software offload buffer (one segment and its header;
 * anonymous memory, so pages are only backed once software offloads run)
 * and, with reporting on, its copy of the configuration.
 */
static int queue_extra_init(struct vtap_dev *dev, struct vtap_queue *q)
{
	uint32_t mode = __atomic_load_n(&dev->report_mode, __ATOMIC_RELAXED);
	int err;

	if (dev->hdr_len && !q->scratch) {
		size_t len = dev->hdr_len + VTAP_FRAME_MAX;
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -ENOMEM;
		q->scratch = p;
		q->scratch_len = len;
	}
	if (mode == VTAP_REPORT_STEER || mode == VTAP_REPORT_CONFIG) {
		err = vtap_report_queue_alloc(q);
		if (err)
			return err;
	}
	return 0;
}

static void queue_extra_free(struct vtap_queue *q)
{
	if (q->scratch)
		munmap(q->scratch, q->scratch_len);
	q->scratch = NULL;
	vtap_rss__free(q->rep_rss);
	q->rep_rss = NULL;
	vtap_uring_free(q->uring);
	q->uring = NULL;
	q->rx_uring = false;
}

static int add_queue(struct vtap_dev *dev)
{
	struct vtap_queue *q;
	int fd;

	if (dev->n_queues >= VTAP_QUEUES_MAX) {
		pr_warn("%s: a tap has at most %u queues\n", dev->name,
			VTAP_QUEUES_MAX);
		return -E2BIG;
	}
	fd = open_queue_fd(dev, NULL);
	if (fd < 0) {
		if (fd == -E2BIG)
			pr_warn("%s: the kernel refuses more queues (at most %u, "
				"detached ones and other processes' included)\n",
				dev->name, VTAP_QUEUES_MAX);
		return fd;
	}
	q = &dev->queues[dev->n_queues];
	q->dev = dev;
	q->fd = fd;
	q->id = (uint16_t)dev->n_queues;
	if (queue_extra_init(dev, q)) {
		queue_extra_free(q);
		close(fd);
		return -ENOMEM;
	}
	q->kidx = (int16_t)(dev->map.base + dev->map.n_attached);
	dev->map.qid[dev->map.n_attached++] = q->id;
	vtap_stats_bind(dev, q);
	return dev->n_queues++;
}

static int validate_opts(const struct vtap_dev_opts *opts)
{
	unsigned int flags = OPTS_GET(opts, flags, 0);
	unsigned int hdr = OPTS_GET(opts, vnet_hdr_len, 0);
	unsigned int queues = OPTS_GET(opts, queues, 0);

	if (!OPTS_VALID(opts, struct vtap_dev_opts))
		return -EINVAL;
	if (flags & ~((VTAP_DEV_NAPI << 1) - 1)) {
		pr_warn("unknown vtap_dev_opts flags 0x%x\n", flags);
		return -EINVAL;
	}
	if (hdr && hdr != VTAP_VNET_HDR_LEN && hdr != VTAP_VNET_HDR_V1_LEN &&
	    hdr != VTAP_VNET_HDR_HASH_LEN && hdr != VTAP_VNET_HDR_TUNNEL_LEN) {
		pr_warn("vnet header size %u: must be 0, 10, 12, 20 or 24\n",
			hdr);
		return -EINVAL;
	}
	if (queues > VTAP_QUEUES_MAX) {
		pr_warn("%u queues: a tap has at most %u\n", queues,
			VTAP_QUEUES_MAX);
		return -E2BIG;
	}
	if ((flags & VTAP_DEV_SINGLE_QUEUE) && queues > 1) {
		pr_warn("%u queues asked for a single-queue device\n", queues);
		return -EINVAL;
	}
	if ((flags & (VTAP_DEV_EXCL | VTAP_DEV_NO_CREATE)) ==
	    (VTAP_DEV_EXCL | VTAP_DEV_NO_CREATE))
		return -EINVAL;
	if ((flags & VTAP_DEV_PIN) &&
	    (OPTS_GET(opts, pinned, 0) & ~VTAP_OFFLOAD_ALL))
		return -EINVAL;
	if ((flags & VTAP_DEV_SET_OFFLOADS) &&
	    (OPTS_GET(opts, offloads, 0) & ~VTAP_OFFLOAD_ALL))
		return -EINVAL;
	if (OPTS_GET(opts, type, 0) >= VTAP_DEV_TYPE__COUNT ||
	    OPTS_GET(opts, mode, 0) >= VTAP_DEV_MODE__COUNT)
		return -EINVAL;
	return 0;
}

struct vtap_dev *vtap_dev_alloc(const char *name,
				const struct vtap_dev_opts *opts)
{
	struct vtap_dev *dev;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return vtap_err_ptr(-ENOMEM);
	dev->queues = calloc(VTAP_QUEUES_MAX, sizeof(*dev->queues));
	if (!dev->queues) {
		free(dev);
		return vtap_err_ptr(-ENOMEM);
	}
	dev->stats_fd = -1;
	dev->stats_dir_fd = -1;
	dev->node_dir = -1;
	if (name)
		snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->hdr_len = OPTS_GET(opts, vnet_hdr_len, 0);
	return dev;
}

void vtap_dev_free(struct vtap_dev *dev)
{
	for (unsigned int i = 0; i < dev->n_queues; i++) {
		close(dev->queues[i].fd);
		queue_extra_free(&dev->queues[i]);
	}
	vtap_stats_close(dev);
	if (dev->type != VTAP_DEV_TYPE_TUN)
		vtap_macvtap_close(dev);
	free(dev->queues);
	free(dev);
}

/*
 * Record a persistent device this call created in its run directory (the
 * intended queue count, the link token). Never a device without its
 * state: on failure the caller undoes the device; the message says why and
 * what to do.
 */
int vtap_dev_record(struct vtap_dev *dev, const struct vtap_dev_opts *opts,
		    unsigned int queues)
{
	unsigned int flags = OPTS_GET(opts, flags, 0);
	uid_t uid = OPTS_GET(opts, owner, 0);
	gid_t gid = OPTS_GET(opts, group, 0);
	int err;

	/* A fresh run directory (before the stats file goes there). */
	vtap_rundir_gc();
	err = vtap_rundir_init(dev->ifindex, queues,
			       flags & VTAP_DEV_SET_OWNER ? &uid : NULL,
			       flags & VTAP_DEV_SET_GROUP ? &gid : NULL);
	if (err)
		pr_warn("cannot record the state of %s in %s: %s%s\n",
			dev->name, vtap_run_dir(), strerror(-err),
			err == -EPERM || err == -EACCES
				? " (it must be a directory owned by root, "
				  "mode 0755: chmod 0755 it, or remove it)"
			: err == -EROFS || err == -ENOSPC
				? " (make it writable: vtap.conf in "
				  "tmpfiles.d makes it at boot)"
				: "");
	return err;
}

int vtap_dev_open_common(struct vtap_dev *dev, const struct vtap_dev_opts *opts,
			 unsigned int queues)
{
	unsigned int flags = OPTS_GET(opts, flags, 0);
	int err;

	err = vtap_stats_open(dev);
	if (err)
		return err;
	vtap_stats_bind(dev, &dev->queues[0]);
	err = queue_extra_init(dev, &dev->queues[0]);
	if (err)
		return err;

	if (flags & VTAP_DEV_SET_OFFLOADS) {
		err = vtap_dev__set_offloads(dev, opts->offloads);
		if (err)
			return err;
	} else if (dev->type != VTAP_DEV_TYPE_TUN) {
		dev->kernel_offloads = vtap_macvtap_offloads(dev->ifindex);
	} else if (vtap_nl_offloads(dev->name, &dev->kernel_offloads)) {
		dev->kernel_offloads = 0;
	}
	if (flags & VTAP_DEV_PIN) {
		dev->pinned_offloads = opts->pinned;
		dev->is_pinned = true;
	}
	vtap_dev_publish(dev);

	while (dev->n_queues < queues) {
		err = add_queue(dev);
		if (err < 0)
			return err;
	}
	pr_debug("%s: opened %u queue(s), flags 0x%x, vnet header %u\n",
		 dev->name, dev->n_queues, dev->iff, dev->hdr_len);
	vtap_dev_qdepth_opened(dev);
	return 0;
}

/*
 * A macvtap/ipvtap is asked for (@opts->type), or found under @name with
 * VTAP_DEV_MATCH: dev_macvtap.c opens it. Return: true with *@ret set (a
 * handle, or NULL and errno), false for tun/tap.
 */
static bool open_other_type(const char *name, const struct vtap_dev_opts *opts,
			    struct vtap_dev **ret)
{
	uint32_t want = OPTS_GET(opts, type, VTAP_DEV_TYPE_TUN);
	struct vtap_link l;
	int have;

	if (!name || !*name || strchr(name, '%') ||
	    vtap_link_get(0, name, &l)) {
		if (want == VTAP_DEV_TYPE_TUN)
			return false;
		*ret = vtap_macvtap_open(name, opts, NULL);
		return true;
	}
	have = vtap_link_type(&l);
	if (have == VTAP_DEV_TYPE_TUN ||
	    (have < 0 && want == VTAP_DEV_TYPE_TUN))
		return false;
	if (have < 0 || (want == VTAP_DEV_TYPE_TUN &&
			 !(OPTS_GET(opts, flags, 0) & VTAP_DEV_MATCH))) {
		pr_warn("%s: exists and is not a %s device\n", name,
			want == VTAP_DEV_TYPE_TUN ? "tun/tap"
						  : vtap_dev_type__name(want));
		*ret = vtap_err_ptr(-EEXIST);
		return true;
	}
	*ret = vtap_macvtap_open(name, opts, &l);
	return true;
}

struct vtap_dev *vtap_dev__open(const char *name,
				const struct vtap_dev_opts *opts)
{
	unsigned int flags, queues;
	struct vtap_link link;
	struct vtap_dev *dev;
	char kname[IFNAMSIZ];
	int have, err, fd, n;

	err = validate_opts(opts);
	if (err)
		return vtap_err_ptr(err);
	if (name && strlen(name) >= IFNAMSIZ) {
		pr_warn("interface name '%s' longer than %d characters\n", name,
			IFNAMSIZ - 1);
		return vtap_err_ptr(-EINVAL);
	}
	flags = OPTS_GET(opts, flags, 0);
	queues = OPTS_GET(opts, queues, 0);
	if (open_other_type(name, opts, &dev))
		return dev;

	dev = vtap_dev_alloc(name, opts);
	if (!dev)
		return NULL;
	dev->iff = (flags & VTAP_DEV_TUN ? IFF_TUN : IFF_TAP) | IFF_NO_PI;
	if (!(flags & VTAP_DEV_SINGLE_QUEUE))
		dev->iff |= IFF_MULTI_QUEUE;
	if (dev->hdr_len)
		dev->iff |= IFF_VNET_HDR;
	if (flags & VTAP_DEV_NAPI)
		dev->iff |= IFF_NAPI;

	have = dev->name[0] && !strchr(dev->name, '%')
		       ? vtap_link_tun_flags(dev->name, NULL)
		       : -ENODEV;
	if (have >= 0) {
		if (flags & VTAP_DEV_EXCL) {
			/* Say how it differs, if it does (check_flags logs). */
			err = vtap_link_get(0, dev->name, &link);
			err = check_flags(dev->name, have & IFF_MATCH, dev->iff,
					  err ? NULL : &link, opts);
			if (!err)
				pr_warn("%s: exists\n", dev->name);
			err = -EEXIST;
			goto err_free;
		}
		if (flags & VTAP_DEV_MATCH)
			dev->iff = (have & IFF_MATCH) | (dev->iff & IFF_NAPI);
		err = check_flags(dev->name, have & IFF_MATCH, dev->iff, NULL,
				  NULL);
		if (err)
			goto err_free;
	} else if (have == -EINVAL) {
		pr_warn("%s: exists and is not a tun/tap device\n", dev->name);
		err = -EEXIST;
		goto err_free;
	} else if (flags & (VTAP_DEV_NO_CREATE | VTAP_DEV_MATCH)) {
		err = -ENODEV;
		goto err_free;
	}
	if (!queues) {
		n = have >= 0 ? vtap_dev__intended_queues(dev->name) : -ENOENT;
		queues = n > 0 ? (unsigned int)n : 1;
		if (!(dev->iff & IFF_MULTI_QUEUE))
			queues = 1;
	}

	fd = open_queue_fd(dev, kname);
	if (fd < 0) {
		err = fd;
		if (err == -EINVAL && have >= 0)
			pr_warn("%s: TUNSETIFF refused the flags 0x%x\n",
				dev->name, dev->iff);
		if (err == -EPERM)
			pr_warn("%s: not permitted (needs CAP_NET_ADMIN, or be "
				"the tap's owner)\n",
				dev->name[0] ? dev->name : "tap");
		goto err_free;
	}
	memcpy(dev->name, kname, IFNAMSIZ);
	dev->created = have < 0;
	dev->tool = flags & VTAP_DEV_MATCH;
	dev->queues[0] = (struct vtap_queue){.dev = dev, .fd = fd, .id = 0};
	/* Our queue is the last attached one: the others came before. */
	err = vtap_link_get(0, dev->name, &link);
	if (err) {
		pr_warn("%s: cannot read the link back: %s\n", dev->name,
			strerror(-err));
		goto err_free;
	}
	dev->ifindex = link.ifindex;
	n = link.num_queues;
	dev->map.base = n > 0 ? (unsigned int)n - 1 : 0;
	dev->queues[0].kidx = (int16_t)dev->map.base;
	dev->map.qid[0] = 0;
	dev->map.n_attached = 1;
	dev->n_queues = 1;

	if (dev->iff & IFF_VNET_HDR) {
		int sz = (int)dev->hdr_len;

		if (flags & VTAP_DEV_MATCH) {
			if (ioctl(fd, TUNGETVNETHDRSZ, &sz) == 0)
				dev->hdr_len = (unsigned int)sz;
		} else if (ioctl(fd, TUNSETVNETHDRSZ, &sz)) {
			err = -errno;
			pr_warn("%s: TUNSETVNETHDRSZ %d: %s\n", dev->name, sz,
				strerror(-err));
			goto err_free;
		}
	}
	if (flags & VTAP_DEV_SET_OWNER) {
		if (ioctl(fd, TUNSETOWNER, (unsigned long)opts->owner)) {
			err = -errno;
			goto err_free;
		}
	}
	if (flags & VTAP_DEV_SET_GROUP) {
		if (ioctl(fd, TUNSETGROUP, (unsigned long)opts->group)) {
			err = -errno;
			goto err_free;
		}
	}
	if ((flags & VTAP_DEV_PERSIST) && ioctl(fd, TUNSETPERSIST, 1UL)) {
		err = -errno;
		goto err_free;
	}

	if (dev->created && (flags & VTAP_DEV_PERSIST)) {
		err = vtap_dev_record(dev, opts, queues);
		if (err) {
			ioctl(fd, TUNSETPERSIST, 0UL);
			goto err_free;
		}
	}
	err = vtap_dev_open_common(dev, opts, queues);
	if (err)
		goto err_unpersist;
	return dev;

err_unpersist:
	if (dev->created && (flags & VTAP_DEV_PERSIST)) {
		ioctl(fd, TUNSETPERSIST, 0UL);
		vtap_rundir_remove(dev->ifindex);
	}
err_free:
	vtap_dev_free(dev);
	return vtap_err_ptr(err);
}

void vtap_dev__close(struct vtap_dev *dev)
{
	int saved = errno;

	if (!dev)
		return;
	for (unsigned int i = 0; i < dev->n_queues; i++) {
		close(dev->queues[i].fd);
		queue_extra_free(&dev->queues[i]);
	}
	dev->n_queues = 0;
	if (dev->hook) {
		/* Its queues are gone: steering goes back to the intent. */
		struct vtap_dev_qmap none = {0};

		dev->hook(dev, VTAP_DEV_EV_CLOSED, 0, &none, dev->hook_ctx);
		dev->hook = NULL;
	}
	vtap_stats_close(dev);
	if (dev->type != VTAP_DEV_TYPE_TUN)
		vtap_macvtap_close(dev);
	/*
	 * The run directory goes with the last handle unless it still holds
	 * something: the intended queue count of a persistent tap, or another
	 * process's stats (rmdir only removes an empty directory).
	 */
	if (dev->run_nsid[0])
		vtap_rundir_tidy(dev->run_nsid, dev->run_ifindex);
	free(dev->queues);
	free(dev);
	errno = saved;
}

const char *vtap_dev__name(const struct vtap_dev *dev)
{
	return dev->name;
}

int vtap_dev__ifindex(const struct vtap_dev *dev)
{
	return dev->ifindex;
}

unsigned int vtap_dev__vnet_hdr_len(const struct vtap_dev *dev)
{
	return dev->hdr_len;
}

bool vtap_dev__is_tun(const struct vtap_dev *dev)
{
	return dev->iff & IFF_TUN;
}

enum vtap_dev_type vtap_dev__type(const struct vtap_dev *dev)
{
	return (enum vtap_dev_type)dev->type;
}

int vtap_dev__delete(const char *name)
{
	struct vtap_link l = {.ifindex = 0};
	int ifindex, err;

	if (!name_ok(name))
		return vtap_err(-EINVAL);
	err = vtap_link_get(0, name, &l);
	if (!err && vtap_link_type(&l) < 0) {
		pr_warn("%s: not a tun/tap device (nor a macvtap or ipvtap)\n",
			name);
		return vtap_err(-EINVAL);
	}
	ifindex = l.ifindex;
	if (err < 0) {
		/* Gone another way (ip link del): its state goes too. */
		vtap_rundir_gc();
		return vtap_err(-ENODEV);
	}
	err = vtap_nl_link_del(ifindex);
	if (err)
		return vtap_err(err);
	vtap_rundir_remove(ifindex);
	vtap_rundir_gc();
	return 0;
}

/* ------------------------------------------------------------------ */
/* features and offloads                                              */
/* ------------------------------------------------------------------ */

/* What a group needs alongside it for TUNSETOFFLOAD to take it. */
static uint32_t offload_deps(uint32_t bit)
{
	switch (bit) {
	case VTAP_OFFLOAD_CSUM:
		return 0;
	case VTAP_OFFLOAD_TSO_ECN:
		return VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
		       VTAP_OFFLOAD_TSO6;
	case VTAP_OFFLOAD_UDP_TUNNEL:
		return VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
		       VTAP_OFFLOAD_TSO6;
	case VTAP_OFFLOAD_UDP_TUNNEL_CSUM:
		return VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
		       VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_UDP_TUNNEL;
	default:
		return VTAP_OFFLOAD_CSUM;
	}
}

static bool try_offload(int fd, uint32_t offloads)
{
	return ioctl(fd, TUNSETOFFLOAD,
		     (unsigned long)vtap_offloads_to_tun(offloads)) == 0;
}

/* Probe on the tap whose attached queue is @fd, restoring its state. */
static int probe_fd(int fd, uint32_t restore_offloads,
		    struct vtap_dev_features *ret)
{
	struct vtap_dev_features f = {.max_queues = VTAP_QUEUES_MAX};
	static const int sizes[] = {10, 12, 20, 24};
	unsigned int feat = 0;
	int hdr = 0, le = 0, be = 0, v, err = 0;

	if (ioctl(fd, TUNGETFEATURES, &feat))
		return -errno;
	f.tun_features = feat;
	for (uint32_t bit = 1; bit & VTAP_OFFLOAD_ALL; bit <<= 1) {
		if (try_offload(fd, bit | offload_deps(bit)))
			f.offloads |= bit;
	}
	/* Each group was tried with what it needs; drop those whose needs
	 * turned out to be missing. */
	for (uint32_t bit = 1; bit & VTAP_OFFLOAD_ALL; bit <<= 1) {
		if ((offload_deps(bit) & f.offloads) != offload_deps(bit))
			f.offloads &= ~bit;
	}
	if (!try_offload(fd, restore_offloads))
		err = -errno;

	if (ioctl(fd, TUNGETVNETHDRSZ, &hdr) == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			v = sizes[i];
			if (ioctl(fd, TUNSETVNETHDRSZ, &v) == 0)
				f.hdr_sizes |= 1u << i;
		}
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) && !err)
			err = -errno;
	}
	if (ioctl(fd, TUNGETVNETLE, &le) == 0) {
		v = 1;
		f.vnet_le = ioctl(fd, TUNSETVNETLE, &v) == 0;
		if (ioctl(fd, TUNSETVNETLE, &le) && !err)
			err = -errno;
	}
	if (ioctl(fd, TUNGETVNETBE, &be) == 0) {
		v = 1;
		f.vnet_be = ioctl(fd, TUNSETVNETBE, &v) == 0;
		if (ioctl(fd, TUNSETVNETBE, &be) && !err)
			err = -errno;
	}
	*ret = f;
	return err;
}

int vtap_dev__features(struct vtap_dev *dev, struct vtap_dev_features *ret)
{
	int fd, err;

	if (!dev || !ret)
		return vtap_err(-EINVAL);
	if (!dev->features_valid) {
		fd = ctl_fd(dev);
		if (fd < 0)
			return vtap_err(-ENODEV);
		err = probe_fd(fd, dev->kernel_offloads, &dev->features);
		if (err) {
			pr_warn("%s: restoring the state after the feature "
				"probe failed: %s\n",
				dev->name, strerror(-err));
			return vtap_err(err);
		}
		dev->features_valid = true;
	}
	*ret = dev->features;
	return 0;
}

int vtap_features__probe(struct vtap_dev_features *ret)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .flags = VTAP_DEV_EXCL,
		       .vnet_hdr_len = VTAP_VNET_HDR_V1_LEN);
	struct vtap_dev *dev;
	int err;

	if (!ret)
		return vtap_err(-EINVAL);
	dev = vtap_dev__open("vtprobe%d", &opts);
	if (!dev)
		return -errno;
	err = vtap_dev__features(dev, ret);
	vtap_dev__close(dev);
	return err ? vtap_err(err) : 0;
}

int vtap_dev__set_offloads(struct vtap_dev *dev, uint32_t offloads)
{
	struct vtap_dev_features f;
	int fd, err;

	if (!dev || (offloads & ~VTAP_OFFLOAD_ALL))
		return vtap_err(-EINVAL);
	if (!dev->hdr_len && offloads) {
		pr_warn("%s: offloads need a vnet header\n", dev->name);
		return vtap_err(-EINVAL);
	}
	for (uint32_t bit = 1; bit & VTAP_OFFLOAD_ALL; bit <<= 1) {
		uint32_t need = bit == VTAP_OFFLOAD_TSO_ECN ? VTAP_OFFLOAD_CSUM
							    : offload_deps(bit);

		if (!(offloads & bit))
			continue;
		if ((offloads & need) != need) {
			char buf[80];

			pr_warn("%s: offload %s needs %s\n", dev->name,
				vtap_offload__name(bit),
				vtap_offloads__format(need & ~offloads, buf,
						      sizeof(buf)));
			return vtap_err(-EINVAL);
		}
	}
	if ((offloads & VTAP_OFFLOAD_TSO_ECN) &&
	    !(offloads & (VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6))) {
		pr_warn("%s: offload tso_ecn needs tso4 or tso6\n", dev->name);
		return vtap_err(-EINVAL);
	}
	err = vtap_dev__features(dev, &f);
	if (err)
		return err;
	if (offloads & ~f.offloads) {
		char buf[80];

		pr_warn("%s: offload %s not supported by the running kernel\n",
			dev->name,
			vtap_offloads__format(offloads & ~f.offloads, buf,
					      sizeof(buf)));
		return vtap_err(-EOPNOTSUPP);
	}
	fd = ctl_fd(dev);
	if (fd < 0)
		return vtap_err(-ENODEV);
	if (!try_offload(fd, offloads)) {
		err = -errno;
		pr_warn("%s: TUNSETOFFLOAD: %s\n", dev->name, strerror(-err));
		return vtap_err(err == -EINVAL ? -EOPNOTSUPP : err);
	}
	dev->kernel_offloads = offloads;
	if (dev->type != VTAP_DEV_TYPE_TUN)
		vtap_macvtap_offloads_record(dev);
	vtap_dev_publish(dev);
	vtap_dev_qdepth_update(dev);
	return 0;
}

int vtap_dev__pin_offloads(struct vtap_dev *dev, uint32_t offloads)
{
	if (!dev || (offloads & ~VTAP_OFFLOAD_ALL))
		return vtap_err(-EINVAL);
	dev->pinned_offloads = offloads;
	dev->is_pinned = true;
	vtap_dev_publish(dev);
	return 0;
}

int vtap_dev__offloads(struct vtap_dev *dev, struct vtap_offload_state *ret)
{
	struct vtap_dev_features f;
	int err;

	if (!dev || !ret)
		return vtap_err(-EINVAL);
	err = vtap_dev__features(dev, &f);
	if (err)
		return err;
	ret->supported = f.offloads;
	ret->kernel = dev->kernel_offloads;
	ret->pinned = dev->is_pinned ? dev->pinned_offloads : 0;
	ret->software = vtap_dev_sw_offloads(dev);
	ret->is_pinned = dev->is_pinned;
	return 0;
}

/*
 * A queue's coalescing on send is set here, by the device, which knows
 * what its kernel takes (the feature probe); queue.c does the data path.
 */
int vtap_queue__set_gro(struct vtap_queue *q, const struct vtap_gro_opts *opts)
{
	struct vtap_dev_features feat;
	uint32_t types, segs;
	bool uso;

	if (!q || !q->dev->hdr_len || !OPTS_VALID(opts, struct vtap_gro_opts))
		return vtap_err(-EINVAL);
	if (!opts) {
		__atomic_store_n(&q->gro_types, 0, __ATOMIC_RELAXED);
		return 0;
	}
	types = OPTS_GET(opts, types, 0);
	segs = OPTS_GET(opts, max_segs, 0);
	if ((types & ~VTAP_GRO_ALL) || segs == 1 || segs > VTAP_GRO_SEGS_MAX)
		return vtap_err(-EINVAL);
	/* USO frames written to a tap need a kernel that takes them: the
	 * same release that added TUN_F_USO4/6 (Linux 6.2). */
	uso = !vtap_dev__features(q->dev, &feat) &&
	      (feat.offloads & VTAP_OFFLOAD_USO) &&
	      !(__atomic_load_n(&q->dev->sw_learned, __ATOMIC_RELAXED) &
		VTAP_OFFLOAD_USO);
	if (!types)
		types = VTAP_GRO_TCP | (uso ? VTAP_GRO_UDP : 0);
	else if ((types & VTAP_GRO_UDP) && !uso)
		return vtap_err(-EOPNOTSUPP);
	__atomic_store_n(&q->gro_max_segs, segs ? segs : VTAP_GRO_SEGS_DEFAULT,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&q->gro_types, types, __ATOMIC_RELAXED);
	return 0;
}

void vtap_dev_steer_attached(struct vtap_dev *dev, struct vtap_steer *steer)
{
	dev->steer = steer;
}

void vtap_dev_steer_gone(struct vtap_dev *dev, const struct vtap_steer *steer)
{
	if (dev->steer == steer)
		dev->steer = NULL;
	vtap_report_steer_gone(dev, steer);
}

/* Software only with the 24-byte header, which alone can describe them. */
#define SW_TUNNEL (VTAP_OFFLOAD_UDP_TUNNEL | VTAP_OFFLOAD_UDP_TUNNEL_CSUM)

static void sw_update(struct vtap_dev *dev)
{
	uint32_t sw = dev->sw_forced;

	if (dev->is_pinned)
		sw |= dev->pinned_offloads & ~dev->kernel_offloads;
	if (dev->hdr_len < VTAP_VNET_HDR_TUNNEL_LEN)
		sw &= ~SW_TUNNEL;
	__atomic_store_n(&dev->sw_set, sw, __ATOMIC_RELAXED);
}

int vtap_dev__set_sw_offloads(struct vtap_dev *dev, uint32_t offloads)
{
	if (!dev || (offloads & ~VTAP_OFFLOAD_ALL))
		return vtap_err(-EINVAL);
	if (offloads && !dev->hdr_len) {
		pr_warn("%s: software offloads need a vnet header\n",
			dev->name);
		return vtap_err(-EINVAL);
	}
	dev->sw_forced = offloads;
	vtap_dev_publish(dev);
	return 0;
}

uint32_t vtap_dev__sw_offloads(const struct vtap_dev *dev)
{
	return dev ? vtap_dev_sw_offloads(dev) : 0;
}

void vtap_dev_publish(struct vtap_dev *dev)
{
	sw_update(dev);
	vtap_stats_publish(dev);
}

/* ------------------------------------------------------------------ */
/* queues                                                             */
/* ------------------------------------------------------------------ */

int vtap_dev_set_queue_hook(struct vtap_dev *dev, vtap_dev_queue_hook_fn fn,
			    void *ctx)
{
	if (fn && dev->hook && (dev->hook != fn || dev->hook_ctx != ctx))
		return -EBUSY;
	dev->hook = fn;
	dev->hook_ctx = fn ? ctx : NULL;
	return 0;
}

const struct vtap_dev_qmap *vtap_dev_qmap(const struct vtap_dev *dev)
{
	return &dev->map;
}

static void call_hook(struct vtap_dev *dev, enum vtap_dev_event ev,
		      unsigned int qid)
{
	if (dev->hook)
		dev->hook(dev, ev, qid, &dev->map, dev->hook_ctx);
	/* The queue count changed: so may the depth a budget allows. */
	vtap_dev_qdepth_update(dev);
}

unsigned int vtap_dev__num_queues(const struct vtap_dev *dev)
{
	return dev->n_queues;
}

unsigned int vtap_dev__num_attached(const struct vtap_dev *dev)
{
	return dev->map.n_attached;
}

struct vtap_queue *vtap_dev__queue(struct vtap_dev *dev, unsigned int qid)
{
	if (!dev || qid >= dev->n_queues)
		return vtap_err_ptr(-ENOENT);
	return &dev->queues[qid];
}

int vtap_dev__add_queue(struct vtap_dev *dev)
{
	int qid;

	if (!dev || !(dev->iff & IFF_MULTI_QUEUE))
		return vtap_err(-EINVAL);
	qid = add_queue(dev);
	if (qid < 0)
		return vtap_err(qid);
	if (dev->stats_file)
		__atomic_store_n(&dev->stats_file->n_queues, dev->n_queues,
				 __ATOMIC_RELAXED);
	call_hook(dev, VTAP_DEV_EV_AFTER_ATTACH, (unsigned int)qid);
	return qid;
}

int vtap_dev__detach_queue(struct vtap_dev *dev, unsigned int qid)
{
	struct ifreq ifr = {.ifr_flags = IFF_DETACH_QUEUE};
	struct vtap_dev_qmap next;
	struct vtap_queue *q;
	unsigned int i, last;
	int err;

	if (!dev || qid >= dev->n_queues)
		return vtap_err(-ENOENT);
	q = &dev->queues[qid];
	if (q->kidx < 0)
		return 0;
	i = (unsigned int)q->kidx - dev->map.base;
	last = dev->map.n_attached - 1;
	next = dev->map;
	next.qid[i] = next.qid[last];
	next.n_attached = last;
	if (dev->hook) {
		err = dev->hook(dev, VTAP_DEV_EV_BEFORE_DETACH, qid, &next,
				dev->hook_ctx);
		if (err)
			return vtap_err(err < 0 ? err : -EBUSY);
	}
	if (ioctl(q->fd, TUNSETQUEUE, &ifr)) {
		err = -errno;
		pr_warn("%s: detach queue %u: %s\n", dev->name, qid,
			strerror(-err));
		/* Let the hook go back to the mapping still in force. */
		call_hook(dev, VTAP_DEV_EV_AFTER_ATTACH, qid);
		return vtap_err(err);
	}
	/* The kernel moved its last queue into slot i (tun's __tun_detach). */
	if (i != last)
		dev->queues[next.qid[i]].kidx = (int16_t)(dev->map.base + i);
	q->kidx = -1;
	dev->map = next;
	call_hook(dev, VTAP_DEV_EV_AFTER_DETACH, qid);
	return 0;
}

int vtap_dev__attach_queue(struct vtap_dev *dev, unsigned int qid)
{
	struct ifreq ifr = {.ifr_flags = IFF_ATTACH_QUEUE};
	struct vtap_queue *q;
	int err;

	if (!dev || qid >= dev->n_queues)
		return vtap_err(-ENOENT);
	q = &dev->queues[qid];
	if (q->kidx >= 0)
		return 0;
	if (ioctl(q->fd, TUNSETQUEUE, &ifr)) {
		err = -errno;
		pr_warn("%s: attach queue %u: %s\n", dev->name, qid,
			strerror(-err));
		return vtap_err(err);
	}
	q->kidx = (int16_t)(dev->map.base + dev->map.n_attached);
	dev->map.qid[dev->map.n_attached++] = (uint16_t)qid;
	call_hook(dev, VTAP_DEV_EV_AFTER_ATTACH, qid);
	return 0;
}

/* ------------------------------------------------------------------ */
/* link                                                               */
/* ------------------------------------------------------------------ */

static int link_set(struct vtap_dev *dev, const struct vtap_nl_link *set)
{
	int err;

	if (dev->moved)
		return vtap_err(-ENODEV);
	err = vtap_nl_link_set(dev->ifindex, set);
	if (err)
		pr_warn("%s: link change: %s\n", dev->name, strerror(-err));
	return vtap_err(err);
}

int vtap_dev__set_up(struct vtap_dev *dev, bool up)
{
	struct vtap_nl_link set = {.up = up, .netns_fd = -1};

	if (!dev)
		return vtap_err(-EINVAL);
	return link_set(dev, &set);
}

int vtap_dev__set_mtu(struct vtap_dev *dev, unsigned int mtu)
{
	struct vtap_nl_link set = {.up = -1, .mtu = mtu, .netns_fd = -1};
	int err;

	if (!dev || !mtu)
		return vtap_err(-EINVAL);
	err = link_set(dev, &set);
	if (!err)
		vtap_dev_qdepth_update(dev);
	return err;
}

int vtap_dev__set_mac(struct vtap_dev *dev, const uint8_t mac[6])
{
	struct vtap_nl_link set = {.up = -1, .mac = mac, .netns_fd = -1};

	if (!dev || !mac || (dev->iff & IFF_TUN) || (mac[0] & 1))
		return vtap_err(-EINVAL);
	return link_set(dev, &set);
}

int vtap_dev__set_netns(struct vtap_dev *dev, int netns_fd, int pid)
{
	struct vtap_nl_link set = {
		.up = -1, .netns_fd = netns_fd, .netns_pid = pid};
	int err;

	if (!dev || (netns_fd < 0 && pid <= 0))
		return vtap_err(-EINVAL);
	err = link_set(dev, &set);
	if (!err) {
		dev->moved = true;
		vtap_stats_follow(dev, netns_fd, pid);
	}
	return err;
}

int vtap_dev__set_carrier(struct vtap_dev *dev, bool on)
{
	int v = on, fd;

	if (!dev)
		return vtap_err(-EINVAL);
	fd = ctl_fd(dev);
	if (fd < 0)
		return vtap_err(-ENODEV);
	if (ioctl(fd, TUNSETCARRIER, &v))
		return vtap_err(-errno);
	return 0;
}

/* ------------------------------------------------------------------ */
/* info by name                                                       */
/* ------------------------------------------------------------------ */

static void info_from_link(const struct vtap_link *l, struct vtap_dev_info *ret)
{
	struct vtap_dev_info info = {0};
	int n;

	snprintf(info.name, sizeof(info.name), "%s", l->name);
	info.tun_flags = l->tun_flags;
	info.ifindex = l->ifindex;
	info.owner = l->owner;
	info.group = l->group;
	info.mtu = l->mtu;
	if (l->has_mac)
		memcpy(info.mac, l->mac, 6);
	info.up = l->flags & IFF_UP;
	info.carrier = l->carrier;
	info.attached_queues =
		l->num_queues > 0 ? (unsigned int)l->num_queues : 0;
	n = vtap_rundir_queues(l->ifindex);
	info.intended_queues = n > 0 ? (unsigned int)n : 0;
	if (vtap_nl_offloads(l->name, &info.offloads))
		info.offloads = 0;
	if (!l->is_tun)
		vtap_macvtap_info(l, &info);
	*ret = info;
}

int vtap_dev__info(const char *name, struct vtap_dev_info *ret)
{
	struct vtap_link l;
	int err;

	if (!name_ok(name) || !ret)
		return vtap_err(-EINVAL);
	err = vtap_link_get(0, name, &l);
	if (err)
		return vtap_err(err);
	if (vtap_link_type(&l) < 0)
		return vtap_err(-EINVAL);
	info_from_link(&l, ret);
	return 0;
}

int vtap_dev__counters(const char *name, struct vtap_dev_counters *ret)
{
	struct vtap_dev_counters c = {0};
	struct vtap_link l;
	size_t sz;
	int err;

	if (!name_ok(name) || !ret || ret->sz < sizeof(ret->sz))
		return vtap_err(-EINVAL);
	err = vtap_link_get(0, name, &l);
	if (err)
		return vtap_err(err);
	if (vtap_link_type(&l) < 0)
		return vtap_err(-EINVAL);
	if (!l.has_stats)
		return vtap_err(-ENODATA);
	if (l.is_tun) {
		c.to_vmm_packets = l.stats.tx_packets;
		c.to_vmm_bytes = l.stats.tx_bytes;
		c.to_vmm_dropped = l.stats.tx_dropped;
		c.from_vmm_packets = l.stats.rx_packets;
		c.from_vmm_bytes = l.stats.rx_bytes;
		c.from_vmm_dropped = l.stats.rx_dropped;
		c.from_vmm_errors = l.stats.rx_errors;
	} else {
		/* A macvtap receives what goes to its readers (macvlan counts
		 * it as rx) and transmits what they write. */
		c.to_vmm_packets = l.stats.rx_packets;
		c.to_vmm_bytes = l.stats.rx_bytes;
		c.to_vmm_dropped = l.stats.rx_dropped;
		c.from_vmm_packets = l.stats.tx_packets;
		c.from_vmm_bytes = l.stats.tx_bytes;
		c.from_vmm_dropped = l.stats.tx_dropped;
		c.from_vmm_errors = l.stats.tx_errors;
	}
	sz = ret->sz < sizeof(c) ? ret->sz : sizeof(c);
	c.sz = ret->sz;
	memcpy(ret, &c, sz);
	return 0;
}

int vtap_dev__run_dir(const char *name, char *buf, size_t size)
{
	struct vtap_link l;

	if (!name_ok(name) || !buf)
		return vtap_err(-EINVAL);
	if (vtap_link_get(0, name, &l))
		return vtap_err(-ENODEV);
	if (vtap_link_type(&l) < 0)
		return vtap_err(-EINVAL);
	return vtap_err(vtap_rundir_path(l.ifindex, buf, size));
}

struct list_ctx {
	char (*names)[16];
	unsigned int max, n;
};

static int list_one(const struct vtap_link *l, void *data)
{
	struct list_ctx *c = data;

	if (vtap_link_type(l) < 0)
		return 0;
	if (c->n < c->max && c->names)
		snprintf(c->names[c->n], 16, "%s", l->name);
	c->n++;
	return 0;
}

int vtap_dev__list(char (*names)[16], unsigned int max)
{
	struct list_ctx c = {.names = names, .max = max};
	int err;

	err = vtap_link_each(list_one, &c);
	if (err)
		return vtap_err(err);
	return (int)c.n;
}
