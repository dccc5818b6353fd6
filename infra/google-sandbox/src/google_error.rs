//! Google's two JSON error shapes.
//!
//! * [`OAuthError`]: the OAuth endpoints (`/token`, `/revoke`, userinfo) answer
//!   RFC 6749 style `{"error": "...", "error_description": "..."}`.
//! * [`ApiError`]: Google APIs such as Gmail answer
//!   `{"error": {"code", "message", "errors": [...], "status"}}`.
//!
//! Clients branch on these exact fields (`error`, `error.status`,
//! `error.errors[].reason`), so they are reproduced verbatim from Google.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const JSON_UTF8: &str = "application/json; charset=utf-8";

/// `WWW-Authenticate` that Google sends with a rejected bearer token.
pub const BEARER_INVALID_TOKEN: &str =
    r#"Bearer realm="https://accounts.google.com/", error="invalid_token""#;

/// A JSON response with Google's content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))],
        body.to_string(),
    )
        .into_response()
}

/// An OAuth 2.0 endpoint error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Set on bearer-token failures (userinfo).
    pub www_authenticate: Option<&'static str>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            www_authenticate: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// What `/token` says for an unknown or revoked refresh token.
    pub fn refresh_token_revoked() -> Self {
        Self::invalid_grant("Token has been expired or revoked.")
    }

    /// What `/revoke` says for an unknown or already revoked token.
    pub fn invalid_token() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        )
    }

    /// What userinfo says for a missing, unknown, expired or revoked token.
    pub fn invalid_credentials() -> Self {
        OAuthError {
            www_authenticate: Some(BEARER_INVALID_TOKEN),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_request",
                "Invalid Credentials",
            )
        }
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &self.body());
        let headers = response.headers_mut();
        // Token endpoint responses must not be cached (RFC 6749 §5.1); harmless elsewhere.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(value) = self.www_authenticate {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        response
    }
}

/// One entry of the legacy `errors` array that Google APIs still send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorItem {
    pub message: String,
    pub domain: &'static str,
    pub reason: &'static str,
    pub location: Option<(&'static str, &'static str)>,
}

/// A Google API (Gmail) error.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: StatusCode,
    pub message: String,
    /// The canonical gRPC status name, e.g. `UNAUTHENTICATED`.
    pub status: &'static str,
    pub errors: Vec<ErrorItem>,
    pub details: Vec<Value>,
    pub www_authenticate: Option<String>,
}

impl ApiError {
    pub fn new(
        code: StatusCode,
        status: &'static str,
        message: impl Into<String>,
        reason: &'static str,
    ) -> Self {
        let message = message.into();
        ApiError {
            code,
            errors: vec![ErrorItem {
                message: message.clone(),
                domain: "global",
                reason,
                location: None,
            }],
            message,
            status,
            details: Vec::new(),
            www_authenticate: None,
        }
    }

    /// 401 for a missing, unknown, expired or revoked access token.
    pub fn unauthenticated() -> Self {
        ApiError {
            code: StatusCode::UNAUTHORIZED,
            message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.".into(),
            status: "UNAUTHENTICATED",
            errors: vec![ErrorItem {
                message: "Invalid Credentials".into(),
                domain: "global",
                reason: "authError",
                location: Some(("Authorization", "header")),
            }],
            details: Vec::new(),
            www_authenticate: Some(BEARER_INVALID_TOKEN.into()),
        }
    }

