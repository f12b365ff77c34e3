// SPDX-License-Identifier: MIT
/*
 * test_switch_mac.c - unit tests of vtap-switchd's MAC table and
 * forwarding decision (learning, aging, moves, flushes, flooding, VLANs,
 * tag push/pop with the vnet header following), and of the table under
 * concurrent learners and readers
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/tools/vtap-switchd/mac.c"
#include "../../src/tools/vtap-switchd/fwd.c"

static const uint8_t A[6] = {0x02, 0, 0, 0, 0, 0xa};
static const uint8_t B[6] = {0x02, 0, 0, 0, 0, 0xb};
static const uint8_t C[6] = {0x02, 0, 0, 0, 0, 0xc};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void test_learn_lookup_age(void **state)
{
	struct sw_mac_table *t = sw_mac__new(4, 1000);

	assert_non_null(t);
	assert_int_equal(sw_mac__lookup(t, A, 1, 0), -1);
	assert_true(sw_mac__learn(t, A, 1, 3, 100));
	assert_int_equal(sw_mac__lookup(t, A, 1, 100), 3);
	/* Same address in another VLAN is another entry. */
	assert_int_equal(sw_mac__lookup(t, A, 2, 100), -1);
	/* Refresh within a second changes nothing. */
	assert_false(sw_mac__learn(t, A, 1, 3, 500));
	/* Still fresh at 1100 (age 1000), gone at 1101. */
	assert_int_equal(sw_mac__lookup(t, A, 1, 1100), 3);
	assert_int_equal(sw_mac__lookup(t, A, 1, 1101), -1);
	/* A refresh after a second moves the time stamp. */
	assert_true(sw_mac__learn(t, A, 1, 3, 1100));
	assert_int_equal(sw_mac__lookup(t, A, 1, 2000), 3);
	/* A move is learned at once. */
	assert_true(sw_mac__learn(t, A, 1, 5, 1200));
	assert_int_equal(sw_mac__lookup(t, A, 1, 1200), 5);
	assert_int_equal(sw_mac__expire(t, 1300), 0);
	assert_int_equal(sw_mac__expire(t, 2201), 1);
	assert_int_equal(sw_mac__lookup(t, A, 1, 1200), -1);
	sw_mac__free(t);
}

static void test_flush_and_dump(void **state)
{
	struct sw_mac_table *t = sw_mac__new(6, 10000);
	struct sw_mac_entry e[8];

	sw_mac__learn(t, A, 1, 0, 10);
	sw_mac__learn(t, B, 1, 1, 20);
	sw_mac__learn(t, C, 7, 1, 30);
	assert_int_equal(sw_mac__dump(t, 50, e, 8), 3);
	for (int i = 0; i < 3; i++) {
		if (e[i].mac[5] == 0xa) {
			assert_int_equal(e[i].port, 0);
			assert_int_equal(e[i].vid, 1);
			assert_int_equal(e[i].age_ms, 40);
		} else if (e[i].mac[5] == 0xc) {
			assert_int_equal(e[i].port, 1);
			assert_int_equal(e[i].vid, 7);
			assert_memory_equal(e[i].mac, C, 6);
		}
	}
	assert_int_equal(sw_mac__flush_port(t, 1), 2);
	assert_int_equal(sw_mac__lookup(t, B, 1, 50), -1);
	assert_int_equal(sw_mac__lookup(t, A, 1, 50), 0);
	assert_int_equal(sw_mac__dump(t, 50, e, 0), 1);
	sw_mac__free(t);
}

static void test_full_bucket_replaces_oldest(void **state)
{
	/* One bucket of three entries: the fourth address evicts the oldest. */
	struct sw_mac_table *t = sw_mac__new(0, 100000);
	uint8_t m[4][6];

	for (int i = 0; i < 4; i++) {
		memcpy(m[i], A, 6);
		m[i][5] = (uint8_t)(0x10 + i);
		sw_mac__learn(t, m[i], 1, (uint16_t)i, (uint64_t)(10 + i));
	}
	assert_int_equal(sw_mac__lookup(t, m[0], 1, 20), -1);
	for (int i = 1; i < 4; i++)
		assert_int_equal(sw_mac__lookup(t, m[i], 1, 20), i);
	sw_mac__free(t);
}

