//! What the bot does, without Discord: a typed command and the actor who sent it go
//! in, a reply comes out. The Discord adapter and the console both run commands
//! through [`handle`], so what one does the other does too.

use std::fmt::Write as _;

use crate::api::{
    self, ApiError, Caller, CollaborationKind, CollaborationStatus, Lkn, MembershipRequestView, Nation,
    NewCollaboration, NewThread, SearchHit, ThreadFeed, ThreadFilter, ThreadKind, ThreadStatus,
};
use crate::catalogue::{self, Lang, Msg, say};
use crate::render::{
    collaboration_line, collaboration_text, excerpt, membership_text, profile_text, thread_line, user_error,
};

/// Who sent a command, and how the API should see them.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The permissions requests carry.
    pub caller: Caller,
    /// Their Discord id, when the command came from Discord.
    pub discord_user_id: Option<String>,
    /// The language they chose.
    pub lang: Lang,
    /// Unique per invocation and the same on redelivery (Discord's interaction id):
    /// the idempotency key of every create.
    pub invocation: String,
}

/// A thread being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Question, idea or resource.
    pub kind: ThreadKind,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Tags, comma-separated as typed.
    pub tags: String,
}

/// Everything the bot can be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Ask a question; similar threads are shown first unless `confirmed`.
    Ask {
        /// The question.
        draft: Draft,
        /// Post even if similar threads exist.
        confirmed: bool,
    },
    /// Share an idea or a resource.
    Share {
        /// What is shared.
        draft: Draft,
    },
    /// Search threads and collaborations.
    Search {
        /// The words.
        query: String,
        /// Only this kind.
        kind: Option<ThreadKind>,
        /// Only this tag.
        tag: Option<String>,
        /// Only this partner (slug).
        partner: Option<String>,
    },
    /// Show a thread.
    Thread {
        /// Its id.
        id: String,
    },
    /// Questions without an answer.
    Unanswered,
    /// Follow a thread.
    Follow {
        /// Its id.
        thread: String,
    },
    /// Stop following a thread.
    Unfollow {
        /// Its id.
        thread: String,
    },
    /// Accept a reply as the answer.
    Answer {
        /// The reply's id.
        reply: String,
    },
    /// List partners.
    Partners {
        /// Only this nation.
        nation: Option<Nation>,
    },
    /// Show a partner.
    Partner {
        /// Slug or part of the name.
        name: String,
    },
    /// The network's figures.
    Stats,
    /// Propose a collaboration.
    CollabPropose {
        /// PROGRAMME, ACTIVITY, …
        kind: String,
        /// Title.
        title: String,
        /// Summary.
        summary: String,
    },
    /// List collaborations.
    CollabList {
        /// Only this status.
        status: Option<CollaborationStatus>,
    },
    /// Show a collaboration.
    CollabShow {
        /// Its id.
        id: String,
    },
    /// Ask to join a collaboration.
    CollabJoin {
        /// Its id.
        id: String,
    },
    /// Accept or decline a partner's request to join.
    CollabDecide {
        /// The collaboration.
        id: String,
        /// The asking partner's slug.
        partner: String,
        /// Accept (true) or decline.
        accept: bool,
    },
    /// Move a collaboration along.
    CollabAdvance {
        /// The collaboration.
        id: String,
        /// The new status.
        status: CollaborationStatus,
    },
    /// Link the Discord account with a code from LKN.
    Link {
        /// The code.
        code: String,
    },
    /// Have a link code e-mailed to a member's address, to link this Discord account.
    LinkByEmail {
        /// The address.
        email: String,
    },
    /// Ask to join a partner, for someone who is not a member yet.
    Join {
        /// The partner's slug.
        partner: String,
        /// The name to show on their posts.
        name: String,
        /// Their work address, for signing in on the web.
        email: String,
    },
    /// Who knows most about a topic.
    WhoKnows {
        /// A tag or a few words.
        topic: String,
    },
    /// A member's profile: one's own, or that of the member linked to a Discord account.
    Profile {
        /// The colleague's Discord user id; one's own profile when absent.
        discord_user_id: Option<String>,
    },
    /// Approve or decline a request to join (a coordinator's button press).
    DecideMembership {
        /// The request's id.
        request: String,
        /// Approve (true) or decline.
        approve: bool,
    },
    /// Unlink the Discord account.
    Unlink,
    /// The command list.
    Help,
    /// Choose the bot's language.
    Language {
        /// `en` or `cy`.
        code: String,
    },
}

