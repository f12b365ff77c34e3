// SPDX-License-Identifier: MIT
/*
 * fuzz_vnet.c - libFuzzer target for the vnet header codec and checks
 *
 * Input: a 12-byte virtio_net_hdr_v1 (little-endian), then the frame. The
 * first 20 bytes are also decoded as 10-, 12- and 20-byte headers for the
 * codec round trip. The frame is checked in TAP mode (Ethernet) and TUN
 * mode (bare IP).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtap/vtap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const uint8_t *data, size_t size, size_t hdr_size)
{
	struct vtap_vnet_hdr h;
	uint8_t out[VTAP_VNET_HDR_HASH_LEN];

	if (size < hdr_size)
		return;
	if (vtap_vnet__decode(data, hdr_size, &h) < 0)
		abort();
	if (vtap_vnet__encode(&h, out, hdr_size) < 0)
		abort();
	/* Every byte a field covers comes back; the padding is zero. */
	if (memcmp(out, data, hdr_size < 18 ? hdr_size : 18))
		abort();
	if (hdr_size == 20 && (out[18] || out[19]))
		abort();
}

static void check(const struct vtap_vnet_hdr *h, const uint8_t *frame,
		  size_t len, unsigned int flags)
{
	enum vtap_drop_reason r = VTAP_DROP__COUNT;
	struct vtap_vnet_layout lo;
	int err;

	err = vtap_vnet__check_frame(h, frame, len, flags, &lo, &r);
	if (err) {
		if (r >= VTAP_DROP__COUNT || !vtap_drop_reason__name(r))
			abort();
		return;
	}
	/* What passed is what the kernel's write path takes. */
	if (h->hdr_len > len)
		abort();
	if ((h->flags & VTAP_VNET_F_NEEDS_CSUM) &&
	    (size_t)h->csum_start + h->csum_offset + 2 > len)
		abort();
	if ((h->gso_type & ~VTAP_VNET_GSO_ECN) == VTAP_VNET_GSO_NONE)
		return;
	if (!h->gso_size || lo.segs < 1)
		abort();
	/* The layout lies inside the frame and is ordered. */
	if (!(lo.l3_off < lo.l4_off && lo.l4_off < lo.hdrs_len &&
	      lo.hdrs_len <= len && lo.payload == len - lo.hdrs_len))
		abort();
	if (lo.l3 == VTAP_PKT_L3_IPV6 && (lo.ip6_src_off + 16u > lo.l4_off ||
					  lo.ip6_dst_off + 16u > lo.l4_off))
		abort();
	if ((h->flags & VTAP_VNET_F_NEEDS_CSUM) && h->csum_start != lo.l4_off)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtap_vnet_hdr h;
	const uint8_t *frame;
	size_t len;

	round_trip(data, size, VTAP_VNET_HDR_LEN);
	round_trip(data, size, VTAP_VNET_HDR_V1_LEN);
	round_trip(data, size, VTAP_VNET_HDR_HASH_LEN);
	if (size < VTAP_VNET_HDR_V1_LEN)
		return 0;
	vtap_vnet__decode(data, VTAP_VNET_HDR_V1_LEN, &h);
	frame = data + VTAP_VNET_HDR_V1_LEN;
	len = size - VTAP_VNET_HDR_V1_LEN;
	check(&h, frame, len, 0);
	check(&h, frame, len, VTAP_PKT_L3);
	{
		enum vtap_drop_reason r;

		(void)vtap_offload__plan(&h, VTAP_OFFLOAD_CSUM, &r);
		(void)vtap_vnet__check(&h, frame, len, &r);
	}
	return 0;
}
