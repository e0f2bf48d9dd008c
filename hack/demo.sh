#!/usr/bin/env bash
# `make demo`: the whole system on this machine, from a fresh clone.
#   1. the local control plane (Go binaries built once into ~/.cache/configspec, then started) with a simulated
#      fleet (kwok nodes, config/fleet/demo.yaml);
#   2. the process kubelet: three nodes of this machine (config/fleet/demo-local.yaml: a Raspberry Pi 5, a Jetson
#      Orin Nano, an A100 node) whose pods run as real local processes;
#   3. generated tiny GGUF models (a target and two drafts of known acceptance), the operator, the device classes
#      and a SpecDecodeDeployment over those models;
#   4. waits while the operator profiles (real llama.cpp) and selects, then prints `configspec plan` over what the
#      cluster holds, and one prompt through a drafter with the official openai client.
# The cluster, operator and process kubelet keep running; `make demo-down` stops them.
#
# Environment: CONFIGSPEC_DEMO_DIR (run directory, default .run/demo), CONFIGSPEC_DEMO_TIMEOUT (seconds to wait
# for selection, default 900), CONFIGSPEC_DEMO_POD_NETWORK (pods get loopback addresses <a.b>.x.y, default 127.77).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=testcluster/versions.sh
source "$repo/hack/testcluster/versions.sh"
export PATH=$repo/node_modules/.bin:$PATH
run_dir=${CONFIGSPEC_DEMO_DIR:-$repo/.run/demo}
timeout=${CONFIGSPEC_DEMO_TIMEOUT:-900}
namespace=configspec-demo
operator_namespace=configspec-system
sdd=demo-chat
image=ghcr.io/configspec/configspec:demo
pod_network=${CONFIGSPEC_DEMO_POD_NETWORK:-127.77}
demo_started=$SECONDS

say() { printf '\n\033[1m[demo %3ds] %s\033[0m\n' "$((SECONDS - demo_started))" "$*"; }
die() {
  printf '[demo] error: %s\n' "$*" >&2
  exit 1
}
kc() { "$TESTBIN_DIR/kubectl" --kubeconfig "$run_dir/kubeconfig" "$@"; }
configspec() { node "$repo/bin/configspec.js" "$@"; }

# A background process of the demo, recorded so that demo-down stops exactly it.
start_background() {
  local name=$1
  shift
  if [[ -f $run_dir/$name.pid ]] && kill -0 "$(cat "$run_dir/$name.pid")" 2>/dev/null; then
    echo "  $name already runs (pid $(cat "$run_dir/$name.pid"))"
    return 0
  fi
  setsid "$@" >"$run_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$run_dir/$name.pid"
  echo "  $name started (pid $!, log $run_dir/$name.log)"
}

