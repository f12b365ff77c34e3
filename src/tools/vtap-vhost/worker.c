// SPDX-License-Identifier: MIT
/*
 * worker.c - one thread per queue pair, and how the main thread parks them
 *
 * Theory of operation: worker i owns queue pair i: it alone reads and
 * writes the pair's rings, tap queue fd, receive pool and counters, in an
 * epoll loop over the pair's kick eventfds and tap fd. Everything the
 * workers only read (memory table, ring addresses, features, the hash
 * configuration, which queues are attached) is changed by the main thread,
 * and only while every worker is parked: vh_pause() sets `pause`, wakes
 * each worker through its eventfd and waits until all have parked at the
 * top of their loop; vh_resume() lets them go, and each first runs its
 * pair once (a message may have started a ring that has work). The mutex
 * orders the main thread's changes before the workers' next reads. A
 * worker that stops a ring (hostile descriptors) does not detach the tap
 * queue itself (the device handle is the main thread's): it marks the
 * pair and signals fail_fd; the main thread parks the workers and updates
 * the pair (vh_update_failed()). Each round of the loop runs under a guard
 * (guard.h): a fault on guest memory stops the ring being worked on.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "guard.h"
#include "vhost.h"

/* Park until the main thread resumes; false when told to stop. */
static bool park(struct vh_dev *d)
{
	bool go;

	pthread_mutex_lock(&d->lk);
	d->parked++;
	pthread_cond_broadcast(&d->parked_cv);
	while (d->pause && !d->workers_stop)
		pthread_cond_wait(&d->resume_cv, &d->lk);
	d->parked--;
	go = !d->workers_stop;
	pthread_mutex_unlock(&d->lk);
	return go;
}

static bool polled(const struct vh_vq *vq)
{
	return vq->kick_set && vq->kick_fd < 0;
}

/*
 * A fault on guest memory jumped back (guard.h): stop the ring the worker
 * was on, as for a hostile descriptor; the pair's other ring and the other
 * pairs go on until they touch the missing memory themselves.
 */
static void faulted(struct vh_dev *d, struct vh_pair *p, struct vh_vq *vq)
{
	p->tx_more = false;
	p->rx_more = false;
	if (vq && !vq->broken)
		vh_vq_fail(d, vq, VRING_ERR_FAULT);
}

static void *worker_main(void *arg)
{
	struct vh_worker *w = arg;
	struct vh_dev *d = w->d;
	struct vh_pair *p = &d->pair[w->id];
	struct epoll_event evs[16];
	struct vh_guard g;

	for (;;) {
		uint16_t seen;
		bool more;
		int n, timeout;

		vh_guard_arm(&g);
		if (sigsetjmp(g.jb, 0)) {
			faulted(d, p, g.vq);
			continue;
		}
		/*
		 * Polled rings (--allow-polling) are looked at again at once
		 * while they have work, else after 1 ms: bounded CPU while
		 * the guest is idle.
		 */
		more = p->tx_more || p->rx_more;
		if (!more && (polled(&p->tx) || polled(&p->rx)))
			timeout = p->poll_hot ? 0 : 1;
		else
			timeout = more ? 0 : -1;
		n = epoll_wait(w->epfd, evs, 16, timeout);

		if (n < 0 && errno != EINTR) {
			vh_log("worker %u: epoll: %s", w->id, strerror(errno));
			vh_guard_leave(&g);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32);
			uint32_t idx = (uint32_t)evs[i].data.u64;
			uint64_t v;

			if (kind == VH_EV_WAKE) {
				if (read(w->wake_fd, &v, sizeof(v)) < 0) {
					/* EAGAIN: already drained. */
				}
			} else if (kind == VH_EV_KICK) {
				vh_net_kick(d, idx);
			} else if (kind == VH_EV_TAP) {
				vh_net_rx(d, p);
			}
		}
		if (__atomic_load_n(&d->pause, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&d->workers_stop, __ATOMIC_ACQUIRE)) {
			if (!park(d)) {
				vh_guard_leave(&g);
				return NULL;
			}
			/* A message may have started a ring with work on it. */
			vh_net_tx(d, p);
			vh_net_rx(d, p);
			/* Disarmed before the next round arms it again (else
			 * the guard would become its own outer guard). */
			vh_guard_leave(&g);
			continue;
		}
		seen = (uint16_t)(p->tx.last_avail + p->rx.last_avail);
		if (p->tx_more || polled(&p->tx))
			vh_net_tx(d, p);
		if (p->rx_more)
			vh_net_rx(d, p);
		else if (polled(&p->rx) && p->attached && vh_vq_ready(&p->rx))
			vh_net_kick(d, p->rx.index);
		p->poll_hot =
			seen != (uint16_t)(p->tx.last_avail + p->rx.last_avail);
		vh_guard_leave(&g);
	}
}

