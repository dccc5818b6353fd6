//! Our parser against casparser 1.4.1 on the same statements, in one run.
//!
//! `cargo bench -p cas-parser --bench vs_casparser [-- WORD…]` (set `CASPARSER_PYTHON` to a
//! Python with casparser; default `.venv/bin/python`, which `infra/ensure-venv.sh` creates).
//! Words limit the run to the statements whose file names contain one of them.
//!
//! Every statement in `parser/tests/fixtures` is parsed by two child processes: this binary
//! re-run as a worker (`cas_parser::parse`) and `casparser_worker.py` (`read_cas_pdf`). Each
//! warms up once, parses the file more times (`OUR_RUNS`, `CASPARSER_RUNS`) and reports the
//! median wall time of one parse plus its own peak resident memory (VmHWM, the whole process)
//! and its resident memory before parsing. Separate processes keep one reader's memory out of the other's figures;
//! each reader runs `ROUNDS` such workers per statement, the two readers' workers taking turns,
//! and the median of their medians counts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Parses per worker: ours take about a millisecond, so a worker of ours runs more of them to
/// span as much wall time as casparser's 15 do (a slow spell of the shared machine then hits
/// both readers alike rather than all of ours at once).
const OUR_RUNS: usize = 150;
const CASPARSER_RUNS: usize = 15;
/// Workers per reader and statement (see [`rounds`]).
const ROUNDS: usize = 5;
const WORKER_ENV: &str = "CAS_BENCH_WORKER";
/// The fixtures' passwords: depository statements use the PAN, the RTAs the investor's choice.
const PAN: &str = "ABCDE1234F";
const RTA_PASSWORD: &str = "Demo@1234";

struct Measurement {
    median_ms: f64,
    baseline_mb: f64,
    peak_mb: f64,
}

