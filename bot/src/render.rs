//! How the bot writes what it shows: lines for lists, whole texts for one thread,
//! collaboration, profile or request to join, and the sentence for an input fault, each
//! in the reader's language. Pure functions of what the API returned, shared by the
//! command core, the Discord adapter and the mirror.

use std::fmt::Write as _;

use crate::api::{
    CollaborationView, MembershipRequestStatus, MembershipRequestView, ProfileView, ThreadSummary, UserError,
    UserErrorCode,
};
use crate::catalogue::{self, Lang, Msg, say};

/// A profile: name and partner, bio, languages and what they know about.
pub fn profile_text(lang: Lang, profile: &ProfileView) -> String {
    let mut text = format!("**{}**", profile.display_name);
    if let Some(partner) = &profile.partner {
        let _ = write!(text, " — {}", partner.name);
    }
    let bio = profile.bio.trim();
    let _ = write!(text, "\n{}", if bio.is_empty() { say(lang, &Msg::NoBio) } else { excerpt(bio, 1000) });
    if !profile.languages.is_empty() {
        let names: Vec<&str> = profile.languages.iter().map(|l| catalogue::language(lang, *l)).collect();
        let _ = write!(text, "\n{}: {}", say(lang, &Msg::LanguagesLabel), names.join(", "));
    }
    if !profile.expertise.is_empty() {
        let _ = write!(text, "\n{}: {}", say(lang, &Msg::ExpertiseLabel), profile.expertise.join(", "));
    }
    text
}

/// What the partner's coordinators read about a request to join, in `lang`: who asks
/// while it is pending, who decided once it is.
pub fn membership_text(lang: Lang, request: &MembershipRequestView, discord_name: &str) -> String {
    let name = request.display_name.as_str();
    let partner = request.partner.name.as_str();
    let by = request.decided_by.as_ref().map_or("?", |member| member.display_name.as_str());
    match request.status {
        MembershipRequestStatus::Pending => {
            let domain = request.email.rsplit_once('@').map_or("?", |(_, domain)| domain);
            say(lang, &Msg::MembershipAsk { name, discord_name, domain, partner })
        }
        MembershipRequestStatus::Approved => say(lang, &Msg::MembershipDecided { approved: true, name, partner, by }),
        MembershipRequestStatus::Declined => say(lang, &Msg::MembershipDecided { approved: false, name, partner, by }),
    }
}

/// What the person who asked to join is told of the decision, in their language; nothing
/// while it is pending.
pub fn membership_outcome(lang: Lang, request: &MembershipRequestView) -> Option<String> {
    let partner = request.partner.name.as_str();
    match request.status {
        MembershipRequestStatus::Pending => None,
        MembershipRequestStatus::Approved => Some(say(lang, &Msg::Welcome { partner, name: &request.display_name })),
        MembershipRequestStatus::Declined => Some(say(lang, &Msg::JoinTurnedDown { partner })),
    }
}

/// One input fault: the API's own sentence in English, the catalogue's by code in Welsh.
pub fn user_error(lang: Lang, error: &UserError) -> String {
    let field = error.field.last().map(String::as_str).unwrap_or("");
    let welsh = match error.code {
        UserErrorCode::Blank => "mae'n wag",
        UserErrorCode::TooLong => "mae'n rhy hir",
        UserErrorCode::TooShort => "mae'n rhy fyr",
        UserErrorCode::NotFound => "heb ei ganfod",
        UserErrorCode::Taken | UserErrorCode::Conflict => "mae hyn yn bodoli eisoes neu wedi newid",
        UserErrorCode::InvalidState => "nid yw hynny'n bosibl yn y cyflwr presennol",
        UserErrorCode::Forbidden => "ni chewch wneud hynny",
        UserErrorCode::Expired => "mae'r cod yn anhysbys, wedi'i ddefnyddio neu wedi dod i ben",
        UserErrorCode::Invalid
        | UserErrorCode::IdempotencyKeyReused
        | UserErrorCode::RateLimited
        | UserErrorCode::Other(_) => "nid yw'n ddilys",
    };
    match lang {
        Lang::En if field.is_empty() => error.message.clone(),
        Lang::En => format!("{field}: {}", error.message),
        Lang::Cy if field.is_empty() => welsh.to_owned(),
        Lang::Cy => format!("{field}: {welsh}"),
    }
}

