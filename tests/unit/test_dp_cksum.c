/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_cksum.h: the one's complement sum (64-octet AVX2 steps from 128 octets on
 * where the CPU has AVX2, then 16, 8, 4, 2, 1) against an RFC 1071 reference
 * written octet by octet in network order, and against DPDK's rte_raw_cksum(),
 * for every length up to 1600 at every start alignment;
 * UDP over IPv4 and IPv6 against rte_ipv4_udptcp_cksum()/rte_ipv6_udptcp_cksum(),
 * the verifiers on good and damaged datagrams, and the all-zero and all-ones
 * buffers where a one's complement sum has two forms of zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rte_udp.h>

#include "dataplane/core/dp_cksum.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t
rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

/* RFC 1071: 16-bit words in network order, odd octet padded with a zero
 * octet after it; the folded sum, returned in host order. */
static uint16_t
ref_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
raw_sum_matches_reference_and_dpdk(void **state)
{
	static uint8_t buf[1600 + 16];
	size_t len, off, i;

	(void)state;
	for (len = 0; len <= 1600; len++) {
		for (off = 0; off < 8; off++) {
			for (i = 0; i < len; i++)
				buf[off + i] = rnd8();
			uint16_t got = dp_cksum_raw(buf + off, len, 0);

			assert_int_equal(got, rte_raw_cksum(buf + off, len));
			/* the reference adds network-order words: the same sum, swapped */
			assert_int_equal(rte_be_to_cpu_16(got), ref_sum(buf + off, len));
		}
	}
}

static void
zeros_and_ones(void **state)
{
	static uint8_t buf[1500];
	size_t len;

	(void)state;
	memset(buf, 0, sizeof(buf));
	for (len = 0; len < sizeof(buf); len += 37)
		assert_int_equal(dp_cksum_raw(buf, len, 0), rte_raw_cksum(buf, len));
	assert_int_equal(dp_cksum_raw(buf, sizeof(buf), 0), 0);
	memset(buf, 0xff, sizeof(buf));
	for (len = 2; len < sizeof(buf); len += 38)
		assert_int_equal(dp_cksum_raw(buf, len, 0), 0xffff);
	/* an initial value is added like one more word */
	assert_int_equal(dp_cksum_raw(buf, 0, 0x1234), 0x1234);
	assert_int_equal(dp_cksum_raw(buf, 2, 1), 1);   /* 0xffff + 1 = 1 (end-around carry) */
}

struct v4dgram {
	struct rte_ipv4_hdr ip;
	struct rte_udp_hdr udp;
	uint8_t payload[1472];
} __attribute__((packed));

struct v6dgram {
	struct rte_ipv6_hdr ip;
	struct rte_udp_hdr udp;
	uint8_t payload[1452];
} __attribute__((packed));

static void
udp4_matches_dpdk_and_verifies(void **state)
{
	static struct v4dgram d;
	size_t plen, i;

	(void)state;
	for (plen = 0; plen <= sizeof(d.payload); plen += 7) {
		memset(&d.ip, 0, sizeof(d.ip));
		d.ip.version_ihl = RTE_IPV4_VHL_DEF;
		d.ip.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(d.ip) + sizeof(d.udp) + plen));
		d.ip.next_proto_id = IPPROTO_UDP;
		d.ip.src_addr = rte_cpu_to_be_32(0xc6120000u | rnd8());        /* 198.18.0.x */
		d.ip.dst_addr = rte_cpu_to_be_32(0xc6130000u | rnd8());
		d.udp.src_port = rte_cpu_to_be_16(5060);
		d.udp.dst_port = rte_cpu_to_be_16((uint16_t)(1024 + rnd8()));
		d.udp.dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(d.udp) + plen));
		d.udp.dgram_cksum = 0;
		for (i = 0; i < plen; i++)
			d.payload[i] = rnd8();
		uint16_t ck = dp_ipv4_udp_cksum(&d.ip, &d.udp);

		assert_int_equal(ck, rte_ipv4_udptcp_cksum(&d.ip, &d.udp));
		assert_int_not_equal(ck, 0);
		d.udp.dgram_cksum = ck;
		assert_int_equal(dp_ipv4_udp_cksum_verify(&d.ip, &d.udp), 0);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(&d.ip, &d.udp), 0);
		if (plen > 0) {
			d.payload[plen - 1] ^= 0x40;            /* one bit off */
			assert_int_equal(dp_ipv4_udp_cksum_verify(&d.ip, &d.udp), -1);
			d.payload[plen - 1] ^= 0x40;
		}
		d.ip.src_addr ^= rte_cpu_to_be_32(1);           /* the pseudo-header counts */
		assert_int_equal(dp_ipv4_udp_cksum_verify(&d.ip, &d.udp), -1);
	}
}

static void
udp6_matches_dpdk_and_verifies(void **state)
{
	static struct v6dgram d;
	size_t plen, i;

	(void)state;
	for (plen = 0; plen <= sizeof(d.payload); plen += 11) {
		memset(&d.ip, 0, sizeof(d.ip));
		d.ip.vtc_flow = RTE_BE32(6u << 28);
		d.ip.payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(d.udp) + plen));
		d.ip.proto = IPPROTO_UDP;
		d.ip.hop_limits = 64;
		for (i = 0; i < 16; i++) {
			d.ip.src_addr[i] = rnd8();
			d.ip.dst_addr[i] = rnd8();
		}
		d.udp.src_port = rte_cpu_to_be_16(5060);
		d.udp.dst_port = rte_cpu_to_be_16(5062);
		d.udp.dgram_len = d.ip.payload_len;
		d.udp.dgram_cksum = 0;
		for (i = 0; i < plen; i++)
			d.payload[i] = rnd8();
		uint16_t ck = dp_ipv6_udp_cksum(&d.ip, &d.udp);

		assert_int_equal(ck, rte_ipv6_udptcp_cksum(&d.ip, &d.udp));
		d.udp.dgram_cksum = ck;
		assert_int_equal(dp_ipv6_udp_cksum_verify(&d.ip, &d.udp), 0);
		assert_int_equal(rte_ipv6_udptcp_cksum_verify(&d.ip, &d.udp), 0);
		d.ip.dst_addr[15] ^= 1;
		assert_int_equal(dp_ipv6_udp_cksum_verify(&d.ip, &d.udp), -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(raw_sum_matches_reference_and_dpdk),
		cmocka_unit_test(zeros_and_ones),
		cmocka_unit_test(udp4_matches_dpdk_and_verifies),
		cmocka_unit_test(udp6_matches_dpdk_and_verifies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
