//! openapi.yaml against the code as built: its examples are read by the API models and written
//! back unchanged, its routes are the one route table (`routes::ROUTES`), its error codes are
//! `ErrorCode`'s with their statuses; then schemathesis drives the local stack with it, the
//! scheduled imports' function included (no 5xx, every answer as the spec describes it), and real
//! answers of every kind of statement and of the import endpoints validate against it.
//!
//! `tests/api/openapi_check.py` reads the YAML (and checks it is valid OpenAPI 3.1 and that each
//! example validates against its own schema); the rest happens here.

use crate::helpers::{DEMO_EMAIL, REDIRECT_URI, TestApp, venv_bin, workspace_root};
use crate::imports_stack;
use crate::mailbox::{Mail, Mailboxes, days_ago};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cas_inbox::api::imports::{
    ImportRequest, ImportResponse, ImportsResponse, WebhookRequest, WebhookResponse,
};
use cas_inbox::api::{
    CasRequest, CasResponse, ConnectRequest, ConnectResponse, DisconnectResponse, ErrorBody,
    ParseRequest, Portfolio, StatusResponse, TokenRequest, TokenResponse,
};
use cas_inbox::domain::model::RateLimit;
use cas_inbox::domain::ports::Clock;
use cas_inbox::domain::tenants;
use cas_inbox::error::ErrorCode;
use cas_inbox::routes;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

fn spec_path() -> PathBuf {
    workspace_root().join("openapi.yaml")
}

fn checker() -> PathBuf {
    workspace_root().join("tests/api/openapi_check.py")
}

/// What openapi_check.py reads off the spec (see its docstring).
fn read_spec() -> Value {
    let out = std::process::Command::new(venv_bin("python"))
        .arg(checker())
        .arg(spec_path())
        .arg(workspace_root().join("functions/Cargo.toml"))
        .output()
        .expect("run openapi_check.py");
    assert!(
        out.status.success(),
        "openapi.yaml is invalid:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("openapi_check.py prints JSON")
}

/// Read by a model and written back: the same JSON, or why not.
type RoundTrip = fn(&Value) -> Result<Value, String>;

macro_rules! round_trip {
    ($model:ty) => {
        (|value: &Value| {
            let parsed: $model =
                serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
            serde_json::to_value(&parsed).map_err(|e| e.to_string())
        }) as RoundTrip
    };
}

/// Each component schema a JSON body of the spec is shown with, and the model it stands for.
fn models() -> BTreeMap<&'static str, RoundTrip> {
    BTreeMap::from([
        ("ConnectRequest", round_trip!(ConnectRequest)),
        ("ConnectResponse", round_trip!(ConnectResponse)),
        ("StatusResponse", round_trip!(StatusResponse)),
        ("CasRequest", round_trip!(CasRequest)),
        ("CasResponse", round_trip!(CasResponse)),
        ("DisconnectResponse", round_trip!(DisconnectResponse)),
        ("TokenRequest", round_trip!(TokenRequest)),
        ("TokenResponse", round_trip!(TokenResponse)),
        ("ImportRequest", round_trip!(ImportRequest)),
        ("ImportResponse", round_trip!(ImportResponse)),
        ("WebhookRequest", round_trip!(WebhookRequest)),
        ("WebhookResponse", round_trip!(WebhookResponse)),
        ("ImportsResponse", round_trip!(ImportsResponse)),
        ("ParseRequest", round_trip!(ParseRequest)),
        ("Portfolio", round_trip!(Portfolio)),
        ("Error", round_trip!(ErrorBody)),
    ])
}

/// `value` without its object members that are null, at any depth.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

