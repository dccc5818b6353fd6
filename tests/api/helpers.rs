//! `TestApp`: moto and the Google sandbox as real processes on free loopback ports, the
//! functions' handlers behind a small HTTP front that turns requests into `lambda_http`
//! requests the way API Gateway does, and a client that talks to it. Dropping it stops what
//! it started (by pid).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use cas_inbox::adapters::google::GoogleUrls;
use cas_inbox::adapters::provision;
use cas_inbox::app::{App, Clients};
use cas_inbox::config::{Config, DEFAULT_INBOX_TOKEN_TTL_SECONDS};
use cas_inbox::domain::ports::Clock;
use cas_inbox::domain::tenants;
use cas_inbox::{handlers, routes};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";
pub const DEMO_EMAIL: &str = "demo.investor@gmail.com";
pub const SECOND_EMAIL: &str = "second.investor@gmail.com";
pub const CLIENT_ID: &str = "test-client.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "test-client-secret";

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `target/debug` (or wherever this test binary was built): the workspace's binaries.
pub fn target_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make test` (it builds the workspace's binaries first)",
        path.display()
    );
    path
}

pub fn venv_bin(name: &str) -> PathBuf {
    let path = workspace_root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make test` (it creates .venv)",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A child process killed (by pid) when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn wait_http(url: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let client = reqwest::Client::new();
    while Instant::now() < deadline {
        if client.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not answer at {url}");
}

/// moto_server through infra/moto_server.py, which makes SendMessage's cost independent of the
/// queue's length (moto 5.2.5 walks every queued message per message sent; the file says more).
pub async fn start_moto() -> (Process, String) {
    let port = free_port();
    let child = Command::new(venv_bin("python"))
        .arg(workspace_root().join("infra/moto_server.py"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let url = format!("http://127.0.0.1:{port}");
    let process = Process(child);
    wait_http(&format!("{url}/moto-api/"), "moto").await;
    (process, url)
}

/// Starts the sandbox binary with `--listen 127.0.0.1:0` and reads its address.
pub fn start_sandbox(redirect_uri: &str, mailboxes: Option<&std::path::Path>) -> (Process, String) {
    let mut command = Command::new(target_bin("google-sandbox"));
    if let Some(dir) = mailboxes {
        command.arg("--mailboxes").arg(dir);
    }
    let mut child = command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--redirect-uri",
            redirect_uri,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start google-sandbox");
    let stdout = child.stdout.take().expect("sandbox stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("sandbox prints its address");
    let url = line
        .trim()
        .strip_prefix("google-sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected sandbox banner {line:?}"))
        .to_string();
    (Process(child), url)
}

pub fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-south-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::for_tests(),
        ))
        .http_client(cas_inbox::adapters::aws_http::client())
        .build()
}

/// The system clock plus an offset the test can move forward.
#[derive(Default)]
pub struct TestClock {
    offset: AtomicI64,
}

impl TestClock {
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        cas_inbox::domain::ports::SystemClock.now() + self.offset.load(Ordering::SeqCst)
    }
}

pub struct TestApp {
    pub base_url: String,
    pub sandbox_url: String,
    pub api_key: String,
    pub tenant_id: String,
    pub sdk: SdkConfig,
    pub config: Config,
    pub clock: Arc<TestClock>,
    pub app: Arc<App>,
    pub http: reqwest::Client,
    _front: tokio::task::JoinHandle<()>,
    _sandbox: Process,
    _moto: Process,
}

