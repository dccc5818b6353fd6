//! Which mails carry a CAS, and of which kind: the whole rule set in one place.
//!
//! Sender first (the depositories and RTAs mail from fixed addresses), then subject, then the
//! attachment's file name (forwarded mails keep the name but not the sender).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CasType {
    Cams,
    Kfintech,
    Cdsl,
    Nsdl,
}

impl CasType {
    pub const ALL: [CasType; 4] = [Self::Cams, Self::Kfintech, Self::Cdsl, Self::Nsdl];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cams => "cams",
            Self::Kfintech => "kfintech",
            Self::Cdsl => "cdsl",
            Self::Nsdl => "nsdl",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "cams" => Ok(Self::Cams),
            "kfintech" => Ok(Self::Kfintech),
            "cdsl" => Ok(Self::Cdsl),
            "nsdl" => Ok(Self::Nsdl),
            other => Err(format!(
                "unknown cas_type {other:?}; use cams, kfintech, cdsl or nsdl"
            )),
        }
    }

    /// The address this source mails statements from.
    pub fn sender(self) -> &'static str {
        match self {
            Self::Cams => "donotreply@camsonline.com",
            Self::Kfintech => "samfS@kfintech.com",
            Self::Cdsl => "eCAS@cdslstatement.com",
            Self::Nsdl => "NSDL-CAS@nsdl.co.in",
        }
    }
}

impl fmt::Display for CasType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Sender domains, matched case-insensitively on the address's domain (or a subdomain).
const SENDER_DOMAINS: &[(&str, CasType)] = &[
    ("camsonline.com", CasType::Cams),
    ("kfintech.com", CasType::Kfintech),
    ("karvy.com", CasType::Kfintech),
    ("cdslstatement.com", CasType::Cdsl),
    ("cdslindia.com", CasType::Cdsl),
    ("nsdl.co.in", CasType::Nsdl),
    ("nsdl.com", CasType::Nsdl),
];

/// Subject phrases (lower case) that name the source.
const SUBJECT_PHRASES: &[(&str, CasType)] = &[
    ("cams mailback", CasType::Cams),
    ("cams consolidated", CasType::Cams),
    ("kfintech", CasType::Kfintech),
    ("kfin technologies", CasType::Kfintech),
    ("cdsl", CasType::Cdsl),
    ("nsdl", CasType::Nsdl),
];

/// The address inside a From header: `Name <a@b>` or a bare `a@b`.
pub fn address_of(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => from[start + 1..end].trim(),
        _ => from.trim(),
    }
}

fn by_sender(from: &str) -> Option<CasType> {
    let address = address_of(from).to_ascii_lowercase();
    let domain = address.rsplit_once('@')?.1;
    SENDER_DOMAINS
        .iter()
        .find_map(|(d, t)| (domain == *d || domain.ends_with(&format!(".{d}"))).then_some(*t))
}

fn by_subject(subject: &str) -> Option<CasType> {
    let subject = subject.to_ascii_lowercase();
    SUBJECT_PHRASES
        .iter()
        .find_map(|(phrase, t)| subject.contains(phrase).then_some(*t))
}

/// File-name shapes of each source (DESIGN.md §3): NSDL `NSDLe-CAS_<9 digits>_<MMM>_<YYYY>.PDF`,
/// CDSL `<MMMYYYY>_<AAxxxxxxxx>_TXN.pdf`, CAMS `<2 letters + digits>_<ddmmyyyy>-<ddmmyyyy>_CP…`.
fn by_filename(filename: &str) -> Option<CasType> {
    let stem = filename.strip_suffix_ci(".pdf")?;
    let parts: Vec<&str> = stem.split('_').collect();
    let all = |s: &str, f: fn(&u8) -> bool| !s.is_empty() && s.as_bytes().iter().all(f);
    match parts.as_slice() {
        [prefix, digits, month, year]
            if prefix.eq_ignore_ascii_case("NSDLe-CAS")
                && digits.len() == 9
                && all(digits, u8::is_ascii_digit)
                && month.len() == 3
                && all(month, u8::is_ascii_alphabetic)
                && year.len() == 4
                && all(year, u8::is_ascii_digit) =>
        {
            Some(CasType::Nsdl)
        }
        [period, client, txn]
            if txn.eq_ignore_ascii_case("TXN")
                && period.len() == 7
                && all(&period[..3], u8::is_ascii_alphabetic)
                && all(&period[3..], u8::is_ascii_digit)
                && client.len() >= 10
                && all(&client[..2], u8::is_ascii_alphabetic)
                && all(&client[2..], u8::is_ascii_digit) =>
        {
            Some(CasType::Cdsl)
        }
        [_, period, cp, _, ..]
            if cp.len() > 2
                && cp[..2].eq_ignore_ascii_case("CP")
                && period.len() == 17
                && period.as_bytes()[8] == b'-' =>
        {
            Some(CasType::Cams)
        }
        _ => None,
    }
}

