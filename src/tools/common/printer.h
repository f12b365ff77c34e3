/* SPDX-License-Identifier: MIT */
/*
 * printer.h - one printer for text and JSON output of the tools
 *
 * Every pr_*() call names a JSON key and a text format: in JSON mode the
 * value lands in the document under the key (numbers as numbers); in text
 * mode it is printed with the format (a NULL format prints nothing). Text is
 * buffered until pr_flush(), so a command that fails half-way prints
 * nothing on stdout (pr_discard()).
 */
#ifndef VTAP_PRINTER_H
#define VTAP_PRINTER_H

#include <stdbool.h>
#include <stdint.h>

/* Select the mode; call once before any output. */
void pr_init(bool json);
/* JSON indented over several lines (vtapctl -p). */
void pr_set_pretty(bool pretty);
/* Whether the printer is in JSON mode. */
bool pr_is_json(void);

/* Open/close an object or array; @key is NULL at top level or in arrays. */
void pr_obj_begin(const char *key);
void pr_obj_end(void);
void pr_arr_begin(const char *key);
void pr_arr_end(void);

void pr_u64(const char *key, const char *fmt, uint64_t v);
void pr_i64(const char *key, const char *fmt, int64_t v);
void pr_double(const char *key, const char *fmt, double v);
void pr_str(const char *key, const char *fmt, const char *v);
void pr_bool(const char *key, const char *fmt, bool v);
void pr_null(const char *key);

/* Text only: formatted output, ignored in JSON mode. */
__attribute__((format(printf, 1, 2))) void pr_text(const char *fmt, ...);

/* Write what was printed (JSON: the document, one line) to stdout. */
int pr_flush(void);
/* Drop what was printed (used on error). */
void pr_discard(void);

/*
 * Report an error: "PROG: MESSAGE" on stderr in text mode, a JSON object
 * {"error": MESSAGE} on stderr in JSON mode. Discards pending output.
 */
__attribute__((format(printf, 1, 2))) void pr_err(const char *fmt, ...);

/* The program name used in errors (default "vtapctl"). */
void pr_set_prog(const char *prog);

#endif /* VTAP_PRINTER_H */
