//! `.eml` files → Gmail message resources.
//!
//! Parsing (RFC 5322 headers, MIME structure, transfer encodings, charsets,
//! RFC 2047 words) is mail-parser's; this module maps its flat part list onto
//! Gmail's `MessagePart` tree: `partId` `""` for the root and `"0"`, `"1.0"`,
//! ... below it, each part's own headers, text bodies inline as `body.data`,
//! and attachments by `body.attachmentId` (fetched with `attachments.get`).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use mail_parser::{HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::search::Searchable;

/// Gmail's `body.data` and `attachments.get` `data` are base64url. Gmail's
/// own answers carry `=` padding, so ours do too; clients decoding with a
/// strict no-pad decoder would fail against Gmail as well.
pub fn encode_data(bytes: &[u8]) -> String {
    URL_SAFE.encode(bytes)
}

/// Snippets are cut at this many characters, about what Gmail shows.
const SNIPPET_CHARS: usize = 200;

/// Multipart nesting deeper than this is not walked (its parts are left out
/// of the tree), so the work and the answer stay bounded whatever the parser
/// accepts. The walks themselves keep their own stack, never the thread's, and
/// the answer's JSON (two levels per part) stays well within what a JSON
/// reader or writer recurses through.
pub const MAX_PART_DEPTH: usize = 256;

