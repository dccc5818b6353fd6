//! Listing 100 CAS mails with 100 ms of injected latency on every Gmail call: the service's
//! concurrent, quota-paced fetch against a one-at-a-time fetch, in the same run, through the
//! same domain code and the real adapters (moto, the Google sandbox over HTTP).
//!
//! Run: `cargo bench -p integration-tests --bench listing` (after `make test` has built the
//! sandbox and created .venv). Prints the medians, the ratio and the quota violations.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../api/mailbox.rs"]
#[allow(dead_code)]
mod mailbox;

use cas_inbox::api::CasRequest;
use cas_inbox::domain::credits::CreditMeter;
use helpers::TestApp;
use mailbox::Mailboxes;
use std::time::{Duration, Instant};

const MAILS: usize = 100;
const RUNS: usize = 3;

async fn time_listing(app: &TestApp, token: &str, concurrency: usize) -> Duration {
    let mut inbox = app.app.inbox.clone();
    inbox.settings.fetch_concurrency = concurrency;
    let caller = inbox
        .authenticate(Some(&app.api_key))
        .await
        .expect("caller");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let meter = CreditMeter::new(caller.tenant.credits);
        let result = inbox
            .cas(
                &caller,
                Some(token),
                &CasRequest::default(),
                &app.base_url,
                None,
                &meter,
            )
            .await;
        let elapsed = started.elapsed();
        let listed = result.expect("listing succeeds");
        assert_eq!(listed.count, MAILS, "every mail listed");
        assert!(listed.errors.is_empty());
        times.push(elapsed);
    }
    times.sort();
    times[RUNS / 2]
}

#[tokio::main]
async fn main() {
    let mail = Mailboxes::with_cdsl_mails(MAILS, 25);
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;
    // Plenty of credits for every run.
    app.app
        .inbox
        .store
        .add_credits(&app.tenant_id, rust_decimal::Decimal::from(100))
        .await
        .expect("credits");
    let res = app
        .http
        .post(format!("{}/_sandbox/config", app.sandbox_url))
        .json(&serde_json::json!({"latency_ms": 100}))
        .send()
        .await
        .expect("configure sandbox");
    assert!(res.status().is_success());

    let sequential = time_listing(&app, &token, 1).await;
    let concurrent = time_listing(&app, &token, app.app.inbox.settings.fetch_concurrency).await;
    let violations = app.quota_violations().await;
    println!("listing {MAILS} CAS mails, 100 ms per Gmail call, median of {RUNS} runs:");
    println!(
        "  sequential (1 at a time)        {:>7.2} s",
        sequential.as_secs_f64()
    );
    println!(
        "  concurrent ({} at a time, paced) {:>7.2} s",
        app.app.inbox.settings.fetch_concurrency,
        concurrent.as_secs_f64()
    );
    println!(
        "  speed-up                        {:>7.2}x",
        sequential.as_secs_f64() / concurrent.as_secs_f64()
    );
    println!("  quota violations (429s for quota) {}", violations);
}
