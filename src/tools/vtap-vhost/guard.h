/* SPDX-License-Identifier: MIT */
/*
 * guard.h - surviving guest memory that shrinks under us (SIGBUS)
 *
 * The frontend owns the files behind guest memory. QEMU's
 * memory-backend-memfd seals them against shrinking (its default, seal=on),
 * but memory-backend-file (hugetlbfs, /dev/shm) cannot be sealed and DPDK's
 * virtio-user passes unsealed files: a frontend may truncate the file after
 * SET_MEM_TABLE, and the next access of ours to a page past the new end
 * faults with SIGBUS. So every access to guest memory runs inside a guard:
 * vh_guard_arm() and sigsetjmp() record where to go back to (no signal mask
 * saved: the handler runs with SA_NODEFER, so nothing stays blocked), and
 * the SIGBUS handler, when the faulting address lies in a mapped guest
 * region and the faulting thread has a guard armed, jumps back there. The
 * code that armed the guard then stops the ring it was working on
 * (@vq, VRING_ERR_FAULT) and goes on. A SIGBUS anywhere else is a bug of
 * ours and kills the process as before.
 *
 * Guarded code must not take locks or allocate while it touches guest
 * memory (a jump out would leave them held); the data path does neither.
 */
#ifndef VTAP_VHOST_GUARD_H
#define VTAP_VHOST_GUARD_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

struct vh_dev;
struct vh_vq;

struct vh_guard {
	sigjmp_buf jb;
	struct vh_guard *prev;
	struct vh_vq *vq; /* the ring being worked on (NULL: none yet) */
};

/* The armed guard of the calling thread (NULL: none). */
extern __thread struct vh_guard *vh_guard_cur;

/* Install the SIGBUS handler for the guest memory of @d. Return: 0 or -errno. */
int vh_guard_init(struct vh_dev *d);

/*
 * Arm @g (nested guards restore the outer one on leave); the caller then
 * does `if (sigsetjmp(g.jb, 0))`, which is true again when a fault on
 * guest memory jumped back (the guard is disarmed then).
 */
static inline void vh_guard_arm(struct vh_guard *g)
{
	g->prev = vh_guard_cur;
	g->vq = NULL;
	vh_guard_cur = g;
}

static inline void vh_guard_leave(struct vh_guard *g)
{
	vh_guard_cur = g->prev;
}

/* Name the ring the armed guard (if any) is working on. */
static inline void vh_guard_ring(struct vh_vq *vq)
{
	if (vh_guard_cur)
		vh_guard_cur->vq = vq;
}

/* A guarded 16-bit load from guest memory; false when it faulted. */
bool vh_guest_load16(const uint16_t *p, uint16_t *ret);

#endif /* VTAP_VHOST_GUARD_H */
