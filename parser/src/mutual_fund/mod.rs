//! CAMS and KFintech detailed statements: investor, period, folios, schemes, transactions and
//! valuations, read line by line from the positioned text.
//!
//! The layout (both registrars print the same one): a header block on page 1 (investor at the
//! left, a notice at the right), a portfolio summary, then per AMC heading and folio line the
//! schemes, each with its opening balance, transaction rows, closing balance with NAV, and
//! cost/valuation line. Page headers and footers repeat on every page and are skipped.

use crate::model::{
    AccountTotal, Investor, MutualFundFolio, Portfolio, PortfolioMeta, PortfolioSummary, Scheme,
    StatementPeriod, Transaction,
};
use crate::money::parse_amount;
use crate::pdf::{Line, Statement};
use crate::transaction_type;
use crate::{CasKind, CasVariant, ParseError};
use regex::Regex;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The investor block sits left of this x on page 1; the notice to its right is not theirs.
const INVESTOR_COLUMN_MAX_X: f32 = 250.0;

static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{2})-([A-Za-z]{3})-(\d{4})$").expect("valid regex"));
static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{2}-[A-Za-z]{3}-\d{4})\s+(?i:to)\s+(\d{2}-[A-Za-z]{3}-\d{4})$")
        .expect("valid regex")
});
static FOLIO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^Folio No:\s*(.+?)\s+PAN:\s*(\S*)\s+KYC:\s*(\S+(?: \S+)?)\s+PAN:\s*(\S+(?: \S+)?)\s*$",
    )
    .expect("valid regex")
});
static SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:([A-Za-z0-9]+)-)?(.+?)\s*-\s*ISIN:\s*([A-Z]{2}[A-Z0-9]{9}\d)\s*(?:\(Advisor:\s*([^)]*)\))?")
        .expect("valid regex")
});
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Closing Unit Balance:\s*(\S+)\s+NAV on (\d{2}-[A-Za-z]{3}-\d{4}):\s*INR\s*(\S+)")
        .expect("valid regex")
});
static VALUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Total Cost Value:\s*(\S+)\s+(?:Market Value|Valuation) on (\d{2}-[A-Za-z]{3}-\d{4}):\s*INR\s*(\S+)")
        .expect("valid regex")
});
/// A renamed scheme's old name, `(formerly …)` / `(erstwhile …)`, and a trailing
/// `(Demat …)` / `(Non-Demat …)` note: not part of the scheme's name.
static FORMER_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)\((?:formerly|erstwhile).+?\)").expect("valid regex"));
static DEMAT_NOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)\((?:Demat|Non-Demat).*").expect("valid regex"));
static DIVIDEND_RATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@\s*Rs\.?\s*([0-9.,]+)\s*per unit").expect("valid regex"));

/// `10-Jan-2025` → `2025-01-10`.
pub fn iso_date(printed: &str) -> Option<String> {
    let c = DATE.captures(printed.trim())?;
    let month = match c[2].to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(format!("{}-{month:02}-{}", &c[3], &c[1]))
}

/// The transaction table's header, one to three lines (KFintech stacks it): only header words.
fn is_table_header(text: &str) -> bool {
    text.starts_with("Date Transaction")
        || text.starts_with("(INR)")
        || text.split_whitespace().all(|w| {
            matches!(
                w,
                "Date"
                    | "Transaction"
                    | "Amount"
                    | "Units"
                    | "Price"
                    | "NAV"
                    | "Unit"
                    | "Balance"
                    | "(INR)"
            )
        })
}

/// Page furniture repeated on every page.
fn is_furniture(text: &str) -> bool {
    text == "Consolidated Account Statement"
        || PERIOD.is_match(text)
        || is_table_header(text)
        || (text.starts_with("Page ") && text.contains(" of "))
        || text.starts_with("This is a computer generated statement")
}

fn amount(s: &str) -> Result<Decimal, ParseError> {
    parse_amount(s).ok_or_else(|| malformed(&format!("unreadable number {s:?}")))
}

fn malformed(what: &str) -> ParseError {
    ParseError::Malformed(what.to_string())
}

/// A scheme being read, with what its folio line said.
struct OpenScheme {
    scheme: Scheme,
}

struct Reader {
    investor: Investor,
    period: StatementPeriod,
    folios: Vec<MutualFundFolio>,
    amc: Option<String>,
    /// The folio line's fields until its scheme line arrives.
    pending_folio: Option<(String, String, String)>,
    /// Scheme text that wrapped before its ISIN.
    pending_scheme_text: String,
    scheme: Option<OpenScheme>,
    warnings: Vec<String>,
    in_table: bool,
}

impl Reader {
    fn new() -> Self {
        Self {
            investor: Investor::default(),
            period: StatementPeriod {
                from: None,
                to: None,
            },
            folios: Vec::new(),
            amc: None,
            pending_folio: None,
            pending_scheme_text: String::new(),
            scheme: None,
            warnings: Vec::new(),
            in_table: false,
        }
    }

    fn close_scheme(&mut self) {
        let Some(open) = self.scheme.take() else {
            return;
        };
        let scheme = open.scheme;
        let moved: Decimal = scheme.transactions.iter().filter_map(|t| t.units).sum();
        if let Some(opening) = scheme.open_units
            && opening + moved != scheme.units
        {
            self.warnings.push(format!(
                "{}: opening {} plus transactions {} is not the closing balance {}",
                scheme.name, opening, moved, scheme.units
            ));
        }
        if let Some(folio) = self.folios.last_mut() {
            folio.value += scheme.value;
            folio.schemes.push(scheme);
        }
    }

    fn line(&mut self, line: &Line) -> Result<(), ParseError> {
        let text = line.text().trim().to_string();
        if text.is_empty() || is_furniture(&text) {
            if is_table_header(&text) && !text.is_empty() {
                self.in_table = true;
            }
            return Ok(());
        }
        if !self.in_table {
            return Ok(());
        }
        if let Some(c) = FOLIO.captures(&text) {
            self.close_scheme();
            self.pending_folio =
                Some((c[1].trim().to_string(), c[2].to_string(), c[3].to_string()));
            self.pending_scheme_text.clear();
            return Ok(());
        }
        if let Some((folio, pan, kyc)) = self.pending_folio.clone() {
            // The holder's name comes between the folio line and the scheme line.
            let candidate = if self.pending_scheme_text.is_empty() {
                text.clone()
            } else {
                format!("{} {text}", self.pending_scheme_text)
            };
            if let Some(c) = SCHEME.captures(&candidate) {
                self.pending_folio = None;
                self.pending_scheme_text.clear();
                self.start_scheme(&folio, &pan, &kyc, &c);
            } else if looks_like_scheme_start(&text) {
                self.pending_scheme_text = candidate;
            }
            return Ok(());
        }
        let Some(open) = self.scheme.as_mut() else {
            // Outside a scheme: an AMC heading.
            if text.ends_with("Mutual Fund") || text.ends_with("MF") {
                self.amc = Some(text);
            }
            return Ok(());
        };
        let scheme = &mut open.scheme;
        if let Some(rta) = text
            .strip_prefix("Registrar :")
            .or_else(|| text.strip_prefix("Registrar:"))
        {
            let rta = rta.trim().to_string();
            if let Some(folio) = self.folios.last_mut() {
                folio.registrar.get_or_insert(rta);
            }
            return Ok(());
        }
        if text.starts_with("Nominee 1:") {
            scheme.nominees = text
                .split("Nominee ")
                .filter_map(|part| {
                    part.split_once(':')
                        .map(|(_, name)| name.trim().to_string())
                })
                .filter(|n| !n.is_empty())
                .collect();
            return Ok(());
        }
        if let Some(opening) = text.strip_prefix("Opening Unit Balance:") {
            scheme.open_units = Some(amount(opening.trim())?);
            return Ok(());
        }
        if let Some(c) = CLOSING.captures(&text) {
            scheme.units = amount(&c[1])?;
            scheme.valuation_date = iso_date(&c[2]);
            scheme.nav = amount(&c[3])?;
            return Ok(());
        }
        if let Some(c) = VALUATION.captures(&text) {
            scheme.cost = Some(amount(&c[1])?);
            scheme.valuation_date = iso_date(&c[2]);
            scheme.value = amount(&c[3])?;
            self.close_scheme();
            return Ok(());
        }
        let first = line.runs.first().map(|r| r.text.trim()).unwrap_or("");
        if let Some(date) = iso_date(first) {
            scheme.transactions.push(transaction(line, date)?);
        } else if let Some(last) = scheme.transactions.last_mut() {
            // A wrapped description.
            last.description = format!("{} {text}", last.description);
            last.kind = transaction_type::classify(&last.description, last.units).to_string();
            last.dividend_rate = dividend_rate(&last.description);
        }
        Ok(())
    }

    fn start_scheme(&mut self, folio: &str, pan: &str, kyc: &str, c: &regex::Captures<'_>) {
        let amc = self.amc.clone().unwrap_or_default();
        let same_folio = self
            .folios
            .last()
            .is_some_and(|f| f.folio_number == folio && f.amc == amc);
        if !same_folio {
            self.folios.push(MutualFundFolio {
                amc,
                folio_number: folio.to_string(),
                registrar: None,
                pan: (!pan.is_empty()).then(|| pan.to_string()),
                kyc: Some(kyc.to_string()),
                value: Decimal::ZERO,
                schemes: Vec::new(),
            });
        }
        self.scheme = Some(OpenScheme {
            scheme: Scheme {
                name: clean_scheme_name(&c[2]),
                isin: Some(c[3].to_string()),
                amfi_code: None,
                advisor: c
                    .get(4)
                    .map(|m| m.as_str().trim().to_string())
                    .filter(|a| !a.is_empty()),
                nominees: Vec::new(),
                open_units: None,
                units: Decimal::ZERO,
                nav: Decimal::ZERO,
                value: Decimal::ZERO,
                cost: None,
                valuation_date: None,
                transactions: Vec::new(),
            },
        });
    }
}

/// The investor block at the top left of page 1, shared by the detailed and summary
/// statements: `Email Id:`, the name, address lines, optional `Phone …:` lines, `Mobile:`.
/// It starts at `Email Id:` and ends at `Mobile:`, so titles above and tables below stay out.
pub(crate) fn investor_block(lines: &[Line]) -> Investor {
    let mut investor = Investor::default();
    let mut block = Vec::new();
    let mut started = false;
    for line in lines {
        let text = line.text_left_of(INVESTOR_COLUMN_MAX_X);
        if text == "PORTFOLIO SUMMARY" || text.starts_with("Date Transaction") {
            break;
        }
        if let Some(email) = text.strip_prefix("Email Id:") {
            investor.email = Some(email.trim().to_string());
            started = true;
            continue;
        }
        if !started || text.is_empty() || is_furniture(&text) {
            continue;
        }
        if let Some(mobile) = text.strip_prefix("Mobile:") {
            investor.mobile = Some(mobile.trim().to_string());
            break;
        }
        // `Phone Off:` / `Phone Res:` lines, often empty, are not part of the address.
        if !text.starts_with("Phone") {
            block.push(text);
        }
    }
    let mut rest = block.into_iter();
    investor.name = rest.next();
    let address: Vec<String> = rest.collect();
    investor.pincode = address
        .iter()
        .rev()
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .map(String::from);
    if !address.is_empty() {
        investor.address = Some(address.join("\n"));
    }
    investor
}

/// The scheme's name as printed, without former names and demat notes, spaces collapsed and
/// trailing punctuation (other than a closing parenthesis) dropped; casparser names them so.
pub fn clean_scheme_name(printed: &str) -> String {
    let name = FORMER_NAME.replace_all(printed, "");
    let name = DEMAT_NOTE.replace(&name, "");
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    name.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ')'))
        .trim()
        .to_string()
}

