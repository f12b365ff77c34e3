/* SPDX-License-Identifier: MIT */
/*
 * config.h - vtap-switchd configuration: the INI file and --port specs
 *
 * Pure code (no syscalls but in swcfg_load()), unit tested and fuzzed.
 */
#ifndef VTAP_SWITCHD_CONFIG_H
#define VTAP_SWITCHD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_PORTS_MAX 64
#define SW_WORKERS_MAX 64
#define SW_QUEUES_MAX 256
#define SW_IFNAMSIZ 16
#define SW_NETNS_MAX 64
#define SW_PATH_MAX 108 /* sun_path */
#define SW_VID_MAX 4094
#define SW_MAC_LIMIT_MAX 1000000

enum sw_vlan_mode {
	SW_VLAN_ACCESS = 0, /* untagged frames, one VLAN (default VLAN 1) */
	SW_VLAN_TRUNK, /* tagged frames of the allowed VLANs */
	SW_VLAN__COUNT,
};

/**
 * struct sw_port_config - one port as configured
 * @name: tap name
 * @queues: queue count (0 = one per worker)
 * @netns: network namespace name (/run/netns/NAME) to move the tap into,
 *	or "" to leave it where it is
 * @mode: enum sw_vlan_mode
 * @vid: ACCESS: the port's VLAN; TRUNK: the native VLAN whose frames go
 *	untagged (0 = none: untagged frames are dropped)
 * @allowed: TRUNK: bitmap of the allowed VLAN ids
 * @offloads: VTAP_OFFLOAD_* to set on the tap when @offloads_set (else
 *	csum, tso4, tso6, tso_ecn and uso where the kernel has it)
 * @offloads_set: @offloads was given ("offloads = LIST")
 * @gro: coalesce segments written to the tap: 1 yes, 0 no, -1 (default)
 *	where the tap's offloads include TSO
 * @napi: open the tap's queues with IFF_NAPI (the kernel's GRO on writes)
 * @mac_limit: most MAC addresses learned on the port (0 = no limit)
 */
struct sw_port_config {
	char name[SW_IFNAMSIZ];
	uint16_t queues;
	char netns[SW_NETNS_MAX];
	uint8_t mode;
	uint16_t vid;
	uint64_t allowed[4096 / 64];
	uint32_t offloads;
	bool offloads_set;
	int8_t gro;
	bool napi;
	uint32_t mac_limit;
};

/**
 * struct sw_config - the whole configuration
 * @workers: worker threads (0 = the largest port queue count, or 1)
 * @control: control socket path
 * @control_mode: its permission bits (default 0600)
 * @aging_s: MAC address aging time in seconds
 * @pin: pin worker i to CPU cpus[i % n_cpus] (main.c fills @cpus with the
 *	 usable CPUs when the file gives none)
 * @cpus: CPU list for pinning
 * @n_cpus: entries in @cpus
 * @io_uring: receive through io_uring (vtap_queue__set_rx_uring()):
 *	 -1 (auto, the default) where the kernel has it, 1 yes (a port whose
 *	 queues cannot fails), 0 no (one read() a frame)
 * @busy_poll_us: after a round that moved frames, a worker keeps polling
 *	 its queues (epoll_wait() with a zero timeout) for up to this many
 *	 microseconds of no frames before it sleeps; 0 (the default) = off,
 *	 at most SW_BUSY_POLL_MAX
 * @ports: the ports
 * @n_ports: entries in @ports
 */
struct sw_config {
	uint16_t workers;
	char control[SW_PATH_MAX];
	uint32_t control_mode;
	uint32_t aging_s;
	bool pin;
	uint16_t cpus[SW_WORKERS_MAX];
	uint16_t n_cpus;
	int8_t io_uring;
	uint32_t busy_poll_us;
	struct sw_port_config ports[SW_PORTS_MAX];
	uint16_t n_ports;
};

#define SW_CONTROL_DEFAULT "/run/vtap-switchd.sock"
#define SW_AGING_DEFAULT 300
/* The longest busy-poll window: a worker never spins longer than this. */
#define SW_BUSY_POLL_MAX 1000

/* Fill @cfg with defaults and no ports. */
void swcfg_init(struct sw_config *cfg);

/* Defaults of a port named @name (access VLAN 1, queues 0). */
void swcfg_port_init(struct sw_port_config *pc, const char *name);

/*
 * Parse a port spec "NAME[,queues=N][,netns=NS][,vlan=VID]
 * [,trunk=LIST][,native=VID][,offloads=LIST][,gro=yes|no][,napi=yes|no]"
 * (offloads LIST: "none", "all" or names joined with '+'; LIST: VIDs and ranges "10,20-30" joined
 * with '+' or ':' since ',' separates options, e.g. trunk=10+20-30).
 * Return: 0 or -EINVAL with a message in @err.
 */
int swcfg_parse_port(struct sw_port_config *pc, const char *spec, char *err,
		     size_t errlen);

/*
 * Set one key of a port; used by the file parser and swcfg_parse_port().
 * Return: 0 or -EINVAL with a message in @err.
 */
int swcfg_port_set(struct sw_port_config *pc, const char *key,
		   const char *value, char *err, size_t errlen);

/*
 * Set one [switch] key (workers, control, control_mode, aging, pin, cpus,
 * io_uring, busy_poll, port) to @value, checked as in a file; flags go through here too.
 * Return: 0 or -EINVAL with a message in @err.
 */
int swcfg_set(struct sw_config *cfg, const char *key, const char *value,
	      char *err, size_t errlen);

/*
 * Parse configuration text (INI: "[switch]" and "[port NAME]" sections,
 * "key = value" lines, '#' or ';' comments; keys before any section belong
 * to [switch]). @text need not be NUL-terminated. Settings are applied on
 * top of what @cfg holds. Return: 0 or -EINVAL with "line N: message" in
 * @err.
 */
int swcfg_parse(struct sw_config *cfg, const char *text, size_t len, char *err,
		size_t errlen);

/*
 * Read and parse a file. Return: 0, -errno of the read, or -EINVAL; the
 * message in @err starts with "PATH: " (then "line N: ..." for a parse
 * error).
 */
int swcfg_load(struct sw_config *cfg, const char *path, char *err,
	       size_t errlen);

/*
 * Add a port or replace the one of the same name (flags override the
 * file). Return: 0 or -ENOSPC.
 */
int swcfg_add_port(struct sw_config *cfg, const struct sw_port_config *pc);

/* Whether two port configurations ask for the same port (every setting:
 * name, queues, netns, VLANs, offloads, gro, napi). */
bool swcfg_port_equal(const struct sw_port_config *a,
		      const struct sw_port_config *b);

/* Whether VLAN @vid is allowed on a trunk port. */
static inline bool swcfg_vid_allowed(const struct sw_port_config *pc,
				     uint16_t vid)
{
	return vid <= SW_VID_MAX && (pc->allowed[vid / 64] >> (vid % 64)) & 1;
}

#endif /* VTAP_SWITCHD_CONFIG_H */
