//! The content-stream tokenizer on hostile input: random bytes, and the fixtures' real page
//! content mutated. Whatever the bytes, it must return (no panic, no endless loop) and make
//! progress: every operation it yields consumed at least one byte.

use std::time::{Duration, Instant};

use cas_parser::pdf::content::{Operand, Operations};
use lopdf::{Document, LoadOptions};

mod common;
use common::Lcg;

/// Decodes everything, touching every operand, and returns how many operations there were.
fn decode_all(src: &[u8]) -> usize {
    let mut ops = Operations::new(src);
    let mut count = 0;
    let mut sink = 0usize;
    while let Some(op) = ops.next() {
        count += 1;
        let Ok(op) = op else {
            assert!(ops.next().is_none(), "an error ends the stream");
            break;
        };
        sink += op.operator.len();
        for operand in op.operands {
            sink += match *operand {
                Operand::Name(s) | Operand::String(s) => op.bytes(s).len(),
                Operand::Array(s) => op.elements(s).len(),
                _ => 1,
            };
        }
        assert!(count <= src.len(), "more operations than bytes");
    }
    std::hint::black_box(sink);
    count
}

/// Every page's decompressed content in the fixtures.
fn fixture_contents() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let password = if name.starts_with("cdsl_") || name.starts_with("nsdl_") {
            "ABCDE1234F"
        } else {
            "Demo@1234"
        };
        let options = LoadOptions {
            password: Some(password.into()),
            ..LoadOptions::default()
        };
        let doc = Document::load_mem_with_options(&std::fs::read(&path).unwrap(), options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        out.extend(doc.get_pages().values().map(|id| doc.get_page_content(*id)));
    }
    assert!(out.len() >= 30, "{} pages", out.len());
    out
}

/// Bytes that steer the tokenizer into its less common paths.
const SYNTAX: &[&[u8]] = &[
    b"(",
    b")",
    b"\\",
    b"<",
    b">",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"{",
    b"/",
    b"%",
    b"#",
    b"\r",
    b"\n",
    b" ",
    b"-",
    b".",
    b"+",
    b"\\0",
    b"BI ",
    b" ID ",
    b" EI ",
    b"/W 9 /H 9 /CS /G /BPC 8 ",
    b"Tj",
    b"TJ",
    b"true",
    b"null",
];

#[test]
fn random_bytes_never_panic_or_hang() {
    let mut rng = Lcg(0xC0FFEE);
    let start = Instant::now();
    for round in 0..3_000 {
        let len = rng.below(600);
        let src: Vec<u8> = if round % 2 == 0 {
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            // Mostly syntax, so the input goes deeper than a first delimiter.
            let mut s = Vec::new();
            while s.len() < len {
                if rng.below(3) == 0 {
                    s.push(b'a' + rng.below(26) as u8);
                } else {
                    s.extend_from_slice(SYNTAX[rng.below(SYNTAX.len())]);
                }
            }
            s
        };
        decode_all(&src);
    }
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn mutated_page_content_never_panics_or_hangs() {
    let contents = fixture_contents();
    let mut rng = Lcg(2026);
    let start = Instant::now();
    for round in 0..1_500 {
        let mut src = contents[round % contents.len()].clone();
        for _ in 0..1 + rng.below(8) {
            if src.is_empty() {
                break;
            }
            let at = rng.below(src.len());
            match rng.below(5) {
                0 => src[at] = rng.next() as u8,
                1 => {
                    let token = SYNTAX[rng.below(SYNTAX.len())];
                    src.splice(at..at, token.iter().copied());
                }
                2 => {
                    let end = (at + rng.below(64)).min(src.len());
                    src.drain(at..end);
                }
                3 => src.truncate(at),
                _ => {
                    // Repeat a slice, as a corrupted stream might.
                    let end = (at + rng.below(256)).min(src.len());
                    let copy = src[at..end].to_vec();
                    src.splice(at..at, copy);
                }
            }
        }
        decode_all(&src);
    }
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn unmutated_page_content_decodes_without_error() {
    for content in fixture_contents() {
        let mut ops = Operations::new(&content);
        let mut count = 0;
        while let Some(op) = ops.next() {
            assert!(op.is_ok(), "syntax error after {count} operations");
            count += 1;
        }
        assert!(count > 0);
    }
}
