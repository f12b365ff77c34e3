// SPDX-License-Identifier: MIT
/*
 * qdepth.c - vtapctl's queue depth and memory budget, for dev add/set/show
 * and stats
 *
 *   vtapctl dev add NAME ... [qlen N | budget BYTES]
 *   vtapctl dev set NAME qlen N | budget BYTES | budget off
 *
 * `qlen N` fixes the depth of every queue (txqueuelen, 1..65536 frames).
 * `budget BYTES` (a number, optionally with K, M, G or T for powers of
 * 1024) keeps attached queues x depth x largest frame within BYTES, the
 * depth never below 256: a budget too small for that is accepted, the
 * floor wins and a note on stderr says what budget the floor needs.
 * `budget off` forgets the setting; the depth stays where it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"
#include "vtapctl_qdepth.h"

int vtapctl_parse_bytes(const char *s, uint64_t *ret)
{
	static const char units[] = "kmgt";
	uint64_t v = 0, mul = 1;
	const char *p = s;
	const char *u;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		u = strchr(units, *p | 0x20);
		if (!u || p[1])
			return -EINVAL;
		mul = 1ull << (10 * (u - units + 1));
	}
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ret = v * mul;
	return 0;
}

int vtapctl_qdepth_arg(const char *cmd, const char *word, const char *value,
		       bool allow_off, struct vtap_qdepth_opts *opts)
{
	uint32_t v;
	uint64_t b;

	if (opts->mode != VTAP_QDEPTH_KERNEL || opts->budget_bytes)
		return usage_err("%s: qlen and budget exclude each other, "
				 "give one",
				 cmd);
	if (!strcmp(word, "qlen")) {
		if (arg_u32(value, VTAP_QDEPTH_MAX, &v) || !v)
			return usage_err("%s: qlen '%s': frames per queue, "
					 "1..%u",
					 cmd, value, VTAP_QDEPTH_MAX);
		opts->mode = VTAP_QDEPTH_QLEN;
		opts->qlen = v;
		return 0;
	}
	if (allow_off && !strcmp(value, "off")) {
		/* Stays KERNEL, but a second setting must still clash. */
		opts->budget_bytes = UINT64_MAX;
		return 0;
	}
	if (vtapctl_parse_bytes(value, &b) || !b)
		return usage_err("%s: budget '%s': bytes, at least 1, "
				 "optionally with K, M, G or T%s",
				 cmd, value, allow_off ? "; or off" : "");
	opts->mode = VTAP_QDEPTH_BUDGET;
	opts->budget_bytes = b;
	return 0;
}

/* The stderr note when the floor won over the budget (text mode). */
static void note_floor(const char *name, const struct vtap_qdepth_info *qi)
{
	uint64_t need =
		(uint64_t)VTAP_QDEPTH_FLOOR * qi->queues * qi->frame_bytes;

	if (!qi->over_budget || pr_is_json())
		return;
	fprintf(stderr,
		"vtapctl: note: budget of '%s': %" PRIu64 " bytes is below "
		"the floor of %u frames per queue (%" PRIu32 " queue(s) x %u x "
		"%" PRIu32 " bytes = %" PRIu64
		"): the floor wins, depth %" PRIu32
		"; give a budget of at least %" PRIu64 " to stay within it\n",
		name, qi->budget_bytes, VTAP_QDEPTH_FLOOR, qi->queues,
		VTAP_QDEPTH_FLOOR, qi->frame_bytes, need, qi->qlen, need);
}

/* The JSON members of a tap's depth, shared by dev add/set. */
static void pr_qdepth_json(const struct vtap_qdepth_info *qi)
{
	pr_str("qdepth_mode", NULL,
	       vtap_qdepth_mode__name((enum vtap_qdepth_mode)qi->mode));
	pr_u64("qlen", NULL, qi->qlen);
	if (qi->mode == VTAP_QDEPTH_BUDGET)
		pr_u64("budget_bytes", NULL, qi->budget_bytes);
	else
		pr_null("budget_bytes");
	pr_u64("worst_case_bytes", NULL, qi->worst_case_bytes);
	pr_bool("over_budget", NULL, qi->over_budget);
}

int vtapctl_qdepth_done(const char *name)
{
	struct vtap_qdepth_info qi;
	int err = vtap_qdepth__info(name, &qi);

	if (err)
		return vtapctl_dev_err("read the queue depth of", name, err);
	note_floor(name, &qi);
	if (pr_is_json())
		pr_qdepth_json(&qi);
	return 0;
}

