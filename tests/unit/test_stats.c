// SPDX-License-Identifier: MIT
/*
 * test_stats.c - the shared stats file without a tap: layout, readers in
 * another process while a writer thread counts, summing over handles,
 * files of dead handles skipped and removed. No privileges: the run
 * directory is a temporary one per test (VTAP_RUN_DIR), and the link is
 * "lo" (ifindex 1 in every namespace): state is keyed by namespace and
 * ifindex, so files land in RUN/NSID/1/stats/.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_impl.h"
#include "rundir.h"

/* RUN/NSID/1/stats, where "lo"'s stats files go. */
static void stats_dir(char *buf, size_t size)
{
	char nsid[32];

	assert_int_equal(vtap_netns_id(nsid, sizeof(nsid)), 0);
	assert_true(snprintf(buf, size, "%.96s/%.24s/1/stats", rundir_path,
			     nsid) < (int)size);
}

/* A handle with no tap: just what stats.c uses. */
static struct vtap_dev *fake_dev(const char *name, unsigned int nq)
{
	struct vtap_dev *dev = calloc(1, sizeof(*dev));

	assert_non_null(dev);
	dev->queues = calloc(VTAP_QUEUES_MAX, sizeof(*dev->queues));
	assert_non_null(dev->queues);
	dev->stats_fd = -1;
	dev->stats_dir_fd = -1;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ifindex = 1;
	assert_int_equal(vtap_stats_open(dev), 0);
	assert_true(dev->stats_name[0]); /* shared, not private memory */
	for (unsigned int i = 0; i < nq; i++) {
		dev->queues[i].id = (uint16_t)i;
		dev->queues[i].dev = dev;
		vtap_stats_bind(dev, &dev->queues[i]);
	}
	dev->n_queues = nq;
	return dev;
}

static void free_dev(struct vtap_dev *dev)
{
	vtap_stats_close(dev);
	free(dev->queues);
	free(dev);
}

static void test_layout(void **state)
{
	struct vtap_dev *dev = fake_dev("lay0", 3);
	struct vtap_stats_file *f = dev->stats_file;
	char want[192];

	assert_int_equal(f->magic, VTAP_STATS_MAGIC);
	assert_int_equal(f->version, VTAP_STATS_VERSION);
	assert_int_equal(f->stats_size, sizeof(struct vtap_queue_stats));
	assert_int_equal(f->n_slots, VTAP_QUEUES_MAX);
	assert_int_equal(f->n_queues, 3);
	assert_int_equal(f->pid, getpid());
	assert_string_equal(f->ifname, "lay0");
	assert_true(f->hdr_size >= sizeof(*f));
	/* Slot i sits at hdr_size + i * stats_size. */
	assert_ptr_equal(dev->queues[2].stats,
			 (char *)f + f->hdr_size + 2 * f->stats_size);
	snprintf(want, sizeof(want), "stats.%d.0", (int)getpid());
	assert_string_equal(dev->stats_name, want);
	/* A second handle in the same process gets the next name. */
	{
		struct vtap_dev *d2 = fake_dev("lay0", 1);
		char dir[160];

		snprintf(want, sizeof(want), "stats.%d.1", (int)getpid());
		assert_string_equal(d2->stats_name, want);
		stats_dir(dir, sizeof(dir));
		snprintf(want, sizeof(want), "%s/stats.%d.1", dir,
			 (int)getpid());
		assert_int_equal(access(want, F_OK), 0);
		free_dev(d2);
	}
	free_dev(dev);
	assert_int_not_equal(access(want, F_OK), 0);
}

static void test_sum(void **state)
{
	struct vtap_queue_stats a = {0}, b = {0};

	a.rx_packets = 1, a.tx_drops[VTAP_DROP_CSUM] = 2, a.sw_gso_segments = 3;
	b.rx_packets = 10, b.tx_drops[VTAP_DROP_CSUM] = 20;
	b.hash_reports[VTAP_HASH_REPORT_TCPV6] = 5, b.sw_gso_segments = 30;
	vtap_stats__sum(&a, &b);
	assert_int_equal(a.rx_packets, 11);
	assert_int_equal(a.tx_drops[VTAP_DROP_CSUM], 22);
	assert_int_equal(a.hash_reports[VTAP_HASH_REPORT_TCPV6], 5);
	assert_int_equal(a.sw_gso_segments, 33);
	vtap_stats__sum(NULL, &b); /* no crash */
}

