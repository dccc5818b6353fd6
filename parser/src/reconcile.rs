//! The statement checked against itself: every total, balance and valuation it prints is
//! compared with what the reader made of the lines above it.
//!
//! A reader records each comparison here. The result is `meta.reconciled` (true only when the
//! statement printed at least one total and every one matched) and one warning per mismatch,
//! naming what differs and by how much. A statement that prints no total cannot vouch for
//! itself: it reads `reconciled: false` with a warning saying so.

use crate::model::Scheme;
use rust_decimal::Decimal;

/// A paisa: the tolerance per summed line of a printed money total.
pub const PAISA: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// Units are printed to 3 decimals; half of the last digit absorbs the printer's rounding.
pub const UNIT_TOLERANCE: Decimal = Decimal::from_parts(5, 0, 0, false, 3);

#[derive(Debug, Default)]
pub struct Reconciliation {
    /// Statement-level totals compared (portfolio summary rows, grand totals, section totals).
    totals_checked: usize,
    /// Every comparison, statement-level or per scheme.
    checked: usize,
    mismatches: Vec<String>,
}

impl Reconciliation {
    /// A statement-level printed total (a summary row, a grand total, an account's value)
    /// against the sum of `lines` values read: off by more than a paisa per line is a mismatch.
    pub fn total(
        &mut self,
        what: impl FnOnce() -> String,
        read: Decimal,
        printed: Decimal,
        lines: usize,
    ) {
        self.totals_checked += 1;
        let tolerance = PAISA * Decimal::from(lines.max(1));
        self.compare(what, read, printed, tolerance);
    }

    /// A value printed beside the lines it sums (a scheme's closing units, its valuation):
    /// within `tolerance`.
    pub fn line(
        &mut self,
        what: impl FnOnce() -> String,
        read: Decimal,
        printed: Decimal,
        tolerance: Decimal,
    ) {
        self.compare(what, read, printed, tolerance);
    }

    /// A scheme's closing units × NAV against its printed value, one paisa plus the NAV's own
    /// rounding apart at most; a NAV printed as `N.A.` (read as zero) cannot be checked.
    pub fn valuation(&mut self, scheme: &Scheme) {
        if scheme.nav.is_zero() {
            return;
        }
        self.line(
            || format!("{}: closing units × NAV against the value", scheme.name),
            (scheme.units * scheme.nav).round_dp(2),
            scheme.value,
            valuation_tolerance(scheme.units, scheme.nav),
        );
    }

    /// A count the statement prints (folios, accounts) against the number read.
    pub fn count(&mut self, what: impl FnOnce() -> String, read: usize, printed: u32) {
        self.totals_checked += 1;
        self.checked += 1;
        if u32::try_from(read).ok() != Some(printed) {
            self.mismatches.push(format!(
                "{}: {read} read, the statement counts {printed}",
                what()
            ));
        }
    }

    /// Something printed that has nothing read to match (a fund house in the summary with no
    /// folio below it), or the other way round: a mismatch in itself.
    pub fn unmatched(&mut self, message: String) {
        self.totals_checked += 1;
        self.checked += 1;
        self.mismatches.push(message);
    }

    fn compare(
        &mut self,
        what: impl FnOnce() -> String,
        read: Decimal,
        printed: Decimal,
        tolerance: Decimal,
    ) {
        self.checked += 1;
        let difference = read - printed;
        if difference.abs() > tolerance {
            self.mismatches.push(format!(
                "{}: read {}, the statement prints {} (off by {})",
                what(),
                read.normalize(),
                printed.normalize(),
                difference.normalize()
            ));
        }
    }

    /// Whether every check passed; mismatches (and the absence of any printed total) are
    /// appended to `warnings`.
    pub fn finish(self, warnings: &mut Vec<String>) -> bool {
        if self.totals_checked == 0 {
            warnings.push(
                "the statement prints no total to check the holdings against: not reconciled"
                    .into(),
            );
            return false;
        }
        let reconciled = self.mismatches.is_empty();
        warnings.extend(self.mismatches);
        reconciled
    }
}

/// Tolerance for `units × NAV = value`: a paisa, plus the NAV's own rounding (half its last
/// printed digit) times the units.
fn valuation_tolerance(units: Decimal, nav: Decimal) -> Decimal {
    let half_digit = Decimal::new(5, nav.scale() + 1);
    PAISA + units.abs() * half_digit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn matching_totals_reconcile() {
        let mut r = Reconciliation::default();
        r.total(|| "Total".into(), d("100.01"), d("100.00"), 2);
        let mut warnings = Vec::new();
        assert!(r.finish(&mut warnings));
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_difference_names_what_and_by_how_much() {
        let mut r = Reconciliation::default();
        r.total(
            || "HDFC Mutual Fund market value".into(),
            d("900.00"),
            d("1000.00"),
            3,
        );
        let mut warnings = Vec::new();
        assert!(!r.finish(&mut warnings));
        assert_eq!(
            warnings,
            ["HDFC Mutual Fund market value: read 900, the statement prints 1000 (off by -100)"]
        );
    }

    #[test]
    fn no_printed_total_is_not_reconciled() {
        let mut r = Reconciliation::default();
        // Per-line checks alone do not vouch for the whole statement.
        r.line(|| "units".into(), d("1"), d("1"), UNIT_TOLERANCE);
        let mut warnings = Vec::new();
        assert!(!r.finish(&mut warnings));
        assert!(warnings[0].contains("prints no total"), "{warnings:?}");
    }

    #[test]
    fn counts_and_unmatched_entries_are_mismatches() {
        let mut r = Reconciliation::default();
        r.count(|| "folios".into(), 2, 3);
        r.unmatched("X Mutual Fund: in the summary, no folio read".into());
        let mut warnings = Vec::new();
        assert!(!r.finish(&mut warnings));
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn valuation_tolerance_follows_the_navs_printed_digits() {
        assert_eq!(valuation_tolerance(d("1000"), d("12.3456")), d("0.06"));
        assert_eq!(valuation_tolerance(d("-10"), d("12.34")), d("0.06"));
    }
}
