//! `POST /v4/smart/parse` and `parse: true` on listings, over HTTP.

use crate::helpers::{TestApp, error_code, workspace_root};
use crate::mailbox::{Mail, Mailboxes, days_ago};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("parser/tests/fixtures").join(name)).unwrap()
}

fn truth_total(name: &str) -> f64 {
    let path = workspace_root().join("parser/tests/fixtures").join(name);
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    truth["total_value"].as_str().unwrap().parse().unwrap()
}

async fn parse(app: &TestApp, body: Value) -> reqwest::Response {
    app.post("/v4/smart/parse", Some(&app.api_key), None, Some(body))
        .await
}

#[tokio::test]
async fn an_uploaded_statement_is_parsed_and_billed_once() {
    let app = TestApp::spawn().await;
    let pdf = STANDARD.encode(fixture("cams_aes256.pdf"));
    let res = parse(&app, json!({"pdf_file": pdf, "password": "Demo@1234"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-credits-used"], "1");
    assert_eq!(res.headers()["x-credits-remaining"], "9");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["cas_type"], "CAMS_KFINTECH");
    assert_eq!(body["meta"]["issuer"], "cams");
    assert_eq!(body["investor"]["name"], "Demo Investor");
    assert_eq!(
        body["summary"]["total_value"].as_f64().unwrap(),
        truth_total("cams_aes256.json")
    );
    assert!(body["mutual_funds"][0]["schemes"][0]["transactions"][0]["type"].is_string());

    // Multipart, as a browser form or curl -F would send it.
    let form = reqwest::multipart::Form::new()
        .part(
            "pdf_file",
            reqwest::multipart::Part::bytes(fixture("kfintech_aes128.pdf")).file_name("cas.pdf"),
        )
        .text("password", "Demo@1234");
    let res = app
        .http
        .post(format!("{}/v4/smart/parse", app.base_url))
        .header("x-api-key", &app.api_key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["cas_type"], "CAMS_KFINTECH");
    assert_eq!(body["meta"]["issuer"], "kfintech");
    assert_eq!(
        body["summary"]["total_value"].as_f64().unwrap(),
        truth_total("kfintech_aes128.json")
    );

    // A summary statement: holdings without transactions, billed like any parse.
    let pdf = STANDARD.encode(fixture("cams_summary_aes256.pdf"));
    let res = parse(&app, json!({"pdf_file": pdf, "password": "Demo@1234"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-credits-remaining"], "7");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["statement_kind"], "summary");
    assert_eq!(
        body["summary"]["total_value"].as_f64().unwrap(),
        truth_total("cams_summary_aes256.json")
    );
    let scheme = &body["mutual_funds"][0]["schemes"][0];
    assert!(scheme["units"].as_f64().unwrap() >= 0.0);
    assert_eq!(scheme["transactions"], json!([]));
}

#[tokio::test]
async fn depository_statements_are_parsed_to_their_printed_totals() {
    let app = TestApp::spawn().await;
    for (name, cas_type) in [("cdsl_rc4128", "CDSL"), ("nsdl_aes256", "NSDL")] {
        let pdf = STANDARD.encode(fixture(&format!("{name}.pdf")));
        let res = parse(&app, json!({"pdf_file": pdf, "password": "ABCDE1234F"})).await;
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(res.headers()["x-credits-used"], "1");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["meta"]["cas_type"], cas_type);
        assert_eq!(
            body["summary"]["total_value"].as_f64().unwrap(),
            truth_total(&format!("{name}.json"))
        );
        assert_eq!(
            body["demat_accounts"].as_array().unwrap().len(),
            3,
            "{name}"
        );
        assert!(body["demat_accounts"][0]["holdings"]["equities"][0]["isin"].is_string());
        assert!(body.get("warnings").is_none(), "{name}: {body}");
        assert_eq!(body["meta"]["reconciled"], true, "{name}");
    }
}

#[tokio::test]
async fn bad_statements_and_requests_are_4xx_and_not_billed() {
    let app = TestApp::spawn().await;
    let b64 = |name: &str| STANDARD.encode(fixture(name));
    let cases = [
        (
            json!({"pdf_file": b64("cams_aes256.pdf"), "password": "wrong"}),
            422,
            "INVALID_PASSWORD",
        ),
        (
            json!({"pdf_file": STANDARD.encode(b"hello, not a pdf"), "password": "x"}),
            422,
            "INVALID_PDF",
        ),
        (
            json!({"pdf_file": b64("hello.pdf"), "password": ""}),
            422,
            "UNSUPPORTED_FORMAT",
        ),
        (
            json!({"pdf_file": "!!!", "password": "x"}),
            400,
            "INVALID_REQUEST",
        ),
        (json!({"password": "x"}), 400, "INVALID_REQUEST"),
        (
            json!({"pdf_file": b64("hello.pdf"), "pdf_url": "https://x.example/a.pdf"}),
            400,
            "INVALID_REQUEST",
        ),
        (
            json!({"pdf_url": "http://127.0.0.1:1/a.pdf", "password": "x"}),
            400,
            "INVALID_REQUEST",
        ),
        (
            json!({"pdf_url": "ftp://x.example/a.pdf"}),
            400,
            "INVALID_REQUEST",
        ),
    ];
    for (body, status, code) in cases {
        let shown = body.to_string().chars().take(80).collect::<String>();
        let res = parse(&app, body).await;
        assert_eq!(res.headers()["x-credits-used"], "0", "{shown}");
        assert_eq!(error_code(res).await, (status, code.to_string()), "{shown}");
    }
    // Short balance: refused before any work.
    let store = app.app.inbox.store.clone();
    store
        .charge_credits(&app.tenant_id, rust_decimal::Decimal::new(95, 1))
        .await
        .unwrap();
    let res = parse(
        &app,
        json!({"pdf_file": b64("cams_aes256.pdf"), "password": "Demo@1234"}),
    )
    .await;
    assert_eq!(error_code(res).await, (402, "INSUFFICIENT_CREDITS".into()));
}

#[tokio::test]
async fn listed_files_parse_by_their_link_or_in_the_listing() {
    let mail = Mailboxes::new();
    mail.add(
        "01.eml",
        &Mail::new(
            "donotreply@camsonline.com",
            "Consolidated Account Statement - CAMS Mailback Request",
            days_ago(2),
        )
        .attach(
            "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf",
            "application/pdf",
            fixture("cams_rc4128.pdf"),
        ),
    );
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;
    let listed: Value = app
        .post("/v4/inbox/cas", Some(&app.api_key), Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    let url = listed["files"][0]["url"].as_str().unwrap();

    // The seed's Step 3: parse by the listed URL.
    let res = parse(&app, json!({"pdf_url": url, "password": "Demo@1234"})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["summary"]["total_value"].as_f64().unwrap(),
        truth_total("cams_rc4128.json")
    );
    let forged = url.replace("sig=", "sig=00");
    let res = parse(&app, json!({"pdf_url": forged, "password": "Demo@1234"})).await;
    assert_eq!(error_code(res).await, (403, "INVALID_LINK".into()));

    // Or in the listing itself, charged 0.2 + 1 per parsed file.
    let res = app
        .post(
            "/v4/inbox/cas",
            Some(&app.api_key),
            Some(&token),
            Some(json!({"parse": true, "password": "Demo@1234"})),
        )
        .await;
    assert_eq!(res.headers()["x-credits-used"], "1.2");
    let body: Value = res.json().await.unwrap();
    let file = &body["files"][0];
    assert_eq!(
        file["parsed"]["summary"]["total_value"].as_f64().unwrap(),
        truth_total("cams_rc4128.json")
    );
    let res = app
        .post(
            "/v4/inbox/cas",
            Some(&app.api_key),
            Some(&token),
            Some(json!({"parse": true, "password": "nope"})),
        )
        .await;
    assert_eq!(res.headers()["x-credits-used"], "0.2");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["files"][0]["parse_error"]["code"], "INVALID_PASSWORD");
    let res = app
        .post(
            "/v4/inbox/cas",
            Some(&app.api_key),
            Some(&token),
            Some(json!({"parse": true})),
        )
        .await;
    assert_eq!(error_code(res).await, (400, "INVALID_REQUEST".into()));
}

/// parser/tests/fixtures/detailed_missing_folio.pdf: a detailed statement that lost one folio's
/// lines but still prints the summary of all of them.
#[tokio::test]
async fn a_statement_that_does_not_reconcile_is_flagged_and_refused_when_strict() {
    let app = TestApp::spawn().await;
    let pdf = STANDARD.encode(fixture("detailed_missing_folio.pdf"));
    let res = parse(&app, json!({"pdf_file": pdf, "password": ""})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-credits-used"], "1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["reconciled"], false);
    let warnings: Vec<&str> = body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("portfolio total market value: read ")),
        "{warnings:?}"
    );

    let res = parse(
        &app,
        json!({"pdf_file": pdf, "password": "", "strict": true}),
    )
    .await;
    assert_eq!(res.headers()["x-credits-used"], "0");
    let (status, code) = error_code(res).await;
    assert_eq!((status, code.as_str()), (422, "PARSE_INCOMPLETE"));

    // A statement that reconciles is an ordinary result in strict mode.
    let good = STANDARD.encode(fixture("cams_aes256.pdf"));
    let res = parse(
        &app,
        json!({"pdf_file": good, "password": "Demo@1234", "strict": true}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["meta"]["reconciled"], true);
}

#[tokio::test]
async fn a_listing_in_strict_mode_reports_the_statement_that_does_not_reconcile() {
    let mail = Mailboxes::new();
    mail.add(
        "01.eml",
        &Mail::new(
            "donotreply@camsonline.com",
            "Consolidated Account Statement - CAMS Mailback Request",
            days_ago(2),
        )
        .attach(
            "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf",
            "application/pdf",
            fixture("detailed_missing_folio.pdf"),
        ),
    );
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;
    let list = |strict: bool| {
        let body = json!({"parse": true, "password": "Demo@1234", "strict": strict});
        app.post(
            "/v4/inbox/cas",
            Some(&app.api_key),
            Some(&token),
            Some(body),
        )
    };
    let res = list(false).await;
    assert_eq!(res.headers()["x-credits-used"], "1.2");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["files"][0]["parsed"]["meta"]["reconciled"], false);

    let res = list(true).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-credits-used"], "0.2");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["files"][0]["parse_error"]["code"], "PARSE_INCOMPLETE");
    assert!(body["files"][0].get("parsed").is_none());
}
