// SPDX-License-Identifier: MIT
/*
 * grammar.c - vtapctl's grammar in one place (see grammar.h)
 *
 * The object files (dev.c, rss.c, ...) parse one form of each command:
 * `OBJECT COMMAND dev NAME KEYWORD VALUE...` for the steering and
 * counter objects, `dev COMMAND NAME ...` for devices, with their own
 * keyword spellings. Everything else a user may type, ip- and
 * ethtool-style, is rewritten into that form here, once, so the objects
 * stay simple and the grammar has one description: the tables below.
 * Words the tables do not know are passed through untouched: the
 * object's parser then names them.
 */
#include <ctype.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vtap/vtap.h>

#include "args.h"
#include "grammar.h"

/* What a keyword's value is (for rewriting, checking and completion). */
enum gr_val {
	V_FLAG, /* no value */
	V_NUM,
	V_FREE, /* a path, namespace, address, key: never rewritten */
	V_TYPES, /* hash types: all, none or a comma list */
	V_OFFLOADS, /* offloads: all, none or a comma list */
	V_VNET, /* 0, 10, 12, 20 */
	V_PROTO, /* tcp, udp */
	V_FLOWTYPE, /* ethtool's tcp4, udp4, tcp6, udp6 */
	V_TABLE, /* equal N, weight W,..., Q,Q,... */
	V_DEVNAME, /* a tun/tap device */
	V_DEVTYPE, /* tap, tun, macvtap, ipvtap */
	V_MODE, /* a macvtap or ipvtap mode */
	V_LINK, /* any network device (a lower device) */
};

struct gr_kw {
	const char *name; /* the documented spelling */
	const char *alias; /* other accepted spellings, space separated */
	const char *as; /* what the object's parser reads; NULL: @name */
	enum gr_val val;
};

/* How a command names its device. */
enum gr_devform {
	D_NONE, /* no device */
	D_BARE, /* `dev add NAME`: a leading `dev` or `name` is dropped */
	D_KW, /* `rss show dev NAME`: `dev` is inserted before a bare name */
};

struct gr_cmd {
	const char *name; /* "" for an object without commands (stats) */
	const char *alias; /* space separated */
	const char *sub; /* a second word ("ext set"), or NULL */
	enum gr_devform dev;
	int max_args; /* words after the command, -1: the object checks */
	const struct gr_kw *kw; /* {NULL}-terminated */
	enum gr_val pos; /* what a word that is no keyword is (0: as typed) */
};

struct gr_obj {
	const char *name;
	const struct gr_cmd *cmds; /* {NULL}-terminated */
};

/* ---- the grammar ---- */

static const struct gr_kw kw_none[] = {{NULL}};

static const struct gr_kw kw_hash[] = {
	{"key", NULL, NULL, V_FREE},
	{"types", NULL, NULL, V_TYPES},
	{"table", NULL, NULL, V_TABLE},
	{"equal", NULL, NULL, V_NUM},
	{"weight", NULL, NULL, V_FREE},
	{"unclassified", NULL, NULL, V_NUM},
	{NULL},
};

static const struct gr_kw kw_dev_add[] = {
	{"queues", NULL, NULL, V_NUM},
	{"vnet_hdr", "vnet-hdr", "vnet-hdr", V_VNET},
	{"offload", "offloads", NULL, V_OFFLOADS},
	{"owner", "user", NULL, V_NUM},
	{"group", NULL, NULL, V_NUM},
	{"mtu", NULL, NULL, V_NUM},
	{"tun", NULL, NULL, V_FLAG},
	{"qlen", NULL, NULL, V_NUM},
	{"budget", NULL, NULL, V_FREE},
	{"type", NULL, NULL, V_DEVTYPE},
	{"link", "lower", "link", V_LINK},
	{"mode", NULL, NULL, V_MODE},
	{"mac", "address", "mac", V_FREE},
	{NULL},
};

