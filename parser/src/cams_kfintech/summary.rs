//! CAMS and KFintech "Consolidated Account Summary" statements: holdings only, one table row
//! per scheme, no transactions.
//!
//! The layout: the title with a single date (`As on 31-Dec-2025`), the investor block at the
//! top left of page 1 (as in the detailed statement), then a holdings table repeated under a
//! header on every page: `Folio No. | ISIN | Scheme Name | Cost Value | Unit Balance (KFintech:
//! Closing Unit Balance) | NAV Date | NAV (KFintech: Price) | Market Value | Registrar`, grouped
//! under AMC headings. A long scheme name wraps onto lines holding nothing but its tail in the
//! Scheme column. A `Total` row ends the table.
//!
//! Cells are found by position: each header label (stacked over one to three baselines) is a
//! column; a run belongs to the column whose anchor is nearest (left edge for text and dates,
//! right edge for the right-aligned numbers).

use super::investor::investor_block;
use super::portfolio::rta_portfolio;
use crate::amounts::parse_amount;
use crate::dates::iso_date;
use crate::error::ParseError;
use crate::model::{MutualFundFolio, Portfolio, PortfolioMeta, Scheme, StatementPeriod};
use crate::pdf::{Line, TextRun};
use crate::reconcile::Reconciliation;
use crate::statement::{CasVariant, Statement};
use regex::Regex;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static AS_ON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bas\s+on\s+(\d{2}-[A-Za-z]{3}-\d{4})").expect("valid regex")
});
static FOLIO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{6,}(?:\s*/\s*\d+)?)").expect("valid regex"));
static ISIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(INF[A-Z0-9]{8}\d)\b").expect("valid regex"));
/// `<RTA code>-<scheme name>`; the code is short and has no dash of its own.
static SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z0-9][A-Za-z0-9 ]{1,15}?)\s*-\s*(\S.*)$").expect("valid regex")
});
static AMC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^.+?\s+(?:MF|Mutual\s*Fund|Fund\s*House)$").expect("valid regex")
});
static TOTAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:grand\s+|sub\s+|portfolio\s+)?total\b").expect("valid regex")
});

/// Header lines of one table header lie within this many points of the `Folio No.` line.
const HEADER_SPAN: f32 = 12.0;
/// A wrapped scheme name's tail sits at most this far below the line before it.
const WRAP_MAX_GAP: f32 = 15.0;
/// Header labels whose estimated extents come this close belong to one column.
const LABEL_MERGE_GAP: f32 = 2.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Folio,
    Isin,
    Scheme,
    Cost,
    Units,
    NavDate,
    Nav,
    Value,
    Registrar,
    /// A header label we do not read.
    Other,
}

impl Field {
    fn right_aligned(self) -> bool {
        matches!(self, Field::Cost | Field::Units | Field::Nav | Field::Value)
    }

    /// What a column's stacked label words name, e.g. `Closing Unit` + `Balance` → units.
    fn from_label(words: &[&str]) -> Field {
        let has = |w: &str| words.iter().any(|x| x.eq_ignore_ascii_case(w));
        if has("Folio") {
            Field::Folio
        } else if has("ISIN") {
            Field::Isin
        } else if has("Scheme") {
            Field::Scheme
        } else if has("Cost") {
            Field::Cost
        } else if has("Balance") {
            Field::Units
        } else if has("NAV") && has("Date") {
            Field::NavDate
        } else if has("NAV") || has("Price") {
            Field::Nav
        } else if has("Market") {
            Field::Value
        } else if has("Registrar") {
            Field::Registrar
        } else {
            Field::Other
        }
    }
}

#[derive(Debug, Clone)]
struct Column {
    field: Field,
    left: f32,
    right: f32,
}

impl Column {
    fn distance(&self, run: &TextRun) -> f32 {
        if self.field.right_aligned() {
            (run.x + run.width - self.right).abs()
        } else {
            (run.x - self.left).abs()
        }
    }
}

fn is_header_word(word: &str) -> bool {
    matches!(
        word.trim_end_matches('.'),
        "Folio"
            | "No"
            | "ISIN"
            | "Scheme"
            | "Name"
            | "Cost"
            | "Value"
            | "Closing"
            | "Unit"
            | "Balance"
            | "NAV"
            | "Date"
            | "Price"
            | "Market"
            | "Registrar"
            | "(INR)"
            | "(Rs.)"
    )
}

fn is_header_line(line: &Line) -> bool {
    let text = line.text();
    let mut words = text.split_whitespace().peekable();
    words.peek().is_some() && words.all(is_header_word)
}

