//! The portfolio both CAMS / KFintech readers return.

use crate::model::{
    AccountTotal, Investor, MutualFundFolio, Portfolio, PortfolioMeta, PortfolioSummary,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A CAMS / KFintech statement's portfolio: its folios are all it holds, so the total and the
/// one per-kind entry (`mutual_funds`) are the sum of their values.
pub(super) fn rta_portfolio(
    meta: PortfolioMeta,
    investor: Investor,
    folios: Vec<MutualFundFolio>,
    warnings: Vec<String>,
) -> Portfolio {
    let total: Decimal = folios.iter().map(|f| f.value).sum();
    let accounts = BTreeMap::from([(
        "mutual_funds".to_string(),
        AccountTotal {
            count: u32::try_from(folios.len()).unwrap_or(u32::MAX),
            total_value: total,
        },
    )]);
    Portfolio {
        meta,
        investor,
        summary: PortfolioSummary {
            total_value: total,
            accounts,
        },
        mutual_funds: folios,
        demat_accounts: Vec::new(),
        nps: Vec::new(),
        insurance: Default::default(),
        warnings,
    }
}
