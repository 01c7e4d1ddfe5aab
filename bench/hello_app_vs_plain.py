#!/usr/bin/env python3
"""examples/hello-app beside the same pipeline run by plain Netty: the driver behind bench/hello-app-vs-plain.sh (read
that file first).

Issue 25: "A downstream application through the SPI (examples/hello-app) pays nothing measurable over the same pipeline
run by plain Netty". Round after round (the order rotates), it starts hello-app's own distribution (bin/hello-app, 2
workers, affinity off, spares as a user gets them) and benchmarks' PlainNettyServer --pipeline hello (the same codec,
aggregator and handler, with the JVM flags hello-app's workers run with), checks that both answer the same bytes, warms
each up, waits until every process of it is quiet, and measures wrk -t1 -c50 and wrk -t2 -c100: requests/s, p50, p99,
CPU time per request of every process and of the serving workers alone. Prints one markdown table (median, min, max of
the rounds, hello-app / plain Netty, the goal met or missed) and with --record appends it to docs/BENCHMARKS.md.

The /proc readings, wrk's parsing, the JVM flags read with jcmd, the quiet wait and the cleanup are compare_nginx.py's,
imported. Everything this program starts is killed by pid when it exits, however it exits. Every wait is bounded.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no bench/__pycache__ in the working tree from the import below
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_nginx as cn  # noqa: E402  (beside this file)
from compare_nginx import CLK_TCK, children, cpu_ticks, fmt, log, med  # noqa: E402

HELLO, PLAIN = "hello-app", "plain-netty"
LOADS = (("t1c50", 1, 50), ("t2c100", 2, 100))


# ---------------------------------------------------------------- what a worker answers

def exchange(port, timeout=2.0):
    """Two requests on one connection, the first keep-alive, the second `Connection: close`; everything the server
    sends until it closes (bytes), or None when it does not close within `timeout`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
                      b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    return data
                data += chunk
    except OSError:
        return None


ANSWER = re.compile(rb"HTTP/1\.1 200 [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?content-length: (\d+)\r\n(?:[^\r\n]+\r\n)*\r\n",
                    re.I)


def answers(data):
    """The answers in `data`, each (head with its content-length value as <n>, body with the worker's pid as <pid>),
    and the pids of the bodies; a ValueError when a content-length does not match its body."""
    out, pids, at = [], [], 0
    while at < len(data):
        m = ANSWER.match(data, at)
        if not m:
            raise ValueError(f"not a 200 answer with a content-length at byte {at}: {data[at:at + 200]!r}")
        n = int(m.group(1))
        body = data[m.end():m.end() + n]
        if len(body) != n:
            raise ValueError(f"content-length {n}, {len(body)} bytes of body: {data!r}")
        pid = re.search(rb" from worker (\d+)\n$", body)
        if not pid:
            raise ValueError(f"the body is not '<greeting> from worker <pid>\\n': {body!r}")
        pids.append(int(pid.group(1)))
        head = data[m.start():m.end()]
        out.append((head[:m.start(1) - m.start()] + b"<n>" + head[m.end(1) - m.start():],
                    body[:pid.start(1)] + b"<pid>" + body[pid.end(1):]))
        at = m.end() + n
    return out, pids


def greeting_pid(port):
    """The pid a worker put in its greeting, over a fresh connection, or None. Read up to the end of the answer's
    body (its content-length), not to the end of the connection: whether a server closes is exchange()'s check."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                m = ANSWER.match(data)
                if m and len(data) >= m.end() + int(m.group(1)):
                    break
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    m = ANSWER.match(data)
    pid = re.search(rb" from worker (\d+)\n$", data[m.end():m.end() + int(m.group(1))]) if m else None
    return int(pid.group(1)) if pid else None


# ---------------------------------------------------------------- the two servers

class HelloApp(cn.Server):
    """examples/hello-app's own distribution: bin/hello-app -p <dir>, with the distribution's conf/hello-app.conf
    (worker_class_path, modules, app.greeting) but for the port, affinity off and the pid and log files in <dir>.
    Every other setting is the default a user gets, worker_spares (auto) included."""

    def __init__(self, work, workers, launcher):
        super().__init__(HELLO, work, workers)
        self.launcher = launcher
        self.home = os.path.dirname(os.path.dirname(os.path.abspath(launcher)))
        self.conf_name = os.path.basename(launcher) + ".conf"

    def write_conf(self):
        with open(os.path.join(self.home, "conf", self.conf_name)) as f:
            conf = f.read()
        # the distribution's own keys stay; these lines replace its listen and worker count (a later key wins)
        os.makedirs(os.path.join(self.dir, "conf"), exist_ok=True)
        with open(os.path.join(self.dir, "conf", self.conf_name), "w") as f:
            f.write(conf.rstrip("\n") + f"""

