// SPDX-License-Identifier: MIT
/*
 * blast.c - send UDP frames out of a netdev as fast as possible
 *
 *   blast IFNAME SIZE SECONDS [FLOWS]
 *
 * AF_PACKET and sendmmsg() batches of 64 through the device's qdisc (which
 * holds frames while the tap's queue is full; BLAST_BYPASS=1 sets
 * PACKET_QDISC_BYPASS instead): the frames go to the tap's queues, for
 * whatever backend reads them. Ethernet to 02:96:00:00:00:02, IPv4
 * 10.96.0.1 -> 10.96.0.2, UDP source ports spread over FLOWS flows so
 * RSS spreads them. Prints the frames handed to the device.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll a = {.sll_family = AF_PACKET};
	unsigned long long sent = 0;
	struct timespec t0, t;
	int fd, one = 1;
	unsigned int size, secs, flows = 16;

	if (argc < 4) {
		fprintf(stderr, "usage: blast IFNAME SIZE SECONDS [FLOWS]\n");
		return 2;
	}
	size = (unsigned int)atoi(argv[2]);
	secs = (unsigned int)atoi(argv[3]);
	if (argc > 4)
		flows = (unsigned int)atoi(argv[4]);
	if (size < 60 || size > 1514 || !flows) {
		fprintf(stderr, "blast: SIZE 60..1514, FLOWS > 0\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	a.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (fd < 0 || !a.sll_ifindex ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("blast: socket");
		return 1;
	}
	if (getenv("BLAST_BYPASS"))
		setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
			   sizeof(one));
	for (int i = 0; i < BATCH; i++) {
		uint8_t *f = frames[i];
		uint16_t l3 = (uint16_t)(size - 14), sport = 1024 + i % flows;

		memset(f, 0, sizeof(frames[i]));
		memcpy(f, "\x02\x96\x00\x00\x00\x02\x02\x96\x00\x00\x00\x01",
		       12);
		f[12] = 0x08;
		f[14] = 0x45;
		f[16] = (uint8_t)(l3 >> 8);
		f[17] = (uint8_t)l3;
		f[22] = 64;
		f[23] = 17;
		memcpy(f + 26, "\x0a\x60\x00\x01\x0a\x60\x00\x02", 8);
		f[24] = 0;
		f[25] = 0;
		{
			uint16_t c = csum(f + 14, 20);

			f[24] = (uint8_t)(c >> 8);
			f[25] = (uint8_t)c;
		}
		f[34] = (uint8_t)(sport >> 8);
		f[35] = (uint8_t)sport;
		f[36] = 0x17;
		f[37] = 0x70; /* 6000 */
		f[38] = (uint8_t)((l3 - 20) >> 8);
		f[39] = (uint8_t)(l3 - 20);
		iov[i].iov_base = f;
		iov[i].iov_len = size;
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int n = sendmmsg(fd, m, BATCH, 0);

		if (n > 0)
			sent += (unsigned int)n;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= (time_t)secs)
			break;
	}
	printf("%llu\n", sent);
	return 0;
}
