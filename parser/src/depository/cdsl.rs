//! CDSL's pages after the roster: folio descriptions, then per account its `DP Name : … BO ID :`
//! header, transactions (skipped) and `HOLDING STATEMENT` (every kind of security in one table,
//! told apart by ISIN); the `MUTUAL FUND UNITS HELD AS ON` folio table; and the NPS holding
//! statement.

use super::activity::labelled;
use super::classes::class_of_isin;
use super::rows::{Cell, Row, is_isin, number};
use super::{FolioDescription, Mode, Reader, scheme};
use crate::amounts::parse_amount;
use crate::model::{NpsAccount, NpsFund, NpsFundInfo, Security};
use regex::Regex;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::sync::LazyLock;

static BO_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^DP\s*Name\s*:\s*(.+?)\s+(?:BO\s*ID|DPID)\s*:\s*([A-Z0-9]{16})\b")
        .expect("valid regex")
});
static NPS_PRAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)PRAN\s*ID\s*:\s*([A-Z0-9]+)").expect("valid regex"));
static NPS_CRA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)NPS[-\s]*SP\s*:\s*([A-Z0-9]+)").expect("valid regex"));
static NPS_TIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bTIER\s*[-\s]*(II|I|1|2)\b").expect("valid regex"));
static NPS_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^Portfolio\s+Value\s*(?:\(Rs\.?\))?\s*:?\s*(\S+)").expect("valid regex")
});

impl Reader {
    /// A row after the roster: an account or NPS header, a folio description, a table heading
    /// that changes the mode, or a row of the table being read.
    pub(super) fn cdsl_row(&mut self, row: &Row, text: &str, lower: &str) {
        // Cheap literal checks first: these run on every row of the statement.
        if let Some(c) = lower
            .starts_with("dp")
            .then(|| BO_ID.captures(text))
            .flatten()
        {
            let (dp_name, bo_id) = (c[1].trim().to_string(), c[2].to_ascii_uppercase());
            // The 16 characters are DP id and client id, 8 each; NSDL DP ids start with IN.
            let (dp_id, client_id) = bo_id.split_at(8);
            let depository = if bo_id.starts_with("IN") {
                "NSDL"
            } else {
                "CDSL"
            };
            self.select_account(depository, &dp_name, dp_id, client_id);
            self.mode = Mode::CdslTransactions;
            self.in_nps = false;
            return;
        }
        if self.account_status(text) {
            return;
        }
        if self.mode == Mode::CdslTransactions && self.account_details(row) {
            return;
        }
        if self.cdsl_folio_description(row) {
            return;
        }
        if let Some(c) = lower
            .contains("pran")
            .then(|| NPS_PRAN.captures(text))
            .flatten()
        {
            self.roster_done = true;
            let pran = c[1].to_string();
            self.nps.push(NpsAccount {
                linked_holders: self.nps_holders.get(&pran).cloned().unwrap_or_default(),
                pran,
                cra: NPS_CRA.captures(text).map(|m| m[1].to_string()),
                value: Decimal::ZERO,
                funds: Vec::new(),
            });
            self.nps_printed.push(None);
            self.mode = Mode::Outside;
            self.in_nps = true;
            return;
        }
        if lower.starts_with("statement of transactions") {
            self.mode = Mode::CdslTransactions;
            return;
        }
        if lower.starts_with("holding statement as on") {
            self.finish_movements();
            self.mode = if self.in_nps {
                Mode::Nps
            } else {
                Mode::CdslHoldings
            };
            return;
        }
        if lower.starts_with("mutual fund units held as on") {
            self.roster_done = true;
            self.mode = Mode::CdslFolios;
            return;
        }
        match self.mode {
            Mode::CdslHoldings => self.cdsl_holding(row),
            Mode::CdslFolios => self.cdsl_folio_row(row),
            Mode::Nps => self.nps_row(row, text),
            Mode::CdslTransactions if !self.in_nps => self.transaction_row(row, false),
            _ => {}
        }
    }

