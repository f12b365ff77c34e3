// SPDX-License-Identifier: MIT
/*
 * test_rx_batch.c - vtap_queue__recv()'s batching, with read() and with
 * io_uring (vtap_queue__set_rx_uring()), on a real tap: an AF_PACKET
 * socket in the tap's namespace sends numbered frames out of the netdev,
 * so exactly those frames wait on the queue. Checked in both modes: a
 * batch that the frames fill exactly, one they overflow by one, one they
 * leave short (EAGAIN in the middle of a batch), batches of 1 and of
 * VTAP_URING_BATCH + 1, a frame too large for its buffer in the middle of
 * a batch (dropped, counted, the rest in order), the counters; and the
 * ring absent (VTAP_NO_IO_URING=1: -EOPNOTSUPP, read() serves).
 *
 * The queue uses the ring only after a call that got frames, at a round
 * size it adapts, so the ring's own edges are checked on the ring itself
 * (vtap_uring_read() on the queue's fd): exactly VTAP_URING_BATCH frames
 * queued for as many reads, one more than that, fewer (the reads past the
 * last frame end with -EAGAIN in the middle of the batch), none. Where
 * the kernel refuses the reads (6.1's tun takes no RWF_NOWAIT), the ring
 * must turn itself off and leave every frame to read(). Where it refuses
 * io_uring itself (a seccomp filter, as container runtimes install, in a
 * child process), turning the ring on fails with -EOPNOTSUPP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev_impl.h"
#include "netns.h"

#define HDR 12
#define NBUF 80
#define ETHERTYPE 0x88b5 /* local experimental: only the test's frames */
#define SMALL 100
#define BIG 1400

static const uint8_t tap_mac[6] = {0x02, 0x78, 0, 0, 0, 0x02};

static char ns[16], tapname[16];
static struct vtap_dev *dev;
static struct vtap_queue *q;
static int psock = -1, ifindex;
static uint8_t *bufs[NBUF];
static struct vtap_frame frames[NBUF];
static uint32_t next_seq;

