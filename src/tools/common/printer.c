// SPDX-License-Identifier: MIT
/*
 * printer.c - text/JSON printer shared by vtapctl and vtap-switchd
 *
 * JSON is built as a json-c tree (a stack of open containers) and printed
 * whole on pr_flush(); text goes to a memory stream printed on pr_flush().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "printer.h"

/* Text formats come from callers by design (see printer.h). */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

#define PR_DEPTH_MAX 16

static bool json_mode, pretty;
static const char *prog = "vtapctl";
static struct json_object *root;
static struct json_object *stack[PR_DEPTH_MAX];
static int depth;
static char *text_buf;
static size_t text_len;
static FILE *text;

void pr_set_prog(const char *name)
{
	prog = name;
}

void pr_init(bool json)
{
	json_mode = json;
}

void pr_set_pretty(bool on)
{
	pretty = on;
}

bool pr_is_json(void)
{
	return json_mode;
}

static FILE *text_stream(void)
{
	if (!text)
		text = open_memstream(&text_buf, &text_len);
	return text ? text : stdout;
}

/* Attach @v to the innermost open container (or make it the root). */
static void json_add(const char *key, struct json_object *v)
{
	struct json_object *top = depth ? stack[depth - 1] : NULL;

	if (!top) {
		json_object_put(root);
		root = v;
	} else if (json_object_is_type(top, json_type_array)) {
		json_object_array_add(top, v);
	} else {
		json_object_object_add(top, key ? key : "", v);
	}
}

static void json_push(const char *key, struct json_object *v)
{
	json_add(key, v);
	if (depth < PR_DEPTH_MAX)
		stack[depth++] = v;
}

void pr_obj_begin(const char *key)
{
	if (json_mode)
		json_push(key, json_object_new_object());
}

void pr_obj_end(void)
{
	if (json_mode && depth)
		depth--;
}

void pr_arr_begin(const char *key)
{
	if (json_mode)
		json_push(key, json_object_new_array());
}

void pr_arr_end(void)
{
	pr_obj_end();
}

#define PR_TEXT(fmt, v)                                 \
	do {                                            \
		if (fmt)                                \
			fprintf(text_stream(), fmt, v); \
	} while (0)

void pr_u64(const char *key, const char *fmt, uint64_t v)
{
	if (json_mode)
		json_add(key, json_object_new_uint64(v));
	else
		PR_TEXT(fmt, v);
}

void pr_i64(const char *key, const char *fmt, int64_t v)
{
	if (json_mode)
		json_add(key, json_object_new_int64(v));
	else
		PR_TEXT(fmt, v);
}

void pr_double(const char *key, const char *fmt, double v)
{
	if (json_mode)
		json_add(key, json_object_new_double(v));
	else
		PR_TEXT(fmt, v);
}

void pr_str(const char *key, const char *fmt, const char *v)
{
	if (json_mode)
		json_add(key, v ? json_object_new_string(v) : NULL);
	else
		PR_TEXT(fmt, v ? v : "-");
}

void pr_bool(const char *key, const char *fmt, bool v)
{
	if (json_mode)
		json_add(key, json_object_new_boolean(v));
	else
		PR_TEXT(fmt, v ? "yes" : "no");
}

void pr_null(const char *key)
{
	if (json_mode)
		json_add(key, NULL);
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vfprintf(text_stream(), fmt, ap);
	va_end(ap);
}

void pr_discard(void)
{
	json_object_put(root);
	root = NULL;
	depth = 0;
	if (text) {
		fclose(text);
		free(text_buf);
		text = NULL;
		text_buf = NULL;
		text_len = 0;
	}
}

int pr_flush(void)
{
	int err = 0;

	if (json_mode) {
		if (root) {
			const char *s = json_object_to_json_string_ext(
				root, (pretty ? JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_SPACED
					      : JSON_C_TO_STRING_PLAIN) |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
			if (printf("%s\n", s) < 0)
				err = -1;
		}
	} else if (text) {
		fflush(text);
		if (text_len &&
		    fwrite(text_buf, 1, text_len, stdout) != text_len)
			err = -1;
	}
	pr_discard();
	if (fflush(stdout))
		err = -1;
	return err;
}

void pr_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_discard();
	if (json_mode) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		fprintf(stderr, "%s\n",
			json_object_to_json_string_ext(o,
						       JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		fprintf(stderr, "%s: %s\n", prog, msg);
	}
}
