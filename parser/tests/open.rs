//! End-to-end tests on generated statements in `tests/fixtures/` (see its README).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cas_parser::pdf::{MAX_PDF_BYTES, extract_pages};
use cas_parser::{CasVariant, Issuer, ParseError, open};
use serde_json::Value;

mod common;
use common::Lcg;

const RTA_PASSWORD: &str = "Demo@1234";
const PAN_PASSWORD: &str = "ABCDE1234F";

struct Fixture {
    name: &'static str,
    password: &'static str,
    kind: Issuer,
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "cams_aes256",
        password: RTA_PASSWORD,
        kind: Issuer::Cams,
    },
    Fixture {
        name: "cams_rc4128",
        password: RTA_PASSWORD,
        kind: Issuer::Cams,
    },
    Fixture {
        name: "kfintech_aes128",
        password: RTA_PASSWORD,
        kind: Issuer::Kfintech,
    },
    Fixture {
        name: "kfintech_rc440",
        password: RTA_PASSWORD,
        kind: Issuer::Kfintech,
    },
    Fixture {
        name: "cdsl_rc4128",
        password: PAN_PASSWORD,
        kind: Issuer::Cdsl,
    },
    Fixture {
        name: "nsdl_aes256",
        password: PAN_PASSWORD,
        kind: Issuer::Nsdl,
    },
];

fn fixture_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file)
}

fn pdf(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(&format!("{name}.pdf"))).unwrap()
}

fn truth(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture_path(&format!("{name}.json"))).unwrap()).unwrap()
}

#[test]
fn every_fixture_opens_with_its_password_and_is_detected() {
    for f in FIXTURES {
        let st = open(&pdf(f.name), f.password).unwrap_or_else(|e| panic!("{}: {e:?}", f.name));
        assert_eq!(st.issuer, f.kind, "{}", f.name);
        let t = truth(f.name);
        let pages = if matches!(f.kind, Issuer::Cams | Issuer::Kfintech) {
            3
        } else {
            2
        };
        assert!(
            st.pages.len() >= pages,
            "{}: {} pages",
            f.name,
            st.pages.len()
        );
        assert!(
            st.pages.iter().all(|p| !p.runs.is_empty()),
            "{}: a page without text",
            f.name
        );
        let text = st.raw_text();
        let name = t["investor"]["name"].as_str().unwrap();
        assert!(
            text.contains(name),
            "{}: investor {name:?} not in text",
            f.name
        );
        match f.kind {
            Issuer::Cams | Issuer::Kfintech => {
                assert_eq!(t["cas_type"], "DETAILED");
                assert_eq!(st.variant, CasVariant::Detailed, "{}", f.name);
            }
            Issuer::Cdsl | Issuer::Nsdl => {
                assert_eq!(st.variant, CasVariant::Unknown, "{}", f.name)
            }
        }
    }
}

#[test]
fn rta_statement_text_carries_the_truth() {
    for name in [
        "cams_aes256",
        "cams_rc4128",
        "kfintech_aes128",
        "kfintech_rc440",
    ] {
        let st = open(&pdf(name), RTA_PASSWORD).unwrap();
        let t = truth(name);
        let lines: Vec<String> = st
            .pages
            .iter()
            .flat_map(|p| p.lines())
            .map(|l| l.text())
            .collect();
        let period = format!(
            "{} To {}",
            t["statement_period"]["from"].as_str().unwrap(),
            t["statement_period"]["to"].as_str().unwrap()
        );
        assert!(lines.contains(&period), "{name}: no line {period:?}");
        for folio in t["folios"].as_array().unwrap() {
            let no = folio["folio"].as_str().unwrap();
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(&format!("Folio No: {no}"))),
                "{name}: folio {no} has no line"
            );
            for scheme in folio["schemes"].as_array().unwrap() {
                let isin = scheme["isin"].as_str().unwrap();
                assert!(
                    lines.iter().any(|l| l.contains(&format!("ISIN: {isin}"))),
                    "{name}: {isin} missing"
                );
            }
        }
        // The first transaction's row: date and description share a line.
        let tx = &t["folios"][0]["schemes"][0]["transactions"][0];
        let desc = tx["description"].as_str().unwrap();
        assert!(
            lines.iter().any(|l| l.contains(desc)),
            "{name}: {desc:?} missing"
        );
        // The watermark is rotated: in the raw text, never in a line.
        let marker = if name.starts_with("cams") {
            "CAMSCASWS-"
        } else {
            "KFINCASWS-"
        };
        assert!(
            st.pages.iter().all(|p| p.raw_text().contains(marker)),
            "{name}: page without {marker}"
        );
        assert!(
            !lines.iter().any(|l| l.contains(marker)),
            "{name}: watermark grouped into a line"
        );
    }
}

