//! The full flow through `cargo lambda watch`, configured the way `make dev` runs it: the real
//! function binaries, the router from functions/Cargo.toml, configuration from the environment.

use crate::helpers::{
    CLIENT_ID, CLIENT_SECRET, DEMO_EMAIL, Process, REDIRECT_URI, free_port, location,
    no_redirect_client, query_map, sdk_config, start_moto, start_sandbox, venv_bin, wait_http,
    workspace_root,
};
use cas_inbox::adapters::{dynamo::DynamoStore, provision};
use cas_inbox::domain::tenants;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_seed_flow_works_through_cargo_lambda_watch() {
    let (_moto, moto_url) = start_moto().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (_sandbox, sandbox_url) = start_sandbox(&format!("{base}/v4/inbox/callback"), None);
    wait_http(&format!("{sandbox_url}/_sandbox/health"), "google-sandbox").await;

    let sdk = sdk_config(&moto_url);
    let resources = provision::Resources {
        table_name: "cas-inbox-watch".into(),
        kms_alias: "alias/cas-inbox-watch".into(),
        inbox_token_secret_id: "cas-inbox/watch/inbox-token-key".into(),
        google_client_secret_id: "cas-inbox/watch/google-oauth-client".into(),
        download_link_secret_id: "cas-inbox/watch/download-link-key".into(),
        files_bucket: "cas-inbox-watch-files".into(),
    };
    provision::ensure_resources(&sdk, &resources, CLIENT_ID, CLIENT_SECRET)
        .await
        .unwrap();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &resources.table_name);
    let key = cas_inbox::domain::secrets::ApiKey::parse("watch-test-key").unwrap();
    tenants::create_tenant(
        &store,
        "Watch",
        &[REDIRECT_URI.into()],
        Decimal::from(5),
        Some(key),
        0,
    )
    .await
    .unwrap();

    // cargo lambda watch hands the functions only what --env-file names.
    let env = [
        ("AWS_ENDPOINT_URL", moto_url.as_str()),
        ("AWS_REGION", "ap-south-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("TABLE_NAME", &resources.table_name),
        ("KMS_KEY_ID", &resources.kms_alias),
        ("INBOX_TOKEN_SECRET_ID", &resources.inbox_token_secret_id),
        (
            "DOWNLOAD_LINK_SECRET_ID",
            &resources.download_link_secret_id,
        ),
        (
            "GOOGLE_CLIENT_SECRET_ID",
            &resources.google_client_secret_id,
        ),
        ("FILES_BUCKET", &resources.files_bucket),
        ("GOOGLE_BASE_URL", &sandbox_url),
        ("PUBLIC_BASE_URL", &base),
    ];
    let env_file = std::env::temp_dir().join(format!("cas-inbox-watch-{port}.env"));
    let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&env_file, text).unwrap();
    let log_path = std::env::temp_dir().join(format!("cas-inbox-watch-{port}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut watch = Command::new(venv_bin("cargo-lambda"));
    watch
        .args([
            "lambda",
            "watch",
            "--package",
            "functions",
            "--invoke-address",
            "127.0.0.1",
        ])
        .arg("--invoke-port")
        .arg(port.to_string())
        .arg("--env-file")
        .arg(&env_file)
        .current_dir(workspace_root().join("functions"))
        // The functions' logs, read below for a request id.
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    let _watch = Process(watch.spawn().expect("start cargo lambda watch"));

    let http = no_redirect_client();
    // The first request to each function builds and starts it: allow minutes, not seconds.
    let connect = async || {
        http.post(format!("{base}/v4/inbox/connect"))
            .header("x-api-key", "watch-test-key")
            .json(&json!({"redirect_uri": REDIRECT_URI, "state": "from-watch"}))
            .timeout(Duration::from_secs(300))
            .send()
            .await
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    let res = loop {
        match connect().await {
            Ok(res) if res.status() == 200 => break res,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_secs(1)).await,
            other => panic!("connect through cargo lambda watch failed: {other:?}"),
        }
    };
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    let oauth_url = body["oauth_url"].as_str().unwrap();
    assert!(oauth_url.starts_with(&sandbox_url));

    // The browser: consent page, Allow, back to our callback, on to the app.
    let page = http
        .get(oauth_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"consent_id\" value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let consent_id = &page[start..start + page[start..].find('"').unwrap()];
    let res = http
        .post(format!("{sandbox_url}/o/oauth2/v2/auth/consent"))
        .form(&[
            ("consent_id", consent_id),
            ("account", DEMO_EMAIL),
            ("action", "allow"),
            ("scope", "openid"),
            ("scope", "email"),
            ("scope", "https://www.googleapis.com/auth/gmail.readonly"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let callback = location(&res);
    assert!(callback.starts_with(&format!("{base}/v4/inbox/callback?")));
    let res = http
        .get(&callback)
        .timeout(Duration::from_secs(300))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let landing = url::Url::parse(&location(&res)).unwrap();
    let q = query_map(&landing);
    assert_eq!(q["email"], DEMO_EMAIL);
    assert_eq!(q["state"], "from-watch");
    let token = q["inbox_token"].clone();
    assert!(token.starts_with("eyJhbGciOiJIUzI1NiIs"));

    let post = |path: &'static str| {
        http.post(format!("{base}{path}"))
            .header("x-api-key", "watch-test-key")
            .header("x-inbox-token", &token)
            .timeout(Duration::from_secs(300))
            .send()
    };
    let res = post("/v4/inbox/status").await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["connected"], true);
    assert_eq!(body["email"], DEMO_EMAIL);

    // The bucket gone: disconnect fails inside (500 INTERNAL, the connection kept for a retry),
    // and the logs have the error under the request id the caller was given.
    let s3 = cas_inbox::adapters::s3_client(&sdk);
    s3.delete_bucket()
        .bucket(&resources.files_bucket)
        .send()
        .await
        .unwrap();
    let res = post("/v4/inbox/disconnect").await.unwrap();
    assert_eq!(res.status(), 500);
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "INTERNAL");
    let logged = async {
        for _ in 0..100 {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            let found = text.lines().find(|l| {
                l.contains("internal error") && l.contains(&format!("\"request_id\":\"{rid}\""))
            });
            if let Some(line) = found {
                return line.to_string();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no internal error logged under request id {rid}");
    };
    let line = logged.await;
    assert!(line.contains("\"connection_id\""), "{line}");
    assert!(!line.contains(&token), "{line}");
    provision::ensure_resources(&sdk, &resources, CLIENT_ID, CLIENT_SECRET)
        .await
        .unwrap();

    let res = post("/v4/inbox/disconnect").await.unwrap();
    assert_eq!(res.status(), 200);
    let res = post("/v4/inbox/status").await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "INVALID_INBOX_TOKEN");
}
