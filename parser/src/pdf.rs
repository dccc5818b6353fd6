//! The PDF layer: decrypt a statement with its password and pull out every
//! text run with its position, so the statement parsers can work on columns.
//!
//! Statements arrive as e-mail attachments, i.e. untrusted input. Everything
//! here is bounded (file size, objects, pages, decompressed bytes, content
//! operations) and every lopdf call runs under `catch_unwind`, so a hostile
//! file yields an error rather than a panic or a hang.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use lopdf::Encoding;
use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::ParseError;
use crate::content::{Operand, Operation, Operations};
use crate::detect::{self, CasVariant};
use crate::model::Issuer;
use crate::security;

/// Largest statement we accept (checked before any parsing). Real CAS PDFs
/// are well under 1 MB; anything bigger is a scan or an attack.
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;
/// Bound on what any single stream may inflate to while loading.
const MAX_STREAM_BYTES: usize = 16 * 1024 * 1024;
/// Bound on what loading may inflate, object and cross-reference streams together: every stream
/// gets an equal share by the number of streams the file could hold (see [`load_budget`]).
const MAX_LOAD_INFLATE_BYTES: usize = 128 * 1024 * 1024;
/// A parse that has not finished reading pages by then is refused (`INVALID_PDF`): every
/// statement we have seen takes milliseconds.
pub const PARSE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// Bound on the decompressed content of all pages together.
const MAX_TOTAL_CONTENT_BYTES: usize = 32 * 1024 * 1024;
/// A detailed CAS for a large family runs to tens of pages, never thousands.
const MAX_PAGES: usize = 1_000;
const MAX_OBJECTS: usize = 250_000;
/// Content operators interpreted per page, and in all; the rest is ignored.
/// A statement page has a few thousand; pages may share one content stream,
/// so the total needs its own bound.
const MAX_OPS_PER_PAGE: usize = 100_000;
const MAX_TOTAL_OPS: usize = 1_000_000;
/// Bound on one font's `/ToUnicode` CMap (real ones are a few KB).
const MAX_CMAP_BYTES: usize = 1024 * 1024;
/// Distinct fonts whose encoding is decoded; later ones fall back to Latin-1.
const MAX_FONTS: usize = 512;
/// Runs kept per page (a page of a statement has a few hundred).
const MAX_RUNS_PER_PAGE: usize = 50_000;
/// Form XObjects drawn inside form XObjects: real files nest one or two deep.
const MAX_FORM_DEPTH: usize = 8;
/// Default vertical tolerance (points) for [`Page::lines`].
pub const LINE_TOLERANCE: f32 = 2.0;

/// An opened, recognised CAS statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub issuer: Issuer,
    pub variant: CasVariant,
    pub pages: Vec<Page>,
}

impl Statement {
    /// All pages' raw text (see [`Page::raw_text`]), pages separated by a form feed.
    pub fn raw_text(&self) -> String {
        let pages: Vec<String> = self.pages.iter().map(Page::raw_text).collect();
        pages.join("\n\u{c}\n")
    }
}

/// One page's text, in content-stream order.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    pub runs: Vec<TextRun>,
}

impl Page {
    /// Every run's text, one run per line, in the order the PDF draws them.
    /// Includes rotated text such as the vertical `CAMSCASWS-…` watermark,
    /// which [`Page::lines`] leaves out.
    pub fn raw_text(&self) -> String {
        let mut out = String::new();
        for run in &self.runs {
            out.push_str(&run.text);
            out.push('\n');
        }
        out
    }

    /// Horizontal runs grouped into visual lines, top to bottom.
    pub fn lines(&self) -> Vec<Line<'_>> {
        group_lines(&self.runs, LINE_TOLERANCE)
    }
}

