// SPDX-License-Identifier: MIT
/*
 * dev.c - vtapctl dev: create, delete and show tap devices
 *
 *   vtapctl dev add NAME [queues N] [vnet_hdr 0|10|12|20] [offload LIST]
 *                        [owner UID] [group GID] [mtu N] [tun]
 *                        [qlen N | budget BYTES]
 *   vtapctl dev add NAME type macvtap|ipvtap link LOWER [mode MODE]
 *                        [mac ADDR] [queues N] [vnet_hdr 10|12|20] ...
 *   vtapctl dev set NAME qlen N | budget BYTES | budget off
 *   vtapctl dev del NAME
 *   vtapctl dev show [NAME]
 *
 * `dev add` makes a persistent multiqueue tap ready for a VMM: IFF_TAP,
 * IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR with a 12-byte header by
 * default (virtio 1.0's virtio_net_hdr_v1, what QEMU uses), its queue
 * count recorded in /run/vtap/NSID/IFINDEX/queues. With `type macvtap` (or
 * ipvtap) it makes a macvtap on LOWER instead, whose character device is
 * given to the owner and group. The queue depth and budget are qdepth.c's.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"
#include "vtapctl_qdepth.h"

/* ---- the library's last warning, for one-line errors ---- */

static char last_warn[256];
static vtap_log_fn prev_log;

__attribute__((format(printf, 2, 0))) static int
capture_log(enum vtap_log_level level, const char *fmt, va_list ap)
{
	va_list copy;
	size_t n;

	va_copy(copy, ap);
	if (level == VTAP_LOG_WARN) {
		vsnprintf(last_warn, sizeof(last_warn), fmt, ap);
		n = strlen(last_warn);
		while (n && last_warn[n - 1] == '\n')
			last_warn[--n] = '\0';
	}
	if (prev_log)
		prev_log(level, fmt, copy);
	va_end(copy);
	return 0;
}

void vtapctl_capture_log(void)
{
	prev_log = vtap_set_log(capture_log);
	last_warn[0] = '\0';
}

const char *vtapctl_lib_reason(void)
{
	/* Strip the library's "vtap: " prefix. */
	return strncmp(last_warn, "vtap: ", 6) ? last_warn : last_warn + 6;
}

int vtapctl_dev_err(const char *what, const char *name, int err)
{
	const char *why = vtapctl_lib_reason();

	if (err < 0)
		err = -err;
	if (err == EEXIST && *why)
		pr_err("%s '%s': %s (%s)", what, name, strerror(err), why);
	else if (err == EOPNOTSUPP && *why)
		pr_err("%s '%s': %s (%s)", what, name, strerror(err), why);
	else if (err == EINVAL && *why)
		pr_err("%s '%s': %s (%s)", what, name, strerror(err), why);
	else if (*why && strstr(why, "cannot record"))
		pr_err("%s '%s': %s", what, name, why);
	else
		pr_err("%s '%s': %s%s", what, name, strerror(err),
		       err == ENODEV  ? " (no such tap; create it with "
					"'vtapctl dev add')"
		       : err == E2BIG ? " (a tap has at most 256 queues, "
					"detached ones included)"
				      : err_hint(err));
	return EXIT_FAIL;
}

static void dev_usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl [-j] dev add NAME [queues N] [vnet_hdr 0|10|12|20]\n"
		"                            [offload LIST] [owner UID] [group GID]\n"
		"                            [mtu N] [tun] [qlen N | budget BYTES]\n"
		"       vtapctl [-j] dev add NAME type macvtap|ipvtap link LOWER\n"
		"                            [mode MODE] [mac ADDR] [queues N]\n"
		"                            [vnet_hdr 10|12|20] [offload LIST]\n"
		"                            [owner UID] [group GID] [mtu N]\n"
		"                            [qlen N | budget BYTES]\n"
		"       vtapctl [-j] dev set NAME qlen N | budget BYTES | budget off\n"
		"       vtapctl [-j] dev del NAME\n"
		"       vtapctl [-j] dev show [NAME]\n"
		"       vtapctl [-j] dev features\n"
		"\n"
		"  add   create a persistent multiqueue tap for a VMM (default: 1 queue,\n"
		"        12-byte vnet header, no offloads); LIST is all, none or a comma\n"
		"        list of csum,tso4,tso6,tso_ecn,uso,udp_tunnel,udp_tunnel_csum;\n"
		"        type macvtap|ipvtap: a macvtap (ipvtap) on the lower device\n"
		"        LOWER instead, MODE bridge, vepa, private, passthru or source\n"
		"        (ipvtap: l2, l3 or l3s; default: the kernel's, vepa and l3),\n"
		"        owner and group own its character device /dev/tapIFINDEX;\n"
		"        set it up with 'ip link set NAME up'\n"
		"  set   qlen N: fix the depth of every queue (txqueuelen), 1..65536\n"
		"        frames; budget BYTES (K, M, G, T: powers of 1024): keep attached\n"
		"        queues x depth x largest frame (the MTU, or 64 KiB with a GSO\n"
		"        offload on) within BYTES, the depth never below 256 (a smaller\n"
		"        budget: the floor wins, with a note of the budget it needs),\n"
		"        redone by libvtap when queues attach or detach or offloads\n"
		"        change; budget off: forget it, the depth stays as it is\n"
		"  del   delete a tap, its run state and its steering pins\n"
		"  show  type (and lower device), flags, queues, offloads, owner, link\n"
		"        state, queue depth, budget\n"
		"        and the worst-case bytes the queues hold; and the kernel's\n"
		"        probed tun features\n"
		"  features  the kernel's tun features (needs CAP_NET_ADMIN)\n");
}

