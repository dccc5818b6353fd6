#!/usr/bin/env python3
"""Writes the parser's glyph-name and base-encoding data (parser/src/pdf/encoding/*_data.rs).

Usage:
    pip download fonttools==4.68.0 --no-deps -d /tmp/ft
    python3 parser/tools/gen_glyph_list.py /tmp/ft/fonttools-4.68.0-*.whl

Inputs, read from the fontTools wheel (a zip; nothing of fontTools is imported or run):
* fontTools/agl.py holds the Adobe Glyph List (glyphlist.txt 2.0, BSD-3-Clause, Adobe) as text;
  its licence header is copied into the generated file with the data.
* fontTools/encodings/StandardEncoding.py holds StandardEncoding as 256 glyph names.
The other base encodings are transcribed below from ISO 32000-1 Annex D as glyph names
(PDFDocEncoding as code points: Annex D.3 gives those directly).

Why this shape: the data is pointer-free (one string of sorted names, a u16 array of name ends,
a u16 array of code points) so a PIE binary carries no relocation per name, unlike a table of
&str (24 bytes of .rela.dyn each) or lopdf's 435 KiB `match` over byte strings.
"""

import re
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "pdf" / "encoding"


def _names(text):
    return text.split()


# ISO 32000-1 Annex D.2, MacRomanEncoding column, codes 0o40..0o377 ("-" = unused). 0xCA is
# space (Annex D footnote) and 0xF0 is the Apple logo (AGL "apple", U+F8FF), as lopdf had it.
MAC_ROMAN_HIGH = _names(
    """
    - Adieresis Aring Ccedilla Eacute Ntilde Odieresis Udieresis aacute agrave acircumflex
    adieresis atilde aring ccedilla eacute egrave ecircumflex edieresis iacute igrave
    icircumflex idieresis ntilde oacute ograve ocircumflex odieresis otilde uacute ugrave
    ucircumflex udieresis dagger degree cent sterling section bullet paragraph germandbls
    registered copyright trademark acute dieresis notequal AE Oslash infinity plusminus
    lessequal greaterequal yen mu partialdiff summation product pi integral ordfeminine
    ordmasculine Omega ae oslash questiondown exclamdown logicalnot radical florin approxequal
    Delta guillemotleft guillemotright ellipsis space Agrave Atilde Otilde OE oe endash emdash
    quotedblleft quotedblright quoteleft quoteright divide lozenge ydieresis Ydieresis fraction
    currency guilsinglleft guilsinglright fi fl daggerdbl periodcentered quotesinglbase
    quotedblbase perthousand Acircumflex Ecircumflex Aacute Edieresis Egrave Iacute Icircumflex
    Idieresis Igrave Oacute Ocircumflex apple Ograve Uacute Ucircumflex Ugrave dotlessi
    circumflex tilde macron breve dotaccent ring cedilla hungarumlaut ogonek caron
    """
)

# Annex D.2, WinAnsiEncoding, codes 0x7F..0xFF. 0xA0 is space and 0xAD hyphen; every unused
# code above 0o40 is bullet (Annex D footnote).
WIN_ANSI_HIGH = _names(
    """
    bullet Euro bullet quotesinglbase florin quotedblbase ellipsis dagger daggerdbl circumflex
    perthousand Scaron guilsinglleft OE bullet Zcaron bullet bullet quoteleft quoteright
    quotedblleft quotedblright bullet endash emdash tilde trademark scaron guilsinglright oe
    bullet zcaron Ydieresis space exclamdown cent sterling currency yen brokenbar section
    dieresis copyright ordfeminine guillemotleft logicalnot hyphen registered macron degree
    plusminus twosuperior threesuperior acute mu paragraph periodcentered cedilla onesuperior
    ordmasculine guillemotright onequarter onehalf threequarters questiondown Agrave Aacute
    Acircumflex Atilde Adieresis Aring AE Ccedilla Egrave Eacute Ecircumflex Edieresis Igrave
    Iacute Icircumflex Idieresis Eth Ntilde Ograve Oacute Ocircumflex Otilde Odieresis multiply
    Oslash Ugrave Uacute Ucircumflex Udieresis Yacute Thorn germandbls agrave aacute
    acircumflex atilde adieresis aring ae ccedilla egrave eacute ecircumflex edieresis igrave
    iacute icircumflex idieresis eth ntilde ograve oacute ocircumflex otilde odieresis divide
    oslash ugrave uacute ucircumflex udieresis yacute thorn ydieresis
    """
)

