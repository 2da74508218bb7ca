//! `lkn-api`: parses the command line, sets up logging, and runs one command.

use clap::Parser;
use lkn_api::config::Cli;

/// mimalloc instead of the system allocator: a request allocates and frees thousands of
/// small objects (parsed documents, rows, JSON), and glibc's malloc was about a fifth of
/// the server's CPU under load (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lkn_api::telemetry::init(cli.log_format);
    let mut out = std::io::stdout();
    lkn_api::cli::run(cli, &mut out, shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
