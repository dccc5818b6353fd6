//! What a mutual-fund transaction line is, from its description and signs: the whole rule set
//! in one table, first match wins.

use rust_decimal::Decimal;

/// (words the description contains, lower case; type). Order matters: taxes and switches before
/// the generic purchase/redemption words they may contain.
const DESCRIPTION_RULES: &[(&[&str], &str)] = &[
    (&["stamp duty"], "STAMP_DUTY_TAX"),
    (&["stt paid"], "STT_TAX"),
    (&["tds"], "TDS_TAX"),
    (&["segregat"], "SEGREGATION"),
    (&["reversal"], "REVERSAL"),
    (&["rejection"], "REVERSAL"),
    (&["switch in"], "SWITCH_IN"),
    (&["switch-in"], "SWITCH_IN"),
    (&["switch out"], "SWITCH_OUT"),
    (&["switch-out"], "SWITCH_OUT"),
    (&["idcw", "reinvest"], "DIVIDEND_REINVEST"),
    (&["dividend", "reinvest"], "DIVIDEND_REINVEST"),
    (&["idcw"], "DIVIDEND_PAYOUT"),
    (&["dividend"], "DIVIDEND_PAYOUT"),
    (&["systematic investment"], "PURCHASE_SIP"),
    (&["sip"], "PURCHASE_SIP"),
    (&["redemption"], "REDEMPTION"),
    (&["repurchase"], "REDEMPTION"),
    (&["systematic withdrawal"], "REDEMPTION"),
    (&["purchase"], "PURCHASE"),
];

/// The transaction class of DESIGN.md §2 for one line of a statement.
pub fn classify(description: &str, units: Option<Decimal>) -> &'static str {
    let text = description.to_ascii_lowercase();
    let words_match = |needle: &str| {
        // "sip" and "tds" must be words, not parts of other words.
        if needle.len() <= 4 {
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == needle)
        } else {
            text.contains(needle)
        }
    };
    for (needles, kind) in DESCRIPTION_RULES {
        if needles.iter().all(|n| words_match(n)) {
            return kind;
        }
    }
    match units {
        Some(u) if u > Decimal::ZERO => "PURCHASE",
        Some(u) if u < Decimal::ZERO => "REDEMPTION",
        Some(_) => "MISC",
        None => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_map_to_their_classes() {
        let cases = [
            ("*** Stamp Duty ***", None, "STAMP_DUTY_TAX"),
            ("*** STT Paid ***", None, "STT_TAX"),
            ("TDS on IDCW", None, "TDS_TAX"),
            (
                "Systematic Investment (1) - Instalment 1/120 - BSE Limited",
                Some(1),
                "PURCHASE_SIP",
            ),
            ("SIP Purchase", Some(1), "PURCHASE_SIP"),
            ("Purchase-BSE - Lumpsum", Some(1), "PURCHASE"),
            ("Additional Purchase - via Distributor", Some(1), "PURCHASE"),
            ("Redemption - Online - Bank Payout", Some(-1), "REDEMPTION"),
            ("Switch Out - To HDFC Liquid Fund", Some(-1), "SWITCH_OUT"),
            ("Switch In - From HDFC Mid Cap Fund", Some(1), "SWITCH_IN"),
            (
                "IDCW Reinvestment @ Rs.0.25 per unit",
                Some(1),
                "DIVIDEND_REINVEST",
            ),
            ("IDCW Paid @ Rs.0.25 per unit", None, "DIVIDEND_PAYOUT"),
            (
                "Units transferred to segregated portfolio",
                Some(1),
                "SEGREGATION",
            ),
            ("Purchase Reversal", Some(-1), "REVERSAL"),
            ("Bonus units", Some(1), "PURCHASE"),
            ("Gossip about mutual funds", None, "UNKNOWN"),
        ];
        for (description, units, expected) in cases {
            assert_eq!(
                classify(description, units.map(Decimal::from)),
                expected,
                "{description}"
            );
        }
    }
}
