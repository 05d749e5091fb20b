#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Phones for the NAT pinging tests: N UDP sockets on ADDR ports PORT..PORT+N-1, each
# registers sip:phoneK@example.com (Contact sip:phoneK@ADDR:port) at REGISTRAR once,
# then answers every OPTIONS with 200 OK and logs "TIME_MS PORT SOURCE_IP" per
# OPTIONS to LOG. A port listed in the file MUTE (re-read every 0.2 s) stops
# answering (still logged). Runs until killed.
#   phones.py ADDR PORT N REGISTRAR LOG MUTE
import os, select, socket, sys, time

addr, port0, n, registrar, log, mute = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4], sys.argv[5], sys.argv[6]
socks = {}
for k in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port0 + k))
    socks[s.fileno()] = (s, k)

def register(s, k):
    p = port0 + k
    msg = ("REGISTER sip:example.com SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK-ph%d\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:phone%d@example.com>;tag=ph%d\r\n"
           "To: <sip:phone%d@example.com>\r\nCall-ID: ph-%d\r\nCSeq: 1 REGISTER\r\n"
           "Contact: <sip:phone%d@%s:%d>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n"
           % (addr, p, k, k, k, k, k, k, addr, p))
    s.sendto(msg.encode(), (registrar, 5060))

pending = set(range(n))
for fd, (s, k) in socks.items():
    register(s, k)
out = open(log, "a", buffering=1)
muted, mute_read, reg_sent = set(), 0.0, time.time()
while True:
    now = time.time()
    if now - mute_read > 0.2:
        mute_read = now
        try:
            muted = {int(x) for x in open(mute).read().split()}
        except (OSError, ValueError):
            muted = set()
    if pending and now - reg_sent > 1.0:       # REGISTER not answered: again
        reg_sent = now
        for fd, (s, k) in socks.items():
            if k in pending:
                register(s, k)
    r, _, _ = select.select(list(socks), [], [], 0.1)
    for fd in r:
        s, k = socks[fd]
        data, src = s.recvfrom(65535)
        text = data.decode("utf-8", "replace")
        first = text.split("\r\n", 1)[0]
        if first.startswith("SIP/2.0 "):
            if first.split(" ")[1].startswith("2"):
                pending.discard(k)
            continue
        if not first.startswith("OPTIONS "):
            continue
        out.write("%d %d %s\n" % (int(time.time() * 1000), port0 + k, src[0]))
        if port0 + k in muted:
            continue
        hdrs = [l for l in text.split("\r\n") if l.split(":", 1)[0].lower() in
                ("via", "from", "to", "call-id", "cseq")]
        resp = "SIP/2.0 200 OK\r\n" + "\r\n".join(hdrs) + "\r\nContent-Length: 0\r\n\r\n"
        s.sendto(resp.encode(), src)
