//! `/ToUnicode` CMaps (ISO 32000-1 9.10.3, Adobe TN 5411): shown codes of 1–4 bytes to
//! UTF-16 text. Ranges are kept as ranges (a `<0000> <FFFFFFFF>` bfrange is one entry, never
//! expanded), and entries are capped, so a hostile map costs at most its own size.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::cmap_tokens::{Token, Tokens, hex_bytes};
use crate::pdf::limits::{MAX_CMAP_CODESPACES, MAX_CMAP_MAPPINGS};

/// A parsed `/ToUnicode` map.
#[derive(Debug, Default)]
pub(in crate::pdf) struct ToUnicode {
    codespace: Vec<Codespace>,
    /// Per code length (1–4 bytes): disjoint ranges sorted by start, later entries of the
    /// file having won where entries overlapped.
    segments: [Vec<Segment>; 4],
    mappings: Vec<Mapping>,
    /// Destination strings: (start in `units`, length).
    strings: Vec<(u32, u16)>,
    /// UTF-16 code units of every destination string.
    units: Vec<u16>,
}

/// A `begincodespacerange` entry: codes of `len` bytes, each byte within its bounds.
#[derive(Debug)]
struct Codespace {
    len: usize,
    low: [u8; 4],
    high: [u8; 4],
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    start: u32,
    end: u32,
    mapping: u32,
}

#[derive(Debug)]
struct Mapping {
    len: usize,
    start: u32,
    end: u32,
    dest: Dest,
}

#[derive(Debug)]
enum Dest {
    /// `start`'s string; each later code adds one to its last unit (bfchar, bfrange).
    Increment(u32),
    /// One string per code, from this index of `strings` on (bfrange with an array).
    Array(u32),
}

impl ToUnicode {
    /// The map a CMap file defines; `None` when it maps nothing (garbage, or empty).
    pub(in crate::pdf) fn parse(data: &[u8]) -> Option<ToUnicode> {
        let mut map = ToUnicode::default();
        let mut tokens = Tokens::new(data);
        while let Some(token) = tokens.next() {
            match token {
                Token::Word(b"begincodespacerange") => map.codespace_block(&mut tokens),
                Token::Word(b"beginbfchar") => map.bfchar_block(&mut tokens),
                Token::Word(b"beginbfrange") => map.bfrange_block(&mut tokens),
                // usecmap and everything else: ignored.
                _ => {}
            }
        }
        if map.mappings.is_empty() {
            return None;
        }
        map.build_segments();
        Some(map)
    }

    fn codespace_block(&mut self, tokens: &mut Tokens) {
        while let Some(token) = tokens.next() {
            match token {
                Token::Word(b"endcodespacerange") => return,
                Token::Hex(low) => {
                    let Some(Token::Hex(high)) = tokens.next() else {
                        continue;
                    };
                    if let (Some((low, n)), Some((high, m))) = (source_code(low), source_code(high))
                        && n == m
                        && self.codespace.len() < MAX_CMAP_CODESPACES
                    {
                        self.codespace.push(Codespace {
                            len: n,
                            low: low.to_be_bytes(),
                            high: high.to_be_bytes(),
                        });
                    }
                }
                _ => {}
            }
        }
    }

    fn bfchar_block(&mut self, tokens: &mut Tokens) {
        while let Some(token) = tokens.next() {
            match token {
                Token::Word(b"endbfchar") => return,
                Token::Hex(source) => match tokens.next() {
                    Some(Token::Hex(dest)) => {
                        if let Some((code, len)) = source_code(source) {
                            self.add_increment(len, code, code, dest);
                        }
                    }
                    Some(Token::Word(b"endbfchar")) | None => return,
                    // A name destination (a glyph, not Unicode) or junk: skipped.
                    Some(_) => {}
                },
                _ => {}
            }
        }
    }

