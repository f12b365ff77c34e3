// SPDX-License-Identifier: MIT
/*
 * gc.c - the state of links and network namespaces that are gone: found,
 * listed, removed (vtap_gc())
 *
 * Theory of operation
 *
 * vtap keeps a link's state in two trees, both keyed by network namespace
 * id and ifindex: the run state RUN/NSID/IFINDEX (rundir.c) and the
 * steering pins BPFFS/vtap/NSID/IFINDEX (steer_pins.c). NSID is the
 * namespace's cookie (link.c vtap_netns_id()), which the kernel never
 * reuses, so a namespace is alive exactly when some live namespace has
 * that cookie. A namespace lives while something holds it: a task in it,
 * an open file of it (/proc/PID/fd), a bind mount of it (`ip netns add`
 * mounts one under /run/netns, in any mount namespace). A socket alone
 * can hold one too, but nothing can enter it then, so its state is of no
 * use to anyone: it counts as gone.
 *
 * vtap_gc() lists the NSID directories of both trees first, then walks the
 * holders (tasks, their fds, the nsfs mounts of each mount namespace seen)
 * until it has found every namespace it looks for: a holder is compared by
 * its inode first (cheap), and each new namespace is entered once to read
 * its cookie. The state of a namespace not found is removed whole. In a
 * namespace found, each link's state is checked against the link
 * (rundir.c vtap_state_check(): gone, or a different link that took its
 * ifindex) from inside the namespace, and so are the staging copies of
 * writers that died (rundir.c staging_stale()). A namespace directory that
 * holds nothing is removed.
 *
 * Races: state is only ever made from inside its namespace, by a task
 * that holds it; the directories are listed before the holders are
 * walked, so a namespace whose state was listed and that still lives is
 * found.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "link.h"
#include "rundir.h"
#include "steer_guard.h"

#define GC_NS_MAX 4096

/* A namespace the state names, and what the walk found of it. */
struct gc_ns {
	char id[32];
	bool ours;
	int fd; /* an nsfs fd to enter it, -1 while not found */
};

struct gc {
	unsigned int flags;
	int (*fn)(const struct vtap_gc_entry *entry, void *ctx);
	void *ctx;
	int found;
	bool stop;
	struct gc_ns *ns;
	size_t n_ns;
	size_t n_missing; /* not found yet */
	/* Inodes of namespaces already looked at (found or not). */
	unsigned long long *seen;
	size_t n_seen, cap_seen;
	unsigned long long *seen_mnt;
	size_t n_seen_mnt, cap_seen_mnt;
	int self_fd; /* the caller's network namespace */
};

static bool ino_seen(unsigned long long **v, size_t *n, size_t *cap,
		     unsigned long long ino)
{
	unsigned long long *p;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == ino)
			return true;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		p = realloc(*v, *cap * sizeof(**v));
		if (!p)
			return true; /* out of memory: look no further */
		*v = p;
	}
	(*v)[(*n)++] = ino;
	return false;
}

static bool ino_known(const struct gc *g, unsigned long long ino)
{
	for (size_t i = 0; i < g->n_seen; i++)
		if (g->seen[i] == ino)
			return true;
	return false;
}

static struct gc_ns *ns_find(struct gc *g, const char *id)
{
	for (size_t i = 0; i < g->n_ns; i++)
		if (!strcmp(g->ns[i].id, id))
			return &g->ns[i];
	return NULL;
}

static void ns_want(struct gc *g, const char *id, const char *self)
{
	struct gc_ns *p;

	if ((id[0] != 'c' && id[0] != 'i') || strlen(id) >= sizeof(p->id) ||
	    ns_find(g, id) || g->n_ns >= GC_NS_MAX)
		return;
	p = realloc(g->ns, (g->n_ns + 1) * sizeof(*g->ns));
	if (!p)
		return;
	g->ns = p;
	p = &g->ns[g->n_ns++];
	memcpy(p->id, id, strlen(id) + 1);
	p->ours = !strcmp(id, self);
	p->fd = -1;
	if (!p->ours)
		g->n_missing++;
}

/* Note the NSID directories of @base. */
static void list_base(struct gc *g, const char *base, const char *self)
{
	struct dirent *de;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			ns_want(g, de->d_name, self);
	closedir(d);
}

/*
 * A holder: @fd is a file of a network namespace (taken over). Read its
 * id once per namespace, keep the fd when the state names it.
 */
