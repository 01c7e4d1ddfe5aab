#!/usr/bin/env python3
"""Reads what bench/profile-request-path.sh collected (async-profiler's collapsed stacks of every worker of each
server, and wrk's output for the profiled load) and prints CPU per request, bucket by bucket, for masterwork and the
plain Netty baseline side by side: the workers' CPU time during the profiled load (from /proc), shared among the
buckets by their samples, divided by the requests wrk counted."""
import argparse
import collections
import glob
import os
import re

SERVERS = ("masterwork", "plain-netty")
EVENT_LOOP_THREADS = ("[loop", "[multiThreadIoEventLoopGroup")

# (bucket, a test on the stack's frames); the first that matches takes the sample. Event loop samples only.
BUCKETS = [
    ("waiting for events (epoll_wait)", lambda s: "epollWait" in s or "epoll_wait" in s),
    ("accepting connections", lambda s: "ServerSocketChannel" in s or "accept4" in s),
    ("socket read (recv: kernel, JNI)", lambda s: "doReadBytes" in s),
    ("socket write (send: kernel, JNI)", lambda s: "AbstractEpollStreamChannel.doWrite" in s),
    ("closing connections", lambda s: "doClose" in s or "shutdownOutput" in s or "lingeringClose" in s),
    ("HTTP response encoding (Netty)", lambda s: "HttpObjectEncoder" in s),
    ("HTTP request decoding (Netty)", lambda s: "HttpObjectDecoder" in s),
    ("request boundary and drain (masterwork)", lambda s: "HttpBoundaryDecoder" in s or "HttpConnectionDrain" in s
        or "api/http/HttpDrain" in s),
    ("timers (keep-alive, header, send)", lambda s: "DeadlineTimer" in s or "ScheduledFutureTask" in s
        or "AbstractScheduledEventExecutor" in s),
    ("the application's handlers", lambda s: "io/masterwork/worker/http/" in s or "PlainNettyServer$Answer" in s),
    ("pipeline and event loop (Netty)", lambda s: "io/netty/" in s),
    ("other (kernel, VM on the event loop)", lambda s: True),
]


def requests(wrk_file):
    text = open(wrk_file).read()
    m = re.search(r"(\d+) requests in ([\d.]+)s", text)
    if not m:
        raise SystemExit(f"no request count in {wrk_file}")
    errors = re.search(r"Socket errors: (.*)", text)
    ticks = re.search(r"^cpu_ticks (\d+) (\d+)$", text, re.M)
    cpu_us = int(ticks.group(1)) * 1e6 / int(ticks.group(2))
    return int(m.group(1)), float(m.group(2)), errors.group(1) if errors else "none", cpu_us


def stacks(server, directory):
    for path in sorted(glob.glob(os.path.join(directory, f"{server}-*.collapsed"))):
        for line in open(path):
            frames, _, count = line.rstrip("\n").rpartition(" ")
            if frames:
                yield frames.split(";"), int(count)


def thread_bucket(thread):
    if "Compiler" in thread:
        return "other threads: JIT compiler"
    if "VM Thread" in thread or "GC" in thread:
        return "other threads: GC and VM"
    return "other threads: the rest"


def profile(server, directory):
    buckets = collections.Counter()
    leaves = collections.Counter()
    for frames, count in stacks(server, directory):
        thread = frames[0]
        if not thread.startswith(EVENT_LOOP_THREADS):
            buckets[thread_bucket(thread)] += count
            continue
        joined = ";".join(frames[1:])
        for name, test in BUCKETS:
            if test(joined):
                buckets[name] += count
                break
        leaves[frames[-1].split("(")[0]] += count
    return buckets, leaves


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--event", default="cpu")
    p.add_argument("--build", default="?")
    p.add_argument("--load", default="?")
    p.add_argument("--flags", default="")
    p.add_argument("--top", type=int, default=15)
    a = p.parse_args()
    figures = {}
    for server in SERVERS:
        n, secs, errors, cpu_us = requests(os.path.join(a.dir, f"{server}.wrk"))
        buckets, leaves = profile(server, a.dir)
        samples = sum(buckets.values())
        if samples < 1000:
            print(f"warning: {server}: only {samples} samples; the shares are rough")
        per = cpu_us / samples / n
        figures[server] = (n, secs, errors, {k: v * per for k, v in buckets.items()},
                           {k: v * per for k, v in leaves.items()})
    mw, pn = figures["masterwork"], figures["plain-netty"]
    print(f"Build {a.build}; async-profiler event {a.event}; load average {a.load}. CPU time from /proc, shared by "
          f"samples: masterwork {sum(mw[3].values()) * mw[0] / 1e6:.2f} s of CPU, plain Netty "
          f"{sum(pn[3].values()) * pn[0] / 1e6:.2f} s.")
    print(f"Worker JVM flags (both): `{a.flags.strip()}`")
    print(f"`wrk -t1 -c50`, profiled: masterwork {mw[0]:,} requests in {mw[1]:.1f} s ({mw[0] / mw[1]:,.0f}/s, "
          f"socket errors: {mw[2]}); plain Netty {pn[0]:,} in {pn[1]:.1f} s ({pn[0] / pn[1]:,.0f}/s, "
          f"socket errors: {pn[2]}).")
    print()
    print("| CPU per request, µs (workers only) | masterwork | plain Netty | difference |")
    print("|---|---:|---:|---:|")
    names = [b for b, _ in BUCKETS] + ["other threads: JIT compiler", "other threads: GC and VM",
                                       "other threads: the rest"]
    for name in names:
        x, y = mw[3].get(name, 0.0), pn[3].get(name, 0.0)
        if x or y:
            print(f"| {name} | {x:.2f} | {y:.2f} | {x - y:+.2f} |")
    tx, ty = sum(mw[3].values()), sum(pn[3].values())
    print(f"| **all** | **{tx:.2f}** | **{ty:.2f}** | **{tx - ty:+.2f}** ({tx / ty:.2f}×) |")
    print()
    print(f"Event-loop frames where masterwork spends the most above plain Netty (self time, µs per request, top "
          f"{a.top}):")
    print()
    print("| frame (leaf) | masterwork | plain Netty | difference |")
    print("|---|---:|---:|---:|")
    diffs = sorted(((mw[4].get(k, 0.0) - pn[4].get(k, 0.0), k) for k in set(mw[4]) | set(pn[4])), reverse=True)
    for d, k in diffs[:a.top]:
        print(f"| `{k[-90:]}` | {mw[4].get(k, 0.0):.3f} | {pn[4].get(k, 0.0):.3f} | {d:+.3f} |")


if __name__ == "__main__":
    main()
