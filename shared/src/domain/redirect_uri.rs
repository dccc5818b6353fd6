//! `RedirectUri`: an app's OAuth landing page, valid by construction.

use std::fmt;
use url::{Host, Url};

/// An absolute `https` URL (or `http` on a loopback host, for local development) without a
/// fragment or credentials. Registered URIs and requested ones are compared exactly, as Google
/// compares its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

const MAX_LEN: usize = 2048;

impl RedirectUri {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("redirect_uri is empty".into());
        }
        if raw.len() > MAX_LEN {
            return Err(format!("redirect_uri is longer than {MAX_LEN} characters"));
        }
        let url =
            Url::parse(raw).map_err(|_| "redirect_uri must be an absolute URL".to_string())?;
        if url.fragment().is_some() {
            return Err("redirect_uri must not contain a #fragment".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("redirect_uri must not contain credentials".into());
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(
                    "redirect_uri must use https (http is allowed only on loopback)".into(),
                );
            }
            _ => return Err("redirect_uri must be an https URL".into()),
        }
        if url.host().is_none() {
            return Err("redirect_uri must name a host".into());
        }
        // Keep the caller's exact spelling: registration and comparison are byte for byte.
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This URI with extra query parameters appended (existing ones kept).
    pub fn with_params(&self, params: &[(&str, &str)]) -> String {
        // The URI parsed when it was built, so this cannot fail; fall back to the raw string.
        let Ok(mut url) = Url::parse(&self.0) else {
            return self.0.clone();
        };
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in params {
                query.append_pair(k, v);
            }
        }
        url.into()
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://yourapp.com/oauth/callback",
            "https://app.example.in:8443/cb?x=1",
            "http://127.0.0.1:8765/callback",
            "http://localhost:8765/callback",
            "http://[::1]:8765/callback",
        ] {
            assert_eq!(RedirectUri::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_what_is_not_a_safe_absolute_url() {
        for bad in [
            "",
            "/oauth/callback",
            "yourapp.com/callback",
            "http://yourapp.com/callback",
            "http://10.0.0.1/callback",
            "ftp://yourapp.com/callback",
            "javascript:alert(1)",
            "https://yourapp.com/cb#frag",
            "https://user:pw@yourapp.com/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert!(RedirectUri::parse(&format!("https://a.com/{}", "x".repeat(3000))).is_err());
    }

    #[test]
    fn appends_params_keeping_existing_ones() {
        let uri = RedirectUri::parse("https://app.com/cb?tenant=7").unwrap();
        assert_eq!(
            uri.with_params(&[("inbox_token", "a.b.c"), ("state", "x y&z")]),
            "https://app.com/cb?tenant=7&inbox_token=a.b.c&state=x+y%26z"
        );
    }
}
