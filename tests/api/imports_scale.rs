//! The dispatcher at scale, against moto: N connections with imports due, one schedule event,
//! every one enqueued once; the time it takes and the process's peak memory. 300 connections
//! run in `make test`; the 10,000 of the README's numbers are
//! `IMPORTS_SCALE=10000 cargo test -p integration-tests --test api imports_scale -- --ignored --nocapture`.

use crate::imports_stack::stack;
use crate::mailbox::Mailboxes;
use cas_inbox::domain::imports::model::{ImportSettings, ImportState};
use cas_inbox::domain::ports::Clock;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// The process's peak resident memory so far (VmHWM), in MiB.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

async fn dispatch_many(connections: usize) {
    let mail = Mailboxes::new();
    let stack = stack(&mail, "1").await;
    let now = stack.app.clock.now();
    let started = Instant::now();
    let ids: Vec<usize> = (0..connections).collect();
    for chunk in ids.chunks(32) {
        let mut set = tokio::task::JoinSet::new();
        for &n in chunk {
            let store = stack.imports.store.clone();
            set.spawn(async move {
                let settings = ImportSettings {
                    connection_id: format!("conn-scale-{n:06}"),
                    tenant_id: "tnt_scale".into(),
                    enabled: true,
                    state: ImportState::Active,
                    password_ciphertext: None,
                    cas_types: Vec::new(),
                    parse: false,
                    cursor_ms: None,
                    imported: BTreeMap::new(),
                    // Due over the last six days, a tenth of them not yet.
                    next_run_at: Some(if n % 10 == 0 {
                        now + 3_600
                    } else {
                        now - (n as i64 % 6) * 86_400 - 60
                    }),
                    last_run_at: None,
                    last_result: None,
                    held_since: None,
                    version: 1,
                };
                assert!(store.save_settings(&settings, None).await.unwrap());
            });
        }
        while let Some(done) = set.join_next().await {
            done.unwrap();
        }
    }
    let seeded = started.elapsed();
    let before = peak_mib();
    let started = Instant::now();
    let done = stack.imports.dispatch().await.unwrap();
    let took = started.elapsed();
    let due = connections - connections.div_ceil(10);
    assert_eq!(done.enqueued, due);
    eprintln!(
        "imports scale: {connections} connections ({due} due) seeded in {:.1} s; dispatch {:.2} s, \
         {} pages; peak memory {} MiB before the dispatch, {} MiB after",
        seeded.as_secs_f64(),
        took.as_secs_f64(),
        done.pages,
        before,
        peak_mib()
    );
    if connections > 1_000 {
        // Receiving 10,000 messages one by one from moto takes hours; the queue's count is the
        // check here (the 300-connection run reads every message).
        assert_eq!(stack.messages_left(&stack.queue_url).await, due);
        return;
    }
    // Every due connection is in the queue exactly once.
    let mut seen = BTreeSet::new();
    loop {
        let got = stack
            .sqs
            .receive_message()
            .queue_url(&stack.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for m in messages {
            let body = m.body().unwrap_or_default().to_string();
            assert!(seen.insert(body.clone()), "enqueued twice: {body}");
            // Deleted at once: the test queue's visibility timeout is 2 s.
            stack
                .sqs
                .delete_message()
                .queue_url(&stack.queue_url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(seen.len(), due);
}

#[tokio::test]
async fn the_dispatcher_enqueues_every_due_connection_once() {
    dispatch_many(300).await;
}

#[tokio::test]
#[ignore = "the 10,000-connection run of the README (minutes against moto); see the module doc"]
async fn the_dispatcher_at_scale() {
    let n = std::env::var("IMPORTS_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    dispatch_many(n).await;
}
