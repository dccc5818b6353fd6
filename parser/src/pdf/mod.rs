//! The PDF layer: decrypt a statement with its password and pull out every text run with its
//! position, so the statement readers can work on columns. It knows nothing of statements.
//!
//! Statements arrive as e-mail attachments, i.e. untrusted input. Everything here is bounded
//! ([`limits`]: file size, objects, pages, decompressed bytes, content operations, time) and
//! every lopdf call runs under `catch_unwind`, so a hostile file yields an error rather than a
//! panic or a hang.
//!
//! * `security` decrypts (RC4-40/128, AES-128, AES-256) while lopdf loads the file.
//! * [`content`] tokenizes content streams into operators and operands.
//! * `interpreter` runs the text operators into [`TextRun`]s, with `fonts` decoding strings
//!   through `encoding` (`/ToUnicode` CMaps, base encodings and `/Differences`, glyph names).
//! * `extraction` walks every page and the forms it draws within the budgets.
//! * [`text`] is what comes out: [`Page`]s of [`TextRun`]s, grouped into [`Line`]s.

pub mod content;
mod encoding;
mod extraction;
mod fonts;
mod interpreter;
pub mod limits;
mod security;
#[cfg(test)]
mod tests;
pub mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::Document;

use crate::error::ParseError;
use limits::{MAX_OBJECTS, load_budget};

pub use limits::{MAX_PDF_BYTES, PARSE_DEADLINE};
pub use text::{LINE_TOLERANCE, Line, Page, TextRun, group_lines};

/// Decrypts `bytes` with `password` and returns every page's positioned text,
/// without deciding what kind of document it is.
pub fn extract_pages(bytes: &[u8], password: &str) -> Result<Vec<Page>, ParseError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(ParseError::TooLarge {
            size: bytes.len(),
            limit: MAX_PDF_BYTES,
        });
    }
    // Cheap rejection of non-PDFs before lopdf, which scans for the header anywhere.
    if !contains(bytes, b"%PDF-") {
        return Err(ParseError::InvalidPdf("no %PDF- header".into()));
    }
    // lopdf rebuilds a truncated file from the objects it still finds, which
    // would yield a partial statement (missing holdings, silently). Every
    // complete PDF ends its body with %%EOF, so its absence means truncation.
    if !contains(bytes, b"%%EOF") {
        return Err(ParseError::InvalidPdf("truncated: no %%EOF marker".into()));
    }
    let doc = load(bytes, password)?;
    catch_unwind(AssertUnwindSafe(|| extraction::extract_all(&doc)))
        .unwrap_or_else(|_| Err(ParseError::InvalidPdf("text extraction failed".into())))
}

fn load(bytes: &[u8], password: &str) -> Result<Document, ParseError> {
    let doc = catch_unwind(AssertUnwindSafe(|| {
        security::load(bytes, password, load_budget(bytes))
    }))
    .unwrap_or_else(|_| Err(ParseError::InvalidPdf("PDF parser panicked".into())))?;
    if doc.objects.len() > MAX_OBJECTS {
        return Err(ParseError::InvalidPdf(format!(
            "more than {MAX_OBJECTS} objects"
        )));
    }
    Ok(doc)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}
