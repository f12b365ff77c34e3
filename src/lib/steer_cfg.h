/* SPDX-License-Identifier: MIT */
/*
 * steer_cfg.h - the steering configuration map's one writer (steer_cfg.c):
 * the slot writer and the table builder, for the other files of the
 * steering module (the validated copy itself is in steer_impl.h)
 */
#ifndef VTAP_STEER_CFG_H
#define VTAP_STEER_CFG_H

#include "steer_priv.h"

/* Read the map into the handle's view (and its rules, when @rules). */
int vtap_steer_read_view(const struct vtap_steer *s, bool rules);

/*
 * A change of the configuration: vtap_steer_slot_begin() locks, reads the
 * validated copy into s->view and s->rules and waits out the grace period;
 * the caller changes the copy; vtap_steer_slot_commit() writes it into the
 * inactive slot and publishes it, vtap_steer_slot_abort() drops it. Both
 * unlock. Return: 0 or a negative errno (nothing locked then).
 */
int vtap_steer_slot_begin(struct vtap_steer *s);
int vtap_steer_slot_commit(struct vtap_steer *s);
void vtap_steer_slot_abort(struct vtap_steer *s);

/* The indirection table in effect for @in and @nq queues, into @slot. */
void vtap_steer_build_table(const struct vtap_steer_intent *in, unsigned int nq,
			    struct vtap_steer_slot_head *slot);
/* The slot's Toeplitz key. */
void vtap_steer_set_key(struct vtap_steer_slot_head *slot, const uint8_t *key,
			size_t key_len);
/* Initialise a fresh cfg map: automq on, default RSS settings kept off. */
int vtap_steer_init_cfg(struct vtap_steer *s, unsigned int queues, bool tun);

#endif /* VTAP_STEER_CFG_H */
