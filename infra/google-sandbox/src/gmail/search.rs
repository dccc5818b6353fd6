//! Gmail's search language (`q` of `users.messages.list`), the subset clients
//! of this service use: `from:` `to:` `cc:` `subject:` `has:attachment`
//! `filename:` `after:` `before:` (and their `newer:`/`older:` aliases),
//! `in:`/`label:` inbox, bare words, `"quoted phrases"`, `OR`, `{a b}` (OR of
//! its items), parentheses, `-` negation and implicit AND.
//!
//! Precedence follows Gmail: `OR` binds tighter than the implicit AND, so
//! `a b OR c` means `a AND (b OR c)`. Unknown operators are bare words (Gmail
//! searches `foo:bar` as text). Nothing in here panics: every query, however
//! malformed, parses to *some* expression, as Gmail never rejects a `q`.

use chrono::{NaiveDate, TimeZone, Utc};

/// Nesting deeper than this is flattened: the parser recurses per level, and
/// a URL full of `(` must not overflow the stack.
const MAX_DEPTH: usize = 32;

/// What a message exposes to search; filled in by the mailbox index.
#[derive(Debug, Clone, Default)]
pub struct Searchable {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub subject: String,
    /// Decoded text of the body parts (HTML with tags removed).
    pub body: String,
    /// Any attachment, named or not (an unnamed PDF still counts).
    pub has_attachment: bool,
    pub filenames: Vec<String>,
    pub internal_date_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every child matches; `And(vec![])` matches everything (an empty query).
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// Case-insensitive substring of the header (address or display name).
    From(String),
    To(String),
    Cc(String),
    /// Words (a phrase when several) in the Subject.
    Subject(Vec<String>),
    HasAttachment,
    /// `has:` with a value this sandbox has no data for (drive, youtube, ...).
    HasOther,
    /// Case-insensitive substring of an attachment's file name.
    Filename(String),
    /// `internalDate >= ms`.
    After(i64),
    /// `internalDate < ms`.
    Before(i64),
    /// `in:`/`label:`: every sandbox message is in the inbox and nothing else.
    InInbox(bool),
    /// Words (a phrase when several) anywhere: subject, from, to, body,
    /// attachment names.
    Text(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    LParen,
    RParen,
    LBrace,
    RBrace,
    Or,
    /// A leading `-` that applies to what follows.
    Minus,
    /// `op:value` (op lowercased) or a bare word/phrase (`op` is None).
    Word {
        op: Option<String>,
        value: String,
        quoted: bool,
    },
}

/// Splits on whitespace and the grouping characters, keeping `"..."` together
/// (also after `op:`, as in `subject:"quarterly report"`).
fn tokenize(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::LParen);
                i += 1;
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1;
            }
            '{' => {
                tokens.push(Token::LBrace);
                i += 1;
            }
            '}' => {
                tokens.push(Token::RBrace);
                i += 1;
            }
            '-' if chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != '-') =>
            {
                tokens.push(Token::Minus);
                i += 1;
            }
            '"' => {
                let (phrase, next) = read_quoted(&chars, i + 1);
                tokens.push(Token::Word {
                    op: None,
                    value: phrase,
                    quoted: true,
                });
                i = next;
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '(' | ')' | '{' | '}' | '"')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if word == "OR" || word == "|" {
                    tokens.push(Token::Or);
                    continue;
                }
                if word == "AND" {
                    // Explicit AND is the same as juxtaposition.
                    continue;
                }
                match word.split_once(':') {
                    Some((op, rest)) if !op.is_empty() => {
                        let op = op.to_ascii_lowercase();
                        // `op:"a phrase"` / `op:(a b)` values.
                        if rest.is_empty() && chars.get(i) == Some(&'"') {
                            let (phrase, next) = read_quoted(&chars, i + 1);
                            i = next;
                            tokens.push(Token::Word {
                                op: Some(op),
                                value: phrase,
                                quoted: true,
                            });
                        } else {
                            tokens.push(Token::Word {
                                op: Some(op),
                                value: rest.to_string(),
                                quoted: false,
                            });
                        }
                    }
                    _ => tokens.push(Token::Word {
                        op: None,
                        value: word,
                        quoted: false,
                    }),
                }
            }
        }
    }
    tokens
}

