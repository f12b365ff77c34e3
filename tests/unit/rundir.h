/* SPDX-License-Identifier: MIT */
/*
 * rundir.h - a private run directory (VTAP_RUN_DIR) for a unit test: made
 * under $TMPDIR (else /tmp) and removed with everything the library put in
 * it, from a cmocka teardown so that a failed test removes it too.
 *
 *	static char run_dir[PATH_MAX];
 *	static int setup(void **state) { return rundir_make(run_dir, "stats"); }
 *	static int teardown(void **state) { return rundir_remove(run_dir); }
 *
 * Header-only (static inline), like frames.h.
 */
#ifndef VTAP_TESTS_RUNDIR_H
#define VTAP_TESTS_RUNDIR_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/**
 * rundir_make() - make a fresh directory and point VTAP_RUN_DIR at it
 * @dir: receives the path, PATH_MAX bytes
 * @name: part of the directory's name (vtap-NAME-XXXXXX)
 *
 * Return: 0, or -1 with errno set.
 */
static inline int rundir_make(char *dir, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(dir, PATH_MAX, "%s/vtap-%s-XXXXXX", tmp, name) >=
		    PATH_MAX ||
	    !mkdtemp(dir))
		return -1;
	return setenv("VTAP_RUN_DIR", dir, 1);
}

static inline int rundir_remove_one(const char *path, const struct stat *st,
				    int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/**
 * rundir_remove() - remove a directory rundir_make() made, and its contents
 * @dir: its path; nothing is done when empty (rundir_make() failed)
 *
 * Symbolic links inside are removed, not followed.
 *
 * Return: 0, or -1 with errno set.
 */
static inline int rundir_remove(char *dir)
{
	int ret;

	if (!*dir)
		return 0;
	ret = nftw(dir, rundir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("VTAP_RUN_DIR");
	*dir = '\0';
	return ret;
}

#endif /* VTAP_TESTS_RUNDIR_H */