/// One string drawn by a text-showing operator (`Tj`, `TJ`, `'`, `"`).
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    /// Start of the baseline in page space (points, origin bottom-left).
    pub x: f32,
    pub y: f32,
    /// Effective font size in page space (Tf size × text and CTM scaling).
    pub font_size: f32,
    /// Estimated advance width in page space: exact when the font has
    /// `/Widths`, else half an em per character (standard-14 fonts carry none).
    pub width: f32,
    /// False for rotated text (e.g. a watermark printed up the margin).
    pub horizontal: bool,
    pub text: String,
}

/// Runs sharing a baseline, sorted left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// Baseline of the line's first (highest) run.
    pub y: f32,
    /// The page's runs on this line (borrowed: a page is read line by line many times).
    pub runs: Vec<&'a TextRun>,
}

impl Line<'_> {
    /// The runs joined with a single space wherever they do not touch.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut prev_end: Option<f32> = None;
        for run in &self.runs {
            if let Some(end) = prev_end {
                // A gap of more than ~0.15 em between runs is a word break.
                let gap = run.x - end;
                if gap > 0.15 * run.font_size.max(1.0)
                    && !out.ends_with(' ')
                    && !run.text.starts_with(' ')
                {
                    out.push(' ');
                }
            }
            out.push_str(&run.text);
            prev_end = Some(run.x + run.width);
        }
        out
    }

    /// The trimmed texts of the runs that start left of `x`, joined by single spaces: the
    /// left column of a page laid out in columns (the investor block beside a summary).
    pub fn text_left_of(&self, x: f32) -> String {
        let left: Vec<&str> = self
            .runs
            .iter()
            .filter(|r| r.x < x)
            .map(|r| r.text.trim())
            .filter(|t| !t.is_empty())
            .collect();
        left.join(" ")
    }
}

/// Groups horizontal runs into lines: runs whose baselines are within
/// `tolerance` points of the line's first run join it; lines are ordered top
/// to bottom and runs within a line left to right. Rotated runs are skipped.
pub fn group_lines(runs: &[TextRun], tolerance: f32) -> Vec<Line<'_>> {
    let mut sorted: Vec<&TextRun> = runs
        .iter()
        .filter(|r| r.horizontal && r.x.is_finite() && r.y.is_finite())
        .collect();
    // Top of the page first (PDF y grows upwards), then left to right.
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Line> = Vec::new();
    for run in sorted {
        match lines.last_mut() {
            Some(line) if (line.y - run.y).abs() <= tolerance => line.runs.push(run),
            _ => lines.push(Line {
                y: run.y,
                runs: vec![run],
            }),
        }
    }
    for line in &mut lines {
        line.runs.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines
}

/// Opens a CAS PDF with its password, extracts its text and detects the issuer.
///
/// Errors: [`ParseError::TooLarge`] over [`MAX_PDF_BYTES`];
/// [`ParseError::InvalidPassword`] when the file is encrypted and `password`
/// (possibly empty) does not open it; [`ParseError::InvalidPdf`] for anything
/// that is not a readable PDF; [`ParseError::UnsupportedFormat`] for a
/// readable PDF that is not a CAS from CAMS, KFintech, CDSL or NSDL.
pub fn open(bytes: &[u8], password: &str) -> Result<Statement, ParseError> {
    let pages = extract_pages(bytes, password)?;
    let detection = detect::detect(&pages).ok_or(ParseError::UnsupportedFormat)?;
    Ok(Statement {
        issuer: detection.issuer,
        variant: detection.variant,
        pages,
    })
}