/// The table header on a page: its columns, left to right, and the index of its last line.
fn find_header(lines: &[Line]) -> Option<(Vec<Column>, usize)> {
    let anchor = lines.iter().position(|l| {
        let text = l.text();
        is_header_line(l) && text.contains("Folio") && text.contains("Scheme")
    })?;
    let y = lines[anchor].y;
    let members: Vec<usize> = (0..lines.len())
        .filter(|&i| (lines[i].y - y).abs() <= HEADER_SPAN && is_header_line(&lines[i]))
        .collect();
    let last = members.iter().copied().max().unwrap_or(anchor);
    let mut labels: Vec<&TextRun> = members
        .iter()
        .flat_map(|&i| lines[i].runs.iter().copied())
        .filter(|r| !r.text.trim().is_empty())
        .collect();
    labels.sort_by(|a, b| a.x.total_cmp(&b.x));
    // Stacked labels of one column overlap horizontally; neighbouring columns do not.
    let mut groups: Vec<(f32, f32, Vec<&str>)> = Vec::new();
    for run in labels {
        let (left, right) = (run.x, run.x + run.width);
        match groups.last_mut() {
            Some(g) if left <= g.1 + LABEL_MERGE_GAP => {
                g.0 = g.0.min(left);
                g.1 = g.1.max(right);
                g.2.extend(run.text.split_whitespace());
            }
            _ => groups.push((left, right, run.text.split_whitespace().collect())),
        }
    }
    let columns: Vec<Column> = groups
        .into_iter()
        .map(|(left, right, words)| Column {
            field: Field::from_label(&words),
            left,
            right,
        })
        .collect();
    let has = |f: Field| columns.iter().any(|c| c.field == f);
    (has(Field::Folio) && has(Field::Scheme) && has(Field::Value)).then_some((columns, last))
}

/// A table line's text per field (runs of one field joined by a space).
fn cells(line: &Line, columns: &[Column]) -> BTreeMap<u8, String> {
    let mut out: BTreeMap<u8, String> = BTreeMap::new();
    for run in &line.runs {
        let text = run.text.trim();
        if text.is_empty() {
            continue;
        }
        let Some(column) = columns
            .iter()
            .min_by(|a, b| a.distance(run).total_cmp(&b.distance(run)))
        else {
            continue;
        };
        let cell = out.entry(column.field as u8).or_default();
        if !cell.is_empty() {
            cell.push(' ');
        }
        cell.push_str(text);
    }
    out
}

struct Row<'a>(&'a BTreeMap<u8, String>);

impl Row<'_> {
    fn get(&self, field: Field) -> &str {
        self.0.get(&(field as u8)).map_or("", |s| s.trim())
    }

    fn number(&self, field: Field) -> Result<Option<Decimal>, ParseError> {
        let text = self.get(field);
        if text.is_empty() {
            return Ok(None);
        }
        parse_amount(text)
            .map(Some)
            .ok_or_else(|| ParseError::Malformed(format!("unreadable number {text:?}")))
    }
}

struct Reader {
    folios: Vec<MutualFundFolio>,
    amc: Option<String>,
    statement_date: Option<String>,
    /// Whether the last scheme row can still receive a wrapped name tail, and the line it
    /// was last extended on.
    open_scheme_y: Option<f32>,
    printed_total: Option<Decimal>,
}

impl Reader {
    fn table_line(&mut self, line: &Line, columns: &[Column]) -> Result<(), ParseError> {
        let text = line.text();
        let text = text.trim();
        if AMC.is_match(text) {
            self.amc = Some(text.to_string());
            self.open_scheme_y = None;
            return Ok(());
        }
        let cells = cells(line, columns);
        let row = Row(&cells);
        let folio = FOLIO
            .captures(row.get(Field::Folio))
            .map(|c| c[1].to_string());
        let scheme_cell = row.get(Field::Scheme);
        if folio.is_none() && (TOTAL.is_match(scheme_cell) || TOTAL.is_match(text)) {
            // The table ends here; what follows (notes, disclaimers) is no scheme's name.
            self.printed_total = row.number(Field::Value).ok().flatten();
            self.open_scheme_y = None;
            return Ok(());
        }
        if let (Some(folio), Some(c)) = (folio.as_deref(), SCHEME.captures(scheme_cell)) {
            let isin = ISIN
                .captures(row.get(Field::Isin))
                .or_else(|| ISIN.captures(row.get(Field::Folio)))
                .map(|c| c[1].to_string());
            let nav_date =
                iso_date(row.get(Field::NavDate)).or_else(|| self.statement_date.clone());
            let registrar = Some(row.get(Field::Registrar).to_string()).filter(|r| !r.is_empty());
            let mut scheme = Scheme::held(
                c[2].trim().to_string(),
                isin,
                row.number(Field::Units)?.unwrap_or_default(),
                row.number(Field::Nav)?.unwrap_or_default(),
                row.number(Field::Value)?.unwrap_or_default(),
                row.number(Field::Cost)?,
            );
            scheme.valuation_date = nav_date;
            scheme.additional_info.rta_code = Some(c[1].trim().to_string());
            self.add(folio, registrar, scheme);
            self.open_scheme_y = Some(line.y);
            return Ok(());
        }
        // The tail of a wrapped scheme name: text in the Scheme column only, right below.
        let only_scheme =
            !scheme_cell.is_empty() && cells.keys().all(|&k| k == Field::Scheme as u8);
        if let Some(prev_y) = self.open_scheme_y
            && only_scheme
            && prev_y - line.y <= WRAP_MAX_GAP
            && let Some(scheme) = self.folios.last_mut().and_then(|f| f.schemes.last_mut())
        {
            scheme.name = format!("{} {scheme_cell}", scheme.name);
            self.open_scheme_y = Some(line.y);
        }
        Ok(())
    }

