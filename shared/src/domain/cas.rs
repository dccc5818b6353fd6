//! `POST /v4/inbox/cas`: find every CAS statement in the window, store each PDF once, and hand
//! out 24-hour links.

use super::cas_mail::{classify, gmail_query, is_pdf};
use super::cas_query::{CasQuery, ist};
use super::credits::{CreditMeter, LIST_COST, PARSE_COST, charge, insufficient};
use super::links::LINK_TTL_SECONDS;
use super::model::{Connection, ConnectionStatus};
use super::ports::{GoogleError, MAX_PART_DEPTH, MailMessage};
use super::secrets::sha256_hex;
use super::service::{Caller, Inbox, reconsent_required};
use super::stored_files::{SignedLink, file_key, files_prefix};
use crate::api::{CasFile, CasRequest, CasResponse, CreditUsage, FileError, Outcome};
use crate::error::{ApiError, ErrorCode};
use cas_parser::Issuer;
use chrono::DateTime;
use futures::FutureExt;
use futures::stream::{self, StreamExt};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

/// Pages of 500 ids: a bound so a runaway mailbox cannot keep a call past its time limit.
const MAX_PAGES: usize = 40;
/// The largest attachment a listing downloads (the cap on PDFs everywhere). Gmail declares
/// each part's size, so a larger one is reported without being fetched.
pub const MAX_ATTACHMENT_BYTES: u64 = super::MAX_PDF_BYTES as u64;

fn too_large_msg(size: u64) -> String {
    format!(
        "The attachment is {size} bytes; attachments over {} MB are not downloaded",
        MAX_ATTACHMENT_BYTES / (1024 * 1024)
    )
}

/// The access token in use during one listing, refreshed at most once on a 401.
struct Session<'a> {
    inbox: &'a Inbox,
    connection: &'a Connection,
    token: Mutex<(String, bool)>,
}

impl Session<'_> {
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, ApiError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, GoogleError>>,
    {
        let token = self.token.lock().await.0.clone();
        match f(token.clone()).await {
            Err(GoogleError::Unauthorized) => {
                let fresh = {
                    let mut guard = self.token.lock().await;
                    if guard.0 == token && !guard.1 {
                        guard.0 = self.inbox.access_token(self.connection, true).await?;
                        guard.1 = true;
                    }
                    guard.0.clone()
                };
                match f(fresh).await {
                    Err(GoogleError::Unauthorized) => Err(reconsent_required()),
                    other => other.map_err(google_error),
                }
            }
            other => other.map_err(google_error),
        }
    }
}

fn google_error(e: GoogleError) -> ApiError {
    match e {
        GoogleError::InvalidGrant => reconsent_required(),
        GoogleError::TooLarge { limit } => ApiError::new(
            ErrorCode::FileTooLarge,
            format!("Gmail's answer is over {limit} bytes, more than this service reads"),
        ),
        other => ApiError::upstream(other),
    }
}

/// What every mail of one listing is read with.
struct Reading<'a> {
    session: Session<'a>,
    query: &'a CasQuery,
    window: (i64, i64),
    link_base: &'a str,
    deadline: Option<Instant>,
    /// Statements parsed at once (`parse: true`): each parse holds its file and the parser's
    /// working memory, so they are few whatever `fetch_concurrency` is.
    parse_slots: Arc<Semaphore>,
    /// Parses charged so far, so a listing that still fails can give them back.
    parses_charged: AtomicU32,
}

/// Runs `work`, turning a panic inside it into a 500 (its detail is logged by the panic hook)
/// so that the caller can still settle the credits.
async fn guarded<T>(work: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("a listing panicked")))
}

/// `work`, or a 502 if it is still running at `deadline`.
async fn within<T>(
    deadline: Option<Instant>,
    work: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| {
                Err(ApiError::upstream(
                    "the mailbox search outlasted the listing",
                ))
            }),
        None => work.await,
    }
}

