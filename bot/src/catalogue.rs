//! Every sentence the bot says, in English and in Welsh.
//!
//! Discord's locale list has no Welsh, so the bot cannot lean on Discord's own
//! localisation: each user picks a language with `/language`, and everything the bot
//! writes for them comes from here. Posts in shared channels (mirrored threads and
//! collaboration announcements) use the channel language the bot was started with.

use crate::api::{CollaborationStatus, JoinStatus, Language, Nation, ThreadKind, ThreadStatus};

/// A language the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Welsh (Cymraeg).
    Cy,
}

impl Lang {
    /// Every language the bot speaks.
    pub const ALL: [Self; 2] = [Self::En, Self::Cy];

    /// Reads `en` / `cy` (any case), as `/language` takes them.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" | "english" | "saesneg" => Some(Self::En),
            "cy" | "welsh" | "cymraeg" => Some(Self::Cy),
            _ => None,
        }
    }

    /// The language the API records for it.
    pub fn api_language(self) -> Language {
        match self {
            Self::En => Language::En,
            Self::Cy => Language::Cy,
        }
    }

    /// The bot's language for a language the API recorded, if it speaks it.
    pub fn from_api(language: Language) -> Option<Self> {
        match language {
            Language::En => Some(Self::En),
            Language::Cy => Some(Self::Cy),
            Language::Gd | Language::Ga => None,
        }
    }
}

