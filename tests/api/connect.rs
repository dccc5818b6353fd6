//! `POST /v4/inbox/connect`: the consent URL, and every way a caller can get it wrong.

use crate::helpers::{CLIENT_ID, REDIRECT_URI, TestApp, error_code, query_map};
use serde_json::{Value, json};

fn oauth_states(
    items: &[std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>],
) -> usize {
    items
        .iter()
        .filter(|i| i["pk"].as_s().unwrap().starts_with("OAUTH#"))
        .count()
}

#[tokio::test]
async fn connect_returns_a_pkce_consent_url_and_stores_its_state() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/v4/inbox/connect",
            Some(&app.api_key),
            None,
            Some(json!({"redirect_uri": REDIRECT_URI, "state": "xyz"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-credits-used"], "0", "connect is free");
    assert_eq!(res.headers()["x-credits-remaining"], "10");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert_eq!(body["expires_in"], 600);
    let url = url::Url::parse(body["oauth_url"].as_str().unwrap()).unwrap();
    assert!(
        url.as_str()
            .starts_with(&format!("{}/o/oauth2/v2/auth?", app.sandbox_url))
    );
    let q = query_map(&url);
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(
        q["redirect_uri"],
        format!("{}/v4/inbox/callback", app.base_url)
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["access_type"], "offline");
    assert!(q["scope"].contains("https://www.googleapis.com/auth/gmail.readonly"));
    assert!(!q["scope"].contains("gmail.modify"), "read-only only");
    // The state sent to Google is ours, not the app's.
    assert_ne!(q["state"], "xyz");
    assert!(q["state"].len() >= 40);

    let items = app.scan_table().await;
    let state = items
        .iter()
        .find(|i| i["pk"].as_s().unwrap() == &format!("OAUTH#{}", q["state"]))
        .expect("state stored");
    let expires: i64 = state["expires_at"].as_n().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (590..=610).contains(&(expires - now)),
        "TTL about ten minutes"
    );
    assert_eq!(state["app_state"].as_s().unwrap(), "xyz");
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .post(format!("{}/v4/inbox/connect", app.base_url))
        .header("x-api-key", &app.api_key)
        .header("x-request-id", "req-42")
        .json(&json!({"redirect_uri": REDIRECT_URI}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "req-42");
    let res = app.post("/v4/inbox/connect", None, None, None).await;
    assert_eq!(res.headers()["x-request-id"].len(), 36, "a generated UUID");
}

#[tokio::test]
async fn bad_api_keys_are_401_and_write_nothing() {
    let app = TestApp::spawn().await;
    let body = json!({"redirect_uri": REDIRECT_URI});
    let res = app
        .post("/v4/inbox/connect", None, None, Some(body.clone()))
        .await;
    assert_eq!(error_code(res).await, (401, "INVALID_API_KEY".into()));
    let res = app
        .post(
            "/v4/inbox/connect",
            Some("cask_unknown"),
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(error_code(res).await, (401, "INVALID_API_KEY".into()));

    // A revoked key stops working at once.
    let store = app.app.inbox.store.clone();
    let keys = store.list_api_keys(&app.tenant_id).await.unwrap();
    assert!(
        store
            .revoke_api_key(&app.tenant_id, &keys[0].key_id, 0)
            .await
            .unwrap()
    );
    let res = app
        .post("/v4/inbox/connect", Some(&app.api_key), None, Some(body))
        .await;
    assert_eq!(error_code(res).await, (401, "INVALID_API_KEY".into()));
    assert_eq!(oauth_states(&app.scan_table().await), 0);
}

#[tokio::test]
async fn bad_bodies_are_4xx_with_a_code_and_write_nothing() {
    let app = TestApp::spawn().await;
    let send = |content_type: Option<&'static str>, body: String| {
        let mut req = app
            .http
            .post(format!("{}/v4/inbox/connect", app.base_url))
            .header("x-api-key", &app.api_key)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let json_ct = Some("application/json");
    let cases: Vec<(Option<&'static str>, String, u16, &str)> = vec![
        (json_ct, "{not json".into(), 400, "INVALID_REQUEST"),
        (json_ct, "[1,2]".into(), 400, "INVALID_REQUEST"),
        (
            Some("text/plain"),
            json!({"redirect_uri": REDIRECT_URI}).to_string(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            Some("application/x-www-form-urlencoded"),
            format!("redirect_uri={REDIRECT_URI}"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            json_ct,
            json!({"redirect_uri": "x".repeat(70 * 1024)}).to_string(),
            413,
            "REQUEST_TOO_LARGE",
        ),
        (json_ct, "".into(), 400, "INVALID_REQUEST"),
        (json_ct, "{}".into(), 400, "INVALID_REQUEST"),
        (
            json_ct,
            json!({"redirect_uri": 42}).to_string(),
            400,
            "INVALID_REQUEST",
        ),
        (
            json_ct,
            json!({"redirect_uri": "/callback"}).to_string(),
            400,
            "INVALID_REQUEST",
        ),
        (
            json_ct,
            json!({"redirect_uri": "http://yourapp.com/callback"}).to_string(),
            400,
            "INVALID_REQUEST",
        ),
        (
            json_ct,
            json!({"redirect_uri": "https://evil.example/callback"}).to_string(),
            403,
            "REDIRECT_URI_NOT_ALLOWED",
        ),
        // Exact match: a prefix, a different port or an extra path is not the registered URI.
        (
            json_ct,
            json!({"redirect_uri": "http://127.0.0.1:8765/callback/x"}).to_string(),
            403,
            "REDIRECT_URI_NOT_ALLOWED",
        ),
        (
            json_ct,
            json!({"redirect_uri": "http://127.0.0.1:8766/callback"}).to_string(),
            403,
            "REDIRECT_URI_NOT_ALLOWED",
        ),
        (
            json_ct,
            json!({"redirect_uri": REDIRECT_URI, "state": "s".repeat(513)}).to_string(),
            400,
            "INVALID_REQUEST",
        ),
    ];
    for (ct, body, status, code) in cases {
        let shown = body.chars().take(60).collect::<String>();
        let res = send(ct, body).await.unwrap();
        assert!(res.headers().contains_key("x-request-id"));
        assert_eq!(
            error_code(res).await,
            (status, code.to_string()),
            "{ct:?} {shown}"
        );
    }
    assert_eq!(oauth_states(&app.scan_table().await), 0, "nothing written");

    // 512 characters of state is fine.
    let res = send(
        json_ct,
        json!({"redirect_uri": REDIRECT_URI, "state": "s".repeat(512)}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
}