static const struct gr_kw kw_dev_set[] = {
	{"qlen", NULL, NULL, V_NUM},
	{"budget", NULL, NULL, V_FREE},
	{NULL},
};

static const struct gr_kw kw_dev[] = {
	{"dev", NULL, NULL, V_DEVNAME},
	{NULL},
};

static const struct gr_kw kw_offload_set[] = {
	{"dev", NULL, NULL, V_DEVNAME},
	{NULL},
};

static const struct gr_kw kw_rss_set[] = {
	{"dev", NULL, NULL, V_DEVNAME},
	{"types", NULL, NULL, V_TYPES},
	{"key", NULL, NULL, V_FREE},
	{"table", NULL, NULL, V_TABLE},
	{"equal", NULL, NULL, V_NUM},
	{"weight", NULL, NULL, V_FREE},
	{"unclassified", NULL, NULL, V_NUM},
	{"queues", NULL, NULL, V_NUM},
	{NULL},
};

static const struct gr_kw kw_flow_add[] = {
	{"dev", NULL, NULL, V_DEVNAME},
	{"proto", NULL, NULL, V_PROTO},
	{"flow-type", "flow_type", NULL, V_FLOWTYPE},
	{"src", "src-ip", "src", V_FREE},
	{"dst", "dst-ip", "dst", V_FREE},
	{"sport", "src-port", "sport", V_NUM},
	{"dport", "dst-port", "dport", V_NUM},
	{"queue", "action", "queue", V_NUM},
	{"prio", "loc", "prio", V_NUM},
	{NULL},
};

static const struct gr_kw kw_flow_del[] = {
	{"dev", NULL, NULL, V_DEVNAME},
	{"id", NULL, NULL, V_NUM},
	{NULL},
};

static const struct gr_kw kw_steer_ext_set[] = {
	{"dev", NULL, NULL, V_DEVNAME},
	{"obj", NULL, NULL, V_FREE},
	{"prog", NULL, NULL, V_FREE},
	{NULL},
};

static const struct gr_kw kw_stats[] = {
	{"dev", NULL, NULL, V_DEVNAME},
	{"watch", NULL, NULL, V_FLAG},
	{"count", NULL, NULL, V_NUM},
	{NULL},
};

static const struct gr_kw kw_switch_show[] = {
	{"control", NULL, NULL, V_FREE},
	{NULL},
};

static const struct gr_kw kw_switch_port_add[] = {
	{"queues", NULL, NULL, V_NUM},
	{"netns", NULL, NULL, V_FREE},
	{"vlan", NULL, NULL, V_NUM},
	{"trunk", NULL, NULL, V_FREE},
	{"native", NULL, NULL, V_NUM},
	{"control", NULL, NULL, V_FREE},
	{NULL},
};

#define SHOW_ALIASES "list ls lst"
#define DEL_ALIASES "delete"

static const struct gr_cmd cmds_hash[] = {
	{"", NULL, NULL, D_NONE, -1, kw_hash},
	{NULL},
};

static const struct gr_cmd cmds_dev[] = {
	{"add", NULL, NULL, D_BARE, -1, kw_dev_add},
	{"del", DEL_ALIASES, NULL, D_BARE, 1, kw_none},
	{"show", SHOW_ALIASES, NULL, D_BARE, 1, kw_none},
	{"set", NULL, NULL, D_BARE, -1, kw_dev_set},
	{"features", NULL, NULL, D_NONE, 0, kw_none},
	{NULL},
};

static const struct gr_cmd cmds_offload[] = {
	{"show", SHOW_ALIASES, NULL, D_KW, 2, kw_dev},
	{"set", NULL, NULL, D_KW, 3, kw_offload_set, V_OFFLOADS},
	{NULL},
};

static const struct gr_cmd cmds_rss[] = {
	{"set", NULL, NULL, D_KW, -1, kw_rss_set},
	{"show", SHOW_ALIASES, NULL, D_KW, 2, kw_dev},
	{"off", NULL, NULL, D_KW, 2, kw_dev},
	{NULL},
};

