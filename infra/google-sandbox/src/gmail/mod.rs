//! The Gmail API (`gmail.googleapis.com/gmail/v1`), backed by the account
//! folders of the mailboxes directory.
//!
//! Every method goes through [`gate`]: the configured latency, then
//! [`authorize`] (Google's checks in Google's order: token → scope →
//! `userId`), then the per-user quota, then fault injection. Submodules keep
//! the handlers thin:
//!
//! * [`index`]: an account's messages, threaded, sorted, paged;
//! * [`mime`]: one `.eml` file → Gmail's `Message` resource;
//! * [`search`]: the `q` query language;
//! * [`limits`]: latency, faults, quota.

pub mod index;
pub mod limits;
pub mod mime;
pub mod search;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::{Value, json};

use crate::AppState;
use crate::accounts::Account;
use crate::google_error::{ApiError, json_response};
use crate::oauth::bearer_token;
use crate::params::Params;

const SERVICE: &str = "gmail.googleapis.com";

pub const SCOPE_FULL: &str = "https://mail.google.com/";
pub const SCOPE_MODIFY: &str = "https://www.googleapis.com/auth/gmail.modify";
pub const SCOPE_READONLY: &str = "https://www.googleapis.com/auth/gmail.readonly";
pub const SCOPE_METADATA: &str = "https://www.googleapis.com/auth/gmail.metadata";
pub const SCOPE_COMPOSE: &str = "https://www.googleapis.com/auth/gmail.compose";

/// Scopes accepted by `users.getProfile` (per the method's reference page).
const PROFILE_SCOPES: &[&str] = &[
    SCOPE_FULL,
    SCOPE_MODIFY,
    SCOPE_READONLY,
    SCOPE_METADATA,
    SCOPE_COMPOSE,
];

/// `users.messages.list` / `users.messages.get`.
const MESSAGES_READ_SCOPES: &[&str] = &[SCOPE_FULL, SCOPE_MODIFY, SCOPE_READONLY, SCOPE_METADATA];

/// `users.messages.attachments.get`: bodies, so not the metadata scope.
const ATTACHMENT_SCOPES: &[&str] = &[SCOPE_FULL, SCOPE_MODIFY, SCOPE_READONLY];

/// `maxResults` of `users.messages.list`: Gmail's default and ceiling.
const DEFAULT_MAX_RESULTS: usize = 100;
const MAX_MAX_RESULTS: usize = 500;

const NOT_FOUND: &str = "Requested entity was not found.";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gmail/v1/users/{user_id}/profile", get(get_profile))
        .route("/gmail/v1/users/{user_id}/messages", get(list_messages))
        .route("/gmail/v1/users/{user_id}/messages/{id}", get(get_message))
        .route(
            "/gmail/v1/users/{user_id}/messages/{message_id}/attachments/{attachment_id}",
            get(get_attachment),
        )
}

/// A Gmail API method, for scope checks, error details and quota.
struct Method {
    /// The RPC name Google reports in `ACCESS_TOKEN_SCOPE_INSUFFICIENT`.
    rpc: &'static str,
    accepted_scopes: &'static [&'static str],
    /// Quota units (Gmail's usage-limits table).
    cost: u32,
}

const GET_PROFILE: Method = Method {
    rpc: "caribou.api.proto.MailboxService.GetProfile",
    accepted_scopes: PROFILE_SCOPES,
    cost: limits::COST_GET_PROFILE,
};

const LIST_MESSAGES: Method = Method {
    rpc: "caribou.api.proto.MailboxService.ListMessages",
    accepted_scopes: MESSAGES_READ_SCOPES,
    cost: limits::COST_MESSAGES_LIST,
};

const GET_MESSAGE: Method = Method {
    rpc: "caribou.api.proto.MailboxService.GetMessage",
    accepted_scopes: MESSAGES_READ_SCOPES,
    cost: limits::COST_MESSAGES_GET,
};

const GET_ATTACHMENT: Method = Method {
    rpc: "caribou.api.proto.MailboxService.GetAttachment",
    accepted_scopes: ATTACHMENT_SCOPES,
    cost: limits::COST_ATTACHMENTS_GET,
};

/// Who is calling: the mailbox, and whether the token only carries the
/// metadata scope (which Gmail restricts further, per method).
struct Caller {
    account: Account,
    metadata_only: bool,
}

