//! `FileStore` on S3: statements wait under `temp/`, which the bucket's lifecycle rule
//! deletes after a day.

use crate::domain::ports::{FileStore, InfraError};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use std::time::Duration;

#[derive(Clone)]
pub struct S3Files {
    client: Client,
    bucket: String,
}

impl S3Files {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

fn err(what: &str, e: impl std::error::Error + 'static) -> InfraError {
    InfraError(format!("s3 {what}: {}", DisplayErrorContext(&e)))
}

#[async_trait]
impl FileStore for S3Files {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), InfraError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/pdf")
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| err("put", e))?;
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool, InfraError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(err("head", e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, InfraError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => {
                let bytes = out.body.collect().await.map_err(|e| err("read", e))?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(err("get", e)),
        }
    }

    async fn presigned_get(&self, key: &str, ttl_seconds: u64) -> Result<String, InfraError> {
        let config = PresigningConfig::expires_in(Duration::from_secs(ttl_seconds))
            .map_err(|e| err("presign config", e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type("application/pdf")
            .presigned(config)
            .await
            .map_err(|e| err("presign", e))?;
        Ok(request.uri().to_string())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<(), InfraError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| err("list", e))?;
            let ids: Vec<ObjectIdentifier> = page
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| err("delete request", e))?;
            self.client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| err("delete", e))?;
        }
        Ok(())
    }
}