# bench/hello-app-vs-plain.sh
worker_processes = {self.workers}
worker_cpu_affinity = off
listen = "127.0.0.1:{self.port}"
pid = logs/hello-app.pid
error_log = logs/error.log
""")

    def command(self):
        return [self.launcher, "-p", self.dir, "-c", os.path.join("conf", self.conf_name)]

    def serving(self):
        return cn.workers(self.master)  # spares hold the listener but never accept


class PlainHello(cn.PlainNetty):
    """benchmarks' PlainNettyServer --pipeline hello: hello-app's pipeline on plain Netty, one JVM per worker sharing
    one inherited listener, with the JVM flags hello-app's workers run with."""

    def __init__(self, work, workers, classpath, jvm_flags, greeting):
        super().__init__(work, workers, classpath, jvm_flags)
        self.greeting = greeting

    def write_conf(self):
        pass

    def command(self):
        return (["java", "-cp", self.classpath, "io.masterwork.bench.PlainNettyServer",
                 "--listen", f"127.0.0.1:{self.port}", "--processes", str(self.workers),
                 "--pipeline", "hello", "--greeting", self.greeting, "--"] + self.jvm_flags)

    def serving(self):
        return children(self.master)


def wait_serving(server, t0_ns, timeout=120.0):
    """Until each of the server's `workers` serving workers has answered a greeting with its own pid; ms since t0_ns.
    Requests go in bursts of concurrent connections so that every worker gets a chance to accept."""
    seen = set()
    deadline = time.monotonic() + timeout
    burst = max(4, 4 * server.workers)
    with concurrent.futures.ThreadPoolExecutor(burst) as pool:
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.name} exited with status {server.proc.returncode} before serving "
                                   f"(its output: {os.path.join(server.dir, 'logs')})")
            if server.serving():
                seen.update(p for p in pool.map(lambda _: greeting_pid(server.port), range(burst)) if p)
                if len(seen & server.serving()) >= server.workers:
                    return (time.time_ns() - t0_ns) / 1e6
            time.sleep(0.01)
    raise TimeoutError(f"{server.name} on port {server.port}: {server.workers} workers not serving after {timeout}s "
                       f"(answered: {sorted(seen)})")


# ---------------------------------------------------------------- one server, one round

