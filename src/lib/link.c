// SPDX-License-Identifier: MIT
/*
 * link.c - what the kernel says about links and how to change them:
 * rtnetlink (libmnl) for the link, ethtool for offloads
 *
 * One request per call on a fresh NETLINK_ROUTE socket, acknowledged
 * (NLM_F_ACK) so the kernel's error comes back as the return value. The
 * socket lives in the caller's network namespace: a link moved elsewhere is
 * not found (-ENODEV).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "internal.h"
#include "link.h"

/* Room for any request and its acknowledgement (MNL_SOCKET_BUFFER_SIZE is
 * not a constant expression). */
#define NL_BUF_SIZE 32768
/* Room for any request this file makes. */
#define NL_REQ_SIZE 1024

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

int vtap_nl_request(struct nlmsghdr *nlh)
{
	return nl_talk(nlh);
}

/*
 * Start an rtnetlink link request of @type for @ifindex in @buf (at least
 * NL_REQ_SIZE bytes); attributes may follow. Return: the message, with its
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

/* IFLA_TUN_* of IFLA_INFO_DATA into @l (tun.c tun_fill_info()). */
static void parse_tun(const struct nlattr *data, struct vtap_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, data)
	{
		unsigned int t = mnl_attr_get_type(a);

		switch (t) {
		case IFLA_TUN_OWNER:
		case IFLA_TUN_GROUP:
		case IFLA_TUN_NUM_QUEUES:
		case IFLA_TUN_NUM_DISABLED_QUEUES:
			if (mnl_attr_validate(a, MNL_TYPE_U32))
				continue;
			if (t == IFLA_TUN_OWNER)
				l->owner = mnl_attr_get_u32(a);
			else if (t == IFLA_TUN_GROUP)
				l->group = mnl_attr_get_u32(a);
			else if (t == IFLA_TUN_NUM_QUEUES)
				l->num_queues = (int)mnl_attr_get_u32(a);
			else
				l->num_disabled_queues =
					(int)mnl_attr_get_u32(a);
			break;
		case IFLA_TUN_TYPE:
		case IFLA_TUN_PI:
		case IFLA_TUN_VNET_HDR:
		case IFLA_TUN_PERSIST:
		case IFLA_TUN_MULTI_QUEUE: {
			uint8_t v;

			if (mnl_attr_validate(a, MNL_TYPE_U8))
				continue;
			v = mnl_attr_get_u8(a);
			if (t == IFLA_TUN_TYPE)
				l->tun_flags |= v & (IFF_TUN | IFF_TAP);
			else if (t == IFLA_TUN_PI && !v)
				l->tun_flags |= IFF_NO_PI;
			else if (t == IFLA_TUN_VNET_HDR && v)
				l->tun_flags |= IFF_VNET_HDR;
			else if (t == IFLA_TUN_PERSIST && v)
				l->tun_flags |= IFF_PERSIST;
			else if (t == IFLA_TUN_MULTI_QUEUE && v)
				l->tun_flags |= IFF_MULTI_QUEUE;
			break;
		}
		default:
			break;
		}
	}
}

/* The mode of a macvtap (IFLA_MACVLAN_MODE) or ipvtap (IFLA_IPVLAN_MODE). */
static void parse_lower_mode(const struct nlattr *data, struct vtap_link *l)
{
	bool macvlan = !strcmp(l->kind, "macvtap");
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, data)
	{
		unsigned int t = mnl_attr_get_type(a);

		if (macvlan && t == IFLA_MACVLAN_MODE &&
		    !mnl_attr_validate(a, MNL_TYPE_U32)) {
			l->lower_mode = mnl_attr_get_u32(a);
			l->has_lower_mode = true;
		} else if (!macvlan && t == IFLA_IPVLAN_MODE &&
			   !mnl_attr_validate(a, MNL_TYPE_U16)) {
			l->lower_mode = mnl_attr_get_u16(a);
			l->has_lower_mode = true;
		}
	}
}

