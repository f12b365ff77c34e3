// SPDX-License-Identifier: MIT
/*
 * switchd.c - the switch: ports, workers and the forwarding loop
 *
 * Theory of operation
 *
 * Ports are libvtap devices (port.c); every frame carries a 20-byte
 * virtio-net header whose hash_value/hash_report libvtap fills on receive
 * from the port's RSS configuration.
 *
 * Workers. Worker w owns queue q of every port where q % workers == w: it
 * alone receives on it (one epoll set per worker, level-triggered), with
 * vtap_queue__recv() into its SW_BATCH buffers (64 bytes of headroom each
 * for a VLAN tag). Each frame is forwarded by sw_fwd__decide() (MAC table:
 * lock-free lookups, seqlocked updates) and queued, by pointer, on the
 * worker's list for its egress (port, queue); after the batch each list
 * goes out with one vtap_queue__send(). A frame is never copied in user
 * space: the buffer it was read into is the one written, header and all,
 * so a 64 KiB TSO frame is one read() and one write(). A flooded frame is
 * on several lists; a frame that must leave both tagged and untagged is
 * edited in place only after the lists that hold it were sent.
 *
 * Egress queue. The egress port's table[hash & 127] (queue ids translated
 * from the steering table's kernel indices), with the hash libvtap
 * reported. Every port steers with the same key and types and an EQUAL
 * table, so with equal queue counts the egress queue is the ingress
 * queue's index: a flow keeps to one queue pair, and the worker that
 * received a frame owns the queue it leaves by.
 *
 * Single writer per queue. libvtap's per-queue counters (and its send
 * scratch buffer) have one writer: the thread running the queue. When
 * ports have different queue counts (or a port is not steered, so any
 * queue may receive any flow), a worker can pick an egress queue another
 * worker owns. Such a port is marked @shared and every send to one of its
 * queues takes that queue's mutex (uncontended in the usual case: about
 * 20 ns against a write() of about 1 us); ports whose queues only their
 * owners reach send without a lock. A per-(worker, queue) ring handing
 * frames to the owner would avoid the lock but cost a copy or a buffer
 * handoff for every frame; the lock costs nothing where it is not needed.
 * @shared is computed by the main thread whenever ports change, before
 * the frames that need it can flow: it is set, then a grace period passes
 * (every worker has started a new round and so sees it), and only then are
 * the new port's queues polled.
 *
 * Ports come and go only in the main thread. A port is published by
 * filling fwdp[idx] and ports[idx], then setting its bit in @present; it
 * is retired by clearing the bit, removing its fds from the workers'
 * epoll sets, then waiting for a grace period: the main thread bumps
 * @gen, wakes every worker, and waits until each has started a new round
 * (seen_gen == gen), after which no worker can still hold the port (a
 * worker sends everything it queued before it starts a new round). Only
 * then are its MAC entries flushed and its device closed.
 *
 * Busy polling (busy_poll = USEC, off by default). A worker that sleeps
 * in epoll_wait() costs the sender a wake-up for the first frame of every
 * burst: the tap's sk_data_ready finds the worker on the epoll wait queue
 * and wakes it (an IPI when it sleeps on another CPU). With busy polling,
 * a worker that just moved frames keeps calling epoll_wait() with a zero
 * timeout until USEC microseconds pass without a frame, then sleeps as
 * before. The window restarts with every frame and is bounded
 * (SW_BUSY_POLL_MAX), so an idle switch sleeps after at most one window.
 * It is meant for workers with CPUs of their own (--pin, the endpoints
 * elsewhere); where the CPUs are shared with the endpoints it costs
 * throughput (docs/switch.md has the numbers).
 *
 * A tap deleted under the switch makes its fds report EPOLLERR (reads
 * fail with EBADFD, vtap_queue__recv() with -ENXIO): the worker removes
 * the fd from its set, marks the port gone and pokes the main thread,
 * which retires it.
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

const uint8_t sw_rss_key[VTAP_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};
/* One receive buffer: headroom, header, the largest frame; page aligned. */
#define BUF_STRIDE \
	((SW_HEADROOM + SW_HDR_LEN + SW_FRAME_MAX + 4095) & ~(size_t)4095)
