//! Lambda function `imports_api`: `POST /v4/inbox/import`, `POST /v4/webhook` and
//! `GET /v4/inbox/imports`; see `cas_inbox::imports_lambda::serve`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::imports_lambda::run_api().await
}
