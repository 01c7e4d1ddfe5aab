#!/usr/bin/env bash
# Round trip of one 32-byte channel frame between two processes over a SOCK_SEQPACKET socketpair:
# two JVMs (masterwork's Channel, benchmarks/ ChannelRoundTrip) beside the same round trip in C
# (benchmarks/c/channel_pingpong.c), each pinned the same way: both on one CPU, then on two CPUs.
# Prints a table with the JVM/C ratio. Figures go to docs/BENCHMARKS.md ("Channel").
#
# Usage: bench/channel-roundtrip.sh [round_trips] [warmup]     (defaults 20000 20000)
# Env:   CPU_A, CPU_B   the two CPUs to pin to (default 0 and 1)
#        REPEAT=N       runs of each row, interleaved (default 3); the table shows the median of the
#                       runs' medians / p99s / means, so one run disturbed by other load does not decide it
#        SKIP_BUILD=1   reuse benchmarks/target/masterwork-benchmarks.jar and the C binary
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUND_TRIPS=${1:-20000}
REPEAT=${REPEAT:-3}
WARMUP=${2:-20000}
CPU_A=${CPU_A:-0}
CPU_B=${CPU_B:-1}
JAR="$ROOT/benchmarks/target/masterwork-benchmarks.jar"
C_BIN="$ROOT/benchmarks/target/channel_pingpong"

for tool in taskset gcc java; do
  command -v "$tool" >/dev/null || { echo "channel-roundtrip: $tool not found on PATH" >&2; exit 1; }
done
if (( $(nproc) < 2 )) && [[ "$CPU_A" != "$CPU_B" ]]; then
  echo "channel-roundtrip: only $(nproc) CPU available; the two-CPU rows need two" >&2
  exit 1
fi

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  echo "building benchmarks jar (mvn -Pbench) and the C baseline (gcc -O2) ..." >&2
  (cd "$ROOT" && ./mvnw -q -B -o -pl benchmarks -Pbench package -DskipTests)
  mkdir -p "$(dirname "$C_BIN")"
  gcc -O2 -Wall -Wextra -o "$C_BIN" "$ROOT/benchmarks/c/channel_pingpong.c" -lm
fi
[[ -f "$JAR" ]] || { echo "channel-roundtrip: $JAR missing (run without SKIP_BUILD)" >&2; exit 1; }

ARGS=(--round-trips="$ROUND_TRIPS" --warmup="$WARMUP")


run_jvm() { taskset -c "$CPU_A" java -cp "$JAR" io.masterwork.bench.ChannelRoundTrip "${ARGS[@]}" "$@"; }
run_c()   { taskset -c "$CPU_A" "$C_BIN" "${ARGS[@]}" "$@"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $(java -version 2>&1 | head -1)" >&2

declare -A RESULT   # impl,placement -> the runs' result lines, one per line
for ((rep = 1; rep <= REPEAT; rep++)); do
  for placement in same different; do
    extra=()
    [[ $placement == different ]] && extra=(--child-cpu="$CPU_B")
    RESULT[jvm,$placement]+="$(run_jvm "${extra[@]}")"$'\n'
    RESULT[c,$placement]+="$(run_c "${extra[@]}")"$'\n'
    RESULT[cblock,$placement]+="$(run_c --blocking "${extra[@]}")"$'\n'
  done
  echo "run $rep/$REPEAT done" >&2
done

# median over the runs of one field
field() {
  sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'
}

printf '\nround trip of one 32-byte frame, %s round trips after %s warm-up, microseconds (median of %s runs)\n' \
  "$ROUND_TRIPS" "$WARMUP" "$REPEAT"
printf '%-20s %-34s %10s %10s %10s %10s\n' placement implementation median p99 mean "ratio(med)"
for placement in same different; do
  label="one CPU ($CPU_A)"
  [[ $placement == different ]] && label="two CPUs ($CPU_A,$CPU_B)"
  c_median=$(field median_us "${RESULT[c,$placement]}")
  cb_median=$(field median_us "${RESULT[cblock,$placement]}")
  for impl in jvm c cblock; do
    line=${RESULT[$impl,$placement]}
    case $impl in
      jvm) name="JVM Channel (poll+recvmsg)"; ratio=$(awk -v a="$(field median_us "$line")" -v b="$c_median" 'BEGIN{printf "%.2f", a/b}') ;;
      c) name="C (poll+recvmsg)"; ratio=1.00 ;;
      cblock) name="C (blocking recvmsg, floor)"; ratio=$(awk -v a="$(field median_us "$line")" -v b="$c_median" 'BEGIN{printf "%.2f", a/b}') ;;
    esac
    printf '%-20s %-34s %10s %10s %10s %10s\n' "$label" "$name" "$(field median_us "$line")" \
      "$(field p99_us "$line")" "$(field mean_us "$line")" "$ratio"
  done
  jvm_median=$(field median_us "${RESULT[jvm,$placement]}")
  printf '%-20s %-34s %10s\n' "" "JVM / C floor (median)" \
    "$(awk -v a="$jvm_median" -v b="$cb_median" 'BEGIN{printf "%.2f", a/b}')"
done
echo
echo "raw runs:"
for key in "${!RESULT[@]}"; do
  sed "s/^/  $key: /" <<<"${RESULT[$key]%$'\n'}"
done | sort
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
