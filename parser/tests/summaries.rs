//! CAMS and KFintech "Consolidated Account Summary" statements read into the portfolio shape,
//! compared field by field with the generator's truth JSON (infra/fixtures/cas_pdf.py
//! `--variant summary`; casparser 1.4.1 reads the same statements to the same values, checked
//! by infra/fixtures/test_cas_pdf.py and test_oracle.py).

use cas_parser::model::Portfolio;
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

mod common;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn load(name: &str) -> (Vec<u8>, Value) {
    let pdf = std::fs::read(format!("{FIXTURES}/{name}.pdf")).unwrap();
    let truth =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap())
            .unwrap();
    (pdf, truth)
}

fn dec(v: &Value) -> Option<Decimal> {
    v.as_str().map(|s| Decimal::from_str(s).unwrap())
}

fn check(name: &str, cas_type: &str) {
    let (pdf, t) = load(name);
    let p: Portfolio = cas_parser::parse(&pdf, "Demo@1234").expect("parses");
    assert_eq!(p.meta.issuer.as_str(), cas_type);
    assert_eq!(p.meta.cas_type, cas_parser::model::CasType::CamsKfintech);
    assert_eq!(p.meta.statement_kind.as_deref(), Some("summary"));
    let date = cas_parser::dates::iso_date(t["statement_period"]["to"].as_str().unwrap());
    assert_eq!(p.meta.statement_period.from, date);
    assert_eq!(p.meta.statement_period.to, date);
    let inv = &t["investor"];
    assert_eq!(p.investor.name.as_deref(), inv["name"].as_str());
    assert_eq!(p.investor.email.as_deref(), inv["email"].as_str());
    assert_eq!(p.investor.mobile.as_deref(), inv["mobile"].as_str());
    assert_eq!(p.investor.address.as_deref(), inv["address"].as_str());

    let truth_folios = t["folios"].as_array().unwrap();
    assert_eq!(p.mutual_funds.len(), truth_folios.len(), "{name}: folios");
    for (folio, tf) in p.mutual_funds.iter().zip(truth_folios) {
        assert_eq!(folio.amc, tf["amc"].as_str().unwrap());
        assert_eq!(folio.folio_number, tf["folio"].as_str().unwrap());
        let schemes = tf["schemes"].as_array().unwrap();
        assert_eq!(folio.schemes.len(), schemes.len(), "{}", folio.folio_number);
        assert_eq!(folio.registrar.as_deref(), schemes[0]["rta"].as_str());
        let mut value = Decimal::ZERO;
        for (scheme, ts) in folio.schemes.iter().zip(schemes) {
            let what = format!("{name} {}", scheme.name);
            assert_eq!(scheme.name, ts["name"].as_str().unwrap(), "{what}");
            assert_eq!(scheme.isin.as_deref(), ts["isin"].as_str(), "{what}");
            assert_eq!(Some(scheme.units), dec(&ts["close"]), "{what}");
            assert_eq!(Some(scheme.nav), dec(&ts["nav"]), "{what}");
            assert_eq!(Some(scheme.value), dec(&ts["value"]), "{what}");
            assert_eq!(scheme.cost, dec(&ts["cost"]), "{what}");
            assert_eq!(
                scheme.valuation_date.as_deref(),
                ts["nav_date"].as_str(),
                "{what}"
            );
            assert_eq!(scheme.additional_info.open_units, None, "{what}");
            assert!(scheme.transactions.is_empty(), "{what}");
            value += scheme.value;
        }
        assert_eq!(folio.value, value);
    }
    assert_eq!(Some(p.summary.total_value), dec(&t["total_value"]));
    assert_eq!(
        p.summary.accounts["mutual_funds"].total_value,
        p.summary.total_value
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert!(
        p.meta.reconciled,
        "the printed totals were all checked and matched"
    );
}

#[test]
fn cams_summary_reads_to_the_generators_values() {
    check("cams_summary_aes256", "cams");
}

#[test]
fn kfintech_summary_reads_to_the_generators_values() {
    check("kfintech_summary_rc4128", "kfintech");
}

/// A holdings table over several pages, its header repeated on each (make_extra.py).
#[test]
fn summary_over_several_pages_reads_to_the_generators_values() {
    let (pdf, _) = load("kfintech_summary_pages_aes128");
    assert!(cas_parser::open(&pdf, "Demo@1234").unwrap().pages.len() >= 3);
    check("kfintech_summary_pages_aes128", "kfintech");
}

/// The summary reader never panics on a scrambled layout (runs dropped, moved, cut,
/// repeated or replaced by numbers), and each variant finishes quickly.
#[test]
fn scrambled_summaries_never_panic() {
    let (pdf, _) = load("kfintech_summary_rc4128");
    let statement = cas_parser::open(&pdf, "Demo@1234").unwrap();
    common::read_scrambled_layouts("kfintech_summary_rc4128", &statement, 11, |s| {
        let _ = cas_parser::cams_kfintech::summary::parse(s);
    });
}

#[test]
fn cas_parse_prints_a_summary_as_on_its_date() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cas-parse"))
        .arg(format!("{FIXTURES}/cams_summary_aes256.pdf"))
        .args(["--password", "Demo@1234"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.starts_with("CAMS summary of Demo Investor, as on 2025-12-31\n"),
        "{out}"
    );
    let (_, truth) = load("cams_summary_aes256");
    let total = truth["total_value"].as_str().unwrap();
    assert!(out.contains(&format!("total {total}")), "{out}");
}