/// A failure of one mail (`filename: None`) or of one of its attachments.
fn file_error(
    message_id: &str,
    filename: Option<&str>,
    code: ErrorCode,
    msg: impl Into<String>,
) -> FileError {
    FileError {
        message_id: Some(message_id.to_string()),
        filename: filename.map(str::to_string),
        code: code.as_str().to_string(),
        msg: msg.into(),
    }
}

impl Inbox {
    /// Lists the caller's CAS files; the credit usage is reported even when the call fails.
    ///
    /// Billing: the balance is checked first (402 before any Google call), and the 0.2 credits
    /// are taken only once the mailbox search has succeeded, the last step that can fail the
    /// listing as a whole. A listing that fails, panics or is stopped before that has cost
    /// nothing. After it each mail is read on its own: its failure, its panic, or its still
    /// being read at `deadline` is an entry in `errors`, and the listing answers with the rest.
    /// Should that part panic all the same, every credit the call took is given back.
    pub async fn cas(
        &self,
        caller: &Caller,
        inbox_token: Option<&str>,
        request: &CasRequest,
        link_base: &str,
        deadline: Option<Instant>,
        meter: &CreditMeter,
    ) -> Result<CasResponse, ApiError> {
        let today = self.clock_now().with_timezone(&ist()).date_naive();
        let query = CasQuery::parse(request, today)?;
        let connection = self.connection_for(caller, inbox_token).await?;
        if connection.status == ConnectionStatus::Revoked {
            return Err(reconsent_required());
        }
        if caller.tenant.credits < LIST_COST {
            return Err(insufficient(LIST_COST, caller.tenant.credits));
        }
        let (session, ids) = within(deadline, guarded(self.search(&connection, &query))).await?;
        meter.set(charge(self.store.as_ref(), &caller.tenant.id, LIST_COST).await?);
        let reading = Reading {
            session,
            query: &query,
            window: query.window(),
            link_base,
            deadline,
            parse_slots: Arc::new(Semaphore::new(self.settings.parse_concurrency.max(1))),
            parses_charged: AtomicU32::new(0),
        };
        let listed = guarded(async {
            let listed = self.read_mails(&reading, ids).await;
            self.still_connected(&connection).await?;
            Ok(listed)
        })
        .await;
        let parses = Decimal::from(reading.parses_charged.load(Ordering::SeqCst));
        match listed {
            Ok(listed) => {
                // A parse charged for a mail then cut off by the deadline (or a duplicate
                // dropped) is not in the answer: only the parses delivered are billed.
                let delivered =
                    Decimal::from(listed.files.iter().filter(|f| f.parsed.is_some()).count());
                if parses > delivered {
                    let lost = PARSE_COST * (parses - delivered);
                    if let Err(e) = self.store.add_credits(&caller.tenant.id, lost).await {
                        tracing::error!(tenant_id = %caller.tenant.id, %lost, error = %e, "refunding undelivered parses failed");
                    }
                }
                if parses > Decimal::ZERO {
                    let remaining = match self.store.tenant(&caller.tenant.id).await {
                        Ok(Some(tenant)) => tenant.credits,
                        _ => meter.usage().remaining,
                    };
                    meter.add(PARSE_COST * delivered, remaining);
                }
                Ok(listed)
            }
            Err(e) => {
                let taken = LIST_COST + PARSE_COST * parses;
                self.refund(&caller.tenant.id, taken, caller.tenant.credits, meter)
                    .await;
                Err(e)
            }
        }
    }

    /// After a listing has stored its files: is the connection still there (the same one)?
    /// A disconnect (or a reconnect replacing it) that ran meanwhile has already deleted the
    /// connection's files, so what this listing stored after that would be left behind; it is
    /// deleted here and the listing answers as the disconnected connection now would. Together
    /// with disconnect deleting the files again after the connection, no file outlives both.
    async fn still_connected(&self, connection: &Connection) -> Result<(), ApiError> {
        let now = self
            .store
            .connection(&connection.id)
            .await
            .map_err(ApiError::internal)?;
        let same = now.is_some_and(|c| {
            c.tenant_id == connection.tenant_id && c.created_at == connection.created_at
        });
        if same {
            return Ok(());
        }
        self.files
            .delete_prefix(&files_prefix(&connection.id))
            .await
            .map_err(ApiError::internal)?;
        tracing::info!(connection_id = %connection.id, "listing raced a disconnect; its files are deleted");
        Err(ApiError::invalid_inbox_token())
    }

