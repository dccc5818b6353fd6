//! Creates the service's AWS resources where no template does: on the local emulator and in
//! tests. Every step is idempotent, so `make dev` can run it on each start.

use crate::domain::ports::InfraError;
use crate::domain::secrets::random_token;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

/// Names of everything the functions need, as their environment names them.
#[derive(Debug, Clone)]
pub struct Resources {
    pub table_name: String,
    pub kms_alias: String,
    pub inbox_token_secret_id: String,
    pub google_client_secret_id: String,
    pub download_link_secret_id: String,
    pub files_bucket: String,
}

/// A kid for a new key: when it was made, and a random part (two rotations in one second
/// still differ).
fn new_kid() -> String {
    format!(
        "k{}-{}",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        random_token(6)
    )
}

/// A new key ring secret (`keyring`): one current key of 48 random bytes, base64url (64
/// characters of HMAC key), with a fresh kid.
pub fn new_key_ring_secret() -> String {
    serde_json::json!({
        "current": {
            "kid": new_kid(),
            "key": random_token(48),
        }
    })
    .to_string()
}

/// Creates whatever of `resources` is missing. The Google client secret holds the given
/// client id and secret (the sandbox's, locally).
pub async fn ensure_resources(
    sdk: &SdkConfig,
    resources: &Resources,
    google_client_id: &str,
    google_client_secret: &str,
) -> Result<(), InfraError> {
    ensure_table(&aws_sdk_dynamodb::Client::new(sdk), &resources.table_name).await?;
    ensure_kms_alias(&aws_sdk_kms::Client::new(sdk), &resources.kms_alias).await?;
    ensure_bucket(&super::s3_client(sdk), &resources.files_bucket).await?;
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    // Two key rings, each its own secret: inbox tokens, and download links.
    ensure_secret(
        &secrets,
        &resources.inbox_token_secret_id,
        &new_key_ring_secret(),
    )
    .await?;
    ensure_secret(
        &secrets,
        &resources.download_link_secret_id,
        &new_key_ring_secret(),
    )
    .await?;
    let google = serde_json::json!({
        "client_id": google_client_id,
        "client_secret": google_client_secret,
    });
    ensure_secret(
        &secrets,
        &resources.google_client_secret_id,
        &google.to_string(),
    )
    .await?;
    Ok(())
}

fn infra<E: std::error::Error + 'static, R: std::fmt::Debug>(
    what: &str,
    e: aws_sdk_dynamodb::error::SdkError<E, R>,
) -> InfraError {
    InfraError(format!("{what}: {}", DisplayErrorContext(&e)))
}

pub async fn ensure_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), InfraError> {
    if client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(InfraError::new)
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(InfraError::new)
    };
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        // Scheduled imports' sparse due index (adapters::dynamo_imports).
        .attribute_definitions(attr("due_pk")?)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("due_at")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .map_err(InfraError::new)?,
        )
        .global_secondary_indexes(
            aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
                .index_name(super::dynamo_imports::DUE_INDEX)
                .key_schema(key("due_pk", KeyType::Hash)?)
                .key_schema(key("due_at", KeyType::Range)?)
                .projection(
                    aws_sdk_dynamodb::types::Projection::builder()
                        .projection_type(aws_sdk_dynamodb::types::ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .map_err(InfraError::new)?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| infra("create table", e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()
                .map_err(InfraError::new)?,
        )
        .send()
        .await
        .map_err(|e| infra("enable TTL", e))?;
    Ok(())
}

/// A symmetric KMS key behind `alias` (created with the alias if the alias is unknown).
pub async fn ensure_kms_alias(client: &aws_sdk_kms::Client, alias: &str) -> Result<(), InfraError> {
    if client.describe_key().key_id(alias).send().await.is_ok() {
        return Ok(());
    }
    let key = client
        .create_key()
        .description("CAS Inbox Import: Google token encryption (local)")
        .send()
        .await
        .map_err(|e| InfraError(format!("create key: {}", DisplayErrorContext(&e))))?;
    let key_id = key
        .key_metadata
        .map(|m| m.key_id)
        .ok_or_else(|| InfraError("create key returned no key id".into()))?;
    client
        .create_alias()
        .alias_name(alias)
        .target_key_id(key_id)
        .send()
        .await
        .map_err(|e| InfraError(format!("create alias: {}", DisplayErrorContext(&e))))?;
    Ok(())
}

/// The files bucket, whose `temp/` objects expire after a day (as in template.yaml).
pub async fn ensure_bucket(client: &aws_sdk_s3::Client, name: &str) -> Result<(), InfraError> {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
        LifecycleRuleFilter,
    };
    let s3 = |what: &str, e: &dyn std::fmt::Display| InfraError(format!("s3 {what}: {e}"));
    if client.head_bucket().bucket(name).send().await.is_err() {
        // Outside us-east-1 S3 wants the region named as the location constraint.
        let region = client.config().region().map(|r| r.to_string());
        let location = region.filter(|r| r != "us-east-1").map(|r| {
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    r.as_str(),
                ))
                .build()
        });
        client
            .create_bucket()
            .bucket(name)
            .set_create_bucket_configuration(location)
            .send()
            .await
            .map_err(|e| s3("create bucket", &aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    }
    let rule = LifecycleRule::builder()
        .id("expire-temp-files")
        .filter(LifecycleRuleFilter::builder().prefix("temp/").build())
        .expiration(LifecycleExpiration::builder().days(1).build())
        .status(ExpirationStatus::Enabled)
        .build()
        .map_err(|e| s3("lifecycle rule", &e))?;
    client
        .put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|e| s3("lifecycle", &e))?,
        )
        .send()
        .await
        .map_err(|e| s3("put lifecycle", &aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    Ok(())
}

/// Rotation step 1 on a key-ring secret (`keyring`): a new random key becomes current, the
/// current one previous. Returns the new kid.
pub async fn rotate_key_ring(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, InfraError> {
    let ring = super::secrets_manager::key_ring(client, secret_id).await?;
    let kid = new_kid();
    let new = crate::domain::keyring::SigningKey::new(&kid, random_token(48).as_bytes())
        .map_err(InfraError)?;
    let rotated = ring.rotated(new).map_err(InfraError)?;
    put_secret(
        client,
        secret_id,
        &rotated.to_secret_string().map_err(InfraError)?,
    )
    .await?;
    Ok(kid)
}

/// Rotation step 2: drops the previous key (tokens and links signed with it stop verifying).
/// Returns the kid dropped, if there was one.
pub async fn drop_previous_key(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Option<String>, InfraError> {
    let ring = super::secrets_manager::key_ring(client, secret_id).await?;
    let Some(previous) = ring.previous.clone() else {
        return Ok(None);
    };
    let value = ring
        .without_previous()
        .to_secret_string()
        .map_err(InfraError)?;
    put_secret(client, secret_id, &value).await?;
    Ok(Some(previous.kid))
}

async fn put_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    value: &str,
) -> Result<(), InfraError> {
    client
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(value)
        .send()
        .await
        .map_err(|e| {
            InfraError(format!(
                "put secret {secret_id}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    Ok(())
}

/// Creates the secret with `value` unless it exists (an existing value is kept).
pub async fn ensure_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: &str,
) -> Result<(), InfraError> {
    if client
        .describe_secret()
        .secret_id(name)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .map_err(|e| InfraError(format!("create secret {name}: {}", DisplayErrorContext(&e))))?;
    Ok(())
}
