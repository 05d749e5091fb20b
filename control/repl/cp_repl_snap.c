/* SPDX-License-Identifier: BSD-3-Clause */
/* Bindings snapshots to a file, written atomically, loaded at start. See cp_repl_snap.h. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>

#include <rte_ring.h>
#include <xxhash.h>

#include "control/cp_clock.h"
#include "control/repl/cp_repl_node.h"
#include "control/repl/cp_repl_snap.h"
#include "proto/msg_codec.h"
#include "dataplane/core/dp_shared.h"
#include "dataplane/registrar/reg_digest.h"

#define SNAP_MAGIC     "SSSNAP02"
#define SNAP_MAGIC_V1  "SSSNAP01"
#define SNAP_END       "SSEND001"
#define SNAP_FORMAT    2u
#define SNAP_HDR_LEN   (8 + 4 + 2 + 2 + 8)
#define SNAP_TRL_LEN   (8 + 8 + 8)
#define SNAP_REC_MAX   4096            /* one serialized record, at most */
#define SNAP_FILE_MAX  (1ull << 32)
#define SNAP_LOAD_WAIT_MS 5000         /* at most, for room on the apply rings */

static const char *const snap_names[CP_REPL_SNAP_COUNTER_MAX] = {
#define SNAP_NAME(name, help) #name,
	CP_REPL_SNAP_FOREACH_COUNTER(SNAP_NAME)
#undef SNAP_NAME
};
static const char *const snap_helps[CP_REPL_SNAP_COUNTER_MAX] = {
#define SNAP_HELP(name, help) help,
	CP_REPL_SNAP_FOREACH_COUNTER(SNAP_HELP)
#undef SNAP_HELP
};

/* ---- the file: little-endian integers, records as protobuf Record messages ----
 *
 * header   "SSSNAP02" | u32 format (2) | u16 node id | u16 0 | u64 end (wall ms)
 * records  u32 length | a Record (msg_rec_pack(), as in a Repl), repeated
 * trailer  "SSEND001" | u64 records | u64 XXH3 of the header (end 0), the
 *          records and then the end time
 * Format 1 (SSSNAP01: native byte order, fields one by one) is refused. */

