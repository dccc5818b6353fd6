//! Fetching a caller's `pdf_url` without becoming a proxy into our own network (SSRF):
//! https only (outside local mode), every resolved address checked and then pinned for the
//! connection (no DNS rebinding), redirects followed by hand and checked again, a size cap and
//! a timeout, port 443 only, no proxy. Local mode (`ALLOW_LOCAL_PDF_URLS`) opens loopback and
//! nothing else. Links to the service's own downloads never reach this: they are read directly.

use crate::domain::ports::PdfFetcher;
use crate::domain::public_address::is_forbidden;
use crate::domain::{MAX_PDF_BYTES, too_large};
use crate::error::{ApiError, ErrorCode};
use reqwest::StatusCode;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use url::{Host, Url};

const MAX_REDIRECTS: usize = 3;
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Local runs and tests fetch from loopback (any port, plain http too); deployments never
    /// do. Private networks and cloud metadata stay closed either way.
    pub allow_local_targets: bool,
}

#[async_trait::async_trait]
impl PdfFetcher for FetchPolicy {
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, ApiError> {
        fetch_pdf(url, *self).await
    }
}

/// The only port a deployed service fetches from.
const HTTPS_PORT: u16 = 443;

fn refused(msg: impl Into<String>) -> ApiError {
    ApiError::invalid_request(msg)
}

/// Checks a URL's form and resolves it to one allowed address to connect to.
pub async fn vet(url: &Url, policy: FetchPolicy) -> Result<SocketAddr, ApiError> {
    let https = match url.scheme() {
        "https" => true,
        "http" if policy.allow_local_targets => false,
        _ => return Err(refused("pdf_url must be an https URL")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("pdf_url must not contain credentials"));
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| refused("pdf_url has no port"))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(domain)) => tokio::time::timeout(
            Duration::from_secs(3),
            tokio::net::lookup_host((domain, port)),
        )
        .await
        .map_err(|_| refused("pdf_url's host did not resolve in time"))?
        .map_err(|_| refused("pdf_url's host does not resolve"))?
        .collect(),
        None => return Err(refused("pdf_url has no host")),
    };
    if addrs.is_empty() {
        return Err(refused("pdf_url's host does not resolve"));
    }
    // Every address must be allowed: a host answering with one public and one private
    // address could otherwise be steered to the private one. Local mode adds loopback only.
    let local = |ip: IpAddr| policy.allow_local_targets && ip.is_loopback();
    if addrs.iter().any(|a| is_forbidden(a.ip()) && !local(a.ip())) {
        return Err(refused("pdf_url points to a private or reserved address"));
    }
    let all_loopback = addrs.iter().all(|a| local(a.ip()));
    if !all_loopback && (port != HTTPS_PORT || !https) {
        return Err(refused("pdf_url must use https on port 443"));
    }
    Ok(addrs[0])
}

/// Downloads a PDF from `raw_url` under `policy`.
pub async fn fetch_pdf(raw_url: &str, policy: FetchPolicy) -> Result<Vec<u8>, ApiError> {
    let mut url = Url::parse(raw_url).map_err(|_| refused("pdf_url is not a valid URL"))?;
    for _ in 0..=MAX_REDIRECTS {
        let addr = vet(&url, policy).await?;
        let host = url.host_str().unwrap_or_default().to_string();
        // A client per hop, pinned to the vetted address: the connection cannot go elsewhere.
        let client = super::tls::http_client_builder()
            // A proxy from the environment would make the request somewhere we did not vet.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .resolve(&host, addr)
            .build()
            .map_err(ApiError::internal)?;
        let mut response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|_| refused("pdf_url could not be reached"))?;
        let status = response.status();
        if status.is_redirection() {
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| url.join(loc).ok())
                .ok_or_else(|| refused("pdf_url redirected without a usable Location"))?;
            url = next;
            continue;
        }
        if status != StatusCode::OK {
            return Err(refused(format!("pdf_url answered {status}")));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_PDF_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| refused("pdf_url's download broke off"))?
        {
            if bytes.len() + chunk.len() > MAX_PDF_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if !bytes.starts_with(b"%PDF") {
            return Err(ApiError::new(
                ErrorCode::InvalidPdf,
                "pdf_url did not return a PDF",
            ));
        }
        return Ok(bytes);
    }
    Err(refused("pdf_url redirected too many times"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const STRICT: FetchPolicy = FetchPolicy {
        allow_local_targets: false,
    };
    const LOCAL: FetchPolicy = FetchPolicy {
        allow_local_targets: true,
    };

    #[tokio::test]
    async fn refuses_bad_schemes_credentials_and_private_hosts() {
        for url in [
            "http://example.com/a.pdf",
            "ftp://example.com/a.pdf",
            "file:///etc/passwd",
            "https://user:pw@example.com/a.pdf",
            "https://127.0.0.1/a.pdf",
            "https://[::1]/a.pdf",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost/a.pdf",
            "https://[::169.254.169.254]/latest/meta-data",
            "https://[2002:a9fe:a9fe::1]/a.pdf",
            "https://8.8.8.8:8443/a.pdf",
            "not a url",
        ] {
            let err = fetch_pdf(url, STRICT).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{url}");
        }
    }

    #[tokio::test]
    async fn local_mode_opens_loopback_and_nothing_else() {
        for url in [
            "http://10.0.0.5/a.pdf",
            "https://169.254.169.254/latest/meta-data",
            "http://[fd00::1]/a.pdf",
            "http://8.8.8.8/a.pdf",
            "https://8.8.8.8:8443/a.pdf",
        ] {
            let target = Url::parse(url).unwrap();
            assert!(vet(&target, LOCAL).await.is_err(), "{url}");
        }
        for url in ["http://127.0.0.1:8080/a.pdf", "http://[::1]:9/a.pdf"] {
            assert!(vet(&Url::parse(url).unwrap(), LOCAL).await.is_ok(), "{url}");
        }
    }

    /// A one-shot HTTP server on loopback answering each connection with `responses` in turn.
    async fn serve(responses: Vec<Vec<u8>>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for response in responses {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            }
        });
        format!("http://{addr}")
    }

    fn ok(body: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        r
    }

    #[tokio::test]
    async fn fetches_follows_redirects_and_checks_what_comes_back() {
        let base = serve(vec![
            b"HTTP/1.1 302 Found\r\nLocation: /real.pdf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
            ok(b"%PDF-1.4 hello"),
        ])
        .await;
        let bytes = fetch_pdf(&format!("{base}/a.pdf"), LOCAL).await.unwrap();
        assert_eq!(bytes, b"%PDF-1.4 hello");

        let base = serve(vec![ok(b"<html>nope</html>")]).await;
        let err = fetch_pdf(&format!("{base}/a.pdf"), LOCAL)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPdf);

        let base = serve(vec![
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        ])
        .await;
        let err = fetch_pdf(&format!("{base}/a.pdf"), LOCAL)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);

        let big = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            MAX_PDF_BYTES + 1
        );
        let base = serve(vec![big.into_bytes()]).await;
        let err = fetch_pdf(&format!("{base}/a.pdf"), LOCAL)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::FileTooLarge);
    }

    #[tokio::test]
    async fn a_redirect_into_a_private_network_is_refused() {
        // fetch_pdf vets every Location with the same `vet` as the first URL.
        let target = Url::parse("https://10.0.0.5/internal.pdf").unwrap();
        assert!(vet(&target, STRICT).await.is_err());
        let target = Url::parse("https://[fd00::1]/internal.pdf").unwrap();
        assert!(vet(&target, STRICT).await.is_err());
    }
}
