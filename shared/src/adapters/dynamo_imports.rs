//! `ImportStore` on the service's DynamoDB table (beside `dynamo::DynamoStore`'s items).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | import settings and cursor | `CONN#<id>` | `IMPORT` |
//! | import batch (one run's event) | `CONN#<id>` | `BATCH#<slot, 12 digits>` |
//! | tenant webhook | `WEBHOOK#<tenant id>` | `ENDPOINT` |
//!
//! The due index is the sparse GSI `due` (`due_pk` = `<YYYYMMDD>#<shard>`, `due_at` = the
//! next run's time, keys only): only settings with a next run carry those attributes. A run's
//! commit is one TransactWriteItems: the settings (conditional on their version), the batch
//! (conditional on its absence) and the charge on the tenant's profile item (`TENANT#<id>` /
//! `PROFILE`, conditional on `credits >= charge`, as `DynamoStore::charge_credits` does).

use super::dynamo::items::{
    Fields, Item, TENANT_SK, conn_pk, err, get_item, key, n, s, tenant_pk, written,
};
use crate::domain::cas_mail::parse_cas_type;
use crate::domain::imports::dispatch::due_bucket;
use crate::domain::imports::model::{
    Delivery, ImportBatch, ImportSettings, ImportState, WebhookEndpoint,
};
use crate::domain::imports::ports::{Commit, DuePage, ImportStore};
use crate::domain::ports::InfraError;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const DUE_INDEX: &str = "due";
const SETTINGS_SK: &str = "IMPORT";
/// The webhook has a partition of its own, apart from the tenant's `TENANT#` items (its
/// profile: credits, redirect URIs): `imports_api`, which writes webhooks, may not write those.
const WEBHOOK_SK: &str = "ENDPOINT";
fn webhook_pk(tenant_id: &str) -> String {
    format!("WEBHOOK#{tenant_id}")
}
/// Batches stay readable this long (DynamoDB TTL on `expires_at`).
const BATCH_TTL_SECONDS: i64 = 30 * 86_400;
const DUE_PAGE: i32 = 1_000;

#[derive(Clone)]
pub struct DynamoImports {
    client: Client,
    table: String,
}

impl DynamoImports {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

const BATCH_SK_PREFIX: &str = "BATCH#";
fn batch_sk(slot: i64) -> String {
    format!("{BATCH_SK_PREFIX}{slot:012}")
}

fn settings_item(st: &ImportSettings) -> Item {
    let mut item = key(conn_pk(&st.connection_id), SETTINGS_SK);
    item.insert("connection_id".into(), s(&st.connection_id));
    item.insert("tenant_id".into(), s(&st.tenant_id));
    item.insert("enabled".into(), AttributeValue::Bool(st.enabled));
    item.insert("state".into(), s(st.state.as_str()));
    if let Some(ct) = &st.password_ciphertext {
        item.insert(
            "password_ct".into(),
            AttributeValue::B(Blob::new(ct.clone())),
        );
    }
    item.insert(
        "cas_types".into(),
        AttributeValue::L(st.cas_types.iter().map(|t| s(t.as_str())).collect()),
    );
    item.insert("parse".into(), AttributeValue::Bool(st.parse));
    if let Some(c) = st.cursor_ms {
        item.insert("cursor_ms".into(), n(c));
    }
    item.insert(
        "imported".into(),
        AttributeValue::M(st.imported.iter().map(|(k, v)| (k.clone(), n(v))).collect()),
    );
    if let Some(at) = st.next_run_at {
        item.insert("next_run_at".into(), n(at));
        // The sparse due index: only connections with a next run are in it.
        item.insert("due_pk".into(), s(due_bucket(at, &st.connection_id)));
        item.insert("due_at".into(), n(at));
    }
    if let Some(at) = st.last_run_at {
        item.insert("last_run_at".into(), n(at));
    }
    if let Some(r) = &st.last_result {
        item.insert("last_result".into(), s(r));
    }
    if let Some(at) = st.held_since {
        item.insert("held_since".into(), n(at));
    }
    item.insert("version".into(), n(st.version));
    item
}

fn settings_from(item: &Item) -> Result<ImportSettings, InfraError> {
    let f = Fields(item);
    let state = f.str("state")?;
    let mut cas_types = Vec::new();
    for raw in item
        .get("cas_types")
        .and_then(|v| v.as_l().ok())
        .into_iter()
        .flatten()
    {
        if let Ok(t) = raw.as_s() {
            cas_types.push(parse_cas_type(t).map_err(InfraError)?);
        }
    }
    let imported: BTreeMap<String, i64> = item
        .get("imported")
        .and_then(|v| v.as_m().ok())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_n().ok()?.parse().ok()?)))
                .collect()
        })
        .unwrap_or_default();
    Ok(ImportSettings {
        connection_id: f.str("connection_id")?,
        tenant_id: f.str("tenant_id")?,
        enabled: f.boolean("enabled"),
        state: ImportState::parse(&state)
            .ok_or_else(|| InfraError(format!("unknown import state {state}")))?,
        password_ciphertext: f.blob("password_ct"),
        cas_types,
        parse: f.boolean("parse"),
        cursor_ms: f.opt_num("cursor_ms"),
        imported,
        next_run_at: f.opt_num("next_run_at"),
        last_run_at: f.opt_num("last_run_at"),
        last_result: f.opt_str("last_result"),
        held_since: f.opt_num("held_since"),
        version: f.num("version")? as u64,
    })
}

