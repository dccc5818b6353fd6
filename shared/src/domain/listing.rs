//! `POST /v4/inbox/cas`: find every CAS statement in the window, store each PDF once, and hand
//! out 24-hour links.

use super::cas_mail::{CasType, classify, gmail_query, is_pdf};
use super::inbox::{Caller, Inbox, InboxSettings, reconsent_required};
use super::links::LINK_TTL_SECONDS;
use super::model::{Connection, ConnectionStatus};
use super::ports::{GoogleError, MailMessage};
use super::secrets::sha256_hex;
use super::tenants;
use crate::adapters::gmail::{MAX_ANSWER_BYTES, attachment_answer_limit};
use crate::api::{CasFile, CreditUsage, FileError, ListCasRequest, ListCasResponse, Outcome};
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeZone};
use futures::FutureExt;
use futures::stream::{self, StreamExt};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

/// One pull costs 0.2 credits, whatever it finds.
pub const LIST_COST: Decimal = Decimal::from_parts(2, 0, 0, false, 1);
pub const DEFAULT_WINDOW_DAYS: u64 = 30;
/// The S3 URL a checked link redirects to lives only this long.
const PRESIGNED_TTL_SECONDS: u64 = 300;
/// Pages of 500 ids: a bound so a runaway mailbox cannot keep a call past its time limit.
const MAX_PAGES: usize = 40;
/// The largest attachment a listing downloads (the cap on PDFs everywhere). Gmail declares
/// each part's size, so a larger one is reported without being fetched.
pub const MAX_ATTACHMENT_BYTES: u64 = crate::adapters::pdf_fetch::MAX_PDF_BYTES as u64;

const MIB: u64 = 1024 * 1024;
/// The parser's working memory for one statement, estimated: lopdf's object tree (about the
/// file's size), one stream inflated at a time (the parser allows 16 MiB), the pages' content
/// (32 MiB in all) and the text runs read from it, with room to spare.
pub const PARSE_WORKING_SET_ESTIMATE: u64 = 128 * MIB;
/// The process itself: runtime, SDK and HTTP clients, TLS, the listing's own bookkeeping.
pub const PROCESS_BASELINE_ESTIMATE: u64 = 64 * MIB;

/// The most memory one `cas` invocation can need, in bytes (README "Memory"): each of the
/// `fetch_concurrency` mails read at once holds at most one Gmail answer and what it decodes
/// to (an attachment's base64url text, 4/3 of the cap plus its JSON, and its bytes, the cap;
/// a mail's own answer is capped lower); the S3 upload's copy is made after the text is
/// dropped. Add `parse_concurrency` parser working sets and the process.
pub fn worst_case_memory(settings: &InboxSettings) -> u64 {
    let per_mail = (attachment_answer_limit(MAX_ATTACHMENT_BYTES) + MAX_ATTACHMENT_BYTES)
        .max(MAX_ANSWER_BYTES);
    settings.fetch_concurrency.max(1) as u64 * per_mail
        + settings.parse_concurrency.max(1) as u64 * PARSE_WORKING_SET_ESTIMATE
        + PROCESS_BASELINE_ESTIMATE
}

fn too_large_msg(size: u64) -> String {
    format!(
        "The attachment is {size} bytes; attachments over {} MB are not downloaded",
        MAX_ATTACHMENT_BYTES / (1024 * 1024)
    )
}

/// CAS mail is Indian: dates and windows are in IST.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("IST is a valid offset")
}

/// A validated listing request (its `Debug` hides the password).
#[derive(Clone, PartialEq, Eq)]
pub struct ListingQuery {
    pub types: Vec<CasType>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// With `parse: true`: the password to open the statements with.
    pub parse_password: Option<String>,
    /// With `parse: true`: a statement that does not reconcile is a `PARSE_INCOMPLETE` error.
    pub strict: bool,
}

impl std::fmt::Debug for ListingQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListingQuery")
            .field("types", &self.types)
            .field("start", &self.start)
            .field("end", &self.end)
            .field(
                "parse_password",
                &format_args!("{}", crate::api::redacted(&self.parse_password)),
            )
            .field("strict", &self.strict)
            .finish()
    }
}

