//! CDSL and NSDL depository statements: investor, period, every demat account (with both
//! depositories) and its holdings, mutual-fund folios held outside demat, NPS, and the
//! statement's own printed totals.
//!
//! Both depositories print the same outline. Page 2 holds the investor block (`CAS ID:` /
//! `NSDL ID:`, name, address, `PINCODE:` in the left column) and the account roster: holder
//! groups ("In the single name of", `NAME (PAN:X)` lines) followed by one row per account
//! (`CDSL Demat Account` | DP name over `DP Id: … Client Id: …` | ISIN count | value),
//! `Mutual Fund Folios`, `National Pension System` and `Grand Total`. The pages after it differ:
//!
//! * CDSL: folio descriptions (`AMC Name :`, `Folio No :`, `ISIN : … RTA :`), then per account
//!   `DP Name : … BO ID : <dp id><client id>` and a `HOLDING STATEMENT AS ON` table (ISIN |
//!   security | balances | market price | value) mixing every kind of security, told apart by
//!   ISIN; `MUTUAL FUND UNITS HELD AS ON` (scheme | ISIN | folio | units | NAV | invested | value);
//!   the NPS holding statement (`PRAN ID :`, `NPS-SP :`, scheme rows, `Portfolio Value`).
//! * NSDL: per account a header row (type | DP name over `DP ID: … Client ID: …` | holders) and
//!   section markers (`Equity Shares`, `Mutual Funds (M)`, `Corporate Bonds (C)`, `Government
//!   Securities (G)`, `Alternate Investment Fund (A)`) each over its own table (a CDSL account's
//!   in CDSL's balance columns: ISIN | security | current / free / … bal | price | value); then
//!   `Mutual Fund Folios (F)` under AMC headings (ISIN over UCC | scheme | folio | units | average cost | total
//!   cost | NAV | value | profit | return).
//!
//! Rows are read as blocks of lines closer than [`ROW_GAP`] (wrapped cells) split into cells by
//! where their runs start. Holdings are checked against the printed account values and totals; a
//! difference becomes a warning, never an error.

use crate::model::{
    AccountTotal, DematAccount, DematHoldings, Holder, Investor, MutualFundFolio, NpsAccount,
    NpsFund, Portfolio, PortfolioMeta, PortfolioSummary, Scheme, Security, StatementPeriod,
};
use crate::money::parse_amount;
use crate::mutual_fund::iso_date;
use crate::pdf::{Page, Statement};
use crate::{CasKind, ParseError};
use regex::Regex;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// Lines of one row (a wrapped cell) are closer than this; rows are further apart.
const ROW_GAP: f32 = 9.0;
/// Runs starting within this many points of each other belong to one cell of a row.
const COLUMN_TOLERANCE: f32 = 3.0;
/// The investor block is left of this x on page 2; PAN, e-mail and mobile sit to its right.
const INVESTOR_COLUMN_MAX_X: f32 = 200.0;

static ISIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$").expect("valid regex"));
static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)for\s+the\s+period\s+from\s+(\d{2}[-/][A-Za-z0-9]{2,3}[-/]\d{4})\s+to\s+(\d{2}[-/][A-Za-z0-9]{2,3}[-/]\d{4})")
        .expect("valid regex")
});
static ID_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:CAS|NSDL)\s*ID\s*:\s*(\S*)").expect("valid regex"));
static PINCODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^PIN\s*CODE\s*:\s*(\d{6})").expect("valid regex"));
static PAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^PAN\s*:\s*([A-Z]{5}[0-9]{4}[A-Z])$").expect("valid regex"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^Email\s*Id\s*:\s*(\S+@\S+)").expect("valid regex"));
static MOBILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^Mobile\s*:\s*(\+?[0-9]+)").expect("valid regex"));
static HOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.+?)\s*\(\s*PAN\s*:\s*([^)]*?)\s*\)$").expect("valid regex"));
static DEMAT_TYPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(CDSL|NSDL)\s+Demat\s+Account$").expect("valid regex"));
static DP_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)DP\s*ID\s*:?\s*(\S+?)\s+Client\s*ID\s*:?\s*(\d+)").expect("valid regex")
});
static BO_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^DP\s*Name\s*:\s*(.+?)\s+(?:BO\s*ID|DPID)\s*:\s*([A-Z0-9]{16})\b")
        .expect("valid regex")
});
static FOLIO_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(\d+)\s+Folios?$").expect("valid regex"));
static LABELLED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z ]+?)\s*:\s*(.*)$").expect("valid regex"));
static NPS_PRAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)PRAN\s*ID\s*:\s*([A-Z0-9]+)").expect("valid regex"));
static NPS_CRA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)NPS[-\s]*SP\s*:\s*([A-Z0-9]+)").expect("valid regex"));
static NPS_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^Portfolio\s+Value\s*(?:\(Rs\.?\))?\s*:?\s*(\S+)").expect("valid regex")
});
static NUMERIC_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{2})[-/](\d{2})[-/](\d{4})$").expect("valid regex"));

/// One column of a row; wrapped text gives it several lines.
#[derive(Debug, Clone)]
struct Cell {
    x: f32,
    lines: Vec<String>,
}

impl Cell {
    fn text(&self) -> String {
        self.lines.join(" ")
    }

    fn first(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }
}

/// A table row: lines closer than [`ROW_GAP`], split into cells left to right.
#[derive(Debug, Clone)]
struct Row {
    cells: Vec<Cell>,
}

