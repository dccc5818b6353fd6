//! A worker's job: one connection's run, or one more attempt at delivering its event.

use super::model::{Delivery, ImportBatch, ImportSettings, ImportState, Job};
use super::ports::{Commit, Sent};
use super::webhook::{self, EVENT_CAS_IMPORTED, EVENT_RECONSENT_REQUIRED};
use super::{Imports, STATEMENT_PASSWORD, webhook_context};
use crate::api::{CasFile, FileError};
use crate::domain::cas_query::{CasQuery, ist};
use crate::domain::credits::PARSE_COST;
use crate::domain::model::{Connection, ConnectionStatus};
use crate::domain::ports::InfraError;
use crate::domain::service::{rfc3339, token_context};
use crate::domain::stored_files::file_key;
use crate::error::ErrorCode;
use cas_parser::Issuer;
use chrono::{DateTime, Days, NaiveDate, TimeZone};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// 0.2 credits for a run that finds at least one new statement (a run that finds nothing is
/// free), plus [`PARSE_COST`] per statement parsed.
pub const RUN_COST: Decimal = Decimal::from_parts(2, 0, 0, false, 1);

/// What a job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// New statements were imported and their event committed (and delivery tried).
    Imported {
        files: usize,
        charged: Decimal,
    },
    NothingNew,
    /// New statements were found but the balance did not cover them: nothing imported.
    Paused,
    ReconsentRequired,
    /// The slot was already run (a redelivered or duplicated message), or imports are off
    /// or the connection is gone: nothing to do but finish a pending delivery.
    Skipped,
    /// A delivery attempt was made (or was not due).
    Delivery,
    /// The run failed; its next run is due later (with backoff), `last_result` says `failed`.
    Failed,
}

/// `last_result` of a run that failed.
const FAILED: &str = "failed";

/// A job that must be tried again (SQS redelivers it after its visibility timeout; after
/// the queue's maxReceiveCount it goes to the dead-letter queue).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Retry(pub String);

impl From<InfraError> for Retry {
    fn from(e: InfraError) -> Self {
        Retry(e.0)
    }
}

/// Codes of a mail (or of one of its files) that failed for good: the same bytes fail the
/// same way on every run, so the mail is done.
const PERMANENT: [ErrorCode; 3] = [
    ErrorCode::FileTooLarge,
    ErrorCode::InvalidPdf,
    ErrorCode::UnsupportedFormat,
];

/// How long mails Google will not give may hold the cursor: after three days of runs (one
/// every hour) they are given up on, reported in the event's `errors` (with the code of
/// their last failure) and not tried again, so one mail Gmail always fails cannot keep a
/// connection running hourly over an ever longer window.
pub const GIVE_UP_UNREAD_SECONDS: i64 = 3 * 86_400;

/// Whether a mail with this error may be read another time: every code but the
/// [`PERMANENT`] ones (Google failing or refusing, a grant refused for one call, our own
/// failure, a code added later), so no mail is taken as done without having been read.
fn transient(code: &str) -> bool {
    !PERMANENT.iter().any(|p| p.as_str() == code)
}

fn day_start_ms(date: &str) -> Option<i64> {
    day_start_ms_of(NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?)
}

fn day_start_ms_of(day: NaiveDate) -> Option<i64> {
    let midnight = ist()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()?;
    Some(midnight.timestamp() * 1000)
}

/// The first of `slot + k·wait` (k ≥ 1) after `now`. Counted from the slot, not from the
/// worker's clock (a little after the dispatch that enqueued the run): `now + wait` would
/// miss the dispatch `wait` later by those seconds and wait for the one after, so a daily
/// run would come every 25 hours. A slot left long behind (a run that waited) does not
/// bring runs closer together than `wait` either.
pub(crate) fn next_slot(slot: i64, now: i64, wait: i64) -> i64 {
    let wait = wait.max(1);
    slot + ((now - slot).max(0) / wait + 1) * wait
}

/// The cursor whose next window starts where `query` starts (a window starts the day before
/// its cursor's day).
fn window_cursor(query: &CasQuery) -> Option<i64> {
    day_start_ms_of(query.start + Days::new(1))
}

/// The slim `parsed` of an event's file: the total and whether it reconciled.
fn parsed_summary(file: &CasFile) -> Option<Value> {
    let p = file.parsed.as_ref()?;
    Some(json!({
        // A JSON number, as in the parse result (not the decimal's string form).
        "summary": { "total_value": p.summary.total_value.to_f64() },
        "meta": { "reconciled": p.meta.reconciled },
    }))
}

