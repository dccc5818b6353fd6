//! In-memory OAuth state: pending consents, authorization codes, grants and
//! the tokens issued for them.
//!
//! A *grant* is what one successful code exchange creates: an account's
//! consent to a client for a set of scopes. Its refresh token and all of its
//! access tokens live and die with it, which is how Google's revocation works
//! (revoking any token of a grant revokes all of them). Tokens point at their
//! grant, so "is this token usable" is answered in one place.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;

/// Unanswered consent pages are forgotten after this long, so abandoned
/// browser tabs don't accumulate forever.
const CONSENT_TTL: TimeDelta = TimeDelta::hours(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeMethod {
    S256,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceChallenge {
    pub challenge: String,
    pub method: ChallengeMethod,
}

/// A validated request to the authorize endpoint; carried through the
/// consent page into the authorization code.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// Requested scopes, normalised and de-duplicated, in request order.
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub pkce: Option<PkceChallenge>,
    /// `access_type=offline`: the exchange also returns a refresh token.
    pub offline: bool,
    pub include_granted_scopes: bool,
    pub nonce: Option<String>,
    pub login_hint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PendingConsent {
    pub request: AuthRequest,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub request: AuthRequest,
    pub email: String,
    /// What the user actually granted (granular consent may drop some).
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    /// Codes are single use; a used code is kept so that reuse is reported
    /// distinctly from an unknown code.
    pub used: bool,
}

pub type GrantId = usize;

#[derive(Debug, Clone)]
pub struct Grant {
    pub email: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub refresh_token: Option<String>,
    /// The id_token `nonce` of the authorize request, if any.
    pub nonce: Option<String>,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct AccessToken {
    grant: GrantId,
    expires_at: DateTime<Utc>,
}

/// Why a token cannot be revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotRevocable;

#[derive(Debug, Default)]
pub struct Store {
    consents: HashMap<String, PendingConsent>,
    codes: HashMap<String, AuthCode>,
    /// Grants are never deleted (only marked revoked) so tests can inspect
    /// them; the index into this Vec is the grant id.
    grants: Vec<Grant>,
    refresh_tokens: HashMap<String, GrantId>,
    access_tokens: HashMap<String, AccessToken>,
}

/// A URL-safe random string (`[A-Za-z0-9]`), for ids and token bodies.
pub fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

impl Store {
    pub fn insert_consent(&mut self, request: AuthRequest, now: DateTime<Utc>) -> String {
        self.consents
            .retain(|_, c| now.signed_duration_since(c.created_at) < CONSENT_TTL);
        let id = random_token(32);
        self.consents.insert(
            id.clone(),
            PendingConsent {
                request,
                created_at: now,
            },
        );
        id
    }

    pub fn consent(&self, id: &str) -> Option<&PendingConsent> {
        self.consents.get(id)
    }

    /// Removes the consent: a consent page can be answered once.
    pub fn take_consent(&mut self, id: &str) -> Option<PendingConsent> {
        self.consents.remove(id)
    }

    /// Scopes of the account's live grants to this client, for
    /// `include_granted_scopes=true` (incremental authorization).
    pub fn previously_granted(&self, email: &str, client_id: &str) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        for grant in self.grants.iter().filter(|g| {
            !g.revoked && g.client_id == client_id && g.email.eq_ignore_ascii_case(email)
        }) {
            for scope in &grant.scopes {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        scopes
    }

    pub fn insert_code(&mut self, code: AuthCode) -> String {
        // Same shape as Google's codes ("4/0A..."), so URL-encoding of the
        // `/` in redirects is exercised.
        let value = format!("4/sandbox.{}", random_token(40));
        self.codes.insert(value.clone(), code);
        value
    }

    pub fn code_mut(&mut self, code: &str) -> Option<&mut AuthCode> {
        self.codes.get_mut(code)
    }

    pub fn create_grant(
        &mut self,
        email: &str,
        client_id: &str,
        scopes: Vec<String>,
        offline: bool,
        nonce: Option<String>,
        now: DateTime<Utc>,
    ) -> GrantId {
        let id = self.grants.len();
        let refresh_token = offline.then(|| format!("1//sandbox.{}", random_token(48)));
        if let Some(token) = &refresh_token {
            self.refresh_tokens.insert(token.clone(), id);
        }
        self.grants.push(Grant {
            email: email.to_string(),
            client_id: client_id.to_string(),
            scopes,
            refresh_token,
            nonce,
            revoked: false,
            created_at: now,
        });
        id
    }

    pub fn grant(&self, id: GrantId) -> Option<&Grant> {
        self.grants.get(id)
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn issue_access_token(
        &mut self,
        grant: GrantId,
        ttl: TimeDelta,
        now: DateTime<Utc>,
    ) -> String {
        let token = format!("ya29.sandbox.{}", random_token(64));
        self.access_tokens.insert(
            token.clone(),
            AccessToken {
                grant,
                expires_at: now + ttl,
            },
        );
        token
    }

    /// The live grant behind a refresh token, if it is known and unrevoked.
    pub fn grant_for_refresh_token(&self, token: &str) -> Option<GrantId> {
        let id = *self.refresh_tokens.get(token)?;
        self.grants.get(id).filter(|g| !g.revoked).map(|_| id)
    }

    /// The grant behind a bearer access token, if the token is known,
    /// unexpired and its grant unrevoked.
    pub fn authenticate(&self, access_token: &str, now: DateTime<Utc>) -> Option<&Grant> {
        let token = self.access_tokens.get(access_token)?;
        if token.expires_at <= now {
            return None;
        }
        self.grants.get(token.grant).filter(|g| !g.revoked)
    }

    /// Google's `/revoke`: any token of a grant (refresh or access) revokes the
    /// whole grant. Expired access tokens and already revoked grants cannot be
    /// revoked (Google answers `invalid_token`).
    pub fn revoke_token(
        &mut self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<GrantId, NotRevocable> {
        let id = if let Some(id) = self.refresh_tokens.get(token) {
            *id
        } else if let Some(access) = self.access_tokens.get(token) {
            if access.expires_at <= now {
                return Err(NotRevocable);
            }
            access.grant
        } else {
            return Err(NotRevocable);
        };
        match self.grants.get_mut(id) {
            Some(grant) if !grant.revoked => {
                grant.revoked = true;
                Ok(id)
            }
            _ => Err(NotRevocable),
        }
    }

    /// The user removes the app's access in their Google account: every live
    /// grant of the account is revoked. Returns how many were.
    pub fn revoke_account(&mut self, email: &str) -> usize {
        let mut revoked = 0;
        for grant in self
            .grants
            .iter_mut()
            .filter(|g| !g.revoked && g.email.eq_ignore_ascii_case(email))
        {
            grant.revoked = true;
            revoked += 1;
        }
        revoked
    }

    /// Makes every live access token expired as of `now`. Returns how many
    /// were live.
    pub fn expire_access_tokens(&mut self, now: DateTime<Utc>) -> usize {
        let mut expired = 0;
        for token in self.access_tokens.values_mut() {
            if token.expires_at > now {
                token.expires_at = now;
                expired += 1;
            }
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(store: &mut Store, email: &str, now: DateTime<Utc>) -> GrantId {
        store.create_grant(email, "client", vec!["openid".into()], true, None, now)
    }

    #[test]
    fn revoking_an_access_token_revokes_the_refresh_token() {
        let now = Utc::now();
        let mut store = Store::default();
        let id = grant(&mut store, "a@x", now);
        let access = store.issue_access_token(id, TimeDelta::seconds(60), now);
        let refresh = store
            .grant(id)
            .and_then(|g| g.refresh_token.clone())
            .unwrap();

        assert_eq!(store.revoke_token(&access, now), Ok(id));
        assert!(store.authenticate(&access, now).is_none());
        assert!(store.grant_for_refresh_token(&refresh).is_none());
        assert_eq!(store.revoke_token(&refresh, now), Err(NotRevocable));
    }

    #[test]
    fn expired_access_tokens_do_not_authenticate_but_refresh_still_works() {
        let now = Utc::now();
        let mut store = Store::default();
        let id = grant(&mut store, "a@x", now);
        let access = store.issue_access_token(id, TimeDelta::seconds(60), now);
        assert!(store.authenticate(&access, now).is_some());
        assert_eq!(store.expire_access_tokens(now), 1);
        assert!(store.authenticate(&access, now).is_none());
        let refresh = store
            .grant(id)
            .and_then(|g| g.refresh_token.clone())
            .unwrap();
        assert_eq!(store.grant_for_refresh_token(&refresh), Some(id));
    }

    #[test]
    fn account_revoke_only_touches_that_account() {
        let now = Utc::now();
        let mut store = Store::default();
        grant(&mut store, "a@x", now);
        grant(&mut store, "A@x", now);
        let other = grant(&mut store, "b@x", now);
        assert_eq!(store.revoke_account("a@x"), 2);
        assert_eq!(store.revoke_account("a@x"), 0);
        assert!(!store.grant(other).unwrap().revoked);
    }

    #[test]
    fn online_access_has_no_refresh_token() {
        let mut store = Store::default();
        let id = store.create_grant("a@x", "c", vec![], false, None, Utc::now());
        assert!(store.grant(id).unwrap().refresh_token.is_none());
    }
}
