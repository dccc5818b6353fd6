//! What both depositories print around an account's holdings, and after them:
//!
//! * the account's details under its header — `BO Status :`, `BO Sub Status :`, `BO Type :`,
//!   `BSDA :`, `Nominee :`, `Email Id :` cells (CDSL prints the BO lines for its own accounts);
//! * the account's transactions for the month (`STATEMENT OF TRANSACTIONS …`): per security an
//!   `ISIN : <isin> - <name>` line, `Opening Balance`, one row per movement (`Date | [Order No |]
//!   Description | Credit | Debit | Balance`, `--` where nothing moved), `Closing Balance`. The
//!   movements become the holding's `transactions` and the opening balance its `open_units`;
//!   opening + credits − debits is checked against the closing balance, and that against the
//!   holding's units;
//! * NSDL's `Life Insurance Policies` (policy no. | name | insurer | life assured | status | sum
//!   assured | premium | frequency) and its `Total (N Policies)` row, checked against the policies.

use super::rows::{Cell, Row, number};
use super::{Mode, Movements, Reader};
use crate::amounts::parse_amount;
use crate::dates::any_date;
use crate::model::{LifeInsurancePolicy, Transaction, TransactionInfo};
use crate::reconcile::UNIT_TOLERANCE;
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::LazyLock;

static ISIN_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^ISIN\s*:\s*([A-Z]{2}[A-Z0-9]{9}[0-9])\b(?:\s*-\s*(.*))?$").expect("valid regex")
});
static POLICY_TOTAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^Total\s*\(\s*(\d+)\s+Polic(?:y|ies)\s*\)").expect("valid regex")
});

/// `Label : value`, the label all letters and spaces (e.g. `Folio No : 1234`).
pub(super) fn labelled(line: &str) -> Option<(&str, &str)> {
    let (label, value) = line.split_once(':')?;
    let label = label.trim();
    let is_label = !label.is_empty() && label.chars().all(|c| c.is_ascii_alphabetic() || c == ' ');
    is_label.then(|| (label, value.trim()))
}

