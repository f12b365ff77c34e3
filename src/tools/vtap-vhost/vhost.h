/* SPDX-License-Identifier: MIT */
/*
 * vhost.h - vtap-vhost: a vhost-user virtio-net device over a vtap tap
 *
 * One process serves one guest NIC: queue pair i of the guest is tap
 * queue i (receive virtqueue 2i, transmit 2i + 1). The main thread serves
 * the vhost-user socket; one worker thread per queue pair runs an epoll
 * loop over the pair's kick eventfds and its tap queue (worker.c). Before
 * the main thread changes anything the data path reads (memory table,
 * rings, features, the hash configuration, queue attachment) it parks
 * every worker and lets them go again afterwards, so a worker never sees
 * a half-changed state.
 */
#ifndef VTAP_VHOST_VHOST_H
#define VTAP_VHOST_VHOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vtap/vtap.h"
#include "vring.h"
#include "vu_msg.h"

#define VH_PAIRS_MAX 64
/* Frames moved per pair and direction before other work gets a turn. */
#define VH_BATCH 64
/* The tap's header: always the 20-byte layout; the guest's is translated. */
#define VH_TAP_HDR VTAP_VNET_HDR_HASH_LEN
/* Coalescing on transmit: frames held per pair, and the largest held (a
 * 9000-byte MTU frame with a VLAN tag); larger or GSO frames go alone. */
#define VH_GRO_BATCH VH_BATCH
#define VH_GRO_FRAME (9000 + 18)
#define VH_GRO_STRIDE (VH_TAP_HDR + VH_GRO_FRAME)
/* Bytes copied to check or hash a frame whose headers span buffers. */
#define VH_PREFIX 512

/* Virtio feature bits (virtio spec 5.1.3, 6). */
#define VH_F(bit) (1ull << (bit))
enum {
	VIRTIO_NET_F_CSUM_ = 0,
	VIRTIO_NET_F_GUEST_CSUM_ = 1,
	VIRTIO_NET_F_GUEST_TSO4_ = 7,
	VIRTIO_NET_F_GUEST_TSO6_ = 8,
	VIRTIO_NET_F_GUEST_ECN_ = 9,
	VIRTIO_NET_F_HOST_TSO4_ = 11,
	VIRTIO_NET_F_HOST_TSO6_ = 12,
	VIRTIO_NET_F_HOST_ECN_ = 13,
	VIRTIO_NET_F_MRG_RXBUF_ = 15,
	VIRTIO_NET_F_STATUS_ = 16,
	VIRTIO_NET_F_CTRL_VQ_ = 17,
	VIRTIO_NET_F_MQ_ = 22,
	VIRTIO_RING_F_INDIRECT_DESC_ = 28,
	VIRTIO_RING_F_EVENT_IDX_ = 29,
	VIRTIO_F_VERSION_1_ = 32,
	VIRTIO_NET_F_GUEST_USO4_ = 54,
	VIRTIO_NET_F_GUEST_USO6_ = 55,
	VIRTIO_NET_F_HOST_USO_ = 56,
	VIRTIO_NET_F_HASH_REPORT_ = 57,
};

/* Per-queue errors and events the daemon counts besides libvtap's. */
struct vh_vq_counters {
	uint64_t ring_errors[VRING_ERR__COUNT];
	uint64_t kicks;
	uint64_t calls;
};

struct vh_vq {
	unsigned int index;
	unsigned int num;
	struct vu_vring_addr addr;
	bool addr_set;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t last_used;
	uint16_t signalled_used;
	bool signalled_valid;
	int kick_fd;
	int call_fd;
	int err_fd;
	bool kick_set; /* SET_VRING_KICK seen (fd or polling) */
	bool started; /* rings translated and kick set */
	bool enabled; /* SET_VRING_ENABLE (or started, without protocol
		       * features) */
	bool broken; /* stopped by a hostile or broken ring */
	struct vh_vq_counters cnt;
};

/* Walked receive chains not yet used (mergeable buffers span several). */
struct vh_rx_pool {
	unsigned int start; /* first unused chain record */
	unsigned int count; /* chain records from start */
	unsigned int iov_end; /* iovecs in use: iov[rec[start].iov0 ..) */
	uint64_t bytes; /* their total length */
	struct {
		uint16_t head;
		uint32_t len;
		unsigned int iov0;
		unsigned int n_iov;
	} rec[VRING_NUM_MAX];
	struct iovec iov[2 * VRING_IOV_MAX + 2];
};

