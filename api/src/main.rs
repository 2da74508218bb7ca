//! `lkn-api`: parses the command line, sets up logging, and runs one command.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use lkn_api::config::{Cli, Command, MemberCommand, RoleArg, SeedCommand, ServeArgs, TokenCommand};
use lkn_api::db::DatabaseSettings;
use lkn_api::service::identity::{Authority, Viewer};
use lkn_api::service::writes::WriteContext;
use lkn_api::service::{demo, identity};
use lkn_entity::vocabulary::MemberRole;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lkn_api::telemetry::init(cli.log_format);
    let settings = DatabaseSettings::new(&cli.database_url);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(settings, args).await,
        Command::Migrate => {
            lkn_api::prepare_database(&settings)
                .await
                .context("Failed to migrate the database")?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Schema => {
            print!("{}", lkn_api::schema_sdl());
            Ok(())
        }
        Command::Member(MemberCommand::Add {
            partner,
            email,
            name,
            role,
        }) => {
            let db = lkn_api::prepare_database(&settings)
                .await
                .context("Failed to open the database")?;
            let role = match role {
                RoleArg::Member => MemberRole::Member,
                RoleArg::Coordinator => MemberRole::Coordinator,
                RoleArg::Admin => MemberRole::Admin,
                RoleArg::Bot => MemberRole::Bot,
            };
            let new = identity::NewMember {
                partner_slug: partner,
                email,
                display_name: name,
                role,
            };
            let (_, token) =
                identity::add_member(&db, &operator(&ANONYMOUS), Authority::Operator, new)
                    .await
                    .map_err(describe)?;
            println!("{token}");
            Ok(())
        }
        Command::Token(command) => {
            let db = lkn_api::prepare_database(&settings)
                .await
                .context("Failed to open the database")?;
            let context = operator(&ANONYMOUS);
            match command {
                TokenCommand::Issue { email } => {
                    let member = identity::member_by_email(&db, &email)
                        .await
                        .map_err(describe)?;
                    let token = identity::issue_token(&db, &context, Authority::Operator, &member)
                        .await
                        .map_err(describe)?;
                    println!("{token}");
                }
                TokenCommand::Revoke { email } => {
                    let member = identity::member_by_email(&db, &email)
                        .await
                        .map_err(describe)?;
                    let revoked =
                        identity::revoke_tokens(&db, &context, Authority::Operator, &member)
                            .await
                            .map_err(describe)?;
                    eprintln!("revoked {revoked} token(s) of {email}");
                }
            }
            Ok(())
        }
        Command::Seed(SeedCommand::Demo { threads }) => {
            let db = lkn_api::prepare_database(&settings)
                .await
                .context("Failed to open the database")?;
            let started = std::time::Instant::now();
            let summary = demo::seed_demo(&db, threads).await.map_err(describe)?;
            eprintln!(
                "demo data: {} members, {} threads, {} replies, {} endorsements, {} collaborations, {} outcomes in {:.1}s",
                summary.members,
                summary.threads,
                summary.replies,
                summary.endorsements,
                summary.collaborations,
                summary.outcomes,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// Nobody signed in: the operator at the command line acts on the database's authority.
static ANONYMOUS: Viewer = Viewer::Anonymous;

/// The write context of a command-line action, recorded in the audit trail as `cli`.
fn operator(viewer: &Viewer) -> WriteContext<'_> {
    WriteContext {
        viewer,
        request_id: Some("cli"),
        now: chrono::Utc::now(),
    }
}

/// Service errors as one line for the operator: user errors in full, others by policy.
fn describe(error: lkn_api::error::ServiceError) -> anyhow::Error {
    match error {
        lkn_api::error::ServiceError::Invalid(errors) => {
            anyhow::anyhow!(
                errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn serve(mut settings: DatabaseSettings, args: ServeArgs) -> anyhow::Result<()> {
    settings.max_connections = args.db_max_connections;
    settings.acquire_timeout = Duration::from_secs(args.db_acquire_timeout_secs);
    let db = lkn_api::prepare_database(&settings)
        .await
        .context("Failed to prepare the database")?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("Failed to bind {}", args.bind))?;
    tracing::info!(address = %listener.local_addr()?, "serving the Living Knowledge Network API");
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    let state = lkn_api::AppState::new(db);
    let server = tokio::spawn(lkn_api::serve(listener, state, shutdown_signal()));
    let result = server.await.context("server task failed")?;
    result.context("server failed")?;
    let _ = grace;
    tracing::info!("stopped");
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
