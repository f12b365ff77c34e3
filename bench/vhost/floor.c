// SPDX-License-Identifier: MIT
/*
 * floor.c - the tap's own floor and vtap-vhost on top of it, one process
 * per side, for bench/vhost/floor.sh
 *
 *   vhost_floor tap-rx TAP SECONDS          libvtap's plain queue reader
 *   vhost_floor tap-tx TAP SIZE SECONDS     libvtap's plain queue writer
 *   vhost_floor vhost-rx SOCKET SECONDS     minimal driver, receive ring
 *   vhost_floor vhost-tx SOCKET SIZE SECONDS  minimal driver, transmit ring
 *   vhost_floor vhost-tcp SOCKET FLOWS SECONDS  the same with MSS-sized
 *       (1448-byte payload) TCP segments of FLOWS flows, in runs of
 *       BATCH / FLOWS consecutive segments per flow (bench/vhost/coalesce.sh)
 *   vhost_floor vhost-udp SOCKET FLOWS SECONDS  the same with 1472-byte UDP
 *       datagrams (1514 bytes on the wire) of FLOWS flows
 *
 * The tap side opens the (persistent, one-queue, 20-byte header) tap with
 * libvtap and moves batches of 64 with vtap_queue__recv()/send(), waiting
 * in poll() when the queue is empty or full. The driver side is the tests'
 * frontend (tests/vhost/fe.c) acting like an interrupt-driven guest: no
 * EVENT_IDX, it takes what is used, gives buffers back (one kick per
 * batch) and sleeps on the call eventfd when there is nothing to do.
 * Frames to send are UDP 10.96.0.2 -> 10.96.0.1 of SIZE bytes on the
 * wire. Prints "FRAMES CPU_SECONDS" (this process's user + system time).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "fe.h"

#define F(bit) (1ull << (bit))
#define BATCH 64

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* UDP 10.96.0.2:4000 -> 10.96.0.1:9 (discard), @size bytes on the wire. */
static size_t udp_frame(uint8_t *b, size_t size)
{
	static const uint8_t dst[6] = {0x02, 0x96, 0, 0, 0, 1},
			     src[6] = {0x02, 0x96, 0, 0, 0, 2};
	uint32_t s = 0;

	if (size < 60)
		size = 60;
	memset(b, 0, size);
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	put16(b + 12, 0x0800);
	b[14] = 0x45;
	put16(b + 16, (uint16_t)(size - 14));
	b[22] = 64;
	b[23] = 17;
	b[26] = 10, b[27] = 96, b[29] = 2;
	b[30] = 10, b[31] = 96, b[33] = 1;
	for (int i = 14; i < 34; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(b + 24, (uint16_t)~s);
	put16(b + 34, 4000);
	put16(b + 36, 9);
	put16(b + 38, (uint16_t)(size - 34));
	return size;
}

static struct vtap_dev *tap_open(const char *name)
{
	VTAP_OPTS_INIT(vtap_dev_opts, o, .flags = VTAP_DEV_NO_CREATE,
		       .queues = 1, .vnet_hdr_len = 20);
	struct vtap_dev *dev = vtap_dev__open(name, &o);

	if (!dev) {
		perror("vhost_floor: open tap");
		exit(1);
	}
	return dev;
}

static void wait_fd(int fd, short ev)
{
	struct pollfd p = {.fd = fd, .events = ev};

	poll(&p, 1, 100);
}

static int tap_rx(const char *name, double secs)
{
	static uint8_t bufs[BATCH][20 + 2048];
	struct vtap_frame fr[BATCH];
	struct vtap_dev *dev = tap_open(name);
	struct vtap_queue *q = vtap_dev__queue(dev, 0);
	unsigned long long frames = 0;
	double t0, c0, end;

	for (int i = 0; i < BATCH; i++)
		fr[i] = (struct vtap_frame){.buf = bufs[i],
					    .cap = sizeof(bufs[i])};
	t0 = now();
	c0 = cpu_s();
	end = t0 + secs;
	while (now() < end) {
		int n = vtap_queue__recv(q, fr, BATCH);

		if (n > 0)
			frames += (unsigned int)n;
		else
			wait_fd(vtap_queue__fd(q), POLLIN);
	}
	printf("%llu %.3f %.3f\n", frames, cpu_s() - c0, now() - t0);
	vtap_dev__close(dev);
	return 0;
}

static int tap_tx(const char *name, size_t size, double secs)
{
	static uint8_t bufs[BATCH][20 + 2048];
	struct vtap_frame fr[BATCH];
	struct vtap_dev *dev = tap_open(name);
	struct vtap_queue *q = vtap_dev__queue(dev, 0);
	unsigned long long frames = 0;
	double t0, c0, end;

	for (int i = 0; i < BATCH; i++) {
		memset(bufs[i], 0, 20);
		fr[i] = (struct vtap_frame){
			.buf = bufs[i],
			.cap = sizeof(bufs[i]),
			.len = 20 + udp_frame(bufs[i] + 20, size)};
	}
	t0 = now();
	c0 = cpu_s();
	end = t0 + secs;
	while (now() < end) {
		int n = vtap_queue__send(q, fr, BATCH);

		if (n > 0)
			frames += (unsigned int)n;
		if (n < BATCH)
			wait_fd(vtap_queue__fd(q), POLLOUT);
	}
	printf("%llu %.3f %.3f\n", frames, cpu_s() - c0, now() - t0);
	vtap_dev__close(dev);
	return 0;
}

/* Sleep on the ring's call eventfd (the daemon signals used entries). */
static void wait_call(struct fe_vq *vq)
{
	struct pollfd p = {.fd = vq->call, .events = POLLIN};
	uint64_t v;

	if (poll(&p, 1, 100) > 0 && read(vq->call, &v, 8) < 0)
		return;
}

/* Features the driver asks for besides the defaults (vhost-tcp: CSUM). */
static uint64_t driver_features;

static struct fe *driver(const char *sock)
{
	static struct fe f;
	uint64_t want = F(32) | F(15) | F(28) | F(22) | driver_features;

	if (fe_connect(&f, sock) || fe_start(&f, want, 1, 256)) {
		fprintf(stderr, "vhost_floor: cannot start the frontend\n");
		exit(1);
	}
	return &f;
}

static int vhost_rx(const char *sock, double secs)
{
	struct fe *f = driver(sock);
	struct fe_vq *vq = &f->vq[0];
	unsigned long long frames = 0;
	double t0, c0, end;

	fe_rx_post(f, 0, 256);
	t0 = now();
	c0 = cpu_s();
	end = t0 + secs;
	while (now() < end) {
		uint16_t u = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
		unsigned int n = 0;

		while (vq->last_used != u) {
			struct vring_used_elem e =
				vq->used->ring[vq->last_used % vq->num];

			vq->last_used++;
			vq->avail->ring[vq->avail_idx % vq->num] =
				(uint16_t)e.id;
			vq->avail_idx++;
			n++;
		}
		if (n) {
			frames += n;
			__atomic_store_n(&vq->avail->idx, vq->avail_idx,
					 __ATOMIC_RELEASE);
			fe_kick(f, 0);
		} else {
			wait_call(vq);
		}
	}
	printf("%llu %.3f %.3f\n", frames, cpu_s() - c0, now() - t0);
	fe_close(f);
	return 0;
}

/*
 * TCP 10.96.0.2:(5000 + @flow) -> 10.96.0.1:9, ACK, 1448 bytes of payload
 * at sequence number @seq, with the guest header @hdr (NEEDS_CSUM, as a
 * guest with checksum offload sends). Return: the frame's length.
 */
static size_t tcp_frame(uint8_t *hdr, uint8_t *b, unsigned int flow,
			uint32_t seq, uint16_t ip_id)
{
	size_t len = 14 + 20 + 20 + 1448;
	uint32_t s = 0;

	hdr[0] = 1; /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	hdr[6] = 34; /* csum_start */
	hdr[8] = 16; /* csum_offset */
	udp_frame(b, len);
	b[23] = 6;
	put16(b + 18, ip_id);
	put16(b + 24, 0);
	for (int i = 14; i < 34; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(b + 24, (uint16_t)~s);
	memset(b + 34, 0, 20);
	put16(b + 34, (uint16_t)(5000 + flow));
	put16(b + 36, 9);
	put16(b + 38, (uint16_t)(seq >> 16));
	put16(b + 40, (uint16_t)seq);
	b[46] = 5 << 4;
	b[47] = 0x10; /* ACK */
	put16(b + 48, 1024);
	return len;
}

/*
 * UDP 10.96.0.2:(5000 + @flow) -> 10.96.0.1:9, 1472 bytes of payload, IPv4
 * ID @ip_id, with the guest header @hdr (NEEDS_CSUM, the pseudo-header sum
 * in the checksum field). Return: the frame's length.
 */
static size_t udp_seg_frame(uint8_t *hdr, uint8_t *b, unsigned int flow,
			    uint16_t ip_id)
{
	size_t len = udp_frame(b, 1514);
	uint32_t c = 0, s = 17 + 8 + 1472;

	hdr[0] = 1; /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	hdr[6] = 34; /* csum_start */
	hdr[8] = 6; /* csum_offset */
	put16(b + 18, ip_id);
	put16(b + 24, 0);
	for (int i = 14; i < 34; i += 2)
		c += (uint32_t)b[i] << 8 | b[i + 1];
	while (c >> 16)
		c = (c & 0xffff) + (c >> 16);
	put16(b + 24, (uint16_t)~c);
	for (int i = 26; i < 34; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(b + 34, (uint16_t)(5000 + flow));
	put16(b + 40, (uint16_t)s);
	return len;
}

/* vhost-tcp or vhost-udp: the protocol of the segments (6 or 17). */
static int seg_proto;

static int vhost_tx(const char *sock, size_t size, double secs,
		    unsigned int flows)
{
	struct fe *f = driver(sock);
	struct fe_vq *vq = &f->vq[1];
	unsigned long long frames = 0;
	unsigned int inflight = 0;
	double t0, c0, end;
	size_t len;

	/*
	 * Every descriptor a header and the same frame; 64 buffers of 2 KiB
	 * shared by the ring's descriptors, as the tap writer has them.
	 */
	for (unsigned int i = 0; i < vq->num; i++) {
		uint8_t *b = vq->bufs + (size_t)(i % BATCH) * 2048;

		memset(b, 0, f->hdr_len);
		if (flows) {
			/* Runs of BATCH / flows segments per flow, in order
			 * within a run; each ring lap sends them again. */
			unsigned int run = BATCH / flows, k = i % BATCH;

			if (seg_proto == 6)
				len = tcp_frame(b, b + f->hdr_len, k / run,
						1 + (k % run) * 1448,
						(uint16_t)(k % run));
			else
				len = udp_seg_frame(b, b + f->hdr_len, k / run,
						    (uint16_t)(k % run));
		} else {
			len = udp_frame(b + f->hdr_len, size);
		}
		vq->desc[i] = (struct vring_desc){
			fe_gpa(f, b), (uint32_t)(f->hdr_len + len), 0, 0};
	}
	t0 = now();
	c0 = cpu_s();
	end = t0 + secs;
	while (now() < end) {
		uint16_t u = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
		unsigned int n = 0, done = (uint16_t)(u - vq->last_used);

		vq->last_used = u;
		inflight -= done;
		frames += done;
		while (inflight < vq->num) {
			vq->avail->ring[vq->avail_idx % vq->num] =
				(uint16_t)(vq->avail_idx % vq->num);
			vq->avail_idx++;
			inflight++;
			n++;
		}
		if (n) {
			__atomic_store_n(&vq->avail->idx, vq->avail_idx,
					 __ATOMIC_RELEASE);
			fe_kick(f, 1);
		}
		if (!done)
			wait_call(vq);
	}
	printf("%llu %.3f %.3f\n", frames, cpu_s() - c0, now() - t0);
	fe_close(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tap-rx"))
		return tap_rx(argv[2], atof(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "tap-tx"))
		return tap_tx(argv[2], (size_t)atoi(argv[3]), atof(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "vhost-rx"))
		return vhost_rx(argv[2], atof(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "vhost-tx"))
		return vhost_tx(argv[2], (size_t)atoi(argv[3]), atof(argv[4]),
				0);
	if (argc == 5 &&
	    (!strcmp(argv[1], "vhost-tcp") || !strcmp(argv[1], "vhost-udp")) &&
	    atoi(argv[3]) > 0 && atoi(argv[3]) <= BATCH) {
		driver_features = F(0);
		seg_proto = argv[1][6] == 't' ? 6 : 17;
		return vhost_tx(argv[2], 1514, atof(argv[4]),
				(unsigned int)atoi(argv[3]));
	}
	fprintf(stderr,
		"usage: vhost_floor tap-rx TAP SECONDS | tap-tx TAP "
		"SIZE SECONDS | vhost-rx SOCKET SECONDS | vhost-tcp|vhost-udp "
		"SOCKET FLOWS SECONDS | vhost-tx "
		"SOCKET SIZE SECONDS\n");
	return 2;
}
