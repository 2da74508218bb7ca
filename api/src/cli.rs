//! Running one `lkn-api` command. The binary parses arguments and calls [`run`]; tests
//! call it too, with their own output, so the commands are tested as operators run them.

use std::future::Future;
use std::io::Write;

use lkn_entity::vocabulary::MemberRole;

use crate::config::{Cli, Command, MemberCommand, RoleArg, SeedCommand, ServeArgs, TokenCommand};
use crate::db::DatabaseSettings;
use crate::error::ServiceError;
use crate::service::access::{self, Authority};
use crate::service::personal_data;
use crate::service::seed::demo;
use crate::service::viewer::Viewer;
use crate::service::write::WriteContext;
use crate::startup::{Application, Settings, StartupError, prepare_database};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The database could not be opened, migrated or seeded.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A command was refused or failed.
    #[error("{0}")]
    Refused(String),
    /// Output, or the listening socket, failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A setting read from the environment is not valid.
    #[error("{0}")]
    Settings(#[from] clap::Error),
}

impl From<StartupError> for CliError {
    fn from(error: StartupError) -> Self {
        match error {
            StartupError::Database(e) => Self::Database(e),
            StartupError::Io(e) => Self::Io(e),
            StartupError::Mail(e) => Self::Refused(e.to_string()),
        }
    }
}

impl From<ServiceError> for CliError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(errors) => {
                Self::Refused(errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))
            }
            other => {
                if let ServiceError::Database(e) | ServiceError::DatabaseUnavailable(e) = &other {
                    tracing::error!(error = %e, "database error");
                }
                Self::Refused(other.to_string())
            }
        }
    }
}

/// Nobody signed in: the operator at the command line acts on the database's authority.
static OPERATOR: Viewer = Viewer::Anonymous;

/// The write context of a command-line action, recorded in the audit trail as `cli`.
fn operator() -> WriteContext<'static> {
    WriteContext::new(&OPERATOR).in_request(Some("cli"))
}

/// Runs `cli`'s command. What a command prints for programs (a token, the schema) goes
/// to `out`; messages for people go to the log on standard error. `serve` runs until
/// `shutdown` completes.
pub async fn run(
    cli: Cli,
    out: &mut (dyn Write + Send),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    let settings = DatabaseSettings::new(&cli.database_url);
    let command = match cli.command {
        Some(command) => command,
        None => Command::Serve(Box::new(ServeArgs::from_environment()?)),
    };
    match command {
        Command::Serve(args) => serve(settings, *args, shutdown).await,
        Command::Migrate => {
            prepare_database(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Schema => {
            write!(out, "{}", crate::schema_sdl())?;
            Ok(())
        }
        Command::Member(MemberCommand::Add { partner, email, name, role }) => {
            let db = prepare_database(&settings).await?;
            let role = match role {
                RoleArg::Member => MemberRole::Member,
                RoleArg::Coordinator => MemberRole::Coordinator,
                RoleArg::Admin => MemberRole::Admin,
                RoleArg::Bot => MemberRole::Bot,
            };
            let new = access::NewMember { partner_slug: partner, email, display_name: name, role };
            let (_, granted) = access::add_member(&db, &operator(), Authority::Operator, new).await?;
            print_access(out, granted)
        }
        Command::Member(MemberCommand::Suspend { email }) => set_suspended(&settings, &email, true).await,
        Command::Member(MemberCommand::Restore { email }) => set_suspended(&settings, &email, false).await,
        Command::Member(MemberCommand::Export { email }) => {
            let db = prepare_database(&settings).await?;
            let held = personal_data::export(&db, &email).await?;
            let text = serde_json::to_string_pretty(&held).map_err(|e| CliError::Refused(e.to_string()))?;
            writeln!(out, "{text}")?;
            Ok(())
        }
        Command::Member(MemberCommand::Erase { email }) => {
            let db = prepare_database(&settings).await?;
            let erased = personal_data::erase(&db, &operator(), &email).await?;
            tracing::info!(
                member_id = erased.member_id,
                tokens = erased.tokens,
                invitations = erased.invitations,
                codes = erased.codes,
                mail = erased.mail,
                scrubbed = erased.scrubbed,
                "personal data erased"
            );
            Ok(())
        }
        Command::Token(command) => {
            let db = prepare_database(&settings).await?;
            match command {
                TokenCommand::Issue { email } => {
                    let member = access::member_by_email(&db, &email).await?;
                    let granted = access::issue_token(&db, &operator(), Authority::Operator, &member).await?;
                    print_access(out, granted)?;
                }
                TokenCommand::Revoke { email } => {
                    let member = access::member_by_email(&db, &email).await?;
                    let revoked = access::revoke_tokens(&db, &operator(), Authority::Operator, &member).await?;
                    tracing::info!(revoked, email, "tokens revoked");
                }
            }
            Ok(())
        }
        Command::Seed(SeedCommand::Demo { threads }) => {
            let db = prepare_database(&settings).await?;
            let started = std::time::Instant::now();
            let summary = demo::seed_demo(&db, threads).await?;
            tracing::info!(
                members = summary.members,
                threads = summary.threads,
                replies = summary.replies,
                endorsements = summary.endorsements,
                collaborations = summary.collaborations,
                outcomes = summary.outcomes,
                seconds = started.elapsed().as_secs_f64(),
                "demo data added"
            );
            Ok(())
        }
    }
}

/// `member suspend` and `member restore`.
async fn set_suspended(settings: &DatabaseSettings, email: &str, suspend: bool) -> Result<(), CliError> {
    let db = prepare_database(settings).await?;
    let member = access::member_by_email(&db, email).await?;
    access::set_suspended(&db, &operator(), Authority::Operator, &member, suspend).await?;
    tracing::info!(email, suspended = suspend, "member updated");
    Ok(())
}

/// Prints a token alone on its line; the operator always gets the token itself.
fn print_access(out: &mut (dyn Write + Send), granted: access::Access) -> Result<(), CliError> {
    match granted {
        access::Access::Token(token) => writeln!(out, "{token}")?,
        access::Access::Enrolment(enrolment) => writeln!(out, "{}", enrolment.code)?,
    }
    Ok(())
}

/// `serve`: start-up in one place ([`Application`]), serving until `shutdown` completes.
async fn serve(
    settings: DatabaseSettings,
    args: ServeArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    let application = Application::build(Settings::from_serve_args(settings, &args)).await?;
    application.run_until_stopped(shutdown).await?;
    Ok(())
}
