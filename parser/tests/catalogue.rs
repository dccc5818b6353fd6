//! Section A of the casparser layout-case catalogue (CAMS / KFintech detailed statements):
//! the printed lines of each case, laid out in memory, and what our reader must make of them.
//! Each test names its source (casparser test, issue or commit).

mod common;

use cas_parser::Issuer;
use cas_parser::model::{MutualFundFolio, Portfolio, Scheme, Transaction};
use common::layout::{Layout, X_DATE, X_DESC, X_NUMBERS};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Date, description, then Amount / Units / Price / Balance ("" = blank cell). A row with an
/// empty date is a continuation line under the description column.
type Row<'a> = (&'a str, &'a str, [&'a str; 4]);

struct Block<'a> {
    /// Lines between the folio line and `Opening Unit Balance` (holder, scheme, registrar, …).
    heading: Vec<&'a str>,
    open: &'a str,
    rows: Vec<Row<'a>>,
    close: &'a str,
    /// Text after `NAV on 31-Dec-2025: INR `.
    nav: &'a str,
    cost: &'a str,
    value: &'a str,
}

struct Folio<'a> {
    amc: &'a str,
    line: &'a str,
    blocks: Vec<Block<'a>>,
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn printed(s: &str) -> Decimal {
    let neg = s.starts_with('(');
    let v = d(&s.replace([',', '(', ')'], ""));
    if neg { -v } else { v }
}

/// A scheme with one purchase of 10 units at 100 and a closing balance of 10: for heading cases.
fn plain<'a>(heading: Vec<&'a str>) -> Block<'a> {
    Block {
        heading,
        open: "0.000",
        rows: vec![(
            "10-Feb-2025",
            "Purchase - via Distributor",
            ["1,000.00", "10.000", "100.0000", "10.000"],
        )],
        close: "10.000",
        nav: "100.0000",
        cost: "1,000.00",
        value: "1,000.00",
    }
}

fn draw_block(l: &mut Layout, b: &Block) {
    for h in &b.heading {
        l.line(h);
    }
    l.at(X_DESC, &format!("Opening Unit Balance: {}", b.open));
    l.next();
    draw_rows(l, &b.rows);
    l.at(X_DESC, &format!("Closing Unit Balance: {}", b.close));
    l.at(300.0, &format!("NAV on 31-Dec-2025: INR {}", b.nav));
    l.next();
    l.at(X_DESC, &format!("Total Cost Value: {}", b.cost));
    l.at(
        300.0,
        &format!("Market Value on 31-Dec-2025: INR {}", b.value),
    );
    l.next();
}

fn draw_rows(l: &mut Layout, rows: &[Row]) {
    for (date, desc, numbers) in rows {
        if !date.is_empty() {
            l.at(X_DATE, date);
        }
        if !desc.is_empty() {
            l.at(X_DESC, desc);
        }
        for (n, right) in numbers.iter().zip(X_NUMBERS) {
            if !n.is_empty() {
                l.right(right, n);
            }
        }
        l.next();
    }
}

fn investor_and_summary(l: &mut Layout, folios: &[Folio]) {
    for line in [
        "Email Id: demo.investor@gmail.com",
        "Demo Investor",
        "Flat 12B, Sunrise Apartments",
        "Bengaluru 560038",
        "Mobile: +919876543210",
    ] {
        l.line(line);
    }
    l.next();
    l.line("PORTFOLIO SUMMARY");
    l.at(X_DATE, "Mutual Fund");
    l.right(X_NUMBERS[1], "Cost Value (INR)");
    l.right(X_NUMBERS[3], "Market Value (INR)");
    l.next();
    let mut houses: Vec<(&str, Decimal, Decimal)> = Vec::new();
    for f in folios {
        let cost: Decimal = f.blocks.iter().map(|b| printed(b.cost)).sum();
        let value: Decimal = f.blocks.iter().map(|b| printed(b.value)).sum();
        match houses.iter_mut().find(|h| h.0 == f.amc) {
            Some(h) => {
                h.1 += cost;
                h.2 += value;
            }
            None => houses.push((f.amc, cost, value)),
        }
    }
    let (mut cost, mut value) = (Decimal::ZERO, Decimal::ZERO);
    for (amc, c, v) in &houses {
        l.at(X_DATE, amc);
        l.right(X_NUMBERS[1], &format!("{c:.2}"));
        l.right(X_NUMBERS[3], &format!("{v:.2}"));
        l.next();
        cost += c;
        value += v;
    }
    l.at(X_DATE, "Total");
    l.right(X_NUMBERS[1], &format!("{cost:.2}"));
    l.right(X_NUMBERS[3], &format!("{value:.2}"));
    l.next();
    l.next();
}

fn statement(kind: Issuer, folios: &[Folio]) -> cas_parser::Statement {
    let mut l = Layout::new(kind, "01-Jan-2025 To 31-Dec-2025");
    investor_and_summary(&mut l, folios);
    l.table_header();
    let mut last = "";
    for f in folios {
        if f.amc != last {
            l.line(f.amc);
            last = f.amc;
        }
        l.line(f.line);
        for b in &f.blocks {
            draw_block(&mut l, b);
        }
    }
    l.statement()
}

fn read(kind: Issuer, folios: &[Folio]) -> Portfolio {
    cas_parser::read(&statement(kind, folios)).expect("reads")
}

const AMC: &str = "Demo Mutual Fund";
const FOLIO: &str = "Folio No: 1234567 / 89    PAN: ABCDE1234F    KYC: OK    PAN: OK";

/// One CAMS folio of one fund house.
fn one(line: &str, blocks: Vec<Block>) -> Portfolio {
    read(
        Issuer::Cams,
        &[Folio {
            amc: AMC,
            line,
            blocks,
        }],
    )
}