/* Build an Ethernet frame (optionally 802.1Q tagged) into @buf. */
static size_t frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src,
		    int vid)
{
	size_t n = 0;

	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	n = 12;
	if (vid >= 0) {
		buf[n++] = 0x81;
		buf[n++] = 0x00;
		buf[n++] = (uint8_t)(vid >> 8);
		buf[n++] = (uint8_t)vid;
	}
	buf[n++] = 0x08;
	buf[n++] = 0x00;
	memset(buf + n, 0x45, 46);
	return n + 46;
}

static uint64_t allowed_10_20[64];

static void setup_ports(struct sw_fwd_port *p)
{
	memset(p, 0, sizeof(*p) * SW_PORTS_MAX);
	for (int i = 0; i < SW_PORTS_MAX; i++) {
		p[i].mode = SW_VLAN_ACCESS;
		p[i].vid = 1;
	}
	allowed_10_20[0] = 1ull << 10 | 1ull << 20;
}

static void test_flood_then_unicast(void **state)
{
	struct sw_mac_table *t = sw_mac__new(8, 300000);
	struct sw_fwd_port ports[SW_PORTS_MAX];
	struct sw_fwd_result r;
	uint8_t f[128];
	size_t n;

	setup_ports(ports);
	/* A on port 0 asks for B: unknown, flooded to 1 and 2 (not 0, 3). */
	n = frame(f, B, A, -1);
	sw_fwd__decide(t, ports, 0x7, 0, f, n, 1, &r);
	assert_int_equal(r.verdict, SW_FWD_OK);
	assert_true(r.flooded);
	assert_int_equal(r.untagged, 0x6);
	assert_int_equal(r.tagged, 0);
	/* B answers from port 2: A is known, unicast to port 0 only. */
	n = frame(f, A, B, -1);
	sw_fwd__decide(t, ports, 0x7, 2, f, n, 2, &r);
	assert_false(r.flooded);
	assert_int_equal(r.untagged, 0x1);
	/* Now A to B goes to port 2 only. */
	n = frame(f, B, A, -1);
	sw_fwd__decide(t, ports, 0x7, 0, f, n, 3, &r);
	assert_int_equal(r.untagged, 0x4);
	/* Broadcast always floods. */
	n = frame(f, BCAST, A, -1);
	sw_fwd__decide(t, ports, 0x7, 0, f, n, 4, &r);
	assert_int_equal(r.untagged, 0x6);
	/* A frame to a station on its own ingress port is filtered. */
	n = frame(f, A, C, -1);
	sw_fwd__decide(t, ports, 0x7, 0, f, n, 5, &r);
	assert_int_equal(r.verdict, SW_FWD_FILTERED);
	/* Port 2 goes away: B's entry is ignored, the frame floods to 1. */
	n = frame(f, B, A, -1);
	sw_fwd__decide(t, ports, 0x3, 0, f, n, 6, &r);
	assert_true(r.flooded);
	assert_int_equal(r.untagged, 0x2);
	/* Short frames are bad; a group source address is never learned. */
	sw_fwd__decide(t, ports, 0x7, 0, f, 13, 7, &r);
	assert_int_equal(r.verdict, SW_FWD_SHORT);
	n = frame(f, B, BCAST, -1);
	sw_fwd__decide(t, ports, 0x7, 1, f, n, 8, &r);
	assert_int_equal(sw_mac__lookup(t, BCAST, 1, 8), -1);
	sw_mac__free(t);
}

