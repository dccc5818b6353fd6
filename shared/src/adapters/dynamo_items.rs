//! The table's items: keys, attribute codecs, the conversions of each record to and from its
//! item (`dynamo`'s table layout), and the reads and conditional writes that `dynamo`,
//! `dynamo_codes` and `dynamo_imports` share.

use crate::domain::model::{
    ApiKeyRecord, CallbackFlow, Connection, ConnectionStatus, RateLimit, Tenant,
};
use crate::domain::ports::InfraError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

pub(in crate::adapters) type Item = HashMap<String, AttributeValue>;

pub(in crate::adapters) fn err<E: std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> InfraError {
    InfraError(format!("dynamodb: {}", DisplayErrorContext(&e)))
}

pub(in crate::adapters) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(in crate::adapters) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(in crate::adapters) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".into(), s(pk)), ("sk".into(), s(sk))])
}

pub(in crate::adapters) fn tenant_pk(id: &str) -> String {
    format!("TENANT#{id}")
}
pub(in crate::adapters) fn api_key_pk(hash: &str) -> String {
    format!("APIKEY#{hash}")
}
pub(in crate::adapters) fn state_pk(id: &str) -> String {
    format!("OAUTH#{id}")
}
pub(in crate::adapters) fn conn_pk(id: &str) -> String {
    format!("CONN#{id}")
}
pub(in crate::adapters) const TENANT_SK: &str = "PROFILE";
pub(in crate::adapters) const API_KEY_SK: &str = "APIKEY";
pub(in crate::adapters) const STATE_SK: &str = "STATE";
pub(in crate::adapters) const CONN_SK: &str = "CONNECTION";

pub(in crate::adapters) fn email_sk(email: &str) -> String {
    format!("EMAIL#{email}")
}

/// Reads typed attributes out of an item, naming what is missing.
pub(in crate::adapters) struct Fields<'a>(pub(in crate::adapters) &'a Item);

impl Fields<'_> {
    pub(in crate::adapters) fn str(&self, name: &str) -> Result<String, InfraError> {
        self.opt_str(name)
            .ok_or_else(|| InfraError(format!("item lacks string attribute {name}")))
    }
    pub(in crate::adapters) fn opt_str(&self, name: &str) -> Option<String> {
        self.0.get(name).and_then(|v| v.as_s().ok()).cloned()
    }
    pub(in crate::adapters) fn num(&self, name: &str) -> Result<i64, InfraError> {
        self.opt_num(name)
            .ok_or_else(|| InfraError(format!("item lacks number attribute {name}")))
    }
    pub(in crate::adapters) fn opt_num(&self, name: &str) -> Option<i64> {
        self.0
            .get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
    }
    pub(in crate::adapters) fn decimal(&self, name: &str) -> Result<Decimal, InfraError> {
        let raw = self
            .0
            .get(name)
            .and_then(|v| v.as_n().ok())
            .ok_or_else(|| InfraError(format!("item lacks number attribute {name}")))?;
        Decimal::from_str(raw)
            .or_else(|_| Decimal::from_scientific(raw))
            .map_err(InfraError::new)
    }
    pub(in crate::adapters) fn blob(&self, name: &str) -> Option<Vec<u8>> {
        self.0
            .get(name)
            .and_then(|v| v.as_b().ok())
            .map(|b| b.as_ref().to_vec())
    }
    /// A missing or non-boolean attribute reads as false.
    pub(in crate::adapters) fn boolean(&self, name: &str) -> bool {
        self.0
            .get(name)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false)
    }
    pub(in crate::adapters) fn strings(&self, name: &str) -> Vec<String> {
        self.0
            .get(name)
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
            .unwrap_or_default()
    }
}

pub(in crate::adapters) fn string_list(values: &[String]) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(v.as_str())).collect())
}

pub(in crate::adapters) fn tenant_item(t: &Tenant) -> Item {
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

pub(in crate::adapters) fn tenant_from(item: &Item) -> Result<Tenant, InfraError> {
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

pub(in crate::adapters) fn key_fields(item: &mut Item, k: &ApiKeyRecord) {
    item.insert("key_id".into(), s(&k.key_id));
    item.insert("tenant_id".into(), s(&k.tenant_id));
    item.insert("label".into(), s(&k.label));
    item.insert("created_at".into(), n(k.created_at));
}

pub(in crate::adapters) fn key_from(item: &Item) -> Result<ApiKeyRecord, InfraError> {
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
pub(in crate::adapters) fn key_puts(
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

pub(in crate::adapters) fn connection_item(c: &Connection) -> Item {
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

pub(in crate::adapters) fn connection_from(item: &Item) -> Result<Connection, InfraError> {
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

/// Whether a conditional write failed its condition (the write did nothing), whichever
/// operation it was.
pub(in crate::adapters) fn condition_failed<E: ProvideErrorMetadata, R>(
    e: &SdkError<E, R>,
) -> bool {
    e.as_service_error().and_then(ProvideErrorMetadata::code)
        == Some("ConditionalCheckFailedException")
}

/// A conditional write's outcome: true when it wrote, false when its condition failed.
pub(in crate::adapters) fn written<O, E, R>(
    result: Result<O, SdkError<E, R>>,
) -> Result<bool, InfraError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if condition_failed(&e) => Ok(false),
        Err(e) => Err(err(e)),
    }
}

/// Puts an item that must not exist yet (its key is fresh randomness: a clash is an error).
pub(in crate::adapters) async fn put_new(
    client: &Client,
    table: &str,
    item: Item,
) -> Result<(), InfraError> {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .map_err(err)?;
    Ok(())
}

/// One item, read strongly consistent.
pub(in crate::adapters) async fn get_item(
    client: &Client,
    table: &str,
    key: Item,
) -> Result<Option<Item>, InfraError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(err)?;
    Ok(out.item)
}

/// Deletes an item only if `condition` holds (over `values`) and answers what it held: of two
/// concurrent takers exactly one gets the item. A missing item, or one the condition refuses,
/// answers None and stays as it was.
pub(in crate::adapters) async fn take_item(
    client: &Client,
    table: &str,
    key: Item,
    condition: &str,
    values: Option<Item>,
) -> Result<Option<Item>, InfraError> {
    let result = client
        .delete_item()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition)
        .set_expression_attribute_values(values)
        .return_values(ReturnValue::AllOld)
        .send()
        .await;
    match result {
        Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
        Err(e) if condition_failed(&e) => Ok(None),
        Err(e) => Err(err(e)),
    }
}
