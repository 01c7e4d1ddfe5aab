#!/usr/bin/env bash
# masterwork beside Debian's nginx, same machine, same run, same worker count: one command.
#
#   bench/compare-nginx.sh                 # 3 rounds, ~8 minutes; appends to docs/BENCHMARKS.md, draws docs/benchmarks.png
#   ROUNDS=5 DURATION=20 bench/compare-nginx.sh
#   RECORD=0 ROUNDS=1 DURATION=3 IDLE=2 bench/compare-nginx.sh   # a quick look, nothing written
#
# Settings (environment): ROUNDS=3, WORKERS=2 (both servers), DURATION=10 (s per wrk load), WARMUP=10 (s of
# wrk before the measured loads), IDLE=30 (s the master's CPU is watched idle), RELOADS=8, EVERY=2 (s between
# reloads under load), AFFINITY=off (worker_cpu_affinity of both servers: off, or auto = one CPU per worker;
# masterwork's own default is auto, nginx's is off), RECORD=1 (append to docs/BENCHMARKS.md and draw the chart), PNG=docs/benchmarks.png.
# MW_WORKER_JVM_OPTIONS="-XX:TieredStopAtLevel=4" (masterwork's worker_jvm_options, space-separated; the plain Netty
# column runs with the workers' flags, so it takes them too): a JVM flag measured against the defaults.
# AB=6: the request path only, robust to the machine's drift — masterwork and plain Netty started once and left
# running, then 6 pairs of DURATION-second loads per wrk load in the order A B, B A, ..., each pair giving
# masterwork / plain Netty; the medians of the pairs are judged against issue 25's binding goal (nginx not run).
#
# What it does:
# - installs nginx, wrk, gnuplot and tcpdump from Debian when missing (apt-get; root), and stops the
#   nginx service the package may start;
# - builds masterwork once through the launcher (`./masterwork -v`, which builds only when the sources
#   changed) and from then on starts that build's bin/masterwork (resolved once: other shells running
#   ./masterwork during the bench cannot swap it) with `-p <tmpdir>` and a generated conf/masterwork.conf;
# - runs nginx (daemon off, master_process on) and masterwork alternately, round after round, on free
#   ports of 127.0.0.1, each with the body "hello\n", access log off, keepalive 75s/1000, and measures
#   every figure the same way for both (bench/compare_nginx.py says how, figure by figure);
# - runs a third server for the request path's figures only (HTTP load, latency, CPU per request): benchmarks'
#   PlainNettyServer, plain Netty 4.2 epoll processes sharing one inherited listener, answering the same bytes as
#   masterwork's built-in application with the JVM flags masterwork gives its workers (PLAIN=0 leaves it out);
# - counts masterwork's spares (worker_spares) apart: never as workers, never waited for as serving; their PSS is
#   reported and counted in the total; the HTTP loads wait until every process is quiet (the spares that replace
#   those the respawn and the idle reload promoted are ready), and CPU per request is given for every process of
#   the server and for its serving workers alone;
# - measures `wrk -t1 -c50` once more with the access log on (masterwork's default; nginx's combined log);
# - prints one table: median, min and max of the rounds for each server, masterwork / nginx and masterwork / plain
#   Netty, and the targets of issues 24 and 25, each met or missed.
#
# Everything it starts is killed by pid on exit; every wait is bounded. No CPU pinning for either.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3} WORKERS=${WORKERS:-2} DURATION=${DURATION:-10} WARMUP=${WARMUP:-10} IDLE=${IDLE:-30}
RELOADS=${RELOADS:-8} EVERY=${EVERY:-2} AFFINITY=${AFFINITY:-off} RECORD=${RECORD:-1} PNG=${PNG:-docs/benchmarks.png}

need=()
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v tcpdump >/dev/null || need+=(tcpdump)
[ -x /usr/bin/python3 ] || command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    echo "compare-nginx: installing ${need[*]} from Debian" >&2
    timeout 600 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${need[@]}" >/dev/null
    # the package starts nginx on port 80 where an init system runs; this bench starts its own
    if [ -f /run/nginx.pid ]; then kill "$(cat /run/nginx.pid)" 2>/dev/null || true; fi
