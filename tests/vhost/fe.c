// SPDX-License-Identifier: MIT
/*
 * fe.c - a small vhost-user frontend for the vtap-vhost tests
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fe.h"

#define F(bit) (1ull << (bit))

uint64_t fe_gpa(const struct fe *f, const void *p)
{
	const uint8_t *b = p;

	if (f->mem2 && b >= f->mem2 && b < f->mem2 + FE_MEM_SIZE)
		return FE_GPA2_BASE + (uint64_t)(b - f->mem2);
	return FE_GPA_BASE + (uint64_t)(b - f->mem);
}

void *fe_alloc_in(struct fe *f, int region, size_t size, size_t align)
{
	size_t *alloc = region ? &f->alloc2 : &f->alloc;
	uint8_t *mem = region ? f->mem2 : f->mem;
	size_t off = (*alloc + align - 1) & ~(align - 1);

	if (!mem || off + size > FE_MEM_SIZE) {
		fprintf(stderr, "fe: guest memory exhausted\n");
		abort();
	}
	*alloc = off + size;
	memset(mem + off, 0, size);
	return mem + off;
}

void *fe_alloc(struct fe *f, size_t size, size_t align)
{
	return fe_alloc_in(f, 0, size, align);
}

static int region_map(int *fd, uint8_t **mem)
{
	*fd = memfd_create("vtap-fe", MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, FE_MEM_SIZE))
		return -1;
	*mem = mmap(NULL, FE_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd,
		    0);
	if (*mem == MAP_FAILED) {
		*mem = NULL;
		return -1;
	}
	return 0;
}

static int mem_init(struct fe *f)
{
	memset(f, 0, sizeof(*f));
	f->sock = -1;
	f->memfd2 = -1;
	if (region_map(&f->memfd, &f->mem))
		return -1;
	f->alloc = 4096;
	for (unsigned int i = 0; i < 2 * FE_PAIRS_MAX; i++)
		f->vq[i].kick = f->vq[i].call = f->vq[i].err = -1;
	return 0;
}

int fe_connect(struct fe *f, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (mem_init(f))
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (int i = 0; i < 500; i++) {
		f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(f->sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 0;
		close(f->sock);
		f->sock = -1;
		usleep(10000);
	}
	return -1;
}

int fe_attach(struct fe *f, int sock)
{
	if (mem_init(f))
		return -1;
	f->sock = sock;
	return 0;
}

void fe_close(struct fe *f)
{
	if (f->sock >= 0)
		close(f->sock);
	f->sock = -1;
	for (unsigned int i = 0; i < 2 * FE_PAIRS_MAX; i++) {
		struct fe_vq *vq = &f->vq[i];

		if (vq->kick >= 0)
			close(vq->kick);
		if (vq->call >= 0)
			close(vq->call);
		if (vq->err >= 0)
			close(vq->err);
		vq->kick = vq->call = vq->err = -1;
	}
	if (f->mem && f->mem != MAP_FAILED)
		munmap(f->mem, FE_MEM_SIZE);
	f->mem = NULL;
	if (f->memfd >= 0)
		close(f->memfd);
	f->memfd = -1;
	if (f->mem2)
		munmap(f->mem2, FE_MEM_SIZE);
	f->mem2 = NULL;
	if (f->memfd2 >= 0)
		close(f->memfd2);
	f->memfd2 = -1;
	f->region2_from = 0;
	f->region2_bufs = false;
}

int fe_msg(struct fe *f, uint32_t req, uint32_t flags, const void *payload,
	   uint32_t size, const int *fds, unsigned int nfds, bool reply,
	   uint64_t *ret)
{
	uint8_t buf[VU_HDR_SIZE + VU_PAYLOAD_MAX + 64];
	char cbuf[CMSG_SPACE(VU_FDS_MAX * sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = VU_HDR_SIZE + size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	uint32_t fl = VU_FLAG_VERSION | flags, rsize;
	bool ack = (flags & VU_FLAG_NEED_REPLY) && !reply;

	memcpy(buf, &req, 4);
	memcpy(buf + 4, &fl, 4);
	memcpy(buf + 8, &size, 4);
	if (size)
		memcpy(buf + VU_HDR_SIZE, payload, size);
	if (nfds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(f->sock, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
		return -1;
	if (!reply && !ack)
		return 0;
	if (recv(f->sock, buf, VU_HDR_SIZE, MSG_WAITALL) != VU_HDR_SIZE)
		return -1;
	memcpy(&rsize, buf + 8, 4);
	if (rsize > 64 || (rsize && recv(f->sock, buf + VU_HDR_SIZE, rsize,
					 MSG_WAITALL) != (ssize_t)rsize))
		return -1;
	if (memcmp(buf, &req, 4) || rsize != 8)
		return -1;
	if (ret)
		memcpy(ret, buf + VU_HDR_SIZE, 8);
	return 0;
}

int fe_get_u64(struct fe *f, uint32_t req, uint64_t *ret)
{
	return fe_msg(f, req, 0, NULL, 0, NULL, 0, true, ret);
}

/* With REPLY_ACK, every setting waits for the backend's ack. */
static uint32_t ackflag(const struct fe *f)
{
	return (f->proto & F(VU_PF_REPLY_ACK)) ? VU_FLAG_NEED_REPLY : 0;
}

