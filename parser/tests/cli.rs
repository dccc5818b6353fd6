//! `cas-parse` as a person runs it.

use std::process::Command;

mod common;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cas-parse"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_a_holdings_table_with_the_total() {
    let file = format!("{FIXTURES}/cams_aes256.pdf");
    let (ok, out, _) = run(&[&file, "--password", "Demo@1234"]);
    assert!(ok);
    assert!(
        out.starts_with("CAMS statement of Demo Investor, 2025-01-01 to 2025-12-31"),
        "{out}"
    );
    assert!(out.contains("HDFC Mid Cap Fund - Direct Plan - Growth Option"));
    assert!(out.contains("350.888"));
    assert!(out.contains("total 696687.71"), "{out}");
    assert!(
        out.trim_end()
            .ends_with("reconciled: every printed total matches"),
        "{out}"
    );
}

#[test]
fn prints_demat_holdings_and_totals() {
    let file = format!("{FIXTURES}/cdsl_rc4128.pdf");
    let (ok, out, _) = run(&[&file, "--password", "ABCDE1234F"]);
    assert!(ok);
    assert!(out.starts_with("CDSL statement of DEMO INVESTOR, 2025-12-01 to 2025-12-31"));
    assert!(out.contains("CDSL account 1208160084905590 (ZERODHA BROKING LIMITED): 9823926.96"));
    let row = out
        .lines()
        .find(|l| l.contains("INE002A01018"))
        .expect("an equity row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[0], "1203320078781605");
    assert_eq!(&cells[cells.len() - 3..], ["69.000", "1185.72", "81814.68"]);
    assert!(out.contains("NPS PRAN 110015310934 (KFIN): 730197.42"));
    assert!(out.contains("demat: 14395889.60 (3 accounts)"));
    assert!(out.contains("mutual_funds: 923859.43 (3 folios)"));
    assert!(out.contains("total 16049946.45"), "{out}");
}

#[test]
fn prints_json_and_explains_failures() {
    let file = format!("{FIXTURES}/kfintech_aes128.pdf");
    let (ok, out, _) = run(&[&file, "--password", "Demo@1234", "--json"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["meta"]["cas_type"], "CAMS_KFINTECH");
    assert_eq!(json["meta"]["issuer"], "kfintech");
    let (ok, _, err) = run(&[&file, "--password", "wrong"]);
    assert!(!ok);
    assert!(err.contains("password"), "{err}");
    let (ok, _, _) = run(&[]);
    assert!(!ok);
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `cas-parse … --json | head -1`: the JSON is far bigger than a pipe buffer, so the
    // write fails with a broken pipe once the reader is gone.
    use std::io::Read;
    use std::process::Stdio;
    let file = format!("{FIXTURES}/kfintech_extras_aes256.pdf");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cas-parse"))
        .args([&file, "--password", "Demo@1234", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // the pipe's read end is dropped here
    let out = child.wait_with_output().unwrap();
    assert_eq!(first, *b"{");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

const MISSING_FOLIO: &str = "detailed_missing_folio.pdf";

/// A generated detailed statement with its first folio's lines removed and its printed
/// portfolio summary intact, as an unencrypted PDF (the fixture the API tests refuse in strict
/// mode). `REGENERATE_FIXTURES=1` rewrites it.
fn missing_folio_pdf() -> Vec<u8> {
    let g = (0..)
        .map(common::detailed::generate)
        .find(|g| g.folios.len() > 1 && !g.folios[0].value.is_zero())
        .expect("a statement with two folios");
    common::pdf_writer::write(&common::detailed::without_first_folio(&g))
}

#[test]
fn the_missing_folio_fixture_is_what_the_generator_writes() {
    let path = format!("{FIXTURES}/{MISSING_FOLIO}");
    let fresh = missing_folio_pdf();
    if std::env::var_os("REGENERATE_FIXTURES").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    assert!(
        std::fs::read(&path).unwrap() == fresh,
        "{path} is stale: REGENERATE_FIXTURES=1"
    );
}

#[test]
fn a_statement_that_does_not_reconcile_says_so_and_strict_refuses_it() {
    let file = format!("{FIXTURES}/{MISSING_FOLIO}");
    let (ok, out, err) = run(&[&file]);
    assert!(ok, "lenient by default: {err}");
    assert!(
        err.contains("does not reconcile with its own printed totals"),
        "{err}"
    );
    assert!(
        out.contains("warning: portfolio total market value: read "),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("NOT RECONCILED: see the warnings above"),
        "{out}"
    );

    let status = Command::new(env!("CARGO_BIN_EXE_cas-parse"))
        .args([file.as_str(), "--strict", "--json"])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(3));
    assert!(status.stdout.is_empty(), "no result is printed");
    let err = String::from_utf8_lossy(&status.stderr);
    assert!(
        err.contains("refused (--strict)") && err.contains("warning: "),
        "{err}"
    );

    let reconciled = format!("{FIXTURES}/cams_aes256.pdf");
    let (ok, _, _) = run(&[&reconciled, "--password", "Demo@1234", "--strict"]);
    assert!(ok);
}
