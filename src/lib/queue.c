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
 * So for every frame handed to send, exactly one of tx_packets or
 * tx_drops[reason] grows (or the frame is left unconsumed on EAGAIN).
 *
 * On receive, the kernel wrote the header, so only cheap sanity checks run
 * (GSO type known, gso_size set for GSO, checksum field inside the frame).
 * With hash reporting on and a 20-byte header, the kernel has written the
 * first 12 bytes (tun pads the rest); hash_value, hash_report and padding
 * are filled in place from vtap_rss__hash() over the frame just read.
 *
 * Counters: the thread that runs the queue is their only writer (see
 * stats.c). A detached queue's fd still reads and writes in the kernel
 * (it is only out of the steering), so recv and send refuse it (-ENXIO):
 * nothing is read from or written to a detached queue.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dev_impl.h"

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

int vtap_queue__recv(struct vtap_queue *q, struct vtap_frame *frames,
		     unsigned int n)
{
	struct vtap_dev *dev;
	const struct vtap_rss *rss;
	unsigned int got = 0, errs = 0, hdr_len;
	uint64_t bytes = 0, gso = 0;
	unsigned int pflags;

	if (!q || (!frames && n))
		return vtap_err(-EINVAL);
	if (q->kidx < 0)
		return vtap_err(-ENXIO);
	dev = q->dev;
	hdr_len = dev->hdr_len;
	pflags = dev->iff & IFF_TUN ? VTAP_PKT_L3 : 0;
	rss = __atomic_load_n(&dev->rss, __ATOMIC_ACQUIRE);

	while (got < n && errs <= n) {
		struct vtap_frame *f = &frames[got];
		uint8_t *buf = f->buf;
		ssize_t r;
		int why;

		if (!buf || f->cap < hdr_len + 1) {
			if (!got)
				return vtap_err(-EINVAL);
			break;
		}
		r = read(q->fd, buf, f->cap);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (errno == EBADFD || errno == EBADF) {
				if (!got)
					return vtap_err(-ENXIO);
				break;
			}
			/* The kernel dropped the frame it could not copy. */
			rx_drop(q, err_reason(errno));
			errs++;
			continue;
		}
		if ((size_t)r <= hdr_len) {
			rx_drop(q, VTAP_DROP_SHORT);
			errs++;
			continue;
		}
		if (hdr_len) {
			why = rx_check(buf, (size_t)r - hdr_len);
			if (why >= 0) {
				rx_drop(q, why);
				errs++;
				continue;
			}
			if (buf[1] != VTAP_VNET_GSO_NONE)
				gso++;
		}
		if (rss && hdr_len >= VTAP_VNET_HDR_HASH_LEN) {
			struct vtap_rss_result res = {0};

			vtap_rss__hash(rss, buf + hdr_len, (size_t)r - hdr_len,
				       pflags, &res);
			if (res.report >= VTAP_HASH_REPORT__COUNT)
				res.report = VTAP_HASH_REPORT_NONE;
			put_le32(buf + 12, res.report ? res.hash : 0);
			put_le16(buf + 16, res.report);
			put_le16(buf + 18, 0);
			vtap_stat_add(&q->stats->hash_reports[res.report], 1);
		}
		f->len = (size_t)r;
		f->drop = -1;
		bytes += (size_t)r - hdr_len;
		got++;
	}
	if (got) {
		vtap_stat_add(&q->stats->rx_packets, got);
		vtap_stat_add(&q->stats->rx_bytes, bytes);
		if (gso)
			vtap_stat_add(&q->stats->rx_gso, gso);
	}
	return (int)got;
}

/* Validate a frame to send. Return: -1 when fine, else the drop reason. */
static int tx_check(const struct vtap_dev *dev, const struct vtap_frame *f,
		    bool *ret_gso)
{
	unsigned int hdr_len = dev->hdr_len;
	enum vtap_drop_reason why = VTAP_DROP_HEADERS;
	struct vtap_vnet_hdr h;

	*ret_gso = false;
	if (!f->buf || f->len <= hdr_len ||
	    (!(dev->iff & IFF_TUN) && f->len < hdr_len + 14))
		return VTAP_DROP_SHORT;
	if (f->len - hdr_len > VTAP_FRAME_MAX)
		return VTAP_DROP_TOO_BIG;
	if (!hdr_len)
		return -1;
	if (vtap_vnet__decode(f->buf, hdr_len, &h))
		return VTAP_DROP_SHORT;
	if (vtap_vnet__check_frame(
		    &h, (const uint8_t *)f->buf + hdr_len, f->len - hdr_len,
		    dev->iff & IFF_TUN ? VTAP_PKT_L3 : 0, NULL, &why))
		return why;
	/*
	 * TODO(offload): frames needing what neither the kernel nor the
	 * pinned set covers go through vtap_offload__plan() and the software
	 * segmenter here (issue 5); until then they are written as they are:
	 * the kernel's write path takes every GSO type the check passed.
	 */
	*ret_gso = h.gso_type != VTAP_VNET_GSO_NONE;
	return -1;
}

int vtap_queue__send(struct vtap_queue *q, struct vtap_frame *frames,
		     unsigned int n)
{
	struct vtap_dev *dev;
	unsigned int done = 0, sent = 0;
	uint64_t bytes = 0, gso = 0;

	if (!q || (!frames && n))
		return vtap_err(-EINVAL);
	if (q->kidx < 0)
		return vtap_err(-ENXIO);
	dev = q->dev;
	for (; done < n; done++) {
		struct vtap_frame *f = &frames[done];
		bool is_gso;
		ssize_t w;
		int why;

		why = tx_check(dev, f, &is_gso);
		if (why >= 0) {
			f->drop = why;
			vtap_stat_add(&q->stats->tx_drops[why], 1);
			continue;
		}
		w = write(q->fd, f->buf, f->len);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (errno == EBADFD || errno == EBADF) {
				if (!done)
					return vtap_err(-ENXIO);
				break;
			}
			why = err_reason(errno);
			f->drop = why;
			vtap_stat_add(&q->stats->tx_drops[why], 1);
			continue;
		}
		f->drop = -1;
		sent++;
		bytes += f->len - dev->hdr_len;
		gso += is_gso;
	}
	if (sent) {
		vtap_stat_add(&q->stats->tx_packets, sent);
		vtap_stat_add(&q->stats->tx_bytes, bytes);
		if (gso)
			vtap_stat_add(&q->stats->tx_gso, gso);
	}
	return (int)done;
}
