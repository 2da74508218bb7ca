//! What notifications say, in English and Welsh: the one-line [`headline`] of a
//! notification (shared by the API, Discord messages, e-mail and the digests) and the
//! e-mail sent at once for one notification ([`notification_letter`]). The daily and
//! weekly round-ups are `digest`'s.
//!
//! Every message here is one a member may stop, so each carries a one-click unsubscribe
//! address (sent as `List-Unsubscribe` by `delivery`) and says in its small print why it
//! came and how to stop it. Each message is written once, for a language, and rendered
//! by `letters`: Welsh first then English for members who prefer Welsh, English
//! otherwise.

use lkn_entity::vocabulary::{CollaborationStatus, Language, NotificationKind};

use super::letters::{Draft, letter, writing_language};
use super::{Letter, Links};

/// Who a letter goes to: the address, the member (so the message can be found and erased
/// with their data), the name to greet and the language they read.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// The address it goes to.
    pub email: &'a str,
    /// The member it goes to.
    pub member_id: i64,
    /// The name they are greeted by.
    pub name: &'a str,
    /// The language they asked to be written to in.
    pub preferred: Language,
}

/// What happened, in one notification: the event, not the reason the member hears of it
/// (that is the [`NotificationKind`]), so one event reads the same whoever is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeWhat {
    /// A reply was posted on the thread.
    Replied,
    /// A reply was accepted as the thread's answer.
    AnswerAccepted,
    /// The thread was edited.
    Edited,
    /// The thread was closed to replies.
    Closed,
    /// A partner endorsed the thread.
    Endorsed,
    /// A partner asked to join the collaboration.
    AskedToJoin,
    /// The member's partner's request to join the collaboration was accepted.
    JoinAccepted,
    /// The member's partner's request to join the collaboration was declined.
    JoinDeclined,
    /// The collaboration moved to this status.
    StatusChanged(CollaborationStatus),
    /// The collaboration's bid is due in this many days (negative: that many days ago).
    DeadlineIn {
        /// Days until the deadline.
        days: i64,
    },
    /// A question was asked (in one of the member's areas of expertise).
    NewQuestion,
}

/// One notification, ready to put into words: the names it mentions are resolved already,
/// so writing it needs no database.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Why the member hears of it: names the setting the small print points to.
    pub kind: NotificationKind,
    /// What happened.
    pub what: NoticeWhat,
    /// The thread's title, for what happened on a thread.
    pub thread_title: Option<String>,
    /// The collaboration's title, for what happened on a collaboration.
    pub collaboration_title: Option<String>,
    /// The member who did it, if a member did.
    pub actor_name: Option<String>,
    /// The partner that did it or is concerned (the endorsing partner, the partner asking to join, the actor's partner).
    pub partner_name: Option<String>,
    /// Where to read more (the explorer page of the thread or collaboration).
    pub url: String,
}

/// The one line that names a notification (no trailing full stop), in `language` (Welsh or English;
/// anything else → English). Used in the API (`Notification.headline`), in Discord DMs and in e-mails,
/// so a member reads the same words wherever they hear of it.
/// e.g. "Ann Jones (Glasgow Libraries) replied to “Dementia-friendly reading groups”",
///      "Your partner’s request to join “Summer Reading Challenge 2027” was accepted",
///      "The bid for “Libraries of Sanctuary” is due in 3 days".
pub fn headline(notice: &Notice, language: Language) -> String {
    if writing_language(language) == Language::Welsh { welsh_headline(notice) } else { english_headline(notice) }
}

/// Who did it: "Ann Jones (Glasgow Libraries)", the member or the partner alone, or None.
fn who(notice: &Notice) -> Option<String> {
    match (&notice.actor_name, &notice.partner_name) {
        (Some(actor), Some(partner)) => Some(format!("{actor} ({partner})")),
        (Some(name), None) | (None, Some(name)) => Some(name.clone()),
        (None, None) => None,
    }
}

