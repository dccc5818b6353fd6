//! Reads Indian Consolidated Account Statements (CAS) from CAMS, KFintech,
//! CDSL and NSDL: the password-protected PDFs that investors get by e-mail.
//!
//! This crate is pure parsing, with no AWS or HTTP dependency, so it can be
//! tested on fixtures and reused by the Lambda functions and the admin tool.
//!
//! The layers, each importing only the ones below it:
//!
//! * [`pdf`] decrypts a PDF (RC4-40/128, AES-128, AES-256) with its password and extracts
//!   positioned text per page ([`pdf::extract_pages`]): a [`Page`] holds [`TextRun`]s (x, y,
//!   font size, text) in drawing order, [`Page::lines`] groups them into visual [`Line`]s. It
//!   knows nothing of statements.
//! * [`statement`]: [`open`] is that plus which issuer produced the statement ([`Issuer`], the
//!   one issuer enum, also `meta.issuer` and the service's) and, for CAMS/KFintech, detailed vs
//!   summary ([`CasVariant`]).
//! * [`isin_table`] fills what statements do not print (AMFI code, scheme type) by ISIN.
//! * [`parse`] reads a statement into the unified [`model::Portfolio`]: [`cams_kfintech`] the
//!   registrars' detailed and summary statements, [`depository`] the CDSL / NSDL ones (demat
//!   accounts and holdings, folios, NPS, checked against the printed totals). What every reader
//!   shares: [`amounts`] (`1,23,456.78`, `(1,175.08)`, `₹`, a row's trailing numbers), [`dates`],
//!   [`reconcile`] (printed totals against what was read) and [`transaction_type`].
//!
//! Errors are [`ParseError`]; no input, however malformed, makes these panic.

pub mod amounts;
pub mod cams_kfintech;
pub mod dates;
pub mod depository;
mod error;
pub mod isin_table;
pub mod model;
pub mod pdf;
pub mod reconcile;
mod redact;
pub mod statement;
pub mod transaction_type;

pub use error::ParseError;
pub use model::{CasType, Issuer};
pub use pdf::{Line, Page, TextRun};
pub use statement::{CasVariant, Statement, open};

/// Opens a statement and reads it into the unified portfolio shape: CAMS and KFintech detailed
/// and summary statements, and CDSL and NSDL depository statements (demat accounts, folios, NPS).
pub fn parse(bytes: &[u8], password: &str) -> Result<model::Portfolio, ParseError> {
    read(&open(bytes, password)?)
}

/// Reads an opened statement (positioned text, issuer and variant already known) with the
/// reader for its kind. [`parse`] is `open` then this; tests and fuzzers build statements in
/// memory and call it directly.
pub fn read(statement: &Statement) -> Result<model::Portfolio, ParseError> {
    let mut portfolio = match (statement.issuer, statement.variant) {
        (Issuer::Cdsl | Issuer::Nsdl, _) => depository::parse(statement),
        (_, CasVariant::Summary) => cams_kfintech::summary::parse(statement),
        _ => cams_kfintech::detailed::parse(statement),
    }?;
    // What statements do not print: AMFI code and scheme type, by ISIN.
    isin_table::enrich(&mut portfolio);
    Ok(portfolio)
}
