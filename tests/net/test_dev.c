// SPDX-License-Identifier: MIT
/*
 * test_dev.c - tap devices against the real kernel: flags, persistence,
 * features, offloads, queue attach/detach and renumbering, link settings,
 * the 257th queue, the shared stats file
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_impl.h"
#include "netns.h"

static bool sys_exists(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return access(path, F_OK) == 0;
}

static long sys_long(const char *name, const char *attr)
{
	char out[64];

	if (nt_sh_out(out, sizeof(out), "cat /sys/class/net/%s/%s", name, attr))
		return -1;
	return strtol(out, NULL, 0);
}

static int count_rx(const char *name)
{
	char out[32];

	nt_sh_out(out, sizeof(out), "ls /sys/class/net/%s/queues | grep -c rx-",
		  name);
	return atoi(out);
}

static struct vtap_dev *open_tap(const char *name, unsigned int flags,
				 unsigned int queues, unsigned int hdr)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .flags = flags, .queues = queues,
		       .vnet_hdr_len = hdr);

	nt_link_cleanup(name);
	return vtap_dev__open(name, &opts);
}

static void test_open_and_flags(void **state)
{
	char name[16];
	struct vtap_dev *dev, *other;
	long tf;

	nt_name(name, sizeof(name), "dev");
	dev = open_tap(name, 0, 4, 12);
	assert_non_null(dev);
	assert_string_equal(vtap_dev__name(dev), name);
	assert_int_equal(vtap_dev__num_queues(dev), 4);
	assert_int_equal(vtap_dev__num_attached(dev), 4);
	assert_int_equal(vtap_dev__vnet_hdr_len(dev), 12);
	assert_int_equal(vtap_dev__ifindex(dev), (int)if_nametoindex(name));
	for (unsigned int i = 0; i < 4; i++) {
		struct vtap_queue *q = vtap_dev__queue(dev, i);
		int fl;

		assert_non_null(q);
		assert_int_equal(vtap_queue__id(q), i);
		assert_int_equal(vtap_queue__kernel_index(q), (int)i);
		fl = fcntl(vtap_queue__fd(q), F_GETFL);
		assert_true(fl & O_NONBLOCK);
		assert_true(fcntl(vtap_queue__fd(q), F_GETFD) & FD_CLOEXEC);
	}
	assert_null(vtap_dev__queue(dev, 4));
	assert_int_equal(count_rx(name), 4);
	tf = sys_long(name, "tun_flags");
	assert_int_equal(tf & (IFF_TAP | IFF_MULTI_QUEUE | IFF_VNET_HDR |
			       IFF_NO_PI | IFF_PERSIST),
			 IFF_TAP | IFF_MULTI_QUEUE | IFF_VNET_HDR | IFF_NO_PI);

	/* Other flags than the device's: refused by name, device intact. */
	other = open_tap(name, 0, 1, 0);
	assert_null(other);
	assert_int_equal(errno, EEXIST);
	other = open_tap(name, VTAP_DEV_TUN, 1, 12);
	assert_null(other);
	assert_int_equal(errno, EEXIST);
	other = open_tap(name, VTAP_DEV_SINGLE_QUEUE, 1, 12);
	assert_null(other);
	assert_int_equal(errno, EEXIST);
	other = open_tap(name, VTAP_DEV_EXCL, 1, 12);
	assert_null(other);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(sys_long(name, "tun_flags"), tf);

	/* Matching flags: a second handle adds queues after ours. */
	other = open_tap(name, VTAP_DEV_NO_CREATE, 2, 12);
	assert_non_null(other);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(other, 0)),
			 4);
	assert_int_equal(count_rx(name), 6);
	vtap_dev__close(other);
	assert_int_equal(count_rx(name), 4);

	vtap_dev__close(dev);
	assert_false(sys_exists(name)); /* not persistent: gone */

	/* Bad options. */
	assert_null(open_tap(name, 0, 1, 11));
	assert_int_equal(errno, EINVAL);
	assert_null(open_tap(name, 0, 257, 12));
	assert_int_equal(errno, E2BIG);
	assert_null(open_tap(name, VTAP_DEV_NO_CREATE, 1, 12));
	assert_int_equal(errno, ENODEV);
	assert_null(open_tap("waytoolongname0123", 0, 1, 12));
	assert_int_equal(errno, EINVAL);
}

