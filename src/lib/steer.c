// SPDX-License-Identifier: MIT
/*
 * steer.c - in-kernel steering: loads the eBPF steering program from its
 * skeleton, keeps its configuration in mmapped maps, pins it for
 * persistent taps, attaches it with TUNSETSTEERINGEBPF, and runs the same
 * chain in C (vtap_steer__predict()) for tests
 *
 * Theory of operation
 *
 * State. The program (src/bpf/steer.bpf.c) reads one configuration map,
 * "cfg": a header and two complete slots (src/bpf/steer_maps.h). This file
 * is the library's only writer. Every change goes through slot_begin() /
 * slot_commit(): take the writers' lock (flock on the pin directory, so
 * two vtapctl runs cannot interleave), read the validated copy of the map
 * (below), wait out the grace period since the last flip (at most
 * VTAP_STEER_GRACE_NS, whatever the map says) so that no program run still
 * reads the inactive slot, change the copy, write it into the inactive
 * slot with Toeplitz tables made from its key, then publish it with a
 * release store of the new index. A program run therefore always sees one
 * whole slot.
 *
 * Owner-writable memory. The tap's owner may map "cfg" and write anything
 * into it at any time (docs/security.md). So user space reads it in one
 * place only, vtap_steer_cfg_read(): the header and the active slot are
 * copied out between two equal generation counts and every field of the
 * copy is checked against its array and the design's bounds; tools, the C
 * twin, hash reporting (queue.c), the table builder and the writers work on
 * that copy alone, and a copy that fails is reported as corrupt (EUCLEAN),
 * by the tap's name, never used. Exact 5-tuple rules live in a hash map (element updates are
 * atomic in the kernel); the automq table is a second mmapped array that
 * vtap_steer__record_flow() writes with single 16-bit stores.
 *
 * Intent. The user's RSS table is kept as intent (equal N, weights, or an
 * explicit table) in the cfg header, and the slot holds the table built
 * from it for the queues present (cur_queues). When queues come and go
 * (vtap_steer__set_queues(), called by dev's queue hook before a detach and
 * after an attach) the table is rebuilt, so it only names attached kernel
 * indices. Validation is against the intended queue count recorded with the
 * state, not against the queues attached at that moment: a persistent tap
 * is configured before its VMM opens it.
 *
 * Rules. Exact and masked rules share one priority order, their rank
 * (vtap_steer_rule_rank(): prio, then id). Ids come from one counter in
 * the cfg header (next_rule_id) for both kinds, so the id order is the
 * order added. A slot keeps its masked rules sorted by rank: a new rule
 * goes after every rule of the same or a lower prio, and it has the
 * largest id. The program and vtap_steer__predict() rely on that order to
 * stop scanning at the first masked rule that ranks after the frame's
 * exact rule.
 *
 * Pins. With VTAP_STEER_PIN the maps and both programs are pinned under
 * BPFFS/vtap/NSID/IFINDEX/: the tap as the caller's network namespace
 * names it (pin_dir()), never its name alone, so taps of one name in two
 * namespaces, or a tap deleted and made again, never share state. A later
 * open finds them (no CAP_BPF needed: BPF_OBJ_GET on pins the caller may
 * write, then mmap). The bpffs is one that outlives the caller
 * (bpffs_root(): under `ip netns exec` the one of the namespace it came
 * from); a private one that would vanish is refused. The tap's owner gets
 * the maps of its own tap's steering, root keeps the programs and the
 * program array; the directory is 0711, so only root can take the
 * writers' lock on it.
 *
 * Counters. The program counts every run per queue and deciding step
 * (vtap_steer_stats, pinned as "stats", readable by all):
 * vtap_steer__counts() sums them over CPUs, and vtap_steer__attached()
 * compares their total with the tap's tx_packets since vtap last attached
 * the program (recorded in the run directory) to tell whether it still
 * steers.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dev_impl.h"
#include "internal.h"
#include "steer.skel.h"
#include "steer_impl.h"
#include "steer_maps.h"

_Static_assert(VTAP_STEER_STEP_RULES == VTAP_STEER_F_RULES, "step bits");
_Static_assert(VTAP_STEER_STEP_EXT == VTAP_STEER_F_EXT, "step bits");
_Static_assert(VTAP_STEER_STEP_RSS == VTAP_STEER_F_RSS, "step bits");
_Static_assert(VTAP_STEER_STEP_AUTOMQ == VTAP_STEER_F_AUTOMQ, "step bits");
_Static_assert(VTAP_STEER_TABLE_MAX == VTAP_RSS_TABLE_MAX, "table size");
_Static_assert(VTAP_STEER_KEY_MAX == VTAP_TOEPLITZ_KEY_MAX, "key size");
_Static_assert(VTAP_STEER_INPUT_MAX == VTAP_TOEPLITZ_INPUT_MAX, "input");
_Static_assert(VTAP_STEER_QUEUES_MAX == VTAP_QUEUES_MAX, "queues");
_Static_assert(VTAP_STEER_OPT_PAD_MAX == VTAP_PKT_OPT_PAD_MAX, "opt bounds");
_Static_assert(VTAP_STEER_OPT_STEPS_MAX == VTAP_PKT_OPT_STEPS_MAX,
	       "opt bounds");
/* The sizes steer_maps.h pins for the BPF side, checked here as well. */
_Static_assert(sizeof(struct vtap_steer_cfg) == 118248, "cfg size");
_Static_assert(sizeof(struct vtap_steer_mrule) == 84, "rule size");

#define IFF_TUN_ 0x0001
#define IFF_PERSIST_ 0x0800

enum pin_idx {
	PIN_CFG,
	PIN_AUTOMQ,
	PIN_EXACT,
	PIN_JMP,
	PIN_PKT,
	PIN_PROG,
	PIN_CONT,
	PIN_STATS,
	PIN_EXT,
	PIN__COUNT,
};

static const char *const pin_names[] = {
	[PIN_CFG] = "cfg",   [PIN_AUTOMQ] = "automq", [PIN_EXACT] = "exact",
	[PIN_JMP] = "jmp",   [PIN_PKT] = "pkt",	      [PIN_PROG] = "prog",
	[PIN_CONT] = "cont", [PIN_STATS] = "stats",   [PIN_EXT] = "ext",
};
_Static_assert(sizeof(pin_names) / sizeof(pin_names[0]) == PIN__COUNT,
	       "pin names");

