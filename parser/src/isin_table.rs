//! What statements do not print, from public data: a mutual-fund scheme's AMFI code and its
//! type (`Equity` / `Debt` / `Hybrid` / `Other`, from its SEBI category), keyed by ISIN.
//!
//! The table is `data/mf_isin.bin`, built by `infra/isin/build_table.py` from the ISIN
//! database of the `casparser-isin` package (MIT, © 2021 Sandeep Somasekharan; the version is
//! in the table's first line, [`source`]). It is compiled in and binary-searched where it lies:
//! nothing to inflate, copy or allocate, so the first lookup costs what any other does (the
//! pages it touches are mapped from the binary on demand). After the ASCII header line, one
//! 9-byte big-endian record per ISIN, sorted: the ISIN's characters 3–11 in base 36 (6 bytes),
//! then `AMFI code << 3 | type` (3 bytes; 0 = unknown).
//!
//! [`enrich`] fills `additional_info.amfi` and `type` of every mutual-fund scheme whose ISIN
//! the table knows; an ISIN it does not know, or a field it leaves unknown, stays `None`.

use crate::model::Portfolio;

const TABLE: &[u8] = include_bytes!("../data/mf_isin.bin");
const RECORD: usize = 9;
const KEY: usize = 6;
/// Where the records start: after the header line.
const START: usize = {
    let mut i = 0;
    while TABLE[i] != b'\n' {
        i += 1;
    }
    i + 1
};
// A table of another shape does not compile.
const _: () = assert!(TABLE[0] == b'#' && (TABLE.len() - START).is_multiple_of(RECORD));

/// The vendor's scheme `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeType {
    Equity,
    Debt,
    Hybrid,
    Other,
}

impl SchemeType {
    /// As the JSON carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equity => "Equity",
            Self::Debt => "Debt",
            Self::Hybrid => "Hybrid",
            Self::Other => "Other",
        }
    }

    fn from_code(code: u32) -> Option<Self> {
        match code {
            1 => Some(Self::Equity),
            2 => Some(Self::Debt),
            3 => Some(Self::Hybrid),
            4 => Some(Self::Other),
            _ => None,
        }
    }
}

/// What the table knows of one ISIN: either may be unknown (every ISIN in it has an AMFI code
/// today; 6,295 of 21,663 have no SEBI category in the source, so no type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The AMFI scheme code (six digits).
    pub amfi: Option<u32>,
    pub kind: Option<SchemeType>,
}

/// The table's first line: its format and the casparser-isin version it was built from.
pub fn source() -> &'static str {
    std::str::from_utf8(&TABLE[..START - 1]).unwrap_or("")
}

/// How many ISINs the table holds.
pub fn len() -> usize {
    records().len() / RECORD
}

fn records() -> &'static [u8] {
    &TABLE[START..]
}

fn base36(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The table's key of an ISIN as printed (`IN`, nine characters, the check digit), `None` for
/// anything else, a wrong check digit included.
fn key(isin: &str) -> Option<u64> {
    let b = isin.as_bytes();
    if b.len() != 12 || &b[..2] != b"IN" || !b[11].is_ascii_digit() {
        return None;
    }
    // ISO 6166: letters count as their two-digit values; Luhn over the digits, check digit last.
    let (mut sum, mut position) = (0, 0);
    let mut add = |digit: u8| {
        // The payload's last digit is doubled (position 0 from the right).
        let d = u32::from(digit) * if position % 2 == 0 { 2 } else { 1 };
        sum += d / 10 + d % 10;
        position += 1;
    };
    for &c in b[..11].iter().rev() {
        let v = base36(c)?;
        if v < 10 {
            add(v);
        } else {
            add(v % 10);
            add(v / 10);
        }
    }
    if (10 - sum % 10) % 10 != u32::from(b[11] - b'0') {
        return None;
    }
    let mut key = 0u64;
    for &c in &b[2..11] {
        key = key * 36 + u64::from(base36(c)?);
    }
    Some(key)
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, &b| n << 8 | u64::from(b))
}

/// The AMFI code and type of a mutual-fund ISIN (exactly as printed: 12 upper-case characters,
/// check digit right), `None` when the table does not know it.
pub fn lookup(isin: &str) -> Option<Known> {
    let key = key(isin)?;
    let records = records();
    let (mut lo, mut hi) = (0, records.len() / RECORD);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let record = &records[mid * RECORD..(mid + 1) * RECORD];
        match be(&record[..KEY]).cmp(&key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => {
                let value = be(&record[KEY..]) as u32;
                return Some(Known {
                    amfi: Some(value >> 3).filter(|&code| code != 0),
                    kind: SchemeType::from_code(value & 7),
                });
            }
        }
    }
    None
}