/// What the user is offered besides the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// Similar threads were shown: post the draft anyway, or drop it.
    PostDraft {
        /// The draft to post.
        draft: Draft,
        /// The label of the button that posts it.
        post_label: String,
        /// The label of the button that drops it.
        cancel_label: String,
    },
}

/// What the bot answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Markdown text.
    pub text: String,
    /// Only the user sees it.
    pub private: bool,
    /// A choice to offer, if any.
    pub offer: Option<Offer>,
    /// The language the user now speaks, when the command changed it.
    pub language_changed: Option<Lang>,
    /// A request to join that the command made or decided: a pending one is put to the
    /// partner's coordinators, a decided one edits their message and is told to the person.
    pub membership: Option<MembershipRequestView>,
}

impl Reply {
    /// Text only the user sees.
    pub fn private(text: String) -> Self {
        Self { text, private: true, offer: None, language_changed: None, membership: None }
    }

    fn public(text: String) -> Self {
        Self { text, private: false, offer: None, language_changed: None, membership: None }
    }
}

/// Runs `command` for `actor`.
pub async fn handle(api: &Lkn, actor: &Actor, command: Command) -> Reply {
    match run(api, actor, command).await {
        Ok(reply) => reply,
        Err(ApiError::Unauthenticated(_)) if matches!(actor.caller, Caller::Token(_)) => {
            Reply::private(say(actor.lang, &Msg::TokenRefused))
        }
        Err(error) => refusal(actor.lang, &error),
    }
}

/// The reply for an API refusal, in the user's language.
pub fn refusal(lang: Lang, error: &ApiError) -> Reply {
    let text = match error {
        ApiError::Unauthenticated(_) => say(lang, &Msg::NotLinked),
        ApiError::Suspended(_) => say(lang, &Msg::Suspended),
        ApiError::Forbidden(_) => say(lang, &Msg::Forbidden),
        ApiError::NotFound(_) => say(lang, &Msg::NotFound),
        ApiError::BadRequest(detail) => say(lang, &Msg::BadCommand { detail }),
        ApiError::Unavailable(_) => say(lang, &Msg::Unavailable),
        ApiError::Invalid(errors) => {
            let mut text = say(lang, &Msg::Refused);
            for error in errors {
                let _ = write!(text, "\n- {}", user_error(lang, error));
            }
            text
        }
    };
    Reply::private(text)
}

/// The slug of the partner someone typed: a slug, or (typed without autocomplete) part
/// of a partner's name; as typed when nothing matches, for the API to refuse in its words.
async fn partner_slug(api: &Lkn, caller: &Caller, typed: &str) -> Result<String, ApiError> {
    let wanted = typed.trim().to_lowercase();
    let partners = api.partners(caller, None).await?;
    let found = partners
        .iter()
        .find(|p| p.slug == wanted)
        .or_else(|| partners.iter().find(|p| p.name.to_lowercase().contains(&wanted)));
    Ok(found.map_or_else(|| typed.trim().to_owned(), |p| p.slug.clone()))
}

fn tags_of(text: &str) -> Vec<String> {
    text.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect()
}

fn new_thread(actor: &Actor, draft: &Draft) -> NewThread {
    NewThread {
        kind: draft.kind,
        title: draft.title.clone(),
        body: draft.body.clone(),
        tags: tags_of(&draft.tags),
        language: actor.lang.api_language(),
        idempotency_key: key(actor),
    }
}

/// The kind of collaboration `/collab propose` was given (`programme`, `shared content`,
/// `FUNDING-APPLICATION`…); a word the API does not know is sent as typed, for the API
/// to refuse in its own words.
fn collaboration_kind(typed: &str) -> CollaborationKind {
    let word = typed.trim().to_uppercase().replace([' ', '-'], "_");
    api::from_wire(&word).unwrap_or(CollaborationKind::Other(word))
}

fn key(actor: &Actor) -> String {
    format!("discord:{}", actor.invocation)
}

async fn post(api: &Lkn, actor: &Actor, draft: &Draft) -> Result<Reply, ApiError> {
    let posted = api.post_thread(&actor.caller, new_thread(actor, draft)).await?;
    Ok(Reply::private(say(actor.lang, &Msg::Posted { title: &posted.title })))
}

