// SPDX-License-Identifier: MIT
/*
 * hashcost.c - receive rate of a vtap-vhost guest with and without
 * VIRTIO_NET_F_HASH_REPORT
 *
 *   hashcost SOCKET SECONDS on|off
 *
 * A minimal driver (the tests' frontend, tests/vhost/fe.c) negotiates the
 * features with or without HASH_REPORT, posts 256 receive buffers and
 * busy-polls the used ring for SECONDS, giving each buffer back at once
 * (one kick per batch). Prints frames per second. Something else (blast)
 * must send into the tap meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fe.h"

#define F(bit) (1ull << (bit))

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct fe f;
	uint64_t want = F(32) | F(15) | F(29) | F(28) | F(22);
	unsigned long long frames = 0, hashed = 0;
	struct fe_vq *vq;
	double t0, end;

	if (argc < 4) {
		fprintf(stderr, "usage: hashcost SOCKET SECONDS on|off\n");
		return 2;
	}
	if (!strcmp(argv[3], "on"))
		want |= F(57);
	if (fe_connect(&f, argv[1]) || fe_start(&f, want, 1, 256)) {
		fprintf(stderr, "hashcost: cannot start the frontend\n");
		return 1;
	}
	fe_rx_post(&f, 0, 256);
	vq = &f.vq[0];
	t0 = now();
	end = t0 + atof(argv[2]);
	while (now() < end) {
		uint16_t u = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
		unsigned int n = 0;

		while (vq->last_used != u) {
			struct vring_used_elem e =
				vq->used->ring[vq->last_used % vq->num];
			const uint8_t *b =
				vq->bufs + (size_t)e.id * vq->buf_size;

			if (f.hdr_len == 20 && b[16])
				hashed++;
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
			fe_kick(&f, 0);
		}
	}
	printf("%.0f %llu\n", (double)frames / (now() - t0), hashed);
	fe_close(&f);
	return 0;
}
