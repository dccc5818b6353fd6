//! In-memory stand-ins for the ports, for domain tests: a store with balances, OAuth states
//! and connections (with the address index whose conditional write replaces a connection),
//! keys that do not encrypt, a mailbox scripted per test (including mails that
//! panic or hang), an object store in a map, and a rate-limit counter in a map.

use super::model::{
    ApiKeyRecord, AuthCode, CallbackFlow, Connection, ConnectionStatus, OAuthState, RateLimit,
    Tenant,
};
use super::ports::{
    AccessToken, Charge, Clock, EncryptionContext, FileStore, GoogleAccounts, GoogleError,
    GoogleTokens, InfraError, KeyService, MailAttachment, MailMessage, Mailbox, PdfFetcher,
    RateDecision, RateLimiter, Revocation, Saved, SearchPage, Store, window_of,
};
use async_trait::async_trait;
use futures::future::BoxFuture;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// 2025-01-31 12:00 IST.
pub const NOW: i64 = 1_738_305_000;
pub const TENANT: &str = "tnt_test";
pub const CONNECTION: &str = "conn-1";

fn unsupported() -> InfraError {
    InfraError::new("not used by these tests")
}

#[derive(Default)]
pub struct MemStore {
    pub tenants: Mutex<HashMap<String, Tenant>>,
    pub connections: Mutex<HashMap<String, Connection>>,
    /// The code flow's codes by hash.
    pub codes: Mutex<HashMap<String, AuthCode>>,
    pub oauth_states: Mutex<HashMap<String, OAuthState>>,
    /// Each tenant's index of its connections by address: (tenant, email) to connection id.
    pub by_email: Mutex<HashMap<(String, String), String>>,
    /// Saved by the next `save_connection` just before it checks its condition: another
    /// callback for the same address winning the race.
    pub interloper: Mutex<Option<Connection>>,
}

impl MemStore {
    pub fn balance(&self) -> Decimal {
        self.tenants.lock().unwrap()[TENANT].credits
    }

    /// The DynamoDB transaction: written only while the address's index still names
    /// `replaces` (or nothing), which is then deleted.
    fn save(&self, c: &Connection, replaces: Option<&str>) -> Saved {
        let mut index = self.by_email.lock().unwrap();
        let address = (c.tenant_id.clone(), c.email.clone());
        if index.get(&address).map(String::as_str) != replaces {
            return Saved::Superseded;
        }
        index.insert(address, c.id.clone());
        let mut connections = self.connections.lock().unwrap();
        if let Some(old) = replaces.filter(|old| *old != c.id) {
            connections.remove(old);
        }
        connections.insert(c.id.clone(), c.clone());
        Saved::Saved
    }
}

