//! The code flow's items on the same table (a child of `dynamo`, for its helpers): the
//! tenant's `callback_flow` attribute and one item per one-time code, `CODE#<sha256>` /
//! `CODE`, removed by the table's TTL on `expires_at` if never exchanged.

use super::{
    DynamoStore, Fields, Item, TENANT_SK, key, n, put_new, s, take_item, tenant_pk, written,
};
use crate::domain::model::{AuthCode, CallbackFlow};
use crate::domain::ports::InfraError;
use std::collections::HashMap;

const CODE_SK: &str = "CODE";

fn code_pk(hash: &str) -> String {
    format!("CODE#{hash}")
}

/// A tenant item's flow; an item written before the attribute existed is the default.
pub(super) fn callback_flow_from(f: &Fields) -> Result<CallbackFlow, InfraError> {
    match f.opt_str("callback_flow") {
        None => Ok(CallbackFlow::default()),
        Some(raw) => CallbackFlow::parse(&raw)
            .ok_or_else(|| InfraError(format!("unknown callback_flow {raw:?}"))),
    }
}

/// The OAuth state item's flow attribute (absent: the default).
pub(super) fn flow_attribute(item: &mut Item, flow: CallbackFlow) {
    if flow != CallbackFlow::default() {
        item.insert("callback_flow".into(), s(flow.as_str()));
    }
}

impl DynamoStore {
    pub(super) async fn write_callback_flow(
        &self,
        tenant_id: &str,
        flow: CallbackFlow,
    ) -> Result<bool, InfraError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant_id), TENANT_SK)))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET callback_flow = :f")
            .expression_attribute_values(":f", s(flow.as_str()))
            .send()
            .await;
        written(result)
    }

    pub(super) async fn write_auth_code(&self, code: &AuthCode) -> Result<(), InfraError> {
        let mut item = key(code_pk(&code.code_hash), CODE_SK);
        item.insert("tenant_id".into(), s(&code.tenant_id));
        item.insert("connection_id".into(), s(&code.connection_id));
        item.insert("email".into(), s(&code.email));
        if let Some(app_state) = &code.app_state {
            item.insert("app_state".into(), s(app_state));
        }
        item.insert("created_at".into(), n(code.created_at));
        item.insert("expires_at".into(), n(code.expires_at));
        put_new(&self.client, &self.table, item).await
    }

    /// One conditional delete returning the old item: of two exchanges of one code exactly
    /// one gets it; another tenant's fails the condition and leaves the item in place.
    pub(super) async fn delete_auth_code(
        &self,
        code_hash: &str,
        tenant_id: &str,
    ) -> Result<Option<AuthCode>, InfraError> {
        let Some(item) = take_item(
            &self.client,
            &self.table,
            key(code_pk(code_hash), CODE_SK),
            "attribute_exists(pk) AND tenant_id = :t",
            Some(HashMap::from([(":t".into(), s(tenant_id))])),
        )
        .await?
        else {
            return Ok(None);
        };
        let f = Fields(&item);
        Ok(Some(AuthCode {
            code_hash: code_hash.to_string(),
            tenant_id: f.str("tenant_id")?,
            connection_id: f.str("connection_id")?,
            email: f.str("email")?,
            app_state: f.opt_str("app_state"),
            created_at: f.num("created_at")?,
            expires_at: f.num("expires_at")?,
        }))
    }
}
