//! The service's core: the `Inbox` every use case is a method of, who is calling
//! (`Caller`, `authenticate`), the connection an inbox token names, and its Google access token.
//! The use cases live beside it, one file each: `connection`, `cas`, `download`, `parse`.

use super::inbox_token::InboxTokenSigner;
use super::links::LinkSigner;
use super::model::{Connection, Tenant};
use super::ports::{
    Clock, EncryptionContext, FileStore, GoogleAccounts, GoogleError, InfraError, KeyService,
    Mailbox, PdfFetcher, RateLimiter, Store,
};
use super::secrets::ApiKey;
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, SecondsFormat};
use std::sync::Arc;

/// A cached access token is reused only while it has at least this long to live.
const ACCESS_TOKEN_MARGIN_SECONDS: i64 = 60;

/// An authenticated caller: the API key's tenant.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
}

#[derive(Debug, Clone)]
pub struct InboxSettings {
    pub state_ttl_seconds: i64,
    /// Mails fetched at once while listing; the Gmail adapter's pacer keeps the quota
    /// whatever this is.
    pub fetch_concurrency: usize,
    /// Statements parsed at once by a listing with `parse: true` (CPU-bound, and each holds
    /// the parser's working memory; see README "Memory").
    pub parse_concurrency: usize,
}

impl Default for InboxSettings {
    fn default() -> Self {
        Self {
            state_ttl_seconds: 600,
            fetch_concurrency: 16,
            parse_concurrency: 2,
        }
    }
}

/// The domain's entry point; handlers translate HTTP to these calls and back.
#[derive(Clone)]
pub struct Inbox {
    pub store: Arc<dyn Store>,
    pub keys: Arc<dyn KeyService>,
    pub google: Arc<dyn GoogleAccounts>,
    pub mailbox: Arc<dyn Mailbox>,
    pub files: Arc<dyn FileStore>,
    /// Fetches `pdf_url`s for `parse`.
    pub pdf_fetcher: Arc<dyn PdfFetcher>,
    pub clock: Arc<dyn Clock>,
    /// Counts every authenticated request against its tenant's rate limit (`rate_limit`).
    pub limiter: Arc<dyn RateLimiter>,
    pub signer: InboxTokenSigner,
    pub links: LinkSigner,
    pub settings: InboxSettings,
}

pub(crate) fn internal(e: InfraError) -> ApiError {
    ApiError::internal(e)
}

pub fn rfc3339(epoch: i64) -> String {
    DateTime::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The encryption context binding a stored Google token to its connection and tenant.
pub fn token_context(connection_id: &str, tenant_id: &str, purpose: &str) -> EncryptionContext {
    EncryptionContext::from([
        ("connection_id".to_string(), connection_id.to_string()),
        ("tenant_id".to_string(), tenant_id.to_string()),
        ("purpose".to_string(), purpose.to_string()),
    ])
}

pub(crate) const REFRESH_TOKEN: &str = "google_refresh_token";
pub(crate) const ACCESS_TOKEN: &str = "google_access_token";

impl Inbox {
    /// Resolves `x-api-key` to its tenant. Unknown and revoked keys look the same to callers.
    pub async fn authenticate(&self, api_key: Option<&str>) -> Result<Caller, ApiError> {
        let missing = || ApiError::new(ErrorCode::InvalidApiKey, "Missing x-api-key header");
        let raw = api_key
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(missing)?;
        let invalid = || ApiError::new(ErrorCode::InvalidApiKey, "Invalid or revoked API key");
        let key = ApiKey::parse(raw).map_err(|_| invalid())?;
        match self.store.api_key(&key.hash()).await.map_err(internal)? {
            Some((record, tenant)) if record.revoked_at.is_none() => {
                tracing::Span::current().record("tenant_id", tenant.id.as_str());
                Ok(Caller { tenant })
            }
            _ => Err(invalid()),
        }
    }

    /// The caller's connection named by `x-inbox-token`, or 401 `INVALID_INBOX_TOKEN`.
    pub async fn connection_for(
        &self,
        caller: &Caller,
        inbox_token: Option<&str>,
    ) -> Result<Connection, ApiError> {
        let token = inbox_token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(ErrorCode::InvalidInboxToken, "Missing x-inbox-token header")
            })?;
        let subject = self
            .signer
            .verify(token, self.clock.now())
            .ok_or_else(ApiError::invalid_inbox_token)?;
        if subject.tenant_id != caller.tenant.id {
            return Err(ApiError::invalid_inbox_token());
        }
        match self
            .store
            .connection(&subject.connection_id)
            .await
            .map_err(internal)?
        {
            Some(c) if c.tenant_id == caller.tenant.id => {
                tracing::Span::current().record("connection_id", c.id.as_str());
                Ok(c)
            }
            _ => Err(ApiError::invalid_inbox_token()),
        }
    }

    /// A usable Google access token for the connection: the cached one while it lives, else a
    /// fresh one. `invalid_grant` marks the connection revoked and asks for re-consent.
    pub async fn access_token(
        &self,
        connection: &Connection,
        force_refresh: bool,
    ) -> Result<String, ApiError> {
        let now = self.clock.now();
        if !force_refresh {
            if let (Some(ct), Some(exp)) = (
                &connection.access_token_ciphertext,
                connection.access_token_expires_at,
            ) {
                if exp - ACCESS_TOKEN_MARGIN_SECONDS > now {
                    let ctx = token_context(&connection.id, &connection.tenant_id, ACCESS_TOKEN);
                    let plain = self.keys.decrypt(ct, &ctx).await.map_err(internal)?;
                    return String::from_utf8(plain).map_err(ApiError::internal);
                }
            }
        }
        let refresh_token = self.refresh_token(connection).await?;
        match self.google.refresh(&refresh_token).await {
            Ok(fresh) => {
                let ctx = token_context(&connection.id, &connection.tenant_id, ACCESS_TOKEN);
                let ct = self
                    .keys
                    .encrypt(fresh.token.as_bytes(), &ctx)
                    .await
                    .map_err(internal)?;
                self.store
                    .update_access_token(&connection.id, &ct, now + fresh.expires_in, now)
                    .await
                    .map_err(internal)?;
                Ok(fresh.token)
            }
            Err(GoogleError::InvalidGrant) => {
                self.store
                    .mark_revoked(&connection.id, now)
                    .await
                    .map_err(internal)?;
                Err(reconsent_required())
            }
            Err(e) => Err(ApiError::upstream(e)),
        }
    }

    pub(crate) async fn refresh_token(&self, connection: &Connection) -> Result<String, ApiError> {
        let ctx = token_context(&connection.id, &connection.tenant_id, REFRESH_TOKEN);
        let plain = self
            .keys
            .decrypt(&connection.refresh_token_ciphertext, &ctx)
            .await
            .map_err(internal)?;
        String::from_utf8(plain).map_err(ApiError::internal)
    }
}

pub fn reconsent_required() -> ApiError {
    ApiError::new(
        ErrorCode::ReconsentRequired,
        "Access to this inbox was revoked or expired at Google; connect it again",
    )
}
