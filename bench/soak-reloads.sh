#!/usr/bin/env bash
# N reloads in a row under keep-alive load, measuring what the master holds before and after.
#
#   bench/soak-reloads.sh [reloads=200] [workers=2]
#
# Each reload goes through the control socket, which answers once the new generation serves and the old
# one is gone. Before the first measured reload (after one warm-up reload) and after the last: the master's
# descriptors, RSS, threads, heap in use after a full GC (jcmd), its children and zombies. wrk keeps 20
# keep-alive connections busy throughout; any socket error or non-2xx answer is printed. Every 50 reloads a
# progress line. Exit status 1 when a reload fails, wrk lost a request (a socket error other than its 2 s
# "timeout", or a non-2xx answer), or a descriptor, child or zombie is left over (threads, RSS and heap are
# reported: a JVM starts and ends helper threads of its own). docs/RELIABILITY.md has the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
reloads=${1:-200}
workers=${2:-2}
. bench/soak-lib.sh

port=$(free_port)
prefix="$work/mw"
start_master "$prefix" "$port" "$workers"
master=$(cat "$prefix/logs/masterwork.pid")
control "$prefix" reload | grep -q '"ok":true'   # warm-up: the master loads its reload path once
sleep 1
fds0=$(fds "$master"); rss0=$(rss_kib "$master"); thr0=$(threads "$master"); heap0=$(heap_after_gc_kib "$master")
echo "before: master $master fds $fds0, RSS $rss0 KiB, threads $thr0, heap/metaspace after GC $heap0 KiB, children $(children "$master" | wc -l)"
start_load "$port" 100000
t0=$(ms); failed=0; slowest=0
for i in $(seq 1 "$reloads"); do
  r0=$(ms)
  answer=$(control "$prefix" reload)
  took=$(( $(ms) - r0 )); [ "$took" -gt "$slowest" ] && slowest=$took
  grep -q '"ok":true' <<<"$answer" || { failed=$((failed + 1)); echo "reload $i failed: $answer"; }
  if [ $((i % 50)) -eq 0 ]; then
    echo "after $i reloads: fds $(fds "$master"), RSS $(rss_kib "$master") KiB, threads $(threads "$master"), children $(children "$master" | wc -l), zombies $(zombies "$master")"
  fi
done
total=$(( $(ms) - t0 ))
stop_load; load=$(load_summary); lost=$(load_failures)
sleep 1
fds1=$(fds "$master"); rss1=$(rss_kib "$master"); thr1=$(threads "$master"); heap1=$(heap_after_gc_kib "$master")
kids=$(workers "$master" | wc -l); z=$(zombies "$master")
echo "after:  master $master fds $fds1, RSS $rss1 KiB, threads $thr1, heap/metaspace after GC $heap1 KiB, workers $kids, spares $(( $(children "$master" | wc -l) - kids )), zombies $z"
echo "$reloads reloads in $total ms ($((total / reloads)) ms each, slowest $slowest ms), $failed failed; $load"
echo "generation $(control "$prefix" status | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
[ "$lost" -eq 0 ] || echo "FAILED: wrk lost $lost requests (connect, read or write errors, non-2xx)"
[ "$failed" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$fds1" -eq "$fds0" ] && [ "$kids" -eq "$workers" ] && [ "$z" -eq 0 ]
