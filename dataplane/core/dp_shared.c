/* SPDX-License-Identifier: BSD-3-Clause */
/* Memory shared with the control plane: counters, shard queries, node view. */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_memzone.h>
#include <rte_pause.h>

#include "dataplane/core/dp_shared.h"
#include "dataplane/proxy/lb_select.h"
#include "dataplane/registrar/reg_types.h"

/* ---- primary, main thread ---- */

struct dp_shared *
dp_shared_create(struct dp_ctx *ctx)
{
	const struct rte_memzone *mz;
	struct dp_shared *sh;
	unsigned int i;

	mz = rte_memzone_reserve(DP_SHARED_MZ, sizeof(*sh), (int)rte_socket_id(), 0);
	if (mz == NULL)
		return NULL;
	sh = mz->addr;
	memset(sh, 0, sizeof(*sh));
	sh->version = DP_SHARED_VERSION;
	sh->node_id = ctx->cfg->node_id;
	sh->n_workers = ctx->n_workers;
	sh->n_ports = ctx->n_ports;
	sh->start_tsc = ctx->start_tsc;
	sh->tsc_hz = rte_get_tsc_hz();
	sh->reg_hash_seed = ctx->reg_conf != NULL ? ctx->reg_conf->hash_seed : 0;
	for (i = 0; i <= ctx->n_workers; i++)
		sh->lcores[i] = ctx->lcores[i];
	for (i = 0; i < ctx->n_ports; i++) {
		sh->ports[i] = ctx->ports[i];
		sh->ports[i].device = NULL;
	}
	rte_spinlock_init(&sh->query_lock);
	rte_smp_wmb();
	sh->magic = DP_SHARED_MAGIC;
	return sh;
}

/* ---- any process, not a worker ---- */

struct dp_shared *
dp_shared_lookup(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(DP_SHARED_MZ);
	struct dp_shared *sh = mz != NULL ? mz->addr : NULL;

	if (sh == NULL || sh->magic != DP_SHARED_MAGIC || sh->version != DP_SHARED_VERSION)
		return NULL;
	return sh;
}

int
dp_shared_query(struct dp_shared *sh, unsigned int shard, enum dp_query_kind kind,
		const char *arg, char *out, size_t cap, unsigned int timeout_ms)
{
	struct dp_query *q;
	uint64_t deadline;
	uint32_t seq;
	int rc;

	if (shard >= sh->n_workers || cap == 0 || strlen(arg) >= DP_QUERY_ARG)
		return -EINVAL;
	q = &sh->query[shard];
	rte_spinlock_lock(&sh->query_lock);
	q->kind = kind;
	strcpy(q->arg, arg);
	seq = q->seq_req + 1;
	rte_smp_wmb();
	q->seq_req = seq;
	deadline = rte_rdtsc() + sh->tsc_hz / 1000 * timeout_ms;
	while (q->seq_done != seq && rte_rdtsc() < deadline && !sh->dp_stopping)
		rte_delay_us_sleep(50);
	if (q->seq_done != seq) {
		rc = -ETIMEDOUT;
	} else {
		rte_smp_rmb();
		rc = q->rc;
		if (rc == 0) {
			size_t n = RTE_MIN((size_t)q->len, cap - 1);

			memcpy(out, q->out, n);
			out[n] = '\0';
			rc = (int)n;
		}
	}
	rte_spinlock_unlock(&sh->query_lock);
	return rc;
}

int
dp_shared_ask(struct dp_shared *sh, enum dp_ask_set set, unsigned int shard,
	      enum dp_query_kind kind, const char *arg)
{
	struct dp_query *q;

	if (set >= DP_ASK_SETS || shard >= sh->n_workers || strlen(arg) >= DP_QUERY_ARG)
		return -EINVAL;
	q = &sh->ask[set][shard];
	if (q->seq_done != q->seq_req)
		return -EBUSY;          /* the worker may still be writing `out` */
	rte_smp_rmb();
	q->kind = kind;
	strcpy(q->arg, arg);
	rte_smp_wmb();
	q->seq_req = q->seq_req + 1;
	return 0;
}

int
dp_shared_answer(const struct dp_shared *sh, enum dp_ask_set set, unsigned int shard,
		 const char **out)
{
	const struct dp_query *q;

	if (set >= DP_ASK_SETS || shard >= sh->n_workers)
		return -EINVAL;
	q = &sh->ask[set][shard];
	if (q->seq_done != q->seq_req)
		return -EINPROGRESS;
	rte_smp_rmb();
	if (q->rc != 0)
		return q->rc;
	if (set == DP_ASK_SYNC) {
		*out = sh->sync_out[shard];
		return (int)RTE_MIN((size_t)q->len, sizeof(sh->sync_out[shard]));
	}
	*out = q->out;
	return (int)RTE_MIN((size_t)q->len, sizeof(q->out));
}

