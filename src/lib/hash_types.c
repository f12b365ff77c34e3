// SPDX-License-Identifier: MIT
/*
 * hash_types.c - names of virtio-net hash types and report values
 *
 * Hash type bit r-1 corresponds to report value r (virtio spec, "Hash
 * calculation for incoming packets"): IPv4 is bit 0 and report 1, ...,
 * UDPv6_EX is bit 8 and report 9.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const report_names[] = {
	[VTAP_HASH_REPORT_NONE] = "none",
	[VTAP_HASH_REPORT_IPV4] = "ipv4",
	[VTAP_HASH_REPORT_TCPV4] = "tcpv4",
	[VTAP_HASH_REPORT_UDPV4] = "udpv4",
	[VTAP_HASH_REPORT_IPV6] = "ipv6",
	[VTAP_HASH_REPORT_TCPV6] = "tcpv6",
	[VTAP_HASH_REPORT_UDPV6] = "udpv6",
	[VTAP_HASH_REPORT_IPV6_EX] = "ipv6_ex",
	[VTAP_HASH_REPORT_TCPV6_EX] = "tcpv6_ex",
	[VTAP_HASH_REPORT_UDPV6_EX] = "udpv6_ex",
};
_Static_assert(ARRAY_SIZE(report_names) == VTAP_HASH_REPORT__COUNT,
	       "report_names covers enum vtap_hash_report");

const char *vtap_hash_report__name(enum vtap_hash_report report)
{
	if ((unsigned int)report >= VTAP_HASH_REPORT__COUNT)
		return NULL;
	return report_names[report];
}

/* Type bit of one name ("tcpv4"), or 0 if unknown. */
static uint32_t type_of_name(const char *name, size_t len)
{
	for (unsigned int r = 1; r < VTAP_HASH_REPORT__COUNT; r++)
		if (strlen(report_names[r]) == len &&
		    !strncasecmp(report_names[r], name, len))
			return 1u << (r - 1);
	return 0;
}

int vtap_hash_types__parse(const char *list, uint32_t *ret_types)
{
	uint32_t types = 0;
	const char *s = list;

	if (!list || !ret_types)
		return vtap_err(-EINVAL);
	if (!strcasecmp(list, "all")) {
		*ret_types = VTAP_HASH_TYPE_ALL;
		return 0;
	}
	if (!strcasecmp(list, "none")) {
		*ret_types = 0;
		return 0;
	}
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		uint32_t bit = type_of_name(s, len);

		if (!bit) {
			pr_warn("unknown hash type '%.*s' in '%s'\n", (int)len,
				s, list);
			return vtap_err(-EINVAL);
		}
		types |= bit;
		if (!comma)
			break;
		s = comma + 1;
	}
	*ret_types = types;
	return 0;
}

char *vtap_hash_types__format(uint32_t types, char *buf, size_t size)
{
	size_t off = 0;

	if (!buf || !size)
		return buf;
	buf[0] = '\0';
	if (!(types & VTAP_HASH_TYPE_ALL)) {
		snprintf(buf, size, "none");
		return buf;
	}
	for (unsigned int r = 1; r < VTAP_HASH_REPORT__COUNT; r++) {
		int n;

		if (!(types & (1u << (r - 1))))
			continue;
		n = snprintf(buf + off, size - off, "%s%s", off ? "," : "",
			     report_names[r]);
		if (n < 0 || (size_t)n >= size - off) {
			/* Too small: end at the last whole name. */
			buf[off] = '\0';
			break;
		}
		off += (size_t)n;
	}
	return buf;
}
