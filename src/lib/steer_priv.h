/* SPDX-License-Identifier: MIT */
/*
 * steer_priv.h - the steering handle, shared by the files of the steering
 * module (steer.c and steer_*.c); not installed, not for tests (they use
 * steer_impl.h)
 */
#ifndef VTAP_STEER_PRIV_H
#define VTAP_STEER_PRIV_H

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "steer_impl.h"

/* What the program consists of, as pinned: the file names in a pin
 * directory (vtap_steer_pin_names[]) and the handle's fds. */
enum pin_idx {
	PIN_CFG,
	PIN_AUTOMQ,
	PIN_EXACT,
	PIN_JMP,
	PIN_PKT,
	PIN_PROG,
	PIN_CONT,
	PIN_STATS,
	PIN_EXT,
	PIN__COUNT,
};

extern const char *const vtap_steer_pin_names[PIN__COUNT];

struct vtap_steer_attach_ops;

struct vtap_steer {
	char ifname[IFNAMSIZ];
	int ifindex; /* in the namespace of the opener; 0 when none */
	char dir[PATH_MAX];
	bool pinned;
	int dir_fd; /* writers' lock; -1 when not pinned */
	struct steer_bpf *skel;
	struct bpf_object *ext_obj;
	int fd[PIN__COUNT]; /* PIN_EXT unused; fds owned by the handle */
	struct vtap_steer_cfg *cfg;
	struct vtap_steer_automq *amq;
	size_t cfg_len, amq_len;
	bool tun; /* frames start at the IP header */
	/* How the program is attached to the device (steer_attach.c). */
	const struct vtap_steer_attach_ops *ops;
	/*
	 * The validated copy of the map every reader and writer works on
	 * (vtap_steer_cfg_read()), its rules, and scratch for checking the
	 * Toeplitz tables; all heap, owned by the handle.
	 */
	struct vtap_steer_view *view;
	struct vtap_steer_mrule *rules;
	uint32_t (*tables)[256];
	/* predict()'s vtap_rss for the configuration of @rss_gen. */
	struct vtap_rss *rss;
	uint64_t rss_gen;
	/* The device the handle is bound to (vtap_steer_bind()), told when
	 * the handle closes. */
	vtap_steer_release_fn release;
	void *release_ctx;
};

/* A link name that is also safe as a file name. */
static inline bool vtap_steer_ifname_ok(const char *name)
{
	return name && *name && strlen(name) < IFNAMSIZ && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

/* The hint for a refused BPF operation. */
static inline const char *vtap_steer_perm_hint(int err)
{
	return err == -EPERM || err == -EACCES
		       ? " (needs CAP_BPF and CAP_NET_ADMIN, or root)"
		       : "";
}

#endif /* VTAP_STEER_PRIV_H */
