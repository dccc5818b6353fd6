//! `google-sandbox`: run the Google OAuth 2.0 / Gmail API stand-in.
//!
//! The first stdout line is `google-sandbox listening on http://<addr>`;
//! tests that start the binary with `--listen 127.0.0.1:0` read the port from
//! it. Logs go to stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use google_sandbox::{
    Config, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_MAILBOXES_DIR, DEFAULT_REDIRECT_URI,
};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Local stand-in for Google OAuth 2.0 and the Gmail API"
)]
struct Cli {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:9100")]
    listen: String,
    /// The OAuth client id the sandbox accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    client_id: String,
    /// The OAuth client secret the sandbox accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    client_secret: String,
    /// A registered redirect URI (repeat for several).
    #[arg(long = "redirect-uri", default_value = DEFAULT_REDIRECT_URI)]
    redirect_uris: Vec<String>,
    /// Directory whose `name@domain` subdirectories are the sandbox accounts.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_MAILBOXES_DIR)]
    mailboxes: PathBuf,
    /// Access token lifetime in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3599)]
    access_token_ttl: u64,
    /// Authorization code lifetime in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    code_ttl: u64,
    /// Milliseconds to wait before every Gmail API answer.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Fraction (0.0-1.0) of Gmail API calls answered with a random 429/500/503.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    fault_rate: f64,
    /// Per-user Gmail quota units per second (Gmail's is 250); 0 disables it.
    #[arg(long, value_name = "N", default_value_t = 250)]
    quota_units_per_second: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // No colour codes in log files and test harness captures.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let config = Config {
        client_id: cli.client_id,
        client_secret: cli.client_secret,
        redirect_uris: cli.redirect_uris,
        mailboxes_dir: cli.mailboxes,
        access_token_ttl: Duration::from_secs(cli.access_token_ttl),
        code_ttl: Duration::from_secs(cli.code_ttl),
        latency: Duration::from_millis(cli.latency_ms),
        fault_rate: cli.fault_rate,
        quota_units_per_second: cli.quota_units_per_second,
    };
    if let Err(err) = config.validate() {
        tracing::error!("invalid configuration: {err}");
        return ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind(&cli.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::error!(listen = %cli.listen, %err, "cannot bind");
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(err) => {
            tracing::error!(%err, "cannot read the bound address");
            return ExitCode::FAILURE;
        }
    };
    // The readiness line tests wait for; flushed because stdout is a pipe.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "google-sandbox listening on http://{addr}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);

    tokio::select! {
        result = google_sandbox::serve(listener, config) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!(%err, "server failed");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("interrupted, shutting down");
            ExitCode::SUCCESS
        }
    }
}
