/* SPDX-License-Identifier: MIT */
/*
 * vtap.h - the public API of libvtap, a virtio-net datapath for Linux TAP
 *
 * Conventions (the theory of operation is in docs/):
 * - Opaque handles with object-first names: vtap_<object>__<verb>().
 * - Calls that will grow take an options struct whose first field, sz, is
 *   its size (use VTAP_OPTS_INIT); NULL options mean defaults.
 * - Errors: functions returning int return a negative errno and set errno;
 *   constructors return NULL and set errno. ret_* outputs are untouched on
 *   error.
 * - The library never prints; see vtap_set_log().
 *
 * The file is organised in sections, one per module. Each section is owned
 * by its module; keep declarations inside their section.
 */
#ifndef VTAP_VTAP_H
#define VTAP_VTAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VTAP_API __attribute__((visibility("default")))

/**
 * VTAP_OPTS_INIT() - declare and zero an options struct, setting its size
 * @type: struct type, e.g. vtap_rss_opts
 * @name: variable name
 */
#define VTAP_OPTS_INIT(type, name, ...) \
	struct type name = {.sz = sizeof(struct type), __VA_ARGS__}

/* ===================================================================== */
/* log                                                                   */
/* ===================================================================== */

/* Levels match libbpf's enum libbpf_print_level, so one callback serves both. */
enum vtap_log_level {
	VTAP_LOG_WARN,
	VTAP_LOG_INFO,
	VTAP_LOG_DEBUG,
};

typedef int (*vtap_log_fn)(enum vtap_log_level level, const char *fmt,
			   va_list ap);

/**
 * vtap_set_log() - install the library's log callback
 * @fn: callback, or NULL to silence the library (the default)
 *
 * Each message is one line ending in '\n', as libbpf's are, so a libbpf
 * print callback can be reused.
 *
 * Return: the previous callback.
 * Context: the only global state in the library; set it before other calls.
 */
VTAP_API vtap_log_fn vtap_set_log(vtap_log_fn fn);

/* ===================================================================== */
/* hash types and report values (virtio-net spec, "Hash calculation")    */
/* ===================================================================== */

#define VTAP_HASH_TYPE_IPV4 (1u << 0)
#define VTAP_HASH_TYPE_TCPV4 (1u << 1)
#define VTAP_HASH_TYPE_UDPV4 (1u << 2)
#define VTAP_HASH_TYPE_IPV6 (1u << 3)
#define VTAP_HASH_TYPE_TCPV6 (1u << 4)
#define VTAP_HASH_TYPE_UDPV6 (1u << 5)
#define VTAP_HASH_TYPE_IPV6_EX (1u << 6)
#define VTAP_HASH_TYPE_TCPV6_EX (1u << 7)
#define VTAP_HASH_TYPE_UDPV6_EX (1u << 8)
#define VTAP_HASH_TYPE_ALL 0x1ffu

/* hash_report values of virtio_net_hdr_v1_hash. */
enum vtap_hash_report {
	VTAP_HASH_REPORT_NONE = 0,
	VTAP_HASH_REPORT_IPV4 = 1,
	VTAP_HASH_REPORT_TCPV4 = 2,
	VTAP_HASH_REPORT_UDPV4 = 3,
	VTAP_HASH_REPORT_IPV6 = 4,
	VTAP_HASH_REPORT_TCPV6 = 5,
	VTAP_HASH_REPORT_UDPV6 = 6,
	VTAP_HASH_REPORT_IPV6_EX = 7,
	VTAP_HASH_REPORT_TCPV6_EX = 8,
	VTAP_HASH_REPORT_UDPV6_EX = 9,
	VTAP_HASH_REPORT__COUNT,
};

/**
 * vtap_hash_report__name() - lower-case name of a report value
 * @report: report value
 *
 * Return: "none", "ipv4", "tcpv4", ..., "udpv6_ex"; NULL if out of range.
 * The type bit of report r (r > 0) is 1 << (r - 1).
 */
VTAP_API const char *vtap_hash_report__name(enum vtap_hash_report report);

/**
 * vtap_hash_types__parse() - parse a list of hash type names
 * @list: "all", "none" or a comma list of report names other than none
 * @ret_types: where to store the VTAP_HASH_TYPE_* mask
 *
 * Return: 0, or -EINVAL for an unknown or empty name.
 */
VTAP_API int vtap_hash_types__parse(const char *list, uint32_t *ret_types);

/**
 * vtap_hash_types__format() - format a type mask as a comma list of names
 * @types: VTAP_HASH_TYPE_* mask
 * @buf: output buffer
 * @size: its size (96 bytes fit every mask)
 *
 * Return: @buf ("none" for an empty mask).
 */
VTAP_API char *vtap_hash_types__format(uint32_t types, char *buf, size_t size);

/* ===================================================================== */
/* pkt - bounds-checked parse of a frame into the fields hashing needs   */
/* ===================================================================== */

/* Flags for vtap_pkt__parse(). */
enum vtap_pkt_flags {
	/* The frame starts at the IP header (TUN mode, IFF_NO_PI). */
	VTAP_PKT_L3 = 1u << 0,
};

enum vtap_pkt_l3 {
	VTAP_PKT_L3_NONE = 0,
	VTAP_PKT_L3_IPV4,
	VTAP_PKT_L3_IPV6,
};

enum vtap_pkt_l4 {
	VTAP_PKT_L4_NONE = 0, /* no usable ports (or not TCP/UDP) */
	VTAP_PKT_L4_TCP,
	VTAP_PKT_L4_UDP,
};

/* At most this many IPv6 extension headers are walked (vtap rule). */
#define VTAP_PKT_IPV6_EXT_MAX 8

/*
 * Bounds of the scan of destination options for a Home Address option
 * (vtap rule, the same in C and BPF): more than VTAP_PKT_OPT_PAD_MAX bytes
 * of padding in a row (Pad1 and PadN; the kernel's ip6_parse_tlv() drops
 * such packets), or more than VTAP_PKT_OPT_STEPS_MAX options read in the
 * whole frame, end the scan: no Home Address from there on, and the frame
 * counts as cut short. A Mobile IPv6 header needs two or three options.
 */
#define VTAP_PKT_OPT_PAD_MAX 7
#define VTAP_PKT_OPT_STEPS_MAX 8

/**
 * struct vtap_pkt_info - what vtap_pkt__parse() found in a frame
 * @l3: VTAP_PKT_L3_*; NONE when the frame carries no parsable IP header
 * @l4: VTAP_PKT_L4_*; TCP/UDP only when both ports lie inside the frame and
 *	the packet is not a fragment (IPv4 MF/offset, IPv6 fragment header)
 * @is_frag: IPv4 MF set or offset non-zero, or an IPv6 fragment header
 * @has_hao: IPv6 Home Address option found (@hao valid)
 * @has_rh2: IPv6 type-2 routing header found (@rh2 valid)
 * @n_vlan: VLAN tags skipped (0..2)
 * @opts_cut: the scan of IPv6 destination options stopped at one of the
 *	VTAP_PKT_OPT_* bounds (a Home Address option past them is not used)
 * @ip_proto: the protocol of the header at @l4_off: the IPv4 protocol, or
 *	the IPv6 next-header value where the extension-header walk stopped
 *	(the upper-layer protocol; or the type of a header that did not fit,
 *	of a 9th extension header, or the next header of a fragment header)
 * @l3_off: offset of the IP header in the frame (set even when @l3 is
 *	NONE, if the Ethernet/VLAN headers were read)
 * @l4_off: offset of the header @ip_proto names: the end of the IPv4
 *	header (options included) or of the IPv6 extension headers walked;
 *	may equal the frame length. The TCP/UDP header when @l4 != NONE.
 * @src: source address (IPv4 in the first 4 bytes), network order
 * @dst: destination address, network order
 * @hao: Home Address (IPv6), network order
 * @rh2: type-2 routing header address (IPv6), network order
 * @sport: source port, network order (valid when @l4 != NONE)
 * @dport: destination port, network order (valid when @l4 != NONE)
 */
struct vtap_pkt_info {
	uint8_t l3;
	uint8_t l4;
	bool is_frag;
	bool has_hao;
	bool has_rh2;
	uint8_t n_vlan;
	uint8_t ip_proto;
	bool opts_cut;
	uint16_t l3_off;
	uint16_t l4_off;
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t hao[16];
	uint8_t rh2[16];
	uint16_t sport;
	uint16_t dport;
};

/**
 * vtap_pkt__parse() - parse an Ethernet (or bare IP) frame for hashing
 * @frame: the frame, starting at the Ethernet header (or IP header with
 *	VTAP_PKT_L3)
 * @len: its length in bytes; nothing at or past @len is read
 * @flags: enum vtap_pkt_flags
 * @ret_info: result; always filled (l3 NONE when nothing usable was found)
 *
 * Follows the parsing rules of docs/hashing.md "Parsing": up to two VLAN
 * tags (0x8100, 0x88a8), IPv4 or IPv6 by EtherType with a matching version nibble, IPv6
 * extension headers (at most VTAP_PKT_IPV6_EXT_MAX), HAO and RH2. The IP
 * length fields are not used. An IPv6 fragment header ends the walk (vtap
 * rule: all fragments of a packet then give the same fields, and a later
 * fragment has no upper-layer header). When @l3 is NONE every field but
 * @n_vlan and @l3_off is zero. Frames longer than 65535 bytes are parsed
 * over their first 65535. Pure: no syscalls, no allocation.
 *
 * Return: 0 (parsing never fails; an unusable frame gives l3 NONE), or
 * -EINVAL if @frame or @ret_info is NULL.
 */
VTAP_API int vtap_pkt__parse(const void *frame, size_t len, unsigned int flags,
			     struct vtap_pkt_info *ret_info);

/* ===================================================================== */
/* toeplitz - the RSS hash                                               */
/* ===================================================================== */

#define VTAP_TOEPLITZ_KEY_MAX 52
/* The longest input hashed: IPv6 addresses and ports. */
#define VTAP_TOEPLITZ_INPUT_MAX 36

enum vtap_toeplitz_impl {
	VTAP_TOEPLITZ_AUTO = 0, /* the fastest the CPU supports */
	VTAP_TOEPLITZ_BITLOOP, /* reference: one key window per input bit */
	VTAP_TOEPLITZ_TABLE, /* per-byte-position tables, any CPU */
	VTAP_TOEPLITZ_GFNI, /* x86 GFNI (+AVX-512 where present) */
	VTAP_TOEPLITZ__COUNT,
};

struct vtap_toeplitz;

/**
 * vtap_toeplitz__new() - precompute a Toeplitz hasher for a key
 * @key: key bytes
 * @key_len: 1..VTAP_TOEPLITZ_KEY_MAX; key bits past the end count as zero
 * @impl: implementation, or VTAP_TOEPLITZ_AUTO
 *
 * Precomputation happens here, once per key, never per packet.
 *
 * Return: a hasher owned by the caller (free with vtap_toeplitz__free()),
 * or NULL with errno EINVAL (bad length or NULL @key), EOPNOTSUPP (@impl
 * not supported by this CPU, or a value this library does not know) or
 * ENOMEM.
 */
VTAP_API struct vtap_toeplitz *vtap_toeplitz__new(const uint8_t *key,
						  size_t key_len,
						  enum vtap_toeplitz_impl impl);

/**
 * vtap_toeplitz__free() - free a hasher
 * @t: hasher, or NULL
 */
VTAP_API void vtap_toeplitz__free(struct vtap_toeplitz *t);

/**
 * vtap_toeplitz__hash() - hash an input
 * @t: hasher
 * @in: input bytes (selected fields in network order)
 * @len: 0..VTAP_TOEPLITZ_INPUT_MAX; longer inputs are hashed over their
 *	first VTAP_TOEPLITZ_INPUT_MAX bytes
 *
 * Return: the 32-bit Toeplitz hash.
 * Context: the hasher is read-only here; any number of threads may share it.
 */
VTAP_API uint32_t vtap_toeplitz__hash(const struct vtap_toeplitz *t,
				      const uint8_t *in, size_t len);

/**
 * vtap_toeplitz__impl() - which implementation a hasher uses
 * @t: hasher
 *
 * Return: the implementation chosen (never VTAP_TOEPLITZ_AUTO).
 */
VTAP_API enum vtap_toeplitz_impl
vtap_toeplitz__impl(const struct vtap_toeplitz *t);

/**
 * vtap_toeplitz__impl_supported() - whether this CPU runs an implementation
 * @impl: implementation
 *
 * Return: true if vtap_toeplitz__new() with @impl can succeed here.
 */
VTAP_API bool vtap_toeplitz__impl_supported(enum vtap_toeplitz_impl impl);

/**
 * vtap_toeplitz__impl_name() - name of an implementation
 * @impl: implementation
 *
 * Return: "auto", "bitloop", "table", "gfni"; NULL if out of range.
 */
VTAP_API const char *vtap_toeplitz__impl_name(enum vtap_toeplitz_impl impl);

/**
 * vtap_toeplitz__tables() - the per-byte-position tables for a key
 * @key: key bytes
 * @key_len: 1..VTAP_TOEPLITZ_KEY_MAX
 * @ret_tables: VTAP_TOEPLITZ_INPUT_MAX * 256 words; entry [p][b] is the hash
 *	of byte value b at input position p (all other bytes zero)
 *
 * The same tables drive the C table implementation and the BPF steering
 * program, so the twins share one design.
 *
 * Return: 0 or -EINVAL.
 */
VTAP_API int vtap_toeplitz__tables(const uint8_t *key, size_t key_len,
				   uint32_t ret_tables[][256]);

/* The well-known 40-byte Microsoft RSS verification key. */
VTAP_API extern const uint8_t vtap_rss_default_key[40];

/* ===================================================================== */
/* rss - virtio-net hash configuration and the field-selection cascade   */
/* ===================================================================== */

#define VTAP_RSS_KEY_LEN 40
#define VTAP_RSS_TABLE_MAX 128
#define VTAP_QUEUES_MAX 256

/**
 * struct vtap_rss_opts - a virtio-net RSS / hash configuration
 * @sz: sizeof(struct vtap_rss_opts)
 * @hash_types: VTAP_HASH_TYPE_* mask (0 = no hashing, every frame NONE)
 * @key: key bytes, or NULL for vtap_rss_default_key
 * @key_len: 1..VTAP_TOEPLITZ_KEY_MAX (ignored when @key is NULL)
 * @table: indirection table, or NULL for one entry naming queue 0
 * @table_len: power of two, 1..VTAP_RSS_TABLE_MAX
 * @unclassified_queue: queue for frames with report NONE
 * @num_queues: queues that exist (1..VTAP_QUEUES_MAX, 0 = VTAP_QUEUES_MAX);
 *	every table entry and @unclassified_queue must be below it
 * @impl: Toeplitz implementation (VTAP_TOEPLITZ_AUTO by default)
 */
struct vtap_rss_opts {
	size_t sz;
	uint32_t hash_types;
	const uint8_t *key;
	size_t key_len;
	const uint16_t *table;
	size_t table_len;
	uint16_t unclassified_queue;
	uint16_t num_queues;
	enum vtap_toeplitz_impl impl;
};

/**
 * struct vtap_rss_result - what the cascade decided for one frame
 * @hash: hash_value (0 when @report is NONE)
 * @report: enum vtap_hash_report
 * @queue: table[hash & (table_len - 1)], or the unclassified queue for NONE
 */
struct vtap_rss_result {
	uint32_t hash;
	uint16_t report;
	uint16_t queue;
};

struct vtap_rss;

/**
 * vtap_rss__new() - create an RSS configuration
 * @opts: configuration, or NULL for defaults (all types, default key,
 *	table {0}, unclassified queue 0)
 *
 * Return: a handle owned by the caller (vtap_rss__free()), or NULL with
 * errno EINVAL (reason logged: table length not a power of two or too long,
 * key length, unknown type bits, a queue index >= num_queues), EOPNOTSUPP
 * (implementation) or ENOMEM.
 */
VTAP_API struct vtap_rss *vtap_rss__new(const struct vtap_rss_opts *opts);

/**
 * vtap_rss__free() - free an RSS configuration
 * @rss: handle, or NULL
 */
VTAP_API void vtap_rss__free(struct vtap_rss *rss);

/**
 * vtap_rss__set() - replace the whole configuration
 * @rss: handle
 * @opts: new configuration (as for vtap_rss__new())
 *
 * Validates everything first: on error @rss is unchanged.
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP or -ENOMEM.
 * Context: not safe against concurrent vtap_rss__hash() on the same handle.
 */
VTAP_API int vtap_rss__set(struct vtap_rss *rss,
			   const struct vtap_rss_opts *opts);

/**
 * vtap_rss__set_key() - change the key
 * @rss: handle
 * @key: key bytes
 * @key_len: 1..VTAP_TOEPLITZ_KEY_MAX
 *
 * Return: 0, -EINVAL or -ENOMEM; on error @rss is unchanged.
 */
VTAP_API int vtap_rss__set_key(struct vtap_rss *rss, const uint8_t *key,
			       size_t key_len);

/**
 * vtap_rss__set_types() - change the hash types
 * @rss: handle
 * @hash_types: VTAP_HASH_TYPE_* mask
 *
 * Return: 0 or -EINVAL (unknown bits).
 */
VTAP_API int vtap_rss__set_types(struct vtap_rss *rss, uint32_t hash_types);

/**
 * vtap_rss__set_table() - change the indirection table
 * @rss: handle
 * @table: entries (queue indices)
 * @table_len: power of two, 1..VTAP_RSS_TABLE_MAX
 *
 * Return: 0 or -EINVAL (length, or an entry >= num_queues).
 */
VTAP_API int vtap_rss__set_table(struct vtap_rss *rss, const uint16_t *table,
				 size_t table_len);

/**
 * vtap_rss__set_unclassified() - change the queue for unclassified frames
 * @rss: handle
 * @queue: queue index below num_queues
 *
 * Return: 0 or -EINVAL.
 */
VTAP_API int vtap_rss__set_unclassified(struct vtap_rss *rss, uint16_t queue);

