// SPDX-License-Identifier: MIT
/*
 * switch.c - vtapctl switch: talk to a running vtap-switchd
 *
 *   vtapctl [-j] switch show [control PATH]
 *   vtapctl [-j] switch port add NAME [queues N] [netns NS] [vlan VID]
 *                                [trunk LIST] [native VID] [control PATH]
 *   vtapctl [-j] switch port del NAME [control PATH]
 *
 * The daemon's control socket speaks one request line, one JSON answer
 * (see src/tools/vtap-switchd/control.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"

#define CONTROL_DEFAULT "/run/vtap-switchd.sock"

static void switch_usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl [-j] switch show [control PATH]\n"
		"       vtapctl [-j] switch port add NAME [queues N] [netns NS] [vlan VID]\n"
		"                                [trunk LIST] [native VID] [control PATH]\n"
		"       vtapctl [-j] switch port del NAME [control PATH]\n"
		"\n"
		"Shows a running vtap-switchd (ports, queues, counters, MAC table) and\n"
		"adds or removes ports at run time. The control socket defaults to\n"
		"%s. LIST: VLAN ids and ranges, e.g. 10+20-30 or 10,20-30.\n",
		CONTROL_DEFAULT);
}

/* Send @req, return the parsed answer or NULL (error printed). */
static json_object *request(const char *path, const char *req)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char buf[1 << 16];
	size_t len = 0;
	json_object *o;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		pr_err("switch: control socket path too long");
		return NULL;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		pr_err("switch: control socket '%s': %s%s", path,
		       strerror(errno),
		       errno == ENOENT || errno == ECONNREFUSED
			       ? " (is vtap-switchd running? see 'control PATH')"
		       : errno == EACCES
			       ? " (the socket is 0600: run as its owner)"
			       : "");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (write(fd, req, strlen(req)) < 0 || write(fd, "\n", 1) < 0) {
		pr_err("switch: control socket '%s': %s", path,
		       strerror(errno));
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	json_tokener *tok = json_tokener_new_ex(64);

	o = NULL;
	/* The tokener keeps its state: an answer of any size, in chunks. */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		o = json_tokener_parse_ex(tok, buf, (int)n);
		len += (size_t)n;
		if (o || json_tokener_get_error(tok) != json_tokener_continue)
			break;
	}
	json_tokener_free(tok);
	close(fd);
	if (!o) {
		pr_err("switch: no valid answer from '%s'", path);
		return NULL;
	}
	return o;
}

static int64_t get_i(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
						     : 0;
}

static const char *get_s(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v)
						     : "";
}

/*
 * Emit a JSON value through the printer (JSON mode). A port's "name" is
 * an interface: "ifname", as everywhere in vtapctl's JSON.
 */
static void emit(const char *key, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
		pr_obj_begin(key);
		json_object_object_foreach(v, k, sub)
			emit(strcmp(k, "name") ? k : "ifname", sub);
		pr_obj_end();
		break;
	case json_type_array:
		pr_arr_begin(key);
		for (size_t i = 0; i < json_object_array_length(v); i++)
			emit(NULL, json_object_array_get_idx(v, i));
		pr_arr_end();
		break;
	case json_type_int:
		if (json_object_get_int64(v) < 0)
			pr_i64(key, NULL, json_object_get_int64(v));
		else
			pr_u64(key, NULL, json_object_get_uint64(v));
		break;
	case json_type_double:
		pr_double(key, NULL, json_object_get_double(v));
		break;
	case json_type_boolean:
		pr_bool(key, NULL, json_object_get_boolean(v));
		break;
	case json_type_string:
		pr_str(key, NULL, json_object_get_string(v));
		break;
	default:
		pr_null(key);
		break;
	}
}

/*
 * "access vlan VID", or for a trunk "trunk vlans 10,20-30, native VID"
 * (", no native" when untagged frames are dropped), in @buf.
 */
