/* SPDX-License-Identifier: MIT */
/*
 * vtapctl_steer.h - helpers shared by the steering objects of vtapctl
 * (rss.c, flow.c, steer.c)
 */
#ifndef VTAPCTL_STEER_H
#define VTAPCTL_STEER_H

#include <stdbool.h>

#include <vtap/vtap.h>

/*
 * Open the pinned steering state of device @dev. With @create, state is
 * made (pinned, chowned to the tap's owner, intended queue count @queues
 * or the one `vtapctl dev add` recorded) and attached to the device when
 * there is none. On failure prints a one-line error for @what and
 * returns NULL.
 */
struct vtap_steer *steer_cli_open(const char *what, const char *dev,
				  bool create, unsigned int queues);

/*
 * Attach the program of @s without a queue of vtapctl's own while another
 * process has one (vtap_steer__attach_borrowed()). Return: 0 or -errno.
 */
int steer_cli_attach(struct vtap_steer *s);

/* vtapctl steer guard [dev NAME] (guard.c). */
int steer_guard(int argc, char **argv);

/* Print a one-line error for a failed library call (errno @err < 0). */
void steer_cli_err(const char *what, const char *dev, int err);

/* Parse "dev NAME" at argv[0..1]; return NAME or NULL (usage error). */
const char *steer_cli_dev(int argc, char **argv);

#endif /* VTAPCTL_STEER_H */
