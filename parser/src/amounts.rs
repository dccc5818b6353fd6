//! Amounts, NAVs and unit balances as CAS statements print them.
//!
//! Exact decimals (`rust_decimal`), never floats: values are compared with
//! the statement's own totals to the paisa and units to 3–4 decimals.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Parses an amount or unit count as printed in a statement.
///
/// Accepts Indian (`1,23,456.78`) and Western (`123,456.78`) digit grouping,
/// an optional `INR`, `Rs.` or `₹` prefix, negatives as `-1,175.08` or
/// `(1,175.08)`, and any number of decimals (units have 3–4). The scale is
/// kept, so `12.3450` stays `12.3450`. Returns `None` for anything else,
/// including empty cells, stray characters and malformed grouping.
pub fn parse_amount(s: &str) -> Option<Decimal> {
    let mut s = s.trim();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    // Sign and currency may come in either order: `-₹5`, `₹-5`, `INR -5`.
    let mut saw_sign = negative;
    loop {
        if let Some(rest) = strip_currency(s) {
            s = rest.trim_start();
        } else if !saw_sign && let Some(rest) = s.strip_prefix('-') {
            negative = true;
            saw_sign = true;
            s = rest.trim_start();
        } else if !saw_sign && let Some(rest) = s.strip_prefix('+') {
            saw_sign = true;
            s = rest.trim_start();
        } else {
            break;
        }
    }
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if !valid_grouping(int_part) {
        return None;
    }
    if let Some(f) = frac_part
        && (f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let digits: String = s.chars().filter(|&c| c != ',').collect();
    let value = Decimal::from_str(&digits).ok()?;
    Some(if negative { -value } else { value })
}

/// Where the numbers at the end of a row start: the index of the first of the trailing
/// `items` (at most `max` of them) that `is_number` accepts. `items.len()` when the row ends in
/// none. The readers split a row into its label or description and its number columns so.
pub fn trailing_numbers<T>(items: &[T], max: usize, is_number: impl Fn(&T) -> bool) -> usize {
    let mut first = items.len();
    while first > 0 && items.len() - first < max && is_number(&items[first - 1]) {
        first -= 1;
    }
    first
}

fn strip_currency(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_prefix('₹') {
        return Some(rest);
    }
    for prefix in ["INR", "Rs.", "Rs"] {
        if s.len() >= prefix.len()
            && s.is_char_boundary(prefix.len())
            && s[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return Some(&s[prefix.len()..]);
        }
    }
    None
}

/// Digits with optional commas: the last group has 3 digits and the ones
/// before it 2 (Indian) or 3 (Western); the leading group 1–3 digits.
fn valid_grouping(int_part: &str) -> bool {
    let groups: Vec<&str> = int_part.split(',').collect();
    if groups
        .iter()
        .any(|g| g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    match groups.as_slice() {
        [_] => true,
        [first, middle @ .., last] => {
            first.len() <= 3
                && last.len() == 3
                && middle.iter().all(|g| g.len() == 2 || g.len() == 3)
        }
        [] => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_numbers_stop_at_text_and_at_the_maximum() {
        let is_number = |cell: &&str| parse_amount(cell).is_some();
        let row = ["SIP Purchase", "(1)", "1,000.00", "10.000"];
        assert_eq!(trailing_numbers(&row, 4, is_number), 1);
        assert_eq!(trailing_numbers(&row, 2, is_number), 2);
        assert_eq!(trailing_numbers(&["Total", "x"], 4, is_number), 2);
        assert_eq!(trailing_numbers(&["1", "2"], 4, is_number), 0);
        assert_eq!(trailing_numbers::<&str>(&[], 4, is_number), 0);
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn indian_and_western_grouping() {
        assert_eq!(parse_amount("1,23,456.78"), Some(d("123456.78")));
        assert_eq!(parse_amount("12,34,56,789.00"), Some(d("123456789.00")));
        assert_eq!(parse_amount("123,456.78"), Some(d("123456.78")));
        assert_eq!(parse_amount("999"), Some(d("999")));
        assert_eq!(parse_amount("0.00"), Some(d("0.00")));
    }

    #[test]
    fn negatives() {
        assert_eq!(parse_amount("(1,175.08)"), Some(d("-1175.08")));
        assert_eq!(parse_amount("-1,175.08"), Some(d("-1175.08")));
        assert_eq!(parse_amount("( 25.000 )"), Some(d("-25.000")));
        assert_eq!(parse_amount("(-5)"), None);
    }

    #[test]
    fn currency_prefixes() {
        assert_eq!(parse_amount("INR 1,00,000.00"), Some(d("100000.00")));
        assert_eq!(parse_amount("INR1,234.5"), Some(d("1234.5")));
        assert_eq!(parse_amount("₹ 2,500.00"), Some(d("2500.00")));
        assert_eq!(parse_amount("₹2,500"), Some(d("2500")));
        assert_eq!(parse_amount("Rs. 10.50"), Some(d("10.50")));
        assert_eq!(parse_amount("-₹ 10.50"), Some(d("-10.50")));
        assert_eq!(parse_amount("₹-10.50"), Some(d("-10.50")));
        assert_eq!(parse_amount("(₹1,175.08)"), Some(d("-1175.08")));
    }

    #[test]
    fn units_keep_their_scale() {
        let u = parse_amount("1,234.5670").unwrap();
        assert_eq!(u, d("1234.567"));
        assert_eq!(u.scale(), 4);
        assert_eq!(parse_amount("18.989").unwrap().scale(), 3);
        assert_eq!(parse_amount("(12.345)"), Some(d("-12.345")));
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            " ",
            "-",
            "()",
            "abc",
            "1,2,3",
            "12,34",
            "1,234.",
            ".5",
            "1.2.3",
            "1,,234",
            "--5",
            "1 234",
            "₹",
            "INR",
            "1,234.5a",
            "12345,678",
        ] {
            assert_eq!(parse_amount(s), None, "{s:?}");
        }
    }
}
