//! What LKN's messages say, in English and Welsh. Each message is written once as a list
//! of parts and rendered both as plain text and as HTML, so the two always agree; every
//! value is escaped on its way into the HTML, so a name cannot carry markup into a
//! message. The drafting ([`Draft`], [`letter`]) is shared with `notices`, so
//! notifications and digests look and behave like every other message.

use chrono::{DateTime, Datelike, Utc};
use lkn_entity::vocabulary::{Language, MemberRole};

use super::{Letter, Links};

/// One piece of a message.
pub(super) enum Part {
    /// A paragraph.
    Paragraph(String),
    /// A code to type, set apart so it is easy to read and copy.
    Code(String),
    /// A link, shown as a button in HTML and as the bare address in text.
    Link { label: String, url: String },
    /// A section heading, for the longer messages (digests) a reader scans.
    Heading(String),
    /// A bulleted list.
    Items(Vec<Item>),
}

/// One line of a [`Part::Items`] list: what it is, a detail after it, and where it links.
pub(super) struct Item {
    /// What the line names (a title, a headline): the link's text when there is a link.
    pub(super) text: String,
    /// Said after it, not linked (a partner's name, a date).
    pub(super) detail: Option<String>,
    /// Where it leads.
    pub(super) url: Option<String>,
}

/// The small print under the signature: why the reader gets the message and the links to
/// stop it or change what they get.
struct Footer {
    text: String,
    links: Vec<(String, String)>,
}

/// A message before rendering.
pub(super) struct Draft {
    language: Language,
    subject: String,
    parts: Vec<Part>,
    footer: Option<Footer>,
}

impl Draft {
    pub(super) fn new(language: Language, subject: String) -> Self {
        Self { language, subject, parts: Vec::new(), footer: None }
    }

    pub(super) fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.parts.push(Part::Paragraph(text.into()));
        self
    }

    fn code(mut self, code: &str) -> Self {
        self.parts.push(Part::Code(code.to_owned()));
        self
    }

    pub(super) fn link(mut self, label: impl Into<String>, url: String) -> Self {
        self.parts.push(Part::Link { label: label.into(), url });
        self
    }

    /// A heading and the list under it.
    pub(super) fn section(mut self, heading: impl Into<String>, items: Vec<Item>) -> Self {
        self.parts.push(Part::Heading(heading.into()));
        self.parts.push(Part::Items(items));
        self
    }

    /// The small print: `text`, then each `(label, url)` link on a line of its own.
    pub(super) fn footer(mut self, text: impl Into<String>, links: Vec<(String, String)>) -> Self {
        self.footer = Some(Footer { text: text.into(), links });
        self
    }

    /// Renders the parts as text and as the inside of an HTML `<body>`, signed, with the
    /// footer (if any) under the signature.
    fn render(&self) -> (String, String) {
        let signature = match self.language {
            Language::Welsh => "— Y Rhwydwaith Gwybodaeth Fyw",
            _ => "— The Living Knowledge Network",
        };
        let mut text = String::new();
        let mut html = format!("<div lang=\"{}\">\n", html_language(self.language));
        for part in &self.parts {
            match part {
                Part::Paragraph(paragraph) => {
                    text.push_str(paragraph);
                    html.push_str(&format!("<p>{}</p>\n", escape(paragraph)));
                }
                Part::Code(code) => {
                    text.push_str(&format!("    {code}"));
                    html.push_str(&format!(
                        "<p style=\"font-size:24px;font-family:monospace;letter-spacing:0.15em\"><strong>{}</strong></p>\n",
                        escape(code)
                    ));
                }
                Part::Link { label, url } => {
                    text.push_str(url);
                    html.push_str(&format!(
                        "<p><a href=\"{}\" style=\"display:inline-block;padding:0.6em 1.2em;background:#00567a;color:#ffffff;\
                         text-decoration:none;border-radius:4px\">{}</a></p>\n<p style=\"font-size:14px\">{}</p>\n",
                        escape(url),
                        escape(label),
                        escape(url)
                    ));
                }
                Part::Heading(heading) => {
                    text.push_str(heading);
                    text.push('\n');
                    text.push_str(&"=".repeat(heading.chars().count()));
                    html.push_str(&format!(
                        "<h2 style=\"font-size:18px;margin:1.5em 0 0.5em\">{}</h2>\n",
                        escape(heading)
                    ));
                }
                Part::Items(items) => {
                    let lines: Vec<String> = items.iter().map(Item::text).collect();
                    text.push_str(&lines.join("\n"));
                    html.push_str("<ul style=\"padding-left:1.2em\">\n");
                    for item in items {
                        html.push_str(&format!("<li style=\"margin-bottom:0.5em\">{}</li>\n", item.html()));
                    }
                    html.push_str("</ul>\n");
                }
            }
            text.push_str("\n\n");
        }
        text.push_str(signature);
        text.push('\n');
        html.push_str(&format!("<p>{}</p>\n", escape(signature)));
        if let Some(Footer { text: small_print, links }) = &self.footer {
            text.push_str(&format!("\n-- \n{small_print}\n"));
            html.push_str(&format!(
                "<p style=\"font-size:13px;color:#505a5f;border-top:1px solid #b1b4b6;padding-top:1em\">{}",
                escape(small_print)
            ));
            for (label, url) in links {
                text.push_str(&format!("{label}: {url}\n"));
                html.push_str(&format!(
                    "<br>\n<a href=\"{}\" style=\"color:#00567a\">{}</a>",
                    escape(url),
                    escape(label)
                ));
            }
            html.push_str("</p>\n");
        }
        html.push_str("</div>\n");
        (text, html)
    }
}

