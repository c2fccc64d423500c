#!/usr/bin/env bash
# Checks the neo-bridge chart, offline, with the tools helm/install_tools.sh
# installs (run that first):
#   - for the defaults and each helm/neo-bridge/ci/*-values.yaml:
#       helm lint --strict; helm template; strict validation of every object
#       against the Kubernetes API schemas (checks/validate_manifests.py);
#       policy assertions (checks/check_policy.py); with --bridge-binary,
#       the rendered NEO_BRIDGE_* settings fed to a real neo-bridge
#       (checks/bridge_env_check.py);
#   - values.yaml, values.schema.json and the README values table agree
#     (checks/values_doc.py); no committed file holds a credential
#     (checks/committed_values.py); the chart sets every NEO_BRIDGE_*
#     variable the repository README documents;
#   - the checkers' own unit tests (tests/test_*.py);
#   - every helm/tests/must-fail/*.yaml is refused, with the message in its
#     "# expect:" line.
# A ci values file may add helm arguments in "# check-chart-arg: ARG" lines;
# @CHART@ stands for the chart directory and @FAKE_TOKEN_FILE@ for a file
# with a generated, token-shaped fake that must then appear only in Secrets.
# Usage: helm/check_chart.sh [--bridge-binary PATH] [-v]
# Exit status: 0 when every check passed, 1 otherwise, 2 when tools are missing.
set -uo pipefail

HELM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HELM_DIR")
CHART="$HELM_DIR/neo-bridge"
HELM="$ROOT/.tools/bin/helm"
PY="$ROOT/.tools/helm-venv/bin/python"
CHECKS="$HELM_DIR/checks"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the
# newest that the pinned kubernetes-validate bundles.
K8S_VERSIONS=(1.30.0 1.37.0)
RELEASE=neo-bridge
NAMESPACE=neo

bridge_binary=""
verbose=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bridge-binary) bridge_binary=${2:?--bridge-binary needs a path}; shift 2 ;;
    --bridge-binary=*) bridge_binary=${1#*=}; shift ;;
    -v|--verbose) verbose=1; shift ;;
    *) echo "check_chart: unknown argument $1 (known: --bridge-binary PATH, -v)" >&2; exit 2 ;;
  esac
done

if [ ! -x "$HELM" ] || [ ! -x "$PY" ] || ! "$PY" -c 'import kubernetes_validate, yaml, jsonschema' 2>/dev/null; then
  echo "check_chart: the chart tools are not installed (.tools/bin/helm, .tools/helm-venv): run helm/install_tools.sh" >&2
  exit 2
fi
if [ -n "$bridge_binary" ] && [ ! -x "$bridge_binary" ]; then
  echo "check_chart: --bridge-binary $bridge_binary is not an executable (build neo-bridge first)" >&2
  exit 2
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Keep helm away from the user's configuration and caches; it needs no repositories.
export HELM_CONFIG_HOME="$WORK/helm-config" HELM_CACHE_HOME="$WORK/helm-cache" HELM_DATA_HOME="$WORK/helm-data"
export PYTHONDONTWRITEBYTECODE=1

# A token-shaped fake ("pul-" + 40 hex digits), made here so that no
# token-shaped string is committed.
FAKE_TOKEN="pul-$(printf 'c0ffee%.0s' 1 2 3 4 5 6 7)"
FAKE_TOKEN=${FAKE_TOKEN:0:44}
printf '%s\n' "$FAKE_TOKEN" > "$WORK/fake-token.txt"

passed=0
failed=0
failures=()
start=$SECONDS

# step NAME COMMAND...: runs COMMAND, records the result, shows its output on failure.
step() {
  local name=$1; shift
  local log="$WORK/step.log"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    printf 'PASS  %s\n' "$name"
    [ "$verbose" = 1 ] && sed 's/^/      /' "$log"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL  %s\n' "$name"
    sed 's/^/      /' "$log"
  fi
  return 0
}

# Helm arguments from a values file's "# check-chart-arg:" lines.
extra_args() {
  sed -n 's/^# check-chart-arg: *//p' "$1" |
    sed -e "s#@CHART@#$CHART#g" -e "s#@FAKE_TOKEN_FILE@#$WORK/fake-token.txt#g"
}

render() { # render OUT ARGS...
  local out=$1; shift
  "$HELM" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" "$@" >"$out"
}

