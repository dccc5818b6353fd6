//! Which mails carry a CAS, and of which kind: the whole rule set in one place.
//!
//! Sender first (the depositories and RTAs mail from fixed addresses), then subject, then the
//! attachment's file name (forwarded mails keep the name but not the sender).

use cas_parser::Issuer;
use cas_parser::model::UnknownIssuer;

/// The issuer a request's `cas_type` (or `cas_types` entry) names, case-insensitively; the
/// error is the API's message for a name that is not one of the four.
pub fn parse_cas_type(raw: &str) -> Result<Issuer, String> {
    raw.parse().map_err(|UnknownIssuer(name)| {
        format!(
            "unknown cas_type {:?}; use cams, kfintech, cdsl or nsdl",
            name.to_ascii_lowercase()
        )
    })
}

/// The address `issuer` mails statements from.
pub fn sender_address(issuer: Issuer) -> &'static str {
    match issuer {
        Issuer::Cams => "donotreply@camsonline.com",
        Issuer::Kfintech => "samfS@kfintech.com",
        Issuer::Cdsl => "eCAS@cdslstatement.com",
        Issuer::Nsdl => "NSDL-CAS@nsdl.co.in",
    }
}

/// Sender domains, matched case-insensitively on the address's domain (or a subdomain).
const SENDER_DOMAINS: &[(&str, Issuer)] = &[
    ("camsonline.com", Issuer::Cams),
    ("kfintech.com", Issuer::Kfintech),
    ("karvy.com", Issuer::Kfintech),
    ("cdslstatement.com", Issuer::Cdsl),
    ("cdslindia.com", Issuer::Cdsl),
    ("nsdl.co.in", Issuer::Nsdl),
    ("nsdl.com", Issuer::Nsdl),
];

/// The domains `cas_type`'s registrar mails from (each an organizational domain): what a
/// mail's authentication results must be aligned with (`sender_auth`).
pub fn registrar_domains(cas_type: Issuer) -> Vec<&'static str> {
    SENDER_DOMAINS
        .iter()
        .filter(|(_, t)| *t == cas_type)
        .map(|(d, _)| *d)
        .collect()
}

/// Subject phrases (lower case) that name the source.
const SUBJECT_PHRASES: &[(&str, Issuer)] = &[
    ("cams mailback", Issuer::Cams),
    ("cams consolidated", Issuer::Cams),
    ("kfintech", Issuer::Kfintech),
    ("kfin technologies", Issuer::Kfintech),
    ("cdsl", Issuer::Cdsl),
    ("nsdl", Issuer::Nsdl),
];

/// The address inside a From header: `Name <a@b>` or a bare `a@b`.
pub fn address_of(from: &str) -> &str {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => from[start + 1..end].trim(),
        _ => from.trim(),
    }
}

fn by_sender(from: &str) -> Option<Issuer> {
    let address = address_of(from).to_ascii_lowercase();
    let domain = address.rsplit_once('@')?.1;
    SENDER_DOMAINS
        .iter()
        .find_map(|(d, t)| (domain == *d || domain.ends_with(&format!(".{d}"))).then_some(*t))
}

fn by_subject(subject: &str) -> Option<Issuer> {
    let subject = subject.to_ascii_lowercase();
    SUBJECT_PHRASES
        .iter()
        .find_map(|(phrase, t)| subject.contains(phrase).then_some(*t))
}

/// File-name shapes of each source (DESIGN.md §3): NSDL `NSDLe-CAS_<9 digits>_<MMM>_<YYYY>.PDF`,
/// CDSL `<MMMYYYY>_<AAxxxxxxxx>_TXN.pdf`, CAMS `<2 letters + digits>_<ddmmyyyy>-<ddmmyyyy>_CP…`.
///
/// Every field is checked as bytes against ASCII classes, never sliced as `str`: a file name is
/// chosen by whoever sent the mail, and a byte index inside a multi-byte character would panic
/// (`ab€12_AB12345678_TXN.pdf` once took whole listings down). A non-ASCII byte simply fails
/// the class it is checked against.
fn by_filename(filename: &str) -> Option<Issuer> {
    let stem = filename.strip_suffix_ci(".pdf")?;
    let parts: Vec<&[u8]> = stem.as_bytes().split(|&b| b == b'_').collect();
    match parts.as_slice() {
        [prefix, digits, month, year]
            if prefix.eq_ignore_ascii_case(b"NSDLe-CAS")
                && shaped(digits, &[(9, 9, u8::is_ascii_digit)])
                && shaped(month, &[(3, 3, u8::is_ascii_alphabetic)])
                && shaped(year, &[(4, 4, u8::is_ascii_digit)]) =>
        {
            Some(Issuer::Nsdl)
        }
        [period, client, txn]
            if txn.eq_ignore_ascii_case(b"TXN")
                && shaped(
                    period,
                    &[(3, 3, u8::is_ascii_alphabetic), (4, 4, u8::is_ascii_digit)],
                )
                && shaped(
                    client,
                    &[
                        (2, 2, u8::is_ascii_alphabetic),
                        (8, usize::MAX, u8::is_ascii_digit),
                    ],
                ) =>
        {
            Some(Issuer::Cdsl)
        }
        [_, period, cp, _, ..]
            if cp.len() > 2
                && cp[..2].eq_ignore_ascii_case(b"CP")
                && period.len() == 17
                && period[8] == b'-' =>
        {
            Some(Issuer::Cams)
        }
        _ => None,
    }
}

