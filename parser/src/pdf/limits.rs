//! Every bound the PDF layer keeps, in one place: statements arrive as e-mail attachments,
//! i.e. untrusted input, so file size, objects, pages, inflated bytes, content operations,
//! fonts, runs, form nesting and time are all capped.

/// Largest statement we accept (checked before any parsing). Real CAS PDFs
/// are well under 1 MB; anything bigger is a scan or an attack.
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;
/// Bound on what any single stream may inflate to while loading.
pub(super) const MAX_STREAM_BYTES: usize = 16 * 1024 * 1024;
/// Bound on what loading may inflate, object and cross-reference streams together: every stream
/// gets an equal share by the number of streams the file could hold (see [`load_budget`]).
pub(super) const MAX_LOAD_INFLATE_BYTES: usize = 128 * 1024 * 1024;
/// A parse that has not finished reading pages by then is refused (`INVALID_PDF`): every
/// statement we have seen takes milliseconds.
pub const PARSE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// Bound on the decompressed content of all pages together.
pub(super) const MAX_TOTAL_CONTENT_BYTES: usize = 32 * 1024 * 1024;
/// A detailed CAS for a large family runs to tens of pages, never thousands.
pub(super) const MAX_PAGES: usize = 1_000;
pub(super) const MAX_OBJECTS: usize = 250_000;
/// Content operators interpreted per page, and in all; the rest is ignored.
/// A statement page has a few thousand; pages may share one content stream,
/// so the total needs its own bound.
pub(super) const MAX_OPS_PER_PAGE: usize = 100_000;
pub(super) const MAX_TOTAL_OPS: usize = 1_000_000;
/// Bound on one font's `/ToUnicode` CMap (real ones are a few KB).
pub(super) const MAX_CMAP_BYTES: usize = 1024 * 1024;
/// Entries (bfchar lines, bfranges, strings of bfrange arrays) one CMap keeps; the rest are
/// ignored. A full CJK map has some tens of thousands; ranges are never expanded.
pub(super) const MAX_CMAP_MAPPINGS: usize = 100_000;
/// Codespace ranges one CMap keeps (each code is checked against them; real maps have 1–4).
pub(super) const MAX_CMAP_CODESPACES: usize = 32;
/// `/Differences` entries read per font: a real array has at most 256 names and as many codes.
pub(super) const MAX_DIFFERENCES: usize = 1024;
/// Distinct fonts whose encoding is decoded; later ones fall back to Latin-1.
pub(super) const MAX_FONTS: usize = 512;
/// Runs kept per page (a page of a statement has a few hundred).
pub(super) const MAX_RUNS_PER_PAGE: usize = 50_000;
/// Arrays and dictionaries nested deeper than this end a content stream; real content nests
/// one or two deep (a `TJ` array, a marked-content property list).
pub(super) const MAX_NESTING: usize = 32;
/// Form XObjects drawn inside form XObjects: real files nest one or two deep.
pub(super) const MAX_FORM_DEPTH: usize = 8;

/// The most one stream may inflate to while the file loads: `MAX_LOAD_INFLATE_BYTES` shared
/// by every `stream` keyword in the file (an upper bound on its streams, however their names
/// are spelt), so all of them together stay within it.
pub(super) fn load_budget(bytes: &[u8]) -> usize {
    let streams = memchr::memmem::find_iter(bytes, b"stream").count().max(1);
    (MAX_LOAD_INFLATE_BYTES / streams).min(MAX_STREAM_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_inflates_at_most_the_total_budget_whatever_the_stream_count() {
        assert_eq!(load_budget(b"no streams at all"), MAX_STREAM_BYTES);
        for streams in [1usize, 8, 9, 100, 10_000, 1_000_000] {
            let file = b"stream\n".repeat(streams);
            let each = load_budget(&file);
            assert!(each <= MAX_STREAM_BYTES);
            assert!(
                each * streams <= MAX_LOAD_INFLATE_BYTES,
                "{streams} streams"
            );
        }
    }
}
