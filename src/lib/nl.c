// SPDX-License-Identifier: MIT
/*
 * nl.c - link settings through rtnetlink (libmnl), offloads through ethtool
 *
 * One request per call on a fresh NETLINK_ROUTE socket, acknowledged
 * (NLM_F_ACK) so the kernel's error comes back as the return value. The
 * socket lives in the caller's network namespace: a link moved elsewhere is
 * not found (-ENODEV).
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dev_impl.h"

/* Room for any request and its acknowledgement (MNL_SOCKET_BUFFER_SIZE is
 * not a constant expression). */
#define NL_BUF_SIZE 8192

/*
 * Send @nlh and wait for its acknowledgement, handing any reply to @cb.
 * Return: 0 or -errno.
 */
static int nl_talk_cb(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NL_BUF_SIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq;
	int ret;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	while (ret > 0) {
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, cb, data);
		if (ret <= MNL_CB_STOP)
			break;
		ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	}
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static int nl_talk(struct nlmsghdr *nlh)
{
	return nl_talk_cb(nlh, NULL, NULL);
}

/* IFLA_TUN_NUM_QUEUES inside IFLA_LINKINFO / IFLA_INFO_DATA. */
static int tun_queues_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *b, *c;
	int *ret = data;

	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(a) != IFLA_LINKINFO)
			continue;
		mnl_attr_for_each_nested(b, a)
		{
			if (mnl_attr_get_type(b) != IFLA_INFO_DATA)
				continue;
			mnl_attr_for_each_nested(c, b)
			{
				if (mnl_attr_get_type(c) ==
					    IFLA_TUN_NUM_QUEUES &&
				    !mnl_attr_validate(c, MNL_TYPE_U32))
					*ret = (int)mnl_attr_get_u32(c);
			}
		}
	}
	return MNL_CB_OK;
}

/*
 * Start an rtnetlink link request of @type for @ifindex in @buf (at least
 * NL_BUF_SIZE bytes); attributes may follow. Return: the message, with its
 * ifinfomsg in *@ret_ifi.
 */
static struct nlmsghdr *link_msg(char *buf, uint16_t type, int ifindex,
				 struct ifinfomsg **ret_ifi)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	*ret_ifi = ifi;
	return nlh;
}

int vtap_nl_tun_queues(int ifindex)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int n = -ENODATA, err;

	if (ifindex <= 0)
		return -ENODEV;
	nlh = link_msg(buf, RTM_GETLINK, ifindex, &ifi);
	err = nl_talk_cb(nlh, tun_queues_cb, &n);
	return err ? err : n;
}

/* IFLA_MTU, IFLA_TXQLEN, IFLA_STATS64 and the tun queue count. */
static int link_state_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vtap_nl_link_state *st = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg))
	{
		switch (mnl_attr_get_type(a)) {
		case IFLA_MTU:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				st->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_TXQLEN:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				st->txqlen = mnl_attr_get_u32(a);
			break;
		case IFLA_STATS64:
			if (mnl_attr_get_payload_len(a) >=
			    sizeof(struct rtnl_link_stats64)) {
				struct rtnl_link_stats64 s;

				memcpy(&s, mnl_attr_get_payload(a), sizeof(s));
				st->tx_dropped = s.tx_dropped;
			}
			break;
		}
	}
	return tun_queues_cb(nlh, &st->tun_queues);
}

int vtap_nl_link_get(int ifindex, struct vtap_nl_link_state *ret)
{
	struct vtap_nl_link_state st = {.tun_queues = -1};
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	if (ifindex <= 0)
		return -ENODEV;
	nlh = link_msg(buf, RTM_GETLINK, ifindex, &ifi);
	err = nl_talk_cb(nlh, link_state_cb, &st);
	if (err)
		return err;
	*ret = st;
	return 0;
}

int vtap_nl_link_set(int ifindex, const struct vtap_nl_link *set)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex <= 0)
		return -ENODEV;
	nlh = link_msg(buf, RTM_NEWLINK, ifindex, &ifi);
	if (set->up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = set->up ? IFF_UP : 0;
	}
	if (set->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, set->mtu);
	if (set->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, set->mac);
	if (set->txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, set->txqlen);
	if (set->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)set->netns_fd);
	else if (set->netns_pid > 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_PID,
				 (uint32_t)set->netns_pid);
	return nl_talk(nlh);
}

int vtap_nl_link_del(int ifindex)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = link_msg(buf, RTM_DELLINK, ifindex, &ifi);
	return nl_talk(nlh);
}

/*
 * The netdev feature names tun's TUNSETOFFLOAD turns on (tun.c
 * set_offload(): TUN_F_CSUM -> NETIF_F_HW_CSUM, TSO4 -> NETIF_F_TSO, ...).
 */
static const struct {
	const char *name;
	uint32_t bit;
} feature_names[] = {
	{"tx-checksum-ip-generic", VTAP_OFFLOAD_CSUM},
	{"tx-tcp-segmentation", VTAP_OFFLOAD_TSO4},
	{"tx-tcp6-segmentation", VTAP_OFFLOAD_TSO6},
	{"tx-tcp-ecn-segmentation", VTAP_OFFLOAD_TSO_ECN},
	{"tx-udp-segmentation", VTAP_OFFLOAD_USO},
	{"tx-udp_tnl-segmentation", VTAP_OFFLOAD_UDP_TUNNEL},
	{"tx-udp_tnl-csum-segmentation", VTAP_OFFLOAD_UDP_TUNNEL_CSUM},
};

static int ethtool(int sock, const char *name, void *cmd)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = cmd;
	return ioctl(sock, SIOCETHTOOL, &ifr) ? -errno : 0;
}

int vtap_nl_offloads(const char *name, uint32_t *ret)
{
	struct ethtool_sset_info *sset = NULL;
	struct ethtool_gstrings *strs = NULL;
	struct ethtool_gfeatures *feat = NULL;
	uint32_t count, words, off = 0;
	int sock, err;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	sset = calloc(1, sizeof(*sset) + sizeof(uint32_t));
	if (!sset) {
		err = -ENOMEM;
		goto out;
	}
	sset->cmd = ETHTOOL_GSSET_INFO;
	sset->sset_mask = 1ull << ETH_SS_FEATURES;
	err = ethtool(sock, name, sset);
	if (err)
		goto out;
	if (!sset->sset_mask) {
		err = -EOPNOTSUPP;
		goto out;
	}
	count = sset->data[0];
	words = (count + 31) / 32;
	strs = calloc(1, sizeof(*strs) + (size_t)count * ETH_GSTRING_LEN);
	feat = calloc(1, sizeof(*feat) + words * sizeof(feat->features[0]));
	if (!strs || !feat) {
		err = -ENOMEM;
		goto out;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_FEATURES;
	strs->len = count;
	err = ethtool(sock, name, strs);
	if (err)
		goto out;
	feat->cmd = ETHTOOL_GFEATURES;
	feat->size = words;
	err = ethtool(sock, name, feat);
	if (err)
		goto out;
	for (uint32_t i = 0; i < count; i++) {
		const char *s = (const char *)strs->data + i * ETH_GSTRING_LEN;

		if (!(feat->features[i / 32].active & (1u << (i % 32))))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(feature_names); k++)
			if (!strncmp(s, feature_names[k].name, ETH_GSTRING_LEN))
				off |= feature_names[k].bit;
	}
	*ret = off;
out:
	free(sset);
	free(strs);
	free(feat);
	close(sock);
	return err;
}
