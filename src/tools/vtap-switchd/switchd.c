// SPDX-License-Identifier: MIT
/*
 * switchd.c - the switch: ports, workers and the forwarding loop
 *
 * Theory of operation
 *
 * Worker w owns queue q of every port where q % workers == w: it alone
 * reads those fds (one epoll set per worker, level-triggered, at most
 * SW_BUDGET frames per fd per round). A frame is read into the worker's
 * buffer with its virtio-net header, forwarded by sw_fwd__decide() (MAC
 * table: lock-free lookups, seqlocked updates) and written, header and
 * all, to one queue of each egress port: a GSO frame crosses as one
 * write. The egress queue is the egress port's table[hash & 127], where
 * hash is the frame's reported hash, else its Toeplitz hash computed with
 * vtap_rss__hash() (the same key and table the ports steer with), so a
 * flow keeps to one queue pair. Writes to a tap fd are atomic per frame,
 * so any worker may write any queue; nothing on this path locks or
 * allocates.
 *
 * Ports come and go only in the main thread. A port is published by
 * filling fwdp[idx] and ports[idx], then setting its bit in @present; it
 * is retired by clearing the bit, removing its fds from the workers'
 * epoll sets, then waiting for a grace period: the main thread bumps
 * @gen, wakes every worker, and waits until each has started a new round
 * (seen_gen == gen), after which no worker can still hold the port. Only
 * then are its MAC entries flushed and its fds closed.
 *
 * A tap deleted under the switch makes its fds report EPOLLERR (reads
 * fail with EBADFD): the worker removes the fd from its set, marks the
 * port gone and pokes the main thread, which retires it.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "switchd.h"

#define WAKE_TAG UINT64_MAX
#define VNET_F_NEEDS_CSUM 1

static inline void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

uint64_t sw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The hash that chooses queues: the reported one, else computed. */
static uint32_t frame_hash(struct sw *sw, const uint8_t *pkt, size_t len,
			   bool *reported)
{
	unsigned int hs = sw->hdr_size;
	struct vtap_rss_result r;

	if (hs >= 20) {
		uint16_t rep = (uint16_t)(pkt[16] | pkt[17] << 8);

		if (rep) {
			*reported = true;
			return (uint32_t)pkt[12] | (uint32_t)pkt[13] << 8 |
			       (uint32_t)pkt[14] << 16 |
			       (uint32_t)pkt[15] << 24;
		}
	}
	*reported = false;
	if (vtap_rss__hash(sw->rss, pkt + hs, len - hs, 0, &r) || !r.report)
		return 0;
	return r.hash;
}

static void send_to(struct sw *sw, uint64_t mask, const uint8_t *pkt,
		    size_t len, uint32_t hash)
{
	while (mask) {
		unsigned int idx = (unsigned int)__builtin_ctzll(mask);
		struct sw_port *e = atomic_load_explicit(&sw->ports[idx],
							 memory_order_acquire);
		unsigned int q;
		ssize_t n;

		mask &= mask - 1;
		if (!e)
			continue;
		q = e->nq > 1 ? e->table[hash & (SW_TABLE_LEN - 1)] : 0;
		n = write(e->fds[q], pkt, len);
		if (n == (ssize_t)len) {
			add(&e->qs[q].tx_packets, 1);
			add(&e->qs[q].tx_bytes, len - sw->hdr_size);
		} else {
			add(&e->qs[q].tx_drops, 1);
		}
	}
}

