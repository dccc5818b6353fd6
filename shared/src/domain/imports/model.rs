//! What scheduled imports keep: per connection its settings and cursor, per run that found
//! something a batch (the webhook event and its delivery), per tenant its webhook.

use cas_parser::Issuer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a connection's imports run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportState {
    /// Runs on schedule (when `enabled`).
    Active,
    /// The last run found new statements but the tenant lacked the credits: nothing was
    /// imported (the cursor did not move); it is tried again and resumes once credits exist.
    PausedNoCredits,
    /// Google refused the grant: imports stop until the inbox is connected again.
    ReconsentRequired,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::PausedNoCredits => "paused_no_credits",
            Self::ReconsentRequired => "reconsent_required",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "paused_no_credits" => Some(Self::PausedNoCredits),
            "reconsent_required" => Some(Self::ReconsentRequired),
            _ => None,
        }
    }
}

/// One connection's import settings and cursor. Saved only with a conditional write on
/// `version` (the stored one must be `version - 1`), so two runs of the same slot, or a run
/// and a settings change, can never both land.
#[derive(Clone, PartialEq)]
pub struct ImportSettings {
    pub connection_id: String,
    pub tenant_id: String,
    pub enabled: bool,
    pub state: ImportState,
    /// The statements' password, KMS ciphertext under the connection's encryption context
    /// (purpose `statement_password`); needed only with `parse`.
    pub password_ciphertext: Option<Vec<u8>>,
    pub cas_types: Vec<Issuer>,
    pub parse: bool,
    /// The newest imported mail's arrival (Gmail internalDate, ms); None before the first run.
    pub cursor_ms: Option<i64>,
    /// Mails already imported (Gmail message id → arrival in ms). A mail never changes, so
    /// its id names its attachments; Gmail's attachmentId is not stable across fetches. Ids
    /// older than the search window are dropped (the search cannot return them again).
    pub imported: BTreeMap<String, i64>,
    /// When the next run is due (epoch seconds); None when imports are off or stopped. This
    /// is what the due index holds, and what a queued run names as its `slot`.
    pub next_run_at: Option<i64>,
    pub last_run_at: Option<i64>,
    /// `imported`, `nothing_new`, `paused_no_credits`, `reconsent_required` or `failed` (the
    /// run could not finish; it is due again later, backing off).
    pub last_result: Option<String>,
    /// Since when (epoch seconds) mails Google would not give have held the cursor; None when
    /// no mail is held. Past `GIVE_UP_UNREAD_SECONDS` (run.rs) they are given up on: reported
    /// in the next event's `errors` and not tried again.
    pub held_since: Option<i64>,
    pub version: u64,
}

impl std::fmt::Debug for ImportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSettings")
            .field("connection_id", &self.connection_id)
            .field("enabled", &self.enabled)
            .field("state", &self.state)
            .field("next_run_at", &self.next_run_at)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Where a batch's webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Not yet delivered; more attempts are scheduled.
    Pending,
    Delivered,
    /// Every attempt of the retry schedule failed; the batch stays readable at
    /// `GET /v4/inbox/imports`.
    Failed,
    /// The tenant has no webhook; the batch is only readable at `GET /v4/inbox/imports`.
    NoWebhook,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::NoWebhook => "no_webhook",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "failed" => Some(Self::Failed),
            "no_webhook" => Some(Self::NoWebhook),
            _ => None,
        }
    }
}

/// What one run produced for the tenant: a webhook event, kept with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBatch {
    /// `imp_<slot>_<connection id>`: one per run, the webhook-id of every delivery attempt.
    pub id: String,
    pub tenant_id: String,
    pub connection_id: String,
    /// The run's slot (its `next_run_at`).
    pub slot: i64,
    pub created_at: i64,
    /// `inbox.cas_imported` or `inbox.reconsent_required`.
    pub event_type: String,
    /// The event's `data`, as JSON text.
    pub data: String,
    pub delivery: Delivery,
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl ImportBatch {
    pub fn id_for(connection_id: &str, slot: i64) -> String {
        format!("imp_{slot}_{connection_id}")
    }
}

/// A tenant's webhook endpoint; the signing secret only as KMS ciphertext.
#[derive(Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub tenant_id: String,
    pub url: String,
    pub secret_ciphertext: Vec<u8>,
    pub created_at: i64,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("tenant_id", &self.tenant_id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A message on the imports queue: one connection's work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Run the connection's import due at `slot`.
    Run { connection_id: String, slot: i64 },
    /// Attempt the webhook delivery of the batch of `slot` again.
    Deliver { connection_id: String, slot: i64 },
}

impl Job {
    pub fn connection_id(&self) -> &str {
        match self {
            Self::Run { connection_id, .. } | Self::Deliver { connection_id, .. } => connection_id,
        }
    }
}
