//! The application a function serves: the domain built over real adapters, once per cold
//! start. `runtime::run` and the integration tests build it the same way, with [`App::build`].

use crate::adapters::{AllAdapters, Secrets, Wiring, build_inbox_with};
use crate::config::Config;
use crate::domain::ports::{Clock, InfraError};
use crate::domain::service::Inbox;
use aws_config::SdkConfig;
use std::sync::Arc;

/// What every function keeps for the life of its process.
pub struct App {
    pub inbox: Inbox,
    /// See `Config::public_base_url`.
    pub public_base_url: Option<String>,
}

/// The outside services an app is built over: the AWS SDK's configuration, and which
/// secrets the function may read (see `runtime::secrets`).
#[derive(Clone)]
pub struct Clients {
    pub aws: SdkConfig,
    pub secrets: Secrets,
}

impl Clients {
    /// Every secret read (tests, tools).
    pub fn all(aws: &SdkConfig) -> Self {
        Self {
            aws: aws.clone(),
            secrets: Secrets::ALL,
        }
    }
}

impl App {
    /// Every adapter, reading the secrets `clients` names (tests, local fronts).
    pub async fn build(
        config: &Config,
        clients: &Clients,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, InfraError> {
        let inbox =
            build_inbox_with::<AllAdapters>(config, &clients.aws, clock, clients.secrets).await?;
        Ok(Self {
            inbox,
            public_base_url: config.public_base_url.clone(),
        })
    }

    /// One function's app: its secrets and only its adapters (`runtime::wiring`).
    pub async fn build_for<W: Wiring>(
        config: &Config,
        aws: &SdkConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, InfraError> {
        let inbox = build_inbox_with::<W>(config, aws, clock, W::SECRETS).await?;
        Ok(Self {
            inbox,
            public_base_url: config.public_base_url.clone(),
        })
    }
}