/// One thing the bot can say; the catalogue turns it into text in a language.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg<'a> {
    /// The user must link their account before doing this.
    NotLinked,
    /// The console's token was not accepted.
    TokenRefused,
    /// The member is suspended: nothing they do through the bot works until restored.
    Suspended,
    /// Linking worked.
    Linked {
        /// The member's display name.
        name: &'a str,
    },
    /// Unlinking worked.
    Unlinked,
    /// There was no link to remove.
    NothingToUnlink,
    /// Linking and unlinking need a Discord account (not the console).
    DiscordOnly,
    /// The language is now this one (said in it).
    LanguageSet,
    /// The language code was not understood.
    UnknownLanguage,
    /// The help text.
    Help,
    /// Heading of search results.
    SearchResults {
        /// What was searched for.
        query: &'a str,
        /// How many matched.
        total: i64,
    },
    /// Nothing matched.
    NoResults,
    /// Heading of the unanswered questions.
    Unanswered,
    /// A thread, collaboration, reply or partner could not be found or is hidden.
    NotFound,
    /// The member may not do this.
    Forbidden,
    /// The API refused the input; the reasons follow.
    Refused,
    /// The API could not be reached or failed.
    Unavailable,
    /// The command line could not be read.
    BadCommand {
        /// What was wrong.
        detail: &'a str,
    },
    /// The user now follows a thread.
    Followed {
        /// Its title.
        title: &'a str,
    },
    /// The user no longer follows a thread.
    Unfollowed {
        /// Its title.
        title: &'a str,
    },
    /// An answer was accepted.
    AnswerAccepted {
        /// The question's title.
        title: &'a str,
    },
    /// The message chosen is not a reply LKN knows.
    NotAReply,
    /// A thread was posted.
    Posted {
        /// Its title.
        title: &'a str,
    },
    /// Similar threads exist; the asker may stop.
    SimilarFirst,
    /// Button: post the draft anyway.
    PostAnyway,
    /// Button: drop the draft.
    Cancel,
    /// The draft was dropped.
    Cancelled,
    /// Console hint: how to post despite similar threads.
    ConfirmHint,
    /// Heading of the partner list.
    Partners {
        /// How many.
        count: usize,
    },
    /// "Audience reach" label.
    AudienceReach,
    /// No reported figure.
    Unknown,
    /// Heading of the network statistics.
    StatsHeading,
    /// "Partners" label.
    PartnersLabel,
    /// "Threads" label.
    ThreadsLabel,
    /// "Questions answered" label.
    AnsweredLabel,
    /// "Median hours to first reply" label.
    MedianLabel,
    /// "Active collaborations" label.
    ActiveCollaborationsLabel,
    /// "Most used tags" label.
    TopTagsLabel,
    /// A collaboration was proposed.
    Proposed {
        /// Its title.
        title: &'a str,
    },
    /// Heading of a collaboration list.
    Collaborations,
    /// "Participants" label.
    ParticipantsLabel,
    /// A join request was sent.
    JoinRequested {
        /// The collaboration's title.
        title: &'a str,
    },
    /// A join request was decided.
    JoinDecided {
        /// Accepted or declined.
        accepted: bool,
    },
    /// A collaboration moved on.
    Advanced {
        /// Its title.
        title: &'a str,
    },
    /// "Replies" label.
    RepliesLabel,
    /// "Accepted answer" label.
    AcceptedLabel,
    /// "by" between a title and its author.
    By,
    /// Announcement: a new collaboration.
    AnnounceProposed,
    /// Announcement: a collaboration changed status.
    AnnounceStatus,
    /// Button: request to join a collaboration.
    RequestToJoin,
    /// Told to a Discord user whose message could not become a reply.
    ReplyNotMirrored,
    /// The thread could not be posted from a modal (nothing arrived in time).
    TimedOut,
    /// `/join` by someone already linked to a member.
    AlreadyMember {
        /// Their partner's name.
        partner: &'a str,
    },
    /// `/join` was put to the partner's coordinators.
    JoinAsked {
        /// The partner's name.
        partner: &'a str,
    },
    /// The coordinators' message: someone asks to join.
    MembershipAsk {
        /// The name they gave.
        name: &'a str,
        /// Their Discord username.
        discord_name: &'a str,
        /// The domain of the address they gave (the address itself stays private).
        domain: &'a str,
        /// The partner's name.
        partner: &'a str,
    },
    /// Button: approve a request to join.
    Approve,
    /// Button: decline a request to join.
    Decline,
    /// The coordinators' message once decided (and what the coordinator is told).
    MembershipDecided {
        /// Approved or declined.
        approved: bool,
        /// The name the person gave.
        name: &'a str,
        /// The partner's name.
        partner: &'a str,
        /// Who decided.
        by: &'a str,
    },
    /// Told to the person whose request was approved.
    Welcome {
        /// The partner's name.
        partner: &'a str,
        /// The name they act under.
        name: &'a str,
    },
    /// Told to the person whose request was declined.
    JoinTurnedDown {
        /// The partner's name.
        partner: &'a str,
    },
    /// `/link email:` was taken: a code goes to the address if it is a member's.
    LinkCodeSent,
    /// `/link` with neither a code nor an address.
    LinkHow,
    /// `/who-knows`: the heading of the list.
    WhoKnows {
        /// The topic asked about.
        topic: &'a str,
    },
    /// `/who-knows`: nobody yet.
    NobodyKnows {
        /// The topic asked about.
        topic: &'a str,
    },
    /// `/profile`: a member who has written no bio.
    NoBio,
    /// `/profile`: "Languages" label.
    LanguagesLabel,
    /// `/profile`: "Knows about" label.
    ExpertiseLabel,
    /// `/profile member:` names a Discord account linked to no member.
    NotAMember,
    /// Button under a notification sent by direct message: stop following its thread.
    UnfollowButton,
    /// The title of the weekly round-up of unanswered questions.
    RoundupTitle {
        /// The Monday of the week, written out ([`date`]).
        week_of: &'a str,
    },
    /// The first line of the weekly round-up, before the questions.
    RoundupIntro,
}

