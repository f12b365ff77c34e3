// SPDX-License-Identifier: MIT
/*
 * fuzz_qdepth.c - libFuzzer target for the queue depth record parser
 *
 * /run/vtap/NAME/qdepth may sit in a directory the tap's owner can write,
 * so its text is input. Feeds the bytes as the record (NUL-terminated, as
 * the reader does); an accepted record must be in range, format back and
 * parse to the same setting, and give a depth the rule keeps in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qdepth_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtap_qdepth_cfg cfg, back;
	char text[128], buf[64];
	uint32_t d;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vtap_qdepth_parse(text, &cfg))
		return 0;
	if (cfg.mode == VTAP_QDEPTH_QLEN) {
		if (!cfg.qlen || cfg.qlen > VTAP_QDEPTH_MAX || cfg.budget)
			abort();
	} else if (cfg.mode == VTAP_QDEPTH_BUDGET) {
		if (!cfg.budget || cfg.qlen)
			abort();
	} else {
		abort();
	}
	if (vtap_qdepth_format(&cfg, buf, sizeof(buf)) <= 0 ||
	    vtap_qdepth_parse(buf, &back) || back.mode != cfg.mode ||
	    back.qlen != cfg.qlen || back.budget != cfg.budget)
		abort();
	for (unsigned int q = 0; q <= 256; q += 64) {
		d = vtap_qdepth_rule(&cfg, q, 1500, q & 64);
		if (!d || d > VTAP_QDEPTH_MAX ||
		    (cfg.mode == VTAP_QDEPTH_BUDGET && d < VTAP_QDEPTH_FLOOR))
			abort();
	}
	return 0;
}
