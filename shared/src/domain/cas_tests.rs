//! Listings over hostile mailboxes (issue 11): one bad mail or attachment is one entry in
//! `errors`, and a listing that fails as a whole costs nothing.

use super::*;
use crate::domain::fakes::{Behaviour, NOW, ScriptedMailbox, pdf};
use crate::domain::test_inbox::inbox_with;
use chrono::NaiveDate;
use std::time::Duration;

const ATTACK: &str = "ab€12_AB12345678_TXN.pdf";

/// A CAS from each depository and CAMS, and the mail of the attack.
fn mailbox_with_the_attack() -> ScriptedMailbox {
    let mut m = ScriptedMailbox::default();
    m.mail(
        "cdsl",
        "eCAS@cdslstatement.com",
        "CDSL Consolidated Account Statement",
        &[("OCT2025_AA12345678_TXN.pdf", pdf("cdsl"))],
    );
    m.mail(
        "attack",
        "attacker@evil.example",
        "Consolidated Account Statement",
        &[(ATTACK, pdf("attack"))],
    );
    m.mail(
        "nsdl",
        "NSDL-CAS@nsdl.co.in",
        "NSDL e-CAS for October 2025",
        &[("NSDLe-CAS_123456789_OCT_2025.PDF", pdf("nsdl"))],
    );
    m.mail(
        "cams",
        "CAMS <donotreply@camsonline.com>",
        "Consolidated Account Statement - CAMS Mailback Request",
        &[("statement.pdf", pdf("cams"))],
    );
    m
}

async fn list(
    mailbox: ScriptedMailbox,
    credits: Decimal,
    deadline: Option<Instant>,
) -> (
    Result<CasResponse, ApiError>,
    CreditUsage,
    Decimal,
    Arc<ScriptedMailbox>,
) {
    let mailbox = Arc::new(mailbox);
    let (inbox, store, caller, token) = inbox_with(mailbox.clone(), credits).await;
    let (result, usage) = run_cas(&inbox, &caller, &token, &CasRequest::default(), deadline).await;
    (result, usage, store.balance(), mailbox)
}

/// One `cas` call by `caller` with a fresh credit meter: its result and what the meter saw.
async fn run_cas(
    inbox: &Inbox,
    caller: &Caller,
    token: &str,
    request: &CasRequest,
    deadline: Option<Instant>,
) -> (Result<CasResponse, ApiError>, CreditUsage) {
    let meter = CreditMeter::new(caller.tenant.credits);
    let result = inbox
        .cas(
            caller,
            Some(token),
            request,
            "https://api.example",
            deadline,
            &meter,
        )
        .await;
    (result, meter.usage())
}

fn ten() -> Decimal {
    Decimal::from(10)
}

fn names(listed: &CasResponse) -> BTreeSet<&str> {
    listed
        .files
        .iter()
        .map(|f| f.original_filename.as_str())
        .collect()
}

#[tokio::test]
async fn the_attack_mail_is_one_error_and_the_other_statements_are_listed() {
    let (result, usage, balance, mailbox) = list(mailbox_with_the_attack(), ten(), None).await;
    let listed = result.expect("the listing succeeds");
    assert_eq!(
        names(&listed),
        BTreeSet::from([
            "OCT2025_AA12345678_TXN.pdf",
            "NSDLe-CAS_123456789_OCT_2025.PDF",
            "statement.pdf"
        ])
    );
    assert_eq!(listed.count, 3);
    assert_eq!(
        listed.errors,
        vec![FileError {
            message_id: Some("attack".into()),
            filename: Some(ATTACK.into()),
            code: "UNSUPPORTED_FORMAT".into(),
            msg: listed.errors[0].msg.clone(),
        }]
    );
    assert!(!mailbox.fetched().contains(&"attack-att0".to_string()));
    assert_eq!(
        (usage.used, usage.remaining),
        (LIST_COST, ten() - LIST_COST)
    );
    assert_eq!(balance, ten() - LIST_COST);
}