    /// `AMC Name :`, `Folio No :` and `ISIN : … RTA :` rows, remembered for the folio table.
    fn cdsl_folio_description(&mut self, row: &Row) -> bool {
        let mut fields = Vec::new();
        for cell in &row.cells {
            for line in &cell.lines {
                if let Some((label, value)) = labelled(line) {
                    fields.push((label.to_ascii_lowercase(), value.to_string()));
                }
            }
        }
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        if let Some(amc) = get("amc name") {
            self.describing = (Some(amc), None);
            self.roster_done = true;
            return true;
        }
        if get("scheme name").is_some() {
            self.describing_code = get("scheme code").filter(|c| !c.is_empty());
            return true;
        }
        if let Some(folio) = get("folio no") {
            self.describing.1 = Some(folio);
            return true;
        }
        if let (Some(isin), Some(_)) = (get("isin"), get("ucc")) {
            if let (Some(amc), Some(folio)) = self.describing.clone() {
                let code = self.describing_code.take();
                let description = FolioDescription {
                    amc,
                    registrar: get("rta"),
                    scheme_code: code,
                };
                self.folio_info.insert((isin, folio), description);
            }
            return true;
        }
        false
    }

    fn cdsl_holding(&mut self, row: &Row) {
        let Some(first) = row.cells.first() else {
            return;
        };
        let isin = first.text().into_owned();
        if !is_isin(&isin) {
            if row.first().eq_ignore_ascii_case("total") {
                self.account_total(row);
            }
            return;
        }
        // Name cells run up to the first number (or `--`); `@` flags a suspended security.
        let rest = &row.cells[1..];
        let Some(data_start) = rest.iter().position(|c| number(&c.text()).is_some()) else {
            self.unreadable(&isin);
            return;
        };
        let name: Vec<Cow<str>> = rest[..data_start]
            .iter()
            .map(Cell::text)
            .filter(|t| t != "@")
            .collect();
        let data: Vec<Option<Decimal>> = rest[data_start..]
            .iter()
            .map(|c| number(&c.text()))
            .collect();
        let (Some(Some(units)), Some(Some(price)), Some(Some(value))) = (
            data.first(),
            data.len().checked_sub(2).and_then(|i| data.get(i)),
            data.last(),
        ) else {
            self.unreadable(&isin);
            return;
        };
        if data.len() < 3 {
            self.unreadable(&isin);
            return;
        }
        let class = class_of_isin(&isin);
        self.push_holding(
            class,
            Security::new(isin, name.join(" "), *units, Some(*price), *value),
        );
    }

    fn cdsl_folio_row(&mut self, row: &Row) {
        let Some(isin_at) = row.cells.iter().position(|c| is_isin(&c.text())) else {
            if row.first().eq_ignore_ascii_case("total")
                && let Some(value) = row.cells.last().and_then(|c| parse_amount(&c.text()))
                && let Some((_, printed)) = self.printed.mutual_funds
            {
                let rows = self.folios.len();
                self.reconciliation.total(
                    || "mutual fund folios: the table's total against the summary's".into(),
                    value,
                    printed,
                    rows,
                );
            }
            return;
        };
        let isin = row.cells[isin_at].text().into_owned();
        let name: Vec<Cow<str>> = row.cells[..isin_at].iter().map(Cell::text).collect();
        let Some(folio) = row.cells.get(isin_at + 1).map(|c| c.text().into_owned()) else {
            self.unreadable(&isin);
            return;
        };
        let numbers: Vec<Decimal> = row.cells[isin_at + 2..]
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        let (units, nav, cost, value) = match numbers.as_slice() {
            [units, nav, cost, value, ..] => (*units, *nav, Some(*cost), *value),
            [units, nav, value] => (*units, *nav, None, *value),
            _ => {
                self.unreadable(&isin);
                return;
            }
        };
        let description = self
            .folio_info
            .get(&(isin.clone(), folio.clone()))
            .cloned()
            .unwrap_or_default();
        let mut scheme = scheme(name.join(" "), isin, units, nav, value, cost);
        scheme.additional_info.rta_code = description.scheme_code;
        self.push_scheme(description.amc, folio, description.registrar, scheme);
    }