    /// 403 when the token lacks every scope the method accepts. `service` is
    /// e.g. `gmail.googleapis.com`; `method` the RPC name Google reports.
    pub fn insufficient_scopes(service: &str, method: &str, accepted: &[&str]) -> Self {
        ApiError {
            code: StatusCode::FORBIDDEN,
            message: "Request had insufficient authentication scopes.".into(),
            status: "PERMISSION_DENIED",
            errors: vec![ErrorItem {
                message: "Insufficient Permission".into(),
                domain: "global",
                reason: "insufficientPermissions",
                location: None,
            }],
            details: vec![json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": { "service": service, "method": method },
            })],
            www_authenticate: Some(format!(
                r#"Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="{}""#,
                accepted.join(" ")
            )),
        }
    }

    /// 403 when `userId` names someone other than the token's account.
    pub fn delegation_denied(authenticated_email: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            format!("Delegation denied for {authenticated_email}"),
            "forbidden",
        )
    }

    /// 404 for an unknown message or attachment id.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message, "notFound")
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            message,
            "invalidArgument",
        )
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "FAILED_PRECONDITION",
            message,
            "failedPrecondition",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            message,
            "backendError",
        )
    }

    pub fn body(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| {
                let mut item = json!({
                    "message": e.message,
                    "domain": e.domain,
                    "reason": e.reason,
                });
                if let (Some((location, location_type)), Some(obj)) =
                    (e.location, item.as_object_mut())
                {
                    obj.insert("location".into(), location.into());
                    obj.insert("locationType".into(), location_type.into());
                }
                item
            })
            .collect();
        let mut error = json!({
            "code": self.code.as_u16(),
            "message": self.message,
            "errors": errors,
            "status": self.status,
        });
        if let (false, Some(obj)) = (self.details.is_empty(), error.as_object_mut()) {
            obj.insert("details".into(), Value::Array(self.details.clone()));
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.code, &self.body());
        if let Some(value) = self
            .www_authenticate
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthenticated_matches_google() {
        let body = ApiError::unauthenticated().body();
        assert_eq!(
            body,
            json!({"error": {
                "code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "errors": [{
                    "message": "Invalid Credentials",
                    "domain": "global",
                    "reason": "authError",
                    "location": "Authorization",
                    "locationType": "header",
                }],
                "status": "UNAUTHENTICATED",
            }})
        );
    }

    #[test]
    fn insufficient_scopes_matches_google() {
        let err = ApiError::insufficient_scopes(
            "gmail.googleapis.com",
            "caribou.api.proto.MailboxService.GetProfile",
            &["https://mail.google.com/"],
        );
        let body = err.body();
        assert_eq!(body["error"]["code"], 403);
        assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
        assert_eq!(
            body["error"]["message"],
            "Request had insufficient authentication scopes."
        );
        assert_eq!(
            body["error"]["errors"][0]["reason"],
            "insufficientPermissions"
        );
        assert_eq!(
            body["error"]["details"][0]["reason"],
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
        );
        assert!(body["error"]["errors"][0].get("location").is_none());
    }

    #[test]
    fn delegation_denied_names_the_authenticated_user() {
        let body = ApiError::delegation_denied("demo.investor@gmail.com").body();
        assert_eq!(body["error"]["code"], 403);
        assert_eq!(
            body["error"]["message"],
            "Delegation denied for demo.investor@gmail.com"
        );
        assert_eq!(body["error"]["errors"][0]["reason"], "forbidden");
        assert!(body["error"].get("details").is_none());
    }

    #[test]
    fn oauth_errors_match_google() {
        assert_eq!(
            OAuthError::refresh_token_revoked().body(),
            json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        );
        assert_eq!(
            OAuthError::invalid_token().body(),
            json!({"error": "invalid_token", "error_description": "Token expired or revoked"})
        );
        let creds = OAuthError::invalid_credentials();
        assert_eq!(creds.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            creds.body(),
            json!({"error": "invalid_request", "error_description": "Invalid Credentials"})
        );
    }

    #[test]
    fn oauth_error_response_headers() {
        let response = OAuthError::invalid_credentials().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let h = response.headers();
        assert_eq!(h[header::CONTENT_TYPE], JSON_UTF8);
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert!(
            h[header::WWW_AUTHENTICATE]
                .to_str()
                .is_ok_and(|v| v.starts_with("Bearer "))
        );
    }
}
