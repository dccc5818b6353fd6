//! `Store` on one DynamoDB table (`pk`/`sk` strings, TTL on `expires_at`).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | tenant | `TENANT#<id>` | `PROFILE` |
//! | API key (by hash) | `APIKEY#<sha256>` | `APIKEY` |
//! | API key (listing) | `TENANT#<id>` | `KEY#<key_id>` |
//! | OAuth state | `OAUTH#<state>` | `STATE` |
//! | connection | `CONN#<id>` | `CONNECTION` |
//! | address index | `TENANT#<id>` | `EMAIL#<address>` |
//! | rate-limit window | `RATE#<tenant id>` | `WINDOW#<start>` |
//! | code-flow code | `CODE#<sha256>` | `CODE` (`dynamo_codes`) |

use crate::domain::model::{
    ApiKeyRecord, AuthCode, CallbackFlow, Connection, ConnectionStatus, OAuthState, RateLimit,
    Tenant,
};
use crate::domain::ports::{
    Charge, InfraError, RateDecision, RateLimiter, Saved, Store, window_of,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update,
};
use rust_decimal::Decimal;
use std::collections::HashMap;

#[path = "dynamo_codes.rs"]
mod codes;
#[path = "dynamo_items.rs"]
pub(super) mod items;
use items::*;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl DynamoStore {
    async fn get(&self, key: Item) -> Result<Option<Item>, InfraError> {
        get_item(&self.client, &self.table, key).await
    }

    /// An update that must not resurrect a deleted item: a missing item is not an error.
    async fn update_existing(
        &self,
        key: Item,
        expression: &str,
        values: Item,
    ) -> Result<(), InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        // Whether it wrote or its condition failed, there is nothing more to do.
        written(result).map(drop)
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn create_tenant(
        &self,
        tenant: &Tenant,
        key_hash: &str,
        key_record: &ApiKeyRecord,
    ) -> Result<(), InfraError> {
        let put_tenant = TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(tenant_item(tenant)))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(InfraError::new)?,
            )
            .build();
        let [by_hash, listed] = key_puts(&self.table, key_hash, key_record)?;
        self.client
            .transact_write_items()
            .transact_items(put_tenant)
            .transact_items(by_hash)
            .transact_items(listed)
            .send()
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn add_api_key(
        &self,
        key_hash: &str,
        key_record: &ApiKeyRecord,
    ) -> Result<(), InfraError> {
        let [by_hash, listed] = key_puts(&self.table, key_hash, key_record)?;
        self.client
            .transact_write_items()
            .transact_items(by_hash)
            .transact_items(listed)
            .send()
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKeyRecord>, InfraError> {
        let items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(tenant_pk(tenant_id)))
            .expression_attribute_values(":prefix", s("KEY#"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err)?;
        items.iter().map(key_from).collect()
    }

    async fn revoke_api_key(
        &self,
        tenant_id: &str,
        key_id: &str,
        at: i64,
    ) -> Result<bool, InfraError> {
        let listed_key = key(tenant_pk(tenant_id), &format!("KEY#{key_id}"));
        let Some(listed) = self.get(listed_key.clone()).await? else {
            return Ok(false);
        };
        let hash = Fields(&listed).str("key_hash")?;
        let update = |k: Item| -> Result<TransactWriteItem, InfraError> {
            Ok(TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(k))
                        .update_expression("SET revoked_at = if_not_exists(revoked_at, :t)")
                        .expression_attribute_values(":t", n(at))
                        .build()
                        .map_err(InfraError::new)?,
                )
                .build())
        };
        self.client
            .transact_write_items()
            .transact_items(update(listed_key)?)
            .transact_items(update(key(api_key_pk(&hash), API_KEY_SK))?)
            .send()
            .await
            .map_err(err)?;
        Ok(true)
    }

    async fn api_key(&self, key_hash: &str) -> Result<Option<(ApiKeyRecord, Tenant)>, InfraError> {
        let Some(item) = self.get(key(api_key_pk(key_hash), API_KEY_SK)).await? else {
            return Ok(None);
        };
        let record = key_from(&item)?;
        let Some(tenant) = self.tenant(&record.tenant_id).await? else {
            return Ok(None);
        };
        Ok(Some((record, tenant)))
    }

    async fn tenant(&self, tenant_id: &str) -> Result<Option<Tenant>, InfraError> {
        self.get(key(tenant_pk(tenant_id), TENANT_SK))
            .await?
            .as_ref()
            .map(tenant_from)
            .transpose()
    }

    async fn charge_credits(&self, tenant_id: &str, amount: Decimal) -> Result<Charge, InfraError> {
        // One conditional update: concurrent charges serialise in DynamoDB, and the condition
        // keeps the balance from ever going below zero.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant_id), TENANT_SK)))
            .update_expression("SET credits = credits - :amount")
            .condition_expression("attribute_exists(pk) AND credits >= :amount")
            .expression_attribute_values(":amount", n(amount))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let attrs = out.attributes.unwrap_or_default();
                Ok(Charge::Charged {
                    remaining: Fields(&attrs).decimal("credits")?,
                })
            }
            Err(e) if condition_failed(&e) => {
                let balance = self
                    .tenant(tenant_id)
                    .await?
                    .map(|t| t.credits)
                    .unwrap_or_default();
                Ok(Charge::Insufficient { balance })
            }
            Err(e) => Err(err(e)),
        }
    }

    async fn add_credits(&self, tenant_id: &str, amount: Decimal) -> Result<Decimal, InfraError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant_id), TENANT_SK)))
            .update_expression("SET credits = credits + :amount")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":amount", n(amount))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(err)?;
        Fields(&out.attributes.unwrap_or_default()).decimal("credits")
    }

    async fn set_rate_limit(
        &self,
        tenant_id: &str,
        limit: Option<RateLimit>,
    ) -> Result<bool, InfraError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant_id), TENANT_SK)))
            .condition_expression("attribute_exists(pk)");
        let update = match limit {
            Some(limit) => update
                .update_expression("SET rate_limit_requests = :r, rate_limit_window_seconds = :w")
                .expression_attribute_values(":r", n(limit.requests))
                .expression_attribute_values(":w", n(limit.window_seconds)),
            None => {
                update.update_expression("REMOVE rate_limit_requests, rate_limit_window_seconds")
            }
        };
        written(update.send().await)
    }

    async fn set_callback_flow(
        &self,
        tenant_id: &str,
        flow: CallbackFlow,
    ) -> Result<bool, InfraError> {
        self.write_callback_flow(tenant_id, flow).await
    }

    async fn put_auth_code(&self, code: &AuthCode) -> Result<(), InfraError> {
        self.write_auth_code(code).await
    }

    async fn take_auth_code(
        &self,
        code_hash: &str,
        tenant_id: &str,
    ) -> Result<Option<AuthCode>, InfraError> {
        self.delete_auth_code(code_hash, tenant_id).await
    }

    async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), InfraError> {
        let mut item = key(state_pk(&state.id), STATE_SK);
        item.insert("tenant_id".into(), s(&state.tenant_id));
        item.insert("redirect_uri".into(), s(&state.redirect_uri));
        if let Some(app_state) = &state.app_state {
            item.insert("app_state".into(), s(app_state));
        }
        item.insert("pkce_verifier".into(), s(&state.pkce_verifier));
        item.insert("callback_url".into(), s(&state.callback_url));
        codes::flow_attribute(&mut item, state.flow);
        item.insert("created_at".into(), n(state.created_at));
        item.insert("expires_at".into(), n(state.expires_at));
        put_new(&self.client, &self.table, item).await
    }

    async fn take_oauth_state(&self, id: &str) -> Result<Option<OAuthState>, InfraError> {
        // A conditional delete returning the old item: of two concurrent callbacks with the same
        // state, exactly one gets it.
        let Some(item) = take_item(
            &self.client,
            &self.table,
            key(state_pk(id), STATE_SK),
            "attribute_exists(pk)",
            None,
        )
        .await?
        else {
            return Ok(None);
        };
        let f = Fields(&item);
        Ok(Some(OAuthState {
            id: id.to_string(),
            tenant_id: f.str("tenant_id")?,
            redirect_uri: f.str("redirect_uri")?,
            app_state: f.opt_str("app_state"),
            pkce_verifier: f.str("pkce_verifier")?,
            callback_url: f.str("callback_url")?,
            flow: codes::callback_flow_from(&f)?,
            created_at: f.num("created_at")?,
            expires_at: f.num("expires_at")?,
        }))
    }

    async fn connection(&self, id: &str) -> Result<Option<Connection>, InfraError> {
        self.get(key(conn_pk(id), CONN_SK))
            .await?
            .as_ref()
            .map(connection_from)
            .transpose()
    }

    async fn connection_id_for_email(
        &self,
        tenant_id: &str,
        email: &str,
    ) -> Result<Option<String>, InfraError> {
        Ok(self
            .get(key(tenant_pk(tenant_id), &email_sk(email)))
            .await?
            .and_then(|item| Fields(&item).opt_str("connection_id")))
    }

    async fn save_connection(
        &self,
        connection: &Connection,
        replaces: Option<&str>,
    ) -> Result<Saved, InfraError> {
        let mut index = key(
            tenant_pk(&connection.tenant_id),
            &email_sk(&connection.email),
        );
        index.insert("connection_id".into(), s(&connection.id));
        let put = |item: Item| -> Result<TransactWriteItem, InfraError> {
            Ok(TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .build()
                        .map_err(InfraError::new)?,
                )
                .build())
        };
        // The index still names the connection this one replaces (or none): two callbacks for
        // one address cannot both win, so at most one connection per address stays live.
        let index_put = match replaces {
            Some(old) => Put::builder()
                .condition_expression("connection_id = :previous")
                .expression_attribute_values(":previous", s(old)),
            None => Put::builder().condition_expression("attribute_not_exists(pk)"),
        }
        .table_name(&self.table)
        .set_item(Some(index))
        .build()
        .map_err(InfraError::new)?;
        let mut tx = self
            .client
            .transact_write_items()
            .transact_items(put(connection_item(connection))?)
            .transact_items(TransactWriteItem::builder().put(index_put).build());
        if let Some(old) = replaces.filter(|old| *old != connection.id) {
            tx = tx.transact_items(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(key(conn_pk(old), CONN_SK)))
                            .build()
                            .map_err(InfraError::new)?,
                    )
                    .build(),
            );
        }
        match tx.send().await {
            Ok(_) => Ok(Saved::Saved),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled))
                    if cancelled
                        .cancellation_reasons()
                        .iter()
                        .any(|r| r.code() == Some("ConditionalCheckFailed")) =>
                {
                    Ok(Saved::Superseded)
                }
                _ => Err(err(e)),
            },
        }
    }

    async fn update_access_token(
        &self,
        id: &str,
        ciphertext: &[u8],
        expires_at: i64,
        verified_at: i64,
    ) -> Result<(), InfraError> {
        self.update_existing(
            key(conn_pk(id), CONN_SK),
            "SET access_token_ct = :ct, access_token_expires_at = :exp, \
             last_verified_at = :t, updated_at = :t",
            HashMap::from([
                (
                    ":ct".into(),
                    AttributeValue::B(Blob::new(ciphertext.to_vec())),
                ),
                (":exp".into(), n(expires_at)),
                (":t".into(), n(verified_at)),
            ]),
        )
        .await
    }

    async fn mark_verified(&self, id: &str, at: i64) -> Result<(), InfraError> {
        self.update_existing(
            key(conn_pk(id), CONN_SK),
            "SET last_verified_at = :t",
            HashMap::from([(":t".into(), n(at))]),
        )
        .await
    }

    async fn mark_revoked(&self, id: &str, at: i64) -> Result<(), InfraError> {
        self.update_existing(
            key(conn_pk(id), CONN_SK),
            "SET conn_status = :revoked, revoked_at = if_not_exists(revoked_at, :t), updated_at = :t \
             REMOVE access_token_ct, access_token_expires_at",
            HashMap::from([
                (":revoked".into(), s(ConnectionStatus::Revoked.as_str())),
                (":t".into(), n(at)),
            ]),
        )
        .await
    }

    async fn delete_connection(&self, connection: &Connection) -> Result<(), InfraError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(conn_pk(&connection.id), CONN_SK)))
            .send()
            .await
            .map_err(err)?;
        // The address index may already point at a newer connection: only remove our own.
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                tenant_pk(&connection.tenant_id),
                &email_sk(&connection.email),
            )))
            .condition_expression("connection_id = :id")
            .expression_attribute_values(":id", s(&connection.id))
            .send()
            .await;
        // Whether it wrote or its condition failed, there is nothing more to do.
        written(result).map(drop)
    }
}