#[test]
fn every_example_is_what_the_models_read_and_write() {
    let read = read_spec();
    let models = models();
    let mut shown = BTreeSet::new();
    let examples = read["examples"].as_array().expect("examples");
    for example in examples {
        let at = example["where"].as_str().unwrap();
        let model = example["model"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: its schema names no component schema"));
        let check = models
            .get(model)
            .unwrap_or_else(|| panic!("{at}: no API model is mapped to schema {model}"));
        let value = &example["value"];
        // A request is only read: a field it leaves out and one it sends as null read alike.
        let request = at.contains(" request ");
        match check(value) {
            Ok(written) if request => assert_eq!(
                without_nulls(&written),
                without_nulls(value),
                "{at}: the model {model} reads this example as something else (an unknown or \
                 misnamed field)"
            ),
            Ok(written) => assert_eq!(
                &written, value,
                "{at}: the model {model} reads this example but writes it back differently \
                 (an unknown or misnamed field, a default the example leaves out)"
            ),
            Err(e) => panic!("{at}: the model {model} does not read this example: {e}"),
        }
        shown.insert(model);
    }
    let mapped: BTreeSet<&str> = models.keys().copied().collect();
    assert_eq!(shown, mapped, "every API model has an example in the spec");

    // Every operation shows its success answer (the callback and downloads are redirects).
    let ops = read["routes"].as_array().unwrap();
    for op in ops {
        let (method, path) = (op[0].as_str().unwrap(), op[1].as_str().unwrap());
        if method == "GET" {
            continue;
        }
        let here = format!("{method} {path} 200 example");
        assert!(
            examples
                .iter()
                .any(|e| e["where"].as_str().unwrap().starts_with(&here)),
            "{method} {path} has no example of its 200 answer"
        );
    }
}

#[test]
fn the_examples_check_can_fail() {
    // The round trip sees a misnamed field, a wrong type and a missing default.
    let models = models();
    let connect = models["ConnectResponse"];
    let good = json!({"status": "success", "oauth_url": "https://x", "expires_in": 600});
    assert_eq!(connect(&good).unwrap(), good);
    let misnamed = json!({"status": "success", "oauth_url": "https://x", "expires_in": 600,
                          "expiry": 1});
    assert_ne!(connect(&misnamed).unwrap(), misnamed);
    assert!(
        connect(&json!({"status": "success", "oauth_url": "https://x",
                            "expires_in": "600"}))
        .is_err()
    );
    let list = models["CasResponse"];
    let file = json!({"message_id": "m", "filename": "cdsl_20250115_a1b2c3d4.pdf",
        "original_filename": "a.pdf", "message_date": "2025-01-15", "cas_type": "cdsl",
        "size": 1, "url": "https://x", "sender": "s", "subject": "t"});
    let without_default = json!({"status": "success", "files": [file], "count": 1});
    assert_ne!(list(&without_default).unwrap(), without_default);
}

#[test]
fn the_spec_lists_exactly_the_routes_the_functions_serve() {
    // The functions' router in functions/Cargo.toml (what `cargo lambda watch` serves);
    // tests/api/routes.rs holds `routes::ROUTES` and template.yaml to the same table.
    let read = read_spec();
    let set = |v: &Value| -> BTreeSet<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
            .collect()
    };
    let spec = set(&read["routes"]);
    let router = set(&read["router"]);
    assert!(!router.is_empty(), "functions/Cargo.toml has a router");
    assert_eq!(
        spec, router,
        "openapi.yaml's paths and functions/Cargo.toml's [package.metadata.lambda.watch.router] differ"
    );
}

#[test]
fn the_spec_has_every_error_code_with_its_status() {
    let read = read_spec();
    let listed: BTreeSet<&str> = read["spec"]["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode enum")
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let built: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        listed, built,
        "openapi.yaml's ErrorCode and shared/src/error.rs differ"
    );

    let errors = read["errors"].as_array().unwrap();
    let mut used = BTreeSet::new();
    for error in errors {
        let at = error["where"].as_str().unwrap();
        let codes = error["codes"]
            .as_array()
            .unwrap_or_else(|| panic!("{at}: the error schema names no codes"));
        for code in codes {
            let code = code.as_str().unwrap();
            let known = ErrorCode::ALL
                .into_iter()
                .find(|c| c.as_str() == code)
                .unwrap_or_else(|| panic!("{at}: unknown code {code}"));
            assert_eq!(
                known.status().as_u16() as u64,
                error["status"].as_u64().unwrap(),
                "{at}: {code}'s status"
            );
            used.insert(code);
        }
    }
    // Every code but METHOD_NOT_ALLOWED (API Gateway routes by method, so no function sees
    // another) is an answer of some operation.
    let unused: Vec<_> = built.difference(&used).collect();
    assert_eq!(
        unused,
        vec![&"METHOD_NOT_ALLOWED"],
        "codes no operation answers"
    );
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("parser/tests/fixtures").join(name)).unwrap()
}

