//! `cas_parser::read` over scrambled layouts: the readers (CAMS / KFintech detailed and summary,
//! CDSL / NSDL) on statements no PDF of ours would produce.
//!
//! The committed fixtures are opened once (`cas_parser::open`, kept in a `OnceLock`); the fuzz
//! input then picks one of them (or an empty statement), may relabel its kind / variant, and
//! drives a list of edits of its text runs: drop, move to another run's line or column, cut or
//! splice text, duplicate, swap, replace text by numbers, dates, amounts, `Folio No:`,
//! `Opening Unit Balance:`, … or by another run's text, break a page, drop / duplicate / swap
//! pages, and add runs made wholly from the input. Starting from real statements lets the
//! mutations reach deep into the readers; the empty statement and the made-up runs cover the rest.
//!
//! Edits keep what `cas_parser::open` guarantees of the statements it makes (so a crash here is
//! a crash a PDF could cause): coordinates, font sizes and widths are finite, no run's text is
//! empty, pages are numbered 1, 2, … and hold at most 50,000 runs, at most 1,000 pages.
//!
//! Checks nothing but "no panic" (and, through libFuzzer's `-timeout`, "no hang").

#![no_main]

use std::sync::OnceLock;

use cas_parser::{CasVariant, Issuer, Page, Statement, TextRun};
use libfuzzer_sys::fuzz_target;

const RTA: &str = "Demo@1234";
const PAN: &str = "ABCDE1234F";

/// One statement of each layout the fixtures hold (the `objstm` and `hello` files add none).
const FIXTURES: &[(&[u8], &str)] = &[
    (include_bytes!("../../tests/fixtures/cams_aes256.pdf"), RTA),
    (include_bytes!("../../tests/fixtures/cams_rc4128.pdf"), RTA),
    (
        include_bytes!("../../tests/fixtures/cams_extras_aes128.pdf"),
        RTA,
    ),
    (
        include_bytes!("../../tests/fixtures/cams_summary_aes256.pdf"),
        RTA,
    ),
    (
        include_bytes!("../../tests/fixtures/kfintech_aes128.pdf"),
        RTA,
    ),
    (
        include_bytes!("../../tests/fixtures/kfintech_rc440.pdf"),
        RTA,
    ),
    (
        include_bytes!("../../tests/fixtures/kfintech_extras_aes256.pdf"),
        RTA,
    ),
    (
        include_bytes!("../../tests/fixtures/kfintech_summary_rc4128.pdf"),
        RTA,
    ),
    (
        include_bytes!("../../tests/fixtures/kfintech_summary_pages_aes128.pdf"),
        RTA,
    ),
    (include_bytes!("../../tests/fixtures/cdsl_rc4128.pdf"), PAN),
    (include_bytes!("../../tests/fixtures/nsdl_aes256.pdf"), PAN),
    (include_bytes!("../../tests/fixtures/nsdl_aes128.pdf"), PAN),
];

/// Bounds of what `cas_parser::open` makes (see `parser/src/pdf/limits.rs`).
const MAX_PAGES: usize = 1_000;
const MAX_RUNS_PER_PAGE: usize = 50_000;

