// SPDX-License-Identifier: MIT
/*
 * offload.c - what software work a frame needs for its destination
 *
 * The destination's offloads are what it accepts: towards a consumer, what
 * it negotiated; towards a tap, everything (the kernel's write path takes
 * any GSO type and NEEDS_CSUM whatever TUNSETOFFLOAD said, since those
 * flags only describe what the tap hands to its reader). TSO bits without
 * CSUM count as no TSO, as tun_set_offload() ignores them then.
 */
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
