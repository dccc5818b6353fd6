//! The schedule's job: find the connections whose run is due and enqueue one job each.
//!
//! The due index is a sparse DynamoDB GSI: only settings with a `next_run_at` carry its keys,
//! partitioned by the due day (UTC) and one of [`DUE_SHARDS`] shards (so no single partition
//! holds a day's 100,000 connections), sorted by the due time. The dispatcher queries each
//! (day, shard) of the last `lookback_days` days for `due_at <= now`, page by page, and sends
//! each page to SQS as it comes: memory holds one page per shard, whatever the total.

use super::Imports;
use super::model::Job;
use crate::domain::ports::InfraError;
use chrono::{DateTime, Days};
use futures::stream::{self, StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

pub const DUE_SHARDS: u32 = 8;
/// SQS takes at most 10 messages per SendMessageBatch.
const SQS_BATCH: usize = 10;
/// Buckets read at once; each sends its pages' batches this many at a time.
const BUCKETS_AT_ONCE: usize = 8;
const SENDS_AT_ONCE: usize = 8;

/// The due-index partition of a connection due at `next_run_at`.
pub fn due_bucket(next_run_at: i64, connection_id: &str) -> String {
    let day = DateTime::from_timestamp(next_run_at, 0)
        .unwrap_or_default()
        .format("%Y%m%d");
    let hash = Sha256::digest(connection_id.as_bytes());
    let shard = u32::from_be_bytes([hash[0], hash[1], hash[2], hash[3]]) % DUE_SHARDS;
    format!("{day}#{shard}")
}

/// What one dispatch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dispatched {
    pub enqueued: usize,
    pub pages: usize,
}

impl Imports {
    /// Enqueues a run for every connection due now.
    pub async fn dispatch(&self) -> Result<Dispatched, InfraError> {
        let now = self.inbox.clock.now();
        let today = DateTime::from_timestamp(now, 0)
            .unwrap_or_default()
            .date_naive();
        let mut buckets = Vec::new();
        for back in 0..=self.config.lookback_days.max(0) as u64 {
            let Some(day) = today.checked_sub_days(Days::new(back)) else {
                break;
            };
            for shard in 0..DUE_SHARDS {
                buckets.push(format!("{}#{shard}", day.format("%Y%m%d")));
            }
        }
        let totals: Vec<Dispatched> = stream::iter(buckets)
            .map(|bucket| self.dispatch_bucket(bucket, now))
            .buffer_unordered(BUCKETS_AT_ONCE)
            .try_collect()
            .await?;
        let total = totals
            .iter()
            .fold(Dispatched::default(), |a, b| Dispatched {
                enqueued: a.enqueued + b.enqueued,
                pages: a.pages + b.pages,
            });
        tracing::info!(
            enqueued = total.enqueued,
            pages = total.pages,
            "imports dispatched"
        );
        Ok(total)
    }

    async fn dispatch_bucket(&self, bucket: String, now: i64) -> Result<Dispatched, InfraError> {
        let mut done = Dispatched::default();
        let mut page_token = None;
        loop {
            let page = self.store.due_page(&bucket, now, page_token).await?;
            done.pages += 1;
            let jobs: Vec<Job> = page
                .due
                .into_iter()
                .map(|(connection_id, slot)| Job::Run {
                    connection_id,
                    slot,
                })
                .collect();
            done.enqueued += jobs.len();
            let chunks: Vec<Vec<Job>> = jobs.chunks(SQS_BATCH).map(<[Job]>::to_vec).collect();
            stream::iter(chunks)
                .map(|chunk| async move { self.queue.send(&chunk, 0).await })
                .buffer_unordered(SENDS_AT_ONCE)
                .try_collect::<Vec<()>>()
                .await?;
            match page.next {
                Some(next) => page_token = Some(next),
                None => return Ok(done),
            }
        }
    }
}
