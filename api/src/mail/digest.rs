//! The daily and weekly round-up a member may take instead of an e-mail per notification
//! ([`digest_letter`]): the period's notifications, unanswered questions for them,
//! collaborations seeking partners, bid deadlines and the network's figures — or nothing
//! at all when there is no news. Like every message a member may stop, it carries a
//! one-click unsubscribe address and says in its small print why it came.

use lkn_entity::vocabulary::Language;

use super::letters::{Draft, Item, date};
use super::notices::{Notice, NoticeWhat, Recipient, days_away, footer_links, headline, stoppable_letter};
use super::{Letter, Links};

/// How often a digest comes: it names the digest and the period its figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestCadence {
    /// Once a day, covering the past day.
    Daily,
    /// Once a week, covering the past week.
    Weekly,
}

/// An unanswered question the member may be able to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadLine {
    /// The thread's title.
    pub title: String,
    /// The partner of the member who asked.
    pub partner_name: String,
    /// The thread's page in the explorer.
    pub url: String,
}

/// A collaboration seeking partners, which the member's partner might join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollaborationLine {
    /// The collaboration's title.
    pub title: String,
    /// The partner that leads it.
    pub lead_partner_name: String,
    /// The collaboration's page in the explorer.
    pub url: String,
}

/// A bid deadline coming up for a collaboration the member's partner is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineLine {
    /// The collaboration's title.
    pub title: String,
    /// The day the bid is due.
    pub due_on: chrono::NaiveDate,
    /// Days from the digest's day to `due_on`.
    pub days_left: i64,
    /// The collaboration's page in the explorer.
    pub url: String,
}

/// The network's figures for the period the digest covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodFigures {
    /// Threads posted.
    pub threads_posted: u64,
    /// Replies posted.
    pub replies_posted: u64,
    /// Questions that had an answer accepted.
    pub questions_answered: u64,
    /// Collaborations proposed.
    pub collaborations_proposed: u64,
}

/// Everything one digest may say.
#[derive(Debug, Clone)]
pub struct Digest {
    /// How often it comes.
    pub cadence: DigestCadence,
    /// Notifications of the period (the kinds the member asked to have in this digest), newest first.
    pub notices: Vec<Notice>,
    /// Unanswered questions in the member's expertise tags or their partner's nation.
    pub unanswered: Vec<ThreadLine>,
    /// Collaborations seeking partners.
    pub seeking_partners: Vec<CollaborationLine>,
    /// Bid deadlines within 14 days of collaborations the member's partner is in.
    pub deadlines: Vec<DeadlineLine>,
    /// The network's figures for the period.
    pub figures: PeriodFigures,
}

impl Digest {
    /// Whether it has news: the figures alone are not.
    fn has_news(&self) -> bool {
        !(self.notices.is_empty()
            && self.unanswered.is_empty()
            && self.seeking_partners.is_empty()
            && self.deadlines.is_empty())
    }
}

/// A countable thing, as English and Welsh count it: English "1 reply", "3 replies";
/// Welsh "1 ateb", "3 o atebion" (the explorer's form; the plural is given already
/// softened, as "o" softens it).
struct Noun {
    en_one: &'static str,
    en_other: &'static str,
    cy_one: &'static str,
    cy_other: &'static str,
}

impl Noun {
    fn count(&self, n: u64, language: Language) -> String {
        match (language, n) {
            (Language::Welsh, 1) => format!("1 {}", self.cy_one),
            (Language::Welsh, n) => format!("{n} o {}", self.cy_other),
            (_, 1) => format!("1 {}", self.en_one),
            (_, n) => format!("{n} {}", self.en_other),
        }
    }
}

const REPLIES: Noun = Noun { en_one: "reply", en_other: "replies", cy_one: "ateb", cy_other: "atebion" };
const UPDATES: Noun = Noun { en_one: "update", en_other: "updates", cy_one: "diweddariad", cy_other: "ddiweddariadau" };
const QUESTIONS_FOR_YOU: Noun = Noun {
    en_one: "question for you",
    en_other: "questions for you",
    cy_one: "cwestiwn i chi",
    cy_other: "gwestiynau i chi",
};
const SEEKING_PARTNERS: Noun = Noun {
    en_one: "collaboration seeking partners",
    en_other: "collaborations seeking partners",
    cy_one: "cydweithrediad yn chwilio am bartneriaid",
    cy_other: "gydweithrediadau yn chwilio am bartneriaid",
};
const DEADLINES: Noun =
    Noun { en_one: "bid deadline", en_other: "bid deadlines", cy_one: "dyddiad cau", cy_other: "ddyddiadau cau" };
