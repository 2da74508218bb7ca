//! `lkn-bot console`: slash-command lines from standard input, run through the same
//! core as Discord, as the member whose token is given; replies printed as text.
//!
//! A line looks like Discord's own command box: `/search query:"storytime" tag:events`,
//! `/share idea title:"Seed swaps" body:"…"`, `/collab list status:ACTIVE`. Values with
//! spaces are quoted; `\"` inside quotes is a quote.

use std::collections::HashMap;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::api::{Caller, CollaborationStatus, Lkn, Nation, ThreadKind, from_wire};
use crate::catalogue::{Lang, Msg, say};
use crate::core::{Actor, Command, Draft, Offer, handle};

/// Why a command line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// It does not start with `/name`.
    #[error("a command starts with / and its name, like /search")]
    NoCommand,
    /// A quote was opened and not closed.
    #[error("a quote is not closed")]
    UnclosedQuote,
    /// No command has this name.
    #[error("there is no command /{0}")]
    Unknown(String),
    /// A required option is missing.
    #[error("/{command} needs {option}:")]
    Missing {
        /// The command.
        command: String,
        /// The option.
        option: &'static str,
    },
    /// An option's value is not one of those allowed.
    #[error("{option} must be one of {allowed}")]
    NotAllowed {
        /// The option.
        option: &'static str,
        /// What it may be.
        allowed: &'static str,
    },
}

/// Splits a line into words, keeping quoted values whole (quotes removed).
fn words(line: &str) -> Result<Vec<String>, LineError> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted && chars.peek() == Some(&'"') => current.push(chars.next().unwrap_or('"')),
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err(LineError::UnclosedQuote);
    }
    if !current.is_empty() {
        words.push(current);
    }
    Ok(words)
}

fn upper(value: &str) -> String {
    value.trim().to_uppercase().replace([' ', '-'], "_")
}

fn parse_kind(value: &str) -> Result<ThreadKind, LineError> {
    from_wire(&upper(value)).ok_or(LineError::NotAllowed { option: "kind", allowed: "question, idea, resource" })
}

fn parse_nation(value: &str) -> Result<Nation, LineError> {
    from_wire(&upper(value))
        .ok_or(LineError::NotAllowed { option: "nation", allowed: "england, scotland, wales, northern-ireland" })
}

/// Reads a collaboration status as `/collab list` and `/collab advance` take it.
pub fn parse_status(value: &str) -> Result<CollaborationStatus, LineError> {
    from_wire(&upper(value)).ok_or(LineError::NotAllowed {
        option: "status",
        allowed: "proposed, seeking-partners, active, completed, withdrawn",
    })
}

