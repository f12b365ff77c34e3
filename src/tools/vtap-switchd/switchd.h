/* SPDX-License-Identifier: MIT */
/*
 * switchd.h - vtap-switchd internals: the switch, its ports and workers
 */
#ifndef VTAP_SWITCHD_H
#define VTAP_SWITCHD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <vtap/vtap.h>

#include "config.h"
#include "fwd.h"
#include "mac.h"

/* Room in front of a frame for a VLAN tag push. */
#define SW_HEADROOM 64
/* The largest frame: 64 KiB GSO frame, Ethernet and a VLAN tag. */
#define SW_FRAME_MAX (65535 + 14 + 4)
/* Frames read from one queue before looking at the others. */
#define SW_BUDGET 64
/* Indirection table entries used to choose an egress queue. */
#define SW_TABLE_LEN 128

/*
 * Counters of one queue of a port. rx_* are written by the worker that
 * owns the queue; tx_* by whichever worker sends there (atomic adds).
 */
struct sw_qstats {
	_Atomic uint64_t rx_packets;
	_Atomic uint64_t rx_bytes;
	_Atomic uint64_t rx_gso;
	_Atomic uint64_t rx_drops;
	_Atomic uint64_t tx_packets;
	_Atomic uint64_t tx_bytes;
	_Atomic uint64_t tx_drops;
	_Atomic uint64_t hash_checked;
	_Atomic uint64_t hash_mismatch;
} __attribute__((aligned(64)));

/* Per-port counters of the forwarding decision (worker atomic adds). */
struct sw_pstats {
	_Atomic uint64_t flooded;
	_Atomic uint64_t unicast;
	_Atomic uint64_t filtered;
	_Atomic uint64_t bad;
	_Atomic uint64_t vlan_drops;
};

struct sw_port {
	int idx;
	char name[SW_IFNAMSIZ];
	struct sw_port_config cfg;
	uint16_t nq;
	int fds[SW_QUEUES_MAX];
	bool existed; /* the tap existed before: leave it behind */
	bool steered; /* vtap RSS steering attached: check hashes */
	int netns_fd; /* namespace the tap lives in, or -1 */
	uint16_t table[SW_TABLE_LEN];
	struct sw_qstats *qs;
	struct sw_pstats ps;
	_Atomic bool gone; /* the tap disappeared under us */
	void *lib; /* libvtap handles, when the port uses them */
};

struct sw_worker {
	struct sw *sw;
	unsigned int id;
	pthread_t thread;
	int epfd;
	int wake_fd;
	int cpu;
	_Atomic uint64_t seen_gen;
	uint8_t *buf;
};

struct sw {
	struct sw_config cfg;
	struct sw_mac_table *mac;
	struct vtap_rss *rss;
	unsigned int hdr_size;
	struct sw_port *_Atomic ports[SW_PORTS_MAX];
	struct sw_fwd_port fwdp[SW_PORTS_MAX];
	_Atomic uint64_t present;
	unsigned int n_workers;
	struct sw_worker *workers;
	_Atomic uint64_t gen;
	_Atomic bool stop;
	int gone_fd; /* eventfd: a worker saw a port disappear */
	bool quiet;
};

/* switchd.c */
int sw_init(struct sw *sw, const struct sw_config *cfg);
int sw_start(struct sw *sw);
void sw_stop(struct sw *sw);
void sw_fini(struct sw *sw);
int sw_port_add(struct sw *sw, const struct sw_port_config *pc, int netns_fd,
		char *err, size_t errlen);
int sw_port_del(struct sw *sw, const char *name, char *err, size_t errlen);
struct sw_port *sw_port_find(struct sw *sw, const char *name);
/* Drop the ports whose tap disappeared; return how many. */
int sw_reap_gone(struct sw *sw);
uint64_t sw_now_ms(void);

/* port.c: the taps under the ports */
int port_open(struct sw *sw, struct sw_port *p, int netns_fd, char *err,
	      size_t errlen);
void port_close(struct sw_port *p);
int port_netns_open(const char *name);
int nl_link_set(const char *ifname, int target_netns_fd, bool up);
int ns_enter(int nsfd, int *ret_saved);
void ns_leave(int saved);
int if_up(const char *ifname);
int if_addr4(const char *ifname, uint32_t addr_be, unsigned int prefix);

/* control.c */
int ctl_listen(struct sw *sw);
void ctl_handle(struct sw *sw, int lfd);

/* demo.c */
int demo_run(const char *argv0, unsigned int seconds, unsigned int queues,
	     unsigned int conns);

#endif /* VTAP_SWITCHD_H */