/* Forward one frame of @len bytes (header included) at @pkt. */
static void forward(struct sw *sw, struct sw_port *in, unsigned int q,
		    uint8_t *pkt, size_t len, uint64_t now)
{
	unsigned int hs = sw->hdr_size;
	uint64_t present =
		atomic_load_explicit(&sw->present, memory_order_acquire);
	struct sw_fwd_result r;
	bool reported = false;
	uint32_t hash = 0;

	add(&in->qs[q].rx_packets, 1);
	add(&in->qs[q].rx_bytes, len - hs);
	if (pkt[1])
		add(&in->qs[q].rx_gso, 1);
	sw_fwd__decide(sw->mac, sw->fwdp, present, (unsigned int)in->idx,
		       pkt + hs, len - hs, now, &r);
	switch (r.verdict) {
	case SW_FWD_OK:
		break;
	case SW_FWD_SHORT:
		add(&in->ps.bad, 1);
		add(&in->qs[q].rx_drops, 1);
		return;
	case SW_FWD_VLAN:
		add(&in->ps.vlan_drops, 1);
		add(&in->qs[q].rx_drops, 1);
		return;
	default:
		add(&in->ps.filtered, 1);
		return;
	}
	add(r.flooded ? &in->ps.flooded : &in->ps.unicast, 1);

	hash = frame_hash(sw, pkt, len, &reported);
	if (in->steered && (reported || hash)) {
		add(&in->qs[q].hash_checked, 1);
		if (in->table[hash & (SW_TABLE_LEN - 1)] != q)
			add(&in->qs[q].hash_mismatch, 1);
	}

	/* First the ports that take the frame as it is, then the others. */
	if (r.in_tagged) {
		send_to(sw, r.tagged, pkt, len, hash);
		if (r.untagged) {
			sw_frame_pop_tag(&pkt, &len, hs);
			send_to(sw, r.untagged, pkt, len, hash);
		}
	} else {
		send_to(sw, r.untagged, pkt, len, hash);
		if (r.tagged) {
			sw_frame_push_tag(&pkt, &len, hs, r.vid);
			send_to(sw, r.tagged, pkt, len, hash);
		}
	}
}

static void port_gone(struct sw *sw, struct sw_worker *w, struct sw_port *p,
		      int fd)
{
	uint64_t one = 1;

	epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (!atomic_exchange(&p->gone, true))
		if (write(sw->gone_fd, &one, sizeof(one)) < 0)
			return;
}

static void poll_queue(struct sw *sw, struct sw_worker *w, struct sw_port *p,
		       unsigned int q, uint64_t now)
{
	int fd = p->fds[q];

	for (int i = 0; i < SW_BUDGET; i++) {
		/* Leave headroom so a VLAN tag can be pushed in place. */
		uint8_t *pkt = w->buf + SW_HEADROOM;
		ssize_t n = read(fd, pkt, sw->hdr_size + SW_FRAME_MAX);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* EBADFD/EIO/ENODEV...: the tap is gone. */
			port_gone(sw, w, p, fd);
			return;
		}
		if ((size_t)n < sw->hdr_size + 14) {
			add(&p->qs[q].rx_drops, 1);
			add(&p->ps.bad, 1);
			continue;
		}
		forward(sw, p, q, pkt, (size_t)n, now);
	}
}

static void *worker_main(void *arg)
{
	struct sw_worker *w = arg;
	struct sw *sw = w->sw;
	struct epoll_event ev[64];

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	for (;;) {
		int n;
		uint64_t now;

		atomic_store_explicit(
			&w->seen_gen,
			atomic_load_explicit(&sw->gen, memory_order_acquire),
			memory_order_release);
		if (atomic_load_explicit(&sw->stop, memory_order_relaxed))
			break;
		n = epoll_wait(w->epfd, ev, 64, -1);
		if (n < 0 && errno != EINTR)
			break;
		now = sw_now_ms();
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64, v;
			unsigned int idx = (unsigned int)(tag >> 32);
			unsigned int q = (unsigned int)tag;
			struct sw_port *p;

			if (tag == WAKE_TAG) {
				if (read(w->wake_fd, &v, sizeof(v)) < 0)
					continue;
				continue;
			}
			p = atomic_load_explicit(&sw->ports[idx],
						 memory_order_acquire);
			if (!p || atomic_load(&p->gone))
				continue;
			if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
				port_gone(sw, w, p, p->fds[q]);
				continue;
			}
			poll_queue(sw, w, p, q, now);
		}
	}
	return NULL;
}

