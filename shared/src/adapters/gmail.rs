//! `Mailbox` on the Gmail REST API, with Google's manners: stay under the per-user quota,
//! retry rate limits and server errors with exponential backoff and jitter (honouring
//! `Retry-After`), and leave 401s to the caller (who refreshes the token once).

use crate::domain::ports::{GoogleError, MailMessage, Mailbox, SearchPage};
use async_trait::async_trait;
use rand::Rng;
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

#[path = "gmail_mime.rs"]
mod mime;
use mime::*;

/// Gmail's per-user quota is 250 units/s; we pace at 90% of it so jitter never crosses it.
const QUOTA_UNITS_PER_SECOND: f64 = 225.0;
/// messages.list, messages.get and attachments.get cost 5 units each.
const CALL_UNITS: f64 = 5.0;
const MAX_ATTEMPTS: u32 = 6;
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Gmail's largest page.
const PAGE_SIZE: &str = "500";
/// The most of any answer but an attachment we read (a page of ids, one mail's MIME tree with
/// its inline text parts). A mail whose answer is larger is reported, not read.
pub const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;
/// The JSON around an attachment's base64url `data` (`attachmentId`, `size`), generously.
const ATTACHMENT_ENVELOPE_BYTES: u64 = 4096;

/// How long the padded base64 text of `n` bytes is.
pub fn base64_len(n: u64) -> u64 {
    n.div_ceil(3).saturating_mul(4)
}

/// The most bytes an attachments.get answer for an attachment of `max_bytes` can take.
pub fn attachment_answer_limit(max_bytes: u64) -> u64 {
    base64_len(max_bytes).saturating_add(ATTACHMENT_ENVELOPE_BYTES)
}

/// Spaces calls so their quota cost never exceeds the per-second budget. One pacer per
/// process: a Lambda process serves one request (so one user) at a time.
pub struct Pacer {
    next_slot: Mutex<Instant>,
    seconds_per_unit: f64,
}

impl Pacer {
    pub fn new(units_per_second: f64) -> Self {
        Self {
            next_slot: Mutex::new(Instant::now()),
            seconds_per_unit: 1.0 / units_per_second,
        }
    }

