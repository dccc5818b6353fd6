//! Table rows from a page's positioned lines, and the cell values both depositories print.

use crate::amounts::parse_amount;
use crate::pdf::Page;
use regex::Regex;
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Lines of one row (a wrapped cell) are closer than this; rows are further apart.
const ROW_GAP: f32 = 9.0;
/// Runs starting within this many points of each other belong to one cell of a row.
const COLUMN_TOLERANCE: f32 = 3.0;

static ISIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$").expect("valid regex"));

/// One column of a row; wrapped text gives it several lines.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    pub(super) x: f32,
    pub(super) lines: Vec<String>,
}

impl Cell {
    /// The cell's lines joined by spaces (most cells have one line: no copy then).
    pub(super) fn text(&self) -> Cow<'_, str> {
        match self.lines.as_slice() {
            [line] => Cow::Borrowed(line),
            lines => Cow::Owned(lines.join(" ")),
        }
    }

    pub(super) fn first(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }
}

/// A table row: lines closer than [`ROW_GAP`], split into cells left to right.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) cells: Vec<Cell>,
}

impl Row {
    pub(super) fn text(&self) -> String {
        self.cells
            .iter()
            .map(Cell::text)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub(super) fn first(&self) -> Cow<'_, str> {
        self.cells.first().map(Cell::text).unwrap_or_default()
    }
}

pub(super) fn rows(page: &Page) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut prev_y: Option<f32> = None;
    for line in page.lines() {
        let joins = prev_y.is_some_and(|y| y - line.y <= ROW_GAP);
        prev_y = Some(line.y);
        if !joins || out.is_empty() {
            out.push(Row { cells: Vec::new() });
        }
        let Some(row) = out.last_mut() else { continue };
        for run in &line.runs {
            let text = run.text.trim();
            if text.is_empty() {
                continue;
            }
            match row
                .cells
                .iter_mut()
                .find(|c| (c.x - run.x).abs() <= COLUMN_TOLERANCE)
            {
                Some(cell) => cell.lines.push(text.to_string()),
                None => row.cells.push(Cell {
                    x: run.x,
                    lines: vec![text.to_string()],
                }),
            }
        }
    }
    for row in &mut out {
        row.cells.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    out.retain(|r| !r.cells.is_empty());
    out
}

/// A number cell; `--` (nothing held in that column) reads as zero.
pub(super) fn number(text: &str) -> Option<Decimal> {
    match text.trim() {
        "--" | "-" => Some(Decimal::ZERO),
        t => parse_amount(t),
    }
}

pub(super) fn is_isin(text: &str) -> bool {
    ISIN.is_match(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::TextRun;

    fn run(x: f32, y: f32, text: &str) -> TextRun {
        TextRun {
            x,
            y,
            font_size: 7.0,
            width: 4.0 * text.len() as f32,
            horizontal: true,
            text: text.into(),
        }
    }

    #[test]
    fn wrapped_cells_stay_in_their_row() {
        let page = Page {
            number: 3,
            runs: vec![
                run(30.0, 700.0, "INE002A01018"),
                run(110.0, 700.0, "RELIANCE INDUSTRIES"),
                run(110.0, 693.0, "LIMITED"),
                run(480.0, 700.0, "1,280.00"),
                run(30.0, 680.0, "INE040A01034"),
            ],
        };
        let rows = rows(&page);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells.len(), 3);
        assert_eq!(rows[0].cells[1].text(), "RELIANCE INDUSTRIES LIMITED");
        assert_eq!(rows[1].first(), "INE040A01034");
    }
}
