// SPDX-License-Identifier: MIT
/*
 * net.c - the data path: guest transmit ring -> tap, tap -> receive ring
 *
 * Theory of operation:
 *
 * One copy. The tap's vnet header is always the 20-byte layout; the
 * guest's (10, 12 or 20 bytes, by its features) is translated in a small
 * buffer on the stack, and the frame itself moves with one readv()/writev()
 * between the tap and the guest's buffers. Only frames that need a software
 * offload (vtap_offload__plan(), or a GSO type the kernel refused) are
 * copied into a per-pair buffer and sent through vtap_queue__send(), which
 * segments them.
 *
 * Receive with VIRTIO_NET_F_MRG_RXBUF: one frame may fill several chains.
 * A tap read cannot be peeked for its length, so chains are walked ahead
 * into a pool until they cover the largest frame the guest can get (64 KiB
 * with guest GSO, else the MTU), the frame is read across all of them, and
 * only the chains it filled are returned (num_buffers of them); the rest
 * stay in the pool for the next frame. A frame larger than the buffers is
 * dropped by the kernel (readv fails) and counted.
 *
 * Coalescing on transmit. A guest without TSO (or a UDP sender) hands
 * over MSS-sized frames, one writev() each. Where the tap's queue
 * coalesces (vtap_queue__set_gro(), set at start unless --coalesce off),
 * frames that are not GSO and at most VH_GRO_FRAME bytes are copied into
 * the pair's gro slots instead, and the slots go out through
 * vtap_queue__send() at the end of the transmit batch (or when full, or
 * before a frame that goes alone, so the order is kept): consecutive
 * MSS-sized segments of one TCP flow (UDP datagrams with USO) become one
 * GSO frame, one write. The copy (a few hundred ns for 1.5 KiB) buys the
 * system calls it saves; GSO frames keep the one-copy writev().
 *
 * Hash reporting: with VIRTIO_NET_F_HASH_REPORT every receive header gets
 * hash_value and hash_report from vtap_rss over the frame, with the RSS
 * configuration of the tap's steering program (vtap_steer__rss()), the one
 * that chose the queue. The guest's own hash configuration goes to the
 * VMM's control queue and never reaches a vhost-user backend.
 *
 * Hostile rings: vring_walk() refuses any chain that names memory outside
 * the table, loops, or has the wrong direction; the ring is then stopped
 * (vh_vq_fail()) until the frontend sets it up again. Guest headers are
 * checked like libvtap's send path (vtap_vnet__check_frame()) and a bad
 * one is a counted drop, not an error of the ring.
 *
 * Notifications follow VIRTIO_RING_F_EVENT_IDX when negotiated: used_event
 * decides whether to signal the call eventfd, and avail_event is set to the
 * last available index seen before going idle (then re-checked, so a
 * buffer made available meanwhile is not missed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guard.h"
#include "vhost.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *vq_kind(const struct vh_vq *vq)
{
	return vq->index & 1 ? "tx" : "rx";
}

bool vh_vq_ready(const struct vh_vq *vq)
{
	return vq->started && vq->enabled && !vq->broken && vq->desc;
}

static bool has(const struct vh_dev *d, int bit)
{
	return d->features & VH_F(bit);
}

void vh_vq_fail(struct vh_dev *d, struct vh_vq *vq, enum vring_error err)
{
	uint64_t one = 1;

	vq->broken = true;
	vq->cnt.ring_errors[err]++;
	/* For `vtapctl stats dev TAP` (guest errors). */
	vtap_queue__ring_error(d->pair[vq->index / 2].q, vq->index & 1,
			       (int)err - 1);
	vh_log("%s: virtqueue %u (%s of queue pair %u): %s; queue stopped "
	       "until the driver resets it (%llu such errors)",
	       vtap_dev__name(d->dev), vq->index, vq_kind(vq), vq->index / 2,
	       vring_error_name(err),
	       (unsigned long long)vq->cnt.ring_errors[err]);
	if (vq->err_fd >= 0 && write(vq->err_fd, &one, sizeof(one)) < 0) {
		/* The frontend closed it; the log line stands. */
	}
	/* Detaching is the main thread's (it owns the device handle). */
	__atomic_store_n(&d->pair[vq->index / 2].failed, true,
			 __ATOMIC_RELEASE);
	if (d->fail_fd >= 0 && write(d->fail_fd, &one, sizeof(one)) < 0) {
		/* Cannot fail: the counter is far from its limit. */
	}
}

