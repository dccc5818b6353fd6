//! The v4 API's wire models: every request and response body of DESIGN.md §2.
//!
//! These types describe JSON only; the rules about what a valid value is live in the domain
//! types (`RedirectUri`, the parser's `Issuer`, …) that handlers build from them.

/// The parsed portfolio is the parser crate's output shape.
pub use cas_parser::model::*;

pub mod imports;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `"success"` / `"failed"`: the `status` field every response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failed,
}

/// Every error response: `{"status":"failed","code":"…","msg":"…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub status: Outcome,
    pub code: String,
    pub msg: String,
}

/// `POST /v4/inbox/connect`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectRequest {
    pub redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectResponse {
    pub status: Outcome,
    pub oauth_url: String,
    /// Seconds the consent URL (its server-side state) stays usable.
    pub expires_in: u64,
}

/// `POST /v4/inbox/status`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub status: Outcome,
    pub connected: bool,
    pub email: String,
    pub provider: String,
    /// RFC 3339 time the inbox was connected.
    pub connected_at: String,
    /// RFC 3339 time Google last confirmed the grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_verified_at: Option<String>,
    /// RFC 3339 time the grant was found revoked at Google (only when `connected` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Why the inbox is not connected, e.g. `reconsent_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Scheduled imports of this inbox (absent when they were never set up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<imports::ImportStatus>,
}

/// `POST /v4/inbox/cas` (its `Debug` hides the password).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CasRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cas_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// With `parse: true`: a statement that does not reconcile with its own printed totals
    /// gets a `PARSE_INCOMPLETE` parse error (and is not charged) instead of a result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasResponse {
    pub status: Outcome,
    pub files: Vec<CasFile>,
    pub count: usize,
    /// Files that were found but could not be fetched or stored; the others are still listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FileError>,
}

/// One CAS attachment found in the inbox: exactly the seed's fields plus `expires_in` and
/// `sender_verified` (and, with `parse: true`, `parsed` or `parse_error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasFile {
    pub message_id: String,
    pub filename: String,
    pub original_filename: String,
    pub message_date: String,
    /// `cams`, `kfintech`, `cdsl` or `nsdl`.
    pub cas_type: Issuer,
    pub size: u64,
    pub url: String,
    pub sender: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Our addition beside the seed's fields: Gmail's own checks (its `Authentication-Results`)
    /// show the mail came through the registrar's authorised mail servers — DKIM or SPF `pass`
    /// aligned with the domain of `cas_type`'s registrar. Says nothing about the PDF's content;
    /// `false` is not proof of fraud (a forwarded statement is `false`).
    #[serde(default)]
    pub sender_verified: bool,
    /// With `parse: true`: the parsed portfolio, or why this file could not be parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parsed: Option<Box<Portfolio>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<FileError>,
}

/// A per-file failure inside an otherwise successful response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    pub code: String,
    pub msg: String,
}

/// `POST /v4/inbox/disconnect`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisconnectResponse {
    pub status: Outcome,
    pub msg: String,
}

/// `POST /v4/inbox/token`: the code flow's exchange (its `Debug` hides the code).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub code: Option<String>,
    pub state: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("code", &format_args!("{}", redacted(&self.code)))
            .field("state", &self.state)
            .finish()
    }
}

/// The exchange's answer: the `inbox_token` and `email` the token flow's redirect carries,
/// with the token's lifetime.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub status: Outcome,
    pub inbox_token: String,
    /// Seconds the `inbox_token` stays valid.
    pub expires_in: u64,
    pub email: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("status", &self.status)
            .field("inbox_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("email", &self.email)
            .finish()
    }
}

/// `POST /v4/smart/parse` (JSON form; the multipart form carries the same two fields). Its
/// `Debug` hides the password.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParseRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_url: Option<String>,
    /// Base64 of the PDF bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A statement that does not reconcile is answered 422 `PARSE_INCOMPLETE`, not charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// How a password shows in `Debug`: whether there is one, never what it is.
pub fn redacted<T>(secret: &Option<T>) -> &'static str {
    if secret.is_some() {
        "Some(<redacted>)"
    } else {
        "None"
    }
}

