/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Types of the node configuration, shared by every sipshard binary.
 *
 * One `struct cfg` is filled once by cfg_load() (config/cfg.h) from the YAML file
 * and then only read. Fixed-size arrays bound everything the operator can list, so
 * the loaded config never needs freeing piecemeal; strings are NUL-terminated and
 * their sizes are the limits the loader enforces. Keys and their ranges are the
 * table in cfg_schema.c; docs/config.md documents each one.
 */
#ifndef SIPSHARD_CONFIG_CFG_TYPES_H
#define SIPSHARD_CONFIG_CFG_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define CFG_MAX_PORTS      4
#define CFG_MAX_EAL_ARGS   32
#define CFG_MAX_DOMAINS    16
#define CFG_MAX_SETS       8
#define CFG_MAX_MEMBERS    16
#define CFG_MAX_NODES      32
#define CFG_MAX_SEEDS      8
#define CFG_MAX_TAGS       16
#define CFG_MAX_WORKERS    16
#define CFG_MAX_CIDRS      16
#define CFG_STR            128
#define CFG_PATH           256

enum cfg_idle { CFG_IDLE_BUSY, CFG_IDLE_ADAPTIVE };
enum cfg_lb_algo { CFG_LB_CALLID_HASH, CFG_LB_WEIGHTED, CFG_LB_ROUND_ROBIN };
enum cfg_cluster_mode { CFG_MODE_FULL_SHARING, CFG_MODE_FEDERATION };
enum cfg_fed_route { CFG_FED_FORWARD, CFG_FED_REDIRECT };
enum cfg_fed_home_down { CFG_FED_DOWN_480, CFG_FED_DOWN_503, CFG_FED_DOWN_404 };
enum cfg_reg_full { CFG_REG_FULL_REJECT, CFG_REG_FULL_EVICT_OLDEST };

struct cfg_port {
	char device[CFG_PATH];          /* vdev string or PCI address */
	uint32_t ipv4;                  /* host byte order; 0 = none */
	uint8_t ipv4_prefix;            /* 0..32 */
	bool has_ipv6;
	uint8_t ipv6[16];               /* network byte order */
	uint8_t ipv6_prefix;            /* 0..128 */
	uint16_t mtu;                   /* 576..9000, default 1500 */
};

struct cfg_dataplane {
	char file_prefix[CFG_STR];
	int n_eal;
	char eal[CFG_MAX_EAL_ARGS][CFG_STR];
	uint16_t workers;               /* 1..CFG_MAX_WORKERS */
	enum cfg_idle idle;
	int n_ports;
	struct cfg_port ports[CFG_MAX_PORTS];
	uint32_t mbufs;                 /* mbufs in the packet pool */
	uint32_t mbuf_size;             /* data room per mbuf, headroom included */
	uint16_t rx_desc;               /* RX descriptors per queue */
	uint16_t tx_desc;               /* TX descriptors per queue */
	uint32_t frag_max_flows;        /* IPv4 reassembly table size per worker */
	uint32_t frag_timeout_ms;       /* reassembly timeout */
	uint32_t ring_size;             /* size of each inter-lcore ring */
};

struct cfg_sip {
	uint16_t port;
	int n_domains;
	char domains[CFG_MAX_DOMAINS][CFG_STR];
};

enum cfg_tag_state { CFG_TAG_BACKUP, CFG_TAG_ACTIVE };
enum cfg_tag_failover { CFG_TAG_MANUAL, CFG_TAG_AUTO };
#define CFG_TAG_NAME       64              /* NAME of NAME/CLUSTER, NUL included */

/* A sharing tag: `"NAME/CLUSTER=active|backup"`, or the map form. */
struct cfg_tag {
	char name[CFG_TAG_NAME];        /* RFC 3261 token characters */
	uint32_t cluster;               /* 1..2^32-1 */
	enum cfg_tag_state state;       /* at start, before the cluster is heard */
	enum cfg_tag_failover failover;
	uint32_t priority;              /* 0..255: the higher claims first on failover */
	bool preempt;                   /* a better candidate coming up takes it back */
	uint32_t vip;                   /* IPv4, host order; 0: none */
	uint8_t vip6[16];               /* IPv6, network order; all 0: none (one of the two) */
};

