// SPDX-License-Identifier: MIT
/*
 * queue.c - per-queue batched receive and send of frames with vnet headers
 *
 * Theory of operation
 *
 * A queue is one non-blocking tun fd. Receive reads one frame per read()
 * into the caller's buffers until the kernel queue is empty (EAGAIN) or
 * the batch is full; send writes one frame per write() until the batch is
 * done or the kernel pushes back (EAGAIN). tun has no batched read or
 * write for user space (its batching interface, TUN_MSG_PTR, is for vhost
 * only), so batching here saves the caller's per-call overhead and keeps
 * the counter updates on one cache line per batch; it never allocates.
 *
 * Every frame sent is validated first with vtap_vnet__check_frame(): a
 * header the kernel would refuse (EINVAL) or a GSO frame it would drop
 * silently later is never written; it is counted under its drop reason.
 * So for every frame handed to send, tx_packets grows (by its segment
 * count when segmented in software) or tx_drops[reason] grows by one, or
 * both when EAGAIN cut a software-segmented frame short (or the frame is
 * left unconsumed on EAGAIN).
 *
 * On receive, the kernel wrote the header, so only cheap sanity checks run
 * (GSO type known, gso_size set for GSO, checksum field inside the frame).
 * How much of a header longer than 10 bytes the kernel writes depends on
 * its age: tun before 2025 (6.1 among them) copies the 10-byte
 * virtio_net_hdr and skips the rest of the header size, leaving the
 * caller's bytes as they were; later kernels zero the rest, or with UDP
 * tunnel offloads on write the 24-byte tunnel header. So every receive
 * zeroes what the kernel may have left (from byte 10, or 24 with tunnel
 * offloads), and the caller always gets a whole header. With hash
 * reporting on and a 20-byte header, hash_value, hash_report and padding
 * are then filled in place from vtap_rss__hash() over the frame just read.
 *
 * Hash reporting configuration: see report.c.
 *
 * Software offloads on send. A frame that passed the checks is planned
 * with vtap_offload__plan() against everything except the device's
 * software set (vtap_dev__set_sw_offloads()): PASS writes the caller's
 * buffer as it is; SEGMENT and CSUM run vtap_gso__*, which writes each
 * segment (or the checksummed copy) into the queue's scratch buffer after
 * a zeroed vnet header, and each is written with one write(). A PASS
 * write the kernel refuses with EINVAL although the frame passed every
 * check means the kernel's write path lacks that GSO type: the type joins
 * the software set and the frame goes the software way.
 *
 * Counters: the thread that runs the queue is their only writer (see
 * stats.c). A detached queue's fd still reads and writes in the kernel
 * (it is only out of the steering), so recv and send refuse it (-ENXIO):
 * nothing is read from or written to a detached queue.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dev_impl.h"
#include "gro.h"

unsigned int vtap_queue__id(const struct vtap_queue *q)
{
	return q->id;
}

int vtap_queue__kernel_index(const struct vtap_queue *q)
{
	return q->kidx;
}

int vtap_queue__fd(const struct vtap_queue *q)
{
	return q->fd;
}

void vtap_queue_sw_learn(struct vtap_dev *dev, uint32_t offload)
{
	uint32_t old =
		__atomic_fetch_or(&dev->sw_learned, offload, __ATOMIC_RELAXED);

	if (!(old & offload)) {
		pr_info("%s: the kernel refused a %s frame: segmenting such "
			"frames in software from now on\n",
			dev->name, vtap_offload__name(offload) ?: "GSO");
		if (dev->stats_file)
			__atomic_fetch_or(&dev->stats_file->sw_offloads,
					  offload, __ATOMIC_RELAXED);
	}
}

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Why a received header is unusable, or -1 when it is fine. */
static int rx_check(const uint8_t *hdr, size_t flen)
{
	uint8_t flags = hdr[0], type = hdr[1] & ~VTAP_VNET_GSO_ECN;
	uint16_t gso_size = le16(hdr + 4);

	if (type != VTAP_VNET_GSO_NONE && type != VTAP_VNET_GSO_TCPV4 &&
	    type != VTAP_VNET_GSO_TCPV6 && type != VTAP_VNET_GSO_UDP &&
	    type != VTAP_VNET_GSO_UDP_L4)
		return VTAP_DROP_GSO_TYPE;
	if (type != VTAP_VNET_GSO_NONE && !gso_size)
		return VTAP_DROP_GSO_SIZE;
	if ((flags & VTAP_VNET_F_NEEDS_CSUM) &&
	    (size_t)le16(hdr + 6) + le16(hdr + 8) + 2 > flen)
		return VTAP_DROP_CSUM;
	return -1;
}