#[async_trait]
impl Store for MemStore {
    async fn create_tenant(&self, t: &Tenant, _: &str, _: &ApiKeyRecord) -> Result<(), InfraError> {
        self.tenants.lock().unwrap().insert(t.id.clone(), t.clone());
        Ok(())
    }
    async fn add_api_key(&self, _: &str, _: &ApiKeyRecord) -> Result<(), InfraError> {
        Err(unsupported())
    }
    async fn list_api_keys(&self, _: &str) -> Result<Vec<ApiKeyRecord>, InfraError> {
        Err(unsupported())
    }
    async fn revoke_api_key(&self, _: &str, _: &str, _: i64) -> Result<bool, InfraError> {
        Err(unsupported())
    }
    async fn api_key(&self, _: &str) -> Result<Option<(ApiKeyRecord, Tenant)>, InfraError> {
        Err(unsupported())
    }
    async fn tenant(&self, id: &str) -> Result<Option<Tenant>, InfraError> {
        Ok(self.tenants.lock().unwrap().get(id).cloned())
    }
    async fn charge_credits(&self, id: &str, amount: Decimal) -> Result<Charge, InfraError> {
        let mut tenants = self.tenants.lock().unwrap();
        let tenant = tenants.get_mut(id).ok_or_else(unsupported)?;
        if tenant.credits < amount {
            return Ok(Charge::Insufficient {
                balance: tenant.credits,
            });
        }
        tenant.credits -= amount;
        Ok(Charge::Charged {
            remaining: tenant.credits,
        })
    }
    async fn add_credits(&self, id: &str, amount: Decimal) -> Result<Decimal, InfraError> {
        let mut tenants = self.tenants.lock().unwrap();
        let tenant = tenants.get_mut(id).ok_or_else(unsupported)?;
        tenant.credits += amount;
        Ok(tenant.credits)
    }
    async fn set_rate_limit(&self, id: &str, limit: Option<RateLimit>) -> Result<bool, InfraError> {
        let mut tenants = self.tenants.lock().unwrap();
        Ok(tenants
            .get_mut(id)
            .map(|tenant| tenant.rate_limit = limit)
            .is_some())
    }
    async fn set_callback_flow(&self, id: &str, flow: CallbackFlow) -> Result<bool, InfraError> {
        let mut tenants = self.tenants.lock().unwrap();
        Ok(tenants
            .get_mut(id)
            .map(|tenant| tenant.callback_flow = flow)
            .is_some())
    }
    async fn put_auth_code(&self, code: &AuthCode) -> Result<(), InfraError> {
        self.codes
            .lock()
            .unwrap()
            .insert(code.code_hash.clone(), code.clone());
        Ok(())
    }
    /// Like the conditional delete: removed only for its own tenant, and only once.
    async fn take_auth_code(
        &self,
        hash: &str,
        tenant_id: &str,
    ) -> Result<Option<AuthCode>, InfraError> {
        let mut codes = self.codes.lock().unwrap();
        if codes.get(hash).is_some_and(|c| c.tenant_id == tenant_id) {
            return Ok(codes.remove(hash));
        }
        Ok(None)
    }
    async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), InfraError> {
        self.oauth_states
            .lock()
            .unwrap()
            .insert(state.id.clone(), state.clone());
        Ok(())
    }
    async fn take_oauth_state(&self, id: &str) -> Result<Option<OAuthState>, InfraError> {
        Ok(self.oauth_states.lock().unwrap().remove(id))
    }
    async fn connection(&self, id: &str) -> Result<Option<Connection>, InfraError> {
        Ok(self.connections.lock().unwrap().get(id).cloned())
    }
    async fn connection_id_for_email(
        &self,
        tenant_id: &str,
        email: &str,
    ) -> Result<Option<String>, InfraError> {
        let address = (tenant_id.to_string(), email.to_string());
        Ok(self.by_email.lock().unwrap().get(&address).cloned())
    }
    async fn save_connection(
        &self,
        c: &Connection,
        replaces: Option<&str>,
    ) -> Result<Saved, InfraError> {
        let interloper = self.interloper.lock().unwrap().take();
        if let Some(other) = interloper {
            let address = (other.tenant_id.clone(), other.email.clone());
            let previous = self.by_email.lock().unwrap().get(&address).cloned();
            assert_eq!(self.save(&other, previous.as_deref()), Saved::Saved);
        }
        Ok(self.save(c, replaces))
    }
    async fn update_access_token(
        &self,
        id: &str,
        ciphertext: &[u8],
        expires_at: i64,
        now: i64,
    ) -> Result<(), InfraError> {
        if let Some(c) = self.connections.lock().unwrap().get_mut(id) {
            c.access_token_ciphertext = Some(ciphertext.to_vec());
            c.access_token_expires_at = Some(expires_at);
            c.updated_at = now;
        }
        Ok(())
    }
    async fn mark_verified(&self, _: &str, _: i64) -> Result<(), InfraError> {
        Ok(())
    }
    async fn mark_revoked(&self, id: &str, now: i64) -> Result<(), InfraError> {
        if let Some(c) = self.connections.lock().unwrap().get_mut(id) {
            c.status = ConnectionStatus::Revoked;
            c.revoked_at = Some(now);
        }
        Ok(())
    }
    async fn delete_connection(&self, c: &Connection) -> Result<(), InfraError> {
        self.connections.lock().unwrap().remove(&c.id);
        // The address index may already name a newer connection: only our own is removed.
        let address = (c.tenant_id.clone(), c.email.clone());
        let mut index = self.by_email.lock().unwrap();
        if index.get(&address) == Some(&c.id) {
            index.remove(&address);
        }
        Ok(())
    }
}

