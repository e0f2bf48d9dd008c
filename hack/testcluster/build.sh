#!/usr/bin/env bash
# Builds whatever local control-plane binaries are missing into the cache (outside the repository), keyed by the
# Kubernetes version pinned in go.mod: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd (at the
# version k8s pins), kwok and helm. Prints the bin directory on its last line. A second run with everything present
# does nothing. Each binary is built into a staging directory and moved into place, so an interrupted build never
# leaves a half-written binary that a later run would trust.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

export GOTOOLCHAIN=local CGO_ENABLED=0
# Two parallel compiles keep peak memory near 2-3 GiB on a shared 2-core machine; override with GO_BUILD_JOBS.
jobs=${GO_BUILD_JOBS:-2}

log() { printf '[testbin %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

missing=()
for binary in "${CLUSTER_BINARIES[@]}"; do
  [[ -x $TESTBIN_DIR/$binary ]] || missing+=("$binary")
done
if ((${#missing[@]} > 0)) || [[ ! -s $KWOK_STAGES ]]; then
  command -v go >/dev/null || { echo "Go is needed to build the test cluster binaries (none found on PATH)" >&2; exit 1; }
fi

# kwok's "fast" stages, joined from its module: nodes become Ready and keep a lease, pods become Running, Job pods
# complete, deleted pods go away. Cheap, so done before the binaries and independently of them.
if [[ ! -s $KWOK_STAGES ]]; then
  kwok_dir=$(cd /tmp && GOFLAGS='' go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $kwok_dir ]] || { echo "could not download sigs.k8s.io/kwok@$KWOK_VERSION" >&2; exit 1; }
  mkdir -p "$(dirname "$KWOK_STAGES")"
  for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo '---'
    cat "$kwok_dir/kustomize/stage/$stage.yaml"
  done >"$KWOK_STAGES.tmp"
  mv "$KWOK_STAGES.tmp" "$KWOK_STAGES"
fi

if ((${#missing[@]} == 0)); then
  echo "$TESTBIN_DIR"
  exit 0
fi

mkdir -p "$TESTBIN_DIR"
staging=$(mktemp -d "$TESTBIN_DIR/.staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
log "building ${missing[*]} for Kubernetes v$K8S_VERSION into $TESTBIN_DIR (a cold build took 27 min on 2 shared cores)"

needs() { [[ " ${missing[*]} " == *" $1 "* ]]; }

# Version stamping as kubernetes' hack/lib/version.sh does it; without it /version reports v0.0.0-master.
minor=${K8S_VERSION#*.}
minor=${minor%%.*}
ldflags="-s -w"
for pair in "gitVersion=v$K8S_VERSION" gitMajor=1 "gitMinor=$minor" gitTreeState=clean \
  gitCommit=0000000000000000000000000000000000000000 buildDate=1970-01-01T00:00:00Z; do
  ldflags+=" -X k8s.io/component-base/version.$pair -X k8s.io/client-go/pkg/version.$pair"
done

k8s_packages=()
for binary in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  needs "$binary" && k8s_packages+=("k8s.io/kubernetes/cmd/$binary")
done

cd "$here"
if ((${#k8s_packages[@]} > 0)); then
  log "go build ${k8s_packages[*]##*/} (-p $jobs)"
  # -v names each package as it compiles: the visible progress of a long cold build (one line per 200 packages;
  # the full output goes to a log that is shown when the build fails). pipefail makes a failed go build fail here.
  build_log=$TESTBIN_DIR/../build.log
  if ! go build -v -p "$jobs" -trimpath -ldflags "$ldflags" -o "$staging/" "${k8s_packages[@]}" 2>&1 |
    tee "$build_log" | awk '{ if (++n % 200 == 0) { printf "[testbin] %d packages compiled\n", n > "/dev/stderr"; fflush() } }'; then
    tail -n 30 "$build_log" >&2
    log "go build failed; full output in $build_log"
    exit 1
  fi
fi
if needs etcd; then
  log "go build etcd $(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
  go build -p "$jobs" -trimpath -ldflags "-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3
fi
# kwok and helm are modules without replace directives, so `go install module@version` works and uses their own
# go.sum; building them outside our go.mod keeps their Kubernetes libraries from mixing with ours.
if needs kwok; then
  log "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  GOBIN=$staging go install -p "$jobs" -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
fi
if needs helm; then
  log "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  # As helm's Makefile stamps it, but with our cluster's version: `helm template` and `helm lint` then check
  # charts' kubeVersion against v1.<minor> instead of their built-in v1.20.
  helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for package in pkg/lint/rules pkg/chartutil; do
    helm_ldflags+=" -X helm.sh/helm/v3/$package.k8sVersionMajor=1 -X helm.sh/helm/v3/$package.k8sVersionMinor=$minor"
  done
  GOBIN=$staging go install -p "$jobs" -trimpath -ldflags "$helm_ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

for binary in "${missing[@]}"; do
  mv -f "$staging/$binary" "$TESTBIN_DIR/$binary"
done
log "done: $("$TESTBIN_DIR/kube-apiserver" --version)"
echo "$TESTBIN_DIR"
