//! What the integration tests share: the registered client and the demo
//! account, the sandbox served on an ephemeral port, the binary started as a
//! harness does, and the OAuth steps a Google client takes (authorize page →
//! consent form → redirect with code → token exchange).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use google_sandbox::Config;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

pub const CLIENT_ID: &str = "test-client.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "test-secret";
pub const REDIRECT: &str = "http://127.0.0.1:9000/v4/inbox/callback";
pub const DEMO: &str = "demo.investor@gmail.com";
pub const GMAIL_READONLY: &str = "https://www.googleapis.com/auth/gmail.readonly";
pub const VERIFIER: &str = "sandbox-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

/// The PKCE S256 challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A sandbox served in-process; dropping it stops the server and deletes its
/// mailboxes directory.
pub struct Sandbox {
    pub base: String,
    pub http: reqwest::Client,
    pub mailboxes: PathBuf,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.mailboxes);
    }
}

/// A fresh path under the system temp dir, `{prefix}-{pid}-{n}`; not created.
pub fn temp_dir(prefix: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ))
}

/// Serves `mailboxes` on 127.0.0.1:0 for the test client, whose only
/// registered redirect URI is [`REDIRECT`] unless `tweak` says otherwise.
/// The HTTP client does not follow redirects.
pub async fn start_with(mailboxes: PathBuf, tweak: impl FnOnce(&mut Config)) -> Sandbox {
    let mut config = Config {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uris: vec![REDIRECT.into()],
        mailboxes_dir: mailboxes.clone(),
        ..Config::default()
    };
    tweak(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(google_sandbox::serve(listener, config));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Sandbox {
        base: format!("http://{addr}"),
        http,
        mailboxes,
        server,
    }
}

/// Starts the google-sandbox binary with `args` (which should include
/// `--listen 127.0.0.1:0`) and reads its first stdout line, the readiness
/// line; returns the child (killed on drop) and the base URL it names.
pub async fn spawn_binary(args: &[&str]) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_google-sandbox"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn google-sandbox");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("first line in time")
    .expect("read line");
    let base = line
        .trim_end()
        .strip_prefix("google-sandbox listening on ")
        .expect("readiness line")
        .to_string();
    (child, base)
}

/// `value="..."` of the first input named `name` in the consent page.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// The query pairs of a redirect's `Location`.
pub fn query_of(location: &str) -> Vec<(String, String)> {
    Url::parse(location)
        .expect("location is a URL")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn str_field<'a>(body: &'a Value, key: &str) -> &'a str {
    body[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {body}"))
}

impl Sandbox {
    pub async fn authorize(&self, params: &[(&str, String)]) -> reqwest::Response {
        self.http
            .get(format!("{}/o/oauth2/v2/auth", self.base))
            .query(params)
            .send()
            .await
            .expect("authorize request")
    }

    /// Opens the consent page and returns (consent_id, html).
    pub async fn consent_page(&self, params: &[(&str, String)]) -> (String, String) {
        let response = self.authorize(params).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.expect("html");
        let consent_id = input_value(&html, "consent_id").expect("consent_id in form");
        (consent_id, html)
    }

    /// Posts the consent form; returns the redirect's query.
    pub async fn answer(
        &self,
        consent_id: &str,
        account: &str,
        scopes: &[&str],
        action: &str,
    ) -> Vec<(String, String)> {
        let response = self.post_consent(consent_id, account, scopes, action).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers()[LOCATION].to_str().expect("location");
        assert!(
            location.starts_with(REDIRECT),
            "redirects to the registered URI: {location}"
        );
        query_of(location)
    }

    pub async fn post_consent(
        &self,
        consent_id: &str,
        account: &str,
        scopes: &[&str],
        action: &str,
    ) -> reqwest::Response {
        let mut form = vec![("consent_id", consent_id), ("account", account)];
        form.extend(scopes.iter().map(|s| ("scope", *s)));
        form.push(("action", action));
        self.http
            .post(format!("{}/o/oauth2/v2/auth/consent", self.base))
            .form(&form)
            .send()
            .await
            .expect("consent request")
    }

    /// Posts `form` to the token endpoint with the client's credentials in
    /// the body.
    pub async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut body = vec![("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)];
        body.extend_from_slice(form);
        let response = self
            .http
            .post(format!("{}/token", self.base))
            .form(&body)
            .send()
            .await
            .expect("token request");
        let status = response.status();
        (status, response.json().await.expect("token json"))
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// `POST /_sandbox/{path}`, with `body` as JSON if given; expects 200.
    pub async fn control(&self, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.post(format!("{}/_sandbox/{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("control request");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("control json")
    }
}