static void test_vlans(void **state)
{
	struct sw_mac_table *t = sw_mac__new(8, 300000);
	struct sw_fwd_port ports[SW_PORTS_MAX];
	struct sw_fwd_result r;
	uint8_t f[128];
	size_t n;

	setup_ports(ports);
	ports[0].vid = 10; /* access 10 */
	ports[1].vid = 20; /* access 20 */
	ports[2].mode = SW_VLAN_TRUNK; /* trunk 10,20 native 0 */
	ports[2].vid = 0;
	ports[2].allowed = allowed_10_20;
	ports[3].mode = SW_VLAN_TRUNK; /* trunk 10,20 native 10 */
	ports[3].vid = 10;
	ports[3].allowed = allowed_10_20;

	/* Untagged from access 10: to trunk 2 tagged, trunk 3 untagged. */
	n = frame(f, BCAST, A, -1);
	sw_fwd__decide(t, ports, 0xf, 0, f, n, 1, &r);
	assert_int_equal(r.vid, 10);
	assert_false(r.in_tagged);
	assert_int_equal(r.untagged, 0x8);
	assert_int_equal(r.tagged, 0x4);
	/* Tagged 20 from trunk 2: access 20 untagged, trunk 3 tagged. */
	n = frame(f, BCAST, B, 20);
	sw_fwd__decide(t, ports, 0xf, 2, f, n, 1, &r);
	assert_int_equal(r.vid, 20);
	assert_true(r.in_tagged);
	assert_int_equal(r.untagged, 0x2);
	assert_int_equal(r.tagged, 0x8);
	/* Tagged frames on an access port, VLAN 30 on a trunk, untagged on a
	 * trunk without native VLAN: dropped. */
	n = frame(f, BCAST, B, 10);
	sw_fwd__decide(t, ports, 0xf, 0, f, n, 1, &r);
	assert_int_equal(r.verdict, SW_FWD_VLAN);
	n = frame(f, BCAST, B, 30);
	sw_fwd__decide(t, ports, 0xf, 2, f, n, 1, &r);
	assert_int_equal(r.verdict, SW_FWD_VLAN);
	n = frame(f, BCAST, B, -1);
	sw_fwd__decide(t, ports, 0xf, 2, f, n, 1, &r);
	assert_int_equal(r.verdict, SW_FWD_VLAN);
	/* Learning is per VLAN: B is known in 20 (port 2), not in 10. */
	assert_int_equal(sw_mac__lookup(t, B, 20, 1), 2);
	assert_int_equal(sw_mac__lookup(t, B, 10, 1), -1);
	sw_mac__free(t);
}

static void test_tag_push_pop(void **state)
{
	/* 4 bytes headroom, 12-byte vnet header (NEEDS_CSUM, csum_start 34,
	 * hdr_len 54), then an untagged frame. */
	uint8_t buf[4 + 12 + 64], orig[12 + 64], *pkt = buf + 4;
	size_t len = 12 + 64;

	memset(buf, 0, sizeof(buf));
	pkt[0] = 1;
	pkt[2] = 54;
	pkt[6] = 34;
	pkt[8] = 16;
	frame(pkt + 12, B, A, -1);
	memcpy(orig, pkt, len);
	sw_frame_push_tag(&pkt, &len, 12, 0x123);
	assert_ptr_equal(pkt, buf);
	assert_int_equal(len, 12 + 68);
	assert_int_equal(pkt[2], 58);
	assert_int_equal(pkt[6], 38);
	assert_int_equal(pkt[8], 16);
	assert_memory_equal(pkt + 12, B, 6);
	assert_memory_equal(pkt + 18, A, 6);
	assert_int_equal(pkt[24], 0x81);
	assert_int_equal(pkt[25], 0x00);
	assert_int_equal(pkt[26], 0x01);
	assert_int_equal(pkt[27], 0x23);
	assert_int_equal(pkt[28], 0x08);
	sw_frame_pop_tag(&pkt, &len, 12);
	assert_ptr_equal(pkt, buf + 4);
	assert_int_equal(len, 12 + 64);
	assert_memory_equal(pkt, orig, len);
}

struct race {
	struct sw_mac_table *t;
	int id;
	_Atomic int bad;
};

/* Writers move their own address between two ports; readers must only
 * ever see one of those two ports (never a torn entry). */