static void test_tun_mode(void **state)
{
	char name[16];
	struct vtap_dev *dev;

	nt_name(name, sizeof(name), "tun");
	dev = open_tap(name, VTAP_DEV_TUN, 2, 10);
	assert_non_null(dev);
	assert_true(vtap_dev__is_tun(dev));
	assert_true(sys_long(name, "tun_flags") & IFF_TUN);
	vtap_dev__close(dev);
}

static void test_persist_and_intended(void **state)
{
	char name[16], path[128];
	struct vtap_dev *dev;
	struct vtap_dev_info info;

	nt_name(name, sizeof(name), "per");
	dev = open_tap(name, VTAP_DEV_PERSIST, 3, 12);
	assert_non_null(dev);
	vtap_dev__close(dev);
	assert_true(sys_exists(name));
	assert_true(sys_long(name, "tun_flags") & IFF_PERSIST);
	assert_int_equal(vtap_dev__intended_queues(name), 3);

	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.intended_queues, 3);
	assert_true(info.tun_flags & IFF_PERSIST);
	assert_int_equal(info.ifindex, (int)if_nametoindex(name));

	/* queues 0: the recorded count. */
	dev = open_tap(name, VTAP_DEV_NO_CREATE, 0, 12);
	assert_non_null(dev);
	assert_int_equal(vtap_dev__num_queues(dev), 3);
	vtap_dev__close(dev);

	/* MATCH adopts the device's flags and header size. */
	dev = open_tap(name, VTAP_DEV_MATCH, 1, 0);
	assert_non_null(dev);
	assert_int_equal(vtap_dev__vnet_hdr_len(dev), 12);
	vtap_dev__close(dev);

	/* The run directory is keyed by namespace and ifindex. */
	assert_int_equal(vtap_rundir_path(info.ifindex, path, sizeof(path)), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(vtap_dev__delete(name), 0);
	assert_false(sys_exists(name));
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(vtap_dev__intended_queues(name), -ENOENT);
	assert_int_equal(vtap_dev__delete(name), -ENODEV);
}

static void test_features(void **state)
{
	struct vtap_dev_features f, g;
	struct vtap_offload_state st;
	struct vtap_dev_info info;
	struct vtap_dev *dev;
	char name[16];

	assert_int_equal(vtap_features__probe(&f), 0);
	assert_true(f.tun_features & IFF_TAP);
	assert_true(f.tun_features & IFF_MULTI_QUEUE);
	assert_true(f.tun_features & IFF_VNET_HDR);
	/* Every kernel since 3.x takes these. */
	assert_true(f.offloads & VTAP_OFFLOAD_CSUM);
	assert_true(f.offloads & VTAP_OFFLOAD_TSO4);
	assert_true(f.offloads & VTAP_OFFLOAD_TSO6);
	assert_true(f.hdr_sizes & VTAP_HDR_SIZE_10);
	assert_true(f.hdr_sizes & VTAP_HDR_SIZE_20);
	assert_true(f.vnet_le);
	assert_int_equal(f.max_queues, 256);

	nt_name(name, sizeof(name), "fea");
	dev = open_tap(name, 0, 2, 12);
	assert_non_null(dev);
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM |
							     VTAP_OFFLOAD_TSO4),
			 0);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.offloads, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4);

	/* The probe on the device restores its offloads and header size. */
	dev->features_valid = false;
	assert_int_equal(vtap_dev__features(dev, &g), 0);
	assert_int_equal(g.offloads, f.offloads);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.offloads, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4);
	{
		int sz = 0;

		assert_int_equal(ioctl(vtap_queue__fd(vtap_dev__queue(dev, 0)),
				       TUNGETVNETHDRSZ, &sz),
				 0);
		assert_int_equal(sz, 12);
	}

	/* Combinations the kernel would refuse: errors, device unchanged. */
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_TSO4),
			 -EINVAL);
	assert_int_equal(vtap_dev__set_offloads(
				 dev, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO_ECN),
			 -EINVAL);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.offloads, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4);

	/* Everything supported, then none. */
	assert_int_equal(vtap_dev__set_offloads(dev, f.offloads), 0);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.offloads, f.offloads);
	assert_int_equal(vtap_dev__set_offloads(dev, 0), 0);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.offloads, 0);

	/* Pinning: kernel vs promised. */
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM), 0);
	assert_int_equal(vtap_dev__pin_offloads(dev, VTAP_OFFLOAD_CSUM |
							     VTAP_OFFLOAD_TSO4 |
							     VTAP_OFFLOAD_USO),
			 0);
	assert_int_equal(vtap_dev__offloads(dev, &st), 0);
	assert_true(st.is_pinned);
	assert_int_equal(st.kernel, VTAP_OFFLOAD_CSUM);
	assert_int_equal(st.software, VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_USO);
	assert_int_equal(st.supported, f.offloads);
	assert_int_equal(vtap_dev__pin_offloads(dev, 1u << 12), -EINVAL);
	vtap_dev__close(dev);

	/* No vnet header: no offloads. */
	nt_name(name, sizeof(name), "fe0");
	dev = open_tap(name, 0, 1, 0);
	assert_non_null(dev);
	assert_int_equal(vtap_dev__set_offloads(dev, VTAP_OFFLOAD_CSUM),
			 -EINVAL);
	vtap_dev__close(dev);
}

