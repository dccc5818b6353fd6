//! The Gmail API subset over HTTP, as a Gmail client sees it: a token from the
//! real OAuth endpoints, then messages.list / messages.get /
//! attachments.get against the fixture mailbox in tests/fixtures/mailbox,
//! plus the knobs (latency, faults, quota) and their test controls.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use common::{
    CLIENT_ID, DEMO, GMAIL_READONLY, REDIRECT, Sandbox, VERIFIER, challenge, param, spawn_binary,
    start_with, str_field, temp_dir,
};

const GMAIL_METADATA: &str = "https://www.googleapis.com/auth/gmail.metadata";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mailbox");

/// The PDF attached (base64) to 01-statement-pdf.eml.
fn fixture_pdf() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec();
    pdf.extend(0..=255u8);
    pdf
}

const FIXTURE_CSV: &[u8] = b"date,amount\r\n2024-03-01,1250.00\r\n2024-03-15,-40.5\r\n";

/// Gmail's message id for a fixture file name.
fn id_of(file_name: &str) -> String {
    Sha256::digest(file_name.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A mailboxes dir whose demo account holds a copy of the fixtures.
fn fixture_mailboxes() -> PathBuf {
    let dir = temp_dir("google-sandbox-gmail");
    let demo = dir.join(DEMO);
    std::fs::create_dir_all(&demo).expect("create mailbox");
    for entry in std::fs::read_dir(Path::new(FIXTURES).join(DEMO)).expect("fixtures") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), demo.join(entry.file_name())).expect("copy fixture");
    }
    dir
}

/// A mailboxes dir whose demo account holds `n` copies of the plain-text
/// fixture, with distinct dates so the order is known: copy `i` is dated
/// `i` minutes after the first.
fn bulk_mailboxes(n: usize) -> PathBuf {
    let dir = temp_dir("google-sandbox-gmail");
    let demo = dir.join(DEMO);
    std::fs::create_dir_all(&demo).expect("create mailbox");
    let template =
        std::fs::read_to_string(Path::new(FIXTURES).join(DEMO).join("03-newsletter.eml"))
            .expect("fixture");
    let base =
        chrono::DateTime::parse_from_rfc2822("Tue, 02 Jan 2024 08:00:00 +0000").expect("date");
    for i in 0..n {
        let date = (base + chrono::TimeDelta::minutes(i as i64)).to_rfc2822();
        let eml = template.replace("Tue, 02 Jan 2024 08:00:00 +0000", &date);
        std::fs::write(demo.join(format!("bulk-{i:05}.eml")), eml).expect("write");
    }
    dir
}

async fn start() -> Sandbox {
    start_with(fixture_mailboxes(), |_| {}).await
}