/// Authenticates the bearer token, checks its scopes for `method`, and
/// resolves `userId` (`me` or the token's own address) to the mailbox.
fn authorize(
    app: &AppState,
    headers: &HeaderMap,
    user_id: &str,
    method: &Method,
) -> Result<Caller, ApiError> {
    let token = bearer_token(headers).ok_or_else(ApiError::unauthenticated)?;
    let (email, scopes) = {
        let store = app.store();
        let grant = store
            .authenticate(token, Utc::now())
            .ok_or_else(ApiError::unauthenticated)?;
        (grant.email.clone(), grant.scopes.clone())
    };
    if !scopes
        .iter()
        .any(|s| method.accepted_scopes.contains(&s.as_str()))
    {
        return Err(ApiError::insufficient_scopes(
            SERVICE,
            method.rpc,
            method.accepted_scopes,
        ));
    }
    if user_id != "me" && !user_id.eq_ignore_ascii_case(&email) {
        return Err(ApiError::delegation_denied(&email));
    }
    let metadata_only = !scopes
        .iter()
        .any(|s| [SCOPE_FULL, SCOPE_MODIFY, SCOPE_READONLY].contains(&s.as_str()));
    // The grant outlives its folder if someone deletes it mid-test; Google
    // answers this way for accounts without Gmail.
    let account = app
        .mailboxes()
        .find(&email)
        .ok_or_else(|| ApiError::failed_precondition("Mail service not enabled"))?;
    Ok(Caller {
        account,
        metadata_only,
    })
}

/// Everything before a method's own work: latency, authorization, quota and
/// injected faults, in that order. Auth failures are never replaced by a
/// fault, so tests of 401 handling stay deterministic; quota is charged
/// before faults because Gmail counts a call it then fails.
async fn gate(
    app: &AppState,
    headers: &HeaderMap,
    user_id: Option<&str>,
    method: &Method,
) -> Result<Caller, Response> {
    app.limits().delay().await;
    let Some(user_id) = user_id else {
        // A path axum cannot decode (e.g. invalid UTF-8) still gets Google's shape.
        return Err(error_response(ApiError::invalid_argument(
            "Invalid user id specified in request/Delegation denied",
        )));
    };
    let caller = authorize(app, headers, user_id, method).map_err(error_response)?;
    app.limits()
        .record(method.rpc.rsplit('.').next().unwrap_or(method.rpc));
    if let Some(refusal) = app.limits().charge(&caller.account.email, method.cost) {
        return Err(refusal);
    }
    if let Some(fault) = app.limits().maybe_fault() {
        return Err(fault);
    }
    Ok(caller)
}

fn error_response(err: ApiError) -> Response {
    tracing::info!(code = err.code.as_u16(), message = %err.message, "gmail: error");
    err.into_response()
}

fn respond(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(err) => error_response(err),
    }
}

fn mailbox_error(account: &Account, err: std::io::Error) -> ApiError {
    tracing::warn!(dir = %account.dir.display(), %err, "cannot read mailbox");
    ApiError::internal("Backend Error")
}

/// Stable while the mailbox is unchanged and grows as messages are added,
/// like Google's history ids.
fn history_id(total: usize) -> String {
    (1000 + total).to_string()
}

/// `users.getProfile`.
async fn get_profile(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let user_id = path.ok().map(|Path(u)| u);
    match gate(&app, &headers, user_id.as_deref(), &GET_PROFILE).await {
        Ok(caller) => respond(profile(&app, &caller)),
        Err(response) => response,
    }
}

fn profile(app: &AppState, caller: &Caller) -> Result<Value, ApiError> {
    let account = &caller.account;
    let messages = index::load(app.summaries(), account).map_err(|e| mailbox_error(account, e))?;
    let total = messages.len();
    let mut threads: Vec<&str> = messages.iter().map(|m| m.thread_id.as_str()).collect();
    threads.sort_unstable();
    threads.dedup();
    Ok(json!({
        "emailAddress": account.email,
        "messagesTotal": total,
        "threadsTotal": threads.len(),
        "historyId": history_id(total),
    }))
}

/// `users.messages.list`.
async fn list_messages(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let user_id = path.ok().map(|Path(u)| u);
    match gate(&app, &headers, user_id.as_deref(), &LIST_MESSAGES).await {
        Ok(caller) => respond(list(&app, &caller, &Params::from_query(query.as_deref()))),
        Err(response) => response,
    }
}

