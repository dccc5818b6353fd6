//! The CAMS/KFintech reader on statements it has not seen: 600 random statements laid out in
//! memory with every variant of tests/common/detailed.rs drawn at random, each read to exactly
//! the portfolio it holds and reconciled against its own printed totals. And the other side:
//! a statement with a folio's lines gone reads `reconciled: false`, saying which fund house is
//! short and by how much.

mod common;

use common::detailed::generate;
use std::collections::BTreeSet;

const STATEMENTS: u64 = 600;

#[test]
fn random_statements_read_to_their_truth_and_reconcile() {
    let mut seen = BTreeSet::new();
    for seed in 0..STATEMENTS {
        let g = generate(seed);
        let p = cas_parser::read(&g.statement).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(p.warnings, Vec::<String>::new(), "seed {seed}");
        assert!(p.meta.reconciled, "seed {seed}");
        assert_eq!(p.mutual_funds.len(), g.folios.len(), "seed {seed}: folios");
        for (ours, truth) in p.mutual_funds.iter().zip(&g.folios) {
            assert_eq!(
                ours.schemes.len(),
                truth.schemes.len(),
                "seed {seed} folio {}",
                truth.folio_number
            );
            for (o, t) in ours.schemes.iter().zip(&truth.schemes) {
                assert_eq!(o.transactions, t.transactions, "seed {seed}: {}", t.name);
                assert_eq!(o, t, "seed {seed}");
            }
            assert_eq!(ours, truth, "seed {seed}");
        }
        assert_eq!(p.summary.total_value, g.total, "seed {seed}");
        seen.extend(g.drawn);
    }
    // The randomness must keep producing every variant.
    for variant in [
        "folio without PAN",
        "KYC NOT OK",
        "PAN NOT OK",
        "long folio number",
        "joint holders",
        "no advisor",
        "nominees",
        "registrar on the scheme line",
        "scheme name over several lines",
        "ISIN split over two lines",
        "zero balance",
        "stamp duty / STT / TDS row",
        "marker row",
        "dividend payout row",
        "segregated portfolio row",
        "dated footnote",
        "wrapped description",
        "page break after a folio line",
        "page break inside a scheme heading",
        "page break inside transactions",
    ] {
        assert!(seen.contains(variant), "no statement drew {variant:?}");
    }
}

#[test]
fn a_folio_whose_lines_are_gone_is_not_reconciled() {
    let mut checked = 0;
    for seed in 0..40 {
        let g = generate(seed);
        if g.folios.len() < 2 {
            continue;
        }
        // Remove every run of the first folio: from its folio line to the next folio's line
        // or fund-house heading.
        let victim = &g.folios[0];
        if victim.value.is_zero() {
            // A folio worth nothing leaves every printed total as it was.
            continue;
        }
        let mut statement = g.statement.clone();
        let mut removing = false;
        for page in &mut statement.pages {
            let lines: Vec<(f32, String)> = page.lines().iter().map(|l| (l.y, l.text())).collect();
            let mut drop_y = Vec::new();
            for (y, text) in lines {
                if text.starts_with("Folio No:") {
                    removing = text.contains(&victim.folio_number) && !removing;
                } else if removing && g.folios.iter().any(|f| text == f.amc) {
                    removing = false;
                }
                if removing {
                    drop_y.push(y);
                }
            }
            page.runs
                .retain(|r| !drop_y.iter().any(|y| (r.y - y).abs() <= 2.0) || !r.horizontal);
        }
        let p = cas_parser::read(&statement).unwrap();
        assert!(!p.meta.reconciled, "seed {seed}");
        let named = p.warnings.iter().any(|w| {
            w.starts_with(&format!("{}: market value", victim.amc))
                && w.contains(&format!("off by -{}", victim.value.normalize()))
        });
        let whole_house_gone = p
            .warnings
            .iter()
            .any(|w| w.starts_with(&victim.amc) && w.contains("no folio of it was read"));
        assert!(named || whole_house_gone, "seed {seed}: {:?}", p.warnings);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} statements checked");
}

/// Generated statements with runs dropped, moved, cut, repeated or replaced never panic.
#[test]
fn scrambled_generated_statements_never_panic() {
    for seed in 0..4 {
        let g = generate(seed);
        common::read_scrambled_layouts("generated", &g.statement, seed, |s| {
            let _ = cas_parser::read(s);
        });
    }
}
