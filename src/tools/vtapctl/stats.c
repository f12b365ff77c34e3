// SPDX-License-Identifier: MIT
/*
 * stats.c - vtapctl stats: what a tap's kernel, steering program and live
 * libvtap handles counted
 *
 *   vtapctl stats dev NAME
 *   vtapctl stats dev NAME watch [count N]
 *
 * Three sources, whoever opened the tap: the link's kernel counters
 * (rtnetlink; "to the VMM" is the netdev's tx, "from the VMM" its rx), the
 * steering program's own per-queue counts of the step that chose each
 * queue (a per-CPU map, when vtap's program is pinned for the tap), and
 * the per-queue counters of libvtap handles, which live in the shared
 * stats files of every process that has the tap open through libvtap
 * (vtap_stats__read() sums them per queue id). Reading opens nothing and
 * never stops the data path. `watch` reads
 * them once a second and shows rates (packets and bits per second, per
 * queue) from the difference of two reads over the time that really
 * passed between them; text mode redraws the screen when stdout is a
 * terminal, JSON mode prints one object per line per refresh. `count N`
 * stops after N refreshes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"
#include "vtapctl_qdepth.h"

static void stats_usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl [-j] stats dev NAME [watch [count N]]\n"
		"\n"
		"The kernel's counters of NAME (to the VMM: frames the tap handed\n"
		"to its queues' readers; from the VMM: frames they wrote), the\n"
		"frames vtap's steering program sent to each queue by the step\n"
		"that chose it (rule, ext, rss, unclassified, automq), whoever\n"
		"opened the tap, and the per-queue counters of the libvtap handles\n"
		"that have NAME open: packets, bytes, GSO frames, drops by reason,\n"
		"hash report types seen, software offload work and coalescing on\n"
		"send (frames, segments merged, why segments were not merged); and\n"
		"the frames the kernel dropped because a queue towards the reader\n"
		"was full (the link's tx_dropped, for the whole device: tun does\n"
		"not count them per queue). 'watch' refreshes the libvtap counters\n"
		"every second with rates; 'count N' stops after N refreshes.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t drops(const uint64_t *d)
{
	uint64_t n = 0;

	for (int r = 0; r < VTAP_DROP__COUNT; r++)
		n += d[r];
	return n;
}

/* The non-zero entries of a counter array, by name. */
static void pr_named(const char *key, const char *title, const uint64_t *v,
		     int count, const char *(*name)(int))
{
	bool any = false;
	char fmt[64];

	for (int i = 0; i < count; i++)
		any |= v[i] != 0;
	pr_obj_begin(key);
	if (any)
		pr_text("    %s:", title);
	for (int i = 0; i < count; i++) {
		if (pr_is_json()) {
			pr_u64(name(i), NULL, v[i]);
		} else if (v[i]) {
			snprintf(fmt, sizeof(fmt), " %s %%llu", name(i));
			pr_u64(name(i), fmt, v[i]);
		}
	}
	if (any)
		pr_text("\n");
	pr_obj_end();
}

static const char *drop_name(int i)
{
	return vtap_drop_reason__name((enum vtap_drop_reason)i);
}

static const char *report_name(int i)
{
	return vtap_hash_report__name((enum vtap_hash_report)i);
}

static const char *gro_reason_name(int i)
{
	return vtap_gro_reason__name((enum vtap_gro_reason)i);
}

/* One queue's counters (all of them in JSON, the usual ones in text). */
static void pr_queue(const struct vtap_queue_stats *s)
{
	pr_u64("rx_packets", " %12llu", s->rx_packets);
	pr_u64("rx_bytes", " %14llu", s->rx_bytes);
	pr_u64("rx_gso", " %8llu", s->rx_gso);
	pr_u64("tx_packets", " %12llu", s->tx_packets);
	pr_u64("tx_bytes", " %14llu", s->tx_bytes);
	pr_u64("tx_gso", " %8llu", s->tx_gso);
	pr_text(" %8llu %8llu\n", (unsigned long long)drops(s->rx_drops),
		(unsigned long long)drops(s->tx_drops));
	/* rx_drops/tx_drops are numbers everywhere (as in switch show);
	 * the reasons are their own objects. */
	pr_u64("rx_drops", NULL, drops(s->rx_drops));
	pr_u64("tx_drops", NULL, drops(s->tx_drops));
	pr_named("rx_drops_by_reason", "rx drops", s->rx_drops,
		 VTAP_DROP__COUNT, drop_name);
	pr_named("tx_drops_by_reason", "tx drops", s->tx_drops,
		 VTAP_DROP__COUNT, drop_name);
	pr_named("hash_reports", "hash reports", s->hash_reports,
		 VTAP_HASH_REPORT__COUNT, report_name);
	if (s->sw_csum || s->sw_gso_frames)
		pr_text("    software: csum %llu gso_frames %llu "
			"gso_segments %llu\n",
			(unsigned long long)s->sw_csum,
			(unsigned long long)s->sw_gso_frames,
			(unsigned long long)s->sw_gso_segments);
	pr_u64("sw_csum", NULL, s->sw_csum);
	pr_u64("sw_gso_frames", NULL, s->sw_gso_frames);
	pr_u64("sw_gso_segments", NULL, s->sw_gso_segments);
	if (s->gro_frames)
		pr_text("    coalesced: frames %llu segments %llu\n",
			(unsigned long long)s->gro_frames,
			(unsigned long long)s->gro_segments);
	pr_u64("gro_frames", NULL, s->gro_frames);
	pr_u64("gro_segments", NULL, s->gro_segments);
	pr_named("gro_not_merged", "not merged", s->gro_not_merged,
		 VTAP_GRO__COUNT, gro_reason_name);
}

