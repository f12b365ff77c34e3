// SPDX-License-Identifier: MIT
/*
 * rundir.c - run state of a link, keyed by network namespace and ifindex
 *
 * Theory of operation
 *
 * A link is named by (network namespace, ifindex): names repeat across
 * namespaces and come back after a delete. An ifindex does not come back
 * for a link made in the namespace, but a link moved in keeps its ifindex
 * when it is free there, so it can take the one of a deleted link. So a
 * link's state lives in RUN/NSID/IFINDEX/ (rundir.h) together with the
 * link's token (link.h, an alternative name only vtap gives and that goes
 * with the link), written before the directory is renamed into place: a
 * directory whose token is not the link's is stale, removed and never
 * used (a writer that dies before the rename leaves .new.IFINDEX.PID,
 * private and no longer locked: collected by gc once that PID is gone),
 * so a tap deleted with `ip link del` and made again, or another
 * link moved in, starts clean, and tap0 of one namespace never sees tap0
 * of another. Stale directories are removed by vtap_rundir_gc() when a
 * tool next works in that namespace, those of namespaces that are gone by
 * vtap_gc() (gc.c).
 *
 * The state is read and written by root (vtapctl, root VMMs) while the
 * tap's owner, an unprivileged VMM, may write its counters there too, so
 * nothing here trusts what the owner can reach: RUN, NSID/ and IFINDEX/
 * are root's and checked on every open; files are created with
 * O_EXCL|O_NOFOLLOW under a checked directory fd and read with
 * O_NOFOLLOW|O_NONBLOCK after an S_ISREG check (a FIFO or a link planted
 * in their place is refused, not followed or waited on); only stats/ is
 * given to the owner, with fchown() on the fd of the directory root just
 * made (never on a path, never on a directory found there).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "link.h"
#include "rundir.h"

/* The staging name of a link's directory: STAGING_DIR "IFINDEX.PID". */
#define STAGING_DIR ".new."

/* How deep vtap_remove_at() goes: stats/ and what an owner put in it. */
#define REMOVE_DEPTH 4

const char *vtap_run_dir(void)
{
	const char *dir = secure_getenv("VTAP_RUN_DIR");

	return dir && *dir == '/' ? dir : VTAP_RUN_DIR;
}

/* Owned by root or by us, and writable by nobody else. */
static bool dir_trusted(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISDIR(st.st_mode))
		return false;
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return false;
	return !(st.st_mode & (S_IWGRP | S_IWOTH));
}

