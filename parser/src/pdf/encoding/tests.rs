//! Glyph names, base encodings, `/Differences` and `/ToUnicode` maps, each on its own.

use lopdf::{Document, Object, dictionary};

use super::base_encoding_data::{MAC_ROMAN, PDF_DOC, STANDARD, WIN_ANSI};
use super::glyph_names::glyph_text;
use super::{SimpleEncoding, ToUnicode, decode_utf16be};

fn glyph(name: &str) -> String {
    let mut out = String::new();
    glyph_text(name.as_bytes(), &mut out);
    out
}

#[test]
fn glyph_names_follow_the_agl_specification() {
    // Adobe Glyph List entries, first, last and in between.
    assert_eq!(glyph("A"), "A");
    assert_eq!(glyph("space"), " ");
    assert_eq!(glyph("Euro"), "\u{20AC}");
    assert_eq!(glyph("euro"), "\u{20AC}");
    assert_eq!(glyph("zukatakana"), "\u{30BA}");
    assert_eq!(glyph("wonmonospace"), "\u{FFE6}");
    assert_eq!(glyph("fi"), "\u{FB01}");
    // AGL names for several code points.
    assert_eq!(glyph("dalethatafpatah"), "\u{05D3}\u{05B2}");
    assert_eq!(
        glyph("rehyehaleflamarabic"),
        "\u{0631}\u{FEF3}\u{FE8E}\u{0644}"
    );
    // The AGL has no rupee sign; fonts name it by its code point.
    assert_eq!(glyph("rupee"), "");
    assert_eq!(glyph("rupeesignbengali"), "\u{09F3}");
    assert_eq!(glyph("uni20B9"), "\u{20B9}");
    assert_eq!(glyph("uni20B900410042"), "\u{20B9}AB");
    assert_eq!(glyph("u20B9"), "\u{20B9}");
    assert_eq!(glyph("u1F600"), "\u{1F600}");
    assert_eq!(glyph("u10FFFF"), "\u{10FFFF}");
    // Ligatures and suffixes.
    assert_eq!(glyph("a_b"), "ab");
    assert_eq!(glyph("f_f_i"), "ffi");
    assert_eq!(glyph("uni20B9_one"), "\u{20B9}1");
    assert_eq!(glyph("a.sc"), "a");
    assert_eq!(glyph("one.oldstyle.alt"), "1");
    assert_eq!(glyph("f_i.liga"), "fi");
    assert_eq!(glyph("a_g31_b"), "ab");
    // Not glyph names for anything.
    for name in [
        "", ".notdef", ".", "_", "g31", "glyph12", "uni", "uniD800", "uniDFFF", "uni20b9",
        "uni20B", "uni20B9A", "u20b9", "u123", "u1234567", "u110000", "uD800", "Uni20B9", "A ",
        "a\0",
    ] {
        assert_eq!(glyph(name), "", "{name:?}");
    }
}

fn table_text(table: &[u16; 256], code: u8) -> Option<char> {
    char::from_u32(u32::from(table[usize::from(code)])).filter(|&c| c != '\0')
}

#[test]
fn base_encodings_are_annex_d() {
    // WinAnsi: 0xA0 is space, 0xAD hyphen, unused codes from 0x7F on are bullets.
    assert_eq!(table_text(&WIN_ANSI, 0xA0), Some(' '));
    assert_eq!(table_text(&WIN_ANSI, 0xAD), Some('-'));
    for code in [0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D] {
        assert_eq!(table_text(&WIN_ANSI, code), Some('\u{2022}'), "{code:#x}");
    }
    assert_eq!(table_text(&WIN_ANSI, 0x80), Some('\u{20AC}'));
    assert_eq!(table_text(&WIN_ANSI, 0x27), Some('\''));
    assert_eq!(table_text(&WIN_ANSI, 0x1F), None);
    // Standard: curly quotes at 0x27 and 0x60, nothing at 0x80.
    assert_eq!(table_text(&STANDARD, 0x27), Some('\u{2019}'));
    assert_eq!(table_text(&STANDARD, 0x60), Some('\u{2018}'));
    assert_eq!(table_text(&STANDARD, 0x80), None);
    assert_eq!(table_text(&STANDARD, 0xA4), Some('\u{2044}'));
    assert_eq!(table_text(&MAC_ROMAN, 0xCA), Some(' '));
    assert_eq!(table_text(&MAC_ROMAN, 0xDB), Some('\u{00A4}'));
    assert_eq!(table_text(&PDF_DOC, 0xA0), Some('\u{20AC}'));
    assert_eq!(table_text(&PDF_DOC, 0x18), Some('\u{02D8}'));
}

fn decode_simple(encoding: &SimpleEncoding, bytes: &[u8]) -> String {
    let mut out = String::new();
    encoding.decode_into(bytes, &mut out);
    out
}

fn names(list: &[&str]) -> Vec<Object> {
    list.iter()
        .map(|n| Object::Name(n.as_bytes().to_vec()))
        .collect()
}

