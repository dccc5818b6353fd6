//! The tenant's side: turning imports on and off, setting the webhook, reading batches.

use super::model::{ImportSettings, ImportState, WebhookEndpoint};
use super::run::event_body;
use super::webhook::{check_url, new_secret};
use super::{Imports, STATEMENT_PASSWORD, webhook_context};
use crate::api::Outcome;
use crate::api::imports::{
    ImportEntry, ImportRequest, ImportResponse, ImportStatus, ImportsResponse, WebhookRequest,
    WebhookResponse,
};
use crate::domain::cas_mail::parse_cas_type;
use crate::domain::model::ConnectionStatus;
use crate::domain::service::{Caller, reconsent_required, rfc3339, token_context};
use crate::error::ApiError;
use std::collections::{BTreeMap, BTreeSet};

/// Conditional writes tried before a settings change gives up on a connection whose run
/// keeps committing under it.
const SAVE_ATTEMPTS: usize = 5;
pub const MAX_PASSWORD_LEN: usize = 256;
pub const DEFAULT_PAGE: usize = 20;
pub const MAX_PAGE: usize = 100;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

impl Imports {
    /// `POST /v4/inbox/import`: turns the connection's scheduled imports on (due at once) or
    /// off, with the statements' password, the kinds to import and whether to parse.
    pub async fn set_import(
        &self,
        caller: &Caller,
        inbox_token: Option<&str>,
        request: ImportRequest,
    ) -> Result<ImportResponse, ApiError> {
        let connection = self.inbox.connection_for(caller, inbox_token).await?;
        let enabled = request
            .enabled
            .ok_or_else(|| ApiError::invalid_request("enabled (true or false) is required"))?;
        let mut types = BTreeSet::new();
        for raw in request.cas_types.iter().flatten() {
            types.insert(parse_cas_type(raw).map_err(ApiError::invalid_request)?);
        }
        if let Some(password) = &request.password
            && (password.is_empty() || password.chars().count() > MAX_PASSWORD_LEN)
        {
            return Err(ApiError::invalid_request(format!(
                "password must be 1 to {MAX_PASSWORD_LEN} characters"
            )));
        }
        if enabled && connection.status == ConnectionStatus::Revoked {
            return Err(reconsent_required());
        }
        let password_ciphertext = match &request.password {
            Some(password) => {
                let context =
                    token_context(&connection.id, &connection.tenant_id, STATEMENT_PASSWORD);
                Some(
                    self.inbox
                        .keys
                        .encrypt(password.as_bytes(), &context)
                        .await
                        .map_err(internal)?,
                )
            }
            None => None,
        };
        let now = self.inbox.clock.now();
        for _ in 0..SAVE_ATTEMPTS {
            let existing = self
                .store
                .settings(&connection.id)
                .await
                .map_err(internal)?;
            let mut next = existing.clone().unwrap_or_else(|| ImportSettings {
                connection_id: connection.id.clone(),
                tenant_id: connection.tenant_id.clone(),
                enabled: false,
                state: ImportState::Active,
                password_ciphertext: None,
                cas_types: Vec::new(),
                parse: false,
                cursor_ms: None,
                imported: BTreeMap::new(),
                next_run_at: None,
                last_run_at: None,
                last_result: None,
                held_since: None,
                version: 0,
            });
            let running = next.enabled && next.state == ImportState::Active;
            next.version += 1;
            if password_ciphertext.is_some() {
                next.password_ciphertext = password_ciphertext.clone();
            }
            if request.cas_types.is_some() {
                next.cas_types = types.iter().copied().collect();
            }
            if let Some(parse) = request.parse {
                next.parse = parse;
            }
            if enabled && next.parse && next.password_ciphertext.is_none() {
                return Err(ApiError::invalid_request(
                    "parse: true needs the statements' password",
                ));
            }
            next.enabled = enabled;
            next.next_run_at = match (enabled, running, next.next_run_at) {
                (false, ..) => None,
                (true, true, Some(at)) => Some(at),
                // Turned on (or resumed): due at the next dispatch.
                _ => Some(now),
            };
            if enabled {
                next.state = ImportState::Active;
            }
            let expected = existing.as_ref().map(|e| e.version);
            if self
                .store
                .save_settings(&next, expected)
                .await
                .map_err(internal)?
            {
                return Ok(ImportResponse {
                    status: Outcome::Success,
                    enabled,
                    next_run_at: next.next_run_at.map(rfc3339),
                });
            }
        }
        Err(ApiError::internal(
            "the import settings kept changing while being saved",
        ))
    }

    /// `POST /v4/webhook`: sets the tenant's endpoint and answers its new signing secret,
    /// the only time it is ever shown.
    pub async fn set_webhook(
        &self,
        caller: &Caller,
        request: WebhookRequest,
    ) -> Result<WebhookResponse, ApiError> {
        let raw = request
            .url
            .ok_or_else(|| ApiError::invalid_request("url is required"))?;
        let url = check_url(&raw, self.config.allow_local_webhooks)?;
        self.sender
            .vet(url.as_str())
            .await
            .map_err(ApiError::invalid_request)?;
        let secret = new_secret();
        let tenant_id = &caller.tenant.id;
        let secret_ciphertext = self
            .inbox
            .keys
            .encrypt(secret.as_bytes(), &webhook_context(tenant_id))
            .await
            .map_err(internal)?;
        self.store
            .put_webhook(&WebhookEndpoint {
                tenant_id: tenant_id.clone(),
                url: url.to_string(),
                secret_ciphertext,
                created_at: self.inbox.clock.now(),
            })
            .await
            .map_err(internal)?;
        Ok(WebhookResponse {
            status: Outcome::Success,
            url: url.to_string(),
            secret,
        })
    }

    /// `GET /v4/inbox/imports`: the connection's batches, newest first.
    pub async fn list_imports(
        &self,
        caller: &Caller,
        inbox_token: Option<&str>,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<ImportsResponse, ApiError> {
        let connection = self.inbox.connection_for(caller, inbox_token).await?;
        let limit = match limit {
            None => DEFAULT_PAGE,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_request(format!("limit must be 1 to {MAX_PAGE}"))
                })?,
        };
        // A page token is the slot (a number) of the previous page's last batch. Anything else
        // is the caller's mistake, not the store's (schemathesis found `after=` answered 500).
        if after.is_some_and(|raw| raw.parse::<i64>().is_err()) {
            return Err(ApiError::invalid_request(
                "after must be the next of a previous page",
            ));
        }
        let (batches, next) = self
            .store
            .batches(&connection.id, limit, after)
            .await
            .map_err(internal)?;
        let imports: Vec<ImportEntry> = batches
            .iter()
            .map(|b| {
                let body: serde_json::Value =
                    serde_json::from_str(&event_body(b)).unwrap_or_default();
                ImportEntry {
                    id: b.id.clone(),
                    event_type: b.event_type.clone(),
                    timestamp: rfc3339(b.created_at),
                    delivery: b.delivery.as_str().to_string(),
                    attempts: b.attempts,
                    last_error: b.last_error.clone(),
                    data: body["data"].clone(),
                }
            })
            .collect();
        Ok(ImportsResponse {
            status: Outcome::Success,
            import: self.import_status(&connection.id).await?,
            count: imports.len(),
            imports,
            next,
        })
    }

    /// The `import` block of `POST /v4/inbox/status`; None when imports were never set.
    pub async fn import_status(
        &self,
        connection_id: &str,
    ) -> Result<Option<ImportStatus>, ApiError> {
        super::import_status(self.store.as_ref(), connection_id).await
    }
}
