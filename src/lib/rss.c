// SPDX-License-Identifier: MIT
/*
 * rss.c - virtio-net RSS / hash configuration and the field-selection
 * cascade (virtio spec, "Hash calculation for incoming packets" and
 * "Receive-side scaling"; SPEC-NOTES.md "Which fields are hashed")
 *
 * Theory of operation
 *
 * A configuration holds the hash types, the key (with its precomputed
 * Toeplitz hasher), the indirection table, the unclassified queue and the
 * number of queues every queue index must stay below. Every setter builds
 * the new state completely and validates it before it touches the handle,
 * so a failed call leaves the configuration as it was. Invariants, true
 * after every successful call:
 * - hash_types has no bits outside VTAP_HASH_TYPE_ALL;
 * - table_len is a power of two in 1..VTAP_RSS_TABLE_MAX;
 * - every table entry and the unclassified queue are below num_queues;
 * - the hasher matches the key.
 *
 * The cascade, first match wins (the _EX rule is vtap's reading, shared by
 * Windows' NDIS RSS and QEMU's software RSS: an _EX type applies to every
 * IPv6 packet, with or without extension headers, and an L4 type wins over
 * IPv6_EX):
 *   IPv4: TCP with ports & TCPv4 -> {src, dst, ports}, TCPV4;
 *         UDP with ports & UDPv4 -> {src, dst, ports}, UDPV4;
 *         IPv4 -> {src, dst}, IPV4; else NONE.
 *   IPv6: TCP with ports: TCPv6_EX -> {EX addrs, ports}, TCPV6_EX;
 *                         else TCPv6 -> {src, dst, ports}, TCPV6;
 *         UDP with ports: likewise with UDPv6_EX / UDPv6;
 *         IPv6_EX -> {EX addrs}, IPV6_EX; IPv6 -> {src, dst}, IPV6;
 *         else NONE.
 * "EX addrs" are the Home Address (or else the source) and the type-2
 * routing header address (or else the destination). NONE gives hash 0 and
 * the unclassified queue; anything else the queue table[hash & (len - 1)].
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vtap_rss {
	uint32_t hash_types;
	uint16_t unclassified_queue;
	uint16_t num_queues; /* 1..VTAP_QUEUES_MAX, never 0 */
	size_t key_len;
	size_t table_len;
	enum vtap_toeplitz_impl impl;
	struct vtap_toeplitz *hasher;
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
	uint16_t table[VTAP_RSS_TABLE_MAX];
};

static int check_types(uint32_t hash_types)
{
	if (hash_types & ~VTAP_HASH_TYPE_ALL) {
		pr_warn("rss: unknown hash type bits 0x%x (known: 0x%x)\n",
			hash_types & ~VTAP_HASH_TYPE_ALL, VTAP_HASH_TYPE_ALL);
		return -EINVAL;
	}
	return 0;
}

static int check_key(const uint8_t *key, size_t key_len)
{
	if (!key) {
		pr_warn("rss: no key\n");
		return -EINVAL;
	}
	if (!key_len || key_len > VTAP_TOEPLITZ_KEY_MAX) {
		pr_warn("rss: key length %zu is not in 1..%d\n", key_len,
			VTAP_TOEPLITZ_KEY_MAX);
		return -EINVAL;
	}
	return 0;
}

