//! Rate limits over HTTP on moto's DynamoDB: a tenant over its limit gets 429 RATE_LIMITED
//! with Retry-After, is not charged for it, and passes again in the next window.

use crate::helpers::{TestApp, error_code, workspace_root};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cas_inbox::domain::model::RateLimit;
use cas_inbox::domain::ports::Clock;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const WINDOW: u32 = 60;

fn statement() -> Value {
    let pdf = std::fs::read(workspace_root().join("parser/tests/fixtures/cams_aes256.pdf"))
        .expect("fixture");
    json!({"pdf_file": STANDARD.encode(pdf), "password": "Demo@1234"})
}

async fn balance(app: &TestApp) -> Decimal {
    app.app
        .inbox
        .store
        .tenant(&app.tenant_id)
        .await
        .unwrap()
        .unwrap()
        .credits
}

#[tokio::test]
async fn a_burst_over_the_limit_is_429_with_retry_after_uncharged_until_the_next_window() {
    let app = TestApp::spawn().await;
    assert!(
        app.app
            .inbox
            .store
            .set_rate_limit(&app.tenant_id, Some(RateLimit::new(3, WINDOW).unwrap()))
            .await
            .unwrap()
    );
    // Start at the beginning of a window, so the whole test runs inside one.
    let now = app.clock.now();
    app.clock
        .advance(i64::from(WINDOW) - now.rem_euclid(i64::from(WINDOW)));
    let window_start = app.clock.now();
    let before = balance(&app).await;

    // One parse that succeeds (charged 1) and two that fail: all three count.
    let res = app
        .post(
            "/v4/smart/parse",
            Some(&app.api_key),
            None,
            Some(statement()),
        )
        .await;
    assert_eq!(res.status(), 200);
    for _ in 0..2 {
        let res = app
            .post(
                "/v4/smart/parse",
                Some(&app.api_key),
                None,
                Some(json!({"pdf_file": STANDARD.encode(b"not a pdf"), "password": "x"})),
            )
            .await;
        assert_eq!(error_code(res).await, (422, "INVALID_PDF".into()));
    }
    assert_eq!(balance(&app).await, before - Decimal::ONE);

    // A burst of good parses over the limit: every one refused before any work, and free.
    let burst: Vec<_> = (0..4)
        .map(|_| {
            let request = app
                .http
                .post(format!("{}/v4/smart/parse", app.base_url))
                .header("x-api-key", &app.api_key)
                .json(&statement());
            tokio::spawn(async move { request.send().await.expect("request") })
        })
        .collect();
    for handle in burst {
        let res = handle.await.unwrap();
        assert_eq!(res.status(), 429);
        let retry_after: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (1..=u64::from(WINDOW)).contains(&retry_after),
            "{retry_after}"
        );
        assert_eq!(res.headers()["x-credits-used"], "0");
        assert!(res.headers().contains_key("x-request-id"));
        assert_eq!(
            res.headers()["content-type"],
            "application/json",
            "429 is a JSON error like every error"
        );
        assert_eq!(error_code(res).await, (429, "RATE_LIMITED".into()));
    }
    assert_eq!(balance(&app).await, before - Decimal::ONE);
    // Every authenticated endpoint goes through the same prologue.
    let res = app
        .post("/v4/inbox/connect", Some(&app.api_key), None, None)
        .await;
    assert_eq!(error_code(res).await, (429, "RATE_LIMITED".into()));

    // One window item, holding exactly the limit (refusals write nothing), with its TTL.
    let items = app.scan_table().await;
    let windows: Vec<_> = items
        .iter()
        .filter(|i| i["pk"] == AttributeValue::S(format!("RATE#{}", app.tenant_id)))
        .collect();
    assert_eq!(windows.len(), 1, "{windows:?}");
    assert_eq!(
        windows[0]["sk"],
        AttributeValue::S(format!("WINDOW#{window_start}"))
    );
    assert_eq!(windows[0]["request_count"], AttributeValue::N("3".into()));
    let expires_at: i64 = windows[0]["expires_at"].as_n().unwrap().parse().unwrap();
    assert!(expires_at > window_start + i64::from(WINDOW));

    // The next window admits again.
    app.clock.advance(i64::from(WINDOW));
    let res = app
        .post(
            "/v4/smart/parse",
            Some(&app.api_key),
            None,
            Some(statement()),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(balance(&app).await, before - Decimal::TWO);

    // Another tenant, on the default limit, is not affected by this one's.
    let (other_key, _) = app.second_tenant().await;
    let res = app
        .post(
            "/v4/smart/parse",
            Some(&other_key),
            None,
            Some(json!({"pdf_file": STANDARD.encode(b"not a pdf"), "password": "x"})),
        )
        .await;
    assert_eq!(error_code(res).await, (422, "INVALID_PDF".into()));
}
