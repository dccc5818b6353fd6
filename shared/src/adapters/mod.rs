//! AWS and Google adapters behind the domain's ports, and the wiring that builds them.

pub mod dynamo;
pub mod gmail;
pub mod google;
pub mod kms;
pub mod pdf_fetch;
pub mod provision;
pub mod s3;
pub mod secrets_manager;

use crate::config::Config;
use crate::domain::inbox::{Inbox, InboxSettings};
use crate::domain::inbox_token::InboxTokenSigner;
use crate::domain::links::LinkSigner;
use crate::domain::ports::{Clock, InfraError, SystemClock};
use aws_config::SdkConfig;
use std::sync::Arc;

/// Loads the AWS configuration the standard way (env, profile, role); `AWS_ENDPOINT_URL`
/// and the per-service variants point it at an emulator.
pub async fn aws_config() -> SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// Builds the domain with real adapters: SDK clients made once, secrets read once.
pub async fn build_inbox(
    config: &Config,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<Inbox, InfraError> {
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let (signing_key, google_client) = tokio::try_join!(
        secrets_manager::secret_string(&secrets, &config.inbox_token_secret_id),
        secrets_manager::google_client(&secrets, &config.google_client_secret_id),
    )?;
    let signer = InboxTokenSigner::new(signing_key.as_bytes(), config.inbox_token_ttl_seconds)
        .map_err(InfraError)?;
    let http = google::http_client();
    Ok(Inbox {
        store: Arc::new(dynamo::DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &config.table_name,
        )),
        keys: Arc::new(kms::KmsKeys::new(
            aws_sdk_kms::Client::new(sdk),
            &config.kms_key_id,
        )),
        google: Arc::new(google::GoogleHttp::new(
            http.clone(),
            config.google_urls.clone(),
            google_client,
        )),
        mailbox: Arc::new(gmail::GmailHttp::new(http, &config.google_urls.gmail)),
        files: Arc::new(s3::S3Files::new(s3_client(sdk), &config.files_bucket)),
        clock,
        signer,
        links: LinkSigner::derive(signing_key.as_bytes()),
        settings: InboxSettings {
            state_ttl_seconds: config.oauth_state_ttl_seconds,
            ..InboxSettings::default()
        },
    })
}

/// An S3 client; against an emulator (a custom endpoint) it addresses buckets by path.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The same, on the system clock: what the Lambda functions use.
pub async fn build_inbox_from_env() -> Result<(Config, Inbox), String> {
    let config = Config::from_env()?;
    let sdk = aws_config().await;
    let inbox = build_inbox(&config, &sdk, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    Ok((config, inbox))
}
