/* SPDX-License-Identifier: MIT */
/*
 * internal.h - helpers shared by the library's modules (not installed)
 */
#ifndef VTAP_INTERNAL_H
#define VTAP_INTERNAL_H

#include <errno.h>
#include <stddef.h>

#include "vtap/vtap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Size of an options struct the caller knows, for libbpf-style opts. */
#define OPTS_VALID(opts, type) \
	(!(opts) || ((opts)->sz >= offsetof(type, sz) + sizeof((opts)->sz)))
/* Whether the caller's opts struct is long enough to hold @field. */
#define OPTS_HAS(opts, field)                                           \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + \
					 sizeof((opts)->field))
/* @field of @opts, or @fallback when the caller's struct predates it. */
#define OPTS_GET(opts, field, fallback) \
	(OPTS_HAS(opts, field) ? (opts)->field : (fallback))

__attribute__((format(printf, 2, 3))) void vtap_log(enum vtap_log_level level,
						    const char *fmt, ...);

#define pr_warn(fmt, ...) vtap_log(VTAP_LOG_WARN, "vtap: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) vtap_log(VTAP_LOG_INFO, "vtap: " fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) vtap_log(VTAP_LOG_DEBUG, "vtap: " fmt, ##__VA_ARGS__)

/* IPv6 extension headers vtap_pkt_parse_ext() walked over, by type. */
#define VTAP_PKT_EXT_HOP (1u << 0)
#define VTAP_PKT_EXT_ROUTING (1u << 1)
#define VTAP_PKT_EXT_FRAG (1u << 2)
#define VTAP_PKT_EXT_DST (1u << 3)
#define VTAP_PKT_EXT_AH (1u << 4)

/*
 * vtap_pkt__parse() that also says which IPv6 extension headers it walked
 * over (VTAP_PKT_EXT_* in *@ret_ext; 0 for IPv4 or no IP), for the
 * coalescer, which must not merge what it cannot repeat (AH, fragments).
 */
int vtap_pkt_parse_ext(const void *frame, size_t len, unsigned int flags,
		       struct vtap_pkt_info *ret_info, uint32_t *ret_ext);

/* Set errno from a negative error code and return it (for int returns). */
static inline int vtap_err(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

/* Set errno from a negative error code and return NULL (constructors). */
static inline void *vtap_err_ptr(int err)
{
	errno = err < 0 ? -err : err;
	return NULL;
}

#endif /* VTAP_INTERNAL_H */
