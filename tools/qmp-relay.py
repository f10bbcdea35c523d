#!/usr/bin/env python3
"""Let a guest drive QEMU's monitor through its console.

    qmp-relay.py CONSOLE-LOG QMP-SOCKET

Follows the console log QEMU writes; every line "BENCH-QMP <json>" is a
QMP command, sent to the monitor's socket in order.  Prints each command,
its reply and the monitor's events with the time since the start, and
exits when QEMU closes the socket.  The guest sees the effect of a command
in its own sysfs (a device gone, a device back), not the reply.
"""
import json
import os
import select
import socket
import sys
import time

log_path, sock_path = sys.argv[1], sys.argv[2]
t0 = time.monotonic()


def say(what):
    print("qmp %7.1f s: %s" % (time.monotonic() - t0, what), flush=True)


sock = None
for _ in range(600):
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(sock_path)
        break
    except OSError:
        sock.close()
        sock = None
        time.sleep(0.1)
if sock is None:
    say("no monitor at " + sock_path)
    sys.exit(1)

buf = b""


def messages(timeout):
    """Monitor messages that arrive within timeout seconds (None: EOF)."""
    global buf
    out = []
    ready, _, _ = select.select([sock], [], [], timeout)
    if ready:
        data = sock.recv(65536)
        if not data:
            return None
        buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        if line.strip():
            out.append(json.loads(line))
    return out


def execute(cmd):
    sock.sendall(json.dumps(cmd).encode() + b"\n")
    while True:
        msgs = messages(30)
        if msgs is None:
            return None
        for m in msgs:
            if "event" in m:
                say("event " + json.dumps(m))
            else:
                return m


execute({"execute": "qmp_capabilities"})
say("monitor ready")
pos = 0
pending = b""
while True:
    msgs = messages(0.2)
    if msgs is None:
        say("monitor closed")
        break
    for m in msgs:
        say("event " + json.dumps(m))
    try:
        with open(log_path, "rb") as f:
            f.seek(pos)
            data = f.read()
    except OSError:
        continue
    pos += len(data)
    pending += data
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        line = line.rstrip(b"\r").decode(errors="replace")
        if not line.startswith("BENCH-QMP "):
            continue
        try:
            cmd = json.loads(line[len("BENCH-QMP "):])
        except ValueError as e:
            say("bad command %r: %s" % (line, e))
            continue
        say("command " + json.dumps(cmd))
        reply = execute(cmd)
        say("reply " + json.dumps(reply))
        if reply is None:
            sys.exit(0)
