/* SPDX-License-Identifier: MIT */
/*
 * steer_impl.h - internals of the steering module shared with its tests
 * and benchmark (not installed)
 */
#ifndef VTAP_STEER_IMPL_H
#define VTAP_STEER_IMPL_H

#include "internal.h"
#include "steer_maps.h"

/* The rules/automq fields of a parsed frame (as the program extracts). */
void vtap_steer_key_from_info(const struct vtap_pkt_info *info,
			      struct vtap_steer_key *ret_key);

/*
 * The head of a configuration slot (struct vtap_steer_slot up to its
 * rules): the same fields at the same offsets.
 */
struct vtap_steer_slot_head {
	__u32 flags;
	__u32 hash_types;
	__u16 table_mask;
	__u16 unclassified;
	__u16 nrules;
	__u16 automq_queues;
	__u16 table[VTAP_STEER_TABLE_MAX];
	__u8 key[VTAP_STEER_KEY_MAX];
	__u32 key_len;
};

_Static_assert(sizeof(struct vtap_steer_slot_head) ==
		       offsetof(struct vtap_steer_slot, rules),
	       "slot head");
_Static_assert(offsetof(struct vtap_steer_slot_head, key_len) ==
		       offsetof(struct vtap_steer_slot, key_len),
	       "slot head");
_Static_assert(offsetof(struct vtap_steer_slot_head, table) ==
		       offsetof(struct vtap_steer_slot, table),
	       "slot head");

/*
 * A validated copy of the configuration map: its header and the head of
 * the active slot (vtap_steer_cfg_read()). Nothing else of the map is
 * read by user space.
 */
struct vtap_steer_view {
	uint64_t generation;
	uint64_t flip_ns;
	uint32_t active; /* 0 or 1 */
	uint32_t intended_queues;
	uint32_t cur_queues;
	uint32_t next_rule_id;
	uint32_t rss_on_intent;
	uint32_t ifindex;
	struct vtap_steer_intent intent;
	struct vtap_steer_slot_head slot;
};

/**
 * vtap_steer_cfg_read() - copy the configuration map out and validate it
 * @cfg: the mmapped map; its owner may write anything into it at any time
 * @name: the tap's name, for the message naming a corrupt configuration
 * @ret_view: the header and the active slot's head, copied
 * @ret_rules: NULL, or room for VTAP_STEER_RULES_MAX masked rules: the
 *	active slot's rules are copied and checked too
 * @tables: NULL, or VTAP_STEER_INPUT_MAX * 256 words of scratch: the slot's
 *	Toeplitz tables (which only the program reads) are checked against
 *	its key
 *
 * The one reader of owner-writable steering memory: every user-space
 * reader (tools, the hash reporting path, the C twin, the table builder,
 * the writers) uses the copy this returns and never the map. The copy is
 * consistent (taken between two equal generation counts) and every field
 * is within its array and the design's bounds (key length 1..52, rule
 * count <= 256, table length a power of two <= 128, intent lengths <=
 * their arrays, queue counts and indices <= 256, last flip not in the
 * future by more than the grace period).
 *
 * Return: 0; -EUCLEAN (logged, naming @name and the field) when a field is
 * out of bounds; -EAGAIN when writers kept changing it.
 */
int vtap_steer_cfg_read(const struct vtap_steer_cfg *cfg, const char *name,
			struct vtap_steer_view *ret_view,
			struct vtap_steer_mrule *ret_rules,
			uint32_t (*tables)[256]);

/* The mmapped configuration map (read only through vtap_steer_cfg_read()). */
const struct vtap_steer_cfg *vtap_steer_cfg(const struct vtap_steer *steer);

/* The fd of a map of the program by its name ("cfg", "exact", ...). */
int vtap_steer_map_fd(const struct vtap_steer *steer, const char *name);

/*
 * The hub's link to a handle (dev_steer.c): a device that steers with
 * @steer binds it, and the handle calls @fn(@steer, @ctx) when it closes
 * so that the device forgets it. One binding per handle: -EBUSY when
 * bound to another. vtap_steer_bound() returns the binding's @ctx or
 * NULL; vtap_steer_unbind() drops it (without calling @fn).
 */
typedef void (*vtap_steer_release_fn)(struct vtap_steer *steer, void *ctx);
int vtap_steer_bind(struct vtap_steer *steer, vtap_steer_release_fn fn,
		    void *ctx);
void *vtap_steer_bound(const struct vtap_steer *steer);
void vtap_steer_unbind(struct vtap_steer *steer);

/*
 * The device bound to @steer closed its last queue (its queue hook's
 * VTAP_DEV_EV_CLOSED): build the table in effect again for what no handle
 * here manages, the queues the kernel still has attached or, with none,
 * every intended queue, so the next opener (libvtap or not) gets the
 * intent. Return: 0 or -errno.
 */
int vtap_steer_queues_released(struct vtap_steer *steer);

#endif /* VTAP_STEER_IMPL_H */