/* Signal the guest after used entries were added (spec 2.7.7, 2.7.10). */
static void notify(struct vh_dev *d, struct vh_vq *vq)
{
	uint64_t one = 1;
	bool sig;

	if (vq->call_fd < 0)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (has(d, VIRTIO_RING_F_EVENT_IDX_)) {
		uint16_t ev = __atomic_load_n(&vq->avail->ring[vq->num],
					      __ATOMIC_RELAXED);

		sig = !vq->signalled_valid ||
		      vring_need_event(ev, vq->last_used, vq->signalled_used);
		vq->signalled_used = vq->last_used;
		vq->signalled_valid = true;
	} else {
		sig = !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
			VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (sig) {
		vq->cnt.calls++;
		if (write(vq->call_fd, &one, sizeof(one)) < 0) {
			/* The frontend closed it: nothing to tell. */
		}
	}
}

static void push_used(struct vh_vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->last_used % vq->num];

	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
	vq->last_used++;
}

static void publish_used(struct vh_vq *vq)
{
	__atomic_store_n(&vq->used->idx, vq->last_used, __ATOMIC_RELEASE);
}

/*
 * Buffers available after the ones already taken or pooled; a count past
 * the queue size is a broken driver (-1 after stopping the queue).
 */
static int avail_pending(struct vh_dev *d, struct vh_vq *vq, uint16_t *idx)
{
	uint16_t a = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);

	if ((uint16_t)(a - vq->last_avail) > vq->num) {
		vh_vq_fail(d, vq, VRING_ERR_AVAIL);
		return -1;
	}
	*idx = a;
	return (uint16_t)(a - vq->last_avail);
}

/* Ask for a kick once the driver adds past @seen (EVENT_IDX). */
static void want_kick(struct vh_dev *d, struct vh_vq *vq, uint16_t seen)
{
	if (has(d, VIRTIO_RING_F_EVENT_IDX_)) {
		uint16_t *ev = (uint16_t *)&vq->used->ring[vq->num];

		__atomic_store_n(ev, seen, __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint16_t avail_head(const struct vh_vq *vq, uint16_t idx)
{
	return __atomic_load_n(&vq->avail->ring[idx % vq->num],
			       __ATOMIC_RELAXED);
}

/* Copy @len bytes at offset 0 of @iov into @dst; return bytes copied. */
static size_t iov_read(const struct iovec *iov, unsigned int n, void *dst,
		       size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t k = iov[i].iov_len;

		if (k > len - done)
			k = len - done;
		memcpy((uint8_t *)dst + done, iov[i].iov_base, k);
		done += k;
	}
	return done;
}

static void iov_write(const struct iovec *iov, unsigned int n, const void *src,
		      size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t k = iov[i].iov_len;

		if (k > len - done)
			k = len - done;
		memcpy(iov[i].iov_base, (const uint8_t *)src + done, k);
		done += k;
	}
}

/*
 * Drop the first @skip bytes of @iov in place; return the index of the
 * first segment left (its base and length adjusted).
 */
static unsigned int iov_skip(struct iovec *iov, unsigned int n, size_t skip)
{
	unsigned int i = 0;

	while (i < n && skip >= iov[i].iov_len) {
		skip -= iov[i].iov_len;
		i++;
	}
	if (i < n) {
		iov[i].iov_base = (uint8_t *)iov[i].iov_base + skip;
		iov[i].iov_len -= skip;
	}
	return i;
}

/*
 * A contiguous view of the frame's first bytes for checking and hashing:
 * the segment itself when it holds them, else a copy of up to VH_PREFIX
 * bytes (headers past that are not looked at).
 */
static const uint8_t *frame_view(const struct iovec *iov, unsigned int n,
				 size_t frame_len, uint8_t *tmp,
				 size_t *ret_len)
{
	size_t want = frame_len < VH_PREFIX ? frame_len : VH_PREFIX;

	if (n && iov[0].iov_len >= frame_len) {
		*ret_len = frame_len;
		return iov[0].iov_base;
	}
	if (n && iov[0].iov_len >= want && iov[0].iov_len >= 256) {
		*ret_len = iov[0].iov_len;
		return iov[0].iov_base;
	}
	*ret_len = iov_read(iov, n, tmp, want);
	return tmp;
}

/*
 * readv()/writev() on a guest buffer whose file shrank fail with EFAULT
 * (the kernel's copy faults, no SIGBUS). Touch one byte in every page of
 * @iov so that such a buffer faults here, under the round's guard, and
 * stops the ring as VRING_ERR_FAULT like every other fault on guest
 * memory; return when every page is there (the EFAULT had another cause).
 */
static void probe_guest(const struct iovec *iov, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const volatile uint8_t *b = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		for (size_t off = 0; off < len; off += 4096)
			(void)b[off];
		if (len)
			(void)b[len - 1];
	}
}

