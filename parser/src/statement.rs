//! A statement: the PDF layer's pages, and which issuer produced them, from their text.
//!
//! Markers are matched on the raw text of the first two pages' runs, whitespace removed
//! and case folded: CAMS and KFintech print `CAMSCASWS-…` / `KFINCASWS-…`
//! vertically in the margin (possibly one glyph per run), so line grouping
//! would miss them.

use crate::error::ParseError;
use crate::model::Issuer;
use crate::pdf::{Page, extract_pages};

/// An opened, recognised CAS statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub issuer: Issuer,
    pub variant: CasVariant,
    pub pages: Vec<Page>,
}

impl Statement {
    /// All pages' raw text (see [`Page::raw_text`]), pages separated by a form feed.
    pub fn raw_text(&self) -> String {
        let pages: Vec<String> = self.pages.iter().map(Page::raw_text).collect();
        pages.join("\n\u{c}\n")
    }
}

/// Opens a CAS PDF with its password, extracts its text and detects the issuer.
///
/// Errors: [`ParseError::TooLarge`] over [`crate::pdf::MAX_PDF_BYTES`];
/// [`ParseError::InvalidPassword`] when the file is encrypted and `password`
/// (possibly empty) does not open it; [`ParseError::InvalidPdf`] for anything
/// that is not a readable PDF; [`ParseError::UnsupportedFormat`] for a
/// readable PDF that is not a CAS from CAMS, KFintech, CDSL or NSDL.
pub fn open(bytes: &[u8], password: &str) -> Result<Statement, ParseError> {
    let pages = extract_pages(bytes, password)?;
    let detection = detect(&pages).ok_or(ParseError::UnsupportedFormat)?;
    Ok(Statement {
        issuer: detection.issuer,
        variant: detection.variant,
        pages,
    })
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
    pub issuer: Issuer,
    pub variant: CasVariant,
}

const CAMS: &str = "camscasws";
const KFINTECH: &str = "kfincasws";
const CDSL: &str = "centraldepositoryservices(india)limited";
const NSDL: &str = "nsdlconsolidatedaccountstatement";

/// Pages whose text decides the issuer. Every issuer prints its marker on the first page or
/// two, and casparser (the reference) looks no further, so neither do we.
const DETECTION_PAGES: usize = 2;

/// Detects the issuer from the first pages' text; `None` if it is not a known CAS.
pub fn detect(pages: &[Page]) -> Option<Detection> {
    let mut text = String::new();
    for page in pages.iter().take(DETECTION_PAGES) {
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
    let rta = [(CAMS, Issuer::Cams), (KFINTECH, Issuer::Kfintech)];
    if let Some(issuer) = earliest(&norm, &rta) {
        let variant = if norm.contains("consolidatedaccountsummary") {
            CasVariant::Summary
        } else if norm.contains("consolidatedaccountstatement") {
            CasVariant::Detailed
        } else {
            CasVariant::Unknown
        };
        return Some(Detection { issuer, variant });
    }
    // A depository statement can name the other depository (an investor may
    // hold accounts with both); the marker printed first is the issuer's header.
    let depository = [(CDSL, Issuer::Cdsl), (NSDL, Issuer::Nsdl)];
    earliest(&norm, &depository).map(|issuer| Detection {
        issuer,
        variant: CasVariant::Unknown,
    })
}

fn earliest(norm: &str, markers: &[(&str, Issuer)]) -> Option<Issuer> {
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
        assert_eq!((d.issuer, d.variant), (Issuer::Cams, CasVariant::Detailed));
        let d = detect_text("Consolidated Account Summary KFINCASWS-1").unwrap();
        assert_eq!(
            (d.issuer, d.variant),
            (Issuer::Kfintech, CasVariant::Summary)
        );
        let d = detect_text(
            "CENTRAL DEPOSITORY SERVICES (INDIA) LIMITED ... NSDL Consolidated Account Statement",
        );
        assert_eq!(d.unwrap().issuer, Issuer::Cdsl);
        let d = detect_text("NSDL Consolidated Account Statement");
        assert_eq!(d.unwrap().issuer, Issuer::Nsdl);
        assert_eq!(detect_text("Hello"), None);
        assert_eq!(detect_text("Consolidated Account Statement"), None);
    }

    #[test]
    fn only_the_first_two_pages_decide() {
        let page = |number, text: &str| Page {
            number,
            runs: vec![crate::pdf::TextRun {
                x: 0.0,
                y: 0.0,
                font_size: 8.0,
                width: 0.0,
                horizontal: true,
                text: text.to_string(),
            }],
        };
        let marker = "NSDL Consolidated Account Statement";
        let late = [page(1, "cover"), page(2, "notes"), page(3, marker)];
        assert_eq!(detect(&late), None);
        let early = [page(1, "cover"), page(2, marker), page(3, "notes")];
        assert_eq!(detect(&early).unwrap().issuer, Issuer::Nsdl);
    }
}
