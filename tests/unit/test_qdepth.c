// SPDX-License-Identifier: MIT
/*
 * test_qdepth.c - the queue depth rule, the send buffer that matches it and
 * the run-state record's parser and formatter (qdepth.c)
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "link.h"
#include "qdepth_impl.h"
#include "rundir.h"
#include "vtap/vtap.h"

#define MIB (1024ull * 1024)

static uint32_t budget_rule(uint64_t budget, unsigned int queues,
			    unsigned int mtu, bool gso)
{
	struct vtap_qdepth_cfg cfg = {.mode = VTAP_QDEPTH_BUDGET,
				      .budget = budget};

	return vtap_qdepth_rule(&cfg, queues, mtu, gso);
}

static void test_frame(void **state)
{
	(void)state;
	assert_int_equal(vtap_qdepth_frame(1500, false), 1500);
	assert_int_equal(vtap_qdepth_frame(9000, false), 9000);
	/* GSO: 64 KiB whatever the MTU. */
	assert_int_equal(vtap_qdepth_frame(1500, true), 65536);
	assert_int_equal(vtap_qdepth_frame(9000, true), 65536);
}

/* The example: 16 queues of GSO frames within a budget. */
static void test_budget_divides(void **state)
{
	(void)state;
	/* 1 GiB over 16 queues of 64 KiB frames: 1024 each. */
	assert_int_equal(budget_rule(1024 * MIB, 16, 1500, true), 1024);
	/* Twice the queues, half the depth. */
	assert_int_equal(budget_rule(1024 * MIB, 8, 1500, true), 2048);
	assert_int_equal(budget_rule(1024 * MIB, 4, 1500, true), 4096);
	/* MTU-sized frames when no GSO offload is on. */
	assert_int_equal(budget_rule(4 * 1000 * 1500, 4, 1500, false), 1000);
	assert_int_equal(budget_rule(4 * 1000 * 9000, 4, 9000, false), 1000);
	/* Rounded down: the budget is a ceiling. */
	assert_int_equal(budget_rule(4 * 1000 * 1500 - 1, 4, 1500, false), 999);
}

static void test_budget_floor_and_max(void **state)
{
	(void)state;
	/* Too small for 256 frames a queue: the floor wins. */
	assert_int_equal(budget_rule(1, 1, 1500, false), VTAP_QDEPTH_FLOOR);
	assert_int_equal(budget_rule(64 * MIB, 16, 1500, true),
			 VTAP_QDEPTH_FLOOR);
	assert_int_equal(budget_rule(256ull * 65536 * 4, 4, 1500, true), 256);
	assert_int_equal(budget_rule(256ull * 65536 * 4 - 1, 4, 1500, true),
			 256);
	assert_int_equal(budget_rule(257ull * 65536 * 4, 4, 1500, true), 257);
	/* A huge budget stops at the most vtap sets. */
	assert_int_equal(budget_rule(UINT64_MAX, 1, 68, false),
			 VTAP_QDEPTH_MAX);
	assert_int_equal(budget_rule(1ull << 40, 256, 65535, true),
			 VTAP_QDEPTH_MAX);
	/* No queue attached counts as one; MTU 0 does not divide by 0. */
	assert_int_equal(budget_rule(1000 * 1500, 0, 1500, false), 1000);
	assert_int_equal(budget_rule(1000, 1, 0, false), 1000);
}

/* Every combination stays within FLOOR..MAX and, above the floor,
 * within the budget; and more queues never give a deeper queue. */
static void test_budget_invariants(void **state)
{
	static const unsigned int mtus[] = {68, 576, 1500, 9000, 65535};
	static const uint64_t budgets[] = {
		1, 4096, MIB, 16 * MIB, 100 * MIB, 1024 * MIB, 1ull << 40};

	(void)state;
	for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++)
		for (size_t m = 0; m < sizeof(mtus) / sizeof(mtus[0]); m++)
			for (int gso = 0; gso < 2; gso++) {
				uint32_t prev = UINT32_MAX;

				for (unsigned int q = 1; q <= 256; q++) {
					uint32_t d = budget_rule(budgets[b], q,
								 mtus[m], gso);
					uint64_t bytes =
						(uint64_t)d * q *
						vtap_qdepth_frame(mtus[m], gso);

					assert_true(d >= VTAP_QDEPTH_FLOOR);
					assert_true(d <= VTAP_QDEPTH_MAX);
					assert_true(d <= prev);
					if (d > VTAP_QDEPTH_FLOOR)
						assert_true(bytes <=
							    budgets[b]);
					prev = d;
				}
			}
}

