#!/usr/bin/env bash
# Creates .venv/ with the pinned Python tools (moto, cargo-lambda, cfn-lint) when it is
# missing or infra/requirements.txt changed, and .venv/checkov/ and .venv/sam/ with checkov and
# the SAM CLI (infra/requirements-{checkov,sam}.txt; their pins conflict with .venv's). Prints
# .venv's bin directory.
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
# Tools whose pins conflict with .venv's get a venv each, inside .venv/ (git-ignored).
for tool in checkov sam; do
  tool_venv="$venv/$tool"
  tool_reqs="$root/infra/requirements-$tool.txt"
  if [ ! -x "$tool_venv/bin/python" ]; then
    python3 -m venv "$tool_venv" >&2
  fi
  if ! cmp -s "$tool_reqs" "$tool_venv/.requirements.installed"; then
    echo "installing $tool into .venv/$tool (one time)..." >&2
    "$tool_venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$tool_reqs" >&2
    cp "$tool_reqs" "$tool_venv/.requirements.installed"
  fi
done
echo "$venv/bin"
