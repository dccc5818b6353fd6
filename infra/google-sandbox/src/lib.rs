//! Google sandbox: a local HTTP server that behaves like Google's OAuth 2.0
//! endpoints and the Gmail API, because Google itself is not reachable from
//! tests and local runs.
//!
//! One host serves every path; paths mirror Google's
//! (`accounts.google.com/o/oauth2/v2/auth`, `oauth2.googleapis.com/token`,
//! `gmail.googleapis.com/gmail/v1/...`), so a client only swaps base URLs.
//! Test controls that Google doesn't have live under `/_sandbox/`.
//!
//! Gmail methods: `users.getProfile`, `users.messages.list` (with the `q`
//! search language), `users.messages.get` (`full`/`metadata`/`minimal`/`raw`)
//! and `users.messages.attachments.get`, served from `.eml` files.
//!
//! Knobs ([`Config`] fields, CLI flags, and `POST /_sandbox/config` at run
//! time): latency before every Gmail answer, a fault rate of random
//! 429/500/503 answers, and Gmail's per-user quota (250 units/s;
//! `POST /_sandbox/quota` reports how many calls it refused). `GET /_sandbox/calls` counts
//! the authorised Gmail calls per method (did the client download that attachment?).
//!
//! In-process use (tests):
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! tokio::spawn(google_sandbox::serve(listener, google_sandbox::Config::default()));
//! // talk to http://{addr}
//! # Ok(()) }
//! ```

mod accounts;
mod controls;
mod gmail;
mod google_error;
mod oauth;
mod pages;
mod params;
mod store;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;

pub use accounts::{DEMO_ACCOUNT, sub_for};

pub const DEFAULT_CLIENT_ID: &str = "local-dev-client.apps.googleusercontent.com";
pub const DEFAULT_CLIENT_SECRET: &str = "local-dev-secret";
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:9000/v4/inbox/callback";
/// The mailboxes shipped with the crate (the demo accounts).
pub const DEFAULT_MAILBOXES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/mailboxes");

/// The one OAuth client the sandbox knows, and where its accounts live.
#[derive(Debug, Clone)]
pub struct Config {
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs; authorize requests must match one exactly.
    pub redirect_uris: Vec<String>,
    /// Each subdirectory whose name contains `@` is an account.
    pub mailboxes_dir: PathBuf,
    pub access_token_ttl: Duration,
    pub code_ttl: Duration,
    /// Sleep before every Gmail API answer (0: none).
    pub latency: Duration,
    /// Fraction (0.0–1.0) of authorised Gmail API calls answered with a
    /// random 429 / 500 / 503 (0.0: none).
    pub fault_rate: f64,
    /// Per-user Gmail quota in units per second, Gmail's 250 by default; 0
    /// turns the quota off.
    pub quota_units_per_second: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: DEFAULT_CLIENT_SECRET.into(),
            redirect_uris: vec![DEFAULT_REDIRECT_URI.into()],
            mailboxes_dir: PathBuf::from(DEFAULT_MAILBOXES_DIR),
            access_token_ttl: Duration::from_secs(3599),
            code_ttl: Duration::from_secs(600),
            latency: Duration::ZERO,
            fault_rate: 0.0,
            quota_units_per_second: gmail::limits::DEFAULT_QUOTA_UNITS_PER_SECOND,
        }
    }
}

impl Config {
    /// Rejects configurations that would only fail later, mid-flow.
    pub fn validate(&self) -> Result<(), String> {
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return Err("client id and secret must not be empty".into());
        }
        if self.redirect_uris.is_empty() {
            return Err("at least one redirect URI must be registered".into());
        }
        for uri in &self.redirect_uris {
            let url = url::Url::parse(uri).map_err(|e| format!("redirect URI {uri:?}: {e}"))?;
            if url.fragment().is_some() {
                return Err(format!("redirect URI {uri:?} must not have a fragment"));
            }
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(format!(
                "fault rate {} must be between 0.0 and 1.0",
                self.fault_rate
            ));
        }
        chrono::TimeDelta::from_std(self.access_token_ttl)
            .and(chrono::TimeDelta::from_std(self.code_ttl))
            .map_err(|_| "TTL out of range".to_string())?;
        Ok(())
    }

    fn access_token_ttl(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.access_token_ttl).unwrap_or(chrono::TimeDelta::MAX)
    }

    fn knobs(&self) -> gmail::limits::Knobs {
        gmail::limits::Knobs {
            latency: self.latency,
            fault_rate: self.fault_rate,
            quota_units_per_second: self.quota_units_per_second,
        }
    }

    fn code_ttl(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.code_ttl).unwrap_or(chrono::TimeDelta::MAX)
    }
}

/// Shared state of a running sandbox.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    mailboxes: accounts::Mailboxes,
    store: Mutex<store::Store>,
    limits: gmail::limits::Limits,
    summaries: gmail::index::Cache,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        let mailboxes = accounts::Mailboxes::new(config.mailboxes_dir.clone());
        let limits = gmail::limits::Limits::new(config.knobs());
        AppState(Arc::new(Inner {
            config,
            mailboxes,
            store: Mutex::new(store::Store::default()),
            limits,
            summaries: gmail::index::Cache::default(),
        }))
    }

    fn config(&self) -> &Config {
        &self.0.config
    }

    fn mailboxes(&self) -> &accounts::Mailboxes {
        &self.0.mailboxes
    }

    fn limits(&self) -> &gmail::limits::Limits {
        &self.0.limits
    }

    fn summaries(&self) -> &gmail::index::Cache {
        &self.0.summaries
    }

    /// Handlers never hold the lock across an `.await`. A poisoned lock only
    /// means another handler panicked mid-update; the maps are still usable,
    /// and a test server should keep answering rather than cascade panics.
    fn store(&self) -> MutexGuard<'_, store::Store> {
        self.0
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(oauth::routes())
        .merge(gmail::routes())
        .merge(controls::routes())
        .with_state(state)
}

/// Serves until the listener fails. The caller binds (and can therefore learn
/// the port when binding `127.0.0.1:0`).
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    config
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    tracing::info!(
        client_id = %config.client_id,
        redirect_uris = ?config.redirect_uris,
        mailboxes = %config.mailboxes_dir.display(),
        "google sandbox ready"
    );
    axum::serve(listener, router(AppState::new(config))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn bad_redirect_uri_is_rejected() {
        let config = Config {
            redirect_uris: vec!["not a url".into()],
            ..Config::default()
        };
        assert!(config.validate().is_err());
        let config = Config {
            redirect_uris: vec![],
            ..Config::default()
        };
        assert!(config.validate().is_err());
    }

    #[test]
    fn fault_rate_must_be_a_fraction() {
        for bad in [-0.1, 1.5, f64::NAN] {
            let config = Config {
                fault_rate: bad,
                ..Config::default()
            };
            assert!(config.validate().is_err(), "{bad}");
        }
    }
}