static const char *ring_error_name(int i)
{
	return vtap_ring_error__name((enum vtap_ring_error)i);
}

/*
 * Guest errors of a queue pair served to a guest (vtap-vhost): the rings
 * a hostile or broken driver got stopped, by reason, since it connected.
 */
static void pr_guest_errors(const struct vtap_ring_errors *r)
{
	static const char *const dir[2] = {"rx", "tx"};

	pr_obj_begin("guest_errors");
	for (int t = 0; t < 2; t++) {
		const uint64_t *v = t ? r->tx : r->rx;
		bool stopped = r->stopped & (1u << t), any = stopped;
		char key[16], fmt[64];

		for (int e = 0; e < VTAP_RING_ERR__COUNT; e++)
			any |= v[e] != 0;
		snprintf(key, sizeof(key), "%s_stopped", dir[t]);
		pr_bool(key, NULL, stopped);
		if (any)
			pr_text("    guest errors: %s ring %s:", dir[t],
				stopped ? "stopped" : "running again");
		pr_obj_begin(dir[t]);
		for (int e = 0; e < VTAP_RING_ERR__COUNT; e++) {
			snprintf(fmt, sizeof(fmt), " %s %%llu",
				 ring_error_name(e));
			pr_u64(ring_error_name(e),
			       v[e] || pr_is_json() ? fmt : NULL, v[e]);
		}
		pr_obj_end();
		if (any)
			pr_text("\n");
	}
	pr_obj_end();
}

static const char header[] =
	"queue   rx_packets       rx_bytes   rx_gso   tx_packets       "
	"tx_bytes   tx_gso  rx_drop  tx_drop\n";

/* The kernel's counters of the link, whoever opened it. */
static void show_link(const char *name)
{
	struct vtap_dev_counters c = {.sz = sizeof(c)};

	if (vtap_dev__counters(name, &c)) {
		pr_null("link");
		return;
	}
	pr_obj_begin("link");
	pr_u64("to_vmm_packets", "link: to the VMM %llu packets",
	       c.to_vmm_packets);
	pr_u64("to_vmm_bytes", " %llu bytes", c.to_vmm_bytes);
	pr_u64("to_vmm_dropped", " %llu dropped;", c.to_vmm_dropped);
	pr_u64("from_vmm_packets", " from the VMM %llu packets",
	       c.from_vmm_packets);
	pr_u64("from_vmm_bytes", " %llu bytes", c.from_vmm_bytes);
	pr_u64("from_vmm_dropped", " %llu dropped", c.from_vmm_dropped);
	pr_u64("from_vmm_errors", " %llu errors\n", c.from_vmm_errors);
	pr_obj_end();
}

/*
 * What the steering program did, per queue it returned and step: counted
 * by the program itself, so it holds for any opener of the tap.
 */