pub struct Connected {
    pub inbox_token: String,
    pub email: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(None).await
    }

    /// With the sandbox serving the mailboxes in `dir` (one folder per account).
    pub async fn spawn_with(mailboxes: Option<&std::path::Path>) -> Self {
        let (moto, moto_url) = start_moto().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind front");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let (sandbox, sandbox_url) =
            start_sandbox(&format!("{base_url}/v4/inbox/callback"), mailboxes);
        wait_http(&format!("{sandbox_url}/_sandbox/health"), "google-sandbox").await;

        let sdk = sdk_config(&moto_url);
        let resources = provision::Resources {
            table_name: "cas-inbox-test".into(),
            kms_alias: "alias/cas-inbox-test".into(),
            inbox_token_secret_id: "cas-inbox/test/inbox-token-key".into(),
            google_client_secret_id: "cas-inbox/test/google-oauth-client".into(),
            download_link_secret_id: "cas-inbox/test/download-link-key".into(),
            files_bucket: "cas-inbox-test-files".into(),
        };
        provision::ensure_resources(&sdk, &resources, CLIENT_ID, CLIENT_SECRET)
            .await
            .expect("provision moto");
        let config = Config {
            table_name: resources.table_name.clone(),
            kms_key_id: resources.kms_alias.clone(),
            inbox_token_secret_id: Some(resources.inbox_token_secret_id.clone()),
            google_client_secret_id: Some(resources.google_client_secret_id.clone()),
            download_link_secret_id: Some(resources.download_link_secret_id.clone()),
            files_bucket: resources.files_bucket.clone(),
            google_urls: GoogleUrls::sandbox(&sandbox_url),
            public_base_url: None,
            inbox_token_ttl_seconds: DEFAULT_INBOX_TOKEN_TTL_SECONDS,
            oauth_state_ttl_seconds: 600,
            allow_local_pdf_urls: true,
        };
        let clock = Arc::new(TestClock::default());
        let app = Arc::new(
            App::build(&config, &Clients::all(&sdk), clock.clone())
                .await
                .expect("build the app"),
        );
        let created = tenants::create_tenant(
            app.inbox.store.as_ref(),
            "Test tenant",
            &[REDIRECT_URI.to_string()],
            Decimal::from(10),
            None,
            clock.now(),
        )
        .await
        .expect("create tenant");
        // The front hands each route to its function's own app, built as its binary builds it.
        let apps = function_apps(&config, &sdk, clock.clone()).await;
        let front = tokio::spawn(serve_front(listener, Arc::new(apps)));
        Self {
            base_url,
            sandbox_url,
            api_key: created.key.expose().to_string(),
            tenant_id: created.tenant.id,
            sdk,
            config,
            clock,
            app,
            http: no_redirect_client(),
            _front: front,
            _sandbox: sandbox,
            _moto: moto,
        }
    }

    /// Another tenant with its own key, registered for the same redirect URI.
    pub async fn second_tenant(&self) -> (String, String) {
        let created = tenants::create_tenant(
            self.app.inbox.store.as_ref(),
            "Other tenant",
            &[REDIRECT_URI.to_string()],
            Decimal::from(10),
            None,
            self.clock.now(),
        )
        .await
        .expect("create second tenant");
        (created.key.expose().to_string(), created.tenant.id)
    }

    pub async fn post(
        &self,
        path: &str,
        api_key: Option<&str>,
        inbox_token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.base_url));
        if let Some(k) = api_key {
            req = req.header("x-api-key", k);
        }
        if let Some(t) = inbox_token {
            req = req.header("x-inbox-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub async fn connect_url(&self, api_key: &str, state: Option<&str>) -> String {
        let mut body = serde_json::json!({ "redirect_uri": REDIRECT_URI });
        if let Some(s) = state {
            body["state"] = s.into();
        }
        let res = self
            .post("/v4/inbox/connect", Some(api_key), None, Some(body))
            .await;
        assert_eq!(res.status(), 200);
        let json: serde_json::Value = res.json().await.expect("json");
        json["oauth_url"].as_str().expect("oauth_url").to_string()
    }

    /// Walks the consent like a browser without JavaScript: open the page, submit the form.
    /// Returns the callback URL Google sent the browser to.
    pub async fn consent(
        &self,
        oauth_url: &str,
        account: &str,
        action: &str,
        scopes: Option<&[&str]>,
    ) -> String {
        let page = self.http.get(oauth_url).send().await.expect("consent page");
        assert_eq!(page.status(), 200, "consent page");
        let html = page.text().await.expect("html");
        let consent_id = attr_after(&html, "name=\"consent_id\" value=\"").expect("consent_id");
        let offered: Vec<String> = values_of(&html, "name=\"scope\" value=\"");
        let mut form: Vec<(String, String)> = vec![
            ("consent_id".into(), consent_id),
            ("account".into(), account.into()),
            ("action".into(), action.into()),
        ];
        for scope in offered {
            if scopes.is_none_or(|keep| keep.contains(&scope.as_str())) {
                form.push(("scope".into(), scope));
            }
        }
        let action_url = format!("{}/o/oauth2/v2/auth/consent", self.sandbox_url);
        let res = self
            .http
            .post(action_url)
            .form(&form)
            .send()
            .await
            .expect("submit consent");
        assert_eq!(res.status(), 302, "consent answers with a redirect");
        location(&res)
    }

    /// Follows Google's redirect to our callback; returns the callback's response.
    pub async fn follow(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.expect("callback")
    }

    /// The whole consent flow for `account`; asserts it lands on the app with a token.
    pub async fn connect_inbox_as(&self, api_key: &str, account: &str) -> Connected {
        let oauth_url = self.connect_url(api_key, Some("app-state-123")).await;
        let callback = self.consent(&oauth_url, account, "allow", None).await;
        let res = self.follow(&callback).await;
        assert_eq!(res.status(), 302, "callback redirects to the app");
        let landing = url::Url::parse(&location(&res)).expect("landing url");
        assert!(landing.as_str().starts_with(REDIRECT_URI), "{landing}");
        let q = query_map(&landing);
        assert_eq!(q.get("state").map(String::as_str), Some("app-state-123"));
        Connected {
            inbox_token: q
                .get("inbox_token")
                .cloned()
                .unwrap_or_else(|| panic!("no inbox_token in {landing}")),
            email: q.get("email").cloned().expect("email"),
        }
    }

    pub async fn connect_inbox(&self) -> Connected {
        self.connect_inbox_as(&self.api_key, DEMO_EMAIL).await
    }

    /// Google goes away: the sandbox process is stopped.
    pub fn stop_sandbox(&mut self) {
        let _ = self._sandbox.0.kill();
        let _ = self._sandbox.0.wait();
    }

    /// How many 429s the sandbox served for quota (a benchmark and tests assert zero).
    pub async fn quota_violations(&self) -> u64 {
        let v: serde_json::Value = self
            .http
            .post(format!("{}/_sandbox/quota", self.sandbox_url))
            .send()
            .await
            .expect("quota")
            .json()
            .await
            .expect("quota json");
        v["violations"].as_u64().expect("violations")
    }

    /// Authorised Gmail calls the sandbox served so far, per method (`GetAttachment`, …).
    pub async fn sandbox_calls(&self, method: &str) -> u64 {
        let calls: serde_json::Value = self
            .http
            .get(format!("{}/_sandbox/calls", self.sandbox_url))
            .send()
            .await
            .expect("calls")
            .json()
            .await
            .expect("calls json");
        calls[method].as_u64().unwrap_or(0)
    }

    pub async fn sandbox_grants(&self) -> Vec<serde_json::Value> {
        self.http
            .get(format!("{}/_sandbox/grants", self.sandbox_url))
            .send()
            .await
            .expect("grants")
            .json()
            .await
            .expect("grants json")
    }

    pub async fn sandbox_control(&self, path: &str) {
        let res = self
            .http
            .post(format!("{}{path}", self.sandbox_url))
            .send()
            .await
            .expect("control");
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    /// Every item of the table, as DynamoDB holds it.
    pub async fn scan_table(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        aws_sdk_dynamodb::Client::new(&self.sdk)
            .scan()
            .table_name(&self.config.table_name)
            .send()
            .await
            .expect("scan")
            .items
            .unwrap_or_default()
    }
}

pub fn no_redirect_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location header")
        .to_string()
}

