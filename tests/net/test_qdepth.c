// SPDX-License-Identifier: MIT
/*
 * test_qdepth.c - queue depth and memory budget on real taps: a 4-queue
 * tap with a budget whose txqueuelen follows the rule as queues attach and
 * detach and offloads and the MTU change, never below the floor, with the
 * writers' send buffer to match and `vtapctl dev show` reporting it; and a
 * flood from a namespace into a tap whose reader stopped reading: no queue
 * holds more than the depth, and the drops show in `vtapctl stats`.
 *
 * The expected depths are computed here from the rule, not with
 * the library's function; txqueuelen is read from sysfs (the test runs in
 * the namespace sysfs shows) and the send buffer with TUNGETSNDBUF.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "netns.h"

#define NQ 4
#define HDR 12
#define FLOOR 256u
#define GSO_FRAME 65536ull

static char run_dir[64], vtapctl[512];

/* The rule, written out independently of qdepth.c. */
static unsigned int expect_depth(uint64_t budget, unsigned int queues,
				 unsigned int mtu, bool gso)
{
	uint64_t frame = gso ? GSO_FRAME : mtu;
	uint64_t d = budget / ((queues ? queues : 1) * frame);

	if (d < FLOOR)
		d = FLOOR;
	if (d > 65536)
		d = 65536;
	return (unsigned int)d;
}

static long sysfs_long(const char *name, const char *attr)
{
	char path[128], buf[64];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	fclose(f);
	return v;
}

static long txqlen(const char *name)
{
	return sysfs_long(name, "tx_queue_len");
}

/* The device's send buffer, read through an attached queue. */
static int sndbuf(struct vtap_dev *dev)
{
	for (unsigned int i = 0; i < vtap_dev__num_queues(dev); i++) {
		struct vtap_queue *q = vtap_dev__queue(dev, i);
		int v = 0;

		if (vtap_queue__kernel_index(q) < 0)
			continue;
		if (ioctl(vtap_queue__fd(q), TUNGETSNDBUF, &v))
			return -errno;
		return v;
	}
	return -ENXIO;
}

/* A value of `vtapctl -j dev show NAME`'s device object, as text. */
static void show_value(const char *name, const char *key, char *out,
		       size_t size)
{
	int rc = nt_sh_out(out, size,
			   "%s -j dev show %s | python3 -c 'import json,sys; "
			   "print(json.load(sys.stdin)[0][\"%s\"])'",
			   vtapctl, name, key);

	assert_int_equal(rc, 0);
	out[strcspn(out, "\n")] = '\0';
}

/*
 * After each change: txqueuelen is what the rule gives for what is now
 * attached, never below the floor, and the send buffer matches it.
 */
static void check_depth(struct vtap_dev *dev, const char *name, uint64_t budget,
			unsigned int queues, unsigned int mtu, bool gso)
{
	unsigned int want = expect_depth(budget, queues, mtu, gso);
	long got = txqlen(name);

	print_message("  %u queue(s), mtu %u, gso %s: txqueuelen %ld (want "
		      "%u)\n",
		      queues, mtu, gso ? "on" : "off", got, want);
	assert_int_equal(got, want);
	assert_true(got >= FLOOR);
	if (queues) {
		uint64_t sb = (uint64_t)want * (gso ? GSO_FRAME : mtu);

		assert_int_equal(sndbuf(dev), sb > INT_MAX ? INT_MAX : sb);
	}
}