/* ---- dev add ---- */

/* A failed macvtap/ipvtap create, named with its fix. */
static int macvtap_err(const char *name, const struct vtap_dev_opts *opts,
		       int err)
{
	const char *t = vtap_dev_type__name(opts->type);
	const char *why = vtapctl_lib_reason();

	if (err == ENODEV)
		pr_err("create %s '%s': no lower device '%s' in this network "
		       "namespace (see 'ip link'; with -n NETNS, the lower "
		       "device must be there too)",
		       t, name, opts->link);
	else if (err == EOPNOTSUPP)
		pr_err("create %s '%s': the kernel has no %s devices "
		       "(modprobe %s)",
		       t, name, t, t);
	else if (*why)
		pr_err("create %s '%s': %s (%s)", t, name, strerror(err), why);
	else
		pr_err("create %s '%s': %s%s", t, name, strerror(err),
		       err_hint(err));
	return EXIT_FAIL;
}

/* `type tap|tun|macvtap|ipvtap`. Return: 0 or a usage error. */
static int parse_type(const char *s, struct vtap_dev_opts *opts)
{
	if (!strcmp(s, "tap")) {
		opts->type = VTAP_DEV_TYPE_TUN;
	} else if (!strcmp(s, "tun")) {
		opts->type = VTAP_DEV_TYPE_TUN;
		opts->flags |= VTAP_DEV_TUN;
	} else if (!strcmp(s, "macvtap")) {
		opts->type = VTAP_DEV_TYPE_MACVTAP;
	} else if (!strcmp(s, "ipvtap")) {
		opts->type = VTAP_DEV_TYPE_IPVTAP;
	} else {
		return usage_err("dev add: type '%s': tap, tun, macvtap or "
				 "ipvtap",
				 s);
	}
	return 0;
}

/* The words of a macvtap/ipvtap and of a tun/tap do not mix. */
static int check_type(const struct vtap_dev_opts *opts, bool has_mode)
{
	const char *t = vtap_dev_type__name(opts->type);

	if (opts->type == VTAP_DEV_TYPE_TUN) {
		if (opts->link || has_mode || opts->mac)
			return usage_err("dev add: link, mode and mac are for "
					 "'type macvtap' or 'type ipvtap'");
		return 0;
	}
	if (opts->flags & VTAP_DEV_TUN)
		return usage_err("dev add: a %s is a tap (no 'tun')", t);
	if (!opts->link)
		return usage_err("dev add: a %s needs its lower device: "
				 "'link LOWER'",
				 t);
	if (!vtap_dev_mode__valid(opts->type, opts->mode))
		return usage_err("dev add: mode '%s' is not a %s mode (%s)",
				 vtap_dev_mode__name(opts->mode), t,
				 opts->type == VTAP_DEV_TYPE_MACVTAP
					 ? "bridge, vepa, private, passthru "
					   "or source"
					 : "l2, l3 or l3s");
	if (!opts->vnet_hdr_len)
		return usage_err("dev add: a %s's queues need a vnet header "
				 "(vnet_hdr 10, 12 or 20)",
				 t);
	return 0;
}