/**
 * vtap_rss__get() - read the configuration back
 * @rss: handle
 * @ret_opts: filled (sz must be set by the caller; only the fields its
 *	size covers are written); @key and @table point into @rss and stay
 *	valid until the next change; @num_queues is the effective count
 *	(VTAP_QUEUES_MAX where 0 was given). May be passed back to
 *	vtap_rss__set() of the same handle.
 *
 * Return: 0 or -EINVAL.
 */
VTAP_API int vtap_rss__get(const struct vtap_rss *rss,
			   struct vtap_rss_opts *ret_opts);

/**
 * vtap_rss__hash_info() - run the cascade on an already parsed frame
 * @rss: handle
 * @info: result of vtap_pkt__parse()
 * @ret: hash, report and queue
 *
 * Implements the virtio spec's field selection (virtio 1.2 5.1.6.4.3.1;
 * docs/hashing.md "The cascade"), with vtap's _EX rule:
 * an _EX type applies to every IPv6 packet and an L4 type wins over IPv6_EX.
 * First match wins:
 * - IPv4: TCP with ports and TCPv4 -> {src, dst, sport, dport}, TCPV4;
 *   UDP with ports and UDPv4 -> 4-tuple, UDPV4; IPv4 -> {src, dst}, IPV4.
 * - IPv6: TCP with ports: TCPv6_EX -> {EX src, EX dst, ports}, TCPV6_EX,
 *   else TCPv6 -> {src, dst, ports}, TCPV6; UDP with ports likewise with
 *   UDPv6_EX and UDPv6; then IPv6_EX -> {EX src, EX dst}, IPV6_EX; then
 *   IPv6 -> {src, dst}, IPV6.
 * - Otherwise NONE: hash 0, the unclassified queue.
 * EX src is the Home Address option's address, or else the source; EX dst
 * the type-2 routing header's address, or else the destination. Fragments
 * never use ports. The spec's text, read literally, would let IPv6_EX win
 * over TCPv6/UDPv6 for packets with extension headers; vtap follows
 * Windows' NDIS RSS and QEMU instead (they differ only when IPv6_EX and an
 * L4 type are set without the matching L4 _EX type).
 *
 * Return: 0, or -EINVAL for NULL arguments.
 * Context: read-only on @rss; threads may share it.
 */
VTAP_API int vtap_rss__hash_info(const struct vtap_rss *rss,
				 const struct vtap_pkt_info *info,
				 struct vtap_rss_result *ret);

/**
 * vtap_rss__hash() - parse a frame and run the cascade
 * @rss: handle
 * @frame: frame (Ethernet, or IP with VTAP_PKT_L3 in @flags)
 * @len: frame length
 * @flags: enum vtap_pkt_flags
 * @ret: hash, report and queue
 *
 * Return: 0, or -EINVAL for NULL arguments.
 * Context: read-only on @rss; threads may share it.
 */
VTAP_API int vtap_rss__hash(const struct vtap_rss *rss, const void *frame,
			    size_t len, unsigned int flags,
			    struct vtap_rss_result *ret);

/* ===================================================================== */
/* vnet - virtio-net header encode, decode and validation                */
/* ===================================================================== */

/* Header sizes (virtio 1.2 5.1.6 "Device Operation"); all little-endian. */
#define VTAP_VNET_HDR_LEN 10 /* virtio_net_hdr */
#define VTAP_VNET_HDR_V1_LEN 12 /* virtio_net_hdr_v1 / mrg_rxbuf */
#define VTAP_VNET_HDR_HASH_LEN 20 /* virtio_net_hdr_v1_hash */
#define VTAP_VNET_HDR_TUNNEL_LEN 24 /* virtio_net_hdr_v1_hash_tunnel */

#define VTAP_VNET_F_NEEDS_CSUM 1
#define VTAP_VNET_F_DATA_VALID 2
#define VTAP_VNET_F_RSC_INFO 4
/* UDP tunnel GSO: the outer UDP checksum is to be computed too. */
#define VTAP_VNET_F_UDP_TUNNEL_CSUM 8

#define VTAP_VNET_GSO_NONE 0
#define VTAP_VNET_GSO_TCPV4 1
#define VTAP_VNET_GSO_UDP 3
#define VTAP_VNET_GSO_TCPV6 4
#define VTAP_VNET_GSO_UDP_L4 5
#define VTAP_VNET_GSO_ECN 0x80
/*
 * UDP tunnel GSO (Linux 6.17, 24-byte header): one of these with the inner
 * type (TCPV4, TCPV6, UDP_L4): the frame is an outer IPv4/IPv6 + UDP packet
 * (VXLAN, Geneve, ...) carrying a GSO frame. outer_th_offset is the outer
 * UDP header, inner_nh_offset the inner IP header, csum_start the inner L4
 * header.
 */
#define VTAP_VNET_GSO_UDP_TUNNEL_IPV4 0x20
#define VTAP_VNET_GSO_UDP_TUNNEL_IPV6 0x40
#define VTAP_VNET_GSO_UDP_TUNNEL 0x60

/**
 * struct vtap_vnet_hdr - a decoded virtio-net header, host byte order
 *
 * Fields past the header size in use (num_buffers for 10 bytes, hash_* for
 * 10 and 12, outer_th_offset and inner_nh_offset below 24) are zero after
 * decoding and ignored when encoding.
 */
struct vtap_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
	uint32_t hash_value;
	uint16_t hash_report;
	uint16_t outer_th_offset;
	uint16_t inner_nh_offset;
};

/*
 * Why a frame was dropped; counted per queue and direction. Shared by the
 * header validation (vnet), the software offloads and the queues.
 */
enum vtap_drop_reason {
	VTAP_DROP_SHORT = 0, /* shorter than its vnet header / L2 header */
	VTAP_DROP_GSO_TYPE, /* unknown gso_type, or ECN without TSO */
	VTAP_DROP_GSO_SIZE, /* gso_size 0 with a GSO type */
	VTAP_DROP_CSUM, /* csum_start/csum_offset outside the frame or
				  * not what the GSO type needs */
	VTAP_DROP_HDR_LEN, /* hdr_len past the end of the frame */
	VTAP_DROP_HEADERS, /* L3/L4 headers malformed for the offload */
	VTAP_DROP_TOO_BIG, /* larger than the buffer or the device allows */
	VTAP_DROP_QUEUE_FULL, /* the kernel queue was full (EAGAIN) */
	VTAP_DROP_UNSUPPORTED, /* needs an offload with no fallback */
	VTAP_DROP_IO, /* any other read/write error */
	VTAP_DROP__COUNT,
};

/**
 * vtap_drop_reason__name() - snake_case name of a drop reason
 * @reason: enum vtap_drop_reason
 *
 * Return: e.g. "gso_size"; NULL if out of range.
 */
VTAP_API const char *vtap_drop_reason__name(enum vtap_drop_reason reason);

/**
 * vtap_vnet__decode() - decode a virtio-net header from the wire
 * @buf: the header bytes (little-endian)
 * @hdr_size: header size in use: VTAP_VNET_HDR_LEN, VTAP_VNET_HDR_V1_LEN,
 *	VTAP_VNET_HDR_HASH_LEN, or any other size >= 10 that TUNSETVNETHDRSZ
 *	took; a field is decoded when it lies wholly inside @hdr_size bytes
 * @ret: the decoded header; fields that do not fit are zero
 *
 * Return: 0, or -EINVAL for NULL pointers or @hdr_size < 10.
 * Context: pure; no allocation.
 */
VTAP_API int vtap_vnet__decode(const void *buf, size_t hdr_size,
			       struct vtap_vnet_hdr *ret);

/**
 * vtap_vnet__encode() - encode a virtio-net header for the wire
 * @h: the header
 * @buf: output, @hdr_size bytes
 * @hdr_size: header size in use (>= 10, as for vtap_vnet__decode())
 *
 * Writes exactly @hdr_size bytes: the fields that fit wholly, little-endian
 * (the tunnel offsets with a 24-byte header), and zeros for everything
 * else (padding, fields of longer layouts).
 *
 * Return: 0, or -EINVAL for NULL pointers or @hdr_size < 10.
 */
VTAP_API int vtap_vnet__encode(const struct vtap_vnet_hdr *h, void *buf,
			       size_t hdr_size);

/**
 * struct vtap_vnet_layout - where the offload-relevant headers of a frame are
 * @l3: VTAP_PKT_L3_IPV4 or VTAP_PKT_L3_IPV6 (NONE for a frame that was
 *	not parsed: a non-GSO frame)
 * @l4: VTAP_PKT_L4_TCP or VTAP_PKT_L4_UDP (NONE when not parsed)
 * @l3_off: offset of the IP header in the frame
 * @l4_off: offset of the TCP/UDP header
 * @hdrs_len: @l4_off plus the TCP header length (options included) or 8 for
 *	UDP: the bytes software GSO repeats in front of every segment. This is
 *	what the frame's headers say; the header's hdr_len is only a hint
 *	(the kernel reports its linear length there on receive).
 * @payload: bytes after @hdrs_len
 * @segs: segments software GSO makes: ceil(@payload / gso_size), at least
 *	1; 1 for a non-GSO frame
 * @ip6_src_off: offset of the address IPv6 checksums use as source (the
 *	IPv6 source, or a Home Address option's address)
 * @ip6_dst_off: offset of the final destination IPv6 checksums use (the
 *	IPv6 destination, or the last hop of a type 2 or 4 routing header)
 * @ip6_dst_known: false when a routing header of another type still has
 *	segments left, so the final destination cannot be found
 * @outer_l3: UDP tunnel GSO: the outer IP version (VTAP_PKT_L3_*), NONE
 *	for other frames; @l3 .. @ip6_dst_off then describe the inner packet
 * @outer_l3_off: UDP tunnel GSO: offset of the outer IP header
 * @outer_th_off: UDP tunnel GSO: offset of the outer UDP header
 */
struct vtap_vnet_layout {
	uint8_t l3;
	uint8_t l4;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t hdrs_len;
	uint32_t payload;
	uint32_t segs;
	uint16_t ip6_src_off;
	uint16_t ip6_dst_off;
	bool ip6_dst_known;
	uint8_t outer_l3;
	uint16_t outer_l3_off;
	uint16_t outer_th_off;
};

/*
 * The kernel's UDP_MAX_SEGMENTS (128 since Linux 6.9): a UDP_L4 frame with
 * more segments is refused by a write to tap.
 */
#define VTAP_VNET_UDP_SEGS_MAX 128

/**
 * vtap_vnet__check_frame() - validate a header against its frame
 * @h: decoded header
 * @frame: the bytes after the vnet header: Ethernet, or IP with
 *	VTAP_PKT_L3 in @flags (TUN mode)
 * @len: length of @frame; nothing at or past it is read
 * @flags: enum vtap_pkt_flags
 * @ret_layout: where the headers are (may be NULL); written on success
 * @ret_reason: why the frame is refused (may be NULL); written on error
 *
 * Applies, in this order (the first failing check gives the reason):
 *
 * 1. SHORT: TAP mode and @len below an Ethernet header (14 bytes).
 * 2. GSO_TYPE: gso_type other than NONE, TCPV4, TCPV6, UDP, UDP_L4, with
 *    the ECN bit allowed on TCPV4/TCPV6 only; a UDP tunnel bit
 *    (VTAP_VNET_GSO_UDP_TUNNEL_IPV4 or _IPV6, not both) only with TCPV4,
 *    TCPV6 or UDP_L4.
 * 3. GSO_SIZE: a GSO type with gso_size 0 or 0xffff (GSO_BY_FRAGS).
 * 4. HDR_LEN: hdr_len past the end of the frame, or (TAP mode) non-zero
 *    and below 14.
 * 5. CSUM: NEEDS_CSUM with csum_start + csum_offset + 2 > @len, or with
 *    csum_start below 20 (40 for TCPV6), the smallest network header; TCP
 *    GSO with NEEDS_CSUM and csum_offset != 16; UDP_L4 without NEEDS_CSUM or
 *    with csum_offset != 6; UDP tunnel GSO without NEEDS_CSUM.
 * 6. HEADERS (GSO frames only): Ethernet, up to two VLAN tags (0x8100,
 *    0x88a8), then the IP version gso_type names (TCPV4: IPv4, TCPV6:
 *    IPv6, UDP/UDP_L4: either) with a sane header (IPv4 IHL >= 5, not a
 *    fragment; IPv6 extension headers walked, at most
 *    VTAP_PKT_IPV6_EXT_MAX, no fragment header), the L4 protocol the type
 *    names, and a whole TCP header (data offset >= 5, options included) or
 *    UDP header inside the frame. With NEEDS_CSUM, csum_start must be the
 *    L4 header's offset (reason CSUM otherwise). UDP tunnel GSO: the outer
 *    headers parsed so (the IP version the tunnel bit names, UDP) with the
 *    UDP header at outer_th_offset, then the inner packet at
 *    inner_nh_offset (after the outer UDP header) parsed as a bare IP
 *    packet of the inner type; the layout describes the inner headers.
 * 7. TOO_BIG: UDP_L4 with more than VTAP_VNET_UDP_SEGS_MAX segments.
 *
 * Checks 1-5 and 7 are what the kernel's tap write path
 * (tun_get_user(), virtio_net_hdr_to_skb()) refuses with EINVAL, so
 * a frame passing them is not refused by a write; check 6 is vtap's
 * own: the kernel would accept such a frame and drop it later, silently,
 * when it fails to segment it.
 *
 * Direction: on send (consumer -> tap) call it for every frame before
 * writing, to count drops by reason instead of getting EINVAL. On receive
 * (tap -> consumer) the kernel's headers always pass; calling it there is
 * optional, vtap_gso__init() validates what it relies on by itself.
 *
 * A GSO frame whose payload is not longer than gso_size passes; the kernel
 * treats it as non-GSO (one segment).
 *
 * Return: 0, or -EINVAL (NULL @h or @frame, or a failed check).
 * Context: pure; no allocation.
 */
VTAP_API int vtap_vnet__check_frame(const struct vtap_vnet_hdr *h,
				    const void *frame, size_t len,
				    unsigned int flags,
				    struct vtap_vnet_layout *ret_layout,
				    enum vtap_drop_reason *ret_reason);

/**
 * vtap_vnet__check() - validate a header against an Ethernet frame
 * @h: decoded header
 * @frame: the bytes after the vnet header, starting at Ethernet
 * @len: length of @frame
 * @ret_reason: why the frame is refused (may be NULL); written on error
 *
 * vtap_vnet__check_frame() with no flags and no layout.
 *
 * Return: 0, or -EINVAL.
 */
VTAP_API int vtap_vnet__check(const struct vtap_vnet_hdr *h, const void *frame,
			      size_t len, enum vtap_drop_reason *ret_reason);

/* ===================================================================== */
/* offload - checksum completion, software GSO segmentation              */
/* ===================================================================== */

/*
 * Offload groups a tap can take (TUNSETOFFLOAD), as vtap names them. USO is
 * USO4+USO6 together (the kernel accepts only the pair). The values are
 * vtap's own; dev maps them to TUN_F_* bits.
 */
#define VTAP_OFFLOAD_CSUM (1u << 0)
#define VTAP_OFFLOAD_TSO4 (1u << 1)
#define VTAP_OFFLOAD_TSO6 (1u << 2)
#define VTAP_OFFLOAD_TSO_ECN (1u << 3)
#define VTAP_OFFLOAD_USO (1u << 4)
#define VTAP_OFFLOAD_UDP_TUNNEL (1u << 5)
#define VTAP_OFFLOAD_UDP_TUNNEL_CSUM (1u << 6)
#define VTAP_OFFLOAD_ALL 0x7fu

/*
 * Internet checksum (RFC 1071). Partial sums are 32-bit ones' complement
 * sums of 16-bit words in memory order (as the kernel's __wsum): loading
 * the bytes as native words and storing the folded result back as a native
 * word gives the right bytes on either endianness. Chain partial sums over
 * consecutive chunks only when every chunk but the last has even length.
 */

/**
 * vtap_csum__partial() - add a buffer to a partial checksum
 * @buf: bytes
 * @len: their number; an odd last byte counts as padded with zero
 * @sum: partial sum so far (0 to start)
 *
 * Return: the new partial sum. Processes 8 bytes per step.
 */
VTAP_API uint32_t vtap_csum__partial(const void *buf, size_t len, uint32_t sum);

/**
 * vtap_csum__fold() - fold a partial sum to 16 bits, not complemented
 * @sum: partial sum
 *
 * This is the value a NEEDS_CSUM checksum field holds as its seed.
 *
 * Return: the folded sum, in memory order (store it with memcpy()).
 */
VTAP_API uint16_t vtap_csum__fold(uint32_t sum);

/**
 * vtap_csum__finish() - the checksum to store for a partial sum
 * @sum: partial sum over everything the checksum covers
 *
 * Return: ~vtap_csum__fold(@sum), in memory order.
 */
VTAP_API uint16_t vtap_csum__finish(uint32_t sum);

/**
 * vtap_csum__pseudo4() - partial sum of an IPv4 pseudo-header
 * @saddr: source address, 4 bytes, network order
 * @daddr: destination address, 4 bytes, network order
 * @proto: IP protocol (6 TCP, 17 UDP)
 * @len: L4 length (header and payload), or 0 for the sum without length
 *	that TSO/USO checksum fields hold as their seed
 *
 * Return: the partial sum.
 */
VTAP_API uint32_t vtap_csum__pseudo4(const void *saddr, const void *daddr,
				     uint8_t proto, uint32_t len);

/**
 * vtap_csum__pseudo6() - partial sum of an IPv6 pseudo-header
 * @saddr: source address, 16 bytes, network order
 * @daddr: (final) destination address, 16 bytes, network order
 * @proto: upper-layer protocol
 * @len: upper-layer length, or 0 for the sum without length
 *
 * Return: the partial sum.
 */
VTAP_API uint32_t vtap_csum__pseudo6(const void *saddr, const void *daddr,
				     uint8_t proto, uint32_t len);

