//! Tokens at rest: only KMS ciphertext, bound to its connection.

use crate::helpers::TestApp;
use aws_sdk_dynamodb::types::AttributeValue;
use cas_inbox::domain::service::token_context;

/// The sandbox's tokens start like Google's: `ya29.` (access) and `1//` (refresh).
fn holds_a_token(value: &AttributeValue) -> bool {
    let has = |bytes: &[u8]| {
        bytes.windows(5).any(|w| w == b"ya29.") || bytes.windows(3).any(|w| w == b"1//")
    };
    match value {
        AttributeValue::S(s) => has(s.as_bytes()),
        AttributeValue::B(b) => has(b.as_ref()),
        AttributeValue::L(l) => l.iter().any(holds_a_token),
        AttributeValue::M(m) => m.values().any(holds_a_token),
        _ => false,
    }
}

#[tokio::test]
async fn no_item_holds_a_plaintext_google_token() {
    let app = TestApp::spawn().await;
    let connected = app.connect_inbox().await;
    // A refresh stores a new access token too.
    app.sandbox_control("/_sandbox/access-tokens/expire").await;
    let res = app
        .post(
            "/v4/inbox/status",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);

    let items = app.scan_table().await;
    let conn = items
        .iter()
        .find(|i| i["pk"].as_s().unwrap().starts_with("CONN#"))
        .expect("a connection");
    assert!(conn["refresh_token_ct"].as_b().is_ok());
    assert!(conn["access_token_ct"].as_b().is_ok());
    for item in &items {
        for (name, value) in item {
            assert!(!holds_a_token(value), "{name} holds a plaintext token");
        }
    }
}

#[tokio::test]
async fn a_stored_token_decrypts_only_under_its_own_connection() {
    let app = TestApp::spawn().await;
    app.connect_inbox().await;
    let items = app.scan_table().await;
    let conn = items
        .iter()
        .find(|i| i["pk"].as_s().unwrap().starts_with("CONN#"))
        .expect("a connection");
    let id = conn["connection_id"].as_s().unwrap();
    let tenant = conn["tenant_id"].as_s().unwrap();
    let ciphertext = conn["refresh_token_ct"].as_b().unwrap().as_ref().to_vec();
    let keys = &app.app.inbox.keys;

    let plain = keys
        .decrypt(
            &ciphertext,
            &token_context(id, tenant, "google_refresh_token"),
        )
        .await
        .expect("decrypts under its own context");
    assert!(plain.starts_with(b"1//"));
    for (other_id, other_tenant, purpose) in [
        (
            "another-connection",
            tenant.as_str(),
            "google_refresh_token",
        ),
        (id.as_str(), "another-tenant", "google_refresh_token"),
        (id.as_str(), tenant.as_str(), "google_access_token"),
    ] {
        assert!(
            keys.decrypt(&ciphertext, &token_context(other_id, other_tenant, purpose))
                .await
                .is_err(),
            "decrypted under {other_id}/{other_tenant}/{purpose}"
        );
    }
}
