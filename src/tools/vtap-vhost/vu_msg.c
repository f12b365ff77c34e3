// SPDX-License-Identifier: MIT
/*
 * vu_msg.c - vhost-user message parser (pure, fuzzed by fuzz_vhost_msg)
 *
 * Every request this backend implements has one payload kind; a message
 * is accepted only when its size and its descriptor count are exactly
 * what that kind needs (SET_MEM_TABLE: at least the regions it counts).
 * Requests for features the backend never offers (dirty logging, IOTLB,
 * config space, inflight tracking, ...) are UNKNOWN: a frontend only sends
 * them after negotiating the feature, so seeing one is a protocol error.
 */
#include <assert.h>
#include <string.h>

#include "vu_msg.h"

enum payload_kind {
	P_NONE = 0, /* not implemented */
	P_EMPTY, /* no payload */
	P_U64,
	P_VRING_FD, /* u64 index, an fd unless VU_VRING_NOFD */
	P_STATE,
	P_ADDR,
	P_MEM,
	P_MEMREG, /* u64 padding, one region, one fd */
	P_MEMREG_ANYFD, /* REM_MEM_REG: the fd is optional */
};

static const struct {
	const char *name;
	enum payload_kind kind;
} requests[VU_REQUEST__COUNT] = {
	[VU_GET_FEATURES] = {"GET_FEATURES", P_EMPTY},
	[VU_SET_FEATURES] = {"SET_FEATURES", P_U64},
	[VU_SET_OWNER] = {"SET_OWNER", P_EMPTY},
	[VU_RESET_OWNER] = {"RESET_OWNER", P_EMPTY},
	[VU_SET_MEM_TABLE] = {"SET_MEM_TABLE", P_MEM},
	[VU_SET_LOG_BASE] = {"SET_LOG_BASE", P_NONE},
	[VU_SET_LOG_FD] = {"SET_LOG_FD", P_NONE},
	[VU_SET_VRING_NUM] = {"SET_VRING_NUM", P_STATE},
	[VU_SET_VRING_ADDR] = {"SET_VRING_ADDR", P_ADDR},
	[VU_SET_VRING_BASE] = {"SET_VRING_BASE", P_STATE},
	[VU_GET_VRING_BASE] = {"GET_VRING_BASE", P_STATE},
	[VU_SET_VRING_KICK] = {"SET_VRING_KICK", P_VRING_FD},
	[VU_SET_VRING_CALL] = {"SET_VRING_CALL", P_VRING_FD},
	[VU_SET_VRING_ERR] = {"SET_VRING_ERR", P_VRING_FD},
	[VU_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", P_EMPTY},
	[VU_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", P_U64},
	[VU_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", P_EMPTY},
	[VU_SET_VRING_ENABLE] = {"SET_VRING_ENABLE", P_STATE},
	[VU_SEND_RARP] = {"SEND_RARP", P_NONE},
	[VU_NET_SET_MTU] = {"NET_SET_MTU", P_NONE},
	[VU_SET_BACKEND_REQ_FD] = {"SET_BACKEND_REQ_FD", P_NONE},
	[VU_IOTLB_MSG] = {"IOTLB_MSG", P_NONE},
	[VU_SET_VRING_ENDIAN] = {"SET_VRING_ENDIAN", P_NONE},
	[VU_GET_CONFIG] = {"GET_CONFIG", P_NONE},
	[VU_SET_CONFIG] = {"SET_CONFIG", P_NONE},
	[VU_RESET_DEVICE] = {"RESET_DEVICE", P_EMPTY},
	[VU_GET_MAX_MEM_SLOTS] = {"GET_MAX_MEM_SLOTS", P_EMPTY},
	[VU_ADD_MEM_REG] = {"ADD_MEM_REG", P_MEMREG},
	[VU_REM_MEM_REG] = {"REM_MEM_REG", P_MEMREG_ANYFD},
	[VU_SET_STATUS] = {"SET_STATUS", P_NONE},
	[VU_GET_STATUS] = {"GET_STATUS", P_NONE},
};

static const char *const error_names[] = {
	[VU_MSG_OK] = "ok",
	[VU_MSG_SHORT] = "truncated message",
	[VU_MSG_VERSION] = "bad version or flags",
	[VU_MSG_TOO_BIG] = "payload too big",
	[VU_MSG_UNKNOWN] = "request not implemented",
	[VU_MSG_SIZE] = "payload size does not match the request",
	[VU_MSG_FDS] = "wrong number of file descriptors",
	[VU_MSG_REGIONS] = "bad memory region count",
};
static_assert(sizeof(error_names) / sizeof(error_names[0]) == VU_MSG__COUNT,
	      "every error has a name");

const char *vu_msg_error_name(enum vu_msg_error err)
{
	return (unsigned int)err < VU_MSG__COUNT ? error_names[err] : "?";
}

const char *vu_request_name(uint32_t request)
{
	if (request < VU_REQUEST__COUNT && requests[request].name)
		return requests[request].name;
	return "UNKNOWN";
}

/* Little-endian loads: the protocol is host-endian, which is LE here. */
static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint32_t vu_msg_hdr_size(const void *hdr)
{
	return ld32((const uint8_t *)hdr + 8);
}

static void ld_region(const uint8_t *p, struct vu_mem_region *r)
{
	r->gpa = ld64(p);
	r->size = ld64(p + 8);
	r->uva = ld64(p + 16);
	r->mmap_offset = ld64(p + 24);
}

enum vu_msg_error vu_msg_parse(const void *buf, size_t len, unsigned int nfds,
			       struct vu_msg *ret)
{
	const uint8_t *b = buf;
	const uint8_t *pl = b + VU_HDR_SIZE;
	struct vu_msg m;
	enum payload_kind kind;

	if (!buf || len < VU_HDR_SIZE)
		return VU_MSG_SHORT;
	memset(&m, 0, sizeof(m));
	m.request = ld32(b);
	m.flags = ld32(b + 4);
	m.size = ld32(b + 8);
	m.nfds = nfds;
	if ((m.flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION ||
	    (m.flags & VU_FLAG_REPLY))
		return VU_MSG_VERSION;
	if (m.size > VU_PAYLOAD_MAX)
		return VU_MSG_TOO_BIG;
	if (len - VU_HDR_SIZE < m.size)
		return VU_MSG_SHORT;
	kind = m.request < VU_REQUEST__COUNT ? requests[m.request].kind
					     : P_NONE;
	switch (kind) {
	case P_NONE:
		return VU_MSG_UNKNOWN;
	case P_EMPTY:
		/* Some frontends send a zeroed u64 with GET requests. */
		if (m.size != 0 && m.size != 8)
			return VU_MSG_SIZE;
		if (nfds)
			return VU_MSG_FDS;
		break;
	case P_U64:
		if (m.size != 8)
			return VU_MSG_SIZE;
		if (nfds)
			return VU_MSG_FDS;
		m.u64 = ld64(pl);
		break;
	case P_VRING_FD:
		if (m.size != 8)
			return VU_MSG_SIZE;
		m.u64 = ld64(pl);
		if (nfds != ((m.u64 & VU_VRING_NOFD) ? 0u : 1u))
			return VU_MSG_FDS;
		m.state.index = (uint32_t)(m.u64 & VU_VRING_IDX_MASK);
		break;
	case P_STATE:
		if (m.size != 8)
			return VU_MSG_SIZE;
		if (nfds)
			return VU_MSG_FDS;
		m.state.index = ld32(pl);
		m.state.num = ld32(pl + 4);
		break;
	case P_ADDR:
		if (m.size != 40)
			return VU_MSG_SIZE;
		if (nfds)
			return VU_MSG_FDS;
		m.addr.index = ld32(pl);
		m.addr.flags = ld32(pl + 4);
		m.addr.desc_uva = ld64(pl + 8);
		m.addr.used_uva = ld64(pl + 16);
		m.addr.avail_uva = ld64(pl + 24);
		m.addr.log_gpa = ld64(pl + 32);
		m.state.index = m.addr.index;
		break;
	case P_MEM:
		if (m.size < 8)
			return VU_MSG_SIZE;
		m.n_regions = ld32(pl);
		if (m.n_regions == 0 || m.n_regions > VU_MEM_REGIONS_MAX)
			return VU_MSG_REGIONS;
		if (m.size < 8 + m.n_regions * 32)
			return VU_MSG_SIZE;
		if (nfds != m.n_regions)
			return VU_MSG_FDS;
		for (unsigned int i = 0; i < m.n_regions; i++)
			ld_region(pl + 8 + i * 32, &m.regions[i]);
		break;
	case P_MEMREG:
	case P_MEMREG_ANYFD:
		if (m.size != 40)
			return VU_MSG_SIZE;
		if (nfds > 1 || (kind == P_MEMREG && nfds != 1))
			return VU_MSG_FDS;
		m.n_regions = 1;
		ld_region(pl + 8, &m.regions[0]);
		break;
	}
	*ret = m;
	return VU_MSG_OK;
}
