// SPDX-License-Identifier: MIT
/*
 * main.c - vtap-switchd: a userspace L2 switch over multiqueue taps
 *
 *   vtap-switchd [-c CONFIG] [--port NAME[,queues=N][,netns=NS]]...
 *                [--workers N] [--control PATH] [--pin] [--aging SECONDS]
 *   vtap-switchd --demo [--time SECONDS] [--queues N] [--conns N]
 *
 * The main thread owns the ports, the control socket and the signals;
 * the workers (switchd.c) move the frames. Under systemd (Type=notify) it
 * says READY=1 once every port exists and is up, STATUS= lines, RELOADING=1
 * and READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM/SIGINT.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
/* Without libsystemd there is no service manager to tell. */
static int sd_notifyf(int unset, const char *fmt, ...)
{
	return 0;
}
#endif

#include "switchd.h"

/*
 * What the command line asked for; the configuration is built from it
 * (the file, then the flags on top) at start and again on SIGHUP.
 */
struct cmdline {
	const char *config;
	struct sw_config flags; /* the --port flags */
	const char *workers, *aging, *control, *io_uring, *busy_poll;
	bool pin;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vtap-switchd [-c CONFIG] [--port NAME[,OPTS]]... [--workers N]\n"
		"                    [--control PATH] [--pin] [--aging SECONDS]\n"
		"                    [--io-uring auto|yes|no] [--busy-poll USEC] [-q]\n"
		"       vtap-switchd --demo [--time SECONDS] [--queues N] [--conns N]\n"
		"\n"
		"A learning L2 switch whose ports are multiqueue taps; GSO frames cross\n"
		"it whole, one worker thread per queue index.\n"
		"\n"
		"  -c, --config FILE   configuration file (INI, see vtap-switchd(8));\n"
		"                      SIGHUP reads it again and applies the changes\n"
		"  -p, --port SPEC     a port: NAME[,queues=N][,netns=NS][,vlan=VID]\n"
		"                      [,trunk=VID+VID-VID][,native=VID]\n"
		"                      [,offloads=none|all|csum+tso4+...][,gro=yes|no]\n"
		"                      [,napi=yes|no]; repeatable, overrides a port\n"
		"                      of the same name in CONFIG\n"
		"  -w, --workers N     worker threads (default: the largest queue count)\n"
		"  -s, --control PATH  control socket (default %s)\n"
		"      --pin           pin worker i to the i-th usable CPU\n"
		"      --aging SECONDS MAC address aging time (default %d)\n"
		"      --io-uring auto|yes|no\n"
		"                      receive through io_uring, many reads a system\n"
		"                      call (default auto: where the kernel has it)\n"
		"      --busy-poll USEC\n"
		"                      after frames, poll for USEC microseconds\n"
		"                      (0..%d) before sleeping (default 0: off)\n"
		"  -q, --quiet         no messages but errors\n"
		"      --demo          run the self-contained demo (root): two\n"
		"                      namespaces, a TCP transfer through the switch,\n"
		"                      throughput, per-queue counts, hash check\n"
		"      --time SECONDS  demo transfer time (default 5)\n"
		"      --queues N      demo queues per port (default 2)\n"
		"      --conns N       demo TCP connections (default 8)\n"
		"  -h, --help          this help\n"
		"  -V, --version       print the version\n",
		SW_CONTROL_DEFAULT, SW_AGING_DEFAULT, SW_BUSY_POLL_MAX);
}

static bool log_debug;