static void holder(struct gc *g, int fd)
{
	char id[32];
	struct gc_ns *ns;
	struct stat st;

	if (fstat(fd, &st) || ino_seen(&g->seen, &g->n_seen, &g->cap_seen,
				       (unsigned long long)st.st_ino)) {
		close(fd);
		return;
	}
	/* Its cookie, from inside (no call asks for it from outside). */
	if (setns(fd, CLONE_NEWNET)) {
		close(fd);
		return;
	}
	if (vtap_netns_id(id, sizeof(id)))
		id[0] = '\0';
	if (setns(g->self_fd, CLONE_NEWNET))
		pr_warn("gc: cannot return to the caller's network namespace: %s\n",
			strerror(errno));
	ns = id[0] ? ns_find(g, id) : NULL;
	/* Kernels without cookies: the id is the inode. */
	if (!ns) {
		snprintf(id, sizeof(id), "i%llu",
			 (unsigned long long)st.st_ino);
		ns = ns_find(g, id);
	}
	if (ns && !ns->ours && ns->fd < 0) {
		ns->fd = fd;
		g->n_missing--;
		return;
	}
	close(fd);
}

static void holder_path(struct gc *g, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd >= 0)
		holder(g, fd);
}

/* "net:[INODE]" (a /proc/PID/fd link, an nsfs mount's root) -> inode. */
static bool net_ino(const char *s, unsigned long long *ret)
{
	return sscanf(s, "net:[%llu]", ret) == 1;
}

/* The nsfs bind mounts of the mount namespace of @pid. */
static void holders_mounts(struct gc *g, const char *pid)
{
	char path[PATH_MAX], line[4096], root[256], mnt[2048], type[64];
	unsigned long long ino;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	if (stat(path, &st) ||
	    ino_seen(&g->seen_mnt, &g->n_seen_mnt, &g->cap_seen_mnt,
		     (unsigned long long)st.st_ino))
		return;
	snprintf(path, sizeof(path), "/proc/%s/mountinfo", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (g->n_missing && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - TYPE SOURCE ... */
		if (!sep || sscanf(sep, " - %63s", type) != 1 ||
		    strcmp(type, "nsfs") ||
		    sscanf(line, "%*s %*s %*s %255s %2047s", root, mnt) != 2 ||
		    !net_ino(root, &ino))
			continue;
		/* Octal escapes (\040) in the mount point are left as they
		 * are: such a path is not found, the namespace is likely
		 * held otherwise (ip netns names have no spaces). */
		if (ino_known(g, ino))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/root%s", pid, mnt);
		holder_path(g, path);
	}
	fclose(f);
}

/* An open file of @pid (@name in /proc/PID/fd, @dfd) that is a namespace. */
static void holder_fd(struct gc *g, const char *pid, int dfd, const char *name)
{
	char path[PATH_MAX], link[64];
	unsigned long long ino;
	ssize_t n;

	n = readlinkat(dfd, name, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	if (!net_ino(link, &ino) || ino_known(g, ino))
		return;
	snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, name);
	holder_path(g, path);
}

/* The namespace of a task of @pid (@name in /proc/PID/task). */
static void holder_task(struct gc *g, const char *pid, int dfd,
			const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	(void)dfd;
	snprintf(path, sizeof(path), "/proc/%s/task/%s/ns/net", pid, name);
	/* stat first: most tasks share a few namespaces. */
	if (!stat(path, &st) && !ino_known(g, (unsigned long long)st.st_ino))
		holder_path(g, path);
}

/*
 * Each entry of /proc/@pid/@sub to @fn, while a namespace is missing: the
 * tasks (threads may sit in other namespaces), the open files.
 */
static void holders_in(struct gc *g, const char *pid, const char *sub,
		       void (*fn)(struct gc *g, const char *pid, int dfd,
				  const char *name))
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, sub);
	d = opendir(path);
	if (!d)
		return;
	while (g->n_missing && (de = readdir(d)))
		if (de->d_name[0] != '.')
			fn(g, pid, dirfd(d), de->d_name);
	closedir(d);
}

static void find_holders(struct gc *g)
{
	struct dirent *de;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return;
	while (g->n_missing && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		holders_in(g, de->d_name, "task", holder_task);
		holders_mounts(g, de->d_name);
		holders_in(g, de->d_name, "fd", holder_fd);
	}
	closedir(d);
}

struct report_ctx {
	struct gc *g;
	const char *kind;
	const char *netns;
};

