//! The adapter a function does not use (`Wiring::ADAPTERS`): it links no client, and every
//! call fails as an internal error and logs which adapter was called. A function's handler
//! never reaches it; if a change made it do so, the call fails loudly instead of the binary
//! silently linking every SDK client again.

use crate::domain::imports::model::{ImportBatch, ImportSettings, Job, WebhookEndpoint};
use crate::domain::imports::ports::{Commit, DuePage, ImportStore, Queue, Sent, WebhookSender};
use crate::domain::model::{
    ApiKeyRecord, AuthCode, CallbackFlow, Connection, OAuthState, RateLimit, Tenant,
};
use crate::domain::ports::{
    AccessToken, Charge, EncryptionContext, FileStore, GoogleAccounts, GoogleError, GoogleTokens,
    InfraError, KeyService, MailMessage, Mailbox, PdfFetcher, RateDecision, RateLimiter,
    Revocation, Saved, SearchPage, Store,
};
use crate::error::ApiError;
use async_trait::async_trait;
use rust_decimal::Decimal;

/// Stands for the adapter it names (`"S3"`, `"KMS"`, ...) in a function built without it.
#[derive(Debug, Clone, Copy)]
pub struct Unavailable(pub &'static str);

impl Unavailable {
    fn why(&self) -> String {
        tracing::error!(
            adapter = self.0,
            "an adapter this function is built without was called"
        );
        format!("{} is not available in this function", self.0)
    }
    fn infra<T>(&self) -> Result<T, InfraError> {
        Err(InfraError(self.why()))
    }
    fn google<T>(&self) -> Result<T, GoogleError> {
        Err(GoogleError::Unavailable(self.why()))
    }
}

#[async_trait]
impl Store for Unavailable {
    async fn create_tenant(&self, _: &Tenant, _: &str, _: &ApiKeyRecord) -> Result<(), InfraError> {
        self.infra()
    }
    async fn add_api_key(&self, _: &str, _: &ApiKeyRecord) -> Result<(), InfraError> {
        self.infra()
    }
    async fn list_api_keys(&self, _: &str) -> Result<Vec<ApiKeyRecord>, InfraError> {
        self.infra()
    }
    async fn revoke_api_key(&self, _: &str, _: &str, _: i64) -> Result<bool, InfraError> {
        self.infra()
    }
    async fn api_key(&self, _: &str) -> Result<Option<(ApiKeyRecord, Tenant)>, InfraError> {
        self.infra()
    }
    async fn tenant(&self, _: &str) -> Result<Option<Tenant>, InfraError> {
        self.infra()
    }
    async fn charge_credits(&self, _: &str, _: Decimal) -> Result<Charge, InfraError> {
        self.infra()
    }
    async fn add_credits(&self, _: &str, _: Decimal) -> Result<Decimal, InfraError> {
        self.infra()
    }
    async fn set_rate_limit(&self, _: &str, _: Option<RateLimit>) -> Result<bool, InfraError> {
        self.infra()
    }
    async fn set_callback_flow(&self, _: &str, _: CallbackFlow) -> Result<bool, InfraError> {
        self.infra()
    }
    async fn put_oauth_state(&self, _: &OAuthState) -> Result<(), InfraError> {
        self.infra()
    }
    async fn take_oauth_state(&self, _: &str) -> Result<Option<OAuthState>, InfraError> {
        self.infra()
    }
    async fn put_auth_code(&self, _: &AuthCode) -> Result<(), InfraError> {
        self.infra()
    }
    async fn take_auth_code(&self, _: &str, _: &str) -> Result<Option<AuthCode>, InfraError> {
        self.infra()
    }
    async fn connection(&self, _: &str) -> Result<Option<Connection>, InfraError> {
        self.infra()
    }
    async fn connection_id_for_email(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<String>, InfraError> {
        self.infra()
    }
    async fn save_connection(&self, _: &Connection, _: Option<&str>) -> Result<Saved, InfraError> {
        self.infra()
    }
    async fn update_access_token(
        &self,
        _: &str,
        _: &[u8],
        _: i64,
        _: i64,
    ) -> Result<(), InfraError> {
        self.infra()
    }
    async fn mark_verified(&self, _: &str, _: i64) -> Result<(), InfraError> {
        self.infra()
    }
    async fn mark_revoked(&self, _: &str, _: i64) -> Result<(), InfraError> {
        self.infra()
    }
    async fn delete_connection(&self, _: &Connection) -> Result<(), InfraError> {
        self.infra()
    }
}

#[async_trait]
impl RateLimiter for Unavailable {
    async fn admit(&self, _: &str, _: RateLimit, _: i64) -> Result<RateDecision, InfraError> {
        self.infra()
    }
}

#[async_trait]
impl KeyService for Unavailable {
    async fn encrypt(&self, _: &[u8], _: &EncryptionContext) -> Result<Vec<u8>, InfraError> {
        self.infra()
    }
    async fn decrypt(&self, _: &[u8], _: &EncryptionContext) -> Result<Vec<u8>, InfraError> {
        self.infra()
    }
}

#[async_trait]
impl GoogleAccounts for Unavailable {
    fn authorize_url(&self, _: &str, _: &str, _: &str) -> String {
        self.why();
        String::new()
    }
    async fn exchange_code(&self, _: &str, _: &str, _: &str) -> Result<GoogleTokens, GoogleError> {
        self.google()
    }
    async fn refresh(&self, _: &str) -> Result<AccessToken, GoogleError> {
        self.google()
    }
    async fn revoke(&self, _: &str) -> Result<Revocation, GoogleError> {
        self.google()
    }
    async fn gmail_address(&self, _: &str) -> Result<String, GoogleError> {
        self.google()
    }
}

#[async_trait]
impl Mailbox for Unavailable {
    async fn search(&self, _: &str, _: &str, _: Option<&str>) -> Result<SearchPage, GoogleError> {
        self.google()
    }
    async fn message(&self, _: &str, _: &str) -> Result<MailMessage, GoogleError> {
        self.google()
    }
    async fn attachment(&self, _: &str, _: &str, _: &str, _: u64) -> Result<Vec<u8>, GoogleError> {
        self.google()
    }
}

#[async_trait]
impl FileStore for Unavailable {
    async fn put(&self, _: &str, _: &[u8]) -> Result<(), InfraError> {
        self.infra()
    }
    async fn exists(&self, _: &str) -> Result<bool, InfraError> {
        self.infra()
    }
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, InfraError> {
        self.infra()
    }
    async fn presigned_get(&self, _: &str, _: u64) -> Result<String, InfraError> {
        self.infra()
    }
    async fn delete_prefix(&self, _: &str) -> Result<(), InfraError> {
        self.infra()
    }
}

#[async_trait]
impl PdfFetcher for Unavailable {
    async fn fetch(&self, _: &str) -> Result<Vec<u8>, ApiError> {
        Err(ApiError::internal(self.why()))
    }
}

#[async_trait]
impl ImportStore for Unavailable {
    async fn settings(&self, _: &str) -> Result<Option<ImportSettings>, InfraError> {
        self.infra()
    }
    async fn save_settings(&self, _: &ImportSettings, _: Option<u64>) -> Result<bool, InfraError> {
        self.infra()
    }
    async fn commit(
        &self,
        _: &ImportSettings,
        _: u64,
        _: Option<&ImportBatch>,
        _: Decimal,
    ) -> Result<Commit, InfraError> {
        self.infra()
    }
    async fn due_page(&self, _: &str, _: i64, _: Option<String>) -> Result<DuePage, InfraError> {
        self.infra()
    }
    async fn batch(&self, _: &str, _: i64) -> Result<Option<ImportBatch>, InfraError> {
        self.infra()
    }
    async fn forget(&self, _: &str) -> Result<(), InfraError> {
        self.infra()
    }
    async fn claim_delivery(&self, _: &str, _: i64, _: i64, _: i64) -> Result<bool, InfraError> {
        self.infra()
    }
    async fn record_delivery(&self, _: &ImportBatch) -> Result<(), InfraError> {
        self.infra()
    }
    async fn batches(
        &self,
        _: &str,
        _: usize,
        _: Option<&str>,
    ) -> Result<(Vec<ImportBatch>, Option<String>), InfraError> {
        self.infra()
    }
    async fn webhook(&self, _: &str) -> Result<Option<WebhookEndpoint>, InfraError> {
        self.infra()
    }
    async fn put_webhook(&self, _: &WebhookEndpoint) -> Result<(), InfraError> {
        self.infra()
    }
}

#[async_trait]
impl Queue for Unavailable {
    async fn send(&self, _: &[Job], _: u32) -> Result<(), InfraError> {
        self.infra()
    }
}

#[async_trait]
impl WebhookSender for Unavailable {
    async fn vet(&self, _: &str) -> Result<(), String> {
        Err(self.why())
    }
    async fn post(&self, _: &str, _: &[(&'static str, String)], _: &str) -> Sent {
        Sent::Failed(self.why())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_call_fails_and_names_the_adapter() {
        let s3 = Unavailable("S3");
        let err = s3.get("temp/x.pdf").await.unwrap_err();
        assert_eq!(err.to_string(), "S3 is not available in this function");
        assert!(Store::tenant(&Unavailable("DynamoDB"), "t").await.is_err());
        assert!(matches!(
            Unavailable("Gmail").search("t", "q", None).await,
            Err(GoogleError::Unavailable(_))
        ));
        assert!(matches!(
            Unavailable("webhooks").post("https://x", &[], "{}").await,
            Sent::Failed(_)
        ));
    }
}