/// Reads up to the closing quote (or the end: an unclosed quote runs to the
/// end of the query). Returns the phrase and the index after it.
fn read_quoted(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start;
    while i < chars.len() && chars[i] != '"' {
        i += 1;
    }
    let phrase: String = chars[start.min(i)..i].iter().collect();
    (phrase, (i + 1).min(chars.len()))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

/// Parses a Gmail query. Never fails: stray closers are skipped, unclosed
/// groups end at the end of the query, a dangling `OR` is ignored.
pub fn parse(query: &str) -> Expr {
    let mut parser = Parser {
        tokens: tokenize(query),
        pos: 0,
    };
    let mut items = Vec::new();
    while parser.pos < parser.tokens.len() {
        let mut seq = parser.sequence(0);
        items.append(&mut seq);
        // `sequence` stops at a closer that has no opener here: skip it.
        parser.pos += 1;
    }
    simplify_and(items)
}

fn simplify_and(mut items: Vec<Expr>) -> Expr {
    if items.len() == 1 {
        items.pop().unwrap_or(Expr::And(Vec::new()))
    } else {
        Expr::And(items)
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// Implicitly ANDed `or_expr`s up to a closer or the end.
    fn sequence(&mut self, depth: usize) -> Vec<Expr> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some(Token::RParen) | Some(Token::RBrace) => return items,
                Some(Token::Or) => {
                    // OR with nothing on its left: ignore it.
                    self.pos += 1;
                }
                Some(_) => {
                    if let Some(expr) = self.or_expr(depth) {
                        items.push(expr);
                    }
                }
            }
        }
    }

    /// `unary (OR unary)*`.
    fn or_expr(&mut self, depth: usize) -> Option<Expr> {
        let first = self.unary(depth)?;
        let mut alternatives = vec![first];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            match self.peek() {
                None | Some(Token::RParen) | Some(Token::RBrace) | Some(Token::Or) => break,
                Some(_) => {
                    if let Some(next) = self.unary(depth) {
                        alternatives.push(next);
                    }
                }
            }
        }
        Some(if alternatives.len() == 1 {
            alternatives.pop()?
        } else {
            Expr::Or(alternatives)
        })
    }

    /// `-unary | (sequence) | {unary*} | word`. None only when it consumed
    /// nothing meaningful (e.g. a `-` at the very end).
    fn unary(&mut self, depth: usize) -> Option<Expr> {
        let token = self.peek()?.clone();
        self.pos += 1;
        match token {
            Token::Minus => match self.peek() {
                None | Some(Token::RParen) | Some(Token::RBrace) | Some(Token::Or) => None,
                Some(_) => self.unary(depth).map(|e| Expr::Not(Box::new(e))),
            },
            Token::LParen if depth < MAX_DEPTH => {
                let items = self.sequence(depth + 1);
                if self.peek() == Some(&Token::RParen) {
                    self.pos += 1;
                }
                Some(simplify_and(items))
            }
            Token::LBrace if depth < MAX_DEPTH => {
                let items = self.sequence(depth + 1);
                if self.peek() == Some(&Token::RBrace) {
                    self.pos += 1;
                }
                Some(Expr::Or(items))
            }
            // Too deep: the opener is ignored and its contents join the
            // enclosing group.
            Token::LParen | Token::LBrace => Some(Expr::And(Vec::new())),
            Token::RParen | Token::RBrace | Token::Or => None,
            Token::Word { op, value, quoted } => Some(Expr::Term(term(op, value, quoted))),
        }
    }
}

