#!/usr/bin/env python3
"""One timed kill for bench/worker-respawn.sh: SIGKILL to PID, then GET /_worker on 127.0.0.1:PORT right away,
repeated until an answer names another pid; prints the milliseconds from just before the kill to that answer.

usage: worker_respawn_kill.py PID PORT [TIMEOUT_S]
"""
import os
import re
import signal
import socket
import sys
import time

PID_IN_ANSWER = re.compile(rb'"pid":(\d+)')


def ask(port, deadline):
    """One request on a fresh connection; the answering pid, or None when the connection failed."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=max(0.1, deadline - time.monotonic())) as s:
            s.sendall(b"GET /_worker HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            answer = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        m = PID_IN_ANSWER.search(answer)
        return int(m.group(1)) if m else None
    except OSError:
        return None


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    t0 = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answered_by = ask(port, deadline)
        if answered_by is not None and answered_by != pid:
            print(f"{(time.perf_counter() - t0) * 1000:.2f}")
            return 0
    print(f"no replacement of {pid} answered within {timeout} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