static void test_offload_names(void **state)
{
	char buf[80];
	uint32_t o;

	assert_int_equal(vtap_offloads__parse("csum,tso4,uso", &o), 0);
	assert_int_equal(o, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4 |
				    VTAP_OFFLOAD_USO);
	assert_string_equal(vtap_offloads__format(o, buf, sizeof(buf)),
			    "csum,tso4,uso");
	assert_int_equal(vtap_offloads__parse("all", &o), 0);
	assert_int_equal(o, VTAP_OFFLOAD_ALL);
	assert_string_equal(vtap_offloads__format(o, buf, sizeof(buf)),
			    "csum,tso4,tso6,tso_ecn,uso,udp_tunnel,"
			    "udp_tunnel_csum");
	assert_int_equal(vtap_offloads__parse("none", &o), 0);
	assert_int_equal(o, 0);
	assert_string_equal(vtap_offloads__format(0, buf, sizeof(buf)), "none");
	assert_int_equal(vtap_offloads__parse("csum,bogus", &o), -EINVAL);
	assert_int_equal(vtap_offloads__parse("csum,", &o), -EINVAL);
	assert_int_equal(vtap_offloads__parse("", &o), -EINVAL);
	assert_string_equal(vtap_offload__name(VTAP_OFFLOAD_TSO_ECN),
			    "tso_ecn");
	assert_null(vtap_offload__name(3));
}

struct hook_log {
	int calls;
	enum vtap_dev_event ev[8];
	unsigned int qid[8];
	struct vtap_dev_qmap map[8];
	int veto;
};

static int hook(struct vtap_dev *dev, enum vtap_dev_event ev, unsigned int qid,
		const struct vtap_dev_qmap *next, void *ctx)
{
	struct hook_log *log = ctx;

	if (log->calls < 8) {
		log->ev[log->calls] = ev;
		log->qid[log->calls] = qid;
		log->map[log->calls] = *next;
	}
	log->calls++;
	return ev == VTAP_DEV_EV_BEFORE_DETACH ? log->veto : 0;
}