static void show_steering(const char *name)
{
	VTAP_OPTS_INIT(vtap_steer_opts, o, .flags = VTAP_STEER_NO_CREATE);
	static struct vtap_steer_qcount c[VTAP_QUEUES_MAX];
	struct vtap_steer *s;
	int n;

	static const char *const states[] = {
		[VTAP_STEER_ATTACHED_UNKNOWN] = "unknown",
		[VTAP_STEER_ATTACHED_YES] = "yes",
		[VTAP_STEER_ATTACHED_NO] = "no",
		[VTAP_STEER_ATTACHED_NOT_RUN] = "not run",
	};
	struct vtap_steer_attached a;

	s = vtap_steer__open(name, &o);
	n = s ? vtap_steer__counts(s, c, VTAP_QUEUES_MAX) : -ENOENT;
	/* Whether it steers, and how often the guard put it back. */
	if (s && !vtap_steer__attached(s, &a) && a.state < ARRAY_LEN(states)) {
		pr_obj_begin("steering_program");
		pr_str("attached", "steering program: attached %s",
		       states[a.state]);
		pr_u64("reattached",
		       ", re-attached %llu times by 'vtapctl steer guard'",
		       a.reattached);
		pr_bool("released",
			a.released ? ", handed back ('steer detach')" : NULL,
			a.released);
		pr_text("\n");
		pr_obj_end();
	} else {
		pr_null("steering_program");
	}
	vtap_steer__close(s);
	if (n < 0) {
		pr_null("steering");
		return;
	}
	pr_text("steering: frames the program sent to each queue, by the step "
		"that chose it\nqueue");
	for (int b = 0; b < VTAP_STEER_CNT__COUNT; b++)
		pr_text(" %12s", vtap_steer_cnt__name(b));
	pr_text("\n");
	pr_arr_begin("steering");
	for (int q = 0; q < n; q++) {
		uint64_t total = 0;

		pr_obj_begin(NULL);
		pr_u64("queue", "%5llu", (uint64_t)q);
		for (int b = 0; b < VTAP_STEER_CNT__COUNT; b++) {
			pr_u64(vtap_steer_cnt__name(b), " %12llu", c[q].by[b]);
			total += c[q].by[b];
		}
		pr_u64("frames", NULL, total);
		pr_text("\n");
		pr_obj_end();
	}
	pr_arr_end();
}

static int stats_show(const char *name, struct vtap_queue_stats *st, int n)
{
	static struct vtap_ring_errors re[VTAP_QUEUES_MAX];
	struct vtap_queue_stats total = {0};
	struct vtap_stats_dev d = {.sz = sizeof(d)};
	int nre = vtap_stats__ring_errors(name, re, VTAP_QUEUES_MAX);

	pr_arr_begin(NULL);
	pr_obj_begin(NULL);
	pr_str("ifname", "%s:", name);
	pr_u64("queues", " %llu queue(s)\n", (uint64_t)n);
	show_link(name);
	show_steering(name);
	if (vtap_stats__dev(name, &d))
		d.handles = 0;
	pr_u64("handles",
	       "libvtap: %llu handle(s) publish counters (rx: read from the "
	       "tap, to the VMM; tx: written to it, from the VMM)\n",
	       d.handles);
	pr_text("%s", header);
	pr_arr_begin("stats");
	for (int i = 0; i < n; i++) {
		pr_obj_begin(NULL);
		pr_u64("queue", "%5llu", (uint64_t)i);
		pr_queue(&st[i]);
		if (i < nre)
			pr_guest_errors(&re[i]);
		pr_obj_end();
		vtap_stats__sum(&total, &st[i]);
	}
	pr_arr_end();
	pr_obj_begin("total");
	pr_text("total");
	pr_queue(&total);
	pr_obj_end();
	/* The kernel's count: tun keeps none per queue. */
	vtapctl_pr_queue_full_drops(name);
	pr_obj_end();
	pr_arr_end();
	return pr_flush() ? EXIT_FAIL : EXIT_OK;
}

static const char rate_header[] =
	"queue     rx_pkt/s      rx_bit/s     tx_pkt/s      tx_bit/s  "
	"drop/s   sw_seg/s\n";

/* Rates of one queue between two reads @dt seconds apart. */
static void pr_rates(const struct vtap_queue_stats *a,
		     const struct vtap_queue_stats *b, double dt)
{
	double rxp = (double)(b->rx_packets - a->rx_packets) / dt;
	double rxb = (double)(b->rx_bytes - a->rx_bytes) * 8 / dt;
	double txp = (double)(b->tx_packets - a->tx_packets) / dt;
	double txb = (double)(b->tx_bytes - a->tx_bytes) * 8 / dt;
	double drp = (double)(drops(b->rx_drops) + drops(b->tx_drops) -
			      drops(a->rx_drops) - drops(a->tx_drops)) /
		     dt;
	double seg = (double)(b->sw_gso_segments - a->sw_gso_segments) / dt;

	pr_double("rx_packets_per_s", " %12.0f", rxp);
	pr_double("rx_bits_per_s", " %13.0f", rxb);
	pr_double("tx_packets_per_s", " %12.0f", txp);
	pr_double("tx_bits_per_s", " %13.0f", txb);
	pr_double("drops_per_s", " %7.0f", drp);
	pr_double("sw_segments_per_s", " %10.0f\n", seg);
	pr_u64("rx_packets", NULL, b->rx_packets);
	pr_u64("tx_packets", NULL, b->tx_packets);
}