async fn run(api: &Lkn, actor: &Actor, command: Command) -> Result<Reply, ApiError> {
    let lang = actor.lang;
    let caller = &actor.caller;
    match command {
        Command::Ask { draft, confirmed } => {
            if !confirmed {
                let similar = api.similar_threads(caller, &format!("{}\n{}", draft.title, draft.body)).await?;
                if !similar.is_empty() {
                    let mut text = say(lang, &Msg::SimilarFirst);
                    for thread in &similar {
                        let _ = write!(text, "\n{}", thread_line(lang, thread));
                    }
                    return Ok(Reply {
                        text,
                        private: true,
                        offer: Some(Offer::PostDraft {
                            draft,
                            post_label: say(lang, &Msg::PostAnyway),
                            cancel_label: say(lang, &Msg::Cancel),
                        }),
                        language_changed: None,
                        membership: None,
                    });
                }
            }
            post(api, actor, &draft).await
        }
        Command::Share { draft } => post(api, actor, &draft).await,
        Command::Search { query, kind, tag, partner } => {
            let found = api.search(caller, &query, kind, tag.as_deref(), partner.as_deref()).await?;
            if found.nodes.is_empty() {
                return Ok(Reply::private(say(lang, &Msg::NoResults)));
            }
            let total = i64::from(found.total_count);
            let mut text = say(lang, &Msg::SearchResults { query: &query, total });
            for hit in &found.nodes {
                let line = match hit {
                    SearchHit::Thread(thread) => thread_line(lang, thread),
                    SearchHit::Collaboration(collaboration) => collaboration_line(lang, collaboration),
                    SearchHit::Other => continue,
                };
                let _ = write!(text, "\n{line}");
            }
            Ok(Reply::private(text))
        }
        Command::Thread { id } => {
            let thread = api.thread(caller, &id).await?.ok_or_else(|| ApiError::NotFound("thread".into()))?;
            let mut text = thread_line(lang, &thread.summary);
            if let Some(author) = &thread.summary.author {
                let _ = write!(text, "\n_{} {}_", say(lang, &Msg::By), author.display_name);
            }
            let _ = write!(text, "\n\n{}", excerpt(&thread.body, 1200));
            if !thread.replies.nodes.is_empty() {
                let _ = write!(text, "\n\n**{}:**", say(lang, &Msg::RepliesLabel));
                for reply in &thread.replies.nodes {
                    let author = reply.author.as_ref().map(|a| a.display_name.as_str()).unwrap_or("?");
                    let accepted = if reply.is_accepted {
                        format!(" ✅ {}", say(lang, &Msg::AcceptedLabel))
                    } else {
                        String::new()
                    };
                    let _ = write!(
                        text,
                        "\n> **{author}**{accepted}: {} `{}`",
                        excerpt(&reply.body, 300),
                        reply.id.inner()
                    );
                }
            }
            Ok(Reply::private(excerpt(&text, 1900)))
        }
        Command::Unanswered => {
            let filter = ThreadFilter {
                kind: Some(ThreadKind::Question),
                status: Some(ThreadStatus::Open),
                ..ThreadFilter::default()
            };
            let (threads, _) = api.threads(caller, 10, None, ThreadFeed::UnansweredFirst, filter).await?;
            if threads.is_empty() {
                return Ok(Reply::private(say(lang, &Msg::NoResults)));
            }
            let mut text = say(lang, &Msg::Unanswered);
            for thread in &threads {
                let _ = write!(text, "\n{}", thread_line(lang, thread));
            }
            Ok(Reply::private(text))
        }
        Command::Follow { thread } => {
            let followed = api.follow(caller, &thread, true).await?;
            Ok(Reply::private(say(lang, &Msg::Followed { title: &followed.title })))
        }
        Command::Unfollow { thread } => {
            let unfollowed = api.follow(caller, &thread, false).await?;
            Ok(Reply::private(say(lang, &Msg::Unfollowed { title: &unfollowed.title })))
        }
        Command::Answer { reply } => {
            let question = api.accept_reply(caller, &reply).await?;
            Ok(Reply::public(say(lang, &Msg::AnswerAccepted { title: &question.title })))
        }
        Command::Partners { nation } => {
            let partners = api.partners(caller, nation).await?;
            let mut text = say(lang, &Msg::Partners { count: partners.len() });
            for partner in &partners {
                let _ = write!(
                    text,
                    "\n• **{}** — {}, {} · `{}`",
                    partner.name,
                    partner.city,
                    catalogue::nation(lang, partner.nation),
                    partner.slug
                );
            }
            Ok(Reply::private(excerpt(&text, 1900)))
        }
        Command::Partner { name } => {
            let wanted = name.trim().to_lowercase();
            let partners = api.partners(caller, None).await?;
            let Some(partner) = partners
                .iter()
                .find(|p| p.slug == wanted)
                .or_else(|| partners.iter().find(|p| p.name.to_lowercase().contains(&wanted)))
            else {
                return Ok(Reply::private(say(lang, &Msg::NotFound)));
            };
            let reach = partner.audience_reach.map_or_else(|| say(lang, &Msg::Unknown), |n| n.to_string());
            let mut text = format!(
                "**{}** (`{}`)\n{}, {}\n{}: {reach}",
                partner.name,
                partner.slug,
                partner.city,
                catalogue::nation(lang, partner.nation),
                say(lang, &Msg::AudienceReach)
            );
            if let Some(website) = &partner.website {
                let _ = write!(text, "\n{website}");
            }
            Ok(Reply::private(text))
        }
        Command::Stats => {
            let stats = api.stats(caller).await?;
            let percent = stats.answered_rate.map_or_else(|| "—".to_owned(), |r| format!("{:.0}%", r * 100.0));
            let median = stats.median_hours_to_first_reply.map_or_else(|| "—".to_owned(), |h| format!("{h:.1}"));
            let reach = stats
                .combined_audience_reach
                .reported_total
                .map_or_else(|| say(lang, &Msg::Unknown), |n| n.to_string());
            let tags: Vec<&str> = stats.top_tags.iter().map(|t| t.name.as_str()).collect();
            let text = format!(
                "**{}**\n{}: {}\n{}: {}\n{}: {percent}\n{}: {median}\n{}: {}\n{}: {reach}\n{}: {}",
                say(lang, &Msg::StatsHeading),
                say(lang, &Msg::PartnersLabel),
                stats.partner_count,
                say(lang, &Msg::ThreadsLabel),
                stats.thread_count,
                say(lang, &Msg::AnsweredLabel),
                say(lang, &Msg::MedianLabel),
                say(lang, &Msg::ActiveCollaborationsLabel),
                stats.active_collaboration_count,
                say(lang, &Msg::AudienceReach),
                say(lang, &Msg::TopTagsLabel),
                tags.join(", "),
            );
            Ok(Reply::private(text))
        }
        Command::CollabPropose { kind, title, summary } => {
            let new = NewCollaboration { kind: collaboration_kind(&kind), title, summary, idempotency_key: key(actor) };
            let proposed = api.propose(caller, new).await?;
            Ok(Reply::private(say(lang, &Msg::Proposed { title: &proposed.title })))
        }
        Command::CollabList { status } => {
            let collaborations = api.collaborations(caller, status).await?;
            if collaborations.is_empty() {
                return Ok(Reply::private(say(lang, &Msg::NoResults)));
            }
            let mut text = say(lang, &Msg::Collaborations);
            for collaboration in &collaborations {
                let _ = write!(text, "\n{}", collaboration_line(lang, collaboration));
            }
            Ok(Reply::private(excerpt(&text, 1900)))
        }
        Command::CollabShow { id } => {
            let found =
                api.collaboration(caller, &id).await?.ok_or_else(|| ApiError::NotFound("collaboration".into()))?;
            Ok(Reply::private(collaboration_text(lang, &found)))
        }
        Command::CollabJoin { id } => {
            let joined = api.request_to_join(caller, &id).await?;
            Ok(Reply::private(say(lang, &Msg::JoinRequested { title: &joined.title })))
        }
        Command::CollabDecide { id, partner, accept } => {
            api.decide(caller, &id, partner.trim(), accept).await?;
            Ok(Reply::private(say(lang, &Msg::JoinDecided { accepted: accept })))
        }
        Command::CollabAdvance { id, status } => {
            let advanced = api.advance(caller, &id, status).await?;
            Ok(Reply::public(format!(
                "{} ({})",
                say(lang, &Msg::Advanced { title: &advanced.title }),
                catalogue::collaboration_status(lang, advanced.status)
            )))
        }
        Command::Link { code } => {
            let Some(discord_user) = &actor.discord_user_id else {
                return Ok(Reply::private(say(lang, &Msg::DiscordOnly)));
            };
            let member = api.link(code.trim(), discord_user).await?;
            Ok(Reply::private(say(lang, &Msg::Linked { name: &member.display_name })))
        }
        Command::LinkByEmail { email } => {
            let Some(discord_user) = &actor.discord_user_id else {
                return Ok(Reply::private(say(lang, &Msg::DiscordOnly)));
            };
            api.request_link_by_email(discord_user, email.trim()).await?;
            Ok(Reply::private(say(lang, &Msg::LinkCodeSent)))
        }
        Command::Join { partner, name, email } => {
            let Some(discord_user) = &actor.discord_user_id else {
                return Ok(Reply::private(say(lang, &Msg::DiscordOnly)));
            };
            match api.viewer(caller).await {
                Ok(Some(member)) => {
                    let partner = member.partner.as_ref().map_or("LKN", |p| p.name.as_str());
                    return Ok(Reply::private(say(lang, &Msg::AlreadyMember { partner })));
                }
                Ok(None) | Err(ApiError::Unauthenticated(_)) => {}
                Err(error) => return Err(error),
            }
            let slug = partner_slug(api, caller, &partner).await?;
            let request = api.request_membership(discord_user, &slug, name.trim(), email.trim()).await?;
            let text = say(lang, &Msg::JoinAsked { partner: &request.partner.name });
            Ok(Reply { membership: Some(request), ..Reply::private(text) })
        }
        Command::WhoKnows { topic } => {
            let topic = topic.trim();
            let experts = api.who_knows(caller, topic).await?;
            if experts.is_empty() {
                return Ok(Reply::private(say(lang, &Msg::NobodyKnows { topic })));
            }
            let mut text = say(lang, &Msg::WhoKnows { topic });
            for expert in &experts {
                let _ = write!(text, "\n• **{}**", expert.member.display_name);
                if let Some(partner) = &expert.member.partner {
                    let _ = write!(text, " — {}", partner.name);
                }
                if !expert.reasons.is_empty() {
                    let _ = write!(text, ": {}", expert.reasons.join("; "));
                }
            }
            Ok(Reply::private(excerpt(&text, 1900)))
        }
        Command::Profile { discord_user_id } => {
            let profile = match &discord_user_id {
                Some(colleague) => api.discord_member_profile(caller, colleague).await?,
                None => api.own_profile(caller).await?,
            };
            match profile {
                Some(profile) => Ok(Reply::private(profile_text(lang, &profile))),
                None => Ok(Reply::private(say(lang, &Msg::NotAMember))),
            }
        }
        Command::DecideMembership { request, approve } => {
            let decided = api.decide_membership(caller, &request, approve).await?;
            let text = membership_text(lang, &decided, "");
            Ok(Reply { membership: Some(decided), ..Reply::private(text) })
        }
        Command::Unlink => {
            let Some(discord_user) = &actor.discord_user_id else {
                return Ok(Reply::private(say(lang, &Msg::DiscordOnly)));
            };
            let unlinked = api.unlink(discord_user).await?;
            Ok(Reply::private(say(lang, if unlinked { &Msg::Unlinked } else { &Msg::NothingToUnlink })))
        }
        Command::Help => Ok(Reply::private(say(lang, &Msg::Help))),
        Command::Language { code } => {
            let Some(chosen) = Lang::parse(&code) else {
                return Ok(Reply::private(say(lang, &Msg::UnknownLanguage)));
            };
            if let Some(discord_user) = &actor.discord_user_id {
                api.set_language(discord_user, chosen.api_language()).await?;
            }
            Ok(Reply { language_changed: Some(chosen), ..Reply::private(say(chosen, &Msg::LanguageSet)) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collaboration_kind_is_read_as_people_type_it() {
        assert_eq!(collaboration_kind("programme"), CollaborationKind::Programme);
        assert_eq!(collaboration_kind(" shared content "), CollaborationKind::SharedContent);
        assert_eq!(collaboration_kind("Funding-Application"), CollaborationKind::FundingApplication);
        assert_eq!(collaboration_kind("street party"), CollaborationKind::Other("STREET_PARTY".into()));
    }
}
