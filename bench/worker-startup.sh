#!/usr/bin/env bash
# Worker start-up figures (issue 14), median of N runs:
#   start : `bin/masterwork` launched -> the master listens (a connect succeeds: it spawns its workers right
#           after) -> the master logs "serving" (2 workers READY); and the slower worker's own spawn -> READY as
#           the master logs it ("ready in N ms"). Timed by bench/start_timing.py, which polls from one process:
#           a shell loop of fork + exec competes with the JVMs it times (it doubled the figures here).
#   cpu   : CPU time (user + sys) each worker, and the master, had used when the master logged "serving" — less
#           sensitive to other load on the machine than the wall-clock figures
#   pss   : Pss of each worker (/proc/<pid>/smaps_rollup), 3 s after READY, no requests (one connection, the
#           timer's probe); and once, of the 2 workers of a master that has accepted no connection at all (watched
#           through its log only); the master's own Pss at the same moment
#   kill  : `kill -9` of the only worker -> a request sent right after it is answered by the replacement
#           (the master keeps the listener: the request waits in the backlog until the new worker accepts)
#   nginx : when Debian's nginx is installed (NGINX=0 leaves it out), the same start with 2 workers, run by
#           run beside masterwork's: launched -> listening -> a request answered, and its workers' Pss after 3 s
#
# usage: bench/worker-startup.sh [runs]            (default 5)
# env:   MASTERWORK_HOME      the distribution to measure (default: distribution/target/masterwork-*)
#        JAVA_HOME            the JDK that bin/masterwork runs (default: java on PATH)
#        NGINX=0              leave nginx out
#        WORKER_JVM_OPTIONS   a HOCON list for worker_jvm_options, to compare flags, e.g. '["-Xshare:off"]'
#        CONFIG_EXTRA         more configuration lines, e.g. 'env = ["MALLOC_ARENA_MAX=2"]' (the workers' environment)
#        MASTERWORK_JAVA_OPTS the master's extra JVM flags (bin/masterwork reads it), to compare the master's
# Needs curl. Loopback only, free ports from the kernel; every master it starts is stopped.
set -euo pipefail

runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd -P)
home=${MASTERWORK_HOME:-$(ls -1d "$root"/distribution/target/masterwork-*/ 2>/dev/null | head -n 1)}
home=${home%/}
[[ -x $home/bin/masterwork ]] || { echo "no distribution at '$home' (build it: ./mvnw -q -B -pl distribution -am package -DskipTests)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
options=${WORKER_JVM_OPTIONS:-[]}
with_nginx=${NGINX:-1}
nginx_bin=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
[[ -n $nginx_bin ]] || with_nginx=0
work=$(mktemp -d /tmp/masterwork-startup-XXXXXX)
chmod 755 "$work" # a root master's workers run as nobody by default and must enter the prefix
masters=()

cleanup() {
    local pid
    for pid in "${masters[@]}"; do
        kill -QUIT "$pid" 2>/dev/null || true
    done
    for pid in "${masters[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else print int((v[NR/2]+v[NR/2+1])/2)}'; }

# write_config DIR WORKERS: a fresh prefix whose configuration listens on $port
write_config() {
    local dir=$1 workers=$2
    mkdir -p "$dir/logs"
    cat >"$dir/masterwork.conf" <<EOF
worker_processes = $workers
# Cold figures: no spare (worker_spares = auto by default) takes a killed worker's slot or shares the CPUs.
worker_spares = 0
listen = "127.0.0.1:$port"
error_log = "logs/error.log info"
worker_jvm_options = $options
http { access_log = off }
${CONFIG_EXTRA:-}
EOF
}

# start_master DIR WORKERS: write_config, then the master in the background; sets $master
start_master() {
    write_config "$1" "$2"
    "$home/bin/masterwork" -c "$1/masterwork.conf" -p "$1" >"$1/master.out" 2>&1 &
    master=$!
    masters+=("$master")
}

stop_master() {
    kill -QUIT "$1" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
}

await_log() { # FILE PATTERN TIMEOUT_S
    local deadline=$(($(now_us) + $3 * 1000000))
    until grep -q "$2" "$1" 2>/dev/null; do
        (($(now_us) < deadline)) || { echo "timed out waiting for '$2' in $1" >&2; tail -20 "$1" >&2; return 1; }
        sleep 0.005
    done
}

workers_of() { pgrep -P "$1" | sort -n; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }

echo "distribution: $home"
echo "worker_jvm_options: $options${CONFIG_EXTRA:+, configuration: $CONFIG_EXTRA}${MASTERWORK_JAVA_OPTS:+, master: $MASTERWORK_JAVA_OPTS}"
echo "machine: $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# write_nginx_config DIR: Debian's nginx, 2 workers, in the foreground, listening on $port
write_nginx_config() {
    local dir=$1
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log notice;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen 127.0.0.1:$port; location = / { return 200 'hello'; } }
}
EOF
}

