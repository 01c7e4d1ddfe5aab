#!/usr/bin/env python3
"""TCP connects during reloads under keep-alive load: masterwork with connection_handover = on, with it off,
and Debian's nginx, on this machine, alternately. The driver behind bench/handover-connects.sh (read that first).

Reuses bench/compare_nginx.py's servers, wrk runner, reload wait and tcpdump SYN counter, so the figures are
measured exactly as that benchmark's "reloads under load" row is. Everything started is killed by pid on exit.
"""
import argparse
import datetime
import os
import signal
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_nginx as cn  # noqa: E402


class MasterworkWith(cn.Masterwork):
    def __init__(self, work, workers, launcher, handover, keepalive_requests):
        cn.Server.__init__(self, f"masterwork-handover-{handover}", work, workers)
        self.launcher = launcher
        self.handover = handover
        self.keepalive_requests = keepalive_requests

    def write_conf(self):
        super().write_conf()
        path = os.path.join(self.dir, "conf", "masterwork.conf")
        with open(path) as f:
            conf = f.read()
        conf = conf.replace("keepalive_requests = 1000", f"keepalive_requests = {self.keepalive_requests}")
        with open(path, "w") as f:
            f.write(conf + f"connection_handover = {self.handover}\n")


class NginxWith(cn.Nginx):
    def __init__(self, work, workers, binary, keepalive_requests):
        super().__init__(work, workers, binary)
        self.keepalive_requests = keepalive_requests

    def write_conf(self):
        super().write_conf()
        path = os.path.join(self.dir, "nginx.conf")
        with open(path) as f:
            conf = f.read()
        with open(path, "w") as f:
            f.write(conf.replace("keepalive_requests 1000;", f"keepalive_requests {self.keepalive_requests};"))


def reload_run(server, args):
    """wrk -t1 -c50 keep-alive while the master gets `reloads` HUPs, each after the previous one completed,
    one every `every` s at most; SYNs to the port counted from before wrk starts to after it stops."""
    n = server.workers
    syns = cn.SynCounter(server.port)
    bound_s = args.reloads * (args.every + 150) + 60
    wrk = cn.run_wrk(server.port, 1, 50, bound_s)
    start = time.monotonic()
    failed = 0
    for i in range(1, args.reloads + 1):
        delay = start + i * args.every - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        before = cn.children(server.master)
        os.kill(server.master, signal.SIGHUP)
        if cn.wait_generation(server.master, before, n, time.time_ns(), timeout=150) is None:
            failed += 1
    time.sleep(2)
    wrk.send_signal(signal.SIGINT)
    r = cn.wrk_result(wrk, 60)
    return {"connects": syns.stop(), "requests": r["requests"], "rps": r["rps"],
            "failed_requests": r["connect"] + r["read"] + r["write"] + r["non2xx"],
            "failed_reloads": failed, "raw": r["raw"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reloads", type=int, default=8)
    ap.add_argument("--every", type=int, default=2)
    ap.add_argument("--keepalive-requests", type=int, default=100000000)
    ap.add_argument("--record", default="")
    ap.add_argument("--command", default="bench/handover-connects.sh")
    args = ap.parse_args()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    work = tempfile.mkdtemp(prefix="masterwork-handover-connects-")
    info = cn.machine(args.nginx)
    began = datetime.datetime.now(datetime.timezone.utc)
    results = {}
    names = []
    try:
        for rnd in range(1, args.rounds + 1):
            servers = [MasterworkWith(work, args.workers, args.launcher, "on", args.keepalive_requests),
                       MasterworkWith(work, args.workers, args.launcher, "off", args.keepalive_requests),
                       NginxWith(work, args.workers, args.nginx, args.keepalive_requests)]
            if rnd % 2 == 0:
                servers.reverse()
            for server in servers:
                if server.name not in names:
                    names.append(server.name)
                t0 = server.launch()
                try:
                    cn.wait_serving(server.port, server.master, server.workers, t0)
                    r = reload_run(server, args)
                finally:
                    server.stop()
                with open(os.path.join(work, f"{server.name}-r{rnd}.wrk"), "w") as f:
                    f.write(r.pop("raw"))
                cn.log(f"{server.name} round {rnd}: {r}")
                results.setdefault(server.name, []).append(r)
    finally:
        cn.kill_started()

    names.sort(key=lambda n: ("nginx" in n, n.endswith("off")))
    rows = [("TCP connects (SYNs to the port) during the run", "connects", 0),
            ("failed requests (wrk connect + read + write errors, non-2xx)", "failed_requests", 0),
            ("requests answered", "requests", 0),
            ("requests/s", "rps", 0),
            ("reloads that did not complete", "failed_reloads", 0)]
    header = "| figure (median of the rounds; min–max) | " + " | ".join(names) + " |"
    lines = [header, "|---|" + "---|" * len(names)]
    for label, key, _ in rows:
        cells = []
        for n in names:
            xs = [r[key] for r in results[n]]
            cells.append(f"{statistics.median(xs):.0f} ({min(xs):.0f}–{max(xs):.0f})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    minutes = (datetime.datetime.now(datetime.timezone.utc) - began).total_seconds() / 60
    with open("/proc/loadavg") as f:
        load_after = " ".join(f.read().split()[:3])
    text = f"""
### Connection handover: TCP connects during reloads — {began:%Y-%m-%d %H:%M} UTC ({minutes:.1f} min)

`{args.command}`: {args.rounds} rounds, {args.workers} workers each, `wrk -t1 -c50` keep-alive while each server gets
{args.reloads} HUPs (one every {args.every} s at most, each after the previous one completed), `keepalive_requests
{args.keepalive_requests}` on every server so that only reloads end connections; SYNs counted with tcpdump on lo from
before wrk connects (its 50 first connections are in the count) until it stops. Machine: {info['cores']} cores,
{info['cpu']}, Linux {info['kernel']}, {info['jdk']}, nginx {info['nginx']}, {info['wrk']}, load average {info['load']}
at the start and {load_after} at the end. Raw wrk outputs in `{work}`.

{table}
"""
    print(text)
    if args.record:
        with open(args.record, "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
