//! `cas_parser::parse` over mutated statement bytes: open (decrypt, extract positioned text,
//! detect the issuer) and read, end to end, then serialise the result as the API does.
//!
//! Input: one password-selector byte, then the PDF. `byte % 3` picks the fixtures' RTA password
//! (CAMS / KFintech, `Demo@1234`), their PAN password (CDSL / NSDL, `ABCDE1234F`) or the empty
//! password (unencrypted and owner-only files), so mutations of an encrypted seed still decrypt
//! with the password that opens it. `run.sh` writes the committed fixtures with that byte in
//! front as the seed corpus.
//!
//! Checks nothing but "no panic" (and, through libFuzzer's `-timeout`, "no hang"): every
//! `Result` is fine.

#![no_main]

use libfuzzer_sys::fuzz_target;

const PASSWORDS: [&str; 3] = ["Demo@1234", "ABCDE1234F", ""];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, pdf)) = data.split_first() else {
        return;
    };
    let password = PASSWORDS[usize::from(selector) % PASSWORDS.len()];
    if let Ok(portfolio) = cas_parser::parse(pdf, password) {
        let _ = serde_json::to_vec(&portfolio);
    }
});
