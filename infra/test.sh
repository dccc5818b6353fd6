#!/usr/bin/env bash
# `make test`: formatting, the workspace's binaries (the integration tests start them), every
# unit and integration test, and cfn-lint on template.yaml.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(infra/ensure-venv.sh)

cargo fmt --all -- --check
cargo build --workspace --bins
cargo test --workspace
"$bin/cfn-lint" template.yaml
echo "template.yaml: cfn-lint clean"