/// Text the readers look for, and values of every shape they parse.
const TOKENS: &[&str] = &[
    "Folio No:",
    "Folio No: 12345678 / 90 KYC: OK  PAN: OK",
    "Folio No: 1234567 / 12 PAN: ABCDE1234F KYC: NOT OK PAN: NOT OK",
    "Folio No : 1234/56",
    "PAN: ABCDE1234F",
    "KYC: OK",
    "KYC: NOT OK",
    "Opening Unit Balance:",
    "Opening Unit Balance: 1,234.567",
    "Closing Unit Balance: 0.000",
    "Closing Unit Balance: 1,234.567 NAV on 31-Dec-2025: INR 45.6789 Total Cost Value: 12,345.67 Market Value on 31-Dec-2025: INR 56,789.01",
    "NAV on 31-Dec-2025: INR",
    "Market Value on 31-Dec-2025: INR",
    "Total Cost Value:",
    "N.A.",
    "ISIN: INF209K01VF8  UCC : MFCD1",
    "ISIN:",
    "(Advisor: DIRECT)",
    "Registrar : CAMS",
    "Registrar : KFINTECH",
    "B205-Aditya Birla Sun Life Frontline Equity Fund - Growth - ISIN: INF209K01BR9(Advisor: ARN-0000) Registrar : CAMS",
    "PORTFOLIO SUMMARY",
    "Mutual Fund",
    "HDFC Mutual Fund",
    "Total",
    "Sub Total",
    "Grand Total",
    "*** Stamp Duty ***",
    "***Registration of Nominee***",
    "Purchase",
    "SIP Purchase",
    "Redemption",
    "Systematic Investment (1)",
    "IDCW Paid @ Rs.0.25 per unit",
    "Balance restated",
    "STT Paid",
    "TDS",
    "Consolidated Account Statement",
    "Consolidated Account Summary",
    "CAMSCASWS-1234",
    "KFINCASWS-1234",
    "NSDL Consolidated Account Statement",
    "Central Depository Services (India) Limited",
    "DP Id: 12081600 Client Id: 12345678",
    "CDSL Demat Account",
    "NSDL Demat Account",
    "HOLDING STATEMENT AS ON 31-Dec-2025",
    "In the single name of",
    "In the joint names of",
    "Equity Shares",
    "Mutual Fund Folios",
    "NPS",
    "Page 1 of 2",
    "01-Jan-2025",
    "31-Dec-2025",
    "29-Feb-2023",
    "00-Xyz-0000",
    "01/04/2025",
    "0",
    "0.000",
    "-1",
    "1,23,456.78",
    "(1,175.08)",
    "-0.001",
    "₹ 1,000.00",
    "99999999999999999999999999999.99",
    "1e308",
    "NaN",
    ".",
    ",",
    "-",
    "(",
    "INF",
    "INE002A01018",
    "ABCDE1234F",
    "demo@example.com",
    "+91 98765 43210",
];

fn bases() -> &'static [Statement] {
    static BASES: OnceLock<Vec<Statement>> = OnceLock::new();
    BASES.get_or_init(|| {
        FIXTURES
            .iter()
            .enumerate()
            .map(|(i, (pdf, password))| {
                cas_parser::open(pdf, password)
                    .unwrap_or_else(|e| panic!("fixture {i} of read_layout does not open: {e}"))
            })
            .collect()
    })
}

/// The fuzz input read front to back; past its end every read is 0.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn i8(&mut self) -> i8 {
        self.u8() as i8
    }
    /// An index below `len` (`len` > 0).
    fn index(&mut self, len: usize) -> usize {
        usize::from(self.u16()) % len
    }
    /// A finite number: mostly page-sized, sometimes any finite `f32`.
    fn coordinate(&mut self) -> f32 {
        if self.u8().is_multiple_of(8) {
            let v = f32::from_bits(u32::from_le_bytes([
                self.u8(),
                self.u8(),
                self.u8(),
                self.u8(),
            ]));
            if v.is_finite() { v } else { 0.0 }
        } else {
            f32::from(self.u16() as i16) / 32.0
        }
    }
    /// Up to 64 bytes of text from the input (lossy UTF-8).
    fn text(&mut self) -> String {
        let n = usize::from(self.u8() % 65).min(self.0.len());
        let (text, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(text).into_owned()
    }
}

const KINDS: [Issuer; 4] = [Issuer::Cams, Issuer::Kfintech, Issuer::Cdsl, Issuer::Nsdl];
const VARIANTS: [CasVariant; 3] = [
    CasVariant::Detailed,
    CasVariant::Summary,
    CasVariant::Unknown,
];

/// A (page, run) position of an existing run, if the statement has any.
fn pick_run(s: &Statement, input: &mut Input) -> Option<(usize, usize)> {
    if s.pages.is_empty() {
        return None;
    }
    let p = input.index(s.pages.len());
    let runs = s.pages[p].runs.len();
    (runs > 0).then(|| (p, input.index(runs)))
}

