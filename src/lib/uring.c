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
 * call. A kernel whose tun does not take RWF_NOWAIT fails the reads with
 * -EOPNOTSUPP: the ring then turns itself off.
 *
 * The ring is raw io_uring (no liburing): one mmap of the SQ and CQ rings
 * (IORING_FEAT_SINGLE_MMAP) and one of the SQEs. The wait uses a zero
 * timeout (IORING_FEAT_EXT_ARG), so a kernel that would park a read
 * instead of failing it cannot block the caller: such reads are cancelled,
 * their buffers are free again when the call returns, and the ring turns
 * itself off (the caller goes back to read()).
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "uring.h"

#define CANCEL_TAG (1ull << 63)

struct vtap_uring {
	int fd;
	bool broken; /* a read did not finish at once: never again */
	void *ring;
	size_t ring_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned int *sq_head, *sq_tail, *sq_array, sq_mask;
	unsigned int *cq_head, *cq_tail, cq_mask;
	struct io_uring_cqe *cqes;
};

static int sys_setup(unsigned int entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned int submit, unsigned int wait,
		     unsigned int flags, const void *arg, size_t argsz)
{
	return (int)syscall(__NR_io_uring_enter, fd, submit, wait, flags, arg,
			    argsz);
}

void vtap_uring_free(struct vtap_uring *r)
{
	if (!r)
		return;
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->ring && r->ring != MAP_FAILED)
		munmap(r->ring, r->ring_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

int vtap_uring_new(struct vtap_uring **ret)
{
	const uint32_t need = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_EXT_ARG |
			      IORING_FEAT_NODROP;
	struct io_uring_params p;
	struct vtap_uring *r;
	const char *env = getenv("VTAP_NO_IO_URING");
	size_t sq_len, cq_len;
	uint8_t *ring;

	*ret = NULL;
	if (env && *env && strcmp(env, "0"))
		return -EOPNOTSUPP;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(&p, 0, sizeof(p));
	r->fd = sys_setup(VTAP_URING_BATCH, &p);
	if (r->fd < 0) {
		int err = errno == ENOMEM ? -ENOMEM : -EOPNOTSUPP;

		free(r);
		return err;
	}
	if ((p.features & need) != need || p.sq_entries < VTAP_URING_BATCH ||
	    p.cq_entries < VTAP_URING_BATCH * 2) {
		vtap_uring_free(r);
		return -EOPNOTSUPP;
	}
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->ring_len = sq_len > cq_len ? sq_len : cq_len;
	r->ring = mmap(NULL, r->ring_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->ring == MAP_FAILED || r->sqes == MAP_FAILED) {
		vtap_uring_free(r);
		return -ENOMEM;
	}
	ring = r->ring;
	r->sq_head = (unsigned int *)(ring + p.sq_off.head);
	r->sq_tail = (unsigned int *)(ring + p.sq_off.tail);
	r->sq_array = (unsigned int *)(ring + p.sq_off.array);
	r->sq_mask = *(unsigned int *)(ring + p.sq_off.ring_mask);
	r->cq_head = (unsigned int *)(ring + p.cq_off.head);
	r->cq_tail = (unsigned int *)(ring + p.cq_off.tail);
	r->cq_mask = *(unsigned int *)(ring + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(ring + p.cq_off.cqes);
	*ret = r;
	return 0;
}

/* Queue one SQE (the SQ has room: at most 2 * BATCH per call, sized). */
static struct io_uring_sqe *sqe_get(struct vtap_uring *r, unsigned int *tail)
{
	unsigned int i = *tail & r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[i];

	memset(sqe, 0, sizeof(*sqe));
	r->sq_array[i] = i;
	(*tail)++;
	return sqe;
}

/* Reap every CQE there is; return how many reads (not cancels) ended. */
static unsigned int reap(struct vtap_uring *r, int32_t *res, unsigned int n,
			 uint64_t *pending)
{
	unsigned int head = *r->cq_head, done = 0;
	unsigned int tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);

	for (; head != tail; head++) {
		const struct io_uring_cqe *c = &r->cqes[head & r->cq_mask];

		if (c->user_data & CANCEL_TAG || c->user_data >= n)
			continue;
		res[c->user_data] = c->res;
		if (c->res == -ECANCELED || c->res == -EOPNOTSUPP) {
			/* Cancelled, or RWF_NOWAIT refused: no frame. */
			res[c->user_data] = -EAGAIN;
			if (c->res == -EOPNOTSUPP)
				r->broken = true;
		}
		*pending &= ~(1ull << c->user_data);
		done++;
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	return done;
}

int vtap_uring_read(struct vtap_uring *r, int fd, void *const *bufs,
		    const size_t *caps, unsigned int n, int32_t *res)
{
	struct __kernel_timespec zero = {0};
	struct io_uring_getevents_arg arg = {.ts = (uint64_t)(uintptr_t)&zero};
	uint64_t pending = n >= 64 ? UINT64_MAX : (1ull << n) - 1;
	unsigned int tail, done = 0, cancels = 0;
	int ret;

	if (r->broken)
		return -EOPNOTSUPP;
	if (!n || n > VTAP_URING_BATCH)
		return -EINVAL;
	tail = *r->sq_tail;
	for (unsigned int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = sqe_get(r, &tail);

		sqe->opcode = IORING_OP_READ;
		sqe->fd = fd;
		sqe->addr = (uint64_t)(uintptr_t)bufs[i];
		sqe->len = (uint32_t)caps[i];
		sqe->rw_flags = RWF_NOWAIT;
		sqe->user_data = i;
	}
	__atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
	do {
		ret = sys_enter(r->fd, n, n,
				IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
				&arg, sizeof(arg));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0 && errno != ETIME) {
		ret = -errno;
		/* Nothing submitted: take the entries back. */
		if (__atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) == tail - n) {
			__atomic_store_n(r->sq_tail, tail - n,
					 __ATOMIC_RELEASE);
			return ret;
		}
	}
	done = reap(r, res, n, &pending);
	if (done < n) {
		/* Reads that failed at issue may post their completion from
		 * task work, which a wait runs: one more look. */
		sys_enter(r->fd, 0, n - done,
			  IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg,
			  sizeof(arg));
		done += reap(r, res, n, &pending);
	}
	if (done == n)
		return 0;

	/* A read is parked in the kernel: cancel it, wait for the end of
	 * each, and use read() from now on. */
	r->broken = true;
	for (unsigned int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe;

		if (!(pending >> i & 1))
			continue;
		sqe = sqe_get(r, &tail);
		sqe->opcode = IORING_OP_ASYNC_CANCEL;
		sqe->addr = i;
		sqe->user_data = CANCEL_TAG | i;
		cancels++;
	}
	__atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
	sys_enter(r->fd, cancels, 0, 0, NULL, 0);
	while (pending) {
		if (sys_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) <
			    0 &&
		    errno != EINTR)
			break;
		reap(r, res, n, &pending);
	}
	return 0;
}
