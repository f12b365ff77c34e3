// SPDX-License-Identifier: MIT
/*
 * control.c - the control socket of vtap-switchd
 *
 * A unix stream socket (0600 unless configured otherwise). A client sends
 * one request line and reads one JSON document back, then the daemon
 * closes the connection:
 *
 *   show                 -> {"workers":..,"ports":[..],"mac":[..]}
 *   port add SPEC        -> {"ok":true}   (SPEC: the --port syntax)
 *   port del NAME        -> {"ok":true}
 *   anything that fails  -> {"error":"message"}
 *
 * Theory of operation
 *
 * The main thread serves every client from its event loop and never
 * blocks on one: ctl_listen() returns an epoll fd of the control module's
 * own (the listening socket, the clients, and a timer for their
 * deadlines), which the main loop polls like any other fd and hands to
 * ctl_handle() when it is ready. Each client has a state: reading its
 * request (at most CTL_LINE_MAX bytes up to a newline), then writing the
 * reply, which has any size (the whole MAC table included) and is written
 * as the client reads it. One deadline, CTL_DEADLINE_MS after the
 * connection was accepted, covers sending the request, and a fresh one
 * from the moment the reply is ready covers reading it (the daemon's own
 * time on the request is not the client's): a client that sends one byte
 * a second, or reads the reply slowly, is closed then, and costs nobody
 * else anything meanwhile. At most CTL_CLIENTS_MAX clients are
 * held; when a new one comes and all are taken, the oldest that has not
 * finished its request yet makes room (else the new one gets an error).
 * Requests are handled by the main thread, one at a time, which is also
 * the only thread that adds and removes ports.
 *
 * The socket path: an existing socket that nobody answers on is a leftover
 * of a dead daemon and is replaced; anything else there (a live socket, a
 * regular file, a link, a directory) is refused and left alone. At exit
 * the socket is removed only if the path still names the socket this
 * daemon made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "switchd.h"

#define CTL_CLIENTS_MAX 16
#define CTL_DEADLINE_MS 5000
#define CTL_LINE_MAX 1100

enum ctl_state {
	CTL_FREE = 0,
	CTL_READ,
	CTL_WRITE,
};

struct ctl_client {
	int fd;
	enum ctl_state state;
	uint64_t deadline_ms;
	size_t in_len;
	char in[CTL_LINE_MAX];
	char *out; /* the reply (malloc'd), written from out_off */
	size_t out_len, out_off;
};

/* The control module's state: one control socket per daemon. */
static struct {
	int ep; /* what ctl_listen() returns */
	int lfd;
	int tfd; /* deadlines */
	dev_t dev; /* the socket file this daemon made */
	ino_t ino;
	struct ctl_client c[CTL_CLIENTS_MAX];
} ctl = {.ep = -1, .lfd = -1, .tfd = -1};

/* epoll data: the client's index, or one of these. */
#define CTL_EV_LISTEN (CTL_CLIENTS_MAX + 1)
#define CTL_EV_TIMER (CTL_CLIENTS_MAX + 2)

/*
 * Make room for the socket at @path: refuse anything but a socket nobody
 * answers on, which is removed. Return: 0 or a negative errno.
 */
static int clear_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd;

	if (lstat(sun->sun_path, &st)) {
		return errno == ENOENT ? 0 : -errno;
	}
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sun, sizeof(*sun))) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	if (errno != ECONNREFUSED)
		return -EADDRINUSE;
	/* A leftover of a dead daemon. */
	if (unlink(sun->sun_path) && errno != ENOENT)
		return -errno;
	return 0;
}

static int ep_add(int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(ctl.ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int ctl_listen(struct sw *sw)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path = sw->cfg.control;
	struct stat st;
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	ret = clear_stale(&sun);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || lstat(path, &st) < 0 ||
	    chmod(path, sw->cfg.control_mode) < 0 || listen(fd, 64) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	ctl.lfd = fd;
	ctl.ep = epoll_create1(EPOLL_CLOEXEC);
	ctl.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ctl.ep < 0 || ctl.tfd < 0 ||
	    ep_add(ctl.lfd, EPOLLIN, CTL_EV_LISTEN) ||
	    ep_add(ctl.tfd, EPOLLIN, CTL_EV_TIMER)) {
		ret = -errno;
		ctl_close(sw, ctl.ep);
		return ret ? ret : -EIO;
	}
	return ctl.ep;
}

