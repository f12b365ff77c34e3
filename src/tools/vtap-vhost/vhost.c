// SPDX-License-Identifier: MIT
/*
 * vhost.c - the vhost-user protocol: features, memory table, rings
 *
 * Theory of operation: one message is read whole (header, descriptors,
 * payload) and checked by vu_msg_parse() before anything acts on it;
 * descriptors that came with a refused or finished message are closed.
 * A message that cannot be framed (bad header, short read) ends the
 * connection; a well-framed message with a bad argument (ring index,
 * queue size, an address outside the memory table) is refused with a log
 * line and, when the frontend asked for it (REPLY_ACK), a non-zero ack.
 *
 * Ring life cycle (vhost-user spec, "Starting and stopping rings"): a ring
 * starts when its kick is set and its addresses translate, and stops on
 * GET_VRING_BASE. With VHOST_USER_F_PROTOCOL_FEATURES negotiated a ring
 * moves frames only while SET_VRING_ENABLE says so; without, a started
 * ring is enabled. A receive ring that is enabled and started keeps its
 * tap queue attached; otherwise the queue is detached (net.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "vhost.h"

struct vh_vq *vh_vq(struct vh_dev *d, unsigned int index)
{
	if (index >= 2 * d->npairs)
		return NULL;
	return index & 1 ? &d->pair[index / 2].tx : &d->pair[index / 2].rx;
}

uint64_t vh_offered_features(struct vh_dev *d)
{
	uint32_t ops = d->o.offloads, k = d->kernel_offloads;
	uint64_t f =
		VH_F(VIRTIO_F_VERSION_1_) | VH_F(VIRTIO_NET_F_MRG_RXBUF_) |
		VH_F(VIRTIO_NET_F_STATUS_) | VH_F(VIRTIO_NET_F_CTRL_VQ_) |
		VH_F(VIRTIO_NET_F_MQ_) | VH_F(VIRTIO_RING_F_INDIRECT_DESC_) |
		VH_F(VIRTIO_RING_F_EVENT_IDX_) | VH_F(VU_F_PROTOCOL_FEATURES);

	/*
	 * Guest -> tap: the tap's write path takes every GSO type whatever
	 * TUNSETOFFLOAD says, and libvtap segments in software what a
	 * kernel refuses (USO before 6.2), so these only need the operator.
	 */
	if (ops & VTAP_OFFLOAD_CSUM) {
		f |= VH_F(VIRTIO_NET_F_CSUM_);
		if (ops & VTAP_OFFLOAD_TSO4)
			f |= VH_F(VIRTIO_NET_F_HOST_TSO4_);
		if (ops & VTAP_OFFLOAD_TSO6)
			f |= VH_F(VIRTIO_NET_F_HOST_TSO6_);
		if (ops & VTAP_OFFLOAD_TSO_ECN)
			f |= VH_F(VIRTIO_NET_F_HOST_ECN_);
		if (ops & VTAP_OFFLOAD_USO)
			f |= VH_F(VIRTIO_NET_F_HOST_USO_);
	}
	/* Tap -> guest: only what the kernel can hand over (TUNSETOFFLOAD). */
	ops &= k;
	if (ops & VTAP_OFFLOAD_CSUM) {
		f |= VH_F(VIRTIO_NET_F_GUEST_CSUM_);
		if (ops & VTAP_OFFLOAD_TSO4)
			f |= VH_F(VIRTIO_NET_F_GUEST_TSO4_);
		if (ops & VTAP_OFFLOAD_TSO6)
			f |= VH_F(VIRTIO_NET_F_GUEST_TSO6_);
		if ((ops & VTAP_OFFLOAD_TSO_ECN) &&
		    (ops & (VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6)))
			f |= VH_F(VIRTIO_NET_F_GUEST_ECN_);
		if (ops & VTAP_OFFLOAD_USO)
			f |= VH_F(VIRTIO_NET_F_GUEST_USO4_) |
			     VH_F(VIRTIO_NET_F_GUEST_USO6_);
	}
	if (d->o.hash_report)
		f |= VH_F(VIRTIO_NET_F_HASH_REPORT_);
	return f;
}

