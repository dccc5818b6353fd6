//! The scheduled-imports stack of the integration tests: a loopback webhook receiver, and
//! moto + the sandbox + the imports endpoints + an SQS-fed worker (`Stack::import_now` does
//! what `make import-now` does).

use crate::helpers::TestApp;
use crate::mailbox::Mailboxes;
use cas_inbox::adapters::sqs::ensure_queues;
use cas_inbox::domain::imports::Imports;
use cas_inbox::imports_lambda::{build_imports, handle_event, import_config, serve};
use serde_json::{Value, json};
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver saw: (webhook-id, timestamp, signature, body).
pub type Seen = Vec<(String, String, String, String)>;

/// A webhook receiver on a loopback port: records every request, answers 200 or, while
/// `failures` lasts, 500.
pub struct Receiver {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
    pub failures: Arc<Mutex<VecDeque<bool>>>,
    pub _task: tokio::task::JoinHandle<()>,
}

pub async fn receiver() -> Receiver {
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

pub struct Stack {
    pub app: TestApp,
    pub imports: Arc<Imports>,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub dlq_url: String,
    pub front: String,
    pub _front: tokio::task::JoinHandle<()>,
}

pub async fn stack(mail: &Mailboxes, retry_delays: &str) -> Stack {
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
    pub async fn call(
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

    pub async fn messages_left(&self, url: &str) -> usize {
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
    pub async fn import_now(&self, crash_every: Option<usize>) {
        let scheduled =
            json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}});
        handle_event(&self.imports, scheduled).await.unwrap();
        // Generous: moto serves DynamoDB one request at a time (infra/moto_server.py), and a
        // machine busy with other builds slows it further.
        let deadline = Instant::now() + Duration::from_secs(600);
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
            if crash_every.is_some_and(|n| batches.is_multiple_of(n)) {
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
