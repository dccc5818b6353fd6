//! A content-stream tokenizer (ISO 32000-1 7.2–7.3, 8.9.7) that yields each operator with its
//! operands, for the text interpreter in [`crate::pdf`].
//!
//! It replaces lopdf's content decoder, which allocated an `Object` per operand and a `String`
//! per operator and took about a third of a parse. Here the operands of one operation live in
//! buffers that are reused for the next one, so a page decodes without allocating once they
//! have grown. Only what text extraction reads is kept: numbers, names, strings and the
//! elements of a top-level array (`TJ`); dictionaries, nested arrays and inline image data
//! are skipped over and stand as [`Operand::Other`].
//!
//! The input is untrusted: every step advances or stops, nesting is capped, and a syntax
//! error ends the stream (as it did with lopdf), so no input panics or loops.

/// Arrays and dictionaries nested deeper than this end the stream; real content nests one or
/// two deep (a `TJ` array, a marked-content property list).
const MAX_NESTING: usize = 32;

/// Where an operand's bytes are in [`Operation`]'s byte buffer, or an array's elements in its
/// element list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
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

/// One operator and its operands, borrowed from the [`Operations`] that decoded it.
#[derive(Debug, Clone, Copy)]
pub struct Operation<'l> {
    pub operator: &'l [u8],
    pub operands: &'l [Operand],
    elements: &'l [Operand],
    bytes: &'l [u8],
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

/// Decodes a content stream one operation at a time; see the module documentation.
pub struct Operations<'a> {
    src: &'a [u8],
    pos: usize,
    finished: bool,
    operands: Vec<Operand>,
    elements: Vec<Operand>,
    bytes: Vec<u8>,
}

#[inline]
fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0C')
}

#[inline]
fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

#[inline]
fn is_regular(c: u8) -> bool {
    !is_whitespace(c) && !is_delimiter(c)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A regular-character token that starts like a number (`+ - . 0-9`) read as one: an integer,
/// or a real with one point. Like lopdf (and pdf.js, Poppler), a `-` inside the fraction, as
/// in `0.00-4142502`, is ignored rather than splitting the number.
fn parse_number(token: &[u8]) -> Option<f32> {
    let (negative, body) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, token),
    };
    let int_len = body.iter().take_while(|c| c.is_ascii_digit()).count();
    let (int_digits, rest) = body.split_at(int_len);
    if rest.is_empty() {
        // An integer: exact in i64, then converted as lopdf's `as_float` converts.
        if int_digits.is_empty() {
            return None;
        }
        let magnitude = int_digits.iter().try_fold(0i64, |value, &d| {
            value.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })?;
        return Some(if negative { -magnitude } else { magnitude } as f32);
    }
    let fraction = rest.strip_prefix(b".")?;
    if !fraction.iter().all(|&c| c.is_ascii_digit() || c == b'-')
        || (int_digits.is_empty() && !fraction.first().is_some_and(u8::is_ascii_digit))
    {
        return None;
    }
    if let Some(value) = exact_real(negative, int_digits, fraction) {
        return Some(value);
    }
    // The grammar is checked above, so the standard parser (correctly rounded, as lopdf's)
    // sees only digits, a point and a sign.
    if fraction.contains(&b'-') {
        let cleaned: String = token
            .iter()
            .enumerate()
            .filter(|&(i, &c)| i == 0 || c != b'-')
            .map(|(_, &c)| c as char)
            .collect();
        return cleaned.parse().ok();
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// Powers of ten that f32 holds exactly (5^10 < 2^24).
const EXACT_POWERS_OF_TEN: [f32; 11] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

/// A real as `digits / 10^k` in one f32 division, when both are exact in f32: IEEE division
/// rounds correctly, so this equals the standard parser's result without its cost. Content
/// numbers (`12.5`, `-0.0417`) nearly always qualify.
fn exact_real(negative: bool, int_digits: &[u8], fraction: &[u8]) -> Option<f32> {
    if int_digits.len() + fraction.len() > 9 || fraction.len() >= EXACT_POWERS_OF_TEN.len() {
        return None;
    }
    let mut mantissa = 0u32;
    for &d in int_digits.iter().chain(fraction) {
        if !d.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa * 10 + u32::from(d - b'0');
    }
    if mantissa >= 1 << 24 {
        return None;
    }
    let magnitude = mantissa as f32 / EXACT_POWERS_OF_TEN[fraction.len()];
    Some(if negative { -magnitude } else { magnitude })
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

#[inline]
fn starts_number(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.')
}

/// An operation decoded by lopdf, in this module's shape, so tests can check that the two
/// decoders give the interpreter the same operands.
#[cfg(test)]
pub(crate) struct LopdfOperation {
    operator: Vec<u8>,
    operands: Vec<Operand>,
    elements: Vec<Operand>,
    bytes: Vec<u8>,
}

#[cfg(test)]
impl LopdfOperation {
    pub(crate) fn new(op: &lopdf::content::Operation) -> Self {
        let mut out = LopdfOperation {
            operator: op.operator.as_bytes().to_vec(),
            operands: Vec::new(),
            elements: Vec::new(),
            bytes: Vec::new(),
        };
        for object in &op.operands {
            let operand = match object {
                lopdf::Object::Array(items) => {
                    let start = out.elements.len() as u32;
                    for item in items {
                        let element = match item {
                            lopdf::Object::Array(_) => Operand::Other,
                            other => out.convert(other),
                        };
                        out.elements.push(element);
                    }
                    let end = out.elements.len() as u32;
                    Operand::Array(Span { start, end })
                }
                other => out.convert(other),
            };
            out.operands.push(operand);
        }
        out
    }

    fn convert(&mut self, object: &lopdf::Object) -> Operand {
        use lopdf::Object;
        let mut keep = |bytes: &[u8]| {
            let start = self.bytes.len() as u32;
            self.bytes.extend_from_slice(bytes);
            Span {
                start,
                end: self.bytes.len() as u32,
            }
        };
        match object {
            Object::Integer(i) => Operand::Number(*i as f32),
            Object::Real(r) => Operand::Number(*r),
            Object::Name(n) => Operand::Name(keep(n)),
            Object::String(s, _) => Operand::String(keep(s)),
            Object::Boolean(b) => Operand::Bool(*b),
            Object::Null => Operand::Null,
            _ => Operand::Other,
        }
    }

    pub(crate) fn operation(&self) -> Operation<'_> {
        Operation {
            operator: &self.operator,
            operands: &self.operands,
            elements: &self.elements,
            bytes: &self.bytes,
        }
    }
}

/// An operation as text (operands decoded), for tests comparing decoders. `BI` is shown
/// without operands: lopdf gives it the image, which this module skips.
#[cfg(test)]
pub(crate) fn describe(op: &Operation) -> String {
    fn value(op: &Operation, operand: &Operand) -> String {
        match *operand {
            Operand::Name(s) => format!("/{}", String::from_utf8_lossy(op.bytes(s))),
            Operand::String(s) => format!("({:?})", op.bytes(s)),
            Operand::Array(s) => {
                let items: Vec<String> = op.elements(s).iter().map(|e| value(op, e)).collect();
                format!("[{}]", items.join(" "))
            }
            other => format!("{other:?}"),
        }
    }
    let operator = String::from_utf8_lossy(op.operator);
    if operator == "BI" {
        return operator.into_owned();
    }
    let operands: Vec<String> = op.operands.iter().map(|o| value(op, o)).collect();
    format!("{} {operator}", operands.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let ops =
            decode(b"/Span <</ActualText (\\)>>) /K [1 <</X <<>>>>] /Y <abc>>> BDC (x) Tj EMC");
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
}
