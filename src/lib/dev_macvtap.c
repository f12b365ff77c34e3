// SPDX-License-Identifier: MIT
/*
 * dev_macvtap.c - macvtap and ipvtap devices (the hub's): create, find
 * the character device, open queues
 *
 * Theory of operation
 *
 * A macvtap (or ipvtap) is a netdev on a lower device with a character
 * device of its own, named tapIFINDEX by the kernel (drivers/net/tap.c).
 * Every open() of the node is one queue, attached at once at the next
 * kernel index; TUNSETIFF only changes the queue's flags (IFF_TAP and
 * IFF_NO_PI are required, IFF_VNET_HDR and IFF_MULTI_QUEUE optional), the
 * vnet header size is per queue, and TUNSETQUEUE detaches and attaches
 * with tun's renumbering (tap_disable_queue() moves the last queue into
 * the hole). So dev.c's queue map serves both types; this file opens the
 * fds.
 *
 * The node's device number is not the ifindex (the minor comes from an
 * IDR), and devtmpfs is shared by every network namespace: /dev/tap5 may
 * be the macvtap with ifindex 5 of another namespace, and /sys/class/net
 * shows the namespace sysfs was mounted in. So the number is read from a
 * sysfs mounted in a child process that has a private mount namespace and
 * the caller's network namespace (as `ip netns exec` does), which needs
 * CAP_SYS_ADMIN. /dev/tapIFINDEX is used when it is that device; else a
 * node is made in the link's run directory (root's, checked, keyed by
 * namespace and ifindex), where an unprivileged owner finds it later.
 * Without CAP_SYS_ADMIN the run directory's node or /dev/tapIFINDEX is
 * opened and the first queue must name the link (TUNGETIFF) and carry its
 * MAC address (SIOCGIFHWADDR): a node that is another device's is refused.
 * Nodes are opened with O_NOFOLLOW in directories only root writes and
 * checked to be character devices; ownership changes go through the
 * directory fd, never a path an owner could redirect.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev_impl.h"

/* Every name here is used as such in the rtnetlink kind. */
static const char *const type_names[] = {
	[VTAP_DEV_TYPE_TUN] = "tun",
	[VTAP_DEV_TYPE_MACVTAP] = "macvtap",
	[VTAP_DEV_TYPE_IPVTAP] = "ipvtap",
};
static_assert(ARRAY_SIZE(type_names) == VTAP_DEV_TYPE__COUNT,
	      "a name per device type");

/* Names and kernel values (MACVLAN_MODE_*, IPVLAN_MODE_*). */
static const struct {
	const char *name;
	uint32_t type; /* the device type it applies to */
	uint32_t value;
} modes[] = {
	[VTAP_DEV_MODE_DEFAULT] = {"default", 0, 0},
	[VTAP_DEV_MODE_BRIDGE] = {"bridge", VTAP_DEV_TYPE_MACVTAP,
				  MACVLAN_MODE_BRIDGE},
	[VTAP_DEV_MODE_VEPA] = {"vepa", VTAP_DEV_TYPE_MACVTAP,
				MACVLAN_MODE_VEPA},
	[VTAP_DEV_MODE_PRIVATE] = {"private", VTAP_DEV_TYPE_MACVTAP,
				   MACVLAN_MODE_PRIVATE},
	[VTAP_DEV_MODE_PASSTHRU] = {"passthru", VTAP_DEV_TYPE_MACVTAP,
				    MACVLAN_MODE_PASSTHRU},
	[VTAP_DEV_MODE_SOURCE] = {"source", VTAP_DEV_TYPE_MACVTAP,
				  MACVLAN_MODE_SOURCE},
	[VTAP_DEV_MODE_L2] = {"l2", VTAP_DEV_TYPE_IPVTAP, IPVLAN_MODE_L2},
	[VTAP_DEV_MODE_L3] = {"l3", VTAP_DEV_TYPE_IPVTAP, IPVLAN_MODE_L3},
	[VTAP_DEV_MODE_L3S] = {"l3s", VTAP_DEV_TYPE_IPVTAP, IPVLAN_MODE_L3S},
};
static_assert(ARRAY_SIZE(modes) == VTAP_DEV_MODE__COUNT,
	      "a name per device mode");

