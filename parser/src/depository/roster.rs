//! Page 2's account roster: holder groups over the demat accounts they hold, then the printed
//! folio, NPS and grand totals. The account header rows NSDL repeats before each account's
//! holdings are read with the same helpers.

use super::rows::Row;
use super::{Reader, new_account};
use crate::amounts::parse_amount;
use crate::model::Holder;
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::LazyLock;

static HOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(.+?)\s*\(\s*PAN\s*:\s*([^)]*?)\s*\)$").expect("valid regex"));
pub(super) static DEMAT_TYPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(CDSL|NSDL)\s+Demat\s+Account$").expect("valid regex"));
static DP_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)DP\s*ID\s*:?\s*(\S+?)\s+Client\s*ID\s*:?\s*(\d+)").expect("valid regex")
});
static ROSTER_PRAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bPRAN\s*:?\s*([A-Z0-9]+)").expect("valid regex"));
static FOLIO_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(\d+)\s+Folios?$").expect("valid regex"));

impl Reader {
    /// One roster row, if it is one: a holder group's heading or holders, an account (holding
    /// the group's holders, with its printed value), or a printed total.
    pub(super) fn roster_row(&mut self, row: &Row) -> bool {
        let first = row.first();
        let lower = first.to_ascii_lowercase();
        if lower.starts_with("in the single name of") || lower.starts_with("in the joint name") {
            self.pending_holders.clear();
            return true;
        }
        let holders = holders_in(row);
        if !holders.is_empty()
            && holders.len() == row.cells.iter().map(|c| c.lines.len()).sum::<usize>()
        {
            self.pending_holders.extend(holders);
            return true;
        }
        let last_amount = row.cells.last().and_then(|c| parse_amount(&c.text()));
        if let (Some(c), Some(value)) = (DEMAT_TYPE.captures(first.trim()), last_amount) {
            let Some((dp_name, dp_id, client_id)) = dp_and_client(row) else {
                return false;
            };
            let depository = c[1].to_ascii_uppercase();
            if self.find_account(&depository, &dp_id, &client_id).is_none() {
                let mut account = new_account(&depository, &dp_name, &dp_id, &client_id);
                account.linked_holders = self.pending_holders.clone();
                self.accounts.push(account);
                self.account_values.push(Some(value));
            }
            return true;
        }
        if lower.starts_with("mutual fund folios")
            && let Some(value) = last_amount
        {
            let count = row
                .cells
                .get(1)
                .and_then(|c| {
                    FOLIO_COUNT
                        .captures(c.first())
                        .and_then(|m| m[1].parse().ok())
                })
                .unwrap_or(0);
            self.printed.mutual_funds = Some((count, value));
            return true;
        }
        if lower.starts_with("national pension system")
            && let Some(value) = last_amount
        {
            *self.printed.nps.get_or_insert(Decimal::ZERO) += value;
            // The account is held by the group it is listed under.
            if let Some(pran) = row
                .cells
                .get(1)
                .and_then(|c| ROSTER_PRAN.captures(&c.text()).map(|m| m[1].to_string()))
            {
                self.nps_holders.insert(pran, self.pending_holders.clone());
            }
            return true;
        }
        if lower == "grand total"
            && let Some(value) = last_amount
        {
            self.printed.grand_total = Some(value);
            return true;
        }
        false
    }
}

/// `NAME (PAN:X)` lines anywhere in a row.
pub(super) fn holders_in(row: &Row) -> Vec<Holder> {
    row.cells
        .iter()
        .flat_map(|c| c.lines.iter())
        .filter_map(|l| HOLDER.captures(l))
        .map(|c| Holder {
            name: c[1].trim().to_string(),
            pan: Some(c[2].to_string()).filter(|p| !p.is_empty()),
        })
        .collect()
}

/// The cell after the account type that reads `DP ID: … Client ID: …`, with the DP's name on its
/// other line: (DP name, DP id, client id).
pub(super) fn dp_and_client(row: &Row) -> Option<(String, String, String)> {
    row.cells.iter().skip(1).find_map(|cell| {
        let text = cell.text();
        let ids = DP_CLIENT.captures(&text)?;
        let dp_name = cell
            .lines
            .iter()
            .find(|l| !DP_CLIENT.is_match(l))
            .cloned()
            .unwrap_or_default();
        Some((dp_name, ids[1].to_string(), ids[2].to_string()))
    })
}
