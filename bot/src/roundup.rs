//! The weekly round-up of unanswered questions, posted once a week in one channel.
//!
//! Every minute the bot looks at the time in the UK; once the week's day and hour have
//! come (Monday 09:00 unless configured otherwise), it reads the open questions as
//! `/unanswered` does, claims the week's round-up for the channel in the API
//! (`claimWeeklyRoundup`, true for the first claim of a channel and ISO week only, so a
//! restarted bot or a second bot process posts it once) and, if it won and there are
//! questions, posts one message listing up to ten, each with a link to its forum post.
//! No questions, no post.
//!
//! The questions are read before the claim, so an API that fails to answer costs no
//! week's round-up; a post that Discord refuses is tried again the next minute, for as
//! long as the process lives and the week lasts.
//!
//! UK time comes from `lkn_codes::calendar`, the same rule the API's digests follow.

use std::fmt::Write as _;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Days, NaiveDate, Timelike, Utc, Weekday};

pub use lkn_codes::calendar::london;

use crate::api::{Caller, Lkn, MirrorKey, ThreadFeed, ThreadFilter, ThreadKind, ThreadStatus, ThreadSummary};
use crate::catalogue::{self, Lang, Msg, say};
use crate::render::excerpt;

/// How often the bot looks whether the round-up is due.
const EVERY: Duration = Duration::from_secs(60);
/// How many questions a round-up lists.
const QUESTIONS: i32 = 10;

/// When in the week the round-up is posted, in UK time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The day.
    pub weekday: Weekday,
    /// The hour (0–23) from which it is posted that day.
    pub hour: u32,
}

/// An ISO week as the API names it: `2026-W49`.
pub fn iso_week(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// The ISO week whose round-up is due at `now`, if the week's day and hour have come
/// (in UK time); `None` earlier in the week.
pub fn due_week(schedule: Schedule, now: DateTime<Utc>) -> Option<String> {
    let local = london(now);
    let today = local.weekday().num_days_from_monday();
    let day = schedule.weekday.num_days_from_monday();
    let come = today > day || (today == day && local.hour() >= schedule.hour);
    come.then(|| iso_week(local.date()))
}

/// The Monday of the ISO week `day` is in.
fn monday_of(day: NaiveDate) -> NaiveDate {
    day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday()))).unwrap_or(day)
}

/// Where the round-up goes: the Discord side, behind a trait so that the rules here know
/// no Discord types.
#[async_trait]
pub trait Noticeboard: Send + Sync {
    /// The channel's id, as the API records the round-up under.
    fn channel_id(&self) -> String;
    /// Posts `content` titled `title`: a forum post in a forum channel, a message elsewhere.
    async fn post(&self, title: &str, content: &str) -> anyhow::Result<()>;
}

/// A question in the round-up: its title and where to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The question's title.
    pub title: String,
    /// Its forum post (a channel id), once mirrored.
    pub post: Option<String>,
    /// Its id, shown when there is no post to link to (for `/thread`).
    pub id: String,
}

/// The round-up's text in `lang`: a line of introduction and one line per question, with a
/// link to its forum post (a channel mention, which notifies nobody) or else its id.
pub fn roundup_text(lang: Lang, questions: &[Listed]) -> String {
    let mut text = say(lang, &Msg::RoundupIntro);
    for question in questions {
        let title = excerpt(&question.title, 140);
        match &question.post {
            Some(post) => {
                let _ = write!(text, "\n• **{title}** — <#{post}>");
            }
            None => {
                let _ = write!(text, "\n• **{title}** · `{}`", question.id);
            }
        }
    }
    excerpt(&text, 2000)
}

/// Posts the weekly round-up on a [`Noticeboard`].
pub struct Roundup<B> {
    api: Lkn,
    board: B,
    schedule: Schedule,
    lang: Lang,
    /// The last week whose round-up was claimed, by this process or another.
    done: Option<String>,
    /// A round-up claimed by this process that Discord did not take: (week, title, text).
    unposted: Option<(String, String, String)>,
}

impl<B: Noticeboard> Roundup<B> {
    /// A round-up on `board` at `schedule`, written in `lang`.
    pub fn new(api: Lkn, board: B, schedule: Schedule, lang: Lang) -> Self {
        Self { api, board, schedule, lang, done: None, unposted: None }
    }

    /// Looks every minute (at once first) until the task is stopped.
    pub async fn run(mut self) {
        loop {
            self.check(Utc::now()).await;
            tokio::time::sleep(EVERY).await;
        }
    }

