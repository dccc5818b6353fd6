//! A scheme's heading: every line between the folio line (or the previous scheme's valuation)
//! and `Opening Unit Balance`, read as one region, because this is the part of the statement
//! that wraps unpredictably:
//!
//! ```text
//! DEMO INVESTOR                                   holder(s)
//! B205-Aditya Birla Sun Life Frontline Equity     scheme code and name, over 1-3 lines
//! Fund - Growth - ISIN: INF209K01BR9(Advisor: ARN-0000)   ISIN / advisor on any of them,
//! Registrar : CAMS                                        the ISIN itself split over two
//! Nominee 1: A    Nominee 2:    Nominee 3:
//! ```
//!
//! The scheme line is found by its RTA code (`CODE-Name`, the code in capitals and digits);
//! fields are then searched for in the lines from it on, so one odd line spoils at most one
//! field. What the region holds beyond holders, heading, registrar and nominees is returned as
//! unplaced, for the reader to report.

use regex::Regex;
use std::sync::LazyLock;

/// A renamed scheme's old name, `(formerly …)` / `(erstwhile …)`, and a trailing
/// `(Demat …)` / `(Non-Demat …)` note: not part of the scheme's name.
static FORMER_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)\((?:formerly|erstwhile).+?\)").expect("valid regex"));
static DEMAT_NOTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)\((?:Demat|Non-Demat).*").expect("valid regex"));

/// The scheme's name as printed, without former names and demat notes, spaces collapsed and
/// trailing punctuation (other than a closing parenthesis) dropped; casparser names them so.
pub fn clean_scheme_name(printed: &str) -> String {
    let name = FORMER_NAME.replace_all(printed, "");
    let name = DEMAT_NOTE.replace(&name, "");
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    name.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ')'))
        .trim()
        .to_string()
}

/// `CODE-` at the start of a line: one or two tokens of capitals and digits, at least one
/// capital, the dash glued to the code (`Entry Load - NIL` and `01-Jan-2025` are not codes).
static SCHEME_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Z0-9]*[A-Z][A-Z0-9]*(?: [A-Z0-9]+)?|[0-9]+ [A-Z0-9]*[A-Z][A-Z0-9]*)-\S")
        .expect("valid regex")
});
static ISIN_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)ISIN\s*:").expect("valid regex"));
/// A mutual fund's ISIN anywhere in the heading (an advisor's `INA…` code has the same shape,
/// so only `INF…` counts without the label).
static MF_ISIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bINF[A-Z0-9]{8}[0-9]\b").expect("valid regex"));
static ISIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$").expect("valid regex"));
/// The registrars' names as statements print them.
static RTA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(CAMS|KFINTECH|KFIN|KARVY)\b").expect("valid regex"));
/// `Registrar : CAMS`, or the label alone when its value went to the next line or column: cut
/// out of the heading before the name, ISIN and advisor are read, wherever it fell.
static REGISTRAR_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)Registrar\s*:\s*(?-i:(?:CAMS|KFINTECH|KFIN|KARVY)\b)?").expect("valid regex")
});
/// A distributor's ARN or an adviser's INA code: the advisor, whatever text wrapped around it.
static ADVISOR_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(ARN-?\d+|INA\d+)\b").expect("valid regex"));
static ADVISOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\(\s*Advisor\s*:\s*([^)]*)\)").expect("valid regex"));
/// An advisor whose closing parenthesis never came (the value ran into the next line's label).
static OPEN_ADVISOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\(\s*Advisor\s*:\s*([^)(]*)$").expect("valid regex"));
static REGISTRAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)Registrar\s*:\s*([A-Za-z]*)").expect("valid regex"));
static NOMINEE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^Nominee\s*1\s*:").expect("valid regex"));
/// Where a name ends at the latest.
static NAME_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\(\s*Advisor\s*:|Registrar\s*:|Nominee\s*\d\s*:").expect("valid regex")
});

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemeHeader {
    /// The RTA's scheme code (`B205`).
    pub rta_code: String,
    pub name: String,
    pub isin: Option<String>,
    pub advisor: Option<String>,
    /// `CAMS`, `KFINTECH`, … as printed after `Registrar :`.
    pub registrar: Option<String>,
    pub nominees: Vec<String>,
    /// Lines above the scheme line: the folio's holder names.
    pub holders: Vec<String>,
    /// Lines after the heading that are none of the above.
    pub unplaced: Vec<String>,
}

