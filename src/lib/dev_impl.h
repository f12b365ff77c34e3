/* SPDX-License-Identifier: MIT */
/*
 * dev_impl.h - internals of struct vtap_dev and struct vtap_queue, shared by
 * dev.c, queue.c, stats.c, nl.c and the modules that hook into a device
 * (steering, software offloads). Not installed.
 */
#ifndef VTAP_DEV_IMPL_H
#define VTAP_DEV_IMPL_H

#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"
#include "link.h"
#include "rundir.h"
#include "uring.h"

/* TUN_F_* bits that Debian 12's linux/if_tun.h may lack. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif
#ifndef TUN_F_UDP_TUNNEL_GSO
#define TUN_F_UDP_TUNNEL_GSO 0x080
#endif
#ifndef TUN_F_UDP_TUNNEL_GSO_CSUM
#define TUN_F_UDP_TUNNEL_GSO_CSUM 0x100
#endif

struct vtap_dev;

/*
 * The mapping from kernel queue index to stable queue id: qid[i] is the
 * queue at kernel index i, for i < n_attached. Only the handle's own
 * queues are listed; @base is the index of the first of them (queues other
 * processes had attached before this handle opened).
 */
struct vtap_dev_qmap {
	unsigned int base;
	unsigned int n_attached;
	uint16_t qid[VTAP_QUEUES_MAX];
};

enum vtap_dev_event {
	/* @qid is about to detach; @next is the mapping after the detach. A
	 * non-zero return aborts the detach (vtap_dev__detach_queue() returns
	 * it). */
	VTAP_DEV_EV_BEFORE_DETACH,
	/* @qid detached; @next is the mapping now. */
	VTAP_DEV_EV_AFTER_DETACH,
	/* @qid attached (or was added); @next is the mapping now. */
	VTAP_DEV_EV_AFTER_ATTACH,
	/* The handle closed every queue it had (vtap_dev__close()); @next
	 * has none. The hook is called no more, and the handle is freed on
	 * return: the steering module lets go of it. */
	VTAP_DEV_EV_CLOSED,
};

/*
 * Called by dev around every change of the queue mapping, from the thread
 * that changes it. The steering module registers one to rebuild its
 * indirection table so that it names only attached kernel indices.
 */
typedef int (*vtap_dev_queue_hook_fn)(struct vtap_dev *dev,
				      enum vtap_dev_event ev, unsigned int qid,
				      const struct vtap_dev_qmap *next,
				      void *ctx);

struct vtap_queue {
	struct vtap_dev *dev;
	int fd;
	uint16_t id;
	int16_t kidx; /* kernel index, -1 when detached */
	/* This queue's slot in the shared stats file (or private memory). */
	struct vtap_queue_stats *stats;
	/* Its guest ring errors in the same file (vtap_queue__ring_error()). */
	struct vtap_ring_errors *ring;
	/*
	 * Hash reporting (STEER and CONFIG modes): the queue's own copy of
	 * the configuration, made on the control path, rebuilt by the queue's
	 * thread when the source moved: @rep_seq is the device's report_seq
	 * and @rep_gen the steering map's generation it was built from.
	 */
	struct vtap_rss *rep_rss;
	uint32_t rep_seq;
	uint64_t rep_gen;
	bool rep_valid;
	bool rep_corrupt; /* the map at rep_seq/rep_gen failed validation */
	/* Software offloads on send: one segment with its vnet header; also
	 * where a coalesced frame is built (gro.c). */
	uint8_t *scratch;
	size_t scratch_len;
	/* Coalescing on send (vtap_queue__set_gro()): VTAP_GRO_* and the
	 * segment limit, stored by the control path, loaded per batch. */
	uint32_t gro_types;
	uint32_t gro_max_segs;
	/* Batched reads (vtap_queue__set_rx_uring()): the ring, made by the
	 * control path, used and then freed with the queue; @rx_uring says
	 * whether receive may use it, @rx_want is how many reads it issues
	 * next (grows while batches come back full), @rx_last the frames the
	 * last receive got (the ring is used after RX_URING_MIN or more). */
	struct vtap_uring *uring;
	bool rx_uring;
	unsigned int rx_want;
	unsigned int rx_last;
};

struct vtap_dev {
	char name[IFNAMSIZ];
	int ifindex;
	uint32_t type; /* enum vtap_dev_type */
	/* macvtap/ipvtap (dev_macvtap.c): the character device, opened with
	 * openat(@node_dir, @node_name) and checked to be @node_rdev. */
	int node_dir;
	char node_name[16];
	dev_t node_rdev;
	bool persist; /* a macvtap/ipvtap that stays when the handle closes */
	unsigned int iff; /* IFF_* used with TUNSETIFF */
	unsigned int hdr_len; /* vnet header size, 0 = none */
	bool created; /* this handle created the device */
	bool tool; /* VTAP_DEV_MATCH: a tool's queues, not counted (qdepth) */
	bool moved; /* the netdev left our namespace */
	unsigned int n_queues; /* ids 0..n_queues-1 */
	struct vtap_queue *queues; /* VTAP_QUEUES_MAX entries */
	struct vtap_dev_qmap map;

