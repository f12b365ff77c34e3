/* SPDX-License-Identifier: MIT */
/*
 * rundir.h - a private run directory (VTAP_RUN_DIR) for a unit test: made
 * under $TMPDIR (else /tmp) and removed with everything the library put in
 * it, from a cmocka teardown so that a failed test removes it too.
 *
 *	cmocka_unit_test_setup_teardown(test_x, rundir_setup,
 *					rundir_teardown),
 *
 * and the test finds the directory in rundir_path.
 *
 * Header-only (static inline), like frames.h.
 */
#ifndef VTAP_TESTS_RUNDIR_H
#define VTAP_TESTS_RUNDIR_H

#include <errno.h>
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

/* The run directory of the test running (rundir_setup()), or "". */
static char rundir_path[PATH_MAX];

/* cmocka setup: rundir_path made, vtap-PROGRAM-XXXXXX. */
static inline int rundir_setup(void **state)
{
	(void)state;
	return rundir_make(rundir_path, program_invocation_short_name);
}

/* cmocka teardown: rundir_path removed, with all it holds. */
static inline int rundir_teardown(void **state)
{
	(void)state;
	return rundir_remove(rundir_path);
}

#endif /* VTAP_TESTS_RUNDIR_H */
