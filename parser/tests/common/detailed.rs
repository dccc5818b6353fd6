//! Random CAMS/KFintech detailed statements, laid out in memory with every layout variant real
//! statements carry (casparser's readers, tests and issue tracker are the catalogue), and the
//! portfolio each must read to. The variants are drawn at random, so the reader is tested on
//! combinations nobody wrote down: folio lines with and without PAN, KYC / PAN `NOT OK`, short,
//! slashed and long folio numbers, joint holders, names that look like scheme codes, scheme
//! names over one to three lines with the ISIN (or half of it) and the advisor on any of them,
//! no advisor, the registrar on its own line or on the scheme line, nominees, names containing
//! `Folio`, `PAN`, `Total`, `IDCW`; opening balances, wrapped descriptions, `***…***` marker
//! rows, stamp duty / STT / TDS rows, dated footnotes, segregated portfolios, zero balances;
//! page breaks anywhere, including between a folio line and its scheme.

use super::Lcg;
use super::layout::{Layout, X_DATE, X_DESC, X_NUMBERS};
use cas_parser::Issuer;
use cas_parser::model::{FolioInfo, Holder, MutualFundFolio, Scheme, Transaction};
use rust_decimal::Decimal;

pub struct Generated {
    pub statement: cas_parser::Statement,
    /// What the statement holds, as the reader must report it.
    pub folios: Vec<MutualFundFolio>,
    pub total: Decimal,
    /// Which variants this statement drew (for the coverage check).
    pub drawn: Vec<&'static str>,
}

const FUND_HOUSES: &[&str] = &[
    "HDFC Mutual Fund",
    "ICICI Prudential Mutual Fund",
    "SBI Mutual Fund",
    "Axis Mutual Fund",
    "Quant MF",
    "Franklin Templeton Mutual Fund",
    "Motilal Oswal Mutual Fund",
];
const CODES: &[&str] = &[
    "B205",
    "HMCOGT",
    "P8096",
    "128TSDG",
    "127 CPGPG",
    "K168D",
    "FTI494",
    "LD346G",
];
const NAMES: &[&str] = &[
    "Flexi Cap Fund - Direct Plan - Growth",
    "Liquid Fund - Direct Plan - Growth Option",
    "Balanced Advantage Fund - Regular Plan - IDCW Payout",
    "Total Return Fund - Direct Growth",
    "Folio Builder PAN India Equity Fund - Growth",
    "Nifty SDL Plus PSU Bond Sep 2026 60:40 Index Fund - Direct Plan - Growth",
    "Credit Risk Fund - Direct - Segregated Portfolio 1 (8.25% Vodafone Idea Ltd-10jul20) - Growth",
    "Small Cap Fund - Direct Plan - Growth",
    "Banking & PSU Debt Fund - Direct Plan - Monthly IDCW Reinvestment",
];
const HOLDERS: &[&str] = &[
    "DEMO INVESTOR",
    "MARY-JANE SMITH",
    "Asha Rao",
    "VIKRAM MEHTA",
];
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn isin(rng: &mut Lcg) -> String {
    let mut s = String::from("INF");
    for _ in 0..8 {
        s.push(ALNUM[rng.below(ALNUM.len())] as char);
    }
    s.push((b'0' + rng.below(10) as u8) as char);
    s
}

fn money(rng: &mut Lcg, lo: i64, hi: i64) -> Decimal {
    Decimal::new(lo * 100 + rng.below(((hi - lo) * 100) as usize) as i64, 2)
}

/// Indian (`1,23,456.78`) or Western (`123,456.78`) grouping, negatives in parentheses.
fn print(value: Decimal, dp: u32, rng: &mut Lcg) -> String {
    let v = value.round_dp(dp);
    let text = format!("{:.*}", dp as usize, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = if rng.below(2) == 0 {
        indian(int)
    } else {
        western(int)
    };
    let body = if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac}")
    };
    if v.is_sign_negative() && !v.is_zero() {
        format!("({body})")
    } else {
        body
    }
}

fn western(int: &str) -> String {
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn indian(int: &str) -> String {
    if int.len() <= 3 {
        return int.to_string();
    }
    let (head, tail) = int.split_at(int.len() - 3);
    let mut out = String::new();
    for (i, c) in head.chars().enumerate() {
        if i > 0 && (head.len() - i).is_multiple_of(2) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out},{tail}")
}

fn date(day: usize, month: usize) -> (String, String) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    (
        format!("{day:02}-{}-2025", MONTHS[month]),
        format!("2025-{:02}-{day:02}", month + 1),
    )
}

