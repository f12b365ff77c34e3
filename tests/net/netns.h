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

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "vtap/vtap.h"

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

/* Milliseconds on the monotonic clock (for test deadlines). */
uint64_t nt_now_ms(void);

/*
 * Open tap @ifname with vtap_dev__open() and register it for deletion at
 * exit. Return: the device, or NULL after printing why.
 */
struct vtap_dev *nt_dev_open(const char *ifname,
			     const struct vtap_dev_opts *opts);

/*
 * Fill @ss with the address of host @host on test network @net, the
 * addressing nt_link_into_ns() uses: 10.@net.0.@host or fd@net::@host
 * (@v6), port @port. Host 0 is the wildcard address (for bind()).
 * Return: the address length to pass with it.
 */
socklen_t nt_sockaddr(struct sockaddr_storage *ss, bool v6, int net, int host,
		      uint16_t port);

/*
 * Move host link @ifname into namespace @ns and give it MAC
 * @mac_prefix:01, 10.@net.0.1/24 and fd@net::1/64 (no DAD); bring it up
 * and add static neighbours 10.@net.0.2 and fd@net::2 with MAC
 * @mac_prefix:02, so traffic to them from @ns leaves through the link.
 * @mac_prefix is the first five bytes, e.g. "02:00:00:00:00".
 * Return: 0 or -1.
 */
int nt_link_into_ns(const char *ifname, const char *ns, int net,
		    const char *mac_prefix);

/*
 * The same for the tap of libvtap handle @dev, moved with
 * vtap_dev__set_netns(): the handle's counters follow it, so vtapctl run
 * in @ns finds them. Return: 0 or -1.
 */
int nt_dev_into_ns(struct vtap_dev *dev, const char *ns, int net,
		   const char *mac_prefix);

/*
 * Poll the fds of the first @n queues of @dev (at most @n entries of @pfd,
 * indexed by queue id) for input, for up to @timeout_ms milliseconds.
 * Return: poll()'s result: how many queues are readable, 0 or -1.
 */
int nt_poll_queues(struct vtap_dev *dev, struct pollfd *pfd, int n,
		   int timeout_ms);

/*
 * Run @fn in a child as @uid/@gid (no supplementary groups), in the
 * calling thread's network namespace. /dev/net/tun may be 0600 on the
 * host: the child gets, in its own mount namespace, a 0666 node of the
 * same device, as distributions ship it; the host is untouched.
 * Return: @fn's result (0-99 by convention), 100 or 101 when the child
 * could not become @uid/@gid or make the node, 200 when it did not exit,
 * -1 when it could not be started.
 */
int nt_as_user(uid_t uid, gid_t gid, int (*fn)(void));

/* Run the registered cleanups now (also runs at exit). */
void nt_cleanup(void);

#endif /* VTAP_TEST_NETNS_H */
