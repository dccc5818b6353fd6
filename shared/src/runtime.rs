//! What every function's `main` does: JSON logs, configuration and clients once per cold
//! start, then serve API Gateway events with one handler.

use crate::adapters::aws_env::lambda_sdk_config;
use crate::adapters::{Secrets, Wiring};
use crate::app::App;
use crate::config::Config;
use crate::domain::ports::SystemClock;
use crate::error::ApiError;
use crate::gateway;
use futures::FutureExt;
use lambda_http::{Body, Request, Response, service_fn};
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tracing::Instrument;

/// Panics are logged with where they happened, never with their message: a message may quote
/// what it choked on, and that is mail (file names, subjects) or statement text.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic (its message is not logged: it may quote mail or statement content)");
    }));
}

/// Runs one request's handler inside its `request` span (every log line of the request
/// carries its id, and its tenant and connection once known); a panic becomes a 500
/// `INTERNAL` under the request id instead of reaching the Lambda runtime (which would report
/// its message).
pub async fn serve_one<S, F, Fut>(handler: &F, app: Arc<S>, mut req: Request) -> Response<Body>
where
    F: Fn(Arc<S>, Request) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let rid = gateway::request_id(&req);
    // The handler reads the same id from the header (a fresh one is made only once).
    if let Ok(value) = http::HeaderValue::from_str(&rid) {
        req.headers_mut().insert(gateway::REQUEST_ID, value);
    }
    let span = gateway::request_span(&rid);
    AssertUnwindSafe(handler(app, req))
        .catch_unwind()
        .instrument(span)
        .await
        .unwrap_or_else(|_| {
            gateway::respond::<()>(Err(ApiError::internal("the handler panicked")), None, &rid)
        })
}

/// The build's version: the `cas-inbox` crate's version, plus `+<git commit>` when the build
/// knew it (shared/build.rs: release builds from a git checkout, or `CAS_GIT_COMMIT`; a debug
/// build or a build from a tarball has the plain version).
pub const VERSION: &str = env!("CAS_BUILD_VERSION");

/// Structured JSON logs to stdout (CloudWatch). Tokens, codes and keys are never logged.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    let _ = json_logs(std::io::stdout).finish().with(filter).try_init();
}

/// `RUST_LOG` as a level (`info`, the default when unset or malformed) or comma-separated
/// `target=level` directives (`shared=debug,warn`). Not tracing-subscriber's `EnvFilter`: its
/// span and field directives pull the regex engine into every function (README "Builds").
fn log_filter(directives: Option<&str>) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    directives
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .and_then(|d| d.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// The log format of every function, writing to `writer`.
fn json_logs<W>(
    writer: W,
) -> tracing_subscriber::fmt::SubscriberBuilder<
    tracing_subscriber::fmt::format::JsonFields,
    tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Json, ()>,
    tracing_subscriber::filter::LevelFilter,
    W,
>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .with_writer(writer)
}

/// The first line a function logs: which build is running (and, on Lambda, which function).
pub fn log_cold_start() {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    tracing::info!(version = VERSION, %function, "cold start");
}

/// The secrets each function reads (and, in template.yaml, may read): no more.
pub mod secrets {
    use super::Secrets;

    /// Only the Google client (its id goes into the consent URL).
    pub const CONNECT: Secrets = Secrets {
        inbox_token: false,
        google_client: true,
        download_links: false,
    };
    /// Exchanges the code with Google and issues the inbox token.
    pub const CALLBACK: Secrets = Secrets {
        inbox_token: true,
        google_client: true,
        download_links: false,
    };
    /// Verify the inbox token and refresh or revoke at Google.
    pub const STATUS: Secrets = CALLBACK;
    pub const DISCONNECT: Secrets = CALLBACK;
    /// The code flow's exchange: issues the inbox token; never talks to Google.
    pub const TOKEN: Secrets = Secrets {
        inbox_token: true,
        google_client: false,
        download_links: false,
    };
    /// Also signs download links.
    pub const CAS: Secrets = Secrets::ALL;
    /// Checks our own download links; never talks to Google, never sees an inbox token.
    pub const PARSE: Secrets = Secrets {
        inbox_token: false,
        google_client: false,
        download_links: true,
    };
    pub const DOWNLOAD: Secrets = PARSE;
    /// Scheduled imports' worker: Google (refresh tokens) and download links (the links in
    /// webhook events); never sees an inbox token.
    pub const IMPORTS: Secrets = Secrets {
        inbox_token: false,
        google_client: true,
        download_links: true,
    };
    /// The imports endpoints verify inbox tokens and nothing else.
    pub const IMPORTS_API: Secrets = Secrets {
        inbox_token: true,
        google_client: false,
        download_links: false,
    };
}