static void count_drop(struct vtap_queue_stats *st, bool rx,
		       enum vtap_drop_reason r)
{
	if (rx)
		st->rx_drops[r]++;
	else
		st->tx_drops[r]++;
}

/* Slow path: linearise and let libvtap segment / checksum in software. */
static void tx_slow(struct vh_dev *d, struct vh_pair *p, const uint8_t *hb,
		    const struct iovec *iov, unsigned int n, size_t frame_len,
		    struct vtap_queue_stats *st)
{
	struct vtap_frame f = {.buf = p->bounce,
			       .cap = VH_TAP_HDR + VTAP_FRAME_MAX,
			       .drop = -1};

	if (frame_len > VTAP_FRAME_MAX) {
		count_drop(st, false, VTAP_DROP_TOO_BIG);
		return;
	}
	memcpy(p->bounce, hb, VH_TAP_HDR);
	iov_read(iov, n, p->bounce + VH_TAP_HDR, frame_len);
	f.len = VH_TAP_HDR + frame_len;
	/* The library counts what it writes or drops; 0 = kernel queue full. */
	if (vtap_queue__send(p->q, &f, 1) == 0)
		count_drop(st, false, VTAP_DROP_QUEUE_FULL);
}

/* Write the frames held for coalescing; what the kernel refuses is counted. */
static void tx_gro_flush(struct vh_pair *p, struct vtap_queue_stats *st)
{
	unsigned int n = p->gro_n, done = 0;

	p->gro_n = 0;
	for (int tries = 0; done < n && tries < 2; tries++) {
		int r = vtap_queue__send(p->q, p->gro_f + done, n - done);

		if (r < 0)
			break;
		done += (unsigned int)r;
	}
	/* The library counted what it wrote or dropped; the rest found the
	 * kernel queue full. */
	if (done < n)
		st->tx_drops[VTAP_DROP_QUEUE_FULL] += n - done;
}

/* Hold a checked frame for coalescing (a copy: the chain goes back). */
static void tx_gro_add(struct vh_pair *p, const uint8_t *hb,
		       const struct iovec *iov, unsigned int n,
		       size_t frame_len, struct vtap_queue_stats *st)
{
	uint8_t *b = p->gro_buf + (size_t)p->gro_n * VH_GRO_STRIDE;

	memcpy(b, hb, VH_TAP_HDR);
	iov_read(iov, n, b + VH_TAP_HDR, frame_len);
	p->gro_f[p->gro_n++] = (struct vtap_frame){
		.buf = b,
		.cap = VH_GRO_STRIDE,
		.len = VH_TAP_HDR + frame_len,
		.drop = -1,
	};
	if (p->gro_n == VH_GRO_BATCH)
		tx_gro_flush(p, st);
}