const NEW_THREADS: Noun =
    Noun { en_one: "new thread", en_other: "new threads", cy_one: "edefyn newydd", cy_other: "edafedd newydd" };
const ANSWERED: Noun = Noun {
    en_one: "question answered",
    en_other: "questions answered",
    cy_one: "cwestiwn wedi’i ateb",
    cy_other: "gwestiynau wedi’u hateb",
};
const PROPOSED: Noun = Noun {
    en_one: "collaboration proposed",
    en_other: "collaborations proposed",
    cy_one: "cydweithrediad wedi’i gynnig",
    cy_other: "gydweithrediadau wedi’u cynnig",
};

/// The counts that are not zero, in `language`.
fn counts(items: &[(u64, &Noun)], language: Language) -> Vec<String> {
    items.iter().filter(|(n, _)| *n > 0).map(|(n, noun)| noun.count(*n, language)).collect()
}

/// The digest e-mail, or None when there is nothing to say: no notices, no unanswered questions, no
/// collaborations seeking partners and no deadlines (the figures alone are not news, and a message
/// with no news teaches people to ignore the ones that have some).
/// Subject e.g. "Your weekly round-up from the Living Knowledge Network: 3 replies, 2 questions for you"
/// (Welsh: "Eich crynodeb wythnosol ..."); a section with a heading for each list that is not empty.
/// Footer: why they get it, unsubscribe link (turns this digest off), link to settings. Sets unsubscribe_url.
pub fn digest_letter(to: &Recipient<'_>, digest: &Digest, unsubscribe_url: String, links: &Links) -> Option<Letter> {
    if !digest.has_news() {
        return None;
    }
    let welsh = digest_draft(to, digest, &unsubscribe_url, links, Language::Welsh);
    let english = digest_draft(to, digest, &unsubscribe_url, links, Language::English);
    Some(stoppable_letter(to, welsh, english, unsubscribe_url))
}

/// The words a digest uses that depend on its language and cadence.
struct DigestWords {
    subject: &'static str,
    greeting: &'static str,
    intro: &'static str,
    notices: &'static str,
    unanswered: &'static str,
    seeking_partners: &'static str,
    deadlines: &'static str,
    figures: &'static str,
    explorer: &'static str,
    why: &'static str,
    stop: &'static str,
}

fn digest_words(cadence: DigestCadence, language: Language) -> DigestWords {
    let weekly = cadence == DigestCadence::Weekly;
    if language == Language::Welsh {
        DigestWords {
            subject: if weekly { "Eich crynodeb wythnosol" } else { "Eich crynodeb dyddiol" },
            greeting: "Helo",
            intro: if weekly {
                "Dyma eich crynodeb o’r wythnos ddiwethaf ar y Rhwydwaith Gwybodaeth Fyw."
            } else {
                "Dyma eich crynodeb o’r diwrnod diwethaf ar y Rhwydwaith Gwybodaeth Fyw."
            },
            notices: "Eich hysbysiadau",
            unanswered: "Cwestiynau y gallech eu hateb",
            seeking_partners: "Cydweithrediadau sy’n chwilio am bartneriaid",
            deadlines: "Dyddiadau cau sydd ar ddod",
            figures: if weekly {
                "Ar draws y rhwydwaith yn ystod yr wythnos ddiwethaf"
            } else {
                "Ar draws y rhwydwaith yn ystod y diwrnod diwethaf"
            },
            explorer: "Agor archwiliwr y rhwydwaith",
            why: if weekly {
                "Rydych yn cael yr e-bost hwn am fod eich gosodiadau’n dweud y dylid anfon crynodeb wythnosol atoch."
            } else {
                "Rydych yn cael yr e-bost hwn am fod eich gosodiadau’n dweud y dylid anfon crynodeb dyddiol atoch."
            },
            stop: if weekly { "Atal y crynodeb wythnosol" } else { "Atal y crynodeb dyddiol" },
        }
    } else {
        DigestWords {
            subject: if weekly { "Your weekly round-up" } else { "Your daily round-up" },
            greeting: "Hello",
            intro: if weekly {
                "Here is your round-up of the past week on the Living Knowledge Network."
            } else {
                "Here is your round-up of the past day on the Living Knowledge Network."
            },
            notices: "Your notifications",
            unanswered: "Questions you might answer",
            seeking_partners: "Collaborations seeking partners",
            deadlines: "Bid deadlines coming up",
            figures: if weekly { "Across the network in the past week" } else { "Across the network in the past day" },
            explorer: "Open the network explorer",
            why: if weekly {
                "You get this e-mail because your settings say to send you a weekly round-up."
            } else {
                "You get this e-mail because your settings say to send you a daily round-up."
            },
            stop: if weekly { "Stop the weekly round-up" } else { "Stop the daily round-up" },
        }
    }
}