enum cfg_ping_method { CFG_PING_OPTIONS, CFG_PING_CRLF };
enum cfg_ping_mode { CFG_PING_COOPERATION, CFG_PING_OWNERSHIP };

struct cfg_registrar {
	uint32_t default_expires;
	uint32_t min_expires;
	uint32_t max_expires;
	uint32_t max_contacts;
	enum cfg_reg_full max_contacts_policy;  /* new contact over max_contacts */
	uint16_t foreign_domain_status;  /* 403 or 404: To domain not in sip.domains */
	uint32_t max_aors;              /* AoR table size per shard */
	uint32_t max_bindings;          /* binding pool size per shard */
	struct cfg_tag tag;             /* registrar.tag (name and cluster); cluster 0: none */
	bool ping;                      /* registrar.nat_ping present */
	uint32_t ping_interval_s;
	enum cfg_ping_method ping_method;
	enum cfg_ping_mode ping_mode;
	uint32_t ping_max_failures;     /* unanswered pings in a row that remove; 0 never */
	uint32_t ping_source4;          /* nat_ping.source: IPv4, host order; 0 none */
	uint8_t ping_source6[16];       /* ... IPv6, network order; all 0 none */
	char snapshot_path[CFG_PATH];   /* registrar.snapshot.path; "" = no snapshot */
	uint32_t snapshot_interval_s;   /* a snapshot written this often (and on clean stop) */
	uint32_t max_bindings_per_source;  /* per shard; 0: no cap */
};

struct cfg_member {
	char uri[CFG_STR];
	uint32_t weight;
};

struct cfg_backend_set {
	uint32_t set;
	enum cfg_lb_algo algorithm;
	uint32_t probe_interval_ms;
	uint32_t probe_threshold;
	struct cfg_tag tag;             /* backends[].tag (name and cluster); cluster 0: the default tag */
	int n_members;
	struct cfg_member members[CFG_MAX_MEMBERS];
};

/* An IPv4 or IPv6 prefix (auth.trusted, proxy.allowed_destinations). */
struct cfg_cidr {
	uint8_t family;                 /* 4 or 6 */
	uint8_t prefix;                 /* 0..32 / 0..128 */
	uint8_t addr[16];               /* network order, host bits cleared */
};

