#!/usr/bin/env bash
# kill -9 of the only worker -> a request answered by the worker that replaced it, median of N runs, for
#   masterwork, cold     worker_spares = 0: the master starts a new worker JVM
#   masterwork, spare    worker_spares = 1: the master promotes a spare (one PROMOTE frame); before each kill the
#                        script waits until a (new) spare is ready, as a spare would be in production
#   nginx                the same kill against Debian's nginx (fork of the master), when nginx is installed
# in one run, interleaved round by round (cold, spare, nginx, cold, ...), so that the three see the same load.
#
# How one kill is timed (bench/worker_respawn_kill.py, in-process, no curl start-up in the figure): t0, kill(pid, 9),
# connect + "GET /_worker" right away (the master keeps the listener, so the connection waits in the backlog), read
# the answer; t1 when the answer names a pid other than the killed one. The figure is t1 - t0.
#
# Then RELOADS times (default 5): HUP -> reload committed, cold vs with a spare (see below).
#
# usage: bench/worker-respawn.sh [runs]            (default 15)
# env:   MASTERWORK_HOME  the distribution to measure (default: distribution/target/masterwork-*)
#        NGINX=0          leave nginx out
#        ACCESS_LOG=1     every server writes an access log (masterwork's default; off otherwise, as nginx's here)
# Loopback only, free ports from the kernel; every server it starts is stopped (by pid).
set -euo pipefail

runs=${1:-15}
root=$(cd "$(dirname "$0")/.." && pwd -P)
home=${MASTERWORK_HOME:-$(ls -1d "$root"/distribution/target/masterwork-*/ 2>/dev/null | head -n 1)}
home=${home%/}
[[ -x $home/bin/masterwork ]] || { echo "no distribution at '$home' (build it: ./mvnw -q -B install -DskipTests)" >&2; exit 1; }
with_nginx=${NGINX:-1}
# masterwork's access_log value and nginx's directive; a promotion that opens the log cold pays for it (BENCHMARKS.md)
if [[ ${ACCESS_LOG:-0} == 1 ]]; then mw_access_log='"logs/access.log"' nginx_access_log='logs/access.log'; else mw_access_log=off nginx_access_log=off; fi
nginx_bin=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
[[ -n $nginx_bin ]] || with_nginx=0
work=$(mktemp -d /tmp/masterwork-respawn-XXXXXX)
chmod 755 "$work" # a root master's workers run as nobody by default and must enter the prefix
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -QUIT "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
children() { pgrep -P "$1" | sort -n; }
title() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ *$//'; }

# start_masterwork NAME SPARES: sets port_NAME and master_NAME
start_masterwork() {
    local name=$1 spares=$2 dir=$work/$1 port
    mkdir -p "$dir/logs"
    port=$(free_port)
    cat >"$dir/masterwork.conf" <<EOF
worker_processes = 1
worker_spares = $spares
listen = "127.0.0.1:$port"
error_log = "logs/error.log info"
http { access_log = $mw_access_log }
EOF
    "$home/bin/masterwork" -c "$dir/masterwork.conf" -p "$dir" >"$dir/master.out" 2>&1 &
    pids+=($!)
    printf -v "master_$name" '%s' "$!"
    printf -v "port_$name" '%s' "$port"
    for _ in $(seq 1200); do grep -q "serving: 1 workers" "$dir/logs/error.log" 2>/dev/null && return 0; sleep 0.1; done
    echo "masterwork ($name) did not serve within 120 s" >&2; tail -20 "$dir/logs/error.log" >&2; exit 1
}

start_nginx() {
    local dir=$work/nginx
    mkdir -p "$dir/logs"
    port_nginx=$(free_port)
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log notice;
events { worker_connections 1024; }
http {
    access_log $nginx_access_log;
    server {
        listen 127.0.0.1:$port_nginx;
        location = /_worker { default_type application/json; return 200 '{"pid":\$pid}'; }
    }
}
EOF
    "$nginx_bin" -p "$dir" -c "$dir/nginx.conf" >"$dir/nginx.out" 2>&1 &
    pids+=($!)
    master_nginx=$!
    for _ in $(seq 100); do [[ -n $(children "$master_nginx") ]] && return 0; sleep 0.1; done
    echo "nginx did not start" >&2; exit 1
}

# the worker of MASTER that serves (not a spare), once it answers
serving_worker() {
    local master=$1 w
    for _ in $(seq 600); do
        for w in $(children "$master"); do
            [[ $(title "$w") == *"(spare)"* ]] && continue
            echo "$w"; return 0
        done
        sleep 0.05
    done
    return 1
}

