// SPDX-License-Identifier: MIT
/*
 * rss.c - vtapctl rss: receive-side scaling of a device's steering program
 *
 *   vtapctl rss set dev NAME [types LIST] [key HEX]
 *                  [table N | table equal N | table weight W,... | table Q,Q,...]
 *                  [unclassified Q] [queues N]
 *   vtapctl rss show dev NAME
 *   vtapctl rss off dev NAME
 *
 * The first `rss set` on a tap pins the steering state under
 * /sys/fs/bpf/vtap/NAME/ and attaches the program to the device; queue
 * numbers are validated against the tap's intended queue count (recorded
 * by `vtapctl dev add NAME queues N`, or given here with `queues N` when
 * the state is made), not against the queues open at that moment.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"
#include "vtapctl_steer.h"

static int parse_table(const char *a, const char *b, struct vtap_steer_rss *r,
		       int *used)
{
	int n;

	*used = 1;
	if (!strcmp(a, "equal")) {
		uint32_t v;

		if (!b || arg_u32(b, VTAP_QUEUES_MAX, &v) || !v)
			return usage_err(
				"table equal needs a queue count 1..%d",
				VTAP_QUEUES_MAX);
		r->kind = VTAP_STEER_TABLE_EQUAL;
		r->equal_n = (uint16_t)v;
		*used = 2;
		return 0;
	}
	if (!strcmp(a, "weight")) {
		if (!b)
			return usage_err("table weight needs W,W,...");
		n = arg_u16_list(b, UINT16_MAX, r->weights, VTAP_QUEUES_MAX);
		if (n <= 0)
			return usage_err("bad weight list '%s'", b);
		r->kind = VTAP_STEER_TABLE_WEIGHT;
		r->n_weights = (uint16_t)n;
		*used = 2;
		return 0;
	}
	/* A lone number is a queue count: `table 4` is `table equal 4`. */
	if (table_is_count(a))
		return parse_table("equal", a, r, used) ? -EINVAL
							: (*used = 1, 0);
	n = arg_u16_list(a, VTAP_QUEUES_MAX - 1, r->table, VTAP_RSS_TABLE_MAX);
	if (n <= 0)
		return usage_err(
			"bad table '%s' (equal N, weight W,..., or Q,Q,...)",
			a);
	r->kind = VTAP_STEER_TABLE_EXPLICIT;
	r->table_len = (uint16_t)n;
	return 0;
}

static int rss_set(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	struct vtap_steer *s;
	uint32_t queues = 0, v;
	bool have_types = false, have_key = false, have_table = false;
	bool have_unc = false;
	int err, used;

	if (!dev)
		return EXIT_USAGE;
	for (int i = 2; i < argc; i += used) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		used = 2;
		if (!val)
			return usage_err("'%s' needs a value", argv[i]);
		if (arg_is(argv[i], "types")) {
			if (vtap_hash_types__parse(val, &r.hash_types))
				return usage_err("bad hash types '%s'", val);
			have_types = true;
		} else if (arg_is(argv[i], "key")) {
			size_t len;

			if (arg_hex(val, r.key, VTAP_TOEPLITZ_KEY_MAX, &len) ||
			    !len)
				return usage_err(
					"bad key '%s' (1..%d hex bytes)", val,
					VTAP_TOEPLITZ_KEY_MAX);
			r.key_len = (uint32_t)len;
			have_key = true;
		} else if (arg_is(argv[i], "table")) {
			err = parse_table(val,
					  i + 2 < argc ? argv[i + 2] : NULL, &r,
					  &used);
			if (err)
				return err;
			used++;
			have_table = true;
		} else if (arg_is(argv[i], "unclassified")) {
			if (arg_u32(val, VTAP_QUEUES_MAX - 1, &v))
				return usage_err("bad queue '%s'", val);
			r.unclassified_queue = (uint16_t)v;
			have_unc = true;
		} else if (arg_is(argv[i], "queues")) {
			if (arg_u32(val, VTAP_QUEUES_MAX, &queues) || !queues)
				return usage_err("bad queue count '%s'", val);
		} else {
			return usage_err("unknown argument '%s'", argv[i]);
		}
	}
	s = steer_cli_open("rss set", dev, true, queues);
	if (!s)
		return EXIT_FAIL;
	/* Keep what was not given from the current configuration. */
	{
		VTAP_OPTS_INIT(vtap_steer_rss, cur);

		if (!vtap_steer__rss(s, &cur)) {
			if (!have_types)
				r.hash_types = cur.hash_types;
			if (!have_key) {
				r.key_len = cur.key_len;
				memcpy(r.key, cur.key, sizeof(r.key));
			}
			if (!have_table) {
				r.kind = cur.kind;
				r.equal_n = cur.equal_n;
				r.n_weights = cur.n_weights;
				memcpy(r.weights, cur.weights,
				       sizeof(r.weights));
				r.table_len = cur.table_len;
				memcpy(r.table, cur.table, sizeof(r.table));
			}
			if (!have_unc)
				r.unclassified_queue = cur.unclassified_queue;
		} else if (!have_types) {
			r.hash_types = VTAP_HASH_TYPE_ALL;
		}
	}
	err = vtap_steer__set_rss(s, &r);
	if (err)
		steer_cli_err("rss set", dev, err);
	vtap_steer__close(s);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* A table as ethtool -x prints it: 8 entries a row after their offset. */