#[test]
fn demat_statement_text_carries_the_truth() {
    for name in ["cdsl_rc4128", "nsdl_aes256"] {
        let st = open(&pdf(name), PAN_PASSWORD).unwrap();
        let t = truth(name);
        let text = st.raw_text();
        assert!(
            text.contains(t["investor"]["pan"].as_str().unwrap()),
            "{name}: PAN"
        );
        for account in t["demat_accounts"].as_array().unwrap() {
            for eq in account["holdings"]["equities"].as_array().unwrap() {
                let isin = eq["isin"].as_str().unwrap();
                assert!(text.contains(isin), "{name}: {isin} missing");
            }
        }
    }
}

#[test]
fn wrong_or_missing_password_is_invalid_password_for_every_encryption() {
    for f in FIXTURES {
        let bytes = pdf(f.name);
        for pw in ["wrong", "", "demo@1234", "ABCDE1234f"] {
            assert!(
                matches!(open(&bytes, pw), Err(ParseError::InvalidPassword)),
                "{} with {pw:?}: {:?}",
                f.name,
                open(&bytes, pw).map(|s| s.issuer)
            );
        }
    }
}

#[test]
fn garbage_is_invalid_pdf() {
    let mut rng = Lcg(7);
    let real = pdf("cams_aes256");
    let unencrypted = pdf("hello");
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        (
            "text",
            b"Consolidated Account Statement CAMSCASWS not a pdf".to_vec(),
        ),
        ("random", rng.bytes(40_000)),
        ("header only", b"%PDF-1.7\n".to_vec()),
        (
            "header + random",
            [b"%PDF-1.4\n".as_slice(), &rng.bytes(20_000)].concat(),
        ),
        ("truncated CAS", real[..real.len() / 2].to_vec()),
        (
            "truncated plain PDF",
            unencrypted[..unencrypted.len() / 2].to_vec(),
        ),
    ];
    for (what, bytes) in inputs {
        let result = open(&bytes, RTA_PASSWORD);
        assert!(
            matches!(result, Err(ParseError::InvalidPdf(_))),
            "{what}: {:?}",
            result.map(|s| s.issuer)
        );
    }
}

#[test]
fn encrypted_file_with_damaged_trailer_is_invalid_pdf() {
    // Blank out the trailer's `/Encrypt 15 0 R`: lopdf would then load the
    // ciphertext as plain objects.
    let mut bytes = pdf("cams_rc4128");
    let key = b"/Encrypt 15 0 R";
    let at = bytes.windows(key.len()).position(|w| w == key).unwrap();
    bytes[at..at + key.len()].fill(b' ');
    let result = open(&bytes, RTA_PASSWORD);
    assert!(
        matches!(result, Err(ParseError::InvalidPdf(_))),
        "{:?}",
        result.map(|s| s.issuer)
    );
}

/// Many PDF writers keep objects in (encrypted) object streams; qpdf re-saved two
/// fixtures that way (see `fixtures/make_qpdf.py`). They read as their sources, with
/// the user or the owner password, and refuse a wrong one.
#[test]
fn statements_in_object_streams_read_as_their_sources() {
    for (packed, source) in [
        ("cams_objstm_aes256", "cams_aes256"),
        ("kfintech_objstm_aes128", "kfintech_aes128"),
    ] {
        let bytes = pdf(packed);
        assert!(
            bytes.windows(7).any(|w| w == b"/ObjStm"),
            "{packed} keeps its objects in an object stream"
        );
        let expected = cas_parser::parse(&pdf(source), RTA_PASSWORD).unwrap();
        for password in [RTA_PASSWORD, "objstm-owner"] {
            let portfolio = cas_parser::parse(&bytes, password)
                .unwrap_or_else(|e| panic!("{packed} with {password}: {e}"));
            assert_eq!(portfolio, expected, "{packed} with {password}");
        }
        assert!(
            matches!(open(&bytes, "Demo@1235"), Err(ParseError::InvalidPassword)),
            "{packed}"
        );
    }
}