static void client_close(struct ctl_client *c)
{
	if (c->state == CTL_FREE)
		return;
	close(c->fd); /* also leaves the epoll set */
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_close(struct sw *sw, int cfd)
{
	struct stat st;

	(void)cfd;
	for (int i = 0; i < CTL_CLIENTS_MAX; i++)
		client_close(&ctl.c[i]);
	if (ctl.lfd >= 0) {
		/* Only the socket this daemon made, not what replaced it. */
		if (!lstat(sw->cfg.control, &st) && S_ISSOCK(st.st_mode) &&
		    st.st_dev == ctl.dev && st.st_ino == ctl.ino)
			unlink(sw->cfg.control);
		close(ctl.lfd);
	}
	if (ctl.tfd >= 0)
		close(ctl.tfd);
	if (ctl.ep >= 0)
		close(ctl.ep);
	ctl.lfd = ctl.tfd = ctl.ep = -1;
}

static const char *mode_name(uint8_t mode)
{
	return mode == SW_VLAN_TRUNK ? "trunk" : "access";
}

static json_object *port_json(struct sw *sw, struct sw_port *p)
{
	json_object *o = json_object_new_object(), *qa, *vl;
	uint64_t checked = 0, mism = 0;

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "index", json_object_new_int(p->idx));
	json_object_object_add(o, "queues", json_object_new_int(p->nq));
	json_object_object_add(o, "netns",
			       json_object_new_string(p->cfg.netns));
	json_object_object_add(o, "persistent",
			       json_object_new_boolean(p->existed));
	json_object_object_add(o, "steered",
			       json_object_new_boolean(p->steered));
	json_object_object_add(
		o, "hash_source",
		json_object_new_string(port_hash_src_name(p->hash_src)));
	json_object_object_add(
		o, "shared_queues",
		json_object_new_boolean(atomic_load(&p->shared)));
	vl = json_object_new_object();
	json_object_object_add(vl, "mode",
			       json_object_new_string(mode_name(p->cfg.mode)));
	json_object_object_add(vl, "vid", json_object_new_int(p->cfg.vid));
	if (p->cfg.mode == SW_VLAN_TRUNK) {
		json_object *al = json_object_new_array();

		for (unsigned int v = 1; v <= SW_VID_MAX; v++)
			if (swcfg_vid_allowed(&p->cfg, (uint16_t)v))
				json_object_array_add(
					al, json_object_new_int((int)v));
		json_object_object_add(vl, "allowed", al);
	}
	json_object_object_add(o, "vlan", vl);
#define PS(f)                         \
	json_object_object_add(o, #f, \
			       json_object_new_uint64(atomic_load(&p->ps.f)))
	PS(flooded);
	PS(unicast);
	PS(filtered);
	PS(bad);
	PS(vlan_drops);
#undef PS
	json_object_object_add(o, "mac_limit",
			       json_object_new_int64(p->cfg.mac_limit));
	json_object_object_add(o, "mac_entries",
			       json_object_new_int64(sw_mac__count(
				       sw->mac, (uint16_t)p->idx)));
	json_object_object_add(o, "mac_refused",
			       json_object_new_uint64(sw_mac__refused(
				       sw->mac, (uint16_t)p->idx)));
	qa = json_object_new_array();
	for (unsigned int q = 0; q < p->nq; q++) {
		json_object *qo = json_object_new_object();
		struct sw_qstats *s = &p->qs[q];
		struct vtap_queue_stats ls = {0};
		uint64_t rx_drops = atomic_load(&s->rx_bad), tx_drops;

		tx_drops = atomic_load(&s->tx_full);
		/* The library's counters of the queue (vtapctl stats dev). */
		vtap_queue__stats(p->q[q], &ls);
		for (unsigned int r = 0; r < VTAP_DROP__COUNT; r++) {
			rx_drops += ls.rx_drops[r];
			tx_drops += ls.tx_drops[r];
		}
		json_object_object_add(qo, "queue",
				       json_object_new_int((int)q));
		json_object_object_add(qo, "kernel_index",
				       json_object_new_int(p->kidx[q]));
#define LS(f) json_object_object_add(qo, #f, json_object_new_uint64(ls.f))
		LS(rx_packets);
		LS(rx_bytes);
		LS(rx_gso);
		LS(tx_packets);
		LS(tx_bytes);
		LS(tx_gso);
		LS(gro_frames);
		LS(gro_segments);
#undef LS
		json_object_object_add(
			qo, "io_uring",
			json_object_new_boolean(vtap_queue__rx_uring(p->q[q])));
		json_object_object_add(qo, "rx_drops",
				       json_object_new_uint64(rx_drops));
		json_object_object_add(qo, "tx_drops",
				       json_object_new_uint64(tx_drops));
#define QS(f)                          \
	json_object_object_add(qo, #f, \
			       json_object_new_uint64(atomic_load(&s->f)))
		QS(hash_checked);
		QS(hash_mismatch);
#undef QS
		checked += atomic_load(&s->hash_checked);
		mism += atomic_load(&s->hash_mismatch);
		json_object_array_add(qa, qo);
	}
	json_object_object_add(o, "hash_checked",
			       json_object_new_uint64(checked));
	json_object_object_add(o, "hash_mismatch",
			       json_object_new_uint64(mism));
	json_object_object_add(o, "queue_stats", qa);
	return o;
}

