//! CAMS and KFintech detailed statements read into the portfolio shape, compared field by
//! field with what the fixture generator put in them (its truth JSON; casparser 1.4.1 reads
//! the same statements to the same values, checked by infra/fixtures/test_cas_pdf.py).

use cas_parser::model::Portfolio;
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

mod common;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn load(name: &str) -> (Portfolio, Value) {
    let pdf = std::fs::read(format!("{FIXTURES}/{name}.pdf")).unwrap();
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap())
            .unwrap();
    (cas_parser::parse(&pdf, "Demo@1234").expect("parses"), truth)
}

fn dec(v: &Value) -> Option<Decimal> {
    v.as_str().map(|s| Decimal::from_str(s).unwrap())
}

fn iso(printed: &str) -> String {
    cas_parser::dates::iso_date(printed).unwrap()
}

fn check(name: &str, cas_type: &str) {
    let (p, t) = load(name);
    assert_eq!(p.meta.issuer.as_str(), cas_type);
    assert_eq!(p.meta.cas_type, cas_parser::model::CasType::CamsKfintech);
    assert_eq!(
        p.meta.statement_period.from.as_deref(),
        Some(iso(t["statement_period"]["from"].as_str().unwrap()).as_str())
    );
    assert_eq!(
        p.meta.statement_period.to.as_deref(),
        Some(iso(t["statement_period"]["to"].as_str().unwrap()).as_str())
    );
    let inv = &t["investor"];
    assert_eq!(p.investor.name.as_deref(), inv["name"].as_str());
    assert_eq!(p.investor.email.as_deref(), inv["email"].as_str());
    assert_eq!(p.investor.mobile.as_deref(), inv["mobile"].as_str());
    assert_eq!(p.investor.pan.as_deref(), inv["pan"].as_str());
    assert_eq!(p.investor.address.as_deref(), inv["address"].as_str());
    assert_eq!(p.investor.pincode.as_deref(), Some("560038"));

    let truth_folios = t["folios"].as_array().unwrap();
    let truth_schemes: Vec<(&Value, &Value)> = truth_folios
        .iter()
        .flat_map(|f| f["schemes"].as_array().unwrap().iter().map(move |s| (f, s)))
        .collect();
    let ours: Vec<_> = p
        .mutual_funds
        .iter()
        .flat_map(|f| f.schemes.iter().map(move |s| (f, s)))
        .collect();
    assert_eq!(ours.len(), truth_schemes.len(), "{name}: scheme count");
    for ((folio, scheme), (tf, ts)) in ours.iter().zip(&truth_schemes) {
        let what = format!("{name} {}", scheme.name);
        assert_eq!(folio.amc, tf["amc"].as_str().unwrap(), "{what}");
        assert_eq!(folio.folio_number, tf["folio"].as_str().unwrap(), "{what}");
        assert_eq!(
            folio.additional_info.pan.as_deref(),
            tf["pan"].as_str(),
            "{what}"
        );
        assert_eq!(
            folio.additional_info.kyc.as_deref(),
            tf["kyc"].as_str(),
            "{what}"
        );
        assert_eq!(scheme.name, ts["name"].as_str().unwrap(), "{what}");
        assert_eq!(scheme.isin.as_deref(), ts["isin"].as_str(), "{what}");
        assert_eq!(
            scheme.additional_info.advisor.as_deref(),
            ts["advisor"].as_str(),
            "{what}"
        );
        let nominees: Vec<&str> = ts["nominees"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(scheme.nominees, nominees, "{what}");
        assert_eq!(
            scheme.additional_info.open_units,
            dec(&ts["open"]),
            "{what}"
        );
        assert_eq!(Some(scheme.units), dec(&ts["close"]), "{what}");
        assert_eq!(Some(scheme.nav), dec(&ts["nav"]), "{what}");
        assert_eq!(Some(scheme.value), dec(&ts["value"]), "{what}");
        assert_eq!(scheme.cost, dec(&ts["cost"]), "{what}");
        assert_eq!(
            scheme.valuation_date.as_deref(),
            ts["nav_date"].as_str(),
            "{what}"
        );
        let txs = ts["transactions"].as_array().unwrap();
        assert_eq!(scheme.transactions.len(), txs.len(), "{what}: transactions");
        for (ours, truth) in scheme.transactions.iter().zip(txs) {
            assert_eq!(ours.date, truth["date"].as_str().unwrap(), "{what}");
            assert_eq!(
                ours.description,
                truth["description"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                ours.amount,
                dec(&truth["amount"]),
                "{what} {}",
                ours.description
            );
            assert_eq!(
                ours.units,
                dec(&truth["units"]),
                "{what} {}",
                ours.description
            );
            assert_eq!(ours.nav, dec(&truth["nav"]), "{what} {}", ours.description);
            assert_eq!(
                ours.balance,
                dec(&truth["balance"]),
                "{what} {}",
                ours.description
            );
            assert_eq!(
                ours.kind,
                truth["type"].as_str().unwrap(),
                "{what} {}",
                ours.description
            );
        }
    }
    let registrars: Vec<Option<&str>> = p
        .mutual_funds
        .iter()
        .map(|f| f.registrar.as_deref())
        .collect();
    assert!(
        registrars
            .iter()
            .all(|r| matches!(r, Some("CAMS") | Some("KFINTECH"))),
        "{registrars:?}"
    );
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
fn cams_statements_read_to_the_generators_values() {
    check("cams_aes256", "cams");
    check("cams_rc4128", "cams");
}

#[test]
fn kfintech_statements_read_to_the_generators_values() {
    check("kfintech_aes128", "kfintech");
    check("kfintech_rc440", "kfintech");
}

/// Segregated portfolio, zero-balance folios, nominees, names with `&`, `(`, `%`, `:` and names
/// that wrap onto a second line (cas_pdf.py `--extras`).
#[test]
fn statements_with_extras_read_to_the_generators_values() {
    check("cams_extras_aes128", "cams");
    check("kfintech_extras_aes256", "kfintech");
}

/// The statement reader never panics on a scrambled layout: runs dropped, moved to other
/// lines, cut short or repeated, 300 variants of a real statement, each finishing quickly.
#[test]
fn scrambled_statements_never_panic() {
    let pdf = std::fs::read(format!("{FIXTURES}/cams_aes256.pdf")).unwrap();
    let statement = cas_parser::open(&pdf, "Demo@1234").unwrap();
    common::read_scrambled_layouts("cams_aes256", &statement, 7, |s| {
        let _ = cas_parser::cams_kfintech::detailed::parse(s);
    });
}
