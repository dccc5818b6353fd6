//! The AMFI code and scheme type filled from the ISIN table (src/isin_table.rs, built by
//! infra/isin/build_table.py from casparser-isin's database): every fixture scheme carries
//! casparser's AMFI code, unknown ISINs stay empty.

use cas_parser::isin_table::{self, SchemeType};
use cas_parser::model::Portfolio;
use serde_json::Value;
use std::collections::BTreeMap;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
/// The CAMS / KFintech fixtures, whose truths carry per scheme the AMFI code casparser 1.4.1
/// reports for it (infra/fixtures/test_cas_pdf.py checks casparser against the truth).
const MF_FIXTURES: [&str; 9] = [
    "cams_aes256",
    "cams_rc4128",
    "cams_extras_aes128",
    "cams_summary_aes256",
    "kfintech_aes128",
    "kfintech_rc440",
    "kfintech_extras_aes256",
    "kfintech_summary_rc4128",
    "kfintech_summary_pages_aes128",
];
const DEPOSITORY_FIXTURES: [&str; 3] = ["cdsl_rc4128", "nsdl_aes256", "nsdl_aes128"];

fn parse(name: &str) -> Portfolio {
    let pdf = std::fs::read(format!("{FIXTURES}/{name}.pdf")).unwrap();
    let password = if name.starts_with("cdsl") || name.starts_with("nsdl") {
        "ABCDE1234F"
    } else {
        "Demo@1234"
    };
    cas_parser::parse(&pdf, password).expect("parses")
}

fn truth(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap())
        .unwrap()
}

/// ISIN → casparser's AMFI code, over every scheme of the CAMS / KFintech truths.
fn casparser_amfi() -> BTreeMap<String, String> {
    let mut amfi = BTreeMap::new();
    for name in MF_FIXTURES {
        for scheme in truth(name)["folios"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["schemes"].as_array().unwrap())
        {
            let isin = scheme["isin"].as_str().unwrap().to_owned();
            let code = scheme["amfi"].as_str().unwrap().to_owned();
            let seen = amfi.insert(isin.clone(), code.clone());
            assert!(seen.is_none_or(|s| s == code), "{isin}: two AMFI codes");
        }
    }
    amfi
}

#[test]
fn every_fixture_scheme_carries_casparsers_amfi_code() {
    let want = casparser_amfi();
    assert!(want.len() >= 20, "{} ISINs", want.len());
    for name in MF_FIXTURES {
        let ours = parse(name);
        let truth = truth(name);
        let truth_isins: Vec<&str> = truth["folios"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["schemes"].as_array().unwrap())
            .map(|s| s["isin"].as_str().unwrap())
            .collect();
        let schemes: Vec<_> = ours.mutual_funds.iter().flat_map(|f| &f.schemes).collect();
        for isin in truth_isins {
            assert!(
                schemes.iter().any(|s| s.isin.as_deref() == Some(isin)),
                "{name}: {isin} not read"
            );
        }
        for s in schemes {
            let isin = s.isin.as_deref().expect("every fixture scheme has an ISIN");
            assert_eq!(
                s.additional_info.amfi.as_deref(),
                Some(want[isin].as_str()),
                "{name} {isin}"
            );
            // The type only where the source has a SEBI category: not for Franklin's segregated
            // portfolio nor TRUSTMF Banking & PSU, which it lists without one.
            let uncategorised = ["INF090I01TL2", "INF0GCD01107"].contains(&isin);
            assert_eq!(
                s.scheme_type.is_none(),
                uncategorised,
                "{name} {isin}: type"
            );
        }
    }
    // Folios in depository statements: the same schemes, the same codes.
    for name in DEPOSITORY_FIXTURES {
        let ours = parse(name);
        let schemes: Vec<_> = ours.mutual_funds.iter().flat_map(|f| &f.schemes).collect();
        assert!(!schemes.is_empty(), "{name}: no folios");
        for s in schemes {
            let isin = s.isin.as_deref().unwrap();
            assert_eq!(
                s.additional_info.amfi.as_deref(),
                Some(want[isin].as_str()),
                "{name} {isin}"
            );
        }
    }
}