impl Item {
    /// The line in plain text: `- text — detail`, the address indented under it.
    fn text(&self) -> String {
        let mut line = format!("- {}", self.text);
        if let Some(detail) = &self.detail {
            line.push_str(&format!(" — {detail}"));
        }
        if let Some(url) = &self.url {
            line.push_str(&format!("\n  {url}"));
        }
        line
    }

    /// The inside of the line's `<li>`, every value escaped.
    fn html(&self) -> String {
        let mut line = match &self.url {
            Some(url) => format!("<a href=\"{}\" style=\"color:#00567a\">{}</a>", escape(url), escape(&self.text)),
            None => escape(&self.text),
        };
        if let Some(detail) = &self.detail {
            line.push_str(&format!(" — {}", escape(detail)));
        }
        line
    }
}

/// The letter to someone who prefers `preferred`: in English, or — for those who prefer
/// Welsh — in Welsh first and then in English, as the Welsh language standards ask of
/// public bodies writing bilingually, so a forwarded message is never unreadable.
pub(super) fn letter(preferred: Language, welsh: Draft, english: Draft, to: &str, member_id: Option<i64>) -> Letter {
    let drafts: Vec<&Draft> =
        if writing_language(preferred) == Language::Welsh { vec![&welsh, &english] } else { vec![&english] };
    let subject = drafts.iter().map(|draft| draft.subject.as_str()).collect::<Vec<_>>().join(" / ");
    let mut text = String::new();
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1d1d1b;max-width:36em\">\n",
        html_language(drafts[0].language),
        escape(&subject)
    );
    for (index, draft) in drafts.iter().enumerate() {
        if index > 0 {
            text.push_str("\n----------------------------------------\n\n");
            html.push_str("<hr>\n");
        }
        let (draft_text, draft_html) = draft.render();
        text.push_str(&draft_text);
        html.push_str(&draft_html);
    }
    html.push_str("</body></html>\n");
    Letter { to: to.to_owned(), member_id, language: drafts[0].language, subject, text, html, unsubscribe_url: None }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn html_language(language: Language) -> &'static str {
    match language {
        Language::Welsh => "cy",
        _ => "en",
    }
}

/// The language a message to someone who prefers `preferred` is written in: Welsh for
/// those who prefer it, English otherwise (the network writes in no other language yet).
pub fn writing_language(preferred: Language) -> Language {
    if preferred == Language::Welsh { Language::Welsh } else { Language::English }
}

/// A day as people write it: `9 December 2026`, `9 Rhagfyr 2026`.
pub(super) fn date(at: impl Datelike, language: Language) -> String {
    lkn_codes::calendar::written_date(at, language == Language::Welsh)
}

