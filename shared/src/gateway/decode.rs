//! What `POST /v4/smart/parse` was given: JSON `{pdf_url | pdf_file (base64), password}` or a
//! multipart form with the same fields (`pdf_file` as a file part). Decoding only; fetching a
//! `pdf_url` is the domain's `PdfFetcher` port.

use crate::api::ParseRequest;
use crate::domain::parse::{ParseInput, PdfSource};
use crate::domain::{MAX_PDF_BYTES, too_large};
use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// A multipart or JSON parse request may carry a whole PDF: 10 MB of it base64 is ~13.4 MB.
pub const MAX_PARSE_BODY_BYTES: usize = 14 * 1024 * 1024;

fn bad(msg: &str) -> ApiError {
    ApiError::invalid_request(msg)
}

/// Exactly one of `pdf_url` / `pdf_file`; the password may be empty (unencrypted PDFs).
fn choose(
    pdf_url: Option<String>,
    pdf_file: Option<Vec<u8>>,
    password: Option<String>,
    strict: bool,
) -> Result<ParseInput, ApiError> {
    let source = match (pdf_url.filter(|u| !u.trim().is_empty()), pdf_file) {
        (Some(_), Some(_)) => return Err(bad("Send either pdf_url or pdf_file, not both")),
        (None, None) => return Err(bad("Send pdf_url or pdf_file")),
        (Some(url), None) => PdfSource::Url(url.trim().to_string()),
        (None, Some(bytes)) if bytes.is_empty() => return Err(bad("pdf_file is empty")),
        (None, Some(bytes)) if bytes.len() > MAX_PDF_BYTES => return Err(too_large()),
        (None, Some(bytes)) => PdfSource::Bytes(bytes),
    };
    Ok(ParseInput {
        source,
        password: password.unwrap_or_default(),
        strict,
    })
}

/// The JSON form.
pub fn from_json(request: ParseRequest) -> Result<ParseInput, ApiError> {
    let file = match request.pdf_file {
        Some(b64) => {
            // Whitespace and line breaks are common in pasted base64; a data: prefix too.
            let cleaned: String = b64
                .trim()
                .trim_start_matches("data:application/pdf;base64,")
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            if cleaned.len() > MAX_PDF_BYTES / 3 * 4 + 4 {
                return Err(too_large());
            }
            let bytes = STANDARD
                .decode(&cleaned)
                .or_else(|_| STANDARD_NO_PAD.decode(cleaned.trim_end_matches('=')))
                .map_err(|_| bad("pdf_file is not valid base64"))?;
            Some(bytes)
        }
        None => None,
    };
    choose(
        request.pdf_url,
        file,
        request.password,
        request.strict.unwrap_or(false),
    )
}

/// The multipart form (`multipart/form-data; boundary=…`), read from the whole body.
pub async fn from_multipart(content_type: &str, body: Vec<u8>) -> Result<ParseInput, ApiError> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| bad("multipart body without boundary"))?;
    let stream =
        futures::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(body)) });
    let mut form = multer::Multipart::new(stream, boundary);
    let (mut url, mut file, mut password, mut strict) = (None, None, None, false);
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(bad("malformed multipart body")),
        };
        let name = field.name().unwrap_or_default().to_string();
        let data = field
            .bytes()
            .await
            .map_err(|_| bad("malformed multipart body"))?;
        let text =
            || String::from_utf8(data.to_vec()).map_err(|_| bad("form fields must be UTF-8"));
        match name.as_str() {
            "pdf_file" => file = Some(data.to_vec()),
            "pdf_url" => url = Some(text()?),
            "password" => password = Some(text()?),
            "strict" => {
                strict = match text()?.trim() {
                    "true" => true,
                    "false" | "" => false,
                    _ => return Err(bad("strict must be true or false")),
                }
            }
            // Unknown fields are ignored, as unknown JSON fields are.
            _ => {}
        }
    }
    choose(url, file, password, strict)
}

