// SPDX-License-Identifier: MIT
/*
 * stats.c - per-queue counters in a shared-memory file per device handle
 *
 * Theory of operation
 *
 * Every open device handle maps one file in the tap's run directory
 * (rundir.h), RUN/NSID/IFINDEX/stats/stats.PID.N (VTAP_RUN_DIR overrides
 * /run/vtap):
 * a struct vtap_stats_file header, then VTAP_QUEUES_MAX slots of struct
 * vtap_queue_stats indexed by queue id. The thread running a queue is the
 * only writer of that queue's slot and updates each counter with a relaxed
 * atomic load and store (no read-modify-write bus lock: nobody else
 * writes). Readers, in this process or any other, load each counter with a
 * relaxed atomic load; the data path never stops for them. Counters only
 * grow, so a reader sees each counter at some recent value; two counters
 * read one after the other need not belong to the same instant.
 *
 * While the handle is open, its process holds an OFD write lock on the
 * whole file. A file nobody locks was left by a handle that died without
 * closing (a crash): readers skip it and remove it, the next handle that
 * opens removes every such file (the state of links that went with it is
 * vtap_gc()'s), and a new handle may reuse its name. Closing a handle removes its file.
 *
 * Where the run directory cannot be written (an unprivileged opener of a
 * tap not prepared by vtapctl), the counters live in private memory: the
 * library still counts, other processes cannot see them.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_impl.h"
#include "rundir.h"

#define STATS_SLOTS VTAP_QUEUES_MAX
/* Counters start at a cache line, so queues never share one with the
 * header. */
#define STATS_HDR_SIZE 64u

static_assert(sizeof(struct vtap_stats_file) <= STATS_HDR_SIZE,
	      "the stats file header fits its reserved space");
static_assert(sizeof(struct vtap_queue_stats) % sizeof(uint64_t) == 0,
	      "counters are a whole number of u64");

static_assert(sizeof(struct vtap_ring_errors) % sizeof(uint64_t) == 0,
	      "ring errors are a whole number of u64");

static const char *const ring_error_names[] = {
	[VTAP_RING_ERR_HEAD] = "head",
	[VTAP_RING_ERR_ADDR] = "addr",
	[VTAP_RING_ERR_LOOP] = "loop",
	[VTAP_RING_ERR_INDIRECT] = "indirect",
	[VTAP_RING_ERR_DIRECTION] = "direction",
	[VTAP_RING_ERR_TOO_LONG] = "too_long",
	[VTAP_RING_ERR_AVAIL] = "avail",
	[VTAP_RING_ERR_HDR] = "short_hdr",
	[VTAP_RING_ERR_FAULT] = "fault",
};
static_assert(sizeof(ring_error_names) / sizeof(ring_error_names[0]) ==
		      VTAP_RING_ERR__COUNT,
	      "every ring error has a name");

const char *vtap_ring_error__name(enum vtap_ring_error err)
{
	return (unsigned int)err < VTAP_RING_ERR__COUNT ? ring_error_names[err]
							: NULL;
}

/* Where the ring errors start: after the counters of every slot. */
static size_t ring_off(void)
{
	return STATS_HDR_SIZE + STATS_SLOTS * sizeof(struct vtap_queue_stats);
}

static size_t stats_file_len(void)
{
	return ring_off() + STATS_SLOTS * sizeof(struct vtap_ring_errors);
}

static int lock_file(int fd, short type, int cmd)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};

	return fcntl(fd, cmd, &fl);
}

/* Whether a live handle holds @fd's file. */
static bool file_is_live(int fd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	if (fcntl(fd, F_OFD_GETLK, &fl))
		return true; /* cannot tell: count it */
	return fl.l_type != F_UNLCK;
}

/*
 * Create and lock the next free stats.PID.N in @dfd (a directory the tap's
 * owner may write: nothing found there is opened for writing, followed or
 * truncated). Return: fd or -errno.
 */
