//! AWS and Google adapters behind the domain's ports, and the wiring that builds them.

pub mod aws_env;
pub mod aws_http;
pub mod dynamo;
pub mod dynamo_imports;
pub mod gmail;
pub mod google;
pub mod kms;
pub mod memory;
pub mod pdf_fetch;
pub mod provision;
pub mod s3;
pub mod secrets_manager;
pub mod sqs;
pub mod tls;
mod unavailable;
pub mod webhook_delivery;

pub use unavailable::Unavailable;

use crate::config::Config;
use crate::domain::inbox_token::InboxTokenSigner;
use crate::domain::links::LinkSigner;
use crate::domain::ports::{
    AccessToken, Clock, GoogleAccounts, GoogleError, GoogleTokens, InfraError, Revocation,
};
use crate::domain::service::{Inbox, InboxSettings};
use aws_config::SdkConfig;
use std::sync::Arc;

/// Loads the AWS configuration the standard way (env, profile, role) for an operator's
/// command (cas-admin); `AWS_ENDPOINT_URL` and the per-service variants point it at an
/// emulator. Functions use [`aws_env::lambda_sdk_config`], which links no credential chain.
pub async fn aws_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_http::client())
        .load()
        .await
}

/// The secrets a function reads at its cold start; it reads no other (and its role may read
/// no other: template.yaml gives each function exactly these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secrets {
    /// The inbox_token key ring: connect's callback issues tokens, status/cas/disconnect
    /// verify them.
    pub inbox_token: bool,
    /// The Google OAuth client: every function that talks to Google.
    pub google_client: bool,
    /// The download-link key ring: `cas` signs links, `download` and `parse` check them.
    pub download_links: bool,
}

impl Secrets {
    pub const ALL: Secrets = Secrets {
        inbox_token: true,
        google_client: true,
        download_links: true,
    };
}

/// The adapters a function's handler reaches, besides Secrets Manager (read at its cold
/// start): fixed at compile time per function ([`Wiring`]), so that a function's binary links
/// only the SDK clients and operations it calls. An adapter a function does not use is
/// [`Unavailable`], which links nothing and refuses every call (README "Builds": `download`
/// without DynamoDB and KMS, `connect` without S3, ...).
///
/// The Google OAuth client follows the function's secrets: a function that reads the
/// `google_client` secret talks to Google, no other does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adapters {
    /// DynamoDB: API keys, tenants, credits, connections, OAuth states and codes
    /// ([`dynamo::DynamoStore`]), and the rate limiter.
    pub dynamo: bool,
    /// DynamoDB: scheduled imports' settings and batches ([`dynamo_imports::DynamoImports`]).
    pub import_settings: bool,
    /// KMS: the Google tokens' and webhook secrets' envelope keys.
    pub kms: bool,
    /// S3: the statements fetched from mail, behind download links.
    pub s3: bool,
    /// Gmail's API: searching and reading mail.
    pub gmail: bool,
    /// Fetching a caller's `pdf_url`.
    pub pdf_urls: bool,
    /// SQS: the scheduled imports' queue.
    pub sqs: bool,
    /// Posting (and vetting) tenants' webhooks.
    pub webhooks: bool,
}

impl Adapters {
    pub const ALL: Adapters = Adapters {
        dynamo: true,
        import_settings: true,
        kms: true,
        s3: true,
        gmail: true,
        pdf_urls: true,
        sqs: true,
        webhooks: true,
    };
}

/// What a function reads and reaches, as a type: its binary builds the app with
/// [`build_inbox_with`]`::<W>` and so links only `W`'s adapters (a value the compiler could not
/// see through would link them all). The functions' table is `runtime::wiring`.
pub trait Wiring {
    /// The secrets read at the cold start (`runtime::secrets`).
    const SECRETS: Secrets;
    const ADAPTERS: Adapters;
}

/// Every adapter, and the secrets the caller names at run time: tests, local fronts that
/// serve every route from one process, tools.
pub struct AllAdapters;

impl Wiring for AllAdapters {
    const SECRETS: Secrets = Secrets::ALL;
    const ADAPTERS: Adapters = Adapters::ALL;
}

/// Builds the domain with real adapters: SDK clients made once, and only the `secrets` the
/// function uses read, once. What is not read is a stand-in that refuses (and logs); an
/// adapter `W` does not use is [`Unavailable`]. `needs` is `W::SECRETS` in a function, or
/// fewer (tests).
pub async fn build_inbox_with<W: Wiring>(
    config: &Config,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
    needs: Secrets,
) -> Result<Inbox, InfraError> {
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let id_of =
        |wanted: bool, id: &Option<String>, variable: &str| -> Result<Option<String>, InfraError> {
            match (wanted, id) {
                (false, _) => Ok(None),
                (true, Some(id)) => Ok(Some(id.clone())),
                (true, None) => Err(InfraError(format!(
                    "environment variable {variable} is not set"
                ))),
            }
        };
    let token_id = id_of(
        needs.inbox_token,
        &config.inbox_token_secret_id,
        "INBOX_TOKEN_SECRET_ID",
    )?;
    let google_id = id_of(
        needs.google_client,
        &config.google_client_secret_id,
        "GOOGLE_CLIENT_SECRET_ID",
    )?;
    let links_id = id_of(
        needs.download_links,
        &config.download_link_secret_id,
        "DOWNLOAD_LINK_SECRET_ID",
    )?;
    let (token_ring, google_client, link_ring) = tokio::try_join!(
        async {
            match &token_id {
                Some(id) => secrets_manager::key_ring(&secrets, id).await.map(Some),
                None => Ok(None),
            }
        },
        async {
            match &google_id {
                Some(id) => secrets_manager::google_client(&secrets, id).await.map(Some),
                None => Ok(None),
            }
        },
        async {
            match &links_id {
                Some(id) => secrets_manager::key_ring(&secrets, id).await.map(Some),
                None => Ok(None),
            }
        },
    )?;
    let signer = match &token_ring {
        Some(ring) => InboxTokenSigner::from_ring(ring, config.inbox_token_ttl_seconds),
        None => InboxTokenSigner::not_loaded(config.inbox_token_ttl_seconds),
    };
    let links = link_ring
        .as_ref()
        .map_or_else(LinkSigner::not_loaded, LinkSigner::new);
    Ok(wire::<W>(config, sdk, clock, google_client, signer, links))
}

