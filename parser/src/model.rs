//! The parsed portfolio (what `/v4/smart/parse` returns): the unified CAS shape.
//!
//! Amounts are exact decimals in Rust and plain JSON numbers on the wire.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    pub meta: PortfolioMeta,
    pub investor: Investor,
    pub summary: PortfolioSummary,
    #[serde(default)]
    pub mutual_funds: Vec<MutualFundFolio>,
    #[serde(default)]
    pub demat_accounts: Vec<DematAccount>,
    #[serde(default)]
    pub nps: Vec<NpsAccount>,
    /// Integrity findings: printed totals that do not match, lines that could not be placed.
    /// Never a reason to fail by themselves (strict callers fail on `meta.reconciled`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortfolioMeta {
    /// `cams`, `kfintech`, `cdsl` or `nsdl`.
    pub cas_type: String,
    /// `detailed` or `summary` where the statement says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_kind: Option<String>,
    /// When the service parsed it (RFC 3339); the parser itself has no clock.
    #[serde(default)]
    pub generated_at: Option<String>,
    pub statement_period: StatementPeriod,
    /// True only when the statement printed at least one total (portfolio summary, Total row,
    /// account and section totals) and every printed total, balance and valuation matched
    /// what was read; each mismatch is a warning.
    #[serde(default)]
    pub reconciled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementPeriod {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Investor {
    pub name: Option<String>,
    pub pan: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub pincode: Option<String>,
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cas_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortfolioSummary {
    #[serde(with = "rust_decimal::serde::float")]
    pub total_value: Decimal,
    /// Per kind of holding: `demat`, `mutual_funds`, `nps`, …
    pub accounts: BTreeMap<String, AccountTotal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountTotal {
    pub count: u32,
    #[serde(with = "rust_decimal::serde::float")]
    pub total_value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutualFundFolio {
    pub amc: String,
    pub folio_number: String,
    /// `CAMS` or `KFINTECH`.
    pub registrar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kyc: Option<String>,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    pub schemes: Vec<Scheme>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scheme {
    pub name: String,
    pub isin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amfi_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisor: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nominees: Vec<String>,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub open_units: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::float")]
    pub units: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub nav: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub cost: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valuation_date: Option<String>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub date: String,
    pub description: String,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub amount: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub units: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub nav: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub balance: Option<Decimal>,
    /// PURCHASE, PURCHASE_SIP, REDEMPTION, SWITCH_IN, … (DESIGN.md §2).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub dividend_rate: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DematAccount {
    /// `NSDL` or `CDSL`.
    pub depository: String,
    pub dp_name: Option<String>,
    pub dp_id: Option<String>,
    pub client_id: Option<String>,
    #[serde(default)]
    pub holders: Vec<Holder>,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub holdings: DematHoldings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub name: String,
    pub pan: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DematHoldings {
    #[serde(default)]
    pub equities: Vec<Security>,
    #[serde(default)]
    pub demat_mutual_funds: Vec<Security>,
    #[serde(default)]
    pub corporate_bonds: Vec<Security>,
    #[serde(default)]
    pub government_securities: Vec<Security>,
    #[serde(default)]
    pub aifs: Vec<Security>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Security {
    pub isin: String,
    pub name: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub units: Decimal,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub price: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub face_value: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub coupon_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NpsAccount {
    pub pran: String,
    pub cra: Option<String>,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    pub funds: Vec<NpsFund>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NpsFund {
    pub name: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub units: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub nav: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn portfolio_round_trips_with_plain_json_numbers() {
        let value = json!({
            "meta": {"cas_type": "cams", "statement_kind": "detailed",
                     "generated_at": "2025-01-15T10:00:00Z",
                     "statement_period": {"from": "2024-01-01", "to": "2024-12-31"},
                     "reconciled": true},
            "investor": {"name": "Demo Investor", "pan": "ABCDE1234F", "email": "d@x.in",
                         "address": "1 MG Road", "pincode": "560001", "mobile": "+919800000000"},
            "summary": {"total_value": 123456.78,
                        "accounts": {"mutual_funds": {"count": 1, "total_value": 123456.78}}},
            "mutual_funds": [{
                "amc": "Demo Mutual Fund", "folio_number": "1234567/89", "registrar": "CAMS",
                "value": 123456.78,
                "schemes": [{
                    "name": "Demo Flexi Cap Fund - Direct Growth", "isin": "INF000K01AB1",
                    "open_units": 0.0, "units": 1000.5, "nav": 123.3948, "value": 123456.78,
                    "cost": 100000.0,
                    "transactions": [{"date": "2024-02-01", "description": "Purchase",
                        "amount": 100000.0, "units": 1000.5, "nav": 99.95, "balance": 1000.5,
                        "type": "PURCHASE", "dividend_rate": null}]
                }]
            }],
            "demat_accounts": [],
            "nps": []
        });
        let parsed: Portfolio = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(parsed.summary.total_value, Decimal::new(12345678, 2));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
    }
}
