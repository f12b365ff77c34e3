// SPDX-License-Identifier: MIT
/*
 * config.c - vtap-switchd configuration: the INI file and --port specs
 *
 * The file is a small INI dialect:
 *
 *   # comment            ; comment too
 *   workers = 2          (keys before any section belong to [switch])
 *   [switch]
 *   control = /run/vtap-switchd.sock
 *   control_mode = 0600
 *   aging = 300
 *   pin = yes
 *   cpus = 0,1
 *   io_uring = auto | yes | no
 *   busy_poll = 50           (microseconds, 0..1000; 0 = off)
 *   port = tap0,queues=2     (the --port syntax)
 *   [port tap1]
 *   queues = 2
 *   netns = blue
 *   vlan = 10 | trunk = 10,20-30 | native = 1
 *   offloads = csum,tso4 | gro = no | napi = yes
 *
 * libinih splits the lines into keys and values ("key: value" works too,
 * and ';' after white space starts a comment); the sections and the
 * values are vtap's (see parse_reader()). Everything is bounded: a line
 * is at most 1023 bytes, a number is decimal (or 0 octal / 0x hex;
 * control_mode is always octal, as chmod reads it), a name fits its
 * buffer, and every error names its line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <vtap/vtap.h>

#include "config.h"

#define LINE_MAX_LEN 1024

__attribute__((format(printf, 3, 4))) static int
cfg_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		/* One line, whatever the value quoted in it holds. */
		for (char *p = err; *p; p++)
			if (iscntrl((unsigned char)*p))
				*p = '?';
	}
	return -EINVAL;
}

void swcfg_port_init(struct sw_port_config *pc, const char *name)
{
	memset(pc, 0, sizeof(*pc));
	if (name)
		snprintf(pc->name, sizeof(pc->name), "%s", name);
	pc->mode = SW_VLAN_ACCESS;
	pc->vid = 1;
	pc->gro = -1;
}

void swcfg_init(struct sw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->control, sizeof(cfg->control), "%s", SW_CONTROL_DEFAULT);
	cfg->control_mode = 0600;
	cfg->aging_s = SW_AGING_DEFAULT;
	cfg->io_uring = -1;
}

/* Parse an unsigned number no larger than @max; 0 or -EINVAL. */
static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* A tap or namespace name: printable, no '/', no spaces, fits @size. */
static bool valid_name(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (!n || n >= size || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '/' || *s == ',' ||
		    *s == '=')
			return false;
	return true;
}

/*
 * Parse a VLAN list "10,20-30" (separators ',', '+' or ':') into a
 * bitmap. Return: 0 or -EINVAL.
 */
static int parse_vid_list(const char *s, uint64_t *bits)
{
	char buf[LINE_MAX_LEN], *tok, *save = NULL;
	unsigned int n = 0;

	if (strlen(s) >= sizeof(buf) || !*s)
		return -EINVAL;
	strcpy(buf, s);
	memset(bits, 0, 4096 / 8);
	for (tok = strtok_r(buf, ",+:", &save); tok;
	     tok = strtok_r(NULL, ",+:", &save)) {
		unsigned long lo, hi;
		char *dash = strchr(tok, '-');

		if (dash)
			*dash = '\0';
		if (parse_uint(tok, SW_VID_MAX, &lo) || !lo)
			return -EINVAL;
		hi = lo;
		if (dash && (parse_uint(dash + 1, SW_VID_MAX, &hi) || hi < lo))
			return -EINVAL;
		for (unsigned long v = lo; v <= hi; v++)
			bits[v / 64] |= 1ull << (v % 64);
		n++;
	}
	return n ? 0 : -EINVAL;
}

