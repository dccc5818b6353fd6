//! The code flow (issue 11, item 4) over real HTTP against moto and the Google sandbox: the
//! callback's redirect carries a one-time code, which the app's backend exchanges at
//! `POST /v4/inbox/token` with its API key and the connect call's state.

use crate::helpers::{DEMO_EMAIL, REDIRECT_URI, TestApp, error_code, location, query_map};
use cas_inbox::domain::model::CallbackFlow;
use cas_inbox::domain::secrets::sha256_hex;
use serde_json::json;

/// An app whose tenant uses the code flow.
async fn code_flow_app() -> TestApp {
    let app = TestApp::spawn().await;
    assert!(
        app.app
            .inbox
            .store
            .set_callback_flow(&app.tenant_id, CallbackFlow::Code)
            .await
            .expect("set the flow")
    );
    app
}

/// Connects DEMO_EMAIL with `state` as `api_key`'s tenant; returns the redirect's query.
async fn landing(
    app: &TestApp,
    api_key: &str,
    state: &str,
) -> std::collections::HashMap<String, String> {
    let oauth_url = app.connect_url(api_key, Some(state)).await;
    let callback = app.consent(&oauth_url, DEMO_EMAIL, "allow", None).await;
    let res = app.follow(&callback).await;
    assert_eq!(res.status(), 302, "the callback redirects to the app");
    let landing = url::Url::parse(&location(&res)).expect("landing url");
    assert!(landing.as_str().starts_with(REDIRECT_URI), "{landing}");
    query_map(&landing)
}

async fn exchange(app: &TestApp, api_key: &str, code: &str, state: &str) -> reqwest::Response {
    app.post(
        "/v4/inbox/token",
        Some(api_key),
        None,
        Some(json!({ "code": code, "state": state })),
    )
    .await
}

#[tokio::test]
async fn the_redirect_carries_a_code_that_is_exchanged_once_for_a_working_token() {
    let app = code_flow_app().await;
    let q = landing(&app, &app.api_key, "session-42").await;
    assert_eq!(q.get("state").map(String::as_str), Some("session-42"));
    assert!(!q.contains_key("inbox_token"), "no token in the URL: {q:?}");
    assert!(!q.contains_key("email"), "no address in the URL: {q:?}");
    let code = q.get("code").expect("a code").clone();

    // Stored only as its hash, never as itself.
    let items = app.scan_table().await;
    let codes: Vec<_> = items
        .iter()
        .filter(|i| i["pk"].as_s().unwrap().starts_with("CODE#"))
        .collect();
    assert_eq!(codes.len(), 1);
    assert_eq!(
        codes[0]["pk"].as_s().unwrap(),
        &format!("CODE#{}", sha256_hex(code.as_bytes()))
    );
    assert!(
        !format!("{items:?}").contains(&code),
        "the code is stored in the clear"
    );

    let res = exchange(&app, &app.api_key, &code, "session-42").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert_eq!(body["email"], DEMO_EMAIL);
    assert_eq!(
        body["expires_in"].as_i64(),
        Some(app.config.inbox_token_ttl_seconds)
    );
    let token = body["inbox_token"]
        .as_str()
        .expect("inbox_token")
        .to_string();

    let status = app
        .post("/v4/inbox/status", Some(&app.api_key), Some(&token), None)
        .await;
    assert_eq!(status.status(), 200);
    let status: serde_json::Value = status.json().await.unwrap();
    assert_eq!(status["connected"], true);
    assert_eq!(status["email"], DEMO_EMAIL);

    let again = exchange(&app, &app.api_key, &code, "session-42").await;
    assert_eq!(error_code(again).await, (400, "INVALID_CODE".into()));
    assert!(
        !app.scan_table()
            .await
            .iter()
            .any(|i| i["pk"].as_s().unwrap().starts_with("CODE#")),
        "the code is gone once used"
    );
}

#[tokio::test]
async fn a_code_older_than_60_seconds_is_refused() {
    let app = code_flow_app().await;
    let code = landing(&app, &app.api_key, "s").await["code"].clone();
    app.clock.advance(61);
    let res = exchange(&app, &app.api_key, &code, "s").await;
    assert_eq!(error_code(res).await, (400, "CODE_EXPIRED".into()));
}

#[tokio::test]
async fn a_code_within_its_60_seconds_is_accepted() {
    let app = code_flow_app().await;
    let code = landing(&app, &app.api_key, "s").await["code"].clone();
    app.clock.advance(55);
    let res = exchange(&app, &app.api_key, &code, "s").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_uses_the_code_up() {
    let app = code_flow_app().await;
    let code = landing(&app, &app.api_key, "victim-session").await["code"].clone();
    let res = exchange(&app, &app.api_key, &code, "attacker-session").await;
    assert_eq!(error_code(res).await, (400, "STATE_MISMATCH".into()));
    let res = exchange(&app, &app.api_key, &code, "victim-session").await;
    assert_eq!(error_code(res).await, (400, "INVALID_CODE".into()));
}

#[tokio::test]
async fn another_tenants_key_cannot_use_the_code_nor_use_it_up() {
    let app = code_flow_app().await;
    let (other_key, _) = app.second_tenant().await;
    let code = landing(&app, &app.api_key, "s").await["code"].clone();
    let res = exchange(&app, &other_key, &code, "s").await;
    assert_eq!(error_code(res).await, (400, "INVALID_CODE".into()));
    let res = exchange(&app, &app.api_key, &code, "s").await;
    assert_eq!(res.status(), 200, "still its own tenant's");
}

#[tokio::test]
async fn two_exchanges_at_once_give_one_token() {
    let app = code_flow_app().await;
    let code = landing(&app, &app.api_key, "s").await["code"].clone();
    let (a, b) = tokio::join!(
        exchange(&app, &app.api_key, &code, "s"),
        exchange(&app, &app.api_key, &code, "s"),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400]);
}

#[tokio::test]
async fn bad_exchanges_and_a_connect_without_state_are_refused() {
    let app = code_flow_app().await;
    let res = app
        .post(
            "/v4/inbox/connect",
            Some(&app.api_key),
            None,
            Some(json!({ "redirect_uri": REDIRECT_URI })),
        )
        .await;
    assert_eq!(error_code(res).await, (400, "INVALID_REQUEST".into()));

    for body in [json!({}), json!({ "code": "x" }), json!({ "state": "s" })] {
        let res = app
            .post("/v4/inbox/token", Some(&app.api_key), None, Some(body))
            .await;
        assert_eq!(error_code(res).await, (400, "INVALID_REQUEST".into()));
    }
    let res = exchange(&app, &app.api_key, "not-a-code", "s").await;
    assert_eq!(error_code(res).await, (400, "INVALID_CODE".into()));
    let res = app
        .post(
            "/v4/inbox/token",
            None,
            None,
            Some(json!({ "code": "x", "state": "s" })),
        )
        .await;
    assert_eq!(error_code(res).await, (401, "INVALID_API_KEY".into()));
}

#[tokio::test]
async fn the_default_flow_still_redirects_with_the_token() {
    let app = TestApp::spawn().await;
    let q = landing(&app, &app.api_key, "s").await;
    assert!(q.contains_key("inbox_token"), "{q:?}");
    assert!(!q.contains_key("code"), "{q:?}");
}
