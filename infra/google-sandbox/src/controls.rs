//! Test controls under `/_sandbox/`: not part of Google. They let tests play
//! the parts of the world the OAuth client can't reach, such as the user
//! removing the app at myaccount.google.com or tokens expiring, and observe
//! what the client did at "Google" (was the grant revoked?).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::AppState;
use crate::google_error::json_response;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_sandbox/health", get(health))
        .route("/_sandbox/accounts/{email}/revoke", post(revoke_account))
        .route("/_sandbox/access-tokens/expire", post(expire_access_tokens))
        .route("/_sandbox/grants", get(grants))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The user removes the app's access from their Google account.
async fn revoke_account(State(app): State<AppState>, Path(email): Path<String>) -> Response {
    let revoked = app.store().revoke_account(&email);
    tracing::info!(%email, revoked, "control: account revoked app access");
    json_response(StatusCode::OK, &json!({ "revoked": revoked }))
}

/// Every live access token expires now; refresh tokens keep working.
async fn expire_access_tokens(State(app): State<AppState>) -> Response {
    let expired = app.store().expire_access_tokens(Utc::now());
    tracing::info!(expired, "control: access tokens expired");
    json_response(StatusCode::OK, &json!({ "expired": expired }))
}

/// Every grant ever made, oldest first, including revoked ones.
async fn grants(State(app): State<AppState>) -> Response {
    let grants: Vec<Value> = app
        .store()
        .grants()
        .iter()
        .map(|g| {
            json!({
                "email": g.email,
                "client_id": g.client_id,
                "scopes": g.scopes,
                "revoked": g.revoked,
                "offline": g.refresh_token.is_some(),
                "created_at": g.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            })
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(grants))
}
