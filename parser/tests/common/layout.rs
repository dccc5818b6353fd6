//! Positioned text for statements built in memory: what `cas_parser::open` would extract from
//! a PDF page, without the PDF. Runs are laid out like a CAMS/KFintech detailed statement
//! (date and description at the left, four right-aligned number columns); widths are
//! estimated as the extractor does for fonts without widths (half an em per character).

use cas_parser::{CasVariant, Issuer, Page, Statement, TextRun};

pub const X_DATE: f32 = 40.0;
pub const X_DESC: f32 = 100.0;
/// Right edges of Amount, Units, Price (KFintech: NAV) and Unit Balance.
pub const X_NUMBERS: [f32; 4] = [370.0, 440.0, 505.0, 565.0];
pub const FONT: f32 = 7.5;
const TOP: f32 = 800.0;
const BOTTOM: f32 = 70.0;
const ROW: f32 = 10.5;

pub fn width(text: &str) -> f32 {
    0.5 * FONT * text.chars().count() as f32
}

pub struct Layout {
    pub kind: Issuer,
    pages: Vec<Page>,
    y: f32,
    period: String,
}

impl Layout {
    /// Page 1 with its furniture; the caller writes the investor block and summary, then calls
    /// [`Layout::table_header`].
    pub fn new(kind: Issuer, period: &str) -> Self {
        let mut layout = Self {
            kind,
            pages: Vec::new(),
            y: TOP,
            period: period.into(),
        };
        layout.new_page();
        layout
    }

    fn new_page(&mut self) {
        let number = self.pages.len() as u32 + 1;
        self.pages.push(Page {
            number,
            runs: Vec::new(),
        });
        self.y = TOP;
        let watermark = match self.kind {
            Issuer::Kfintech => "KFINCASWS",
            _ => "CAMSCASWS",
        };
        self.push(TextRun {
            x: 22.0,
            y: 120.0,
            font_size: 6.0,
            width: 40.0,
            horizontal: false,
            text: format!("{watermark}-{number:03}"),
        });
        self.centered("Consolidated Account Statement");
        let period = self.period.clone();
        self.centered(&period);
        self.run(X_DATE, 30.0, &format!("Page {number} of N"));
    }

    fn push(&mut self, run: TextRun) {
        self.pages.last_mut().expect("a page").runs.push(run);
    }

    fn centered(&mut self, text: &str) {
        let x = 297.0 - width(text) / 2.0;
        let y = self.y;
        self.run(x, y, text);
        self.y -= 14.0;
    }

    /// One run at (x, y).
    pub fn run(&mut self, x: f32, y: f32, text: &str) {
        self.push(TextRun {
            x,
            y,
            font_size: FONT,
            width: width(text),
            horizontal: true,
            text: text.into(),
        });
    }

    /// A run whose right edge is at `right`, on the current line.
    pub fn right(&mut self, right: f32, text: &str) {
        let y = self.y;
        self.run(right - width(text), y, text);
    }

    /// A run at `x` on the current line.
    pub fn at(&mut self, x: f32, text: &str) {
        let y = self.y;
        self.run(x, y, text);
    }

    /// Next line (a new page, with its header, when the page is full).
    pub fn next(&mut self) {
        self.y -= ROW;
        if self.y < BOTTOM {
            self.page_break();
        }
    }

    /// A whole line at the left margin.
    pub fn line(&mut self, text: &str) {
        self.at(X_DATE, text);
        self.next();
    }

    pub fn page_break(&mut self) {
        self.new_page();
        self.table_header();
    }

    /// The transaction table's header, stacked as each registrar prints it.
    pub fn table_header(&mut self) {
        let [amount, units, price, balance] = X_NUMBERS;
        let price_label = if self.kind == Issuer::Kfintech {
            "NAV"
        } else {
            "Price"
        };
        self.at(X_DATE, "Date");
        self.at(X_DESC, "Transaction");
        self.right(amount, "Amount");
        self.right(units, "Units");
        self.right(price, price_label);
        self.right(balance, "Unit");
        self.y -= 8.0;
        self.right(amount, "(INR)");
        self.right(price, "(INR)");
        self.right(balance, "Balance");
        self.y -= 18.0;
    }

    pub fn statement(self) -> Statement {
        Statement {
            issuer: self.kind,
            variant: CasVariant::Detailed,
            pages: self.pages,
        }
    }
}
