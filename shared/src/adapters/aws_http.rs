//! The AWS SDK's HTTP client, on the process's one HTTP stack (reqwest: hyper 1 + rustls on
//! aws-lc-rs, HTTP/1.1 only), and the SDK configuration a Lambda function needs.
//!
//! The SDK's own `default-https-client` feature would link a second HTTP client and HTTP/2
//! (h2) into every function; a Lambda function's credentials are its environment's, so the
//! full credential chain (profiles, SSO, IMDS, ECS, web identity through STS) is not linked
//! either. Both were about 0.8 MB of each bootstrap (README "Builds").

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The SDK configuration of a function: region and credentials from the environment Lambda
/// gives it (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`),
/// `AWS_ENDPOINT_URL` when set (an emulator), and [`client`].
pub fn lambda_sdk_config() -> Result<SdkConfig, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .ok_or("AWS_REGION is not set")?;
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(client());
    if let Some(endpoint) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    Ok(builder.build())
}

/// An SDK HTTP client over reqwest. The SDK asks for a connector per operation with that
/// operation's timeouts; one reqwest client (one connection pool) is kept per distinct pair.
pub fn client() -> SharedHttpClient {
    SharedHttpClient::new(ReqwestClient::default())
}

type Timeouts = (Option<Duration>, Option<Duration>);

#[derive(Debug, Default)]
struct ReqwestClient {
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

impl HttpClient for ReqwestClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        connectors
            .entry(key)
            .or_insert_with(|| SharedHttpConnector::new(ReqwestConnector::new(key)))
            .clone()
    }
}

#[derive(Debug)]
struct ReqwestConnector {
    http: Result<reqwest::Client, String>,
}

impl ReqwestConnector {
    fn new((connect, read): Timeouts) -> Self {
        // The SDK handles redirects (S3's region answers) and retries itself.
        let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(connect) = connect {
            builder = builder.connect_timeout(connect);
        }
        if let Some(read) = read {
            builder = builder.read_timeout(read);
        }
        Self {
            http: builder.build().map_err(|e| e.to_string()),
        }
    }
}

impl HttpConnector for ReqwestConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let http = self.http.clone();
        HttpConnectorFuture::new(async move {
            let http = http.map_err(|e| ConnectorError::other(e.into(), None))?;
            let response = http
                .execute(to_reqwest(request).await?)
                .await
                .map_err(connector_error)?;
            from_reqwest(response).await
        })
    }
}

async fn to_reqwest(request: HttpRequest) -> Result<reqwest::Request, ConnectorError> {
    let request = request
        .try_into_http1x()
        .map_err(|e| ConnectorError::other(e.into(), None))?;
    let (parts, body) = request.into_parts();
    let body = match body.bytes() {
        Some(bytes) => bytes::Bytes::copy_from_slice(bytes),
        // A streaming body (aws-chunked uploads) is read whole: our bodies are small.
        None => body.collect().await.map_err(ConnectorError::io)?.to_bytes(),
    };
    reqwest::Request::try_from(http::Request::from_parts(parts, body))
        .map_err(|e| ConnectorError::other(e.into(), None))
}

async fn from_reqwest(response: reqwest::Response) -> Result<HttpResponse, ConnectorError> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(connector_error)?;
    let mut out = http::Response::new(SdkBody::from(body));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    HttpResponse::try_from(out).map_err(|e| ConnectorError::other(e.into(), None))
}

/// Timeouts and broken connections are transient (the SDK retries them); the rest is not.
fn connector_error(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else if error.is_connect() || error.is_request() || error.is_body() {
        ConnectorError::io(error.into())
    } else {
        ConnectorError::other(error.into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A loopback server that answers each connection with `answer` (after reading the
    /// request), or holds it open, or closes it at once.
    async fn server(answer: Option<&'static [u8]>, hold: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                if let Some(answer) = answer {
                    let _ = socket.write_all(answer).await;
                } else if hold {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            }
        });
        url
    }

    fn request(url: &str) -> HttpRequest {
        let request = http::Request::builder()
            .method("POST")
            .uri(url)
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .body(SdkBody::from("{}"))
            .unwrap();
        HttpRequest::try_from(request).unwrap()
    }

    fn connector(read_timeout: Option<Duration>) -> ReqwestConnector {
        ReqwestConnector::new((Some(Duration::from_secs(2)), read_timeout))
    }

    #[tokio::test]
    async fn the_sdk_gets_the_status_headers_and_body_it_was_sent() {
        let url = server(
            Some(
                b"HTTP/1.1 400 Bad Request\r\nx-amzn-requestid: r-1\r\ncontent-length: 2\r\n\r\n{}",
            ),
            false,
        )
        .await;
        let response = connector(None).call(request(&url)).await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(response.headers().get("x-amzn-requestid"), Some("r-1"));
        assert_eq!(response.body().bytes(), Some(b"{}".as_slice()));
    }

    /// The SDK retries io and timeout errors; a dropped connection and a silent server must
    /// come back as those, not as an error it gives up on.
    #[tokio::test]
    async fn a_dropped_connection_is_io_and_a_silent_server_a_timeout() {
        let closed = server(None, false).await;
        let error = connector(None).call(request(&closed)).await.unwrap_err();
        assert!(error.is_io(), "{error:?}");

        let silent = server(None, true).await;
        let error = connector(Some(Duration::from_millis(200)))
            .call(request(&silent))
            .await
            .unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
    }
}
