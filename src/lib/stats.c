// SPDX-License-Identifier: MIT
/*
 * stats.c - per-queue counters in a shared-memory file per device handle
 *
 * Theory of operation
 *
 * Every open device handle maps one file, /run/vtap/IFNAME/stats.PID.N
 * (VTAP_RUN_DIR overrides /run/vtap):
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
 * closing (a crash): readers skip it and remove it, and a new handle may
 * reuse its name. Closing a handle removes its file.
 *
 * Where /run/vtap/IFNAME cannot be written (an unprivileged opener of a
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_impl.h"

#define STATS_SLOTS VTAP_QUEUES_MAX
/* Counters start at a cache line, so queues never share one with the
 * header. */
#define STATS_HDR_SIZE 64u

static_assert(sizeof(struct vtap_stats_file) <= STATS_HDR_SIZE,
	      "the stats file header fits its reserved space");
static_assert(sizeof(struct vtap_queue_stats) % sizeof(uint64_t) == 0,
	      "counters are a whole number of u64");

static size_t stats_file_len(void)
{
	return STATS_HDR_SIZE + STATS_SLOTS * sizeof(struct vtap_queue_stats);
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

/* Create and lock the next free stats.PID.N. Return: fd or -errno. */
static int create_file(struct vtap_dev *dev)
{
	char file[48];
	int fd;

	for (unsigned int n = 0; n < 1024; n++) {
		snprintf(file, sizeof(file), "stats.%d.%u", (int)getpid(), n);
		if (vtap_dev_run_path(dev->stats_path, sizeof(dev->stats_path),
				      dev->name, file))
			return -ENAMETOOLONG;
		fd = open(dev->stats_path,
			  O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST) {
			/* Left by a dead handle whose pid we now have? */
			fd = open(dev->stats_path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (lock_file(fd, F_WRLCK, F_OFD_SETLK)) {
				close(fd);
				continue;
			}
			if (ftruncate(fd, 0)) {
				close(fd);
				continue;
			}
			return fd;
		}
		if (fd < 0)
			return -errno;
		if (lock_file(fd, F_WRLCK, F_OFD_SETLK)) {
			int err = -errno;

			close(fd);
			unlink(dev->stats_path);
			return err;
		}
		return fd;
	}
	return -EEXIST;
}

int vtap_stats_open(struct vtap_dev *dev)
{
	size_t len = stats_file_len();
	void *p = MAP_FAILED;
	int fd = -1, err;

	err = vtap_dev_run_mkdir(dev->name);
	if (!err) {
		fd = create_file(dev);
		err = fd < 0 ? fd : 0;
	}
	if (!err && ftruncate(fd, (off_t)len))
		err = -errno;
	if (!err) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			err = -errno;
	}
	if (err) {
		pr_info("%s: counters not shared (%s): %s\n", dev->name,
			dev->stats_path[0] ? dev->stats_path : vtap_run_dir(),
			strerror(-err));
		if (fd >= 0) {
			close(fd);
			unlink(dev->stats_path);
		}
		fd = -1;
		dev->stats_path[0] = '\0';
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
	}
	dev->stats_file = p;
	dev->stats_len = len;
	dev->stats_fd = fd;
	dev->stats_file->hdr_size = STATS_HDR_SIZE;
	dev->stats_file->stats_size = sizeof(struct vtap_queue_stats);
	dev->stats_file->n_slots = STATS_SLOTS;
	dev->stats_file->pid = (int32_t)getpid();
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
		unlink(dev->stats_path);
		close(dev->stats_fd);
		dev->stats_fd = -1;
	}
	if (dev->stats_file)
		munmap(dev->stats_file, dev->stats_len);
	dev->stats_file = NULL;
}

static struct vtap_queue_stats *slot(struct vtap_stats_file *f, unsigned int i)
{
	return (struct vtap_queue_stats *)((char *)f + STATS_HDR_SIZE) + i;
}