/// The four kinds of statement, each in a mail the listing finds, plus one attachment that is
/// not a PDF (a per-file error).
fn mailboxes() -> Mailboxes {
    let mail = Mailboxes::new();
    let statements = [
        (
            "cams_aes256.pdf",
            "donotreply@camsonline.com",
            "Consolidated Account Statement - CAMS Mailback Request",
            "AB12345678_01012025-31122025_CP1_15012026164515.pdf",
        ),
        (
            "kfintech_aes128.pdf",
            "samfS@kfintech.com",
            "Consolidated Account Statement",
            "CAS_01012025-31122025_CP2.pdf",
        ),
        (
            "cdsl_rc4128.pdf",
            "eCAS@cdslstatement.com",
            "CDSL Consolidated Account Statement",
            "DEC2025_AB12345678_TXN.pdf",
        ),
        (
            "nsdl_aes256.pdf",
            "NSDL-CAS@nsdl.co.in",
            "NSDL e-CAS",
            "NSDLe-CAS_123456789_DEC_2025.PDF",
        ),
    ];
    for (i, (name, from, subject, attachment)) in statements.into_iter().enumerate() {
        mail.add(
            &format!("{i:02}.eml"),
            &Mail::new(from, subject, days_ago(2 + i as i64)).attach(
                attachment,
                "application/pdf",
                fixture(name),
            ),
        );
    }
    mail.add(
        "10.eml",
        &Mail::new(
            "eCAS@cdslstatement.com",
            "CDSL Consolidated Account Statement",
            days_ago(3),
        )
        .attach(
            "NOV2025_AB12345678_TXN.pdf",
            "application/pdf",
            b"<html>no</html>".to_vec(),
        ),
    );
    mail
}

/// The redirect URI of the spec's examples: registered, so its connect examples succeed.
const EXAMPLE_REDIRECT_URI: &str = "https://yourapp.com/oauth/callback";

