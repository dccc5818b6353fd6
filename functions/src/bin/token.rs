//! Lambda function `token`: see `cas_inbox::handlers::token`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(
        cas_inbox::runtime::wiring::Token,
        cas_inbox::handlers::token,
    )
    .await
}