/// A file protected by an owner password alone opens without asking, whatever
/// password comes with it, as in any PDF reader.
#[test]
fn owner_password_alone_does_not_lock_the_text() {
    for name in ["hello_owner_only_aes256", "hello_owner_only_rc4128"] {
        for password in ["", RTA_PASSWORD, "objstm-owner"] {
            let pages = extract_pages(&pdf(name), password)
                .unwrap_or_else(|e| panic!("{name} with {password:?}: {e}"));
            let text: String = pages[0].lines().iter().map(|l| l.text()).collect();
            assert_eq!(text, "Hello", "{name} with {password:?}");
        }
    }
}

#[test]
fn readable_pdf_that_is_not_a_cas_is_unsupported() {
    let hello = pdf("hello");
    let pages = extract_pages(&hello, "").unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].raw_text(), "Hello\n");
    assert_eq!(pages[0].lines()[0].runs[0].x, 72.0);
    for pw in ["", RTA_PASSWORD] {
        assert!(matches!(
            open(&hello, pw),
            Err(ParseError::UnsupportedFormat)
        ));
    }
}

#[test]
fn over_ten_megabytes_is_too_large_before_parsing() {
    let mut big = pdf("cams_aes256");
    big.resize(MAX_PDF_BYTES + 1, b' ');
    assert!(matches!(
        open(&big, RTA_PASSWORD),
        Err(ParseError::TooLarge { size, limit }) if size == MAX_PDF_BYTES + 1 && limit == MAX_PDF_BYTES
    ));
    // Exactly at the limit is still parsed (lopdf skips the trailing padding).
    big.truncate(MAX_PDF_BYTES);
    assert!(!matches!(
        open(&big, RTA_PASSWORD),
        Err(ParseError::TooLarge { .. })
    ));
}

/// Time bound for the hand-made worst cases, which drive the content-stream
/// operator bounds (100k per page, 1M in all). lopdf's content parser runs
/// about 40x slower unoptimised (~10 µs per operator), so a debug build gets
/// more time; an optimised build meets 2 s with room to spare.
const WORST_CASE_LIMIT: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(20)
} else {
    Duration::from_secs(2)
};

/// Runs the whole parser (open, detect, read) on a worker thread, so that a hang fails the
/// test instead of stalling it; any answer, Ok or Err, is fine.
fn parse_within(bytes: Vec<u8>, password: &'static str, limit: Duration) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let outcome = cas_parser::parse(&bytes, password)
            .map(|_| ())
            .map_err(|e| e.to_string());
        let _ = tx.send(outcome);
    });
    match rx.recv_timeout(limit) {
        Ok(_) => Ok(()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("no answer within {limit:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(format!("panicked after {:?}", start.elapsed()))
        }
    }
}

/// One deterministic mutation of `bytes`; returns what was done, for the failure message.
fn mutate(rng: &mut Lcg, bytes: &mut Vec<u8>, i: usize) -> String {
    let pos = rng.below(bytes.len());
    let op = match i % 4 {
        0 => {
            let n = 1 + rng.below(8);
            for k in pos..(pos + n).min(bytes.len()) {
                bytes[k] ^= 1 << rng.below(8);
            }
            "flip"
        }
        1 => {
            bytes.truncate(pos);
            "truncate"
        }
        2 => {
            let n = 1 + rng.below(64);
            let junk = rng.bytes(n);
            bytes.splice(pos..pos, junk);
            "insert"
        }
        _ => {
            // PDF syntax that steers the parser: huge numbers, deep nesting,
            // bogus references and lengths.
            let tokens: [&[u8]; 6] = [
                b" 99999999999 0 R ",
                b"<<<<<<<<<<<<<<<<",
                b"[[[[[[[[[[[[[[[[",
                b"/Length 999999999",
                b" stream\r\nendstream ",
                b"/Count 2147483647",
            ];
            let t = tokens[rng.below(tokens.len())];
            let end = (pos + t.len()).min(bytes.len());
            bytes.splice(pos..end, t.iter().copied());
            "syntax"
        }
    };
    format!("{op} at {pos}")
}