/// The e-mail with a sign-in code and the link that completes it.
pub fn sign_in_code(
    to: &str,
    member_id: i64,
    name: &str,
    language: Language,
    code: &str,
    minutes: i64,
    links: &Links,
) -> Letter {
    let link = links.sign_in(code, to);
    let welsh = Draft::new(Language::Welsh, "Eich cod mewngofnodi i'r Rhwydwaith Gwybodaeth Fyw".into())
        .paragraph(format!("Helo {name},"))
        .paragraph("Eich cod mewngofnodi yw:")
        .code(code)
        .paragraph("Teipiwch ef ar y dudalen mewngofnodi, neu agorwch y ddolen hon:")
        .link("Mewngofnodi", link.clone())
        .paragraph(format!(
            "Mae'r cod yn gweithio unwaith, am {minutes} munud. Os na wnaethoch chi ofyn i fewngofnodi, \
             anwybyddwch y neges hon: ni all neb fewngofnodi heb y cod."
        ));
    let english = Draft::new(Language::English, "Your sign-in code for the Living Knowledge Network".into())
        .paragraph(format!("Hello {name},"))
        .paragraph("Your sign-in code is:")
        .code(code)
        .paragraph("Type it on the sign-in page, or open this link:")
        .link("Sign in", link)
        .paragraph(format!(
            "The code works once, for {minutes} minutes. If you did not ask to sign in, ignore this \
             message: nobody can sign in without the code."
        ));
    letter(language, welsh, english, to, Some(member_id))
}

/// What an invitation says about who is inviting whom, to what.
pub struct InvitationLetter<'a> {
    /// The invitee's address.
    pub to: &'a str,
    /// The name the inviter gave for them.
    pub display_name: &'a str,
    /// Who invites.
    pub inviter: &'a str,
    /// The partner they would join.
    pub partner: &'a str,
    /// The role they would have.
    pub role: MemberRole,
    /// The language to write in.
    pub language: Language,
    /// The single-use code.
    pub code: &'a str,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// The invitation e-mail, with the joining link and its code.
pub fn invitation(invitation: &InvitationLetter<'_>, links: &Links) -> Letter {
    let InvitationLetter { to, display_name, inviter, partner, role, language, code, expires_at } = *invitation;
    let link = links.join(code);
    let welsh_role = match role {
        MemberRole::Coordinator => "cydlynydd",
        MemberRole::Admin => "gweinyddwr",
        _ => "aelod o staff",
    };
    let welsh = Draft::new(
        Language::Welsh,
        format!("Mae {inviter} yn eich gwahodd i ymuno â {partner} ar y Rhwydwaith Gwybodaeth Fyw"),
    )
    .paragraph(format!("Helo {display_name},"))
    .paragraph(format!(
        "Mae {inviter} wedi eich gwahodd i ymuno â'r Rhwydwaith Gwybodaeth Fyw fel {welsh_role} yn {partner}: \
         staff llyfrgelloedd ledled y DU yn rhannu cwestiynau, syniadau ac adnoddau, ac yn cynnal rhaglenni \
         gyda'i gilydd."
    ))
    .paragraph("I dderbyn, agorwch y ddolen hon:")
    .link("Ymuno â'r rhwydwaith", link.clone())
    .paragraph("neu rhowch y cod hwn ar y dudalen ymuno:")
    .code(code)
    .paragraph(format!(
        "Mae'r gwahoddiad yn gweithio unwaith ac yn dod i ben ar {}.",
        date(expires_at, Language::Welsh)
    ));
    let english_role = match role {
        MemberRole::Coordinator => "a coordinator",
        MemberRole::Admin => "an administrator",
        _ => "a member of staff",
    };
    let english = Draft::new(
        Language::English,
        format!("{inviter} invites you to join {partner} on the Living Knowledge Network"),
    )
    .paragraph(format!("Hello {display_name},"))
    .paragraph(format!(
        "{inviter} has invited you to join the Living Knowledge Network as {english_role} at {partner}: \
                 library staff across the UK sharing questions, ideas and resources, and running programmes \
                 together."
    ))
    .paragraph("To accept, open this link:")
    .link("Join the network", link)
    .paragraph("or enter this code on the joining page:")
    .code(code)
    .paragraph(format!("The invitation works once and expires on {}.", date(expires_at, Language::English)));
    letter(language, welsh, english, to, None)
}

