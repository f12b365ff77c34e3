// SPDX-License-Identifier: MIT
/*
 * flow.c - vtapctl flow: flow steering rules of a device (like ethtool -N)
 *
 *   vtapctl flow add dev NAME [proto tcp|udp] [src ADDR[/LEN]]
 *                    [dst ADDR[/LEN]] [sport P] [dport P] queue Q [prio N]
 *   vtapctl flow del dev NAME id ID
 *   vtapctl flow show dev NAME
 *
 * Rules are tried before the extension, RSS and automq; lower prio first,
 * equal prio in the order added. A rule naming the protocol, both full
 * addresses and both ports is an exact 5-tuple rule (a hash map lookup); it
 * keeps its place in that order (docs/steering.md, "Rule order"). "show"
 * lists the rules in the order they are tried.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"
#include "vtapctl_steer.h"

/* Why a prefix was refused, for the usage error. */
static const char *family_why(int err)
{
	return err == -EAFNOSUPPORT ? ": source and destination must both be "
				      "IPv4 or both IPv6"
				    : " (ADDR or ADDR/LEN)";
}

/* Parse ADDR[/LEN] into @addr, @len and the rule's family. */
static int parse_prefix(const char *s, uint8_t *addr, uint8_t *len,
			uint8_t *family)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned int max;
	uint8_t fam;
	uint32_t v;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		fam = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		fam = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (*family && *family != fam)
		return -EAFNOSUPPORT;
	*family = fam;
	v = max;
	if (slash && arg_u32(slash, max, &v))
		return -EINVAL;
	*len = (uint8_t)v;
	return 0;
}

static int flow_add(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	VTAP_OPTS_INIT(vtap_steer_rule, r);
	bool have_queue = false;
	struct vtap_steer *s;
	uint32_t v, id;
	int err;

	if (!dev)
		return EXIT_USAGE;
	for (int i = 2; i < argc; i += 2) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return usage_err("'%s' needs a value", argv[i]);
		if (arg_is(argv[i], "proto")) {
			if (!strcmp(val, "tcp"))
				r.proto = 6;
			else if (!strcmp(val, "udp"))
				r.proto = 17;
			else
				return usage_err(
					"proto is tcp or udp, not '%s'", val);
		} else if (arg_is(argv[i], "src")) {
			err = parse_prefix(val, r.src, &r.src_len, &r.family);
			if (err)
				return usage_err("bad source '%s'%s", val,
						 family_why(err));
		} else if (arg_is(argv[i], "dst")) {
			err = parse_prefix(val, r.dst, &r.dst_len, &r.family);
			if (err)
				return usage_err("bad destination '%s'%s", val,
						 family_why(err));
		} else if (arg_is(argv[i], "sport")) {
			if (arg_u32(val, 65535, &v))
				return usage_err("bad port '%s'", val);
			r.has_sport = true;
			r.sport = (uint16_t)v;
		} else if (arg_is(argv[i], "dport")) {
			if (arg_u32(val, 65535, &v))
				return usage_err("bad port '%s'", val);
			r.has_dport = true;
			r.dport = (uint16_t)v;
		} else if (arg_is(argv[i], "queue")) {
			if (arg_u32(val, VTAP_QUEUES_MAX - 1, &v))
				return usage_err("bad queue '%s' (0..%d)", val,
						 VTAP_QUEUES_MAX - 1);
			r.queue = (uint16_t)v;
			have_queue = true;
		} else if (arg_is(argv[i], "prio")) {
			if (arg_u32(val, 65535, &v))
				return usage_err("bad priority '%s' (0..65535)",
						 val);
			r.prio = (uint16_t)v;
		} else {
			return usage_err("unknown argument '%s'", argv[i]);
		}
	}
	if (!have_queue)
		return usage_err("flow add needs 'queue Q'");
	s = steer_cli_open("flow add", dev, true, 0);
	if (!s)
		return EXIT_FAIL;
	err = vtap_steer__rule_add(s, &r, &id);
	vtap_steer__close(s);
	if (err) {
		steer_cli_err("flow add", dev, err);
		return EXIT_FAIL;
	}
	pr_arr_begin(NULL);
	pr_obj_begin(NULL);
	pr_str("ifname", NULL, dev);
	pr_u64("id", "%" PRIu64 "\n", id);
	pr_obj_end();
	pr_arr_end();
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