static int dev_add(int argc, char **argv)
{
	static const char *const words[] = {
		"queues", "vnet-hdr", "offload", "owner", "group", "mtu",
		"tun",	  "type",     "link",	 "mode",  "mac",   NULL};
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_PERSIST | VTAP_DEV_EXCL, .queues = 1,
		       .vnet_hdr_len = VTAP_VNET_HDR_V1_LEN);
	VTAP_OPTS_INIT(vtap_qdepth_opts, qd);
	const char *name;
	struct vtap_dev *dev;
	uint32_t mtu = 0, v;
	uint8_t mac[6];
	bool has_mode = false;
	size_t len;
	int i, w, err;

	if (argc < 1)
		return usage_err("dev add: missing NAME");
	name = argv[0];
	if (strlen(name) >= 16 || !*name || strchr(name, '/') ||
	    strchr(name, '%'))
		return usage_err("dev add: invalid interface name '%s'", name);
	for (i = 1; i < argc; i += 2) {
		/* qlen from its second letter on: "q" stays queues. */
		if ((strlen(argv[i]) > 1 && arg_is(argv[i], "qlen")) ||
		    arg_is(argv[i], "budget")) {
			if (i + 1 >= argc)
				return usage_err("dev add: '%s' needs a value",
						 argv[i][0] == 'q' ? "qlen"
								   : "budget");
			err = vtapctl_qdepth_arg("dev add",
						 argv[i][0] == 'q' ? "qlen"
								   : "budget",
						 argv[i + 1], false, &qd);
			if (err)
				return err;
			continue;
		}
		w = arg_match(argv[i], words);
		/* "m" stays mtu, "t" tun (they came first). */
		if (w == -2 && !strcmp(argv[i], "m"))
			w = 5;
		else if (w == -2 && !strcmp(argv[i], "t"))
			w = 6;
		if (w == 6) { /* tun: no value */
			opts.flags |= VTAP_DEV_TUN;
			i--;
			continue;
		}
		if (w < 0)
			return usage_err("dev add: %s argument '%s'",
					 w == -2 ? "ambiguous" : "unknown",
					 argv[i]);
		if (i + 1 >= argc)
			return usage_err("dev add: '%s' needs a value",
					 words[w]);
		switch (w) {
		case 0:
			if (arg_u32(argv[i + 1], VTAP_QUEUES_MAX, &v) || !v)
				return usage_err("dev add: queues '%s': 1..%u",
						 argv[i + 1], VTAP_QUEUES_MAX);
			opts.queues = v;
			break;
		case 1:
			if (arg_u32(argv[i + 1], 20, &v) ||
			    (v && v != 10 && v != 12 && v != 20))
				return usage_err(
					"dev add: vnet_hdr '%s': 0, 10, "
					"12 or 20",
					argv[i + 1]);
			opts.vnet_hdr_len = v;
			break;
		case 2:
			if (vtap_offloads__parse(argv[i + 1], &v))
				return usage_err("dev add: offload '%s': all, "
						 "none or a comma list of "
						 "csum,tso4,tso6,tso_ecn,uso,"
						 "udp_tunnel,udp_tunnel_csum",
						 argv[i + 1]);
			if (!strcmp(argv[i + 1], "all")) {
				/* All the kernel supports. */
				struct vtap_dev_features f;

				if (!vtap_features__probe(&f))
					v &= f.offloads;
			}
			opts.offloads = v;
			opts.flags |= VTAP_DEV_SET_OFFLOADS;
			break;
		case 3:
			if (arg_u32(argv[i + 1], UINT32_MAX - 1, &v))
				return usage_err("dev add: owner '%s': a uid",
						 argv[i + 1]);
			opts.owner = v;
			opts.flags |= VTAP_DEV_SET_OWNER;
			break;
		case 4:
			if (arg_u32(argv[i + 1], UINT32_MAX - 1, &v))
				return usage_err("dev add: group '%s': a gid",
						 argv[i + 1]);
			opts.group = v;
			opts.flags |= VTAP_DEV_SET_GROUP;
			break;
		case 5:
			if (arg_u32(argv[i + 1], 65535, &mtu) || mtu < 68)
				return usage_err("dev add: mtu '%s': 68..65535",
						 argv[i + 1]);
			break;
		case 7:
			err = parse_type(argv[i + 1], &opts);
			if (err)
				return err;
			break;
		case 8:
			opts.link = argv[i + 1];
			break;
		case 9:
			opts.mode = VTAP_DEV_MODE__COUNT;
			for (v = 1; v < VTAP_DEV_MODE__COUNT; v++)
				if (!strcmp(argv[i + 1],
					    vtap_dev_mode__name(v)))
					opts.mode = v;
			if (opts.mode == VTAP_DEV_MODE__COUNT)
				return usage_err(
					"dev add: mode '%s': bridge, vepa, "
					"private, passthru or source "
					"(macvtap); l2, l3 or l3s (ipvtap)",
					argv[i + 1]);
			has_mode = true;
			break;
		case 10:
			if (arg_hex(argv[i + 1], mac, sizeof(mac), &len) ||
			    len != 6 || (mac[0] & 1))
				return usage_err("dev add: mac '%s': a unicast "
						 "address, 02:00:00:00:00:01",
						 argv[i + 1]);
			opts.mac = mac;
			break;
		}
	}
	err = check_type(&opts, has_mode);
	if (err)
		return err;
	if ((opts.flags & VTAP_DEV_SET_OFFLOADS) && opts.offloads &&
	    !opts.vnet_hdr_len)
		return usage_err("dev add: offloads need a vnet header "
				 "(vnet_hdr 10, 12 or 20)");
	vtapctl_capture_log();
	dev = vtap_dev__open(name, &opts);
	if (!dev && opts.type != VTAP_DEV_TYPE_TUN)
		return macvtap_err(name, &opts, errno);
	if (!dev)
		return vtapctl_dev_err("create", name, errno);
	if (mtu) {
		err = vtap_dev__set_mtu(dev, mtu);
		if (err) {
			vtap_dev__close(dev);
			vtap_dev__delete(name);
			pr_err("set mtu %u of '%s': %s%s", mtu, name,
			       strerror(-err), err_hint(err));
			return EXIT_FAIL;
		}
	}
	if (qd.mode != VTAP_QDEPTH_KERNEL) {
		/* With its queues attached: they are the ones counted. */
		err = vtap_dev__set_qdepth(dev, &qd);
		if (err) {
			vtap_dev__close(dev);
			vtap_dev__delete(name);
			return vtapctl_dev_err("set the queue depth of", name,
					       err);
		}
	}
	vtap_dev__close(dev);
	/* State of taps of this namespace deleted another way goes now (the
	 * new tap has an ifindex of its own: it has no pins to remove). */
	vtap_steer__unpin(name);
	if (pr_is_json()) {
		pr_arr_begin(NULL);
		pr_obj_begin(NULL);
		pr_str("ifname", NULL, name);
		pr_str("type", NULL,
		       opts.type == VTAP_DEV_TYPE_TUN
			       ? (opts.flags & VTAP_DEV_TUN ? "tun" : "tap")
			       : vtap_dev_type__name(opts.type));
		if (opts.link)
			pr_str("link", NULL, opts.link);
		pr_u64("queues", NULL, opts.queues);
		pr_u64("vnet_hdr_len", NULL, opts.vnet_hdr_len);
		vtapctl_pr_offloads("offloads", NULL, opts.offloads);
	}
	if (qd.mode != VTAP_QDEPTH_KERNEL && vtapctl_qdepth_done(name))
		return EXIT_FAIL;
	if (pr_is_json()) {
		pr_obj_end();
		pr_arr_end();
	}
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

