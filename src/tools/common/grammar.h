/* SPDX-License-Identifier: MIT */
/*
 * grammar.h - vtapctl's grammar in one place
 *
 * One table lists every object, its commands with their iproute2-style
 * aliases (show/list/ls, del/delete), how each command names its device,
 * its keywords with their accepted spellings (vnet_hdr and vnet-hdr,
 * user for owner, ethtool's flow words) and the kind of value each takes.
 * From it:
 * - gr_normalize() rewrites a command line into the one form the object
 *   files parse, before dispatch: a bare device name or `dev NAME`
 *   wherever a device goes, verb aliases, keyword spellings, ethtool
 *   aliases (`flow-type tcp4 src-ip A dst-port P action Q loc N`,
 *   `equal N`, `weight W,...`), list values with '-' for '_'; it rejects
 *   stray words after commands that take none and hash types that do not
 *   exist (naming the valid ones);
 * - gr_complete() answers the bash completion (`vtapctl __complete`);
 * - usage errors name the object's help (`vtapctl rss help`).
 */
#ifndef VTAP_GRAMMAR_H
#define VTAP_GRAMMAR_H

/*
 * Normalise @argv[0..@argc) (OBJECT COMMAND ARGS..., after the global
 * options) into a new vector. The strings are @argv's or static ones; the
 * vector is allocated once and lives until exit.
 * Return: 0 with @ret_argc/@ret_argv set, or EXIT_USAGE after printing a
 * usage error.
 */
int gr_normalize(int argc, char **argv, int *ret_argc, char ***ret_argv);

/*
 * Print the words that may follow @argv[0..@argc) (the words before the
 * one being completed), one per line: objects, commands, keywords, values
 * of enumerated keywords, tun/tap device names where a device goes.
 */
void gr_complete(int argc, char **argv);

/*
 * The object a usage error is about ("rss"), or NULL: usage_err() then
 * points to `vtapctl OBJECT help` instead of `vtapctl help`.
 */
void gr_set_object(const char *object);
const char *gr_object(void);

#endif /* VTAP_GRAMMAR_H */