k8s_args=()
for v in "${K8S_VERSIONS[@]}"; do k8s_args+=(-k "$v"); done

cases=(defaults)
for f in "$CHART"/ci/*-values.yaml; do cases+=("$f"); done

for case in "${cases[@]}"; do
  args=()
  label=defaults
  if [ "$case" != defaults ]; then
    label=ci/$(basename "$case")
    args=(-f "$case")
    while IFS= read -r a; do args+=("$a"); done < <(extra_args "$case")
  fi
  out="$WORK/$(basename "$label" .yaml).yaml"
  step "$label: helm lint --strict" "$HELM" lint --strict "$CHART" --namespace "$NAMESPACE" "${args[@]}"
  step "$label: helm template" render "$out" "${args[@]}"
  if [ -s "$out" ]; then
    step "$label: Kubernetes ${K8S_VERSIONS[*]} schemas (strict)" \
      "$PY" "$CHECKS/validate_manifests.py" --quiet "${k8s_args[@]}" "$out"
    step "$label: policy" "$PY" "$CHECKS/check_policy.py" --forbid "$FAKE_TOKEN" "$out"
    if [ -n "$bridge_binary" ]; then
      step "$label: neo-bridge accepts the settings" "$PY" "$CHECKS/bridge_env_check.py" "$bridge_binary" "$out"
    fi
  fi
done

# env_coverage: the chart sets every NEO_BRIDGE_* variable the bridge's
# README documents, and no other.
env_coverage() {
  local readme="$ROOT/README.md" tmpl="$CHART/templates/deployment.yaml" bad=0 v
  [ -f "$readme" ] || { echo "no $readme"; return 1; }
  while read -r v; do
    grep -qF "$v" "$tmpl" || { echo "README.md documents $v, but the chart never sets it"; bad=1; }
  done < <(grep -oE 'NEO_BRIDGE_[A-Z_]+' "$readme" | sort -u)
  while read -r v; do
    grep -qF "$v" "$readme" || { echo "the chart sets $v, which README.md does not document"; bad=1; }
  done < <(grep -oE 'NEO_BRIDGE_[A-Z_]+' "$tmpl" | sort -u)
  [ "$bad" = 1 ] || echo "$(grep -oE 'NEO_BRIDGE_[A-Z_]+' "$readme" | sort -u | wc -l) variables documented, all set by the chart"
  return "$bad"
}
step "every NEO_BRIDGE_* variable of README.md is a chart value" env_coverage
step "values.yaml, values.schema.json and README table agree" "$PY" "$CHECKS/values_doc.py" "$CHART" --check
step "no credentials in the chart's committed files" "$PY" "$CHECKS/committed_values.py" "$CHART"
step "checker unit tests" "$PY" -m unittest discover -s "$HELM_DIR/tests" -p 'test_*.py'

# must_fail FILE: the whole pipeline must refuse FILE, saying what its "# expect:" line says.
must_fail() {
  local file=$1 expect out="$WORK/must-fail.yaml"
  expect=$(sed -n 's/^# expect: *//p' "$file" | head -n 1)
  if [ -z "$expect" ]; then
    echo "$file has no '# expect: <message part>' line"
    return 1
  fi
  local log="$WORK/must-fail.log"
  if { "$HELM" lint --strict "$CHART" -f "$file" &&
       render "$out" -f "$file" &&
       "$PY" "$CHECKS/validate_manifests.py" --quiet "${k8s_args[@]}" "$out" &&
       "$PY" "$CHECKS/check_policy.py" "$out"; } >"$log" 2>&1; then
    echo "accepted, but must be refused with: $expect"
    cat "$log"
    return 1
  fi
  if ! grep -qF -- "$expect" "$log"; then
    echo "refused, but without the expected message: $expect"
    cat "$log"
    return 1
  fi
  grep -F -- "$expect" "$log" | head -n 1
}
for f in "$HELM_DIR"/tests/must-fail/*.yaml; do
  step "must fail: tests/must-fail/$(basename "$f")" must_fail "$f"
done

echo
echo "check_chart: $((SECONDS - start)) s; helm $("$HELM" version --template '{{.Version}}'), kubernetes-validate $("$PY" -c 'import kubernetes_validate.version as v; print(v.__version__)')"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "check_chart: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
