#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A SIP digest client for the auth lab test (RFC 3261 §22, RFC 8760).

digest.py SRC DST STEP [ARGS...]: sends one REGISTER (or a few) from SRC to DST:5060 and prints
one line per reply: "STATUS LEN REQLEN [stale] [algos=A,B] [contact=N]".
Steps:
  plain USER                       no credentials
  auth USER AOR PASS ALGO NC [NONCE]  answer a fresh challenge (or NONCE) with nc NC
  replay USER PASS ALGO            a valid request with nc 1, then the very same bytes again
  reuse USER PASS ALGO             nc 1 then nc 2 with the same nonce (both valid)
  nonce                            print a fresh nonce (from a challenge), nothing else
  query USER                       a REGISTER without Contact (a query), no credentials
  cross USER PASS ALGO DST2        the challenge from DST, the answer (nc 1) to DST2
  invite FROM PASS ALGO TO [TAG]   an INVITE from FROM to TO (To tag TAG: in a dialog)
                                   without credentials, then with Proxy-Authorization
                                   answering its 407 (nc 1): one line per reply
"""
import hashlib
import os
import re
import socket
import sys

REALM = "example.com"


def h(algo, s):
    f = hashlib.sha256 if algo == "SHA-256" else hashlib.md5
    return f(s.encode()).hexdigest()


class Client:
    def __init__(self, src, dst):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((src, 0))
        self.s.settimeout(2)
        self.src, self.dst = src, dst
        self.port = self.s.getsockname()[1]
        self.cseq = 0
        self.callid = os.urandom(6).hex()

    def request(self, user, aor=None, authz=None, contact=True):
        aor = aor or user
        self.cseq += 1
        lines = [
            "REGISTER sip:%s SIP/2.0" % REALM,
            "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s" % (self.src, self.port, os.urandom(5).hex()),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (aor, REALM, self.callid[:6]),
            "To: <sip:%s@%s>" % (aor, REALM),
            "Call-ID: %s" % self.callid,
            "CSeq: %d REGISTER" % self.cseq,
        ]
        if contact:
            lines += ["Contact: <sip:%s@%s:%d>" % (aor, self.src, self.port), "Expires: 600"]
        if authz:
            lines.append("Authorization: " + authz)
        lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    def invite(self, user, to, authz=None, tag=None):
        self.cseq += 1
        lines = [
            "INVITE sip:%s@%s SIP/2.0" % (to, REALM),
            "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s" % (self.src, self.port, os.urandom(5).hex()),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (user, REALM, self.callid[:6]),
            "To: <sip:%s@%s>%s" % (to, REALM, ";tag=" + tag if tag else ""),
            "Call-ID: %s" % self.callid,
            "CSeq: %d INVITE" % self.cseq,
            "Contact: <sip:%s@%s:%d>" % (user, self.src, self.port),
        ]
        if authz:
            lines.append("Proxy-Authorization: " + authz)
        lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    def send(self, data, dst=None):
        self.s.sendto(data, (dst or self.dst, 5060))
        try:
            r = self.s.recv(65535).decode("utf-8", "replace")
        except socket.timeout:
            return None
        return r


def status(r):
    return r.split("\r\n", 1)[0].split(" ")[1] if r else "none"


def challenges(r):
    out = []
    for line in r.split("\r\n"):
        if line.lower().startswith(("www-authenticate:", "proxy-authenticate:")):
            d = dict(re.findall(r'(\w+)="?([^",]*)"?', line.split(":", 1)[1]))
            out.append(d)
    return out


def report(r, req):
    if r is None:
        print("none 0 %d" % len(req))
        return
    extra = []
    ch = challenges(r)
    if any(c.get("stale") == "true" for c in ch):
        extra.append("stale")
    if ch:
        extra.append("algos=" + ",".join(c.get("algorithm", "MD5") for c in ch))
    n = sum(1 for l in r.split("\r\n") if l.lower().startswith(("contact:", "m:")))
    extra.append("contact=%d" % n)
    print(status(r), len(r.encode()), len(req), *extra)


def credentials(user, pw, algo, nonce, nc, uri="sip:" + REALM, method="REGISTER"):
    ha1 = h(algo, "%s:%s:%s" % (user, REALM, pw))
    ha2 = h(algo, method + ":" + uri)
    cnonce = os.urandom(4).hex()
    resp = h(algo, "%s:%s:%08x:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
            'algorithm=%s, qop=auth, nc=%08x, cnonce="%s"' % (user, REALM, nonce, uri, resp, algo, nc, cnonce))


def fresh_nonce(c, user):
    r = c.send(c.request(user))
    ch = challenges(r) if r else []
    return ch[0]["nonce"] if ch else "0" * 64


def main():
    src, dst, step = sys.argv[1], sys.argv[2], sys.argv[3]
    a = sys.argv[4:]
    c = Client(src, dst)
    if step == "plain":
        req = c.request(a[0])
        report(c.send(req), req)
    elif step == "query":
        req = c.request(a[0], contact=False)
        report(c.send(req), req)
    elif step == "nonce":
        print(fresh_nonce(c, "nobody"))
    elif step == "auth":
        user, aor, pw, algo, nc = a[0], a[1], a[2], a[3], int(a[4])
        nonce = a[5] if len(a) > 5 else fresh_nonce(c, aor)
        req = c.request(aor, aor, credentials(user, pw, algo, nonce, nc))
        report(c.send(req), req)
    elif step == "replay":
        user, pw, algo = a
        nonce = fresh_nonce(c, user)
        req = c.request(user, user, credentials(user, pw, algo, nonce, 1))
        report(c.send(req), req)
        report(c.send(req), req)
    elif step == "reuse":
        user, pw, algo = a
        nonce = fresh_nonce(c, user)
        for nc in (1, 2):
            req = c.request(user, user, credentials(user, pw, algo, nonce, nc))
            report(c.send(req), req)
    elif step == "cross":
        user, pw, algo, dst2 = a
        nonce = fresh_nonce(c, user)
        req = c.request(user, user, credentials(user, pw, algo, nonce, 1))
        report(c.send(req, dst2), req)
    elif step == "invite":
        user, pw, algo, to = a[0], a[1], a[2], a[3]
        tag = a[4] if len(a) > 4 else None
        req = c.invite(user, to, tag=tag)
        r = c.send(req)
        report(r, req)
        if r is None or status(r) != "407":
            return
        uri = "sip:%s@%s" % (to, REALM)
        ch = [x for x in challenges(r) if x.get("algorithm", "MD5") == algo]
        nonce = ch[0]["nonce"] if ch else "0" * 64
        req = c.invite(user, to, credentials(user, pw, algo, nonce, 1, uri, "INVITE"), tag)
        report(c.send(req), req)
    else:
        sys.exit("unknown step " + step)


main()