fn reconciled(p: &Portfolio) {
    assert!(p.meta.reconciled, "not reconciled: {:?}", p.warnings);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

fn only_folio(p: &Portfolio) -> &MutualFundFolio {
    assert_eq!(p.mutual_funds.len(), 1, "{:#?}", p.mutual_funds);
    &p.mutual_funds[0]
}

fn only_scheme(p: &Portfolio) -> &Scheme {
    let f = only_folio(p);
    assert_eq!(f.schemes.len(), 1, "{:#?}", f.schemes);
    &f.schemes[0]
}

fn tx(s: &Scheme, i: usize) -> &Transaction {
    &s.transactions[i]
}

fn opt(s: &str) -> Option<Decimal> {
    Some(d(s))
}

/// A folio line read through a one-scheme statement: (folio number, PAN, KYC).
fn folio_of(line: &str) -> (String, Option<String>, Option<String>) {
    let p = one(
        line,
        vec![plain(vec![
            "DEMO INVESTOR",
            "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
        ])],
    );
    reconciled(&p);
    let f = only_folio(&p);
    (
        f.folio_number.clone(),
        f.additional_info.pan.clone(),
        f.additional_info.kyc.clone(),
    )
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

// ---------------------------------------------------------------- A.1 header and fund house

// test_process.py::test_detailed_header_parser; catalogue A.1 #1
#[test]
fn statement_period_is_read() {
    let p = folio_of_portfolio();
    assert_eq!(p.meta.statement_period.from.as_deref(), Some("2025-01-01"));
    assert_eq!(p.meta.statement_period.to.as_deref(), Some("2025-12-31"));
    assert_eq!(p.meta.issuer.as_str(), "cams");
}

fn folio_of_portfolio() -> Portfolio {
    one(
        FOLIO,
        vec![plain(vec![
            "DEMO INVESTOR",
            "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
        ])],
    )
}

// casparser #120 (AMC names), #121 (PPFAS folio given to Nippon), 62c7484 (folio keyed by AMC)
#[test]
fn each_folio_keeps_its_own_fund_house() {
    let heading = |code: &'static str| vec!["DEMO INVESTOR", code, "Registrar : CAMS"];
    let p = read(
        Issuer::Cams,
        &[
            Folio {
                amc: "Nippon India Mutual Fund",
                line: "Folio No: 4011223344    PAN: ABCDE1234F    KYC: OK    PAN: OK",
                blocks: vec![plain(heading(
                    "LFAG-Nippon India Large Cap Fund - Growth Plan - ISIN: INF204K01562(Advisor: DIRECT)",
                ))],
            },
            Folio {
                amc: "PPFAS Mutual Fund",
                line: "Folio No: 4011223344    PAN: ABCDE1234F    KYC: OK    PAN: OK",
                blocks: vec![plain(heading(
                    "PP001ZG-Parag Parikh Flexi Cap Fund - Direct Plan - Growth - ISIN: INF879O01027(Advisor: DIRECT)",
                ))],
            },
            Folio {
                amc: "Aditya Birla Sun Life Mutual Fund",
                line: "Folio No: 1039876543    PAN: ABCDE1234F    KYC: OK    PAN: OK",
                blocks: vec![plain(heading(
                    "B51Z-Aditya Birla Sun Life Flexi Cap Fund - Growth-Direct Plan - ISIN: INF209K01XX1(Advisor: DIRECT)",
                ))],
            },
        ],
    );
    reconciled(&p);
    // Same folio number under two fund houses: two folios, no bogus extra ones (#120).
    assert_eq!(p.mutual_funds.len(), 3);
    let amcs: Vec<(&str, &str)> = p
        .mutual_funds
        .iter()
        .map(|f| (f.amc.as_str(), f.schemes[0].name.as_str()))
        .collect();
    assert_eq!(
        amcs,
        [
            (
                "Nippon India Mutual Fund",
                "Nippon India Large Cap Fund - Growth Plan"
            ),
            (
                "PPFAS Mutual Fund",
                "Parag Parikh Flexi Cap Fund - Direct Plan - Growth"
            ),
            (
                "Aditya Birla Sun Life Mutual Fund",
                "Aditya Birla Sun Life Flexi Cap Fund - Growth-Direct Plan"
            ),
        ]
    );
}

// ---------------------------------------------------------------- A.2 folio lines

// test_helpers.py::TestFolioHeaderGuard (gift branch); catalogue A.2 #5
#[test]
fn full_folio_line() {
    assert_eq!(
        folio_of("Folio No: 12345678901 PAN: ABCDE1234F KYC: OK PAN: OK"),
        ("12345678901".into(), s("ABCDE1234F"), s("OK"))
    );
}

// test_helpers.py::TestFolioHeaderGuard; catalogue A.2 #6
#[test]
fn sub_account_folio_without_pan() {
    assert_eq!(
        folio_of("Folio No: 12124203 / 63 KYC: OK"),
        ("12124203 / 63".into(), None, s("OK"))
    );
}

// casparser #28 (folio without PAN; fixed 45e36b5)
#[test]
fn folio_without_pan_keeps_pan_status_out_of_the_pan() {
    assert_eq!(
        folio_of("Folio No: 12345678 / 90 KYC: OK  PAN: OK"),
        ("12345678 / 90".into(), None, s("OK"))
    );
}

// casparser #16 (tab-separated folio line with masked PAN)
#[test]
fn folio_line_in_separate_runs_with_masked_pan() {
    let mut l = Layout::new(Issuer::Cams, "01-Jan-2025 To 31-Dec-2025");
    let blocks = vec![plain(vec![
        "DEMO INVESTOR",
        "GD65-IDFC Low Duration Fund-Growth-(Direct Plan) (Advisor: INA000000000) Registrar : CAMS",
    ])];
    let folios = [Folio {
        amc: AMC,
        line: "",
        blocks,
    }];
    investor_and_summary(&mut l, &folios);
    l.table_header();
    l.line(AMC);
    l.at(X_DATE, "Folio No: 0000000 / 00");
    l.at(180.0, "PAN: XXXXX0000X");
    l.at(300.0, "KYC: OK  PAN: OK");
    l.next();
    draw_block(&mut l, &folios[0].blocks[0]);
    let p = cas_parser::read(&l.statement()).unwrap();
    reconciled(&p);
    let f = only_folio(&p);
    assert_eq!(f.folio_number, "0000000 / 00");
    assert_eq!(f.additional_info.pan.as_deref(), Some("XXXXX0000X"));
    assert_eq!(f.additional_info.kyc.as_deref(), Some("OK"));
}

// casparser #14: a bare `Folio No: 99999999` at the end of the line (v0.7.3–0.9 missed it)
#[test]
fn bare_folio_number() {
    assert_eq!(
        folio_of("Folio No: 99999999"),
        ("99999999".into(), None, None)
    );
}

// catalogue A.2 #10 (NOT OK statuses, every version)
#[test]
fn kyc_not_ok() {
    assert_eq!(
        folio_of("Folio No: 1234567 PAN: ABCDE1234F KYC: NOT OK PAN: NOT OK"),
        ("1234567".into(), s("ABCDE1234F"), s("NOT OK"))
    );
}

// casparser #134 follow-up; gift branch 0f01293 test_gifts / TestFolioHeaderGuard: a row that
// names a folio is a transaction, not a folio heading.
#[test]
fn gift_rows_mentioning_a_folio_are_transactions() {
    let p = one(
        FOLIO,
        vec![Block {
            heading: vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ],
            open: "8,224.686",
            rows: vec![
                (
                    "14-Nov-2025",
                    "Gifting of units-TO Folio No: 12345678901",
                    ["(547,682.99)", "(4,085.662)", "134.05", "4,139.024"],
                ),
                (
                    "20-Nov-2025",
                    "Gifting of units - To Folio No.87654321",
                    ["(390,800.80)", "(4,139.024)", "94.4180", "0.000"],
                ),
            ],
            close: "0.000",
            nav: "95.0000",
            cost: "0.00",
            value: "0.00",
        }],
    );
    reconciled(&p);
    let sc = only_scheme(&p);
    assert_eq!(only_folio(&p).folio_number, "1234567 / 89");
    assert_eq!(sc.transactions.len(), 2);
    let t = tx(sc, 0);
    assert_eq!(t.date, "2025-11-14");
    assert_eq!(t.amount, opt("-547682.99"));
    assert_eq!(t.units, opt("-4085.662"));
    assert_eq!(t.nav, opt("134.05"));
    assert_eq!(tx(sc, 1).units, opt("-4139.024"));
    assert_eq!(tx(sc, 1).balance, opt("0"));
}

// casparser #16 (Regular→Direct switch: Switch In printed before Switch Out; one close per scheme)
#[test]
fn one_folio_with_two_schemes_keeps_each_close() {
    let p = one(
        "Folio No: 0000000 / 00    PAN: ABCDE1234F    KYC: OK  PAN: OK",
        vec![
            Block {
                heading: vec![
                    "DEMO INVESTOR",
                    "GD65-IDFC Low Duration Fund-Growth-(Direct Plan) (Advisor: INA000000000) Registrar : CAMS",
                ],
                open: "0.000",
                rows: vec![(
                    "14-Aug-2025",
                    "NORMAL SWITCH - From IDFC Low Duration Fund-Gr-(Reg Pln)-BSE -",
                    ["202.98", "7.350", "27.6156", "7.350"],
                )],
                close: "7.350",
                nav: "30.3779",
                cost: "202.98",
                value: "223.28",
            },
            Block {
                heading: vec![
                    "G65-IDFC Low Duration Fund-Growth-(Regular Plan) (Advisor: INA000000000) Registrar : CAMS",
                ],
                open: "7.360",
                rows: vec![(
                    "14-Aug-2025",
                    "NORMAL SWITCH - To IDFC Low Duration Fund-Growth-(Direct Plan)-BSE -",
                    ["(202.98)", "(7.360)", "27.5788", "0.000"],
                )],
                close: "0.000",
                nav: "30.1000",
                cost: "0.00",
                value: "0.00",
            },
        ],
    );
    reconciled(&p);
    let f = only_folio(&p);
    assert_eq!(f.schemes.len(), 2);
    assert_eq!(f.schemes[0].units, d("7.350"));
    assert_eq!(f.schemes[0].value, d("223.28"));
    assert_eq!(f.schemes[1].units, d("0"));
    assert_eq!(f.schemes[1].additional_info.open_units, opt("7.360"));
    // catalogue A.5 #34: the switch row's numbers.
    let t = tx(&f.schemes[0], 0);
    assert_eq!(
        (t.amount, t.units, t.nav, t.balance),
        (opt("202.98"), opt("7.350"), opt("27.6156"), opt("7.350"))
    );
    assert_eq!(tx(&f.schemes[1], 0).amount, opt("-202.98"));
}

// ---------------------------------------------------------------- A.3 scheme headers

/// The one scheme of a one-folio statement whose heading is `heading`.
fn scheme_of(heading: Vec<&str>) -> Scheme {
    let p = one(FOLIO, vec![plain(heading)]);
    reconciled(&p);
    only_scheme(&p).clone()
}

fn registrar_of(heading: Vec<&str>) -> Option<String> {
    let p = one(FOLIO, vec![plain(heading)]);
    reconciled(&p);
    only_folio(&p).registrar.clone()
}

// casparser #7 (no advisor; regressed 843f899, fixed 19528ac)
#[test]
fn header_without_advisor() {
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "B205RG-Some Fund - Regular Plan - Growth - ISIN: INF209K01YY2 Registrar : CAMS",
    ]);
    assert_eq!(sc.name, "Some Fund - Regular Plan - Growth");
    assert_eq!(sc.isin.as_deref(), Some("INF209K01YY2"));
    assert_eq!(sc.additional_info.advisor, None);
}

