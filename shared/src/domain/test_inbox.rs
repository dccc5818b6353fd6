//! The service over the in-memory fakes, as the domain's tests start it. Apart from the fakes
//! themselves so that the imports' fakes (which charge through the fake store) and the fakes
//! do not import each other.

use super::fakes::{
    CONNECTION, FixedClock, MemFiles, MemRateLimiter, MemStore, NOW, NoFetch, PlainKeys,
    RefreshOnly, ScriptedMailbox, TENANT,
};
use super::imports::fakes::MemImports;
use super::inbox_token::{InboxTokenSigner, InboxTokenSubject};
use super::links::LinkSigner;
use super::model::{ApiKeyRecord, Connection, ConnectionStatus, Tenant};
use super::ports::Store;
use super::service::{Caller, Inbox, InboxSettings};
use rust_decimal::Decimal;
use std::sync::Arc;

/// An inbox over the fakes: one tenant with `credits`, one connection with a live access
/// token. Returns the inbox, its caller and the connection's `inbox_token`.
pub async fn inbox_with(
    mailbox: Arc<ScriptedMailbox>,
    credits: Decimal,
) -> (Inbox, Arc<MemStore>, Caller, String) {
    let store = Arc::new(MemStore::default());
    let tenant = Tenant {
        id: TENANT.into(),
        name: "Test".into(),
        redirect_uris: Vec::new(),
        credits,
        created_at: NOW,
        rate_limit: None,
        callback_flow: Default::default(),
    };
    store
        .create_tenant(
            &tenant,
            "",
            &ApiKeyRecord {
                key_id: "key_1".into(),
                tenant_id: TENANT.into(),
                label: "default".into(),
                created_at: NOW,
                revoked_at: None,
            },
        )
        .await
        .unwrap();
    store
        .save_connection(
            &Connection {
                id: CONNECTION.into(),
                tenant_id: TENANT.into(),
                email: "demo.investor@gmail.com".into(),
                refresh_token_ciphertext: b"refresh".to_vec(),
                access_token_ciphertext: Some(b"access".to_vec()),
                access_token_expires_at: Some(NOW + 3600),
                scopes: Vec::new(),
                status: ConnectionStatus::Active,
                created_at: NOW,
                updated_at: NOW,
                last_verified_at: None,
                revoked_at: None,
            },
            None,
        )
        .await
        .unwrap();
    let signer = InboxTokenSigner::new(&[7; 32], 3600).unwrap();
    let token = signer
        .issue(
            &InboxTokenSubject {
                connection_id: CONNECTION.into(),
                tenant_id: TENANT.into(),
            },
            NOW,
        )
        .unwrap();
    let inbox = Inbox {
        store: store.clone(),
        keys: Arc::new(PlainKeys),
        google: Arc::new(RefreshOnly),
        mailbox,
        files: Arc::new(MemFiles::default()),
        pdf_fetcher: Arc::new(NoFetch),
        clock: Arc::new(FixedClock),
        limiter: Arc::new(MemRateLimiter::default()),
        signer,
        links: LinkSigner::from_key(&[9; 32]),
        settings: InboxSettings::default(),
        imports: Arc::new(MemImports::new(store.clone())),
    };
    let caller = Caller { tenant };
    (inbox, store, caller, token)
}
