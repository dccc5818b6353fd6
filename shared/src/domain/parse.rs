//! `POST /v4/smart/parse` (and the vendor's type-specific `POST /v4/{cams_kfintech,cdsl,nsdl}/parse`)
//! and `parse: true` on listings: a PDF (uploaded, fetched, or one of our own download links)
//! read by the `cas-parser` crate.

use super::credits::{CreditMeter, PARSE_COST, charge};
use super::service::{Caller, Inbox, rfc3339};
use super::stored_files::SignedLink;
use super::too_large;
use crate::api::Portfolio;
use crate::error::{ApiError, ErrorCode};
use cas_parser::ParseError;
use cas_parser::model::CasType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfSource {
    Url(String),
    Bytes(Vec<u8>),
}

/// A decoded parse request; its `Debug` hides the password and the file's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct ParseInput {
    pub source: PdfSource,
    pub password: String,
    /// Refuse a statement that does not reconcile (`PARSE_INCOMPLETE`).
    pub strict: bool,
}

impl std::fmt::Debug for ParseInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            PdfSource::Url(url) => format!("Url({url})"),
            PdfSource::Bytes(bytes) => format!("Bytes(<{} bytes>)", bytes.len()),
        };
        f.debug_struct("ParseInput")
            .field("source", &format_args!("{source}"))
            .field("password", &"<redacted>")
            .field("strict", &self.strict)
            .finish()
    }
}

pub fn parse_error(e: ParseError) -> ApiError {
    match e {
        ParseError::InvalidPassword => ApiError::new(
            ErrorCode::InvalidPassword,
            "The password does not open this PDF",
        ),
        ParseError::InvalidPdf(_) => {
            ApiError::new(ErrorCode::InvalidPdf, "The file is not a readable PDF")
        }
        ParseError::UnsupportedFormat => ApiError::new(
            ErrorCode::UnsupportedFormat,
            "Not a CAS this service reads (CAMS, KFintech, CDSL or NSDL statements)",
        ),
        ParseError::Malformed(detail) => ApiError::new(
            ErrorCode::UnsupportedFormat,
            format!("The statement's layout could not be read: {detail}"),
        ),
        ParseError::TooLarge { .. } => too_large(),
    }
}

/// The kind of statement a parse route takes: `None` for `/v4/smart/parse` (any), else the
/// vendor's type-specific route's kind.
pub fn route_kind(path: &str) -> Option<CasType> {
    match path.trim_end_matches('/').rsplit('/').nth(1) {
        Some("cams_kfintech") => Some(CasType::CamsKfintech),
        Some("cdsl") => Some(CasType::Cdsl),
        Some("nsdl") => Some(CasType::Nsdl),
        _ => None,
    }
}

/// The route for a kind of statement, as the vendor names it.
fn route_of(kind: CasType) -> &'static str {
    match kind {
        CasType::CamsKfintech => "/v4/cams_kfintech/parse",
        CasType::Cdsl => "/v4/cdsl/parse",
        CasType::Nsdl => "/v4/nsdl/parse",
    }
}

/// `UNSUPPORTED_FORMAT` for a statement sent to another kind's route.
fn wrong_route(found: CasType, expected: CasType) -> ApiError {
    let name = |kind| match kind {
        CasType::CamsKfintech => "CAMS/KFintech",
        CasType::Cdsl => "CDSL",
        CasType::Nsdl => "NSDL",
    };
    ApiError::new(
        ErrorCode::UnsupportedFormat,
        format!(
            "This is a {} statement, not a {} one: send it to {} or /v4/smart/parse",
            name(found),
            name(expected),
            route_of(found)
        ),
    )
}

/// Warnings quoted in a `PARSE_INCOMPLETE` message; the full list is in a lenient result.
const WARNINGS_QUOTED: usize = 3;

/// `strict: true` and the statement does not add up to its own printed totals.
fn incomplete(portfolio: &Portfolio) -> ApiError {
    let mut msg = String::from("The statement does not reconcile with its own printed totals");
    let quoted: Vec<&str> = portfolio
        .warnings
        .iter()
        .take(WARNINGS_QUOTED)
        .map(String::as_str)
        .collect();
    if !quoted.is_empty() {
        msg.push_str(": ");
        msg.push_str(&quoted.join("; "));
    }
    if portfolio.warnings.len() > WARNINGS_QUOTED {
        msg.push_str(&format!(
            " (and {} more)",
            portfolio.warnings.len() - WARNINGS_QUOTED
        ));
    }
    ApiError::new(ErrorCode::ParseIncomplete, msg)
}

impl Inbox {
    /// Reads a statement on a blocking thread (PDF work is CPU-bound). `slot`, if any, is held
    /// until the parse ends, even when the caller stops waiting for it. `strict` refuses a
    /// statement that does not reconcile with its own printed totals.
    pub async fn parse_pdf(
        &self,
        bytes: Vec<u8>,
        password: String,
        slot: Option<tokio::sync::OwnedSemaphorePermit>,
        strict: bool,
    ) -> Result<Portfolio, ApiError> {
        let parsed = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            cas_parser::parse(&bytes, &password)
        })
        .await
        .map_err(ApiError::internal)?;
        let mut portfolio = parsed.map_err(parse_error)?;
        if strict && !portfolio.meta.reconciled {
            return Err(incomplete(&portfolio));
        }
        portfolio.meta.generated_at = Some(rfc3339(self.clock.now()));
        Ok(portfolio)
    }

    /// The bytes behind a parse request. Our own download links are read from the bucket
    /// directly (after the download function's checks), never fetched over the network.
    async fn pdf_bytes(&self, source: PdfSource, own_base: &str) -> Result<Vec<u8>, ApiError> {
        let url = match source {
            PdfSource::Bytes(bytes) => return Ok(bytes),
            PdfSource::Url(url) => url,
        };
        let Some(link) = SignedLink::from_url(&url, own_base) else {
            return self.pdf_fetcher.fetch(&url).await;
        };
        let key = self.checked_file(&link?).await?;
        self.files
            .get(&key)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "The file is gone"))
    }

    /// `POST /v4/smart/parse`, or a type-specific route when `expected` names its kind.
    /// Refused before any work when the balance cannot pay; charged only for a success.
    pub async fn parse(
        &self,
        caller: &Caller,
        input: ParseInput,
        expected: Option<CasType>,
        own_base: &str,
        meter: &CreditMeter,
    ) -> Result<Portfolio, ApiError> {
        if caller.tenant.credits < PARSE_COST {
            return Err(ApiError::new(
                ErrorCode::InsufficientCredits,
                format!(
                    "Parsing needs {PARSE_COST} credit; the balance is {}",
                    caller.tenant.credits
                ),
            ));
        }
        let bytes = self.pdf_bytes(input.source, own_base).await?;
        let portfolio = self
            .parse_pdf(bytes, input.password, None, input.strict)
            .await?;
        if let Some(kind) = expected
            && kind != portfolio.meta.cas_type
        {
            return Err(wrong_route(portfolio.meta.cas_type, kind));
        }
        meter.set(charge(self.store.as_ref(), &caller.tenant.id, PARSE_COST).await?);
        Ok(portfolio)
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod billing_tests;