/// Reads one command line.
pub fn parse_line(line: &str) -> Result<Command, LineError> {
    let words = words(line.trim())?;
    let Some(name) = words.first().and_then(|w| w.strip_prefix('/')) else { return Err(LineError::NoCommand) };
    let name = name.to_lowercase();
    let mut rest = words[1..].iter().peekable();
    let sub = match rest.peek() {
        Some(word) if !word.contains(':') && matches!(name.as_str(), "share" | "collab") => {
            rest.next().map(|w| w.to_lowercase())
        }
        _ => None,
    };
    let options: HashMap<String, String> =
        rest.filter_map(|word| word.split_once(':').map(|(k, v)| (k.to_lowercase(), v.to_owned()))).collect();
    let full = match &sub {
        Some(sub) => format!("{name} {sub}"),
        None => name.clone(),
    };
    let get = |option: &'static str| -> Result<String, LineError> {
        options.get(option).cloned().ok_or_else(|| LineError::Missing { command: full.clone(), option })
    };
    let optional = |option: &str| options.get(option).cloned().filter(|v| !v.is_empty());
    let draft = |kind: ThreadKind| -> Result<Draft, LineError> {
        Ok(Draft {
            kind,
            title: get("title")?,
            body: optional("body").unwrap_or_default(),
            tags: optional("tags").unwrap_or_default(),
        })
    };
    Ok(match (name.as_str(), sub.as_deref()) {
        ("ask", None) => Command::Ask {
            draft: draft(ThreadKind::Question)?,
            confirmed: optional("confirm").is_some_and(|v| matches!(v.to_lowercase().as_str(), "yes" | "true" | "ie")),
        },
        ("share", Some("idea")) => Command::Share { draft: draft(ThreadKind::Idea)? },
        ("share", Some("resource")) => Command::Share { draft: draft(ThreadKind::Resource)? },
        ("search", None) => Command::Search {
            query: get("query")?,
            kind: optional("kind").as_deref().map(parse_kind).transpose()?,
            tag: optional("tag"),
            partner: optional("partner"),
        },
        ("thread", None) => Command::Thread { id: get("id")? },
        ("unanswered", None) => Command::Unanswered,
        ("follow", None) => Command::Follow { thread: get("thread")? },
        ("unfollow", None) => Command::Unfollow { thread: get("thread")? },
        ("answer", None) => Command::Answer { reply: get("reply")? },
        ("partners", None) => {
            Command::Partners { nation: optional("nation").as_deref().map(parse_nation).transpose()? }
        }
        ("partner", None) => Command::Partner { name: get("name")? },
        ("stats", None) => Command::Stats,
        ("collab", Some("propose")) => Command::CollabPropose {
            kind: optional("kind").unwrap_or_else(|| "PROGRAMME".into()),
            title: get("title")?,
            summary: optional("summary").unwrap_or_default(),
        },
        ("collab", Some("list")) => {
            Command::CollabList { status: optional("status").as_deref().map(parse_status).transpose()? }
        }
        ("collab", Some("show")) => Command::CollabShow { id: get("id")? },
        ("collab", Some("join")) => Command::CollabJoin { id: get("id")? },
        ("collab", Some("decide")) => Command::CollabDecide {
            id: get("id")?,
            partner: get("partner")?,
            accept: match get("decision")?.to_lowercase().as_str() {
                "accept" => true,
                "decline" => false,
                _ => return Err(LineError::NotAllowed { option: "decision", allowed: "accept, decline" }),
            },
        },
        ("collab", Some("advance")) => {
            Command::CollabAdvance { id: get("id")?, status: parse_status(&get("status")?)? }
        }
        ("link", None) => match optional("email") {
            Some(email) => Command::LinkByEmail { email },
            None => Command::Link { code: get("code")? },
        },
        ("unlink", None) => Command::Unlink,
        ("who-knows", None) => Command::WhoKnows { topic: get("topic")? },
        ("profile", None) => Command::Profile { discord_user_id: None },
        ("help", None) => Command::Help,
        ("language", None) => Command::Language { code: get("language")? },
        _ => return Err(LineError::Unknown(full)),
    })
}

/// Reads lines from `input` until it ends, runs each as the member of `token`, and
/// writes each reply to `output` followed by a blank line.
pub async fn run(
    api: &Lkn,
    token: String,
    input: impl AsyncBufRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> std::io::Result<()> {
    let mut actor =
        Actor { caller: Caller::Token(token), discord_user_id: None, lang: Lang::En, invocation: String::new() };
    let session = std::process::id();
    let mut lines = input.lines();
    let mut number = 0_u64;
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        number += 1;
        actor.invocation = format!("console-{session}-{number}-{}", nanos_since_epoch());
        let text = match parse_line(&line) {
            Ok(command) => {
                let reply = handle(api, &actor, command).await;
                if let Some(lang) = reply.language_changed {
                    actor.lang = lang;
                }
                match reply.offer {
                    Some(Offer::PostDraft { .. }) => format!("{}\n{}", reply.text, say(actor.lang, &Msg::ConfirmHint)),
                    None => reply.text,
                }
            }
            Err(error) => say(actor.lang, &Msg::BadCommand { detail: &error.to_string() }),
        };
        output.write_all(format!("{text}\n\n").as_bytes()).await?;
        output.flush().await?;
    }
    Ok(())
}

/// Nanoseconds since the epoch: keeps console invocation keys unique across runs.
fn nanos_since_epoch() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_options_and_subcommands() {
        assert_eq!(
            parse_line(r#"/search query:"after school storytime" tag:events"#),
            Ok(Command::Search {
                query: "after school storytime".into(),
                kind: None,
                tag: Some("events".into()),
                partner: None
            })
        );
        assert_eq!(
            parse_line("/collab advance id:abc status:seeking-partners"),
            Ok(Command::CollabAdvance { id: "abc".into(), status: CollaborationStatus::SeekingPartners })
        );
        assert_eq!(
            parse_line(r#"/share idea title:"Say \"hi\"""#),
            Ok(Command::Share {
                draft: Draft {
                    kind: ThreadKind::Idea,
                    title: "Say \"hi\"".into(),
                    body: String::new(),
                    tags: String::new()
                }
            })
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(parse_line("search"), Err(LineError::NoCommand));
        assert_eq!(parse_line("/nope"), Err(LineError::Unknown("nope".into())));
        assert_eq!(parse_line(r#"/ask title:"open"#), Err(LineError::UnclosedQuote));
        assert_eq!(parse_line("/thread"), Err(LineError::Missing { command: "thread".into(), option: "id" }));
        assert!(matches!(parse_line("/partners nation:mars"), Err(LineError::NotAllowed { option: "nation", .. })));
    }
}