/**
 * vtap_csum__complete() - complete a NEEDS_CSUM checksum in place
 * @frame: the frame
 * @len: its length
 * @csum_start: where the checksummed range starts (to the end of @frame)
 * @csum_offset: offset of the 16-bit checksum field from @csum_start
 *
 * The field holds the seed (the pseudo-header sum, folded, as
 * VIRTIO_NET_HDR_F_NEEDS_CSUM defines it); the sum from @csum_start to the
 * end, seed included, is folded, complemented and stored in the field. A
 * result of 0 is stored as 0xffff, as the kernel does (equivalent for TCP,
 * required for UDP). Like the kernel's skb_checksum_help(), an odd
 * @csum_offset is not refused, but no stored value can make such a
 * straddling field verify; every real protocol uses an even offset.
 *
 * Return: 0, or -EINVAL when the field is not inside @frame.
 * Context: pure; no allocation.
 */
VTAP_API int vtap_csum__complete(void *frame, size_t len, uint16_t csum_start,
				 uint16_t csum_offset);

/**
 * struct vtap_gso - state of one software segmentation (caller-owned)
 *
 * Fill it with vtap_gso__init(), then call vtap_gso__next() until it
 * returns 0. All fields are private; read them through the accessors. It
 * points into the frame, which must stay unchanged until the last segment.
 */
struct vtap_gso {
	const uint8_t *frame;
	size_t len;
	struct vtap_vnet_layout lo;
	uint32_t pseudo;
	uint32_t seq;
	uint32_t next;
	uint16_t gso_size;
	uint16_t ip_id;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint8_t mode;
	uint8_t outer_csum;
	uint16_t outer_ip_id;
	uint32_t outer_pseudo;
};

/**
 * vtap_gso__init_flags() - prepare the software offloads of one frame
 * @g: state to fill
 * @h: the frame's decoded vnet header
 * @frame: the frame after the vnet header (Ethernet, or IP with
 *	VTAP_PKT_L3 in @flags); must stay valid and unchanged while @g is used
 * @len: its length
 * @flags: enum vtap_pkt_flags
 * @ret_reason: why the frame cannot be handled (may be NULL); written on
 *	error
 *
 * Validates everything first with vtap_vnet__check_frame(), so
 * vtap_gso__next() never reads outside the frame. Then, by gso_type:
 *
 * - NONE: one segment, a copy of the frame; with NEEDS_CSUM the checksum
 *   is completed from the seed in the field (vtap_csum__complete()).
 * - TCPV4, TCPV6 (ECN bit or not), UDP_L4: vtap_vnet_layout.segs segments
 *   of at most gso_size payload bytes each, every one a complete frame.
 * - UDP (UFO): the datagram's IP fragments, gso_size bytes of IP payload
 *   each (rounded down to a multiple of 8; UDP header in the first), the
 *   UDP checksum completed over the whole datagram when NEEDS_CSUM. IPv4:
 *   the headers repeated with length, MF, offset and header checksum set
 *   (DF cleared); IPv6: a fragment header inserted before the UDP header.
 * - UDP tunnel GSO (24-byte header): the inner packet segmented as above,
 *   the tunnel header and inner Ethernet copied, the outer IPv4 total
 *   length, ID (+ i) and header checksum or IPv6 payload length, and the
 *   outer UDP length set; the outer UDP checksum computed over each
 *   segment with VTAP_VNET_F_UDP_TUNNEL_CSUM, left as the frame has it
 *   (0) without.
 * - IPv6 with a routing header of a type other than 2 or 4 that still has
 *   segments left is refused, -EOPNOTSUPP with reason UNSUPPORTED (its
 *   final destination, needed for the checksum, is unknown).
 *
 * A GSO frame whose segments would not fit the IP length fields (headers
 * plus gso_size over 64 KiB) is refused with -EMSGSIZE, reason TOO_BIG.
 *
 * Return: 0, -EINVAL (a check failed; reason as vtap_vnet__check_frame()),
 * -EOPNOTSUPP or -EMSGSIZE.
 * Context: pure; no allocation.
 */
VTAP_API int vtap_gso__init_flags(struct vtap_gso *g,
				  const struct vtap_vnet_hdr *h,
				  const void *frame, size_t len,
				  unsigned int flags,
				  enum vtap_drop_reason *ret_reason);

/**
 * vtap_gso__init() - vtap_gso__init_flags() for an Ethernet frame
 * @g: state to fill
 * @h: the frame's decoded vnet header
 * @frame: the frame after the vnet header, starting at Ethernet
 * @len: its length
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP or -EMSGSIZE; use vtap_gso__init_flags()
 * for the drop reason.
 */
VTAP_API int vtap_gso__init(struct vtap_gso *g, const struct vtap_vnet_hdr *h,
			    const void *frame, size_t len);

/**
 * vtap_gso__segs() - how many segments vtap_gso__next() produces in total
 * @g: initialised state
 *
 * Return: the number of segments (>= 1).
 */
VTAP_API uint32_t vtap_gso__segs(const struct vtap_gso *g);

/**
 * vtap_gso__seg_max() - the longest segment vtap_gso__next() produces
 * @g: initialised state
 *
 * Return: a buffer size that fits every segment: headers plus gso_size for
 * GSO frames (never more than the frame's length), the frame's length
 * otherwise.
 */
VTAP_API size_t vtap_gso__seg_max(const struct vtap_gso *g);

/**
 * vtap_gso__next() - write the next segment
 * @g: initialised state
 * @buf: output buffer
 * @size: its size
 * @ret_len: the segment's length; written when a segment was written
 *
 * Segment i (from 0) carries the payload bytes [i * gso_size, (i + 1) *
 * gso_size) after the headers, which are copied from the frame (VLAN tags
 * and IPv6 extension headers included) and then fixed up:
 * IPv4 total length, identification (the frame's plus i) and header
 * checksum; IPv6 payload length; TCP sequence number (plus i * gso_size),
 * FIN and PSH kept on the last segment only, CWR on the first only; UDP
 * length. The L4 checksum is computed in full for each segment from the
 * addresses (the seed in the frame is ignored, so either seed convention
 * works). Each segment is a frame that needs no offload: send it with a
 * zeroed vnet header (gso_type NONE, no NEEDS_CSUM; DATA_VALID may be set
 * towards a consumer).
 *
 * Return: 1 when a segment was written, 0 when all were, -ENOBUFS when
 * @size is too small for the next segment (nothing consumed; retry with
 * vtap_gso__seg_max() bytes), -EINVAL for NULL arguments.
 * Context: no allocation; touches only @g, @buf and @ret_len.
 */
VTAP_API int vtap_gso__next(struct vtap_gso *g, void *buf, size_t size,
			    size_t *ret_len);

/* What a frame needs in software before it goes on; see vtap_offload__plan. */
enum vtap_offload_plan {
	VTAP_PLAN_PASS = 0, /* hand it on as it is */
	VTAP_PLAN_CSUM, /* complete the checksum (vtap_csum__complete()),
			     * clear NEEDS_CSUM */
	VTAP_PLAN_SEGMENT, /* segment it (vtap_gso__init(), vtap_gso__next()) */
	VTAP_PLAN_DROP, /* drop it; the reason says why */
	VTAP_PLAN__COUNT,
};

/**
 * vtap_offload__plan() - decide what software work a frame needs
 * @h: the frame's decoded header, already checked (vtap_vnet__check())
 * @offloads: VTAP_OFFLOAD_* the destination takes: for frames read from the
 *	tap, what the consumer negotiated; for frames written to a tap with
 *	a vnet header, VTAP_OFFLOAD_ALL (the kernel's write path takes every
 *	GSO type and NEEDS_CSUM whatever the tap's offloads)
 * @ret_reason: reason for VTAP_PLAN_DROP (may be NULL); written only then
 *
 * - gso_type NONE: CSUM when NEEDS_CSUM is set and @offloads lacks
 *   VTAP_OFFLOAD_CSUM, else PASS.
 * - TCPV4/TCPV6: PASS when @offloads has CSUM and TSO4/TSO6 (and TSO_ECN
 *   for the ECN bit), else SEGMENT (CWR then stays on the first segment
 *   only). TSO without CSUM counts as no TSO, as TUNSETOFFLOAD treats it.
 * - UDP_L4: PASS with CSUM and USO, else SEGMENT.
 * - UDP (UFO): SEGMENT (IP fragmentation in software; no offload bit
 *   names UFO since Linux 4.14).
 * - a UDP tunnel bit with TCPV4/TCPV6/UDP_L4: as the inner type, with
 *   VTAP_OFFLOAD_UDP_TUNNEL (and _CSUM for VTAP_VNET_F_UDP_TUNNEL_CSUM)
 *   needed as well.
 * - anything else: DROP with GSO_TYPE.
 *
 * A GSO frame of one segment still gets SEGMENT when the destination lacks
 * the offload: its checksum seed may lack the length, so only a full
 * recomputation is right.
 *
 * Return: enum vtap_offload_plan.
 * Context: pure.
 */
VTAP_API enum vtap_offload_plan
vtap_offload__plan(const struct vtap_vnet_hdr *h, uint32_t offloads,
		   enum vtap_drop_reason *ret_reason);

/**
 * vtap_offload_plan__name() - name of a plan
 * @plan: enum vtap_offload_plan
 *
 * Return: "pass", "csum", "segment", "drop"; NULL if out of range.
 */
VTAP_API const char *vtap_offload_plan__name(enum vtap_offload_plan plan);

/* ===================================================================== */
/* dev - tap devices, features, offloads, queues attach/detach, link     */
/* ===================================================================== */

/*
 * A struct vtap_dev is one open handle on a TUN/TAP device: its queues (one
 * fd each), the offloads it set and pinned, and the per-queue counters. The
 * handle belongs to one thread at a time (its queues may run on others).
 * Closing it releases every queue; a persistent device stays, any other
 * goes away with its last queue.
 */
struct vtap_dev;
struct vtap_queue;

/* Flags of struct vtap_dev_opts. */
enum vtap_dev_flags {
	VTAP_DEV_TUN = 1u << 0, /* TUN (L3, no Ethernet header), not TAP */
	VTAP_DEV_PERSIST = 1u << 1, /* make the device persistent */
	VTAP_DEV_NO_CREATE = 1u << 2, /* open an existing device only */
	VTAP_DEV_EXCL = 1u << 3, /* create only: EEXIST if it exists */
	VTAP_DEV_SET_OWNER = 1u << 4, /* set the owner to @owner */
	VTAP_DEV_SET_GROUP = 1u << 5, /* set the group to @group */
	VTAP_DEV_SET_OFFLOADS = 1u << 6, /* set @offloads (else keep them) */
	VTAP_DEV_SINGLE_QUEUE = 1u << 7, /* without IFF_MULTI_QUEUE */
	VTAP_DEV_PIN = 1u << 8, /* pin @pinned (see pin_offloads) */
	/* Open an existing device with its own flags and header size (as a
	 * tool inspecting a tap does) instead of checking them. The
	 * handle's queues are a tool's: the queue depth rule does not count
	 * them (see the qdepth section). */
	VTAP_DEV_MATCH = 1u << 9,
	/* Open the queues with IFF_NAPI: the kernel runs its own GRO on what
	 * is written (per queue fd; needs CAP_NET_ADMIN). */
	VTAP_DEV_NAPI = 1u << 10,
};

/*
 * Device types. A tun/tap device is opened through /dev/net/tun and
 * exists as long as a queue is open (or it is persistent). A macvtap or
 * ipvtap device is a netdev on top of a lower device (a NIC, a veth, a
 * bond); the kernel gives it a character device, /dev/tapIFINDEX, and each
 * open() of that node is one queue. The queues behave as tun's: numbered
 * in open order, TUNSETQUEUE detaches and attaches them with the same
 * renumbering, TUNSETVNETHDRSZ and TUNSETOFFLOAD work. What differs:
 * the device outlives its queues (it is deleted with its link), it has no
 * TUNSETOWNER/TUNSETGROUP (the node's owner and mode say who may open
 * it), and the kernel picks the receive queue from the frame's hash
 * (steering sets that hash; see docs/macvtap.md).
 */
enum vtap_dev_type {
	VTAP_DEV_TYPE_TUN = 0, /* tun/tap (the default) */
	VTAP_DEV_TYPE_MACVTAP, /* macvtap: a macvlan with a tap */
	VTAP_DEV_TYPE_IPVTAP, /* ipvtap: an ipvlan with a tap */
	VTAP_DEV_TYPE__COUNT,
};

/*
 * The mode of a macvtap (bridge, vepa, private, passthru, source) or an
 * ipvtap (l2, l3, l3s) created by vtap_dev__open(). DEFAULT leaves it to
 * the kernel (vepa for macvtap, l3 for ipvtap).
 */
enum vtap_dev_mode {
	VTAP_DEV_MODE_DEFAULT = 0,
	VTAP_DEV_MODE_BRIDGE,
	VTAP_DEV_MODE_VEPA,
	VTAP_DEV_MODE_PRIVATE,
	VTAP_DEV_MODE_PASSTHRU,
	VTAP_DEV_MODE_SOURCE,
	VTAP_DEV_MODE_L2,
	VTAP_DEV_MODE_L3,
	VTAP_DEV_MODE_L3S,
	VTAP_DEV_MODE__COUNT,
};

/**
 * vtap_dev_type__name() - name of a device type
 * @type: enum vtap_dev_type
 *
 * Return: "tun", "macvtap", "ipvtap" (the rtnetlink kind); NULL if out of
 * range.
 */
VTAP_API const char *vtap_dev_type__name(enum vtap_dev_type type);

/**
 * vtap_dev_mode__name() - name of a macvtap/ipvtap mode
 * @mode: enum vtap_dev_mode
 *
 * Return: "default", "bridge", "vepa", "private", "passthru", "source",
 * "l2", "l3", "l3s"; NULL if out of range.
 */
VTAP_API const char *vtap_dev_mode__name(enum vtap_dev_mode mode);

/**
 * vtap_dev_mode__valid() - whether a mode applies to a device type
 * @type: VTAP_DEV_TYPE_MACVTAP or VTAP_DEV_TYPE_IPVTAP
 * @mode: enum vtap_dev_mode
 *
 * Return: true for DEFAULT and the modes of @type (bridge..source for
 * macvtap, l2/l3/l3s for ipvtap).
 */
VTAP_API bool vtap_dev_mode__valid(enum vtap_dev_type type,
				   enum vtap_dev_mode mode);

/**
 * struct vtap_dev_opts - how to create or open a device
 * @sz: sizeof(struct vtap_dev_opts)
 * @flags: enum vtap_dev_flags
 * @queues: queues to open, 1..VTAP_QUEUES_MAX; 0 = the intended count
 *	recorded for a persistent tap (vtap_dev__intended_queues()), else 1
 * @vnet_hdr_len: 0 (no virtio-net header), 10, 12, 20 or 24
 *	(VTAP_VNET_HDR_*_LEN; 24 carries the UDP tunnel GSO offsets)
 * @offloads: VTAP_OFFLOAD_* to set with VTAP_DEV_SET_OFFLOADS
 * @pinned: VTAP_OFFLOAD_* to pin with VTAP_DEV_PIN
 * @owner: uid for VTAP_DEV_SET_OWNER
 * @group: gid for VTAP_DEV_SET_GROUP
 * @type: enum vtap_dev_type (callers whose struct ends at @group get
 *	VTAP_DEV_TYPE_TUN). With VTAP_DEV_MATCH an existing device is opened
 *	whatever its type.
 * @link: macvtap/ipvtap to create: the lower device's name, in the
 *	caller's network namespace (required to create one)
 * @mode: macvtap/ipvtap to create: enum vtap_dev_mode
 * @mac: macvtap/ipvtap to create: 6 bytes, or NULL for a random address
 *
 * For a macvtap or ipvtap, VTAP_DEV_SET_OWNER and VTAP_DEV_SET_GROUP
 * give the character device node to @owner / @group (mode 0600, or 0660
 * with a group): they are who may open queues. VTAP_DEV_PERSIST keeps a
 * device this call creates after the handle closes (else it is deleted
 * then, as a non-persistent tap disappears); VTAP_DEV_TUN, VTAP_DEV_NAPI
 * and VTAP_DEV_SINGLE_QUEUE do not apply (-EINVAL).
 */
struct vtap_dev_opts {
	size_t sz;
	unsigned int flags;
	unsigned int queues;
	unsigned int vnet_hdr_len;
	uint32_t offloads;
	uint32_t pinned;
	uint32_t owner;
	uint32_t group;
	uint32_t type;
	const char *link;
	uint32_t mode;
	const uint8_t *mac;
};

/**
 * vtap_dev__open() - create or open a tap (or tun) device
 * @name: interface name (at most 15 characters); NULL, "" or a name with
 *	"%d" lets the kernel choose (vtap_dev__name() tells which)
 * @opts: options, or NULL (a non-persistent single-queue TAP without
 *	vnet header, created if missing)
 *
 * Opens @opts->queues queues with IFF_NO_PI (and IFF_MULTI_QUEUE unless
 * VTAP_DEV_SINGLE_QUEUE, IFF_VNET_HDR when @vnet_hdr_len is not 0). When
 * the device exists, its flags (read with rtnetlink in the caller's namespace)
 * must be the ones asked for: a mismatch is logged with pr_warn naming the
 * flag that differs (TUN/TAP, multi_queue, vnet_hdr, no_pi) and fails with
 * EEXIST, never with the kernel's bare EINVAL. A persistent device created
 * here records its queue count in /run/vtap/NSID/IFINDEX/queues. Every fd is
 * O_CLOEXEC and non-blocking. The counters live in a shared file
 * /run/vtap/NSID/IFINDEX/stats/stats.PID.N (see the stats section).
 *
 * Return: a handle owned by the caller (vtap_dev__close()), or NULL with
 * errno: EINVAL (bad options), EEXIST (exists with other flags, or
 * VTAP_DEV_EXCL), ENODEV (VTAP_DEV_NO_CREATE and no such device), EPERM
 * (needs CAP_NET_ADMIN or the tap's owner/group), EBUSY (a single-queue
 * device already in use), E2BIG (more than VTAP_QUEUES_MAX queues),
 * EOPNOTSUPP (an offload the kernel lacks, logged by name), ENOMEM.
 *
 * With @opts->type VTAP_DEV_TYPE_MACVTAP or _IPVTAP (or VTAP_DEV_MATCH on
 * an existing one, made by vtap or by `ip link add ... type macvtap`),
 * each queue is an open() of the device's character device followed by
 * TUNSETIFF (IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR with a
 * header) and TUNSETVNETHDRSZ, which are per queue there. The node is
 * found without trusting /sys/class/net (which shows the namespace sysfs
 * was mounted in): with CAP_SYS_ADMIN the device number is read from a
 * sysfs mounted privately in the caller's network namespace and
 * /dev/tapIFINDEX is used when it is that device, else a node is made in
 * the run directory; without, the run directory's node or /dev/tapIFINDEX
 * is used and the first queue is checked to belong to the device (name
 * and MAC address). The kernel does not tell how many queues a macvtap
 * has: the handle assumes it holds all of them (kernel indices from 0).
 * A device created here is made with rtnetlink (@opts->link, @mode,
 * @mac). Further errors: ENODEV (no lower device
 * @link, or it lives in another network namespace), EOPNOTSUPP (the
 * kernel has no macvtap/ipvtap module: `modprobe macvtap`), EACCES (the
 * node is not the caller's to open).
 * Context: may sleep; not async-signal-safe.
 */
