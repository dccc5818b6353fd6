//! Statement text quoted in warnings, without the investor's identifiers: a warning travels to
//! API responses and logs, a PAN, e-mail address or mobile number must not.

use regex::Regex;
use std::sync::LazyLock;

static PAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Za-z]{5}[0-9]{4}[A-Za-z]\b").expect("valid regex"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[^\s@]+@[^\s@]+").expect("valid regex"));
/// Indian mobile numbers, with or without the country code.
static MOBILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+91[\s-]?|\b91[\s-]?|\b)[6-9][0-9]{9}\b").expect("valid regex")
});

/// Longest quote kept, in characters.
const MAX_QUOTE: usize = 120;

/// `text` with PANs, e-mail addresses and mobile numbers masked, cut to a readable length.
pub fn quote(text: &str) -> String {
    let text = PAN.replace_all(text, "[PAN]");
    let text = EMAIL.replace_all(&text, "[email]");
    let text = MOBILE.replace_all(&text, "[mobile]");
    let mut quoted: String = text.chars().take(MAX_QUOTE).collect();
    if text.chars().count() > MAX_QUOTE {
        quoted.push('…');
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_masked() {
        assert_eq!(
            quote("Folio No: 123 PAN: ABCDE1234F a.b@x.in Mobile: +919876543210"),
            "Folio No: 123 PAN: [PAN] [email] Mobile: [mobile]"
        );
        assert_eq!(quote("Mobile: 9876543210"), "Mobile: [mobile]");
        // Amounts and folio numbers are not identifiers.
        assert_eq!(quote("1,23,456.78 12345678901"), "1,23,456.78 12345678901");
    }

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let quoted = quote(&"€".repeat(500));
        assert_eq!(quoted.chars().count(), MAX_QUOTE + 1);
    }
}
