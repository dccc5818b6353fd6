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
//!   `Mutual Fund Folios (F)` under AMC headings (ISIN over UCC | scheme | folio | units | average
//!   cost | total cost | NAV | value | profit | return).
//!
//! Rows are read as blocks of lines closer than `rows::ROW_GAP` (wrapped cells) split into cells
//! by where their runs start. Holdings are checked against the printed account values and totals;
//! a difference becomes a warning, never an error.
//!
//! One `Reader` walks every row of every page; each concern is its own file:
//!
//! * `rows` — rows and cells from positioned lines; number, ISIN and date cells.
//! * `classes` — which holdings list a security goes in: the ISIN rules and NSDL section headings.
//! * `investor` — the investor block and contact details.
//! * `roster` — page 2's account roster and printed totals.
//! * `cdsl` / `nsdl` — each depository's own pages.
//! * `activity` — account details, transactions and NSDL's insurance policies.
//! * `totals` — the printed totals checked against the holdings, and the finished `Portfolio`.

mod activity;
mod cdsl;
mod classes;
mod investor;
mod nsdl;
mod roster;
mod rows;
mod totals;

use crate::dates::any_date;
use crate::error::ParseError;
use crate::model::Issuer;
use crate::model::{
    DematAccount, DematHoldings, Holder, Investor, LifeInsurancePolicy, MutualFundFolio,
    NpsAccount, Portfolio, Scheme, Security, StatementPeriod, Transaction,
};
use crate::statement::Statement;
use classes::{Class, holdings_of};
use regex::Regex;
use rows::{Row, rows};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::LazyLock;

static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)for\s+the\s+period\s+from\s+(\d{2}[-/][A-Za-z0-9]{2,3}[-/]\d{4})\s+to\s+(\d{2}[-/][A-Za-z0-9]{2,3}[-/]\d{4})")
        .expect("valid regex")
});

/// Where in the statement the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Cover, roster and anything not inside a holdings table.
    Outside,
    /// CDSL: an account's transactions (and the details above them).
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
    /// NSDL: an account's transactions.
    NsdlTransactions,
    /// NSDL: `Life Insurance Policies`.
    NsdlInsurance,
}

/// What the roster or a table's total row printed, to check the holdings against.
#[derive(Debug, Default)]
struct Printed {
    mutual_funds: Option<(u32, Decimal)>,
    nps: Option<Decimal>,
    grand_total: Option<Decimal>,
    /// NSDL's `Total (N Policies)` row: the count and the total sum assured.
    insurance: Option<(u32, Decimal)>,
}

/// One security's movements in an account's transaction statement.
#[derive(Debug, Default)]
struct Movements {
    account: usize,
    isin: String,
    opening: Option<Decimal>,
    closing: Option<Decimal>,
    transactions: Vec<Transaction>,
}

/// What a CDSL statement's folio description (`AMC Name :`, `Folio No :`, `ISIN : … RTA :`)
/// tells of a folio's scheme, which its holding row does not print.
#[derive(Debug, Clone, Default)]
struct FolioDescription {
    amc: String,
    registrar: Option<String>,
    /// The RTA's code for the scheme (`Scheme Code`).
    scheme_code: Option<String>,
}

