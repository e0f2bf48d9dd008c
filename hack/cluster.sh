#!/usr/bin/env bash
# The local test control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok as separate
# processes on 127.0.0.1 (free ports), built from Go modules by hack/testcluster/build.sh.
#
#   hack/cluster.sh up       start (or report the running one), wait until ready, apply the fleet
#   hack/cluster.sh down     stop exactly the recorded processes, remove the run directory, check nothing is left
#   hack/cluster.sh status   say what runs
#   hack/cluster.sh env      print `export KUBECONFIG=…` for a running cluster
#   hack/cluster.sh fleet F  apply another fleet file (more nodes) to the running cluster
#
# Environment: CONFIGSPEC_RUN_DIR (default <repo>/.run/cluster), CONFIGSPEC_CACHE (binary cache),
# CONFIGSPEC_FLEET (fleet file, default config/fleet/default.yaml; "none" for no nodes), CONFIGSPEC_FLEET_SCALE,
# CONFIGSPEC_APISERVER_ARGS / _CONTROLLER_MANAGER_ARGS / _SCHEDULER_ARGS / _KWOK_ARGS (extra flags, space-separated).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=testcluster/versions.sh
source "$repo/hack/testcluster/versions.sh"
run_dir=${CONFIGSPEC_RUN_DIR:-$repo/.run/cluster}
node_bin=$repo/node_modules/.bin/node
[[ -x $node_bin ]] || node_bin=node
# Component order matters: `down` stops them in reverse, the store last.
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

say() { printf '[cluster] %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}
kubectl_admin() { "$TESTBIN_DIR/kubectl" --kubeconfig "$run_dir/kubeconfig" "$@"; }

# A recorded process counts as ours only if its executable is still the binary we started (PIDs get reused).
is_ours() {
  local pid=$1 binary=$2
  [[ -d /proc/$pid ]] && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$TESTBIN_DIR/$binary" ]]
}

running_pids() {
  [[ -f $run_dir/pids ]] || return 0
  local name pid
  while read -r name pid; do
    if is_ours "$pid" "$name"; then echo "$name $pid"; fi
  done <"$run_dir/pids"
}

api_url() { sed -n 's/^ *server: //p' "$run_dir/kubeconfig" 2>/dev/null | head -n1; }

# Ports held open together so no two components draw the same one.
free_ports() {
  "$node_bin" -e '
    const net = require("node:net");
    const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, "127.0.0.1", ok)))).then(() => {
      console.log(servers.map((s) => s.address().port).join(" "));
      servers.forEach((s) => s.close());
    });' "$1"
}

# A port counts as left behind when something still listens on it (from /proc, so no ss/netstat needed).
port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v port="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == port && $4 == "0A") found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6
}

