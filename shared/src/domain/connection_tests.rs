//! Replacing a connection through the callback, against the in-memory ports (milliseconds):
//! the same Gmail address connected again by the same tenant supersedes the old connection,
//! whose inbox_token stops working and whose stored files and scheduled imports (settings with
//! the statement password, kept batches) are deleted; a disconnect deletes them too.

use super::*;
use crate::domain::fakes::{CONNECTION, MemFiles, NOW, ScriptedMailbox, TENANT, pdf};
use crate::domain::imports::fakes::MemImports;
use crate::domain::imports::model::{
    Delivery, ImportBatch, ImportSettings, ImportState, WebhookEndpoint,
};
use crate::domain::imports::ports::ImportStore;
use crate::domain::ports::{AccessToken, FileStore, GoogleAccounts, GoogleTokens, Store};
use crate::domain::stored_files::file_key;
use crate::domain::test_inbox::inbox_with;
use rust_decimal::Decimal;
use std::sync::Arc;

const EMAIL: &str = "demo.investor@gmail.com";
const APP: &str = "https://app.example/back";

/// Google after a consent to read `EMAIL`'s mail (it names the address in another case).
struct Consenting;

#[async_trait::async_trait]
impl GoogleAccounts for Consenting {
    fn authorize_url(&self, state: &str, _: &str, _: &str) -> String {
        format!("https://accounts.example/auth?state={state}")
    }
    async fn exchange_code(&self, _: &str, _: &str, _: &str) -> Result<GoogleTokens, GoogleError> {
        Ok(GoogleTokens {
            access_token: "access-2".into(),
            expires_in: 3600,
            refresh_token: Some("refresh-2".into()),
            scopes: vec![GMAIL_READONLY_SCOPE.into()],
        })
    }
    async fn refresh(&self, _: &str) -> Result<AccessToken, GoogleError> {
        Err(GoogleError::Refused("not used".into()))
    }
    async fn revoke(&self, _: &str) -> Result<Revocation, GoogleError> {
        Ok(Revocation::Revoked)
    }
    async fn gmail_address(&self, _: &str) -> Result<String, GoogleError> {
        Ok("Demo.Investor@gmail.com".into())
    }
}

struct World {
    inbox: Inbox,
    store: Arc<crate::domain::fakes::MemStore>,
    files: Arc<MemFiles>,
    imports: Arc<MemImports>,
    caller: Caller,
    old_token: String,
}

/// Imports set up for `connection` with a stored statement password, and one batch kept from
/// a run whose delivery failed.
async fn imports_of(db: &MemImports, connection: &str, tenant: &str) {
    let settings = ImportSettings {
        connection_id: connection.into(),
        tenant_id: tenant.into(),
        enabled: true,
        state: ImportState::Active,
        password_ciphertext: Some(b"sealed password".to_vec()),
        cas_types: Vec::new(),
        parse: true,
        cursor_ms: None,
        imported: Default::default(),
        next_run_at: Some(NOW),
        last_run_at: None,
        last_result: None,
        held_since: None,
        version: 1,
    };
    assert!(db.save_settings(&settings, None).await.unwrap());
    let batch = ImportBatch {
        id: format!("imp_{NOW}_{connection}"),
        tenant_id: tenant.into(),
        connection_id: connection.into(),
        slot: NOW,
        created_at: NOW,
        event_type: "inbox.cas_imported".into(),
        data: "{}".into(),
        delivery: Delivery::Failed,
        attempts: 5,
        last_error: None,
    };
    db.state
        .lock()
        .unwrap()
        .batches
        .insert((connection.to_string(), NOW), (batch, 0));
}

/// `CONNECTION` reads `EMAIL` for `TENANT` and has a stored statement; another tenant has
/// connected the same address too, with its own statement.
async fn world() -> World {
    let (mut inbox, store, mut caller, old_token) =
        inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
    inbox.google = Arc::new(Consenting);
    let files = Arc::new(MemFiles::default());
    inbox.files = files.clone();
    let imports = Arc::new(MemImports::new(store.clone()));
    inbox.imports = imports.clone();
    caller.tenant.redirect_uris = vec![APP.into()];
    let mut other = store.connections.lock().unwrap()[CONNECTION].clone();
    (other.id, other.tenant_id) = ("conn-other".into(), "tnt_other".into());
    store.save_connection(&other, None).await.unwrap();
    for (connection, tenant) in [(CONNECTION, TENANT), ("conn-other", "tnt_other")] {
        let key = file_key(connection, "cdsl_20250101_00000000.pdf");
        files.put(&key, &pdf(connection)).await.unwrap();
        imports_of(&imports, connection, tenant).await;
    }
    World {
        inbox,
        store,
        files,
        imports,
        caller,
        old_token,
    }
}