fi
NGINX=$( [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || command -v nginx )
PYTHON=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 )

# One build (only if the sources changed), then a fixed path to it.
if ! timeout 1200 ./masterwork -v >&2; then
    echo "compare-nginx: the build failed (see above); measuring the newest previous build" >&2
fi
dist=$(readlink -f .masterwork/current || true)
if [ ! -x "$dist/bin/masterwork" ]; then
    # a failed build, or a build pruned by a concurrent ./masterwork: the newest complete one (ctime: when
    # the launcher renamed it into place)
    dist=
    for d in $(ls -1tcd .masterwork/builds/*/ 2>/dev/null); do
        if [ -x "$d/bin/masterwork" ]; then dist=$(readlink -f "$d"); break; fi
    done
    [ -n "$dist" ] || { echo "compare-nginx: no masterwork build to measure" >&2; exit 1; }
    echo "compare-nginx: measuring $dist" >&2
fi
# Held open for the whole run: the launcher prunes only builds that no process holds open.
exec 8<"$dist/bin/masterwork"

# The plain Netty baseline (benchmarks' PlainNettyServer, issue 25): built with the same Maven wrapper, run from the
# benchmarks jar and the class path Maven resolves for it. PLAIN=0 leaves that column out.
plain_cp=
if [ "${PLAIN:-1}" = 1 ]; then
    cp_file=$(mktemp)
    if timeout 1200 ./mvnw -B -q -pl benchmarks -am package dependency:build-classpath -DskipTests \
            -Dmdep.outputFile="$cp_file" >&2; then
        plain_cp="$(ls benchmarks/target/benchmarks-*.jar | grep -v -e -sources -e -javadoc | head -1):$(cat "$cp_file")"
    else
        echo "compare-nginx: the benchmarks module did not build: no plain Netty column" >&2
        exit 1
    fi
    rm -f "$cp_file"
fi

command_line="bench/compare-nginx.sh"
for v in ROUNDS WORKERS DURATION WARMUP IDLE RELOADS EVERY AFFINITY; do
    case $v in
        ROUNDS) d=3 ;; WORKERS) d=2 ;; DURATION) d=10 ;; WARMUP) d=10 ;; IDLE) d=30 ;; RELOADS) d=8 ;; EVERY) d=2 ;; AFFINITY) d=off ;;
    esac
    [ "${!v}" = "$d" ] || command_line="$v=${!v} $command_line"
done
[ "${AB:-0}" = 0 ] || command_line="AB=$AB $command_line"
[ -z "${MW_WORKER_JVM_OPTIONS:-}" ] || command_line="MW_WORKER_JVM_OPTIONS=\"$MW_WORKER_JVM_OPTIONS\" $command_line"

args=(--launcher "$dist/bin/masterwork" --build "${dist##*/}" --nginx "$NGINX"
      --rounds "$ROUNDS" --workers "$WORKERS" --duration "$DURATION" --warmup "$WARMUP" --idle "$IDLE"
      --reloads "$RELOADS" --every "$EVERY" --affinity "$AFFINITY" --command "$command_line"
      --plain-classpath "$plain_cp" "--worker-jvm-options=${MW_WORKER_JVM_OPTIONS:-}" --ab-pairs "${AB:-0}")
if [ "$RECORD" = 1 ]; then args+=(--record docs/BENCHMARKS.md --png "$PNG"); fi

# The driver kills what it started on any exit; this trap covers the driver itself being interrupted.
driver=
cleanup() { if [ -n "$driver" ]; then kill -TERM "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# bounded: the whole run, generously (a round is about 2.5 minutes at the defaults)
bound=$(( 600 + ROUNDS * 2 * (WARMUP + 2 * DURATION + IDLE + RELOADS * EVERY + 150) ))
timeout --signal=TERM --kill-after=30 "$bound" "$PYTHON" bench/compare_nginx.py "${args[@]}" &
driver=$!
wait "$driver"
rc=$?
driver=
exit $rc
