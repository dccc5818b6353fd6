//! The code flow (issue 11, item 4): for a tenant set to it, the callback's redirect carries a
//! one-time `code` instead of the `inbox_token`, and the app's backend exchanges it at
//! `POST /v4/inbox/token` with its API key and the `state` it gave the connect call. The token
//! never passes through the browser, and a code an attacker plants in a victim's browser (login
//! CSRF) does not match the victim's session's state. The code is stored only as its SHA-256,
//! is used up by its first exchange (one conditional delete) and lives 60 seconds; it is never
//! logged.

use super::inbox_token::InboxTokenSubject;
use super::model::{AuthCode, OAuthState};
use super::secrets::{random_token, sha256_hex};
use super::service::{Caller, Inbox};
use crate::api::{Outcome, TokenRequest, TokenResponse};
use crate::error::{ApiError, ErrorCode};

/// How long a code can be exchanged: enough for a backend to act on the redirect at once,
/// too little for a leaked one to be of use later.
pub const CODE_TTL_SECONDS: i64 = 60;
/// Random bytes in a code (URL-safe text of 43 characters).
const CODE_BYTES: usize = 32;
/// Longer than any code we make: such a value is refused before it is hashed and looked up.
const MAX_CODE_LEN: usize = 128;

fn invalid_code() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCode,
        "The code is unknown, was already used, or belongs to another API key's tenant",
    )
}