static void test_budget_follows(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_PERSIST | VTAP_DEV_EXCL, .queues = NQ,
		       .vnet_hdr_len = HDR);
	/* 1000 frames a queue for 4 queues of 1500 bytes. */
	const uint64_t budget = 4ull * 1000 * 1500;
	VTAP_OPTS_INIT(vtap_qdepth_opts, qd, .mode = VTAP_QDEPTH_BUDGET,
		       .budget_bytes = budget);
	struct vtap_dev *dev;
	char name[16], out[256];
	int qid;

	(void)state;
	nt_name(name, sizeof(name), "qb");
	dev = nt_dev_open(name, &opts);
	assert_non_null(dev);
	assert_int_equal(txqlen(name), 1000); /* the kernel's default */
	assert_int_equal(sndbuf(dev), INT_MAX);

	assert_int_equal(vtap_dev__set_qdepth(dev, &qd), 0);
	check_depth(dev, name, budget, 4, 1500, false);

	/* Detach queues one by one (the queue hook). */
	assert_int_equal(vtap_dev__detach_queue(dev, 3), 0);
	check_depth(dev, name, budget, 3, 1500, false);
	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	check_depth(dev, name, budget, 2, 1500, false);
	assert_int_equal(vtap_dev__detach_queue(dev, 0), 0);
	check_depth(dev, name, budget, 1, 1500, false);
	/* None attached: the recorded queue count (4) stands in. */
	assert_int_equal(vtap_dev__detach_queue(dev, 2), 0);
	assert_int_equal(txqlen(name), expect_depth(budget, 4, 1500, false));
	assert_int_equal(vtap_dev__attach_queue(dev, 1), 0);
	check_depth(dev, name, budget, 1, 1500, false);
	assert_int_equal(vtap_dev__attach_queue(dev, 3), 0);
	check_depth(dev, name, budget, 2, 1500, false);

	/* A GSO offload on: 64 KiB frames, and the floor wins. */
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM |
							     VTAP_OFFLOAD_TSO4),
			 0);
	check_depth(dev, name, budget, 2, 1500, true);
	assert_int_equal(txqlen(name), FLOOR);
	/* dev show reports it, over budget. */
	show_value(name, "qlen", out, sizeof(out));
	assert_string_equal(out, "256");
	show_value(name, "budget_bytes", out, sizeof(out));
	assert_string_equal(out, "6000000");
	show_value(name, "worst_case_bytes", out, sizeof(out));
	assert_int_equal(strtoull(out, NULL, 10), 256ull * 2 * GSO_FRAME);
	show_value(name, "over_budget", out, sizeof(out));
	assert_string_equal(out, "True");
	/* Checksum only: no GSO, MTU-sized frames again. */
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM), 0);
	check_depth(dev, name, budget, 2, 1500, false);
	show_value(name, "over_budget", out, sizeof(out));
	assert_string_equal(out, "False");
	show_value(name, "worst_case_bytes", out, sizeof(out));
	assert_int_equal(strtoull(out, NULL, 10),
			 (uint64_t)expect_depth(budget, 2, 1500, false) * 2 *
				 1500);

	/* A new queue, then a larger MTU (the floor again). */
	qid = vtap_dev__add_queue(dev);
	assert_true(qid >= 0);
	check_depth(dev, name, budget, 3, 1500, false);
	assert_int_equal(vtap_dev__set_mtu(dev, 9000), 0);
	check_depth(dev, name, budget, 3, 9000, false);
	assert_int_equal(vtap_dev__set_mtu(dev, 1500), 0);
	check_depth(dev, name, budget, 3, 1500, false);

	/* A second handle (another VMM process) counts the kernel's queues. */
	{
		VTAP_OPTS_INIT(vtap_dev_opts, o2, .flags = VTAP_DEV_NO_CREATE,
			       .queues = 2, .vnet_hdr_len = HDR);
		struct vtap_dev *d2 = vtap_dev__open(name, &o2);

		assert_non_null(d2);
		check_depth(dev, name, budget, 5, 1500, false);
		assert_int_equal(vtap_dev__detach_queue(d2, 1), 0);
		check_depth(dev, name, budget, 4, 1500, false);
		vtap_dev__close(d2);
	}

	/* A fixed qlen stays put whatever attaches; no floor for it. */
	qd = (struct vtap_qdepth_opts){
		.sz = sizeof(qd), .mode = VTAP_QDEPTH_QLEN, .qlen = 100};
	assert_int_equal(vtap_dev__set_qdepth(dev, &qd), 0);
	assert_int_equal(txqlen(name), 100);
	assert_int_equal(sndbuf(dev), INT_MAX);
	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	assert_int_equal(txqlen(name), 100);
	show_value(name, "qdepth_mode", out, sizeof(out));
	assert_string_equal(out, "qlen");

	/* Back to a budget, then off: the depth stays where it was. */
	qd = (struct vtap_qdepth_opts){.sz = sizeof(qd),
				       .mode = VTAP_QDEPTH_BUDGET,
				       .budget_bytes = budget};
	assert_int_equal(vtap_dev__set_qdepth(dev, &qd), 0);
	check_depth(dev, name, budget, 2, 1500, false);
	qd = (struct vtap_qdepth_opts){.sz = sizeof(qd),
				       .mode = VTAP_QDEPTH_KERNEL};
	assert_int_equal(vtap_dev__set_qdepth(dev, &qd), 0);
	assert_int_equal(sndbuf(dev), INT_MAX);
	assert_int_equal(vtap_dev__attach_queue(dev, 1), 0);
	assert_int_equal(txqlen(name), expect_depth(budget, 2, 1500, false));
	show_value(name, "budget_bytes", out, sizeof(out));
	assert_string_equal(out, "None");

	/* Bad settings are refused and change nothing. */
	qd = (struct vtap_qdepth_opts){.sz = sizeof(qd),
				       .mode = VTAP_QDEPTH_QLEN};
	assert_int_equal(vtap_dev__set_qdepth(dev, &qd), -EINVAL);
	assert_int_equal(txqlen(name), expect_depth(budget, 2, 1500, false));

	vtap_dev__close(dev);
	assert_int_equal(vtap_dev__delete(name), 0);
}