stop_background() {
  local name=$1 pid
  [[ -f $run_dir/$name.pid ]] || return 0
  pid=$(cat "$run_dir/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "  stopped $name (pid $pid)"
  fi
  rm -f "$run_dir/$name.pid"
}

cmd_down() {
  stop_background operator
  stop_background process-kubelet
  CONFIGSPEC_RUN_DIR=$run_dir bash hack/cluster.sh down
}

if [[ ${1:-} == down ]]; then
  cmd_down
  exit 0
fi

say "1/6 Node dependencies and the TypeScript build"
[[ -d node_modules/.bin ]] || npm ci --no-audit --no-fund
[[ -f dist/src/cli/main.js ]] || npm run --silent build

say "2/6 Kubernetes binaries (built once from Go modules; a cold build takes about 27 minutes, progress below)"
bash hack/testcluster/build.sh >/dev/null

say "3/6 Local control plane with the simulated fleet (run dir $run_dir)"
CONFIGSPEC_RUN_DIR=$run_dir CONFIGSPEC_FLEET=$repo/config/fleet/demo.yaml bash hack/cluster.sh up
mkdir -p "$run_dir"
start_background process-kubelet node "$repo/bin/configspec.js" process-kubelet \
  --kubeconfig "$run_dir/kubeconfig" -f "$repo/config/fleet/demo-local.yaml" --root "$run_dir/kubelet" --pod-network "$pod_network"

say "4/6 Generated models, the API, device classes, the operator and the SpecDecodeDeployment"
models_json=$(configspec gen-models --seed 7 --acceptance 0.6,0.9 --encodings Q8_0 --target-encoding F16)
model_path() {
  node -e '
    const [json, role, acceptance] = process.argv.slice(1);
    const m = JSON.parse(json).find((x) => x.role === role && (role === "target" || Math.round(x.acceptance * 10) === Number(acceptance)));
    console.log(m.path);' "$models_json" "$@"
}
target=$(model_path target)
draft_low=$(model_path draft 6)
draft_high=$(model_path draft 9)
echo "  target $target"
echo "  drafts $draft_low"
echo "         $draft_high"
kc apply --server-side -f crds/ >/dev/null
kc wait --for=condition=Established crd --all --timeout=60s >/dev/null
kc apply -f config/samples/deviceclass-raspberry-pi-5.yaml -f config/samples/deviceclass-jetson-orin-nano-8gb.yaml \
  -f config/samples/deviceclass-nvidia-a100-80gb.yaml
# The Jetson class asks for the NVIDIA container runtime (runtimeClassName: nvidia); the process kubelet runs its
# pods as plain processes, but the apiserver admits them only if the RuntimeClass exists.
kc apply -f - >/dev/null <<'EOF'
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: { name: nvidia }
handler: nvidia
EOF
kc create namespace "$operator_namespace" --dry-run=client -o yaml | kc apply -f - >/dev/null
kc create namespace "$namespace" --dry-run=client -o yaml | kc apply -f - >/dev/null
kc label namespace "$namespace" "$operator_namespace" pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null
# The profiler's identity (ServiceAccount, ClusterRole, binding) as the chart installs it (src/planner/rbac.ts).
node --input-type=module -e '
  const { buildProfilerIdentity } = await import(process.argv[1]);
  const identity = buildProfilerIdentity(process.argv[2]);
  console.log(JSON.stringify({ apiVersion: "v1", kind: "List", items: Object.values(identity).flat() }));' \
  "$repo/dist/src/planner/rbac.js" "$operator_namespace" | kc apply -f - >/dev/null
# The node model cache agent (a DaemonSet in its own namespace) that the pods' fetch step copies models through.
node --input-type=module -e '
  const { buildModelCacheObjects } = await import(process.argv[1]);
  console.log(JSON.stringify({ apiVersion: "v1", kind: "List", items: buildModelCacheObjects({ image: process.argv[2] }) }));' \
  "$repo/dist/src/planner/model-cache.js" "$image" | kc apply -f - 2>&1 >/dev/null |
  # Its namespace enforces "privileged" (hostPath) and warns at "restricted" by design (src/planner/model-cache.ts).
  { grep -v '^Warning: would violate PodSecurity' >&2 || true; }
# A target and two drafts sharing its vocabulary (generated bigram models of about 1.5 M parameters, described
# in full since no catalog knows them): one agrees with the target on 60 % of tokens, the other on 90 %.
kc apply -f - <<EOF
apiVersion: configspec.io/v1alpha1
kind: SpecDecodeDeployment
metadata:
  name: $sdd
  namespace: $namespace
spec:
  target:
    model:
      name: tiny-target
      family: configspec-bigram
      parametersBillions: 0.0015
      source: { uri: "file://$target" }
    verifier: { deviceClass: nvidia-a100-80gb, replicas: 1, gpusPerReplica: 1 }
  drafts:
    - model:
        name: tiny-draft-a60
        family: configspec-bigram
        parametersBillions: 0.0015
        source: { uri: "file://$draft_low" }
      quantizations: [Q8_0]
    - model:
        name: tiny-draft-a90
        family: configspec-bigram
        parametersBillions: 0.0015
        source: { uri: "file://$draft_high" }
      quantizations: [Q8_0]
  speculation: { k: { min: 1, max: 8 } }
  edge:
    nodeSelector: { configspec.io/local-node: "true" }
    deviceClasses: [raspberry-pi-5, jetson-orin-nano-8gb]
  objective: { maximize: Goodput }
  policy: { mode: Auto, minImprovementPercent: 5, cooldownSeconds: 60 }
  profiling: { mode: IfMissing, maxConcurrentJobs: 2 }
EOF
# The closed loop reads the drafters' /metrics every 5 s here (60 s by default): the demo's traffic is a few
# requests, and the end-to-end test (test/e2e/closed-loop.test.ts) waits for the switch it causes.
start_background operator node "$repo/bin/configspec.js" operator --kubeconfig "$run_dir/kubeconfig" \
  --image "$image" --operator-namespace "$operator_namespace" --no-leader-elect \
  --http-host 127.0.0.1 --http-port 0 --serving-scrape-interval 5

say "5/6 Profiling on this machine (real llama.cpp) and selection"
progress() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  kc -n "$namespace" get sdd "$sdd" -o json 2>/dev/null | node -e '
    let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
      const s = JSON.parse(text).status ?? {};
      const p = s.profiling ?? {};
      const cond = (t) => (s.conditions ?? []).find((c) => c.type === t);
      const classes = (s.deviceClasses ?? []).map((c) => `${c.name}: ${c.selected ? `${c.selected.draft} ${c.selected.quantization} K=${c.selected.k} (${c.basis?.draftSpeed ?? "?"} speed, ${c.basis?.acceptance ?? "?"} acceptance, ${c.reason ?? ""}, ${c.readyNodes}/${c.nodes} drafters ready)` : "no selection"}`);
      // Settled: profiling finished (a profile whose Job failed is reported below and leaves that input a prior),
      // every class has a selection with no better one waiting out its cooldown, and its drafters are ready.
      const classList = s.deviceClasses ?? [];
      const settled = p.total > 0 && (p.running ?? 0) === 0 && (p.completed ?? 0) + (p.failed ?? 0) === p.total && classList.length > 0 && classList.every((c) => c.selected && c.reason !== "KeptInCooldown" && (c.model?.state ?? "Serving") === "Serving" && c.nodes > 0 && c.readyNodes === c.nodes);
      const line = `profiles ${p.completed ?? 0}/${p.total ?? "?"} measured, ${p.running ?? 0} running, ${p.failed ?? 0} failed | verifier ${cond("VerifierAvailable")?.status ?? "?"} | Ready ${cond("Ready")?.status ?? "?"} | ${classes.join("; ") || "no classes yet"}`;
      console.log(line);
      process.exit(settled && cond("Ready")?.status === "True" ? 0 : 1);
    });'
}
deadline=$((SECONDS + timeout))
last=""
until line=$(progress); do
  if [[ $line != "$last" ]]; then
    printf '  [%3ds] %s\n' "$((SECONDS - demo_started))" "$line"
    last=$line
  fi
  ((SECONDS < deadline)) || die "no measured selection after ${timeout}s; see 'kubectl describe sdd $sdd -n $namespace', $run_dir/*.log and $run_dir/kubelet/pods/*/logs"
  sleep 2
