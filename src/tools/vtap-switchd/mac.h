/* SPDX-License-Identifier: MIT */
/*
 * mac.h - the switch's MAC learning table, with aging
 *
 * Readers (every worker, every frame) take no lock; writers (learning a
 * new address or a move, refreshing an entry at most once a second,
 * flushes) take a per-bucket seqlock. See mac.c for the theory of
 * operation.
 */
#ifndef VTAP_SWITCHD_MAC_H
#define VTAP_SWITCHD_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct sw_mac_table;

/**
 * struct sw_mac_entry - one learned address, as dumped
 * @mac: the address
 * @vid: VLAN id
 * @port: port index it was learned on
 * @age_ms: milliseconds since it was last seen
 */
struct sw_mac_entry {
	uint8_t mac[6];
	uint16_t vid;
	uint16_t port;
	uint64_t age_ms;
};

/* Create a table of 2^@log2_buckets buckets (3 entries each). */
struct sw_mac_table *sw_mac__new(unsigned int log2_buckets, uint64_t aging_ms);
void sw_mac__free(struct sw_mac_table *t);

/* Change the aging time. */
void sw_mac__set_aging(struct sw_mac_table *t, uint64_t aging_ms);

/*
 * Learn that @mac on VLAN @vid was seen on @port at @now_ms. Cheap when
 * nothing changes (a lock-free lookup). When the bucket is full the
 * oldest entry is replaced. Return: true if the table changed (new
 * address, moved, or refreshed).
 */
bool sw_mac__learn(struct sw_mac_table *t, const uint8_t mac[6], uint16_t vid,
		   uint16_t port, uint64_t now_ms);

/* The port of @mac/@vid, or -1 when unknown or aged out. Lock-free. */
int sw_mac__lookup(const struct sw_mac_table *t, const uint8_t mac[6],
		   uint16_t vid, uint64_t now_ms);

/* Forget every address learned on @port; return how many. */
unsigned int sw_mac__flush_port(struct sw_mac_table *t, uint16_t port);

/* Forget the entries older than the aging time; return how many. */
unsigned int sw_mac__expire(struct sw_mac_table *t, uint64_t now_ms);

/*
 * Limit the entries learned on @port to @limit (0 = no limit) and zero its
 * refused counter (a port index is reused by the next port added). An
 * address new to the table, or moving to @port, is not learned while @port
 * holds @limit entries: its frames are flooded as unknown, and the refusal
 * is counted.
 */
void sw_mac__set_limit(struct sw_mac_table *t, uint16_t port, uint32_t limit);

/* Entries @port holds now, and addresses refused by its limit so far. */
uint32_t sw_mac__count(const struct sw_mac_table *t, uint16_t port);
uint64_t sw_mac__refused(const struct sw_mac_table *t, uint16_t port);

/*
 * Copy up to @max live entries into @out. Return: the number of live
 * entries (may exceed @max).
 */
size_t sw_mac__dump(const struct sw_mac_table *t, uint64_t now_ms,
		    struct sw_mac_entry *out, size_t max);

#endif /* VTAP_SWITCHD_MAC_H */
