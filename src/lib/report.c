// SPDX-License-Identifier: MIT
/*
 * report.c - hash reporting: the mode, the configuration the queues hash
 * with, and the sequence count that keeps their copies right
 *
 * Theory of operation
 *
 * The device's reporting mode and source (OFF; RSS: a caller's vtap_rss;
 * STEER: the steering map's active slot; CONFIG: types and key of the
 * caller's) are written on the control path (vtap_dev__set_report() and
 * friends, the steering module's vtap_report_steer_gone()) and read by
 * every queue's thread on the data path.
 *
 * Hash reporting configuration. Each queue hashes with its own vtap_rss
 * (made on the control path), so queues on different threads share
 * nothing writable. Once per batch the queue checks, with plain loads,
 * whether its copy is current: the device's report_seq (mode and CONFIG
 * changes, a sequence count: odd while written) and, in STEER mode, the
 * steering map's generation. Only when one moved is the copy rebuilt from
 * the source: the active slot of the steering map is copied out and the
 * generation read again (the writer flips the slot index before it bumps
 * the generation, and waits VTAP_STEER_GRACE_NS before it writes the
 * slot it left, so an unchanged generation proves a consistent copy; a
 * changed one means try again, at most a few times, and meanwhile keep the
 * old copy). The rebuild allocates only when the key changed (a new
 * Toeplitz hasher); table and type changes, the usual ones when queues
 * come and go, do not.
 */
#include <errno.h>
#include <string.h>

#include "dev_impl.h"
#include "steer_impl.h"

/* The per-queue copy of the reporting configuration (control path). */
int vtap_report_queue_alloc(struct vtap_queue *q)
{
	if (q->rep_rss)
		return 0;
	q->rep_rss = vtap_rss__new(NULL);
	if (!q->rep_rss)
		return -errno;
	q->rep_valid = false;
	return 0;
}

