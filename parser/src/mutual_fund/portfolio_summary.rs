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

use crate::money::parse_amount;
use crate::pdf::Line;
use rust_decimal::Decimal;

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
        let mut first_number = cells.len();
        while first_number > 0
            && cells.len() - first_number < 2
            && parse_amount(cells[first_number - 1]).is_some()
        {
            first_number -= 1;
        }
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
