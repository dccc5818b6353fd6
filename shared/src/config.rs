//! Configuration, read once per cold start from the environment.

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub kms_key_id: String,
    /// Secrets Manager id of the inbox_token HMAC key ring (`keyring`). Only functions that
    /// issue or verify inbox tokens are given it (template.yaml) and read it.
    pub inbox_token_secret_id: Option<String>,
    /// Secrets Manager id of `{"client_id", "client_secret"}` for Google. Only functions that
    /// talk to Google are given it; `parse` and `download` are not.
    pub google_client_secret_id: Option<String>,
    /// Secrets Manager id of the download links' HMAC key ring (its own secret, not derived
    /// from the inbox-token key).
    pub download_link_secret_id: Option<String>,
    /// S3 bucket where fetched statements wait (a lifecycle rule empties `temp/` daily).
    pub files_bucket: String,
    pub google_urls: GoogleUrls,
    /// The API's public base URL (e.g. a custom domain); when unset it is taken from the
    /// request's Host header.
    pub public_base_url: Option<String>,
    pub inbox_token_ttl_seconds: i64,
    pub oauth_state_ttl_seconds: i64,
    /// `ALLOW_LOCAL_PDF_URLS=true` lets `pdf_url` reach loopback/private hosts over http:
    /// for local runs and tests only.
    pub allow_local_pdf_urls: bool,
}

pub const DEFAULT_INBOX_TOKEN_TTL_SECONDS: i64 = 90 * 24 * 3600;
pub const DEFAULT_OAUTH_STATE_TTL_SECONDS: i64 = 600;

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// `lookup` answers an environment variable's value; separate for tests.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let required = |name: &str| {
            lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))
        };
        let seconds = |name: &str, default: i64| -> Result<i64, String> {
            match lookup(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<i64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{name} must be a positive number of seconds")),
            }
        };
        // GOOGLE_BASE_URL points every Google endpoint at one host (the sandbox); the specific
        // variables override single endpoints.
        let base = lookup("GOOGLE_BASE_URL")
            .map(|b| GoogleUrls::sandbox(&b))
            .unwrap_or_default();
        let google_urls = GoogleUrls {
            auth: lookup("GOOGLE_AUTH_URL").unwrap_or(base.auth),
            token: lookup("GOOGLE_TOKEN_URL").unwrap_or(base.token),
            revoke: lookup("GOOGLE_REVOKE_URL").unwrap_or(base.revoke),
            gmail: lookup("GMAIL_API_URL").unwrap_or(base.gmail),
        };
        for url in [
            &google_urls.auth,
            &google_urls.token,
            &google_urls.revoke,
            &google_urls.gmail,
        ] {
            url::Url::parse(url).map_err(|_| format!("Google URL {url} is not a valid URL"))?;
        }
        let public_base_url =
            lookup("PUBLIC_BASE_URL").map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &public_base_url {
            url::Url::parse(u).map_err(|_| format!("PUBLIC_BASE_URL {u} is not a valid URL"))?;
        }
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            kms_key_id: required("KMS_KEY_ID")?,
            inbox_token_secret_id: lookup("INBOX_TOKEN_SECRET_ID"),
            google_client_secret_id: lookup("GOOGLE_CLIENT_SECRET_ID"),
            download_link_secret_id: lookup("DOWNLOAD_LINK_SECRET_ID"),
            files_bucket: required("FILES_BUCKET")?,
            google_urls,
            public_base_url,
            inbox_token_ttl_seconds: seconds(
                "INBOX_TOKEN_TTL_SECONDS",
                DEFAULT_INBOX_TOKEN_TTL_SECONDS,
            )?,
            oauth_state_ttl_seconds: seconds(
                "OAUTH_STATE_TTL_SECONDS",
                DEFAULT_OAUTH_STATE_TTL_SECONDS,
            )?,
            allow_local_pdf_urls: lookup("ALLOW_LOCAL_PDF_URLS")
                .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1"),
        })
    }
}

/// Google's endpoints: the real ones by default, or the sandbox's (`GOOGLE_BASE_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleUrls {
    pub auth: String,
    pub token: String,
    pub revoke: String,
    /// Base of the Gmail REST API, e.g. `https://gmail.googleapis.com`.
    pub gmail: String,
}

impl Default for GoogleUrls {
    fn default() -> Self {
        Self {
            auth: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token: "https://oauth2.googleapis.com/token".into(),
            revoke: "https://oauth2.googleapis.com/revoke".into(),
            gmail: "https://gmail.googleapis.com".into(),
        }
    }
}

impl GoogleUrls {
    /// All endpoints on one host, the way the Google sandbox serves them.
    pub fn sandbox(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            auth: format!("{base}/o/oauth2/v2/auth"),
            token: format!("{base}/token"),
            revoke: format!("{base}/revoke"),
            gmail: base.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const BASE: [(&str, &str); 6] = [
        ("FILES_BUCKET", "b"),
        ("TABLE_NAME", "t"),
        ("KMS_KEY_ID", "alias/k"),
        ("INBOX_TOKEN_SECRET_ID", "s1"),
        ("DOWNLOAD_LINK_SECRET_ID", "s3"),
        ("GOOGLE_CLIENT_SECRET_ID", "s2"),
    ];

    #[test]
    fn defaults_to_googles_real_endpoints() {
        let c = Config::from_lookup(env(&BASE)).unwrap();
        assert_eq!(c.google_urls, GoogleUrls::default());
        assert_eq!(c.oauth_state_ttl_seconds, 600);
        assert_eq!(c.public_base_url, None);
    }

    #[test]
    fn sandbox_base_url_moves_every_endpoint() {
        let mut vars = BASE.to_vec();
        vars.push(("GOOGLE_BASE_URL", "http://127.0.0.1:9100/"));
        vars.push(("PUBLIC_BASE_URL", "http://127.0.0.1:9000/"));
        let c = Config::from_lookup(env(&vars)).unwrap();
        assert_eq!(c.google_urls.token, "http://127.0.0.1:9100/token");
        assert_eq!(c.google_urls.gmail, "http://127.0.0.1:9100");
        assert_eq!(c.public_base_url.as_deref(), Some("http://127.0.0.1:9000"));
    }

    #[test]
    fn secret_ids_are_optional_here_and_required_by_the_functions_that_use_them() {
        let c = Config::from_lookup(env(&BASE[..5])).unwrap();
        assert_eq!(c.google_client_secret_id, None);
        assert_eq!(c.download_link_secret_id.as_deref(), Some("s3"));
    }

    #[test]
    fn names_what_is_missing_or_wrong() {
        let err = Config::from_lookup(env(&BASE[1..])).unwrap_err();
        assert!(err.contains("FILES_BUCKET"), "{err}");
        let mut vars = BASE.to_vec();
        vars.push(("OAUTH_STATE_TTL_SECONDS", "-5"));
        assert!(Config::from_lookup(env(&vars)).is_err());
    }
}