fn term(op: Option<String>, value: String, quoted: bool) -> Term {
    let bare = |op: &str, value: &str| {
        let text = if op.is_empty() {
            value.to_string()
        } else {
            format!("{op}:{value}")
        };
        Term::Text(words(&text))
    };
    let Some(op) = op else {
        return Term::Text(words(&value));
    };
    let lower = value.to_lowercase();
    match op.as_str() {
        "from" => Term::From(lower),
        "to" => Term::To(lower),
        "cc" => Term::Cc(lower),
        "subject" => Term::Subject(words(&value)),
        "has" if lower == "attachment" => Term::HasAttachment,
        "has" => Term::HasOther,
        "filename" => Term::Filename(lower),
        "in" | "label" => Term::InInbox(matches!(lower.as_str(), "inbox" | "anywhere" | "all")),
        "after" | "newer" => match parse_date(&value) {
            Some(ms) => Term::After(ms),
            None => bare(&op, &value),
        },
        "before" | "older" => match parse_date(&value) {
            Some(ms) => Term::Before(ms),
            None => bare(&op, &value),
        },
        _ if quoted => bare(&op, &format!("\"{value}\"")),
        _ => bare(&op, &value),
    }
}

/// `after:`/`before:` values: epoch seconds, or `YYYY/MM/DD` (also with `-`)
/// meaning midnight of that day. Gmail uses the account's time zone for
/// dates; sandbox accounts have none, so midnight is UTC. Returns ms.
fn parse_date(value: &str) -> Option<i64> {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
        return value.parse::<i64>().ok()?.checked_mul(1000);
    }
    let parts: Vec<&str> = value.split(['/', '-']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
    let midnight = date.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&midnight).timestamp_millis())
}

/// Lowercased alphanumeric runs: Gmail matches words, not substrings
/// (`subject:news` does not find "newsletter").
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `needle` occurs as consecutive words in `haystack`. An empty
/// needle (a query word of punctuation only) matches.
fn contains_words(haystack: &[String], needle: &[String]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// A message prepared for matching: lowercased fields and word lists, built
/// once per message rather than once per term.
pub struct Prepared<'a> {
    msg: &'a Searchable,
    from: String,
    to: String,
    cc: String,
    subject_words: Vec<String>,
    /// Word lists of each text field; phrases must not span two fields.
    text_fields: Vec<Vec<String>>,
    filenames: Vec<String>,
}

impl<'a> Prepared<'a> {
    pub fn new(msg: &'a Searchable) -> Self {
        let mut text_fields = vec![
            words(&msg.subject),
            words(&msg.from),
            words(&msg.to),
            words(&msg.cc),
            words(&msg.body),
        ];
        text_fields.extend(msg.filenames.iter().map(|f| words(f)));
        Prepared {
            msg,
            from: msg.from.to_lowercase(),
            to: msg.to.to_lowercase(),
            cc: msg.cc.to_lowercase(),
            subject_words: words(&msg.subject),
            text_fields,
            filenames: msg.filenames.iter().map(|f| f.to_lowercase()).collect(),
        }
    }
}

impl Expr {
    pub fn matches(&self, msg: &Prepared<'_>) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.matches(msg)),
            Expr::Or(items) => items.iter().any(|e| e.matches(msg)),
            Expr::Not(inner) => !inner.matches(msg),
            Expr::Term(term) => term.matches(msg),
        }
    }
}