void vtap_stats_bind(struct vtap_dev *dev, struct vtap_queue *q)
{
	q->stats = slot(dev->stats_file, q->id);
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

/* Add one stats file's counters; return its queue count or -errno. */
static int read_file(const char *path, struct vtap_queue_stats *ret,
		     unsigned int max)
{
	struct vtap_stats_file hdr;
	struct stat st;
	unsigned int n;
	void *p;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!file_is_live(fd)) {
		/* A dead handle's file: remove it when we may. */
		unlink(path);
		close(fd);
		return 0;
	}
	if (fstat(fd, &st) || (size_t)st.st_size < STATS_HDR_SIZE) {
		close(fd);
		return 0; /* being created */
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(&hdr, p, sizeof(hdr));
	if (__atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE) !=
		    VTAP_STATS_MAGIC ||
	    hdr.version != VTAP_STATS_VERSION || hdr.stats_size == 0 ||
	    hdr.stats_size % sizeof(uint64_t) ||
	    hdr.hdr_size + (uint64_t)hdr.n_slots * hdr.stats_size >
		    (uint64_t)st.st_size) {
		munmap(p, (size_t)st.st_size);
		return 0;
	}
	n = __atomic_load_n(&((struct vtap_stats_file *)p)->n_queues,
			    __ATOMIC_RELAXED);
	if (n > hdr.n_slots)
		n = hdr.n_slots;
	for (unsigned int i = 0; i < n && i < max; i++)
		add_counters(&ret[i],
			     (const void *)((char *)p + hdr.hdr_size +
					    (size_t)i * hdr.stats_size),
			     hdr.stats_size);
	munmap(p, (size_t)st.st_size);
	return err ? err : (int)n;
}

int vtap_stats__read(const char *ifname, struct vtap_queue_stats *ret,
		     unsigned int max)
{
	char dir[64], path[320];
	struct dirent *de;
	int n = 0, r;
	DIR *d;

	if (!ifname || !*ifname || strchr(ifname, '/') || (!ret && max))
		return vtap_err(-EINVAL);
	if (max)
		memset(ret, 0, max * sizeof(*ret));
	if (vtap_dev_run_path(dir, sizeof(dir), ifname, NULL))
		return vtap_err(-ENAMETOOLONG);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : vtap_err(-errno);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "stats.", 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r = read_file(path, ret, max);
		if (r > n)
			n = r;
	}
	closedir(d);
	return n;
}

/* Add one live stats file's header to @ret. */
static void read_dev(const char *path, struct vtap_stats_dev *ret)
{
	struct vtap_stats_file hdr;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!file_is_live(fd) || fstat(fd, &st) ||
	    (size_t)st.st_size < STATS_HDR_SIZE) {
		close(fd);
		return;
	}
	n = pread(fd, &hdr, sizeof(hdr), 0);
	close(fd);
	if (n != (ssize_t)sizeof(hdr) || hdr.magic != VTAP_STATS_MAGIC ||
	    hdr.version != VTAP_STATS_VERSION)
		return;
	ret->handles++;
	ret->sw_offloads |= hdr.sw_offloads & VTAP_OFFLOAD_ALL;
	ret->pinned_offloads |= hdr.pinned_offloads & VTAP_OFFLOAD_ALL;
	if (hdr.report_mode < VTAP_REPORT__COUNT)
		ret->report_modes |= 1u << hdr.report_mode;
}

int vtap_stats__dev(const char *ifname, struct vtap_stats_dev *ret)
{
	struct vtap_stats_dev r = {0};
	char dir[64], path[320];
	struct dirent *de;
	size_t sz;
	DIR *d;

	if (!ifname || !*ifname || strchr(ifname, '/') || !ret ||
	    ret->sz < offsetof(struct vtap_stats_dev, handles) + sizeof(int))
		return vtap_err(-EINVAL);
	sz = ret->sz < sizeof(r) ? ret->sz : sizeof(r);
	if (vtap_dev_run_path(dir, sizeof(dir), ifname, NULL))
		return vtap_err(-ENAMETOOLONG);
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, "stats.", 6))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			read_dev(path, &r);
		}
		closedir(d);
	} else if (errno != ENOENT) {
		return vtap_err(-errno);
	}
	r.sz = ret->sz;
	memcpy(ret, &r, sz);
	return 0;
}