/// The text of `msg` in `lang`.
pub fn say(lang: Lang, msg: &Msg<'_>) -> String {
    use Lang::{Cy, En};
    match (msg, lang) {
        (Msg::NotLinked, En) => "Your Discord account is not linked to an LKN member yet. Use `/link email:<your \
            work address>` to get a link code by e-mail, then `/link code:<code>`; not a member yet? Ask to join \
            with `/join`. Until then you can search public threads."
            .into(),
        (Msg::NotLinked, Cy) => "Nid yw eich cyfrif Discord wedi'i gysylltu ag aelod o LKN eto. Defnyddiwch `/link \
            email:<eich cyfeiriad gwaith>` i gael cod cysylltu drwy e-bost, yna `/link code:<cod>`; heb fod yn aelod \
            eto? Gofynnwch i ymuno gyda `/join`. Tan hynny gallwch chwilio edafedd cyhoeddus."
            .into(),
        (Msg::Suspended, En) => "Your LKN account is suspended, so the bot cannot act for you. Ask your partner's \
            coordinator."
            .into(),
        (Msg::Suspended, Cy) => {
            "Mae eich cyfrif LKN wedi'i atal, felly ni all y bot weithredu ar eich rhan. Gofynnwch \
            i gydlynydd eich partner."
                .into()
        }
        (Msg::TokenRefused, En) => "LKN did not accept this token: it is unknown or revoked.".into(),
        (Msg::TokenRefused, Cy) => "Ni dderbyniodd LKN y tocyn hwn: mae'n anhysbys neu wedi'i ddiddymu.".into(),
        (Msg::Linked { name }, En) => format!("Linked: you now act in LKN as **{name}**."),
        (Msg::Linked { name }, Cy) => format!("Wedi cysylltu: rydych nawr yn gweithredu yn LKN fel **{name}**."),
        (Msg::Unlinked, En) => "Unlinked: this Discord account no longer acts for an LKN member.".into(),
        (Msg::Unlinked, Cy) => {
            "Datgysylltwyd: nid yw'r cyfrif Discord hwn yn gweithredu dros aelod o LKN mwyach.".into()
        }
        (Msg::NothingToUnlink, En) => "This Discord account was not linked.".into(),
        (Msg::NothingToUnlink, Cy) => "Nid oedd y cyfrif Discord hwn wedi'i gysylltu.".into(),
        (Msg::DiscordOnly, En) => {
            "Linking is done from Discord; the console already acts as its token's member.".into()
        }
        (Msg::DiscordOnly, Cy) => {
            "Mae cysylltu'n digwydd o Discord; mae'r consol eisoes yn gweithredu fel aelod ei docyn.".into()
        }
        (Msg::LanguageSet, En) => "I'll speak English to you from now on.".into(),
        (Msg::LanguageSet, Cy) => "Byddaf yn siarad Cymraeg â chi o hyn ymlaen.".into(),
        (Msg::UnknownLanguage, En) => "Choose `en` (English) or `cy` (Cymraeg).".into(),
        (Msg::UnknownLanguage, Cy) => "Dewiswch `en` (English) neu `cy` (Cymraeg).".into(),
        (Msg::Help, En) => HELP_EN.into(),
        (Msg::Help, Cy) => HELP_CY.into(),
        (Msg::SearchResults { query, total }, En) => format!("**{total}** results for “{query}”:"),
        (Msg::SearchResults { query, total }, Cy) => format!("**{total}** canlyniad ar gyfer “{query}”:"),
        (Msg::NoResults, En) => "Nothing found.".into(),
        (Msg::NoResults, Cy) => "Dim byd wedi'i ganfod.".into(),
        (Msg::Unanswered, En) => "Questions waiting for an answer:".into(),
        (Msg::Unanswered, Cy) => "Cwestiynau sy'n aros am ateb:".into(),
        (Msg::NotFound, En) => "Not found, or not visible to you.".into(),
        (Msg::NotFound, Cy) => "Heb ei ganfod, neu nid yw'n weladwy i chi.".into(),
        (Msg::Forbidden, En) => "You may not do that.".into(),
        (Msg::Forbidden, Cy) => "Ni chewch wneud hynny.".into(),
        (Msg::Refused, En) => "That was not accepted:".into(),
        (Msg::Refused, Cy) => "Ni dderbyniwyd hynny:".into(),
        (Msg::Unavailable, En) => "LKN is not answering right now; please try again in a moment.".into(),
        (Msg::Unavailable, Cy) => "Nid yw LKN yn ateb ar hyn o bryd; rhowch gynnig arall arni yn y man.".into(),
        (Msg::BadCommand { detail }, En) => format!("I could not read that command: {detail}. Try `/help`."),
        (Msg::BadCommand { detail }, Cy) => {
            format!("Ni allwn ddarllen y gorchymyn hwnnw: {detail}. Rhowch gynnig ar `/help`.")
        }
        (Msg::Followed { title }, En) => format!("You now follow “{title}”."),
        (Msg::Followed { title }, Cy) => format!("Rydych nawr yn dilyn “{title}”."),
        (Msg::Unfollowed { title }, En) => format!("You no longer follow “{title}”."),
        (Msg::Unfollowed { title }, Cy) => format!("Nid ydych yn dilyn “{title}” mwyach."),
        (Msg::AnswerAccepted { title }, En) => format!("Marked as the answer to “{title}”."),
        (Msg::AnswerAccepted { title }, Cy) => format!("Wedi'i nodi fel yr ateb i “{title}”."),
        (Msg::NotAReply, En) => "That message is not a reply LKN knows, so it cannot be the answer.".into(),
        (Msg::NotAReply, Cy) => "Nid yw'r neges honno'n ateb y mae LKN yn ei adnabod, felly ni all fod yn ateb.".into(),
        (Msg::Posted { title }, En) => format!("Posted “{title}”. It will appear in the forum channel."),
        (Msg::Posted { title }, Cy) => format!("Wedi postio “{title}”. Bydd yn ymddangos yn y sianel fforwm."),
        (Msg::SimilarFirst, En) => "These threads look similar; yours may already be answered:".into(),
        (Msg::SimilarFirst, Cy) => {
            "Mae'r edafedd hyn yn edrych yn debyg; efallai bod eich un chi wedi'i ateb eisoes:".into()
        }
        (Msg::PostAnyway, En) => "Post mine anyway".into(),
        (Msg::PostAnyway, Cy) => "Postio fy un i beth bynnag".into(),
        (Msg::Cancel, En) => "Cancel".into(),
        (Msg::Cancel, Cy) => "Canslo".into(),
        (Msg::Cancelled, En) => "Not posted.".into(),
        (Msg::Cancelled, Cy) => "Heb ei bostio.".into(),
        (Msg::ConfirmHint, En) => "To post yours anyway, send the same command with `confirm:yes`.".into(),
        (Msg::ConfirmHint, Cy) => {
            "I bostio eich un chi beth bynnag, anfonwch yr un gorchymyn gyda `confirm:yes`.".into()
        }
        (Msg::Partners { count }, En) => format!("**{count}** partners:"),
        (Msg::Partners { count }, Cy) => format!("**{count}** partner:"),
        (Msg::AudienceReach, En) => "Audience reach".into(),
        (Msg::AudienceReach, Cy) => "Cyrhaeddiad cynulleidfa".into(),
        (Msg::Unknown, En) => "not known".into(),
        (Msg::Unknown, Cy) => "anhysbys".into(),
        (Msg::StatsHeading, En) => "The Living Knowledge Network".into(),
        (Msg::StatsHeading, Cy) => "Y Rhwydwaith Gwybodaeth Fyw".into(),
        (Msg::PartnersLabel, En) => "Partners".into(),
        (Msg::PartnersLabel, Cy) => "Partneriaid".into(),
        (Msg::ThreadsLabel, En) => "Threads".into(),
        (Msg::ThreadsLabel, Cy) => "Edafedd".into(),
        (Msg::AnsweredLabel, En) => "Questions answered".into(),
        (Msg::AnsweredLabel, Cy) => "Cwestiynau wedi'u hateb".into(),
        (Msg::MedianLabel, En) => "Median hours to a first reply".into(),
        (Msg::MedianLabel, Cy) => "Canolrif oriau hyd at yr ateb cyntaf".into(),
        (Msg::ActiveCollaborationsLabel, En) => "Collaborations under way".into(),
        (Msg::ActiveCollaborationsLabel, Cy) => "Cydweithrediadau ar waith".into(),
        (Msg::TopTagsLabel, En) => "Most used tags".into(),
        (Msg::TopTagsLabel, Cy) => "Tagiau a ddefnyddir fwyaf".into(),
        (Msg::Proposed { title }, En) => format!("Proposed “{title}”. Partners can now ask to join."),
        (Msg::Proposed { title }, Cy) => format!("Wedi cynnig “{title}”. Gall partneriaid ofyn i ymuno nawr."),
        (Msg::Collaborations, En) => "Collaborations:".into(),
        (Msg::Collaborations, Cy) => "Cydweithrediadau:".into(),
        (Msg::ParticipantsLabel, En) => "Partners taking part".into(),
        (Msg::ParticipantsLabel, Cy) => "Partneriaid sy'n cymryd rhan".into(),
        (Msg::JoinRequested { title }, En) => format!("Asked to join “{title}”; its lead partner will decide."),
        (Msg::JoinRequested { title }, Cy) => {
            format!("Wedi gofyn i ymuno â “{title}”; y partner arweiniol fydd yn penderfynu.")
        }
        (Msg::JoinDecided { accepted: true }, En) => "Request accepted.".into(),
        (Msg::JoinDecided { accepted: true }, Cy) => "Cais wedi'i dderbyn.".into(),
        (Msg::JoinDecided { accepted: false }, En) => "Request declined.".into(),
        (Msg::JoinDecided { accepted: false }, Cy) => "Cais wedi'i wrthod.".into(),
        (Msg::Advanced { title }, En) => format!("“{title}” moved on."),
        (Msg::Advanced { title }, Cy) => format!("Mae “{title}” wedi symud ymlaen."),
        (Msg::RepliesLabel, En) => "Replies".into(),
        (Msg::RepliesLabel, Cy) => "Atebion".into(),
        (Msg::AcceptedLabel, En) => "accepted answer".into(),
        (Msg::AcceptedLabel, Cy) => "ateb a dderbyniwyd".into(),
        (Msg::By, En) => "by".into(),
        (Msg::By, Cy) => "gan".into(),
        (Msg::AnnounceProposed, En) => "New collaboration proposed".into(),
        (Msg::AnnounceProposed, Cy) => "Cydweithrediad newydd wedi'i gynnig".into(),
        (Msg::AnnounceStatus, En) => "Collaboration update".into(),
        (Msg::AnnounceStatus, Cy) => "Diweddariad cydweithrediad".into(),
        (Msg::RequestToJoin, En) => "Request to join".into(),
        (Msg::RequestToJoin, Cy) => "Gofyn i ymuno".into(),
        (Msg::ReplyNotMirrored, En) => "Your message stays in Discord only: link your account with `/link` so that \
            replies you write here reach LKN."
            .into(),
        (Msg::ReplyNotMirrored, Cy) => {
            "Mae eich neges yn aros yn Discord yn unig: cysylltwch eich cyfrif gyda `/link` \
            er mwyn i'r atebion a ysgrifennwch yma gyrraedd LKN."
                .into()
        }
        (Msg::TimedOut, En) => "Nothing was posted: the form was not sent in time.".into(),
        (Msg::TimedOut, Cy) => "Ni phostiwyd dim: ni anfonwyd y ffurflen mewn pryd.".into(),
        (Msg::AlreadyMember { partner }, En) => {
            format!("You are already a member of **{partner}**: there is nothing to join. Try `/help`.")
        }
        (Msg::AlreadyMember { partner }, Cy) => {
            format!("Rydych eisoes yn aelod o **{partner}**: does dim i ymuno ag ef. Rhowch gynnig ar `/help`.")
        }
        (Msg::JoinAsked { partner }, En) => format!(
            "Asked to join **{partner}**. Its coordinators will decide, and I will send you a direct message then."
        ),
        (Msg::JoinAsked { partner }, Cy) => format!(
            "Wedi gofyn i ymuno â **{partner}**. Ei gydlynwyr fydd yn penderfynu, a byddaf yn anfon neges \
             uniongyrchol atoch bryd hynny."
        ),
        (Msg::MembershipAsk { name, discord_name, domain, partner }, En) => format!(
            "**{name}** (Discord: {discord_name}; e-mail at {domain}) asks to join **{partner}**. A coordinator of \
             {partner} may approve or decline."
        ),
        (Msg::MembershipAsk { name, discord_name, domain, partner }, Cy) => format!(
            "Mae **{name}** (Discord: {discord_name}; e-bost yn {domain}) yn gofyn i ymuno â **{partner}**. Gall \
             un o gydlynwyr {partner} gymeradwyo neu wrthod."
        ),
        (Msg::Approve, En) => "Approve".into(),
        (Msg::Approve, Cy) => "Cymeradwyo".into(),
        (Msg::Decline, En) => "Decline".into(),
        (Msg::Decline, Cy) => "Gwrthod".into(),
        (Msg::MembershipDecided { approved: true, name, partner, by }, En) => {
            format!("✅ Approved by {by}: **{name}** is now a member of **{partner}**.")
        }
        (Msg::MembershipDecided { approved: true, name, partner, by }, Cy) => {
            format!("✅ Wedi'i gymeradwyo gan {by}: mae **{name}** bellach yn aelod o **{partner}**.")
        }
        (Msg::MembershipDecided { approved: false, name, partner, by }, En) => {
            format!("Declined by {by}: **{name}** asked to join **{partner}**.")
        }
        (Msg::MembershipDecided { approved: false, name, partner, by }, Cy) => {
            format!("Wedi'i wrthod gan {by}: gofynnodd **{name}** i ymuno â **{partner}**.")
        }
        (Msg::Welcome { partner, name }, En) => format!(
            "Welcome to the Living Knowledge Network: your request to join **{partner}** was approved. You now act \
             in LKN as **{name}**; try `/ask` or `/help`. On the web, sign in with the e-mail address you gave."
        ),
        (Msg::Welcome { partner, name }, Cy) => format!(
            "Croeso i'r Rhwydwaith Gwybodaeth Fyw: cymeradwywyd eich cais i ymuno â **{partner}**. Rydych nawr yn \
             gweithredu yn LKN fel **{name}**; rhowch gynnig ar `/ask` neu `/help`. Ar y we, mewngofnodwch gyda'r \
             cyfeiriad e-bost a roesoch."
        ),
        (Msg::JoinTurnedDown { partner }, En) => format!(
            "Your request to join **{partner}** was declined. If you think that is a mistake, ask a coordinator there."
        ),
        (Msg::JoinTurnedDown { partner }, Cy) => format!(
            "Gwrthodwyd eich cais i ymuno â **{partner}**. Os ydych yn credu bod hynny'n gamgymeriad, gofynnwch i \
             gydlynydd yno."
        ),
        (Msg::LinkCodeSent, En) => format!(
            "If that address belongs to a member of LKN, a link code is on its way to it. Then type `/link \
             code:<code>` here; the code works for {minutes} minutes, and only for this Discord account.",
            minutes = LINK_CODE_MINUTES
        ),
        (Msg::LinkCodeSent, Cy) => format!(
            "Os yw'r cyfeiriad hwnnw'n perthyn i aelod o LKN, mae cod cysylltu ar ei ffordd ato. Yna teipiwch \
             `/link code:<cod>` yma; mae'r cod yn gweithio am {minutes} munud, a dim ond i'r cyfrif Discord hwn.",
            minutes = LINK_CODE_MINUTES
        ),
        (Msg::LinkHow, En) => "Give `/link` the code from LKN (`code:`), or your work e-mail address (`email:`) to \
            get a code by e-mail."
            .into(),
        (Msg::LinkHow, Cy) => "Rhowch i `/link` y cod o LKN (`code:`), neu eich cyfeiriad e-bost gwaith (`email:`) i \
            gael cod drwy e-bost."
            .into(),
        (Msg::WhoKnows { topic }, En) => format!("Who knows about “{topic}”:"),
        (Msg::WhoKnows { topic }, Cy) => format!("Pwy sy'n gwybod am “{topic}”:"),
        (Msg::NobodyKnows { topic }, En) => {
            format!("Nobody has shown or declared knowledge of “{topic}” yet. Ask the network with `/ask`.")
        }
        (Msg::NobodyKnows { topic }, Cy) => {
            format!("Does neb wedi dangos na datgan gwybodaeth am “{topic}” eto. Gofynnwch i'r rhwydwaith gyda `/ask`.")
        }
        (Msg::NoBio, En) => "No bio yet.".into(),
        (Msg::NoBio, Cy) => "Dim bywgraffiad eto.".into(),
        (Msg::LanguagesLabel, En) => "Languages".into(),
        (Msg::LanguagesLabel, Cy) => "Ieithoedd".into(),
        (Msg::ExpertiseLabel, En) => "Knows about".into(),
        (Msg::ExpertiseLabel, Cy) => "Yn gwybod am".into(),
        (Msg::NotAMember, En) => "That Discord account is not linked to a member of LKN.".into(),
        (Msg::NotAMember, Cy) => "Nid yw'r cyfrif Discord hwnnw wedi'i gysylltu ag aelod o LKN.".into(),
        (Msg::UnfollowButton, En) => "Unfollow".into(),
        (Msg::UnfollowButton, Cy) => "Dad-ddilyn".into(),
        (Msg::RoundupTitle { week_of }, En) => format!("Questions waiting for an answer: week of {week_of}"),
        (Msg::RoundupTitle { week_of }, Cy) => format!("Cwestiynau sy'n aros am ateb: wythnos {week_of}"),
        (Msg::RoundupIntro, En) => "These questions are still waiting for an answer. Know something that would \
            help? Reply in the question's post."
            .into(),
        (Msg::RoundupIntro, Cy) => "Mae'r cwestiynau hyn yn dal i aros am ateb. Ydych chi'n gwybod rhywbeth a \
            fyddai'n helpu? Atebwch yn edefyn y cwestiwn."
            .into(),
    }
}

