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
 * Requests are served by the main thread, one at a time, which is also
 * the only thread that adds and removes ports.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "switchd.h"

int ctl_listen(struct sw *sw)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path = sw->cfg.control;
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket nobody answers on is a leftover of a dead daemon. */
	if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -EADDRINUSE;
	}
	if (errno == ECONNREFUSED)
		unlink(path);
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || chmod(path, sw->cfg.control_mode) < 0 ||
	    listen(fd, 16) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static const char *mode_name(uint8_t mode)
{
	return mode == SW_VLAN_TRUNK ? "trunk" : "access";
}

static json_object *port_json(struct sw_port *p)
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
#undef LS
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

static json_object *show_json(struct sw *sw)
{
	json_object *o = json_object_new_object(), *pa, *ma;
	static struct sw_mac_entry ents[4096];
	uint64_t now = sw_now_ms();
	size_t n;

	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "workers",
			       json_object_new_int((int)sw->n_workers));
	json_object_object_add(o, "vnet_hdr_len",
			       json_object_new_int((int)sw->hdr_size));
	json_object_object_add(o, "aging_s",
			       json_object_new_int((int)sw->cfg.aging_s));
	pa = json_object_new_array();
	for (unsigned int i = 0; i < SW_PORTS_MAX; i++) {
		struct sw_port *p = atomic_load(&sw->ports[i]);

		if (p)
			json_object_array_add(pa, port_json(p));
	}
	json_object_object_add(o, "ports", pa);
	ma = json_object_new_array();
	n = sw_mac__dump(sw->mac, now, ents, sizeof(ents) / sizeof(ents[0]));
	if (n > sizeof(ents) / sizeof(ents[0]))
		n = sizeof(ents) / sizeof(ents[0]);
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

void ctl_handle(struct sw *sw, int lfd)
{
	struct timeval tv = {.tv_sec = 2};
	char line[1100];
	size_t len = 0;
	json_object *resp;
	const char *text;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(line) - 1) {
		ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	resp = handle_request(sw, line);
	text = json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN);
	for (size_t off = 0, tl = strlen(text); off < tl;) {
		ssize_t n = write(fd, text + off, tl - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) < 0)
		len = 0;
	json_object_put(resp);
	close(fd);
}
