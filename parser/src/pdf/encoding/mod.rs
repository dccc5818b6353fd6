//! How a font's shown bytes become text: `/ToUnicode` CMaps (9.10.3), one-byte encodings with
//! `/Differences` (9.6.6) and Type0 UTF-16 CMaps, decoded here rather than by lopdf's font
//! encoding methods on `Dictionary` (nothing in the parser may call them). Two reasons:
//! calling them links lopdf's glyph-name lookup, a 435 KiB `match`, into every binary that
//! links the parser; and lopdf dropped a font's whole encoding when one `/Differences` name
//! was not in its list (`/uni20B9`, `/g31`), so every glyph of the font decoded wrongly.

#[rustfmt::skip]
mod base_encoding_data;
mod cmap;
mod cmap_tokens;
#[rustfmt::skip]
mod glyph_list_data;
mod glyph_names;
mod simple;
#[cfg(test)]
mod tests;

use lopdf::{DecompressError, Dictionary, Document, Object};

pub(super) use cmap::ToUnicode;
pub(super) use simple::SimpleEncoding;

use super::limits::MAX_CMAP_BYTES;

/// How a font's bytes decode when its `/ToUnicode` map does not decode them cleanly.
pub(super) enum Encoding {
    /// A one-byte encoding: a base encoding and any `/Differences`.
    Simple(Box<SimpleEncoding>),
    /// `UniGB-UCS2-H` / `UniGB-UTF16-H`: the bytes are UTF-16BE.
    Utf16Be,
    /// The `/ToUnicode` map itself, U+FFFD and all: fonts without `/Encoding`, and Type0 fonts
    /// with `Identity-H`/`-V`, have nothing better.
    ToUnicode,
}

/// What decodes one font's bytes.
pub(super) struct FontDecoding {
    pub(super) to_unicode: Option<ToUnicode>,
    /// `None`: nothing known (an unsupported CMap name, or a `/ToUnicode` map over
    /// [`MAX_CMAP_BYTES`]); the caller falls back to Latin-1.
    pub(super) encoding: Option<Encoding>,
}

/// Whether a font's `/ToUnicode` map could be read.
enum MapState {
    Absent,
    Parsed,
    /// Over [`MAX_CMAP_BYTES`] decompressed: the font decodes as Latin-1, as with lopdf.
    TooLarge,
}

/// A font dictionary's decoders. Kept from lopdf: no `/Encoding` means the `/ToUnicode` map,
/// else StandardEncoding (embedded font programs are not read); an `/Encoding` that is
/// neither a name nor a dictionary, or an `Identity-H` font without a readable map, also
/// StandardEncoding. Unlike lopdf, `/Type /Font` is not required.
pub(super) fn font_decoding(doc: &Document, font: &Dictionary) -> FontDecoding {
    let (to_unicode, state) = match font
        .get_deref(b"ToUnicode", doc)
        .and_then(Object::as_stream)
    {
        Err(_) => (None, MapState::Absent),
        Ok(stream) => match stream.get_plain_content_with_limit(MAX_CMAP_BYTES) {
            Ok(content) => match ToUnicode::parse(&content) {
                Some(map) => (Some(map), MapState::Parsed),
                None => (None, MapState::Absent),
            },
            Err(lopdf::Error::Decompress(DecompressError::MemoryLimitExceeded { .. })) => {
                (None, MapState::TooLarge)
            }
            Err(_) => (None, MapState::Absent),
        },
    };
    let without_encoding = || match state {
        MapState::Parsed => Some(Encoding::ToUnicode),
        MapState::TooLarge => None,
        MapState::Absent => Some(Encoding::Simple(Box::new(SimpleEncoding::standard()))),
    };
    let encoding = match font.get(b"Encoding") {
        Err(_) => without_encoding(),
        Ok(object) => match doc.dereference(object).map(|(_, o)| o) {
            Ok(Object::Name(name)) => match name.as_slice() {
                b"Identity-H" | b"Identity-V" => without_encoding(),
                b"UniGB-UCS2-H" | b"UniGB-UTF16-H" => Some(Encoding::Utf16Be),
                name => simple::base_table(name)
                    .map(|table| Encoding::Simple(Box::new(SimpleEncoding::from_table(table)))),
            },
            Ok(Object::Dictionary(dict)) => Some(Encoding::Simple(Box::new(
                SimpleEncoding::from_dictionary(doc, dict),
            ))),
            _ => Some(Encoding::Simple(Box::new(SimpleEncoding::standard()))),
        },
    };
    FontDecoding {
        to_unicode,
        encoding,
    }
}

/// Appends UTF-16BE `bytes` as text (unpaired surrogates and an odd last byte show U+FFFD).
pub(super) fn decode_utf16be(bytes: &[u8], out: &mut String) {
    let units = bytes.chunks_exact(2).filter_map(|pair| match *pair {
        [high, low] => Some(u16::from_be_bytes([high, low])),
        _ => None,
    });
    out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    if bytes.len() % 2 == 1 {
        out.push(char::REPLACEMENT_CHARACTER);
    }
}