	uint32_t kernel_offloads; /* VTAP_OFFLOAD_* set on the device */
	uint32_t pinned_offloads;
	bool is_pinned;
	bool features_valid;
	struct vtap_dev_features features;

	/*
	 * Hash reporting. @report_mode is read by the queues with an acquire
	 * load at each batch; everything else they read is published before
	 * it. @report_seq is a sequence count (odd while the control path
	 * writes @report_cfg, @report_types, @report_key); queues compare it
	 * to their copy.
	 */
	uint32_t report_mode; /* enum vtap_report_mode */
	uint32_t report_seq;
	const struct vtap_rss *rss; /* VTAP_REPORT_RSS */
	const struct vtap_steer_cfg *report_cfg; /* VTAP_REPORT_STEER */
	const struct vtap_steer *report_steer;
	uint32_t report_types; /* VTAP_REPORT_CONFIG */
	uint32_t report_key_len;
	uint8_t report_key[VTAP_TOEPLITZ_KEY_MAX];
	/* The steering attached with vtap_steer__attach_dev(), or NULL. */
	struct vtap_steer *steer;

	/* Software offloads on send (vtap_dev__set_sw_offloads()). */
	uint32_t sw_forced;
	uint32_t sw_set; /* forced | pinned & ~kernel; atomic store */
	uint32_t sw_learned; /* GSO types the kernel refused; atomic OR */

	vtap_dev_queue_hook_fn hook;
	void *hook_ctx;

	/* Shared stats file (stats.c). */
	struct vtap_stats_file *stats_file;
	size_t stats_len;
	int stats_fd;
	int stats_dir_fd; /* RUN/NSID/IFINDEX/stats, or -1 */
	char stats_name[32]; /* stats.PID.N in it */
	char run_nsid[24]; /* where: RUN/@run_nsid/@run_ifindex ("" none) */
	int run_ifindex;
};

/*
 * Register the queue hook (one per device; NULL removes it). Returns 0, or
 * -EBUSY when another hook is registered.
 */
int vtap_dev_set_queue_hook(struct vtap_dev *dev, vtap_dev_queue_hook_fn fn,
			    void *ctx);

/* The current mapping (kernel index -> queue id). */
const struct vtap_dev_qmap *vtap_dev_qmap(const struct vtap_dev *dev);

/*
 * Hash reporting and steering: the steering module tells the device when
 * its state is attached (vtap_steer__attach_dev()) or goes away; reporting
 * from that state stops then.
 */
struct vtap_steer_cfg;
void vtap_dev_steer_attached(struct vtap_dev *dev, struct vtap_steer *steer);
void vtap_dev_steer_gone(struct vtap_dev *dev, const struct vtap_steer *steer);

/*
 * report.c. Bring a queue's copy of the reporting configuration up to
 * date (queue thread). Return: the vtap_rss to hash with, or NULL for no
 * reporting.
 */
const struct vtap_rss *vtap_queue_report_rss(struct vtap_queue *q);
/* Make a queue's copy (control path, before a mode that needs it). */
int vtap_report_queue_alloc(struct vtap_queue *q);
/* Steering state @steer went away: reporting from it stops. */
void vtap_report_steer_gone(struct vtap_dev *dev,
			    const struct vtap_steer *steer);

/* The software offload set in force (any thread). */
static inline uint32_t vtap_dev_sw_offloads(const struct vtap_dev *dev)
{
	return __atomic_load_n(&dev->sw_set, __ATOMIC_RELAXED) |
	       __atomic_load_n(&dev->sw_learned, __ATOMIC_RELAXED);
}

/*
 * queue.c: a GSO type was refused by the kernel's write path: do it in
 * software from now on.
 */
void vtap_queue_sw_learn(struct vtap_dev *dev, uint32_t offload);
/* Copy the offload and reporting state into the stats file header. */
void vtap_dev_publish(struct vtap_dev *dev);

/* TUN_F_* bits for VTAP_OFFLOAD_* bits, and back. */
unsigned int vtap_offloads_to_tun(uint32_t offloads);
uint32_t vtap_offloads_from_tun(unsigned int tun);

/*
 * dev_qdepth.c: apply the recorded queue depth after a change it depends
 * on (queues, offloads, MTU), and at open.
 */
