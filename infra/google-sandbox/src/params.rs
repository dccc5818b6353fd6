//! `application/x-www-form-urlencoded` parameters (query strings and form bodies).
//!
//! serde_urlencoded keeps only one value per key, but Google's endpoints take
//! repeated keys (the consent form's `scope`, and later Gmail's `labelIds` /
//! `metadataHeaders`), so parameters are kept as an ordered list of pairs.

use url::form_urlencoded;

#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(input: &[u8]) -> Self {
        Params(form_urlencoded::parse(input).into_owned().collect())
    }

    pub fn from_query(query: Option<&str>) -> Self {
        Self::parse(query.unwrap_or_default().as_bytes())
    }

    /// The first value of `key`. Empty values count as absent, as a missing
    /// `scope=` or `client_id=` is treated by Google like a missing parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every non-empty value of a repeated `key`, in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Whether a boolean flag such as `include_granted_scopes=true` is set.
    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space,
/// `%XX` a byte). HTTP Basic client credentials are encoded this way
/// (RFC 6749 §2.3.1), and a raw `=` or `&` in them must not split anything.
pub fn form_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_all_kept() {
        let p = Params::parse(
            b"consent_id=abc&scope=openid&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.readonly&action=allow",
        );
        assert_eq!(p.get("consent_id"), Some("abc"));
        assert_eq!(
            p.get_all("scope").collect::<Vec<_>>(),
            vec!["openid", "https://www.googleapis.com/auth/gmail.readonly"]
        );
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn empty_values_count_as_absent() {
        let p = Params::from_query(Some("scope=&state=x"));
        assert_eq!(p.get("scope"), None);
        assert_eq!(p.get("state"), Some("x"));
        assert_eq!(Params::from_query(None).get("state"), None);
    }

    #[test]
    fn flags() {
        let p = Params::from_query(Some("include_granted_scopes=true&other=false"));
        assert!(p.flag("include_granted_scopes"));
        assert!(!p.flag("other"));
        assert!(!p.flag("absent"));
    }

    #[test]
    fn form_decode_handles_escapes_and_garbage() {
        assert_eq!(form_decode("a+b%3Dc%26"), "a b=c&");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
        assert_eq!(form_decode("%ff"), "\u{fffd}");
    }
}
