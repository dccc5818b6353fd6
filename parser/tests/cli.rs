//! `cas-parse` as a person runs it.

use std::process::Command;

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
    assert!(out.trim_end().ends_with("total 696687.71"), "{out}");
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
    assert!(out.trim_end().ends_with("total 16049946.45"), "{out}");
}

#[test]
fn prints_json_and_explains_failures() {
    let file = format!("{FIXTURES}/kfintech_aes128.pdf");
    let (ok, out, _) = run(&[&file, "--password", "Demo@1234", "--json"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["meta"]["cas_type"], "kfintech");
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