    /// Posts the round-up if it is due at `now` and not done yet. Never panics; what fails
    /// is logged and tried again at the next check.
    pub async fn check(&mut self, now: DateTime<Utc>) {
        let Some(week) = due_week(self.schedule, now) else { return };
        if let Some((unposted_week, title, text)) = self.unposted.take()
            && unposted_week == week
        {
            self.post(week, title, text).await;
            return;
        }
        if self.done.as_deref() == Some(week.as_str()) {
            return;
        }
        let questions = match self.questions().await {
            Ok(questions) => questions,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "could not read the unanswered questions for the round-up"
                );
                return;
            }
        };
        let channel = self.board.channel_id();
        let claimed = match self.api.claim_weekly_roundup(&channel, &week).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, %week, "could not claim the weekly round-up");
                return;
            }
        };
        self.done = Some(week.clone());
        if !claimed || questions.is_empty() {
            tracing::info!(%week, claimed, questions = questions.len(), "no round-up to post this week");
            return;
        }
        let title =
            say(self.lang, &Msg::RoundupTitle { week_of: &catalogue::date(self.lang, monday_of(london(now).date())) });
        let text = roundup_text(self.lang, &questions);
        self.post(week, title, text).await;
    }

    async fn post(&mut self, week: String, title: String, text: String) {
        match self.board.post(&title, &text).await {
            Ok(()) => tracing::info!(%week, "posted the weekly round-up"),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), %week, "could not post the weekly round-up; trying again");
                self.unposted = Some((week, title, text));
            }
        }
    }

    /// Up to ten open questions, as `/unanswered` lists them, with their forum posts.
    async fn questions(&self) -> anyhow::Result<Vec<Listed>> {
        let filter = ThreadFilter {
            kind: Some(ThreadKind::Question),
            status: Some(ThreadStatus::Open),
            ..ThreadFilter::default()
        };
        let (threads, _) = self.api.threads(&Caller::Bot, QUESTIONS, None, ThreadFeed::UnansweredFirst, filter).await?;
        let mut listed = Vec::with_capacity(threads.len());
        for ThreadSummary { id, title, .. } in threads {
            let mirror = self.api.mirror(&MirrorKey::thread(id.inner())).await?;
            let post = mirror.filter(|m| m.completed).and_then(|m| m.channel_id);
            listed.push(Listed { title, post, id: id.into_inner() });
        }
        Ok(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("a time").with_timezone(&Utc)
    }

    #[test]
    fn the_roundup_is_due_from_its_day_and_hour_in_uk_time_until_the_week_ends() {
        let monday_nine = Schedule { weekday: Weekday::Mon, hour: 9 };
        // Monday 7 December 2026 (winter): due from 09:00 UTC.
        assert_eq!(due_week(monday_nine, utc("2026-12-07T08:59:00Z")), None);
        assert_eq!(due_week(monday_nine, utc("2026-12-07T09:00:00Z")).as_deref(), Some("2026-W50"));
        assert_eq!(due_week(monday_nine, utc("2026-12-13T23:59:00Z")).as_deref(), Some("2026-W50"));
        // Monday 1 June 2026 (summer): 09:00 in the UK is 08:00 UTC.
        assert_eq!(due_week(monday_nine, utc("2026-06-01T07:59:00Z")), None);
        assert_eq!(due_week(monday_nine, utc("2026-06-01T08:00:00Z")).as_deref(), Some("2026-W23"));
        // Sunday 23:30 UTC in summer is already Monday in the UK: a new week, not yet due.
        assert_eq!(due_week(monday_nine, utc("2026-06-07T23:30:00Z")), None);
        let friday_four = Schedule { weekday: Weekday::Fri, hour: 16 };
        assert_eq!(due_week(friday_four, utc("2026-12-10T17:00:00Z")), None, "Thursday");
        assert_eq!(due_week(friday_four, utc("2026-12-11T16:00:00Z")).as_deref(), Some("2026-W50"));
        assert_eq!(due_week(friday_four, utc("2026-12-12T01:00:00Z")).as_deref(), Some("2026-W50"), "Saturday");
    }

    #[test]
    fn weeks_are_named_by_their_iso_year() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        assert_eq!(iso_week(day(2026, 12, 2)), "2026-W49");
        assert_eq!(iso_week(day(2027, 1, 1)), "2026-W53", "2026 has 53 ISO weeks");
        assert_eq!(iso_week(day(2024, 12, 30)), "2025-W01");
        assert_eq!(monday_of(day(2026, 12, 6)), day(2026, 11, 30));
    }

    #[test]
    fn the_roundup_links_each_question_to_its_post_or_names_its_id() {
        let questions = [
            Listed { title: "Who runs a seed library?".into(), post: Some("1300".into()), id: "VGhyZWFkOjE".into() },
            Listed { title: "Any Welsh rhyme time songs?".into(), post: None, id: "VGhyZWFkOjI".into() },
        ];
        let text = roundup_text(Lang::En, &questions);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("These questions are still waiting"), "{text}");
        assert_eq!(lines[1], "• **Who runs a seed library?** — <#1300>");
        assert_eq!(lines[2], "• **Any Welsh rhyme time songs?** · `VGhyZWFkOjI`");
        let long = vec![Listed { title: "x".repeat(300), post: Some("1".into()), id: "i".into() }; 10];
        assert!(roundup_text(Lang::Cy, &long).chars().count() <= 2000, "fits in one Discord message");
    }
}
