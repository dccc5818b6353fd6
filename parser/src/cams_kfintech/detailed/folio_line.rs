//! The folio line that opens each folio's block:
//!
//! ```text
//! Folio No: 1234567 / 89    PAN: ABCDE1234F    KYC: OK    PAN: OK
//! Folio No: 12345678 / 90 KYC: OK  PAN: OK          (PAN-exempt investors, minors, old folios)
//! Folio No: 910112345678    KYC: NOT OK    PAN: NOT OK
//! ```
//!
//! Every part after the folio number is optional; the ones present come in this order.

use regex::Regex;
use std::sync::LazyLock;

static FOLIO_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^Folio\s*No\.?\s*:?\s*").expect("valid regex"));
/// Where the folio number ends: the first label after it.
static FIRST_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:PAN|KYC)\s*:").expect("valid regex"));
static INVESTOR_PAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bPAN\s*:\s*([A-Z]{5}[0-9]{4}[A-Z])\b").expect("valid regex")
});
static KYC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bKYC\s*:\s*(NOT\s+OK|OK)\b").expect("valid regex"));
/// `PAN: OK` after `KYC:`: whether the PAN is validated (casparser's `PANKYC`).
static PAN_STATUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bPAN\s*:\s*(NOT\s+OK|OK)\b").expect("valid regex"));

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolioLine {
    /// As printed, spaces collapsed: `1234567 / 89`. Empty when the line prints none.
    pub number: String,
    pub pan: Option<String>,
    /// `OK` or `NOT OK`.
    pub kyc: Option<String>,
    pub pan_status: Option<String>,
}

/// Whether `text` is a folio line (whatever else it prints).
pub fn is_folio_line(text: &str) -> bool {
    FOLIO_START.is_match(text)
}

/// Reads a folio line; `None` when `text` is not one.
pub fn read(text: &str) -> Option<FolioLine> {
    let start = FOLIO_START.find(text)?;
    let rest = &text[start.end()..];
    let number_end = FIRST_LABEL.find(rest).map_or(rest.len(), |m| m.start());
    let number = rest[..number_end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let status = |re: &Regex, from: &str| {
        re.captures(from).map(|c| {
            c[1].split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        })
    };
    let pan = INVESTOR_PAN.captures(rest).map(|c| c[1].to_uppercase());
    let kyc_at = KYC.find(rest);
    let kyc = status(&KYC, rest);
    // The PAN status follows KYC; before it, `PAN: OK` cannot be read as a status.
    let after_kyc = kyc_at.map_or(rest, |m| &rest[m.end()..]);
    Some(FolioLine {
        number,
        pan,
        kyc,
        pan_status: status(&PAN_STATUS, after_kyc),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: &str, pan: Option<&str>, kyc: Option<&str>, status: Option<&str>) -> FolioLine {
        FolioLine {
            number: number.into(),
            pan: pan.map(Into::into),
            kyc: kyc.map(Into::into),
            pan_status: status.map(Into::into),
        }
    }

    #[test]
    fn every_printed_variant_reads() {
        let cases = [
            (
                "Folio No: 1234567 / 89    PAN: ABCDE1234F    KYC: OK    PAN: OK",
                line("1234567 / 89", Some("ABCDE1234F"), Some("OK"), Some("OK")),
            ),
            // casparser #28: no investor PAN on the line.
            (
                "Folio No: 12345678 / 90 KYC: OK  PAN: OK",
                line("12345678 / 90", None, Some("OK"), Some("OK")),
            ),
            (
                "Folio No: 12345678 / 90 KYC: NOT OK  PAN: NOT OK",
                line("12345678 / 90", None, Some("NOT OK"), Some("NOT OK")),
            ),
            (
                "Folio No: 910112345678   PAN: ABCDE1234F   KYC: NOT OK   PAN: OK",
                line(
                    "910112345678",
                    Some("ABCDE1234F"),
                    Some("NOT OK"),
                    Some("OK"),
                ),
            ),
            ("Folio No: 4567/12", line("4567/12", None, None, None)),
            (
                "Folio No.: 1234567 PAN: ABCDE1234F",
                line("1234567", Some("ABCDE1234F"), None, None),
            ),
            (
                "Folio No:   KYC: OK PAN: OK",
                line("", None, Some("OK"), Some("OK")),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn other_lines_are_not_folio_lines() {
        assert_eq!(read("HDFC Mutual Fund"), None);
        assert_eq!(read("B205-Folio Growth Fund - ISIN: INF209K01BR9"), None);
        assert!(!is_folio_line("PAN: ABCDE1234F"));
    }
}
