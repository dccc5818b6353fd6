//! CDSL and NSDL statements read into the portfolio shape, compared field by field with the
//! generator's truth JSON (infra/fixtures/depository_pdf.py writes it in the same shape; casparser
//! 1.4.1 reads the same statements to the same values, checked by test_depository_pdf.py).

use cas_parser::model::{DematAccount, Portfolio, Security};
use cas_parser::{CasKind, ParseError};

mod common;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const PAN: &str = "ABCDE1234F";
const DEPOSITORY_FIXTURES: [(&str, &str); 2] = [("cdsl_rc4128", "cdsl"), ("nsdl_aes256", "nsdl")];

fn pdf(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}.pdf")).unwrap()
}

/// The truth JSON is in our shape (plus a few generator keys, which serde ignores).
/// The generator's truth; its statements print totals that match their holdings, so a correct
/// reading reconciles.
fn truth(name: &str) -> Portfolio {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap();
    let mut truth: Portfolio = serde_json::from_str(&text).unwrap();
    truth.meta.reconciled = true;
    truth
}

fn check_securities(what: &str, ours: &[Security], want: &[Security]) {
    assert_eq!(ours.len(), want.len(), "{what}: count");
    for (o, w) in ours.iter().zip(want) {
        let at = format!("{what} {}", w.isin);
        assert_eq!(o.isin, w.isin, "{at}");
        assert_eq!(o.name, w.name, "{at}: name");
        assert_eq!(o.units, w.units, "{at}: units");
        assert_eq!(o.price, w.price, "{at}: price");
        assert_eq!(o.value, w.value, "{at}: value");
        assert_eq!(o.face_value, w.face_value, "{at}: face value");
        assert_eq!(o.coupon_rate, w.coupon_rate, "{at}: coupon");
        assert_eq!(o.maturity_date, w.maturity_date, "{at}: maturity");
    }
}

fn check_account(ours: &DematAccount, want: &DematAccount) {
    let at = format!(
        "{} {}",
        want.demat_type,
        want.client_id.as_deref().unwrap_or("")
    );
    assert_eq!(ours.demat_type, want.demat_type, "{at}");
    assert_eq!(ours.dp_name, want.dp_name, "{at}: DP name");
    assert_eq!(ours.dp_id, want.dp_id, "{at}: DP id");
    assert_eq!(ours.client_id, want.client_id, "{at}: client id");
    assert_eq!(ours.linked_holders, want.linked_holders, "{at}: holders");
    assert_eq!(ours.value, want.value, "{at}: value");
    assert_eq!(
        ours.additional_info.status, want.additional_info.status,
        "{at}: status"
    );
    let (o, w) = (&ours.holdings, &want.holdings);
    check_securities(&format!("{at} equities"), &o.equities, &w.equities);
    check_securities(
        &format!("{at} demat MFs"),
        &o.demat_mutual_funds,
        &w.demat_mutual_funds,
    );
    check_securities(
        &format!("{at} bonds"),
        &o.corporate_bonds,
        &w.corporate_bonds,
    );
    check_securities(
        &format!("{at} G-secs"),
        &o.government_securities,
        &w.government_securities,
    );
    check_securities(&format!("{at} AIFs"), &o.aifs, &w.aifs);
}

fn check(name: &str, cas_type: &str) {
    let ours = cas_parser::parse(&pdf(name), PAN).expect("parses");
    let want = truth(name);
    assert_eq!(ours.meta.issuer, cas_type);
    assert_eq!(ours.meta.statement_period, want.meta.statement_period);
    assert_eq!(ours.investor, want.investor, "{name}: investor");
    assert_eq!(ours.summary, want.summary, "{name}: summary");
    assert_eq!(
        ours.demat_accounts.len(),
        want.demat_accounts.len(),
        "{name}: accounts"
    );
    for (o, w) in ours.demat_accounts.iter().zip(&want.demat_accounts) {
        check_account(o, w);
    }
    assert_eq!(ours.mutual_funds, want.mutual_funds, "{name}: folios");
    assert_eq!(ours.nps, want.nps, "{name}: NPS");
    assert!(ours.warnings.is_empty(), "{name}: {:?}", ours.warnings);
    // And the whole thing, so that no field escapes the list above.
    assert_eq!(ours, want, "{name}");
}

#[test]
fn cdsl_statement_reads_to_the_generators_values() {
    check("cdsl_rc4128", "cdsl");
}

#[test]
fn nsdl_statement_reads_to_the_generators_values() {
    check("nsdl_aes256", "nsdl");
    check("nsdl_aes128", "nsdl");
}