/* Begin and end a change of what the queues read under report_seq. */
static void report_write_begin(struct vtap_dev *dev)
{
	__atomic_store_n(&dev->report_seq, dev->report_seq + 1,
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void report_write_end(struct vtap_dev *dev, uint32_t mode)
{
	__atomic_store_n(&dev->report_mode, mode, __ATOMIC_RELEASE);
	__atomic_store_n(&dev->report_seq, dev->report_seq + 1,
			 __ATOMIC_RELEASE);
	vtap_stats_publish(dev);
}

int vtap_dev__set_hash_report(struct vtap_dev *dev, const struct vtap_rss *rss)
{
	if (!dev)
		return vtap_err(-EINVAL);
	if (rss && dev->hdr_len != VTAP_VNET_HDR_HASH_LEN) {
		pr_warn("%s: hash reporting needs a %u-byte vnet header\n",
			dev->name, VTAP_VNET_HDR_HASH_LEN);
		return vtap_err(-EINVAL);
	}
	report_write_begin(dev);
	__atomic_store_n(&dev->rss, rss, __ATOMIC_RELEASE);
	report_write_end(dev, rss ? VTAP_REPORT_RSS : VTAP_REPORT_OFF);
	return 0;
}

int vtap_dev__set_report(struct vtap_dev *dev,
			 const struct vtap_report_opts *opts)
{
	uint32_t mode = OPTS_GET(opts, mode, VTAP_REPORT_OFF);
	const uint8_t *key = vtap_rss_default_key;
	size_t key_len = sizeof(vtap_rss_default_key);
	const struct vtap_steer *steer = NULL;
	uint32_t types = 0;
	int err;

	if (!dev || !OPTS_VALID(opts, struct vtap_report_opts))
		return vtap_err(-EINVAL);
	if (mode >= VTAP_REPORT__COUNT || mode == VTAP_REPORT_RSS) {
		pr_warn("%s: reporting mode %u: use OFF, STEER or CONFIG\n",
			dev->name, mode);
		return vtap_err(-EINVAL);
	}
	if (mode != VTAP_REPORT_OFF && dev->hdr_len != VTAP_VNET_HDR_HASH_LEN) {
		pr_warn("%s: hash reporting needs a %u-byte vnet header\n",
			dev->name, VTAP_VNET_HDR_HASH_LEN);
		return vtap_err(-EINVAL);
	}
	if (mode == VTAP_REPORT_STEER) {
		steer = OPTS_GET(opts, steer, NULL);
		if (!steer)
			steer = dev->steer;
		if (!steer) {
			pr_warn("%s: no steering attached to report from\n",
				dev->name);
			return vtap_err(-ENOENT);
		}
	} else if (mode == VTAP_REPORT_CONFIG) {
		types = OPTS_GET(opts, hash_types, 0);
		if (types & ~VTAP_HASH_TYPE_ALL) {
			pr_warn("%s: unknown hash type bits 0x%x\n", dev->name,
				types & ~VTAP_HASH_TYPE_ALL);
			return vtap_err(-EINVAL);
		}
		if (OPTS_GET(opts, key, NULL)) {
			key = opts->key;
			key_len = OPTS_GET(opts, key_len, 0);
			if (!key_len || key_len > VTAP_TOEPLITZ_KEY_MAX) {
				pr_warn("%s: key length %zu is not in 1..%d\n",
					dev->name, key_len,
					VTAP_TOEPLITZ_KEY_MAX);
				return vtap_err(-EINVAL);
			}
		}
	}
	/* The queues' copies first: a queue that sees the mode has one. */
	if (mode != VTAP_REPORT_OFF) {
		for (unsigned int i = 0; i < dev->n_queues; i++) {
			err = vtap_report_queue_alloc(&dev->queues[i]);
			if (err)
				return vtap_err(err);
		}
	}
	report_write_begin(dev);
	dev->report_steer = steer;
	dev->report_cfg = steer ? vtap_steer_cfg(steer) : NULL;
	dev->report_types = types;
	dev->report_key_len = (uint32_t)key_len;
	memset(dev->report_key, 0, sizeof(dev->report_key));
	memcpy(dev->report_key, key, key_len);
	report_write_end(dev, mode);
	return 0;
}

enum vtap_report_mode vtap_dev__report_mode(const struct vtap_dev *dev)
{
	return dev ? __atomic_load_n(&dev->report_mode, __ATOMIC_RELAXED)
		   : VTAP_REPORT_OFF;
}

void vtap_report_steer_gone(struct vtap_dev *dev,
			    const struct vtap_steer *steer)
{
	if (dev->report_mode == VTAP_REPORT_STEER &&
	    dev->report_steer == steer) {
		pr_info("%s: steering state went away: hash reporting off\n",
			dev->name);
		report_write_begin(dev);
		dev->report_steer = NULL;
		dev->report_cfg = NULL;
		report_write_end(dev, VTAP_REPORT_OFF);
	}
}

/* The fields of a steering slot reporting uses. */
struct report_src {
	uint32_t types;
	uint32_t key_len;
	uint32_t table_len;
	uint16_t unclassified;
	uint8_t key[VTAP_TOEPLITZ_KEY_MAX];
	uint16_t table[VTAP_RSS_TABLE_MAX];
};

/*
 * The active slot's RSS fields through the one validated copy of the
 * steering map (its owner may write anything there). Return: 0, -EAGAIN
 * (writers in the way), -EUCLEAN (corrupt, logged by the reader).
 */
static int copy_slot(const struct vtap_dev *dev,
		     const struct vtap_steer_cfg *cfg, uint64_t *ret_gen,
		     struct report_src *r)
{
	struct vtap_steer_view v;
	int err;

	err = vtap_steer_cfg_read(cfg, dev->name, &v, NULL, NULL);
	if (err)
		return err;
	r->types = v.slot.hash_types;
	r->key_len = v.slot.key_len;
	r->table_len = (uint32_t)v.slot.table_mask + 1;
	r->unclassified = v.slot.unclassified;
	memcpy(r->key, v.slot.key, sizeof(r->key));
	memcpy(r->table, v.slot.table, sizeof(r->table));
	*ret_gen = v.generation;
	return 0;
}

/* Apply @r to the queue's vtap_rss. Return: 0 or a negative errno. */
static int apply_src(struct vtap_rss *rss, const struct report_src *r)
{
	VTAP_OPTS_INIT(vtap_rss_opts, cur);
	int err;

	if (!r->key_len || r->key_len > VTAP_TOEPLITZ_KEY_MAX)
		return -EINVAL;
	err = vtap_rss__get(rss, &cur);
	if (err)
		return err;
	if (cur.key_len != r->key_len || memcmp(cur.key, r->key, r->key_len)) {
		err = vtap_rss__set_key(rss, r->key, r->key_len);
		if (err)
			return err;
	}
	err = vtap_rss__set_types(rss, r->types);
	if (!err)
		err = vtap_rss__set_table(rss, r->table, r->table_len);
	if (!err)
		err = vtap_rss__set_unclassified(rss, r->unclassified);
	return err;
}

const struct vtap_rss *vtap_queue_report_rss(struct vtap_queue *q)
{
	const struct vtap_dev *dev = q->dev;
	const struct vtap_rss *old = q->rep_valid ? q->rep_rss : NULL;
	struct report_src r = {0};
	uint64_t gen = 0;
	uint32_t seq, mode;
	bool ok = false;

	seq = __atomic_load_n(&dev->report_seq, __ATOMIC_ACQUIRE);
	if ((seq & 1) || !q->rep_rss)
		return old; /* being changed: the copy in hand for now */
	mode = __atomic_load_n(&dev->report_mode, __ATOMIC_RELAXED);
	if (mode == VTAP_REPORT_STEER) {
		const struct vtap_steer_cfg *cfg = dev->report_cfg;

		int err;

		if (!cfg)
			return NULL;
		gen = __atomic_load_n(&cfg->generation, __ATOMIC_ACQUIRE);
		if ((q->rep_valid || q->rep_corrupt) && q->rep_seq == seq &&
		    q->rep_gen == gen)
			return q->rep_valid ? q->rep_rss : NULL;
		err = copy_slot(dev, cfg, &gen, &r);
		if (err == -EUCLEAN) {
			/* Said once; no reports until the owner rewrites it. */
			q->rep_valid = false;
			q->rep_corrupt = true;
			q->rep_seq = seq;
			q->rep_gen = gen;
			return NULL;
		}
		ok = !err;
	} else if (mode == VTAP_REPORT_CONFIG) {
		if (q->rep_valid && q->rep_seq == seq)
			return q->rep_rss;
		r.types = dev->report_types;
		r.key_len = dev->report_key_len;
		memcpy(r.key, dev->report_key, sizeof(r.key));
		r.table_len = 1;
		ok = true;
	} else {
		return NULL;
	}
	/* The handle's fields were read between two equal counts. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!ok || __atomic_load_n(&dev->report_seq, __ATOMIC_RELAXED) != seq)
		return old;
	if (apply_src(q->rep_rss, &r)) {
		/* A half-applied copy is not used; retried next batch. */
		q->rep_valid = false;
		return NULL;
	}
	q->rep_seq = seq;
	q->rep_gen = gen;
	q->rep_valid = true;
	q->rep_corrupt = false;
	return q->rep_rss;
}
