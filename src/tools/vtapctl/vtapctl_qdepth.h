/* SPDX-License-Identifier: MIT */
/*
 * vtapctl_qdepth.h - queue depth and budget helpers of vtapctl (qdepth.c),
 * used by dev add/set/show and stats
 */
#ifndef VTAPCTL_QDEPTH_H
#define VTAPCTL_QDEPTH_H

#include <stdbool.h>
#include <stdint.h>

struct vtap_qdepth_opts;

/*
 * Parse BYTES: decimal, optionally with K, M, G or T (powers of 1024).
 * Return: 0, -EINVAL or -ERANGE.
 */
int vtapctl_parse_bytes(const char *s, uint64_t *ret);

/*
 * Parse `qlen N` or `budget BYTES` (and `budget off` with @allow_off) of
 * command @cmd into @opts; a second setting is a usage error.
 * Return: 0, or the usage exit code after printing the error.
 */
int vtapctl_qdepth_arg(const char *cmd, const char *word, const char *value,
		       bool allow_off, struct vtap_qdepth_opts *opts);

/*
 * After a setting applied to @name: a note on stderr when the floor won
 * over the budget; in JSON mode the depth members of the open object.
 * Return: 0, or exit code 1 after printing the error.
 */
int vtapctl_qdepth_done(const char *name);

/* vtapctl dev set NAME qlen N | budget BYTES | budget off */
int vtapctl_dev_set(int argc, char **argv);

/* dev show: the depth, budget and worst case of @name (members). */
void vtapctl_show_qdepth(const char *name);

/* stats: the link's tx_dropped, named for what it is (a member). */
void vtapctl_pr_queue_full_drops(const char *name);

#endif /* VTAPCTL_QDEPTH_H */