/// In `app`: a tenant with credits, a rate limit schemathesis does not reach and the spec's
/// example redirect URI, and a connected inbox of the statements above: (API key, inbox token).
async fn tenant_with_inbox(app: &TestApp) -> (String, String) {
    let store = app.app.inbox.store.as_ref();
    let created = tenants::create_tenant(
        store,
        "OpenAPI",
        &[REDIRECT_URI.to_string(), EXAMPLE_REDIRECT_URI.to_string()],
        Decimal::from(1_000_000),
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    store
        .set_rate_limit(
            &created.tenant.id,
            Some(RateLimit::new(100_000, 10).unwrap()),
        )
        .await
        .unwrap();
    let api_key = created.key.expose().to_string();
    let token = app.connect_inbox_as(&api_key, DEMO_EMAIL).await.inbox_token;
    (api_key, token)
}

/// Validates each `(schema, value)` against the spec's component schema (openapi_check.py).
async fn validate_against_spec(cases: &[(&str, Value)]) {
    let dir = std::env::temp_dir().join(format!("cas-inbox-openapi-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cases.json");
    let cases: Vec<Value> = cases
        .iter()
        .map(|(schema, value)| json!({"schema": schema, "value": value}))
        .collect();
    std::fs::write(&file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let out = tokio::process::Command::new(venv_bin("python"))
        .arg(checker())
        .arg("--validate")
        .arg(spec_path())
        .arg(&file)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "answers outside openapi.yaml:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_answers_of_every_kind_of_statement_are_what_the_spec_says() {
    let mail = mailboxes();
    let imports = imports_stack::stack(&mail, "1").await;
    let app = &imports.app;
    let (api_key, token) = tenant_with_inbox(app).await;
    let mut cases: Vec<(&str, Value)> = Vec::new();
    // Listed and parsed: the depository statements open with the PAN, the registrars' do not
    // (parse_error), the HTML "PDF" is an entry in errors.
    let res = app
        .post(
            "/v4/inbox/cas",
            Some(&api_key),
            Some(&token),
            Some(json!({"parse": true, "password": "ABCDE1234F"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let listed: Value = res.json().await.unwrap();
    let files = listed["files"].as_array().unwrap();
    assert_eq!(files.len(), 4, "{listed}");
    assert_eq!(files.iter().filter(|f| f["parsed"].is_object()).count(), 2);
    assert_eq!(
        listed["errors"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    // A listed file's link answers as the spec's download operation says.
    let link = files[0]["url"].as_str().unwrap();
    let res = app.http.get(link).send().await.unwrap();
    assert_eq!(res.status(), 302);
    for header in ["location", "x-request-id", "referrer-policy"] {
        assert!(
            res.headers().contains_key(header),
            "download answers {header}"
        );
    }
    cases.push(("CasResponse", listed));
    for (name, password, route) in [
        ("cams_aes256.pdf", "Demo@1234", "/v4/cams_kfintech/parse"),
        ("kfintech_aes128.pdf", "Demo@1234", "/v4/smart/parse"),
        ("cdsl_rc4128.pdf", "ABCDE1234F", "/v4/cdsl/parse"),
        ("nsdl_aes256.pdf", "ABCDE1234F", "/v4/nsdl/parse"),
    ] {
        let res = app
            .post(
                route,
                Some(&api_key),
                None,
                Some(json!({"pdf_file": STANDARD.encode(fixture(name)), "password": password})),
            )
            .await;
        assert_eq!(res.status(), 200, "{name}");
        cases.push(("Portfolio", res.json().await.unwrap()));
    }
    let status: Value = app
        .post("/v4/inbox/status", Some(&api_key), Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    cases.push(("StatusResponse", status));
    // The scheduled imports' answers: a webhook on a loopback receiver, imports on with parsing,
    // one run (its batch is on the imports page, which carries the import block).
    let hook = imports_stack::receiver().await;
    let webhook = imports
        .call(
            "POST",
            "/v4/webhook",
            &api_key,
            None,
            Some(json!({"url": hook.url})),
        )
        .await;
    assert_eq!(webhook.0, 200, "{}", webhook.1);
    let import = imports
        .call(
            "POST",
            "/v4/inbox/import",
            &api_key,
            Some(&token),
            Some(json!({"enabled": true, "parse": true, "password": "ABCDE1234F"})),
        )
        .await;
    assert_eq!(import.0, 200, "{}", import.1);
    imports.import_now(None).await;
    let page = imports
        .call("GET", "/v4/inbox/imports", &api_key, Some(&token), None)
        .await;
    assert_eq!(page.0, 200, "{}", page.1);
    assert_eq!(page.1["count"], 1, "{}", page.1);
    assert_eq!(page.1["imports"][0]["delivery"], "delivered", "{}", page.1);
    cases.push(("WebhookResponse", webhook.1));
    cases.push(("ImportResponse", import.1));
    cases.push(("ImportsResponse", page.1));
    // What the receiver got: the spec's `webhooks` event.
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one delivery");
    for (_, _, signature, body) in seen {
        assert!(signature.starts_with("v1,"), "{signature}");
        cases.push(("ImportEvent", serde_json::from_str(&body).unwrap()));
    }
    validate_against_spec(&cases).await;
}

/// Test cases per operation and phase (`SCHEMATHESIS_MAX_EXAMPLES` for a longer run); the
/// whole run stays within about a minute here.
const MAX_EXAMPLES: &str = "25";

/// Runs schemathesis against the front at `url`.
async fn schemathesis(
    url: &str,
    api_key: &str,
    token: &str,
    filter: &[&str],
) -> (bool, String, String) {
    let dir = std::env::temp_dir().join(format!("cas-inbox-schemathesis-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| "14".into());
    let max_examples =
        std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.into());
    let child = tokio::process::Command::new(venv_bin("schemathesis"))
        // Its .hypothesis/ database and reports stay out of the tree.
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .args(["run", spec_path().to_str().unwrap(), "--url", url])
        .args(["-H", &format!("x-api-key: {api_key}")])
        .args(["-H", &format!("x-inbox-token: {token}")])
        .args(filter)
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance,negative_data_rejection,\
             ignored_auth",
            "--max-examples",
            &max_examples,
            "--seed",
            &seed,
            "--phases",
            "examples,coverage,fuzzing",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--max-redirects",
            "0",
            "--output-truncate",
            "false",
            "--report",
            "junit",
            "--report-junit-path",
            dir.join("junit.xml").to_str().unwrap(),
        ])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(240), child)
        .await
        .expect("schemathesis finished within 4 minutes")
        .expect("run schemathesis");
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text, junit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_spec() {
    let mail = mailboxes();
    // The scheduled-imports stack: the app's front, and the imports_api function's own front
    // with what it needs (SQS and its dead-letter queue in moto, the imports store).
    let imports = imports_stack::stack(&mail, "1").await;
    let app = &imports.app;
    let (api_key, token) = tenant_with_inbox(app).await;
    // Disconnect last: it ends the inbox token every other inbox operation is tried with.
    let (ok, report, junit) = schemathesis(
        &app.base_url,
        &api_key,
        &token,
        &[
            "--exclude-operation-id",
            "disconnect",
            "--exclude-tag",
            "imports",
        ],
    )
    .await;
    assert!(ok, "schemathesis:\n{report}");
    let (ok, imports_report, imports_junit) = schemathesis(
        &imports.front,
        &api_key,
        &token,
        &["--include-tag", "imports"],
    )
    .await;
    assert!(ok, "schemathesis (imports):\n{imports_report}");
    let (ok, more, more_junit) = schemathesis(
        &app.base_url,
        &api_key,
        &token,
        &["--include-operation-id", "disconnect"],
    )
    .await;
    assert!(ok, "schemathesis (disconnect):\n{more}");
    // It really tried every operation (its JUnit report has a test case per operation).
    for route in routes::ROUTES {
        let op = format!("{} {}", route.method, route.path);
        let report = if route.path == "/v4/inbox/disconnect" {
            &more_junit
        } else if route.function == "imports_api" {
            &imports_junit
        } else {
            &junit
        };
        assert!(
            report.contains(&format!("name=\"{op}\"")),
            "schemathesis did not try {op}:\n{report}"
        );
    }
}
