//! The PDF layer against fixtures: the deadline, and our content tokenizer against lopdf's
//! decoder, which it replaced.

use super::content::{LopdfOperation, Operation, Operations, SyntaxError, describe};
use super::extraction::{ContentDecoder, Extraction, Tokenizer, extract_all, extract_with};
use super::*;
use lopdf::Object;

/// lopdf's content decoder, in the shape the interpreter takes.
#[derive(Clone, Copy)]
struct LopdfDecoder;

impl ContentDecoder for LopdfDecoder {
    fn decode(
        self,
        content: &[u8],
        mut apply: impl FnMut(Result<&Operation, SyntaxError>) -> bool,
    ) {
        for op in lopdf::content::Content::decode_iter(content) {
            let keep_going = match op {
                Ok(op) => apply(Ok(&LopdfOperation::new(&op).operation())),
                Err(_) => apply(Err(SyntaxError)),
            };
            if !keep_going {
                break;
            }
        }
    }
}

#[test]
fn reading_pages_stops_at_the_deadline() {
    let pdf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hello.pdf"
    ))
    .unwrap();
    let doc = load(&pdf, "").unwrap();
    let past = std::time::Instant::now() - std::time::Duration::from_millis(1);
    let late = Extraction::new(&doc, Tokenizer, past);
    match extract_with(late) {
        Err(ParseError::InvalidPdf(why)) => assert!(why.contains("longer than"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(extract_with(Extraction::new(&doc, Tokenizer, in_time())).is_ok());
}

fn in_time() -> std::time::Instant {
    std::time::Instant::now() + PARSE_DEADLINE
}

/// Every fixture with its password.
fn fixtures() -> Vec<(String, Vec<u8>, &'static str)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let password = if name.starts_with("cdsl_") || name.starts_with("nsdl_") {
                "ABCDE1234F"
            } else {
                "Demo@1234"
            };
            (name, std::fs::read(&p).unwrap(), password)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "fixtures missing");
    out
}

/// Our content decoder gives the interpreter what lopdf's gave it: the same runs on
/// every page of every fixture.
#[test]
fn fixtures_extract_the_same_runs_as_with_lopdf_decoder() {
    for (name, bytes, password) in fixtures() {
        let doc = load(&bytes, password).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours = extract_all(&doc).unwrap();
        let theirs = extract_with(Extraction::new(&doc, LopdfDecoder, in_time())).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{name}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.number, b.number);
            assert!(
                !b.runs.is_empty() || name == "hello.pdf",
                "{name} p{}",
                b.number
            );
            assert_eq!(a.runs, b.runs, "{name} page {}", a.number);
        }
    }
}

/// Stronger than the runs: every operation of every page's content (and of the forms
/// it draws) decodes to the same operator and operands.
#[test]
fn fixtures_decode_to_the_same_operations_as_with_lopdf() {
    let mut compared = 0;
    for (name, bytes, password) in fixtures() {
        let doc = load(&bytes, password).unwrap();
        let mut streams: Vec<Vec<u8>> = Vec::new();
        for id in doc.get_pages().values() {
            streams.push(doc.get_page_content(*id));
        }
        for object in doc.objects.values() {
            if let Ok(stream) = object.as_stream()
                && stream.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form")
            {
                streams.push(stream.decompressed_content().unwrap());
            }
        }
        for content in streams {
            let theirs: Vec<String> = lopdf::content::Content::decode_iter(&content)
                .map(|op| describe(&LopdfOperation::new(&op.unwrap()).operation()))
                .collect();
            let mut ours = Vec::new();
            let mut ops = Operations::new(&content);
            while let Some(op) = ops.next() {
                ours.push(describe(&op.unwrap_or_else(|_| panic!("{name}"))));
            }
            assert_eq!(ours, theirs, "{name}");
            compared += ours.len();
        }
    }
    assert!(compared > 10_000, "{compared}");
}
