// SPDX-License-Identifier: MIT
/*
 * steer_pins.c - where steering state lives: the bpffs that outlives the
 * caller, one pin directory per link, what is pinned there and for whom,
 * and garbage collection of the pins of links that are gone
 *
 * With VTAP_STEER_PIN the maps and both programs are pinned under
 * BPFFS/vtap/NSID/IFINDEX/: the link as the caller's network namespace
 * names it (vtap_steer_pin_dir()), never its name alone, so links of one
 * name in two namespaces, or a link deleted and made again, never share
 * state. A later open finds them (no CAP_BPF needed: BPF_OBJ_GET on pins
 * the caller may write, then mmap). The bpffs is one that outlives the
 * caller (bpffs_root(): under `ip netns exec` the one of the namespace it
 * came from); a private one that would vanish is refused. The tap's owner
 * gets the maps of its own tap's steering, root keeps the programs and
 * the program array; the directory is 0711, so only root can take the
 * writers' lock on it.
 *
 * The pins are bound to the link instance, not only to (namespace,
 * ifindex), which a link moved in can take over from a deleted one: the
 * symbolic link "link" in the directory names the link's token (link.h,
 * rundir.h), made before anything is pinned; pins whose token is not the
 * link's are stale (vtap_steer_pins_bound()): removed, never opened.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rundir.h"
#include "link.h"
#include "steer_guard.h"
#include "steer_pins.h"

const char *const vtap_steer_pin_names[PIN__COUNT] = {
	[PIN_CFG] = "cfg",   [PIN_AUTOMQ] = "automq", [PIN_EXACT] = "exact",
	[PIN_JMP] = "jmp",   [PIN_PKT] = "pkt",	      [PIN_PROG] = "prog",
	[PIN_CONT] = "cont", [PIN_STATS] = "stats",   [PIN_VERDICT] = "verdict",
	[PIN_EXT] = "ext",
};

int vtap_steer_pin_path(const struct vtap_steer *s, enum pin_idx i, char *buf,
			size_t size)
{
	int n = snprintf(buf, size, "%s/%s", s->dir, vtap_steer_pin_names[i]);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* The parent of @pid from /proc/PID/stat, or 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold anything but ends at
	 * the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/*
 * Look for the bpffs of the nearest ancestor process (then pid 1) that
 * lives in another mount namespace: `ip netns exec` and `unshare -m` run
 * their command in a mount namespace of its own whose /sys/fs/bpf may be
 * gone, while the caller's is the host's. *@ret_private tells whether such
 * an ancestor was seen at all. Return: 0 with the path in @buf, or -ENOENT.
 */
static int outer_bpffs(char *buf, size_t size, bool *ret_private)
{
	struct stat self, st;
	char path[64];
	pid_t pid = getppid();

	*ret_private = false;
	if (stat("/proc/self/ns/mnt", &self))
		return -ENOENT;
	for (int depth = 0; depth < 64; depth++) {
		if (pid <= 0)
			pid = 1; /* and pid 1 last */
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		if (!stat(path, &st) &&
		    (st.st_ino != self.st_ino || st.st_dev != self.st_dev)) {
			*ret_private = true;
			snprintf(path, sizeof(path), "/proc/%d/root/sys/fs/bpf",
				 (int)pid);
			if (is_bpffs(path))
				return snprintf(buf, size, "%s", path) >=
						       (int)size
					       ? -ENAMETOOLONG
					       : 0;
		}
		if (pid == 1)
			break;
		pid = parent_of(pid);
	}
	return -ENOENT;
}

/*
 * The bpffs to pin in: one that outlives this process (docs/steering.md,
 * "Where the state lives"). In order:
 *  1. /sys/fs/bpf when it is a bpffs;
 *  2. the /sys/fs/bpf of the nearest ancestor (or pid 1) in another mount
 *     namespace, through /proc/PID/root, when this process runs in a
 *     mount namespace of its own without one (`ip netns exec` makes a
 *     private one and mounts a fresh /sys over the host's);
 *  3. with @create, a bpffs mounted at /sys/fs/bpf, as bpftool does, but
 *     only when no ancestor lives in another mount namespace (a mount in
 *     a private one would go with it).
 * Otherwise new state is refused (-ENOMEDIUM, logged with what to do).
 */