static void test_qlen_and_kernel(void **state)
{
	struct vtap_qdepth_cfg cfg = {.mode = VTAP_QDEPTH_QLEN, .qlen = 100};

	(void)state;
	/* A fixed depth ignores queues, MTU and offloads; no floor. */
	assert_int_equal(vtap_qdepth_rule(&cfg, 1, 1500, false), 100);
	assert_int_equal(vtap_qdepth_rule(&cfg, 16, 9000, true), 100);
	/* Nothing set: leave txqueuelen alone. */
	cfg = (struct vtap_qdepth_cfg){.mode = VTAP_QDEPTH_KERNEL};
	assert_int_equal(vtap_qdepth_rule(&cfg, 4, 1500, true), 0);
}

static void test_sndbuf(void **state)
{
	(void)state;
	assert_int_equal(vtap_qdepth_sndbuf(256, 1500), 256 * 1500);
	assert_int_equal(vtap_qdepth_sndbuf(1024, 65536), 1024 * 65536);
	assert_int_equal(vtap_qdepth_sndbuf(65536, 65536), INT_MAX);
	assert_int_equal(vtap_qdepth_sndbuf(0, 1500), INT_MAX);
}

static void test_record_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"qlen",
		"qlen ",
		"qlen 0\n",
		"qlen 65537",
		"qlen -1",
		"qlen +5",
		"qlen 5 \n",
		"qlen 5\nx",
		"qlen 5\n\n",
		"qlen 0x10",
		"budget 0",
		"budget",
		"budget 1e9",
		"budget  5",
		"Budget 5",
		"budget 18446744073709551616",
		"qlen 99999999999999999999",
		"rss 5",
		"budget 5\t",
	};
	struct vtap_qdepth_cfg cfg;

	(void)state;
	assert_int_equal(vtap_qdepth_parse("qlen 512\n", &cfg), 0);
	assert_int_equal(cfg.mode, VTAP_QDEPTH_QLEN);
	assert_int_equal(cfg.qlen, 512);
	assert_int_equal(vtap_qdepth_parse("qlen 65536", &cfg), 0);
	assert_int_equal(cfg.qlen, 65536);
	assert_int_equal(vtap_qdepth_parse("budget 67108864\n", &cfg), 0);
	assert_int_equal(cfg.mode, VTAP_QDEPTH_BUDGET);
	assert_true(cfg.budget == 67108864);
	assert_int_equal(
		vtap_qdepth_parse("budget 18446744073709551615\n", &cfg), 0);
	assert_true(cfg.budget == UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.mode = 99;
		assert_int_equal(vtap_qdepth_parse(bad[i], &cfg), -EINVAL);
		/* Untouched on error. */
		assert_int_equal(cfg.mode, 99);
	}
}

static void test_record_round_trip(void **state)
{
	static const struct vtap_qdepth_cfg cfgs[] = {
		{.mode = VTAP_QDEPTH_QLEN, .qlen = 1},
		{.mode = VTAP_QDEPTH_QLEN, .qlen = VTAP_QDEPTH_MAX},
		{.mode = VTAP_QDEPTH_BUDGET, .budget = 1},
		{.mode = VTAP_QDEPTH_BUDGET, .budget = UINT64_MAX},
	};
	struct vtap_qdepth_cfg back;
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		assert_true(vtap_qdepth_format(&cfgs[i], buf, sizeof(buf)) > 0);
		assert_int_equal(vtap_qdepth_parse(buf, &back), 0);
		assert_int_equal(back.mode, cfgs[i].mode);
		assert_int_equal(back.qlen, cfgs[i].qlen);
		assert_true(back.budget == cfgs[i].budget);
	}
	back = (struct vtap_qdepth_cfg){.mode = VTAP_QDEPTH_KERNEL};
	assert_int_equal(vtap_qdepth_format(&back, buf, sizeof(buf)), -EINVAL);
	assert_true(vtap_qdepth_format(&cfgs[3], buf, 8) < 0);
}

/*
 * The record in a run directory of our own (VTAP_RUN_DIR), for "lo": run
 * state is keyed by network namespace and ifindex (RUN/NSID/1/qdepth).
 */
