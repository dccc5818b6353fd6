//! The PORTFOLIO SUMMARY a detailed statement prints before its folios: per fund house the
//! cost and market value, then a `Total` row. These are the statement's own totals, which the
//! folios read below them must add up to.
//!
//! ```text
//! PORTFOLIO SUMMARY
//! Mutual Fund                        Cost Value (INR)   Market Value (INR)
//! HDFC Mutual Fund                         1,20,000.00          1,45,678.90
//! Total                                    1,20,000.00          1,45,678.90
//! ```

use crate::amounts::{parse_amount, trailing_numbers};
use crate::model::MutualFundFolio;
use crate::pdf::Line;
use crate::reconcile::Reconciliation;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrintedRow {
    pub cost: Option<Decimal>,
    pub market_value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortfolioSummary {
    /// Fund house → its row, in printed order.
    pub fund_houses: Vec<(String, PrintedRow)>,
    pub total: Option<PrintedRow>,
}

impl PortfolioSummary {
    pub fn is_printed(&self) -> bool {
        self.total.is_some() || !self.fund_houses.is_empty()
    }
}

/// Reads the summary from lines above the first transaction table; `None` without its heading.
pub fn read(lines: &[Line]) -> Option<PortfolioSummary> {
    let start = lines
        .iter()
        .position(|l| l.text().trim().eq_ignore_ascii_case("PORTFOLIO SUMMARY"))?;
    let mut summary = PortfolioSummary::default();
    for line in &lines[start + 1..] {
        let cells: Vec<&str> = line
            .runs
            .iter()
            .map(|r| r.text.trim())
            .filter(|t| !t.is_empty())
            .collect();
        let first_number = trailing_numbers(&cells, 2, |c| parse_amount(c).is_some());
        let values: Vec<Decimal> = cells[first_number..]
            .iter()
            .filter_map(|c| parse_amount(c))
            .collect();
        let label = cells[..first_number].join(" ");
        let row = match values.as_slice() {
            [cost, value] => PrintedRow {
                cost: Some(*cost),
                market_value: *value,
            },
            [value] => PrintedRow {
                cost: None,
                market_value: *value,
            },
            // The column headings.
            _ => continue,
        };
        if label.eq_ignore_ascii_case("total") || label.eq_ignore_ascii_case("grand total") {
            summary.total = Some(row);
            break;
        }
        if label.is_empty() {
            continue;
        }
        summary.fund_houses.push((label, row));
    }
    Some(summary)
}

/// What was read of one fund house's folios, to check against its summary row.
struct FundHouseRead {
    /// The name as the first folio's heading spells it.
    name: String,
    value: Decimal,
    cost: Decimal,
    schemes: usize,
    /// Every scheme printed a cost (else the printed cost cannot be checked).
    every_cost_printed: bool,
}

impl FundHouseRead {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            value: Decimal::ZERO,
            cost: Decimal::ZERO,
            schemes: 0,
            every_cost_printed: true,
        }
    }
}

/// A fund-house name as the summary and the headings may differ in spelling it.
fn fund_house_key(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let trimmed = match words.as_slice() {
        [rest @ .., "mutual", "fund"] | [rest @ .., "mf"] | [rest @ .., "fund", "house"] => rest,
        all => all,
    };
    trimmed.join(" ")
}

/// Folios against the PORTFOLIO SUMMARY: each fund house's market value and cost, and the
/// Total, within a paisa per scheme summed.
pub(super) fn check_summary(
    printed: &PortfolioSummary,
    folios: &[MutualFundFolio],
    r: &mut Reconciliation,
) {
    let mut read: BTreeMap<String, FundHouseRead> = BTreeMap::new();
    for folio in folios {
        let entry = read
            .entry(fund_house_key(&folio.amc))
            .or_insert_with(|| FundHouseRead::new(&folio.amc));
        for scheme in &folio.schemes {
            entry.value += scheme.value;
            entry.cost += scheme.cost.unwrap_or_default();
            entry.schemes += 1;
            entry.every_cost_printed &= scheme.cost.is_some();
        }
    }
    for (name, row) in &printed.fund_houses {
        match read.remove(&fund_house_key(name)) {
            Some(house) => {
                let schemes = house.schemes;
                r.total(|| format!("{name}: market value"), house.value, row.market_value, schemes);
                if let (Some(printed_cost), true) = (row.cost, house.every_cost_printed) {
                    r.total(|| format!("{name}: cost value"), house.cost, printed_cost, schemes);
                }
            }
            None if row.market_value.is_zero() => {
                r.total(|| format!("{name}: market value"), Decimal::ZERO, Decimal::ZERO, 1);
            }
            None => r.unmatched(format!(
                "{name}: the portfolio summary prints a market value of {}, no folio of it was read",
                row.market_value.normalize()
            )),
        }
    }
    for house in read.values() {
        r.unmatched(format!(
            "{}: folios worth {} read, the portfolio summary does not list the fund house",
            house.name,
            house.value.normalize()
        ));
    }
    if let Some(total) = &printed.total {
        let schemes: usize = folios.iter().map(|f| f.schemes.len()).sum();
        let value: Decimal = folios.iter().map(|f| f.value).sum();
        r.total(
            || "portfolio total market value".into(),
            value,
            total.market_value,
            schemes,
        );
        let costs: Vec<Option<Decimal>> = folios
            .iter()
            .flat_map(|f| f.schemes.iter().map(|s| s.cost))
            .collect();
        if let (Some(printed_cost), true) = (total.cost, costs.iter().all(Option::is_some)) {
            let cost: Decimal = costs.into_iter().flatten().sum();
            r.total(
                || "portfolio total cost value".into(),
                cost,
                printed_cost,
                schemes,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::{TextRun, group_lines};

    fn runs(rows: &[&[(f32, &str)]]) -> Vec<TextRun> {
        let mut out = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            for (x, text) in *row {
                out.push(TextRun {
                    x: *x,
                    y: 700.0 - 12.0 * i as f32,
                    font_size: 8.0,
                    width: 5.0 * text.len() as f32,
                    horizontal: true,
                    text: (*text).into(),
                });
            }
        }
        out
    }

    #[test]
    fn fund_houses_and_the_total() {
        let runs = runs(&[
            &[(40.0, "PORTFOLIO SUMMARY")],
            &[
                (40.0, "Mutual Fund"),
                (300.0, "Cost Value (INR)"),
                (450.0, "Market Value (INR)"),
            ],
            &[
                (40.0, "HDFC Mutual Fund"),
                (300.0, "1,20,000.00"),
                (450.0, "1,45,678.90"),
            ],
            &[(40.0, "SBI Mutual Fund"), (300.0, "0.00"), (450.0, "0.00")],
            &[
                (40.0, "Total"),
                (300.0, "1,20,000.00"),
                (450.0, "1,45,678.90"),
            ],
            &[(40.0, "Some later line"), (450.0, "5.00")],
        ]);
        let summary = read(&group_lines(&runs, 2.0)).unwrap();
        assert_eq!(summary.fund_houses.len(), 2);
        assert_eq!(summary.fund_houses[0].0, "HDFC Mutual Fund");
        assert_eq!(
            summary.fund_houses[0].1.market_value,
            Decimal::new(14567890, 2)
        );
        assert_eq!(summary.total.unwrap().cost, Some(Decimal::new(12000000, 2)));
    }

    #[test]
    fn no_heading_no_summary() {
        let runs = runs(&[&[(40.0, "Total"), (300.0, "1.00")]]);
        assert_eq!(read(&group_lines(&runs, 2.0)), None);
    }
}