static void rx_drop(struct vtap_queue *q, int reason)
{
	vtap_stat_add(&q->stats->rx_drops[reason], 1);
}

static int err_reason(int err)
{
	switch (err) {
	case EFAULT:
	case EMSGSIZE:
		return VTAP_DROP_TOO_BIG;
	case EINVAL:
		return VTAP_DROP_HEADERS;
	default:
		return VTAP_DROP_IO;
	}
}

/*
 * How many bytes of the vnet header every kernel writes on receive: the
 * 10-byte virtio_net_hdr, or the 24-byte tunnel header when UDP tunnel
 * offloads are on (only kernels that write it can have them on). See the
 * theory of operation for the rest.
 */
static unsigned int rx_kernel_hdr_len(const struct vtap_dev *dev)
{
	if (dev->kernel_offloads &
	    (VTAP_OFFLOAD_UDP_TUNNEL | VTAP_OFFLOAD_UDP_TUNNEL_CSUM))
		return VTAP_VNET_HDR_TUNNEL_LEN;
	return VTAP_VNET_HDR_LEN;
}

/* Frames the last receive got for the next to use io_uring. */
#define RX_URING_MIN 4

/* What receive needs for every frame of one call. */
struct rx_ctx {
	unsigned int hdr_len, kern_len, pflags;
	const struct vtap_rss *rss;
	uint64_t bytes, gso;
	unsigned int got, errs;
};

/* How one read ended, for the receive loop. */
enum rx_status {
	RX_FRAME, /* a frame, in its slot */
	RX_DROP, /* counted as a drop; the slot is free again */
	RX_EMPTY, /* EAGAIN (or EINTR): the kernel queue is empty */
	RX_GONE, /* the tap is gone (EBADFD) */
};

/*
 * Finish frame @f after a read that returned @r (bytes, or -errno): check
 * its header, complete it, fill the hash, or count why it is dropped.
 */
static enum rx_status rx_one(struct vtap_queue *q, struct rx_ctx *c,
			     struct vtap_frame *f, ssize_t r)
{
	uint8_t *buf = f->buf;
	int why;

	if (r < 0) {
		if (r == -EAGAIN || r == -EINTR)
			return RX_EMPTY;
		if (r == -EBADFD || r == -EBADF)
			return RX_GONE;
		/* The kernel dropped the frame it could not copy. */
		rx_drop(q, err_reason((int)-r));
		c->errs++;
		return RX_DROP;
	}
	if ((size_t)r <= c->hdr_len) {
		rx_drop(q, VTAP_DROP_SHORT);
		c->errs++;
		return RX_DROP;
	}
	if (c->hdr_len) {
		why = rx_check(buf, (size_t)r - c->hdr_len);
		if (why >= 0) {
			rx_drop(q, why);
			c->errs++;
			return RX_DROP;
		}
		if (buf[1] != VTAP_VNET_GSO_NONE)
			c->gso++;
		if (c->hdr_len > c->kern_len)
			memset(buf + c->kern_len, 0, c->hdr_len - c->kern_len);
	}
	if (c->rss) {
		struct vtap_rss_result res = {0};

		vtap_rss__hash(c->rss, buf + c->hdr_len, (size_t)r - c->hdr_len,
			       c->pflags, &res);
		if (res.report >= VTAP_HASH_REPORT__COUNT)
			res.report = VTAP_HASH_REPORT_NONE;
		put_le32(buf + 12, res.report ? res.hash : 0);
		put_le16(buf + 16, res.report);
		put_le16(buf + 18, 0);
		vtap_stat_add(&q->stats->hash_reports[res.report], 1);
	}
	f->len = (size_t)r;
	f->drop = -1;
	c->bytes += (size_t)r - c->hdr_len;
	c->got++;
	return RX_FRAME;
}

/* The plain receive loop: one read() per frame. */
static enum rx_status rx_plain(struct vtap_queue *q, struct rx_ctx *c,
			       struct vtap_frame *frames, unsigned int n)
{
	enum rx_status st = RX_FRAME;