/* The flags a macvtap queue takes (tap.c TAP_IFFEATURES, IFF_TAP|NO_PI). */
#define TAP_IFF (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)

const char *vtap_dev_type__name(enum vtap_dev_type type)
{
	return (unsigned int)type < ARRAY_SIZE(type_names) ? type_names[type]
							   : NULL;
}

const char *vtap_dev_mode__name(enum vtap_dev_mode mode)
{
	return (unsigned int)mode < ARRAY_SIZE(modes) ? modes[mode].name : NULL;
}

bool vtap_dev_mode__valid(enum vtap_dev_type type, enum vtap_dev_mode mode)
{
	if ((unsigned int)mode >= ARRAY_SIZE(modes))
		return false;
	return mode == VTAP_DEV_MODE_DEFAULT || modes[mode].type == type;
}

/* The enum vtap_dev_mode of a link's kernel mode value. */
static uint32_t mode_of(const struct vtap_link *l, int type)
{
	if (!l->has_lower_mode)
		return VTAP_DEV_MODE_DEFAULT;
	for (unsigned int m = 1; m < ARRAY_SIZE(modes); m++)
		if ((int)modes[m].type == type &&
		    modes[m].value == l->lower_mode)
			return m;
	return VTAP_DEV_MODE_DEFAULT;
}

/* ------------------------------------------------------------------ */
/* creating                                                           */
/* ------------------------------------------------------------------ */

/* RTM_NEWLINK for @name on @lower. Return: 0 or -errno (logged). */
static int create_link(const char *name, int type,
		       const struct vtap_link *lower, uint32_t mode,
		       const uint8_t *mac)
{
	char buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *info, *data;
	struct ifinfomsg *ifi;
	int err;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)lower->ifindex);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, type_names[type]);
	if (mode != VTAP_DEV_MODE_DEFAULT) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		if (type == VTAP_DEV_TYPE_MACVTAP)
			mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE,
					 modes[mode].value);
		else
			mnl_attr_put_u16(nlh, IFLA_IPVLAN_MODE,
					 (uint16_t)modes[mode].value);
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, info);
	err = vtap_nl_request(nlh);
	if (err == -EOPNOTSUPP)
		pr_warn("%s: the kernel has no %s devices (modprobe %s)\n",
			name, type_names[type], type_names[type]);
	else if (err == -EEXIST)
		pr_warn("%s: exists\n", name);
	else if (err == -EBUSY)
		pr_warn("%s: lower device '%s' refused another %s (a passthru "
			"macvtap, or a bond port?)\n",
			name, lower->name, type_names[type]);
	else if (err == -EADDRNOTAVAIL || (err == -EINVAL && mac))
		pr_warn("%s: MAC address refused by the kernel\n", name);
	else if (err)
		pr_warn("%s: create %s on '%s': %s\n", name, type_names[type],
			lower->name, strerror(-err));
	return err;
}

/* ------------------------------------------------------------------ */
/* the character device                                               */
/* ------------------------------------------------------------------ */

/*
 * The device number of @l's node, from a sysfs mounted privately in the
 * caller's network namespace (a child process: unshare(CLONE_NEWNS) is not
 * allowed in a threaded process, and the mount must not be seen).
 * Return: 0, -EPERM (no CAP_SYS_ADMIN), or another -errno.
 */