#[tokio::test]
async fn attachments_declared_over_the_cap_are_reported_without_being_fetched() {
    let mut m = ScriptedMailbox::default();
    m.mail(
        "big",
        "eCAS@cdslstatement.com",
        "CDSL Consolidated Account Statement",
        &[
            ("OCT2025_AA12345678_TXN.pdf", pdf("small")),
            ("NOV2025_AA12345678_TXN.pdf", pdf("big")),
            ("DEC2025_AA12345678_TXN.pdf", pdf("at the cap")),
        ],
    );
    m.mails[0].0.attachments[1].size = MAX_ATTACHMENT_BYTES + 1;
    m.mails[0].0.attachments[2].size = MAX_ATTACHMENT_BYTES;
    // A declared size that lies: the mailbox stops the download at the cap.
    m.mail(
        "liar",
        "eCAS@cdslstatement.com",
        "CDSL Consolidated Account Statement",
        &[(
            "JAN2026_AA12345678_TXN.pdf",
            vec![b'%'; MAX_ATTACHMENT_BYTES as usize + 1],
        )],
    );
    m.mails[1].0.attachments[0].size = 1000;

    let (result, _, _, mailbox) = list(m, ten(), None).await;
    let listed = result.unwrap();
    assert_eq!(
        names(&listed),
        BTreeSet::from(["OCT2025_AA12345678_TXN.pdf", "DEC2025_AA12345678_TXN.pdf"])
    );
    let errors: Vec<(&str, &str, &str)> = listed
        .errors
        .iter()
        .map(|e| {
            (
                e.message_id.as_deref().unwrap(),
                e.filename.as_deref().unwrap(),
                e.code.as_str(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            ("big", "NOV2025_AA12345678_TXN.pdf", "FILE_TOO_LARGE"),
            ("liar", "JAN2026_AA12345678_TXN.pdf", "FILE_TOO_LARGE"),
        ]
    );
    assert!(
        listed.errors[0].msg.contains("10485761 bytes"),
        "{listed:?}"
    );
    assert_eq!(
        mailbox.fetched(),
        vec!["big-att0", "big-att2", "liar-att0"],
        "the declared-too-large attachment is never asked for"
    );
}

#[tokio::test]
async fn a_mail_that_panics_or_fails_is_one_error_and_the_listing_is_charged_once() {
    let mut m = mailbox_with_the_attack();
    m.mail_with(
        "boom",
        "eCAS@cdslstatement.com",
        "CDSL",
        &[("NOV2025_AA12345678_TXN.pdf", pdf("boom"))],
        Behaviour::Panic,
    );
    m.mail_with(
        "gone",
        "eCAS@cdslstatement.com",
        "CDSL",
        &[("DEC2025_AA12345678_TXN.pdf", pdf("gone"))],
        Behaviour::Fail(GoogleError::Refused("404".into())),
    );
    let (result, usage, balance, _) = list(m, ten(), None).await;
    let listed = result.unwrap();
    assert_eq!(listed.count, 3);
    let codes: Vec<(Option<&str>, &str)> = listed
        .errors
        .iter()
        .map(|e| (e.message_id.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (Some("attack"), "UNSUPPORTED_FORMAT"),
            (Some("boom"), "INTERNAL"),
            (Some("gone"), "UPSTREAM_ERROR"),
        ]
    );
    assert_eq!(usage.used, LIST_COST);
    assert_eq!(balance, ten() - LIST_COST);
}

#[tokio::test(start_paused = true)]
async fn mails_still_being_read_at_the_deadline_are_errors_and_the_rest_is_listed() {
    let mut m = mailbox_with_the_attack();
    m.mail_with(
        "slow",
        "eCAS@cdslstatement.com",
        "CDSL",
        &[("NOV2025_AA12345678_TXN.pdf", pdf("slow"))],
        Behaviour::Hang,
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let (result, usage, balance, _) = list(m, ten(), Some(deadline)).await;
    let listed = result.unwrap();
    assert_eq!(listed.count, 3);
    let slow = listed
        .errors
        .iter()
        .find(|e| e.message_id.as_deref() == Some("slow"))
        .expect("the slow mail is reported");
    assert_eq!(slow.code, "UPSTREAM_ERROR");
    assert!(slow.msg.contains("time limit"), "{}", slow.msg);
    assert_eq!(
        Instant::now(),
        deadline,
        "the listing stops at its deadline"
    );
    assert_eq!((usage.used, balance), (LIST_COST, ten() - LIST_COST));

    // Past its deadline already, a listing reads no mail at all (but the search answered).
    let (result, _, _, _) = list(mailbox_with_the_attack(), ten(), Some(Instant::now())).await;
    let listed = result.unwrap();
    assert_eq!(listed.count, 0);
    assert_eq!(listed.errors.len(), 4);
}

/// A statement parsed and charged in a mail that the deadline then cuts off is not in the
/// answer, so its parse is given back; the listing itself stays charged.
#[tokio::test(start_paused = true)]
async fn a_parse_the_deadline_cuts_off_is_not_billed() {
    let statement = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../parser/tests/fixtures/cams_aes256.pdf"
    ))
    .expect("parser fixture");
    let mut m = ScriptedMailbox::default();
    m.mail(
        "cams",
        "CAMS <donotreply@camsonline.com>",
        "Consolidated Account Statement - CAMS Mailback Request",
        &[("a.pdf", statement.clone()), ("b.pdf", pdf("stuck"))],
    );
    m.hanging_attachments = vec!["cams-att1".into()];
    let (inbox, store, caller, token) = inbox_with(Arc::new(m), ten()).await;
    let request = CasRequest {
        parse: Some(true),
        password: Some("Demo@1234".into()),
        ..CasRequest::default()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let (result, usage) = run_cas(&inbox, &caller, &token, &request, Some(deadline)).await;
    let listed = result.unwrap();
    assert_eq!(listed.count, 0);
    assert_eq!(listed.errors.len(), 1);
    assert_eq!(listed.errors[0].code, "UPSTREAM_ERROR");
    assert_eq!(usage.used, LIST_COST);
    assert_eq!(usage.remaining, ten() - LIST_COST);
    assert_eq!(store.balance(), ten() - LIST_COST);

    // Without the hang, the same statement is parsed and billed once.
    let mut m = ScriptedMailbox::default();
    m.mail(
        "cams",
        "CAMS <donotreply@camsonline.com>",
        "Consolidated Account Statement - CAMS Mailback Request",
        &[("a.pdf", statement)],
    );
    let (inbox, store, caller, token) = inbox_with(Arc::new(m), ten()).await;
    let (result, usage) = run_cas(&inbox, &caller, &token, &request, None).await;
    assert!(result.unwrap().files[0].parsed.is_some());
    let billed = LIST_COST + PARSE_COST;
    assert_eq!((usage.used, store.balance()), (billed, ten() - billed));
}

/// Every way the listing can fail as a whole, before or while searching: nothing charged.
#[tokio::test(start_paused = true)]
async fn a_listing_that_fails_panics_or_times_out_as_a_whole_costs_nothing() {
    let cases = [
        (
            Behaviour::Fail(GoogleError::Unavailable("503".into())),
            "UPSTREAM_ERROR",
        ),
        (
            Behaviour::Fail(GoogleError::InvalidGrant),
            "RECONSENT_REQUIRED",
        ),
        (Behaviour::Panic, "INTERNAL"),
        (Behaviour::Hang, "UPSTREAM_ERROR"),
    ];
    for (behaviour, code) in cases {
        let mut m = mailbox_with_the_attack();
        m.search = Some(behaviour);
        let deadline = Instant::now() + Duration::from_secs(25);
        let (result, usage, balance, mailbox) = list(m, ten(), Some(deadline)).await;
        assert_eq!(result.unwrap_err().code.as_str(), code);
        assert_eq!(
            (usage.used, usage.remaining),
            (Decimal::ZERO, ten()),
            "{code}"
        );
        assert_eq!(balance, ten(), "{code}");
        assert!(mailbox.fetched().is_empty());
    }
}

#[tokio::test]
async fn a_short_balance_is_refused_before_any_google_call() {
    let short = LIST_COST - Decimal::new(1, 2);
    let (result, usage, balance, mailbox) = list(mailbox_with_the_attack(), short, None).await;
    assert_eq!(result.unwrap_err().code, ErrorCode::InsufficientCredits);
    assert_eq!((usage.used, balance), (Decimal::ZERO, short));
    assert_eq!(mailbox.searches.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_refund_gives_back_what_was_taken() {
    let (inbox, store, caller, _) = inbox_with(Arc::new(ScriptedMailbox::default()), ten()).await;
    let charged = charge(store.as_ref(), &caller.tenant.id, LIST_COST)
        .await
        .unwrap();
    assert_eq!(charged.remaining, ten() - LIST_COST);
    let meter = CreditMeter::new(ten());
    meter.set(charged);
    inbox
        .refund(&caller.tenant.id, LIST_COST, ten(), &meter)
        .await;
    let usage = meter.usage();
    assert_eq!((usage.used, usage.remaining), (Decimal::ZERO, ten()));
    assert_eq!(store.balance(), ten());
}

#[test]
fn the_fake_clock_is_inside_the_default_window() {
    let today = DateTime::from_timestamp(NOW, 0)
        .unwrap()
        .with_timezone(&ist())
        .date_naive();
    assert_eq!(today, NaiveDate::from_ymd_opt(2025, 1, 31).unwrap());
}

/// Issue 11, item 9: a disconnect that runs while a listing reads deletes the connection's
/// files; what the listing stores after that is deleted by the listing itself, which answers
/// as the disconnected connection would and is not charged.
#[tokio::test]
async fn a_listing_that_races_a_disconnect_leaves_no_files_and_costs_nothing() {
    let mut m = ScriptedMailbox::default();
    m.mail(
        "cdsl",
        "eCAS@cdslstatement.com",
        "CDSL Consolidated Account Statement",
        &[("OCT2025_AA12345678_TXN.pdf", pdf("cdsl"))],
    );
    m.mail(
        "nsdl",
        "NSDL-CAS@nsdl.co.in",
        "NSDL e-CAS for October 2025",
        &[("NSDLe-CAS_123456789_OCT_2025.PDF", pdf("nsdl"))],
    );
    let mailbox = Arc::new(m);
    let (mut inbox, store, caller, token) = inbox_with(mailbox.clone(), ten()).await;
    let files = Arc::new(crate::domain::fakes::MemFiles::default());
    inbox.files = files.clone();
    // A file of an earlier listing, there before the disconnect.
    let earlier = file_key(
        crate::domain::fakes::CONNECTION,
        "cdsl_20251001_00000000.pdf",
    );
    inbox.files.put(&earlier, &pdf("earlier")).await.unwrap();
    let (other, other_caller, other_token) = (inbox.clone(), caller.clone(), token.clone());
    *mailbox.on_attachment.lock().unwrap() = Some(Box::pin(async move {
        other
            .disconnect(&other_caller, Some(&other_token))
            .await
            .expect("the disconnect succeeds");
    }));

    let (result, usage) = run_cas(&inbox, &caller, &token, &CasRequest::default(), None).await;
    assert_eq!(
        result.unwrap_err().code,
        ErrorCode::InvalidInboxToken,
        "answers as a disconnected connection does"
    );
    assert!(
        !mailbox.fetched().is_empty(),
        "the disconnect ran mid-listing"
    );
    assert!(store.connections.lock().unwrap().is_empty());
    let left: Vec<String> = files.objects.lock().unwrap().keys().cloned().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
    assert_eq!((usage.used, usage.remaining), (Decimal::ZERO, ten()));
    assert_eq!(store.balance(), ten());
}

/// The same listing without a disconnect keeps its files (the check above is not a blanket
/// delete).
#[tokio::test]
async fn a_listing_without_a_disconnect_keeps_its_files() {
    let mut m = ScriptedMailbox::default();
    m.mail(
        "cdsl",
        "eCAS@cdslstatement.com",
        "CDSL Consolidated Account Statement",
        &[("OCT2025_AA12345678_TXN.pdf", pdf("cdsl"))],
    );
    let mailbox = Arc::new(m);
    let (mut inbox, _, caller, token) = inbox_with(mailbox, ten()).await;
    let files = Arc::new(crate::domain::fakes::MemFiles::default());
    inbox.files = files.clone();
    let (result, _) = run_cas(&inbox, &caller, &token, &CasRequest::default(), None).await;
    assert_eq!(result.unwrap().count, 1);
    assert_eq!(files.objects.lock().unwrap().len(), 1);
}

fn cams_statement() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../parser/tests/fixtures/cams_aes256.pdf"
    ))
    .expect("parser fixture")
}

/// A CAMS mail carrying `pdfs`, listed with `parse: true`: the answer, the meter's usage and
/// the balance left, with `on_attachment` run during the first download.
async fn list_and_parse(
    pdfs: &[(&str, Vec<u8>)],
    on_attachment: impl FnOnce(Inbox, Caller, String) -> futures::future::BoxFuture<'static, ()>,
) -> (Result<CasResponse, ApiError>, CreditUsage, Decimal) {
    let mut m = ScriptedMailbox::default();
    m.mail(
        "cams",
        "CAMS <donotreply@camsonline.com>",
        "Consolidated Account Statement - CAMS Mailback Request",
        pdfs,
    );
    let mailbox = Arc::new(m);
    let (inbox, store, caller, token) = inbox_with(mailbox.clone(), ten()).await;
    *mailbox.on_attachment.lock().unwrap() =
        Some(on_attachment(inbox.clone(), caller.clone(), token.clone()));
    let request = CasRequest {
        parse: Some(true),
        password: Some("Demo@1234".into()),
        ..CasRequest::default()
    };
    let (result, usage) = run_cas(&inbox, &caller, &token, &request, None).await;
    (result, usage, store.balance())
}

/// A statement that cannot be parsed is listed with its `parse_error` and not billed; the
/// one beside it that parses is.
#[tokio::test]
async fn a_statement_that_fails_to_parse_in_a_listing_is_not_billed() {
    let pdfs = [("a.pdf", cams_statement()), ("b.pdf", pdf("unreadable"))];
    let (result, usage, balance) = list_and_parse(&pdfs, |_, _, _| Box::pin(async {})).await;
    let listed = result.unwrap();
    let by_name = |name: &str| {
        listed
            .files
            .iter()
            .find(|f| f.original_filename == name)
            .unwrap()
    };
    assert!(by_name("a.pdf").parsed.is_some());
    let failed = by_name("b.pdf");
    assert!(failed.parsed.is_none());
    assert_eq!(failed.parse_error.as_ref().unwrap().code, "INVALID_PDF");
    let billed = LIST_COST + PARSE_COST;
    assert_eq!((usage.used, usage.remaining), (billed, ten() - billed));
    assert_eq!(balance, ten() - billed);
}

/// A listing that parsed (and charged) a statement and then fails as a whole — here the
/// connection was disconnected while it read — gives back the listing and the parse.
#[tokio::test]
async fn a_listing_that_fails_after_parsing_gives_back_the_parses_too() {
    let pdfs = [("a.pdf", cams_statement())];
    let (result, usage, balance) = list_and_parse(&pdfs, |inbox, caller, token| {
        Box::pin(async move {
            inbox.disconnect(&caller, Some(&token)).await.unwrap();
        })
    })
    .await;
    assert_eq!(result.unwrap_err().code, ErrorCode::InvalidInboxToken);
    assert_eq!((usage.used, usage.remaining), (Decimal::ZERO, ten()));
    assert_eq!(balance, ten());
}
