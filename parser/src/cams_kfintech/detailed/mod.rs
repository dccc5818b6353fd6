//! CAMS and KFintech detailed statements: investor, period, folios, schemes, transactions and
//! valuations, read line by line from the positioned text, then checked against the totals the
//! statement prints.
//!
//! The layout (both registrars print the same one): a header block on page 1 (investor at the
//! left, a notice at the right), the PORTFOLIO SUMMARY (per fund house cost and market value,
//! and a Total), then per fund-house heading and folio line the schemes, each with a heading
//! region (holders, `CODE-Name - ISIN: … (Advisor: …)`, registrar, nominees), its opening
//! balance, transaction rows, closing balance with NAV, and cost / valuation. Page headers and
//! footers repeat on every page and are skipped; a page break may fall anywhere.
//!
//! Nothing is dropped silently: a line inside a folio that fits nowhere, a heading without an
//! opening balance or an opening balance without a heading becomes a warning, and the result
//! says whether the folios add up to the printed summary (`meta.reconciled`).

mod folio_line;
mod portfolio_summary;
mod scheme_header;
mod transactions;

use super::furniture::{PERIOD, is_furniture, is_table_header};
use super::investor::investor_block;
use super::portfolio::rta_portfolio;
use crate::amounts::parse_amount;
use crate::dates::iso_date;
use crate::error::ParseError;
use crate::model::{
    FolioInfo, Holder, Investor, MutualFundFolio, Portfolio, PortfolioMeta, Scheme, StatementPeriod,
};
use crate::pdf::Line;
use crate::reconcile::{Reconciliation, UNIT_TOLERANCE};
use crate::redact;
use crate::statement::{CasVariant, Statement};
use folio_line::FolioLine;
use portfolio_summary::{PortfolioSummary as PrintedSummary, check_summary};
use regex::Regex;
use rust_decimal::Decimal;
use scheme_header::SchemeHeader;
use std::sync::LazyLock;
use transactions::{Columns, fix_signs_by_balance};

/// Unplaced lines quoted one by one in the warnings; the rest are counted.
const UNPLACED_QUOTED: usize = 10;

/// A fund-house heading: `HDFC Mutual Fund`, `Quant MF`, `… Fund House`.
static AMC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^.+?\s+(?:MF|Mutual\s*Fund|Fund\s*House)$").expect("valid regex")
});
static OPENING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)Opening\s+Unit\s+Balance\s*:?\s*(\S*)").expect("valid regex")
});
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)Closing\s+Unit\s+Balance\s*:?\s*(\S*)").expect("valid regex")
});
static NAV_ON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)NAV\s+on\s+(\d{1,2}-[A-Za-z]{3}-\d{4})\s*:\s*(?:INR|Rs\.?)?\s*(\S*)")
        .expect("valid regex")
});
static COST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)Total\s+Cost\s+Value\s*:?\s*(?:INR|Rs\.?)?\s*(\S*)").expect("valid regex")
});
static VALUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:Market\s+Value|Valuation)\s+on\s+(\d{1,2}-[A-Za-z]{3}-\d{4})\s*:\s*(?:INR|Rs\.?)?\s*(\S*)",
    )
    .expect("valid regex")
});
/// A scheme between its opening balance and its valuation.
struct OpenScheme {
    scheme: Scheme,
    /// Index into the reader's folios; `None` for a scheme whose heading could not be read
    /// (its rows are consumed so they are not reported twice, then dropped).
    folio: Option<usize>,
    closing_seen: bool,
    /// The last dated row was a footnote: undated lines after it are its tail, not a
    /// transaction's.
    in_footnote: bool,
}

struct Reader {
    investor: Investor,
    period: StatementPeriod,
    printed: Option<PrintedSummary>,
    folios: Vec<MutualFundFolio>,
    amc: Option<String>,
    /// The last folio line read, with the page it was on.
    folio: Option<FolioLine>,
    /// Lines since the folio line or the last valuation, up to the next opening balance.
    region: Vec<String>,
    scheme: Option<OpenScheme>,
    columns: Columns,
    in_table: bool,
    page: u32,
    unplaced: Vec<(u32, String)>,
    warnings: Vec<String>,
    reconciliation: Reconciliation,
}

