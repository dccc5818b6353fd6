//! `KeyService` on AWS KMS: symmetric encrypt/decrypt under one key with an encryption context.

use crate::domain::ports::{EncryptionContext, InfraError, KeyService};
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;

#[derive(Clone)]
pub struct KmsKeys {
    client: Client,
    key_id: String,
}

impl KmsKeys {
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
        }
    }
}

#[async_trait]
impl KeyService for KmsKeys {
    async fn encrypt(
        &self,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, InfraError> {
        let out = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(plaintext))
            .set_encryption_context(Some(context.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| InfraError(format!("kms encrypt: {}", DisplayErrorContext(&e))))?;
        out.ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| InfraError("kms encrypt returned no ciphertext".into()))
    }

    async fn decrypt(
        &self,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, InfraError> {
        // Naming the key too stops a ciphertext made under another key from being accepted.
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(ciphertext))
            .set_encryption_context(Some(context.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| InfraError(format!("kms decrypt: {}", DisplayErrorContext(&e))))?;
        out.plaintext
            .map(Blob::into_inner)
            .ok_or_else(|| InfraError("kms decrypt returned no plaintext".into()))
    }
}