int swcfg_port_set(struct sw_port_config *pc, const char *key,
		   const char *value, char *err, size_t errlen)
{
	unsigned long v;

	if (!strcmp(key, "queues")) {
		if (parse_uint(value, SW_QUEUES_MAX, &v) || !v)
			return cfg_fail(err, errlen,
					"queues must be 1..%d, not '%s'",
					SW_QUEUES_MAX, value);
		pc->queues = (uint16_t)v;
	} else if (!strcmp(key, "netns")) {
		if (!valid_name(value, sizeof(pc->netns)))
			return cfg_fail(err, errlen, "bad namespace name '%s'",
					value);
		snprintf(pc->netns, sizeof(pc->netns), "%s", value);
	} else if (!strcmp(key, "vlan")) {
		if (parse_uint(value, SW_VID_MAX, &v) || !v)
			return cfg_fail(err, errlen,
					"vlan must be 1..%d, not '%s'",
					SW_VID_MAX, value);
		pc->mode = SW_VLAN_ACCESS;
		pc->vid = (uint16_t)v;
	} else if (!strcmp(key, "trunk")) {
		if (parse_vid_list(value, pc->allowed))
			return cfg_fail(
				err, errlen,
				"trunk needs VLAN ids 1..%d or ranges, not '%s'",
				SW_VID_MAX, value);
		if (pc->mode != SW_VLAN_TRUNK)
			pc->vid = 0;
		pc->mode = SW_VLAN_TRUNK;
	} else if (!strcmp(key, "native")) {
		if (parse_uint(value, SW_VID_MAX, &v))
			return cfg_fail(err, errlen,
					"native must be 0..%d, not '%s'",
					SW_VID_MAX, value);
		if (pc->mode != SW_VLAN_TRUNK)
			return cfg_fail(err, errlen,
					"native needs trunk first");
		pc->vid = (uint16_t)v;
	} else if (!strcmp(key, "offloads")) {
		char list[128];
		uint32_t off;

		/* '+' joins names in a --port spec, where ',' is taken */
		if (strlen(value) >= sizeof(list))
			value = "?";
		snprintf(list, sizeof(list), "%s", value);
		for (char *c = list; *c; c++)
			if (*c == '+')
				*c = ',';
		if (vtap_offloads__parse(list, &off))
			return cfg_fail(
				err, errlen,
				"offloads must be none, all or names like csum+tso4, not '%s'",
				value);
		pc->offloads = off;
		pc->offloads_set = true;
	} else if (!strcmp(key, "gro") || !strcmp(key, "napi")) {
		bool b;

		if (parse_bool(value, &b))
			return cfg_fail(err, errlen,
					"%s must be yes or no, not '%s'", key,
					value);
		if (key[0] == 'g')
			pc->gro = b;
		else
			pc->napi = b;
	} else if (!strcmp(key, "mac_limit")) {
		if (parse_uint(value, SW_MAC_LIMIT_MAX, &v))
			return cfg_fail(err, errlen,
					"mac_limit must be 0..%d, not '%s'",
					SW_MAC_LIMIT_MAX, value);
		pc->mac_limit = (uint32_t)v;
	} else {
		return cfg_fail(err, errlen, "unknown port option '%s'", key);
	}
	return 0;
}

int swcfg_parse_port(struct sw_port_config *pc, const char *spec, char *err,
		     size_t errlen)
{
	char buf[LINE_MAX_LEN], *tok, *save = NULL;
	bool first = true;

	if (strlen(spec) >= sizeof(buf))
		return cfg_fail(err, errlen, "port spec too long");
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), first = false) {
		char *eq = strchr(tok, '=');
		int ret;

		if (first) {
			if (eq || !valid_name(tok, SW_IFNAMSIZ))
				return cfg_fail(
					err, errlen,
					"bad port name '%s' (1..15 characters)",
					tok);
			swcfg_port_init(pc, tok);
			continue;
		}
		if (!eq)
			return cfg_fail(err, errlen,
					"expected KEY=VALUE, not '%s'", tok);
		*eq = '\0';
		ret = swcfg_port_set(pc, tok, eq + 1, err, errlen);
		if (ret)
			return ret;
	}
	if (first)
		return cfg_fail(err, errlen, "empty port spec");
	return 0;
}

int swcfg_add_port(struct sw_config *cfg, const struct sw_port_config *pc)
{
	for (unsigned int i = 0; i < cfg->n_ports; i++) {
		if (!strcmp(cfg->ports[i].name, pc->name)) {
			cfg->ports[i] = *pc;
			return 0;
		}
	}
	if (cfg->n_ports == SW_PORTS_MAX)
		return -ENOSPC;
	cfg->ports[cfg->n_ports++] = *pc;
	return 0;
}

bool swcfg_port_equal(const struct sw_port_config *a,
		      const struct sw_port_config *b)
{
	return !strcmp(a->name, b->name) && a->queues == b->queues &&
	       !strcmp(a->netns, b->netns) && a->mode == b->mode &&
	       a->vid == b->vid &&
	       (a->mode != SW_VLAN_TRUNK ||
		!memcmp(a->allowed, b->allowed, sizeof(a->allowed))) &&
	       a->offloads_set == b->offloads_set &&
	       (!a->offloads_set || a->offloads == b->offloads) &&
	       a->gro == b->gro && a->napi == b->napi &&
	       a->mac_limit == b->mac_limit;
}

