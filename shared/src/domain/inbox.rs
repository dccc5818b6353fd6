//! The inbox connection lifecycle: connect, callback, status, disconnect.

use super::inbox_token::{InboxTokenSigner, InboxTokenSubject};
use super::links::LinkSigner;
use super::listing::files_prefix;
use super::model::{ApiKeyRecord, CallbackFlow, Connection, ConnectionStatus, OAuthState, Tenant};
use super::pkce::Pkce;
use super::ports::{
    Clock, EncryptionContext, FileStore, GoogleAccounts, GoogleError, InfraError, KeyService,
    Mailbox, RateLimiter, Revocation, Saved, Store,
};
use super::redirect_uri::RedirectUri;
use super::secrets::{ApiKey, random_token};
use crate::api::{ConnectRequest, ConnectResponse, DisconnectResponse, Outcome, StatusResponse};
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, SecondsFormat};
use std::sync::Arc;

pub const GMAIL_READONLY_SCOPE: &str = "https://www.googleapis.com/auth/gmail.readonly";
/// The scopes we ask for: read-only Gmail, plus the address it belongs to.
/// Conditional writes a callback tries before giving up on a connection index that keeps
/// changing under it.
const SAVE_ATTEMPTS: usize = 5;

pub const REQUESTED_SCOPES: [&str; 3] = ["openid", "email", GMAIL_READONLY_SCOPE];
pub const MAX_APP_STATE_LEN: usize = 512;
/// A cached access token is reused only while it has at least this long to live.
const ACCESS_TOKEN_MARGIN_SECONDS: i64 = 60;

/// An authenticated caller: the API key's tenant.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
    pub key: ApiKeyRecord,
}

/// Where the callback sends the browser, or the page it shows when it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    Redirect(String),
    /// No trustworthy redirect URI is known: a plain 400 page with this message.
    ErrorPage(String),
}

/// What Google sent to the callback.
#[derive(Debug, Default, Clone)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub scope: Option<String>,
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
    pub clock: Arc<dyn Clock>,
    /// Counts every authenticated request against its tenant's rate limit (`rate_limit`).
    pub limiter: Arc<dyn RateLimiter>,
    pub signer: InboxTokenSigner,
    pub links: LinkSigner,
    pub settings: InboxSettings,
}

