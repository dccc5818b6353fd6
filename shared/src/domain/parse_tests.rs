//! What a parse costs, against the in-memory ports (milliseconds): a statement read is
//! charged once; a parse that fails, however it fails, leaves the balance as it was.

use super::*;
use crate::domain::fakes::{ScriptedMailbox, pdf};
use crate::domain::test_inbox::inbox_with;
use rust_decimal::Decimal;
use std::sync::Arc;

fn ten() -> Decimal {
    Decimal::from(10)
}

fn cams_statement() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../parser/tests/fixtures/cams_aes256.pdf"
    ))
    .expect("parser fixture")
}

/// Parses `bytes` with `password` on the route for `expected`: the answer, what the meter
/// reports and the balance left in the store.
async fn parse(
    bytes: Vec<u8>,
    password: &str,
    expected: Option<CasType>,
) -> (
    Result<Portfolio, ApiError>,
    crate::api::CreditUsage,
    Decimal,
) {
    let (inbox, store, caller, _) = inbox_with(Arc::new(ScriptedMailbox::default()), ten()).await;
    let meter = CreditMeter::new(caller.tenant.credits);
    let input = ParseInput {
        source: PdfSource::Bytes(bytes),
        password: password.into(),
        strict: false,
    };
    let result = inbox
        .parse(&caller, input, expected, "https://api.example", &meter)
        .await;
    (result, meter.usage(), store.balance())
}

#[tokio::test]
async fn a_statement_read_is_charged_once() {
    for route in [None, Some(CasType::CamsKfintech)] {
        let (result, usage, balance) = parse(cams_statement(), "Demo@1234", route).await;
        assert_eq!(result.unwrap().meta.cas_type, CasType::CamsKfintech);
        assert_eq!(
            (usage.used, usage.remaining),
            (PARSE_COST, ten() - PARSE_COST)
        );
        assert_eq!(balance, ten() - PARSE_COST, "{route:?}");
    }
}

#[tokio::test]
async fn a_parse_that_fails_costs_nothing() {
    let cases = [
        (cams_statement(), "wrong", None, ErrorCode::InvalidPassword),
        (pdf("not a statement"), "", None, ErrorCode::InvalidPdf),
        // Read in full, then refused: a CAMS statement sent to the CDSL route.
        (
            cams_statement(),
            "Demo@1234",
            Some(CasType::Cdsl),
            ErrorCode::UnsupportedFormat,
        ),
    ];
    for (bytes, password, route, code) in cases {
        let (result, usage, balance) = parse(bytes, password, route).await;
        assert_eq!(result.unwrap_err().code, code);
        assert_eq!(
            (usage.used, usage.remaining),
            (Decimal::ZERO, ten()),
            "{code:?}"
        );
        assert_eq!(balance, ten(), "{code:?}");
    }
}