struct vtap_steer {
	char ifname[IFNAMSIZ];
	int ifindex; /* in the namespace of the opener; 0 when none */
	char dir[PATH_MAX];
	bool pinned;
	int dir_fd; /* writers' lock; -1 when not pinned */
	struct steer_bpf *skel;
	struct bpf_object *ext_obj;
	int fd[PIN__COUNT]; /* PIN_EXT unused; fds owned by the handle */
	struct vtap_steer_cfg *cfg;
	struct vtap_steer_automq *amq;
	size_t cfg_len, amq_len;
	bool tun; /* frames start at the IP header */
	/*
	 * The validated copy of the map every reader and writer works on
	 * (vtap_steer_cfg_read()), its rules, and scratch for checking the
	 * Toeplitz tables; all heap, owned by the handle.
	 */
	struct vtap_steer_view *view;
	struct vtap_steer_mrule *rules;
	uint32_t (*tables)[256];
	/* predict()'s vtap_rss for the configuration of @rss_gen. */
	struct vtap_rss *rss;
	uint64_t rss_gen;
	struct vtap_dev *dev;
};

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool ifname_ok(const char *name)
{
	return name && *name && strlen(name) < IFNAMSIZ && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

static int pin_path(const struct vtap_steer *s, enum pin_idx i, char *buf,
		    size_t size)
{
	int n = snprintf(buf, size, "%s/%s", s->dir, pin_names[i]);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* The parent of @pid from /proc/PID/stat, or 0. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold anything but ends at
	 * the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/*
 * Look for the bpffs of the nearest ancestor process (then pid 1) that
 * lives in another mount namespace: `ip netns exec` and `unshare -m` run
 * their command in a mount namespace of its own whose /sys/fs/bpf may be
 * gone, while the caller's is the host's. *@ret_private tells whether such
 * an ancestor was seen at all. Return: 0 with the path in @buf, or -ENOENT.
 */
static int outer_bpffs(char *buf, size_t size, bool *ret_private)
{
	struct stat self, st;
	char path[64];
	pid_t pid = getppid();

	*ret_private = false;
	if (stat("/proc/self/ns/mnt", &self))
		return -ENOENT;
	for (int depth = 0; depth < 64; depth++) {
		if (pid <= 0)
			pid = 1; /* and pid 1 last */
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		if (!stat(path, &st) &&
		    (st.st_ino != self.st_ino || st.st_dev != self.st_dev)) {
			*ret_private = true;
			snprintf(path, sizeof(path), "/proc/%d/root/sys/fs/bpf",
				 (int)pid);
			if (is_bpffs(path))
				return snprintf(buf, size, "%s", path) >=
						       (int)size
					       ? -ENAMETOOLONG
					       : 0;
		}
		if (pid == 1)
			break;
		pid = parent_of(pid);
	}
	return -ENOENT;
}

/*
 * The bpffs to pin in: one that outlives this process (docs/steering.md,
 * "Where the state lives"). In order:
 *  1. /sys/fs/bpf when it is a bpffs;
 *  2. the /sys/fs/bpf of the nearest ancestor (or pid 1) in another mount
 *     namespace, through /proc/PID/root, when this process runs in a
 *     mount namespace of its own without one (`ip netns exec` makes a
 *     private one and mounts a fresh /sys over the host's);
 *  3. with @create, a bpffs mounted at /sys/fs/bpf, as bpftool does, but
 *     only when no ancestor lives in another mount namespace (a mount in
 *     a private one would go with it).
 * Otherwise new state is refused (-ENOMEDIUM, logged with what to do).
 */
static int bpffs_root(bool create, char *buf, size_t size)
{
	bool private_ns;

	if (is_bpffs("/sys/fs/bpf"))
		return snprintf(buf, size, "/sys/fs/bpf") >= (int)size
			       ? -ENAMETOOLONG
			       : 0;
	if (!outer_bpffs(buf, size, &private_ns))
		return 0;
	if (!create)
		return -ENOENT;
	if (private_ns) {
		pr_warn("steer: no bpffs outlives this command: /sys/fs/bpf is "
			"not mounted in this private mount namespace (as under "
			"'ip netns exec') nor in the one it came from; mount it "
			"there (mount -t bpf bpf /sys/fs/bpf) or enter the "
			"network namespace with 'vtapctl -n NETNS' or 'nsenter "
			"--net'\n");
		return -ENOMEDIUM;
	}
	mkdir("/sys/fs/bpf", 0755);
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0755")) {
		int err = -errno;

		pr_warn("steer: bpffs is not mounted at /sys/fs/bpf and mounting it failed: %s\n",
			strerror(-err));
		return err;
	}
	return snprintf(buf, size, "/sys/fs/bpf") >= (int)size ? -ENAMETOOLONG
							       : 0;
}

/*
 * The pin directory of link @ifindex of the caller's namespace:
 * BPFFS/vtap/NSID/IFINDEX. Return: 0 or -errno.
 */
static int pin_dir(bool create, int ifindex, char *buf, size_t size)
{
	char root[64], nsid[32];
	int err, n;

	err = bpffs_root(create, root, sizeof(root));
	if (!err)
		err = vtap_netns_id(nsid, sizeof(nsid));
	if (err)
		return err;
	n = snprintf(buf, size, "%s/vtap/%s/%d", root, nsid, ifindex);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Remove the pins of links of this namespace that are gone (deleted with
 * `ip link del`): a tap made again under the same name has another ifindex
 * and starts clean.
 */
static void gc_pins(void)
{
	char root[64], nsid[32], path[PATH_MAX];
	int fd;

	if (bpffs_root(false, root, sizeof(root)) ||
	    vtap_netns_id(nsid, sizeof(nsid)))
		return;
	snprintf(path, sizeof(path), "%s/vtap/%s", root, nsid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	vtap_remove_gone_links(fd);
	/* And the namespace's directory once it holds nothing. */
	snprintf(path, sizeof(path), "%s/vtap", root);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		unlinkat(fd, nsid, AT_REMOVEDIR);
		close(fd);
	}
}

static const char *perm_hint(int err)
{
	return err == -EPERM || err == -EACCES
		       ? " (needs CAP_BPF and CAP_NET_ADMIN, or root)"
		       : "";
}

/* ------------------------------------------------------------------ */
/* the validated copy                                                 */
/* ------------------------------------------------------------------ */

#define SLOT_FLAGS                                                  \
	(VTAP_STEER_F_RULES | VTAP_STEER_F_EXT | VTAP_STEER_F_RSS | \
	 VTAP_STEER_F_AUTOMQ | VTAP_STEER_F_L3)

static bool pow2_upto(unsigned int n, unsigned int max)
{
	return n && n <= max && !(n & (n - 1));
}

/* The first field of @v out of bounds, or NULL; details in @buf. */
static const char *check_view(const struct vtap_steer_view *v, char *buf,
			      size_t size)
{
	const struct vtap_steer_intent *in = &v->intent;
	const struct vtap_steer_slot_head *h = &v->slot;
	unsigned int len = (unsigned int)h->table_mask + 1;

#define BAD(...) (snprintf(buf, size, __VA_ARGS__), buf)
	if (v->intended_queues > VTAP_STEER_QUEUES_MAX)
		return BAD("intended queue count %u (at most %d)",
			   v->intended_queues, VTAP_STEER_QUEUES_MAX);
	if (!v->cur_queues || v->cur_queues > VTAP_STEER_QUEUES_MAX)
		return BAD("queue count %u (1..%d)", v->cur_queues,
			   VTAP_STEER_QUEUES_MAX);
	if (v->flip_ns > now_ns() + VTAP_STEER_GRACE_NS)
		return BAD("last flip %" PRIu64 " ns in the future",
			   v->flip_ns - now_ns());
	if (in->kind > VTAP_STEER_INTENT_EXPLICIT)
		return BAD("table intent kind %u", in->kind);
	if (in->equal_n > VTAP_STEER_QUEUES_MAX)
		return BAD("equal intent of %u queues (at most %d)",
			   in->equal_n, VTAP_STEER_QUEUES_MAX);
	if (in->n_weights > VTAP_STEER_QUEUES_MAX)
		return BAD("%u weights (at most %d)", in->n_weights,
			   VTAP_STEER_QUEUES_MAX);
	if (in->table_len && !pow2_upto(in->table_len, VTAP_STEER_TABLE_MAX))
		return BAD("intended table length %u (a power of two <= %d)",
			   in->table_len, VTAP_STEER_TABLE_MAX);
	for (unsigned int i = 0; i < in->table_len; i++)
		if (in->table[i] >= VTAP_STEER_QUEUES_MAX)
			return BAD("intended table entry %u names queue %u", i,
				   in->table[i]);
	if (in->unclassified >= VTAP_STEER_QUEUES_MAX)
		return BAD("intended unclassified queue %u", in->unclassified);
	if (h->flags & ~SLOT_FLAGS)
		return BAD("unknown slot flags 0x%x", h->flags & ~SLOT_FLAGS);
	if (h->hash_types & ~VTAP_HASH_TYPE_ALL)
		return BAD("unknown hash types 0x%x",
			   h->hash_types & ~VTAP_HASH_TYPE_ALL);
	if (!pow2_upto(len, VTAP_STEER_TABLE_MAX))
		return BAD("table length %u (a power of two <= %d)", len,
			   VTAP_STEER_TABLE_MAX);
	for (unsigned int i = 0; i < len; i++)
		if (h->table[i] >= VTAP_STEER_QUEUES_MAX)
			return BAD("table entry %u names queue %u", i,
				   h->table[i]);
	if (h->unclassified >= VTAP_STEER_QUEUES_MAX)
		return BAD("unclassified queue %u", h->unclassified);
	if (h->nrules > VTAP_STEER_RULES_MAX)
		return BAD("%u rules (at most %d)", h->nrules,
			   VTAP_STEER_RULES_MAX);
	if (h->automq_queues > VTAP_STEER_QUEUES_MAX)
		return BAD("automq queue count %u", h->automq_queues);
	if (!h->key_len || h->key_len > VTAP_STEER_KEY_MAX)
		return BAD("key length %u (1..%d)", h->key_len,
			   VTAP_STEER_KEY_MAX);
	return NULL;
}

/* The first rule of @r[0..n) out of bounds, or NULL. */
static const char *check_rules(const struct vtap_steer_mrule *r, unsigned int n,
			       char *buf, size_t size)
{
	for (unsigned int i = 0; i < n; i++, r++) {
		if (r->family != 0 && r->family != 4 && r->family != 6)
			return BAD("rule %u: family %u", i, r->family);
		if (r->proto != 0 && r->proto != 6 && r->proto != 17)
			return BAD("rule %u: protocol %u", i, r->proto);
		if (r->flags &
		    ~(uint32_t)(VTAP_STEER_RULE_SPORT | VTAP_STEER_RULE_DPORT))
			return BAD("rule %u: flags 0x%x", i, r->flags);
		if (r->queue >= VTAP_STEER_QUEUES_MAX)
			return BAD("rule %u: queue %u", i, r->queue);
		if (r->src_len > 128 || r->dst_len > 128)
			return BAD("rule %u: prefix length %u/%u", i,
				   r->src_len, r->dst_len);
	}
	return NULL;
#undef BAD
}

int vtap_steer_cfg_read(const struct vtap_steer_cfg *cfg, const char *name,
			struct vtap_steer_view *ret_view,
			struct vtap_steer_mrule *ret_rules,
			uint32_t (*tables)[256])
{
	const struct vtap_steer_slot *slot;
	struct vtap_steer_view v;
	const char *bad;
	char buf[96];
	uint64_t gen;
	bool ok = false;

	for (int tries = 0; tries < 8 && !ok; tries++) {
		gen = __atomic_load_n(&cfg->generation, __ATOMIC_ACQUIRE);
		memset(&v, 0, sizeof(v));
		v.generation = gen;
		if (__atomic_load_n(&cfg->abi, __ATOMIC_ACQUIRE) !=
		    VTAP_STEER_ABI) {
			snprintf(buf, sizeof(buf), "layout 0x%x (want 0x%x)",
				 cfg->abi, VTAP_STEER_ABI);
			bad = buf;
			goto corrupt;
		}
		v.active = __atomic_load_n(&cfg->active, __ATOMIC_ACQUIRE) & 1;
		v.flip_ns = __atomic_load_n(&cfg->flip_ns, __ATOMIC_RELAXED);
		v.intended_queues = cfg->intended_queues;
		v.cur_queues = cfg->cur_queues;
		v.next_rule_id = cfg->next_rule_id;
		v.rss_on_intent = cfg->rss_on_intent;
		v.ifindex = cfg->ifindex;
		memcpy(&v.intent, &cfg->intent, sizeof(v.intent));
		slot = &cfg->slot[v.active];
		memcpy(&v.slot, slot, sizeof(v.slot));
		/* Copied as far as this copy says; checked below. */
		if (ret_rules)
			memcpy(ret_rules, slot->rules,
			       (v.slot.nrules <= VTAP_STEER_RULES_MAX
					? v.slot.nrules
					: VTAP_STEER_RULES_MAX) *
				       sizeof(*ret_rules));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		ok = __atomic_load_n(&cfg->generation, __ATOMIC_RELAXED) == gen;
	}
	if (!ok) {
		pr_debug(
			"steer: the configuration of %s kept changing while read\n",
			name);
		return -EAGAIN;
	}
	bad = check_view(&v, buf, sizeof(buf));
	if (!bad && ret_rules)
		bad = check_rules(ret_rules, v.slot.nrules, buf, sizeof(buf));
	if (!bad && tables) {
		slot = &cfg->slot[v.active];
		if (vtap_toeplitz__tables(v.slot.key, v.slot.key_len, tables) ||
		    memcmp(tables, slot->toeplitz, sizeof(slot->toeplitz)))
			bad = "Toeplitz tables that do not match the key";
	}
	if (bad)
		goto corrupt;
	*ret_view = v;
	return 0;
corrupt:
	pr_warn("steer: the configuration of %s is corrupt: %s (its owner can write it; delete the steering state and set it up again)\n",
		name, bad);
	return -EUCLEAN;
}

/* ------------------------------------------------------------------ */
/* configuration slots                                                */
/* ------------------------------------------------------------------ */

/* Read the map into the handle's view (and its rules, when @rules). */
static int read_view(const struct vtap_steer *s, bool rules)
{
	return vtap_steer_cfg_read(s->cfg, s->ifname, s->view,
				   rules ? s->rules : NULL, NULL);
}

/*
 * The writers' lock: flock on the pin directory, which only root can open
 * (0711), so no other user can hold it. Bounded: a writer that held it for
 * LOCK_WAIT_MS (a stuck root process) is not waited for longer.
 */
#define LOCK_WAIT_MS 2000
static void lock(struct vtap_steer *s)
{
	struct timespec ts = {.tv_nsec = 1000000};

	if (s->dir_fd < 0)
		return;
	for (int i = 0; i < LOCK_WAIT_MS; i++) {
		if (!flock(s->dir_fd, LOCK_EX | LOCK_NB))
			return;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		nanosleep(&ts, NULL);
	}
	pr_warn("steer: %s: the writers' lock is held too long; going on "
		"without it\n",
		s->dir);
}

static void unlock(struct vtap_steer *s)
{
	if (s->dir_fd >= 0)
		flock(s->dir_fd, LOCK_UN);
}

/*
 * Start a change: lock, read the validated copy (rules included) into the
 * handle's view, wait for the inactive slot to be quiescent. The change is
 * made to s->view (and s->rules) and written by slot_commit(). The wait
 * is bounded by the grace period whatever the map's flip time says.
 * Return: 0 or a negative errno (nothing locked then).
 */
static int slot_begin(struct vtap_steer *s)
{
	uint64_t flip, now;
	int err;

	lock(s);
	err = read_view(s, true);
	if (err) {
		unlock(s);
		return err;
	}
	flip = s->view->flip_ns;
	now = now_ns();
	if (now < flip + VTAP_STEER_GRACE_NS) {
		uint64_t d = flip + VTAP_STEER_GRACE_NS - now;
		struct timespec ts;

		if (d > VTAP_STEER_GRACE_NS)
			d = VTAP_STEER_GRACE_NS;
		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	return 0;
}

/*
 * Write the view into the inactive slot (its Toeplitz tables made from
 * its key), publish it, write the header fields writers own, and unlock.
 */
static int slot_commit(struct vtap_steer *s)
{
	struct vtap_steer_cfg *c = s->cfg;
	const struct vtap_steer_view *v = s->view;
	unsigned int a = v->active & 1;
	struct vtap_steer_slot *slot = &c->slot[!a];
	int err;

	memcpy(slot, &v->slot, sizeof(v->slot));
	memcpy(slot->rules, s->rules, v->slot.nrules * sizeof(s->rules[0]));
	memset(slot->rules + v->slot.nrules, 0,
	       (VTAP_STEER_RULES_MAX - v->slot.nrules) * sizeof(s->rules[0]));
	err = vtap_toeplitz__tables(v->slot.key, v->slot.key_len,
				    slot->toeplitz);
	if (err) {
		unlock(s);
		return err;
	}
	c->intended_queues = v->intended_queues;
	c->cur_queues = v->cur_queues;
	c->next_rule_id = v->next_rule_id;
	c->rss_on_intent = v->rss_on_intent;
	c->intent = v->intent;
	__atomic_store_n(&c->active, !a, __ATOMIC_RELEASE);
	__atomic_store_n(&c->flip_ns, now_ns(), __ATOMIC_RELEASE);
	__atomic_store_n(&c->generation, v->generation + 1, __ATOMIC_RELEASE);
	unlock(s);
	return 0;
}

/* Give up a change (the inactive slot is simply not published). */
static void slot_abort(struct vtap_steer *s)
{
	unlock(s);
}

/*
 * Build the indirection table in effect from the intent for @nq queues
 * (see the file's header and struct vtap_steer_rss).
 */
static void build_table(const struct vtap_steer_intent *in, unsigned int nq,
			struct vtap_steer_slot_head *slot)
{
	unsigned int len = VTAP_STEER_TABLE_MAX, i;

	if (!nq)
		nq = 1;
	if (in->kind == VTAP_STEER_INTENT_EXPLICIT && in->table_len) {
		len = in->table_len;
		for (i = 0; i < len; i++)
			slot->table[i] = in->table[i] % nq;
	} else if (in->kind == VTAP_STEER_INTENT_WEIGHT) {
		unsigned int n = in->n_weights < nq ? in->n_weights : nq;
		unsigned int cnt[VTAP_STEER_QUEUES_MAX] = {0};
		unsigned long rem[VTAP_STEER_QUEUES_MAX] = {0};
		unsigned long total = 0, given = 0;
		unsigned int q, k = 0;

		for (q = 0; q < n; q++)
			total += in->weights[q];
		if (!total) {
			for (i = 0; i < len; i++)
				slot->table[i] = (uint16_t)(i % nq);
			goto done;
		}
		for (q = 0; q < n; q++) {
			unsigned long share =
				(unsigned long)len * in->weights[q];

			cnt[q] = (unsigned int)(share / total);
			rem[q] = share % total;
			given += cnt[q];
		}
		/* Largest remainder first, lower queue on ties. */
		while (given < len) {
			unsigned int best = 0;

			for (q = 1; q < n; q++)
				if (rem[q] > rem[best])
					best = q;
			cnt[best]++;
			rem[best] = 0;
			given++;
		}
		for (q = 0; q < n; q++)
			for (i = 0; i < cnt[q]; i++)
				slot->table[k++] = (uint16_t)q;
	} else {
		unsigned int m =
			in->equal_n && in->equal_n < nq ? in->equal_n : nq;

		for (i = 0; i < len; i++)
			slot->table[i] = (uint16_t)(i % m);
	}
done:
	slot->table_mask = (uint16_t)(len - 1);
	slot->unclassified = (uint16_t)(in->unclassified % nq);
	slot->automq_queues = (uint16_t)nq;
}

static void set_key(struct vtap_steer_slot_head *slot, const uint8_t *key,
		    size_t key_len)
{
	memset(slot->key, 0, sizeof(slot->key));
	memcpy(slot->key, key, key_len);
	slot->key_len = (uint32_t)key_len;
}

/* Initialise a fresh cfg map: automq on, default RSS settings kept off. */
static int init_cfg(struct vtap_steer *s, unsigned int queues, bool tun)
{
	struct vtap_steer_cfg *c = s->cfg;
	struct vtap_steer_view *v = s->view;
	int err;

	memset(c, 0, sizeof(*c));
	memset(v, 0, sizeof(*v));
	c->ifindex = (uint32_t)s->ifindex;
	v->intended_queues = queues;
	v->cur_queues = queues;
	v->next_rule_id = 1;
	v->intent.kind = VTAP_STEER_INTENT_EQUAL;
	v->slot.flags = VTAP_STEER_F_AUTOMQ | (tun ? VTAP_STEER_F_L3 : 0);
	v->slot.hash_types = VTAP_HASH_TYPE_ALL;
	set_key(&v->slot, vtap_rss_default_key, sizeof(vtap_rss_default_key));
	build_table(&v->intent, queues, &v->slot);
	/* Both slots the same: commit writes slot 1 from the view. */
	v->active = 0;
	err = slot_commit(s);
	if (err)
		return err;
	memcpy(&c->slot[0], &c->slot[1], sizeof(c->slot[0]));
	c->active = 0;
	c->generation = 0;
	c->flip_ns = now_ns();
	/* The program ignores the map until the ABI word says it is ready. */
	__atomic_store_n(&c->abi, VTAP_STEER_ABI, __ATOMIC_RELEASE);
	return 0;
}

/* ------------------------------------------------------------------ */
/* open, pin, close                                                   */
/* ------------------------------------------------------------------ */

static int map_maps(struct vtap_steer *s)
{
	void *p;

	s->cfg_len = page_round(sizeof(struct vtap_steer_cfg));
	p = mmap(NULL, s->cfg_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 s->fd[PIN_CFG], 0);
	if (p == MAP_FAILED)
		return -errno;
	s->cfg = p;
	s->amq_len = page_round(sizeof(struct vtap_steer_automq));
	p = mmap(NULL, s->amq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 s->fd[PIN_AUTOMQ], 0);
	if (p == MAP_FAILED)
		return -errno;
	s->amq = p;
	return 0;
}

static int load_new(struct vtap_steer *s)
{
	struct steer_bpf *skel;
	int err, one = VTAP_STEER_JMP_CONT, fd;

	skel = steer_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		pr_warn("steer: loading the steering program failed: %s%s\n",
			strerror(-err), perm_hint(err));
		return err;
	}
	s->skel = skel;
	s->fd[PIN_CFG] = bpf_map__fd(skel->maps.cfg);
	s->fd[PIN_AUTOMQ] = bpf_map__fd(skel->maps.automq);
	s->fd[PIN_EXACT] = bpf_map__fd(skel->maps.exact);
	s->fd[PIN_JMP] = bpf_map__fd(skel->maps.vtap_steer_jmp);
	s->fd[PIN_PKT] = bpf_map__fd(skel->maps.vtap_steer_pkt);
	s->fd[PIN_PROG] = bpf_program__fd(skel->progs.vtap_steer);
	s->fd[PIN_CONT] = bpf_program__fd(skel->progs.vtap_steer_cont);
	s->fd[PIN_STATS] = bpf_map__fd(skel->maps.vtap_steer_stats);
	fd = s->fd[PIN_CONT];
	if (bpf_map_update_elem(s->fd[PIN_JMP], &one, &fd, BPF_ANY))
		return -errno;
	return 0;
}

/* mkdir -p of @path's components below @root (0755, no links followed). */
static int make_pin_dir(const char *root, const char *path)
{
	char rel[PATH_MAX], *p, *slash;
	int fd, next;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(rel, sizeof(rel), "%s", path + strlen(root) + 1);
	for (p = rel; p && *p; p = slash) {
		slash = strchr(p, '/');
		if (slash)
			*slash++ = '\0';
		/* The last level, the tap's: only root may open it (lock). */
		next = vtap_open_dir_at(fd, p, true, slash ? 0755 : 0711, true);
		close(fd);
		if (next < 0)
			return next;
		fd = next;
	}
	close(fd);
	return 0;
}

/*
 * Pin everything in s->dir. With VTAP_STEER_SET_OWNER the tap's owner
 * gets what it may change and nothing else: the configuration, the automq
 * table and the exact rules (its own tap's steering). The programs, the
 * program array (tail calls) and the per-frame scratch map stay root's.
 */
static int pin_all(struct vtap_steer *s, const struct vtap_steer_opts *opts)
{
	bool chown_ = OPTS_GET(opts, flags, 0) & VTAP_STEER_SET_OWNER;
	char path[PATH_MAX], root[64];
	int err, dfd;

	err = bpffs_root(true, root, sizeof(root));
	if (!err)
		err = make_pin_dir(root, s->dir);
	if (err) {
		pr_warn("steer: make %s: %s\n", s->dir, strerror(-err));
		return err;
	}
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (int i = 0; i < PIN_EXT; i++) {
		err = pin_path(s, i, path, sizeof(path));
		if (!err && bpf_obj_pin(s->fd[i], path))
			err = -errno;
		if (err) {
			pr_warn("steer: pin %s: %s\n", path, strerror(-err));
			close(dfd);
			return err;
		}
		/* Only the maps the owner may change (docs/security.md). */
		if (chown_ &&
		    (i == PIN_CFG || i == PIN_AUTOMQ || i == PIN_EXACT) &&
		    fchownat(dfd, pin_names[i], opts->owner, opts->group,
			     AT_SYMLINK_NOFOLLOW))
			pr_warn("steer: chown %s: %s\n", path, strerror(errno));
	}
	close(dfd);
	return 0;
}

static int open_pins(struct vtap_steer *s)
{
	char path[PATH_MAX];

	for (int i = 0; i < PIN_EXT; i++) {
		int fd;

		if (pin_path(s, i, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (i == PIN_STATS) {
			LIBBPF_OPTS(bpf_obj_get_opts, ro,
				    .file_flags = BPF_F_RDONLY);

			fd = bpf_obj_get_opts(path, &ro);
		} else {
			fd = bpf_obj_get(path);
		}
		if (fd < 0) {
			int err = -errno;

			/* Programs are only needed to attach, the program
			 * array and scratch map only by root's tools: the
			 * tap's owner gets neither (pin_all()); counters are
			 * missing from pins of older versions. */
			if (i == PIN_PROG || i == PIN_CONT || i == PIN_STATS ||
			    ((i == PIN_JMP || i == PIN_PKT) &&
			     (err == -EACCES || err == -EPERM)))
				continue;
			pr_warn("steer: open pinned %s: %s%s\n", path,
				strerror(-err),
				err == -EACCES || err == -EPERM
					? " (the pins belong to another user)"
					: "");
			return err;
		}
		s->fd[i] = fd;
	}
	return 0;
}

static bool pins_exist(const struct vtap_steer *s)
{
	char path[PATH_MAX];

	return !pin_path(s, PIN_CFG, path, sizeof(path)) && !access(path, F_OK);
}

struct vtap_steer *vtap_steer__open(const char *ifname,
				    const struct vtap_steer_opts *opts)
{
	unsigned int flags = OPTS_GET(opts, flags, 0), queues;
	struct vtap_steer *s;
	bool tun = flags & VTAP_STEER_TUN;
	int err, tf;

	if (!ifname_ok(ifname) || !OPTS_VALID(opts, struct vtap_steer_opts))
		return vtap_err_ptr(-EINVAL);
	queues = OPTS_GET(opts, queues, 0);
	if (queues > VTAP_QUEUES_MAX) {
		pr_warn("steer: %u queues, at most %d\n", queues,
			VTAP_QUEUES_MAX);
		return vtap_err_ptr(-EINVAL);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return vtap_err_ptr(-ENOMEM);
	s->view = calloc(1, sizeof(*s->view));
	s->rules = calloc(VTAP_STEER_RULES_MAX, sizeof(*s->rules));
	s->tables = calloc(VTAP_STEER_INPUT_MAX, sizeof(*s->tables));
	if (!s->view || !s->rules || !s->tables) {
		err = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < PIN__COUNT; i++)
		s->fd[i] = -1;
	s->dir_fd = -1;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	/* The tap of this name in the caller's namespace, now. */
	tf = vtap_dev_tun_flags(ifname, &s->ifindex);
	if (tf >= 0 && (tf & IFF_TUN_))
		tun = true;
	s->tun = tun;

	if (flags & (VTAP_STEER_PIN | VTAP_STEER_NO_CREATE)) {
		s->pinned = true;
		/* Pins are the state of one link: (namespace, ifindex). */
		if (tf < 0) {
			err = tf == -EINVAL ? -EINVAL : -ENODEV;
			if (err == -EINVAL)
				pr_warn("steer: %s is not a tun/tap device\n",
					ifname);
			goto fail;
		}
		err = pin_dir(!(flags & VTAP_STEER_NO_CREATE), s->ifindex,
			      s->dir, sizeof(s->dir));
		if (err)
			goto fail;
		if (!pins_exist(s) && (flags & VTAP_STEER_NO_CREATE)) {
			err = -ENOENT;
			goto fail;
		}
	}
	if (s->pinned && pins_exist(s)) {
		err = open_pins(s);
		if (!err)
			err = map_maps(s);
		if (!err && s->cfg->abi != VTAP_STEER_ABI) {
			pr_warn("steer: the pins in %s have another layout (0x%x, want 0x%x)\n",
				s->dir, s->cfg->abi, VTAP_STEER_ABI);
			err = -EINVAL;
		}
	} else {
		if (!queues) {
			int n = s->ifindex > 0 ? vtap_rundir_queues(s->ifindex)
					       : -ENOENT;

			queues = n > 0 ? (unsigned int)n : 1;
		}
		if (s->pinned)
			gc_pins();
		err = load_new(s);
		if (!err)
			err = map_maps(s);
		if (!err)
			err = init_cfg(s, queues, tun);
		if (!err && s->pinned)
			err = pin_all(s, opts);
	}
	if (err)
		goto fail;
	/* The writers' lock: only root can open the directory (0711). */
	if (s->pinned)
		s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);
	/* State someone else wrote: say at once when it is corrupt. */
	err = read_view(s, true);
	if (err)
		goto fail;
	return s;
fail:
	vtap_steer__close(s);
	return vtap_err_ptr(err);
}

void vtap_steer__close(struct vtap_steer *s)
{
	if (!s)
		return;
	if (s->dev)
		vtap_steer__detach_dev(s, s->dev);
	if (s->cfg)
		munmap(s->cfg, s->cfg_len);
	if (s->amq)
		munmap(s->amq, s->amq_len);
	vtap_rss__free(s->rss);
	free(s->view);
	free(s->rules);
	free(s->tables);
	bpf_object__close(s->ext_obj);
	if (s->skel) {
		steer_bpf__destroy(s->skel); /* owns the fds */
	} else {
		for (int i = 0; i < PIN__COUNT; i++)
			if (s->fd[i] >= 0)
				close(s->fd[i]);
	}
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s);
}

int vtap_steer__unpin(const char *ifname)
{
	char dir[PATH_MAX];
	int ifindex = 0, err = 0, tf;

	if (!ifname_ok(ifname))
		return vtap_err(-EINVAL);
	tf = vtap_dev_tun_flags(ifname, &ifindex);
	if (tf >= 0 && !pin_dir(false, ifindex, dir, sizeof(dir))) {
		char *slash = strrchr(dir, '/');
		int fd;

		*slash = '\0';
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			err = vtap_remove_at(fd, slash + 1);
			close(fd);
		}
	}
	/* And what taps deleted another way left (this one, after a del). */
	gc_pins();
	return vtap_err(err);
}

const char *vtap_steer__pin_dir(const struct vtap_steer *s)
{
	const char *p;

	if (!s || !s->pinned)
		return NULL;
	/* Reached through an ancestor's /proc/PID/root (bpffs_root()): the
	 * path as that mount namespace, the host's, sees it. */
	if (!strncmp(s->dir, "/proc/", 6)) {
		p = strstr(s->dir + 6, "/root/");
		if (p)
			return p + 5;
	}
	return s->dir;
}

/* ------------------------------------------------------------------ */
/* attach                                                             */
/* ------------------------------------------------------------------ */

static void attach_record(const struct vtap_steer *s);

int vtap_steer__attach(struct vtap_steer *s, int tap_fd)
{
	int fd;

	if (!s || tap_fd < 0)
		return vtap_err(-EINVAL);
	fd = s->fd[PIN_PROG];
	if (fd < 0) {
		pr_warn("steer: no access to the steering program of %s%s\n",
			s->ifname, perm_hint(-EPERM));
		return vtap_err(-EPERM);
	}
	if (ioctl(tap_fd, TUNSETSTEERINGEBPF, &fd)) {
		int err = -errno;

		pr_warn("steer: TUNSETSTEERINGEBPF on %s: %s\n", s->ifname,
			strerror(-err));
		return vtap_err(err);
	}
	attach_record(s);
	return 0;
}

int vtap_steer__attach_name(struct vtap_steer *s)
{
	struct ifreq ifr;
	int flags, fd, err;

	if (!s)
		return vtap_err(-EINVAL);
	flags = vtap_dev_tun_flags(s->ifname, NULL);
	if (flags < 0) {
		pr_warn("steer: %s is not a tun/tap device\n", s->ifname);
		return vtap_err(flags);
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vtap_err(-errno);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", s->ifname);
	ifr.ifr_flags = (short)(flags & ~IFF_PERSIST_);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = -errno;
		pr_warn("steer: open a queue of %s: %s%s\n", s->ifname,
			strerror(-err),
			err == -EPERM
				? " (needs CAP_NET_ADMIN or the tap's owner)"
			: err == -EBUSY ? " (single-queue tap open elsewhere)"
					: "");
		close(fd);
		return vtap_err(err);
	}
	err = vtap_steer__attach(s, fd);
	close(fd);
	return err;
}

static int queue_hook(struct vtap_dev *dev, enum vtap_dev_event ev,
		      unsigned int qid, const struct vtap_dev_qmap *next,
		      void *ctx)
{
	unsigned int n = next->base + next->n_attached;

	if (n)
		vtap_steer__set_queues(ctx, n);
	return 0;
}

int vtap_steer__attach_dev(struct vtap_steer *s, struct vtap_dev *dev)
{
	const struct vtap_dev_qmap *map;
	struct vtap_queue *q = NULL;
	int err;

	if (!s || !dev)
		return vtap_err(-EINVAL);
	map = vtap_dev_qmap(dev);
	if (!map->n_attached)
		return vtap_err(-ENODEV);
	q = vtap_dev__queue(dev, map->qid[0]);
	if (!q)
		return vtap_err(-ENODEV);
	err = vtap_dev_set_queue_hook(dev, queue_hook, s);
	if (err)
		return vtap_err(err);
	err = vtap_steer__set_queues(s, map->base + map->n_attached);
	if (!err)
		err = vtap_steer__attach(s, vtap_queue__fd(q));
	if (err) {
		vtap_dev_set_queue_hook(dev, NULL, NULL);
		return vtap_err(err);
	}
	s->dev = dev;
	vtap_dev_steer_attached(dev, s);
	return 0;
}

void vtap_steer__detach_dev(struct vtap_steer *s, struct vtap_dev *dev)
{
	if (!s || !dev || s->dev != dev)
		return;
	vtap_dev_set_queue_hook(dev, NULL, NULL);
	vtap_dev_steer_gone(dev, s);
	s->dev = NULL;
}

/* ------------------------------------------------------------------ */
/* steps, RSS, queues                                                 */
/* ------------------------------------------------------------------ */

uint32_t vtap_steer__steps(const struct vtap_steer *s)
{
	if (!s || read_view(s, false))
		return 0;
	return s->view->slot.flags & VTAP_STEER_STEP_ALL;
}

uint64_t vtap_steer__frames_cut(const struct vtap_steer *s)
{
	/* Any value is fine to print: nothing is indexed by it. */
	return s ? __atomic_load_n(&s->cfg->frames_cut, __ATOMIC_RELAXED) : 0;
}

static bool have_ext(const struct vtap_steer *s)
{
	uint32_t key = VTAP_STEER_JMP_EXT, id;

	return !bpf_map_lookup_elem(s->fd[PIN_JMP], &key, &id);
}

int vtap_steer__set_steps(struct vtap_steer *s, uint32_t steps)
{
	struct vtap_steer_slot_head *slot;
	int err;

	if (!s || (steps & ~VTAP_STEER_STEP_ALL))
		return vtap_err(-EINVAL);
	if ((steps & VTAP_STEER_STEP_EXT) && !have_ext(s)) {
		pr_warn("steer: no extension installed on %s\n", s->ifname);
		return vtap_err(-ENOENT);
	}
	err = slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	slot->flags = (slot->flags & ~VTAP_STEER_STEP_ALL) | steps;
	return vtap_err(slot_commit(s));
}

unsigned int vtap_steer__intended_queues(const struct vtap_steer *s)
{
	if (!s || read_view(s, false))
		return 0;
	return s->view->intended_queues;
}

static int check_rss(const struct vtap_steer_rss *r, unsigned int nq)
{
	if (r->hash_types & ~VTAP_HASH_TYPE_ALL) {
		pr_warn("steer: unknown hash type bits 0x%x\n",
			r->hash_types & ~VTAP_HASH_TYPE_ALL);
		return -EINVAL;
	}
	if (r->key_len > VTAP_TOEPLITZ_KEY_MAX) {
		pr_warn("steer: key of %u bytes, at most %d\n", r->key_len,
			VTAP_TOEPLITZ_KEY_MAX);
		return -EINVAL;
	}
	if (r->unclassified_queue >= nq) {
		pr_warn("steer: unclassified queue %u, but the tap has %u queues\n",
			r->unclassified_queue, nq);
		return -EINVAL;
	}
	switch (r->kind) {
	case VTAP_STEER_TABLE_EQUAL:
		if (r->equal_n > nq) {
			pr_warn("steer: equal %u, but the tap has %u queues\n",
				r->equal_n, nq);
			return -EINVAL;
		}
		return 0;
	case VTAP_STEER_TABLE_WEIGHT:
		if (!r->n_weights || r->n_weights > nq) {
			pr_warn("steer: %u weights, but the tap has %u queues\n",
				r->n_weights, nq);
			return -EINVAL;
		}
		for (unsigned int i = 0; i < r->n_weights; i++)
			if (r->weights[i])
				return 0;
		pr_warn("steer: every weight is 0; at least one queue needs a share\n");
		return -EINVAL;
	case VTAP_STEER_TABLE_EXPLICIT:
		if (!r->table_len || r->table_len > VTAP_RSS_TABLE_MAX ||
		    (r->table_len & (r->table_len - 1))) {
			pr_warn("steer: table length %u is not a power of two in 1..%d\n",
				r->table_len, VTAP_RSS_TABLE_MAX);
			return -EINVAL;
		}
		for (unsigned int i = 0; i < r->table_len; i++) {
			if (r->table[i] >= nq) {
				pr_warn("steer: table entry %u names queue %u, but the tap has %u queues\n",
					i, r->table[i], nq);
				return -EINVAL;
			}
		}
		return 0;
	default:
		pr_warn("steer: unknown table kind %u\n", r->kind);
		return -EINVAL;
	}
}

int vtap_steer__set_rss(struct vtap_steer *s, const struct vtap_steer_rss *r)
{
	struct vtap_steer_intent in = {0};
	struct vtap_steer_slot_head *slot;
	const uint8_t *key;
	size_t key_len;
	int err;

	if (!s || !r || r->sz < sizeof(*r))
		return vtap_err(-EINVAL);
	err = read_view(s, false);
	if (!err)
		err = check_rss(r, s->view->intended_queues);
	if (err)
		return vtap_err(err);
	in.kind = (uint16_t)r->kind;
	in.equal_n = r->equal_n;
	in.n_weights = r->n_weights;
	memcpy(in.weights, r->weights, sizeof(in.weights));
	in.table_len = r->kind == VTAP_STEER_TABLE_EXPLICIT ? r->table_len : 0;
	memcpy(in.table, r->table, sizeof(in.table));
	in.unclassified = r->unclassified_queue;
	key = r->key_len ? r->key : vtap_rss_default_key;
	key_len = r->key_len ? r->key_len : sizeof(vtap_rss_default_key);

	err = slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	set_key(slot, key, key_len);
	slot->hash_types = r->hash_types;
	s->view->intent = in;
	s->view->rss_on_intent = 1;
	build_table(&in, s->view->cur_queues, slot);
	slot->flags |= VTAP_STEER_F_RSS;
	return vtap_err(slot_commit(s));
}

int vtap_steer__rss(const struct vtap_steer *s, struct vtap_steer_rss *ret)
{
	const struct vtap_steer_slot_head *slot;
	const struct vtap_steer_intent *in;
	struct vtap_steer_rss r;
	int err;

	if (!s || !ret || ret->sz < sizeof(*ret))
		return vtap_err(-EINVAL);
	err = read_view(s, false);
	if (err)
		return vtap_err(err);
	if (!s->view->rss_on_intent)
		return vtap_err(-ENOENT);
	slot = &s->view->slot;
	in = &s->view->intent;
	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.hash_types = slot->hash_types;
	r.key_len = slot->key_len;
	memcpy(r.key, slot->key, sizeof(r.key));
	r.kind = in->kind;
	r.equal_n = in->equal_n;
	r.n_weights = in->n_weights;
	memcpy(r.weights, in->weights, sizeof(r.weights));
	r.table_len = (uint16_t)(slot->table_mask + 1);
	memcpy(r.table, slot->table, sizeof(r.table));
	r.unclassified_queue = slot->unclassified;
	*ret = r;
	return 0;
}

int vtap_steer__set_queues(struct vtap_steer *s, unsigned int n)
{
	int err;

	if (!s || !n || n > VTAP_QUEUES_MAX)
		return vtap_err(-EINVAL);
	err = slot_begin(s);
	if (err)
		return vtap_err(err);
	s->view->cur_queues = n;
	build_table(&s->view->intent, n, &s->view->slot);
	return vtap_err(slot_commit(s));
}

/* ------------------------------------------------------------------ */
/* flow rules                                                         */
/* ------------------------------------------------------------------ */

static void prefix_mask(unsigned int len, unsigned int max, uint8_t *mask)
{
	memset(mask, 0, 16);
	for (unsigned int i = 0; i < max / 8 && len; i++) {
		unsigned int b = len >= 8 ? 8 : len;

		mask[i] = (uint8_t)(0xff00 >> b);
		len -= b;
	}
}

static void words(const uint8_t *bytes, uint32_t *w)
{
	memcpy(w, bytes, 16);
}

static bool rule_is_exact(const struct vtap_steer_rule *r)
{
	unsigned int full = r->family == 6 ? 128 : 32;

	return r->proto && r->family && r->src_len == full &&
	       r->dst_len == full && r->has_sport && r->has_dport;
}

static int check_rule(unsigned int nq, const struct vtap_steer_rule *r)
{
	unsigned int max = r->family == 6 ? 128 : 32;

	if (r->family != 0 && r->family != 4 && r->family != 6) {
		pr_warn("steer: rule family %u is not 4 or 6\n", r->family);
		return -EINVAL;
	}
	if (r->proto != 0 && r->proto != 6 && r->proto != 17) {
		pr_warn("steer: rule protocol %u is not tcp (6) or udp (17)\n",
			r->proto);
		return -EINVAL;
	}
	if ((r->src_len || r->dst_len) && !r->family) {
		pr_warn("steer: a rule with addresses needs a family\n");
		return -EINVAL;
	}
	if (r->src_len > max || r->dst_len > max) {
		pr_warn("steer: prefix length over %u\n", max);
		return -EINVAL;
	}
	if (r->queue >= nq) {
		pr_warn("steer: rule names queue %u, but the tap has %u queues\n",
			r->queue, nq);
		return -EINVAL;
	}
	return 0;
}

int vtap_steer__rule_add(struct vtap_steer *s, const struct vtap_steer_rule *r,
			 uint32_t *ret_id)
{
	uint8_t sm[16], dm[16], a[16];
	struct vtap_steer_slot_head *slot;
	uint32_t id;
	int err;

	if (!s || !r || r->sz < sizeof(*r))
		return vtap_err(-EINVAL);
	err = slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	err = check_rule(s->view->intended_queues, r);
	if (err) {
		slot_abort(s);
		return vtap_err(err);
	}
	prefix_mask(r->src_len, r->family == 6 ? 128 : 32, sm);
	prefix_mask(r->dst_len, r->family == 6 ? 128 : 32, dm);
	id = s->view->next_rule_id;

	if (rule_is_exact(r)) {
		struct vtap_steer_exact_key k = {0};
		struct vtap_steer_exact_val v = {0};

		k.l3 = r->family;
		k.l4 = r->proto;
		memcpy(k.src, r->src, r->family == 6 ? 16 : 4);
		memcpy(k.dst, r->dst, r->family == 6 ? 16 : 4);
		k.sport = htons(r->sport);
		k.dport = htons(r->dport);
		v.id = id;
		v.queue = r->queue;
		v.prio = r->prio;
		if (bpf_map_update_elem(s->fd[PIN_EXACT], &k, &v,
					BPF_NOEXIST)) {
			err = -errno;
			slot_abort(s);
			pr_warn("steer: add exact rule: %s%s\n", strerror(-err),
				err == -EEXIST
					? " (the same 5-tuple has a rule)"
					: "");
			return vtap_err(err);
		}
	} else {
		struct vtap_steer_mrule b;
		unsigned int pos;

		if (slot->nrules >= VTAP_STEER_RULES_MAX) {
			slot_abort(s);
			pr_warn("steer: %d prioritised rules already\n",
				VTAP_STEER_RULES_MAX);
			return vtap_err(-ENOSPC);
		}
		memset(&b, 0, sizeof(b));
		b.id = id;
		b.prio = r->prio;
		b.queue = r->queue;
		b.family = r->family;
		b.proto = r->proto;
		b.src_len = r->src_len;
		b.dst_len = r->dst_len;
		if (r->has_sport) {
			b.flags |= VTAP_STEER_RULE_SPORT;
			b.sport = htons(r->sport);
		}
		if (r->has_dport) {
			b.flags |= VTAP_STEER_RULE_DPORT;
			b.dport = htons(r->dport);
		}
		for (int i = 0; i < 16; i++)
			a[i] = r->src[i] & sm[i];
		words(a, b.src);
		words(sm, b.src_mask);
		for (int i = 0; i < 16; i++)
			a[i] = r->dst[i] & dm[i];
		words(a, b.dst);
		words(dm, b.dst_mask);
		/*
		 * After every rule of the same or a lower priority value: the
		 * new id is the largest, so the slot stays sorted by rank.
		 */
		for (pos = 0; pos < slot->nrules; pos++)
			if (s->rules[pos].prio > r->prio)
				break;
		memmove(&s->rules[pos + 1], &s->rules[pos],
			(slot->nrules - pos) * sizeof(s->rules[0]));
		s->rules[pos] = b;
		slot->nrules++;
	}
	s->view->next_rule_id = id + 1;
	slot->flags |= VTAP_STEER_F_RULES;
	err = slot_commit(s);
	if (err)
		return vtap_err(err);
	if (ret_id)
		*ret_id = id;
	return 0;
}

int vtap_steer__rule_del(struct vtap_steer *s, uint32_t id)
{
	struct vtap_steer_exact_key k, next, *prev = NULL;
	struct vtap_steer_slot_head *slot;
	struct vtap_steer_exact_val v;
	int err;

	if (!s || !id)
		return vtap_err(-EINVAL);
	err = slot_begin(s);
	if (err)
		return vtap_err(err);
	slot = &s->view->slot;
	for (unsigned int i = 0; i < slot->nrules; i++) {
		if (s->rules[i].id != id)
			continue;
		memmove(&s->rules[i], &s->rules[i + 1],
			(slot->nrules - i - 1) * sizeof(s->rules[0]));
		slot->nrules--;
		return vtap_err(slot_commit(s));
	}
	slot_abort(s);
	while (!bpf_map_get_next_key(s->fd[PIN_EXACT], prev, &next)) {
		if (!bpf_map_lookup_elem(s->fd[PIN_EXACT], &next, &v) &&
		    v.id == id) {
			if (bpf_map_delete_elem(s->fd[PIN_EXACT], &next))
				return vtap_err(-errno);
			return 0;
		}
		k = next;
		prev = &k;
	}
	return vtap_err(-ENOENT);
}

static void words_to_bytes(const uint32_t *w, uint8_t *b)
{
	memcpy(b, w, 16);
}

static unsigned int mask_len(const uint32_t *mask)
{
	uint8_t b[16];
	unsigned int n = 0;

	words_to_bytes(mask, b);
	for (int i = 0; i < 16; i++)
		n += (unsigned int)__builtin_popcount(b[i]);
	return n;
}

/* qsort() order of a rule list: the order the rules are tried in. */
static int rule_cmp(const void *a, const void *b)
{
	const struct vtap_steer_rule *x = a, *y = b;
	uint64_t rx = vtap_steer_rule_rank(x->prio, x->id);
	uint64_t ry = vtap_steer_rule_rank(y->prio, y->id);

	return (rx > ry) - (rx < ry);
}

int vtap_steer__rules(const struct vtap_steer *s, struct vtap_steer_rule *ret,
		      size_t max)
{
	struct vtap_steer_exact_key k, next, *prev = NULL;
	const struct vtap_steer_slot_head *slot;
	struct vtap_steer_exact_val v;
	size_t n = 0;
	int err;

	if (!s || (!ret && max))
		return vtap_err(-EINVAL);
	err = read_view(s, true);
	if (err)
		return vtap_err(err);
	while (!bpf_map_get_next_key(s->fd[PIN_EXACT], prev, &next)) {
		if (!bpf_map_lookup_elem(s->fd[PIN_EXACT], &next, &v)) {
			if (n < max) {
				struct vtap_steer_rule *r = &ret[n];
				size_t alen = next.l3 == 6 ? 16 : 4;

				memset(r, 0, sizeof(*r));
				r->sz = sizeof(*r);
				r->id = v.id;
				r->family = next.l3;
				r->proto = next.l4;
				memcpy(r->src, next.src, alen);
				memcpy(r->dst, next.dst, alen);
				r->src_len = r->dst_len = (uint8_t)(alen * 8);
				r->has_sport = r->has_dport = true;
				r->sport = ntohs(next.sport);
				r->dport = ntohs(next.dport);
				r->queue = v.queue;
				r->prio = v.prio;
				r->exact = true;
			}
			n++;
		}
		k = next;
		prev = &k;
	}
	slot = &s->view->slot;
	for (unsigned int i = 0; i < slot->nrules; i++, n++) {
		const struct vtap_steer_mrule *b = &s->rules[i];
		struct vtap_steer_rule *r;

		if (n >= max)
			continue;
		r = &ret[n];
		memset(r, 0, sizeof(*r));
		r->sz = sizeof(*r);
		r->id = b->id;
		r->family = b->family;
		r->proto = b->proto;
		words_to_bytes(b->src, r->src);
		words_to_bytes(b->dst, r->dst);
		r->src_len = (uint8_t)mask_len(b->src_mask);
		r->dst_len = (uint8_t)mask_len(b->dst_mask);
		r->has_sport = b->flags & VTAP_STEER_RULE_SPORT;
		r->has_dport = b->flags & VTAP_STEER_RULE_DPORT;
		r->sport = ntohs(b->sport);
		r->dport = ntohs(b->dport);
		r->queue = b->queue;
		r->prio = b->prio;
	}
	if (ret)
		qsort(ret, n < max ? n : max, sizeof(*ret), rule_cmp);
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* ------------------------------------------------------------------ */
/* extension                                                          */
/* ------------------------------------------------------------------ */

int vtap_steer__ext_set(struct vtap_steer *s, const char *obj_path,
			const char *prog_name)
{
	struct bpf_program *prog = NULL, *p;
	struct bpf_map *jmp, *pkt, *stats;
	struct bpf_object *obj;
	uint32_t key = VTAP_STEER_JMP_EXT;
	char path[PATH_MAX];
	int err, fd;

	if (!s || !obj_path)
		return vtap_err(-EINVAL);
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		char msg[128];

		err = -errno;
		libbpf_strerror(err, msg, sizeof(msg));
		pr_warn("steer: open %s: %s\n", obj_path, msg);
		/* libbpf's own codes (ELF format, ...) mean: not a BPF object. */
		return vtap_err(-err >= __LIBBPF_ERRNO__START ? -ENOEXEC : err);
	}
	jmp = bpf_object__find_map_by_name(obj, "vtap_steer_jmp");
	pkt = bpf_object__find_map_by_name(obj, "vtap_steer_pkt");
	if (!jmp || !pkt) {
		pr_warn("steer: %s was not built with <vtap/steer_ext.h> (no vtap_steer_jmp/vtap_steer_pkt maps)\n",
			obj_path);
		err = -ENOEXEC;
		goto fail;
	}
	if (bpf_object__find_program_by_name(obj, "vtap_steer_cont")) {
		/* It has the maps, but tail-calling it would loop. */
		pr_warn("steer: %s is vtap's own steering program, not an extension\n",
			obj_path);
		err = -ENOEXEC;
		goto fail;
	}
	bpf_object__for_each_program(p, obj)
	{
		bool match = prog_name
				     ? !strcmp(bpf_program__name(p), prog_name)
				     : !prog;

		if (match &&
		    bpf_program__type(p) == BPF_PROG_TYPE_SOCKET_FILTER)
			prog = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!prog) {
		pr_warn("steer: %s has no socket-filter program%s%s (SEC(\"socket\"), e.g. VTAP_STEER_EXT())\n",
			obj_path, prog_name ? " named " : "",
			prog_name ? prog_name : "");
		err = prog_name ? -ENOENT : -EINVAL;
		goto fail;
	}
	if (bpf_map__reuse_fd(jmp, s->fd[PIN_JMP]) ||
	    bpf_map__reuse_fd(pkt, s->fd[PIN_PKT])) {
		err = -errno;
		goto fail;
	}
	/* An extension built with a <vtap/steer_ext.h> that counts. */
	stats = bpf_object__find_map_by_name(obj, "vtap_steer_stats");
	if (stats && s->fd[PIN_STATS] >= 0 &&
	    bpf_map__reuse_fd(stats, s->fd[PIN_STATS])) {
		err = -errno;
		goto fail;
	}
	if (bpf_object__load(obj)) {
		err = -errno;
		pr_warn("steer: loading %s failed: %s%s\n", obj_path,
			strerror(-err), perm_hint(err));
		goto fail;
	}
	fd = bpf_program__fd(prog);
	if (bpf_map_update_elem(s->fd[PIN_JMP], &key, &fd, BPF_ANY)) {
		err = -errno;
		goto fail;
	}
	if (s->pinned && !pin_path(s, PIN_EXT, path, sizeof(path))) {
		unlink(path);
		if (bpf_obj_pin(fd, path))
			pr_warn("steer: pin %s: %s\n", path, strerror(errno));
	}
	bpf_object__close(s->ext_obj);
	s->ext_obj = obj;
	err = slot_begin(s);
	if (err)
		return vtap_err(err);
	s->view->slot.flags |= VTAP_STEER_F_EXT;
	return vtap_err(slot_commit(s));
fail:
	bpf_object__close(obj);
	return vtap_err(err);
}

int vtap_steer__ext_del(struct vtap_steer *s)
{
	uint32_t key = VTAP_STEER_JMP_EXT;
	char path[PATH_MAX];
	int err;

	if (!s)
		return vtap_err(-EINVAL);
	err = slot_begin(s);
	if (err)
		return vtap_err(err);
	s->view->slot.flags &= ~VTAP_STEER_F_EXT;
	err = slot_commit(s);
	if (err)
		return vtap_err(err);
	if (bpf_map_delete_elem(s->fd[PIN_JMP], &key) && errno != ENOENT)
		return vtap_err(-errno);
	if (s->pinned && !pin_path(s, PIN_EXT, path, sizeof(path)))
		unlink(path);
	bpf_object__close(s->ext_obj);
	s->ext_obj = NULL;
	return 0;
}

int vtap_steer__ext_name(const struct vtap_steer *s, char *buf, size_t size)
{
	struct bpf_prog_info info;
	uint32_t key = VTAP_STEER_JMP_EXT, id, len = sizeof(info);
	int fd, err;

	if (!s || !buf || !size)
		return vtap_err(-EINVAL);
	if (bpf_map_lookup_elem(s->fd[PIN_JMP], &key, &id))
		return vtap_err(-ENOENT);
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return vtap_err(-errno);
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (err)
		return vtap_err(-errno);
	snprintf(buf, size, "%s", info.name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* automq and the C twin                                              */
/* ------------------------------------------------------------------ */

void vtap_steer_key_from_info(const struct vtap_pkt_info *info,
			      struct vtap_steer_key *k)
{
	memset(k, 0, sizeof(*k));
	if (info->l3 == VTAP_PKT_L3_IPV4) {
		k->l3 = 4;
		memcpy(k->src, info->src, 4);
		memcpy(k->dst, info->dst, 4);
	} else if (info->l3 == VTAP_PKT_L3_IPV6) {
		k->l3 = 6;
		memcpy(k->src, info->src, 16);
		memcpy(k->dst, info->dst, 16);
	} else {
		return;
	}
	if (info->l4 == VTAP_PKT_L4_TCP)
		k->l4 = 6;
	else if (info->l4 == VTAP_PKT_L4_UDP)
		k->l4 = 17;
	if (k->l4) {
		k->sport = info->sport;
		k->dport = info->dport;
	}
}

static unsigned int parse_flags(const struct vtap_steer_slot_head *slot)
{
	return slot->flags & VTAP_STEER_F_L3 ? VTAP_PKT_L3 : 0;
}

int vtap_steer__record_flow(struct vtap_steer *s, const void *frame, size_t len,
			    unsigned int queue)
{
	struct vtap_pkt_info info;
	struct vtap_steer_key k;
	uint32_t h;

	if (!s || !frame || queue >= VTAP_QUEUES_MAX)
		return vtap_err(-EINVAL);
	/* The handle's own knowledge, not the owner-writable slot flags. */
	vtap_pkt__parse(frame, len, s->tun ? VTAP_PKT_L3 : 0, &info);
	vtap_steer_key_from_info(&info, &k);
	if (!k.l3)
		return 0;
	h = vtap_steer_symhash(&k);
	__atomic_store_n(
		&s->amq->queue_plus1[h & (VTAP_STEER_AUTOMQ_BUCKETS - 1)],
		(uint16_t)(queue + 1), __ATOMIC_RELAXED);
	return 0;
}

/* A vtap_rss for the active slot, rebuilt when the configuration moved. */
static int predict_rss(struct vtap_steer *s,
		       const struct vtap_steer_slot_head *slot, uint64_t gen)
{
	VTAP_OPTS_INIT(vtap_rss_opts, o);
	struct vtap_steer_view v;
	int err;

	if (s->rss && s->rss_gen == gen)
		return 0;
	/* A new configuration: check its Toeplitz tables once. */
	err = vtap_steer_cfg_read(s->cfg, s->ifname, &v, NULL, s->tables);
	if (err)
		return err;
	o.hash_types = slot->hash_types;
	o.key = slot->key;
	o.key_len = slot->key_len;
	o.table = slot->table;
	o.table_len = (size_t)slot->table_mask + 1;
	o.unclassified_queue = slot->unclassified;
	o.num_queues = 0;
	o.impl = VTAP_TOEPLITZ_TABLE;
	vtap_rss__free(s->rss);
	s->rss = vtap_rss__new(&o);
	if (!s->rss)
		return -errno;
	s->rss_gen = gen;
	return 0;
}

int vtap_steer__predict(struct vtap_steer *s, const void *frame, size_t len,
			struct vtap_steer_prediction *ret)
{
	struct vtap_steer_prediction p = {0};
	const struct vtap_steer_slot_head *slot;
	struct vtap_pkt_info info;
	struct vtap_steer_key k;
	uint64_t gen;
	uint32_t flags, h;
	int err;

	if (!s || !frame || !ret)
		return vtap_err(-EINVAL);
	err = read_view(s, true);
	if (err)
		return vtap_err(err);
	gen = s->view->generation;
	slot = &s->view->slot;
	flags = slot->flags;
	vtap_pkt__parse(frame, len, parse_flags(slot), &info);
	vtap_steer_key_from_info(&info, &k);
	err = predict_rss(s, slot, gen);
	if (err)
		return vtap_err(err);
	vtap_rss__hash_info(s->rss, &info, &p.rss);

	if (flags & VTAP_STEER_F_RULES) {
		/* As the program: exact rule, unless a masked one ranks first. */
		uint64_t limit = UINT64_MAX;

		if (k.l4) {
			struct vtap_steer_exact_key ek = {0};
			struct vtap_steer_exact_val v;

			ek.l3 = k.l3;
			ek.l4 = k.l4;
			memcpy(ek.src, k.src, 16);
			memcpy(ek.dst, k.dst, 16);
			ek.sport = k.sport;
			ek.dport = k.dport;
			if (!bpf_map_lookup_elem(s->fd[PIN_EXACT], &ek, &v)) {
				p.by = VTAP_STEER_BY_EXACT;
				p.rule_id = v.id;
				p.value = v.queue;
				limit = vtap_steer_rule_rank(v.prio, v.id);
			}
		}
		for (unsigned int i = 0; i < slot->nrules; i++) {
			const struct vtap_steer_mrule *m = &s->rules[i];

			if (vtap_steer_rule_rank(m->prio, m->id) > limit)
				break;
			if (vtap_steer_rule_match(m, &k)) {
				p.by = VTAP_STEER_BY_RULE;
				p.rule_id = m->id;
				p.value = m->queue;
				goto out;
			}
		}
		if (p.by == VTAP_STEER_BY_EXACT)
			goto out;
	}
	if (flags & VTAP_STEER_F_EXT)
		p.by = VTAP_STEER_BY_EXT;
	if (flags & VTAP_STEER_F_RSS) {
		if (!p.by)
			p.by = VTAP_STEER_BY_RSS;
		p.value = p.rss.queue;
	} else if (flags & VTAP_STEER_F_AUTOMQ) {
		uint16_t q;

		h = vtap_steer_symhash(&k);
		q = __atomic_load_n(
			&s->amq->queue_plus1[h &
					     (VTAP_STEER_AUTOMQ_BUCKETS - 1)],
			__ATOMIC_RELAXED);
		if (!p.by)
			p.by = q ? VTAP_STEER_BY_AUTOMQ
				 : VTAP_STEER_BY_FLOW_HASH;
		if (q)
			p.value = q - 1u;
		else
			p.value = slot->automq_queues ? h % slot->automq_queues
						      : (h & 0xffff);
	}
out:
	*ret = p;
	return 0;
}

_Static_assert(VTAP_STEER_CNT_RULE == 0 && VTAP_STEER_CNT_EXT == 1 &&
		       VTAP_STEER_CNT_RSS == 2 &&
		       VTAP_STEER_CNT_UNCLASSIFIED == 3 &&
		       VTAP_STEER_CNT_AUTOMQ == 4 && VTAP_STEER_CNT_NONE == 5 &&
		       VTAP_STEER_CNT__COUNT <= VTAP_STEER_STAT_SLOTS,
	       "the program's step counters (steer_ext.h)");

static const char *const by_names[] = {
	[VTAP_STEER_CNT_RULE] = "rule",
	[VTAP_STEER_CNT_EXT] = "ext",
	[VTAP_STEER_CNT_RSS] = "rss",
	[VTAP_STEER_CNT_UNCLASSIFIED] = "unclassified",
	[VTAP_STEER_CNT_AUTOMQ] = "automq",
	[VTAP_STEER_CNT_NONE] = "none",
};
_Static_assert(sizeof(by_names) / sizeof(by_names[0]) == VTAP_STEER_CNT__COUNT,
	       "step names");

const char *vtap_steer_cnt__name(unsigned int by)
{
	return by < VTAP_STEER_CNT__COUNT ? by_names[by] : NULL;
}

int vtap_steer__counts(const struct vtap_steer *s,
		       struct vtap_steer_qcount *ret, unsigned int max)
{
	int ncpu = libbpf_num_possible_cpus(), last = 0;
	struct vtap_steer_qstats *v;

	if (!s || (!ret && max))
		return vtap_err(-EINVAL);
	if (s->fd[PIN_STATS] < 0)
		return vtap_err(-ENOENT);
	if (ncpu <= 0)
		return vtap_err(ncpu ? ncpu : -EINVAL);
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return vtap_err(-ENOMEM);
	if (max)
		memset(ret, 0, max * sizeof(*ret));
	for (__u32 q = 0; q < VTAP_STEER_STATS_QUEUES; q++) {
		bool any = false;

		if (bpf_map_lookup_elem(s->fd[PIN_STATS], &q, v))
			continue;
		for (int c = 0; c < ncpu; c++) {
			for (int b = 0; b < VTAP_STEER_CNT__COUNT; b++) {
				any |= v[c].by[b] != 0;
				if (q < max)
					ret[q].by[b] += v[c].by[b];
			}
		}
		if (any)
			last = (int)q + 1;
	}
	free(v);
	return last;
}

/* All runs of the program so far (sum of the counters). */
static int total_runs(const struct vtap_steer *s, uint64_t *ret)
{
	struct vtap_steer_qcount *c;
	int n;

	c = calloc(VTAP_STEER_STATS_QUEUES, sizeof(*c));
	if (!c)
		return -ENOMEM;
	n = vtap_steer__counts(s, c, VTAP_STEER_STATS_QUEUES);
	*ret = 0;
	for (int q = 0; q < n; q++)
		for (int b = 0; b < VTAP_STEER_CNT__COUNT; b++)
			*ret += c[q].by[b];
	free(c);
	return n < 0 ? n : 0;
}

/* The tap's frames handed to readers so far, and the program's runs. */
static int attach_now(const struct vtap_steer *s, uint64_t *ret_runs,
		      uint64_t *ret_frames)
{
	struct vtap_link l;
	int err;

	err = vtap_link_get(s->ifindex, NULL, &l);
	if (err)
		return err;
	if (!l.has_stats)
		return -ENODATA;
	*ret_frames = l.stats.tx_packets;
	return total_runs(s, ret_runs);
}

/*
 * After an attach: from here on every frame a reader takes ran the
 * program. Record (runs, tx_packets) in the tap's run directory, root's,
 * for vtap_steer__attached() (a handle that cannot write there, the tap's
 * owner, leaves the last record).
 */
static void attach_record(const struct vtap_steer *s)
{
	uint64_t runs, frames;
	char buf[64];
	int fd, n;

	if (!s->pinned || attach_now(s, &runs, &frames))
		return;
	fd = vtap_rundir_open(s->ifindex, true);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%llu %llu\n", (unsigned long long)runs,
		     (unsigned long long)frames);
	vtap_write_file_at(fd, "attach", buf, (size_t)n);
	close(fd);
}

int vtap_steer__attached(struct vtap_steer *s, struct vtap_steer_attached *ret)
{
	struct vtap_steer_attached r = {.state = VTAP_STEER_ATTACHED_UNKNOWN};
	unsigned long long r0, f0;
	uint64_t runs, frames;
	char buf[64];
	ssize_t n = -ENOENT;
	int err, fd;

	if (!s || !ret || !s->pinned || s->ifindex <= 0)
		return vtap_err(-EINVAL);
	err = attach_now(s, &runs, &frames);
	if (err)
		return vtap_err(err);
	fd = vtap_rundir_open(s->ifindex, false);
	if (fd >= 0) {
		n = vtap_read_file_at(fd, "attach", buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		/* Counters that went back belong to other state: unknown. */
		if (sscanf(buf, "%llu %llu", &r0, &f0) == 2 && runs >= r0 &&
		    frames >= f0) {
			r.runs = runs - r0;
			r.frames = frames - f0;
			if (!r.frames)
				r.state = VTAP_STEER_ATTACHED_UNKNOWN;
			else if (r.runs >= r.frames)
				r.state = VTAP_STEER_ATTACHED_YES;
			else
				r.state = VTAP_STEER_ATTACHED_NO;
		}
	}
	*ret = r;
	return 0;
}

int vtap_steer__prog_fd(const struct vtap_steer *s)
{
	if (!s || s->fd[PIN_PROG] < 0)
		return vtap_err(-ENOENT);
	return s->fd[PIN_PROG];
}

const struct vtap_steer_cfg *vtap_steer_cfg(const struct vtap_steer *s)
{
	return s->cfg;
}

int vtap_steer_map_fd(const struct vtap_steer *s, const char *name)
{
	for (int i = 0; i < PIN_PROG; i++)
		if (!strcmp(pin_names[i], name))
			return s->fd[i];
	return -ENOENT;
}
