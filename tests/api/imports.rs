//! Scheduled imports through the real stack: moto (DynamoDB with the due index, SQS with its
//! dead-letter queue, KMS, S3), the Google sandbox, the imports endpoints behind an HTTP front,
//! the worker fed SQS events the way the Lambda service feeds them, and a webhook receiver.

use crate::helpers::REDIRECT_URI;
use crate::imports_stack::{Seen, Stack, receiver, stack};
use crate::mailbox::{Mail, Mailboxes, days_ago, pdf};
use cas_inbox::domain::imports::webhook::sign;
use cas_inbox::domain::tenants;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const PASSWORD: &str = "Demo@1234";

fn statement() -> Vec<u8> {
    std::fs::read(crate::helpers::workspace_root().join("parser/tests/fixtures/cams_aes256.pdf"))
        .unwrap()
}

fn demo_mail() -> Mailboxes {
    let mail = Mailboxes::new();
    mail.add(
        "cams.eml",
        &Mail::new(
            "donotreply@camsonline.com",
            "Consolidated Account Statement - CAMS Mailback Request",
            days_ago(3),
        )
        .attach("CAS_01012025.pdf", "application/pdf", statement()),
    );
    mail.add(
        "cdsl.eml",
        &Mail::new("eCAS@cdslstatement.com", "CDSL CAS", days_ago(10)).attach(
            "NOV2025_AA12345678_TXN.pdf",
            "application/pdf",
            pdf("cdsl"),
        ),
    );
    // Older than 30 days: not in the first run.
    mail.add(
        "old.eml",
        &Mail::new("eCAS@cdslstatement.com", "CDSL CAS", days_ago(45)).attach(
            "AUG2025_AA12345678_TXN.pdf",
            "application/pdf",
            pdf("old"),
        ),
    );
    mail
}