fn batch_item(b: &ImportBatch) -> Item {
    let mut item = key(conn_pk(&b.connection_id), &batch_sk(b.slot));
    item.insert("batch_id".into(), s(&b.id));
    item.insert("tenant_id".into(), s(&b.tenant_id));
    item.insert("connection_id".into(), s(&b.connection_id));
    item.insert("slot".into(), n(b.slot));
    item.insert("created_at".into(), n(b.created_at));
    item.insert("event_type".into(), s(&b.event_type));
    item.insert("data".into(), s(&b.data));
    item.insert("delivery".into(), s(b.delivery.as_str()));
    item.insert("attempts".into(), n(b.attempts));
    item.insert("lease_until".into(), n(0));
    item.insert("expires_at".into(), n(b.created_at + BATCH_TTL_SECONDS));
    if let Some(e) = &b.last_error {
        item.insert("last_error".into(), s(e));
    }
    item
}

fn batch_from(item: &Item) -> Result<ImportBatch, InfraError> {
    let f = Fields(item);
    let delivery = f.str("delivery")?;
    Ok(ImportBatch {
        id: f.str("batch_id")?,
        tenant_id: f.str("tenant_id")?,
        connection_id: f.str("connection_id")?,
        slot: f.num("slot")?,
        created_at: f.num("created_at")?,
        event_type: f.str("event_type")?,
        data: f.str("data")?,
        delivery: Delivery::parse(&delivery)
            .ok_or_else(|| InfraError(format!("unknown delivery {delivery}")))?,
        attempts: f.num("attempts")? as u32,
        last_error: f.opt_str("last_error"),
    })
}

/// The settings put, conditional on the stored version being `expected` (None: absent).
fn settings_put(
    table: &str,
    st: &ImportSettings,
    expected: Option<u64>,
) -> Result<Put, InfraError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(settings_item(st)));
    match expected {
        Some(v) => put
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", n(v)),
        None => put.condition_expression("attribute_not_exists(pk)"),
    }
    .build()
    .map_err(InfraError::new)
}

impl DynamoImports {
    async fn get(&self, key: Item) -> Result<Option<Item>, InfraError> {
        get_item(&self.client, &self.table, key).await
    }
}

/// The idempotency token of a run's commit (at most 36 characters): the connection, the
/// version it moves from, the slot's batch, the run's time and the charge.
fn commit_token(
    settings: &ImportSettings,
    expected: u64,
    batch: Option<&ImportBatch>,
    charge: Decimal,
) -> String {
    let named = format!(
        "{}|{expected}|{}|{:?}|{:?}|{charge}",
        settings.connection_id,
        batch.map_or("", |b| b.id.as_str()),
        settings.next_run_at,
        settings.last_run_at,
    );
    hex::encode(&Sha256::digest(named.as_bytes())[..16])
}

#[async_trait]
impl ImportStore for DynamoImports {
    async fn settings(&self, connection_id: &str) -> Result<Option<ImportSettings>, InfraError> {
        self.get(key(conn_pk(connection_id), SETTINGS_SK))
            .await?
            .as_ref()
            .map(settings_from)
            .transpose()
    }

