#!/usr/bin/env bash
# Where a request's CPU goes: masterwork's worker beside the plain Netty baseline (issue 25), same load, same JVM
# flags, profiled with async-profiler (tools.profiler:async-profiler from Maven Central) and printed as microseconds
# of CPU per request, bucket by bucket, for both. The event is ctimer (a per-thread CPU-time timer: no perf events,
# so workers running as nobody are sampled as well as root's plain Netty; EVENT=cpu uses perf events, which sample a
# nobody worker's user space only under kernel.perf_event_paranoid=2 and so are not comparable here).
#
#   bench/profile-request-path.sh            # 2 workers each, wrk -t1 -c50, 10 s warm-up, 15 s profiled
#   SECONDS_PROFILED=30 bench/profile-request-path.sh
#
# What it does: builds as bench/compare-nginx.sh does (./masterwork -v; the benchmarks module for PlainNettyServer),
# starts masterwork (its default configuration but for: 2 workers, affinity off, access log off, body "hello\n",
# keepalive 75s/1000 — compare-nginx.sh's settings) and plain Netty with the flags masterwork's workers run with,
# warms each with wrk, then starts the profiler in every worker (jcmd JVMTI.agent_load), runs wrk, stops it and
# shares the CPU time the workers used during that load (/proc/<pid>/stat) among the buckets by their samples, per
# request wrk counted (the samples give the shares only: a CPU-time timer fires at the kernel's tick, not at the
# interval asked for). KEEP=1 keeps the collapsed stacks (for flame graphs).
# Everything started is killed by pid on exit; every wait is bounded. Run it as root (as the master runs): jcmd
# attaches to workers that run as nobody.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${WORKERS:-2} WARMUP=${WARMUP:-10} SECONDS_PROFILED=${SECONDS_PROFILED:-15} KEEP=${KEEP:-0}
AP_VERSION=${AP_VERSION:-4.1}
command -v wrk >/dev/null || { timeout 600 apt-get update -qq; DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq wrk >/dev/null; }

work=$(mktemp -d /tmp/profile-request-path.XXXXXX)
chmod 755 "$work"
mkdir -m 1777 "$work/out"    # the profiler writes from inside workers that run as nobody
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    if [ "$KEEP" = 1 ]; then echo "profile-request-path: stacks kept in $work/out" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

timeout 1200 ./masterwork -v >&2
dist=$(readlink -f .masterwork/current)
cp_file="$work/cp.txt"
timeout 1200 ./mvnw -B -q -pl benchmarks -am package dependency:build-classpath -DskipTests -Dmdep.outputFile="$cp_file" >&2
plain_cp="$(readlink -f "$(ls benchmarks/target/benchmarks-*.jar | grep -v -e sources -e javadoc | head -1)"):$(cat "$cp_file")"
timeout 600 ./mvnw -B -q dependency:copy -Dartifact="tools.profiler:async-profiler:$AP_VERSION:jar:linux-x64" \
    -DoutputDirectory="$work" >&2
(cd "$work" && unzip -q -o "async-profiler-$AP_VERSION-linux-x64.jar" 'linux-x64/*')
agent="$work/linux-x64/libasyncProfiler.so"
event=${EVENT:-ctimer}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
await_http() {
    for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done
    echo "profile-request-path: nothing answers on port $1 after 60 s" >&2; return 1
}
children() { ps -o pid= --ppid "$1" | tr -d ' '; }

mw_port=$(free_port)
mkdir -p "$work/mw/conf" "$work/mw/logs"
cat > "$work/mw/conf/masterwork.conf" <<CONF
worker_processes = $WORKERS
worker_cpu_affinity = off
listen = "127.0.0.1:$mw_port"
pid = logs/masterwork.pid
error_log = logs/error.log
http {
  body = "hello\n"
  access_log = off
  keepalive_timeout = 75s
  keepalive_requests = 1000
}
CONF
"$dist/bin/masterwork" -p "$work/mw" > "$work/mw/master.out" 2>&1 &
pids+=($!)
await_http "$mw_port"
mw_workers=$(children "${pids[0]}")
flags=$(jcmd "$(echo "$mw_workers" | head -1)" VM.command_line | sed -n 's/^jvm_args: //p' | tr ' ' '\n' \
    | grep -v -e '^-XX:SharedArchiveFile=' -e '^-Djffi' -e '^-Djava.library.path' | tr '\n' ' ')

pn_port=$(free_port)
printf 'hello\n' > "$work/body.txt"
# shellcheck disable=SC2086
java -cp "$plain_cp" io.masterwork.bench.PlainNettyServer --listen "127.0.0.1:$pn_port" --processes "$WORKERS" \
    --body-file "$work/body.txt" -- $flags > "$work/plain.out" 2>&1 &
pids+=($!)
await_http "$pn_port"
pn_workers=$(children "${pids[1]}")

cpu_ticks() {   # user + system time of every thread of these processes, in clock ticks
    local sum=0 w
    for w in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$w/stat"))); done
    echo "$sum"
}
profile() {   # label port workers...
    local label=$1 port=$2; shift 2
    wrk -t1 -c50 -d"${WARMUP}s" "http://127.0.0.1:$port/" > /dev/null
    for w in "$@"; do
        jcmd "$w" JVMTI.agent_load "$agent" "\"start,event=$event,interval=100us,threads\"" > /dev/null
    done
    local before after
    before=$(cpu_ticks "$@")
    wrk -t1 -c50 -d"${SECONDS_PROFILED}s" "http://127.0.0.1:$port/" > "$work/out/$label.wrk"
    after=$(cpu_ticks "$@")
    echo "cpu_ticks $((after - before)) $(getconf CLK_TCK)" >> "$work/out/$label.wrk"
    for w in "$@"; do
        jcmd "$w" JVMTI.agent_load "$agent" "\"stop,file=$work/out/$label-$w.collapsed,collapsed\"" > /dev/null
    done
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2086
profile masterwork "$mw_port" $mw_workers
# shellcheck disable=SC2086
profile plain-netty "$pn_port" $pn_workers
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 1
python3 bench/profile_request_path.py --event "$event" --dir "$work/out" \
    --build "$(basename "$dist")" --load "$load_before → $load_after" --flags "$flags"