/* Copy min(*count, cap) elements of size `size` from a table published under the
 * sequence lock *seq (0: never published, odd: being written). Returns the
 * number copied; 0 when nothing consistent could be read. */
static unsigned int
seq_copy(const volatile uint32_t *seq, const volatile uint32_t *count, const void *table,
	 size_t size, void *out, unsigned int cap)
{
	uint32_t s, n;
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		s = *seq;
		if (s == 0)
			return 0;
		if (s & 1) {
			rte_pause();
			continue;
		}
		rte_smp_rmb();
		n = RTE_MIN(*count, cap);
		memcpy(out, table, n * size);
		rte_smp_rmb();
		if (*seq == s)
			return n;
	}
	return 0;
}

/* The writer's side of seq_copy(): N elements of SIZE from V into TABLE (at most
 * MAX) and *count, under the sequence lock *seq. */
static void
seq_publish(volatile uint32_t *seq, uint32_t *count, void *table, size_t size,
	    const void *v, unsigned int n, unsigned int max)
{
	n = RTE_MIN(n, max);
	(*seq)++;                   /* odd: writing */
	rte_smp_wmb();
	memcpy(table, v, n * size);
	*count = n;
	rte_smp_wmb();
	(*seq)++;
}

unsigned int
dp_shared_nodes(const struct dp_shared *sh, struct dp_node_view *out, unsigned int cap)
{
	return seq_copy(&sh->nodes_seq, &sh->n_nodes, sh->nodes, sizeof(*out), out, cap);
}

/* ---- any lcore, workers included ---- */

/* The node of the view with id ID (ID != 0) or else with ADDRESS, read under the
 * sequence lock into *out: 0, -ENOENT, or -EBUSY (the view kept changing). */
static int
node_lookup(const struct dp_shared *sh, uint16_t id, uint32_t address, struct dp_node_view *out)
{
	uint32_t s, n, i;
	int tries, rc;

	for (tries = 0; tries < DP_NODE_FIND_TRIES; tries++) {
		s = sh->nodes_seq;
		if (s == 0)
			return -ENOENT;
		if (s & 1) {
			rte_pause();
			continue;
		}
		rte_smp_rmb();
		n = RTE_MIN(sh->n_nodes, (uint32_t)DP_MAX_NODES);
		rc = -ENOENT;
		for (i = 0; i < n && rc != 0; i++)
			if (id != 0 ? sh->nodes[i].id == id : sh->nodes[i].address == address) {
				*out = sh->nodes[i];
				rc = 0;
			}
		rte_smp_rmb();
		if (sh->nodes_seq == s)
			return rc;
	}
	return -EBUSY;
}

int
dp_shared_node_find(const struct dp_shared *sh, uint16_t id, uint32_t *address)
{
	struct dp_node_view v;
	int rc = node_lookup(sh, id, 0, &v);

	if (rc < 0)
		return rc;
	*address = v.address;
	return memcmp(v.state, "up", 3) == 0 ? 1 : 0;
}

int
dp_shared_node_addr_find(const struct dp_shared *sh, uint32_t address)
{
	struct dp_node_view v;

	return node_lookup(sh, 0, address, &v);
}

int
dp_shared_vips(const struct dp_shared *sh, struct dp_vip *out, unsigned int cap, uint32_t *seq)
{
	static const uint8_t none[16];
	uint32_t s, n, i;
	unsigned int k;
	int tries;

	for (tries = 0; tries < DP_NODE_FIND_TRIES; tries++) {
		s = sh->tags_seq;
		*seq = s;
		if (s == 0)
			return 0;
		if (s & 1) {
			rte_pause();
			continue;
		}
		rte_smp_rmb();
		n = RTE_MIN(sh->n_tags, (uint32_t)DP_MAX_TAGS);
		for (i = 0, k = 0; i < n && k < cap; i++) {
			const struct dp_tag_view *t = &sh->tags[i];

			memset(&out[k], 0, sizeof(out[k]));
			if (t->vip != 0) {
				out[k].family = 4;
				out[k].addr = rte_cpu_to_be_32(t->vip);
			} else if (memcmp(t->vip6, none, sizeof(none)) != 0) {
				out[k].family = 6;
				memcpy(out[k].addr6, t->vip6, 16);
			} else {
				continue;
			}
			out[k].held = t->active != 0;
			k++;
		}
		rte_smp_rmb();
		if (sh->tags_seq == s)
			return (int)k;
	}
	return -EBUSY;
}