impl Row {
    fn text(&self) -> String {
        self.cells
            .iter()
            .map(Cell::text)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn first(&self) -> String {
        self.cells.first().map(Cell::text).unwrap_or_default()
    }
}

fn rows(page: &Page) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut prev_y: Option<f32> = None;
    for line in page.lines() {
        let joins = prev_y.is_some_and(|y| y - line.y <= ROW_GAP);
        prev_y = Some(line.y);
        if !joins || out.is_empty() {
            out.push(Row { cells: Vec::new() });
        }
        let Some(row) = out.last_mut() else { continue };
        for run in &line.runs {
            let text = run.text.trim();
            if text.is_empty() {
                continue;
            }
            match row
                .cells
                .iter_mut()
                .find(|c| (c.x - run.x).abs() <= COLUMN_TOLERANCE)
            {
                Some(cell) => cell.lines.push(text.to_string()),
                None => row.cells.push(Cell {
                    x: run.x,
                    lines: vec![text.to_string()],
                }),
            }
        }
    }
    for row in &mut out {
        row.cells.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    out.retain(|r| !r.cells.is_empty());
    out
}

/// A number cell; `--` (nothing held in that column) reads as zero.
fn number(text: &str) -> Option<Decimal> {
    match text.trim() {
        "--" | "-" => Some(Decimal::ZERO),
        t => parse_amount(t),
    }
}

fn is_isin(text: &str) -> bool {
    ISIN.is_match(text.trim())
}

/// `31-Dec-2025`, `31-12-2025` or `31/12/2025` → `2025-12-31`.
fn any_date(printed: &str) -> Option<String> {
    if let Some(iso) = iso_date(printed) {
        return Some(iso);
    }
    let c = NUMERIC_DATE.captures(printed.trim())?;
    let month: u32 = c[2].parse().ok()?;
    let day: u32 = c[1].parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| format!("{}-{:02}-{:02}", &c[3], month, day))
}

/// The holding classes, in the unified shape's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Equities,
    MutualFunds,
    CorporateBonds,
    GovernmentSecurities,
    Aifs,
}

/// CDSL prints every security of an account in one table; the ISIN tells what it is: `INF` are
/// mutual-fund units (ETFs too), a digit after `IN` marks central or state government securities,
/// and security type `07` / `08` (characters 8–9) are debentures and bonds.
fn class_of_isin(isin: &str) -> Class {
    let b = isin.as_bytes();
    if isin.starts_with("INF") {
        Class::MutualFunds
    } else if b.len() == 12 && b.starts_with(b"IN") && b[2].is_ascii_digit() {
        Class::GovernmentSecurities
    } else if matches!(b.get(7..9), Some(b"07") | Some(b"08")) {
        Class::CorporateBonds
    } else {
        Class::Equities
    }
}

impl Class {
    /// The holdings list's name in the JSON.
    fn label(self) -> &'static str {
        match self {
            Class::Equities => "equities",
            Class::MutualFunds => "demat_mutual_funds",
            Class::CorporateBonds => "corporate_bonds",
            Class::GovernmentSecurities => "government_securities",
            Class::Aifs => "aifs",
        }
    }
}

fn holdings_of(h: &mut DematHoldings, class: Class) -> &mut Vec<Security> {
    match class {
        Class::Equities => &mut h.equities,
        Class::MutualFunds => &mut h.demat_mutual_funds,
        Class::CorporateBonds => &mut h.corporate_bonds,
        Class::GovernmentSecurities => &mut h.government_securities,
        Class::Aifs => &mut h.aifs,
    }
}

fn holdings_value(h: &DematHoldings) -> Decimal {
    [
        &h.equities,
        &h.demat_mutual_funds,
        &h.corporate_bonds,
        &h.government_securities,
        &h.aifs,
    ]
    .iter()
    .flat_map(|list| list.iter())
    .map(|s| s.value)
    .sum()
}

/// NSDL section markers (the "(E)"-style letters vary between statement versions).
fn section_marker(text: &str) -> Option<Option<Class>> {
    let t = text.trim().to_ascii_lowercase();
    let class = match t.as_str() {
        "equity shares" | "equities (e)" => Some(Class::Equities),
        "mutual funds (m)" | "mutual funds units held with the amc" => Some(Class::MutualFunds),
        "corporate bonds (c)" => Some(Class::CorporateBonds),
        "government securities (g)" => Some(Class::GovernmentSecurities),
        "alternate investment fund (a)" | "alternative investment funds (a)" => Some(Class::Aifs),
        "preference shares (p)"
        | "money market instruments (i)"
        | "securitised instruments (s)"
        | "postal saving scheme (o)"
        | "national pension system (n)"
        | "zero coupon zero principal(z)" => None,
        _ => return None,
    };
    Some(class)
}

/// Where in the statement the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Cover, roster and anything not inside a holdings table.
    Outside,
    /// CDSL: an account's transactions (nothing read).
    CdslTransactions,
    /// CDSL: an account's `HOLDING STATEMENT` table.
    CdslHoldings,
    /// CDSL: `MUTUAL FUND UNITS HELD AS ON`.
    CdslFolios,
    /// CDSL: the NPS holding statement.
    Nps,
    /// NSDL: inside an account, in a section (or an unsupported one).
    NsdlSection(Option<Class>),
    /// NSDL: `Mutual Fund Folios (F)`.
    NsdlFolios,
}

/// What the roster or a table's total row printed, to check the holdings against.
#[derive(Debug, Default)]
struct Printed {
    mutual_funds: Option<(u32, Decimal)>,
    nps: Option<Decimal>,
    grand_total: Option<Decimal>,
}