/// A date written out, as people read it: "30 November 2026", "30 Tachwedd 2026".
pub fn date(lang: Lang, day: chrono::NaiveDate) -> String {
    lkn_codes::calendar::written_date(day, lang == Lang::Cy)
}

/// The name of a thread kind.
pub fn thread_kind(lang: Lang, kind: ThreadKind) -> &'static str {
    match (kind, lang) {
        (ThreadKind::Question, Lang::En) => "Question",
        (ThreadKind::Question, Lang::Cy) => "Cwestiwn",
        (ThreadKind::Idea, Lang::En) => "Idea",
        (ThreadKind::Idea, Lang::Cy) => "Syniad",
        (ThreadKind::Resource, Lang::En) => "Resource",
        (ThreadKind::Resource, Lang::Cy) => "Adnodd",
    }
}

/// The name of a thread status.
pub fn thread_status(lang: Lang, status: ThreadStatus) -> &'static str {
    match (status, lang) {
        (ThreadStatus::Open, Lang::En) => "open",
        (ThreadStatus::Open, Lang::Cy) => "agored",
        (ThreadStatus::Answered, Lang::En) => "answered",
        (ThreadStatus::Answered, Lang::Cy) => "wedi'i ateb",
        (ThreadStatus::Closed, Lang::En) => "closed",
        (ThreadStatus::Closed, Lang::Cy) => "ar gau",
    }
}