fn fuzz(sources: &[(&str, &'static str)], iterations: usize, seed: u64) {
    let originals: Vec<Vec<u8>> = sources.iter().map(|(n, _)| pdf(n)).collect();
    fuzz_bytes(sources, &originals, iterations, seed);
}

fn fuzz_bytes(
    sources: &[(&str, &'static str)],
    originals: &[Vec<u8>],
    iterations: usize,
    seed: u64,
) {
    let mut rng = Lcg(seed);
    for i in 0..iterations {
        let which = i % sources.len();
        let mut bytes = originals[which].clone();
        let what = mutate(&mut rng, &mut bytes, i);
        if let Err(e) = parse_within(bytes, sources[which].1, Duration::from_secs(2)) {
            panic!("iteration {i} ({what} of {}): {e}", sources[which].0);
        }
    }
}

/// The statement decrypted and decompressed, saved as a plain PDF: mutations of it land in
/// the page content streams (the bulk of the file) and reach text extraction and the
/// statement readers, where mutations of ciphertext mostly stop at decryption.
fn plain_copy(name: &str, password: &str) -> Vec<u8> {
    let options = lopdf::LoadOptions {
        password: Some(password.to_owned()),
        ..lopdf::LoadOptions::default()
    };
    let mut doc = lopdf::Document::load_mem_with_options(&pdf(name), options).unwrap();
    doc.decompress();
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn mutated_statements_never_panic_or_hang() {
    // RC4 and AES-128 sources: their key derivation is cheap, so 200 inputs
    // take about a second even in a debug build.
    let sources = [
        ("cams_rc4128", RTA_PASSWORD),
        ("kfintech_aes128", RTA_PASSWORD),
        ("cdsl_rc4128", PAN_PASSWORD),
        ("kfintech_rc440", RTA_PASSWORD),
    ];
    fuzz(&sources, 200, 20_251_126);
}

#[test]
fn mutated_aes256_statements_never_panic_or_hang() {
    // AES-256 (revision 6) key derivation is slow by design, and a mutated file
    // often takes the wrong-password path (up to eight hashes); so fewer inputs
    // here, still each within the 2 s bound. The qpdf-made file puts the
    // objects in an object stream, unpacked only after decryption.
    fuzz(
        &[
            ("cams_aes256", RTA_PASSWORD),
            ("nsdl_aes256", PAN_PASSWORD),
            ("cams_objstm_aes256", RTA_PASSWORD),
        ],
        12,
        256,
    );
}

#[test]
fn mutated_plain_statements_never_panic_or_hang() {
    let names = [
        "cams_rc4128",
        "kfintech_rc440",
        "cdsl_rc4128",
        "nsdl_aes256",
    ];
    let passwords = [RTA_PASSWORD, RTA_PASSWORD, PAN_PASSWORD, PAN_PASSWORD];
    let plain: Vec<Vec<u8>> = names
        .iter()
        .zip(passwords)
        .map(|(n, pw)| plain_copy(n, pw))
        .collect();
    // The unmutated copies read exactly like the encrypted originals, so the mutants start
    // from a statement the readers fully understand.
    for (i, name) in names.iter().enumerate() {
        let original = cas_parser::parse(&pdf(name), passwords[i]).map_err(|e| e.to_string());
        let copy = cas_parser::parse(&plain[i], "").map_err(|e| e.to_string());
        assert_eq!(copy, original, "{name}");
    }
    let sources: Vec<(&str, &'static str)> = names.iter().map(|n| (*n, "")).collect();
    fuzz_bytes(&sources, &plain, 400, 20_261_126);
}

/// A one-page PDF with `content` as its (uncompressed) page content and
/// `extra` as the body of one more object, with a correct xref table.
fn minimal_pdf(content: &[u8], extra: &[u8]) -> Vec<u8> {
    minimal_pdf_with_font(content, b"", extra)
}

/// [`minimal_pdf`] with `font_keys` added to its Helvetica font dictionary.
fn minimal_pdf_with_font(content: &[u8], font_keys: &[u8], extra: &[u8]) -> Vec<u8> {
    let font = [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica ".as_slice(),
        font_keys,
        b" >>",
    ]
    .concat();
    pdf_with_font(content, &font, extra)
}

/// A stream object's body: `dict_keys` go into its dictionary beside `/Length`.
fn stream_object(dict_keys: &[u8], content: &[u8]) -> Vec<u8> {
    [
        format!("<< /Length {} ", content.len()).as_bytes(),
        dict_keys,
        b" >>\nstream\n",
        content,
        b"\nendstream",
    ]
    .concat()
}

/// Objects `1 0 obj` … in order (object 1 must be the catalog), with a correct xref table.
fn pdf_of_objects(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for body in bodies {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn text_inside_form_xobjects_is_extracted_where_it_is_drawn() {
    // The page draws form Fm1 under a translation; Fm1 (its own /Matrix and resources) shows
    // the CAMS marker and draws Fm2, which draws itself forever; Fm1's surplus `Q`s must not
    // pop the page's state, and an image XObject is skipped.
    let page_content = b"q 1 0 0 1 100 200 cm /Fm1 Do /Img Do Q \
                         BT /F1 10 Tf 50 700 Td (after the form) Tj ET";
    let fm1 = b"BT /F1 8 Tf 5 5 Td (CAMSCASWS inside a form) Tj ET /Fm2 Do Q Q Q";
    let fm2 = b"BT /F1 8 Tf 0 0 Td (again) Tj ET /Fm2 Do";
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec();
    let resources = b"/Resources << /Font << /F1 5 0 R >> /XObject << /Fm2 7 0 R >> >>";
    let bytes = pdf_of_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R /Img 8 0 R >> >> >>"
            .to_vec(),
        stream_object(b"", page_content),
        font,
        stream_object(
            &[
                b"/Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [1 0 0 1 10 20] "
                    .as_slice(),
                resources,
            ]
            .concat(),
            fm1,
        ),
        stream_object(
            &[b"/Type /XObject /Subtype /Form /BBox [0 0 9 9] ".as_slice(), resources].concat(),
            fm2,
        ),
        stream_object(
            b"/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8",
            b"\x00",
        ),
    ]);
    let st = open(&bytes, "").expect("the form's marker is found");
    assert_eq!(st.issuer, Issuer::Cams);
    let runs = &st.pages[0].runs;
    let marker = runs
        .iter()
        .find(|r| r.text == "CAMSCASWS inside a form")
        .unwrap();
    // page cm (100, 200) + form matrix (10, 20) + Td (5, 5)
    assert_eq!((marker.x, marker.y, marker.font_size), (115.0, 225.0, 8.0));
    let after = runs.iter().find(|r| r.text == "after the form").unwrap();
    assert_eq!((after.x, after.y), (50.0, 700.0));
    // Fm2's self-reference stops at the nesting bound: a few copies, not a hang.
    let again = runs.iter().filter(|r| r.text == "again").count();
    assert!((1..=8).contains(&again), "{again}");
}

/// An unencrypted file may say `/Encrypt` outside its trailer (here in its text and in a
/// dictionary): it still reads as it is, the words untouched.
#[test]
fn encrypt_named_outside_the_trailer_is_not_encryption() {
    let content = b"BT /F1 10 Tf 50 700 Td (see /Encrypt here) Tj ET";
    let bytes = minimal_pdf(content, b"<< /Encrypt 9 >>");
    let pages = extract_pages(&bytes, "any").unwrap();
    assert_eq!(pages[0].runs[0].text, "see /Encrypt here");
}

#[test]
fn hand_made_pdf_positions_and_detection() {
    // Td/T*/TJ positioning, a rotated watermark and the NSDL marker.
    let content = b"BT /F1 10 Tf 12 TL 50 700 Td (NSDL Consolidated Account Statement) Tj T* \
                    [(Demo) -300 (Investor)] TJ ET \
                    q 0 1 -1 0 20 100 cm BT /F1 6 Tf 0 0 Td (SIDEWAYS) Tj ET Q";
    let bytes = minimal_pdf(content, b"<< >>");
    let st = open(&bytes, "").unwrap();
    assert_eq!(st.issuer, Issuer::Nsdl);
    let runs = &st.pages[0].runs;
    assert_eq!(runs.len(), 3);
    assert_eq!(
        (runs[0].x, runs[0].y, runs[0].font_size),
        (50.0, 700.0, 10.0)
    );
    assert_eq!((runs[1].x, runs[1].y), (50.0, 688.0));
    assert_eq!(runs[1].text, "Demo Investor");
    assert!(!runs[2].horizontal);
    assert_eq!(
        (runs[2].x, runs[2].y, runs[2].font_size),
        (20.0, 100.0, 6.0)
    );
    let lines: Vec<String> = st.pages[0].lines().iter().map(|l| l.text()).collect();
    assert_eq!(
        lines,
        ["NSDL Consolidated Account Statement", "Demo Investor"]
    );
}

#[test]
fn deeply_nested_input_is_an_error_not_a_stack_overflow() {
    let deep = |open: &[u8], n: usize| open.repeat(n);
    let cases = [
        minimal_pdf(&deep(b"[", 200_000), b"<< >>"),
        minimal_pdf(&deep(b"<<", 200_000), b"<< >>"),
        minimal_pdf(&deep(b"q ", 200_000), b"<< >>"),
        minimal_pdf(&deep(b"BT (x) Tj ET ", 200_000), b"<< >>"),
        minimal_pdf(b"BT ET", &deep(b"[", 200_000)),
        minimal_pdf(b"BT ET", &deep(b"<< /A ", 100_000)),
        minimal_pdf(b"BT ET", &deep(b"(", 200_000)),
    ];
    for (i, bytes) in cases.into_iter().enumerate() {
        if let Err(e) = parse_within(bytes, "", WORST_CASE_LIMIT) {
            panic!("case {i}: {e}");
        }
    }
}

#[test]
fn to_unicode_map_wins_over_the_font_encoding() {
    // Code 0x7E ("~" in WinAnsi) maps to the rupee sign; the rest is identity.
    let cmap = b"/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<00> <FF>
endcodespacerange
1 beginbfrange
<20> <7D> <0020>
endbfrange
1 beginbfchar
<7E> <20B9>
endbfchar
endcmap
CMapName currentdict /CMap defineresource pop
end
end
";
    let stream = [
        format!("<< /Length {} >>\nstream\n", cmap.len()).as_bytes(),
        cmap.as_slice(),
        b"\nendstream",
    ]
    .concat();
    let content = b"BT /F1 10 Tf 50 700 Td (NSDL Consolidated Account Statement) Tj 0 -20 Td (~ 1,175.08) Tj ET";
    let bytes = minimal_pdf_with_font(
        content,
        b"/Encoding /WinAnsiEncoding /ToUnicode 5 0 R",
        &stream,
    );
    let st = open(&bytes, "").unwrap();
    let texts: Vec<&str> = st.pages[0].runs.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        texts,
        ["NSDL Consolidated Account Statement", "\u{20B9} 1,175.08"]
    );
    // Without the map, the WinAnsi encoding decodes it.
    let plain = minimal_pdf_with_font(content, b"/Encoding /WinAnsiEncoding", b"<< >>");
    assert_eq!(
        open(&plain, "").unwrap().pages[0].runs[1].text,
        "~ 1,175.08"
    );
}

/// A page whose `/F1` is `font` (a whole dictionary), with `extra` as object 5.
fn pdf_with_font(content: &[u8], font: &[u8], extra: &[u8]) -> Vec<u8> {
    let page = [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
          /Resources << /Font << /F1 "
            .as_slice(),
        font,
        b" >> >> >>",
    ]
    .concat();
    pdf_of_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        page,
        stream_object(b"", content),
        extra.to_vec(),
    ])
}

/// The texts of page 1's runs, read on a worker thread: a hang fails the test, not stalls it.
fn run_texts_within(bytes: Vec<u8>, limit: Duration) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let pages = extract_pages(&bytes, "").map_err(|e| e.to_string());
        let _ = tx.send(pages.map(|p| p[0].runs.iter().map(|r| r.text.clone()).collect()));
    });
    match rx.recv_timeout(limit) {
        Ok(texts) => texts.unwrap(),
        Err(e) => panic!("no text within {limit:?}: {e}"),
    }
}