impl Sandbox {
    /// An access token for the demo account through the real OAuth flow:
    /// authorize → consent (allow) → code exchange with PKCE.
    async fn access_token(&self, scope: &str) -> String {
        let params = [
            ("client_id", CLIENT_ID.to_string()),
            ("redirect_uri", REDIRECT.into()),
            ("response_type", "code".into()),
            ("scope", scope.into()),
            ("state", "s".into()),
            ("code_challenge", challenge(VERIFIER)),
            ("code_challenge_method", "S256".into()),
        ];
        let (consent_id, _) = self.consent_page(&params).await;
        let scopes: Vec<&str> = scope.split(' ').collect();
        let query = self.answer(&consent_id, DEMO, &scopes, "allow").await;
        let code = param(&query, "code").expect("code");
        let (_, tokens) = self.exchange(code, VERIFIER).await;
        str_field(&tokens, "access_token").to_string()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .get(format!("{}/gmail/v1/users/me/{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("GET")
    }

    async fn get_json(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let response = self.get(path, Some(token)).await;
        let status = response.status();
        (status, response.json().await.expect("json"))
    }

    async fn list(&self, query: &str, token: &str) -> Value {
        let (status, body) = self.get_json(&format!("messages?{query}"), token).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body
    }

    /// Ids matched by `q` (one page of up to 500).
    async fn search(&self, q: &str, token: &str) -> Vec<String> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .append_pair("maxResults", "500")
            .finish();
        let body = self.list(&query, token).await;
        ids(&body)
    }
}

fn ids(list: &Value) -> Vec<String> {
    list["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["id"].as_str().expect("id").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn decode(data: &Value) -> Vec<u8> {
    URL_SAFE
        .decode(data.as_str().expect("data is a string"))
        .expect("base64url with padding")
}

fn header<'a>(part: &'a Value, name: &str) -> Option<&'a str> {
    part["headers"].as_array()?.iter().find(|h| {
        h["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })?["value"]
        .as_str()
}

fn assert_google_error(body: &Value, code: u16, message: &str, reason: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
    assert_eq!(body["error"]["errors"][0]["reason"], reason, "{body}");
}

#[tokio::test]
async fn list_is_newest_first_with_threads() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let body = sandbox.list("", &token).await;
    let statement = id_of("01-statement-pdf.eml");
    let trade = id_of("02-trade-confirmation.eml");
    let newsletter = id_of("03-newsletter.eml");
    let reply = id_of("04-reply.eml");
    assert_eq!(
        body,
        json!({
            "messages": [
                {"id": trade, "threadId": trade},
                {"id": reply, "threadId": statement},
                {"id": statement, "threadId": statement},
                {"id": newsletter, "threadId": newsletter},
            ],
            "resultSizeEstimate": 4,
        })
    );

    // The profile counts threads, not messages.
    let (status, profile) = sandbox.get_json("profile", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["messagesTotal"], 4);
    assert_eq!(profile["threadsTotal"], 3);

    // userId may also be the account's own address.
    let response = sandbox
        .http
        .get(format!("{}/gmail/v1/users/{DEMO}/messages", sandbox.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn pagination_clamps_to_500_and_covers_everything_once() {
    let sandbox = start_with(bulk_mailboxes(1200), |_| {}).await;
    let token = sandbox.access_token(GMAIL_READONLY).await;

    // Default page size is 100.
    let first = sandbox.list("", &token).await;
    assert_eq!(ids(&first).len(), 100);
    assert_eq!(first["resultSizeEstimate"], 1200);

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let mut query = "maxResults=1000".to_string();
        if let Some(t) = &page_token {
            query.push_str(&format!("&pageToken={t}"));
        }
        let page = sandbox.list(&query, &token).await;
        let page_ids = ids(&page);
        sizes.push(page_ids.len());
        seen.extend(page_ids);
        match page["nextPageToken"].as_str() {
            Some(t) => page_token = Some(t.to_string()),
            None => break,
        }
        assert!(sizes.len() < 10, "pagination does not end");
    }
    assert_eq!(sizes, vec![500, 500, 200]);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 1200);
    // Newest first: the last bulk copy is dated latest.
    assert_eq!(seen[0], id_of("bulk-01199.eml"));
    assert_eq!(seen[1199], id_of("bulk-00000.eml"));

    // A token is bound to its query, and garbage is rejected.
    let token_for_all = first["nextPageToken"].as_str().expect("next").to_string();
    for bad in [
        format!("pageToken={token_for_all}&q=subject:x"),
        "pageToken=not-a-token".to_string(),
    ] {
        let (status, body) = sandbox.get_json(&format!("messages?{bad}"), &token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_google_error(&body, 400, "Invalid pageToken", "invalidArgument");
    }
    let (status, _) = sandbox.get_json("messages?maxResults=lots", &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn mailbox_changes_are_seen_while_running() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let demo = sandbox.mailboxes.join(DEMO);
    assert_eq!(
        sandbox.search("subject:dividend", &token).await,
        Vec::<String>::new()
    );

    // A new message appears…
    std::fs::write(
        demo.join("05-new.eml"),
        "Subject: Dividend paid\r\nDate: Wed, 01 Jan 2025 00:00:00 +0000\r\n\r\nPaid.\r\n",
    )
    .expect("write");
    let new = id_of("05-new.eml");
    assert_eq!(
        sandbox.search("subject:dividend", &token).await,
        vec![new.clone()]
    );
    assert_eq!(ids(&sandbox.list("", &token).await)[0], new);

    // …is edited (different size)…
    std::fs::write(
        demo.join("05-new.eml"),
        "Subject: Dividend reinvested\r\nDate: Wed, 01 Jan 2025 00:00:00 +0000\r\n\r\nDone.\r\n",
    )
    .expect("rewrite");
    assert_eq!(
        sandbox.search("subject:reinvested", &token).await,
        vec![new.clone()]
    );

    // …and is deleted.
    std::fs::remove_file(demo.join("05-new.eml")).expect("remove");
    assert_eq!(
        sandbox.search("subject:dividend", &token).await,
        Vec::<String>::new()
    );
    let (status, _) = sandbox.get_json(&format!("messages/{new}"), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn no_matches_has_no_messages_key() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let body = sandbox.list("q=from:nobody@nowhere.example", &token).await;
    assert_eq!(body, json!({"resultSizeEstimate": 0}));
}

#[tokio::test]
async fn get_full_walks_multipart_mixed_with_pdf() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let id = id_of("01-statement-pdf.eml");
    let (status, msg) = sandbox.get_json(&format!("messages/{id}"), &token).await;
    assert_eq!(status, StatusCode::OK, "{msg}");
    assert_eq!(msg["id"], id);
    assert_eq!(msg["threadId"], id);
    assert_eq!(msg["labelIds"], json!(["INBOX"]));
    assert_eq!(msg["internalDate"], "1710504000000");
    assert!(msg["historyId"].is_string());
    assert!(msg["sizeEstimate"].as_u64().is_some_and(|s| s > 500));
    assert!(
        msg["snippet"]
            .as_str()
            .expect("snippet")
            .starts_with("Hello Demo, Your monthly statement is attached."),
        "{}",
        msg["snippet"]
    );

    let payload = &msg["payload"];
    assert_eq!(payload["partId"], "");
    assert_eq!(payload["mimeType"], "multipart/mixed");
    assert_eq!(payload["filename"], "");
    assert_eq!(payload["body"], json!({"size": 0}));
    assert_eq!(
        header(payload, "Subject"),
        Some("Your March 2024 statement")
    );
    assert_eq!(
        header(payload, "From"),
        Some("Acme Brokerage <statements@acme-brokerage.com>")
    );

    let parts = payload["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 2);
    let text = &parts[0];
    assert_eq!(text["partId"], "0");
    assert_eq!(text["mimeType"], "text/plain");
    assert_eq!(text["filename"], "");
    let body = String::from_utf8(decode(&text["body"]["data"])).expect("utf-8");
    assert!(
        body.contains("Your monthly statement is attached."),
        "{body}"
    );
    assert_eq!(text["body"]["size"], body.len());
    assert!(text["body"].get("attachmentId").is_none());

    let pdf = &parts[1];
    assert_eq!(pdf["partId"], "1");
    assert_eq!(pdf["mimeType"], "application/pdf");
    assert_eq!(pdf["filename"], "statement-2024-03.pdf");
    assert_eq!(pdf["body"]["size"], fixture_pdf().len());
    assert!(pdf["body"].get("data").is_none());
    assert!(pdf["body"]["attachmentId"].is_string());
    assert_eq!(
        header(pdf, "Content-Disposition"),
        Some(r#"attachment; filename="statement-2024-03.pdf""#)
    );
}

#[tokio::test]
async fn get_full_walks_nested_alternative_and_decodes_headers() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let id = id_of("02-trade-confirmation.eml");
    let (status, msg) = sandbox.get_json(&format!("messages/{id}"), &token).await;
    assert_eq!(status, StatusCode::OK, "{msg}");
    // Date: Mon, 20 May 2024 09:30:00 -0400
    assert_eq!(msg["internalDate"], "1716211800000");
    let payload = &msg["payload"];
    assert_eq!(
        header(payload, "Subject"),
        Some("Trade confirmation – ACME")
    );
    let alternative = &payload["parts"][0];
    assert_eq!(alternative["partId"], "0");
    assert_eq!(alternative["mimeType"], "multipart/alternative");
    assert_eq!(alternative["parts"][0]["partId"], "0.0");
    assert_eq!(alternative["parts"][0]["mimeType"], "text/plain");
    let plain = String::from_utf8(decode(&alternative["parts"][0]["body"]["data"])).expect("utf-8");
    // Quoted-printable decoded, soft line break joined.
    assert!(plain.contains("CSV – keep it"), "{plain}");
    assert_eq!(alternative["parts"][1]["partId"], "0.1");
    assert_eq!(alternative["parts"][1]["mimeType"], "text/html");
    let csv = &payload["parts"][1];
    assert_eq!(csv["partId"], "1");
    assert_eq!(csv["filename"], "trades.csv");
    assert_eq!(csv["body"]["size"], FIXTURE_CSV.len());

    let attachment_id = csv["body"]["attachmentId"].as_str().expect("attachmentId");
    let (status, att) = sandbox
        .get_json(
            &format!("messages/{id}/attachments/{attachment_id}"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(decode(&att["data"]), FIXTURE_CSV);
}

/// `/_sandbox/calls` shows what a client fetched: here one list, one mail, one attachment
/// (and a call without a token is not counted).
#[tokio::test]
async fn authorised_calls_are_counted_per_method() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    assert_eq!(sandbox.control("calls", None).await, json!({}));
    let id = id_of("01-statement-pdf.eml");
    sandbox.list("maxResults=1", &token).await;
    let (_, msg) = sandbox.get_json(&format!("messages/{id}"), &token).await;
    let attachment_id = msg["payload"]["parts"][1]["body"]["attachmentId"]
        .as_str()
        .expect("attachmentId")
        .to_string();
    sandbox
        .get_json(
            &format!("messages/{id}/attachments/{attachment_id}"),
            &token,
        )
        .await;
    let anonymous = sandbox.get(&format!("messages/{id}"), None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        sandbox.control("calls", None).await,
        json!({"ListMessages": 1, "GetMessage": 1, "GetAttachment": 1})
    );
}

#[tokio::test]
async fn attachment_bytes_round_trip_exactly() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let id = id_of("01-statement-pdf.eml");
    let (_, msg) = sandbox.get_json(&format!("messages/{id}"), &token).await;
    let attachment_id = msg["payload"]["parts"][1]["body"]["attachmentId"]
        .as_str()
        .expect("attachmentId")
        .to_string();
    let (status, att) = sandbox
        .get_json(
            &format!("messages/{id}/attachments/{attachment_id}"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{att}");
    let bytes = decode(&att["data"]);
    assert!(bytes.starts_with(b"%PDF-1.4"));
    assert_eq!(bytes, fixture_pdf());
    assert_eq!(att["size"], fixture_pdf().len());
    // URL-safe alphabet: the 0..=255 tail guarantees `-`/`_` would appear
    // where standard base64 has `+`/`/`.
    let data = att["data"].as_str().expect("data");
    assert!(!data.contains('+') && !data.contains('/'));

    // Unknown attachment, and an attachment id of another message.
    let (status, body) = sandbox
        .get_json(&format!("messages/{id}/attachments/ANGjdJnope"), &token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_google_error(&body, 404, "Requested entity was not found.", "notFound");
    let other = id_of("03-newsletter.eml");
    let (status, _) = sandbox
        .get_json(
            &format!("messages/{other}/attachments/{attachment_id}"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn get_metadata_minimal_and_raw() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let id = id_of("04-reply.eml");
    let (status, msg) = sandbox
        .get_json(
            &format!("messages/{id}?format=metadata&metadataHeaders=Subject&metadataHeaders=from"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{msg}");
    assert_eq!(msg["threadId"], id_of("01-statement-pdf.eml"));
    assert_eq!(
        msg["payload"],
        json!({
            "mimeType": "text/plain",
            "headers": [
                {"name": "From", "value": "Acme Support <support@acme-brokerage.com>"},
                {"name": "Subject", "value": "Re: Your March 2024 statement"},
            ],
        })
    );
    assert_eq!(
        msg["snippet"],
        "Thanks for your question about the statement; the fee was refunded."
    );

    // Without metadataHeaders, every header.
    let (_, msg) = sandbox
        .get_json(&format!("messages/{id}?format=metadata"), &token)
        .await;
    assert_eq!(
        header(&msg["payload"], "In-Reply-To"),
        Some("<stmt-2024-03@acme-brokerage.com>")
    );
    assert!(msg["payload"].get("parts").is_none());

    let (_, msg) = sandbox
        .get_json(&format!("messages/{id}?format=minimal"), &token)
        .await;
    assert!(msg.get("payload").is_none());
    assert_eq!(msg["id"], id);
    assert!(msg["snippet"].is_string());

    let (_, msg) = sandbox
        .get_json(&format!("messages/{id}?format=raw"), &token)
        .await;
    let raw = decode(&msg["raw"]);
    let file = std::fs::read(Path::new(FIXTURES).join(DEMO).join("04-reply.eml")).expect("fixture");
    assert_eq!(raw, file);

    let (status, _) = sandbox
        .get_json(&format!("messages/{id}?format=bogus"), &token)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn snippets_are_html_escaped() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let (_, msg) = sandbox
        .get_json(&format!("messages/{}", id_of("03-newsletter.eml")), &token)
        .await;
    assert_eq!(
        msg["snippet"],
        "Markets were quiet over the holidays. It&#39;s a good time to review your allocation."
    );
}

#[tokio::test]
async fn search_operators() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let statement = id_of("01-statement-pdf.eml");
    let trade = id_of("02-trade-confirmation.eml");
    let newsletter = id_of("03-newsletter.eml");
    let reply = id_of("04-reply.eml");

    let cases: Vec<(&str, Vec<&String>)> = vec![
        ("from:statements@acme-brokerage.com", vec![&statement]),
        ("from:acme-brokerage.com", vec![&reply, &statement]),
        ("from:GLOBEX", vec![&trade]),
        (
            "to:demo.investor@gmail.com",
            vec![&trade, &reply, &statement, &newsletter],
        ),
        ("cc:advisor@wealth.example", vec![&trade]),
        ("subject:statement", vec![&reply, &statement]),
        ("subject:\"march 2024\"", vec![&reply, &statement]),
        ("subject:confirmation", vec![&trade]),
        ("has:attachment", vec![&trade, &statement]),
        ("-has:attachment", vec![&reply, &newsletter]),
        ("filename:pdf", vec![&statement]),
        ("filename:trades.csv", vec![&trade]),
        ("after:2024/03/16", vec![&trade, &reply]),
        ("before:2024/03/16", vec![&statement, &newsletter]),
        ("after:1710504000 before:1710576000", vec![&statement]),
        ("after:1710504001", vec![&trade, &reply]),
        ("refunded", vec![&reply]),
        ("\"portfolio value\"", vec![&statement]),
        ("\"value portfolio\"", vec![]),
        ("shares", vec![&trade]),
        ("refunded OR holidays", vec![&reply, &newsletter]),
        ("{refunded holidays}", vec![&reply, &newsletter]),
        ("statement -subject:re", vec![&statement]),
        (
            "(from:statements@acme-brokerage.com OR from:no-reply@globex.example) has:attachment after:2024/01/01 -subject:newsletter",
            vec![&trade, &statement],
        ),
        (
            "(from:marketweekly.example OR from:globex.example) -subject:newsletter",
            vec![&trade],
        ),
        ("weird:operator", vec![]),
        ("in:inbox newsletter", vec![&newsletter]),
    ];
    for (q, expected) in cases {
        let got = sandbox.search(q, &token).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(got, expected, "q={q}");
    }

    // Page tokens of a search continue that search.
    let page = sandbox.list("q=has:attachment&maxResults=1", &token).await;
    assert_eq!(ids(&page), vec![trade.clone()]);
    assert_eq!(page["resultSizeEstimate"], 2);
    let next = page["nextPageToken"].as_str().expect("next");
    let page = sandbox
        .list(
            &format!("q=has:attachment&maxResults=1&pageToken={next}"),
            &token,
        )
        .await;
    assert_eq!(ids(&page), vec![statement.clone()]);
    assert!(page.get("nextPageToken").is_none());
}

#[tokio::test]
async fn unknown_ids_are_404_and_malformed_ids_400() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let (status, body) = sandbox.get_json("messages/0123456789abcdef", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_google_error(&body, 404, "Requested entity was not found.", "notFound");
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    let (status, body) = sandbox
        .get_json("messages/0123456789abcdef/attachments/x", &token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_google_error(&body, 404, "Requested entity was not found.", "notFound");
    let (status, body) = sandbox.get_json("messages/not-an-id", &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_google_error(&body, 400, "Invalid id value", "invalidArgument");
}

#[tokio::test]
async fn every_method_needs_a_valid_token() {
    let sandbox = start().await;
    let id = id_of("01-statement-pdf.eml");
    for path in [
        "messages".to_string(),
        format!("messages/{id}"),
        format!("messages/{id}/attachments/anything"),
    ] {
        for token in [None, Some("ya29.not-a-token")] {
            let response = sandbox.get(&path, token).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
        }
    }
    // Expired through the control: 401 too.
    let token = sandbox.access_token(GMAIL_READONLY).await;
    assert_eq!(
        sandbox.get("messages", Some(&token)).await.status(),
        StatusCode::OK
    );
    sandbox.control("access-tokens/expire", None).await;
    assert_eq!(
        sandbox.get("messages", Some(&token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn metadata_scope_is_restricted_like_gmail() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_METADATA).await;
    let id = id_of("01-statement-pdf.eml");
    assert_eq!(
        sandbox.get("messages", Some(&token)).await.status(),
        StatusCode::OK
    );
    let (status, _) = sandbox.get_json("messages?q=statement", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = sandbox.get_json(&format!("messages/{id}"), &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = sandbox
        .get_json(&format!("messages/{id}?format=metadata"), &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = sandbox
        .get_json(&format!("messages/{id}/attachments/x"), &token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
}

#[tokio::test]
async fn fault_rate_is_roughly_honoured_and_runtime_configurable() {
    let sandbox = start_with(fixture_mailboxes(), |c| c.quota_units_per_second = 0).await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let knobs = sandbox
        .control("config", Some(json!({"fault_rate": 0.3})))
        .await;
    assert_eq!(knobs["fault_rate"], 0.3);

    let calls = 400;
    let mut failures = 0;
    let mut statuses = HashSet::new();
    for _ in 0..calls {
        let response = sandbox.get("messages?maxResults=1", Some(&token)).await;
        let status = response.status();
        if status != StatusCode::OK {
            failures += 1;
            statuses.insert(status.as_u16());
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(response.headers()[RETRY_AFTER], "1");
            }
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["error"]["code"], status.as_u16());
            let reason = body["error"]["errors"][0]["reason"]
                .as_str()
                .expect("reason");
            assert!(
                matches!(reason, "rateLimitExceeded" | "backendError"),
                "{body}"
            );
        }
    }
    // 30% of 400 = 120; the bounds are ~6 standard deviations wide.
    assert!(
        (65..=175).contains(&failures),
        "{failures} faults of {calls}"
    );
    assert_eq!(statuses, HashSet::from([429, 500, 503]));

    // Faults are not quota violations.
    assert_eq!(
        sandbox.control("quota", None).await,
        json!({"violations": 0})
    );

    // Off again.
    sandbox
        .control("config", Some(json!({"fault_rate": 0.0})))
        .await;
    for _ in 0..50 {
        assert_eq!(
            sandbox
                .get("messages?maxResults=1", Some(&token))
                .await
                .status(),
            StatusCode::OK
        );
    }
    // Bad values are refused.
    let response = sandbox
        .http
        .post(format!("{}/_sandbox/config", sandbox.base))
        .json(&json!({"fault_rate": 2}))
        .send()
        .await
        .expect("config");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn config_fault_rate_one_fails_every_call_but_auth_errors_stay_401() {
    let sandbox = start_with(fixture_mailboxes(), |c| c.fault_rate = 1.0).await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    for _ in 0..20 {
        let status = sandbox.get("messages", Some(&token)).await.status();
        assert!(matches!(status.as_u16(), 429 | 500 | 503), "{status}");
    }
    assert_eq!(
        sandbox.get("messages", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn latency_is_applied_to_every_answer() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let knobs = sandbox
        .control("config", Some(json!({"latency_ms": 300})))
        .await;
    assert_eq!(knobs["latency_ms"], 300);
    for token in [Some(token.as_str()), None] {
        let started = Instant::now();
        sandbox.get("messages", token).await;
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
}

#[tokio::test]
async fn hammering_over_quota_gets_429_and_is_counted() {
    let sandbox = start().await;
    let token = sandbox.access_token(GMAIL_READONLY).await;
    let id = id_of("01-statement-pdf.eml");
    assert_eq!(
        sandbox.control("quota", None).await,
        json!({"violations": 0})
    );

    // 250 concurrent messages.get = 1250 units against 250 per second: a
    // window admits 50 of them, so unless the burst is spread over five
    // seconds most are refused.
    let calls = 250;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..calls {
        let http = sandbox.http.clone();
        let url = format!(
            "{}/gmail/v1/users/me/messages/{id}?format=minimal",
            sandbox.base
        );
        let token = token.clone();
        tasks.spawn(async move {
            let response = http.get(url).bearer_auth(token).send().await.expect("GET");
            let status = response.status();
            let retry_after = response.headers().get(RETRY_AFTER).cloned();
            let body: Value = response.json().await.expect("json");
            (status, retry_after, body)
        });
    }
    let mut ok = 0u64;
    let mut limited = 0u64;
    while let Some(result) = tasks.join_next().await {
        let (status, retry_after, body) = result.expect("task");
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_google_error(&body, 429, "User-rate limit exceeded.", "rateLimitExceeded");
                assert_eq!(retry_after.expect("Retry-After"), "1");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let windows = started.elapsed().as_secs() + 1;
    assert!(ok >= 50, "a window admits 50 calls ({ok})");
    assert!(
        ok <= 50 * windows,
        "{ok} calls passed in {windows} window(s)"
    );
    assert_eq!(ok + limited, calls);
    let violations = sandbox.control("quota", None).await;
    assert_eq!(violations["violations"], limited);

    // The budget comes back in the next window.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        sandbox
            .get(&format!("messages/{id}"), Some(&token))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn binary_rejects_an_invalid_fault_rate() {
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_google-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--fault-rate", "1.5"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .expect("run google-sandbox");
    assert_eq!(status.code(), Some(2));
}

/// The CLI flags reach the knobs: an empty `POST /_sandbox/config` reports
/// what is in force.
#[tokio::test]
async fn binary_flags_set_the_knobs() {
    let (mut child, base) = spawn_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--latency-ms",
        "25",
        "--fault-rate",
        "0.25",
        "--quota-units-per-second",
        "0",
    ])
    .await;
    let knobs: Value = reqwest::Client::new()
        .post(format!("{base}/_sandbox/config"))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(
        knobs,
        json!({"latency_ms": 25, "fault_rate": 0.25, "quota_units_per_second": 0})
    );
    child.kill().await.expect("kill");
}