/// Splits `text` into `parts` lines at spaces.
fn wrap(text: &str, parts: usize) -> Vec<String> {
    let words: Vec<&str> = text.split(' ').collect();
    let per = words.len().div_ceil(parts.max(1)).max(1);
    words.chunks(per).map(|c| c.join(" ")).collect()
}

struct Row {
    printed_date: String,
    description: Vec<String>,
    numbers: [Option<Decimal>; 4],
    truth: Option<Transaction>,
}

pub fn generate(seed: u64) -> Generated {
    let mut rng = Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xC0FFEE);
    let kind = if rng.below(2) == 0 {
        Issuer::Cams
    } else {
        Issuer::Kfintech
    };
    let mut drawn: Vec<&'static str> = Vec::new();

    // The portfolio first, then its layout.
    let mut folios: Vec<MutualFundFolio> = Vec::new();
    let mut layouts: Vec<Ops> = Vec::new();
    let house_count = 1 + rng.below(4);
    let first_house = rng.below(FUND_HOUSES.len());
    for h in 0..house_count {
        let amc = FUND_HOUSES[(first_house + h) % FUND_HOUSES.len()];
        for _ in 0..1 + rng.below(3) {
            let number = match rng.below(4) {
                0 => format!(
                    "{} / {:02}",
                    1_000_000 + rng.below(9_000_000),
                    rng.below(100)
                ),
                1 => format!("{}", 10_000_000 + rng.below(90_000_000)),
                2 => {
                    drawn.push("long folio number");
                    format!("9101{:08}", rng.below(100_000_000))
                }
                _ => format!("{}/{}", 1000 + rng.below(9000), rng.below(100)),
            };
            let pan = (!draw(&mut rng, &mut drawn, "folio without PAN", 30))
                .then(|| "ABCDE1234F".to_string());
            let kyc = if draw(&mut rng, &mut drawn, "KYC NOT OK", 15) {
                "NOT OK"
            } else {
                "OK"
            };
            let pan_status = if draw(&mut rng, &mut drawn, "PAN NOT OK", 15) {
                "NOT OK"
            } else {
                "OK"
            };
            let mut folio_line = format!("Folio No: {number}");
            if let Some(pan) = &pan {
                folio_line.push_str(&format!("    PAN: {pan}"));
            }
            folio_line.push_str(&format!("    KYC: {kyc}    PAN: {pan_status}"));
            let mut holders = vec![HOLDERS[rng.below(HOLDERS.len())].to_string()];
            if draw(&mut rng, &mut drawn, "joint holders", 20) {
                holders.push(HOLDERS[rng.below(HOLDERS.len())].to_string());
            }
            let registrar = if kind == Issuer::Cams {
                "CAMS"
            } else {
                "KFINTECH"
            };
            let mut folio = MutualFundFolio {
                amc: amc.to_string(),
                folio_number: number.clone(),
                registrar: Some(registrar.to_string()),
                additional_info: FolioInfo {
                    pan: pan.clone(),
                    kyc: Some(kyc.to_string()),
                    pankyc: Some(pan_status.to_string()),
                },
                linked_holders: holders
                    .iter()
                    .enumerate()
                    .map(|(i, name)| Holder {
                        name: name.clone(),
                        pan: if i == 0 { pan.clone() } else { None },
                    })
                    .collect(),
                value: Decimal::ZERO,
                schemes: Vec::new(),
            };
            let mut ops: Ops = Vec::new();
            let break_after_folio = draw(&mut rng, &mut drawn, "page break after a folio line", 10);
            {
                let folio_line = folio_line.clone();
                ops.push(Box::new(move |l: &mut Layout| {
                    l.line(&folio_line);
                    if break_after_folio {
                        l.page_break();
                    }
                }));
            }
            for (s, _) in (0..1 + rng.below(3)).enumerate() {
                let (scheme, scheme_ops) = scheme(
                    &mut rng,
                    &mut drawn,
                    registrar,
                    if s == 0 { &holders } else { &[] },
                );
                folio.value += scheme.value;
                folio.schemes.push(scheme);
                ops.extend(scheme_ops);
            }
            folios.push(folio);
            layouts.push(ops);
        }
    }

    let mut layout = Layout::new(kind, "01-Jan-2025 To 31-Dec-2025");
    investor_block(&mut layout);
    // PORTFOLIO SUMMARY: per fund house cost and market value, then the Total.
    layout.line("PORTFOLIO SUMMARY");
    layout.at(X_DATE, "Mutual Fund");
    layout.right(X_NUMBERS[1], "Cost Value (INR)");
    layout.right(X_NUMBERS[3], "Market Value (INR)");
    layout.next();
    let mut total = Decimal::ZERO;
    let mut total_cost = Decimal::ZERO;
    let mut houses: Vec<(String, Decimal, Decimal)> = Vec::new();
    for f in &folios {
        let cost: Decimal = f.schemes.iter().filter_map(|s| s.cost).sum();
        match houses.iter_mut().find(|(a, ..)| *a == f.amc) {
            Some(h) => {
                h.1 += cost;
                h.2 += f.value;
            }
            None => houses.push((f.amc.clone(), cost, f.value)),
        }
        total += f.value;
        total_cost += cost;
    }
    for (amc, cost, value) in &houses {
        layout.at(X_DATE, amc);
        let printed = print(*cost, 2, &mut rng);
        layout.right(X_NUMBERS[1], &printed);
        let printed = print(*value, 2, &mut rng);
        layout.right(X_NUMBERS[3], &printed);
        layout.next();
    }
    layout.at(X_DATE, "Total");
    let printed = print(total_cost, 2, &mut rng);
    layout.right(X_NUMBERS[1], &printed);
    let printed = print(total, 2, &mut rng);
    layout.right(X_NUMBERS[3], &printed);
    layout.next();
    layout.next();
    layout.table_header();

    let mut last_amc = "";
    for (folio, ops) in folios.iter().zip(&layouts) {
        if folio.amc != last_amc {
            layout.line(&folio.amc);
            last_amc = &folio.amc;
        }
        for op in ops {
            op(&mut layout);
        }
    }
    Generated {
        statement: layout.statement(),
        folios,
        total,
        drawn,
    }
}