/* libvtap's messages: warnings always, the rest with VTAP_DEBUG set. */
static int log_stderr(enum vtap_log_level level, const char *fmt, va_list ap)
{
	if (level != VTAP_LOG_WARN && !log_debug)
		return 0;
	fputs("vtap-switchd: libvtap: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

enum {
	OPT_PIN = 256,
	OPT_AGING,
	OPT_DEMO,
	OPT_TIME,
	OPT_QUEUES,
	OPT_CONNS,
	OPT_IO_URING,
	OPT_BUSY_POLL,
};

static int pin_cpus(struct sw_config *cfg);

/*
 * Build the configuration: defaults, the file, the flags on top, the CPU
 * list. Return: 0, or 2 after printing one line (@what names the moment:
 * "" at start, "reload: " on SIGHUP).
 */
static int build_config(struct sw_config *cfg, const struct cmdline *cl,
			const char *what)
{
	const char *const keys[] = {"workers", "aging", "control", "io_uring",
				    "busy_poll"};
	const char *const flags[] = {"workers", "aging", "control", "io-uring",
				     "busy-poll"};
	const char *const vals[] = {cl->workers, cl->aging, cl->control,
				    cl->io_uring, cl->busy_poll};
	char err[512];

	swcfg_init(cfg);
	if (cl->config && swcfg_load(cfg, cl->config, err, sizeof(err))) {
		/* swcfg_load's message starts with the file's name. */
		fprintf(stderr, "vtap-switchd: %sconfig %s\n", what, err);
		return 2;
	}
	/* Flags override the file: as if they were its last lines. */
	for (unsigned int i = 0; i < cl->flags.n_ports; i++) {
		if (swcfg_add_port(cfg, &cl->flags.ports[i])) {
			fprintf(stderr, "vtap-switchd: %smore than %d ports\n",
				what, SW_PORTS_MAX);
			return 2;
		}
	}
	/* Flags are checked as the file's keys are, then win over them. */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (vals[i] &&
		    swcfg_set(cfg, keys[i], vals[i], err, sizeof(err))) {
			fprintf(stderr, "vtap-switchd: %s--%s: %s\n", what,
				flags[i], err);
			return 2;
		}
	}
	if (cl->pin)
		cfg->pin = true;
	if (cfg->pin && pin_cpus(cfg))
		return 2;
	return 0;
}

/* Ports that run, for STATUS= and the log. */
static unsigned int ports_up(struct sw *sw)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < SW_PORTS_MAX; i++)
		n += atomic_load(&sw->ports[i]) != NULL;
	return n;
}

/*
 * SIGHUP: read the configuration again and apply it (sw_reload()); a file
 * that does not parse changes nothing. The service manager hears
 * RELOADING=1, then READY=1 with the outcome in STATUS=.
 */
static void reload(struct sw *sw, const struct cmdline *cl)
{
	static struct sw_config next;
	struct timespec ts;
	int failed;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000 +
			   (unsigned long long)ts.tv_nsec / 1000);
	if (build_config(&next, cl, "reload: ")) {
		sd_notifyf(
			0,
			"READY=1\nSTATUS=%u ports, %u workers; reload failed: "
			"configuration error, running configuration kept",
			ports_up(sw), sw->n_workers);
		return;
	}
	failed = sw_reload(sw, &next);
	if (failed)
		sd_notifyf(0,
			   "READY=1\nSTATUS=%u ports, %u workers; reload: %d "
			   "port(s) failed to come up",
			   ports_up(sw), sw->n_workers, failed);
	else
		sd_notifyf(0, "READY=1\nSTATUS=%u ports, %u workers",
			   ports_up(sw), sw->n_workers);
	if (!sw->quiet)
		fprintf(stderr, "vtap-switchd: reloaded: %u port(s)\n",
			ports_up(sw));
}