/// A scheme line starts with the RTA's scheme code and a dash, e.g. `HMCOGT-HDFC …`.
fn looks_like_scheme_start(text: &str) -> bool {
    text.split_once('-').is_some_and(|(code, _)| {
        !code.is_empty() && code.len() <= 12 && code.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

fn dividend_rate(description: &str) -> Option<Decimal> {
    DIVIDEND_RATE
        .captures(description)
        .and_then(|c| parse_amount(&c[1]))
}

/// One transaction row: date, description, then up to four numbers (amount, units, NAV,
/// balance). Rows with one number carry only an amount (taxes, payouts); rows with three have
/// no amount.
fn transaction(line: &Line, date: String) -> Result<Transaction, ParseError> {
    let runs: Vec<&str> = line
        .runs
        .iter()
        .map(|r| r.text.trim())
        .filter(|t| !t.is_empty())
        .collect();
    let mut numbers = Vec::new();
    let mut end = runs.len();
    // Numbers are the trailing runs; the date and at least one description run stay.
    while end > 2 && numbers.len() < 4 {
        match parse_amount(runs[end - 1]) {
            Some(n) => numbers.push(n),
            None => break,
        }
        end -= 1;
    }
    numbers.reverse();
    let description = runs[1..end].join(" ");
    let (amount, units, nav, balance) = match numbers.as_slice() {
        [a, u, n, b] => (Some(*a), Some(*u), Some(*n), Some(*b)),
        [u, n, b] => (None, Some(*u), Some(*n), Some(*b)),
        [a, u] => (Some(*a), Some(*u), None, None),
        [a] => (Some(*a), None, None, None),
        _ => (None, None, None, None),
    };
    Ok(Transaction {
        kind: transaction_type::classify(&description, units).to_string(),
        dividend_rate: dividend_rate(&description),
        date,
        description,
        amount,
        units,
        nav,
        balance,
    })
}

/// Reads a CAMS or KFintech detailed statement.
pub fn parse(statement: &Statement) -> Result<Portfolio, ParseError> {
    let cas_type = match statement.kind {
        CasKind::Cams => "cams",
        CasKind::Kfintech => "kfintech",
        _ => return Err(ParseError::UnsupportedFormat),
    };
    if statement.variant != CasVariant::Detailed {
        return Err(ParseError::UnsupportedFormat);
    }
    let mut reader = Reader::new();
    for (index, page) in statement.pages.iter().enumerate() {
        let lines = page.lines();
        if index == 0 {
            reader.investor = investor_block(&lines);
            if let Some(c) = lines.iter().find_map(|l| {
                PERIOD
                    .captures(l.text().trim())
                    .map(|c| (c[1].to_string(), c[2].to_string()))
            }) {
                reader.period = StatementPeriod {
                    from: iso_date(&c.0),
                    to: iso_date(&c.1),
                };
            }
        }
        for line in &lines {
            reader.line(line)?;
        }
    }
    reader.close_scheme();
    if reader.folios.is_empty() {
        return Err(ParseError::UnsupportedFormat);
    }
    reader.investor.pan = reader.folios.iter().find_map(|f| f.pan.clone());
    let meta = PortfolioMeta {
        cas_type: cas_type.into(),
        statement_kind: Some("detailed".into()),
        generated_at: None,
        statement_period: reader.period,
    };
    Ok(rta_portfolio(
        meta,
        reader.investor,
        reader.folios,
        reader.warnings,
    ))
}

/// A CAMS / KFintech statement's portfolio: its folios are all it holds, so the total and the
/// one per-kind entry (`mutual_funds`) are the sum of their values.
pub(crate) fn rta_portfolio(
    meta: PortfolioMeta,
    investor: Investor,
    folios: Vec<MutualFundFolio>,
    warnings: Vec<String>,
) -> Portfolio {
    let total: Decimal = folios.iter().map(|f| f.value).sum();
    let accounts = BTreeMap::from([(
        "mutual_funds".to_string(),
        AccountTotal {
            count: u32::try_from(folios.len()).unwrap_or(u32::MAX),
            total_value: total,
        },
    )]);
    Portfolio {
        meta,
        investor,
        summary: PortfolioSummary {
            total_value: total,
            accounts,
        },
        mutual_funds: folios,
        demat_accounts: Vec::new(),
        nps: Vec::new(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_iso() {
        assert_eq!(iso_date("10-Jan-2025").as_deref(), Some("2025-01-10"));
        assert_eq!(iso_date("31-DEC-2025").as_deref(), Some("2025-12-31"));
        assert_eq!(iso_date("10-Foo-2025"), None);
        assert_eq!(iso_date("2025-01-10"), None);
    }

    #[test]
    fn scheme_names_lose_former_names_and_demat_notes() {
        let cases = [
            (
                "Bandhan Small Cap Fund - Direct Plan - Growth (formerly IDFC Emerging Businesses Fund)",
                "Bandhan Small Cap Fund - Direct Plan - Growth",
            ),
            (
                "Axis Bluechip Fund - Direct Growth (erstwhile Axis Equity Fund) (Non-Demat)",
                "Axis Bluechip Fund - Direct Growth",
            ),
            (
                "HDFC Flexi Cap Fund -  Direct Plan -",
                "HDFC Flexi Cap Fund - Direct Plan",
            ),
            (
                "Baroda BNP Paribas Credit Risk Fund (Scheme has one Segregated Portfolio)",
                "Baroda BNP Paribas Credit Risk Fund (Scheme has one Segregated Portfolio)",
            ),
            ("(formerly X)", ""),
        ];
        for (printed, clean) in cases {
            assert_eq!(clean_scheme_name(printed), clean, "{printed}");
        }
    }

    #[test]
    fn dividend_rates_are_read() {
        assert_eq!(
            dividend_rate("IDCW Paid @ Rs.0.25 per unit"),
            Some(Decimal::new(25, 2))
        );
        assert_eq!(dividend_rate("Purchase"), None);
    }
}
