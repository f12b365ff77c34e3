/* SPDX-License-Identifier: MIT */
/*
 * link.h - what the kernel says about a link, from rtnetlink in the
 * caller's network namespace (link.c). Not installed.
 *
 * Everything libvtap and its tools know about a tap's kernel state comes
 * from vtap_link_get(): never from /sys/class/net, which shows the network
 * namespace sysfs was mounted in (not the caller's after a bare setns(), as
 * `nsenter --net` and container runtimes do).
 */
#ifndef VTAP_LINK_H
#define VTAP_LINK_H

#include <linux/if_link.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * struct vtap_link - one RTM_GETLINK answer
 * @ifindex, @name: the link in the caller's namespace
 * @is_tun: IFLA_INFO_KIND is "tun" (a tun or tap device)
 * @tun_flags: IFF_TUN or IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE,
 *	IFF_PERSIST, as TUNGETIFF would give them (from IFLA_TUN_*)
 * @owner, @group: IFLA_TUN_OWNER / _GROUP, -1 when unset
 * @num_queues: attached queues (IFLA_TUN_NUM_QUEUES), -1 when not told
 * @num_disabled_queues: detached queues still open, -1 when not told
 * @mtu, @txqlen, @mac (when @has_mac), @flags (IFF_UP, ...), @carrier
 * @stats: IFLA_STATS64 (when @has_stats). For a tap, tx is what the
 *	kernel handed to the queues' readers (the VMM), rx what they wrote.
 * @kind: IFLA_INFO_KIND ("tun", "macvtap", "ipvtap", "veth", ...), "" none
 * @token: the link's vtap token (an alternative name, see below), or ""
 * @link_ifindex: IFLA_LINK, the lower device (macvtap, ipvtap, veth peer)
 * @link_netns: IFLA_LINK_NETNSID came along: @link_ifindex is an index of
 *	another network namespace
 * @lower_mode: IFLA_MACVLAN_MODE / IFLA_IPVLAN_MODE (when @has_lower_mode)
 */
struct vtap_link {
	int ifindex;
	char name[IFNAMSIZ];
	bool is_tun;
	uint32_t tun_flags;
	int64_t owner;
	int64_t group;
	int num_queues;
	int num_disabled_queues;
	unsigned int mtu;
	unsigned int txqlen;
	bool has_mac;
	uint8_t mac[6];
	unsigned int flags;
	bool carrier;
	bool has_stats;
	struct rtnl_link_stats64 stats;
	char kind[16];
	char token[24];
	int link_ifindex;
	bool link_netns;
	bool has_lower_mode;
	uint32_t lower_mode;
};

/*
 * The link token: what binds vtap's state to one link instance
 * (docs/steering.md, "Where the state lives"). (network namespace,
 * ifindex) names a link, but a link moved into the namespace can take an
 * ifindex a deleted one had; so vtap gives each link it keeps state for an
 * alternative name "vtap-" and 16 random hex digits (IFLA_ALT_IFNAME: it
 * moves with the link between namespaces, goes with it on delete, only
 * CAP_NET_ADMIN can set it, and no other tool uses it) and records it with
 * the state; state whose token is not the link's is stale.
 */
#define VTAP_LINK_TOKEN_PREFIX "vtap-"
#define VTAP_LINK_TOKEN_HEX 16
#define VTAP_LINK_TOKEN_SIZE 24

/* Whether @s is a well-formed token (prefix, 16 lower-case hex digits). */
bool vtap_link_token_valid(const char *s);

/*
 * The token of link @ifindex of the caller's namespace into @buf (at
 * least VTAP_LINK_TOKEN_SIZE bytes); with @create give the link one when it
 * has none (needs CAP_NET_ADMIN). Return: 0, -ENOENT (no token and not
 * @create), -ENODEV, or another -errno.
 */
int vtap_link_token(int ifindex, bool create, char *buf, size_t size);

/*
 * The link @ifindex (when > 0), else the link named @name, in the caller's
 * network namespace. Return: 0, -ENODEV, or another -errno.
 */
int vtap_link_get(int ifindex, const char *name, struct vtap_link *ret);

/*
 * The device type (VTAP_DEV_TYPE_*: tun/tap, macvtap, ipvtap) of link @l,
 * or -EINVAL for a kind vtap does not handle (veth, bridge, ...).
 */
