//! In-memory stand-ins for the imports ports: a store that commits like the DynamoDB
//! transaction (all or nothing, conditional on the version, the batch's absence and the
//! balance), a queue that records, and a webhook receiver that answers as scripted.

use super::dispatch::due_bucket;
use super::model::{Delivery, ImportBatch, ImportSettings, Job, WebhookEndpoint};
use super::ports::{Commit, DuePage, ImportStore, Queue, Sent, WebhookSender};
use crate::domain::fakes::MemStore;
use crate::domain::ports::InfraError;
use async_trait::async_trait;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct State {
    pub settings: HashMap<String, ImportSettings>,
    /// (connection, slot) → batch and its lease end.
    pub batches: BTreeMap<(String, i64), (ImportBatch, i64)>,
    pub webhooks: HashMap<String, WebhookEndpoint>,
}

pub struct MemImports {
    pub state: Mutex<State>,
    pub tenants: Arc<MemStore>,
    /// Commits whose answer is lost: written, then answered `Conflict` (a retried call
    /// failing the condition its first attempt met).
    pub lost_answers: AtomicUsize,
}

impl MemImports {
    pub fn new(tenants: Arc<MemStore>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            tenants,
            lost_answers: AtomicUsize::new(0),
        }
    }
    pub fn settings_of(&self, id: &str) -> ImportSettings {
        self.state.lock().unwrap().settings[id].clone()
    }
    pub fn all_batches(&self) -> Vec<ImportBatch> {
        let state = self.state.lock().unwrap();
        state.batches.values().map(|(b, _)| b.clone()).collect()
    }
}