/* One transmitted chain: header checks, then writev or the slow path. */
static void tx_frame(struct vh_dev *d, struct vh_pair *p, unsigned int n_iov,
		     uint32_t chain_len, struct vtap_queue_stats *st)
{
	struct iovec *iov = p->tx_iov + 1;
	uint8_t hb[VH_TAP_HDR] = {0}, tmp[VH_PREFIX];
	unsigned int g = d->guest_hdr, first;
	size_t frame_len = chain_len - g, view_len;
	enum vtap_drop_reason reason = VTAP_DROP_IO;
	enum vtap_offload_plan plan;
	struct vtap_vnet_hdr h;
	const uint8_t *view;
	ssize_t w;

	/* Only the 10 bytes the tap reads; num_buffers and hash are rx's. */
	iov_read(iov, n_iov, hb, VTAP_VNET_HDR_LEN);
	vtap_vnet__decode(hb, VTAP_VNET_HDR_LEN, &h);
	first = iov_skip(iov, n_iov, g);
	iov += first;
	n_iov -= first;
	view = frame_view(iov, n_iov, frame_len, tmp, &view_len);
	if (vtap_vnet__check_frame(&h, view, view_len, 0, NULL, &reason)) {
		count_drop(st, false, reason);
		return;
	}
	plan = vtap_offload__plan(
		&h, VTAP_OFFLOAD_ALL & ~vtap_dev__sw_offloads(d->dev), &reason);
	if (plan == VTAP_PLAN_DROP) {
		count_drop(st, false, reason);
		return;
	}
	if (plan == VTAP_PLAN_PASS && p->gro_buf &&
	    h.gso_type == VTAP_VNET_GSO_NONE && frame_len <= VH_GRO_FRAME) {
		tx_gro_add(p, hb, iov, n_iov, frame_len, st);
		return;
	}
	if (p->gro_n)
		tx_gro_flush(p, st); /* what came before goes first */
	if (plan != VTAP_PLAN_PASS) {
		tx_slow(d, p, hb, iov, n_iov, frame_len, st);
		return;
	}
	iov[-1].iov_base = hb;
	iov[-1].iov_len = VH_TAP_HDR;
	w = writev(p->tap_fd, iov - 1, (int)n_iov + 1);
	if (w >= 0) {
		st->tx_packets++;
		st->tx_bytes += frame_len;
		if (h.gso_type != VTAP_VNET_GSO_NONE)
			st->tx_gso++;
	} else if (errno == EINVAL && h.gso_type != VTAP_VNET_GSO_NONE) {
		/* A GSO type this kernel refuses (USO before 6.2). */
		tx_slow(d, p, hb, iov, n_iov, frame_len, st);
	} else {
		if (errno == EFAULT)
			probe_guest(iov, n_iov); /* shrunk: the ring stops */
		count_drop(st, false,
			   errno == EAGAIN   ? VTAP_DROP_QUEUE_FULL
			   : errno == EINVAL ? VTAP_DROP_HEADERS
					     : VTAP_DROP_IO);
	}
}

void vh_net_tx(struct vh_dev *d, struct vh_pair *p)
{
	struct vh_vq *vq = &p->tx;
	struct vtap_queue_stats st = {0};
	bool indirect = has(d, VIRTIO_RING_F_INDIRECT_DESC_);
	unsigned int done = 0;
	uint16_t aidx;
	int pending;

	if (!vh_vq_ready(vq))
		return;
	vh_guard_ring(vq);
	for (;;) {
		pending = avail_pending(d, vq, &aidx);
		if (pending < 0)
			goto out;
		if (pending == 0) {
			want_kick(d, vq, aidx);
			pending = avail_pending(d, vq, &aidx);
			if (pending <= 0)
				break;
		}
		while (pending-- > 0 && done < VH_BATCH) {
			struct vring_chain c;
			enum vring_error err;

			err = vring_walk(&d->mem, vq->desc, vq->num,
					 avail_head(vq, vq->last_avail), false,
					 indirect, p->tx_iov + 1, VRING_IOV_MAX,
					 &c);
			if (!err && c.len < d->guest_hdr)
				err = VRING_ERR_HDR;
			if (err) {
				vh_vq_fail(d, vq, err);
				goto out;
			}
			tx_frame(d, p, c.n_iov, c.len, &st);
			push_used(vq, c.head, 0);
			vq->last_avail++;
			done++;
		}
		if (done >= VH_BATCH)
			break;
	}
out:
	if (p->gro_n)
		tx_gro_flush(p, &st);
	if (done) {
		publish_used(vq);
		notify(d, vq);
		vtap_queue__add_stats(p->q, &st);
	} else if (st.tx_drops[VTAP_DROP_IO]) {
		vtap_queue__add_stats(p->q, &st);
	}
	p->tx_more = done >= VH_BATCH;
}

