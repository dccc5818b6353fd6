//! The credit balance: atomic, never below zero under concurrency.

use crate::helpers::TestApp;
use cas_inbox::domain::ports::Charge;
use rust_decimal::Decimal;

#[tokio::test]
async fn concurrent_charges_never_take_the_balance_below_zero() {
    let app = TestApp::spawn().await;
    let store = app.app.inbox.store.clone();
    // The tenant starts with 10 credits: 60 concurrent charges of 0.2 can take 50 of them.
    let charges = (0..60).map(|_| {
        let store = store.clone();
        let tenant = app.tenant_id.clone();
        tokio::spawn(async move { store.charge_credits(&tenant, Decimal::new(2, 1)).await })
    });
    let mut charged = 0;
    let mut refused = 0;
    for handle in charges {
        match handle.await.unwrap().unwrap() {
            Charge::Charged { remaining } => {
                assert!(remaining >= Decimal::ZERO);
                charged += 1;
            }
            Charge::Insufficient { balance } => {
                assert!(balance < Decimal::new(2, 1));
                refused += 1;
            }
        }
    }
    assert_eq!((charged, refused), (50, 10));
    let tenant = store.tenant(&app.tenant_id).await.unwrap().unwrap();
    assert_eq!(tenant.credits, Decimal::ZERO);

    let err = cas_inbox::domain::credits::charge(store.as_ref(), &app.tenant_id, Decimal::ONE)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_str(), "INSUFFICIENT_CREDITS");
    assert_eq!(err.status(), 402);
    assert_eq!(
        store
            .add_credits(&app.tenant_id, Decimal::new(15, 1))
            .await
            .unwrap(),
        Decimal::new(15, 1)
    );
}