/// A `/Differences` name outside lopdf's glyph list (`/uni20B9`, `/g31`) used to cost the
/// font its whole encoding (StandardEncoding instead); now only that code shows nothing.
#[test]
fn differences_decode_past_names_the_glyph_list_lacks() {
    let content = b"BT /F1 10 Tf 50 700 Td (A 1,175.08) Tj 0 -20 Td (BCD \\200) Tj \
                    0 -20 Td (\\001\\002\\003) Tj ET";
    let bytes = minimal_pdf_with_font(
        content,
        b"/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding \
          /Differences [ 65 /uni20B9 /g31 /A 1 /u1F600 /f_f_i /rupee.alt ] >>",
        b"<< >>",
    );
    assert_eq!(
        run_texts_within(bytes, WORST_CASE_LIMIT),
        ["\u{20B9} 1,175.08", "AD \u{20AC}", "\u{1F600}ffi"]
    );
    // The same without /BaseEncoding: StandardEncoding underneath, where 0x80 and 1–3 are
    // unused (the third run shows nothing, so there is no run).
    let bytes = minimal_pdf_with_font(
        content,
        b"/Encoding << /Differences [ 65 /uni20B9 /g31 /A ] >>",
        b"<< >>",
    );
    assert_eq!(
        run_texts_within(bytes, WORST_CASE_LIMIT),
        ["\u{20B9} 1,175.08", "AD "]
    );
}

