//! The table's items: keys, attribute codecs and the conversions of each record to and from
//! its item (`dynamo`'s table layout).

use crate::domain::model::{
    ApiKeyRecord, CallbackFlow, Connection, ConnectionStatus, RateLimit, Tenant,
};
use crate::domain::ports::InfraError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn err<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> InfraError {
    InfraError(format!("dynamodb: {}", DisplayErrorContext(&e)))
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".into(), s(pk)), ("sk".into(), s(sk))])
}

pub(super) fn tenant_pk(id: &str) -> String {
    format!("TENANT#{id}")
}
pub(super) fn api_key_pk(hash: &str) -> String {
    format!("APIKEY#{hash}")
}
pub(super) fn state_pk(id: &str) -> String {
    format!("OAUTH#{id}")
}
pub(super) fn conn_pk(id: &str) -> String {
    format!("CONN#{id}")
}
pub(super) const TENANT_SK: &str = "PROFILE";
pub(super) const API_KEY_SK: &str = "APIKEY";
pub(super) const STATE_SK: &str = "STATE";
pub(super) const CONN_SK: &str = "CONNECTION";

pub(super) fn email_sk(email: &str) -> String {
    format!("EMAIL#{email}")
}

/// Reads typed attributes out of an item, naming what is missing.
pub(super) struct Fields<'a>(pub(super) &'a Item);

impl Fields<'_> {
    pub(super) fn str(&self, name: &str) -> Result<String, InfraError> {
        self.opt_str(name)
            .ok_or_else(|| InfraError(format!("item lacks string attribute {name}")))
    }
    pub(super) fn opt_str(&self, name: &str) -> Option<String> {
        self.0.get(name).and_then(|v| v.as_s().ok()).cloned()
    }
    pub(super) fn num(&self, name: &str) -> Result<i64, InfraError> {
        self.opt_num(name)
            .ok_or_else(|| InfraError(format!("item lacks number attribute {name}")))
    }
    pub(super) fn opt_num(&self, name: &str) -> Option<i64> {
        self.0
            .get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
    }
    pub(super) fn decimal(&self, name: &str) -> Result<Decimal, InfraError> {
        let raw = self
            .0
            .get(name)
            .and_then(|v| v.as_n().ok())
            .ok_or_else(|| InfraError(format!("item lacks number attribute {name}")))?;
        Decimal::from_str(raw)
            .or_else(|_| Decimal::from_scientific(raw))
            .map_err(InfraError::new)
    }
    pub(super) fn blob(&self, name: &str) -> Option<Vec<u8>> {
        self.0
            .get(name)
            .and_then(|v| v.as_b().ok())
            .map(|b| b.as_ref().to_vec())
    }
    pub(super) fn strings(&self, name: &str) -> Vec<String> {
        self.0
            .get(name)
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
            .unwrap_or_default()
    }
}

pub(super) fn string_list(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(v.as_str())).collect())
}

pub(super) fn tenant_item(t: &Tenant) -> Item {
    let mut item = key(tenant_pk(&t.id), TENANT_SK);
    item.insert("tenant_id".into(), s(&t.id));
    item.insert("name".into(), s(&t.name));
    item.insert("redirect_uris".into(), string_list(&t.redirect_uris));
    item.insert("credits".into(), n(t.credits));
    item.insert("created_at".into(), n(t.created_at));
    if let Some(limit) = t.rate_limit {
        item.insert("rate_limit_requests".into(), n(limit.requests));
        item.insert("rate_limit_window_seconds".into(), n(limit.window_seconds));
    }
    if t.callback_flow != CallbackFlow::default() {
        item.insert("callback_flow".into(), s(t.callback_flow.as_str()));
    }
    item
}

pub(super) fn tenant_from(item: &Item) -> Result<Tenant, InfraError> {
    let f = Fields(item);
    Ok(Tenant {
        id: f.str("tenant_id")?,
        name: f.str("name")?,
        redirect_uris: f.strings("redirect_uris"),
        credits: f.decimal("credits")?,
        created_at: f.num("created_at")?,
        rate_limit: match (
            f.opt_num("rate_limit_requests"),
            f.opt_num("rate_limit_window_seconds"),
        ) {
            (Some(requests), Some(window)) => Some(
                RateLimit::new(
                    u32::try_from(requests).map_err(InfraError::new)?,
                    u32::try_from(window).map_err(InfraError::new)?,
                )
                .map_err(InfraError)?,
            ),
            _ => None,
        },
        callback_flow: super::codes::callback_flow_from(&f)?,
    })
}

