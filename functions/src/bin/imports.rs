//! Lambda function `imports`: the scheduled imports' worker. The EventBridge schedule's
//! event runs the dispatcher (due connections → SQS); SQS events run one job per message.
//!
//! Beside `cas` rather than inside it: a run may take minutes (Gmail's per-user quota, parses)
//! where an API function stops at 29 s, and its own reserved concurrency keeps a night's
//! imports from taking the listings' capacity (and the other way round). The work itself is
//! the listing's (`Inbox::gather_new`) and the parser's, the same code `cas` runs.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::imports_lambda::run_worker().await
}
