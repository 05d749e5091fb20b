/* SPDX-License-Identifier: BSD-3-Clause */
/* Framing, HMAC and protobuf-c bodies of the cluster bus. See msg_codec.h. */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "proto/cluster.pb-c.h"
#include "proto/msg_codec.h"

static_assert(sizeof(struct msg_wire_hdr) == MSG_HDR_LEN, "wire header is 32 bytes");
static_assert(MSG_MAX_BODY <= UINT16_MAX, "body length is a 16-bit field");
#define MSG_SAME(a, b) ((int)(a) == (int)(b))
#define MSG_ASSERT_TYPE(NAME, name, value) \
	static_assert(MSG_SAME(MSG_T_##NAME, CLUSTER__MSG_TYPE__MSG_TYPE_##NAME), "MsgType " #name);
MSG_FOREACH_TYPE(MSG_ASSERT_TYPE)
#undef MSG_ASSERT_TYPE
#define MSG_ASSERT_CAP(NAME, name) \
	static_assert(MSG_SAME(MSG_CAP_##NAME, CLUSTER__CAPABILITY__CAPABILITY_##NAME), name);
MSG_FOREACH_CAP(MSG_ASSERT_CAP)
#undef MSG_ASSERT_CAP
static_assert(MSG_SAME(MSG_CAP_NOT_SYNCED, CLUSTER__CAP_STATE__CAP_STATE_NOT_SYNCED) &&
	      MSG_SAME(MSG_CAP_SYNCING, CLUSTER__CAP_STATE__CAP_STATE_SYNCING) &&
	      MSG_SAME(MSG_CAP_SYNCED, CLUSTER__CAP_STATE__CAP_STATE_SYNCED), "CapState values");

/* The largest record (every string full, both addresses IPv6, every integer at
 * its widest) fits the largest body. A sender with a smaller budget (the MTU of
 * the cluster port) refuses the records that do not fit it (cp_repl_tx_append:
 * -E2BIG); a usual binding is a few hundred bytes. */
static_assert(MSG_REC_AOR_MAX + MSG_REC_KEY_MAX + MSG_REC_CALLID_MAX + MSG_REC_URI_MAX +
	      MSG_REC_PATH_MAX + MSG_REC_TAG_MAX + MSG_REC_INST_MAX + 160 <= MSG_MAX_BODY,
	      "one record fits a Repl");
static_assert(MSG_REPL_BODY_MIN <= MSG_MAX_BODY, "minimum body within the maximum");
static_assert(MSG_REPL_BUCKETS <= UINT16_MAX + 1, "bucket indexes are 16-bit");

#define MSG_MAX_CAPS_RX  32             /* CapStatus entries accepted in a heartbeat */

/* A Digest's range: n in 1..MSG_DIGEST_MAX, span a power of two that divides
 * first, and the buckets covered within MSG_REPL_BUCKETS. */
static bool
msg_digest_range_ok(uint32_t first, uint32_t n, uint32_t span)
{
	return n >= 1 && n <= MSG_DIGEST_MAX && span >= 1 && span <= MSG_REPL_BUCKETS &&
	       (span & (span - 1)) == 0 && first % span == 0 &&
	       first + (uint64_t)n * span <= MSG_REPL_BUCKETS;
}

static const char *const msg_reject_names[MSG_REJECT_MAX] = {
	[MSG_REJECT_NONE] = "none",
#define MSG_REJECT_NAME(NAME, name, help) [MSG_REJECT_##NAME] = #name,
	MSG_FOREACH_REJECT(MSG_REJECT_NAME)
#undef MSG_REJECT_NAME
};

static const char *const msg_reject_helps[MSG_REJECT_MAX] = {
	[MSG_REJECT_NONE] = "accepted",
#define MSG_REJECT_HELP(NAME, name, help) [MSG_REJECT_##NAME] = help,
	MSG_FOREACH_REJECT(MSG_REJECT_HELP)
#undef MSG_REJECT_HELP
};

static const char *const msg_cap_names[MSG_CAP_MAX] = {
#define MSG_CAP_NAME(NAME, name) [MSG_CAP_##NAME] = name,
	MSG_FOREACH_CAP(MSG_CAP_NAME)
#undef MSG_CAP_NAME
};

static const char *const msg_cap_state_names[MSG_CAP_STATE_MAX] = {
	[MSG_CAP_NOT_SYNCED] = "not-synced",
	[MSG_CAP_SYNCING] = "syncing",
	[MSG_CAP_SYNCED] = "synced",
};

/* ---- header and HMAC ---- */

static void
msg_hdr_put(uint8_t *buf, const struct msg_hdr *h, size_t body_len)
{
	struct msg_wire_hdr w = {
		.magic = htobe32(MSG_MAGIC),
		.version = MSG_VERSION,
		.type = h->type,
		.flags = htobe16(h->flags),
		.body_len = htobe16((uint16_t)body_len),
		.cluster_id = htobe32(h->cluster_id),
		.sender = htobe16(h->sender),
		.incarnation = htobe64(h->incarnation),
		.seq = htobe64(h->seq),
	};

	memcpy(buf, &w, sizeof(w));
}

/* Keyed HMAC-SHA256 contexts, per thread, by key: OpenSSL's one-shot HMAC()
 * fetches the algorithm and keys a new context for every datagram (1.96 us for
 * 1400 bytes here); a keyed context re-initialised with its own key costs half
 * (1.02 us). A few keys at most are in use (a node has one; tests several): the
 * least recently used context is freed for a new key. msg_codec_fini() forgets
 * the codec's key here too. */
#define MSG_MAC_CACHE 4
static __thread struct {
	size_t len;
	uint8_t key[MSG_KEY_MAX];
	EVP_MAC_CTX *ctx;
	uint64_t used;
} msg_mac_cache[MSG_MAC_CACHE];
static __thread uint64_t msg_mac_clock;

static void
msg_mac_forget(int i)
{
	EVP_MAC_CTX_free(msg_mac_cache[i].ctx);
	OPENSSL_cleanse(msg_mac_cache[i].key, sizeof(msg_mac_cache[i].key));
	msg_mac_cache[i].ctx = NULL;
	msg_mac_cache[i].len = 0;
}

static EVP_MAC_CTX *
msg_mac_ctx(const uint8_t *key, size_t len)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;
	int i, lru = 0;

	for (i = 0; i < MSG_MAC_CACHE; i++) {
		if (msg_mac_cache[i].ctx != NULL && msg_mac_cache[i].len == len &&
		    CRYPTO_memcmp(msg_mac_cache[i].key, key, len) == 0) {
			msg_mac_cache[i].used = ++msg_mac_clock;
			return msg_mac_cache[i].ctx;
		}
		if (msg_mac_cache[i].used < msg_mac_cache[lru].used)
			lru = i;
	}
	msg_mac_forget(lru);
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return NULL;
	msg_mac_cache[lru].ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);      /* the context keeps its own reference */
	if (msg_mac_cache[lru].ctx == NULL)
		return NULL;
	if (EVP_MAC_init(msg_mac_cache[lru].ctx, key, len, params) != 1) {
		msg_mac_forget(lru);
		return NULL;
	}
	memcpy(msg_mac_cache[lru].key, key, len);
	msg_mac_cache[lru].len = len;
	msg_mac_cache[lru].used = ++msg_mac_clock;
	return msg_mac_cache[lru].ctx;
}

/* HMAC-SHA256 of (TO big-endian | DATA[0..LEN)) with the codec's key into MAC
 * (32 bytes). LEN <= MSG_HDR_LEN + MSG_MAX_BODY. */
static int
msg_hmac(struct msg_codec *c, uint16_t to, const uint8_t *data, size_t len, uint8_t *mac)
{
	const uint8_t to_be[2] = { (uint8_t)(to >> 8), (uint8_t)to };
	EVP_MAC_CTX *ctx;
	size_t mac_len = 0;

	if (len > MSG_HDR_LEN + MSG_MAX_BODY || c->key_len == 0 ||
	    (ctx = msg_mac_ctx(c->key, c->key_len)) == NULL)
		return -EIO;
	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(ctx, to_be, 2) != 1 ||
	    EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, mac, &mac_len, MSG_HMAC_LEN) != 1 || mac_len != MSG_HMAC_LEN)
		return -EIO;
	return 0;
}

