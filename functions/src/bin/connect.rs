//! Lambda function `connect`: see `cas_inbox::handlers::connect`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(
        cas_inbox::runtime::wiring::Connect,
        cas_inbox::handlers::connect,
    )
    .await
}