static int report(struct gc *g, const char *kind, const char *path,
		  const char *netns, int ifindex, const char *why)
{
	struct vtap_gc_entry e = {
		.kind = kind,
		.path = path,
		.netns = netns,
		.ifindex = ifindex,
		.reason = why,
		.removed = !(g->flags & VTAP_GC_DRY_RUN),
	};

	g->found++;
	if (e.removed)
		pr_info("gc: %s: %s: removed\n", path, why);
	if (g->fn && !g->stop && g->fn(&e, g->ctx))
		g->stop = true;
	return 0;
}

static int report_link(const char *path, int ifindex, const char *why,
		       void *ctx)
{
	struct report_ctx *r = ctx;

	return report(r->g, r->kind, path, r->netns, ifindex, why);
}

/* The links of namespace @ns (entered) under @base/@ns->id. */
static void check_links(struct gc *g, const char *kind, const char *base,
			const struct gc_ns *ns)
{
	struct report_ctx r = {.g = g, .kind = kind, .netns = ns->id};
	char path[PATH_MAX];
	int fd, bfd;

	snprintf(path, sizeof(path), "%s/%s", base, ns->id);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	vtap_remove_stale_links(fd, path, report_link, &r,
				g->flags & VTAP_GC_DRY_RUN);
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd >= 0 && !(g->flags & VTAP_GC_DRY_RUN))
		unlinkat(bfd, ns->id, AT_REMOVEDIR);
	if (bfd >= 0)
		close(bfd);
}

/* The whole directory of namespace @ns under @base: it is gone. */
static void drop_ns(struct gc *g, const char *kind, const char *base,
		    const struct gc_ns *ns)
{
	char path[PATH_MAX], sub[PATH_MAX + 32];
	struct dirent *de;
	char *end;
	long idx;
	int bfd;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", base, ns->id);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		idx = strtol(de->d_name, &end, 10);
		if (*end || idx <= 0 || idx > INT_MAX)
			continue;
		snprintf(sub, sizeof(sub), "%s/%ld", path, idx);
		report(g, kind, sub, ns->id, (int)idx, "netns gone");
	}
	closedir(d);
	if (g->flags & VTAP_GC_DRY_RUN)
		return;
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0)
		return;
	vtap_remove_at(bfd, ns->id);
	close(bfd);
}

int vtap_gc(const struct vtap_gc_opts *opts)
{
	struct gc g = {.self_fd = -1};
	char self[32], bases[2][PATH_MAX];
	const char *kinds[2] = {"run", "pins"};
	bool root = geteuid() == 0;
	int err, nb = 0;

	if (!OPTS_VALID(opts, struct vtap_gc_opts))
		return vtap_err(-EINVAL);
	g.flags = OPTS_GET(opts, flags, 0);
	g.fn = OPTS_GET(opts, fn, NULL);
	g.ctx = OPTS_GET(opts, ctx, NULL);
	err = vtap_netns_id(self, sizeof(self));
	if (err)
		return vtap_err(err);
	snprintf(bases[nb++], sizeof(bases[0]), "%s", vtap_run_dir());
	if (!vtap_steer_pins_root(bases[nb], sizeof(bases[0])))
		nb++;
	for (int b = 0; b < nb; b++)
		list_base(&g, bases[b], self);
	if (g.n_missing && root) {
		g.self_fd =
			open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (g.self_fd >= 0)
			find_holders(&g);
	}
	for (size_t i = 0; i < g.n_ns && !g.stop; i++) {
		struct gc_ns *ns = &g.ns[i];

		/* Other namespaces need CAP_SYS_ADMIN to look into. */
		if (!ns->ours && (!root || g.self_fd < 0))
			continue;
		if (!ns->ours && ns->fd < 0) {
			for (int b = 0; b < nb; b++)
				drop_ns(&g, kinds[b], bases[b], ns);
			continue;
		}
		if (!ns->ours && setns(ns->fd, CLONE_NEWNET))
			continue;
		for (int b = 0; b < nb; b++)
			check_links(&g, kinds[b], bases[b], ns);
		if (!ns->ours && setns(g.self_fd, CLONE_NEWNET))
			pr_warn("gc: cannot return to the caller's network namespace: %s\n",
				strerror(errno));
	}
	for (size_t i = 0; i < g.n_ns; i++)
		if (g.ns[i].fd >= 0)
			close(g.ns[i].fd);
	if (g.self_fd >= 0)
		close(g.self_fd);
	free(g.ns);
	free(g.seen);
	free(g.seen_mnt);
	return g.found;
}
