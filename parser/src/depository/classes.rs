//! Which holdings list a security goes in: CDSL tells by the ISIN, NSDL by the section it is
//! printed under. Both rules are tables, read top to bottom.

use crate::model::{DematHoldings, Security};
use rust_decimal::Decimal;

/// The holding classes, in the unified shape's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Equities,
    MutualFunds,
    CorporateBonds,
    GovernmentSecurities,
    Aifs,
}

/// One test on an ISIN.
#[derive(Debug, Clone, Copy)]
enum IsinRule {
    /// It starts with these characters.
    Prefix(&'static str),
    /// `IN` then a digit: the issuer is the central or a state government.
    GovernmentIssuer,
    /// Characters 8–9, the security type, are these.
    SecurityType(&'static str),
}

/// CDSL prints every security of an account in one table; the first rule its ISIN matches gives
/// the class, and any other ISIN is an equity.
#[rustfmt::skip] // a table, aligned to be read down
const ISIN_CLASSES: &[(IsinRule, Class)] = &[
    (IsinRule::Prefix("INF"),      Class::MutualFunds),          // mutual-fund units, ETFs too
    (IsinRule::GovernmentIssuer,   Class::GovernmentSecurities), // central and state government
    (IsinRule::SecurityType("07"), Class::CorporateBonds),       // debentures
    (IsinRule::SecurityType("08"), Class::CorporateBonds),       // bonds
];

/// NSDL's section headings, lower-cased, and the class each holds; a `None` section is one we
/// don't read (its rows are skipped). The "(E)"-style letters vary between statement versions.
#[rustfmt::skip] // a table, aligned to be read down
const SECTIONS: &[(&str, Option<Class>)] = &[
    ("equity shares",                        Some(Class::Equities)),
    ("equities (e)",                         Some(Class::Equities)),
    ("mutual funds (m)",                     Some(Class::MutualFunds)),
    ("mutual funds units held with the amc", Some(Class::MutualFunds)),
    ("corporate bonds (c)",                  Some(Class::CorporateBonds)),
    ("government securities (g)",            Some(Class::GovernmentSecurities)),
    ("alternate investment fund (a)",        Some(Class::Aifs)),
    ("alternative investment funds (a)",     Some(Class::Aifs)),
    ("preference shares (p)",                None),
    ("money market instruments (i)",         None),
    ("securitised instruments (s)",          None),
    ("postal saving scheme (o)",             None),
    ("national pension system (n)",          None),
    ("zero coupon zero principal(z)",        None),
];

impl IsinRule {
    fn matches(self, isin: &str) -> bool {
        let b = isin.as_bytes();
        match self {
            IsinRule::Prefix(prefix) => isin.starts_with(prefix),
            IsinRule::GovernmentIssuer => {
                b.len() == 12 && b.starts_with(b"IN") && b[2].is_ascii_digit()
            }
            IsinRule::SecurityType(kind) => b.get(7..9) == Some(kind.as_bytes()),
        }
    }
}

/// A CDSL holding's class, by [`ISIN_CLASSES`].
pub(super) fn class_of_isin(isin: &str) -> Class {
    ISIN_CLASSES
        .iter()
        .find(|(rule, _)| rule.matches(isin))
        .map_or(Class::Equities, |(_, class)| *class)
}

/// An NSDL section heading: `Some(class)` for a section in [`SECTIONS`], `None` for any other
/// text.
pub(super) fn section_marker(text: &str) -> Option<Option<Class>> {
    let heading = text.trim().to_ascii_lowercase();
    SECTIONS
        .iter()
        .find(|(printed, _)| *printed == heading)
        .map(|(_, class)| *class)
}

impl Class {
    /// The holdings list's name in the JSON.
    pub(super) fn label(self) -> &'static str {
        match self {
            Class::Equities => "equities",
            Class::MutualFunds => "demat_mutual_funds",
            Class::CorporateBonds => "corporate_bonds",
            Class::GovernmentSecurities => "government_securities",
            Class::Aifs => "aifs",
        }
    }
}

pub(super) fn holdings_of(h: &mut DematHoldings, class: Class) -> &mut Vec<Security> {
    match class {
        Class::Equities => &mut h.equities,
        Class::MutualFunds => &mut h.demat_mutual_funds,
        Class::CorporateBonds => &mut h.corporate_bonds,
        Class::GovernmentSecurities => &mut h.government_securities,
        Class::Aifs => &mut h.aifs,
    }
}

pub(super) fn holdings_value(h: &DematHoldings) -> Decimal {
    all_holdings(h).map(|s| s.value).sum()
}

/// How many holdings an account lists, of every class.
pub(super) fn holdings_count(h: &DematHoldings) -> usize {
    all_holdings(h).count()
}

fn all_holdings(h: &DematHoldings) -> impl Iterator<Item = &Security> {
    [
        &h.equities,
        &h.demat_mutual_funds,
        &h.corporate_bonds,
        &h.government_securities,
        &h.aifs,
    ]
    .into_iter()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isins_tell_the_holding_class() {
        assert_eq!(class_of_isin("INE002A01018"), Class::Equities);
        assert_eq!(class_of_isin("INF204KB14I2"), Class::MutualFunds);
        assert_eq!(class_of_isin("INE906B07CB9"), Class::CorporateBonds);
        assert_eq!(class_of_isin("INE020B08DK8"), Class::CorporateBonds);
        assert_eq!(class_of_isin("IN0020230085"), Class::GovernmentSecurities);
        assert_eq!(class_of_isin("IN1520220111"), Class::GovernmentSecurities);
    }

    #[test]
    fn section_headings_tell_the_holding_class() {
        assert_eq!(section_marker("Equity Shares"), Some(Some(Class::Equities)));
        assert_eq!(
            section_marker(" Corporate Bonds (C) "),
            Some(Some(Class::CorporateBonds))
        );
        assert_eq!(section_marker("Preference Shares (P)"), Some(None));
        assert_eq!(section_marker("Sub Total"), None);
    }
}
