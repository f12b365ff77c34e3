// SPDX-License-Identifier: MIT
/*
 * fuzz_stats_file.c - libFuzzer target for the stats file reader
 *
 * Stats files live in RUN/NSID/IFINDEX/stats/, a directory the tap's owner
 * may write, and root's `vtapctl stats` reads them: their bytes are input.
 * Feeds the bytes as a file read into the reader's buffer (zero-padded to
 * the largest file, as load_file() does); an accepted header must keep
 * every slot the summing reads inside what was read, and so must the guest
 * ring errors (ring_off) when the file has them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vtap_queue_stats sum[VTAP_QUEUES_MAX];
	static struct vtap_ring_errors rings[VTAP_QUEUES_MAX];
	const struct vtap_stats_file *h;
	size_t len = size < 8 ? 8 : size;
	uint64_t *buf;
	int n;

	/* 8-byte aligned, like the reader's malloc()ed buffer. */
	buf = calloc(1, (len + 7) / 8 * 8);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	h = vtap_stats_file_check(buf, size);
	if (h) {
		if (h->hdr_size + (uint64_t)h->n_slots * h->stats_size > size)
			abort();
		memset(sum, 0, sizeof(sum));
		n = vtap_stats_file_sum(h, sum, VTAP_QUEUES_MAX);
		if (n < 0 || (unsigned int)n > h->n_slots)
			abort();
		/* The guest ring errors, when the file says it has them. */
		if (vtap_stats_file_rings(h, size) &&
		    h->ring_off + (uint64_t)h->n_slots *
					    sizeof(struct vtap_ring_errors) >
			    size)
			abort();
		memset(rings, 0, sizeof(rings));
		n = vtap_stats_file_rings_sum(h, size, rings, VTAP_QUEUES_MAX);
		if (n < 0 || (unsigned int)n > h->n_slots)
			abort();
	}
	free(buf);
	return 0;
}