VTAP_API struct vtap_dev *vtap_dev__open(const char *name,
					 const struct vtap_dev_opts *opts);

/**
 * vtap_dev__close() - release every queue and free the handle
 * @dev: handle, or NULL
 *
 * Removes the handle's stats file. A non-persistent device disappears
 * when its last queue (of any process) closes.
 */
VTAP_API void vtap_dev__close(struct vtap_dev *dev);

/**
 * vtap_dev__name() - the interface name
 * @dev: handle
 *
 * Return: the name, valid while @dev is open.
 */
VTAP_API const char *vtap_dev__name(const struct vtap_dev *dev);

/**
 * vtap_dev__ifindex() - the interface index (in the namespace it was
 *	opened in)
 * @dev: handle
 *
 * Return: the index.
 */
VTAP_API int vtap_dev__ifindex(const struct vtap_dev *dev);

/**
 * vtap_dev__vnet_hdr_len() - the virtio-net header size of every frame
 * @dev: handle
 *
 * Return: 0, 10, 12, 20 or 24.
 */
VTAP_API unsigned int vtap_dev__vnet_hdr_len(const struct vtap_dev *dev);

/**
 * vtap_dev__is_tun() - whether the device is TUN (L3) rather than TAP
 * @dev: handle
 *
 * Return: true for TUN.
 */
VTAP_API bool vtap_dev__is_tun(const struct vtap_dev *dev);

/**
 * vtap_dev__type() - the device type of a handle
 * @dev: handle
 *
 * Return: enum vtap_dev_type.
 */
VTAP_API enum vtap_dev_type vtap_dev__type(const struct vtap_dev *dev);

/**
 * vtap_dev__delete() - delete a device by name (persistent or not)
 * @name: interface name (a tun/tap, macvtap or ipvtap)
 *
 * Deletes the link (RTM_DELLINK) and removes its run directory
 * (vtap_dev__run_dir()) and those of links of this namespace that are
 * gone. The steering pins are the steering module's to remove
 * (vtap_steer__unpin()).
 *
 * Return: 0, -ENODEV (no such device; run directories left by taps of this
 * namespace that went another way are removed all the same), -EPERM, or
 * another negative errno.
 */
VTAP_API int vtap_dev__delete(const char *name);

/**
 * vtap_dev__intended_queues() - queue count recorded for a persistent tap
 * @name: interface name
 *
 * The count given when the tap was created persistent (by vtapctl dev add
 * or vtap_dev__open() with VTAP_DEV_PERSIST), kept in /run/vtap/NSID/IFINDEX/queues.
 * RSS tables of a tap that nobody has open are validated against it.
 *
 * Return: 1..VTAP_QUEUES_MAX, or -ENOENT when nothing was recorded.
 */
VTAP_API int vtap_dev__intended_queues(const char *name);

/* Header sizes accepted by TUNSETVNETHDRSZ (struct vtap_dev_features). */
#define VTAP_HDR_SIZE_10 (1u << 0)
#define VTAP_HDR_SIZE_12 (1u << 1)
#define VTAP_HDR_SIZE_20 (1u << 2)
#define VTAP_HDR_SIZE_24 (1u << 3)

/**
 * struct vtap_dev_features - what the running kernel's tun offers, probed
 * @tun_features: TUNGETFEATURES (IFF_* bits: IFF_TAP, IFF_MULTI_QUEUE, ...)
 * @offloads: VTAP_OFFLOAD_* groups TUNSETOFFLOAD accepted, each tried alone
 *	(with CSUM, which every other group needs; TSO_ECN with TSO4; the UDP
 *	tunnel groups with TSO4/TSO6)
 * @hdr_sizes: VTAP_HDR_SIZE_* accepted by TUNSETVNETHDRSZ
 * @vnet_le: TUNSETVNETLE works
 * @vnet_be: TUNSETVNETBE works (kernels with the cross-endian option)
 * @max_queues: queues a device can have, detached ones included
 */
struct vtap_dev_features {
	uint32_t tun_features;
	uint32_t offloads;
	uint32_t hdr_sizes;
	bool vnet_le;
	bool vnet_be;
	unsigned int max_queues;
};

/**
 * vtap_dev__features() - probe the features on the device itself
 * @dev: handle with a vnet header (a header of 0 is raised for the probe)
 * @ret: result
 *
 * Trial TUNSETOFFLOAD/TUNSETVNETHDRSZ/TUNSETVNETLE/BE calls on the first
 * queue; the device's offloads, header size and endianness are restored
 * afterwards. The result is cached in the handle. Works for an unprivileged
 * owner of the tap.
 *
 * Return: 0, -ENODEV (no queue open), or the errno of a failed restore.
 * Context: briefly changes the device's offloads: call it before traffic.
 */
VTAP_API int vtap_dev__features(struct vtap_dev *dev,
				struct vtap_dev_features *ret);

/**
 * vtap_features__probe() - probe the kernel's tun on a temporary tap
 * @ret: result
 *
 * Return: 0, or a negative errno (-EPERM without CAP_NET_ADMIN).
 */
VTAP_API int vtap_features__probe(struct vtap_dev_features *ret);

/**
 * vtap_offload__name() - name of one VTAP_OFFLOAD_* bit
 * @bit: a single bit
 *
 * Return: "csum", "tso4", "tso6", "tso_ecn", "uso", "udp_tunnel",
 * "udp_tunnel_csum"; NULL for anything else.
 */
VTAP_API const char *vtap_offload__name(uint32_t bit);

/**
 * vtap_offloads__parse() - parse an offload list
 * @list: "all", "none" or a comma list of vtap_offload__name() names
 * @ret: VTAP_OFFLOAD_* mask
 *
 * Return: 0 or -EINVAL.
 */
VTAP_API int vtap_offloads__parse(const char *list, uint32_t *ret);

/**
 * vtap_offloads__format() - format an offload mask as a comma list
 * @offloads: VTAP_OFFLOAD_* mask
 * @buf: output
 * @size: its size (80 bytes fit every mask)
 *
 * Return: @buf ("none" for 0).
 */
VTAP_API char *vtap_offloads__format(uint32_t offloads, char *buf, size_t size);

/**
 * struct vtap_offload_state - a device's offloads, kernel and promised
 * @supported: what the kernel accepts (struct vtap_dev_features offloads)
 * @kernel: what is set on the device now (TUNSETOFFLOAD)
 * @pinned: the pinned set, promised to a guest (0 when @is_pinned is false)
 * @software: what the send path does in software: the forced set, @pinned
 *	& ~@kernel, and GSO types the kernel refused (vtap_dev__sw_offloads())
 * @is_pinned: a set was pinned
 */
struct vtap_offload_state {
	uint32_t supported;
	uint32_t kernel;
	uint32_t pinned;
	uint32_t software;
	bool is_pinned;
};

/**
 * vtap_dev__set_offloads() - set the device's offloads
 * @dev: handle with a vnet header
 * @offloads: VTAP_OFFLOAD_* mask; every group but CSUM needs CSUM, TSO_ECN
 *	needs TSO4 or TSO6
 *
 * Nothing is downgraded silently: an offload the kernel does not accept
 * is logged by name and fails.
 *
 * Return: 0, -EINVAL (bad combination, or no vnet header), -EOPNOTSUPP
 * (the kernel lacks one; the device is unchanged).
 */
VTAP_API int vtap_dev__set_offloads(struct vtap_dev *dev, uint32_t offloads);

/**
 * vtap_dev__pin_offloads() - pin the feature set promised to a guest
 * @dev: handle
 * @offloads: VTAP_OFFLOAD_* mask the consumer may use in frames it sends
 *
 * The pinned set does not need kernel support: the send path covers the
 * gap (pinned minus kernel) in software, so a guest can migrate to a host
 * whose kernel offers less.
 *
 * Return: 0 or -EINVAL (unknown bits).
 */
VTAP_API int vtap_dev__pin_offloads(struct vtap_dev *dev, uint32_t offloads);

/**
 * vtap_dev__offloads() - read the offload state back
 * @dev: handle
 * @ret: result
 *
 * Return: 0 or a negative errno from the probe.
 */
VTAP_API int vtap_dev__offloads(struct vtap_dev *dev,
				struct vtap_offload_state *ret);

/**
 * vtap_dev__set_hash_report() - fill hash_value/hash_report on receive
 * @dev: handle opened with a 20-byte vnet header
 * @rss: hash configuration, or NULL to stop reporting; not copied: it must
 *	stay valid until reporting stops or @dev closes
 *
 * The kernel writes the first 12 bytes of each header; the queue fills
 * hash_value, hash_report and padding in place from vtap_rss__hash() and
 * counts each report type per queue. This is mode VTAP_REPORT_RSS of
 * vtap_dev__set_report(); @rss must not change while queues receive.
 *
 * Return: 0 or -EINVAL (header is not 20 bytes).
 * Context: queues pick the change up at their next receive.
 */
VTAP_API int vtap_dev__set_hash_report(struct vtap_dev *dev,
				       const struct vtap_rss *rss);

struct vtap_steer;

/* Where hash reporting takes its configuration (struct vtap_report_opts). */
enum vtap_report_mode {
	VTAP_REPORT_OFF = 0, /* no reporting: hash fields as the kernel
				 * left them (zero) */
	VTAP_REPORT_STEER = 1, /* the RSS configuration of the steering
				 * program (types, key, table): one source of
				 * truth, followed as it changes */
	VTAP_REPORT_CONFIG = 2, /* a hash configuration alone (types, key),
				 * without RSS steering */
	VTAP_REPORT_RSS = 3, /* a caller's vtap_rss handle (set by
				 * vtap_dev__set_hash_report()) */
	VTAP_REPORT__COUNT,
};

/**
 * struct vtap_report_opts - how hash_value/hash_report are computed
 * @sz: sizeof(struct vtap_report_opts)
 * @mode: enum vtap_report_mode
 * @steer: STEER: the steering state whose RSS configuration is used, or
 *	NULL for the one attached to the device with vtap_steer__attach_dev();
 *	it must stay open while reporting uses it (closing it or detaching it
 *	from the device switches reporting off)
 * @hash_types: CONFIG: VTAP_HASH_TYPE_* mask
 * @key: CONFIG: key bytes, or NULL for vtap_rss_default_key
 * @key_len: CONFIG: 1..VTAP_TOEPLITZ_KEY_MAX (ignored when @key is NULL)
 */
struct vtap_report_opts {
	size_t sz;
	uint32_t mode;
	struct vtap_steer *steer;
	uint32_t hash_types;
	const uint8_t *key;
	size_t key_len;
};

/**
 * vtap_dev__set_report() - switch hash reporting on receive on or off
 * @dev: handle opened with a 20-byte vnet header (for any mode but OFF)
 * @opts: configuration; NULL switches reporting off
 *
 * The virtio spec has two commands that configure hashing, and so does
 * this call: VIRTIO_NET_CTRL_MQ_RSS_CONFIG (mode STEER: the indirection
 * table and key the steering program uses; the program and reporting read
 * the same map, so they cannot disagree) and VIRTIO_NET_CTRL_MQ_HASH_CONFIG
 * (mode CONFIG: types and key only). Each queue keeps its own copy of the
 * configuration and checks once per receive batch, with plain loads,
 * whether the source changed (STEER: the map's generation; CONFIG and mode
 * changes: a sequence count in the handle); only then is the copy rebuilt.
 * Every received frame then gets hash_value and hash_report from
 * vtap_rss__hash() over the frame, written in place into the 20-byte
 * header the kernel filled (its first 12 bytes), and is counted under its
 * report type. Reporting does not depend on who chose the queue: frames a
 * flow rule or an extension steered carry the RSS hash too. GSO frames get
 * one hash (their headers are those of every segment); frames that give
 * no hash report NONE with hash_value 0.
 *
 * In STEER mode the types, key and table of the active configuration slot
 * are used whether or not the RSS step is switched on; so with RSS
 * steering on and no rule or extension deciding, table[hash & mask] is
 * the kernel index of the queue the frame arrived on.
 *
 * Return: 0, -EINVAL (header is not 20 bytes, bad mode, types or key),
 * -ENOENT (STEER with NULL @steer and none attached), -ENOMEM.
 * Context: control path (allocates a per-queue copy); queues pick the
 * change up at their next receive batch.
 */
VTAP_API int vtap_dev__set_report(struct vtap_dev *dev,
				  const struct vtap_report_opts *opts);

/**
 * vtap_dev__report_mode() - the reporting mode in force
 * @dev: handle
 *
 * Return: enum vtap_report_mode.
 */
VTAP_API enum vtap_report_mode
vtap_dev__report_mode(const struct vtap_dev *dev);

/**
 * vtap_dev__set_sw_offloads() - do these offloads in software on send
 * @dev: handle with a vnet header
 * @offloads: VTAP_OFFLOAD_* mask (0 = only what vtap decides by itself)
 *
 * Frames sent with vtap_queue__send() that need an offload of the
 * software set are not written as they are: GSO frames are segmented
 * (vtap_gso__*) into a per-queue buffer made at open and each segment is
 * written with a zeroed header and complete checksums; NEEDS_CSUM frames
 * are copied there and their checksum completed. The software set is the
 * union of:
 * - @offloads, forced by the caller (tests, or a consumer that wants the
 *   kernel to see only plain frames);
 * - the pinned set minus the device's kernel offloads
 *   (vtap_dev__pin_offloads()): what a guest was promised on a host whose
 *   tap has less, e.g. after migration;
 * - GSO types the kernel's write path refused with EINVAL although the
 *   frame passed vtap_vnet__check_frame() (a kernel without USO): learned
 *   on the first refusal, that frame and all later ones are segmented.
 * Everything else passes through untouched: the kernel's tap write path
 * takes every GSO type and NEEDS_CSUM whatever TUNSETOFFLOAD says.
 * TSO without CSUM counts as no TSO (vtap_offload__plan()). UDP tunnel
 * GSO can be software only on a device opened with the 24-byte header,
 * the only one that describes such frames.
 *
 * Return: 0 or -EINVAL (unknown bits, or no vnet header).
 */
VTAP_API int vtap_dev__set_sw_offloads(struct vtap_dev *dev, uint32_t offloads);

/**
 * vtap_dev__sw_offloads() - the software set in force
 * @dev: handle
 *
 * Return: VTAP_OFFLOAD_* mask (see vtap_dev__set_sw_offloads()).
 */
VTAP_API uint32_t vtap_dev__sw_offloads(const struct vtap_dev *dev);

/**
 * vtap_dev__num_queues() - queues of the handle, attached or not
 * @dev: handle
 *
 * Return: the count; queue ids run from 0 to count - 1.
 */
VTAP_API unsigned int vtap_dev__num_queues(const struct vtap_dev *dev);

/**
 * vtap_dev__num_attached() - queues of the handle that are attached
 * @dev: handle
 *
 * Return: the count.
 */
VTAP_API unsigned int vtap_dev__num_attached(const struct vtap_dev *dev);

/**
 * vtap_dev__queue() - a queue by its stable id
 * @dev: handle
 * @qid: queue id, 0..vtap_dev__num_queues() - 1
 *
 * Return: the queue (owned by @dev), or NULL with errno ENOENT.
 */
VTAP_API struct vtap_queue *vtap_dev__queue(struct vtap_dev *dev,
					    unsigned int qid);

/**
 * vtap_dev__add_queue() - open one more queue (attached)
 * @dev: multiqueue handle
 *
 * Return: the new queue's id, or -E2BIG when the device already has
 * VTAP_QUEUES_MAX queues (detached ones count), -EINVAL (single-queue).
 */
VTAP_API int vtap_dev__add_queue(struct vtap_dev *dev);

/**
 * vtap_dev__detach_queue() - detach a queue (TUNSETQUEUE IFF_DETACH_QUEUE)
 * @dev: handle
 * @qid: queue id
 *
 * The kernel moves its last queue into the detached queue's slot; the ids
 * stay, vtap_queue__kernel_index() follows. Nothing is received on a
 * detached queue. Frames still queued on it when it detaches are discarded
 * by the kernel (tun_queue_purge(), not counted anywhere): steer traffic
 * away and drain it first when every frame matters. The handle assumes no
 * other process attaches or detaches queues of the device meanwhile (as a
 * VMM owns its tap).
 *
 * Return: 0 (also when already detached), -ENOENT, -EPERM, -EBUSY (the
 * steering module refused), or another negative errno.
 */
VTAP_API int vtap_dev__detach_queue(struct vtap_dev *dev, unsigned int qid);

/**
 * vtap_dev__attach_queue() - attach a detached queue again
 * @dev: handle
 * @qid: queue id
 *
 * The queue takes the last kernel index.
 *
 * Return: 0 (also when attached), -ENOENT, -EPERM, or another errno.
 */
VTAP_API int vtap_dev__attach_queue(struct vtap_dev *dev, unsigned int qid);

/**
 * vtap_dev__set_up() - set the link administratively up or down
 * @dev: handle
 * @up: true for up
 *
 * This and the other link calls use rtnetlink in the caller's network
 * namespace; after vtap_dev__set_netns() the link is elsewhere (-ENODEV).
 *
 * Return: 0 or a negative errno (-EPERM without CAP_NET_ADMIN).
 */
