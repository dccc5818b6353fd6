//! NSDL's pages after the roster: per account a header row and section markers, each section
//! over its own table, then `Mutual Fund Folios (F)` under AMC headings.

use super::classes::{Class, section_marker};
use super::roster::{DEMAT_TYPE, dp_and_client, holders_in};
use super::rows::{Row, is_isin};
use super::{Mode, Reader, scheme};
use crate::amounts::parse_amount;
use crate::dates::any_date;
use crate::model::Security;
use rust_decimal::Decimal;

impl Reader {
    /// A row after the roster: an account header, a section marker, or a row of the section's
    /// table.
    pub(super) fn nsdl_row(&mut self, row: &Row, text: &str, lower: &str) {
        if let Some(c) = DEMAT_TYPE.captures(row.first().trim())
            && let Some((dp_name, dp_id, client_id)) = dp_and_client(row)
        {
            let depository = c[1].to_ascii_uppercase();
            self.select_account(&depository, &dp_name, &dp_id, &client_id);
            // The header lists the holders too; keep them when the roster gave none.
            let holders = holders_in(row);
            if let Some(account) = self.current.and_then(|i| self.accounts.get_mut(i)) {
                // NSDL prints each holder's PAN beside the account: its linked PANs.
                account.additional_info.linked_pans =
                    holders.iter().filter_map(|h| h.pan.clone()).collect();
                if account.linked_holders.is_empty() {
                    account.linked_holders = holders;
                }
            }
            self.mode = Mode::NsdlSection(None);
            self.balance_columns = false;
            return;
        }
        if self.account_status(text) {
            return;
        }
        if self.mode == Mode::NsdlSection(None) && self.account_details(row) {
            return;
        }
        if self.current.is_some() && lower.starts_with("statement of transactions") {
            self.finish_movements();
            self.mode = Mode::NsdlTransactions;
            return;
        }
        if row.cells.len() == 1 && lower.trim() == "life insurance policies" {
            self.finish_movements();
            self.roster_done = true;
            self.mode = Mode::NsdlInsurance;
            self.current = None;
            return;
        }
        if row.cells.len() <= 2 {
            if lower.trim() == "mutual fund folios (f)" {
                self.finish_movements();
                self.roster_done = true;
                self.mode = Mode::NsdlFolios;
                self.current = None;
                return;
            }
            if self.current.is_some()
                && matches!(self.mode, Mode::NsdlSection(_))
                && let Some(class) = section_marker(text)
            {
                self.mode = Mode::NsdlSection(class);
                self.balance_columns = false;
                return;
            }
        }
        if matches!(self.mode, Mode::NsdlSection(_)) && lower.contains("current bal") {
            self.balance_columns = true;
            return;
        }
        match self.mode {
            Mode::NsdlSection(class) => self.nsdl_holding(row, class),
            Mode::NsdlFolios => self.nsdl_folio_row(row),
            Mode::NsdlTransactions => self.transaction_row(row, true),
            Mode::NsdlInsurance => self.insurance_row(row),
            _ => {}
        }
    }

    fn nsdl_holding(&mut self, row: &Row, class: Option<Class>) {
        let first = row.first();
        if first.eq_ignore_ascii_case("total") {
            self.account_total(row);
            return;
        }
        let Some(class) = class else { return };
        if first.eq_ignore_ascii_case("sub total") {
            self.section_total(row, class);
            return;
        }
        let Some(cell0) = row.cells.first() else {
            return;
        };
        let isin = cell0.first().to_string();
        if !is_isin(&isin) {
            return;
        }
        let Some(name) = row.cells.get(1).map(|c| c.text().into_owned()) else {
            self.unreadable(&isin);
            return;
        };
        let after_name = &row.cells[2.min(row.cells.len())..];
        let numbers: Vec<Decimal> = after_name
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        let security = match class {
            // ISIN | name | current bal | free bal | … | market price | value (no bond terms)
            _ if self.balance_columns => match numbers.as_slice() {
                [units, .., price, value] if numbers.len() >= 3 => {
                    security(isin, name, *units, Some(*price), *value)
                }
                _ => return self.unreadable(&isin),
            },
            // ISIN | company | face value | shares | price | value
            Class::Equities => match numbers.as_slice() {
                [.., units, price, value] if numbers.len() >= 3 => {
                    security(isin, name, *units, Some(*price), *value)
                }
                _ => return self.unreadable(&isin),
            },
            // ISIN | description | coupon | frequency | maturity | number | face value | value
            Class::CorporateBonds | Class::GovernmentSecurities => {
                let maturity = after_name.iter().find_map(|c| any_date(&c.text()));
                match numbers.as_slice() {
                    [coupon, .., units, face_value, value] if numbers.len() >= 4 => Security {
                        face_value: Some(*face_value),
                        coupon_rate: Some(*coupon),
                        maturity_date: maturity,
                        ..security(isin, name, *units, None, *value)
                    },
                    [units, face_value, value] => Security {
                        face_value: Some(*face_value),
                        maturity_date: maturity,
                        ..security(isin, name, *units, None, *value)
                    },
                    _ => return self.unreadable(&isin),
                }
            }
            // ISIN | name | units | NAV | value
            Class::MutualFunds | Class::Aifs => match numbers.as_slice() {
                [.., units, nav, value] if numbers.len() >= 3 => {
                    security(isin, name, *units, Some(*nav), *value)
                }
                _ => return self.unreadable(&isin),
            },
        };
        self.push_holding(class, security);
    }

    fn nsdl_folio_row(&mut self, row: &Row) {
        let Some(isin_at) = row.cells.iter().position(|c| is_isin(c.first())) else {
            // An AMC heading is a lone cell naming a fund house (page headers are not).
            let first = row.first();
            if row.cells.len() == 1 && (first.ends_with("Mutual Fund") || first.ends_with(" MF")) {
                self.amc = Some(first.into_owned());
            }
            return;
        };
        let isin = row.cells[isin_at].first().to_string();
        let name = row
            .cells
            .get(isin_at + 1)
            .map(|c| c.text().into_owned())
            .unwrap_or_default();
        let Some(folio) = row.cells.get(isin_at + 2).map(|c| c.text().into_owned()) else {
            self.unreadable(&isin);
            return;
        };
        let numbers: Vec<Decimal> = row.cells[isin_at + 3..]
            .iter()
            .filter_map(|c| parse_amount(&c.text()))
            .collect();
        // units | average cost | total cost | NAV | value | [profit | return]
        let [units, _average, cost, nav, value, ..] = numbers.as_slice() else {
            self.unreadable(&isin);
            return;
        };
        let amc = self.amc.clone().unwrap_or_default();
        self.push_scheme(
            amc,
            folio,
            None,
            scheme(name, isin, *units, *nav, *value, Some(*cost)),
        );
    }
}

/// A holding as most tables print it; bond rows add their terms.
fn security(
    isin: String,
    name: String,
    units: Decimal,
    price: Option<Decimal>,
    value: Decimal,
) -> Security {
    Security::new(isin, name, units, price, value)
}
