#!/usr/bin/env bash
# Creates .venv/ with the pinned Python tools (moto, cargo-lambda, cfn-lint) when it is
# missing or infra/requirements.txt changed, and .venv/checkov/ with checkov
# (infra/requirements-checkov.txt; its pins conflict with .venv's). Prints .venv's bin directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
reqs="$root/infra/requirements.txt"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! cmp -s "$reqs" "$venv/.requirements.installed"; then
  echo "installing Python tools into .venv (one time)..." >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs" >&2
  cp "$reqs" "$venv/.requirements.installed"
fi
checkov="$venv/checkov"
checkov_reqs="$root/infra/requirements-checkov.txt"
if [ ! -x "$checkov/bin/python" ]; then
  python3 -m venv "$checkov" >&2
fi
if ! cmp -s "$checkov_reqs" "$checkov/.requirements.installed"; then
  echo "installing checkov into .venv/checkov (one time)..." >&2
  "$checkov/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$checkov_reqs" >&2
  cp "$checkov_reqs" "$checkov/.requirements.installed"
fi
echo "$venv/bin"