int vtapctl_dev_set(int argc, char **argv)
{
	static const char *const words[] = {"qlen", "budget", NULL};
	VTAP_OPTS_INIT(vtap_qdepth_opts, opts);
	const char *name;
	int i, w, err;

	if (argc < 1)
		return usage_err("dev set: missing NAME");
	name = argv[0];
	if (argc < 2)
		return usage_err("dev set: expected NAME qlen N, budget BYTES "
				 "or budget off");
	for (i = 1; i < argc; i += 2) {
		w = arg_match(argv[i], words);
		if (w < 0)
			return usage_err("dev set: %s argument '%s'",
					 w == -2 ? "ambiguous" : "unknown",
					 argv[i]);
		if (i + 1 >= argc)
			return usage_err("dev set: '%s' needs a value (%s)",
					 words[w], w ? "BYTES or off" : "N");
		err = vtapctl_qdepth_arg("dev set", words[w], argv[i + 1], true,
					 &opts);
		if (err)
			return err;
	}
	opts.budget_bytes =
		opts.mode == VTAP_QDEPTH_BUDGET ? opts.budget_bytes : 0;
	vtapctl_capture_log();
	err = vtap_qdepth__set(name, &opts);
	if (err == -EINVAL && *vtapctl_lib_reason()) {
		const char *why = vtapctl_lib_reason();
		size_t n = strlen(name);

		/* The library's "NAME: cause", named once. */
		if (!strncmp(why, name, n) && !strncmp(why + n, ": ", 2))
			why += n + 2;
		pr_err("set the queue depth of '%s': %s", name, why);
		return EXIT_FAIL;
	}
	if (err)
		return vtapctl_dev_err("set the queue depth of", name, err);
	if (pr_is_json()) {
		pr_arr_begin(NULL);
		pr_obj_begin(NULL);
		pr_str("ifname", NULL, name);
	}
	err = vtapctl_qdepth_done(name);
	if (err)
		return err;
	if (pr_is_json()) {
		pr_obj_end();
		pr_arr_end();
	}
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

void vtapctl_show_qdepth(const char *name)
{
	struct vtap_qdepth_info qi;

	if (vtap_qdepth__info(name, &qi)) {
		/* The link is elsewhere (another namespace): nothing to say. */
		if (pr_is_json()) {
			pr_null("qlen");
			pr_null("budget_bytes");
			pr_null("worst_case_bytes");
		}
		return;
	}
	pr_text("\n   ");
	pr_u64("qlen", " qlen %llu", qi.qlen);
	if (pr_is_json())
		pr_str("qdepth_mode", NULL,
		       vtap_qdepth_mode__name((enum vtap_qdepth_mode)qi.mode));
	else
		pr_text(" (%s)", qi.mode == VTAP_QDEPTH_QLEN	 ? "fixed"
				 : qi.mode == VTAP_QDEPTH_BUDGET ? "from budget"
								 : "kernel");
	if (qi.mode == VTAP_QDEPTH_BUDGET)
		pr_u64("budget_bytes", " budget %llu bytes", qi.budget_bytes);
	else if (pr_is_json())
		pr_null("budget_bytes");
	else
		pr_text(" budget off");
	pr_u64("worst_case_bytes", ", worst case %llu bytes",
	       qi.worst_case_bytes);
	pr_u64("qdepth_queues", " = %llu queue(s)", qi.queues);
	pr_text(" x %llu", (unsigned long long)qi.qlen);
	pr_u64("frame_bytes", " x %llu-byte frames", qi.frame_bytes);
	pr_bool("over_budget", qi.over_budget ? ", over budget" : NULL,
		qi.over_budget);
}

void vtapctl_pr_queue_full_drops(const char *name)
{
	struct vtap_qdepth_info qi;

	/*
	 * Towards the reader is rx in libvtap's counters; the kernel counts
	 * these as the link's tx_dropped. Not tx_drops.queue_full: that is a
	 * write that found the writer's send buffer full.
	 */
	if (vtap_qdepth__info(name, &qi)) {
		/* The link is not in this namespace. */
		pr_null("rx_queue_full_drops");
		return;
	}
	pr_u64("rx_queue_full_drops",
	       "kernel: rx_queue_full_drops %llu (frames for the reader "
	       "dropped because their queue was full; whole device: the "
	       "link's tx_dropped)\n",
	       qi.queue_full_drops);
}