fn file_entry(file: &CasFile) -> Value {
    let mut entry = json!({
        "message_id": file.message_id,
        "filename": file.filename,
        "original_filename": file.original_filename,
        "message_date": file.message_date,
        "cas_type": file.cas_type,
        "size": file.size,
        "url": file.url,
        "sender": file.sender,
        "subject": file.subject,
        "expires_in": file.expires_in,
        "sender_verified": file.sender_verified,
    });
    if let Some(parsed) = parsed_summary(file) {
        entry["parsed"] = parsed;
    }
    if let Some(e) = &file.parse_error {
        entry["parse_error"] = json!({ "code": e.code, "msg": e.msg });
    }
    entry
}

/// The body of a delivery: `{type, timestamp, data}`; the same bytes on every attempt.
pub fn event_body(batch: &ImportBatch) -> String {
    let data: Value = serde_json::from_str(&batch.data).unwrap_or(Value::Null);
    json!({
        "type": batch.event_type,
        "timestamp": rfc3339(batch.created_at),
        "data": data,
    })
    .to_string()
}

impl Imports {
    /// Handles one queue message.
    pub async fn handle(&self, job: &Job) -> Result<Outcome, Retry> {
        match job {
            Job::Run {
                connection_id,
                slot,
            } => self.run(connection_id, *slot).await,
            Job::Deliver {
                connection_id,
                slot,
            } => {
                self.deliver(connection_id, *slot, true).await?;
                Ok(Outcome::Delivery)
            }
        }
    }

    /// The search window of a run: from the day before the cursor's day (the first run: the
    /// last `first_run_days` days) to today, in IST like every listing.
    fn query(&self, settings: &ImportSettings) -> CasQuery {
        let now = DateTime::from_timestamp(self.inbox.clock.now(), 0).unwrap_or_default();
        let today = now.with_timezone(&ist()).date_naive();
        let start = match settings.cursor_ms {
            Some(ms) => {
                DateTime::from_timestamp(ms / 1000, 0)
                    .unwrap_or_default()
                    .with_timezone(&ist())
                    .date_naive()
                    - Days::new(1)
            }
            None => today - Days::new(self.config.first_run_days),
        };
        CasQuery {
            types: if settings.cas_types.is_empty() {
                Issuer::ALL.to_vec()
            } else {
                settings.cas_types.clone()
            },
            start: start.min(today),
            end: today,
            parse_password: None,
            strict: false,
        }
    }

    /// Runs the import of `connection_id` due at `slot`.
    pub async fn run(&self, connection_id: &str, slot: i64) -> Result<Outcome, Retry> {
        let Some(settings) = self.store.settings(connection_id).await? else {
            return Ok(Outcome::Skipped);
        };
        if settings.next_run_at != Some(slot)
            || !settings.enabled
            || settings.state == ImportState::ReconsentRequired
        {
            // Done already (this is a redelivery or a duplicate): finish its first delivery
            // if the worker that committed it stopped before.
            self.deliver(connection_id, slot, false).await?;
            return Ok(Outcome::Skipped);
        }
        let connection = match self.inbox.store.connection(connection_id).await? {
            Some(c) if c.tenant_id == settings.tenant_id => c,
            _ => {
                // Disconnected: the settings go quiet (off the due index).
                let mut off = settings.clone();
                off.version += 1;
                off.enabled = false;
                off.next_run_at = None;
                self.store
                    .save_settings(&off, Some(settings.version))
                    .await?;
                return Ok(Outcome::Skipped);
            }
        };
        if connection.status == ConnectionStatus::Revoked {
            return self.reconsent(&settings, &connection, slot).await;
        }
        match self.import(&settings, &connection, slot).await {
            Err(e) => self.failed(&settings, slot, e).await,
            done => done,
        }
    }

    /// A run that failed (Google down, the password's key or the table unreachable) moves its
    /// next run on, with backoff, and says so in `last_result`: left at its slot it would be
    /// dispatched again only while the slot's day is within the dispatcher's look-back, then
    /// never, while its status still read enabled and active. The first failure is due again
    /// `retry_soon_seconds` later, each next one twice as long after the last (the time from
    /// the last failed run to this slot), at most `interval_seconds`; the dispatch after that
    /// runs it. If even that cannot be written, SQS tries the job again.
    async fn failed(
        &self,
        settings: &ImportSettings,
        slot: i64,
        error: Retry,
    ) -> Result<Outcome, Retry> {
        let now = self.inbox.clock.now();
        let retry = self.config.retry_soon_seconds.max(1);
        let interval = self.config.interval_seconds.max(retry);
        let wait = match settings.last_run_at {
            Some(last) if settings.last_result.as_deref() == Some(FAILED) => {
                (2 * (slot - last)).clamp(retry, interval)
            }
            _ => retry,
        };
        let mut next = settings.clone();
        next.version += 1;
        next.last_run_at = Some(now);
        next.last_result = Some(FAILED.into());
        next.next_run_at = Some(now + wait);
        match self
            .store
            .save_settings(&next, Some(settings.version))
            .await
        {
            Ok(true) => {
                tracing::warn!(connection_id = %settings.connection_id, error = %error, next_run_at = ?next.next_run_at, "import run failed");
                Ok(Outcome::Failed)
            }
            _ => Err(error),
        }
    }

