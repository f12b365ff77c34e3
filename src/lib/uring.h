/* SPDX-License-Identifier: MIT */
/*
 * uring.h - batched reads through io_uring (not installed)
 *
 * One ring per queue, used by the queue's thread only. vtap_uring_read()
 * issues up to VTAP_URING_BATCH reads of one non-blocking fd with one
 * io_uring_enter(): the kernel runs them in order, each ending with a
 * frame or -EAGAIN, without a system call per read.
 */
#ifndef VTAP_URING_H
#define VTAP_URING_H

#include <stdint.h>

#include "internal.h"

/* Reads in one vtap_uring_read() call at most (the ring's size). */
#define VTAP_URING_BATCH 64

struct vtap_uring;

/*
 * A ring for batched reads. Return: 0, or -EOPNOTSUPP when the kernel has
 * no io_uring (or it is disabled: kernel.io_uring_disabled, seccomp), or
 * lacks what vtap_uring_read() needs (IORING_FEAT_EXT_ARG,
 * IORING_FEAT_NODROP), or -ENOMEM.
 * The environment variable VTAP_NO_IO_URING=1 makes it -EOPNOTSUPP (tests
 * run the plain path that way).
 */
int vtap_uring_new(struct vtap_uring **ret);
void vtap_uring_free(struct vtap_uring *r);

/*
 * Read into each of the @n buffers @bufs (@caps bytes each) from @fd, which
 * must be non-blocking, in order; @res[i] gets what read() would have
 * returned for buffer i (bytes, or -errno: -EAGAIN once the kernel queue
 * is empty). @n <= VTAP_URING_BATCH.
 * Return: 0, or a negative errno from io_uring_enter() (nothing was read;
 * the caller should read the plain way, the ring refuses every later call
 * with -EOPNOTSUPP: the reads it could not submit stay queued in it). A
 * read the kernel did not finish
 * at once (it would have waited for data) is cancelled; it is reported as
 * -EAGAIN unless it got its frame meanwhile, and the ring then refuses
 * every later call (-EOPNOTSUPP): that kernel does not fit this use.
 */
int vtap_uring_read(struct vtap_uring *r, int fd, void *const *bufs,
		    const size_t *caps, unsigned int n, int32_t *res);

#endif /* VTAP_URING_H */