/// True when the request's Content-Type is multipart/form-data.
pub fn is_multipart(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/form-data"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn json(
        url: Option<&str>,
        file: Option<&str>,
        pw: Option<&str>,
    ) -> Result<ParseInput, ApiError> {
        from_json(ParseRequest {
            pdf_url: url.map(String::from),
            pdf_file: file.map(String::from),
            password: pw.map(String::from),
            strict: None,
        })
    }

    #[test]
    fn debug_never_shows_a_password() {
        let secret = "Hunter2-ABCDE1234F";
        let request = ParseRequest {
            pdf_url: Some("https://a.example/x.pdf".into()),
            pdf_file: None,
            password: Some(secret.into()),
            strict: None,
        };
        let listing = crate::api::CasRequest {
            password: Some(secret.into()),
            parse: Some(true),
            ..Default::default()
        };
        let input = from_json(request.clone()).unwrap();
        let query = crate::domain::cas_query::CasQuery::parse(
            &listing,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .unwrap();
        for shown in [
            format!("{request:?}"),
            format!("{listing:?}"),
            format!("{input:?}"),
            format!("{query:?}"),
        ] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("redacted"), "{shown}");
        }
    }

    #[test]
    fn json_takes_exactly_one_source() {
        let pdf = STANDARD.encode(b"%PDF-1.4 x");
        assert_eq!(
            json(None, Some(&pdf), Some("pw")).unwrap(),
            ParseInput {
                source: PdfSource::Bytes(b"%PDF-1.4 x".to_vec()),
                password: "pw".into(),
                strict: false,
            }
        );
        assert_eq!(
            json(Some(" https://a.example/x.pdf "), None, None)
                .unwrap()
                .source,
            PdfSource::Url("https://a.example/x.pdf".into())
        );
        let wrapped = format!("{}\n{}", &pdf[..4], &pdf[4..]);
        assert!(json(None, Some(&wrapped), None).is_ok());
        for (url, file) in [
            (Some("https://a/x.pdf"), Some(pdf.as_str())),
            (None, None),
            (Some(""), None),
        ] {
            let e = json(url, file, None).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
        }
        let e = json(None, Some("***not base64***"), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = json(None, Some(""), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let huge = "A".repeat(MAX_PDF_BYTES / 3 * 4 + 400);
        assert_eq!(
            json(None, Some(&huge), None).unwrap_err().code,
            ErrorCode::FileTooLarge
        );
    }

    fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
        let boundary = "XyZ123";
        let mut body = Vec::new();
        for (name, filename, data) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match filename {
                Some(f) => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }

    #[tokio::test]
    async fn multipart_reads_the_file_and_password() {
        let (ct, body) = form(&[
            ("pdf_file", Some("cas.pdf"), b"%PDF-1.7 bytes"),
            ("password", None, b"ABCDE1234F"),
        ]);
        assert!(is_multipart(Some(&ct)));
        let input = from_multipart(&ct, body).await.unwrap();
        assert_eq!(input.source, PdfSource::Bytes(b"%PDF-1.7 bytes".to_vec()));
        assert_eq!(input.password, "ABCDE1234F");
        assert!(!input.strict);

        let (ct, body) = form(&[
            ("pdf_url", None, b"https://a/x.pdf"),
            ("strict", None, b"true"),
        ]);
        assert!(from_multipart(&ct, body).await.unwrap().strict);
        let (ct, body) = form(&[
            ("pdf_url", None, b"https://a/x.pdf"),
            ("strict", None, b"yes"),
        ]);
        assert_eq!(
            from_multipart(&ct, body).await.unwrap_err().code,
            ErrorCode::InvalidRequest
        );

        let (ct, body) = form(&[("password", None, b"x")]);
        assert_eq!(
            from_multipart(&ct, body).await.unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let e = from_multipart("multipart/form-data", b"junk".to_vec())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let (ct, _) = form(&[]);
        let e = from_multipart(&ct, b"--XyZ123\r\nbroken".to_vec())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(!is_multipart(Some("application/json")));
    }
}