// cams2csv #19 (2023+ format: inline ISIN, Non-Demat, no space before `(Advisor:`)
#[test]
fn inline_isin_and_non_demat() {
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "B51Z-Aditya Birla Sun Life Flexi Cap Fund - Growth-Direct Plan (Non-Demat) - ISIN: INF209K01XX1(Advisor: DIRECT) Registrar : CAMS",
    ]);
    assert_eq!(
        sc.name,
        "Aditya Birla Sun Life Flexi Cap Fund - Growth-Direct Plan"
    );
    assert_eq!(sc.isin.as_deref(), Some("INF209K01XX1"));
    assert_eq!(sc.additional_info.advisor.as_deref(), Some("DIRECT"));
}

// cams2csv #18 (3-line header, erstwhile/formerly, nominee line)
#[test]
fn wrapped_header_with_erstwhile_formerly_and_nominee() {
    let sc = scheme_of(vec![
        "XXXXX XXXXX",
        "P8042-ICICI Prudential Large Cap Fund (erstwhile Bluechip Fund) - Direct Plan - Growth (formerly ICICI Prudential Focused Bluechip Equity",
        "Fund) (Non-Demat) - ISIN: INF109K016L0(Advisor: DIRECT)",
        "Registrar : CAMS",
        "Nominee 1:    XXXXX XXXXX     Nominee 2:      Nominee 3:",
    ]);
    assert_eq!(
        sc.name,
        "ICICI Prudential Large Cap Fund - Direct Plan - Growth"
    );
    assert_eq!(sc.isin.as_deref(), Some("INF109K016L0"));
    assert_eq!(sc.additional_info.advisor.as_deref(), Some("DIRECT"));
    assert_eq!(sc.nominees, ["XXXXX XXXXX"]);
}

// test_process.py::test_parsed_scheme_name, test_helpers.py::TestParsedSchemeName, casparser #62
#[test]
fn scheme_name_cleanup() {
    let cases = [
        (
            "128TSDGG-Axis Long Term Equity Fund - Direct Growth",
            "Axis Long Term Equity Fund - Direct Growth",
        ),
        (
            "HGFG-Axis Bluechip Fund - Regular Growth ",
            "Axis Bluechip Fund - Regular Growth",
        ),
        (
            "LT123-HSBC Corporate Bond Fund - Regular Growth (Formerly known as L&T Triple Ace Bond Fund - Growth)",
            "HSBC Corporate Bond Fund - Regular Growth",
        ),
        (
            "G382-Bandhan ELSS Tax saver Fund-Growth-(Regular Plan)(erstwhile Bandhan Tax Advantage ELSS Fund-Growth-Regular Plan)",
            "Bandhan ELSS Tax saver Fund-Growth-(Regular Plan)",
        ),
        (
            "G106-Bandhan Liquid Fund-Growth-(Regular Plan) (erstwhile IDFC Cash Fund-Growth-Regular Plan) (Non-Demat) ",
            "Bandhan Liquid Fund-Growth-(Regular Plan)",
        ),
    ];
    for (line, name) in cases {
        let line = format!("{line} - ISIN: INF000K01AB1(Advisor: DIRECT)");
        let sc = scheme_of(vec!["DEMO INVESTOR", &line, "Registrar : CAMS"]);
        assert_eq!(sc.name, name, "{line}");
        assert_eq!(sc.isin.as_deref(), Some("INF000K01AB1"), "{line}");
    }
}

// casparser 07e3dec (ISIN spliced mid-name of an IDCW scheme; keep `Payout`)
#[test]
fn isin_mid_name_keeps_the_payout_qualifier() {
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "FTI006-Franklin India BLUECHIP FUND - IDCW# - ISIN: INF090I01155 - Payout (Advisor: ARN-0007) Registrar : CAMS",
    ]);
    assert_eq!(sc.name, "Franklin India BLUECHIP FUND - IDCW# - Payout");
    assert_eq!(sc.isin.as_deref(), Some("INF090I01155"));
    assert_eq!(sc.additional_info.advisor.as_deref(), Some("ARN-0007"));
}

// casparser d7f196b: a bare `WEALTH)` line completes `(Advisor:`
#[test]
fn advisor_completed_by_a_bare_word() {
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "MA118-Mirae Asset Large Cap Fund - Direct Plan - Growth - ISIN: INF769K01BI1(Advisor: DEMO",
        "WEALTH) Registrar : CAMS",
    ]);
    assert_eq!(sc.name, "Mirae Asset Large Cap Fund - Direct Plan - Growth");
    assert_eq!(sc.additional_info.advisor.as_deref(), Some("DEMO WEALTH"));
}

// casparser #22 (fixed 0.4.2): a lone `Registrar : CAMS` line above a long scheme name
#[test]
fn registrar_line_above_the_scheme_line() {
    let p = one(
        FOLIO,
        vec![plain(vec![
            "DEMO INVESTOR",
            "Registrar : CAMS",
            "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT)",
        ])],
    );
    reconciled(&p);
    let sc = only_scheme(&p);
    assert_eq!(sc.name, "Demo Flexi Cap Fund - Direct Plan - Growth");
    assert_eq!(sc.isin.as_deref(), Some("INF000K01AB1"));
    assert_eq!(only_folio(&p).registrar.as_deref(), Some("CAMS"));
}

// casparser #73 (fixed 0.7.1): a long scheme name over two rows is one name
#[test]
fn long_scheme_name_over_two_rows() {
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "LD346G-My long mutual fund scheme name ELSS -",
        "Direct growth plan - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
    ]);
    assert_eq!(
        sc.name,
        "My long mutual fund scheme name ELSS - Direct growth plan"
    );
    assert_eq!(sc.isin.as_deref(), Some("INF000K01AB1"));
}