VTAP_API int vtap_dev__set_up(struct vtap_dev *dev, bool up);

/**
 * vtap_dev__set_mtu() - set the MTU
 * @dev: handle
 * @mtu: bytes (68..65535 for a tap)
 *
 * Return: 0 or a negative errno.
 */
VTAP_API int vtap_dev__set_mtu(struct vtap_dev *dev, unsigned int mtu);

/**
 * vtap_dev__set_mac() - set the MAC address (TAP only)
 * @dev: handle
 * @mac: 6 bytes
 *
 * Return: 0 or a negative errno (-EINVAL for TUN or a multicast address).
 */
VTAP_API int vtap_dev__set_mac(struct vtap_dev *dev, const uint8_t mac[6]);

/**
 * vtap_dev__set_netns() - move the netdev into another network namespace
 * @dev: handle
 * @netns_fd: fd of a namespace (/run/netns/NAME, /proc/PID/ns/net), or -1
 * @pid: used when @netns_fd is -1: the namespace of that process
 *
 * The queues keep working: frames go through the fds as before.
 *
 * Return: 0 or a negative errno.
 */
VTAP_API int vtap_dev__set_netns(struct vtap_dev *dev, int netns_fd, int pid);

/**
 * vtap_dev__set_carrier() - set the carrier (TUNSETCARRIER)
 * @dev: handle
 * @on: carrier on or off
 *
 * Return: 0 or a negative errno.
 */
VTAP_API int vtap_dev__set_carrier(struct vtap_dev *dev, bool on);

/**
 * struct vtap_dev_info - what can be read of a device by name, without
 *	opening it (sysfs, rtnetlink, ethtool)
 * @name: interface name
 * @ifindex: index
 * @tun_flags: IFF_* flags of the tun device (IFF_TAP, IFF_MULTI_QUEUE,
 *	IFF_VNET_HDR, IFF_NO_PI, IFF_PERSIST, ...); for a macvtap/ipvtap
 *	IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR, IFF_PERSIST (what
 *	its queues can be opened with; it persists by nature)
 * @owner: owner uid, -1 for none (macvtap/ipvtap: the node's owner when
 *	it is not root)
 * @group: group gid, -1 for none (macvtap/ipvtap: the node's group when
 *	it may open it and is not root's)
 * @mtu: MTU
 * @mac: MAC address (TAP)
 * @up: administratively up
 * @carrier: carrier on (false when down)
 * @attached_queues: queues attached now (real_num_rx_queues; at least 1);
 *	0 for a macvtap/ipvtap, whose queue count the kernel does not tell
 * @intended_queues: recorded queue count, 0 when none was recorded
 * @offloads: VTAP_OFFLOAD_* active on the device (from ethtool features)
 */
struct vtap_dev_info {
	char name[16];
	int ifindex;
	uint32_t tun_flags;
	int64_t owner;
	int64_t group;
	unsigned int mtu;
	uint8_t mac[6];
	bool up;
	bool carrier;
	unsigned int attached_queues;
	unsigned int intended_queues;
	uint32_t offloads;
};

/**
 * vtap_dev__info() - read a device's state by name
 * @name: interface name
 * @ret: result
 *
 * Return: 0, -ENODEV (no such link), -EINVAL (not a tun/tap, macvtap or
 * ipvtap device).
 */
VTAP_API int vtap_dev__info(const char *name, struct vtap_dev_info *ret);

/**
 * struct vtap_dev_link - a device's type and what it sits on
 * @sz: sizeof(struct vtap_dev_link)
 * @type: enum vtap_dev_type
 * @mode: enum vtap_dev_mode of a macvtap/ipvtap (DEFAULT for a tun/tap or
 *	a mode this library does not know)
 * @link_ifindex: the lower device's index (macvtap/ipvtap), else 0
 * @link: its name; "" when it lives in another network namespace
 *	(@link_netns) or there is none
 * @link_netns: the lower device is in another network namespace
 * @node_major: the character device's major (macvtap/ipvtap; 0 unknown)
 * @node_minor: its minor
 * @node: the path to open its queues on: /dev/tapIFINDEX, or the node
 *	vtap made in the run directory; "" when none is known
 */
struct vtap_dev_link {
	size_t sz;
	uint32_t type;
	uint32_t mode;
	int link_ifindex;
	char link[16];
	bool link_netns;
	unsigned int node_major;
	unsigned int node_minor;
	char node[128];
};

/**
 * vtap_dev__link() - a device's type and lower device, by name
 * @name: interface name, in the caller's network namespace
 * @ret: result; set @ret->sz first
 *
 * The device number is only known to a caller with CAP_SYS_ADMIN or when
 * vtap made the node (see vtap_dev__open()).
 *
 * Return: 0, -ENODEV (no such link), -EINVAL (not a tun/tap, macvtap or
 * ipvtap; bad @ret).
 */
VTAP_API int vtap_dev__link(const char *name, struct vtap_dev_link *ret);

/**
 * struct vtap_dev_counters - a tap's kernel counters, by direction
 * @sz: sizeof(struct vtap_dev_counters)
 * @to_vmm_packets: frames the tap handed to its queues' readers (the VMM;
 *	the netdev's tx_packets, counted when a reader takes the frame)
 * @to_vmm_bytes: their bytes
 * @to_vmm_dropped: frames for the readers dropped (no queue attached, a
 *	queue full): tx_dropped
 * @from_vmm_packets: frames the readers wrote (rx_packets)
 * @from_vmm_bytes: their bytes
 * @from_vmm_dropped: frames written and dropped (rx_dropped)
 * @from_vmm_errors: frames written and refused (rx_errors)
 */
struct vtap_dev_counters {
	size_t sz;
	uint64_t to_vmm_packets;
	uint64_t to_vmm_bytes;
	uint64_t to_vmm_dropped;
	uint64_t from_vmm_packets;
	uint64_t from_vmm_bytes;
	uint64_t from_vmm_dropped;
	uint64_t from_vmm_errors;
};

/**
 * vtap_dev__counters() - the kernel's counters of a tap (rtnetlink)
 * @name: interface name, in the caller's network namespace
 * @ret: result; set @ret->sz first
 *
 * Whoever opened the tap, libvtap or not, the kernel counts. On a
 * macvtap/ipvtap the netdev counts frames for its readers as received and
 * what they write as transmitted (with what the host stack sends through
 * it): the directions are turned so that to_vmm means the same.
 *
 * Return: 0, -ENODEV, -EINVAL (not a tun/tap, bad @ret), -ENODATA.
 */
VTAP_API int vtap_dev__counters(const char *name,
				struct vtap_dev_counters *ret);

/**
 * vtap_dev__run_dir() - where a tap's run state lives
 * @name: interface name, in the caller's network namespace
 * @buf: output
 * @size: size of @buf
 *
 * RUN/NSID/IFINDEX: /run/vtap (or $VTAP_RUN_DIR), the caller's network
 * namespace (its cookie) and the tap's ifindex there. It holds the queue
 * count `vtapctl dev add` recorded and stats/, where libvtap handles
 * publish their counters. Nothing is created.
 *
 * Return: 0, -ENODEV (no such link), -EINVAL, -ENAMETOOLONG.
 */
VTAP_API int vtap_dev__run_dir(const char *name, char *buf, size_t size);

/**
 * vtap_dev__list() - names of the tun/tap, macvtap and ipvtap devices of
 *	this namespace
 * @names: output, @max entries of 16 bytes
 * @max: capacity
 *
 * Return: the number of devices (may exceed @max; only @max are stored),
 * or a negative errno.
 */
VTAP_API int vtap_dev__list(char (*names)[16], unsigned int max);

/* ===================================================================== */
/* qdepth - queue depth and a memory budget per tap                      */
/* ===================================================================== */

/*
 * Every queue of a tap holds up to txqueuelen frames for its reader (tun's
 * per-queue ring; a frame arriving at a full ring is dropped and counted in
 * the link's tx_dropped). With many queues and GSO frames that multiplies:
 * 16 queues x 1000 x 64 KiB pin 1 GiB behind a slow reader. vtap can fix
 * the depth (qlen) or derive it from a byte budget:
 *
 *   depth = budget / (queues x frame), at least VTAP_QDEPTH_FLOOR and at
 *   most VTAP_QDEPTH_MAX
 *
 * where queues is the number attached (when none is: the recorded queue
 * count of a persistent tap, else 1) and frame is the MTU, or
 * VTAP_QDEPTH_GSO_FRAME once any GSO offload (tso4, tso6, tso_ecn, uso,
 * udp_tunnel) is on. A budget too small for the floor is not an error:
 * the floor wins, and vtap_qdepth__info() reports the tap over budget.
 * The setting is kept with the tap's run state (/run/vtap/NSID/IFINDEX/qdepth) and
 * applied again by libvtap whenever a handle opens the tap, attaches or
 * detaches a queue, or changes the offloads or the MTU. A process that
 * does not use libvtap leaves the depth where it was last applied.
 */

/* The depth a budget never goes below (the virtio ring size). */
#define VTAP_QDEPTH_FLOOR 256u
/* The largest depth vtap sets (qlen, or derived from a budget). */
#define VTAP_QDEPTH_MAX 65536u
/* The largest frame once a GSO offload is on. */
#define VTAP_QDEPTH_GSO_FRAME 65536u

enum vtap_qdepth_mode {
	VTAP_QDEPTH_KERNEL, /* nothing set: txqueuelen stays as it is */
	VTAP_QDEPTH_QLEN, /* a fixed depth per queue */
	VTAP_QDEPTH_BUDGET, /* a depth derived from a byte budget */
	VTAP_QDEPTH__COUNT,
};

/**
 * struct vtap_qdepth_opts - how deep a tap's queues are
 * @sz: sizeof(struct vtap_qdepth_opts)
 * @mode: enum vtap_qdepth_mode; VTAP_QDEPTH_KERNEL forgets a qlen or
 *	budget set before (the depth stays where it is) and gives writers
 *	back an unlimited send buffer
 * @qlen: VTAP_QDEPTH_QLEN: the depth, 1..VTAP_QDEPTH_MAX
 * @budget_bytes: VTAP_QDEPTH_BUDGET: the bytes all queues may hold, >= 1
 */
struct vtap_qdepth_opts {
	size_t sz;
	uint32_t mode;
	uint32_t qlen;
	uint64_t budget_bytes;
};

/**
 * vtap_dev__set_qdepth() - fix the queue depth or set a memory budget
 * @dev: handle (its queues count as attached)
 * @opts: the setting
 *
 * Records the setting in the tap's run state and applies it: txqueuelen
 * by rtnetlink (IFLA_TXQLEN, which resizes every queue's ring), and for a
 * budget a matching send buffer for the writers (TUNSETSNDBUF of depth x
 * frame bytes per queue). From then on every libvtap handle of the tap
 * applies it again when queues attach or detach and when offloads or the
 * MTU change.
 *
 * Return: 0, -EINVAL (bad @opts; logged), -EPERM (needs CAP_NET_ADMIN),
 * -ENODEV (the link is not in this namespace), or another negative errno.
 * Context: may sleep.
 */
VTAP_API int vtap_dev__set_qdepth(struct vtap_dev *dev,
				  const struct vtap_qdepth_opts *opts);

/**
 * vtap_qdepth__set() - vtap_dev__set_qdepth() for a tap by name
 * @name: interface name
 * @opts: the setting
 *
 * As vtap_dev__set_qdepth(), for a tool preparing a tap: the queues
 * counted are the ones attached by others (when none are: the recorded
 * queue count, else 1). Opens the tap for a moment to set the send buffer.
 *
 * Return: as vtap_dev__set_qdepth(), and -EINVAL for a link that is not a
 * tun/tap device.
 * Context: may sleep.
 */
VTAP_API int vtap_qdepth__set(const char *name,
			      const struct vtap_qdepth_opts *opts);

/**
 * struct vtap_qdepth_info - a tap's queue depth and what it can hold
 * @mode: enum vtap_qdepth_mode recorded for the tap
 * @qlen: the depth in force (txqueuelen), frames per queue
 * @set_qlen: VTAP_QDEPTH_QLEN: the depth asked for, else 0
 * @budget_bytes: VTAP_QDEPTH_BUDGET: the budget, else 0
 * @queues: queues counted (attached; when none are, the recorded count,
 *	else 1)
 * @frame_bytes: the largest frame (MTU, or VTAP_QDEPTH_GSO_FRAME with GSO).
 *	A macvtap or ipvtap: GSO is its TUNSETOFFLOAD state (without tso4,
 *	tso6, uso the kernel segments every GSO frame for its readers), not
 *	its ethtool features (the macvlan's); the MTU is the larger of its
 *	own and its lower link's (frames the lower link receives are handed
 *	on unchecked)
 * @worst_case_bytes: @qlen x @queues x @frame_bytes
 * @over_budget: a budget is set and @worst_case_bytes exceeds it (the
 *	floor won, or the depth was changed outside libvtap)
 * @queue_full_drops: frames dropped because their queue was full, towards
 *	the reader (whole device: a tun/tap's tx_dropped; a macvtap's or
 *	ipvtap's rx_dropped, where its rx handler counts them)
 */
struct vtap_qdepth_info {
	uint32_t mode;
	uint32_t qlen;
	uint32_t set_qlen;
	uint64_t budget_bytes;
	uint32_t queues;
	uint32_t frame_bytes;
	uint64_t worst_case_bytes;
	bool over_budget;
	uint64_t queue_full_drops;
};

/**
 * vtap_qdepth__info() - read a tap's queue depth by name
 * @name: interface name
 * @ret: result
 *
 * Return: 0, -ENODEV (no such link in this namespace), -EINVAL.
 */
VTAP_API int vtap_qdepth__info(const char *name, struct vtap_qdepth_info *ret);

/**
 * vtap_qdepth_mode__name() - name of a mode
 * @mode: enum vtap_qdepth_mode
 *
 * Return: "kernel", "qlen" or "budget"; NULL if out of range.
 */
VTAP_API const char *vtap_qdepth_mode__name(enum vtap_qdepth_mode mode);

/* ===================================================================== */
/* queue - per-queue batched receive and send                            */
/* ===================================================================== */

/* The largest frame a queue moves: 64 KiB of GSO frame plus a header. */
#define VTAP_FRAME_MAX (65535u + 14u + 4u)

/**
 * struct vtap_frame - one frame in a caller's buffer
 * @buf: the vnet header (vtap_dev__vnet_hdr_len() bytes) then the frame
 * @cap: size of @buf; VTAP_FRAME_MAX + header fits every frame
 * @len: bytes in @buf, header included: set by recv, read by send
 * @drop: after send: -1 when written, else the enum vtap_drop_reason it
 *	was dropped for; after recv: -1
 */
struct vtap_frame {
	void *buf;
	size_t cap;
	size_t len;
	int drop;
};

/**
 * vtap_queue__id() - the queue's stable id
 * @q: queue
 *
 * Return: the id given at open or by vtap_dev__add_queue(); it never changes.
 */
VTAP_API unsigned int vtap_queue__id(const struct vtap_queue *q);

/**
 * vtap_queue__kernel_index() - the queue's current index in the kernel
 * @q: queue
 *
 * The index a steering program's return value selects (modulo the number
 * of attached queues). It changes when another queue detaches.
 *
 * Return: 0..255, or -1 when the queue is detached.
 */
VTAP_API int vtap_queue__kernel_index(const struct vtap_queue *q);

/**
 * vtap_queue__fd() - the queue's file descriptor (non-blocking, cloexec)
 * @q: queue
 *
 * For poll()/epoll; the fd stays owned by the queue.
 *
 * Return: the fd.
 */
VTAP_API int vtap_queue__fd(const struct vtap_queue *q);

/**
 * vtap_queue__recv() - receive a batch of frames
 * @q: queue
 * @frames: @n caller buffers; @len is set for each frame received
 * @n: batch size
 *
 * Reads until the queue is empty (EAGAIN) or @n frames are in. Each header
 * is checked (vnet section rules); a frame whose header does not fit the
 * frame, or that did not fit its buffer, is counted as a drop and its slot
 * reused. With hash reporting on (vtap_dev__set_hash_report()) the 20-byte
 * header's hash_value/hash_report are filled in place. No allocation.
 *
 * Return: frames received (0 when the queue was empty), or a negative
 * errno: -EINVAL (bad arguments), -ENXIO (the queue is detached), -EIO.
 * Context: one thread per queue at a time; never blocks.
 */
VTAP_API int vtap_queue__recv(struct vtap_queue *q, struct vtap_frame *frames,
			      unsigned int n);

/**
 * vtap_queue__set_rx_uring() - receive through io_uring (batched reads)
 * @q: queue
 * @on: true: vtap_queue__recv() issues its reads in rounds of many
 *      through an io_uring of the queue's own (one system call a round
 *      instead of one a frame); false: one read() a frame (the default)
 *
 * What vtap_queue__recv() returns is the same either way, with one
 * difference: with io_uring a slot whose read ended without a frame is
 * closed up by exchanging the buffers (@buf and @cap) of @frames entries
 * at and after the first @len it did not set, so set every entry's @buf
 * and @cap before each call (a caller that does so sees no difference).
 * A kernel that would hold a read instead of failing it with EAGAIN makes
 * the queue go back to read() by itself (vtap_queue__rx_uring() then
 * says false).
 *
 * Return: 0, -EINVAL, -EOPNOTSUPP (no usable io_uring: the kernel lacks
 * it or what is needed (Linux 5.11), it is disabled
 * (kernel.io_uring_disabled, seccomp), or the environment has
 * VTAP_NO_IO_URING=1), -ENOMEM.
 * Context: control path, before the queue's thread receives, or that
 * thread; the ring is freed with the queue.
 */
VTAP_API int vtap_queue__set_rx_uring(struct vtap_queue *q, bool on);

/**
 * vtap_queue__rx_uring() - whether receive goes through io_uring
 * @q: queue
 *
 * Return: true while vtap_queue__recv() uses the queue's io_uring.
 */
VTAP_API bool vtap_queue__rx_uring(const struct vtap_queue *q);