static void parse_linkinfo(const struct nlattr *info, struct vtap_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, info)
	{
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    !mnl_attr_validate(a, MNL_TYPE_STRING))
			snprintf(l->kind, sizeof(l->kind), "%.*s",
				 (int)mnl_attr_get_payload_len(a),
				 mnl_attr_get_str(a));
	}
	l->is_tun = !strcmp(l->kind, "tun");
	mnl_attr_for_each_nested(a, info)
	{
		if (mnl_attr_get_type(a) != IFLA_INFO_DATA)
			continue;
		if (l->is_tun)
			parse_tun(a, l);
		else if (!strcmp(l->kind, "macvtap") ||
			 !strcmp(l->kind, "ipvtap"))
			parse_lower_mode(a, l);
	}
}

/*
 * The link's vtap token among its alternative names (IFLA_PROP_LIST):
 * VTAP_LINK_TOKEN_PREFIX and 16 lower-case hex digits, nothing else.
 */
static void parse_props(const struct nlattr *list, struct vtap_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, list)
	{
		if (mnl_attr_get_type(a) != IFLA_ALT_IFNAME ||
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			continue;
		if (vtap_link_token_valid(mnl_attr_get_str(a))) {
			snprintf(l->token, sizeof(l->token), "%s",
				 mnl_attr_get_str(a));
			return;
		}
	}
}

/* One RTM_NEWLINK message into @l. */
static int parse_link(const struct nlmsghdr *nlh, struct vtap_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->owner = -1;
	l->group = -1;
	l->num_queues = -1;
	l->num_disabled_queues = -1;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				snprintf(l->name, sizeof(l->name), "%s",
					 mnl_attr_get_str(a));
			break;
		case IFLA_MTU:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				l->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_TXQLEN:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				l->txqlen = mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == 6) {
				memcpy(l->mac, mnl_attr_get_payload(a), 6);
				l->has_mac = true;
			}
			break;
		case IFLA_CARRIER:
			if (!mnl_attr_validate(a, MNL_TYPE_U8))
				l->carrier = mnl_attr_get_u8(a);
			break;
		case IFLA_STATS64:
			if (mnl_attr_get_payload_len(a) >= sizeof(l->stats)) {
				memcpy(&l->stats, mnl_attr_get_payload(a),
				       sizeof(l->stats));
				l->has_stats = true;
			}
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(a, l);
			break;
		case IFLA_PROP_LIST:
			parse_props(a, l);
			break;
		case IFLA_LINK:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				l->link_ifindex = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_LINK_NETNSID:
			l->link_netns = true;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	parse_link(nlh, data);
	return MNL_CB_OK;
}

int vtap_link_get(int ifindex, const char *name, struct vtap_link *ret)
{
	char buf[NL_REQ_SIZE];
	struct vtap_link l = {.ifindex = 0};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	if (ifindex <= 0 && (!name || !*name || strlen(name) >= IFNAMSIZ))
		return -ENODEV;
	nlh = link_msg(buf, RTM_GETLINK, ifindex > 0 ? ifindex : 0, &ifi);
	if (ifindex <= 0)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	err = nl_talk_cb(nlh, get_cb, &l);
	if (err == -ENODEV || (!err && !l.ifindex))
		return -ENODEV;
	if (err)
		return err;
	*ret = l;
	return 0;
}

int vtap_link_type(const struct vtap_link *l)
{
	static const char *const kinds[] = {
		[VTAP_DEV_TYPE_TUN] = "tun",
		[VTAP_DEV_TYPE_MACVTAP] = "macvtap",
		[VTAP_DEV_TYPE_IPVTAP] = "ipvtap",
	};
	static_assert(ARRAY_SIZE(kinds) == VTAP_DEV_TYPE__COUNT,
		      "a kind per device type");

	for (unsigned int t = 0; t < ARRAY_SIZE(kinds); t++)
		if (!strcmp(l->kind, kinds[t]))
			return (int)t;
	return -EINVAL;
}

int vtap_link_tun_flags(const char *name, int *ret_ifindex)
{
	struct vtap_link l;
	int err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	err = vtap_link_get(0, name, &l);
	if (err)
		return err;
	if (!l.is_tun)
		return -EINVAL;
	if (ret_ifindex)
		*ret_ifindex = l.ifindex;
	return (int)l.tun_flags;
}

struct each_ctx {
	int (*fn)(const struct vtap_link *link, void *ctx);
	void *ctx;
	int ret;
};

