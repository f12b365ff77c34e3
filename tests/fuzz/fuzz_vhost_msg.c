// SPDX-License-Identifier: MIT
/*
 * fuzz_vhost_msg.c - libFuzzer target for vtap-vhost's message parser
 *
 * The first byte gives the number of descriptors that came with the
 * message (0..9), the rest is the message as read from the socket. An
 * accepted message must keep the parser's invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tools/vtap-vhost/vu_msg.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_msg m;
	enum vu_msg_error e;
	unsigned int nfds;

	if (size < 1)
		return 0;
	nfds = data[0] % 10;
	e = vu_msg_parse(data + 1, size - 1, nfds, &m);
	if (!vu_msg_error_name(e) || !vu_request_name(m.request))
		abort();
	if (e != VU_MSG_OK)
		return 0;
	if (m.size > VU_PAYLOAD_MAX || m.size > size - 1 - VU_HDR_SIZE ||
	    m.n_regions > VU_MEM_REGIONS_MAX || m.nfds != nfds ||
	    (m.flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION ||
	    (m.request == VU_SET_MEM_TABLE && m.nfds != m.n_regions) ||
	    ((m.request == VU_SET_VRING_KICK ||
	      m.request == VU_SET_VRING_CALL) &&
	     m.state.index > VU_VRING_IDX_MASK))
		abort();
	return 0;
}