impl Reader {
    fn new() -> Self {
        Self {
            investor: Investor::default(),
            period: StatementPeriod {
                from: None,
                to: None,
            },
            printed: None,
            folios: Vec::new(),
            amc: None,
            folio: None,
            region: Vec::new(),
            scheme: None,
            columns: Columns::default(),
            in_table: false,
            page: 0,
            unplaced: Vec::new(),
            warnings: Vec::new(),
            reconciliation: Reconciliation::default(),
        }
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(format!("page {}: {message}", self.page));
    }

    fn line(&mut self, line: &Line) {
        let text = line.text();
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if is_table_header(text) {
            self.in_table = true;
            self.columns.add_header_line(line);
            return;
        }
        if !self.in_table || is_furniture(text) {
            return;
        }
        if self.scheme.is_some() && self.scheme_line(line, text) {
            return;
        }
        self.between_schemes(text);
    }

    /// A line while a scheme is open; false when it ends the scheme and is not the scheme's.
    fn scheme_line(&mut self, line: &Line, text: &str) -> bool {
        let Some(open) = self.scheme.as_mut() else {
            return false;
        };
        if let Some(start) = transactions::row_date(line) {
            // A dated row without amount or units is a footnote, not a transaction.
            match transactions::row(line, start, &self.columns) {
                Some(t) => {
                    open.scheme.transactions.push(t);
                    open.in_footnote = false;
                }
                None => open.in_footnote = true,
            }
            return true;
        }
        let mut footer = false;
        if let Some(c) = CLOSING.captures(text) {
            footer = true;
            open.closing_seen = true;
            match parse_amount(&c[1]) {
                Some(units) => open.scheme.units = units,
                None => {
                    let what = format!(
                        "{}: closing balance {:?} unreadable",
                        open.scheme.name, &c[1]
                    );
                    self.warn(what);
                }
            }
        }
        let Some(open) = self.scheme.as_mut() else {
            return false;
        };
        if let Some(c) = NAV_ON.captures(text) {
            footer = true;
            open.scheme.valuation_date = iso_date(&c[1]);
            // `N.A.` when no NAV was declared: the valuation cannot be checked.
            open.scheme.nav = parse_amount(&c[2]).unwrap_or(Decimal::ZERO);
        }
        if let Some(c) = COST.captures(text) {
            footer = true;
            open.scheme.cost = parse_amount(&c[1]);
        }
        if let Some(c) = VALUATION.captures(text) {
            open.scheme.valuation_date = iso_date(&c[1]);
            open.scheme.value = parse_amount(&c[2]).unwrap_or(Decimal::ZERO);
            self.close_scheme();
            return true;
        }
        if footer {
            return true;
        }
        // After the closing balance only its valuation belongs to the scheme; a heading or
        // a folio line before it means the valuation was never printed.
        let ends_scheme = folio_line::is_folio_line(text)
            || OPENING.is_match(text)
            || (scheme_header::is_scheme_line(text) && text.contains("ISIN"));
        if open.closing_seen || ends_scheme {
            let name = open.scheme.name.clone();
            self.warn(format!(
                "{name}: no valuation line before {:?}",
                redact::quote(text)
            ));
            self.close_scheme();
            return false;
        }
        let tail = transactions::is_description_tail(line, &self.columns);
        if tail && open.in_footnote {
            // A footnote's wrapped tail: as much a footnote as its first line.
            return true;
        }
        match open.scheme.transactions.last_mut() {
            Some(last) if tail => transactions::continue_description(last, text),
            _ => self.unplaced.push((self.page, text.to_string())),
        }
        true
    }

