//! The vendor's official SDK (`cas-parser-python` 1.2.1, installed in `.venv` by `make test`)
//! drives the local stack: each of its four parse methods, with `pdf_url` (our own download
//! links from a listing) and with `pdf_file` (the file's bytes as the SDK sends them, multipart,
//! and base64 in the JSON body), its strict response validation on.
//! A client written for the vendor works here by changing the base URL and the key.

use crate::helpers::{TestApp, error_code, venv_bin, workspace_root};
use crate::mailbox::{Mail, Mailboxes, days_ago};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

fn fixtures() -> std::path::PathBuf {
    workspace_root().join("parser/tests/fixtures")
}

/// (fixture, sender, subject, attachment name, password, route, the SDK's cas_type)
const STATEMENTS: [(&str, &str, &str, &str, &str, &str, &str); 4] = [
    (
        "cams_aes256",
        "donotreply@camsonline.com",
        "Consolidated Account Statement - CAMS Mailback Request",
        "AB12345678_01012025-31122025_CP1_15012026164515.pdf",
        "Demo@1234",
        "cams_kfintech",
        "CAMS_KFINTECH",
    ),
    (
        "kfintech_aes128",
        "samfS@kfintech.com",
        "Consolidated Account Statement",
        "CAS_01012025-31122025_CP2.pdf",
        "Demo@1234",
        "cams_kfintech",
        "CAMS_KFINTECH",
    ),
    (
        "cdsl_rc4128",
        "eCAS@cdslstatement.com",
        "CDSL Consolidated Account Statement",
        "DEC2025_AB12345678_TXN.pdf",
        "ABCDE1234F",
        "cdsl",
        "CDSL",
    ),
    (
        "nsdl_aes256",
        "NSDL-CAS@nsdl.co.in",
        "NSDL e-CAS",
        "NSDLe-CAS_123456789_DEC_2025.PDF",
        "ABCDE1234F",
        "nsdl",
        "NSDL",
    ),
];

fn total(name: &str) -> Value {
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    // The RTA generator's truth has `total_value`; the depository truths are our own shape.
    let total = truth
        .get("total_value")
        .cloned()
        .unwrap_or_else(|| truth["summary"]["total_value"].clone());
    json!(total.to_string().trim_matches('"'))
}

#[tokio::test]
async fn the_vendors_sdk_parses_every_statement_through_each_route_that_fits() {
    let mail = Mailboxes::new();
    for (i, (name, from, subject, attachment, ..)) in STATEMENTS.iter().enumerate() {
        let pdf = std::fs::read(fixtures().join(format!("{name}.pdf"))).unwrap();
        mail.add(
            &format!("{i:02}.eml"),
            &Mail::new(from, subject, days_ago(2 + i as i64)).attach(
                attachment,
                "application/pdf",
                pdf,
            ),
        );
    }
    let app = TestApp::spawn_with(Some(mail.path())).await;
    app.app
        .inbox
        .store
        .add_credits(&app.tenant_id, rust_decimal::Decimal::from(100))
        .await
        .unwrap();
    let token = app.connect_inbox().await.inbox_token;
    let listed: Value = app
        .post("/v4/inbox/cas", Some(&app.api_key), Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    let files = listed["files"].as_array().unwrap();
    assert_eq!(files.len(), STATEMENTS.len(), "{listed}");

    let mut cases = Vec::new();
    for (name, _, _, attachment, password, route, cas_type) in STATEMENTS {
        let url = files
            .iter()
            .find(|f| f["original_filename"] == attachment)
            .unwrap_or_else(|| panic!("{attachment} listed: {listed}"))["url"]
            .clone();
        let path = fixtures().join(format!("{name}.pdf"));
        for route in ["smart", route] {
            cases.push(json!({"route": route, "pdf_url": url, "password": password,
                              "total": total(name), "cas_type": cas_type}));
            cases.push(
                json!({"route": route, "pdf_path": path, "password": password,
                              "total": total(name), "cas_type": cas_type}),
            );
        }
    }
    let cases_file = tempfile_path("vendor-sdk-cases.json");
    std::fs::write(&cases_file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let script = workspace_root().join("tests/api/vendor_sdk.py");
    let out = tokio::process::Command::new(venv_bin("python"))
        .arg(&script)
        .arg(&app.base_url)
        .arg(&app.api_key)
        .arg(&cases_file)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        cases.len()
    );
}

#[tokio::test]
async fn a_type_specific_route_refuses_another_kind_of_statement() {
    let app = TestApp::spawn().await;
    let b64 = |name: &str| STANDARD.encode(std::fs::read(fixtures().join(name)).unwrap());
    let res = app
        .post(
            "/v4/cdsl/parse",
            Some(&app.api_key),
            None,
            Some(json!({"pdf_file": b64("cams_aes256.pdf"), "password": "Demo@1234"})),
        )
        .await;
    assert_eq!(res.headers()["x-credits-used"], "0");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "UNSUPPORTED_FORMAT");
    let msg = body["msg"].as_str().unwrap();
    assert!(
        msg.contains("CAMS/KFintech statement") && msg.contains("/v4/cams_kfintech/parse"),
        "{msg}"
    );
    let res = app
        .post(
            "/v4/nsdl/parse",
            Some(&app.api_key),
            None,
            Some(json!({"pdf_file": b64("cdsl_rc4128.pdf"), "password": "ABCDE1234F"})),
        )
        .await;
    assert_eq!(error_code(res).await, (422, "UNSUPPORTED_FORMAT".into()));
    let res = app
        .post(
            "/v4/cdsl/parse",
            Some(&app.api_key),
            None,
            Some(json!({"pdf_file": b64("cdsl_rc4128.pdf"), "password": "ABCDE1234F"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-credits-used"], "1");
}

fn tempfile_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cas-inbox-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
