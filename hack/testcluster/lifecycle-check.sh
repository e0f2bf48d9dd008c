#!/usr/bin/env bash
# Checks the cluster scripts' lifecycle end to end, in a run directory of its own (so a cluster you already run is
# left alone): up → up again ("already running") → status → kwok killed: status and up report "degraded" → down
# (which itself fails if a recorded process or port survives) → no process of ours left → down again ("no cluster
# is running"). Prints the warm start time.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
export CONFIGSPEC_RUN_DIR=${CONFIGSPEC_RUN_DIR:-$repo/.run/lifecycle-check}
cluster=$repo/hack/cluster.sh
fail() {
  echo "lifecycle-check: FAIL: $*" >&2
  exit 1
}

started=$(date +%s.%N)
bash "$cluster" up
echo "lifecycle-check: cluster-up took $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
pids=$(awk '{ print $2 }' "$CONFIGSPEC_RUN_DIR/pids")
ports=$(cat "$CONFIGSPEC_RUN_DIR/ports")

second=$(bash "$cluster" up 2>&1)
grep -q 'already running at https://127.0.0.1:' <<<"$second" || fail "second up did not say 'already running': $second"
bash "$cluster" status

# A component that died makes the cluster degraded: status says so (exit 1) and up refuses with advice.
kill "$(awk '$1 == "kwok" { print $2 }' "$CONFIGSPEC_RUN_DIR/pids")"
sleep 1
status=0
bash "$cluster" status >/dev/null 2>&1 || status=$?
((status == 1)) || fail "status with kwok stopped exited $status, expected 1 (degraded)"
degraded=$(bash "$cluster" up 2>&1) && fail "up on a degraded cluster succeeded"
grep -q 'degraded' <<<"$degraded" || fail "up on a degraded cluster did not say so: $degraded"

bash "$cluster" down
# Alive = present and not a zombie (an exited child waits for its reaper, which may be slow in containers).
alive() { [[ -r /proc/$1/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
for pid in $pids; do
  ! alive "$pid" || fail "process $pid survived cluster down: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
done
for port in $ports; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port still accepts connections"; fi
done
[[ ! -e $CONFIGSPEC_RUN_DIR ]] || fail "run directory $CONFIGSPEC_RUN_DIR still exists"

again=$(bash "$cluster" down 2>&1)
grep -q 'no cluster is running' <<<"$again" || fail "down without a cluster did not say 'no cluster is running': $again"
status=0
bash "$cluster" status 2>/dev/null || status=$?
((status == 3)) || fail "status without a cluster exited $status, expected 3"
echo "lifecycle-check: OK (processes $(wc -w <<<"$pids"), ports $(wc -w <<<"$ports") all released)"