static const struct gr_cmd cmds_flow[] = {
	{"add", NULL, NULL, D_KW, -1, kw_flow_add},
	{"del", DEL_ALIASES, NULL, D_KW, 4, kw_flow_del},
	{"show", SHOW_ALIASES, NULL, D_KW, 2, kw_dev},
	{NULL},
};

static const struct gr_cmd cmds_steer[] = {
	{"show", SHOW_ALIASES, NULL, D_KW, 2, kw_dev},
	{"attach", NULL, NULL, D_KW, 2, kw_dev},
	{"detach", NULL, NULL, D_KW, 2, kw_dev},
	{"guard", NULL, NULL, D_NONE, 2, kw_dev},
	{"ext", NULL, "set", D_KW, 6, kw_steer_ext_set},
	{"ext", NULL, "del", D_KW, 2, kw_dev},
	{NULL},
};

static const struct gr_cmd cmds_stats[] = {
	{"", "show " SHOW_ALIASES, NULL, D_KW, -1, kw_stats},
	{NULL},
};

static const struct gr_cmd cmds_switch[] = {
	{"show", SHOW_ALIASES, NULL, D_NONE, 2, kw_switch_show},
	{"port", NULL, "add", D_NONE, -1, kw_switch_port_add},
	{"port", NULL, "del", D_NONE, 3, kw_switch_show},
	{NULL},
};

static const struct gr_kw kw_gc[] = {
	{"--dry-run", NULL, NULL, V_FLAG},
	{NULL},
};

static const struct gr_cmd cmds_gc[] = {
	{"", NULL, NULL, D_NONE, 1, kw_gc},
	{NULL},
};

static const struct gr_obj objects[] = {
	{"hash", cmds_hash},	   {"dev", cmds_dev},
	{"offload", cmds_offload}, {"rss", cmds_rss},
	{"flow", cmds_flow},	   {"steer", cmds_steer},
	{"stats", cmds_stats},	   {"switch", cmds_switch},
	{"gc", cmds_gc},	   {NULL, NULL},
};

/* ---- helpers ---- */

static const char *cur_object;

void gr_set_object(const char *object)
{
	cur_object = object;
}

const char *gr_object(void)
{
	return cur_object;
}

/* Whether @word is one of the space-separated words of @list. */
static bool in_list(const char *word, const char *list)
{
	size_t n = strlen(word);

	while (list && *list) {
		size_t k = strcspn(list, " ");

		if (k == n && !strncmp(list, word, n))
			return true;
		list += k;
		while (*list == ' ')
			list++;
	}
	return false;
}

static const struct gr_obj *find_object(const char *word)
{
	const struct gr_obj *found = NULL;

	for (const struct gr_obj *o = objects; o->name; o++) {
		if (!strcmp(word, o->name))
			return o;
		if (arg_is(word, o->name))
			found = found ? (void *)-1 : o;
	}
	return found == (void *)-1 ? NULL : found;
}

/*
 * The command @word names in @o (exact name or alias first, then an
 * unambiguous prefix of either; all aliases of one command are one
 * target). Commands with a second word are matched on their first.
 * Return: the first entry with that name, or NULL.
 */
static const struct gr_cmd *find_cmd(const struct gr_obj *o, const char *word)
{
	const struct gr_cmd *found = NULL;
	bool ambiguous = false;

	for (const struct gr_cmd *c = o->cmds; c->name; c++)
		if (*c->name &&
		    (!strcmp(word, c->name) || in_list(word, c->alias)))
			return c;
	for (const struct gr_cmd *c = o->cmds; c->name; c++) {
		bool hit = *c->name && arg_is(word, c->name);
		const char *a = c->alias;

		while (!hit && a && *a) {
			size_t k = strcspn(a, " ");

			hit = strlen(word) <= k &&
			      !strncmp(a, word, strlen(word));
			a += k;
			while (*a == ' ')
				a++;
		}
		if (!hit)
			continue;
		if (found && strcmp(found->name, c->name))
			ambiguous = true;
		if (!found)
			found = c;
	}
	return ambiguous ? NULL : found;
}