/**
 * vtap_queue__send() - send a batch of frames
 * @q: queue
 * @frames: @n frames; @len bytes of @buf each, header included
 * @n: batch size
 *
 * Each header is validated first (what the kernel would reject, or what
 * the device's offloads do not cover): an invalid frame is never written;
 * it is dropped, counted with its reason, and its @drop set. A frame that
 * needs an offload of the software set (vtap_dev__set_sw_offloads()) is
 * segmented or checksummed in software and written as plain frames, one
 * write per segment (tun has no batched write for user space); the
 * caller's buffer is not modified. Writing stops at the first EAGAIN (the
 * kernel queue is full): that frame and the rest are not consumed and may
 * be retried; when it happens after some segments of a frame were written,
 * the frame is consumed, the rest of its segments are not written and the
 * frame counts once under tx_drops[QUEUE_FULL] (@drop set).
 *
 * Return: frames consumed (written or dropped), possibly fewer than @n,
 * or a negative errno (-EINVAL bad arguments, -ENXIO detached queue).
 * Context: one thread per queue at a time; never blocks.
 */
VTAP_API int vtap_queue__send(struct vtap_queue *q, struct vtap_frame *frames,
			      unsigned int n);

/* ===================================================================== */
/* gro - coalescing MSS-sized segments into GSO frames on send           */
/* ===================================================================== */

/* What vtap_queue__set_gro() coalesces (struct vtap_gro_opts @types). */
#define VTAP_GRO_TCP (1u << 0) /* TCP segments -> TCPV4/TCPV6 frames */
#define VTAP_GRO_UDP (1u << 1) /* UDP datagrams -> UDP_L4 (USO) frames */
#define VTAP_GRO_ALL 0x3u

/* The default and the largest number of segments in one coalesced frame. */
#define VTAP_GRO_SEGS_DEFAULT 64
#define VTAP_GRO_SEGS_MAX 128

/*
 * Why a TCP (or, with VTAP_GRO_UDP, UDP) frame was written as it was
 * instead of being merged (struct vtap_queue_stats @gro_not_merged).
 */
enum vtap_gro_reason {
	VTAP_GRO_ALONE = 0, /* no segment of its flow next to it in the batch
			     * (or the one before ended its run with PSH) */
	VTAP_GRO_VNET, /* its vnet header: already GSO, or flags other than
			* NEEDS_CSUM/DATA_VALID, or csum fields elsewhere */
	VTAP_GRO_FLAGS, /* TCP flags other than ACK and PSH (SYN, FIN, RST,
			 * URG, ECE, CWR), or no ACK */
	VTAP_GRO_EMPTY, /* no payload */
	VTAP_GRO_IP_OPTIONS, /* IPv4 options */
	VTAP_GRO_FRAGMENT, /* an IP fragment */
	VTAP_GRO_IPV6_EXT, /* IPv6 extension headers other than hop-by-hop
			    * and destination options (without HAO) */
	VTAP_GRO_LENGTH, /* IP or UDP length fields disagree with the frame
			  * (padding, truncation) */
	VTAP_GRO_CSUM, /* an IP or L4 checksum does not verify (and the vnet
			* header says neither DATA_VALID nor NEEDS_CSUM) */
	VTAP_GRO_ORDER, /* not the next in sequence: out of order, overlap,
			 * retransmission */
	VTAP_GRO_HEADERS, /* headers differ from the run's: ACK, window, TTL,
			   * TOS/traffic class, DF, options, ... */
	VTAP_GRO_IP_ID, /* IPv4 ID is not the previous one plus 1 */
	VTAP_GRO_SIZE, /* larger than the run's segment size, or the
			* coalesced frame is full (64 KiB or max_segs) */
	VTAP_GRO__COUNT,
};

/**
 * vtap_gro_reason__name() - name of a not-merged reason
 * @reason: enum vtap_gro_reason
 *
 * Return: "alone", "vnet", "flags", "empty", "ip_options", "fragment",
 * "ipv6_ext", "length", "csum", "order", "headers", "ip_id", "size"; NULL
 * if out of range.
 */
VTAP_API const char *vtap_gro_reason__name(enum vtap_gro_reason reason);

/**
 * struct vtap_gro_opts - how a queue coalesces on send
 * @sz: sizeof(struct vtap_gro_opts)
 * @types: VTAP_GRO_* to coalesce; 0 = TCP, plus UDP where the kernel's
 *	tap write path takes USO frames (probed: Linux 6.2 and later)
 * @max_segs: segments per coalesced frame, 2..VTAP_GRO_SEGS_MAX; 0 =
 *	VTAP_GRO_SEGS_DEFAULT
 */
struct vtap_gro_opts {
	size_t sz;
	uint32_t types;
	unsigned int max_segs;
};

/**
 * vtap_queue__set_gro() - coalesce segments on send (software GRO)
 * @q: queue of a device with a vnet header
 * @opts: what to coalesce; NULL switches coalescing off (the default)
 *
 * With coalescing on, vtap_queue__send() merges consecutive frames of a
 * batch that are MSS-sized segments of one TCP flow (IPv4 or IPv6): in
 * sequence, the same ACK, window, TTL/hop limit, TOS/traffic class, DF,
 * IPv4 IDs counting up by one, the same TCP options (timestamps included,
 * when equal), no flag but ACK (PSH allowed on the last), every segment
 * but the last of the same size, checksums that verify (or a vnet header
 * with DATA_VALID or NEEDS_CSUM). They become one frame with gso_type
 * TCPV4/TCPV6, gso_size the segment size, NEEDS_CSUM with csum_start at
 * the TCP header, csum_offset 16 and in the checksum field the
 * pseudo-header sum with the coalesced frame's TCP length (the kernel's
 * convention: its software GSO adjusts that seed per segment when it
 * forwards the frame to a device without TSO), written with one write().
 * With VTAP_GRO_UDP, UDP datagrams of one flow of equal size (the last
 * may be shorter) become one UDP_L4 frame the same way. Anything else is written as it
 * came: IPv4 options, fragments, out-of-order or overlapping data, bad
 * checksums, SYN/FIN/RST/URG. Segmenting a coalesced frame again
 * (vtap_gso__*, or the kernel) gives back exactly the segments merged.
 * Counted per queue: gro_frames, gro_segments, gro_not_merged[reason].
 *
 * Types the device does in software on send (vtap_dev__set_sw_offloads())
 * are not coalesced; nor is anything while CSUM is in the software set.
 *
 * Return: 0, -EINVAL (bad options, or no vnet header), -EOPNOTSUPP
 * (VTAP_GRO_UDP asked for and the kernel's tap lacks USO).
 * Context: control path; may probe the device's features once (see
 * vtap_dev__features()). The queue's thread picks the change up at its
 * next send.
 */
VTAP_API int vtap_queue__set_gro(struct vtap_queue *q,
				 const struct vtap_gro_opts *opts);

/**
 * vtap_queue__gro() - what a queue coalesces
 * @q: queue
 *
 * Return: VTAP_GRO_* mask, 0 when coalescing is off.
 */
VTAP_API uint32_t vtap_queue__gro(const struct vtap_queue *q);

/* ===================================================================== */
/* stats - per-queue counters                                            */
/* ===================================================================== */

/**
 * struct vtap_queue_stats - counters of one queue
 * @rx_packets: frames handed to the caller by recv
 * @rx_bytes: their bytes, vnet header excluded
 * @rx_gso: of them, GSO frames (gso_type not NONE)
 * @tx_packets: frames written by send (a segmented frame counts once per
 *	segment written)
 * @tx_bytes: their bytes, vnet header excluded
 * @tx_gso: of them, GSO frames written to the kernel as GSO
 * @rx_drops: frames dropped on receive, by enum vtap_drop_reason
 * @tx_drops: frames dropped on send, by enum vtap_drop_reason
 * @hash_reports: received frames by reported hash type (hash reporting)
 * @sw_csum: non-GSO frames sent whose NEEDS_CSUM checksum was completed
 *	in software
 * @sw_gso_frames: GSO frames segmented in software on send
 * @sw_gso_segments: segments of those written (also in @tx_packets)
 * @gro_frames: coalesced frames written (vtap_queue__set_gro()); each
 *	counts once in @tx_packets and @tx_gso
 * @gro_segments: frames merged into them
 * @gro_not_merged: TCP (and UDP when coalesced) frames written as they
 *	came, by enum vtap_gro_reason
 *
 * Layout of the shared stats file (one per open device handle,
 * /run/vtap/NSID/IFINDEX/stats/stats.PID.N): struct vtap_stats_file header then
 * VTAP_QUEUES_MAX of these, indexed by queue id. Each counter has one
 * writer, the thread running that queue, which stores with relaxed
 * atomics; readers in any process load with relaxed atomics, without
 * stopping the data path. A counter is exact; a set of counters read
 * while traffic flows is not a single snapshot.
 */
struct vtap_queue_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_gso;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_gso;
	uint64_t rx_drops[VTAP_DROP__COUNT];
	uint64_t tx_drops[VTAP_DROP__COUNT];
	uint64_t hash_reports[VTAP_HASH_REPORT__COUNT];
	uint64_t sw_csum;
	uint64_t sw_gso_frames;
	uint64_t sw_gso_segments;
	uint64_t gro_frames;
	uint64_t gro_segments;
	uint64_t gro_not_merged[VTAP_GRO__COUNT];
};

/**
 * enum vtap_ring_error - why a consumer stopped a guest's virtqueue
 *
 * For consumers that serve a queue to a guest over virtio rings (a
 * vhost-user backend such as vtap-vhost, a VMM): the driver broke a rule
 * and the ring stays stopped until it sets the ring up again.
 */
enum vtap_ring_error {
	VTAP_RING_ERR_HEAD = 0, /* head or next index not below the size */
	VTAP_RING_ERR_ADDR, /* a buffer outside guest memory */
	VTAP_RING_ERR_LOOP, /* chain loops or is longer than its table */
	VTAP_RING_ERR_INDIRECT, /* bad indirect descriptor table */
	VTAP_RING_ERR_DIRECTION, /* a buffer of the wrong direction */
	VTAP_RING_ERR_TOO_LONG, /* too many segments or bytes in a chain */
	VTAP_RING_ERR_AVAIL, /* available index ahead of the ring size */
	VTAP_RING_ERR_HDR, /* chain shorter than the virtio-net header */
	VTAP_RING_ERR_FAULT, /* guest memory faulted (its file shrank) */
	VTAP_RING_ERR__COUNT,
};

/**
 * vtap_ring_error__name() - snake_case name of a ring error
 * @err: enum vtap_ring_error
 *
 * Return: e.g. "addr"; NULL if out of range.
 */
VTAP_API const char *vtap_ring_error__name(enum vtap_ring_error err);

/**
 * struct vtap_ring_errors - a queue's guest rings stopped, and why
 * @rx: receive ring stops by enum vtap_ring_error
 * @tx: transmit ring stops by enum vtap_ring_error
 * @stopped: rings stopped now: bit 0 receive, bit 1 transmit
 * @reserved: zero
 *
 * Counted since the consumer's guest connected (vtap_queue__ring_reset()).
 */
struct vtap_ring_errors {
	uint64_t rx[VTAP_RING_ERR__COUNT];
	uint64_t tx[VTAP_RING_ERR__COUNT];
	uint32_t stopped;
	uint32_t reserved;
};

#define VTAP_STATS_MAGIC 0x56545354u /* "VTST" */
#define VTAP_STATS_VERSION 1u

/**
 * struct vtap_stats_file - header of a shared stats file
 * @magic: VTAP_STATS_MAGIC
 * @version: VTAP_STATS_VERSION
 * @hdr_size: sizeof(struct vtap_stats_file); the counters start there
 * @stats_size: sizeof(struct vtap_queue_stats) of the writer
 * @n_slots: slots in the file (VTAP_QUEUES_MAX)
 * @n_queues: queue ids in use (0..n_queues - 1)
 * @pid: writer process
 * @ring_off: where VTAP_QUEUES_MAX struct vtap_ring_errors start, one per
 *	queue id (0: not in this file)
 * @ifname: interface name
 * @sw_offloads: VTAP_OFFLOAD_* the handle does in software on send
 *	(vtap_dev__sw_offloads())
 * @kernel_offloads: VTAP_OFFLOAD_* the handle set on the device
 * @pinned_offloads: the handle's pinned set (0 when none)
 * @report_mode: the handle's enum vtap_report_mode
 *
 * Files written before these four fields existed hold zeros there. The
 * writer holds an OFD write lock on the file while its handle is
 * open; a file nobody locks belongs to a dead handle and is ignored.
 */
struct vtap_stats_file {
	uint32_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint32_t stats_size;
	uint32_t n_slots;
	uint32_t n_queues;
	int32_t pid;
	uint32_t ring_off;
	char ifname[16];
	uint32_t sw_offloads;
	uint32_t kernel_offloads;
	uint32_t pinned_offloads;
	uint32_t report_mode;
};

/**
 * struct vtap_stats_dev - what the live handles on a device do
 * @sz: sizeof(struct vtap_stats_dev)
 * @handles: live handles (stats files) found
 * @sw_offloads: union of their software sets
 * @pinned_offloads: union of their pinned sets
 * @report_modes: bit (1 << mode) for each enum vtap_report_mode in use
 */
struct vtap_stats_dev {
	size_t sz;
	unsigned int handles;
	uint32_t sw_offloads;
	uint32_t pinned_offloads;
	uint32_t report_modes;
};

/**
 * vtap_queue__stats() - read a queue's counters
 * @q: queue
 * @ret: result
 *
 * Return: 0 or -EINVAL.
 * Context: any thread, while the queue runs.
 */
VTAP_API int vtap_queue__stats(const struct vtap_queue *q,
			       struct vtap_queue_stats *ret);

/**
 * vtap_queue__add_stats() - count frames a caller moved on the queue's fd
 * @q: queue
 * @delta: counters to add (zero fields are skipped)
 *
 * For consumers that read and write the queue's fd themselves (readv
 * straight into a guest's buffers, as vtap-vhost does) and still publish
 * their counters where `vtapctl stats` reads them.
 *
 * Return: 0 or -EINVAL.
 * Context: the thread running the queue (counters have one writer).
 */
VTAP_API int vtap_queue__add_stats(struct vtap_queue *q,
				   const struct vtap_queue_stats *delta);

/**
 * vtap_queue__ring_error() - publish a guest ring stopped or running again
 * @q: queue
 * @tx: the transmit ring (else the receive ring)
 * @err: why it stopped (counted), or -1: it runs again
 *
 * Return: 0 or -EINVAL.
 * Context: one writer per queue at a time (its thread, or the thread
 * that parked it).
 */
VTAP_API int vtap_queue__ring_error(struct vtap_queue *q, bool tx, int err);

/**
 * vtap_queue__ring_reset() - zero a queue's published ring errors
 * @q: queue
 *
 * For a new guest connection. Return: 0 or -EINVAL.
 * Context: as vtap_queue__ring_error().
 */
VTAP_API int vtap_queue__ring_reset(struct vtap_queue *q);

/**
 * vtap_stats__ring_errors() - guest ring errors of a device, per queue id
 * @ifname: interface name
 * @ret: array of @max entries, zeroed then filled (sums over the live
 *	handles' files; @stopped is their union)
 * @max: capacity
 *
 * Return: the number of queue ids seen (as vtap_stats__read()), 0 when no
 * handle is open, or a negative errno.
 */
VTAP_API int vtap_stats__ring_errors(const char *ifname,
				     struct vtap_ring_errors *ret,
				     unsigned int max);

/**
 * vtap_stats__read() - sum the live counters of a device, per queue id
 * @ifname: interface name
 * @ret: array of @max entries, zeroed then filled
 * @max: capacity (VTAP_QUEUES_MAX covers every device)
 *
 * Sums over the stats files of every live handle on the device (files of
 * dead processes are skipped and removed when possible), in any process.
 *
 * Return: the number of queue ids seen (entries past @max are not
 * stored), 0 when no handle is open, or a negative errno.
 */
VTAP_API int vtap_stats__read(const char *ifname, struct vtap_queue_stats *ret,
			      unsigned int max);

/**
 * vtap_stats__sum() - add one queue's counters to a total
 * @total: accumulator
 * @q: counters to add
 */
VTAP_API void vtap_stats__sum(struct vtap_queue_stats *total,
			      const struct vtap_queue_stats *q);

/**
 * vtap_stats__dev() - what the live handles on a device do, by name
 * @ifname: interface name
 * @ret: result (@sz set by the caller)
 *
 * Reads the headers of the device's stats files, as vtap_stats__read()
 * does: for tools (`vtapctl offload show` tells kernel from software
 * offloads with it).
 *
 * Return: 0 (also with no live handle: everything zero) or a negative
 * errno.
 */
VTAP_API int vtap_stats__dev(const char *ifname, struct vtap_stats_dev *ret);

/* ===================================================================== */
/* steer - in-kernel steering: eBPF program, maps, rules, extension      */
/* ===================================================================== */

/*
 * The steering chain, first match wins (docs/steering.md): flow rules,
 * the user's BPF extension, RSS, automq. Each step can be on or off.
 */
#define VTAP_STEER_STEP_RULES (1u << 0)
#define VTAP_STEER_STEP_EXT (1u << 1)
#define VTAP_STEER_STEP_RSS (1u << 2)
#define VTAP_STEER_STEP_AUTOMQ (1u << 3)
#define VTAP_STEER_STEP_ALL 0xfu

/*
 * Where steering state of persistent taps is pinned, usually:
 * DIR/NSID/IFINDEX/ (vtap_steer__pin_dir()).
 */
#define VTAP_STEER_PIN_DIR "/sys/fs/bpf/vtap"

/* Flags of struct vtap_steer_opts. */
enum vtap_steer_flags {
	/* Pin program and maps under the tap's pin directory (made if
	 * missing; see vtap_steer__pin_dir()); pins found there are reused.
	 * The tap must exist in the caller's namespace. */
	VTAP_STEER_PIN = 1u << 0,
	/* Only open existing pins (ENOENT when there are none). */
	VTAP_STEER_NO_CREATE = 1u << 1,
	/* The device is TUN (frames start at the IP header). Detected
	 * (rtnetlink) when the device exists. */
	VTAP_STEER_TUN = 1u << 2,
	/* chown the pins to @owner/@group (unprivileged RSS updates). */
	VTAP_STEER_SET_OWNER = 1u << 3,
	/* The tc build of the program, for a macvtap/ipvtap's clsact
	 * ingress (frames start at the Ethernet header). Detected
	 * (rtnetlink: the link's kind) when the device exists. */
	VTAP_STEER_TC = 1u << 4,
};