# Annex D.4, MacExpertEncoding, codes 0o40..0o377.
MAC_EXPERT = _names(
    """
    space exclamsmall Hungarumlautsmall centoldstyle dollaroldstyle dollarsuperior
    ampersandsmall Acutesmall parenleftsuperior parenrightsuperior twodotenleader onedotenleader
    comma hyphen period fraction zerooldstyle oneoldstyle twooldstyle threeoldstyle fouroldstyle
    fiveoldstyle sixoldstyle sevenoldstyle eightoldstyle nineoldstyle colon semicolon -
    threequartersemdash - questionsmall - - - - Ethsmall - - onequarter onehalf threequarters
    oneeighth threeeighths fiveeighths seveneighths onethird twothirds - - - - - - ff fi fl ffi
    ffl parenleftinferior - parenrightinferior Circumflexsmall hypheninferior Gravesmall Asmall
    Bsmall Csmall Dsmall Esmall Fsmall Gsmall Hsmall Ismall Jsmall Ksmall Lsmall Msmall Nsmall
    Osmall Psmall Qsmall Rsmall Ssmall Tsmall Usmall Vsmall Wsmall Xsmall Ysmall Zsmall
    colonmonetary onefitted rupiah Tildesmall - - asuperior centsuperior - - - - Aacutesmall
    Agravesmall Acircumflexsmall Adieresissmall Atildesmall Aringsmall Ccedillasmall Eacutesmall
    Egravesmall Ecircumflexsmall Edieresissmall Iacutesmall Igravesmall Icircumflexsmall
    Idieresissmall Ntildesmall Oacutesmall Ogravesmall Ocircumflexsmall Odieresissmall
    Otildesmall Uacutesmall Ugravesmall Ucircumflexsmall Udieresissmall - eightsuperior
    fourinferior threeinferior sixinferior eightinferior seveninferior Scaronsmall -
    centinferior twoinferior - Dieresissmall - Caronsmall osuperior fiveinferior - commainferior
    periodinferior Yacutesmall - dollarinferior - - Thornsmall - nineinferior zeroinferior
    Zcaronsmall AEsmall Oslashsmall questiondownsmall oneinferior Lslashsmall - - - - - -
    Cedillasmall - - - - - OEsmall figuredash hyphensuperior - - - - exclamdownsmall -
    Ydieresissmall - onesuperior twosuperior threesuperior foursuperior fivesuperior sixsuperior
    sevensuperior ninesuperior zerosuperior - esuperior rsuperior tsuperior - - isuperior
    ssuperior dsuperior - - - - - lsuperior Ogoneksmall Brevesmall Macronsmall bsuperior
    nsuperior msuperior commasuperior periodsuperior Dotaccentsmall Ringsmall - - - -
    """
)

# Annex D.3, PDFDocEncoding, as code points (0 = undefined). Codes 0x20..0x7E are ASCII and
# 0xA1..0xFF Latin-1 (0xAD undefined); the rest are listed here.
PDF_DOC_SPECIAL = {
    0x09: 0x0009, 0x0A: 0x000A, 0x0D: 0x000D,
    0x18: 0x02D8, 0x19: 0x02C7, 0x1A: 0x02C6, 0x1B: 0x02D9,
    0x1C: 0x02DD, 0x1D: 0x02DB, 0x1E: 0x02DA, 0x1F: 0x02DC,
    0x80: 0x2022, 0x81: 0x2020, 0x82: 0x2021, 0x83: 0x2026, 0x84: 0x2014, 0x85: 0x2013,
    0x86: 0x0192, 0x87: 0x2044, 0x88: 0x2039, 0x89: 0x203A, 0x8A: 0x2212, 0x8B: 0x2030,
    0x8C: 0x201E, 0x8D: 0x201C, 0x8E: 0x201D, 0x8F: 0x2018, 0x90: 0x2019, 0x91: 0x201A,
    0x92: 0x2122, 0x93: 0xFB01, 0x94: 0xFB02, 0x95: 0x0141, 0x96: 0x0152, 0x97: 0x0160,
    0x98: 0x0178, 0x99: 0x017D, 0x9A: 0x0131, 0x9B: 0x0142, 0x9C: 0x0153, 0x9D: 0x0161,
    0x9E: 0x017E, 0xA0: 0x20AC,
}


def read_inputs(wheel):
    with zipfile.ZipFile(wheel) as z:
        agl_py = z.read("fontTools/agl.py").decode("utf-8")
        std_py = z.read("fontTools/encodings/StandardEncoding.py").decode("utf-8")
    text = agl_py.split('_aglText = """\\\n', 1)[1].split('"""', 1)[0]
    standard = re.findall(r'"([^"]*)"', std_py)
    assert len(standard) == 256, len(standard)
    return text, standard


def parse_agl(text):
    header, entries = [], {}
    for line in text.splitlines():
        if line.startswith("#"):
            header.append(line)
            continue
        if not line.strip():
            continue
        name, values = line.split(";")
        entries[name] = [int(v, 16) for v in values.split()]
    return header, entries


