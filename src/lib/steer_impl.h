/* SPDX-License-Identifier: MIT */
/*
 * steer_impl.h - internals of the steering module shared with its tests
 * and benchmark (not installed)
 */
#ifndef VTAP_STEER_IMPL_H
#define VTAP_STEER_IMPL_H

#include "internal.h"
#include "steer_maps.h"

/* The rules/automq fields of a parsed frame (as the program extracts). */
void vtap_steer_key_from_info(const struct vtap_pkt_info *info,
			      struct vtap_steer_key *ret_key);

/* The mmapped configuration map (read-only use outside steer.c). */
const struct vtap_steer_cfg *vtap_steer_cfg(const struct vtap_steer *steer);

/* The fd of a map of the program by its name ("cfg", "exact", ...). */
int vtap_steer_map_fd(const struct vtap_steer *steer, const char *name);

#endif /* VTAP_STEER_IMPL_H */
