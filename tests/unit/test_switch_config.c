// SPDX-License-Identifier: MIT
/*
 * test_switch_config.c - unit tests of vtap-switchd's configuration parser
 *
 * The parser's code is included directly (it lives with the daemon, not in
 * the library). Expected values are written out by hand from the input
 * text, never computed by the parser.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/tools/vtap-switchd/config.c"

static int parse(struct sw_config *c, const char *text, char *err)
{
	swcfg_init(c);
	return swcfg_parse(c, text, strlen(text), err, 256);
}

static void test_defaults(void **state)
{
	static struct sw_config c;
	char err[256];

	assert_int_equal(parse(&c, "", err), 0);
	assert_int_equal(c.n_ports, 0);
	assert_int_equal(c.workers, 0);
	assert_string_equal(c.control, "/run/vtap-switchd.sock");
	assert_int_equal(c.control_mode, 0600);
	assert_int_equal(c.aging_s, 300);
	assert_false(c.pin);
}

static void test_full_file(void **state)
{
	static struct sw_config c;
	char err[256] = "";
	const char *text = "# a comment\n"
			   "workers = 2\n"
			   "[switch]\n"
			   "  control = /tmp/x.sock  \n"
			   "control_mode=0660\n"
			   "; another comment\n"
			   "aging = 60\n"
			   "cpus = 1,3\n"
			   "port = tap9,queues=4\n"
			   "\n"
			   "[port tap0]\n"
			   "queues = 2\n"
			   "netns = blue\n"
			   "[ port tap1 ]\n"
			   "trunk = 10,20-22\n"
			   "native = 5\n"
			   "[port tap2]\r\n"
			   "vlan = 7\r\n";

	assert_int_equal(parse(&c, text, err), 0);
	assert_int_equal(c.workers, 2);
	assert_string_equal(c.control, "/tmp/x.sock");
	assert_int_equal(c.control_mode, 0660);
	assert_int_equal(c.aging_s, 60);
	assert_true(c.pin);
	assert_int_equal(c.n_cpus, 2);
	assert_int_equal(c.cpus[0], 1);
	assert_int_equal(c.cpus[1], 3);
	assert_int_equal(c.n_ports, 4);
	assert_string_equal(c.ports[0].name, "tap9");
	assert_int_equal(c.ports[0].queues, 4);
	assert_string_equal(c.ports[1].name, "tap0");
	assert_int_equal(c.ports[1].queues, 2);
	assert_string_equal(c.ports[1].netns, "blue");
	assert_int_equal(c.ports[1].mode, SW_VLAN_ACCESS);
	assert_int_equal(c.ports[1].vid, 1);
	assert_string_equal(c.ports[2].name, "tap1");
	assert_int_equal(c.ports[2].mode, SW_VLAN_TRUNK);
	assert_int_equal(c.ports[2].vid, 5);
	for (unsigned int v = 0; v <= SW_VID_MAX; v++)
		assert_int_equal(swcfg_vid_allowed(&c.ports[2], (uint16_t)v),
				 v == 10 || v == 20 || v == 21 || v == 22);
	assert_string_equal(c.ports[3].name, "tap2");
	assert_int_equal(c.ports[3].mode, SW_VLAN_ACCESS);
	assert_int_equal(c.ports[3].vid, 7);
}

static void test_section_reopen_merges(void **state)
{
	static struct sw_config c;
	char err[256];

	assert_int_equal(parse(&c,
			       "[port a]\nqueues=2\n[switch]\naging=5\n"
			       "[port a]\nnetns=x\n",
			       err),
			 0);
	assert_int_equal(c.n_ports, 1);
	assert_int_equal(c.ports[0].queues, 2);
	assert_string_equal(c.ports[0].netns, "x");
	assert_int_equal(c.aging_s, 5);
}

static void test_io_uring_key(void **state)
{
	static struct sw_config c;
	char err[256];

	swcfg_init(&c);
	assert_int_equal(c.io_uring, -1); /* auto */
	assert_int_equal(parse(&c, "io_uring = no\n", err), 0);
	assert_int_equal(c.io_uring, 0);
	assert_int_equal(parse(&c, "[switch]\nio_uring = yes\n", err), 0);
	assert_int_equal(c.io_uring, 1);
	assert_int_equal(parse(&c, "io_uring = auto\n", err), 0);
	assert_int_equal(c.io_uring, -1);
	assert_int_equal(swcfg_set(&c, "io_uring", "no", err, sizeof(err)), 0);
	assert_int_equal(c.io_uring, 0);
}

