//! Lambda function `parse`: see `cas_inbox::handlers::parse`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(
        cas_inbox::runtime::wiring::Parse,
        cas_inbox::handlers::parse,
    )
    .await
}
