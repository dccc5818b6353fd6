//! `WebhookSender` over HTTPS: the receiver's host is resolved and every address checked
//! (no private, reserved or metadata address; loopback only in local mode), and the request
//! goes to the address checked (no second lookup a DNS rebinding could change), with no
//! redirects, no proxy and a 10-second limit.

use crate::domain::imports::ports::{Sent, WebhookSender};
use crate::domain::public_address::is_forbidden;
use async_trait::async_trait;
use std::net::SocketAddr;
use std::time::Duration;
use url::{Host, Url};

pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub struct HttpWebhookSender {
    /// Local mode: loopback receivers (and plain http to them) are allowed.
    pub allow_local: bool,
}

impl HttpWebhookSender {
    /// The address to send to, or why not.
    async fn resolve(&self, raw: &str) -> Result<(Url, SocketAddr), String> {
        let url = Url::parse(raw).map_err(|_| "the webhook url is not a valid URL".to_string())?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "the webhook url has no port".to_string())?;
        let addrs: Vec<SocketAddr> = match url.host() {
            Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Domain(domain)) => tokio::time::timeout(
                Duration::from_secs(3),
                tokio::net::lookup_host((domain, port)),
            )
            .await
            .map_err(|_| "the webhook url's host did not resolve in time".to_string())?
            .map_err(|_| "the webhook url's host does not resolve".to_string())?
            .collect(),
            None => return Err("the webhook url has no host".into()),
        };
        let local = |a: &SocketAddr| self.allow_local && a.ip().is_loopback();
        if addrs.is_empty() {
            return Err("the webhook url's host does not resolve".into());
        }
        if addrs.iter().any(|a| is_forbidden(a.ip()) && !local(a)) {
            return Err("the webhook url points to a private or reserved address".into());
        }
        if url.scheme() != "https" && !addrs.iter().all(local) {
            return Err("the webhook url must be https".into());
        }
        Ok((url, addrs[0]))
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn vet(&self, url: &str) -> Result<(), String> {
        self.resolve(url).await.map(|_| ())
    }

    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> Sent {
        let (url, addr) = match self.resolve(url).await {
            Ok(resolved) => resolved,
            Err(why) => return Sent::Failed(why),
        };
        let mut client = super::tls::http_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(DELIVERY_TIMEOUT)
            .user_agent("cas-inbox-webhooks/1");
        if let Some(host) = url.host_str() {
            client = client.resolve(host, addr);
        }
        let client = match client.build() {
            Ok(c) => c,
            Err(e) => return Sent::Failed(format!("http client: {e}")),
        };
        let mut request = client.post(url).body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(response) => Sent::Status(response.status().as_u16()),
            Err(e) if e.is_timeout() => Sent::Failed("the receiver did not answer in 10 s".into()),
            Err(_) => Sent::Failed("the receiver could not be reached".into()),
        }
    }
}
