// SPDX-License-Identifier: MIT
/*
 * port.c - the taps under the switch's ports, and the bits of link setup
 * the daemon and its demo need (namespace moves, link up, an address)
 *
 * Each port is a multiqueue tap with a virtio-net header on every frame
 * and the CSUM/TSO4/TSO6 (and USO where the kernel has it) offloads on,
 * so the kernel hands the switch whole GSO frames and accepts them back.
 * Offloads belong to the device (SPEC-NOTES.md), so they are set once.
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
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include "switchd.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

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

/*
 * RTM_NEWLINK on @ifname (looked up by name in the caller's namespace):
 * move it to @target_netns_fd (>= 0) and/or set it up.
 */
int nl_link_set(const char *ifname, int target_netns_fd, bool up)
{
	char buf[8192];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int seq = 1;
	int ret;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto close_nl;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	if (up) {
		ifm->ifi_change = IFF_UP;
		ifm->ifi_flags = IFF_UP;
	}
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	if (target_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD,
				 (uint32_t)target_netns_fd);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto close_nl;
	}
	ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret < 0) {
		ret = -errno;
		goto close_nl;
	}
	ret = mnl_cb_run(buf, (size_t)ret, seq, mnl_socket_get_portid(nl), NULL,
			 NULL);
	ret = ret < 0 ? -errno : 0;
close_nl:
	mnl_socket_close(nl);
	return ret;
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

/* Set the device's offloads: everything the switch passes through. */
static int set_offloads(int fd)
{
	unsigned int full = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			    TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6;

	if (!ioctl(fd, TUNSETOFFLOAD, full))
		return 0;
	/* A kernel without USO (before 6.2). */
	if (!ioctl(fd, TUNSETOFFLOAD, full & ~(TUN_F_USO4 | TUN_F_USO6)))
		return 0;
	return -errno;
}

#ifdef HAVE_VTAP_STEER
/*
 * Give a port vtap's RSS steering (all hash types, the default key, the
 * table spread over every queue) and copy the table in effect, so the
 * egress queue choice and the hash check use the very same table. Done
 * before the link goes up, so no frame is queued by another rule.
 */
static void steer_port(struct sw_port *p)
{
	VTAP_OPTS_INIT(vtap_steer_opts, so, .queues = p->nq);
	struct vtap_steer_rss rss = {.sz = sizeof(rss)};
	struct vtap_steer *st = vtap_steer__open(p->name, &so);

	if (!st) {
		fprintf(stderr,
			"vtap-switchd: port '%s': no RSS steering (%s); the kernel's automq chooses queues\n",
			p->name, strerror(errno));
		return;
	}
	rss.hash_types = VTAP_HASH_TYPE_ALL;
	rss.kind = VTAP_STEER_TABLE_EQUAL;
	if (vtap_steer__set_rss(st, &rss) ||
	    vtap_steer__set_steps(st, VTAP_STEER_STEP_RSS) ||
	    vtap_steer__attach(st, p->fds[0]) || vtap_steer__rss(st, &rss) ||
	    !rss.table_len) {
		fprintf(stderr,
			"vtap-switchd: port '%s': RSS steering: %s; the kernel's automq chooses queues\n",
			p->name, strerror(errno));
		vtap_steer__close(st);
		return;
	}
	for (unsigned int i = 0; i < SW_TABLE_LEN; i++)
		p->table[i] = rss.table[i % rss.table_len];
	p->steered = true;
	p->lib = st;
}
#endif

int port_open(struct sw *sw, struct sw_port *p, int netns_fd, char *err,
	      size_t errlen)
{
	int hs = (int)sw->hdr_size, ret;

	p->existed = if_nametoindex(p->name) != 0;
	for (unsigned int q = 0; q < p->nq; q++)
		p->fds[q] = -1;
	for (unsigned int q = 0; q < p->nq; q++) {
		struct ifreq ifr = {0};
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

		if (fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "open /dev/net/tun: %s",
				 strerror(errno));
			goto fail;
		}
		p->fds[q] = fd;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->name);
		ifr.ifr_flags =
			IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR;
		if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
			ret = -errno;
			snprintf(
				err, errlen, "tap '%s' queue %u: %s%s", p->name,
				q, strerror(errno),
				errno == EPERM ? " (needs CAP_NET_ADMIN)"
				: errno == EINVAL
					? " (an existing device with other flags?)"
					: "");
			goto fail;
		}
	}
	if (ioctl(p->fds[0], TUNSETVNETHDRSZ, &hs) < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap '%s': vnet header size %d: %s",
			 p->name, hs, strerror(errno));
		goto fail;
	}
	ret = set_offloads(p->fds[0]);
	if (ret) {
		snprintf(err, errlen, "tap '%s': offloads: %s", p->name,
			 strerror(-ret));
		goto fail;
	}
#ifdef HAVE_VTAP_STEER
	if (p->nq > 1)
		steer_port(p);
#endif
	if (netns_fd >= 0) {
		ret = nl_link_set(p->name, netns_fd, false);
		if (ret) {
			snprintf(err, errlen, "tap '%s': move to namespace: %s",
				 p->name, strerror(-ret));
			goto fail;
		}
		int saved;

		ret = ns_enter(netns_fd, &saved);
		if (!ret) {
			ret = if_up(p->name);
			ns_leave(saved);
		}
	} else {
		ret = if_up(p->name);
	}
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
#ifdef HAVE_VTAP_STEER
	vtap_steer__close(p->lib);
	p->lib = NULL;
#endif
	for (unsigned int q = 0; q < p->nq; q++) {
		if (p->fds[q] >= 0)
			close(p->fds[q]);
		p->fds[q] = -1;
	}
}
