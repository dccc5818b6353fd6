//! The outside world as the domain sees it: small traits with AWS and Google adapters behind
//! them (see `crate::adapters`).

use super::model::{
    ApiKeyRecord, AuthCode, CallbackFlow, Connection, OAuthState, RateLimit, Tenant,
};
use async_trait::async_trait;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A failure of a dependency we own (DynamoDB, KMS): never the caller's fault.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InfraError(pub String);

impl InfraError {
    pub fn new(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// What [`Store::save_connection`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// The address's index no longer named the connection to replace: read it and try again.
    Superseded,
}

/// Result of taking credits from a tenant's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    Charged { remaining: Decimal },
    Insufficient { balance: Decimal },
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn create_tenant(
        &self,
        tenant: &Tenant,
        key_hash: &str,
        key: &ApiKeyRecord,
    ) -> Result<(), InfraError>;
    async fn add_api_key(&self, key_hash: &str, key: &ApiKeyRecord) -> Result<(), InfraError>;
    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKeyRecord>, InfraError>;
    /// Marks the key revoked; false when the tenant has no such key.
    async fn revoke_api_key(
        &self,
        tenant_id: &str,
        key_id: &str,
        at: i64,
    ) -> Result<bool, InfraError>;
    /// The key's record and its tenant, whether or not the key is revoked.
    async fn api_key(&self, key_hash: &str) -> Result<Option<(ApiKeyRecord, Tenant)>, InfraError>;
    async fn tenant(&self, tenant_id: &str) -> Result<Option<Tenant>, InfraError>;
    /// Atomically takes `amount`; never lets the balance go below zero.
    async fn charge_credits(&self, tenant_id: &str, amount: Decimal) -> Result<Charge, InfraError>;
    async fn add_credits(&self, tenant_id: &str, amount: Decimal) -> Result<Decimal, InfraError>;
    /// Sets (or with None, clears back to the default) the tenant's rate limit; false when
    /// there is no such tenant.
    async fn set_rate_limit(
        &self,
        tenant_id: &str,
        limit: Option<RateLimit>,
    ) -> Result<bool, InfraError>;

    /// Sets the tenant's callback flow; false when there is no such tenant.
    async fn set_callback_flow(
        &self,
        tenant_id: &str,
        flow: CallbackFlow,
    ) -> Result<bool, InfraError>;

    async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), InfraError>;
    /// Removes and returns the state; a second call for the same id returns None.
    async fn take_oauth_state(&self, id: &str) -> Result<Option<OAuthState>, InfraError>;

    async fn put_auth_code(&self, code: &AuthCode) -> Result<(), InfraError>;
    /// Removes and returns the code of this hash if it belongs to `tenant_id`, in one
    /// conditional delete: of two exchanges of one code exactly one gets it, and another
    /// tenant's attempt gets None and leaves the code to its own tenant.
    async fn take_auth_code(
        &self,
        code_hash: &str,
        tenant_id: &str,
    ) -> Result<Option<AuthCode>, InfraError>;

    async fn connection(&self, id: &str) -> Result<Option<Connection>, InfraError>;
    async fn connection_id_for_email(
        &self,
        tenant_id: &str,
        email: &str,
    ) -> Result<Option<String>, InfraError>;
    /// Stores a new connection; when `replaces` names an older one of the same tenant and
    /// address, that one is deleted in the same transaction. The write is conditional on the
    /// tenant's index for the address still naming `replaces` (or nothing): if another
    /// callback saved in between, nothing is written and the answer is `Superseded`.
    async fn save_connection(
        &self,
        connection: &Connection,
        replaces: Option<&str>,
    ) -> Result<Saved, InfraError>;
    async fn update_access_token(
        &self,
        id: &str,
        ciphertext: &[u8],
        expires_at: i64,
        verified_at: i64,
    ) -> Result<(), InfraError>;
    async fn mark_verified(&self, id: &str, at: i64) -> Result<(), InfraError>;
    async fn mark_revoked(&self, id: &str, at: i64) -> Result<(), InfraError>;
    async fn delete_connection(&self, connection: &Connection) -> Result<(), InfraError>;
}

/// What a rate limiter says about one more request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Counted: the request may go on.
    Admitted,
    /// The window is full; nothing was counted. The next window opens in this many seconds.
    Limited { retry_after_seconds: u64 },
}

/// A fixed-window request counter shared by every instance of every function.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `subject` in the window of `limit.window_seconds` that holds
    /// `now` (windows start at multiples of their length since the epoch), unless that window
    /// already counted `limit.requests`.
    async fn admit(
        &self,
        subject: &str,
        limit: RateLimit,
        now: i64,
    ) -> Result<RateDecision, InfraError>;
}

/// The fixed window holding `now`: its start and the seconds until the next one opens.
pub fn window_of(now: i64, window_seconds: u32) -> (i64, u64) {
    let length = i64::from(window_seconds.max(1));
    let start = now - now.rem_euclid(length);
    (start, (start + length - now) as u64)
}

