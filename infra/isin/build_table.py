#!/usr/bin/env python3
"""Builds parser/data/mf_isin.bin, the table the parser fills `additional_info.amfi` and the
scheme `type` from (statements print neither): per mutual-fund ISIN, its AMFI code and its type
as the vendor's enum (`Equity` / `Debt` / `Hybrid` / `Other`), from the SEBI category.

Source: the `scheme` table of the SQLite database shipped in the `casparser-isin` package
(PyPI; https://github.com/codereverser/casparser-isin; MIT licence, Copyright (c) 2021 Sandeep
Somasekharan), the same database casparser looks AMFI codes up in. The version used is written
into the table's first line; the rebuild pins it:

    python3 -m venv /tmp/isinvenv
    /tmp/isinvenv/bin/pip install casparser-isin==2026.6.9
    /tmp/isinvenv/bin/python infra/isin/build_table.py            # rewrites the table
    /tmp/isinvenv/bin/python infra/isin/build_table.py --check    # exit 1 if it would change

(`.venv` has the same version, as casparser 1.4.1's dependency, so `.venv/bin/python` works too.)
Any version builds; a newer one is a deliberate update: bump `PINNED`, rebuild, run the tests.

Derivation, per ISIN (valid ISINs only: 12 characters, check digit right):
* the rows last seen in the newest AMFI list that has the ISIN (`last_seen`, never-seen rows
  oldest): an ISIN that changed hands in a merger keeps older rows under the old AMFI code;
* AMFI code: the one non-empty code of those rows; none, or more than one, leaves it unknown;
* type: the SEBI category of those rows through `RULES` (first prefix that matches); no
  category, or categories that disagree, leave it unknown. A category no rule knows stops the
  build (review it and add a rule). casparser's own `type` column (EQUITY / DEBT, its tax
  treatment) is not used: it calls gold ETFs and many SDL / gilt index funds EQUITY.
An ISIN with neither an AMFI code nor a type is left out.

Format (parser/data/mf_isin.bin, read in place by parser/src/isin_table.rs, nothing inflated
or copied): one ASCII header line ending in LF (format, source version, row count), then one
9-byte big-endian record per ISIN, sorted by ISIN:
* bytes 0-5: the ISIN's characters 3-11 (after `IN`, before the check digit) as a base-36
  number (0-9 then A-Z, so numeric order is the ISINs' order); every ISIN in it starts `IN`
  and its check digit follows from the rest, so these identify it;
* bytes 6-8: AMFI code << 3 | type, type 1 Equity, 2 Debt, 3 Hybrid, 4 Other, 0 unknown;
  AMFI code 0 when unknown (real ones are six digits, 100000 and up).
`--dump` prints it back as `ISIN<TAB>AMFI<TAB>type` lines.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "parser" / "data" / "mf_isin.bin"
PINNED = "2026.6.9"
FORMAT = 1
RECORD = 9

# SEBI category (prefix, as in the database) -> type. First match wins. The SEBI scheme
# categories (2017 circular) start "Equity Scheme", "Debt Scheme", "Hybrid Scheme", "Solution
# Oriented Scheme" or "Other Scheme" (index funds, ETFs, funds of funds); older rows carry AMFI's
# pre-2018 categories ("Growth" = equity schemes, "Income" and "Gilt" = debt schemes, "ELSS").
RULES: list[tuple[str, str]] = [
    ("Equity Scheme", "Equity"),
    ("ELSS", "Equity"),
    ("Growth", "Equity"),
    ("Debt Scheme", "Debt"),
    ("Income", "Debt"),
    ("Gilt", "Debt"),
    ("Hybrid Scheme", "Hybrid"),
    ("Solution Oriented Scheme", "Other"),
    ("Other Scheme", "Other"),
]
CODE = {"Equity": 1, "Debt": 2, "Hybrid": 3, "Other": 4}
KIND = {v: k for k, v in CODE.items()}
ISIN_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")


def scheme_type(category: str) -> str:
    for prefix, kind in RULES:
        if category.startswith(prefix):
            return kind
    raise SystemExit(f"no rule for the SEBI category {category!r}: add one to RULES")


def valid_isin(isin: str) -> bool:
    """12 characters and the ISO 6166 check digit (Luhn over the letters' two-digit values)."""
    if not ISIN_RE.fullmatch(isin):
        return False
    digits = "".join(str(int(c, 36)) for c in isin)
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n // 10 + n % 10
    return total % 10 == 0


def default_db() -> Path:
    from casparser_isin.utils import get_isin_db_path

    return Path(get_isin_db_path())


def build(db: Path, version: str) -> tuple[bytes, dict]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute("SELECT isin, amfi_code, sebi_category, last_seen FROM scheme").fetchall()
    db_version = dict(con.execute("SELECT key, value FROM meta").fetchall()).get("version")
    con.close()
    if db_version and db_version != version:
        raise SystemExit(f"package {version} but its database says {db_version}")

    by_isin: dict[str, list] = defaultdict(list)
    stats = defaultdict(int)
    for isin, amfi, category, seen in rows:
        isin = (isin or "").strip().upper()
        if not valid_isin(isin):
            stats["rows with an invalid ISIN (dropped)"] += 1
            continue
        by_isin[isin].append((amfi, category, seen or ""))

    records = []
    for isin in sorted(by_isin):
        group = by_isin[isin]
        newest = max(seen for _, _, seen in group)
        group = [r for r in group if r[2] == newest]
        codes = {str(a).strip() for a, _, _ in group if a is not None and str(a).strip()}
        kinds = {scheme_type(c.strip()) for _, c, _ in group if c and c.strip()}
        for code in codes:
            if not re.fullmatch(r"[1-9][0-9]{5}", code):
                raise SystemExit(f"{isin}: AMFI code {code!r} is not six digits")
        if len(codes) > 1:
            stats["ISINs whose newest rows disagree on the AMFI code (left unknown)"] += 1
        if len(kinds) > 1:
            stats["ISINs whose categories disagree (type left unknown)"] += 1
        amfi = codes.pop() if len(codes) == 1 else None
        kind = kinds.pop() if len(kinds) == 1 else None
        if amfi is None and kind is None:
            stats["ISINs with neither (left out)"] += 1
            continue
        if not isin.startswith("IN"):
            stats["ISINs not starting IN (left out)"] += 1
            continue
        stats["ISINs in the table"] += 1
        stats["  with an AMFI code"] += amfi is not None
        stats["  with a type"] += kind is not None
        if kind:
            stats[f"    {kind}"] += 1
        value = int(amfi or 0) << 3 | (CODE[kind] if kind else 0)
        records.append(int(isin[2:11], 36).to_bytes(6, "big") + value.to_bytes(3, "big"))

    header = (f"# cas-parser mutual-fund ISIN table, format {FORMAT}: {RECORD}-byte records, see"
              f" infra/isin/build_table.py; from casparser-isin {version} (MIT, (c) 2021 Sandeep"
              f" Somasekharan); {len(records)} rows\n")
    data = header.encode("ascii") + b"".join(records)
    stats["table bytes"] = len(data)
    return data, dict(stats)


def dump(data: bytes) -> tuple[str, list[tuple[str, str | None, str | None]]]:
    """The header and the rows `(ISIN, AMFI code or None, type or None)` of a built table."""
    header, _, body = data.partition(b"\n")
    assert len(body) % RECORD == 0
    rows = []
    for at in range(0, len(body), RECORD):
        key = int.from_bytes(body[at:at + 6], "big")
        value = int.from_bytes(body[at + 6:at + RECORD], "big")
        nsin = ""
        for _ in range(9):
            key, digit = divmod(key, 36)
            nsin = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + nsin
        stem = "IN" + nsin
        check = next(d for d in "0123456789" if valid_isin(stem + d))
        rows.append((stem + check, str(value >> 3) if value >> 3 else None, KIND.get(value & 7)))
    return header.decode("ascii"), rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, help="isin.db (default: the installed casparser-isin's)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed table differs")
    ap.add_argument("--dump", action="store_true", help="print the committed table as TSV")
    args = ap.parse_args()
    if args.dump:
        header, rows = dump(args.out.read_bytes())
        print(header)
        for isin, amfi, kind in rows:
            print(f"{isin}\t{amfi or ''}\t{kind or ''}")
        return 0
    version = importlib.metadata.version("casparser-isin")
    if version != PINNED:
        print(f"note: casparser-isin {version}, the committed table pins {PINNED}", file=sys.stderr)
    data, stats = build(args.db or default_db(), version)
    for key, value in stats.items():
        print(f"{key}: {value}", file=sys.stderr)
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print("up to date" if same else f"{args.out} differs from a rebuild", file=sys.stderr)
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
