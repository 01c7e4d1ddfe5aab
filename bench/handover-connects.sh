#!/usr/bin/env bash
# TCP connects during reloads under keep-alive load: masterwork with connection_handover on, off, and nginx.
#
#   bench/handover-connects.sh                        # 2 rounds, ~3 minutes; appends to docs/BENCHMARKS.md
#   RECORD=0 ROUNDS=1 RELOADS=3 bench/handover-connects.sh   # a quick look, nothing written
#
# Settings (environment): ROUNDS=2, WORKERS=2, RELOADS=8, EVERY=2 (s between HUPs at most), RECORD=1.
# Needs nginx, wrk and tcpdump (bench/compare-nginx.sh installs them) and a masterwork build (./masterwork -v).
# Everything it starts is killed by pid on exit; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2} WORKERS=${WORKERS:-2} RELOADS=${RELOADS:-8} EVERY=${EVERY:-2} RECORD=${RECORD:-1}
for tool in wrk tcpdump python3; do
    command -v "$tool" >/dev/null || { echo "handover-connects: $tool missing (bench/compare-nginx.sh installs it)" >&2; exit 1; }
done
NGINX=$( [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || command -v nginx )
timeout 1200 ./masterwork -v >&2
dist=$(readlink -f .masterwork/current)
exec 8<"$dist/bin/masterwork"   # held open: the launcher prunes only builds nobody holds
command_line="bench/handover-connects.sh"
[ "$ROUNDS" = 2 ] || command_line="ROUNDS=$ROUNDS $command_line"
[ "$RELOADS" = 8 ] || command_line="RELOADS=$RELOADS $command_line"
args=(--launcher "$dist/bin/masterwork" --nginx "$NGINX" --rounds "$ROUNDS" --workers "$WORKERS"
      --reloads "$RELOADS" --every "$EVERY" --command "$command_line")
[ "$RECORD" = 1 ] && args+=(--record docs/BENCHMARKS.md)
bound=$(( 300 + ROUNDS * 3 * (RELOADS * (EVERY + 30) + 90) ))
exec timeout --signal=TERM --kill-after=30 "$bound" python3 bench/handover_connects.py "${args[@]}"
