//! Drives the sandbox over HTTP the way an OAuth client of Google does:
//! authorize page → consent form → redirect with code → token exchange →
//! APIs → refresh → revoke. Each assertion is something a Google client checks.

mod common;

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use common::{
    CLIENT_ID, CLIENT_SECRET, DEMO, GMAIL_READONLY, REDIRECT, Sandbox, VERIFIER, challenge, param,
    query_of, spawn_binary, start_with, str_field, temp_dir,
};

const OTHER_REDIRECT: &str = "http://127.0.0.1:9000/other/callback";
const SECOND: &str = "second.investor@gmail.com";
const OPENID: &str = "openid";
const EMAIL: &str = "https://www.googleapis.com/auth/userinfo.email";

/// A fresh mailboxes directory: the demo account with two messages, the
/// second account with none, and a folder that is not an account.
fn temp_mailboxes() -> PathBuf {
    let dir = temp_dir("google-sandbox-test");
    let demo = dir.join(DEMO);
    std::fs::create_dir_all(&demo).expect("create demo mailbox");
    std::fs::create_dir_all(dir.join(SECOND)).expect("create second mailbox");
    std::fs::create_dir_all(dir.join("not-an-account")).expect("create folder");
    for name in ["0001.eml", "0002.eml"] {
        std::fs::write(demo.join(name), "Subject: hi\r\n\r\nhello\r\n").expect("write eml");
    }
    std::fs::write(demo.join("README.md"), "not a message").expect("write readme");
    dir
}

/// The sandbox over [`temp_mailboxes`], with a second registered redirect URI.
async fn start() -> Sandbox {
    start_with(temp_mailboxes(), |config| {
        config.redirect_uris.push(OTHER_REDIRECT.into());
    })
    .await
}

/// The standard authorize parameters of the service: offline access, PKCE
/// S256, a state, and sign-in plus Gmail read scopes.
fn auth_params(scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", REDIRECT.into()),
        ("response_type", "code".into()),
        ("scope", scope.into()),
        ("state", "state-123".into()),
        ("access_type", "offline".into()),
        ("prompt", "consent".into()),
        ("include_granted_scopes", "true".into()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".into()),
    ]
}

fn full_scope() -> String {
    format!("openid email {GMAIL_READONLY}")
}

fn decode_jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

impl Sandbox {
    /// Authorize + allow with every requested scope ticked; returns the code.
    async fn code_for(&self, account: &str, scope: &str) -> String {
        let (consent_id, _) = self.consent_page(&auth_params(scope)).await;
        let scopes: Vec<String> = scope
            .split(' ')
            .map(|s| match s {
                "email" => EMAIL.to_string(),
                s => s.to_string(),
            })
            .collect();
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let query = self.answer(&consent_id, account, &scopes, "allow").await;
        param(&query, "code").expect("code").to_string()
    }