/* addr (network order, 4 or 16 bytes by family) is inside c. */
static inline bool
cfg_cidr_match(const struct cfg_cidr *c, uint8_t family, const uint8_t *addr)
{
	unsigned int full = c->prefix / 8u, rest = c->prefix % 8u, i;

	if (family != c->family)
		return false;
	for (i = 0; i < full; i++)
		if (addr[i] != c->addr[i])
			return false;
	return rest == 0 || ((addr[full] ^ c->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

struct cfg_proxy {
	bool record_route;              /* add Record-Route <sip:ADDR:PORT;lr> */
	uint32_t default_set;           /* backend set of requests not routed otherwise */
	int n_allowed;
	struct cfg_cidr allowed[CFG_MAX_CIDRS];   /* proxy.allowed_destinations */
};

enum cfg_auth_algo { CFG_AUTH_SHA256 = 1, CFG_AUTH_MD5 = 2 };   /* 0: end of list */

/* auth.methods: the SIP methods that may be challenged, by name (ACK and CANCEL
 * may not: RFC 3261 §22.1). */
#define CFG_AUTH_N_METHODS 12
static inline const char *
cfg_auth_method_name(unsigned int i)
{
	static const char *const names[CFG_AUTH_N_METHODS] = {
		"REGISTER", "INVITE", "MESSAGE", "SUBSCRIBE", "NOTIFY", "OPTIONS", "REFER",
		"PUBLISH", "INFO", "UPDATE", "PRACK", "BYE",
	};

	return i < CFG_AUTH_N_METHODS ? names[i] : "";
}

/* Digest authentication (auth:, docs/security.md). */
struct cfg_auth {
	bool enabled;                   /* false when the section is absent */
	char realm[CFG_STR];
	char subscribers_file[CFG_PATH];
	int n_algorithms;               /* 0: SHA-256 then MD5 */
	uint32_t algorithms[2];         /* enum cfg_auth_algo, in challenge order */
	uint32_t nonce_ttl_s;
	int n_methods;                  /* 0: REGISTER only */
	uint32_t methods[CFG_AUTH_N_METHODS];   /* 1u << i: cfg_auth_method_name(i) */
	int n_trusted;
	struct cfg_cidr trusted[CFG_MAX_CIDRS];   /* sources never challenged */
};

struct cfg_peer {
	uint16_t id;
	uint32_t address;               /* IPv4, host byte order */
};

struct cfg_cluster {
	bool enabled;                   /* false when the section is absent */
	uint32_t id;
	uint16_t port;
	char key_file[CFG_PATH];
	char incarnation_file[CFG_PATH]; /* "" = incarnation from the clock only */
	int n_nodes;
	struct cfg_peer nodes[CFG_MAX_NODES];
	int n_seeds;
	uint32_t seeds[CFG_MAX_SEEDS];  /* IPv4, host byte order */
	uint32_t ping_interval_ms;
	uint32_t node_timeout_ms;
	enum cfg_cluster_mode mode;
	uint32_t port_index;            /* dataplane.ports entry of the cluster bus */
	uint32_t tombstone_s;           /* a deleted binding's tombstone lives this long */
	uint32_t digest_interval_ms;    /* anti-entropy: digests compared this often */
	/* Admission on the cluster port (docs/security.md, "Cluster port"). */
	bool join_from_set;             /* join_from given (even empty) */
	int n_join_from;
	struct cfg_cidr join_from[CFG_MAX_CIDRS];   /* newcomers; absent: the port's subnet */
	uint32_t source_pps;            /* per known source and lcore */
	uint32_t source_burst;
	/* the top-level federation section (cluster.mode federation) */
	enum cfg_fed_route fed_route;   /* a user homed elsewhere: forward or 302 */
	enum cfg_fed_home_down fed_home_down;   /* ... whose home is down: 480, 503 or 404 */
	uint32_t fed_directory;         /* directory entries per shard; 0: 4 x max_aors */
};

/* log: {level, target}; level values are syslog's (LOG_ERR 3 .. LOG_DEBUG 7). */
enum cfg_log_level { CFG_LOG_EMERG, CFG_LOG_ALERT, CFG_LOG_CRIT, CFG_LOG_ERR, CFG_LOG_WARNING,
		     CFG_LOG_NOTICE, CFG_LOG_INFO, CFG_LOG_DEBUG };
enum cfg_log_target { CFG_LOG_STDERR, CFG_LOG_SYSLOG };

struct cfg_log {
	enum cfg_log_level level;       /* messages above it are not written */
	enum cfg_log_target target;
};

/* Flood protection (limits:, dp_limit.h). */
struct cfg_limits {
	bool enabled;                   /* false when the section is absent */
	uint32_t per_source_pps;
	uint32_t burst;
	uint32_t block_s;
};

struct cfg {
	char path[CFG_PATH];            /* the file it came from */
	uint16_t node_id;
	struct cfg_dataplane dp;
	struct cfg_sip sip;
	struct cfg_registrar reg;
	int n_sets;
	struct cfg_backend_set sets[CFG_MAX_SETS];
	struct cfg_proxy proxy;
	struct cfg_cluster cluster;
	struct cfg_auth auth;
	struct cfg_limits limits;
	int n_tags;
	struct cfg_tag tags[CFG_MAX_TAGS];
	struct cfg_tag default_tag;     /* default_tag: owns untagged work; cluster 0: the first tag */
	char admin_socket[CFG_PATH];
	char admin_group[64];           /* admin.group: also allowed on the socket; "" = none */
	char metrics_listen[64];        /* admin.metrics_listen "ADDR:PORT"; "" = off */
	struct cfg_log log;
};

#endif /* SIPSHARD_CONFIG_CFG_TYPES_H */