	while (c->got < n && c->errs <= n) {
		struct vtap_frame *f = &frames[c->got];
		ssize_t r;

		if (!f->buf || f->cap < c->hdr_len + 1)
			break;
		r = read(q->fd, f->buf, f->cap);
		st = rx_one(q, c, f, r < 0 ? -errno : r);
		if (st == RX_EMPTY || st == RX_GONE)
			break;
	}
	return st;
}

/*
 * Receive through the queue's ring: rounds of up to @q->rx_want reads in
 * one io_uring_enter() each. A round that came back full doubles the next
 * one (up to the batch), one that hit the end of the kernel queue sizes
 * the next to what it got plus RX_URING_MIN, so an idle queue costs few wasted reads
 * and a busy one few rounds. Frames keep their order: slots that end
 * without a frame (EAGAIN, drop) are closed up by swapping the slots'
 * buffers (struct vtap_frame @buf and @cap) with later ones.
 */
static enum rx_status rx_uring(struct vtap_queue *q, struct rx_ctx *c,
			       struct vtap_frame *frames, unsigned int n)
{
	void *bufs[VTAP_URING_BATCH];
	size_t caps[VTAP_URING_BATCH];
	int32_t res[VTAP_URING_BATCH];

	while (c->got < n && c->errs <= n) {
		unsigned int want = n - c->got, base = c->got, w;
		bool empty = false;

		if (want > q->rx_want)
			want = q->rx_want;
		for (unsigned int i = 0; i < want; i++) {
			struct vtap_frame *f = &frames[base + i];

			if (!f->buf || f->cap < c->hdr_len + 1) {
				want = i;
				break;
			}
			bufs[i] = f->buf;
			caps[i] = f->cap;
		}
		if (!want)
			return RX_FRAME;
		if (vtap_uring_read(q->uring, q->fd, bufs, caps, want, res)) {
			__atomic_store_n(&q->rx_uring, false, __ATOMIC_RELAXED);
			return rx_plain(q, c, frames, n);
		}
		w = base;
		for (unsigned int i = 0; i < want; i++) {
			struct vtap_frame *f = &frames[base + i];
			enum rx_status st;

			if (base + i != w) {
				struct vtap_frame t = frames[w];

				frames[w] = *f;
				*f = t;
				f = &frames[w];
			}
			st = rx_one(q, c, f, res[i]);
			if (st == RX_FRAME)
				w++;
			else if (st == RX_EMPTY)
				empty = true;
			else if (st == RX_GONE)
				return c->got ? RX_EMPTY : RX_GONE;
		}
		if (empty) {
			q->rx_want = c->got - base + RX_URING_MIN;
			return RX_EMPTY;
		}
		q->rx_want = want * 2 > VTAP_URING_BATCH ? VTAP_URING_BATCH
							 : want * 2;
	}
	return RX_FRAME;
}

int vtap_queue__recv(struct vtap_queue *q, struct vtap_frame *frames,
		     unsigned int n)
{
	struct vtap_dev *dev;
	struct rx_ctx c = {0};
	enum rx_status st;

	if (!q || (!frames && n))
		return vtap_err(-EINVAL);
	if (q->kidx < 0)
		return vtap_err(-ENXIO);
	dev = q->dev;
	c.hdr_len = dev->hdr_len;
	c.kern_len = rx_kernel_hdr_len(dev);
	c.pflags = dev->iff & IFF_TUN ? VTAP_PKT_L3 : 0;
	if (c.hdr_len >= VTAP_VNET_HDR_HASH_LEN) {
		uint32_t mode =
			__atomic_load_n(&dev->report_mode, __ATOMIC_ACQUIRE);

		if (mode == VTAP_REPORT_RSS)
			c.rss = __atomic_load_n(&dev->rss, __ATOMIC_ACQUIRE);
		else if (mode != VTAP_REPORT_OFF)
			c.rss = vtap_queue_report_rss(q);
	}
	if (n && (!frames[0].buf || frames[0].cap < c.hdr_len + 1))
		return vtap_err(-EINVAL);

	/* The ring pays where frames queue up (small frames): after a call
	 * that got RX_URING_MIN or more; else read() (measured in
	 * docs/datapath.md). */
	if (__atomic_load_n(&q->rx_uring, __ATOMIC_ACQUIRE) && q->uring &&
	    q->rx_last >= RX_URING_MIN)
		st = rx_uring(q, &c, frames, n);
	else
		st = rx_plain(q, &c, frames, n);
	q->rx_last = c.got;
	if (st == RX_GONE && !c.got)
		return vtap_err(-ENXIO);
	if (c.got) {
		vtap_stat_add(&q->stats->rx_packets, c.got);
		vtap_stat_add(&q->stats->rx_bytes, c.bytes);
		if (c.gso)
			vtap_stat_add(&q->stats->rx_gso, c.gso);
	}
	return (int)c.got;
}

