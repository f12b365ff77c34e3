// SPDX-License-Identifier: MIT
/*
 * fuzz_gso.c - libFuzzer target for software segmentation
 *
 * Input: a 12-byte virtio_net_hdr_v1 (little-endian), then the frame,
 * tried as Ethernet (TAP) and as bare IP (TUN). When vtap_gso__init()
 * accepts it, every segment is written into an exact-size heap buffer and
 * checked: length within headers + gso_size, payloads adding up to the
 * frame's, segment count as announced, and every checksum verified with a
 * plain byte-pair sum that shares no code with the library's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtap/vtap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 1071, the obvious way: big-endian words, odd byte padded. */
static uint32_t sum_be(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static int verifies(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* UDP tunnel GSO: the outer IP and UDP headers of a segment. */
static void check_outer(const struct vtap_vnet_hdr *h,
			const struct vtap_vnet_layout *lo, const uint8_t *b,
			size_t n)
{
	const uint8_t *ip = b + lo->outer_l3_off, *uh = b + lo->outer_th_off;
	size_t ulen = n - lo->outer_th_off;
	uint32_t s = 17 + (uint32_t)ulen;

	if (lo->outer_l3 == VTAP_PKT_L3_IPV4) {
		if (!verifies(sum_be(0, ip, (size_t)(ip[0] & 0xf) * 4)) ||
		    (size_t)(ip[2] << 8 | ip[3]) != n - lo->outer_l3_off)
			abort();
		s = sum_be(s, ip + 12, 8);
	} else {
		if ((size_t)(ip[4] << 8 | ip[5]) != n - lo->outer_l3_off - 40)
			abort();
		s = sum_be(s, ip + 8, 32);
	}
	if ((size_t)(uh[4] << 8 | uh[5]) != ulen)
		abort();
	if ((h->flags & VTAP_VNET_F_UDP_TUNNEL_CSUM) &&
	    !verifies(sum_be(s, uh, ulen)))
		abort();
}

static void check_segment(const struct vtap_vnet_hdr *h,
			  const struct vtap_vnet_layout *lo, const uint8_t *b,
			  size_t n, uint32_t seed)
{
	uint32_t s = 0;
	size_t l4_len;

	if ((h->gso_type & ~VTAP_VNET_GSO_ECN) == VTAP_VNET_GSO_NONE) {
		/* NEEDS_CSUM: the seed (the pseudo-header sum the field
		 * held) plus the completed range sums to 0xffff. Not with
		 * an odd csum_offset (accepted by the kernel, used by no
		 * protocol): the field then straddles two words. */
		if ((h->flags & VTAP_VNET_F_NEEDS_CSUM) &&
		    !(h->csum_offset & 1) &&
		    !verifies(
			    sum_be(seed, b + h->csum_start, n - h->csum_start)))
			abort();
		return;
	}
	l4_len = n - lo->l4_off;
	if (lo->l3 == VTAP_PKT_L3_IPV4) {
		const uint8_t *ip = b + lo->l3_off;

		if (!verifies(sum_be(0, ip, (size_t)(ip[0] & 0xf) * 4)))
			abort();
		if ((size_t)(ip[2] << 8 | ip[3]) != n - lo->l3_off)
			abort();
		s = sum_be(s, ip + 12, 8);
	} else {
		const uint8_t *ip = b + lo->l3_off;

		if ((size_t)(ip[4] << 8 | ip[5]) != n - lo->l3_off - 40)
			abort();
		s = sum_be(s, b + lo->ip6_src_off, 16);
		s = sum_be(s, b + lo->ip6_dst_off, 16);
	}
	s += lo->l4 == VTAP_PKT_L4_TCP ? 6 : 17;
	s += (uint32_t)l4_len;
	s = sum_be(s, b + lo->l4_off, l4_len);
	if (!verifies(s))
		abort();
	if (lo->outer_l3 != VTAP_PKT_L3_NONE)
		check_outer(h, lo, b, n);
	if (lo->l4 == VTAP_PKT_L4_UDP) {
		const uint8_t *uh = b + lo->l4_off;

		if ((size_t)(uh[4] << 8 | uh[5]) != l4_len)
			abort();
		if (!uh[6] && !uh[7])
			abort(); /* 0 is "no checksum" */
	}
}

/*
 * UFO: IP fragments. Put their payloads back together by offset: the
 * result must be the datagram (its UDP checksum completed and verifying
 * when NEEDS_CSUM), every fragment at most the rounded gso_size.
 */
static void run_ufo(const struct vtap_vnet_hdr *h,
		    const struct vtap_vnet_layout *lo, struct vtap_gso *g,
		    const uint8_t *frame, size_t len)
{
	const int v6 = lo->l3 == VTAP_PKT_L3_IPV6;
	size_t total = len - lo->l4_off, fs = h->gso_size & ~7u, got = 0;
	size_t max = vtap_gso__seg_max(g), n;
	uint8_t *buf = malloc(max), *re = calloc(1, total ? total : 1);
	uint32_t count = 0;
	int ret;

	if (!buf || !re)
		abort();
	while ((ret = vtap_gso__next(g, buf, max, &n)) == 1) {
		const uint8_t *ip = buf + lo->l3_off;
		size_t off, plen;

		count++;
		if (n < (size_t)lo->l4_off + (v6 ? 8u : 0u))
			abort();
		if (!v6) {
			if (!verifies(
				    sum_be(0, ip, (size_t)(ip[0] & 0xf) * 4)) ||
			    (size_t)(ip[2] << 8 | ip[3]) != n - lo->l3_off)
				abort();
			off = (size_t)((ip[6] << 8 | ip[7]) & 0x1fff) * 8;
			plen = n - lo->l4_off;
			if (off + plen > total)
				abort();
			memcpy(re + off, buf + lo->l4_off, plen);
		} else {
			const uint8_t *fh = buf + lo->l4_off;

			if ((size_t)(ip[4] << 8 | ip[5]) !=
				    n - lo->l3_off - 40 ||
			    fh[0] != 17)
				abort();
			off = (size_t)(fh[2] << 8 | fh[3]) & ~7u;
			plen = n - lo->l4_off - 8;
			if (off + plen > total)
				abort();
			memcpy(re + off, fh + 8, plen);
		}
		if (plen > fs)
			abort();
		got += plen;
	}
	if (ret || count != vtap_gso__segs(g) || got != total)
		abort();
	if (memcmp(re + 8, frame + lo->l4_off + 8, total - 8) ||
	    memcmp(re, frame + lo->l4_off, 4))
		abort();
	if (h->flags & VTAP_VNET_F_NEEDS_CSUM) {
		uint32_t s = 17 + (uint32_t)total;

		if (v6) {
			s = sum_be(s, frame + lo->ip6_src_off, 16);
			s = sum_be(s, frame + lo->ip6_dst_off, 16);
		} else {
			s = sum_be(s, frame + lo->l3_off + 12, 8);
		}
		if (!verifies(sum_be(s, re, total)) ||
		    (size_t)(re[4] << 8 | re[5]) != total)
			abort();
	} else if (memcmp(re, frame + lo->l4_off, 8)) {
		abort();
	}
	free(buf);
	free(re);
}

static void run(const struct vtap_vnet_hdr *h, const uint8_t *frame, size_t len,
		unsigned int flags)
{
	enum vtap_drop_reason r = VTAP_DROP__COUNT;
	struct vtap_vnet_layout lo;
	struct vtap_gso g;
	size_t max, total = 0, n;
	uint32_t segs, count = 0, seed = 0;
	uint8_t *buf;
	int ret;

	if (vtap_gso__init_flags(&g, h, frame, len, flags, &r) < 0) {
		if (!vtap_drop_reason__name(r))
			abort();
		return;
	}
	/* init accepted it, so the checks pass and give the layout */
	if (vtap_vnet__check_frame(h, frame, len, flags, &lo, NULL))
		abort();
	segs = vtap_gso__segs(&g);
	max = vtap_gso__seg_max(&g);
	/* an IPv6 fragment grows by its fragment header */
	if (segs != lo.segs || !segs ||
	    max > len + ((h->gso_type & ~VTAP_VNET_GSO_ECN) ==
						 VTAP_VNET_GSO_UDP &&
					 lo.l3 == VTAP_PKT_L3_IPV6
				 ? 8
				 : 0))
		abort();
	if ((h->gso_type & ~VTAP_VNET_GSO_ECN) == VTAP_VNET_GSO_UDP) {
		run_ufo(h, &lo, &g, frame, len);
		return;
	}
	if (h->flags & VTAP_VNET_F_NEEDS_CSUM) {
		const uint8_t *f = frame + h->csum_start + h->csum_offset;

		seed = (uint32_t)(f[0] << 8 | f[1]);
	}
	buf = malloc(max ? max : 1);
	if (!buf)
		return;
	while ((ret = vtap_gso__next(&g, buf, max, &n)) == 1) {
		count++;
		if (n > max)
			abort();
		if ((h->gso_type & ~VTAP_VNET_GSO_ECN) != VTAP_VNET_GSO_NONE) {
			if (n > lo.hdrs_len + h->gso_size || n < lo.hdrs_len)
				abort();
			total += n - lo.hdrs_len;
		} else {
			total += n;
		}
		check_segment(h, &lo, buf, n, seed);
	}
	free(buf);
	if (ret != 0 || count != segs)
		abort();
	if (total != ((h->gso_type & ~VTAP_VNET_GSO_ECN) != VTAP_VNET_GSO_NONE
			      ? len - lo.hdrs_len
			      : len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtap_vnet_hdr h;
	uint8_t *frame;
	size_t len;

	size_t hl = VTAP_VNET_HDR_V1_LEN;

	if (size < hl)
		return 0;
	vtap_vnet__decode(data, hl, &h);
	/* UDP tunnel GSO: 4 more bytes, outer_th_offset and inner_nh_offset
	 * (a 24-byte header without the hash fields between). */
	if (h.gso_type & VTAP_VNET_GSO_UDP_TUNNEL) {
		if (size < hl + 4)
			return 0;
		h.outer_th_offset = (uint16_t)(data[hl] | data[hl + 1] << 8);
		h.inner_nh_offset =
			(uint16_t)(data[hl + 2] | data[hl + 3] << 8);
		hl += 4;
	}
	len = size - hl;
	/* An exact-size copy, so reads past the end are caught. */
	frame = malloc(len ? len : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + hl, len);
	run(&h, frame, len, 0);
	run(&h, frame, len, VTAP_PKT_L3);
	free(frame);
	return 0;
}
