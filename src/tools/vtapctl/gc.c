// SPDX-License-Identifier: MIT
/*
 * gc.c - vtapctl gc: the state of links and namespaces that are gone
 *
 *   vtapctl gc [--dry-run]
 *
 * Lists the run state (/run/vtap) and steering pins (bpffs) left by links
 * deleted another way than `vtapctl dev del` (`ip link del`, a namespace
 * deleted with its taps), or recorded for a link that another one has
 * replaced, and removes them (vtap_gc()). Every vtapctl run as root does
 * the same quietly; this says what it did.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"

static int entry(const struct vtap_gc_entry *e, void *ctx)
{
	pr_obj_begin(NULL);
	pr_str("kind", "%-4s", e->kind);
	pr_str("path", " %s", e->path);
	pr_str("netns", NULL, e->netns);
	pr_u64("ifindex", NULL, (uint64_t)e->ifindex);
	pr_str("reason", " (%s)", e->reason);
	pr_bool("removed", e->removed ? " removed\n" : " would be removed\n",
		e->removed);
	pr_obj_end();
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl [-j] gc [--dry-run]\n"
		"\n"
		"  remove the run state and steering pins of links and network\n"
		"  namespaces that are gone (every vtapctl run as root does it\n"
		"  quietly); --dry-run lists them and removes nothing\n");
}

int cmd_gc(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_gc_opts, o, .fn = entry);
	int n;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || arg_is(argv[i], "dry-run"))
			o.flags |= VTAP_GC_DRY_RUN;
		else if (arg_is(argv[i], "help")) {
			usage(stdout);
			return EXIT_OK;
		} else
			return usage_err("gc: unknown argument '%s'", argv[i]);
	}
	if (geteuid() != 0) {
		pr_err("gc: needs root (the state is root's; other namespaces "
		       "are entered to check their links)");
		return EXIT_FAIL;
	}
	pr_arr_begin(NULL);
	n = vtap_gc(&o);
	pr_arr_end();
	if (n < 0) {
		pr_discard();
		pr_err("gc: %s%s", strerror(-n), err_hint(n));
		return EXIT_FAIL;
	}
	if (!n)
		pr_text("nothing left behind\n");
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}
