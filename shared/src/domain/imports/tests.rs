//! Scheduled imports over the in-memory fakes.

use super::fakes::{MemImports, MemQueue, Received, ScriptedReceiver};
use super::model::{Delivery, ImportState, Job};
use super::ports::Sent;
use super::run::{GIVE_UP_UNREAD_SECONDS, Outcome, RUN_COST};
use super::webhook::sign;
use super::{ImportConfig, Imports};
use crate::api::imports::{ImportRequest, WebhookRequest};
use crate::domain::credits::PARSE_COST;
use crate::domain::fakes::{Behaviour, CONNECTION, MemStore, NOW, ScriptedMailbox, TENANT, pdf};
use crate::domain::model::ConnectionStatus;
use crate::domain::ports::{Clock, GoogleError};
use crate::domain::service::Caller;
use crate::domain::test_inbox::inbox_with;
use crate::error::ErrorCode;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

const CDSL: &str = "eCAS@cdslstatement.com";
const NSDL: &str = "NSDL-CAS@nsdl.co.in";
const CAMS: &str = "donotreply@camsonline.com";

struct Setup {
    imports: Imports,
    store: Arc<MemStore>,
    db: Arc<MemImports>,
    queue: Arc<MemQueue>,
    receiver: Arc<ScriptedReceiver>,
    caller: Caller,
    token: String,
}

async fn setup(mailbox: ScriptedMailbox, credits: Decimal) -> Setup {
    let (inbox, store, caller, token) = inbox_with(Arc::new(mailbox), credits).await;
    let db = Arc::new(MemImports::new(store.clone()));
    // Status reads the same settings.
    let mut inbox = inbox;
    inbox.imports = db.clone();
    let queue = Arc::new(MemQueue::default());
    let receiver = Arc::new(ScriptedReceiver::default());
    let imports = Imports {
        inbox,
        store: db.clone(),
        queue: queue.clone(),
        sender: receiver.clone(),
        config: ImportConfig {
            link_base: "https://api.example".into(),
            ..ImportConfig::default()
        },
    };
    Setup {
        imports,
        store,
        db,
        queue,
        receiver,
        caller,
        token,
    }
}

fn two_statements() -> ScriptedMailbox {
    and_two_statements(ScriptedMailbox::default())
}

/// `mailbox` with the two statements of `two_statements` added, older than what it holds
/// (the scripted mailbox dates mails newest first).
fn and_two_statements(mut mailbox: ScriptedMailbox) -> ScriptedMailbox {
    mailbox.mail(
        "m1",
        CDSL,
        "CDSL CAS",
        &[("Jan2025_AB12345678_TXN.pdf", pdf("a"))],
    );
    mailbox.mail(
        "m2",
        NSDL,
        "NSDL CAS",
        &[("NSDLe-CAS_1_JAN_2025.PDF", pdf("b"))],
    );
    mailbox
}

impl Setup {
    /// The user withdrew the grant at Google (the connection is marked revoked).
    fn revoke(&self) {
        self.store
            .connections
            .lock()
            .unwrap()
            .get_mut(CONNECTION)
            .unwrap()
            .status = ConnectionStatus::Revoked;
    }

    async fn enable(&self, request: ImportRequest) -> i64 {
        let answer = self
            .imports
            .set_import(&self.caller, Some(&self.token), request)
            .await
            .unwrap();
        assert!(answer.enabled);
        self.db.settings_of(CONNECTION).next_run_at.unwrap()
    }
    async fn webhook(&self) -> String {
        let answer = self
            .imports
            .set_webhook(
                &self.caller,
                WebhookRequest {
                    url: Some("https://hooks.example.com/cas".into()),
                },
            )
            .await
            .unwrap();
        answer.secret
    }
    fn received(&self) -> Vec<Received> {
        self.receiver.received.lock().unwrap().clone()
    }
}

fn enabled() -> ImportRequest {
    ImportRequest {
        enabled: Some(true),
        ..ImportRequest::default()
    }
}

/// A clock the test moves.
struct Hands(AtomicI64);

