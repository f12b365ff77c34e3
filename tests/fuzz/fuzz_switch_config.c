// SPDX-License-Identifier: MIT
/*
 * fuzz_switch_config.c - libFuzzer target for vtap-switchd's config parser
 *
 * Feeds the bytes as a configuration file (not NUL-terminated) and, line
 * by line, as --port specs; checks the invariants every accepted result
 * must keep.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tools/vtap-switchd/config.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sw_config cfg;
	struct sw_port_config pc;
	char err[256], spec[512];

	swcfg_init(&cfg);
	if (!swcfg_parse(&cfg, (const char *)data, size, err, sizeof(err))) {
		if (cfg.n_ports > SW_PORTS_MAX || cfg.workers > SW_WORKERS_MAX)
			abort();
		for (unsigned int i = 0; i < cfg.n_ports; i++) {
			const struct sw_port_config *p = &cfg.ports[i];

			if (!p->name[0] || strlen(p->name) >= SW_IFNAMSIZ ||
			    p->queues > SW_QUEUES_MAX || p->vid > SW_VID_MAX)
				abort();
		}
	} else if (!err[0]) {
		abort(); /* every error has a message */
	}
	if (size < sizeof(spec)) {
		memcpy(spec, data, size);
		spec[size] = '\0';
		if (!swcfg_parse_port(&pc, spec, err, sizeof(err)) &&
		    (!pc.name[0] || pc.queues > SW_QUEUES_MAX))
			abort();
	}
	return 0;
}
