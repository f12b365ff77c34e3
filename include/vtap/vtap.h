/* SPDX-License-Identifier: MIT */
/*
 * vtap.h - the public API of libvtap, a virtio-net datapath for Linux TAP
 *
 * Conventions (see docs/ and STYLE.md):
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
#define VTAP_OPTS_INIT(type, name, ...)                                        \
	struct type name = { .sz = sizeof(struct type), __VA_ARGS__ }

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

/**
 * struct vtap_pkt_info - what vtap_pkt__parse() found in a frame
 * @l3: VTAP_PKT_L3_*; NONE when the frame carries no parsable IP header
 * @l4: VTAP_PKT_L4_*; TCP/UDP only when both ports lie inside the frame and
 *	the packet is not a fragment (IPv4 MF/offset, IPv6 fragment header)
 * @is_frag: IPv4 MF set or offset non-zero, or an IPv6 fragment header
 * @has_hao: IPv6 Home Address option found (@hao valid)
 * @has_rh2: IPv6 type-2 routing header found (@rh2 valid)
 * @n_vlan: VLAN tags skipped (0..2)
 * @ip_proto: IPv4 protocol, or the IPv6 upper-layer next header reached
 *	(the last next-header value seen if the walk stopped early)
 * @l3_off: offset of the IP header in the frame
 * @l4_off: offset of the TCP/UDP header (valid when @l4 != NONE)
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
 * Follows the parsing rules of SPEC-NOTES.md: up to two VLAN tags (0x8100,
 * 0x88a8), IPv4 or IPv6 by EtherType with a matching version nibble, IPv6
 * extension headers (at most VTAP_PKT_IPV6_EXT_MAX), HAO and RH2. The IP
 * length fields are not used. Pure: no syscalls, no allocation.
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
	VTAP_TOEPLITZ_BITLOOP,	/* reference: one key window per input bit */
	VTAP_TOEPLITZ_TABLE,	/* per-byte-position tables, any CPU */
	VTAP_TOEPLITZ_GFNI,	/* x86 GFNI (+AVX-512 where present) */
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
VTAP_API struct vtap_toeplitz *
vtap_toeplitz__new(const uint8_t *key, size_t key_len,
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
 * @ret_opts: filled (sz must be set by the caller); @key and @table point
 *	into @rss and stay valid until the next change
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
 * Implements SPEC-NOTES.md "Which fields are hashed", with vtap's _EX rule:
 * an _EX type applies to every IPv6 packet and an L4 type wins over IPv6_EX.
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

/* Header sizes (SPEC-NOTES.md "Header layouts"); all fields little-endian. */
#define VTAP_VNET_HDR_LEN 10	  /* virtio_net_hdr */
#define VTAP_VNET_HDR_V1_LEN 12	  /* virtio_net_hdr_v1 / mrg_rxbuf */
#define VTAP_VNET_HDR_HASH_LEN 20 /* virtio_net_hdr_v1_hash */

#define VTAP_VNET_F_NEEDS_CSUM 1
#define VTAP_VNET_F_DATA_VALID 2
#define VTAP_VNET_F_RSC_INFO 4

#define VTAP_VNET_GSO_NONE 0
#define VTAP_VNET_GSO_TCPV4 1
#define VTAP_VNET_GSO_UDP 3
#define VTAP_VNET_GSO_TCPV6 4
#define VTAP_VNET_GSO_UDP_L4 5
#define VTAP_VNET_GSO_ECN 0x80

/**
 * struct vtap_vnet_hdr - a decoded virtio-net header, host byte order
 *
 * Fields past the header size in use (num_buffers for 10 bytes, hash_* for
 * 10 and 12) are zero after decoding and ignored when encoding.
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
};

/*
 * Why a frame was dropped; counted per queue and direction. Shared by the
 * header validation (vnet), the software offloads and the queues.
 */
enum vtap_drop_reason {
	VTAP_DROP_SHORT = 0,	 /* shorter than its vnet header / L2 header */
	VTAP_DROP_GSO_TYPE,	 /* unknown gso_type, or ECN without TSO */
	VTAP_DROP_GSO_SIZE,	 /* gso_size 0 with a GSO type */
	VTAP_DROP_CSUM,		 /* csum_start/csum_offset outside the frame or
				  * not what the GSO type needs */
	VTAP_DROP_HDR_LEN,	 /* hdr_len past the end of the frame */
	VTAP_DROP_HEADERS,	 /* L3/L4 headers malformed for the offload */
	VTAP_DROP_TOO_BIG,	 /* larger than the buffer or the device allows */
	VTAP_DROP_QUEUE_FULL,	 /* the kernel queue was full (EAGAIN) */
	VTAP_DROP_UNSUPPORTED,	 /* needs an offload with no fallback */
	VTAP_DROP_IO,		 /* any other read/write error */
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
 * Writes exactly @hdr_size bytes: the fields that fit wholly, little-endian,
 * and zeros for everything else (padding, fields of longer layouts, the
 * 24-byte tunnel offsets).
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
 *    the ECN bit allowed on TCPV4/TCPV6 only.
 * 3. GSO_SIZE: a GSO type with gso_size 0 or 0xffff (GSO_BY_FRAGS).
 * 4. HDR_LEN: hdr_len past the end of the frame, or (TAP mode) non-zero
 *    and below 14.
 * 5. CSUM: NEEDS_CSUM with csum_start + csum_offset + 2 > @len, or with
 *    csum_start below 20 (40 for TCPV6), the smallest network header; TCP
 *    GSO with NEEDS_CSUM and csum_offset != 16; UDP_L4 without NEEDS_CSUM or
 *    with csum_offset != 6.
 * 6. HEADERS (GSO frames only): Ethernet, up to two VLAN tags (0x8100,
 *    0x88a8), then the IP version gso_type names (TCPV4: IPv4, TCPV6:
 *    IPv6, UDP/UDP_L4: either) with a sane header (IPv4 IHL >= 5, not a
 *    fragment; IPv6 extension headers walked, at most
 *    VTAP_PKT_IPV6_EXT_MAX, no fragment header), the L4 protocol the type
 *    names, and a whole TCP header (data offset >= 5, options included) or
 *    UDP header inside the frame. With NEEDS_CSUM, csum_start must be the
 *    L4 header's offset (reason CSUM otherwise).
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
VTAP_API uint32_t vtap_csum__partial(const void *buf, size_t len,
				     uint32_t sum);

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
 * required for UDP).
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
 * - UDP (UFO, which needs IP fragmentation): refused, -EOPNOTSUPP with
 *   reason UNSUPPORTED. So is IPv6 with a routing header of a type other
 *   than 2 or 4 that still has segments left (its final destination,
 *   needed for the checksum, is unknown).
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
	VTAP_PLAN_CSUM,	    /* complete the checksum (vtap_csum__complete()),
			     * clear NEEDS_CSUM */
	VTAP_PLAN_SEGMENT,  /* segment it (vtap_gso__init(), vtap_gso__next()) */
	VTAP_PLAN_DROP,	    /* drop it; the reason says why */
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
 * - UDP (UFO): DROP with UNSUPPORTED (vtap does not fragment IP).
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

/* ===================================================================== */
/* queue - per-queue batched receive and send                            */
/* ===================================================================== */

/* ===================================================================== */
/* stats - per-queue counters                                            */
/* ===================================================================== */

/* ===================================================================== */
/* steer - in-kernel steering: eBPF program, maps, rules, extension      */
/* ===================================================================== */

#ifdef __cplusplus
}
#endif

#endif /* VTAP_VTAP_H */
