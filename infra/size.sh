#!/usr/bin/env bash
# `make size`: builds every function of template.yaml for arm64 in release exactly as `sam build`
# does (its rust-cargolambda builder runs `cargo lambda build --release --arm64 --bin NAME` in
# the CodeUri, the workspace root; one command with every --bin resolves the same features),
# then prints each bootstrap's size, uncompressed and gzipped (about what Lambda's zip holds),
# and fails when one is over the limit (SIZE_LIMIT_BYTES, default 8 MB = 8,000,000 bytes).
#
# Slow: fat LTO over the whole dependency graph, once per function (README "Builds"). The
# artifacts are under target/aarch64-unknown-linux-gnu/release and target/lambda/NAME/.
# SIZE_NICE=10 runs the build at a lower priority.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(infra/ensure-venv.sh)
# cargo lambda cross-links with zig (the ziglang package in .venv).
export PATH="$bin:$PATH"

mapfile -t functions < <(sed -n 's/^ *Binary: *\([A-Za-z0-9_-]*\) *$/\1/p' template.yaml)
if [ "${#functions[@]}" = 0 ]; then
  echo "size.sh: no rust-cargolambda Binary in template.yaml" >&2
  exit 2
fi
args=()
for f in "${functions[@]}"; do args+=(--bin "$f"); done
nice -n "${SIZE_NICE:-0}" cargo lambda build --release --arm64 "${args[@]}"

limit=${SIZE_LIMIT_BYTES:-8000000}
over=0
printf '\n| function | bootstrap | MB | gzipped MB |\n| --- | ---: | ---: | ---: |\n'
for f in "${functions[@]}"; do
  file="target/lambda/$f/bootstrap"
  size=$(stat -c %s "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  mark=""
  if [ "$size" -gt "$limit" ]; then
    mark=" (over $limit)"
    over=1
  fi
  awk -v f="$f" -v s="$size" -v g="$gz" -v m="$mark" \
    'BEGIN { printf "| %s | %d bytes%s | %.2f | %.2f |\n", f, s, m, s / 1e6, g / 1e6 }'
done
if [ "$over" = 1 ]; then
  echo "size.sh: a bootstrap is over $limit bytes" >&2
  exit 1
fi
echo "every bootstrap <= $limit bytes"
