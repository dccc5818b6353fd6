use super::syntax::parse_number;
use super::*;
use crate::pdf::limits::MAX_NESTING;

/// A readable form of an operand, for assertions.
#[derive(Debug, PartialEq)]
enum V {
    N(f32),
    Name(Vec<u8>),
    S(Vec<u8>),
    A(Vec<V>),
    B(bool),
    Null,
    Other,
}

fn readable(op: &Operation, operand: &Operand) -> V {
    match *operand {
        Operand::Number(v) => V::N(v),
        Operand::Name(s) => V::Name(op.bytes(s).to_vec()),
        Operand::String(s) => V::S(op.bytes(s).to_vec()),
        Operand::Array(s) => V::A(op.elements(s).iter().map(|e| readable(op, e)).collect()),
        Operand::Bool(b) => V::B(b),
        Operand::Null => V::Null,
        Operand::Other => V::Other,
    }
}

/// Every operation until the end or the first error (`Err` marks where it stopped).
fn decode(src: &[u8]) -> Vec<Result<(String, Vec<V>), SyntaxError>> {
    let mut ops = Operations::new(src);
    let mut out = Vec::new();
    while let Some(op) = ops.next() {
        out.push(op.map(|op| {
            (
                String::from_utf8_lossy(op.operator).into_owned(),
                op.operands.iter().map(|o| readable(&op, o)).collect(),
            )
        }));
    }
    out
}

fn single(src: &[u8]) -> Vec<V> {
    let ops = decode(src);
    assert_eq!(ops.len(), 1, "{ops:?}");
    ops.into_iter().next().unwrap().unwrap().1
}

fn s(bytes: &[u8]) -> V {
    V::S(bytes.to_vec())
}

#[test]
fn numbers() {
    assert_eq!(
        single(b"1 -2 +3 .5 -.5 +.25 4. 0.00-4142502 007 Op"),
        vec![
            V::N(1.0),
            V::N(-2.0),
            V::N(3.0),
            V::N(0.5),
            V::N(-0.5),
            V::N(0.25),
            V::N(4.0),
            V::N(0.004_142_502),
            V::N(7.0),
        ]
    );
}

/// The one-division shortcut gives exactly what the standard parser gives.
#[test]
fn short_reals_parse_exactly() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for _ in 0..200_000 {
        let int_len = next(6) as usize;
        let frac_len = next(8) as usize + usize::from(int_len == 0);
        let mut text = String::from(["", "-", "+"][next(3) as usize]);
        (0..int_len).for_each(|_| text.push(char::from(b'0' + next(10) as u8)));
        text.push('.');
        (0..frac_len).for_each(|_| text.push(char::from(b'0' + next(10) as u8)));
        let expected: f32 = text.parse().unwrap();
        assert_eq!(
            parse_number(text.as_bytes()).map(f32::to_bits),
            Some(expected.to_bits()),
            "{text}"
        );
    }
    assert_eq!(parse_number(b"16777.217"), Some(16777.217));
    assert_eq!(parse_number(b"0.1234567891"), Some(0.123_456_79));
}

#[test]
fn malformed_numbers_end_the_stream() {
    for bad in [
        &b"- Tj"[..],
        b". Tj",
        b"1.2.3 Tj",
        b"1e5 Tj",
        b"99999999999999999999 Tj",
    ] {
        assert_eq!(decode(bad), vec![Err(SyntaxError)], "{bad:?}");
    }
}

#[test]
fn names_with_escapes() {
    assert_eq!(
        single(b"/F1 /A#20B /Lime#47reen /x#zz /#41#4 /Tf Tf"),
        vec![
            V::Name(b"F1".to_vec()),
            V::Name(b"A B".to_vec()),
            V::Name(b"LimeGreen".to_vec()),
            V::Name(b"x#zz".to_vec()),
            V::Name(b"A#4".to_vec()),
            V::Name(b"Tf".to_vec()),
        ]
    );
    // A name ends at a delimiter; `/` alone is the empty name.
    assert_eq!(
        single(b"/a(b)/ Tj"),
        vec![V::Name(b"a".to_vec()), s(b"b"), V::Name(vec![])]
    );
}

#[test]
fn literal_strings() {
    assert_eq!(
        single(b"(a (nested (deep)) b) Tj"),
        vec![s(b"a (nested (deep)) b")]
    );
    assert_eq!(
        single(b"(\\n\\r\\t\\b\\f\\(\\)\\\\\\q) Tj"),
        vec![s(b"\n\r\t\x08\x0C()\\q")]
    );
    // Octal: one to three digits, overflow ignored.
    assert_eq!(single(b"(\\101\\0612\\7\\400) Tj"), vec![s(b"A12\x07\x00")]);
    // A backslash before an end of line continues the string.
    assert_eq!(single(b"(ab\\\ncd\\\r\nef\\\rgh) Tj"), vec![s(b"abcdefgh")]);
    // An unescaped end of line reads as LF.
    assert_eq!(single(b"(a\r\nb\rc\nd) Tj"), vec![s(b"a\nb\nc\nd")]);
    assert_eq!(single(b"()Tj"), vec![s(b"")]);
}

#[test]
fn hex_strings() {
    assert_eq!(single(b"<48 65 6c\n6C6f> Tj"), vec![s(b"Hello")]);
    assert_eq!(single(b"<901FA> Tj"), vec![s(&[0x90, 0x1F, 0xA0])]);
    assert_eq!(single(b"<>Tj"), vec![s(b"")]);
    assert_eq!(decode(b"<4G> Tj"), vec![Err(SyntaxError)]);
}