def measure(server, args, samples, rnd, shapes):
    def put(metric, value):
        samples.setdefault(metric, {}).setdefault(server.name, []).append(value)

    t0 = server.launch()
    put("start_ms", wait_serving(server, t0))
    data = exchange(server.port)
    if data is None:
        raise RuntimeError(f"{server.name}: a `Connection: close` request did not end its connection within 2 s")
    shapes[server.name], _ = answers(data)
    if isinstance(server, HelloApp) and args.jvm_flags is None:
        # less where masterwork's own native library is (jffi, lib/native/ of hello-app's distribution): plain
        # Netty's workers do not load it (as profile-request-path.sh)
        args.jvm_flags = [f for f in cn.worker_jvm_flags(server.master)
                          if not f.startswith(("-Djffi.", "-Djava.library.path="))]
    cn.wait_quiet(server.master)
    put("spares", len(cn.spares(server.master)) if isinstance(server, HelloApp) else 0)
    if args.warmup > 0:
        cn.wrk_result(cn.run_wrk(server.port, 2, 100, args.warmup), args.warmup + 30)
    for label, threads, conns in LOADS:
        cn.wait_quiet(server.master)
        every = [server.master] + sorted(children(server.master))
        serving = sorted(server.serving())
        ticks_every, ticks_serving = cpu_ticks(every), cpu_ticks(serving)
        r = cn.wrk_result(cn.run_wrk(server.port, threads, conns, args.duration), args.duration + 30)
        used_every, used_serving = cpu_ticks(every) - ticks_every, cpu_ticks(serving) - ticks_serving
        if every[1:] != sorted(children(server.master)) or serving != sorted(server.serving()):
            raise RuntimeError(f"{server.name}: its processes changed during the {label} load")
        n = max(r["requests"], 1)
        put(f"{label}_rps", r["rps"])
        put(f"{label}_p50_ms", r["p50"])
        put(f"{label}_p99_ms", r["p99"])
        put(f"{label}_cpu_us", used_every * 1e6 / CLK_TCK / n)
        put(f"{label}_cpu_workers_us", used_serving * 1e6 / CLK_TCK / n)
        with open(os.path.join(args.work, f"{server.name}-r{rnd}-{label}.wrk"), "w") as f:
            f.write(r["raw"])
        if r["errors"]:
            raise RuntimeError(f"{server.name}: {r['errors']} failed requests under {label}")
    server.stop()


# ---------------------------------------------------------------- report

# metric, label, unit, decimals, goal (a test on the ratio hello-app / plain Netty, its words) or None
ROWS = []
for _label, _t, _c in LOADS:
    _w = f"`wrk -t{_t} -c{_c}`"
    ROWS += [
        (f"{_label}_rps", f"{_w} requests/s", "req/s", 0, (lambda r: r >= 0.95, "≥ 0.95× plain Netty")),
        (f"{_label}_p50_ms", f"{_w} p50 latency", "ms", 3, None),
        (f"{_label}_p99_ms", f"{_w} p99 latency", "ms", 2, None),
        (f"{_label}_cpu_us", f"{_w} CPU time per request, every process (hello-app: master, workers, spares)", "µs", 2,
         (lambda r: r <= 1.05, "≤ 1.05× plain Netty")),
        (f"{_label}_cpu_workers_us", f"{_w} CPU time per request, serving workers only", "µs", 2,
         (lambda r: r <= 1.05, "≤ 1.05× plain Netty")),
    ]
ROWS += [
    ("start_ms", "start → every worker serving", "ms", 0, None),
    ("spares", "spares running (`worker_spares`, auto)", "", 0, None),
]


