//! Why a statement could not be read: the one error type of the crate.

/// Why a statement could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Encrypted, and the password (possibly empty) does not open it.
    #[error("the password does not open this PDF")]
    InvalidPassword,
    /// Not a PDF, or truncated / corrupt beyond repair.
    #[error("not a readable PDF: {0}")]
    InvalidPdf(String),
    /// A readable PDF, but not a CAS this crate knows.
    #[error("not a CAS statement from CAMS, KFintech, CDSL or NSDL")]
    UnsupportedFormat,
    /// A CAS whose layout this crate could not follow.
    #[error("the statement's layout could not be read: {0}")]
    Malformed(String),
    /// Over the size limit; checked before any parsing.
    #[error("PDF is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
}