static void *racer(void *arg)
{
	struct race *r = arg;
	uint8_t m[6] = {0x02, 0, 0, 0, 1, (uint8_t)r->id};

	for (int i = 0; i < 200000; i++) {
		uint16_t port = (uint16_t)(r->id * 2 + (i & 1));
		int got;

		sw_mac__learn(r->t, m, 1, port, (uint64_t)i);
		got = sw_mac__lookup(r->t, m, 1, (uint64_t)i);
		if (got != -1 && got != r->id * 2 && got != r->id * 2 + 1)
			r->bad++;
	}
	return NULL;
}

/* A port at its MAC limit learns nothing new; refusals are counted. */
static void test_port_limit(void **state)
{
	struct sw_mac_table *t = sw_mac__new(8, 10000);
	uint8_t m[6] = {0x02, 0, 0, 1, 0, 0};

	assert_non_null(t);
	sw_mac__set_limit(t, 1, 2);
	sw_mac__set_limit(t, 3, 1);
	assert_true(sw_mac__learn(t, A, 1, 1, 100));
	assert_true(sw_mac__learn(t, B, 1, 1, 100));
	assert_false(sw_mac__learn(t, C, 1, 1, 100));
	assert_int_equal(sw_mac__lookup(t, C, 1, 100), -1);
	assert_int_equal(sw_mac__count(t, 1), 2);
	assert_int_equal(sw_mac__refused(t, 1), 1);
	/* A refresh of a known address is not a new one. */
	assert_true(sw_mac__learn(t, A, 1, 1, 1200));
	assert_int_equal(sw_mac__refused(t, 1), 1);
	/* A moves to port 2 (no limit): room on port 1 for C. */
	assert_true(sw_mac__learn(t, A, 1, 2, 1300));
	assert_int_equal(sw_mac__count(t, 1), 1);
	assert_int_equal(sw_mac__count(t, 2), 1);
	assert_true(sw_mac__learn(t, C, 1, 1, 1300));
	/* Moving to a port at its limit is refused: A stays on port 2. */
	assert_true(sw_mac__learn(t, B, 7, 3, 1300));
	assert_false(sw_mac__learn(t, A, 1, 3, 1400));
	assert_int_equal(sw_mac__lookup(t, A, 1, 1400), 2);
	assert_int_equal(sw_mac__refused(t, 3), 1);
	/* Random sources on port 1 never pass its limit. */
	for (int i = 0; i < 1000; i++) {
		m[5] = (uint8_t)i;
		m[4] = (uint8_t)(i >> 8);
		sw_mac__learn(t, m, 1, 1, 1400);
	}
	assert_int_equal(sw_mac__count(t, 1), 2);
	assert_int_equal(sw_mac__refused(t, 1), 1001);
	/* Flush and aging give the allowance back. */
	assert_int_equal(sw_mac__flush_port(t, 1), 2);
	assert_int_equal(sw_mac__count(t, 1), 0);
	assert_int_equal(sw_mac__expire(t, 100000), 2);
	assert_int_equal(sw_mac__count(t, 2), 0);
	assert_int_equal(sw_mac__count(t, 3), 0);
	sw_mac__set_limit(t, 1, 0);
	assert_int_equal(sw_mac__refused(t, 1), 0);
	sw_mac__free(t);
}

static void test_concurrent(void **state)
{
	struct sw_mac_table *t = sw_mac__new(1, 1u << 30);
	struct race r[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		r[i].t = t;
		r[i].id = i;
		r[i].bad = 0;
		pthread_create(&th[i], NULL, racer, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].bad, 0);
	}
	sw_mac__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup_age),
		cmocka_unit_test(test_flush_and_dump),
		cmocka_unit_test(test_full_bucket_replaces_oldest),
		cmocka_unit_test(test_flood_then_unicast),
		cmocka_unit_test(test_vlans),
		cmocka_unit_test(test_tag_push_pop),
		cmocka_unit_test(test_port_limit),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