/* The tap offloads (TUNSETOFFLOAD) that follow the guest's features. */
static uint32_t guest_offloads(uint64_t f)
{
	uint32_t o = 0;

	if (!(f & VH_F(VIRTIO_NET_F_GUEST_CSUM_)))
		return 0;
	o |= VTAP_OFFLOAD_CSUM;
	if (f & VH_F(VIRTIO_NET_F_GUEST_TSO4_))
		o |= VTAP_OFFLOAD_TSO4;
	if (f & VH_F(VIRTIO_NET_F_GUEST_TSO6_))
		o |= VTAP_OFFLOAD_TSO6;
	if ((f & VH_F(VIRTIO_NET_F_GUEST_ECN_)) &&
	    (o & (VTAP_OFFLOAD_TSO4 | VTAP_OFFLOAD_TSO6)))
		o |= VTAP_OFFLOAD_TSO_ECN;
	if ((f & VH_F(VIRTIO_NET_F_GUEST_USO4_)) &&
	    (f & VH_F(VIRTIO_NET_F_GUEST_USO6_)))
		o |= VTAP_OFFLOAD_USO;
	return o;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void unmap_all(struct vh_dev *d)
{
	for (unsigned int i = 0; i < VU_MEM_REGIONS_MAX; i++) {
		if (d->maps[i].base)
			munmap(d->maps[i].base, d->maps[i].len);
		d->maps[i].base = NULL;
		d->maps[i].len = 0;
	}
	memset(&d->mem, 0, sizeof(d->mem));
}

/* Translate a ring's addresses; false when they are not in memory. */
static bool translate(struct vh_dev *d, struct vh_vq *vq)
{
	size_t n = vq->num;

	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	if (!vq->addr_set || !n || !d->mem.n)
		return false;
	vq->desc = vu_uva_to_host(&d->mem, vq->addr.desc_uva,
				  n * sizeof(struct vring_desc));
	vq->avail = vu_uva_to_host(&d->mem, vq->addr.avail_uva, 6 + 2 * n);
	vq->used = vu_uva_to_host(&d->mem, vq->addr.used_uva,
				  6 + n * sizeof(struct vring_used_elem));
	/* Alignment (spec 2.7): descriptors 16, available 2, used 4. */
	if (!vq->desc || !vq->avail || !vq->used || (uintptr_t)vq->desc % 16 ||
	    (uintptr_t)vq->avail % 2 || (uintptr_t)vq->used % 4) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return false;
	}
	return true;
}

static void vq_kick_watch(struct vh_dev *d, struct vh_vq *vq, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = VH_EV(VH_EV_KICK, vq->index)};

	if (vq->kick_fd < 0)
		return;
	int epfd = d->pair[vq->index / 2].epfd;

	if (on)
		epoll_ctl(epfd, EPOLL_CTL_ADD, vq->kick_fd, &ev);
	else
		epoll_ctl(epfd, EPOLL_CTL_DEL, vq->kick_fd, NULL);
}

/* Re-evaluate whether a ring runs, after any change to it. */
static void vq_update(struct vh_dev *d, struct vh_vq *vq)
{
	bool was = vh_vq_ready(vq);

	vq->started = translate(d, vq) && vq->kick_set;
	/* Without protocol features a started ring is enabled (spec). */
	if (!d->proto_set && !(d->features & VH_F(VU_F_PROTOCOL_FEATURES)))
		vq->enabled = vq->started;
	/*
	 * A stopped ring (broken) is not ready either, but it is not read
	 * again until the driver resets it (GET_VRING_BASE, SET_VRING_KICK
	 * clear broken): a SET_VRING_ENABLE or a memory table change must
	 * not fault (and count) on memory that is gone a second time.
	 */
	if (vq->started && !was && !vq->broken && vq->used) {
		/* Frames handled before a reconnect are in the used ring. */
		if (!vh_guest_load16(&vq->used->idx, &vq->last_used))
			vh_vq_fail(d, vq, VRING_ERR_FAULT);
		vq->signalled_valid = false;
	}
	vh_net_update_pair(d, &d->pair[vq->index / 2]);
}