#[async_trait]
impl ImportStore for MemImports {
    async fn settings(&self, id: &str) -> Result<Option<ImportSettings>, InfraError> {
        Ok(self.state.lock().unwrap().settings.get(id).cloned())
    }
    async fn forget(&self, id: &str) -> Result<(), InfraError> {
        let mut state = self.state.lock().unwrap();
        state.settings.remove(id);
        state.batches.retain(|(connection, _), _| connection != id);
        Ok(())
    }
    async fn save_settings(
        &self,
        s: &ImportSettings,
        expected: Option<u64>,
    ) -> Result<bool, InfraError> {
        let mut state = self.state.lock().unwrap();
        if state.settings.get(&s.connection_id).map(|e| e.version) != expected {
            return Ok(false);
        }
        state.settings.insert(s.connection_id.clone(), s.clone());
        Ok(true)
    }
    async fn commit(
        &self,
        s: &ImportSettings,
        expected: u64,
        batch: Option<&ImportBatch>,
        charge: Decimal,
    ) -> Result<Commit, InfraError> {
        let mut state = self.state.lock().unwrap();
        if state.settings.get(&s.connection_id).map(|e| e.version) != Some(expected) {
            return Ok(Commit::Conflict);
        }
        if let Some(b) = batch
            && state
                .batches
                .contains_key(&(b.connection_id.clone(), b.slot))
        {
            return Ok(Commit::Conflict);
        }
        let mut tenants = self.tenants.tenants.lock().unwrap();
        let tenant = tenants
            .get_mut(&s.tenant_id)
            .ok_or_else(|| InfraError::new("no tenant"))?;
        if tenant.credits < charge {
            return Ok(Commit::InsufficientCredits);
        }
        tenant.credits -= charge;
        state.settings.insert(s.connection_id.clone(), s.clone());
        if let Some(b) = batch {
            state
                .batches
                .insert((b.connection_id.clone(), b.slot), (b.clone(), 0));
        }
        let lost = self
            .lost_answers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if lost.is_ok() {
            return Ok(Commit::Conflict);
        }
        Ok(Commit::Committed)
    }
    async fn due_page(
        &self,
        bucket: &str,
        now: i64,
        page: Option<String>,
    ) -> Result<DuePage, InfraError> {
        // Pages of two, to exercise the paging.
        let state = self.state.lock().unwrap();
        let mut due: Vec<(String, i64)> = state
            .settings
            .values()
            .filter_map(|s| s.next_run_at.map(|at| (s.connection_id.clone(), at)))
            .filter(|(id, at)| *at <= now && due_bucket(*at, id) == bucket)
            .collect();
        due.sort();
        let skip: usize = page.map_or(0, |p| p.parse().unwrap_or(0));
        let rest: Vec<_> = due.into_iter().skip(skip).collect();
        let next = (rest.len() > 2).then(|| (skip + 2).to_string());
        Ok(DuePage {
            due: rest.into_iter().take(2).collect(),
            next,
        })
    }
    async fn batch(&self, id: &str, slot: i64) -> Result<Option<ImportBatch>, InfraError> {
        let state = self.state.lock().unwrap();
        Ok(state
            .batches
            .get(&(id.to_string(), slot))
            .map(|(b, _)| b.clone()))
    }
    async fn claim_delivery(
        &self,
        id: &str,
        slot: i64,
        now: i64,
        until: i64,
    ) -> Result<bool, InfraError> {
        let mut state = self.state.lock().unwrap();
        match state.batches.get_mut(&(id.to_string(), slot)) {
            Some((b, lease)) if b.delivery == Delivery::Pending && *lease <= now => {
                *lease = until;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn record_delivery(&self, batch: &ImportBatch) -> Result<(), InfraError> {
        let mut state = self.state.lock().unwrap();
        state.batches.insert(
            (batch.connection_id.clone(), batch.slot),
            (batch.clone(), 0),
        );
        Ok(())
    }
    async fn batches(
        &self,
        id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<ImportBatch>, Option<String>), InfraError> {
        let state = self.state.lock().unwrap();
        let mut all: Vec<ImportBatch> = state
            .batches
            .values()
            .filter(|(b, _)| b.connection_id == id)
            .map(|(b, _)| b.clone())
            .collect();
        all.sort_by_key(|b| std::cmp::Reverse(b.slot));
        if let Some(after) = after {
            all.retain(|b| b.slot < after.parse().unwrap_or(i64::MAX));
        }
        let next = (all.len() > limit).then(|| all[limit - 1].slot.to_string());
        all.truncate(limit);
        Ok((all, next))
    }
    async fn webhook(&self, tenant_id: &str) -> Result<Option<WebhookEndpoint>, InfraError> {
        Ok(self.state.lock().unwrap().webhooks.get(tenant_id).cloned())
    }
    async fn put_webhook(&self, w: &WebhookEndpoint) -> Result<(), InfraError> {
        let mut state = self.state.lock().unwrap();
        state.webhooks.insert(w.tenant_id.clone(), w.clone());
        Ok(())
    }
}

#[derive(Default)]
pub struct MemQueue {
    pub sent: Mutex<Vec<(Job, u32)>>,
}

impl MemQueue {
    pub fn take(&self) -> Vec<(Job, u32)> {
        std::mem::take(&mut self.sent.lock().unwrap())
    }
}

#[async_trait]
impl Queue for MemQueue {
    async fn send(&self, jobs: &[Job], delay: u32) -> Result<(), InfraError> {
        assert!(jobs.len() <= 10, "SQS batches hold at most 10");
        let mut sent = self.sent.lock().unwrap();
        sent.extend(jobs.iter().map(|j| (j.clone(), delay)));
        Ok(())
    }
}

/// One delivery as the receiver saw it: url, headers, body.
pub type Received = (String, Vec<(&'static str, String)>, String);

/// A receiver answering from `answers` (then 200), recording every request.
#[derive(Default)]
pub struct ScriptedReceiver {
    pub answers: Mutex<VecDeque<Sent>>,
    pub received: Mutex<Vec<Received>>,
}

#[async_trait]
impl WebhookSender for ScriptedReceiver {
    async fn vet(&self, url: &str) -> Result<(), String> {
        if url.contains("resolves-private") {
            return Err("url's host resolves to a private or reserved address".into());
        }
        Ok(())
    }
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> Sent {
        self.received
            .lock()
            .unwrap()
            .push((url.to_string(), headers.to_vec(), body.to_string()));
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Sent::Status(200))
    }
}