struct Reader {
    kind: CasKind,
    investor: Investor,
    period: StatementPeriod,
    accounts: Vec<DematAccount>,
    /// Printed value per account (roster, else the account's `Total` row).
    account_values: Vec<Option<Decimal>>,
    folios: Vec<MutualFundFolio>,
    /// CDSL folio descriptions: (ISIN, folio) → (AMC, registrar).
    folio_info: HashMap<(String, String), (String, Option<String>)>,
    nps: Vec<NpsAccount>,
    nps_printed: Vec<Option<Decimal>>,
    printed: Printed,
    warnings: Vec<String>,
    mode: Mode,
    current: Option<usize>,
    pending_holders: Vec<Holder>,
    /// Roster rows are read until the first account's details start.
    roster_done: bool,
    /// CDSL: the folio description being read (AMC, folio).
    describing: (Option<String>, Option<String>),
    /// NSDL folios: the AMC heading above the rows.
    amc: Option<String>,
    /// CDSL: between an NPS account's `PRAN ID` and its `Portfolio Value`, a `HOLDING
    /// STATEMENT` is the NPS one.
    in_nps: bool,
    /// NSDL: the section's table has CDSL's balance columns (`Current Bal`, `Free Bal`, …), as
    /// NSDL prints a CDSL account's holdings.
    balance_columns: bool,
}

impl Reader {
    fn new(kind: CasKind) -> Self {
        Self {
            kind,
            investor: Investor::default(),
            period: StatementPeriod {
                from: None,
                to: None,
            },
            accounts: Vec::new(),
            account_values: Vec::new(),
            folios: Vec::new(),
            folio_info: HashMap::new(),
            nps: Vec::new(),
            nps_printed: Vec::new(),
            printed: Printed::default(),
            warnings: Vec::new(),
            mode: Mode::Outside,
            current: None,
            pending_holders: Vec::new(),
            roster_done: false,
            describing: (None, None),
            amc: None,
            in_nps: false,
            balance_columns: false,
        }
    }

    /// The investor block: from the ID marker, name then address lines down to `PINCODE:`, in
    /// the left column; PAN, e-mail and mobile anywhere on the first pages.
    fn investor_block(&mut self, page: &Page) {
        let mut seen_marker = false;
        let mut address = Vec::new();
        for line in page.lines() {
            let left: Vec<&str> = line
                .runs
                .iter()
                .filter(|r| r.x < INVESTOR_COLUMN_MAX_X)
                .map(|r| r.text.trim())
                .filter(|t| !t.is_empty())
                .collect();
            let text = left.join(" ");
            if text.is_empty() {
                continue;
            }
            if !seen_marker {
                if let Some(c) = ID_MARKER.captures(&text) {
                    seen_marker = true;
                    self.investor.cas_id = Some(c[1].to_string()).filter(|id| !id.is_empty());
                }
                continue;
            }
            if let Some(c) = PINCODE.captures(&text) {
                self.investor.pincode = Some(c[1].to_string());
                break;
            }
            if self.investor.name.is_none() {
                self.investor.name = Some(text);
            } else {
                address.push(text);
            }
        }
        if !address.is_empty() {
            self.investor.address = Some(address.join("\n"));
        }
    }

    fn contact_details(&mut self, page: &Page) {
        for run in &page.runs {
            let text = run.text.trim();
            if let Some(c) = PAN.captures(text) {
                self.investor.pan.get_or_insert_with(|| c[1].to_string());
            } else if let Some(c) = EMAIL.captures(text) {
                self.investor.email.get_or_insert_with(|| c[1].to_string());
            } else if let Some(c) = MOBILE.captures(text) {
                self.investor.mobile.get_or_insert_with(|| c[1].to_string());
            }
        }
    }

    fn find_account(&self, depository: &str, dp_id: &str, client_id: &str) -> Option<usize> {
        self.accounts.iter().position(|a| {
            a.depository == depository
                && a.dp_id.as_deref() == Some(dp_id)
                && a.client_id.as_deref() == Some(client_id)
        })
    }

    /// An account named by a section header; one the roster did not list is added.
    fn select_account(&mut self, depository: &str, dp_name: &str, dp_id: &str, client_id: &str) {
        self.roster_done = true;
        let index = match self.find_account(depository, dp_id, client_id) {
            Some(i) => i,
            None => {
                self.accounts
                    .push(new_account(depository, dp_name, dp_id, client_id));
                self.account_values.push(None);
                self.accounts.len() - 1
            }
        };
        self.current = Some(index);
    }

    fn roster_row(&mut self, row: &Row) -> bool {
        let first = row.first();
        let lower = first.to_ascii_lowercase();
        if lower.starts_with("in the single name of") || lower.starts_with("in the joint name") {
            self.pending_holders.clear();
            return true;
        }
        let holders = holders_in(row);
        if !holders.is_empty()
            && holders.len() == row.cells.iter().map(|c| c.lines.len()).sum::<usize>()
        {
            self.pending_holders.extend(holders);
            return true;
        }
        let last_amount = row.cells.last().and_then(|c| parse_amount(&c.text()));
        if let (Some(c), Some(value)) = (DEMAT_TYPE.captures(first.trim()), last_amount) {
            let Some((dp_name, dp_id, client_id)) = dp_and_client(row) else {
                return false;
            };
            let depository = c[1].to_ascii_uppercase();
            if self.find_account(&depository, &dp_id, &client_id).is_none() {
                let mut account = new_account(&depository, &dp_name, &dp_id, &client_id);
                account.holders = self.pending_holders.clone();
                self.accounts.push(account);
                self.account_values.push(Some(value));
            }
            return true;
        }
        if lower.starts_with("mutual fund folios")
            && let Some(value) = last_amount
        {
            let count = row
                .cells
                .get(1)
                .and_then(|c| {
                    FOLIO_COUNT
                        .captures(c.first())
                        .and_then(|m| m[1].parse().ok())
                })
                .unwrap_or(0);
            self.printed.mutual_funds = Some((count, value));
            return true;
        }
        if lower.starts_with("national pension system")
            && let Some(value) = last_amount
        {
            *self.printed.nps.get_or_insert(Decimal::ZERO) += value;
            return true;
        }
        if lower == "grand total"
            && let Some(value) = last_amount
        {
            self.printed.grand_total = Some(value);
            return true;
        }
        false
    }