    /// Gives `amount` back: the call then used nothing, on the new balance. Should the refund
    /// fail, the meter says what was taken from `balance`, the balance at authentication.
    async fn refund(
        &self,
        tenant_id: &str,
        amount: Decimal,
        balance: Decimal,
        meter: &CreditMeter,
    ) {
        match self.store.add_credits(tenant_id, amount).await {
            Ok(balance) => meter.set(CreditUsage {
                used: Decimal::ZERO,
                remaining: balance,
            }),
            Err(e) => {
                tracing::error!(tenant_id, %amount, error = %e, "refunding a failed listing failed");
                meter.set(CreditUsage {
                    used: amount,
                    remaining: balance - amount,
                });
            }
        }
    }

    /// Adds the statement's parse (charged 1 credit) or why it could not be parsed.
    async fn with_parsed(
        &self,
        reading: &Reading<'_>,
        mut file: CasFile,
        bytes: Vec<u8>,
        password: &str,
    ) -> CasFile {
        let as_error = |e: ApiError| FileError {
            message_id: None,
            filename: None,
            code: e.code.as_str().to_string(),
            msg: e.msg,
        };
        // Never closed, so acquiring cannot fail; the permit rides with the parse to its end.
        let slot = reading.parse_slots.clone().acquire_owned().await.ok();
        let strict = reading.query.strict;
        match self
            .parse_pdf(bytes, password.to_string(), slot, strict)
            .await
        {
            Ok(portfolio) => {
                let tenant_id = &reading.session.connection.tenant_id;
                match charge(self.store.as_ref(), tenant_id, PARSE_COST).await {
                    Ok(_) => {
                        reading.parses_charged.fetch_add(1, Ordering::SeqCst);
                        file.parsed = Some(Box::new(portfolio));
                    }
                    Err(e) => file.parse_error = Some(as_error(e)),
                }
            }
            Err(e) => file.parse_error = Some(as_error(e)),
        }
        file
    }
    /// Where a download link leads: a presigned S3 URL of a few minutes, if the link is ours
    fn clock_now(&self) -> DateTime<chrono::Utc> {
        DateTime::from_timestamp(self.clock.now(), 0).unwrap_or_default()
    }