    fn bfrange_block(&mut self, tokens: &mut Tokens) {
        while let Some(token) = tokens.next() {
            let low = match token {
                Token::Word(b"endbfrange") => return,
                Token::Hex(low) => low,
                _ => continue,
            };
            let high = match tokens.next() {
                Some(Token::Hex(high)) => high,
                Some(Token::Word(b"endbfrange")) | None => return,
                Some(_) => continue,
            };
            let range = match (source_code(low), source_code(high)) {
                (Some((start, n)), Some((end, m))) if n == m && start <= end => {
                    Some((n, start, end))
                }
                _ => None,
            };
            match tokens.next() {
                Some(Token::Hex(dest)) => {
                    if let Some((len, start, end)) = range {
                        self.add_increment(len, start, end, dest);
                    }
                }
                Some(Token::ArrayStart) => {
                    let first = self.strings.len();
                    loop {
                        match tokens.next() {
                            Some(Token::Hex(dest)) => {
                                if range.is_some() && self.strings.len() < MAX_CMAP_MAPPINGS {
                                    self.add_string(dest);
                                }
                            }
                            Some(Token::ArrayEnd) => break,
                            Some(Token::Word(b"endbfrange")) | None => return,
                            Some(_) => {}
                        }
                    }
                    let count = self.strings.len() - first;
                    if let (Some((len, start, end)), Some(last)) = (range, count.checked_sub(1)) {
                        // Codes past the array's end have no string: leave them unmapped.
                        let end = u32::try_from(last)
                            .ok()
                            .and_then(|last| start.checked_add(last))
                            .map_or(end, |array_end| array_end.min(end));
                        if let Ok(first) = u32::try_from(first) {
                            self.add_mapping(len, start, end, Dest::Array(first));
                        }
                    }
                }
                Some(Token::Word(b"endbfrange")) | None => return,
                Some(_) => {}
            }
        }
    }

    fn add_increment(&mut self, len: usize, start: u32, end: u32, dest: &[u8]) {
        if self.mappings.len() >= MAX_CMAP_MAPPINGS || self.strings.len() >= MAX_CMAP_MAPPINGS {
            return;
        }
        let Ok(string) = u32::try_from(self.strings.len()) else {
            return;
        };
        if self.add_string(dest).is_some() {
            self.add_mapping(len, start, end, Dest::Increment(string));
        }
    }

    /// Stores a destination string, UTF-16BE (an odd byte count is read with a leading zero
    /// byte, so `<41>` is U+0041). Returns `None`, storing nothing, when it is not hex.
    fn add_string(&mut self, hex: &[u8]) -> Option<()> {
        let mut bytes = Vec::with_capacity(hex.len() / 2 + 1);
        hex_bytes(hex, &mut bytes)?;
        if bytes.len() % 2 == 1 {
            bytes.insert(0, 0);
        }
        let start = u32::try_from(self.units.len()).ok()?;
        let count = u16::try_from(bytes.len() / 2).ok()?;
        self.units
            .extend(bytes.chunks_exact(2).filter_map(|pair| match *pair {
                [high, low] => Some(u16::from_be_bytes([high, low])),
                _ => None,
            }));
        self.strings.push((start, count));
        Some(())
    }

    fn add_mapping(&mut self, len: usize, start: u32, end: u32, dest: Dest) {
        if self.mappings.len() < MAX_CMAP_MAPPINGS {
            self.mappings.push(Mapping {
                len,
                start,
                end,
                dest,
            });
        }
    }

    /// Turns the file's entries into disjoint ranges per code length, a later entry winning
    /// where two overlap (as a map filled in file order would have it): a sweep over the
    /// entries by start, with a heap of the ones covering the current code, latest on top.
    fn build_segments(&mut self) {
        for len in 1..=4 {
            let mut order: Vec<u32> = (0..self.mappings.len())
                .filter_map(|i| u32::try_from(i).ok())
                .filter(|&i| self.mapping(i).is_some_and(|m| m.len == len))
                .collect();
            order.sort_by_key(|&i| self.mapping(i).map_or(0, |m| m.start));
            let mut segments: Vec<Segment> = Vec::new();
            // Covering entries: (index, end); the highest index is the latest in the file.
            let mut covering: BinaryHeap<(u32, Reverse<u32>)> = BinaryHeap::new();
            let mut next = order.iter().peekable();
            let mut at: u64 = 0;
            loop {
                while let Some(m) = next.peek().and_then(|&&i| Some((i, self.mapping(i)?)))
                    && u64::from(m.1.start) <= at
                {
                    covering.push((m.0, Reverse(m.1.end)));
                    next.next();
                }
                while covering
                    .peek()
                    .is_some_and(|&(_, Reverse(end))| u64::from(end) < at)
                {
                    covering.pop();
                }
                let Some(&(winner, Reverse(end))) = covering.peek() else {
                    match next.peek().and_then(|&&i| self.mapping(i)) {
                        Some(m) => {
                            at = u64::from(m.start);
                            continue;
                        }
                        None => break,
                    }
                };
                let next_start = next
                    .peek()
                    .and_then(|&&i| self.mapping(i))
                    .map_or(u64::MAX, |m| u64::from(m.start));
                let seg_end = u64::from(end).min(next_start.saturating_sub(1));
                let (Ok(start), Ok(seg_end32)) = (u32::try_from(at), u32::try_from(seg_end)) else {
                    break;
                };
                match segments.last_mut() {
                    Some(last) if last.mapping == winner && u64::from(last.end) + 1 == at => {
                        last.end = seg_end32;
                    }
                    _ => segments.push(Segment {
                        start,
                        end: seg_end32,
                        mapping: winner,
                    }),
                }
                at = seg_end + 1;
            }
            if let Some(slot) = self.segments.get_mut(len - 1) {
                *slot = segments;
            }
        }
    }