static void vlan_text(json_object *vl, char *buf, size_t len)
{
	json_object *allowed = NULL;
	size_t n, used;
	int64_t vid = get_i(vl, "vid");

	if (strcmp(get_s(vl, "mode"), "trunk")) {
		snprintf(buf, len, "access vlan %" PRId64, vid);
		return;
	}
	used = (size_t)snprintf(buf, len, "trunk vlans ");
	json_object_object_get_ex(vl, "allowed", &allowed);
	n = allowed ? json_object_array_length(allowed) : 0;
	for (size_t i = 0; i < n && used < len; i++) {
		int64_t lo = json_object_get_int64(
			json_object_array_get_idx(allowed, i));
		int64_t hi = lo;

		while (i + 1 < n &&
		       json_object_get_int64(json_object_array_get_idx(
			       allowed, i + 1)) == hi + 1) {
			hi++;
			i++;
		}
		used += (size_t)snprintf(buf + used, len - used,
					 hi > lo ? "%s%" PRId64 "-%" PRId64
						 : "%s%" PRId64,
					 used > 12 ? "," : "", lo, hi);
	}
	if (used < len)
		snprintf(buf + used, len - used,
			 vid ? ", native %" PRId64 : ", no native", vid);
}

static void show_text(json_object *o)
{
	json_object *ports, *mac;

	pr_text("switch: pid %" PRId64 ", %" PRId64
		" workers, vnet header %" PRId64 " bytes, MAC aging %" PRId64
		" s\n",
		get_i(o, "pid"), get_i(o, "workers"), get_i(o, "vnet_hdr_len"),
		get_i(o, "aging_s"));
	if (get_i(o, "busy_poll_us"))
		pr_text("busy polling: %" PRId64 " us after the last frame\n",
			get_i(o, "busy_poll_us"));
	if (json_object_object_get_ex(o, "ports", &ports)) {
		for (size_t i = 0; i < json_object_array_length(ports); i++) {
			json_object *p = json_object_array_get_idx(ports, i);
			json_object *vl, *qs;
			const char *ns = get_s(p, "netns");

			char vlan[256];

			json_object_object_get_ex(p, "vlan", &vl);
			vlan_text(vl, vlan, sizeof(vlan));
			pr_text("port %s: %" PRId64 " queues%s%s, %s%s\n",
				get_s(p, "name"), get_i(p, "queues"),
				*ns ? ", netns " : "", ns, vlan,
				json_object_get_boolean(
					json_object_object_get(p, "steered"))
					? ", vtap RSS steering"
					: "");
			pr_text("  frames: %" PRId64 " unicast, %" PRId64
				" flooded, %" PRId64 " filtered, %" PRId64
				" bad, %" PRId64 " vlan drops\n",
				get_i(p, "unicast"), get_i(p, "flooded"),
				get_i(p, "filtered"), get_i(p, "bad"),
				get_i(p, "vlan_drops"));
			pr_text("  mac: %" PRId64 " learned, limit %s%.0" PRId64
				", %" PRId64 " refused by the limit\n",
				get_i(p, "mac_entries"),
				get_i(p, "mac_limit") ? "" : "none",
				get_i(p, "mac_limit"), get_i(p, "mac_refused"));
			if (!json_object_object_get_ex(p, "queue_stats", &qs))
				continue;
			for (size_t q = 0; q < json_object_array_length(qs);
			     q++) {
				json_object *s =
					json_object_array_get_idx(qs, q);

				pr_text("  queue %" PRId64 ": rx %" PRId64
					" packets %" PRId64 " bytes (%" PRId64
					" gso), tx %" PRId64 " packets %" PRId64
					" bytes, drops rx %" PRId64
					" tx %" PRId64 "\n",
					get_i(s, "queue"),
					get_i(s, "rx_packets"),
					get_i(s, "rx_bytes"),
					get_i(s, "rx_gso"),
					get_i(s, "tx_packets"),
					get_i(s, "tx_bytes"),
					get_i(s, "rx_drops"),
					get_i(s, "tx_drops"));
			}
		}
	}
	if (json_object_object_get_ex(o, "mac", &mac)) {
		pr_text("mac table: %zu entries\n",
			json_object_array_length(mac));
		for (size_t i = 0; i < json_object_array_length(mac); i++) {
			json_object *e = json_object_array_get_idx(mac, i);

			pr_text("  %s vlan %" PRId64 " port %s age %.1f s\n",
				get_s(e, "mac"), get_i(e, "vid"),
				get_s(e, "port"),
				(double)get_i(e, "age_ms") / 1000.0);
		}
	}
}

