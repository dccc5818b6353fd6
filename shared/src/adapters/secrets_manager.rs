//! Secrets read once per cold start from AWS Secrets Manager.

use crate::domain::keyring::KeyRing;
use crate::domain::ports::InfraError;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use serde::Deserialize;

/// The Google OAuth client, stored as `{"client_id": "…", "client_secret": "…"}`.
#[derive(Clone, Deserialize)]
pub struct GoogleClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for GoogleClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

pub async fn secret_string(client: &Client, secret_id: &str) -> Result<String, InfraError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            InfraError(format!(
                "reading secret {secret_id}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    out.secret_string
        .ok_or_else(|| InfraError(format!("secret {secret_id} has no string value")))
}

pub async fn google_client(
    client: &Client,
    secret_id: &str,
) -> Result<GoogleClientCredentials, InfraError> {
    let raw = secret_string(client, secret_id).await?;
    serde_json::from_str(&raw).map_err(|_| {
        InfraError(format!(
            "secret {secret_id} must be JSON {{\"client_id\": …, \"client_secret\": …}}"
        ))
    })
}

/// A signing key ring (`keyring`): `{"current": {kid, key}, "previous": {kid, key}}`, or the
/// key alone as a plain string (the format before rotation existed).
pub async fn key_ring(client: &Client, secret_id: &str) -> Result<KeyRing, InfraError> {
    let raw = secret_string(client, secret_id).await?;
    KeyRing::parse(&raw).map_err(|e| InfraError(format!("secret {secret_id}: {e}")))
}