static void test_busy_poll_key(void **state)
{
	static struct sw_config c;
	char err[256];

	swcfg_init(&c);
	assert_int_equal(c.busy_poll_us, 0); /* off */
	assert_int_equal(parse(&c, "busy_poll = 50\n", err), 0);
	assert_int_equal(c.busy_poll_us, 50);
	assert_int_equal(parse(&c, "[switch]\nbusy_poll = 1000\n", err), 0);
	assert_int_equal(c.busy_poll_us, SW_BUSY_POLL_MAX);
	assert_int_equal(swcfg_set(&c, "busy_poll", "0", err, sizeof(err)), 0);
	assert_int_equal(c.busy_poll_us, 0);
	/* Bounded: a worker never spins longer than SW_BUSY_POLL_MAX. */
	assert_int_equal(swcfg_set(&c, "busy_poll", "1001", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(
		err, "busy_poll must be 0..1000 microseconds, not '1001'");
	assert_int_equal(swcfg_set(&c, "busy_poll", "-1", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(swcfg_set(&c, "busy_poll", "fast", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(c.busy_poll_us, 0);
}

struct bad_case {
	const char *text;
	const char *err; /* expected message prefix */
};

static void test_errors_name_the_line(void **state)
{
	static const struct bad_case cases[] = {
		{"workers = 0\n", "line 1: workers must be"},
		{"workers = 65\n", "line 1: workers must be"},
		{"workers = -1\n", "line 1: workers must be"},
		{"workers = 2x\n", "line 1: workers must be"},
		{"\n\nbogus = 1\n", "line 3: unknown key 'bogus'"},
		{"novalue\n", "line 1: expected 'key = value'"},
		{" = 3\n", "line 1: empty key"},
		{"[switch\n", "line 1: bad section header"},
		{"[switch] x\n", "line 1: bad section header"},
		{"[bridge]\n", "line 1: unknown section '[bridge]'"},
		{"[port]\n", "line 1: unknown section '[port]'"},
		{"[port a/b]\n", "line 1: bad port name 'a/b'"},
		{"[port abcdefghijklmnop]\n", "line 1: bad port name"},
		{"[port a]\nqueues = 0\n", "line 2: queues must be 1..256"},
		{"[port a]\nqueues = 257\n", "line 2: queues must be"},
		{"[port a]\nvlan = 4095\n", "line 2: vlan must be"},
		{"[port a]\nvlan = 0\n", "line 2: vlan must be"},
		{"[port a]\ntrunk = 5-3\n", "line 2: trunk needs"},
		{"[port a]\ntrunk = 0\n", "line 2: trunk needs"},
		{"[port a]\ntrunk = ,\n", "line 2: trunk needs"},
		{"[port a]\nnative = 3\n", "line 2: native needs trunk"},
		{"[port a]\nnetns = ..\n", "line 2: bad namespace name"},
		{"[port a]\ncolor = red\n", "line 2: unknown port option"},
		{"pin = maybe\n", "line 1: pin must be yes or no"},
		{"io_uring = maybe\n",
		 "line 1: io_uring must be auto, yes or no"},
		{"control_mode = 01000\n", "line 1: control_mode must be"},
		{"port = ,queues=2\n", "line 1: bad port name"},
		{"cpus = 1,x\n", "line 1: cpus must be"},
		{"aging = 0\n", "line 1: aging must be"},
	};
	static struct sw_config c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";

		if (parse(&c, cases[i].text, err) != -EINVAL ||
		    strncmp(err, cases[i].err, strlen(cases[i].err)))
			fail_msg("case %zu: '%s' gave '%s', want '%s...'", i,
				 cases[i].text, err, cases[i].err);
	}
}

static void test_nul_and_long_lines(void **state)
{
	static struct sw_config c;
	static char big[4096];
	char err[256];

	swcfg_init(&c);
	assert_int_equal(swcfg_parse(&c, "workers=1\0x", 11, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "line 1: NUL byte");
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(parse(&c, big, err), -EINVAL);
	assert_string_equal(err, "line 1: too long");
	/* Not NUL-terminated: the length bounds the read. */
	assert_int_equal(swcfg_parse(&c, "aging = 7bogus", 9, err, sizeof(err)),
			 0);
	assert_int_equal(c.aging_s, 7);
}

/*
 * What libinih brings (':' as separator, ';' comments after a value)
 * and what vtap keeps around it: indented lines are lines of their own
 * (never the continuation of a value), a [port NAME] without keys is a
 * port, a 1023-byte line fits and the line numbers count every line.
 */
static void test_inih_dialect(void **state)
{
	static struct sw_config c;
	static char line[1100];
	char err[256] = "";
	size_t n;

	swcfg_init(&c);
	assert_int_equal(parse(&c,
			       "aging: 42\n"
			       "[port p0]\n"
			       "netns = blue   ; the blue tenant\n"
			       "    queues = 3\n"
			       "[port p1]\n",
			       err),
			 0);
	assert_int_equal(c.aging_s, 42);
	assert_int_equal(c.n_ports, 2);
	assert_string_equal(c.ports[0].netns, "blue");
	assert_int_equal(c.ports[0].queues, 3);
	assert_string_equal(c.ports[1].name, "p1");
	assert_int_equal(c.ports[1].queues, 0);

	/* cpus = 0,0,0,... up to 1023 bytes: fits; one more: too long. */
	swcfg_init(&c);
	n = (size_t)snprintf(line, sizeof(line), "cpus = 0");
	while (n + 2 <= 1023)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ",0");
	assert_int_equal(parse(&c, line, err), -EINVAL); /* > 64 CPUs */
	/* The whole line reached the value check (not "too long"). */
	assert_int_equal(strncmp(err, "line 1: cpus must be", 20), 0);
	memset(line, ' ', 1000);
	memcpy(line + 1000, "aging = 9", 10);
	assert_int_equal(parse(&c, line, err), 0);
	assert_int_equal(c.aging_s, 9);
	memset(line, ' ', 1024);
	memcpy(line + 1024, "aging = 9", 10);
	assert_int_equal(parse(&c, line, err), -EINVAL);
	assert_string_equal(err, "line 1: too long");
	assert_int_equal(parse(&c, "\n# x\n[switch]\n\naging = x\n", err),
			 -EINVAL);
	assert_string_equal(err, "line 5: aging must be 1..1000000 seconds, "
				 "not 'x'");
}

/* A reload replaces a port when any setting differs, and only then. */
static void test_port_equal(void **state)
{
	struct sw_port_config a, b;
	char err[256];

	assert_int_equal(swcfg_parse_port(&a, "p0,queues=2,trunk=10+20", err,
					  sizeof(err)),
			 0);
	b = a;
	assert_true(swcfg_port_equal(&a, &b));
	assert_int_equal(swcfg_port_set(&b, "native", "10", err, sizeof(err)),
			 0);
	assert_false(swcfg_port_equal(&a, &b));
	b = a;
	assert_int_equal(swcfg_port_set(&b, "trunk", "10,21", err, sizeof(err)),
			 0);
	assert_false(swcfg_port_equal(&a, &b));
	b = a;
	assert_int_equal(swcfg_port_set(&b, "queues", "3", err, sizeof(err)),
			 0);
	assert_false(swcfg_port_equal(&a, &b));
	b = a;
	assert_int_equal(swcfg_port_set(&b, "netns", "x", err, sizeof(err)), 0);
	assert_false(swcfg_port_equal(&a, &b));
	b = a;
	assert_int_equal(swcfg_port_set(&b, "gro", "no", err, sizeof(err)), 0);
	assert_false(swcfg_port_equal(&a, &b));
	b = a;
	assert_int_equal(
		swcfg_port_set(&b, "offloads", "csum", err, sizeof(err)), 0);
	assert_false(swcfg_port_equal(&a, &b));
	b = a;
	assert_int_equal(
		swcfg_port_set(&b, "mac_limit", "64", err, sizeof(err)), 0);
	assert_int_equal(b.mac_limit, 64);
	assert_false(swcfg_port_equal(&a, &b));
	assert_int_not_equal(
		swcfg_port_set(&b, "mac_limit", "-1", err, sizeof(err)), 0);
	assert_int_not_equal(
		swcfg_port_set(&b, "mac_limit", "1000001", err, sizeof(err)),
		0);
}

static void test_port_spec(void **state)
{
	struct sw_port_config pc;
	char err[256];

	assert_int_equal(swcfg_parse_port(&pc, "tap0", err, sizeof(err)), 0);
	assert_string_equal(pc.name, "tap0");
	assert_int_equal(pc.queues, 0);
	assert_int_equal(pc.mode, SW_VLAN_ACCESS);
	assert_int_equal(pc.vid, 1);
	assert_int_equal(
		swcfg_parse_port(&pc,
				 "t1,queues=3,netns=red,trunk=4+9-10,native=4",
				 err, sizeof(err)),
		0);
	assert_int_equal(pc.queues, 3);
	assert_string_equal(pc.netns, "red");
	assert_int_equal(pc.mode, SW_VLAN_TRUNK);
	assert_int_equal(pc.vid, 4);
	assert_true(swcfg_vid_allowed(&pc, 9));
	assert_true(swcfg_vid_allowed(&pc, 10));
	assert_false(swcfg_vid_allowed(&pc, 5));
	assert_int_equal(swcfg_parse_port(&pc, "", err, sizeof(err)), -EINVAL);
	assert_int_equal(swcfg_parse_port(&pc, "t,queues", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "expected KEY=VALUE, not 'queues'");
	assert_int_equal(swcfg_parse_port(&pc, "a=b", err, sizeof(err)),
			 -EINVAL);

	/* offloads, gro, napi */
	assert_int_equal(swcfg_parse_port(&pc, "t2", err, sizeof(err)), 0);
	assert_false(pc.offloads_set);
	assert_int_equal(pc.gro, -1);
	assert_false(pc.napi);
	assert_int_equal(
		swcfg_parse_port(&pc, "t2,offloads=csum+tso4,gro=no,napi=yes",
				 err, sizeof(err)),
		0);
	assert_true(pc.offloads_set);
	assert_int_equal(pc.offloads, VTAP_OFFLOAD_CSUM | VTAP_OFFLOAD_TSO4);
	assert_int_equal(pc.gro, 0);
	assert_true(pc.napi);
	assert_int_equal(swcfg_parse_port(&pc, "t2,offloads=none,gro=yes", err,
					  sizeof(err)),
			 0);
	assert_true(pc.offloads_set);
	assert_int_equal(pc.offloads, 0);
	assert_int_equal(pc.gro, 1);
	assert_int_equal(
		swcfg_parse_port(&pc, "t2,offloads=tso9", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(
		err,
		"offloads must be none, all or names like csum+tso4, not 'tso9'");
	assert_int_equal(
		swcfg_parse_port(&pc, "t2,gro=maybe", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "gro must be yes or no, not 'maybe'");
}

static void test_add_port_replaces_and_limits(void **state)
{
	static struct sw_config c;
	struct sw_port_config pc;
	char name[16];

	swcfg_init(&c);
	swcfg_port_init(&pc, "x");
	pc.queues = 1;
	assert_int_equal(swcfg_add_port(&c, &pc), 0);
	pc.queues = 4;
	assert_int_equal(swcfg_add_port(&c, &pc), 0);
	assert_int_equal(c.n_ports, 1);
	assert_int_equal(c.ports[0].queues, 4);
	for (int i = 1; i < SW_PORTS_MAX; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		swcfg_port_init(&pc, name);
		assert_int_equal(swcfg_add_port(&c, &pc), 0);
	}
	swcfg_port_init(&pc, "onemore");
	assert_int_equal(swcfg_add_port(&c, &pc), -ENOSPC);
}

static void test_load_file(void **state)
{
	static struct sw_config c;
	char path[] = "/tmp/vtap-switch-cfgXXXXXX", err[256];
	const char *text = "[port f0]\nqueues=2\n";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	swcfg_init(&c);
	assert_int_equal(swcfg_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.n_ports, 1);
	assert_int_equal(c.ports[0].queues, 2);
	unlink(path);
	assert_int_equal(swcfg_load(&c, path, err, sizeof(err)), -ENOENT);
}

/* Messages of swcfg_load name the file once, then the line. */
static void test_load_errors_name_file_and_line(void **state)
{
	static struct sw_config c;
	char path[] = "/tmp/vtap-switch-cfgXXXXXX", err[256], want[300];
	const char *text = "[port f0]\nqueues=0\n";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	swcfg_init(&c);
	assert_int_equal(swcfg_load(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: line 2: queues must be 1..", path);
	assert_memory_equal(err, want, strlen(want));
	unlink(path);
	assert_int_equal(swcfg_load(&c, path, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);
}

/* swcfg_set: one key, one value, checked as in a file. */
static void test_set_one_key(void **state)
{
	static struct sw_config c;
	char err[256], path[200];

	swcfg_init(&c);
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	path[SW_PATH_MAX] = '\0'; /* one byte more than sun_path holds */
	assert_int_equal(swcfg_set(&c, "control", path, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "control path must be 1..107 bytes");
	assert_string_equal(c.control, SW_CONTROL_DEFAULT);
	path[SW_PATH_MAX - 1] = '\0';
	assert_int_equal(swcfg_set(&c, "control", path, err, sizeof(err)), 0);
	assert_string_equal(c.control, path);
	assert_int_equal(swcfg_set(&c, "control", "", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		swcfg_set(&c, "workers", "2\nport=inj", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(c.n_ports, 0);
	assert_int_equal(swcfg_set(&c, "workers", "3", err, sizeof(err)), 0);
	assert_int_equal(c.workers, 3);
	/* Permissions are octal with or without the leading 0. */
	assert_int_equal(swcfg_set(&c, "control_mode", "600", err, sizeof(err)),
			 0);
	assert_int_equal(c.control_mode, 0600);
	assert_int_equal(swcfg_set(&c, "control_mode", "400", err, sizeof(err)),
			 0);
	assert_int_equal(c.control_mode, 0400);
	assert_int_equal(
		swcfg_set(&c, "control_mode", "0660", err, sizeof(err)), 0);
	assert_int_equal(c.control_mode, 0660);
	assert_int_equal(
		swcfg_set(&c, "control_mode", "0x1ff", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(swcfg_set(&c, "control_mode", "680", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(swcfg_set(&c, "control_mode", "-1", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		swcfg_set(&c, "control_mode", "1777", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(swcfg_set(&c, "control_mode", "", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(c.control_mode, 0660);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_section_reopen_merges),
		cmocka_unit_test(test_io_uring_key),
		cmocka_unit_test(test_busy_poll_key),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_nul_and_long_lines),
		cmocka_unit_test(test_inih_dialect),
		cmocka_unit_test(test_port_equal),
		cmocka_unit_test(test_port_spec),
		cmocka_unit_test(test_add_port_replaces_and_limits),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors_name_file_and_line),
		cmocka_unit_test(test_set_one_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
