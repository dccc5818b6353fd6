//! A `messages.get` answer's MIME tree, walked without recursion (`gmail`'s message reader).

use crate::domain::ports::{GoogleError, MAX_PART_DEPTH, MailAttachment};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A `messages.get` answer. The MIME tree is read one part at a time: each part's children stay
/// unparsed JSON (`RawValue`, skipped by serde_json without recursion) until the walk reaches
/// them, so neither serde_json's nesting limit nor the stack bounds how deep a mail can be.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageResponse<'a> {
    pub(super) id: String,
    #[serde(default)]
    pub(super) internal_date: String,
    #[serde(borrow)]
    pub(super) payload: Option<&'a RawValue>,
}

/// One `MessagePart`, its children unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Part<'a> {
    #[serde(default)]
    pub(super) mime_type: String,
    #[serde(default)]
    pub(super) filename: String,
    #[serde(default)]
    pub(super) headers: Vec<Header>,
    pub(super) body: Option<PartBody>,
    #[serde(default, borrow)]
    pub(super) parts: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct Header {
    pub(super) name: String,
    pub(super) value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PartBody {
    pub(super) attachment_id: Option<String>,
    #[serde(default)]
    pub(super) size: u64,
}

/// What a message's MIME tree holds for a listing.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Walked {
    pub(super) from: String,
    pub(super) subject: String,
    /// The root part's `Authentication-Results`, in header order.
    pub(super) authentication_results: Vec<String>,
    pub(super) attachments: Vec<MailAttachment>,
    /// Multiparts below [`MAX_PART_DEPTH`] whose children were not read.
    pub(super) parts_too_deep: usize,
}

pub(super) fn unreadable(e: serde_json::Error) -> GoogleError {
    GoogleError::Unavailable(format!("unreadable Gmail answer: {e}"))
}

/// Every attachment in the MIME tree, depth first in Gmail's order, with a stack of unread
/// parts instead of recursion; and the root's headers.
pub(super) fn walk_payload(payload: &RawValue) -> Result<Walked, GoogleError> {
    let mut walked = Walked::default();
    let mut stack: Vec<(&RawValue, usize)> = vec![(payload, 0)];
    while let Some((raw, depth)) = stack.pop() {
        let part: Part<'_> = serde_json::from_str(raw.get()).map_err(unreadable)?;
        if depth == 0 {
            walked.from = header(&part, "From").to_string();
            walked.subject = header(&part, "Subject").to_string();
            walked.authentication_results = part
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("Authentication-Results"))
                .map(|h| h.value.clone())
                .collect();
        }
        if let Some(body) = &part.body
            && let Some(id) = &body.attachment_id
            && !part.filename.is_empty()
        {
            walked.attachments.push(MailAttachment {
                attachment_id: id.clone(),
                filename: part.filename.clone(),
                mime_type: part.mime_type.clone(),
                size: body.size,
            });
        }
        if part.parts.is_empty() {
            continue;
        }
        if depth >= MAX_PART_DEPTH {
            walked.parts_too_deep += 1;
            continue;
        }
        stack.extend(part.parts.iter().rev().map(|child| (*child, depth + 1)));
    }
    Ok(walked)
}

pub(super) fn header<'a>(part: &'a Part<'_>, name: &str) -> &'a str {
    part.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map_or("", |h| h.value.as_str())
}

/// Gmail sends base64url, usually padded; accept either.
pub fn decode_base64url(data: &str) -> Option<Vec<u8>> {
    let trimmed = data.trim();
    URL_SAFE
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed.trim_end_matches('=')))
        .ok()
}
