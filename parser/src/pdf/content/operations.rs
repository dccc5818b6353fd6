//! The decoder: operands up to each operator, strings and names decoded into reused buffers,
//! dictionaries and inline images skipped.

use super::operation::{Operand, Operation, Span, SyntaxError};
use super::syntax::{hex_value, is_regular, is_whitespace, parse_number, starts_number};
use crate::pdf::limits::MAX_NESTING;

/// Decodes a content stream one operation at a time; see the module documentation.
pub struct Operations<'a> {
    src: &'a [u8],
    pos: usize,
    finished: bool,
    operands: Vec<Operand>,
    elements: Vec<Operand>,
    bytes: Vec<u8>,
}

/// Where a value is being read: operands keep their values, array elements keep theirs in
/// the element list, and anything nested deeper is only skipped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Operand,
    Element,
    Skipped,
}

impl<'a> Operations<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Operations {
            // Spans are 32-bit; content is capped far below that (MAX_TOTAL_CONTENT_BYTES).
            src: &src[..src.len().min(u32::MAX as usize)],
            pos: 0,
            finished: false,
            operands: Vec::new(),
            elements: Vec::new(),
            bytes: Vec::new(),
        }
    }

    /// The next operation; `None` at the end, `Some(Err)` once at a syntax error, after
    /// which the stream is over. Operands left without an operator at the end are dropped.
    #[allow(clippy::should_implement_trait)] // lends its buffers, so it cannot be an Iterator
    pub fn next(&mut self) -> Option<Result<Operation<'_>, SyntaxError>> {
        if self.finished {
            return None;
        }
        match self.read_operation() {
            Ok(Some(operator)) => Some(Ok(Operation {
                operator: &self.src[operator.range()],
                operands: &self.operands,
                elements: &self.elements,
                bytes: &self.bytes,
            })),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }

    /// Reads operands up to an operator, returning the operator's place in the source.
    fn read_operation(&mut self) -> Result<Option<Span>, SyntaxError> {
        self.operands.clear();
        self.elements.clear();
        self.bytes.clear();
        loop {
            self.skip_blanks();
            let Some(&c) = self.src.get(self.pos) else {
                return Ok(None);
            };
            if is_regular(c) && !starts_number(c) {
                let token = self.regular_token();
                let operand = match &self.src[token.range()] {
                    b"true" => Operand::Bool(true),
                    b"false" => Operand::Bool(false),
                    b"null" => Operand::Null,
                    b"BI" => {
                        self.skip_inline_image()?;
                        return Ok(Some(token));
                    }
                    _ => return Ok(Some(token)),
                };
                self.operands.push(operand);
            } else {
                let operand = self.read_value(Slot::Operand, 0)?;
                self.operands.push(operand);
            }
        }
    }

    /// Skips white space and comments.
    fn skip_blanks(&mut self) {
        while let Some(&c) = self.src.get(self.pos) {
            if is_whitespace(c) {
                self.pos += 1;
            } else if c == b'%' {
                let rest = &self.src[self.pos..];
                self.pos += rest
                    .iter()
                    .position(|&c| c == b'\r' || c == b'\n')
                    .unwrap_or(rest.len());
            } else {
                break;
            }
        }
    }

    /// The run of regular characters at the current position (possibly empty).
    fn regular_token(&mut self) -> Span {
        let start = self.pos;
        let len = self.src[start..]
            .iter()
            .position(|&c| !is_regular(c))
            .unwrap_or(self.src.len() - start);
        self.pos += len;
        Span {
            start: start as u32,
            end: self.pos as u32,
        }
    }

    /// Reads one value starting at a non-blank byte (an operator is an error here).
    fn read_value(&mut self, slot: Slot, depth: usize) -> Result<Operand, SyntaxError> {
        let Some(&c) = self.src.get(self.pos) else {
            return Err(SyntaxError);
        };
        match c {
            b'/' => {
                self.pos += 1;
                Ok(Operand::Name(self.read_name(slot)))
            }
            b'(' => {
                self.pos += 1;
                Ok(Operand::String(self.read_literal_string(slot)?))
            }
            b'<' if self.src.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                self.skip_dictionary(depth + 1)?;
                Ok(Operand::Other)
            }
            b'<' => {
                self.pos += 1;
                Ok(Operand::String(self.read_hex_string(slot)?))
            }
            b'[' => {
                self.pos += 1;
                self.read_array(slot, depth + 1)
            }
            c if starts_number(c) => {
                let token = self.regular_token();
                parse_number(&self.src[token.range()])
                    .map(Operand::Number)
                    .ok_or(SyntaxError)
            }
            c if is_regular(c) => {
                let token = self.regular_token();
                match &self.src[token.range()] {
                    b"true" => Ok(Operand::Bool(true)),
                    b"false" => Ok(Operand::Bool(false)),
                    b"null" => Ok(Operand::Null),
                    _ => Err(SyntaxError),
                }
            }
            // `)`, `>`, `]`, `{`, `}` out of place.
            _ => Err(SyntaxError),
        }
    }

    /// Appends to the byte buffer unless the value is being skipped.
    fn keep(&mut self, slot: Slot, bytes: &[u8]) {
        if slot != Slot::Skipped {
            self.bytes.extend_from_slice(bytes);
        }
    }

    fn span_from(&self, start: usize) -> Span {
        Span {
            start: start as u32,
            end: self.bytes.len() as u32,
        }
    }

    /// A name after its `/`: regular characters, `#xx` standing for one byte. A `#` not
    /// followed by two hex digits is kept as it is.
    fn read_name(&mut self, slot: Slot) -> Span {
        let start = self.bytes.len();
        let token = self.regular_token();
        let raw = &self.src[token.range()];
        if slot == Slot::Skipped {
            return self.span_from(start);
        }
        let mut i = 0;
        while let Some(offset) = raw[i..].iter().position(|&c| c == b'#') {
            self.bytes.extend_from_slice(&raw[i..i + offset]);
            i += offset;
            let escaped = raw
                .get(i + 1..i + 3)
                .and_then(|h| Some((hex_value(h[0])? << 4) | hex_value(h[1])?));
            match escaped {
                Some(byte) => {
                    self.bytes.push(byte);
                    i += 3;
                }
                None => {
                    self.bytes.push(b'#');
                    i += 1;
                }
            }
        }
        self.bytes.extend_from_slice(&raw[i..]);
        self.span_from(start)
    }

    /// A literal string after its `(`: balanced parentheses are part of it, escapes are
    /// decoded and an unescaped end of line (CR, LF or CR LF) reads as LF (7.3.4.2).
    fn read_literal_string(&mut self, slot: Slot) -> Result<Span, SyntaxError> {
        let start = self.bytes.len();
        let mut open = 0usize;
        loop {
            let rest = &self.src[self.pos..];
            let plain = rest
                .iter()
                .position(|&c| matches!(c, b'(' | b')' | b'\\' | b'\r'))
                .ok_or(SyntaxError)?;
            self.keep(slot, &rest[..plain]);
            self.pos += plain;
            let c = self.src[self.pos];
            self.pos += 1;
            match c {
                b'(' => {
                    open += 1;
                    self.keep(slot, b"(");
                }
                b')' if open == 0 => return Ok(self.span_from(start)),
                b')' => {
                    open -= 1;
                    self.keep(slot, b")");
                }
                b'\r' => {
                    if self.src.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.keep(slot, b"\n");
                }
                _ => {
                    if let Some(byte) = self.read_escape()? {
                        self.keep(slot, &[byte]);
                    }
                }
            }
        }
    }

    /// The escape after a backslash in a literal string; `None` for a line continuation.
    fn read_escape(&mut self) -> Result<Option<u8>, SyntaxError> {
        let &c = self.src.get(self.pos).ok_or(SyntaxError)?;
        self.pos += 1;
        Ok(match c {
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'b' => Some(b'\x08'),
            b'f' => Some(b'\x0C'),
            b'0'..=b'7' => {
                // Up to three octal digits; overflow past a byte is ignored (7.3.4.2).
                let mut value = u16::from(c - b'0');
                for _ in 0..2 {
                    match self.src.get(self.pos) {
                        Some(&d @ b'0'..=b'7') => {
                            value = value * 8 + u16::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                Some(value as u8)
            }
            b'\r' => {
                if self.src.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
                None
            }
            b'\n' => None,
            // `\(`, `\)`, `\\`, and any other character stands for itself.
            other => Some(other),
        })
    }

    /// A hexadecimal string after its `<`: white space is ignored and an odd final digit
    /// is followed by an implied 0 (7.3.4.3).
    fn read_hex_string(&mut self, slot: Slot) -> Result<Span, SyntaxError> {
        let start = self.bytes.len();
        let mut high: Option<u8> = None;
        loop {
            let &c = self.src.get(self.pos).ok_or(SyntaxError)?;
            self.pos += 1;
            if c == b'>' {
                break;
            }
            if is_whitespace(c) {
                continue;
            }
            let digit = hex_value(c).ok_or(SyntaxError)?;
            match high.take() {
                None => high = Some(digit),
                Some(h) => self.keep(slot, &[(h << 4) | digit]),
            }
        }
        if let Some(h) = high {
            self.keep(slot, &[h << 4]);
        }
        Ok(self.span_from(start))
    }

    /// An array after its `[`. A top-level operand array keeps its elements (contiguous,
    /// since anything nested in it is skipped); deeper arrays are skipped.
    fn read_array(&mut self, slot: Slot, depth: usize) -> Result<Operand, SyntaxError> {
        if depth > MAX_NESTING {
            return Err(SyntaxError);
        }
        let inner = if slot == Slot::Operand {
            Slot::Element
        } else {
            Slot::Skipped
        };
        let start = self.elements.len();
        loop {
            self.skip_blanks();
            match self.src.get(self.pos) {
                None => return Err(SyntaxError),
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => {
                    let value = self.read_value(inner, depth)?;
                    if inner == Slot::Element {
                        self.elements.push(value);
                    }
                }
            }
        }
        Ok(if slot == Slot::Operand {
            Operand::Array(Span {
                start: start as u32,
                end: self.elements.len() as u32,
            })
        } else {
            Operand::Other
        })
    }

    /// A dictionary after its `<<`, up to and including `>>`; keys and values are skipped.
    fn skip_dictionary(&mut self, depth: usize) -> Result<(), SyntaxError> {
        if depth > MAX_NESTING {
            return Err(SyntaxError);
        }
        loop {
            self.skip_blanks();
            match self.src.get(self.pos) {
                None => return Err(SyntaxError),
                Some(b'>') => {
                    if self.src.get(self.pos + 1) != Some(&b'>') {
                        return Err(SyntaxError);
                    }
                    self.pos += 2;
                    return Ok(());
                }
                Some(_) => {
                    self.read_value(Slot::Skipped, depth)?;
                }
            }
        }
    }

    /// After `BI`: the image's key–value pairs up to `ID`, one white-space byte (CR LF
    /// counting as one), the binary data, and `EI` (8.9.7). Nothing is kept: images carry no
    /// text. The data's length comes from the image's size when it is unfiltered; otherwise
    /// (or when the size does not lead to `EI`) the data ends at the first `EI` that has
    /// white space before it and white space or the end of the stream after it.
    fn skip_inline_image(&mut self) -> Result<(), SyntaxError> {
        // The parameters go to the operand buffers, which the caller clears anyway.
        let first = self.operands.len();
        loop {
            self.skip_blanks();
            let &c = self.src.get(self.pos).ok_or(SyntaxError)?;
            if is_regular(c) && !starts_number(c) {
                let token = self.regular_token();
                match &self.src[token.range()] {
                    b"ID" => break,
                    b"true" => self.operands.push(Operand::Bool(true)),
                    b"false" => self.operands.push(Operand::Bool(false)),
                    b"null" => self.operands.push(Operand::Null),
                    _ => return Err(SyntaxError),
                }
            } else {
                let value = self.read_value(Slot::Operand, 0)?;
                self.operands.push(value);
            }
        }
        let data_length = self.inline_image_length(first);
        self.operands.truncate(first);
        match self.src.get(self.pos..self.pos + 2) {
            Some(b"\r\n") => self.pos += 2,
            Some([c, _]) if is_whitespace(*c) => self.pos += 1,
            _ if self.src.get(self.pos).is_some_and(|&c| is_whitespace(c)) => self.pos += 1,
            _ => {}
        }
        let data = &self.src[self.pos..];
        if let Some(length) = data_length
            && let Some(after) = data.get(length..)
        {
            let blanks = after.iter().take_while(|&&c| is_whitespace(c)).count();
            let after = &after[blanks..];
            if after.starts_with(b"EI") && after.get(2).is_none_or(|&c| !is_regular(c)) {
                self.pos += length + blanks + 2;
                return Ok(());
            }
        }
        let end = data
            .windows(3)
            .enumerate()
            .find(|&(i, w)| {
                is_whitespace(w[0])
                    && &w[1..] == b"EI"
                    && data.get(i + 3).is_none_or(|&c| is_whitespace(c))
            })
            .map(|(i, _)| i + 3)
            .ok_or(SyntaxError)?;
        self.pos += end;
        Ok(())
    }

    /// The byte length of an unfiltered inline image whose parameters (key, value pairs)
    /// start at operand `first`, when they determine it.
    fn inline_image_length(&self, first: usize) -> Option<usize> {
        let params = &self.operands[first..];
        let get = |short: &[u8], long: &[u8]| {
            params.chunks_exact(2).find_map(|pair| match pair[0] {
                Operand::Name(key) if [short, long].contains(&&self.bytes[key.range()]) => {
                    Some(pair[1])
                }
                _ => None,
            })
        };
        let size = |short: &[u8], long: &[u8]| match get(short, long)? {
            Operand::Number(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e9 => Some(v as usize),
            _ => None,
        };
        if get(b"F", b"Filter").is_some() {
            return None;
        }
        let mask = get(b"IM", b"ImageMask") == Some(Operand::Bool(true));
        let (width, height) = (size(b"W", b"Width")?, size(b"H", b"Height")?);
        let bits = match size(b"BPC", b"BitsPerComponent") {
            None if mask => 1,
            bits => bits?,
        };
        let colours = if mask {
            1
        } else {
            match get(b"CS", b"ColorSpace")? {
                Operand::Name(name) => match &self.bytes[name.range()] {
                    b"G" | b"DeviceGray" | b"Gray" | b"I" | b"Indexed" => 1,
                    b"RGB" | b"DeviceRGB" => 3,
                    b"CMYK" | b"DeviceCMYK" => 4,
                    _ => return None,
                },
                // An indexed colour space ([/I base hival lookup]) has one component.
                Operand::Array(elements) => match self.elements.get(elements.range())?.first()? {
                    Operand::Name(n) if matches!(&self.bytes[n.range()], b"I" | b"Indexed") => 1,
                    _ => return None,
                },
                _ => return None,
            }
        };
        width
            .checked_mul(bits)?
            .checked_mul(colours)?
            .div_ceil(8)
            .checked_mul(height)
    }
}