int vtap_queue__set_rx_uring(struct vtap_queue *q, bool on)
{
	int err;

	if (!q)
		return vtap_err(-EINVAL);
	if (on && !q->uring) {
		err = vtap_uring_new(&q->uring);
		if (err)
			return vtap_err(err);
		q->rx_want = RX_URING_MIN * 2;
	}
	/* Release: the ring is complete before the queue's thread sees it. */
	__atomic_store_n(&q->rx_uring, on, __ATOMIC_RELEASE);
	return 0;
}

bool vtap_queue__rx_uring(const struct vtap_queue *q)
{
	return q && __atomic_load_n(&q->rx_uring, __ATOMIC_RELAXED);
}

/* The offload a GSO type needs, for learning what the kernel refuses. */
static uint32_t gso_offload(uint8_t gso_type)
{
	if (gso_type & VTAP_VNET_GSO_UDP_TUNNEL)
		return VTAP_OFFLOAD_UDP_TUNNEL;
	if (gso_type & VTAP_VNET_GSO_ECN)
		return VTAP_OFFLOAD_TSO_ECN;
	switch (gso_type) {
	case VTAP_VNET_GSO_TCPV4:
		return VTAP_OFFLOAD_TSO4;
	case VTAP_VNET_GSO_TCPV6:
		return VTAP_OFFLOAD_TSO6;
	case VTAP_VNET_GSO_UDP_L4:
		return VTAP_OFFLOAD_USO;
	default:
		return 0;
	}
}

/*
 * Validate a frame to send and plan its software work. Return: -1 when it
 * may go (@ret_plan says how), else the drop reason.
 */
static int tx_check(const struct vtap_dev *dev, const struct vtap_frame *f,
		    struct vtap_vnet_hdr *h, enum vtap_offload_plan *ret_plan)
{
	unsigned int hdr_len = dev->hdr_len;
	enum vtap_drop_reason why = VTAP_DROP_HEADERS;
	uint32_t sw;

	*ret_plan = VTAP_PLAN_PASS;
	h->gso_type = VTAP_VNET_GSO_NONE;
	if (!f->buf || f->len <= hdr_len ||
	    (!(dev->iff & IFF_TUN) && f->len < hdr_len + 14))
		return VTAP_DROP_SHORT;
	if (f->len - hdr_len > VTAP_FRAME_MAX)
		return VTAP_DROP_TOO_BIG;
	if (!hdr_len)
		return -1;
	if (vtap_vnet__decode(f->buf, hdr_len, h))
		return VTAP_DROP_SHORT;
	if (vtap_vnet__check_frame(
		    h, (const uint8_t *)f->buf + hdr_len, f->len - hdr_len,
		    dev->iff & IFF_TUN ? VTAP_PKT_L3 : 0, NULL, &why))
		return why;
	sw = vtap_dev_sw_offloads(dev);
	if (!sw)
		return -1; /* the common case: no plan needed */
	*ret_plan = vtap_offload__plan(h, VTAP_OFFLOAD_ALL & ~sw, &why);
	if (*ret_plan == VTAP_PLAN_DROP)
		return why;
	return -1;
}

/* What the software path did with one frame. */
struct tx_soft {
	unsigned int segs; /* written */
	uint64_t bytes;
	int drop; /* -1, or the reason the frame (or its rest) was dropped */
	bool unconsumed; /* EAGAIN before anything was written */
};

/*
 * Segment (or checksum) @f in software into the queue's scratch buffer and
 * write each result with a zeroed vnet header.
 */
