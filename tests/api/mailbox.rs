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
        }
    }

    pub fn attach(mut self, filename: &str, mime: &str, bytes: Vec<u8>) -> Self {
        self.attachments.push((filename.into(), mime.into(), bytes));
        self
    }

    fn to_eml(&self) -> String {
        let ist = FixedOffset::east_opt(19800).expect("IST");
        let boundary = "b1_cas_inbox_test";
        let mut out = format!(
            "From: {}\r\nTo: {DEMO}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@test>\r\nMIME-Version: 1.0\r\n",
            self.from,
            self.subject,
            self.date.with_timezone(&ist).to_rfc2822(),
            uuid::Uuid::new_v4()
        );
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
