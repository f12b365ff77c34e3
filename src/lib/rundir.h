/* SPDX-License-Identifier: MIT */
/*
 * rundir.h - run state of a link (rundir.c): RUN/NSID/IFINDEX/, where RUN
 * is /run/vtap (VTAP_RUN_DIR overrides it), NSID the caller's network
 * namespace (vtap_netns_id()) and IFINDEX the link's index there. Not
 * installed.
 *
 * Every file is reached with openat() from a directory fd that was checked
 * (a directory, not a link, owned by root or by the caller, writable by
 * nobody else), created with O_EXCL|O_NOFOLLOW and read with
 * O_NOFOLLOW|O_NONBLOCK after checking it is a regular file. The only
 * directory the tap's owner may write is stats/, where handles publish
 * their counters.
 */
#ifndef VTAP_RUNDIR_H
#define VTAP_RUNDIR_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define VTAP_RUN_DIR "/run/vtap"
/*
 * The base directory: VTAP_RUN_DIR, or the environment variable
 * VTAP_RUN_DIR when it is an absolute path (ignored in setuid programs).
 */
const char *vtap_run_dir(void);

/*
 * Open the run directory of link @ifindex of the caller's namespace; with
 * @create make it (and its parents) when missing. A directory whose token
 * is not the link's (vtap_state_check()) is stale: removed (logged), never
 * returned. Return: a directory fd (O_RDONLY|O_CLOEXEC), -ENOENT, -EPERM
 * for a directory that fails the checks (logged), or another -errno.
 */
int vtap_rundir_open(int ifindex, bool create);

/* Its path, for people and tools. Return: 0 or -errno. */
int vtap_rundir_path(int ifindex, char *buf, size_t size);

/*
 * Open the stats/ directory in @dir_fd; with @create make it, owned by
 * @uid/@gid when given (0775 with a group, else 0755). Return: fd or
 * -errno.
 */
int vtap_rundir_stats(int dir_fd, bool create, const uid_t *uid,
		      const gid_t *gid);

/*
 * Make a fresh run directory for @ifindex (a stale one of an earlier link
 * with that index is removed first) and record @queues there, with stats/
 * for @uid/@gid. Return: 0 or -errno.
 */
int vtap_rundir_init(int ifindex, unsigned int queues, const uid_t *uid,
		     const gid_t *gid);

/* The queue count vtap_rundir_init() recorded. Return: 1..256 or -ENOENT. */
int vtap_rundir_queues(int ifindex);

/* Remove the run directory of @ifindex and what it holds (and RUN/NSID
 * when that leaves it empty). */
void vtap_rundir_remove(int ifindex);

/*
 * Remove what an empty run directory RUN/@nsid/@ifindex leaves behind
 * (after a handle's last stats file went): stats/, the directory, the
 * namespace's directory, when empty (a tap prepared by vtapctl keeps its
 * state). Works from any namespace.
 */
void vtap_rundir_tidy(const char *nsid, int ifindex);

/* Remove the run directories of links that no longer exist here. */
void vtap_rundir_gc(void);

/*
 * Read at most @size bytes of regular file @name in @dir_fd without
 * following a link or blocking on a FIFO. Return: bytes read or -errno.
 */
ssize_t vtap_read_file_at(int dir_fd, const char *name, void *buf, size_t size);

/*
 * Give what vtap just made (@fd: a directory or file of run state or a
 * pin directory) its designed @mode whatever the process's umask: a
 * daemon under UMask=0077 makes the same state as vtapctl, readable by
 * the tap's owner and every user (docs/security.md); never on what was
 * there before. Return: 0 or -errno (logged at debug level).
 */
int vtap_rundir_mode(int fd, mode_t mode);

/*
 * A directory stream over directory @fd on a descriptor of its own: @fd
 * stays open and the caller's; closedir() closes only the stream's.
 * Return: the stream, or NULL with errno set.
 */
DIR *vtap_dir_stream(int fd);

/*
 * Write @buf as regular file @name of @dir_fd (a directory only root
 * writes): a new file (O_EXCL|O_NOFOLLOW, private and locked while it is
 * written), mode 0644, renamed into place. Return: 0 or -errno.
 */
int vtap_write_file_at(int dir_fd, const char *name, const void *buf,
		       size_t len);

/*
 * Remove @name in @dir_fd and, when it is a directory, what it holds
 * (never following links, at most a few levels deep). Return: 0 or -errno.
 */
int vtap_remove_at(int dir_fd, const char *name);

/*
 * Remove, in directory @dir_fd (taken over and closed), each entry named
 * by an ifindex that names no link of the caller's namespace any more, or
 * a link other than the one the entry's token names: the state of taps
 * deleted with `ip link del`, or of a link that had the ifindex before
 * (run state and pins alike).
 */
void vtap_remove_gone_links(int dir_fd);

/*
 * The same, telling @fn about each stale entry (its path below @base, the
 * ifindex and why it is stale) and removing nothing with @dry_run.
 * Return: the number of stale entries, or -errno.
 */
int vtap_remove_stale_links(int dir_fd, const char *base,
			    int (*fn)(const char *path, int ifindex,
				      const char *why, void *ctx),
			    void *ctx, bool dry_run);

/*
 * The state token: what binds a directory of state (run state or pins)
 * to one link instance (link.h). A regular file (run state) or a symbolic
 * link to the token (pins: bpffs has no regular files) of this name.
 */
#define VTAP_STATE_TOKEN "link"

/*
 * The token recorded in directory @name of @dir_fd, into @buf (at least
 * VTAP_LINK_TOKEN_SIZE bytes). Return: 0, -ENOENT (none), -EUCLEAN (not
 * a token), or another -errno.
 */
int vtap_state_token(int dir_fd, const char *name, char *buf, size_t size);

/*
 * Whether directory @name of @dir_fd holds state of link @ifindex of the
 * caller's namespace as it is now. Return: 0 (it does), 1 (stale, with
 * the reason in *@ret_why), or -errno (cannot tell).
 */
int vtap_state_check(int dir_fd, const char *name, int ifindex,
		     const char **ret_why);

/*
 * Open directory @name in @dir_fd (no link followed), creating it with
 * @mode when @create. With @strict, it must be owned by root or the
 * caller and not writable by group or others. Return: fd or -errno.
 */
int vtap_open_dir_at(int dir_fd, const char *name, bool create, mode_t mode,
		     bool strict);

#endif /* VTAP_RUNDIR_H */