static int devt_from_sysfs(const struct vtap_link *l, int type, dev_t *ret)
{
	char idx_path[96], dev_path[128], idx_want[16], buf[40];
	unsigned int maj, min;
	int pfd[2], status, n;
	ssize_t r;
	pid_t pid;

	snprintf(idx_path, sizeof(idx_path), "/sys/class/net/%s/ifindex",
		 l->name);
	snprintf(dev_path, sizeof(dev_path), "/sys/class/net/%s/%s/tap%d/dev",
		 l->name, type_names[type], l->ifindex);
	n = snprintf(idx_want, sizeof(idx_want), "%d\n", l->ifindex);
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here on. */
		char got[sizeof(buf)];
		ssize_t k;
		int fd;

		close(pfd[0]);
		/* EBUSY: the sysfs of this namespace is the one on /sys
		 * already (do_add_mount() refuses to stack a superblock on
		 * itself), so /sys can be read as it is. */
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    (mount("sysfs", "/sys", "sysfs",
			   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) &&
		     errno != EBUSY))
			_exit(errno == EPERM || errno == EACCES ? 1 : 2);
		/* The link of that name is ours (the same ifindex). */
		fd = open(idx_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(3);
		k = read(fd, got, sizeof(got));
		close(fd);
		if (k != n || memcmp(got, idx_want, (size_t)n))
			_exit(3);
		fd = open(dev_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(3);
		k = read(fd, got, sizeof(got) - 1);
		close(fd);
		if (k <= 0 || write(pfd[1], got, (size_t)k) != k)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	r = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
		return -EIO;
	if (WEXITSTATUS(status) == 1)
		return -EPERM;
	if (WEXITSTATUS(status) || r <= 0)
		return -ENOENT;
	buf[r] = '\0';
	if (sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -EIO;
	*ret = makedev(maj, min);
	return 0;
}

/* @name in @dir is a character device (not followed): its number. */
static int node_rdev(int dir, const char *name, dev_t *ret)
{
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	*ret = st.st_rdev;
	return 0;
}

static int open_dev_dir(void)
{
	int fd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Choose the node of @dev (ifindex, name and type set): fills node_dir,
 * node_name, node_rdev (0 when unknown, to be checked on the first open).
 * With @make, a missing node is made in the run directory. Return: 0,
 * -ENOENT (no node and none could be made), -errno.
 */
static int find_node(struct vtap_dev *dev, const struct vtap_link *l, bool make)
{
	char devname[16];
	dev_t want = 0, have = 0;
	int err, dir, run;

	snprintf(devname, sizeof(devname), "tap%d", dev->ifindex);
	err = devt_from_sysfs(l, (int)dev->type, &want);
	if (err && err != -EPERM) {
		pr_warn("%s: cannot find its character device: %s\n", dev->name,
			strerror(-err));
		return err;
	}
	run = vtap_rundir_open(dev->ifindex, false);
	if (!err) {
		/* The kernel's node, when it is this device's. */
		dir = open_dev_dir();
		if (dir >= 0 && !node_rdev(dir, devname, &have) &&
		    have == want) {
			if (run >= 0)
				close(run);
			dev->node_dir = dir;
			snprintf(dev->node_name, sizeof(dev->node_name), "%s",
				 devname);
			dev->node_rdev = want;
			return 0;
		}
		if (dir >= 0)
			close(dir);
		if (run < 0 && make)
			run = vtap_rundir_open(dev->ifindex, true);
		if (run < 0) {
			pr_warn("%s: /dev/%s is missing or another device's, "
				"and the run directory cannot hold a node: %s\n",
				dev->name, devname, strerror(-run));
			return run;
		}
		if (node_rdev(run, "tap", &have) || have != want) {
			unlinkat(run, "tap", 0);
			if (!make ||
			    mknodat(run, "tap", S_IFCHR | 0600, want)) {
				err = make ? -errno : -ENOENT;
				close(run);
				pr_warn("%s: cannot make its device node: %s\n",
					dev->name, strerror(-err));
				return err;
			}
			pr_debug("%s: made its node %u:%u in the run "
				 "directory\n",
				 dev->name, major(want), minor(want));
		}
		dev->node_dir = run;
		snprintf(dev->node_name, sizeof(dev->node_name), "tap");
		dev->node_rdev = want;
		return 0;
	}
	/* Unprivileged: the run directory's node, else the kernel's; the
	 * first queue proves which device it is. */
	if (run >= 0 && !node_rdev(run, "tap", &have)) {
		dev->node_dir = run;
		snprintf(dev->node_name, sizeof(dev->node_name), "tap");
		return 0;
	}
	if (run >= 0)
		close(run);
	dir = open_dev_dir();
	if (dir < 0)
		return dir;
	if (node_rdev(dir, devname, &have)) {
		close(dir);
		pr_warn("%s: no device node /dev/%s (root makes one in the "
			"run directory when it opens the device, e.g. "
			"'vtapctl offload show %s')\n",
			dev->name, devname, dev->name);
		return -ENOENT;
	}
	dev->node_dir = dir;
	snprintf(dev->node_name, sizeof(dev->node_name), "%s", devname);
	return 0;
}

/* The first queue of an unchecked node must be @dev's: name and MAC. */
static int check_queue(struct vtap_dev *dev, int fd, const struct vtap_link *l)
{
	struct ifreq ifr = {0};

	if (ioctl(fd, TUNGETIFF, &ifr))
		return -errno;
	if (strncmp(ifr.ifr_name, dev->name, IFNAMSIZ))
		goto other;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -errno;
	if (l->has_mac && memcmp(ifr.ifr_hwaddr.sa_data, l->mac, 6))
		goto other;
	return 0;
other:
	pr_warn("%s: node %s is another device's (another network namespace "
		"has a device with this ifindex); root makes the right one in "
		"the run directory when it opens the device, e.g. 'vtapctl "
		"offload show %s'\n",
		dev->name, dev->node_name, dev->name);
	return -ENODEV;
}

int vtap_macvtap_queue_fd(struct vtap_dev *dev)
{
	struct ifreq ifr = {0};
	struct stat st;
	int fd, err, sz;

	fd = openat(dev->node_dir, dev->node_name,
		    O_RDWR | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno == ELOOP ? -EPERM : -errno;
		if (err == -EACCES || err == -EPERM)
			pr_warn("%s: not permitted to open its node %s (be "
				"its owner: 'vtapctl dev add ... owner "
				"UID', or root)\n",
				dev->name, dev->node_name);
		return err;
	}
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode) ||
	    (dev->node_rdev && st.st_rdev != dev->node_rdev)) {
		close(fd);
		pr_warn("%s: its node %s changed\n", dev->name, dev->node_name);
		return -ENODEV;
	}
	ifr.ifr_flags = (short)(dev->iff & TAP_IFF);
	if (ioctl(fd, TUNSETIFF, &ifr))
		goto err;
	/* Per queue on a macvtap (tap.c keeps q->vnet_hdr_sz). */
	sz = (int)dev->hdr_len;
	if (sz && ioctl(fd, TUNSETVNETHDRSZ, &sz))
		goto err;
	return fd;
err:
	err = -errno;
	close(fd);
	pr_warn("%s: setting up a queue: %s\n", dev->name, strerror(-err));
	return err;
}

/* Give the node to @opts' owner and group (root, on a node it checked). */
static int chown_node(struct vtap_dev *dev, const struct vtap_dev_opts *opts)
{
	unsigned int flags = OPTS_GET(opts, flags, 0);
	uid_t uid = flags & VTAP_DEV_SET_OWNER ? opts->owner : (uid_t)-1;
	gid_t gid = flags & VTAP_DEV_SET_GROUP ? opts->group : (gid_t)-1;
	struct stat st;

	if (!(flags & (VTAP_DEV_SET_OWNER | VTAP_DEV_SET_GROUP)))
		return 0;
	if (fstatat(dev->node_dir, dev->node_name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	if ((uid == (uid_t)-1 || st.st_uid == uid) &&
	    (gid == (gid_t)-1 || st.st_gid == gid))
		return 0;
	if (!dev->node_rdev) {
		pr_warn("%s: owner and group of its node are root's to set\n",
			dev->name);
		return -EPERM;
	}
	/* A character device in a directory only root writes: no link. */
	if (fchownat(dev->node_dir, dev->node_name, uid, gid,
		     AT_SYMLINK_NOFOLLOW) ||
	    fchmodat(dev->node_dir, dev->node_name,
		     gid != (gid_t)-1 ? 0660 : 0600, 0))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* opening                                                            */
/* ------------------------------------------------------------------ */

static int validate(const char *name, int type,
		    const struct vtap_dev_opts *opts)
{
	unsigned int flags = OPTS_GET(opts, flags, 0);
	uint32_t mode = OPTS_GET(opts, mode, 0);

	if (flags & (VTAP_DEV_TUN | VTAP_DEV_NAPI | VTAP_DEV_SINGLE_QUEUE)) {
		pr_warn("%s: a %s has no TUN mode, NAPI or single queue\n",
			name ? name : "", type_names[type]);
		return -EINVAL;
	}
	if (!vtap_dev_mode__valid(type, mode)) {
		pr_warn("%s: mode %s does not apply to a %s\n",
			name ? name : "",
			vtap_dev_mode__name(mode) ?: "(unknown)",
			type_names[type]);
		return -EINVAL;
	}
	return 0;
}

/* Create @name as asked. Return: 0 with *@ret filled, or -errno. */
static int create(const char *name, int type, const struct vtap_dev_opts *opts,
		  struct vtap_link *ret)
{
	const char *lower_name = OPTS_GET(opts, link, NULL);
	const uint8_t *mac = OPTS_GET(opts, mac, NULL);
	struct vtap_link lower;
	int err;

	if (!name || !*name || strchr(name, '%')) {
		pr_warn("a %s to create needs a name (no %%d)\n",
			type_names[type]);
		return -EINVAL;
	}
	if (!lower_name || !*lower_name) {
		pr_warn("%s: a %s to create needs its lower device (link)\n",
			name, type_names[type]);
		return -EINVAL;
	}
	if (mac && (mac[0] & 1)) {
		pr_warn("%s: a multicast MAC address\n", name);
		return -EINVAL;
	}
	err = vtap_link_get(0, lower_name, &lower);
	if (err) {
		pr_warn("%s: lower device '%s' not found in this network "
			"namespace\n",
			name, lower_name);
		return err;
	}
	err = create_link(name, type, &lower, OPTS_GET(opts, mode, 0), mac);
	if (err)
		return err;
	return vtap_link_get(0, name, ret);
}

struct vtap_dev *vtap_macvtap_open(const char *name,
				   const struct vtap_dev_opts *opts,
				   const struct vtap_link *existing)
{
	unsigned int flags = OPTS_GET(opts, flags, 0);
	unsigned int queues = OPTS_GET(opts, queues, 0);
	struct vtap_link l;
	struct vtap_dev *dev;
	int type, err, fd, n;

	type = existing ? vtap_link_type(existing)
			: (int)OPTS_GET(opts, type, 0);
	err = validate(name, type, opts);
	if (err)
		return vtap_err_ptr(err);
	if (existing) {
		if (flags & VTAP_DEV_EXCL) {
			pr_warn("%s: exists\n", existing->name);
			return vtap_err_ptr(-EEXIST);
		}
		if (!(flags & VTAP_DEV_MATCH) &&
		    (int)OPTS_GET(opts, type, 0) != type) {
			pr_warn("%s: exists as a %s, asked for a %s\n",
				existing->name, type_names[type],
				vtap_dev_type__name(OPTS_GET(opts, type, 0))
					?: "?");
			return vtap_err_ptr(-EEXIST);
		}
		l = *existing;
	} else if (flags & (VTAP_DEV_NO_CREATE | VTAP_DEV_MATCH)) {
		return vtap_err_ptr(-ENODEV);
	} else {
		err = create(name, type, opts, &l);
		if (err)
			return vtap_err_ptr(err);
	}

	dev = vtap_dev_alloc(l.name, opts);
	if (!dev) {
		err = -errno;
		goto err_delete;
	}
	dev->type = (uint32_t)type;
	dev->ifindex = l.ifindex;
	dev->created = !existing;
	dev->tool = flags & VTAP_DEV_MATCH;
	dev->persist = existing || (flags & VTAP_DEV_PERSIST);
	dev->iff = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	if (flags & VTAP_DEV_MATCH)
		dev->hdr_len = dev->hdr_len ?: VTAP_VNET_HDR_LEN;
	if (dev->hdr_len)
		dev->iff |= IFF_VNET_HDR;
	if (!queues) {
		n = existing ? vtap_rundir_queues(l.ifindex) : -ENOENT;
		queues = n > 0 ? (unsigned int)n : 1;
	}
	if (dev->created && (flags & VTAP_DEV_PERSIST)) {
		err = vtap_dev_record(dev, opts, queues);
		if (err)
			goto err_free;
	}
	err = find_node(dev, &l, true);
	if (err)
		goto err_free;
	err = chown_node(dev, opts);
	if (err) {
		pr_warn("%s: giving its node to the owner: %s\n", dev->name,
			strerror(-err));
		goto err_free;
	}

	fd = vtap_macvtap_queue_fd(dev);
	if (fd < 0) {
		err = fd;
		goto err_free;
	}
	if (!dev->node_rdev) {
		struct stat st;

		err = check_queue(dev, fd, &l);
		if (!err && fstat(fd, &st))
			err = -errno;
		if (err) {
			close(fd);
			goto err_free;
		}
		dev->node_rdev = st.st_rdev;
	}
	/* The kernel gives no queue count: the handle holds them all. */
	dev->queues[0] = (struct vtap_queue){.dev = dev, .fd = fd, .id = 0};
	dev->map.base = 0;
	dev->map.qid[0] = 0;
	dev->map.n_attached = 1;
	dev->n_queues = 1;
	err = vtap_dev_open_common(dev, opts, queues);
	if (err)
		goto err_free;
	return dev;

err_free:
	/* A device this call made goes, persistent or not. */
	if (dev->created) {
		vtap_nl_link_del(dev->ifindex);
		vtap_rundir_remove(dev->ifindex);
	}
	dev->created = false;
	vtap_dev_free(dev);
	return vtap_err_ptr(err);
err_delete:
	if (!existing)
		vtap_nl_link_del(l.ifindex);
	return vtap_err_ptr(err);
}

/*
 * A macvtap's offloads cannot be read back: there is no TUNGETOFFLOAD, and
 * its ethtool features are the macvlan's (what it may send to the lower
 * device), not what TUNSETOFFLOAD set for its readers. So vtap records
 * what it sets in the run directory (when it may write there: root) and
 * otherwise assumes the kernel's default for a new macvtap
 * (macvtap_newlink(): TUN_OFFLOADS, i.e. csum, tso4, tso6, tso_ecn;
 * measured on 6.18: TSO frames arrive whole on a fresh queue).
 */
#define MACVTAP_OFFLOADS_DEFAULT                                     \
	(VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6 | \
	 VTAP_OFFLOAD_TSO_ECN)

uint32_t vtap_macvtap_offloads(int ifindex)
{
	char buf[16];
	unsigned long v;
	ssize_t n;
	char *end;
	int dir;

	dir = vtap_rundir_open(ifindex, false);
	if (dir < 0)
		return MACVTAP_OFFLOADS_DEFAULT;
	n = vtap_read_file_at(dir, "offloads", buf, sizeof(buf) - 1);
	close(dir);
	if (n <= 0)
		return MACVTAP_OFFLOADS_DEFAULT;
	buf[n] = '\0';
	v = strtoul(buf, &end, 16);
	if (end == buf || (*end && *end != '\n') || (v & ~VTAP_OFFLOAD_ALL))
		return MACVTAP_OFFLOADS_DEFAULT;
	return (uint32_t)v;
}

void vtap_macvtap_offloads_record(const struct vtap_dev *dev)
{
	char buf[16];
	int dir, n;

	/* Root's directory: only root records (others' writes fail). */
	dir = vtap_rundir_open(dev->ifindex, geteuid() == 0);
	if (dir < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%x\n", dev->kernel_offloads);
	vtap_write_file_at(dir, "offloads", buf, (size_t)n);
	close(dir);
}

void vtap_macvtap_close(struct vtap_dev *dev)
{
	if (dev->node_dir >= 0)
		close(dev->node_dir);
	dev->node_dir = -1;
	if (dev->created && !dev->persist) {
		vtap_nl_link_del(dev->ifindex);
		vtap_rundir_remove(dev->ifindex);
	}
}

/* ------------------------------------------------------------------ */
/* by name                                                            */
/* ------------------------------------------------------------------ */

void vtap_macvtap_info(const struct vtap_link *l, struct vtap_dev_info *info)
{
	char devname[16];
	struct stat st;
	int dir;

	info->tun_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR |
			  IFF_PERSIST;
	info->owner = -1;
	info->group = -1;
	info->attached_queues = 0;
	info->offloads = vtap_macvtap_offloads(l->ifindex);
	/* The run directory's node (root made it) first, else the kernel's. */
	dir = vtap_rundir_open(l->ifindex, false);
	snprintf(devname, sizeof(devname), "tap");
	if (dir < 0 || fstatat(dir, devname, &st, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISCHR(st.st_mode)) {
		if (dir >= 0)
			close(dir);
		dir = open_dev_dir();
		snprintf(devname, sizeof(devname), "tap%d", l->ifindex);
		if (dir < 0 ||
		    fstatat(dir, devname, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISCHR(st.st_mode)) {
			if (dir >= 0)
				close(dir);
			return;
		}
	}
	close(dir);
	if (st.st_uid != 0)
		info->owner = st.st_uid;
	if (st.st_gid != 0 && (st.st_mode & S_IRWXG))
		info->group = st.st_gid;
}

/*
 * The path of @l's node: the run directory's or /dev/tapIFINDEX, whichever
 * is the device @rdev (when known), else whichever exists, in the order
 * libvtap opens them. "" when none is.
 */
static void node_path(const struct vtap_link *l, const dev_t *rdev, char *buf,
		      size_t size)
{
	char run[96], devname[16];
	bool in_dev, in_run;
	dev_t have = 0;
	int dir;

	snprintf(devname, sizeof(devname), "tap%d", l->ifindex);
	dir = open_dev_dir();
	in_dev = dir >= 0 && !node_rdev(dir, devname, &have) &&
		 (!rdev || have == *rdev);
	if (dir >= 0)
		close(dir);
	dir = vtap_rundir_open(l->ifindex, false);
	in_run = dir >= 0 && !node_rdev(dir, "tap", &have) &&
		 (!rdev || have == *rdev) &&
		 !vtap_rundir_path(l->ifindex, run, sizeof(run));
	if (dir >= 0)
		close(dir);
	/* Root uses the kernel's node when it is the device; others try the
	 * run directory's first (find_node()). */
	if (in_dev && (rdev || !in_run))
		snprintf(buf, size, "/dev/%s", devname);
	else if (in_run)
		snprintf(buf, size, "%s/tap", run);
	else
		buf[0] = '\0';
}

int vtap_dev__link(const char *name, struct vtap_dev_link *ret)
{
	struct vtap_dev_link r = {0};
	struct vtap_link l, lower;
	size_t sz;
	dev_t rdev;
	int type, err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ || !ret ||
	    ret->sz < sizeof(ret->sz))
		return vtap_err(-EINVAL);
	err = vtap_link_get(0, name, &l);
	if (err)
		return vtap_err(err);
	type = vtap_link_type(&l);
	if (type < 0)
		return vtap_err(-EINVAL);
	r.type = (uint32_t)type;
	if (type != VTAP_DEV_TYPE_TUN) {
		r.mode = mode_of(&l, type);
		r.link_ifindex = l.link_ifindex;
		r.link_netns = l.link_netns;
		if (!l.link_netns && l.link_ifindex > 0 &&
		    !vtap_link_get(l.link_ifindex, NULL, &lower))
			snprintf(r.link, sizeof(r.link), "%s", lower.name);
		if (!devt_from_sysfs(&l, type, &rdev)) {
			r.node_major = major(rdev);
			r.node_minor = minor(rdev);
		}
		node_path(&l, r.node_major ? &rdev : NULL, r.node,
			  sizeof(r.node));
	}
	sz = ret->sz < sizeof(r) ? ret->sz : sizeof(r);
	r.sz = ret->sz;
	memcpy(ret, &r, sz);
	return 0;
}