    fn row(&mut self, row: &Row) {
        let text = row.text();
        let lower = text.to_ascii_lowercase();
        if self.period.from.is_none()
            && let Some(c) = PERIOD.captures(&text)
        {
            self.period = StatementPeriod {
                from: any_date(&c[1]),
                to: any_date(&c[2]),
            };
        }
        if !self.roster_done && self.roster_row(row) {
            return;
        }
        match self.kind {
            CasKind::Nsdl => self.nsdl_row(row, &text, &lower),
            _ => self.cdsl_row(row, &text, &lower),
        }
    }

    fn account_status(&mut self, text: &str) -> bool {
        let Some(status) = text
            .strip_prefix("Account Status")
            .and_then(|r| r.trim_start().strip_prefix(':'))
        else {
            return false;
        };
        if let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i)) {
            account.status = Some(status.trim().to_string());
        }
        true
    }

    /// The account's `Total` row: its printed value when the roster had none.
    fn account_total(&mut self, row: &Row) {
        let Some(i) = self.current else { return };
        let Some(value) = row.cells.last().and_then(|c| parse_amount(&c.text())) else {
            return;
        };
        if let Some(slot) = self.account_values.get_mut(i) {
            slot.get_or_insert(value);
        }
    }

    /// A section's `Sub Total` row, checked against the section's holdings.
    fn section_total(&mut self, row: &Row, class: Class) {
        let Some(printed) = row.cells.last().and_then(|c| parse_amount(&c.text())) else {
            return;
        };
        let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i)) else {
            return;
        };
        let held: Decimal = holdings_of(&mut account.holdings, class)
            .iter()
            .map(|s| s.value)
            .sum();
        if held != printed {
            let id = format!(
                "{}{}",
                account.dp_id.as_deref().unwrap_or(""),
                account.client_id.as_deref().unwrap_or("")
            );
            self.warnings.push(format!(
                "account {id}: {} add up to {held}, their sub total says {printed}",
                class.label()
            ));
        }
    }

    fn push_holding(&mut self, class: Class, security: Security) {
        if let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i)) {
            holdings_of(&mut account.holdings, class).push(security);
        }
    }

    // --- CDSL ---------------------------------------------------------------------------

    fn cdsl_row(&mut self, row: &Row, text: &str, lower: &str) {
        if let Some(c) = BO_ID.captures(text) {
            let (dp_name, bo_id) = (c[1].trim().to_string(), c[2].to_ascii_uppercase());
            // The 16 characters are DP id and client id, 8 each; NSDL DP ids start with IN.
            let (dp_id, client_id) = bo_id.split_at(8);
            let depository = if bo_id.starts_with("IN") {
                "NSDL"
            } else {
                "CDSL"
            };
            self.select_account(depository, &dp_name, dp_id, client_id);
            self.mode = Mode::CdslTransactions;
            self.in_nps = false;
            return;
        }
        if self.account_status(text) {
            return;
        }
        if self.cdsl_folio_description(row) {
            return;
        }
        if let Some(c) = NPS_PRAN.captures(text) {
            self.roster_done = true;
            self.nps.push(NpsAccount {
                pran: c[1].to_string(),
                cra: NPS_CRA.captures(text).map(|m| m[1].to_string()),
                value: Decimal::ZERO,
                funds: Vec::new(),
            });
            self.nps_printed.push(None);
            self.mode = Mode::Outside;
            self.in_nps = true;
            return;
        }
        if lower.starts_with("statement of transactions") {
            self.mode = Mode::CdslTransactions;
            return;
        }
        if lower.starts_with("holding statement as on") {
            self.mode = if self.in_nps {
                Mode::Nps
            } else {
                Mode::CdslHoldings
            };
            return;
        }
        if lower.starts_with("mutual fund units held as on") {
            self.roster_done = true;
            self.mode = Mode::CdslFolios;
            return;
        }
        match self.mode {
            Mode::CdslHoldings => self.cdsl_holding(row),
            Mode::CdslFolios => self.cdsl_folio_row(row),
            Mode::Nps => self.nps_row(row, text),
            _ => {}
        }
    }

    /// `AMC Name :`, `Folio No :` and `ISIN : … RTA :` rows, remembered for the folio table.
    fn cdsl_folio_description(&mut self, row: &Row) -> bool {
        let mut fields = Vec::new();
        for cell in &row.cells {
            for line in &cell.lines {
                if let Some(c) = LABELLED.captures(line) {
                    fields.push((c[1].to_ascii_lowercase(), c[2].trim().to_string()));
                }
            }
        }
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        if let Some(amc) = get("amc name") {
            self.describing = (Some(amc), None);
            self.roster_done = true;
            return true;
        }
        if get("scheme name").is_some() {
            return true;
        }
        if let Some(folio) = get("folio no") {
            self.describing.1 = Some(folio);
            return true;
        }
        if let (Some(isin), Some(_)) = (get("isin"), get("ucc")) {
            if let (Some(amc), Some(folio)) = self.describing.clone() {
                self.folio_info.insert((isin, folio), (amc, get("rta")));
            }
            return true;
        }
        false
    }

    fn cdsl_holding(&mut self, row: &Row) {
        let Some(first) = row.cells.first() else {
            return;
        };
        let isin = first.text();
        if !is_isin(&isin) {
            if row.first().eq_ignore_ascii_case("total") {
                self.account_total(row);
            }
            return;
        }
        // Name cells run up to the first number (or `--`); `@` flags a suspended security.
        let rest = &row.cells[1..];
        let Some(data_start) = rest.iter().position(|c| number(&c.text()).is_some()) else {
            self.unreadable(&isin);
            return;
        };
        let name: Vec<String> = rest[..data_start]
            .iter()
            .map(Cell::text)
            .filter(|t| t != "@")
            .collect();
        let data: Vec<Option<Decimal>> = rest[data_start..]
            .iter()
            .map(|c| number(&c.text()))
            .collect();
        let (Some(Some(units)), Some(Some(price)), Some(Some(value))) = (
            data.first(),
            data.len().checked_sub(2).and_then(|i| data.get(i)),
            data.last(),
        ) else {
            self.unreadable(&isin);
            return;
        };
        if data.len() < 3 {
            self.unreadable(&isin);
            return;
        }
        let class = class_of_isin(&isin);
        self.push_holding(
            class,
            Security {
                isin,
                name: name.join(" "),
                units: *units,
                price: Some(*price),
                value: *value,
                face_value: None,
                coupon_rate: None,
                maturity_date: None,
            },
        );
    }

    fn cdsl_folio_row(&mut self, row: &Row) {
        let Some(isin_at) = row.cells.iter().position(|c| is_isin(&c.text())) else {
            if row.first().eq_ignore_ascii_case("total")
                && let Some(value) = row.cells.last().and_then(|c| parse_amount(&c.text()))
                && let Some((_, printed)) = self.printed.mutual_funds
                && printed != value
            {
                self.warnings.push(format!(
                    "mutual fund folios: table total {value} is not the summary's {printed}"
                ));
            }
            return;
        };
        let isin = row.cells[isin_at].text();
        let name: Vec<String> = row.cells[..isin_at].iter().map(Cell::text).collect();
        let Some(folio) = row.cells.get(isin_at + 1).map(Cell::text) else {
            self.unreadable(&isin);
            return;
        };
        let numbers: Vec<Decimal> = row.cells[isin_at + 2..]
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        let (units, nav, cost, value) = match numbers.as_slice() {
            [units, nav, cost, value, ..] => (*units, *nav, Some(*cost), *value),
            [units, nav, value] => (*units, *nav, None, *value),
            _ => {
                self.unreadable(&isin);
                return;
            }
        };
        let (amc, registrar) = self
            .folio_info
            .get(&(isin.clone(), folio.clone()))
            .cloned()
            .unwrap_or_default();
        self.push_scheme(
            amc,
            folio,
            registrar,
            scheme(name.join(" "), isin, units, nav, value, cost),
        );
    }

    fn nps_row(&mut self, row: &Row, text: &str) {
        if let Some(c) = NPS_VALUE.captures(text) {
            if let (Some(value), Some(slot)) = (parse_amount(&c[1]), self.nps_printed.last_mut()) {
                *slot = Some(value);
            }
            self.mode = Mode::Outside;
            self.in_nps = false;
            return;
        }
        let name = row.first();
        if !name.to_ascii_uppercase().starts_with("NPS TRUST") {
            return;
        }
        let numbers: Vec<Decimal> = row.cells[1..]
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        let (units, nav, value) = match numbers.as_slice() {
            [units, nav, value, ..] => (*units, *nav, *value),
            [units, nav] => (*units, *nav, (*units * *nav).round_dp(2)),
            _ => {
                self.warnings
                    .push(format!("NPS scheme {name}: no units and NAV"));
                return;
            }
        };
        if let Some(account) = self.nps.last_mut() {
            account.funds.push(NpsFund {
                name,
                units,
                nav,
                value,
            });
        }
    }

    // --- NSDL ---------------------------------------------------------------------------

    fn nsdl_row(&mut self, row: &Row, text: &str, lower: &str) {
        if let Some(c) = DEMAT_TYPE.captures(row.first().trim())
            && let Some((dp_name, dp_id, client_id)) = dp_and_client(row)
        {
            let depository = c[1].to_ascii_uppercase();
            self.select_account(&depository, &dp_name, &dp_id, &client_id);
            // The header lists the holders too; keep them when the roster gave none.
            let holders = holders_in(row);
            if let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i))
                && account.holders.is_empty()
            {
                account.holders = holders;
            }
            self.mode = Mode::NsdlSection(None);
            self.balance_columns = false;
            return;
        }
        if self.account_status(text) {
            return;
        }
        if row.cells.len() <= 2 {
            if lower.trim() == "mutual fund folios (f)" {
                self.roster_done = true;
                self.mode = Mode::NsdlFolios;
                self.current = None;
                return;
            }
            if self.current.is_some()
                && matches!(self.mode, Mode::NsdlSection(_))
                && let Some(class) = section_marker(text)
            {
                self.mode = Mode::NsdlSection(class);
                self.balance_columns = false;
                return;
            }
        }
        if matches!(self.mode, Mode::NsdlSection(_)) && lower.contains("current bal") {
            self.balance_columns = true;
            return;
        }
        match self.mode {
            Mode::NsdlSection(class) => self.nsdl_holding(row, class),
            Mode::NsdlFolios => self.nsdl_folio_row(row),
            _ => {}
        }
    }

    fn nsdl_holding(&mut self, row: &Row, class: Option<Class>) {
        let first = row.first();
        if first.eq_ignore_ascii_case("total") {
            self.account_total(row);
            return;
        }
        let Some(class) = class else { return };
        if first.eq_ignore_ascii_case("sub total") {
            self.section_total(row, class);
            return;
        }
        let Some(cell0) = row.cells.first() else {
            return;
        };
        let isin = cell0.first().to_string();
        if !is_isin(&isin) {
            return;
        }
        let Some(name) = row.cells.get(1).map(Cell::text) else {
            self.unreadable(&isin);
            return;
        };
        let after_name = &row.cells[2.min(row.cells.len())..];
        let numbers: Vec<Decimal> = after_name
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        let security = match class {
            // ISIN | name | current bal | free bal | … | market price | value (no bond terms)
            _ if self.balance_columns => match numbers.as_slice() {
                [units, .., price, value] if numbers.len() >= 3 => {
                    security(isin, name, *units, Some(*price), *value)
                }
                _ => return self.unreadable(&isin),
            },
            // ISIN | company | face value | shares | price | value
            Class::Equities => match numbers.as_slice() {
                [.., units, price, value] if numbers.len() >= 3 => {
                    security(isin, name, *units, Some(*price), *value)
                }
                _ => return self.unreadable(&isin),
            },
            // ISIN | description | coupon | frequency | maturity | number | face value | value
            Class::CorporateBonds | Class::GovernmentSecurities => {
                let maturity = after_name.iter().find_map(|c| any_date(&c.text()));
                match numbers.as_slice() {
                    [coupon, .., units, face_value, value] if numbers.len() >= 4 => Security {
                        face_value: Some(*face_value),
                        coupon_rate: Some(*coupon),
                        maturity_date: maturity,
                        ..security(isin, name, *units, None, *value)
                    },
                    [units, face_value, value] => Security {
                        face_value: Some(*face_value),
                        maturity_date: maturity,
                        ..security(isin, name, *units, None, *value)
                    },
                    _ => return self.unreadable(&isin),
                }
            }
            // ISIN | name | units | NAV | value
            Class::MutualFunds | Class::Aifs => match numbers.as_slice() {
                [.., units, nav, value] if numbers.len() >= 3 => {
                    security(isin, name, *units, Some(*nav), *value)
                }
                _ => return self.unreadable(&isin),
            },
        };
        self.push_holding(class, security);
    }

    fn nsdl_folio_row(&mut self, row: &Row) {
        let Some(isin_at) = row.cells.iter().position(|c| is_isin(c.first())) else {
            // An AMC heading is a lone cell naming a fund house (page headers are not).
            let first = row.first();
            if row.cells.len() == 1 && (first.ends_with("Mutual Fund") || first.ends_with(" MF")) {
                self.amc = Some(first);
            }
            return;
        };
        let isin = row.cells[isin_at].first().to_string();
        let name = row
            .cells
            .get(isin_at + 1)
            .map(Cell::text)
            .unwrap_or_default();
        let Some(folio) = row.cells.get(isin_at + 2).map(Cell::text) else {
            self.unreadable(&isin);
            return;
        };
        let numbers: Vec<Decimal> = row.cells[isin_at + 3..]
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        // units | average cost | total cost | NAV | value | [profit | return]
        let [units, _average, cost, nav, value, ..] = numbers.as_slice() else {
            self.unreadable(&isin);
            return;
        };
        let amc = self.amc.clone().unwrap_or_default();
        self.push_scheme(
            amc,
            folio,
            None,
            scheme(name, isin, *units, *nav, *value, Some(*cost)),
        );
    }

    // --- shared -------------------------------------------------------------------------

    fn push_scheme(
        &mut self,
        amc: String,
        folio: String,
        registrar: Option<String>,
        scheme: Scheme,
    ) {
        let same = self
            .folios
            .last()
            .is_some_and(|f| f.folio_number == folio && f.amc == amc);
        if !same {
            self.folios.push(MutualFundFolio {
                amc,
                folio_number: folio,
                registrar,
                pan: None,
                kyc: None,
                value: Decimal::ZERO,
                schemes: Vec::new(),
            });
        }
        if let Some(f) = self.folios.last_mut() {
            f.value += scheme.value;
            f.schemes.push(scheme);
        }
    }

    fn unreadable(&mut self, isin: &str) {
        self.warnings
            .push(format!("{isin}: holding row could not be read"));
    }

    /// Printed values where the statement gives them, each checked against the holdings.
    fn finish(mut self, cas_type: &str) -> Result<Portfolio, ParseError> {
        if self.accounts.is_empty() && self.folios.is_empty() && self.nps.is_empty() {
            return Err(ParseError::Malformed(
                "no demat account, folio or NPS account found".into(),
            ));
        }
        let mut demat_total = Decimal::ZERO;
        for (account, printed) in self.accounts.iter_mut().zip(&self.account_values) {
            let held = holdings_value(&account.holdings);
            account.value = printed.unwrap_or(held);
            if account.value != held {
                self.warnings.push(format!(
                    "{} account {}{}: holdings add up to {held}, the statement says {}",
                    account.depository,
                    account.dp_id.as_deref().unwrap_or(""),
                    account.client_id.as_deref().unwrap_or(""),
                    account.value
                ));
            }
            demat_total += account.value;
        }
        for (account, printed) in self.nps.iter_mut().zip(&self.nps_printed) {
            let held: Decimal = account.funds.iter().map(|f| f.value).sum();
            account.value = printed.unwrap_or(held);
            if account.value != held {
                self.warnings.push(format!(
                    "NPS {}: schemes add up to {held}, the statement says {}",
                    account.pran, account.value
                ));
            }
        }
        let mut accounts = BTreeMap::new();
        if !self.accounts.is_empty() {
            accounts.insert(
                "demat".to_string(),
                AccountTotal {
                    count: count(self.accounts.len()),
                    total_value: demat_total,
                },
            );
        }
        let folio_total: Decimal = self.folios.iter().map(|f| f.value).sum();
        if !self.folios.is_empty() || self.printed.mutual_funds.is_some() {
            let (printed_count, printed_value) = self
                .printed
                .mutual_funds
                .unwrap_or((count(self.folios.len()), folio_total));
            if printed_value != folio_total {
                self.warnings.push(format!(
                    "mutual fund folios add up to {folio_total}, the statement says {printed_value}"
                ));
            }
            if printed_count != count(self.folios.len()) {
                self.warnings.push(format!(
                    "{} mutual fund folios read, the statement counts {printed_count}",
                    self.folios.len()
                ));
            }
            accounts.insert(
                "mutual_funds".to_string(),
                AccountTotal {
                    count: count(self.folios.len()),
                    total_value: printed_value,
                },
            );
        }
        let nps_total: Decimal = self.nps.iter().map(|n| n.value).sum();
        if !self.nps.is_empty() || self.printed.nps.is_some() {
            let printed = self.printed.nps.unwrap_or(nps_total);
            if printed != nps_total {
                self.warnings.push(format!(
                    "NPS accounts add up to {nps_total}, the summary says {printed}"
                ));
            }
            accounts.insert(
                "nps".to_string(),
                AccountTotal {
                    count: count(self.nps.len()),
                    total_value: printed,
                },
            );
        }
        let kinds: Decimal = accounts.values().map(|a| a.total_value).sum();
        let total_value = self.printed.grand_total.unwrap_or(kinds);
        if total_value != kinds {
            self.warnings.push(format!(
                "accounts add up to {kinds}, the statement's grand total is {total_value}"
            ));
        }
        if self.investor.pan.is_none() {
            // The investor holds every single-name account; the first holder is them.
            self.investor.pan = self
                .accounts
                .iter()
                .find(|a| a.holders.len() == 1)
                .and_then(|a| a.holders[0].pan.clone());
        }
        Ok(Portfolio {
            meta: PortfolioMeta {
                cas_type: cas_type.into(),
                statement_kind: None,
                generated_at: None,
                statement_period: self.period,
            },
            investor: self.investor,
            summary: PortfolioSummary {
                total_value,
                accounts,
            },
            mutual_funds: self.folios,
            demat_accounts: self.accounts,
            nps: self.nps,
            warnings: self.warnings,
        })
    }
}

