//! What calls cost, and the meter a call reports its cost and the balance through
//! (`X-Credits-Used`, `X-Credits-Remaining`), failed calls included.

use super::ports::{Charge, InfraError, Store};
use crate::api::CreditUsage;
use crate::error::{ApiError, ErrorCode};
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex};

/// One pull of `POST /v4/inbox/cas` costs 0.2 credits, whatever it finds.
pub const LIST_COST: Decimal = Decimal::from_parts(2, 0, 0, false, 1);
/// One parsed statement costs 1 credit; failures are not billed.
pub const PARSE_COST: Decimal = Decimal::ONE;

/// A call's credit usage so far: nothing used and the balance read at authentication until
/// something is charged or given back. Clones share one reading, so the handler that made it
/// reports whatever the use case recorded, failed calls included.
#[derive(Debug, Clone)]
pub struct CreditMeter(Arc<Mutex<CreditUsage>>);

impl CreditMeter {
    /// A call that has cost nothing yet, on a balance of `balance`.
    pub fn new(balance: Decimal) -> Self {
        Self(Arc::new(Mutex::new(CreditUsage {
            used: Decimal::ZERO,
            remaining: balance,
        })))
    }

    fn reading(&self) -> std::sync::MutexGuard<'_, CreditUsage> {
        // A panic while holding this lock cannot leave a half-written reading: it is Copy.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn usage(&self) -> CreditUsage {
        *self.reading()
    }

    /// The usage is now `usage` (as a charge or a refund reports it).
    pub fn set(&self, usage: CreditUsage) {
        *self.reading() = usage;
    }

    /// `amount` more was used; the balance is now `remaining`.
    pub fn add(&self, amount: Decimal, remaining: Decimal) {
        let mut reading = self.reading();
        reading.used += amount;
        reading.remaining = remaining;
    }
}

/// Takes `amount` credits for a call, or answers 402 without taking anything.
pub async fn charge(
    store: &dyn Store,
    tenant_id: &str,
    amount: Decimal,
) -> Result<CreditUsage, ApiError> {
    match store
        .charge_credits(tenant_id, amount)
        .await
        .map_err(|e: InfraError| ApiError::internal(e))?
    {
        Charge::Charged { remaining } => Ok(CreditUsage {
            used: amount,
            remaining,
        }),
        Charge::Insufficient { balance } => Err(insufficient(amount, balance)),
    }
}

/// The 402 for a call that needs `amount` when the balance is `balance`.
pub fn insufficient(amount: Decimal, balance: Decimal) -> ApiError {
    ApiError::new(
        ErrorCode::InsufficientCredits,
        format!("This call needs {amount} credits; the balance is {balance}"),
    )
}
