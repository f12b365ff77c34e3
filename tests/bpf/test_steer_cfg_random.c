// SPDX-License-Identifier: MIT
/*
 * test_steer_cfg_random.c - random configuration maps, as a hostile owner
 * writes them, against the steering program (BPF_PROG_TEST_RUN) and its C
 * twin (vtap_steer__predict())
 *
 * Each round writes random values into the active slot and the header of
 * the mmapped map: sometimes within the bounds the validator enforces,
 * sometimes past them (key length, table mask, rule count, table entries,
 * unclassified queue, intent lengths, queue counts, flags, rule fields),
 * with Toeplitz tables that match the key or not. Then for frames of
 * every kind: the program runs (it must never fail, whatever the map
 * holds), and the twin either reports the configuration corrupt (-EUCLEAN)
 * or gives the program's queue. Both outcomes must occur.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "frames.h"
#include "steer_impl.h"
#include "vtap/vtap.h"

#define DUMMY_HLEN 14
#define ROUNDS 3000

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t rnd_n(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static int quiet(enum vtap_log_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static uint32_t prog_run(int fd, const struct frame *f)
{
	static uint8_t buf[DUMMY_HLEN + FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	memset(buf, 0, DUMMY_HLEN);
	buf[12] = 0x88; /* see test_steer_twin.c */
	buf[13] = 0xb5;
	memcpy(buf + DUMMY_HLEN, f->data, f->len);
	opts.data_in = buf;
	opts.data_size_in = (uint32_t)(DUMMY_HLEN + f->len);
	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	return opts.retval;
}

static void make_frames(struct frame *f, int n)
{
	uint8_t a4[4] = {10, 0, 0, 1}, b4[4] = {10, 0, 0, 2};
	uint8_t a6[16] = {0x20, 1, 0x0d, 0xb8, [15] = 1};
	uint8_t b6[16] = {0x20, 1, 0x0d, 0xb8, [15] = 2};

	for (int i = 0; i < n; i++) {
		a4[3] = (uint8_t)(1 + i);
		a6[14] = (uint8_t)i;
		frame_init(&f[i]);
		frame_eth(&f[i], NULL, NULL);
		if (i % 2) {
			frame_ipv6(&f[i], a6, b6);
			if (i % 3 == 0)
				frame_ipv6_hao(&f[i], b6);
		} else {
			frame_ipv4(&f[i], a4, b4);
		}
		if (i % 4 < 2)
			frame_tcp(&f[i], (uint16_t)(40000 + i), 5201);
		else if (i % 4 == 2)
			frame_udp(&f[i], (uint16_t)(40000 + i), 53);
		else
			frame_icmp(&f[i], 8, 0);
		frame_finish(&f[i]);
	}
}

/* The field this round makes bad (-1: none, half of the rounds). */
static int bad_field;

/* A value within @max, or anything of @bits bits for the bad field. */
static uint32_t maybe_bad(int field, uint32_t max, unsigned int bits)
{
	if (field != bad_field)
		return rnd_n(max + 1);
	return rnd() & (bits >= 32 ? ~0u : (1u << bits) - 1);
}