/* A stopped ring runs again (or is reset): no longer "stopped now". */
static void vq_unbreak(struct vh_dev *d, struct vh_vq *vq)
{
	if (vq->broken)
		vtap_queue__ring_error(d->pair[vq->index / 2].q, vq->index & 1,
				       -1);
	vq->broken = false;
}

static void vq_stop(struct vh_dev *d, struct vh_vq *vq)
{
	vq_kick_watch(d, vq, false);
	close_fd(&vq->kick_fd);
	vq->kick_set = false;
	vq->started = false;
	vq_unbreak(d, vq);
	vh_net_update_pair(d, &d->pair[vq->index / 2]);
}

static void vq_reset(struct vh_dev *d, struct vh_vq *vq)
{
	vq_stop(d, vq);
	close_fd(&vq->call_fd);
	close_fd(&vq->err_fd);
	vq->num = 0;
	vq->addr_set = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = 0;
	vq->last_used = 0;
	vq->enabled = false;
	vq->signalled_valid = false;
}

void vh_reset(struct vh_dev *d)
{
	for (unsigned int i = 0; i < d->npairs; i++) {
		vq_reset(d, &d->pair[i].rx);
		vq_reset(d, &d->pair[i].tx);
	}
	unmap_all(d);
	d->features = 0;
	d->features_set = false;
	d->proto = 0;
	d->proto_set = false;
	d->guest_hdr = VTAP_VNET_HDR_V1_LEN;
	for (unsigned int i = 0; i < d->npairs; i++)
		vh_net_update_pair(d, &d->pair[i]);
}

static int map_region(struct vh_dev *d, unsigned int slot,
		      const struct vu_mem_region *r, int fd)
{
	uint64_t len = r->size + r->mmap_offset;
	struct stat st;
	void *base;
	int seals;

	if (!r->size || len < r->size || len > SIZE_MAX) {
		vh_log("memory region %u: size %#llx + offset %#llx is not "
		       "valid; fix the frontend's memory layout",
		       slot, (unsigned long long)r->size,
		       (unsigned long long)r->mmap_offset);
		return -EINVAL;
	}
	/* A file shorter than the region would fault (SIGBUS) on access. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size < len) {
		vh_log("memory region %u: its file has %lld bytes, the region "
		       "needs %llu; fix the frontend's memory layout",
		       slot, (long long)st.st_size, (unsigned long long)len);
		return -EINVAL;
	}
	base = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (base == MAP_FAILED) {
		vh_log("memory region %u: mmap of %llu bytes: %s (the frontend "
		       "must share guest memory: memfd or share=on)",
		       slot, (unsigned long long)len, strerror(errno));
		return -errno;
	}
	/*
	 * A file not sealed against shrinking may be truncated under us: the
	 * guard (guard.h) then stops the rings that touch it. Said once per
	 * region, for an operator wondering about VRING_ERR_FAULT.
	 */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		vh_log("memory region %u: its file %s; should the frontend "
		       "shrink it, the rings in it stop",
		       slot,
		       seals < 0 ? "cannot be sealed (not a memfd)"
				 : "is not sealed against shrinking");
	d->maps[slot].base = base;
	d->maps[slot].len = (size_t)len;
	d->mem.r[slot].gpa = r->gpa;
	d->mem.r[slot].size = r->size;
	d->mem.r[slot].uva = r->uva;
	d->mem.r[slot].host = (uint8_t *)base + r->mmap_offset;
	return 0;
}

static void retranslate_all(struct vh_dev *d)
{
	for (unsigned int i = 0; i < 2 * d->npairs; i++)
		vq_update(d, vh_vq(d, i));
}

static int set_mem_table(struct vh_dev *d, const struct vu_msg *m,
			 const int *fds)
{
	int err = 0;

	unmap_all(d);
	for (unsigned int i = 0; i < m->n_regions; i++) {
		err = map_region(d, i, &m->regions[i], fds[i]);
		if (err)
			break;
		d->mem.n = i + 1;
	}
	if (err)
		unmap_all(d);
	retranslate_all(d);
	return err;
}