static int bpffs_root(bool create, char *buf, size_t size)
{
	bool private_ns;

	if (is_bpffs("/sys/fs/bpf"))
		return snprintf(buf, size, "/sys/fs/bpf") >= (int)size
			       ? -ENAMETOOLONG
			       : 0;
	if (!outer_bpffs(buf, size, &private_ns))
		return 0;
	if (!create)
		return -ENOENT;
	if (private_ns) {
		pr_warn("steer: no bpffs outlives this command: /sys/fs/bpf is "
			"not mounted in this private mount namespace (as under "
			"'ip netns exec') nor in the one it came from; mount it "
			"there (mount -t bpf bpf /sys/fs/bpf) or enter the "
			"network namespace with 'vtapctl -n NETNS' or 'nsenter "
			"--net'\n");
		return -ENOMEDIUM;
	}
	mkdir("/sys/fs/bpf", 0755);
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0755")) {
		int err = -errno;

		pr_warn("steer: bpffs is not mounted at /sys/fs/bpf and mounting it failed: %s\n",
			strerror(-err));
		return err;
	}
	return snprintf(buf, size, "/sys/fs/bpf") >= (int)size ? -ENAMETOOLONG
							       : 0;
}

/*
 * The pin directory of link @ifindex of the caller's namespace:
 * BPFFS/vtap/NSID/IFINDEX. Return: 0 or -errno.
 */
