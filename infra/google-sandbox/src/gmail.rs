//! The Gmail API (`gmail.googleapis.com/gmail/v1`), backed by the account
//! folders of the mailboxes directory.
//!
//! Every method goes through [`authorize`], which performs Google's checks in
//! Google's order (token → scope → `userId`) and yields the mailbox's
//! [`Account`]. New methods (messages.list/get, history) add a route, their
//! accepted scopes and a handler that reads the account folder.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use crate::AppState;
use crate::accounts::Account;
use crate::google_error::{ApiError, json_response};
use crate::oauth::bearer_token;

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

pub fn routes() -> Router<AppState> {
    Router::new().route("/gmail/v1/users/{user_id}/profile", get(get_profile))
}

/// A Gmail API method, for scope checks and error details.
struct Method {
    /// The RPC name Google reports in `ACCESS_TOKEN_SCOPE_INSUFFICIENT`.
    rpc: &'static str,
    accepted_scopes: &'static [&'static str],
}

const GET_PROFILE: Method = Method {
    rpc: "caribou.api.proto.MailboxService.GetProfile",
    accepted_scopes: PROFILE_SCOPES,
};

/// Authenticates the bearer token, checks its scopes for `method`, and
/// resolves `userId` (`me` or the token's own address) to the mailbox.
fn authorize(
    app: &AppState,
    headers: &HeaderMap,
    user_id: &str,
    method: &Method,
) -> Result<Account, ApiError> {
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
    // The grant outlives its folder if someone deletes it mid-test; Google
    // answers this way for accounts without Gmail.
    app.mailboxes()
        .find(&email)
        .ok_or_else(|| ApiError::failed_precondition("Mail service not enabled"))
}

fn respond(result: Result<serde_json::Value, ApiError>) -> Response {
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(err) => {
            tracing::info!(code = err.code.as_u16(), message = %err.message, "gmail: error");
            err.into_response()
        }
    }
}

/// `users.getProfile`.
async fn get_profile(
    State(app): State<AppState>,
    user_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    // A path axum cannot decode (e.g. invalid UTF-8) still gets Google's shape.
    let Ok(Path(user_id)) = user_id else {
        return respond(Err(ApiError::invalid_argument(
            "Invalid user id specified in request/Delegation denied",
        )));
    };
    respond(
        authorize(&app, &headers, &user_id, &GET_PROFILE).and_then(|account| {
            let messages = account.message_files().map_err(|err| {
                tracing::warn!(dir = %account.dir.display(), %err, "cannot read mailbox");
                ApiError::internal("Backend Error")
            })?;
            let total = messages.len();
            Ok(json!({
                "emailAddress": account.email,
                "messagesTotal": total,
                // Until threads exist every message is its own thread.
                "threadsTotal": total,
                // Stable while the mailbox is unchanged and grows as messages are
                // added, like Google's history ids.
                "historyId": (1000 + total).to_string(),
            }))
        }),
    )
}
