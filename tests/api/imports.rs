//! Scheduled imports through the real stack: moto (DynamoDB with the due index, SQS with its
//! dead-letter queue, KMS, S3), the Google sandbox, the imports endpoints behind an HTTP front,
//! the worker fed SQS events the way the Lambda service feeds them, and a webhook receiver.

use crate::helpers::{REDIRECT_URI, TestApp};
use crate::mailbox::{Mail, Mailboxes, days_ago, pdf};
use cas_inbox::adapters::sqs::ensure_queues;
use cas_inbox::domain::imports::Imports;
use cas_inbox::domain::imports::webhook::sign;
use cas_inbox::domain::tenants;
use cas_inbox::imports_lambda::{build_imports, handle_event, import_config, serve};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Demo@1234";

/// What the receiver saw: (webhook-id, timestamp, signature, body).
type Seen = Vec<(String, String, String, String)>;

/// A webhook receiver on a loopback port: records every request, answers 200 or, while
/// `failures` lasts, 500.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Seen>>,
    failures: Arc<Mutex<VecDeque<bool>>>,
    _task: tokio::task::JoinHandle<()>,
}

async fn receiver() -> Receiver {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let failures: Arc<Mutex<VecDeque<bool>>> = Arc::default();
    let (s, f) = (seen.clone(), failures.clone());
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: http::HeaderMap, body: String| {
            let (s, f) = (s.clone(), f.clone());
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                s.lock().unwrap().push((
                    h("webhook-id"),
                    h("webhook-timestamp"),
                    h("webhook-signature"),
                    body,
                ));
                let fail = f.lock().unwrap().pop_front().unwrap_or(false);
                if fail {
                    http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Receiver {
        url,
        seen,
        failures,
        _task: task,
    }
}

struct Stack {
    app: TestApp,
    imports: Arc<Imports>,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    dlq_url: String,
    front: String,
    _front: tokio::task::JoinHandle<()>,
}

async fn stack(mail: &Mailboxes, retry_delays: &str) -> Stack {
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let sqs = aws_sdk_sqs::Client::new(&app.sdk);
    let (queue_url, dlq_url) = ensure_queues(&sqs, "cas-inbox-imports-test", 2)
        .await
        .unwrap();
    let mut config = app.config.clone();
    config.public_base_url = Some(app.base_url.clone());
    let delays = retry_delays.to_string();
    let settings = import_config(&config, |name| match name {
        "WEBHOOK_RETRY_DELAYS" => Some(delays.clone()),
        "WEBHOOK_LEASE_SECONDS" => Some("1".into()),
        _ => None,
    })
    .unwrap();
    let imports = Arc::new(
        build_imports(
            &config,
            settings,
            &app.sdk,
            Some(&queue_url),
            app.app.inbox.clone(),
        )
        .await,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = format!("http://{}", listener.local_addr().unwrap());
    let served = imports.clone();
    let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let imports = served.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let body = if bytes.is_empty() {
                lambda_http::Body::Empty
            } else {
                lambda_http::Body::Text(String::from_utf8_lossy(&bytes).into_owned())
            };
            let response = serve(imports, http::Request::from_parts(parts, body)).await;
            let (parts, body) = response.into_parts();
            let bytes = match body {
                lambda_http::Body::Text(t) => t.into_bytes(),
                lambda_http::Body::Binary(b) => b,
                _ => Vec::new(),
            };
            axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
        }
    });
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Stack {
        app,
        imports,
        sqs,
        queue_url,
        dlq_url,
        front,
        _front: task,
    }
}

impl Stack {
    async fn call(
        &self,
        method: &str,
        path: &str,
        key: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .app
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.front))
            .header("x-api-key", key);
        if let Some(t) = token {
            req = req.header("x-inbox-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn messages_left(&self, url: &str) -> usize {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(A::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        attrs
            .values()
            .map(|v| v.parse::<usize>().unwrap_or(0))
            .sum()
    }

    /// What `make import-now` does: the schedule's event once, then the worker on every
    /// message until the queue is empty. `crash_every`: every n-th batch the worker is
    /// stopped mid-way (its task aborted, nothing deleted), as a crashed Lambda would be.
    async fn import_now(&self, crash_every: Option<usize>) {
        let scheduled =
            json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
        handle_event(&self.imports, scheduled).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(240);
        let mut batches = 0usize;
        while self.messages_left(&self.queue_url).await > 0 {
            assert!(Instant::now() < deadline, "the queue did not drain");
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                continue;
            }
            batches += 1;
            let records: Vec<Value> = messages
                .iter()
                .map(|m| json!({"messageId": m.message_id(), "body": m.body(), "eventSource": "aws:sqs"}))
                .collect();
            let event = json!({ "Records": records });
            if crash_every.is_some_and(|n| batches % n == 0) {
                let imports = self.imports.clone();
                let work = tokio::spawn(async move { handle_event(&imports, event).await });
                tokio::time::sleep(Duration::from_millis(20 * (batches as u64 % 7))).await;
                work.abort();
                let _ = work.await;
                continue;
            }
            let answer = handle_event(&self.imports, event).await.unwrap();
            let failed: BTreeSet<String> = answer["batchItemFailures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
                .collect();
            for m in &messages {
                if !failed.contains(m.message_id().unwrap_or_default()) {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(m.receipt_handle().unwrap_or_default())
                        .send()
                        .await
                        .unwrap();
                }
            }
        }
    }
}

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

    let (status, body) = stack
        .call(
            "POST",
            "/v4/webhook",
            &key,
            None,
            Some(json!({"url": hook.url})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
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
    assert_eq!(page["imports"][0]["id"], seen[0].0.as_str());
    let settings = stack
        .imports
        .import_status(&event["data"]["connection_id"].as_str().unwrap())
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
    const TENANTS: usize = 120;
    const REVOKED: usize = 20;
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
    let stack = stack(&mail, "1,1,1,1,1,1").await;
    let hook = receiver().await;
    // Every fifth delivery attempt is answered 500.
    hook.failures
        .lock()
        .unwrap()
        .extend((0..400).map(|n| n % 5 == 0));

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
        let (status, body) = stack
            .call(
                "POST",
                "/v4/webhook",
                &key,
                None,
                Some(json!({"url": hook.url})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
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
    // Google misbehaves: 10% of Gmail calls fail (5xx), quota at half (429s), and the second
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

    let seen = hook.seen.lock().unwrap().clone();
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
