//! `GET /v4/inbox/callback`: every way back from Google, good and bad.

use crate::helpers::{DEMO_EMAIL, REDIRECT_URI, TestApp, location, query_map};

async fn landing_of(
    app: &TestApp,
    callback_url: &str,
) -> std::collections::HashMap<String, String> {
    let res = app.follow(callback_url).await;
    assert_eq!(res.status(), 302, "redirects to the app");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let landing = url::Url::parse(&location(&res)).unwrap();
    assert!(landing.as_str().starts_with(REDIRECT_URI), "{landing}");
    query_map(&landing)
}

async fn error_page(app: &TestApp, url: &str) -> String {
    let res = app.follow(url).await;
    assert_eq!(res.status(), 400);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.headers().contains_key("x-request-id"));
    res.text().await.unwrap()
}

#[tokio::test]
async fn denied_consent_returns_access_denied_with_the_apps_state() {
    let app = TestApp::spawn().await;
    let oauth_url = app.connect_url(&app.api_key, Some("s-1")).await;
    let callback = app.consent(&oauth_url, DEMO_EMAIL, "deny", None).await;
    let q = landing_of(&app, &callback).await;
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state").map(String::as_str), Some("s-1"));
    assert!(!q.contains_key("inbox_token"));
}

#[tokio::test]
async fn a_state_works_once_and_unknown_or_missing_states_get_a_plain_page() {
    let app = TestApp::spawn().await;
    let oauth_url = app.connect_url(&app.api_key, None).await;
    let callback = app.consent(&oauth_url, DEMO_EMAIL, "allow", None).await;
    let q = landing_of(&app, &callback).await;
    assert!(q.contains_key("inbox_token"));
    assert!(!q.contains_key("state"), "no app state was given");

    let replay = error_page(&app, &callback).await;
    assert!(replay.contains("already used"), "{replay}");
    let base = format!("{}/v4/inbox/callback", app.base_url);
    error_page(&app, &format!("{base}?code=abc&state=forged")).await;
    error_page(&app, &format!("{base}?code=abc")).await;
    error_page(&app, &base).await;
    error_page(
        &app,
        &format!("{base}?state=%3Cscript%3Ealert(1)%3C%2Fscript%3E&code=x"),
    )
    .await;
}

#[tokio::test]
async fn an_expired_state_is_refused_even_with_a_good_code() {
    let app = TestApp::spawn().await;
    let oauth_url = app.connect_url(&app.api_key, Some("late")).await;
    app.clock.advance(601);
    let callback = app.consent(&oauth_url, DEMO_EMAIL, "allow", None).await;
    let q = landing_of(&app, &callback).await;
    assert_eq!(q.get("error").map(String::as_str), Some("state_expired"));
    assert_eq!(q.get("state").map(String::as_str), Some("late"));
}

#[tokio::test]
async fn a_bad_code_or_missing_code_fails_the_exchange() {
    let app = TestApp::spawn().await;
    let oauth_url = app.connect_url(&app.api_key, Some("s")).await;
    let callback = app.consent(&oauth_url, DEMO_EMAIL, "allow", None).await;
    let mut url = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "code" {
                (k, format!("{v}x"))
            } else {
                (k, v)
            }
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let q = landing_of(&app, url.as_str()).await;
    assert_eq!(
        q.get("error").map(String::as_str),
        Some("token_exchange_failed")
    );
    assert_eq!(q.get("state").map(String::as_str), Some("s"));

    let oauth_url = app.connect_url(&app.api_key, Some("s2")).await;
    let callback = app.consent(&oauth_url, DEMO_EMAIL, "allow", None).await;
    let url = url::Url::parse(&callback).unwrap();
    let state = query_map(&url)["state"].clone();
    let q = landing_of(
        &app,
        &format!("{}/v4/inbox/callback?state={state}", app.base_url),
    )
    .await;
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
}

#[tokio::test]
async fn a_consent_without_gmail_access_is_refused_and_given_back() {
    let app = TestApp::spawn().await;
    let oauth_url = app.connect_url(&app.api_key, Some("s")).await;
    let callback = app
        .consent(&oauth_url, DEMO_EMAIL, "allow", Some(&["openid", "email"]))
        .await;
    let q = landing_of(&app, &callback).await;
    assert_eq!(
        q.get("error").map(String::as_str),
        Some("insufficient_scope")
    );
    let grants = app.sandbox_grants().await;
    assert!(grants.iter().all(|g| g["revoked"] == true), "{grants:?}");
    assert!(
        !app.scan_table()
            .await
            .iter()
            .any(|i| i["pk"].as_s().unwrap().starts_with("CONN#"))
    );
}