#[test]
fn scheme_types_follow_the_sebi_category() {
    let ours = parse("cams_extras_aes128");
    let json = serde_json::to_value(&ours).unwrap();
    let types: BTreeMap<&str, &Value> = json["mutual_funds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["schemes"].as_array().unwrap())
        .map(|s| (s["isin"].as_str().unwrap(), &s["type"]))
        .collect();
    for (isin, kind) in [
        ("INF179K01XQ0", "Equity"), // HDFC Mid Cap: Equity Scheme - Mid Cap Fund
        ("INF109K01Q49", "Debt"),   // ICICI Prudential Liquid: Debt Scheme - Liquid Fund
        ("INF179K01VZ5", "Hybrid"), // HDFC Balanced Advantage: Hybrid Scheme - Dynamic Asset Allocation
        ("INF090I01JL3", "Debt"),   // Franklin India Credit Risk: Debt Scheme - Credit Risk Fund
        ("INF247L01718", "Other"),  // Motilal Oswal Nasdaq 100 FoF: Other Scheme - FoF Overseas
        ("INF247L01AC1", "Other"),  // Motilal Oswal Nifty Next 50 Index: Other Scheme - Index Funds
    ] {
        assert_eq!(types[isin], kind, "{isin}");
    }
    // The segregated portfolio: an AMFI code but no SEBI category in the source, so no type.
    assert_eq!(types["INF090I01TL2"], &Value::Null);
    let amfi = &json["mutual_funds"][0]["schemes"][0]["additional_info"]["amfi"];
    assert_eq!(amfi, "118989");
}

#[test]
fn unknown_isins_stay_empty_and_printed_values_stay() {
    let mut p = parse("cams_aes256");
    let fresh = p.clone();
    let mut schemes: Vec<_> = p
        .mutual_funds
        .iter_mut()
        .flat_map(|f| &mut f.schemes)
        .collect();
    assert!(schemes.len() >= 4);
    for s in schemes.iter_mut() {
        s.additional_info.amfi = None;
        s.scheme_type = None;
    }
    schemes[0].isin = Some("INF999Z99999".into()); // well formed, in no AMFI list
    schemes[1].isin = None;
    schemes[2].additional_info.amfi = Some("123456".into()); // as if a statement printed it
    schemes[2].scheme_type = Some("Other".into());
    isin_table::enrich(&mut p);
    let schemes: Vec<_> = p.mutual_funds.iter().flat_map(|f| &f.schemes).collect();
    let fresh: Vec<_> = fresh.mutual_funds.iter().flat_map(|f| &f.schemes).collect();
    assert_eq!(isin_table::lookup("INF999Z99999"), None);
    for s in &schemes[..2] {
        assert_eq!((&s.additional_info.amfi, &s.scheme_type), (&None, &None));
    }
    assert_eq!(schemes[2].additional_info.amfi.as_deref(), Some("123456"));
    assert_eq!(schemes[2].scheme_type.as_deref(), Some("Other"));
    // The rest are filled again exactly as the parse filled them, and enriching twice changes nothing.
    assert_eq!(schemes[3..], fresh[3..]);
    let once = p.clone();
    isin_table::enrich(&mut p);
    assert_eq!(p, once);
}

#[test]
fn lookup_returns_the_code_and_type() {
    let known = isin_table::lookup("INF200K01T51").unwrap(); // SBI Small Cap Fund - Direct - Growth
    assert_eq!(known.amfi, Some(125497));
    assert_eq!(known.kind, Some(SchemeType::Equity));
    assert_eq!(known.kind.unwrap().as_str(), "Equity");
    assert!(isin_table::source().contains("casparser-isin 2026.6.9"));
}

/// The cost, measured: `cargo test --release -p cas-parser --test isin -- --ignored --nocapture cost`
/// (run alone, so that the first lookup here is the process's first).
#[test]
#[ignore]
fn cost() {
    use std::time::Instant;
    let t = Instant::now();
    let _ = isin_table::lookup("INF179K01XQ0");
    let load = t.elapsed();
    let pdf = std::fs::read(format!("{FIXTURES}/cams_aes256.pdf")).unwrap();
    let n = 200;
    let mut best_parse = f64::MAX;
    let mut best_enrich = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let mut last = None;
        for _ in 0..n {
            last = Some(cas_parser::parse(&pdf, "Demo@1234").unwrap());
        }
        best_parse = best_parse.min(t.elapsed().as_secs_f64() / n as f64);
        let mut bare = last.unwrap();
        for s in bare.mutual_funds.iter_mut().flat_map(|f| &mut f.schemes) {
            s.additional_info.amfi = None;
            s.scheme_type = None;
        }
        let mut copies: Vec<Portfolio> = (0..n).map(|_| bare.clone()).collect();
        let t = Instant::now();
        for p in &mut copies {
            isin_table::enrich(p);
        }
        best_enrich = best_enrich.min(t.elapsed().as_secs_f64() / n as f64);
        std::hint::black_box(&copies);
    }
    println!(
        "table load (first lookup): {:.3} ms; parse of cams_aes256.pdf (enrich included): {:.3} ms; \
         enrich alone: {:.2} µs ({:.3}% of the parse); {} ISINs",
        load.as_secs_f64() * 1e3,
        best_parse * 1e3,
        best_enrich * 1e6,
        best_enrich / best_parse * 100.0,
        isin_table::len()
    );
}
