/* SPDX-License-Identifier: MIT */
/*
 * netns.h - helpers for tests that use real taps in network namespaces
 *
 * Every namespace, link and process a test makes through these helpers is
 * registered and removed at exit, on a failed assertion (cmocka longjmps,
 * atexit still runs) and on SIGINT/SIGTERM.
 */
#ifndef VTAP_TEST_NETNS_H
#define VTAP_TEST_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit code meson reads as "skipped". */
#define NT_SKIP 77

/*
 * Exit with 77 and a reason on stderr unless running as root with
 * /dev/net/tun and `ip netns` available.
 */
void nt_require_root(void);

/* Make a unique name "vt<tag><pid>" (at most 15 chars) for a link or ns. */
void nt_name(char *buf, size_t size, const char *tag);

/*
 * Create a network namespace called @name (lo up) and register it for
 * cleanup. Return: 0 or -1.
 */
int nt_ns_add(const char *name);

/* Register a host link for deletion at exit (e.g. a persistent tap). */
void nt_link_cleanup(const char *ifname);

/* Run a shell command; return its exit status (or -1). */
__attribute__((format(printf, 1, 2))) int nt_sh(const char *fmt, ...);

/* Run a shell command and capture up to @size-1 bytes of stdout in @out. */
__attribute__((format(printf, 3, 4))) int nt_sh_out(char *out, size_t size,
						    const char *fmt, ...);

/*
 * Start a shell command in the background inside namespace @ns; it is
 * killed at exit unless reaped with nt_wait(). Return: pid or -1.
 */
__attribute__((format(printf, 2, 3))) pid_t nt_spawn(const char *ns,
						     const char *fmt, ...);

/* Wait for a spawned process; return its exit status (or -1). */
int nt_wait(pid_t pid);

/*
 * Switch the calling thread into namespace @ns (NULL: back to the one the
 * process started in). Return: 0 or -1.
 */
int nt_enter(const char *ns);

/* Run the registered cleanups now (also runs at exit). */
void nt_cleanup(void);

#endif /* VTAP_TEST_NETNS_H */