int vtap_steer_pin_dir(bool create, int ifindex, char *buf, size_t size)
{
	char root[64], nsid[32];
	int err, n;

	err = bpffs_root(create, root, sizeof(root));
	if (!err)
		err = vtap_netns_id(nsid, sizeof(nsid));
	if (err)
		return err;
	n = snprintf(buf, size, "%s/vtap/%s/%d", root, nsid, ifindex);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Remove the pins of links of this namespace that are gone (deleted with
 * `ip link del`): a tap made again under the same name has another ifindex
 * and starts clean.
 */
void vtap_steer_gc_pins(void)
{
	char root[64], nsid[32], path[PATH_MAX];
	int fd;

	if (bpffs_root(false, root, sizeof(root)) ||
	    vtap_netns_id(nsid, sizeof(nsid)))
		return;
	snprintf(path, sizeof(path), "%s/vtap/%s", root, nsid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	vtap_remove_gone_links(fd);
	/* And the namespace's directory once it holds nothing. */
	snprintf(path, sizeof(path), "%s/vtap", root);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		unlinkat(fd, nsid, AT_REMOVEDIR);
		close(fd);
	}
}

/* mkdir -p of @path's components below @root (0755, no links followed). */
static int make_pin_dir(const char *root, const char *path)
{
	char rel[PATH_MAX], *p, *slash;
	int fd, next;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(rel, sizeof(rel), "%s", path + strlen(root) + 1);
	for (p = rel; p && *p; p = slash) {
		slash = strchr(p, '/');
		if (slash)
			*slash++ = '\0';
		/* The last level, the tap's: only root may open it (lock). */
		next = vtap_open_dir_at(fd, p, true, slash ? 0755 : 0711, true);
		close(fd);
		if (next < 0)
			return next;
		fd = next;
	}
	close(fd);
	return 0;
}

/*
 * Bind the pins in @dfd to the link (rundir.h, VTAP_STATE_TOKEN): a
 * symbolic link to its token, before anything is pinned.
 */
static int pin_token(const struct vtap_steer *s, int dfd)
{
	char token[VTAP_LINK_TOKEN_SIZE];
	int err;

	err = vtap_link_token(s->ifindex, true, token, sizeof(token));
	if (err) {
		pr_warn("steer: %s: cannot give it a vtap token (an alternative "
			"name) to bind its pins to: %s%s\n",
			s->ifname, strerror(-err),
			err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return err;
	}
	unlinkat(dfd, VTAP_STATE_TOKEN, 0);
	if (symlinkat(token, dfd, VTAP_STATE_TOKEN)) {
		err = -errno;
		pr_warn("steer: bind %s/%s: %s\n", s->dir, VTAP_STATE_TOKEN,
			strerror(-err));
		return err;
	}
	return 0;
}

bool vtap_steer_pins_bound(const struct vtap_steer *s)
{
	char parent[PATH_MAX], *name;
	const char *why;
	int fd, err;

	snprintf(parent, sizeof(parent), "%s", s->dir);
	name = strrchr(parent, '/');
	if (!name)
		return false;
	*name++ = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	err = vtap_state_check(fd, name, s->ifindex, &why);
	if (err > 0) {
		pr_warn("steer: %s: stale pins (%s)%s\n", s->dir, why,
			vtap_remove_at(fd, name) ? ", not mine to remove"
						 : ": removed");
	}
	close(fd);
	return err == 0;
}

/*
 * Pin everything in s->dir. With VTAP_STEER_SET_OWNER the tap's owner
 * gets what it may change and nothing else: the configuration, the automq
 * table and the exact rules (its own tap's steering). The programs, the
 * program array (tail calls) and the per-frame scratch map stay root's.
 */
int vtap_steer_pin_all(struct vtap_steer *s, const struct vtap_steer_opts *opts)
{
	bool chown_ = OPTS_GET(opts, flags, 0) & VTAP_STEER_SET_OWNER;
	char path[PATH_MAX], root[64];
	int err, dfd;

	err = bpffs_root(true, root, sizeof(root));
	if (!err)
		err = make_pin_dir(root, s->dir);
	if (err) {
		pr_warn("steer: make %s: %s\n", s->dir, strerror(-err));
		return err;
	}
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = pin_token(s, dfd);
	if (err) {
		close(dfd);
		return err;
	}
	for (int i = 0; i < PIN_EXT; i++) {
		err = vtap_steer_pin_path(s, i, path, sizeof(path));
		if (!err && bpf_obj_pin(s->fd[i], path))
			err = -errno;
		if (err) {
			pr_warn("steer: pin %s: %s\n", path, strerror(-err));
			close(dfd);
			return err;
		}
		/* Only the maps the owner may change (docs/security.md). */
		if (chown_ &&
		    (i == PIN_CFG || i == PIN_AUTOMQ || i == PIN_EXACT) &&
		    fchownat(dfd, vtap_steer_pin_names[i], opts->owner,
			     opts->group, AT_SYMLINK_NOFOLLOW))
			pr_warn("steer: chown %s: %s\n", path, strerror(errno));
	}
	close(dfd);
	return 0;
}

int vtap_steer_open_pins(struct vtap_steer *s)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_EXT; i++) {
		int fd;

		if (vtap_steer_pin_path(s, i, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (i == PIN_STATS) {
			LIBBPF_OPTS(bpf_obj_get_opts, ro,
				    .file_flags = BPF_F_RDONLY);

			fd = bpf_obj_get_opts(path, &ro);
		} else {
			fd = bpf_obj_get(path);
		}
		if (fd < 0) {
			int err = -errno;

			/* Programs are only needed to attach, the program
			 * array and scratch maps only by root's tools: the
			 * tap's owner gets neither (vtap_steer_pin_all());
			 * counters and the verdict map are missing from pins
			 * of older versions. */
			if (i == PIN_PROG || i == PIN_CONT || i == PIN_STATS ||
			    i == PIN_VERDICT ||
			    ((i == PIN_JMP || i == PIN_PKT) &&
			     (err == -EACCES || err == -EPERM)))
				continue;
			pr_warn("steer: open pinned %s: %s%s\n", path,
				strerror(-err),
				err == -EACCES || err == -EPERM
					? " (the pins belong to another user)"
					: "");
			return err;
		}
		s->fd[i] = fd;
	}
	return 0;
}

bool vtap_steer_pins_exist(const struct vtap_steer *s)
{
	char path[PATH_MAX];

	return !vtap_steer_pin_path(s, PIN_CFG, path, sizeof(path)) &&
	       !access(path, F_OK);
}

int vtap_steer_remove_pins(int ifindex)
{
	char dir[PATH_MAX];
	int err = 0;

	if (ifindex > 0 &&
	    !vtap_steer_pin_dir(false, ifindex, dir, sizeof(dir))) {
		char *slash = strrchr(dir, '/');
		int fd;

		*slash = '\0';
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			err = vtap_remove_at(fd, slash + 1);
			close(fd);
		}
	}
	/* And what links deleted another way left (this one, after a del). */
	vtap_steer_gc_pins();
	return err;
}

int vtap_steer_pins_root(char *buf, size_t size)
{
	char root[64];
	int err, n;

	err = bpffs_root(false, root, sizeof(root));
	if (err)
		return err;
	n = snprintf(buf, size, "%s/vtap", root);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool vtap_steer_pins_present(int ifindex)
{
	char dir[PATH_MAX], *name;
	const char *why;
	bool ok;
	int fd;

	if (vtap_steer_pin_dir(false, ifindex, dir, sizeof(dir)))
		return false;
	name = strrchr(dir, '/');
	*name++ = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = !faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) &&
	     !vtap_state_check(fd, name, ifindex, &why);
	close(fd);
	return ok;
}

/* The id of map or program @fd, 0 when unknown. */
static uint32_t obj_id(int fd)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id
								   : 0;
}

