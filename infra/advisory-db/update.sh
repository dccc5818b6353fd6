#!/usr/bin/env bash
# Refreshes advisory-db.tar.gz and SOURCE from RustSec's repository (needs GitHub; not run by
# `make test`). Commit both files afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q --depth 1 https://github.com/rustsec/advisory-db "$work/db"
cd "$work/db"
git archive --format=tar --prefix=advisory-db/ HEAD crates rust LICENSE.txt LICENSES README.md |
  gzip -9n >"$here/advisory-db.tar.gz"
commit=$(git rev-parse HEAD)
date=$(git show -s --format=%cI HEAD)
sed -i "s/^commit = .*/commit = $commit/; s/^date = .*/date = $date/" "$here/SOURCE"
echo "advisory-db.tar.gz: $commit ($date)"
