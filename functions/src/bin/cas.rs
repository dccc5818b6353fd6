//! Lambda function `cas`: see `cas_inbox::handlers::cas`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    cas_inbox::runtime::run(cas_inbox::runtime::wiring::Cas, cas_inbox::handlers::cas).await
}