/// One line for a thread in a list.
pub fn thread_line(lang: Lang, thread: &ThreadSummary) -> String {
    let mut line = format!(
        "• **{}** — {} · {} · 💬 {}",
        thread.title,
        catalogue::thread_kind(lang, thread.kind),
        catalogue::thread_status(lang, thread.status),
        thread.reply_count,
    );
    if let Some(partner) = &thread.partner {
        let _ = write!(line, " · {}", partner.name);
    }
    let _ = write!(line, " · `{}`", thread.id.inner());
    line
}

/// One line for a collaboration in a list.
pub fn collaboration_line(lang: Lang, collaboration: &CollaborationView) -> String {
    let lead = collaboration.lead_partner.as_ref().map(|p| p.name.as_str()).unwrap_or("?");
    format!(
        "• **{}** — {} · {} · `{}`",
        collaboration.title,
        lead,
        catalogue::collaboration_status(lang, collaboration.status),
        collaboration.id.inner()
    )
}

/// A collaboration in full.
pub fn collaboration_text(lang: Lang, collaboration: &CollaborationView) -> String {
    let mut text = collaboration_line(lang, collaboration);
    if !collaboration.summary.is_empty() {
        let _ = write!(text, "\n{}", excerpt(&collaboration.summary, 600));
    }
    let _ = write!(text, "\n**{}:**", say(lang, &Msg::ParticipantsLabel));
    for participant in &collaboration.participants {
        if let Some(partner) = &participant.partner {
            let status = catalogue::join_status(participant.join_status);
            let _ = write!(text, "\n- {} (`{}`) · {status}", partner.name, partner.slug);
        }
    }
    text
}

/// The first `max` characters of `text`, with an ellipsis if cut.
pub fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api;

    fn request(status: MembershipRequestStatus) -> MembershipRequestView {
        MembershipRequestView {
            id: cynic::Id::new("TWVtYmVyc2hpcFJlcXVlc3Q6MQ"),
            display_name: "Gwen Ellis".into(),
            discord_user_id: "500000000000000103".into(),
            email: "gwen.ellis@llgc.org.uk".into(),
            status,
            partner: api::PartnerRef {
                slug: "national-library-of-wales".into(),
                name: "National Library of Wales".into(),
            },
            decided_by: None,
        }
    }

    #[test]
    fn the_person_who_asked_hears_the_decision_in_their_language_and_nothing_while_it_waits() {
        assert_eq!(membership_outcome(Lang::En, &request(MembershipRequestStatus::Pending)), None);
        let welcome = membership_outcome(Lang::Cy, &request(MembershipRequestStatus::Approved)).expect("told");
        assert!(welcome.starts_with("Croeso") && welcome.contains("**Gwen Ellis**"), "{welcome}");
        let declined = membership_outcome(Lang::En, &request(MembershipRequestStatus::Declined)).expect("told");
        assert!(declined.contains("declined"), "{declined}");
    }

    #[test]
    fn coordinators_read_who_asks_and_then_who_decided() {
        let asking = membership_text(Lang::En, &request(MembershipRequestStatus::Pending), "gwen");
        let expected =
            "**Gwen Ellis** (Discord: gwen; e-mail at llgc.org.uk) asks to join **National Library of Wales**";
        assert!(asking.starts_with(expected), "{asking}");
        assert!(!asking.contains("gwen.ellis@"), "the address itself stays private: {asking}");
        let mut decided = request(MembershipRequestStatus::Approved);
        decided.decided_by = Some(api::MemberView { display_name: "Eleri".into(), partner: None });
        let approved = membership_text(Lang::En, &decided, "");
        assert_eq!(approved, "✅ Approved by Eleri: **Gwen Ellis** is now a member of **National Library of Wales**.");
    }

    #[test]
    fn a_refusal_names_the_field_in_either_language() {
        let error = UserError {
            field: vec!["input".into(), "title".into()],
            message: "Too long.".into(),
            code: UserErrorCode::TooLong,
        };
        assert_eq!(user_error(Lang::En, &error), "title: Too long.");
        assert_eq!(user_error(Lang::Cy, &error), "title: mae'n rhy hir");
    }
}