static int stats_watch(const char *name, uint32_t count)
{
	static struct vtap_queue_stats prev[VTAP_QUEUES_MAX],
		cur[VTAP_QUEUES_MAX];
	bool tty = !pr_is_json() && isatty(STDOUT_FILENO);
	double t0, t1;
	int n0, n;

	n0 = vtap_stats__read(name, prev, VTAP_QUEUES_MAX);
	if (n0 < 0) {
		pr_err("counters of '%s': %s", name, strerror(-n0));
		return EXIT_FAIL;
	}
	t0 = now_s();
	for (uint32_t i = 0; !count || i < count; i++) {
		struct vtap_queue_stats ta = {0}, tb = {0};

		sleep(1);
		n = vtap_stats__read(name, cur, VTAP_QUEUES_MAX);
		t1 = now_s();
		if (n < 0) {
			pr_err("counters of '%s': %s", name, strerror(-n));
			return EXIT_FAIL;
		}
		if (n > VTAP_QUEUES_MAX)
			n = VTAP_QUEUES_MAX;
		if (tty)
			pr_text("\033[H\033[2J");
		pr_arr_begin(NULL);
		pr_obj_begin(NULL);
		pr_str("ifname", "%s:", name);
		pr_double("interval_s", " every %.1f s,", t1 - t0);
		pr_u64("queues", " %llu queue(s)\n", (uint64_t)n);
		pr_text("%s", rate_header);
		pr_arr_begin("stats");
		for (int q = 0; q < n; q++) {
			/* A queue that appeared (or a handle that went):
			 * rates from zero would lie, show the counts only. */
			const struct vtap_queue_stats *a =
				q < n0 &&
						prev[q].rx_packets <=
							cur[q].rx_packets &&
						prev[q].tx_packets <=
							cur[q].tx_packets
					? &prev[q]
					: &cur[q];

			pr_obj_begin(NULL);
			pr_u64("queue", "%5llu", (uint64_t)q);
			pr_rates(a, &cur[q], t1 - t0);
			pr_obj_end();
			vtap_stats__sum(&ta, a);
			vtap_stats__sum(&tb, &cur[q]);
		}
		pr_arr_end();
		pr_obj_begin("total");
		pr_text("total");
		pr_rates(&ta, &tb, t1 - t0);
		pr_obj_end();
		pr_obj_end();
		pr_arr_end();
		if (!tty && !pr_is_json())
			pr_text("\n");
		if (pr_flush())
			return EXIT_FAIL;
		memcpy(prev, cur, sizeof(prev));
		n0 = n;
		t0 = t1;
	}
	return EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
	static const char *const words[] = {"watch", "count", NULL};
	static struct vtap_queue_stats st[VTAP_QUEUES_MAX];
	const char *name;
	bool watch = false;
	uint32_t count = 0;
	int n;

	if (argc >= 1 && arg_is(argv[0], "help")) {
		stats_usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2 || !arg_is(argv[0], "dev"))
		return usage_err("stats: expected 'dev NAME'");
	name = argv[1];
	for (int i = 2; i < argc; i++) {
		switch (arg_match(argv[i], words)) {
		case 0:
			watch = true;
			break;
		case 1:
			if (i + 1 >= argc ||
			    arg_u32(argv[i + 1], UINT32_MAX, &count) || !count)
				return usage_err("stats: count needs a number "
						 "above 0");
			i++;
			break;
		default:
			return usage_err("stats: unexpected '%s'", argv[i]);
		}
	}
	if (count && !watch)
		return usage_err("stats: count goes with watch");
	/* State is the namespace's: a tap elsewhere is not this one. */
	if (vtap_dev__info(name, &(struct vtap_dev_info){0})) {
		pr_err("counters of '%s': no such tun/tap device in this network namespace (enter its namespace: vtapctl -n NETNS)",
		       name);
		return EXIT_FAIL;
	}
	if (watch)
		return stats_watch(name, count);
	n = vtap_stats__read(name, st, VTAP_QUEUES_MAX);
	if (n < 0) {
		pr_err("counters of '%s': %s%s", name, strerror(-n),
		       err_hint(n));
		return EXIT_FAIL;
	}
	return stats_show(name, st, n > VTAP_QUEUES_MAX ? VTAP_QUEUES_MAX : n);
}