/* The HMAC of the frame at BUF checks for receiver TO (constant time). */
static bool
msg_hmac_ok(struct msg_codec *c, uint16_t to, const uint8_t *buf, size_t body_len)
{
	uint8_t mac[MSG_HMAC_LEN];

	return msg_hmac(c, to, buf, MSG_HDR_LEN + body_len, mac) == 0 &&
	       CRYPTO_memcmp(mac, buf + MSG_HDR_LEN + body_len, MSG_HMAC_LEN) == 0;
}


/* ---- replication bodies: checks shared by encoder and decoder ---- */

/* A NUL-terminated string within MAX bytes (NUL included), printable ASCII only,
 * non-empty when REQUIRED. */
static bool
msg_str_ok(const char *s, size_t max, bool required)
{
	const char *end = memchr(s, '\0', max);
	const char *p;

	if (end == NULL || (required && end == s))
		return false;
	for (p = s; p < end; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

static bool
msg_addr_ok(const struct msg_addr *a, bool required)
{
	size_t i, len;

	if (a->family == 0) {
		for (i = 0; i < sizeof(a->addr); i++)
			if (a->addr[i] != 0)
				return false;
		return !required && a->port == 0;
	}
	if (a->family != 4 && a->family != 6)
		return false;
	len = a->family == 4 ? 4 : 16;
	for (i = len; i < sizeof(a->addr); i++)
		if (a->addr[i] != 0)
			return false;
	return a->port != 0;
}

static bool
msg_version_ok(const struct msg_version *v)
{
	return v->counter != 0 && v->origin != 0;
}

int
msg_rec_check(const struct msg_rec *r)
{
	bool live = !(r->flags & MSG_REC_F_TOMBSTONE);

	if (r->flags & MSG_REC_F_DIR) {
		/* a directory entry: AoR, version, and a home and lifetime when live */
		if (!msg_version_ok(&r->version) || (r->flags & ~MSG_REC_F_KNOWN) != 0 ||
		    !msg_str_ok(r->aor, sizeof(r->aor), true) ||
		    !msg_str_ok(r->key, sizeof(r->key), false) ||
		    (live && (r->expires_s == 0 || r->sock_node == 0)))
			return -EINVAL;
		return 0;
	}
	if (!msg_version_ok(&r->version) || (r->flags & ~MSG_REC_F_KNOWN) != 0 ||
	    r->q > MSG_REC_Q_MAX ||
	    !msg_str_ok(r->aor, sizeof(r->aor), true) ||
	    !msg_str_ok(r->key, sizeof(r->key), true) ||
	    !msg_str_ok(r->call_id, sizeof(r->call_id), live && r->call_id_hash == 0) ||
	    !msg_str_ok(r->instance, sizeof(r->instance), false) ||
	    !msg_str_ok(r->uri, sizeof(r->uri), live) ||
	    !msg_str_ok(r->path, sizeof(r->path), false) ||
	    !msg_str_ok(r->tag, sizeof(r->tag), false) ||
	    !msg_addr_ok(&r->received, live) || !msg_addr_ok(&r->sock, live))
		return -EINVAL;
	if (live && (r->expires_s == 0 || r->sock_node == 0))
		return -EINVAL;
	return 0;
}

static bool
msg_keyver_ok(const struct msg_keyver *k)
{
	return msg_version_ok(&k->version) && (k->flags & ~MSG_REC_F_KNOWN) == 0 &&
	       msg_str_ok(k->aor, sizeof(k->aor), true) &&
	       msg_str_ok(k->key, sizeof(k->key), true);
}

static bool
msg_key_ok(const struct msg_key *k)
{
	return msg_str_ok(k->aor, sizeof(k->aor), true) &&
	       msg_str_ok(k->key, sizeof(k->key), true);
}

/* ---- replication bodies: struct msg -> protobuf ---- */

/* Optional string: absent when empty (the decoder gives "" back). */
static char *
msg_str_to_pb(const char *s)
{
	return s[0] != '\0' ? (char *)(uintptr_t)s : NULL;
}

static Cluster__Addr *
msg_addr_to_pb(const struct msg_addr *a, Cluster__Addr *pb)
{
	if (a->family == 0)
		return NULL;
	cluster__addr__init(pb);
	pb->family = a->family;
	pb->addr.data = (uint8_t *)(uintptr_t)a->addr;
	pb->addr.len = a->family == 4 ? 4 : 16;
	pb->port = a->port;
	return pb;
}

/* Fills PB (and its two addresses) from R, pointing into R. */
static void
msg_rec_to_pb(const struct msg_rec *r, Cluster__Record *pb, Cluster__Addr *addrs)
{
	cluster__record__init(pb);
	pb->aor = (char *)(uintptr_t)r->aor;
	pb->contact_key = (char *)(uintptr_t)r->key;
	pb->counter = r->version.counter;
	pb->origin = r->version.origin;
	pb->has_flags = r->flags != 0;
	pb->flags = r->flags;
	pb->call_id = msg_str_to_pb(r->call_id);
	pb->has_cseq = r->cseq != 0;
	pb->cseq = r->cseq;
	pb->has_expires_s = r->expires_s != 0;
	pb->expires_s = r->expires_s;
	pb->uri = msg_str_to_pb(r->uri);
	pb->has_q = r->q != 0;
	pb->q = r->q;
	pb->received = msg_addr_to_pb(&r->received, &addrs[0]);
	pb->path = msg_str_to_pb(r->path);
	pb->has_socket_node = r->sock_node != 0;
	pb->socket_node = r->sock_node;
	pb->socket = msg_addr_to_pb(&r->sock, &addrs[1]);
	pb->tag = msg_str_to_pb(r->tag);
	pb->instance = msg_str_to_pb(r->instance);
	pb->has_reg_id = r->reg_id != 0;
	pb->reg_id = r->reg_id;
	pb->has_call_id_hash = r->call_id_hash != 0;
	pb->call_id_hash = r->call_id_hash;
	pb->has_socket_port_index = r->sock_port_index != 0;
	pb->socket_port_index = r->sock_port_index;
}

static void
msg_keyver_to_pb(const struct msg_keyver *k, Cluster__KeyVersion *pb)
{
	cluster__key_version__init(pb);
	pb->aor = (char *)(uintptr_t)k->aor;
	pb->contact_key = (char *)(uintptr_t)k->key;
	pb->counter = k->version.counter;
	pb->origin = k->version.origin;
	pb->has_flags = k->flags != 0;
	pb->flags = k->flags;
}

/* Bytes of a varint. */
static size_t
msg_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Bytes an embedded message of SIZE takes in a repeated field (tag < 16). */
static size_t
msg_embedded_len(size_t size)
{
	return 1 + msg_varint_len(size) + size;
}

/* Worst-case bytes of the non-repeated fields of a BucketKeys (of a Repl:
 * MSG_REPL_FIXED_LEN, msg_codec.h). */
#define MSG_KEYS_FIXED_LEN  (1 + 5 + 1 + 5 + 1 + 1)

size_t
msg_repl_rec_len(const struct msg_rec *r)
{
	Cluster__Record pb;
	Cluster__Addr addrs[2];

	if (msg_rec_check(r) < 0)
		return 0;
	msg_rec_to_pb(r, &pb, addrs);
	return msg_embedded_len(protobuf_c_message_get_packed_size(&pb.base));
}

int
msg_repl_fit(const struct msg_rec *recs, int n, size_t max_body)
{
	size_t total = MSG_REPL_FIXED_LEN, len;
	int i;

	if (max_body < MSG_REPL_BODY_MIN || max_body > MSG_MAX_BODY)
		max_body = MSG_MAX_BODY;
	for (i = 0; i < n && i < MSG_REPL_MAX_RECS; i++) {
		len = msg_repl_rec_len(&recs[i]);
		if (len == 0)
			return i == 0 ? -EINVAL : i;
		total += len;
		if (total > max_body)
			break;
	}
	return i;
}

int
msg_keys_fit(const struct msg_keyver *keys, int n, size_t max_body)
{
	Cluster__KeyVersion pb;
	size_t total = MSG_KEYS_FIXED_LEN;
	int i;

	if (max_body < MSG_REPL_BODY_MIN || max_body > MSG_MAX_BODY)
		max_body = MSG_MAX_BODY;
	for (i = 0; i < n && i < MSG_KEYS_MAX; i++) {
		if (!msg_keyver_ok(&keys[i]))
			return i == 0 ? -EINVAL : i;
		msg_keyver_to_pb(&keys[i], &pb);
		total += msg_embedded_len(protobuf_c_message_get_packed_size(&pb.base));
		if (total > max_body)
			break;
	}
	return i;
}

/* A tag NAME: 1..MSG_TAG_NAME-1 RFC 3261 token characters. */
static bool
msg_tag_name_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap), i;

	if (n == 0 || n >= cap)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("-.!%*_+`'~", ch) != NULL))
			return false;
	}
	return true;
}