    fn nps_row(&mut self, row: &Row, text: &str) {
        if let Some(c) = NPS_VALUE.captures(text) {
            if let (Some(value), Some(slot)) = (parse_amount(&c[1]), self.nps_printed.last_mut()) {
                *slot = Some(value);
            }
            self.mode = Mode::Outside;
            self.in_nps = false;
            return;
        }
        let name = row.first();
        if !name.to_ascii_uppercase().starts_with("NPS TRUST") {
            return;
        }
        let numbers: Vec<Decimal> = row.cells[1..]
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        let (units, nav, value) = match numbers.as_slice() {
            [units, nav, value, ..] => (*units, *nav, *value),
            [units, nav] => (*units, *nav, (*units * *nav).round_dp(2)),
            _ => {
                self.warnings
                    .push(format!("NPS scheme {name}: no units and NAV"));
                return;
            }
        };
        // The fund manager's column sits between the name and the numbers; the tier is in the
        // scheme's name (`… SCHEME E - TIER II`).
        let manager = row.cells[1..]
            .iter()
            .map(Cell::text)
            .find(|t| parse_amount(t).is_none() && !t.trim().is_empty())
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
        let tier = NPS_TIER.captures(&name).and_then(|c| match &c[1] {
            "I" | "i" | "1" => Some(1),
            "II" | "ii" | "Ii" | "iI" | "2" => Some(2),
            _ => None,
        });
        if let Some(account) = self.nps.last_mut() {
            account.funds.push(NpsFund {
                name: name.into_owned(),
                units,
                nav,
                value,
                cost: None,
                additional_info: NpsFundInfo { manager, tier },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Issuer;

    #[test]
    fn cdsl_rows_become_holdings_and_totals_are_checked() {
        let mut reader = Reader::new(Issuer::Cdsl);
        let row = |cells: &[(f32, &str)]| Row {
            cells: cells
                .iter()
                .map(|(x, t)| Cell {
                    x: *x,
                    lines: vec![t.to_string()],
                })
                .collect(),
        };
        reader.row(&row(&[
            (30.0, "CDSL Demat Account"),
            (150.0, "DP Id: 12081600 Client Id: 12345678"),
            (400.0, "2"),
            (560.0, "1,100.00"),
        ]));
        reader.row(&row(&[(
            30.0,
            "DP Name : ZERODHA BROKING LIMITED    BO ID : 1208160012345678",
        )]));
        reader.row(&row(&[(30.0, "HOLDING STATEMENT AS ON 31-Dec-2025")]));
        reader.row(&row(&[
            (30.0, "INE002A01018"),
            (108.0, "@"),
            (120.0, "RELIANCE INDUSTRIES LIMITED"),
            (300.0, "1.000"),
            (340.0, "--"),
            (510.0, "1,000.00"),
            (565.0, "1,000.00"),
        ]));
        reader.row(&row(&[
            (30.0, "INF204KB14I2"),
            (120.0, "NIPPON INDIA ETF NIFTY 50 BEES"),
            (300.0, "1.000"),
            (340.0, "--"),
            (510.0, "90.0000"),
            (565.0, "90.00"),
        ]));
        reader.row(&row(&[(30.0, "INE906B07CB9"), (120.0, "NO NUMBERS")]));
        let p = reader.finish().unwrap();
        let account = &p.demat_accounts[0];
        assert_eq!(
            account.holdings.equities[0].name,
            "RELIANCE INDUSTRIES LIMITED"
        );
        assert_eq!(
            account.holdings.demat_mutual_funds[0].value,
            Decimal::new(90, 0)
        );
        assert_eq!(account.value, Decimal::new(110000, 2));
        assert_eq!(p.summary.total_value, Decimal::new(110000, 2));
        // 1,090 held against 1,100 printed, and the unreadable bond row: warnings, not errors.
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    }
}
