//! The imports queue on SQS: `Queue` (SendMessageBatch, 10 a call), and the local/test
//! provisioning of the queue with its dead-letter queue and redrive policy (template.yaml
//! declares the same for AWS).

use crate::domain::imports::model::Job;
use crate::domain::imports::ports::Queue;
use crate::domain::ports::InfraError;
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};

/// Receives of one message before SQS moves it to the dead-letter queue.
pub const MAX_RECEIVE_COUNT: u32 = 5;

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

fn infra(what: &str, e: impl std::error::Error) -> InfraError {
    InfraError(format!("sqs {what}: {}", DisplayErrorContext(e)))
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, jobs: &[Job], delay_seconds: u32) -> Result<(), InfraError> {
        for chunk in jobs.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (n, job) in chunk.iter().enumerate() {
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(n.to_string())
                        .message_body(serde_json::to_string(job).map_err(InfraError::new)?)
                        .delay_seconds(delay_seconds.min(900) as i32)
                        .build()
                        .map_err(InfraError::new)?,
                );
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| infra("send", e))?;
            if let Some(failed) = out.failed().first() {
                return Err(InfraError(format!(
                    "sqs send: {} of {} messages refused ({})",
                    out.failed().len(),
                    chunk.len(),
                    failed.code()
                )));
            }
        }
        Ok(())
    }
}

/// The imports queue and its dead-letter queue, created if missing: `(queue url, dlq url)`.
/// `visibility_seconds` must exceed a worker's longest run.
pub async fn ensure_queues(
    client: &Client,
    name: &str,
    visibility_seconds: u32,
) -> Result<(String, String), InfraError> {
    let dlq_name = format!("{name}-dlq");
    let dlq_url = client
        .create_queue()
        .queue_name(&dlq_name)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| infra("create dead-letter queue", e))?
        .queue_url
        .ok_or_else(|| InfraError::new("no dead-letter queue url"))?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| infra("read dead-letter queue", e))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| InfraError::new("no dead-letter queue arn"))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
    })
    .to_string();
    let url = client
        .create_queue()
        .queue_name(name)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility_seconds.to_string(),
        )
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .map_err(|e| infra("create queue", e))?
        .queue_url
        .ok_or_else(|| InfraError::new("no queue url"))?;
    Ok((url, dlq_url))
}