    /// The access token, and the ids of every candidate mail in the window.
    async fn search<'a>(
        &'a self,
        connection: &'a Connection,
        query: &CasQuery,
    ) -> Result<(Session<'a>, Vec<String>), ApiError> {
        let session = Session {
            inbox: self,
            connection,
            token: Mutex::new((self.access_token(connection, false).await?, false)),
        };
        let (after, before) = query.window();
        let q = gmail_query(&query.types, after, before);
        let mut ids = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = session
                .call(|token| {
                    let q = q.clone();
                    let page_token = page_token.clone();
                    async move { self.mailbox.search(&token, &q, page_token.as_deref()).await }
                })
                .await?;
            ids.extend(page.message_ids);
            page_token = page.next_page_token;
            if page_token.is_none() {
                break;
            }
        }
        let mut seen = BTreeSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        Ok((session, ids))
    }

    /// Reads every mail, `fetch_concurrency` at a time. Cannot fail as a whole: whatever goes
    /// wrong with one mail is an entry in `errors`.
    async fn read_mails(&self, reading: &Reading<'_>, ids: Vec<String>) -> CasResponse {
        let per_mail: Vec<Vec<Result<CasFile, FileError>>> = stream::iter(ids)
            .map(|id| self.read_mail(reading, id))
            .buffer_unordered(self.settings.fetch_concurrency.max(1))
            .collect()
            .await;
        let (mut files, mut errors) = (Vec::new(), Vec::new());
        for result in per_mail.into_iter().flatten() {
            match result {
                Ok(file) => files.push(file),
                Err(e) => errors.push(e),
            }
        }
        files.sort_by(|a, b| {
            b.message_date
                .cmp(&a.message_date)
                .then_with(|| a.message_id.cmp(&b.message_id))
                .then_with(|| a.filename.cmp(&b.filename))
        });
        files.dedup_by(|a, b| a.message_id == b.message_id && a.filename == b.filename);
        errors.sort_by(|a, b| {
            (&a.message_id, &a.filename, &a.code).cmp(&(&b.message_id, &b.filename, &b.code))
        });
        CasResponse {
            status: Outcome::Success,
            count: files.len(),
            files,
            errors,
        }
    }

    /// One mail's files and per-file errors. A mail that cannot be read, panics while being
    /// read, or is not done by the deadline is one error naming it.
    async fn read_mail(
        &self,
        reading: &Reading<'_>,
        id: String,
    ) -> Vec<Result<CasFile, FileError>> {
        let late = || {
            vec![Err(file_error(
                &id,
                None,
                ErrorCode::UpstreamError,
                "This mail was not read within the listing's time limit; list a shorter date range to get it",
            ))]
        };
        if reading.deadline.is_some_and(|d| Instant::now() >= d) {
            return late();
        }
        let work = AssertUnwindSafe(self.files_of_message(reading, &id)).catch_unwind();
        let outcome = match reading.deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, work).await {
                Ok(outcome) => outcome,
                Err(_) => return late(),
            },
            None => work.await,
        };
        match outcome {
            Ok(Ok(files)) => files,
            Ok(Err(e)) => vec![Err(e)],
            Err(_) => {
                tracing::error!(message_id = %id, "reading a mail panicked");
                vec![Err(file_error(
                    &id,
                    None,
                    ErrorCode::Internal,
                    "This mail could not be read",
                ))]
            }
        }
    }

    /// The CAS files of one mail; a mail that cannot be fetched is one error.
    async fn files_of_message(
        &self,
        reading: &Reading<'_>,
        id: &str,
    ) -> Result<Vec<Result<CasFile, FileError>>, FileError> {
        let session = &reading.session;
        let message: MailMessage = session
            .call(|token| async move { self.mailbox.message(&token, id).await })
            .await
            .map_err(|e| file_error(id, None, e.code, e.msg))?;
        let (after, before) = reading.window;
        let arrived = message.internal_date_ms / 1000;
        if arrived < after || arrived >= before {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        if message.parts_too_deep > 0 {
            out.push(Err(file_error(
                id,
                None,
                ErrorCode::UnsupportedFormat,
                format!(
                    "This mail nests its parts more than {} levels deep; what lies below that \
                     was not read",
                    MAX_PART_DEPTH
                ),
            )));
        }
        for attachment in &message.attachments {
            if !is_pdf(&attachment.filename, &attachment.mime_type) {
                continue;
            }
            let failed =
                |code, msg: String| Err(file_error(id, Some(&attachment.filename), code, msg));
            let Some(cas_type) = classify(&message.from, &message.subject, &attachment.filename)
            else {
                // The search found this mail (a CAS subject or file name), but nothing names
                // its source: say so rather than drop it without a word.
                out.push(failed(
                    ErrorCode::UnsupportedFormat,
                    "A PDF in a mail that looks like a CAS, but its sender, subject and file name \
                     name no known source (CAMS, KFintech, CDSL, NSDL); it is not listed"
                        .into(),
                ));
                continue;
            };
            if !reading.query.types.contains(&cas_type) {
                continue;
            }
            if attachment.size > MAX_ATTACHMENT_BYTES {
                out.push(failed(
                    ErrorCode::FileTooLarge,
                    too_large_msg(attachment.size),
                ));
                continue;
            }
            let fetched = session
                .call(|token| {
                    let message_id = message.id.clone();
                    let attachment_id = attachment.attachment_id.clone();
                    async move {
                        self.mailbox
                            .attachment(&token, &message_id, &attachment_id, MAX_ATTACHMENT_BYTES)
                            .await
                    }
                })
                .await;
            let stored = match fetched {
                Ok(bytes) => {
                    let stored = self
                        .store_file(
                            session.connection,
                            &message,
                            &attachment.filename,
                            cas_type,
                            &bytes,
                            reading.link_base,
                        )
                        .await;
                    match (stored, &reading.query.parse_password) {
                        (Ok(file), Some(password)) => {
                            Ok(self.with_parsed(reading, file, bytes, password).await)
                        }
                        (stored, _) => stored,
                    }
                }
                Err(e) => Err(e),
            };
            out.push(stored.map_err(|e| file_error(id, Some(&attachment.filename), e.code, e.msg)));
        }
        Ok(out)
    }

    async fn store_file(
        &self,
        connection: &Connection,
        message: &MailMessage,
        original_filename: &str,
        cas_type: Issuer,
        bytes: &[u8],
        link_base: &str,
    ) -> Result<CasFile, ApiError> {
        if bytes.len() as u64 > MAX_ATTACHMENT_BYTES {
            return Err(ApiError::new(
                ErrorCode::FileTooLarge,
                too_large_msg(bytes.len() as u64),
            ));
        }
        if !bytes.starts_with(b"%PDF") {
            return Err(ApiError::new(
                ErrorCode::InvalidPdf,
                "The attachment is not a PDF",
            ));
        }
        let arrived = DateTime::from_timestamp(message.internal_date_ms / 1000, 0)
            .unwrap_or_default()
            .with_timezone(&ist());
        // Named by content: the same attachment pulled twice is the same object (written again,
        // so that its day in the bucket starts with this link's).
        let filename = format!(
            "{}_{}_{}.pdf",
            cas_type.as_str(),
            arrived.format("%Y%m%d"),
            &sha256_hex(bytes)[..8]
        );
        self.files
            .put(&file_key(&connection.id, &filename), bytes)
            .await
            .map_err(ApiError::internal)?;
        let expires = self.clock.now() + LINK_TTL_SECONDS;
        let link = SignedLink::sign(&self.links, &connection.id, &filename, expires);
        Ok(CasFile {
            message_id: message.id.clone(),
            url: link.to_url(link_base),
            filename,
            original_filename: original_filename.to_string(),
            message_date: arrived.format("%Y-%m-%d").to_string(),
            cas_type,
            size: bytes.len() as u64,
            sender: super::cas_mail::address_of(&message.from).to_string(),
            subject: message.subject.clone(),
            expires_in: Some(LINK_TTL_SECONDS as u64),
            sender_verified: super::sender_auth::sender_verified(
                &message.authentication_results,
                &message.from,
                cas_type,
            ),
            parsed: None,
            parse_error: None,
        })
    }
}

impl Inbox {
    /// The listing's work for a scheduled import (`imports::run`): search the window, skip
    /// the mails in `known` (already imported) before fetching them, store and link the rest.
    /// Nothing is charged and nothing is parsed here; a failure to search (revoked grant,
    /// Google down) fails the whole call, a failure of one mail is an entry in `errors`.
    pub async fn gather_new(
        &self,
        connection: &Connection,
        query: &CasQuery,
        known: &BTreeSet<String>,
        link_base: &str,
    ) -> Result<CasResponse, ApiError> {
        let (session, mut ids) = guarded(self.search(connection, query)).await?;
        ids.retain(|id| !known.contains(id));
        let reading = Reading {
            session,
            query,
            window: query.window(),
            link_base,
            deadline: None,
            parse_slots: Arc::new(Semaphore::new(1)),
            parses_charged: AtomicU32::new(0),
        };
        guarded(async { Ok(self.read_mails(&reading, ids).await) }).await
    }
}

#[cfg(test)]
#[path = "cas_tests.rs"]
mod hostile_mail_tests;