/* One tag entry: name, cluster >= 1, owner 0 exactly when term is 0. */
static bool
msg_tag_entry_ok(const char *name, size_t cap, uint64_t cluster, uint64_t term,
		 uint64_t owner, uint64_t owner_prio, uint64_t prio)
{
	return msg_tag_name_ok(name, cap) && cluster >= 1 && cluster <= UINT32_MAX &&
	       owner <= UINT16_MAX && (term == 0) == (owner == 0) && owner_prio <= 255 &&
	       prio <= 255;
}

/* TagTable and TagAck: packed into OUT, length or -errno. */
static int
msg_tags_body_pack(const struct msg *m, uint8_t *out, size_t cap)
{
	Cluster__TagEntry ents[MSG_TAGS_MAX], *entp[MSG_TAGS_MAX];
	Cluster__TagTable table;
	Cluster__TagAck ack;
	const struct msg_tags *t = &m->u.tags;
	ProtobufCMessage *pb;
	size_t i, size;

	if (t->n == 0 || t->n > MSG_TAGS_MAX)
		return -EINVAL;
	for (i = 0; i < t->n; i++) {
		const struct msg_tag_entry *e = &t->e[i];

		if (!msg_tag_entry_ok(e->name, sizeof(e->name), e->cluster, e->term, e->owner,
				      e->owner_priority, e->priority) ||
		    (e->prev_owner == 0) != (e->switch_ms == 0))
			return -EINVAL;
		cluster__tag_entry__init(&ents[i]);
		ents[i].name = (char *)(uintptr_t)e->name;
		ents[i].cluster = e->cluster;
		ents[i].term = e->term;
		ents[i].has_owner = e->owner != 0;
		ents[i].owner = e->owner;
		ents[i].has_owner_priority = e->owner_priority != 0;
		ents[i].owner_priority = e->owner_priority;
		ents[i].has_candidate = e->candidate;
		ents[i].candidate = e->candidate;
		ents[i].has_priority = e->priority != 0;
		ents[i].priority = e->priority;
		ents[i].has_prev_owner = e->prev_owner != 0;
		ents[i].prev_owner = e->prev_owner;
		ents[i].has_switch_wall_ms = e->switch_ms != 0;
		ents[i].switch_wall_ms = e->switch_ms;
		entp[i] = &ents[i];
	}
	if (m->hdr.type == MSG_T_TAG_TABLE) {
		cluster__tag_table__init(&table);
		table.n_tags = t->n;
		table.tags = entp;
		table.has_claim = t->claim;
		table.claim = t->claim;
		pb = &table.base;
	} else {
		cluster__tag_ack__init(&ack);
		ack.n_tags = t->n;
		ack.tags = entp;
		pb = &ack.base;
	}
	size = protobuf_c_message_get_packed_size(pb);
	if (size > MSG_MAX_BODY || size > cap)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(pb, out);
}

/* A backend state: set 1..65535, term and version >= 1, members 1..32, no
 * bit of up at or above members. */
static bool
msg_bstate_ok(uint64_t set, uint64_t term, uint64_t version, uint64_t members, uint64_t up)
{
	return set >= 1 && set <= UINT16_MAX && term >= 1 && version >= 1 && members >= 1 &&
	       members <= MSG_BSTATE_MEMBERS && up <= UINT32_MAX &&
	       (members == 32 || (up >> members) == 0);
}

/* BackendStates: packed into OUT, length or -errno. */
static int
msg_bstates_body_pack(const struct msg *m, uint8_t *out, size_t cap)
{
	Cluster__BackendState ents[MSG_BSTATES_MAX], *entp[MSG_BSTATES_MAX];
	Cluster__BackendStates bs;
	const struct msg_bstates *b = &m->u.bstates;
	size_t i, size;

	if (b->n == 0 || b->n > MSG_BSTATES_MAX)
		return -EINVAL;
	for (i = 0; i < b->n; i++) {
		const struct msg_bstate *e = &b->e[i];

		if (!msg_bstate_ok(e->set, e->term, e->version, e->members, e->up))
			return -EINVAL;
		cluster__backend_state__init(&ents[i]);
		ents[i].set = e->set;
		ents[i].term = e->term;
		ents[i].version = e->version;
		ents[i].members = e->members;
		ents[i].up = e->up;
		entp[i] = &ents[i];
	}
	cluster__backend_states__init(&bs);
	bs.n_sets = b->n;
	bs.sets = entp;
	size = protobuf_c_message_get_packed_size(&bs.base);
	if (size > MSG_MAX_BODY || size > cap)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(&bs.base, out);
}

