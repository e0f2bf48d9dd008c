# shellcheck shell=bash disable=SC2034  # sourced; the variables are used by the scripts that source it
# Sourced by the cluster scripts: pinned versions and where the binaries are cached.
# The Kubernetes version comes from go.mod, so regenerating go.mod (update-gomod.sh) moves everything along.
_testcluster_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K8S_VERSION=$(sed -n 's/^[[:space:]]*\(require \)\{0,1\}k8s.io\/kubernetes v\([0-9.]*\).*$/\2/p' "$_testcluster_dir/go.mod")
[[ -n $K8S_VERSION ]] || { echo "cannot read the k8s.io/kubernetes version from $_testcluster_dir/go.mod" >&2; exit 1; }
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.22.0
CONFIGSPEC_CACHE=${CONFIGSPEC_CACHE:-$HOME/.cache/configspec}
TESTBIN_DIR=$CONFIGSPEC_CACHE/k8s-$K8S_VERSION/bin
# kwok's "fast" stages (from its module), written next to the binaries by build.sh.
KWOK_STAGES=$CONFIGSPEC_CACHE/k8s-$K8S_VERSION/kwok-stages-$KWOK_VERSION.yaml
CLUSTER_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm)