int swcfg_set(struct sw_config *cfg, const char *key, const char *value,
	      char *err, size_t errlen)
{
	unsigned long v;

	if (!strcmp(key, "workers")) {
		if (parse_uint(value, SW_WORKERS_MAX, &v) || !v)
			return cfg_fail(err, errlen,
					"workers must be 1..%d, not '%s'",
					SW_WORKERS_MAX, value);
		cfg->workers = (uint16_t)v;
	} else if (!strcmp(key, "control")) {
		if (!*value || strlen(value) >= sizeof(cfg->control))
			return cfg_fail(err, errlen,
					"control path must be 1..%zu bytes",
					sizeof(cfg->control) - 1);
		snprintf(cfg->control, sizeof(cfg->control), "%s", value);
	} else if (!strcmp(key, "control_mode")) {
		char *end;

		/* Always octal, as chmod reads it: "600" is 0600, not 0x258. */
		v = strtoul(value, &end, 8);
		if (!*value || *value < '0' || *value > '7' || *end || v > 0777)
			return cfg_fail(
				err, errlen,
				"control_mode must be octal permissions, not '%s'",
				value);
		cfg->control_mode = (uint32_t)v;
	} else if (!strcmp(key, "aging")) {
		if (parse_uint(value, 1000000, &v) || !v)
			return cfg_fail(
				err, errlen,
				"aging must be 1..1000000 seconds, not '%s'",
				value);
		cfg->aging_s = (uint32_t)v;
	} else if (!strcmp(key, "pin")) {
		if (parse_bool(value, &cfg->pin))
			return cfg_fail(err, errlen,
					"pin must be yes or no, not '%s'",
					value);
	} else if (!strcmp(key, "io_uring")) {
		bool b;

		if (!strcmp(value, "auto"))
			cfg->io_uring = -1;
		else if (!parse_bool(value, &b))
			cfg->io_uring = b;
		else
			return cfg_fail(
				err, errlen,
				"io_uring must be auto, yes or no, not '%s'",
				value);
	} else if (!strcmp(key, "busy_poll")) {
		if (parse_uint(value, SW_BUSY_POLL_MAX, &v))
			return cfg_fail(
				err, errlen,
				"busy_poll must be 0..%d microseconds, not '%s'",
				SW_BUSY_POLL_MAX, value);
		cfg->busy_poll_us = (uint32_t)v;
	} else if (!strcmp(key, "cpus")) {
		char buf[LINE_MAX_LEN], *tok, *save = NULL;
		uint16_t n = 0;

		if (strlen(value) >= sizeof(buf))
			return cfg_fail(err, errlen, "cpus list too long");
		strcpy(buf, value);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (n == SW_WORKERS_MAX || parse_uint(tok, 4095, &v))
				return cfg_fail(
					err, errlen,
					"cpus must be a list of CPU numbers, not '%s'",
					value);
			cfg->cpus[n++] = (uint16_t)v;
		}
		if (!n)
			return cfg_fail(err, errlen, "empty cpus list");
		cfg->n_cpus = n;
		cfg->pin = true;
	} else if (!strcmp(key, "port")) {
		struct sw_port_config pc;
		int ret = swcfg_parse_port(&pc, value, err, errlen);

		if (ret)
			return ret;
		if (swcfg_add_port(cfg, &pc))
			return cfg_fail(err, errlen, "more than %d ports",
					SW_PORTS_MAX);
	} else {
		return cfg_fail(err, errlen, "unknown key '%s'", key);
	}
	return 0;
}