/// Constant-time equality, so the comparison's timing says nothing about the expected state.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Inbox {
    /// Stores a fresh code for the new connection; the code to put in the redirect, or the
    /// `error` to send back instead.
    pub(crate) async fn issue_code(
        &self,
        state: &OAuthState,
        connection_id: &str,
        email: &str,
    ) -> Result<String, &'static str> {
        let code = random_token(CODE_BYTES);
        let now = self.clock.now();
        let entry = AuthCode {
            code_hash: sha256_hex(code.as_bytes()),
            tenant_id: state.tenant_id.clone(),
            connection_id: connection_id.to_string(),
            email: email.to_string(),
            app_state: state.app_state.clone(),
            created_at: now,
            expires_at: now + CODE_TTL_SECONDS,
        };
        self.store.put_auth_code(&entry).await.map_err(|e| {
            tracing::error!(error = %e, "storing a code failed");
            "server_error"
        })?;
        Ok(code)
    }

    /// `POST /v4/inbox/token`: the code's `inbox_token`, once. Any exchange by the code's own
    /// tenant uses the code up, a failed one too (a wrong state is what a planted code looks
    /// like; it gets no second try).
    pub async fn exchange_code(
        &self,
        caller: &Caller,
        request: TokenRequest,
    ) -> Result<TokenResponse, ApiError> {
        let code = request
            .code
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ApiError::invalid_request("code is required"))?;
        let state = request
            .state
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::invalid_request("state is required"))?;
        if code.len() > MAX_CODE_LEN {
            return Err(invalid_code());
        }
        let entry = self
            .store
            .take_auth_code(&sha256_hex(code.as_bytes()), &caller.tenant.id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(invalid_code)?;
        let now = self.clock.now();
        if entry.expires_at <= now {
            return Err(ApiError::new(
                ErrorCode::CodeExpired,
                format!(
                    "The code is older than {CODE_TTL_SECONDS} seconds; connect the inbox again"
                ),
            ));
        }
        let expected = entry.app_state.as_deref().unwrap_or_default();
        if !same(expected.as_bytes(), state.as_bytes()) {
            tracing::warn!(tenant_id = %caller.tenant.id, "code exchanged with another state");
            return Err(ApiError::new(
                ErrorCode::StateMismatch,
                "state is not the one the connect call was given; the code is used up",
            ));
        }
        // Disconnected (or replaced by a newer consent) since the callback: nothing to hand out.
        match self
            .store
            .connection(&entry.connection_id)
            .await
            .map_err(ApiError::internal)?
        {
            Some(c) if c.tenant_id == entry.tenant_id => {}
            _ => return Err(invalid_code()),
        }
        let inbox_token = self
            .signer
            .issue(
                &InboxTokenSubject {
                    connection_id: entry.connection_id,
                    tenant_id: entry.tenant_id,
                },
                now,
            )
            .map_err(ApiError::internal)?;
        Ok(TokenResponse {
            status: Outcome::Success,
            inbox_token,
            expires_in: self.signer.ttl_seconds().max(0) as u64,
            email: entry.email,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fakes::{CONNECTION, MemStore, NOW, ScriptedMailbox, TENANT};
    use crate::domain::model::CallbackFlow;
    use crate::domain::service::{Caller, Inbox};
    use crate::domain::test_inbox::inbox_with;
    use rust_decimal::Decimal;
    use std::sync::Arc;

    fn state(app_state: Option<&str>, tenant_id: &str) -> OAuthState {
        OAuthState {
            id: "st".into(),
            tenant_id: tenant_id.into(),
            redirect_uri: "https://app.example/cb".into(),
            app_state: app_state.map(str::to_string),
            pkce_verifier: String::new(),
            callback_url: String::new(),
            flow: CallbackFlow::Code,
            created_at: NOW,
            expires_at: NOW + 600,
        }
    }

    /// The fakes' inbox with one code issued to its connection: the inbox, its store, the
    /// tenant's caller and the code.
    async fn with_code() -> (Inbox, Arc<MemStore>, Caller, String) {
        let (inbox, store, caller, _) =
            inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
        let code = issue(&inbox).await;
        (inbox, store, caller, code)
    }

    /// A code for the connection, issued with the app state `s1`.
    async fn issue(inbox: &Inbox) -> String {
        inbox
            .issue_code(&state(Some("s1"), TENANT), CONNECTION, "a@gmail.com")
            .await
            .unwrap()
    }

    fn request(code: &str, state: &str) -> TokenRequest {
        TokenRequest {
            code: Some(code.into()),
            state: Some(state.into()),
        }
    }

    #[tokio::test]
    async fn a_code_is_exchanged_once_for_a_token_of_its_connection() {
        let (inbox, store, caller, code) = with_code().await;
        let stored: Vec<String> = store.codes.lock().unwrap().keys().cloned().collect();
        assert_eq!(
            stored,
            vec![sha256_hex(code.as_bytes())],
            "only the hash is stored"
        );
        let answer = inbox
            .exchange_code(&caller, request(&code, "s1"))
            .await
            .unwrap();
        let subject = inbox.signer.verify(&answer.inbox_token, NOW).unwrap();
        assert_eq!(subject.connection_id, CONNECTION);
        assert_eq!(answer.email, "a@gmail.com");
        assert_eq!(answer.expires_in, 3600);
        let again = inbox.exchange_code(&caller, request(&code, "s1")).await;
        assert_eq!(again.unwrap_err().code, ErrorCode::InvalidCode);
    }

    #[tokio::test]
    async fn a_wrong_state_uses_the_code_up_and_bad_requests_are_refused() {
        let (inbox, _, caller, code) = with_code().await;
        let wrong = inbox.exchange_code(&caller, request(&code, "s2")).await;
        assert_eq!(wrong.unwrap_err().code, ErrorCode::StateMismatch);
        let right = inbox.exchange_code(&caller, request(&code, "s1")).await;
        assert_eq!(right.unwrap_err().code, ErrorCode::InvalidCode);
        for bad in [
            TokenRequest::default(),
            TokenRequest {
                code: Some("x".into()),
                state: None,
            },
            request("", "s1"),
        ] {
            let e = inbox.exchange_code(&caller, bad).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
        }
        let long = "c".repeat(MAX_CODE_LEN + 1);
        let e = inbox.exchange_code(&caller, request(&long, "s1")).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidCode);
        assert!(!format!("{:?}", request(&code, "s1")).contains(&code));
    }

    #[tokio::test]
    async fn another_tenants_attempt_leaves_the_code_to_its_own_tenant() {
        let (inbox, _, caller, code) = with_code().await;
        let mut other = caller.clone();
        other.tenant.id = "tnt_other".into();
        let e = inbox.exchange_code(&other, request(&code, "s1")).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidCode);
        assert!(
            inbox
                .exchange_code(&caller, request(&code, "s1"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_expired_code_or_a_gone_connection_gives_no_token() {
        let (inbox, store, caller, code) = with_code().await;
        for entry in store.codes.lock().unwrap().values_mut() {
            entry.expires_at = NOW;
        }
        let e = inbox.exchange_code(&caller, request(&code, "s1")).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::CodeExpired);

        let code = issue(&inbox).await;
        store.connections.lock().unwrap().clear();
        let e = inbox.exchange_code(&caller, request(&code, "s1")).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidCode);
    }
}
