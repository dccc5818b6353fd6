//! Google's OAuth 2.0 endpoints for web server apps: authorize (+ the consent
//! screen's form post), token, revoke, and OpenID Connect userinfo.
//!
//! Behaviour follows Google's documentation for the authorization-code flow
//! with PKCE, `access_type=offline` and granular consent; error codes and
//! descriptions are Google's, since clients branch on them.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::accounts::{DEMO_ACCOUNT, sub_for};
use crate::google_error::{OAuthError, json_response};
use crate::pages::{ConsentPage, error_page};
use crate::params::{Params, form_decode};
use crate::store::{AuthCode, AuthRequest, ChallengeMethod, PkceChallenge};

pub const SCOPE_OPENID: &str = "openid";
pub const SCOPE_EMAIL: &str = "https://www.googleapis.com/auth/userinfo.email";
pub const SCOPE_PROFILE: &str = "https://www.googleapis.com/auth/userinfo.profile";
pub const ISSUER: &str = "https://accounts.google.com";
/// Google's ID tokens live for an hour regardless of the access token TTL.
const ID_TOKEN_TTL_SECS: i64 = 3600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/oauth2/v2/auth", get(authorize))
        .route(crate::pages::CONSENT_ACTION, post(consent))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/oauth2/v3/userinfo", get(userinfo).post(userinfo))
}

// ---------------------------------------------------------------------------
// Scopes and PKCE

/// Google accepts the short aliases `email` and `profile` but reports the
/// full scope URLs back (in the redirect and the token response).
fn normalize_scope(scope: &str) -> &str {
    match scope {
        "email" => SCOPE_EMAIL,
        "profile" => SCOPE_PROFILE,
        other => other,
    }
}

