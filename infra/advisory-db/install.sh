#!/usr/bin/env bash
# Unpacks the RustSec advisory database snapshot (advisory-db.tar.gz; SOURCE says which commit)
# where cargo-deny looks for it, so that `cargo deny --offline check advisories` works on
# machines that reach crates.io but not GitHub (this project's, and its CI).
#
# cargo-deny reads the database from a git checkout under `db-path` (deny.toml:
# target/advisory-dbs), in a directory named after its URL, and dates it by the checkout's
# HEAD commit. The snapshot is committed with its upstream commit's date, so cargo-deny's
# staleness rule and this script's "N days old" line tell the truth about its age.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# cargo-deny 0.20's directory name for https://github.com/rustsec/advisory-db.
dir="$root/target/advisory-dbs/advisory-db-3157b0e258782691"
commit=$(sed -n 's/^commit = //p' "$here/SOURCE")
date=$(sed -n 's/^date = //p' "$here/SOURCE")
stamp="$dir/.snapshot-$commit"
if [ ! -e "$stamp" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$here/advisory-db.tar.gz" -C "$dir" --strip-components=1
  (
    cd "$dir"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" git -c user.name=snapshot \
      -c user.email=snapshot@localhost commit -q -m "rustsec/advisory-db $commit"
  )
  touch "$stamp"
fi
age=$(( ($(date +%s) - $(date -d "$date" +%s)) / 86400 ))
echo "RustSec advisory database: snapshot of $date (commit ${commit:0:12}), $age days old" >&2
if [ "$age" -gt 90 ]; then
  echo "  older than 90 days: refresh it with infra/advisory-db/update.sh where GitHub is reachable" >&2
fi