/// KMS-style envelope: the context is bound to the ciphertext and must match on decrypt.
pub type EncryptionContext = BTreeMap<String, String>;

#[async_trait]
pub trait KeyService: Send + Sync {
    async fn encrypt(
        &self,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, InfraError>;
    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, InfraError>;
}

/// Tokens from an authorization-code exchange.
#[derive(Clone)]
pub struct GoogleTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for GoogleTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleTokens")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GoogleError {
    /// The grant is revoked or expired (`invalid_grant`): the user must consent again.
    #[error("invalid_grant")]
    InvalidGrant,
    /// The access token was refused (401): refresh it and try once more.
    #[error("access token refused")]
    Unauthorized,
    /// Google refused the request for another stated reason.
    #[error("google refused: {0}")]
    Refused(String),
    /// Network failure, timeout, 5xx or an answer we cannot read.
    #[error("google unavailable: {0}")]
    Unavailable(String),
    /// The answer is larger than the caller accepts; it was not read further.
    #[error("answer over {limit} bytes")]
    TooLarge { limit: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    /// Google answered 400: the token was already revoked or expired.
    AlreadyRevoked,
}

#[async_trait]
pub trait GoogleAccounts: Send + Sync {
    /// The consent URL for the given state, PKCE challenge and our callback URL.
    fn authorize_url(&self, state: &str, code_challenge: &str, callback_url: &str) -> String;
    async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        callback_url: &str,
    ) -> Result<GoogleTokens, GoogleError>;
    async fn refresh(&self, refresh_token: &str) -> Result<AccessToken, GoogleError>;
    async fn revoke(&self, token: &str) -> Result<Revocation, GoogleError>;
    /// Gmail's users.getProfile: the address of the mailbox the token reads (the connection's
    /// e-mail, never an unverified claim), and proof that it still reads it.
    async fn gmail_address(&self, access_token: &str) -> Result<String, GoogleError>;
}

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// One mail as the listing needs it: headers and the attachments' metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub id: String,
    pub from: String,
    pub subject: String,
    /// Gmail's `internalDate`: when the mail arrived, in milliseconds since the epoch.
    pub internal_date_ms: i64,
    /// The mail's own `Authentication-Results` header values, in header order (topmost
    /// first): the topmost is the receiving server's (`sender_auth`).
    pub authentication_results: Vec<String>,
    pub attachments: Vec<MailAttachment>,
    /// Multipart subtrees nested too deep to be read (their attachments are not listed).
    pub parts_too_deep: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub attachment_id: String,
    pub filename: String,
    pub mime_type: String,
    /// The size Gmail declares for the decoded attachment (`body.size` of its part), known
    /// before anything is downloaded.
    pub size: u64,
}

/// Multipart levels walked below the root. Real mail nests a handful; deeper subtrees are not
/// read (the mail is reported), which also bounds the work: every level re-scans the JSON of
/// the parts below it once.
pub const MAX_PART_DEPTH: usize = 128;

/// One page of a mailbox search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPage {
    pub message_ids: Vec<String>,
    pub next_page_token: Option<String>,
}

/// Read access to a mailbox (Gmail). Implementations retry rate limits and server errors
/// themselves; `Unauthorized` is left to the caller, who refreshes the token once.
#[async_trait]
pub trait Mailbox: Send + Sync {
    async fn search(
        &self,
        access_token: &str,
        query: &str,
        page_token: Option<&str>,
    ) -> Result<SearchPage, GoogleError>;
    async fn message(&self, access_token: &str, id: &str) -> Result<MailMessage, GoogleError>;
    /// The decoded attachment. One over `max_bytes` is `TooLarge`, and its download stops
    /// as soon as that is clear (a lying declared size cannot make us hold more).
    async fn attachment(
        &self,
        access_token: &str,
        message_id: &str,
        attachment_id: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, GoogleError>;
}

/// Where fetched statements wait for their download (S3, under a prefix that expires).
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing what is there (the same content: keys name their
    /// content). Writing again is the point: the bucket deletes a file a day after it was
    /// written, so each link handed out for a file restarts its day and the file outlives the
    /// link (an older file kept as it was could vanish hours into a new 24-hour link).
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), InfraError>;
    async fn exists(&self, key: &str) -> Result<bool, InfraError>;
    /// The object's bytes, or None when it is gone.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, InfraError>;
    /// A plain GET URL for the object, valid for `ttl_seconds`.
    async fn presigned_get(&self, key: &str, ttl_seconds: u64) -> Result<String, InfraError>;
    async fn delete_prefix(&self, prefix: &str) -> Result<(), InfraError>;
}

/// Fetches a caller's `pdf_url` (at most `MAX_PDF_BYTES`). The errors are the caller's answer:
/// a refused address, a failed download, something that is not a PDF.
#[async_trait]
pub trait PdfFetcher: Send + Sync {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, crate::error::ApiError>;
}
