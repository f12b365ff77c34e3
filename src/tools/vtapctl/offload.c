// SPDX-License-Identifier: MIT
/*
 * offload.c - vtapctl offload: show and set a tap's offloads
 *
 *   vtapctl offload show dev NAME
 *   vtapctl offload set dev NAME LIST
 *
 * Offloads belong to the device, not to the fd that set them: `set` opens
 * one extra queue of the tap for the TUNSETOFFLOAD call and closes it; the
 * setting stays. `show` reads the active netdev features (ethtool), so it
 * opens nothing, and the headers of the live handles' stats files for what
 * their send paths do in software. Each offload is then:
 *   software - a live libvtap handle does it in software on send (frames
 *              the consumer sends with it are segmented / checksummed
 *              before the kernel sees them);
 *   kernel   - set on the device (TUNSETOFFLOAD), and no handle does it
 *              in software;
 *   off      - neither.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"

static void offload_usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl [-j] offload show dev NAME\n"
		"       vtapctl [-j] offload set dev NAME LIST\n"
		"\n"
		"LIST is all, none or a comma list of csum,tso4,tso6,tso_ecn,uso,\n"
		"udp_tunnel,udp_tunnel_csum. Every offload but csum needs csum;\n"
		"tso_ecn needs tso4 or tso6. An offload the kernel lacks is an error.\n");
}

/* Parse "dev NAME". */
static int dev_arg(int argc, char **argv, const char *cmd, const char **name)
{
	if (argc < 2 || !arg_is(argv[0], "dev"))
		return usage_err("offload %s: expected 'dev NAME'", cmd);
	*name = argv[1];
	return 0;
}

static int offload_show(int argc, char **argv)
{
	struct vtap_dev_features feat;
	struct vtap_dev_info info;
	VTAP_OPTS_INIT(vtap_stats_dev, live);
	bool probed;
	const char *name = NULL;
	int err;

	err = dev_arg(argc, argv, "show", &name);
	if (err)
		return err;
	if (argc != 2)
		return usage_err("offload show: unexpected '%s'", argv[2]);
	err = vtap_dev__info(name, &info);
	if (err == -EINVAL) {
		pr_err("offloads of '%s': not a tun/tap device", name);
		return EXIT_FAIL;
	}
	if (err)
		return vtapctl_dev_err("offloads of", name, err);
	probed = !vtap_features__probe(&feat);
	if (vtap_stats__dev(name, &live))
		memset(&live, 0, sizeof(live));

	pr_arr_begin(NULL);
	pr_obj_begin(NULL);
	pr_str("ifname", "%s:\n", name);
	pr_arr_begin("offloads");
	for (uint32_t bit = 1; bit & VTAP_OFFLOAD_ALL; bit <<= 1) {
		bool on = info.offloads & bit;
		bool sw = live.sw_offloads & bit;

		pr_obj_begin(NULL);
		pr_str("name", "  %-16s", vtap_offload__name(bit));
		pr_str("state", " %-8s",
		       sw   ? "software"
		       : on ? "kernel"
			    : "off");
		pr_bool("kernel", NULL, on);
		pr_bool("software", NULL, sw);
		pr_bool("pinned", live.pinned_offloads & bit ? " pinned" : NULL,
			live.pinned_offloads & bit);
		if (probed)
			pr_bool("supported",
				feat.offloads & bit ? " supported"
						    : " not-supported",
				feat.offloads & bit);
		pr_text("\n");
		pr_obj_end();
	}
	pr_arr_end();
	pr_u64("handles", "live handles: %llu\n", live.handles);
	/* JSON: "supported" per offload says it; `dev features` has all. */
	if (probed && !pr_is_json())
		vtapctl_show_features(&feat);
	pr_obj_end();
	pr_arr_end();
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

static int offload_set(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_MATCH | VTAP_DEV_NO_CREATE,
		       .queues = 1);
	struct vtap_dev *dev;
	const char *name = NULL;
	uint32_t list;
	int err;

	err = dev_arg(argc, argv, "set", &name);
	if (err)
		return err;
	if (argc != 3)
		return usage_err("offload set: expected 'dev NAME LIST'");
	if (vtap_offloads__parse(argv[2], &list))
		return usage_err("offload set: '%s': all, none or a comma list "
				 "of csum,tso4,tso6,tso_ecn,uso,udp_tunnel,"
				 "udp_tunnel_csum",
				 argv[2]);
	vtapctl_capture_log();
	dev = vtap_dev__open(name, &opts);
	if (!dev)
		return vtapctl_dev_err("open", name, errno);
	if (!strcmp(argv[2], "all")) {
		/* "all" means all the kernel supports. */
		struct vtap_dev_features f;

		if (!vtap_dev__features(dev, &f))
			list &= f.offloads;
	}
	err = vtap_dev__set_offloads(dev, list);
	vtap_dev__close(dev);
	if (err)
		return vtapctl_dev_err("set offloads of", name, err);
	if (pr_is_json()) {
		pr_arr_begin(NULL);
		pr_obj_begin(NULL);
		pr_str("ifname", NULL, name);
		vtapctl_pr_offloads("offloads", NULL, list);
		pr_obj_end();
		pr_arr_end();
	}
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

int cmd_offload(int argc, char **argv)
{
	static const char *const cmds[] = {"show", "set", "help", NULL};

	if (argc < 1)
		return usage_err("offload: expected show or set");
	switch (arg_match(argv[0], cmds)) {
	case 0:
		return offload_show(argc - 1, argv + 1);
	case 1:
		return offload_set(argc - 1, argv + 1);
	case 2:
		offload_usage(stdout);
		return EXIT_OK;
	case -2:
		return usage_err("offload: ambiguous command '%s'", argv[0]);
	default:
		return usage_err("offload: unknown command '%s'", argv[0]);
	}
}