static void test_detach_renumbering(void **state)
{
	struct hook_log log = {0};
	struct vtap_dev *dev;
	char name[16];

	nt_name(name, sizeof(name), "det");
	dev = open_tap(name, 0, 4, 12);
	assert_non_null(dev);
	assert_int_equal(vtap_dev_set_queue_hook(dev, hook, &log), 0);
	assert_int_equal(vtap_dev_set_queue_hook(dev, hook, NULL), -EBUSY);

	/* Detach id 1: the kernel moves its last queue (id 3) into slot 1. */
	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	assert_int_equal(count_rx(name), 3);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 1)), -1);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 3)), 1);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 2)), 2);
	assert_int_equal(vtap_dev__num_attached(dev), 3);
	assert_int_equal(log.calls, 2);
	assert_int_equal(log.ev[0], VTAP_DEV_EV_BEFORE_DETACH);
	assert_int_equal(log.qid[0], 1);
	assert_int_equal(log.map[0].n_attached, 3);
	assert_int_equal(log.map[0].qid[0], 0);
	assert_int_equal(log.map[0].qid[1], 3);
	assert_int_equal(log.map[0].qid[2], 2);
	assert_int_equal(log.ev[1], VTAP_DEV_EV_AFTER_DETACH);
	assert_memory_equal(&log.map[1], vtap_dev_qmap(dev),
			    sizeof(log.map[1]));
	/* Detaching a detached queue is a no-op. */
	assert_int_equal(vtap_dev__detach_queue(dev, 1), 0);
	assert_int_equal(log.calls, 2);

	/* Detach the last kernel index: nothing moves. */
	assert_int_equal(vtap_dev__detach_queue(dev, 2), 0);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 3)), 1);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 0)), 0);

	/* Re-attach: appended at the end. */
	assert_int_equal(vtap_dev__attach_queue(dev, 1), 0);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 1)), 2);
	assert_int_equal(log.ev[4], VTAP_DEV_EV_AFTER_ATTACH);
	assert_int_equal(log.map[4].qid[2], 1);
	assert_int_equal(count_rx(name), 3);

	/* The hook can refuse a detach. */
	log.veto = -EBUSY;
	assert_int_equal(vtap_dev__detach_queue(dev, 0), -EBUSY);
	assert_int_equal(vtap_queue__kernel_index(vtap_dev__queue(dev, 0)), 0);
	assert_int_equal(count_rx(name), 3);
	log.veto = 0;

	/* A detached queue is refused by recv and send. */
	{
		char b[128];
		struct vtap_frame f = {.buf = b, .cap = sizeof(b), .len = 64};

		memset(b, 0, sizeof(b));
		assert_int_equal(
			vtap_queue__recv(vtap_dev__queue(dev, 2), &f, 1),
			-ENXIO);
		assert_int_equal(
			vtap_queue__send(vtap_dev__queue(dev, 2), &f, 1),
			-ENXIO);
	}
	assert_int_equal(vtap_dev__attach_queue(dev, 9), -ENOENT);
	vtap_dev__close(dev);
}

static void test_queue_limit(void **state)
{
	struct vtap_dev *dev;
	char name[16];
	int qid;

	nt_name(name, sizeof(name), "lim");
	dev = open_tap(name, 0, 250, 12);
	assert_non_null(dev);
	/* Detached queues count towards the kernel's limit. */
	assert_int_equal(vtap_dev__detach_queue(dev, 7), 0);
	for (int i = 250; i < 256; i++) {
		qid = vtap_dev__add_queue(dev);
		assert_int_equal(qid, i);
	}
	assert_int_equal(vtap_dev__num_queues(dev), 256);
	assert_int_equal(vtap_dev__add_queue(dev), -E2BIG);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(count_rx(name), 255);
	vtap_dev__close(dev);
	assert_false(sys_exists(name));

	/* The kernel's own E2BIG when another handle holds queues. */
	dev = open_tap(name, VTAP_DEV_PERSIST, 200, 12);
	assert_non_null(dev);
	{
		struct vtap_dev *b = open_tap(name, VTAP_DEV_NO_CREATE, 57, 12);

		assert_null(b);
		assert_int_equal(errno, E2BIG);
	}
	vtap_dev__close(dev);
	assert_int_equal(vtap_dev__delete(name), 0);
}