static void tx_soft(struct vtap_queue *q, const struct vtap_frame *f,
		    const struct vtap_vnet_hdr *h, struct tx_soft *ret)
{
	const struct vtap_dev *dev = q->dev;
	unsigned int hdr_len = dev->hdr_len;
	enum vtap_drop_reason why = VTAP_DROP_HEADERS;
	struct vtap_gso g;
	size_t len;
	int r;

	*ret = (struct tx_soft){.drop = -1};
	if (!q->scratch) {
		ret->drop = VTAP_DROP_UNSUPPORTED;
		return;
	}
	if (vtap_gso__init_flags(&g, h, (const uint8_t *)f->buf + hdr_len,
				 f->len - hdr_len,
				 dev->iff & IFF_TUN ? VTAP_PKT_L3 : 0, &why)) {
		ret->drop = why;
		return;
	}
	memset(q->scratch, 0, hdr_len);
	while ((r = vtap_gso__next(&g, q->scratch + hdr_len,
				   q->scratch_len - hdr_len, &len)) == 1) {
		ssize_t w = write(q->fd, q->scratch, hdr_len + len);

		if (w < 0) {
			if ((errno == EAGAIN || errno == EINTR) && !ret->segs)
				ret->unconsumed = true;
			else if (errno == EAGAIN || errno == EINTR)
				ret->drop = VTAP_DROP_QUEUE_FULL;
			else
				ret->drop = err_reason(errno);
			return;
		}
		ret->segs++;
		ret->bytes += len;
	}
	if (r < 0)
		ret->drop =
			VTAP_DROP_TOO_BIG; /* cannot happen: sized at open */
}

/* What one send call did, added to the counters at its end. */
struct tx_acc {
	unsigned int sent;
	uint64_t bytes, gso, sw_csum, sw_frames, sw_segs;
	uint64_t gro_frames, gro_segs;
	uint64_t not_merged[VTAP_GRO__COUNT];
};

/* How sending one frame (or one coalesced run) ended. */
enum tx_status {
	TX_NEXT, /* consumed: written or dropped */
	TX_STOP, /* EAGAIN: not consumed, stop the batch */
	TX_GONE, /* the fd is gone (EBADF): stop the batch */
};

/*
 * Send frame @f, already checked by tx_check() (@why, @h, @plan): write it,
 * segment or checksum it in software, or count its drop.
 */
static enum tx_status send_one(struct vtap_queue *q, struct vtap_frame *f,
			       int why, const struct vtap_vnet_hdr *h,
			       enum vtap_offload_plan plan, struct tx_acc *a)
{
	struct vtap_dev *dev = q->dev;
	struct tx_soft soft;
	ssize_t w;

	if (why >= 0) {
		f->drop = why;
		vtap_stat_add(&q->stats->tx_drops[why], 1);
		return TX_NEXT;
	}
	if (plan == VTAP_PLAN_PASS) {
		w = write(q->fd, f->buf, f->len);
		if (w >= 0) {
			f->drop = -1;
			a->sent++;
			a->bytes += f->len - dev->hdr_len;
			a->gso += h->gso_type != VTAP_VNET_GSO_NONE;
			return TX_NEXT;
		}
		if (errno == EAGAIN || errno == EINTR)
			return TX_STOP;
		if (errno == EBADFD || errno == EBADF)
			return TX_GONE;
		if (errno != EINVAL || !gso_offload(h->gso_type)) {
			why = err_reason(errno);
			f->drop = why;
			vtap_stat_add(&q->stats->tx_drops[why], 1);
			return TX_NEXT;
		}
		/* A checked GSO frame refused: the kernel lacks the type.
		 * Segment it, and every later one. */
		vtap_queue_sw_learn(dev, gso_offload(h->gso_type));
		plan = VTAP_PLAN_SEGMENT;
	}
	tx_soft(q, f, h, &soft);
	if (soft.unconsumed)
		return TX_STOP;
	if (plan == VTAP_PLAN_SEGMENT && soft.segs) {
		a->sw_frames++;
		a->sw_segs += soft.segs;
	} else if (plan == VTAP_PLAN_CSUM && soft.segs) {
		a->sw_csum++;
	}
	a->sent += soft.segs;
	a->bytes += soft.bytes;
	f->drop = soft.drop;
	if (soft.drop >= 0)
		vtap_stat_add(&q->stats->tx_drops[soft.drop], 1);
	return TX_NEXT;
}