/// The partner that asked to join, or whoever did it.
fn asking_partner(notice: &Notice) -> Option<String> {
    notice.partner_name.clone().or_else(|| who(notice))
}

/// `text` with its first letter in capitals, for a phrase that may start a sentence.
fn sentence_start(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The English headline: a title stands alone in quotes, "the thread" when there is none.
fn english_headline(notice: &Notice) -> String {
    let quoted = |title: &Option<String>, otherwise: &str| {
        title.as_ref().map_or_else(|| otherwise.to_owned(), |title| format!("“{title}”"))
    };
    let thread = quoted(&notice.thread_title, "the thread");
    let collaboration = quoted(&notice.collaboration_title, "the collaboration");
    let someone = || who(notice).unwrap_or_else(|| "Someone".to_owned());
    match &notice.what {
        NoticeWhat::Replied => format!("{} replied to {thread}", someone()),
        NoticeWhat::AnswerAccepted => match who(notice) {
            Some(who) => format!("{who} accepted an answer on {thread}"),
            None => format!("An answer was accepted on {thread}"),
        },
        NoticeWhat::Edited => match who(notice) {
            Some(who) => format!("{who} edited {thread}"),
            None => format!("{} was edited", sentence_start(&thread)),
        },
        NoticeWhat::Closed => match who(notice) {
            Some(who) => format!("{who} closed {thread}"),
            None => format!("{} was closed", sentence_start(&thread)),
        },
        NoticeWhat::Endorsed => {
            format!("{} endorsed {thread}", who(notice).unwrap_or_else(|| "Another partner".to_owned()))
        }
        NoticeWhat::AskedToJoin => {
            format!(
                "{} asked to join {collaboration}",
                asking_partner(notice).unwrap_or_else(|| "A partner".to_owned())
            )
        }
        NoticeWhat::JoinAccepted => format!("Your partner’s request to join {collaboration} was accepted"),
        NoticeWhat::JoinDeclined => format!("Your partner’s request to join {collaboration} was declined"),
        NoticeWhat::StatusChanged(status) => {
            let now = match status {
                CollaborationStatus::Proposed => "was proposed",
                CollaborationStatus::SeekingPartners => "is now seeking partners",
                CollaborationStatus::Active => "is now under way",
                CollaborationStatus::Completed => "was completed",
                CollaborationStatus::Withdrawn => "was withdrawn",
            };
            format!("{} {now}", sentence_start(&collaboration))
        }
        NoticeWhat::DeadlineIn { days } if *days < 0 => {
            format!("The bid for {collaboration} was due {}", days_away(*days, Language::English))
        }
        NoticeWhat::DeadlineIn { days } => {
            format!("The bid for {collaboration} is due {}", days_away(*days, Language::English))
        }
        NoticeWhat::NewQuestion => match (who(notice), &notice.thread_title) {
            (Some(who), _) => format!("{who} asked {thread}"),
            (None, Some(title)) => format!("New question in your areas of expertise: “{title}”"),
            (None, None) => "New question in your areas of expertise".to_owned(),
        },
    }
}

/// The Welsh headline. Titles follow their noun ("yr edefyn “…”", "y cydweithrediad
/// “…”"), so no title has to be mutated or chooses between "â" and "ag".
fn welsh_headline(notice: &Notice) -> String {
    let named = |noun: &str, title: &Option<String>| match title {
        Some(title) => format!("{noun} “{title}”"),
        None => noun.to_owned(),
    };
    let thread = named("edefyn", &notice.thread_title);
    let collaboration = named("cydweithrediad", &notice.collaboration_title);
    let someone = || who(notice).unwrap_or_else(|| "rhywun".to_owned());
    match &notice.what {
        NoticeWhat::Replied => format!("Mae {} wedi ymateb i’r {thread}", someone()),
        // "Ateb derbyniol", as the explorer calls it: "derbyn ateb" alone reads as "receive".
        NoticeWhat::AnswerAccepted => match who(notice) {
            Some(who) => format!("Mae {who} wedi nodi ateb derbyniol ar yr {thread}"),
            None => format!("Mae gan yr {thread} ateb derbyniol bellach"),
        },
        NoticeWhat::Edited => match who(notice) {
            Some(who) => format!("Mae {who} wedi golygu’r {thread}"),
            None => format!("Mae’r {thread} wedi’i olygu"),
        },
        NoticeWhat::Closed => match who(notice) {
            Some(who) => format!("Mae {who} wedi cau’r {thread}"),
            None => format!("Mae’r {thread} wedi’i gau"),
        },
        NoticeWhat::Endorsed => {
            format!("Mae {} wedi cymeradwyo’r {thread}", who(notice).unwrap_or_else(|| "partner arall".to_owned()))
        }
        NoticeWhat::AskedToJoin => format!(
            "Mae {} wedi gofyn am ymuno â’r {collaboration}",
            asking_partner(notice).unwrap_or_else(|| "partner".to_owned())
        ),
        NoticeWhat::JoinAccepted => format!("Mae cais eich partner i ymuno â’r {collaboration} wedi’i dderbyn"),
        NoticeWhat::JoinDeclined => format!("Mae cais eich partner i ymuno â’r {collaboration} wedi’i wrthod"),
        NoticeWhat::StatusChanged(status) => match status {
            CollaborationStatus::Proposed => format!("Mae’r {collaboration} wedi’i gynnig"),
            CollaborationStatus::SeekingPartners => format!("Mae’r {collaboration} bellach yn chwilio am bartneriaid"),
            CollaborationStatus::Active => format!("Mae’r {collaboration} bellach ar waith"),
            CollaborationStatus::Completed => format!("Mae’r {collaboration} wedi’i gwblhau"),
            CollaborationStatus::Withdrawn => format!("Mae’r {collaboration} wedi’i dynnu’n ôl"),
        },
        NoticeWhat::DeadlineIn { days } => {
            let was = if *days < 0 { "Roedd y" } else { "Mae’r" };
            format!(
                "{was} cais am gyllid ar gyfer y {collaboration} i’w gyflwyno {}",
                days_away(*days, Language::Welsh)
            )
        }
        NoticeWhat::NewQuestion => match (who(notice), &notice.thread_title) {
            (Some(who), Some(title)) => format!("Mae {who} wedi gofyn “{title}”"),
            (Some(who), None) => format!("Mae {who} wedi gofyn cwestiwn newydd"),
            (None, Some(title)) => format!("Cwestiwn newydd yn eich meysydd arbenigedd: “{title}”"),
            (None, None) => "Cwestiwn newydd yn eich meysydd arbenigedd".to_owned(),
        },
    }
}

/// When something falls, from today: "in 3 days", "tomorrow", "today", "yesterday",
/// "2 days ago", or in Welsh "ymhen 3 diwrnod", "yfory", "heddiw", "ddoe",
/// "2 ddiwrnod yn ôl".
pub(super) fn days_away(days: i64, language: Language) -> String {
    if writing_language(language) == Language::Welsh {
        // A numeral takes the singular; "dau" softens what follows.
        let count = |n: i64| if n == 2 { "2 ddiwrnod".to_owned() } else { format!("{n} diwrnod") };
        match days {
            0 => "heddiw".to_owned(),
            1 => "yfory".to_owned(),
            -1 => "ddoe".to_owned(),
            days if days < 0 => format!("{} yn ôl", count(-days)),
            days => format!("ymhen {}", count(days)),
        }
    } else {
        match days {
            0 => "today".to_owned(),
            1 => "tomorrow".to_owned(),
            -1 => "yesterday".to_owned(),
            days if days < 0 => format!("{} days ago", -days),
            days => format!("in {days} days"),
        }
    }
}

/// What the small print says the member asked to hear of at once, for each kind: a phrase
/// that follows a colon, so the Welsh needs no mutation.
fn kind_phrase(kind: NotificationKind, language: Language) -> &'static str {
    let welsh = writing_language(language) == Language::Welsh;
    let (cy, en) = match kind {
        NotificationKind::ReplyOnYourThread => ("atebion i’ch edafedd chi", "replies to threads you started"),
        NotificationKind::ReplyOnFollowedThread => {
            ("atebion i edafedd rydych yn eu dilyn", "replies to threads you follow")
        }
        NotificationKind::FollowedThreadChanged => (
            "edafedd rydych yn eu dilyn yn cael ateb, yn cael eu golygu neu’n cau",
            "threads you follow being answered, edited or closed",
        ),
        NotificationKind::Endorsement => {
            ("partneriaid eraill yn cymeradwyo’ch edafedd", "other partners endorsing your threads")
        }
        NotificationKind::JoinRequest => (
            "partneriaid yn gofyn am ymuno â chydweithrediadau y mae eich partner yn eu harwain",
            "partners asking to join collaborations your partner leads",
        ),
        NotificationKind::JoinDecision => (
            "penderfyniadau ar geisiadau eich partner i ymuno â chydweithrediadau",
            "decisions on your partner’s requests to join collaborations",
        ),
        NotificationKind::CollaborationStatus => (
            "newidiadau i statws cydweithrediadau y mae eich partner yn rhan ohonynt",
            "changes of status of collaborations your partner is in",
        ),
        NotificationKind::BidDeadline => (
            "dyddiadau cau ceisiadau am gyllid cydweithrediadau y mae eich partner yn rhan ohonynt",
            "bid deadlines of collaborations your partner is in",
        ),
        NotificationKind::QuestionInYourExpertise => {
            ("cwestiynau newydd yn eich meysydd arbenigedd", "new questions in your areas of expertise")
        }
    };
    if welsh { cy } else { en }
}