/* Send @n frames numbered from next_seq, of @len bytes (Ethernet on). */
static void inject(unsigned int n, size_t len)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_ifindex = ifindex,
				 .sll_halen = 6};
	uint8_t f[2048] = {0};

	memcpy(to.sll_addr, tap_mac, 6);
	memset(f, 0xff, 6);
	memcpy(f + 6, tap_mac, 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	for (unsigned int i = 0; i < n; i++) {
		uint32_t s = htonl(next_seq++);

		memcpy(f + 14, &s, 4);
		assert_int_equal(sendto(psock, f, len, 0,
					(struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
	}
}

/* Give every slot its buffer and capacity, as a caller does per call. */
static void reset_slots(size_t cap)
{
	for (int i = 0; i < NBUF; i++)
		frames[i] = (struct vtap_frame){.buf = bufs[i], .cap = cap};
}

/* The sequence number in a received frame, or -1 when not ours. */
static long seq_of(const struct vtap_frame *f)
{
	const uint8_t *b = f->buf;
	uint32_t s;

	if (f->len < HDR + 18 || b[HDR + 12] != ETHERTYPE >> 8 ||
	    b[HDR + 13] != (ETHERTYPE & 0xff))
		return -1;
	memcpy(&s, b + HDR + 14, 4);
	return (long)ntohl(s);
}

/*
 * Receive one batch of up to @n into fresh slots; check that what came is
 * ours, numbered from *@expect on, each in a buffer of its own.
 */
static int recv_check(unsigned int n, uint32_t *expect, size_t cap)
{
	bool used[NBUF] = {0};
	int got;

	reset_slots(cap);
	got = vtap_queue__recv(q, frames, n);
	assert_true(got >= 0 && got <= (int)n);
	for (int i = 0; i < got; i++) {
		long s = seq_of(&frames[i]);
		int b = -1;

		assert_int_equal(s, (long)*expect);
		(*expect)++;
		for (int k = 0; k < NBUF; k++)
			if (frames[i].buf == bufs[k])
				b = k;
		assert_true(b >= 0);
		assert_false(used[b]);
		used[b] = true;
	}
	return got;
}

/* Whatever waits on the queue (nothing, normally) is read and dropped. */
static void drain(void)
{
	reset_slots(HDR + VTAP_FRAME_MAX);
	while (vtap_queue__recv(q, frames, NBUF) > 0)
		reset_slots(HDR + VTAP_FRAME_MAX);
	next_seq = 1000 * (next_seq / 1000 + 1);
}

/* Receive by read() or through io_uring; the latter is skipped (with the
 * reason) where the kernel has no usable io_uring. */
static void uring_mode(bool uring)
{
	int err = vtap_queue__set_rx_uring(q, uring);

	if (err == -EOPNOTSUPP && uring) {
		fprintf(stderr, "SKIP: no usable io_uring on this kernel\n");
		skip();
	}
	assert_int_equal(err, 0);
	assert_int_equal(vtap_queue__rx_uring(q), uring);
}

static void batches(bool uring)
{
	const unsigned int sizes[] = {32, 33, 31, 5, 1, VTAP_URING_BATCH + 1};
	uint32_t expect;
	struct vtap_queue_stats st0, st;

	uring_mode(uring);
	drain();
	vtap_queue__stats(q, &st0);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned int n = sizes[k], batch = 32, left = n;

		expect = next_seq;
		inject(n, SMALL);
		/* Full batches, then the rest, then an empty queue. */
		while (left) {
			unsigned int want = left < batch ? left : batch;

			assert_int_equal(recv_check(batch, &expect,
						    HDR + VTAP_FRAME_MAX),
					 (int)want);
			left -= want;
		}
		assert_int_equal(
			recv_check(batch, &expect, HDR + VTAP_FRAME_MAX), 0);
		assert_int_equal(expect, next_seq);
	}
	/* Batches of one frame each. */
	expect = next_seq;
	inject(3, SMALL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(recv_check(1, &expect, HDR + VTAP_FRAME_MAX),
				 1);
	assert_int_equal(recv_check(1, &expect, HDR + VTAP_FRAME_MAX), 0);
	/* A batch larger than one ring round (VTAP_URING_BATCH). */
	expect = next_seq;
	inject(VTAP_URING_BATCH + 5, SMALL);
	assert_int_equal(recv_check(NBUF, &expect, HDR + VTAP_FRAME_MAX),
			 VTAP_URING_BATCH + 5);
	vtap_queue__stats(q, &st);
	assert_int_equal(st.rx_packets - st0.rx_packets,
			 32 + 33 + 31 + 5 + 1 + VTAP_URING_BATCH + 1 + 3 +
				 VTAP_URING_BATCH + 5);
	/* A kernel whose tun refuses RWF_NOWAIT reads turns the ring off
	 * (the frames above came all the same, by read()). */
	if (uring && !vtap_queue__rx_uring(q))
		fprintf(stderr, "note: io_uring fell back to read() here\n");
	assert_false(!uring && vtap_queue__rx_uring(q));
}

/*
 * Slots too small for a BIG frame: it is dropped as too big (or cut short
 * by the kernel, then not ours), the small ones around it come in order.
 */
static void too_big(bool uring)
{
	size_t cap = HDR + SMALL + 50;
	uint32_t expect, big;
	int got = 0, n;

	uring_mode(uring);
	drain();
	expect = next_seq;
	inject(3, SMALL);
	big = next_seq;
	inject(1, BIG);
	inject(4, SMALL);
	reset_slots(cap);
	n = vtap_queue__recv(q, frames, 32);
	assert_true(n >= 7);
	for (int i = 0; i < n; i++) {
		long s = seq_of(&frames[i]);

		if (s == (long)big || (s < 0 && frames[i].len == cap))
			continue; /* the kernel cut it to the buffer */
		if (expect == big)
			expect++;
		assert_int_equal(s, (long)expect);
		expect++;
		got++;
	}
	assert_int_equal(got, 7);
	reset_slots(cap);
	assert_int_equal(vtap_queue__recv(q, frames, 32), 0);
}

static void test_batches_read(void **state)
{
	batches(false);
}

static void test_batches_uring(void **state)
{
	batches(true);
}

static void test_too_big_read(void **state)
{
	too_big(false);
}

static void test_too_big_uring(void **state)
{
	too_big(true);
}

/* Without io_uring (VTAP_NO_IO_URING=1 stands for a kernel without it):
 * the switch is refused, and read() serves. */
static void test_uring_absent(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .queues = 1, .vnet_hdr_len = HDR);
	struct vtap_dev *d2;
	struct vtap_queue *q2;
	char name[16];

	nt_name(name, sizeof(name), "rxb");
	setenv("VTAP_NO_IO_URING", "1", 1);
	d2 = nt_dev_open(name, &opts);
	assert_non_null(d2);
	q2 = vtap_dev__queue(d2, 0);
	assert_int_equal(vtap_queue__set_rx_uring(q2, true), -EOPNOTSUPP);
	assert_false(vtap_queue__rx_uring(q2));
	assert_int_equal(vtap_queue__set_rx_uring(q2, false), 0);
	unsetenv("VTAP_NO_IO_URING");
	vtap_dev__close(d2);
	/* The main queue is unaffected: read() path works. */
	assert_int_equal(vtap_queue__set_rx_uring(q, false), 0);
	{
		uint32_t expect;

		drain();
		expect = next_seq;
		inject(2, SMALL);
		assert_int_equal(recv_check(32, &expect, HDR + VTAP_FRAME_MAX),
				 2);
	}
}

/* One vtap_uring_read() of @n reads on the queue's fd into bufs[0..n). */
static int ring_read(struct vtap_uring *r, unsigned int n, int32_t *res)
{
	void *b[VTAP_URING_BATCH + 1];
	size_t caps[VTAP_URING_BATCH + 1];

	for (unsigned int i = 0; i < n && i <= VTAP_URING_BATCH; i++) {
		b[i] = bufs[i];
		caps[i] = HDR + VTAP_FRAME_MAX;
		res[i] = 1; /* neither a frame's length nor an errno */
	}
	return vtap_uring_read(r, q->fd, b, caps, n, res);
}

/* The first @got of @n reads brought our frames from *@expect on, the
 * rest ended with -EAGAIN. */
static void ring_check(const int32_t *res, unsigned int n, unsigned int got,
		       uint32_t *expect)
{
	for (unsigned int i = 0; i < n; i++) {
		struct vtap_frame f = {.buf = bufs[i]};

		if (i >= got) {
			assert_int_equal(res[i], -EAGAIN);
			continue;
		}
		assert_int_equal(res[i], HDR + SMALL);
		f.len = (size_t)res[i];
		assert_int_equal(seq_of(&f), (long)*expect);
		(*expect)++;
	}
}

static void test_ring_boundaries(void **state)
{
	const unsigned int B = VTAP_URING_BATCH;
	int32_t res[VTAP_URING_BATCH + 1];
	struct vtap_uring *r;
	uint32_t expect;
	int err;

	assert_int_equal(vtap_queue__set_rx_uring(q, false), 0);
	drain();
	err = vtap_uring_new(&r);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "SKIP: no usable io_uring on this kernel\n");
		skip();
	}
	assert_int_equal(err, 0);
	assert_int_equal(ring_read(r, 0, res), -EINVAL);
	assert_int_equal(ring_read(r, B + 1, res), -EINVAL);

	/* Exactly a batch of frames for a batch of reads. */
	expect = next_seq;
	inject(B, SMALL);
	assert_int_equal(ring_read(r, B, res), 0);
	if (res[0] == -EAGAIN) {
		/* The kernel refused the reads: every one ended without a
		 * frame, the ring is off for good, read() gets them all. */
		ring_check(res, B, 0, &expect);
		assert_int_equal(ring_read(r, B, res), -EOPNOTSUPP);
		vtap_uring_free(r);
		assert_int_equal(
			recv_check(NBUF, &expect, HDR + VTAP_FRAME_MAX),
			(int)B);
		fprintf(stderr, "note: the kernel refused RWF_NOWAIT reads: "
				"the ring turned itself off, read() got every "
				"frame\n");
		return;
	}
	ring_check(res, B, B, &expect);
	assert_int_equal(ring_read(r, B, res), 0);
	ring_check(res, B, 0, &expect);

	/* One more than a batch: the last waits for the next call. */
	inject(B + 1, SMALL);
	assert_int_equal(ring_read(r, B, res), 0);
	ring_check(res, B, B, &expect);
	assert_int_equal(ring_read(r, B, res), 0);
	ring_check(res, B, 1, &expect);

	/* Fewer frames than reads: -EAGAIN from the middle of the batch. */
	inject(5, SMALL);
	assert_int_equal(ring_read(r, B, res), 0);
	ring_check(res, B, 5, &expect);
	inject(B - 1, SMALL);
	assert_int_equal(ring_read(r, B, res), 0);
	ring_check(res, B, B - 1, &expect);

	/* Small batches, exactly filled and overfilled. */
	inject(4, SMALL);
	assert_int_equal(ring_read(r, 3, res), 0);
	ring_check(res, 3, 3, &expect);
	assert_int_equal(ring_read(r, 1, res), 0);
	ring_check(res, 1, 1, &expect);
	assert_int_equal(ring_read(r, 1, res), 0);
	ring_check(res, 1, 0, &expect);
	assert_int_equal(expect, next_seq);
	vtap_uring_free(r);
}

