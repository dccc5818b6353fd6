//! Test controls under `/_sandbox/`: not part of Google. They let tests play
//! the parts of the world the OAuth client can't reach, such as the user
//! removing the app at myaccount.google.com or tokens expiring, and observe
//! what the client did at "Google" (was the grant revoked?).

use std::time::Duration;

use axum::body::Bytes;
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
        .route("/_sandbox/quota", get(quota).post(quota))
        .route("/_sandbox/calls", get(calls).post(calls))
        .route("/_sandbox/config", post(set_config))
}

/// How many Gmail calls were refused for exceeding the per-user quota, so a
/// benchmark can assert that its client throttled itself (zero).
async fn quota(State(app): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "violations": app.limits().violations() }),
    )
}

/// Authorised Gmail calls so far per method (`GetProfile`, `ListMessages`, `GetMessage`,
/// `GetAttachment`), counted whether or not quota or a fault then refused them: a test can
/// check what a client downloaded, and what it did not.
async fn calls(State(app): State<AppState>) -> Response {
    json_response(StatusCode::OK, &json!(app.limits().calls()))
}

/// Changes the Gmail knobs of the running sandbox. Body: JSON with any of
/// `latency_ms`, `fault_rate`, `quota_units_per_second`; absent fields keep
/// their value. Answers the knobs now in force.
async fn set_config(State(app): State<AppState>, body: Bytes) -> Response {
    let bad = |msg: String| json_response(StatusCode::BAD_REQUEST, &json!({ "error": msg }));
    let patch: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return bad(format!("invalid JSON: {e}")),
        }
    };
    let Some(patch) = patch.as_object() else {
        return bad("expected a JSON object".into());
    };
    let mut knobs = app.limits().knobs();
    for (key, value) in patch {
        match key.as_str() {
            "latency_ms" => match value.as_u64() {
                Some(ms) => knobs.latency = Duration::from_millis(ms),
                None => return bad("latency_ms must be a non-negative integer".into()),
            },
            "fault_rate" => match value.as_f64().filter(|f| (0.0..=1.0).contains(f)) {
                Some(f) => knobs.fault_rate = f,
                None => return bad("fault_rate must be a number from 0.0 to 1.0".into()),
            },
            "quota_units_per_second" => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => knobs.quota_units_per_second = n,
                None => {
                    return bad("quota_units_per_second must be a non-negative integer".into());
                }
            },
            other => return bad(format!("unknown field {other:?}")),
        }
    }
    app.limits().set_knobs(knobs);
    tracing::info!(?knobs, "control: gmail knobs changed");
    json_response(
        StatusCode::OK,
        &json!({
            "latency_ms": u64::try_from(knobs.latency.as_millis()).unwrap_or(u64::MAX),
            "fault_rate": knobs.fault_rate,
            "quota_units_per_second": knobs.quota_units_per_second,
        }),
    )
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
