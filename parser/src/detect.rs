//! Which issuer produced a statement, from its text.
//!
//! Markers are matched on the raw text of all runs with whitespace removed
//! and case folded: CAMS and KFintech print `CAMSCASWS-…` / `KFINCASWS-…`
//! vertically in the margin (possibly one glyph per run), so line grouping
//! would miss them.

use crate::pdf::Page;

/// The issuer of a CAS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CasKind {
    Cams,
    Kfintech,
    Cdsl,
    Nsdl,
}

/// Detailed (with transactions) or summary statement, where the text says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CasVariant {
    /// "Consolidated Account Statement" with transactions (CAMS / KFintech).
    Detailed,
    /// "Consolidated Account Summary": holdings only (CAMS / KFintech).
    Summary,
    /// Not stated; always so for the depository (CDSL / NSDL) statements.
    Unknown,
}

/// Result of [`detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detection {
    pub kind: CasKind,
    pub variant: CasVariant,
}

const CAMS: &str = "camscasws";
const KFINTECH: &str = "kfincasws";
const CDSL: &str = "centraldepositoryservices(india)limited";
const NSDL: &str = "nsdlconsolidatedaccountstatement";

/// Detects the issuer from the pages' text; `None` if it is not a known CAS.
pub fn detect(pages: &[Page]) -> Option<Detection> {
    let mut text = String::new();
    for page in pages {
        for run in &page.runs {
            text.push_str(&run.text);
            text.push('\n');
        }
    }
    detect_text(&text)
}

/// [`detect`] on plain text.
pub fn detect_text(text: &str) -> Option<Detection> {
    let norm = normalize(text);
    // The RTA watermarks are unique to their issuer; check them first.
    let rta = [(CAMS, CasKind::Cams), (KFINTECH, CasKind::Kfintech)];
    if let Some(kind) = earliest(&norm, &rta) {
        let variant = if norm.contains("consolidatedaccountsummary") {
            CasVariant::Summary
        } else if norm.contains("consolidatedaccountstatement") {
            CasVariant::Detailed
        } else {
            CasVariant::Unknown
        };
        return Some(Detection { kind, variant });
    }
    // A depository statement can name the other depository (an investor may
    // hold accounts with both); the marker printed first is the issuer's header.
    let depository = [(CDSL, CasKind::Cdsl), (NSDL, CasKind::Nsdl)];
    earliest(&norm, &depository).map(|kind| Detection {
        kind,
        variant: CasVariant::Unknown,
    })
}

fn earliest(norm: &str, markers: &[(&str, CasKind)]) -> Option<CasKind> {
    markers
        .iter()
        .filter_map(|(m, kind)| norm.find(m).map(|pos| (pos, *kind)))
        .min_by_key(|(pos, _)| *pos)
        .map(|(_, kind)| kind)
}

fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_issuer() {
        let d = detect_text("Consolidated Account Statement\nC\nA\nM\nS\nCASWS-123").unwrap();
        assert_eq!((d.kind, d.variant), (CasKind::Cams, CasVariant::Detailed));
        let d = detect_text("Consolidated Account Summary KFINCASWS-1").unwrap();
        assert_eq!(
            (d.kind, d.variant),
            (CasKind::Kfintech, CasVariant::Summary)
        );
        let d = detect_text(
            "CENTRAL DEPOSITORY SERVICES (INDIA) LIMITED ... NSDL Consolidated Account Statement",
        );
        assert_eq!(d.unwrap().kind, CasKind::Cdsl);
        let d = detect_text("NSDL Consolidated Account Statement");
        assert_eq!(d.unwrap().kind, CasKind::Nsdl);
        assert_eq!(detect_text("Hello"), None);
        assert_eq!(detect_text("Consolidated Account Statement"), None);
    }
}
