//! Translating between API Gateway requests (as `lambda_http` gives them) and the domain:
//! body rules, headers, request ids, JSON and HTML responses.

pub mod decode;

use crate::api::{CreditUsage, ErrorBody, Outcome};
use crate::error::{ApiError, ErrorCode};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const CREDITS_USED: HeaderName = HeaderName::from_static("x-credits-used");
pub const CREDITS_REMAINING: HeaderName = HeaderName::from_static("x-credits-remaining");
pub const API_KEY: &str = "x-api-key";
pub const INBOX_TOKEN: &str = "x-inbox-token";

fn sane_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The caller's `X-Request-ID` when it is a sane token, else API Gateway's own request id
/// (`requestContext.requestId`), else a fresh UUID.
pub fn request_id(req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| sane_id(v))
        .map(String::from)
        .or_else(|| gateway_request_id(req).filter(|v| sane_id(v)))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn gateway_request_id(req: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => c.request_id.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// The span every log line of one request is written in: its id, and the tenant and the
/// connection once the domain knows them (`record_tenant`, `record_connection`).
pub fn request_span(request_id: &str) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %request_id,
        tenant_id = tracing::field::Empty,
        connection_id = tracing::field::Empty
    )
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub fn require_method(req: &Request, method: Method) -> Result<(), ApiError> {
    if req.method() == method {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("Use {method} for this endpoint"),
        ))
    }
}

/// Query parameters, first value wins.
pub fn query(req: &Request) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        params
            .entry(k.into_owned())
            .or_insert_with(|| v.into_owned());
    }
    params
}

pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        // lambda_http's Body is non-exhaustive; anything else is treated as no body.
        #[allow(unreachable_patterns)]
        _ => &[],
    }
}

/// A JSON body under the API's rules: at most 64 KiB; JSON (`application/json`, `+json`, or
/// no Content-Type); an absent or blank body reads as `{}` so that all-optional POSTs work
/// without one.
pub fn json_body<T: DeserializeOwned + Default>(req: &Request) -> Result<T, ApiError> {
    json_body_up_to(req, MAX_BODY_BYTES)
}

/// [`json_body`] with another size limit (parse requests carry a whole PDF).
pub fn json_body_up_to<T: DeserializeOwned + Default>(
    req: &Request,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = body_bytes(req);
    if bytes.len() > limit {
        return Err(ApiError::new(
            ErrorCode::RequestTooLarge,
            format!("Request body is larger than {} KiB", limit / 1024),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if let Some(content_type) = req.headers().get(CONTENT_TYPE) {
        let essence = content_type
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Send the body as application/json",
            ));
        }
    }
    // serde reads a struct from a JSON array too (its fields in order): `[null, null]` would
    // be a valid listing request. A body is an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid_request("The body must be a JSON object"));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("Malformed JSON body: {e}")))
}

fn set(res: &mut Response<Body>, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().insert(name, v);
    }
}

fn base(
    status: StatusCode,
    request_id: &str,
    content_type: &'static str,
    body: Body,
) -> Response<Body> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Responses carry tokens and personal data: never cache them.
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    set(&mut res, REQUEST_ID, request_id);
    res
}

pub fn with_credits(mut res: Response<Body>, credits: Option<CreditUsage>) -> Response<Body> {
    if let Some(c) = credits {
        set(&mut res, CREDITS_USED, &c.used.normalize().to_string());
        set(
            &mut res,
            CREDITS_REMAINING,
            &c.remaining.normalize().to_string(),
        );
    }
    res
}

/// Adds `Retry-After` (seconds) to a response: what a 429 carries.
pub fn with_retry_after(mut res: Response<Body>, seconds: u64) -> Response<Body> {
    set(&mut res, http::header::RETRY_AFTER, &seconds.to_string());
    res
}

pub fn json<T: Serialize>(status: StatusCode, body: &T, request_id: &str) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(text) => base(status, request_id, "application/json", Body::Text(text)),
        Err(e) => error(&ApiError::internal(e), request_id),
    }
}

pub fn error(err: &ApiError, request_id: &str) -> Response<Body> {
    json(
        err.status(),
        &ErrorBody {
            status: Outcome::Failed,
            code: err.code.as_str().into(),
            msg: err.msg.clone(),
        },
        request_id,
    )
}

