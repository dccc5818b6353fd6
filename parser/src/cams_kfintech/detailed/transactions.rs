//! Transaction rows: `Date | Transaction | Amount | Units | Price (KFintech: NAV) | Unit
//! Balance`, the numbers right-aligned under their header labels.
//!
//! A number belongs to the column whose label's right edge is nearest to its own. Without a
//! usable header (a run holding several labels, a page without one) the numbers are taken by
//! count: four are all columns, three have no amount, two are amount and units, one an amount.

use crate::amounts::{parse_amount, trailing_numbers};
use crate::dates::iso_date;
use crate::model::{Scheme, Transaction};
use crate::pdf::{Line, TextRun};
use crate::reconcile::UNIT_TOLERANCE;
use crate::transaction_type;
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::LazyLock;

static DIVIDEND_RATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@\s*Rs\.?\s*([0-9.,]+)\s*per unit").expect("valid regex"));

/// A number further than this from every column's right edge is not in a column.
const COLUMN_REACH: f32 = 30.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Amount,
    Units,
    Price,
    Balance,
}

/// Right edges of the numeric columns, from a table header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns(Vec<(Field, f32)>);

impl Columns {
    /// Adds the numeric labels of one header line (the header spans one to three baselines).
    pub fn add_header_line(&mut self, line: &Line) {
        for run in &line.runs {
            let words: Vec<&str> = run.text.split_whitespace().collect();
            // Only a run that is one label tells where that label ends.
            let [word] = words.as_slice() else { continue };
            let field = match *word {
                "Amount" => Field::Amount,
                "Units" => Field::Units,
                "Price" | "NAV" => Field::Price,
                "Balance" => Field::Balance,
                _ => continue,
            };
            let right = run.x + run.width;
            self.0.retain(|(f, _)| *f != field);
            self.0.push((field, right));
        }
    }

    fn field_at(&self, run: &TextRun) -> Option<Field> {
        let right = run.x + run.width;
        self.0
            .iter()
            .map(|(f, edge)| (*f, (edge - right).abs()))
            .filter(|(_, distance)| *distance <= COLUMN_REACH)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(f, _)| f)
    }

    fn complete(&self) -> bool {
        self.0.len() == 4
    }
}

/// A row's leading date as printed: `01-Jan-2025`, `1 Jan 2025`, `01Jan2025`, dashes doubled
/// where an overprint bled through.
static LEADING_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,2})[-\s]*([A-Za-z]{3})[-\s]*(\d{4})\b").expect("valid regex")
});

/// Where a dated row starts: its date, the description text that followed the date in the
/// same run, and how many runs the date took.
pub struct RowStart {
    pub date: String,
    pub rest: String,
    runs: usize,
}

/// The leading date of a row: run together with the description, or printed in up to three
/// runs (`25`, `Oct`, `2025`).
pub fn row_date(line: &Line) -> Option<RowStart> {
    let first = line.runs.first()?.text.trim();
    if let Some((date, end)) = leading_date(first) {
        let rest = first.get(end..).unwrap_or("").trim().to_string();
        return Some(RowStart {
            date,
            rest,
            runs: 1,
        });
    }
    let joined: Vec<&str> = line.runs.iter().take(3).map(|r| r.text.trim()).collect();
    let joined = joined.join(" ");
    let (date, end) = leading_date(&joined).filter(|(_, end)| *end == joined.len())?;
    let runs = joined[..end].split_whitespace().count().min(3);
    Some(RowStart {
        date,
        rest: String::new(),
        runs,
    })
}

/// The ISO date a text starts with, and where it ends.
fn leading_date(text: &str) -> Option<(String, usize)> {
    let c = LEADING_DATE.captures(text)?;
    let printed = format!("{:0>2}-{}-{}", &c[1], &c[2], &c[3]);
    Some((iso_date(&printed)?, c.get(0)?.end()))
}