start_ms=() listen_ms=() ready_ms=() cpu=() master_cpu=() pss=() master_pss=() kill_ms=() maps="" master_maps=""
nginx_listen_ms=() nginx_serving_ms=() nginx_pss=()
for ((r = 1; r <= runs; r++)); do
    dir=$work/start-$r
    port=$(free_port)
    write_config "$dir" 2
    read -r tl t1 master < <(python3 "$root/bench/start_timing.py" --port "$port" --out "$dir/master.out" \
        --log "$dir/logs/error.log" --pattern "serving: 2 workers" -- \
        "$home/bin/masterwork" -c "$dir/masterwork.conf" -p "$dir")
    masters+=("$master")
    [[ $t1 != - ]] || { echo "masterwork did not serve" >&2; tail -20 "$dir/logs/error.log" >&2; exit 1; }
    listen_ms+=("$tl")
    grep -q 'master\.\(jsa\|aot\)' "/proc/$master/maps" && master_maps="${master_maps}y" || master_maps="${master_maps}n"
    for w in $(workers_of "$master"); do cpu+=("$(cpu_ms "$w")"); done
    master_cpu+=("$(cpu_ms "$master")")
    start_ms+=("$t1")
    ready_ms+=($(grep -o 'ready in [0-9]* ms' "$dir/logs/error.log" | awk '{print $3}' | sort -n | tail -1))
    sleep 3
    for w in $(workers_of "$master"); do
        pss+=("$(pss_kib "$w")")
        grep -q 'worker\.\(jsa\|aot\)' "/proc/$w/maps" && maps="${maps}y" || maps="${maps}n"
    done
    master_pss+=("$(pss_kib "$master")")
    stop_master "$master"

    if [[ $with_nginx == 1 ]]; then
        dir=$work/nginx-$r
        port=$(free_port)
        write_nginx_config "$dir"
        read -r tl t1 master < <(python3 "$root/bench/start_timing.py" --port "$port" --out "$dir/nginx.out" --http -- \
            "$nginx_bin" -p "$dir" -c "$dir/nginx.conf")
        masters+=("$master")
        [[ $t1 != - ]] || { echo "nginx did not serve" >&2; exit 1; }
        nginx_listen_ms+=("$tl")
        nginx_serving_ms+=("$t1")
        sleep 3
        for w in $(workers_of "$master"); do nginx_pss+=("$(pss_kib "$w")"); done
        stop_master "$master"
    fi
done

# 2 workers that have accepted no connection at all: this master is watched through its log only (the start runs
# above connect to see the port listening, and Netty's pooled allocator takes its first chunk for that connection).
dir=$work/untouched
port=$(free_port)
start_master "$dir" 2
await_log "$dir/logs/error.log" "serving: 2 workers" 120
sleep 3
untouched_pss=()
for w in $(workers_of "$master"); do untouched_pss+=("$(pss_kib "$w")"); done
stop_master "$master"

dir=$work/kill
port=$(free_port)
start_master "$dir" 1
await_log "$dir/logs/error.log" "serving: 1 workers" 120
for ((r = 1; r <= runs; r++)); do
    sleep 3 # past the master's 2 s "died young" back-off window, and the worker idle
    old=$(workers_of "$master")
    t0=$(now_us)
    kill -9 "$old"
    answer=$(curl -s --max-time 60 "http://127.0.0.1:$port/_worker")
    t1=$(now_us)
    [[ $answer == *'"pid":'* && $answer != *"\"pid\":$old,"* ]] || { echo "kill run $r: unexpected answer '$answer'" >&2; exit 1; }
    kill_ms+=($(((t1 - t0) / 1000)))
done
stop_master "$master"

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "java: $("${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | sed -n 2p)"
echo "worker.jsa/.aot mapped by workers: $maps, master.jsa/.aot by masters: $master_maps (y = yes)"
printf 'start:  master launched -> listening        median %5s ms   runs: %s\n' "$(printf '%s\n' "${listen_ms[@]}" | median)" "${listen_ms[*]}"
printf '        master launched -> 2 workers READY  median %5s ms   runs: %s\n' "$(printf '%s\n' "${start_ms[@]}" | median)" "${start_ms[*]}"
printf '        worker spawn -> READY (slower one)  median %5s ms   runs: %s\n' "$(printf '%s\n' "${ready_ms[@]}" | median)" "${ready_ms[*]}"
printf 'cpu:    worker CPU time at READY            median %5s ms   runs: %s\n' "$(printf '%s\n' "${cpu[@]}" | median)" "${cpu[*]}"
printf '        master CPU time at 2 workers READY  median %5s ms   runs: %s\n' "$(printf '%s\n' "${master_cpu[@]}" | median)" "${master_cpu[*]}"
printf 'kill:   kill -9 -> replacement serving      median %5s ms   runs: %s\n' "$(printf '%s\n' "${kill_ms[@]}" | median)" "${kill_ms[*]}"
printf 'pss:    worker Pss idle                     median %5s MiB  runs (KiB): %s\n' \
    "$(printf '%s\n' "${pss[@]}" | median | awk '{printf "%.1f", $1/1024}')" "${pss[*]}"
printf '        master Pss idle (2 workers)         median %5s MiB  runs (KiB): %s\n' \
    "$(printf '%s\n' "${master_pss[@]}" | median | awk '{printf "%.1f", $1/1024}')" "${master_pss[*]}"
printf '        worker Pss idle, nothing accepted   median %5s MiB  2 workers of one master (KiB): %s\n' \
    "$(printf '%s\n' "${untouched_pss[@]}" | median | awk '{printf "%.1f", $1/1024}')" "${untouched_pss[*]}"
if [[ $with_nginx == 1 ]]; then
    echo "nginx: $("$nginx_bin" -v 2>&1)"
    printf 'nginx:  launched -> listening               median %5s ms   runs: %s\n' "$(printf '%s\n' "${nginx_listen_ms[@]}" | median)" "${nginx_listen_ms[*]}"
    printf '        launched -> a request answered      median %5s ms   runs: %s\n' "$(printf '%s\n' "${nginx_serving_ms[@]}" | median)" "${nginx_serving_ms[*]}"
    printf '        worker Pss idle                     median %5s MiB  runs (KiB): %s\n' \
        "$(printf '%s\n' "${nginx_pss[@]}" | median | awk '{printf "%.1f", $1/1024}')" "${nginx_pss[*]}"
fi
