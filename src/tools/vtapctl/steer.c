// SPDX-License-Identifier: MIT
/*
 * steer.c - vtapctl steer: the steering chain and its extension
 *
 *   vtapctl steer show dev NAME
 *   vtapctl steer attach dev NAME
 *   vtapctl steer detach dev NAME
 *   vtapctl steer guard [dev NAME]
 *   vtapctl steer ext set dev NAME obj FILE.o [prog NAME]
 *   vtapctl steer ext del dev NAME
 *
 * Also the helpers rss.c and flow.c share (vtapctl_steer.h): opening the
 * pinned state of a device and one-line errors with hints. Every command
 * works on a tun/tap and on a macvtap or ipvtap (made by vtapctl or by
 * `ip link add ... type macvtap`): the library picks the attach point from
 * the device's kind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"
#include "vtapctl_steer.h"

static char last_warn[256];

__attribute__((format(printf, 2, 0))) static int
capture(enum vtap_log_level level, const char *fmt, va_list ap)
{
	size_t n;

	if (level != VTAP_LOG_WARN)
		return 0;
	vsnprintf(last_warn, sizeof(last_warn), fmt, ap);
	n = strlen(last_warn);
	while (n && last_warn[n - 1] == '\n')
		last_warn[--n] = '\0';
	return 0;
}

static void capture_start(void)
{
	last_warn[0] = '\0';
	vtap_set_log(capture);
}

static const char *hint(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
		return " (needs CAP_BPF and CAP_NET_ADMIN, or the tap's owner once 'vtapctl rss set' ran as root)";
	case ENOENT:
		return " (no steering state; configure it with 'vtapctl rss set' or 'vtapctl flow add')";
	case ENODEV:
		return " (no such device; create it with 'vtapctl dev add')";
	case ENOEXEC:
		return " (build the extension with <vtap/steer_ext.h>)";
	default:
		return "";
	}
}

void steer_cli_err(const char *what, const char *dev, int err)
{
	const char *reason = last_warn;

	if (!strncmp(reason, "vtap: ", 6))
		reason += 6;
	if (!strncmp(reason, "steer: ", 7))
		reason += 7;
	if (*reason)
		pr_err("%s of '%s': %s%s", what, dev, reason,
		       strstr(reason, "(needs ") || err == -ENOENT ? ""
								   : hint(err));
	else
		pr_err("%s of '%s': %s%s", what, dev, strerror(-err),
		       hint(err));
}

struct vtap_steer *steer_cli_open(const char *what, const char *dev,
				  bool create, unsigned int queues)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .flags = VTAP_STEER_NO_CREATE);
	struct vtap_dev_info info;
	struct vtap_steer *s;
	int err;

	capture_start();
	s = vtap_steer__open(dev, &o);
	if (s && create) {
		/* A writer makes sure the program steers again (a VMM may
		 * have detached it: QEMU does when the guest driver starts). */
		struct vtap_steer_attached a;

		if (!vtap_steer__attached(s, &a) && !a.released &&
		    a.state != VTAP_STEER_ATTACHED_YES &&
		    a.state != VTAP_STEER_ATTACHED_NOT_RUN) {
			err = steer_cli_attach(s);
			if (err && a.state == VTAP_STEER_ATTACHED_NO) {
				steer_cli_err(what, dev, err);
				vtap_steer__close(s);
				return NULL;
			}
		}
	}
	if (s || !create || errno != ENOENT) {
		if (!s)
			steer_cli_err(what, dev, -errno);
		return s;
	}
	err = vtap_dev__info(dev, &info);
	if (err == -ENODEV) {
		steer_cli_err(what, dev, -ENODEV);
		return NULL;
	}
	if (err) /* not a tun/tap: vtap_steer__open() says what it takes */
		info.owner = info.group = -1;
	o.flags = VTAP_STEER_PIN;
	o.queues = queues;
	if (info.owner >= 0 || info.group >= 0) {
		o.flags |= VTAP_STEER_SET_OWNER;
		o.owner = (uint32_t)info.owner;
		o.group = (uint32_t)info.group;
	}
	s = vtap_steer__open(dev, &o);
	if (!s) {
		steer_cli_err(what, dev, -errno);
		return NULL;
	}
	err = steer_cli_attach(s);
	if (err) {
		steer_cli_err(what, dev, err);
		vtap_steer__close(s);
		vtap_steer__unpin(dev);
		return NULL;
	}
	return s;
}

