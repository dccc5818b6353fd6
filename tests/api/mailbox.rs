//! Test mailboxes: real RFC 822 files written the way mail clients write them, in a
//! temporary folder per test (one subfolder per sandbox account).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use std::path::{Path, PathBuf};

pub const DEMO: &str = "demo.investor@gmail.com";

/// A temporary mailboxes folder, deleted when dropped.
pub struct Mailboxes {
    pub root: PathBuf,
}

impl Mailboxes {
    pub fn new() -> Self {
        let root = std::env::temp_dir().join(format!("cas-inbox-mail-{}", uuid::Uuid::new_v4()));
        for account in [DEMO, "second.investor@gmail.com"] {
            std::fs::create_dir_all(root.join(account)).expect("mailbox folder");
        }
        Self { root }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `n` CDSL statement mails with distinct PDFs, spread over the last `spread_days` days.
    pub fn with_cdsl_mails(n: usize, spread_days: i64) -> Self {
        let mailboxes = Self::new();
        for i in 0..n {
            mailboxes.add(
                &format!("{i:04}.eml"),
                &Mail::new(
                    "eCAS@cdslstatement.com",
                    "CDSL Consolidated Account Statement",
                    days_ago(1 + (i as i64) % spread_days),
                )
                .attach(
                    "NOV2025_AA12345678_TXN.pdf",
                    "application/pdf",
                    pdf(&format!("cdsl-{i}")),
                ),
            );
        }
        mailboxes
    }

    /// Writes one mail into the demo account.
    pub fn add(&self, file: &str, mail: &Mail) {
        std::fs::write(self.root.join(DEMO).join(file), mail.to_eml()).expect("write eml");
    }

    /// Writes a mail made by hand, byte for byte, into the demo account.
    pub fn add_raw(&self, file: &str, eml: impl AsRef<[u8]>) {
        std::fs::write(self.root.join(DEMO).join(file), eml).expect("write eml");
    }
}

impl Drop for Mailboxes {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub struct Mail {
    pub from: String,
    pub subject: String,
    pub date: DateTime<Utc>,
    pub attachments: Vec<(String, String, Vec<u8>)>,
    /// Headers above `From`, top first: what receiving servers prepend (Gmail's
    /// `Authentication-Results` among them).
    pub trace: Vec<(String, String)>,
    /// Headers below `MIME-Version`: what the sender wrote.
    pub extra: Vec<(String, String)>,
}

/// Gmail's `Authentication-Results` value for `results` (`dkim=… ; spf=…`), folded as Gmail
/// folds it.
pub fn gmail_auth(results: &str) -> String {
    format!(
        "mx.google.com;\r\n       {}",
        results.replace("; ", ";\r\n       ")
    )
}

/// What Gmail writes for a mail that really came from `address`'s domain's servers.
pub fn gmail_pass(address: &str) -> String {
    let domain = address.rsplit('@').next().unwrap_or_default();
    gmail_auth(&format!(
        "dkim=pass header.i=@{domain} header.s=s2048 header.b=Zx9Qw1Lm; \
         spf=pass (google.com: domain of {address} designates 203.0.113.25 as permitted sender) smtp.mailfrom={address}; \
         dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from={domain}"
    ))
}

/// A small PDF-looking attachment whose bytes are unique to `tag`.
pub fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {tag}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n").into_bytes()
}

pub fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(days)
}

impl Mail {
    pub fn new(from: &str, subject: &str, date: DateTime<Utc>) -> Self {
        Self {
            from: from.into(),
            subject: subject.into(),
            date,
            attachments: Vec::new(),
            trace: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// Gmail's trace header `name: value` on top of the mail (call in Gmail's order: each call
    /// adds below the previous one).
    pub fn trace(mut self, name: &str, value: &str) -> Self {
        self.trace.push((name.into(), value.into()));
        self
    }

    /// A header the sender wrote, below the standard ones.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// Gmail's verdict that the mail came from its `From` domain's own servers.
    pub fn authenticated(self) -> Self {
        let address = self
            .from
            .rsplit_once('<')
            .map_or(self.from.as_str(), |(_, a)| a.trim_end_matches('>'))
            .to_string();
        self.trace("Authentication-Results", &gmail_pass(&address))
    }

    pub fn attach(mut self, filename: &str, mime: &str, bytes: Vec<u8>) -> Self {
        self.attachments.push((filename.into(), mime.into(), bytes));
        self
    }

    pub fn to_eml(&self) -> String {
        let ist = FixedOffset::east_opt(19800).expect("IST");
        let boundary = "b1_cas_inbox_test";
        let mut out: String = self
            .trace
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        out += &format!(
            "From: {}\r\nTo: {DEMO}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@test>\r\nMIME-Version: 1.0\r\n",
            self.from,
            self.subject,
            self.date.with_timezone(&ist).to_rfc2822(),
            uuid::Uuid::new_v4()
        );
        for (name, value) in &self.extra {
            out += &format!("{name}: {value}\r\n");
        }
        out += &format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n");
        out += &format!(
            "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find your statement attached.\r\n"
        );
        for (name, mime, bytes) in &self.attachments {
            out += &format!(
                "--{boundary}\r\nContent-Type: {mime}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            );
            let encoded = STANDARD.encode(bytes);
            for chunk in encoded.as_bytes().chunks(76) {
                out += std::str::from_utf8(chunk).expect("base64 is ascii");
                out += "\r\n";
            }
        }
        out += &format!("--{boundary}--\r\n");
        out
    }
}
