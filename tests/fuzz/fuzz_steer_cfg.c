// SPDX-License-Identifier: MIT
/*
 * fuzz_steer_cfg.c - libFuzzer target for vtap_steer_cfg_read(), the one
 * reader of the steering configuration map a tap's owner may write
 *
 * Input layout:
 *   byte 0     bit 0: after patching, make the active slot's Toeplitz
 *              tables match its key (as an honest writer does), so that
 *              more configurations are accepted; bit 1: slot 1 active
 *   rest       patches of the map: 3 bytes offset (little-endian, modulo
 *              the map's size), 1 byte length (1..64), then that many bytes,
 *              repeated to the end of the input
 *
 * The map starts as a valid configuration (RSS over 4 queues, the default
 * key, no rules). Invariants checked (abort on violation): an accepted
 * configuration has every field within its array and the design's bounds;
 * the tools' printers (rss show's key and table, flow show's rules) stay
 * inside fixed buffers; the C twin's RSS step (vtap_rss built from the
 * copy) accepts it and picks table[hash & mask] for sample frames; the
 * masked rules match without reading past the copy. A rejected one fails
 * with -EUCLEAN or -EAGAIN, never anything else.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "steer_impl.h"
#include "vtap/vtap.h"

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int quiet(enum vtap_log_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Sample frames for the RSS and rules steps: IPv4 TCP, IPv6 UDP + HAO. */
static struct frame samples[2];

static void make_samples(void)
{
	uint8_t a4[4] = {10, 0, 0, 1}, b4[4] = {10, 0, 0, 2};
	uint8_t a6[16] = {0x20, 1, 0x0d, 0xb8, [15] = 1};
	uint8_t b6[16] = {0x20, 1, 0x0d, 0xb8, [15] = 2};

	frame_init(&samples[0]);
	frame_eth(&samples[0], NULL, NULL);
	frame_ipv4(&samples[0], a4, b4);
	frame_tcp(&samples[0], 40000, 5201);
	frame_finish(&samples[0]);
	frame_init(&samples[1]);
	frame_eth(&samples[1], NULL, NULL);
	frame_ipv6(&samples[1], a6, b6);
	frame_ipv6_hao(&samples[1], b6);
	frame_udp(&samples[1], 40001, 53);
	frame_finish(&samples[1]);
}

static void base_config(struct vtap_steer_cfg *c)
{
	struct vtap_steer_slot *s = &c->slot[0];

	memset(c, 0, sizeof(*c));
	c->abi = VTAP_STEER_ABI;
	c->intended_queues = 4;
	c->cur_queues = 4;
	c->next_rule_id = 1;
	c->rss_on_intent = 1;
	c->intent.kind = VTAP_STEER_INTENT_EQUAL;
	s->flags = VTAP_STEER_F_RSS | VTAP_STEER_F_AUTOMQ;
	s->hash_types = VTAP_HASH_TYPE_ALL;
	s->table_mask = 127;
	for (unsigned int i = 0; i < 128; i++)
		s->table[i] = (uint16_t)(i % 4);
	s->automq_queues = 4;
	memcpy(s->key, vtap_rss_default_key, sizeof(vtap_rss_default_key));
	s->key_len = sizeof(vtap_rss_default_key);
	vtap_toeplitz__tables(s->key, s->key_len, s->toeplitz);
	c->slot[1] = c->slot[0];
}

/* What `vtapctl rss show` and `flow show` print, into fixed buffers. */
static void print_like_tools(const struct vtap_steer_view *v,
			     const struct vtap_steer_mrule *rules)
{
	char key[2 * VTAP_TOEPLITZ_KEY_MAX + 1], types[128], line[64];
	unsigned int len = (unsigned int)v->slot.table_mask + 1;

	vtap_hash_types__format(v->slot.hash_types, types, sizeof(types));
	for (unsigned int i = 0; i < v->slot.key_len; i++)
		snprintf(key + 2 * i, 3, "%02x", v->slot.key[i]);
	key[2 * v->slot.key_len] = '\0';
	for (unsigned int i = 0; i < len; i++)
		snprintf(line, sizeof(line), " %u", v->slot.table[i]);
	for (unsigned int i = 0; i < v->intent.n_weights; i++)
		snprintf(line, sizeof(line), " %u", v->intent.weights[i]);
	for (unsigned int i = 0; i < v->slot.nrules; i++)
		snprintf(line, sizeof(line), "%u %u %u", rules[i].id,
			 rules[i].queue, rules[i].prio);
}