/// `NAME (PAN:X)` lines anywhere in a row.
fn holders_in(row: &Row) -> Vec<Holder> {
    row.cells
        .iter()
        .flat_map(|c| c.lines.iter())
        .filter_map(|l| HOLDER.captures(l))
        .map(|c| Holder {
            name: c[1].trim().to_string(),
            pan: Some(c[2].to_string()).filter(|p| !p.is_empty()),
        })
        .collect()
}

/// The cell after the account type that reads `DP ID: … Client ID: …`, with the DP's name on its
/// other line: (DP name, DP id, client id).
fn dp_and_client(row: &Row) -> Option<(String, String, String)> {
    row.cells.iter().skip(1).find_map(|cell| {
        let text = cell.text();
        let ids = DP_CLIENT.captures(&text)?;
        let dp_name = cell
            .lines
            .iter()
            .find(|l| !DP_CLIENT.is_match(l))
            .cloned()
            .unwrap_or_default();
        Some((dp_name, ids[1].to_string(), ids[2].to_string()))
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn new_account(depository: &str, dp_name: &str, dp_id: &str, client_id: &str) -> DematAccount {
    DematAccount {
        depository: depository.to_string(),
        dp_name: Some(dp_name.to_string()).filter(|n| !n.is_empty()),
        dp_id: Some(dp_id.to_string()),
        client_id: Some(client_id.to_string()),
        holders: Vec::new(),
        value: Decimal::ZERO,
        status: None,
        holdings: DematHoldings::default(),
    }
}

fn security(
    isin: String,
    name: String,
    units: Decimal,
    price: Option<Decimal>,
    value: Decimal,
) -> Security {
    Security {
        isin,
        name,
        units,
        price,
        value,
        face_value: None,
        coupon_rate: None,
        maturity_date: None,
    }
}

fn scheme(
    name: String,
    isin: String,
    units: Decimal,
    nav: Decimal,
    value: Decimal,
    cost: Option<Decimal>,
) -> Scheme {
    Scheme {
        name,
        isin: Some(isin),
        amfi_code: None,
        advisor: None,
        nominees: Vec::new(),
        open_units: None,
        units,
        nav,
        value,
        cost,
        valuation_date: None,
        transactions: Vec::new(),
    }
}

/// Reads a CDSL or NSDL statement.
pub fn parse(statement: &Statement) -> Result<Portfolio, ParseError> {
    let cas_type = match statement.kind {
        CasKind::Cdsl => "cdsl",
        CasKind::Nsdl => "nsdl",
        _ => return Err(ParseError::UnsupportedFormat),
    };
    let mut reader = Reader::new(statement.kind);
    // The investor block is on page 2 (page 1 is the cover); a short file may have it first.
    let investor_page = statement
        .pages
        .iter()
        .take(2)
        .rev()
        .find(|p| p.runs.iter().any(|r| ID_MARKER.is_match(r.text.trim())));
    if let Some(page) = investor_page {
        reader.investor_block(page);
    }
    for page in statement.pages.iter().take(2) {
        reader.contact_details(page);
    }
    for page in &statement.pages {
        for row in rows(page) {
            reader.row(&row);
        }
    }
    reader.finish(cas_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::TextRun;

    fn run(x: f32, y: f32, text: &str) -> TextRun {
        TextRun {
            x,
            y,
            font_size: 7.0,
            width: 4.0 * text.len() as f32,
            horizontal: true,
            text: text.into(),
        }
    }

    #[test]
    fn isins_tell_the_holding_class() {
        assert_eq!(class_of_isin("INE002A01018"), Class::Equities);
        assert_eq!(class_of_isin("INF204KB14I2"), Class::MutualFunds);
        assert_eq!(class_of_isin("INE906B07CB9"), Class::CorporateBonds);
        assert_eq!(class_of_isin("INE020B08DK8"), Class::CorporateBonds);
        assert_eq!(class_of_isin("IN0020230085"), Class::GovernmentSecurities);
        assert_eq!(class_of_isin("IN1520220111"), Class::GovernmentSecurities);
    }

    #[test]
    fn dates_in_either_form() {
        assert_eq!(any_date("15-Jun-2033").as_deref(), Some("2033-06-15"));
        assert_eq!(any_date("31-12-2025").as_deref(), Some("2025-12-31"));
        assert_eq!(any_date("31/12/2025").as_deref(), Some("2025-12-31"));
        assert_eq!(any_date("31-13-2025"), None);
        assert_eq!(any_date("7.18"), None);
    }

    #[test]
    fn wrapped_cells_stay_in_their_row() {
        let page = Page {
            number: 3,
            runs: vec![
                run(30.0, 700.0, "INE002A01018"),
                run(110.0, 700.0, "RELIANCE INDUSTRIES"),
                run(110.0, 693.0, "LIMITED"),
                run(480.0, 700.0, "1,280.00"),
                run(30.0, 680.0, "INE040A01034"),
            ],
        };
        let rows = rows(&page);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells.len(), 3);
        assert_eq!(rows[0].cells[1].text(), "RELIANCE INDUSTRIES LIMITED");
        assert_eq!(rows[1].first(), "INE040A01034");
    }

    #[test]
    fn cdsl_rows_become_holdings_and_totals_are_checked() {
        let mut reader = Reader::new(CasKind::Cdsl);
        let row = |cells: &[(f32, &str)]| Row {
            cells: cells
                .iter()
                .map(|(x, t)| Cell {
                    x: *x,
                    lines: vec![t.to_string()],
                })
                .collect(),
        };
        reader.row(&row(&[
            (30.0, "CDSL Demat Account"),
            (150.0, "DP Id: 12081600 Client Id: 12345678"),
            (400.0, "2"),
            (560.0, "1,100.00"),
        ]));
        reader.row(&row(&[(
            30.0,
            "DP Name : ZERODHA BROKING LIMITED    BO ID : 1208160012345678",
        )]));
        reader.row(&row(&[(30.0, "HOLDING STATEMENT AS ON 31-Dec-2025")]));
        reader.row(&row(&[
            (30.0, "INE002A01018"),
            (108.0, "@"),
            (120.0, "RELIANCE INDUSTRIES LIMITED"),
            (300.0, "1.000"),
            (340.0, "--"),
            (510.0, "1,000.00"),
            (565.0, "1,000.00"),
        ]));
        reader.row(&row(&[
            (30.0, "INF204KB14I2"),
            (120.0, "NIPPON INDIA ETF NIFTY 50 BEES"),
            (300.0, "1.000"),
            (340.0, "--"),
            (510.0, "90.0000"),
            (565.0, "90.00"),
        ]));
        reader.row(&row(&[(30.0, "INE906B07CB9"), (120.0, "NO NUMBERS")]));
        let p = reader.finish("cdsl").unwrap();
        let account = &p.demat_accounts[0];
        assert_eq!(
            account.holdings.equities[0].name,
            "RELIANCE INDUSTRIES LIMITED"
        );
        assert_eq!(
            account.holdings.demat_mutual_funds[0].value,
            Decimal::new(90, 0)
        );
        assert_eq!(account.value, Decimal::new(110000, 2));
        assert_eq!(p.summary.total_value, Decimal::new(110000, 2));
        // 1,090 held against 1,100 printed, and the unreadable bond row: warnings, not errors.
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    }

    #[test]
    fn nothing_recognisable_is_malformed() {
        let statement = Statement {
            kind: CasKind::Nsdl,
            variant: crate::CasVariant::Unknown,
            pages: vec![Page {
                number: 1,
                runs: vec![run(30.0, 700.0, "NSDL Consolidated Account Statement")],
            }],
        };
        assert!(matches!(parse(&statement), Err(ParseError::Malformed(_))));
    }
}