/* The entry of a two-word command: @c's name with second word @word. */
static const struct gr_cmd *find_sub(const struct gr_obj *o,
				     const struct gr_cmd *c, const char *word)
{
	const struct gr_cmd *found = NULL;

	for (const struct gr_cmd *s = o->cmds; s->name; s++) {
		if (strcmp(s->name, c->name) || !s->sub)
			continue;
		if (!strcmp(word, s->sub) ||
		    (!strcmp(s->sub, "del") && in_list(word, DEL_ALIASES)))
			return s;
		if (arg_is(word, s->sub))
			found = found ? (void *)-1 : s;
	}
	return found == (void *)-1 ? NULL : found;
}

/*
 * The keyword @word names among @kw: its documented name or an alias
 * exactly, else (@prefix) an unambiguous prefix of a documented name.
 */
static const struct gr_kw *find_kw(const struct gr_kw *kw, const char *word,
				   bool prefix)
{
	const struct gr_kw *found = NULL;

	for (const struct gr_kw *k = kw; k->name; k++)
		if (!strcmp(word, k->name) || in_list(word, k->alias))
			return k;
	if (!prefix)
		return NULL;
	for (const struct gr_kw *k = kw; k->name; k++)
		if (arg_is(word, k->name))
			found = found ? (void *)-1 : k;
	return found == (void *)-1 ? NULL : found;
}

/*
 * A copy of @s with every '-' made '_' (list values: ipv6-ex, tso-ecn),
 * in a static arena that lives as long as the normalised vector; @s as it
 * is when the arena is full.
 */
static char *underscores(const char *s)
{
	static char arena[8192];
	static size_t used;
	size_t n = strlen(s) + 1;
	char *c = arena + used;

	if (n > sizeof(arena) - used)
		return (char *)s;
	memcpy(c, s, n);
	used += n;
	for (char *p = c; *p; p++)
		if (*p == '-')
			*p = '_';
	return c;
}

#define TYPE_NAMES                                                        \
	"all, none, or a comma list of ipv4, tcpv4, udpv4, ipv6, tcpv6, " \
	"udpv6, ipv6_ex, tcpv6_ex, udpv6_ex"

/* Check a hash type list; on error name the first bad entry. */
static int check_types(const char *what, const char *list)
{
	char buf[256], *tok, *save = NULL;
	uint32_t t;

	if (!vtap_hash_types__parse(list, &t))
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (vtap_hash_types__parse(tok, &t))
			return usage_err("%s: unknown hash type '%s' (%s)",
					 what, tok, TYPE_NAMES);
	return usage_err("%s: bad hash type list '%s' (%s)", what, list,
			 TYPE_NAMES);
}

/* ---- normalisation ---- */

/*
 * What a keyword sets: ethtool's `equal` and `weight` set the table,
 * `flow-type` the protocol (and the family); the rest themselves.
 */
static const char *kw_slot(const struct gr_kw *kw)
{
	if (!strcmp(kw->name, "equal") || !strcmp(kw->name, "weight"))
		return "table";
	if (!strcmp(kw->name, "flow-type"))
		return "proto";
	return kw->name;
}

/* The keywords of one command line seen so far, and how they were typed. */
struct seen {
	const char *slot[64];
	const char *word[64];
	int n;
};

/*
 * Record keyword @kw typed as @word; a second keyword for the same setting
 * is a usage error naming both (a command never silently takes the last
 * of two values).
 */
