//! Helpers shared by the parser's test binaries.

#[allow(dead_code)] // each test binary uses a part
pub mod detailed;
#[allow(dead_code)]
pub mod layout;
#[allow(dead_code)]
pub mod pdf_writer;

/// Small deterministic generator (64-bit LCG, Knuth's constants) so the
/// mutation test needs no extra dependency and always mutates the same bytes.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    #[allow(dead_code)] // used by open.rs only
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// The statement readers never panic on a damaged layout: 300 copies of `statement` whose runs
/// are dropped, moved to other lines or columns, cut short, repeated or replaced by a number,
/// each read by `read` within 2 s (a hang guard, not a speed claim).
#[allow(dead_code)] // used by the reader tests, not by open.rs or content.rs
pub fn read_scrambled_layouts(
    what: &str,
    statement: &cas_parser::Statement,
    seed: u64,
    read: impl Fn(&cas_parser::Statement),
) {
    let mut rng = Lcg(seed);
    for variant in 0..300 {
        let mut scrambled = statement.clone();
        for page in &mut scrambled.pages {
            let n = page.runs.len();
            for _ in 0..(1 + rng.below(40)) {
                if page.runs.is_empty() {
                    break;
                }
                let i = rng.below(page.runs.len());
                match rng.below(6) {
                    0 => {
                        page.runs.remove(i);
                    }
                    1 => page.runs[i].y = page.runs[rng.below(n.min(page.runs.len()))].y,
                    2 => {
                        let text = &page.runs[i].text;
                        let cut = rng.below(text.chars().count() + 1);
                        page.runs[i].text = text.chars().take(cut).collect();
                    }
                    3 => {
                        let copy = page.runs[i].clone();
                        page.runs.insert(rng.below(page.runs.len()), copy);
                    }
                    4 => page.runs[i].x = rng.below(600) as f32,
                    _ => page.runs[i].text = "(1,23,456.78)".into(),
                }
            }
        }
        let started = std::time::Instant::now();
        read(&scrambled);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{what} variant {variant} was slow"
        );
    }
}