impl Clock for Hands {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Hands {
    fn set(&self, at: i64) {
        self.0.store(at, Ordering::SeqCst);
    }
}

/// Two statements, 12 and 2 days old; fetching the older one does `older`.
fn old_and_new(older: Behaviour) -> Arc<ScriptedMailbox> {
    let mut mailbox = ScriptedMailbox::default();
    mailbox.mail(
        "new",
        CDSL,
        "CDSL CAS",
        &[("Jan2025_AB12345678_TXN.pdf", pdf("new"))],
    );
    mailbox.mail_with(
        "old",
        NSDL,
        "NSDL CAS",
        &[("NSDLe-CAS_1_JAN_2025.PDF", pdf("old"))],
        older,
    );
    mailbox.mails[0].0.internal_date_ms = (NOW - 2 * 86_400) * 1000;
    mailbox.mails[1].0.internal_date_ms = (NOW - 12 * 86_400) * 1000;
    Arc::new(mailbox)
}

/// The statements delivered so far, by message id: how many times each.
fn delivered_statements(received: &[Received]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for (_, _, body) in received {
        let event: serde_json::Value = serde_json::from_str(body).unwrap();
        for file in event["data"]["files"].as_array().unwrap() {
            *seen
                .entry(file["message_id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    seen
}

fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> &'a str {
    &headers.iter().find(|(n, _)| *n == name).unwrap().1
}

#[tokio::test]
async fn a_run_imports_new_statements_once_and_signs_the_event() {
    let s = setup(two_statements(), Decimal::from(10)).await;
    let secret = s.webhook().await;
    let slot = s.enable(enabled()).await;
    assert_eq!(slot, NOW, "due at once");

    let outcome = s.imports.run(CONNECTION, slot).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Imported {
            files: 2,
            charged: RUN_COST
        }
    );
    assert_eq!(s.store.balance(), Decimal::from(10) - RUN_COST);
    let received = s.received();
    assert_eq!(received.len(), 1);
    let (url, headers, body) = &received[0];
    assert_eq!(url, "https://hooks.example.com/cas");
    let id = header(headers, "webhook-id");
    let timestamp: i64 = header(headers, "webhook-timestamp").parse().unwrap();
    assert_eq!(
        header(headers, "webhook-signature"),
        sign(&secret, id, timestamp, body).unwrap()
    );
    let event: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["type"], "inbox.cas_imported");
    assert_eq!(event["data"]["connection_id"], CONNECTION);
    assert_eq!(event["data"]["email"], "demo.investor@gmail.com");
    let files = event["data"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert!(
        files[0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://api.example/v4/files/")
    );

    // The same message again (SQS redelivers): nothing new, nothing charged, nothing sent.
    assert_eq!(
        s.imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::Skipped
    );
    // The next slot: the mails are known, the run is free and silent.
    let next = s.db.settings_of(CONNECTION).next_run_at.unwrap();
    assert_eq!(next, NOW + 86_400);
    assert_eq!(
        s.imports.run(CONNECTION, next).await.unwrap(),
        Outcome::NothingNew
    );
    assert_eq!(s.store.balance(), Decimal::from(10) - RUN_COST);
    assert_eq!(s.received().len(), 1);
    let settings = s.db.settings_of(CONNECTION);
    assert_eq!(settings.last_result.as_deref(), Some("nothing_new"));
    assert_eq!(settings.imported.len(), 2);
}

#[tokio::test]
async fn only_new_mails_are_fetched_on_the_next_run() {
    let s = setup(two_statements(), Decimal::from(10)).await;
    let slot = s.enable(enabled()).await;
    s.imports.run(CONNECTION, slot).await.unwrap();
    // A new statement arrives; the next run fetches only it.
    // It arrived after the others (the scripted mailbox dates mails newest first).
    let mut mailbox = ScriptedMailbox::default();
    mailbox.mail(
        "m3",
        CAMS,
        "Consolidated Account Statement - CAMS Mailback Request",
        &[("x.pdf", pdf("c"))],
    );
    let mailbox = Arc::new(and_two_statements(mailbox));
    let mut imports = s.imports.clone();
    imports.inbox.mailbox = mailbox.clone();
    let next = s.db.settings_of(CONNECTION).next_run_at.unwrap();
    let outcome = imports.run(CONNECTION, next).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Imported {
            files: 1,
            charged: RUN_COST
        }
    );
    assert_eq!(mailbox.fetched(), vec!["m3-att0".to_string()]);
    // No webhook set: the batches are kept for GET /v4/inbox/imports, newest first.
    let page = s
        .imports
        .list_imports(&s.caller, Some(&s.token), Some("1"), None)
        .await
        .unwrap();
    assert_eq!(page.count, 1);
    assert_eq!(page.imports[0].delivery, "no_webhook");
    assert_eq!(page.imports[0].data["files"][0]["message_id"], "m3");
    let older = s
        .imports
        .list_imports(&s.caller, Some(&s.token), Some("1"), page.next.as_deref())
        .await
        .unwrap();
    assert_eq!(older.imports[0].data["count"], 2);
    assert!(older.next.is_none());
}

#[tokio::test]
async fn a_page_token_that_no_page_gave_is_the_callers_mistake() {
    let s = setup(two_statements(), Decimal::from(10)).await;
    s.enable(enabled()).await;
    for after in ["", "abc", "1.5", "99999999999999999999"] {
        let e = s
            .imports
            .list_imports(&s.caller, Some(&s.token), None, Some(after))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest, "{after:?}");
    }
}

#[tokio::test]
async fn two_workers_on_one_slot_commit_once() {
    let s = setup(two_statements(), Decimal::from(10)).await;
    s.webhook().await;
    let slot = s.enable(enabled()).await;
    let (a, b) = tokio::join!(
        s.imports.run(CONNECTION, slot),
        s.imports.run(CONNECTION, slot)
    );
    let imported = [a, b]
        .into_iter()
        .filter(|o| matches!(o, Ok(Outcome::Imported { .. })))
        .count();
    assert_eq!(imported, 1);
    assert_eq!(s.db.all_batches().len(), 1);
    assert_eq!(s.store.balance(), Decimal::from(10) - RUN_COST);
    assert_eq!(s.received().len(), 1);
}

#[tokio::test]
async fn out_of_credits_pauses_without_losing_and_resumes() {
    let s = setup(two_statements(), Decimal::new(1, 1)).await;
    s.webhook().await;
    let slot = s.enable(enabled()).await;
    assert_eq!(
        s.imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::Paused
    );
    let paused = s.db.settings_of(CONNECTION);
    assert_eq!(paused.state, ImportState::PausedNoCredits);
    assert!(paused.imported.is_empty(), "nothing imported");
    assert!(s.received().is_empty());
    assert_eq!(s.store.balance(), Decimal::new(1, 1));
    // Credits added: the retry an hour later imports both.
    s.store
        .tenants
        .lock()
        .unwrap()
        .get_mut(TENANT)
        .unwrap()
        .credits = Decimal::ONE;
    let retry = paused.next_run_at.unwrap();
    assert_eq!(retry, NOW + 3_600);
    assert!(matches!(
        s.imports.run(CONNECTION, retry).await.unwrap(),
        Outcome::Imported { files: 2, .. }
    ));
    assert_eq!(s.db.settings_of(CONNECTION).state, ImportState::Active);
    assert_eq!(s.received().len(), 1);
}

#[tokio::test]
async fn parsing_charges_per_parsed_statement_and_reports_failures() {
    let statement = include_bytes!("../../../../parser/tests/fixtures/cams_rc4128.pdf").to_vec();
    let mut mailbox = ScriptedMailbox::default();
    mailbox.mail(
        "m1",
        CAMS,
        "Consolidated Account Statement - CAMS Mailback Request",
        &[("cas.pdf", statement)],
    );
    mailbox.mail(
        "m2",
        CDSL,
        "CDSL CAS",
        &[("Jan2025_AB12345678_TXN.pdf", pdf("not a real pdf"))],
    );
    let s = setup(mailbox, Decimal::from(10)).await;
    s.webhook().await;
    let slot = s
        .enable(ImportRequest {
            enabled: Some(true),
            parse: Some(true),
            password: Some("Demo@1234".into()),
            cas_types: None,
        })
        .await;
    let outcome = s.imports.run(CONNECTION, slot).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Imported {
            files: 2,
            charged: RUN_COST + PARSE_COST
        }
    );
    let body: serde_json::Value = serde_json::from_str(&s.received()[0].2).unwrap();
    let files = body["data"]["files"].as_array().unwrap();
    let cams = files.iter().find(|f| f["cas_type"] == "cams").unwrap();
    assert!(cams["parse_error"].is_null(), "{cams}");
    assert!(cams["parsed"]["summary"]["total_value"].as_f64().unwrap() > 0.0);
    assert!(cams["parsed"]["meta"]["reconciled"].is_boolean());
    let cdsl = files.iter().find(|f| f["cas_type"] == "cdsl").unwrap();
    assert!(cdsl["parse_error"]["code"].is_string(), "{cdsl}");
    assert!(!body.to_string().contains("Demo@1234"));
}

#[tokio::test]
async fn a_revoked_grant_stops_imports_and_tells_the_tenant_once() {
    let s = setup(two_statements(), Decimal::from(10)).await;
    s.webhook().await;
    let slot = s.enable(enabled()).await;
    s.revoke();
    assert_eq!(
        s.imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::ReconsentRequired
    );
    assert_eq!(
        s.imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::Skipped
    );
    let settings = s.db.settings_of(CONNECTION);
    assert_eq!(settings.state, ImportState::ReconsentRequired);
    // POST /v4/inbox/status shows it.
    let status = s
        .imports
        .inbox
        .status(&s.caller, Some(&s.token))
        .await
        .unwrap();
    let block = status.import.unwrap();
    assert_eq!(block.state, "reconsent_required");
    assert_eq!(block.next_run_at, None);
    assert!(block.enabled);
    assert_eq!(settings.next_run_at, None, "off the due index");
    let received = s.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].2.contains("inbox.reconsent_required"));
    assert_eq!(s.store.balance(), Decimal::from(10));
    // Turning imports on again needs a new consent.
    let e = s
        .imports
        .set_import(&s.caller, Some(&s.token), enabled())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ReconsentRequired);
}