wait_for() {
  local what=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "timed out after ${timeout}s waiting for $what; last log lines:"
      tail -n 15 "$run_dir"/logs/*.log >&2 || true
      return 1
    fi
    check_alive
    sleep 0.5
  done
}

check_alive() {
  local name pid
  while read -r name pid; do
    is_ours "$pid" "$name" || {
      say "$name (pid $pid) exited; last lines of $run_dir/logs/$name.log:"
      tail -n 20 "$run_dir/logs/$name.log" >&2
      exit 1
    }
  done <"$run_dir/pids"
}

start() {
  local name=$1
  shift
  # setsid: the components outlive the shell (and a Ctrl-C in it) until `down` stops them.
  setsid "$TESTBIN_DIR/$name" "$@" >"$run_dir/logs/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$run_dir/pids"
}

make_certs() {
  local certs=$run_dir/certs
  mkdir -p "$certs"
  (
    cd "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=configspec-test-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes.default.svc\n' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile apiserver.ext \
      -out apiserver.crt 2>/dev/null
    # Service-account token signing key pair.
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
  )
}

write_kubeconfig() {
  local api_port=$1 token=$2
  cat >"$run_dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: configspec-test
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $run_dir/certs/ca.crt
users:
- name: admin
  user:
    token: $token
contexts:
- name: configspec-test
  context: {cluster: configspec-test, user: admin, namespace: default}
current-context: configspec-test
EOF
  chmod 600 "$run_dir/kubeconfig"
}

apply_fleet() {
  local fleet=${CONFIGSPEC_FLEET:-$repo/config/fleet/default.yaml}
  [[ $fleet == none ]] && return 0
  [[ -f $fleet ]] || die "fleet file $fleet not found"
  [[ -f $repo/dist/src/cli/main.js ]] || (cd "$repo" && say "compiling TypeScript for the fleet loader" && npm run --silent build)
  local started=$SECONDS
  local rendered=$run_dir/fleet-nodes.json
  "$node_bin" "$repo/bin/configspec.js" fleet render -f "$fleet" --scale "${CONFIGSPEC_FLEET_SCALE:-1}" -o json >"$rendered"
  # kubectl applies one object at a time; large fleets go in up to 8 parallel slices of at least 50 nodes.
  mkdir -p "$run_dir/fleet"
  local count
  count=$("$node_bin" -e '
    const fs = require("node:fs");
    const [file, dir] = process.argv.slice(1);
    const list = JSON.parse(fs.readFileSync(file, "utf8"));
    const slices = Math.max(1, Math.min(8, Math.floor(list.items.length / 50)));
    for (let slice = 0; slice < slices; slice++) {
      const items = list.items.filter((_, index) => index % slices === slice);
      fs.writeFileSync(`${dir}/nodes-${slice}.json`, JSON.stringify({ ...list, items }));
    }
    fs.writeFileSync(`${dir}/names`, list.items.map((node) => `${node.metadata.name}\n`).join(""));
    console.log(list.items.length);' "$rendered" "$run_dir/fleet")
  local -a appliers=()
  local slice
  for slice in "$run_dir"/fleet/nodes-*.json; do
    kubectl_admin apply --server-side --field-manager=configspec-fleet -f "$slice" >/dev/null &
    appliers+=($!)
  done
  local applier
  for applier in "${appliers[@]}"; do
    wait "$applier" || die "applying the fleet ($fleet) failed"
  done
  wait_for "$count fleet nodes to be Ready and schedulable" 300 fleet_ready "$run_dir/fleet/names" "$count"
  say "fleet: $count nodes Ready and schedulable ($(basename "$fleet"), $((SECONDS - started))s)"
}

# Ready, and schedulable: new nodes carry the node.kubernetes.io/not-ready taint until the controller-manager's
# node lifecycle controller has seen them Ready and removed it.
fleet_ready() {
  local names=$1 count=$2 ready
  ready=$(kubectl_admin get nodes -l configspec.io/device-class -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{" "}{.spec.taints[*].key}{"\n"}{end}' |
    awk 'NR == FNR { wanted[$1] = 1; next } ($1 in wanted) && $2 == "True" && !/node.kubernetes.io\/not-ready/ { n++ } END { print n + 0 }' "$names" -)
  ((ready == count))
}

default_service_account() { kubectl_admin -n default get serviceaccount default; }

cmd_up() {
  local alive
  alive=$(running_pids)
  if [[ -n $alive ]]; then
    if (($(wc -l <<<"$alive") < ${#components[@]})); then
      die "the cluster in $run_dir is degraded (only $(awk '{ print $1 }' <<<"$alive" | xargs) run; logs in $run_dir/logs); run 'make cluster-down' first"
    fi
    say "already running at $(api_url) (run dir $run_dir)"
    say "export KUBECONFIG=$run_dir/kubeconfig"
    return 0
  fi
  if [[ -e $run_dir ]]; then
    say "removing stale run directory $run_dir (no recorded process is alive)"
    cleanup_run_dir
  fi
  bash "$repo/hack/testcluster/build.sh" >/dev/null
  local started=$SECONDS
  mkdir -p "$run_dir/logs"
  : >"$run_dir/pids"
  # A start that fails half-way stops what it started, keeping the logs for a look.
  trap on_up_failure EXIT
  local ports etcd_port etcd_peer_port api_port kcm_port scheduler_port
  ports=$(free_ports 5)
  read -r etcd_port etcd_peer_port api_port kcm_port scheduler_port <<<"$ports"
  echo "$ports" >"$run_dir/ports"
  # etcd data in memory: fast, and never left on disk.
  local etcd_dir
  etcd_dir=$(mktemp -d /dev/shm/configspec-etcd.XXXXXX)
  echo "$etcd_dir" >"$run_dir/etcd-data-dir"
  make_certs
  local token
  token=$(openssl rand -hex 24)
  printf '%s,admin,admin-uid,"system:masters"\n' "$token" >"$run_dir/certs/tokens.csv"
  chmod 600 "$run_dir/certs/tokens.csv"
  write_kubeconfig "$api_port" "$token"
  local certs=$run_dir/certs

  # apiserver: TaintNodesByCondition is off because it taints every new node not-ready until the node lifecycle
  # controller removes the taint, which takes about 100 s for 1,000 fake nodes; kwok makes them Ready at once.
  # shellcheck disable=SC2086 # the *_ARGS variables are deliberately word-split
  start etcd --name=configspec --data-dir="$etcd_dir" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="configspec=http://127.0.0.1:$etcd_peer_port" \
    --unsafe-no-fsync --quota-backend-bytes=4294967296 --auto-compaction-retention=1 --log-level=warn
  # shellcheck disable=SC2086
  start kube-apiserver --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --tls-cert-file="$certs/apiserver.crt" --tls-private-key-file="$certs/apiserver.key" \
    --client-ca-file="$certs/ca.crt" --token-auth-file="$certs/tokens.csv" \
    --authorization-mode=RBAC --enable-admission-plugins=PodSecurity \
    --disable-admission-plugins=TaintNodesByCondition \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$certs/sa.pub" --service-account-signing-key-file="$certs/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true --endpoint-reconciler-type=none \
    --profiling=false ${CONFIGSPEC_APISERVER_ARGS:-}
  wait_for "etcd" 30 curl -sf "http://127.0.0.1:$etcd_port/health"
  wait_for "kube-apiserver /readyz" 60 kubectl_admin get --raw /readyz
  # shellcheck disable=SC2086
  start kube-controller-manager --kubeconfig="$run_dir/kubeconfig" \
    --authentication-kubeconfig="$run_dir/kubeconfig" --authorization-kubeconfig="$run_dir/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$kcm_port" \
    --service-account-private-key-file="$certs/sa.key" --root-ca-file="$certs/ca.crt" \
    --cluster-signing-cert-file="$certs/ca.crt" --cluster-signing-key-file="$certs/ca.key" \
    --use-service-account-credentials=true --controllers='*' --profiling=false \
    --kube-api-qps=200 --kube-api-burst=400 \
    ${CONFIGSPEC_CONTROLLER_MANAGER_ARGS:-}
  # shellcheck disable=SC2086
  start kube-scheduler --kubeconfig="$run_dir/kubeconfig" \
    --authentication-kubeconfig="$run_dir/kubeconfig" --authorization-kubeconfig="$run_dir/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port="$scheduler_port" --profiling=false \
    ${CONFIGSPEC_SCHEDULER_ARGS:-}
  # shellcheck disable=SC2086
  start kwok --kubeconfig="$run_dir/kubeconfig" --config="$KWOK_STAGES" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr=10.244.0.0/16 --node-ip=127.0.0.1 --node-lease-duration-seconds=40 ${CONFIGSPEC_KWOK_ARGS:-}

  wait_for "the default ServiceAccount (controller-manager)" 60 default_service_account
  wait_for "kube-scheduler /healthz" 30 curl -sfk "https://127.0.0.1:$scheduler_port/healthz"
  apply_fleet
  trap - EXIT
  say "ready in $((SECONDS - started))s at https://127.0.0.1:$api_port ($("$TESTBIN_DIR/kube-apiserver" --version))"
  say "export KUBECONFIG=$run_dir/kubeconfig"
}

on_up_failure() {
  local status=$?
  trap - EXIT
  local kept=$run_dir.failed-logs
  rm -rf "$kept"
  cp -r "$run_dir/logs" "$kept" 2>/dev/null || true
  say "start failed; stopping what was started (component logs kept in $kept)"
  cmd_down || true
  exit "$status"
}

cleanup_run_dir() {
  local etcd_dir
  etcd_dir=$(cat "$run_dir/etcd-data-dir" 2>/dev/null || true)
  [[ $etcd_dir == /dev/shm/configspec-etcd.* ]] && rm -rf "$etcd_dir"
  rm -rf "$run_dir"
}

stop_process() {
  local name=$1 pid=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 10))
  while is_ours "$pid" "$name" && ((SECONDS < deadline)); do sleep 0.1; done
  if is_ours "$pid" "$name"; then
    say "$name (pid $pid) ignored SIGTERM for 10s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

cmd_down() {
  if [[ ! -e $run_dir ]]; then
    say "no cluster is running (no run directory $run_dir)"
    return 0
  fi
  local ports
  ports=$(cat "$run_dir/ports" 2>/dev/null || true)
  local -a to_stop=()
  local i name pid
  mapfile -t to_stop < <(running_pids)
  # Clients first, the store last, each given time to finish: the apiserver shuts down slowly when etcd is
  # already gone.
  for ((i = ${#to_stop[@]} - 1; i >= 0; i--)); do
    read -r name pid <<<"${to_stop[i]}"
    stop_process "$name" "$pid"
  done
  sleep 0.2
  # The leftover check: none of the recorded processes may survive, none of the ports may still listen.
  local left=()
  mapfile -t left < <(running_pids)
  local port
  for port in $ports; do
    port_listening "$port" && left+=("port $port")
  done
  if ((${#left[@]} > 0)); then
    die "left behind after stopping: ${left[*]} (run dir kept: $run_dir)"
  fi
  cleanup_run_dir
  say "stopped ${#to_stop[@]} processes; no process or port left behind; removed $run_dir"
}

cmd_status() {
  if [[ ! -e $run_dir ]]; then
    say "no cluster is running (no run directory $run_dir)"
    return 3
  fi
  local alive
  alive=$(running_pids)
  if [[ -z $alive ]]; then
    say "stale run directory $run_dir: no recorded process is alive (hack/cluster.sh down removes it)"
    return 3
  fi
  say "running at $(api_url), Kubernetes v$K8S_VERSION, KUBECONFIG=$run_dir/kubeconfig"
  local name pid rss healthy=1
  for name in "${components[@]}"; do
    pid=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$alive")
    if [[ -n $pid ]]; then
      rss=$(awk '/^VmRSS/ { printf "%d MiB", $2 / 1024 }' "/proc/$pid/status")
      printf '  %-24s pid %-8s rss %s\n' "$name" "$pid" "$rss"
    else
      printf '  %-24s NOT RUNNING (log: %s)\n' "$name" "$run_dir/logs/$name.log"
      healthy=0
    fi
  done
  if kubectl_admin get --raw /readyz >/dev/null 2>&1; then
    local nodes
    nodes=$(kubectl_admin get nodes --no-headers 2>/dev/null | awk '{ n++; if ($2 == "Ready") r++ } END { printf "%d/%d", r, n }')
    echo "  apiserver ready; nodes Ready: $nodes"
  else
    echo "  apiserver NOT ready"
    healthy=0
  fi
  # 0 healthy, 1 degraded (make cluster-down, then up), 3 nothing runs.
  ((healthy)) || say "degraded: 'make cluster-down' then 'make cluster-up' starts afresh"
  ((healthy)) || return 1
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  fleet)
    [[ -n $(running_pids) ]] || die "no cluster is running (hack/cluster.sh up starts one)"
    CONFIGSPEC_FLEET=${2:-${CONFIGSPEC_FLEET:-}} apply_fleet
    ;;
  env)
    [[ -n $(running_pids) ]] || die "no cluster is running (hack/cluster.sh up starts one)"
    echo "export KUBECONFIG=$run_dir/kubeconfig"
    ;;
  *)
    echo "usage: $0 up|down|status|env|fleet [fleet.yaml]" >&2
    exit 2
    ;;
esac
