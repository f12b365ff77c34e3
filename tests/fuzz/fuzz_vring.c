// SPDX-License-Identifier: MIT
/*
 * fuzz_vring.c - libFuzzer target for vtap-vhost's descriptor walker
 *
 * Input: byte 0 picks the queue size (a power of two up to 1024), byte 1
 * the head, byte 2 the direction and whether indirect descriptors are
 * allowed; the rest is a guest's memory, split into two regions at
 * unrelated guest addresses, with the descriptor table at the start of
 * the first. Every segment of an accepted chain must lie inside guest
 * memory; reading all of them lets the sanitizers check that.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tools/vtap-vhost/vring.c"

#define MEM (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(16) uint8_t mem[MEM];
	static struct iovec iov[VRING_IOV_MAX];
	struct vu_memtab m = {.n = 2};
	struct vring_chain c;
	unsigned int num, head;
	volatile uint8_t sink = 0;
	bool writable, indirect;

	if (size < 3)
		return 0;
	num = 1u << (data[0] % 11);
	head = data[1] % (num + 1); /* sometimes out of range */
	writable = data[2] & 1;
	indirect = data[2] & 2;
	memset(mem, 0, sizeof(mem));
	memcpy(mem, data + 3, size - 3 < MEM ? size - 3 : MEM);
	/* Region 0: the first half at 0x1000; region 1: the rest at 1 GiB. */
	m.r[0] = (struct vu_region){0x1000, MEM / 2, 0x7f0000000000ull, mem};
	m.r[1] = (struct vu_region){0x40000000ull, MEM / 2, 0x7f0000010000ull,
				    mem + MEM / 2};
	if (vring_walk(&m, (const struct vring_desc *)mem, num, head, writable,
		       indirect, iov, VRING_IOV_MAX, &c) != VRING_OK)
		return 0;
	if (c.n_iov > VRING_IOV_MAX || c.head != head)
		abort();
	for (unsigned int i = 0; i < c.n_iov; i++) {
		const uint8_t *b = iov[i].iov_base;

		if (b < mem || b + iov[i].iov_len > mem + MEM ||
		    !iov[i].iov_len)
			abort();
		for (size_t k = 0; k < iov[i].iov_len; k++)
			sink ^= b[k];
	}
	(void)sink;
	return 0;
}
