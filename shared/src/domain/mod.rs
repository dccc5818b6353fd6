//! Plain async Rust over small traits (`ports`): no AWS, HTTP or Lambda types in here.
//!
//! `service` is the core (the `Inbox`, who is calling, the connection an inbox token names,
//! its Google access token); each endpoint is one file beside it: `connection` (connect,
//! callback, status, disconnect), `cas` (the listing, its request in `cas_query`), `download`
//! and `parse`. `stored_files` is the S3 key layout and the signed download links, `credits`
//! the prices and the meter a call reports its cost through.

use crate::error::{ApiError, ErrorCode};

pub mod cas;
pub mod cas_mail;
pub mod cas_query;
pub mod code_flow;
pub mod connection;
pub mod credits;
pub mod download;
#[cfg(test)]
pub mod fakes;
pub mod imports;
pub mod inbox_token;
pub mod jwt_hs256;
pub mod keyring;
pub mod links;
pub mod model;
pub mod parse;
pub mod pkce;
pub mod ports;
pub mod public_address;
pub mod rate_limit;
pub mod redirect_uri;
pub mod secrets;
pub mod sender_auth;
pub mod service;
pub mod stored_files;
pub mod tenants;
#[cfg(test)]
pub mod test_inbox;

/// The largest PDF this service takes anywhere: an upload, a fetched `pdf_url`, an attachment.
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;

/// 413 `FILE_TOO_LARGE` for a PDF over [`MAX_PDF_BYTES`].
pub fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::FileTooLarge,
        format!(
            "The PDF is larger than {} MB",
            MAX_PDF_BYTES / (1024 * 1024)
        ),
    )
}