int sw_init(struct sw *sw, const struct sw_config *cfg)
{
	VTAP_OPTS_INIT(vtap_rss_opts, ro, .hash_types = VTAP_HASH_TYPE_ALL);
	unsigned int workers = cfg->workers;

	memset(sw, 0, sizeof(*sw));
	sw->cfg = *cfg;
	if (!workers) {
		for (unsigned int i = 0; i < cfg->n_ports; i++)
			if (cfg->ports[i].queues > workers)
				workers = cfg->ports[i].queues;
		if (!workers)
			workers = 1;
		if (workers > SW_WORKERS_MAX)
			workers = SW_WORKERS_MAX;
	}
	sw->n_workers = workers;
	sw->hdr_size = VTAP_VNET_HDR_V1_LEN;
	sw->mac = sw_mac__new(12, (uint64_t)cfg->aging_s * 1000);
	sw->rss = vtap_rss__new(&ro);
	sw->gone_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sw->workers = calloc(workers, sizeof(*sw->workers));
	if (!sw->mac || !sw->rss || sw->gone_fd < 0 || !sw->workers) {
		sw_fini(sw);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < workers; i++) {
		struct sw_worker *w = &sw->workers[i];
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = WAKE_TAG};

		w->sw = sw;
		w->id = i;
		w->cpu = -1;
		if (cfg->pin)
			w->cpu = cfg->n_cpus ? cfg->cpus[i % cfg->n_cpus]
					     : (int)i;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		w->buf = malloc(SW_HEADROOM + 64 + SW_FRAME_MAX);
		if (w->epfd < 0 || w->wake_fd < 0 || !w->buf ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev)) {
			sw->n_workers = i + 1;
			sw_fini(sw);
			return -ENOMEM;
		}
	}
	return 0;
}

int sw_start(struct sw *sw)
{
	for (unsigned int i = 0; i < sw->n_workers; i++) {
		int err = pthread_create(&sw->workers[i].thread, NULL,
					 worker_main, &sw->workers[i]);

		if (err) {
			sw->n_workers = i;
			sw_stop(sw);
			return -err;
		}
	}
	return 0;
}

static void wake_all(struct sw *sw)
{
	uint64_t one = 1;

	for (unsigned int i = 0; i < sw->n_workers; i++)
		if (write(sw->workers[i].wake_fd, &one, sizeof(one)) < 0)
			continue;
}

void sw_stop(struct sw *sw)
{
	atomic_store(&sw->stop, true);
	wake_all(sw);
	for (unsigned int i = 0; i < sw->n_workers; i++)
		if (sw->workers[i].thread)
			pthread_join(sw->workers[i].thread, NULL);
	for (unsigned int i = 0; i < sw->n_workers; i++)
		sw->workers[i].thread = 0;
}

/* Wait until no worker can hold a pointer taken before now. */
static void grace_period(struct sw *sw)
{
	uint64_t g = atomic_fetch_add(&sw->gen, 1) + 1;

	if (atomic_load(&sw->stop))
		return;
	wake_all(sw);
	for (unsigned int i = 0; i < sw->n_workers; i++) {
		if (!sw->workers[i].thread)
			continue;
		while (atomic_load_explicit(&sw->workers[i].seen_gen,
					    memory_order_acquire) < g)
			usleep(50);
	}
}

struct sw_port *sw_port_find(struct sw *sw, const char *name)
{
	for (unsigned int i = 0; i < SW_PORTS_MAX; i++) {
		struct sw_port *p = atomic_load(&sw->ports[i]);

		if (p && !strcmp(p->name, name))
			return p;
	}
	return NULL;
}

