//! The statement's own totals — per account, per section, per kind of account, grand — checked
//! against what was read. A difference becomes a warning, never an error.

use super::Reader;
use super::classes::{Class, holdings_of, holdings_value};
use super::rows::Row;
use crate::ParseError;
use crate::model::{AccountTotal, Portfolio, PortfolioMeta, PortfolioSummary};
use crate::money::parse_amount;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// What the roster or a table's total row printed, to check the holdings against.
#[derive(Debug, Default)]
pub(super) struct Printed {
    pub(super) mutual_funds: Option<(u32, Decimal)>,
    pub(super) nps: Option<Decimal>,
    pub(super) grand_total: Option<Decimal>,
}

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

    /// Printed values where the statement gives them, each checked against the holdings.
    pub(super) fn finish(mut self, cas_type: &str) -> Result<Portfolio, ParseError> {
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

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