/*
 * In a child (the filter stays with the process): io_uring_setup() fails
 * with EPERM, as under a container runtime's default seccomp profile.
 * Return: 0 when turning the ring on was refused and read() still serves,
 * else the number of the check that failed (cmocka's asserts would
 * longjmp into the child's copy of the test runner).
 */
static int refused_child(struct vtap_queue *q2)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]),
				  .filter = insns};
	struct vtap_frame f = {.buf = bufs[0], .cap = HDR + VTAP_FRAME_MAX};
	struct vtap_uring *r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return 1;
	if (vtap_uring_new(&r) != -EOPNOTSUPP)
		return 2;
	if (vtap_queue__set_rx_uring(q2, true) != -EOPNOTSUPP ||
	    vtap_queue__rx_uring(q2))
		return 3;
	if (vtap_queue__recv(q2, &f, 1) != 0)
		return 4;
	return 0;
}

/* The kernel refuses io_uring (seccomp in a child): -EOPNOTSUPP. */
static void test_uring_refused(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .queues = 1, .vnet_hdr_len = HDR);
	struct vtap_dev *d2;
	char name[16];
	int status;
	pid_t pid;

	nt_name(name, sizeof(name), "rbs");
	d2 = nt_dev_open(name, &opts);
	assert_non_null(d2);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(refused_child(vtap_dev__queue(d2, 0))); /* no atexit */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	vtap_dev__close(d2);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status))
		fail_msg("refused io_uring: check %d in refused_child() failed",
			 WEXITSTATUS(status));
}