static int run(struct sw *sw, const struct cmdline *cl)
{
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	struct epoll_event ev;
	sigset_t mask;
	int ep, sfd, lfd, tfd, ret = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0) {
		fprintf(stderr, "vtap-switchd: %s\n", strerror(errno));
		return 1;
	}
	timerfd_settime(tfd, 0, &its, NULL);
	lfd = ctl_listen(sw);
	if (lfd < 0) {
		fprintf(stderr, "vtap-switchd: control socket '%s': %s%s\n",
			sw->cfg.control, strerror(-lfd),
			lfd == -EADDRINUSE
				? " (another vtap-switchd runs there)"
			: lfd == -ENOTSOCK
				? " (something else than a socket is there: "
				  "remove it or choose another path)"
				: "");
		ret = 1;
		goto close_fds;
	}
	ev.events = EPOLLIN;
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = sw->gone_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sw->gone_fd, &ev);
	/* Every port exists and is up (sw_port_add() sets the link up). */
	sd_notifyf(0, "READY=1\nSTATUS=%u ports, %u workers", ports_up(sw),
		   sw->n_workers);
	if (!sw->quiet)
		fprintf(stderr,
			"vtap-switchd: ready: %u worker(s), control %s\n",
			sw->n_workers, sw->cfg.control);
	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) <= 0)
					continue;
				if (si.ssi_signo == SIGHUP) {
					reload(sw, cl);
					continue;
				}
				sd_notifyf(
					0,
					"STOPPING=1\nSTATUS=stopping on signal %u",
					si.ssi_signo);
				if (!sw->quiet)
					fprintf(stderr,
						"vtap-switchd: signal %u, stopping\n",
						si.ssi_signo);
				goto out;
			} else if (fd == lfd) {
				ctl_handle(sw, lfd);
			} else if (fd == tfd) {
				uint64_t v;

				if (read(tfd, &v, sizeof(v)) > 0)
					sw_mac__expire(sw->mac, sw_now_ms());
			} else if (fd == sw->gone_fd) {
				sw_reap_gone(sw);
			}
		}
	}
out:
	ctl_close(sw, lfd);
close_fds:
	close(ep);
	close(tfd);
	close(sfd);
	return ret;
}

/*
 * Check the cpus list against the CPUs this process may run on, or without
 * a list take those CPUs in order (worker i gets the i-th, wrapping
 * around: "CPU i" would not exist for a worker past the last CPU).
 * Return: 0, or 1 after printing the error.
 */
