/* SPDX-License-Identifier: MIT */
/*
 * vtapctl.h - the objects of vtapctl; one file each (hash.c, dev.c, ...)
 *
 * Each cmd_OBJECT() gets the arguments after the object's name and returns
 * the process exit code: 0 success, 1 failure, 2 usage.
 */
#ifndef VTAPCTL_H
#define VTAPCTL_H

#include <stdint.h>

struct vtap_dev_features;

int cmd_hash(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_offload(int argc, char **argv);
int cmd_rss(int argc, char **argv);
int cmd_flow(int argc, char **argv);
int cmd_steer(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_switch(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/* Helpers of the device objects (dev.c), shared with offload.c and stats.c. */

/* Keep the library's last warning, to name the reason in an error line. */
void vtapctl_capture_log(void);
/* The library's last warning (without its "vtap: " prefix), or "". */
const char *vtapctl_lib_reason(void);
/* Print a one-line error "WHAT 'NAME': cause (hint)"; return exit code 1. */
int vtapctl_dev_err(const char *what, const char *name, int err);
/* Print the probed kernel features as the "features" object. */
void vtapctl_show_features(const struct vtap_dev_features *f);
/*
 * Print a VTAP_OFFLOAD_* mask: text "csum,tso4" through @fmt, JSON an
 * array of names under @key.
 */
void vtapctl_pr_offloads(const char *key, const char *fmt, uint32_t mask);

#endif /* VTAPCTL_H */