/// Decrypts `bytes` with `password` and returns every page's positioned text,
/// without deciding what kind of document it is.
pub fn extract_pages(bytes: &[u8], password: &str) -> Result<Vec<Page>, ParseError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(ParseError::TooLarge {
            size: bytes.len(),
            limit: MAX_PDF_BYTES,
        });
    }
    // Cheap rejection of non-PDFs before lopdf, which scans for the header anywhere.
    if !contains(bytes, b"%PDF-") {
        return Err(ParseError::InvalidPdf("no %PDF- header".into()));
    }
    // lopdf rebuilds a truncated file from the objects it still finds, which
    // would yield a partial statement (missing holdings, silently). Every
    // complete PDF ends its body with %%EOF, so its absence means truncation.
    if !contains(bytes, b"%%EOF") {
        return Err(ParseError::InvalidPdf("truncated: no %%EOF marker".into()));
    }
    let doc = load(bytes, password)?;
    catch_unwind(AssertUnwindSafe(|| extract_all(&doc)))
        .unwrap_or_else(|_| Err(ParseError::InvalidPdf("text extraction failed".into())))
}

fn load(bytes: &[u8], password: &str) -> Result<Document, ParseError> {
    let doc = catch_unwind(AssertUnwindSafe(|| {
        security::load(bytes, password, load_budget(bytes))
    }))
    .unwrap_or_else(|_| Err(ParseError::InvalidPdf("PDF parser panicked".into())))?;
    if doc.objects.len() > MAX_OBJECTS {
        return Err(ParseError::InvalidPdf(format!(
            "more than {MAX_OBJECTS} objects"
        )));
    }
    Ok(doc)
}

/// The most one stream may inflate to while the file loads: `MAX_LOAD_INFLATE_BYTES` shared
/// by every `stream` keyword in the file (an upper bound on its streams, however their names
/// are spelt), so all of them together stay within it.
fn load_budget(bytes: &[u8]) -> usize {
    let streams = memchr::memmem::find_iter(bytes, b"stream").count().max(1);
    (MAX_LOAD_INFLATE_BYTES / streams).min(MAX_STREAM_BYTES)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

fn extract_all(doc: &Document) -> Result<Vec<Page>, ParseError> {
    extract_with(Extraction::new(doc))
}

fn extract_with(mut extraction: Extraction) -> Result<Vec<Page>, ParseError> {
    let doc = extraction.doc;
    let page_ids: BTreeMap<u32, ObjectId> = doc.get_pages();
    if page_ids.is_empty() {
        return Err(ParseError::InvalidPdf("no pages".into()));
    }
    if page_ids.len() > MAX_PAGES {
        return Err(ParseError::InvalidPdf(format!(
            "more than {MAX_PAGES} pages"
        )));
    }
    let mut pages = Vec::with_capacity(page_ids.len());
    for (number, id) in page_ids {
        if std::time::Instant::now() > extraction.deadline {
            return Err(ParseError::InvalidPdf(format!(
                "reading it took longer than {} s",
                PARSE_DEADLINE.as_secs()
            )));
        }
        pages.push(Page {
            number,
            runs: extraction.page_runs(id),
        });
    }
    Ok(pages)
}

/// Walks page content, and the form XObjects it draws, within the document-wide budgets.
struct Extraction<'a> {
    doc: &'a Document,
    fonts: FontCache<'a>,
    /// Content operators still to interpret, all pages and forms together.
    ops_left: usize,
    /// Decompressed content still allowed, all pages and forms together.
    bytes_left: usize,
    /// When reading pages stops.
    deadline: std::time::Instant,
    /// Decode content with lopdf's decoder, which ours replaced, to compare the two.
    #[cfg(test)]
    lopdf_decoder: bool,
}

impl<'a> Extraction<'a> {
    fn new(doc: &'a Document) -> Self {
        Extraction {
            doc,
            fonts: FontCache::default(),
            ops_left: MAX_TOTAL_OPS,
            bytes_left: MAX_TOTAL_CONTENT_BYTES,
            deadline: std::time::Instant::now() + PARSE_DEADLINE,
            #[cfg(test)]
            lopdf_decoder: false,
        }
    }

