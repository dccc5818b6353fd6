//! Lambda function `callback`: see `cas_inbox::handlers::callback`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(
        cas_inbox::runtime::wiring::Callback,
        cas_inbox::handlers::callback,
    )
    .await
}
