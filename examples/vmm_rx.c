// SPDX-License-Identifier: MIT
/*
 * vmm_rx.c - the receive side of a VMM's tap backend, with libvtap
 *
 * What a virtual machine monitor does with a tap prepared by the operator
 * (`vtapctl dev add tap0 queues 4 vnet_hdr 20`): open every queue of the
 * tap, turn on hash reporting so each frame carries the virtio-net
 * hash_value/hash_report a guest with VIRTIO_NET_F_HASH_REPORT expects,
 * and read frames from all queues with poll(). Instead of handing the
 * frames to a guest, it prints one line per frame:
 *
 *   queue 1 len 98 report udpv4 hash 0x5b0f1d2c
 *
 * Build it against an installed libvtap:
 *
 *   cc vmm_rx.c $(pkg-config --cflags --libs libvtap) -o vmm_rx
 *
 * Usage: vmm_rx [-c COUNT] [-t SECONDS] IFNAME QUEUES
 *   -c COUNT    exit 0 after COUNT frames (default: run until signalled)
 *   -t SECONDS  with -c: exit 1 if COUNT frames did not arrive in time;
 *               without: run that long, then exit 0
 * At the end it prints on stderr how many frames arrived.
 * It prints "ready" on stdout once every queue is open and reporting is
 * on, so a script can start sending.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vtap/vtap.h>

#define BATCH 8

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

/* Library warnings go to stderr; a VMM would send them to its own log. */
__attribute__((format(printf, 2, 0))) static int
log_warn(enum vtap_log_level level, const char *fmt, va_list ap)
{
	return level == VTAP_LOG_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vmm_rx [-c COUNT] [-t SECONDS] IFNAME QUEUES\n");
	exit(2);
}

/* Print the frames of one batch: the header's hash fields, the length. */
static void print_batch(unsigned int qid, const struct vtap_frame *frames,
			int n)
{
	for (int i = 0; i < n; i++) {
		struct vtap_vnet_hdr h;

		if (vtap_vnet__decode(frames[i].buf, VTAP_VNET_HDR_HASH_LEN,
				      &h)) {
			printf("queue %u len %zu bad header\n", qid,
			       frames[i].len);
			continue;
		}
		printf("queue %u len %zu report %s hash 0x%08x\n", qid,
		       frames[i].len - VTAP_VNET_HDR_HASH_LEN,
		       vtap_hash_report__name(h.hash_report), h.hash_value);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	VTAP_OPTS_INIT(vtap_dev_opts, opts, .flags = VTAP_DEV_NO_CREATE,
		       .vnet_hdr_len = VTAP_VNET_HDR_HASH_LEN);
	VTAP_OPTS_INIT(vtap_report_opts, report, .mode = VTAP_REPORT_CONFIG,
		       .hash_types = VTAP_HASH_TYPE_ALL);
	static unsigned char bufs[BATCH]
				 [VTAP_VNET_HDR_HASH_LEN + VTAP_FRAME_MAX];
	struct vtap_frame frames[BATCH];
	struct pollfd pfd[256];
	unsigned long count = 0, seen = 0, seconds = 0;
	unsigned int nq;
	struct vtap_dev *dev;
	time_t deadline = 0;
	int opt, err, rc = 1;

	while ((opt = getopt(argc, argv, "c:t:")) != -1) {
		if (opt == 'c')
			count = strtoul(optarg, NULL, 10);
		else if (opt == 't')
			seconds = strtoul(optarg, NULL, 10);
		else
			usage();
	}
	if (argc - optind != 2)
		usage();
	nq = (unsigned int)strtoul(argv[optind + 1], NULL, 10);
	if (!nq || nq > 256)
		usage();
	opts.queues = nq;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	vtap_set_log(log_warn);

	/* The tap exists (the operator made it); open its queues. */
	dev = vtap_dev__open(argv[optind], &opts);
	if (!dev) {
		fprintf(stderr, "vmm_rx: open '%s' with %u queues: %s\n",
			argv[optind], nq, strerror(errno));
		return 1;
	}
	/*
	 * The guest negotiated VIRTIO_NET_F_HASH_REPORT and sent
	 * VIRTIO_NET_CTRL_MQ_HASH_CONFIG: all types, the default key.
	 */
	err = vtap_dev__set_report(dev, &report);
	if (err) {
		fprintf(stderr, "vmm_rx: hash reporting on '%s': %s\n",
			argv[optind], strerror(-err));
		goto out_close;
	}
	for (unsigned int q = 0; q < nq; q++) {
		pfd[q].fd = vtap_queue__fd(vtap_dev__queue(dev, q));
		pfd[q].events = POLLIN;
	}
	for (int i = 0; i < BATCH; i++)
		frames[i] = (struct vtap_frame){.buf = bufs[i],
						.cap = sizeof(bufs[i])};
	if (seconds)
		deadline = time(NULL) + (time_t)seconds;
	printf("ready\n");
	fflush(stdout);

	while (!stop && (!count || seen < count)) {
		if (deadline && time(NULL) >= deadline) {
			if (!count) /* -t alone: the run time */
				break;
			fprintf(stderr,
				"vmm_rx: %lu of %lu frames in %lus: too few\n",
				seen, count, seconds);
			goto out_close;
		}
		if (poll(pfd, nq, 200) < 0 && errno != EINTR)
			goto out_close;
		for (unsigned int q = 0; q < nq; q++) {
			int n;

			if (!(pfd[q].revents & POLLIN))
				continue;
			n = vtap_queue__recv(vtap_dev__queue(dev, q), frames,
					     BATCH);
			if (n < 0) {
				fprintf(stderr, "vmm_rx: queue %u: %s\n", q,
					strerror(-n));
				goto out_close;
			}
			print_batch(q, frames, n);
			seen += (unsigned long)n;
		}
	}
	fprintf(stderr, "vmm_rx: %lu frames\n", seen);
	rc = 0;
out_close:
	vtap_dev__close(dev);
	return rc;
}
