//! Tenants and their API keys: what the admin command uses (credits are `credits`).

use super::model::{ApiKeyRecord, Tenant};
use super::ports::Store;
use super::redirect_uri::RedirectUri;
use super::secrets::{ApiKey, random_token};
use rust_decimal::Decimal;

/// A new tenant and the one copy of its first API key.
pub struct NewTenant {
    pub tenant: Tenant,
    pub key: ApiKey,
    pub key_record: ApiKeyRecord,
}

fn new_key_record(tenant_id: &str, label: &str, now: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        key_id: format!("key_{}", &random_token(9)),
        tenant_id: tenant_id.to_string(),
        label: label.to_string(),
        created_at: now,
        revoked_at: None,
    }
}

/// Creates a tenant. `key` is for local setups that need a known key (e.g. `local-dev-key`);
/// otherwise a random one is generated.
pub async fn create_tenant(
    store: &dyn Store,
    name: &str,
    redirect_uris: &[String],
    credits: Decimal,
    key: Option<ApiKey>,
    now: i64,
) -> Result<NewTenant, String> {
    if name.trim().is_empty() {
        return Err("tenant name is empty".into());
    }
    if credits.is_sign_negative() {
        return Err("credits cannot be negative".into());
    }
    let mut uris = Vec::new();
    for raw in redirect_uris {
        uris.push(RedirectUri::parse(raw)?.as_str().to_string());
    }
    let tenant = Tenant {
        id: format!("tnt_{}", uuid::Uuid::new_v4().simple()),
        name: name.trim().to_string(),
        redirect_uris: uris,
        credits,
        created_at: now,
        rate_limit: None,
        callback_flow: Default::default(),
    };
    let key = key.unwrap_or_else(ApiKey::generate);
    let key_record = new_key_record(&tenant.id, "default", now);
    store
        .create_tenant(&tenant, &key.hash(), &key_record)
        .await
        .map_err(|e| e.to_string())?;
    Ok(NewTenant {
        tenant,
        key,
        key_record,
    })
}

pub async fn add_api_key(
    store: &dyn Store,
    tenant_id: &str,
    label: &str,
    now: i64,
) -> Result<(ApiKey, ApiKeyRecord), String> {
    if store
        .tenant(tenant_id)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        return Err(format!("no tenant {tenant_id}"));
    }
    let key = ApiKey::generate();
    let record = new_key_record(tenant_id, label, now);
    store
        .add_api_key(&key.hash(), &record)
        .await
        .map_err(|e| e.to_string())?;
    Ok((key, record))
}
