#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile traffic for a sipshard port: random frames, truncated and oversized
packets, bad checksums, fragment garbage, random bytes to the SIP port.

    flood.py IFACE DST_MAC DST_IP SRC_IP COUNT [SEED]

Sends COUNT frames on IFACE (AF_PACKET) and prints one line per category with the
number sent. Only DST_IP/SRC_IP given by the caller are used (lab addresses)."""
import random
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=1, frag=0, good_csum=True, tot=None):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot & 0xFFFF, ident, frag, 64, proto, 0, src, dst)
    c = csum(h)
    if not good_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp4(src, dst, sport, dport, payload, good_csum=True):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ph = src + dst + struct.pack("!BBH", 0, 17, len(u))
    c = csum(ph + u) or 0xFFFF
    if not good_csum:
        c ^= 0x1234
    return u[:6] + struct.pack("!H", c) + u[8:]


def main():
    iface, dmac, dip, sip, count = sys.argv[1:6]
    rnd = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 4475)
    dmac = bytes.fromhex(dmac.replace(":", ""))
    smac = bytes.fromhex("02feedc0ffee")
    dip, sip, count = socket.inet_aton(dip), socket.inet_aton(sip), int(count)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))

    def rbytes(n):
        return bytes(rnd.getrandbits(8) for _ in range(n))

    def eth(payload, etype=0x0800, dst=dmac):
        return dst + smac + struct.pack("!H", etype) + payload

    def sip_bytes():
        return rbytes(rnd.randint(1, 1200))

    cats = {
        "random_frame": lambda: rbytes(rnd.randint(1, 1514)),
        "random_to_our_mac": lambda: eth(rbytes(rnd.randint(0, 1500)), rnd.choice([0x0800, 0x86DD, 0x0806, 0x8100, rnd.getrandbits(16)])),
        "ip4_bad_csum": lambda: eth(ip4(sip, dip, 17, udp4(sip, dip, 5060, 5060, sip_bytes()), good_csum=False)),
        "ip4_truncated": lambda: eth(ip4(sip, dip, 17, udp4(sip, dip, 5060, 5060, sip_bytes()))[: rnd.randint(1, 40)]),
        "ip4_oversized_length": lambda: eth(ip4(sip, dip, 17, udp4(sip, dip, 5060, 5060, sip_bytes()), tot=rnd.randint(1501, 65535))),
        "udp_bad_csum": lambda: eth(ip4(sip, dip, 17, udp4(sip, dip, 5060, 5060, sip_bytes(), good_csum=False))),
        "udp_other_port": lambda: eth(ip4(sip, dip, 17, udp4(sip, dip, 5060, rnd.choice([9, 53, 5061, 40000]), sip_bytes()))),
        "sip_random_payload": lambda: eth(ip4(sip, dip, 17, udp4(sip, dip, rnd.randint(1024, 65535), 5060, sip_bytes()))),
        "fragment_garbage": lambda: eth(ip4(sip, dip, 17, rbytes(rnd.randint(8, 1000)), ident=rnd.getrandbits(16),
                                            frag=rnd.choice([0x2000, 0x2000 | rnd.randint(1, 8000), rnd.randint(1, 8000)]))),
        "ip6_random": lambda: eth(struct.pack("!IHBB", 6 << 28, rnd.randint(0, 2000), rnd.choice([17, 58, 44, 6]), 255)
                                  + rbytes(16) + bytes.fromhex("20010002000000000000000000000001") + rbytes(rnd.randint(0, 1400)), 0x86DD),
        "arp_garbage": lambda: eth(struct.pack("!HHBBH", 1, 0x0800, 6, 4, rnd.choice([1, 2, 3])) + rbytes(rnd.randint(0, 40)),
                                   0x0806, b"\xff" * 6),
    }
    names = sorted(cats)
    sent = dict.fromkeys(names, 0)
    for i in range(count):
        name = names[i % len(names)]
        frame = cats[name]()
        try:
            s.send(frame[:1514])
            sent[name] += 1
        except OSError:
            pass
    for name in names:
        print("%s %d" % (name, sent[name]))


if __name__ == "__main__":
    main()