/// The statement read so far, and where in it the rows are.
struct Reader {
    issuer: Issuer,
    investor: Investor,
    period: StatementPeriod,
    accounts: Vec<DematAccount>,
    /// Printed value per account (roster, else the account's `Total` row).
    account_values: Vec<Option<Decimal>>,
    folios: Vec<MutualFundFolio>,
    /// CDSL folio descriptions by (ISIN, folio).
    folio_info: HashMap<(String, String), FolioDescription>,
    nps: Vec<NpsAccount>,
    nps_printed: Vec<Option<Decimal>>,
    printed: Printed,
    warnings: Vec<String>,
    /// Every printed total compared with what was read.
    reconciliation: crate::reconcile::Reconciliation,
    mode: Mode,
    current: Option<usize>,
    pending_holders: Vec<Holder>,
    /// Roster rows are read until the first account's details start.
    roster_done: bool,
    /// CDSL: the folio description being read (AMC, folio).
    describing: (Option<String>, Option<String>),
    /// CDSL: the description's `Scheme Code` (the RTA's code for the scheme).
    describing_code: Option<String>,
    /// The roster's holders of each NPS account, by the PRAN its row prints.
    nps_holders: HashMap<String, Vec<Holder>>,
    /// The security whose transactions are being read, and those read before it.
    movements: Option<Movements>,
    all_movements: Vec<Movements>,
    insurance: Vec<LifeInsurancePolicy>,
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
    fn new(issuer: Issuer) -> Self {
        Self {
            issuer,
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
            reconciliation: crate::reconcile::Reconciliation::default(),
            mode: Mode::Outside,
            current: None,
            pending_holders: Vec::new(),
            roster_done: false,
            describing: (None, None),
            describing_code: None,
            nps_holders: HashMap::new(),
            movements: None,
            all_movements: Vec::new(),
            insurance: Vec::new(),
            amc: None,
            in_nps: false,
            balance_columns: false,
        }
    }

    fn find_account(&self, depository: &str, dp_id: &str, client_id: &str) -> Option<usize> {
        self.accounts.iter().position(|a| {
            a.demat_type == depository
                && a.dp_id.as_deref() == Some(dp_id)
                && a.client_id.as_deref() == Some(client_id)
        })
    }

    /// An account named by a section header; one the roster did not list is added.
    fn select_account(&mut self, depository: &str, dp_name: &str, dp_id: &str, client_id: &str) {
        self.roster_done = true;
        self.finish_movements();
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

    /// The period wherever it is printed; roster rows until the accounts start; then the
    /// depository's own pages.
    fn row(&mut self, row: &Row) {
        let text = row.text();
        let lower = text.to_ascii_lowercase();
        if self.period.from.is_none()
            && lower.contains("period")
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
        match self.issuer {
            Issuer::Nsdl => self.nsdl_row(row, &text, &lower),
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
            account.additional_info.status = Some(status.trim().to_string());
        }
        true
    }

    fn push_holding(&mut self, class: Class, security: Security) {
        if let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i)) {
            holdings_of(&mut account.holdings, class).push(security);
        }
    }

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
                additional_info: Default::default(),
                linked_holders: Vec::new(),
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
}

fn new_account(depository: &str, dp_name: &str, dp_id: &str, client_id: &str) -> DematAccount {
    DematAccount {
        demat_type: depository.to_string(),
        dp_name: Some(dp_name.to_string()).filter(|n| !n.is_empty()),
        dp_id: Some(dp_id.to_string()),
        client_id: Some(client_id.to_string()),
        // CDSL identifies an account by one 16-digit BO id: DP id and client id together.
        bo_id: (depository == "CDSL").then(|| format!("{dp_id}{client_id}")),
        linked_holders: Vec::new(),
        value: Decimal::ZERO,
        additional_info: Default::default(),
        holdings: DematHoldings::default(),
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
    Scheme::held(name, Some(isin), units, nav, value, cost)
}

/// Reads a CDSL or NSDL statement.
pub fn parse(statement: &Statement) -> Result<Portfolio, ParseError> {
    if !statement.issuer.is_depository() {
        return Err(ParseError::UnsupportedFormat);
    }
    let mut reader = Reader::new(statement.issuer);
    reader.investor(&statement.pages);
    for page in &statement.pages {
        for row in rows(page) {
            reader.row(&row);
        }
    }
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::{Page, TextRun};

    #[test]
    fn nothing_recognisable_is_malformed() {
        let statement = Statement {
            issuer: Issuer::Nsdl,
            variant: crate::statement::CasVariant::Unknown,
            pages: vec![Page {
                number: 1,
                runs: vec![TextRun {
                    x: 30.0,
                    y: 700.0,
                    font_size: 7.0,
                    width: 140.0,
                    horizontal: true,
                    text: "NSDL Consolidated Account Statement".into(),
                }],
            }],
        };
        assert!(matches!(parse(&statement), Err(ParseError::Malformed(_))));
    }
}
