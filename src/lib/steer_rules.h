/* SPDX-License-Identifier: MIT */
/*
 * steer_rules.h - flow rules and the user extension (steer_rules.c), what
 * the rest of the steering module asks of them
 */
#ifndef VTAP_STEER_RULES_H
#define VTAP_STEER_RULES_H

#include "steer_priv.h"

/* Whether an extension is installed in the program array. */
bool vtap_steer_ext_present(const struct vtap_steer *s);

#endif /* VTAP_STEER_RULES_H */