static int each_cb(const struct nlmsghdr *nlh, void *data)
{
	struct each_ctx *e = data;
	struct vtap_link l;

	if (parse_link(nlh, &l))
		return MNL_CB_OK;
	e->ret = e->fn(&l, e->ctx);
	return e->ret ? MNL_CB_STOP : MNL_CB_OK;
}

int vtap_link_each(int (*fn)(const struct vtap_link *link, void *ctx),
		   void *ctx)
{
	char buf[NL_REQ_SIZE];
	struct each_ctx e = {.fn = fn, .ctx = ctx};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	nlh = link_msg(buf, RTM_GETLINK, 0, &ifi);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	err = nl_talk_cb(nlh, each_cb, &e);
	return e.ret ? e.ret : err;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)data)++;
	return MNL_CB_OK;
}

struct filter_find {
	uint32_t handle, prio;
	bool found;
};

static int find_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct filter_find *f = data;

	if (nlh->nlmsg_type == RTM_NEWTFILTER &&
	    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*tcm)) &&
	    tcm->tcm_handle == f->handle && tcm->tcm_info >> 16 == f->prio)
		f->found = true;
	return MNL_CB_OK;
}

/* A dump request for the tc filters of @ifindex under @parent, in @buf. */
static struct nlmsghdr *filter_dump(char *buf, int ifindex, uint32_t parent)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	return nlh;
}

bool vtap_nl_tc_filter_exists(int ifindex, uint32_t parent, uint32_t handle,
			      uint32_t prio)
{
	char buf[NL_REQ_SIZE];
	struct filter_find f = {.handle = handle, .prio = prio};

	return !nl_talk_cb(filter_dump(buf, ifindex, parent), find_cb, &f) &&
	       f.found;
}

int vtap_nl_tc_filters(int ifindex, uint32_t parent)
{
	char buf[NL_REQ_SIZE];
	int n = 0, err;

	err = nl_talk_cb(filter_dump(buf, ifindex, parent), count_cb, &n);
	return err ? err : n;
}

struct filter_list {
	struct vtap_nl_tc_filter *f;
	size_t n, cap;
	int err;
};

static int bpf_opt_cb(const struct nlattr *a, void *data)
{
	struct vtap_nl_tc_filter *f = data;

	switch (mnl_attr_get_type(a)) {
	case TCA_BPF_NAME:
		if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			snprintf(f->bpf_name, sizeof(f->bpf_name), "%s",
				 mnl_attr_get_str(a));
		break;
	case TCA_BPF_ID:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			f->bpf_id = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int filter_attr_cb(const struct nlattr *a, void *data)
{
	struct vtap_nl_tc_filter *f = data;

	switch (mnl_attr_get_type(a)) {
	case TCA_KIND:
		if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			snprintf(f->kind, sizeof(f->kind), "%s",
				 mnl_attr_get_str(a));
		break;
	case TCA_CHAIN:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			f->chain = mnl_attr_get_u32(a);
		break;
	case TCA_OPTIONS:
		/* Read once the kind is known: it comes first (tcf_fill_node). */
		if (!strcmp(f->kind, "bpf") &&
		    !mnl_attr_validate(a, MNL_TYPE_NESTED))
			mnl_attr_parse_nested(a, bpf_opt_cb, f);
		break;
	}
	return MNL_CB_OK;
}

int vtap_nl_tc_filter_parse(const struct nlmsghdr *nlh,
			    struct vtap_nl_tc_filter *ret)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWTFILTER ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->handle = tcm->tcm_handle;
	ret->prio = tcm->tcm_info >> 16;
	ret->protocol = ntohs((uint16_t)(tcm->tcm_info & 0xffff));
	if (mnl_attr_parse(nlh, sizeof(*tcm), filter_attr_cb, ret) < 0)
		return -EINVAL;
	return 0;
}

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct filter_list *l = data;
	struct vtap_nl_tc_filter f, *n;

	/*
	 * Handle 0: the header of a priority (tcf_chain_dump()); a u32 node
	 * 0 is a hash table (the "ht divisor" line of tc), not a filter.
	 */
	if (vtap_nl_tc_filter_parse(nlh, &f) || !f.handle ||
	    (!strcmp(f.kind, "u32") && !TC_U32_NODE(f.handle)))
		return MNL_CB_OK;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		n = reallocarray(l->f, l->cap, sizeof(*n));
		if (!n) {
			l->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		l->f = n;
	}
	l->f[l->n++] = f;
	return MNL_CB_OK;
}

