#!/usr/bin/env bash
# N binary upgrades in a row under keep-alive load: USR2, WINCH, QUIT, each master replacing the last.
#
#   bench/soak-upgrades.sh [upgrades=20] [workers=2]
#
# Each step waits for its outcome (the new master's workers all READY; the old workers gone; the old master
# gone). A descriptor leaked from one master to the next would accumulate over the chain, so the descriptors
# of the first upgraded master and of the last are compared (the very first master was started by this script,
# with its own stdio), as are the processes of the soak (exactly one master and its workers must remain). wrk
# keeps 20 keep-alive connections busy throughout. Exit status 1 when an upgrade failed, wrk lost a request (a
# socket error other than its 2 s "timeout", or a non-2xx answer), or something leaked. docs/RELIABILITY.md has the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrades=${1:-20}
workers=${2:-2}
. bench/soak-lib.sh

port=$(free_port)
prefix="$work/mw"
pidfile="$prefix/logs/masterwork.pid"
start_master "$prefix" "$port" "$workers"
first=$(cat "$pidfile")
sleep 1
procs0=$(soak_processes)
echo "first master $first: fds $(fds "$first"), RSS $(rss_kib "$first") KiB; processes of the soak $procs0"
ready() { # master: every child has said READY
  local c n=0
  for c in $(workers "$1"); do
    grep -q "worker process $c (slot [0-9]*) ready" "$prefix/logs/error.log" || return 1
    n=$((n + 1))
  done
  [ "$n" -eq "$workers" ]
}
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
no_children() { [ -z "$(children "$1" | grep -vx "$2")" ]; } # master, except: its new master is its child too
start_load "$port" 100000
t0=$(ms); slowest=0
for i in $(seq 1 "$upgrades"); do
  old=$(cat "$pidfile")
  u0=$(ms)
  kill -USR2 "$old"
  wait_until 120 bash -c "p=\$(cat $pidfile 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
  new=$(cat "$pidfile"); echo "$new" >>"$pids"
  wait_until 120 ready "$new"
  kill -WINCH "$old"; wait_until 60 no_children "$old" "$new"
  kill -QUIT "$old"; wait_until 60 gone "$old"
  took=$(( $(ms) - u0 )); [ "$took" -gt "$slowest" ] && slowest=$took
  [ "$i" -eq 1 ] && { fds0=$(fds "$new"); echo "first upgraded master $new: fds $fds0, RSS $(rss_kib "$new") KiB"; }
  [ $((i % 5)) -eq 0 ] && echo "after $i upgrades: master $new fds $(fds "$new"), RSS $(rss_kib "$new") KiB, processes of the soak $(soak_processes)"
done
total=$(( $(ms) - t0 ))
stop_load; load=$(load_summary); lost=$(load_failures)
last=$(cat "$pidfile")
sleep 1
fds1=$(fds "$last"); rss1=$(rss_kib "$last"); procs1=$(soak_processes)
echo "last master $last: fds $fds1, RSS $rss1 KiB; processes of the soak $procs1; oldbin files: $(ls "$prefix/logs" | grep -c oldbin || true)"
echo "$upgrades upgrades in $total ms ($((total / upgrades)) ms each, slowest $slowest ms); $load"
echo "generation $(control "$prefix" status | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
[ "$lost" -eq 0 ] || echo "FAILED: wrk lost $lost requests (connect, read or write errors, non-2xx)"
[ "$lost" -eq 0 ] && [ "$fds1" -eq "$fds0" ] && [ "$procs1" -eq "$procs0" ]