fn main() {
    if std::env::var_os(WORKER_ENV).is_some() {
        return worker();
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let python = std::env::var_os("CASPARSER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".venv/bin/python"));
    let script = repo.join("parser/benches/casparser_worker.py");

    println!(
        "{ROUNDS} workers per reader and statement, taking turns, each {OUR_RUNS} (ours) or \
         {CASPARSER_RUNS} (casparser) parses after one warm-up; median of the workers' medians; \
         peak = highest VmHWM"
    );
    println!(
        "| statement | pages | ours ms | casparser ms | speed-up | ours peak MB | casparser peak MB | memory ratio |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    // `cargo bench … -- nsdl cdsl` measures only the statements whose names hold one of
    // those words (cargo itself passes `--bench`).
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (pdf, password) in fixtures(&repo.join("parser/tests/fixtures")) {
        let name = pdf.file_stem().unwrap().to_string_lossy().into_owned();
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let bytes = std::fs::read(&pdf).unwrap();
        if let Err(e) = cas_parser::parse(&bytes, password) {
            println!("| {name} | | we cannot read it: {e} | | | | | |");
            continue;
        }
        let pages = cas_parser::open(&bytes, password).map_or(0, |s| s.pages.len());
        let exe = std::env::current_exe().unwrap();
        let (ours, theirs) = rounds(
            || {
                measure(
                    Command::new(&exe).env(WORKER_ENV, "1"),
                    &pdf,
                    password,
                    OUR_RUNS,
                )
            },
            || {
                measure(
                    Command::new(&python).arg(&script),
                    &pdf,
                    password,
                    CASPARSER_RUNS,
                )
            },
        );
        match (ours, theirs) {
            (Ok(o), Ok(t)) => println!(
                "| {name} | {pages} | {:.2} | {:.1} | {:.0}× | {:.1} | {:.1} | 1/{:.1} |",
                o.median_ms,
                t.median_ms,
                t.median_ms / o.median_ms,
                o.peak_mb,
                t.peak_mb,
                t.peak_mb / o.peak_mb,
            ),
            (o, t) => println!(
                "| {name} | {pages} | {:?} | {:?} | | | | |",
                o.err(),
                t.err()
            ),
        }
    }
    println!("\nresident memory before the first parse (interpreter, libraries, binary):");
    let pdf = repo.join("parser/tests/fixtures/cams_aes256.pdf");
    let exe = std::env::current_exe().unwrap();
    if let (Ok(o), Ok(t)) = (
        measure(
            Command::new(exe).env(WORKER_ENV, "1"),
            &pdf,
            RTA_PASSWORD,
            1,
        ),
        measure(Command::new(&python).arg(&script), &pdf, RTA_PASSWORD, 1),
    ) {
        println!(
            "ours {:.1} MB, casparser {:.1} MB",
            o.baseline_mb, t.baseline_mb
        );
    }
}

/// Every generated statement (those with their truth JSON beside them; the
/// qpdf-made copies and `hello*.pdf` have none) with its password, in name order.
fn fixtures(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .filter(|p| p.with_extension("json").exists())
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            let password = if name.starts_with("cdsl") || name.starts_with("nsdl") {
                PAN
            } else {
                RTA_PASSWORD
            };
            (p, password)
        })
        .collect()
}

/// `ROUNDS` workers of each reader, ours and casparser's in turn: per reader, the median of its
/// workers' medians and the highest peak. The machines this runs on share their CPU, and a
/// single worker can land in a slow spell; taking turns spreads those over both readers.
fn rounds(
    mut ours: impl FnMut() -> Result<Measurement, String>,
    mut theirs: impl FnMut() -> Result<Measurement, String>,
) -> (Result<Measurement, String>, Result<Measurement, String>) {
    let (mut our_runs, mut their_runs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        our_runs.push(ours());
        their_runs.push(theirs());
    }
    (median(our_runs), median(their_runs))
}

fn median(runs: Vec<Result<Measurement, String>>) -> Result<Measurement, String> {
    let mut all = runs.into_iter().collect::<Result<Vec<_>, _>>()?;
    all.sort_by(|a, b| a.median_ms.total_cmp(&b.median_ms));
    let peak_mb = all.iter().map(|m| m.peak_mb).fold(0.0, f64::max);
    let middle = all.swap_remove(all.len() / 2);
    Ok(Measurement { peak_mb, ..middle })
}

/// Runs one worker; it prints `median_ns baseline_kb peak_kb`.
fn measure(
    cmd: &mut Command,
    pdf: &Path,
    password: &str,
    runs: usize,
) -> Result<Measurement, String> {
    let out = cmd
        .arg(pdf)
        .arg(password)
        .arg(runs.to_string())
        .output()
        .map_err(|e| format!("cannot start worker: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().last().unwrap_or("worker failed").to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let numbers: Vec<f64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers[..] {
        [ns, baseline_kb, peak_kb] => Ok(Measurement {
            median_ms: ns / 1e6,
            baseline_mb: baseline_kb / 1024.0,
            peak_mb: peak_kb / 1024.0,
        }),
        _ => Err(format!("unexpected worker output {text:?}")),
    }
}

/// The Rust side of one measurement: `FILE PASSWORD RUNS`, same protocol as the Python worker.
fn worker() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, password, runs) = (&args[0], &args[1], args[2].parse::<usize>().unwrap());
    let baseline = status_kb("VmRSS");
    let bytes = std::fs::read(path).unwrap();
    cas_parser::parse(&bytes, password).expect("the fixture parses");
    let mut times: Vec<u128> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let portfolio = cas_parser::parse(&bytes, password).expect("the fixture parses");
            let elapsed = start.elapsed().as_nanos();
            std::hint::black_box(portfolio);
            elapsed
        })
        .collect();
    times.sort_unstable();
    println!(
        "{} {} {}",
        times[times.len() / 2],
        baseline,
        status_kb("VmHWM")
    );
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("{field} not in /proc/self/status"))
}