/// The e-mail with a code that links the Discord account which asked for it.
pub fn discord_link_code(to: &str, member_id: i64, name: &str, language: Language, code: &str, minutes: i64) -> Letter {
    let command = format!("/link code:{code}");
    let welsh = Draft::new(Language::Welsh, "Eich cod i gysylltu Discord â'r Rhwydwaith Gwybodaeth Fyw".into())
        .paragraph(format!("Helo {name},"))
        .paragraph(
            "Gofynnodd rhywun ar Discord i gysylltu ei gyfrif Discord â'ch cyfrif ar y Rhwydwaith \
             Gwybodaeth Fyw. Os mai chi oedd hynny, teipiwch hyn yn Discord:",
        )
        .code(&command)
        .paragraph(format!(
            "Mae'n gweithio unwaith, am {minutes} munud, a dim ond i'r cyfrif Discord a ofynnodd. \
             Os nad chi oedd hynny, anwybyddwch y neges hon."
        ));
    let english = Draft::new(Language::English, "Your code to link Discord to the Living Knowledge Network".into())
        .paragraph(format!("Hello {name},"))
        .paragraph(
            "Someone on Discord asked to link their Discord account to your Living Knowledge Network \
             account. If that was you, type this in Discord:",
        )
        .code(&command)
        .paragraph(format!(
            "It works once, for {minutes} minutes, and only for the Discord account that asked. If it \
             was not you, ignore this message."
        ));
    letter(language, welsh, english, to, Some(member_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links { public_url: "https://lkn.example".into() }
    }

    #[test]
    fn a_name_with_markup_is_escaped_in_the_html_and_kept_in_the_text() {
        let letter = sign_in_code("a@b.example", 1, "<b>Eve</b>", Language::English, "ABCD-EFGH", 15, &links());
        assert!(letter.html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(!letter.html.contains("<b>Eve"));
        assert!(letter.text.contains("Hello <b>Eve</b>,"));
    }

    #[test]
    fn the_text_and_the_html_carry_the_same_code_and_link() {
        let letter = sign_in_code("a@b.example", 1, "Eve", Language::English, "ABCD-EFGH", 15, &links());
        assert!(letter.text.contains("ABCD-EFGH"));
        assert!(letter.html.contains("ABCD-EFGH"));
        assert!(letter.text.contains("https://lkn.example/sign-in?code=ABCD-EFGH&email=a%40b.example"));
        assert!(letter.html.contains("https://lkn.example/sign-in?code=ABCD-EFGH&amp;email=a%40b.example"));
    }

    #[test]
    fn a_member_who_prefers_welsh_is_written_to_in_welsh_then_english() {
        let letter = sign_in_code("a@b.example", 1, "Eve", Language::Welsh, "ABCD-EFGH", 15, &links());
        assert_eq!(letter.language, Language::Welsh);
        assert!(letter.subject.starts_with("Eich cod mewngofnodi"));
        assert!(letter.subject.ends_with("Your sign-in code for the Living Knowledge Network"));
        assert!(letter.html.contains("<html lang=\"cy\">") && letter.html.contains("<div lang=\"en\">"));
        let welsh = letter.text.find("Eich cod mewngofnodi yw").expect("Welsh");
        let english = letter.text.find("Your sign-in code is").expect("English");
        assert!(welsh < english);
    }

    #[test]
    fn a_member_who_prefers_english_gets_english_only() {
        let letter = sign_in_code("a@b.example", 1, "Eve", Language::English, "ABCD-EFGH", 15, &links());
        assert!(!letter.text.contains("mewngofnodi") && !letter.subject.contains('/'));
    }

    #[test]
    fn a_language_the_network_does_not_write_in_falls_back_to_english() {
        assert_eq!(writing_language(Language::Irish), Language::English);
        assert_eq!(writing_language(Language::Welsh), Language::Welsh);
    }

    #[test]
    fn an_invitation_names_the_inviter_partner_role_and_expiry() {
        let expires_at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 9, 10, 0, 0).single().expect("date");
        let letter = invitation(
            &InvitationLetter {
                to: "new@library.example",
                display_name: "Rhian",
                inviter: "Gwen",
                partner: "Cardiff Libraries",
                role: MemberRole::Coordinator,
                language: Language::Welsh,
                code: "lkn_inv_x",
                expires_at,
            },
            &links(),
        );
        assert!(letter.text.contains("fel cydlynydd yn Cardiff Libraries"));
        assert!(letter.text.contains("9 Rhagfyr 2026"));
        assert!(letter.text.contains("https://lkn.example/join?code=lkn_inv_x"));
    }
}
