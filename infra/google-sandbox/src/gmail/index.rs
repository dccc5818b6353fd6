//! An account's messages as Gmail lists them: summarised, threaded, newest
//! first, and paged with opaque tokens.
//!
//! The folder is listed on every request (see accounts.rs): tests add and
//! remove messages while the sandbox runs. Parsing is what costs, so each
//! file's summary is cached until its size or mtime changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::mime::{Summary, summarize};
use crate::accounts::Account;

/// Threads longer than this are cut where the walk stops; it also bounds the
/// walk on `References` loops.
const MAX_THREAD_HOPS: usize = 100;

pub struct Indexed {
    pub summary: Arc<Summary>,
    pub thread_id: String,
}

/// Parsed summaries per account folder, then per file.
#[derive(Debug, Default)]
pub struct Cache(Mutex<HashMap<PathBuf, HashMap<PathBuf, Cached>>>);

#[derive(Debug, Clone)]
struct Cached {
    modified: Option<SystemTime>,
    len: u64,
    /// None: the file is not a message (remembered so it is logged once).
    summary: Option<Arc<Summary>>,
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, HashMap<PathBuf, Cached>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Every parseable message of the account, newest first (ties by id, so the
/// order is total and pages never overlap).
pub fn load(cache: &Cache, account: &Account) -> std::io::Result<Vec<Indexed>> {
    let files = account.message_files()?;
    // Parsing happens outside the lock, so concurrent requests don't queue
    // behind one another; the account's entries are replaced as a whole,
    // which also forgets deleted files.
    let previous = cache.lock().get(&account.dir).cloned().unwrap_or_default();
    let mut current = HashMap::with_capacity(files.len());
    for path in files {
        let meta = std::fs::metadata(&path).ok();
        let modified = meta.as_ref().and_then(|m| m.modified().ok());
        let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
        let entry = match previous.get(&path) {
            Some(c) if c.modified == modified && c.len == len => c.clone(),
            _ => {
                let summary = summarize(&path).map(Arc::new);
                if summary.is_none() {
                    tracing::warn!(path = %path.display(), "not a message, skipped");
                }
                Cached {
                    modified,
                    len,
                    summary,
                }
            }
        };
        current.insert(path, entry);
    }
    let mut summaries: Vec<Arc<Summary>> =
        current.values().filter_map(|c| c.summary.clone()).collect();
    // HashMap order is arbitrary; threading must not depend on it.
    summaries.sort_by(|a, b| a.path.cmp(&b.path));
    cache.lock().insert(account.dir.clone(), current);

    let by_message_id: HashMap<&str, usize> = summaries
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.message_id.as_deref().map(|m| (m, i)))
        .collect();
    let thread_ids: Vec<String> = (0..summaries.len())
        .map(|i| thread_root(&summaries, &by_message_id, i))
        .collect();
    let mut indexed: Vec<Indexed> = summaries
        .into_iter()
        .zip(thread_ids)
        .map(|(summary, thread_id)| Indexed { summary, thread_id })
        .collect();
    indexed.sort_by(|a, b| {
        b.summary
            .search
            .internal_date_ms
            .cmp(&a.summary.search.internal_date_ms)
            .then_with(|| a.summary.id.cmp(&b.summary.id))
    });
    Ok(indexed)
}

/// The id of the first message of `i`'s thread: follow the oldest ancestor
/// present in the mailbox (`References` lists the root first) until a message
/// has none; a message with no known ancestor is its own thread.
fn thread_root(
    summaries: &[Arc<Summary>],
    by_message_id: &HashMap<&str, usize>,
    i: usize,
) -> String {
    let mut current = i;
    for _ in 0..MAX_THREAD_HOPS {
        let Some(summary) = summaries.get(current) else {
            break;
        };
        let parent = summary
            .ancestors
            .iter()
            .filter_map(|m| by_message_id.get(m.as_str()).copied())
            .find(|&p| p != current);
        match parent {
            Some(p) => current = p,
            None => break,
        }
    }
    summaries
        .get(current)
        .or_else(|| summaries.get(i))
        .map(|s| s.id.clone())
        .unwrap_or_default()
}

fn query_hash(query: &str) -> String {
    Sha256::digest(query.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An opaque page token: base64url of the offset and a hash of the query, so
/// a token used with a different `q` is rejected as Gmail rejects foreign
/// tokens.
pub fn page_token(offset: usize, query: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{}", query_hash(query)))
}

/// The offset a token stands for, if it is one of ours for this query.
pub fn parse_page_token(token: &str, query: &str) -> Option<usize> {
    let decoded = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (offset, hash) = text.split_once(':')?;
    (hash == query_hash(query)).then_some(())?;
    offset.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_bind_to_the_query() {
        let t = page_token(500, "from:a");
        assert_eq!(parse_page_token(&t, "from:a"), Some(500));
        assert_eq!(parse_page_token(&t, "from:b"), None);
        assert_eq!(parse_page_token("garbage!", ""), None);
        assert_eq!(parse_page_token("", ""), None);
        assert_eq!(parse_page_token(&URL_SAFE_NO_PAD.encode("x:y"), ""), None);
    }
}
