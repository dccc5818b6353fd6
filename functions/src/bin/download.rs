//! Lambda function `download`: see `cas_inbox::handlers::download`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(
        cas_inbox::runtime::wiring::Download,
        cas_inbox::handlers::download,
    )
    .await
}
