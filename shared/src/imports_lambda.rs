//! Scheduled imports as Lambda sees them: the worker function's events (the EventBridge
//! schedule → dispatch; SQS → one job per message, with a partial batch response) and the
//! three HTTP endpoints, plus building [`Imports`] from the environment.

use crate::adapters::aws_env::lambda_sdk_config;
use crate::adapters::dynamo_imports::DynamoImports;
use crate::adapters::sqs::SqsQueue;
use crate::adapters::webhook_delivery::HttpWebhookSender;
use crate::adapters::{AllAdapters, Unavailable, Wiring, build_inbox_with};
use crate::api::CreditUsage;
use crate::api::imports::{ImportRequest, WebhookRequest};
use crate::config::Config;
use crate::domain::imports::model::Job;
use crate::domain::imports::ports::Queue;
use crate::domain::imports::{DEFAULT_RETRY_DELAYS, ImportConfig, Imports};
use crate::domain::ports::{InfraError, SystemClock};
use crate::domain::service::Caller;
use crate::gateway::{self, API_KEY, INBOX_TOKEN, header, request_id, require_method};
use futures::FutureExt;
use futures::stream::{self, StreamExt};
use http::Method;
use lambda_http::{Body, Request, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Messages of one SQS batch worked on at once (each is one connection).
const JOBS_AT_ONCE: usize = 4;

/// What a job leaves of the invocation's time for the answer: jobs not done by then fail
/// alone, and SQS retries only them.
const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

fn epoch_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Import settings from the environment (README "Scheduled imports").
pub fn import_config(
    config: &Config,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ImportConfig, String> {
    let mut c = ImportConfig {
        allow_local_webhooks: config.allow_local_pdf_urls,
        // The API's public base (PUBLIC_BASE_URL), else its own URL (API_BASE_URL, set by
        // template.yaml): the links in webhook events are built on it.
        link_base: config
            .public_base_url
            .clone()
            .or_else(|| lookup("API_BASE_URL"))
            .unwrap_or_default(),
        ..ImportConfig::default()
    };
    if let Some(raw) = lookup("IMPORT_INTERVAL_SECONDS") {
        c.interval_seconds = raw
            .parse::<i64>()
            .ok()
            .filter(|s| *s > 0)
            .ok_or("IMPORT_INTERVAL_SECONDS must be a positive number")?;
    }
    if let Some(raw) = lookup("WEBHOOK_RETRY_DELAYS") {
        c.retry_delays = raw
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<u32>().ok().filter(|d| *d <= 900))
            .collect::<Option<Vec<u32>>>()
            .ok_or("WEBHOOK_RETRY_DELAYS is a comma list of seconds, each at most 900")?;
    } else {
        c.retry_delays = DEFAULT_RETRY_DELAYS.to_vec();
    }
    if let Some(raw) = lookup("WEBHOOK_LEASE_SECONDS") {
        c.lease_seconds = raw
            .parse::<i64>()
            .ok()
            .filter(|s| *s > 0)
            .ok_or("WEBHOOK_LEASE_SECONDS must be a positive number")?;
    }
    Ok(c)
}

/// A function without a queue (the HTTP endpoints) refuses to enqueue.
struct NoQueue;

#[async_trait::async_trait]
impl Queue for NoQueue {
    async fn send(&self, _: &[Job], _: u32) -> Result<(), InfraError> {
        Err(InfraError::new(
            "IMPORTS_QUEUE_URL is not set in this function",
        ))
    }
}

/// Builds the imports use cases with real adapters (every one: tests).
pub async fn build_imports(
    config: &Config,
    import_config: ImportConfig,
    sdk: &aws_config::SdkConfig,
    queue_url: Option<&str>,
    inbox: crate::domain::service::Inbox,
) -> Imports {
    build_imports_for::<AllAdapters>(config, import_config, sdk, queue_url, inbox)
}

/// The imports use cases with function `W`'s adapters (`runtime::wiring`).
fn build_imports_for<W: Wiring>(
    config: &Config,
    import_config: ImportConfig,
    sdk: &aws_config::SdkConfig,
    queue_url: Option<&str>,
    inbox: crate::domain::service::Inbox,
) -> Imports {
    // Each choice a `const`, as in `adapters::build_inbox_with`: what `W` does not use is not
    // compiled into its binary.
    let queue: Arc<dyn Queue> = match queue_url {
        Some(url) if const { W::ADAPTERS.sqs } => {
            Arc::new(SqsQueue::new(aws_sdk_sqs::Client::new(sdk), url))
        }
        None if const { W::ADAPTERS.sqs } => Arc::new(NoQueue),
        _ => Arc::new(Unavailable("SQS")),
    };
    Imports {
        store: if const { W::ADAPTERS.import_settings } {
            Arc::new(DynamoImports::new(
                aws_sdk_dynamodb::Client::new(sdk),
                &config.table_name,
            ))
        } else {
            Arc::new(Unavailable("DynamoDB (import settings)"))
        },
        queue,
        sender: if const { W::ADAPTERS.webhooks } {
            Arc::new(HttpWebhookSender {
                allow_local: import_config.allow_local_webhooks,
            })
        } else {
            Arc::new(Unavailable("webhooks"))
        },
        config: import_config,
        inbox,
    }
}

/// Function `W`'s imports from the environment: its secrets, its adapters.
pub async fn imports_from_env<W: Wiring>() -> Result<Imports, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let config = Config::from_env()?;
    let import_config = import_config(&config, env)?;
    let sdk = lambda_sdk_config()?;
    let inbox = build_inbox_with::<W>(&config, &sdk, Arc::new(SystemClock), W::SECRETS)
        .await
        .map_err(|e| e.to_string())?;
    let queue_url = env("IMPORTS_QUEUE_URL");
    Ok(build_imports_for::<W>(
        &config,
        import_config,
        &sdk,
        queue_url.as_deref(),
        inbox,
    ))
}