int vtap_nl_tc_filter_list(int ifindex, uint32_t parent,
			   struct vtap_nl_tc_filter **ret)
{
	char buf[NL_REQ_SIZE];
	struct filter_list l = {0};
	int err;

	err = nl_talk_cb(filter_dump(buf, ifindex, parent), list_cb, &l);
	if (l.err)
		err = l.err;
	if (err) {
		free(l.f);
		return err;
	}
	*ret = l.f;
	return (int)l.n;
}

bool vtap_link_token_valid(const char *s)
{
	size_t n = strlen(VTAP_LINK_TOKEN_PREFIX);

	if (strncmp(s, VTAP_LINK_TOKEN_PREFIX, n) ||
	    strlen(s) != n + VTAP_LINK_TOKEN_HEX)
		return false;
	for (s += n; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* Add @token to link @ifindex as an alternative name (RTM_NEWLINKPROP). */
static int token_add(int ifindex, const char *token)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *list;

	nlh = link_msg(buf, RTM_NEWLINKPROP, ifindex, &ifi);
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	list = mnl_attr_nest_start(nlh, IFLA_PROP_LIST);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, token);
	mnl_attr_nest_end(nlh, list);
	return nl_talk(nlh);
}

int vtap_link_token(int ifindex, bool create, char *buf, size_t size)
{
	struct vtap_link l;
	uint8_t rnd[VTAP_LINK_TOKEN_HEX / 2];
	char token[VTAP_LINK_TOKEN_SIZE];
	int err, n;

	if (size < VTAP_LINK_TOKEN_SIZE)
		return -ENAMETOOLONG;
	err = vtap_link_get(ifindex, NULL, &l);
	if (err)
		return err;
	if (l.token[0] || !create) {
		if (!l.token[0])
			return -ENOENT;
		snprintf(buf, size, "%s", l.token);
		return 0;
	}
	/* A name of its own in the namespace: retry on the unlikely clash
	 * with another link's name. */
	for (int tries = 0; tries < 4; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -EIO;
		n = snprintf(token, sizeof(token), "%s",
			     VTAP_LINK_TOKEN_PREFIX);
		for (size_t i = 0; i < sizeof(rnd); i++)
			n += snprintf(token + n, sizeof(token) - (size_t)n,
				      "%02x", rnd[i]);
		err = token_add(ifindex, token);
		if (err != -EEXIST)
			break;
	}
	if (err)
		return err;
	/* Read back: two writers racing keep the one the kernel took. */
	err = vtap_link_get(ifindex, NULL, &l);
	if (err)
		return err;
	if (!l.token[0])
		return -ENOENT;
	snprintf(buf, size, "%s", l.token);
	return 0;
}

int vtap_netns_id(char *buf, size_t size)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	struct stat st;
	int sock, n;

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock >= 0 &&
	    !getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) &&
	    len == sizeof(cookie) && cookie) {
		close(sock);
		n = snprintf(buf, size, "c%llu", (unsigned long long)cookie);
	} else {
		if (sock >= 0)
			close(sock);
		if (stat("/proc/self/ns/net", &st))
			return -errno;
		n = snprintf(buf, size, "i%llu", (unsigned long long)st.st_ino);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int vtap_nl_link_get(int ifindex, struct vtap_nl_link_state *ret)
{
	struct vtap_link l;
	int err;

	err = vtap_link_get(ifindex, NULL, &l);
	if (err)
		return err;
	ret->mtu = l.mtu;
	ret->txqlen = l.txqlen;
	ret->tun_queues = l.num_queues;
	ret->tx_dropped = l.has_stats ? l.stats.tx_dropped : 0;
	ret->rx_dropped = l.has_stats ? l.stats.rx_dropped : 0;
	return 0;
}

int vtap_nl_tun_queues(int ifindex)
{
	struct vtap_link l;
	int err;

	err = vtap_link_get(ifindex, NULL, &l);
	if (err)
		return err;
	return l.num_queues >= 0 ? l.num_queues : -ENODATA;
}

int vtap_nl_link_set(int ifindex, const struct vtap_nl_link *set)
{
	char buf[NL_REQ_SIZE];
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
	char buf[NL_REQ_SIZE];
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
