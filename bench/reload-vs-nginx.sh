#!/usr/bin/env bash
# Keep-alive load during reloads, masterwork beside Debian's nginx in the same run.
#
#   bench/reload-vs-nginx.sh [duration_s=20] [reload_every_s=2] [workers=2]
#
# For each server: wrk -t1 -c50 -d<duration> keep-alive, a HUP every <reload_every> seconds, and for every
# reload the time from HUP until the new generation is serving and the old one is gone (measured the
# same way for both: the master's child pids). Prints one table; with --record appends it to
# docs/BENCHMARKS.md. Installs nginx and wrk from Debian when missing. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
if [ "${1:-}" = "--record" ]; then record=true; shift; fi
duration=${1:-20}; every=${2:-2}; workers=${3:-2}

need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  systemctl stop nginx 2>/dev/null || service nginx stop 2>/dev/null || true
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/masterwork-bench-XXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
pids_to_kill=()
cleanup() { for p in "${pids_to_kill[@]}"; do kill -9 "$p" 2>/dev/null || true; pkill -9 -P "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

children() { pgrep -P "$1" | sort -n | tr '\n' ' '; }

# Sends a HUP every $every s during the load; prints each reload's duration in ms (old children gone, as
# many new children as before, none of them old).
reload_loop() {
  local master=$1 n=$2
  local end=$(( $(date +%s) + duration - 1 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    sleep "$every"
    [ "$(date +%s)" -lt "$end" ] || break
    local before; before=$(children "$master")
    local t0; t0=$(date +%s%N)
    kill -HUP "$master"
    while :; do
      local now; now=$(children "$master")
      local stale=0
      for p in $before; do case " $now " in *" $p "*) stale=1;; esac; done
      local count; count=$(wc -w <<<"$now")
      if [ "$stale" = 0 ] && [ "$count" -ge "$n" ]; then break; fi
      if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 30000 ]; then echo "timeout"; break; fi
      sleep 0.005
    done
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
  done
}

run_case() { # name port master_pid
  local name=$1 port=$2 master=$3
  wrk -t1 -c50 -d"${duration}s" --latency "http://127.0.0.1:$port/" >"$work/$name.wrk" 2>&1 &
  local wrk_pid=$!
  reload_loop "$master" "$workers" >"$work/$name.reloads"
  wait "$wrk_pid"
}

wait_serving() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1/" >/dev/null && return 0; sleep 0.05; done; echo "not serving on $1" >&2; return 1; }

# --- nginx ---
np=$(free_port); mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<NGX
worker_processes $workers;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log notice;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 1000;
  server { listen 127.0.0.1:$np; location / { default_type text/plain; return 200 "hello\n"; } }
}
NGX
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" >/dev/null 2>&1 &
nginx_pid=$!; pids_to_kill+=("$nginx_pid")
wait_serving "$np"

# --- masterwork ---
mp=$(free_port); mkdir -p "$work/mw/conf"
cat >"$work/mw/conf/masterwork.conf" <<MW
worker_processes = $workers
listen = "127.0.0.1:$mp"
http { body = "hello\n", access_log = off, keepalive_timeout = 75s, keepalive_requests = 1000 }
MW
./masterwork -p "$work/mw" >/dev/null 2>&1 &
mw_pid=$!; pids_to_kill+=("$mw_pid")
wait_serving "$mp"
sleep 1

run_case nginx "$np" "$nginx_pid"
run_case masterwork "$mp" "$mw_pid"

summary() { # name
  local f="$work/$1.wrk" r="$work/$1.reloads"
  local rps errs non2xx reloads med max
  rps=$(awk '/Requests\/sec/ {print $2}' "$f")
  errs=$(awk '/Socket errors/ {gsub(",",""); print "connect " $4 ", read " $6 ", write " $8 ", timeout " $10}' "$f")
  [ -n "$errs" ] || errs="none"
  non2xx=$(awk '/Non-2xx/ {print $5}' "$f"); [ -n "$non2xx" ] || non2xx=0
  reloads=$(grep -c . "$r" || true)
  med=$(sort -n "$r" | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}')
  max=$(sort -n "$r" | tail -1)
  printf '| %s | %s | %s | %s | %s | %s ms | %s ms |\n' "$1" "$rps" "$errs" "$non2xx" "$reloads" "$med" "$max"
}

table=$(
  echo "| server | requests/s | socket errors | non-2xx | reloads | HUP → new serving, old gone (median) | (max) |"
  echo "|---|---|---|---|---|---|---|"
  summary nginx
  summary masterwork
)
echo "$table"
if $record; then
  {
    echo
    echo "### Reload under keep-alive load — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Command: \`bench/reload-vs-nginx.sh --record $duration $every $workers\` (wrk -t1 -c50 -d${duration}s, a HUP every ${every} s, $workers workers each;"
    echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), $(java -version 2>&1 | head -1), $("$NGINX" -v 2>&1))."
    echo
    echo "$table"
  } >> docs/BENCHMARKS.md
fi