#[test]
fn differences_keep_decoding_past_unknown_names() {
    let doc = Document::with_version("1.7");
    let mut differences = vec![Object::Integer(65)];
    differences.extend(names(&["uni20B9", "g31", "A", "f_f_i", "dalethatafpatah"]));
    differences.push(Object::Integer(300)); // out of range: names up to the next code are skipped
    differences.extend(names(&["Z"]));
    differences.push(Object::Real(1.0)); // neither integer nor name: skipped
    differences.push(Object::Integer(255));
    differences.extend(names(&["Euro", "Z"])); // the second would be code 256: skipped
    let dict = dictionary! { "BaseEncoding" => "WinAnsiEncoding", "Differences" => differences };
    let encoding = SimpleEncoding::from_dictionary(&doc, &dict);
    assert_eq!(
        decode_simple(&encoding, b"ABCDEFaz\x80\xff\x00"),
        "\u{20B9}Affi\u{05D3}\u{05B2}Faz\u{20AC}\u{20AC}"
    );
    // Without /BaseEncoding the base is Standard.
    let dict = dictionary! { "Differences" => vec![Object::Integer(39), Object::Name(b"quotesingle".to_vec())] };
    let encoding = SimpleEncoding::from_dictionary(&doc, &dict);
    assert_eq!(decode_simple(&encoding, b"'`\x80"), "'\u{2018}");
    // An unknown base falls back to Standard too; a later name replaces a sequence.
    let dict = dictionary! {
        "BaseEncoding" => "NoSuchEncoding",
        "Differences" => vec![Object::Integer(1), Object::Name(b"f_f".to_vec()), Object::Integer(1), Object::Name(b"B".to_vec())],
    };
    let encoding = SimpleEncoding::from_dictionary(&doc, &dict);
    assert_eq!(decode_simple(&encoding, b"\x01'"), "B\u{2019}");
}

#[test]
fn differences_by_reference_resolve_and_a_cycle_is_harmless() {
    let mut doc = Document::with_version("1.7");
    let array_id = doc.add_object(vec![Object::Integer(65), Object::Name(b"uni20B9".to_vec())]);
    let dict = dictionary! { "Differences" => array_id };
    assert_eq!(
        decode_simple(&SimpleEncoding::from_dictionary(&doc, &dict), b"AB"),
        "\u{20B9}B"
    );
    let a = doc.new_object_id();
    let b = doc.add_object(Object::Reference(a));
    doc.objects.insert(a, Object::Reference(b));
    let dict = dictionary! { "Differences" => a };
    assert_eq!(
        decode_simple(&SimpleEncoding::from_dictionary(&doc, &dict), b"AB"),
        "AB"
    );
}

fn decode_map(map: &ToUnicode, bytes: &[u8]) -> (String, bool) {
    let mut out = String::new();
    let clean = map.decode_into(bytes, &mut out);
    (out, clean)
}

fn cmap(body: &str) -> ToUnicode {
    let text = format!(
        "%!PS-Adobe-3.0 Resource-CMap\n/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n{body}\nendcmap\n\
         CMapName currentdict /CMap defineresource pop\nend\nend\n"
    );
    ToUnicode::parse(text.as_bytes()).expect("maps something")
}

#[test]
fn to_unicode_bfchar_and_incrementing_bfrange() {
    let map = cmap(
        "1 begincodespacerange <00> <FF> endcodespacerange\n\
         2 beginbfchar\n<7E> <20B9>\n<01> <0066 0066 0069>\nendbfchar\n\
         1 beginbfrange\n<20> <7D> <0020>\nendbfrange",
    );
    assert_eq!(decode_map(&map, b"Rs ~ 1"), ("Rs \u{20B9} 1".into(), true));
    assert_eq!(decode_map(&map, b"\x01"), ("ffi".into(), true));
    assert_eq!(decode_map(&map, b"A\x80B"), ("A\u{FFFD}B".into(), false));
}

#[test]
fn to_unicode_array_bfrange_with_two_byte_codes() {
    let map = cmap(
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n\
         2 beginbfrange\n<0003> <0006> [<0041> <D83DDE00> <00660069> <20B9>]\n\
         <0010> <0020> [<0031> <0032>]\n<0100> <0102> <0061>\nendbfrange",
    );
    let (text, clean) = decode_map(&map, b"\x00\x03\x00\x04\x00\x05\x00\x06\x01\x00\x01\x02");
    assert_eq!(text, "A\u{1F600}fi\u{20B9}ac");
    assert!(clean);
    // Past the array's end, and a code outside every range: U+FFFD.
    assert_eq!(
        decode_map(&map, b"\x00\x10\x00\x11\x00\x12\x00\x07"),
        ("12\u{FFFD}\u{FFFD}".into(), false)
    );
    // An odd trailing byte is a code of no length the codespace has.
    assert_eq!(
        decode_map(&map, b"\x00\x03\x00"),
        ("A\u{FFFD}".into(), false)
    );
}

#[test]
fn to_unicode_mixed_code_lengths_follow_the_codespace() {
    // One-byte codes 00–7F, two-byte codes 8000–FFFF (9.7.6.2).
    let map = cmap(
        "2 begincodespacerange <00> <7F> <8000> <FFFF> endcodespacerange\n\
         2 beginbfchar <41> <0041> <8141> <3042> endbfchar",
    );
    assert_eq!(decode_map(&map, b"A\x81AA"), ("A\u{3042}A".into(), true));
}

