#!/usr/bin/env bash
# `make test`: formatting, the workspace's binaries (the integration tests start them), every
# unit and integration test, the fixture generators' tests, and cfn-lint on template.yaml.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(infra/ensure-venv.sh)

cargo fmt --all -- --check
# What `cargo lambda watch --package functions` builds (its own feature set), so the test that
# runs it does not compile inside its time limit.
cargo build -p functions
# Also builds the binaries the integration tests start (google-sandbox).
cargo test --workspace
# The fixture generators, checked against the reference parser casparser.
"$bin/python" -m pytest infra/fixtures -q
"$bin/cfn-lint" template.yaml
echo "template.yaml: cfn-lint clean"