/// The name of a collaboration status.
pub fn collaboration_status(lang: Lang, status: CollaborationStatus) -> &'static str {
    match (status, lang) {
        (CollaborationStatus::Proposed, Lang::En) => "proposed",
        (CollaborationStatus::Proposed, Lang::Cy) => "arfaethedig",
        (CollaborationStatus::SeekingPartners, Lang::En) => "seeking partners",
        (CollaborationStatus::SeekingPartners, Lang::Cy) => "yn chwilio am bartneriaid",
        (CollaborationStatus::Active, Lang::En) => "under way",
        (CollaborationStatus::Active, Lang::Cy) => "ar waith",
        (CollaborationStatus::Completed, Lang::En) => "completed",
        (CollaborationStatus::Completed, Lang::Cy) => "wedi'i gwblhau",
        (CollaborationStatus::Withdrawn, Lang::En) => "withdrawn",
        (CollaborationStatus::Withdrawn, Lang::Cy) => "wedi'i dynnu'n ôl",
    }
}

/// How a participant stands, as `/collab show` lists it (the same words in both
/// languages, as ever).
pub fn join_status(status: JoinStatus) -> &'static str {
    match status {
        JoinStatus::Requested => "requested",
        JoinStatus::Accepted => "accepted",
        JoinStatus::Declined => "declined",
    }
}

