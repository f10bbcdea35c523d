#!/usr/bin/env python3
"""Let a guest drive QEMU's monitor through its console.

    qmp-relay.py CONSOLE-LOG QMP-SOCKET

Follows the console log QEMU writes; every "BENCH-QMP <json>" in it, even
in a line the console merged with another, is a QMP command with an "id",
sent to the monitor's socket once per id, in order.  A command the
monitor refuses is tried again for up to RETRY_S seconds: a device_add
can come while QEMU still removes the device it replaces.  Prints each
command, its reply and the monitor's events with the time since the
start, and exits when QEMU closes the socket.  The guest sees the effect
of a command in its own sysfs (a device gone, a device back), not the
reply.
"""
import json
import select
import socket
import sys
import time

RETRY_S = 10
MARK = "BENCH-QMP "

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
queue = []      # messages read but not yet handled


def receive(timeout):
    """Queue the messages that arrive within timeout s; False at EOF."""
    global buf
    ready, _, _ = select.select([sock], [], [], timeout)
    if ready:
        data = sock.recv(65536)
        if not data:
            return False
        buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        if line.strip():
            queue.append(json.loads(line))
    return True


def flush_events():
    while queue:
        say("event " + json.dumps(queue.pop(0)))


def execute(cmd):
    """Send cmd and return its reply (matched by id); None at EOF."""
    sock.sendall(json.dumps(cmd).encode() + b"\n")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for i, m in enumerate(queue):
            if m.get("id") == cmd.get("id") and ("return" in m or "error" in m):
                del queue[i]
                flush_events()
                return m
        if not receive(1):
            return None
    return {"relay-error": "no reply within 30 s"}


# The greeting comes first, then the capabilities negotiation.
deadline = time.monotonic() + 30
while not queue:
    if not receive(1) or time.monotonic() > deadline:
        say("no greeting from the monitor")
        sys.exit(1)
queue.pop(0)
execute({"execute": "qmp_capabilities", "id": "relay-caps"})
say("monitor ready")

done = set()
pos = 0
pending = ""
while True:
    if not receive(0.2):
        say("monitor closed")
        break
    flush_events()
    try:
        with open(log_path, "rb") as f:
            f.seek(pos)
            data = f.read()
    except OSError:
        continue
    pos += len(data)
    pending += data.decode(errors="replace")
    # Complete lines only: a command is parsed once the console ended it.
    cut = pending.rfind("\n")
    if cut < 0:
        continue
    text, pending = pending[:cut], pending[cut + 1:]
    start = text.find(MARK)
    while start >= 0:
        try:
            cmd, end = json.JSONDecoder().raw_decode(text, start + len(MARK))
        except ValueError:
            say("unreadable command at %r" % text[start:start + 120])
            start = text.find(MARK, start + 1)
            continue
        start = text.find(MARK, end)
        if not isinstance(cmd, dict) or "id" not in cmd:
            say("command without an id: %s" % json.dumps(cmd))
            continue
        if cmd["id"] in done:
            continue
        done.add(cmd["id"])
        # Only a refusal from QEMU is tried again, until RETRY_S passed.
        deadline = time.monotonic() + RETRY_S
        while True:
            say("command " + json.dumps(cmd))
            reply = execute(cmd)
            say("reply " + json.dumps(reply))
            if reply is None:
                sys.exit(0)
            if "error" not in reply or time.monotonic() > deadline:
                break
            time.sleep(0.5)
