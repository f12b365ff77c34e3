// SPDX-License-Identifier: MIT
/*
 * fuzz_pkt_rss.c - libFuzzer target for vtap_pkt__parse() and the RSS
 * cascade
 *
 * Input layout:
 *   byte 0     bit 0: VTAP_PKT_L3 (bare IP); bits 1-3: log2 of the table
 *              length (1..128); bit 4: a non-default key
 *   bytes 1-2  hash types, little-endian (bits past 0x1ff are dropped)
 *   byte 3     number of queues (0 = 256)
 *   byte 4     seed for the table entries and the unclassified queue
 *   rest       the frame, ending where the input ends (so ASan sees any
 *              read past the frame)
 *
 * Invariants checked (abort on violation): parsing always succeeds and its
 * result is self-consistent; hash_info on the parsed frame equals hash on
 * the raw one; NONE means hash 0 and the unclassified queue; otherwise the
 * report's type bit is set, the report fits the L3 family, and the queue is
 * table[hash & (len - 1)], below the queue count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtap/vtap.h"

#define HDR_LEN 5

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_info(const struct vtap_pkt_info *i, size_t len)
{
	CHECK(i->n_vlan <= 2);
	if (i->l3 == VTAP_PKT_L3_NONE) {
		CHECK(i->l4 == VTAP_PKT_L4_NONE);
		CHECK(!i->is_frag && !i->has_hao && !i->has_rh2);
		return;
	}
	CHECK(i->l3 == VTAP_PKT_L3_IPV4 || i->l3 == VTAP_PKT_L3_IPV6);
	CHECK(i->l3_off < len);
	CHECK(i->l4_off <= len);
	CHECK(i->l4_off >= i->l3_off + (i->l3 == VTAP_PKT_L3_IPV4 ? 20 : 40));
	if (i->l3 == VTAP_PKT_L3_IPV4)
		CHECK(!i->has_hao && !i->has_rh2);
	if (i->l4 != VTAP_PKT_L4_NONE) {
		CHECK(i->l4 == VTAP_PKT_L4_TCP || i->l4 == VTAP_PKT_L4_UDP);
		CHECK(!i->is_frag);
		CHECK((size_t)i->l4_off + 4 <= len);
		CHECK(i->ip_proto == (i->l4 == VTAP_PKT_L4_TCP ? 6 : 17));
	}
}

static void check_result(const struct vtap_rss_result *r,
			 const struct vtap_pkt_info *info, uint32_t types,
			 const uint16_t *table, size_t table_len,
			 unsigned int num_queues, uint16_t unclassified)
{
	CHECK(r->report < VTAP_HASH_REPORT__COUNT);
	CHECK(r->queue < num_queues);
	if (r->report == VTAP_HASH_REPORT_NONE) {
		CHECK(r->hash == 0);
		CHECK(r->queue == unclassified);
		return;
	}
	CHECK(types & (1u << (r->report - 1)));
	CHECK(r->queue == table[r->hash & (table_len - 1)]);
	if (info->l3 == VTAP_PKT_L3_IPV4)
		CHECK(r->report >= VTAP_HASH_REPORT_IPV4 &&
		      r->report <= VTAP_HASH_REPORT_UDPV4);
	else
		CHECK(info->l3 == VTAP_PKT_L3_IPV6 &&
		      r->report >= VTAP_HASH_REPORT_IPV6);
	/* Ports only where the parser found them. */
	switch (r->report) {
	case VTAP_HASH_REPORT_TCPV4:
	case VTAP_HASH_REPORT_TCPV6:
	case VTAP_HASH_REPORT_TCPV6_EX:
		CHECK(info->l4 == VTAP_PKT_L4_TCP);
		break;
	case VTAP_HASH_REPORT_UDPV4:
	case VTAP_HASH_REPORT_UDPV6:
	case VTAP_HASH_REPORT_UDPV6_EX:
		CHECK(info->l4 == VTAP_PKT_L4_UDP);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t other_key[VTAP_TOEPLITZ_KEY_MAX] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe,
		0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10, 0x0f, 0x1e,
		0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5,
		0xb4, 0xc3, 0xd2, 0xe1, 0xf0, 0x11, 0x22, 0x33, 0x44,
		0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
		0xee, 0xff, 0x00, 0x13, 0x57, 0x9b, 0xdf,
	};
	uint16_t table[VTAP_RSS_TABLE_MAX];
	struct vtap_rss_result r1, r2;
	struct vtap_pkt_info info;
	struct vtap_rss *rss;
	unsigned int flags, num_queues;
	size_t table_len, len;
	const uint8_t *frame;
	uint32_t types;
	uint8_t seed;

	if (size < HDR_LEN)
		return 0;
	flags = data[0] & 1 ? VTAP_PKT_L3 : 0;
	table_len = (size_t)1 << ((data[0] >> 1) & 7);
	types = (uint32_t)(data[1] | data[2] << 8) & VTAP_HASH_TYPE_ALL;
	num_queues = data[3] ? data[3] : VTAP_QUEUES_MAX;
	seed = data[4];
	frame = data + HDR_LEN;
	len = size - HDR_LEN;
	for (size_t i = 0; i < table_len; i++)
		table[i] = (uint16_t)((seed + i * 31) % num_queues);

	{
		VTAP_OPTS_INIT(vtap_rss_opts, o, .hash_types = types,
			       .table = table, .table_len = table_len,
			       .unclassified_queue =
				       (uint16_t)(seed % num_queues),
			       .num_queues = data[3]); /* 0 = 256 */

		if (data[0] & 0x10) {
			o.key = other_key;
			o.key_len = sizeof(other_key);
		}
		rss = vtap_rss__new(&o);
		CHECK(rss);
	}

	CHECK(vtap_pkt__parse(frame, len, flags, &info) == 0);
	check_info(&info, len);
	CHECK(vtap_rss__hash(rss, frame, len, flags, &r1) == 0);
	CHECK(vtap_rss__hash_info(rss, &info, &r2) == 0);
	CHECK(!memcmp(&r1, &r2, sizeof(r1)));
	check_result(&r1, &info, types, table, table_len, num_queues,
		     (uint16_t)(seed % num_queues));

	/* With every type on, anything parsed as IP gets a report. */
	CHECK(vtap_rss__set_types(rss, VTAP_HASH_TYPE_ALL) == 0);
	CHECK(vtap_rss__hash(rss, frame, len, flags, &r1) == 0);
	CHECK((r1.report == VTAP_HASH_REPORT_NONE) ==
	      (info.l3 == VTAP_PKT_L3_NONE));
	check_result(&r1, &info, VTAP_HASH_TYPE_ALL, table, table_len,
		     num_queues, (uint16_t)(seed % num_queues));

	vtap_rss__free(rss);
	return 0;
}