/* ---- dev del ---- */

static int dev_del(int argc, char **argv)
{
	const char *name;
	int err;

	if (argc != 1)
		return usage_err("dev del: expected NAME");
	name = argv[0];
	vtapctl_capture_log();
	err = vtap_dev__delete(name);
	if (err == -ENODEV) {
		/* What taps deleted another way left goes all the same. */
		vtap_steer__unpin(name);
		/* Not "create it with dev add": it was to go anyway. */
		pr_err("delete '%s': no such tun/tap device or macvtap here (see 'vtapctl dev show')",
		       name);
		return EXIT_FAIL;
	}
	if (err == -EINVAL && *vtapctl_lib_reason()) {
		pr_err("delete '%s': %s", name, vtapctl_lib_reason());
		return EXIT_FAIL;
	}
	if (err)
		return vtapctl_dev_err("delete", name, err);
	err = vtap_steer__unpin(name);
	if (err) {
		pr_err("delete '%s': removing the steering pins: %s%s", name,
		       strerror(-err), err_hint(err));
		return EXIT_FAIL;
	}
	if (pr_is_json()) {
		pr_arr_begin(NULL);
		pr_obj_begin(NULL);
		pr_str("ifname", NULL, name);
		pr_bool("deleted", NULL, true);
		pr_obj_end();
		pr_arr_end();
	}
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

/* ---- dev show ---- */

static void show_flags(uint32_t f)
{
	pr_str("mode", "%s", f & IFF_TUN ? "tun" : "tap");
	pr_bool("multi_queue", f & IFF_MULTI_QUEUE ? " multi_queue" : NULL,
		f & IFF_MULTI_QUEUE);
	pr_bool("vnet_hdr", f & IFF_VNET_HDR ? " vnet_hdr" : NULL,
		f & IFF_VNET_HDR);
	pr_bool("no_pi", f & IFF_NO_PI ? " no_pi" : NULL, f & IFF_NO_PI);
	pr_bool("persist", f & IFF_PERSIST ? " persist" : NULL,
		f & IFF_PERSIST);
}

static void show_id(const char *key, int64_t id)
{
	char text[32];

	snprintf(text, sizeof(text), " %s %%s", key);
	if (id < 0) {
		if (pr_is_json())
			pr_null(key);
		else
			pr_str(key, text, "-");
	} else {
		snprintf(text, sizeof(text), " %s %%llu", key);
		pr_u64(key, text, (uint64_t)id);
	}
}

/*
 * The device type and, for a macvtap/ipvtap, the lower device and mode
 * (text: only for those; JSON: "type" always, "link" null for a tun/tap).
 */
static void show_type(const char *name)
{
	struct vtap_dev_link l = {.sz = sizeof(l)};
	char buf[32];

	if (vtap_dev__link(name, &l) || l.type == VTAP_DEV_TYPE_TUN) {
		if (pr_is_json()) {
			pr_str("type", NULL, "tun");
			pr_null("link");
		}
		return;
	}
	pr_str("type", " type %s", vtap_dev_type__name(l.type));
	if (l.link[0]) {
		pr_str("link", " link %s", l.link);
	} else if (l.link_ifindex) {
		/* Another namespace's: its index there, as `ip link` does. */
		snprintf(buf, sizeof(buf), "if%d", l.link_ifindex);
		pr_str("link", " link %s", buf);
	} else {
		pr_null("link");
	}
	if (l.link_netns)
		pr_bool("link_netns", " (another netns)", true);
	pr_str("link_mode", " mode %s", vtap_dev_mode__name(l.mode));
	/* Where its queues are opened (QEMU's fds=, libvirt). */
	if (l.node[0])
		pr_str("node", " node %s", l.node);
	else
		pr_null("node");
}

static void show_one(const struct vtap_dev_info *in)
{
	char buf[96];

	pr_obj_begin(NULL);
	pr_str("ifname", "%s: ", in->name);
	pr_u64("ifindex", NULL, (uint64_t)in->ifindex);
	if (pr_is_json()) {
		char dir[256];

		if (!vtap_dev__run_dir(in->name, dir, sizeof(dir)))
			pr_str("run_dir", NULL, dir);
		else
			pr_null("run_dir");
	}
	show_flags(in->tun_flags);
	show_type(in->name);
	pr_text("\n   ");
	if (in->attached_queues || pr_is_json())
		pr_u64("attached_queues", " queues %llu attached",
		       in->attached_queues);
	else
		pr_text(" queues ? attached");
	if (in->intended_queues)
		pr_u64("intended_queues", ", %llu intended",
		       in->intended_queues);
	else if (pr_is_json())
		pr_null("intended_queues");
	show_id("owner", in->owner);
	show_id("group", in->group);
	pr_text("\n   ");
	pr_u64("mtu", " mtu %llu", in->mtu);
	if (!(in->tun_flags & IFF_TUN)) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
			 in->mac[0], in->mac[1], in->mac[2], in->mac[3],
			 in->mac[4], in->mac[5]);
		pr_str("mac", " mac %s", buf);
	}
	pr_str("state", " state %s", in->up ? "up" : "down");
	pr_bool("carrier", in->carrier ? " carrier on" : " carrier off",
		in->carrier);
	pr_text("\n   ");
	vtapctl_pr_offloads("offloads", " offloads %s", in->offloads);
	vtapctl_show_qdepth(in->name);
	pr_text("\n");
	pr_obj_end();
}