static int seen_once(struct seen *s, const char *what, const struct gr_kw *kw,
		     const char *word)
{
	const char *slot = kw_slot(kw);

	for (int k = 0; k < s->n; k++) {
		if (strcmp(s->slot[k], slot))
			continue;
		if (!strcmp(s->word[k], word))
			return usage_err("%s: '%s' given twice", what, word);
		return usage_err("%s: '%s' and '%s' both set the %s", what,
				 s->word[k], word, slot);
	}
	if (s->n < (int)ARRAY_LEN(s->slot)) {
		s->slot[s->n] = slot;
		s->word[s->n++] = word;
	}
	return 0;
}

struct out {
	char **v;
	int n;
};

/* The normalised vector, kept for the life of the process. */
static char **out_vec;

static void push(struct out *o, const char *s)
{
	o->v[o->n++] = (char *)s;
}

int gr_normalize(int argc, char **argv, int *ret_argc, char ***ret_argv)
{
	const struct gr_obj *obj;
	const struct gr_cmd *cmd = NULL;
	const char *devname = NULL, *family_any = NULL;
	struct seen seen = {.n = 0};
	char what[64];
	struct out o;
	bool has_addr = false;
	int i = 1, start;

	/* Room for every word, plus "dev", "table" per word, "src ADDR". */
	free(out_vec);
	o.v = out_vec = calloc((size_t)argc * 2 + 4, sizeof(*o.v));
	o.n = 0;
	if (!o.v) {
		*ret_argc = argc;
		*ret_argv = argv;
		return 0;
	}
	*ret_argv = o.v;
	obj = argc ? find_object(argv[0]) : NULL;
	if (!obj) {
		/* main.c names the unknown or ambiguous object. */
		memcpy(o.v, argv, sizeof(*argv) * (size_t)argc);
		*ret_argc = argc;
		return 0;
	}
	gr_set_object(obj->name);
	push(&o, obj->name);
	/* The command: an alias becomes its name; help passes through. */
	if (!*obj->cmds[0].name) {
		cmd = &obj->cmds[0];
		/* `stats show dev X`: the object has no verb; drop it. */
		if (i < argc && in_list(argv[i], cmd->alias))
			i++;
	} else if (i < argc && strcmp(argv[i], "help")) {
		cmd = find_cmd(obj, argv[i]);
		if (cmd && cmd->sub) {
			const struct gr_cmd *s =
				i + 1 < argc ? find_sub(obj, cmd, argv[i + 1])
					     : NULL;

			push(&o, cmd->name);
			i++;
			cmd = s;
			if (s) {
				push(&o, s->sub);
				i++;
			}
		} else if (cmd) {
			push(&o, cmd->name);
			i++;
		}
	}
	if (!cmd) {
		/* Unknown to the tables: the object's parser decides. */
		while (i < argc)
			push(&o, argv[i++]);
		*ret_argc = o.n;
		return 0;
	}
	snprintf(what, sizeof(what), "%s%s%s%s%s", obj->name,
		 *cmd->name ? " " : "", cmd->name, cmd->sub ? " " : "",
		 cmd->sub ? cmd->sub : "");
	start = o.n;

	/* The device: `dev NAME` anywhere, or a bare NAME first. */
	if (cmd->dev == D_BARE && i + 1 < argc &&
	    (!strcmp(argv[i], "dev") || !strcmp(argv[i], "name")))
		i++;
	if (cmd->dev == D_KW) {
		for (int k = i; k + 1 < argc; k++) {
			if (!strcmp(argv[k], "dev")) {
				devname = argv[k + 1];
				break;
			}
			/* Skip keyword values: `obj dev` names a file. */
			const struct gr_kw *kw =
				find_kw(cmd->kw, argv[k], true);

			if (kw && kw->val != V_FLAG)
				k++;
		}
		/* `offload show tap0 dev tap1`: two devices. */
		if (devname && !cmd->pos && i < argc && argv[i] != devname &&
		    strcmp(argv[i], "dev") && strcmp(argv[i], "help") &&
		    !find_kw(cmd->kw, argv[i], true))
			return usage_err("%s: 'dev' given twice ('%s' and "
					 "'%s')",
					 what, argv[i], devname);
		if (!devname && i < argc && strcmp(argv[i], "help") &&
		    !find_kw(cmd->kw, argv[i], true)) {
			devname = argv[i];
			argv[i] = NULL; /* consumed */
		}
		if (devname) {
			push(&o, "dev");
			push(&o, devname);
			const struct gr_kw *dk = find_kw(cmd->kw, "dev", false);

			if (dk)
				seen_once(&seen, what, dk, "dev");
		}
	}

	/* Keywords and their values. */
	while (i < argc) {
		const char *w = argv[i++];
		const struct gr_kw *kw;

		if (!w)
			continue;
		if (cmd->dev == D_KW && devname && !strcmp(w, "dev") &&
		    i < argc && argv[i] == devname) {
			i++; /* moved to the front */
			continue;
		}
		kw = find_kw(cmd->kw, w, true);
		if (!kw) {
			/* `offload set tap0 csum,tso-ecn`: a list by position. */
			push(&o, cmd->pos == V_OFFLOADS ? underscores(w) : w);
			continue;
		}
		if (seen_once(&seen, what, kw, w))
			return EXIT_USAGE;
		/* The spelling the object parses, unless a prefix was typed. */
		if (!strcmp(w, kw->name) || in_list(w, kw->alias))
			w = kw->as ? kw->as : kw->name;
		if (kw->val == V_FLAG || i >= argc) {
			push(&o, w);
			continue;
		}
		const char *v = argv[i++];

		switch (kw->val) {
		case V_TYPES:
			v = underscores(v);
			if (check_types(what, v))
				return EXIT_USAGE;
			break;
		case V_OFFLOADS:
			v = underscores(v);
			break;
		case V_FLOWTYPE:
			/* ethtool's flow-type: the protocol and the family. */
			if (!strcmp(v, "tcp4") || !strcmp(v, "udp4"))
				family_any = "0.0.0.0/0";
			else if (!strcmp(v, "tcp6") || !strcmp(v, "udp6"))
				family_any = "::/0";
			else
				return usage_err("%s: flow-type is tcp4, udp4, "
						 "tcp6 or udp6, not '%s'",
						 what, v);
			push(&o, "proto");
			push(&o, v[0] == 't' ? "tcp" : "udp");
			continue;
		default:
			break;
		}
		if (!strcmp(kw->name, "src") || !strcmp(kw->name, "dst"))
			has_addr = true;
		/* ethtool's `equal N` / `weight W,...` are table forms. */
		if (!strcmp(kw->name, "equal") || !strcmp(kw->name, "weight")) {
			push(&o, "table");
			push(&o, kw->name);
			push(&o, v);
			continue;
		}
		push(&o, w);
		push(&o, v);
	}
	/* flow-type tcp4 alone still means IPv4 only: any IPv4 source. */
	if (family_any && !has_addr) {
		push(&o, "src");
		push(&o, family_any);
	}
	/* Stray words after commands that take none. */
	if (cmd->max_args >= 0 && o.n - start > cmd->max_args)
		return usage_err("%s: unexpected argument '%s'", what,
				 o.v[start + cmd->max_args]);
	*ret_argc = o.n;
	return 0;
}