/**
 * struct vtap_steer_opts - how to open steering state for a device
 * @sz: sizeof(struct vtap_steer_opts)
 * @flags: enum vtap_steer_flags
 * @queues: the tap's intended queue count, recorded with new state (and
 *	the pins); 0 = vtap_dev__intended_queues(), else 1. RSS tables and
 *	rules are validated against it.
 * @owner: uid for VTAP_STEER_SET_OWNER
 * @group: gid for VTAP_STEER_SET_OWNER
 */
struct vtap_steer_opts {
	size_t sz;
	unsigned int flags;
	unsigned int queues;
	uint32_t owner;
	uint32_t group;
};

struct vtap_steer;

/**
 * vtap_steer__open() - load (or find pinned) steering state for a device
 * @ifname: interface name; names the pin directory
 * @opts: options, or NULL (unpinned, TAP unless detected otherwise)
 *
 * New state is loaded from the built-in skeleton with automq on and every
 * other step off. The device's kind picks how the program runs: on a
 * tun/tap it is handed to the kernel with TUNSETSTEERINGEBPF, on a macvtap
 * or ipvtap it is a tc filter on the device's clsact ingress that sets the
 * hash the kernel picks the queue with (docs/steering.md). With VTAP_STEER_PIN, pins of the tap of that name in
 * the caller's network namespace are reused when present: a configuration set by one process (vtapctl)
 * is found by the next one. Opening existing pins needs no privileges when
 * the pins belong to the caller (updates then go through mmap); loading
 * needs CAP_BPF (or root).
 *
 * Return: a handle owned by the caller (vtap_steer__close()), or NULL with
 * errno: EPERM (needs CAP_BPF/CAP_SYS_ADMIN, or the pins' owner), ENOENT
 * (VTAP_STEER_NO_CREATE and no pins), ENODEV (pinned state for a tap that
 * does not exist), ENOMEDIUM (no bpffs that outlives the caller: see
 * docs/steering.md), EINVAL (bad options, pins of another layout), ENOMEM.
 */
VTAP_API struct vtap_steer *
vtap_steer__open(const char *ifname, const struct vtap_steer_opts *opts);

/**
 * vtap_steer__pin() - publish a handle's state as the tap's pinned state
 * @steer: a handle that loaded its own state (opened without
 *	VTAP_STEER_PIN)
 *
 * Pins the program and maps under the pin directory of the tap of the
 * handle's name in the caller's network namespace now (call it after the
 * tap moved to its namespace), replacing what was pinned there, so that
 * `vtapctl rss show`, `steer show` and `stats` see the steering a program
 * set up privately (vtap-switchd's ports). Nothing is chowned.
 *
 * Return: 0 (also when already pinned), -EINVAL (state found pinned
 * elsewhere is not the handle's to move), -ENODEV, -ENOMEDIUM, or another
 * errno.
 */
VTAP_API int vtap_steer__pin(struct vtap_steer *steer);

/**
 * vtap_steer__close() - release the handle
 * @steer: handle, or NULL
 *
 * Pinned state and a program attached to a device stay.
 */
VTAP_API void vtap_steer__close(struct vtap_steer *steer);

/**
 * vtap_steer__unpin() - remove the pins of a device
 * @ifname: interface name
 *
 * For `vtapctl dev del` and `vtapctl steer detach`. A program still
 * attached to a tun/tap keeps working until the device goes; on a
 * macvtap/ipvtap the tc filter is removed first (vtap_steer__detach()).
 *
 * Return: 0 (also when nothing was pinned) or a negative errno.
 */
VTAP_API int vtap_steer__unpin(const char *ifname);

/**
 * vtap_steer__pin_dir() - where a handle's state is pinned
 * @steer: handle
 *
 * BPFFS/vtap/NSID/IFINDEX: the bpffs that outlives the caller (usually
 * /sys/fs/bpf; under `ip netns exec`, the one of the mount namespace it
 * was started from, and the path is the one seen there), the caller's
 * network namespace and the tap's ifindex there (docs/steering.md, "Where
 * the state lives").
 *
 * Return: the directory, or NULL for unpinned state. Owned by @steer.
 */
VTAP_API const char *vtap_steer__pin_dir(const struct vtap_steer *steer);

/**
 * vtap_steer__attach() - make the program steer a device's queues
 * @steer: handle
 * @tap_fd: any queue fd of the device
 *
 * TUNSETSTEERINGEBPF: the program belongs to the device afterwards and
 * stays when @tap_fd closes. On a macvtap/ipvtap @tap_fd is not needed:
 * the program becomes a filter on the device's clsact ingress (the qdisc
 * is created when missing), which stays with no process around.
 *
 * Return: 0 or a negative errno (-EPERM without the program's fd).
 */
VTAP_API int vtap_steer__attach(struct vtap_steer *steer, int tap_fd);

/**
 * vtap_steer__detach() - make the device stop running the program
 * @steer: handle
 *
 * tun/tap: TUNSETSTEERINGEBPF with no program, through a queue opened for
 * it. macvtap/ipvtap: the tc filter goes, and the clsact qdisc with it
 * when vtap created it and no other filter is on it. The configuration
 * (and its pins) stays; vtap_steer__unpin() removes it. vtapctl's `steer
 * detach` is vtap_steer__release(), which also marks the device handed
 * back.
 *
 * Return: 0 or a negative errno.
 */
VTAP_API int vtap_steer__detach(struct vtap_steer *steer);

/**
 * vtap_steer__attach_point() - how the device runs the program
 * @steer: handle
 *
 * Return: "tun" (TUNSETSTEERINGEBPF) or "tc" (clsact ingress of a macvtap
 * or ipvtap); NULL for a NULL handle. The string is static.
 */
VTAP_API const char *vtap_steer__attach_point(const struct vtap_steer *steer);

/**
 * vtap_steer__attach_name() - attach to a device nobody has open
 * @steer: handle
 *
 * Opens one queue of the device named at open with the device's own flags
 * (read with rtnetlink), attaches, and closes it again: the
 * way to give a persistent tap its steering before a VMM opens it. Fails
 * with -EBUSY when the device is single-queue and open elsewhere.
 *
 * Return: 0 or a negative errno.
 */
VTAP_API int vtap_steer__attach_name(struct vtap_steer *steer);

struct vtap_dev;

/**
 * vtap_steer__attach_dev() - steer a libvtap device and follow its queues
 * @steer: handle
 * @dev: device handle; must outlive @steer or vtap_steer__detach_dev()
 *
 * Attaches through the device's first attached queue and registers the
 * device's queue hook: before a queue detaches and after one attaches the
 * indirection table is rebuilt from the user's intent for the new queue
 * count, so it never names a kernel index that is not attached.
 *
 * Return: 0, -EBUSY (another hook registered), or a negative errno.
 */
VTAP_API int vtap_steer__attach_dev(struct vtap_steer *steer,
				    struct vtap_dev *dev);

/**
 * vtap_steer__detach_dev() - stop following a device's queues
 * @steer: handle
 * @dev: the device given to vtap_steer__attach_dev()
 */
VTAP_API void vtap_steer__detach_dev(struct vtap_steer *steer,
				     struct vtap_dev *dev);

/**
 * vtap_steer__set_steps() - switch chain steps on and off
 * @steer: handle
 * @steps: VTAP_STEER_STEP_* mask
 *
 * Return: 0, -EINVAL (unknown bits), -ENOENT (EXT without an extension).
 */
VTAP_API int vtap_steer__set_steps(struct vtap_steer *steer, uint32_t steps);

/**
 * vtap_steer__steps() - the chain steps that are on
 * @steer: handle
 *
 * Return: VTAP_STEER_STEP_* mask.
 */
VTAP_API uint32_t vtap_steer__steps(const struct vtap_steer *steer);

/* How an RSS indirection table is made (struct vtap_steer_rss). */
enum vtap_steer_table_kind {
	VTAP_STEER_TABLE_EQUAL = 0, /* spread over the first N queues */
	VTAP_STEER_TABLE_WEIGHT = 1, /* queue q gets weights[q] shares */
	VTAP_STEER_TABLE_EXPLICIT = 2, /* the entries as given */
};

/**
 * struct vtap_steer_rss - RSS configuration of the steering program
 * @sz: sizeof(struct vtap_steer_rss)
 * @hash_types: VTAP_HASH_TYPE_* mask
 * @key_len: 1..VTAP_TOEPLITZ_KEY_MAX; 0 = vtap_rss_default_key
 * @key: key bytes
 * @kind: enum vtap_steer_table_kind, the user's intent
 * @equal_n: EQUAL: queues to spread over, 0 = all
 * @n_weights: WEIGHT: entries of @weights (queues 0..n-1)
 * @weights: WEIGHT: relative shares
 * @table_len: EXPLICIT: power of two 1..VTAP_RSS_TABLE_MAX; on read, the
 *	length of the table in effect
 * @table: EXPLICIT: queue indices; on read, the table in effect
 * @unclassified_queue: queue for frames with report NONE
 * @queues_now: on read, the queue count the table in effect is built for
 *	(the queues attached now; the intended count when none is)
 * @intent_table_len: on read, the length of @intent_table
 * @intent_table: on read, the table the intent gives over all intended
 *	queues (vtap_steer__intended_queues()): what the table in effect
 *	becomes once they are all attached
 *
 * The table in effect is built from the intent for the queues present
 * (vtap_steer__set_queues()): EQUAL N over min(N, queues), WEIGHT over the
 * weights of present queues (128 entries, largest remainder), EXPLICIT
 * with each entry q >= queues replaced by q % queues. The unclassified
 * queue is reduced the same way. Callers built before the last three
 * fields existed pass a smaller @sz and do not get them.
 */
struct vtap_steer_rss {
	size_t sz;
	uint32_t hash_types;
	uint32_t key_len;
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
	uint32_t kind;
	uint16_t equal_n;
	uint16_t n_weights;
	uint16_t weights[VTAP_QUEUES_MAX];
	uint16_t table_len;
	uint16_t table[VTAP_RSS_TABLE_MAX];
	uint16_t unclassified_queue;
	uint16_t queues_now;
	uint16_t intent_table_len;
	uint16_t intent_table[VTAP_RSS_TABLE_MAX];
};

/**
 * vtap_steer__set_rss() - configure RSS and switch the RSS step on
 * @steer: handle
 * @rss: configuration
 *
 * Validates every queue named against the intended queue count (not the
 * queues attached now), writes a complete configuration slot and flips to
 * it (docs/steering.md, "Updates"): traffic never sees a half-written
 * table. Works without privileges on pins owned by the caller.
 *
 * Return: 0, -EINVAL (reason logged: types, key length, table length not
 * a power of two, a queue >= the intended queue count), or -errno.
 */
VTAP_API int vtap_steer__set_rss(struct vtap_steer *steer,
				 const struct vtap_steer_rss *rss);

/**
 * vtap_steer__rss() - read the RSS configuration back
 * @steer: handle
 * @ret_rss: filled (sz set by the caller): intent, key, table in effect
 *
 * Return: 0, -ENOENT (RSS never configured), -EINVAL.
 */
VTAP_API int vtap_steer__rss(const struct vtap_steer *steer,
			     struct vtap_steer_rss *ret_rss);

/**
 * vtap_steer__set_queues() - the number of attached queues changed
 * @steer: handle
 * @n: attached queues, 1..VTAP_QUEUES_MAX
 *
 * Rebuilds the table from the user's intent so that it names queues
 * below @n only (vtap_steer__attach_dev() calls it from the queue hook).
 *
 * Return: 0 or -EINVAL.
 */
VTAP_API int vtap_steer__set_queues(struct vtap_steer *steer, unsigned int n);

/**
 * vtap_steer__intended_queues() - the queue count recorded with the state
 * @steer: handle
 *
 * Return: 1..VTAP_QUEUES_MAX.
 */
VTAP_API unsigned int
vtap_steer__intended_queues(const struct vtap_steer *steer);

/**
 * vtap_steer__frames_cut() - frames the program's IPv6 option scan cut short
 * @steer: handle
 *
 * The steering program scans IPv6 destination options for a Home Address
 * within the VTAP_PKT_OPT_* bounds (vtap rule, as vtap_pkt__parse() does)
 * and counts each frame it stopped scanning at a bound: a sender trying to
 * make the transmit path to the tap slow shows up here. The counter lives
 * in the configuration map, so the tap's owner can change it too.
 *
 * Return: the count since the state was made (0 for a NULL handle).
 */
VTAP_API uint64_t vtap_steer__frames_cut(const struct vtap_steer *steer);

/**
 * struct vtap_steer_rule - a flow rule (like `ethtool -N ... flow-type`)
 * @sz: sizeof(struct vtap_steer_rule)
 * @id: assigned by vtap_steer__rule_add()
 * @family: 0 (any), 4 or 6; set by the addresses when they are given
 * @proto: 0 (any), 6 (TCP) or 17 (UDP): frames whose ports are readable
 * @src: source address (IPv4 in the first 4 bytes), network order
 * @src_len: prefix length; 0 = any source
 * @dst: destination address
 * @dst_len: prefix length; 0 = any destination
 * @has_sport: match @sport
 * @has_dport: match @dport
 * @sport: source port, host order
 * @dport: destination port, host order
 * @queue: the queue matching frames go to
 * @prio: lower first; equal priorities in the order added (by @id),
 *	across exact and masked rules alike
 * @exact: set on read: the rule lives in the exact 5-tuple map (a rule
 *	with proto, full-length addresses and both ports); an exact rule is
 *	one hash lookup, and only the masked rules that come before it in
 *	the priority order are tried before it
 *
 * At most 256 masked rules, 65536 exact ones.
 */
struct vtap_steer_rule {
	size_t sz;
	uint32_t id;
	uint8_t family;
	uint8_t proto;
	uint8_t src[16];
	uint8_t src_len;
	uint8_t dst[16];
	uint8_t dst_len;
	bool has_sport;
	bool has_dport;
	uint16_t sport;
	uint16_t dport;
	uint16_t queue;
	uint16_t prio;
	bool exact;
};

/**
 * vtap_steer__rule_add() - add a flow rule and switch the rules step on
 * @steer: handle
 * @rule: the rule (@id ignored)
 * @ret_id: the new rule's id
 *
 * Return: 0, -EINVAL (queue >= intended queues, prefix too long, family
 * mismatch), -ENOSPC (table full), or -errno.
 */
VTAP_API int vtap_steer__rule_add(struct vtap_steer *steer,
				  const struct vtap_steer_rule *rule,
				  uint32_t *ret_id);

/**
 * vtap_steer__rule_del() - delete a flow rule
 * @steer: handle
 * @id: rule id
 *
 * Return: 0 or -ENOENT.
 */
VTAP_API int vtap_steer__rule_del(struct vtap_steer *steer, uint32_t id);

/**
 * vtap_steer__rules() - list the flow rules in the order they are tried
 * @steer: handle
 * @ret_rules: array of @max rules (sz set or not: filled whole)
 * @max: its length
 *
 * The rules written are sorted as the program tries them: lower prio
 * first, equal prio by id (the order added), exact and masked mixed.
 *
 * Return: the number of rules (may exceed @max: only @max are written),
 * or a negative errno.
 */
VTAP_API int vtap_steer__rules(const struct vtap_steer *steer,
			       struct vtap_steer_rule *ret_rules, size_t max);

/**
 * vtap_steer__ext_set() - install a steering extension
 * @steer: handle
 * @obj_path: BPF object built with <vtap/steer_ext.h>
 * @prog_name: program to use, or NULL for the first socket-filter program
 *
 * Loads the object reusing vtap's maps, puts the program in the chain and
 * switches the extension step on.
 *
 * Return: 0, -ENOENT (no such file or program), -EINVAL (no socket-filter
 * program; or -ENOEXEC: not built with the helper header), -EPERM, -errno.
 */
VTAP_API int vtap_steer__ext_set(struct vtap_steer *steer, const char *obj_path,
				 const char *prog_name);

/**
 * vtap_steer__ext_del() - remove the extension, switching the step off
 * @steer: handle
 *
 * Return: 0 or a negative errno.
 */
VTAP_API int vtap_steer__ext_del(struct vtap_steer *steer);

/**
 * vtap_steer__ext_name() - the installed extension's program name
 * @steer: handle
 * @buf: output
 * @size: its size
 *
 * Return: 0, -ENOENT (none), or a negative errno.
 */
VTAP_API int vtap_steer__ext_name(const struct vtap_steer *steer, char *buf,
				  size_t size);

/**
 * vtap_steer__record_flow() - remember the queue a frame was sent from
 * @steer: handle
 * @frame: the frame user space writes to the tap
 * @len: its length
 * @queue: kernel index of the queue it is written to
 *
 * One 16-bit store into the mmapped automq table (no syscall, no
 * allocation): replies of the flow are steered to @queue by the automq
 * step. The bucket is the symmetric flow hash the program computes.
 *
 * Return: 0, or -EINVAL (bad arguments).
 * Context: data path; any thread.
 */
VTAP_API int vtap_steer__record_flow(struct vtap_steer *steer,
				     const void *frame, size_t len,
				     unsigned int queue);

/* Which step decided (struct vtap_steer_prediction). */
enum vtap_steer_decider {
	VTAP_STEER_BY_NONE = 0, /* every step off: 0 */
	VTAP_STEER_BY_EXACT, /* an exact 5-tuple rule */
	VTAP_STEER_BY_RULE, /* a prioritised rule */
	VTAP_STEER_BY_EXT, /* the extension (its answer is unknown) */
	VTAP_STEER_BY_RSS, /* RSS (table or unclassified queue) */
	VTAP_STEER_BY_AUTOMQ, /* a recorded flow */
	VTAP_STEER_BY_FLOW_HASH, /* the symmetric flow hash */
	/* tc (macvtap/ipvtap): no step decided, the hash is left alone and
	 * the kernel picks (its flow hash, unknown here) */
	VTAP_STEER_BY_KERNEL,
};

