//! One-byte encodings of simple fonts (ISO 32000-1 9.6.6): a base encoding, changed by an
//! `/Encoding` dictionary's `/Differences`.

use lopdf::{Document, Object};

use super::base_encoding_data::{MAC_EXPERT, MAC_ROMAN, PDF_DOC, STANDARD, WIN_ANSI};
use super::glyph_names::glyph_text;
use crate::pdf::limits::MAX_DIFFERENCES;

/// Code -> text for the 256 codes of a simple font.
pub(in crate::pdf) struct SimpleEncoding {
    /// The character each code shows; `None` for unused codes and the few in `sequences`.
    chars: [Option<char>; 256],
    /// Codes whose glyphs stand for several characters (`f_f_i`, some AGL names).
    sequences: Vec<(u8, Box<str>)>,
}

/// A base encoding by its name: the four of Annex D plus PDFDocEncoding, which is not meant
/// for fonts but which lopdf accepted, so files relying on it keep decoding.
pub(super) fn base_table(name: &[u8]) -> Option<&'static [u16; 256]> {
    Some(match name {
        b"StandardEncoding" => &STANDARD,
        b"WinAnsiEncoding" => &WIN_ANSI,
        b"MacRomanEncoding" => &MAC_ROMAN,
        b"MacExpertEncoding" => &MAC_EXPERT,
        b"PDFDocEncoding" => &PDF_DOC,
        _ => return None,
    })
}

impl SimpleEncoding {
    pub(super) fn standard() -> Self {
        Self::from_table(&STANDARD)
    }

    pub(super) fn from_table(table: &[u16; 256]) -> Self {
        SimpleEncoding {
            chars: table.map(|code| char::from_u32(u32::from(code)).filter(|&c| c != '\0')),
            sequences: Vec::new(),
        }
    }

    /// An `/Encoding` dictionary: `/BaseEncoding` (a name; Standard when absent or unknown)
    /// changed by `/Differences`. `/Type`, optional, is not checked.
    pub(super) fn from_dictionary(doc: &Document, dict: &lopdf::Dictionary) -> Self {
        let base = dict
            .get(b"BaseEncoding")
            .and_then(Object::as_name)
            .ok()
            .and_then(base_table)
            .unwrap_or(&STANDARD);
        let mut encoding = Self::from_table(base);
        if let Ok(differences) = dict
            .get_deref(b"Differences", doc)
            .and_then(Object::as_array)
        {
            encoding.apply_differences(doc, differences);
        }
        encoding
    }

    /// `[code /name /name … code /name …]`: each name takes the code after the previous one.
    /// A name the glyph list cannot place leaves its code showing nothing, and the other codes
    /// decode (lopdf dropped the whole encoding then). Names after a code outside 0..=255 (or
    /// running past 255) are skipped up to the next valid code; entries that are neither
    /// integers nor names are skipped. Only the first [`MAX_DIFFERENCES`] entries are read: a
    /// real array has at most 256 names and as many codes.
    fn apply_differences(&mut self, doc: &Document, differences: &[Object]) {
        let mut code: Option<u8> = None;
        let mut text = String::new();
        for entry in differences.iter().take(MAX_DIFFERENCES) {
            let entry = doc.dereference(entry).map_or(entry, |(_, o)| o);
            match entry {
                Object::Integer(n) => code = u8::try_from(*n).ok(),
                Object::Name(name) => {
                    let Some(c) = code else { continue };
                    text.clear();
                    glyph_text(name, &mut text);
                    self.set(c, &text);
                    code = c.checked_add(1);
                }
                _ => {}
            }
        }
    }

    fn set(&mut self, code: u8, text: &str) {
        self.sequences.retain(|(c, _)| *c != code);
        let mut chars = text.chars();
        let slot = &mut self.chars[usize::from(code)];
        *slot = None;
        match (chars.next(), chars.next()) {
            (None, _) => {}
            (Some(c), None) => *slot = Some(c),
            (Some(_), Some(_)) => self.sequences.push((code, text.into())),
        }
    }

    /// Appends the text of `bytes`, one code per byte; unused codes show nothing.
    pub(in crate::pdf) fn decode_into(&self, bytes: &[u8], out: &mut String) {
        for &b in bytes {
            match self.chars[usize::from(b)] {
                Some(c) => out.push(c),
                None => {
                    if let Some((_, text)) = self.sequences.iter().find(|(c, _)| *c == b) {
                        out.push_str(text);
                    }
                }
            }
        }
    }
}