/* ---- completion ---- */

static void complete_value(enum gr_val val)
{
	char names[1024][16];
	int n;

	switch (val) {
	case V_TYPES:
		puts("all\nnone\nipv4\ntcpv4\nudpv4\nipv6\ntcpv6\nudpv6\n"
		     "ipv6_ex\ntcpv6_ex\nudpv6_ex");
		break;
	case V_OFFLOADS:
		puts("all\nnone\ncsum\ntso4\ntso6\ntso_ecn\nuso\nudp_tunnel\n"
		     "udp_tunnel_csum");
		break;
	case V_VNET:
		puts("0\n10\n12\n20");
		break;
	case V_PROTO:
		puts("tcp\nudp");
		break;
	case V_FLOWTYPE:
		puts("tcp4\nudp4\ntcp6\nudp6");
		break;
	case V_TABLE:
		puts("equal\nweight");
		break;
	case V_DEVNAME:
		n = vtap_dev__list(names, 1024);
		for (int i = 0; i < n && i < 1024; i++)
			puts(names[i]);
		break;
	case V_DEVTYPE:
		puts("tap\ntun\nmacvtap\nipvtap");
		break;
	case V_MODE:
		puts("bridge\nvepa\nprivate\npassthru\nsource\nl2\nl3\nl3s");
		break;
	case V_LINK: {
		struct if_nameindex *ifs = if_nameindex();

		for (struct if_nameindex *p = ifs; p && p->if_name; p++)
			puts(p->if_name);
		if (ifs)
			if_freenameindex(ifs);
		break;
	}
	default:
		break;
	}
}

