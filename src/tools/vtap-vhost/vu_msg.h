/* SPDX-License-Identifier: MIT */
/*
 * vu_msg.h - vhost-user messages: wire layout and a pure parser
 *
 * The layouts follow the vhost-user specification (QEMU docs/interop/
 * vhost-user.rst): a 12-byte header (request, flags, size) and a payload
 * of at most VU_PAYLOAD_MAX bytes; file descriptors travel as SCM_RIGHTS
 * ancillary data with the header. Everything here is pure (no syscalls)
 * so it can be fuzzed: vu_msg_parse() takes bytes and a descriptor count
 * and either accepts a message whose payload is exactly what its request
 * needs, or refuses it with a reason.
 */
#ifndef VTAP_VHOST_VU_MSG_H
#define VTAP_VHOST_VU_MSG_H

#include <stddef.h>
#include <stdint.h>

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_SEND_RARP = 19,
	VU_NET_SET_MTU = 20,
	VU_SET_BACKEND_REQ_FD = 21,
	VU_IOTLB_MSG = 22,
	VU_SET_VRING_ENDIAN = 23,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
	VU_RESET_DEVICE = 34,
	VU_GET_MAX_MEM_SLOTS = 36,
	VU_ADD_MEM_REG = 37,
	VU_REM_MEM_REG = 38,
	VU_SET_STATUS = 39,
	VU_GET_STATUS = 40,
	VU_REQUEST__COUNT = 41,
};

/* Header flags: version 1 in the low two bits, then reply and need_reply. */
#define VU_FLAG_VERSION 0x1u
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)

/* Virtio feature bits this backend knows (virtio spec, device "net"). */
#define VU_F_PROTOCOL_FEATURES 30 /* vhost-user's own bit */

/* Protocol feature bits. */
#define VU_PF_MQ 0
#define VU_PF_LOG_SHMFD 1
#define VU_PF_REPLY_ACK 3
#define VU_PF_CONFIG 9
#define VU_PF_CONFIGURE_MEM_SLOTS 15

/* u64 payload of SET_VRING_KICK/CALL/ERR: index, and "no fd". */
#define VU_VRING_IDX_MASK 0xffu
#define VU_VRING_NOFD (1u << 8)

#define VU_HDR_SIZE 12
#define VU_MEM_REGIONS_MAX 8
#define VU_FDS_MAX VU_MEM_REGIONS_MAX
/* The largest payload any accepted request has (SET_MEM_TABLE). */
#define VU_PAYLOAD_MAX (8 + VU_MEM_REGIONS_MAX * 32)

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_uva;
	uint64_t used_uva;
	uint64_t avail_uva;
	uint64_t log_gpa;
};

struct vu_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

/**
 * struct vu_msg - a parsed message (host byte order)
 * @request: enum vu_request
 * @flags: header flags
 * @size: payload size as sent
 * @nfds: descriptors that came with it (owned by the caller)
 * @u64: payload of u64 requests
 * @state: payload of vring state requests
 * @addr: payload of SET_VRING_ADDR
 * @n_regions: regions of SET_MEM_TABLE (1 for ADD/REM_MEM_REG)
 * @regions: their layout
 */
struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	unsigned int nfds;
	uint64_t u64;
	struct vu_vring_state state;
	struct vu_vring_addr addr;
	unsigned int n_regions;
	struct vu_mem_region regions[VU_MEM_REGIONS_MAX];
};

/* Why vu_msg_parse() refused a message. */
enum vu_msg_error {
	VU_MSG_OK = 0,
	VU_MSG_SHORT, /* fewer bytes than the header or the size says */
	VU_MSG_VERSION, /* not version 1, or a reply flag from the frontend */
	VU_MSG_TOO_BIG, /* size over VU_PAYLOAD_MAX */
	VU_MSG_UNKNOWN, /* a request this backend does not implement */
	VU_MSG_SIZE, /* payload size not what the request needs */
	VU_MSG_FDS, /* wrong number of descriptors */
	VU_MSG_REGIONS, /* region count 0 or over VU_MEM_REGIONS_MAX */
	VU_MSG__COUNT,
};

/**
 * vu_msg_parse() - check and decode one message
 * @buf: header and payload as received
 * @len: bytes in @buf
 * @nfds: descriptors received with the header
 * @ret: decoded message (written on success)
 *
 * Return: VU_MSG_OK or the enum vu_msg_error reason.
 */
enum vu_msg_error vu_msg_parse(const void *buf, size_t len, unsigned int nfds,
			       struct vu_msg *ret);

/* Name of an error; "?" for values out of range. */
const char *vu_msg_error_name(enum vu_msg_error err);

/* Name of a request, e.g. "SET_MEM_TABLE"; "UNKNOWN" otherwise. */
const char *vu_request_name(uint32_t request);

/* Payload size of @request's header, from the first VU_HDR_SIZE bytes. */
uint32_t vu_msg_hdr_size(const void *hdr);

#endif /* VTAP_VHOST_VU_MSG_H */