/*
 * A budget set by name while nothing is attached (how vtapctl prepares a
 * tap): the recorded queue count is used; a VMM's libvtap handle applies
 * it again as it attaches queues.
 */
static void test_budget_by_name(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_PERSIST | VTAP_DEV_EXCL, .queues = NQ,
		       .vnet_hdr_len = HDR);
	const uint64_t budget = 16ull << 20;
	VTAP_OPTS_INIT(vtap_qdepth_opts, qd, .mode = VTAP_QDEPTH_BUDGET,
		       .budget_bytes = budget);
	struct vtap_dev *dev;
	char name[16];

	(void)state;
	nt_name(name, sizeof(name), "qn");
	dev = nt_dev_open(name, &opts);
	assert_non_null(dev);
	vtap_dev__close(dev);
	assert_int_equal(vtap_qdepth__set(name, &qd), 0);
	/* 16 MiB / (4 x 1500) */
	assert_int_equal(txqlen(name), expect_depth(budget, 4, 1500, false));
	opts.flags = VTAP_DEV_NO_CREATE;
	opts.queues = 2;
	dev = vtap_dev__open(name, &opts);
	assert_non_null(dev);
	check_depth(dev, name, budget, 2, 1500, false);
	vtap_dev__close(dev);
	assert_int_equal(vtap_dev__delete(name), 0);
}

/* ---- the flood ---- */

/* A frame of the flood: IPv4 UDP to port 9. */
static bool is_flood(const struct vtap_frame *f)
{
	const uint8_t *b = (const uint8_t *)f->buf + HDR;

	return f->len >= HDR + 14 + 20 + 8 && b[12] == 0x08 && b[13] == 0 &&
	       b[14 + 9] == IPPROTO_UDP && b[14 + 20 + 2] == 0 &&
	       b[14 + 20 + 3] == 9;
}