    /// The run's work once the connection is known to be live: list what is new, parse it,
    /// commit, deliver.
    async fn import(
        &self,
        settings: &ImportSettings,
        connection: &Connection,
        slot: i64,
    ) -> Result<Outcome, Retry> {
        let connection_id = connection.id.as_str();
        let query = self.query(settings);
        if settings.state == ImportState::PausedNoCredits {
            // The paused run found new statements and nothing was imported since: this one
            // finds them again and costs RUN_COST at least. Below that, it stays paused
            // without fetching or parsing anything.
            let balance = self
                .inbox
                .store
                .tenant(&settings.tenant_id)
                .await?
                .map_or(Decimal::ZERO, |t| t.credits);
            if balance < RUN_COST {
                return self.pause(settings, slot, &query).await;
            }
        }
        let known: BTreeSet<String> = settings.imported.keys().cloned().collect();
        let listed = match self
            .inbox
            .gather_new(connection, &query, &known, &self.config.link_base)
            .await
        {
            Ok(listed) => listed,
            Err(e) if e.code == ErrorCode::ReconsentRequired => {
                return self.reconsent(settings, connection, slot).await;
            }
            Err(e) => return Err(Retry(format!("{}: {}", e.code.as_str(), e.msg))),
        };
        // A mail that could not be read this time is left whole for a run soon after, unless
        // mails have held the cursor too long already.
        let started = self.inbox.clock.now();
        let give_up = settings
            .held_since
            .is_some_and(|since| started - since >= GIVE_UP_UNREAD_SECONDS);
        let unread: BTreeSet<String> = listed
            .errors
            .iter()
            .filter(|e| !give_up && transient(&e.code))
            .filter_map(|e| e.message_id.clone())
            .collect();
        let mut files: Vec<CasFile> = listed
            .files
            .into_iter()
            .filter(|f| !unread.contains(&f.message_id))
            .collect();
        let errors: Vec<FileError> = listed
            .errors
            .into_iter()
            .filter(|e| e.message_id.as_ref().is_none_or(|id| !unread.contains(id)))
            .collect();
        let parsed = if settings.parse && !files.is_empty() {
            self.parse_all(settings, &mut files).await?
        } else {
            0
        };

        let now = self.inbox.clock.now();
        let mut next = settings.clone();
        next.version += 1;
        next.state = ImportState::Active;
        next.last_run_at = Some(now);
        next.next_run_at = Some(next_slot(
            slot,
            now,
            if unread.is_empty() {
                self.config.interval_seconds
            } else {
                self.config.retry_soon_seconds
            },
        ));
        let mails = files
            .iter()
            .map(|f| (f.message_id.clone(), f.message_date.clone()))
            .chain(errors.iter().filter_map(|e| {
                // A mail whose files failed for good (too large, not a PDF) is done too;
                // its date is the window's last day at most.
                e.message_id
                    .clone()
                    .map(|id| (id, query.end.format("%Y-%m-%d").to_string()))
            }));
        // A mail left unread holds the cursor where it was, so the next window still holds
        // it (its date is unknown when the mail itself could not be fetched); the mails done
        // are in `imported` all the same, so they are not imported twice. A first run that
        // leaves one pins its window's start.
        let held = !unread.is_empty();
        next.held_since = held.then(|| settings.held_since.unwrap_or(now));
        if give_up {
            tracing::warn!(
                connection_id,
                "mails unread for days are given up on and reported"
            );
        }
        for (id, date) in mails {
            let ms = day_start_ms(&date).unwrap_or(0);
            next.imported.insert(id, ms);
            if !held {
                next.cursor_ms = Some(next.cursor_ms.map_or(ms, |c| c.max(ms)));
            }
        }
        if held && next.cursor_ms.is_none() {
            next.cursor_ms = window_cursor(&query);
        }
        if let Some(cursor) = next.cursor_ms {
            // The next window starts the day before the cursor's day: older ids cannot recur.
            let floor = cursor - 2 * 86_400_000;
            next.imported.retain(|_, ms| *ms >= floor);
        }
        // Mails done without a statement (too large, not a PDF, given up on) are still told:
        // an event with no files and their errors, free.
        let failed_mails: Vec<FileError> = errors
            .iter()
            .filter(|e| e.message_id.is_some())
            .cloned()
            .collect();
        if files.is_empty() && !failed_mails.is_empty() {
            next.last_result = Some("nothing_new".into());
            let data = json!({
                "connection_id": connection.id,
                "email": connection.email,
                "files": [],
                "count": 0,
                "errors": failed_mails,
            });
            let batch = self.batch(connection, slot, EVENT_CAS_IMPORTED, &data);
            return match self
                .store
                .commit(&next, settings.version, Some(&batch), Decimal::ZERO)
                .await?
            {
                Commit::Committed | Commit::Conflict => {
                    self.deliver(connection_id, slot, false).await?;
                    Ok(Outcome::NothingNew)
                }
                // A zero charge is never refused.
                Commit::InsufficientCredits => Ok(Outcome::Skipped),
            };
        }
        if files.is_empty() {
            next.last_result = Some("nothing_new".into());
            return match self
                .store
                .commit(&next, settings.version, None, Decimal::ZERO)
                .await?
            {
                Commit::Committed => Ok(Outcome::NothingNew),
                _ => Ok(Outcome::Skipped),
            };
        }
        next.last_result = Some("imported".into());
        let charge = RUN_COST + PARSE_COST * Decimal::from(parsed);
        let data = json!({
            "connection_id": connection.id,
            "email": connection.email,
            "files": files.iter().map(file_entry).collect::<Vec<_>>(),
            "count": files.len(),
            "errors": errors,
        });
        let batch = self.batch(connection, slot, EVENT_CAS_IMPORTED, &data);
        match self
            .store
            .commit(&next, settings.version, Some(&batch), charge)
            .await?
        {
            Commit::Committed => {
                tracing::info!(connection_id, files = files.len(), %charge, "import committed");
                self.deliver(connection_id, slot, false).await?;
                Ok(Outcome::Imported {
                    files: files.len(),
                    charged: charge,
                })
            }
            Commit::Conflict => {
                // Another run of the slot committed, or this one did and its answer was lost:
                // either way its batch may wait for a first delivery that nothing else makes.
                self.deliver(connection_id, slot, false).await?;
                Ok(Outcome::Skipped)
            }
            Commit::InsufficientCredits => {
                tracing::info!(connection_id, %charge, "import paused: not enough credits");
                self.pause(settings, slot, &query).await
            }
        }
    }