#[tokio::test]
async fn failed_deliveries_follow_the_retry_schedule_then_stay_readable() {
    let s = setup(two_statements(), Decimal::from(10)).await;
    s.webhook().await;
    {
        let mut answers = s.receiver.answers.lock().unwrap();
        answers.push_back(Sent::Status(500));
        answers.push_back(Sent::Failed("timed out".into()));
        for _ in 0..3 {
            answers.push_back(Sent::Status(404));
        }
    }
    let slot = s.enable(enabled()).await;
    s.imports.run(CONNECTION, slot).await.unwrap();
    let mut delays = Vec::new();
    loop {
        let sent = s.queue.take();
        if sent.is_empty() {
            break;
        }
        for (job, delay) in sent {
            delays.push(delay);
            assert_eq!(
                job,
                Job::Deliver {
                    connection_id: CONNECTION.into(),
                    slot
                }
            );
            s.imports.handle(&job).await.unwrap();
        }
    }
    assert_eq!(delays, vec![30, 120, 600, 900]);
    let received = s.received();
    assert_eq!(received.len(), 5);
    let ids: std::collections::BTreeSet<_> = received
        .iter()
        .map(|(_, h, _)| header(h, "webhook-id").to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every attempt carries the same webhook-id");
    let batch = &s.db.all_batches()[0];
    assert_eq!(batch.delivery, Delivery::Failed);
    assert_eq!(batch.attempts, 5);
    // A late duplicate of a retry does nothing more.
    s.imports
        .handle(&Job::Deliver {
            connection_id: CONNECTION.into(),
            slot,
        })
        .await
        .unwrap();
    assert_eq!(s.received().len(), 5);
    let page = s
        .imports
        .list_imports(&s.caller, Some(&s.token), None, None)
        .await
        .unwrap();
    assert_eq!(page.imports[0].delivery, "failed");
    assert_eq!(page.imports[0].attempts, 5);
}

#[tokio::test]
async fn the_dispatcher_enqueues_every_due_connection_and_no_other() {
    let s = setup(ScriptedMailbox::default(), Decimal::from(10)).await;
    let template = {
        s.enable(enabled()).await;
        s.db.settings_of(CONNECTION)
    };
    {
        let mut state = s.db.state.lock().unwrap();
        for n in 0..25 {
            let mut other = template.clone();
            other.connection_id = format!("conn-{n:03}");
            // Due over the last week, or (every fifth) tomorrow.
            other.next_run_at = Some(if n % 5 == 0 {
                NOW + 86_400
            } else {
                NOW - n * 20_000
            });
            state.settings.insert(other.connection_id.clone(), other);
        }
    }
    let dispatched = s.imports.dispatch().await.unwrap();
    assert_eq!(dispatched.enqueued, 21, "20 others due and the first");
    let jobs = s.queue.take();
    let mut ids: Vec<_> = jobs
        .iter()
        .map(|(j, _)| j.connection_id().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 21);
    assert!(!ids.contains(&"conn-000".to_string()));
}

#[tokio::test]
async fn settings_and_webhooks_refuse_bad_input() {
    let s = setup(ScriptedMailbox::default(), Decimal::from(10)).await;
    let bad = |r: ImportRequest| {
        let imports = s.imports.clone();
        let caller = s.caller.clone();
        let token = s.token.clone();
        async move {
            imports
                .set_import(&caller, Some(&token), r)
                .await
                .unwrap_err()
                .code
        }
    };
    assert_eq!(
        bad(ImportRequest::default()).await,
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        bad(ImportRequest {
            enabled: Some(true),
            parse: Some(true),
            ..ImportRequest::default()
        })
        .await,
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        bad(ImportRequest {
            enabled: Some(true),
            cas_types: Some(vec!["zerodha".into()]),
            ..ImportRequest::default()
        })
        .await,
        ErrorCode::InvalidRequest
    );
    let foreign = s
        .imports
        .set_import(&s.caller, Some("not-a-token"), enabled())
        .await
        .unwrap_err();
    assert_eq!(foreign.code, ErrorCode::InvalidInboxToken);
    for url in [
        None,
        Some("http://hooks.example.com/"),
        Some("https://10.1.2.3/"),
        Some("https://resolves-private.example/"),
    ] {
        let e = s
            .imports
            .set_webhook(
                &s.caller,
                WebhookRequest {
                    url: url.map(String::from),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest, "{url:?}");
    }
    // Off: no longer due; the status block says so.
    s.enable(enabled()).await;
    let off = s
        .imports
        .set_import(
            &s.caller,
            Some(&s.token),
            ImportRequest {
                enabled: Some(false),
                ..ImportRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(off.next_run_at, None);
    let status = s.imports.import_status(CONNECTION).await.unwrap().unwrap();
    assert!(!status.enabled);
}

#[tokio::test]
async fn a_mail_google_failed_to_give_once_is_imported_by_a_later_run() {
    // A 5xx (after the adapter's retries), or the access token refused for that one mail.
    for failure in [
        GoogleError::Unavailable("503".into()),
        GoogleError::Unauthorized,
    ] {
        let s = setup(ScriptedMailbox::default(), Decimal::from(10)).await;
        s.webhook().await;
        let clock = Arc::new(Hands(AtomicI64::new(NOW)));
        let mut imports = s.imports.clone();
        imports.inbox.clock = clock.clone();
        imports.inbox.mailbox = old_and_new(Behaviour::Fail(failure.clone()));
        let slot = s.enable(enabled()).await;
        assert!(matches!(
            imports.run(CONNECTION, slot).await.unwrap(),
            Outcome::Imported { files: 1, .. }
        ));
        let after_first = s.db.settings_of(CONNECTION);
        assert!(!after_first.imported.contains_key("old"), "{failure}");

        // Google answers again; the next slot comes (a day later, the window still holds it).
        imports.inbox.mailbox = old_and_new(Behaviour::Answer);
        let next = after_first.next_run_at.unwrap();
        clock.set(next.max(NOW + 86_400));
        let outcome = imports.run(CONNECTION, next).await.unwrap();
        assert!(
            matches!(outcome, Outcome::Imported { files: 1, .. }),
            "{failure}: {outcome:?}"
        );
        let delivered = delivered_statements(&s.received());
        assert_eq!(
            delivered,
            BTreeMap::from([("new".to_string(), 1), ("old".to_string(), 1)]),
            "{failure}"
        );
        // Once both are in, the cursor moves on.
        let settings = s.db.settings_of(CONNECTION);
        assert!(settings.cursor_ms > after_first.cursor_ms, "{failure}");
    }
}

#[tokio::test]
async fn a_commit_whose_answer_was_lost_is_still_delivered_once() {
    let s = setup(two_statements(), Decimal::from(10)).await;
    s.webhook().await;
    let slot = s.enable(enabled()).await;
    // DynamoDB committed, the answer was lost, the SDK's retry failed the version condition.
    s.db.lost_answers
        .store(1, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        s.imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::Skipped
    );
    assert_eq!(s.db.all_batches().len(), 1);
    assert_eq!(s.received().len(), 1, "the committed batch is delivered");
    assert_eq!(s.db.all_batches()[0].delivery, Delivery::Delivered);
    // The redelivered message finds it done.
    s.imports.run(CONNECTION, slot).await.unwrap();
    assert_eq!(s.received().len(), 1);
    assert_eq!(s.store.balance(), Decimal::from(10) - RUN_COST);

    // The same on the reconsent path.
    let s = setup(two_statements(), Decimal::from(10)).await;
    s.webhook().await;
    let slot = s.enable(enabled()).await;
    s.revoke();
    s.db.lost_answers
        .store(1, std::sync::atomic::Ordering::SeqCst);
    s.imports.run(CONNECTION, slot).await.unwrap();
    s.imports.run(CONNECTION, slot).await.unwrap();
    let received = s.received();
    assert_eq!(received.len(), 1, "the reconsent event is delivered once");
    assert!(received[0].2.contains("inbox.reconsent_required"));
}

#[tokio::test]
async fn runs_keep_to_the_hour_they_were_dispatched_at() {
    // Dispatched at T (hourly), run a few seconds later: the next day's dispatch at T + 24 h
    // finds the connection due (not the one an hour after that).
    let s = setup(two_statements(), Decimal::from(10)).await;
    let clock = Arc::new(Hands(AtomicI64::new(NOW)));
    let mut imports = s.imports.clone();
    imports.inbox.clock = clock.clone();
    let slot = s.enable(enabled()).await;
    assert_eq!(imports.dispatch().await.unwrap().enqueued, 1);
    s.queue.take();
    clock.set(NOW + 5);
    assert!(matches!(
        imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::Imported { .. }
    ));
    clock.set(NOW + 86_400);
    assert_eq!(
        imports.dispatch().await.unwrap().enqueued,
        1,
        "due a day later"
    );
    let next = s.db.settings_of(CONNECTION).next_run_at.unwrap();
    assert_eq!(next, NOW + 86_400);

    // A run that waited (the queue was long): still on the hour's grid, a day apart at least.
    clock.set(NOW + 86_400 + 1_800);
    imports.run(CONNECTION, next).await.unwrap();
    assert_eq!(
        s.db.settings_of(CONNECTION).next_run_at,
        Some(NOW + 2 * 86_400)
    );

    // Paused for credits: tried again at the next hourly dispatch, not the one after.
    let s = setup(two_statements(), Decimal::new(1, 1)).await;
    let mut imports = s.imports.clone();
    imports.inbox.clock = clock.clone();
    clock.set(NOW);
    let slot = s.enable(enabled()).await;
    clock.set(NOW + 5);
    assert_eq!(
        imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::Paused
    );
    clock.set(NOW + 3_600);
    assert_eq!(
        imports.dispatch().await.unwrap().enqueued,
        1,
        "due an hour later"
    );
}

#[tokio::test]
async fn a_connection_whose_runs_keep_failing_stays_on_the_schedule() {
    // Gmail's search fails for ten days (longer than the dispatcher looks back), then works.
    let s = setup(ScriptedMailbox::default(), Decimal::from(10)).await;
    s.webhook().await;
    let clock = Arc::new(Hands(AtomicI64::new(NOW)));
    let mut imports = s.imports.clone();
    imports.inbox.clock = clock.clone();
    let mut down = two_statements();
    down.search = Some(Behaviour::Fail(GoogleError::Unavailable("503".into())));
    let down = Arc::new(down);
    imports.inbox.mailbox = down.clone();
    s.enable(enabled()).await;
    let mut runs_per_day = [0usize; 10];
    let mut outcomes = Vec::new();
    for hour in 0..24 * 10 {
        clock.set(NOW + hour * 3_600);
        imports.dispatch().await.unwrap();
        for (job, _) in s.queue.take() {
            outcomes.push(imports.handle(&job).await.ok());
            runs_per_day[hour as usize / 24] += 1;
        }
    }
    // Backing off (hours 0, 1, 2, 3, 5, 9, 17, then daily), never dropped.
    assert!(runs_per_day.iter().all(|n| *n >= 1), "{runs_per_day:?}");
    assert!(runs_per_day[0] <= 8, "{runs_per_day:?}");
    assert!(
        runs_per_day[2..].iter().all(|n| *n == 1),
        "{runs_per_day:?}"
    );

    // Google is back: within a day the statements are delivered.
    imports.inbox.mailbox = Arc::new(two_statements());
    for hour in 24 * 10..24 * 11 {
        clock.set(NOW + hour * 3_600);
        imports.dispatch().await.unwrap();
        for (job, _) in s.queue.take() {
            imports.handle(&job).await.unwrap();
        }
    }
    assert_eq!(
        delivered_statements(&s.received()),
        BTreeMap::from([("m1".to_string(), 1), ("m2".to_string(), 1)])
    );
    let settings = s.db.settings_of(CONNECTION);
    assert_eq!(settings.last_result.as_deref(), Some("imported"));
}

#[tokio::test]
async fn a_paused_connection_waits_for_credits_without_fetching_or_losing_its_window() {
    // A first run out of credits finds a statement 29 days old, then waits three days.
    let mut mailbox = two_statements();
    mailbox.mails[1].0.internal_date_ms = (NOW - 29 * 86_400) * 1000;
    let mailbox = Arc::new(mailbox);
    let s = setup(ScriptedMailbox::default(), Decimal::new(1, 1)).await;
    s.webhook().await;
    let clock = Arc::new(Hands(AtomicI64::new(NOW)));
    let mut imports = s.imports.clone();
    imports.inbox.clock = clock.clone();
    imports.inbox.mailbox = mailbox.clone();
    let gmail_calls = || mailbox.searches.load(Ordering::SeqCst) + mailbox.fetched().len();
    let slot = s.enable(enabled()).await;
    assert_eq!(
        imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::Paused
    );
    let calls = gmail_calls();
    // Its hourly retries, still short of credits, fetch nothing.
    let mut next = s.db.settings_of(CONNECTION).next_run_at.unwrap();
    while next < NOW + 3 * 86_400 {
        clock.set(next);
        assert_eq!(
            imports.run(CONNECTION, next).await.unwrap(),
            Outcome::Paused
        );
        next = s.db.settings_of(CONNECTION).next_run_at.unwrap();
    }
    assert_eq!(gmail_calls(), calls, "no Gmail call while paused");
    assert_eq!(
        s.db.settings_of(CONNECTION).state,
        ImportState::PausedNoCredits
    );
    // Credits come: both statements, the older one now 32 days old, are imported.
    s.store
        .tenants
        .lock()
        .unwrap()
        .get_mut(TENANT)
        .unwrap()
        .credits = Decimal::ONE;
    clock.set(next);
    assert!(matches!(
        imports.run(CONNECTION, next).await.unwrap(),
        Outcome::Imported { files: 2, .. }
    ));
    assert_eq!(
        delivered_statements(&s.received()),
        BTreeMap::from([("m1".to_string(), 1), ("m2".to_string(), 1)])
    );
}

#[tokio::test]
async fn a_mail_that_fails_for_good_is_told_in_an_event_of_its_own_for_free() {
    let mut mailbox = ScriptedMailbox::default();
    mailbox.mail(
        "junk",
        CDSL,
        "CDSL CAS",
        &[("Jan2025_AB12345678_TXN.pdf", b"not a pdf".to_vec())],
    );
    let s = setup(mailbox, Decimal::from(10)).await;
    s.webhook().await;
    let slot = s.enable(enabled()).await;
    assert_eq!(
        s.imports.run(CONNECTION, slot).await.unwrap(),
        Outcome::NothingNew
    );
    let received = s.received();
    assert_eq!(received.len(), 1, "the failure is told");
    let event: serde_json::Value = serde_json::from_str(&received[0].2).unwrap();
    assert_eq!(event["data"]["count"], 0);
    assert_eq!(event["data"]["errors"][0]["message_id"], "junk");
    assert_eq!(event["data"]["errors"][0]["code"], "INVALID_PDF");
    assert_eq!(
        s.store.balance(),
        Decimal::from(10),
        "no statement, no charge"
    );
    // It is told once: the next run knows the mail.
    let next = s.db.settings_of(CONNECTION).next_run_at.unwrap();
    assert_eq!(
        s.imports.run(CONNECTION, next).await.unwrap(),
        Outcome::NothingNew
    );
    assert_eq!(s.received().len(), 1);
}

#[tokio::test]
async fn a_mail_google_never_gives_is_given_up_after_three_days_and_told() {
    let s = setup(ScriptedMailbox::default(), Decimal::from(10)).await;
    s.webhook().await;
    let clock = Arc::new(Hands(AtomicI64::new(NOW)));
    let mut imports = s.imports.clone();
    imports.inbox.clock = clock.clone();
    imports.inbox.mailbox = old_and_new(Behaviour::Fail(GoogleError::Unavailable("503".into())));
    let mut slot = s.enable(enabled()).await;
    let mut runs = 0;
    let told_at = loop {
        clock.set(slot.max(clock.now()));
        imports.run(CONNECTION, slot).await.unwrap();
        runs += 1;
        let told = s
            .received()
            .iter()
            .any(|(_, _, body)| body.contains("\"message_id\":\"old\""));
        if told {
            break clock.now();
        }
        assert!(runs < 1_000, "never given up");
        slot = s.db.settings_of(CONNECTION).next_run_at.unwrap();
    };
    assert!(
        (GIVE_UP_UNREAD_SECONDS..GIVE_UP_UNREAD_SECONDS + 3_600).contains(&(told_at - NOW)),
        "given up {} s after the first failure",
        told_at - NOW
    );
    let received = s.received();
    let last: serde_json::Value = serde_json::from_str(&received.last().unwrap().2).unwrap();
    assert_eq!(last["data"]["errors"][0]["message_id"], "old");
    assert_eq!(last["data"]["errors"][0]["code"], "UPSTREAM_ERROR");
    assert_eq!(
        delivered_statements(&received),
        BTreeMap::from([("new".to_string(), 1)])
    );
    // Back to daily runs, the mail no longer tried.
    let settings = s.db.settings_of(CONNECTION);
    assert_eq!(settings.held_since, None);
    assert!(settings.imported.contains_key("old"));
    let next = settings.next_run_at.unwrap();
    assert!(
        next - told_at > 20 * 3_600,
        "next run {} s later",
        next - told_at
    );
    clock.set(next);
    assert_eq!(
        imports.run(CONNECTION, next).await.unwrap(),
        Outcome::NothingNew
    );
    assert_eq!(s.received().len(), received.len());
}