static int set_msg(struct fe *f, uint32_t req, const void *p, uint32_t size,
		   const int *fds, unsigned int nfds)
{
	uint64_t ack = 0;

	if (fe_msg(f, req, ackflag(f), p, size, fds, nfds, false, &ack))
		return -1;
	return ack ? -1 : 0;
}

int fe_set_u64(struct fe *f, uint32_t req, uint64_t v)
{
	return set_msg(f, req, &v, 8, NULL, 0);
}

static uint32_t buf_size_for(unsigned int index)
{
	/* tx: room for a 64 KiB frame in a group of 4 descriptors. */
	return index & 1 ? 17000 : 2048;
}

int fe_setup_vq(struct fe *f, unsigned int index, unsigned int num,
		uint32_t buf_size)
{
	struct fe_vq *vq = &f->vq[index];
	struct vu_vring_state st = {index, num};
	uint8_t addr[40];
	uint64_t v;

	vq->index = index;
	vq->num = num;
	vq->buf_size = buf_size ? buf_size : buf_size_for(index);
	int reg = f->region2_from && index / 2 >= f->region2_from;
	int ring_reg = reg && !f->region2_bufs;

	vq->desc = fe_alloc_in(f, ring_reg, 16 * num, 16);
	vq->avail = fe_alloc_in(f, ring_reg, 6 + 2 * num, 2);
	vq->used = fe_alloc_in(f, ring_reg, 6 + 8 * num, 4);
	vq->bufs = fe_alloc_in(f, reg, (size_t)num * vq->buf_size, 64);
	vq->avail_idx = 0;
	vq->last_used = 0;
	if (vq->kick < 0)
		vq->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->call < 0)
		vq->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->err < 0)
		vq->err = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (set_msg(f, VU_SET_VRING_NUM, &st, 8, NULL, 0))
		return -1;
	memset(addr, 0, sizeof(addr));
	memcpy(addr, &index, 4);
	v = (uintptr_t)vq->desc;
	memcpy(addr + 8, &v, 8);
	v = (uintptr_t)vq->used;
	memcpy(addr + 16, &v, 8);
	v = (uintptr_t)vq->avail;
	memcpy(addr + 24, &v, 8);
	if (set_msg(f, VU_SET_VRING_ADDR, addr, 40, NULL, 0))
		return -1;
	st.num = 0;
	if (set_msg(f, VU_SET_VRING_BASE, &st, 8, NULL, 0))
		return -1;
	v = index;
	if (set_msg(f, VU_SET_VRING_KICK, &v, 8, &vq->kick, 1) ||
	    set_msg(f, VU_SET_VRING_CALL, &v, 8, &vq->call, 1) ||
	    set_msg(f, VU_SET_VRING_ERR, &v, 8, &vq->err, 1))
		return -1;
	return 0;
}

int fe_enable(struct fe *f, unsigned int index, bool on)
{
	struct vu_vring_state st = {index, on};

	return set_msg(f, VU_SET_VRING_ENABLE, &st, 8, NULL, 0);
}

int fe_restart_vq(struct fe *f, unsigned int index)
{
	struct vu_vring_state st = {index, 0};
	uint64_t r;

	if (fe_msg(f, VU_GET_VRING_BASE, 0, &st, 8, NULL, 0, true, &r))
		return -1;
	if (fe_setup_vq(f, index, f->vq[index].num, f->vq[index].buf_size))
		return -1;
	return fe_enable(f, index, true);
}