    fn page_runs(&mut self, page: ObjectId) -> Vec<TextRun> {
        // A page whose content cannot be read contributes no text rather
        // than failing the statement; detection decides whether enough is left.
        let content = self
            .doc
            .get_page_content_with_limit(page, self.bytes_left)
            .unwrap_or_default();
        self.bytes_left = self.bytes_left.saturating_sub(content.len());
        let resources = page_resources(self.doc, page);
        let mut interp = Interp::new(self.fonts.fonts_in(self.doc, &resources));
        let mut page_ops = MAX_OPS_PER_PAGE;
        self.interpret(&mut interp, &content, &resources, 0, &mut page_ops);
        interp.runs
    }

    fn interpret(
        &mut self,
        interp: &mut Interp<'a>,
        content: &[u8],
        resources: &[&'a Dictionary],
        depth: usize,
        page_ops: &mut usize,
    ) {
        #[cfg(test)]
        if self.lopdf_decoder {
            return self.interpret_with_lopdf(interp, content, resources, depth, page_ops);
        }
        // Operations are decoded lazily so a huge stream stops at the bound.
        let mut ops = Operations::new(content);
        while let Some(op) = ops.next() {
            if *page_ops == 0 || self.ops_left == 0 {
                break;
            }
            *page_ops -= 1;
            self.ops_left -= 1;
            let Ok(op) = op else { break };
            self.apply(interp, &op, resources, depth, page_ops);
        }
    }

    #[cfg(test)]
    fn interpret_with_lopdf(
        &mut self,
        interp: &mut Interp<'a>,
        content: &[u8],
        resources: &[&'a Dictionary],
        depth: usize,
        page_ops: &mut usize,
    ) {
        for op in lopdf::content::Content::decode_iter(content) {
            if *page_ops == 0 || self.ops_left == 0 {
                break;
            }
            *page_ops -= 1;
            self.ops_left -= 1;
            let Ok(op) = op else { break };
            let op = crate::content::LopdfOperation::new(&op);
            self.apply(interp, &op.operation(), resources, depth, page_ops);
        }
    }

    /// Draws a form XObject for `Do`; hands any other operation to the interpreter.
    fn apply(
        &mut self,
        interp: &mut Interp<'a>,
        op: &Operation,
        resources: &[&'a Dictionary],
        depth: usize,
        page_ops: &mut usize,
    ) {
        if op.operator == b"Do" {
            let form = op
                .name(0)
                .and_then(|name| form_xobject(self.doc, resources, name));
            if let Some(form) = form
                && depth < MAX_FORM_DEPTH
            {
                self.draw_form(interp, form, resources, depth, page_ops);
            }
            return;
        }
        interp.op(op);
    }

    /// A form XObject is drawn like inline content under its `/Matrix`, with its own
    /// resources (or, as older files do, the caller's) and a fresh graphics-state stack
    /// (ISO 32000-1 8.10.1), so nothing inside it can pop the caller's state.
    fn draw_form(
        &mut self,
        interp: &mut Interp<'a>,
        form: &'a lopdf::Stream,
        outer_resources: &[&'a Dictionary],
        depth: usize,
        page_ops: &mut usize,
    ) {
        let Ok(content) = form.decompressed_content_with_limit(self.bytes_left) else {
            return;
        };
        self.bytes_left = self.bytes_left.saturating_sub(content.len());
        let own: Vec<&'a Dictionary> = match form
            .dict
            .get_deref(b"Resources", self.doc)
            .and_then(Object::as_dict)
        {
            Ok(dict) => vec![dict],
            Err(_) => outer_resources.to_vec(),
        };
        let matrix = form
            .dict
            .get_deref(b"Matrix", self.doc)
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| matrix_of(a))
            .unwrap_or(IDENTITY);
        let fonts = self.fonts.fonts_in(self.doc, &own);
        let outer_fonts = std::mem::replace(&mut interp.fonts, fonts);
        let outer_stack = std::mem::take(&mut interp.stack);
        let outer_gs = interp.gs.clone();
        let (outer_tm, outer_tlm) = (interp.tm, interp.tlm);
        interp.gs.ctm = mul(&matrix, &interp.gs.ctm);
        self.interpret(interp, &content, &own, depth + 1, page_ops);
        interp.fonts = outer_fonts;
        interp.stack = outer_stack;
        interp.gs = outer_gs;
        (interp.tm, interp.tlm) = (outer_tm, outer_tlm);
    }
}

/// The page's `/Resources`, nearest first (a page inherits them from the page tree).
fn page_resources(doc: &Document, page: ObjectId) -> Vec<&Dictionary> {
    let Ok((direct, referenced)) = doc.get_page_resources(page) else {
        return Vec::new();
    };
    direct
        .into_iter()
        .chain(
            referenced
                .into_iter()
                .filter_map(|id| doc.get_dictionary(id).ok()),
        )
        .collect()
}

/// `/name` in the resources' `/XObject`, if it is a form (images carry no text).
fn form_xobject<'a>(
    doc: &'a Document,
    resources: &[&'a Dictionary],
    name: &[u8],
) -> Option<&'a lopdf::Stream> {
    resources.iter().find_map(|r| {
        let stream = r
            .get_deref(b"XObject", doc)
            .and_then(Object::as_dict)
            .and_then(|x| x.get_deref(name, doc))
            .and_then(Object::as_stream)
            .ok()?;
        let subtype = stream.dict.get(b"Subtype").and_then(Object::as_name).ok();
        (subtype == Some(b"Form".as_slice())).then_some(stream)
    })
}

/// A font's decoder plus what is needed to estimate advance widths.
struct FontInfo<'a> {
    /// The font's `/ToUnicode` map, when it has one besides an `/Encoding`.
    to_unicode: Option<Encoding<'a>>,
    /// What lopdf resolves: `/Encoding` if present, else `/ToUnicode`.
    encoding: Option<Encoding<'a>>,
    /// Two-byte codes (Type0 / CID fonts).
    two_byte: bool,
    first_char: i64,
    widths: Vec<f32>,
}

impl FontInfo<'_> {
    /// Appends the text `bytes` show to `out`.
    fn decode_into(&self, bytes: &[u8], out: &mut String) {
        let start = out.len();
        // ToUnicode is the authoritative map for extraction (ISO 32000-1
        // 9.10.2), but a partial one yields U+FFFD; then use the encoding.
        if let Some(enc) = &self.to_unicode {
            if enc.write_to_string(bytes, out).is_ok() && !out[start..].contains('\u{FFFD}') {
                return;
            }
            out.truncate(start);
        }
        if let Some(enc) = &self.encoding {
            if enc.write_to_string(bytes, out).is_ok() {
                return;
            }
            out.truncate(start);
        }
        // No usable encoding: Latin-1 keeps ASCII text readable.
        out.extend(bytes.iter().map(|&b| b as char));
    }