void
dp_shared_publish_bsets(struct dp_shared *sh, const struct dp_bset_view *v, unsigned int n)
{
	seq_publish(&sh->bsets_seq, &sh->n_bsets, sh->bsets, sizeof(*v), v, n, DP_MAX_BSETS);
}

int
dp_shared_bsets(const struct dp_shared *sh, struct dp_bset_view *out, unsigned int cap,
		uint32_t *seq)
{
	uint32_t s, n;
	int tries;

	for (tries = 0; tries < DP_NODE_FIND_TRIES; tries++) {
		s = sh->bsets_seq;
		*seq = s;
		if (s == 0)
			return -ENOENT;
		if (s & 1) {
			rte_pause();
			continue;
		}
		rte_smp_rmb();
		n = RTE_MIN(RTE_MIN(sh->n_bsets, (uint32_t)DP_MAX_BSETS), cap);
		memcpy(out, sh->bsets, n * sizeof(*out));
		rte_smp_rmb();
		if (sh->bsets_seq == s)
			return (int)n;
	}
	return -EBUSY;
}

void
dp_shared_detach_cp(struct dp_shared *sh)
{
	unsigned int waited = 0;

	if (sh == NULL)
		return;
	sh->dp_stopping = 1;
	rte_smp_mb();
	while ((sh->cp_attached || (sh->cp_pid > 0 && kill(sh->cp_pid, 0) == 0)) &&
	       waited < DP_CP_DETACH_MS) {
		rte_delay_us_sleep(1000);
		waited++;
	}
}

unsigned int
dp_shared_tags(const struct dp_shared *sh, struct dp_tag_view *out, unsigned int cap)
{
	return seq_copy(&sh->tags_seq, &sh->n_tags, sh->tags, sizeof(*out), out, cap);
}

void
dp_shared_publish_tags(struct dp_shared *sh, const struct dp_tag_view *v, unsigned int n)
{
	seq_publish(&sh->tags_seq, &sh->n_tags, sh->tags, sizeof(*v), v, n, DP_MAX_TAGS);
}

void
dp_shared_publish_nodes(struct dp_shared *sh, const struct dp_node_view *v, unsigned int n)
{
	seq_publish(&sh->nodes_seq, &sh->n_nodes, sh->nodes, sizeof(*v), v, n, DP_MAX_NODES);
}

unsigned int
dp_shared_repl_counters(const struct dp_shared *sh, struct dp_counter_view *out, unsigned int cap)
{
	return seq_copy(&sh->repl_seq, &sh->n_repl, sh->repl, sizeof(*out), out, cap);
}

void
dp_shared_publish_repl(struct dp_shared *sh, const struct dp_counter_view *v, unsigned int n)
{
	seq_publish(&sh->repl_seq, &sh->n_repl, sh->repl, sizeof(*v), v, n, DP_MAX_REPL_COUNTERS);
}

unsigned int
dp_shared_backends(const struct dp_shared *sh, struct dp_backend_view *out, unsigned int cap)
{
	return seq_copy(&sh->backends_seq, &sh->n_backends, sh->backends, sizeof(*out), out, cap);
}

/* ---- worker 0 (the prober) ---- */

void
dp_shared_publish_backends(struct dp_shared *sh, const struct lb_sets *s)
{
	struct lb_iter it = { 0, 0 };
	struct lb_member_info mi;
	unsigned int n = 0;

	sh->backends_seq++;            /* odd: writing */
	rte_smp_wmb();
	while (n < DP_MAX_BACKENDS && lb_member_next(s, &it, &mi) == 1) {
		struct dp_backend_view *v = &sh->backends[n++];
		const struct lb_health *h = &s->set[it.set].h[mi.member];

		v->set = mi.set;
		v->weight = mi.weight;
		v->misses = mi.misses;
		v->probes = h->probes;
		v->replies = h->replies;
		v->downs = h->downs;
		snprintf(v->state, sizeof(v->state), "%s", lb_state_name(mi.state));
		snprintf(v->uri, sizeof(v->uri), "%s", mi.uri);
	}
	sh->n_backends = n;
	rte_smp_wmb();
	sh->backends_seq++;
}