impl Reader {
    /// A row of the account's details (`BO Status : Active`, `Nominee : …`): each labelled cell
    /// fills its field. False when the row is something else.
    pub(super) fn account_details(&mut self, row: &Row) -> bool {
        let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i)) else {
            return false;
        };
        let fields: Vec<(String, String)> = row
            .cells
            .iter()
            .flat_map(|c| c.lines.iter())
            .filter_map(|l| labelled(l))
            .map(|(label, value)| (label.to_ascii_lowercase(), value.to_string()))
            .collect();
        let known = |label: &str| {
            matches!(
                label,
                "bo status" | "bo sub status" | "bo type" | "bsda" | "nominee" | "email id"
            )
        };
        if fields.is_empty() || !fields.iter().all(|(l, _)| known(l)) {
            return false;
        }
        let info = &mut account.additional_info;
        for (label, value) in fields {
            let value = Some(value).filter(|v| !v.is_empty());
            match label.as_str() {
                "bo status" => info.bo_status = value,
                "bo sub status" => info.bo_sub_status = value,
                "bo type" => info.bo_type = value,
                "bsda" => info.bsda = value,
                "nominee" => info.nominee = value,
                _ => info.email = value,
            }
        }
        true
    }

    /// A row of an account's transaction statement; `order_no` when the rows carry an order
    /// number after the date (NSDL).
    pub(super) fn transaction_row(&mut self, row: &Row, order_no: bool) {
        let Some(account) = self.current else { return };
        let first = row.first();
        if let Some(c) = ISIN_HEADING.captures(first.trim()) {
            self.finish_movements();
            self.movements = Some(Movements {
                account,
                isin: c[1].to_string(),
                ..Default::default()
            });
            return;
        }
        let Some(m) = self.movements.as_mut() else {
            return;
        };
        let text = row.text();
        let last = || row.cells.last().and_then(|c| number(&c.text()));
        if text.contains("Opening Balance") {
            m.opening = last();
            return;
        }
        if text.contains("Closing Balance") {
            m.closing = last();
            self.finish_movements();
            return;
        }
        let Some(date) = any_date(&first) else {
            return;
        };
        let skip = if order_no { 2 } else { 1 };
        let rest = row.cells.get(skip..).unwrap_or_default();
        let Some(data_start) = rest.iter().position(|c| number(&c.text()).is_some()) else {
            return;
        };
        let description: Vec<_> = rest[..data_start].iter().map(Cell::text).collect();
        let numbers: Vec<Option<Decimal>> = rest[data_start..]
            .iter()
            .map(|c| number(&c.text()))
            .collect();
        let [Some(credit), Some(debit), Some(balance)] = numbers.as_slice() else {
            self.warnings.push(format!(
                "{}: transaction of {date} could not be read",
                m.isin
            ));
            return;
        };
        let units = *credit - *debit;
        m.transactions.push(Transaction {
            date,
            description: description.join(" "),
            amount: None,
            units: Some(units),
            nav: None,
            balance: Some(*balance),
            kind: if units.is_sign_negative() {
                "REDEMPTION"
            } else {
                "PURCHASE"
            }
            .into(),
            dividend_rate: None,
            additional_info: Some(TransactionInfo {
                credit: Some(*credit),
                debit: Some(*debit),
                order_no: order_no
                    .then(|| row.cells.get(1).map(|c| c.text().trim().to_string()))
                    .flatten()
                    .filter(|o| !o.is_empty()),
            }),
        });
    }

    /// The security's movements are complete: opening + movements against the closing balance,
    /// each running balance too; kept for the holding.
    pub(super) fn finish_movements(&mut self) {
        let Some(m) = self.movements.take() else {
            return;
        };
        let mut running = m.opening.unwrap_or_default();
        for t in &m.transactions {
            running += t.units.unwrap_or_default();
            if let Some(balance) = t.balance {
                self.reconciliation.line(
                    || format!("{} {}: running balance", m.isin, t.date),
                    running,
                    balance,
                    UNIT_TOLERANCE,
                );
                running = balance;
            }
        }
        if let Some(closing) = m.closing {
            self.reconciliation.line(
                || format!("{}: transactions against the closing balance", m.isin),
                running,
                closing,
                UNIT_TOLERANCE,
            );
        }
        self.all_movements.push(m);
    }

    /// Each security's movements onto its holding (a security sold out has no holding: its
    /// movements are not kept); the closing balance checked against the holding's units.
    pub(super) fn attach_movements(&mut self) {
        self.finish_movements();
        for m in std::mem::take(&mut self.all_movements) {
            let Some(account) = self.accounts.get_mut(m.account) else {
                continue;
            };
            let h = &mut account.holdings;
            let Some(holding) = [
                &mut h.equities,
                &mut h.demat_mutual_funds,
                &mut h.corporate_bonds,
                &mut h.government_securities,
                &mut h.aifs,
            ]
            .into_iter()
            .flat_map(|list| list.iter_mut())
            .find(|s| s.isin == m.isin) else {
                continue;
            };
            if let Some(closing) = m.closing {
                self.reconciliation.line(
                    || format!("{}: closing balance against the holding", m.isin),
                    closing,
                    holding.units,
                    UNIT_TOLERANCE,
                );
            }
            holding.additional_info.open_units = m.opening;
            holding.transactions = m.transactions;
        }
    }

    /// A row under `Life Insurance Policies`.
    pub(super) fn insurance_row(&mut self, row: &Row) {
        let first = row.first();
        if let Some(c) = POLICY_TOTAL.captures(first.trim()) {
            let printed_count: u32 = c[1].parse().unwrap_or(0);
            let sums: Vec<Decimal> = row.cells[1..]
                .iter()
                .filter_map(|c| parse_amount(&c.text()))
                .collect();
            let read = self.insurance.len();
            self.reconciliation
                .count(|| "life insurance policies".into(), read, printed_count);
            if let Some(printed) = sums.first() {
                let sum_assured: Decimal =
                    self.insurance.iter().filter_map(|p| p.sum_assured).sum();
                self.reconciliation.total(
                    || "life insurance policies: sums assured against their total".into(),
                    sum_assured,
                    *printed,
                    read,
                );
                self.printed.insurance = Some((printed_count, *printed));
            }
            if let Some(printed) = sums.get(1) {
                let premiums: Decimal =
                    self.insurance.iter().filter_map(|p| p.premium_amount).sum();
                self.reconciliation.total(
                    || "life insurance policies: premiums against their total".into(),
                    premiums,
                    *printed,
                    read,
                );
            }
            self.mode = Mode::Outside;
            return;
        }
        // Policy no. | name | insurer | life assured | status | sum assured | premium | frequency
        let cells: Vec<String> = row.cells.iter().map(|c| c.text().into_owned()).collect();
        let Some(numbers_at) = cells
            .iter()
            .skip(1)
            .position(|t| parse_amount(t).is_some())
            .map(|i| i + 1)
        else {
            return;
        };
        let texts = &cells[..numbers_at];
        let [policy_number, name, provider, life_assured, status] = texts else {
            // Headers (no number) never get here; a row of another shape is not a policy.
            self.warnings.push(format!(
                "insurance policy row could not be read: {}",
                cells.join(" ")
            ));
            return;
        };
        let sum_assured = cells.get(numbers_at).and_then(|t| parse_amount(t));
        let premium_amount = cells.get(numbers_at + 1).and_then(|t| parse_amount(t));
        let premium_frequency = cells.get(numbers_at + 2).cloned();
        self.insurance.push(LifeInsurancePolicy {
            policy_number: Some(policy_number.clone()),
            policy_name: Some(name.clone()),
            provider: Some(provider.clone()),
            life_assured: Some(life_assured.clone()),
            status: Some(status.clone()),
            sum_assured,
            premium_amount,
            premium_frequency,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Issuer;

    fn row(cells: &[(f32, &str)]) -> Row {
        Row {
            cells: cells
                .iter()
                .map(|(x, t)| Cell {
                    x: *x,
                    lines: vec![t.to_string()],
                })
                .collect(),
        }
    }

    #[test]
    fn labelled_lines_split_at_the_first_colon() {
        assert_eq!(
            labelled("Folio No : 1234/56"),
            Some(("Folio No", "1234/56"))
        );
        assert_eq!(
            labelled("ISIN: INF209K01VF8  UCC : MFCD1"),
            Some(("ISIN", "INF209K01VF8  UCC : MFCD1"))
        );
        assert_eq!(labelled("AMC Name :"), Some(("AMC Name", "")));
        assert_eq!(labelled("Time 10:30"), None);
        assert_eq!(labelled(": no label"), None);
        assert_eq!(labelled("no colon"), None);
    }

    #[test]
    fn movements_that_do_not_add_up_are_warnings() {
        let mut reader = Reader::new(Issuer::Cdsl);
        reader.accounts.push(super::super::new_account(
            "CDSL", "DP", "12081600", "12345678",
        ));
        reader.account_values.push(None);
        reader.current = Some(0);
        reader.transaction_row(&row(&[(30.0, "ISIN : INE002A01018 - RELIANCE")]), false);
        reader.transaction_row(&row(&[(80.0, "Opening Balance"), (500.0, "10.000")]), false);
        reader.transaction_row(
            &row(&[
                (30.0, "05-12-2025"),
                (80.0, "BY CM Market Purchase"),
                (380.0, "5.000"),
                (440.0, "--"),
                (500.0, "15.000"),
            ]),
            false,
        );
        reader.transaction_row(&row(&[(80.0, "Closing Balance"), (500.0, "16.000")]), false);
        let m = &reader.all_movements[0];
        assert_eq!(m.transactions[0].units, Some(Decimal::new(5, 0)));
        assert_eq!(m.transactions[0].date, "2025-12-05");
        let mut warnings = Vec::new();
        let mut reconciliation = std::mem::take(&mut reader.reconciliation);
        // Line checks count once the statement prints some total.
        reconciliation.total(|| "total".into(), Decimal::ONE, Decimal::ONE, 1);
        assert!(!reconciliation.finish(&mut warnings));
        assert!(
            warnings.iter().any(|w| w.contains("closing balance")),
            "{warnings:?}"
        );
    }
}