int steer_cli_attach(struct vtap_steer *s)
{
	int err;

	/* Through a queue its opener holds (no queue of our own while
	 * someone reads the tap); without the right to borrow one (not
	 * root), through a queue of our own as before. */
	err = vtap_steer__attach_borrowed(s, VTAP_STEER_ATTACH_OWN_QUEUE);
	if (err == -EPERM || err == -EACCES) {
		capture_start();
		err = vtap_steer__attach_name(s);
	}
	return err;
}

const char *steer_cli_dev(int argc, char **argv)
{
	if (argc < 2 || !arg_is(argv[0], "dev")) {
		usage_err("expected 'dev NAME'");
		return NULL;
	}
	return argv[1];
}

static const char *const step_names[] = {"rules", "ext", "rss", "automq"};

static const char *const attached_names[] = {
	[VTAP_STEER_ATTACHED_UNKNOWN] = "unknown",
	[VTAP_STEER_ATTACHED_YES] = "yes",
	[VTAP_STEER_ATTACHED_NO] = "no",
	[VTAP_STEER_ATTACHED_NOT_RUN] = "not run",
};

/*
 * "attached STATE (evidence)" and a hint only where an action helps:
 * the program is gone and nothing will put it back by itself.
 */
static void show_attached(const char *dev, const struct vtap_steer_attached *a)
{
	pr_str("attached", "attached %s", attached_names[a->state]);
	if (a->state == VTAP_STEER_ATTACHED_NOT_RUN)
		pr_text(": one queue attached");
	/* Looked up: the instance is alive unless the answer is "no". */
	if (a->prog_id && a->prog_seen)
		pr_text(a->state != VTAP_STEER_ATTACHED_NO
				? " (the tap runs program %u, which vtap "
				  "attached;"
				: " (program %u, which vtap attached, is gone: "
				  "the tap's opener detached or replaced it;",
			a->prog_id);
	else
		pr_text(" (");
	if (pr_is_json()) {
		if (a->prog_id)
			pr_u64("prog_id", NULL, a->prog_id);
		else
			pr_null("prog_id");
	}
	if (a->prog_id && a->prog_seen)
		pr_text(" ");
	pr_u64("runs", "the program ran %llu times", a->runs);
	pr_u64("frames", " for %llu frames to the VMM since vtap attached it",
	       a->frames);
	if (a->queues >= 0)
		pr_u64("attached_queues", ", %llu queue(s) attached now",
		       (uint64_t)a->queues);
	else
		pr_null("attached_queues");
	pr_text(")\n");
	if (a->state == VTAP_STEER_ATTACHED_NOT_RUN)
		pr_text("  the kernel runs a steering program only while two or "
			"more queues are attached\n");
	pr_u64("reattached", "reattached %llu times by 'vtapctl steer guard'",
	       a->reattached);
	pr_bool("released",
		a->released ? "; handed back ('vtapctl steer "
			      "detach'): not guarded\n"
			    : "\n",
		a->released);
	if (a->state == VTAP_STEER_ATTACHED_NO && !a->released)
		pr_text("  'vtapctl steer attach dev %s' puts it back; 'vtapctl "
			"steer guard' (vtap-steer-guard.service) keeps it "
			"there\n",
			dev);
}

struct tc_walk {
	unsigned int others, before, after;
	bool ours;
};

/* One filter on the ingress that is not vtap's: where it runs. */
static int show_tc_filter(const struct vtap_steer_tc_filter *f, void *data)
{
	struct tc_walk *w = data;
	bool after;

	if (f->ours) {
		w->ours = true;
		return 0;
	}
	/* Behind vtap's on chain 0: its TC_ACT_OK ends classification. */
	after = w->ours && !f->chain;
	w->others++;
	w->before += f->before;
	w->after += after;
	pr_obj_begin(NULL);
	pr_u64("prio", "  prio %llu", f->prio);
	pr_text(" handle 0x%x", f->handle);
	if (pr_is_json())
		pr_u64("handle", NULL, f->handle);
	if (f->chain || pr_is_json())
		pr_u64("chain", " chain %llu", f->chain);
	pr_str("kind", " %s", f->kind);
	if (*f->bpf_name)
		pr_str("bpf_name", " name %s", f->bpf_name);
	else if (!strcmp(f->kind, "bpf"))
		pr_null("bpf_name");
	if (f->bpf_id)
		pr_u64("bpf_id", " id %llu", f->bpf_id);
	else if (!strcmp(f->kind, "bpf"))
		pr_null("bpf_id");
	pr_bool("before", f->before ? ": runs before vtap's" : "", f->before);
	pr_bool("never_runs", after ? ": never runs (after vtap's)" : "",
		after);
	pr_text("\n");
	pr_obj_end();
	return 0;
}