    /// Schemes join their folio by number, wherever in the table it reappears.
    fn add(&mut self, folio: &str, registrar: Option<String>, scheme: Scheme) {
        let index = match self.folios.iter().position(|f| f.folio_number == folio) {
            Some(i) => i,
            None => {
                self.folios.push(MutualFundFolio {
                    amc: self.amc.clone().unwrap_or_default(),
                    folio_number: folio.to_string(),
                    registrar: registrar.clone(),
                    additional_info: Default::default(),
                    linked_holders: Vec::new(),
                    value: Decimal::ZERO,
                    schemes: Vec::new(),
                });
                self.folios.len() - 1
            }
        };
        let entry = &mut self.folios[index];
        entry.registrar = entry.registrar.take().or(registrar);
        entry.value += scheme.value;
        entry.schemes.push(scheme);
    }
}

/// Reads a CAMS or KFintech summary statement.
pub fn parse(statement: &Statement) -> Result<Portfolio, ParseError> {
    let issuer = statement.issuer;
    if issuer.is_depository() {
        return Err(ParseError::UnsupportedFormat);
    }
    if statement.variant != CasVariant::Summary {
        return Err(ParseError::UnsupportedFormat);
    }
    let mut reader = Reader {
        folios: Vec::new(),
        amc: None,
        statement_date: None,
        open_scheme_y: None,
        printed_total: None,
    };
    let mut investor = None;
    let mut columns: Option<Vec<Column>> = None;
    for (index, page) in statement.pages.iter().enumerate() {
        let lines = page.lines();
        if index == 0 {
            investor = Some(investor_block(&lines));
        }
        if reader.statement_date.is_none() {
            reader.statement_date = lines
                .iter()
                .find_map(|l| AS_ON.captures(&l.text()).and_then(|c| iso_date(&c[1])));
        }
        // A page without its own header continues the previous page's table.
        let first_row = match find_header(&lines) {
            Some((found, last)) => {
                columns = Some(found);
                last + 1
            }
            None => 0,
        };
        let Some(columns) = columns.as_deref() else {
            continue;
        };
        // The tail of a name never continues across a page break.
        reader.open_scheme_y = None;
        for line in lines.iter().skip(first_row) {
            reader.table_line(line, columns)?;
        }
    }
    if reader.folios.is_empty() {
        return Err(ParseError::UnsupportedFormat);
    }
    let total: Decimal = reader.folios.iter().map(|f| f.value).sum();
    let schemes: usize = reader.folios.iter().map(|f| f.schemes.len()).sum();
    let mut reconciliation = Reconciliation::default();
    if let Some(printed) = reader.printed_total {
        reconciliation.total(
            || "the Total row's market value".into(),
            total,
            printed,
            schemes,
        );
    }
    for scheme in reader.folios.iter().flat_map(|f| &f.schemes) {
        reconciliation.valuation(scheme);
    }
    let mut warnings = Vec::new();
    let reconciled = reconciliation.finish(&mut warnings);
    let meta = PortfolioMeta {
        cas_type: issuer.cas_type(),
        issuer,
        statement_kind: Some("summary".into()),
        generated_at: None,
        statement_period: StatementPeriod {
            from: reader.statement_date.clone(),
            to: reader.statement_date,
        },
        reconciled,
    };
    Ok(rta_portfolio(
        meta,
        investor.unwrap_or_default(),
        reader.folios,
        warnings,
    ))
}
