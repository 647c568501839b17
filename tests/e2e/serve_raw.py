#!/usr/bin/python3
"""serve_raw.py PORT TOKEN — request-smuggling and framing attacks on a running
`labelaudit serve`, over raw sockets (RFC 9112). Each attack must get exactly
one response, with the expected status, and then the connection must close:
no second response, however the bytes after the first request are read. A 400
from the framing gate names its fault in the JSON body ("Bad Request: two
Content-Length values that differ").
Prints "PASS name" / "FAIL name: why" lines for tests/run.sh."""
import re
import socket
import sys
import time

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
H = "Host: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n" % (PORT, TOKEN)
SMUGGLED = "GET /api/state?limit=1 HTTP/1.1\r\n" + H + "\r\n"
DECIDE = '{"qid":3,"version":0,"decision":"drop"}'


def exchange(data, wait=4.0):
    """Sends data, reads until the server closes (or wait runs out)."""
    s = socket.create_connection(("127.0.0.1", PORT))
    s.settimeout(wait)
    t0 = time.time()
    s.sendall(data.encode("latin-1"))
    out, closed = b"", False
    try:
        while True:
            b = s.recv(65536)
            if not b:
                closed = True
                break
            out += b
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    return out, closed, time.time() - t0


def check(name, data, want, max_seconds=3.0, fault=None):
    out, closed, dt = exchange(data)
    statuses = re.findall(rb"HTTP/1\.[01] (\d{3})", out)
    why = []
    if [int(x) for x in statuses[:1]] != [want]:
        why.append("first status %s, want %d" % (statuses[:1], want))
    if len(statuses) > 1:
        why.append("%d responses (a second request was answered)" % len(statuses))
    if not closed:
        why.append("connection left open")
    if dt > max_seconds:
        why.append("took %.1f s" % dt)
    if want >= 400 and b"application/json" not in out:
        why.append("error body is not JSON")
    if fault and ('{"error":"Bad Request: %s"}' % fault).encode() not in out:
        why.append("body does not name the fault %r: %r" % (fault, out.split(b"\r\n\r\n", 1)[-1][:120]))
    print(("FAIL %s: %s" % (name, "; ".join(why))) if why else "PASS %s" % name)


post = "POST /api/decide HTTP/1.1\r\n" + H + "Content-Type: application/json\r\n"
check("two different Content-Length -> 400, closed, no second response",
      post + "Content-Length: %d\r\nContent-Length: %d\r\n\r\n%s%s" % (len(DECIDE), len(DECIDE) + len(SMUGGLED),
                                                                    DECIDE, SMUGGLED), 400,
      fault="two Content-Length values that differ")
check("Content-Length list of two values -> 400",
      post + "Content-Length: %d, 3\r\n\r\n%s" % (len(DECIDE), DECIDE), 400,
      fault="two Content-Length values that differ")
check("Content-Length with Transfer-Encoding -> 400, no smuggled request",
      post + "Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s" % (5 + len(SMUGGLED), SMUGGLED), 400,
      fault="Content-Length together with Transfer-Encoding")
check("unknown transfer coding (gzip, chunked) -> 400",
      post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400,
      fault="a transfer coding other than exactly chunked")
check("unknown transfer coding (foo) -> 400", post + "Transfer-Encoding: foo\r\n\r\n", 400)
check("Transfer-Encoding twice -> 400",
      post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
      fault="two Transfer-Encoding headers")
check("doubled Host -> 400",
      "GET /api/state HTTP/1.1\r\n" + H + "Host: evil.example\r\n\r\n", 400,
      fault="more than one Host header")
check("header with a blank before the colon -> 400",
      "GET /api/state HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n", 400,
      fault="a blank before a header's colon")
check("obs-fold header -> 400",
      "GET /api/state HTTP/1.1\r\n" + H + "X-A: b\r\n folded\r\n\r\n", 400,
      fault="a folded header line (obs-fold)")
check("overflowing chunk size -> 400 at once",
      post + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF1\r\nab\r\n", 400, 1.5,
      fault="a chunk size that overflows 64 bits")
check("chunk bigger than --max-body -> 413 at once",
      post + "Transfer-Encoding: chunked\r\n\r\n7FFFFFFFFFFFFFFF\r\nab", 413, 1.5)
check("Content-Length over --max-body -> 413 as JSON",
      post + "Content-Length: 999999\r\n\r\n", 413)
check("Transfer-Encoding in HTTP/1.0 -> 400 naming it",
      "POST /api/decide HTTP/1.0\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
      fault="Transfer-Encoding in an HTTP/1.0 request")
check("no Host in HTTP/1.1 -> 400 naming it",
      "GET /api/state HTTP/1.1\r\nAuthorization: Bearer %s\r\n\r\n" % TOKEN, 400,
      fault="no Host header (HTTP/1.1 needs one)")
check("Content-Length not digits -> 400 naming it",
      post + "Content-Length: 1e3\r\n\r\n", 400, fault="a Content-Length that is not digits")
check("chunk size not hex -> 400 naming it",
      post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n", 400, fault="a chunk size that is not hex")
check("pipelined second request is not answered",
      "GET /api/state?limit=1 HTTP/1.1\r\n" + H + "\r\n" + SMUGGLED, 200)
check("valid chunked decision answered once",
      post + "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(DECIDE), DECIDE), 200)