/// The footer's links: one that stops this message (the one-click address) and one to the
/// settings page, labelled in `language`.
pub(super) fn footer_links(
    stop: &str,
    unsubscribe_url: &str,
    links: &Links,
    language: Language,
) -> Vec<(String, String)> {
    let settings = match language {
        Language::Welsh => "Dewis am beth rydych yn clywed, a pha mor aml",
        _ => "Choose what you hear about, and how often",
    };
    vec![(stop.to_owned(), unsubscribe_url.to_owned()), (settings.to_owned(), links.settings())]
}

/// The letter to `to` from its Welsh and English drafts, carrying `unsubscribe_url`.
pub(super) fn stoppable_letter(to: &Recipient<'_>, welsh: Draft, english: Draft, unsubscribe_url: String) -> Letter {
    Letter {
        unsubscribe_url: Some(unsubscribe_url),
        ..letter(to.preferred, welsh, english, to.email, Some(to.member_id))
    }
}

/// The e-mail sent at once for one notification: subject = headline, a paragraph, a "Read it" link button
/// to notice.url, and a footer paragraph saying why they get it and how to stop, with the unsubscribe link
/// (also a link to the explorer's settings: `{public_url}/#/settings/notifications`).
/// Sets `unsubscribe_url: Some(unsubscribe_url)`, so the mail client can offer to unsubscribe too.
pub fn notification_letter(to: &Recipient<'_>, notice: &Notice, unsubscribe_url: String, links: &Links) -> Letter {
    let draft = |language: Language| {
        let headline = headline(notice, language);
        let phrase = kind_phrase(notice.kind, language);
        let (greeting, read, why, stop) = match language {
            Language::Welsh => (
                "Helo",
                "Darllen",
                format!(
                    "Rydych yn cael yr e-bost hwn am fod eich gosodiadau’n dweud y dylid rhoi gwybod i chi ar \
                     unwaith am y canlynol: {phrase}."
                ),
                "Atal yr e-byst hyn",
            ),
            _ => (
                "Hello",
                "Read it",
                format!("You get this e-mail because your settings say to tell you at once about {phrase}."),
                "Stop these e-mails",
            ),
        };
        Draft::new(language, headline.clone())
            .paragraph(format!("{greeting} {},", to.name))
            .paragraph(format!("{headline}."))
            .link(read, notice.url.clone())
            .footer(why, footer_links(stop, &unsubscribe_url, links, language))
    };
    let (welsh, english) = (draft(Language::Welsh), draft(Language::English));
    stoppable_letter(to, welsh, english, unsubscribe_url)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn links() -> Links {
        Links { public_url: "https://lkn.example".into() }
    }

    pub(crate) const UNSUBSCRIBE: &str = "https://lkn.example/unsubscribe/lkn_unsub_abc123";

    pub(crate) fn recipient(preferred: Language) -> Recipient<'static> {
        Recipient { email: "rhian@library.example", member_id: 7, name: "Rhian", preferred }
    }

    pub(crate) fn notice(kind: NotificationKind, what: NoticeWhat) -> Notice {
        Notice {
            kind,
            what,
            thread_title: Some("Dementia-friendly reading groups".into()),
            collaboration_title: Some("Summer Reading Challenge 2027".into()),
            actor_name: Some("Ann Jones".into()),
            partner_name: Some("Glasgow Libraries".into()),
            url: "https://lkn.example/#/thread/12".into(),
        }
    }

    /// Every event, with the title and the name its headline must mention.
    fn every_event() -> Vec<(NoticeWhat, &'static str, &'static str)> {
        let thread = "Dementia-friendly reading groups";
        let collaboration = "Summer Reading Challenge 2027";
        let mut events = vec![
            (NoticeWhat::Replied, thread, "Ann Jones (Glasgow Libraries)"),
            (NoticeWhat::AnswerAccepted, thread, "Ann Jones"),
            (NoticeWhat::Edited, thread, "Ann Jones"),
            (NoticeWhat::Closed, thread, "Ann Jones"),
            (NoticeWhat::Endorsed, thread, "Glasgow Libraries"),
            (NoticeWhat::AskedToJoin, collaboration, "Glasgow Libraries"),
            (NoticeWhat::JoinAccepted, collaboration, ""),
            (NoticeWhat::JoinDeclined, collaboration, ""),
            (NoticeWhat::DeadlineIn { days: 3 }, collaboration, ""),
            (NoticeWhat::DeadlineIn { days: 0 }, collaboration, ""),
            (NoticeWhat::DeadlineIn { days: -2 }, collaboration, ""),
            (NoticeWhat::NewQuestion, thread, "Ann Jones"),
        ];
        for status in <CollaborationStatus as sea_orm::Iterable>::iter() {
            events.push((NoticeWhat::StatusChanged(status), collaboration, ""));
        }
        events
    }

    #[test]
    fn every_headline_names_its_title_and_who_did_it_in_english_and_welsh() {
        for (what, title, who) in every_event() {
            let notice = notice(NotificationKind::ReplyOnYourThread, what.clone());
            let english = headline(&notice, Language::English);
            let welsh = headline(&notice, Language::Welsh);
            assert_ne!(english, welsh, "{what:?}");
            for line in [&english, &welsh] {
                assert!(line.contains(&format!("“{title}”")), "{what:?}: {line}");
                assert!(line.contains(who), "{what:?}: {line}");
                assert!(!line.ends_with('.'), "{what:?}: {line}");
            }
        }
    }

    #[test]
    fn headlines_read_as_the_brief_s_examples() {
        let mut replied = notice(NotificationKind::ReplyOnYourThread, NoticeWhat::Replied);
        assert_eq!(
            headline(&replied, Language::English),
            "Ann Jones (Glasgow Libraries) replied to “Dementia-friendly reading groups”"
        );
        assert_eq!(
            headline(&replied, Language::Welsh),
            "Mae Ann Jones (Glasgow Libraries) wedi ymateb i’r edefyn “Dementia-friendly reading groups”"
        );
        replied.actor_name = None;
        replied.partner_name = None;
        replied.thread_title = None;
        assert_eq!(headline(&replied, Language::English), "Someone replied to the thread");
        assert_eq!(headline(&replied, Language::Welsh), "Mae rhywun wedi ymateb i’r edefyn");
        let accepted = notice(NotificationKind::JoinDecision, NoticeWhat::JoinAccepted);
        assert_eq!(
            headline(&accepted, Language::English),
            "Your partner’s request to join “Summer Reading Challenge 2027” was accepted"
        );
        let mut deadline = notice(NotificationKind::BidDeadline, NoticeWhat::DeadlineIn { days: 3 });
        deadline.collaboration_title = Some("Libraries of Sanctuary".into());
        assert_eq!(headline(&deadline, Language::English), "The bid for “Libraries of Sanctuary” is due in 3 days");
        assert_eq!(
            headline(&deadline, Language::Welsh),
            "Mae’r cais am gyllid ar gyfer y cydweithrediad “Libraries of Sanctuary” i’w gyflwyno ymhen 3 diwrnod"
        );
        deadline.what = NoticeWhat::DeadlineIn { days: -1 };
        assert_eq!(
            headline(&deadline, Language::Welsh),
            "Roedd y cais am gyllid ar gyfer y cydweithrediad “Libraries of Sanctuary” i’w gyflwyno ddoe"
        );
    }

    #[test]
    fn a_language_the_network_does_not_write_in_gets_the_english_headline() {
        let notice = notice(NotificationKind::Endorsement, NoticeWhat::Endorsed);
        assert_eq!(headline(&notice, Language::ScottishGaelic), headline(&notice, Language::English));
    }

    #[test]
    fn a_notification_letter_links_to_the_notice_and_offers_to_stop() {
        let notice = notice(NotificationKind::ReplyOnYourThread, NoticeWhat::Replied);
        let letter = notification_letter(&recipient(Language::English), &notice, UNSUBSCRIBE.into(), &links());
        assert_eq!(letter.subject, headline(&notice, Language::English));
        assert_eq!((letter.to.as_str(), letter.member_id), ("rhian@library.example", Some(7)));
        assert_eq!(letter.unsubscribe_url.as_deref(), Some(UNSUBSCRIBE));
        for body in [&letter.text, &letter.html] {
            assert!(body.contains(UNSUBSCRIBE), "{body}");
            assert!(body.contains("https://lkn.example/#/settings/notifications"), "{body}");
            assert!(body.contains("https://lkn.example/#/thread/12"), "{body}");
            assert!(body.contains("replies to threads you started"), "{body}");
        }
        assert!(letter.text.contains("Hello Rhian,") && !letter.text.contains("Helo"));
    }

    #[test]
    fn a_member_who_prefers_welsh_gets_welsh_then_english() {
        let notice = notice(NotificationKind::JoinDecision, NoticeWhat::JoinDeclined);
        let letter = notification_letter(&recipient(Language::Welsh), &notice, UNSUBSCRIBE.into(), &links());
        assert_eq!(letter.language, Language::Welsh);
        assert!(letter.subject.starts_with("Mae cais eich partner") && letter.subject.contains(" / Your partner’s"));
        assert!(letter.html.contains("<html lang=\"cy\">") && letter.html.contains("<div lang=\"en\">"));
        for body in [&letter.text, &letter.html] {
            let welsh = body.find("Atal yr e-byst hyn").expect("Welsh");
            let english = body.find("Stop these e-mails").expect("English");
            assert!(welsh < english);
        }
    }
}
