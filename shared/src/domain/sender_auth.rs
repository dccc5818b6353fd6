//! Was a CAS mail really sent by its registrar? Gmail's answer, read from the
//! `Authentication-Results` header (RFC 8601) its receiving server adds:
//!
//! ```text
//! Authentication-Results: mx.google.com;
//!        dkim=pass header.i=@camsonline.com header.s=s1 header.b=Ab1Cd2Ef;
//!        spf=pass (google.com: domain of donotreply@camsonline.com designates 203.0.113.7 as
//!        permitted sender) smtp.mailfrom=donotreply@camsonline.com;
//!        dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=camsonline.com
//! ```
//!
//! **Which header counts.** Anyone can write `Authentication-Results` lines into the mail they
//! send, including ones that claim `mx.google.com`. Receiving servers add their trace headers at
//! the top of the header section (RFC 8601 §7.1, RFC 5321 §4.4: "the first one encountered is the
//! most recent"), and Gmail lists a message's headers in `users.messages.get` in the order they
//! appear. So only the **topmost** `Authentication-Results` of the mail itself (the root part's
//! headers, never those of a mail attached inside it) is Gmail's, and it must carry the
//! authserv-id `mx.google.com`. Every header below it is whatever arrived with the mail and is
//! ignored, whatever it claims; a topmost header with another authserv-id means Gmail's is not
//! there (the mail did not come in through Gmail's MX) and nothing is verified.
//!
//! **What passes.** The mail's `From` domain must be one of the registrar's domains for the
//! file's `cas_type`, and either a DKIM result `pass` whose signing domain (`header.d`, or the
//! domain of `header.i`) is aligned with one of those domains, or an SPF result `pass` whose
//! `smtp.mailfrom` domain is aligned with one. Alignment is DMARC's relaxed alignment (RFC 7489
//! §3.1.1): the two domains have the same organizational domain. Each registrar domain here is
//! itself an organizational domain (`nsdl.co.in` sits right under the public suffix `co.in`), so
//! a domain is aligned when it is that domain or a subdomain of it (`mailer.camsonline.com`); a
//! parent of it (`com`, `co.in`) is a public suffix and never aligned.
//!
//! The parser is total: any string (broken comments, unterminated quotes, control characters,
//! any Unicode) reads as some list of results or none, never a panic.

use super::cas_mail::{address_of, registrar_domains};
use cas_parser::Issuer;

/// The authserv-id Gmail's receiving servers put first in their `Authentication-Results`.
pub const GMAIL_AUTHSERV_ID: &str = "mx.google.com";

/// One `method=result` with its properties, lower-cased where RFC 8601 says case does not
/// matter (method, result, property names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// `dkim`, `spf`, `dmarc`, … (a `/version` suffix removed).
    pub method: String,
    /// `pass`, `fail`, `softfail`, `neutral`, `none`, …
    pub result: String,
    /// `(ptype.property, value)`, e.g. `("header.i", "@camsonline.com")`; also `reason`.
    pub properties: Vec<(String, String)>,
}

