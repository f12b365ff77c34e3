// SPDX-License-Identifier: MIT
/*
 * args.c - argument parsing for the tools' ip/bpftool-style grammar
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "grammar.h"
#include "printer.h"

bool arg_is(const char *arg, const char *word)
{
	size_t n = strlen(arg);

	return n && !strncmp(arg, word, n);
}

int arg_match(const char *arg, const char *const *words)
{
	int found = -1;

	for (int i = 0; words[i]; i++) {
		if (!strcmp(arg, words[i]))
			return i;
		if (arg_is(arg, words[i]))
			found = found == -1 ? i : -2;
	}
	return found;
}

int arg_u64(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int arg_u32(const char *s, uint32_t max, uint32_t *ret)
{
	uint64_t v;
	int err = arg_u64(s, max, &v);

	if (!err)
		*ret = (uint32_t)v;
	return err;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int arg_hex(const char *s, uint8_t *buf, size_t max, size_t *ret_len)
{
	size_t n = 0;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	while (*s) {
		int hi, lo;

		if (*s == ':' || *s == '-') {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (!n)
		return -EINVAL;
	*ret_len = n;
	return 0;
}

bool table_is_count(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int arg_u16_list(const char *s, uint16_t max, uint16_t *out, size_t max_n)
{
	size_t n = 0;

	for (;;) {
		char item[32];
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		uint32_t v;

		if (!len || len >= sizeof(item))
			return -EINVAL;
		memcpy(item, s, len);
		item[len] = '\0';
		if (arg_u32(item, max, &v))
			return -EINVAL;
		if (n == max_n)
			return -E2BIG;
		out[n++] = (uint16_t)v;
		if (!comma)
			break;
		s = comma + 1;
	}
	return (int)n;
}

const char *err_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM:
	case EACCES:
		return " (needs CAP_NET_ADMIN, or be the tap's owner)";
	case EBUSY:
		return " (the device is in use by another process)";
	case ENODEV:
		return " (no such device; create it with 'vtapctl dev add')";
	case ENOENT:
		return " (not found)";
	case EOPNOTSUPP:
		return " (not supported by the running kernel)";
	default:
		return "";
	}
}

const char *arg_bpf_obj(const char *name, char *buf, size_t size)
{
	int n;

	if (strchr(name, '/') || !access(name, F_OK))
		return name;
	n = snprintf(buf, size, "%s/%s", VTAP_BPF_OBJ_DIR, name);
	if (n < 0 || (size_t)n >= size || access(buf, F_OK))
		return name;
	return buf;
}

int usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (gr_object())
		pr_err("%s; see 'vtapctl %s help'", msg, gr_object());
	else
		pr_err("%s; see 'vtapctl help'", msg);
	return EXIT_USAGE;
}
