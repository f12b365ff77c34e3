// SPDX-License-Identifier: MIT
/*
 * steer_record.c - what the steering guard leaves for every reader: the
 * liveness of the program instance a tap runs, and the guard's record in
 * the tap's run directory (re-attachments counted, handed back or not)
 *
 * Leaf functions shared by the attach check (steer_attach.c,
 * vtap_steer__attached()) and the guard (steer_guard.c), so that neither
 * calls the other. The record is owner-readable state: read with the run
 * directory's safe helpers and validated (a count that is not a decimal
 * number reads as 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "rundir.h"
#include "steer_guard.h"

bool vtap_steer_instance_live(uint32_t id)
{
	int fd;

	if (!id)
		return false;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* Not allowed to look (not root): say live, never a false alarm. */
	return errno != ENOENT;
}

/* A decimal count in file @name of @dir_fd: 0 when absent or not one. */
static uint64_t read_count(int dir_fd, const char *name)
{
	char buf[32];
	ssize_t n;
	char *end;
	unsigned long long v;

	n = vtap_read_file_at(dir_fd, name, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || (*end && strcmp(end, "\n")))
		return 0;
	return v;
}

int vtap_steer_guard_info(int ifindex, uint64_t *ret_reattached,
			  bool *ret_released)
{
	struct stat st;
	int fd;

	*ret_reattached = 0;
	*ret_released = false;
	fd = vtap_rundir_open(ifindex, false);
	if (fd < 0)
		return fd;
	*ret_reattached = read_count(fd, VTAP_STEER_GUARD_FILE);
	*ret_released = !fstatat(fd, VTAP_STEER_RELEASED_FILE, &st,
				 AT_SYMLINK_NOFOLLOW);
	close(fd);
	return 0;
}
