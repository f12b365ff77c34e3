// SPDX-License-Identifier: MIT
/*
 * fuzz_tc_filter.c - libFuzzer target for the tc filter dump parser
 *
 * vtap_nl_tc_filter_parse() reads one RTM_NEWTFILTER message of a filter
 * dump (link.c; vtapctl steer show names the filters on a macvtap's
 * ingress with it). The kernel writes them, but the attributes come from
 * whoever added the filter (TCA_BPF_NAME is the loader's string). Feeds
 * the bytes as one message whose length is what was given: the strings
 * it returns must be terminated within their arrays.
 */
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtap_nl_tc_filter f;
	struct nlmsghdr *nlh;
	uint32_t *buf;

	if (size < sizeof(*nlh) || size > 65536)
		return 0;
	/*
	 * Aligned as a receive buffer is, and as long as the message rounded
	 * up to NLMSG_ALIGNTO: libmnl walks attributes up to the aligned end
	 * (mnl_nlmsg_get_payload_tail()), which a receive buffer always has.
	 * The length is what arrived.
	 */
	buf = calloc(1, MNL_ALIGN(size));
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = (uint32_t)size;
	if (!vtap_nl_tc_filter_parse(nlh, &f) &&
	    (!memchr(f.kind, '\0', sizeof(f.kind)) ||
	     !memchr(f.bpf_name, '\0', sizeof(f.bpf_name))))
		abort();
	free(buf);
	return 0;
}