struct writer {
	struct vtap_dev *dev;
	uint64_t n;
	volatile bool go;
};

static void *write_counters(void *arg)
{
	struct writer *w = arg;
	struct vtap_queue *q = &w->dev->queues[1];

	while (!w->go)
		;
	for (uint64_t i = 0; i < w->n; i++) {
		vtap_stat_add(&q->stats->rx_packets, 1);
		vtap_stat_add(&q->stats->rx_bytes, 64);
	}
	return NULL;
}

/* Another process reads while the writer counts: values only grow. */
static void test_live_reader_in_other_process(void **state)
{
	struct writer w = {.dev = fake_dev("live0", 2), .n = 2000000};
	struct vtap_queue_stats st[4];
	pthread_t t;
	pid_t pid;
	int status, fds[2];

	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t last = 0, last_b = 0;
		char c;
		int reads = 0;

		close(fds[1]);
		/* Read until the parent says the writer is done. */
		for (;;) {
			struct vtap_queue_stats s[4];
			ssize_t r;

			if (vtap_stats__read("lo", s, 4) != 2)
				_exit(1);
			/* Each counter only grows; counters are not read as
			 * one snapshot (relaxed atomics), so nothing holds
			 * between rx_packets and rx_bytes mid-flight. */
			if (s[1].rx_packets < last || s[1].rx_bytes < last_b)
				_exit(2);
			last_b = s[1].rx_bytes;
			last = s[1].rx_packets;
			reads++;
			r = read(fds[0], &c, 1);
			if (r == 1)
				break;
		}
		if (vtap_stats__read("lo", st, 4) != 2 ||
		    st[1].rx_packets != 2000000 || st[1].rx_bytes != 128000000)
			_exit(3);
		_exit(reads > 0 ? 0 : 4);
	}
	close(fds[0]);
	assert_int_equal(pthread_create(&t, NULL, write_counters, &w), 0);
	w.go = true;
	pthread_join(t, NULL);
	(void)!write(fds[1], "x", 1);
	close(fds[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(vtap_queue__stats(&w.dev->queues[1], &st[0]), 0);
	assert_int_equal(st[0].rx_packets, 2000000);
	free_dev(w.dev);
}

static void test_dead_handle_skipped(void **state)
{
	struct vtap_dev *live = fake_dev("dead0", 2);
	struct vtap_queue_stats st[2];
	char out[256], cmd[256];
	pid_t pid;
	int status;

	vtap_stat_add(&live->queues[0].stats->tx_packets, 7);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vtap_dev *d = fake_dev("dead0", 2);

		vtap_stat_add(&d->queues[0].stats->tx_packets, 1000);
		_exit(0); /* dies without closing: its file stays, unlocked */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	stats_dir(out, 160);
	snprintf(cmd, sizeof(cmd), "ls %.160s | wc -l", out);
	{
		FILE *p = popen(cmd, "r");

		assert_non_null(fgets(out, sizeof(out), p));
		pclose(p);
	}
	assert_int_equal(atoi(out), 2);
	assert_int_equal(vtap_stats__read("lo", st, 2), 2);
	assert_int_equal(st[0].tx_packets, 7); /* the dead one's 1000 skipped */
	{
		FILE *p = popen(cmd, "r");

		assert_non_null(fgets(out, sizeof(out), p));
		pclose(p);
	}
	assert_int_equal(atoi(out), 1); /* and removed */
	free_dev(live);
	assert_int_equal(vtap_stats__read("lo", st, 2), 0);
	assert_int_equal(vtap_stats__read("nosuch0", st, 2), 0);
	assert_int_equal(vtap_stats__read("a/b", st, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, rundir_setup,
						rundir_teardown),
		cmocka_unit_test(test_sum),
		cmocka_unit_test_setup_teardown(
			test_live_reader_in_other_process, rundir_setup,
			rundir_teardown),
		cmocka_unit_test_setup_teardown(test_dead_handle_skipped,
						rundir_setup, rundir_teardown),
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