/// What each function reads and reaches: its secrets (above) and the adapters its handler
/// uses. A function's binary names its type here (`runtime::run(wiring::Download, ...)`) and
/// links only those adapters; the others are `adapters::Unavailable` (README "Builds").
/// infra/privileges.yaml is the same table in AWS actions (infra/stack/test_privileges.py
/// checks that the two agree).
pub mod wiring {
    use super::secrets;
    use crate::adapters::{Adapters, Secrets, Wiring};

    /// Nothing but the secrets; each function adds what it uses.
    const NONE: Adapters = Adapters {
        dynamo: false,
        import_settings: false,
        kms: false,
        s3: false,
        gmail: false,
        pdf_urls: false,
        sqs: false,
        webhooks: false,
    };

    macro_rules! functions {
        ($($(#[$doc:meta])* $name:ident: $secrets:ident, $adapters:expr;)*) => {$(
            $(#[$doc])*
            pub struct $name;
            impl Wiring for $name {
                const SECRETS: Secrets = secrets::$secrets;
                const ADAPTERS: Adapters = $adapters;
            }
        )*};
    }

    functions! {
        /// The API key, the rate limit, the OAuth state.
        Connect: CONNECT, Adapters { dynamo: true, ..NONE };
        /// Encrypts the tokens; replacing a connection deletes its old files and imports.
        Callback: CALLBACK, Adapters {
            dynamo: true, import_settings: true, kms: true, s3: true, ..NONE
        };
        /// Shows the connection's import block.
        Status: STATUS, Adapters { dynamo: true, import_settings: true, kms: true, ..NONE };
        /// Revokes at Google, deletes the connection's files and imports.
        Disconnect: DISCONNECT, Adapters {
            dynamo: true, import_settings: true, kms: true, s3: true, ..NONE
        };
        Token: TOKEN, Adapters { dynamo: true, ..NONE };
        /// Reads mail, keeps the statements in S3.
        Cas: CAS, Adapters { dynamo: true, kms: true, s3: true, gmail: true, ..NONE };
        /// Fetches `pdf_url`s, reads its own download links from S3.
        Parse: PARSE, Adapters { dynamo: true, s3: true, pdf_urls: true, ..NONE };
        /// Checks the link, presigns an S3 URL; no API key, no DynamoDB.
        Download: DOWNLOAD, Adapters { s3: true, ..NONE };
        /// The scheduled imports' worker: listings, the queue, the webhooks.
        Imports: IMPORTS, Adapters {
            dynamo: true, import_settings: true, kms: true, s3: true, gmail: true, sqs: true,
            webhooks: true, ..NONE
        };
        /// Import settings and webhook endpoints (vetted, their secrets encrypted); no queue.
        ImportsApi: IMPORTS_API, Adapters {
            dynamo: true, import_settings: true, kms: true, webhooks: true, ..NONE
        };
    }
}

/// The app of function `W` on the system clock and the environment's configuration.
async fn build_from_env<W: Wiring>() -> Result<App, String> {
    let config = Config::from_env()?;
    App::build_for::<W>(&config, &lambda_sdk_config()?, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())
}

/// Serves `handler` in function `W` (see [`wiring`]): its secrets, its adapters.
pub async fn run<W, F, Fut>(_function: W, handler: F) -> Result<(), lambda_http::Error>
where
    W: Wiring,
    F: Fn(Arc<App>, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send,
{
    init_tracing();
    log_cold_start();
    install_panic_hook();
    let app = Arc::new(build_from_env::<W>().await.map_err(|e| {
        tracing::error!(error = %e, "start-up failed");
        e
    })?);
    let handler = Arc::new(handler);
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(Ready(serve_one(handler.as_ref(), app, req).await)) }
    }))
    .await
}

