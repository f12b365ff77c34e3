// SPDX-License-Identifier: MIT
/*
 * guard.c - the SIGBUS handler that turns a fault on guest memory into a
 * stopped ring (guard.h has the theory of operation)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "guard.h"
#include "vhost.h"

__thread struct vh_guard *vh_guard_cur;

static struct vh_dev *guarded_dev;

/*
 * Whether @addr lies in a mapped guest region. The table changes only on
 * the main thread while every worker is parked, so whichever thread
 * faulted sees it whole.
 */
static bool in_guest_memory(const struct vh_dev *d, const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	for (unsigned int i = 0; i < VU_MEM_REGIONS_MAX; i++) {
		uintptr_t b = (uintptr_t)d->maps[i].base;

		if (b && a >= b && a - b < d->maps[i].len)
			return true;
	}
	return false;
}

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	struct vh_guard *g = vh_guard_cur;

	(void)uctx;
	if (g && guarded_dev && in_guest_memory(guarded_dev, si->si_addr)) {
		vh_guard_cur = g->prev;
		siglongjmp(g->jb, 1);
	}
	/* Not guest memory, or no guard: a bug of ours; die of it. */
	signal(sig, SIG_DFL);
}

int vh_guard_init(struct vh_dev *d)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/* Not blocked while it runs: the jump out leaves no mask behind. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	guarded_dev = d;
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

bool vh_guest_load16(const uint16_t *p, uint16_t *ret)
{
	struct vh_guard g;
	volatile bool ok = false;

	vh_guard_arm(&g);
	if (!sigsetjmp(g.jb, 0)) {
		*ret = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		ok = true;
	}
	vh_guard_leave(&g);
	return ok;
}
