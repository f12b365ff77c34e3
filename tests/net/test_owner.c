// SPDX-License-Identifier: MIT
/*
 * test_owner.c - a tap owned by uid 1000 opens as uid 1000 (queues, the
 * feature probe on the device, offloads, send) and not as uid 1001
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_impl.h"
#include "netns.h"

static char name[16];

__attribute__((format(printf, 2, 0))) static int
log_stderr(enum vtap_log_level level, const char *fmt, va_list ap)
{
	return level == VTAP_LOG_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

static int open_as_owner(void)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .flags = VTAP_DEV_NO_CREATE,
		       .queues = 2, .vnet_hdr_len = 12);
	struct vtap_dev_features f;
	struct vtap_queue_stats st;
	struct vtap_dev *dev;

	dev = vtap_dev__open(name, &opts);
	if (!dev) {
		fprintf(stderr, "open as %u: %s\n", (unsigned int)getuid(),
			strerror(errno));
		return 10;
	}
	if (vtap_dev__num_queues(dev) != 2)
		return 11;
	/* The probe runs on the device itself: no CAP_NET_ADMIN needed. */
	if (vtap_dev__features(dev, &f) || !(f.offloads & VTAP_OFFLOAD_CSUM))
		return 12;
	if (vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4))
		return 13;
	if (vtap_dev__detach_queue(dev, 0) || vtap_dev__attach_queue(dev, 0))
		return 14;
	if (vtap_queue__stats(vtap_dev__queue(dev, 1), &st))
		return 15;
	/* Its counters are shared: RUN/NSID/IFINDEX/stats is the owner's. */
	if (vtap_stats__read(name, NULL, 0) < 0 || !dev->stats_name[0])
		return 16;
	vtap_dev__close(dev);
	return 0;
}

static int open_as_other(void)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .flags = VTAP_DEV_NO_CREATE,
		       .queues = 1, .vnet_hdr_len = 12);
	struct vtap_dev *dev = vtap_dev__open(name, &opts);

	if (dev)
		return 20;
	return errno == EPERM ? 0 : 21;
}

static void test_owner(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_PERSIST | VTAP_DEV_SET_OWNER |
				VTAP_DEV_EXCL,
		       .queues = 2, .vnet_hdr_len = 12, .owner = 1000);
	struct vtap_dev_info info;
	struct vtap_dev *dev;

	nt_name(name, sizeof(name), "own");
	nt_link_cleanup(name);
	dev = vtap_dev__open(name, &opts);
	assert_non_null(dev);
	vtap_dev__close(dev);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.owner, 1000);
	assert_int_equal(info.group, -1);

	assert_int_equal(nt_as_user(1000, 1000, open_as_owner), 0);
	assert_int_equal(nt_as_user(1001, 1001, open_as_other), 0);
	/* The owner's offloads stayed on the device. */
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.offloads, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4);
	assert_int_equal(vtap_dev__delete(name), 0);
}

static void test_group(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_PERSIST | VTAP_DEV_SET_GROUP |
				VTAP_DEV_EXCL,
		       .queues = 1, .vnet_hdr_len = 12, .group = 1000);
	struct vtap_dev *dev;

	nt_name(name, sizeof(name), "grp");
	nt_link_cleanup(name);
	dev = vtap_dev__open(name, &opts);
	assert_non_null(dev);
	vtap_dev__close(dev);
	/* A member of the group (any uid) may open it; others may not. */
	assert_int_equal(nt_as_user(1234, 1000, open_as_owner), 0);
	assert_int_equal(nt_as_user(1234, 1234, open_as_other), 0);
	assert_int_equal(vtap_dev__delete(name), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_group),
	};

	nt_require_root();
	vtap_set_log(log_stderr);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
