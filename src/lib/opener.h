/* SPDX-License-Identifier: MIT */
/*
 * opener.h - borrow a queue of a tap from a process that has it open
 * (opener.c). Not installed.
 */
#ifndef VTAP_OPENER_H
#define VTAP_OPENER_H

#include <sys/types.h>

/*
 * A duplicate of an attached queue fd of tap @name of the caller's network
 * namespace that some process holds (pidfd_getfd(2)); the caller closes it
 * at once (holding it keeps the queue attached). The process and its fd
 * number go to *@ret_pid and *@ret_fd (either may be NULL) for
 * vtap_opener_borrow_again(). Return: the fd, -ENOENT (nobody has an
 * attached queue of it open), -EPERM (not allowed to take another
 * process's fd), or another -errno.
 */
int vtap_opener_borrow(const char *name, pid_t *ret_pid, int *ret_fd);

/*
 * The same for fd @fd of process @pid found before, when it still is an
 * attached queue of @name (a cheap check before a full scan).
 */
int vtap_opener_borrow_again(pid_t pid, int fd, const char *name);

#endif /* VTAP_OPENER_H */