fn investor_block(layout: &mut Layout) {
    for line in [
        "Email Id: demo.investor@gmail.com",
        "Demo Investor",
        "Flat 12B, Sunrise Apartments",
        "Bengaluru 560038",
        "Mobile: +919876543210",
    ] {
        layout.line(line);
    }
    layout.next();
}

/// Drawing steps of one folio, run once the page-1 summary is laid out.
type Ops = Vec<Box<dyn Fn(&mut Layout)>>;

/// True with `chance` percent, recording the variant when drawn.
fn draw(rng: &mut Lcg, drawn: &mut Vec<&'static str>, name: &'static str, chance: usize) -> bool {
    let hit = rng.below(100) < chance;
    if hit {
        drawn.push(name);
    }
    hit
}

fn scheme(
    rng: &mut Lcg,
    drawn: &mut Vec<&'static str>,
    registrar: &str,
    holders: &[String],
) -> (Scheme, Ops) {
    let code = CODES[rng.below(CODES.len())];
    let name = NAMES[rng.below(NAMES.len())].to_string();
    let isin = isin(rng);
    let advisor = if draw(rng, drawn, "no advisor", 20) {
        None
    } else if rng.below(2) == 0 {
        Some("DIRECT".to_string())
    } else {
        Some(format!("ARN-{}", 10000 + rng.below(90000)))
    };
    let nominees: Vec<String> = if draw(rng, drawn, "nominees", 40) {
        (0..1 + rng.below(3))
            .map(|i| ["Asha Rao", "Ravi Kumar", "Meena Iyer"][i].to_string())
            .collect()
    } else {
        Vec::new()
    };

    // The heading region.
    let mut heading = Vec::new();
    heading.extend(holders.iter().cloned());
    let advisor_text = advisor
        .as_ref()
        .map(|a| format!("(Advisor: {a})"))
        .unwrap_or_default();
    let registrar_inline = draw(rng, drawn, "registrar on the scheme line", 25);
    let name_lines = 1 + rng.below(3);
    if name_lines > 1 {
        drawn.push("scheme name over several lines");
    }
    let mut lines = wrap(&format!("{code}-{name}"), name_lines);
    if draw(rng, drawn, "ISIN split over two lines", 15) {
        let last = lines.len() - 1;
        lines[last].push_str(&format!(" - ISIN: {}", &isin[..7]));
        lines.push(format!("{}{advisor_text}", &isin[7..]));
    } else {
        let last = lines.len() - 1;
        lines[last].push_str(&format!(" - ISIN: {isin}{advisor_text}"));
    }
    if registrar_inline {
        let last = lines.len() - 1;
        lines[last].push_str(&format!(" Registrar : {registrar}"));
    }
    heading.extend(lines);
    if !registrar_inline {
        heading.push(format!("Registrar : {registrar}"));
    }
    if !nominees.is_empty() || rng.below(2) == 0 {
        let slots: Vec<String> = (0..3)
            .map(|i| {
                format!(
                    "Nominee {}: {}",
                    i + 1,
                    nominees.get(i).map(String::as_str).unwrap_or("")
                )
                .trim_end()
                .to_string()
            })
            .collect();
        heading.push(slots.join("    "));
    }

    // Balances and rows.
    let nav = Decimal::new(1_0000 + rng.below(5_000_000) as i64, 4);
    let zero = draw(rng, drawn, "zero balance", 10);
    let open_units = if zero || rng.below(3) == 0 {
        Decimal::ZERO
    } else {
        Decimal::new(rng.below(2_000_000) as i64, 3)
    };
    let mut balance = open_units;
    let mut rows: Vec<Row> = Vec::new();
    let mut cost = open_units * nav / Decimal::from(2);
    let row_count = if zero { 0 } else { rng.below(9) };
    for i in 0..row_count {
        let (printed_date, iso) = date(1 + rng.below(28), (i * 12 / row_count.max(1)).min(11));
        let pick = rng.below(12);
        let row = match pick {
            0..=2 => {
                let amount = money(rng, 500, 50_000);
                let units = (amount / nav).round_dp(3);
                let sip = pick == 0;
                let description = if sip {
                    format!(
                        "Systematic Investment (1) - Instalment {}/120 - via BSE StAR MF Platform, Mumbai",
                        1 + rng.below(119)
                    )
                } else {
                    "Purchase - via Distributor".to_string()
                };
                balance += units;
                cost += amount;
                (
                    description,
                    [Some(amount), Some(units), Some(nav), Some(balance)],
                    if sip { "PURCHASE_SIP" } else { "PURCHASE" },
                )
            }
            3 if balance > Decimal::ONE => {
                let units = (balance / Decimal::from(3)).round_dp(3);
                let amount = (units * nav).round_dp(2);
                balance -= units;
                (
                    "Redemption - Online - Bank Payout".to_string(),
                    [Some(-amount), Some(-units), Some(nav), Some(balance)],
                    "REDEMPTION",
                )
            }
            4 if balance > Decimal::ONE => {
                let units = (balance / Decimal::from(4)).round_dp(3);
                let amount = (units * nav).round_dp(2);
                balance -= units;
                (
                    "Switch Out - To Liquid Fund Direct Growth".to_string(),
                    [Some(-amount), Some(-units), Some(nav), Some(balance)],
                    "SWITCH_OUT",
                )
            }
            5 => {
                let amount = money(rng, 1000, 20_000);
                let units = (amount / nav).round_dp(3);
                balance += units;
                cost += amount;
                (
                    "Switch In - From Flexi Cap Fund Direct Growth".to_string(),
                    [Some(amount), Some(units), Some(nav), Some(balance)],
                    "SWITCH_IN",
                )
            }
            6 => {
                drawn.push("stamp duty / STT / TDS row");
                let (description, kind) = [
                    ("*** Stamp Duty ***", "STAMP_DUTY_TAX"),
                    ("*** STT Paid ***", "STT_TAX"),
                    ("TDS on IDCW", "TDS_TAX"),
                ][rng.below(3)];
                (
                    description.to_string(),
                    [Some(money(rng, 0, 5)), None, None, None],
                    kind,
                )
            }
            7 => {
                drawn.push("marker row");
                let text = [
                    "***Address Updated from KRA Data***",
                    "*** Registration of Nominee ***",
                    "***NCT Correction of Address***",
                ][rng.below(3)];
                (text.to_string(), [None, None, None, None], "MISC")
            }
            8 => {
                drawn.push("dividend payout row");
                (
                    "IDCW Paid @ Rs.0.25 per unit".to_string(),
                    [Some(money(rng, 10, 900)), None, None, None],
                    "DIVIDEND_PAYOUT",
                )
            }
            9 => {
                drawn.push("segregated portfolio row");
                let units = balance.max(Decimal::ONE).round_dp(3);
                balance += units;
                (
                    "Allotment of Units - Segregated Portfolio 1".to_string(),
                    [None, Some(units), Some(Decimal::ZERO), Some(balance)],
                    "SEGREGATION",
                )
            }
            10 => {
                drawn.push("dated footnote");
                rows.push(Row {
                    printed_date,
                    // Sometimes wrapped: its tail is footnote too, not the row above's.
                    description: wrap(
                        "Stamp duty levied on purchases from this date onwards",
                        1 + rng.below(2),
                    ),
                    numbers: [None; 4],
                    truth: None,
                });
                continue;
            }
            _ => {
                let amount = money(rng, 100, 900);
                let units = (amount / nav).round_dp(3);
                balance += units;
                (
                    "IDCW Reinvestment @ Rs.0.10 per unit".to_string(),
                    [Some(amount), Some(units), Some(nav), Some(balance)],
                    "DIVIDEND_REINVEST",
                )
            }
        };
        let (description, numbers, kind) = row;
        let parts = if description.len() > 40 && draw(rng, drawn, "wrapped description", 70) {
            2 + rng.below(2)
        } else {
            1
        };
        let description_lines = wrap(&description, parts);
        let dividend_rate = if description.contains("@ Rs.0.25") {
            Some(Decimal::new(25, 2))
        } else if description.contains("@ Rs.0.10") {
            Some(Decimal::new(10, 2))
        } else {
            None
        };
        rows.push(Row {
            printed_date,
            truth: Some(Transaction {
                additional_info: None,
                date: iso,
                description: description_lines.join(" "),
                amount: numbers[0],
                units: numbers[1],
                nav: numbers[2],
                balance: numbers[3],
                kind: kind.to_string(),
                dividend_rate,
            }),
            description: description_lines,
            numbers,
        });
    }
    let units = balance;
    let value = (units * nav).round_dp(2);
    let cost = cost.round_dp(2);
    let mut scheme = Scheme::held(
        name.clone(),
        Some(isin.clone()),
        units,
        nav,
        value,
        Some(cost),
    );
    scheme.additional_info.advisor = advisor.clone();
    scheme.additional_info.rta_code = Some(code.to_string());
    scheme.additional_info.open_units = Some(open_units);
    scheme.nominees = nominees.clone();
    scheme.valuation_date = Some("2025-12-31".into());
    scheme.transactions = rows.iter().filter_map(|r| r.truth.clone()).collect();

    let mut ops: Ops = Vec::new();
    let break_in_heading = draw(rng, drawn, "page break inside a scheme heading", 5);
    let break_at = if draw(rng, drawn, "page break inside transactions", 15) {
        rng.below(rows.len() + 1)
    } else {
        usize::MAX
    };
    let p_open = print(open_units, 3, rng);
    let p_close = print(units, 3, rng);
    let p_cost = print(cost, 2, rng);
    let p_value = print(value, 2, rng);
    let p_nav = print(nav, 4, rng);
    let printed_rows: Vec<(String, Vec<String>, Vec<Option<String>>)> = rows
        .iter()
        .map(|r| {
            let numbers = r
                .numbers
                .iter()
                .enumerate()
                .map(|(i, n)| n.map(|n| print(n, [2, 3, 4, 3][i], rng)))
                .collect();
            (r.printed_date.clone(), r.description.clone(), numbers)
        })
        .collect();
    let kfintech = registrar == "KFINTECH";
    ops.push(Box::new(move |l: &mut Layout| {
        for (i, line) in heading.iter().enumerate() {
            if break_in_heading && i == heading.len() / 2 {
                l.page_break();
            }
            l.line(line);
        }
        l.at(X_DESC, &format!("Opening Unit Balance: {p_open}"));
        l.next();
        for (i, (d, description, numbers)) in printed_rows.iter().enumerate() {
            if i == break_at {
                l.page_break();
            }
            l.at(X_DATE, d);
            l.at(X_DESC, &description[0]);
            for (n, right) in numbers.iter().zip(X_NUMBERS) {
                if let Some(n) = n {
                    l.right(right, n);
                }
            }
            for extra in &description[1..] {
                l.next();
                l.at(X_DESC, extra);
            }
            l.next();
        }
        let value_label = if kfintech {
            "Valuation"
        } else {
            "Market Value"
        };
        l.at(X_DESC, &format!("Closing Unit Balance: {p_close}"));
        l.at(300.0, &format!("NAV on 31-Dec-2025: INR {p_nav}"));
        l.next();
        l.at(X_DESC, &format!("Total Cost Value: {p_cost}"));
        l.at(
            300.0,
            &format!("{value_label} on 31-Dec-2025: INR {p_value}"),
        );
        l.next();
    }));
    (scheme, ops)
}

/// The statement with every line of its first folio gone (folio line to the next folio line
/// or fund-house heading), the page-1 summary untouched: a statement that lost part of itself.
pub fn without_first_folio(g: &Generated) -> cas_parser::Statement {
    let victim = &g.folios[0];
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
            .retain(|r| !r.horizontal || !drop_y.iter().any(|y| (r.y - y).abs() <= 2.0));
    }
    statement
}