int fe_start(struct fe *f, uint64_t want, unsigned int pairs, unsigned int num)
{
	uint8_t mem[8 + 2 * 32];
	int fds[2];
	unsigned int nreg = 1;
	uint64_t v, q;
	uint32_t n32;

	if (fe_get_u64(f, VU_GET_FEATURES, &f->offered))
		return -1;
	if (!(f->offered & F(VU_F_PROTOCOL_FEATURES)) ||
	    fe_get_u64(f, VU_GET_PROTOCOL_FEATURES, &v))
		return -1;
	f->proto = v & (F(VU_PF_MQ) | F(VU_PF_REPLY_ACK));
	if (fe_msg(f, VU_SET_PROTOCOL_FEATURES, 0, &f->proto, 8, NULL, 0, false,
		   NULL))
		return -1;
	if (fe_get_u64(f, VU_GET_QUEUE_NUM, &q) || q < pairs)
		return -1;
	if (set_msg(f, VU_SET_OWNER, NULL, 0, NULL, 0))
		return -1;
	f->features = (want & f->offered) | F(VU_F_PROTOCOL_FEATURES);
	if (fe_set_u64(f, VU_SET_FEATURES, f->features))
		return -1;
	if (f->features & F(57))
		f->hdr_len = 20;
	else if (f->features & (F(32) | F(15)))
		f->hdr_len = 12;
	else
		f->hdr_len = 10;
	memset(mem, 0, sizeof(mem));
	v = FE_GPA_BASE;
	memcpy(mem + 8, &v, 8);
	v = FE_MEM_SIZE;
	memcpy(mem + 16, &v, 8);
	v = (uintptr_t)f->mem;
	memcpy(mem + 24, &v, 8);
	fds[0] = f->memfd;
	if (f->region2_from) {
		if (!f->mem2 && region_map(&f->memfd2, &f->mem2))
			return -1;
		v = FE_GPA2_BASE;
		memcpy(mem + 40, &v, 8);
		v = FE_MEM_SIZE;
		memcpy(mem + 48, &v, 8);
		v = (uintptr_t)f->mem2;
		memcpy(mem + 56, &v, 8);
		fds[1] = f->memfd2;
		nreg = 2;
	}
	n32 = nreg;
	memcpy(mem, &n32, 4);
	if (set_msg(f, VU_SET_MEM_TABLE, mem, 8 + 32 * nreg, fds, nreg))
		return -1;
	f->pairs = pairs;
	for (unsigned int i = 0; i < 2 * pairs; i++)
		if (fe_setup_vq(f, i, num, 0) || fe_enable(f, i, true))
			return -1;
	return 0;
}

void fe_kick(struct fe *f, unsigned int index)
{
	uint64_t one = 1;

	if (write(f->vq[index].kick, &one, 8) != 8)
		abort();
}

void fe_make_avail(struct fe *f, unsigned int index, uint16_t head)
{
	struct fe_vq *vq = &f->vq[index];

	vq->avail->ring[vq->avail_idx % vq->num] = head;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	if (!f->hold_kick)
		fe_kick(f, index);
}

