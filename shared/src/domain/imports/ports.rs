//! The outside world of scheduled imports: where settings and batches live (DynamoDB), the
//! queue of work (SQS) and the tenant's webhook receiver (HTTPS).

use super::model::{ImportBatch, ImportSettings, Job, WebhookEndpoint};
use crate::domain::ports::InfraError;
use async_trait::async_trait;
use rust_decimal::Decimal;

/// What [`ImportStore::commit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Settings, batch and charge are written, all together.
    Committed,
    /// The settings changed since they were read (another run of the slot committed, or the
    /// tenant changed them), or the batch exists already: nothing was written.
    Conflict,
    /// The tenant's balance is below the charge: nothing was written.
    InsufficientCredits,
}

/// One page of connections due for a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuePage {
    /// `(connection id, slot)`.
    pub due: Vec<(String, i64)>,
    pub next: Option<String>,
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    async fn settings(&self, connection_id: &str) -> Result<Option<ImportSettings>, InfraError>;
    /// Writes `settings` if the stored version is `expected` (None: nothing stored yet).
    /// False when it is not: nothing was written.
    async fn save_settings(
        &self,
        settings: &ImportSettings,
        expected: Option<u64>,
    ) -> Result<bool, InfraError>;
    /// In one transaction: the settings (stored version must be `expected`), the batch (must
    /// not exist) and the tenant's charge (balance must cover it; zero charges nothing).
    async fn commit(
        &self,
        settings: &ImportSettings,
        expected: u64,
        batch: Option<&ImportBatch>,
        charge: Decimal,
    ) -> Result<Commit, InfraError>;
    /// Connections of due-index bucket `bucket` whose run is due at or before `now`.
    async fn due_page(
        &self,
        bucket: &str,
        now: i64,
        page: Option<String>,
    ) -> Result<DuePage, InfraError>;
    async fn batch(
        &self,
        connection_id: &str,
        slot: i64,
    ) -> Result<Option<ImportBatch>, InfraError>;
    /// Takes the batch's delivery lease until `until` if it is pending and no lease runs at
    /// `now`: only one worker delivers a batch at a time.
    async fn claim_delivery(
        &self,
        connection_id: &str,
        slot: i64,
        now: i64,
        until: i64,
    ) -> Result<bool, InfraError>;
    /// Records an attempt's outcome (delivery, attempts, last_error) and ends the lease.
    async fn record_delivery(&self, batch: &ImportBatch) -> Result<(), InfraError>;
    /// The connection's batches, newest first, `limit` a page, after the opaque `after`.
    async fn batches(
        &self,
        connection_id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<ImportBatch>, Option<String>), InfraError>;
    async fn webhook(&self, tenant_id: &str) -> Result<Option<WebhookEndpoint>, InfraError>;
    /// Deletes the connection's import settings (its stored statement password with them)
    /// and every batch it kept: a disconnected or replaced connection leaves nothing behind.
    /// The settings go first, so a run in flight fails its commit (conditional on their
    /// version) and cannot add a batch after the batches are gone.
    async fn forget(&self, connection_id: &str) -> Result<(), InfraError>;
    async fn put_webhook(&self, webhook: &WebhookEndpoint) -> Result<(), InfraError>;
}

/// The imports queue (SQS with a dead-letter queue).
#[async_trait]
pub trait Queue: Send + Sync {
    /// Enqueues `jobs`, each visible after `delay_seconds` (at most 900).
    async fn send(&self, jobs: &[Job], delay_seconds: u32) -> Result<(), InfraError>;
}

/// One HTTP POST to a tenant's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The receiver answered with this status.
    Status(u16),
    /// No answer: refused, unreachable, timed out, or the URL is no longer allowed.
    Failed(String),
}

#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Why `url` may not receive webhooks (its host resolves to a private or reserved
    /// address, or does not resolve), or Ok. Checked when the webhook is set and again, by
    /// the adapter, before every delivery.
    async fn vet(&self, url: &str) -> Result<(), String>;
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> Sent;
}
