#!/usr/bin/env bash
# Binary upgrade under keep-alive load, masterwork beside Debian's nginx in the same run.
#
#   bench/upgrade-vs-nginx.sh [--record] [workers=2]
#
# For each server: wrk -t1 -c50 keep-alive for the whole dance, USR2 (new master serving with all its
# workers), WINCH to the old master (its workers gone), QUIT to the old master (it exited); prints wrk's errors,
# the TCP connects (SYNs to the port, tcpdump on lo, less the script's own probes) from USR2 to wrk's end — what
# the dance made wrk open again: keepalive_requests is 100000000 on both servers, so only the dance ends connections —
# and the time of each step, measured the same way for both (child pids of the masters). nginx runs daemonized:
# it upgrades its binary only then. Installs nginx, wrk and tcpdump from Debian when missing. Loopback only, every
# wait bounded.
# Exit status 1 when a step times out, wrk's output does not parse, masterwork lost a request or made wrk reconnect.
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
if [ "${1:-}" = "--record" ]; then record=true; shift; fi
workers=${1:-2}
need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || need+=(nginx)
command -v tcpdump >/dev/null || need+=(tcpdump)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
./masterwork -v >/dev/null
MW=$(readlink -f .masterwork/current)/bin/masterwork
work=$(mktemp -d /tmp/masterwork-upgrade-XXXX)
chmod 755 "$work" # a root master's workers run as nobody by default and must enter the prefix
# Every master started (new masters are found inside a subshell: the list lives in a file)
pids="$work/pids"
: >"$pids"
# A master is frozen first: killed children would otherwise be replaced before the master itself is gone.
cleanup() {
  local p kids
  while read -r p; do
    kill -STOP "$p" 2>/dev/null || continue
    kids=$(pgrep -P "$p" || true)
    kill -9 "$p" $kids 2>/dev/null || true
  done <"$pids"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_until() { # seconds command...
  local limit=$(( $(ms) + $1 * 1000 )); shift
  until "$@"; do [ "$(ms)" -lt "$limit" ] || { echo "timeout: $*" >&2; return 1; }; sleep 0.01; done
}
children() { pgrep -P "$1" 2>/dev/null | sort -n || true; }
count() { wc -w <<<"$*"; }
# The script's own request during a dance (is the new master serving?): its connects are counted apart from wrk's.
probe() { echo >>"$work/$1.probes"; curl -sf -o /dev/null "http://127.0.0.1:$2/"; }

dance() { # name port pidfile
  local name=$1 port=$2 pidfile=$3 old new t0 t_usr2 t_winch t_quit usr2_at
  old=$(cat "$pidfile")
  tcpdump -i lo -nn -w "$work/$name.pcap" "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and dst port $port" 2>"$work/$name.syn" &
  local syn_pid=$!
  wait_until 10 grep -q "listening on" "$work/$name.syn"
  wrk -t1 -c50 -d40s "http://127.0.0.1:$port/" >"$work/$name.wrk" 2>&1 &
  local wrk_pid=$!
  sleep 5
  t0=$(ms); usr2_at=$(date +%s.%N); kill -USR2 "$old"
  wait_until 60 bash -c "p=\$(cat $pidfile 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $old ] && [ \$(pgrep -P \$p | wc -l) -ge $workers ]"
  new=$(cat "$pidfile")
  echo "$new" >>"$pids"
  if [ "$name" = masterwork ]; then
    # serving means every new worker said READY (its master logs it); an nginx worker serves once it exists
    # (its spares, worker_spares = auto by default, are not workers: they never serve before a promotion)
    wait_until 60 bash -c "for c in \$(pgrep -P $new); do grep -q spare /proc/\$c/cmdline 2>/dev/null && continue; grep -q \"worker process \$c (slot [0-9]*) ready\" $work/mw/logs/error.log || exit 1; done"
  fi
  wait_until 60 probe "$name" "$port"
  t_usr2=$(( $(ms) - t0 ))
  sleep 5
  t0=$(ms); kill -WINCH "$old"
  wait_until 60 bash -c "[ \$(pgrep -P $old | grep -vx $new | wc -l) -eq 0 ]"
  t_winch=$(( $(ms) - t0 ))
  sleep 5
  t0=$(ms); kill -QUIT "$old"
  wait_until 60 bash -c "! kill -0 $old 2>/dev/null || grep -q '^Z' <(awk '{print \$3}' /proc/$old/stat 2>/dev/null)"
  t_quit=$(( $(ms) - t0 ))
  wait "$wrk_pid"
  kill -INT "$syn_pid"; wait "$syn_pid" || true
  local errs rps non2xx syns
  # Connects from USR2 on, less the script's own probes: wrk opens its connections before (51 for -c50 here, in
  # every run, to either server), and keepalive_requests is high enough that nothing but the dance ends one. Read
  # from the file, not tcpdump's "packets captured" line (on lo it said 52 for a file of 51).
  syns=$(tcpdump -nn -tt -r "$work/$name.pcap" 2>/dev/null | awk -v t="$usr2_at" '$1 >= t' | wc -l)
  syns=$(( syns - $(wc -l <"$work/$name.probes") ))
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.wrk")
  errs=$(awk '/Socket errors/ {gsub(",",""); print "connect " $4 ", read " $6 ", write " $8 ", timeout " $10}' "$work/$name.wrk")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/$name.wrk")
  printf '| %s | %s | %s | %s | %s | %s ms | %s ms | %s ms |\n' "$name" "${errs:-none}" "${non2xx:-0}" "${syns:-?}" "$rps" "$t_usr2" "$t_winch" "$t_quit"
  # The run's own errors: wrk's output that does not parse, and any request masterwork lost (it claims none;
  # nginx's losses are the comparison). wrk's "timeout" counts answers slower than 2 s, which still came.
  if [ -z "$rps" ] || ! grep -q 'requests in' "$work/$name.wrk"; then
    echo "$name: wrk's output did not parse (see $work/$name.wrk)" >>"$work/failed"
  elif [ "$name" = masterwork ]; then
    local lost
    lost=$(awk '/Socket errors/ {gsub(",",""); e += $4 + $6 + $8} /Non-2xx/ {e += $5} END {print e + 0}' "$work/$name.wrk")
    [ "$lost" -eq 0 ] || echo "masterwork lost $lost requests during the upgrade (connect, read, write errors, non-2xx)" >>"$work/failed"
    [ "$syns" -eq 0 ] || echo "wrk connected $syns times after USR2: masterwork's upgrade closed connections" >>"$work/failed"
  fi
}

# nginx, daemonized (its binary upgrade needs it)
np=$(free_port); mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<NGX
worker_processes $workers;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log notice;
events { worker_connections 1024; }
http { access_log off; keepalive_timeout 75s; keepalive_requests 100000000;
  server { listen 127.0.0.1:$np; location / { default_type text/plain; return 200 "hello\n"; } } }
NGX
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
wait_until 30 test -s "$work/nginx/nginx.pid"; cat "$work/nginx/nginx.pid" >>"$pids"
wait_until 30 curl -sf -o /dev/null "http://127.0.0.1:$np/"

# masterwork, in the foreground (its upgrade works there too)
mp=$(free_port); mkdir -p "$work/mw/conf"
printf 'worker_processes = %s\nworker_cpu_affinity = off\nlisten = "127.0.0.1:%s"\nhttp { body = "hello\\n", access_log = off, keepalive_timeout = 75s, keepalive_requests = 100000000 }\n' \
  "$workers" "$mp" >"$work/mw/conf/masterwork.conf"
"$MW" -p "$work/mw" >"$work/mw/stdout" 2>&1 &
echo "$!" >>"$pids"
wait_until 120 curl -sf -o /dev/null "http://127.0.0.1:$mp/"
sleep 2

rows=$(dance nginx "$np" "$work/nginx/nginx.pid"; dance masterwork "$mp" "$work/mw/logs/masterwork.pid")
table=$(
  echo "| server | wrk socket errors | non-2xx | TCP connects from USR2 on | requests/s | USR2 → new master serving | WINCH → old workers gone | QUIT → old master gone |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "$rows"
)
echo "$table"
if $record; then
  {
    echo
    echo "### Binary upgrade under keep-alive load — $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "Command: \`bench/upgrade-vs-nginx.sh --record $workers\` — wrk -t1 -c50 -d40s keep-alive during USR2, WINCH, QUIT"
    echo "5 s apart; $workers workers each; keepalive_requests 100000000 on both (only the dance ends connections); TCP"
    echo "connects are SYNs to the port from USR2 to wrk's end, less the script's own probe; nginx daemonized (it upgrades only then), masterwork in the foreground;"
    echo "$(nproc) cores, kernel $(uname -r), $(java -version 2>&1 | head -1), $(/usr/sbin/nginx -v 2>&1)."
    echo
    echo "$table"
  } >> docs/BENCHMARKS.md
fi
if [ -s "$work/failed" ]; then
  echo "FAILED:" >&2; cat "$work/failed" >&2
  exit 1
fi
