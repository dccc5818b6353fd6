//! Dates as statements print them, to ISO 8601: `10-Jan-2025` (every issuer) and `31-12-2025` /
//! `31/12/2025` (the depositories' tables too). Shared by all readers.

use regex::Regex;
use std::sync::LazyLock;

static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$").expect("valid regex"));
static NUMERIC_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{2})[-/](\d{2})[-/](\d{4})$").expect("valid regex"));

/// `10-Jan-2025` → `2025-01-10`.
pub fn iso_date(printed: &str) -> Option<String> {
    let c = DATE.captures(printed.trim())?;
    let month = match c[2].to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(format!("{}-{month:02}-{}", &c[3], &c[1]))
}

/// `31-Dec-2025`, `31-12-2025` or `31/12/2025` → `2025-12-31`.
pub fn any_date(printed: &str) -> Option<String> {
    if let Some(iso) = iso_date(printed) {
        return Some(iso);
    }
    let c = NUMERIC_DATE.captures(printed.trim())?;
    let month: u32 = c[2].parse().ok()?;
    let day: u32 = c[1].parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| format!("{}-{:02}-{:02}", &c[3], month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_iso() {
        assert_eq!(iso_date("10-Jan-2025").as_deref(), Some("2025-01-10"));
        assert_eq!(iso_date("31-DEC-2025").as_deref(), Some("2025-12-31"));
        assert_eq!(iso_date("10-Foo-2025"), None);
        assert_eq!(iso_date("2025-01-10"), None);
    }

    #[test]
    fn dates_in_either_form() {
        assert_eq!(any_date("15-Jun-2033").as_deref(), Some("2033-06-15"));
        assert_eq!(any_date("31-12-2025").as_deref(), Some("2025-12-31"));
        assert_eq!(any_date("31/12/2025").as_deref(), Some("2025-12-31"));
        assert_eq!(any_date("31-13-2025"), None);
        assert_eq!(any_date("7.18"), None);
    }
}
