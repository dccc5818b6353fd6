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
