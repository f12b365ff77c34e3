// SPDX-License-Identifier: MIT
/*
 * dev_steer.c - the hub's side of steering: vtap_steer__attach_dev()
 * attaches a steering handle to a device's queues and installs the queue
 * hook through which the handle's table follows every attach and detach;
 * the steering module never calls the device
 */
#include "dev_impl.h"
#include "steer_impl.h"

static int queue_hook(struct vtap_dev *dev, enum vtap_dev_event ev,
		      unsigned int qid, const struct vtap_dev_qmap *next,
		      void *ctx)
{
	unsigned int n = next->base + next->n_attached;

	if (ev == VTAP_DEV_EV_CLOSED) {
		/* Its queues are closed: the table goes back to the intent
		 * (or to what others still have attached), and the handle
		 * forgets the device, which is freed on return. */
		vtap_steer_queues_released(ctx);
		vtap_dev_steer_gone(dev, ctx);
		vtap_steer_unbind(ctx);
		return 0;
	}
	if (n)
		vtap_steer__set_queues(ctx, n);
	return 0;
}

/* The handle closes: the device forgets it. */
static void release(struct vtap_steer *s, void *ctx)
{
	vtap_steer__detach_dev(s, ctx);
}

int vtap_steer__attach_dev(struct vtap_steer *s, struct vtap_dev *dev)
{
	const struct vtap_dev_qmap *map;
	struct vtap_queue *q = NULL;
	int err;

	if (!s || !dev)
		return vtap_err(-EINVAL);
	map = vtap_dev_qmap(dev);
	if (!map->n_attached)
		return vtap_err(-ENODEV);
	q = vtap_dev__queue(dev, map->qid[0]);
	if (!q)
		return vtap_err(-ENODEV);
	err = vtap_steer_bind(s, release, dev);
	if (err)
		return vtap_err(err);
	err = vtap_dev_set_queue_hook(dev, queue_hook, s);
	if (err) {
		vtap_steer_unbind(s);
		return vtap_err(err);
	}
	err = vtap_steer__set_queues(s, map->base + map->n_attached);
	if (!err)
		err = vtap_steer__attach(s, vtap_queue__fd(q));
	if (err) {
		vtap_dev_set_queue_hook(dev, NULL, NULL);
		vtap_steer_unbind(s);
		return vtap_err(err);
	}
	vtap_dev_steer_attached(dev, s);
	return 0;
}

void vtap_steer__detach_dev(struct vtap_steer *s, struct vtap_dev *dev)
{
	if (!s || !dev || vtap_steer_bound(s) != dev)
		return;
	vtap_dev_set_queue_hook(dev, NULL, NULL);
	vtap_dev_steer_gone(dev, s);
	vtap_steer_unbind(s);
}