def table(s, missing):
    lines = [f"| figure | unit | {HELLO} median | min | max | {PLAIN} median | min | max | {HELLO} / {PLAIN} | goal |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key, label, unit, d, goal in ROWS:
        cells = []
        for srv in (HELLO, PLAIN):
            xs = s.get(key, {}).get(srv)
            cells.append(f"**{fmt(med(xs), d)}** | {fmt(min(xs), d)} | {fmt(max(xs), d)}" if xs else "– | – | –")
        a, b = s.get(key, {}).get(HELLO), s.get(key, {}).get(PLAIN)
        ratio = med(a) / med(b) if a and b and med(b) else None
        cells.append(fmt(ratio, 2) if ratio is not None else "–")
        if goal is None:
            verdict = ""
        elif ratio is None:
            verdict = "not measured"
            missing.append(f"goal of {key}: no figure for " + " and ".join(
                srv for srv, xs in ((HELLO, a), (PLAIN, b)) if not xs))
        else:
            verdict = ("met" if goal[0](ratio) else "missed") + f" ({goal[1]})"
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launcher", required=True, help="bin/hello-app of hello-app's built distribution")
    ap.add_argument("--plain-classpath", required=True, help="class path of benchmarks' PlainNettyServer")
    ap.add_argument("--greeting", default="Hello", help="app.greeting of hello-app's distribution (the plain side's)")
    ap.add_argument("--build", default="", help="which build (for the record)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--record", default="", help="markdown file to append the table to")
    ap.add_argument("--command", default="bench/hello-app-vs-plain.sh")
    args = ap.parse_args()

    cn.exit_on_signals()
    args.work = cn.work_directory("hello-app-vs-plain-")
    args.jvm_flags = None
    info = cn.machine()
    began = datetime.datetime.now(datetime.timezone.utc)
    samples, failures, shapes = {}, [], {}
    try:
        for rnd in range(1, args.rounds + 1):
            # hello-app first in the first round: plain Netty runs with its workers' JVM flags
            order = [HELLO, PLAIN]
            k = (rnd - 1) % len(order)
            for name in order[k:] + order[:k]:
                if name == HELLO:
                    server = HelloApp(args.work, args.workers, args.launcher)
                elif args.jvm_flags is None:
                    failures.append(f"round {rnd}, {PLAIN}: hello-app's worker JVM flags are not known")
                    continue
                else:
                    server = PlainHello(args.work, args.workers, args.plain_classpath, args.jvm_flags, args.greeting)
                log(f"round {rnd}/{args.rounds}: {name}")
                try:
                    measure(server, args, samples, rnd, shapes)
                except (TimeoutError, subprocess.TimeoutExpired, RuntimeError, ValueError) as e:
                    # a wait that ran out is a result too: recorded, and the run goes on
                    failures.append(f"round {rnd}, {name}: {e}")
                    log(f"FAILED: {failures[-1]}")
                finally:
                    server.stop()
            with open(os.path.join(args.work, "samples.json"), "w") as f:
                json.dump(samples, f, indent=1)
    finally:
        cn.kill_started()
    ended = datetime.datetime.now(datetime.timezone.utc)
    load_after = cn.load_average()

    if HELLO in shapes and PLAIN in shapes and shapes[HELLO] != shapes[PLAIN]:
        failures.append(f"the two servers answer different bytes (pid and content-length aside): "
                        f"{HELLO} {shapes[HELLO]!r}, {PLAIN} {shapes[PLAIN]!r}")
    missing = []
    tbl = table(samples, missing)
    failures += missing
    same = shapes.get(HELLO) == shapes.get(PLAIN) and HELLO in shapes
    notes = [f"Both answer, byte for byte but for the pid and its length: "
             f"`{shapes[HELLO][0][0].decode(errors='replace')!r}` + `{shapes[HELLO][0][1].decode(errors='replace')!r}`"
             f" (a keep-alive request), and `connection: close` then the end of the connection for a request that"
             f" does not keep alive." if same else
             "The two servers' answers differ (below)." if HELLO in shapes and PLAIN in shapes else
             "The two servers' answers were not compared (a server did not get that far: below).",
             f"Worker JVM flags (both, as hello-app's workers report them with jcmd, less their class-data archive and "
             f"masterwork's native library path): "
             f"`{' '.join(args.jvm_flags or [])}`"]
    tbl += cn.errors_appendix(failures)
    print(tbl)
    print()
    print("\n".join(notes))
    print(f"\nraw output (wrk, logs, samples.json): {args.work}", file=sys.stderr)

    if args.record:
        with open(args.record, "a") as f:
            f.write(f"""
### Downstream application beside plain Netty: run of {began:%Y-%m-%d %H:%M} UTC ({(ended - began).total_seconds() / 60:.1f} min)

Command: `{args.command}` — {args.rounds} rounds, {args.workers} workers each, `worker_cpu_affinity off`, spares as
configured by default, wrk {args.duration} s per load after a {args.warmup} s `-t2 -c100` warm-up, every process of the
server quiet before each load. Machine: {info['cores']} cores, {info['cpu']}, kernel {info['kernel']}, {info['jdk']},
{info['wrk']}; hello-app build `{args.build}`.
Load average (1, 5, 15 min) {info['load']} before, {load_after} after, on {info['cores']} cores.
The servers were measured in turn, round by round (the order rotates), under the same load.

{tbl}

{chr(10).join(notes)}
""")
        log(f"appended to {args.record}")
    if failures:
        log(f"{len(failures)} error(s) in this run (listed under the table): exit status 1")
        sys.exit(1)


if __name__ == "__main__":
    main()