static void test_record_file(void **state)
{
	struct vtap_qdepth_cfg cfg = {.mode = VTAP_QDEPTH_BUDGET,
				      .budget = 123456};
	char path[PATH_MAX + 64], nsid[32];
	FILE *f;

	(void)state;
	/* Nothing recorded: mode KERNEL. */
	assert_int_equal(vtap_qdepth_record("lo", &cfg, false), 0);
	assert_int_equal(cfg.mode, VTAP_QDEPTH_KERNEL);
	cfg = (struct vtap_qdepth_cfg){.mode = VTAP_QDEPTH_BUDGET,
				       .budget = 123456};
	assert_int_equal(vtap_qdepth_record("lo", &cfg, true), 0);
	cfg.mode = VTAP_QDEPTH_KERNEL;
	assert_int_equal(vtap_qdepth_record("lo", &cfg, false), 0);
	assert_int_equal(cfg.mode, VTAP_QDEPTH_BUDGET);
	assert_true(cfg.budget == 123456);
	/* A file that does not parse is refused and reads as none. */
	assert_int_equal(vtap_netns_id(nsid, sizeof(nsid)), 0);
	snprintf(path, sizeof(path), "%s/%s/1/qdepth", rundir_path, nsid);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("budget lots\n", f);
	fclose(f);
	assert_int_equal(vtap_qdepth_record("lo", &cfg, false), -EINVAL);
	assert_int_equal(cfg.mode, VTAP_QDEPTH_KERNEL);
	/* A symbolic link is never followed. */
	unlink(path);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_true(vtap_qdepth_record("lo", &cfg, false) < 0);
	/* Writing replaces the link instead of writing through it. */
	cfg = (struct vtap_qdepth_cfg){.mode = VTAP_QDEPTH_QLEN, .qlen = 7};
	assert_int_equal(vtap_qdepth_record("lo", &cfg, true), 0);
	cfg.mode = VTAP_QDEPTH_KERNEL;
	assert_int_equal(vtap_qdepth_record("lo", &cfg, false), 0);
	assert_int_equal(cfg.qlen, 7);
	/* Mode KERNEL removes the record. */
	cfg = (struct vtap_qdepth_cfg){.mode = VTAP_QDEPTH_KERNEL};
	assert_int_equal(vtap_qdepth_record("lo", &cfg, true), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(vtap_qdepth_record("lo", &cfg, true), 0);
}

static void test_mode_names(void **state)
{
	(void)state;
	assert_string_equal(vtap_qdepth_mode__name(VTAP_QDEPTH_KERNEL),
			    "kernel");
	assert_string_equal(vtap_qdepth_mode__name(VTAP_QDEPTH_QLEN), "qlen");
	assert_string_equal(vtap_qdepth_mode__name(VTAP_QDEPTH_BUDGET),
			    "budget");
	assert_null(vtap_qdepth_mode__name(VTAP_QDEPTH__COUNT));
}

/* The library refuses bad settings before touching any device. */
static void test_opts_refused(void **state)
{
	VTAP_OPTS_INIT(vtap_qdepth_opts, o, .mode = VTAP_QDEPTH_QLEN);

	(void)state;
	assert_int_equal(vtap_qdepth__set("vtnosuch0", &o), -EINVAL);
	o.qlen = VTAP_QDEPTH_MAX + 1;
	assert_int_equal(vtap_qdepth__set("vtnosuch0", &o), -EINVAL);
	o = (struct vtap_qdepth_opts){.sz = sizeof(o),
				      .mode = VTAP_QDEPTH_BUDGET};
	assert_int_equal(vtap_qdepth__set("vtnosuch0", &o), -EINVAL);
	o.mode = VTAP_QDEPTH__COUNT;
	assert_int_equal(vtap_qdepth__set("vtnosuch0", &o), -EINVAL);
	assert_int_equal(vtap_qdepth__set("vtnosuch0", NULL), -EINVAL);
	assert_int_equal(vtap_dev__set_qdepth(NULL, &o), -EINVAL);
	o = (struct vtap_qdepth_opts){
		.sz = sizeof(o), .mode = VTAP_QDEPTH_BUDGET, .budget_bytes = 1};
	assert_int_equal(vtap_qdepth__set("a/b", &o), -EINVAL);
	assert_int_equal(vtap_qdepth__set("vtnosuch0", &o), -ENODEV);
	assert_int_equal(
		vtap_qdepth__info("vtnosuch0", &(struct vtap_qdepth_info){0}),
		-ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_budget_divides),
		cmocka_unit_test(test_budget_floor_and_max),
		cmocka_unit_test(test_budget_invariants),
		cmocka_unit_test(test_qlen_and_kernel),
		cmocka_unit_test(test_sndbuf),
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test_setup_teardown(test_record_file, rundir_setup,
						rundir_teardown),
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_opts_refused),
	};

	/*
	 * As root, a network namespace of its own: run state binds "lo" to
	 * its instance with an alternative name (vtap-...), which must not
	 * stay on the host's lo; it goes with the namespace.
	 */
	if (geteuid() == 0 && unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