/// "Encrypts" by keeping the plaintext: these tests are about listing, not KMS.
pub struct PlainKeys;

#[async_trait]
impl KeyService for PlainKeys {
    async fn encrypt(&self, p: &[u8], _: &EncryptionContext) -> Result<Vec<u8>, InfraError> {
        Ok(p.to_vec())
    }
    async fn decrypt(&self, c: &[u8], _: &EncryptionContext) -> Result<Vec<u8>, InfraError> {
        Ok(c.to_vec())
    }
}

/// Google accounts that only refresh.
pub struct RefreshOnly;

#[async_trait]
impl GoogleAccounts for RefreshOnly {
    fn authorize_url(&self, _: &str, _: &str, _: &str) -> String {
        String::new()
    }
    async fn exchange_code(&self, _: &str, _: &str, _: &str) -> Result<GoogleTokens, GoogleError> {
        Err(GoogleError::Refused("not used".into()))
    }
    async fn refresh(&self, _: &str) -> Result<AccessToken, GoogleError> {
        Ok(AccessToken {
            token: "access".into(),
            expires_in: 3600,
        })
    }
    async fn revoke(&self, _: &str) -> Result<Revocation, GoogleError> {
        Ok(Revocation::Revoked)
    }
    async fn gmail_address(&self, _: &str) -> Result<String, GoogleError> {
        Err(GoogleError::Refused("not used".into()))
    }
}

/// What the scripted mailbox does when asked for one mail.
#[derive(Clone)]
pub enum Behaviour {
    Answer,
    Panic,
    Hang,
    Fail(GoogleError),
}

/// A mailbox scripted per test. Attachments honour `max_bytes` as the port requires.
#[derive(Default)]
pub struct ScriptedMailbox {
    pub mails: Vec<(MailMessage, Behaviour)>,
    pub bodies: HashMap<String, Vec<u8>>,
    /// What `search` does instead of answering, if anything.
    pub search: Option<Behaviour>,
    pub searches: AtomicUsize,
    pub fetched: Mutex<Vec<String>>,
    /// Attachments whose download never ends.
    pub hanging_attachments: Vec<String>,
    /// Awaited once, by the first attachment download, before it answers: what happens
    /// elsewhere while a listing reads (a disconnect, say), at a point the test knows.
    pub on_attachment: Mutex<Option<BoxFuture<'static, ()>>>,
}

impl ScriptedMailbox {
    /// A mail that arrived `days_ago` days before [`NOW`], with `(filename, bytes)` PDFs whose
    /// declared size is their length.
    pub fn mail(&mut self, id: &str, from: &str, subject: &str, pdfs: &[(&str, Vec<u8>)]) {
        self.mail_with(id, from, subject, pdfs, Behaviour::Answer);
    }

    pub fn mail_with(
        &mut self,
        id: &str,
        from: &str,
        subject: &str,
        pdfs: &[(&str, Vec<u8>)],
        behaviour: Behaviour,
    ) {
        let mut attachments = Vec::new();
        for (n, (name, bytes)) in pdfs.iter().enumerate() {
            let attachment_id = format!("{id}-att{n}");
            attachments.push(MailAttachment {
                attachment_id: attachment_id.clone(),
                filename: name.to_string(),
                mime_type: "application/pdf".into(),
                size: bytes.len() as u64,
            });
            self.bodies.insert(attachment_id, bytes.clone());
        }
        let arrived_ms = (NOW - 86_400 * (self.mails.len() as i64 + 1)) * 1000;
        self.mails.push((
            MailMessage {
                id: id.into(),
                from: from.into(),
                subject: subject.into(),
                internal_date_ms: arrived_ms,
                authentication_results: Vec::new(),
                attachments,
                parts_too_deep: 0,
            },
            behaviour,
        ));
    }

    pub fn fetched(&self) -> Vec<String> {
        self.fetched.lock().unwrap().clone()
    }
}

async fn act(behaviour: &Behaviour) -> Result<(), GoogleError> {
    match behaviour {
        Behaviour::Answer => Ok(()),
        Behaviour::Panic => panic!("scripted panic"),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        }
        Behaviour::Fail(e) => Err(e.clone()),
    }
}

