// SPDX-License-Identifier: MIT
/*
 * csum.c - the Internet checksum (RFC 1071) for checksum offload fallbacks
 *
 * Theory of operation
 * ===================
 *
 * The ones' complement sum of 16-bit words does not depend on the order in
 * which words are added, nor on the byte order used, as long as loads and
 * the final store use the same one (RFC 1071, "byte order independence").
 * So words are loaded natively, eight bytes at a time, and added into a
 * 64-bit accumulator with the carry wrapped around (end-around carry): a
 * 64-bit ones' complement sum folds to the same 16-bit sum as the 16-bit
 * one. Partial sums handed out are 32 bits (folded from 64), as the
 * kernel's __wsum.
 */
#include <arpa/inet.h>
#include <string.h>

#include "internal.h"

/* a + b with the carry added back in (64-bit ones' complement addition). */
static inline uint64_t add64(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint32_t vtap_csum__partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s0 = sum, s1 = 0, s2 = 0, s3 = 0;

	/* Four independent accumulators break the carry dependency chain. */
	while (len >= 32) {
		s0 = add64(s0, load64(p));
		s1 = add64(s1, load64(p + 8));
		s2 = add64(s2, load64(p + 16));
		s3 = add64(s3, load64(p + 24));
		p += 32;
		len -= 32;
	}
	s0 = add64(add64(s0, s1), add64(s2, s3));
	while (len >= 8) {
		s0 = add64(s0, load64(p));
		p += 8;
		len -= 8;
	}
	if (len) {
		/* The tail, zero padded: a trailing odd byte is the high-order
		 * byte of a last word in network order, i.e. at its memory
		 * position with zero after it. */
		uint64_t v = 0;

		memcpy(&v, p, len);
		s0 = add64(s0, v);
	}
	return fold64(s0);
}

uint16_t vtap_csum__fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t vtap_csum__finish(uint32_t sum)
{
	return (uint16_t)~vtap_csum__fold(sum);
}

/* The proto and length words of a pseudo-header, in memory order. */
static uint32_t pseudo_tail(uint8_t proto, uint32_t len)
{
	return (uint32_t)htons(proto) + htons((uint16_t)(len & 0xffff)) +
	       htons((uint16_t)(len >> 16));
}

uint32_t vtap_csum__pseudo4(const void *saddr, const void *daddr, uint8_t proto,
			    uint32_t len)
{
	uint64_t s = pseudo_tail(proto, len);
	uint32_t a, b;

	memcpy(&a, saddr, 4);
	memcpy(&b, daddr, 4);
	s += (uint64_t)a + b;
	return fold64(s);
}

uint32_t vtap_csum__pseudo6(const void *saddr, const void *daddr, uint8_t proto,
			    uint32_t len)
{
	uint32_t s = vtap_csum__partial(saddr, 16, pseudo_tail(proto, len));

	return vtap_csum__partial(daddr, 16, s);
}

int vtap_csum__complete(void *frame, size_t len, uint16_t csum_start,
			uint16_t csum_offset)
{
	uint8_t *p = frame;
	uint16_t c;

	if (!frame || (size_t)csum_start + csum_offset + 2 > len)
		return vtap_err(-EINVAL);
	c = vtap_csum__finish(
		vtap_csum__partial(p + csum_start, len - csum_start, 0));
	if (!c)
		c = 0xffff;
	memcpy(p + csum_start + csum_offset, &c, 2);
	return 0;
}
