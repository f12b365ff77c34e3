// SPDX-License-Identifier: MIT
/*
 * ext_icmp.bpf.c - example steering extension: ICMP and ICMPv6 to queue 1,
 * everything else falls back to vtap's chain (RSS, automq)
 *
 * Build: clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch)
 *        -Iinclude -c ext_icmp.bpf.c -o ext_icmp.bpf.o
 * Use:   vtapctl steer ext set dev tap0 obj ext_icmp.bpf.o
 */
#include <vtap/steer_ext.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

VTAP_STEER_EXT(vtap_ext_icmp)
{
	if (pkt->l3 == 4 && pkt->ip_proto == 1)
		return 1;
	if (pkt->l3 == 6 && pkt->ip_proto == 58)
		return 1;
	return -1;
}
