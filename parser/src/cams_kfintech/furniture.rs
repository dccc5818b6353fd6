//! What CAMS and KFintech statements repeat on every page (title, period, transaction table
//! header, page numbers, footer): never a line of the statement's content.

use regex::Regex;
use std::sync::LazyLock;

/// The statement period as the detailed statement prints it: `01-Jan-2025 To 31-Dec-2025`.
pub(super) static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{2}-[A-Za-z]{3}-\d{4})\s+(?i:to)\s+(\d{2}-[A-Za-z]{3}-\d{4})$")
        .expect("valid regex")
});

/// The transaction table's header, one to three lines (KFintech stacks it): only header words.
pub(super) fn is_table_header(text: &str) -> bool {
    text.starts_with("Date Transaction")
        || text.starts_with("(INR)")
        || text.split_whitespace().all(|w| {
            matches!(
                w,
                "Date"
                    | "Transaction"
                    | "Amount"
                    | "Units"
                    | "Price"
                    | "NAV"
                    | "Unit"
                    | "Balance"
                    | "(INR)"
            )
        })
}

/// Page furniture repeated on every page.
pub(super) fn is_furniture(text: &str) -> bool {
    text == "Consolidated Account Statement"
        || PERIOD.is_match(text)
        || is_table_header(text)
        || (text.starts_with("Page ") && text.contains(" of "))
        || text.starts_with("This is a computer generated statement")
}