    fn mapping(&self, i: u32) -> Option<&Mapping> {
        self.mappings.get(usize::try_from(i).ok()?)
    }

    /// The mapping of the `len`-byte code `code`.
    fn lookup(&self, len: usize, code: u32) -> Option<(&Mapping, u32)> {
        let segments = self.segments.get(len.checked_sub(1)?)?;
        let i = segments
            .partition_point(|s| s.start <= code)
            .checked_sub(1)?;
        let segment = segments.get(i)?;
        (code <= segment.end).then_some(())?;
        Some((self.mapping(segment.mapping)?, code))
    }

    /// How many bytes the code at the start of `bytes` has, and its mapping if any. With a
    /// codespace, the shortest length whose range holds the bytes (9.7.6.2); without one, the
    /// shortest length with a mapping. A code matching nothing takes the shortest length used.
    fn next_code(&self, bytes: &[u8]) -> (usize, Option<(&Mapping, u32)>) {
        let max = bytes.len().min(4);
        if self.codespace.is_empty() {
            for len in 1..=max {
                if let Some(found) = self.lookup(len, code_value(bytes, len)) {
                    return (len, Some(found));
                }
            }
            let shortest = (1..=4)
                .find(|&len| self.segments.get(len - 1).is_some_and(|s| !s.is_empty()))
                .unwrap_or(1);
            return (shortest.min(max), None);
        }
        for len in 1..=max {
            let in_range = self.codespace.iter().any(|r| {
                r.len == len
                    && bytes.iter().take(len).enumerate().all(|(i, &b)| {
                        let k = 4 - len + i;
                        let (low, high) = (r.low.get(k), r.high.get(k));
                        low.is_some_and(|&l| l <= b) && high.is_some_and(|&h| b <= h)
                    })
            });
            if in_range {
                return (len, self.lookup(len, code_value(bytes, len)));
            }
        }
        let shortest = self.codespace.iter().map(|r| r.len).min().unwrap_or(1);
        (shortest.clamp(1, max.max(1)), None)
    }

    /// Appends the text of `bytes`, code by code; a code without a mapping shows U+FFFD.
    /// Returns whether every code had a mapping to valid UTF-16.
    pub(in crate::pdf) fn decode_into(&self, mut bytes: &[u8], out: &mut String) -> bool {
        let mut clean = true;
        while !bytes.is_empty() {
            let (len, found) = self.next_code(bytes);
            match found {
                Some((mapping, code)) => clean &= self.push_text(mapping, code, out),
                None => {
                    out.push(char::REPLACEMENT_CHARACTER);
                    clean = false;
                }
            }
            bytes = bytes.get(len.max(1)..).unwrap_or_default();
        }
        clean
    }

    fn push_text(&self, mapping: &Mapping, code: u32, out: &mut String) -> bool {
        let offset = code.wrapping_sub(mapping.start);
        let (string, increment) = match mapping.dest {
            Dest::Increment(string) => (Some(string), offset),
            Dest::Array(first) => (first.checked_add(offset), 0),
        };
        let Some(&(start, count)) = string.and_then(|s| self.strings.get(usize::try_from(s).ok()?))
        else {
            out.push(char::REPLACEMENT_CHARACTER);
            return false;
        };
        let units = usize::try_from(start)
            .ok()
            .and_then(|start| {
                self.units
                    .get(start..start.checked_add(usize::from(count))?)
            })
            .unwrap_or_default();
        // bfrange: the last unit counts up from the first code's (TN 5411).
        let last = units.len().saturating_sub(1);
        let units = units.iter().enumerate().map(|(i, &u)| {
            if i == last {
                u.wrapping_add(increment as u16)
            } else {
                u
            }
        });
        let mut clean = true;
        for c in char::decode_utf16(units) {
            out.push(c.unwrap_or_else(|_| {
                clean = false;
                char::REPLACEMENT_CHARACTER
            }));
        }
        clean
    }
}

/// A source code's value and byte length (1–4), from its hex string.
fn source_code(hex: &[u8]) -> Option<(u32, usize)> {
    let mut bytes = Vec::with_capacity(4);
    hex_bytes(hex, &mut bytes)?;
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    Some((code_value(&bytes, bytes.len()), bytes.len()))
}

/// The first `len` bytes of `bytes` as a big-endian number.
fn code_value(bytes: &[u8], len: usize) -> u32 {
    bytes
        .iter()
        .take(len)
        .fold(0u32, |value, &b| value << 8 | u32::from(b))
}