/**
 * struct vtap_steer_prediction - what the program will return for a frame
 * @value: the program's return value (the kernel then takes it modulo the
 *	number of attached queues); for BY_EXT the value if the extension
 *	has no opinion; 0 for BY_KERNEL (the kernel's flow hash, keyed with
 *	a secret, picks: the program counts the frame on the queue it
 *	selects, VTAP_STEER_CNT_KERNEL)
 * @by: enum vtap_steer_decider
 * @rule_id: the rule for BY_EXACT / BY_RULE
 * @rss: RSS hash, report and queue (also when another step decided and
 *	RSS is configured)
 * @hash: tc attach point (macvtap/ipvtap): the skb hash the program sets
 *	(never 0; the kernel's queue is @hash % attached queues, which is
 *	@value when the table's queue count is attached), 0 when it leaves
 *	the hash alone (VTAP_STEER_BY_KERNEL) or for BY_EXT (the
 *	extension's answer is unknown). Always 0 on tun.
 */
struct vtap_steer_prediction {
	uint32_t value;
	uint32_t by;
	uint32_t rule_id;
	struct vtap_rss_result rss;
	uint32_t hash;
};

/**
 * vtap_steer__predict() - the C twin of the steering program
 * @steer: handle
 * @frame: frame as the tap delivers it (Ethernet, or IP on a TUN device)
 * @len: its length
 * @ret: prediction
 *
 * Runs the chain in C on the configuration in effect: vtap_pkt__parse(),
 * the rule matcher, vtap_rss__hash_info(), the automq table. Tests compare
 * it with the program's answers.
 *
 * Return: 0 or a negative errno.
 */
VTAP_API int vtap_steer__predict(struct vtap_steer *steer, const void *frame,
				 size_t len, struct vtap_steer_prediction *ret);

/**
 * vtap_steer__prog_fd() - the steering program's fd (for tests, benches)
 * @steer: handle
 *
 * Return: an fd owned by the handle, or -ENOENT.
 */
VTAP_API int vtap_steer__prog_fd(const struct vtap_steer *steer);

/*
 * The step that decided a frame's queue, as the steering program counts
 * it (vtap_steer__counts()).
 */
enum vtap_steer_cnt {
	VTAP_STEER_CNT_RULE, /* a flow rule */
	VTAP_STEER_CNT_EXT, /* the extension */
	VTAP_STEER_CNT_RSS, /* RSS: the indirection table */
	VTAP_STEER_CNT_UNCLASSIFIED, /* RSS: the unclassified queue */
	VTAP_STEER_CNT_AUTOMQ, /* automq */
	VTAP_STEER_CNT_NONE, /* tun: no step on (queue 0) */
	/* tc (macvtap/ipvtap): no step decided, the hash was left alone and
	 * the kernel's flow hash chose; counted on the queue that hash
	 * selects among the queues the configuration is built for */
	VTAP_STEER_CNT_KERNEL,
	VTAP_STEER_CNT__COUNT,
};

/**
 * vtap_steer_cnt__name() - short name of a step ("rule", "rss", ...)
 * @by: enum vtap_steer_cnt
 *
 * Return: a static string, or NULL for an unknown value.
 */
VTAP_API const char *vtap_steer_cnt__name(unsigned int by);

/**
 * struct vtap_steer_qcount - frames the program steered to one queue
 * @by: per enum vtap_steer_cnt, summed over CPUs
 */
struct vtap_steer_qcount {
	uint64_t by[VTAP_STEER_CNT__COUNT];
};

/**
 * vtap_steer__counts() - what the steering program did, per queue
 * @steer: handle
 * @ret: @max entries, indexed by the queue the program returned (the
 *	kernel takes it modulo the attached queues; entry 255 also counts
 *	anything above); on tc (macvtap/ipvtap) by the queue the program
 *	asked for, and for VTAP_STEER_CNT_KERNEL by the queue the kernel's
 *	own flow hash selects, both among the queues the configuration is
 *	built for (vtap_steer__set_queues(), `rss show`: when that is the
 *	number attached, the queue the frame went to)
 * @max: capacity of @ret
 *
 * The program counts every run, whoever opened the tap (a VMM that does
 * not link libvtap included), in a per-CPU map; the counts only grow and
 * go with the pins.
 *
 * Return: the number of entries up to the last non-zero one, or -ENOENT
 * (state without counters: pins of an older version), -EINVAL.
 */
VTAP_API int vtap_steer__counts(const struct vtap_steer *steer,
				struct vtap_steer_qcount *ret,
				unsigned int max);

enum vtap_steer_attach_state {
	VTAP_STEER_ATTACHED_UNKNOWN, /* no frames since the attach */
	VTAP_STEER_ATTACHED_YES,
	VTAP_STEER_ATTACHED_NO,
	/* frames passed while one queue was attached: the kernel runs no
	 * steering program then (nothing to choose), so the counters cannot
	 * tell; nothing is wrong */
	VTAP_STEER_ATTACHED_NOT_RUN,
};

/**
 * struct vtap_steer_attached - vtap_steer__attached()'s evidence
 * @state: enum vtap_steer_attach_state
 * @runs: program runs since vtap last attached it
 * @frames: frames the tap handed to its readers since then (IFLA_STATS64
 *	tx_packets, "to the VMM", of a tun/tap; rx_packets of a macvtap or
 *	ipvtap, which counts what it takes from the lower device)
 * @queues: queues attached now (IFLA_TUN_NUM_QUEUES), -1 when not told
 * @prog_id: the program instance vtap last attached
 *	(vtap_steer__attach_borrowed()), 0 when it attached the pinned one
 * @prog_seen: @prog_id was looked up (root): @state is a fact, NO when
 *	that instance is gone, YES (or NOT_RUN, when frames passed while one
 *	queue was attached) when the tap still holds it
 * @reattached: times `vtapctl steer guard` attached the program again
 *	after an opener detached it
 * @released: handed back (vtap_steer__release()): no guard attaches it
 */
struct vtap_steer_attached {
	unsigned int state;
	uint64_t runs;
	uint64_t frames;
	int queues;
	uint32_t prog_id;
	bool prog_seen;
	uint64_t reattached;
	bool released;
};

/**
 * vtap_steer__attached() - whether the program is still the one steering
 * @steer: pinned handle
 * @ret: result
 *
 * There is no getter for a tap's steering program, and a VMM may replace
 * or remove it (QEMU calls TUNSETSTEERINGEBPF with -1 when the guest
 * driver starts). When vtap attached an instance of its own
 * (vtap_steer__attach_borrowed(), the guard) and the caller may look it
 * up (root), the answer is a fact: the tap holds the only reference to
 * it, so it is alive exactly while attached. Otherwise it is derived:
 * every frame the tap hands to a reader ran the program first if it was
 * attached and two or more queues were (with one the kernel runs none),
 * so while attached its run count grows as fast as the tap's tx_packets
 * (a macvtap's rx_packets: its tc filter sees every frame it takes).
 * Both are compared with the values recorded in the tap's run directory at
 * the attach. No frames since: VTAP_STEER_ATTACHED_UNKNOWN; fewer runs
 * while one queue is attached: VTAP_STEER_ATTACHED_NOT_RUN.
 *
 * Return: 0, -EINVAL (not pinned), -ENOENT (no counters), -ENODEV.
 */
VTAP_API int vtap_steer__attached(struct vtap_steer *steer,
				  struct vtap_steer_attached *ret);

/**
 * struct vtap_steer_tc_filter - a filter on a macvtap's clsact ingress
 * @sz: set by the library to the size it fills: a field at or past it is
 *	not there (an older library)
 * @prio: priority
 * @handle: handle
 * @chain: chain (filters of other chains than 0 run only through a goto)
 * @protocol: ETH_P_* in host order (ETH_P_ALL: all)
 * @kind: TCA_KIND ("bpf", "u32", "matchall", ...)
 * @bpf_name: a bpf filter's name as its loader gave it (TCA_BPF_NAME),
 *	"" when not told
 * @bpf_id: a bpf filter's program id (TCA_BPF_ID), 0 when not told
 * @ours: vtap's own filter (handle 0x7674, priority 1, program vtap_steer)
 * @before: on chain 0 ahead of vtap's filter: it runs first, and any
 *	verdict it returns but TC_ACT_UNSPEC ends classification, so vtap's
 *	program does not run
 */
struct vtap_steer_tc_filter {
	size_t sz;
	uint32_t prio;
	uint32_t handle;
	uint32_t chain;
	uint16_t protocol;
	char kind[16];
	char bpf_name[128];
	uint32_t bpf_id;
	bool ours;
	bool before;
};

/**
 * vtap_steer__tc_filters() - the filters on a macvtap's clsact ingress
 * @steer: handle of a macvtap or ipvtap (attach point "tc")
 * @fn: called for each filter, vtap's included, in the order the kernel
 *	runs them; a non-zero return stops the walk and is returned
 * @ctx: passed to @fn
 *
 * vtap's filter returns TC_ACT_OK, which ends classification: a filter
 * after it never runs. One before it (only a cls_bpf filter of protocol
 * all can share its priority 1; the kernel puts a new one at the head)
 * runs first and can keep vtap's program from running at all.
 *
 * Return: the number of filters, -EOPNOTSUPP (not a tc attach point),
 * -ENODEV, -EINVAL (no clsact qdisc), the return of @fn, or another errno.
 */
VTAP_API int vtap_steer__tc_filters(
	struct vtap_steer *steer,
	int (*fn)(const struct vtap_steer_tc_filter *filter, void *ctx),
	void *ctx);

enum {
	/* No process has a queue of the tap attached: attach through a
	 * queue of the caller's own (nobody reads the tap: nothing lost). */
	VTAP_STEER_ATTACH_OWN_QUEUE = 1u << 0,
};

/**
 * vtap_steer__attach_borrowed() - attach without attaching a queue
 * @steer: pinned handle of a tun/tap, macvtap or ipvtap
 * @flags: VTAP_STEER_ATTACH_*
 *
 * Attaches a fresh instance of the steering program (the tap's maps, a
 * new entry program: see vtap_steer__attached()) through a queue a process
 * that has the tap open holds: found through /proc/PID/fdinfo and
 * duplicated with pidfd_getfd(2) (Linux 5.6), closed at once. Unlike
 * vtap_steer__attach_name() it never opens a queue of its own while
 * another process has one (it would be attached to the tap: frames
 * steered to it lost, the VMM's queues renumbered). Clears the "handed
 * back" mark of vtap_steer__release(). Without the right to load a
 * program, the pinned program is attached. On a macvtap/ipvtap there is no
 * queue to borrow: the tc filter is attached (vtap_steer__attach_name()).
 *
 * Return: 0, -ENOENT (no process has a queue of the tap attached, and no
 * VTAP_STEER_ATTACH_OWN_QUEUE), -EPERM (needs root: CAP_SYS_PTRACE to
 * borrow, CAP_BPF to load), -EINVAL (not pinned, not a tun/tap), or
 * another errno.
 */
VTAP_API int vtap_steer__attach_borrowed(struct vtap_steer *steer,
					 unsigned int flags);

/**
 * vtap_steer__release() - hand the tap's steering back for good
 * @steer: pinned handle of a tun/tap, macvtap or ipvtap
 *
 * Marks the tap "handed back" in its run directory, so that no guard
 * (vtap_steer_guard__poll()) attaches the program again, and detaches it
 * (TUNSETSTEERINGEBPF -1, through a queue its opener holds, else one of
 * the caller's own; a macvtap's tc filter, vtap_steer__detach()). The pins and the configuration stay;
 * vtap_steer__attach_borrowed() takes the tap again.
 *
 * Return: 0, -EINVAL, -EPERM, or another errno (the mark could not be
 * recorded: nothing was changed).
 */
VTAP_API int vtap_steer__release(struct vtap_steer *steer);

enum vtap_steer_guard_what {
	VTAP_STEER_GUARD_WATCH, /* a tap to guard was found */
	VTAP_STEER_GUARD_ATTACHED, /* the guard's instance attached */
	VTAP_STEER_GUARD_REATTACHED, /* attached again after a detach */
	VTAP_STEER_GUARD_GONE, /* the tap, its pins, or its name went */
	VTAP_STEER_GUARD_RELEASED, /* handed back (vtap_steer__release()) */
	VTAP_STEER_GUARD_ERROR, /* could not attach: @err */
	VTAP_STEER_GUARD_ADOPTED, /* vtap attached another instance (e.g.
				   * `vtapctl steer attach`): watched, not
				   * counted */
	VTAP_STEER_GUARD_BUSY, /* another guard (@pid) guards the tap */
};

/**
 * struct vtap_steer_guard_event - what vtap_steer_guard__poll() did
 * @what: enum vtap_steer_guard_what
 * @ifname, @ifindex: the tap
 * @pid: the process whose queue was borrowed (ATTACHED, REATTACHED); the
 *	guard that guards the tap already (BUSY; 0: unknown)
 * @reattached: the tap's count of re-attachments (WATCH, REATTACHED)
 * @err: negative errno (ERROR; REATTACHED when the count could not be
 *	recorded)
 */
struct vtap_steer_guard_event {
	unsigned int what;
	const char *ifname;
	int ifindex;
	int pid;
	uint64_t reattached;
	int err;
};

/**
 * struct vtap_steer_guard_opts - options of vtap_steer_guard__new()
 * @sz: sizeof(struct vtap_steer_guard_opts)
 * @ifname: guard this tap only; NULL: every tap of the caller's network
 *	namespace whose steering is pinned
 * @fn: told each event (NULL: none)
 * @ctx: passed to @fn
 */
struct vtap_steer_guard_opts {
	size_t sz;
	const char *ifname;
	int (*fn)(const struct vtap_steer_guard_event *ev, void *ctx);
	void *ctx;
};

struct vtap_steer_guard;

/**
 * vtap_steer_guard__new() - a guard that keeps vtap's program attached
 * @opts: options, or NULL
 *
 * Return: a guard owned by the caller (vtap_steer_guard__free()), or
 * NULL with errno EINVAL or ENOMEM.
 */
VTAP_API struct vtap_steer_guard *
vtap_steer_guard__new(const struct vtap_steer_guard_opts *opts);

/**
 * vtap_steer_guard__poll() - one round of guarding
 * @guard: guard
 *
 * Finds the taps to guard (pins present, not handed back, not open by a
 * libvtap handle: libvtap users attach it themselves) and, for each that
 * does not run the instance the guard attached (an opener detached or
 * replaced it, or the guard just started) and that some process has a
 * queue of attached, attaches a fresh instance through that queue
 * (vtap_steer__attach_borrowed()) and counts a re-attachment (only when
 * the opener detached it: an instance vtap itself attached since is
 * watched instead, VTAP_STEER_GUARD_ADOPTED). Call it a few times a
 * second: a detach is repaired within one round. Needs root.
 *
 * One guard per tap: a guard holds a lock in each guarded tap's run
 * directory. A tap another guard holds is left to it (BUSY event with
 * that guard's PID; taken over when that guard stops); when a tap is
 * held by another guard already in the first round, that round fails with
 * -EBUSY: two guards of one tap would each repair and count the same
 * detach. Guards of different taps (`dev NAME`) run side by side.
 *
 * Return: the number of taps guarded, -EBUSY (first round only, see
 * above), or another negative errno.
 * Context: blocks while a program loads (a fraction of a second, after an
 * attach, to have the next one ready).
 */
VTAP_API int vtap_steer_guard__poll(struct vtap_steer_guard *guard);

/**
 * vtap_steer_guard__free() - release the guard
 * @guard: guard, or NULL
 *
 * The programs it attached stay attached.
 */
VTAP_API void vtap_steer_guard__free(struct vtap_steer_guard *guard);

/* ===================================================================== */
/* gc: state left behind                                                 */
/* ===================================================================== */

/**
 * struct vtap_gc_entry - one piece of stale state vtap_gc() found
 * @kind: "run" (run state, /run/vtap) or "pins" (steering pins, bpffs)
 * @path: where it is
 * @netns: the network namespace it was recorded for ("c" and the cookie)
 * @ifindex: the link's ifindex there
 * @reason: why it is stale: "netns gone", "link gone", "another link has
 *	the ifindex", "no link token recorded", "writer gone" (a staging
 *	copy of run state a writer that died left before renaming it)
 * @removed: whether it was removed (never with VTAP_GC_DRY_RUN)
 */
struct vtap_gc_entry {
	const char *kind;
	const char *path;
	const char *netns;
	int ifindex;
	const char *reason;
	bool removed;
};

enum {
	VTAP_GC_DRY_RUN = 1u << 0, /* find, remove nothing */
};

/**
 * struct vtap_gc_opts - options of vtap_gc()
 * @sz: sizeof(struct vtap_gc_opts)
 * @flags: VTAP_GC_*
 * @fn: called for each stale entry (NULL: none); a non-zero return stops
 * @ctx: passed to @fn
 */
struct vtap_gc_opts {
	size_t sz;
	unsigned int flags;
	int (*fn)(const struct vtap_gc_entry *entry, void *ctx);
	void *ctx;
};

/**
 * vtap_gc() - find and remove the state of links and namespaces gone
 * @opts: options, or NULL (remove, tell nobody)
 *
 * Walks the run state and the steering pins of every network namespace:
 * a namespace is gone when no process (or thread), no open file and no
 * bind mount (in any mount namespace) holds it, compared by the cookie the
 * state was recorded under; in a namespace that lives, a link's state is
 * stale when the link is gone or is another link (its token, see
 * docs/steering.md "Where the state lives"), and a staging copy of run
 * state is stale when its writer is gone (its PID gone, its lock free).
 * Namespaces other than the
 * caller's are entered (setns), which needs CAP_SYS_ADMIN: without it only
 * the caller's namespace is looked at. Attached programs are not touched
 * (a program goes with the link that holds it).
 *
 * Return: the number of stale entries found, or a negative errno.
 * Context: changes the calling thread's network namespace for a moment.
 */
VTAP_API int vtap_gc(const struct vtap_gc_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* VTAP_VTAP_H */
