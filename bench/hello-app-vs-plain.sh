#!/usr/bin/env bash
# A downstream application through masterwork's SPI (examples/hello-app) beside the same pipeline run by plain Netty,
# same machine, same run, same worker count, same JVM flags: one command (issue 25: "pays nothing measurable").
#
#   bench/hello-app-vs-plain.sh                                  # 2 rounds, ~3 min after the build; appends to docs/BENCHMARKS.md
#   ROUNDS=3 DURATION=20 bench/hello-app-vs-plain.sh
#   RECORD=0 ROUNDS=1 DURATION=2 WARMUP=1 bench/hello-app-vs-plain.sh   # a quick look, nothing written
#   MAVEN_ARGS="-o -Dmaven.repo.local=/path/to/repository" bench/hello-app-vs-plain.sh   # another Maven repository
#
# Settings (environment): ROUNDS=2, WORKERS=2 (both servers), DURATION=10 (s per wrk load), WARMUP=10 (s of
# wrk -t2 -c100 before the measured loads), RECORD=1 (append the table to docs/BENCHMARKS.md). MAVEN_ARGS (Maven's
# own variable) reaches every Maven call; without it the default local repository (~/.m2) is used.
#
# What it does:
# - installs wrk (and python3) from Debian when missing (apt-get; root);
# - builds as a downstream team does (README "examples/hello-app", .ci/run): masterwork's artifacts installed into
#   the local Maven repository (`./mvnw install -DskipTests`, every module but hello-app and integration-tests), then
#   examples/hello-app packaged with its own wrapper: its own distribution, examples/hello-app/target/hello-app-*/
#   (bin/hello-app, class-data archives trained with hello-app); and the class path of benchmarks' PlainNettyServer;
# - starts hello-app's bin/hello-app with a copy of its conf/hello-app.conf (its worker_class_path, modules and
#   app.greeting) in a temporary prefix, on a free port of 127.0.0.1, with 2 workers and worker_cpu_affinity off;
#   every other setting is the default a user gets, worker_spares (auto) included;
# - starts PlainNettyServer --pipeline hello (HttpServerCodec, HttpObjectAggregator(65536), a handler answering what
#   HelloApplication answers, one JVM per worker sharing one inherited listener) with the JVM flags hello-app's
#   workers run with (read with jcmd, less their class-data archive and masterwork's native library path), on another
#   free port;
# - checks that both answer the same bytes (the pid aside), warms each up (wrk -t2 -c100), waits until every process
#   of it is quiet (spares starting in the background included), then measures wrk -t1 -c50 and wrk -t2 -c100:
#   requests/s, p50, p99, CPU time per request (utime + stime from /proc: every process of the server, and its serving
#   workers alone), round after round with the order rotating;
# - prints one table: median, min and max of the rounds, hello-app / plain Netty, and issue 25's goal (≤ 1.05× CPU per
#   request, ≥ 0.95× requests/s) met or missed. It exits 1 when a wait ran out, wrk failed or a figure is missing.
#
# Everything it starts is killed by pid on exit; every wait is bounded. No CPU pinning for either.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2} WORKERS=${WORKERS:-2} DURATION=${DURATION:-10} WARMUP=${WARMUP:-10} RECORD=${RECORD:-1}

need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/bin/python3 ] || command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    echo "hello-app-vs-plain: installing ${need[*]} from Debian" >&2
    timeout 600 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${need[@]}" >/dev/null
fi
PYTHON=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 )

# 1. masterwork's artifacts into the local Maven repository (what a downstream build takes its parent, the kit and
#    ServerDistribution from), and the benchmarks jar. hello-app is left out here: step 2 packages it on its own.
echo "hello-app-vs-plain: installing masterwork's artifacts (./mvnw install -DskipTests)" >&2
timeout 1800 ./mvnw -B -q install -DskipTests -pl '!examples/hello-app,!integration-tests' >&2
# 2. hello-app as a downstream project: its own wrapper and pom, its package makes its own distribution.
echo "hello-app-vs-plain: packaging examples/hello-app (its own distribution)" >&2
(cd examples/hello-app && timeout 1800 ./mvnw -B -q package -DskipTests >&2)
launcher=
for l in examples/hello-app/target/hello-app-*/bin/hello-app; do
    [ -x "$l" ] && launcher=$(readlink -f "$l")
done
[ -n "$launcher" ] || { echo "hello-app-vs-plain: no examples/hello-app/target/hello-app-*/bin/hello-app" >&2; exit 1; }
# its greeting, for the plain side to answer the same bytes
greeting=$(sed -n 's/^ *greeting *= *"\(.*\)" *$/\1/p' "$(dirname "$(dirname "$launcher")")/conf/hello-app.conf" | tail -1)
[ -n "$greeting" ] || { echo "hello-app-vs-plain: no app.greeting in hello-app's conf/hello-app.conf" >&2; exit 1; }
# 3. PlainNettyServer: the benchmarks jar just built and its class path from the same repository.
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
timeout 600 ./mvnw -B -q -pl benchmarks dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
plain_cp="$(readlink -f "$(ls benchmarks/target/benchmarks-*.jar | grep -v -e -sources -e -javadoc | head -1)"):$(cat "$cp_file")"
build="$(basename "$(dirname "$(dirname "$launcher")")") at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
[ -z "$(git status --porcelain 2>/dev/null)" ] || build="$build (with uncommitted changes)"

command_line="bench/hello-app-vs-plain.sh"
for v in ROUNDS WORKERS DURATION WARMUP; do
    case $v in ROUNDS) d=2 ;; WORKERS) d=2 ;; DURATION) d=10 ;; WARMUP) d=10 ;; esac
    [ "${!v}" = "$d" ] || command_line="$v=${!v} $command_line"
done

args=(--launcher "$launcher" --plain-classpath "$plain_cp" --greeting "$greeting" --build "$build"
      --rounds "$ROUNDS" --workers "$WORKERS" --duration "$DURATION" --warmup "$WARMUP" --command "$command_line")
if [ "$RECORD" = 1 ]; then args+=(--record docs/BENCHMARKS.md); fi

# The driver kills what it started on any exit; this trap covers the driver itself being interrupted.
driver=
cleanup() {
    if [ -n "$driver" ]; then kill -TERM "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true; fi
    rm -f "$cp_file"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# bounded: the whole run, generously (a server's turn is about 2 minutes at the defaults, most of it start and quiet waits)
bound=$(( 300 + ROUNDS * 2 * (WARMUP + 2 * DURATION + 400) ))
timeout --signal=TERM --kill-after=30 "$bound" "$PYTHON" bench/hello_app_vs_plain.py "${args[@]}" &
driver=$!
rc=0
wait "$driver" || rc=$?
driver=
exit $rc
