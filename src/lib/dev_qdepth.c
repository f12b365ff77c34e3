// SPDX-License-Identifier: MIT
/*
 * dev_qdepth.c - the hub's side of the queue depth: the device describes
 * its tap to qdepth.c (struct vtap_qdepth_target) after every change the
 * depth rule depends on, and the public calls that set a depth
 */
#include <string.h>

#include "dev_impl.h"
#include "qdepth_impl.h"

/* The fd of an attached queue of @dev, or -1. */
static int attached_fd(const struct vtap_dev *dev)
{
	for (unsigned int i = 0; i < dev->n_queues; i++)
		if (dev->queues[i].kidx >= 0)
			return dev->queues[i].fd;
	return -1;
}

/*
 * A macvtap's or ipvtap's side of the target: its lower link's MTU (when
 * that link is in this namespace), and drops counted on the rx side.
 */
static void target_lower(int ifindex, struct vtap_qdepth_target *t)
{
	struct vtap_link l, lower;

	t->rx_side = true;
	if (!vtap_link_get(ifindex, NULL, &l) && !l.link_netns &&
	    l.link_ifindex > 0 && !vtap_link_get(l.link_ifindex, NULL, &lower))
		t->lower_mtu = lower.mtu;
}

static void target(const struct vtap_dev *dev, struct vtap_qdepth_target *t)
{
	*t = (struct vtap_qdepth_target){
		.name = dev->name,
		.ifindex = dev->ifindex,
		.fd = attached_fd(dev),
		.own = dev->tool ? (int)dev->map.n_attached : 0,
		.fallback = (int)(dev->map.base + dev->map.n_attached),
		.gso = dev->type == VTAP_DEV_TYPE_TUN
			       ? -1
			       : !!(dev->kernel_offloads &
				    VTAP_QDEPTH_GSO_OFFLOADS),
	};
	if (dev->type != VTAP_DEV_TYPE_TUN)
		target_lower(dev->ifindex, t);
}

void vtap_dev_qdepth_update(struct vtap_dev *dev)
{
	struct vtap_qdepth_target t;

	if (dev->moved)
		return;
	target(dev, &t);
	vtap_qdepth_update(&t);
}

void vtap_dev_qdepth_opened(struct vtap_dev *dev)
{
	struct vtap_qdepth_target t;

	if (dev->moved && !dev->created)
		return;
	target(dev, &t);
	vtap_qdepth_opened(&t, dev->created);
}

int vtap_dev__set_qdepth(struct vtap_dev *dev,
			 const struct vtap_qdepth_opts *opts)
{
	struct vtap_qdepth_cfg cfg;
	struct vtap_qdepth_target c;
	int err;

	if (!dev)
		return vtap_err(-EINVAL);
	err = vtap_qdepth_cfg_from_opts(dev->name, opts, &cfg);
	if (err)
		return vtap_err(err);
	if (dev->moved) {
		pr_warn("%s: the link is in another network namespace\n",
			dev->name);
		return vtap_err(-ENODEV);
	}
	target(dev, &c);
	c.reset_sndbuf = true;
	return vtap_err(vtap_qdepth_set_cfg(&c, &cfg));
}

int vtap_qdepth__set(const char *name, const struct vtap_qdepth_opts *opts)
{
	VTAP_OPTS_INIT(vtap_dev_opts, dopts,
		       .flags = VTAP_DEV_NO_CREATE | VTAP_DEV_MATCH,
		       .queues = 1);
	struct vtap_qdepth_cfg cfg;
	struct vtap_dev *dev;
	struct vtap_qdepth_target c;
	struct vtap_link l;
	int type, err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ || strchr(name, '/'))
		return vtap_err(-EINVAL);
	err = vtap_qdepth_cfg_from_opts(name, opts, &cfg);
	if (err)
		return vtap_err(err);
	c = (struct vtap_qdepth_target){
		.name = name,
		.fd = -1,
		.reset_sndbuf = true,
		.gso = -1,
	};
	err = vtap_link_get(0, name, &l);
	if (err)
		return vtap_err(err);
	type = vtap_link_type(&l);
	if (type < 0) {
		pr_warn("%s: not a tun/tap device (nor a macvtap or ipvtap)\n",
			name);
		return vtap_err(-EINVAL);
	}
	c.ifindex = l.ifindex;
	if (type != VTAP_DEV_TYPE_TUN) {
		c.gso = !!(vtap_macvtap_offloads(l.ifindex) &
			   VTAP_QDEPTH_GSO_OFFLOADS);
		target_lower(l.ifindex, &c);
	}
	/* A queue of our own for TUNSETSNDBUF, not counted by the rule. A
	 * single-queue tap in use has none to spare: its depth still
	 * applies. */
	dev = vtap_dev__open(name, &dopts);
	if (!dev && errno != EBUSY)
		return -errno;
	if (dev) {
		c.fd = attached_fd(dev);
		c.own = (int)dev->map.n_attached; /* a tool's handle */
	}
	err = vtap_qdepth_set_cfg(&c, &cfg);
	vtap_dev__close(dev);
	return vtap_err(err);
}

int vtap_qdepth__info(const char *name, struct vtap_qdepth_info *ret)
{
	struct vtap_qdepth_target t = {.name = name, .fd = -1, .gso = -1};
	struct vtap_link l;
	int err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
	    !ret)
		return vtap_err(-EINVAL);
	err = vtap_link_get(0, name, &l);
	if (err)
		return vtap_err(err);
	t.ifindex = l.ifindex;
	/*
	 * A macvtap's ethtool features are the macvlan's, not what its
	 * readers get: that is its TUNSETOFFLOAD state (recorded, else the
	 * kernel's default), without which GSO frames are segmented
	 * (tap_handle_frame()).
	 */
	if (vtap_link_type(&l) > VTAP_DEV_TYPE_TUN) {
		t.gso = !!(vtap_macvtap_offloads(l.ifindex) &
			   VTAP_QDEPTH_GSO_OFFLOADS);
		target_lower(l.ifindex, &t);
	}
	err = vtap_qdepth_info(&t, ret);
	return err ? vtap_err(err) : 0;
}