static void
le32_put(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void
le64_put(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint32_t
le32_get(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t
le64_get(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

/* ---- writing ---- */

static void
snap_write(struct cp_repl_snap *s, const void *p, size_t n)
{
	if (s->failed)
		return;
	if (fwrite(p, 1, n, s->f) != n)
		s->failed = true;
	XXH3_64bits_update(s->hash, p, n);
}

/* Close and remove PATH.tmp; COUNT: as a failure. */
static void
snap_abandon(struct cp_repl_snap *s, bool count)
{
	if (s->f != NULL)
		fclose(s->f);
	s->f = NULL;
	unlink(s->tmp);
	s->active = false;
	if (count)
		s->counters[CP_REPL_SNAP_C_write_failed]++;
}

static int
snap_begin(struct cp_repl_snap *s)
{
	uint8_t hdr[SNAP_HDR_LEN];

	s->f = fopen(s->tmp, "wb");
	if (s->f == NULL) {
		s->counters[CP_REPL_SNAP_C_write_failed]++;
		return -errno;
	}
	XXH3_64bits_reset(s->hash);
	s->active = true;
	s->failed = false;
	s->shard = 0;
	s->bucket = 0;
	s->skip = 0;
	s->pending = 0;
	s->n = 0;
	memset(hdr, 0, sizeof(hdr));        /* the end time is written at the end */
	memcpy(hdr, SNAP_MAGIC, 8);
	le32_put(hdr + 8, SNAP_FORMAT);
	hdr[12] = (uint8_t)(s->self_id & 0xff);
	hdr[13] = (uint8_t)(s->self_id >> 8);
	snap_write(s, hdr, sizeof(hdr));
	return 0;
}

/* Trailer, end time in the header, fsync, rename, fsync of the directory. */
static int
snap_finish(struct cp_repl_snap *s, uint64_t end_wall_ms)
{
	uint8_t trl[SNAP_TRL_LEN], end[8];
	uint64_t h;
	char dir[CFG_PATH];
	int fd, rc = 0;

	/* the end time goes in the header, and into the hash as if written first */
	le64_put(end, end_wall_ms);
	if (!s->failed && (fseek(s->f, 16, SEEK_SET) != 0 ||
			   fwrite(end, 8, 1, s->f) != 1 || fseek(s->f, 0, SEEK_END) != 0))
		s->failed = true;
	XXH3_64bits_update(s->hash, end, 8);
	h = XXH3_64bits_digest(s->hash);
	memcpy(trl, SNAP_END, 8);
	le64_put(trl + 8, s->n);
	le64_put(trl + 16, h);
	if (!s->failed && fwrite(trl, 1, sizeof(trl), s->f) != sizeof(trl))
		s->failed = true;
	if (s->failed || fflush(s->f) != 0 || fsync(fileno(s->f)) != 0) {
		snap_abandon(s, true);
		return -EIO;
	}
	fclose(s->f);
	s->f = NULL;
	s->active = false;
	if (rename(s->tmp, s->path) != 0) {
		rc = -errno;
		unlink(s->tmp);
		s->counters[CP_REPL_SNAP_C_write_failed]++;
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", s->path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	s->last_wall_ms = end_wall_ms;
	s->counters[CP_REPL_SNAP_C_written]++;
	s->counters[CP_REPL_SNAP_C_records] = s->n;
	return 0;
}

void
cp_repl_snap_record(struct cp_repl_snap *s, const struct msg_rec *r)
{
	uint8_t buf[SNAP_REC_MAX];
	int len;

	if (s->pending > 0)
		s->pending--;
	if (!s->active || r == NULL)
		return;
	len = msg_rec_pack(r, buf + 4, sizeof(buf) - 4);
	if (len < 0) {          /* nothing the wire would carry either */
		s->counters[CP_REPL_SNAP_C_write_skipped]++;
		return;
	}
	le32_put(buf, (uint32_t)len);
	snap_write(s, buf, (size_t)len + 4);
	s->n++;
}

/* One dump query of the current shard, or the end. 1 when it did something. */
static unsigned int
snap_pass(struct cp_repl_snap *s, struct cp_repl_node *n)
{
	struct dp_sync_dump d;
	char arg[64], out[sizeof(d) + 1];
	int rc;

	if (s->pending > 0) {
		unsigned int k;

		for (k = 0; k < n->n_shards; k++)
			if (rte_ring_count(n->ev[k]) > 0)
				return 0;   /* the last chunk is still on an event ring */
		s->pending = 0;     /* none queued: they are not coming (never wait forever) */
	}
	if (s->shard >= n->n_shards) {
		snap_finish(s, cp_wall_ms());
		return 1;
	}
	snprintf(arg, sizeof(arg), "%u %u %u %u", s->self_id, s->bucket, s->skip,
		 CP_REPL_NODE_SYNC_CHUNK);
	rc = dp_shared_query(n->sh, s->shard, DP_QUERY_SYNC_DUMP, arg, out, sizeof(out), 100);
	if (rc != (int)sizeof(d))
		return 0;   /* retried at the next pass */
	memcpy(&d, out, sizeof(d));
	s->pending += d.emitted;
	s->bucket = d.bucket;
	s->skip = d.skip;
	if (s->bucket >= REG_DIGEST_BUCKETS) {
		s->shard++;
		s->bucket = 0;
		s->skip = 0;
	}
	return 1;
}

/* ---- public functions ---- */

void
cp_repl_snap_init(struct cp_repl_snap *s, const struct cfg *cfg, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", cfg->reg.snapshot_path);
	snprintf(s->tmp, sizeof(s->tmp), "%s.tmp", cfg->reg.snapshot_path);
	s->interval_ms = cfg->reg.snapshot_interval_s * 1000u;
	s->self_id = cfg->node_id;
	s->next_ms = now + s->interval_ms;
	s->hash = XXH3_createState();
}

void
cp_repl_snap_fini(struct cp_repl_snap *s)
{
	if (s->active)
		snap_abandon(s, false);
	XXH3_freeState(s->hash);
	s->hash = NULL;
}

unsigned int
cp_repl_snap_step(struct cp_repl_snap *s, struct cp_repl_node *n, uint64_t now, uint64_t wall)
{
	(void)wall;
	if (s->hash == NULL)
		return 0;
	if (!s->active) {
		if (now < s->next_ms)
			return 0;
		s->next_ms = now + s->interval_ms;
		return snap_begin(s) == 0 ? 1 : 0;
	}
	return snap_pass(s, n);
}

int
cp_repl_snap_now(struct cp_repl_snap *s, struct cp_repl_node *n, uint64_t timeout_ms)
{
	uint64_t end = cp_mono_ms() + timeout_ms, done = s->counters[CP_REPL_SNAP_C_written];
	struct timespec ts = { 0, 200000 };

	if (s->hash == NULL)
		return -ENOMEM;
	if (s->active)
		snap_abandon(s, false);   /* begun with older data: start again */
	if (snap_begin(s) != 0)
		return -EIO;
	while (s->active && cp_mono_ms() < end) {
		cp_repl_node_events(n, cp_mono_ms());   /* the chunks' events reach cp_repl_snap_record() */
		if (snap_pass(s, n) == 0)
			nanosleep(&ts, NULL);
	}
	if (s->active) {
		snap_abandon(s, true);
		return -ETIMEDOUT;
	}
	return s->counters[CP_REPL_SNAP_C_written] > done ? 0 : -EIO;
}

int
cp_repl_snap_load(struct cp_repl_snap *s, struct cp_repl_node *n, uint64_t wall, char *err,
		  size_t errlen)
{
	struct msg_rec *r = NULL;
	uint8_t *buf = NULL;
	uint64_t end_ms, count, h, want, loaded = 0, down_s;
	size_t len = 0, off;
	long sz;
	FILE *f = fopen(s->path, "rb");
	int rc = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || (uint64_t)sz > SNAP_FILE_MAX ||
	    fseek(f, 0, SEEK_SET) != 0) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: cannot size it, or larger than 4 GiB", s->path);
		goto out;
	}
	len = (size_t)sz;
	buf = malloc(len + 1);
	r = malloc(sizeof(*r));
	if (buf == NULL || r == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory (%zu bytes)", s->path, len);
		goto out;
	}
	if (fread(buf, 1, len, f) != len || len < SNAP_HDR_LEN + SNAP_TRL_LEN ||
	    memcmp(buf + len - SNAP_TRL_LEN, SNAP_END, 8) != 0 ||
	    (memcmp(buf, SNAP_MAGIC, 8) != 0 && memcmp(buf, SNAP_MAGIC_V1, 8) != 0)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a complete sipshard snapshot", s->path);
		goto out;
	}
	if (memcmp(buf, SNAP_MAGIC, 8) != 0 || le32_get(buf + 8) != SNAP_FORMAT) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: snapshot format 1 (an older sipshard), not loaded: "
			 "the node takes its bindings from its peers' sync", s->path);
		goto out;
	}
	end_ms = le64_get(buf + 16);
	count = le64_get(buf + len - 16);
	want = le64_get(buf + len - 8);
	{   /* as written: the header with a zero end time, the records, then the end time */
		XXH3_state_t *st = XXH3_createState();
		uint64_t zero = 0;

		if (st == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		XXH3_64bits_reset(st);
		XXH3_64bits_update(st, buf, 16);
		XXH3_64bits_update(st, &zero, 8);
		XXH3_64bits_update(st, buf + SNAP_HDR_LEN, len - SNAP_HDR_LEN - SNAP_TRL_LEN);
		XXH3_64bits_update(st, buf + 16, 8);
		h = XXH3_64bits_digest(st);
		XXH3_freeState(st);
	}
	if (h != want) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: checksum mismatch (damaged file)", s->path);
		goto out;
	}
	down_s = wall > end_ms ? (wall - end_ms + 999) / 1000 : 0;
	for (off = SNAP_HDR_LEN; off + 4 <= len - SNAP_TRL_LEN;) {
		uint32_t rl = le32_get(buf + off);

		off += 4;
		if (rl > len - SNAP_TRL_LEN - off) {
			s->counters[CP_REPL_SNAP_C_load_bad]++;
			break;
		}
		off += rl;
		if (msg_rec_unpack(buf + off - rl, rl, r) != 0) {
			s->counters[CP_REPL_SNAP_C_load_bad]++;
			continue;
		}
		if (!(r->flags & MSG_REC_F_TOMBSTONE)) {
			if ((uint64_t)r->expires_s <= down_s) {
				s->counters[CP_REPL_SNAP_C_load_expired]++;
				continue;
			}
			r->expires_s -= (uint32_t)down_s;
		}
		if ((loaded & 63) == 63)
			cp_repl_node_events(n, cp_mono_ms());   /* the applies' events: keep their ring drained */
		if (cp_repl_node_apply_rec(n, r, SNAP_LOAD_WAIT_MS) != 0) {
			s->counters[CP_REPL_SNAP_C_load_bad]++;
			continue;
		}
		loaded++;
	}
	s->counters[CP_REPL_SNAP_C_loaded] = loaded;
	rc = (int)(loaded > INT32_MAX ? INT32_MAX : loaded);
	if (count != s->counters[CP_REPL_SNAP_C_loaded] + s->counters[CP_REPL_SNAP_C_load_expired] +
		     s->counters[CP_REPL_SNAP_C_load_bad])
		snprintf(err, errlen, "%s: %llu records announced, %llu read", s->path,
			 (unsigned long long)count,
			 (unsigned long long)(loaded + s->counters[CP_REPL_SNAP_C_load_expired] +
					      s->counters[CP_REPL_SNAP_C_load_bad]));
out:
	free(r);
	free(buf);
	fclose(f);
	return rc;
}

const char *
cp_repl_snap_counter_name(unsigned int c)
{
	return c < CP_REPL_SNAP_COUNTER_MAX ? snap_names[c] : "?";
}

const char *
cp_repl_snap_counter_help(unsigned int c)
{
	return c < CP_REPL_SNAP_COUNTER_MAX ? snap_helps[c] : "?";
}