int fe_tx(struct fe *f, unsigned int pair, const void *hdr, const void *frame,
	  size_t len, int layout)
{
	struct fe_vq *vq = &f->vq[2 * pair + 1];
	unsigned int g = vq->avail_idx % (vq->num / 4), h = 4 * g;
	uint8_t *buf = vq->bufs + (size_t)h * vq->buf_size;
	struct vring_desc *d = vq->desc;
	size_t p1, p2;

	if (f->hdr_len + len > 4ull * vq->buf_size)
		return -1;
	if (hdr)
		memcpy(buf, hdr, f->hdr_len);
	else
		memset(buf, 0, f->hdr_len);
	memcpy(buf + f->hdr_len, frame, len);
	if (layout == 0) {
		d[h] = (struct vring_desc){fe_gpa(f, buf),
					   (uint32_t)(f->hdr_len + len), 0, 0};
		fe_make_avail(f, vq->index, (uint16_t)h);
		return h;
	}
	/* Header alone, then the frame in 3 pieces (the first 20 bytes). */
	p1 = len < 20 ? len : 20;
	p2 = (len - p1) / 2;
	{
		struct vring_desc c[4] = {
			{fe_gpa(f, buf), f->hdr_len, VRING_DESC_F_NEXT, 1},
			{fe_gpa(f, buf + f->hdr_len), (uint32_t)p1,
			 VRING_DESC_F_NEXT, 2},
			{fe_gpa(f, buf + f->hdr_len + p1), (uint32_t)p2,
			 VRING_DESC_F_NEXT, 3},
			{fe_gpa(f, buf + f->hdr_len + p1 + p2),
			 (uint32_t)(len - p1 - p2), 0, 0},
		};

		if (layout == 1) {
			for (int i = 0; i < 4; i++) {
				d[h + i] = c[i];
				if (i < 3)
					d[h + i].next = (uint16_t)(h + i + 1);
			}
		} else {
			struct vring_desc *t = fe_alloc(f, sizeof(c), 16);

			memcpy(t, c, sizeof(c));
			d[h] = (struct vring_desc){fe_gpa(f, t), sizeof(c),
						   VRING_DESC_F_INDIRECT, 0};
		}
	}
	fe_make_avail(f, vq->index, (uint16_t)h);
	return h;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wait_call(struct fe_vq *vq, int ms)
{
	struct pollfd pfd = {.fd = vq->call, .events = POLLIN};
	uint64_t v;

	if (poll(&pfd, 1, ms) > 0 && read(vq->call, &v, 8) < 0)
		return;
}

int fe_tx_wait(struct fe *f, unsigned int pair, int timeout_ms)
{
	struct fe_vq *vq = &f->vq[2 * pair + 1];
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) !=
	       vq->avail_idx) {
		if (now_ms() > end)
			return -1;
		wait_call(vq, 10);
	}
	vq->last_used = vq->avail_idx;
	return 0;
}

void fe_rx_post(struct fe *f, unsigned int pair, unsigned int n)
{
	struct fe_vq *vq = &f->vq[2 * pair];

	for (unsigned int i = 0; i < n && i < vq->num; i++) {
		vq->desc[i] = (struct vring_desc){
			fe_gpa(f, vq->bufs + (size_t)i * vq->buf_size),
			vq->buf_size, VRING_DESC_F_WRITE, 0};
		vq->avail->ring[vq->avail_idx % vq->num] = (uint16_t)i;
		vq->avail_idx++;
	}
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	fe_kick(f, vq->index);
}

/* Wait for the next used entry of an rx ring; its buffer, or NULL. */
static const uint8_t *next_used(struct fe *f, struct fe_vq *vq, uint32_t *len,
				uint16_t *id, uint64_t end)
{
	struct vring_used_elem e;

	while (__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) ==
	       vq->last_used) {
		if (now_ms() > end)
			return NULL;
		wait_call(vq, 10);
	}
	e = vq->used->ring[vq->last_used % vq->num];
	vq->last_used++;
	if (e.id >= vq->num || e.len > vq->buf_size) {
		fprintf(stderr, "fe: bad used entry id %u len %u\n", e.id,
			e.len);
		return NULL;
	}
	*len = e.len;
	*id = (uint16_t)e.id;
	return vq->bufs + (size_t)e.id * vq->buf_size;
}

static void repost(struct fe *f, struct fe_vq *vq, uint16_t id)
{
	vq->avail->ring[vq->avail_idx % vq->num] = id;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	fe_kick(f, vq->index);
}

int fe_rx(struct fe *f, unsigned int pair, uint8_t *out, size_t cap,
	  unsigned int *ret_nbufs, int timeout_ms)
{
	struct fe_vq *vq = &f->vq[2 * pair];
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	const uint8_t *b;
	unsigned int nb = 1;
	size_t total = 0;
	uint32_t len;
	uint16_t id;

	for (unsigned int i = 0; i < nb; i++) {
		b = next_used(f, vq, &len, &id, i ? end + 2000 : end);
		if (!b)
			return i ? -1 : 0;
		if (i == 0 && (f->features & F(15)) && len >= 12)
			nb = (unsigned int)(b[10] | b[11] << 8);
		if (nb == 0 || total + len > cap)
			return -1;
		memcpy(out + total, b, len);
		total += len;
		repost(f, vq, id);
	}
	if (ret_nbufs)
		*ret_nbufs = nb;
	return (int)total;
}