static void test_flood(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts,
		       .flags = VTAP_DEV_PERSIST | VTAP_DEV_EXCL, .queues = NQ,
		       .vnet_hdr_len = HDR);
	/* 300 frames a queue for 4 queues of 1500 bytes. */
	const uint64_t budget = 4ull * 300 * 1500;
	const unsigned int depth = 300, nflows = 64, per_flow = 60;
	VTAP_OPTS_INIT(vtap_qdepth_opts, qd, .mode = VTAP_QDEPTH_BUDGET,
		       .budget_bytes = budget);
	static uint8_t bufs[64][2048];
	static char text[16384];
	struct vtap_frame frames[64];
	unsigned int got[NQ] = {0}, total = 0, max = 0, sent = 0, ours = 0;
	char name[16], ns[16], out[256];
	unsigned long long drops0, drops1, stats_drops;
	struct vtap_dev *dev;
	int socks[64], rc;

	(void)state;
	nt_name(name, sizeof(name), "qf");
	nt_name(ns, sizeof(ns), "qfn");
	assert_int_equal(nt_ns_add(ns), 0);
	dev = nt_dev_open(name, &opts);
	assert_non_null(dev);
	assert_int_equal(vtap_dev__set_qdepth(dev, &qd), 0);
	assert_int_equal(txqlen(name), depth);
	assert_int_equal(nt_link_into_ns(name, ns, 91, "02:00:00:00:91"), 0);
	/* No IPv6 chatter (router solicitations, MLD) in the count. */
	nt_sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", ns,
	      name);

	/* Whatever reached the queues while the link came up. */
	for (unsigned int i = 0; i < 64; i++)
		frames[i] = (struct vtap_frame){.buf = bufs[i],
						.cap = sizeof(bufs[i])};
	for (unsigned int q = 0; q < NQ; q++)
		while (vtap_queue__recv(vtap_dev__queue(dev, q), frames, 64) >
		       0)
			;
	rc = nt_sh_out(out, sizeof(out),
		       "ip netns exec %s cat /sys/class/net/%s/statistics/"
		       "tx_dropped",
		       ns, name);
	assert_int_equal(rc, 0);
	drops0 = strtoull(out, NULL, 10);

	/* The reader stops reading; the namespace floods 64 flows. */
	assert_int_equal(nt_enter(ns), 0);
	for (unsigned int f = 0; f < nflows; f++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port =
						htons((uint16_t)(20000 + f)),
					.sin_addr.s_addr = htonl(0x0a5b0001)};

		socks[f] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_true(socks[f] >= 0);
		assert_int_equal(
			bind(socks[f], (struct sockaddr *)&a, sizeof(a)), 0);
	}
	for (unsigned int i = 0; i < per_flow; i++) {
		for (unsigned int f = 0; f < nflows; f++) {
			struct sockaddr_in to = {.sin_family = AF_INET,
						 .sin_port = htons(9),
						 .sin_addr.s_addr =
							 htonl(0x0a5b0002)};
			char payload[64] = "qdepth";

			if (sendto(socks[f], payload, sizeof(payload), 0,
				   (struct sockaddr *)&to, sizeof(to)) > 0)
				sent++;
		}
	}
	for (unsigned int f = 0; f < nflows; f++)
		close(socks[f]);
	assert_int_equal(nt_enter(NULL), 0);
	print_message("  sent %u frames\n", sent);
	assert_int_equal(sent, nflows * per_flow);

	/* The reader resumes: what each queue held. */
	for (unsigned int q = 0; q < NQ; q++) {
		int n;

		while ((n = vtap_queue__recv(vtap_dev__queue(dev, q), frames,
					     64)) > 0) {
			got[q] += (unsigned int)n;
			for (int i = 0; i < n; i++)
				ours += is_flood(&frames[i]);
		}
		assert_int_equal(n, 0);
		print_message("  queue %u held %u frames\n", q, got[q]);
		assert_true(got[q] <= depth);
		total += got[q];
		if (got[q] > max)
			max = got[q];
	}
	assert_true(total <= depth * NQ);
	/* 3840 frames over 4 queues: some queue was offered more than its
	 * depth, so it was full, exactly. */
	assert_int_equal(max, depth);

	/* The kernel counted every frame it could not queue. */
	rc = nt_sh_out(out, sizeof(out),
		       "ip netns exec %s cat /sys/class/net/%s/statistics/"
		       "tx_dropped",
		       ns, name);
	assert_int_equal(rc, 0);
	drops1 = strtoull(out, NULL, 10);
	print_message("  tx_dropped %llu -> %llu, read %u\n", drops0, drops1,
		      total);
	/* Every flood frame was either read or dropped (other frames the
	 * stack sent may be in either count too). */
	assert_true(ours <= total);
	assert_true(drops1 - drops0 + ours >= sent);
	assert_true(drops1 - drops0 >= sent - depth * NQ);

	/* vtapctl stats, run where the link is, shows them. */
	rc = nt_sh_out(
		out, sizeof(out),
		"ip netns exec %s %s -j stats dev %s | python3 -c "
		"'import json,sys; "
		"print(json.load(sys.stdin)[0][\"rx_queue_full_drops\"])'",
		ns, vtapctl, name);
	assert_int_equal(rc, 0);
	stats_drops = strtoull(out, NULL, 10);
	assert_int_equal(stats_drops, drops1);
	rc = nt_sh_out(text, sizeof(text), "ip netns exec %s %s stats dev %s",
		       ns, vtapctl, name);
	assert_int_equal(rc, 0);
	snprintf(out, sizeof(out), "rx_queue_full_drops %llu", drops1);
	assert_non_null(strstr(text, out));

	vtap_dev__close(dev);
	nt_sh("ip netns exec %s ip link del %s", ns, name);
}

static int setup(void **state)
{
	const char *b = getenv("VTAP_BUILDDIR");

	(void)state;
	/* A run directory of our own, passed on to vtapctl. */
	snprintf(run_dir, sizeof(run_dir), "/tmp/vtap-qdepth-run.%d",
		 (int)getpid());
	if (mkdir(run_dir, 0755) && errno != EEXIST)
		return -1;
	setenv("VTAP_RUN_DIR", run_dir, 1);
	snprintf(vtapctl, sizeof(vtapctl), "%s/src/tools/vtapctl",
		 b ? b : "build");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nt_cleanup();
	nt_sh("rm -rf %s", run_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_follows),
		cmocka_unit_test(test_budget_by_name),
		cmocka_unit_test(test_flood),
	};

	nt_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
