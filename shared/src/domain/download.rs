//! `GET /v4/files/{connection}/{filename}?expires=…&sig=…`: a signed link of ours, checked,
//! then handed on as a presigned S3 URL that lives a few minutes.

use super::service::Inbox;
use super::stored_files::SignedLink;
use crate::error::{ApiError, ErrorCode};

/// The S3 URL a checked link redirects to lives only this long.
const PRESIGNED_TTL_SECONDS: u64 = 300;

impl Inbox {
    /// Where a download link leads: a presigned S3 URL of a few minutes, if the link is ours
    /// and unexpired and the file still exists.
    pub async fn download(&self, link: &SignedLink) -> Result<String, ApiError> {
        let key = self.checked_file(link).await?;
        self.files
            .presigned_get(&key, PRESIGNED_TTL_SECONDS)
            .await
            .map_err(ApiError::internal)
    }

    /// The S3 key of the file a link names, once the link is checked (ours, unexpired) and
    /// the file is known to still exist.
    pub async fn checked_file(&self, link: &SignedLink) -> Result<String, ApiError> {
        link.verify(&self.links, self.clock.now())?;
        let key = link.key();
        if !self.files.exists(&key).await.map_err(ApiError::internal)? {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "The file is gone (files are kept for a day, and removed on disconnect)",
            ));
        }
        Ok(key)
    }
}