/* Per worker: how often it slept and how often it polled (busy_poll). */
static json_object *workers_json(struct sw *sw)
{
	json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < sw->n_workers; i++) {
		struct sw_worker *w = &sw->workers[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int((int)i));
		json_object_object_add(
			o, "sleeps",
			json_object_new_uint64(atomic_load(&w->sleeps)));
		json_object_object_add(
			o, "busy_polls",
			json_object_new_uint64(atomic_load(&w->busy_polls)));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *show_json(struct sw *sw)
{
	json_object *o = json_object_new_object(), *pa, *ma;
	struct sw_mac_entry *ents = NULL;
	uint64_t now = sw_now_ms();
	size_t n, cap = 0;

	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "workers",
			       json_object_new_int((int)sw->n_workers));
	json_object_object_add(o, "vnet_hdr_len",
			       json_object_new_int((int)sw->hdr_size));
	json_object_object_add(o, "aging_s",
			       json_object_new_int((int)sw->cfg.aging_s));
	json_object_object_add(
		o, "busy_poll_us",
		json_object_new_int((int)atomic_load(&sw->busy_poll_us)));
	json_object_object_add(o, "worker_stats", workers_json(sw));
	pa = json_object_new_array();
	for (unsigned int i = 0; i < SW_PORTS_MAX; i++) {
		struct sw_port *p = atomic_load(&sw->ports[i]);

		if (p)
			json_object_array_add(pa, port_json(sw, p));
	}
	json_object_object_add(o, "ports", pa);
	ma = json_object_new_array();
	/* The whole table, however large: grow until the dump fits. */
	n = sw_mac__dump(sw->mac, now, NULL, 0);
	for (int tries = 0; tries < 8; tries++) {
		struct sw_mac_entry *e;

		cap = n + n / 8 + 64;
		e = realloc(ents, cap * sizeof(*ents));
		if (!e)
			break;
		ents = e;
		n = sw_mac__dump(sw->mac, now, ents, cap);
		if (n <= cap)
			break;
	}
	if (!ents || n > cap)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();
		struct sw_port *p = atomic_load(&sw->ports[ents[i].port]);
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 ents[i].mac[0], ents[i].mac[1], ents[i].mac[2],
			 ents[i].mac[3], ents[i].mac[4], ents[i].mac[5]);
		json_object_object_add(e, "mac", json_object_new_string(mac));
		json_object_object_add(e, "vid",
				       json_object_new_int(ents[i].vid));
		json_object_object_add(
			e, "port", json_object_new_string(p ? p->name : "?"));
		json_object_object_add(e, "age_ms",
				       json_object_new_uint64(ents[i].age_ms));
		json_object_array_add(ma, e);
	}
	free(ents);
	json_object_object_add(o, "mac", ma);
	return o;
}

