#!/usr/bin/env python3
"""Starts a server and times its start from one process, without forking anything while it waits (a shell loop
of fork + exec competes with the JVM it measures for the same two CPUs).

usage: start_timing.py --port P --out FILE (--log FILE --pattern TEXT | --http) -- COMMAND...
prints: <ms to listening> <ms to ready> <pid>
  listening: a TCP connect to 127.0.0.1:P succeeds
  ready:     --log: TEXT appears in FILE; --http: GET / on 127.0.0.1:P is answered
The server's stdout and stderr go to --out. The server keeps running; the caller stops it by the printed pid. Gives up after 120 s (exit 1).
"""
import argparse
import socket
import subprocess
import sys
import time

POLL = 0.002
LIMIT = 120.0


def connects(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        return s
    except OSError:
        s.close()
        return None


def answered(port):
    s = connects(port)
    if s is None:
        return False
    try:
        s.settimeout(5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        return s.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False
    finally:
        s.close()


def logged(path, text):
    try:
        with open(path, "rb") as f:
            return text.encode() in f.read()
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--log")
    p.add_argument("--pattern")
    p.add_argument("--http", action="store_true")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    t0 = time.monotonic()
    out = open(a.out, "ab")
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    listening = ready = None
    while time.monotonic() - t0 < LIMIT and server.poll() is None:
        if listening is None:
            s = connects(a.port)
            if s is not None:
                s.close()
                listening = time.monotonic() - t0
        if listening is not None:
            if (a.http and answered(a.port)) or (not a.http and logged(a.log, a.pattern)):
                ready = time.monotonic() - t0
                break
        time.sleep(POLL)
    if ready is None:
        print(f"start_timing: not ready within {LIMIT:.0f} s (exit status {server.poll()})", file=sys.stderr)
        print(f"- - {server.pid}")
        sys.exit(1)
    print(f"{listening * 1000:.0f} {ready * 1000:.0f} {server.pid}")


if __name__ == "__main__":
    main()
