// SPDX-License-Identifier: MIT
/*
 * port.c - the taps under the switch's ports, and the bits of link setup
 * the daemon and its demo need (entering a namespace, link up, an address)
 *
 * A port is a libvtap device: a multiqueue tap opened with
 * vtap_dev__open() and a 20-byte virtio-net header on every frame, the
 * CSUM/TSO4/TSO6/TSO_ECN (and USO where the kernel has it) offloads on, so
 * the kernel hands the switch whole GSO frames and takes them back. A port
 * with several queues gets vtap's RSS steering (vtap_steer__attach_dev():
 * all hash types, the symmetric key sw_rss_key, the table spread over its
 * queues) and
 * libvtap reports each frame's hash from the very configuration the
 * steering program uses (VTAP_REPORT_STEER); a one-queue port has no
 * steering and gets the hash from the same types and key
 * (VTAP_REPORT_CONFIG). Steering is attached and the hash set up before
 * the link goes up, so no frame is queued by automq first; it is then
 * pinned where vtapctl looks for any tap's (vtap_steer__pin(), in the
 * namespace the tap lives in), so `vtapctl rss show` and `steer show`
 * work on the switch's ports. Offloads and
 * the steering program belong to the device (SPEC-NOTES.md).
 *
 * A port may set other offloads ("offloads = none": its peer's stack then
 * sends MSS-sized segments). Frames written to a port whose tap has TSO
 * are coalesced (vtap_queue__set_gro()): MSS-sized segments arriving from
 * a port without offloads reach the peer as GSO frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "switchd.h"

int ns_enter(int nsfd, int *ret_saved)
{
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (saved < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		int err = -errno;

		close(saved);
		return err;
	}
	*ret_saved = saved;
	return 0;
}

void ns_leave(int saved)
{
	if (saved < 0)
		return;
	setns(saved, CLONE_NEWNET);
	close(saved);
}

int port_netns_open(const char *name)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int if_up(const char *ifname)
{
	struct ifreq ifr = {0};
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

int if_addr4(const char *ifname, uint32_t addr_be, unsigned int prefix)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr_be;
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	sin->sin_addr.s_addr = prefix ? htonl(~0u << (32 - prefix)) : 0;
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}

const char *port_hash_src_name(uint8_t src)
{
	static const char *const names[] = {
		[SW_HASH_STEER] = "libvtap-steer",
		[SW_HASH_CONFIG] = "libvtap-config",
		[SW_HASH_RSS] = "libvtap-rss",
		[SW_HASH_SOFT] = "software",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == SW_HASH__COUNT,
		       "names cover enum sw_hash_src");

	return src < SW_HASH__COUNT ? names[src] : "?";
}

/*
 * Everything the switch passes through, USO only where the kernel has it;
 * or what the port's configuration says. Return: the offloads set, or a
 * negative errno.
 */
static int64_t set_offloads(struct sw_port *p)
{
	uint32_t full = VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
			VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_TSO_ECN |
			VTAP_OFFLOAD_USO;
	int err;

	if (p->cfg.offloads_set)
		full = p->cfg.offloads;
	err = vtap_dev__set_offloads(p->dev, full);
	if (err == -EOPNOTSUPP && !p->cfg.offloads_set) {
		full &= ~VTAP_OFFLOAD_USO;
		err = vtap_dev__set_offloads(p->dev, full);
	}
	return err ? err : (int64_t)full;
}

/*
 * Coalesce what the switch writes to the tap (vtap_queue__set_gro()):
 * by default where the tap has TSO, i.e. where its peer's stack takes
 * GSO frames as its own; "gro = yes" forces it, "gro = no" keeps every
 * frame as it came.
 */