/// `labelIds` and `includeSpamTrash` are accepted and ignored: every
/// sandbox message is in INBOX and none is spam or trash.
fn list(app: &AppState, caller: &Caller, params: &Params) -> Result<Value, ApiError> {
    let q = params.get("q").unwrap_or_default();
    if caller.metadata_only && !q.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Metadata scope does not support 'q' parameter",
            "forbidden",
        ));
    }
    let max_results = match params.get("maxResults") {
        None => DEFAULT_MAX_RESULTS,
        Some(v) => match v.parse::<u64>() {
            // Gmail answers 0 like an absent value, and more than 500 as 500.
            Ok(0) => DEFAULT_MAX_RESULTS,
            Ok(n) => usize::try_from(n)
                .unwrap_or(MAX_MAX_RESULTS)
                .min(MAX_MAX_RESULTS),
            Err(_) => {
                return Err(ApiError::invalid_argument(format!(
                    "Invalid value at 'max_results' (TYPE_UINT32), \"{v}\""
                )));
            }
        },
    };
    let offset = match params.get("pageToken") {
        None => 0,
        Some(token) => index::parse_page_token(token, q)
            .ok_or_else(|| ApiError::invalid_argument("Invalid pageToken"))?,
    };
    let messages = index::load(app.summaries(), &caller.account)
        .map_err(|e| mailbox_error(&caller.account, e))?;
    let expr = search::parse(q);
    let matching: Vec<&index::Indexed> = messages
        .iter()
        .filter(|m| expr.matches(&search::Prepared::new(&m.summary.search)))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(max_results)
        .map(|m| json!({ "id": m.summary.id, "threadId": m.thread_id }))
        .collect();
    let mut body = serde_json::Map::new();
    let next = offset.saturating_add(page.len());
    if !page.is_empty() {
        body.insert("messages".into(), Value::Array(page));
    }
    if next < matching.len() {
        body.insert("nextPageToken".into(), index::page_token(next, q).into());
    }
    body.insert("resultSizeEstimate".into(), matching.len().into());
    Ok(Value::Object(body))
}

/// Gmail ids are hex; anything else is a malformed request, not a miss.
fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::invalid_argument("Invalid id value"));
    }
    Ok(())
}

/// `users.messages.get`.
async fn get_message(
    State(app): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (user_id, id) = path.ok().map(|Path(p)| p).unzip();
    match gate(&app, &headers, user_id.as_deref(), &GET_MESSAGE).await {
        Ok(caller) => respond(read_message(
            &app,
            &caller,
            id.as_deref().unwrap_or_default(),
            &Params::from_query(query.as_deref()),
        )),
        Err(response) => response,
    }
}

fn read_message(
    app: &AppState,
    caller: &Caller,
    id: &str,
    params: &Params,
) -> Result<Value, ApiError> {
    let format = match params.get("format").map(str::to_ascii_lowercase).as_deref() {
        None | Some("full") => Format::Full,
        Some("metadata") => Format::Metadata(
            params
                .get_all("metadataHeaders")
                .map(str::to_string)
                .collect(),
        ),
        Some("minimal") => Format::Minimal,
        Some("raw") => Format::Raw,
        Some(other) => {
            return Err(ApiError::invalid_argument(format!(
                "Invalid value at 'format' (type.googleapis.com/caribou.api.proto.MessageFormat), \"{other}\""
            )));
        }
    };
    if caller.metadata_only && matches!(format, Format::Full | Format::Raw) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Metadata scope doesn't allow format FULL",
            "forbidden",
        ));
    }
    check_id(id)?;
    let messages = index::load(app.summaries(), &caller.account)
        .map_err(|e| mailbox_error(&caller.account, e))?;
    let found = messages
        .iter()
        .find(|m| m.summary.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let history = history_id(messages.len());
    let raw = matches!(format, Format::Raw);
    let mime_format = match format {
        Format::Full => mime::Format::Full,
        Format::Metadata(h) => mime::Format::Metadata(h),
        Format::Minimal | Format::Raw => mime::Format::Minimal,
    };
    let mut resource = mime::message_json(&found.summary, &found.thread_id, &history, &mime_format)
        // Deleted or changed between listing and reading: gone, as in Gmail.
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    if raw {
        let raw = std::fs::read(&found.summary.path).map_err(|_| ApiError::not_found(NOT_FOUND))?;
        if let Some(obj) = resource.as_object_mut() {
            obj.insert("raw".into(), mime::encode_data(&raw).into());
        }
    }
    Ok(resource)
}

/// `format` of `users.messages.get`, as requested.
enum Format {
    Full,
    Metadata(Vec<String>),
    Minimal,
    /// `raw`: the minimal fields plus the whole RFC 822 message.
    Raw,
}

/// `users.messages.attachments.get`.
async fn get_attachment(
    State(app): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let (user_id, ids) = match path {
        Ok(Path((user_id, message_id, attachment_id))) => {
            (Some(user_id), (message_id, attachment_id))
        }
        Err(_) => (None, Default::default()),
    };
    match gate(&app, &headers, user_id.as_deref(), &GET_ATTACHMENT).await {
        Ok(caller) => respond(read_attachment(&app, &caller, &ids.0, &ids.1)),
        Err(response) => response,
    }
}

fn read_attachment(
    app: &AppState,
    caller: &Caller,
    message_id: &str,
    attachment_id: &str,
) -> Result<Value, ApiError> {
    check_id(message_id)?;
    let messages = index::load(app.summaries(), &caller.account)
        .map_err(|e| mailbox_error(&caller.account, e))?;
    let found = messages
        .iter()
        .find(|m| m.summary.id.eq_ignore_ascii_case(message_id))
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let bytes = mime::attachment_bytes(&found.summary, attachment_id)
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    Ok(json!({
        "attachmentId": attachment_id,
        "size": bytes.len(),
        "data": mime::encode_data(&bytes),
    }))
}