// casparser #90 (`176OND3`, IDCW in the name), catalogue A.3 #24 (`127 CPGPG` with a space)
#[test]
fn scheme_code_shapes_and_idcw_in_names() {
    let cases = [
        (
            "127 CPGPG-Motilal Oswal Midcap Fund - Direct Plan - Growth",
            "Motilal Oswal Midcap Fund - Direct Plan - Growth",
        ),
        (
            "176OND3-Sundaram Overnight Fund Unclaimed IDCW# beyond three year",
            "Sundaram Overnight Fund Unclaimed IDCW# beyond three year",
        ),
        (
            "128TSGPG-Axis Long Term Equity Fund - Regular Growth",
            "Axis Long Term Equity Fund - Regular Growth",
        ),
        (
            "P8096-ICICI Prudential Balanced Advantage Fund - IDCW Payout",
            "ICICI Prudential Balanced Advantage Fund - IDCW Payout",
        ),
    ];
    for (line, name) in cases {
        let line = format!("{line} - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS");
        let sc = scheme_of(vec!["DEMO INVESTOR", &line]);
        assert_eq!(sc.name, name, "{line}");
        assert_eq!(sc.transactions.len(), 1, "{line}");
    }
}

// casparser #16: the footer after the closing line is not a scheme; `Entry Load - NIL` is no code
#[test]
fn footer_text_after_a_scheme_is_not_a_scheme() {
    let p = one(
        FOLIO,
        vec![
            plain(vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ]),
            plain(vec![
                "\"Entry Load: Nil - Exit Load : Nil  W.E.F 29/June/2012 . Please refer the Offer Document / Addendum",
                "Entry Load - NIL Exit Load - 1% if redeemed within 1 year",
                "P8096-ICICI Prudential Balanced Advantage Fund - Direct Plan - Growth - ISIN: INF109K01BH2(Advisor: DIRECT) Registrar : CAMS",
            ]),
        ],
    );
    reconciled(&p);
    let f = only_folio(&p);
    let names: Vec<&str> = f.schemes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Demo Flexi Cap Fund - Direct Plan - Growth",
            "ICICI Prudential Balanced Advantage Fund - Direct Plan - Growth"
        ]
    );
}

// catalogue A.3 #26 (registrar token variants)
#[test]
fn registrar_token_variants() {
    for (token, expected) in [("CAMS", "CAMS"), ("KFINTECH", "KFINTECH")] {
        let line = format!(
            "K168D-Demo Small Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : {token}"
        );
        let registrar = registrar_of(vec!["DEMO INVESTOR", &line]);
        assert_eq!(registrar.as_deref(), Some(expected), "{token}");
    }
}

// casparser 789865d: fragments of the rotated watermark (`CAMS L`, `V`, `iv`) are not the registrar
// nor part of the name.
#[test]
fn watermark_fragments_stay_out_of_the_header() {
    let mut l = Layout::new(Issuer::Kfintech, "01-Jan-2025 To 31-Dec-2025");
    let b = plain(vec![]);
    let folios = [Folio {
        amc: AMC,
        line: FOLIO,
        blocks: vec![plain(vec![])],
    }];
    investor_and_summary(&mut l, &folios);
    l.table_header();
    l.line(AMC);
    l.line(FOLIO);
    l.line("DEMO INVESTOR");
    l.at(
        X_DATE,
        "K168D-Demo Small Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT)",
    );
    l.at(480.0, "Registrar : KFINTECH");
    l.at(580.0, "CAMS L");
    l.next();
    draw_block(&mut l, &b);
    let p = cas_parser::read(&l.statement()).unwrap();
    reconciled(&p);
    let sc = only_scheme(&p);
    assert_eq!(sc.name, "Demo Small Cap Fund - Direct Plan - Growth");
    assert_eq!(only_folio(&p).registrar.as_deref(), Some("KFINTECH"));
}

// catalogue A.3 #27: nominee slots, empty ones dropped; the line printed below a scheme heading
#[test]
fn nominees_with_empty_slots_dropped() {
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
        "Nominee 1: Asha Rao    Nominee 2: Ravi Kumar    Nominee 3:",
    ]);
    assert_eq!(sc.nominees, ["Asha Rao", "Ravi Kumar"]);
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
        "Nominee 1:    Nominee 2:    Nominee 3:",
    ]);
    assert!(sc.nominees.is_empty(), "{:?}", sc.nominees);
}

// ---------------------------------------------------------------- A.4 opening / closing

// casparser #16: Closing + NAV + Valuation on one line (older footer)
#[test]
fn closing_nav_and_valuation_on_one_line() {
    let mut l = Layout::new(Issuer::Cams, "01-Jan-2025 To 31-Dec-2025");
    let folios = [Folio {
        amc: AMC,
        line: FOLIO,
        blocks: vec![Block {
            heading: vec![],
            open: "",
            rows: vec![],
            close: "",
            nav: "",
            cost: "0.00",
            value: "223.28",
        }],
    }];
    investor_and_summary(&mut l, &folios);
    l.table_header();
    l.line(AMC);
    l.line(FOLIO);
    l.line("DEMO INVESTOR");
    l.line(
        "GD65-IDFC Low Duration Fund-Growth-(Direct Plan) (Advisor: INA000000000) Registrar : CAMS",
    );
    l.at(X_DESC, "Opening Unit Balance: 7.350");
    l.next();
    l.at(X_DESC, "Closing Unit Balance: 7.350");
    l.at(250.0, "NAV on 22-Dec-2025: INR 30.3779");
    l.at(420.0, "Valuation on 22-Dec-2025: INR 223.28");
    l.next();
    l.line("\"Entry Load: Nil - Exit Load : Nil  W.E.F 29/June/2012 . Please refer the Offer Document / Addendum");
    let p = cas_parser::read(&l.statement()).unwrap();
    reconciled(&p);
    let sc = only_scheme(&p);
    assert_eq!(sc.units, d("7.350"));
    assert_eq!(sc.nav, d("30.3779"));
    assert_eq!(sc.value, d("223.28"));
    assert_eq!(sc.valuation_date.as_deref(), Some("2025-12-22"));
    assert_eq!(sc.name, "IDFC Low Duration Fund-Growth-(Direct Plan)");
}

// catalogue A.4 #30: `Total Cost Value` / `Market Value on` (2023+ footer)
#[test]
fn cost_and_market_value_footer() {
    let p = folio_of_portfolio();
    reconciled(&p);
    let sc = only_scheme(&p);
    assert_eq!(sc.cost, opt("1000.00"));
    assert_eq!(sc.value, d("1000.00"));
    assert_eq!(sc.nav, d("100.0000"));
    assert_eq!(sc.valuation_date.as_deref(), Some("2025-12-31"));
    assert_eq!(p.summary.total_value, d("1000.00"));
}

// catalogue A.4 #31: a redeemed scheme keeps its NAV and transactions
#[test]
fn zero_balance_scheme_is_kept() {
    let p = one(
        FOLIO,
        vec![Block {
            heading: vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ],
            open: "10.000",
            rows: vec![(
                "10-Mar-2025",
                "Redemption - Online - Bank Payout",
                ["(1,100.00)", "(10.000)", "110.0000", "0.000"],
            )],
            close: "0.000",
            nav: "120.0000",
            cost: "0.00",
            value: "0.00",
        }],
    );
    reconciled(&p);
    let sc = only_scheme(&p);
    assert_eq!(sc.units, d("0"));
    assert_eq!(sc.value, d("0"));
    assert_eq!(sc.nav, d("120.0000"));
    assert_eq!(sc.transactions.len(), 1);
    assert_eq!(tx(sc, 0).kind, "REDEMPTION");
    assert_eq!(tx(sc, 0).amount, opt("-1100.00"));
}