/* Tries of a batch whose kernel queue is full before the rest is dropped. */
#define SEND_TRIES 4

static inline void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

/* Monotonic microseconds, for the busy-poll window. */
static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t sw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The frame's hash and report type, from the 20-byte header libvtap
 * filled; for a port hashing in software, computed and written there.
 */
static uint32_t frame_hash(struct sw *sw, struct sw_port *in, uint8_t *pkt,
			   size_t len, uint16_t *ret_report)
{
	if (in->hash_src == SW_HASH_SOFT) {
		struct vtap_rss_result r = {0};

		vtap_rss__hash(sw->rss, pkt + SW_HDR_LEN, len - SW_HDR_LEN, 0,
			       &r);
		pkt[12] = (uint8_t)r.hash;
		pkt[13] = (uint8_t)(r.hash >> 8);
		pkt[14] = (uint8_t)(r.hash >> 16);
		pkt[15] = (uint8_t)(r.hash >> 24);
		pkt[16] = (uint8_t)r.report;
		pkt[17] = (uint8_t)(r.report >> 8);
	}
	*ret_report = (uint16_t)(pkt[16] | pkt[17] << 8);
	return *ret_report ? get_le32(pkt + 12) : 0;
}

/* Send one egress list; what the kernel would not take is dropped. */
static void out_send(struct sw_out *o)
{
	struct sw_port *e = o->port;
	struct vtap_queue *q = e->q[o->qid];
	bool locked = atomic_load_explicit(&e->shared, memory_order_relaxed);
	unsigned int done = 0;

	if (locked)
		pthread_mutex_lock(&e->locks[o->qid].mu);
	for (int tries = 0; done < o->n && tries < SEND_TRIES; tries++) {
		int r = vtap_queue__send(q, o->f + done, o->n - done);

		if (r < 0)
			break;
		done += (unsigned int)r;
		if (done < o->n)
			sched_yield();
	}
	if (locked)
		pthread_mutex_unlock(&e->locks[o->qid].mu);
	if (done < o->n)
		add(&e->qs[o->qid].tx_full, o->n - done);
	o->n = 0;
}

static void flush_all(struct sw_worker *w)
{
	for (unsigned int i = 0; i < w->n_outs; i++)
		if (w->outs[i].n)
			out_send(&w->outs[i]);
	w->n_outs = 0;
}

/* Queue @pkt for queue @qid of port @e. */
static void out_add(struct sw_worker *w, struct sw_port *e, unsigned int qid,
		    uint8_t *pkt, size_t len)
{
	struct sw_out *o = NULL;

	for (unsigned int i = 0; i < w->n_outs; i++) {
		if (w->outs[i].port == e && w->outs[i].qid == qid) {
			o = &w->outs[i];
			break;
		}
	}
	if (!o) {
		if (w->n_outs == SW_OUTS)
			flush_all(w);
		o = &w->outs[w->n_outs++];
		o->port = e;
		o->qid = qid;
		o->n = 0;
	}
	o->f[o->n++] = (struct vtap_frame){.buf = pkt, .cap = len, .len = len};
	if (o->n == SW_BATCH)
		out_send(o);
}

static void send_to(struct sw *sw, struct sw_worker *w, uint64_t mask,
		    uint8_t *pkt, size_t len, uint32_t hash)
{
	while (mask) {
		unsigned int idx = (unsigned int)__builtin_ctzll(mask);
		struct sw_port *e = atomic_load_explicit(&sw->ports[idx],
							 memory_order_acquire);

		mask &= mask - 1;
		if (!e)
			continue;
		out_add(w, e, e->table[hash & (SW_TABLE_LEN - 1)], pkt, len);
	}
}