/// The worker's answer to one event: a schedule event dispatches; an SQS batch answers
/// `{"batchItemFailures": [...]}` naming the messages to retry (the others are deleted).
pub async fn handle_event(imports: &Imports, event: Value) -> Result<Value, String> {
    handle_event_by(imports, event, None).await
}

/// [`handle_event`], with the invocation's deadline: a job that panics, or is not done
/// [`DEADLINE_MARGIN`] before the deadline, fails alone (SQS retries that message), so the
/// invocation still answers for the others instead of failing the whole batch.
pub async fn handle_event_by(
    imports: &Imports,
    event: Value,
    deadline: Option<Instant>,
) -> Result<Value, String> {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        let failures: Vec<Value> = stream::iter(records.clone())
            .map(|record| async move {
                let id = record["messageId"].as_str().unwrap_or_default().to_string();
                let body = record["body"].as_str().unwrap_or_default();
                let outcome = match serde_json::from_str::<Job>(body) {
                    Ok(job) => {
                        let work = AssertUnwindSafe(imports.handle(&job)).catch_unwind();
                        let finished = match deadline {
                            Some(at) => {
                                let until = at.checked_sub(DEADLINE_MARGIN).unwrap_or(at);
                                tokio::time::timeout_at(until.into(), work)
                                    .await
                                    .map_err(|_| "out of time before the invocation's deadline")
                            }
                            None => Ok(work.await),
                        };
                        match finished {
                            Ok(Ok(result)) => result.map(|_| ()).map_err(|e| e.0),
                            Ok(Err(_)) => Err("the job panicked".to_string()),
                            Err(why) => Err(why.to_string()),
                        }
                    }
                    // A message no worker understands: retried, then in the dead-letter queue.
                    Err(_) => Err("not an imports job".to_string()),
                };
                match outcome {
                    Ok(()) => None,
                    Err(why) => {
                        tracing::warn!(message_id = %id, error = %why, "job failed; SQS will retry it");
                        Some(json!({ "itemIdentifier": id }))
                    }
                }
            })
            .buffer_unordered(JOBS_AT_ONCE)
            .filter_map(|f| async move { f })
            .collect()
            .await;
        return Ok(json!({ "batchItemFailures": failures }));
    }
    let scheduled = event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event")
        || event.get("source").and_then(Value::as_str) == Some("aws.events");
    if scheduled {
        let done = imports.dispatch().await.map_err(|e| e.to_string())?;
        return Ok(json!({ "enqueued": done.enqueued, "pages": done.pages }));
    }
    Err("unknown event: neither an EventBridge schedule nor SQS messages".into())
}