/// The stable Gmail id of a message file: 16 hex digits of SHA-256 of its
/// file name, so ids survive restarts and don't depend on listing order.
pub fn message_id_for(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = Sha256::digest(name.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// What listing, threading and search need of one message.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: String,
    pub path: PathBuf,
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    /// `References` (oldest first) then `In-Reply-To`, without brackets.
    pub ancestors: Vec<String>,
    pub size: u64,
    pub search: Searchable,
}

/// Reads and summarises one file. None when unreadable or not a message.
pub fn summarize(path: &Path) -> Option<Summary> {
    let raw = std::fs::read(path).ok()?;
    let message = MessageParser::default().parse(&raw)?;
    // mail-parser's header accessors index the root part; never without one.
    if message.parts.is_empty() {
        return None;
    }
    let attachments = attachment_parts(&message);
    let mut ancestors = text_list(message.references());
    ancestors.extend(text_list(message.in_reply_to()));
    let search = Searchable {
        from: header_text(&message, 0, "From").unwrap_or_default(),
        to: header_text(&message, 0, "To").unwrap_or_default(),
        cc: header_text(&message, 0, "Cc").unwrap_or_default(),
        subject: message.subject().unwrap_or_default().to_string(),
        body: body_text(&message),
        has_attachment: !attachments.is_empty(),
        filenames: attachments.into_iter().filter(|n| !n.is_empty()).collect(),
        internal_date_ms: internal_date_ms(&message, path),
    };
    Some(Summary {
        id: message_id_for(path),
        path: path.to_path_buf(),
        message_id: message.message_id().map(str::to_string),
        ancestors,
        size: raw.len() as u64,
        search,
    })
}

fn text_list(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// `Date:` in ms since the epoch; the file's mtime when the header is
/// missing or nonsense (as Gmail falls back to its receipt time).
fn internal_date_ms(message: &Message<'_>, path: &Path) -> i64 {
    if let Some(date) = message.date().filter(|d| d.is_valid()) {
        return date.to_timestamp().saturating_mul(1000);
    }
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A header's value as Gmail shows it: unfolded, RFC 2047 words decoded for
/// unstructured text, otherwise as written.
fn header_text(message: &Message<'_>, part: usize, name: &str) -> Option<String> {
    let part = message.parts.get(part)?;
    let header = part
        .headers
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(name))?;
    Some(display_value(message, header))
}

fn display_value(message: &Message<'_>, header: &mail_parser::Header<'_>) -> String {
    let raw = message
        .raw_message
        .get(header.offset_start as usize..header.offset_end as usize)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let unfolded = unfold(&raw);
    if unfolded.contains("=?") {
        // Encoded words: prefer mail-parser's decoding where it produced one.
        match &header.value {
            HeaderValue::Text(t) => return t.to_string(),
            HeaderValue::Address(addr) => {
                let rendered: Vec<String> = addr
                    .iter()
                    .map(|a| match (a.name(), a.address()) {
                        (Some(n), Some(e)) => format!("{n} <{e}>"),
                        (None, Some(e)) => e.to_string(),
                        (Some(n), None) => n.to_string(),
                        (None, None) => String::new(),
                    })
                    .collect();
                return rendered.join(", ");
            }
            _ => {}
        }
    }
    unfolded
}

/// Removes folding line breaks (RFC 5322 §2.2.3) and surrounding blanks.
fn unfold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    // The folding whitespace at the start of each continuation line stays.
    for line in raw.split('\n') {
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
    }
    out.trim().to_string()
}

/// Plain text of the message for search and snippets: text/plain parts, or
/// the HTML parts with tags removed when there is no plain text.
fn body_text(message: &Message<'_>) -> String {
    let plain: Vec<String> = message
        .text_body
        .iter()
        .filter_map(|&i| message.parts.get(i as usize))
        .filter_map(|p| match &p.body {
            PartType::Text(t) => Some(t.to_string()),
            PartType::Html(h) => Some(strip_tags(h)),
            _ => None,
        })
        .collect();
    if !plain.is_empty() {
        return plain.join("\n");
    }
    message
        .html_body
        .iter()
        .filter_map(|&i| message.parts.get(i as usize))
        .filter_map(|p| match &p.body {
            PartType::Html(h) => Some(strip_tags(h)),
            PartType::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Crude but safe: drops `<...>` and decodes the commonest entities. Good
/// enough for search words and snippets.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Gmail's snippet: the start of the body text, whitespace collapsed, HTML
/// escaped (Gmail sends `&#39;` and friends in snippets).
fn snippet(body: &str) -> String {
    let collapsed: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = collapsed.chars().take(SNIPPET_CHARS).collect();
    cut.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".into(),
        None => "text/plain".into(),
    }
}

fn is_attachment(part: &MessagePart<'_>) -> bool {
    match &part.body {
        PartType::Multipart(_) => false,
        PartType::Text(_) | PartType::Html(_) => {
            part.attachment_name().is_some_and(|n| !n.is_empty())
                || part
                    .content_disposition()
                    .is_some_and(|d| d.is_attachment())
        }
        // Binary parts (PDFs, images, nested messages) are always fetched
        // by attachment id in Gmail, with or without a file name.
        PartType::Binary(_) | PartType::InlineBinary(_) | PartType::Message(_) => true,
    }
}

/// The attachment id of a part: stable for a given message and part, opaque
/// to clients (Gmail's are long opaque strings too).
fn attachment_id(message_id: &str, part_id: &str) -> String {
    format!(
        "ANGjdJ{}",
        URL_SAFE_NO_PAD.encode(format!("{message_id}/{part_id}"))
    )
}

/// The file name (empty when it has none) of every attachment, in tree order.
fn attachment_parts(message: &Message<'_>) -> Vec<String> {
    let mut out = Vec::new();
    walk(message, &mut |_id, part| {
        if is_attachment(part) {
            out.push(part.attachment_name().unwrap_or_default().to_string());
        }
    });
    out
}

/// Gmail numbers parts by position: the root's children are `0`, `1`, ...,
/// theirs `1.0`, `1.1`, ...
fn child_part_id(parent: &str, n: usize) -> String {
    if parent.is_empty() {
        n.to_string()
    } else {
        format!("{parent}.{n}")
    }
}

/// One part reached by [`tree`]: its index in mail-parser's flat list, its
/// Gmail part id, and the position of its parent in the walk.
struct Node {
    idx: usize,
    part_id: String,
    parent: Option<usize>,
}

/// The MIME tree from `root`, depth first (Gmail's order), with an explicit
/// stack rather than recursion; parts below [`MAX_PART_DEPTH`] are left out.
fn tree(message: &Message<'_>, root: usize) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut stack = vec![(root, String::new(), 0usize, None)];
    while let Some((idx, part_id, depth, parent)) = stack.pop() {
        let Some(part) = message.parts.get(idx) else {
            continue;
        };
        let me = nodes.len();
        if let (PartType::Multipart(children), true) = (&part.body, depth < MAX_PART_DEPTH) {
            for (n, &child) in children.iter().enumerate().rev() {
                // A malformed tree must not loop: children come after parents.
                if (child as usize) <= idx {
                    continue;
                }
                stack.push((
                    child as usize,
                    child_part_id(&part_id, n),
                    depth + 1,
                    Some(me),
                ));
            }
        }
        nodes.push(Node {
            idx,
            part_id,
            parent,
        });
    }
    nodes
}

/// Visits parts depth-first with their Gmail part ids.
fn walk(message: &Message<'_>, visit: &mut dyn FnMut(&str, &MessagePart<'_>)) {
    for node in tree(message, 0) {
        if let Some(part) = message.parts.get(node.idx) {
            visit(&node.part_id, part);
        }
    }
}

/// `format` of `users.messages.get`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Full,
    Metadata(Vec<String>),
    Minimal,
}

/// The Gmail `Message` resource for a summarised file.
pub fn message_json(
    summary: &Summary,
    thread_id: &str,
    history_id: &str,
    format: &Format,
) -> Option<Value> {
    let raw = std::fs::read(&summary.path).ok()?;
    let message = MessageParser::default().parse(&raw)?;
    let mut resource = json!({
        "id": summary.id,
        "threadId": thread_id,
        "labelIds": ["INBOX"],
        "snippet": snippet(&summary.search.body),
        "sizeEstimate": summary.size,
        "historyId": history_id,
        "internalDate": summary.search.internal_date_ms.to_string(),
    });
    let payload = match format {
        Format::Minimal => None,
        Format::Metadata(wanted) => {
            let root = message.parts.first()?;
            let headers: Vec<Value> = root
                .headers
                .iter()
                .filter(|h| {
                    wanted.is_empty()
                        || wanted
                            .iter()
                            .any(|w| w.eq_ignore_ascii_case(h.name.as_str()))
                })
                .map(|h| json!({"name": h.name.as_str(), "value": display_value(&message, h)}))
                .collect();
            Some(json!({ "mimeType": mime_type(root), "headers": headers }))
        }
        Format::Full => Some(payload_json(&message, &summary.id)),
    };
    if let (Some(payload), Some(obj)) = (payload, resource.as_object_mut()) {
        obj.insert("payload".into(), payload);
    }
    Some(resource)
}

/// The `payload` of a full message: every part's resource, then each
/// multipart's `parts` filled from the bottom of the tree up, so no step
/// recurses however deep the mail nests.
fn payload_json(message: &Message<'_>, msg_id: &str) -> Value {
    let nodes = tree(message, 0);
    let mut parts: Vec<Value> = nodes
        .iter()
        .map(|n| part_json(message, msg_id, n.idx, &n.part_id))
        .collect();
    let mut children: Vec<Vec<Value>> = vec![Vec::new(); nodes.len()];
    // Children come after their parent in the walk: going backwards, a part is
    // complete when its parent takes it.
    for i in (0..nodes.len()).rev() {
        let mut part = std::mem::take(&mut parts[i]);
        let kids = std::mem::take(&mut children[i]);
        if let Some(obj) = part.as_object_mut()
            && obj.contains_key("parts")
        {
            obj.insert(
                "parts".into(),
                Value::Array(kids.into_iter().rev().collect()),
            );
        }
        match nodes[i].parent {
            Some(parent) => children[parent].push(part),
            None => return part,
        }
    }
    Value::Null
}

/// One part's resource; a multipart's `parts` is left empty for
/// [`payload_json`] to fill.
fn part_json(message: &Message<'_>, msg_id: &str, idx: usize, part_id: &str) -> Value {
    let Some(part) = message.parts.get(idx) else {
        return Value::Null;
    };
    let headers: Vec<Value> = part
        .headers
        .iter()
        .map(|h| json!({"name": h.name.as_str(), "value": display_value(message, h)}))
        .collect();
    let filename = part.attachment_name().unwrap_or_default();
    let mut out = json!({
        "partId": part_id,
        "mimeType": mime_type(part),
        "filename": if is_attachment(part) { filename } else { "" },
        "headers": headers,
    });
    let body = match &part.body {
        PartType::Multipart(_) => {
            if let Some(obj) = out.as_object_mut() {
                obj.insert("parts".into(), Value::Array(Vec::new()));
            }
            json!({ "size": 0 })
        }
        _ if is_attachment(part) => json!({
            "attachmentId": attachment_id(msg_id, part_id),
            "size": part.contents().len(),
        }),
        // Gmail leaves `data` out of empty bodies.
        _ if part.contents().is_empty() => json!({ "size": 0 }),
        _ => {
            let data = part.contents();
            json!({ "size": data.len(), "data": encode_data(data) })
        }
    };
    if let Some(obj) = out.as_object_mut() {
        obj.insert("body".into(), body);
    }
    out
}

/// The decoded bytes of attachment `attachment_id` of the message, if it has
/// one by that id.
pub fn attachment_bytes(summary: &Summary, attachment: &str) -> Option<Vec<u8>> {
    let raw = std::fs::read(&summary.path).ok()?;
    let message = MessageParser::default().parse(&raw)?;
    let mut found = None;
    walk(&message, &mut |part_id, part| {
        if found.is_none()
            && is_attachment(part)
            && attachment_id(&summary.id, part_id) == attachment
        {
            found = Some(part.contents().to_vec());
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_16_hex_and_stable() {
        let a = message_id_for(Path::new("/x/0001.eml"));
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, message_id_for(Path::new("/elsewhere/0001.eml")));
        assert_ne!(a, message_id_for(Path::new("/x/0002.eml")));
    }

    #[test]
    fn unfold_joins_continuation_lines() {
        assert_eq!(unfold(" a\r\n b\r\n"), "a b");
        assert_eq!(unfold(" plain\n"), "plain");
    }

    #[test]
    fn snippet_collapses_and_escapes() {
        assert_eq!(
            snippet("It's  <b>\n\nfine</b> & done"),
            "It&#39;s &lt;b&gt; fine&lt;/b&gt; &amp; done"
        );
        assert_eq!(snippet(&"é".repeat(500)).chars().count(), SNIPPET_CHARS);
    }

    /// Whatever lands in a mailbox folder, reading it must not panic.
    #[test]
    fn odd_files_do_not_panic() {
        let dir = std::env::temp_dir().join(format!("google-sandbox-mime-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let deep = {
            let mut s = String::new();
            for i in 0..200 {
                s.push_str(&format!(
                    "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
                ));
            }
            s.push_str("Content-Type: application/pdf; name=x.pdf\r\n\r\n%PDF\r\n");
            s
        };
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\r\n\r\n".to_vec(),
            b"no headers at all, just text".to_vec(),
            b"Subject: only headers".to_vec(),
            b"Content-Type: multipart/mixed\r\n\r\nno boundary".to_vec(),
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64".to_vec(),
            b"Date: yesterday\r\nFrom: =?bogus?Q?x?=\r\nSubject: \xff\xfe\r\n\r\n\xff".to_vec(),
            b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody".to_vec(),
            deep.into_bytes(),
            (0..=255u8).cycle().take(5000).collect(),
        ];
        for (n, bytes) in cases.iter().enumerate() {
            let path = dir.join(format!("{n}.eml"));
            std::fs::write(&path, bytes).expect("write");
            if let Some(summary) = summarize(&path) {
                for format in [Format::Full, Format::Metadata(vec![]), Format::Minimal] {
                    let _ = message_json(&summary, &summary.id, "1", &format);
                }
                let _ = attachment_bytes(&summary, "ANGjdJx");
                if let Some(full) = message_json(&summary, &summary.id, "1", &Format::Full) {
                    assert_eq!(full["payload"]["partId"], "");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn write_eml(name: &str, bytes: &[u8]) -> (PathBuf, Summary) {
        let dir =
            std::env::temp_dir().join(format!("google-sandbox-mime-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("m.eml");
        std::fs::write(&path, bytes).expect("write");
        let summary = summarize(&path).expect("a message");
        (dir, summary)
    }

    /// Gmail answers `users.messages.get` with the root's headers as they
    /// stand in the message, top first: its own trace headers (prepended on
    /// receipt, `Authentication-Results: mx.google.com; …` among them) above
    /// whatever the sender wrote, duplicates kept, folding removed.
    #[test]
    fn authentication_results_are_returned_in_order_as_written() {
        let eml = "Delivered-To: demo.investor@gmail.com\r\n\
Received: by 2002:a05:6a10:1234 with SMTP id x; Tue, 4 Nov 2025 10:00:01 -0800 (PST)\r\n\
ARC-Authentication-Results: i=1; mx.google.com;\r\n       dkim=pass header.i=@camsonline.com\r\n\
Authentication-Results: mx.google.com;\r\n       dkim=pass header.i=@camsonline.com header.s=s1 header.b=Ab1Cd2Ef;\r\n       spf=pass (google.com: domain of donotreply@camsonline.com designates 203.0.113.7 as permitted sender) smtp.mailfrom=donotreply@camsonline.com\r\n\
From: donotreply@camsonline.com\r\n\
Authentication-Results: mx.google.com; dkim=pass header.d=planted.example\r\n\
Subject: CAS\r\n\
Content-Type: text/plain\r\n\r\nhello\r\n";
        let (dir, summary) = write_eml("authres", eml.as_bytes());
        let full = message_json(&summary, &summary.id, "1", &Format::Full).expect("full");
        let values: Vec<(&str, &str)> = full["payload"]["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| (h["name"].as_str().unwrap(), h["value"].as_str().unwrap()))
            .filter(|(n, _)| n.to_ascii_lowercase().contains("authentication-results"))
            .collect();
        assert_eq!(
            values,
            [
                (
                    "ARC-Authentication-Results",
                    "i=1; mx.google.com;       dkim=pass header.i=@camsonline.com"
                ),
                (
                    "Authentication-Results",
                    "mx.google.com;       dkim=pass header.i=@camsonline.com header.s=s1 header.b=Ab1Cd2Ef;       spf=pass (google.com: domain of donotreply@camsonline.com designates 203.0.113.7 as permitted sender) smtp.mailfrom=donotreply@camsonline.com"
                ),
                (
                    "Authentication-Results",
                    "mx.google.com; dkim=pass header.d=planted.example"
                ),
            ]
        );
        let metadata = message_json(
            &summary,
            &summary.id,
            "1",
            &Format::Metadata(vec!["Authentication-Results".into()]),
        )
        .expect("metadata");
        assert_eq!(metadata["payload"]["headers"].as_array().unwrap().len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A PDF under 100 nested multiparts is in the tree and can be fetched;
    /// a tree deeper than MAX_PART_DEPTH is cut there. Nothing recurses: this
    /// runs on a 256 KiB stack.
    #[test]
    fn deep_trees_are_walked_without_recursion() {
        fn nested(depth: usize) -> Vec<u8> {
            let mut s = String::from("From: a@b.example\r\nSubject: deep\r\n");
            for i in 0..depth {
                s.push_str(&format!(
                    "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
                ));
            }
            s.push_str("Content-Type: application/pdf; name=deep.pdf\r\nContent-Disposition: attachment; filename=deep.pdf\r\n\r\n%PDF-deep\r\n");
            for i in (0..depth).rev() {
                s.push_str(&format!("--b{i}--\r\n"));
            }
            s.into_bytes()
        }
        let run = || {
            let (dir, summary) = write_eml("deep100", &nested(100));
            assert_eq!(summary.search.filenames, ["deep.pdf"]);
            let full = message_json(&summary, &summary.id, "1", &Format::Full).expect("full");
            let mut part = &full["payload"];
            let mut depth = 0;
            while let Some(child) = part["parts"].as_array().and_then(|p| p.first()) {
                part = child;
                depth += 1;
            }
            assert_eq!(depth, 100);
            assert_eq!(part["filename"], "deep.pdf");
            let id = part["body"]["attachmentId"]
                .as_str()
                .expect("id")
                .to_string();
            assert_eq!(
                attachment_bytes(&summary, &id).as_deref(),
                Some(&b"%PDF-deep"[..])
            );
            let _ = std::fs::remove_dir_all(&dir);

            let (dir, summary) = write_eml("deep300", &nested(MAX_PART_DEPTH + 44));
            assert!(summary.search.filenames.is_empty(), "below the bound");
            let full = message_json(&summary, &summary.id, "1", &Format::Full).expect("full");
            std::mem::forget(full); // its drop recurses; this test is about the walk
            let _ = std::fs::remove_dir_all(&dir);
        };
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .expect("thread")
            .join()
            .expect("no stack overflow");
    }

    #[test]
    fn strip_tags_keeps_text() {
        assert_eq!(strip_tags("<p>Hi&amp;bye</p>").trim(), "Hi&bye");
    }
}
