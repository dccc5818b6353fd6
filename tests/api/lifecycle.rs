//! Connect → status → disconnect, as an app would run it.

use crate::helpers::{DEMO_EMAIL, SECOND_EMAIL, TestApp, error_code};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

async fn status(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/v4/inbox/status", Some(&app.api_key), Some(token), None)
        .await
}

#[tokio::test]
async fn an_app_connects_checks_and_disconnects_an_inbox() {
    let app = TestApp::spawn().await;
    let connected = app.connect_inbox().await;
    assert_eq!(connected.email, DEMO_EMAIL);
    let header = connected.inbox_token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");

    let res = status(&app, &connected.inbox_token).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-credits-used"], "0");
    assert_eq!(res.headers()["x-credits-remaining"], "10");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert_eq!(body["connected"], true);
    assert_eq!(body["email"], DEMO_EMAIL);
    assert_eq!(body["provider"], "gmail");
    assert!(body["connected_at"].as_str().unwrap().ends_with('Z'));

    // Disconnect with no body at all, as the seed's Step 4 does.
    let res = app
        .post(
            "/v4/inbox/disconnect",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert!(body["msg"].as_str().unwrap().contains("revoked"));

    let grants = app.sandbox_grants().await;
    assert!(!grants.is_empty());
    assert!(grants.iter().all(|g| g["revoked"] == true), "{grants:?}");

    let (code, err) = error_code(status(&app, &connected.inbox_token).await).await;
    assert_eq!((code, err.as_str()), (401, "INVALID_INBOX_TOKEN"));
    let res = app
        .post(
            "/v4/inbox/disconnect",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(error_code(res).await, (401, "INVALID_INBOX_TOKEN".into()));
    // Nothing of the connection is left.
    let items = app.scan_table().await;
    assert!(
        !items.iter().any(|i| {
            let pk = i["pk"].as_s().unwrap();
            let sk = i["sk"].as_s().unwrap();
            pk.starts_with("CONN#") || sk.starts_with("EMAIL#")
        }),
        "connection items remain"
    );
}

#[tokio::test]
async fn a_grant_revoked_at_google_reads_as_not_connected() {
    let app = TestApp::spawn().await;
    let connected = app.connect_inbox().await;
    app.sandbox_control(&format!("/_sandbox/accounts/{DEMO_EMAIL}/revoke"))
        .await;

    for _ in 0..2 {
        let res = status(&app, &connected.inbox_token).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["connected"], false, "{body}");
        assert_eq!(body["reason"], "reconsent_required");
        assert_eq!(body["email"], DEMO_EMAIL);
    }
    let item = app
        .scan_table()
        .await
        .into_iter()
        .find(|i| i["pk"].as_s().unwrap().starts_with("CONN#"))
        .expect("connection kept");
    assert_eq!(item["conn_status"].as_s().unwrap(), "revoked");

    // Disconnect still succeeds: Google's 400 means "already revoked".
    let res = app
        .post(
            "/v4/inbox/disconnect",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["msg"].as_str().unwrap().contains("already"), "{body}");
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_without_the_app_noticing() {
    let app = TestApp::spawn().await;
    let connected = app.connect_inbox().await;
    app.sandbox_control("/_sandbox/access-tokens/expire").await;
    let body: Value = status(&app, &connected.inbox_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["connected"], true, "{body}");
}

#[tokio::test]
async fn reconnecting_an_address_replaces_the_old_connection() {
    let app = TestApp::spawn().await;
    let first = app.connect_inbox().await;
    let second = app.connect_inbox().await;
    assert_ne!(first.inbox_token, second.inbox_token);
    let (code, err) = error_code(status(&app, &first.inbox_token).await).await;
    assert_eq!((code, err.as_str()), (401, "INVALID_INBOX_TOKEN"));
    assert_eq!(status(&app, &second.inbox_token).await.status(), 200);
    let other = app.connect_inbox_as(&app.api_key, SECOND_EMAIL).await;
    assert_eq!(other.email, SECOND_EMAIL);
    let connections = app
        .scan_table()
        .await
        .into_iter()
        .filter(|i| i["pk"].as_s().unwrap().starts_with("CONN#"))
        .count();
    assert_eq!(connections, 2, "one connection per address");
}

#[tokio::test]
async fn inbox_tokens_work_only_for_their_tenant_and_lifetime() {
    let app = TestApp::spawn().await;
    let connected = app.connect_inbox().await;
    let (other_key, _) = app.second_tenant().await;

    let res = app
        .post(
            "/v4/inbox/status",
            Some(&other_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(error_code(res).await, (401, "INVALID_INBOX_TOKEN".into()));
    let res = app
        .post(
            "/v4/inbox/disconnect",
            Some(&other_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(error_code(res).await, (401, "INVALID_INBOX_TOKEN".into()));

    let mut parts: Vec<String> = connected.inbox_token.split('.').map(String::from).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["exp"] = (claims["exp"].as_i64().unwrap() + 1_000_000).into();
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let tampered = parts.join(".");
    for bad in [
        Some(tampered.as_str()),
        Some("not-a-jwt"),
        Some("eyJhbGciOiJub25lIn0.e30."),
        Some(""),
        None,
    ] {
        let res = app
            .post("/v4/inbox/status", Some(&app.api_key), bad, None)
            .await;
        assert_eq!(
            error_code(res).await,
            (401, "INVALID_INBOX_TOKEN".into()),
            "{bad:?}"
        );
    }

    // Still good a day later; dead once its 90 days are over.
    app.clock.advance(24 * 3600);
    assert_eq!(status(&app, &connected.inbox_token).await.status(), 200);
    app.clock.advance(90 * 24 * 3600);
    let (code, err) = error_code(status(&app, &connected.inbox_token).await).await;
    assert_eq!((code, err.as_str()), (401, "INVALID_INBOX_TOKEN"));
}

#[tokio::test]
async fn when_google_is_unreachable_calls_fail_with_502_and_keep_the_connection() {
    let mut app = TestApp::spawn().await;
    let connected = app.connect_inbox().await;
    app.stop_sandbox();
    // The cached access token is still good, but Gmail cannot be asked.
    let (code, err) = error_code(status(&app, &connected.inbox_token).await).await;
    assert_eq!((code, err.as_str()), (502, "UPSTREAM_ERROR"));
    let res = app
        .post(
            "/v4/inbox/disconnect",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(error_code(res).await, (502, "UPSTREAM_ERROR".into()));
    let res = app
        .post(
            "/v4/inbox/cas",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(
        res.headers()["x-credits-used"],
        "0",
        "a failed pull is not billed"
    );
    assert_eq!(res.headers()["x-credits-remaining"], "10");
    assert_eq!(error_code(res).await, (502, "UPSTREAM_ERROR".into()));
    // Nothing was deleted: the app can retry the disconnect later.
    let kept = app
        .scan_table()
        .await
        .iter()
        .any(|i| i["pk"].as_s().unwrap().starts_with("CONN#"));
    assert!(kept);
}

/// Two callbacks for one address at once (a double click on Allow, two tabs): the index write
/// is conditional, so exactly one of them replaces the old connection and the other is told
/// to read again; no second live connection with its own tokens is left behind.
#[tokio::test]
async fn racing_callbacks_for_one_address_leave_one_live_connection() {
    use cas_inbox::domain::ports::Saved;
    let app = TestApp::spawn().await;
    let first = app.connect_inbox().await;
    let store = app.app.inbox.store.clone();
    let old = store
        .connection_id_for_email(&app.tenant_id, &first.email)
        .await
        .unwrap()
        .unwrap();
    let original = store.connection(&old).await.unwrap().unwrap();
    let with_id = |id: &str| {
        let mut c = original.clone();
        c.id = id.to_string();
        c
    };
    let (b, c) = (with_id("conn-race-b"), with_id("conn-race-c"));
    let (saved_b, saved_c) = tokio::join!(
        store.save_connection(&b, Some(&old)),
        store.save_connection(&c, Some(&old))
    );
    let outcomes = [saved_b.unwrap(), saved_c.unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| **o == Saved::Saved).count(),
        1,
        "{outcomes:?}"
    );
    let winner = store
        .connection_id_for_email(&app.tenant_id, &first.email)
        .await
        .unwrap()
        .unwrap();
    assert!(store.connection(&old).await.unwrap().is_none());
    let mut live = Vec::new();
    for id in [&b.id, &c.id] {
        if store.connection(id).await.unwrap().is_some() {
            live.push(id.clone());
        }
    }
    assert_eq!(live, std::slice::from_ref(&winner));

    // A callback that read the index before the winner wrote it changes nothing.
    let late = with_id("conn-race-late");
    assert_eq!(
        store.save_connection(&late, Some(&old)).await.unwrap(),
        Saved::Superseded
    );
    assert!(store.connection(&late.id).await.unwrap().is_none());
    // The real callback reads again and replaces the winner.
    let again = app.connect_inbox().await;
    assert_eq!(status(&app, &again.inbox_token).await.status(), 200);
    assert!(store.connection(&winner).await.unwrap().is_none());
    assert_eq!(status(&app, &first.inbox_token).await.status(), 401);
}

/// Scheduled imports go with the connection: after a disconnect the table holds nothing under
/// it — neither the import settings (with the KMS-sealed statement password) nor the batches
/// kept for `GET /v4/inbox/imports`.
#[tokio::test]
async fn a_disconnect_deletes_the_connections_import_settings_and_batches() {
    use crate::imports_stack::stack;
    use crate::mailbox::{Mail, Mailboxes, days_ago, pdf};

    let mail = Mailboxes::new();
    mail.add(
        "cdsl.eml",
        &Mail::new("eCAS@cdslstatement.com", "CDSL CAS", days_ago(3)).attach(
            "NOV2025_AA12345678_TXN.pdf",
            "application/pdf",
            pdf("cdsl"),
        ),
    );
    let stack = stack(&mail, "1,1").await;
    let key = stack.app.api_key.clone();
    let token = stack.app.connect_inbox().await.inbox_token;
    let enable = serde_json::json!({"enabled": true, "password": "Demo@1234"});
    let (status, body) = stack
        .call("POST", "/v4/inbox/import", &key, Some(&token), Some(enable))
        .await;
    assert_eq!(status, 200, "{body}");
    stack.import_now(None).await;
    let (status, body) = stack
        .call("GET", "/v4/inbox/imports", &key, Some(&token), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imports"].as_array().map(Vec::len), Some(1), "{body}");

    let under_connections = |items: &[std::collections::HashMap<String, AttributeValue>]| {
        let mut sks: Vec<String> = items
            .iter()
            .filter(
                |i| matches!(i.get("pk"), Some(AttributeValue::S(pk)) if pk.starts_with("CONN#")),
            )
            .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).cloned())
            .map(|sk| sk.split('#').next().unwrap_or_default().to_string())
            .collect();
        sks.sort();
        sks
    };
    let before = under_connections(&stack.app.scan_table().await);
    assert_eq!(
        before,
        ["BATCH", "CONNECTION", "IMPORT"],
        "what a connection with imports holds"
    );

    let res = stack
        .app
        .post("/v4/inbox/disconnect", Some(&key), Some(&token), None)
        .await;
    assert_eq!(res.status(), 200);
    let after = under_connections(&stack.app.scan_table().await);
    assert!(after.is_empty(), "left under the connection: {after:?}");
}
