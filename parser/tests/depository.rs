//! CDSL and NSDL statements read into the portfolio shape, compared field by field with the
//! generator's truth JSON (infra/fixtures/depository_pdf.py writes it in the same shape; casparser
//! 1.4.1 reads the same statements to the same values, checked by test_depository_pdf.py).

use cas_parser::model::{DematAccount, Portfolio, Security};
use cas_parser::{Issuer, ParseError};

mod common;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const PAN: &str = "ABCDE1234F";
const DEPOSITORY_FIXTURES: [(&str, &str); 2] = [("cdsl_rc4128", "cdsl"), ("nsdl_aes256", "nsdl")];

fn pdf(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}.pdf")).unwrap()
}

/// The truth JSON is in our shape (plus a few generator keys, which serde ignores).
/// The generator's truth; its statements print totals that match their holdings, so a correct
/// reading reconciles. It holds what the statement prints; the folio schemes' AMFI code and
/// type, which no statement prints, come from the ISIN table as in every parse (tests/isin.rs
/// checks those codes against casparser's).
fn truth(name: &str) -> Portfolio {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap();
    let mut truth: Portfolio = serde_json::from_str(&text).unwrap();
    truth.meta.reconciled = true;
    cas_parser::isin_table::enrich(&mut truth);
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
        assert_eq!(
            o.additional_info, w.additional_info,
            "{at}: open / close units"
        );
        assert_eq!(o.transactions, w.transactions, "{at}: transactions");
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
    // Status, BO lines, BSDA, nominee, e-mail, linked PANs.
    assert_eq!(ours.additional_info, want.additional_info, "{at}: details");
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
    assert_eq!(ours.meta.issuer.as_str(), cas_type);
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
    assert_eq!(ours.insurance, want.insurance, "{name}: insurance");
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
    // NPS funds of both tiers, each with its manager; the account's holders from the roster.
    let tiers: Vec<Option<u8>> = cdsl.nps[0]
        .funds
        .iter()
        .map(|f| f.additional_info.tier)
        .collect();
    assert!(
        tiers.contains(&Some(1)) && tiers.contains(&Some(2)),
        "{tiers:?}"
    );
    assert!(
        cdsl.nps[0]
            .funds
            .iter()
            .all(|f| f.additional_info.manager.is_some())
    );
    assert_eq!(cdsl.nps[0].linked_holders.len(), 1);
    // A joint CDSL account, and CDSL's BO lines for its own accounts.
    assert!(
        cdsl.demat_accounts
            .iter()
            .any(|a| a.demat_type == "CDSL" && a.linked_holders.len() > 1)
    );
    let info = |p: &Portfolio| -> Vec<cas_parser::model::DematInfo> {
        p.demat_accounts
            .iter()
            .map(|a| a.additional_info.clone())
            .collect()
    };
    assert!(
        info(&cdsl)
            .iter()
            .any(|i| i.bo_status.is_some() && i.bo_sub_status.is_some() && i.bo_type.is_some())
    );
    assert!(info(&cdsl).iter().any(|i| i.email.is_some()));
    assert!(
        info(&nsdl)
            .iter()
            .any(|i| i.bsda.is_some() && i.nominee.is_some())
    );
    assert!(info(&nsdl).iter().all(|i| !i.linked_pans.is_empty()));
    // CDSL's scheme codes.
    assert!(
        cdsl.mutual_funds
            .iter()
            .flat_map(|f| &f.schemes)
            .all(|s| s.additional_info.rta_code.is_some())
    );
    // Holdings with the month's transactions (and their opening units) on both.
    for p in [&cdsl, &nsdl] {
        let moved: Vec<&Security> = p
            .demat_accounts
            .iter()
            .flat_map(|a| {
                a.holdings
                    .equities
                    .iter()
                    .chain(&a.holdings.demat_mutual_funds)
            })
            .filter(|s| !s.transactions.is_empty())
            .collect();
        assert!(!moved.is_empty());
        assert!(moved.iter().all(|s| s.additional_info.open_units.is_some()));
    }
    // An NSDL statement with life insurance policies.
    let insured = truth("nsdl_aes128");
    assert!(!insured.insurance.life_insurance_policies.is_empty());
    assert_eq!(
        insured.summary.accounts["insurance"].count as usize,
        insured.insurance.life_insurance_policies.len()
    );
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
    assert_eq!(statement.issuer, Issuer::Nsdl);
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
        cas_parser::amounts::parse_amount(&run.text).map(|d| d.to_string()),
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

/// The new sections' printed figures are checked too: a movement that no longer reaches the
/// closing balance, or a sum assured off its total, is a warning and unreconciles the statement.
#[test]
fn changed_movements_and_policies_become_warnings() {
    let bump = |name: &str, target: &str| {
        let mut statement = cas_parser::open(&pdf(name), PAN).unwrap();
        let run = statement
            .pages
            .iter_mut()
            .flat_map(|p| p.runs.iter_mut())
            .find(|r| r.text == target)
            .unwrap_or_else(|| panic!("{name}: no run {target:?}"));
        run.text = "1.00".into();
        cas_parser::depository::parse(&statement).unwrap()
    };
    let want = truth("nsdl_aes128");
    let policy = &want.insurance.life_insurance_policies[0];
    let printed = indian(policy.sum_assured.unwrap());
    let p = bump("nsdl_aes128", &printed);
    assert!(!p.meta.reconciled);
    assert!(
        p.warnings.iter().any(|w| w.contains("sums assured")),
        "{:?}",
        p.warnings
    );
    let want = truth("cdsl_rc4128");
    let moved = want
        .demat_accounts
        .iter()
        .flat_map(|a| &a.holdings.equities)
        .find(|s| !s.transactions.is_empty())
        .unwrap();
    let opening = format!("{:.3}", moved.additional_info.open_units.unwrap());
    let p = bump("cdsl_rc4128", &indian_units(&opening));
    assert!(!p.meta.reconciled);
    assert!(
        p.warnings.iter().any(|w| w.contains(&moved.isin)),
        "{:?}",
        p.warnings
    );
}

/// `1234567.5` as the statements print amounts: `12,34,567.50`.
fn indian(d: rust_decimal::Decimal) -> String {
    indian_units(&format!("{d:.2}"))
}

fn indian_units(s: &str) -> String {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut groups = Vec::new();
    let (mut head, tail) = whole.split_at(whole.len().saturating_sub(3));
    while head.len() > 2 {
        let (h, g) = head.split_at(head.len() - 2);
        groups.insert(0, g);
        head = h;
    }
    if !head.is_empty() {
        groups.insert(0, head);
    }
    groups.push(tail);
    let whole = groups.join(",");
    if frac.is_empty() {
        whole
    } else {
        format!("{whole}.{frac}")
    }
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
