//! `POST /v4/inbox/connect`, `GET /v4/inbox/callback`, `POST /v4/inbox/status` and
//! `POST /v4/inbox/disconnect`: an inbox connection from consent to its end.

use super::inbox_token::InboxTokenSubject;
use super::model::{CallbackFlow, Connection, ConnectionStatus, OAuthState};
use super::pkce::Pkce;
use super::ports::GoogleError;
use super::ports::{InfraError, Revocation, Saved};
use super::redirect_uri::RedirectUri;
use super::secrets::random_token;
use super::service::{
    ACCESS_TOKEN, Caller, Inbox, REFRESH_TOKEN, internal, rfc3339, token_context,
};
use super::stored_files::files_prefix;
use crate::api::{ConnectRequest, ConnectResponse, DisconnectResponse, Outcome, StatusResponse};
use crate::error::{ApiError, ErrorCode};

pub const GMAIL_READONLY_SCOPE: &str = "https://www.googleapis.com/auth/gmail.readonly";
/// Conditional writes a callback tries before giving up on a connection index that keeps
/// changing under it.
const SAVE_ATTEMPTS: usize = 5;

/// The scopes we ask for: read-only Gmail, plus the address it belongs to.
pub const REQUESTED_SCOPES: [&str; 3] = ["openid", "email", GMAIL_READONLY_SCOPE];
pub const MAX_APP_STATE_LEN: usize = 512;

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

impl Inbox {
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
        if let Some(state) = &request.state
            && state.chars().count() > MAX_APP_STATE_LEN
        {
            return Err(ApiError::invalid_request(format!(
                "state must be at most {MAX_APP_STATE_LEN} characters"
            )));
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
        // The replaced connection's fetched files and scheduled imports go with it (the
        // statement password was encrypted for it alone: the new connection enables imports
        // afresh).
        if let Some(old) = previous.filter(|old| *old != connection.id) {
            if let Err(e) = self.files.delete_prefix(&files_prefix(&old)).await {
                tracing::warn!(error = %e, "deleting a replaced connection's files failed");
            }
            if let Err(e) = self.imports.forget(&old).await {
                tracing::warn!(error = %e, "deleting a replaced connection's imports failed");
            }
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
            import: crate::domain::imports::import_status(self.imports.as_ref(), &connection.id)
                .await?,
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
        // Scheduled imports' settings (the stored statement password) and kept batches, also
        // before the connection: a failure leaves it for a retry.
        self.imports
            .forget(&connection.id)
            .await
            .map_err(internal)?;
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

#[cfg(test)]
#[path = "connection_tests.rs"]
mod replacement_tests;