/// What the fixtures are meant to exercise is in them.
#[test]
fn fixtures_cover_the_depository_features() {
    let cdsl = truth("cdsl_rc4128");
    let nsdl = truth("nsdl_aes256");
    for p in [&cdsl, &nsdl] {
        let deps: Vec<&str> = p
            .demat_accounts
            .iter()
            .map(|a| a.demat_type.as_str())
            .collect();
        assert!(deps.contains(&"CDSL") && deps.contains(&"NSDL"), "{deps:?}");
        assert!(p.demat_accounts.iter().any(|a| a.linked_holders.len() > 1));
        let held = |f: fn(&DematAccount) -> usize| p.demat_accounts.iter().map(f).sum::<usize>();
        assert!(held(|a| a.holdings.equities.len()) > 20);
        assert!(held(|a| a.holdings.demat_mutual_funds.len()) > 0);
        assert!(held(|a| a.holdings.corporate_bonds.len()) > 0);
        assert!(held(|a| a.holdings.government_securities.len()) > 0);
        assert!(
            p.demat_accounts
                .iter()
                .flat_map(|a| &a.holdings.equities)
                .any(|s| s.value.is_zero())
        );
        assert!(p.mutual_funds.len() >= 2);
    }
    assert_eq!(cdsl.nps.len(), 1);
    assert!(
        nsdl.demat_accounts
            .iter()
            .any(|a| !a.holdings.aifs.is_empty())
    );
    // Bond terms are printed (and read) for NSDL accounts on NSDL statements only; NSDL prints a
    // CDSL account's bonds in balance columns, with a market price and no terms.
    let bonds = |p: &Portfolio, depository: &str| -> Vec<Security> {
        p.demat_accounts
            .iter()
            .filter(|a| a.demat_type == depository)
            .flat_map(|a| {
                [
                    &a.holdings.corporate_bonds,
                    &a.holdings.government_securities,
                ]
            })
            .flatten()
            .cloned()
            .collect()
    };
    let with_terms = bonds(&nsdl, "NSDL");
    assert!(!with_terms.is_empty());
    assert!(with_terms.iter().all(|b| b.price.is_none()
        && b.face_value.is_some()
        && b.coupon_rate.is_some()
        && b.maturity_date.is_some()));
    let in_balance_columns = bonds(&nsdl, "CDSL");
    assert!(!in_balance_columns.is_empty());
    let cdsl_bonds = bonds(&cdsl, "CDSL");
    for b in in_balance_columns.iter().chain(&cdsl_bonds) {
        assert!(b.price.is_some() && b.face_value.is_none() && b.maturity_date.is_none());
    }
}

#[test]
fn json_carries_the_totals_as_numbers() {
    let p = cas_parser::parse(&pdf("cdsl_rc4128"), PAN).unwrap();
    let json = serde_json::to_value(&p).unwrap();
    let summary = &json["summary"];
    assert!(summary["total_value"].is_f64());
    for kind in ["demat", "mutual_funds", "nps"] {
        assert!(summary["accounts"][kind]["count"].is_u64(), "{kind}");
        assert!(summary["accounts"][kind]["total_value"].is_f64(), "{kind}");
    }
    assert!(json["demat_accounts"][0]["holdings"]["equities"][0]["units"].is_f64());
}

#[test]
fn wrong_password_is_invalid_password() {
    for (name, _) in DEPOSITORY_FIXTURES {
        for pw in ["", "abcde1234f", "Demo@1234"] {
            assert!(
                matches!(
                    cas_parser::parse(&pdf(name), pw),
                    Err(ParseError::InvalidPassword)
                ),
                "{name} {pw:?}"
            );
        }
    }
}

/// A printed total that the holdings do not reach is a warning in the output, not a failure.
#[test]
fn a_changed_value_becomes_a_warning() {
    let mut statement = cas_parser::open(&pdf("nsdl_aes256"), PAN).unwrap();
    assert_eq!(statement.kind, CasKind::Nsdl);
    let want = truth("nsdl_aes256");
    let first = &want.demat_accounts[0].holdings.equities[0];
    let printed = format!("{}", first.value);
    // Find the first equity's value run after its ISIN and bump it by a rupee.
    let page = statement
        .pages
        .iter_mut()
        .find(|p| p.runs.iter().any(|r| r.text == first.isin))
        .unwrap();
    let isin_at = page.runs.iter().position(|r| r.text == first.isin).unwrap();
    let y = page.runs[isin_at].y;
    let run = page
        .runs
        .iter_mut()
        .filter(|r| (r.y - y).abs() < 1.0)
        .max_by(|a, b| a.x.total_cmp(&b.x))
        .unwrap();
    assert_eq!(
        cas_parser::money::parse_amount(&run.text).map(|d| d.to_string()),
        Some(printed)
    );
    run.text = "1.00".into();
    let p = cas_parser::depository::parse(&statement).unwrap();
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("holdings against the account's value") && w.contains("off by -")),
        "{:?}",
        p.warnings
    );
    assert!(!p.meta.reconciled);
    assert_eq!(p.summary.total_value, want.summary.total_value);
}

/// The reader never panics on a scrambled layout: runs dropped, moved to other lines, cut short,
/// repeated or replaced by numbers, 300 variants of each fixture, each finishing quickly.
#[test]
fn scrambled_depository_statements_never_panic() {
    for (name, _) in DEPOSITORY_FIXTURES {
        let statement = cas_parser::open(&pdf(name), PAN).unwrap();
        common::read_scrambled_layouts(name, &statement, 11, |s| {
            let _ = cas_parser::depository::parse(s);
        });
    }
}