/// Whether `text` starts like a scheme line (`CODE-Name`).
pub fn is_scheme_line(text: &str) -> bool {
    SCHEME_CODE
        .captures(text)
        .is_some_and(|c| !matches!(&c[1], "ARN" | "INA" | "ISIN" | "PAN" | "KYC"))
}

/// Whether the region holds a scheme heading at all (a scheme line or an ISIN label).
pub fn holds_a_heading(lines: &[String]) -> bool {
    lines
        .iter()
        .any(|l| is_scheme_line(l) || ISIN_LABEL.is_match(l))
}

/// Reads a region; `None` when it holds no scheme line.
pub fn read(lines: &[String]) -> Option<SchemeHeader> {
    let isin_line = lines.iter().position(|l| ISIN_LABEL.is_match(l));
    // The scheme line is the last one before (or on) the ISIN's line: holder names above it
    // may look like codes (`MARY-JANE`), wrapped name lines below it never start in capitals.
    let search_to = isin_line.map_or(lines.len(), |i| i + 1);
    let start = lines[..search_to]
        .iter()
        .rposition(|l| is_scheme_line(l))
        .or_else(|| lines.iter().position(|l| is_scheme_line(l)))?;
    let (code, first) = lines[start].split_once('-')?;

    // The heading: the scheme line, the lines down to the ISIN's, and a line more while a
    // value is left open (an ISIN cut short, an advisor without its closing parenthesis).
    let mut end = isin_line.filter(|&i| i >= start).unwrap_or(start);
    while end + 1 < lines.len()
        && leaves_value_open(&fields_text(&heading(lines, start, end, first)))
    {
        end += 1;
    }
    let printed = heading(lines, start, end, first);
    let text = fields_text(&printed);

    let mut header = SchemeHeader {
        rta_code: code.trim().to_string(),
        holders: lines[..start]
            .iter()
            .filter(|l| !NOMINEE.is_match(l))
            .cloned()
            .collect(),
        ..SchemeHeader::default()
    };
    header.isin = isin_of(&text);
    header.advisor = ADVISOR
        .captures(&text)
        .or_else(|| OPEN_ADVISOR.captures(&text))
        .map(|c| {
            let value = c[1].trim();
            ADVISOR_CODE
                .find(value)
                .map_or(value, |m| m.as_str())
                .to_string()
        })
        .filter(|a| !a.is_empty());
    // The name ends with the advisor's parentheses: what follows them (a watermark's
    // fragment, a label's stray value) is not the scheme's.
    let before_advisor = ADVISOR.find(&text).map_or(&*text, |m| &text[..m.start()]);
    let name = without_isin(before_advisor);
    let name = NAME_END.find(&name).map_or(&*name, |m| &name[..m.start()]);
    header.name = clean_scheme_name(name);

    // The registrar: the name after its label, else a registrar's name anywhere in the
    // heading or on a line of its own (the value of a label left dangling).
    header.registrar = REGISTRAR
        .captures(&printed)
        .map(|c| c[1].to_string())
        .filter(|r| RTA.is_match(r))
        .or_else(|| RTA.find(&printed).map(|m| m.as_str().to_string()));
    for (i, line) in lines.iter().enumerate() {
        let registrar_only = RTA
            .find(line.trim())
            .is_some_and(|m| m.len() == line.trim().len());
        if NOMINEE.is_match(line) {
            header.nominees = nominees(line);
        } else if (start..=end).contains(&i) {
            // The heading itself, read above.
            continue;
        } else if REGISTRAR.is_match(line) || registrar_only {
            if header.registrar.is_none() {
                header.registrar = RTA.find(line).map(|m| m.as_str().to_string());
            }
        } else if i > end {
            header.unplaced.push(line.clone());
        }
    }
    header.registrar = header.registrar.map(|r| registrar_name(&r).to_string());
    Some(header)
}