trait StripSuffixCi {
    fn strip_suffix_ci(&self, suffix: &str) -> Option<&str>;
}

impl StripSuffixCi for str {
    fn strip_suffix_ci(&self, suffix: &str) -> Option<&str> {
        let cut = self.len().checked_sub(suffix.len())?;
        (self.is_char_boundary(cut) && self[cut..].eq_ignore_ascii_case(suffix))
            .then(|| &self[..cut])
    }
}

pub fn is_pdf(filename: &str, mime_type: &str) -> bool {
    mime_type.eq_ignore_ascii_case("application/pdf") || filename.strip_suffix_ci(".pdf").is_some()
}

/// The kind of CAS a PDF attachment of this mail is, if it is one.
pub fn classify(from: &str, subject: &str, filename: &str) -> Option<CasType> {
    by_sender(from)
        .or_else(|| by_subject(subject))
        .or_else(|| by_filename(filename))
}

/// The Gmail search that finds candidate mails of `types` in `[after, before)` (epoch seconds):
/// PDFs from the known senders, or with a CAS subject or file name. Classification then decides.
pub fn gmail_query(types: &[CasType], after: i64, before: i64) -> String {
    let mut terms = Vec::new();
    for t in types {
        terms.push(format!("from:{}", t.sender()));
        match t {
            CasType::Cams => terms.push("subject:\"CAMS Mailback\"".into()),
            CasType::Kfintech => terms.push("subject:KFintech".into()),
            CasType::Cdsl => terms.push("filename:TXN.pdf".into()),
            CasType::Nsdl => terms.push("filename:NSDLe-CAS".into()),
        }
    }
    terms.push("subject:\"Consolidated Account Statement\"".into());
    format!(
        "has:attachment filename:pdf after:{after} before:{before} ({})",
        terms.join(" OR ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_decide_first_case_insensitively() {
        let cases = [
            ("CAMS <donotreply@camsonline.com>", Some(CasType::Cams)),
            ("samfS@kfintech.com", Some(CasType::Kfintech)),
            ("SAMFS@KFINTECH.COM", Some(CasType::Kfintech)),
            ("\"CDSL\" <eCAS@cdslstatement.com>", Some(CasType::Cdsl)),
            ("NSDL-CAS@nsdl.co.in", Some(CasType::Nsdl)),
            ("alerts@mail.camsonline.com", Some(CasType::Cams)),
            ("phish@camsonline.com.evil.example", None),
            ("newsletter@somefund.example", None),
        ];
        for (from, expected) in cases {
            assert_eq!(classify(from, "Hello", "x.pdf"), expected, "{from}");
        }
    }

    #[test]
    fn then_subject_then_filename() {
        let me = "demo.investor@gmail.com";
        assert_eq!(
            classify(
                me,
                "Fwd: Consolidated Account Statement - CAMS Mailback Request",
                "a.pdf"
            ),
            Some(CasType::Cams)
        );
        assert_eq!(
            classify(me, "Fwd: statement", "NSDLe-CAS_123456789_NOV_2025.PDF"),
            Some(CasType::Nsdl)
        );
        assert_eq!(
            classify(me, "fyi", "NOV2025_AA12345678_TXN.pdf"),
            Some(CasType::Cdsl)
        );
        assert_eq!(
            classify(
                me,
                "fyi",
                "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf"
            ),
            Some(CasType::Cams)
        );
        assert_eq!(classify(me, "Your bank statement", "statement.pdf"), None);
        assert_eq!(classify(me, "fyi", "NSDLe-CAS_12345_NOV_2025.PDF"), None);
        assert_eq!(classify(me, "fyi", "é.pdf"), None);
    }

    #[test]
    fn pdfs_by_type_or_name() {
        assert!(is_pdf("x.PDF", "application/octet-stream"));
        assert!(is_pdf("noext", "application/pdf"));
        assert!(!is_pdf("x.xlsx", "application/vnd.ms-excel"));
    }

    #[test]
    fn parses_cas_types() {
        assert_eq!(CasType::parse("CDSL"), Ok(CasType::Cdsl));
        assert!(CasType::parse("zerodha").is_err());
    }

    #[test]
    fn query_names_every_sender_and_the_window() {
        let q = gmail_query(&CasType::ALL, 100, 200);
        assert!(q.starts_with("has:attachment filename:pdf after:100 before:200 ("));
        for t in CasType::ALL {
            assert!(q.contains(t.sender()));
        }
        let q = gmail_query(&[CasType::Cdsl], 1, 2);
        assert!(!q.contains("camsonline"));
    }
}