static void test_link(void **state)
{
	static const uint8_t mac[6] = {0x02, 0x77, 0, 0, 0, 0x42};
	char name[16], ns[16], out[256];
	struct vtap_dev_info info;
	struct vtap_dev *dev;
	int fd;

	nt_name(name, sizeof(name), "lnk");
	dev = open_tap(name, 0, 2, 12);
	assert_non_null(dev);
	assert_int_equal(vtap_dev__set_mtu(dev, 9000), 0);
	assert_int_equal(vtap_dev__set_mac(dev, mac), 0);
	assert_int_equal(vtap_dev__set_up(dev, true), 0);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_int_equal(info.mtu, 9000);
	assert_memory_equal(info.mac, mac, 6);
	assert_true(info.up);
	assert_true(info.carrier);
	assert_int_equal(vtap_dev__set_carrier(dev, false), 0);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_false(info.carrier);
	assert_int_equal(vtap_dev__set_carrier(dev, true), 0);
	assert_int_equal(vtap_dev__set_up(dev, false), 0);
	assert_int_equal(vtap_dev__info(name, &info), 0);
	assert_false(info.up);
	assert_int_equal(vtap_dev__set_mtu(dev, 10), -EINVAL);
	{
		const uint8_t mc[6] = {1, 0, 0x5e, 0, 0, 1};

		assert_int_equal(vtap_dev__set_mac(dev, mc), -EINVAL);
	}

	nt_name(ns, sizeof(ns), "lns");
	assert_int_equal(nt_ns_add(ns), 0);
	snprintf(out, sizeof(out), "/run/netns/%s", ns);
	fd = open(out, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(vtap_dev__set_netns(dev, fd, 0), 0);
	close(fd);
	assert_false(sys_exists(name));
	assert_int_equal(nt_sh("ip -n %s link show %s >/dev/null", ns, name),
			 0);
	assert_int_equal(vtap_dev__set_mtu(dev, 1500), -ENODEV);
	vtap_dev__close(dev);
	/* Not persistent: it went away in the namespace too. */
	assert_int_not_equal(
		nt_sh("ip -n %s link show %s >/dev/null 2>&1", ns, name), 0);
}

static void test_stats_file(void **state)
{
	struct vtap_queue_stats st[8];
	struct vtap_dev *dev, *dev2;
	char name[16], out[512], dir[200];

	nt_name(name, sizeof(name), "sta");
	dev = open_tap(name, VTAP_DEV_PERSIST, 2, 12);
	assert_non_null(dev);
	dev2 = open_tap(name, VTAP_DEV_NO_CREATE, 3, 12);
	assert_non_null(dev2);
	/* RUN/NSID/IFINDEX/stats: keyed by namespace and ifindex. */
	assert_int_equal(
		vtap_rundir_path(vtap_dev__ifindex(dev), dir, sizeof(dir) - 8),
		0);
	strcat(dir, "/stats");
	assert_int_equal(
		nt_sh_out(out, sizeof(out), "ls %s | grep -c stats.", dir), 0);
	assert_int_equal(atoi(out), 2);
	/* Counters written by each handle's queue, summed by queue id. */
	vtap_stat_add(&dev->queues[1].stats->rx_packets, 5);
	vtap_stat_add(&dev2->queues[1].stats->rx_packets, 7);
	vtap_stat_add(&dev2->queues[2].stats->tx_drops[VTAP_DROP_CSUM], 3);
	assert_int_equal(vtap_stats__read(name, st, 8), 3);
	assert_int_equal(st[1].rx_packets, 12);
	assert_int_equal(st[0].rx_packets, 0);
	assert_int_equal(st[2].tx_drops[VTAP_DROP_CSUM], 3);
	/* A smaller array is not overrun. */
	assert_int_equal(vtap_stats__read(name, st, 1), 3);
	vtap_dev__close(dev2);
	assert_int_equal(vtap_stats__read(name, st, 8), 2);
	assert_int_equal(st[1].rx_packets, 5);
	vtap_dev__close(dev);
	assert_int_equal(vtap_stats__read(name, st, 8), 0);

	/* A file left by a dead handle (no lock) is ignored and removed. */
	nt_sh("echo junk > %s/stats.999999.0", dir);
	assert_int_equal(vtap_stats__read(name, st, 8), 0);
	assert_int_not_equal(nt_sh("test -e %s/stats.999999.0", dir), 0);
	assert_int_equal(vtap_dev__delete(name), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offload_names),
		cmocka_unit_test(test_open_and_flags),
		cmocka_unit_test(test_tun_mode),
		cmocka_unit_test(test_persist_and_intended),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_detach_renumbering),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_stats_file),
	};

	nt_require_root();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
