//! The statement's own totals — per account, per section, per kind of account, grand — checked
//! against what was read. A difference becomes a warning, never an error.

use super::Reader;
use super::classes::{Class, holdings_count, holdings_of, holdings_value};
use super::rows::Row;
use crate::amounts::parse_amount;
use crate::error::ParseError;
use crate::model::{AccountTotal, Insurance, Portfolio, PortfolioMeta, PortfolioSummary};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

impl Reader {
    /// The account's `Total` row: its printed value when the roster had none.
    pub(super) fn account_total(&mut self, row: &Row) {
        let Some(i) = self.current else { return };
        let Some(value) = row.cells.last().and_then(|c| parse_amount(&c.text())) else {
            return;
        };
        if let Some(slot) = self.account_values.get_mut(i) {
            slot.get_or_insert(value);
        }
    }

    /// A section's `Sub Total` row, checked against the section's holdings.
    pub(super) fn section_total(&mut self, row: &Row, class: Class) {
        let Some(printed) = row.cells.last().and_then(|c| parse_amount(&c.text())) else {
            return;
        };
        let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i)) else {
            return;
        };
        let holdings = holdings_of(&mut account.holdings, class);
        let held: Decimal = holdings.iter().map(|s| s.value).sum();
        let rows = holdings.len();
        let id = format!(
            "{}{}",
            account.dp_id.as_deref().unwrap_or(""),
            account.client_id.as_deref().unwrap_or("")
        );
        self.reconciliation.total(
            || format!("account {id}: {} against their sub total", class.label()),
            held,
            printed,
            rows,
        );
    }

    /// Printed values where the statement gives them, each checked against the holdings.
    pub(super) fn finish(mut self) -> Result<Portfolio, ParseError> {
        if self.accounts.is_empty() && self.folios.is_empty() && self.nps.is_empty() {
            return Err(ParseError::Malformed(
                "no demat account, folio or NPS account found".into(),
            ));
        }
        self.attach_movements();
        let mut demat_total = Decimal::ZERO;
        for (account, printed) in self.accounts.iter_mut().zip(&self.account_values) {
            let held = holdings_value(&account.holdings);
            account.value = printed.unwrap_or(held);
            if let Some(printed) = printed {
                let rows = holdings_count(&account.holdings);
                self.reconciliation.total(
                    || {
                        format!(
                            "{} account {}{}: holdings against the account's value",
                            account.demat_type,
                            account.dp_id.as_deref().unwrap_or(""),
                            account.client_id.as_deref().unwrap_or("")
                        )
                    },
                    held,
                    *printed,
                    rows,
                );
            }
            demat_total += account.value;
        }
        for (account, printed) in self.nps.iter_mut().zip(&self.nps_printed) {
            let held: Decimal = account.funds.iter().map(|f| f.value).sum();
            account.value = printed.unwrap_or(held);
            if let Some(printed) = printed {
                self.reconciliation.total(
                    || format!("NPS {}: schemes against the account's value", account.pran),
                    held,
                    *printed,
                    account.funds.len(),
                );
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
            if self.printed.mutual_funds.is_some() {
                self.reconciliation.total(
                    || "mutual fund folios against the summary's value".into(),
                    folio_total,
                    printed_value,
                    self.folios.len(),
                );
                self.reconciliation.count(
                    || "mutual fund folios".into(),
                    self.folios.len(),
                    printed_count,
                );
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
            if self.printed.nps.is_some() {
                self.reconciliation.total(
                    || "NPS accounts against the summary's value".into(),
                    nps_total,
                    printed,
                    self.nps.len(),
                );
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
        // Insurance policies are not part of the portfolio's value: their total is the sum
        // assured the statement prints (else the policies' own).
        if !self.insurance.is_empty() || self.printed.insurance.is_some() {
            let read: Decimal = self.insurance.iter().filter_map(|p| p.sum_assured).sum();
            let (printed_count, printed) = self
                .printed
                .insurance
                .unwrap_or((count(self.insurance.len()), read));
            accounts.insert(
                "insurance".to_string(),
                AccountTotal {
                    count: printed_count,
                    total_value: printed,
                },
            );
        }
        let total_value = self.printed.grand_total.unwrap_or(kinds);
        if self.printed.grand_total.is_some() {
            self.reconciliation.total(
                || "accounts against the statement's grand total".into(),
                kinds,
                total_value,
                accounts.len(),
            );
        }
        let reconciled = std::mem::take(&mut self.reconciliation).finish(&mut self.warnings);
        if self.investor.pan.is_none() {
            // The investor holds every single-name account; the first holder is them.
            self.investor.pan = self
                .accounts
                .iter()
                .find(|a| a.linked_holders.len() == 1)
                .and_then(|a| a.linked_holders[0].pan.clone());
        }
        Ok(Portfolio {
            meta: PortfolioMeta {
                cas_type: self.issuer.cas_type(),
                issuer: self.issuer,
                statement_kind: None,
                generated_at: None,
                statement_period: self.period,
                reconciled,
            },
            investor: self.investor,
            summary: PortfolioSummary {
                total_value,
                accounts,
            },
            mutual_funds: self.folios,
            demat_accounts: self.accounts,
            nps: self.nps,
            insurance: Insurance {
                life_insurance_policies: self.insurance,
            },
            warnings: self.warnings,
        })
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
