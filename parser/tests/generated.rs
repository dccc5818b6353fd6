//! The CAMS/KFintech reader on statements it has not seen: 600 random statements laid out in
//! memory with every variant of tests/common/detailed.rs drawn at random, each read to exactly
//! the portfolio it holds and reconciled against its own printed totals. And the other side:
//! a statement with a folio's lines gone reads `reconciled: false`, saying which fund house is
//! short and by how much.

mod common;

use common::detailed::{generate, without_first_folio};
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
        let victim = &g.folios[0];
        if g.folios.len() < 2 || victim.value.is_zero() {
            // A folio worth nothing leaves every printed total as it was.
            continue;
        }
        let statement = without_first_folio(&g);
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

/// The same statements written as PDFs and opened as a file is: the in-memory layout is what
/// the extractor makes of a page.
#[test]
fn generated_statements_read_the_same_through_a_pdf() {
    for seed in 0..25 {
        let g = generate(seed);
        let pdf = common::pdf_writer::write(&g.statement);
        let p = cas_parser::parse(&pdf, "").unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(p.meta.reconciled, "seed {seed}: {:?}", p.warnings);
        assert_eq!(p.mutual_funds, g.folios, "seed {seed}");
    }
}