#[test]
fn to_unicode_tolerates_comments_usecmap_spacing_and_no_codespace() {
    let map = ToUnicode::parse(
        b"/Adobe-Identity-UCS usecmap % a comment <00> <FF>\n\
          beginbfchar<0 0 4 1><00\n41>%x\r (lit) <0042><0042>endbfchar\
          \tbeginbfrange\x0c<0043><0044>[<43><0044>]endbfrange",
    )
    .unwrap();
    // Without a codespace, lengths come from the source codes (here two bytes).
    assert_eq!(
        decode_map(&map, b"\x00A\x00B\x00C\x00D"),
        ("ABCD".into(), true)
    );
    assert_eq!(decode_map(&map, b"\x00E\x00A"), ("\u{FFFD}A".into(), false));
}

#[test]
fn to_unicode_later_entries_win_where_ranges_overlap() {
    let map = cmap(
        "1 begincodespacerange <00> <FF> endcodespacerange\n\
         1 beginbfrange <00> <FF> <0100> endbfrange\n\
         1 beginbfchar <10> <0041> endbfchar\n\
         1 beginbfrange <12> <13> <0042> endbfrange\n\
         1 beginbfrange <00> <01> <0061> endbfrange",
    );
    let (text, _) = decode_map(&map, b"\x00\x01\x02\x10\x11\x12\x13\x14\xff");
    assert_eq!(text, "ab\u{0102}A\u{0111}BC\u{0114}\u{01FF}");
}

#[test]
fn to_unicode_hostile_maps_stay_small_and_total() {
    // The widest range is one entry, not four billion.
    let map = cmap(
        "1 begincodespacerange <00000000> <FFFFFFFF> endcodespacerange\n\
         2 beginbfrange <00000000> <FFFFFFFF> <0041> <FFFFFFFE> <FFFFFFFF> [<0042>] endbfrange",
    );
    assert_eq!(
        decode_map(&map, b"\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe"),
        ("AB\u{0042}".into(), true)
    );
    // Past the array, the first range again: 0x41 + 0xFFFF in the last unit wraps to '@'.
    assert_eq!(decode_map(&map, b"\xff\xff\xff\xff"), ("@".into(), true));
    // Incrementing wraps within the last unit rather than overflowing.
    let map = cmap("1 beginbfrange <00> <02> <D83DFFFF> endbfrange");
    assert!(!decode_map(&map, b"\x00").1);
    // Many entries: capped, and parsed in time.
    let mut body = String::from("beginbfchar\n");
    for i in 0..150_000u32 {
        body.push_str(&format!("<{:06X}> <0041>\n", i));
    }
    body.push_str("endbfchar");
    let started = std::time::Instant::now();
    let map = cmap(&body);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(decode_map(&map, b"\x00\x00\x05").0, "A");
    assert_eq!(decode_map(&map, b"\x01\x86\xa0").0, "\u{FFFD}"); // entry 100,000: dropped
    // Garbage, empty and unterminated maps map nothing.
    for junk in [
        b"".as_slice(),
        b"beginbfchar",
        b"beginbfchar <41",
        b"beginbfrange <41> <40> <0041> endbfrange",
        b"beginbfrange <0041> <41> <0041> endbfrange",
        b"beginbfchar <0102030405> <0041> <> <0041> <4G> <0041> endbfchar",
        b"beginbfrange <00> <01> [] endbfrange",
        b"((( beginbfchar <41> <0041> endbfchar",
    ] {
        assert!(ToUnicode::parse(junk).is_none(), "{junk:?}");
    }
}

#[test]
fn to_unicode_random_input_never_panics() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: [&[u8]; 16] = [
        b"begincodespacerange",
        b"endcodespacerange",
        b"beginbfchar",
        b"endbfchar",
        b"beginbfrange",
        b"endbfrange",
        b"<00>",
        b"<FFFF>",
        b"<0000>",
        b"<D83D>",
        b"<FFFFFFFF>",
        b"[",
        b"]",
        b"(",
        b"%",
        b" ",
    ];
    for _ in 0..2_000 {
        let mut text = Vec::new();
        for _ in 0..(next() % 40) {
            match next() % 4 {
                0 => text.push(next() as u8),
                _ => text.extend_from_slice(pieces[(next() % 16) as usize]),
            }
            text.push(b' ');
        }
        if let Some(map) = ToUnicode::parse(&text) {
            let bytes: Vec<u8> = (0..(next() % 12)).map(|_| next() as u8).collect();
            let mut out = String::new();
            map.decode_into(&bytes, &mut out);
        }
    }
}

#[test]
fn utf16be_decodes_pairs_and_marks_damage() {
    let mut out = String::new();
    decode_utf16be(b"\x00A\xd8\x3d\xde\x00\xd8\x00\x00B\x00", &mut out);
    assert_eq!(out, "A\u{1F600}\u{FFFD}B\u{FFFD}");
}
