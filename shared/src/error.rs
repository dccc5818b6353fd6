//! Every failure the API can report: an HTTP status, a documented code and a message.

use http::StatusCode;

/// A failure as the caller sees it. The message is written for the caller: it never holds a
/// token, a code, a password or an internal detail (those go to the logs, redacted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {msg}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub msg: String,
}

/// The documented error codes (README "Errors"), each with its one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidApiKey,
    InvalidInboxToken,
    ReconsentRequired,
    InsufficientCredits,
    RedirectUriNotAllowed,
    /// The code flow's code is unknown, malformed, already used or another tenant's.
    InvalidCode,
    /// The code flow's code is older than its 60 seconds.
    CodeExpired,
    /// The exchange's `state` is not the one the connect call was given.
    StateMismatch,
    InvalidLink,
    NotFound,
    MethodNotAllowed,
    RequestTooLarge,
    FileTooLarge,
    UnsupportedMediaType,
    InvalidPassword,
    InvalidPdf,
    UnsupportedFormat,
    /// `strict: true` and the statement does not reconcile with its own printed totals.
    ParseIncomplete,
    RateLimited,
    Internal,
    UpstreamError,
}

impl ErrorCode {
    /// Every code (openapi.yaml's `ErrorCode` must list exactly these; tests/api/openapi.rs).
    pub const ALL: [ErrorCode; 22] = [
        Self::InvalidRequest,
        Self::InvalidApiKey,
        Self::InvalidInboxToken,
        Self::ReconsentRequired,
        Self::InsufficientCredits,
        Self::RedirectUriNotAllowed,
        Self::InvalidLink,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::RequestTooLarge,
        Self::FileTooLarge,
        Self::UnsupportedMediaType,
        Self::InvalidPassword,
        Self::InvalidPdf,
        Self::UnsupportedFormat,
        Self::ParseIncomplete,
        Self::RateLimited,
        Self::Internal,
        Self::UpstreamError,
        Self::InvalidCode,
        Self::CodeExpired,
        Self::StateMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InvalidApiKey => "INVALID_API_KEY",
            Self::InvalidInboxToken => "INVALID_INBOX_TOKEN",
            Self::ReconsentRequired => "RECONSENT_REQUIRED",
            Self::InsufficientCredits => "INSUFFICIENT_CREDITS",
            Self::RedirectUriNotAllowed => "REDIRECT_URI_NOT_ALLOWED",
            Self::InvalidCode => "INVALID_CODE",
            Self::CodeExpired => "CODE_EXPIRED",
            Self::StateMismatch => "STATE_MISMATCH",
            Self::InvalidLink => "INVALID_LINK",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::RequestTooLarge => "REQUEST_TOO_LARGE",
            Self::FileTooLarge => "FILE_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::InvalidPassword => "INVALID_PASSWORD",
            Self::InvalidPdf => "INVALID_PDF",
            Self::UnsupportedFormat => "UNSUPPORTED_FORMAT",
            Self::ParseIncomplete => "PARSE_INCOMPLETE",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL",
            Self::UpstreamError => "UPSTREAM_ERROR",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest | Self::InvalidCode | Self::CodeExpired | Self::StateMismatch => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidApiKey | Self::InvalidInboxToken | Self::ReconsentRequired => {
                StatusCode::UNAUTHORIZED
            }
            Self::InsufficientCredits => StatusCode::PAYMENT_REQUIRED,
            Self::RedirectUriNotAllowed | Self::InvalidLink => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTooLarge | Self::FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidPassword
            | Self::InvalidPdf
            | Self::UnsupportedFormat
            | Self::ParseIncomplete => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::UpstreamError => StatusCode::BAD_GATEWAY,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }

    pub fn invalid_request(msg: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, msg)
    }

    pub fn invalid_inbox_token() -> Self {
        Self::new(
            ErrorCode::InvalidInboxToken,
            "The x-inbox-token is missing, invalid, expired or disconnected",
        )
    }

    /// A failure of ours or of a dependency we own (DynamoDB, KMS, Secrets Manager). The detail
    /// is logged; the caller gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "Internal error; retry later")
    }

    /// Google failed in a way that is not the caller's fault (5xx, timeouts, bad answers).
    pub fn upstream(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "upstream error");
        Self::new(
            ErrorCode::UpstreamError,
            "Google did not answer as expected; retry later",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_code_once() {
        // A new variant fails to compile here until it is added to the match, and the match's
        // arms count it: ALL must then grow too.
        fn index(code: ErrorCode) -> usize {
            match code {
                ErrorCode::InvalidRequest => 0,
                ErrorCode::InvalidApiKey => 1,
                ErrorCode::InvalidInboxToken => 2,
                ErrorCode::ReconsentRequired => 3,
                ErrorCode::InsufficientCredits => 4,
                ErrorCode::RedirectUriNotAllowed => 5,
                ErrorCode::InvalidLink => 6,
                ErrorCode::NotFound => 7,
                ErrorCode::MethodNotAllowed => 8,
                ErrorCode::RequestTooLarge => 9,
                ErrorCode::FileTooLarge => 10,
                ErrorCode::UnsupportedMediaType => 11,
                ErrorCode::InvalidPassword => 12,
                ErrorCode::InvalidPdf => 13,
                ErrorCode::UnsupportedFormat => 14,
                ErrorCode::ParseIncomplete => 15,
                ErrorCode::RateLimited => 16,
                ErrorCode::Internal => 17,
                ErrorCode::UpstreamError => 18,
                ErrorCode::InvalidCode => 19,
                ErrorCode::CodeExpired => 20,
                ErrorCode::StateMismatch => 21,
            }
        }
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(index(code), i, "{code}");
        }
    }

    #[test]
    fn callers_mistakes_are_4xx_and_ours_are_5xx() {
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::InvalidApiKey,
            ErrorCode::InvalidInboxToken,
            ErrorCode::ReconsentRequired,
            ErrorCode::InsufficientCredits,
            ErrorCode::RedirectUriNotAllowed,
            ErrorCode::RequestTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::InvalidPassword,
            ErrorCode::InvalidCode,
            ErrorCode::CodeExpired,
            ErrorCode::StateMismatch,
        ] {
            assert!(code.status().is_client_error(), "{code}");
        }
        assert_eq!(ErrorCode::Internal.status(), 500);
        assert_eq!(ErrorCode::UpstreamError.status(), 502);
        assert_eq!(ErrorCode::RedirectUriNotAllowed.status(), 403);
        assert_eq!(ErrorCode::InsufficientCredits.status(), 402);
    }
}