static int create_file(struct vtap_dev *dev, int dfd)
{
	struct stat st;
	int fd, err;

	for (unsigned int n = 0; n < 1024; n++) {
		snprintf(dev->stats_name, sizeof(dev->stats_name),
			 "stats.%d.%u", (int)getpid(), n);
		fd = openat(dfd, dev->stats_name,
			    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0644);
		if (fd < 0 && errno == EEXIST) {
			/* Our own dead handle's file (same pid, ours, not
			 * locked) may go; anything else stays. */
			fd = openat(dfd, dev->stats_name,
				    O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					    O_CLOEXEC);
			if (fd < 0)
				continue;
			if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
			    st.st_uid == geteuid() && !file_is_live(fd))
				unlinkat(dfd, dev->stats_name, 0);
			close(fd);
			fd = openat(dfd, dev->stats_name,
				    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
					    O_CLOEXEC,
				    0644);
			if (fd < 0)
				continue;
		}
		if (fd < 0)
			return -errno;
		/* Readable by the tap's owner and tools whatever the umask
		 * (a daemon's UMask=0077): never writable by them. */
		vtap_rundir_mode(fd, 0644);
		if (lock_file(fd, F_WRLCK, F_OFD_SETLK)) {
			err = -errno;
			close(fd);
			unlinkat(dfd, dev->stats_name, 0);
			return err;
		}
		return fd;
	}
	return -EEXIST;
}

/*
 * Remove the files of dead handles in @dfd (nobody holds their lock: a
 * process that crashed or was killed), so the run directory keeps no file
 * of a dead process once the next handle opens. The lock, not the PID,
 * says who is alive (PIDs are reused); names are removed, never followed.
 */
static void sweep_dead(int dfd, const char *self)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	d = vtap_dir_stream(dfd);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "stats.", 6) ||
		    !strcmp(de->d_name, self))
			continue;
		fd = openat(dfd, de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				    O_NOCTTY);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
		    st.st_size >= STATS_HDR_SIZE && !file_is_live(fd))
			unlinkat(dfd, de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

int vtap_stats_open(struct vtap_dev *dev)
{
	size_t len = stats_file_len();
	void *p = MAP_FAILED;
	int fd = -1, rfd, dfd = -1, err;

	dev->stats_name[0] = '\0';
	rfd = vtap_rundir_open(dev->ifindex, true);
	err = rfd < 0 ? rfd : 0;
	if (!err) {
		dfd = vtap_rundir_stats(rfd, true, NULL, NULL);
		close(rfd);
		err = dfd < 0 ? dfd : 0;
	}
	if (!err) {
		fd = create_file(dev, dfd);
		err = fd < 0 ? fd : 0;
	}
	if (!err)
		sweep_dead(dfd, dev->stats_name);
	if (!err && ftruncate(fd, (off_t)len))
		err = -errno;
	if (!err) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			err = -errno;
	}
	if (err) {
		pr_info("%s: counters not shared (%s/%s): %s\n", dev->name,
			vtap_run_dir(), dev->stats_name, strerror(-err));
		if (fd >= 0) {
			close(fd);
			unlinkat(dfd, dev->stats_name, 0);
		}
		if (dfd >= 0)
			close(dfd);
		fd = -1;
		dfd = -1;
		dev->stats_name[0] = '\0';
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
	}
	dev->stats_file = p;
	dev->stats_len = len;
	dev->stats_fd = fd;
	dev->stats_dir_fd = dfd;
	dev->run_nsid[0] = '\0';
	if (dfd >= 0 && !vtap_netns_id(dev->run_nsid, sizeof(dev->run_nsid)))
		dev->run_ifindex = dev->ifindex;
	dev->stats_file->hdr_size = STATS_HDR_SIZE;
	dev->stats_file->stats_size = sizeof(struct vtap_queue_stats);
	dev->stats_file->n_slots = STATS_SLOTS;
	dev->stats_file->pid = (int32_t)getpid();
	dev->stats_file->ring_off = (uint32_t)ring_off();
	memcpy(dev->stats_file->ifname, dev->name, sizeof(dev->name));
	dev->stats_file->version = VTAP_STATS_VERSION;
	/* The magic last: a reader that sees it sees a complete header. */
	__atomic_store_n(&dev->stats_file->magic, VTAP_STATS_MAGIC,
			 __ATOMIC_RELEASE);
	return 0;
}

void vtap_stats_close(struct vtap_dev *dev)
{
	if (dev->stats_fd >= 0) {
		unlinkat(dev->stats_dir_fd, dev->stats_name, 0);
		close(dev->stats_fd);
		dev->stats_fd = -1;
	}
	if (dev->stats_dir_fd >= 0)
		close(dev->stats_dir_fd);
	dev->stats_dir_fd = -1;
	if (dev->stats_file)
		munmap(dev->stats_file, dev->stats_len);
	dev->stats_file = NULL;
}