/// A dated row as a transaction; `None` for a dated row with neither amount nor units that is
/// not a `***…***` marker: a footnote that happens to start with a date.
pub fn row(line: &Line, start: RowStart, columns: &Columns) -> Option<Transaction> {
    let RowStart {
        date,
        rest: first_rest,
        runs: date_runs,
    } = start;
    let mut runs: Vec<&TextRun> = line
        .runs
        .iter()
        .skip(date_runs)
        .copied()
        .filter(|r| !r.text.trim().is_empty())
        .collect();
    // KFintech overprints the date a fraction of a point to the right: one date, not text.
    if first_rest.is_empty()
        && runs
            .first()
            .and_then(|r| leading_date(r.text.trim()))
            .is_some_and(|(again, end)| again == date && end == runs[0].text.trim().len())
    {
        runs.remove(0);
    }
    let first_rest = match leading_date(&first_rest) {
        Some((again, end)) if again == date => first_rest[end..].trim().to_string(),
        _ => first_rest,
    };
    // Numbers are the trailing runs (four at most) that read as numbers and, where the header
    // gave the columns, sit in one: `SIP Purchase (1)` keeps its `(1)`.
    let is_number = |r: &TextRun| {
        parse_amount(&r.text).is_some() && (!columns.complete() || columns.field_at(r).is_some())
    };
    let first_number = trailing_numbers(&runs, 4, |r| is_number(r));
    let numbers = &runs[first_number..];
    let mut description: Vec<&str> = Vec::new();
    if !first_rest.is_empty() {
        description.push(&first_rest);
    }
    description.extend(runs[..first_number].iter().map(|r| r.text.trim()));
    let description = description.join(" ");
    if description.is_empty() {
        return None;
    }
    let (amount, units, nav, balance) =
        by_column(numbers, columns).unwrap_or_else(|| by_count(numbers));
    let marker = description.starts_with("***");
    if amount.is_none() && units.is_none() && !marker {
        return None;
    }
    let mut transaction = Transaction {
        additional_info: None,
        kind: String::new(),
        dividend_rate: None,
        date,
        description,
        amount,
        units,
        nav,
        balance,
    };
    classify(&mut transaction);
    Some(transaction)
}

/// Whether an undated line can be the tail of a wrapped description: no number in a number
/// column (a lone `1` under the description is text, `Segregated Portfolio` / `1`).
pub fn is_description_tail(line: &Line, columns: &Columns) -> bool {
    !line.runs.iter().any(|r| {
        parse_amount(&r.text).is_some() && (!columns.complete() || columns.field_at(r).is_some())
    })
}

/// Appends a wrapped line to the description and classifies the row again.
pub fn continue_description(transaction: &mut Transaction, text: &str) {
    transaction.description = format!("{} {}", transaction.description, text.trim());
    classify(transaction);
}

/// Some KFintech templates print a reversed extinguishment's units in parentheses although
/// they come back in (`Payment - Units Extinguished-Reversed`): where the printed running
/// balance only adds up with the other sign, that sign is the row's (casparser does the same).
pub(super) fn fix_signs_by_balance(scheme: &mut Scheme) {
    let Some(mut previous) = scheme.additional_info.open_units else {
        return;
    };
    for t in &mut scheme.transactions {
        let (Some(units), Some(balance)) = (t.units, t.balance) else {
            continue;
        };
        let as_printed = (previous + units - balance).abs() <= UNIT_TOLERANCE;
        let flipped = (previous - units - balance).abs() <= UNIT_TOLERANCE;
        if !as_printed && flipped {
            t.units = Some(-units);
            t.amount = t.amount.map(|a| -a);
            classify(t);
        }
        previous = balance;
    }
}

fn classify(transaction: &mut Transaction) {
    let kind = transaction_type::classify(&transaction.description, transaction.units);
    // A `***…***` notice row (address change, nominee registration) moves nothing.
    transaction.kind = if kind == "UNKNOWN" && transaction.description.starts_with("***") {
        "MISC"
    } else {
        kind
    }
    .to_string();
    transaction.dividend_rate = dividend_rate(&transaction.description);
}

type Numbers = (
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
);

fn by_column(numbers: &[&TextRun], columns: &Columns) -> Option<Numbers> {
    if !columns.complete() {
        return None;
    }
    let mut out: Numbers = (None, None, None, None);
    for run in numbers {
        let value = parse_amount(&run.text);
        let slot = match columns.field_at(run)? {
            Field::Amount => &mut out.0,
            Field::Units => &mut out.1,
            Field::Price => &mut out.2,
            Field::Balance => &mut out.3,
        };
        if slot.is_some() {
            // Two numbers under one label: the positions cannot be trusted.
            return None;
        }
        *slot = value;
    }
    Some(out)
}

fn by_count(numbers: &[&TextRun]) -> Numbers {
    let values: Vec<Decimal> = numbers
        .iter()
        .filter_map(|r| parse_amount(&r.text))
        .collect();
    match values.as_slice() {
        [a, u, n, b] => (Some(*a), Some(*u), Some(*n), Some(*b)),
        [u, n, b] => (None, Some(*u), Some(*n), Some(*b)),
        [a, u] => (Some(*a), Some(*u), None, None),
        [a] => (Some(*a), None, None, None),
        _ => (None, None, None, None),
    }
}