void vtapctl_pr_offloads(const char *key, const char *fmt, uint32_t mask)
{
	char buf[128];

	if (!pr_is_json()) {
		pr_str(key, fmt, vtap_offloads__format(mask, buf, sizeof(buf)));
		return;
	}
	pr_arr_begin(key);
	for (uint32_t bit = 1; bit & VTAP_OFFLOAD_ALL; bit <<= 1)
		if (mask & bit)
			pr_str(NULL, NULL, vtap_offload__name(bit));
	pr_arr_end();
}

void vtapctl_show_features(const struct vtap_dev_features *f)
{
	char buf[96];
	size_t n = 0;

	pr_obj_begin("features");
	pr_text("kernel tun features:");
	pr_u64("tun_features", " flags 0x%llx", f->tun_features);
	vtapctl_pr_offloads("offloads", " offloads %s", f->offloads);
	buf[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (f->hdr_sizes & (1u << i))
			n += snprintf(buf + n, sizeof(buf) - n, "%s%d",
				      n ? "," : "", (int[]){10, 12, 20, 24}[i]);
	if (pr_is_json()) {
		pr_arr_begin("vnet_hdr_sizes");
		for (int i = 0; i < 4; i++)
			if (f->hdr_sizes & (1u << i))
				pr_u64(NULL, NULL,
				       (uint64_t)(int[]){10, 12, 20, 24}[i]);
		pr_arr_end();
	} else {
		pr_text(" vnet_hdr %s", buf);
	}
	pr_bool("vnet_le", f->vnet_le ? " vnet_le" : NULL, f->vnet_le);
	pr_bool("vnet_be", f->vnet_be ? " vnet_be" : NULL, f->vnet_be);
	pr_u64("max_queues", " max-queues %llu", f->max_queues);
	pr_text("\n");
	pr_obj_end();
}

static int dev_show(int argc, char **argv)
{
	static char names[1024][16];
	struct vtap_dev_features feat;
	struct vtap_dev_info info;
	int n, err;

	if (argc > 1)
		return usage_err("dev show: expected at most one NAME");
	if (argc == 1) {
		err = vtap_dev__info(argv[0], &info);
		if (err == -EINVAL) {
			pr_err("show '%s': not a tun/tap device (nor a "
			       "macvtap or ipvtap)",
			       argv[0]);
			return EXIT_FAIL;
		}
		if (err)
			return vtapctl_dev_err("show", argv[0], err);
	}
	/* JSON: an array of devices, as `ip -j link`; the kernel's
	 * features are `dev features`. */
	pr_arr_begin(NULL);
	if (argc == 1) {
		show_one(&info);
	} else {
		n = vtap_dev__list(names, 1024);
		if (n < 0) {
			pr_err("list devices: %s", strerror(-n));
			return EXIT_FAIL;
		}
		for (int i = 0; i < n && i < 1024; i++)
			if (!vtap_dev__info(names[i], &info))
				show_one(&info);
	}
	pr_arr_end();
	/* Probing needs CAP_NET_ADMIN (a temporary tap); skip it otherwise. */
	if (!pr_is_json() && !vtap_features__probe(&feat))
		vtapctl_show_features(&feat);
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

/* The running kernel's tun features, probed on a temporary tap. */
static int dev_features(int argc, char **argv)
{
	struct vtap_dev_features feat;
	int err;

	if (argc)
		return usage_err("dev features: unexpected argument '%s'",
				 argv[0]);
	err = vtap_features__probe(&feat);
	if (err) {
		pr_err("probe the kernel's tun features: %s%s", strerror(-err),
		       err_hint(err));
		return EXIT_FAIL;
	}
	pr_arr_begin(NULL);
	vtapctl_show_features(&feat);
	pr_arr_end();
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

int cmd_dev(int argc, char **argv)
{
	static const char *const cmds[] = {"add",  "del",      "show", "list",
					   "help", "features", NULL};
	int c;

	if (argc < 1)
		return dev_show(0, argv);
	/* set from its second letter on: "s" stays show. */
	if (strlen(argv[0]) > 1 && arg_is(argv[0], "set"))
		return vtapctl_dev_set(argc - 1, argv + 1);
	c = arg_match(argv[0], cmds);
	switch (c) {
	case 0:
		return dev_add(argc - 1, argv + 1);
	case 1:
		return dev_del(argc - 1, argv + 1);
	case 2:
	case 3:
		return dev_show(argc - 1, argv + 1);
	case 4:
		dev_usage(stdout);
		return EXIT_OK;
	case 5:
		return dev_features(argc - 1, argv + 1);
	case -2:
		return usage_err("dev: ambiguous command '%s'", argv[0]);
	default:
		return usage_err("dev: unknown command '%s'", argv[0]);
	}
}
