//! `GoogleAccounts` over HTTP: Google's OAuth 2.0 endpoints and Gmail's users.getProfile.
//! Every URL is configuration, so tests and local runs point it at the Google sandbox.

use super::secrets_manager::GoogleClientCredentials;
use crate::domain::connection::REQUESTED_SCOPES;
use crate::domain::ports::{AccessToken, GoogleAccounts, GoogleError, GoogleTokens, Revocation};
use async_trait::async_trait;
use reqwest::{Client, Response, StatusCode};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

pub use crate::config::GoogleUrls;

pub struct GoogleHttp {
    http: Client,
    urls: GoogleUrls,
    credentials: GoogleClientCredentials,
}

/// One HTTP client per process, shared by every Google call (connection reuse).
pub fn http_client() -> Client {
    super::tls::http_client_builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

impl GoogleHttp {
    pub fn new(http: Client, urls: GoogleUrls, credentials: GoogleClientCredentials) -> Self {
        Self {
            http,
            urls,
            credentials,
        }
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenResponse, GoogleError> {
        let mut body = vec![
            ("client_id", self.credentials.client_id.as_str()),
            ("client_secret", self.credentials.client_secret.as_str()),
        ];
        body.extend_from_slice(form);
        let response = self
            .http
            .post(&self.urls.token)
            .form(&body)
            .send()
            .await
            .map_err(unavailable)?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(unavailable);
        }
        Err(oauth_error(status, response).await)
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default = "default_expires_in")]
    expires_in: i64,
    refresh_token: Option<String>,
    #[serde(default)]
    scope: String,
}

fn default_expires_in() -> i64 {
    3599
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
}

fn unavailable(e: reqwest::Error) -> GoogleError {
    // reqwest's error text names the URL but never the form body, so no token is logged.
    GoogleError::Unavailable(e.without_url().to_string())
}

/// Google's OAuth errors are `{"error": "...", "error_description": "..."}`.
async fn oauth_error(status: StatusCode, response: Response) -> GoogleError {
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return GoogleError::Unavailable(format!("token endpoint answered {status}"));
    }
    match response.json::<OAuthErrorBody>().await {
        Ok(body) if body.error == "invalid_grant" => GoogleError::InvalidGrant,
        Ok(body) => GoogleError::Refused(body.error),
        Err(_) => GoogleError::Refused(format!("token endpoint answered {status}")),
    }
}

/// Google API errors (Gmail) by status.
fn api_error(status: StatusCode, what: &str) -> GoogleError {
    match status {
        StatusCode::UNAUTHORIZED => GoogleError::Unauthorized,
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
            GoogleError::Unavailable(format!("{what} answered {s}"))
        }
        s => GoogleError::Refused(format!("{what} answered {s}")),
    }
}

#[async_trait]
impl GoogleAccounts for GoogleHttp {
    fn authorize_url(&self, state: &str, code_challenge: &str, callback_url: &str) -> String {
        let scope = REQUESTED_SCOPES.join(" ");
        let params = [
            ("client_id", self.credentials.client_id.as_str()),
            ("redirect_uri", callback_url),
            ("response_type", "code"),
            ("scope", scope.as_str()),
            // offline + consent: Google returns a refresh token on every consent.
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("state", state),
            ("code_challenge", code_challenge),
            ("code_challenge_method", "S256"),
        ];
        match Url::parse_with_params(&self.urls.auth, &params) {
            Ok(url) => url.into(),
            // The URL was validated at start-up; keep the endpoint's own text if not.
            Err(_) => self.urls.auth.clone(),
        }
    }

    async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        callback_url: &str,
    ) -> Result<GoogleTokens, GoogleError> {
        let t = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", code_verifier),
                ("redirect_uri", callback_url),
            ])
            .await?;
        Ok(GoogleTokens {
            access_token: t.access_token,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            scopes: t.scope.split_whitespace().map(String::from).collect(),
        })
    }

    async fn refresh(&self, refresh_token: &str) -> Result<AccessToken, GoogleError> {
        let t = self
            .token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .await?;
        Ok(AccessToken {
            token: t.access_token,
            expires_in: t.expires_in,
        })
    }

    async fn revoke(&self, token: &str) -> Result<Revocation, GoogleError> {
        let response = self
            .http
            .post(&self.urls.revoke)
            .form(&[("token", token)])
            .send()
            .await
            .map_err(unavailable)?;
        match response.status() {
            s if s.is_success() => Ok(Revocation::Revoked),
            StatusCode::BAD_REQUEST => Ok(Revocation::AlreadyRevoked),
            s => Err(GoogleError::Unavailable(format!("revoke answered {s}"))),
        }
    }

    async fn gmail_address(&self, access_token: &str) -> Result<String, GoogleError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Profile {
            email_address: String,
        }
        let url = format!(
            "{}/gmail/v1/users/me/profile",
            self.urls.gmail.trim_end_matches('/')
        );
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(unavailable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(api_error(status, "gmail profile"));
        }
        let profile: Profile = response.json().await.map_err(unavailable)?;
        Ok(profile.email_address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_asks_for_offline_readonly_consent_with_pkce() {
        let google = GoogleHttp::new(
            http_client(),
            GoogleUrls::default(),
            GoogleClientCredentials {
                client_id: "cid".into(),
                client_secret: "secret".into(),
            },
        );
        let url = Url::parse(&google.authorize_url("st", "ch", "https://api.x/v4/inbox/callback"))
            .unwrap();
        assert_eq!(url.host_str(), Some("accounts.google.com"));
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "cid");
        assert_eq!(q["redirect_uri"], "https://api.x/v4/inbox/callback");
        assert_eq!(q["response_type"], "code");
        assert_eq!(
            q["scope"],
            "openid email https://www.googleapis.com/auth/gmail.readonly"
        );
        assert_eq!(q["access_type"], "offline");
        assert_eq!(q["prompt"], "consent");
        assert_eq!(q["state"], "st");
        assert_eq!(q["code_challenge"], "ch");
        assert_eq!(q["code_challenge_method"], "S256");
        assert!(!url.as_str().contains("secret"));
    }
}