/*
 * The words that may follow the arguments @argv[0..@argc) of @cmd: the
 * keywords not given yet (one value each), the device while none is
 * named (`dev NAME` or, for commands that take one, a bare name first),
 * then what the command takes by position (offload set's list).
 */
static void complete_rest(const struct gr_cmd *cmd, int argc, char **argv)
{
	const char *used[64];
	bool have_dev = cmd->dev == D_BARE && argc > 0;
	int positional = 0, n = 0;

	for (int k = 0; k < argc; k++) {
		const struct gr_kw *kw = find_kw(cmd->kw, argv[k], true);

		if (!kw) {
			if (cmd->dev == D_KW && !have_dev && !k)
				have_dev = true; /* `rss show tap0 ...` */
			else
				positional++;
			continue;
		}
		if (n < (int)ARRAY_LEN(used))
			used[n++] = kw_slot(kw);
		if (!strcmp(kw->name, "dev"))
			have_dev = true;
		if (kw->val != V_FLAG)
			k++;
	}
	for (const struct gr_kw *k = cmd->kw; k->name; k++) {
		bool given = !strcmp(k->name, "dev") && have_dev;

		for (int u = 0; u < n && !given; u++)
			given = !strcmp(used[u], kw_slot(k));
		if (!given)
			puts(k->name);
	}
	if (cmd->dev != D_NONE && !have_dev)
		complete_value(V_DEVNAME);
	if (cmd->pos && have_dev && !positional)
		complete_value(cmd->pos);
}

void gr_complete(int argc, char **argv)
{
	const struct gr_obj *obj;
	const struct gr_cmd *cmd = NULL;
	int i = 1;

	if (argc < 1) {
		for (const struct gr_obj *o = objects; o->name; o++)
			puts(o->name);
		puts("help");
		return;
	}
	obj = find_object(argv[0]);
	if (!obj)
		return;
	if (!*obj->cmds[0].name) {
		cmd = &obj->cmds[0];
	} else if (argc < 2) {
		const char *last = "";

		for (const struct gr_cmd *c = obj->cmds; c->name; c++)
			if (strcmp(c->name, last))
				puts(last = c->name);
		puts("help");
		return;
	} else {
		cmd = find_cmd(obj, argv[1]);
		i = 2;
		if (cmd && cmd->sub) {
			if (argc < 3) {
				for (const struct gr_cmd *s = obj->cmds;
				     s->name; s++)
					if (!strcmp(s->name, cmd->name) &&
					    s->sub)
						puts(s->sub);
				return;
			}
			cmd = find_sub(obj, cmd, argv[2]);
			i = 3;
		}
	}
	if (!cmd)
		return;
	/* After a keyword that takes a value: its values. */
	if (argc > i) {
		const struct gr_kw *kw = find_kw(cmd->kw, argv[argc - 1], true);

		if (kw && kw->val != V_FLAG) {
			complete_value(kw->val);
			return;
		}
	}
	complete_rest(cmd, argc - i, argv + i);
}
