/* SPDX-License-Identifier: MIT */
/*
 * steer_pins.h - where steering state lives in bpffs (steer_pins.c): the
 * bpffs that outlives the caller, one pin directory per link, garbage
 * collection of the pins of links that are gone
 */
#ifndef VTAP_STEER_PINS_H
#define VTAP_STEER_PINS_H

#include "steer_priv.h"

struct vtap_steer_opts;

/*
 * The pin directory of link @ifindex of the caller's namespace:
 * BPFFS/vtap/NSID/IFINDEX, the bpffs mounted when @create allows.
 * Return: 0 or -errno.
 */
int vtap_steer_pin_dir(bool create, int ifindex, char *buf, size_t size);
/* The path of pin @i in the handle's directory. Return: 0 or -ENAMETOOLONG. */
int vtap_steer_pin_path(const struct vtap_steer *s, enum pin_idx i, char *buf,
			size_t size);
/* Remove the pins of this namespace's links that are gone. */
void vtap_steer_gc_pins(void);
/* Pin the handle's maps and programs in s->dir (made first). */
int vtap_steer_pin_all(struct vtap_steer *s,
		       const struct vtap_steer_opts *opts);
/* Open what s->dir holds into s->fd[]. */
int vtap_steer_open_pins(struct vtap_steer *s);
/*
 * Remove the pin directory of link @ifindex (none when <= 0) and those of
 * links that are gone. Return: 0 or -errno.
 */
int vtap_steer_remove_pins(int ifindex);
/* Whether s->dir holds a configuration. */
bool vtap_steer_pins_exist(const struct vtap_steer *s);
/*
 * Whether the pins in s->dir are s's link's (their token is the link's).
 * Stale pins are removed when the caller may (root; logged), never used.
 */
bool vtap_steer_pins_bound(const struct vtap_steer *s);

#endif /* VTAP_STEER_PINS_H */