int vtap_link_type(const struct vtap_link *l);

/*
 * The IFF_* flags of tun/tap @name in the caller's namespace (rtnetlink),
 * its ifindex in *@ret_ifindex when not NULL. Return: the flags, -ENODEV,
 * or -EINVAL for a link that is not tun/tap.
 */
int vtap_link_tun_flags(const char *name, int *ret_ifindex);

/*
 * Call @fn for each link of the caller's namespace (one dump); a non-zero
 * return of @fn stops the walk and is returned. Return: 0 or -errno.
 */
int vtap_link_each(int (*fn)(const struct vtap_link *link, void *ctx),
		   void *ctx);

/*
 * The identity of the caller's network namespace, stable for its whole
 * life and never reused: "c" and its cookie (SO_NETNS_COOKIE), or on
 * kernels without it "i" and the inode of /proc/self/ns/net.
 * Return: 0 or -errno.
 */
int vtap_netns_id(char *buf, size_t size);

/*
 * The tc filters of link @ifindex under qdisc class @parent (e.g. clsact's
 * ingress, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)). Return: their
 * number, or -errno (-EINVAL when there is no such qdisc).
 */
int vtap_nl_tc_filters(int ifindex, uint32_t parent);
/* Whether link @ifindex has a filter of @handle and priority @prio there. */
bool vtap_nl_tc_filter_exists(int ifindex, uint32_t parent, uint32_t handle,
			      uint32_t prio);

/* One tc filter of a dump, in the order the kernel runs them. */
struct vtap_nl_tc_filter {
	uint32_t prio;
	uint32_t handle;
	uint32_t chain;
	uint16_t protocol; /* ETH_P_*, host order */
	char kind[16]; /* TCA_KIND */
	char bpf_name[128]; /* TCA_BPF_NAME, "" when not told */
	uint32_t bpf_id; /* TCA_BPF_ID, 0 when not told */
};

/*
 * The tc filters of link @ifindex under @parent, without the per-priority
 * header entries (handle 0), in dump order: by priority, and within one
 * the order they run. *@ret is an array the caller frees (NULL when none).
 * Return: their number, or -errno (-EINVAL when there is no such qdisc).
 */
int vtap_nl_tc_filter_list(int ifindex, uint32_t parent,
			   struct vtap_nl_tc_filter **ret);
/* Parse one RTM_NEWTFILTER message. Return: 0 or -EINVAL. */
struct nlmsghdr;
int vtap_nl_tc_filter_parse(const struct nlmsghdr *nlh,
			    struct vtap_nl_tc_filter *ret);

/*
 * Send one rtnetlink request @nlh (NLM_F_ACK is added) on a fresh socket
 * in the caller's namespace. Return: 0 or the kernel's -errno.
 */
int vtap_nl_request(struct nlmsghdr *nlh);

/* Link changes and offloads (unchanged from nl.c). */
struct vtap_nl_link {
	int up; /* -1 keep, 0 down, 1 up */
	unsigned int mtu; /* 0 keep */
	const uint8_t *mac; /* NULL keep */
	int netns_fd; /* -1 keep */
	int netns_pid; /* 0 keep (used when netns_fd is -1) */
	unsigned int txqlen; /* 0 keep */
};
int vtap_nl_link_set(int ifindex, const struct vtap_nl_link *set);
int vtap_nl_link_del(int ifindex);
/* Queues attached to a tun/tap now (IFLA_TUN_NUM_QUEUES), or -errno. */
int vtap_nl_tun_queues(int ifindex);
/* What the queue depth module needs of vtap_link_get(). */
struct vtap_nl_link_state {
	unsigned int mtu;
	unsigned int txqlen;
	int tun_queues; /* IFLA_TUN_NUM_QUEUES, -1 when absent */
	uint64_t tx_dropped; /* IFLA_STATS64 */
	uint64_t rx_dropped; /* IFLA_STATS64 */
};
int vtap_nl_link_get(int ifindex, struct vtap_nl_link_state *ret);
/* Active offloads (VTAP_OFFLOAD_*) from the ethtool feature bits. */
int vtap_nl_offloads(const char *name, uint32_t *ret);

#endif /* VTAP_LINK_H */