/// The name of a language, as a profile lists it.
pub fn language(lang: Lang, language: Language) -> &'static str {
    match (language, lang) {
        (Language::En, Lang::En) => "English",
        (Language::En, Lang::Cy) => "Saesneg",
        (Language::Cy, Lang::En) => "Welsh",
        (Language::Cy, Lang::Cy) => "Cymraeg",
        (Language::Gd, Lang::En) => "Scottish Gaelic",
        (Language::Gd, Lang::Cy) => "Gaeleg yr Alban",
        (Language::Ga, Lang::En) => "Irish",
        (Language::Ga, Lang::Cy) => "Gwyddeleg",
    }
}

/// The name of a nation.
pub fn nation(lang: Lang, nation: Nation) -> &'static str {
    match (nation, lang) {
        (Nation::England, Lang::En) => "England",
        (Nation::England, Lang::Cy) => "Lloegr",
        (Nation::Scotland, Lang::En) => "Scotland",
        (Nation::Scotland, Lang::Cy) => "Yr Alban",
        (Nation::Wales, Lang::En) => "Wales",
        (Nation::Wales, Lang::Cy) => "Cymru",
        (Nation::NorthernIreland, Lang::En) => "Northern Ireland",
        (Nation::NorthernIreland, Lang::Cy) => "Gogledd Iwerddon",
    }
}