/// Splits a space-separated `scope` parameter, normalising aliases and
/// dropping duplicates while keeping request order.
pub fn parse_scopes(scope: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for s in scope.split_whitespace().map(normalize_scope) {
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    scopes
}

fn has_scope(scopes: &[String], wanted: &str) -> bool {
    scopes.iter().any(|s| s == wanted)
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`. Challenges of the
/// `plain` method are verifiers, and S256 ones (43 chars of base64url) fit too.
fn is_valid_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceFailure {
    Missing,
    Invalid,
}

impl PkceFailure {
    fn into_error(self) -> OAuthError {
        match self {
            PkceFailure::Missing => OAuthError::invalid_grant("Missing code verifier."),
            PkceFailure::Invalid => OAuthError::invalid_grant("Invalid code verifier."),
        }
    }
}

pub fn verify_pkce(challenge: &PkceChallenge, verifier: Option<&str>) -> Result<(), PkceFailure> {
    let verifier = verifier.ok_or(PkceFailure::Missing)?;
    if !is_valid_pkce_string(verifier) {
        return Err(PkceFailure::Invalid);
    }
    let derived = match challenge.method {
        ChallengeMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        ChallengeMethod::Plain => verifier.to_string(),
    };
    if derived == challenge.challenge {
        Ok(())
    } else {
        Err(PkceFailure::Invalid)
    }
}

// ---------------------------------------------------------------------------
// GET /o/oauth2/v2/auth

/// An authorize-request problem that Google reports back to the (already
/// validated) redirect URI.
struct RedirectError {
    error: &'static str,
    description: &'static str,
}

fn parse_auth_request(
    p: &Params,
    client_id: &str,
    redirect_uri: &str,
) -> Result<AuthRequest, RedirectError> {
    let invalid = |description| RedirectError {
        error: "invalid_request",
        description,
    };
    match p.get("response_type") {
        None => return Err(invalid("Required parameter is missing: response_type")),
        Some("code") => {}
        Some(_) => {
            return Err(RedirectError {
                error: "unsupported_response_type",
                description: "Only response_type=code is supported.",
            });
        }
    }
    let scopes = parse_scopes(p.get("scope").unwrap_or_default());
    if scopes.is_empty() {
        return Err(invalid("Missing required parameter: scope"));
    }
    let offline = match p.get("access_type") {
        None | Some("online") => false,
        Some("offline") => true,
        Some(_) => return Err(invalid("Invalid access_type.")),
    };
    let method = match p.get("code_challenge_method") {
        None => None,
        Some("S256") => Some(ChallengeMethod::S256),
        Some("plain") => Some(ChallengeMethod::Plain),
        Some(_) => return Err(invalid("Invalid code_challenge_method.")),
    };
    let pkce = match (p.get("code_challenge"), method) {
        (None, None) => None,
        (None, Some(_)) => return Err(invalid("Missing code_challenge.")),
        (Some(challenge), _) if !is_valid_pkce_string(challenge) => {
            return Err(invalid("Invalid code_challenge."));
        }
        // RFC 7636: the method defaults to plain.
        (Some(challenge), method) => Some(PkceChallenge {
            challenge: challenge.to_string(),
            method: method.unwrap_or(ChallengeMethod::Plain),
        }),
    };
    Ok(AuthRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state: p.get("state").map(str::to_string),
        pkce,
        offline,
        include_granted_scopes: p.flag("include_granted_scopes"),
        nonce: p.get("nonce").map(str::to_string),
        login_hint: p.get("login_hint").map(str::to_string),
    })
}

async fn authorize(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let p = Params::from_query(query.as_deref());
    let config = app.config();

    // Client and redirect URI problems are shown to the user, never
    // redirected: the redirect target is not trusted yet.
    let client_id = match p.get("client_id") {
        Some(id) if id == config.client_id => id,
        _ => {
            tracing::info!(client_id = ?p.get("client_id"), "authorize: unknown client");
            return error_page(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The OAuth client was not found.",
            );
        }
    };
    let Some(redirect_uri) = p.get("redirect_uri") else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    };
    if !config.redirect_uris.iter().any(|r| r == redirect_uri) {
        tracing::info!(redirect_uri, "authorize: redirect_uri_mismatch");
        return error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            &format!(
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. \
                 Request details: redirect_uri={redirect_uri}"
            ),
        );
    }

    let request = match parse_auth_request(&p, client_id, redirect_uri) {
        Ok(request) => request,
        Err(e) => {
            tracing::info!(
                error = e.error,
                description = e.description,
                "authorize: rejected"
            );
            let mut params = vec![("error", e.error), ("error_description", e.description)];
            if let Some(state) = p.get("state") {
                params.push(("state", state));
            }
            return redirect_to(redirect_uri, &params);
        }
    };

    let accounts = app.mailboxes().accounts();
    let find = |email: &str| {
        accounts
            .iter()
            .find(|a| a.email.eq_ignore_ascii_case(email))
            .map(|a| a.email.as_str())
    };
    let selected = request
        .login_hint
        .as_deref()
        .and_then(find)
        .or_else(|| find(DEMO_ACCOUNT))
        .or_else(|| accounts.first().map(|a| a.email.as_str()));

    let scopes = request.scopes.clone();
    let consent_id = app.store().insert_consent(request, Utc::now());
    ConsentPage {
        consent_id: &consent_id,
        client_id,
        accounts: &accounts,
        selected,
        scopes: &scopes,
    }
    .into_response()
}

/// 302 to `base` with `params` appended to its query, as Google redirects.
fn redirect_to(base: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(base) else {
        // Registered URIs are validated at start-up; this is a safety net.
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid redirect_uri.",
        );
    };
    url.query_pairs_mut().extend_pairs(params);
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid redirect_uri.",
        ),
    }
}

// ---------------------------------------------------------------------------
// POST /o/oauth2/v2/auth/consent

async fn consent(State(app): State<AppState>, body: Bytes) -> Response {
    let p = Params::parse(&body);
    let unknown = || {
        error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "This sign-in request is unknown, expired or was already answered. Start again from the app.",
        )
    };
    let Some(consent_id) = p.get("consent_id") else {
        return unknown();
    };
    let action = p.get("action");
    // Look the account up before taking the store lock: it reads the disk.
    let account = p
        .get("account")
        .and_then(|email| app.mailboxes().find(email));

    let mut store = app.store();
    let Some(pending) = store.consent(consent_id) else {
        return unknown();
    };
    let request = pending.request.clone();
    let mut state_param: Vec<(&str, &str)> = Vec::new();
    if let Some(state) = request.state.as_deref() {
        state_param.push(("state", state));
    }

    match action {
        Some("deny") => {
            store.take_consent(consent_id);
            tracing::info!("consent: denied");
            let mut params = vec![("error", "access_denied")];
            params.extend(state_param);
            return redirect_to(&request.redirect_uri, &params);
        }
        Some("allow") => {}
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Choose Allow or Deny.",
            );
        }
    }
    // Errors below leave the consent pending so the user can fix the form.
    let Some(account) = account else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Choose one of the listed accounts.",
        );
    };
    // Granular consent: only requested scopes the user left ticked.
    let ticked: Vec<&str> = p.get_all("scope").map(normalize_scope).collect();
    let mut scopes: Vec<String> = request
        .scopes
        .iter()
        .filter(|s| ticked.contains(&s.as_str()))
        .cloned()
        .collect();
    if scopes.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Select at least one permission, or choose Deny.",
        );
    }
    if request.include_granted_scopes {
        for scope in store.previously_granted(&account.email, &request.client_id) {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
    store.take_consent(consent_id);

    let now = Utc::now();
    let scope_param = scopes.join(" ");
    let code = store.insert_code(AuthCode {
        request: request.clone(),
        email: account.email.clone(),
        scopes,
        expires_at: now + app.config().code_ttl(),
        used: false,
    });
    drop(store);
    tracing::info!(email = %account.email, scope = %scope_param, "consent: allowed, code issued");

    let mut params = state_param;
    params.extend([
        ("code", code.as_str()),
        ("scope", scope_param.as_str()),
        ("authuser", "0"),
        ("prompt", "consent"),
    ]);
    redirect_to(&request.redirect_uri, &params)
}

// ---------------------------------------------------------------------------
// POST /token

/// Successful token endpoint response: JSON that must not be cached.
fn token_response(body: &Value) -> Response {
    let mut response = json_response(StatusCode::OK, body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1: each part
/// form-urlencoded) or, failing that, the `client_id`/`client_secret` fields.
fn client_credentials(headers: &HeaderMap, p: &Params) -> Option<(String, Option<String>)> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD.decode(encoded.trim()).ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (id, secret) = decoded.split_once(':')?;
            return Some((form_decode(id), Some(form_decode(secret))));
        }
    }
    let id = p.get("client_id")?;
    Some((id.to_string(), p.get("client_secret").map(str::to_string)))
}

fn authenticate_client(
    app: &AppState,
    headers: &HeaderMap,
    p: &Params,
) -> Result<String, OAuthError> {
    let config = app.config();
    let Some((id, secret)) = client_credentials(headers, p) else {
        return Err(OAuthError::invalid_client("Unauthorized"));
    };
    if id != config.client_id {
        return Err(OAuthError::invalid_client(
            "The OAuth client was not found.",
        ));
    }
    if secret.as_deref() != Some(config.client_secret.as_str()) {
        return Err(OAuthError::invalid_client("Unauthorized"));
    }
    Ok(id)
}

async fn token(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let p = Params::parse(&body);
    let result =
        authenticate_client(&app, &headers, &p).and_then(|client_id| match p.get("grant_type") {
            Some("authorization_code") => exchange_code(&app, &client_id, &p),
            Some("refresh_token") => refresh(&app, &client_id, &p),
            Some(other) => Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("Invalid grant_type: {other}"),
            )),
            None => Err(OAuthError::invalid_request(
                "Missing required parameter: grant_type",
            )),
        });
    match result {
        Ok(body) => token_response(&body),
        Err(err) => {
            tracing::info!(error = err.error, description = %err.description, "token: rejected");
            err.into_response()
        }
    }
}

fn exchange_code(app: &AppState, client_id: &str, p: &Params) -> Result<Value, OAuthError> {
    let code = p
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: code"))?;
    let redirect_uri = p
        .get("redirect_uri")
        .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: redirect_uri"))?;
    let config = app.config();
    let now = Utc::now();

    let mut store = app.store();
    let entry = store
        .code_mut(code)
        .ok_or_else(|| OAuthError::invalid_grant("Malformed auth code."))?;
    if entry.used || entry.expires_at <= now || entry.request.client_id != client_id {
        return Err(OAuthError::invalid_grant("Bad Request"));
    }
    if entry.request.redirect_uri != redirect_uri {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "Bad Request",
        ));
    }
    if let Some(challenge) = &entry.request.pkce {
        verify_pkce(challenge, p.get("code_verifier")).map_err(PkceFailure::into_error)?;
    }
    // Only a successful exchange consumes the code, so a client can retry
    // after fixing a bad request.
    entry.used = true;
    let entry = entry.clone();

    let grant_id = store.create_grant(
        &entry.email,
        client_id,
        entry.scopes.clone(),
        entry.request.offline,
        entry.request.nonce.clone(),
        now,
    );
    let access_token = store.issue_access_token(grant_id, config.access_token_ttl(), now);
    let refresh_token = store.grant(grant_id).and_then(|g| g.refresh_token.clone());
    drop(store);
    tracing::info!(email = %entry.email, offline = entry.request.offline, "token: code exchanged");

    let mut body = json!({
        "access_token": access_token,
        "expires_in": config.access_token_ttl.as_secs(),
        "scope": entry.scopes.join(" "),
        "token_type": "Bearer",
    });
    if let Some(obj) = body.as_object_mut() {
        if let Some(refresh_token) = refresh_token {
            obj.insert("refresh_token".into(), refresh_token.into());
        }
        if has_scope(&entry.scopes, SCOPE_OPENID) {
            let id_token = id_token(
                app,
                &entry.email,
                &entry.scopes,
                entry.request.nonce.as_deref(),
                now,
            )?;
            obj.insert("id_token".into(), id_token.into());
        }
    }
    Ok(body)
}

fn refresh(app: &AppState, client_id: &str, p: &Params) -> Result<Value, OAuthError> {
    let refresh_token = p
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("Missing required parameter: refresh_token"))?;
    let config = app.config();
    let now = Utc::now();

    let mut store = app.store();
    let grant_id = store
        .grant_for_refresh_token(refresh_token)
        .ok_or_else(OAuthError::refresh_token_revoked)?;
    let grant = store
        .grant(grant_id)
        .cloned()
        .ok_or_else(OAuthError::refresh_token_revoked)?;
    if grant.client_id != client_id {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "Unauthorized",
        ));
    }
    let access_token = store.issue_access_token(grant_id, config.access_token_ttl(), now);
    drop(store);
    tracing::info!(email = %grant.email, "token: refreshed");

    let mut body = json!({
        "access_token": access_token,
        "expires_in": config.access_token_ttl.as_secs(),
        "scope": grant.scopes.join(" "),
        "token_type": "Bearer",
    });
    // Google also returns a fresh ID token on refresh when openid was granted.
    if has_scope(&grant.scopes, SCOPE_OPENID) {
        let id_token = id_token(
            app,
            &grant.email,
            &grant.scopes,
            grant.nonce.as_deref(),
            now,
        )?;
        if let Some(obj) = body.as_object_mut() {
            obj.insert("id_token".into(), id_token.into());
        }
    }
    Ok(body)
}

/// An OpenID Connect ID token with Google's claims. It is signed HS256 with
/// the client secret (not Google's RS256 keys): clients that decode without
/// verifying, or verify with the secret, both work against the sandbox.
fn id_token(
    app: &AppState,
    email: &str,
    scopes: &[String],
    nonce: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, OAuthError> {
    let config = app.config();
    let iat = now.timestamp();
    let mut claims = json!({
        "iss": ISSUER,
        "azp": config.client_id,
        "aud": config.client_id,
        "sub": sub_for(email),
        "iat": iat,
        "exp": iat + ID_TOKEN_TTL_SECS,
    });
    if let Some(obj) = claims.as_object_mut() {
        // Like Google, the address is only disclosed with the email scope.
        if has_scope(scopes, SCOPE_EMAIL) {
            obj.insert("email".into(), email.into());
            obj.insert("email_verified".into(), true.into());
        }
        if let Some(nonce) = nonce {
            obj.insert("nonce".into(), nonce.into());
        }
    }
    sign_hs256(&config.client_secret, &claims)
}

fn sign_hs256(secret: &str, claims: &Value) -> Result<String, OAuthError> {
    let header = json!({"alg": "HS256", "kid": "google-sandbox", "typ": "JWT"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| {
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Cannot sign ID token.",
        )
    })?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{signature}"))
}

// ---------------------------------------------------------------------------
// POST /revoke

async fn revoke(State(app): State<AppState>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let form = Params::parse(&body);
    let query = Params::from_query(query.as_deref());
    let Some(token) = form.get("token").or_else(|| query.get("token")) else {
        return OAuthError::invalid_request("Missing required parameter: token").into_response();
    };
    match app.store().revoke_token(token, Utc::now()) {
        Ok(grant) => {
            tracing::info!(grant, "revoke: grant revoked");
            json_response(StatusCode::OK, &json!({}))
        }
        Err(_) => OAuthError::invalid_token().into_response(),
    }
}

// ---------------------------------------------------------------------------
// GET /oauth2/v3/userinfo

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn userinfo(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return OAuthError::invalid_credentials().into_response();
    };
    let store = app.store();
    let Some(grant) = store.authenticate(token, Utc::now()) else {
        return OAuthError::invalid_credentials().into_response();
    };
    let scopes = &grant.scopes;
    if ![SCOPE_OPENID, SCOPE_EMAIL, SCOPE_PROFILE]
        .iter()
        .any(|s| has_scope(scopes, s))
    {
        let mut err = OAuthError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "Insufficient Permission",
        );
        err.www_authenticate = Some(
            r#"Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="openid https://www.googleapis.com/auth/userinfo.email""#,
        );
        return err.into_response();
    }
    let mut body = json!({ "sub": sub_for(&grant.email) });
    if let (true, Some(obj)) = (has_scope(scopes, SCOPE_EMAIL), body.as_object_mut()) {
        obj.insert("email".into(), grant.email.clone().into());
        obj.insert("email_verified".into(), true.into());
    }
    json_response(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn s256() -> PkceChallenge {
        PkceChallenge {
            challenge: CHALLENGE.into(),
            method: ChallengeMethod::S256,
        }
    }

    #[test]
    fn pkce_s256_matches_rfc_example() {
        assert_eq!(verify_pkce(&s256(), Some(VERIFIER)), Ok(()));
    }

    #[test]
    fn pkce_rejects_missing_wrong_and_malformed_verifiers() {
        assert_eq!(verify_pkce(&s256(), None), Err(PkceFailure::Missing));
        let wrong = "x".repeat(43);
        assert_eq!(
            verify_pkce(&s256(), Some(&wrong)),
            Err(PkceFailure::Invalid)
        );
        // Right length but a forbidden character.
        let bad_chars = format!("{}+", &VERIFIER[..42]);
        assert_eq!(
            verify_pkce(&s256(), Some(&bad_chars)),
            Err(PkceFailure::Invalid)
        );
        assert_eq!(
            verify_pkce(&s256(), Some("short")),
            Err(PkceFailure::Invalid)
        );
        assert_eq!(
            verify_pkce(&s256(), Some(&"a".repeat(129))),
            Err(PkceFailure::Invalid)
        );
    }

    #[test]
    fn pkce_plain_compares_verbatim() {
        let plain = PkceChallenge {
            challenge: VERIFIER.into(),
            method: ChallengeMethod::Plain,
        };
        assert_eq!(verify_pkce(&plain, Some(VERIFIER)), Ok(()));
        assert_eq!(
            verify_pkce(&plain, Some(CHALLENGE)),
            Err(PkceFailure::Invalid)
        );
    }

    #[test]
    fn scopes_are_split_normalised_and_deduplicated() {
        assert_eq!(
            parse_scopes(
                "openid  email https://www.googleapis.com/auth/gmail.readonly email\tprofile"
            ),
            vec![
                SCOPE_OPENID,
                SCOPE_EMAIL,
                "https://www.googleapis.com/auth/gmail.readonly",
                SCOPE_PROFILE
            ]
        );
        assert!(parse_scopes("   ").is_empty());
    }

    #[test]
    fn authorize_params_are_validated() {
        let parse = |q: &str| parse_auth_request(&Params::from_query(Some(q)), "c", "http://r");
        let ok = parse(&format!(
            "response_type=code&scope=openid+email&access_type=offline&code_challenge={CHALLENGE}&code_challenge_method=S256&state=s"
        ));
        let ok = ok.ok().expect("valid request");
        assert!(ok.offline);
        assert_eq!(ok.pkce, Some(s256()));
        assert_eq!(ok.state.as_deref(), Some("s"));
        assert_eq!(ok.scopes, vec![SCOPE_OPENID, SCOPE_EMAIL]);

        let err = |q: &str| parse(q).err().map(|e| e.error);
        assert_eq!(
            err("response_type=token&scope=openid"),
            Some("unsupported_response_type")
        );
        assert_eq!(err("response_type=code"), Some("invalid_request"));
        assert_eq!(
            err(&format!(
                "response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S512"
            )),
            Some("invalid_request")
        );
        assert_eq!(
            err("response_type=code&scope=openid&code_challenge=short"),
            Some("invalid_request")
        );
        assert_eq!(
            err("response_type=code&scope=openid&access_type=forever"),
            Some("invalid_request")
        );
        // No method means plain.
        let plain = parse(&format!(
            "response_type=code&scope=openid&code_challenge={VERIFIER}"
        ));
        assert_eq!(
            plain.ok().and_then(|r| r.pkce).map(|c| c.method),
            Some(ChallengeMethod::Plain)
        );
    }

    #[test]
    fn bearer_token_parsing() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer_token(&headers), None);
    }

    #[test]
    fn basic_client_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20client:s%3Acret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).expect("header"),
        );
        assert_eq!(
            client_credentials(&headers, &Params::default()),
            Some(("my client".to_string(), Some("s:cret".to_string())))
        );
        let form = Params::parse(b"client_id=a&client_secret=b");
        assert_eq!(
            client_credentials(&HeaderMap::new(), &form),
            Some(("a".to_string(), Some("b".to_string())))
        );
        assert_eq!(
            client_credentials(&HeaderMap::new(), &Params::default()),
            None
        );
    }

    #[test]
    fn hs256_signature_matches_known_vector() {
        // Recomputed independently: HMAC-SHA256 over "header.claims".
        let token = sign_hs256("secret", &json!({"sub": "1"})).expect("signs");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").expect("key");
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        assert!(
            mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).expect("b64"))
                .is_ok()
        );
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["sub"], "1");
    }
}