struct tc_list {
	struct vtap_steer_tc_filter *f;
	unsigned int n, cap, others;
};

/* Keep a copy of each filter (as much of it as the library filled). */
static int collect_tc_filter(const struct vtap_steer_tc_filter *f, void *data)
{
	struct tc_list *l = data;
	size_t sz = f->sz < sizeof(*f) ? f->sz : sizeof(*f);

	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 8;
		void *p = realloc(l->f, cap * sizeof(*l->f));

		if (!p)
			return -ENOMEM;
		l->f = p;
		l->cap = cap;
	}
	memset(&l->f[l->n], 0, sizeof(*f));
	memcpy(&l->f[l->n], f, sz);
	l->others += !f->ours;
	l->n++;
	return 0;
}

/*
 * The other filters on a macvtap's clsact ingress: one ahead of vtap's
 * can end classification before vtap's program runs (docs/macvtap.md).
 */
static void show_tc_filters(const char *dev, struct vtap_steer *s)
{
	struct tc_walk w = {0};
	struct tc_list l = {0};
	int n;

	/* One dump, kept: the text has a header, JSON null on an error. */
	n = vtap_steer__tc_filters(s, collect_tc_filter, &l);
	if (n < 0) {
		free(l.f);
		pr_text("other filters ? (%s)\n", strerror(-n));
		pr_null("other_filters");
		return;
	}
	pr_text("other filters %s\n", l.others ? "on the ingress:" : "none");
	pr_arr_begin("other_filters");
	for (unsigned int i = 0; i < l.n; i++)
		show_tc_filter(&l.f[i], &w);
	pr_arr_end();
	free(l.f);
	if (w.before)
		pr_text("  warning: %u filter(s) run before vtap's: a verdict "
			"there ends classification, vtap's program does not "
			"run and the kernel's hash picks the queue; 'vtapctl "
			"steer detach dev %s' then 'vtapctl steer attach dev "
			"%s' puts vtap's first\n",
			w.before, dev, dev);
	if (w.after)
		pr_text("  filters at later priorities never run: vtap's "
			"program ends classification (TC_ACT_OK)\n");
}

static int steer_show(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	struct vtap_steer_attached att = {0};
	struct vtap_steer *s;
	char ext[64] = "";
	uint32_t steps;
	bool tc;

	if (!dev)
		return EXIT_USAGE;
	if (argc > 2)
		return usage_err("unexpected '%s'", argv[2]);
	s = steer_cli_open("steer show", dev, false, 0);
	if (!s)
		return EXIT_FAIL;
	steps = vtap_steer__steps(s);
	tc = !strcmp(vtap_steer__attach_point(s), "tc");
	vtap_steer__ext_name(s, ext, sizeof(ext));
	if (vtap_steer__attached(s, &att)) {
		memset(&att, 0, sizeof(att));
		att.state = VTAP_STEER_ATTACHED_UNKNOWN;
		att.queues = -1;
	}
	pr_arr_begin(NULL);
	pr_obj_begin(NULL);
	pr_str("ifname", "dev %s\n", dev);
	pr_str("pins", "pins %s\n", vtap_steer__pin_dir(s));
	pr_str("attach", "attach %s", tc ? "tc" : "tun");
	pr_text(tc ? " (clsact ingress filter: the program sets the hash the "
		     "kernel picks the queue with)\n"
		   : " (TUNSETSTEERINGEBPF)\n");
	show_attached(dev, &att);
	if (tc)
		show_tc_filters(dev, s);
	else
		pr_null("other_filters");
	pr_u64("queues", "queues %" PRIu64 "\n",
	       vtap_steer__intended_queues(s));
	pr_text("chain");
	pr_arr_begin("steps");
	for (unsigned int i = 0; i < 4; i++) {
		pr_obj_begin(NULL);
		/* tc: the last step is the kernel's own choice, always. */
		if (tc && i == 3) {
			pr_str("step", " %s", "kernel");
			pr_bool("on", "=%s", true);
		} else {
			pr_str("step", " %s", step_names[i]);
			pr_bool("on", "=%s", steps & (1u << i));
		}
		pr_obj_end();
	}
	pr_arr_end();
	pr_text("\n");
	if (*ext)
		pr_str("ext", "ext %s\n", ext);
	else
		pr_null("ext");
	pr_u64("frames_cut", "frames cut short %" PRIu64 "\n",
	       vtap_steer__frames_cut(s));
	pr_obj_end();
	pr_arr_end();
	vtap_steer__close(s);
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

static int ext_set(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv), *obj = NULL, *prog = NULL;
	struct vtap_steer *s;
	char path[4096];
	int err;

	if (!dev)
		return EXIT_USAGE;
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage_err("'%s' needs a value", argv[i]);
		if (arg_is(argv[i], "obj"))
			obj = argv[i + 1];
		else if (arg_is(argv[i], "prog"))
			prog = argv[i + 1];
		else
			return usage_err("unknown argument '%s'", argv[i]);
	}
	if (!obj)
		return usage_err("steer ext set needs 'obj FILE.o'");
	s = steer_cli_open("steer ext set", dev, true, 0);
	if (!s)
		return EXIT_FAIL;
	err = vtap_steer__ext_set(s, arg_bpf_obj(obj, path, sizeof(path)),
				  prog);
	if (err)
		steer_cli_err("steer ext set", dev, err);
	vtap_steer__close(s);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int ext_del(int argc, char **argv)
{
	const char *dev = steer_cli_dev(argc, argv);
	struct vtap_steer *s;
	int err;

	if (!dev)
		return EXIT_USAGE;
	s = steer_cli_open("steer ext del", dev, false, 0);
	if (!s)
		return EXIT_FAIL;
	err = vtap_steer__ext_del(s);
	if (err)
		steer_cli_err("steer ext del", dev, err);
	vtap_steer__close(s);
	return err ? EXIT_FAIL : EXIT_OK;
}

