//! `POST /v4/inbox/cas` and the download links, against the sandbox's Gmail API.

use crate::helpers::{TestApp, error_code, location, no_redirect_client};
use crate::mailbox::{DEMO, Mail, Mailboxes, days_ago, gmail_auth, pdf};
use chrono::FixedOffset;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const CAMS_SUBJECT: &str = "Consolidated Account Statement - CAMS Mailback Request";
const CAMS_FILE: &str = "AB12345678_01012025-31122025_CP123456789_15012026164515.pdf";

/// An investor's recent mail: one CAS from each source, a forwarded CAS, and traps.
fn investor_mailbox() -> Mailboxes {
    let m = Mailboxes::new();
    m.add(
        "01-cams.eml",
        &Mail::new(
            "CAMS <donotreply@camsonline.com>",
            CAMS_SUBJECT,
            days_ago(3),
        )
        .authenticated()
        .attach(CAMS_FILE, "application/pdf", pdf("cams-1")),
    );
    m.add(
        "02-kfin.eml",
        &Mail::new(
            "samfS@kfintech.com",
            "Consolidated Account Statement for October 2025",
            days_ago(5),
        )
        .authenticated()
        .attach("KFIN_CAS_1234.pdf", "application/pdf", pdf("kfin-1")),
    );
    m.add(
        "03-cdsl.eml",
        &Mail::new(
            "eCAS@cdslstatement.com",
            "CDSL Consolidated Account Statement",
            days_ago(10),
        )
        .authenticated()
        .attach(
            "OCT2025_AA12345678_TXN.pdf",
            "application/pdf",
            pdf("cdsl-1"),
        ),
    );
    m.add(
        "04-nsdl.eml",
        &Mail::new(
            "NSDL-CAS@nsdl.co.in",
            "NSDL e-CAS for October 2025",
            days_ago(12),
        )
        .authenticated()
        .attach(
            "NSDLe-CAS_123456789_OCT_2025.PDF",
            "application/octet-stream",
            pdf("nsdl-1"),
        ),
    );
    m.add(
        "05-fwd.eml",
        &Mail::new(DEMO, &format!("Fwd: {CAMS_SUBJECT}"), days_ago(2)).attach(
            CAMS_FILE,
            "application/pdf",
            pdf("cams-fwd"),
        ),
    );
    // Traps.
    m.add(
        "10-news.eml",
        &Mail::new(
            "newsletter@somefund.example",
            "Your monthly factsheet",
            days_ago(4),
        )
        .attach("factsheet.pdf", "application/pdf", pdf("news")),
    );
    m.add(
        "11-bank.eml",
        &Mail::new(
            "estatement@hdfcbank.example",
            "Your account statement",
            days_ago(6),
        )
        .attach("statement.pdf", "application/pdf", pdf("bank")),
    );
    m.add(
        "12-noattach.eml",
        &Mail::new("donotreply@camsonline.com", CAMS_SUBJECT, days_ago(7)),
    );
    m.add(
        "13-xlsx.eml",
        &Mail::new("donotreply@camsonline.com", CAMS_SUBJECT, days_ago(8)).attach(
            "holdings.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\x03\x04".to_vec(),
        ),
    );
    m.add(
        "14-old.eml",
        &Mail::new("donotreply@camsonline.com", CAMS_SUBJECT, days_ago(60)).attach(
            CAMS_FILE,
            "application/pdf",
            pdf("cams-old"),
        ),
    );
    m
}

async fn list(app: &TestApp, token: &str, body: Option<Value>) -> reqwest::Response {
    app.post("/v4/inbox/cas", Some(&app.api_key), Some(token), body)
        .await
}

async fn files_of(res: reqwest::Response) -> Vec<Value> {
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success");
    let files = body["files"].as_array().unwrap().clone();
    assert_eq!(body["count"], files.len());
    assert!(body.get("errors").is_none(), "{body}");
    files
}

