//! Glyph names to Unicode, by Adobe's "Unicode and Glyph Names" (the AGL specification): a
//! `/Differences` array names glyphs, and text extraction needs the characters they stand for.

use super::glyph_list_data::{CODE_POINTS, MORE_CODE_POINTS, NAME_ENDS, NAMES};

/// Appends the text glyph `name` stands for: everything from the first `.` dropped (`a.sc`),
/// the rest split at `_` (ligatures, `f_f_i`), each part an AGL name, `uniXXXX…` or
/// `uXXXX[XX]`; a part that is none of these adds nothing. Returns whether anything was added.
pub(super) fn glyph_text(name: &[u8], out: &mut String) -> bool {
    let start = out.len();
    let base = name.split(|&b| b == b'.').next().unwrap_or_default();
    for part in base.split(|&b| b == b'_') {
        if !agl(part, out) && !uni(part, out) {
            u(part, out);
        }
    }
    out.len() > start
}

/// An Adobe Glyph List name: binary search over the sorted names.
fn agl(part: &[u8], out: &mut String) -> bool {
    let (mut low, mut high) = (0, NAME_ENDS.len());
    while low < high {
        let mid = low + (high - low) / 2;
        let Some(candidate) = agl_name(mid) else {
            return false;
        };
        match candidate.cmp(part) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => {
                push_bmp(CODE_POINTS.get(mid).copied().unwrap_or(0), out);
                if let Ok(i) = MORE_CODE_POINTS.binary_search_by_key(&mid, |&(i, _)| usize::from(i))
                    && let Some((_, more)) = MORE_CODE_POINTS.get(i)
                {
                    more.iter().for_each(|&c| push_bmp(c, out));
                }
                return true;
            }
        }
    }
    false
}

/// The `i`th name of the list.
fn agl_name(i: usize) -> Option<&'static [u8]> {
    let start = match i.checked_sub(1) {
        Some(prev) => usize::from(*NAME_ENDS.get(prev)?),
        None => 0,
    };
    let end = usize::from(*NAME_ENDS.get(i)?);
    NAMES.as_bytes().get(start..end)
}

/// `uni` and groups of four uppercase hex digits, none a surrogate: BMP characters.
fn uni(part: &[u8], out: &mut String) -> bool {
    let Some(digits) = part.strip_prefix(b"uni") else {
        return false;
    };
    if digits.is_empty() || !digits.len().is_multiple_of(4) {
        return false;
    }
    let mut chars = Vec::with_capacity(digits.len() / 4);
    for group in digits.chunks_exact(4) {
        match upper_hex(group).and_then(char::from_u32) {
            Some(c) => chars.push(c),
            None => return false,
        }
    }
    out.extend(chars);
    true
}

/// `u` and four to six uppercase hex digits: one character up to U+10FFFF, not a surrogate.
fn u(part: &[u8], out: &mut String) -> bool {
    let Some(digits) = part.strip_prefix(b"u") else {
        return false;
    };
    if !(4..=6).contains(&digits.len()) {
        return false;
    }
    match upper_hex(digits).and_then(char::from_u32) {
        Some(c) => {
            out.push(c);
            true
        }
        None => false,
    }
}

/// The value of up to six uppercase hex digits (the specification rejects lowercase).
fn upper_hex(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &d| {
        let digit = match d {
            b'0'..=b'9' => d - b'0',
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        value.checked_mul(16)?.checked_add(u32::from(digit))
    })
}

fn push_bmp(code: u16, out: &mut String) {
    if let Some(c) = char::from_u32(u32::from(code)).filter(|&c| c != '\0') {
        out.push(c);
    }
}