// catalogue A.4 #32: NAV printed as `N.A.` on a zero balance
#[test]
fn nav_not_available() {
    let p = one(
        FOLIO,
        vec![Block {
            heading: vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ],
            open: "0.000",
            rows: vec![],
            close: "0.000",
            nav: "N.A.",
            cost: "0.00",
            value: "0.00",
        }],
    );
    reconciled(&p);
    let sc = only_scheme(&p);
    assert_eq!(sc.units, d("0"));
    assert_eq!(sc.nav, d("0"));
    assert_eq!(sc.value, d("0"));
}

// casparser #23 (ef36eb5): a unit balance printed negative from AMC rounding
#[test]
fn negative_unit_balance() {
    let p = one(
        FOLIO,
        vec![Block {
            heading: vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ],
            open: "10.000",
            rows: vec![(
                "10-Mar-2025",
                "Redemption - Online - Bank Payout",
                ["(1,000.10)", "(10.001)", "100.0000", "(0.001)"],
            )],
            close: "(0.001)",
            nav: "100.0000",
            cost: "0.00",
            value: "0.00",
        }],
    );
    let sc = only_scheme(&p);
    assert_eq!(tx(sc, 0).balance, opt("-0.001"));
    assert_eq!(tx(sc, 0).units, opt("-10.001"));
    assert_eq!(sc.units, d("-0.001"));
}

// ---------------------------------------------------------------- A.5 transaction rows

/// The transactions of a one-scheme statement whose rows are `rows`, with its opening and
/// closing balances; asserts the statement reconciles when `consistent`.
fn rows_of(open: &str, rows: Vec<Row>, close: &str, consistent: bool) -> Portfolio {
    let nav = "10.0000";
    let value = format!("{:.2}", printed(close) * d(nav));
    let value: &'static str = Box::leak(value.into_boxed_str());
    let p = one(
        FOLIO,
        vec![Block {
            heading: vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ],
            open,
            rows,
            close,
            nav,
            cost: "0.00",
            value,
        }],
    );
    if consistent {
        reconciled(&p);
    }
    p
}

fn numbers(t: &Transaction) -> [Option<Decimal>; 4] {
    [t.amount, t.units, t.nav, t.balance]
}

// test_process.py::test_transaction_type; casparser #46 (Franklin segregated portfolio)
#[test]
fn segregated_portfolio_rows() {
    let p = rows_of(
        "0.000",
        vec![
            (
                "01-Jan-2025",
                "Creation of units - Segregated Portfolio",
                ["", "1.000", "", "1.000"],
            ),
            (
                "24-Jan-2025",
                "Creation of units - Segregated Portfolio",
                ["", "215,930.176", "", "215,931.176"],
            ),
            (
                "24-Jan-2025",
                "Creation of units - Segregated Portfolio",
                ["", "0.008", "", "215,931.184"],
            ),
            (
                "15-Mar-2025",
                "Payment - Units Extinguished",
                ["(1,338.33)", "(16,360.996)", "0.0818", "199,570.188"],
            ),
        ],
        "199,570.188",
        true,
    );
    let sc = only_scheme(&p);
    assert_eq!(sc.transactions.len(), 4);
    assert_eq!(numbers(tx(sc, 0)), [None, opt("1.000"), None, opt("1.000")]);
    assert_eq!(tx(sc, 0).kind, "SEGREGATION");
    assert_eq!(tx(sc, 1).units, opt("215930.176"));
    assert_eq!(tx(sc, 1).balance, opt("215931.176"));
    assert_eq!(tx(sc, 2).units, opt("0.008"));
    assert_eq!(tx(sc, 2).balance, opt("215931.184"));
    assert_eq!(tx(sc, 2).kind, "SEGREGATION");
    // catalogue A.5 #45: parenthesised negatives.
    assert_eq!(
        numbers(tx(sc, 3)),
        [
            opt("-1338.33"),
            opt("-16360.996"),
            opt("0.0818"),
            opt("199570.188")
        ]
    );
    assert_eq!(tx(sc, 3).kind, "REDEMPTION");
}

// casparser #46: the segregated scheme's name, with `%`, a date and a nested bracket
#[test]
fn segregated_portfolio_scheme_name() {
    let sc = scheme_of(vec![
        "DEMO INVESTOR",
        "FTI880-Franklin India Credit Risk Fund- Segregated Portfolio 1 (8.25% Vodafone Idea Ltd-10JUL20-Growth Plan) - ISIN: INF090I01TJ6(Advisor: ICICIRON) Registrar : CAMS",
    ]);
    assert_eq!(
        sc.name,
        "Franklin India Credit Risk Fund- Segregated Portfolio 1 (8.25% Vodafone Idea Ltd-10JUL20-Growth Plan)"
    );
    assert_eq!(sc.isin.as_deref(), Some("INF090I01TJ6"));
    assert_eq!(sc.additional_info.advisor.as_deref(), Some("ICICIRON"));
}

// test_process.py (casparser #88): blank Units column in an IDCW reinvestment row
#[test]
fn blank_units_column() {
    let p = rows_of(
        "12.340",
        vec![(
            "01-Jan-2025",
            "IDCW Reinvestment @ Rs.0.003 per unit",
            ["0.32", "", "1001.40", "12.34"],
        )],
        "12.340",
        true,
    );
    let t = tx(only_scheme(&p), 0);
    assert_eq!(
        numbers(t),
        [opt("0.32"), None, opt("1001.40"), opt("12.34")]
    );
    assert_eq!(t.kind, "DIVIDEND_REINVEST");
    assert_eq!(t.dividend_rate, opt("0.003"));
}

// folioman #80 (`*** Stamp Duty ***` after a SIP), #80 allotment with units only
#[test]
fn stamp_duty_row_and_units_only_allotment() {
    let p = rows_of(
        "11.780",
        vec![
            (
                "01-Nov-2025",
                "SIP Purchase-BSE - - INA200005166",
                ["699.97", "4.052", "172.76", "15.832"],
            ),
            ("01-Nov-2025", "*** Stamp Duty ***", ["0.03", "", "", ""]),
            (
                "05-Nov-2025",
                "Additional Allotment Appln : 1112011072 - INA200005166",
                ["", "0.010", "", "15.842"],
            ),
        ],
        "15.842",
        true,
    );
    let sc = only_scheme(&p);
    assert_eq!(
        numbers(tx(sc, 0)),
        [opt("699.97"), opt("4.052"), opt("172.76"), opt("15.832")]
    );
    assert_eq!(tx(sc, 0).kind, "PURCHASE_SIP");
    assert_eq!(numbers(tx(sc, 1)), [opt("0.03"), None, None, None]);
    assert_eq!(tx(sc, 1).kind, "STAMP_DUTY_TAX");
    assert_eq!(
        numbers(tx(sc, 2)),
        [None, opt("0.010"), None, opt("15.842")]
    );
    assert_eq!(tx(sc, 2).kind, "PURCHASE");
}

// test_process.py::test_transaction_type / test_basic_types: tax and marker rows
#[test]
fn tax_and_marker_rows() {
    let p = rows_of(
        "10.000",
        vec![
            ("02-Jan-2025", "***STT paid ***", ["0.05", "", "", ""]),
            ("03-Jan-2025", "*** TDS on Above ***", ["1.20", "", "", ""]),
            ("04-Jan-2025", "***stamp duty***", ["0.01", "", "", ""]),
            ("05-Jan-2025", "***Address updated***", ["", "", "", ""]),
        ],
        "10.000",
        true,
    );
    let kinds: Vec<&str> = only_scheme(&p)
        .transactions
        .iter()
        .map(|t| t.kind.as_str())
        .collect();
    assert_eq!(kinds, ["STT_TAX", "TDS_TAX", "STAMP_DUTY_TAX", "MISC"]);
    let t = tx(only_scheme(&p), 0);
    assert_eq!(numbers(t), [opt("0.05"), None, None, None]);
}

