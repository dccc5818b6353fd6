//! The AWS SDK's HTTP client, on the process's one HTTP stack (reqwest: hyper 1 + rustls on
//! aws-lc-rs, HTTP/1.1 only). The SDK's own `default-https-client` feature would link a second
//! HTTP client and HTTP/2 (h2) into every function (README "Builds").

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
        let mut builder =
            super::tls::http_client_builder().redirect(reqwest::redirect::Policy::none());
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
    // The body is read by polling it, never through `SdkBody::bytes()`: the SDK wraps it in a
    // throughput monitor (stalled-stream protection) that keeps those bytes visible but counts
    // only what is polled. A body never polled looks stalled, and once an answer takes longer
    // than the monitor's grace period (5 s) the SDK fails the attempt and sends the request
    // again, though the first one arrived: a committed transaction was sent twice that way.
    // Read whole: our request bodies are small.
    let body = body.collect().await.map_err(ConnectorError::io)?.to_bytes();
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// What the loopback server does once it has read a request.
    enum Answer {
        /// Writes this response.
        With(&'static [u8]),
        /// Writes this response after a delay.
        Late(Duration, &'static [u8]),
        /// Keeps the connection open and says nothing.
        Silence,
        /// Closes the connection.
        Close,
    }

    /// A loopback server that treats every connection as `answer` says. Returns its URL and
    /// the number of requests it has read.
    async fn server(answer: Answer) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let seen = requests.clone();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (seen, answer) = (seen.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    let _ = socket.read(&mut buf).await;
                    seen.fetch_add(1, Ordering::SeqCst);
                    match *answer {
                        Answer::With(response) => {
                            let _ = socket.write_all(response).await;
                        }
                        Answer::Late(delay, response) => {
                            tokio::time::sleep(delay).await;
                            let _ = socket.write_all(response).await;
                        }
                        Answer::Silence => tokio::time::sleep(Duration::from_secs(30)).await,
                        Answer::Close => {}
                    }
                });
            }
        });
        (url, requests)
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
        let (url, _) = server(Answer::With(
            b"HTTP/1.1 400 Bad Request\r\nx-amzn-requestid: r-1\r\ncontent-length: 2\r\n\r\n{}",
        ))
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
        let (closed, _) = server(Answer::Close).await;
        let error = connector(None).call(request(&closed)).await.unwrap_err();
        assert!(error.is_io(), "{error:?}");

        let (silent, _) = server(Answer::Silence).await;
        let error = connector(Some(Duration::from_millis(200)))
            .call(request(&silent))
            .await
            .unwrap_err();
        assert!(error.is_timeout(), "{error:?}");
    }

    /// Through a real SDK client: an answer slower than stalled-stream protection's grace
    /// period (5 s) must not make the SDK send the request again (a transaction committed
    /// twice). The server counts the requests it got.
    #[tokio::test]
    async fn a_slow_answer_is_awaited_not_sent_twice() {
        let (url, requests) = server(Answer::Late(
            Duration::from_secs(7),
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
              content-length: 2\r\nconnection: close\r\n\r\n{}",
        ))
        .await;
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("ap-south-1"))
            .endpoint_url(url.trim_end_matches('/'))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("AKID", "secret", None, None, "test"),
                ),
            )
            .http_client(client())
            .build();
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        dynamodb
            .put_item()
            .table_name("t")
            .item("pk", aws_sdk_dynamodb::types::AttributeValue::S("a".into()))
            .send()
            .await
            .unwrap();
        assert_eq!(requests.load(Ordering::SeqCst), 1);
    }
}
