//! Wire models of the scheduled-import endpoints: `POST /v4/inbox/import`,
//! `POST /v4/webhook`, `GET /v4/inbox/imports` and the `import` block of
//! `POST /v4/inbox/status`.

use super::Outcome;
use serde::{Deserialize, Serialize};

/// `POST /v4/inbox/import` (its `Debug` hides the password).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub enabled: Option<bool>,
    /// The statements' password (needed with `parse: true`); kept encrypted, never returned.
    pub password: Option<String>,
    pub cas_types: Option<Vec<String>>,
    pub parse: Option<bool>,
}

impl std::fmt::Debug for ImportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportRequest")
            .field("enabled", &self.enabled)
            .field(
                "password",
                &format_args!("{}", crate::api::redacted(&self.password)),
            )
            .field("cas_types", &self.cas_types)
            .field("parse", &self.parse)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportResponse {
    pub status: Outcome,
    pub enabled: bool,
    /// RFC 3339 time of the next run (null when imports are off).
    pub next_run_at: Option<String>,
}

/// `POST /v4/webhook`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    pub url: Option<String>,
}

/// The only answer that ever holds the signing secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookResponse {
    pub status: Outcome,
    pub url: String,
    /// `whsec_<base64>`: shown once; keep it to verify deliveries.
    pub secret: String,
}

impl std::fmt::Debug for WebhookResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookResponse")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// `import` in `POST /v4/inbox/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportStatus {
    pub enabled: bool,
    /// `active`, `paused_no_credits` or `reconsent_required`.
    pub state: String,
    pub last_run_at: Option<String>,
    pub last_result: Option<String>,
    pub next_run_at: Option<String>,
}

/// One batch at `GET /v4/inbox/imports`: the webhook event and how its delivery went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportEntry {
    /// The event's `webhook-id`.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub timestamp: String,
    /// `pending`, `delivered`, `failed` or `no_webhook`.
    pub delivery: String,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub data: serde_json::Value,
}

/// `GET /v4/inbox/imports?limit=&after=`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportsResponse {
    pub status: Outcome,
    /// The connection's import settings and last run (null when imports were never set).
    pub import: Option<ImportStatus>,
    pub imports: Vec<ImportEntry>,
    pub count: usize,
    /// Pass as `after` for the next (older) page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