static int add_mem_reg(struct vh_dev *d, const struct vu_msg *m, int fd)
{
	unsigned int slot;
	int err;

	if (d->mem.n >= VU_MEM_REGIONS_MAX) {
		vh_log("ADD_MEM_REG: all %d slots in use", VU_MEM_REGIONS_MAX);
		return -ENOSPC;
	}
	slot = d->mem.n;
	err = map_region(d, slot, &m->regions[0], fd);
	if (err)
		return err;
	d->mem.n++;
	retranslate_all(d);
	return 0;
}

static int rem_mem_reg(struct vh_dev *d, const struct vu_msg *m)
{
	const struct vu_mem_region *r = &m->regions[0];

	for (unsigned int i = 0; i < d->mem.n; i++) {
		if (d->mem.r[i].gpa != r->gpa || d->mem.r[i].size != r->size ||
		    d->mem.r[i].uva != r->uva)
			continue;
		munmap(d->maps[i].base, d->maps[i].len);
		/* Keep the table dense: the last region takes the slot. */
		d->mem.n--;
		d->mem.r[i] = d->mem.r[d->mem.n];
		d->maps[i] = d->maps[d->mem.n];
		memset(&d->mem.r[d->mem.n], 0, sizeof(d->mem.r[0]));
		d->maps[d->mem.n].base = NULL;
		d->maps[d->mem.n].len = 0;
		retranslate_all(d);
		return 0;
	}
	vh_log("REM_MEM_REG: no region at %#llx", (unsigned long long)r->gpa);
	return -ENOENT;
}