static int run(const char *path, const char *req, bool show)
{
	json_object *o = request(path, req), *e;
	int ret = EXIT_OK;

	if (!o)
		return EXIT_FAIL;
	if (json_object_object_get_ex(o, "error", &e)) {
		pr_err("switch: %s", json_object_get_string(e));
		json_object_put(o);
		return EXIT_FAIL;
	}
	if (pr_is_json()) {
		/* A top-level array of objects, as every vtapctl -j. */
		pr_arr_begin(NULL);
		emit(NULL, o);
		pr_arr_end();
	} else if (show)
		show_text(o);
	json_object_put(o);
	if (pr_flush())
		ret = EXIT_FAIL;
	return ret;
}

int cmd_switch(int argc, char **argv)
{
	static const char *const cmds[] = {"show", "port", "help", NULL};
	static const char *const pcmds[] = {"add", "del", NULL};
	static const char *const keys[] = {"queues", "netns",	"vlan", "trunk",
					   "native", "control", NULL};
	const char *path = CONTROL_DEFAULT, *name = NULL;
	char req[1024];
	size_t len;
	int c, pc = -1, i;

	if (argc < 1) {
		switch_usage(stderr);
		return EXIT_USAGE;
	}
	c = arg_match(argv[0], cmds);
	if (c == 2) {
		switch_usage(stdout);
		return EXIT_OK;
	}
	if (c < 0)
		return usage_err("switch: unknown command '%s' (show, port)",
				 argv[0]);
	i = 1;
	if (c == 1) {
		if (argc < 3)
			return usage_err("switch port: expected add|del NAME");
		pc = arg_match(argv[1], pcmds);
		if (pc < 0)
			return usage_err(
				"switch port: unknown command '%s' (add, del)",
				argv[1]);
		name = argv[2];
		if (!*name || strchr(name, ',') || strchr(name, '=') ||
		    strlen(name) > 15)
			return usage_err("switch port: bad port name '%s'",
					 name);
		i = 3;
	}
	len = (size_t)snprintf(req, sizeof(req), "%s",
			       c == 0	 ? "show"
			       : pc == 0 ? "port add "
					 : "port del ");
	if (name)
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s",
					name);
	for (; i < argc; i += 2) {
		int k = arg_match(argv[i], keys);

		if (k < 0)
			return usage_err("switch: unexpected argument '%s'",
					 argv[i]);
		if (i + 1 >= argc)
			return usage_err("switch: '%s' needs a value", argv[i]);
		if (k == 5) {
			path = argv[i + 1];
			continue;
		}
		if (c != 1 || pc != 0)
			return usage_err("switch: '%s' only goes with port add",
					 argv[i]);
		/* A trunk list may be written 10,20-30 too: ',' parts the
		 * request's options, '+' is the same separator in a list. */
		if (strchr(argv[i + 1], ',') && k != 3)
			return usage_err("switch: bad value '%s'", argv[i + 1]);
		len += (size_t)snprintf(req + len, sizeof(req) - len,
					",%s=", keys[k]);
		for (const char *v = argv[i + 1]; *v && len < sizeof(req); v++)
			req[len++] = *v == ',' ? '+' : *v;
		if (len >= sizeof(req))
			return usage_err("switch: arguments too long");
		req[len] = '\0';
	}
	return run(path, req, c == 0);
}