/* ---- receive ---------------------------------------------------------- */

static void pool_reset(struct vh_rx_pool *pl)
{
	pl->start = 0;
	pl->count = 0;
	pl->iov_end = 1; /* iov[0] stays free for the tap header */
	pl->bytes = 0;
}

static void pool_compact(struct vh_rx_pool *pl)
{
	unsigned int from;

	if (!pl->count) {
		pool_reset(pl);
		return;
	}
	from = pl->rec[pl->start].iov0;
	memmove(&pl->iov[1], &pl->iov[from],
		(pl->iov_end - from) * sizeof(pl->iov[0]));
	memmove(&pl->rec[0], &pl->rec[pl->start],
		pl->count * sizeof(pl->rec[0]));
	for (unsigned int i = 0; i < pl->count; i++)
		pl->rec[i].iov0 -= from - 1;
	pl->iov_end -= from - 1;
	pl->start = 0;
}

/* Walk one more available chain into the pool: 1, 0 (none), -1 (failed). */
static int pool_add(struct vh_dev *d, struct vh_pair *p, int pending)
{
	struct vh_rx_pool *pl = p->pool;
	struct vh_vq *vq = &p->rx;
	struct vring_chain c;
	enum vring_error err;
	unsigned int r;

	if ((int)pl->count >= pending)
		return 0;
	if (pl->start + pl->count >= ARRAY_SIZE(pl->rec) ||
	    pl->iov_end + VRING_IOV_MAX > ARRAY_SIZE(pl->iov))
		pool_compact(pl);
	if (pl->start + pl->count >= ARRAY_SIZE(pl->rec) ||
	    pl->iov_end + VRING_IOV_MAX > ARRAY_SIZE(pl->iov))
		return 0;
	err = vring_walk(&d->mem, vq->desc, vq->num,
			 avail_head(vq, (uint16_t)(vq->last_avail + pl->count)),
			 true, has(d, VIRTIO_RING_F_INDIRECT_DESC_),
			 &pl->iov[pl->iov_end], VRING_IOV_MAX, &c);
	if (!err && c.len < d->guest_hdr)
		err = VRING_ERR_HDR;
	if (err) {
		vh_vq_fail(d, vq, err);
		return -1;
	}
	r = pl->start + pl->count;
	pl->rec[r].head = c.head;
	pl->rec[r].len = c.len;
	pl->rec[r].iov0 = pl->iov_end;
	pl->rec[r].n_iov = c.n_iov;
	pl->iov_end += c.n_iov;
	pl->count++;
	pl->bytes += c.len;
	return 1;
}

static void tap_arm(struct vh_dev *d, struct vh_pair *p, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0,
				 .data.u64 = VH_EV(VH_EV_TAP, p->id)};

	if (p->tap_armed == on)
		return;
	epoll_ctl(p->epfd, EPOLL_CTL_MOD, p->tap_fd, &ev);
	p->tap_armed = on;
}

/* The largest frame (header included) the guest can be given. */
static uint64_t rx_need(const struct vh_dev *d)
{
	uint64_t f = d->features;
	uint64_t gso = VH_F(VIRTIO_NET_F_GUEST_TSO4_) |
		       VH_F(VIRTIO_NET_F_GUEST_TSO6_) |
		       VH_F(VIRTIO_NET_F_GUEST_USO4_);

	if (f & gso)
		return d->guest_hdr + VTAP_FRAME_MAX;
	return d->guest_hdr + d->mtu + 18;
}

/*
 * Fill the guest header of the frame just read: the tap's 10 bytes, then
 * num_buffers, then the hash (each when the layout has it).
 */
