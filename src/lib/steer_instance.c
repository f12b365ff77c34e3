// SPDX-License-Identifier: MIT
/*
 * steer_instance.c - a fresh instance of the steering program over a
 * handle's maps: what vtap attaches when it must be able to tell, later,
 * whether the tap still runs it (steer_guard.c, "Theory of operation")
 *
 * The skeleton is loaded again with every map reused from the handle (the
 * configuration, rules, automq table, counters, tail-call array and
 * scratch map are the tap's); only the entry program is new: the tail
 * call target stays the pinned one (autoload off here). The counters are
 * opened read-only by handles, so a writable fd of the pinned map is taken
 * for the load.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer.skel.h"
#include "steer_guard.h"
#include "steer_pins.h"

int vtap_steer_instance_load(struct vtap_steer *s, uint32_t *ret_id)
{
	const enum pin_idx pins[] = {PIN_CFG, PIN_AUTOMQ, PIN_EXACT,
				     PIN_JMP, PIN_PKT,	  PIN_STATS};
	struct bpf_map *maps[ARRAY_SIZE(pins)];
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);
	struct steer_bpf *skel;
	char path[PATH_MAX];
	int err = 0, fd = -1, stats = -1;

	skel = steer_bpf__open();
	if (!skel)
		return -errno;
	maps[0] = skel->maps.cfg;
	maps[1] = skel->maps.automq;
	maps[2] = skel->maps.exact;
	maps[3] = skel->maps.vtap_steer_jmp;
	maps[4] = skel->maps.vtap_steer_pkt;
	maps[5] = skel->maps.vtap_steer_stats;
	if (!vtap_steer_pin_path(s, PIN_STATS, path, sizeof(path)))
		stats = bpf_obj_get(path);
	for (size_t i = 0; i < ARRAY_SIZE(maps) && !err; i++) {
		int mfd = pins[i] == PIN_STATS ? stats : s->fd[pins[i]];

		err = mfd < 0 ? -EPERM : bpf_map__reuse_fd(maps[i], mfd);
	}
	if (!err)
		err = bpf_program__set_autoload(skel->progs.vtap_steer_cont,
						false);
	if (!err && steer_bpf__load(skel))
		err = -errno;
	if (!err) {
		fd = fcntl(bpf_program__fd(skel->progs.vtap_steer),
			   F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			err = -errno;
	}
	if (!err && bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	if (stats >= 0)
		close(stats);
	steer_bpf__destroy(skel);
	if (err) {
		if (fd >= 0)
			close(fd);
		pr_warn("steer: loading an instance of the steering program of "
			"%s failed: %s%s\n",
			s->ifname, strerror(-err), vtap_steer_perm_hint(err));
		return err;
	}
	*ret_id = info.id;
	return fd;
}