static int flow_del(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	struct vtap_steer *s;
	uint32_t id;
	int err;

	if (!dev)
		return EXIT_USAGE;
	if (argc != 4 || !arg_is(argv[2], "id") ||
	    arg_u32(argv[3], UINT32_MAX, &id))
		return usage_err("flow del needs 'id ID'");
	s = steer_cli_open("flow del", dev, false, 0);
	if (!s)
		return EXIT_FAIL;
	err = vtap_steer__rule_del(s, id);
	if (err == -ENOENT)
		pr_err("flow del of '%s': no rule with id %u (see 'vtapctl flow show dev %s')",
		       dev, id, dev);
	else if (err)
		steer_cli_err("flow del", dev, err);
	vtap_steer__close(s);
	return err ? EXIT_FAIL : EXIT_OK;
}

static void print_addr(const char *key, const uint8_t *a, uint8_t len,
		       uint8_t family)
{
	char buf[INET6_ADDRSTRLEN], out[INET6_ADDRSTRLEN + 8], fmt[16];

	if (!len)
		return;
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	snprintf(out, sizeof(out), "%s/%u", buf, len);
	snprintf(fmt, sizeof(fmt), " %s %%s", key);
	pr_str(key, fmt, out);
}

static int flow_show(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	struct vtap_steer_rule *rules;
	struct vtap_steer *s;
	int n;

	if (!dev)
		return EXIT_USAGE;
	s = steer_cli_open("flow show", dev, false, 0);
	if (!s)
		return EXIT_FAIL;
	n = vtap_steer__rules(s, NULL, 0);
	rules = n > 0 ? calloc((size_t)n, sizeof(*rules)) : NULL;
	if (n > 0 && rules)
		n = vtap_steer__rules(s, rules, (size_t)n);
	vtap_steer__close(s);
	if (n < 0 || (n > 0 && !rules)) {
		steer_cli_err("flow show", dev, n < 0 ? n : -ENOMEM);
		free(rules);
		return EXIT_FAIL;
	}
	pr_arr_begin(NULL);
	for (int i = 0; i < n; i++) {
		const struct vtap_steer_rule *r = &rules[i];

		pr_obj_begin(NULL);
		pr_u64("id", "id %" PRIu64, r->id);
		pr_u64("prio", " prio %" PRIu64, r->prio);
		if (r->proto)
			pr_str("proto", " proto %s",
			       r->proto == 6 ? "tcp" : "udp");
		if (r->family)
			pr_u64("family", " ipv%" PRIu64, r->family);
		print_addr("src", r->src, r->src_len, r->family);
		print_addr("dst", r->dst, r->dst_len, r->family);
		if (r->has_sport)
			pr_u64("sport", " sport %" PRIu64, r->sport);
		if (r->has_dport)
			pr_u64("dport", " dport %" PRIu64, r->dport);
		pr_u64("queue", " queue %" PRIu64, r->queue);
		pr_bool("exact", r->exact ? " (exact)" : NULL, r->exact);
		pr_text("\n");
		pr_obj_end();
	}
	pr_arr_end();
	free(rules);
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl flow add dev NAME [proto tcp|udp] [src ADDR[/LEN]] [dst ADDR[/LEN]]\n"
		"                        [sport P] [dport P] queue Q [prio N]\n"
		"       vtapctl flow del dev NAME id ID\n"
		"       vtapctl flow show dev NAME\n"
		"ethtool -N's words work too: flow-type tcp4|udp4|tcp6|udp6, src-ip,\n"
		"dst-ip, src-port, dst-port, action Q (queue), loc N (prio); a bare NAME\n"
		"is dev NAME.\n");
}

int cmd_flow(int argc, char **argv)
{
	static const char *const cmds[] = {"add", "del", "show", "help", NULL};

	if (argc < 1 && pr_is_json())
		return usage_err("flow: missing command (add, del or show)");
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	switch (arg_match(argv[0], cmds)) {
	case 0:
		return flow_add(argc - 1, argv + 1);
	case 1:
		return flow_del(argc - 1, argv + 1);
	case 2:
		return flow_show(argc - 1, argv + 1);
	case 3:
		usage(stdout);
		return EXIT_OK;
	default:
		return usage_err("unknown command 'flow %s'", argv[0]);
	}
}