done
printf '  [%3ds] %s\n' "$((SECONDS - demo_started))" "$line"
selected_at=$((SECONDS - demo_started))
# A profile that could not be measured (for example a drafting-time fit spoiled by a busy machine) is named here;
# deleting its Job (kubectl -n configspec-system delete job <name>) measures it again.
kc -n "$namespace" get sdd "$sdd" -o jsonpath='{range .status.conditions[?(@.type=="Profiled")]}  Profiled={.status} ({.reason}): {.message}{"\n"}{end}'

say "6/6 The choice per device class, and why (configspec plan over the cluster's objects)"
kc get sdd,deviceclasses.configspec.io,draftprofiles,alignmentprofiles -A -o yaml | configspec plan -f - || true

# A drafter may just be rolling to a new selection: wait for a running pod of the class (the request script then
# waits until it is ready).
drafter_ip=""
for _ in $(seq 90); do
  drafter_ip=$(kc -n "$namespace" get pods -l app.kubernetes.io/component=drafter,configspec.io/device-class=raspberry-pi-5 \
    --field-selector=status.phase=Running -o jsonpath='{.items[*].status.podIP}' | awk '{ print $1 }')
  [[ -n $drafter_ip ]] && break
  sleep 2
done
[[ -n $drafter_ip ]] || die "no running drafter pod on the Raspberry Pi 5 class"
echo
echo "One prompt through the Raspberry Pi 5 drafter (pod IP $drafter_ip), verified by the A100 node's verifier:"
predicted=$(kc -n "$namespace" get sdd "$sdd" \
  -o jsonpath='{.status.deviceClasses[?(@.name=="raspberry-pi-5")].predicted.goodputTokensPerSecond}')
node hack/demo-request.ts "http://$drafter_ip:8080" "the quick brown fox" 64 "$predicted"

cat <<EOF

Demo ready in $((SECONDS - demo_started)) s (selection reached after ${selected_at} s). It keeps running:
  export KUBECONFIG=$run_dir/kubeconfig
  $TESTBIN_DIR/kubectl get sdd -n $namespace              # the deployment, its phase and selections
  $TESTBIN_DIR/kubectl describe sdd $sdd -n $namespace    # conditions, per-class choice, events
  $TESTBIN_DIR/kubectl get draftprofiles,alignmentprofiles,pods -A -o wide
  logs: $run_dir/operator.log, $run_dir/process-kubelet.log, $run_dir/kubelet/pods/*/logs/
Stop everything: make demo-down
EOF