/* One frame of a batch, checked and (with coalescing on) parsed. */
struct tx_item {
	int why; /* tx_check() */
	struct vtap_vnet_hdr h;
	enum vtap_offload_plan plan;
	int gro; /* vtap_gro_parse() */
	int join; /* why it did not join the run before it, or -1 */
	struct vtap_gro_seg seg;
};

static void tx_classify(const struct vtap_dev *dev,
			const struct vtap_gro_cfg *cfg,
			const struct vtap_frame *f, struct tx_item *it)
{
	it->why = tx_check(dev, f, &it->h, &it->plan);
	it->join = -1;
	it->gro = VTAP_GRO_OTHER;
	if (it->why < 0 && it->plan == VTAP_PLAN_PASS)
		it->gro = vtap_gro_parse(cfg, f->buf, f->len, &it->seg);
}

/*
 * The coalescing configuration for this batch: the queue's types, minus
 * what the device does in software (merging what is then segmented again
 * gains nothing; NEEDS_CSUM frames need the kernel's CSUM).
 */
static void gro_config(const struct vtap_queue *q, struct vtap_gro_cfg *cfg)
{
	const struct vtap_dev *dev = q->dev;
	uint32_t sw = vtap_dev_sw_offloads(dev);

	cfg->types = __atomic_load_n(&q->gro_types, __ATOMIC_RELAXED);
	cfg->max_segs = __atomic_load_n(&q->gro_max_segs, __ATOMIC_RELAXED);
	cfg->hdr_len = dev->hdr_len;
	cfg->pflags = dev->iff & IFF_TUN ? VTAP_PKT_L3 : 0;
	if (sw & VTAP_OFFLOAD_CSUM)
		cfg->types = 0;
	if (sw & (VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6))
		cfg->types &= ~VTAP_GRO_TCP;
	if (sw & VTAP_OFFLOAD_USO)
		cfg->types &= ~VTAP_GRO_UDP;
	if (cfg->hdr_len < VTAP_VNET_HDR_LEN || !q->scratch)
		cfg->types = 0;
}

/*
 * Write the @run->n frames @f as one coalesced frame. When the kernel
 * refuses it (anything but EAGAIN), the frames go one by one instead.
 * *@ret_done: frames consumed.
 */
static enum tx_status send_run(struct vtap_queue *q,
			       const struct vtap_gro_cfg *cfg,
			       const struct vtap_gro_run *run,
			       struct vtap_frame *f, struct tx_acc *a,
			       unsigned int *ret_done)
{
	struct iovec iov[VTAP_GRO_SEGS_MAX + 1];
	size_t hl = run->first.hdrs_len, len;
	enum tx_status st = TX_NEXT;
	unsigned int i = 0;

	/* The merged headers from the scratch buffer, then each payload
	 * where it is: one writev(), no copy. */
	len = vtap_gro_build_headers(cfg, run, q->scratch, q->scratch_len);
	iov[0] = (struct iovec){.iov_base = q->scratch, .iov_len = len};
	for (i = 0; i < run->n; i++)
		iov[i + 1] = (struct iovec){
			.iov_base = (uint8_t *)f[i].buf + cfg->hdr_len + hl,
			.iov_len = f[i].len - cfg->hdr_len - hl};
	len = cfg->hdr_len + run->len;
	i = 0;
	*ret_done = 0;
	if (iov[0].iov_len && writev(q->fd, iov, (int)run->n + 1) >= 0) {
		for (i = 0; i < run->n; i++)
			f[i].drop = -1;
		a->sent++;
		a->bytes += len - cfg->hdr_len;
		a->gso++;
		a->gro_frames++;
		a->gro_segs += run->n;
		*ret_done = run->n;
		return TX_NEXT;
	}
	if (iov[0].iov_len && (errno == EAGAIN || errno == EINTR))
		return TX_STOP;
	if (iov[0].iov_len && (errno == EBADFD || errno == EBADF))
		return TX_GONE;
	for (; i < run->n && st == TX_NEXT; i++) {
		struct vtap_vnet_hdr h = {0};

		st = send_one(q, &f[i], -1, &h, VTAP_PLAN_PASS, a);
		if (st == TX_NEXT)
			a->not_merged[VTAP_GRO_ALONE]++;
	}
	*ret_done = st == TX_NEXT ? i : i - 1;
	return st;
}

