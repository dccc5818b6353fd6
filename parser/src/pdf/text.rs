//! The text model the readers work on: pages of positioned text runs, grouped into lines.

/// Default vertical tolerance (points) for [`Page::lines`].
pub const LINE_TOLERANCE: f32 = 2.0;

/// One page's text, in content-stream order.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// 1-based page number.
    pub number: u32,
    pub runs: Vec<TextRun>,
}

impl Page {
    /// Every run's text, one run per line, in the order the PDF draws them.
    /// Includes rotated text such as the vertical `CAMSCASWS-…` watermark,
    /// which [`Page::lines`] leaves out.
    pub fn raw_text(&self) -> String {
        let mut out = String::new();
        for run in &self.runs {
            out.push_str(&run.text);
            out.push('\n');
        }
        out
    }

    /// Horizontal runs grouped into visual lines, top to bottom.
    pub fn lines(&self) -> Vec<Line<'_>> {
        group_lines(&self.runs, LINE_TOLERANCE)
    }
}

/// One string drawn by a text-showing operator (`Tj`, `TJ`, `'`, `"`).
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    /// Start of the baseline in page space (points, origin bottom-left).
    pub x: f32,
    pub y: f32,
    /// Effective font size in page space (Tf size × text and CTM scaling).
    pub font_size: f32,
    /// Estimated advance width in page space: exact when the font has
    /// `/Widths`, else half an em per character (standard-14 fonts carry none).
    pub width: f32,
    /// False for rotated text (e.g. a watermark printed up the margin).
    pub horizontal: bool,
    pub text: String,
}

/// Runs sharing a baseline, sorted left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// Baseline of the line's first (highest) run.
    pub y: f32,
    /// The page's runs on this line (borrowed: a page is read line by line many times).
    pub runs: Vec<&'a TextRun>,
}

impl Line<'_> {
    /// The runs joined with a single space wherever they do not touch.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut prev_end: Option<f32> = None;
        for run in &self.runs {
            if let Some(end) = prev_end {
                // A gap of more than ~0.15 em between runs is a word break.
                let gap = run.x - end;
                if gap > 0.15 * run.font_size.max(1.0)
                    && !out.ends_with(' ')
                    && !run.text.starts_with(' ')
                {
                    out.push(' ');
                }
            }
            out.push_str(&run.text);
            prev_end = Some(run.x + run.width);
        }
        out
    }

    /// The trimmed texts of the runs that start left of `x`, joined by single spaces: the
    /// left column of a page laid out in columns (the investor block beside a summary).
    pub fn text_left_of(&self, x: f32) -> String {
        let left: Vec<&str> = self
            .runs
            .iter()
            .filter(|r| r.x < x)
            .map(|r| r.text.trim())
            .filter(|t| !t.is_empty())
            .collect();
        left.join(" ")
    }
}

/// Groups horizontal runs into lines: runs whose baselines are within
/// `tolerance` points of the line's first run join it; lines are ordered top
/// to bottom and runs within a line left to right. Rotated runs are skipped.
pub fn group_lines(runs: &[TextRun], tolerance: f32) -> Vec<Line<'_>> {
    let mut sorted: Vec<&TextRun> = runs
        .iter()
        .filter(|r| r.horizontal && r.x.is_finite() && r.y.is_finite())
        .collect();
    // Top of the page first (PDF y grows upwards), then left to right.
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Line> = Vec::new();
    for run in sorted {
        match lines.last_mut() {
            Some(line) if (line.y - run.y).abs() <= tolerance => line.runs.push(run),
            _ => lines.push(Line {
                y: run.y,
                runs: vec![run],
            }),
        }
    }
    for line in &mut lines {
        line.runs.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: f32, y: f32, text: &str) -> TextRun {
        TextRun {
            x,
            y,
            font_size: 8.0,
            width: text.len() as f32 * 4.0,
            horizontal: true,
            text: text.into(),
        }
    }

    #[test]
    fn groups_runs_by_baseline_and_sorts_by_x() {
        let runs = vec![
            run(300.0, 700.0, "right"),
            run(40.0, 700.5, "left"),
            run(40.0, 680.0, "below"),
            TextRun {
                horizontal: false,
                ..run(20.0, 700.0, "WATERMARK")
            },
        ];
        let lines = group_lines(&runs, 2.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text(), "left right");
        assert_eq!(lines[1].text(), "below");
    }

    #[test]
    fn touching_runs_join_without_space() {
        let (ab, cd) = (run(0.0, 0.0, "ab"), run(8.0, 0.0, "cd"));
        let line = Line {
            y: 0.0,
            runs: vec![&ab, &cd],
        };
        assert_eq!(line.text(), "abcd");
    }
}
