/* SPDX-License-Identifier: MIT */
/*
 * qdepth_impl.h - queue depth and memory budget: the pure rule, the record
 * in the tap's run state and the hook dev.c calls. Not installed.
 */
#ifndef VTAP_QDEPTH_IMPL_H
#define VTAP_QDEPTH_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

struct vtap_dev;

/* What is recorded for a tap: the mode and its one value. */
struct vtap_qdepth_cfg {
	uint32_t mode; /* enum vtap_qdepth_mode */
	uint32_t qlen; /* VTAP_QDEPTH_QLEN */
	uint64_t budget; /* VTAP_QDEPTH_BUDGET, bytes */
};

/* The offloads that let the kernel hand a reader 64 KiB GSO frames. */
#define VTAP_QDEPTH_GSO_OFFLOADS                                        \
	(VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6 | VTAP_OFFLOAD_TSO_ECN | \
	 VTAP_OFFLOAD_USO | VTAP_OFFLOAD_UDP_TUNNEL |                   \
	 VTAP_OFFLOAD_UDP_TUNNEL_CSUM)

/* The largest frame a queue holds: the MTU, or 64 KiB with @gso. */
uint32_t vtap_qdepth_frame(unsigned int mtu, bool gso);

/*
 * The rule: the txqueuelen for @cfg with @queues attached (0 counts as 1),
 * @mtu and GSO on or not. QLEN: the fixed depth. BUDGET: budget / (queues
 * x frame), clamped to VTAP_QDEPTH_FLOOR..VTAP_QDEPTH_MAX. KERNEL: 0
 * (leave txqueuelen alone). Pure: no syscalls.
 */
uint32_t vtap_qdepth_rule(const struct vtap_qdepth_cfg *cfg,
			  unsigned int queues, unsigned int mtu, bool gso);

/*
 * The per-queue send buffer (TUNSETSNDBUF) that matches @depth frames of
 * @frame bytes, at most INT_MAX (tun's default: unlimited).
 */
int vtap_qdepth_sndbuf(uint32_t depth, uint32_t frame);

/*
 * Parse and format the run-state record ("qlen N\n" or "budget BYTES\n").
 * Parse: 0, or -EINVAL for anything else (the file is input: its
 * directory may belong to the tap's owner).
 */
int vtap_qdepth_parse(const char *text, struct vtap_qdepth_cfg *ret);
int vtap_qdepth_format(const struct vtap_qdepth_cfg *cfg, char *buf,
		       size_t size);

/*
 * Read or write the record of tap @name in its run state (write with
 * mode KERNEL removes it). The one place that knows where it lives.
 * Read: 0 (mode KERNEL when nothing is recorded) or -errno.
 */
int vtap_qdepth_record(const char *name, struct vtap_qdepth_cfg *cfg,
		       bool write);

/*
 * The hook: apply the recorded setting to @dev's link after its queues
 * attached or detached, or its offloads or MTU changed (dev.c calls it).
 * Failures are logged, never returned: they must not undo the change.
 */
void vtap_qdepth_update(struct vtap_dev *dev);

/*
 * The hook at open: a tap this handle created forgets a record left by an
 * earlier tap of the same name; an existing one gets its setting applied.
 */
void vtap_qdepth_opened(struct vtap_dev *dev);

#endif /* VTAP_QDEPTH_IMPL_H */