void vtap_dev_qdepth_update(struct vtap_dev *dev);
void vtap_dev_qdepth_opened(struct vtap_dev *dev);

/*
 * The parts of vtap_dev__open() every device type shares (dev.c): a zeroed
 * handle named @name with the header size of @opts; after the type's
 * first queue (queues[0], map, n_queues set), the rest: stats file,
 * offloads, pinning, queues up to @queues, queue depth. On error the
 * caller undoes its own part and calls vtap_dev_free(). vtap_dev_record()
 * writes a persistent device's run state (the intended queue count, the
 * link token) and says why it could not; a device without it is undone.
 */
struct vtap_dev *vtap_dev_alloc(const char *name,
				const struct vtap_dev_opts *opts);
int vtap_dev_record(struct vtap_dev *dev, const struct vtap_dev_opts *opts,
		    unsigned int queues);
int vtap_dev_open_common(struct vtap_dev *dev, const struct vtap_dev_opts *opts,
			 unsigned int queues);
void vtap_dev_free(struct vtap_dev *dev);

/*
 * dev_macvtap.c. Open a macvtap/ipvtap (@existing: the link found under
 * @name, or NULL to create one). Open one more queue fd of @dev (attached;
 * header size set). Close what the handle holds of the device (and
 * delete a device it created without VTAP_DEV_PERSIST). Fill the
 * type-specific fields of @info.
 */
struct vtap_dev *vtap_macvtap_open(const char *name,
				   const struct vtap_dev_opts *opts,
				   const struct vtap_link *existing);
int vtap_macvtap_queue_fd(struct vtap_dev *dev);
void vtap_macvtap_close(struct vtap_dev *dev);
void vtap_macvtap_info(const struct vtap_link *l, struct vtap_dev_info *info);
/*
 * The offloads of macvtap @ifindex as vtap last set them (recorded in its
 * run directory), else the kernel's default; record @dev's.
 */
uint32_t vtap_macvtap_offloads(int ifindex);
void vtap_macvtap_offloads_record(const struct vtap_dev *dev);

/* stats.c: the per-handle shared stats file. */
int vtap_stats_open(struct vtap_dev *dev);
/*
 * The libvtap handles that have link @ifindex open now (their stats files
 * are locked), any process. Return: a count, or -errno.
 */
int vtap_stats_live_handles(int ifindex);
void vtap_stats_close(struct vtap_dev *dev);
/* Copy the offload and reporting state into the file's header. */
void vtap_stats_publish(struct vtap_dev *dev);
/*
 * The link moved to network namespace @netns_fd (or that of @pid): move
 * the handle's stats file to the link's run directory there, so readers
 * in that namespace find it. Best effort.
 */
void vtap_stats_follow(struct vtap_dev *dev, int netns_fd, int pid);
/*
 * A stats file as read (@n bytes at @buf, 8-byte aligned; it may come
 * from the tap's owner): its header when every size in it fits @n, else
 * NULL. vtap_stats_file_sum() adds the counters of a checked file to
 * @ret (@max entries) and returns its queue count.
 */
const struct vtap_stats_file *vtap_stats_file_check(const void *buf, size_t n);
int vtap_stats_file_sum(const struct vtap_stats_file *h,
			struct vtap_queue_stats *ret, unsigned int max);
/*
 * The ring errors of a checked file of @n bytes when it has them wholly
 * inside (n_slots entries), else NULL. vtap_stats_file_rings_sum() adds
 * them to @ret (@max entries) like vtap_stats_file_sum().
 */
const struct vtap_ring_errors *
vtap_stats_file_rings(const struct vtap_stats_file *h, size_t n);
int vtap_stats_file_rings_sum(const struct vtap_stats_file *h, size_t n,
			      struct vtap_ring_errors *ret, unsigned int max);
/* Point @q->stats (and @q->ring) at its slots. */
void vtap_stats_bind(struct vtap_dev *dev, struct vtap_queue *q);

/*
 * Counter updates from the queue's own thread: one writer per counter, so
 * a relaxed load and store suffice; readers elsewhere load relaxed.
 */
static inline void vtap_stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/* For the software offloads, run on the queue's thread. */
static inline void vtap_queue_count_sw(struct vtap_queue *q, uint64_t csum,
				       uint64_t gso_frames,
				       uint64_t gso_segments)
{
	if (csum)
		vtap_stat_add(&q->stats->sw_csum, csum);
	if (gso_frames)
		vtap_stat_add(&q->stats->sw_gso_frames, gso_frames);
	if (gso_segments)
		vtap_stat_add(&q->stats->sw_gso_segments, gso_segments);
}

#endif /* VTAP_DEV_IMPL_H */