pub fn query_map(url: &url::Url) -> std::collections::HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn attr_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

fn values_of(html: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(v) = attr_after(rest, marker) {
        out.push(v);
        let at = rest
            .find(marker)
            .map(|i| i + marker.len())
            .unwrap_or(rest.len());
        rest = &rest[at..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let json: serde_json::Value = res.json().await.expect("error body is JSON");
    assert_eq!(json["status"], "failed", "{json}");
    assert!(
        json["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "error has a message: {json}"
    );
    (status, json["code"].as_str().expect("code").to_string())
}

/// Another front on a free port, serving `app` (e.g. rebuilt after a key rotation, as a
/// function's next cold start would be). Returns its base URL.
pub async fn spawn_front(app: Arc<App>) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind front");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let apps = routes::ROUTES
        .iter()
        .map(|route| (route.function, app.clone()))
        .collect();
    (
        base_url,
        tokio::spawn(serve_front(listener, Arc::new(apps))),
    )
}

/// Each function's app as its binary builds it (`runtime::run`): its secrets and only its
/// adapters (`runtime::wiring`), so that a route whose handler reaches an adapter its function
/// is built without (`adapters::Unavailable`) fails here as it would deployed.
async fn function_apps(
    config: &Config,
    sdk: &SdkConfig,
    clock: Arc<TestClock>,
) -> HashMap<&'static str, Arc<App>> {
    use cas_inbox::runtime::wiring::{
        Callback, Cas, Connect, Disconnect, Download, Parse, Status, Token,
    };
    let clock: Arc<dyn Clock> = clock;
    let mut apps = HashMap::new();
    macro_rules! build {
        ($($function:literal => $wiring:ty),*) => {$(
            let app = App::build_for::<$wiring>(config, sdk, clock.clone())
                .await
                .expect($function);
            apps.insert($function, Arc::new(app));
        )*};
    }
    build!(
        "connect" => Connect,
        "callback" => Callback,
        "status" => Status,
        "disconnect" => Disconnect,
        "token" => Token,
        "cas" => Cas,
        "parse" => Parse,
        "download" => Download
    );
    apps
}

/// The HTTP front: routes by `cas_inbox::routes` (the HttpApi in template.yaml) and hands each request to the
/// function's handler as a `lambda_http::Request`.
async fn serve_front(
    listener: tokio::net::TcpListener,
    apps: Arc<HashMap<&'static str, Arc<App>>>,
) {
    let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let apps = apps.clone();
        async move { route(&apps, req).await }
    });
    let _ = axum::serve(listener, router).await;
}

async fn route(
    apps: &HashMap<&'static str, Arc<App>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::body::Body as AxumBody;
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 10 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => lambda_http::Body::Text(text),
            Err(_) => lambda_http::Body::Binary(bytes.to_vec()),
        }
    };
    let request = http::Request::from_parts(parts, body);
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let handler = routes::find(method.as_str(), &path).and_then(|route| {
        Some((
            handlers::handler_of(route.function)?,
            apps.get(route.function)?,
        ))
    });
    let response = match handler {
        Some((handler, app)) => handler(app.clone(), request).await,
        // API Gateway's own answer for a route it does not have.
        None => {
            return axum::response::Response::builder()
                .status(404)
                .header("content-type", "application/json")
                .body(AxumBody::from(r#"{"message":"Not Found"}"#))
                .expect("404");
        }
    };
    let (parts, body) = response.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    axum::response::Response::from_parts(parts, AxumBody::from(bytes))
}
