//! `cas-admin`: creates tenants and prints their API key once, lists and revokes keys, adds
//! credits, sets rate limits, rotates signing keys, and creates the local stack's AWS
//! resources. Reads `TABLE_NAME` (and the AWS
//! environment: region, credentials, `AWS_ENDPOINT_URL`) like the functions do.

use anyhow::{Context, Result, bail};
use cas_inbox::adapters::{aws_config, dynamo::DynamoStore, provision};
use cas_inbox::domain::model::{CallbackFlow, RateLimit};
use cas_inbox::domain::ports::{Clock, Store, SystemClock};
use cas_inbox::domain::secrets::ApiKey;
use cas_inbox::domain::tenants;
use clap::{Parser, Subcommand};
use rust_decimal::Decimal;

#[derive(Parser)]
#[command(
    name = "cas-admin",
    about = "Administer CAS Inbox Import tenants and API keys"
)]
struct Cli {
    /// The DynamoDB table (as the functions' TABLE_NAME).
    #[arg(long, env = "TABLE_NAME")]
    table: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a tenant with its redirect URIs and credits; prints its API key (only now).
    CreateTenant {
        #[arg(long)]
        name: String,
        /// A redirect URI the tenant may use (repeat for several); matched exactly.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        #[arg(long, default_value = "100")]
        credits: Decimal,
        /// Use this key instead of a random one (local development only, e.g. local-dev-key).
        #[arg(long)]
        api_key: Option<String>,
    },
    /// Issue another API key for a tenant; prints it (only now).
    AddKey {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "default")]
        label: String,
    },
    /// List a tenant's keys (ids and state; keys themselves are not stored).
    ListKeys {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a key at once: calls with it answer 401 INVALID_API_KEY.
    RevokeKey {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        key_id: String,
    },
    /// Add credits to a tenant's balance.
    AddCredits {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        amount: Decimal,
    },
    /// Choose how the callback hands a new connection to the tenant's app: `token` (the
    /// default: the redirect carries inbox_token) or `code` (the redirect carries a one-time
    /// code the app's backend exchanges at POST /v4/inbox/token with its API key and state).
    SetCallbackFlow {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_parser = ["token", "code"])]
        flow: String,
    },
    /// Set a tenant's rate limit: REQUESTS per WINDOW_SECONDS, all its API keys together
    /// (`--default` goes back to the default, 50 per 10 s). Over it, calls answer 429
    /// RATE_LIMITED with Retry-After.
    SetRateLimit {
        #[arg(long)]
        tenant: String,
        #[arg(long, required_unless_present = "default", conflicts_with = "default")]
        requests: Option<u32>,
        #[arg(long, default_value = "1")]
        window_seconds: u32,
        /// Clear the tenant's own limit.
        #[arg(long)]
        default: bool,
    },
    /// Rotation step 1 for a signing-key secret (INBOX_TOKEN_SECRET_ID or
    /// DOWNLOAD_LINK_SECRET_ID): a new key becomes current, the current one previous.
    /// Functions pick it up at their next cold start; both keys verify meanwhile.
    RotateKey {
        #[arg(long)]
        secret_id: String,
    },
    /// Rotation step 2, once nothing signed with the previous key is valid any more (90 days
    /// for inbox tokens, 24 hours for download links): drop the previous key.
    DropPreviousKey {
        #[arg(long)]
        secret_id: String,
    },
    /// Create the table, KMS key alias and secrets where missing (local emulator).
    BootstrapLocal {
        #[arg(long, env = "KMS_KEY_ID")]
        kms_alias: String,
        #[arg(long, env = "INBOX_TOKEN_SECRET_ID")]
        inbox_token_secret_id: String,
        #[arg(long, env = "DOWNLOAD_LINK_SECRET_ID")]
        download_link_secret_id: String,
        #[arg(long, env = "GOOGLE_CLIENT_SECRET_ID")]
        google_client_secret_id: String,
        #[arg(long, env = "FILES_BUCKET")]
        files_bucket: String,
        #[arg(long, default_value = "local-dev-client.apps.googleusercontent.com")]
        google_client_id: String,
        #[arg(long, default_value = "local-dev-secret")]
        google_client_secret: String,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let sdk = aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &cli.table);
    let now = SystemClock.now();
    match cli.command {
        Command::CreateTenant {
            name,
            redirect_uris,
            credits,
            api_key,
        } => {
            let key = api_key
                .map(|k| ApiKey::parse(&k).map_err(anyhow::Error::msg))
                .transpose()?;
            if let Some(key) = &key
                && let Some((record, tenant)) = store.api_key(&key.hash()).await?
            {
                println!(
                    "API key already belongs to tenant {} ({}), key id {}",
                    tenant.id, tenant.name, record.key_id
                );
                return Ok(());
            }
            let created = tenants::create_tenant(&store, &name, &redirect_uris, credits, key, now)
                .await
                .map_err(anyhow::Error::msg)?;
            println!("tenant:  {} ({})", created.tenant.id, created.tenant.name);
            println!("key id:  {}", created.key_record.key_id);
            println!("API key: {}", created.key.expose());
            println!("(the key is shown only now; only its hash is stored)");
        }
        Command::AddKey { tenant, label } => {
            let (key, record) = tenants::add_api_key(&store, &tenant, &label, now)
                .await
                .map_err(anyhow::Error::msg)?;
            println!("key id:  {}", record.key_id);
            println!("API key: {}", key.expose());
        }
        Command::ListKeys { tenant } => {
            for k in store.list_api_keys(&tenant).await? {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\tcreated {}",
                    k.key_id, state, k.label, k.created_at
                );
            }
        }
        Command::RevokeKey { tenant, key_id } => {
            if !store.revoke_api_key(&tenant, &key_id, now).await? {
                bail!("tenant {tenant} has no key {key_id}");
            }
            println!("revoked {key_id}");
        }
        Command::AddCredits { tenant, amount } => {
            if amount <= Decimal::ZERO {
                bail!("amount must be positive");
            }
            let balance = store
                .add_credits(&tenant, amount)
                .await
                .with_context(|| format!("adding credits to {tenant}"))?;
            println!("balance: {balance}");
        }
        Command::SetRateLimit {
            tenant,
            requests,
            window_seconds,
            default,
        } => {
            let limit = match requests {
                Some(requests) if !default => {
                    Some(RateLimit::new(requests, window_seconds).map_err(anyhow::Error::msg)?)
                }
                _ => None,
            };
            if !store.set_rate_limit(&tenant, limit).await? {
                bail!("no tenant {tenant}");
            }
            let shown = limit.unwrap_or(RateLimit::DEFAULT);
            println!(
                "rate limit of {tenant}: {} requests per {} s{}",
                shown.requests,
                shown.window_seconds,
                if limit.is_none() { " (default)" } else { "" }
            );
        }
        Command::SetCallbackFlow { tenant, flow } => {
            let flow = CallbackFlow::parse(&flow)
                .ok_or_else(|| anyhow::anyhow!("--flow is token or code"))?;
            if !store.set_callback_flow(&tenant, flow).await? {
                bail!("no tenant {tenant}");
            }
            println!("callback flow of {tenant}: {}", flow.as_str());
        }
        Command::RotateKey { secret_id } => {
            let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
            let kid = provision::rotate_key_ring(&secrets, &secret_id).await?;
            println!("{secret_id}: new current key {kid}; the old one is now previous");
        }
        Command::DropPreviousKey { secret_id } => {
            let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
            match provision::drop_previous_key(&secrets, &secret_id).await? {
                Some(kid) => println!("{secret_id}: dropped previous key {kid}"),
                None => println!("{secret_id}: there was no previous key"),
            }
        }
        Command::BootstrapLocal {
            kms_alias,
            inbox_token_secret_id,
            download_link_secret_id,
            google_client_secret_id,
            files_bucket,
            google_client_id,
            google_client_secret,
        } => {
            let resources = provision::Resources {
                table_name: cli.table.clone(),
                kms_alias,
                inbox_token_secret_id,
                google_client_secret_id,
                download_link_secret_id,
                files_bucket,
            };
            provision::ensure_resources(&sdk, &resources, &google_client_id, &google_client_secret)
                .await?;
            println!("resources ready: {resources:?}");
        }
    }
    Ok(())
}