    /// Advance of `bytes` in text space units (before font size scaling).
    fn advance(&self, bytes: &[u8], char_spacing: f32, word_spacing: f32, font_size: f32) -> f32 {
        let mut total = 0.0;
        if self.two_byte {
            for _ in bytes.chunks(2) {
                total += 0.5 * font_size + char_spacing;
            }
            return total;
        }
        for &b in bytes {
            let idx = i64::from(b) - self.first_char;
            let w = usize::try_from(idx)
                .ok()
                .and_then(|i| self.widths.get(i).copied())
                .filter(|w| *w > 0.0)
                .map_or(0.5, |w| w / 1000.0);
            total += w * font_size + char_spacing;
            if b == b' ' {
                total += word_spacing;
            }
        }
        total
    }
}

type PageFonts<'a> = BTreeMap<Vec<u8>, Rc<FontInfo<'a>>>;

/// Fonts decoded so far, keyed by the font dictionary's address in the
/// document: pages share font objects, and decoding each once keeps a file
/// with many pages pointing at one huge CMap from costing pages × CMap.
#[derive(Default)]
struct FontCache<'a> {
    by_addr: HashMap<usize, Rc<FontInfo<'a>>>,
}

impl<'a> FontCache<'a> {
    /// The fonts named in `resources` (the first dictionary naming a font wins).
    fn fonts_in(&mut self, doc: &'a Document, resources: &[&'a Dictionary]) -> PageFonts<'a> {
        let mut out = BTreeMap::new();
        for r in resources {
            let Ok(fonts) = r.get_deref(b"Font", doc).and_then(Object::as_dict) else {
                continue;
            };
            for (name, font) in fonts.iter() {
                if out.contains_key(name) {
                    continue;
                }
                let Ok(font) = doc.dereference(font).and_then(|(_, f)| f.as_dict()) else {
                    continue;
                };
                let addr = std::ptr::from_ref(font) as usize;
                let decode = self.by_addr.len() < MAX_FONTS;
                let info = self
                    .by_addr
                    .entry(addr)
                    .or_insert_with(|| Rc::new(font_info(doc, font, decode)))
                    .clone();
                out.insert(name.clone(), info);
            }
        }
        out
    }
}