    /// A line between schemes: folio lines, fund-house headings, heading regions, and the
    /// opening balance that turns a region into a scheme.
    fn between_schemes(&mut self, text: &str) {
        if let Some(folio) = folio_line::read(text) {
            self.end_region("a folio line");
            if folio.number.is_empty() {
                self.warn(format!(
                    "a folio line without a folio number: {:?}",
                    redact::quote(text)
                ));
            }
            self.folio = Some(folio);
            return;
        }
        if let Some(c) = OPENING.captures(text) {
            let opening = parse_amount(&c[1]);
            self.open_scheme(opening, text);
            return;
        }
        let in_heading = scheme_header::holds_a_heading(&self.region);
        if !in_heading && AMC.is_match(text) && !scheme_header::is_scheme_line(text) {
            self.end_region("a fund-house heading");
            self.amc = Some(text.to_string());
            return;
        }
        self.region.push(text.to_string());
    }

    /// A region that ends without an opening balance: only a concern when it held a heading.
    fn end_region(&mut self, before: &str) {
        let region = std::mem::take(&mut self.region);
        if scheme_header::holds_a_heading(&region) {
            let heading = region
                .iter()
                .find(|l| scheme_header::is_scheme_line(l))
                .unwrap_or(&region[0]);
            self.warn(format!(
                "a scheme heading with no opening balance before {before}; the scheme was not read: {:?}",
                redact::quote(heading)
            ));
        }
    }

    fn open_scheme(&mut self, opening: Option<Decimal>, text: &str) {
        let region = std::mem::take(&mut self.region);
        let Some(header) = scheme_header::read(&region) else {
            self.warn(format!(
                "an opening balance with no scheme heading above it; its transactions were not read: {:?}",
                redact::quote(region.first().map_or(text, String::as_str))
            ));
            self.scheme = Some(OpenScheme {
                scheme: empty_scheme(String::new()),
                folio: None,
                closing_seen: false,
                in_footnote: false,
            });
            return;
        };
        if opening.is_none() {
            self.warn(format!(
                "{}: opening balance unreadable: {:?}",
                header.name,
                redact::quote(text)
            ));
        }
        self.unplaced
            .extend(header.unplaced.iter().map(|l| (self.page, l.clone())));
        let folio = self.folio_for(&header);
        let mut scheme = empty_scheme(header.name);
        scheme.isin = header.isin;
        scheme.nominees = header.nominees;
        scheme.additional_info.advisor = header.advisor;
        scheme.additional_info.rta_code = Some(header.rta_code);
        scheme.additional_info.open_units = opening;
        self.scheme = Some(OpenScheme {
            scheme,
            folio: Some(folio),
            closing_seen: false,
            in_footnote: false,
        });
    }

    /// The folio a scheme belongs to: the last folio line's, under the current fund house.
    fn folio_for(&mut self, header: &SchemeHeader) -> usize {
        let amc = self.amc.clone().unwrap_or_default();
        if self.folio.is_none() {
            self.warn(format!("{}: a scheme before any folio line", header.name));
        }
        let line = self.folio.clone().unwrap_or_default();
        let found = self
            .folios
            .iter()
            .position(|f| f.folio_number == line.number && f.amc == amc);
        let index = found.unwrap_or_else(|| {
            self.folios.push(MutualFundFolio {
                amc,
                folio_number: line.number.clone(),
                registrar: None,
                additional_info: FolioInfo {
                    pan: line.pan.clone(),
                    kyc: line.kyc.clone(),
                    pankyc: line.pan_status.clone(),
                },
                // The first holder is the one whose PAN the folio line prints.
                linked_holders: header
                    .holders
                    .iter()
                    .enumerate()
                    .map(|(i, name)| Holder {
                        name: name.clone(),
                        pan: if i == 0 { line.pan.clone() } else { None },
                    })
                    .collect(),
                value: Decimal::ZERO,
                schemes: Vec::new(),
            });
            self.folios.len() - 1
        });
        if let Some(registrar) = &header.registrar {
            self.folios[index]
                .registrar
                .get_or_insert_with(|| registrar.clone());
        }
        index
    }

