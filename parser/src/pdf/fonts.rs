//! Fonts as far as text extraction needs them: how a font's bytes decode to text
//! (`/ToUnicode`, `/Encoding`, else Latin-1) and how far they advance (`/Widths`).

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object};

use super::encoding::{Encoding, ToUnicode, decode_utf16be, font_decoding};
use super::limits::MAX_FONTS;

/// A font's decoder plus what is needed to estimate advance widths.
pub(super) struct FontInfo {
    /// The font's `/ToUnicode` map.
    to_unicode: Option<ToUnicode>,
    /// What decodes the bytes the map does not decode cleanly (see [`Encoding`]).
    encoding: Option<Encoding>,
    /// Two-byte codes (Type0 / CID fonts).
    two_byte: bool,
    first_char: i64,
    widths: Vec<f32>,
}

impl FontInfo {
    /// Appends the text `bytes` show to `out`.
    pub(super) fn decode_into(&self, bytes: &[u8], out: &mut String) {
        let start = out.len();
        // ToUnicode is the authoritative map for extraction (ISO 32000-1
        // 9.10.2), but a partial one yields U+FFFD; then use the encoding.
        if let Some(map) = &self.to_unicode {
            if map.decode_into(bytes, out) || matches!(self.encoding, Some(Encoding::ToUnicode)) {
                return;
            }
            out.truncate(start);
        }
        match &self.encoding {
            Some(Encoding::Simple(encoding)) => encoding.decode_into(bytes, out),
            Some(Encoding::Utf16Be) => decode_utf16be(bytes, out),
            // No usable encoding: Latin-1 keeps ASCII text readable.
            Some(Encoding::ToUnicode) | None => out.extend(bytes.iter().map(|&b| b as char)),
        }
    }

    /// Advance of `bytes` in text space units (before font size scaling).
    pub(super) fn advance(
        &self,
        bytes: &[u8],
        char_spacing: f32,
        word_spacing: f32,
        font_size: f32,
    ) -> f32 {
        let mut total = 0.0;
        if self.two_byte {
            for _ in bytes.chunks(2) {
                total += 0.5 * font_size + char_spacing;
            }
            return total;
        }
        for &b in bytes {
            let idx = i64::from(b) - self.first_char;
            let w = usize::try_from(idx)
                .ok()
                .and_then(|i| self.widths.get(i).copied())
                .filter(|w| *w > 0.0)
                .map_or(0.5, |w| w / 1000.0);
            total += w * font_size + char_spacing;
            if b == b' ' {
                total += word_spacing;
            }
        }
        total
    }
}

pub(super) type PageFonts = BTreeMap<Vec<u8>, Rc<FontInfo>>;

/// Fonts decoded so far, keyed by the font dictionary's address in the
/// document: pages share font objects, and decoding each once keeps a file
/// with many pages pointing at one huge CMap from costing pages × CMap.
#[derive(Default)]
pub(super) struct FontCache {
    by_addr: HashMap<usize, Rc<FontInfo>>,
}

impl FontCache {
    /// The fonts named in `resources` (the first dictionary naming a font wins).
    pub(super) fn fonts_in(&mut self, doc: &Document, resources: &[&Dictionary]) -> PageFonts {
        let mut out = BTreeMap::new();
        for r in resources {
            let Ok(fonts) = r.get_deref(b"Font", doc).and_then(Object::as_dict) else {
                continue;
            };
            for (name, font) in fonts.iter() {
                if out.contains_key(name) {
                    continue;
                }
                let Ok(font) = doc.dereference(font).and_then(|(_, f)| f.as_dict()) else {
                    continue;
                };
                let addr = std::ptr::from_ref(font) as usize;
                let decode = self.by_addr.len() < MAX_FONTS;
                let info = self
                    .by_addr
                    .entry(addr)
                    .or_insert_with(|| Rc::new(font_info(doc, font, decode)))
                    .clone();
                out.insert(name.clone(), info);
            }
        }
        out
    }
}

fn font_info(doc: &Document, font: &Dictionary, decode: bool) -> FontInfo {
    let two_byte = font.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0".as_slice());
    let first_char = font.get(b"FirstChar").and_then(Object::as_i64).unwrap_or(0);
    let widths = font
        .get_deref(b"Widths", doc)
        .and_then(Object::as_array)
        .map(|a| {
            a.iter()
                .take(256)
                .map(|w| w.as_float().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    if !decode {
        return FontInfo {
            to_unicode: None,
            encoding: None,
            two_byte,
            first_char,
            widths,
        };
    }
    let decoding = font_decoding(doc, font);
    FontInfo {
        to_unicode: decoding.to_unicode,
        encoding: decoding.encoding,
        two_byte,
        first_char,
        widths,
    }
}