/// Window items outlive their window by this much before TTL may delete them (TTL deletes
/// late, never early, and an expired window is never read again anyway).
const WINDOW_TTL_MARGIN_SECONDS: i64 = 3600;

/// `RateLimiter` on the same table: one item per subject and window, counted by ONE
/// conditional `UpdateItem` — `ADD request_count 1` only while `request_count < limit` — so
/// concurrent requests on any number of Lambda instances serialise in DynamoDB, and a refused
/// request writes nothing.
#[derive(Clone)]
pub struct DynamoRateLimiter {
    client: Client,
    table: String,
}

impl DynamoRateLimiter {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

#[async_trait]
impl RateLimiter for DynamoRateLimiter {
    async fn admit(
        &self,
        subject: &str,
        limit: RateLimit,
        now: i64,
    ) -> Result<RateDecision, InfraError> {
        let (start, retry_after_seconds) = window_of(now, limit.window_seconds);
        let expires_at = start + i64::from(limit.window_seconds) + WINDOW_TTL_MARGIN_SECONDS;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                format!("RATE#{subject}"),
                &format!("WINDOW#{start}"),
            )))
            .update_expression("ADD request_count :one SET expires_at = :expires")
            .condition_expression("attribute_not_exists(request_count) OR request_count < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit.requests))
            .expression_attribute_values(":expires", n(expires_at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(RateDecision::Admitted),
            Err(e) if condition_failed(&e) => Ok(RateDecision::Limited {
                retry_after_seconds,
            }),
            Err(e) => Err(err(e)),
        }
    }
}