/// The worker function: schedule and SQS events.
pub async fn run_worker() -> Result<(), lambda_http::Error> {
    crate::runtime::init_tracing();
    crate::runtime::install_panic_hook();
    crate::runtime::log_cold_start();
    let imports = Arc::new(
        imports_from_env::<crate::runtime::wiring::Imports>()
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "start-up failed");
                e
            })?,
    );
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: lambda_http::LambdaEvent<Value>| {
            let imports = imports.clone();
            // The invocation's deadline (epoch ms) as an instant of this process's clock. One
            // that leaves no time for work is an emulator's, not Lambda's (`cargo lambda watch`
            // sends one that has passed already): then the jobs run unbounded, as before.
            let left = Duration::from_millis(event.context.deadline.saturating_sub(epoch_ms()));
            let deadline = (left > DEADLINE_MARGIN).then(|| Instant::now() + left);
            async move { handle_event_by(&imports, event.payload, deadline).await }
        },
    ))
    .await
}

fn free(caller: &Caller) -> CreditUsage {
    CreditUsage {
        used: Decimal::ZERO,
        remaining: caller.tenant.credits,
    }
}

/// `x-api-key` and the tenant's rate limit, as every authenticated endpoint.
async fn caller_of(
    imports: &Imports,
    req: &Request,
    method: Method,
    rid: &str,
) -> Result<Caller, Response<Body>> {
    let result = match require_method(req, method) {
        Ok(()) => imports.inbox.authenticate(header(req, API_KEY)).await,
        Err(e) => Err(e),
    };
    let caller = result.map_err(|e| gateway::error(&e, rid))?;
    if let Err(limited) = imports.inbox.admit(&caller).await {
        let response = gateway::respond::<()>(Err(limited.error()), Some(free(&caller)), rid);
        return Err(gateway::with_retry_after(
            response,
            limited.retry_after_seconds,
        ));
    }
    Ok(caller)
}

/// `POST /v4/inbox/import`, `POST /v4/webhook` and `GET /v4/inbox/imports`, by path.
pub async fn serve(imports: Arc<Imports>, req: Request) -> Response<Body> {
    let rid = request_id(&req);
    let path = req.uri().path().trim_end_matches('/').to_string();
    let method = if path == "/v4/inbox/imports" {
        Method::GET
    } else {
        Method::POST
    };
    let caller = match caller_of(&imports, &req, method, &rid).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let token = header(&req, INBOX_TOKEN);
    let credits = Some(free(&caller));
    match path.as_str() {
        "/v4/inbox/import" => {
            let result = async {
                let body: ImportRequest = gateway::json_body(&req)?;
                imports.set_import(&caller, token, body).await
            }
            .await;
            gateway::respond(result, credits, &rid)
        }
        "/v4/webhook" => {
            let result = async {
                let body: WebhookRequest = gateway::json_body(&req)?;
                imports.set_webhook(&caller, body).await
            }
            .await;
            gateway::respond(result, credits, &rid)
        }
        "/v4/inbox/imports" => {
            let q = gateway::query(&req);
            let result = imports
                .list_imports(
                    &caller,
                    token,
                    q.get("limit").map(String::as_str),
                    q.get("after").map(String::as_str),
                )
                .await;
            gateway::respond(result, credits, &rid)
        }
        _ => gateway::error(
            &crate::error::ApiError::new(crate::error::ErrorCode::NotFound, "No such endpoint"),
            &rid,
        ),
    }
}

