// SPDX-License-Identifier: MIT
/*
 * bare.c - the copy limit of a tap forwarder, for bench/switch/run.sh
 *
 *   switch_bare TAP-A TAP-B
 *
 * Creates two taps (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte header,
 * CSUM and TSO4/TSO6/TSO_ECN offered, as vtap-switchd's ports have) and
 * forwards every frame of one to the other, header and all, until SIGTERM:
 * one thread per direction, a blocking read() and a write() per frame,
 * nothing else (no epoll, no parsing, no hash, no MAC table, no counters).
 * It is what any forwarder on tun's read/write interface pays at least:
 * the two copies, the two syscalls and the receiving stack that runs
 * inside the write. It is no switch: it takes no part in the suite and is
 * not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define HDR_LEN 12
#define BUF_LEN (HDR_LEN + 65536 + 64)

struct dir {
	int in, out;
};

static int tap_open(const char *name)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	int hdr = HDR_LEN, fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("switch_bare: /dev/net/tun");
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr) ||
	    ioctl(fd, TUNSETOFFLOAD,
		  TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)) {
		fprintf(stderr, "switch_bare: tap '%s': %s\n", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void *forward(void *arg)
{
	static _Thread_local unsigned char buf[BUF_LEN];
	const struct dir *d = arg;

	for (;;) {
		ssize_t n = read(d->in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* A full queue on the other side drops the frame, as a
		 * switch would. */
		if (write(d->out, buf, (size_t)n) < 0 && errno == EBADFD)
			break;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct dir ab, ba;
	pthread_t t[2];
	sigset_t set;
	int a, b, sig;

	if (argc != 3) {
		fprintf(stderr, "usage: switch_bare TAP-A TAP-B\n");
		return 2;
	}
	a = tap_open(argv[1]);
	b = a < 0 ? -1 : tap_open(argv[2]);
	if (b < 0)
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	ab = (struct dir){a, b};
	ba = (struct dir){b, a};
	if (pthread_create(&t[0], NULL, forward, &ab) ||
	    pthread_create(&t[1], NULL, forward, &ba)) {
		fprintf(stderr, "switch_bare: cannot start its threads\n");
		return 1;
	}
	sigwait(&set, &sig);
	return 0;
}
