/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP frames of sipshard-gen: templates in, reply fields out.
 *
 * A template is a whole frame (Ethernet, IPv4, UDP, SIP) built once at start,
 * with fixed-width placeholder fields ('0' digits) for what changes per request:
 * the sequence number in the Via branch, the From tag, the user, the Call-ID and
 * the CSeq number. Every request of a template therefore has the same length, so
 * the IPv4 header (and its checksum) is constant, and the UDP checksum is the
 * template's one's-complement sum plus the digits written: no pass over the
 * payload per request. The branch is "z9hG4bK-RUNID-SEQ" (RUNID 8 hex digits of
 * this process, SEQ 16): a reply's branch gives the slot of its request in the
 * in-flight table directly.
 *
 * gen_sip_scan() reads what matching needs from a received datagram: status (or
 * "request", for a reflector), the sequence number of the top Via branch when it
 * is ours, Call-ID value, CSeq number and method. Bounds-checked, no allocation.
 * Pure C, no DPDK; addresses and ports in network byte order.
 */
#ifndef SIPSHARD_PERF_GEN_SIP_H
#define SIPSHARD_PERF_GEN_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "perf/gen_cfg.h"

#define GEN_FRAME_MAX   1514
#define GEN_TPL_FIELDS  12
#define GEN_CSEQ_BASE   100000000u      /* CSeq numbers are 9 digits: BASE + n */
#define GEN_L2L4_LEN    (14 + 20 + 8)

enum gen_field { GEN_F_SEQ, GEN_F_TAG, GEN_F_USER, GEN_F_CALLID, GEN_F_CSEQ };

struct gen_tpl_field {
	uint16_t off;                   /* in the frame */
	uint8_t width;
	uint8_t id;                     /* enum gen_field */
};

struct gen_tpl {
	uint8_t frame[GEN_FRAME_MAX];
	uint16_t len;
	uint16_t udp_off;
	uint32_t sum;                   /* unfolded sum: pseudo header + UDP + placeholders */
	uint8_t n_fields;
	struct gen_tpl_field f[GEN_TPL_FIELDS];
	char method[12];
};

/* Where a request goes and comes from. */
struct gen_net {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip;        /* network order */
	uint16_t sport, dport;          /* host order */
};

/* The variable part of one request. */
struct gen_req {
	uint64_t seq;
	uint32_t tag;
	uint32_t user;
	uint64_t callid;
	uint32_t cseq;
};

/* What a received datagram says. */
struct gen_sip_msg {
	bool is_request;
	uint16_t status;                /* responses */
	bool ours;                      /* top Via branch carries our run id */
	uint64_t seq;                   /* valid when ours */
	bool has_callid;
	uint64_t callid;                /* the 16 hex digits of our Call-IDs */
	bool callid_ours;               /* the rest of the Call-ID is ours too */
	uint32_t cseq;
	char cseq_method[12];
};

/* Build the template of WL for NET; RUNID names this process. 0 or -EINVAL
 * (the datagram would not fit an Ethernet frame). */
int gen_tpl_build(struct gen_tpl *t, const struct gen_cfg *c, const struct gen_net *net,
		  uint32_t runid);

/* Write the request R of template T at DST (GEN_FRAME_MAX bytes): copy, fill the
 * fields, finish the UDP checksum. Returns the frame length. */
uint16_t gen_tpl_write(const struct gen_tpl *t, uint8_t *dst, const struct gen_req *r);

/* Read datagram P (LEN bytes). 0, or -1 when it is not SIP we can read. */
int gen_sip_scan(const char *p, size_t len, uint32_t runid, const char *callid_suffix,
		 size_t suffix_len, struct gen_sip_msg *m);

/* The fast path for a request of ours sent back as it was (run.reflect): when
 * frame F (LEN octets, Ethernet on) has T's length, IPv4 and UDP header (but the
 * checksum), and T's octets right around its branch, Call-ID and CSeq fields,
 * those fields are read where T put them into *m (as gen_sip_scan would read
 * them) and it returns true; false: scan it. */
bool gen_sip_reflected(const struct gen_tpl *t, const uint8_t *f, size_t len,
		       struct gen_sip_msg *m);

/* The Call-ID suffix after the 16 hex digits ("-RUNID@ADDR") for gen_sip_scan. */
size_t gen_sip_callid_suffix(char *out, size_t cap, uint32_t runid, uint32_t src_ip);

/* One's-complement sum of BUF in network order, folded to 16 bits (not inverted). */
uint16_t gen_cksum_fold(uint32_t sum);
uint32_t gen_cksum_add(uint32_t sum, const uint8_t *buf, size_t len, size_t start_off);

#endif /* SIPSHARD_PERF_GEN_SIP_H */