#[async_trait]
impl Mailbox for ScriptedMailbox {
    async fn search(&self, _: &str, _: &str, _: Option<&str>) -> Result<SearchPage, GoogleError> {
        self.searches.fetch_add(1, Ordering::SeqCst);
        if let Some(behaviour) = &self.search {
            act(behaviour).await?;
        }
        Ok(SearchPage {
            message_ids: self.mails.iter().map(|(m, _)| m.id.clone()).collect(),
            next_page_token: None,
        })
    }

    async fn message(&self, _: &str, id: &str) -> Result<MailMessage, GoogleError> {
        let (mail, behaviour) = self
            .mails
            .iter()
            .find(|(m, _)| m.id == id)
            .ok_or_else(|| GoogleError::Refused("404".into()))?;
        act(behaviour).await?;
        Ok(mail.clone())
    }

    async fn attachment(
        &self,
        _: &str,
        _: &str,
        attachment_id: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, GoogleError> {
        self.fetched.lock().unwrap().push(attachment_id.to_string());
        let hook = self.on_attachment.lock().unwrap().take();
        if let Some(hook) = hook {
            hook.await;
        }
        if self.hanging_attachments.iter().any(|a| a == attachment_id) {
            act(&Behaviour::Hang).await?;
        }
        let bytes = self
            .bodies
            .get(attachment_id)
            .cloned()
            .ok_or_else(|| GoogleError::Refused("404".into()))?;
        if bytes.len() as u64 > max_bytes {
            return Err(GoogleError::TooLarge { limit: max_bytes });
        }
        Ok(bytes)
    }
}

#[derive(Default)]
pub struct MemFiles {
    pub objects: Mutex<HashMap<String, Vec<u8>>>,
}

#[async_trait]
impl FileStore for MemFiles {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), InfraError> {
        self.objects
            .lock()
            .unwrap()
            .insert(key.to_string(), bytes.to_vec());
        Ok(())
    }
    async fn exists(&self, key: &str) -> Result<bool, InfraError> {
        Ok(self.objects.lock().unwrap().contains_key(key))
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, InfraError> {
        Ok(self.objects.lock().unwrap().get(key).cloned())
    }
    async fn presigned_get(&self, key: &str, _: u64) -> Result<String, InfraError> {
        Ok(format!("https://s3.example/{key}"))
    }
    async fn delete_prefix(&self, prefix: &str) -> Result<(), InfraError> {
        self.objects
            .lock()
            .unwrap()
            .retain(|k, _| !k.starts_with(prefix));
        Ok(())
    }
}

/// The fixed-window counter in a map: what the DynamoDB one does with one conditional update
/// (count only while under the limit), per subject and window start.
#[derive(Default)]
pub struct MemRateLimiter {
    pub windows: Mutex<HashMap<(String, i64), u32>>,
}

impl MemRateLimiter {
    /// Requests counted for `subject` in the window starting at `window_start`.
    pub fn count(&self, subject: &str, window_start: i64) -> u32 {
        self.windows
            .lock()
            .unwrap()
            .get(&(subject.to_string(), window_start))
            .copied()
            .unwrap_or(0)
    }
}

#[async_trait]
impl RateLimiter for MemRateLimiter {
    async fn admit(
        &self,
        subject: &str,
        limit: RateLimit,
        now: i64,
    ) -> Result<RateDecision, InfraError> {
        let (start, retry_after_seconds) = window_of(now, limit.window_seconds);
        let mut windows = self.windows.lock().unwrap();
        let count = windows.entry((subject.to_string(), start)).or_default();
        if *count >= limit.requests {
            return Ok(RateDecision::Limited {
                retry_after_seconds,
            });
        }
        *count += 1;
        Ok(RateDecision::Admitted)
    }
}

pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        NOW
    }
}

/// A small PDF-looking attachment whose bytes are unique to `tag`.
pub fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n%%EOF\n").into_bytes()
}

/// A `pdf_url` fetcher for tests that fetch nothing: every URL is refused.
pub struct NoFetch;

#[async_trait]
impl PdfFetcher for NoFetch {
    async fn fetch(&self, _: &str) -> Result<Vec<u8>, crate::error::ApiError> {
        Err(crate::error::ApiError::invalid_request(
            "no fetching in these tests",
        ))
    }
}
