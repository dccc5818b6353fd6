//! The tokens of a CMap file (a PostScript program; Adobe TN 5014 and 5411), as far as a
//! `/ToUnicode` map needs them: hex strings, names, words, array brackets. Everything else
//! (dictionaries, literal strings, procedures, comments) is skipped.

#[derive(Debug, PartialEq)]
pub(super) enum Token<'a> {
    /// The bytes between `<` and `>`, still hex (and possibly spaced).
    Hex(&'a [u8]),
    Name(&'a [u8]),
    /// A keyword, operator or number.
    Word(&'a [u8]),
    ArrayStart,
    ArrayEnd,
    /// A literal string, a dictionary bracket, a brace or a stray delimiter.
    Other,
}

pub(super) struct Tokens<'a> {
    data: &'a [u8],
    pos: usize,
}

fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl<'a> Tokens<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Tokens { data, pos: 0 }
    }

    fn peek(&self, at: usize) -> Option<u8> {
        self.data.get(self.pos.checked_add(at)?).copied()
    }

    /// Bytes from `pos` up to (not including) the first where `stop` holds, and moves past them.
    fn take_until(&mut self, stop: impl Fn(u8) -> bool) -> &'a [u8] {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let n = rest.iter().position(|&b| stop(b)).unwrap_or(rest.len());
        self.pos += n;
        rest.get(..n).unwrap_or_default()
    }

    fn skip_white_and_comments(&mut self) {
        while let Some(b) = self.peek(0) {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                self.take_until(|b| b == b'\n' || b == b'\r');
            } else {
                break;
            }
        }
    }

    /// Skips a literal string, `(` already consumed: balanced parentheses, `\` escapes.
    fn skip_literal_string(&mut self) {
        let mut depth = 1usize;
        while let Some(b) = self.peek(0) {
            self.pos += 1;
            match b {
                b'\\' => self.pos += usize::from(self.peek(0).is_some()),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        self.skip_white_and_comments();
        let b = self.peek(0)?;
        Some(match b {
            b'<' if self.peek(1) == Some(b'<') => {
                self.pos += 2;
                Token::Other
            }
            b'<' => {
                self.pos += 1;
                let hex = self.take_until(|b| b == b'>');
                // An unterminated string ends the input.
                self.peek(0)?;
                self.pos += 1;
                Token::Hex(hex)
            }
            b'>' => {
                self.pos += if self.peek(1) == Some(b'>') { 2 } else { 1 };
                Token::Other
            }
            b'[' => {
                self.pos += 1;
                Token::ArrayStart
            }
            b']' => {
                self.pos += 1;
                Token::ArrayEnd
            }
            b'(' => {
                self.pos += 1;
                self.skip_literal_string();
                Token::Other
            }
            b'/' => {
                self.pos += 1;
                Token::Name(self.take_until(|b| is_white(b) || is_delimiter(b)))
            }
            _ if is_delimiter(b) => {
                self.pos += 1;
                Token::Other
            }
            _ => Token::Word(self.take_until(|b| is_white(b) || is_delimiter(b))),
        })
    }
}

/// Appends the bytes a hex string's digits spell (white space ignored, a last odd digit
/// followed by 0 as in ISO 32000-1 7.3.4.3); `None` when a character is not a hex digit.
pub(super) fn hex_bytes(hex: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut high: Option<u8> = None;
    for &c in hex {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ if is_white(c) => continue,
            _ => return None,
        };
        match high.take() {
            Some(h) => out.push(h << 4 | digit),
            None => high = Some(digit),
        }
    }
    if let Some(h) = high {
        out.push(h << 4);
    }
    Some(())
}
