# Shared by bench/soak-reloads.sh and bench/soak-upgrades.sh (sourced, not run).
# Every process started is recorded in $work/pids and killed by pid on exit (a master frozen first, so that
# it cannot respawn the workers killed beside it). Loopback only; every wait is bounded.
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v jcmd >/dev/null || need+=(openjdk-17-jdk-headless)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
./masterwork -v >/dev/null
MW=$(readlink -f .masterwork/current)/bin/masterwork
work=$(mktemp -d /tmp/masterwork-soak-XXXX)
chmod 755 "$work" # a root master's workers run as nobody by default and must enter the prefix
pids="$work/pids"
: >"$pids"
cleanup() {
  local p kids
  [ -n "${wrk_pid:-}" ] && kill "$wrk_pid" 2>/dev/null || true
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
  until "$@"; do [ "$(ms)" -lt "$limit" ] || { echo "timeout: $*" >&2; return 1; }; sleep 0.02; done
}
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
children() { pgrep -P "$1" 2>/dev/null | sort -n || true; }
is_spare() { [ "$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n1)" = "masterwork: worker process (spare)" ]; }
workers() { # children of $1 less its spares (worker_spares, auto by default): those are never workers
  local c
  for c in $(children "$1"); do is_spare "$c" || echo "$c"; done
}
zombies() { # children of $1 in state Z
  local c n=0
  for c in $(pgrep -P "$1" 2>/dev/null); do
    [ "$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)" = Z ] && n=$((n + 1))
  done
  echo "$n"
}
# Java heap in use after a full GC, and metaspace in use, KiB ("heap/metaspace"; jcmd: the master keeps its
# attach listener). Unlike RSS, which a JVM grows towards its heap limit and seldom gives back, these show a leak.
heap_after_gc_kib() {
  jcmd "$1" GC.run >/dev/null 2>&1 || { echo "?"; return; }
  jcmd "$1" GC.heap_info 2>/dev/null | awk '
    function used() { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub("K,?", "", v); return v } return 0 }
    /generation|garbage-first heap/ { heap += used() }
    /Metaspace/ { meta = used() }
    END { printf "%d/%d\n", heap, meta }'
}
# Every live process of this soak: its masters (recorded in $work/pids) and their workers (cwd = the prefix).
soak_processes() {
  local d p n=0
  for d in /proc/[0-9]*; do
    [ "$(awk '{print $3}' "$d/stat" 2>/dev/null)" = Z ] && continue
    p=${d#/proc/}
    if grep -qx "$p" "$pids" 2>/dev/null; then n=$((n + 1)); continue; fi
    case "$(readlink "$d/cwd" 2>/dev/null)" in "$work"*) n=$((n + 1)) ;; esac
  done
  echo "$n"
}
control() { # prefix command: one line to the control socket, the answer up to its empty line
  python3 - "$1/logs/masterwork.sock" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(120); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
buf = b""
while not buf.endswith(b"\n\n"):
    chunk = s.recv(65536)
    if not chunk: break
    buf += chunk
print(buf.decode().strip())
PY
}
start_master() { # prefix port workers
  mkdir -p "$1/conf"
  printf 'worker_processes = %s\nworker_cpu_affinity = off\nlisten = "127.0.0.1:%s"\nworker_shutdown_timeout = 5s\nhttp { access_log = off }\n' \
    "$3" "$2" >"$1/conf/masterwork.conf"
  "$MW" -p "$1" >"$1/stdout" 2>&1 &
  echo "$!" >>"$pids"
  wait_until 120 curl -sf -o /dev/null "http://127.0.0.1:$2/"
}
start_load() { # port seconds
  wrk -t1 -c20 -d"$2"s "http://127.0.0.1:$1/" >"$work/wrk.out" 2>&1 &
  wrk_pid=$!
}
stop_load() {
  kill -INT "$wrk_pid"
  wait "$wrk_pid" || true
  wrk_pid=
}
load_summary() {
  local req errs non2xx
  req=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  errs=$(awk '/Socket errors/ {gsub(",",""); print "connect " $4 ", read " $6 ", write " $8 ", timeout " $10}' "$work/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk.out")
  echo "wrk -t1 -c20: ${req:-?} requests, socket errors: ${errs:-none}, non-2xx: ${non2xx:-0}"
}
# Requests the load lost: wrk's connect, read and write errors and non-2xx answers ("timeout" counts answers
# slower than 2 s, which still came). Prints the number; fails when wrk's output does not say how many requests
# it made (wrk died, or its output changed): a soak that cannot count its failures has not shown there were none.
load_failures() {
  local req
  req=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  if [ -z "$req" ] || [ "$req" -eq 0 ]; then
    echo "wrk's output gives no request count:" >&2; cat "$work/wrk.out" >&2
    return 1
  fi
  awk '/Socket errors/ {gsub(",",""); e += $4 + $6 + $8} /Non-2xx/ {e += $5} END {print e + 0}' "$work/wrk.out"
}