// casparser #10 / PR #21 (IDFC dividend payout with only an amount)
#[test]
fn dividend_payout_amount_only() {
    let p = rows_of(
        "10.000",
        vec![
            (
                "02-Jan-2025",
                "***Dividend @ Rs.0.88540900 per unit***",
                ["8.85", "", "", ""],
            ),
            (
                "03-Feb-2025",
                "IDCW Paid @ Rs.0.06 per unit",
                ["0.60", "", "", ""],
            ),
        ],
        "10.000",
        true,
    );
    let sc = only_scheme(&p);
    assert_eq!(numbers(tx(sc, 0)), [opt("8.85"), None, None, None]);
    assert_eq!(tx(sc, 0).kind, "DIVIDEND_PAYOUT");
    assert_eq!(tx(sc, 0).dividend_rate, opt("0.88540900"));
    assert_eq!(tx(sc, 1).kind, "DIVIDEND_PAYOUT");
    assert_eq!(tx(sc, 1).dividend_rate, opt("0.06"));
}

// test_helpers.py::TestTransactionType::test_dividends (62c7484: the last two were PAYOUT ≤1.0.1)
#[test]
fn dividend_reinvest_variants() {
    let cases = [
        ("IDCW Reinvestment @ Rs.2.00 per unit", "2.00"),
        ("IDCW Reinvested @ Rs.0.0241 per unit", "0.0241"),
        ("Reinvestment of IDCW @ Rs.0.0241 per unit", "0.0241"),
        ("IDCW - Reinvest @ Rs.0.06 per unit", "0.06"),
    ];
    let rows: Vec<Row> = cases
        .iter()
        .map(|(desc, _)| ("10-Jan-2025", *desc, ["10.00", "1.000", "10.0000", ""]))
        .collect();
    let p = rows_of("0.000", rows, "4.000", false);
    let sc = only_scheme(&p);
    assert_eq!(sc.transactions.len(), 4);
    for (t, (desc, rate)) in sc.transactions.iter().zip(cases) {
        assert_eq!(t.kind, "DIVIDEND_REINVEST", "{desc}");
        assert_eq!(t.dividend_rate, opt(rate), "{desc}");
        assert_eq!(t.units, opt("1.000"), "{desc}");
    }
}

// casparser #54: an amount-only row after a zero balance is not units
#[test]
fn amount_only_row_after_zero_balance() {
    let p = rows_of(
        "10.000",
        vec![
            (
                "10-Mar-2025",
                "Redemption - Online - Bank Payout",
                ["(100.00)", "(10.000)", "10.0000", "0.000"],
            ),
            (
                "20-Mar-2025",
                "*** Late Payment Received ***",
                ["320.00", "", "", ""],
            ),
        ],
        "0.000",
        true,
    );
    let sc = only_scheme(&p);
    assert_eq!(numbers(tx(sc, 1)), [opt("320.00"), None, None, None]);
    assert_eq!(sc.units, d("0"));
}

// test_helpers.py::TestReconcileBalances: a running-balance jump is reported
#[test]
fn running_balance_discontinuity_is_a_warning() {
    let p = rows_of(
        "0.000",
        vec![
            (
                "10-Jan-2025",
                "Purchase - via Distributor",
                ["1,000.00", "100.000", "10.0000", "100.000"],
            ),
            (
                "10-Feb-2025",
                "Purchase - via Distributor",
                ["1,000.00", "100.000", "10.0000", "300.000"],
            ),
        ],
        "300.000",
        false,
    );
    assert!(!p.meta.reconciled);
    assert!(!p.warnings.is_empty());
}

// test_helpers.py::TestReconcileBalances: a STT row reprinting the balance is no discontinuity
#[test]
fn stt_row_reprinting_the_balance_is_consistent() {
    rows_of(
        "0.000",
        vec![
            (
                "10-Jan-2025",
                "Purchase - via Distributor",
                ["1,000.00", "100.000", "10.0000", "100.000"],
            ),
            (
                "10-Jan-2025",
                "*** STT Paid ***",
                ["0.01", "", "", "100.000"],
            ),
        ],
        "100.000",
        true,
    );
}

// test_helpers.py::TestReconcileBalances: closing balance that the rows do not reach
#[test]
fn closing_balance_mismatch_is_a_warning() {
    let p = rows_of(
        "0.000",
        vec![
            (
                "10-Jan-2025",
                "Purchase - via Distributor",
                ["1,000.00", "100.000", "10.0000", "100.000"],
            ),
            (
                "10-Feb-2025",
                "Purchase - via Distributor",
                ["500.00", "50.000", "10.0000", ""],
            ),
        ],
        "200.000",
        false,
    );
    assert!(!p.meta.reconciled);
    assert!(!p.warnings.is_empty());
}

// catalogue A.5 #47: older templates print no Price
#[test]
fn blank_price_column() {
    let p = rows_of(
        "0.000",
        vec![(
            "10-Jan-2025",
            "Purchase - via Distributor",
            ["1,000.00", "100.000", "", "100.000"],
        )],
        "100.000",
        true,
    );
    let t = tx(only_scheme(&p), 0);
    assert_eq!(t.amount, opt("1000.00"));
    assert_eq!(t.units, opt("100.000"));
    assert_eq!(t.balance, opt("100.000"));
}

// catalogue A.5 #48: dated footnotes and bare dates are no transactions
#[test]
fn dated_footnote_is_not_a_row() {
    let p = rows_of(
        "0.000",
        vec![
            (
                "10-Jan-2025",
                "Purchase - via Distributor",
                ["1,000.00", "100.000", "10.0000", "100.000"],
            ),
            (
                "01-Apr-2025",
                "Effective from this date stamp duty of 0.005% is levied on purchases",
                ["", "", "", ""],
            ),
            ("02-Apr-2025", "", ["", "", "", ""]),
        ],
        "100.000",
        true,
    );
    let sc = only_scheme(&p);
    assert_eq!(sc.transactions.len(), 1);
    assert_eq!(tx(sc, 0).description, "Purchase - via Distributor");
}

// catalogue A.5 #50 (DESCRIPTION_TAIL_RE dcb9d77; 0663b54): wrapped descriptions are joined
#[test]
fn wrapped_description_is_joined() {
    let p = rows_of(
        "0.000",
        vec![
            (
                "10-Jan-2025",
                "Systematic Investment (1) - Instalment 3/120 -",
                ["1,000.00", "100.000", "10.0000", "100.000"],
            ),
            ("", "via BSE StAR MF Platform, Mumbai", ["", "", "", ""]),
            (
                "10-Feb-2025",
                "Switch In - From Flexi Cap Fund",
                ["500.00", "50.000", "10.0000", "150.000"],
            ),
            ("", "Direct Growth", ["", "", "", ""]),
        ],
        "150.000",
        true,
    );
    let sc = only_scheme(&p);
    assert_eq!(sc.transactions.len(), 2);
    assert_eq!(
        tx(sc, 0).description,
        "Systematic Investment (1) - Instalment 3/120 - via BSE StAR MF Platform, Mumbai"
    );
    assert_eq!(tx(sc, 0).kind, "PURCHASE_SIP");
    assert_eq!(
        tx(sc, 1).description,
        "Switch In - From Flexi Cap Fund Direct Growth"
    );
    assert_eq!(tx(sc, 1).kind, "SWITCH_IN");
}