int sw_port_add(struct sw *sw, const struct sw_port_config *pc, int netns_fd,
		char *err, size_t errlen)
{
	struct sw_port *p;
	int idx = -1, ret, own_ns = -1;

	if (sw_port_find(sw, pc->name)) {
		snprintf(err, errlen, "port '%s' exists", pc->name);
		return -EEXIST;
	}
	for (int i = 0; i < SW_PORTS_MAX; i++) {
		if (!atomic_load(&sw->ports[i])) {
			idx = i;
			break;
		}
	}
	if (idx < 0) {
		snprintf(err, errlen, "no room for port '%s' (%d ports max)",
			 pc->name, SW_PORTS_MAX);
		return -ENOSPC;
	}
	if (netns_fd < 0 && pc->netns[0]) {
		own_ns = port_netns_open(pc->netns);
		if (own_ns < 0) {
			snprintf(
				err, errlen,
				"port '%s': namespace '%s': %s (create it with 'ip netns add')",
				pc->name, pc->netns, strerror(-own_ns));
			return own_ns;
		}
		netns_fd = own_ns;
	}
	p = aligned_alloc(64, (sizeof(*p) + 63) & ~(size_t)63);
	if (!p) {
		ret = -ENOMEM;
		goto close_ns;
	}
	memset(p, 0, sizeof(*p));
	p->idx = idx;
	p->cfg = *pc;
	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	p->nq = pc->queues ? pc->queues : (uint16_t)sw->n_workers;
	p->netns_fd = -1;
	p->qs = aligned_alloc(64, sizeof(*p->qs) * p->nq);
	if (!p->qs) {
		ret = -ENOMEM;
		goto free_port;
	}
	memset(p->qs, 0, sizeof(*p->qs) * p->nq);
	for (unsigned int i = 0; i < SW_TABLE_LEN; i++)
		p->table[i] = (uint16_t)(i % p->nq);
	ret = port_open(sw, p, netns_fd, err, errlen);
	if (ret)
		goto free_qs;
	if (netns_fd >= 0)
		p->netns_fd = own_ns >= 0 ? own_ns : dup(netns_fd);
	own_ns = -1;

	sw->fwdp[idx].mode = p->cfg.mode;
	sw->fwdp[idx].vid = p->cfg.vid;
	sw->fwdp[idx].allowed = p->cfg.allowed;
	atomic_store_explicit(&sw->ports[idx], p, memory_order_release);
	atomic_fetch_or_explicit(&sw->present, 1ull << idx,
				 memory_order_release);
	for (unsigned int q = 0; q < p->nq; q++) {
		struct epoll_event ev = {
			.events = EPOLLIN,
			.data.u64 = (uint64_t)idx << 32 | q,
		};

		epoll_ctl(sw->workers[q % sw->n_workers].epfd, EPOLL_CTL_ADD,
			  p->fds[q], &ev);
	}
	return 0;
free_qs:
	free(p->qs);
free_port:
	free(p);
close_ns:
	if (own_ns >= 0)
		close(own_ns);
	return ret;
}

static void port_retire(struct sw *sw, struct sw_port *p)
{
	atomic_fetch_and(&sw->present, ~(1ull << p->idx));
	for (unsigned int q = 0; q < p->nq; q++)
		epoll_ctl(sw->workers[q % sw->n_workers].epfd, EPOLL_CTL_DEL,
			  p->fds[q], NULL);
	grace_period(sw);
	atomic_store(&sw->ports[p->idx], NULL);
	grace_period(sw);
	sw_mac__flush_port(sw->mac, (uint16_t)p->idx);
	port_close(p);
	if (p->netns_fd >= 0)
		close(p->netns_fd);
	free(p->qs);
	free(p);
}

int sw_port_del(struct sw *sw, const char *name, char *err, size_t errlen)
{
	struct sw_port *p = sw_port_find(sw, name);

	if (!p) {
		snprintf(err, errlen, "no port '%s'", name);
		return -ENOENT;
	}
	port_retire(sw, p);
	return 0;
}

int sw_reap_gone(struct sw *sw)
{
	uint64_t v;
	int n = 0;

	if (read(sw->gone_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 0;
	for (unsigned int i = 0; i < SW_PORTS_MAX; i++) {
		struct sw_port *p = atomic_load(&sw->ports[i]);

		if (p && atomic_load(&p->gone)) {
			if (!sw->quiet)
				fprintf(stderr,
					"vtap-switchd: port '%s': tap disappeared, port dropped\n",
					p->name);
			port_retire(sw, p);
			n++;
		}
	}
	return n;
}

void sw_fini(struct sw *sw)
{
	for (unsigned int i = 0; i < SW_PORTS_MAX; i++) {
		struct sw_port *p = atomic_load(&sw->ports[i]);

		if (p)
			port_retire(sw, p);
	}
	if (sw->workers) {
		for (unsigned int i = 0; i < sw->n_workers; i++) {
			struct sw_worker *w = &sw->workers[i];

			if (w->epfd > 0)
				close(w->epfd);
			if (w->wake_fd > 0)
				close(w->wake_fd);
			free(w->buf);
		}
		free(sw->workers);
		sw->workers = NULL;
	}
	if (sw->gone_fd > 0)
		close(sw->gone_fd);
	sw->gone_fd = -1;
	sw_mac__free(sw->mac);
	sw->mac = NULL;
	vtap_rss__free(sw->rss);
	sw->rss = NULL;
}
