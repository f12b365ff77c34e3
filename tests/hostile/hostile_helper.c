// SPDX-License-Identifier: MIT
/*
 * hostile_helper.c - the attacker and the victim of tests/hostile
 *
 *   hostile_helper poke DEV UID GID FIELD [VALUE]
 *	As root, open DEV's steering state and take the fd of its "cfg" map
 *	(as the tap's owner gets it from its pin), then drop to UID/GID with
 *	no supplementary groups and write FIELD into the mmapped map, into
 *	both slots: key_len N, nrules N, weights N (a weight intent of N
 *	entries), table N (an explicit table intent of N entries), mask N
 *	(the slot's table_mask), queues N (cur_queues), flip_future (the last
 *	flip a year ahead), random SEED (every byte but the layout word).
 *   hostile_helper objget PATH UID GID
 *	As UID/GID, BPF_OBJ_GET the pin PATH for writing; exit 0 when that
 *	is refused, 1 when it worked.
 *   hostile_helper victim DEV QUEUES [UID GID FIELD [VALUE]]
 *	A root libvtap user (a VMM): open DEV with QUEUES queues and a 20-byte
 *	header and its steering state; then (with FIELD) let the owner poke
 *	the configuration while it is open; then attach it, turn on hash
 *	reporting from it, receive, predict, read RSS and rules, and set the
 *	queue count. Prints each step's result; exits 0 unless something
 *	crashed (the shell test reads the lines).
 *   hostile_helper hold DEV QUEUES SECONDS
 *	A root libvtap user that keeps DEV open (its stats file mapped) and
 *	counts its queues' stats every 10 ms for SECONDS; exits 0 if it lived.
 */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "steer_impl.h"
#include "vtap/vtap.h"

static int drop(const char *uid, const char *gid)
{
	uid_t u = (uid_t)strtoul(uid, NULL, 0);
	gid_t g = (gid_t)strtoul(gid, NULL, 0);

	if (setgroups(0, NULL) || setresgid(g, g, g) || setresuid(u, u, u)) {
		perror("hostile_helper: drop privileges");
		return -1;
	}
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int poke(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .flags = VTAP_STEER_NO_CREATE);
	const char *field = argv[5];
	unsigned long v = argc > 6 ? strtoul(argv[6], NULL, 0) : 0;
	struct vtap_steer_cfg *c;
	struct vtap_steer *s;
	size_t len;
	int fd;

	s = vtap_steer__open(argv[2], &o);
	if (!s) {
		fprintf(stderr, "hostile_helper: open steering of %s: %s\n",
			argv[2], strerror(errno));
		return 1;
	}
	fd = dup(vtap_steer_map_fd(s, "cfg"));
	vtap_steer__close(s);
	if (fd < 0 || drop(argv[3], argv[4]))
		return 1;
	len = (sizeof(*c) + 4095) & ~(size_t)4095;
	c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED) {
		perror("hostile_helper: mmap");
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		struct vtap_steer_slot *sl = &c->slot[i];

		if (!strcmp(field, "key_len")) {
			sl->key_len = (uint32_t)v;
		} else if (!strcmp(field, "nrules")) {
			sl->nrules = (uint16_t)v;
		} else if (!strcmp(field, "mask")) {
			sl->table_mask = (uint16_t)v;
		} else if (!strcmp(field, "weights")) {
			c->intent.kind = VTAP_STEER_INTENT_WEIGHT;
			c->intent.n_weights = (uint16_t)v;
		} else if (!strcmp(field, "table")) {
			c->intent.kind = VTAP_STEER_INTENT_EXPLICIT;
			c->intent.table_len = (uint16_t)v;
		} else if (!strcmp(field, "queues")) {
			c->cur_queues = (uint32_t)v;
		} else if (!strcmp(field, "flip_future")) {
			c->flip_ns = mono_ns() + 365ull * 86400 * 1000000000ull;
		} else if (!strcmp(field, "random")) {
			srandom((unsigned int)v);
			for (size_t b = sizeof(c->abi); b < sizeof(*c); b++)
				((uint8_t *)c)[b] = (uint8_t)random();
			break;
		} else {
			fprintf(stderr, "hostile_helper: unknown field %s\n",
				field);
			return 2;
		}
	}
	__atomic_fetch_add(&c->generation, 2, __ATOMIC_RELEASE);
	return 0;
}