/// The endpoints' function.
pub async fn run_api() -> Result<(), lambda_http::Error> {
    crate::runtime::init_tracing();
    crate::runtime::install_panic_hook();
    crate::runtime::log_cold_start();
    let imports = Arc::new(
        imports_from_env::<crate::runtime::wiring::ImportsApi>()
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "start-up failed");
                e
            })?,
    );
    // Like the other API functions: the request span, and a panic answered as a 500. `serve`
    // is called in a closure rather than passed as a value, so that infra/stack's call graph
    // (test_privileges) sees this function reach it.
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let imports = imports.clone();
        async move {
            Ok::<_, std::convert::Infallible>(
                crate::runtime::serve_one(&|imports, req| serve(imports, req), imports, req).await,
            )
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::imports::WebhookRequest;
    use crate::domain::fakes::{Behaviour, CONNECTION, NOW, ScriptedMailbox, pdf};
    use crate::domain::imports::fakes::{MemImports, MemQueue, ScriptedReceiver};
    use crate::domain::imports::ports::{Sent, WebhookSender};
    use crate::domain::test_inbox::inbox_with;
    use std::collections::BTreeSet;

    /// A receiver whose delivery code panics.
    struct PanickingSender;

    #[async_trait::async_trait]
    impl WebhookSender for PanickingSender {
        async fn vet(&self, _: &str) -> Result<(), String> {
            Ok(())
        }
        async fn post(&self, _: &str, _: &[(&'static str, String)], _: &str) -> Sent {
            panic!("scripted panic in a delivery")
        }
    }

    /// Imports over the fakes with a webhook, on for `CONNECTION` (due at `NOW`).
    async fn imports_over(mailbox: ScriptedMailbox, sender: Arc<dyn WebhookSender>) -> Imports {
        let (mut inbox, store, caller, token) =
            inbox_with(Arc::new(mailbox), Decimal::from(10)).await;
        let db = Arc::new(MemImports::new(store));
        inbox.imports = db.clone();
        let imports = Imports {
            inbox,
            store: db,
            queue: Arc::new(MemQueue::default()),
            sender,
            config: ImportConfig::default(),
        };
        let hook = WebhookRequest {
            url: Some("https://hooks.example.com/cas".into()),
        };
        imports.set_webhook(&caller, hook).await.unwrap();
        let on = ImportRequest {
            enabled: Some(true),
            ..ImportRequest::default()
        };
        imports.set_import(&caller, Some(&token), on).await.unwrap();
        imports
    }

    /// An SQS event: the run of `CONNECTION`, the run of a connection that is gone, and a
    /// message that is no job.
    fn three_messages() -> Value {
        let run =
            |connection: &str| json!({"kind": "run", "connection_id": connection, "slot": NOW});
        json!({"Records": [
            {"messageId": "live", "body": run(CONNECTION).to_string()},
            {"messageId": "gone", "body": run("conn-gone").to_string()},
            {"messageId": "junk", "body": "{}"},
        ]})
    }

    fn failed(answer: &Value) -> BTreeSet<String> {
        answer["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn a_job_that_panics_fails_alone() {
        let mut mailbox = ScriptedMailbox::default();
        mailbox.mail(
            "m1",
            "eCAS@cdslstatement.com",
            "CDSL CAS",
            &[("Jan2025_AB12345678_TXN.pdf", pdf("a"))],
        );
        let imports = imports_over(mailbox, Arc::new(PanickingSender)).await;
        let answer = handle_event(&imports, three_messages()).await.unwrap();
        assert_eq!(
            failed(&answer),
            BTreeSet::from(["live".into(), "junk".into()])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_still_running_near_the_deadline_fails_alone_and_the_batch_answers() {
        let mailbox = ScriptedMailbox {
            search: Some(Behaviour::Hang),
            ..ScriptedMailbox::default()
        };
        let imports = imports_over(mailbox, Arc::new(ScriptedReceiver::default())).await;
        let deadline = Instant::now() + DEADLINE_MARGIN + Duration::from_secs(5);
        let answer = handle_event_by(&imports, three_messages(), Some(deadline))
            .await
            .unwrap();
        assert_eq!(
            failed(&answer),
            BTreeSet::from(["live".into(), "junk".into()])
        );
    }
}
