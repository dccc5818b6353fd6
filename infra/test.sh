#!/usr/bin/env bash
# `make test`: formatting, clippy, the workspace's binaries (the integration tests start them), every
# unit and integration test, the fixture generators' tests, the privilege and operations tests of
# template.yaml, cargo deny (deny.toml), cfn-lint, checkov and sam validate --lint on it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(infra/ensure-venv.sh)

cargo fmt --all -- --check
# Lints as errors, tests and benches included.
cargo clippy --workspace --all-targets -- -D warnings
# What `cargo lambda watch --package functions` builds (its own feature set), so the test that
# runs it does not compile inside its time limit.
cargo build -p functions
# Also builds the binaries the integration tests start (google-sandbox).
cargo test --workspace
# The fixture generators, checked against the reference parser casparser; infra/stack: each
# function's privileges in template.yaml against infra/privileges.yaml and the code's AWS calls;
# infra/test_moto_server.py: the moto launcher's SQS fix (sending does not walk the queue).
"$bin/python" -m pytest infra/fixtures infra/isin infra/stack infra/test_moto_server.py -q
# The dependency graph against deny.toml, offline: RustSec advisories (the snapshot in
# infra/advisory-db; GitHub is out of reach here), licences, banned crates (the legacy TLS stack,
# OpenSSL) and sources. cargo-deny 0.20: install.sh puts the database in the directory that
# version derives from the database's URL.
if ! cargo deny --version 2>/dev/null | grep -q '^cargo-deny 0\.20\.'; then
  echo "installing cargo-deny 0.20 (one time)..." >&2
  cargo install cargo-deny --version '~0.20.2' --locked
fi
infra/advisory-db/install.sh
cargo deny --offline check advisories licenses bans sources
"$bin/cfn-lint" template.yaml
echo "template.yaml: cfn-lint clean"
# checkov (its own venv, infra/requirements-checkov.txt): every finding fails, and each check the
# template skips says why in that resource's Metadata (infra/stack/test_operations.py checks a
# reason is given). --skip-download: no Bridgecrew platform, nothing fetched.
.venv/checkov/bin/checkov -f template.yaml --framework cloudformation --quiet --compact --skip-download
# The SAM CLI's own check (its venv, infra/requirements-sam.txt); runs offline, no telemetry.
SAM_CLI_TELEMETRY=0 .venv/sam/bin/sam validate --lint -t template.yaml
# Fuzzing (parser/fuzz, README "Fuzzing"): each target FUZZ_SECONDS (default 30; 0 skips), after
# installing cargo-fuzz if missing and building the targets. The log is shown on a crash.
fuzz_seconds=${FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then
  for target in parse_bytes read_layout; do
    log=$(mktemp)
    if parser/fuzz/run.sh "$target" "$fuzz_seconds" >"$log" 2>&1; then
      grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$log" | sed "s/^/fuzz $target: /"
      rm -f "$log"
    else
      tail -n 80 "$log"
      echo "fuzz $target: failed; full log $log, input in parser/fuzz/artifacts/$target/" >&2
      exit 1
    fi
  done
fi
