//! The lexical layer of content streams: character classes and numbers (ISO 32000-1 7.2,
//! 7.3.3).

#[inline]
pub(super) fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0C')
}

#[inline]
pub(super) fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

#[inline]
pub(super) fn is_regular(c: u8) -> bool {
    !is_whitespace(c) && !is_delimiter(c)
}

pub(super) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A regular-character token that starts like a number (`+ - . 0-9`) read as one: an integer,
/// or a real with one point. Like lopdf (and pdf.js, Poppler), a `-` inside the fraction, as
/// in `0.00-4142502`, is ignored rather than splitting the number.
pub(super) fn parse_number(token: &[u8]) -> Option<f32> {
    let (negative, body) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, token),
    };
    let int_len = body.iter().take_while(|c| c.is_ascii_digit()).count();
    let (int_digits, rest) = body.split_at(int_len);
    if rest.is_empty() {
        // An integer: exact in i64, then converted as lopdf's `as_float` converts.
        if int_digits.is_empty() {
            return None;
        }
        let magnitude = int_digits.iter().try_fold(0i64, |value, &d| {
            value.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })?;
        return Some(if negative { -magnitude } else { magnitude } as f32);
    }
    let fraction = rest.strip_prefix(b".")?;
    if !fraction.iter().all(|&c| c.is_ascii_digit() || c == b'-')
        || (int_digits.is_empty() && !fraction.first().is_some_and(u8::is_ascii_digit))
    {
        return None;
    }
    if let Some(value) = exact_real(negative, int_digits, fraction) {
        return Some(value);
    }
    // The grammar is checked above, so the standard parser (correctly rounded, as lopdf's)
    // sees only digits, a point and a sign.
    if fraction.contains(&b'-') {
        let cleaned: String = token
            .iter()
            .enumerate()
            .filter(|&(i, &c)| i == 0 || c != b'-')
            .map(|(_, &c)| c as char)
            .collect();
        return cleaned.parse().ok();
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// Powers of ten that f32 holds exactly (5^10 < 2^24).
const EXACT_POWERS_OF_TEN: [f32; 11] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

/// A real as `digits / 10^k` in one f32 division, when both are exact in f32: IEEE division
/// rounds correctly, so this equals the standard parser's result without its cost. Content
/// numbers (`12.5`, `-0.0417`) nearly always qualify.
pub(super) fn exact_real(negative: bool, int_digits: &[u8], fraction: &[u8]) -> Option<f32> {
    if int_digits.len() + fraction.len() > 9 || fraction.len() >= EXACT_POWERS_OF_TEN.len() {
        return None;
    }
    let mut mantissa = 0u32;
    for &d in int_digits.iter().chain(fraction) {
        if !d.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa * 10 + u32::from(d - b'0');
    }
    if mantissa >= 1 << 24 {
        return None;
    }
    let magnitude = mantissa as f32 / EXACT_POWERS_OF_TEN[fraction.len()];
    Some(if negative { -magnitude } else { magnitude })
}

#[inline]
pub(super) fn starts_number(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.')
}