static int setup(void **state)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .queues = 1, .vnet_hdr_len = HDR);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	char path[64];
	int fd, err;

	nt_name(ns, sizeof(ns), "rbns");
	nt_name(tapname, sizeof(tapname), "rb");
	if (nt_ns_add(ns))
		return -1;
	nt_sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
	      "net.ipv6.conf.default.disable_ipv6=1",
	      ns);
	dev = nt_dev_open(tapname, &opts);
	if (!dev || vtap_dev__set_mac(dev, tap_mac))
		return -1;
	q = vtap_dev__queue(dev, 0);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || vtap_dev__set_netns(dev, fd, 0))
		return -1;
	close(fd);
	if (nt_sh("ip -n %s link set %s up", ns, tapname))
		return -1;
	if (nt_enter(ns))
		return -1;
	ifindex = (int)if_nametoindex(tapname);
	psock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	sll.sll_ifindex = ifindex;
	err = psock < 0 || !ifindex ||
	      bind(psock, (struct sockaddr *)&sll, sizeof(sll));
	nt_enter(NULL);
	if (err)
		return -1;
	for (int i = 0; i < NBUF; i++) {
		bufs[i] = malloc(HDR + VTAP_FRAME_MAX);
		if (!bufs[i])
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	if (psock >= 0)
		close(psock);
	vtap_dev__close(dev);
	for (int i = 0; i < NBUF; i++)
		free(bufs[i]);
	nt_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_read),
		cmocka_unit_test(test_batches_uring),
		cmocka_unit_test(test_too_big_read),
		cmocka_unit_test(test_too_big_uring),
		cmocka_unit_test(test_uring_absent),
		cmocka_unit_test(test_ring_boundaries),
		cmocka_unit_test(test_uring_refused),
	};

	nt_require_root();
	return cmocka_run_group_tests(tests, setup, teardown);
}