pub fn dividend_rate(description: &str) -> Option<Decimal> {
    DIVIDEND_RATE
        .captures(description)
        .and_then(|c| parse_amount(&c[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::group_lines;

    fn run(x: f32, width: f32, text: &str) -> TextRun {
        TextRun {
            x,
            y: 500.0,
            font_size: 8.0,
            width,
            horizontal: true,
            text: text.into(),
        }
    }

    fn header() -> Columns {
        let runs = [
            run(300.0, 30.0, "Amount"),
            run(360.0, 20.0, "Units"),
            run(420.0, 20.0, "Price"),
            run(480.0, 30.0, "Balance"),
        ];
        let mut columns = Columns::default();
        columns.add_header_line(&group_lines(&runs, 2.0)[0]);
        columns
    }

    fn read(runs: &[TextRun]) -> Option<Transaction> {
        let lines = group_lines(runs, 2.0);
        let start = row_date(&lines[0])?;
        row(&lines[0], start, &header())
    }

    #[test]
    fn dates_as_statements_print_them() {
        // casparser's DATE_CELL_RE cases: spaces, no separators, doubled dashes, split runs.
        for printed in ["25-Oct-2025", "25 Oct 2025", "25Oct2025", "25--Oct--2025"] {
            let t = read(&[
                run(40.0, 40.0, printed),
                run(100.0, 60.0, "Purchase"),
                run(300.0, 30.0, "500.00"),
                run(355.0, 25.0, "4.000"),
            ])
            .unwrap();
            assert_eq!(
                (t.date.as_str(), t.description.as_str()),
                ("2025-10-25", "Purchase"),
                "{printed}"
            );
        }
        let t = read(&[
            run(40.0, 8.0, "25"),
            run(50.0, 12.0, "Oct"),
            run(64.0, 16.0, "2025"),
            run(100.0, 60.0, "Purchase"),
            run(300.0, 30.0, "500.00"),
            run(355.0, 25.0, "4.000"),
        ])
        .unwrap();
        assert_eq!(
            (t.date.as_str(), t.description.as_str()),
            ("2025-10-25", "Purchase")
        );
        // KFintech's overprinted date.
        let t = read(&[
            run(40.0, 40.0, "10-Feb-2025"),
            run(40.7, 40.0, "10-Feb-2025"),
            run(100.0, 60.0, "Purchase - via Distributor"),
            run(300.0, 30.0, "500.00"),
            run(355.0, 25.0, "4.000"),
        ])
        .unwrap();
        assert_eq!(t.description, "Purchase - via Distributor");
    }

    #[test]
    fn numbers_go_to_the_column_they_sit_under() {
        // Amount and balance only: a count-based reader would call the balance units.
        let t = read(&[
            run(40.0, 40.0, "10-Jan-2025"),
            run(100.0, 80.0, "Balance restated"),
            run(302.0, 28.0, "1,000.00"),
            run(478.0, 32.0, "12.345"),
        ])
        .unwrap();
        assert_eq!(t.amount, Some(Decimal::new(100000, 2)));
        assert_eq!(t.units, None);
        assert_eq!(t.balance, Some(Decimal::new(12345, 3)));
    }

    #[test]
    fn a_description_ending_in_a_number_keeps_it() {
        let t = read(&[
            run(40.0, 40.0, "10-Jan-2025"),
            run(100.0, 60.0, "SIP Purchase"),
            run(165.0, 10.0, "(1)"),
            run(300.0, 30.0, "500.00"),
            run(355.0, 25.0, "4.000"),
            run(415.0, 25.0, "125.0000"),
            run(478.0, 32.0, "14.000"),
        ])
        .unwrap();
        assert_eq!(t.description, "SIP Purchase (1)");
        assert_eq!(t.units, Some(Decimal::new(4000, 3)));
        assert_eq!(t.kind, "PURCHASE_SIP");
    }

    #[test]
    fn markers_are_misc_and_dated_footnotes_are_not_rows() {
        let marker = read(&[
            run(40.0, 40.0, "10-Jan-2025"),
            run(100.0, 80.0, "***Address Updated from KRA Data***"),
        ])
        .unwrap();
        assert_eq!(marker.kind, "MISC");
        assert_eq!(marker.amount, None);
        assert!(
            read(&[
                run(40.0, 40.0, "01-Apr-2019"),
                run(100.0, 200.0, "onwards stamp duty is levied on purchases")
            ])
            .is_none()
        );
    }

    #[test]
    fn stamp_duty_with_only_an_amount() {
        let t = read(&[
            run(40.0, 40.0, "10-Jan-2025"),
            run(100.0, 80.0, "*** Stamp Duty ***"),
            run(305.0, 25.0, "0.25"),
        ])
        .unwrap();
        assert_eq!(t.kind, "STAMP_DUTY_TAX");
        assert_eq!(t.amount, Some(Decimal::new(25, 2)));
    }

    #[test]
    fn a_date_run_together_with_its_description() {
        let t = read(&[
            run(40.0, 120.0, "10-Jan-2025 Redemption"),
            run(300.0, 30.0, "(1,000.00)"),
            run(355.0, 25.0, "(8.000)"),
            run(415.0, 25.0, "125.0000"),
            run(478.0, 32.0, "2.000"),
        ])
        .unwrap();
        assert_eq!(t.description, "Redemption");
        assert_eq!(t.kind, "REDEMPTION");
        assert_eq!(t.units, Some(Decimal::new(-8000, 3)));
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