static void gro_port(struct sw *sw, struct sw_port *p, uint32_t offloads)
{
	VTAP_OPTS_INIT(vtap_gro_opts, go);
	bool on = p->cfg.gro > 0 ||
		  (p->cfg.gro < 0 && (offloads & VTAP_OFFLOAD_CSUM) &&
		   (offloads & (VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6)));

	for (unsigned int q = 0; on && q < p->nq; q++) {
		int err = vtap_queue__set_gro(p->q[q], &go);

		if (err && !sw->quiet) {
			fprintf(stderr,
				"vtap-switchd: port '%s': no coalescing on queue %u (%s)\n",
				p->name, q, strerror(-err));
			return;
		}
	}
}

/*
 * Receive through io_uring (vtap_queue__set_rx_uring()): "io_uring = yes"
 * needs it (the port fails without), "auto" takes it where the kernel has
 * it, "no" reads one frame a read().
 */
static int uring_port(struct sw *sw, struct sw_port *p, char *err,
		      size_t errlen)
{
	for (unsigned int q = 0; sw->cfg.io_uring && q < p->nq; q++) {
		int ret = vtap_queue__set_rx_uring(p->q[q], true);

		if (!ret)
			continue;
		if (sw->cfg.io_uring > 0) {
			snprintf(
				err, errlen,
				"tap '%s': io_uring on queue %u: %s (io_uring = auto or no reads without it)",
				p->name, q, strerror(-ret));
			return ret;
		}
		return 0;
	}
	return 0;
}

/*
 * Give a port with several queues vtap's RSS steering (all hash types,
 * sw_rss_key, the table spread over every queue) and copy the table in
 * effect, so the egress queue choice and the hash check use the very same
 * table the program and the hash report use.
 */
static void steer_port(struct sw *sw, struct sw_port *p)
{
	VTAP_OPTS_INIT(vtap_steer_opts, so, .queues = p->nq);
	struct vtap_steer_rss rss = {.sz = sizeof(rss)};
	struct vtap_steer *st = vtap_steer__open(p->name, &so);

	if (!st) {
		if (!sw->quiet)
			fprintf(stderr,
				"vtap-switchd: port '%s': no RSS steering (%s); the kernel's automq chooses queues\n",
				p->name, strerror(errno));
		return;
	}
	rss.hash_types = VTAP_HASH_TYPE_ALL;
	rss.key_len = sizeof(sw_rss_key);
	memcpy(rss.key, sw_rss_key, sizeof(sw_rss_key));
	rss.kind = VTAP_STEER_TABLE_EQUAL;
	if (vtap_steer__set_rss(st, &rss) ||
	    vtap_steer__set_steps(st, VTAP_STEER_STEP_RSS) ||
	    vtap_steer__attach_dev(st, p->dev) || vtap_steer__rss(st, &rss) ||
	    !rss.table_len || rss.table_len > SW_TABLE_LEN) {
		if (!sw->quiet)
			fprintf(stderr,
				"vtap-switchd: port '%s': RSS steering: %s; the kernel's automq chooses queues\n",
				p->name, strerror(errno));
		vtap_steer__close(st);
		return;
	}
	for (unsigned int i = 0; i < SW_TABLE_LEN; i++)
		p->ktable[i] = rss.table[i % rss.table_len];
	p->steered = true;
	p->steer = st;
}

/*
 * Switch hash reporting on: from the steering map when the port is
 * steered, else from the same types and key; with a library that cannot
 * do either, from the switch's own vtap_rss, and as a last resort the
 * workers hash in software (with that same configuration).
 */
static void report_port(struct sw *sw, struct sw_port *p)
{
	VTAP_OPTS_INIT(vtap_report_opts, ro, .mode = VTAP_REPORT_STEER);

	if (!p->steered) {
		ro.mode = VTAP_REPORT_CONFIG;
		ro.hash_types = VTAP_HASH_TYPE_ALL;
		ro.key = sw_rss_key;
		ro.key_len = sizeof(sw_rss_key);
	}
	if (!vtap_dev__set_report(p->dev, &ro)) {
		p->hash_src = p->steered ? SW_HASH_STEER : SW_HASH_CONFIG;
		return;
	}
	if (!vtap_dev__set_hash_report(p->dev, sw->rss)) {
		p->hash_src = SW_HASH_RSS;
		return;
	}
	if (!sw->quiet)
		fprintf(stderr,
			"vtap-switchd: port '%s': libvtap cannot report hashes (%s); hashing in software\n",
			p->name, strerror(errno));
	p->hash_src = SW_HASH_SOFT;
}