/// Fills, on every mutual-fund scheme with an ISIN the table knows, the AMFI code and the type
/// it knows, where the reader left them empty. Nothing else changes.
pub fn enrich(portfolio: &mut Portfolio) {
    let schemes = portfolio
        .mutual_funds
        .iter_mut()
        .flat_map(|folio| folio.schemes.iter_mut());
    for scheme in schemes {
        let Some(known) = scheme.isin.as_deref().and_then(lookup) else {
            continue;
        };
        if scheme.additional_info.amfi.is_none() {
            scheme.additional_info.amfi = known.amfi.map(|code| code.to_string());
        }
        if scheme.scheme_type.is_none() {
            scheme.scheme_type = known.kind.map(|k| k.as_str().to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_whole_sorted_and_well_formed() {
        assert!(source().starts_with("# cas-parser mutual-fund ISIN table, format 1:"));
        assert!(source().contains("casparser-isin "), "{}", source());
        let rows = format!(" {} rows", len());
        assert!(source().ends_with(&rows), "{} vs {rows}", source());
        assert!(len() > 20_000, "{}", len());
        let mut previous = None;
        for record in records().chunks_exact(RECORD) {
            let key = be(&record[..KEY]);
            assert!(key < 36u64.pow(9));
            assert!(previous < Some(key), "not sorted or repeated at {key}");
            let value = be(&record[KEY..]) as u32;
            let code = value >> 3;
            assert!(code == 0 || (100_000..1_000_000).contains(&code), "{code}");
            assert!(value & 7 <= 4);
            assert!(code != 0 || value & 7 != 0, "a row with neither");
            previous = Some(key);
        }
    }

    #[test]
    fn known_isins_resolve() {
        // HDFC Mid Cap Fund - Direct Plan - Growth Option: "Equity Scheme - Mid Cap Fund".
        let mid_cap = lookup("INF179K01XQ0").unwrap();
        assert_eq!(mid_cap.amfi, Some(118989));
        assert_eq!(mid_cap.kind, Some(SchemeType::Equity));
        // HDFC Liquid Fund: "Debt Scheme - Liquid Fund".
        assert_eq!(lookup("INF179KB1HP9").unwrap().kind, Some(SchemeType::Debt));
        // HDFC Balanced Advantage, IDCW payout and reinvestment: two ISINs, one AMFI code.
        for isin in ["INF179K01VZ5", "INF179K01VY8"] {
            let bal = lookup(isin).unwrap();
            assert_eq!(
                (bal.amfi, bal.kind),
                (Some(118969), Some(SchemeType::Hybrid))
            );
        }
        // An index fund and a fund of funds are SEBI's "Other Scheme".
        assert_eq!(
            lookup("INF247L01AC1").unwrap().kind,
            Some(SchemeType::Other)
        );
        assert_eq!(
            lookup("INF247L01718").unwrap().kind,
            Some(SchemeType::Other)
        );
        // Principal's ISIN merged into Sundaram: the code AMFI lists for it now, not the old one.
        assert_eq!(lookup("INF173K01189").unwrap().amfi, Some(149532));
        // Listed without a SEBI category (Franklin's segregated portfolio): a code, no type.
        let segregated = lookup("INF090I01TL2").unwrap();
        assert_eq!((segregated.amfi, segregated.kind), (Some(147955), None));
    }

    #[test]
    fn unknown_isins_and_other_keys_are_none() {
        for isin in [
            "INF000000000", // no such scheme
            "INE002A01018", // an equity share, not a fund
            "INF179K01XQ1", // a known ISIN with the wrong check digit
            "",
            "INF179K01XQ",
            "INF179K01XQ00",
            "inf179k01xq0",
            "INF179K01XQ_",
            "INF179K01-Q0",
            "ZZZZZZZZZZZZ",
            "INF179K01XQ\u{e9}",
        ] {
            assert_eq!(lookup(isin), None, "{isin:?}");
        }
    }

    #[test]
    fn the_search_reaches_both_ends() {
        let nsin = |key: u64| {
            let mut digits = [0u8; 9];
            let mut k = key;
            for d in digits.iter_mut().rev() {
                *d = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(k % 36) as usize];
                k /= 36;
            }
            String::from_utf8(digits.to_vec()).unwrap()
        };
        for at in [0, len() - 1] {
            let stem = format!("IN{}", nsin(be(&records()[at * RECORD..][..KEY])));
            let found = (0..10)
                .filter_map(|d| lookup(&format!("{stem}{d}")))
                .count();
            assert_eq!(found, 1, "{stem}");
        }
    }
}
