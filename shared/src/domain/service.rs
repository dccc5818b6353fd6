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
    /// Scheduled imports' settings (`imports`): status shows a connection's `import` block.
    pub imports: Arc<dyn crate::domain::imports::ports::ImportStore>,
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
        if !force_refresh
            && let (Some(ct), Some(exp)) = (
                &connection.access_token_ciphertext,
                connection.access_token_expires_at,
            )
            && exp - ACCESS_TOKEN_MARGIN_SECONDS > now
        {
            let ctx = token_context(&connection.id, &connection.tenant_id, ACCESS_TOKEN);
            let plain = self.keys.decrypt(ct, &ctx).await.map_err(internal)?;
            return String::from_utf8(plain).map_err(ApiError::internal);
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

/// Token refresh and re-consent, against the in-memory ports (milliseconds).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fakes::{CONNECTION, NOW, ScriptedMailbox};
    use crate::domain::model::ConnectionStatus;
    use crate::domain::ports::{AccessToken, GoogleTokens, Revocation};
    use crate::domain::test_inbox::inbox_with;
    use rust_decimal::Decimal;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Google whose refresh answers `fresh` (or, without one, `invalid_grant`), counted.
    #[derive(Default)]
    struct Grant {
        fresh: Option<&'static str>,
        refreshes: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl GoogleAccounts for Grant {
        fn authorize_url(&self, _: &str, _: &str, _: &str) -> String {
            String::new()
        }
        async fn exchange_code(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<GoogleTokens, GoogleError> {
            Err(GoogleError::Refused("not used".into()))
        }
        async fn refresh(&self, _: &str) -> Result<AccessToken, GoogleError> {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
            match self.fresh {
                Some(token) => Ok(AccessToken {
                    token: token.into(),
                    expires_in: 3600,
                }),
                None => Err(GoogleError::InvalidGrant),
            }
        }
        async fn revoke(&self, _: &str) -> Result<Revocation, GoogleError> {
            Ok(Revocation::Revoked)
        }
        async fn gmail_address(&self, _: &str) -> Result<String, GoogleError> {
            Err(GoogleError::Refused("not used".into()))
        }
    }

    async fn with_grant(grant: Arc<Grant>) -> (Inbox, Connection) {
        let (mut inbox, store, ..) =
            inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
        inbox.google = grant;
        let connection = store.connections.lock().unwrap()[CONNECTION].clone();
        (inbox, connection)
    }

    #[tokio::test]
    async fn a_cached_access_token_is_used_while_it_lives() {
        let grant = Arc::new(Grant::default());
        let (inbox, connection) = with_grant(grant.clone()).await;
        assert_eq!(
            inbox.access_token(&connection, false).await.unwrap(),
            "access"
        );
        assert_eq!(grant.refreshes.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_token_about_to_expire_is_refreshed_and_stored() {
        let grant = Arc::new(Grant {
            fresh: Some("fresh"),
            ..Grant::default()
        });
        let (inbox, mut connection) = with_grant(grant.clone()).await;
        connection.access_token_expires_at = Some(NOW + ACCESS_TOKEN_MARGIN_SECONDS - 1);
        assert_eq!(
            inbox.access_token(&connection, false).await.unwrap(),
            "fresh"
        );
        assert_eq!(grant.refreshes.load(Ordering::SeqCst), 1);
        let stored = inbox.store.connection(CONNECTION).await.unwrap().unwrap();
        assert_eq!(
            stored.access_token_ciphertext.as_deref(),
            Some(&b"fresh"[..])
        );
        assert_eq!(stored.access_token_expires_at, Some(NOW + 3600));
        // A forced refresh (Gmail refused the token) refreshes even a live one.
        assert_eq!(inbox.access_token(&stored, true).await.unwrap(), "fresh");
        assert_eq!(grant.refreshes.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_dead_grant_marks_the_connection_revoked_and_asks_for_reconsent() {
        let (inbox, connection) = with_grant(Arc::new(Grant::default())).await;
        let err = inbox.access_token(&connection, true).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::ReconsentRequired);
        let stored = inbox.store.connection(CONNECTION).await.unwrap().unwrap();
        assert_eq!(stored.status, ConnectionStatus::Revoked);
        assert_eq!(stored.revoked_at, Some(NOW));
    }

    #[tokio::test]
    async fn an_inbox_token_of_another_tenant_is_refused() {
        let (inbox, _) = with_grant(Arc::new(Grant::default())).await;
        let (_, _, mut caller, token) =
            inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
        assert!(inbox.connection_for(&caller, Some(&token)).await.is_ok());
        caller.tenant.id = "tnt_other".into();
        let err = inbox
            .connection_for(&caller, Some(&token))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInboxToken);
        let err = inbox.connection_for(&caller, None).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInboxToken);
    }
}