/*
 * `steer attach|detach dev NAME`: open the tap's steering, do @fn, say
 * what failed (as @what) and close.
 */
static int steer_run(int argc, char **argv, const char *what,
		     int (*fn)(struct vtap_steer *s))
{
	const char *dev = steer_cli_dev(argc, argv);
	struct vtap_steer *s;
	int err;

	if (!dev)
		return EXIT_USAGE;
	if (argc > 2)
		return usage_err("unexpected '%s'", argv[2]);
	s = steer_cli_open(what, dev, false, 0);
	if (!s)
		return EXIT_FAIL;
	err = fn(s);
	if (err)
		steer_cli_err(what, dev, err);
	vtap_steer__close(s);
	return err ? EXIT_FAIL : EXIT_OK;
}

static int steer_attach(int argc, char **argv)
{
	return steer_run(argc, argv, "steer attach", steer_cli_attach);
}

/*
 * Hand the steering back: the device stops running the program (a
 * macvtap's tc filter goes, and the clsact qdisc when vtap made it and
 * nothing else uses it); the configuration and its pins stay.
 */
static int steer_detach(int argc, char **argv)
{
	return steer_run(argc, argv, "steer detach", vtap_steer__release);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl steer show dev NAME\n"
		"       vtapctl steer attach dev NAME\n"
		"       vtapctl steer detach dev NAME\n"
		"       vtapctl steer guard [dev NAME]\n"
		"       vtapctl steer ext set dev NAME obj FILE.o [prog NAME]\n"
		"       vtapctl steer ext del dev NAME\n");
}

int cmd_steer(int argc, char **argv)
{
	static const char *const cmds[] = {"show",   "ext",   "help", "attach",
					   "detach", "guard", NULL};
	static const char *const ext_cmds[] = {"set", "del", NULL};
	int c;

	if (argc < 1 && pr_is_json())
		return usage_err(
			"steer: missing command (show, attach, detach, guard or ext)");
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = arg_match(argv[0], cmds);
	switch (c) {
	case 0:
		return steer_show(argc - 1, argv + 1);
	case 1:
		if (argc < 2)
			return usage_err("steer ext needs 'set' or 'del'");
		c = arg_match(argv[1], ext_cmds);
		if (c == 0)
			return ext_set(argc - 2, argv + 2);
		if (c == 1)
			return ext_del(argc - 2, argv + 2);
		return usage_err("unknown command 'steer ext %s'", argv[1]);
	case 2:
		usage(stdout);
		return EXIT_OK;
	case 3:
		return steer_attach(argc - 1, argv + 1);
	case 4:
		return steer_detach(argc - 1, argv + 1);
	case 5:
		return steer_guard(argc - 1, argv + 1);
	case -2:
		return usage_err("ambiguous command 'steer %s'", argv[0]);
	default:
		return usage_err("unknown command 'steer %s'", argv[0]);
	}
}
