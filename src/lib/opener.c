// SPDX-License-Identifier: MIT
/*
 * opener.c - borrow a queue of a tap from the process that has it open
 *
 * Theory of operation
 *
 * Some tun ioctls act on the device through any of its queue fds
 * (TUNSETSTEERINGEBPF). vtap's own fd would be a new queue: the kernel
 * would hand it frames that nobody reads, and a VMM that opens its queues
 * afterwards would see them numbered differently. So a tool that only
 * needs to run such an ioctl borrows a queue that is already open:
 * /proc/PID/fd names /dev/net/tun, /proc/PID/fdinfo/FD says `iff: NAME`
 * for a queue attached to NAME (a detached queue shows no name), and
 * pidfd_getfd(2) (Linux 5.6) duplicates it; the duplicate is the same open
 * file, so it must be closed at once (held, it would keep the queue
 * attached after its process closed it). Names are per namespace:
 * TUNGETDEVNETNS on the duplicate tells which namespace the tap lives in,
 * compared with the caller's. Needs CAP_SYS_PTRACE over the process (root).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "opener.h"

#ifndef TUNGETDEVNETNS
#define TUNGETDEVNETNS _IO('T', 227)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Whether /proc/@pid/fdinfo/@fd says the queue is attached to @name. */
static bool fdinfo_iff(const char *pid, const char *fd, const char *name)
{
	char path[600], buf[1024], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return false;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "\niff:\t");
	if (!p)
		return false;
	p += 6;
	return !strncmp(p, name, strlen(name)) && p[strlen(name)] == '\n';
}

/* Whether the tap of queue @fd lives in the caller's network namespace. */
static bool same_netns(int fd)
{
	struct stat a, b;
	bool same;
	int ns;

	ns = ioctl(fd, TUNGETDEVNETNS);
	if (ns < 0)
		return false;
	same = !fstat(ns, &a) && !stat("/proc/thread-self/ns/net", &b) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	close(ns);
	return same;
}

/* Duplicate fd @fd of process @pid when it is a queue of @name here. */
static int borrow(const char *pid, const char *fd, const char *name)
{
	struct ifreq ifr = {0};
	int pidfd, dup;

	pidfd = (int)syscall(SYS_pidfd_open, atoi(pid), 0);
	if (pidfd < 0)
		return -errno;
	dup = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(fd), 0);
	if (dup < 0)
		dup = -errno;
	close(pidfd);
	if (dup < 0)
		return dup;
	/* Still a queue of that tap (fds move on), and of our namespace. */
	if (ioctl(dup, TUNGETIFF, &ifr) || strcmp(ifr.ifr_name, name) ||
	    !same_netns(dup)) {
		close(dup);
		return -ENOENT;
	}
	return dup;
}

int vtap_opener_borrow(const char *name, pid_t *ret_pid, int *ret_fd)
{
	char path[300];
	struct dirent *p, *f;
	struct stat st;
	DIR *procs, *fds;
	int err = -ENOENT, dup;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	procs = opendir("/proc");
	if (!procs)
		return -errno;
	while ((p = readdir(procs))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			if (f->d_name[0] == '.')
				continue;
			/* The tun device by its number, not by the path the
			 * opener's root shows (a chroot, a private /dev). */
			if (fstatat(dirfd(fds), f->d_name, &st, 0) ||
			    !S_ISCHR(st.st_mode) || major(st.st_rdev) != 10 ||
			    minor(st.st_rdev) != 200 ||
			    !fdinfo_iff(p->d_name, f->d_name, name))
				continue;
			dup = borrow(p->d_name, f->d_name, name);
			if (dup >= 0) {
				if (ret_pid)
					*ret_pid = atoi(p->d_name);
				if (ret_fd)
					*ret_fd = atoi(f->d_name);
				closedir(fds);
				closedir(procs);
				return dup;
			}
			/* Remember why (EPERM: not root) in case none is. */
			if (dup != -ENOENT)
				err = dup;
		}
		closedir(fds);
	}
	closedir(procs);
	return err;
}

int vtap_opener_borrow_again(pid_t pid, int fd, const char *name)
{
	char p[16], f[16], link[32], path[64];
	ssize_t n;

	snprintf(p, sizeof(p), "%d", (int)pid);
	snprintf(f, sizeof(f), "%d", fd);
	snprintf(path, sizeof(path), "/proc/%s/fd/%s", p, f);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENOENT;
	link[n] = '\0';
	if (strcmp(link, "/dev/net/tun") || !fdinfo_iff(p, f, name))
		return -ENOENT;
	return borrow(p, f, name);
}
