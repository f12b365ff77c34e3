/* SPDX-License-Identifier: MIT */
/*
 * steer_guard.h - what the rest of the steering module and the tools'
 * views need of steer_guard.c. Not installed.
 */
#ifndef VTAP_STEER_GUARD_H
#define VTAP_STEER_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vtap_steer;

/* ---- given by the rest of the steering module (pins, attach) ---- */

/* The handle's tap, as the caller's namespace names it. */
const char *vtap_steer_ifname(const struct vtap_steer *s);
int vtap_steer_ifindex(const struct vtap_steer *s);
/* Pinned state of a tun/tap (what the guard and the borrowed attach
 * work on). */
bool vtap_steer_tun_pinned(const struct vtap_steer *s);
/* Pinned state of a macvtap/ipvtap: a tc filter, nothing to guard (no
 * opener can detach it), attached and released without a queue. */
bool vtap_steer_tc_pinned(const struct vtap_steer *s);

/*
 * A fresh instance of the entry program over the maps of @s (steer_guard.c
 * "Theory of operation"). Return: its fd (the caller owns it) with its id
 * in *@ret_id, or -errno (logged).
 */
int vtap_steer_instance_load(struct vtap_steer *s, uint32_t *ret_id);

/* A queue of @s's tap of vtap's own (attached while open). Return: fd or
 * -errno (logged). */
int vtap_steer_tun_queue(struct vtap_steer *s);

/*
 * Record, after an attach (@prog_id: the instance attached, 0 for the
 * pinned program or none), the counters vtap_steer__attached() compares.
 */
void vtap_steer_attach_record(const struct vtap_steer *s, uint32_t prog_id);

/* The instance the last attach recorded (0: the pinned program, none, or
 * no record). */
uint32_t vtap_steer_attach_recorded(const struct vtap_steer *s);

/* The bpffs directory the pins of all namespaces live under
 * (BPFFS/vtap), without making it. Return: 0 or -errno. */
int vtap_steer_pins_root(char *buf, size_t size);

/* Whether link @ifindex of the caller's namespace has pinned steering
 * state that is its own (the token matches). */
bool vtap_steer_pins_present(int ifindex);

/* Whether the pins of @s's link are still the maps @s has open (not
 * made again since). */
bool vtap_steer_pins_current(const struct vtap_steer *s);

/* ---- given by steer_record.c ---- */

/* The guard's files in a tap's run directory. */
#define VTAP_STEER_GUARD_FILE "guard"
#define VTAP_STEER_RELEASED_FILE "released"

/*
 * Whether the program instance @id is alive (attached: the tap holds the
 * only reference). Without the right to look (not root) it says true.
 */
bool vtap_steer_instance_live(uint32_t id);

/*
 * The guard's record of link @ifindex: re-attachments counted and whether
 * the tap was handed back. Return: 0 or -errno (no run directory: zeros).
 */
int vtap_steer_guard_info(int ifindex, uint64_t *ret_reattached,
			  bool *ret_released);

#endif /* VTAP_STEER_GUARD_H */
