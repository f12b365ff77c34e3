// SPDX-License-Identifier: MIT
/*
 * uring.c - batched reads through io_uring
 *
 * Theory of operation
 *
 * A tap has no batched read for user space: each frame is one read(), and
 * on a machine where a system call is dear (a guest without hardware
 * virtualization pays a trap per call) the calls, not the copies, bound
 * how many MSS-sized frames a program moves. io_uring runs many reads in
 * one io_uring_enter(): the reads are queued as IORING_OP_READ entries and
 * the kernel issues each in order during the submission. Each carries
 * RWF_NOWAIT: a read that would block completes with -EAGAIN, as read()
 * on the non-blocking fd would (without it, io_uring parks the read until
 * data comes, O_NONBLOCK or not: measured on 6.18); so after one
 * io_uring_enter() every entry has its completion: frames, then -EAGAIN
 * for the reads past the end of the kernel queue. A read issued after the
 * queue ran empty costs a lock and a check in tun, far less than a system
 * call. A kernel whose tun does not take RWF_NOWAIT (6.1) fails the reads
 * with -EOPNOTSUPP: the ring then turns itself off.
 *
 * The ring is liburing's (io_uring_queue_init(): its mmaps, one or two as
 * the kernel has IORING_FEAT_SINGLE_MMAP). The submission and the wait are
 * one io_uring_enter() with a zero timeout passed as IORING_ENTER_EXT_ARG:
 * io_uring_submit_and_wait_timeout() does exactly that when the kernel has
 * IORING_FEAT_EXT_ARG (without it liburing would queue a timeout entry of
 * its own, so the ring requires the feature). A kernel that would park a
 * read instead of failing it therefore cannot block the caller: such
 * reads are cancelled, their buffers are free again when the call returns,
 * and the ring turns itself off (the caller goes back to read()).
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "uring.h"

/* user_data of a cancel entry; a read's is its slot number. */
#define CANCEL_TAG (1ull << 63)

struct vtap_uring {
	struct io_uring ring;
	bool broken; /* a read did not finish at once: never again */
};

void vtap_uring_free(struct vtap_uring *r)
{
	if (!r)
		return;
	io_uring_queue_exit(&r->ring);
	free(r);
}

int vtap_uring_new(struct vtap_uring **ret)
{
	const uint32_t need = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP;
	const char *env = getenv("VTAP_NO_IO_URING");
	struct vtap_uring *r;
	int err;

	*ret = NULL;
	if (env && *env && strcmp(env, "0"))
		return -EOPNOTSUPP;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* The CQ gets twice the entries: a read and its cancel each. */
	err = io_uring_queue_init(VTAP_URING_BATCH, &r->ring, 0);
	if (err < 0) {
		free(r);
		return err == -ENOMEM ? -ENOMEM : -EOPNOTSUPP;
	}
	if ((r->ring.features & need) != need ||
	    r->ring.sq.ring_entries < VTAP_URING_BATCH ||
	    r->ring.cq.ring_entries < VTAP_URING_BATCH * 2) {
		vtap_uring_free(r);
		return -EOPNOTSUPP;
	}
	*ret = r;
	return 0;
}

/* Reap every CQE there is; return how many reads (not cancels) ended. */
static unsigned int reap(struct vtap_uring *r, int32_t *res, unsigned int n,
			 uint64_t *pending)
{
	struct io_uring_cqe *c;
	unsigned int head, seen = 0, done = 0;

	io_uring_for_each_cqe(&r->ring, head, c) {
		uint64_t i = io_uring_cqe_get_data64(c);

		seen++;
		if (i & CANCEL_TAG || i >= n)
			continue;
		res[i] = c->res;
		if (c->res == -ECANCELED || c->res == -EOPNOTSUPP) {
			/* Cancelled, or RWF_NOWAIT refused: no frame. */
			res[i] = -EAGAIN;
			if (c->res == -EOPNOTSUPP)
				r->broken = true;
		}
		*pending &= ~(1ull << i);
		done++;
	}
	io_uring_cq_advance(&r->ring, seen);
	return done;
}

/* A queue entry, after submitting what is queued if the SQ is full. */
static struct io_uring_sqe *sqe_get(struct vtap_uring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe && io_uring_submit(&r->ring) >= 0)
		sqe = io_uring_get_sqe(&r->ring);
	return sqe;
}

/*
 * Some reads are parked in the kernel (bit i of @pending: slot i): cancel
 * each and wait for its end, so no buffer is written after the return.
 */
static void cancel(struct vtap_uring *r, int32_t *res, unsigned int n,
		   uint64_t *pending)
{
	struct io_uring_cqe *cqe;
	int ret;

	for (unsigned int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe;

		if (!(*pending >> i & 1))
			continue;
		sqe = sqe_get(r);
		if (!sqe)
			break;
		io_uring_prep_cancel64(sqe, i, 0);
		io_uring_sqe_set_data64(sqe, CANCEL_TAG | i);
	}
	io_uring_submit(&r->ring);
	while (*pending) {
		ret = io_uring_wait_cqe(&r->ring, &cqe);
		if (ret < 0 && ret != -EINTR)
			break;
		reap(r, res, n, pending);
	}
}

int vtap_uring_read(struct vtap_uring *r, int fd, void *const *bufs,
		    const size_t *caps, unsigned int n, int32_t *res)
{
	struct __kernel_timespec zero = {0};
	uint64_t pending = n >= 64 ? UINT64_MAX : (1ull << n) - 1;
	struct io_uring_cqe *cqe;
	unsigned int done;
	int ret;

	if (r->broken)
		return -EOPNOTSUPP;
	if (!n || n > VTAP_URING_BATCH)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		/* The SQ is empty here and holds VTAP_URING_BATCH. */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

		io_uring_prep_read(sqe, fd, bufs[i], (unsigned int)caps[i], 0);
		sqe->rw_flags = RWF_NOWAIT;
		io_uring_sqe_set_data64(sqe, i);
	}
	/* One io_uring_enter() (liburing 2.3 passes the timeout as
	 * IORING_ENTER_EXT_ARG and does not enter again when it expires):
	 * submit, and wait for the n completions with a zero timeout, so
	 * never sleep. Returns how many entries the kernel took. */
	do {
		ret = io_uring_submit_and_wait_timeout(&r->ring, &cqe, n, &zero,
						       NULL);
	} while (ret == -EINTR);
	if (ret < 0 && ret != -ETIME) {
		/* The entries may still be queued, and liburing offers no way
		 * to take them back: the next submission would issue them
		 * into buffers the caller has reused. Never submit again. */
		r->broken = true;
		return ret;
	}
	done = reap(r, res, n, &pending);
	if (done < n) {
		/* Reads that failed at issue may post their completion from
		 * task work, which a wait runs: one more look. */
		io_uring_wait_cqes(&r->ring, &cqe, n - done, &zero, NULL);
		done += reap(r, res, n, &pending);
	}
	if (done == n)
		return 0;

	/* A read is parked in the kernel: cancel it, and use read() from
	 * now on. */
	r->broken = true;
	cancel(r, res, n, &pending);
	return 0;
}
