// SPDX-License-Identifier: MIT
/*
 * offload.c - what software work a frame needs for its destination, and
 * the names of the offload groups (with their TUN_F_* bits)
 *
 * The destination's offloads are what it accepts: towards a consumer, what
 * it negotiated; towards a tap, everything (the kernel's write path takes
 * any GSO type and NEEDS_CSUM whatever TUNSETOFFLOAD said, since those
 * flags only describe what the tap hands to its reader). TSO bits without
 * CSUM count as no TSO, as tun_set_offload() ignores them then.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "dev_impl.h"
#include "internal.h"

static const char *const plan_names[] = {
	[VTAP_PLAN_PASS] = "pass",
	[VTAP_PLAN_CSUM] = "csum",
	[VTAP_PLAN_SEGMENT] = "segment",
	[VTAP_PLAN_DROP] = "drop",
};
_Static_assert(ARRAY_SIZE(plan_names) == VTAP_PLAN__COUNT,
	       "every plan has a name");

const char *vtap_offload_plan__name(enum vtap_offload_plan plan)
{
	if ((unsigned int)plan >= VTAP_PLAN__COUNT)
		return NULL;
	return plan_names[plan];
}

static enum vtap_offload_plan drop(enum vtap_drop_reason reason,
				   enum vtap_drop_reason *ret_reason)
{
	if (ret_reason)
		*ret_reason = reason;
	return VTAP_PLAN_DROP;
}

enum vtap_offload_plan vtap_offload__plan(const struct vtap_vnet_hdr *h,
					  uint32_t offloads,
					  enum vtap_drop_reason *ret_reason)
{
	const bool csum = offloads & VTAP_OFFLOAD_CSUM;
	const bool ecn = h->gso_type & VTAP_VNET_GSO_ECN;
	const uint8_t tunnel = h->gso_type & VTAP_VNET_GSO_UDP_TUNNEL;
	uint32_t need;

	if (tunnel == VTAP_VNET_GSO_UDP_TUNNEL)
		return drop(VTAP_DROP_GSO_TYPE, ret_reason);
	switch (h->gso_type & ~(VTAP_VNET_GSO_ECN | VTAP_VNET_GSO_UDP_TUNNEL)) {
	case VTAP_VNET_GSO_NONE:
		if (ecn || tunnel)
			return drop(VTAP_DROP_GSO_TYPE, ret_reason);
		if ((h->flags & VTAP_VNET_F_NEEDS_CSUM) && !csum)
			return VTAP_PLAN_CSUM;
		return VTAP_PLAN_PASS;
	case VTAP_VNET_GSO_TCPV4:
		need = VTAP_OFFLOAD_TSO4;
		break;
	case VTAP_VNET_GSO_TCPV6:
		need = VTAP_OFFLOAD_TSO6;
		break;
	case VTAP_VNET_GSO_UDP_L4:
		if (ecn)
			return drop(VTAP_DROP_GSO_TYPE, ret_reason);
		need = VTAP_OFFLOAD_USO;
		break;
	case VTAP_VNET_GSO_UDP:
		/* UFO: no offload bit names it any more (Linux dropped UFO
		 * from TUNSETOFFLOAD in 4.14); fragment it in software. */
		if (ecn || tunnel)
			return drop(VTAP_DROP_GSO_TYPE, ret_reason);
		return VTAP_PLAN_SEGMENT;
	default:
		return drop(VTAP_DROP_GSO_TYPE, ret_reason);
	}
	if (ecn)
		need |= VTAP_OFFLOAD_TSO_ECN;
	if (tunnel)
		need |= VTAP_OFFLOAD_UDP_TUNNEL |
			(h->flags & VTAP_VNET_F_UDP_TUNNEL_CSUM
				 ? VTAP_OFFLOAD_UDP_TUNNEL_CSUM
				 : 0);
	if (csum && (offloads & need) == need)
		return VTAP_PLAN_PASS;
	return VTAP_PLAN_SEGMENT;
}

/* ------------------------------------------------------------------ */
/* offload names and tun's TUN_F_* bits                               */
/* ------------------------------------------------------------------ */

static const struct {
	uint32_t bit;
	const char *name;
	unsigned int tun;
} offload_map[] = {
	{VTAP_OFFLOAD_CSUM, "csum", TUN_F_CSUM},
	{VTAP_OFFLOAD_TSO4, "tso4", TUN_F_TSO4},
	{VTAP_OFFLOAD_TSO6, "tso6", TUN_F_TSO6},
	{VTAP_OFFLOAD_TSO_ECN, "tso_ecn", TUN_F_TSO_ECN},
	{VTAP_OFFLOAD_USO, "uso", TUN_F_USO4 | TUN_F_USO6},
	{VTAP_OFFLOAD_UDP_TUNNEL, "udp_tunnel", TUN_F_UDP_TUNNEL_GSO},
	{VTAP_OFFLOAD_UDP_TUNNEL_CSUM, "udp_tunnel_csum",
	 TUN_F_UDP_TUNNEL_GSO_CSUM},
};

static_assert(VTAP_OFFLOAD_ALL == (1u << 7) - 1,
	      "offload_map covers every VTAP_OFFLOAD_* bit");

unsigned int vtap_offloads_to_tun(uint32_t offloads)
{
	unsigned int tun = 0;

	for (size_t i = 0; i < ARRAY_SIZE(offload_map); i++)
		if (offloads & offload_map[i].bit)
			tun |= offload_map[i].tun;
	return tun;
}

uint32_t vtap_offloads_from_tun(unsigned int tun)
{
	uint32_t off = 0;

	for (size_t i = 0; i < ARRAY_SIZE(offload_map); i++)
		if ((tun & offload_map[i].tun) == offload_map[i].tun)
			off |= offload_map[i].bit;
	return off;
}

const char *vtap_offload__name(uint32_t bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(offload_map); i++)
		if (offload_map[i].bit == bit)
			return offload_map[i].name;
	return NULL;
}

int vtap_offloads__parse(const char *list, uint32_t *ret)
{
	uint32_t off = 0;
	const char *p = list;

	if (!list || !ret || !*list)
		return vtap_err(-EINVAL);
	if (!strcmp(list, "all")) {
		*ret = VTAP_OFFLOAD_ALL;
		return 0;
	}
	if (!strcmp(list, "none")) {
		*ret = 0;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(offload_map); i++) {
			if (strlen(offload_map[i].name) == n &&
			    !strncmp(p, offload_map[i].name, n)) {
				off |= offload_map[i].bit;
				found = true;
			}
		}
		if (!found) {
			pr_warn("unknown offload '%.*s'\n", (int)n, p);
			return vtap_err(-EINVAL);
		}
		p += n;
		if (*p == ',' && *++p == '\0')
			return vtap_err(-EINVAL);
	}
	*ret = off;
	return 0;
}

char *vtap_offloads__format(uint32_t offloads, char *buf, size_t size)
{
	size_t n = 0;

	if (!buf || !size)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(offload_map); i++) {
		if (!(offloads & offload_map[i].bit))
			continue;
		n += snprintf(buf + n, n < size ? size - n : 0, "%s%s",
			      n ? "," : "", offload_map[i].name);
	}
	if (!n)
		snprintf(buf, size, "none");
	return buf;
}
