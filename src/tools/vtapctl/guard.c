// SPDX-License-Identifier: MIT
/*
 * guard.c - vtapctl steer guard: keep vtap's steering program attached
 *
 *   vtapctl [-n NETNS] steer guard [dev NAME]
 *
 * Runs in the foreground until SIGTERM or SIGINT (as a service:
 * vtap-steer-guard.service), guarding every tap of the network namespace
 * whose steering vtap keeps (pins exist), or the one named: within a
 * quarter of a second of a process detaching the program (QEMU does at
 * guest driver start and on a guest `ethtool -L`), it is attached again
 * through a queue that process holds, never an extra queue of its own
 * (vtap_steer_guard__poll()). One line per event on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"
#include "vtapctl_steer.h"

/* How often the guard looks: a detach is repaired within this. */
#define GUARD_PERIOD_NS 250000000L

static volatile sig_atomic_t stopping;

/* The first tap found guarded by another guard. */
static struct {
	char ifname[IF_NAMESIZE];
	int pid;
} busy;

/*
 * Who guard @pid is, for people: "pid N: CMDLINE (UNIT)" from
 * /proc/PID/cmdline and the systemd unit in /proc/PID/cgroup.
 */
static void describe(int pid, char *buf, size_t size)
{
	char path[64], cmd[256] = "", line[512], unit[128] = "";
	ssize_t n = -1;
	FILE *f;
	int fd;

	if (pid <= 0) {
		snprintf(buf, size, "another guard");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
	}
	for (ssize_t i = 0; i < n; i++)
		if (!cmd[i] || cmd[i] == '\n')
			cmd[i] = i + 1 < n ? ' ' : '\0';
	cmd[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *u = strrchr(line, '/');

		line[strcspn(line, "\n")] = '\0';
		if (u && strstr(u, ".service"))
			snprintf(unit, sizeof(unit), " (%s)", u + 1);
	}
	if (f)
		fclose(f);
	snprintf(buf, size, "pid %d%s%s%s", pid, cmd[0] ? ": " : "", cmd, unit);
}

static void on_signal(int sig)
{
	stopping = sig;
}

static int event(const struct vtap_steer_guard_event *ev, void *ctx)
{
	switch (ev->what) {
	case VTAP_STEER_GUARD_WATCH:
		printf("%s: guarding (ifindex %d, re-attached %llu times so "
		       "far)\n",
		       ev->ifname, ev->ifindex,
		       (unsigned long long)ev->reattached);
		break;
	case VTAP_STEER_GUARD_ATTACHED:
		printf("%s: attached through a queue of pid %d\n", ev->ifname,
		       ev->pid);
		break;
	case VTAP_STEER_GUARD_REATTACHED:
		printf("%s: detached by its opener; attached again through a "
		       "queue of pid %d (%llu times)%s%s\n",
		       ev->ifname, ev->pid, (unsigned long long)ev->reattached,
		       ev->err ? "; the count could not be recorded: " : "",
		       ev->err ? strerror(-ev->err) : "");
		break;
	case VTAP_STEER_GUARD_GONE:
		printf("%s: gone (deleted, renamed or unpinned): not guarded\n",
		       ev->ifname);
		break;
	case VTAP_STEER_GUARD_RELEASED:
		printf("%s: handed back ('vtapctl steer detach'): not "
		       "guarded\n",
		       ev->ifname);
		break;
	case VTAP_STEER_GUARD_ADOPTED:
		printf("%s: vtap attached the program again itself ('steer "
		       "attach', 'rss set' or a libvtap user): watching that "
		       "one, not counted\n",
		       ev->ifname);
		break;
	case VTAP_STEER_GUARD_BUSY:
		if (!busy.ifname[0]) {
			snprintf(busy.ifname, sizeof(busy.ifname), "%s",
				 ev->ifname);
			busy.pid = ev->pid;
		}
		printf("%s: guarded by another guard (pid %d): left to it\n",
		       ev->ifname, ev->pid);
		break;
	case VTAP_STEER_GUARD_ERROR:
		printf("%s: cannot attach: %s%s\n", ev->ifname,
		       strerror(-ev->err), err_hint(ev->err));
		break;
	}
	fflush(stdout);
	return 0;
}

int steer_guard(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_steer_guard_opts, o, .fn = event);
	struct timespec period = {.tv_nsec = GUARD_PERIOD_NS};
	struct sigaction sa = {.sa_handler = on_signal};
	struct vtap_steer_guard *g;
	int n, last = -1;

	if (argc >= 1) {
		o.ifname = steer_cli_dev(argc, argv);
		if (!o.ifname)
			return EXIT_USAGE;
		if (argc > 2)
			return usage_err("unexpected '%s'", argv[2]);
	}
	if (pr_is_json())
		return usage_err("steer guard: no JSON output (it runs until "
				 "signalled; see 'steer show')");
	if (geteuid() != 0) {
		pr_err("steer guard: needs root (to borrow the openers' queues "
		       "and load the program)");
		return EXIT_FAIL;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	g = vtap_steer_guard__new(&o);
	if (!g) {
		pr_err("steer guard: %s", strerror(errno));
		return EXIT_FAIL;
	}
	printf("vtapctl steer guard: guarding %s\n",
	       o.ifname ? o.ifname : "every tap with vtap's steering here");
	fflush(stdout);
	n = vtap_steer_guard__poll(g);
	if (n == -EBUSY) {
		char who[384];

		describe(busy.pid, who, sizeof(who));
		pr_err("steer guard: '%s' is guarded already, by %s; one guard "
		       "per tap (two would repair and count each detach "
		       "twice): stop that one, or guard other taps with "
		       "'steer guard dev NAME'",
		       busy.ifname, who);
		vtap_steer_guard__free(g);
		return EXIT_FAIL;
	}
	for (;;) {
		if (n < 0 && n != last)
			fprintf(stderr, "vtapctl: steer guard: %s\n",
				strerror(-n));
		last = n;
		nanosleep(&period, NULL);
		if (stopping)
			break;
		n = vtap_steer_guard__poll(g);
	}
	vtap_steer_guard__free(g);
	printf("vtapctl steer guard: stopped (signal %d)\n", (int)stopping);
	return EXIT_OK;
}
