// SPDX-License-Identifier: MIT
/*
 * test_hash_types.c - hash report names and the hash type list parser and
 * formatter (hash_types.c)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vtap/vtap.h"

/* The names, in report order, as the virtio spec lists the types. */
static const char *const names[] = {
	"none",	 "ipv4",  "tcpv4",   "udpv4",	 "ipv6",
	"tcpv6", "udpv6", "ipv6_ex", "tcpv6_ex", "udpv6_ex",
};

static void test_report_names(void **state)
{
	(void)state;
	for (int r = 0; r < VTAP_HASH_REPORT__COUNT; r++)
		assert_string_equal(
			vtap_hash_report__name((enum vtap_hash_report)r),
			names[r]);
	assert_null(vtap_hash_report__name(VTAP_HASH_REPORT__COUNT));
	assert_null(vtap_hash_report__name((enum vtap_hash_report) - 1));
	/* Type bit r - 1 belongs to report r. */
	assert_int_equal(VTAP_HASH_TYPE_IPV4,
			 1u << (VTAP_HASH_REPORT_IPV4 - 1));
	assert_int_equal(VTAP_HASH_TYPE_UDPV6_EX,
			 1u << (VTAP_HASH_REPORT_UDPV6_EX - 1));
}

/* The expected text for @types, built here name by name. */
static void expected(uint32_t types, char *buf, size_t size)
{
	buf[0] = '\0';
	for (int bit = 0; bit < 9; bit++) {
		if (!(types & (1u << bit)))
			continue;
		if (buf[0])
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, names[bit + 1], size - strlen(buf) - 1);
	}
	if (!buf[0])
		snprintf(buf, size, "none");
}

static void test_format_parse_all_masks(void **state)
{
	(void)state;
	for (uint32_t types = 0; types <= VTAP_HASH_TYPE_ALL; types++) {
		char buf[96], want[128];
		uint32_t back = 0xdead;

		expected(types, want, sizeof(want));
		assert_ptr_equal(
			vtap_hash_types__format(types, buf, sizeof(buf)), buf);
		assert_string_equal(buf, want);
		assert_int_equal(vtap_hash_types__parse(buf, &back), 0);
		assert_int_equal(back, types);
	}
	/* Bits outside the known ones are not printed. */
	{
		char buf[96];

		vtap_hash_types__format(0x200 | VTAP_HASH_TYPE_TCPV4, buf,
					sizeof(buf));
		assert_string_equal(buf, "tcpv4");
		vtap_hash_types__format(0xfffffe00u, buf, sizeof(buf));
		assert_string_equal(buf, "none");
	}
}

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		uint32_t types;
	} good[] = {
		{"all", VTAP_HASH_TYPE_ALL},
		{"ALL", VTAP_HASH_TYPE_ALL},
		{"none", 0},
		{"None", 0},
		{"TCPv4,UDPv6_EX",
		 VTAP_HASH_TYPE_TCPV4 | VTAP_HASH_TYPE_UDPV6_EX},
		{"ipv4,ipv4", VTAP_HASH_TYPE_IPV4},
		{"ipv6_ex", VTAP_HASH_TYPE_IPV6_EX},
	};
	static const char *const bad[] = {
		"",	 ",",	    "tcpv4,",	  ",tcpv4",    "tcpv4,,udpv4",
		"tcp",	 "tcpv44",  "none,tcpv4", "all,tcpv4", "ipv4 ",
		" ipv4", "ipv6-ex", "ipv6_ex_",	  "v4",	       "udpv6_exx",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint32_t t = 0xdead;

		assert_int_equal(vtap_hash_types__parse(good[i].in, &t), 0);
		assert_int_equal(t, good[i].types);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t t = 0xdead;

		errno = 0;
		if (vtap_hash_types__parse(bad[i], &t) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(t, 0xdead); /* untouched */
	}
	assert_int_equal(vtap_hash_types__parse(NULL, &(uint32_t){0}), -EINVAL);
	assert_int_equal(vtap_hash_types__parse("all", NULL), -EINVAL);
}

/* A buffer too small ends the text at a whole name, never mid-name. */
static void test_format_small_buffer(void **state)
{
	char full[96];

	(void)state;
	vtap_hash_types__format(VTAP_HASH_TYPE_ALL, full, sizeof(full));
	assert_string_equal(full, "ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,ipv6_ex,"
				  "tcpv6_ex,udpv6_ex");
	for (size_t size = 1; size <= sizeof(full); size++) {
		char buf[96];
		size_t n;

		memset(buf, 'x', sizeof(buf));
		vtap_hash_types__format(VTAP_HASH_TYPE_ALL, buf, size);
		n = strlen(buf);
		assert_true(n < size);
		assert_memory_equal(buf, full, n);
		/* Ends where a name ends. */
		assert_true(!n || full[n] == ',' || full[n] == '\0');
	}
	assert_null(vtap_hash_types__format(1, NULL, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_names),
		cmocka_unit_test(test_format_parse_all_masks),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
