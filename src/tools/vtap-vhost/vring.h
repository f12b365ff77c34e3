/* SPDX-License-Identifier: MIT */
/*
 * vring.h - guest memory table and split virtqueue descriptor walker
 *
 * Pure: the caller maps the regions; everything here only translates
 * addresses through the table and reads descriptors, so it can be fuzzed
 * over a fake guest memory (fuzz_vring).
 */
#ifndef VTAP_VHOST_VRING_H
#define VTAP_VHOST_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vu_msg.h"

/* Split ring layout (virtio spec 2.7 "Split Virtqueues"), little-endian. */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_USED_F_NO_NOTIFY 1
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* num entries, then used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* num entries, then avail_event */
};

/* The largest queue this backend accepts (QEMU's maximum). */
#define VRING_NUM_MAX 1024
/* Segments one chain may give (readv/writev take at most 1024). */
#define VRING_IOV_MAX 1024

/**
 * struct vu_region - one mapped region of guest memory
 * @gpa: guest physical address of its start
 * @size: length in bytes
 * @uva: the frontend's virtual address of its start (ring addresses)
 * @host: where it is mapped here
 */
struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint8_t *host;
};

struct vu_memtab {
	unsigned int n;
	struct vu_region r[VU_MEM_REGIONS_MAX];
};

/*
 * Host address of [@gpa, @gpa + @len) when it lies wholly in one region,
 * else NULL. The ring structures are translated with vu_uva_to_host().
 */
void *vu_gpa_to_host(const struct vu_memtab *m, uint64_t gpa, uint64_t len);
void *vu_uva_to_host(const struct vu_memtab *m, uint64_t uva, uint64_t len);

/* Why a chain was refused; each stops the queue and is counted. */
enum vring_error {
	VRING_OK = 0,
	VRING_ERR_HEAD, /* head index not below the queue size */
	VRING_ERR_ADDR, /* a buffer outside the memory table */
	VRING_ERR_LOOP, /* more descriptors than the (indirect) table has */
	VRING_ERR_INDIRECT, /* indirect table misaligned, empty, outside
			     * memory, nested, or with NEXT */
	VRING_ERR_DIRECTION, /* writable where readable belongs or back */
	VRING_ERR_TOO_LONG, /* more than VRING_IOV_MAX segments, or over
			     * 4 GiB in total */
	VRING_ERR_AVAIL, /* the driver made more buffers available than
			  * the queue has */
	VRING_ERR_HDR, /* a chain too short for the virtio-net header */
	VRING_ERR_FAULT, /* guest memory faulted (SIGBUS): the frontend
			  * shrank the file behind it */
	VRING_ERR__COUNT,
};

const char *vring_error_name(enum vring_error err);

/**
 * struct vring_chain - one walked descriptor chain
 * @head: its head index (the id returned in the used ring)
 * @n_iov: segments written to the caller's iovec array
 * @len: their total length
 */
struct vring_chain {
	uint16_t head;
	unsigned int n_iov;
	uint32_t len;
};

/**
 * vring_walk() - translate a descriptor chain into iovecs
 * @m: memory table
 * @desc: the descriptor table (host address, @num entries)
 * @num: queue size
 * @head: head index from the available ring
 * @writable: true for device-writable buffers (receive), false for
 *	device-readable ones (transmit); every descriptor must match
 * @allow_indirect: VIRTIO_F_RING_INDIRECT_DESC was negotiated
 * @iov: output segments
 * @iov_max: their number (at most VRING_IOV_MAX are used)
 * @ret: the chain
 *
 * Each descriptor is copied once before use, so a guest changing it
 * meanwhile cannot make the walk read outside the tables. Zero-length
 * descriptors are skipped. Nothing outside the memory table is named by
 * the iovecs.
 *
 * Return: VRING_OK, or the error that stops the queue.
 */
enum vring_error vring_walk(const struct vu_memtab *m,
			    const struct vring_desc *desc, unsigned int num,
			    unsigned int head, bool writable,
			    bool allow_indirect, struct iovec *iov,
			    unsigned int iov_max, struct vring_chain *ret);

/* (u16)(new - event - 1) < (u16)(new - old): virtio's vring_need_event. */
static inline bool vring_need_event(uint16_t event, uint16_t new_idx,
				    uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif /* VTAP_VHOST_VRING_H */