/*
 * Publish a steered port's steering where vtapctl looks for any tap's
 * (the pins of the tap in the namespace it lives in), so `vtapctl rss
 * show`, `steer show` and `stats` work on the switch's ports too.
 */
static void pin_port(struct sw *sw, struct sw_port *p)
{
	int saved = -1, ret;

	if (!p->steer)
		return;
	if (p->netns_fd >= 0 && ns_enter(p->netns_fd, &saved))
		return;
	ret = vtap_steer__pin(p->steer);
	if (p->netns_fd >= 0)
		ns_leave(saved);
	if (ret && !sw->quiet)
		fprintf(stderr,
			"vtap-switchd: port '%s': steering not published for vtapctl: %s\n",
			p->name, strerror(-ret));
}

/* Link up in the namespace the tap lives in. */
static int link_up(struct sw_port *p)
{
	int saved, ret;

	if (p->netns_fd < 0)
		return vtap_dev__set_up(p->dev, true);
	ret = ns_enter(p->netns_fd, &saved);
	if (ret)
		return ret;
	ret = if_up(p->name);
	ns_leave(saved);
	return ret;
}

int port_open(struct sw *sw, struct sw_port *p, int netns_fd, char *err,
	      size_t errlen)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .queues = p->nq,
		       .vnet_hdr_len = SW_HDR_LEN);
	int64_t off;
	int ret;

	if (p->cfg.napi)
		o.flags |= VTAP_DEV_NAPI;
	p->existed = if_nametoindex(p->name) != 0;
	p->dev = vtap_dev__open(p->name, &o);
	if (!p->dev) {
		ret = -errno;
		snprintf(
			err, errlen, "tap '%s': %s%s", p->name, strerror(errno),
			errno == EPERM ? " (needs CAP_NET_ADMIN)"
			: errno == EEXIST
				? " (an existing device with other flags: it must be a multiqueue tap with vnet headers)"
				: "");
		return ret;
	}
	for (unsigned int q = 0; q < p->nq; q++) {
		p->q[q] = vtap_dev__queue(p->dev, q);
		if (!p->q[q]) {
			ret = -ENOENT;
			snprintf(err, errlen, "tap '%s': queue %u missing",
				 p->name, q);
			goto fail;
		}
		p->kidx[q] = (int16_t)vtap_queue__kernel_index(p->q[q]);
	}
	off = set_offloads(p);
	if (off < 0) {
		ret = (int)off;
		snprintf(err, errlen, "tap '%s': offloads: %s", p->name,
			 strerror(-ret));
		goto fail;
	}
	gro_port(sw, p, (uint32_t)off);
	ret = uring_port(sw, p, err, errlen);
	if (ret)
		goto fail;
	if (p->nq > 1)
		steer_port(sw, p);
	report_port(sw, p);
	if (netns_fd >= 0) {
		ret = vtap_dev__set_netns(p->dev, netns_fd, 0);
		if (ret) {
			snprintf(err, errlen, "tap '%s': move to namespace: %s",
				 p->name, strerror(-ret));
			goto fail;
		}
		p->netns_fd = dup(netns_fd);
		if (p->netns_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "tap '%s': %s", p->name,
				 strerror(errno));
			goto fail;
		}
	}
	pin_port(sw, p);
	ret = link_up(p);
	if (ret) {
		snprintf(err, errlen, "tap '%s': set up: %s", p->name,
			 strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	port_close(p);
	return ret;
}

void port_close(struct sw_port *p)
{
	/* The steering handle follows the device: close it first. */
	vtap_steer__close(p->steer);
	p->steer = NULL;
	vtap_dev__close(p->dev);
	p->dev = NULL;
	if (p->netns_fd >= 0)
		close(p->netns_fd);
	p->netns_fd = -1;
}
