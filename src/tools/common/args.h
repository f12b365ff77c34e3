/* SPDX-License-Identifier: MIT */
/*
 * args.h - argument parsing for the tools' ip/bpftool-style grammar
 */
#ifndef VTAP_ARGS_H
#define VTAP_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes shared by the tools. */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/*
 * Match @arg against a NULL-terminated list of words, accepting any
 * unambiguous prefix (an exact match always wins).
 * Return: the index, -1 when nothing matches, -2 when ambiguous.
 */
int arg_match(const char *arg, const char *const *words);

/* Whether @arg is a non-empty prefix of @word. */
bool arg_is(const char *arg, const char *word);

/* Parse a decimal (or 0x hex) unsigned number no larger than @max. */
int arg_u32(const char *s, uint32_t max, uint32_t *ret);
int arg_u64(const char *s, uint64_t max, uint64_t *ret);

/*
 * Parse hex bytes: "6d5a56da...", "6d:5a:56:da..." or with a 0x prefix.
 * Return: 0, -EINVAL (not hex / odd digits), -E2BIG (more than @max bytes).
 */
int arg_hex(const char *s, uint8_t *buf, size_t max, size_t *ret_len);

/*
 * Parse a comma list of unsigned numbers (each <= @max) into @out.
 * Return: the count, -EINVAL, or -E2BIG when more than @max_n.
 */
int arg_u16_list(const char *s, uint16_t max, uint16_t *out, size_t max_n);

/*
 * Whether a `table` value is a lone number (digits only): a queue count,
 * `table N` being `table equal N` in hash and rss set alike, where a list
 * of two or more numbers is the table itself.
 */
bool table_is_count(const char *s);

/*
 * A hint for the usual cause of an errno in a tool, or "" (the text starts
 * with " (" and ends with ")" when not empty).
 */
const char *err_hint(int err);

/*
 * Where to load a BPF object named on the command line from: @name itself
 * when it holds a '/' or exists, else VTAP_BPF_OBJ_DIR/@name (the objects
 * installed with vtap) when that exists, else @name.
 * Return: @name or @buf.
 */
const char *arg_bpf_obj(const char *name, char *buf, size_t size);

/*
 * Print a usage error ("vtapctl: MESSAGE; see 'vtapctl OBJECT help'", or
 * 'vtapctl help' before an object is known) and return 2.
 */
__attribute__((format(printf, 1, 2))) int usage_err(const char *fmt, ...);

#endif /* VTAP_ARGS_H */