/*
 * The send loop with coalescing: frame @done starts a run, which grows
 * while the next frames join it (each frame is checked and parsed once:
 * the one that did not join starts the next run).
 */
static int send_gro(struct vtap_queue *q, const struct vtap_gro_cfg *cfg,
		    struct vtap_frame *frames, unsigned int n, struct tx_acc *a)
{
	const struct vtap_dev *dev = q->dev;
	struct tx_item items[2], *cur = &items[0], *nxt = &items[1], *t;
	unsigned int done = 0;
	bool have_next = false;
	enum tx_status st;

	while (done < n) {
		struct vtap_gro_run run;
		unsigned int k = 1, used;

		if (!have_next)
			tx_classify(dev, cfg, &frames[done], cur);
		have_next = false;
		if (cur->gro == VTAP_GRO_CANDIDATE) {
			vtap_gro_start(&run, &cur->seg);
			while (done + k < n) {
				tx_classify(dev, cfg, &frames[done + k], nxt);
				have_next = true;
				if (nxt->gro != VTAP_GRO_CANDIDATE)
					break;
				nxt->join = vtap_gro_add(cfg, &run, &nxt->seg);
				if (nxt->join != VTAP_GRO_CANDIDATE)
					break;
				have_next = false;
				k++;
			}
		}
		if (k > 1) {
			st = send_run(q, cfg, &run, &frames[done], a, &used);
			done += used;
			if (st != TX_NEXT)
				return st == TX_GONE && !done ? -ENXIO
							      : (int)done;
		} else {
			st = send_one(q, &frames[done], cur->why, &cur->h,
				      cur->plan, a);
			if (st == TX_STOP)
				break;
			if (st == TX_GONE)
				return done ? (int)done : -ENXIO;
			if (cur->gro >= 0)
				a->not_merged[cur->gro]++;
			else if (cur->gro == VTAP_GRO_CANDIDATE)
				a->not_merged[cur->join >= 0
						      ? cur->join
						      : VTAP_GRO_ALONE]++;
			done++;
		}
		t = cur;
		cur = nxt;
		nxt = t;
	}
	return (int)done;
}

int vtap_queue__send(struct vtap_queue *q, struct vtap_frame *frames,
		     unsigned int n)
{
	struct vtap_gro_cfg cfg;
	struct tx_acc a = {0};
	unsigned int done = 0;
	int ret;

	if (!q || (!frames && n))
		return vtap_err(-EINVAL);
	if (q->kidx < 0)
		return vtap_err(-ENXIO);
	gro_config(q, &cfg);
	if (cfg.types) {
		ret = send_gro(q, &cfg, frames, n, &a);
	} else {
		for (; done < n; done++) {
			struct vtap_frame *f = &frames[done];
			enum vtap_offload_plan plan;
			struct vtap_vnet_hdr h;
			enum tx_status st;
			int why = tx_check(q->dev, f, &h, &plan);

			st = send_one(q, f, why, &h, plan, &a);
			if (st == TX_STOP)
				break;
			if (st == TX_GONE) {
				if (!done)
					return vtap_err(-ENXIO);
				break;
			}
		}
		ret = (int)done;
	}
	if (a.sent) {
		vtap_stat_add(&q->stats->tx_packets, a.sent);
		vtap_stat_add(&q->stats->tx_bytes, a.bytes);
		if (a.gso)
			vtap_stat_add(&q->stats->tx_gso, a.gso);
	}
	vtap_queue_count_sw(q, a.sw_csum, a.sw_frames, a.sw_segs);
	if (a.gro_frames) {
		vtap_stat_add(&q->stats->gro_frames, a.gro_frames);
		vtap_stat_add(&q->stats->gro_segments, a.gro_segs);
	}
	if (cfg.types)
		for (unsigned int r = 0; r < VTAP_GRO__COUNT; r++)
			if (a.not_merged[r])
				vtap_stat_add(&q->stats->gro_not_merged[r],
					      a.not_merged[r]);
	return ret < 0 ? vtap_err(ret) : ret;
}

uint32_t vtap_queue__gro(const struct vtap_queue *q)
{
	return q ? __atomic_load_n(&q->gro_types, __ATOMIC_RELAXED) : 0;
}
