#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# A backend for the lab tests: listens on ADDR:5060 (UDP; ADDR IPv4 or IPv6), logs every request it
# gets as "MS METHOD SOURCE CALL-ID" (MS: wall-clock ms) to LOG, and answers
# OPTIONS with 200 unless the file MUTE exists. Other requests are only logged.
#   backend_uas.py ADDR LOG MUTE
import os
import socket
import sys
import time

addr, log, mute = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 5060))
out = open(log, "a", buffering=1)
while True:
    data, src = s.recvfrom(65535)
    try:
        text = data.decode("utf-8", "replace")
    except Exception:
        continue
    head, _, _ = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not lines or lines[0].startswith("SIP/2.0"):
        continue
    method = lines[0].split(" ", 1)[0]
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs.setdefault(k.strip().lower(), []).append(v.strip())
    callid = (hdrs.get("call-id") or hdrs.get("i") or ["-"])[0]
    out.write("%d %s %s %s\n" % (int(time.time() * 1000), method, src[0], callid))
    if method != "OPTIONS" or os.path.exists(mute):
        continue
    resp = "SIP/2.0 200 OK\r\n"
    for k in ("via", "from", "to", "call-id", "cseq"):
        for v in hdrs.get(k, []):
            resp += "%s: %s\r\n" % (k.title() if k != "call-id" else "Call-ID", v)
    resp += "Content-Length: 0\r\n\r\n"
    s.sendto(resp.encode(), src)
