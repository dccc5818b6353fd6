//! The investor: name, address and PIN code from page 2's left column; PAN, e-mail and mobile
//! from anywhere on the first two pages.

use super::Reader;
use crate::pdf::Page;
use regex::Regex;
use std::sync::LazyLock;

/// The investor block is left of this x on page 2; PAN, e-mail and mobile sit to its right.
const INVESTOR_COLUMN_MAX_X: f32 = 200.0;

static ID_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:CAS|NSDL)\s*ID\s*:\s*(\S*)").expect("valid regex"));
static PINCODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^PIN\s*CODE\s*:\s*(\d{6})").expect("valid regex"));
static PAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^PAN\s*:\s*([A-Z]{5}[0-9]{4}[A-Z])$").expect("valid regex"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^Email\s*Id\s*:\s*(\S+@\S+)").expect("valid regex"));
static MOBILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^Mobile\s*:\s*(\+?[0-9]+)").expect("valid regex"));

impl Reader {
    /// Reads the investor from the statement's first pages.
    pub(super) fn investor(&mut self, pages: &[Page]) {
        // The investor block is on page 2 (page 1 is the cover); a short file may have it first.
        let investor_page = pages
            .iter()
            .take(2)
            .rev()
            .find(|p| p.runs.iter().any(|r| ID_MARKER.is_match(r.text.trim())));
        if let Some(page) = investor_page {
            self.investor_block(page);
        }
        for page in pages.iter().take(2) {
            self.contact_details(page);
        }
    }

    /// The investor block: from the ID marker, name then address lines down to `PINCODE:`, in
    /// the left column.
    fn investor_block(&mut self, page: &Page) {
        let mut seen_marker = false;
        let mut address = Vec::new();
        for line in page.lines() {
            let text = line.text_left_of(INVESTOR_COLUMN_MAX_X);
            if text.is_empty() {
                continue;
            }
            if !seen_marker {
                if let Some(c) = ID_MARKER.captures(&text) {
                    seen_marker = true;
                    self.investor.cas_id = Some(c[1].to_string()).filter(|id| !id.is_empty());
                }
                continue;
            }
            if let Some(c) = PINCODE.captures(&text) {
                self.investor.pincode = Some(c[1].to_string());
                break;
            }
            if self.investor.name.is_none() {
                self.investor.name = Some(text);
            } else {
                address.push(text);
            }
        }
        if !address.is_empty() {
            self.investor.address = Some(address.join("\n"));
        }
    }

    /// PAN, e-mail and mobile, each the first one printed.
    fn contact_details(&mut self, page: &Page) {
        for run in &page.runs {
            let text = run.text.trim();
            if let Some(c) = PAN.captures(text) {
                self.investor.pan.get_or_insert_with(|| c[1].to_string());
            } else if let Some(c) = EMAIL.captures(text) {
                self.investor.email.get_or_insert_with(|| c[1].to_string());
            } else if let Some(c) = MOBILE.captures(text) {
                self.investor.mobile.get_or_insert_with(|| c[1].to_string());
            }
        }
    }
}