    async fn save_settings(
        &self,
        settings: &ImportSettings,
        expected: Option<u64>,
    ) -> Result<bool, InfraError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(settings_item(settings)));
        let result = match expected {
            Some(v) => put
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(v)),
            None => put.condition_expression("attribute_not_exists(pk)"),
        }
        .send()
        .await;
        written(result)
    }

    async fn commit(
        &self,
        settings: &ImportSettings,
        expected: u64,
        batch: Option<&ImportBatch>,
        charge: Decimal,
    ) -> Result<Commit, InfraError> {
        let mut tx = self.client.transact_write_items().transact_items(
            TransactWriteItem::builder()
                .put(settings_put(&self.table, settings, Some(expected))?)
                .build(),
        );
        if let Some(b) = batch {
            tx = tx.transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(batch_item(b)))
                            .condition_expression("attribute_not_exists(pk)")
                            .build()
                            .map_err(InfraError::new)?,
                    )
                    .build(),
            );
        }
        let charged = charge > Decimal::ZERO;
        if charged {
            tx = tx.transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.table)
                            .set_key(Some(key(tenant_pk(&settings.tenant_id), TENANT_SK)))
                            .update_expression("SET credits = credits - :amount")
                            .condition_expression("attribute_exists(pk) AND credits >= :amount")
                            .expression_attribute_values(":amount", n(charge))
                            .build()
                            .map_err(InfraError::new)?,
                    )
                    .build(),
            );
        }
        // The SDK retries a call whose answer was lost; without a token a retry of a
        // transaction that did commit fails the version condition, and the run would take
        // its own commit for another's. With one, DynamoDB answers the retry (same token,
        // same items, within 10 minutes) as the first call was answered.
        let tx = tx.client_request_token(commit_token(settings, expected, batch, charge));
        match tx.send().await {
            Ok(_) => Ok(Commit::Committed),
            Err(e) => match e.as_service_error() {
                // The token was used for other items: another worker's run of this slot.
                Some(TransactWriteItemsError::IdempotentParameterMismatchException(_)) => {
                    Ok(Commit::Conflict)
                }
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let failed: Vec<bool> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code() == Some("ConditionalCheckFailed"))
                        .collect();
                    if failed
                        .iter()
                        .take(failed.len() - usize::from(charged))
                        .any(|f| *f)
                    {
                        Ok(Commit::Conflict)
                    } else if charged && failed.last() == Some(&true) {
                        Ok(Commit::InsufficientCredits)
                    } else {
                        Err(err(e))
                    }
                }
                _ => Err(err(e)),
            },
        }
    }

    async fn due_page(
        &self,
        bucket: &str,
        now: i64,
        page: Option<String>,
    ) -> Result<DuePage, InfraError> {
        let start = match page {
            Some(token) => Some(
                serde_json::from_str::<BTreeMap<String, String>>(&token)
                    .map_err(InfraError::new)?
                    .into_iter()
                    .map(|(k, v)| {
                        let value = if k == "due_at" { n(v) } else { s(v) };
                        (k, value)
                    })
                    .collect::<Item>(),
            ),
            None => None,
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(DUE_INDEX)
            .key_condition_expression("due_pk = :bucket AND due_at <= :now")
            .expression_attribute_values(":bucket", s(bucket))
            .expression_attribute_values(":now", n(now))
            .limit(DUE_PAGE)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(err)?;
        let mut due = Vec::new();
        for item in out.items() {
            let f = Fields(item);
            let pk = f.str("pk")?;
            let Some(id) = pk.strip_prefix("CONN#") else {
                continue;
            };
            due.push((id.to_string(), f.num("due_at")?));
        }
        let next = match out.last_evaluated_key() {
            Some(last) => {
                let plain: BTreeMap<String, String> = last
                    .iter()
                    .filter_map(|(k, v)| {
                        let text = v.as_s().ok().or_else(|| v.as_n().ok())?;
                        Some((k.clone(), text.clone()))
                    })
                    .collect();
                Some(serde_json::to_string(&plain).map_err(InfraError::new)?)
            }
            None => None,
        };
        Ok(DuePage { due, next })
    }

    async fn batch(
        &self,
        connection_id: &str,
        slot: i64,
    ) -> Result<Option<ImportBatch>, InfraError> {
        self.get(key(conn_pk(connection_id), &batch_sk(slot)))
            .await?
            .as_ref()
            .map(batch_from)
            .transpose()
    }

    async fn claim_delivery(
        &self,
        connection_id: &str,
        slot: i64,
        now: i64,
        until: i64,
    ) -> Result<bool, InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(conn_pk(connection_id), &batch_sk(slot))))
            .update_expression("SET lease_until = :until")
            .condition_expression(
                "attribute_exists(pk) AND delivery = :pending AND lease_until <= :now",
            )
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":pending", s(Delivery::Pending.as_str()))
            .send()
            .await;
        written(result)
    }

    async fn record_delivery(&self, batch: &ImportBatch) -> Result<(), InfraError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                conn_pk(&batch.connection_id),
                &batch_sk(batch.slot),
            )))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":delivery", s(batch.delivery.as_str()))
            .expression_attribute_values(":attempts", n(batch.attempts))
            .expression_attribute_values(":zero", n(0));
        update = match &batch.last_error {
            Some(e) => update
                .update_expression(
                    "SET delivery = :delivery, attempts = :attempts, lease_until = :zero, \
                     last_error = :error",
                )
                .expression_attribute_values(":error", s(e)),
            None => update.update_expression(
                "SET delivery = :delivery, attempts = :attempts, lease_until = :zero \
                 REMOVE last_error",
            ),
        };
        update.send().await.map_err(err)?;
        Ok(())
    }

    async fn batches(
        &self,
        connection_id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<ImportBatch>, Option<String>), InfraError> {
        // `after` is the slot of the last batch of the previous page.
        let before = match after {
            Some(raw) => raw
                .parse::<i64>()
                .map_err(|_| InfraError::new("bad page"))?,
            None => i64::MAX / 10,
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(conn_pk(connection_id)))
            .expression_attribute_values(":from", s(batch_sk(0)))
            .expression_attribute_values(":to", s(batch_sk(before.saturating_sub(1).max(0))))
            .scan_index_forward(false)
            .limit(limit as i32 + 1)
            .consistent_read(true)
            .send()
            .await
            .map_err(err)?;
        let mut batches = out
            .items()
            .iter()
            .map(batch_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = (batches.len() > limit).then(|| batches[limit - 1].slot.to_string());
        batches.truncate(limit);
        Ok((batches, next))
    }

    async fn forget(&self, connection_id: &str) -> Result<(), InfraError> {
        let pk = conn_pk(connection_id);
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk.clone(), SETTINGS_SK)))
            .send()
            .await
            .map_err(err)?;
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :batch)")
                .expression_attribute_values(":pk", s(pk.as_str()))
                .expression_attribute_values(":batch", s(BATCH_SK_PREFIX))
                .projection_expression("pk, sk")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(err)?;
            for item in out.items() {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(item.clone()))
                    .send()
                    .await
                    .map_err(err)?;
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(());
            }
        }
    }

    async fn webhook(&self, tenant_id: &str) -> Result<Option<WebhookEndpoint>, InfraError> {
        let Some(item) = self.get(key(webhook_pk(tenant_id), WEBHOOK_SK)).await? else {
            return Ok(None);
        };
        let f = Fields(&item);
        Ok(Some(WebhookEndpoint {
            tenant_id: tenant_id.to_string(),
            url: f.str("url")?,
            secret_ciphertext: f
                .blob("secret_ct")
                .ok_or_else(|| InfraError::new("webhook lacks its secret"))?,
            created_at: f.num("created_at")?,
        }))
    }

    async fn put_webhook(&self, webhook: &WebhookEndpoint) -> Result<(), InfraError> {
        let mut item = key(webhook_pk(&webhook.tenant_id), WEBHOOK_SK);
        item.insert("url".into(), s(&webhook.url));
        item.insert(
            "secret_ct".into(),
            AttributeValue::B(Blob::new(webhook.secret_ciphertext.clone())),
        );
        item.insert("created_at".into(), n(webhook.created_at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(err)?;
        Ok(())
    }
}
