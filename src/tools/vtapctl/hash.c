// SPDX-License-Identifier: MIT
/*
 * hash.c - vtapctl hash: the virtio-net RSS result for each frame of a
 * capture
 *
 *   vtapctl hash [key HEX] [types LIST]
 *                [table N | table equal N | table weight W,... | table Q,Q,...]
 *                [unclassified Q] FILE.pcap
 *
 * One line per frame, "INDEX 0xHASH REPORT QUEUE"; with -j a JSON array of
 * {index, hash, report, queue}. The capture may be pcap or pcapng
 * (libpcap reads both), Ethernet or raw IP.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>
#include <vtap/vtap.h>

#include "args.h"
#include "printer.h"
#include "vtapctl.h"

static void hash_usage(FILE *f)
{
	fprintf(f,
		"Usage: vtapctl [-j] hash [key HEX] [types LIST]\n"
		"                  [table N | table equal N | table weight W,... | table Q,Q,...]\n"
		"                  [unclassified Q] FILE.pcap\n"
		"\n"
		"Prints the virtio-net RSS hash, report type and queue of every frame\n"
		"in a pcap or pcapng capture, one line per frame:\n"
		"  INDEX 0xHASH REPORT QUEUE\n"
		"\n"
		"  key HEX         Toeplitz key, 1..52 bytes (default: the 40-byte\n"
		"                  Microsoft verification key)\n"
		"  types LIST      all, none, or a comma list of ipv4,tcpv4,udpv4,ipv6,\n"
		"                  tcpv6,udpv6,ipv6_ex,tcpv6_ex,udpv6_ex (default all)\n"
		"  table equal N   128 entries spread over queues 0..N-1 (ethtool -X\n"
		"                  equal; 'equal N' alone says the same)\n"
		"  table weight W,W,...\n"
		"                  128 entries, queue q gets a W[q] share\n"
		"  table N         the same as 'table equal N' (N queues)\n"
		"  table Q,Q,...   the entries themselves (two or more, a power of\n"
		"                  two of them; default: one entry, queue 0)\n"
		"                  'table' means the same in 'vtapctl rss set'\n"
		"  unclassified Q  queue of frames with no hash (default 0)\n"
		"\n"
		"IPv6 _EX types apply to every IPv6 packet, and a TCP/UDP type wins\n"
		"over ipv6_ex (vtap's reading of the spec, as Windows and QEMU do).\n");
}

/* Map a capture's link type to vtap_pkt__parse() flags; -1 if unsupported. */
static int link_flags(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return 0;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		return VTAP_PKT_L3;
	default:
		return -1;
	}
}

/*
 * The indirection table of `table ...`, with the meaning `rss set` gives
 * it (ethtool -X's forms): `equal N` spreads VTAP_RSS_TABLE_MAX entries
 * over queues 0..N-1, `weight W,W,...` gives queue q a W[q] share of them
 * (largest remainder, lower queue first on ties: the steering program's
 * build_table()), a lone number N is `equal N` (the meaning `hash table
 * N` always had), `Q,Q,...` is the table itself. @count is the word after "equal"/"weight" (NULL if none).
 * Return: the table's length (*@ret_used: 2 when @count was used, else
 * 1), or -EINVAL.
 */
static int parse_table(const char *arg, const char *count, uint16_t *table,
		       int *ret_used)
{
	unsigned int len = VTAP_RSS_TABLE_MAX;
	uint16_t w[VTAP_QUEUES_MAX];
	uint32_t n;
	int nw;

	*ret_used = 1;
	if (!strcmp(arg, "equal")) {
		if (!count || arg_u32(count, VTAP_QUEUES_MAX, &n) || !n)
			return -EINVAL;
		for (unsigned int i = 0; i < len; i++)
			table[i] = (uint16_t)(i % n);
		*ret_used = 2;
		return (int)len;
	}
	if (!strcmp(arg, "weight")) {
		unsigned long total = 0, given = 0, rem[VTAP_QUEUES_MAX];
		unsigned int cnt[VTAP_QUEUES_MAX], k = 0;

		nw = count ? arg_u16_list(count, UINT16_MAX, w, VTAP_QUEUES_MAX)
			   : -EINVAL;
		if (nw <= 0)
			return -EINVAL;
		for (int q = 0; q < nw; q++)
			total += w[q];
		if (!total)
			return -EINVAL;
		for (int q = 0; q < nw; q++) {
			cnt[q] = (unsigned int)(len * w[q] / total);
			rem[q] = len * w[q] % total;
			given += cnt[q];
		}
		while (given < len) {
			int best = 0;

			for (int q = 1; q < nw; q++)
				if (rem[q] > rem[best])
					best = q;
			cnt[best]++;
			rem[best] = 0;
			given++;
		}
		for (int q = 0; q < nw; q++)
			for (unsigned int i = 0; i < cnt[q]; i++)
				table[k++] = (uint16_t)q;
		*ret_used = 2;
		return (int)len;
	}
	/* A lone number is a queue count, as `equal N` (vtapctl table_is_count). */
	if (table_is_count(arg))
		return parse_table("equal", arg, table, &nw) < 0 ? -EINVAL
								 : (int)len;
	return arg_u16_list(arg, VTAP_QUEUES_MAX - 1, table,
			    VTAP_RSS_TABLE_MAX);
}

