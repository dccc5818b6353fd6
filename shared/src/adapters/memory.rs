//! How much memory one `cas` invocation can need (README "Memory"), from the Gmail adapter's
//! answer caps and the parser's working set.

use super::gmail::{MAX_ANSWER_BYTES, attachment_answer_limit};
use crate::domain::cas::MAX_ATTACHMENT_BYTES;
use crate::domain::service::InboxSettings;

const MIB: u64 = 1024 * 1024;
/// The parser's working memory for one statement, estimated: lopdf's object tree (about the
/// file's size), one stream inflated at a time (the parser allows 16 MiB), the pages' content
/// (32 MiB in all) and the text runs read from it, with room to spare.
pub const PARSE_WORKING_SET_ESTIMATE: u64 = 128 * MIB;
/// The process itself: runtime, SDK and HTTP clients, TLS, the listing's own bookkeeping.
pub const PROCESS_BASELINE_ESTIMATE: u64 = 64 * MIB;

/// The most memory one `cas` invocation can need, in bytes (README "Memory"): each of the
/// `fetch_concurrency` mails read at once holds at most one Gmail answer and what it decodes
/// to (an attachment's base64url text, 4/3 of the cap plus its JSON, and its bytes, the cap;
/// a mail's own answer is capped lower); the S3 upload's copy is made after the text is
/// dropped. Add `parse_concurrency` parser working sets and the process.
pub fn worst_case_memory(settings: &InboxSettings) -> u64 {
    let per_mail = (attachment_answer_limit(MAX_ATTACHMENT_BYTES) + MAX_ATTACHMENT_BYTES)
        .max(MAX_ANSWER_BYTES);
    settings.fetch_concurrency.max(1) as u64 * per_mail
        + settings.parse_concurrency.max(1) as u64 * PARSE_WORKING_SET_ESTIMATE
        + PROCESS_BASELINE_ESTIMATE
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `MemorySize` of the `cas` function in template.yaml, in MiB.
    fn cas_function_memory_mib() -> u64 {
        let template =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
                .expect("template.yaml beside the workspace");
        let mut lines = template
            .lines()
            .skip_while(|l| l.trim_end() != "  CasFunction:")
            .skip(1);
        lines
            .by_ref()
            .take_while(|l| l.starts_with("   ") || l.trim().is_empty())
            .find_map(|l| l.trim().strip_prefix("MemorySize:"))
            .expect("CasFunction has a MemorySize")
            .trim()
            .parse()
            .expect("MemorySize is a number")
    }

    /// The README's "Memory" arithmetic, kept true: raising the concurrency, the cap or the
    /// parse slots past the function's memory fails here.
    #[test]
    fn the_worst_case_memory_fits_the_cas_function() {
        let settings = InboxSettings::default();
        let worst = worst_case_memory(&settings);
        let memory = cas_function_memory_mib() * MIB;
        assert!(
            worst <= memory * 9 / 10,
            "worst case {} MiB vs MemorySize {} MiB",
            worst / MIB,
            memory / MIB
        );
        // The figures the README quotes.
        assert_eq!(
            (settings.fetch_concurrency, settings.parse_concurrency),
            (16, 2)
        );
        assert_eq!(worst / MIB, 693, "README: about 693 MiB");
    }
}