    /// Nothing imported (the cursor stays; a first run's window keeps the start it had, so
    /// what it found does not slide out of the 30 days while the tenant is out of credits):
    /// tried again `paused_retry_seconds` after the slot.
    async fn pause(
        &self,
        settings: &ImportSettings,
        slot: i64,
        query: &CasQuery,
    ) -> Result<Outcome, Retry> {
        let now = self.inbox.clock.now();
        let mut paused = settings.clone();
        paused.version += 1;
        paused.state = ImportState::PausedNoCredits;
        paused.last_run_at = Some(now);
        paused.last_result = Some("paused_no_credits".into());
        paused.next_run_at = Some(next_slot(slot, now, self.config.paused_retry_seconds));
        if paused.cursor_ms.is_none() {
            paused.cursor_ms = window_cursor(query);
        }
        self.store
            .commit(&paused, settings.version, None, Decimal::ZERO)
            .await?;
        Ok(Outcome::Paused)
    }

    /// Parses every file with the stored password; returns how many parsed.
    async fn parse_all(
        &self,
        settings: &ImportSettings,
        files: &mut [CasFile],
    ) -> Result<usize, Retry> {
        let Some(ciphertext) = &settings.password_ciphertext else {
            return Ok(0);
        };
        let context = token_context(
            &settings.connection_id,
            &settings.tenant_id,
            STATEMENT_PASSWORD,
        );
        let password = self.inbox.keys.decrypt(ciphertext, &context).await?;
        let password = String::from_utf8(password).map_err(|_| Retry("password".into()))?;
        let mut parsed = 0;
        for file in files.iter_mut() {
            let key = file_key(&settings.connection_id, &file.filename);
            let Some(bytes) = self.inbox.files.get(&key).await? else {
                return Err(Retry(format!("stored file {} is gone", file.filename)));
            };
            match self
                .inbox
                .parse_pdf(bytes, password.clone(), None, false)
                .await
            {
                Ok(portfolio) => {
                    file.parsed = Some(Box::new(portfolio));
                    parsed += 1;
                }
                Err(e) => {
                    file.parse_error = Some(FileError {
                        message_id: None,
                        filename: None,
                        code: e.code.as_str().to_string(),
                        msg: e.msg,
                    });
                }
            }
        }
        Ok(parsed)
    }