int vtap_open_dir_at(int dir_fd, const char *name, bool create, mode_t mode,
		     bool strict)
{
	bool made = false;
	int fd;

	fd = openat(dir_fd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dir_fd, name, mode) && errno != EEXIST)
			return -errno;
		made = errno != EEXIST;
		fd = openat(dir_fd, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
	/* Just made: @mode whatever the umask (vtap_rundir_mode()). */
	if (made)
		vtap_rundir_mode(fd, mode);
	if (strict && !dir_trusted(fd)) {
		pr_warn("'%s' (vtap's run state or pins): not a directory owned "
			"by root and writable only by it; refusing to use it "
			"(remove it)\n",
			name);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int vtap_rundir_mode(int fd, mode_t mode)
{
	if (fchmod(fd, mode)) {
		pr_debug("chmod %o: %s\n", (unsigned int)mode, strerror(errno));
		return -errno;
	}
	return 0;
}

/* RUN/NSID, made when @create. */
static int open_ns_dir(bool create)
{
	char nsid[32];
	int base, fd, err;
	bool made;

	err = vtap_netns_id(nsid, sizeof(nsid));
	if (err)
		return err;
	made = create && !mkdir(vtap_run_dir(), 0755);
	if (create && !made && errno != EEXIST)
		return -errno;
	base = open(vtap_run_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return -errno;
	if (made)
		vtap_rundir_mode(base, 0755);
	if (!dir_trusted(base)) {
		pr_warn("%s: not a directory owned by root and writable only "
			"by it; refusing to use it\n",
			vtap_run_dir());
		close(base);
		return -EPERM;
	}
	fd = vtap_open_dir_at(base, nsid, create, 0755, true);
	close(base);
	return fd;
}

int vtap_state_token(int dir_fd, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if (size < VTAP_LINK_TOKEN_SIZE)
		return -ENAMETOOLONG;
	/* O_PATH: a pin directory is 0711 (searchable, not readable). */
	fd = openat(dir_fd, name,
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Pins (bpffs has no regular files): a symbolic link to the token. */
	n = readlinkat(fd, VTAP_STATE_TOKEN, buf, size - 1);
	if (n < 0 && errno == EINVAL)
		n = vtap_read_file_at(fd, VTAP_STATE_TOKEN, buf, size - 1);
	else if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n == -ENOENT ? -ENOENT : n;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return vtap_link_token_valid(buf) ? 0 : -EUCLEAN;
}

int vtap_state_check(int dir_fd, const char *name, int ifindex,
		     const char **ret_why)
{
	char want[VTAP_LINK_TOKEN_SIZE], have[VTAP_LINK_TOKEN_SIZE];
	int err;

	err = vtap_link_token(ifindex, false, have, sizeof(have));
	if (err == -ENODEV) {
		*ret_why = "link gone";
		return 1;
	}
	if (err && err != -ENOENT)
		return err;
	if (vtap_state_token(dir_fd, name, want, sizeof(want))) {
		*ret_why = "no link token recorded";
		return 1;
	}
	if (err == -ENOENT || strcmp(want, have)) {
		*ret_why = "another link has the ifindex";
		return 1;
	}
	return 0;
}

/*
 * Make RUN/NSID/@name for link @ifindex: under a temporary name with its
 * token file, then renamed into place, so no reader ever sees a directory
 * without its token. Return: 0, -EEXIST (another process made it first),
 * or -errno.
 */
static int make_bound(int ns, const char *name, int ifindex)
{
	char token[VTAP_LINK_TOKEN_SIZE + 1], tmp[48];
	int fd, err;

	err = vtap_link_token(ifindex, true, token, sizeof(token) - 1);
	if (err) {
		pr_warn("link %d: cannot give it a vtap token (an alternative "
			"name) to bind its run state to: %s%s\n",
			ifindex, strerror(-err),
			err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return err;
	}
	snprintf(tmp, sizeof(tmp), "%s%s.%d", STAGING_DIR, name, (int)getpid());
	vtap_remove_at(ns, tmp);
	/* Private and locked while it is filled (staging_stale()). */
	if (mkdirat(ns, tmp, 0700))
		return -errno;
	fd = vtap_open_dir_at(ns, tmp, false, 0, true);
	if (fd < 0) {
		vtap_remove_at(ns, tmp);
		return fd;
	}
	flock(fd, LOCK_EX | LOCK_NB);
	strcat(token, "\n");
	err = vtap_write_file_at(fd, VTAP_STATE_TOKEN, token, strlen(token));
	if (!err && fchmod(fd, 0755))
		err = -errno;
	if (!err && renameat2(ns, tmp, ns, name, RENAME_NOREPLACE))
		err = -errno;
	if (err)
		vtap_remove_at(ns, tmp);
	close(fd);
	return err;
}

int vtap_rundir_open(int ifindex, bool create)
{
	const char *why;
	char name[16];
	int ns, fd, err;

	if (ifindex <= 0)
		return -ENODEV;
	ns = open_ns_dir(create);
	if (ns < 0)
		return ns;
	snprintf(name, sizeof(name), "%d", ifindex);
	for (int tries = 0; tries < 3; tries++) {
		fd = vtap_open_dir_at(ns, name, false, 0, true);
		if (fd >= 0) {
			err = vtap_state_check(ns, name, ifindex, &why);
			if (!err)
				break;
			close(fd);
			fd = err < 0 ? err : -ENOENT;
			if (err < 0)
				break;
			/* Another link's state: never adopted. */
			pr_warn("%s/%s: stale run state (%s): removed\n",
				vtap_run_dir(), name, why);
			vtap_remove_at(ns, name);
		}
		if (fd != -ENOENT || !create)
			break;
		err = make_bound(ns, name, ifindex);
		if (err && err != -EEXIST && err != -ENOTEMPTY) {
			fd = err;
			break;
		}
	}
	close(ns);
	return fd;
}

int vtap_rundir_path(int ifindex, char *buf, size_t size)
{
	char nsid[32];
	int err, n;

	err = vtap_netns_id(nsid, sizeof(nsid));
	if (err)
		return err;
	n = snprintf(buf, size, "%s/%s/%d", vtap_run_dir(), nsid, ifindex);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int vtap_rundir_stats(int dir_fd, bool create, const uid_t *uid,
		      const gid_t *gid)
{
	int fd;

	fd = openat(dir_fd, "stats",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd >= 0 ? fd : -errno;
	if (mkdirat(dir_fd, "stats", 0755))
		return -errno;
	fd = openat(dir_fd, "stats",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Ours, just made in a directory only root writes: give it away. */
	if ((uid || gid) &&
	    fchown(fd, uid ? *uid : (uid_t)-1, gid ? *gid : (gid_t)-1))
		pr_debug("chown stats/: %s\n", strerror(errno));
	vtap_rundir_mode(fd, gid ? 0775 : 0755);
	return fd;
}

ssize_t vtap_read_file_at(int dir_fd, const char *name, void *buf, size_t size)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(dir_fd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EPERM;
	}
	n = pread(fd, buf, size, 0);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

DIR *vtap_dir_stream(int fd)
{
	int own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = own >= 0 ? fdopendir(own) : NULL;

	if (!d && own >= 0) {
		int err = errno;

		close(own);
		errno = err;
	}
	return d;
}

int vtap_write_file_at(int dir_fd, const char *name, const void *buf,
		       size_t len)
{
	char tmp[64];
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	unlinkat(dir_fd, tmp, 0);
	/* Private and locked while it is written (staging_stale()). */
	fd = openat(dir_fd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	flock(fd, LOCK_EX | LOCK_NB);
	if (write(fd, buf, len) != (ssize_t)len)
		err = -EIO;
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (!err && renameat(dir_fd, tmp, dir_fd, name))
		err = -errno;
	if (err)
		unlinkat(dir_fd, tmp, 0);
	close(fd);
	return err;
}

static int remove_in(int fd, int depth)
{
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!unlinkat(dirfd(d), de->d_name, 0))
			continue;
		if (errno != EISDIR && errno != EPERM) {
			err = -errno;
			continue;
		}
		if (depth <= 0) {
			err = -ELOOP;
			continue;
		}
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		remove_in(fd, depth - 1);
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR))
			err = -errno;
	}
	closedir(d);
	return err;
}

/*
 * Whether entry @name of @dir_fd is a staging entry (STAGING_DIR"IFINDEX.PID",
 * a directory, in a namespace's directory with @dir; ".FILE.PID", a
 * regular file, in a link's directory without) whose writer is gone: made
 * by root (or us), the process of its PID gone, and its lock free (a
 * writer holds it from creation to rename: a writer whose PID this PID
 * namespace does not know is still seen). Anything else, a symbolic link
 * named like one included, is not vtap's staging and is left alone (and
 * never followed). *@ret_ifindex: the link's ifindex the name gives (0
 * for a file).
 */
static bool staging_stale(int dir_fd, const char *name, bool dir,
			  int *ret_ifindex)
{
	const char *p = name, *dot;
	struct stat st;
	long pid, idx = 0;
	bool stale;
	char *end;
	int fd;

	if (dir) {
		if (strncmp(name, STAGING_DIR, strlen(STAGING_DIR)))
			return false;
		p = name + strlen(STAGING_DIR);
		idx = strtol(p, &end, 10);
		if (end == p || *end != '.' || idx <= 0 || idx > INT_MAX)
			return false;
	} else {
		if (name[0] != '.' || !name[1] || name[1] == '.')
			return false;
	}
	dot = strrchr(name, '.');
	if (!dot || dot == name || !dot[1] || dot[1] < '1' || dot[1] > '9')
		return false;
	pid = strtol(dot + 1, &end, 10);
	if (*end || pid <= 0 || pid > INT_MAX)
		return false;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) ||
	    (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()))
		return false;
	/* Its writer lives (or its PID was reused: kept until next time). */
	if (!kill((pid_t)pid, 0) || errno != ESRCH)
		return false;
	fd = openat(dir_fd, name,
		    (dir ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY) | O_RDONLY |
			    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	stale = !flock(fd, LOCK_EX | LOCK_NB);
	close(fd);
	*ret_ifindex = (int)idx;
	return stale;
}

/*
 * The staging entries of dead writers in @dir_fd (a namespace's
 * directory with @dir, else link @ifindex's): told to @fn as
 * "@base/NAME", removed unless @dry_run. Return: how many.
 */
static int remove_staging(int dir_fd, const char *base, bool dir, int ifindex,
			  int (*fn)(const char *path, int ifindex,
				    const char *why, void *ctx),
			  void *ctx, bool dry_run)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0, idx;
	DIR *d;

	d = vtap_dir_stream(dir_fd);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.' ||
		    !staging_stale(dirfd(d), de->d_name, dir, &idx))
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", base ? base : ".",
			 de->d_name);
		if (fn)
			fn(path, dir ? idx : ifindex, "writer gone", ctx);
		if (!dry_run)
			vtap_remove_at(dirfd(d), de->d_name);
	}
	closedir(d);
	return n;
}