/// A Type0 font with two-byte codes whose `/ToUnicode` uses both bfrange forms, with a
/// comment, `usecmap` and a reversed range. lopdf's CMap parser rejected this map (`usecmap`
/// or the reversed range alone made it do so), and the page showed no text at all.
#[test]
fn type0_to_unicode_with_array_bfrange_and_two_byte_codespace() {
    let cmap = b"%!PS-Adobe-3.0 Resource-CMap
/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /Custom-UCS def
/Adobe-Identity-UCS usecmap % the base map is not needed
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
3 beginbfrange
<0003> <0006> [<20B9> <0031> <D83D DE00> <00660069>]
<0010> <0019> <0030>
<0040> <0020> <0041>
endbfrange
1 beginbfchar
<0001> <0020>
endbfchar
endcmap
";
    let font = b"<< /Type /Font /Subtype /Type0 /BaseFont /Demo /Encoding /Identity-H \
                 /DescendantFonts [] /ToUnicode 5 0 R >>";
    let content = b"BT /F1 10 Tf 50 700 Td <00030001001100120013> Tj \
                    0 -20 Td <000400050006> Tj 0 -20 Td <00030099> Tj ET";
    let bytes = pdf_with_font(content, font, &stream_object(b"", cmap));
    assert_eq!(
        run_texts_within(bytes, WORST_CASE_LIMIT),
        ["\u{20B9} 123", "1\u{1F600}fi", "\u{20B9}\u{FFFD}"]
    );
}