/* Forward one frame of @len bytes (header included) at @pkt. */
static void forward(struct sw *sw, struct sw_worker *w, struct sw_port *in,
		    unsigned int q, uint8_t *pkt, size_t len, uint64_t now)
{
	unsigned int hs = SW_HDR_LEN;
	uint64_t present =
		atomic_load_explicit(&sw->present, memory_order_acquire);
	struct sw_fwd_result r;
	uint16_t report;
	uint32_t hash;

	sw_fwd__decide(sw->mac, sw->fwdp, present, (unsigned int)in->idx,
		       pkt + hs, len - hs, now, &r);
	switch (r.verdict) {
	case SW_FWD_OK:
		break;
	case SW_FWD_SHORT:
		add(&in->ps.bad, 1);
		add(&in->qs[q].rx_bad, 1);
		return;
	case SW_FWD_VLAN:
		add(&in->ps.vlan_drops, 1);
		add(&in->qs[q].rx_bad, 1);
		return;
	default:
		add(&in->ps.filtered, 1);
		return;
	}
	add(r.flooded ? &in->ps.flooded : &in->ps.unicast, 1);

	hash = frame_hash(sw, in, pkt, len, &report);
	if (in->steered && report) {
		add(&in->qs[q].hash_checked, 1);
		if (in->ktable[hash & (SW_TABLE_LEN - 1)] != in->kidx[q])
			add(&in->qs[q].hash_mismatch, 1);
	}

	/*
	 * First the ports that take the frame as it is, then the others;
	 * the frame is edited only after the lists holding it were sent.
	 */
	if (r.in_tagged) {
		send_to(sw, w, r.tagged, pkt, len, hash);
		if (r.untagged) {
			if (r.tagged)
				flush_all(w);
			sw_frame_pop_tag(&pkt, &len, hs);
			send_to(sw, w, r.untagged, pkt, len, hash);
		}
	} else {
		send_to(sw, w, r.untagged, pkt, len, hash);
		if (r.tagged) {
			if (r.untagged)
				flush_all(w);
			sw_frame_push_tag(&pkt, &len, hs, r.vid);
			send_to(sw, w, r.tagged, pkt, len, hash);
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

/* Receive and forward a batch of queue @q of @p; return the frames read. */
static int poll_queue(struct sw *sw, struct sw_worker *w, struct sw_port *p,
		      unsigned int q, uint64_t now)
{
	int n;

	for (unsigned int i = 0; i < SW_BATCH; i++) {
		w->rx[i].buf = w->bufs[i] + SW_HEADROOM;
		w->rx[i].cap = SW_HDR_LEN + SW_FRAME_MAX;
	}
	n = vtap_queue__recv(p->q[q], w->rx, SW_BATCH);
	if (n < 0) {
		/* -ENXIO: EBADFD, the tap is gone. */
		port_gone(sw, w, p, vtap_queue__fd(p->q[q]));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (w->rx[i].len < SW_HDR_LEN + 14) {
			add(&p->qs[q].rx_bad, 1);
			add(&p->ps.bad, 1);
			continue;
		}
		forward(sw, w, p, q, w->rx[i].buf, w->rx[i].len, now);
	}
	flush_all(w);
	return n;
}

static void *worker_main(void *arg)
{
	struct sw_worker *w = arg;
	struct sw *sw = w->sw;
	struct epoll_event ev[64];
	uint64_t last_frames_us = 0;
	bool polling = false;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	for (;;) {
		uint32_t busy_us;
		bool moved;
		int n;
		uint64_t now;

		atomic_store_explicit(
			&w->seen_gen,
			atomic_load_explicit(&sw->gen, memory_order_acquire),
			memory_order_release);
		if (atomic_load_explicit(&sw->stop, memory_order_relaxed))
			break;
		/*
		 * Sleep until a queue has frames, or poll while the busy-poll
		 * window is open (see "Busy polling" above).
		 */
		add(polling ? &w->busy_polls : &w->sleeps, 1);
		moved = false;
		n = epoll_wait(w->epfd, ev, 64, polling ? 0 : -1);
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
				port_gone(sw, w, p, vtap_queue__fd(p->q[q]));
				continue;
			}
			moved |= poll_queue(sw, w, p, q, now) > 0;
		}
		busy_us = atomic_load_explicit(&sw->busy_poll_us,
					       memory_order_relaxed);
		if (busy_us) {
			uint64_t t = now_us();

			if (moved)
				last_frames_us = t;
			polling = t - last_frames_us < busy_us;
		} else {
			polling = false;
		}
	}
	/* A worker that is gone holds nothing: grace periods skip it. */
	atomic_store_explicit(&w->seen_gen, UINT64_MAX, memory_order_release);
	return NULL;
}

int sw_init(struct sw *sw, const struct sw_config *cfg)
{
	VTAP_OPTS_INIT(vtap_rss_opts, ro, .hash_types = VTAP_HASH_TYPE_ALL,
		       .key = sw_rss_key, .key_len = sizeof(sw_rss_key));
	unsigned int workers = cfg->workers;

	memset(sw, 0, sizeof(*sw));
	sw->cfg = *cfg;
	atomic_init(&sw->busy_poll_us, cfg->busy_poll_us);
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
	sw->hdr_size = SW_HDR_LEN;

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
		w->bufs[0] = malloc(SW_BATCH * BUF_STRIDE);
		for (unsigned int b = 1; w->bufs[0] && b < SW_BATCH; b++)
			w->bufs[b] = w->bufs[0] + b * BUF_STRIDE;
		if (w->epfd < 0 || w->wake_fd < 0 || !w->bufs[0] ||
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

/* The queue id at kernel index @kidx, or @fallback. */
static uint16_t qid_of(const struct sw_port *p, uint16_t kidx,
		       uint16_t fallback)
{
	for (unsigned int q = 0; q < p->nq; q++)
		if (p->kidx[q] == (int16_t)kidx)
			return (uint16_t)q;
	return fallback;
}

/* Fill the queue-id table from the steering table (or spread by hash). */
static void port_tables(struct sw_port *p)
{
	for (unsigned int i = 0; i < SW_TABLE_LEN; i++) {
		uint16_t spread = (uint16_t)(i % p->nq);

		p->table[i] =
			p->steered ? qid_of(p, p->ktable[i], spread) : spread;
	}
	/* Without steering the kernel's automq puts a flow on any queue. */
	p->any_queue = p->nq > 1 && !p->steered;
}

/*
 * Whether a worker other than the owner of one of @e's queues may send to
 * it, given the ports in @ports (@extra too, when not NULL): for every
 * table entry, the worker that receives a flow on its ingress queue must
 * own the queue the entry picks on @e.
 */
static bool needs_lock(const struct sw *sw, const struct sw_port *e,
		       const struct sw_port *extra)
{
	unsigned int nw = sw->n_workers;

	if (nw == 1)
		return false;
	for (unsigned int k = 0; k <= SW_PORTS_MAX; k++) {
		const struct sw_port *in =
			k < SW_PORTS_MAX ? atomic_load(&sw->ports[k]) : extra;

		if (!in || in == e)
			continue;
		if (in->any_queue || e->any_queue)
			return true;
		for (unsigned int i = 0; i < SW_TABLE_LEN; i++)
			if (in->table[i] % nw != e->table[i] % nw)
				return true;
	}
	return false;
}

/*
 * Recompute every port's @shared flag (with @extra about to join). Raising
 * a flag is followed by a grace period, so every worker sees it before the
 * frames that need it flow; lowering is safe once the port that needed it
 * is retired (only owners then send to the queue).
 */
static void update_shared(struct sw *sw, struct sw_port *extra)
{
	bool raised = false;

	if (extra)
		atomic_store(&extra->shared, needs_lock(sw, extra, NULL));
	for (unsigned int k = 0; k < SW_PORTS_MAX; k++) {
		struct sw_port *p = atomic_load(&sw->ports[k]);
		bool need;

		if (!p)
			continue;
		need = needs_lock(sw, p, extra);
		if (need && !atomic_load(&p->shared))
			raised = true;
		atomic_store(&p->shared, need);
	}
	if (raised)
		grace_period(sw);
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
	p->locks = aligned_alloc(64, sizeof(*p->locks) * p->nq);
	if (!p->qs || !p->locks) {
		ret = -ENOMEM;
		goto free_port;
	}
	memset(p->qs, 0, sizeof(*p->qs) * p->nq);
	for (unsigned int q = 0; q < p->nq; q++)
		pthread_mutex_init(&p->locks[q].mu, NULL);
	ret = port_open(sw, p, netns_fd, err, errlen);
	if (ret)
		goto free_locks;
	if (own_ns >= 0)
		close(own_ns);
	own_ns = -1;
	port_tables(p);
	update_shared(sw, p);

	sw->fwdp[idx].mode = p->cfg.mode;
	sw->fwdp[idx].vid = p->cfg.vid;
	sw->fwdp[idx].allowed = p->cfg.allowed;
	sw_mac__set_limit(sw->mac, (uint16_t)idx, p->cfg.mac_limit);
	atomic_store_explicit(&sw->ports[idx], p, memory_order_release);
	atomic_fetch_or_explicit(&sw->present, 1ull << idx,
				 memory_order_release);
	for (unsigned int q = 0; q < p->nq; q++) {
		struct epoll_event ev = {
			.events = EPOLLIN,
			.data.u64 = (uint64_t)idx << 32 | q,
		};

		epoll_ctl(sw->workers[q % sw->n_workers].epfd, EPOLL_CTL_ADD,
			  vtap_queue__fd(p->q[q]), &ev);
	}
	return 0;
free_locks:
	for (unsigned int q = 0; q < p->nq; q++)
		pthread_mutex_destroy(&p->locks[q].mu);
free_port:
	free(p->locks);
	free(p->qs);
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
			  vtap_queue__fd(p->q[q]), NULL);
	grace_period(sw);
	atomic_store(&sw->ports[p->idx], NULL);
	grace_period(sw);
	sw_mac__flush_port(sw->mac, (uint16_t)p->idx);
	port_close(p);
	for (unsigned int q = 0; q < p->nq; q++)
		pthread_mutex_destroy(&p->locks[q].mu);
	free(p->locks);
	free(p->qs);
	free(p);
	update_shared(sw, NULL);
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

/* Whether @cfg lists a port named @name. */
static const struct sw_port_config *cfg_port(const struct sw_config *cfg,
					     const char *name)
{
	for (unsigned int i = 0; i < cfg->n_ports; i++)
		if (!strcmp(cfg->ports[i].name, name))
			return &cfg->ports[i];
	return NULL;
}

int sw_reload(struct sw *sw, const struct sw_config *next)
{
	struct sw_config *cur = &sw->cfg;
	char err[512];
	int failed = 0;

	/* Ports the configuration no longer has. */
	for (unsigned int i = 0; i < cur->n_ports; i++) {
		const char *name = cur->ports[i].name;

		if (cfg_port(next, name) || !sw_port_find(sw, name))
			continue;
		sw_port_del(sw, name, err, sizeof(err));
		if (!sw->quiet)
			fprintf(stderr,
				"vtap-switchd: reload: port '%s' removed\n",
				name);
	}
	/* New and changed ports; a port whose configuration is the same
	 * keeps its tap, queues and workers' state. */
	for (unsigned int i = 0; i < next->n_ports; i++) {
		const struct sw_port_config *pc = &next->ports[i];
		struct sw_port *p = sw_port_find(sw, pc->name);
		bool changed = p != NULL;

		if (p && swcfg_port_equal(&p->cfg, pc))
			continue;
		if (p)
			sw_port_del(sw, pc->name, err, sizeof(err));
		if (sw_port_add(sw, pc, -1, err, sizeof(err))) {
			fprintf(stderr, "vtap-switchd: reload: %s\n", err);
			failed++;
			continue;
		}
		if (!sw->quiet)
			fprintf(stderr, "vtap-switchd: reload: port '%s' %s\n",
				pc->name, changed ? "changed" : "added");
	}
	if (next->aging_s != cur->aging_s)
		sw_mac__set_aging(sw->mac, (uint64_t)next->aging_s * 1000);
	atomic_store(&sw->busy_poll_us, next->busy_poll_us);
	if (next->workers != cur->workers || next->pin != cur->pin ||
	    strcmp(next->control, cur->control) ||
	    next->control_mode != cur->control_mode ||
	    next->n_cpus != cur->n_cpus || next->io_uring != cur->io_uring ||
	    memcmp(next->cpus, cur->cpus, sizeof(cur->cpus)))
		fprintf(stderr,
			"vtap-switchd: reload: workers, control, control_mode, pin, cpus and io_uring take effect at the next start\n");
	/* The configuration now describes the ports; the rest stays. */
	memcpy(cur->ports, next->ports, sizeof(cur->ports));
	cur->n_ports = next->n_ports;
	cur->aging_s = next->aging_s;
	cur->busy_poll_us = next->busy_poll_us;
	return failed;
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
			free(w->bufs[0]);
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
