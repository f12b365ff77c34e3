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

struct vtap_qdepth_opts;

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
 * The tap a setting applies to, as the device (dev_qdepth.c) or a tool
 * describes it: qdepth.c never sees struct vtap_dev.
 */
struct vtap_qdepth_target {
	const char *name;
	int ifindex;
	int fd; /* an attached queue of the tap for TUNSETSNDBUF, or -1 */
	int own; /* queues of the caller not to count */
	int fallback; /* attached queues when the kernel does not say */
	bool reset_sndbuf; /* give back the unlimited send buffer */
	/* A GSO offload is on (1) or not (0); -1: read the link's features
	 * (a macvtap's are not its tap's: its hub says). */
	int gso;
	/* macvtap/ipvtap: the lower link's MTU, 0 for none. Frames the lower
	 * link receives reach the tap's queues up to that length (macvlan
	 * and ipvlan check no MTU on receive), whatever the tap's own. */
	unsigned int lower_mtu;
	/* macvtap/ipvtap: a frame dropped on its way to a reader (queue
	 * full) is counted in the link's rx_dropped (tap_handle_frame() ->
	 * macvlan_count_rx(.., false, ..)), not tun's tx_dropped. */
	bool rx_side;
};

/*
 * vtap_qdepth__info() for the tap @t describes (its name, ifindex, gso and
 * lower_mtu are used). Return: 0 or a negative errno.
 */
int vtap_qdepth_info(const struct vtap_qdepth_target *t,
		     struct vtap_qdepth_info *ret);

/* The setting @opts asks for, checked. Return: 0 or -EINVAL (logged). */
int vtap_qdepth_cfg_from_opts(const char *name,
			      const struct vtap_qdepth_opts *opts,
			      struct vtap_qdepth_cfg *ret);

/*
 * Apply @cfg to @t and record it (after it applied: a refused one is not
 * kept). Return: 0 or -errno (logged).
 */
int vtap_qdepth_set_cfg(const struct vtap_qdepth_target *t,
			const struct vtap_qdepth_cfg *cfg);

/*
 * The hook: apply the recorded setting to @t after its queues attached or
 * detached, or its offloads or MTU changed. Failures are logged, never
 * returned: they must not undo the change.
 */
void vtap_qdepth_update(const struct vtap_qdepth_target *t);

/*
 * The hook at open: a tap this handle @created forgets a record left by an
 * earlier tap of the same name; an existing one gets its setting applied.
 */
void vtap_qdepth_opened(const struct vtap_qdepth_target *t, bool created);

#endif /* VTAP_QDEPTH_IMPL_H */
