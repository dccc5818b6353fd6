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