/// A response handed to lambda_http as it is. lambda_http's `IntoResponse` for
/// `Response<Body>` decodes every text body again by the charset its content type names,
/// through encoding_rs, which links the decoders and tables of every encoding the WHATWG
/// lists into each bootstrap (README "Builds"); the gateway's bodies are UTF-8 text already
/// (`Body::Text`) or empty, so that step only copied them. A `Body::Binary` would still reach
/// API Gateway base64-encoded.
struct Ready(Response<Body>);

impl lambda_http::IntoResponse for Ready {
    fn into_response(self) -> std::pin::Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        Box::pin(std::future::ready(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fakes::ScriptedMailbox;
    use crate::domain::test_inbox::inbox_with;
    use rust_decimal::Decimal;

    #[tokio::test]
    async fn responses_reach_lambda_http_as_the_gateway_wrote_them() {
        use lambda_http::IntoResponse;
        let json = gateway::respond::<()>(Err(ApiError::internal("boom")), None, "rid-1");
        let expected_body = match json.body() {
            Body::Text(t) => t.clone(),
            other => panic!("the gateway writes JSON as text: {other:?}"),
        };
        let handed = Ready(json).into_response().await;
        assert_eq!(handed.status(), 500);
        assert_eq!(handed.headers()["content-type"], "application/json");
        assert_eq!(handed.headers()["x-request-id"], "rid-1");
        assert!(matches!(handed.body(), Body::Text(t) if *t == expected_body));
        let redirect = Ready(gateway::redirect("https://app.example/done", "rid-2"))
            .into_response()
            .await;
        assert_eq!(redirect.status(), 302);
        assert_eq!(redirect.headers()["location"], "https://app.example/done");
        assert!(matches!(redirect.body(), Body::Empty));
    }

    #[test]
    fn the_cold_start_line_names_the_version() {
        #[derive(Clone, Default)]
        struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = json_logs(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, log_cold_start);

        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["level"], "INFO", "{text}");
        assert_eq!(line["fields"]["message"], "cold start", "{text}");
        assert_eq!(line["fields"]["version"], VERSION, "{text}");
        assert!(
            VERSION == env!("CARGO_PKG_VERSION")
                || VERSION.starts_with(&format!("{}+", env!("CARGO_PKG_VERSION"))),
            "{VERSION}"
        );
    }

    #[test]
    fn rust_log_is_a_level_or_target_directives_and_info_otherwise() {
        use tracing::Level;
        let info = log_filter(None);
        assert!(info.would_enable("shared", &Level::INFO));
        assert!(!info.would_enable("shared", &Level::DEBUG));
        for malformed in ["", "  ", "shared=loud"] {
            let f = log_filter(Some(malformed));
            assert!(f.would_enable("shared", &Level::INFO), "{malformed:?}");
            assert!(!f.would_enable("shared", &Level::DEBUG), "{malformed:?}");
        }
        let warn = log_filter(Some("warn"));
        assert!(!warn.would_enable("shared", &Level::INFO));
        assert!(warn.would_enable("shared", &Level::WARN));
        let targets = log_filter(Some("shared=debug,warn"));
        assert!(targets.would_enable("shared::runtime", &Level::DEBUG));
        assert!(!targets.would_enable("aws_config", &Level::INFO));
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_that_does_not_repeat_its_message() {
        let (inbox, ..) = inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
        let app = Arc::new(App {
            inbox,
            public_base_url: None,
        });
        let handler = |_: Arc<App>, _: Request| async {
            panic!("end byte index 3 is not a char boundary of `ab€12_AB12345678_TXN.pdf`")
        };
        let mut req = Request::default();
        req.headers_mut()
            .insert("x-request-id", "req-123".parse().unwrap());
        let response = serve_one(&handler, app, req).await;
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["x-request-id"], "req-123");
        let body = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(body.contains("\"INTERNAL\""), "{body}");
        assert!(!body.contains("TXN.pdf"), "{body}");
    }
}
