//! What a mutual-fund transaction line is, from its description and signs: the whole rule set
//! in one table, first match wins.

use rust_decimal::Decimal;

/// What a rule makes of a line: one class, or one by the sign of its units.
enum Class {
    Is(&'static str),
    /// Units in / out (`NORMAL SWITCH - From …` / `- To …`); no units: no decision here.
    BySign {
        up: &'static str,
        down: &'static str,
    },
}

use Class::{BySign, Is};

/// (words the description contains, lower case; class). Order matters: taxes, reversals and
/// switches before the generic purchase/redemption words they may contain. Sources: casparser's
/// rule table and the rows its tests and issue tracker record.
const DESCRIPTION_RULES: &[(&[&str], Class)] = &[
    (&["stamp duty"], Is("STAMP_DUTY_TAX")),
    (&["stt paid"], Is("STT_TAX")),
    (&["tds"], Is("TDS_TAX")),
    (&["segregat"], Is("SEGREGATION")),
    (&["reversal"], Is("REVERSAL")),
    (&["rejection"], Is("REVERSAL")),
    // A SIP whose money never came: the units are taken back.
    (&["dishonour"], Is("REVERSAL")),
    (&["payment not received"], Is("REVERSAL")),
    (&["mismatch"], Is("REVERSAL")),
    (&["insufficient balance"], Is("REVERSAL")),
    // A SIP instalment skipped on a zero balance moves nothing (casparser #134).
    (&["zero balance"], Is("MISC")),
    (
        &["merger"],
        BySign {
            up: "SWITCH_IN_MERGER",
            down: "SWITCH_OUT_MERGER",
        },
    ),
    (&["switch in"], Is("SWITCH_IN")),
    (&["switch-in"], Is("SWITCH_IN")),
    (&["switch out"], Is("SWITCH_OUT")),
    (&["switch-out"], Is("SWITCH_OUT")),
    (
        &["switch"],
        BySign {
            up: "SWITCH_IN",
            down: "SWITCH_OUT",
        },
    ),
    (&["idcw", "reinvest"], Is("DIVIDEND_REINVEST")),
    (&["dividend", "reinvest"], Is("DIVIDEND_REINVEST")),
    (&["div", "reinvest"], Is("DIVIDEND_REINVEST")),
    (&["idcw"], Is("DIVIDEND_PAYOUT")),
    (&["dividend"], Is("DIVIDEND_PAYOUT")),
    (&["systematic investment"], Is("PURCHASE_SIP")),
    (&["sip"], Is("PURCHASE_SIP")),
    (&["redemption"], Is("REDEMPTION")),
    (&["repurchase"], Is("REDEMPTION")),
    (&["systematic withdrawal"], Is("REDEMPTION")),
    (&["purchase"], Is("PURCHASE")),
];

/// The transaction class of DESIGN.md §2 for one line of a statement.
pub fn classify(description: &str, units: Option<Decimal>) -> &'static str {
    let text = description.to_ascii_lowercase();
    let words_match = |needle: &str| {
        // "sip", "tds" and "div" must be words, not parts of other words.
        if needle.len() <= 4 {
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == needle)
        } else {
            text.contains(needle)
        }
    };
    for (needles, class) in DESCRIPTION_RULES {
        if !needles.iter().all(|n| words_match(n)) {
            continue;
        }
        match (class, units) {
            (Is(kind), _) => return kind,
            (BySign { up, .. }, Some(u)) if u > Decimal::ZERO => return up,
            (BySign { down, .. }, Some(u)) if u < Decimal::ZERO => return down,
            (BySign { .. }, _) => {}
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
            // casparser #16: a switch named only by its direction.
            (
                "NORMAL SWITCH - From IDFC Low Duration Fund-Gr",
                Some(1),
                "SWITCH_IN",
            ),
            (
                "NORMAL SWITCH - To IDFC Low Duration Fund-Gr",
                Some(-1),
                "SWITCH_OUT",
            ),
            ("Switch In - Merger", Some(1), "SWITCH_IN_MERGER"),
            ("Switch Out - Merger", Some(-1), "SWITCH_OUT_MERGER"),
            (
                "Div. Reinvested @ Rs.0.0241 per unit",
                Some(1),
                "DIVIDEND_REINVEST",
            ),
            ("Zero balance SIP", None, "MISC"),
            (
                "Purchase SIPCheque Dishonoured - Instalment No 108",
                Some(-1),
                "REVERSAL",
            ),
            (
                "SIP Purchase151/Payment not received from investor Banker Physical",
                Some(-1),
                "REVERSAL",
            ),
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