static int objget(char **argv)
{
	int fd;

	if (drop(argv[3], argv[4]))
		return 2;
	fd = bpf_obj_get(argv[2]);
	if (fd < 0) {
		printf("refused %s: %s\n", argv[2], strerror(errno));
		return 0;
	}
	printf("opened %s\n", argv[2]);
	return 1;
}

static void step(const char *what, int err)
{
	printf("%s: %s\n", what, err < 0 ? strerror(-err) : "ok");
	fflush(stdout);
}

static int victim(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_dev_opts, d, .queues = (unsigned int)atoi(argv[3]),
		       .vnet_hdr_len = 20, .flags = VTAP_DEV_NO_CREATE);
	VTAP_OPTS_INIT(vtap_steer_opts, o, .flags = VTAP_STEER_NO_CREATE);
	VTAP_OPTS_INIT(vtap_report_opts, r, .mode = VTAP_REPORT_STEER);
	struct vtap_frame f;
	struct vtap_steer *s;
	struct vtap_dev *dev;
	uint8_t buf[2048];
	uint32_t steps;
	int err;

	dev = vtap_dev__open(argv[2], &d);
	if (!dev) {
		step("open dev", -errno);
		return 1;
	}
	s = vtap_steer__open(argv[2], &o);
	if (!s) {
		step("open steer", -errno);
		vtap_dev__close(dev);
		return 1;
	}
	if (argc >= 7) {
		/* The owner strikes while the VMM holds the state open. */
		char *pargv[] = {argv[0],
				 "poke",
				 argv[2],
				 argv[4],
				 argv[5],
				 argv[6],
				 argc > 7 ? argv[7] : NULL,
				 NULL};
		pid_t pid = fork();
		int st;

		if (pid == 0)
			_exit(poke(argc > 7 ? 7 : 6, pargv));
		waitpid(pid, &st, 0);
		step("poke", WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO);
	}
	steps = vtap_steer__steps(s);
	printf("steps: 0x%x\n", steps);
	err = vtap_steer__attach_dev(s, dev);
	step("attach", err);
	r.steer = s;
	step("report", vtap_dev__set_report(dev, &r));
	memset(&f, 0, sizeof(f));
	f.buf = buf;
	f.cap = sizeof(buf);
	err = vtap_queue__recv(vtap_dev__queue(dev, 0), &f, 1);
	step("recv", err < 0 ? err : 0);
	{
		VTAP_OPTS_INIT(vtap_steer_rss, rss);
		struct vtap_steer_prediction p;
		struct vtap_steer_rule rules[8];

		step("rss", vtap_steer__rss(s, &rss));
		err = vtap_steer__rules(s, rules, 8);
		step("rules", err < 0 ? err : 0);
		memset(buf, 0, 64);
		step("predict", vtap_steer__predict(s, buf, 64, &p));
	}
	step("set queues", vtap_steer__set_queues(s, 1));
	vtap_steer__close(s);
	vtap_dev__close(dev);
	return 0;
}

static int hold(char **argv)
{
	VTAP_OPTS_INIT(vtap_dev_opts, d, .queues = (unsigned int)atoi(argv[3]),
		       .vnet_hdr_len = 20, .flags = VTAP_DEV_NO_CREATE);
	struct timespec ts = {.tv_nsec = 10000000};
	struct vtap_queue_stats st;
	struct vtap_dev *dev;
	int n = atoi(argv[4]) * 100;

	dev = vtap_dev__open(argv[2], &d);
	if (!dev) {
		step("open dev", -errno);
		return 1;
	}
	printf("holding %s\n", argv[2]);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		vtap_queue__stats(vtap_dev__queue(dev, 0), &st);
		nanosleep(&ts, NULL);
	}
	vtap_dev__close(dev);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "poke"))
		return poke(argc, argv);
	if (argc == 5 && !strcmp(argv[1], "objget"))
		return objget(argv);
	if ((argc == 4 || argc >= 7) && !strcmp(argv[1], "victim"))
		return victim(argc, argv);
	if (argc == 5 && !strcmp(argv[1], "hold"))
		return hold(argv);
	fprintf(stderr,
		"usage: hostile_helper poke DEV UID GID FIELD [VALUE] | objget PATH UID GID | victim DEV QUEUES [UID GID FIELD [VALUE]] | hold DEV QUEUES SECONDS\n");
	return 2;
}