bool vtap_steer_pins_current(const struct vtap_steer *s)
{
	char path[PATH_MAX];
	uint32_t id;
	int fd;

	if (!s->pinned || vtap_steer_pin_path(s, PIN_CFG, path, sizeof(path)))
		return false;
	fd = bpf_obj_get(path);
	id = obj_id(fd);
	if (fd >= 0)
		close(fd);
	return id && id == obj_id(s->fd[PIN_CFG]);
}

int vtap_steer__pin(struct vtap_steer *s)
{
	char parent[PATH_MAX], *name;
	int ifindex = 0, tf, err, fd;

	if (!s || !s->skel)
		return vtap_err(s && s->pinned ? 0 : -EINVAL);
	/* The link of this name in the caller's namespace, now (it may have
	 * moved since the handle was opened). */
	tf = vtap_link_tun_flags(s->ifname, &ifindex);
	if (tf < 0)
		return vtap_err(tf == -EINVAL ? -EINVAL : -ENODEV);
	s->ifindex = ifindex;
	err = vtap_steer_pin_dir(true, ifindex, s->dir, sizeof(s->dir));
	if (err)
		return vtap_err(err);
	/* What is there describes a program the link no longer runs. */
	snprintf(parent, sizeof(parent), "%s", s->dir);
	name = strrchr(parent, '/');
	*name++ = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		vtap_remove_at(fd, name);
		close(fd);
	}
	err = vtap_steer_pin_all(s, NULL);
	if (err) {
		fd = open(parent,
			  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			vtap_remove_at(fd, name);
			close(fd);
		}
		return vtap_err(err);
	}
	s->pinned = true;
	s->dir_fd =
		open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	vtap_steer_attach_record(s, 0);
	return 0;
}

const char *vtap_steer__pin_dir(const struct vtap_steer *s)
{
	const char *p;

	if (!s || !s->pinned)
		return NULL;
	/* Reached through an ancestor's /proc/PID/root (bpffs_root()): the
	 * path as that mount namespace, the host's, sees it. */
	if (!strncmp(s->dir, "/proc/", 6)) {
		p = strstr(s->dir + 6, "/root/");
		if (p)
			return p + 5;
	}
	return s->dir;
}