static void rx_header(struct vh_dev *d, const uint8_t *hb, uint16_t nbufs,
		      const struct iovec *fiov, unsigned int fn,
		      size_t frame_len, struct vtap_queue_stats *st,
		      uint8_t *out)
{
	memcpy(out, hb, VTAP_VNET_HDR_LEN);
	memset(out + VTAP_VNET_HDR_LEN, 0, VH_TAP_HDR - VTAP_VNET_HDR_LEN);
	if (d->guest_hdr >= VTAP_VNET_HDR_V1_LEN) {
		out[10] = (uint8_t)nbufs;
		out[11] = (uint8_t)(nbufs >> 8);
	}
	if (d->guest_hdr >= VTAP_VNET_HDR_HASH_LEN && d->rss) {
		struct vtap_rss_result res = {0};
		uint8_t tmp[VH_PREFIX];
		const uint8_t *view;
		size_t vl;

		view = frame_view(fiov, fn, frame_len, tmp, &vl);
		vtap_rss__hash(d->rss, view, vl, 0, &res);
		out[12] = (uint8_t)res.hash;
		out[13] = (uint8_t)(res.hash >> 8);
		out[14] = (uint8_t)(res.hash >> 16);
		out[15] = (uint8_t)(res.hash >> 24);
		out[16] = (uint8_t)res.report;
		out[17] = (uint8_t)(res.report >> 8);
		if (res.report < VTAP_HASH_REPORT__COUNT)
			st->hash_reports[res.report]++;
	}
}

/* Read one frame into the pool's chains: 1 done, 0 tap empty, -1 stop. */
static int rx_frame(struct vh_dev *d, struct vh_pair *p,
		    struct vtap_queue_stats *st)
{
	struct vh_rx_pool *pl = p->pool;
	struct vh_vq *vq = &p->rx;
	unsigned int g = d->guest_hdr, i0 = pl->rec[pl->start].iov0;
	unsigned int fn = pl->iov_end - i0, f, used = 0;
	struct iovec *fi = &pl->iov[i0], *rv = p->rx_iov;
	uint8_t hb[VH_TAP_HDR] = {0}, gh[VH_TAP_HDR];
	uint64_t left;
	ssize_t n;

	/* readv takes at most 1024 segments; larger frames do not fit. */
	if (fn > VRING_IOV_MAX)
		fn = VRING_IOV_MAX;
	/* The frame goes g bytes in; the tap's header just before it. */
	memcpy(rv + 1, fi, fn * sizeof(*rv));
	f = iov_skip(rv + 1, fn, g);
	rv[f].iov_base = hb;
	rv[f].iov_len = VH_TAP_HDR;
	n = readv(p->tap_fd, rv + f, (int)(fn - f + 1));
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		/*
		 * EFAULT: the frame did not fit the buffers, or a buffer's
		 * file shrank (then the probe faults and the ring stops);
		 * either way the frame is gone.
		 */
		if (errno == EFAULT)
			probe_guest(fi, fn);
		count_drop(st, true,
			   errno == EFAULT ? VTAP_DROP_TOO_BIG : VTAP_DROP_IO);
		return errno == EFAULT ? 1 : -1;
	}
	if (n < VH_TAP_HDR) {
		count_drop(st, true, VTAP_DROP_SHORT);
		return 1;
	}
	/* Chains filled, in order; each used entry says how much. */
	left = (uint64_t)n - VH_TAP_HDR + g;
	while (left && used < pl->count) {
		unsigned int r = pl->start + used;
		uint32_t l =
			pl->rec[r].len < left ? pl->rec[r].len : (uint32_t)left;

		push_used(vq, pl->rec[r].head, l);
		left -= l;
		pl->bytes -= pl->rec[r].len;
		used++;
	}
	rx_header(d, hb, (uint16_t)used, rv + f + 1, fn - f,
		  (size_t)n - VH_TAP_HDR, st, gh);
	iov_write(fi, fn, gh, g);
	st->rx_packets++;
	st->rx_bytes += (uint64_t)n - VH_TAP_HDR;
	if (hb[1] != VTAP_VNET_GSO_NONE)
		st->rx_gso++;
	vq->last_avail += (uint16_t)used;
	pl->start += used;
	pl->count -= used;
	if (!pl->count)
		pool_reset(pl);
	return 1;
}

