//! Issue 11's hostile-mail suite: a mailbox of mails made to hurt, listed through the real stack
//! (the sandbox's Gmail API reading the `.eml` files, our Gmail adapter, the listing, S3 on moto,
//! the HTTP front). Every call answers 200 with the good files, and per-file `errors` for the
//! rest; nothing is a 5xx, nothing is dropped without a word unless it is no PDF at all.

use crate::helpers::TestApp;
use crate::mailbox::{DEMO, Mail, Mailboxes, days_ago, gmail_pass, pdf};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::FixedOffset;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const CDSL: &str = "eCAS@cdslstatement.com";
const CDSL_SUBJECT: &str = "CDSL Consolidated Account Statement";

fn date_header() -> String {
    days_ago(1)
        .with_timezone(&FixedOffset::east_opt(19800).unwrap())
        .to_rfc2822()
}

/// Percent-encoding of RFC 2231 `name*=UTF-8''…` values.
fn rfc2231(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A base64 attachment part named with RFC 2231 (any Unicode survives).
fn attachment(name: &str, mime: &str, bytes: &[u8]) -> String {
    let encoded = rfc2231(name);
    let mut part = format!(
        "Content-Type: {mime}; name*=UTF-8''{encoded}\r\n\
         Content-Disposition: attachment; filename*=UTF-8''{encoded}\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    );
    for line in STANDARD.encode(bytes).as_bytes().chunks(76) {
        part += std::str::from_utf8(line).unwrap();
        part += "\r\n";
    }
    part
}

/// `headers` (each line ending CRLF) over a multipart/mixed of `parts`.
fn multipart(headers: &str, parts: &[String]) -> String {
    let boundary = "hostile-boundary";
    let mut out = format!(
        "{headers}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    );
    for part in parts {
        out += &format!("--{boundary}\r\n{part}");
    }
    out += &format!("--{boundary}--\r\n");
    out
}

fn standard_headers(from: &str, subject: &str) -> String {
    format!(
        "From: {from}\r\nTo: {DEMO}\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{}@hostile>\r\n",
        date_header(),
        uuid::Uuid::new_v4()
    )
}

const RTL_NAME: &str = "كشف_حساب_موحد.pdf";
const HINDI_NAME: &str = "समेकित_खाता_विवरण_€_NOV2025.pdf";
const OVERRIDE_NAME: &str = "\u{202e}fdp.AAA_TXN";

fn long_name() -> String {
    format!(
        "{}.pdf",
        "Statement-"
            .repeat(100)
            .chars()
            .take(996)
            .collect::<String>()
    )
}

/// The mailbox: two good statements among mails made to hurt. Returns it with what each mail
/// (by file) is expected to give.
fn hostile_mailbox() -> Mailboxes {
    let m = Mailboxes::new();
    // Two good statements, authenticated by Gmail.
    m.add(
        "00-good-cdsl.eml",
        &Mail::new(CDSL, CDSL_SUBJECT, days_ago(2))
            .authenticated()
            .attach(
                "OCT2025_AA12345678_TXN.pdf",
                "application/pdf",
                pdf("good-cdsl"),
            ),
    );
    m.add(
        "00-good-nsdl.eml",
        &Mail::new("NSDL-CAS@nsdl.co.in", "NSDL e-CAS", days_ago(3))
            .authenticated()
            .attach(
                "NSDLe-CAS_123456789_OCT_2025.PDF",
                "application/pdf",
                pdf("good-nsdl"),
            ),
    );

    // Non-ASCII and right-to-left names: statements from CDSL, listed under their names; a
    // right-to-left override that makes `TXN_AAA.pdf` of a name ending `.AAA_TXN` is no PDF.
    m.add_raw(
        "01-unicode-names.eml",
        multipart(
            &format!(
                "Authentication-Results: {}\r\n{}",
                gmail_pass(CDSL),
                standard_headers(
                    "=?UTF-8?B?4KS44KWA4KSh4KWA4KSP4KS44KSP4KSy?= <eCAS@cdslstatement.com>",
                    "=?UTF-8?Q?=D9=83=D8=B4=D9=81_=E2=80=AE_CDSL?="
                )
            ),
            &[
                attachment(RTL_NAME, "application/pdf", &pdf("rtl")),
                attachment(HINDI_NAME, "application/pdf", &pdf("hindi")),
                attachment(OVERRIDE_NAME, "application/octet-stream", &pdf("override")),
            ],
        ),
    );

    // A file name of 1,000 characters (RFC 2231, on one line as some senders write it).
    m.add_raw(
        "02-long-name.eml",
        multipart(
            &standard_headers(CDSL, CDSL_SUBJECT),
            &[attachment(
                &long_name(),
                "application/pdf",
                &pdf("long-name"),
            )],
        ),
    );

    // 500 attachments in one mail, from a stranger with a CAS subject: each is an error
    // (no source named), none is downloaded.
    let parts: Vec<String> = (0..500)
        .map(|i| attachment(&format!("part{i:03}.pdf"), "application/pdf", b"%PDF-1.4 x"))
        .collect();
    m.add_raw(
        "03-500-attachments.eml",
        multipart(
            &standard_headers("stranger@evil.example", "Consolidated Account Statement"),
            &parts,
        ),
    );

    // Multiparts nested 100 deep, a CDSL statement at the bottom.
    let mut deep = standard_headers(CDSL, CDSL_SUBJECT);
    deep += "MIME-Version: 1.0\r\n";
    for i in 0..100 {
        deep +=
            &format!("Content-Type: multipart/mixed; boundary=\"deep{i}\"\r\n\r\n--deep{i}\r\n");
    }
    deep += &attachment(
        "NOV2025_AA12345678_TXN.pdf",
        "application/pdf",
        &pdf("deep"),
    );
    for i in (0..100).rev() {
        deep += &format!("--deep{i}--\r\n");
    }
    m.add_raw("04-nested-100.eml", deep);

    // Broken base64 in a statement's place.
    m.add_raw(
        "05-broken-base64.eml",
        multipart(
            &standard_headers(CDSL, CDSL_SUBJECT),
            &[
                "Content-Type: application/pdf; name=\"DEC2025_AA12345678_TXN.pdf\"\r\n\
               Content-Disposition: attachment; filename=\"DEC2025_AA12345678_TXN.pdf\"\r\n\
               Content-Transfer-Encoding: base64\r\n\r\n\
               !!!!not base64 at all~~~~\r\n%%%%\r\n"
                    .to_string(),
            ],
        ),
    );

    // No headers but the structure: found by its NSDL file name, dated by its arrival.
    m.add_raw(
        "06-missing-headers.eml",
        format!(
            "Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\n{}--x--\r\n",
            attachment(
                "NSDLe-CAS_987654321_NOV_2025.PDF",
                "application/pdf",
                &pdf("headless")
            )
        ),
    );

    // Duplicated headers: two From (a stranger's first), two Subject, two Date.
    m.add_raw(
        "07-duplicate-headers.eml",
        multipart(
            &format!(
                "From: stranger@evil.example\r\n{}From: CAMS <donotreply@camsonline.com>\r\n\
                 Subject: Consolidated Account Statement - CAMS Mailback Request\r\nDate: yesterday\r\n",
                standard_headers("stranger@evil.example", "Consolidated Account Statement - CAMS Mailback Request")
            ),
            &[attachment(
                "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf",
                "application/pdf",
                &pdf("duplicates"),
            )],
        ),
    );

    // A 30 MB attachment: FILE_TOO_LARGE from its declared size, never downloaded.
    let mut big = pdf("big");
    big.resize(30 * 1024 * 1024, b' ');
    m.add_raw(
        "08-30mb.eml",
        multipart(
            &standard_headers(CDSL, CDSL_SUBJECT),
            &[attachment(
                "SEP2025_AA12345678_TXN.pdf",
                "application/pdf",
                &big,
            )],
        ),
    );

    // A `.pdf` from CAMS's address that is HTML (and not vouched for by Gmail).
    m.add(
        "09-html-as-pdf.eml",
        &Mail::new(
            "CAMS <donotreply@camsonline.com>",
            "Consolidated Account Statement - CAMS Mailback Request",
            days_ago(1),
        )
        .attach(
            "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf",
            "application/pdf",
            b"<html><body><script>alert(1)</script>Your statement</body></html>".to_vec(),
        ),
    );
    m
}

/// `(original_filename → file)` of an answer that must be a 200 with `status: success`.
async fn answer(res: reqwest::Response) -> (Value, BTreeMap<String, Value>) {
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success", "{body}");
    let files = body["files"].as_array().unwrap();
    assert_eq!(body["count"], files.len());
    let by_name = files
        .iter()
        .map(|f| {
            (
                f["original_filename"].as_str().unwrap().to_string(),
                f.clone(),
            )
        })
        .collect();
    (body, by_name)
}

#[tokio::test]
async fn a_mailbox_of_hostile_mail_lists_the_good_files_and_reports_the_rest() {
    let mail = hostile_mailbox();
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;

    let res = app
        .post("/v4/inbox/cas", Some(&app.api_key), Some(&token), None)
        .await;
    assert_eq!(res.headers()["x-credits-used"], "0.2");
    let (body, files) = answer(res).await;

    // The good files, including the odd names, the deep one and the header-less one.
    let long = long_name();
    assert_eq!(long.chars().count(), 1000);
    let expected: BTreeMap<&str, (&str, bool)> = BTreeMap::from([
        ("OCT2025_AA12345678_TXN.pdf", ("cdsl", true)),
        ("NSDLe-CAS_123456789_OCT_2025.PDF", ("nsdl", true)),
        (RTL_NAME, ("cdsl", true)),
        (HINDI_NAME, ("cdsl", true)),
        (long.as_str(), ("cdsl", false)),
        ("NOV2025_AA12345678_TXN.pdf", ("cdsl", false)),
        ("NSDLe-CAS_987654321_NOV_2025.PDF", ("nsdl", false)),
        (
            "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf",
            ("cams", false),
        ),
    ]);
    let listed: BTreeMap<&str, (&str, bool)> = files
        .iter()
        .map(|(name, f)| {
            (
                name.as_str(),
                (
                    f["cas_type"].as_str().unwrap(),
                    f["sender_verified"].as_bool().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(listed, expected, "{body}");
    for f in files.values() {
        let name = f["filename"].as_str().unwrap();
        assert!(name.is_ascii() && name.len() <= 30, "{name}");
    }
    let headless = &files["NSDLe-CAS_987654321_NOV_2025.PDF"];
    assert_eq!(headless["sender"], "");
    assert_eq!(headless["subject"], "");

    // The rest, one error each, by message and file.
    let errors = body["errors"].as_array().unwrap();
    let mut codes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in errors {
        assert_eq!(e["message_id"].as_str().unwrap().len(), 16, "{e}");
        assert!(!e["msg"].as_str().unwrap().is_empty(), "{e}");
        let name = e["filename"].as_str().unwrap_or("(mail)").to_string();
        codes
            .entry(e["code"].as_str().unwrap().to_string())
            .or_default()
            .push(name);
    }
    assert_eq!(codes["UNSUPPORTED_FORMAT"].len(), 500, "{codes:?}");
    assert_eq!(codes["FILE_TOO_LARGE"], ["SEP2025_AA12345678_TXN.pdf"]);
    let mut invalid = codes["INVALID_PDF"].clone();
    invalid.sort();
    assert_eq!(
        invalid,
        [
            "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf",
            "DEC2025_AA12345678_TXN.pdf",
        ]
    );
    assert_eq!(codes.len(), 3, "{codes:?}");
    // Downloaded: the eight good files and the two that are no PDF; not the 500, not the 30 MB.
    assert_eq!(app.sandbox_calls("GetAttachment").await, 10);
    assert_eq!(app.quota_violations().await, 0);

    // Again with parse: true — these PDFs are not real statements, so each listed file
    // carries a parse error, and the call is still a 200.
    let res = app
        .post(
            "/v4/inbox/cas",
            Some(&app.api_key),
            Some(&token),
            Some(json!({"parse": true, "password": "ABCDE1234F"})),
        )
        .await;
    let (_, files) = answer(res).await;
    assert_eq!(files.len(), expected.len());
    for f in files.values() {
        assert!(f["parse_error"]["code"].is_string(), "{f}");
    }

    // And one type at a time.
    for t in ["cams", "kfintech", "cdsl", "nsdl"] {
        let res = app
            .post(
                "/v4/inbox/cas",
                Some(&app.api_key),
                Some(&token),
                Some(json!({"cas_types": [t]})),
            )
            .await;
        let (_, files) = answer(res).await;
        assert!(files.values().all(|f| f["cas_type"] == t));
    }
}