int vtap_remove_stale_links(int dir_fd, const char *base,
			    int (*fn)(const char *path, int ifindex,
				      const char *why, void *ctx),
			    void *ctx, bool dry_run)
{
	char path[PATH_MAX];
	struct dirent *de;
	const char *why;
	int n, err, fd;
	char *end;
	long idx;
	DIR *d;

	/* Staging directories of writers that died before the rename. */
	n = remove_staging(dir_fd, base, true, 0, fn, ctx, dry_run);
	d = fdopendir(dir_fd);
	if (!d) {
		close(dir_fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		idx = strtol(de->d_name, &end, 10);
		if (*end || idx <= 0 || idx > 0x7fffffff)
			continue;
		err = vtap_state_check(dirfd(d), de->d_name, (int)idx, &why);
		if (!err) {
			/* A live link's: its files' staging copies. */
			snprintf(path, sizeof(path), "%s/%s", base ? base : ".",
				 de->d_name);
			fd = openat(dirfd(d), de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
			if (fd >= 0) {
				n += remove_staging(fd, path, false, (int)idx,
						    fn, ctx, dry_run);
				close(fd);
			}
		}
		if (err <= 0)
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", base ? base : ".",
			 de->d_name);
		if (fn)
			fn(path, (int)idx, why, ctx);
		if (!dry_run)
			vtap_remove_at(dirfd(d), de->d_name);
	}
	closedir(d);
	return n;
}

void vtap_remove_gone_links(int dir_fd)
{
	vtap_remove_stale_links(dir_fd, NULL, NULL, NULL, false);
}

int vtap_remove_at(int dir_fd, const char *name)
{
	int fd;

	if (!unlinkat(dir_fd, name, 0) || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dir_fd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	remove_in(fd, REMOVE_DEPTH);
	return unlinkat(dir_fd, name, AT_REMOVEDIR) && errno != ENOENT ? -errno
								       : 0;
}

int vtap_rundir_init(int ifindex, unsigned int queues, const uid_t *uid,
		     const gid_t *gid)
{
	char name[16], buf[16];
	int ns, fd, sfd, err, len;

	ns = open_ns_dir(true);
	if (ns < 0)
		return ns;
	snprintf(name, sizeof(name), "%d", ifindex);
	/* An earlier link's leftovers (the tap was just made): never adopt. */
	vtap_remove_at(ns, name);
	err = make_bound(ns, name, ifindex);
	fd = err ? err : vtap_open_dir_at(ns, name, false, 0, true);
	close(ns);
	if (fd < 0)
		return fd;
	sfd = vtap_rundir_stats(fd, true, uid, gid);
	if (sfd >= 0)
		close(sfd);
	len = snprintf(buf, sizeof(buf), "%u\n", queues);
	err = vtap_write_file_at(fd, "queues", buf, (size_t)len);
	close(fd);
	return err;
}

int vtap_rundir_queues(int ifindex)
{
	char buf[16];
	ssize_t n;
	long v;
	int fd;

	fd = vtap_rundir_open(ifindex, false);
	if (fd < 0)
		return -ENOENT;
	n = vtap_read_file_at(fd, "queues", buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v < 1 || v > VTAP_QUEUES_MAX ? -ENOENT : (int)v;
}

/* Remove RUN/NSID of the caller's namespace when it holds nothing. */
static void drop_ns_dir(void)
{
	char nsid[32];
	int base;

	if (vtap_netns_id(nsid, sizeof(nsid)))
		return;
	base = open(vtap_run_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return;
	unlinkat(base, nsid, AT_REMOVEDIR);
	close(base);
}

void vtap_rundir_remove(int ifindex)
{
	char name[16];
	int ns;

	ns = open_ns_dir(false);
	if (ns < 0)
		return;
	snprintf(name, sizeof(name), "%d", ifindex);
	vtap_remove_at(ns, name);
	close(ns);
	drop_ns_dir();
}

/* Whether directory @fd holds nothing but its token. */
static bool only_token(int fd)
{
	struct dirent *de;
	bool only = true;
	DIR *d;

	d = vtap_dir_stream(fd);
	if (!d)
		return false;
	while (only && (de = readdir(d)))
		only = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		       !strcmp(de->d_name, VTAP_STATE_TOKEN);
	closedir(d);
	return only;
}

void vtap_rundir_tidy(const char *nsid, int ifindex)
{
	char name[16];
	int base, ns, fd;

	base = open(vtap_run_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return;
	ns = vtap_open_dir_at(base, nsid, false, 0, true);
	if (ns < 0) {
		close(base);
		return;
	}
	snprintf(name, sizeof(name), "%d", ifindex);
	fd = vtap_open_dir_at(ns, name, false, 0, true);
	if (fd >= 0) {
		struct stat st;

		/* A tap prepared by vtapctl keeps its state and stats/;
		 * the token goes last, when nothing else is left. */
		if (fstatat(fd, "queues", &st, AT_SYMLINK_NOFOLLOW) &&
		    (!unlinkat(fd, "stats", AT_REMOVEDIR) || errno == ENOENT) &&
		    only_token(fd)) {
			unlinkat(fd, VTAP_STATE_TOKEN, 0);
			unlinkat(ns, name, AT_REMOVEDIR);
		}
		close(fd);
	}
	close(ns);
	unlinkat(base, nsid, AT_REMOVEDIR);
	close(base);
}

void vtap_rundir_gc(void)
{
	int ns;

	ns = open_ns_dir(false);
	if (ns < 0)
		return;
	vtap_remove_gone_links(ns);
	drop_ns_dir();
}
