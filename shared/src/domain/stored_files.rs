//! Where fetched statements are kept and the links that hand them out: the S3 key layout
//! (`temp/{connection}/{filename}`, emptied daily by the bucket's lifecycle rule) and
//! [`SignedLink`], the only place the `/v4/files/…` link format is built or read.

use super::links::LinkSigner;
use crate::error::{ApiError, ErrorCode};

/// The path every download link starts with (the `download` function's route).
pub const LINK_PATH: &str = "/v4/files/";

/// The S3 key of a stored statement.
pub fn file_key(connection_id: &str, filename: &str) -> String {
    format!("temp/{connection_id}/{filename}")
}

/// The prefix holding a connection's statements.
pub fn files_prefix(connection_id: &str) -> String {
    format!("temp/{connection_id}/")
}

/// A 24-hour download link: `{base}/v4/files/{connection_id}/{filename}?expires=…&sig=…`,
/// the signature an HMAC over `{connection_id}/{filename}` and the expiry (`links`).
/// Parsing checks only its shape; whether the signature is ours is `download`'s check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLink {
    pub connection_id: String,
    pub filename: String,
    pub expires: Option<i64>,
    pub signature: String,
}

fn invalid() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidLink,
        "This download link is invalid or has expired",
    )
}

/// A path segment we could have written: no separators, no leading dot.
fn safe(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl SignedLink {
    /// A fresh link to a stored file, valid until `expires`.
    pub fn sign(signer: &LinkSigner, connection_id: &str, filename: &str, expires: i64) -> Self {
        let mut link = Self {
            connection_id: connection_id.to_string(),
            filename: filename.to_string(),
            expires: Some(expires),
            signature: String::new(),
        };
        link.signature = signer.sign(&link.signed_path(), expires);
        link
    }

    /// From a request's path (`/v4/files/…`) and query string: 404 `NOT_FOUND` for a path
    /// outside `/v4/files/`, 403 `INVALID_LINK` for one that cannot be ours.
    pub fn parse(path: &str, query: &str) -> Result<Self, ApiError> {
        let below = path
            .strip_prefix(LINK_PATH)
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such file"))?;
        let (connection_id, filename) = below.split_once('/').ok_or_else(invalid)?;
        if !safe(connection_id) || !safe(filename) {
            return Err(invalid());
        }
        let (mut expires, mut signature) = (None, None);
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "expires" if expires.is_none() => expires = Some(v.parse::<i64>().ok()),
                "sig" if signature.is_none() => signature = Some(v.into_owned()),
                _ => {}
            }
        }
        Ok(Self {
            connection_id: connection_id.to_string(),
            filename: filename.to_string(),
            expires: expires.flatten(),
            signature: signature.unwrap_or_default(),
        })
    }

    /// A link of this service (`base` is its public base URL) given back to it, e.g. as a
    /// `pdf_url`; `None` when `url` is anyone else's.
    pub fn from_url(url: &str, base: &str) -> Option<Result<Self, ApiError>> {
        let own = format!("{}{LINK_PATH}", base.trim_end_matches('/'));
        let rest = url.strip_prefix(&own)?;
        let (below, query) = rest.split_once('?').unwrap_or((rest, ""));
        Some(Self::parse(&format!("{LINK_PATH}{below}"), query))
    }

    /// The link as handed out, on `base`.
    pub fn to_url(&self, base: &str) -> String {
        format!(
            "{base}{LINK_PATH}{}?expires={}&sig={}",
            self.signed_path(),
            self.expires.unwrap_or_default(),
            self.signature
        )
    }

    /// What the signature covers: the path below `/v4/files/`.
    pub fn signed_path(&self) -> String {
        format!("{}/{}", self.connection_id, self.filename)
    }

    /// True when the signature is ours for this file and expiry, and the expiry is ahead.
    pub fn verify(&self, signer: &LinkSigner, now: i64) -> Result<(), ApiError> {
        let expires = self.expires.ok_or_else(invalid)?;
        if signer.verify(&self.signed_path(), expires, &self.signature, now) {
            Ok(())
        } else {
            Err(invalid())
        }
    }

    /// The S3 key of the file it names.
    pub fn key(&self) -> String {
        file_key(&self.connection_id, &self.filename)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_round_trips_and_verifies_only_unchanged_and_unexpired() {
        let signer = LinkSigner::from_key(b"k");
        let link = SignedLink::sign(&signer, "c-1", "cams_20250101_abcd1234.pdf", 100);
        let url = link.to_url("https://api.example");
        assert!(url.starts_with("https://api.example/v4/files/c-1/cams_20250101_abcd1234.pdf?"));
        let back = SignedLink::from_url(&url, "https://api.example/")
            .unwrap()
            .unwrap();
        assert_eq!(back, link);
        assert!(back.verify(&signer, 99).is_ok());
        assert!(back.verify(&signer, 100).is_err());
        let mut other = back.clone();
        other.filename = "cdsl_20250101_abcd1234.pdf".into();
        assert!(other.verify(&signer, 1).is_err());
        assert_eq!(back.key(), "temp/c-1/cams_20250101_abcd1234.pdf");
        assert!(
            SignedLink::from_url("https://elsewhere/v4/files/c/f", "https://api.example").is_none()
        );
    }

    #[test]
    fn only_plain_names_parse() {
        for bad in [
            "/v4/files/c",
            "/v4/files/../x",
            "/v4/files/c/.env",
            "/v4/files/c/a/b",
            "/v4/files//f",
        ] {
            assert_eq!(
                SignedLink::parse(bad, "").unwrap_err().code,
                ErrorCode::InvalidLink,
                "{bad}"
            );
        }
        assert_eq!(
            SignedLink::parse("/v4/other/c/f", "").unwrap_err().code,
            ErrorCode::NotFound
        );
        let link = SignedLink::parse("/v4/files/c/f.pdf", "expires=x&sig=ab&sig=cd").unwrap();
        assert_eq!((link.expires, link.signature.as_str()), (None, "ab"));
    }
}