static void pr_table(const char *key, const uint16_t *t, unsigned int len)
{
	pr_arr_begin(key);
	for (unsigned int i = 0; i < len; i++) {
		if (i % 8 == 0)
			pr_text("%5u: ", i);
		pr_u64(NULL, " %5" PRIu64, t[i]);
		if (i % 8 == 7 || i + 1 == len)
			pr_text("\n");
	}
	pr_arr_end();
}

static int rss_show(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	VTAP_OPTS_INIT(vtap_steer_rss, r);
	struct vtap_steer *s;
	char types[128], key[3 * VTAP_TOEPLITZ_KEY_MAX + 1];
	unsigned int nq;
	bool differs;
	int err;

	if (!dev)
		return EXIT_USAGE;
	s = steer_cli_open("rss show", dev, false, 0);
	if (!s)
		return EXIT_FAIL;
	err = vtap_steer__rss(s, &r);
	if (err) {
		steer_cli_err("rss show", dev, err);
		vtap_steer__close(s);
		return EXIT_FAIL;
	}
	/*
	 * ethtool -x's layout: the table 8 entries a row after its offset,
	 * the key as colon-separated bytes. JSON: one object in an array.
	 */
	nq = vtap_steer__intended_queues(s);
	pr_arr_begin(NULL);
	pr_obj_begin(NULL);
	pr_str("ifname", "RSS of %s: ", dev);
	pr_bool("enabled", NULL, vtap_steer__steps(s) & VTAP_STEER_STEP_RSS);
	pr_text("%s, ",
		vtap_steer__steps(s) & VTAP_STEER_STEP_RSS ? "on" : "off");
	pr_u64("queues", "%" PRIu64 " queue(s)\n", nq);
	pr_text("hash types: %s\n",
		vtap_hash_types__format(r.hash_types, types, sizeof(types)));
	pr_arr_begin("types");
	for (unsigned int b = 0; b < VTAP_HASH_REPORT__COUNT - 1; b++)
		if (r.hash_types & (1u << b))
			pr_str(NULL, NULL, vtap_hash_report__name(b + 1));
	pr_arr_end();
	pr_u64("unclassified", "unclassified queue: %" PRIu64 "\n",
	       r.unclassified_queue);
	/* The intent the table is made from (equal 0: none was set). */
	if (r.kind == VTAP_STEER_TABLE_EQUAL && !r.equal_n) {
		pr_str("table_kind", "table: %s", "default");
	} else if (r.kind == VTAP_STEER_TABLE_EQUAL) {
		pr_str("table_kind", "table: %s", "equal");
		pr_u64("equal", " %" PRIu64, r.equal_n);
	} else if (r.kind == VTAP_STEER_TABLE_WEIGHT) {
		pr_str("table_kind", "table: %s", "weight");
		pr_arr_begin("weights");
		for (unsigned int i = 0; i < r.n_weights; i++)
			pr_u64(NULL, i ? ",%" PRIu64 : " %" PRIu64,
			       r.weights[i]);
		pr_arr_end();
	} else {
		pr_str("table_kind", "table: %s", "explicit");
	}
	pr_text(" over %u queue%s\n", nq, nq == 1 ? "" : "s");
	/* The intent's table over every intended queue, as ethtool -x. */
	pr_text("RX flow hash indirection table for %s with %u RX ring(s):\n",
		dev, nq);
	pr_table("table", r.intent_table, r.intent_table_len);
	/*
	 * What the program uses now: built for the queues attached (a VMM
	 * with fewer queues enabled); shown in text only when it differs.
	 */
	pr_u64("queues_now", NULL, r.queues_now);
	differs = r.queues_now != nq || r.table_len != r.intent_table_len ||
		  memcmp(r.table, r.intent_table,
			 r.table_len * sizeof(r.table[0]));
	if (differs)
		pr_text("table in effect for the %u queue%s attached now:\n",
			r.queues_now, r.queues_now == 1 ? "" : "s");
	if (differs || pr_is_json())
		pr_table("table_now", r.table, r.table_len);
	key[0] = '\0';
	for (unsigned int i = 0, n = 0; i < r.key_len; i++)
		n += (unsigned int)snprintf(key + n, sizeof(key) - n, "%s%02x",
					    i ? ":" : "", r.key[i]);
	pr_str("key", "RSS hash key:\n%s\n", key);
	pr_text("RSS hash function:\n    toeplitz: on\n");
	pr_obj_end();
	pr_arr_end();
	vtap_steer__close(s);
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

static int rss_off(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	struct vtap_steer *s;
	int err;

	if (!dev)
		return EXIT_USAGE;
	s = steer_cli_open("rss off", dev, false, 0);
	if (!s)
		return EXIT_FAIL;
	err = vtap_steer__set_steps(s, vtap_steer__steps(s) &
					       ~VTAP_STEER_STEP_RSS);
	if (err)
		steer_cli_err("rss off", dev, err);
	vtap_steer__close(s);
	return err ? EXIT_FAIL : EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl rss set dev NAME [types LIST] [key HEX]\n"
		"                      [table N | table equal N | table weight W,... | table Q,Q,...]\n"
		"                      [unclassified Q] [queues N]\n"
		"       vtapctl rss show dev NAME\n"
		"       vtapctl rss off dev NAME\n"
		"LIST: all, none, or a comma list of ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,\n"
		"      ipv6_ex,tcpv6_ex,udpv6_ex\n"
		"table N is table equal N; table Q,Q,... (two or more) the entries; 'equal N'\n"
		"and 'weight W,...' alone are the table forms, as in ethtool -X. A bare\n"
		"NAME is dev NAME; show prints the table as ethtool -x does.\n");
}

int cmd_rss(int argc, char **argv)
{
	static const char *const cmds[] = {"set", "show", "off", "help", NULL};

	if (argc < 1 && pr_is_json())
		return usage_err("rss: missing command (set, show or off)");
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	switch (arg_match(argv[0], cmds)) {
	case 0:
		return rss_set(argc - 1, argv + 1);
	case 1:
		return rss_show(argc - 1, argv + 1);
	case 2:
		return rss_off(argc - 1, argv + 1);
	case 3:
		usage(stdout);
		return EXIT_OK;
	default:
		return usage_err("unknown command 'rss %s'", argv[0]);
	}
}