impl ListingQuery {
    /// `today` is the current date in IST.
    pub fn parse(request: &ListCasRequest, today: NaiveDate) -> Result<Self, ApiError> {
        let parse_password = match (request.parse, &request.password) {
            (Some(true), Some(password)) => Some(password.clone()),
            (Some(true), None) => {
                return Err(ApiError::invalid_request(
                    "parse: true needs the statements' password",
                ));
            }
            _ => None,
        };
        let mut types = BTreeSet::new();
        for raw in request.cas_types.iter().flatten() {
            types.insert(CasType::parse(raw).map_err(ApiError::invalid_request)?);
        }
        let types: Vec<CasType> = if types.is_empty() {
            CasType::ALL.to_vec()
        } else {
            types.into_iter().collect()
        };
        let date = |field: &str, raw: &Option<String>| -> Result<Option<NaiveDate>, ApiError> {
            raw.as_deref()
                .map(|s| {
                    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                        ApiError::invalid_request(format!("{field} must be a date as YYYY-MM-DD"))
                    })
                })
                .transpose()
        };
        let start = date("start_date", &request.start_date)?;
        let end = date("end_date", &request.end_date)?;
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, today),
            // checked: a date near chrono's minimum must be a 400, not a panic.
            (None, Some(e)) => (
                e.checked_sub_days(Days::new(DEFAULT_WINDOW_DAYS))
                    .ok_or_else(|| ApiError::invalid_request("end_date is out of range"))?,
                e,
            ),
            (None, None) => (today - Days::new(DEFAULT_WINDOW_DAYS), today),
        };
        let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
        let latest = today + Days::new(1);
        if start < earliest || end < earliest {
            return Err(ApiError::invalid_request(
                "dates before 2000-01-01 are out of range",
            ));
        }
        if start > latest || end > latest {
            return Err(ApiError::invalid_request(
                "dates in the future are out of range",
            ));
        }
        if end < start {
            return Err(ApiError::invalid_request("end_date is before start_date"));
        }
        Ok(Self {
            types,
            start,
            end,
            parse_password,
            strict: request.strict.unwrap_or(false),
        })
    }

    /// `[after, before)` in epoch seconds: from the start day's midnight to the day after the
    /// end day, in IST.
    pub fn window(&self) -> (i64, i64) {
        let midnight = |d: NaiveDate| {
            ist()
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
                .single()
                .map_or(0, |t| t.timestamp())
        };
        (midnight(self.start), midnight(self.end + Days::new(1)))
    }
}

/// The S3 key of a stored statement.
pub fn file_key(connection_id: &str, filename: &str) -> String {
    format!("temp/{connection_id}/{filename}")
}

/// The prefix holding a connection's statements.
pub fn files_prefix(connection_id: &str) -> String {
    format!("temp/{connection_id}/")
}