impl World {
    /// Connect, consent, and come back through the callback: the new `inbox_token`.
    async fn reconnect(&self) -> String {
        let connect = ConnectRequest {
            redirect_uri: Some(APP.into()),
            state: None,
        };
        let started = self
            .inbox
            .connect(
                &self.caller,
                connect,
                "https://api.example/v4/inbox/callback",
            )
            .await
            .unwrap();
        let state = started.oauth_url.split_once("state=").unwrap().1;
        let outcome = self
            .inbox
            .callback(CallbackQuery {
                state: Some(state.into()),
                code: Some("code-2".into()),
                ..CallbackQuery::default()
            })
            .await;
        let CallbackOutcome::Redirect(url) = outcome else {
            panic!("no redirect: {outcome:?}");
        };
        let url = url::Url::parse(&url).unwrap();
        let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v);
        assert_eq!(param("error"), None, "{url}");
        assert_eq!(param("email").as_deref(), Some(EMAIL));
        param("inbox_token").expect("an inbox_token").into_owned()
    }

    /// The ids of `tenant`'s connections.
    fn connections_of(&self, tenant: &str) -> Vec<String> {
        let connections = self.store.connections.lock().unwrap();
        let mut ids: Vec<String> = connections
            .values()
            .filter(|c| c.tenant_id == tenant)
            .map(|c| c.id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Whether `connection` has import settings or batches left.
    fn has_imports(&self, connection: &str) -> bool {
        let state = self.imports.state.lock().unwrap();
        state.settings.contains_key(connection)
            || state.batches.keys().any(|(id, _)| id == connection)
    }

    fn has_files(&self, connection: &str) -> bool {
        let prefix = crate::domain::stored_files::files_prefix(connection);
        let objects = self.files.objects.lock().unwrap();
        objects.keys().any(|k| k.starts_with(&prefix))
    }
}

#[tokio::test]
async fn connecting_the_same_gmail_again_replaces_the_connection_and_deletes_its_files() {
    let w = world().await;
    let new_token = w.reconnect().await;

    let new = w
        .inbox
        .connection_for(&w.caller, Some(&new_token))
        .await
        .expect("the new inbox_token works");
    assert_ne!(new.id, CONNECTION);
    assert_eq!((new.email.as_str(), new.created_at), (EMAIL, NOW));
    assert_eq!(w.connections_of(TENANT), vec![new.id.clone()]);
    let old = w
        .inbox
        .connection_for(&w.caller, Some(&w.old_token))
        .await
        .unwrap_err();
    assert_eq!(old.code, ErrorCode::InvalidInboxToken);
    assert!(
        !w.has_files(CONNECTION),
        "the old connection's files are gone"
    );
    assert!(
        !w.has_imports(CONNECTION),
        "the old connection's import settings (its password) and batches are gone"
    );

    // Another tenant's connection of the same address is not touched.
    assert_eq!(w.connections_of("tnt_other"), vec!["conn-other"]);
    assert!(w.has_files("conn-other"));
    assert!(w.has_imports("conn-other"));
}

#[tokio::test]
async fn a_disconnect_leaves_no_files_no_import_settings_and_no_batches() {
    let w = world().await;
    w.imports
        .put_webhook(&WebhookEndpoint {
            tenant_id: TENANT.into(),
            url: "https://hooks.example.com/cas".into(),
            secret_ciphertext: b"sealed".to_vec(),
            created_at: NOW,
        })
        .await
        .unwrap();
    w.inbox
        .disconnect(&w.caller, Some(&w.old_token))
        .await
        .expect("disconnected");
    assert_eq!(w.connections_of(TENANT), Vec::<String>::new());
    assert!(!w.has_files(CONNECTION));
    assert!(
        !w.has_imports(CONNECTION),
        "the statement password and the kept batches went with the connection"
    );
    // The tenant's webhook is the tenant's, and other connections keep theirs.
    assert!(w.imports.webhook(TENANT).await.unwrap().is_some());
    assert!(w.has_imports("conn-other"));
}

/// Another callback for the same address saves between this one's read of the address index
/// and its write (the store answers `Superseded`): this one reads again and replaces that one,
/// so one connection is left, and the one it replaced loses its files.
#[tokio::test]
async fn a_callback_that_loses_a_race_reads_again_and_replaces_the_winner() {
    let w = world().await;
    let mut winner = w.store.connections.lock().unwrap()[CONNECTION].clone();
    winner.id = "conn-winner".into();
    let key = file_key(&winner.id, "nsdl_20250101_00000000.pdf");
    w.files.put(&key, &pdf("winner")).await.unwrap();
    *w.store.interloper.lock().unwrap() = Some(winner);

    let new_token = w.reconnect().await;

    assert!(w.store.interloper.lock().unwrap().is_none(), "the race ran");
    let new = w
        .inbox
        .connection_for(&w.caller, Some(&new_token))
        .await
        .unwrap();
    assert_eq!(w.connections_of(TENANT), vec![new.id]);
    assert!(
        !w.has_files("conn-winner"),
        "the replaced winner's files are gone"
    );
}