int vh_workers_init(struct vh_dev *d)
{
	pthread_mutex_init(&d->lk, NULL);
	pthread_cond_init(&d->parked_cv, NULL);
	pthread_cond_init(&d->resume_cv, NULL);
	d->fail_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->fail_fd < 0)
		return -errno;
	for (unsigned int i = 0; i < d->npairs; i++) {
		struct vh_worker *w = &d->worker[i];
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = VH_EV(VH_EV_WAKE, i)};

		w->id = i;
		w->d = d;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->epfd < 0 || w->wake_fd < 0 ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev))
			return -errno;
		d->pair[i].epfd = w->epfd;
	}
	d->nworkers = d->npairs;
	return 0;
}

int vh_workers_start(struct vh_dev *d)
{
	for (unsigned int i = 0; i < d->nworkers; i++) {
		struct vh_worker *w = &d->worker[i];
		int err = pthread_create(&w->th, NULL, worker_main, w);

		if (err) {
			vh_log("worker %u: %s", i, strerror(err));
			return -err;
		}
		w->running = true;
		if (d->o.n_cpus) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(d->o.cpus[i % d->o.n_cpus], &set);
			err = pthread_setaffinity_np(w->th, sizeof(set), &set);
			if (err) {
				vh_log("worker %u: pin to CPU %u: %s", i,
				       d->o.cpus[i % d->o.n_cpus],
				       strerror(err));
				return -err;
			}
		}
	}
	return 0;
}

static void wake_all(struct vh_dev *d)
{
	uint64_t one = 1;

	for (unsigned int i = 0; i < d->nworkers; i++)
		if (write(d->worker[i].wake_fd, &one, sizeof(one)) < 0) {
			/* The counter cannot overflow here. */
		}
}

static unsigned int running(const struct vh_dev *d)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < d->nworkers; i++)
		n += d->worker[i].running;
	return n;
}

void vh_workers_stop(struct vh_dev *d)
{
	pthread_mutex_lock(&d->lk);
	__atomic_store_n(&d->workers_stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&d->resume_cv);
	pthread_mutex_unlock(&d->lk);
	wake_all(d);
	for (unsigned int i = 0; i < d->nworkers; i++) {
		struct vh_worker *w = &d->worker[i];

		if (w->running)
			pthread_join(w->th, NULL);
		w->running = false;
	}
	for (unsigned int i = 0; i < d->nworkers; i++) {
		if (d->worker[i].epfd >= 0)
			close(d->worker[i].epfd);
		if (d->worker[i].wake_fd >= 0)
			close(d->worker[i].wake_fd);
		d->worker[i].epfd = d->worker[i].wake_fd = -1;
	}
	if (d->fail_fd >= 0)
		close(d->fail_fd);
	d->fail_fd = -1;
}

void vh_pause(struct vh_dev *d)
{
	unsigned int n = running(d);

	if (d->pause_depth++ || !n)
		return;
	pthread_mutex_lock(&d->lk);
	__atomic_store_n(&d->pause, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lk);
	wake_all(d);
	pthread_mutex_lock(&d->lk);
	while (d->parked < n)
		pthread_cond_wait(&d->parked_cv, &d->lk);
	pthread_mutex_unlock(&d->lk);
}

void vh_resume(struct vh_dev *d)
{
	if (!d->pause_depth || --d->pause_depth)
		return;
	pthread_mutex_lock(&d->lk);
	__atomic_store_n(&d->pause, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&d->resume_cv);
	pthread_mutex_unlock(&d->lk);
}

void vh_update_failed(struct vh_dev *d)
{
	uint64_t v;

	if (read(d->fail_fd, &v, sizeof(v)) < 0)
		return;
	vh_pause(d);
	for (unsigned int i = 0; i < d->npairs; i++) {
		struct vh_pair *p = &d->pair[i];

		if (__atomic_exchange_n(&p->failed, false, __ATOMIC_ACQ_REL))
			vh_net_update_pair(d, p);
	}
	vh_resume(d);
}