impl std::fmt::Debug for CasRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CasRequest")
            .field("cas_types", &self.cas_types)
            .field("start_date", &self.start_date)
            .field("end_date", &self.end_date)
            .field("parse", &self.parse)
            .field("password", &format_args!("{}", redacted(&self.password)))
            .field("strict", &self.strict)
            .finish()
    }
}

impl std::fmt::Debug for ParseRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParseRequest")
            .field("pdf_url", &self.pdf_url)
            .field(
                "pdf_file",
                &self
                    .pdf_file
                    .as_ref()
                    .map(|b| format!("<{} base64 chars>", b.len())),
            )
            .field("password", &format_args!("{}", redacted(&self.password)))
            .field("strict", &self.strict)
            .finish()
    }
}

/// Credits a call used and what is left, sent as `X-Credits-Used` / `X-Credits-Remaining`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditUsage {
    pub used: Decimal,
    pub remaining: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Serialising what was parsed gives back the same JSON (up to key order).
    fn round_trips<T: serde::de::DeserializeOwned + Serialize>(value: Value) {
        let parsed: T = serde_json::from_value(value.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&parsed).expect("serialises"), value);
    }

    #[test]
    fn seed_list_response_round_trips() {
        // The product page's "Response format" example, verbatim: it parses, and serialises
        // back with our one addition beside the seed's fields, `sender_verified`.
        let seed = json!({
          "status": "success",
          "files": [
            {
              "message_id": "18d4a2b3c4d5e6f7",
              "filename": "cdsl_20250115_a1b2c3d4.pdf",
              "original_filename": "CDSL_CAS_Statement.pdf",
              "message_date": "2025-01-15",
              "cas_type": "cdsl",
              "size": 245000,
              "url": "https://storage.casparser.in/temp/cdsl_20250115_a1b2c3d4.pdf",
              "sender": "noreply@cdslindia.com",
              "subject": "Consolidated Account Statement"
            }
          ],
          "count": 1
        });
        let parsed: CasResponse = serde_json::from_value(seed.clone()).expect("parses");
        assert!(!parsed.files[0].sender_verified);
        let mut expected = seed;
        expected["files"][0]["sender_verified"] = json!(false);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), expected);
        round_trips::<CasResponse>(expected);
    }

    #[test]
    fn seed_connect_request_parses() {
        let body: ConnectRequest =
            serde_json::from_value(json!({"redirect_uri": "https://yourapp.com/oauth/callback"}))
                .unwrap();
        assert_eq!(
            body.redirect_uri.as_deref(),
            Some("https://yourapp.com/oauth/callback")
        );
        assert_eq!(body.state, None);
        round_trips::<ConnectRequest>(
            json!({"redirect_uri": "https://yourapp.com/oauth/callback", "state": "abc"}),
        );
    }

    #[test]
    fn responses_round_trip() {
        round_trips::<ConnectResponse>(json!({
            "status": "success",
            "oauth_url": "https://accounts.google.com/o/oauth2/v2/auth?client_id=x",
            "expires_in": 600
        }));
        round_trips::<StatusResponse>(json!({
            "status": "success", "connected": true, "email": "a@gmail.com",
            "provider": "gmail", "connected_at": "2025-01-15T10:00:00Z",
            "last_verified_at": "2025-01-15T10:05:00Z"
        }));
        round_trips::<DisconnectResponse>(
            json!({"status": "success", "msg": "Inbox disconnected"}),
        );
        round_trips::<ErrorBody>(
            json!({"status": "failed", "code": "INVALID_API_KEY", "msg": "Unknown API key"}),
        );
        round_trips::<CasRequest>(json!({
            "cas_types": ["cdsl", "cams"], "start_date": "2025-01-01",
            "end_date": "2025-01-31", "parse": true, "password": "ABCDE1234F"
        }));
        round_trips::<ParseRequest>(json!({
            "pdf_url": "https://example.com/a.pdf", "password": "ABCDE1234F"
        }));
    }

    #[test]
    fn all_optional_requests_accept_an_empty_object() {
        assert_eq!(
            serde_json::from_str::<CasRequest>("{}").unwrap(),
            CasRequest::default()
        );
        assert_eq!(
            serde_json::from_str::<ParseRequest>("{}").unwrap(),
            ParseRequest::default()
        );
    }
}