/// A bfrange over every four-byte code is one entry: lopdf expanded it into a reverse map,
/// code by code (a 2^24-code range took 12 s in a debug build; this one ran out of time).
#[test]
fn to_unicode_range_over_every_code_is_not_expanded() {
    let cmap = b"/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /X def
/CMapType 2 def
1 begincodespacerange
<00000000> <FFFFFFFF>
endcodespacerange
1 beginbfrange
<00000000> <FFFFFFFF> <0041>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
";
    let font = b"<< /Type /Font /Subtype /Type0 /BaseFont /Demo /Encoding /Identity-H \
                 /DescendantFonts [] /ToUnicode 5 0 R >>";
    let content = b"BT /F1 10 Tf 50 700 Td <0000000000000019FFFFFFBE> Tj ET";
    let bytes = pdf_with_font(content, font, &stream_object(b"", cmap));
    assert_eq!(run_texts_within(bytes, WORST_CASE_LIMIT), ["AZ\u{FFFF}"]);
}

#[test]
fn many_pages_sharing_one_heavy_content_stream_stay_bounded() {
    // 2,000 page references to one page whose content is ~1 MB of text
    // operators: the page and operator bounds must cut this short.
    let mut bytes = minimal_pdf(
        &b"BT 1 0 0 1 9 9 Tm (CAMSCASWS) Tj ET ".repeat(30_000),
        b"<< >>",
    );
    let kids = b"/Kids [3 0 R] /Count 1";
    let at = bytes.windows(kids.len()).position(|w| w == kids).unwrap();
    let many = format!("/Kids [{}] /Count 2000", "3 0 R ".repeat(2000));
    bytes.splice(at..at + kids.len(), many.bytes());
    // The xref offsets after the splice are stale; lopdf repairs them.
    parse_within(bytes, "", WORST_CASE_LIMIT).unwrap();
}
