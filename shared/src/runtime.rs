//! What every function's `main` does: JSON logs, configuration and clients once per cold
//! start, then serve API Gateway events with one handler.

use crate::adapters::build_inbox_from_env;
use crate::handlers::App;
use lambda_http::{Body, Request, Response, service_fn};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

/// Structured JSON logs to stdout (CloudWatch). Tokens, codes and keys are never logged.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .try_init();
}

pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Arc<App>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    init_tracing();
    let (config, inbox) = build_inbox_from_env().await.map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        e
    })?;
    let app = Arc::new(App {
        inbox,
        public_base_url: config.public_base_url.clone(),
        fetch_policy: crate::adapters::pdf_fetch::FetchPolicy {
            allow_local_targets: config.allow_local_pdf_urls,
        },
    });
    let handler = Arc::new(handler);
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(handler(app, req).await) }
    }))
    .await
}
