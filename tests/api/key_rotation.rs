//! Keys that rotate (issue 11): an inbox_token signed with the old key still works after the
//! rotation, one with an unknown kid never does; download links have their own secret; and
//! `parse` and `download` start without ever reading the Google client secret.

use crate::helpers::{TestApp, error_code, spawn_front};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cas_inbox::adapters::{provision, secrets_manager};
use cas_inbox::app::{App, Clients};
use cas_inbox::domain::inbox_token::{InboxTokenSigner, InboxTokenSubject};
use cas_inbox::domain::keyring::{KeyRing, SigningKey};
use cas_inbox::domain::ports::Clock;
use cas_inbox::runtime::secrets;
use serde_json::Value;
use std::sync::Arc;

fn part(token: &str, n: usize) -> Value {
    let raw = token.split('.').nth(n).expect("JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).expect("base64url")).expect("JSON")
}

/// The app as a function's next cold start would build it (secrets read again).
async fn restarted(app: &TestApp) -> (String, tokio::task::JoinHandle<()>, Arc<App>) {
    let restarted = Arc::new(
        App::build(&app.config, &Clients::all(&app.sdk), app.clock.clone())
            .await
            .expect("rebuild"),
    );
    let (url, front) = spawn_front(restarted.clone()).await;
    (url, front, restarted)
}

async fn status(app: &TestApp, base: &str, token: &str) -> reqwest::Response {
    app.http
        .post(format!("{base}/v4/inbox/status"))
        .header("x-api-key", &app.api_key)
        .header("x-inbox-token", token)
        .send()
        .await
        .expect("status")
}

#[tokio::test]
async fn rotating_the_token_key_logs_no_one_out_and_unknown_kids_are_refused() {
    let app = TestApp::spawn().await;
    let connected = app.connect_inbox().await;
    let old_kid = part(&connected.inbox_token, 0)["kid"]
        .as_str()
        .expect("the token names its key")
        .to_string();
    let token_secret = app.config.inbox_token_secret_id.clone().unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&app.sdk);

    // Step 1: a new current key, the old one previous.
    let new_kid = provision::rotate_key_ring(&sm, &token_secret)
        .await
        .unwrap();
    assert_ne!(new_kid, old_kid);
    let ring = secrets_manager::key_ring(&sm, &token_secret).await.unwrap();
    assert_eq!(ring.current.kid, new_kid);
    assert_eq!(ring.previous.as_ref().unwrap().kid, old_kid);
    let (base, _front, rotated) = restarted(&app).await;
    let res = status(&app, &base, &connected.inbox_token).await;
    assert_eq!(res.status(), 200, "the old key's token still works");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["connected"], true);

    // Tokens issued now carry the new kid and work too.
    let subject = InboxTokenSubject {
        connection_id: part(&connected.inbox_token, 1)["sub"]
            .as_str()
            .unwrap()
            .into(),
        tenant_id: app.tenant_id.clone(),
    };
    let fresh = rotated
        .inbox
        .signer
        .issue(&subject, app.clock.now())
        .unwrap();
    assert_eq!(part(&fresh, 0)["kid"], new_kid.as_str());
    assert_eq!(status(&app, &base, &fresh).await.status(), 200);

    // A kid we never issued, even with a valid signature of a real key: refused.
    let unknown = InboxTokenSigner::from_ring(
        &KeyRing {
            current: SigningKey::new("k-unknown", ring.current.bytes()).unwrap(),
            previous: None,
        },
        3600,
    )
    .issue(&subject, app.clock.now())
    .unwrap();
    assert_eq!(
        error_code(status(&app, &base, &unknown).await).await,
        (401, "INVALID_INBOX_TOKEN".into())
    );

    // Step 2 (90 days on): the previous key is dropped; its tokens stop working.
    assert_eq!(
        provision::drop_previous_key(&sm, &token_secret)
            .await
            .unwrap(),
        Some(old_kid)
    );
    let (base, _front, _) = restarted(&app).await;
    assert_eq!(
        error_code(status(&app, &base, &connected.inbox_token).await).await,
        (401, "INVALID_INBOX_TOKEN".into())
    );
    assert_eq!(status(&app, &base, &fresh).await.status(), 200);
}

#[tokio::test]
async fn links_have_their_own_key_and_parse_and_download_never_read_the_google_secret() {
    let app = TestApp::spawn().await;
    let sm = aws_sdk_secretsmanager::Client::new(&app.sdk);
    let token_ring =
        secrets_manager::key_ring(&sm, app.config.inbox_token_secret_id.as_ref().unwrap())
            .await
            .unwrap();
    let link_ring =
        secrets_manager::key_ring(&sm, app.config.download_link_secret_id.as_ref().unwrap())
            .await
            .unwrap();
    assert_ne!(token_ring.current.bytes(), link_ring.current.bytes());

    // The Google client secret (and the token key) made unreadable: parse and download
    // still start; the functions that talk to Google do not.
    let mut config = app.config.clone();
    config.google_client_secret_id = Some("cas-inbox/test/no-such-secret".into());
    config.inbox_token_secret_id = Some("cas-inbox/test/no-such-secret".into());
    for needs in [secrets::PARSE, secrets::DOWNLOAD] {
        App::build(
            &config,
            &Clients {
                aws: app.sdk.clone(),
                secrets: needs,
            },
            app.clock.clone(),
        )
        .await
        .expect("parse/download need neither the Google client nor the token key");
    }
    for needs in [secrets::CAS, secrets::CALLBACK, secrets::CONNECT] {
        assert!(
            App::build(
                &config,
                &Clients {
                    aws: app.sdk.clone(),
                    secrets: needs
                },
                app.clock.clone()
            )
            .await
            .is_err()
        );
    }
    // Without the variable at all, the function that needs it says which one is missing.
    config.google_client_secret_id = None;
    let err = App::build(
        &config,
        &Clients {
            aws: app.sdk.clone(),
            secrets: secrets::STATUS,
        },
        app.clock.clone(),
    )
    .await
    .err()
    .expect("status needs the Google client");
    assert!(err.to_string().contains("GOOGLE_CLIENT_SECRET_ID"), "{err}");
}
