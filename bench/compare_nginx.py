#!/usr/bin/env python3
"""masterwork beside Debian's nginx: the driver behind bench/compare-nginx.sh (read that file first).

Runs both servers alternately for several rounds on 127.0.0.1, measures every figure the same way for
both, prints one table (median, min, max per server, ratio masterwork / nginx), appends it to
docs/BENCHMARKS.md and draws docs/benchmarks.png with gnuplot from the same data.

Everything this program starts (servers, wrk, tcpdump) is killed by pid when it exits, however it exits.
Every wait is bounded.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
AFFINITY = "off"  # worker_cpu_affinity of both servers: off (neither pinned) or auto (one CPU per worker)

started = []  # Popen objects, killed on exit


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- /proc

def children(parent):
    """Pids whose parent is `parent` (scan of /proc/*/stat; a JVM spawns from any thread)."""
    out = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[1]) == parent:
            out.add(int(name))
    return out


def title(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


SPARE_TITLE = "masterwork: worker process (spare)"


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def workers(master):
    """The serving workers of `master`: its children less masterwork's spares (worker_spares), which hold the
    listeners but never accept, and are neither counted as workers nor waited for as serving, and less a child
    that has not exec'd yet: its command line is still its parent's. A spare sets SCHED_IDLE before its exec, so
    under load it can sit there for seconds; counted as a worker, it once made a reload look complete too early
    and the next one wait for a 'old worker' that was in fact the spare, promoted."""
    own = cmdline(master)
    return {p for p in children(master) if title(p) != SPARE_TITLE and cmdline(p) != own}


def spares(master):
    return {p for p in children(master) if title(p) == SPARE_TITLE}


def cpu_ticks(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def rss_pss_kib(pid):
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def memory(master):
    """Master RSS/PSS, mean worker RSS/PSS, spares' PSS (all of them), total PSS (master, workers, spares), in MiB."""
    m_rss, m_pss = rss_pss_kib(master)
    ws = [rss_pss_kib(p) for p in sorted(workers(master))]
    sp = [rss_pss_kib(p) for p in sorted(spares(master))]
    n = max(len(ws), 1)
    return {
        "master_rss": m_rss / 1024, "master_pss": m_pss / 1024,
        "worker_rss": sum(w[0] for w in ws) / n / 1024,
        "worker_pss": sum(w[1] for w in ws) / n / 1024,
        "spares_pss": sum(x[1] for x in sp) / 1024,
        "spares": len(sp),
        "total_pss": (m_pss + sum(w[1] for w in ws) + sum(x[1] for x in sp)) / 1024,
    }


# ---------------------------------------------------------------- serving probe

def ask_worker_pid(port):
    """One connection, GET /_worker; the pid of the worker that answered (both servers answer
    {"pid":N}: masterwork's built-in /_worker, nginx's `return 200 '{"pid":$pid}'`), or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"GET /_worker HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    m = re.search(rb'"pid":(\d+)', data)
    return int(m.group(1)) if m and data.startswith(b"HTTP/1.1 200") else None


def wait_serving(port, master, count, t0_ns, exclude=frozenset(), gone=frozenset(), timeout=60.0, proc=None):
    """Waits until `count` workers that are children of `master`, none of them in `exclude`, have each
    answered a request, and no pid of `gone` is a child any more. Returns ms since t0_ns.
    Requests go in bursts of concurrent connections so that every worker gets a chance to accept."""
    seen = set()
    deadline = time.monotonic() + timeout
    burst = max(4, 4 * count)
    with concurrent.futures.ThreadPoolExecutor(burst) as pool:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"port {port}: the server {master} exited with status {proc.returncode} before serving")
            kids = workers(master)
            if kids:
                for pid in pool.map(lambda _: ask_worker_pid(port), range(burst)):
                    if pid is not None:
                        seen.add(pid)
                kids = workers(master)
                fresh = (seen & kids) - set(exclude)
                if len(fresh) >= count and not (set(gone) & kids):
                    return (time.time_ns() - t0_ns) / 1e6
            else:
                time.sleep(0.005)
    raise TimeoutError(f"port {port}: {count} workers of {master} not serving after {timeout}s (seen {seen})")


def wait_generation(master, old, count, t0_ns, timeout=120.0):
    """Reload under load: ms from t0_ns until no pid of `old` is a child of `master` any more and `count`
    others are; None when the reload was rolled back (the new children came and went, the old ones are
    all still there) or the bound ran out. Only /proc is read (a probe would add connections to the
    load's count). masterwork stops the old generation only after every new worker reported READY;
    nginx 100 ms after it started the new workers."""
    deadline = time.monotonic() + timeout
    new_seen = set()
    while time.monotonic() < deadline:
        kids = workers(master)
        new_seen |= kids - old
        if not (kids & old) and len(kids - old) >= count:
            return (time.time_ns() - t0_ns) / 1e6
        if new_seen and not (new_seen & kids) and old <= kids:
            log(f"reload of {master} rolled back: new workers {sorted(new_seen)} gone, old ones serving")
            return None
        time.sleep(0.01)
    log(f"reload of {master}: old workers {sorted(old & workers(master))} still there after {timeout}s")
    return None


# ---------------------------------------------------------------- servers

class Server:
    supervises = True       # a master that respawns and reloads its workers (not the plain Netty baseline)
    access_log_row = True   # measured again with its access log on

    def __init__(self, name, work, workers):
        self.name, self.workers = name, workers
        self.dir = os.path.join(work, name)
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        self.proc = None
        self.port = None
        self.access_log = False

    def wait_serving(self, t0):
        return wait_serving(self.port, self.master, self.workers, t0, timeout=120, proc=self.proc)

    @property
    def master(self):
        return self.proc.pid

    def launch(self):
        self.port = free_port()
        self.write_conf()
        out = open(os.path.join(self.dir, "logs", "stdout.log"), "ab")
        t0 = time.time_ns()
        self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        started.append(self.proc)
        return t0

    def stop(self):
        """Fast stop (TERM), bounded; then SIGKILL for the master and whatever children it left."""
        if not self.proc or self.proc.poll() is not None:
            return
        kids = children(self.master)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while kids and time.monotonic() < deadline:
            kids = {k for k in kids if os.path.exists(f"/proc/{k}")}
            time.sleep(0.05)
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
            except OSError:
                pass


class Masterwork(Server):
    def __init__(self, work, workers, launcher, worker_jvm_options=()):
        super().__init__("masterwork", work, workers)
        self.launcher = launcher
        self.worker_jvm_options = list(worker_jvm_options)

    def write_conf(self):
        os.makedirs(os.path.join(self.dir, "conf"), exist_ok=True)
        with open(os.path.join(self.dir, "conf", "masterwork.conf"), "w") as f:
            f.write(f"""worker_processes = {self.workers}
worker_cpu_affinity = {AFFINITY}
listen = "127.0.0.1:{self.port}"
pid = logs/masterwork.pid
error_log = logs/error.log
{"worker_jvm_options = " + json.dumps(self.worker_jvm_options) if self.worker_jvm_options else ""}
http {{
  body = "hello\\n"
  access_log = {"logs/access.log" if self.access_log else "off"}
  keepalive_timeout = 75s
  keepalive_requests = 1000
}}
""")

    def command(self):
        return [self.launcher, "-p", self.dir]


class Nginx(Server):
    def __init__(self, work, workers, binary):
        super().__init__("nginx", work, workers)
        self.binary = binary

    def write_conf(self):
        # nginx's defaults otherwise (epoll, accept_mutex off, no reuseport): same shape as masterwork,
        # whose workers share the master's listening socket.
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""worker_processes {self.workers};
{"worker_cpu_affinity auto;" if AFFINITY == "auto" else ""}
daemon off;
master_process on;
pid {self.dir}/logs/nginx.pid;
error_log {self.dir}/logs/error.log notice;
events {{ worker_connections 1024; }}
http {{
  access_log {self.dir + "/logs/access.log combined" if self.access_log else "off"};
  keepalive_timeout 75s;
  keepalive_requests 1000;
  server {{
    listen 127.0.0.1:{self.port};
    location / {{ default_type text/plain; return 200 "hello\\n"; }}
    location = /_worker {{ default_type application/json; return 200 '{{"pid":$pid}}'; }}
  }}
}}
""")

    def command(self):
        return [self.binary, "-p", self.dir + "/", "-c", os.path.join(self.dir, "nginx.conf")]


class PlainNetty(Server):
    """The request path's baseline (issue 25): benchmarks' PlainNettyServer, N JVMs sharing one listening socket
    inherited from their parent, each one epoll event loop with HttpServerCodec, answering the same bytes as
    masterwork's built-in application, with the JVM flags masterwork gives its workers."""
    supervises = False
    access_log_row = False

    def __init__(self, work, workers, classpath, jvm_flags):
        super().__init__("plain-netty", work, workers)
        self.classpath, self.jvm_flags = classpath, jvm_flags

    def write_conf(self):
        with open(os.path.join(self.dir, "body.txt"), "w") as f:
            f.write("hello\n")

    def command(self):
        return (["java", "-cp", self.classpath, "io.masterwork.bench.PlainNettyServer",
                 "--listen", f"127.0.0.1:{self.port}", "--processes", str(self.workers),
                 "--body-file", os.path.join(self.dir, "body.txt"), "--"] + self.jvm_flags)

    def wait_serving(self, t0):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if len(children(self.master)) >= self.workers and http_ok(self.port):
                return (time.time_ns() - t0) / 1e6
            time.sleep(0.005)
        raise TimeoutError(f"plain-netty on port {self.port}: not serving after 120 s")


def http_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def worker_jvm_flags(master):
    """The JVM flags one of `master`'s workers runs with, as its JVM reports them (`jcmd <pid> VM.command_line`: a
    worker's /proc/<pid>/cmdline holds only its title), less what belongs to masterwork's own class path (its
    class-data archive): what the plain Netty baseline runs with."""
    for pid in sorted(workers(master)):
        out = subprocess.run(["jcmd", str(pid), "VM.command_line"], capture_output=True, text=True, timeout=30).stdout
        m = re.search(r"^jvm_args: (.*)$", out, re.M)
        if m:
            return [a for a in m.group(1).split() if not a.startswith("-XX:SharedArchiveFile")]
    raise RuntimeError(f"the JVM flags of {master}'s workers could not be read with jcmd")


def wait_quiet(master, timeout=60.0):
    """Until the master and its children (spares starting in the background included) used less than 30 ms of CPU
    in each of two consecutive seconds: idle figures are taken on an idle server."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline and quiet < 2:
        pids = [master] + sorted(children(master))
        ticks = cpu_ticks(pids)
        time.sleep(1)
        quiet = quiet + 1 if (cpu_ticks(pids) - ticks) * 1000 / CLK_TCK < 30 else 0
    if quiet < 2:
        log(f"{master} and its children were still busy after {timeout}s")


# ---------------------------------------------------------------- load

UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def run_wrk(port, threads, conns, seconds, wait_extra=20):
    proc = subprocess.Popen(["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency",
                             f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    started.append(proc)
    return proc


def wrk_result(proc, timeout):
    """wrk's figures; a RuntimeError when its output does not say how many requests it made (wrk failed, or its
    output changed): a figure of 0 requests/s would otherwise enter the table as a measurement."""
    out, _ = proc.communicate(timeout=timeout)
    r = {"raw": out}
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    if r["requests"] <= 0 or not m:
        raise RuntimeError(f"wrk's output did not parse (exit status {proc.returncode}): {out.strip()[:400]!r}")
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        r[f"p{q}"] = to_ms(m.group(1)) if m else float("nan")
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["connect"], r["read"], r["write"], r["timeout"] = (int(x) for x in m.groups()) if m else (0, 0, 0, 0)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"] + r["non2xx"]
    return r


class SynCounter:
    """Counts SYNs (connection attempts, retransmits included) sent to one port on lo with tcpdump:
    exact and per port, unlike the system-wide TcpPassiveOpens other processes add to."""

    def __init__(self, port, pcap):
        self.pcap = pcap
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-nn", "-U", "-w", pcap,
             f"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and dst port {port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started.append(self.proc)
        deadline = time.monotonic() + 10
        # tcpdump says "listening on lo" once the filter is attached
        os.set_blocking(self.proc.stderr.fileno(), False)
        self.err = ""
        while time.monotonic() < deadline and "listening on" not in self.err:
            try:
                self.err += self.proc.stderr.read() or ""
            except TypeError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"tcpdump failed: {self.err}")
            time.sleep(0.05)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.set_blocking(self.proc.stderr.fileno(), True)
        self.err += self.proc.stderr.read()
        # Counted from the file: tcpdump's "packets captured" line can be one more than the file holds (seen on lo).
        r = subprocess.run(["tcpdump", "-nn", "-r", self.pcap], capture_output=True, text=True, timeout=60)
        return len(r.stdout.splitlines()) if r.returncode == 0 else float("nan")


# ---------------------------------------------------------------- one server, one round

def measure_http(server, args, put, rnd):
    """HTTP throughput, latency and CPU per request at two loads, after a warm-up (a JVM compiles its hot code in
    the first seconds). CPU is the server's every process: master (or parent) and workers."""
    if args.warmup > 0:
        wrk_result(run_wrk(server.port, 2, 100, args.warmup), args.warmup + 30)
    for label, threads, conns in (("t1c50", 1, 50), ("t2c100", 2, 100)):
        wrk_run(server, args, put, rnd, label, threads, conns)


def wrk_run(server, args, put, rnd, label, threads, conns):
    pids = [server.master] + sorted(children(server.master))
    serving = sorted(workers(server.master))
    ticks, worker_ticks = cpu_ticks(pids), cpu_ticks(serving)
    r = wrk_result(run_wrk(server.port, threads, conns, args.duration), args.duration + 30)
    used, worker_used = cpu_ticks(pids) - ticks, cpu_ticks(serving) - worker_ticks
    if pids[1:] != sorted(children(server.master)):
        log(f"{server.name}: processes changed during the {label} run")
    put(f"{label}_rps", r["rps"])
    put(f"{label}_p50_ms", r["p50"])
    put(f"{label}_p99_ms", r["p99"])
    put(f"{label}_cpu_us_per_req", used * 1e6 / CLK_TCK / max(r["requests"], 1))
    put(f"{label}_worker_cpu_us_per_req", worker_used * 1e6 / CLK_TCK / max(r["requests"], 1))
    put(f"{label}_errors", r["errors"])
    if r["errors"]:
        raise RuntimeError(f"{server.name}: {r['errors']} failed requests under {label}")
    with open(os.path.join(args.work, f"{server.name}-r{rnd}-{label}.wrk"), "w") as f:
        f.write(r["raw"])


def measure_access_log(server, args, put, rnd):
    """The same -t1 -c50 load with the access log on (masterwork's default; nginx's combined log): a reload into
    that configuration, a short warm-up, the load. Log files go to the server's own directory."""
    server.access_log = True
    server.write_conf()
    before = workers(server.master)
    os.kill(server.master, signal.SIGHUP)
    if wait_generation(server.master, before, server.workers, time.time_ns(), timeout=120) is None:
        raise RuntimeError(f"{server.name}: the reload into the access-log configuration did not complete")
    wait_quiet(server.master)  # the spares that replace those the reload promoted start first
    wrk_result(run_wrk(server.port, 1, 50, 3), 40)
    wrk_run(server, args, put, rnd, "t1c50_alog", 1, 50)
    server.access_log = False
    server.write_conf()



def measure(server, args, samples, rnd, failures):
    name = server.name
    n = server.workers

    def put(metric, value):
        samples.setdefault(metric, {}).setdefault(name, []).append(value)

    # start -> every worker serving
    t0 = server.launch()
    put("start_ms", server.wait_serving(t0))
    if server.name == "masterwork":
        server.worker_jvm_flags = worker_jvm_flags(server.master)
    wait_quiet(server.master)

    # master CPU while idle, and idle memory
    ticks = cpu_ticks([server.master])
    time.sleep(args.idle)
    put("master_idle_cpu_ms", (cpu_ticks([server.master]) - ticks) * 1000 / CLK_TCK)
    for k, v in memory(server.master).items():
        put(f"idle_{k}", v)

    if not server.supervises:
        # a plain server: HTTP figures only (below); no respawn, no reload
        measure_http(server, args, put, rnd)
        server.stop()
        return

    # kill -9 of a worker -> its replacement serving (a spare promoted, with worker_spares)
    before = workers(server.master)
    victim = min(before)
    t0 = time.time_ns()
    os.kill(victim, signal.SIGKILL)
    put("respawn_ms", wait_serving(server.port, server.master, 1, t0, exclude=before, gone={victim}, timeout=60))
    wait_serving(server.port, server.master, n, time.time_ns(), timeout=60)

    # HUP, idle -> new generation serving, old one exited
    before = workers(server.master)
    t0 = time.time_ns()
    os.kill(server.master, signal.SIGHUP)
    try:
        put("hup_idle_ms", wait_serving(server.port, server.master, n, t0, exclude=before, gone=before, timeout=90))
    except TimeoutError as e:
        failures.append(f"round {rnd}, {name}: idle reload: {e}")
        log(failures[-1])
    # The respawn and the reload promoted spares (worker_spares): their replacements start now, one JVM after the
    # other. The HTTP loads measure the serving path, so they wait until those starts are over (every process
    # quiet), as a user's steady state would; the reloads under load below measure the starts.
    wait_quiet(server.master)

    measure_http(server, args, put, rnd)
    for k, v in memory(server.master).items():
        put(f"load_{k}", v)
    if server.access_log_row:
        measure_access_log(server, args, put, rnd)

    # reloads under keep-alive load: wrk -t1 -c50 and a HUP every `every` seconds, but never before the
    # previous reload is complete (both servers queue a HUP that comes during a reload, and signals
    # coalesce): a slow reload delays the next one. The load runs until 2 s after the last reload
    # completed (wrk prints its results on SIGINT); its -d is only a bound.
    syns = SynCounter(server.port, os.path.join(args.work, f"{name}-r{rnd}-reloads.pcap"))
    bound_s = args.reloads * (args.every + 150) + 60
    wrk = run_wrk(server.port, 1, 50, bound_s)
    start = time.monotonic()
    durations = []
    failed = 0
    for i in range(1, args.reloads + 1):
        delay = start + i * args.every - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        before = workers(server.master)
        t0 = time.time_ns()
        os.kill(server.master, signal.SIGHUP)
        d = wait_generation(server.master, before, n, t0, timeout=150)
        if d is None:
            failed += 1
        else:
            durations.append(d)
    time.sleep(2)
    wrk.send_signal(signal.SIGINT)
    r = wrk_result(wrk, 60)
    put("reload_load_s", time.monotonic() - start)
    put("reload_connects", syns.stop())
    put("reload_rps", r["rps"])
    put("reload_p99_ms", r["p99"])
    put("reload_errors", r["connect"] + r["read"] + r["write"] + r["non2xx"])
    put("reload_read_errors", r["read"])
    put("reload_other_errors", r["connect"] + r["write"] + r["non2xx"])
    put("reload_timeouts", r["timeout"])
    put("reload_failed", failed)
    if durations:
        put("reload_hup_median_ms", statistics.median(durations))
        put("reload_hup_max_ms", max(durations))
    with open(os.path.join(args.work, f"{name}-r{rnd}-reloads.wrk"), "w") as f:
        f.write(r["raw"] + "\nreload durations ms: " + " ".join(f"{d:.0f}" for d in durations) +
                f"\nreloads that did not complete: {failed}\n")
    log(f"{name} round {rnd}: reload errors {r['errors']} (read {r['read']}, timeout {r['timeout']}), "
        f"failed reloads {failed}, reloads {' '.join(f'{d:.0f}' for d in durations)} ms")

    server.stop()


# ---------------------------------------------------------------- report

# metric, label, unit, decimals
ROWS = [
    ("start_ms", "start → every worker serving", "ms", 0),
    ("respawn_ms", "`kill -9` of a worker → replacement serving", "ms", 0),
    ("hup_idle_ms", "HUP (idle) → new generation serving, old one exited", "ms", 0),
    ("t1c50_rps", "`wrk -t1 -c50` requests/s", "req/s", 0),
    ("t1c50_p50_ms", "`wrk -t1 -c50` p50 latency", "ms", 3),
    ("t1c50_p99_ms", "`wrk -t1 -c50` p99 latency", "ms", 2),
    ("t1c50_cpu_us_per_req", "`wrk -t1 -c50` CPU time per request (every process of the server)", "µs", 1),
    ("t1c50_worker_cpu_us_per_req", "`wrk -t1 -c50` CPU time per request, serving workers only", "µs", 1),
    ("t2c100_rps", "`wrk -t2 -c100` requests/s", "req/s", 0),
    ("t2c100_p50_ms", "`wrk -t2 -c100` p50 latency", "ms", 3),
    ("t2c100_p99_ms", "`wrk -t2 -c100` p99 latency", "ms", 2),
    ("t2c100_cpu_us_per_req", "`wrk -t2 -c100` CPU time per request (every process of the server)", "µs", 1),
    ("t2c100_worker_cpu_us_per_req", "`wrk -t2 -c100` CPU time per request, serving workers only", "µs", 1),
    ("t1c50_alog_rps", "`wrk -t1 -c50` requests/s, access log on", "req/s", 0),
    ("t1c50_alog_p99_ms", "`wrk -t1 -c50` p99 latency, access log on", "ms", 2),
    ("t1c50_alog_cpu_us_per_req", "`wrk -t1 -c50` CPU time per request, access log on", "µs", 1),
    ("reload_load_s", "length of the load with the reloads (8 × 2 s, more when reloads are slower)", "s", 0),
    ("reload_errors", "failed requests during the reloads under load (connect + read + write errors + non-2xx)", "", 0),
    ("reload_read_errors", "… of which read errors", "", 0),
    ("reload_other_errors", "… of which connect + write errors + non-2xx", "", 0),
    ("reload_timeouts", "answers slower than 2 s during the reloads (wrk \"timeout\"; answered later, not failed)", "", 0),
    ("reload_failed", "reloads that did not complete (rolled back by the server, or not done within 150 s)", "", 0),
    ("reload_connects", "TCP connects (SYNs) during the reloads under load", "", 0),
    ("reload_rps", "requests/s during the reloads under load", "req/s", 0),
    ("reload_p99_ms", "p99 latency during the reloads under load", "ms", 2),
    ("reload_hup_median_ms", "HUP under load → new generation, old exited (median of the run)", "ms", 0),
    ("reload_hup_max_ms", "HUP under load → new generation, old exited (slowest of the run)", "ms", 0),
    ("idle_master_rss", "master RSS, idle", "MiB", 1),
    ("idle_master_pss", "master PSS, idle (plain Netty: its parent JVM)", "MiB", 1),
    ("idle_worker_rss", "worker RSS (mean per worker), idle", "MiB", 1),
    ("idle_worker_pss", "worker PSS (mean per worker), idle", "MiB", 1),
    ("idle_spares", "spares running, idle (`worker_spares`)", "", 0),
    ("idle_spares_pss", "spares' PSS, all of them, idle", "MiB", 1),
    ("idle_total_pss", "every process PSS (master, workers, spares), idle", "MiB", 1),
    ("load_master_pss", "master PSS, after load", "MiB", 1),
    ("load_worker_rss", "worker RSS (mean per worker), after load", "MiB", 1),
    ("load_worker_pss", "worker PSS (mean per worker), after load", "MiB", 1),
    ("load_spares_pss", "spares' PSS, after load", "MiB", 1),
    ("load_total_pss", "every process PSS (master, workers, spares), after load", "MiB", 1),
    ("master_idle_cpu_ms", "master CPU time while idle", "ms", 0),
]

SERVERS = ("masterwork", "plain-netty", "nginx")


def med(xs):
    return statistics.median(xs)


def fmt(x, d):
    if x != x:  # nan
        return "–"
    return f"{x:,.{d}f}"


def targets(s, missing=None):
    """The targets of issues 24 (reload, respawn, start, memory) and 25 (the request path), judged on the medians. A
    target whose figures were not measured (a round that failed before them, a server left out) says so in its
    cell and is added to `missing`: it is never left out in silence."""
    med_of = {srv: {k: med(v[srv]) for k, v in s.items() if v.get(srv)} for srv in SERVERS}
    out = {}
    for key, needs, judge in TARGETS:
        absent = [f"{k} of {srv}" for srv, k in needs if k not in med_of[srv]]
        if absent:
            out[key] = "not measured (no " + ", ".join(absent) + ")"
            if missing is not None:
                missing.append(f"target of {key}: no figure for " + ", ".join(absent))
        else:
            out[key] = judge(s, med_of["masterwork"], med_of["nginx"], med_of["plain-netty"])
    return out


def _met(ok, what):
    return ("met" if ok else "missed") + f" ({what})"


def _all(*parts):
    """Several conditions in one cell: met only when all are."""
    ok = all(p[0] for p in parts)
    return ("met" if ok else "missed") + " (" + "; ".join(("✓ " if p[0] else "✗ ") + p[1] for p in parts) + ")"


MW, NG, PN = "masterwork", "nginx", "plain-netty"

# row key, the (server, figure) pairs its target needs, how it is judged
TARGETS = [
    ("t1c50_rps", ((MW, "t1c50_rps"), (PN, "t1c50_rps"), (NG, "t1c50_rps")), lambda s, mw, ng, pn: _all(
        (mw["t1c50_rps"] >= 0.95 * pn["t1c50_rps"], "≥ 0.95× plain Netty"),
        (mw["t1c50_rps"] >= 0.85 * ng["t1c50_rps"], "≥ 0.85× nginx"))),
    ("t1c50_p99_ms", ((MW, "t1c50_p99_ms"), (NG, "t1c50_p99_ms")), lambda s, mw, ng, pn: _met(
        mw["t1c50_p99_ms"] <= 1.5 * ng["t1c50_p99_ms"], "≤ 1.5× nginx")),
    ("t1c50_cpu_us_per_req", ((MW, "t1c50_cpu_us_per_req"), (PN, "t1c50_cpu_us_per_req"), (NG, "t1c50_cpu_us_per_req")),
     lambda s, mw, ng, pn: _all(
        (mw["t1c50_cpu_us_per_req"] <= 1.05 * pn["t1c50_cpu_us_per_req"], "≤ 1.05× plain Netty"),
        (mw["t1c50_cpu_us_per_req"] <= 1.4 * ng["t1c50_cpu_us_per_req"], "≤ 1.4× nginx"))),
    ("t2c100_rps", ((MW, "t2c100_rps"), (PN, "t2c100_rps"), (NG, "t2c100_rps")), lambda s, mw, ng, pn: _all(
        (mw["t2c100_rps"] >= 0.95 * pn["t2c100_rps"], "≥ 0.95× plain Netty"),
        (mw["t2c100_rps"] >= 0.95 * ng["t2c100_rps"], "≥ 0.95× nginx"))),
    ("t2c100_p99_ms", ((MW, "t2c100_p99_ms"), (NG, "t2c100_p99_ms")), lambda s, mw, ng, pn: _met(
        mw["t2c100_p99_ms"] <= 1.5 * ng["t2c100_p99_ms"], "≤ 1.5× nginx")),
    ("t2c100_cpu_us_per_req", ((MW, "t2c100_cpu_us_per_req"), (PN, "t2c100_cpu_us_per_req"), (NG, "t2c100_cpu_us_per_req")),
     lambda s, mw, ng, pn: _all(
        (mw["t2c100_cpu_us_per_req"] <= 1.05 * pn["t2c100_cpu_us_per_req"], "≤ 1.05× plain Netty"),
        (mw["t2c100_cpu_us_per_req"] <= 1.4 * ng["t2c100_cpu_us_per_req"], "≤ 1.4× nginx"))),
    ("reload_errors", ((MW, "reload_errors"),), lambda s, mw, ng, pn: _met(max(s["reload_errors"][MW]) == 0, "0 in every round")),
    ("reload_failed", ((MW, "reload_failed"),), lambda s, mw, ng, pn: _met(max(s["reload_failed"][MW]) == 0, "every reload completes")),
    ("reload_rps", ((MW, "reload_rps"), (NG, "reload_rps")), lambda s, mw, ng, pn: _met(
        mw["reload_rps"] >= 0.8 * ng["reload_rps"], "≥ 0.8× nginx")),
    ("reload_p99_ms", ((MW, "reload_p99_ms"), (NG, "reload_p99_ms")), lambda s, mw, ng, pn: _met(
        mw["reload_p99_ms"] <= 2 * ng["reload_p99_ms"], "≤ 2× nginx")),
    ("reload_hup_median_ms", ((MW, "reload_hup_median_ms"),), lambda s, mw, ng, pn: _met(
        mw["reload_hup_median_ms"] <= 250, "≤ 250 ms")),
    ("respawn_ms", ((MW, "respawn_ms"), (NG, "respawn_ms")), lambda s, mw, ng, pn: _met(
        mw["respawn_ms"] <= ng["respawn_ms"] + 5, "≤ nginx + 5 ms")),
    ("start_ms", ((MW, "start_ms"),), lambda s, mw, ng, pn: _met(mw["start_ms"] <= 600, "≤ 600 ms")),
    ("idle_worker_pss", ((MW, "idle_worker_pss"),), lambda s, mw, ng, pn: _met(mw["idle_worker_pss"] <= 24, "≤ 24 MiB")),
    ("load_worker_pss", ((MW, "load_worker_pss"),), lambda s, mw, ng, pn: _met(mw["load_worker_pss"] <= 32, "≤ 32 MiB")),
    ("idle_master_pss", ((MW, "idle_master_pss"),), lambda s, mw, ng, pn: _met(mw["idle_master_pss"] <= 16, "≤ 16 MiB")),
    ("idle_total_pss", ((MW, "idle_total_pss"),), lambda s, mw, ng, pn: _met(
        mw["idle_total_pss"] <= 100, "≤ 100 MiB, spares included")),
    ("master_idle_cpu_ms", ((MW, "master_idle_cpu_ms"),), lambda s, mw, ng, pn: _met(
        max(s["master_idle_cpu_ms"][MW]) == 0, "0 apart from named timers")),
]


def table(s, missing=None):
    t = targets(s, missing)
    present = [srv for srv in SERVERS if any(v.get(srv) for v in s.values())]
    head = "| figure | unit | " + " | ".join(f"{srv} median | min | max" for srv in present)
    ratios = [r for r in (("masterwork", "nginx"), ("masterwork", "plain-netty")) if r[1] in present and r[0] in present]
    head += " | " + " | ".join(f"{a} / {b}" for a, b in ratios) + " | target |"
    lines = [head, "|---|---|" + "---:|---:|---:|" * len(present) + "---:|" * len(ratios) + "---|"]
    for key, label, unit, d in ROWS:
        if not any(s.get(key, {}).get(srv) for srv in present):
            continue
        cells = []
        for srv in present:
            xs = s.get(key, {}).get(srv)
            cells.append(f"**{fmt(med(xs), d)}** | {fmt(min(xs), d)} | {fmt(max(xs), d)}" if xs else "– | – | –")
        for a, b in ratios:
            xa, xb = s.get(key, {}).get(a), s.get(key, {}).get(b)
            cells.append(fmt(med(xa) / med(xb), 2) if xa and xb and med(xb) else "–")
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + f" | {t.get(key, '')} |")
    return "\n".join(lines)


CHART_PANELS = [
    ("HTTP requests/s (higher is better)", False, "req/s",
     [("t1c50_rps", "wrk -t1 -c50"), ("t2c100_rps", "wrk -t2 -c100"), ("reload_rps", "-t1 -c50, 8 reloads")]),
    ("Requests during 8 reloads under load", False, "requests",
     [("reload_errors", "failed (all kinds)"), ("reload_read_errors", "read errors"),
      ("reload_timeouts", "slower than 2 s")]),
    ("Latency (lower is better)", False, "ms",
     [("t1c50_p50_ms", "p50 -t1 -c50"), ("t1c50_p99_ms", "p99 -t1 -c50"),
      ("t2c100_p50_ms", "p50 -t2 -c100"), ("t2c100_p99_ms", "p99 -t2 -c100")]),
    ("CPU time per request, master + workers", False, "µs",
     [("t1c50_cpu_us_per_req", "-t1 -c50"), ("t2c100_cpu_us_per_req", "-t2 -c100")]),
    ("Time until serving (log scale)", True, "ms",
     [("start_ms", "start"), ("respawn_ms", "kill -9 → respawn"), ("hup_idle_ms", "HUP idle"),
      ("reload_hup_median_ms", "HUP under load")]),
    ("Memory, PSS (log scale)", True, "MiB",
     [("idle_master_pss", "master idle"), ("idle_worker_pss", "worker idle"),
      ("load_master_pss", "master loaded"), ("load_worker_pss", "worker loaded")]),
]


def chart(s, work, png, subtitle):
    if not shutil.which("gnuplot"):
        log("gnuplot missing: no chart")
        return False
    script = [f'set terminal pngcairo size 1500,1500 font "DejaVu Sans,12"',
              f'set output "{png}"',
              f'set multiplot layout 3,2 title "masterwork vs nginx — median of the rounds, bars: min–max\\n{subtitle}" font ",14"',
              'set style data histogram', 'set style histogram errorbars gap 2 lw 1.5',
              'set style fill solid 0.85 border -1', 'set boxwidth 0.9', 'set grid ytics',
              'set key outside top center horizontal', 'set xtics nomirror', 'set bars front',
              'set offsets 0, 0, graph 0.08, 0']
    for i, (title, logy, unit, metrics) in enumerate(CHART_PANELS):
        dat = os.path.join(work, f"chart{i}.dat")
        with open(dat, "w") as f:
            f.write("# label mw_med mw_min mw_max ng_med ng_min ng_max\n")
            for key, label in metrics:
                if not (s.get(key, {}).get("masterwork") and s[key].get("nginx")):
                    continue
                mw, ng = s[key]["masterwork"], s[key]["nginx"]
                vals = [med(mw), min(mw), max(mw), med(ng), min(ng), max(ng)]
                if logy:
                    vals = [max(v, 0.1) for v in vals]
                f.write(f'"{label}" ' + " ".join(f"{v:.4f}" for v in vals) + "\n")
        script += [f'set title "{title}"', f'set ylabel "{unit}"',
                   'set logscale y' if logy else 'unset logscale y',
                   'set yrange [0.5:*]' if logy else 'set yrange [0:*]',
                   f'plot "{dat}" using 2:3:4:xtic(1) title "masterwork" lc rgb "#1f77b4", '
                   f'"" using 5:6:7 title "nginx" lc rgb "#2ca02c", '
                   f'"" using ($0-0.125):2:($2 >= 100 ? sprintf("%.0f", $2) : gprintf("%.3g", $2)) with labels offset 0,0.7 font ",9" notitle, '
                   f'"" using ($0+0.125):5:($5 >= 100 ? sprintf("%.0f", $5) : gprintf("%.3g", $5)) with labels offset 0,0.7 font ",9" notitle']
        # value labels would clutter; the table has the figures
    script.append("unset multiplot")
    gp = os.path.join(work, "chart.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        log(f"gnuplot failed: {r.stderr}")
        return False
    return True


def load_average():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def errors_appendix(failures):
    """What goes under a run's table when something failed (nothing otherwise)."""
    if not failures:
        return ""
    return ("\n\nErrors in this run (a wait that ran out leaves its round out of the figures after that point):\n\n"
            + "\n".join(f"- {f}" for f in failures))


def machine(nginx_bin=None):
    """The machine and the tools of the run, for its record; nginx's version when `nginx_bin` is given."""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    jdk = next((l for l in java if "Runtime Environment" in l), java[0] if java else "?").strip()
    ng = "" if nginx_bin is None else subprocess.run([nginx_bin, "-v"], capture_output=True, text=True,
                                                     timeout=30).stderr.strip().replace("nginx version: ", "")
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=30).stdout.split("[")[0].strip()
    return {"cores": os.cpu_count(), "cpu": cpu, "kernel": os.uname().release, "jdk": jdk, "nginx": ng,
            "wrk": wrk, "load": load_average()}


# ---------------------------------------------------------------- main

def kill_started():
    for p in reversed(started):
        if p.poll() is None:
            try:
                kids = children(p.pid)
                p.kill()
                p.wait(timeout=5)
                for k in kids:
                    os.kill(k, signal.SIGKILL)
            except Exception:
                pass


# ---------------------------------------------------------------- the request path, A/B

def ab_request_path(args):
    """Issue 25's binding goal, robust to the machine's drift (whole rounds minutes apart differed by 20-30 % for every
    server): masterwork and plain Netty both started once and left running, then short loads alternating between them
    (A B B A A B ...), each after both are quiet; every adjacent pair gives a ratio, and the median of those ratios is
    judged. Returns (markdown, failures)."""
    mw = Masterwork(args.work, args.workers, args.launcher, args.worker_jvm_options.split())
    servers = [mw]
    failures = []
    try:
        mw.wait_serving(mw.launch())
        pn = PlainNetty(args.work, args.workers, args.plain_classpath, worker_jvm_flags(mw.master))
        servers.append(pn)
        pn.wait_serving(pn.launch())
        for server in servers:
            wait_quiet(server.master)
            wrk_result(run_wrk(server.port, 2, 100, args.warmup), args.warmup + 30)
        rows = []
        for label, threads, conns in (("t1c50", 1, 50), ("t2c100", 2, 100)):
            ratios = {"cpu": [], "rps": []}
            for pair in range(args.ab_pairs):
                # A B then B A: a drift within a pair weighs on both sides alike
                order = servers if pair % 2 == 0 else servers[::-1]
                got = {}
                for server in order:
                    for other in servers:
                        wait_quiet(other.master, timeout=30)
                    samples = {}
                    wrk_run(server, args, lambda k, v, d=samples: d.__setitem__(k, v), pair, label, threads, conns)
                    got[server.name] = samples
                m, p = got["masterwork"], got["plain-netty"]
                ratios["cpu"].append(m[f"{label}_cpu_us_per_req"] / p[f"{label}_cpu_us_per_req"])
                ratios["rps"].append(m[f"{label}_rps"] / p[f"{label}_rps"])
                log(f"A/B {label} pair {pair + 1}: masterwork {m[f'{label}_rps']:.0f} req/s "
                    f"{m[f'{label}_cpu_us_per_req']:.1f} µs, plain Netty {p[f'{label}_rps']:.0f} req/s "
                    f"{p[f'{label}_cpu_us_per_req']:.1f} µs")
            cpu, rps = med(ratios["cpu"]), med(ratios["rps"])
            rows.append(f"| `wrk -t{threads} -c{conns}` | {args.ab_pairs} | **{cpu:.3f}** | {min(ratios['cpu']):.3f} | "
                        f"{max(ratios['cpu']):.3f} | **{rps:.3f}** | {min(ratios['rps']):.3f} | {max(ratios['rps']):.3f} | "
                        + _all((cpu <= 1.05, "CPU ≤ 1.05×"), (rps >= 0.95, "requests/s ≥ 0.95×")) + " |")
        table = ("| load | pairs | CPU per request, masterwork / plain Netty (median of pairs) | min | max | "
                 "requests/s, masterwork / plain Netty (median) | min | max | binding goal |\n"
                 "|---|---:|---:|---:|---:|---:|---:|---:|---|\n" + "\n".join(rows))
        return table, failures
    except (TimeoutError, subprocess.TimeoutExpired, RuntimeError) as e:
        failures.append(f"A/B: {e}")
        return "", failures
    finally:
        for server in servers:
            server.stop()


def exit_on_signals():
    """TERM, INT and HUP end the run through SystemExit, so that `finally` kills what it started."""
    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)


def work_directory(prefix):
    """A fresh directory for the run's servers and raw output. The workers of a root master run as nobody: they must
    be able to enter their prefix (mkdtemp makes it 0700)."""
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o755)
    return work


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-samples", default="", help="samples.json of a finished run: table and chart only")
    ap.add_argument("--launcher", default="", help="bin/masterwork of a built distribution")
    ap.add_argument("--build", default="", help="which build (for the record)")
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--idle", type=int, default=10)
    ap.add_argument("--reloads", type=int, default=8)
    ap.add_argument("--every", type=int, default=2)
    ap.add_argument("--record", default="", help="markdown file to append the table to")
    ap.add_argument("--png", default="", help="chart to draw")
    ap.add_argument("--command", default="bench/compare-nginx.sh")
    ap.add_argument("--affinity", choices=["off", "auto"], default="off")
    ap.add_argument("--ab-pairs", type=int, default=0,
                    help="instead of rounds: masterwork and plain Netty left running, this many A/B pairs of loads")
    ap.add_argument("--worker-jvm-options", default="",
                    help="masterwork's worker_jvm_options, space-separated (the plain Netty column takes them too)")
    ap.add_argument("--plain-classpath", default="",
                    help="class path of benchmarks' PlainNettyServer: the plain Netty column (empty: left out)")
    args = ap.parse_args()
    global AFFINITY
    AFFINITY = args.affinity

    exit_on_signals()
    args.work = work_directory("masterwork-vs-nginx-")
    info = machine(args.nginx)
    began = datetime.datetime.now(datetime.timezone.utc)
    samples = {}
    failures = []
    if args.ab_pairs:
        try:
            tbl, failures = ab_request_path(args)
        finally:
            kill_started()
        ended = datetime.datetime.now(datetime.timezone.utc)
        load_after = load_average()
        print(tbl)
        for f in failures:
            log(f"FAILED: {f}")
        if args.record and tbl:
            with open(args.record, "a") as f:
                f.write(f"""
### Request path A/B, masterwork beside plain Netty — {began:%Y-%m-%d %H:%M} UTC ({(ended - began).total_seconds() / 60:.1f} min)

Command: `{args.command}` — both servers started once ({args.workers} workers each, `worker_cpu_affinity {args.affinity}`,
masterwork's defaults otherwise, spares included; plain Netty with masterwork's worker JVM flags{"; worker_jvm_options " + repr(args.worker_jvm_options.split()) if args.worker_jvm_options else ""}), a
{args.warmup} s warm-up each, then per load {args.ab_pairs} pairs of {args.duration} s loads in the order A B, B A, A B ...,
every load after both servers are quiet; each pair gives masterwork / plain Netty, and the median of the pairs is
judged. Machine: {info['cores']} cores, {info['cpu']}, {info['jdk']}, {info['wrk']}. Load average (1, 5, 15 min)
{info['load']} before, {load_after} after. Raw wrk outputs: `{args.work}`.

{tbl}
""")
            log(f"appended to {args.record}")
        sys.exit(1 if failures or not tbl else 0)
    if args.from_samples:  # redraw / re-tabulate a finished run
        with open(args.from_samples) as f:
            samples = json.load(f)
        args.rounds = len(samples["start_ms"]["nginx"])
    try:
        if not args.from_samples:
            jvm_flags = None
            for rnd in range(1, args.rounds + 1):
                # masterwork first in the first round: the plain Netty baseline runs with its workers' JVM flags
                order = [Masterwork(args.work, args.workers, args.launcher, args.worker_jvm_options.split()),
                         Nginx(args.work, args.workers, args.nginx)]
                if args.plain_classpath:
                    order.insert(1, "plain-netty")
                k = (rnd - 1) % len(order)
                order = order[k:] + order[:k]
                for server in order:
                    if server == "plain-netty":
                        if jvm_flags is None:
                            failures.append(f"round {rnd}, plain-netty: masterwork's worker JVM flags are not known")
                            continue
                        server = PlainNetty(args.work, args.workers, args.plain_classpath, jvm_flags)
                    log(f"round {rnd}/{args.rounds}: {server.name}")
                    try:
                        measure(server, args, samples, rnd, failures)
                        if server.name == "masterwork" and jvm_flags is None:
                            jvm_flags = server.worker_jvm_flags
                    except (TimeoutError, subprocess.TimeoutExpired, RuntimeError) as e:
                        # a wait that ran out is a result too: recorded, and the run goes on
                        failures.append(f"round {rnd}, {server.name}: {e}")
                        log(f"FAILED: {failures[-1]}")
                    finally:
                        server.stop()
                with open(os.path.join(args.work, "samples.json"), "w") as f:
                    json.dump(samples, f, indent=1)
    finally:
        kill_started()
    ended = datetime.datetime.now(datetime.timezone.utc)
    with open(os.path.join(args.work, "samples.json"), "w") as f:
        json.dump(samples, f, indent=1)

    info["load_after"] = load_average()
    missing = []
    tbl = table(samples, missing)
    failures += missing
    tbl += errors_appendix(failures)
    print(tbl)
    print(f"\nraw output (wrk, logs, samples.json): {args.work}", file=sys.stderr)

    subtitle = (f"{args.workers} workers each, affinity {args.affinity}, {args.rounds} rounds, {info['cores']} cores {info['cpu']}, "
                f"{info['jdk']}, {info['nginx']}, {began:%Y-%m-%d}")
    drew = bool(args.png) and chart(samples, args.work, os.path.abspath(args.png), subtitle)
    if args.record:
        rel_png = os.path.relpath(os.path.abspath(args.png), os.path.dirname(os.path.abspath(args.record))) if drew else ""
        with open(args.record, "a") as f:
            f.write(f"""
### Run of {began:%Y-%m-%d %H:%M} UTC ({(ended - began).total_seconds() / 60:.1f} min)

Command: `{args.command}` — {args.rounds} rounds, {args.workers} workers each, `worker_cpu_affinity {args.affinity}` for both, wrk {args.duration} s per
load after a {args.warmup} s warm-up, {args.reloads} reloads every {args.every} s under `wrk -t1 -c50`,
{args.idle} s idle for the master's CPU{"; worker_jvm_options " + repr(args.worker_jvm_options.split()) if args.worker_jvm_options else ""}. Machine: {info['cores']} cores, {info['cpu']}, kernel
{info['kernel']}, {info['jdk']}, {info['nginx']}, {info['wrk']}; masterwork build `{args.build}`.
Load average (1, 5, 15 min) {info['load']} before, {info['load_after']} after, on {info['cores']} cores.
The servers were measured in turn, round by round (the order rotates), under the same load.

{tbl}
""")
            if drew:
                f.write(f"\n![masterwork vs nginx, {began:%Y-%m-%d}]({rel_png})\n")
        log(f"appended to {args.record}" + (f", chart {args.png}" if drew else ""))
    if failures:
        log(f"{len(failures)} error(s) in this run (listed under the table): exit status 1")
        sys.exit(1)


if __name__ == "__main__":
    main()