fn font_info<'a>(doc: &'a Document, font: &'a Dictionary, decode: bool) -> FontInfo<'a> {
    let two_byte = font.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Type0".as_slice());
    let first_char = font.get(b"FirstChar").and_then(Object::as_i64).unwrap_or(0);
    let widths = font
        .get_deref(b"Widths", doc)
        .and_then(Object::as_array)
        .map(|a| {
            a.iter()
                .take(256)
                .map(|w| w.as_float().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    if !decode {
        return FontInfo {
            to_unicode: None,
            encoding: None,
            two_byte,
            first_char,
            widths,
        };
    }
    FontInfo {
        to_unicode: to_unicode(doc, font),
        encoding: font.get_font_encoding_with_limit(doc, MAX_CMAP_BYTES).ok(),
        two_byte,
        first_char,
        widths,
    }
}

/// lopdf only reads `/ToUnicode` when a font has no `/Encoding`; ask it
/// about a copy of the font without one, and keep the map if that is what
/// comes back (the map is owned, so it outlives the copy).
fn to_unicode<'a>(doc: &'a Document, font: &Dictionary) -> Option<Encoding<'a>> {
    if !font.has(b"ToUnicode") || !font.has(b"Encoding") {
        return None;
    }
    let mut copy = font.clone();
    copy.remove(b"Encoding");
    match copy.get_font_encoding_with_limit(doc, MAX_CMAP_BYTES) {
        Ok(Encoding::UnicodeMapEncoding(map)) => Some(Encoding::UnicodeMapEncoding(map)),
        _ => None,
    }
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a × b` for PDF's row-vector affine matrices.
fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn translate(tx: f32, ty: f32) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, tx, ty]
}

/// Graphics state kept across `q`/`Q`. Text state (font, leading, spacing)
/// belongs to the graphics state and survives `BT`/`ET`, which reportlab relies on.
#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Vec<u8>,
    font_size: f32,
    leading: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    rise: f32,
}

struct Interp<'a> {
    fonts: PageFonts<'a>,
    gs: GState,
    stack: Vec<GState>,
    tm: Matrix,
    tlm: Matrix,
    runs: Vec<TextRun>,
}

/// A form's `/Matrix`: six finite numbers.
fn matrix_of(array: &[Object]) -> Option<Matrix> {
    let mut out = IDENTITY;
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = array
            .get(i)
            .and_then(|o| o.as_float().ok())
            .filter(|v| v.is_finite())?;
    }
    Some(out)
}

impl<'a> Interp<'a> {
    fn new(fonts: PageFonts<'a>) -> Self {
        Interp {
            fonts,
            gs: GState {
                ctm: IDENTITY,
                font: Vec::new(),
                font_size: 0.0,
                leading: 0.0,
                char_spacing: 0.0,
                word_spacing: 0.0,
                h_scale: 1.0,
                rise: 0.0,
            },
            stack: Vec::new(),
            tm: IDENTITY,
            tlm: IDENTITY,
            runs: Vec::new(),
        }
    }

    fn next_line(&mut self, tx: f32, ty: f32) {
        self.tlm = mul(&translate(tx, ty), &self.tlm);
        self.tm = self.tlm;
    }

    /// Records one run at the current text position and advances past it.
    /// `pieces` are operands of `op`: strings are shown, numbers are `TJ` adjustments.
    fn show(&mut self, op: &Operation, pieces: &[Operand]) {
        let gs = &self.gs;
        let font = self.fonts.get(&gs.font).map(|f| &**f);
        let mut text = String::new();
        let mut advance = 0.0f32;
        for piece in pieces {
            match *piece {
                Operand::String(span) => {
                    let bytes = op.bytes(span);
                    match font {
                        Some(f) => f.decode_into(bytes, &mut text),
                        None => text.extend(bytes.iter().map(|&b| b as char)),
                    }
                    advance += match font {
                        Some(f) => f.advance(bytes, gs.char_spacing, gs.word_spacing, gs.font_size),
                        None => 0.5 * gs.font_size * bytes.len() as f32,
                    };
                }
                // TJ kerning, in thousandths of an em; a large negative
                // adjustment is how many generators draw a space.
                Operand::Number(adj) if adj.is_finite() => {
                    if adj < -200.0 && !text.ends_with(' ') {
                        text.push(' ');
                    }
                    advance += -adj / 1000.0 * gs.font_size;
                }
                _ => {}
            }
        }
        let trm = mul(
            &[
                gs.font_size * gs.h_scale,
                0.0,
                0.0,
                gs.font_size,
                0.0,
                gs.rise,
            ],
            &mul(&self.tm, &gs.ctm),
        );
        // Text space origin and unit vectors mapped to page space.
        let start = mul(&translate(0.0, gs.rise), &mul(&self.tm, &gs.ctm));
        let (x, y) = (start[4], start[5]);
        let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt();
        let scale_x =
            (trm[0] * trm[0] + trm[1] * trm[1]).sqrt() / gs.font_size.abs().max(f32::MIN_POSITIVE);
        let horizontal = trm[0].abs() > 10.0 * trm[1].abs() && trm[0] > 0.0;
        let width = advance * gs.h_scale * scale_x;
        self.tm = mul(&translate(advance * gs.h_scale, 0.0), &self.tm);
        if !text.is_empty() && self.runs.len() < MAX_RUNS_PER_PAGE && x.is_finite() && y.is_finite()
        {
            self.runs.push(TextRun {
                x,
                y,
                font_size: if size.is_finite() { size } else { 0.0 },
                width: if width.is_finite() { width } else { 0.0 },
                horizontal,
                text,
            });
        }
    }

    fn op(&mut self, op: &Operation) {
        match op.operator {
            // Nesting is capped so `qqqq…` cannot grow memory without bound.
            b"q" if self.stack.len() < 256 => self.stack.push(self.gs.clone()),
            b"Q" => {
                if let Some(gs) = self.stack.pop() {
                    self.gs = gs;
                }
            }
            b"cm" => {
                if let Some(m) = op.numbers::<6>() {
                    self.gs.ctm = mul(&m, &self.gs.ctm);
                }
            }
            b"BT" => {
                self.tm = IDENTITY;
                self.tlm = IDENTITY;
            }
            b"Tf" => {
                if let Some(name) = op.name(0) {
                    self.gs.font.clear();
                    self.gs.font.extend_from_slice(name);
                }
                if let Some(size) = op.number(1) {
                    self.gs.font_size = size;
                }
            }
            b"TL" => self.gs.leading = op.number(0).unwrap_or(self.gs.leading),
            b"Tc" => self.gs.char_spacing = op.number(0).unwrap_or(0.0),
            b"Tw" => self.gs.word_spacing = op.number(0).unwrap_or(0.0),
            b"Tz" => self.gs.h_scale = op.number(0).map_or(1.0, |v| v / 100.0),
            b"Ts" => self.gs.rise = op.number(0).unwrap_or(0.0),
            b"Td" => {
                if let Some([tx, ty]) = op.numbers::<2>() {
                    self.next_line(tx, ty);
                }
            }
            b"TD" => {
                if let Some([tx, ty]) = op.numbers::<2>() {
                    self.gs.leading = -ty;
                    self.next_line(tx, ty);
                }
            }
            b"Tm" => {
                if let Some(m) = op.numbers::<6>() {
                    self.tm = m;
                    self.tlm = m;
                }
            }
            b"T*" => self.next_line(0.0, -self.gs.leading),
            b"Tj" => self.show(op, op.operands),
            b"TJ" => {
                if let Some(array) = op.array(0) {
                    self.show(op, array);
                }
            }
            b"'" => {
                self.next_line(0.0, -self.gs.leading);
                self.show(op, op.operands);
            }
            b"\"" => {
                self.gs.word_spacing = op.number(0).unwrap_or(self.gs.word_spacing);
                self.gs.char_spacing = op.number(1).unwrap_or(self.gs.char_spacing);
                self.next_line(0.0, -self.gs.leading);
                if let Some(s) = op.operands.get(2) {
                    self.show(op, std::slice::from_ref(s));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: f32, y: f32, text: &str) -> TextRun {
        TextRun {
            x,
            y,
            font_size: 8.0,
            width: text.len() as f32 * 4.0,
            horizontal: true,
            text: text.into(),
        }
    }

    #[test]
    fn loading_inflates_at_most_the_total_budget_whatever_the_stream_count() {
        assert_eq!(load_budget(b"no streams at all"), MAX_STREAM_BYTES);
        for streams in [1usize, 8, 9, 100, 10_000, 1_000_000] {
            let file = b"stream\n".repeat(streams);
            let each = load_budget(&file);
            assert!(each <= MAX_STREAM_BYTES);
            assert!(
                each * streams <= MAX_LOAD_INFLATE_BYTES,
                "{streams} streams"
            );
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
        let mut late = Extraction::new(&doc);
        late.deadline = std::time::Instant::now() - std::time::Duration::from_millis(1);
        match extract_with(late) {
            Err(ParseError::InvalidPdf(why)) => assert!(why.contains("longer than"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(extract_with(Extraction::new(&doc)).is_ok());
    }

    #[test]
    fn groups_runs_by_baseline_and_sorts_by_x() {
        let runs = vec![
            run(300.0, 700.0, "right"),
            run(40.0, 700.5, "left"),
            run(40.0, 680.0, "below"),
            TextRun {
                horizontal: false,
                ..run(20.0, 700.0, "WATERMARK")
            },
        ];
        let lines = group_lines(&runs, 2.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text(), "left right");
        assert_eq!(lines[1].text(), "below");
    }

    #[test]
    fn touching_runs_join_without_space() {
        let (ab, cd) = (run(0.0, 0.0, "ab"), run(8.0, 0.0, "cd"));
        let line = Line {
            y: 0.0,
            runs: vec![&ab, &cd],
        };
        assert_eq!(line.text(), "abcd");
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
            let mut with_lopdf = Extraction::new(&doc);
            with_lopdf.lopdf_decoder = true;
            let theirs = extract_with(with_lopdf).unwrap();
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
        use crate::content::{LopdfOperation, Operations, describe};
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

    #[test]
    fn matrix_product_applies_left_first() {
        let m = mul(&translate(10.0, 0.0), &[0.0, 1.0, -1.0, 0.0, 22.0, 120.0]);
        // (10, 0) rotated by 90° then moved to (22, 120).
        assert!((m[4] - 22.0).abs() < 1e-4 && (m[5] - 130.0).abs() < 1e-4);
    }
}