/// The digest in one language: greeting, a section for each list that has lines, the
/// network's figures (when any is not zero), a link to the explorer and the small print.
fn digest_draft(
    to: &Recipient<'_>,
    digest: &Digest,
    unsubscribe_url: &str,
    links: &Links,
    language: Language,
) -> Draft {
    let words = digest_words(digest.cadence, language);
    let welsh = language == Language::Welsh;
    let replies = digest.notices.iter().filter(|notice| notice.what == NoticeWhat::Replied).count() as u64;
    let summary = counts(
        &[
            (replies, &REPLIES),
            (digest.notices.len() as u64 - replies, &UPDATES),
            (digest.unanswered.len() as u64, &QUESTIONS_FOR_YOU),
            (digest.seeking_partners.len() as u64, &SEEKING_PARTNERS),
            (digest.deadlines.len() as u64, &DEADLINES),
        ],
        language,
    );
    // A subject line is read at a glance: the first three counts are enough.
    let summary = summary.into_iter().take(3).collect::<Vec<_>>().join(", ");
    let network = if welsh { "gan y Rhwydwaith Gwybodaeth Fyw" } else { "from the Living Knowledge Network" };
    let mut draft = Draft::new(language, format!("{} {network}: {summary}", words.subject))
        .paragraph(format!("{} {},", words.greeting, to.name))
        .paragraph(words.intro);
    let item = |text: String, detail: Option<String>, url: &str| Item { text, detail, url: Some(url.to_owned()) };
    let sections: [(&str, Vec<Item>); 4] = [
        (
            words.notices,
            digest.notices.iter().map(|notice| item(headline(notice, language), None, &notice.url)).collect(),
        ),
        (
            words.unanswered,
            digest
                .unanswered
                .iter()
                .map(|line| item(line.title.clone(), Some(line.partner_name.clone()), &line.url))
                .collect(),
        ),
        (
            words.seeking_partners,
            digest
                .seeking_partners
                .iter()
                .map(|line| {
                    let lead = &line.lead_partner_name;
                    let led = if welsh { format!("dan arweiniad {lead}") } else { format!("led by {lead}") };
                    item(line.title.clone(), Some(led), &line.url)
                })
                .collect(),
        ),
        (
            words.deadlines,
            digest
                .deadlines
                .iter()
                .map(|line| {
                    let (day, away) = (date(line.due_on, language), days_away(line.days_left, language));
                    let due =
                        if welsh { format!("dyddiad cau {day}, {away}") } else { format!("due on {day}, {away}") };
                    item(line.title.clone(), Some(due), &line.url)
                })
                .collect(),
        ),
    ];
    for (heading, items) in sections {
        if !items.is_empty() {
            draft = draft.section(heading, items);
        }
    }
    let figures = &digest.figures;
    let figures = counts(
        &[
            (figures.threads_posted, &NEW_THREADS),
            (figures.replies_posted, &REPLIES),
            (figures.questions_answered, &ANSWERED),
            (figures.collaborations_proposed, &PROPOSED),
        ],
        language,
    );
    if !figures.is_empty() {
        let items = figures.into_iter().map(|text| Item { text, detail: None, url: None }).collect();
        draft = draft.section(words.figures, items);
    }
    draft
        .link(words.explorer, links.home())
        .footer(words.why, footer_links(words.stop, unsubscribe_url, links, language))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::notices::notification_letter;
    use crate::mail::notices::tests::{UNSUBSCRIBE, links, notice, recipient};
    use lkn_entity::vocabulary::NotificationKind;

    #[test]
    fn a_title_with_markup_is_escaped_in_the_html() {
        let mut notice = notice(NotificationKind::ReplyOnFollowedThread, NoticeWhat::Replied);
        notice.thread_title = Some("<script>alert(1)</script>".into());
        let letter = notification_letter(&recipient(Language::Welsh), &notice, UNSUBSCRIBE.into(), &links());
        assert!(!letter.html.contains("<script>"), "{}", letter.html);
        assert!(letter.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(letter.text.contains("<script>alert(1)</script>"));
        let digest = Digest {
            notices: vec![notice],
            unanswered: vec![ThreadLine {
                title: "<script>x</script>".into(),
                partner_name: "<b>P</b>".into(),
                url: "https://lkn.example/#/thread/1?a=1&b=<2>".into(),
            }],
            ..empty_digest()
        };
        let letter = digest_letter(&recipient(Language::English), &digest, UNSUBSCRIBE.into(), &links()).expect("news");
        assert!(!letter.html.contains("<script>") && !letter.html.contains("<b>P"), "{}", letter.html);
        assert!(letter.html.contains("&lt;script&gt;x&lt;/script&gt;</a> — &lt;b&gt;P&lt;/b&gt;"), "{}", letter.html);
        assert!(letter.html.contains("href=\"https://lkn.example/#/thread/1?a=1&amp;b=&lt;2&gt;\""));
    }

    fn empty_digest() -> Digest {
        Digest {
            cadence: DigestCadence::Weekly,
            notices: Vec::new(),
            unanswered: Vec::new(),
            seeking_partners: Vec::new(),
            deadlines: Vec::new(),
            figures: PeriodFigures {
                threads_posted: 12,
                replies_posted: 40,
                questions_answered: 5,
                collaborations_proposed: 1,
            },
        }
    }

    #[test]
    fn a_digest_with_only_figures_is_not_sent() {
        assert!(digest_letter(&recipient(Language::English), &empty_digest(), UNSUBSCRIBE.into(), &links()).is_none());
    }

    #[test]
    fn one_unanswered_question_is_enough_for_a_digest() {
        let digest = Digest {
            unanswered: vec![ThreadLine {
                title: "Who runs a makerspace?".into(),
                partner_name: "Cardiff Libraries".into(),
                url: "https://lkn.example/#/thread/9".into(),
            }],
            ..empty_digest()
        };
        let letter = digest_letter(&recipient(Language::English), &digest, UNSUBSCRIBE.into(), &links()).expect("news");
        assert_eq!(letter.subject, "Your weekly round-up from the Living Knowledge Network: 1 question for you");
        assert_eq!(letter.unsubscribe_url.as_deref(), Some(UNSUBSCRIBE));
        for body in [&letter.text, &letter.html] {
            assert!(body.contains(UNSUBSCRIBE) && body.contains("Stop the weekly round-up"), "{body}");
            assert!(body.contains("Questions you might answer") && body.contains("Who runs a makerspace?"));
            assert!(body.contains("Across the network in the past week") && body.contains("40 replies"));
            assert!(!body.contains("Your notifications") && !body.contains("Bid deadlines"), "{body}");
        }
        assert!(letter.text.contains("- Who runs a makerspace? — Cardiff Libraries\n  https://lkn.example/#/thread/9"));
    }

    #[test]
    fn a_full_daily_digest_counts_its_news_in_the_subject_in_welsh_and_english() {
        let due_on = chrono::NaiveDate::from_ymd_opt(2027, 3, 12).expect("date");
        let digest = Digest {
            cadence: DigestCadence::Daily,
            notices: vec![
                notice(NotificationKind::ReplyOnYourThread, NoticeWhat::Replied),
                notice(NotificationKind::ReplyOnFollowedThread, NoticeWhat::Replied),
                notice(NotificationKind::Endorsement, NoticeWhat::Endorsed),
            ],
            unanswered: vec![],
            seeking_partners: vec![CollaborationLine {
                title: "Reading Friends".into(),
                lead_partner_name: "Leeds Libraries".into(),
                url: "https://lkn.example/#/collaboration/4".into(),
            }],
            deadlines: vec![DeadlineLine {
                title: "Libraries of Sanctuary".into(),
                due_on,
                days_left: 2,
                url: "https://lkn.example/#/collaboration/5".into(),
            }],
            figures: PeriodFigures::default(),
        };
        let letter = digest_letter(&recipient(Language::Welsh), &digest, UNSUBSCRIBE.into(), &links()).expect("news");
        assert_eq!(
            letter.subject,
            "Eich crynodeb dyddiol gan y Rhwydwaith Gwybodaeth Fyw: 2 o atebion, 1 diweddariad, \
             1 cydweithrediad yn chwilio am bartneriaid / Your daily round-up from the Living Knowledge Network: \
             2 replies, 1 update, 1 collaboration seeking partners"
        );
        assert!(letter.text.contains("dyddiad cau 12 Mawrth 2027, ymhen 2 ddiwrnod"), "{}", letter.text);
        assert!(letter.text.contains("due on 12 March 2027, in 2 days"), "{}", letter.text);
        assert!(letter.text.contains("dan arweiniad Leeds Libraries") && letter.text.contains("led by Leeds"));
        assert!(!letter.text.contains("Ar draws y rhwydwaith"), "no figures, no figures section");
        let welsh = letter.text.find("Eich hysbysiadau").expect("Welsh");
        let english = letter.text.find("Your notifications").expect("English");
        assert!(welsh < english);
    }
}