/// The adapters of `W` around the loaded secrets. Not async, and every choice a `const`:
/// no choice is a value the compiler might not see through (a local kept across an `.await`
/// is stored in the future and read back), so the branches `W` does not take, and the
/// clients they name, are not even compiled into its binary.
fn wire<W: Wiring>(
    config: &Config,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
    google_client: Option<secrets_manager::GoogleClientCredentials>,
    signer: InboxTokenSigner,
    links: LinkSigner,
) -> Inbox {
    let http = if const { W::SECRETS.google_client || W::ADAPTERS.gmail } {
        Some(google::http_client())
    } else {
        None
    };
    let google: Arc<dyn GoogleAccounts> = if const { W::SECRETS.google_client } {
        match (google_client, &http) {
            (Some(credentials), Some(http)) => Arc::new(google::GoogleHttp::new(
                http.clone(),
                config.google_urls.clone(),
                credentials,
            )),
            _ => Arc::new(NoGoogleClient),
        }
    } else {
        Arc::new(Unavailable("Google's OAuth endpoints"))
    };
    let dynamo = if const { W::ADAPTERS.dynamo || W::ADAPTERS.import_settings } {
        Some(aws_sdk_dynamodb::Client::new(sdk))
    } else {
        None
    };
    let table = &config.table_name;
    Inbox {
        store: match &dynamo {
            Some(client) if const { W::ADAPTERS.dynamo } => {
                Arc::new(dynamo::DynamoStore::new(client.clone(), table))
            }
            _ => Arc::new(Unavailable("DynamoDB")),
        },
        limiter: match &dynamo {
            Some(client) if const { W::ADAPTERS.dynamo } => {
                Arc::new(dynamo::DynamoRateLimiter::new(client.clone(), table))
            }
            _ => Arc::new(Unavailable("DynamoDB (rate limits)")),
        },
        imports: match &dynamo {
            Some(client) if const { W::ADAPTERS.import_settings } => {
                Arc::new(dynamo_imports::DynamoImports::new(client.clone(), table))
            }
            _ => Arc::new(Unavailable("DynamoDB (import settings)")),
        },
        keys: if const { W::ADAPTERS.kms } {
            Arc::new(kms::KmsKeys::new(
                aws_sdk_kms::Client::new(sdk),
                &config.kms_key_id,
            ))
        } else {
            Arc::new(Unavailable("KMS"))
        },
        google,
        mailbox: match http {
            Some(http) if const { W::ADAPTERS.gmail } => {
                Arc::new(gmail::GmailHttp::new(http, &config.google_urls.gmail))
            }
            _ => Arc::new(Unavailable("Gmail")),
        },
        files: if const { W::ADAPTERS.s3 } {
            Arc::new(s3::S3Files::new(s3_client(sdk), &config.files_bucket))
        } else {
            Arc::new(Unavailable("S3"))
        },
        pdf_fetcher: if const { W::ADAPTERS.pdf_urls } {
            Arc::new(pdf_fetch::FetchPolicy {
                allow_local_targets: config.allow_local_pdf_urls,
            })
        } else {
            Arc::new(Unavailable("the pdf_url fetcher"))
        },
        clock,
        signer,
        links,
        settings: InboxSettings {
            state_ttl_seconds: config.oauth_state_ttl_seconds,
            ..InboxSettings::default()
        },
    }
}

/// Google for a function that did not load the OAuth client (`parse`, `download`): every
/// call fails as unavailable, and says why in the logs.
struct NoGoogleClient;

fn no_google_client() -> GoogleError {
    tracing::error!("Google called in a function that did not load the OAuth client");
    GoogleError::Unavailable("the Google client is not loaded in this function".into())
}

#[async_trait::async_trait]
impl GoogleAccounts for NoGoogleClient {
    fn authorize_url(&self, _: &str, _: &str, _: &str) -> String {
        no_google_client();
        String::new()
    }
    async fn exchange_code(&self, _: &str, _: &str, _: &str) -> Result<GoogleTokens, GoogleError> {
        Err(no_google_client())
    }
    async fn refresh(&self, _: &str) -> Result<AccessToken, GoogleError> {
        Err(no_google_client())
    }
    async fn revoke(&self, _: &str) -> Result<Revocation, GoogleError> {
        Err(no_google_client())
    }
    async fn gmail_address(&self, _: &str) -> Result<String, GoogleError> {
        Err(no_google_client())
    }
}

/// An S3 client; against an emulator (a custom endpoint) it addresses buckets by path.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