pub(super) fn key_fields(item: &mut Item, k: &ApiKeyRecord) {
    item.insert("key_id".into(), s(&k.key_id));
    item.insert("tenant_id".into(), s(&k.tenant_id));
    item.insert("label".into(), s(&k.label));
    item.insert("created_at".into(), n(k.created_at));
}

pub(super) fn key_from(item: &Item) -> Result<ApiKeyRecord, InfraError> {
    let f = Fields(item);
    Ok(ApiKeyRecord {
        key_id: f.str("key_id")?,
        tenant_id: f.str("tenant_id")?,
        label: f.str("label")?,
        created_at: f.num("created_at")?,
        revoked_at: f.opt_num("revoked_at"),
    })
}

/// The two items of one key: by hash (for authentication) and under its tenant (for listing).
pub(super) fn key_puts(
    table: &str,
    hash: &str,
    k: &ApiKeyRecord,
) -> Result<[TransactWriteItem; 2], InfraError> {
    let mut by_hash = key(api_key_pk(hash), API_KEY_SK);
    key_fields(&mut by_hash, k);
    let mut listed = key(tenant_pk(&k.tenant_id), &format!("KEY#{}", k.key_id));
    key_fields(&mut listed, k);
    listed.insert("key_hash".into(), s(hash));
    let put = |item: Item| -> Result<TransactWriteItem, InfraError> {
        Ok(TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(InfraError::new)?,
            )
            .build())
    };
    Ok([put(by_hash)?, put(listed)?])
}

pub(super) fn connection_item(c: &Connection) -> Item {
    let mut item = key(conn_pk(&c.id), CONN_SK);
    item.insert("connection_id".into(), s(&c.id));
    item.insert("tenant_id".into(), s(&c.tenant_id));
    item.insert("email".into(), s(&c.email));
    item.insert(
        "refresh_token_ct".into(),
        AttributeValue::B(Blob::new(c.refresh_token_ciphertext.clone())),
    );
    if let Some(ct) = &c.access_token_ciphertext {
        item.insert(
            "access_token_ct".into(),
            AttributeValue::B(Blob::new(ct.clone())),
        );
    }
    if let Some(exp) = c.access_token_expires_at {
        item.insert("access_token_expires_at".into(), n(exp));
    }
    item.insert("scopes".into(), string_list(&c.scopes));
    item.insert("conn_status".into(), s(c.status.as_str()));
    item.insert("created_at".into(), n(c.created_at));
    item.insert("updated_at".into(), n(c.updated_at));
    if let Some(t) = c.last_verified_at {
        item.insert("last_verified_at".into(), n(t));
    }
    if let Some(t) = c.revoked_at {
        item.insert("revoked_at".into(), n(t));
    }
    item
}

pub(super) fn connection_from(item: &Item) -> Result<Connection, InfraError> {
    let f = Fields(item);
    let status = f.str("conn_status")?;
    Ok(Connection {
        id: f.str("connection_id")?,
        tenant_id: f.str("tenant_id")?,
        email: f.str("email")?,
        refresh_token_ciphertext: f
            .blob("refresh_token_ct")
            .ok_or_else(|| InfraError("connection lacks its refresh token".into()))?,
        access_token_ciphertext: f.blob("access_token_ct"),
        access_token_expires_at: f.opt_num("access_token_expires_at"),
        scopes: f.strings("scopes"),
        status: ConnectionStatus::parse(&status)
            .ok_or_else(|| InfraError(format!("unknown connection status {status}")))?,
        created_at: f.num("created_at")?,
        updated_at: f.num("updated_at")?,
        last_verified_at: f.opt_num("last_verified_at"),
        revoked_at: f.opt_num("revoked_at"),
    })
}

pub(super) fn is_condition_failure_update(
    e: &SdkError<UpdateItemError, impl std::fmt::Debug>,
) -> bool {
    matches!(
        e.as_service_error(),
        Some(UpdateItemError::ConditionalCheckFailedException(_))
    )
}
