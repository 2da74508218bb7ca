//! `lkn-bot`: see the library for what it does.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    lkn_bot::telemetry();
    match lkn_bot::run(lkn_bot::config::Cli::from_args(std::env::args_os())).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lkn-bot: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
