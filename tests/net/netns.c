// SPDX-License-Identifier: MIT
/*
 * netns.c - helpers for tests that use real taps in network namespaces
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"

#define NT_MAX 64

static char ns_names[NT_MAX][32];
static int n_ns;
static char links[NT_MAX][32];
static int n_links;
static pid_t pids[NT_MAX];
static int n_pids;
static int origin_fd = -1;
static bool registered;

void nt_cleanup(void)
{
	for (int i = 0; i < n_pids; i++) {
		if (pids[i] > 0) {
			kill(-pids[i], SIGKILL);
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	}
	n_pids = 0;
	if (origin_fd >= 0)
		setns(origin_fd, CLONE_NEWNET);
	for (int i = 0; i < n_links; i++)
		nt_sh("ip link del %s >/dev/null 2>&1", links[i]);
	n_links = 0;
	for (int i = 0; i < n_ns; i++)
		nt_sh("ip netns del %s >/dev/null 2>&1", ns_names[i]);
	n_ns = 0;
}

static void on_signal(int sig)
{
	nt_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void register_cleanup(void)
{
	if (registered)
		return;
	registered = true;
	origin_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	atexit(nt_cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

void nt_require_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr,
			"SKIP: needs root (network namespaces, taps)\n");
		exit(NT_SKIP);
	}
	if (access("/dev/net/tun", R_OK | W_OK)) {
		fprintf(stderr, "SKIP: no /dev/net/tun\n");
		exit(NT_SKIP);
	}
	if (nt_sh("ip netns list >/dev/null 2>&1")) {
		fprintf(stderr, "SKIP: 'ip netns' does not work here\n");
		exit(NT_SKIP);
	}
	register_cleanup();
}

void nt_name(char *buf, size_t size, const char *tag)
{
	static unsigned int seq;

	snprintf(buf, size, "vt%.3s%u%u", tag, (unsigned int)getpid() % 100000,
		 seq++ % 10);
}

int nt_ns_add(const char *name)
{
	register_cleanup();
	if (n_ns == NT_MAX)
		return -1;
	if (nt_sh("ip netns add %s", name))
		return -1;
	snprintf(ns_names[n_ns++], sizeof(ns_names[0]), "%s", name);
	return nt_sh("ip -n %s link set lo up", name) ? -1 : 0;
}

void nt_link_cleanup(const char *ifname)
{
	register_cleanup();
	if (n_links < NT_MAX)
		snprintf(links[n_links++], sizeof(links[0]), "%s", ifname);
}

static int status_of(int st)
{
	if (st < 0)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int nt_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return status_of(system(cmd));
}

int nt_sh_out(char *out, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	size_t n = 0;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < size) {
		size_t r = fread(out + n, 1, size - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	return status_of(pclose(p));
}

pid_t nt_spawn(const char *ns, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	pid_t pid;

	register_cleanup();
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n_pids == NT_MAX)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		if (ns)
			execlp("ip", "ip", "netns", "exec", ns, "sh", "-c", cmd,
			       (char *)NULL);
		else
			execlp("sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	pids[n_pids++] = pid;
	return pid;
}

int nt_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	for (int i = 0; i < n_pids; i++)
		if (pids[i] == pid)
			pids[i] = 0;
	return status_of(st);
}

int nt_as_user(uid_t uid, gid_t gid, int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char node[64];

		snprintf(node, sizeof(node), "/tmp/vtap-tun.%d", (int)getpid());
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mknod(node, S_IFCHR | 0666, makedev(10, 200)) ||
		    chmod(node, 0666) ||
		    mount(node, "/dev/net/tun", NULL, MS_BIND, NULL))
			_exit(101);
		unlink(node);
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(100);
		_exit(fn());
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

int nt_enter(const char *ns)
{
	char path[128];
	int fd, err;

	register_cleanup();
	if (!ns)
		return origin_fd >= 0 ? setns(origin_fd, CLONE_NEWNET) : -1;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	err = setns(fd, CLONE_NEWNET);
	close(fd);
	return err;
}

uint64_t nt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct vtap_dev *nt_dev_open(const char *ifname,
			     const struct vtap_dev_opts *opts)
{
	struct vtap_dev *dev = vtap_dev__open(ifname, opts);

	if (!dev) {
		fprintf(stderr, "open %s: %s\n", ifname, strerror(errno));
		return NULL;
	}
	nt_link_cleanup(ifname);
	return dev;
}

int nt_link_into_ns(const char *ifname, const char *ns, int net,
		    const char *mac_prefix)
{
	const char *l = ifname;

	if (nt_sh("ip link set %s address %s:01 netns %s && "
		  "ip -n %s addr add 10.%d.0.1/24 dev %s && "
		  "ip -n %s addr add fd%d::1/64 dev %s nodad && "
		  "ip -n %s link set %s up && "
		  "ip -n %s neigh add 10.%d.0.2 lladdr %s:02 dev %s && "
		  "ip -n %s -6 neigh add fd%d::2 lladdr %s:02 dev %s",
		  l, mac_prefix, ns, ns, net, l, ns, net, l, ns, l, ns, net,
		  mac_prefix, l, ns, net, mac_prefix, l))
		return -1;
	return 0;
}

int nt_dev_into_ns(struct vtap_dev *dev, const char *ns, int net,
		   const char *mac_prefix)
{
	const char *l = vtap_dev__name(dev);
	char path[128];
	int fd, err;

	if (nt_sh("ip link set %s address %s:01", l, mac_prefix))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	err = vtap_dev__set_netns(dev, fd, 0);
	close(fd);
	if (err || nt_sh("ip -n %s addr add 10.%d.0.1/24 dev %s && "
			 "ip -n %s addr add fd%d::1/64 dev %s nodad && "
			 "ip -n %s link set %s up && "
			 "ip -n %s neigh add 10.%d.0.2 lladdr %s:02 dev %s && "
			 "ip -n %s -6 neigh add fd%d::2 lladdr %s:02 dev %s",
			 ns, net, l, ns, net, l, ns, l, ns, net, mac_prefix, l,
			 ns, net, mac_prefix, l))
		return -1;
	return 0;
}

int nt_poll_queues(struct vtap_dev *dev, struct pollfd *pfd, int n,
		   int timeout_ms)
{
	for (int q = 0; q < n; q++) {
		pfd[q].fd = vtap_queue__fd(vtap_dev__queue(dev, q));
		pfd[q].events = POLLIN;
	}
	return poll(pfd, (nfds_t)n, timeout_ms);
}

socklen_t nt_sockaddr(struct sockaddr_storage *ss, bool v6, int net, int host,
		      uint16_t port)
{
	char text[64];

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *b = (struct sockaddr_in6 *)ss;

		b->sin6_family = AF_INET6;
		b->sin6_port = htons(port);
		snprintf(text, sizeof(text), "fd%d::%d", net, host);
		if (host)
			inet_pton(AF_INET6, text, &b->sin6_addr);
		return sizeof(*b);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	snprintf(text, sizeof(text), "10.%d.0.%d", net, host);
	if (host)
		inet_pton(AF_INET, text, &a->sin_addr);
	return sizeof(*a);
}
