//! Rate limits that hold across Lambda instances: every authenticated request of a tenant is
//! counted in a fixed window by one shared counter (DynamoDB in production), before anything
//! else happens — so a refused request costs nothing, and failed requests (a parse that
//! answers 422, a bad body) count like any other.

use super::model::RateLimit;
use super::ports::RateDecision;
use super::service::{Caller, Inbox};
use crate::error::{ApiError, ErrorCode};

/// A request refused by the rate limit: 429 `RATE_LIMITED` with `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    pub limit: RateLimit,
    /// Seconds until the next window opens (at least 1).
    pub retry_after_seconds: u64,
}

impl RateLimited {
    pub fn error(&self) -> ApiError {
        ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "Rate limit of {} requests per {} s reached; retry in {} s",
                self.limit.requests, self.limit.window_seconds, self.retry_after_seconds
            ),
        )
    }
}

impl Inbox {
    /// Counts the caller's request against its tenant's limit (all the tenant's keys share
    /// one counter). A counter that cannot be reached admits the request (and logs it): the
    /// limit protects the service, it must not be what takes it down.
    pub async fn admit(&self, caller: &Caller) -> Result<(), RateLimited> {
        let limit = caller.tenant.rate_limit.unwrap_or(RateLimit::DEFAULT);
        match self
            .limiter
            .admit(&caller.tenant.id, limit, self.clock.now())
            .await
        {
            Ok(RateDecision::Admitted) => Ok(()),
            Ok(RateDecision::Limited {
                retry_after_seconds,
            }) => {
                tracing::info!(tenant_id = %caller.tenant.id, retry_after_seconds, "rate limited");
                Err(RateLimited {
                    limit,
                    retry_after_seconds: retry_after_seconds.max(1),
                })
            }
            Err(e) => {
                tracing::error!(error = %e, "rate limiter unavailable; request admitted");
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fakes::{MemRateLimiter, NOW, ScriptedMailbox};
    use crate::domain::ports::{Clock, RateLimiter, window_of};
    use crate::domain::test_inbox::inbox_with;
    use rust_decimal::Decimal;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    const TEN_PER_SECOND: RateLimit = RateLimit {
        requests: 10,
        window_seconds: 1,
    };

    #[test]
    fn windows_start_at_multiples_of_their_length() {
        assert_eq!(window_of(1_000, 10), (1_000, 10));
        assert_eq!(window_of(1_009, 10), (1_000, 1));
        assert_eq!(window_of(1_010, 10), (1_010, 10));
        assert_eq!(window_of(59, 60), (0, 1));
        assert_eq!(window_of(NOW, 1), (NOW, 1));
        assert_eq!(window_of(-1, 10), (-10, 1));
    }

    #[tokio::test]
    async fn the_counter_admits_the_limit_then_refuses_until_the_next_window() {
        let counter = MemRateLimiter::default();
        let limit = RateLimit::new(3, 10).unwrap();
        for _ in 0..3 {
            assert_eq!(
                counter.admit("t", limit, 1_002).await.unwrap(),
                RateDecision::Admitted
            );
        }
        // Still the window [1000, 1010): refused, with the seconds left in it.
        assert_eq!(
            counter.admit("t", limit, 1_002).await.unwrap(),
            RateDecision::Limited {
                retry_after_seconds: 8
            }
        );
        assert_eq!(
            counter.admit("t", limit, 1_009).await.unwrap(),
            RateDecision::Limited {
                retry_after_seconds: 1
            }
        );
        // Refusals are not counted: the window holds exactly the limit.
        assert_eq!(counter.count("t", 1_000), 3);
        // Another tenant has its own counter.
        assert_eq!(
            counter.admit("u", limit, 1_009).await.unwrap(),
            RateDecision::Admitted
        );
        // The next window opens at 1010 exactly.
        assert_eq!(
            counter.admit("t", limit, 1_010).await.unwrap(),
            RateDecision::Admitted
        );
        assert_eq!(counter.count("t", 1_010), 1);
    }

    /// A clock the test moves.
    struct Manual(AtomicI64);
    impl Clock for Manual {
        fn now(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn a_tenant_over_its_limit_is_429_with_retry_after_until_the_window_turns() {
        let (mut inbox, _, mut caller, _) =
            inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
        let clock = Arc::new(Manual(AtomicI64::new(NOW)));
        inbox.clock = clock.clone();
        caller.tenant.rate_limit = Some(TEN_PER_SECOND);
        for _ in 0..10 {
            inbox.admit(&caller).await.unwrap();
        }
        let refused = inbox.admit(&caller).await.unwrap_err();
        assert_eq!(refused.retry_after_seconds, 1);
        let error = refused.error();
        assert_eq!(error.code, ErrorCode::RateLimited);
        assert_eq!(error.status(), 429);
        assert!(error.msg.contains("10 requests per 1 s"), "{}", error.msg);
        clock.0.store(NOW + 1, Ordering::SeqCst);
        inbox.admit(&caller).await.unwrap();
    }

    #[tokio::test]
    async fn without_a_setting_the_default_applies() {
        let (inbox, ..) = inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
        let (_, _, caller, _) =
            inbox_with(Arc::new(ScriptedMailbox::default()), Decimal::ONE).await;
        assert_eq!(caller.tenant.rate_limit, None);
        // FixedClock: NOW is 1_738_305_000, a multiple of 10, so the whole window is ahead.
        for _ in 0..RateLimit::DEFAULT.requests {
            inbox.admit(&caller).await.unwrap();
        }
        let refused = inbox.admit(&caller).await.unwrap_err();
        assert_eq!(refused.limit, RateLimit::DEFAULT);
        assert_eq!(refused.retry_after_seconds, 10);
    }

    #[test]
    fn limits_are_validated() {
        assert!(RateLimit::new(0, 1).is_err());
        assert!(RateLimit::new(1, 0).is_err());
        assert!(RateLimit::new(1, 3601).is_err());
        assert_eq!(RateLimit::new(10, 1).unwrap(), TEN_PER_SECOND);
    }
}