/// The link's path below `/v4/files/`.
pub fn file_path(connection_id: &str, filename: &str) -> String {
    format!("{connection_id}/{filename}")
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
    query: &'a ListingQuery,
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
    pub async fn list_cas(
        &self,
        caller: &Caller,
        inbox_token: Option<&str>,
        request: &ListCasRequest,
        link_base: &str,
        deadline: Option<Instant>,
    ) -> (Result<ListCasResponse, ApiError>, CreditUsage) {
        let free = CreditUsage {
            used: Decimal::ZERO,
            remaining: caller.tenant.credits,
        };
        let today = self.clock_now().with_timezone(&ist()).date_naive();
        let query = match ListingQuery::parse(request, today) {
            Ok(q) => q,
            Err(e) => return (Err(e), free),
        };
        let connection = match self.connection_for(caller, inbox_token).await {
            Ok(c) => c,
            Err(e) => return (Err(e), free),
        };
        if connection.status == ConnectionStatus::Revoked {
            return (Err(reconsent_required()), free);
        }
        if caller.tenant.credits < LIST_COST {
            return (
                Err(tenants::insufficient(LIST_COST, caller.tenant.credits)),
                free,
            );
        }
        let (session, ids) = match within(deadline, guarded(self.search(&connection, &query))).await
        {
            Ok(found) => found,
            Err(e) => return (Err(e), free),
        };
        let mut usage =
            match tenants::charge(self.store.as_ref(), &caller.tenant.id, LIST_COST).await {
                Ok(charged) => charged,
                Err(e) => return (Err(e), free),
            };
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
                    let lost = super::parsing::PARSE_COST * (parses - delivered);
                    if let Err(e) = self.store.add_credits(&caller.tenant.id, lost).await {
                        tracing::error!(tenant_id = %caller.tenant.id, %lost, error = %e, "refunding undelivered parses failed");
                    }
                }
                if parses > Decimal::ZERO {
                    usage.used += super::parsing::PARSE_COST * delivered;
                    if let Ok(Some(tenant)) = self.store.tenant(&caller.tenant.id).await {
                        usage.remaining = tenant.credits;
                    }
                }
                (Ok(listed), usage)
            }
            Err(e) => {
                let taken = LIST_COST + super::parsing::PARSE_COST * parses;
                (Err(e), self.refund(&caller.tenant.id, taken, free).await)
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

    /// Gives `amount` back; the usage to report is then `free` with the new balance.
    async fn refund(&self, tenant_id: &str, amount: Decimal, free: CreditUsage) -> CreditUsage {
        match self.store.add_credits(tenant_id, amount).await {
            Ok(balance) => CreditUsage {
                used: Decimal::ZERO,
                remaining: balance,
            },
            Err(e) => {
                tracing::error!(tenant_id, %amount, error = %e, "refunding a failed listing failed");
                CreditUsage {
                    used: amount,
                    remaining: free.remaining - amount,
                }
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
                match tenants::charge(self.store.as_ref(), tenant_id, super::parsing::PARSE_COST)
                    .await
                {
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
    /// and unexpired and the file still exists.
    pub async fn download_url(
        &self,
        path: &str,
        expires: Option<i64>,
        signature: &str,
    ) -> Result<String, ApiError> {
        let invalid = || {
            ApiError::new(
                ErrorCode::InvalidLink,
                "This download link is invalid or has expired",
            )
        };
        let (connection_id, filename) = path.split_once('/').ok_or_else(invalid)?;
        let safe = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if !safe(connection_id) || !safe(filename) {
            return Err(invalid());
        }
        let expires = expires.ok_or_else(invalid)?;
        if !self
            .links
            .verify(path, expires, signature, self.clock.now())
        {
            return Err(invalid());
        }
        let key = file_key(connection_id, filename);
        if !self.files.exists(&key).await.map_err(ApiError::internal)? {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "The file is gone (files are kept for a day, and removed on disconnect)",
            ));
        }
        self.files
            .presigned_get(&key, PRESIGNED_TTL_SECONDS)
            .await
            .map_err(ApiError::internal)
    }

    fn clock_now(&self) -> DateTime<chrono::Utc> {
        DateTime::from_timestamp(self.clock.now(), 0).unwrap_or_default()
    }

    /// The access token, and the ids of every candidate mail in the window.
    async fn search<'a>(
        &'a self,
        connection: &'a Connection,
        query: &ListingQuery,
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
    async fn read_mails(&self, reading: &Reading<'_>, ids: Vec<String>) -> ListCasResponse {
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
        ListCasResponse {
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
                    crate::adapters::gmail::MAX_PART_DEPTH
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
        cas_type: CasType,
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
        // Named by content: the same attachment pulled twice is the same object.
        let filename = format!(
            "{}_{}_{}.pdf",
            cas_type.as_str(),
            arrived.format("%Y%m%d"),
            &sha256_hex(bytes)[..8]
        );
        self.files
            .put_if_absent(&file_key(&connection.id, &filename), bytes)
            .await
            .map_err(ApiError::internal)?;
        let expires = self.clock.now() + LINK_TTL_SECONDS;
        let path = file_path(&connection.id, &filename);
        let signature = self.links.sign(&path, expires);
        Ok(CasFile {
            message_id: message.id.clone(),
            url: format!("{link_base}/v4/files/{path}?expires={expires}&sig={signature}"),
            filename,
            original_filename: original_filename.to_string(),
            message_date: arrived.format("%Y-%m-%d").to_string(),
            cas_type: cas_type.as_str().to_string(),
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

#[cfg(test)]
#[path = "listing_tests.rs"]
mod hostile_mail_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()
    }

    fn req(start: Option<&str>, end: Option<&str>, types: Option<Vec<&str>>) -> ListCasRequest {
        ListCasRequest {
            cas_types: types.map(|t| t.into_iter().map(String::from).collect()),
            start_date: start.map(String::from),
            end_date: end.map(String::from),
            parse: None,
            password: None,
            strict: None,
        }
    }

    #[test]
    fn defaults_to_the_last_30_days_and_every_type() {
        let q = ListingQuery::parse(&ListCasRequest::default(), today()).unwrap();
        assert_eq!(q.types, CasType::ALL.to_vec());
        assert_eq!(q.start, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        assert_eq!(q.end, today());
        let (after, before) = q.window();
        // 2025-01-01T00:00+05:30 and 2025-02-01T00:00+05:30.
        assert_eq!(after, 1_735_669_800);
        assert_eq!(before - after, 31 * 86_400);
    }

    #[test]
    fn validates_types_and_dates() {
        let q = ListingQuery::parse(
            &req(None, None, Some(vec!["CDSL", "cdsl", "nsdl"])),
            today(),
        )
        .unwrap();
        assert_eq!(q.types, vec![CasType::Cdsl, CasType::Nsdl]);
        for bad in [
            req(None, None, Some(vec!["zerodha"])),
            req(Some("2025/01/01"), None, None),
            req(Some("2025-02-30"), None, None),
            req(Some("2025-01-20"), Some("2025-01-10"), None),
            req(Some("1999-12-31"), None, None),
            req(None, Some("2030-01-01"), None),
            req(None, Some("0001-01-01"), None),
            req(Some("-0001-01-01"), None, None),
        ] {
            let err = ListingQuery::parse(&bad, today()).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad:?}");
        }
        let mut parse = req(None, None, None);
        parse.parse = Some(true);
        assert_eq!(
            ListingQuery::parse(&parse, today()).unwrap_err().code,
            ErrorCode::InvalidRequest,
            "parse needs a password"
        );
        parse.password = Some("pw".into());
        assert_eq!(
            ListingQuery::parse(&parse, today())
                .unwrap()
                .parse_password
                .as_deref(),
            Some("pw")
        );
        let only_start =
            ListingQuery::parse(&req(Some("2024-06-01"), None, None), today()).unwrap();
        assert_eq!(only_start.end, today());
    }
}