    /// Files the open scheme under its folio after checking it against its own printed
    /// balances: each row's running unit balance, the closing balance, units × NAV.
    fn close_scheme(&mut self) {
        let Some(open) = self.scheme.take() else {
            return;
        };
        let Some(folio) = open.folio else {
            return;
        };
        let mut scheme = open.scheme;
        scheme.settle();
        fix_signs_by_balance(&mut scheme);
        if let Some(opening) = scheme.additional_info.open_units {
            let mut running = opening;
            for t in &scheme.transactions {
                running += t.units.unwrap_or_default();
                if let Some(balance) = t.balance {
                    self.reconciliation.line(
                        || {
                            format!(
                                "{}: unit balance after the {} row of {}",
                                scheme.name, t.kind, t.date
                            )
                        },
                        running,
                        balance,
                        UNIT_TOLERANCE,
                    );
                    // One missing row is one warning, not one per row after it.
                    running = balance;
                }
            }
            let moved: Decimal = scheme.transactions.iter().filter_map(|t| t.units).sum();
            self.reconciliation.line(
                || {
                    format!(
                        "{}: opening balance plus transactions against the closing balance",
                        scheme.name
                    )
                },
                opening + moved,
                scheme.units,
                UNIT_TOLERANCE,
            );
        }
        self.reconciliation.valuation(&scheme);
        let folio = &mut self.folios[folio];
        folio.value += scheme.value;
        folio.schemes.push(scheme);
    }

    /// The statement's end: what is still open is closed, the folios are checked against the
    /// printed portfolio summary, and unplaced lines become warnings.
    fn finish(&mut self) {
        if self.scheme.is_some() {
            let name = self
                .scheme
                .as_ref()
                .map(|s| s.scheme.name.clone())
                .unwrap_or_default();
            self.warn(format!("{name}: the statement ends before its valuation"));
            self.close_scheme();
        }
        self.end_region("the end of the statement");
        if let Some(printed) = self.printed.take().filter(PrintedSummary::is_printed) {
            check_summary(&printed, &self.folios, &mut self.reconciliation);
        }
        let unplaced = std::mem::take(&mut self.unplaced);
        for (page, text) in unplaced.iter().take(UNPLACED_QUOTED) {
            self.warnings.push(format!(
                "page {page}: a line inside a folio that could not be placed: {:?}",
                redact::quote(text)
            ));
        }
        if unplaced.len() > UNPLACED_QUOTED {
            self.warnings.push(format!(
                "{} more lines inside folios could not be placed",
                unplaced.len() - UNPLACED_QUOTED
            ));
        }
    }
}

fn empty_scheme(name: String) -> Scheme {
    Scheme::held(
        name,
        None,
        Decimal::ZERO,
        Decimal::ZERO,
        Decimal::ZERO,
        None,
    )
}

/// Reads a CAMS or KFintech detailed statement.
pub fn parse(statement: &Statement) -> Result<Portfolio, ParseError> {
    let issuer = statement.issuer;
    if issuer.is_depository() {
        return Err(ParseError::UnsupportedFormat);
    }
    if statement.variant != CasVariant::Detailed {
        return Err(ParseError::UnsupportedFormat);
    }
    let mut reader = Reader::new();
    for (index, page) in statement.pages.iter().enumerate() {
        let lines = page.lines();
        reader.page = page.number;
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
        if reader.printed.is_none() && !reader.in_table {
            reader.printed = portfolio_summary::read(&lines);
        }
        for line in &lines {
            reader.line(line);
        }
    }
    reader.finish();
    if reader.folios.is_empty() {
        return Err(ParseError::UnsupportedFormat);
    }
    reader.investor.pan = reader
        .folios
        .iter()
        .find_map(|f| f.additional_info.pan.clone());
    let reconciled = std::mem::take(&mut reader.reconciliation).finish(&mut reader.warnings);
    let meta = PortfolioMeta {
        cas_type: issuer.cas_type(),
        issuer,
        statement_kind: Some("detailed".into()),
        generated_at: None,
        statement_period: reader.period,
        reconciled,
    };
    Ok(rta_portfolio(
        meta,
        reader.investor,
        reader.folios,
        reader.warnings,
    ))
}