static json_object *error_json(const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static json_object *ok_json(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	return o;
}

static json_object *handle_request(struct sw *sw, char *line)
{
	char err[256] = "";
	struct sw_port_config pc;

	if (!strcmp(line, "show"))
		return show_json(sw);
	if (!strncmp(line, "port add ", 9)) {
		if (swcfg_parse_port(&pc, line + 9, err, sizeof(err)))
			return error_json(err);
		if (sw_port_add(sw, &pc, -1, err, sizeof(err)))
			return error_json(err);
		if (!sw->quiet)
			fprintf(stderr, "vtap-switchd: port '%s' added\n",
				pc.name);
		return ok_json();
	}
	if (!strncmp(line, "port del ", 9)) {
		if (sw_port_del(sw, line + 9, err, sizeof(err)))
			return error_json(err);
		if (!sw->quiet)
			fprintf(stderr, "vtap-switchd: port '%s' removed\n",
				line + 9);
		return ok_json();
	}
	return error_json(
		"unknown request (show, port add SPEC, port del NAME)");
}

/* Turn @resp into the client's reply (one line) and start writing it. */
static void client_reply(struct ctl_client *c, json_object *resp)
{
	const char *text =
		json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);

	c->out = malloc(len + 1);
	if (c->out) {
		memcpy(c->out, text, len);
		c->out[len] = '\n';
		c->out_len = len + 1;
	}
	json_object_put(resp);
	c->state = CTL_WRITE;
	c->out_off = 0;
	if (!c->out) {
		client_close(c);
		return;
	}
	/*
	 * The time the daemon took to handle the request (a port add verifies
	 * a BPF program: seconds under emulation) is not the client's: it
	 * gets a full deadline again to read the reply.
	 */
	c->deadline_ms = sw_now_ms() + CTL_DEADLINE_MS;
	{
		struct epoll_event ev = {.events = EPOLLOUT,
					 .data.u64 = (uint64_t)(c - ctl.c)};

		epoll_ctl(ctl.ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Read what the client sent; answer once the line is complete. */
static void client_read(struct sw *sw, struct ctl_client *c)
{
	for (;;) {
		ssize_t n = read(c->fd, c->in + c->in_len,
				 sizeof(c->in) - 1 - c->in_len);
		char *nl;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		nl = strpbrk(c->in, "\r\n");
		if (nl || n == 0 || c->in_len == sizeof(c->in) - 1) {
			if (n < 0) {
				client_close(c);
				return;
			}
			if (!nl && c->in_len == sizeof(c->in) - 1) {
				client_reply(c, error_json("request too long"));
				return;
			}
			if (nl)
				*nl = '\0';
			client_reply(c, handle_request(sw, c->in));
			return;
		}
	}
}

/* Write as much of the reply as the client takes. */
static void client_write(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	client_close(c);
}

/* Arm the timer for the earliest deadline (or disarm it). */
static void arm_timer(void)
{
	struct itimerspec its = {0};
	uint64_t first = UINT64_MAX, now = sw_now_ms();

	for (int i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.c[i].state != CTL_FREE && ctl.c[i].deadline_ms < first)
			first = ctl.c[i].deadline_ms;
	if (first != UINT64_MAX) {
		uint64_t d = first > now ? first - now : 1;

		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
	}
	timerfd_settime(ctl.tfd, 0, &its, NULL);
}

/* Close the clients whose deadline passed. */
static void expire(void)
{
	uint64_t now = sw_now_ms();

	for (int i = 0; i < CTL_CLIENTS_MAX; i++)
		if (ctl.c[i].state != CTL_FREE && ctl.c[i].deadline_ms <= now)
			client_close(&ctl.c[i]);
}

/* A free slot, or the oldest client still sending its request. */
static struct ctl_client *slot_for_new(void)
{
	struct ctl_client *oldest = NULL;

	for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = &ctl.c[i];

		if (c->state == CTL_FREE)
			return c;
		if (c->state == CTL_READ &&
		    (!oldest || c->deadline_ms < oldest->deadline_ms))
			oldest = c;
	}
	if (oldest)
		client_close(oldest);
	return oldest;
}

static void accept_all(void)
{
	for (;;) {
		int fd = accept4(ctl.lfd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ctl_client *c;

		if (fd < 0)
			return;
		c = slot_for_new();
		if (!c) {
			static const char busy[] =
				"{\"error\":\"too many clients, try again\"}\n";

			/* Best effort: the socket buffer takes it. */
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0)
				errno = 0;
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->state = CTL_READ;
		c->deadline_ms = sw_now_ms() + CTL_DEADLINE_MS;
		if (ep_add(fd, EPOLLIN | EPOLLRDHUP, (uint64_t)(c - ctl.c))) {
			close(fd);
			memset(c, 0, sizeof(*c));
			c->fd = -1;
		}
	}
}

void ctl_handle(struct sw *sw, int cfd)
{
	struct epoll_event evs[CTL_CLIENTS_MAX + 2];
	int n;

	n = epoll_wait(cfd, evs, CTL_CLIENTS_MAX + 2, 0);
	for (int i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;

		if (d == CTL_EV_LISTEN) {
			accept_all();
		} else if (d == CTL_EV_TIMER) {
			uint64_t v;

			if (read(ctl.tfd, &v, sizeof(v)) < 0)
				v = 0;
		} else if (d < CTL_CLIENTS_MAX) {
			struct ctl_client *c = &ctl.c[d];

			if (c->state == CTL_READ)
				client_read(sw, c);
			else if (c->state == CTL_WRITE)
				client_write(c);
		}
	}
	expire();
	arm_timer();
}
