// SPDX-License-Identifier: MIT
/*
 * main.c - vtapctl: prepare, inspect and tune vtap devices
 *
 * Grammar: vtapctl [-j] OBJECT COMMAND [ARGS], objects and commands in the
 * style of ip(8) and bpftool(8); unambiguous prefixes are accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <vtap/vtap.h>

#include "args.h"
#include "grammar.h"
#include "printer.h"
#include "vtapctl.h"

struct object {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct object objects[] = {
#ifdef HAVE_CMD_HASH
	{"hash", cmd_hash, "RSS hashes of the frames in a capture"},
#endif
#ifdef HAVE_CMD_DEV
	{"dev", cmd_dev, "create, delete and show tap devices"},
#endif
#ifdef HAVE_CMD_QUEUE
	{"queue", cmd_queue, "queues of a device"},
#endif
#ifdef HAVE_CMD_OFFLOAD
	{"offload", cmd_offload, "show and set offloads"},
#endif
#ifdef HAVE_CMD_RSS
	{"rss", cmd_rss, "receive-side scaling of a device"},
#endif
#ifdef HAVE_CMD_FLOW
	{"flow", cmd_flow, "flow steering rules"},
#endif
#ifdef HAVE_CMD_STEER
	{"steer", cmd_steer, "the steering chain and its extension"},
#endif
#ifdef HAVE_CMD_STATS
	{"stats", cmd_stats, "per-queue counters"},
#endif
#ifdef HAVE_CMD_SWITCH
	{"switch", cmd_switch, "a running vtap-switchd"},
#endif
#ifdef HAVE_CMD_GC
	{"gc", cmd_gc, "state of links and namespaces that are gone"},
#endif
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl [-j] [-n NETNS] OBJECT COMMAND [ARGS]\n"
		"       vtapctl OBJECT help\n"
		"\n"
		"Options:\n"
		"  -j, --json     JSON output (errors too, on stderr)\n"
		"  -p, --pretty   JSON output, indented (implies -j)\n"
		"  -n, --netns NETNS\n"
		"                 work in network namespace NETNS (/run/netns/NETNS,\n"
		"                 as 'ip -n'); same taps and state as under\n"
		"                 'ip netns exec NETNS'\n"
		"  -v, --verbose  the library's log messages on stderr\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version\n"
		"\n"
		"Objects:\n");
	for (const struct object *o = objects; o->name; o++)
		fprintf(f, "  %-8s %s\n", o->name, o->summary);
	fprintf(f, "\nObjects and commands may be abbreviated. "
		   "See vtapctl(8).\n");
}

/*
 * Enter network namespace @name as `ip -n` does: setns() only, so the
 * mount namespace (and with it the host's bpffs) stays the caller's. A
 * name with a slash is taken as a path (e.g. /proc/PID/ns/net).
 */
static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return usage_err("-n: bad namespace name '%s'", name);
	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("network namespace '%s': %s%s", name, strerror(errno),
		       errno == ENOENT ? " (see 'ip netns list')" : "");
		return EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET)) {
		pr_err("network namespace '%s': setns: %s%s", name,
		       strerror(errno), err_hint(-errno));
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	return EXIT_OK;
}

/* Forward library warnings to stderr in verbose mode. */
__attribute__((format(printf, 2, 0))) static int
log_stderr(enum vtap_log_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

/* libbpf's levels are vtap's, so its messages take the same road. */
__attribute__((format(printf, 2, 0))) static int
libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return log_stderr((enum vtap_log_level)level, fmt, ap);
}

/* libbpf prints to stderr by default: only in verbose mode here. */
__attribute__((format(printf, 2, 0))) static int
libbpf_silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/*
 * Expand combined short options as ip(8) takes them (`-jp`, `-jn NS`):
 * @a is "-XY...", every letter a flag, only the last one may take a value.
 * Return: the long form of letter @k of @a ("--json"), NULL when @a is
 * not a combination of known letters.
 */
static const char *short_opt(const char *a, size_t k)
{
	static const char *const longs[128] = {
		['j'] = "--json",    ['p'] = "--pretty", ['n'] = "--netns",
		['v'] = "--verbose", ['h'] = "--help",	 ['V'] = "--version",
	};
	size_t n = strlen(a);

	if (a[0] != '-' || a[1] == '-' || n < 2 || k + 1 >= n)
		return NULL;
	for (size_t c = 1; c < n; c++)
		if ((unsigned char)a[c] >= 128 || !longs[(int)a[c]] ||
		    (a[c] == 'n' && c + 1 < n))
			return NULL;
	return longs[(int)a[k + 1]];
}

int main(int argc, char **argv)
{
	const char *names[ARRAY_LEN(objects)];
	int i = 1, idx;

	libbpf_set_print(libbpf_silent);

	while (i < argc && argv[i][0] == '-') {
		const char *arg = argv[i];
		size_t letters = arg[1] != '-' ? strlen(arg) - 1 : 1;

		if (!letters || (letters > 1 && !short_opt(arg, 0)))
			return usage_err("unknown option '%s'", arg);
		for (size_t k = 0; k < letters; k++) {
			const char *a = letters > 1 ? short_opt(arg, k) : arg;

			if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
				pr_init(true);
			} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
				pr_init(true);
				pr_set_pretty(true);
			} else if (!strcmp(a, "-n") || !strcmp(a, "--netns") ||
				   !strncmp(a, "--netns=", 8)) {
				const char *ns = a[1] == '-' && a[7] == '='
							 ? a + 8
							 : argv[++i];
				int rc;

				if (!ns)
					return usage_err("'%s' needs a NETNS",
							 arg);
				rc = enter_netns(ns);
				if (rc)
					return rc;
			} else if (!strcmp(a, "-v") ||
				   !strcmp(a, "--verbose")) {
				vtap_set_log(log_stderr);
				libbpf_set_print(libbpf_log);
			} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
				usage(stdout);
				return EXIT_OK;
			} else if (!strcmp(a, "-V") ||
				   !strcmp(a, "--version")) {
				printf("vtapctl %s\n", VTAP_VERSION);
				return EXIT_OK;
			} else {
				return usage_err("unknown option '%s'", a);
			}
		}
		i++;
	}
	if (i >= argc && pr_is_json())
		return usage_err("missing OBJECT");
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	/* Bash completion: the words that may follow (completion/). */
	if (!strcmp(argv[i], "__complete")) {
		gr_complete(argc - i - 1, argv + i + 1);
		return EXIT_OK;
	}
	/* One form of every command for the objects (grammar.c). */
	if (gr_normalize(argc - i, argv + i, &argc, &argv))
		return EXIT_USAGE;
	i = 0;
	for (size_t k = 0; k < ARRAY_LEN(objects); k++)
		names[k] = objects[k].name;
	idx = arg_match(argv[i], names);
	if (idx == -2)
		return usage_err("ambiguous object '%s'", argv[i]);
	if (idx < 0)
		return usage_err("unknown object '%s'", argv[i]);
	/* State of links and namespaces gone goes at every run as root
	 * (docs/steering.md); `gc` itself says what it removes. */
	if (geteuid() == 0 && strcmp(objects[idx].name, "hash") &&
	    strcmp(objects[idx].name, "gc") &&
	    strcmp(objects[idx].name, "switch"))
		vtap_gc(NULL);
	return objects[idx].run(argc - i - 1, argv + i + 1);
}