fn internal(e: InfraError) -> ApiError {
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

const REFRESH_TOKEN: &str = "google_refresh_token";
const ACCESS_TOKEN: &str = "google_access_token";

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
            Some((record, tenant)) if record.revoked_at.is_none() => Ok(Caller {
                tenant,
                key: record,
            }),
            _ => Err(invalid()),
        }
    }

    /// `POST /v4/inbox/connect`: a Google consent URL for this tenant's redirect URI.
    pub async fn connect(
        &self,
        caller: &Caller,
        request: ConnectRequest,
        callback_url: &str,
    ) -> Result<ConnectResponse, ApiError> {
        let raw_uri = request
            .redirect_uri
            .ok_or_else(|| ApiError::invalid_request("redirect_uri is required"))?;
        let redirect_uri = RedirectUri::parse(&raw_uri).map_err(ApiError::invalid_request)?;
        if !caller
            .tenant
            .redirect_uris
            .iter()
            .any(|u| u == redirect_uri.as_str())
        {
            return Err(ApiError::new(
                ErrorCode::RedirectUriNotAllowed,
                "redirect_uri is not registered for this API key",
            ));
        }
        // The code flow's exchange must present the connect call's state: without one there
        // would be nothing tying the code to the session that asked for it.
        if caller.tenant.callback_flow == CallbackFlow::Code
            && request.state.as_deref().is_none_or(str::is_empty)
        {
            return Err(ApiError::invalid_request(
                "state is required: this API key's tenant uses the code flow, whose exchange \
                 must present it",
            ));
        }
        if let Some(state) = &request.state {
            if state.chars().count() > MAX_APP_STATE_LEN {
                return Err(ApiError::invalid_request(format!(
                    "state must be at most {MAX_APP_STATE_LEN} characters"
                )));
            }
        }
        let now = self.clock.now();
        let pkce = Pkce::generate();
        let state = OAuthState {
            id: random_token(32),
            tenant_id: caller.tenant.id.clone(),
            redirect_uri: redirect_uri.as_str().to_string(),
            app_state: request.state,
            pkce_verifier: pkce.verifier,
            callback_url: callback_url.to_string(),
            flow: caller.tenant.callback_flow,
            created_at: now,
            expires_at: now + self.settings.state_ttl_seconds,
        };
        self.store.put_oauth_state(&state).await.map_err(internal)?;
        Ok(ConnectResponse {
            status: Outcome::Success,
            oauth_url: self
                .google
                .authorize_url(&state.id, &pkce.challenge, callback_url),
            expires_in: self.settings.state_ttl_seconds.max(0) as u64,
        })
    }

    /// `GET /v4/inbox/callback`: completes the consent and sends the browser back to the app.
    pub async fn callback(&self, query: CallbackQuery) -> CallbackOutcome {
        let Some(state_id) = query.state.as_deref().filter(|s| !s.is_empty()) else {
            return CallbackOutcome::ErrorPage("The sign-in response has no state.".into());
        };
        let state = match self.store.take_oauth_state(state_id).await {
            Ok(Some(state)) => state,
            Ok(None) => {
                return CallbackOutcome::ErrorPage(
                    "This sign-in link is unknown or was already used. Start again from the app."
                        .into(),
                );
            }
            Err(e) => {
                tracing::error!(error = %e, "reading OAuth state failed");
                return CallbackOutcome::ErrorPage(
                    "The sign-in could not be completed. Try again later.".into(),
                );
            }
        };
        let Ok(redirect_uri) = RedirectUri::parse(&state.redirect_uri) else {
            return CallbackOutcome::ErrorPage("The app's redirect URI is invalid.".into());
        };
        let back = |params: &[(&str, &str)]| {
            let mut all = params.to_vec();
            if let Some(app_state) = state.app_state.as_deref() {
                all.push(("state", app_state));
            }
            CallbackOutcome::Redirect(redirect_uri.with_params(&all))
        };
        if state.expires_at <= self.clock.now() {
            return back(&[("error", "state_expired")]);
        }
        if let Some(error) = query.error.as_deref() {
            tracing::info!(google_error = error, "consent not given");
            let code = if error == "access_denied" {
                "access_denied"
            } else {
                "authorization_failed"
            };
            return back(&[("error", code)]);
        }
        let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
            return back(&[("error", "invalid_request")]);
        };
        let (connection_id, email) = match self.complete_consent(&state, code).await {
            Ok(connected) => connected,
            Err(reason) => return back(&[("error", reason)]),
        };
        match state.flow {
            CallbackFlow::Token => match self.inbox_token_for(&state, connection_id) {
                Ok(token) => back(&[("inbox_token", &token), ("email", &email)]),
                Err(reason) => back(&[("error", reason)]),
            },
            // The address comes with the exchange's answer, not in the URL.
            CallbackFlow::Code => match self.issue_code(&state, &connection_id, &email).await {
                Ok(code) => back(&[("code", &code)]),
                Err(reason) => back(&[("error", reason)]),
            },
        }
    }

    fn inbox_token_for(
        &self,
        state: &OAuthState,
        connection_id: String,
    ) -> Result<String, &'static str> {
        self.signer
            .issue(
                &InboxTokenSubject {
                    connection_id,
                    tenant_id: state.tenant_id.clone(),
                },
                self.clock.now(),
            )
            .map_err(|e| {
                tracing::error!(error = %e, "signing inbox_token failed");
                "server_error"
            })
    }

    /// Exchanges Google's code and stores the connection: its id and address, or the `error`
    /// to send back.
    async fn complete_consent(
        &self,
        state: &OAuthState,
        code: &str,
    ) -> Result<(String, String), &'static str> {
        let tokens = self
            .google
            .exchange_code(code, &state.pkce_verifier, &state.callback_url)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "code exchange failed");
                "token_exchange_failed"
            })?;
        let refresh_token = match (
            &tokens.refresh_token,
            tokens.scopes.iter().any(|s| s == GMAIL_READONLY_SCOPE),
        ) {
            (Some(refresh_token), true) => refresh_token.clone(),
            (refresh_token, has_scope) => {
                self.give_back(refresh_token.as_deref().unwrap_or(&tokens.access_token))
                    .await;
                return Err(if has_scope {
                    "token_exchange_failed"
                } else {
                    "insufficient_scope"
                });
            }
        };
        // The mailbox the token reads, as Gmail names it: what we will list, and the only
        // address a connection is known by.
        let email = match self.google.gmail_address(&tokens.access_token).await {
            Ok(email) if email.contains('@') => email.to_ascii_lowercase(),
            Ok(_) => {
                self.give_back(&refresh_token).await;
                return Err("token_exchange_failed");
            }
            Err(e) => {
                tracing::warn!(error = %e, "users.getProfile failed");
                self.give_back(&refresh_token).await;
                return Err("token_exchange_failed");
            }
        };

        let now = self.clock.now();
        let connection_id = uuid::Uuid::new_v4().to_string();
        let refresh_ctx = token_context(&connection_id, &state.tenant_id, REFRESH_TOKEN);
        let access_ctx = token_context(&connection_id, &state.tenant_id, ACCESS_TOKEN);
        let (refresh_ct, access_ct) = tokio::join!(
            self.keys.encrypt(refresh_token.as_bytes(), &refresh_ctx),
            self.keys
                .encrypt(tokens.access_token.as_bytes(), &access_ctx),
        );
        let server_error = |e: InfraError| {
            tracing::error!(error = %e, "storing the connection failed");
            "server_error"
        };
        let connection = Connection {
            id: connection_id.clone(),
            tenant_id: state.tenant_id.clone(),
            email: email.clone(),
            refresh_token_ciphertext: refresh_ct.map_err(server_error)?,
            access_token_ciphertext: Some(access_ct.map_err(server_error)?),
            access_token_expires_at: Some(now + tokens.expires_in),
            scopes: tokens.scopes.clone(),
            status: ConnectionStatus::Active,
            created_at: now,
            updated_at: now,
            last_verified_at: Some(now),
            revoked_at: None,
        };
        // Reconnecting the same address replaces the old connection (and so its inbox_token);
        // the write is conditional on the index naming the one read, so of two racing
        // callbacks each replaces the other's in turn and one connection is left.
        let mut replaced = None;
        for _ in 0..SAVE_ATTEMPTS {
            let previous = self
                .store
                .connection_id_for_email(&state.tenant_id, &email)
                .await
                .map_err(server_error)?;
            match self
                .store
                .save_connection(&connection, previous.as_deref())
                .await
                .map_err(server_error)?
            {
                Saved::Saved => {
                    replaced = Some(previous);
                    break;
                }
                Saved::Superseded => continue,
            }
        }
        let Some(previous) = replaced else {
            tracing::error!(tenant_id = %state.tenant_id, "connection index kept changing");
            return Err("server_error");
        };
        // The replaced connection's fetched files go with it.
        if let Some(old) = previous.filter(|old| *old != connection.id)
            && let Err(e) = self.files.delete_prefix(&files_prefix(&old)).await
        {
            tracing::warn!(error = %e, "deleting a replaced connection's files failed");
        }
        tracing::info!(tenant_id = %state.tenant_id, connection_id = %connection.id, "inbox connected");
        Ok((connection_id, email))
    }

    /// Revokes a grant we will not keep, so no usable token is left behind at Google.
    async fn give_back(&self, token: &str) {
        if let Err(e) = self.google.revoke(token).await {
            tracing::warn!(error = %e, "revoking an unusable grant failed");
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
            Some(c) if c.tenant_id == caller.tenant.id => Ok(c),
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

    async fn refresh_token(&self, connection: &Connection) -> Result<String, ApiError> {
        let ctx = token_context(&connection.id, &connection.tenant_id, REFRESH_TOKEN);
        let plain = self
            .keys
            .decrypt(&connection.refresh_token_ciphertext, &ctx)
            .await
            .map_err(internal)?;
        String::from_utf8(plain).map_err(ApiError::internal)
    }

    /// `POST /v4/inbox/status`: asks Google whether the grant still works.
    pub async fn status(
        &self,
        caller: &Caller,
        inbox_token: Option<&str>,
    ) -> Result<StatusResponse, ApiError> {
        let connection = self.connection_for(caller, inbox_token).await?;
        let now = self.clock.now();
        let live = match connection.status {
            ConnectionStatus::Revoked => false,
            ConnectionStatus::Active => self.verify_grant(&connection).await?,
        };
        let revoked_at = (!live).then(|| rfc3339(connection.revoked_at.unwrap_or(now)));
        Ok(StatusResponse {
            status: Outcome::Success,
            connected: live,
            email: connection.email.clone(),
            provider: "gmail".into(),
            connected_at: rfc3339(connection.created_at),
            last_verified_at: if live {
                Some(rfc3339(now))
            } else {
                connection.last_verified_at.map(rfc3339)
            },
            revoked_at,
            reason: (!live).then(|| "reconsent_required".to_string()),
        })
    }

    /// True when Gmail answers with the connection's token; false when the grant is gone.
    async fn verify_grant(&self, connection: &Connection) -> Result<bool, ApiError> {
        for force_refresh in [false, true] {
            let token = match self.access_token(connection, force_refresh).await {
                Ok(token) => token,
                Err(e) if e.code == ErrorCode::ReconsentRequired => return Ok(false),
                Err(e) => return Err(e),
            };
            match self.google.gmail_address(&token).await {
                Ok(_) => {
                    self.store
                        .mark_verified(&connection.id, self.clock.now())
                        .await
                        .map_err(internal)?;
                    return Ok(true);
                }
                // A refused access token gets one refresh; a refused fresh one is a dead grant.
                Err(GoogleError::Unauthorized) if !force_refresh => continue,
                Err(GoogleError::Unauthorized | GoogleError::InvalidGrant) => {
                    self.store
                        .mark_revoked(&connection.id, self.clock.now())
                        .await
                        .map_err(internal)?;
                    return Ok(false);
                }
                Err(e) => return Err(ApiError::upstream(e)),
            }
        }
        Ok(false)
    }

    /// `POST /v4/inbox/disconnect`: revokes at Google, then forgets the connection.
    pub async fn disconnect(
        &self,
        caller: &Caller,
        inbox_token: Option<&str>,
    ) -> Result<DisconnectResponse, ApiError> {
        let connection = self.connection_for(caller, inbox_token).await?;
        let refresh_token = self.refresh_token(&connection).await?;
        let msg = match self.google.revoke(&refresh_token).await {
            Ok(Revocation::Revoked) => "Inbox disconnected; access revoked at Google",
            Ok(Revocation::AlreadyRevoked) => {
                "Inbox disconnected; access was already revoked at Google"
            }
            // Keep the connection so the caller can retry; deleting it would strand the grant.
            Err(e) => return Err(ApiError::upstream(e)),
        };
        // Files first, so a failure leaves the connection for a retry; again after the
        // connection is gone, for what a listing running meanwhile stored (a listing that
        // finishes after this sees the connection gone and deletes its own, `still_connected`).
        let prefix = files_prefix(&connection.id);
        self.files.delete_prefix(&prefix).await.map_err(internal)?;
        self.store
            .delete_connection(&connection)
            .await
            .map_err(internal)?;
        if let Err(e) = self.files.delete_prefix(&prefix).await {
            // The bucket's `temp/` expiry removes them within a day.
            tracing::warn!(error = %e, "deleting files stored during the disconnect failed");
        }
        tracing::info!(tenant_id = %connection.tenant_id, connection_id = %connection.id, "inbox disconnected");
        Ok(DisconnectResponse {
            status: Outcome::Success,
            msg: msg.into(),
        })
    }
}

pub fn reconsent_required() -> ApiError {
    ApiError::new(
        ErrorCode::ReconsentRequired,
        "Access to this inbox was revoked or expired at Google; connect it again",
    )
}