/// Sets the tenant's webhook to `url`; answers the signing secret.
async fn set_webhook(stack: &Stack, key: &str, url: &str) -> String {
    let (status, body) = stack
        .call(
            "POST",
            "/v4/webhook",
            key,
            None,
            Some(json!({ "url": url })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["secret"].as_str().unwrap().to_string()
}

fn verify(secret: &str, seen: &(String, String, String, String)) -> Value {
    let (id, timestamp, signature, body) = seen;
    let expected = sign(secret, id, timestamp.parse().unwrap(), body).unwrap();
    assert_eq!(signature, &expected, "signature of {id}");
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn the_demo_flow_delivers_one_signed_event_and_then_nothing_new() {
    let mail = demo_mail();
    let stack = stack(&mail, "1,1").await;
    let key = stack.app.api_key.clone();
    let hook = receiver().await;

    let secret = set_webhook(&stack, &key, &hook.url).await;
    assert!(secret.starts_with("whsec_"));
    for bad in [
        "https://10.0.0.7/hook",
        "http://hooks.example.com/hook",
        "https://169.254.169.254/",
    ] {
        let (status, body) = stack
            .call("POST", "/v4/webhook", &key, None, Some(json!({"url": bad})))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("INVALID_REQUEST")),
            "{bad}"
        );
    }

    let token = stack.app.connect_inbox().await.inbox_token;
    let enable = json!({"enabled": true, "password": PASSWORD, "parse": true});
    let (status, body) = stack
        .call(
            "POST",
            "/v4/inbox/import",
            &key,
            Some(&token),
            Some(enable.clone()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["enabled"], true);
    assert!(body["next_run_at"].is_string());
    assert!(!body.to_string().contains(PASSWORD));
    // Unknown and foreign inbox tokens are 401.
    let (status, _) = stack
        .call(
            "POST",
            "/v4/inbox/import",
            &key,
            Some("nope"),
            Some(enable.clone()),
        )
        .await;
    assert_eq!(status, 401);
    let (other_key, _) = stack.app.second_tenant().await;
    let (status, _) = stack
        .call(
            "POST",
            "/v4/inbox/import",
            &other_key,
            Some(&token),
            Some(enable),
        )
        .await;
    assert_eq!(status, 401);

    stack.import_now(None).await;
    let seen = hook.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one delivery");
    let event = verify(&secret, &seen[0]);
    assert_eq!(event["type"], "inbox.cas_imported");
    assert_eq!(event["data"]["email"], "demo.investor@gmail.com");
    let files = event["data"]["files"].as_array().unwrap();
    let kinds: BTreeSet<&str> = files
        .iter()
        .map(|f| f["cas_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["cams", "cdsl"]),
        "the last 30 days only"
    );
    let cams = files.iter().find(|f| f["cas_type"] == "cams").unwrap();
    assert!(
        cams["parsed"]["summary"]["total_value"].as_f64().unwrap() > 0.0,
        "{cams}"
    );
    let cdsl = files.iter().find(|f| f["cas_type"] == "cdsl").unwrap();
    assert!(cdsl["parse_error"]["code"].is_string(), "{cdsl}");
    // The link in the event works.
    let link = stack
        .app
        .http
        .get(cams["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 302);
    // 0.2 for the run, 1.0 for the one statement parsed.
    let tenant = stack
        .app
        .app
        .inbox
        .store
        .tenant(&stack.app.tenant_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.credits, Decimal::from(10) - Decimal::new(12, 1));

    // Again at once: nothing is due. A day later: due, nothing new, nothing delivered, free.
    stack.import_now(None).await;
    stack.app.clock.advance(86_400 + 60);
    stack.import_now(None).await;
    assert_eq!(hook.seen.lock().unwrap().len(), 1);
    let tenant = stack
        .app
        .app
        .inbox
        .store
        .tenant(&stack.app.tenant_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.credits, Decimal::from(10) - Decimal::new(12, 1));

    let (status, page) = stack
        .call("GET", "/v4/inbox/imports", &key, Some(&token), None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["count"], 1);
    assert_eq!(page["imports"][0]["delivery"], "delivered");
    assert_eq!(page["import"]["enabled"], true);
    assert_eq!(page["import"]["state"], "active");
    assert_eq!(page["import"]["last_result"], "nothing_new");
    // POST /v4/inbox/status carries the same block.
    let status: Value = stack
        .app
        .post("/v4/inbox/status", Some(&key), Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["import"], page["import"], "{status}");
    assert_eq!(page["imports"][0]["id"], seen[0].0.as_str());
    let settings = stack
        .imports
        .import_status(event["data"]["connection_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settings.last_result.as_deref(), Some("nothing_new"));
    assert_eq!(stack.messages_left(&stack.dlq_url).await, 0);
}

/// Each connection's statements as the receiver counted them, duplicates (same webhook-id
/// delivered again after a lost answer) removed the way a receiver does.
fn delivered(seen: &Seen) -> (BTreeMap<String, Vec<String>>, BTreeSet<String>) {
    let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
    for (id, _, _, body) in seen {
        let event: Value = serde_json::from_str(body).unwrap();
        if let Some(before) = by_id.insert(id.clone(), event.clone()) {
            assert_eq!(before, event, "a webhook-id always carries the same event");
        }
    }
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut reconsent = BTreeSet::new();
    for event in by_id.values() {
        let connection = event["data"]["connection_id"].as_str().unwrap().to_string();
        match event["type"].as_str().unwrap() {
            "inbox.cas_imported" => {
                for f in event["data"]["files"].as_array().unwrap() {
                    files
                        .entry(connection.clone())
                        .or_default()
                        .push(f["message_id"].as_str().unwrap().to_string());
                }
            }
            "inbox.reconsent_required" => {
                assert!(
                    reconsent.insert(connection),
                    "one reconsent event per connection"
                );
            }
            other => panic!("unexpected event {other}"),
        }
    }
    (files, reconsent)
}

#[tokio::test]
async fn hundreds_of_connections_get_every_statement_exactly_once_through_faults_and_crashes() {
    const TENANTS: usize = 300;
    const REVOKED: usize = 50;
    let mail = Mailboxes::new();
    for (n, days) in [(0, 2), (1, 6), (2, 12)] {
        mail.add(
            &format!("cdsl{n}.eml"),
            &Mail::new("eCAS@cdslstatement.com", "CDSL CAS", days_ago(days)).attach(
                &format!("M{n}2025_AA12345678_TXN.pdf"),
                "application/pdf",
                pdf(&format!("s{n}")),
            ),
        );
    }
    let second = mail.path().join("second.investor@gmail.com");
    std::fs::write(
        second.join("nsdl.eml"),
        Mail::new("NSDL-CAS@nsdl.co.in", "NSDL CAS", days_ago(4))
            .attach(
                "NSDLe-CAS_123456789_OCT_2025.PDF",
                "application/pdf",
                pdf("n"),
            )
            .to_eml(),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let stack = stack(&mail, "1,1,1,1,1,1").await;
    let hook = receiver().await;
    // Every fifth delivery attempt is answered 500.
    hook.failures
        .lock()
        .unwrap()
        .extend((0..TENANTS * 4).map(|n| n % 5 == 0));

    // Each tenant: one connection, its webhook set, imports on. One at a time: moto's DynamoDB
    // answered 500 to tenants created eight at once.
    let mut connections = Vec::new();
    for n in 0..TENANTS {
        let created = tenants::create_tenant(
            stack.app.app.inbox.store.as_ref(),
            &format!("Tenant {n}"),
            &[REDIRECT_URI.to_string()],
            Decimal::from(10),
            None,
            0,
        )
        .await
        .unwrap();
        let key = created.key.expose().to_string();
        let account = if n < REVOKED {
            "second.investor@gmail.com"
        } else {
            "demo.investor@gmail.com"
        };
        let token = stack.app.connect_inbox_as(&key, account).await.inbox_token;
        set_webhook(&stack, &key, &hook.url).await;
        let (status, body) = stack
            .call(
                "POST",
                "/v4/inbox/import",
                &key,
                Some(&token),
                Some(json!({"enabled": true})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        connections.push((key, token, account));
    }
    let set_up = started.elapsed();
    // Google misbehaves: 10% of Gmail calls fail (429, 500 or 503), quota at half (429s), and the second
    // account withdraws its grants.
    let res = stack
        .app
        .http
        .post(format!("{}/_sandbox/config", stack.app.sandbox_url))
        .json(&json!({"fault_rate": 0.1, "quota_units_per_second": 125}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    stack
        .app
        .sandbox_control("/_sandbox/accounts/second.investor@gmail.com/revoke")
        .await;

    // Runs until every connection is done: a run that met a fault is retried by SQS, or due
    // again soon (retry_soon) and dispatched once more.
    stack.import_now(Some(4)).await;
    for _ in 0..3 {
        stack.app.clock.advance(901);
        stack.import_now(Some(4)).await;
    }
    stack.app.clock.advance(3_600);
    stack.import_now(None).await;

    // The halved quota was met: Gmail answered 429s (besides the 429s among the injected faults).
    let quota_429s = stack.app.quota_violations().await;
    assert!(
        quota_429s > 0,
        "no quota 429s: the test no longer exercises them"
    );
    let seen = hook.seen.lock().unwrap().clone();
    eprintln!(
        "imports exactly-once: {TENANTS} connections set up in {:.0} s, imported in {:.0} s; \
         {} delivery attempts, {quota_429s} quota 429s",
        set_up.as_secs_f64(),
        (started.elapsed() - set_up).as_secs_f64(),
        seen.len()
    );
    let (files, reconsent) = delivered(&seen);
    assert_eq!(
        reconsent.len(),
        REVOKED,
        "every revoked grant announced once"
    );
    assert_eq!(
        files.len(),
        TENANTS - REVOKED,
        "every live connection imported"
    );
    for (connection, messages) in &files {
        let unique: BTreeSet<&String> = messages.iter().collect();
        assert_eq!(
            unique.len(),
            messages.len(),
            "{connection}: a statement delivered twice"
        );
        assert_eq!(unique.len(), 3, "{connection}: every statement delivered");
    }
    // Charged 0.2 per run that found something, once: the events delivered are the runs.
    let runs = seen
        .iter()
        .filter(|(_, _, _, body)| body.contains("inbox.cas_imported"))
        .map(|(id, ..)| id.clone())
        .collect::<BTreeSet<_>>()
        .len();
    let mut spent = Decimal::ZERO;
    for (key, _, _) in &connections {
        let caller = stack.imports.inbox.authenticate(Some(key)).await.unwrap();
        spent += Decimal::from(10) - caller.tenant.credits;
    }
    assert_eq!(spent, Decimal::new(2, 1) * Decimal::from(runs));
    assert_eq!(
        stack.messages_left(&stack.dlq_url).await,
        0,
        "nothing poisoned"
    );
}

#[tokio::test]
async fn a_poison_message_ends_in_the_dead_letter_queue() {
    let mail = Mailboxes::new();
    let stack = stack(&mail, "1").await;
    stack
        .sqs
        .send_message()
        .queue_url(&stack.queue_url)
        .message_body("{\"kind\":\"nonsense\"}")
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut receives = 0;
    while stack.messages_left(&stack.dlq_url).await == 0 {
        assert!(std::time::Instant::now() < deadline, "never dead-lettered");
        let got = stack
            .sqs
            .receive_message()
            .queue_url(&stack.queue_url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in got.messages.unwrap_or_default() {
            receives += 1;
            let event = json!({"Records": [{"messageId": m.message_id(), "body": m.body()}]});
            let answer = cas_inbox::imports_lambda::handle_event(&stack.imports, event)
                .await
                .unwrap();
            // The worker names it as failed every time; it is never deleted.
            assert_eq!(
                answer["batchItemFailures"][0]["itemIdentifier"],
                json!(m.message_id())
            );
        }
    }
    assert_eq!(
        receives, 5,
        "maxReceiveCount receives, then the dead-letter queue"
    );
    assert_eq!(stack.messages_left(&stack.queue_url).await, 0);
}