    async fn tokens_for(&self, account: &str, scope: &str) -> Value {
        let code = self.code_for(account, scope).await;
        let (status, body) = self.exchange(&code, VERIFIER).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn revoke(&self, token: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/revoke", self.base))
            .form(&[("token", token)])
            .send()
            .await
            .expect("revoke request");
        let status = response.status();
        (status, response.json().await.expect("revoke json"))
    }

    async fn get(&self, path: &str, access_token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("GET")
    }

    async fn get_json(&self, path: &str, access_token: &str) -> (StatusCode, Value) {
        let response = self.get(path, access_token).await;
        let status = response.status();
        (status, response.json().await.expect("json"))
    }

    async fn grants(&self) -> Vec<Value> {
        let response = self
            .http
            .get(format!("{}/_sandbox/grants", self.base))
            .send()
            .await
            .expect("grants request");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("grants json")
    }
}

#[tokio::test]
async fn full_flow_authorize_exchange_use_refresh_revoke() {
    let sandbox = start().await;

    // Consent page: a no-JS form, demo account preselected, every scope ticked.
    let (consent_id, html) = sandbox.consent_page(&auth_params(&full_scope())).await;
    assert!(html.contains("Sign in with Google (sandbox)"));
    assert!(html.contains(CLIENT_ID));
    assert!(html.contains(&format!(r#"name="account" value="{DEMO}" checked>"#)));
    assert!(html.contains(&format!(r#"name="account" value="{SECOND}">"#)));
    assert!(!html.contains("not-an-account"));
    for scope in [OPENID, EMAIL, GMAIL_READONLY] {
        assert!(html.contains(&format!(r#"name="scope" value="{scope}" checked>"#)));
    }
    assert!(html.contains(r#"<form method="post" action="/o/oauth2/v2/auth/consent">"#));

    // Allow → redirect with code, state and the granted scopes.
    let query = sandbox
        .answer(&consent_id, DEMO, &[OPENID, EMAIL, GMAIL_READONLY], "allow")
        .await;
    assert_eq!(param(&query, "state"), Some("state-123"));
    assert_eq!(param(&query, "authuser"), Some("0"));
    assert_eq!(param(&query, "prompt"), Some("consent"));
    assert_eq!(
        param(&query, "scope"),
        Some(format!("{OPENID} {EMAIL} {GMAIL_READONLY}").as_str())
    );
    let code = param(&query, "code").expect("code");

    // The consent is single use.
    let again = sandbox
        .post_consent(&consent_id, DEMO, &[OPENID], "allow")
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    // Exchange the code with the PKCE verifier.
    let response = sandbox
        .http
        .post(format!("{}/token", sandbox.base))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/json; charset=utf-8"
    );
    let tokens: Value = response.json().await.expect("json");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3599);
    assert_eq!(
        tokens["scope"],
        format!("{OPENID} {EMAIL} {GMAIL_READONLY}")
    );
    let access_token = str_field(&tokens, "access_token");
    let refresh_token = str_field(&tokens, "refresh_token");
    assert!(access_token.starts_with("ya29."));
    assert!(refresh_token.starts_with("1//"));

    let claims = decode_jwt_claims(str_field(&tokens, "id_token"));
    assert_eq!(claims["iss"], "https://accounts.google.com");
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["email"], DEMO);
    assert_eq!(claims["email_verified"], true);
    let sub = claims["sub"].as_str().expect("sub");
    assert_eq!(sub, google_sandbox::sub_for(DEMO));
    assert!(sub.chars().all(|c| c.is_ascii_digit()));
    assert!(claims["exp"].as_i64() > claims["iat"].as_i64());

    // userinfo
    let (status, info) = sandbox.get_json("/oauth2/v3/userinfo", access_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        info,
        json!({"sub": sub, "email": DEMO, "email_verified": true})
    );

    // Gmail profile: "me" and the own address; two .eml files, README ignored.
    for user in ["me", DEMO] {
        let (status, profile) = sandbox
            .get_json(&format!("/gmail/v1/users/{user}/profile"), access_token)
            .await;
        assert_eq!(status, StatusCode::OK, "{profile}");
        assert_eq!(profile["emailAddress"], DEMO);
        assert_eq!(profile["messagesTotal"], 2);
        assert_eq!(profile["threadsTotal"], 2);
        let history = profile["historyId"].as_str().expect("historyId string");
        assert!(history.chars().all(|c| c.is_ascii_digit()));
    }
    let (status, err) = sandbox
        .get_json(&format!("/gmail/v1/users/{SECOND}/profile"), access_token)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"]["code"], 403);
    assert_eq!(err["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(
        err["error"]["message"],
        format!("Delegation denied for {DEMO}")
    );

    // Refresh: a new access token, no new refresh token.
    let (status, refreshed) = sandbox.refresh(refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(refreshed["token_type"], "Bearer");
    assert_eq!(refreshed["expires_in"], 3599);
    assert_eq!(refreshed["scope"], tokens["scope"]);
    assert!(refreshed.get("refresh_token").is_none());
    let new_access = str_field(&refreshed, "access_token");
    assert_ne!(new_access, access_token);
    let (status, _) = sandbox
        .get_json("/gmail/v1/users/me/profile", new_access)
        .await;
    assert_eq!(status, StatusCode::OK);

    // Revoke the refresh token: the whole grant dies.
    let (status, body) = sandbox.revoke(refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({}));
    let (status, body) = sandbox.refresh(refresh_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    );
    for token in [access_token, new_access] {
        let (status, _) = sandbox.get_json("/oauth2/v3/userinfo", token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = sandbox.revoke(refresh_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "invalid_token", "error_description": "Token expired or revoked"})
    );

    let grants = sandbox.grants().await;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["email"], DEMO);
    assert_eq!(grants[0]["client_id"], CLIENT_ID);
    assert_eq!(grants[0]["scopes"], json!([OPENID, EMAIL, GMAIL_READONLY]));
    assert_eq!(grants[0]["revoked"], true);
    assert!(grants[0]["created_at"].is_string());
}

#[tokio::test]
async fn pkce_verifier_is_required_and_checked() {
    let sandbox = start().await;
    let code = sandbox.code_for(DEMO, &full_scope()).await;

    let (status, body) = sandbox
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "Missing code verifier."})
    );

    let wrong = "another-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    let (status, body) = sandbox.exchange(&code, wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "Invalid code verifier."})
    );

    // Too short to be a verifier at all.
    let (status, body) = sandbox.exchange(&code, "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_description"], "Invalid code verifier.");
}

#[tokio::test]
async fn authorization_code_is_single_use() {
    let sandbox = start().await;
    let code = sandbox.code_for(DEMO, &full_scope()).await;
    let (status, _) = sandbox.exchange(&code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = sandbox.exchange(&code, VERIFIER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    let (status, body) = sandbox.exchange("4/not-a-code", VERIFIER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn redirect_uri_must_match_registration_and_authorize_request() {
    let sandbox = start().await;

    // Unregistered at authorize: an error page, never a redirect.
    let mut params = auth_params(&full_scope());
    params[1].1 = "http://evil.example/callback".into();
    let response = sandbox.authorize(&params).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    let html = response.text().await.expect("html");
    assert!(html.contains("Error 400: redirect_uri_mismatch"));

    // Registered, but not the one the code was issued for.
    let code = sandbox.code_for(DEMO, &full_scope()).await;
    let (status, body) = sandbox
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", OTHER_REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
    );
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let sandbox = start().await;
    let (consent_id, _) = sandbox.consent_page(&auth_params(&full_scope())).await;
    let query = sandbox.answer(&consent_id, DEMO, &[], "deny").await;
    assert_eq!(param(&query, "error"), Some("access_denied"));
    assert_eq!(param(&query, "state"), Some("state-123"));
    assert_eq!(param(&query, "code"), None);
    assert!(sandbox.grants().await.is_empty());
}

#[tokio::test]
async fn unticked_gmail_scope_is_not_granted() {
    let sandbox = start().await;
    let (consent_id, _) = sandbox.consent_page(&auth_params(&full_scope())).await;
    let query = sandbox
        .answer(&consent_id, DEMO, &[OPENID, EMAIL], "allow")
        .await;
    let granted = param(&query, "scope").expect("scope");
    assert!(!granted.split(' ').any(|s| s == GMAIL_READONLY));

    let code = param(&query, "code").expect("code");
    let (status, tokens) = sandbox.exchange(code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tokens["scope"], format!("{OPENID} {EMAIL}"));

    // Gmail refuses the token for lack of scope; userinfo still works.
    let access_token = str_field(&tokens, "access_token");
    let response = sandbox
        .get("/gmail/v1/users/me/profile", access_token)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let err: Value = response.json().await.expect("json");
    assert_eq!(err["error"]["code"], 403);
    assert_eq!(err["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(
        err["error"]["message"],
        "Request had insufficient authentication scopes."
    );
    assert_eq!(
        err["error"]["errors"][0]["reason"],
        "insufficientPermissions"
    );
    let (status, _) = sandbox.get_json("/oauth2/v3/userinfo", access_token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn expired_access_tokens_are_rejected_until_refreshed() {
    let sandbox = start().await;
    let tokens = sandbox.tokens_for(DEMO, &full_scope()).await;
    let access_token = str_field(&tokens, "access_token");

    assert_eq!(
        sandbox.control("access-tokens/expire", None).await,
        json!({"expired": 1})
    );

    let response = sandbox.get("/oauth2/v3/userinfo", access_token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("header")
            .starts_with("Bearer")
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "Invalid Credentials"})
    );

    let (status, err) = sandbox
        .get_json("/gmail/v1/users/me/profile", access_token)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["error"]["code"], 401);
    assert_eq!(err["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(err["error"]["errors"][0]["reason"], "authError");
    assert_eq!(err["error"]["errors"][0]["location"], "Authorization");

    // The refresh token still works and yields a usable access token.
    let (status, refreshed) = sandbox.refresh(str_field(&tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = sandbox
        .get_json("/oauth2/v3/userinfo", str_field(&refreshed, "access_token"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn account_level_revoke_kills_every_grant_of_that_account() {
    let sandbox = start().await;
    let first = sandbox.tokens_for(DEMO, &full_scope()).await;
    let second = sandbox.tokens_for(DEMO, &full_scope()).await;
    let other = sandbox.tokens_for(SECOND, &full_scope()).await;

    assert_eq!(
        sandbox
            .control(&format!("accounts/{DEMO}/revoke"), None)
            .await,
        json!({"revoked": 2})
    );
    for tokens in [&first, &second] {
        let (status, body) = sandbox.refresh(str_field(tokens, "refresh_token")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        let (status, _) = sandbox
            .get_json(
                "/gmail/v1/users/me/profile",
                str_field(tokens, "access_token"),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The other account is untouched.
    let (status, profile) = sandbox
        .get_json(
            "/gmail/v1/users/me/profile",
            str_field(&other, "access_token"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["emailAddress"], SECOND);
    assert_eq!(profile["messagesTotal"], 0);

    let revoked: Vec<(String, bool)> = sandbox
        .grants()
        .await
        .iter()
        .map(|g| {
            (
                g["email"].as_str().unwrap_or_default().to_string(),
                g["revoked"] == true,
            )
        })
        .collect();
    assert_eq!(
        revoked,
        vec![
            (DEMO.to_string(), true),
            (DEMO.to_string(), true),
            (SECOND.to_string(), false)
        ]
    );
}

#[tokio::test]
async fn revoking_an_access_token_revokes_its_refresh_token() {
    let sandbox = start().await;
    let tokens = sandbox.tokens_for(DEMO, &full_scope()).await;
    // Google also accepts the token in the query string.
    let response = sandbox
        .http
        .post(format!("{}/revoke", sandbox.base))
        .query(&[("token", str_field(&tokens, "access_token"))])
        .send()
        .await
        .expect("revoke");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = sandbox.refresh(str_field(&tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = sandbox.revoke("never-issued").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn authorize_rejects_bad_requests_like_google() {
    let sandbox = start().await;

    // Unknown client: an error page.
    let mut params = auth_params(&full_scope());
    params[0].1 = "someone-else.apps.googleusercontent.com".into();
    let response = sandbox.authorize(&params).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("Error 401: invalid_client")
    );

    // Problems after the redirect URI is trusted are redirected with state.
    let redirected_error = |params: Vec<(&'static str, String)>| {
        let sandbox = &sandbox;
        async move {
            let response = sandbox.authorize(&params).await;
            assert_eq!(response.status(), StatusCode::FOUND);
            let query = query_of(response.headers()[LOCATION].to_str().expect("location"));
            assert_eq!(param(&query, "state"), Some("state-123"));
            param(&query, "error").map(str::to_string)
        }
    };
    let mut params = auth_params(&full_scope());
    params[2].1 = "token".into();
    assert_eq!(
        redirected_error(params).await.as_deref(),
        Some("unsupported_response_type")
    );
    let params: Vec<_> = auth_params(&full_scope())
        .into_iter()
        .filter(|(k, _)| *k != "scope")
        .collect();
    assert_eq!(
        redirected_error(params).await.as_deref(),
        Some("invalid_request")
    );
    let mut params = auth_params(&full_scope());
    params[9].1 = "S512".into();
    assert_eq!(
        redirected_error(params).await.as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn token_endpoint_rejects_bad_clients_and_grant_types() {
    let sandbox = start().await;
    let response = sandbox
        .http
        .post(format!("{}/token", sandbox.base))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"error": "invalid_client", "error_description": "Unauthorized"})
    );

    let response = sandbox
        .http
        .post(format!("{}/token", sandbox.base))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = sandbox.token(&[("grant_type", "password")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");

    let (status, body) = sandbox
        .token(&[
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");

    let (status, body) = sandbox.refresh("1//never-issued").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn online_access_without_openid_has_no_refresh_or_id_token() {
    let sandbox = start().await;
    let params: Vec<_> = auth_params(GMAIL_READONLY)
        .into_iter()
        .filter(|(k, _)| *k != "access_type")
        .collect();
    let (consent_id, _) = sandbox.consent_page(&params).await;
    let query = sandbox
        .answer(&consent_id, DEMO, &[GMAIL_READONLY], "allow")
        .await;
    let (status, tokens) = sandbox
        .exchange(param(&query, "code").expect("code"), VERIFIER)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(tokens.get("refresh_token").is_none());
    assert!(tokens.get("id_token").is_none());
    assert_eq!(tokens["scope"], GMAIL_READONLY);
}

#[tokio::test]
async fn login_hint_preselects_that_account() {
    let sandbox = start().await;
    let mut params = auth_params(&full_scope());
    params.push(("login_hint", SECOND.into()));
    let (_, html) = sandbox.consent_page(&params).await;
    assert!(html.contains(&format!(r#"name="account" value="{SECOND}" checked>"#)));
    assert!(html.contains(&format!(r#"name="account" value="{DEMO}">"#)));
}

#[tokio::test]
async fn consent_errors_are_html_pages() {
    let sandbox = start().await;
    let response = sandbox
        .post_consent("no-such-consent", DEMO, &[OPENID], "allow")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let (consent_id, _) = sandbox.consent_page(&auth_params(&full_scope())).await;
    let response = sandbox
        .post_consent(&consent_id, "nobody@gmail.com", &[OPENID], "allow")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A rejected form leaves the consent usable.
    sandbox.answer(&consent_id, DEMO, &[OPENID], "allow").await;
}

#[tokio::test]
async fn health_control() {
    let sandbox = start().await;
    let body: Value = sandbox
        .http
        .get(format!("{}/_sandbox/health", sandbox.base))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(body, json!({"status": "ok"}));
}

/// The binary's contract with test harnesses: first stdout line names the
/// bound address, and the server answers there.
#[tokio::test]
async fn binary_prints_its_address_first() {
    let (mut child, base) = spawn_binary(&["--listen", "127.0.0.1:0"]).await;
    assert!(base.starts_with("http://127.0.0.1:"));
    assert!(!base.ends_with(":0"));

    let body: Value = reqwest::get(format!("{base}/_sandbox/health"))
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(body, json!({"status": "ok"}));
    child.kill().await.expect("kill");
}
