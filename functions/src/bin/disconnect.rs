//! Lambda function `disconnect`: see `cas_inbox::handlers::disconnect`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(
        cas_inbox::runtime::wiring::Disconnect,
        cas_inbox::handlers::disconnect,
    )
    .await
}