/* The replication bodies: packed into OUT, length or -errno. */
static int
msg_repl_body_pack(const struct msg *m, uint8_t *out, size_t cap)
{
	Cluster__Record recs[MSG_REPL_MAX_RECS], *recp[MSG_REPL_MAX_RECS];
	Cluster__Addr addrs[MSG_REPL_MAX_RECS][2];
	Cluster__KeyVersion kv[MSG_KEYS_MAX], *kvp[MSG_KEYS_MAX];
	Cluster__Key keys[MSG_PULL_KEYS_MAX], *keyp[MSG_PULL_KEYS_MAX];
	uint32_t buckets[MSG_PULL_BUCKETS_MAX];
	Cluster__Repl repl;
	Cluster__ReplAck ack;
	Cluster__Digest dg;
	Cluster__BucketKeys bk;
	Cluster__BucketPull pull;
	Cluster__SyncRequest sreq;
	Cluster__SyncDone sdone;
	Cluster__SyncChunk chunk;
	ProtobufCMessage *pb;
	size_t i, size;

	switch (m->hdr.type) {
	case MSG_T_REPL: {
		const struct msg_repl *r = &m->u.repl;

		if (r->n == 0 || r->n > MSG_REPL_MAX_RECS || r->first_seq == 0 ||
		    r->first_seq > UINT64_MAX - r->n)
			return -EINVAL;
		for (i = 0; i < r->n; i++) {
			if (msg_rec_check(&r->recs[i]) < 0)
				return -EINVAL;
			msg_rec_to_pb(&r->recs[i], &recs[i], addrs[i]);
			recp[i] = &recs[i];
		}
		cluster__repl__init(&repl);
		repl.epoch = r->epoch;
		repl.first_seq = r->first_seq;
		repl.n_records = r->n;
		repl.records = recp;
		pb = &repl.base;
		break;
	}
	case MSG_T_REPL_ACK:
	case MSG_T_SYNC_CHUNK_ACK:
		if (m->u.ack.stream_incarnation == 0)
			return -EINVAL;
		cluster__repl_ack__init(&ack);
		ack.stream_incarnation = m->u.ack.stream_incarnation;
		ack.epoch = m->u.ack.epoch;
		ack.cum_seq = m->u.ack.cum_seq;
		pb = &ack.base;
		break;
	case MSG_T_DIGEST: {
		const struct msg_digest *d = &m->u.digest;

		if (!msg_digest_range_ok(d->first_bucket, d->n, d->span))
			return -EINVAL;
		cluster__digest__init(&dg);
		dg.first_bucket = d->first_bucket;
		dg.has_span = d->span != 1;
		dg.span = d->span;
		dg.n_digests = d->n;
		dg.digests = (uint64_t *)(uintptr_t)d->digests;
		pb = &dg.base;
		break;
	}
	case MSG_T_BUCKET_KEYS: {
		const struct msg_bucket_keys *k = &m->u.keys;

		if (k->bucket >= MSG_REPL_BUCKETS || k->n > MSG_KEYS_MAX)
			return -EINVAL;
		for (i = 0; i < k->n; i++) {
			if (!msg_keyver_ok(&k->keys[i]))
				return -EINVAL;
			msg_keyver_to_pb(&k->keys[i], &kv[i]);
			kvp[i] = &kv[i];
		}
		cluster__bucket_keys__init(&bk);
		bk.bucket = k->bucket;
		bk.part = k->part;
		bk.has_last = k->last;
		bk.last = k->last;
		bk.n_keys = k->n;
		bk.keys = kvp;
		pb = &bk.base;
		break;
	}
	case MSG_T_SYNC_REQUEST:
		cluster__sync_request__init(&sreq);
		pb = &sreq.base;
		break;
	case MSG_T_SYNC_CHUNK:
	case MSG_T_REPL_PACK: {
		const struct msg_pack *c = &m->u.pack;

		if (c->seq == 0 || c->count == 0 || c->count > MSG_PACK_MAX_RECS ||
		    c->count > c->len || c->len > MSG_PACK_MAX || c->seq > UINT64_MAX - c->count)
			return -EINVAL;
		cluster__sync_chunk__init(&chunk);
		chunk.epoch = c->epoch;
		chunk.seq = c->seq;
		chunk.age_ms = c->age_ms;
		chunk.count = c->count;
		chunk.records.len = c->len;
		chunk.records.data = (uint8_t *)(uintptr_t)c->data;
		pb = &chunk.base;
		break;
	}
	case MSG_T_SYNC_DONE:
		if (m->u.done.stream_incarnation == 0)
			return -EINVAL;
		cluster__sync_done__init(&sdone);
		sdone.stream_incarnation = m->u.done.stream_incarnation;
		sdone.epoch = m->u.done.epoch;
		sdone.records = m->u.done.records;
		pb = &sdone.base;
		break;
	case MSG_T_BUCKET_PULL: {
		const struct msg_bucket_pull *p = &m->u.pull;

		if (p->n_keys > MSG_PULL_KEYS_MAX || p->n_buckets > MSG_PULL_BUCKETS_MAX ||
		    p->n_keys + p->n_buckets == 0)
			return -EINVAL;
		for (i = 0; i < p->n_keys; i++) {
			if (!msg_key_ok(&p->keys[i]))
				return -EINVAL;
			cluster__key__init(&keys[i]);
			keys[i].aor = (char *)(uintptr_t)p->keys[i].aor;
			keys[i].contact_key = (char *)(uintptr_t)p->keys[i].key;
			keyp[i] = &keys[i];
		}
		for (i = 0; i < p->n_buckets; i++) {
			if (p->buckets[i] >= MSG_REPL_BUCKETS)
				return -EINVAL;
			buckets[i] = p->buckets[i];
		}
		cluster__bucket_pull__init(&pull);
		pull.n_keys = p->n_keys;
		pull.keys = keyp;
		pull.n_buckets = p->n_buckets;
		pull.buckets = buckets;
		pb = &pull.base;
		break;
	}
	default:
		return -EINVAL;
	}
	size = protobuf_c_message_get_packed_size(pb);
	if (size > MSG_MAX_BODY || size > cap)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(pb, out);
}

/* ---- bodies: struct msg -> protobuf ---- */

static void
msg_node_to_pb(const struct msg_node *n, Cluster__NodeInfo *pb)
{
	cluster__node_info__init(pb);
	pb->node_id = n->id;
	pb->ipv4 = n->addr;
	pb->port = n->port;
}

static bool
msg_node_ok(const struct msg_node *n)
{
	return n->id != 0 && n->port != 0;
}

/* Packs the body of M into OUT; returns its length or -errno. */
static int
msg_body_pack(const struct msg *m, uint8_t *out, size_t cap)
{
	Cluster__NodeInfo nodes[MSG_MAX_NODES], *nodep[MSG_MAX_NODES];
	Cluster__PeerSeen seen[MSG_MAX_NODES], *seenp[MSG_MAX_NODES];
	Cluster__CapStatus caps[MSG_CAP_MAX], *capp[MSG_CAP_MAX];
	Cluster__Heartbeat hb;
	Cluster__Join join;
	Cluster__Adopt adopt;
	Cluster__Announce ann;
	Cluster__Leave leave;
	ProtobufCMessage *pb;
	size_t i, n, size;

	switch (m->hdr.type) {
	case MSG_T_HEARTBEAT: {
		const struct msg_heartbeat *h = &m->u.hb;

		if (!msg_node_ok(&h->node) || h->n_seen > MSG_MAX_NODES)
			return -EINVAL;
		cluster__heartbeat__init(&hb);
		msg_node_to_pb(&h->node, &nodes[0]);
		hb.node = &nodes[0];
		hb.incarnation = h->incarnation;
		hb.cluster_id = h->cluster_id;
		for (i = 0; i < h->n_seen; i++) {
			if (h->seen[i].id == 0)
				return -EINVAL;
			cluster__peer_seen__init(&seen[i]);
			seen[i].node_id = h->seen[i].id;
			seen[i].incarnation = h->seen[i].incarnation;
			seen[i].last_seq = h->seen[i].last_seq;
			seenp[i] = &seen[i];
		}
		hb.n_hears = h->n_seen;
		hb.hears = seenp;
		for (i = 0; i < MSG_CAP_MAX; i++) {
			if (h->caps[i] >= MSG_CAP_STATE_MAX)
				return -EINVAL;
			cluster__cap_status__init(&caps[i]);
			caps[i].capability = (uint32_t)i;
			caps[i].state = h->caps[i];
			capp[i] = &caps[i];
		}
		hb.n_caps = MSG_CAP_MAX;
		hb.caps = capp;
		if (h->leaving) {
			hb.has_leaving = 1;
			hb.leaving = 1;
		}
		pb = &hb.base;
		break;
	}
	case MSG_T_JOIN:
		if (!msg_node_ok(&m->u.join.node))
			return -EINVAL;
		cluster__join__init(&join);
		msg_node_to_pb(&m->u.join.node, &nodes[0]);
		join.node = &nodes[0];
		pb = &join.base;
		break;
	case MSG_T_ADOPT:
	case MSG_T_ANNOUNCE:
		n = m->u.members.n;
		if (n > MSG_MAX_NODES)
			return -EINVAL;
		for (i = 0; i < n; i++) {
			if (!msg_node_ok(&m->u.members.nodes[i]))
				return -EINVAL;
			msg_node_to_pb(&m->u.members.nodes[i], &nodes[i]);
			nodep[i] = &nodes[i];
		}
		if (m->hdr.type == MSG_T_ADOPT) {
			cluster__adopt__init(&adopt);
			adopt.n_members = n;
			adopt.members = nodep;
			pb = &adopt.base;
		} else {
			cluster__announce__init(&ann);
			ann.n_members = n;
			ann.members = nodep;
			pb = &ann.base;
		}
		break;
	case MSG_T_LEAVE:
		cluster__leave__init(&leave);
		if (memchr(m->u.leave.reason, '\0', sizeof(m->u.leave.reason)) == NULL)
			return -EINVAL;
		if (m->u.leave.reason[0] != '\0')
			leave.reason = (char *)(uintptr_t)m->u.leave.reason;
		pb = &leave.base;
		break;
	case MSG_T_REPL:
	case MSG_T_REPL_ACK:
	case MSG_T_DIGEST:
	case MSG_T_BUCKET_KEYS:
	case MSG_T_BUCKET_PULL:
	case MSG_T_SYNC_REQUEST:
	case MSG_T_SYNC_DONE:
	case MSG_T_SYNC_CHUNK:
	case MSG_T_SYNC_CHUNK_ACK:
	case MSG_T_REPL_PACK:
		return msg_repl_body_pack(m, out, cap);
	case MSG_T_TAG_TABLE:
	case MSG_T_TAG_ACK:
		return msg_tags_body_pack(m, out, cap);
	case MSG_T_BACKEND_STATES:
		return msg_bstates_body_pack(m, out, cap);
	default:
		return -EINVAL;
	}
	size = protobuf_c_message_get_packed_size(pb);
	if (size > MSG_MAX_BODY || size > cap)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(pb, out);
}