struct vh_pair {
	unsigned int id;
	struct vh_vq rx; /* virtqueue 2 * id */
	struct vh_vq tx; /* virtqueue 2 * id + 1 */
	struct vtap_queue *q;
	int tap_fd;
	bool attached;
	bool tap_armed; /* tap fd in epoll with EPOLLIN */
	struct vh_rx_pool *pool;
	uint8_t *bounce; /* slow path: software offloads (VH_TAP_HDR + frame) */
	/* Coalescing on transmit (NULL: off): VH_GRO_BATCH slots of
	 * VH_GRO_STRIDE bytes, the frames held in them, their count. */
	uint8_t *gro_buf;
	struct vtap_frame gro_f[VH_GRO_BATCH];
	unsigned int gro_n;
	struct iovec tx_iov[VRING_IOV_MAX + 1];
	struct iovec rx_iov[VRING_IOV_MAX + 1];
	bool tx_more; /* a batch ended with buffers left */
	bool rx_more;
	int epfd; /* the epoll of the worker that runs this pair */
	bool poll_hot; /* polling found work last round: poll again now */
	bool failed; /* a ring failed: the main thread updates the pair */
};

struct vh_worker {
	pthread_t th;
	bool running;
	int epfd;
	int wake_fd; /* eventfd: park, or stop */
	unsigned int id; /* = the queue pair it runs */
	struct vh_dev *d;
};

struct vh_opts {
	const char *socket;
	bool client;
	const char *tap;
	bool create;
	unsigned int queues;
	const char *netns;
	uint32_t offloads; /* VTAP_OFFLOAD_* the operator allows */
	bool hash_report;
	bool has_owner;
	uint32_t owner;
	bool allow_polling; /* rings without a kick eventfd (polled) */
	bool no_coalesce; /* --coalesce off: every guest frame written alone */
	/* --pin / --cpus: worker i runs on cpus[i % n_cpus] (n_cpus 0: free) */
	unsigned int n_cpus;
	unsigned int cpus[VH_PAIRS_MAX];
};

struct vh_dev {
	struct vh_opts o;
	struct vtap_dev *dev;
	struct vtap_steer *steer;
	uint32_t kernel_offloads; /* what TUNSETOFFLOAD accepts here */
	unsigned int mtu;
	/* Hash reporting: a copy of the steering program's RSS config. */
	struct vtap_rss *rss;
	struct vtap_steer_rss rss_src;
	bool rss_valid;

	int epfd;
	int listen_fd;
	int conn_fd;
	int timer_fd;

	uint64_t offered;
	uint64_t features;
	bool features_set;
	uint64_t proto_offered;
	uint64_t proto;
	bool proto_set; /* SET_PROTOCOL_FEATURES seen */
	unsigned int guest_hdr; /* 10, 12 or 20 */

	struct vu_memtab mem;
	struct {
		void *base;
		size_t len;
	} maps[VU_MEM_REGIONS_MAX];

	unsigned int npairs;
	struct vh_pair pair[VH_PAIRS_MAX];
	volatile int stop;

	/* Workers (worker.c) and the handshake that parks them. */
	unsigned int nworkers;
	struct vh_worker worker[VH_PAIRS_MAX];
	pthread_mutex_t lk;
	pthread_cond_t parked_cv;
	pthread_cond_t resume_cv;
	int pause; /* the main thread wants every worker parked */
	unsigned int parked;
	unsigned int pause_depth; /* main thread only */
	bool workers_stop;
	int fail_fd; /* eventfd: a worker stopped a ring */
};

/* Epoll tags: the kind in the high half, an index in the low one. */
enum vh_ev {
	VH_EV_LISTEN = 1,
	VH_EV_CONN,
	VH_EV_KICK,
	VH_EV_TAP,
	VH_EV_TIMER,
	VH_EV_WAKE,
	VH_EV_FAIL,
};
#define VH_EV(kind, idx) ((uint64_t)(kind) << 32 | (uint32_t)(idx))

/* main.c */
__attribute__((format(printf, 1, 2))) void vh_log(const char *fmt, ...);

/* vhost.c: the protocol */
int vh_handle_message(struct vh_dev *d);
void vh_reset(struct vh_dev *d);
uint64_t vh_offered_features(struct vh_dev *d);
struct vh_vq *vh_vq(struct vh_dev *d, unsigned int index);

/* worker.c: one thread per queue pair */
int vh_workers_init(struct vh_dev *d);
int vh_workers_start(struct vh_dev *d);
void vh_workers_stop(struct vh_dev *d);
void vh_pause(struct vh_dev *d);
void vh_resume(struct vh_dev *d);
void vh_update_failed(struct vh_dev *d);

/* net.c: the data path */
void vh_net_tx(struct vh_dev *d, struct vh_pair *p);
void vh_net_rx(struct vh_dev *d, struct vh_pair *p);
void vh_net_kick(struct vh_dev *d, unsigned int vq_index);
void vh_net_update_pair(struct vh_dev *d, struct vh_pair *p);
void vh_net_refresh_rss(struct vh_dev *d);
void vh_vq_fail(struct vh_dev *d, struct vh_vq *vq, enum vring_error err);
bool vh_vq_ready(const struct vh_vq *vq);

#endif /* VTAP_VHOST_VHOST_H */