static int send_reply(struct vh_dev *d, const struct vu_msg *m,
		      const void *payload, uint32_t size)
{
	uint8_t buf[VU_HDR_SIZE + 16];
	uint32_t flags = VU_FLAG_VERSION | VU_FLAG_REPLY;
	ssize_t n;

	memcpy(buf, &m->request, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	memcpy(buf + VU_HDR_SIZE, payload, size);
	n = send(d->conn_fd, buf, VU_HDR_SIZE + size, MSG_NOSIGNAL);
	return n == (ssize_t)(VU_HDR_SIZE + size) ? 0 : -EIO;
}

static int reply_u64(struct vh_dev *d, const struct vu_msg *m, uint64_t v)
{
	return send_reply(d, m, &v, sizeof(v));
}

/* Read one message with its descriptors; -errno ends the connection. */
static int read_message(struct vh_dev *d, uint8_t *buf, int *fds,
			unsigned int *ret_nfds)
{
	char cbuf[CMSG_SPACE(VU_FDS_MAX * sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = VU_HDR_SIZE};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	unsigned int nfds = 0;
	uint32_t size;
	ssize_t n;

	*ret_nfds = 0;
	n = recvmsg(d->conn_fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t j = 0; j < k; j++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + j * sizeof(int), sizeof(fd));
			if (nfds < VU_FDS_MAX)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	*ret_nfds = nfds;
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return -errno;
	if (n != VU_HDR_SIZE || (mh.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	size = vu_msg_hdr_size(buf);
	if (size > VU_PAYLOAD_MAX)
		return -E2BIG;
	if (size) {
		n = recv(d->conn_fd, buf + VU_HDR_SIZE, size, MSG_WAITALL);
		if (n != (ssize_t)size)
			return n < 0 ? -errno : -EPROTO;
	}
	return (int)(VU_HDR_SIZE + size);
}

static bool has_own_reply(uint32_t request)
{
	switch (request) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
	case VU_GET_QUEUE_NUM:
	case VU_GET_VRING_BASE:
	case VU_GET_MAX_MEM_SLOTS:
		return true;
	default:
		return false;
	}
}

static struct vh_vq *msg_vq(struct vh_dev *d, const struct vu_msg *m)
{
	struct vh_vq *vq = vh_vq(d, m->state.index);

	if (!vq)
		vh_log("%s: virtqueue %u does not exist (%u queue pairs; "
		       "start vtap-vhost with more --queues)",
		       vu_request_name(m->request), m->state.index, d->npairs);
	return vq;
}

static int set_features(struct vh_dev *d, uint64_t f)
{
	uint64_t extra = f & ~d->offered;
	uint32_t off;
	int err;

	if (extra)
		vh_log("SET_FEATURES: ignoring features %#llx that were not "
		       "offered",
		       (unsigned long long)extra);
	f &= d->offered;
	d->features = f;
	d->features_set = true;
	if (f & VH_F(VIRTIO_NET_F_HASH_REPORT_))
		d->guest_hdr = VTAP_VNET_HDR_HASH_LEN;
	else if (f &
		 (VH_F(VIRTIO_F_VERSION_1_) | VH_F(VIRTIO_NET_F_MRG_RXBUF_)))
		d->guest_hdr = VTAP_VNET_HDR_V1_LEN;
	else
		d->guest_hdr = VTAP_VNET_HDR_LEN;
	off = guest_offloads(f);
	err = vtap_dev__set_offloads(d->dev, off);
	if (err) {
		char buf[80];

		vh_log("%s: set offloads %s: %s", vtap_dev__name(d->dev),
		       vtap_offloads__format(off, buf, sizeof(buf)),
		       strerror(-err));
		return err;
	}
	return 0;
}

int vh_handle_message(struct vh_dev *d)
{
	uint8_t buf[VU_HDR_SIZE + VU_PAYLOAD_MAX];
	int fds[VU_FDS_MAX];
	unsigned int nfds = 0, used_fds = 0;
	enum vu_msg_error perr;
	struct vu_msg m;
	struct vh_vq *vq;
	int len, err = 0;

	len = read_message(d, buf, fds, &nfds);
	if (len < 0) {
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		if (len != -ECONNRESET)
			vh_log("vhost-user socket: reading a message: %s; "
			       "closing the connection",
			       strerror(-len));
		return len;
	}
	perr = vu_msg_parse(buf, (size_t)len, nfds, &m);
	if (perr == VU_MSG_UNKNOWN) {
		/* Well framed: refuse it, keep the connection. */
		uint32_t req, flags;

		memcpy(&req, buf, 4);
		memcpy(&flags, buf + 4, 4);
		vh_log("vhost-user request %u (%s) is not implemented by this "
		       "backend; ignored",
		       req, vu_request_name(req));
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		m.request = req;
		if ((flags & VU_FLAG_NEED_REPLY) &&
		    (d->proto & VH_F(VU_PF_REPLY_ACK)))
			return reply_u64(d, &m, 1);
		return 0;
	}
	if (perr != VU_MSG_OK) {
		uint32_t req;

		memcpy(&req, buf, 4);
		vh_log("vhost-user message %u (%s): %s; closing the connection",
		       req, vu_request_name(req), vu_msg_error_name(perr));
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}

	switch (m.request) {
	case VU_GET_FEATURES:
		err = reply_u64(d, &m, d->offered);
		break;
	case VU_SET_FEATURES:
		err = set_features(d, m.u64);
		for (unsigned int i = 0; i < 2 * d->npairs; i++)
			vq_update(d, vh_vq(d, i));
		break;
	case VU_SET_OWNER:
		break;
	case VU_RESET_OWNER:
	case VU_RESET_DEVICE:
		vh_reset(d);
		break;
	case VU_GET_PROTOCOL_FEATURES:
		err = reply_u64(d, &m, d->proto_offered);
		break;
	case VU_SET_PROTOCOL_FEATURES:
		d->proto = m.u64 & d->proto_offered;
		d->proto_set = true;
		break;
	case VU_GET_QUEUE_NUM:
		err = reply_u64(d, &m, d->npairs);
		break;
	case VU_GET_MAX_MEM_SLOTS:
		err = reply_u64(d, &m, VU_MEM_REGIONS_MAX);
		break;
	case VU_SET_MEM_TABLE:
		err = set_mem_table(d, &m, fds);
		break;
	case VU_ADD_MEM_REG:
		err = add_mem_reg(d, &m, fds[0]);
		break;
	case VU_REM_MEM_REG:
		err = rem_mem_reg(d, &m);
		break;
	case VU_SET_VRING_NUM:
		vq = msg_vq(d, &m);
		if (!vq) {
			err = -EINVAL;
			break;
		}
		if (!m.state.num || m.state.num > VRING_NUM_MAX ||
		    (m.state.num & (m.state.num - 1))) {
			vh_log("SET_VRING_NUM: queue size %u of virtqueue %u "
			       "is not a power of two up to %d",
			       m.state.num, vq->index, VRING_NUM_MAX);
			err = -EINVAL;
			break;
		}
		vq->num = m.state.num;
		vq_update(d, vq);
		break;
	case VU_SET_VRING_ADDR:
		vq = msg_vq(d, &m);
		if (!vq) {
			err = -EINVAL;
			break;
		}
		vq->addr = m.addr;
		vq->addr_set = true;
		vq_update(d, vq);
		if (!vq->desc && d->mem.n) {
			vh_log("SET_VRING_ADDR: rings of virtqueue %u are not "
			       "inside guest memory (or misaligned)",
			       vq->index);
			err = -EFAULT;
		}
		break;
	case VU_SET_VRING_BASE:
		vq = msg_vq(d, &m);
		if (!vq) {
			err = -EINVAL;
			break;
		}
		vq->last_avail = (uint16_t)m.state.num;
		vq->last_used = (uint16_t)m.state.num;
		break;
	case VU_GET_VRING_BASE: {
		struct vu_vring_state st = {m.state.index, 0};

		vq = msg_vq(d, &m);
		if (vq) {
			st.num = vq->last_avail;
			vq_stop(d, vq);
		}
		err = send_reply(d, &m, &st, sizeof(st));
		break;
	}
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR: {
		int fd = nfds ? fds[0] : -1;

		used_fds = nfds;
		vq = msg_vq(d, &m);
		if (!vq) {
			close_fd(&fd);
			err = -EINVAL;
			break;
		}
		/*
		 * No kick eventfd: the backend would have to poll the ring,
		 * a busy loop the frontend turns on and root pays for.
		 */
		if (m.request == VU_SET_VRING_KICK && fd < 0 &&
		    !d->o.allow_polling) {
			vh_log("SET_VRING_KICK: virtqueue %u without a kick "
			       "eventfd (polling mode) refused; start "
			       "vtap-vhost with --allow-polling to accept it",
			       vq->index);
			err = -EOPNOTSUPP;
			break;
		}
		if (m.request == VU_SET_VRING_CALL) {
			close_fd(&vq->call_fd);
			vq->call_fd = fd;
			vq->signalled_valid = false;
		} else if (m.request == VU_SET_VRING_ERR) {
			close_fd(&vq->err_fd);
			vq->err_fd = fd;
		} else {
			vq_kick_watch(d, vq, false);
			close_fd(&vq->kick_fd);
			vq->kick_fd = fd;
			vq->kick_set = true;
			vq_unbreak(d, vq);
			vq_kick_watch(d, vq, true);
			vq_update(d, vq);
		}
		break;
	}
	case VU_SET_VRING_ENABLE:
		vq = msg_vq(d, &m);
		if (!vq) {
			err = -EINVAL;
			break;
		}
		vq->enabled = m.state.num != 0;
		vq_update(d, vq);
		break;
	default:
		err = -EOPNOTSUPP;
		break;
	}
	/* Region fds were mapped (or failed): either way they are done. */
	for (unsigned int i = used_fds; i < nfds; i++)
		close(fds[i]);
	if (err == -EIO)
		return err;
	if ((m.flags & VU_FLAG_NEED_REPLY) && !has_own_reply(m.request) &&
	    (d->proto & VH_F(VU_PF_REPLY_ACK)))
		return reply_u64(d, &m, err ? 1 : 0);
	return 0;
}