/* Trim leading and trailing white space in place. */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * libinih reads the text through parse_reader(), one line per call, and
 * hands each "key = value" to parse_handler(). The reader keeps what
 * inih does not check or cannot know: the line number, the bounds (line
 * length, NUL bytes), the section headers (vtap's "[port NAME]" creates
 * the port even without keys; inih calls the handler for keys only), and
 * it removes leading white space, so an indented line is never taken as
 * the continuation of the previous value (inih's multi-line values).
 */
struct parse_ctx {
	struct sw_config *cfg;
	struct sw_port_config *port; /* current [port NAME], or NULL */
	const char *text;
	size_t len, pos;
	unsigned int lineno;
	int failed; /* -EINVAL once an error is in @err */
	char *err;
	size_t errlen;
};

/* Start a [switch] or [port NAME] section; 0 or -EINVAL. */
static int parse_section(struct parse_ctx *c, char *s)
{
	char *end = strchr(s, ']'), *name;

	if (!end || *trim(end + 1))
		return cfg_fail(c->err, c->errlen,
				"line %u: bad section header", c->lineno);
	*end = '\0';
	name = trim(s + 1);
	if (!strcmp(name, "switch")) {
		c->port = NULL;
		return 0;
	}
	if (strncmp(name, "port", 4) || !isspace((unsigned char)name[4]))
		return cfg_fail(
			c->err, c->errlen,
			"line %u: unknown section '[%s]' (switch or port NAME)",
			c->lineno, name);
	name = trim(name + 4);
	if (!valid_name(name, SW_IFNAMSIZ))
		return cfg_fail(c->err, c->errlen,
				"line %u: bad port name '%s'", c->lineno, name);
	c->port = NULL;
	for (unsigned int i = 0; i < c->cfg->n_ports; i++)
		if (!strcmp(c->cfg->ports[i].name, name))
			c->port = &c->cfg->ports[i];
	if (!c->port) {
		if (c->cfg->n_ports == SW_PORTS_MAX)
			return cfg_fail(c->err, c->errlen,
					"line %u: more than %d ports",
					c->lineno, SW_PORTS_MAX);
		c->port = &c->cfg->ports[c->cfg->n_ports++];
		swcfg_port_init(c->port, name);
	}
	return 0;
}

/* inih's reader: the next line into @buf (@size bytes), or NULL at end. */
static char *parse_reader(char *buf, int size, void *arg)
{
	struct parse_ctx *c = arg;
	char line[LINE_MAX_LEN], *s;
	size_t n = 0;

	if (c->failed || c->pos >= c->len)
		return NULL;
	c->lineno++;
	while (c->pos < c->len && c->text[c->pos] != '\n') {
		if (n + 1 >= sizeof(line)) {
			c->failed = cfg_fail(c->err, c->errlen,
					     "line %u: too long", c->lineno);
			return NULL;
		}
		if (c->text[c->pos] == '\0') {
			c->failed = cfg_fail(c->err, c->errlen,
					     "line %u: NUL byte", c->lineno);
			return NULL;
		}
		line[n++] = c->text[c->pos++];
	}
	c->pos++; /* the '\n' */
	line[n] = '\0';
	s = line;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '[') {
		c->failed = parse_section(c, s);
		if (c->failed)
			return NULL;
		s = ""; /* handled: inih sees an empty line */
	}
	/* The line, its '\n' and the NUL must fit inih's buffer. */
	if (size < 2 || strlen(s) + 2 > (size_t)size) {
		c->failed = cfg_fail(c->err, c->errlen, "line %u: too long",
				     c->lineno);
		return NULL;
	}
	snprintf(buf, (size_t)size, "%s\n", s);
	return buf;
}

/* inih's handler: one "key = value" of the current section. */
static int parse_handler(void *arg, const char *section, const char *key,
			 const char *value)
{
	struct parse_ctx *c = arg;
	char msg[256];
	int ret;

	if (c->failed)
		return 0;
	if (!*key) {
		c->failed = cfg_fail(c->err, c->errlen, "line %u: empty key",
				     c->lineno);
		return 0;
	}
	if (c->port)
		ret = swcfg_port_set(c->port, key, value, msg, sizeof(msg));
	else
		ret = swcfg_set(c->cfg, key, value, msg, sizeof(msg));
	if (ret) {
		c->failed = cfg_fail(c->err, c->errlen, "line %u: %s",
				     c->lineno, msg);
		return 0;
	}
	return 1;
}

int swcfg_parse(struct sw_config *cfg, const char *text, size_t len, char *err,
		size_t errlen)
{
	struct parse_ctx c = {
		.cfg = cfg,
		.text = text,
		.len = len,
		.err = err,
		.errlen = errlen,
	};
	int line;

#ifdef HAVE_INI_MAX_LINE
	/* Debian's libinih sizes its line buffer at run time: room for
	 * vtap's longest line, its '\n' and the NUL. */
	if (ini_max_line < LINE_MAX_LEN + 2)
		ini_max_line = LINE_MAX_LEN + 2;
#endif
	line = ini_parse_stream(parse_reader, &c, parse_handler, &c);
	if (c.failed)
		return c.failed;
	if (line > 0) /* inih's own error: a line without '=' or ':' */
		return cfg_fail(err, errlen, "line %d: expected 'key = value'",
				line);
	if (line < 0)
		return cfg_fail(err, errlen, "out of memory");
	return 0;
}

int swcfg_load(struct sw_config *cfg, const char *path, char *err,
	       size_t errlen)
{
	static const size_t max = 1 << 20;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	buf = malloc(max);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + len, max - len)) > 0)
		len += (size_t)n;
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	else if (len == max)
		ret = cfg_fail(err, errlen, "%s: larger than 1 MiB", path);
	else if ((ret = swcfg_parse(cfg, buf, len, err, errlen)) && err &&
		 errlen) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s: %s", path, msg);
	}
	free(buf);
	return ret;
}
