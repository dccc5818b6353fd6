//! Lambda function `status`: see `cas_inbox::handlers::status`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(
        cas_inbox::runtime::wiring::Status,
        cas_inbox::handlers::status,
    )
    .await
}