impl MethodResult {
    fn property(&self, name: &str) -> impl Iterator<Item = &str> {
        self.properties
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One `Authentication-Results` header, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// Who made the checks, lower case: `mx.google.com` for Gmail.
    pub authserv_id: String,
    pub results: Vec<MethodResult>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Equals,
    Semicolon,
}

/// Tokens of a header value: comments `( … )` (nested, with `\` escapes) are dropped as white
/// space, quoted strings are part of the word they are in (unquoted, `;` and `=` inside them
/// are text), `;` and `=` outside them separate. Unbalanced comments or quotes simply run to
/// the end of the value.
fn tokens(value: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = value.chars();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if !word.is_empty() {
            out.push(Token::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                flush(&mut word, &mut out);
                let mut depth = 1usize;
                while depth > 0 {
                    match chars.next() {
                        Some('\\') => {
                            chars.next();
                        }
                        Some('(') => depth += 1,
                        Some(')') => depth -= 1,
                        Some(_) => {}
                        None => break,
                    }
                }
            }
            '"' => loop {
                match chars.next() {
                    Some('\\') => {
                        if let Some(escaped) = chars.next() {
                            word.push(escaped);
                        }
                    }
                    Some('"') | None => break,
                    Some(other) => word.push(other),
                }
            },
            ';' => {
                flush(&mut word, &mut out);
                out.push(Token::Semicolon);
            }
            '=' => {
                flush(&mut word, &mut out);
                out.push(Token::Equals);
            }
            c if c.is_whitespace() || c.is_control() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Reads one `Authentication-Results` value; `None` when it names no authserv-id.
pub fn parse(value: &str) -> Option<AuthResults> {
    let tokens = tokens(value);
    let mut segments = tokens.split(|t| *t == Token::Semicolon);
    // authserv-id [version]
    let authserv_id = match segments.next()?.first()? {
        Token::Word(id) => id.to_ascii_lowercase(),
        _ => return None,
    };
    let mut results = Vec::new();
    for segment in segments {
        // `word = word` pairs; anything else in between (a stray `=`, a version number) is
        // skipped.
        let mut pairs = Vec::new();
        let mut i = 0;
        while i < segment.len() {
            if let [Token::Word(key), Token::Equals, Token::Word(value), ..] = &segment[i..] {
                pairs.push((key.to_ascii_lowercase(), value.clone()));
                i += 3;
            } else {
                i += 1;
            }
        }
        let mut pairs = pairs.into_iter();
        let Some((method, result)) = pairs.next() else {
            // `none` (no checks made) or noise.
            continue;
        };
        let method = method.split('/').next().unwrap_or_default().to_string();
        results.push(MethodResult {
            method,
            result: result.to_ascii_lowercase(),
            properties: pairs.collect(),
        });
    }
    Some(AuthResults {
        authserv_id,
        results,
    })
}

/// The domain of an identity: `@camsonline.com`, `donotreply@camsonline.com` or
/// `camsonline.com` → `camsonline.com` (lower case, a trailing dot dropped).
fn domain_of(identity: &str) -> String {
    let domain = identity.rsplit('@').next().unwrap_or_default();
    domain
        .trim()
        .trim_end_matches('.')
        .trim_matches(|c| c == '<' || c == '>')
        .to_ascii_lowercase()
}

/// DMARC relaxed alignment against an organizational domain: the same domain or a subdomain.
pub fn aligned(domain: &str, organizational: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let organizational = organizational.to_ascii_lowercase();
    !domain.is_empty()
        && (domain == organizational
            || domain
                .strip_suffix(&organizational)
                .is_some_and(|head| head.ends_with('.') && head.len() > 1))
}

fn aligned_with_any(domain: &str, domains: &[&str]) -> bool {
    domains.iter().any(|d| aligned(domain, d))
}

/// Whether Gmail's own checks show the mail came from `cas_type`'s registrar.
///
/// `authentication_results` are the mail's `Authentication-Results` values in header order,
/// topmost first; `from` is its `From` header.
pub fn sender_verified(authentication_results: &[String], from: &str, cas_type: Issuer) -> bool {
    let domains = registrar_domains(cas_type);
    if !aligned_with_any(&domain_of(address_of(from)), &domains) {
        return false;
    }
    let Some(gmail) = authentication_results.first().and_then(|v| parse(v)) else {
        return false;
    };
    if gmail.authserv_id != GMAIL_AUTHSERV_ID {
        return false;
    }
    gmail.results.iter().any(|r| {
        if r.result != "pass" {
            return false;
        }
        match r.method.as_str() {
            "dkim" => r
                .property("header.d")
                .chain(r.property("header.i"))
                .any(|identity| aligned_with_any(&domain_of(identity), &domains)),
            "spf" => r
                .property("smtp.mailfrom")
                .any(|identity| aligned_with_any(&domain_of(identity), &domains)),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const CAMS_FROM: &str = "CAMS Mailback <donotreply@camsonline.com>";

    fn gmail(results: &str) -> String {
        format!("mx.google.com;\r\n       {results}")
    }

    const GENUINE: &str = "dkim=pass header.i=@camsonline.com header.s=s1 header.b=Ab1Cd2Ef;\r\n       spf=pass (google.com: domain of donotreply@camsonline.com designates 203.0.113.7 as permitted sender) smtp.mailfrom=donotreply@camsonline.com;\r\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=camsonline.com";

    fn verified(headers: &[&str], from: &str, t: Issuer) -> bool {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        sender_verified(&headers, from, t)
    }

    #[test]
    fn reads_gmails_header() {
        let read = parse(&gmail(GENUINE)).unwrap();
        assert_eq!(read.authserv_id, "mx.google.com");
        let methods: Vec<(&str, &str)> = read
            .results
            .iter()
            .map(|r| (r.method.as_str(), r.result.as_str()))
            .collect();
        assert_eq!(
            methods,
            [("dkim", "pass"), ("spf", "pass"), ("dmarc", "pass")]
        );
        assert_eq!(
            read.results[0].properties,
            [
                ("header.i".to_string(), "@camsonline.com".to_string()),
                ("header.s".to_string(), "s1".to_string()),
                ("header.b".to_string(), "Ab1Cd2Ef".to_string()),
            ]
        );
        assert_eq!(
            read.results[1].properties,
            [(
                "smtp.mailfrom".to_string(),
                "donotreply@camsonline.com".to_string()
            )]
        );
    }

    #[test]
    fn reads_rfc8601_syntax_comments_quotes_versions_and_spacing() {
        let read = parse(
            "MX.Google.COM 1 (the (nested) comment); DKIM/1 = Pass (good \\) sig) header.d = \"nsdl.co.in\" header.b=abc+/=;\
             spf=fail reason=\"a; b=c\" smtp.mailfrom=x@y.example; none",
        )
        .unwrap();
        assert_eq!(read.authserv_id, "mx.google.com");
        assert_eq!(read.results[0].method, "dkim");
        assert_eq!(read.results[0].result, "pass");
        assert_eq!(
            read.results[0].property("header.d").collect::<Vec<_>>(),
            ["nsdl.co.in"]
        );
        assert_eq!(read.results[1].method, "spf");
        assert_eq!(
            read.results[1].property("reason").collect::<Vec<_>>(),
            ["a; b=c"]
        );
        assert_eq!(read.results.len(), 2);
        assert_eq!(parse("mx.google.com; none").unwrap().results, []);
        assert_eq!(parse(""), None);
        assert_eq!(parse("  (only a comment)"), None);
    }

    #[test]
    fn dkim_or_spf_aligned_with_the_registrar_verifies() {
        let t = Issuer::Cams;
        assert!(verified(&[&gmail(GENUINE)], CAMS_FROM, t));
        // DKIM alone, by header.d or by header.i, from a subdomain too.
        for dkim in [
            "dkim=pass header.d=camsonline.com header.s=s1",
            "dkim=pass header.i=donotreply@camsonline.com",
            "dkim=pass header.i=@mailer.camsonline.com",
            "dkim=fail header.d=evil.example; dkim=pass header.d=CAMSONLINE.COM.",
        ] {
            assert!(verified(&[&gmail(dkim)], CAMS_FROM, t), "{dkim}");
        }
        // SPF alone.
        let spf = "dkim=none; spf=pass (google.com: …) smtp.mailfrom=bounce@camsonline.com";
        assert!(verified(&[&gmail(spf)], CAMS_FROM, t));
        // Each depository and RTA against its own domains.
        let cases = [
            (Issuer::Kfintech, "samfS@kfintech.com", "kfintech.com"),
            (Issuer::Cdsl, "eCAS@cdslstatement.com", "cdslstatement.com"),
            (Issuer::Nsdl, "NSDL-CAS@nsdl.co.in", "nsdl.co.in"),
        ];
        for (t, from, domain) in cases {
            let dkim = gmail(&format!("dkim=pass header.i=@{domain}"));
            assert!(verified(&[&dkim], from, t), "{t}");
            assert!(!verified(&[&dkim], from, Issuer::Cams), "{t} is not CAMS");
        }
    }

    #[test]
    fn nothing_else_verifies() {
        let t = Issuer::Cams;
        for results in [
            // Spoofed: the From is CAMS's, the checks are not.
            "dkim=fail header.i=@camsonline.com; spf=softfail (google.com: domain of transitioning donotreply@camsonline.com does not designate 198.51.100.9 as permitted sender) smtp.mailfrom=donotreply@camsonline.com; dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=camsonline.com",
            // A pass for another domain (the sender's own, a mailing service's).
            "dkim=pass header.i=@evil.example; spf=pass smtp.mailfrom=x@evil.example",
            "dkim=pass header.d=notcamsonline.com",
            "dkim=pass header.d=camsonline.com.evil.example",
            // A parent domain is a public suffix, never aligned.
            "dkim=pass header.d=com; spf=pass smtp.mailfrom=co.in",
            // DMARC pass alone is not one of the two checks asked for; neither is a helo pass.
            "dmarc=pass header.from=camsonline.com",
            "spf=pass smtp.helo=camsonline.com",
            "dkim=neutral header.d=camsonline.com; spf=temperror smtp.mailfrom=camsonline.com",
            // A planted result hidden in a quoted string or a comment is text.
            "spf=fail smtp.mailfrom=\"x;dkim=pass header.d=camsonline.com\"@evil.example",
            "spf=fail (dkim=pass header.d=camsonline.com) smtp.mailfrom=x@evil.example",
            "none",
        ] {
            assert!(!verified(&[&gmail(results)], CAMS_FROM, t), "{results}");
        }
        // A genuine pass, but the mail's From is not the registrar's (a forwarded copy).
        assert!(!verified(
            &[&gmail(GENUINE)],
            "Demo <demo.investor@gmail.com>",
            t
        ));
        assert!(!verified(&[&gmail(GENUINE)], "", t));
        // No header at all.
        assert!(!verified(&[], CAMS_FROM, t));
    }

    #[test]
    fn only_gmails_topmost_header_counts() {
        let t = Issuer::Cams;
        let planted = gmail("dkim=pass header.d=camsonline.com");
        let gmails_fail = gmail("dkim=none; spf=softfail smtp.mailfrom=donotreply@camsonline.com");
        // The sender's own header below Gmail's: Gmail's verdict stands.
        assert!(!verified(&[&gmails_fail, &planted], CAMS_FROM, t));
        // Another server's header on top (the mail did not come through Gmail's MX).
        let other = format!("mail.evil.example; {GENUINE}");
        assert!(!verified(&[&other], CAMS_FROM, t));
        assert!(!verified(&[&other, &planted], CAMS_FROM, t));
        assert!(!verified(
            &["mx.google.com.evil.example; dkim=pass header.d=camsonline.com"],
            CAMS_FROM,
            t
        ));
        // Gmail's on top, anything below ignored.
        assert!(verified(&[&gmail(GENUINE), &gmails_fail], CAMS_FROM, t));
    }

    #[test]
    fn alignment_is_relaxed_to_the_organizational_domain() {
        assert!(aligned("camsonline.com", "camsonline.com"));
        assert!(aligned("Mail.CamsOnline.com.", "camsonline.com"));
        assert!(!aligned("com", "camsonline.com"));
        assert!(!aligned("xcamsonline.com", "camsonline.com"));
        assert!(!aligned(".camsonline.com", "camsonline.com"));
        assert!(!aligned("", "camsonline.com"));
        assert!(!aligned("co.in", "nsdl.co.in"));
        assert!(aligned("eservices.nsdl.co.in", "nsdl.co.in"));
    }

    /// Total over any input: seeded random strings built from the header's own alphabet
    /// (separators, comments, quotes, escapes, multi-byte and right-to-left characters), and
    /// mutations of a real header. Nothing panics, and nothing random verifies.
    #[test]
    fn the_parser_is_total_over_random_input() {
        const PIECES: &[&str] = &[
            "mx.google.com",
            ";",
            "=",
            "(",
            ")",
            "\"",
            "\\",
            " ",
            "\r\n\t",
            "dkim",
            "spf",
            "pass",
            "header.d",
            "header.i",
            "smtp.mailfrom",
            "@",
            ".",
            "/",
            "camsonline.com",
            "€",
            "\u{202e}",
            "ש",
            "\u{0}",
            "\u{ffff}",
            "𝔸",
            "x",
        ];
        let mut rng = StdRng::seed_from_u64(0x11_c45);
        let genuine = gmail(GENUINE);
        for round in 0..20_000 {
            let value: String = if round % 2 == 0 {
                (0..rng.random_range(0..40))
                    .map(|_| PIECES[rng.random_range(0..PIECES.len())])
                    .collect()
            } else {
                // Cut the genuine header at a random character and splice in noise.
                let chars: Vec<char> = genuine.chars().collect();
                let cut = rng.random_range(0..=chars.len());
                let mut s: String = chars[..cut].iter().collect();
                s.push_str(PIECES[rng.random_range(0..PIECES.len())]);
                s.extend(chars[cut..].iter());
                s
            };
            let _ = parse(&value);
            let random_bytes: Vec<u8> =
                (0..rng.random_range(0..64)).map(|_| rng.random()).collect();
            let lossy = String::from_utf8_lossy(&random_bytes).into_owned();
            let _ = parse(&lossy);
            for t in Issuer::ALL {
                let _ = sender_verified(&[value.clone(), lossy.clone()], &lossy, t);
                let _ = sender_verified(std::slice::from_ref(&lossy), &value, t);
            }
        }
    }
}