/// The byte offset of the `n`th char boundary of `text` (clamped to its end).
fn char_offset(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

fn set_text(s: &mut Statement, (p, r): (usize, usize), text: String) {
    if text.is_empty() {
        s.pages[p].runs.remove(r);
    } else {
        s.pages[p].runs[r].text = text;
    }
}

fn push_run(s: &mut Statement, p: usize, at: usize, run: TextRun) {
    let runs = &mut s.pages[p].runs;
    if runs.len() < MAX_RUNS_PER_PAGE && !run.text.is_empty() {
        runs.insert(at.min(runs.len()), run);
    }
}

fn edit(s: &mut Statement, input: &mut Input) {
    match input.u8() % 20 {
        // Drop a run.
        0 => {
            if let Some((p, r)) = pick_run(s, input) {
                s.pages[p].runs.remove(r);
            }
        }
        // Move a run onto another run's line (within a few points), or into its column.
        1 | 2 => {
            let column = input.u8().is_multiple_of(2);
            if let (Some((p, r)), Some((q, o))) = (pick_run(s, input), pick_run(s, input)) {
                let delta = f32::from(input.i8()) / 16.0;
                let other = &s.pages[q].runs[o];
                let (x, y) = (other.x, other.y);
                let run = &mut s.pages[p].runs[r];
                if column {
                    run.x = x + delta;
                } else {
                    run.y = y + delta;
                }
            }
        }
        // Move a run anywhere.
        3 => {
            if let Some((p, r)) = pick_run(s, input) {
                let (x, y) = (input.coordinate(), input.coordinate());
                let run = &mut s.pages[p].runs[r];
                run.x = x;
                run.y = y;
            }
        }
        // Cut a run's text: keep a prefix, a suffix or a middle.
        4 => {
            if let Some(at) = pick_run(s, input) {
                let text = &s.pages[at.0].runs[at.1].text;
                let chars = text.chars().count();
                let a = char_offset(text, usize::from(input.u8()) % (chars + 1));
                let b = char_offset(text, usize::from(input.u8()) % (chars + 1));
                let cut = text[a.min(b)..a.max(b)].to_string();
                set_text(s, at, cut);
            }
        }
        // Duplicate a run, to any page and position, possibly shifted.
        5 => {
            if let Some((p, r)) = pick_run(s, input) {
                let mut run = s.pages[p].runs[r].clone();
                run.y += f32::from(input.i8());
                let q = input.index(s.pages.len());
                let at = usize::from(input.u16());
                push_run(s, q, at, run);
            }
        }
        // Replace a run's text by a token, or put a token next to it.
        6 | 7 => {
            if let Some(at) = pick_run(s, input) {
                let token = TOKENS[input.index(TOKENS.len())].to_string();
                match input.u8() % 3 {
                    0 => set_text(s, at, token),
                    1 => {
                        let text = format!("{} {token}", s.pages[at.0].runs[at.1].text);
                        set_text(s, at, text);
                    }
                    _ => {
                        let mut run = s.pages[at.0].runs[at.1].clone();
                        run.x += run.width + f32::from(input.u8()) / 8.0;
                        run.text = token;
                        push_run(s, at.0, at.1 + 1, run);
                    }
                }
            }
        }
        // Replace a run's text by another run's text (real statement vocabulary elsewhere).
        8 => {
            if let (Some(at), Some((q, o))) = (pick_run(s, input), pick_run(s, input)) {
                let text = s.pages[q].runs[o].text.clone();
                set_text(s, at, text);
            }
        }
        // Replace a run's text by bytes from the input, or splice them into it.
        9 => {
            if let Some(at) = pick_run(s, input) {
                let splice = input.u8().is_multiple_of(2);
                let position = usize::from(input.u8());
                let text = input.text();
                let text = if splice {
                    let old = &s.pages[at.0].runs[at.1].text;
                    let i = char_offset(old, position);
                    format!("{}{text}{}", &old[..i], &old[i..])
                } else {
                    text
                };
                set_text(s, at, text);
            }
        }
        // Numbers and dates of every shape.
        10 => {
            if let Some(at) = pick_run(s, input) {
                let text = match input.u8() % 6 {
                    0 => format!("{}", input.u16()),
                    1 => format!("{}.{:03}", input.u16() as i16, input.u16() % 1000),
                    2 => format!(
                        "({},{:03}.{:02})",
                        input.u8(),
                        input.u16() % 1000,
                        input.u8() % 100
                    ),
                    3 => format!(
                        "{:02}-{}-{}",
                        input.u8() % 40,
                        ["Jan", "Feb", "Mar", "Apr", "Jun", "Dec", "Foo"]
                            [usize::from(input.u8() % 7)],
                        1990 + input.u16() % 100
                    ),
                    4 => format!(
                        "{}",
                        f32::from_bits(u32::from(input.u16()) << 16 | u32::from(input.u16()))
                    ),
                    _ => "9".repeat(usize::from(input.u8() % 64) + 1),
                };
                set_text(s, at, text);
            }
        }
        // Swap two runs (drawing order).
        11 => {
            if let (Some((p, r)), Some((q, o))) = (pick_run(s, input), pick_run(s, input)) {
                if p == q {
                    s.pages[p].runs.swap(r, o);
                } else {
                    let a = s.pages[p].runs[r].clone();
                    let b = std::mem::replace(&mut s.pages[q].runs[o], a);
                    s.pages[p].runs[r] = b;
                }
            }
        }
        // Font size, width, rotation.
        12 => {
            if let Some((p, r)) = pick_run(s, input) {
                let which = input.u8() % 3;
                let value = input.coordinate();
                let run = &mut s.pages[p].runs[r];
                match which {
                    0 => run.font_size = value,
                    1 => run.width = value,
                    _ => run.horizontal = !run.horizontal,
                }
            }
        }
        // Page break: the runs from one on move to a new page after it.
        13 => {
            if let Some((p, r)) = pick_run(s, input)
                && s.pages.len() < MAX_PAGES
            {
                let runs = s.pages[p].runs.split_off(r);
                s.pages.insert(p + 1, Page { number: 0, runs });
            }
        }
        // Drop, duplicate or swap pages; merge a page into the previous one.
        14 => {
            if !s.pages.is_empty() {
                let p = input.index(s.pages.len());
                let q = input.index(s.pages.len());
                match input.u8() % 4 {
                    0 => {
                        s.pages.remove(p);
                    }
                    1 if s.pages.len() < MAX_PAGES => {
                        let page = s.pages[p].clone();
                        s.pages.insert(q, page);
                    }
                    2 => s.pages.swap(p, q),
                    _ if p > 0
                        && s.pages[p - 1].runs.len() + s.pages[p].runs.len()
                            <= MAX_RUNS_PER_PAGE =>
                    {
                        let page = s.pages.remove(p);
                        s.pages[p - 1].runs.extend(page.runs);
                    }
                    _ => {}
                }
            }
        }
        // Shift a whole line (every run at a run's y) up or down.
        15 => {
            if let Some((p, r)) = pick_run(s, input) {
                let y = s.pages[p].runs[r].y;
                let delta = f32::from(input.i8()) / 2.0;
                for run in &mut s.pages[p].runs {
                    if (run.y - y).abs() < 2.0 {
                        run.y += delta;
                    }
                }
            }
        }
        // Split a run in two at a char, the second half to its right.
        16 => {
            if let Some((p, r)) = pick_run(s, input) {
                let run = &s.pages[p].runs[r];
                let i = char_offset(
                    &run.text,
                    usize::from(input.u8()) % (run.text.chars().count() + 1),
                );
                if 0 < i && i < run.text.len() {
                    let mut right = run.clone();
                    right.text = run.text[i..].to_string();
                    right.x += run.width * i as f32 / run.text.len() as f32;
                    s.pages[p].runs[r].text.truncate(i);
                    push_run(s, p, r + 1, right);
                }
            }
        }
        // A run made wholly from the input.
        _ => {
            if s.pages.is_empty() {
                s.pages.push(Page::default());
            }
            let p = input.index(s.pages.len());
            let run = TextRun {
                x: input.coordinate(),
                y: input.coordinate(),
                font_size: f32::from(input.u8() % 24),
                width: f32::from(input.u16()) / 64.0,
                horizontal: !input.u8().is_multiple_of(16),
                text: if input.u8().is_multiple_of(2) {
                    TOKENS[input.index(TOKENS.len())].to_string()
                } else {
                    input.text()
                },
            };
            let at = usize::from(input.u16());
            push_run(s, p, at, run);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let bases = bases();
    // The first byte picks a fixture, or an empty statement; the second may relabel it.
    let pick = usize::from(input.u8());
    let mut statement = match bases.get(pick % (bases.len() + 1)) {
        Some(base) => base.clone(),
        None => Statement {
            issuer: Issuer::Cams,
            variant: CasVariant::Detailed,
            pages: Vec::new(),
        },
    };
    let relabel = usize::from(input.u8());
    if relabel < KINDS.len() * VARIANTS.len() {
        statement.issuer = KINDS[relabel % KINDS.len()];
        statement.variant = VARIANTS[relabel / KINDS.len()];
    }
    // At most 256 edits, so one input cannot make a statement of unbounded size.
    for _ in 0..256 {
        if input.is_empty() {
            break;
        }
        edit(&mut statement, &mut input);
    }
    // What `open` guarantees: pages numbered from 1, finite numbers (sums above may overflow).
    for (i, page) in statement.pages.iter_mut().enumerate() {
        page.number = i as u32 + 1;
        for run in &mut page.runs {
            for v in [&mut run.x, &mut run.y, &mut run.font_size, &mut run.width] {
                if !v.is_finite() {
                    *v = 0.0;
                }
            }
        }
    }
    if let Ok(portfolio) = cas_parser::read(&statement) {
        let _ = serde_json::to_vec(&portfolio);
    }
});
