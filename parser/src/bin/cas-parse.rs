//! `cas-parse FILE --password P [--json]`: read a CAS statement and print its holdings (a
//! table of folio, scheme, units, NAV and value, with the total) or the full JSON.

use cas_parser::ParseError;
use std::process::ExitCode;

const USAGE: &str = "usage: cas-parse FILE.pdf --password PASSWORD [--json]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut file, mut password, mut json) = (None, None, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--password" | "-p" => password = args.next(),
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() && !arg.starts_with('-') => file = Some(arg),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{file}: {e}");
            return ExitCode::from(1);
        }
    };
    let portfolio = match cas_parser::parse(&bytes, password.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(e) => {
            let hint = match e {
                ParseError::InvalidPassword => " (give the statement's password with --password)",
                _ => "",
            };
            eprintln!("{file}: {e}{hint}");
            return ExitCode::from(1);
        }
    };
    if json {
        match serde_json::to_string_pretty(&portfolio) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    let period = &portfolio.meta.statement_period;
    let investor = portfolio.investor.name.as_deref().unwrap_or("?");
    let cas_type = portfolio.meta.cas_type.to_uppercase();
    if portfolio.meta.statement_kind.as_deref() == Some("summary") {
        // A summary states one date: its holdings as on that day.
        let date = period.to.as_deref().unwrap_or("?");
        println!("{cas_type} summary of {investor}, as on {date}");
    } else {
        println!(
            "{cas_type} statement of {investor}, {} to {}",
            period.from.as_deref().unwrap_or("?"),
            period.to.as_deref().unwrap_or("?")
        );
    }
    println!(
        "{:<18} {:<52} {:>12} {:>11} {:>14}",
        "folio", "scheme", "units", "NAV", "value"
    );
    for folio in &portfolio.mutual_funds {
        for scheme in &folio.schemes {
            let name: String = scheme.name.chars().take(52).collect();
            println!(
                "{:<18} {:<52} {:>12} {:>11} {:>14}",
                folio.folio_number, name, scheme.units, scheme.nav, scheme.value
            );
        }
    }
    println!(
        "{:>110}",
        format!("total {}", portfolio.summary.total_value)
    );
    for warning in &portfolio.warnings {
        println!("warning: {warning}");
    }
    ExitCode::SUCCESS
}
