//! What the service keeps: tenants, their API keys, pending OAuth states and connections.

use rust_decimal::Decimal;

/// A customer of the service (a fintech app) with its registered redirect URIs and credits.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub credits: Decimal,
    pub created_at: i64,
    /// Requests admitted per window (`cas-admin set-rate-limit`); None is the default
    /// ([`RateLimit::DEFAULT`]).
    pub rate_limit: Option<RateLimit>,
    /// How the callback hands a new connection to the app (`cas-admin set-callback-flow`).
    pub callback_flow: CallbackFlow,
}

/// How the callback's redirect hands a new connection to the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CallbackFlow {
    /// The redirect carries the `inbox_token` itself: the compatible contract, the default.
    #[default]
    Token,
    /// The redirect carries a one-time `code` that the app's backend exchanges, with its
    /// API key and the connect call's `state`, at `POST /v4/inbox/token`: the token never
    /// passes through the browser, and a code planted in someone else's browser is refused
    /// (README "Login CSRF and the code flow").
    Code,
}

impl CallbackFlow {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Code => "code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "token" => Some(Self::Token),
            "code" => Some(Self::Code),
            _ => None,
        }
    }
}

/// A one-time code of the code flow, made by the callback and used up by one exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthCode {
    /// SHA-256 of the code: the code itself is never stored.
    pub code_hash: String,
    pub tenant_id: String,
    pub connection_id: String,
    pub email: String,
    /// The `state` the connect call was given; the exchange must present the same.
    pub app_state: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// How many authenticated requests a tenant may make per fixed window, all its API keys
/// together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window_seconds: u32,
}

impl RateLimit {
    /// 50 requests per 10 seconds: the API stage's burst (50) once per window, 5 a second
    /// sustained.
    pub const DEFAULT: RateLimit = RateLimit {
        requests: 50,
        window_seconds: 10,
    };

    pub fn new(requests: u32, window_seconds: u32) -> Result<Self, String> {
        if requests == 0 {
            return Err("a rate limit admits at least one request".into());
        }
        if !(1..=3600).contains(&window_seconds) {
            return Err("the window is 1 to 3600 seconds".into());
        }
        Ok(Self {
            requests,
            window_seconds,
        })
    }
}

/// An API key's record; the key itself is never stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    /// Public, short identifier used to list and revoke the key.
    pub key_id: String,
    pub tenant_id: String,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A consent in progress, created by connect and consumed once by the callback.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthState {
    /// The server-generated `state` sent to Google.
    pub id: String,
    pub tenant_id: String,
    pub redirect_uri: String,
    /// The app's own `state`, echoed back to it.
    pub app_state: Option<String>,
    pub pkce_verifier: String,
    /// Our callback URL as sent to Google; the code exchange must repeat it exactly.
    pub callback_url: String,
    /// The tenant's callback flow when the consent started.
    pub flow: CallbackFlow,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionStatus {
    Active,
    /// Google answered `invalid_grant`: the user must consent again.
    Revoked,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// A connected inbox. Google tokens are held only as KMS ciphertext.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub refresh_token_ciphertext: Vec<u8>,
    pub access_token_ciphertext: Option<Vec<u8>>,
    pub access_token_expires_at: Option<i64>,
    pub scopes: Vec<String>,
    pub status: ConnectionStatus,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_verified_at: Option<i64>,
    pub revoked_at: Option<i64>,
}
