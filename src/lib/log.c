// SPDX-License-Identifier: MIT
/*
 * log.c - the library's only global state: the log callback
 *
 * The library never prints. Modules call pr_warn()/pr_info()/pr_debug(),
 * which format through the callback installed with vtap_set_log(), if any.
 */
#include <stdarg.h>

#include "internal.h"

static vtap_log_fn log_fn;

vtap_log_fn vtap_set_log(vtap_log_fn fn)
{
	vtap_log_fn old = log_fn;

	log_fn = fn;
	return old;
}

void vtap_log(enum vtap_log_level level, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	log_fn(level, fmt, ap);
	va_end(ap);
	/* Logging must never clobber the errno a caller is about to see. */
	errno = saved;
}