/// The success or error response of a JSON endpoint, with credit headers once the caller is
/// known.
pub fn respond<T: Serialize>(
    result: Result<T, ApiError>,
    credits: Option<CreditUsage>,
    request_id: &str,
) -> Response<Body> {
    let res = match result {
        Ok(body) => json(StatusCode::OK, &body, request_id),
        Err(e) => error(&e, request_id),
    };
    with_credits(res, credits)
}

pub fn redirect(location: &str, request_id: &str) -> Response<Body> {
    let mut res = base(
        StatusCode::FOUND,
        request_id,
        "text/plain; charset=utf-8",
        Body::Empty,
    );
    set(&mut res, LOCATION, location);
    // The callback URL holds Google's code: do not leak it to the app as a Referer.
    res.headers_mut().insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// A minimal HTML page for browsers that cannot be sent back to an app.
pub fn html_error_page(status: StatusCode, message: &str, request_id: &str) -> Response<Body> {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Sign-in could not be completed</title></head><body>\
         <h1>Sign-in could not be completed</h1><p>{}</p>\
         <p><small>Request id: {}</small></p></body></html>",
        escape_html(message),
        escape_html(request_id)
    );
    let mut res = base(
        status,
        request_id,
        "text/html; charset=utf-8",
        Body::Text(page),
    );
    res.headers_mut().insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    res
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The public base URL the request came in on (for our own callback URL): `https://<Host>`,
/// or `http://` for loopback hosts in local runs.
pub fn base_url_of(req: &Request) -> Option<String> {
    let host = header(req, "host")?.trim();
    if host.is_empty() || host.contains(['/', '\\', '@', ' ']) {
        return None;
    }
    let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let loopback = matches!(hostname, "localhost" | "127.0.0.1" | "[::1]");
    let proto = match header(req, "x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("http") && loopback => "http",
        None if loopback => "http",
        _ => "https",
    };
    Some(format!("{proto}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CasRequest;

    fn req(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = http::Request::builder()
            .method("POST")
            .uri("https://x/v4/inbox/cas");
        if let Some(ct) = content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        builder.body(Body::Text(body.into())).unwrap()
    }

    #[test]
    fn empty_bodies_read_as_defaults_whatever_the_content_type() {
        for ct in [None, Some("application/json"), Some("text/plain")] {
            let parsed: CasRequest = json_body(&req(ct, "")).unwrap();
            assert_eq!(parsed, CasRequest::default());
        }
    }

    #[test]
    fn body_rules() {
        let ok: CasRequest = json_body(&req(
            Some("application/json; charset=utf-8"),
            r#"{"parse":true}"#,
        ))
        .unwrap();
        assert_eq!(ok.parse, Some(true));
        let no_ct: CasRequest = json_body(&req(None, r#"{"parse":false}"#)).unwrap();
        assert_eq!(no_ct.parse, Some(false));
        let e = json_body::<CasRequest>(&req(Some("text/plain"), "{}")).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedMediaType);
        let e = json_body::<CasRequest>(&req(None, "{not json")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = json_body::<CasRequest>(&req(None, r#"{"parse":"yes"}"#)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        // Serde would read these as a CasRequest (fields in order); schemathesis found it.
        for not_an_object in ["[null, null]", " []", "null", "1", r#""x""#] {
            let e = json_body::<CasRequest>(&req(None, not_an_object)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{not_an_object}");
        }
        let big = format!(r#"{{"password":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        let e = json_body::<CasRequest>(&req(None, &big)).unwrap_err();
        assert_eq!(e.code, ErrorCode::RequestTooLarge);
    }

    #[test]
    fn request_ids_are_echoed_only_when_sane() {
        let with = |v: &str| {
            http::Request::builder()
                .header("x-request-id", v)
                .body(Body::Empty)
                .unwrap()
        };
        assert_eq!(request_id(&with("abc-123")), "abc-123");
        assert_ne!(request_id(&with("bad id<script>")), "bad id<script>");
        assert_eq!(request_id(&with(&"a".repeat(200))).len(), 36);
    }

    #[test]
    fn base_url_uses_http_only_for_loopback() {
        let with_host = |h: &str| {
            http::Request::builder()
                .header("host", h)
                .body(Body::Empty)
                .unwrap()
        };
        assert_eq!(
            base_url_of(&with_host("127.0.0.1:9000")).as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(
            base_url_of(&with_host("abc.execute-api.ap-south-1.amazonaws.com")).as_deref(),
            Some("https://abc.execute-api.ap-south-1.amazonaws.com")
        );
        assert_eq!(base_url_of(&with_host("evil.com/x")), None);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href='x'>&</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
