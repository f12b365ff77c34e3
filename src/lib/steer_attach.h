/* SPDX-License-Identifier: MIT */
/*
 * steer_attach.h - the one interface through which the steering program
 * is attached to a device (steer_attach.c), and its backends
 */
#ifndef VTAP_STEER_ATTACH_H
#define VTAP_STEER_ATTACH_H

#include "steer_priv.h"

struct vtap_link;

/*
 * How a device runs the program. The steering module picks the backend
 * from the link's kind when it opens a handle (vtap_steer_attach_for())
 * and reaches the device only through this.
 */
struct vtap_steer_attach_ops {
	/* For messages and `vtapctl steer show`: "tun", "tc". */
	const char *name;
	/* The program build it runs: the tc one (steer_tc.bpf.o) or not. */
	bool tc;
	/*
	 * Make the device run the handle's program. @queue_fd is an open
	 * queue of the device, or -1: the backend opens what it needs.
	 * Return: 0 or a negative errno (logged, naming the device).
	 */
	int (*attach)(struct vtap_steer *s, int queue_fd);
	/* Make the device stop running it. Return: 0 or a negative errno. */
	int (*detach)(struct vtap_steer *s);
	/* Frames the device handed its readers so far (each one ran the
	 * program while attached), from its link counters. */
	uint64_t (*frames)(const struct vtap_link *l);
};

/* tun/tap: TUNSETSTEERINGEBPF on a queue. */
extern const struct vtap_steer_attach_ops vtap_steer_attach_tun;
/* macvtap/ipvtap: a tc filter on the clsact ingress of the device. */
extern const struct vtap_steer_attach_ops vtap_steer_attach_tc;

/* The backend for link @l, or NULL when vtap cannot steer its kind. */
const struct vtap_steer_attach_ops *
vtap_steer_attach_for(const struct vtap_link *l);

/*
 * Remove what vtap attached at the tc ingress of link @ifindex (named
 * @name in messages), and the clsact qdisc when vtap created it and no
 * filter is left on it. Return: 0 (also when nothing was attached) or a
 * negative errno.
 */
int vtap_steer_tc_detach(int ifindex, const char *name);

#endif /* VTAP_STEER_ATTACH_H */