// casparser #14 / catalogue A.5 #51: the KFintech header on four baselines within ~11 pt
#[test]
fn kfintech_four_baseline_table_header() {
    let mut l = Layout::new(Issuer::Kfintech, "01-Jan-2025 To 31-Dec-2025");
    let folios = [Folio {
        amc: AMC,
        line: FOLIO,
        blocks: vec![Block {
            heading: vec![],
            open: "",
            rows: vec![],
            close: "",
            nav: "",
            cost: "1,000.00",
            value: "1,000.00",
        }],
    }];
    investor_and_summary(&mut l, &folios);
    let [amount, units, price, balance] = X_NUMBERS;
    let top = 600.0;
    l.run(amount - 30.0, top, "Amount");
    l.run(price - 15.0, top, "NAV");
    l.run(balance - 20.0, top - 3.5, "Unit");
    l.run(X_DATE, top - 6.0, "Date");
    l.run(X_DESC, top - 6.0, "Transaction");
    l.run(units - 25.0, top - 6.0, "Units");
    l.run(amount - 25.0, top - 11.0, "(INR)");
    l.run(price - 25.0, top - 11.0, "(INR)");
    l.run(balance - 35.0, top - 11.0, "Balance");
    let mut y = top - 30.0;
    l.run(X_DATE, y, AMC);
    y -= 10.5;
    let put = |l: &mut Layout, x: f32, text: &str, y: f32| l.run(x, y, text);
    put(&mut l, X_DATE, FOLIO, y);
    y -= 10.5;
    put(&mut l, X_DATE, "DEMO INVESTOR", y);
    y -= 10.5;
    put(
        &mut l,
        X_DATE,
        "K168D-Demo Small Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : KFINTECH",
        y,
    );
    y -= 10.5;
    put(&mut l, X_DESC, "Opening Unit Balance: 0.000", y);
    y -= 10.5;
    put(&mut l, X_DATE, "10-Feb-2025", y);
    put(&mut l, X_DESC, "Purchase - via Distributor", y);
    for (n, right) in ["1,000.00", "10.000", "100.0000", "10.000"]
        .iter()
        .zip(X_NUMBERS)
    {
        put(&mut l, right - common::layout::width(n), n, y);
    }
    y -= 10.5;
    put(&mut l, X_DESC, "Closing Unit Balance: 10.000", y);
    put(&mut l, 300.0, "NAV on 31-Dec-2025: INR 100.0000", y);
    y -= 10.5;
    put(&mut l, X_DESC, "Total Cost Value: 1,000.00", y);
    put(&mut l, 300.0, "Valuation on 31-Dec-2025: INR 1,000.00", y);
    let p = cas_parser::read(&l.statement()).unwrap();
    reconciled(&p);
    let t = tx(only_scheme(&p), 0);
    assert_eq!(
        numbers(t),
        [
            opt("1000.00"),
            opt("10.000"),
            opt("100.0000"),
            opt("10.000")
        ]
    );
    assert_eq!(t.kind, "PURCHASE");
}

// catalogue A.2 #9/#12 and the generator's long folio numbers: 12-digit and slashed numbers
#[test]
fn slashed_and_long_folio_numbers() {
    assert_eq!(
        folio_of("Folio No: 910112345678    KYC: OK    PAN: OK").0,
        "910112345678"
    );
    assert_eq!(
        folio_of("Folio No: 4567/12    PAN: ABCDE1234F    KYC: OK    PAN: OK").0,
        "4567/12"
    );
}

// casparser v1.0 (`Fund House` headings), #120 (names); disclaimers mentioning a fund house
// inside a folio are no heading
#[test]
fn fund_house_heading_variants() {
    let heading = vec![
        "DEMO INVESTOR",
        "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
    ];
    let p = read(
        Issuer::Cams,
        &[
            Folio {
                amc: "Demo Fund House",
                line: "Folio No: 1111111    PAN: ABCDE1234F    KYC: OK    PAN: OK",
                blocks: vec![plain(heading.clone())],
            },
            Folio {
                amc: "Quant MF",
                line: "Folio No: 2222222    PAN: ABCDE1234F    KYC: OK    PAN: OK",
                blocks: vec![plain(heading)],
            },
        ],
    );
    reconciled(&p);
    let amcs: Vec<(&str, &str)> = p
        .mutual_funds
        .iter()
        .map(|f| (f.amc.as_str(), f.folio_number.as_str()))
        .collect();
    assert_eq!(
        amcs,
        [("Demo Fund House", "1111111"), ("Quant MF", "2222222")]
    );
}

// catalogue A.3 #27: the nominee line printed after the previous scheme's footer belongs to the
// next scheme
#[test]
fn nominee_line_belongs_to_the_next_scheme() {
    let p = one(
        FOLIO,
        vec![
            plain(vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ]),
            plain(vec![
                "P8096-ICICI Prudential Balanced Advantage Fund - Direct Plan - Growth - ISIN: INF109K01BH2(Advisor: ARN-12345) Registrar : CAMS",
                "Nominee 1: Meena Iyer    Nominee 2:    Nominee 3:",
            ]),
        ],
    );
    reconciled(&p);
    let f = only_folio(&p);
    assert!(f.schemes[0].nominees.is_empty());
    assert_eq!(f.schemes[1].nominees, ["Meena Iyer"]);
    assert_eq!(
        f.schemes[1].additional_info.advisor.as_deref(),
        Some("ARN-12345")
    );
    assert_eq!(f.schemes[1].isin.as_deref(), Some("INF109K01BH2"));
}

// casparser #14 / #20 ("Scheme found before folio entry"): a page break between the folio line
// and its scheme keeps the scheme in the folio
#[test]
fn page_break_between_folio_line_and_scheme() {
    let folios = [Folio {
        amc: AMC,
        line: FOLIO,
        blocks: vec![plain(vec![
            "DEMO INVESTOR",
            "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
        ])],
    }];
    let mut l = Layout::new(Issuer::Cams, "01-Jan-2025 To 31-Dec-2025");
    investor_and_summary(&mut l, &folios);
    l.table_header();
    l.line(AMC);
    l.line(FOLIO);
    l.page_break();
    draw_block(&mut l, &folios[0].blocks[0]);
    let p = cas_parser::read(&l.statement()).unwrap();
    reconciled(&p);
    let f = only_folio(&p);
    assert_eq!(f.folio_number, "1234567 / 89");
    assert_eq!(f.additional_info.pan.as_deref(), Some("ABCDE1234F"));
    assert_eq!(
        f.schemes[0].name,
        "Demo Flexi Cap Fund - Direct Plan - Growth"
    );
    assert_eq!(f.schemes[0].transactions.len(), 1);
}

// ---- Cases first ported as failures, read correctly since ----

/// A heading read through a one-scheme statement that must reconcile.
fn heading_of(lines: Vec<&str>) -> (Scheme, Option<String>) {
    let p = one(FOLIO, vec![plain(lines)]);
    reconciled(&p);
    (only_scheme(&p).clone(), only_folio(&p).registrar.clone())
}

// catalogue A.3 #13 (casparser #16): an adviser's INA code is not an ISIN.
#[test]
fn an_ina_advisor_code_is_not_read_as_the_isin() {
    let (s, registrar) = heading_of(vec![
        "DEMO INVESTOR",
        "GD65-IDFC Low Duration Fund-Growth-(Direct Plan) (Advisor: INA000000000) Registrar : CAMS",
    ]);
    assert_eq!(s.isin, None);
    assert_eq!(s.additional_info.advisor.as_deref(), Some("INA000000000"));
    assert_eq!(s.name, "IDFC Low Duration Fund-Growth-(Direct Plan)");
    assert_eq!(registrar.as_deref(), Some("CAMS"));
}

// catalogue A.3 #19 (casparser 34266c9): the registrar label inside the advisor's parentheses.
#[test]
fn an_advisor_split_by_the_registrar_label() {
    let (s, registrar) = heading_of(vec![
        "H54-HDFC Low Duration Fund - Regular Plan - Growth (Advisor: Registrar : CAMS",
        "ARN-175310)",
    ]);
    assert_eq!(s.additional_info.advisor.as_deref(), Some("ARN-175310"));
    assert_eq!(s.name, "HDFC Low Duration Fund - Regular Plan - Growth");
    assert_eq!(registrar.as_deref(), Some("CAMS"));
}

