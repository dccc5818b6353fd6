//! A content-stream tokenizer (ISO 32000-1 7.2–7.3, 8.9.7) that yields each operator with its
//! operands, for the PDF layer's text interpreter.
//!
//! It replaces lopdf's content decoder, which allocated an `Object` per operand and a `String`
//! per operator and took about a third of a parse. Here the operands of one operation live in
//! buffers that are reused for the next one, so a page decodes without allocating once they
//! have grown. Only what text extraction reads is kept: numbers, names, strings and the
//! elements of a top-level array (`TJ`); dictionaries, nested arrays and inline image data
//! are skipped over and stand as [`Operand::Other`].
//!
//! `operation` holds the decoded shapes, `syntax` the byte classes and numbers, `operations` the
//! decoder itself.
//!
//! The input is untrusted: every step advances or stops, nesting is capped, and a syntax
//! error ends the stream (as it did with lopdf), so no input panics or loops.

#[cfg(test)]
mod lopdf;
mod operation;
mod operations;
mod syntax;
#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) use lopdf::{LopdfOperation, describe};
pub use operation::{Operand, Operation, Span, SyntaxError};
pub use operations::Operations;
