//! Scheduled imports (issue 13): every connection that opted in is run on a schedule; a run
//! lists only what is new since its cursor (the listing use case does the Gmail work), parses
//! it if asked, charges, and hands the tenant one signed webhook event.
//!
//! The pieces: an EventBridge schedule invokes [`Imports::dispatch`], which pages through the
//! due index and enqueues one [`model::Job`] per due connection; workers take one job per SQS
//! message ([`Imports::handle`]). A run's settings update, its batch (the event) and its
//! charge are one conditional DynamoDB transaction on the settings' version, so a redelivered
//! or duplicated message can never import, charge or announce the same mails twice.

pub mod dispatch;
pub mod manage;
pub mod model;
pub mod ports;
pub mod run;
pub mod webhook;

#[cfg(test)]
pub(crate) mod fakes;
#[cfg(test)]
mod tests;

use super::ports::EncryptionContext;
use super::service::Inbox;
use crate::api::imports::ImportStatus;
use ports::{ImportStore, Queue, WebhookSender};
use std::sync::Arc;

/// Timings and switches of scheduled imports.
#[derive(Debug, Clone)]
pub struct ImportConfig {
    /// Time between two runs of a connection.
    pub interval_seconds: i64,
    /// Next run of a connection some of whose mails could not be read (Google failing).
    pub retry_soon_seconds: i64,
    /// Next run of a connection paused for lack of credits.
    pub paused_retry_seconds: i64,
    /// Waits before the 2nd, 3rd, … delivery attempt of a webhook event (each ≤ 900 s, the
    /// longest SQS delay). After the last, the batch is `failed`.
    pub retry_delays: Vec<u32>,
    /// How long one worker holds a batch's delivery before another may try.
    pub lease_seconds: i64,
    /// Webhooks may be plain http to loopback (local mode only).
    pub allow_local_webhooks: bool,
    /// The base of the download links in events (`PUBLIC_BASE_URL`).
    pub link_base: String,
    /// How far back the first run looks.
    pub first_run_days: u64,
    /// Days of due-index buckets the dispatcher reads back from today.
    pub lookback_days: i64,
}

/// The documented delivery schedule: at once, then after 30 s, 2 min, 10 min and 15 min.
pub const DEFAULT_RETRY_DELAYS: [u32; 4] = [30, 120, 600, 900];

impl Default for ImportConfig {
    fn default() -> Self {
        Self {
            interval_seconds: 86_400,
            retry_soon_seconds: 900,
            paused_retry_seconds: 3_600,
            retry_delays: DEFAULT_RETRY_DELAYS.to_vec(),
            lease_seconds: 60,
            allow_local_webhooks: false,
            link_base: String::new(),
            first_run_days: 30,
            lookback_days: 7,
        }
    }
}

/// The scheduled-imports use cases over the inbox and their own ports.
#[derive(Clone)]
pub struct Imports {
    pub inbox: Inbox,
    pub store: Arc<dyn ImportStore>,
    pub queue: Arc<dyn Queue>,
    pub sender: Arc<dyn WebhookSender>,
    pub config: ImportConfig,
}

pub(crate) const STATEMENT_PASSWORD: &str = "statement_password";

/// The encryption context of a tenant's webhook secret: the same three keys as every KMS
/// call (the key policy requires exactly those), with the connection slot naming the
/// tenant's webhook rather than a connection.
pub fn webhook_context(tenant_id: &str) -> EncryptionContext {
    crate::domain::service::token_context("webhook", tenant_id, "webhook_secret")
}

/// A connection's `import` block (`POST /v4/inbox/status`, `GET /v4/inbox/imports`); None
/// when imports were never set up for it.
pub async fn import_status(
    store: &dyn ImportStore,
    connection_id: &str,
) -> Result<Option<ImportStatus>, crate::error::ApiError> {
    let settings = store
        .settings(connection_id)
        .await
        .map_err(crate::error::ApiError::internal)?;
    Ok(settings.map(|s| ImportStatus {
        enabled: s.enabled,
        state: s.state.as_str().to_string(),
        last_run_at: s.last_run_at.map(super::service::rfc3339),
        last_result: s.last_result,
        next_run_at: s.next_run_at.map(super::service::rfc3339),
    }))
}
