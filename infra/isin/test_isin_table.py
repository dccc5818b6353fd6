"""The ISIN table against its source: the committed parser/data/mf_isin.bin is what
build_table.py builds from the installed casparser-isin, and on every committed fixture our
`cas-parse --json` reports casparser's own AMFI code for each scheme casparser resolves.

    .venv/bin/python -m pytest infra/isin -q

(.venv has casparser 1.4.1 and, as its dependency, casparser-isin 2026.6.9, the pinned version.)
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import casparser
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "fixtures"))
import build_table  # noqa: E402
import oracle  # noqa: E402

FIXTURES = oracle.REPO / "parser" / "tests" / "fixtures"
STATEMENTS = sorted(p for p in FIXTURES.glob("*.pdf") if p.with_suffix(".json").exists())


def password(pdf: Path) -> str:
    return "ABCDE1234F" if pdf.stem.startswith(("cdsl", "nsdl")) else "Demo@1234"


def table() -> dict[str, tuple[str | None, str | None]]:
    header, rows = build_table.dump(build_table.OUT.read_bytes())
    assert header.startswith("# cas-parser mutual-fund ISIN table")
    return {isin: (amfi, kind) for isin, amfi, kind in rows}


def test_the_committed_table_is_what_the_pinned_source_builds():
    version = importlib.metadata.version("casparser-isin")
    if version != build_table.PINNED:
        pytest.skip(f"casparser-isin {version} installed, the table pins {build_table.PINNED}")
    data, stats = build_table.build(build_table.default_db(), version)
    assert data == build_table.OUT.read_bytes(), "rebuild: python infra/isin/build_table.py"
    assert stats["table bytes"] < 1 << 20


def test_rules_cover_the_sebi_categories():
    assert build_table.scheme_type("Equity Scheme - ELSS") == "Equity"
    assert build_table.scheme_type("Debt Scheme - Liquid Fund") == "Debt"
    assert build_table.scheme_type("Hybrid Scheme - Arbitrage Fund") == "Hybrid"
    assert build_table.scheme_type("Other Scheme - Index Funds") == "Other"
    assert build_table.scheme_type("Solution Oriented Scheme - Retirement Fund") == "Other"
    with pytest.raises(SystemExit):
        build_table.scheme_type("Some New Scheme - Thing")
    assert build_table.valid_isin("INF179K01XQ0") and not build_table.valid_isin("INF179K01XQ1")


def _casparser_amfi(data) -> dict[str, str | None]:
    """ISIN -> casparser's `amfi`, over its folios (CAMS / KFintech) or its folio accounts
    (CDSL / NSDL: the mutual-fund folios held outside demat)."""
    if hasattr(data, "folios"):
        schemes = [s for f in data.folios for s in f.schemes]
    else:
        schemes = [s for a in data.accounts if "Folio" in str(a.type) for s in a.mutual_funds]
    return {s.isin: s.amfi for s in schemes}


@pytest.mark.parametrize("pdf", STATEMENTS, ids=lambda p: p.stem)
def test_ours_reports_casparsers_amfi_code(pdf):
    theirs = _casparser_amfi(casparser.read_cas_pdf(str(pdf), password(pdf)))
    ours = oracle.run_ours(pdf, password(pdf))
    known = table()
    schemes = [s for f in ours["mutual_funds"] for s in f["schemes"]]
    resolved = {isin for isin, amfi in theirs.items() if amfi}
    assert resolved, "casparser resolved no scheme: the case proves nothing"
    assert resolved <= {s["isin"] for s in schemes}
    for s in schemes:
        if s["isin"] in resolved:
            assert s["additional_info"]["amfi"] == theirs[s["isin"]], s["isin"]
        # Type (and an AMFI code casparser did not resolve) exactly as the table has them.
        amfi, kind = known.get(s["isin"], (None, None))
        assert (s["additional_info"]["amfi"], s["type"]) == (amfi, kind), s["isin"]