static int pin_cpus(struct sw_config *cfg)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "vtap-switchd: CPU affinity: %s\n",
			strerror(errno));
		return 1;
	}
	for (unsigned int i = 0; i < cfg->n_cpus; i++) {
		if (cfg->cpus[i] >= CPU_SETSIZE ||
		    !CPU_ISSET(cfg->cpus[i], &set)) {
			fprintf(stderr,
				"vtap-switchd: cpus: CPU %u is not one this process may run on\n",
				cfg->cpus[i]);
			return 1;
		}
	}
	if (cfg->n_cpus)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && cfg->n_cpus < SW_WORKERS_MAX; c++)
		if (CPU_ISSET(c, &set))
			cfg->cpus[cfg->n_cpus++] = (uint16_t)c;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"port", required_argument, NULL, 'p'},
		{"workers", required_argument, NULL, 'w'},
		{"control", required_argument, NULL, 's'},
		{"pin", no_argument, NULL, OPT_PIN},
		{"aging", required_argument, NULL, OPT_AGING},
		{"io-uring", required_argument, NULL, OPT_IO_URING},
		{"busy-poll", required_argument, NULL, OPT_BUSY_POLL},
		{"quiet", no_argument, NULL, 'q'},
		{"demo", no_argument, NULL, OPT_DEMO},
		{"time", required_argument, NULL, OPT_TIME},
		{"queues", required_argument, NULL, OPT_QUEUES},
		{"conns", required_argument, NULL, OPT_CONNS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static struct sw_config cfg;
	static struct cmdline cl;
	static struct sw sw;
	unsigned int demo_time = 5, demo_queues = 2, demo_conns = 8;
	bool demo = false, quiet = false;
	char err[512];
	sigset_t mask;
	int c, ret;

	swcfg_init(&cl.flags);
	opterr = 0; /* one line of our own instead of getopt's and the usage */
	while ((c = getopt_long(argc, argv, ":c:p:w:s:qhV", opts, NULL)) !=
	       -1) {
		struct sw_port_config pc;
		char *end;

		switch (c) {
		case 'c':
			cl.config = optarg;
			break;
		case 'p':
			if (swcfg_parse_port(&pc, optarg, err, sizeof(err))) {
				fprintf(stderr,
					"vtap-switchd: --port '%s': %s\n",
					optarg, err);
				return 2;
			}
			if (swcfg_add_port(&cl.flags, &pc)) {
				fprintf(stderr,
					"vtap-switchd: more than %d ports\n",
					SW_PORTS_MAX);
				return 2;
			}
			break;
		case 'w':
			cl.workers = optarg;
			break;
		case 's':
			cl.control = optarg;
			break;
		case OPT_PIN:
			cl.pin = true;
			break;
		case OPT_AGING:
			cl.aging = optarg;
			break;
		case OPT_IO_URING:
			cl.io_uring = optarg;
			break;
		case OPT_BUSY_POLL:
			cl.busy_poll = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_DEMO:
			demo = true;
			break;
		case OPT_TIME:
		case OPT_QUEUES:
		case OPT_CONNS: {
			/* RSS needs two queues to show anything: --queues 2.. */
			unsigned long lo = c == OPT_QUEUES ? 2 : 1;
			unsigned long hi = c == OPT_TIME ? 3600 : 64;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!isdigit((unsigned char)*optarg) || *end || errno ||
			    v < lo || v > hi) {
				fprintf(stderr,
					"vtap-switchd: --%s must be %lu..%lu, not '%s'\n",
					c == OPT_TIME	  ? "time"
					: c == OPT_QUEUES ? "queues"
							  : "conns",
					lo, hi, optarg);
				return 2;
			}
			if (c == OPT_TIME)
				demo_time = (unsigned int)v;
			else if (c == OPT_QUEUES)
				demo_queues = (unsigned int)v;
			else
				demo_conns = (unsigned int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vtap-switchd %s\n", VTAP_VERSION);
			return 0;
		case ':':
			fprintf(stderr,
				"vtap-switchd: option '%s' needs a value; see 'vtap-switchd --help'\n",
				argv[optind - 1]);
			return 2;
		default: {
			const char *arg = argv[optind - 1];

			if (!strncmp(arg, "--", 2) && optopt)
				fprintf(stderr,
					"vtap-switchd: option '%.*s' takes no value; see 'vtap-switchd --help'\n",
					(int)strcspn(arg, "="), arg);
			else if (!strncmp(arg, "--", 2))
				fprintf(stderr,
					"vtap-switchd: unknown option '%s'; see 'vtap-switchd --help'\n",
					arg);
			else
				fprintf(stderr,
					"vtap-switchd: unknown option '-%c'; see 'vtap-switchd --help'\n",
					optopt);
			return 2;
		}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vtap-switchd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	log_debug = getenv("VTAP_DEBUG") != NULL;
	vtap_set_log(log_stderr);
	if (demo)
		return demo_run(argv[0], demo_time, demo_queues, demo_conns);

	if (build_config(&cfg, &cl, ""))
		return 2;

	/* Signals go to the main thread's signalfd, never to the workers. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);

	ret = sw_init(&sw, &cfg);
	if (ret) {
		fprintf(stderr, "vtap-switchd: %s\n", strerror(-ret));
		return 1;
	}
	sw.quiet = quiet;
	/* State left by links and namespaces gone goes at every start, as
	 * with vtapctl (docs/steering.md, "Nothing left behind"). */
	if (geteuid() == 0)
		vtap_gc(NULL);
	for (unsigned int i = 0; i < cfg.n_ports; i++) {
		if (sw_port_add(&sw, &cfg.ports[i], -1, err, sizeof(err))) {
			fprintf(stderr, "vtap-switchd: %s\n", err);
			sw_fini(&sw);
			return 1;
		}
	}
	sd_notifyf(0, "STATUS=starting %u workers", sw.n_workers);
	ret = sw_start(&sw);
	if (ret) {
		fprintf(stderr, "vtap-switchd: start workers: %s\n",
			strerror(-ret));
		sw_fini(&sw);
		return 1;
	}
	ret = run(&sw, &cl);
	sw_stop(&sw);
	sw_fini(&sw);
	return ret;
}