// catalogue A.3 #20: advisor and registrar wrapped together, the registrar's name in the next
// line's right column; and a label whose value is a line of its own (casparser d7f196b).
#[test]
fn a_registrar_whose_name_wrapped_to_the_next_line() {
    let (s, registrar) = heading_of(vec![
        "MA118-Mirae Asset Large Cap Fund - Direct Plan - Growth - ISIN: INF769K01BI1(Advisor: Registrar :",
        "INA100009859) KFINTECH",
    ]);
    assert_eq!(s.name, "Mirae Asset Large Cap Fund - Direct Plan - Growth");
    assert_eq!(s.additional_info.advisor.as_deref(), Some("INA100009859"));
    assert_eq!(registrar.as_deref(), Some("KFINTECH"));

    let (s, registrar) = heading_of(vec![
        "K168D-Kotak Flexicap Fund - Direct Plan - Growth - ISIN: INF174K01LS2(Advisor: DIRECT) Registrar :",
        "KFINTECH",
    ]);
    assert_eq!(s.isin.as_deref(), Some("INF174K01LS2"));
    assert_eq!(registrar.as_deref(), Some("KFINTECH"));
}

// catalogue A.3 #23 (casparser #149): an ISIN split by the registrar label.
#[test]
fn an_isin_split_by_the_registrar_label() {
    let (s, registrar) = heading_of(vec![
        "MA118-Mirae Asset Large Cap Fund - Direct Plan - Growth - ISIN: INF769K Registrar : CAMS",
        "01BI1(Advisor: DIRECT)",
    ]);
    assert_eq!(s.isin.as_deref(), Some("INF769K01BI1"));
    assert_eq!(s.name, "Mirae Asset Large Cap Fund - Direct Plan - Growth");
    assert_eq!(registrar.as_deref(), Some("CAMS"));
}

// catalogue A.3 #16: Adobe's reading order puts the registrar inside a former name.
#[test]
fn a_former_name_split_by_the_registrar_label() {
    let (s, _) = heading_of(vec![
        "P1565-ICICI Prudential Large Cap Fund - Direct Plan - Growth (formerly ICICI Prudential Focused Bluechip Equity Registrar : CAMS",
        "Fund) (Non-Demat) - ISIN: INF109K016L0(Advisor: DIRECT)",
    ]);
    assert_eq!(
        s.name,
        "ICICI Prudential Large Cap Fund - Direct Plan - Growth"
    );
    assert_eq!(s.isin.as_deref(), Some("INF109K016L0"));
}

// catalogue A.3 #26: KFintech's older names.
#[test]
fn kfin_and_karvy_are_kfintech() {
    for printed in ["KFIN", "KARVY"] {
        let registrar_line = format!("Registrar : {printed}");
        let (_, registrar) = heading_of(vec![
            "128TSDG-Axis ELSS Tax Saver Fund - Direct Growth - ISIN: INF846K01EW2(Advisor: DIRECT)",
            &registrar_line,
        ]);
        assert_eq!(registrar.as_deref(), Some("KFINTECH"), "{printed}");
    }
}

/// One scheme with these rows after `open` units, closing at `close` at NAV 10.
fn scheme_with_rows<'a>(
    open: &'a str,
    rows: Vec<Row<'a>>,
    close: &'a str,
    value: &'a str,
) -> Scheme {
    let p = one(
        FOLIO,
        vec![Block {
            heading: vec![
                "DEMO INVESTOR",
                "B205-Demo Flexi Cap Fund - Direct Plan - Growth - ISIN: INF000K01AB1(Advisor: DIRECT) Registrar : CAMS",
            ],
            open,
            rows,
            close,
            nav: "10.0000",
            cost: "100.00",
            value,
        }],
    );
    reconciled(&p);
    only_scheme(&p).clone()
}

// catalogue A.5 #34 (casparser #16): switches named only by their direction.
#[test]
fn switches_by_the_sign_of_their_units() {
    let s = scheme_with_rows(
        "10.000",
        vec![
            (
                "10-Mar-2025",
                "NORMAL SWITCH - To IDFC Low Duration Fund-Gr-(Reg Pln)-BSE -",
                ["(73.60)", "(7.360)", "10.0000", "2.640"],
            ),
            (
                "11-Mar-2025",
                "NORMAL SWITCH - From IDFC Low Duration Fund-Gr-(Reg Pln)-BSE -",
                ["73.50", "7.350", "10.0000", "9.990"],
            ),
        ],
        "9.990",
        "99.90",
    );
    assert_eq!(tx(&s, 0).kind, "SWITCH_OUT");
    assert_eq!(tx(&s, 1).kind, "SWITCH_IN");
}

// catalogue A.5 #40, #42, #44: `Div.` reinvestments, zero-balance SIPs, dishonoured payments.
#[test]
fn reinvestments_zero_balance_sips_and_dishonoured_payments() {
    let s = scheme_with_rows(
        "10.000",
        vec![
            (
                "10-Mar-2025",
                "Div. Reinvested @ Rs.0.0241 per unit",
                ["10.00", "1.000", "10.0000", "11.000"],
            ),
            (
                "11-Apr-2025",
                "Purchase SIPCheque Dishonoured - Instalment No 108",
                ["(10.00)", "(1.000)", "10.0000", "10.000"],
            ),
            (
                "12-May-2025",
                "Zero balance SIP",
                ["2,000.00", "", "", "10.000"],
            ),
        ],
        "10.000",
        "100.00",
    );
    assert_eq!(tx(&s, 0).kind, "DIVIDEND_REINVEST");
    assert_eq!(tx(&s, 0).dividend_rate, opt("0.0241"));
    assert_eq!(tx(&s, 1).kind, "REVERSAL");
    assert_eq!(tx(&s, 2).kind, "MISC");
}

// catalogue A.5 #45 (casparser TestBalanceSignFix): units printed negative that the running
// balance shows coming in.
#[test]
fn the_running_balance_decides_a_misprinted_sign() {
    let p = one(
        FOLIO,
        vec![Block {
            heading: vec![
                "DEMO INVESTOR",
                "FTI494-Franklin India Credit Risk Fund - Direct - Growth - ISIN: INF090I01JL3(Advisor: DIRECT) Registrar : CAMS",
            ],
            open: "558.456",
            rows: vec![(
                "10-Mar-2025",
                "Payment - Units Extinguished-Reversed",
                ["(5,126.75)", "(171.447)", "29.9027", "729.903"],
            )],
            close: "729.903",
            nav: "29.9027",
            cost: "100.00",
            value: "21,826.07",
        }],
    );
    reconciled(&p);
    let t = tx(only_scheme(&p), 0);
    assert_eq!((t.units, t.amount), (opt("171.447"), opt("5126.75")));
    assert_eq!(t.kind, "PURCHASE");
}

// catalogue A.5 #49: dates as some templates print them.
#[test]
fn rows_dated_with_spaces_or_without_separators() {
    let s = scheme_with_rows(
        "0.000",
        vec![
            (
                "25 Oct 2025",
                "Purchase",
                ["50.00", "5.000", "10.0000", "5.000"],
            ),
            (
                "26Oct2025",
                "Purchase",
                ["50.00", "5.000", "10.0000", "10.000"],
            ),
        ],
        "10.000",
        "100.00",
    );
    let dates: Vec<&str> = s.transactions.iter().map(|t| t.date.as_str()).collect();
    assert_eq!(dates, ["2025-10-25", "2025-10-26"]);
}