/* ---- bodies: protobuf -> struct msg (network input: check everything) ---- */

static bool
msg_node_from_pb(const Cluster__NodeInfo *pb, struct msg_node *n)
{
	if (pb == NULL || pb->node_id == 0 || pb->node_id > UINT16_MAX ||
	    pb->port == 0 || pb->port > UINT16_MAX)
		return false;
	n->id = (uint16_t)pb->node_id;
	n->addr = pb->ipv4;
	n->port = (uint16_t)pb->port;
	return true;
}

static enum msg_reject
msg_hb_from_pb(const Cluster__Heartbeat *pb, struct msg *m)
{
	struct msg_heartbeat *h = &m->u.hb;
	size_t i;

	if (!msg_node_from_pb(pb->node, &h->node) || h->node.id != m->hdr.sender ||
	    pb->incarnation != m->hdr.incarnation || pb->cluster_id != m->hdr.cluster_id ||
	    pb->n_hears > MSG_MAX_NODES || pb->n_caps > MSG_MAX_CAPS_RX)
		return MSG_REJECT_BAD_FIELD;
	h->incarnation = pb->incarnation;
	h->cluster_id = pb->cluster_id;
	h->leaving = pb->has_leaving && pb->leaving;
	h->n_seen = (uint16_t)pb->n_hears;
	for (i = 0; i < pb->n_hears; i++) {
		const Cluster__PeerSeen *s = pb->hears[i];

		if (s == NULL || s->node_id == 0 || s->node_id > UINT16_MAX)
			return MSG_REJECT_BAD_FIELD;
		h->seen[i].id = (uint16_t)s->node_id;
		h->seen[i].incarnation = s->incarnation;
		h->seen[i].last_seq = s->last_seq;
	}
	for (i = 0; i < pb->n_caps; i++) {
		const Cluster__CapStatus *cs = pb->caps[i];

		if (cs == NULL || cs->state >= MSG_CAP_STATE_MAX)
			return MSG_REJECT_BAD_FIELD;
		if (cs->capability < MSG_CAP_MAX)       /* newer capabilities: ignored */
			h->caps[cs->capability] = (uint8_t)cs->state;
	}
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_members_from_pb(Cluster__NodeInfo *const *list, size_t n, struct msg *m)
{
	size_t i;

	if (n > MSG_MAX_NODES)
		return MSG_REJECT_BAD_FIELD;
	for (i = 0; i < n; i++)
		if (!msg_node_from_pb(list[i], &m->u.members.nodes[i]))
			return MSG_REJECT_BAD_FIELD;
	m->u.members.n = (uint16_t)n;
	return MSG_REJECT_NONE;
}

/* Copies a reason string, truncated, with anything not printable ASCII as '?'. */
static void
msg_reason_copy(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i < MSG_REASON_MAX - 1; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

/* ---- protobuf-c's allocations while unpacking ---- */

/* What protobuf-c allocates to unpack one body (the message, its records and
 * their strings) comes from a per-thread bump arena that the next unpack starts
 * over; beyond it (never, for a body of at most MSG_MAX_BODY), from malloc. A
 * Repl of 9 records was ~40 malloc and free calls. */
#define MSG_ARENA_SIZE  (64 * 1024)

static __thread struct {
	size_t used;
	unsigned int live;              /* allocations not freed yet: 0 = start over */
	_Alignas(16) uint8_t buf[MSG_ARENA_SIZE];
} msg_arena;

static void *
msg_arena_get(void *data, size_t size)
{
	size_t at = (msg_arena.used + 15u) & ~(size_t)15u;

	(void)data;
	if (msg_arena.live == 0)
		at = 0;
	if (size > MSG_ARENA_SIZE || at > MSG_ARENA_SIZE - size)
		return malloc(size);
	msg_arena.used = at + size;
	msg_arena.live++;
	return msg_arena.buf + at;
}

static void
msg_arena_put(void *data, void *ptr)
{
	(void)data;
	if ((uint8_t *)ptr >= msg_arena.buf && (uint8_t *)ptr < msg_arena.buf + MSG_ARENA_SIZE) {
		msg_arena.live--;
		return;
	}
	free(ptr);
}

static ProtobufCAllocator msg_arena_alloc = {
	.alloc = msg_arena_get,
	.free = msg_arena_put,
	.allocator_data = NULL,
};

/* ---- replication bodies: protobuf -> struct msg ---- */

/* Copies a protobuf string into DST (MAX bytes, NUL included); NULL is "". */
static bool
msg_str_from_pb(char *dst, size_t max, const char *src, bool required)
{
	size_t len = src != NULL ? strnlen(src, max) : 0;

	if (len >= max)
		return false;
	memcpy(dst, src != NULL ? src : "", len);
	dst[len] = '\0';
	return msg_str_ok(dst, max, required);
}

static bool
msg_addr_from_pb(const Cluster__Addr *pb, struct msg_addr *a)
{
	if (pb == NULL)
		return true;            /* absent: family 0 */
	if ((pb->family != 4 && pb->family != 6) ||
	    pb->addr.len != (pb->family == 4 ? 4u : 16u) ||
	    pb->port == 0 || pb->port > UINT16_MAX)
		return false;
	a->family = (uint8_t)pb->family;
	a->port = (uint16_t)pb->port;
	memcpy(a->addr, pb->addr.data, pb->addr.len);
	return true;
}

static bool
msg_version_from_pb(uint64_t counter, uint32_t origin, struct msg_version *v)
{
	if (counter == 0 || origin == 0 || origin > UINT16_MAX)
		return false;
	v->counter = counter;
	v->origin = (uint16_t)origin;
	return true;
}

static bool
msg_rec_from_pb(const Cluster__Record *pb, struct msg_rec *r)
{
	memset(r, 0, offsetof(struct msg_rec, aor));   /* the strings are copied, NUL-ended */
	if (pb == NULL || !msg_version_from_pb(pb->counter, pb->origin, &r->version) ||
	    (pb->has_q && pb->q > MSG_REC_Q_MAX) ||
	    (pb->has_socket_node && pb->socket_node > UINT16_MAX) ||
	    (pb->has_socket_port_index && pb->socket_port_index > UINT8_MAX))
		return false;
	r->reg_id = pb->has_reg_id ? pb->reg_id : 0;
	r->call_id_hash = pb->has_call_id_hash ? pb->call_id_hash : 0;
	r->sock_port_index = pb->has_socket_port_index ? (uint8_t)pb->socket_port_index : 0;
	r->flags = pb->has_flags ? (pb->flags & MSG_REC_F_KNOWN) : 0;
	r->cseq = pb->has_cseq ? pb->cseq : 0;
	r->expires_s = pb->has_expires_s ? pb->expires_s : 0;
	r->q = pb->has_q ? (uint16_t)pb->q : 0;
	r->sock_node = pb->has_socket_node ? (uint16_t)pb->socket_node : 0;
	if (!msg_str_from_pb(r->aor, sizeof(r->aor), pb->aor, true) ||
	    !msg_str_from_pb(r->key, sizeof(r->key), pb->contact_key,
			     !(r->flags & MSG_REC_F_DIR)) ||
	    !msg_str_from_pb(r->call_id, sizeof(r->call_id), pb->call_id, false) ||
	    !msg_str_from_pb(r->uri, sizeof(r->uri), pb->uri, false) ||
	    !msg_str_from_pb(r->path, sizeof(r->path), pb->path, false) ||
	    !msg_str_from_pb(r->tag, sizeof(r->tag), pb->tag, false) ||
	    !msg_str_from_pb(r->instance, sizeof(r->instance), pb->instance, false) ||
	    !msg_addr_from_pb(pb->received, &r->received) ||
	    !msg_addr_from_pb(pb->socket, &r->sock))
		return false;
	return msg_rec_check(r) == 0;   /* what a live record needs */
}

static void
msg_str_copy(char *dst, const char *src, size_t cap)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
msg_rec_copy(struct msg_rec *dst, const struct msg_rec *src)
{
	memcpy(dst, src, offsetof(struct msg_rec, aor));
	msg_str_copy(dst->aor, src->aor, sizeof(dst->aor));
	msg_str_copy(dst->key, src->key, sizeof(dst->key));
	msg_str_copy(dst->call_id, src->call_id, sizeof(dst->call_id));
	msg_str_copy(dst->uri, src->uri, sizeof(dst->uri));
	msg_str_copy(dst->path, src->path, sizeof(dst->path));
	msg_str_copy(dst->tag, src->tag, sizeof(dst->tag));
	msg_str_copy(dst->instance, src->instance, sizeof(dst->instance));
	dst->reg_id = src->reg_id;
	dst->call_id_hash = src->call_id_hash;
	dst->sock_port_index = src->sock_port_index;
}

int
msg_rec_pack(const struct msg_rec *r, uint8_t *out, size_t cap)
{
	Cluster__Record pb;
	Cluster__Addr addrs[2];
	size_t size;

	if (msg_rec_check(r) < 0)
		return -EINVAL;
	msg_rec_to_pb(r, &pb, addrs);
	size = protobuf_c_message_get_packed_size(&pb.base);
	if (size > cap || size > INT32_MAX)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(&pb.base, out);
}

int
msg_rec_unpack(const uint8_t *p, size_t len, struct msg_rec *r)
{
	Cluster__Record *pb = cluster__record__unpack(&msg_arena_alloc, len, p);
	bool ok;

	memset(r, 0, sizeof(*r));
	if (pb == NULL)
		return -EINVAL;
	ok = msg_rec_from_pb(pb, r);
	cluster__record__free_unpacked(pb, &msg_arena_alloc);
	return ok ? 0 : -EINVAL;
}

static enum msg_reject
msg_repl_from_pb(const Cluster__Repl *pb, struct msg *m)
{
	struct msg_repl *r = &m->u.repl;
	size_t i;

	if (pb->n_records == 0 || pb->n_records > MSG_REPL_MAX_RECS || pb->first_seq == 0 ||
	    pb->first_seq > UINT64_MAX - pb->n_records)
		return MSG_REJECT_BAD_FIELD;
	r->epoch = pb->epoch;
	r->first_seq = pb->first_seq;
	r->n = (uint16_t)pb->n_records;
	for (i = 0; i < pb->n_records; i++)
		if (!msg_rec_from_pb(pb->records[i], &r->recs[i]))
			return MSG_REJECT_BAD_FIELD;
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_digest_from_pb(const Cluster__Digest *pb, struct msg *m)
{
	struct msg_digest *d = &m->u.digest;

	if (pb->n_digests > MSG_DIGEST_MAX || pb->first_bucket >= MSG_REPL_BUCKETS ||
	    pb->span > MSG_REPL_BUCKETS ||
	    !msg_digest_range_ok(pb->first_bucket, (uint32_t)pb->n_digests, pb->span))
		return MSG_REJECT_BAD_FIELD;
	d->first_bucket = (uint16_t)pb->first_bucket;
	d->span = (uint16_t)pb->span;
	d->n = (uint16_t)pb->n_digests;
	memcpy(d->digests, pb->digests, pb->n_digests * sizeof(d->digests[0]));
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_bucket_keys_from_pb(const Cluster__BucketKeys *pb, struct msg *m)
{
	struct msg_bucket_keys *k = &m->u.keys;
	size_t i;

	if (pb->bucket >= MSG_REPL_BUCKETS || pb->n_keys > MSG_KEYS_MAX)
		return MSG_REJECT_BAD_FIELD;
	k->bucket = (uint16_t)pb->bucket;
	k->part = pb->part;
	k->last = pb->has_last && pb->last;
	k->n = (uint16_t)pb->n_keys;
	for (i = 0; i < pb->n_keys; i++) {
		const Cluster__KeyVersion *kv = pb->keys[i];
		struct msg_keyver *e = &k->keys[i];

		if (kv == NULL || !msg_version_from_pb(kv->counter, kv->origin, &e->version) ||
		    !msg_str_from_pb(e->aor, sizeof(e->aor), kv->aor, true) ||
		    !msg_str_from_pb(e->key, sizeof(e->key), kv->contact_key, true))
			return MSG_REJECT_BAD_FIELD;
		e->flags = kv->has_flags ? (kv->flags & MSG_REC_F_KNOWN) : 0;
	}
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_bucket_pull_from_pb(const Cluster__BucketPull *pb, struct msg *m)
{
	struct msg_bucket_pull *p = &m->u.pull;
	size_t i;

	if (pb->n_keys > MSG_PULL_KEYS_MAX || pb->n_buckets > MSG_PULL_BUCKETS_MAX ||
	    pb->n_keys + pb->n_buckets == 0)
		return MSG_REJECT_BAD_FIELD;
	p->n_keys = (uint16_t)pb->n_keys;
	p->n_buckets = (uint16_t)pb->n_buckets;
	for (i = 0; i < pb->n_keys; i++)
		if (pb->keys[i] == NULL ||
		    !msg_str_from_pb(p->keys[i].aor, sizeof(p->keys[i].aor), pb->keys[i]->aor, true) ||
		    !msg_str_from_pb(p->keys[i].key, sizeof(p->keys[i].key),
				     pb->keys[i]->contact_key, true))
			return MSG_REJECT_BAD_FIELD;
	for (i = 0; i < pb->n_buckets; i++) {
		if (pb->buckets[i] >= MSG_REPL_BUCKETS)
			return MSG_REJECT_BAD_FIELD;
		p->buckets[i] = (uint16_t)pb->buckets[i];
	}
	return MSG_REJECT_NONE;
}

/* Unpacks a body of one of the replication types; NULL from protobuf-c is
 * bad_protobuf. */
#define MSG_UNPACK(type_, lname, fn) \
	case MSG_T_##type_: { \
		Cluster__##lname *pb = cluster__##fn##__unpack(&msg_arena_alloc, len, body); \
		\
		if (pb == NULL) \
			return MSG_REJECT_BAD_PROTOBUF; \
		r = msg_##fn##_from_pb(pb, m); \
		cluster__##fn##__free_unpacked(pb, &msg_arena_alloc); \
		break; \
	}

static enum msg_reject
msg_sync_request_from_pb(const Cluster__SyncRequest *pb, struct msg *m)
{
	(void)pb;
	(void)m;
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_sync_done_from_pb(const Cluster__SyncDone *pb, struct msg *m)
{
	if (pb->stream_incarnation == 0)
		return MSG_REJECT_BAD_FIELD;
	m->u.done.stream_incarnation = pb->stream_incarnation;
	m->u.done.epoch = pb->epoch;
	m->u.done.records = pb->records;
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_sync_chunk_from_pb(const Cluster__SyncChunk *pb, struct msg *m)
{
	struct msg_pack *c = &m->u.pack;

	if (pb->seq == 0 || pb->count == 0 || pb->count > MSG_PACK_MAX_RECS ||
	    pb->records.len > MSG_PACK_MAX || pb->count > pb->records.len ||
	    pb->seq > UINT64_MAX - pb->count)
		return MSG_REJECT_BAD_FIELD;
	c->epoch = pb->epoch;
	c->seq = pb->seq;
	c->age_ms = pb->age_ms;
	c->count = pb->count;
	c->len = (uint32_t)pb->records.len;
	memcpy(c->data, pb->records.data, pb->records.len);
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_repl_ack_from_pb(const Cluster__ReplAck *pb, struct msg *m)
{
	if (pb->stream_incarnation == 0)
		return MSG_REJECT_BAD_FIELD;
	m->u.ack.stream_incarnation = pb->stream_incarnation;
	m->u.ack.epoch = pb->epoch;
	m->u.ack.cum_seq = pb->cum_seq;
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_tags_from_pb(Cluster__TagEntry *const *ents, size_t n, struct msg *m)
{
	struct msg_tags *t = &m->u.tags;
	size_t i;

	if (n == 0 || n > MSG_TAGS_MAX)
		return MSG_REJECT_BAD_FIELD;
	t->n = (uint16_t)n;
	for (i = 0; i < n; i++) {
		const Cluster__TagEntry *pb = ents[i];
		struct msg_tag_entry *e = &t->e[i];

		if (!msg_tag_entry_ok(pb->name, MSG_TAG_NAME, pb->cluster, pb->term, pb->owner,
				      pb->owner_priority, pb->priority) ||
		    pb->prev_owner > UINT16_MAX || (pb->prev_owner == 0) != (pb->switch_wall_ms == 0))
			return MSG_REJECT_BAD_FIELD;
		memset(e, 0, sizeof(*e));
		memcpy(e->name, pb->name, strlen(pb->name));
		e->cluster = pb->cluster;
		e->term = pb->term;
		e->owner = (uint16_t)pb->owner;
		e->owner_priority = (uint8_t)pb->owner_priority;
		e->candidate = pb->candidate;
		e->priority = (uint8_t)pb->priority;
		e->prev_owner = (uint16_t)pb->prev_owner;
		e->switch_ms = pb->switch_wall_ms;
	}
	return MSG_REJECT_NONE;
}

static enum msg_reject
msg_tags_body_unpack(const uint8_t *body, size_t len, struct msg *m)
{
	enum msg_reject r;

	if (m->hdr.type == MSG_T_TAG_TABLE) {
		Cluster__TagTable *pb = cluster__tag_table__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		r = msg_tags_from_pb(pb->tags, pb->n_tags, m);
		m->u.tags.claim = pb->claim;
		cluster__tag_table__free_unpacked(pb, &msg_arena_alloc);
	} else {
		Cluster__TagAck *pb = cluster__tag_ack__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		r = msg_tags_from_pb(pb->tags, pb->n_tags, m);
		m->u.tags.claim = false;
		cluster__tag_ack__free_unpacked(pb, &msg_arena_alloc);
	}
	return r;
}

static enum msg_reject
msg_bstates_body_unpack(const uint8_t *body, size_t len, struct msg *m)
{
	Cluster__BackendStates *pb = cluster__backend_states__unpack(&msg_arena_alloc, len, body);
	struct msg_bstates *b = &m->u.bstates;
	enum msg_reject r = MSG_REJECT_NONE;
	size_t i;

	if (pb == NULL)
		return MSG_REJECT_BAD_PROTOBUF;
	if (pb->n_sets == 0 || pb->n_sets > MSG_BSTATES_MAX) {
		r = MSG_REJECT_BAD_FIELD;
		goto free_pb;
	}
	b->n = (uint16_t)pb->n_sets;
	for (i = 0; i < pb->n_sets; i++) {
		const Cluster__BackendState *e = pb->sets[i];

		if (!msg_bstate_ok(e->set, e->term, e->version, e->members, e->up)) {
			r = MSG_REJECT_BAD_FIELD;
			goto free_pb;
		}
		b->e[i].set = e->set;
		b->e[i].term = e->term;
		b->e[i].version = e->version;
		b->e[i].members = (uint8_t)e->members;
		b->e[i].up = e->up;
	}
free_pb:
	cluster__backend_states__free_unpacked(pb, &msg_arena_alloc);
	return r;
}

static enum msg_reject
msg_repl_body_unpack(const uint8_t *body, size_t len, struct msg *m)
{
	enum msg_reject r;

	switch (m->hdr.type) {
	MSG_UNPACK(REPL, Repl, repl)
	MSG_UNPACK(REPL_ACK, ReplAck, repl_ack)
	MSG_UNPACK(DIGEST, Digest, digest)
	MSG_UNPACK(BUCKET_KEYS, BucketKeys, bucket_keys)
	MSG_UNPACK(BUCKET_PULL, BucketPull, bucket_pull)
	MSG_UNPACK(SYNC_REQUEST, SyncRequest, sync_request)
	MSG_UNPACK(SYNC_DONE, SyncDone, sync_done)
	MSG_UNPACK(SYNC_CHUNK, SyncChunk, sync_chunk)
	case MSG_T_REPL_PACK: {
		Cluster__SyncChunk *pb = cluster__sync_chunk__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		r = msg_sync_chunk_from_pb(pb, m);
		cluster__sync_chunk__free_unpacked(pb, &msg_arena_alloc);
		break;
	}
	case MSG_T_SYNC_CHUNK_ACK: {
		Cluster__ReplAck *pb = cluster__repl_ack__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		r = msg_repl_ack_from_pb(pb, m);
		cluster__repl_ack__free_unpacked(pb, &msg_arena_alloc);
		break;
	}
	default:
		return MSG_REJECT_UNKNOWN_TYPE;
	}
	return r;
}
#undef MSG_UNPACK

static enum msg_reject
msg_body_unpack(const uint8_t *body, size_t len, struct msg *m)
{
	enum msg_reject r = MSG_REJECT_NONE;

	switch (m->hdr.type) {
	case MSG_T_HEARTBEAT: {
		Cluster__Heartbeat *pb = cluster__heartbeat__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		r = msg_hb_from_pb(pb, m);
		cluster__heartbeat__free_unpacked(pb, &msg_arena_alloc);
		break;
	}
	case MSG_T_JOIN: {
		Cluster__Join *pb = cluster__join__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		if (!msg_node_from_pb(pb->node, &m->u.join.node) ||
		    m->u.join.node.id != m->hdr.sender)
			r = MSG_REJECT_BAD_FIELD;
		cluster__join__free_unpacked(pb, &msg_arena_alloc);
		break;
	}
	case MSG_T_ADOPT: {
		Cluster__Adopt *pb = cluster__adopt__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		r = msg_members_from_pb(pb->members, pb->n_members, m);
		cluster__adopt__free_unpacked(pb, &msg_arena_alloc);
		break;
	}
	case MSG_T_ANNOUNCE: {
		Cluster__Announce *pb = cluster__announce__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		r = msg_members_from_pb(pb->members, pb->n_members, m);
		cluster__announce__free_unpacked(pb, &msg_arena_alloc);
		break;
	}
	case MSG_T_LEAVE: {
		Cluster__Leave *pb = cluster__leave__unpack(&msg_arena_alloc, len, body);

		if (pb == NULL)
			return MSG_REJECT_BAD_PROTOBUF;
		msg_reason_copy(m->u.leave.reason, pb->reason);
		cluster__leave__free_unpacked(pb, &msg_arena_alloc);
		break;
	}
	case MSG_T_REPL:
	case MSG_T_REPL_ACK:
	case MSG_T_DIGEST:
	case MSG_T_BUCKET_KEYS:
	case MSG_T_BUCKET_PULL:
	case MSG_T_SYNC_REQUEST:
	case MSG_T_SYNC_DONE:
	case MSG_T_SYNC_CHUNK:
	case MSG_T_SYNC_CHUNK_ACK:
	case MSG_T_REPL_PACK:
		return msg_repl_body_unpack(body, len, m);
	case MSG_T_TAG_TABLE:
	case MSG_T_TAG_ACK:
		return msg_tags_body_unpack(body, len, m);
	case MSG_T_BACKEND_STATES:
		return msg_bstates_body_unpack(body, len, m);
	default:
		return MSG_REJECT_UNKNOWN_TYPE;
	}
	return r;
}

static bool
msg_type_known(unsigned int type)
{
	switch (type) {
#define MSG_TYPE_CASE(NAME, name, value) case value:
	MSG_FOREACH_TYPE(MSG_TYPE_CASE)
#undef MSG_TYPE_CASE
		return true;
	default:
		return false;
	}
}

/* ---- public ---- */

void
msg_codec_init(struct msg_codec *c, uint32_t cluster_id, uint16_t self_id)
{
	memset(c, 0, sizeof(*c));
	c->cluster_id = cluster_id;
	c->self_id = self_id;
}

void
msg_codec_fini(struct msg_codec *c)
{
	int i;

	for (i = 0; i < MSG_MAC_CACHE; i++)
		if (c->key_len != 0 && msg_mac_cache[i].ctx != NULL &&
		    msg_mac_cache[i].len == c->key_len &&
		    CRYPTO_memcmp(msg_mac_cache[i].key, c->key, c->key_len) == 0)
			msg_mac_forget(i);
	OPENSSL_cleanse(c->key, sizeof(c->key));
	c->key_len = 0;
}

int
msg_codec_set_key(struct msg_codec *c, const void *key, size_t len)
{
	if (len < MSG_KEY_MIN || len > MSG_KEY_MAX)
		return -EINVAL;
	msg_codec_fini(c);
	memcpy(c->key, key, len);
	c->key_len = len;
	return 0;
}

int
msg_codec_load_key(struct msg_codec *c, const char *path, char *err, size_t errlen)
{
	uint8_t buf[MSG_KEY_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "%s: group or others may access it (mode %04o): the key must be "
			 "private (chmod 600 %s)", path, (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -EPERM;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
			goto out_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > MSG_KEY_MAX) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: key too long (more than %d bytes)", path, MSG_KEY_MAX);
	} else if (len < MSG_KEY_MIN) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: key too short (%zu bytes, need at least %d)",
			 path, len, MSG_KEY_MIN);
	} else {
		rc = msg_codec_set_key(c, buf, len);
	}
out_close:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

int
msg_frame(struct msg_codec *c, const struct msg_hdr *h, const void *body, size_t body_len,
	  uint8_t *buf, size_t cap)
{
	size_t total = MSG_HDR_LEN + body_len + MSG_HMAC_LEN;

	if (c->key_len == 0)
		return -ENOKEY;
	if (body_len > MSG_MAX_BODY || total > cap)
		return -EMSGSIZE;
	if (body_len > 0 && body != buf + MSG_HDR_LEN)
		memmove(buf + MSG_HDR_LEN, body, body_len);
	msg_hdr_put(buf, h, body_len);
	if (msg_hmac(c, h->to, buf, MSG_HDR_LEN + body_len, buf + MSG_HDR_LEN + body_len) < 0)
		return -EIO;
	c->encoded++;
	return (int)total;
}

int
msg_encode(struct msg_codec *c, const struct msg *m, uint8_t *buf, size_t cap)
{
	int n;

	if (c->key_len == 0)
		return -ENOKEY;
	if (m->hdr.sender == 0 || m->hdr.incarnation == 0)
		return -EINVAL;
	if (cap < MSG_HDR_LEN + MSG_HMAC_LEN)
		return -EMSGSIZE;
	n = msg_body_pack(m, buf + MSG_HDR_LEN, cap - MSG_HDR_LEN - MSG_HMAC_LEN);
	if (n < 0)
		return n;
	return msg_frame(c, &m->hdr, buf + MSG_HDR_LEN, (size_t)n, buf, cap);
}

enum msg_reject
msg_decode(struct msg_codec *c, const uint8_t *buf, size_t len, struct msg *out)
{
	struct msg_wire_hdr w;
	enum msg_reject r;
	uint16_t to = 0;
	size_t body_len;

	if (len < MSG_HDR_LEN + MSG_HMAC_LEN) {
		r = MSG_REJECT_SHORT;
		goto reject;
	}
	memcpy(&w, buf, sizeof(w));
	body_len = be16toh(w.body_len);
	if (be32toh(w.magic) != MSG_MAGIC)
		r = MSG_REJECT_BAD_MAGIC;
	else if (w.version != MSG_VERSION)
		r = MSG_REJECT_BAD_VERSION;
	else if (body_len > MSG_MAX_BODY || MSG_HDR_LEN + body_len + MSG_HMAC_LEN != len)
		r = MSG_REJECT_BAD_LENGTH;
	else if (be32toh(w.cluster_id) != c->cluster_id)
		r = MSG_REJECT_WRONG_CLUSTER;
	else if (c->key_len == 0)
		r = MSG_REJECT_BAD_HMAC;
	else if (msg_hmac_ok(c, c->self_id, buf, body_len))
		r = MSG_REJECT_NONE, to = c->self_id;
	else if (w.type == MSG_T_JOIN && msg_hmac_ok(c, 0, buf, body_len))
		r = MSG_REJECT_NONE, to = 0;    /* a join to a seed: any receiver */
	else
		r = MSG_REJECT_BAD_HMAC;
	if (r != MSG_REJECT_NONE)
		goto reject;

	/* A Repl's records are written as they are unpacked (fixed fields, strings
	 * up to their NUL): not the 74 KB of all MSG_REPL_MAX_RECS zeroed for every
	 * datagram. Bytes past n records or past a NUL are unspecified; so are
	 * a SyncChunk's bytes past its len. */
	memset(out, 0, w.type == MSG_T_REPL ? offsetof(struct msg, u.repl.recs) :
		       w.type == MSG_T_SYNC_CHUNK || w.type == MSG_T_REPL_PACK ?
		       offsetof(struct msg, u.pack.data) : sizeof(*out));
	out->hdr.type = w.type;
	out->hdr.flags = be16toh(w.flags);
	out->hdr.cluster_id = be32toh(w.cluster_id);
	out->hdr.sender = be16toh(w.sender);
	out->hdr.incarnation = be64toh(w.incarnation);
	out->hdr.seq = be64toh(w.seq);
	out->hdr.to = to;
	if (out->hdr.sender == 0 || out->hdr.incarnation == 0)
		r = MSG_REJECT_BAD_SENDER;
	else if (out->hdr.sender == c->self_id)
		r = MSG_REJECT_FROM_SELF;
	else if (!msg_type_known(out->hdr.type))
		r = MSG_REJECT_UNKNOWN_TYPE;
	else
		r = msg_body_unpack(buf + MSG_HDR_LEN, body_len, out);
	if (r != MSG_REJECT_NONE)
		goto reject;
	c->decoded++;
	return MSG_REJECT_NONE;
reject:
	c->rejects[r]++;
	return r;
}

const char *
msg_reject_name(enum msg_reject r)
{
	return (unsigned int)r < MSG_REJECT_MAX ? msg_reject_names[r] : "?";
}

const char *
msg_reject_help(enum msg_reject r)
{
	return (unsigned int)r < MSG_REJECT_MAX ? msg_reject_helps[r] : "?";
}

const char *
msg_type_name(unsigned int type)
{
	switch (type) {
#define MSG_TYPE_NAME(NAME, name, value) case value: return #name;
	MSG_FOREACH_TYPE(MSG_TYPE_NAME)
#undef MSG_TYPE_NAME
	default:
		return "?";
	}
}

const char *
msg_cap_name(unsigned int cap)
{
	return cap < MSG_CAP_MAX ? msg_cap_names[cap] : "?";
}

const char *
msg_cap_state_name(unsigned int state)
{
	return state < MSG_CAP_STATE_MAX ? msg_cap_state_names[state] : "?";
}