void vtap_stats_follow(struct vtap_dev *dev, int netns_fd, int pid)
{
	int self, target = netns_fd, rfd = -1, sfd = -1;
	char path[64], nsid[24];
	struct vtap_link l;

	if (dev->stats_fd < 0)
		return;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return;
	if (target < 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		target = open(path, O_RDONLY | O_CLOEXEC);
	}
	/* This thread only, and back before returning. */
	if (target < 0 || setns(target, CLONE_NEWNET))
		goto out;
	if (!vtap_link_get(0, dev->name, &l) &&
	    !vtap_netns_id(nsid, sizeof(nsid)))
		rfd = vtap_rundir_open(l.ifindex, true);
	if (rfd >= 0)
		sfd = vtap_rundir_stats(rfd, true, NULL, NULL);
	if (sfd >= 0 && !renameat(dev->stats_dir_fd, dev->stats_name, sfd,
				  dev->stats_name)) {
		close(dev->stats_dir_fd);
		dev->stats_dir_fd = sfd;
		sfd = -1;
		if (dev->run_nsid[0])
			vtap_rundir_tidy(dev->run_nsid, dev->run_ifindex);
		snprintf(dev->run_nsid, sizeof(dev->run_nsid), "%s", nsid);
		dev->run_ifindex = l.ifindex;
	}
	if (setns(self, CLONE_NEWNET))
		pr_warn("%s: cannot return to the network namespace: %s\n",
			dev->name, strerror(errno));
out:
	if (sfd >= 0)
		close(sfd);
	if (rfd >= 0)
		close(rfd);
	if (target >= 0 && target != netns_fd)
		close(target);
	close(self);
}

void vtap_stats_publish(struct vtap_dev *dev)
{
	struct vtap_stats_file *f = dev->stats_file;

	if (!f)
		return;
	__atomic_store_n(&f->sw_offloads, vtap_dev_sw_offloads(dev),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&f->kernel_offloads, dev->kernel_offloads,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&f->pinned_offloads,
			 dev->is_pinned ? dev->pinned_offloads : 0,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&f->report_mode, dev->report_mode, __ATOMIC_RELAXED);
}

static struct vtap_queue_stats *slot(struct vtap_stats_file *f, unsigned int i)
{
	return (struct vtap_queue_stats *)((char *)f + STATS_HDR_SIZE) + i;
}

void vtap_stats_bind(struct vtap_dev *dev, struct vtap_queue *q)
{
	q->stats = slot(dev->stats_file, q->id);
	q->ring = (struct vtap_ring_errors *)((char *)dev->stats_file +
					      ring_off()) +
		  q->id;
	if (__atomic_load_n(&dev->stats_file->n_queues, __ATOMIC_RELAXED) <=
	    q->id)
		__atomic_store_n(&dev->stats_file->n_queues, q->id + 1u,
				 __ATOMIC_RELAXED);
}