static void scribble(struct vtap_steer_cfg *c)
{
	struct vtap_steer_slot *s = &c->slot[c->active & 1];
	unsigned int n;

	bad_field = rnd_n(2) ? -1 : (int)rnd_n(16);
	s->flags = bad_field != 0
			   ? (rnd() & (VTAP_STEER_F_RULES | VTAP_STEER_F_RSS |
				       VTAP_STEER_F_AUTOMQ))
			   : rnd();
	s->hash_types =
		bad_field != 1 ? rnd() & VTAP_HASH_TYPE_ALL : rnd() | 0x200;
	s->table_mask =
		(uint16_t)(bad_field != 2 ? (1u << rnd_n(8)) - 1 : rnd());
	for (unsigned int i = 0; i < VTAP_STEER_TABLE_MAX; i++)
		s->table[i] =
			(uint16_t)maybe_bad(i % 16 == 5 ? 3 : -2, 255, 16);
	s->unclassified = (uint16_t)maybe_bad(4, 255, 16);
	s->automq_queues = (uint16_t)maybe_bad(5, 256, 16);
	s->key_len = bad_field != 6 ? 1 + rnd_n(VTAP_STEER_KEY_MAX) : rnd();
	for (unsigned int i = 0; i < VTAP_STEER_KEY_MAX; i++)
		s->key[i] = (uint8_t)rnd();
	n = maybe_bad(7, 12, 16);
	s->nrules = (uint16_t)n;
	for (unsigned int i = 0; i < VTAP_STEER_RULES_MAX && i < n; i++) {
		struct vtap_steer_mrule *r = &s->rules[i];

		memset(r, 0, sizeof(*r));
		r->id = i + 1;
		r->prio = (uint16_t)i;
		r->queue = (uint16_t)maybe_bad(8, 255, 16);
		r->family = (uint8_t)(bad_field != 9
					      ? (uint8_t[]){0, 4, 6}[rnd_n(3)]
					      : rnd());
		r->proto = (uint8_t)(bad_field != 10
					     ? (uint8_t[]){0, 6, 17}[rnd_n(3)]
					     : rnd());
		r->flags = bad_field != 11 ? rnd_n(4) : rnd();
		r->dport = rnd_n(2) ? htons(5201) : htons(53);
		if (rnd_n(4) == 0) {
			r->dst[0] = htonl(0x0a000002);
			r->dst_mask[0] = ~0u;
		}
	}
	/* Tables that match the key, as an honest writer makes them. */
	if (bad_field != 12 && s->key_len >= 1 &&
	    s->key_len <= VTAP_STEER_KEY_MAX)
		vtap_toeplitz__tables(s->key, s->key_len, s->toeplitz);
	else
		s->toeplitz[rnd_n(VTAP_STEER_INPUT_MAX)][rnd_n(256)] ^= 1;
	c->intent.kind = (uint16_t)maybe_bad(13, 2, 16);
	c->intent.n_weights = (uint16_t)maybe_bad(14, 256, 16);
	c->intent.table_len =
		(uint16_t)(bad_field != 15 ? 1u << rnd_n(8) : rnd());
	c->cur_queues = 1 + maybe_bad(-2, 255, 32);
	c->intended_queues = maybe_bad(-2, 256, 32);
	c->flip_ns = 0;
	__atomic_fetch_add(&c->generation, 1, __ATOMIC_RELEASE);
}

static void test_random_configs(void **state)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .queues = 8);
	struct vtap_steer_cfg *c;
	struct vtap_steer *s;
	static struct frame f[24];
	unsigned long accepted = 0, rejected = 0, compared = 0;
	int fd;

	(void)state;
	vtap_set_log(quiet);
	make_frames(f, 24);
	s = vtap_steer__open("vtcfgrnd", &o);
	assert_non_null(s);
	fd = vtap_steer__prog_fd(s);
	c = (struct vtap_steer_cfg *)vtap_steer_cfg(s);
	for (int round = 0; round < ROUNDS; round++) {
		struct vtap_steer_prediction p;
		int err;

		scribble(c);
		err = vtap_steer__predict(s, f[0].data, f[0].len, &p);
		if (err) {
			assert_int_equal(err, -EUCLEAN);
			rejected++;
			/* The program runs on whatever the map holds. */
			for (int i = 0; i < 24; i++)
				prog_run(fd, &f[i]);
			continue;
		}
		accepted++;
		for (int i = 0; i < 24; i++) {
			uint32_t q = prog_run(fd, &f[i]);

			assert_int_equal(
				vtap_steer__predict(s, f[i].data, f[i].len, &p),
				0);
			if (q != p.value)
				fprintf(stderr,
					"round %d frame %d: bpf %u, C %u (by %u)\n",
					round, i, q, p.value, p.by);
			assert_int_equal(q, p.value);
			compared++;
		}
	}
	fprintf(stderr,
		"%lu configurations accepted, %lu rejected; %lu frames compared\n",
		accepted, rejected, compared);
	assert_true(accepted > ROUNDS / 10);
	assert_true(rejected > ROUNDS / 10);
	vtap_steer__close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_configs),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root for BPF_PROG_TEST_RUN\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