impl Term {
    fn matches(&self, msg: &Prepared<'_>) -> bool {
        match self {
            Term::From(v) => msg.from.contains(v.as_str()),
            Term::To(v) => msg.to.contains(v.as_str()),
            Term::Cc(v) => msg.cc.contains(v.as_str()),
            Term::Subject(w) => contains_words(&msg.subject_words, w),
            Term::HasAttachment => msg.msg.has_attachment,
            Term::HasOther => false,
            Term::Filename(v) => msg.filenames.iter().any(|f| f.contains(v.as_str())),
            Term::After(ms) => msg.msg.internal_date_ms >= *ms,
            Term::Before(ms) => msg.msg.internal_date_ms < *ms,
            Term::InInbox(b) => *b,
            Term::Text(w) => msg.text_fields.iter().any(|f| contains_words(f, w)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Expr {
        Expr::Term(Term::Text(words(s)))
    }

    fn msg() -> Searchable {
        Searchable {
            from: "Alice Example <alice@example.com>".into(),
            to: "demo.investor@gmail.com".into(),
            cc: "Carol <carol@x.org>".into(),
            subject: "Quarterly report for Q1".into(),
            body: "Please find the statement attached. Best regards".into(),
            has_attachment: true,
            filenames: vec!["Statement-2024.PDF".into()],
            // 2024-03-15T12:00:00Z
            internal_date_ms: 1_710_504_000_000,
        }
    }

    fn hit(q: &str, m: &Searchable) -> bool {
        parse(q).matches(&Prepared::new(m))
    }

    #[test]
    fn empty_query_matches_everything() {
        assert_eq!(parse(""), Expr::And(vec![]));
        assert_eq!(parse("   "), Expr::And(vec![]));
        assert!(hit("", &msg()));
    }

    #[test]
    fn from_to_cc_are_case_insensitive_substrings() {
        let m = msg();
        assert!(hit("from:alice@example.com", &m));
        assert!(hit("from:ALICE", &m));
        assert!(hit("from:example.com", &m));
        assert!(!hit("from:bob@example.com", &m));
        assert!(hit("to:demo.investor@gmail.com", &m));
        assert!(!hit("to:alice", &m));
        assert!(hit("cc:carol", &m));
    }

    #[test]
    fn subject_matches_words_and_phrases() {
        let m = msg();
        assert!(hit("subject:quarterly", &m));
        assert!(hit("subject:REPORT", &m));
        assert!(hit("subject:\"quarterly report\"", &m));
        assert!(!hit("subject:\"report quarterly\"", &m));
        assert!(!hit("subject:quarter", &m), "words, not substrings");
        assert!(!hit("subject:regards", &m), "body is not subject");
    }

    #[test]
    fn attachments_and_filenames() {
        let m = msg();
        assert!(hit("has:attachment", &m));
        assert!(hit("filename:pdf", &m));
        assert!(hit("filename:statement-2024.pdf", &m));
        assert!(!hit("filename:docx", &m));
        assert!(!hit("has:drive", &m));
        let plain = Searchable {
            has_attachment: false,
            filenames: vec![],
            ..msg()
        };
        assert!(!hit("has:attachment", &plain));
        assert!(hit("-has:attachment", &plain));
    }

    #[test]
    fn dates_accept_epoch_seconds_and_utc_days() {
        let m = msg();
        assert!(hit("after:2024/03/15", &m));
        assert!(!hit("after:2024/03/16", &m));
        assert!(hit("before:2024/03/16", &m));
        assert!(!hit("before:2024/03/15", &m));
        assert!(hit("after:2024-01-01 before:2024-12-31", &m));
        assert!(hit("after:1710503999", &m));
        assert!(!hit("after:1710504001", &m));
        assert!(hit("older:1710504001 newer:1710503000", &m));
        assert_eq!(
            parse("after:2024/01/01"),
            Expr::Term(Term::After(1_704_067_200_000))
        );
    }

    #[test]
    fn invalid_dates_are_bare_words() {
        assert_eq!(parse("after:yesterday"), text("after yesterday"));
        assert_eq!(parse("before:2024/13/45"), text("before 2024 13 45"));
    }

    #[test]
    fn bare_words_and_phrases_search_everything() {
        let m = msg();
        assert!(hit("statement", &m));
        assert!(hit("STATEMENT attached", &m));
        assert!(hit("\"best regards\"", &m));
        assert!(!hit("\"regards best\"", &m));
        assert!(hit("alice", &m), "from");
        assert!(hit("quarterly", &m), "subject");
        assert!(hit("2024", &m), "attachment name");
        assert!(!hit("invoice", &m));
        assert!(!hit("statement invoice", &m), "implicit AND");
    }

    #[test]
    fn or_and_braces() {
        let m = msg();
        assert!(hit("invoice OR statement", &m));
        assert!(!hit("invoice OR receipt", &m));
        assert!(hit("{invoice statement}", &m));
        assert!(!hit("{invoice receipt}", &m));
        assert_eq!(parse("{a b}"), Expr::Or(vec![text("a"), text("b")]));
        // "or" in lowercase is a word, as in Gmail.
        assert_eq!(
            parse("a or b"),
            Expr::And(vec![text("a"), text("or"), text("b")])
        );
    }

    #[test]
    fn or_binds_tighter_than_and() {
        assert_eq!(
            parse("a b OR c"),
            Expr::And(vec![text("a"), Expr::Or(vec![text("b"), text("c")])])
        );
        assert_eq!(
            parse("a OR b OR c"),
            Expr::Or(vec![text("a"), text("b"), text("c")])
        );
    }

    #[test]
    fn negation() {
        let m = msg();
        assert!(!hit("-statement", &m));
        assert!(hit("-invoice", &m));
        assert!(hit("-subject:newsletter", &m));
        assert!(!hit("-(statement OR invoice)", &m));
        assert!(hit("-{invoice receipt}", &m));
        assert_eq!(parse("-a"), Expr::Not(Box::new(text("a"))));
        // A hyphen inside a word is part of the word.
        assert_eq!(parse("e-mail"), text("e mail"));
    }

    #[test]
    fn parentheses_group() {
        let m = msg();
        assert!(hit("(invoice OR statement) alice", &m));
        assert!(!hit("(invoice OR receipt) alice", &m));
        assert_eq!(
            parse("(a OR b) c"),
            Expr::And(vec![Expr::Or(vec![text("a"), text("b")]), text("c")])
        );
    }

    #[test]
    fn the_service_query_combination() {
        let q =
            "(from:a@x.com OR from:b@y.com) has:attachment after:2024/01/01 -subject:newsletter";
        let expr = parse(q);
        assert_eq!(
            expr,
            Expr::And(vec![
                Expr::Or(vec![
                    Expr::Term(Term::From("a@x.com".into())),
                    Expr::Term(Term::From("b@y.com".into())),
                ]),
                Expr::Term(Term::HasAttachment),
                Expr::Term(Term::After(1_704_067_200_000)),
                Expr::Not(Box::new(Expr::Term(Term::Subject(vec![
                    "newsletter".into()
                ])))),
            ])
        );
        let base = Searchable {
            from: "B <b@y.com>".into(),
            subject: "Your statement".into(),
            has_attachment: true,
            filenames: vec!["s.pdf".into()],
            internal_date_ms: 1_710_504_000_000,
            ..Searchable::default()
        };
        assert!(hit(q, &base));
        let other_sender = Searchable {
            from: "c@z.com".into(),
            ..base.clone()
        };
        assert!(!hit(q, &other_sender));
        let newsletter = Searchable {
            subject: "Monthly newsletter".into(),
            ..base.clone()
        };
        assert!(!hit(q, &newsletter));
        let old = Searchable {
            internal_date_ms: 1_600_000_000_000,
            ..base.clone()
        };
        assert!(!hit(q, &old));
        let no_attachment = Searchable {
            has_attachment: false,
            filenames: vec![],
            ..base
        };
        assert!(!hit(q, &no_attachment));
    }

    #[test]
    fn unknown_operators_are_bare_words() {
        assert_eq!(parse("foo:bar"), text("foo bar"));
        let m = msg();
        assert!(hit("best:regards", &m));
        assert!(hit("in:inbox", &m));
        assert!(!hit("in:spam", &m));
        assert!(hit("label:INBOX", &m));
    }

    #[test]
    fn quoted_operator_values() {
        let m = msg();
        assert!(hit("from:\"Alice Example\"", &m));
        assert!(!hit("from:\"Alice Smith\"", &m));
    }

    #[test]
    fn malformed_queries_do_not_panic() {
        let m = msg();
        for q in [
            "(",
            ")",
            "{",
            "}",
            "((a)",
            "a)",
            "OR",
            "a OR",
            "OR a",
            "-",
            "- a",
            "--a",
            "\"",
            "\"unclosed phrase",
            "from:",
            ":",
            "a:",
            ":b",
            "()",
            "{}",
            "-()",
            "a OR OR b",
            "ünïcödé:ß",
            "after:99999999999999999999999",
            "after:-1",
            ")(",
            "}{",
        ] {
            let _ = hit(q, &m);
        }
        let deep = "(".repeat(10_000) + "statement" + &")".repeat(10_000);
        assert!(hit(&deep, &m));
        let deep_braces = "{".repeat(10_000);
        let _ = hit(&deep_braces, &m);
    }
}