const HELP_EN: &str = "**LKN bot** — the Living Knowledge Network from Discord.
`/ask` ask the network a question (similar threads are shown first)
`/share idea` · `/share resource` share an idea or a resource
`/search query [kind] [tag] [partner]` search threads and collaborations
`/thread id` · `/unanswered` · `/follow thread` · `/unfollow thread`
`/answer reply` or the “Mark as answer” message command: accept an answer
`/partners [nation]` · `/partner name` · `/stats`
`/collab propose` · `/collab list [status]` · `/collab show id` · `/collab join id`
`/collab decide id partner accept|decline` · `/collab advance id status`
`/join partner name email` ask to join a partner · `/who-knows topic` · `/profile [member]`
`/link code` · `/link email` · `/unlink` · `/language en|cy` · `/help`";

const HELP_CY: &str = "**Bot LKN** — y Rhwydwaith Gwybodaeth Fyw o Discord.
`/ask` gofyn cwestiwn i'r rhwydwaith (dangosir edafedd tebyg yn gyntaf)
`/share idea` · `/share resource` rhannu syniad neu adnodd
`/search query [kind] [tag] [partner]` chwilio edafedd a chydweithrediadau
`/thread id` · `/unanswered` · `/follow thread` · `/unfollow thread`
`/answer reply` neu'r gorchymyn neges “Mark as answer”: derbyn ateb
`/partners [nation]` · `/partner name` · `/stats`
`/collab propose` · `/collab list [status]` · `/collab show id` · `/collab join id`
`/collab decide id partner accept|decline` · `/collab advance id status`
`/join partner name email` gofyn i ymuno â phartner · `/who-knows topic` · `/profile [member]`
`/link code` · `/link email` · `/unlink` · `/language en|cy` · `/help`";

/// How long a link code works, as the API makes it: told to whoever asks for one by e-mail.
const LINK_CODE_MINUTES: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_out_in_either_language() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
        assert_eq!(date(Lang::En, day), "30 November 2026");
        assert_eq!(date(Lang::Cy, day), "30 Tachwedd 2026");
        let new_year = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).expect("a date");
        assert_eq!(date(Lang::Cy, new_year), "4 Ionawr 2027");
    }

    #[test]
    fn the_bot_keeps_the_language_it_speaks_and_no_other() {
        for lang in [Lang::En, Lang::Cy] {
            assert_eq!(Lang::from_api(lang.api_language()), Some(lang));
        }
        assert_eq!(Lang::from_api(Language::Gd), None);
    }
}
