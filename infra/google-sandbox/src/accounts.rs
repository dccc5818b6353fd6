//! Sandbox accounts and their mailboxes.
//!
//! Every subdirectory of the mailboxes directory whose name contains `@` is an
//! account; the `.eml` files in it are that account's messages. The directory
//! is read on every request (it is small), so tests can add accounts or
//! messages while the sandbox runs without a reload step.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// Preselected on the consent page when present, so a local click-through is
/// one "Allow".
pub const DEMO_ACCOUNT: &str = "demo.investor@gmail.com";

#[derive(Debug, Clone)]
pub struct Mailboxes {
    root: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The folder name, kept as written: it is the account's canonical address.
    pub email: String,
    pub dir: PathBuf,
}

impl Mailboxes {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Mailboxes { root: root.into() }
    }

    /// All accounts, sorted by address. An unreadable directory yields none
    /// (logged), rather than failing the request that asked.
    pub fn accounts(&self) -> Vec<Account> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(err) => {
                tracing::warn!(dir = %self.root.display(), %err, "cannot read mailboxes directory");
                return Vec::new();
            }
        };
        let mut accounts: Vec<Account> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                let email = e.file_name().into_string().ok()?;
                email.contains('@').then(|| Account {
                    email,
                    dir: e.path(),
                })
            })
            .collect();
        accounts.sort_by(|a, b| a.email.cmp(&b.email));
        accounts
    }

    /// Gmail addresses are case-insensitive, so lookups are too.
    pub fn find(&self, email: &str) -> Option<Account> {
        self.accounts()
            .into_iter()
            .find(|a| a.email.eq_ignore_ascii_case(email))
    }
}

impl Account {
    /// The account's messages: `.eml` files directly in its folder, sorted by
    /// file name so that listings are stable.
    pub fn message_files(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|ext| ext.eq_ignore_ascii_case("eml"))
            })
            .collect();
        files.sort();
        Ok(files)
    }
}

/// A stable Google-style subject id: 21 digits starting with `1`, derived from
/// the lowercased address so it survives restarts and never collides with
/// another sandbox account in practice.
pub fn sub_for(email: &str) -> String {
    let digest = Sha256::digest(email.to_ascii_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    format!("1{:020}", u64::from_be_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_is_stable_digits_and_case_insensitive() {
        let a = sub_for("Demo.Investor@gmail.com");
        assert_eq!(a, sub_for("demo.investor@gmail.com"));
        assert_eq!(a.len(), 21);
        assert!(a.chars().all(|c| c.is_ascii_digit()));
        assert_ne!(a, sub_for("second.investor@gmail.com"));
    }

    #[test]
    fn shipped_mailboxes_contain_the_demo_accounts() {
        let mailboxes = Mailboxes::new(concat!(env!("CARGO_MANIFEST_DIR"), "/mailboxes"));
        let emails: Vec<String> = mailboxes.accounts().into_iter().map(|a| a.email).collect();
        assert!(emails.contains(&DEMO_ACCOUNT.to_string()));
        assert!(emails.contains(&"second.investor@gmail.com".to_string()));
        assert!(mailboxes.find("DEMO.investor@gmail.com").is_some());
        assert!(mailboxes.find("nobody@gmail.com").is_none());
    }

    #[test]
    fn missing_root_has_no_accounts() {
        assert!(Mailboxes::new("/nonexistent/sandbox").accounts().is_empty());
    }
}
