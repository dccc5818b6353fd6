//! What the decoder yields: one operator with its operands, as far as text extraction cares.

/// Where an operand's bytes are in [`Operation`]'s byte buffer, or an array's elements in its
/// element list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

impl Span {
    pub(super) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One operand, as far as text extraction cares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    /// An integer or real (integers converted as lopdf's `as_float` does).
    Number(f32),
    /// A name, `#xx` escapes decoded.
    Name(Span),
    /// A literal or hexadecimal string, decoded.
    String(Span),
    /// A top-level array; its elements are numbers, names, strings or [`Operand::Other`].
    Array(Span),
    Bool(bool),
    Null,
    /// A dictionary, an array inside an array, or an inline image's data.
    Other,
}

/// One operator and its operands, borrowed from the [`super::Operations`] that decoded it.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'l> {
    pub operator: &'l [u8],
    pub operands: &'l [Operand],
    pub(super) elements: &'l [Operand],
    pub(super) bytes: &'l [u8],
}

impl<'l> Operation<'l> {
    /// The bytes of a name or string operand.
    pub fn bytes(&self, span: Span) -> &'l [u8] {
        self.bytes.get(span.range()).unwrap_or_default()
    }

    /// The elements of an array operand.
    pub fn elements(&self, span: Span) -> &'l [Operand] {
        self.elements.get(span.range()).unwrap_or_default()
    }

    /// Operand `i` as a finite number.
    pub fn number(&self, i: usize) -> Option<f32> {
        match self.operands.get(i) {
            Some(Operand::Number(v)) if v.is_finite() => Some(*v),
            _ => None,
        }
    }

    /// The first `N` operands as finite numbers.
    pub fn numbers<const N: usize>(&self) -> Option<[f32; N]> {
        let mut out = [0.0; N];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.number(i)?;
        }
        Some(out)
    }

    /// Operand `i` as a name.
    pub fn name(&self, i: usize) -> Option<&'l [u8]> {
        match self.operands.get(i) {
            Some(Operand::Name(span)) => Some(self.bytes(*span)),
            _ => None,
        }
    }

    /// Operand `i` as an array's elements.
    pub fn array(&self, i: usize) -> Option<&'l [Operand]> {
        match self.operands.get(i) {
            Some(Operand::Array(span)) => Some(self.elements(*span)),
            _ => None,
        }
    }
}

/// The content stream is not valid PDF syntax from here on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError;
