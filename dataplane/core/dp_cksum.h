/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP checksums of whole datagrams, 64 octets per step with AVX2 (dp_cksum.c,
 * chosen at the first call), else 8 (RFC 1071).
 *
 * DPDK 22.11's rte_raw_cksum() adds one 16-bit word per loop step; over a
 * 500-octet REGISTER and its 200 OK that was an eighth of a worker's time on
 * a NIC without checksum offload (memif, af_packet). The one's complement
 * sum does not depend on the word width (2^16 = 1 modulo 0xffff), so this one
 * adds 8-octet loads as two 32-bit halves into 64-bit accumulators and folds
 * at the end, in the host's byte order like DPDK's. The pseudo-headers stay
 * DPDK's (rte_ipv4_phdr_cksum, rte_ipv6_phdr_cksum). Results are those of
 * rte_ipv4_udptcp_cksum() and friends (tests/unit/test_dp_cksum.c compares
 * them with an RFC 1071 reference). Any thread, no state.
 */
#ifndef SIPSHARD_DATAPLANE_CORE_DP_CKSUM_H
#define SIPSHARD_DATAPLANE_CORE_DP_CKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

/* The 16-bit word sum of p[0..n), n a multiple of 64 (dp_cksum.c: AVX2 when
 * the CPU has it; NULL once the first call found none). Not folded. */
typedef uint64_t dp_cksum_wide_fn(const uint8_t *p, size_t n);
extern dp_cksum_wide_fn *dp_cksum_wide;
#define DP_CKSUM_WIDE_MIN 128       /* shorter: the 8-octet steps alone */

/* The same sum 16 octets per step, n a multiple of 16: 32-bit halves of 8-octet
 * loads into two 64-bit accumulators. */
static inline uint64_t
dp_cksum_narrow(const uint8_t *p, size_t n)
{
	uint64_t a = 0, b = 0;

	for (; n >= 16; n -= 16, p += 16) {
		uint64_t x, y;

		memcpy(&x, p, 8);
		memcpy(&y, p + 8, 8);
		a += (x & 0xffffffffu) + (x >> 32);
		b += (y & 0xffffffffu) + (y >> 32);
	}
	return a + b;
}

/* The folded (not complemented) one's complement sum of buf[0..len) plus
 * init, as rte_raw_cksum() gives it for init 0. */
static inline uint16_t
dp_cksum_raw(const void *buf, size_t len, uint32_t init)
{
	const uint8_t *p = buf;
	uint64_t a = init, b = 0;
	dp_cksum_wide_fn *wide;

	if (len >= DP_CKSUM_WIDE_MIN &&
	    (wide = __atomic_load_n(&dp_cksum_wide, __ATOMIC_RELAXED)) != NULL) {
		size_t k = len & ~(size_t)63;

		b = wide(p, k);   /* < 2^48 for any datagram: no overflow below */
		p += k;
		len -= k;
	}
	a += dp_cksum_narrow(p, len & ~(size_t)15);
	p += len & ~(size_t)15;
	len &= 15;
	if (len & 8) {
		uint64_t x;

		memcpy(&x, p, 8);
		a += (x & 0xffffffffu) + (x >> 32);
		p += 8;
	}
	if (len & 4) {
		uint32_t x;

		memcpy(&x, p, 4);
		b += x;
		p += 4;
	}
	if (len & 2) {
		uint16_t x;

		memcpy(&x, p, 2);
		a += x;
		p += 2;
	}
	if (len & 1) {
		uint16_t x = 0;

		memcpy(&x, p, 1);    /* the odd octet as the first of a word */
		b += x;
	}
	a += b;
	a = (a & 0xffffffffu) + (a >> 32);
	a = (a & 0xffffffffu) + (a >> 32);
	a = (a & 0xffffu) + (a >> 16);
	a = (a & 0xffffu) + (a >> 16);
	a = (a & 0xffffu) + (a >> 16);
	return (uint16_t)a;
}

/* The UDP checksum field for the datagram at l4 (IPv4 total_length says how
 * long): 0 becomes 0xffff (RFC 768). */
static inline uint16_t
dp_ipv4_udp_cksum(const struct rte_ipv4_hdr *ip, const void *l4)
{
	size_t len = (size_t)rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
	uint16_t ck = (uint16_t)~dp_cksum_raw(l4, len, rte_ipv4_phdr_cksum(ip, 0));

	return ck == 0 ? 0xffff : ck;
}

/* 0 when the datagram's checksum (non-zero) is right, -1 otherwise. */
static inline int
dp_ipv4_udp_cksum_verify(const struct rte_ipv4_hdr *ip, const void *l4)
{
	size_t len = (size_t)rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);

	return dp_cksum_raw(l4, len, rte_ipv4_phdr_cksum(ip, 0)) == 0xffff ? 0 : -1;
}

static inline uint16_t
dp_ipv6_udp_cksum(const struct rte_ipv6_hdr *ip6, const void *l4)
{
	size_t len = rte_be_to_cpu_16(ip6->payload_len);
	uint16_t ck = (uint16_t)~dp_cksum_raw(l4, len, rte_ipv6_phdr_cksum(ip6, 0));

	return ck == 0 ? 0xffff : ck;
}

static inline int
dp_ipv6_udp_cksum_verify(const struct rte_ipv6_hdr *ip6, const void *l4)
{
	size_t len = rte_be_to_cpu_16(ip6->payload_len);

	return dp_cksum_raw(l4, len, rte_ipv6_phdr_cksum(ip6, 0)) == 0xffff ? 0 : -1;
}

#endif