# waits until MASTER (masterwork) has a spare that the log calls ready
await_spare() {
    local master=$1 log=$2 w
    for _ in $(seq 1200); do
        for w in $(children "$master"); do
            [[ $(title "$w") == *"(spare)"* ]] && grep -q "spare worker process $w (spare [0-9]*) ready" "$log" && return 0
        done
        sleep 0.05
    done
    echo "no spare became ready within 60 s" >&2; return 1
}

echo "distribution: $home"
echo "machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1)"
[[ $with_nginx == 1 ]] && echo "nginx: $("$nginx_bin" -v 2>&1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

start_masterwork cold 0
start_masterwork spare 1
[[ $with_nginx == 1 ]] && start_nginx
await_spare "$master_spare" "$work/spare/logs/error.log"

cold=() spare=() nginx=()
for ((r = 1; r <= runs; r++)); do
    sleep 2 # every worker idle, and past the master's 10 s "stable" window only after the first rounds: kill -9 is not a crash anyway
    w=$(serving_worker "$master_cold")
    cold+=("$(python3 "$root/bench/worker_respawn_kill.py" "$w" "$port_cold")")
    await_spare "$master_spare" "$work/spare/logs/error.log"
    w=$(serving_worker "$master_spare")
    spare+=("$(python3 "$root/bench/worker_respawn_kill.py" "$w" "$port_spare")")
    if [[ $with_nginx == 1 ]]; then
        w=$(serving_worker "$master_nginx")
        nginx+=("$(python3 "$root/bench/worker_respawn_kill.py" "$w" "$port_nginx")")
    fi
    line="round $r: cold ${cold[-1]} ms, spare ${spare[-1]} ms"
    [[ $with_nginx == 1 ]] && line="$line, nginx ${nginx[-1]} ms"
    echo "$line"
done
# HUP (the body changes: a new generation) -> the master commits the reload (every new worker READY), as the master
# logs it ("generation N serving with 1 workers after X ms"), cold vs with a spare; the spare master waits for a
# ready spare before each HUP.
reload_cold=() reload_spare=()
reload_ms() { # NAME MASTER: one reload, its commit time
    local dir=$work/$1 before
    before=$(grep -c "serving with" "$dir/logs/error.log" || true)
    sed -i "s|^http .*|http { access_log = $mw_access_log, body = \"reload $RANDOM\\\\n\" }|" "$dir/masterwork.conf"
    kill -HUP "$2"
    for _ in $(seq 1200); do
        (($(grep -c "serving with" "$dir/logs/error.log" || true) > before)) && break
        sleep 0.05
    done
    grep -o "serving with [0-9]* workers after [0-9]* ms" "$dir/logs/error.log" | tail -1 | awk '{print $6}'
    for _ in $(seq 1200); do grep -q "reload complete" <(tail -3 "$dir/logs/error.log") && break; sleep 0.05; done
}
for ((r = 1; r <= ${RELOADS:-5}; r++)); do
    sleep 1
    reload_cold+=("$(reload_ms cold "$master_cold")")
    await_spare "$master_spare" "$work/spare/logs/error.log"
    reload_spare+=("$(reload_ms spare "$master_spare")")
    echo "reload $r: cold ${reload_cold[-1]} ms, spare ${reload_spare[-1]} ms"
done

# The promoted worker's own account of its promotion (the last one): where the time went inside it.
grep "promoted:" "$work/spare/logs/error.log" | tail -1 | sed 's/^.*(\(.*\))$/last promotion, inside the spare: \1/'

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'kill -9 -> replacement serving, masterwork cold (new JVM)   median %8s ms   runs: %s\n' "$(printf '%s\n' "${cold[@]}" | median)" "${cold[*]}"
printf 'kill -9 -> replacement serving, masterwork with a spare     median %8s ms   runs: %s\n' "$(printf '%s\n' "${spare[@]}" | median)" "${spare[*]}"
printf 'HUP -> reload committed (new worker READY), cold           median %8s ms   runs: %s\n' "$(printf '%s\n' "${reload_cold[@]}" | median)" "${reload_cold[*]}"
printf 'HUP -> reload committed (new worker READY), with a spare    median %8s ms   runs: %s\n' "$(printf '%s\n' "${reload_spare[@]}" | median)" "${reload_spare[*]}"
if [[ $with_nginx == 1 ]]; then
    printf 'kill -9 -> replacement serving, nginx (fork)                median %8s ms   runs: %s\n' "$(printf '%s\n' "${nginx[@]}" | median)" "${nginx[*]}"
fi
