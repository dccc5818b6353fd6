//! `cas-parse FILE --password P [--json] [--strict]`: read a CAS statement and print its
//! holdings (a table of folio, scheme, units, NAV and value; for CDSL / NSDL also each demat
//! account's holdings with account, ISIN, name, units, price and value, the NPS funds and the
//! per-kind totals; then the total) or the full JSON.
//!
//! A statement that does not reconcile with its own printed totals says so on stderr (and in
//! the table's last lines); with `--strict` that is a failure (exit code 3).

use cas_parser::ParseError;
use cas_parser::model::Portfolio;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

const USAGE: &str = "usage: cas-parse FILE.pdf --password PASSWORD [--json] [--strict]";
/// Exit code of `--strict` when the statement does not reconcile.
const NOT_RECONCILED: u8 = 3;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut file, mut password, mut json, mut strict) = (None, None, false, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--password" | "-p" => password = args.next(),
            "--json" => json = true,
            "--strict" => strict = true,
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
    if !portfolio.meta.reconciled {
        eprintln!(
            "{file}: does not reconcile with its own printed totals ({} warning(s)){}",
            portfolio.warnings.len(),
            if strict { "; refused (--strict)" } else { "" }
        );
        if strict {
            for warning in &portfolio.warnings {
                eprintln!("warning: {warning}");
            }
            return ExitCode::from(NOT_RECONCILED);
        }
    }
    if json {
        match serde_json::to_string_pretty(&portfolio) {
            Ok(text) => return print_out(&(text + "\n")),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut text = String::new();
    if let Err(e) = render(&portfolio, &mut text) {
        eprintln!("{e}");
        return ExitCode::from(1);
    }
    print_out(&text)
}

/// The holdings table, and for CDSL / NSDL the demat part, as text.
fn render(portfolio: &Portfolio, out: &mut String) -> std::fmt::Result {
    let period = &portfolio.meta.statement_period;
    let investor = portfolio.investor.name.as_deref().unwrap_or("?");
    let cas_type = portfolio.meta.issuer.as_str().to_uppercase();
    if portfolio.meta.statement_kind.as_deref() == Some("summary") {
        // A summary states one date: its holdings as on that day.
        let date = period.to.as_deref().unwrap_or("?");
        writeln!(out, "{cas_type} summary of {investor}, as on {date}")?;
    } else {
        writeln!(
            out,
            "{cas_type} statement of {investor}, {} to {}",
            period.from.as_deref().unwrap_or("?"),
            period.to.as_deref().unwrap_or("?")
        )?;
    }
    let depository = !portfolio.demat_accounts.is_empty() || !portfolio.nps.is_empty();
    if !depository || !portfolio.mutual_funds.is_empty() {
        writeln!(
            out,
            "{:<18} {:<52} {:>12} {:>11} {:>14}",
            "folio", "scheme", "units", "NAV", "value"
        )?;
    }
    for folio in &portfolio.mutual_funds {
        for scheme in &folio.schemes {
            let name: String = scheme.name.chars().take(52).collect();
            writeln!(
                out,
                "{:<18} {:<52} {:>12} {:>11} {:>14}",
                folio.folio_number, name, scheme.units, scheme.nav, scheme.value
            )?;
        }
    }
    if depository {
        render_depository(portfolio, out)?;
    }
    writeln!(
        out,
        "{:>110}",
        format!("total {}", portfolio.summary.total_value)
    )?;
    for warning in &portfolio.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    if portfolio.meta.reconciled {
        writeln!(out, "reconciled: every printed total matches")?;
    } else {
        writeln!(out, "NOT RECONCILED: see the warnings above")?;
    }
    Ok(())
}

/// Demat holdings (account, ISIN, name, units, price, value), NPS funds and the per-kind totals
/// of a CDSL / NSDL statement.
fn render_depository(portfolio: &Portfolio, out: &mut String) -> std::fmt::Result {
    if !portfolio.demat_accounts.is_empty() {
        writeln!(
            out,
            "{:<16} {:<12} {:<44} {:>12} {:>11} {:>14}",
            "account", "ISIN", "security", "units", "price", "value"
        )?;
    }
    for account in &portfolio.demat_accounts {
        let id = format!(
            "{}{}",
            account.dp_id.as_deref().unwrap_or(""),
            account.client_id.as_deref().unwrap_or("")
        );
        writeln!(
            out,
            "{} account {id} ({}): {}",
            account.demat_type,
            account.dp_name.as_deref().unwrap_or("?"),
            account.value
        )?;
        let h = &account.holdings;
        let all = [
            &h.equities,
            &h.demat_mutual_funds,
            &h.corporate_bonds,
            &h.government_securities,
            &h.aifs,
        ];
        for security in all.into_iter().flatten() {
            let name: String = security.name.chars().take(44).collect();
            let price = security.price.map(|p| p.to_string()).unwrap_or("-".into());
            writeln!(
                out,
                "{:<16} {:<12} {:<44} {:>12} {:>11} {:>14}",
                id, security.isin, name, security.units, price, security.value
            )?;
        }
    }
    for nps in &portfolio.nps {
        writeln!(
            out,
            "NPS PRAN {} ({}): {}",
            nps.pran,
            nps.cra.as_deref().unwrap_or("?"),
            nps.value
        )?;
        for fund in &nps.funds {
            let name: String = fund.name.chars().take(57).collect();
            writeln!(
                out,
                "{:<16} {:<57} {:>12} {:>11} {:>14}",
                "", name, fund.units, fund.nav, fund.value
            )?;
        }
    }
    for (kind, total) in &portfolio.summary.accounts {
        let unit = if kind == "mutual_funds" {
            "folios"
        } else {
            "accounts"
        };
        writeln!(
            out,
            "{kind}: {} ({} {unit})",
            total.total_value, total.count
        )?;
    }
    Ok(())
}

/// Writes the output; a reader that stops early (`cas-parse … | head`) is not an error.
fn print_out(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
