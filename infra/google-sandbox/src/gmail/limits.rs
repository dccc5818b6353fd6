//! The unfriendly parts of the real Gmail API, as knobs: latency, random
//! failures and the per-user rate limit. They exist so that the service's
//! retry/backoff and throttling can be tested against something that pushes
//! back; all are off by default except the quota, which Gmail always applies.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::google_error::ApiError;

/// Gmail's documented per-user limit: 250 quota units per user per second.
pub const DEFAULT_QUOTA_UNITS_PER_SECOND: u32 = 250;

/// Quota units per method, from Gmail's usage-limits page.
pub const COST_GET_PROFILE: u32 = 1;
pub const COST_MESSAGES_LIST: u32 = 5;
pub const COST_MESSAGES_GET: u32 = 5;
pub const COST_ATTACHMENTS_GET: u32 = 5;

/// The knobs that `POST /_sandbox/config` can change at run time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knobs {
    pub latency: Duration,
    /// Fraction (0.0–1.0) of authorised calls answered with a random
    /// 429/500/503 instead of their result.
    pub fault_rate: f64,
    /// 0 disables the quota.
    pub quota_units_per_second: u32,
}

#[derive(Debug)]
pub struct Limits {
    knobs: Mutex<Knobs>,
    /// Per account (lowercased address): start of the current one-second
    /// window and units spent in it.
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    violations: AtomicU64,
    /// Authorised calls per method (`GetMessage`, `GetAttachment`, …), so tests can see
    /// what a client fetched and what it left alone.
    calls: Mutex<HashMap<&'static str, u64>>,
}

impl Limits {
    pub fn new(knobs: Knobs) -> Self {
        Limits {
            knobs: Mutex::new(knobs),
            windows: Mutex::new(HashMap::new()),
            violations: AtomicU64::new(0),
            calls: Mutex::new(HashMap::new()),
        }
    }

    pub fn knobs(&self) -> Knobs {
        *self
            .knobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        *self
            .knobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = knobs;
    }

    /// 429s served because an account went over its quota.
    pub fn violations(&self) -> u64 {
        self.violations.load(Ordering::Relaxed)
    }

    /// Counts one authorised call of `method`.
    pub fn record(&self, method: &'static str) {
        *self
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(method)
            .or_default() += 1;
    }

    /// Authorised calls so far, per method.
    pub fn calls(&self) -> HashMap<&'static str, u64> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Sleeps for the configured latency. Called first by every Gmail
    /// handler, so errors are as slow as successes (as over a real network).
    pub async fn delay(&self) {
        let latency = self.knobs().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    /// Charges `cost` units to `email`'s current one-second window. A call
    /// that would go over is refused (the 429 to send is returned) and
    /// charges nothing, as Gmail's refusals don't count against the quota.
    pub fn charge(&self, email: &str, cost: u32) -> Option<Response> {
        let limit = self.knobs().quota_units_per_second;
        if limit == 0 {
            return None;
        }
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = windows
            .entry(email.to_ascii_lowercase())
            .or_insert((now, 0));
        if now.duration_since(window.0) >= Duration::from_secs(1) {
            *window = (now, 0);
        }
        if window.1.saturating_add(cost) > limit {
            drop(windows);
            self.violations.fetch_add(1, Ordering::Relaxed);
            return Some(with_retry_after(
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RESOURCE_EXHAUSTED",
                    "User-rate limit exceeded.",
                    "rateLimitExceeded",
                )
                .into_response(),
            ));
        }
        window.1 += cost;
        None
    }

    /// With probability `fault_rate`, one of the transient failures Gmail
    /// clients must retry: 429, 500 or 503, in Google's shapes. Returns the
    /// failure to send instead of the real answer.
    pub fn maybe_fault(&self) -> Option<Response> {
        let rate = self.knobs().fault_rate;
        if rate <= 0.0 || rand::random::<f64>() >= rate {
            return None;
        }
        let response = match rand::random_range(0..3u8) {
            0 => with_retry_after(
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RESOURCE_EXHAUSTED",
                    "Rate Limit Exceeded",
                    "rateLimitExceeded",
                )
                .into_response(),
            ),
            1 => ApiError::internal("Backend Error").into_response(),
            _ => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "The service is currently unavailable.",
                "backendError",
            )
            .into_response(),
        };
        tracing::info!(status = response.status().as_u16(), "gmail: injected fault");
        Some(response)
    }
}

fn with_retry_after(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(quota: u32, fault_rate: f64) -> Limits {
        Limits::new(Knobs {
            latency: Duration::ZERO,
            fault_rate,
            quota_units_per_second: quota,
        })
    }

    #[test]
    fn quota_allows_exactly_the_budget_per_window() {
        let l = limits(250, 0.0);
        for _ in 0..50 {
            assert!(l.charge("a@x.com", COST_MESSAGES_GET).is_none());
        }
        let refused = l.charge("A@x.com", COST_MESSAGES_GET).expect("over budget");
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        assert_eq!(l.violations(), 1);
        // Other accounts have their own budget.
        assert!(l.charge("b@x.com", COST_MESSAGES_GET).is_none());
    }

    #[test]
    fn calls_are_counted_per_method() {
        let l = limits(0, 0.0);
        assert!(l.calls().is_empty());
        l.record("GetMessage");
        l.record("GetMessage");
        l.record("GetAttachment");
        assert_eq!(
            l.calls(),
            HashMap::from([("GetMessage", 2), ("GetAttachment", 1)])
        );
    }

    #[test]
    fn zero_quota_means_unlimited() {
        let l = limits(0, 0.0);
        for _ in 0..1000 {
            assert!(l.charge("a@x.com", COST_MESSAGES_GET).is_none());
        }
        assert_eq!(l.violations(), 0);
    }

    #[test]
    fn fault_rate_extremes() {
        let never = limits(0, 0.0);
        assert!((0..1000).all(|_| never.maybe_fault().is_none()));
        let always = limits(0, 1.0);
        for _ in 0..100 {
            let status = always.maybe_fault().expect("fault").status();
            assert!(matches!(status.as_u16(), 429 | 500 | 503), "{status}");
        }
    }
}
