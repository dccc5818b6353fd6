//! The content interpreter: the graphics and text state a content stream's operators change
//! (CTM, text matrices, font, spacing; ISO 32000-1 8.4, 9.3, 9.4), and the text runs its
//! text-showing operators draw, placed in page space.

use super::content::{Operand, Operation};
use super::fonts::PageFonts;
use super::limits::MAX_RUNS_PER_PAGE;
use super::text::TextRun;
use lopdf::Object;

pub(super) type Matrix = [f32; 6];
pub(super) const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a × b` for PDF's row-vector affine matrices.
pub(super) fn mul(a: &Matrix, b: &Matrix) -> Matrix {
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

/// The text-showing part of a content stream's graphics and text state machine: runs the
/// operators that move the pen, set fonts and show strings, and records each string as a
/// [`TextRun`] in page space.
pub(super) struct Interp {
    fonts: PageFonts,
    gs: GState,
    stack: Vec<GState>,
    tm: Matrix,
    tlm: Matrix,
    runs: Vec<TextRun>,
}

/// The state a form XObject's drawing replaces, kept to be restored after it.
pub(super) struct OuterState {
    fonts: PageFonts,
    stack: Vec<GState>,
    gs: GState,
    tm: Matrix,
    tlm: Matrix,
}

/// A form's `/Matrix`: six finite numbers.
pub(super) fn matrix_of(array: &[Object]) -> Option<Matrix> {
    let mut out = IDENTITY;
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = array
            .get(i)
            .and_then(|o| o.as_float().ok())
            .filter(|v| v.is_finite())?;
    }
    Some(out)
}

impl Interp {
    pub(super) fn new(fonts: PageFonts) -> Self {
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

    /// The runs recorded so far, in drawing order.
    pub(super) fn into_runs(self) -> Vec<TextRun> {
        self.runs
    }

    /// Starts drawing a form XObject: its fonts, a fresh graphics-state stack and its
    /// `/Matrix` applied to the CTM. Returns what [`Interp::leave_form`] puts back.
    pub(super) fn enter_form(&mut self, fonts: PageFonts, matrix: &Matrix) -> OuterState {
        let outer = OuterState {
            fonts: std::mem::replace(&mut self.fonts, fonts),
            stack: std::mem::take(&mut self.stack),
            gs: self.gs.clone(),
            tm: self.tm,
            tlm: self.tlm,
        };
        self.gs.ctm = mul(matrix, &self.gs.ctm);
        outer
    }

    /// Ends a form XObject: the caller's fonts, stack and state again.
    pub(super) fn leave_form(&mut self, outer: OuterState) {
        self.fonts = outer.fonts;
        self.stack = outer.stack;
        self.gs = outer.gs;
        (self.tm, self.tlm) = (outer.tm, outer.tlm);
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

    /// Applies one content operator (`Do` is the caller's: it needs the document).
    pub(super) fn op(&mut self, op: &Operation) {
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

    #[test]
    fn matrix_product_applies_left_first() {
        let m = mul(&translate(10.0, 0.0), &[0.0, 1.0, -1.0, 0.0, 22.0, 120.0]);
        // (10, 0) rotated by 90° then moved to (22, 120).
        assert!((m[4] - 22.0).abs() < 1e-4 && (m[5] - 130.0).abs() < 1e-4);
    }
}
