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
#define SW_FRAME_MAX VTAP_FRAME_MAX
/* The virtio-net header on every port: 20 bytes, so libvtap reports the
 * hash in it (virtio_net_hdr_v1_hash). */
#define SW_HDR_LEN VTAP_VNET_HDR_HASH_LEN
/* Frames received from one queue in one vtap_queue__recv() call. */
#define SW_BATCH 32
/* Egress (port, queue) pairs a worker collects frames for before sending. */
#define SW_OUTS 16
/* Indirection table entries used to choose an egress queue. */
#define SW_TABLE_LEN VTAP_RSS_TABLE_MAX

/*
 * The RSS key of every port: 0x6d5a repeated. With a key whose bits repeat
 * every 16, swapping source and destination (addresses and ports) moves
 * each input bit by a multiple of 16, so the Toeplitz hash of a packet and
 * of its reply are equal: both directions of a connection take the same
 * queue index, and so the same worker (Woo and Park, "Scalable TCP Session
 * Monitoring with Symmetric Receive-side Scaling", 2012).
 */
extern const uint8_t sw_rss_key[VTAP_RSS_KEY_LEN];

/* Where a port's frames get their hash (struct sw_port @hash_src). */
enum sw_hash_src {
	SW_HASH_STEER = 0, /* libvtap reports it from the steering map */
	SW_HASH_CONFIG, /* libvtap reports it from types and key alone */
	SW_HASH_RSS, /* libvtap reports it from the switch's vtap_rss */
	SW_HASH_SOFT, /* the switch computes it (fallback) */
	SW_HASH__COUNT,
};

/*
 * The switch's own counters of one queue of a port, next to the library's
 * (vtap_queue__stats()). Written only by the worker that owns the queue's
 * receive side, read by the control socket.
 */
struct sw_qstats {
	_Atomic uint64_t hash_checked;
	_Atomic uint64_t hash_mismatch;
	_Atomic uint64_t rx_bad; /* short frames, VLAN not allowed */
	_Atomic uint64_t
		tx_full; /* dropped after the kernel queue stayed full */
} __attribute__((aligned(64)));

/* A queue's send lock, taken only when the port is @shared. */
struct sw_qlock {
	pthread_mutex_t mu;
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
	struct vtap_dev *dev;
	struct vtap_steer *steer; /* vtap RSS steering, or NULL */
	struct vtap_queue *q[SW_QUEUES_MAX];
	int16_t kidx[SW_QUEUES_MAX]; /* kernel index of each queue id */
	bool existed; /* the tap existed before: leave it behind */
	bool steered; /* vtap RSS steering attached: check hashes */
	uint8_t hash_src; /* enum sw_hash_src */
	int netns_fd; /* namespace the tap lives in, or -1 */
	/* The steering table in effect, as kernel indices (the hash check)
	 * and as queue ids (the egress choice), SW_TABLE_LEN entries. */
	uint16_t ktable[SW_TABLE_LEN];
	uint16_t table[SW_TABLE_LEN];
	/* Queue ids frames are expected on, per table entry: @table when
	 * steered, all 0 with one queue; NULL-like (@any_queue) otherwise. */
	bool any_queue;
	/* Some worker other than a queue's owner may send to it: every send
	 * takes the queue's lock (see the theory of operation). */
	_Atomic bool shared;
	struct sw_qstats *qs;
	struct sw_qlock *locks;
	struct sw_pstats ps;
	_Atomic bool gone; /* the tap disappeared under us */
};

/* Frames a worker collected for one egress queue. */
struct sw_out {
	struct sw_port *port;
	unsigned int qid;
	unsigned int n;
	struct vtap_frame f[SW_BATCH];
};

struct sw_worker {
	struct sw *sw;
	unsigned int id;
	pthread_t thread;
	int epfd;
	int wake_fd;
	int cpu;
	_Atomic uint64_t seen_gen;
	/* epoll_wait() calls that could sleep, and zero-timeout polls */
	_Atomic uint64_t sleeps, busy_polls;
	uint8_t *bufs[SW_BATCH];
	struct vtap_frame rx[SW_BATCH];
	unsigned int n_outs;
	struct sw_out outs[SW_OUTS];
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
	_Atomic uint32_t busy_poll_us; /* cfg.busy_poll_us, live on reload */
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
/*
 * Apply a new configuration to a running switch (SIGHUP): ports of the old
 * configuration missing from @next are deleted, ports whose configuration
 * changed are deleted and added again, new ports are added; every other
 * port, and ports added over the control socket, keep running untouched.
 * The aging time and busy_poll follow @next; workers, control socket and CPU pinning
 * need a restart (a message says so). Errors are printed, one line each.
 * Return: the number of ports that failed to come up (0 = all of @next).
 */
int sw_reload(struct sw *sw, const struct sw_config *next);
/* Drop the ports whose tap disappeared; return how many. */
int sw_reap_gone(struct sw *sw);
uint64_t sw_now_ms(void);

/* port.c: the taps under the ports */
int port_open(struct sw *sw, struct sw_port *p, int netns_fd, char *err,
	      size_t errlen);
void port_close(struct sw_port *p);
const char *port_hash_src_name(uint8_t src);
int port_netns_open(const char *name);
int ns_enter(int nsfd, int *ret_saved);
void ns_leave(int saved);
int if_up(const char *ifname);
int if_addr4(const char *ifname, uint32_t addr_be, unsigned int prefix);

/* control.c: ctl_listen() returns an fd for the main loop's epoll set;
 * ctl_handle() serves what is ready on it without blocking; ctl_close()
 * closes it and removes the socket if it is still the one made. */
int ctl_listen(struct sw *sw);
void ctl_handle(struct sw *sw, int cfd);
void ctl_close(struct sw *sw, int cfd);

/* demo.c */
int demo_run(const char *argv0, unsigned int seconds, unsigned int queues,
	     unsigned int conns);

#endif /* VTAP_SWITCHD_H */