/// A byte class: at least `min` and at most `max` bytes that each pass the test.
type Run = (usize, usize, fn(&u8) -> bool);

/// `field` is exactly the given runs in order (each as long as it can be within its bounds).
fn shaped(field: &[u8], runs: &[Run]) -> bool {
    let mut rest = field;
    for &(min, max, class) in runs {
        let taken = rest.iter().take(max).take_while(|b| class(b)).count();
        if taken < min {
            return false;
        }
        rest = &rest[taken..];
    }
    rest.is_empty()
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
pub fn classify(from: &str, subject: &str, filename: &str) -> Option<Issuer> {
    by_sender(from)
        .or_else(|| by_subject(subject))
        .or_else(|| by_filename(filename))
}

/// The Gmail search that finds candidate mails of `types` in `[after, before)` (epoch seconds):
/// PDFs from the known senders, or with a CAS subject or file name. Classification then decides.
pub fn gmail_query(types: &[Issuer], after: i64, before: i64) -> String {
    let mut terms = Vec::new();
    for t in types {
        terms.push(format!("from:{}", sender_address(*t)));
        match t {
            Issuer::Cams => terms.push("subject:\"CAMS Mailback\"".into()),
            Issuer::Kfintech => terms.push("subject:KFintech".into()),
            Issuer::Cdsl => terms.push("filename:TXN.pdf".into()),
            Issuer::Nsdl => terms.push("filename:NSDLe-CAS".into()),
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
            ("CAMS <donotreply@camsonline.com>", Some(Issuer::Cams)),
            ("samfS@kfintech.com", Some(Issuer::Kfintech)),
            ("SAMFS@KFINTECH.COM", Some(Issuer::Kfintech)),
            ("\"CDSL\" <eCAS@cdslstatement.com>", Some(Issuer::Cdsl)),
            ("NSDL-CAS@nsdl.co.in", Some(Issuer::Nsdl)),
            ("alerts@mail.camsonline.com", Some(Issuer::Cams)),
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
            Some(Issuer::Cams)
        );
        assert_eq!(
            classify(me, "Fwd: statement", "NSDLe-CAS_123456789_NOV_2025.PDF"),
            Some(Issuer::Nsdl)
        );
        assert_eq!(
            classify(me, "fyi", "NOV2025_AA12345678_TXN.pdf"),
            Some(Issuer::Cdsl)
        );
        assert_eq!(
            classify(
                me,
                "fyi",
                "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf"
            ),
            Some(Issuer::Cams)
        );
        assert_eq!(classify(me, "Your bank statement", "statement.pdf"), None);
        assert_eq!(classify(me, "fyi", "NSDLe-CAS_12345_NOV_2025.PDF"), None);
        assert_eq!(classify(me, "fyi", "é.pdf"), None);
    }

    /// The attack of issue 11: a byte index inside `€` used to panic the whole listing.
    #[test]
    fn a_multi_byte_character_where_a_field_is_expected_is_no_cas_and_no_panic() {
        let attack = "ab€12_AB12345678_TXN.pdf";
        assert_eq!(
            classify(
                "attacker@evil.example",
                "Consolidated Account Statement",
                attack
            ),
            None
        );
        for name in [
            "€OV2025_AA12345678_TXN.pdf",
            "NOV2025_€A12345678_TXN.pdf",
            "NOV2025_A€12345678_TXN.pdf",
            "NOV2025_AA1234567€_TXN.pdf",
            "NSDLe-CAS_12345678€_NOV_2025.PDF",
            "NSDLe-CAS_123456789_N€_2025.PDF",
            "AB12345678_01012025-3112202€_CP1_1.pdf",
            "AB12345678_01012025-31122025_€P1_1.pdf",
            "AB12345678_01012025-31122025_C€_1.pdf",
            "AB12345678_0101202€-31122025_CP1_1.pdf",
            "€.pdf",
            "\u{1F4A9}_\u{1F4A9}_TXN.pdf",
        ] {
            assert_eq!(classify("x@y.example", "fyi", name), None, "{name}");
        }
    }

    /// Characters that are more than one byte, change direction, combine, or are control
    /// characters, plus the pieces the rules split and compare on.
    const TRICKY: &[&str] = &[
        "€",
        "é",
        "ß",
        "\u{1F4A9}",
        "\u{202E}",
        "\u{200F}",
        "\u{0301}",
        "\u{FEFF}",
        "\0",
        "\u{7F}",
        "\u{10FFFF}",
        "\u{FFFD}",
        "\u{0130}",
        "\u{212A}",
        "_",
        ".",
        "-",
        "<",
        ">",
        "@",
        " ",
        "\"",
        ".pdf",
        ".PDF",
        ".pDf",
        "TXN",
        "NSDLe-CAS",
        "CP",
        "AB12345678",
        "NOV2025",
        "123456789",
        "01012025-31122025",
        "cams mailback",
        "camsonline.com",
        "nsdl.co.in",
        "a",
        "Z",
        "0",
        "9",
    ];

    /// Real names of each shape; the property tests edit them one character at a time.
    const SHAPES: &[&str] = &[
        "NOV2025_AA12345678_TXN.pdf",
        "NSDLe-CAS_123456789_NOV_2025.PDF",
        "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf",
        "CAMS <donotreply@camsonline.com>",
        "Consolidated Account Statement - CAMS Mailback Request",
    ];

    /// Everything that reads mail-borne text, called the way a listing calls it.
    fn read_all(from: &str, subject: &str, filename: &str) {
        let _ = classify(from, subject, filename);
        let _ = is_pdf(filename, subject); // any text as the MIME type, too
        let _ = address_of(from);
    }

    /// Every insertion of a tricky piece at every character boundary of every real shape,
    /// and every replacement of one character by one: nothing panics, and a CDSL or NSDL name
    /// with anything non-ASCII inside its fields is not taken for a statement.
    #[test]
    fn every_one_character_edit_of_a_real_name_is_read_without_panic() {
        let mut cases = 0;
        for shape in SHAPES {
            let stem_end = shape.len() - ".pdf".len();
            let checked_by_name =
                matches!(by_filename(shape), Some(Issuer::Cdsl) | Some(Issuer::Nsdl));
            for (at, ch) in shape.char_indices().chain([(shape.len(), ' ')]) {
                for piece in TRICKY {
                    let inserted = format!("{}{piece}{}", &shape[..at], &shape[at..]);
                    let replaced = if at < shape.len() {
                        format!("{}{piece}{}", &shape[..at], &shape[at + ch.len_utf8()..])
                    } else {
                        inserted.clone()
                    };
                    for edited in [&inserted, &replaced] {
                        for (from, subject, name) in [
                            (edited.as_str(), "fyi", "x.pdf"),
                            ("me@example.com", edited.as_str(), "x.pdf"),
                            ("me@example.com", "fyi", edited.as_str()),
                        ] {
                            read_all(from, subject, name);
                            cases += 1;
                        }
                        if checked_by_name && at < stem_end && !piece.is_ascii() {
                            assert_eq!(by_filename(edited), None, "{edited:?}");
                        }
                    }
                }
            }
        }
        assert!(cases > 10_000, "{cases}");
    }

    /// Arbitrary strings (any Unicode scalar value, mixed with the rules' own pieces) as
    /// sender, subject and file name: the classifier answers for all of them. Seeded, so a
    /// failure repeats; about 30 000 strings, well under a second.
    #[test]
    fn the_classifier_is_total_over_arbitrary_strings() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};

        let mut rng = StdRng::seed_from_u64(0x11CA_5E00);
        let arbitrary = |rng: &mut StdRng| -> String {
            let pieces = rng.random_range(0..12);
            let mut s = String::new();
            for _ in 0..pieces {
                match rng.random_range(0..4) {
                    0 => s.push_str(TRICKY[rng.random_range(0..TRICKY.len())]),
                    1 => s.push_str(SHAPES[rng.random_range(0..SHAPES.len())]),
                    // Any scalar value, surrogates excluded by from_u32.
                    2 => s.extend(char::from_u32(rng.random_range(0..=0x10FFFF))),
                    _ => s.extend(char::from_u32(rng.random_range(0x80..0x800))),
                }
            }
            if rng.random_bool(0.5) {
                s.push_str([".pdf", ".PDF", "_TXN.pdf"][rng.random_range(0..3)]);
            }
            s
        };
        for _ in 0..10_000 {
            let (from, subject, name) = (
                arbitrary(&mut rng),
                arbitrary(&mut rng),
                arbitrary(&mut rng),
            );
            read_all(&from, &subject, &name);
            read_all(&name, &from, &subject);
            read_all(&subject, &name, &from);
        }
    }

    #[test]
    fn pdfs_by_type_or_name() {
        assert!(is_pdf("x.PDF", "application/octet-stream"));
        assert!(is_pdf("noext", "application/pdf"));
        assert!(!is_pdf("x.xlsx", "application/vnd.ms-excel"));
    }

    #[test]
    fn parses_cas_types() {
        assert_eq!(parse_cas_type(" CDSL "), Ok(Issuer::Cdsl));
        assert_eq!(
            parse_cas_type("Zerodha"),
            Err("unknown cas_type \"zerodha\"; use cams, kfintech, cdsl or nsdl".into())
        );
    }

    #[test]
    fn query_names_every_sender_and_the_window() {
        let q = gmail_query(&Issuer::ALL, 100, 200);
        assert!(q.starts_with("has:attachment filename:pdf after:100 before:200 ("));
        for t in Issuer::ALL {
            assert!(q.contains(sender_address(t)));
        }
        let q = gmail_query(&[Issuer::Cdsl], 1, 2);
        assert!(!q.contains("camsonline"));
    }
}
