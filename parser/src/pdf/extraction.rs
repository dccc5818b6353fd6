//! Extraction: every page's content stream, and the form XObjects it draws, through the
//! interpreter, within the document-wide budgets (operations, inflated bytes, form nesting,
//! time).

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::content::{Operation, Operations, SyntaxError};
use super::fonts::FontCache;
use super::interpreter::{IDENTITY, Interp, matrix_of};
use super::limits::{
    MAX_FORM_DEPTH, MAX_OPS_PER_PAGE, MAX_PAGES, MAX_TOTAL_CONTENT_BYTES, MAX_TOTAL_OPS,
    PARSE_DEADLINE,
};
use super::text::{Page, TextRun};
use crate::error::ParseError;

/// Every page's runs, read with our content tokenizer within the default budgets.
pub(super) fn extract_all(doc: &Document) -> Result<Vec<Page>, ParseError> {
    let deadline = std::time::Instant::now() + PARSE_DEADLINE;
    extract_with(Extraction::new(doc, Tokenizer, deadline))
}

/// Every page's runs, read by `extraction`; an error past its deadline.
pub(super) fn extract_with<D: ContentDecoder>(
    mut extraction: Extraction<'_, D>,
) -> Result<Vec<Page>, ParseError> {
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

/// Turns a content stream into operations for the interpreter, in order, until the stream
/// ends, after a syntax error, or when `apply` returns false. A trait so tests can compare
/// our tokenizer with lopdf's decoder on the same interpreter.
pub(super) trait ContentDecoder: Copy {
    fn decode(self, content: &[u8], apply: impl FnMut(Result<&Operation, SyntaxError>) -> bool);
}

/// Our content tokenizer ([`super::content`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Tokenizer;

impl ContentDecoder for Tokenizer {
    fn decode(
        self,
        content: &[u8],
        mut apply: impl FnMut(Result<&Operation, SyntaxError>) -> bool,
    ) {
        // Operations are decoded lazily so a huge stream stops at the bound.
        let mut ops = Operations::new(content);
        while let Some(op) = ops.next() {
            if !apply(op.as_ref().map_err(|e| *e)) {
                break;
            }
        }
    }
}

/// Walks page content, and the form XObjects it draws, within the document-wide budgets.
pub(super) struct Extraction<'a, D> {
    doc: &'a Document,
    fonts: FontCache,
    /// Content operators still to interpret, all pages and forms together.
    ops_left: usize,
    /// Decompressed content still allowed, all pages and forms together.
    bytes_left: usize,
    /// When reading pages stops.
    deadline: std::time::Instant,
    decoder: D,
}

impl<'a, D: ContentDecoder> Extraction<'a, D> {
    /// Reading pages stops with an error at `deadline`.
    pub(super) fn new(doc: &'a Document, decoder: D, deadline: std::time::Instant) -> Self {
        Extraction {
            doc,
            fonts: FontCache::default(),
            ops_left: MAX_TOTAL_OPS,
            bytes_left: MAX_TOTAL_CONTENT_BYTES,
            deadline,
            decoder,
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
        interp.into_runs()
    }

    fn interpret(
        &mut self,
        interp: &mut Interp,
        content: &[u8],
        resources: &[&'a Dictionary],
        depth: usize,
        page_ops: &mut usize,
    ) {
        let decoder = self.decoder;
        decoder.decode(content, |op| {
            if *page_ops == 0 || self.ops_left == 0 {
                return false;
            }
            *page_ops -= 1;
            self.ops_left -= 1;
            let Ok(op) = op else { return false };
            self.apply(interp, op, resources, depth, page_ops);
            true
        });
    }

    /// Draws a form XObject for `Do`; hands any other operation to the interpreter.
    fn apply(
        &mut self,
        interp: &mut Interp,
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
        interp: &mut Interp,
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
        let outer = interp.enter_form(fonts, &matrix);
        self.interpret(interp, &content, &own, depth + 1, page_ops);
        interp.leave_form(outer);
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