#[test]
fn arrays_keep_one_level() {
    assert_eq!(
        single(b"[(A)-120(B)[1 2](C)<<>>/N 3.5] TJ"),
        vec![V::A(vec![
            s(b"A"),
            V::N(-120.0),
            s(b"B"),
            V::Other,
            s(b"C"),
            V::Other,
            V::Name(b"N".to_vec()),
            V::N(3.5),
        ])]
    );
    // Two arrays in one operation keep their own elements.
    assert_eq!(
        single(b"[1][2 3]d"),
        vec![V::A(vec![V::N(1.0)]), V::A(vec![V::N(2.0), V::N(3.0)])]
    );
}

#[test]
fn dictionaries_are_skipped() {
    let ops = decode(b"/Span <</ActualText (\\)>>) /K [1 <</X <<>>>>] /Y <abc>>> BDC (x) Tj EMC");
    assert_eq!(
        ops,
        vec![
            Ok(("BDC".into(), vec![V::Name(b"Span".to_vec()), V::Other])),
            Ok(("Tj".into(), vec![s(b"x")])),
            Ok(("EMC".into(), vec![])),
        ]
    );
}

#[test]
fn keywords_comments_and_operators() {
    let ops = decode(b"%head\r\ntrue false null d0 % note (not a string\n1 2 Td T* ' \" BT");
    assert_eq!(
        ops,
        vec![
            Ok(("d0".into(), vec![V::B(true), V::B(false), V::Null])),
            Ok(("Td".into(), vec![V::N(1.0), V::N(2.0)])),
            Ok(("T*".into(), vec![])),
            Ok(("'".into(), vec![])),
            Ok(("\"".into(), vec![])),
            Ok(("BT".into(), vec![])),
        ]
    );
    // Operands with no operator at the end are dropped.
    assert_eq!(decode(b"BT 1 2"), vec![Ok(("BT".into(), vec![]))]);
    assert_eq!(decode(b"  % only a comment"), vec![]);
}

#[test]
fn inline_image_with_known_size() {
    // 2×2 RGB, 8 bits: 12 bytes, including ones that look like `EI` and `)`.
    let mut src = b"q BI /W 2 /H 2 /CS /RGB /BPC 8 ID ".to_vec();
    src.extend_from_slice(b" EI )EI(\xff\x00\n%");
    src.extend_from_slice(b"\nEI Q (t) Tj");
    let ops = decode(&src);
    let names: Vec<_> = ops.iter().map(|o| o.as_ref().unwrap().0.as_str()).collect();
    assert_eq!(names, ["q", "BI", "Q", "Tj"]);
}

#[test]
fn inline_image_found_by_its_end_marker() {
    // Filtered, so its length is unknown; the data ends at white space + EI + white space.
    let src = b"BI /W 4 /H 4 /BPC 8 /CS /G /F /AHx /DP <</K 1>> ID\r\n00EI11 223 EI\n(t) Tj";
    let ops = decode(src);
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[1], Ok(("Tj".into(), vec![s(b"t")])));
    // An indexed colour space given as an array.
    let src = b"BI /W 3 /H 1 /BPC 8 /CS [/I /RGB 1 <000000FFFFFF>] ID \x00EI\x01 EI (u) Tj";
    assert_eq!(decode(src)[1], Ok(("Tj".into(), vec![s(b"u")])));
}

#[test]
fn malformed_input_stops_with_an_error() {
    for bad in [
        &b"(unterminated Tj"[..],
        b"<48 Tj",
        b"[1 2 Tj",
        b"<</A 1 Tj",
        b"<</A 1 > Tj",
        b") Tj",
        b"] Tj",
        b"{ Tj",
        b"(a\\",
        b"BI /W 1 /H 1 ID xx",
        b"BI /W 1 Q",
        b"[foo] TJ",
    ] {
        let ops = decode(bad);
        assert_eq!(
            ops.last(),
            Some(&Err(SyntaxError)),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn nesting_is_capped() {
    let deep = |n: usize| [b"[".repeat(n), b"]".repeat(n), b" TJ".to_vec()].concat();
    assert!(decode(&deep(MAX_NESTING))[0].is_ok());
    assert_eq!(decode(&deep(MAX_NESTING + 1)), vec![Err(SyntaxError)]);
    assert_eq!(decode(&deep(1_000_000)), vec![Err(SyntaxError)]);
    let dicts = [b"<<".repeat(100_000), b" BDC".to_vec()].concat();
    assert_eq!(decode(&dicts), vec![Err(SyntaxError)]);
    // Parentheses are counted, not recursed into.
    let parens = [b"(".repeat(100_000), b")".repeat(100_000), b" Tj".to_vec()].concat();
    assert!(decode(&parens)[0].is_ok());
}

#[test]
fn buffers_are_reused_between_operations() {
    let mut ops = Operations::new(b"[(abc) 1] TJ /F2 12 Tf");
    assert!(ops.next().unwrap().is_ok());
    let op = ops.next().unwrap().unwrap();
    assert_eq!(op.name(0), Some(&b"F2"[..]));
    assert_eq!(op.number(1), Some(12.0));
    assert_eq!(op.operands.len(), 2);
    assert!(ops.next().is_none());
}