    fn batch(
        &self,
        connection: &Connection,
        slot: i64,
        event_type: &str,
        data: &Value,
    ) -> ImportBatch {
        ImportBatch {
            id: ImportBatch::id_for(&connection.id, slot),
            tenant_id: connection.tenant_id.clone(),
            connection_id: connection.id.clone(),
            slot,
            created_at: self.inbox.clock.now(),
            event_type: event_type.to_string(),
            data: data.to_string(),
            delivery: Delivery::Pending,
            attempts: 0,
            last_error: None,
        }
    }

    /// Google refused the grant: imports stop and the tenant hears of it once.
    async fn reconsent(
        &self,
        settings: &ImportSettings,
        connection: &Connection,
        slot: i64,
    ) -> Result<Outcome, Retry> {
        let mut next = settings.clone();
        next.version += 1;
        next.state = ImportState::ReconsentRequired;
        next.next_run_at = None;
        next.last_run_at = Some(self.inbox.clock.now());
        next.last_result = Some("reconsent_required".into());
        let data = json!({ "connection_id": connection.id, "email": connection.email });
        let batch = self.batch(connection, slot, EVENT_RECONSENT_REQUIRED, &data);
        // Committed or not (a conflict may be this very commit, its answer lost), the
        // slot's batch gets its first delivery if nothing made it yet.
        self.store
            .commit(&next, settings.version, Some(&batch), Decimal::ZERO)
            .await?;
        self.deliver(&connection.id, slot, false).await?;
        Ok(Outcome::ReconsentRequired)
    }

    /// One delivery attempt of the batch of `slot`, if it is pending. `retry` is a scheduled
    /// attempt; otherwise only a first attempt is made (a run's own, or a redelivered run's
    /// whose worker stopped before it).
    pub async fn deliver(&self, connection_id: &str, slot: i64, retry: bool) -> Result<(), Retry> {
        let Some(mut batch) = self.store.batch(connection_id, slot).await? else {
            return Ok(());
        };
        if batch.delivery != Delivery::Pending || (!retry && batch.attempts > 0) {
            return Ok(());
        }
        let now = self.inbox.clock.now();
        if !self
            .store
            .claim_delivery(connection_id, slot, now, now + self.config.lease_seconds)
            .await?
        {
            // Another worker is delivering it; look again later.
            return Err(Retry("delivery in progress elsewhere".into()));
        }
        let Some(hook) = self.store.webhook(&batch.tenant_id).await? else {
            batch.delivery = Delivery::NoWebhook;
            self.store.record_delivery(&batch).await?;
            return Ok(());
        };
        let secret = self
            .inbox
            .keys
            .decrypt(&hook.secret_ciphertext, &webhook_context(&batch.tenant_id))
            .await?;
        let secret = String::from_utf8(secret).map_err(|_| Retry("webhook secret".into()))?;
        let body = event_body(&batch);
        let headers = webhook::headers(&secret, &batch.id, now, &body)
            .ok_or_else(|| Retry("the stored webhook secret is not a whsec_ secret".into()))?;
        let sent = self.sender.post(&hook.url, &headers, &body).await;
        batch.attempts += 1;
        match sent {
            Sent::Status(code) if (200..300).contains(&code) => {
                batch.delivery = Delivery::Delivered;
                batch.last_error = None;
            }
            failed => {
                batch.last_error = Some(match failed {
                    Sent::Status(code) => format!("the receiver answered {code}"),
                    Sent::Failed(why) => why,
                });
                match self.config.retry_delays.get(batch.attempts as usize - 1) {
                    Some(delay) => {
                        // Enqueued before it is recorded: a stop in between repeats an
                        // attempt (same webhook-id) rather than losing the event.
                        let job = Job::Deliver {
                            connection_id: connection_id.to_string(),
                            slot,
                        };
                        self.queue.send(&[job], (*delay).min(900)).await?;
                    }
                    None => batch.delivery = Delivery::Failed,
                }
            }
        }
        tracing::info!(connection_id, batch = %batch.id, attempts = batch.attempts, delivery = batch.delivery.as_str(), "webhook delivery");
        self.store.record_delivery(&batch).await?;
        Ok(())
    }
}
