// SPDX-License-Identifier: MIT
/*
 * vring.c - guest address translation and the descriptor walker (pure,
 * fuzzed by fuzz_vring)
 *
 * Theory of operation: a guest owns the descriptor tables and may change
 * them at any time, also while they are walked. So every descriptor is
 * copied to the stack before it is used, every address is checked against
 * the memory table with overflow-safe arithmetic, and the walk is bounded
 * by the size of the table it follows (the queue, or one indirect table):
 * a chain that would take more steps than its table has entries loops
 * (virtio spec 2.7.5.3: "the driver MUST NOT create a descriptor chain
 * longer than the Queue Size"). An indirect descriptor may appear only as
 * the sole buffer of a chain's head (no NEXT, spec 2.7.5.3.1), its table
 * a whole number of 16-byte descriptors inside one region, and never
 * inside another indirect table.
 */
#include <assert.h>
#include <string.h>

#include "vring.h"
#include "vtap/vtap.h"

static const char *const error_names[] = {
	[VRING_OK] = "ok",
	[VRING_ERR_HEAD] = "head index out of range",
	[VRING_ERR_ADDR] = "buffer outside guest memory",
	[VRING_ERR_LOOP] = "descriptor chain loops or is longer than its table",
	[VRING_ERR_INDIRECT] = "bad indirect descriptor table",
	[VRING_ERR_DIRECTION] = "descriptor of the wrong direction",
	[VRING_ERR_TOO_LONG] = "chain has too many segments or bytes",
	[VRING_ERR_AVAIL] = "available index runs ahead of the queue size",
	[VRING_ERR_HDR] = "chain shorter than the virtio-net header",
	[VRING_ERR_FAULT] = "guest memory faulted (its file shrank)",
};
static_assert(sizeof(error_names) / sizeof(error_names[0]) == VRING_ERR__COUNT,
	      "every error has a name");
/* Published as libvtap's enum vtap_ring_error, one below. */
static_assert(VRING_ERR_HEAD - 1 == VTAP_RING_ERR_HEAD &&
		      VRING_ERR_ADDR - 1 == VTAP_RING_ERR_ADDR &&
		      VRING_ERR_LOOP - 1 == VTAP_RING_ERR_LOOP &&
		      VRING_ERR_INDIRECT - 1 == VTAP_RING_ERR_INDIRECT &&
		      VRING_ERR_DIRECTION - 1 == VTAP_RING_ERR_DIRECTION &&
		      VRING_ERR_TOO_LONG - 1 == VTAP_RING_ERR_TOO_LONG &&
		      VRING_ERR_AVAIL - 1 == VTAP_RING_ERR_AVAIL &&
		      VRING_ERR_HDR - 1 == VTAP_RING_ERR_HDR &&
		      VRING_ERR_FAULT - 1 == VTAP_RING_ERR_FAULT &&
		      VRING_ERR__COUNT - 1 == VTAP_RING_ERR__COUNT,
	      "vring errors map onto enum vtap_ring_error");

const char *vring_error_name(enum vring_error err)
{
	return (unsigned int)err < VRING_ERR__COUNT ? error_names[err] : "?";
}

/* [a, a + len) inside [base, base + size), without overflow. */
static bool inside(uint64_t a, uint64_t len, uint64_t base, uint64_t size)
{
	return a >= base && a - base <= size && len <= size - (a - base);
}

void *vu_gpa_to_host(const struct vu_memtab *m, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < m->n && i < VU_MEM_REGIONS_MAX; i++) {
		const struct vu_region *r = &m->r[i];

		if (inside(gpa, len, r->gpa, r->size))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

void *vu_uva_to_host(const struct vu_memtab *m, uint64_t uva, uint64_t len)
{
	for (unsigned int i = 0; i < m->n && i < VU_MEM_REGIONS_MAX; i++) {
		const struct vu_region *r = &m->r[i];

		if (inside(uva, len, r->uva, r->size))
			return r->host + (uva - r->uva);
	}
	return NULL;
}

/*
 * Append [gpa, gpa + len) to @iov, split at region boundaries (a buffer
 * may span two adjacent regions).
 */
static enum vring_error add_buf(const struct vu_memtab *m, uint64_t gpa,
				uint32_t len, struct iovec *iov,
				unsigned int iov_max, struct vring_chain *c)
{
	if ((uint64_t)c->len + len > UINT32_MAX)
		return VRING_ERR_TOO_LONG;
	while (len) {
		const struct vu_region *hit = NULL;
		uint64_t chunk;

		for (unsigned int i = 0; i < m->n && i < VU_MEM_REGIONS_MAX;
		     i++) {
			const struct vu_region *r = &m->r[i];

			if (gpa >= r->gpa && gpa - r->gpa < r->size) {
				hit = r;
				break;
			}
		}
		if (!hit)
			return VRING_ERR_ADDR;
		chunk = hit->size - (gpa - hit->gpa);
		if (chunk > len)
			chunk = len;
		if (c->n_iov >= iov_max)
			return VRING_ERR_TOO_LONG;
		iov[c->n_iov].iov_base = hit->host + (gpa - hit->gpa);
		iov[c->n_iov].iov_len = chunk;
		c->n_iov++;
		c->len += (uint32_t)chunk;
		len -= (uint32_t)chunk;
		if (gpa + chunk < gpa)
			return VRING_ERR_ADDR;
		gpa += chunk;
	}
	return VRING_OK;
}

static void load_desc(const struct vring_desc *src, struct vring_desc *d)
{
	/* One copy; volatile so the compiler cannot re-read guest memory. */
	const volatile struct vring_desc *v = src;

	d->addr = v->addr;
	d->len = v->len;
	d->flags = v->flags;
	d->next = v->next;
}

enum vring_error vring_walk(const struct vu_memtab *m,
			    const struct vring_desc *desc, unsigned int num,
			    unsigned int head, bool writable,
			    bool allow_indirect, struct iovec *iov,
			    unsigned int iov_max, struct vring_chain *ret)
{
	const struct vring_desc *table = desc;
	unsigned int table_len = num, steps = 0, i = head;
	struct vring_chain c = {.head = (uint16_t)head};
	bool indirect = false;
	enum vring_error err;

	if (iov_max > VRING_IOV_MAX)
		iov_max = VRING_IOV_MAX;
	if (head >= num)
		return VRING_ERR_HEAD;
	for (;;) {
		struct vring_desc d;

		if (++steps > table_len)
			return VRING_ERR_LOOP;
		load_desc(&table[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* Only a head, alone, outside any indirect table. */
			if (!allow_indirect || indirect || steps != 1 ||
			    (d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
			    d.len % sizeof(struct vring_desc))
				return VRING_ERR_INDIRECT;
			table = vu_gpa_to_host(m, d.addr, d.len);
			if (!table || (uintptr_t)table % _Alignof(uint64_t))
				return VRING_ERR_INDIRECT;
			table_len = d.len / sizeof(struct vring_desc);
			if (table_len > VRING_IOV_MAX)
				return VRING_ERR_INDIRECT;
			indirect = true;
			steps = 0;
			i = 0;
			continue;
		}
		if (!!(d.flags & VRING_DESC_F_WRITE) != writable)
			return VRING_ERR_DIRECTION;
		if (d.len) {
			err = add_buf(m, d.addr, d.len, iov, iov_max, &c);
			if (err)
				return err;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= table_len)
			return VRING_ERR_HEAD;
		i = d.next;
	}
	*ret = c;
	return VRING_OK;
}
