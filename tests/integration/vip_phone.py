#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# A phone for the VIP tests (tag_vip.sh, tag_vip6.sh): registers USER to VIP from
# BIND:PORT (IPv4 or IPv6), logs "registered STATUS SOURCE" (or "registered none"),
# then "req SOURCE METHOD" for every request it receives, answering none, and
# after an INVITE's line "rr VALUE" for each of its Record-Route values. A strict
# NAT in front of it would take packets from the VIP only: the tests check SOURCE.
#   vip_phone.py VIP BIND PORT USER LOG
import socket
import sys

vip, bind, port, user, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
v6 = ":" in bind
host = "[%s]" % bind if v6 else bind
out = open(log, "a", buffering=1)
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((bind, port))
s.settimeout(0.5)
reg = ("REGISTER sip:example.com SIP/2.0\r\n"
       "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK-%s\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:%s@example.com>;tag=p1\r\n"
       "To: <sip:%s@example.com>\r\nCall-ID: %s-reg@%s\r\nCSeq: 1 REGISTER\r\n"
       "Contact: <sip:%s@%s:%d>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n"
       % (host, port, user, user, user, user, bind, user, host, port)).encode()
code = "none"
for _ in range(10):
    s.sendto(reg, (vip, 5060))
    try:
        d, a = s.recvfrom(65535)
        if d.startswith(b"SIP/2.0 "):
            code = "%s %s" % (d.split()[1].decode(), a[0])
            break
    except socket.timeout:
        pass
out.write("registered %s\n" % code)
s.settimeout(None)
while True:
    d, a = s.recvfrom(65535)
    method = d.split(b" ", 1)[0].decode("utf-8", "replace")
    out.write("req %s %s\n" % (a[0], method))
    if method == "INVITE":
        for line in d.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
            if line.lower().startswith(b"record-route:"):
                for v in line.split(b":", 1)[1].split(b","):
                    out.write("rr %s\n" % v.strip().decode("utf-8", "replace"))