/// The text without its `- ISIN: <value>` (a value split by a line break included), so a name
/// printed around it (`… - IDCW - ISIN: INF… - Payout`) keeps both sides.
fn without_isin(text: &str) -> String {
    let Some(label) = ISIN_LABEL.find(text) else {
        return text.to_string();
    };
    let before = text[..label.start()].trim_end_matches(|c: char| c == '-' || c.is_whitespace());
    let mut rest = text[label.end()..].trim_start();
    let mut taken = 0;
    // An ISIN is 12 capitals and digits; a line break may split it into two words.
    while taken < 12 {
        let word = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit()))
            .unwrap_or(rest.len());
        let glued_to_text = rest[word..].starts_with(|c: char| c.is_alphanumeric());
        if word == 0 || taken + word > 12 || glued_to_text {
            break;
        }
        taken += word;
        rest = rest[word..].trim_start();
    }
    format!("{before} {rest}")
}

/// KFintech was Karvy, and prints itself `KFIN` too.
fn registrar_name(printed: &str) -> &str {
    match printed {
        "KFIN" | "KARVY" => "KFINTECH",
        other => other,
    }
}

/// The heading without registrar labels and names, which a PDF's reading order may put in the
/// middle of the name, the ISIN or the advisor.
fn fields_text(printed: &str) -> String {
    let text = REGISTRAR_LABEL.replace_all(printed, " ");
    let text = RTA.replace_all(&text, " ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The heading's lines joined, the scheme line without its code.
fn heading(lines: &[String], start: usize, end: usize, first: &str) -> String {
    let mut text = first.trim().to_string();
    for line in &lines[start + 1..=end] {
        text.push(' ');
        text.push_str(line.trim());
    }
    text
}

fn leaves_value_open(text: &str) -> bool {
    if let Some(label) = ISIN_LABEL.find_iter(text).last() {
        let value: String = text[label.end()..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if value.len() < 12 {
            return true;
        }
    }
    OPEN_ADVISOR.is_match(text)
}

/// The ISIN after its label, joined when it was split over two lines (`INF209K` / `01BR9`);
/// else any ISIN-shaped word in the heading.
fn isin_of(text: &str) -> Option<String> {
    if let Some(label) = ISIN_LABEL.find(text) {
        let joined: String = text[label.end()..]
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(12)
            .collect();
        if ISIN.is_match(&joined) {
            return Some(joined);
        }
    }
    MF_ISIN.find(text).map(|m| m.as_str().to_string())
}

/// `Nominee 1: A    Nominee 2: B    Nominee 3:` → `[A, B]`.
fn nominees(line: &str) -> Vec<String> {
    static SLOT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)Nominee\s*\d\s*:").expect("valid regex"));
    SLOT.split(line)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_names_lose_former_names_and_demat_notes() {
        let cases = [
            (
                "Bandhan Small Cap Fund - Direct Plan - Growth (formerly IDFC Emerging Businesses Fund)",
                "Bandhan Small Cap Fund - Direct Plan - Growth",
            ),
            (
                "Axis Bluechip Fund - Direct Growth (erstwhile Axis Equity Fund) (Non-Demat)",
                "Axis Bluechip Fund - Direct Growth",
            ),
            (
                "HDFC Flexi Cap Fund -  Direct Plan -",
                "HDFC Flexi Cap Fund - Direct Plan",
            ),
            (
                "Baroda BNP Paribas Credit Risk Fund (Scheme has one Segregated Portfolio)",
                "Baroda BNP Paribas Credit Risk Fund (Scheme has one Segregated Portfolio)",
            ),
            ("(formerly X)", ""),
        ];
        for (printed, clean) in cases {
            assert_eq!(clean_scheme_name(printed), clean, "{printed}");
        }
    }

    fn region(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_one_line_heading() {
        let h = read(&region(&[
            "DEMO INVESTOR",
            "B205-Aditya Birla Sun Life Frontline Equity Fund - Growth - ISIN: INF209K01BR9(Advisor: ARN-0000) Registrar : CAMS",
        ]))
        .unwrap();
        assert_eq!(h.rta_code, "B205");
        assert_eq!(
            h.name,
            "Aditya Birla Sun Life Frontline Equity Fund - Growth"
        );
        assert_eq!(h.isin.as_deref(), Some("INF209K01BR9"));
        assert_eq!(h.advisor.as_deref(), Some("ARN-0000"));
        assert_eq!(h.registrar.as_deref(), Some("CAMS"));
        assert_eq!(h.holders, ["DEMO INVESTOR"]);
        assert!(h.unplaced.is_empty());
    }

    #[test]
    fn a_name_over_three_lines_with_registrar_and_nominees_below() {
        let h = read(&region(&[
            "Demo Investor",
            "B80Y-Aditya Birla Sun Life Nifty SDL Plus PSU Bond Sep",
            "2026 60:40 Index Fund - Direct Plan - Growth - ISIN:",
            "INF209KB18B7(Advisor: DIRECT)",
            "Registrar : CAMS",
            "Nominee 1: Asha Rao    Nominee 2:    Nominee 3:",
        ]))
        .unwrap();
        assert_eq!(
            h.name,
            "Aditya Birla Sun Life Nifty SDL Plus PSU Bond Sep 2026 60:40 Index Fund - Direct Plan - Growth"
        );
        assert_eq!(h.isin.as_deref(), Some("INF209KB18B7"));
        assert_eq!(h.advisor.as_deref(), Some("DIRECT"));
        assert_eq!(h.nominees, ["Asha Rao"]);
        assert!(h.unplaced.is_empty(), "{:?}", h.unplaced);
    }

    #[test]
    fn an_isin_split_over_two_lines() {
        // casparser #149.
        let h = read(&region(&[
            "HMCOGT-HDFC Mid Cap Fund - Direct Plan - Growth Option - ISIN: INF179K",
            "01XQ0(Advisor: DIRECT) Registrar : CAMS",
        ]))
        .unwrap();
        assert_eq!(h.isin.as_deref(), Some("INF179K01XQ0"));
        assert_eq!(h.name, "HDFC Mid Cap Fund - Direct Plan - Growth Option");
        assert_eq!(h.advisor.as_deref(), Some("DIRECT"));
    }

    #[test]
    fn no_advisor_and_idcw_inside_the_name() {
        // casparser #7 (no advisor) and #90 (IDCW in the name, ISIN in its middle).
        let h = read(&region(&[
            "H03-HDFC Balanced Advantage Fund - Regular Plan - IDCW - ISIN: INF179K01830 - Payout",
            "Registrar : CAMS",
        ]))
        .unwrap();
        assert_eq!(
            h.name,
            "HDFC Balanced Advantage Fund - Regular Plan - IDCW - Payout"
        );
        assert_eq!(h.advisor, None);
        assert_eq!(h.isin.as_deref(), Some("INF179K01830"));
    }

    #[test]
    fn a_holder_name_that_looks_like_a_code_is_not_the_scheme() {
        let h = read(&region(&[
            "MARY-JANE SMITH",
            "128TSDG-Axis ELSS Tax Saver Fund - Direct Growth - ISIN: INF846K01EW2(Advisor: DIRECT)",
            "Registrar : KFINTECH",
        ]))
        .unwrap();
        assert_eq!(h.rta_code, "128TSDG");
        assert_eq!(h.holders, ["MARY-JANE SMITH"]);
        assert_eq!(h.registrar.as_deref(), Some("KFINTECH"));
    }

    #[test]
    fn names_with_folio_pan_and_total_in_them() {
        let h = read(&region(&[
            "T01-Total Return Folio PAN Fund - Direct - ISIN: INF000T01AB1(Advisor: DIRECT)",
            "Registrar : CAMS",
        ]))
        .unwrap();
        assert_eq!(h.name, "Total Return Folio PAN Fund - Direct");
    }

    #[test]
    fn leftover_lines_are_unplaced() {
        let h = read(&region(&[
            "K1-Kotak Flexicap Fund - Direct Plan - Growth - ISIN: INF174K01LS2(Advisor: DIRECT)",
            "Registrar : CAMS",
            "Exit load 1% within 365 days",
        ]))
        .unwrap();
        assert_eq!(h.unplaced, ["Exit load 1% within 365 days"]);
    }

    #[test]
    fn regions_without_a_scheme_line() {
        assert_eq!(read(&region(&["Demo Investor", "Registrar : CAMS"])), None);
        assert!(!holds_a_heading(&region(&[
            "Entry Load - NIL",
            "01-Jan-2025 text"
        ])));
        assert!(holds_a_heading(&region(&["P8096-ICICI Liquid"])));
    }
}