    pub async fn acquire(&self, units: f64) {
        let slot = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + Duration::from_secs_f64(units * self.seconds_per_unit);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

pub struct GmailHttp {
    http: Client,
    /// e.g. `https://gmail.googleapis.com`
    base: String,
    pacer: Pacer,
}

impl GmailHttp {
    pub fn new(http: Client, base: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            pacer: Pacer::new(QUOTA_UNITS_PER_SECOND),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/gmail/v1/users/me/{path}", self.base)
    }

    /// One GET with pacing and retries, its JSON answer read up to [`MAX_ANSWER_BYTES`].
    async fn get<T: DeserializeOwned>(
        &self,
        access_token: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, GoogleError> {
        let body = self
            .get_bytes(access_token, path, query, MAX_ANSWER_BYTES)
            .await?;
        serde_json::from_slice(&body)
            .map_err(|e| GoogleError::Unavailable(format!("unreadable Gmail answer: {e}")))
    }

    /// One GET with pacing and retries: the answer's body, refused (`TooLarge`) as soon as it
    /// is known to exceed `limit` bytes.
    async fn get_bytes(
        &self,
        access_token: &str,
        path: &str,
        query: &[(&str, &str)],
        limit: u64,
    ) -> Result<Vec<u8>, GoogleError> {
        let url = self.url(path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pacer.acquire(CALL_UNITS).await;
            let result = self
                .http
                .get(&url)
                .query(query)
                .bearer_auth(access_token)
                .send()
                .await;
            let (retry_after, failure) = match result {
                Ok(response) if response.status().is_success() => {
                    return read_capped(response, limit).await;
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = response.text().await.unwrap_or_default();
                    match classify_failure(status, &body) {
                        Failure::Final(e) => return Err(e),
                        Failure::Retry(e) => (retry_after, e),
                    }
                }
                Err(e) => (None, GoogleError::Unavailable(e.without_url().to_string())),
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(failure);
            }
            tokio::time::sleep(backoff(attempt, retry_after)).await;
        }
    }
}

/// The body of a successful answer, at most `limit` bytes: a declared length over it is refused
/// unread, and reading stops at the first chunk past it. The buffer is sized from the
/// declared length, so it does not grow by doubling.
async fn read_capped(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, GoogleError> {
    let too_large = GoogleError::TooLarge { limit };
    let declared = response.content_length();
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    let capacity = usize::try_from(declared.unwrap_or(0).min(limit)).unwrap_or(0);
    let mut body = Vec::with_capacity(capacity);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| GoogleError::Unavailable(e.without_url().to_string()))?
    {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

enum Failure {
    Retry(GoogleError),
    Final(GoogleError),
}

fn classify_failure(status: StatusCode, body: &str) -> Failure {
    let unavailable = || GoogleError::Unavailable(format!("Gmail answered {status}"));
    match status {
        StatusCode::UNAUTHORIZED => Failure::Final(GoogleError::Unauthorized),
        StatusCode::TOO_MANY_REQUESTS => Failure::Retry(unavailable()),
        // Gmail also signals rate limits as 403 with these reasons.
        StatusCode::FORBIDDEN
            if body.contains("rateLimitExceeded") || body.contains("userRateLimitExceeded") =>
        {
            Failure::Retry(unavailable())
        }
        s if s.is_server_error() => Failure::Retry(unavailable()),
        s => Failure::Final(GoogleError::Refused(format!("Gmail answered {s}"))),
    }
}

/// Exponential backoff with full jitter (200 ms × 2^n, at most 8 s), or Google's Retry-After.
fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait.min(MAX_BACKOFF);
    }
    let ceiling = Duration::from_millis(200 * 2u64.pow(attempt.min(6))).min(MAX_BACKOFF);
    let fraction: f64 = rand::rng().random_range(0.5..=1.0);
    ceiling.mul_f64(fraction)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    #[serde(default)]
    messages: Vec<IdOnly>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// `data` borrows the answer's bytes (base64url has nothing to unescape): no second copy of
/// the text while it is decoded.
#[derive(Deserialize)]
struct AttachmentResponse<'a> {
    #[serde(borrow)]
    data: Cow<'a, str>,
}

#[async_trait]
impl Mailbox for GmailHttp {
    async fn search(
        &self,
        access_token: &str,
        query: &str,
        page_token: Option<&str>,
    ) -> Result<SearchPage, GoogleError> {
        let mut params = vec![("q", query), ("maxResults", PAGE_SIZE)];
        if let Some(token) = page_token {
            params.push(("pageToken", token));
        }
        let page: ListResponse = self.get(access_token, "messages", &params).await?;
        Ok(SearchPage {
            message_ids: page.messages.into_iter().map(|m| m.id).collect(),
            next_page_token: page.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    async fn message(&self, access_token: &str, id: &str) -> Result<MailMessage, GoogleError> {
        let answer = self
            .get_bytes(
                access_token,
                &format!("messages/{id}"),
                &[("format", "full")],
                MAX_ANSWER_BYTES,
            )
            .await?;
        let m: MessageResponse<'_> = serde_json::from_slice(&answer).map_err(unreadable)?;
        let walked = match m.payload {
            Some(payload) => walk_payload(payload)?,
            None => Walked::default(),
        };
        Ok(MailMessage {
            id: m.id,
            from: walked.from,
            subject: walked.subject,
            internal_date_ms: m.internal_date.parse().unwrap_or(0),
            authentication_results: walked.authentication_results,
            attachments: walked.attachments,
            parts_too_deep: walked.parts_too_deep,
        })
    }

    async fn attachment(
        &self,
        access_token: &str,
        message_id: &str,
        attachment_id: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, GoogleError> {
        let answer = self
            .get_bytes(
                access_token,
                &format!("messages/{message_id}/attachments/{attachment_id}"),
                &[],
                attachment_answer_limit(max_bytes),
            )
            .await?;
        let a: AttachmentResponse<'_> = serde_json::from_slice(&answer)
            .map_err(|e| GoogleError::Unavailable(format!("unreadable Gmail answer: {e}")))?;
        let bytes = decode_base64url(&a.data)
            .ok_or_else(|| GoogleError::Unavailable("attachment data is not base64url".into()))?;
        if bytes.len() as u64 > max_bytes {
            return Err(GoogleError::TooLarge { limit: max_bytes });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ports::MAX_PART_DEPTH;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE;

    #[test]
    fn walks_nested_parts_for_attachments() {
        let json = serde_json::json!({
            "id": "m1", "internalDate": "1736899200000",
            "payload": {
                "mimeType": "multipart/mixed", "filename": "",
                "headers": [{"name": "from", "value": "CAMS <donotreply@camsonline.com>"},
                            {"name": "Subject", "value": "CAS"}],
                "body": {"size": 0},
                "parts": [
                    {"mimeType": "multipart/alternative", "filename": "", "body": {"size": 0},
                     "parts": [{"mimeType": "text/plain", "filename": "", "body": {"size": 5, "data": "aGVsbG8="}}]},
                    {"mimeType": "application/pdf", "filename": "a.pdf",
                     "body": {"attachmentId": "att1", "size": 1234}}
                ]
            }
        });
        let text = json.to_string();
        let m: MessageResponse = serde_json::from_str(&text).unwrap();
        let walked = walk_payload(m.payload.unwrap()).unwrap();
        assert_eq!(walked.attachments.len(), 1);
        assert_eq!(walked.attachments[0].filename, "a.pdf");
        assert_eq!(walked.attachments[0].size, 1234);
        assert_eq!(walked.from, "CAMS <donotreply@camsonline.com>");
        assert_eq!(walked.subject, "CAS");
        assert_eq!(walked.parts_too_deep, 0);
    }

    /// A `messages.get` answer whose PDF sits under `depth` nested multiparts.
    fn nested(depth: usize) -> String {
        let mut part = serde_json::json!({"mimeType": "application/pdf", "filename": "deep.pdf",
            "body": {"attachmentId": "deep", "size": 10}});
        for n in 0..depth {
            part = serde_json::json!({"mimeType": "multipart/mixed", "filename": "",
            "body": {"size": 0}, "parts": [
                {"mimeType": "application/pdf", "filename": format!("level{n}.pdf"),
                 "body": {"attachmentId": format!("a{n}"), "size": 1}},
                part
            ]});
        }
        let mut text = String::from(r#"{"id":"m1","internalDate":"1","payload":"#);
        text += &part.to_string();
        text += "}";
        text
    }

    /// Deep trees are walked without recursion, serde_json's nesting limit (128) or the
    /// stack: 120 levels (240 levels of JSON) are read whole on a 64 KiB stack; below
    /// MAX_PART_DEPTH nothing is read and the mail says so.
    #[test]
    fn walks_deep_trees_iteratively_and_within_a_bound() {
        let text = nested(120);
        let walked = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let m: MessageResponse = serde_json::from_str(&text).unwrap();
                walk_payload(m.payload.unwrap()).unwrap()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(walked.attachments.len(), 121);
        assert_eq!(walked.attachments[0].filename, "level119.pdf", "tree order");
        assert_eq!(walked.attachments[120].filename, "deep.pdf");
        assert_eq!(walked.parts_too_deep, 0);

        let text = nested(MAX_PART_DEPTH + 5);
        let m: MessageResponse = serde_json::from_str(&text).unwrap();
        let walked = walk_payload(m.payload.unwrap()).unwrap();
        assert_eq!(walked.attachments.len(), MAX_PART_DEPTH);
        assert_eq!(walked.parts_too_deep, 1);
    }

    #[test]
    fn keeps_the_roots_authentication_results_in_order() {
        let text = serde_json::json!({"id": "m1", "payload": {
            "headers": [
                {"name": "Received", "value": "by 2002:a05"},
                {"name": "Authentication-Results", "value": "mx.google.com; dkim=pass header.i=@camsonline.com"},
                {"name": "From", "value": "donotreply@camsonline.com"},
                {"name": "authentication-results", "value": "evil.example; dkim=pass"}
            ],
            "parts": [{"mimeType": "message/rfc822", "headers": [
                {"name": "Authentication-Results", "value": "inner; spf=pass"}]}]
        }})
        .to_string();
        let m: MessageResponse = serde_json::from_str(&text).unwrap();
        let walked = walk_payload(m.payload.unwrap()).unwrap();
        assert_eq!(
            walked.authentication_results,
            [
                "mx.google.com; dkim=pass header.i=@camsonline.com",
                "evil.example; dkim=pass"
            ]
        );
    }

    /// Serves `answer` (raw HTTP) to every connection on a loopback port.
    async fn serve(answer: String) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut request = vec![0; 16 * 1024];
                    let _ = socket.read(&mut request).await;
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        base
    }

    async fn attachment_from(answer: String, max_bytes: u64) -> Result<Vec<u8>, GoogleError> {
        let gmail = GmailHttp::new(
            crate::adapters::tls::http_client_builder().build().unwrap(),
            &serve(answer).await,
        );
        gmail.attachment("token", "m1", "a1", max_bytes).await
    }

    fn json_answer(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    fn attachment_json(bytes: &[u8]) -> String {
        format!(
            r#"{{"attachmentId":"a1","size":{},"data":"{}"}}"#,
            bytes.len(),
            URL_SAFE.encode(bytes)
        )
    }

    #[tokio::test]
    async fn attachments_are_read_up_to_their_cap_and_no_further() {
        let ok = attachment_from(json_answer(&attachment_json(b"%PDF-1.4 tiny")), 100).await;
        assert_eq!(ok.unwrap(), b"%PDF-1.4 tiny");

        // Decoded, one byte over the cap.
        let over = attachment_from(json_answer(&attachment_json(&[b'x'; 101])), 100).await;
        assert_eq!(over.unwrap_err(), GoogleError::TooLarge { limit: 100 });

        // A declared length over the limit is refused before the body is read.
        let declared = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 999999999\r\n\r\n{";
        assert!(matches!(
            attachment_from(declared.to_string(), 100).await,
            Err(GoogleError::TooLarge { .. })
        ));

        // No declared length (chunked): reading stops once the limit is passed.
        let body = attachment_json(&[b'x'; 30_000]);
        let mut chunked = String::from(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        );
        for piece in body.as_bytes().chunks(1000) {
            chunked += &format!(
                "{:x}\r\n{}\r\n",
                piece.len(),
                std::str::from_utf8(piece).unwrap()
            );
        }
        chunked += "0\r\n\r\n";
        assert_eq!(
            attachment_from(chunked, 100).await.unwrap_err(),
            GoogleError::TooLarge {
                limit: attachment_answer_limit(100)
            }
        );
    }

    #[test]
    fn the_answer_limit_covers_the_base64_of_the_cap() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
        let cap = 10 * 1024 * 1024;
        let answer = attachment_json(&vec![0; cap]);
        assert!(answer.len() as u64 <= attachment_answer_limit(cap as u64));
    }

    #[test]
    fn decodes_padded_and_unpadded_base64url() {
        assert_eq!(decode_base64url("_-8=").unwrap(), vec![0xff, 0xef]);
        assert_eq!(decode_base64url("_-8").unwrap(), vec![0xff, 0xef]);
        assert!(decode_base64url("!!").is_none());
    }

    #[test]
    fn rate_limits_and_server_errors_are_retried_others_are_not() {
        let retry = |s: u16, body: &str| {
            matches!(
                classify_failure(StatusCode::from_u16(s).unwrap(), body),
                Failure::Retry(_)
            )
        };
        assert!(retry(429, ""));
        assert!(retry(500, ""));
        assert!(retry(503, ""));
        assert!(retry(
            403,
            r#"{"error":{"errors":[{"reason":"rateLimitExceeded"}]}}"#
        ));
        assert!(!retry(403, r#"{"error":{"status":"PERMISSION_DENIED"}}"#));
        assert!(!retry(404, ""));
        assert!(matches!(
            classify_failure(StatusCode::UNAUTHORIZED, ""),
            Failure::Final(GoogleError::Unauthorized)
        ));
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        assert!(backoff(1, None) <= Duration::from_millis(400));
        assert!(backoff(10, None) <= MAX_BACKOFF);
        assert_eq!(
            backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(backoff(1, Some(Duration::from_secs(60))), MAX_BACKOFF);
    }

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_calls_to_the_budget() {
        let pacer = Pacer::new(250.0);
        let start = Instant::now();
        for _ in 0..100 {
            pacer.acquire(5.0).await;
        }
        // 100 calls × 5 units at 250 units/s: the last one starts after ~1.98 s.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(1970), "{elapsed:?}");
        assert!(elapsed <= Duration::from_millis(2000), "{elapsed:?}");
    }
}
