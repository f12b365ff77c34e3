/* SPDX-License-Identifier: MIT */
/*
 * steer_attach.h - the one interface through which the steering program
 * is attached to a device (steer_attach.c), and its backends
 */
#ifndef VTAP_STEER_ATTACH_H
#define VTAP_STEER_ATTACH_H

#include "steer_priv.h"

/*
 * How a device runs the program. The steering module picks the backend
 * when it opens a handle and calls the device's only through this.
 */
struct vtap_steer_attach_ops {
	/* For messages: "tun". */
	const char *name;
	/*
	 * Make the device run the handle's program. @queue_fd is an open
	 * queue of the device, or -1: the backend opens what it needs.
	 * Return: 0 or a negative errno (logged, naming the device).
	 */
	int (*attach)(struct vtap_steer *s, int queue_fd);
};

/* tun/tap: TUNSETSTEERINGEBPF on a queue. */
extern const struct vtap_steer_attach_ops vtap_steer_attach_tun;

#endif /* VTAP_STEER_ATTACH_H */
