#!/usr/bin/env bash
# Fuzzes cas-parser with cargo-fuzz (libFuzzer) for a bounded time.
#
#   parser/fuzz/run.sh <parse_bytes|read_layout> [seconds=600] [libFuzzer flags...]
#
# Installs cargo-fuzz when missing; builds on stable Rust (RUSTC_BOOTSTRAP=1 lets it pass
# the nightly-only flags) with AddressSanitizer and debug assertions (overflow checks); seeds
# the corpus from parser/tests/fixtures at run time. Exits non-zero on a crash, a hang
# (-timeout) or running out of memory (-rss_limit_mb); the input is then in
# parser/fuzz/artifacts/<target>/ and `cargo fuzz run <target> <file>` replays it.
#
# Environment: FUZZ_SANITIZER (address | none, default address), FUZZ_TIMEOUT (seconds one
# input may take, default 10), FUZZ_RSS_MB (default 2048), FUZZ_BUILD_ARGS (extra
# `cargo fuzz` build flags, e.g. "--target-dir /tmp/t").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${1:?usage: run.sh <parse_bytes|read_layout> [seconds] [libFuzzer flags...]}
seconds=${2:-600}
shift $(($# < 2 ? $# : 2))
case "$target" in parse_bytes | read_layout) ;; *)
  echo "run.sh: unknown target $target (parse_bytes | read_layout)" >&2
  exit 2
  ;;
esac

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz (one time)..." >&2
  cargo install cargo-fuzz --locked
fi

# Seeds are remade on every run (cheap); what the fuzzer learns accumulates in corpus/<target>,
# the first corpus directory (libFuzzer writes new inputs there). Both are git-ignored.
fixtures="$root/parser/tests/fixtures"
corpus="$here/corpus/$target"
seeds="$here/corpus/$target-seeds"
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds"
extra=()
if [ "$target" = parse_bytes ]; then
  if [ -x "$root/.venv/bin/python" ] && "$root/.venv/bin/python" -c 'import pypdf' 2>/dev/null; then
    # Each fixture behind its password's selector byte, and a decrypted, inflated copy.
    "$root/.venv/bin/python" "$here/seeds.py" "$seeds" "$fixtures"/*.pdf
  else
    echo "run.sh: no .venv with pypdf; seeding with the fixtures as they are" >&2
    # A selector byte, then the PDF: 0 = Demo@1234 (CAMS, KFintech), 1 = ABCDE1234F (CDSL,
    # NSDL), 2 = empty (fuzz_targets/parse_bytes.rs).
    for pdf in "$fixtures"/*.pdf; do
      name=$(basename "$pdf" .pdf)
      case "$name" in
        cdsl* | nsdl*) selector='\001' ;;
        hello*) selector='\002' ;;
        *) selector='\000' ;;
      esac
      { printf "$selector"; cat "$pdf"; } >"$seeds/$name"
    done
  fi
  extra+=(-dict="$here/pdf.dict")
else
  # fuzz_targets/read_layout.rs: byte 0 picks a fixture (or, past the last, an empty
  # statement), byte 1 = 255 keeps its kind and variant, no edits: every fixture as it reads.
  for i in $(seq 0 12); do
    printf "\\$(printf %03o "$i")\\377" >"$seeds/fixture_$i"
  done
  # Any length from the start (not grown slowly from the 2-byte seeds): each edit takes bytes.
  extra+=(-max_len=1024 -len_control=0)
fi

sanitizer=${FUZZ_SANITIZER:-address}
cd "$here"
# shellcheck disable=SC2086 # FUZZ_BUILD_ARGS is a list of flags
exec cargo fuzz run --debug-assertions --sanitizer "$sanitizer" ${FUZZ_BUILD_ARGS:-} \
  "$target" "$corpus" "$seeds" -- \
  -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
  -print_final_stats=1 "${extra[@]}" "$@"