static void twin(const struct vtap_steer_view *v,
		 const struct vtap_steer_mrule *rules)
{
	VTAP_OPTS_INIT(vtap_rss_opts, o);
	struct vtap_rss *rss;

	o.hash_types = v->slot.hash_types;
	o.key = v->slot.key;
	o.key_len = v->slot.key_len;
	o.table = v->slot.table;
	o.table_len = (size_t)v->slot.table_mask + 1;
	o.unclassified_queue = v->slot.unclassified;
	o.impl = VTAP_TOEPLITZ_TABLE;
	rss = vtap_rss__new(&o);
	CHECK(rss);
	for (int f = 0; f < 2; f++) {
		struct vtap_rss_result r;
		struct vtap_pkt_info info;
		struct vtap_steer_key k;

		CHECK(!vtap_rss__hash(rss, samples[f].data, samples[f].len, 0,
				      &r));
		if (r.report)
			CHECK(r.queue ==
			      v->slot.table[r.hash & v->slot.table_mask]);
		else
			CHECK(r.queue == v->slot.unclassified);
		CHECK(r.queue < VTAP_QUEUES_MAX);
		vtap_pkt__parse(samples[f].data, samples[f].len, 0, &info);
		vtap_steer_key_from_info(&info, &k);
		for (unsigned int i = 0; i < v->slot.nrules; i++)
			if (vtap_steer_rule_match(&rules[i], &k))
				CHECK(rules[i].queue < VTAP_QUEUES_MAX);
	}
	vtap_rss__free(rss);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vtap_steer_cfg cfg;
	static struct vtap_steer_mrule rules[VTAP_STEER_RULES_MAX];
	static uint32_t tables[VTAP_STEER_INPUT_MAX][256];
	struct vtap_steer_view v;
	struct vtap_steer_slot *act;
	size_t off = 1;
	int err;

	vtap_set_log(quiet);
	if (!samples[0].len)
		make_samples();
	base_config(&cfg);
	if (!size)
		return 0;
	cfg.active = (data[0] >> 1) & 1;
	while (off + 4 <= size) {
		size_t at = ((size_t)data[off] | (size_t)data[off + 1] << 8 |
			     (size_t)data[off + 2] << 16) %
			    sizeof(cfg);
		size_t len = 1 + data[off + 3] % 64;

		off += 4;
		if (len > size - off)
			len = size - off;
		if (len > sizeof(cfg) - at)
			len = sizeof(cfg) - at;
		memcpy((uint8_t *)&cfg + at, data + off, len);
		off += len;
	}
	act = &cfg.slot[cfg.active & 1];
	if ((data[0] & 1) && act->key_len >= 1 &&
	    act->key_len <= VTAP_STEER_KEY_MAX)
		vtap_toeplitz__tables(act->key, act->key_len, act->toeplitz);

	err = vtap_steer_cfg_read(&cfg, "fuzz", &v, rules, tables);
	if (err) {
		CHECK(err == -EUCLEAN || err == -EAGAIN);
		return 0;
	}
	CHECK(v.active <= 1);
	CHECK(v.slot.key_len >= 1 && v.slot.key_len <= VTAP_STEER_KEY_MAX);
	CHECK(v.slot.table_mask < VTAP_STEER_TABLE_MAX);
	CHECK(!((v.slot.table_mask + 1) & v.slot.table_mask));
	CHECK(v.slot.nrules <= VTAP_STEER_RULES_MAX);
	CHECK(v.slot.unclassified < VTAP_QUEUES_MAX);
	CHECK(v.intent.n_weights <= VTAP_STEER_QUEUES_MAX);
	CHECK(v.intent.table_len <= VTAP_STEER_TABLE_MAX);
	CHECK(v.cur_queues >= 1 && v.cur_queues <= VTAP_QUEUES_MAX);
	CHECK(!memcmp(tables, act->toeplitz, sizeof(tables)));
	print_like_tools(&v, rules);
	twin(&v, rules);
	return 0;
}