fn kinds(files: &[Value]) -> BTreeSet<(String, String)> {
    files
        .iter()
        .map(|f| {
            (
                f["cas_type"].as_str().unwrap().to_string(),
                f["original_filename"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn download(url: &str) -> (u16, Vec<u8>) {
    let http = no_redirect_client();
    let res = http.get(url).send().await.unwrap();
    if res.status() != 302 {
        return (res.status().as_u16(), res.bytes().await.unwrap().to_vec());
    }
    let target = location(&res);
    let res = http.get(target).send().await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn lists_every_cas_of_the_window_and_none_of_the_traps() {
    let mail = investor_mailbox();
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;

    let res = list(&app, &token, None).await;
    assert_eq!(res.headers()["x-credits-used"], "0.2");
    assert_eq!(res.headers()["x-credits-remaining"], "9.8");
    let files = files_of(res).await;
    let expected: BTreeSet<(String, String)> = [
        ("cams", CAMS_FILE),
        ("cams", CAMS_FILE),
        ("kfintech", "KFIN_CAS_1234.pdf"),
        ("cdsl", "OCT2025_AA12345678_TXN.pdf"),
        ("nsdl", "NSDLe-CAS_123456789_OCT_2025.PDF"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(kinds(&files), expected);
    assert_eq!(
        files.len(),
        5,
        "the forwarded CAMS mail counts as its own file"
    );

    let ist = FixedOffset::east_opt(19800).unwrap();
    for f in &files {
        let name = f["filename"].as_str().unwrap();
        let (kind, rest) = name.split_once('_').unwrap();
        assert_eq!(kind, f["cas_type"].as_str().unwrap());
        let (date, hash) = rest.split_once('_').unwrap();
        assert_eq!(date.len(), 8);
        assert!(hash.len() == 12 && hash.ends_with(".pdf"), "{name}");
        assert!(hash[..8].bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        assert_eq!(f["expires_in"], 86_400);
        assert_eq!(f["message_id"].as_str().unwrap().len(), 16);
        assert_eq!(date, f["message_date"].as_str().unwrap().replace('-', ""));
        let (status, bytes) = download(f["url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert!(bytes.starts_with(b"%PDF"));
        assert_eq!(bytes.len() as u64, f["size"].as_u64().unwrap());
        // Gmail vouched for the registrars' own mails; the forwarded copy came from the user.
        let forwarded = f["sender"] == DEMO;
        assert_eq!(f["sender_verified"], !forwarded, "{f}");
        // Exactly the seed's fields plus expires_in and sender_verified.
        let keys: BTreeSet<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "message_id",
                "filename",
                "original_filename",
                "message_date",
                "cas_type",
                "size",
                "url",
                "sender",
                "subject",
                "expires_in",
                "sender_verified"
            ])
        );
    }
    let cdsl = files.iter().find(|f| f["cas_type"] == "cdsl").unwrap();
    assert_eq!(cdsl["sender"], "eCAS@cdslstatement.com");
    assert_eq!(cdsl["subject"], "CDSL Consolidated Account Statement");
    assert_eq!(
        cdsl["message_date"],
        days_ago(10)
            .with_timezone(&ist)
            .format("%Y-%m-%d")
            .to_string()
    );
    assert_eq!(app.quota_violations().await, 0);
}

/// The statements of `investor_mailbox` in the default window.
fn investor_statements() -> BTreeSet<(String, String)> {
    [
        ("cams", CAMS_FILE),
        ("kfintech", "KFIN_CAS_1234.pdf"),
        ("cdsl", "OCT2025_AA12345678_TXN.pdf"),
        ("nsdl", "NSDLe-CAS_123456789_OCT_2025.PDF"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// Issue 11's attack: with nothing but the investor's address, one mail with a CAS subject
/// and a `€` where the file-name rules expect ASCII used to make every listing of its window
/// a 500. Now it is one entry in `errors`, never downloaded, and the rest is listed.
#[tokio::test]
async fn the_attack_mail_is_one_error_and_the_other_statements_are_listed() {
    const ATTACK: &str = "ab€12_AB12345678_TXN.pdf";
    let mail = investor_mailbox();
    mail.add(
        "20-attack.eml",
        &Mail::new(
            "attacker@evil.example",
            "Consolidated Account Statement",
            days_ago(1),
        )
        .attach(ATTACK, "application/pdf", pdf("attack")),
    );
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;

    let res = list(&app, &token, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-credits-used"], "0.2");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success");
    let files = body["files"].as_array().unwrap();
    assert_eq!(body["count"], 5);
    assert_eq!(kinds(files), investor_statements());
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["filename"], ATTACK);
    assert_eq!(errors[0]["code"], "UNSUPPORTED_FORMAT");
    assert_eq!(errors[0]["message_id"].as_str().unwrap().len(), 16);
    assert!(!errors[0]["msg"].as_str().unwrap().is_empty());
    assert!(
        files
            .iter()
            .all(|f| f["message_id"] != errors[0]["message_id"])
    );
    assert_eq!(
        app.sandbox_calls("GetAttachment").await,
        5,
        "only the five statements are downloaded"
    );
}

/// An attachment Gmail declares over 10 MB is reported as `FILE_TOO_LARGE` and never
/// downloaded; the other statements, in its mail and others, are listed.
#[tokio::test]
async fn an_attachment_over_the_cap_is_reported_without_being_downloaded() {
    let mail = investor_mailbox();
    let mut big = pdf("big");
    big.resize(10 * 1024 * 1024 + 1, b' ');
    mail.add(
        "21-big.eml",
        &Mail::new(
            "eCAS@cdslstatement.com",
            "CDSL Consolidated Account Statement",
            days_ago(1),
        )
        .attach("NOV2025_AA12345678_TXN.pdf", "application/pdf", big)
        .attach(
            "DEC2025_AA12345678_TXN.pdf",
            "application/pdf",
            pdf("small"),
        ),
    );
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;

    let res = list(&app, &token, None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let mut expected = investor_statements();
    expected.insert(("cdsl".into(), "DEC2025_AA12345678_TXN.pdf".into()));
    assert_eq!(kinds(body["files"].as_array().unwrap()), expected);
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["filename"], "NOV2025_AA12345678_TXN.pdf");
    assert_eq!(errors[0]["code"], "FILE_TOO_LARGE");
    assert!(
        errors[0]["msg"]
            .as_str()
            .unwrap()
            .contains("10485761 bytes"),
        "{body}"
    );
    assert_eq!(app.sandbox_calls("GetAttachment").await, 6);
}

/// `sender_verified` is Gmail's own verdict, the topmost `Authentication-Results` (authserv-id
/// `mx.google.com`): a CAMS `From` with failing checks, a verdict the sender wrote below
/// Gmail's, one from another server on top, a pass for another domain are all `false`.
#[tokio::test]
async fn sender_verified_is_gmails_verdict_on_the_registrars_domain() {
    const FROM: &str = "CAMS Mailback <donotreply@camsonline.com>";
    let cams = |tag: &str| pdf(&format!("cams-{tag}"));
    let spoof_fail = gmail_auth(
        "dkim=none (no signature); spf=softfail (google.com: domain of transitioning \
         donotreply@camsonline.com does not designate 198.51.100.9 as permitted sender) \
         smtp.mailfrom=donotreply@camsonline.com; dmarc=fail (p=NONE sp=NONE dis=NONE) \
         header.from=camsonline.com",
    );
    let planted = gmail_auth(
        "dkim=pass header.i=@camsonline.com; spf=pass smtp.mailfrom=donotreply@camsonline.com",
    );
    let mail = Mailboxes::new();
    let cases: [(&str, Mail, bool); 6] = [
        (
            "genuine",
            Mail::new(FROM, CAMS_SUBJECT, days_ago(1)).authenticated(),
            true,
        ),
        (
            "spf-only",
            Mail::new(FROM, CAMS_SUBJECT, days_ago(1)).trace(
                "Authentication-Results",
                &gmail_auth("dkim=temperror; spf=pass smtp.mailfrom=bounces@mailer.camsonline.com"),
            ),
            true,
        ),
        (
            "spoofed",
            Mail::new(FROM, CAMS_SUBJECT, days_ago(1)).trace("Authentication-Results", &spoof_fail),
            false,
        ),
        (
            "planted-below",
            Mail::new(FROM, CAMS_SUBJECT, days_ago(1))
                .trace("Authentication-Results", &spoof_fail)
                .header("Authentication-Results", &planted),
            false,
        ),
        (
            "other-server-on-top",
            Mail::new(FROM, CAMS_SUBJECT, days_ago(1)).trace(
                "Authentication-Results",
                "relay.evil.example; dkim=pass header.d=camsonline.com",
            ),
            false,
        ),
        (
            "pass-for-another-domain",
            Mail::new(FROM, CAMS_SUBJECT, days_ago(1)).trace(
                "Authentication-Results",
                &gmail_auth(
                    "dkim=pass header.i=@evil.example; spf=pass smtp.mailfrom=x@evil.example",
                ),
            ),
            false,
        ),
    ];
    let mut expected = std::collections::BTreeMap::new();
    for (tag, m, verified) in cases {
        mail.add(
            &format!("{tag}.eml"),
            &m.attach(CAMS_FILE, "application/pdf", cams(tag)),
        );
        expected.insert(tag.to_string(), verified);
    }
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;
    let files = files_of(list(&app, &token, None).await).await;
    assert_eq!(files.len(), expected.len());
    for f in &files {
        let url = f["url"].as_str().unwrap();
        let (_, bytes) = download(url).await;
        let text = String::from_utf8_lossy(&bytes);
        let tag = expected
            .keys()
            .find(|t| text.contains(&format!("% cams-{t}\n")))
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(f["sender_verified"], expected[tag], "{tag}");
        assert_eq!(f["cas_type"], "cams");
    }
}

#[tokio::test]
async fn filters_by_type_and_dates_and_rejects_bad_ones_without_charging() {
    let mail = investor_mailbox();
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;

    let files =
        files_of(list(&app, &token, Some(json!({"cas_types": ["cdsl", "NSDL"]}))).await).await;
    let types: BTreeSet<String> = kinds(&files).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        types,
        BTreeSet::from(["cdsl".to_string(), "nsdl".to_string()])
    );

    let ist = FixedOffset::east_opt(19800).unwrap();
    let day = |d: i64| {
        days_ago(d)
            .with_timezone(&ist)
            .format("%Y-%m-%d")
            .to_string()
    };
    let files = files_of(
        list(
            &app,
            &token,
            Some(json!({"start_date": day(61), "end_date": day(59)})),
        )
        .await,
    )
    .await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["message_date"], day(60));

    for bad in [
        json!({"cas_types": ["zerodha"]}),
        json!({"cas_types": "cams"}),
        json!({"start_date": "2025/01/01"}),
        json!({"start_date": day(1), "end_date": day(5)}),
        json!({"end_date": "2999-01-01"}),
        json!({"start_date": "1990-01-01"}),
    ] {
        let res = list(&app, &token, Some(bad.clone())).await;
        assert_eq!(res.headers()["x-credits-used"], "0", "{bad}");
        assert_eq!(
            error_code(res).await,
            (400, "INVALID_REQUEST".into()),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn links_last_a_day_and_cannot_be_forged() {
    let mail = investor_mailbox();
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let connected = app.connect_inbox().await;
    let files = files_of(list(&app, &connected.inbox_token, None).await).await;
    let url = files[0]["url"].as_str().unwrap().to_string();

    let last = if url.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &url[..url.len() - 1]);
    let other_file = url.replace(
        files[0]["filename"].as_str().unwrap(),
        files[1]["filename"].as_str().unwrap(),
    );
    let expires: i64 = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "expires")
        .unwrap()
        .1
        .parse()
        .unwrap();
    let longer = url.replace(
        &format!("expires={expires}"),
        &format!("expires={}", expires + 3600),
    );
    for bad in [&forged, &other_file, &longer] {
        let res = app.http.get(bad).send().await.unwrap();
        assert_eq!(error_code(res).await, (403, "INVALID_LINK".into()), "{bad}");
    }

    app.clock.advance(24 * 3600 - 60);
    assert_eq!(
        download(&url).await.0,
        200,
        "still good just before 24 hours"
    );
    app.clock.advance(61);
    let res = app.http.get(&url).send().await.unwrap();
    assert_eq!(error_code(res).await, (403, "INVALID_LINK".into()));
}

#[tokio::test]
async fn the_same_attachment_is_stored_once_and_disconnect_removes_the_files() {
    let mail = investor_mailbox();
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let connected = app.connect_inbox().await;
    let s3 = cas_inbox::adapters::s3_client(&app.sdk);
    // When each stored object was last written (the bucket deletes it a day after that).
    let written = || async {
        let listed = s3
            .list_objects_v2()
            .bucket(&app.config.files_bucket)
            .prefix("temp/")
            .send()
            .await
            .unwrap();
        listed
            .contents()
            .iter()
            .map(|o| (o.key().unwrap().to_string(), *o.last_modified().unwrap()))
            .collect::<BTreeMap<_, _>>()
    };
    let first = files_of(list(&app, &connected.inbox_token, None).await).await;
    let written_first = written().await;
    // S3's modification times have whole seconds.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = files_of(list(&app, &connected.inbox_token, None).await).await;
    let written_second = written().await;
    assert_eq!(
        written_first.keys().collect::<Vec<_>>(),
        written_second.keys().collect::<Vec<_>>()
    );
    for (key, at) in &written_first {
        assert!(
            written_second[key] > *at,
            "{key} was not written again: a new 24-hour link would point at a file the bucket \
             may delete a day after the first listing"
        );
    }
    let names = |files: &[Value]| -> BTreeSet<String> {
        files
            .iter()
            .map(|f| f["filename"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&first), names(&second));
    let stored = s3
        .list_objects_v2()
        .bucket(&app.config.files_bucket)
        .prefix("temp/")
        .send()
        .await
        .unwrap()
        .key_count()
        .unwrap_or(0);
    assert_eq!(stored as usize, names(&first).len());

    let res = app
        .post(
            "/v4/inbox/disconnect",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .get(first[0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, (404, "NOT_FOUND".into()));
}

#[tokio::test]
async fn pages_beyond_500_messages() {
    let mail = Mailboxes::with_cdsl_mails(520, 20);
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;
    let files = files_of(list(&app, &token, None).await).await;
    assert_eq!(files.len(), 520);
    let ids: BTreeSet<&str> = files
        .iter()
        .map(|f| f["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 520, "none doubled");
    assert_eq!(app.quota_violations().await, 0);
}

#[tokio::test]
async fn google_faults_lose_and_double_nothing() {
    let mail = investor_mailbox();
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let token = app.connect_inbox().await.inbox_token;
    let clean = files_of(list(&app, &token, None).await).await;

    let res = app
        .http
        .post(format!("{}/_sandbox/config", app.sandbox_url))
        .json(&json!({"fault_rate": 0.2}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    for _ in 0..3 {
        let faulty = files_of(list(&app, &token, None).await).await;
        assert_eq!(kinds(&faulty), kinds(&clean));
        assert_eq!(faulty.len(), clean.len());
    }
}

#[tokio::test]
async fn short_credits_and_revoked_grants_are_refused() {
    let mail = investor_mailbox();
    let app = TestApp::spawn_with(Some(mail.path())).await;
    let connected = app.connect_inbox().await;
    let store = app.app.inbox.store.clone();
    // Spend the balance down to 0.1.
    let charged = store
        .charge_credits(&app.tenant_id, Decimal::new(99, 1))
        .await
        .unwrap();
    assert!(matches!(
        charged,
        cas_inbox::domain::ports::Charge::Charged { .. }
    ));
    let res = list(&app, &connected.inbox_token, None).await;
    assert_eq!(res.headers()["x-credits-remaining"], "0.1");
    assert_eq!(error_code(res).await, (402, "INSUFFICIENT_CREDITS".into()));

    store
        .add_credits(&app.tenant_id, Decimal::ONE)
        .await
        .unwrap();
    app.sandbox_control(&format!("/_sandbox/accounts/{DEMO}/revoke"))
        .await;
    let res = list(&app, &connected.inbox_token, None).await;
    assert_eq!(
        res.headers()["x-credits-used"],
        "0",
        "a failed pull is not billed"
    );
    assert_eq!(error_code(res).await, (401, "RECONSENT_REQUIRED".into()));
    let status: Value = app
        .post(
            "/v4/inbox/status",
            Some(&app.api_key),
            Some(&connected.inbox_token),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["connected"], false);
}