def table(names_from, agl):
    """256 names (None for unused) -> 256 code points (0 for unused)."""
    out = []
    for name in names_from:
        if name in (None, "-", ".notdef"):
            out.append(0)
        else:
            values = agl[name]
            assert len(values) == 1 and 0 < values[0] <= 0xFFFF, name
            out.append(values[0])
    assert len(out) == 256
    return out


def base_tables(agl, standard):
    ascii_names = [None] * 256
    # Standard's 0x20..0x7E except quoteright/quoteleft are the ASCII names the others share.
    for code in range(0x20, 0x7F):
        ascii_names[code] = standard[code]
    ascii_names[0x27] = "quotesingle"
    ascii_names[0x60] = "grave"
    mac_roman = ascii_names[:0x7F] + MAC_ROMAN_HIGH
    win_ansi = ascii_names[:0x7F] + WIN_ANSI_HIGH
    mac_expert = [None] * 0x20 + MAC_EXPERT
    pdf_doc = [0] * 256
    for code in range(0x20, 0x7F):
        pdf_doc[code] = code
    for code in range(0xA1, 0x100):
        pdf_doc[code] = code
    pdf_doc[0xAD] = 0
    for code, value in PDF_DOC_SPECIAL.items():
        pdf_doc[code] = value
    return [
        ("STANDARD", "StandardEncoding (Annex D.2)", table(standard, agl)),
        ("MAC_ROMAN", "MacRomanEncoding (Annex D.2)", table(mac_roman, agl)),
        ("WIN_ANSI", "WinAnsiEncoding (Annex D.2)", table(win_ansi, agl)),
        ("MAC_EXPERT", "MacExpertEncoding (Annex D.4)", table(mac_expert, agl)),
        ("PDF_DOC", "PDFDocEncoding (Annex D.3)", pdf_doc),
    ]


def rust_u16s(values, per_line=12, indent="    "):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append(indent + ", ".join(f"0x{v:04X}" for v in values[i : i + per_line]) + ",")
    return "\n".join(lines)


GENERATED = "// Generated by parser/tools/gen_glyph_list.py; do not edit.\n"


def write_glyph_list(header, agl):
    names = sorted(agl, key=lambda n: n.encode("ascii"))
    blob, ends, first, multi = "", [], [], []
    for i, name in enumerate(names):
        assert re.fullmatch(r"[A-Za-z0-9]+", name), name
        blob += name
        ends.append(len(blob))
        values = agl[name]
        assert all(0 < v <= 0xFFFF and not 0xD800 <= v <= 0xDFFF for v in values), name
        first.append(values[0])
        if len(values) > 1:
            assert len(values) <= 4, name
            multi.append((i, values[1:] + [0] * (4 - len(values))))
    assert len(blob) <= 0xFFFF
    blob_lines = [blob[i : i + 96] for i in range(0, len(blob), 96)]
    out = [GENERATED, "//! The Adobe Glyph List: glyph name -> Unicode, sorted by name.", "//!"]
    out += [("//!" + line[1:]).rstrip() for line in header]
    out += [
        "",
        f"pub(super) const COUNT: usize = {len(names)};",
        "",
        "/// Every name, in byte order, run together.",
        "pub(super) const NAMES: &str = concat!(",
    ]
    out += [f'    "{line}",' for line in blob_lines]
    out += [
        ");",
        "",
        "/// Where each name ends in [`NAMES`] (it starts where the previous one ends).",
        "pub(super) const NAME_ENDS: [u16; COUNT] = [",
        rust_u16s(ends),
        "];",
        "",
        "/// Each name's (first) code point; all are in the BMP.",
        "pub(super) const CODE_POINTS: [u16; COUNT] = [",
        rust_u16s(first),
        "];",
        "",
        "/// Names mapping to several code points: (index, the further code points, 0-padded).",
        "pub(super) const MORE_CODE_POINTS: [(u16, [u16; 3]); %d] = [" % len(multi),
    ]
    for index, rest in multi:
        out.append(f"    ({index}, [{', '.join(f'0x{v:04X}' for v in rest)}]),")
    out += ["];", ""]
    (OUT / "glyph_list_data.rs").write_text("\n".join(out))


def write_base_encodings(tables):
    out = [
        GENERATED,
        "//! The simple fonts' base encodings (ISO 32000-1 Annex D) as code -> Unicode, 0 where",
        "//! a code is unused.",
        "",
    ]
    for const, what, values in tables:
        out += [f"/// {what}.", f"pub(super) const {const}: [u16; 256] = [", rust_u16s(values), "];", ""]
    (OUT / "base_encoding_data.rs").write_text("\n".join(out))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    text, standard = read_inputs(sys.argv[1])
    header, agl = parse_agl(text)
    assert len(agl) > 4000, len(agl)
    write_glyph_list(header, agl)
    write_base_encodings(base_tables(agl, standard))


if __name__ == "__main__":
    main()