static int run(const struct vtap_rss_opts *opts, const char *file)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	struct vtap_rss *rss;
	uint64_t index = 0;
	pcap_t *p;
	int flags, rc, ret = EXIT_FAIL;

	rss = vtap_rss__new(opts);
	if (!rss) {
		pr_err("hash: invalid RSS configuration: %s", strerror(errno));
		return EXIT_FAIL;
	}
	p = pcap_open_offline(file, errbuf);
	if (!p) {
		pr_err("hash: cannot read '%s': %s", file, errbuf);
		goto free_rss;
	}
	flags = link_flags(pcap_datalink(p));
	if (flags < 0) {
		pr_err("hash: '%s': link type %s is not supported (Ethernet or raw IP captures only)",
		       file,
		       pcap_datalink_val_to_name(pcap_datalink(p)) ?: "?");
		goto close_pcap;
	}
	pr_arr_begin(NULL);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct vtap_rss_result r;

		vtap_rss__hash(rss, data, h->caplen, (unsigned int)flags, &r);
		pr_obj_begin(NULL);
		pr_u64("index", "%" PRIu64, index++);
		pr_u64("hash", " 0x%08" PRIx64, r.hash);
		pr_str("report", " %s", vtap_hash_report__name(r.report));
		pr_u64("queue", " %" PRIu64 "\n", r.queue);
		pr_obj_end();
	}
	pr_arr_end();
	if (rc == PCAP_ERROR) {
		pr_err("hash: error reading '%s': %s", file, pcap_geterr(p));
		goto close_pcap;
	}
	ret = pr_flush() ? EXIT_FAIL : EXIT_OK;
close_pcap:
	pcap_close(p);
free_rss:
	vtap_rss__free(rss);
	return ret;
}

int cmd_hash(int argc, char **argv)
{
	static const char *const words[] = {"key",	    "types", "table",
					    "unclassified", "help",  NULL};
	VTAP_OPTS_INIT(vtap_rss_opts, opts, .hash_types = VTAP_HASH_TYPE_ALL);
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
	uint16_t table[VTAP_RSS_TABLE_MAX] = {0};
	const char *file = NULL;
	uint32_t q;
	size_t len;
	int n;

	opts.table = table;
	opts.table_len = 1;
	for (int i = 0; i < argc; i++) {
		int w = argv[i][0] ? arg_match(argv[i], words) : -1;

		if (w == 4) {
			hash_usage(stdout);
			return EXIT_OK;
		}
		if (w >= 0 && i + 1 == argc && !strcmp(argv[i], words[w]))
			return usage_err(
				"hash: '%s' needs a value (a file named so: ./%s)",
				argv[i], argv[i]);
		if (w < 0 || i + 1 == argc) {
			/* Not a keyword (or a prefix with no value): the file. */
			if (w == -2 && i + 1 < argc)
				return usage_err("hash: ambiguous keyword '%s'",
						 argv[i]);
			if (file)
				return usage_err(
					"hash: unexpected argument '%s'",
					argv[i]);
			file = argv[i];
			continue;
		}
		const char *val = argv[++i];

		switch (w) {
		case 0:
			n = arg_hex(val, key, sizeof(key), &len);
			if (n == -E2BIG) {
				pr_err("hash: key '%s' is longer than %d bytes",
				       val, VTAP_TOEPLITZ_KEY_MAX);
				return EXIT_USAGE;
			}
			if (n)
				return usage_err("hash: bad hex key '%s'", val);
			opts.key = key;
			opts.key_len = len;
			break;
		case 1:
			if (vtap_hash_types__parse(val, &opts.hash_types))
				return usage_err(
					"hash: unknown hash type in '%s' (all, none, or ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,ipv6_ex,tcpv6_ex,udpv6_ex)",
					val);
			break;
		case 2: {
			int used;

			n = parse_table(val, i + 1 < argc ? argv[i + 1] : NULL,
					table, &used);
			if (n < 0)
				return usage_err(
					"hash: bad table '%s' (equal N, weight W,W,... or the queues Q,Q,...)",
					val);
			if (n & (n - 1))
				return usage_err(
					"hash: table of %d entries: the length must be a power of two, at most %d",
					n, VTAP_RSS_TABLE_MAX);
			i += used - 1;
			opts.table_len = (size_t)n;
			break;
		}
		case 3:
			if (arg_u32(val, VTAP_QUEUES_MAX - 1, &q))
				return usage_err(
					"hash: bad unclassified queue '%s' (0..%d)",
					val, VTAP_QUEUES_MAX - 1);
			opts.unclassified_queue = (uint16_t)q;
			break;
		}
	}
	if (!file && pr_is_json())
		return usage_err("hash: missing FILE");
	if (!file) {
		hash_usage(stderr);
		return EXIT_USAGE;
	}
	return run(&opts, file);
}