/* Relaxed loads of every counter of @src, added to @dst. */
static void add_counters(struct vtap_queue_stats *dst,
			 const struct vtap_queue_stats *src, size_t size)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;

	if (size > sizeof(*dst))
		size = sizeof(*dst);
	for (size_t i = 0; i < size / sizeof(uint64_t); i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

void vtap_stats__sum(struct vtap_queue_stats *total,
		     const struct vtap_queue_stats *q)
{
	if (total && q)
		add_counters(total, q, sizeof(*q));
}

int vtap_queue__stats(const struct vtap_queue *q, struct vtap_queue_stats *ret)
{
	if (!q || !ret || !q->stats)
		return vtap_err(-EINVAL);
	memset(ret, 0, sizeof(*ret));
	add_counters(ret, q->stats, sizeof(*ret));
	return 0;
}

int vtap_queue__add_stats(struct vtap_queue *q,
			  const struct vtap_queue_stats *delta)
{
	const uint64_t *s = (const uint64_t *)delta;
	uint64_t *d;

	if (!q || !delta || !q->stats)
		return vtap_err(-EINVAL);
	d = (uint64_t *)q->stats;
	for (size_t i = 0; i < sizeof(*delta) / sizeof(uint64_t); i++)
		if (s[i])
			vtap_stat_add(&d[i], s[i]);
	return 0;
}

int vtap_queue__ring_error(struct vtap_queue *q, bool tx, int err)
{
	uint32_t bit = tx ? 2u : 1u, st;

	if (!q || !q->ring || err < -1 || err >= VTAP_RING_ERR__COUNT)
		return vtap_err(-EINVAL);
	st = __atomic_load_n(&q->ring->stopped, __ATOMIC_RELAXED);
	if (err >= 0)
		vtap_stat_add(tx ? &q->ring->tx[err] : &q->ring->rx[err], 1);
	__atomic_store_n(&q->ring->stopped, err >= 0 ? st | bit : st & ~bit,
			 __ATOMIC_RELAXED);
	return 0;
}

int vtap_queue__ring_reset(struct vtap_queue *q)
{
	uint64_t *c;

	if (!q || !q->ring)
		return vtap_err(-EINVAL);
	c = (uint64_t *)q->ring;
	for (size_t i = 0; i < sizeof(*q->ring) / sizeof(uint64_t); i++)
		__atomic_store_n(&c[i], 0, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Read stats file @name of @dfd into @buf (stats_file_len() bytes, zeroed
 * past what the file holds): never mapped, so a file its writer (maybe
 * the tap's owner) truncates cannot fault the reader. Return: the header,
 * or NULL for a file to skip. A dead handle's file is removed.
 */
static const struct vtap_stats_file *load_file(int dfd, const char *name,
					       char *buf, size_t *ret_n)
{
	size_t len = stats_file_len();
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(dfd, name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	if (!file_is_live(fd)) {
		/* A dead handle's file: remove it when we may. */
		unlinkat(dfd, name, 0);
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size < STATS_HDR_SIZE) {
		close(fd);
		return NULL; /* being created */
	}
	memset(buf, 0, len);
	n = pread(fd, buf, len, 0);
	close(fd);
	if (n < 0)
		return NULL;
	*ret_n = (size_t)n;
	return vtap_stats_file_check(buf, (size_t)n);
}

const struct vtap_stats_file *vtap_stats_file_check(const void *buf, size_t n)
{
	const struct vtap_stats_file *h = buf;

	if (n < STATS_HDR_SIZE || h->magic != VTAP_STATS_MAGIC ||
	    h->version != VTAP_STATS_VERSION || h->stats_size == 0 ||
	    h->stats_size % sizeof(uint64_t) || h->hdr_size < STATS_HDR_SIZE ||
	    h->hdr_size + (uint64_t)h->n_slots * h->stats_size > (uint64_t)n)
		return NULL;
	return h;
}

int vtap_stats_file_sum(const struct vtap_stats_file *h,
			struct vtap_queue_stats *ret, unsigned int max)
{
	const char *base = (const char *)h;
	unsigned int n = h->n_queues;

	if (n > h->n_slots)
		n = h->n_slots;
	for (unsigned int i = 0; i < n && i < max; i++)
		add_counters(&ret[i],
			     (const void *)(base + h->hdr_size +
					    (size_t)i * h->stats_size),
			     h->stats_size);
	return (int)n;
}

const struct vtap_ring_errors *
vtap_stats_file_rings(const struct vtap_stats_file *h, size_t n)
{
	uint64_t end =
		(uint64_t)h->hdr_size + (uint64_t)h->n_slots * h->stats_size;

	if (!h->ring_off || h->ring_off % sizeof(uint64_t) ||
	    h->ring_off < end ||
	    h->ring_off + (uint64_t)h->n_slots *
				    sizeof(struct vtap_ring_errors) >
		    (uint64_t)n)
		return NULL;
	return (const struct vtap_ring_errors *)((const char *)h + h->ring_off);
}

int vtap_stats_file_rings_sum(const struct vtap_stats_file *h, size_t n,
			      struct vtap_ring_errors *ret, unsigned int max)
{
	const struct vtap_ring_errors *r = vtap_stats_file_rings(h, n);
	unsigned int nq = h->n_queues;

	if (nq > h->n_slots)
		nq = h->n_slots;
	for (unsigned int i = 0; r && i < nq && i < max; i++) {
		for (int e = 0; e < VTAP_RING_ERR__COUNT; e++) {
			ret[i].rx[e] +=
				__atomic_load_n(&r[i].rx[e], __ATOMIC_RELAXED);
			ret[i].tx[e] +=
				__atomic_load_n(&r[i].tx[e], __ATOMIC_RELAXED);
		}
		ret[i].stopped |=
			__atomic_load_n(&r[i].stopped, __ATOMIC_RELAXED) & 3u;
	}
	return (int)nq;
}

/*
 * The stats/ directory of the tap @ifname of the caller's namespace, as a
 * DIR, NULL with errno ENOENT when there is none.
 */
static DIR *open_stats_dir(const char *ifname)
{
	struct vtap_link l;
	int rfd, dfd;
	DIR *d;

	if (vtap_link_get(0, ifname, &l)) {
		errno = ENOENT;
		return NULL;
	}
	rfd = vtap_rundir_open(l.ifindex, false);
	if (rfd < 0) {
		errno = rfd == -EPERM ? EPERM : ENOENT;
		return NULL;
	}
	dfd = vtap_rundir_stats(rfd, false, NULL, NULL);
	close(rfd);
	if (dfd < 0) {
		errno = ENOENT;
		return NULL;
	}
	d = fdopendir(dfd);
	if (!d)
		close(dfd);
	return d;
}

/* What one live stats file adds to a reader's sums; returns its count. */
typedef int (*stats_sum_fn)(const struct vtap_stats_file *h, size_t len,
			    void *ret, unsigned int max);

static int sum_queues(const struct vtap_stats_file *h, size_t len, void *ret,
		      unsigned int max)
{
	return vtap_stats_file_sum(h, ret, max);
}

static int sum_rings(const struct vtap_stats_file *h, size_t len, void *ret,
		     unsigned int max)
{
	return vtap_stats_file_rings_sum(h, len, ret, max);
}

/*
 * Zero @max entries of @size bytes at @ret, then add every stats file of
 * the tap @ifname into them with @fn. Return: the largest count a file
 * gave (0 with no stats directory), or -errno.
 */
static int sum_files(const char *ifname, stats_sum_fn fn, void *ret,
		     size_t size, unsigned int max)
{
	const struct vtap_stats_file *h;
	struct dirent *de;
	int n = 0, r;
	size_t len;
	char *buf;
	DIR *d;

	if (!ifname || !*ifname || strchr(ifname, '/') || (!ret && max))
		return vtap_err(-EINVAL);
	if (max)
		memset(ret, 0, max * size);
	d = open_stats_dir(ifname);
	if (!d)
		return errno == ENOENT ? 0 : vtap_err(-errno);
	buf = malloc(stats_file_len());
	if (!buf) {
		closedir(d);
		return vtap_err(-ENOMEM);
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "stats.", 6))
			continue;
		len = 0;
		h = load_file(dirfd(d), de->d_name, buf, &len);
		r = h ? fn(h, len, ret, max) : 0;
		if (r > n)
			n = r;
	}
	free(buf);
	closedir(d);
	return n;
}

int vtap_stats__read(const char *ifname, struct vtap_queue_stats *ret,
		     unsigned int max)
{
	return sum_files(ifname, sum_queues, ret, sizeof(*ret), max);
}

int vtap_stats__dev(const char *ifname, struct vtap_stats_dev *ret)
{
	const struct vtap_stats_file *h;
	struct vtap_stats_dev r = {0};
	struct dirent *de;
	char *buf;
	size_t sz, n = 0;
	DIR *d;

	if (!ifname || !*ifname || strchr(ifname, '/') || !ret ||
	    ret->sz < offsetof(struct vtap_stats_dev, handles) + sizeof(int))
		return vtap_err(-EINVAL);
	sz = ret->sz < sizeof(r) ? ret->sz : sizeof(r);
	d = open_stats_dir(ifname);
	if (!d && errno != ENOENT)
		return vtap_err(-errno);
	buf = malloc(stats_file_len());
	if (!buf) {
		if (d)
			closedir(d);
		return vtap_err(-ENOMEM);
	}
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "stats.", 6))
			continue;
		h = load_file(dirfd(d), de->d_name, buf, &n);
		if (!h)
			continue;
		r.handles++;
		r.sw_offloads |= h->sw_offloads & VTAP_OFFLOAD_ALL;
		r.pinned_offloads |= h->pinned_offloads & VTAP_OFFLOAD_ALL;
		if (h->report_mode < VTAP_REPORT__COUNT)
			r.report_modes |= 1u << h->report_mode;
	}
	free(buf);
	if (d)
		closedir(d);
	r.sz = ret->sz;
	memcpy(ret, &r, sz);
	return 0;
}

int vtap_stats_live_handles(int ifindex)
{
	struct dirent *de;
	struct stat st;
	int rfd, dfd, fd, n = 0;
	DIR *d;

	rfd = vtap_rundir_open(ifindex, false);
	if (rfd < 0)
		return rfd == -ENOENT ? 0 : rfd;
	dfd = vtap_rundir_stats(rfd, false, NULL, NULL);
	close(rfd);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "stats.", 6))
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
				    O_NOCTTY);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) && file_is_live(fd))
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}

int vtap_stats__ring_errors(const char *ifname, struct vtap_ring_errors *ret,
			    unsigned int max)
{
	return sum_files(ifname, sum_rings, ret, sizeof(*ret), max);
}
