//! The request of `POST /v4/inbox/cas`, validated: which statements, which days.

use super::cas_mail::parse_cas_type;
use crate::api::CasRequest;
use crate::error::ApiError;
use cas_parser::Issuer;
use chrono::{Days, FixedOffset, NaiveDate, TimeZone};
use std::collections::BTreeSet;

pub const DEFAULT_WINDOW_DAYS: u64 = 30;

/// CAS mail is Indian: dates and windows are in IST.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("IST is a valid offset")
}

/// A validated listing request (its `Debug` hides the password).
#[derive(Clone, PartialEq, Eq)]
pub struct CasQuery {
    pub types: Vec<Issuer>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// With `parse: true`: the password to open the statements with.
    pub parse_password: Option<String>,
    /// With `parse: true`: a statement that does not reconcile is a `PARSE_INCOMPLETE` error.
    pub strict: bool,
}

impl std::fmt::Debug for CasQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CasQuery")
            .field("types", &self.types)
            .field("start", &self.start)
            .field("end", &self.end)
            .field(
                "parse_password",
                &format_args!("{}", crate::api::redacted(&self.parse_password)),
            )
            .field("strict", &self.strict)
            .finish()
    }
}

impl CasQuery {
    /// `today` is the current date in IST.
    pub fn parse(request: &CasRequest, today: NaiveDate) -> Result<Self, ApiError> {
        let parse_password = match (request.parse, &request.password) {
            (Some(true), Some(password)) => Some(password.clone()),
            (Some(true), None) => {
                return Err(ApiError::invalid_request(
                    "parse: true needs the statements' password",
                ));
            }
            _ => None,
        };
        let mut types = BTreeSet::new();
        for raw in request.cas_types.iter().flatten() {
            types.insert(parse_cas_type(raw).map_err(ApiError::invalid_request)?);
        }
        let types: Vec<Issuer> = if types.is_empty() {
            Issuer::ALL.to_vec()
        } else {
            types.into_iter().collect()
        };
        let date = |field: &str, raw: &Option<String>| -> Result<Option<NaiveDate>, ApiError> {
            raw.as_deref()
                .map(|s| {
                    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                        ApiError::invalid_request(format!("{field} must be a date as YYYY-MM-DD"))
                    })
                })
                .transpose()
        };
        let start = date("start_date", &request.start_date)?;
        let end = date("end_date", &request.end_date)?;
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, today),
            // checked: a date near chrono's minimum must be a 400, not a panic.
            (None, Some(e)) => (
                e.checked_sub_days(Days::new(DEFAULT_WINDOW_DAYS))
                    .ok_or_else(|| ApiError::invalid_request("end_date is out of range"))?,
                e,
            ),
            (None, None) => (today - Days::new(DEFAULT_WINDOW_DAYS), today),
        };
        let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
        let latest = today + Days::new(1);
        if start < earliest || end < earliest {
            return Err(ApiError::invalid_request(
                "dates before 2000-01-01 are out of range",
            ));
        }
        if start > latest || end > latest {
            return Err(ApiError::invalid_request(
                "dates in the future are out of range",
            ));
        }
        if end < start {
            return Err(ApiError::invalid_request("end_date is before start_date"));
        }
        Ok(Self {
            types,
            start,
            end,
            parse_password,
            strict: request.strict.unwrap_or(false),
        })
    }

    /// `[after, before)` in epoch seconds: from the start day's midnight to the day after the
    /// end day, in IST.
    pub fn window(&self) -> (i64, i64) {
        let midnight = |d: NaiveDate| {
            ist()
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
                .single()
                .map_or(0, |t| t.timestamp())
        };
        (midnight(self.start), midnight(self.end + Days::new(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()
    }

    fn req(start: Option<&str>, end: Option<&str>, types: Option<Vec<&str>>) -> CasRequest {
        CasRequest {
            cas_types: types.map(|t| t.into_iter().map(String::from).collect()),
            start_date: start.map(String::from),
            end_date: end.map(String::from),
            parse: None,
            password: None,
            strict: None,
        }
    }

    #[test]
    fn defaults_to_the_last_30_days_and_every_type() {
        let q = CasQuery::parse(&CasRequest::default(), today()).unwrap();
        assert_eq!(q.types, Issuer::ALL.to_vec());
        assert_eq!(q.start, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        assert_eq!(q.end, today());
        let (after, before) = q.window();
        // 2025-01-01T00:00+05:30 and 2025-02-01T00:00+05:30.
        assert_eq!(after, 1_735_669_800);
        assert_eq!(before - after, 31 * 86_400);
    }

    #[test]
    fn validates_types_and_dates() {
        let q = CasQuery::parse(
            &req(None, None, Some(vec!["CDSL", "cdsl", "nsdl"])),
            today(),
        )
        .unwrap();
        assert_eq!(q.types, vec![Issuer::Cdsl, Issuer::Nsdl]);
        for bad in [
            req(None, None, Some(vec!["zerodha"])),
            req(Some("2025/01/01"), None, None),
            req(Some("2025-02-30"), None, None),
            req(Some("2025-01-20"), Some("2025-01-10"), None),
            req(Some("1999-12-31"), None, None),
            req(None, Some("2030-01-01"), None),
            req(None, Some("0001-01-01"), None),
            req(Some("-0001-01-01"), None, None),
        ] {
            let err = CasQuery::parse(&bad, today()).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad:?}");
        }
        let mut parse = req(None, None, None);
        parse.parse = Some(true);
        assert_eq!(
            CasQuery::parse(&parse, today()).unwrap_err().code,
            ErrorCode::InvalidRequest,
            "parse needs a password"
        );
        parse.password = Some("pw".into());
        assert_eq!(
            CasQuery::parse(&parse, today())
                .unwrap()
                .parse_password
                .as_deref(),
            Some("pw")
        );
        let only_start = CasQuery::parse(&req(Some("2024-06-01"), None, None), today()).unwrap();
        assert_eq!(only_start.end, today());
    }
}