static int check_table(const uint16_t *table, size_t table_len,
		       unsigned int num_queues)
{
	if (!table) {
		pr_warn("rss: no indirection table\n");
		return -EINVAL;
	}
	if (!table_len || table_len > VTAP_RSS_TABLE_MAX ||
	    (table_len & (table_len - 1))) {
		pr_warn("rss: indirection table length %zu is not a power of two in 1..%d\n",
			table_len, VTAP_RSS_TABLE_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < table_len; i++) {
		if (table[i] >= num_queues) {
			pr_warn("rss: indirection table entry %zu names queue %u, but there are %u queues\n",
				i, table[i], num_queues);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_unclassified(uint16_t queue, unsigned int num_queues)
{
	if (queue >= num_queues) {
		pr_warn("rss: unclassified queue %u, but there are %u queues\n",
			queue, num_queues);
		return -EINVAL;
	}
	return 0;
}

static struct vtap_toeplitz *new_hasher(const uint8_t *key, size_t key_len,
					enum vtap_toeplitz_impl impl, int *err)
{
	struct vtap_toeplitz *t = vtap_toeplitz__new(key, key_len, impl);

	if (!t) {
		*err = errno ? -errno : -ENOMEM;
		if (*err == -EOPNOTSUPP)
			pr_warn("rss: Toeplitz implementation '%s' is not supported here\n",
				vtap_toeplitz__impl_name(impl) ?: "?");
		else if (*err == -EINVAL)
			pr_warn("rss: Toeplitz implementation %d or key rejected\n",
				(int)impl);
	}
	return t;
}

/*
 * Build a complete, validated configuration from @opts (NULL = defaults)
 * into @new, including a fresh hasher. @rss is not touched.
 */
static int build(const struct vtap_rss_opts *opts, struct vtap_rss *new)
{
	static const uint16_t table0[1] = {0};
	const uint8_t *key = vtap_rss_default_key;
	size_t key_len = sizeof(vtap_rss_default_key);
	const uint16_t *table = table0;
	size_t table_len = 1;
	unsigned int num_queues;
	int err = 0;

	if (!OPTS_VALID(opts, struct vtap_rss_opts)) {
		pr_warn("rss: options struct size %zu is too small\n",
			opts->sz);
		return -EINVAL;
	}
	memset(new, 0, sizeof(*new));
	new->hash_types =
		opts ? OPTS_GET(opts, hash_types, 0) : VTAP_HASH_TYPE_ALL;
	if (OPTS_GET(opts, key, NULL)) {
		key = opts->key;
		key_len = OPTS_GET(opts, key_len, 0);
	}
	if (OPTS_GET(opts, table, NULL)) {
		table = opts->table;
		table_len = OPTS_GET(opts, table_len, 0);
	}
	num_queues = OPTS_GET(opts, num_queues, 0);
	if (!num_queues)
		num_queues = VTAP_QUEUES_MAX;
	new->unclassified_queue = OPTS_GET(opts, unclassified_queue, 0);
	new->impl = OPTS_GET(opts, impl, VTAP_TOEPLITZ_AUTO);

	err = check_types(new->hash_types);
	if (!err)
		err = check_key(key, key_len);
	if (!err && num_queues > VTAP_QUEUES_MAX) {
		pr_warn("rss: %u queues, at most %d\n", num_queues,
			VTAP_QUEUES_MAX);
		err = -EINVAL;
	}
	if (!err)
		err = check_table(table, table_len, num_queues);
	if (!err)
		err = check_unclassified(new->unclassified_queue, num_queues);
	if (err)
		return err;

	new->num_queues = (uint16_t)num_queues;
	new->key_len = key_len;
	memcpy(new->key, key, key_len);
	new->table_len = table_len;
	memcpy(new->table, table, table_len * sizeof(table[0]));
	new->hasher = new_hasher(new->key, key_len, new->impl, &err);
	return new->hasher ? 0 : err;
}

struct vtap_rss *vtap_rss__new(const struct vtap_rss_opts *opts)
{
	struct vtap_rss *rss;
	int err;

	rss = calloc(1, sizeof(*rss));
	if (!rss)
		return vtap_err_ptr(-ENOMEM);
	err = build(opts, rss);
	if (err) {
		free(rss);
		return vtap_err_ptr(err);
	}
	return rss;
}

void vtap_rss__free(struct vtap_rss *rss)
{
	if (!rss)
		return;
	vtap_toeplitz__free(rss->hasher);
	free(rss);
}

int vtap_rss__set(struct vtap_rss *rss, const struct vtap_rss_opts *opts)
{
	struct vtap_rss new;
	int err;

	if (!rss)
		return vtap_err(-EINVAL);
	/* @opts may point into @rss (from vtap_rss__get()): build a copy. */
	err = build(opts, &new);
	if (err)
		return vtap_err(err);
	vtap_toeplitz__free(rss->hasher);
	*rss = new;
	return 0;
}

int vtap_rss__set_key(struct vtap_rss *rss, const uint8_t *key, size_t key_len)
{
	struct vtap_toeplitz *t;
	uint8_t copy[VTAP_TOEPLITZ_KEY_MAX];
	int err;

	if (!rss)
		return vtap_err(-EINVAL);
	err = check_key(key, key_len);
	if (err)
		return vtap_err(err);
	memcpy(copy, key, key_len);
	t = new_hasher(copy, key_len, rss->impl, &err);
	if (!t)
		return vtap_err(err);
	vtap_toeplitz__free(rss->hasher);
	rss->hasher = t;
	rss->key_len = key_len;
	memcpy(rss->key, copy, key_len);
	return 0;
}

int vtap_rss__set_types(struct vtap_rss *rss, uint32_t hash_types)
{
	int err;

	if (!rss)
		return vtap_err(-EINVAL);
	err = check_types(hash_types);
	if (err)
		return vtap_err(err);
	rss->hash_types = hash_types;
	return 0;
}

int vtap_rss__set_table(struct vtap_rss *rss, const uint16_t *table,
			size_t table_len)
{
	int err;

	if (!rss)
		return vtap_err(-EINVAL);
	err = check_table(table, table_len, rss->num_queues);
	if (err)
		return vtap_err(err);
	memmove(rss->table, table, table_len * sizeof(table[0]));
	rss->table_len = table_len;
	return 0;
}

int vtap_rss__set_unclassified(struct vtap_rss *rss, uint16_t queue)
{
	int err;

	if (!rss)
		return vtap_err(-EINVAL);
	err = check_unclassified(queue, rss->num_queues);
	if (err)
		return vtap_err(err);
	rss->unclassified_queue = queue;
	return 0;
}

int vtap_rss__get(const struct vtap_rss *rss, struct vtap_rss_opts *ret_opts)
{
	struct vtap_rss_opts o = {0};
	size_t sz;

	if (!rss || !ret_opts || !OPTS_VALID(ret_opts, struct vtap_rss_opts))
		return vtap_err(-EINVAL);
	sz = ret_opts->sz < sizeof(o) ? ret_opts->sz : sizeof(o);
	o.sz = ret_opts->sz;
	o.hash_types = rss->hash_types;
	o.key = rss->key;
	o.key_len = rss->key_len;
	o.table = rss->table;
	o.table_len = rss->table_len;
	o.unclassified_queue = rss->unclassified_queue;
	o.num_queues = rss->num_queues;
	o.impl = rss->impl;
	/* Fill only what the caller's (possibly older) struct holds. */
	memcpy(ret_opts, &o, sz);
	return 0;
}

/* Append the Toeplitz input for addresses @a, @b of @alen bytes each. */
static size_t put_addrs(uint8_t *in, const uint8_t *a, const uint8_t *b,
			size_t alen)
{
	memcpy(in, a, alen);
	memcpy(in + alen, b, alen);
	return 2 * alen;
}

static size_t put_ports(uint8_t *in, const struct vtap_pkt_info *info)
{
	memcpy(in, &info->sport, 2);
	memcpy(in + 2, &info->dport, 2);
	return 4;
}

/*
 * Select the fields for @info under @types: fill @in, return the report
 * value and set *ret_len (the cascade of the file's header).
 */
static enum vtap_hash_report select_fields(uint32_t types,
					   const struct vtap_pkt_info *info,
					   uint8_t *in, size_t *ret_len)
{
	bool tcp = info->l4 == VTAP_PKT_L4_TCP && !info->is_frag;
	bool udp = info->l4 == VTAP_PKT_L4_UDP && !info->is_frag;
	const uint8_t *ex_src, *ex_dst;
	size_t n;

	if (info->l3 == VTAP_PKT_L3_IPV4) {
		n = put_addrs(in, info->src, info->dst, 4);
		if (tcp && (types & VTAP_HASH_TYPE_TCPV4)) {
			*ret_len = n + put_ports(in + n, info);
			return VTAP_HASH_REPORT_TCPV4;
		}
		if (udp && (types & VTAP_HASH_TYPE_UDPV4)) {
			*ret_len = n + put_ports(in + n, info);
			return VTAP_HASH_REPORT_UDPV4;
		}
		*ret_len = n;
		return types & VTAP_HASH_TYPE_IPV4 ? VTAP_HASH_REPORT_IPV4
						   : VTAP_HASH_REPORT_NONE;
	}
	if (info->l3 != VTAP_PKT_L3_IPV6)
		return VTAP_HASH_REPORT_NONE;

	ex_src = info->has_hao ? info->hao : info->src;
	ex_dst = info->has_rh2 ? info->rh2 : info->dst;
	if (tcp && (types & VTAP_HASH_TYPE_TCPV6_EX)) {
		n = put_addrs(in, ex_src, ex_dst, 16);
		*ret_len = n + put_ports(in + n, info);
		return VTAP_HASH_REPORT_TCPV6_EX;
	}
	if (tcp && (types & VTAP_HASH_TYPE_TCPV6)) {
		n = put_addrs(in, info->src, info->dst, 16);
		*ret_len = n + put_ports(in + n, info);
		return VTAP_HASH_REPORT_TCPV6;
	}
	if (udp && (types & VTAP_HASH_TYPE_UDPV6_EX)) {
		n = put_addrs(in, ex_src, ex_dst, 16);
		*ret_len = n + put_ports(in + n, info);
		return VTAP_HASH_REPORT_UDPV6_EX;
	}
	if (udp && (types & VTAP_HASH_TYPE_UDPV6)) {
		n = put_addrs(in, info->src, info->dst, 16);
		*ret_len = n + put_ports(in + n, info);
		return VTAP_HASH_REPORT_UDPV6;
	}
	if (types & VTAP_HASH_TYPE_IPV6_EX) {
		*ret_len = put_addrs(in, ex_src, ex_dst, 16);
		return VTAP_HASH_REPORT_IPV6_EX;
	}
	if (types & VTAP_HASH_TYPE_IPV6) {
		*ret_len = put_addrs(in, info->src, info->dst, 16);
		return VTAP_HASH_REPORT_IPV6;
	}
	return VTAP_HASH_REPORT_NONE;
}

int vtap_rss__hash_info(const struct vtap_rss *rss,
			const struct vtap_pkt_info *info,
			struct vtap_rss_result *ret)
{
	uint8_t in[VTAP_TOEPLITZ_INPUT_MAX];
	enum vtap_hash_report report;
	size_t len = 0;
	uint32_t hash;

	if (!rss || !info || !ret)
		return vtap_err(-EINVAL);
	report = select_fields(rss->hash_types, info, in, &len);
	if (report == VTAP_HASH_REPORT_NONE) {
		ret->hash = 0;
		ret->report = VTAP_HASH_REPORT_NONE;
		ret->queue = rss->unclassified_queue;
		return 0;
	}
	hash = vtap_toeplitz__hash(rss->hasher, in, len);
	ret->hash = hash;
	ret->report = (uint16_t)report;
	ret->queue = rss->table[hash & (rss->table_len - 1)];
	return 0;
}

int vtap_rss__hash(const struct vtap_rss *rss, const void *frame, size_t len,
		   unsigned int flags, struct vtap_rss_result *ret)
{
	struct vtap_pkt_info info;
	int err;

	if (!rss || !ret)
		return vtap_err(-EINVAL);
	err = vtap_pkt__parse(frame, len, flags, &info);
	if (err)
		return err;
	return vtap_rss__hash_info(rss, &info, ret);
}