void vh_net_rx(struct vh_dev *d, struct vh_pair *p)
{
	struct vh_vq *vq = &p->rx;
	struct vtap_queue_stats st = {0};
	bool mrg = has(d, VIRTIO_NET_F_MRG_RXBUF_);
	uint64_t need = rx_need(d);
	unsigned int done = 0;
	int pending, r = 0;
	bool starved = false;
	uint16_t aidx;

	p->rx_more = false;
	if (!vh_vq_ready(vq) || !p->attached) {
		tap_arm(d, p, false);
		return;
	}
	vh_guard_ring(vq);
	while (done < VH_BATCH) {
		pending = avail_pending(d, vq, &aidx);
		if (pending < 0)
			break;
		/* Walk chains until the pool holds the largest frame. */
		while ((mrg ? p->pool->bytes < need : p->pool->count == 0) &&
		       (r = pool_add(d, p, pending)) > 0)
			;
		if (r < 0)
			break;
		if (!p->pool->count ||
		    (mrg && p->pool->bytes < need && pending < (int)vq->num)) {
			/* Too few buffers: wait for the driver's kick. */
			want_kick(d, vq, aidx);
			if (avail_pending(d, vq, &aidx) > pending)
				continue;
			/* The tap waits until the driver's kick. */
			tap_arm(d, p, false);
			starved = true;
			break;
		}
		r = rx_frame(d, p, &st);
		if (r <= 0)
			break;
		done++;
	}
	if (!starved && (r == 0 || done >= VH_BATCH))
		tap_arm(d, p, vh_vq_ready(vq));
	if (st.rx_packets || done) {
		publish_used(vq);
		notify(d, vq);
	}
	vtap_queue__add_stats(p->q, &st);
	p->rx_more = done >= VH_BATCH;
}

void vh_net_kick(struct vh_dev *d, unsigned int index)
{
	struct vh_vq *vq = vh_vq(d, index);
	uint64_t v;

	if (!vq)
		return;
	if (vq->kick_fd >= 0 && read(vq->kick_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a spurious wake-up. */
	}
	vq->cnt.kicks++;
	if (index & 1) {
		vh_net_tx(d, &d->pair[index / 2]);
	} else {
		struct vh_pair *p = &d->pair[index / 2];

		if (vh_vq_ready(vq) && p->attached)
			tap_arm(d, p, true);
		vh_net_rx(d, p);
	}
}

void vh_net_update_pair(struct vh_dev *d, struct vh_pair *p)
{
	bool want = p->id == 0 || vh_vq_ready(&p->rx);
	int err;

	pool_reset(p->pool);
	if (want != p->attached) {
		err = want ? vtap_dev__attach_queue(d->dev, p->id)
			   : vtap_dev__detach_queue(d->dev, p->id);
		if (err)
			vh_log("%s: %s queue %u: %s", vtap_dev__name(d->dev),
			       want ? "attach" : "detach", p->id,
			       strerror(-err));
		else
			p->attached = want;
		vh_net_refresh_rss(d);
	}
	tap_arm(d, p, p->attached && vh_vq_ready(&p->rx));
}

void vh_net_refresh_rss(struct vh_dev *d)
{
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	VTAP_OPTS_INIT(vtap_rss_opts, o);
	struct vtap_rss *n;

	if (!d->steer || !d->o.hash_report)
		return;
	if (vtap_steer__rss(d->steer, &r)) {
		vtap_rss__free(d->rss);
		d->rss = NULL;
		d->rss_valid = false;
		return;
	}
	if (d->rss && r.hash_types == d->rss_src.hash_types &&
	    r.key_len == d->rss_src.key_len &&
	    !memcmp(r.key, d->rss_src.key, sizeof(r.key)) &&
	    r.table_len == d->rss_src.table_len &&
	    !memcmp(r.table, d->rss_src.table, sizeof(r.table)) &&
	    r.unclassified_queue == d->rss_src.unclassified_queue)
		return;
	o.hash_types = r.hash_types;
	o.key = r.key_len ? r.key : NULL;
	o.key_len = r.key_len;
	o.table = r.table;
	o.table_len = r.table_len;
	o.unclassified_queue = r.unclassified_queue;
	n = vtap_rss__new(&o);
	if (!n) {
		vh_log("%s: hash reporting: steering RSS configuration "
		       "refused: %s",
		       vtap_dev__name(d->dev), strerror(errno));
		return;
	}
	vtap_rss__free(d->rss);
	d->rss = n;
	d->rss_src = r;
	d->rss_valid = true;
}
