//! User text, parsed once at the door of a write: a [`Title`], a [`Markdown`] body, a
//! [`Tag`] can only be made by their `parse`, so a function that takes one never has to
//! check it again. [`Checks`] gathers the faults of a whole input, so one response
//! reports every fault at once.

use std::ops::Deref;

use serde::Serialize;

use crate::error::{Result, ServiceError, UserError, UserErrorCode};

/// Longest title of a thread or collaboration.
pub const MAX_TITLE: usize = 200;
/// Longest Markdown text: a thread's or reply's body, a summary, a note.
pub const MAX_BODY: usize = 20_000;
/// The most tags a thread may carry.
pub const MAX_TAGS: usize = 5;

/// Why a piece of text was refused, before it is placed on an input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The stable code.
    pub code: UserErrorCode,
    /// A sentence the user can act on.
    pub message: String,
}

impl Fault {
    fn new(code: UserErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// Whether `c` is invisible formatting that can make a name or title read as something
/// else: the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), which reorder the text around them (`\u{202E}gpj.exe` shows as
/// `exe.jpg`), and the zero-width characters (U+200B–U+200D, U+2060, U+FEFF), which make
/// two names that look the same differ. None of them has a place in one line of text.
pub fn is_deceptive_formatting(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// One line of text called `label`: trimmed, `min..=max` characters, no control
/// characters and no [deceptive formatting](is_deceptive_formatting).
pub fn one_line(label: &str, value: &str, min: usize, max: usize) -> Result<String, Fault> {
    let value = value.trim();
    let length = value.chars().count();
    if length < min {
        let code = if length == 0 { UserErrorCode::Blank } else { UserErrorCode::TooShort };
        Err(Fault::new(code, format!("{label} can't be blank")))
    } else if length > max {
        Err(Fault::new(UserErrorCode::TooLong, format!("{label} is too long ({length} characters; at most {max})")))
    } else if value.chars().any(char::is_control) {
        Err(Fault::new(UserErrorCode::Invalid, format!("{label} must be one line of text")))
    } else if value.chars().any(is_deceptive_formatting) {
        Err(Fault::new(
            UserErrorCode::Invalid,
            format!("{label} contains invisible characters that reorder or disguise text"),
        ))
    } else {
        Ok(value.to_owned())
    }
}

/// A title: one line of 1 to [`MAX_TITLE`] characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Title(String);

impl Title {
    /// Parses a title typed by a user.
    pub fn parse(value: &str) -> Result<Self, Fault> {
        one_line("Title", value, 1, MAX_TITLE).map(Self)
    }
}

/// Markdown text of at most [`MAX_BODY`] characters, without NUL characters; trailing
/// blanks are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Markdown(String);

impl Markdown {
    /// Parses the text called `label`; `required` refuses a blank one.
    pub fn parse(label: &str, value: &str, required: bool) -> Result<Self, Fault> {
        markdown(label, value, required, MAX_BODY).map(Self)
    }
}

/// Markdown text called `label` of at most `max` characters, without NUL characters;
/// `required` refuses a blank one. Trailing blanks are dropped.
pub fn markdown(label: &str, value: &str, required: bool, max: usize) -> Result<String, Fault> {
    let length = value.chars().count();
    if required && value.trim().is_empty() {
        Err(Fault::new(UserErrorCode::Blank, format!("{label} can't be blank")))
    } else if length > max {
        Err(Fault::new(UserErrorCode::TooLong, format!("{label} is too long ({length} characters; at most {max})")))
    } else if value.contains('\0') {
        Err(Fault::new(UserErrorCode::Invalid, format!("{label} contains a NUL character")))
    } else {
        Ok(value.trim_end().to_owned())
    }
}

/// A tag: 2 to 40 lower-case letters, digits and single hyphens, made from what a user
/// typed (`" Local History "` → `local-history`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    /// Parses a tag typed by a user.
    pub fn parse(raw: &str) -> Result<Self, Fault> {
        if raw.chars().any(is_deceptive_formatting) {
            // Not echoed back: the message would carry the characters it refuses.
            return Err(Fault::new(
                UserErrorCode::Invalid,
                "a tag contains invisible characters that reorder or disguise text",
            ));
        }
        let tag = raw.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
        let shape_ok = (2..=40).contains(&tag.chars().count())
            && tag
                .split('-')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        if shape_ok {
            Ok(Self(tag))
        } else {
            Err(Fault::new(
                UserErrorCode::Invalid,
                format!("`{}` is not a tag: use 2 to 40 letters, digits and single hyphens", raw.trim()),
            ))
        }
    }
}

macro_rules! text_newtype {
    ($($name:ident),*) => {$(
        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    )*};
}
text_newtype!(Title, Markdown, Tag);

/// Collects the faults of one input, each placed on its field.
#[derive(Debug, Default)]
pub struct Checks(Vec<UserError>);

impl Checks {
    /// Adds a fault.
    pub fn fail(&mut self, field: &str, code: UserErrorCode, message: impl Into<String>) {
        self.0.push(UserError::new(field, code, message));
    }

    /// The parsed value of `field`, or — when it was refused — its fault noted and a
    /// default in its place, which is never used: [`Self::finish`] then fails.
    pub fn take<T: Default>(&mut self, field: &str, parsed: Result<T, Fault>) -> T {
        parsed.unwrap_or_else(|fault| {
            self.fail(field, fault.code, fault.message);
            T::default()
        })
    }

    /// Checks a one-line text (a name, a funder): see [`one_line`].
    pub fn line(&mut self, field: &str, label: &str, value: &str, min: usize, max: usize) -> String {
        self.take(field, one_line(label, value, min, max))
    }

    /// A thread's tags: each parsed, duplicates dropped, at most [`MAX_TAGS`].
    pub fn tags(&mut self, raw: &[String]) -> Vec<Tag> {
        let mut out: Vec<Tag> = Vec::new();
        for tag in raw.iter().map(|raw| Tag::parse(raw)) {
            match tag {
                Ok(tag) if !out.contains(&tag) => out.push(tag),
                Ok(_) => {}
                Err(fault) => self.fail("tags", fault.code, fault.message),
            }
        }
        if out.len() > MAX_TAGS {
            self.fail("tags", UserErrorCode::TooLong, format!("a thread has at most {MAX_TAGS} tags"));
        }
        out
    }

    /// Fails with every fault found, or passes.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(self.0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_controls_and_zero_width_characters_are_deceptive() {
        for c in
            ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']
        {
            assert!(is_deceptive_formatting(c), "{:04X}", c as u32);
        }
        for c in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'] {
            assert!(is_deceptive_formatting(c), "{:04X}", c as u32);
        }
    }

    #[test]
    fn letters_of_the_networks_languages_are_not_deceptive() {
        let text = "Ŵyl Lyfrau · Leabharlann Náisiúnta · Leabharlann Nàiseanta · école — 100% 📚";
        assert!(!text.chars().any(is_deceptive_formatting));
        for c in ['\u{2029}', '\u{200A}', '\u{200E}', '\u{2065}', '\u{206A}', '\u{FEFE}'] {
            assert!(!is_deceptive_formatting(c), "{:04X} is outside the refused ranges", c as u32);
        }
    }

    #[test]
    fn a_title_with_deceptive_formatting_is_refused_on_its_field() {
        for value in ["Invoice\u{202E}gpj.exe", "Story\u{200B}time", "\u{FEFF}Storytime", "a\u{2066}b\u{2069}"] {
            let mut checks = Checks::default();
            checks.take("title", Title::parse(value));
            match checks.finish() {
                Err(ServiceError::Invalid(errors)) => {
                    assert_eq!(errors.len(), 1);
                    assert_eq!(errors[0].field, vec!["input".to_owned(), "title".to_owned()]);
                    assert_eq!(errors[0].code, UserErrorCode::Invalid);
                }
                other => panic!("{value:?} passed: {other:?}"),
            }
        }
    }

    #[test]
    fn a_title_is_trimmed_and_keeps_the_networks_letters() {
        assert_eq!(&*Title::parse("  Ŵyl Lyfrau  ").expect("a good title"), "Ŵyl Lyfrau");
    }

    #[test]
    fn a_blank_title_and_one_too_long_are_refused_with_their_codes() {
        assert_eq!(Title::parse("   ").map_err(|f| f.code), Err(UserErrorCode::Blank));
        assert_eq!(Title::parse(&"x".repeat(MAX_TITLE)).map(|t| t.len()), Ok(MAX_TITLE));
        let fault = Title::parse(&"x".repeat(MAX_TITLE + 1)).expect_err("too long");
        assert_eq!(fault.code, UserErrorCode::TooLong);
        assert_eq!(fault.message, "Title is too long (201 characters; at most 200)");
        assert_eq!(Title::parse("two\nlines").map_err(|f| f.code), Err(UserErrorCode::Invalid));
    }

    #[test]
    fn markdown_may_be_blank_unless_required_and_refuses_nul() {
        assert_eq!(Markdown::parse("Body", "", false), Ok(Markdown(String::new())));
        assert_eq!(Markdown::parse("Reply", "  ", true).map_err(|f| f.code), Err(UserErrorCode::Blank));
        assert_eq!(Markdown::parse("Body", "a\0b", false).map_err(|f| f.code), Err(UserErrorCode::Invalid));
        assert_eq!(&*Markdown::parse("Body", "text\n\n  ", false).expect("fine"), "text");
    }

    #[test]
    fn tags_are_normalised_from_what_people_type() {
        assert_eq!(&*Tag::parse(" Local History ").expect("a tag"), "local-history");
        assert_eq!(&*Tag::parse("oral-history-2024").expect("a tag"), "oral-history-2024");
        for bad in ["x", "a--b", "-ab", "café", &"a".repeat(41)] {
            assert!(Tag::parse(bad).is_err(), "{bad:?} is not a tag");
        }
    }

    #[test]
    fn a_tag_with_deceptive_formatting_is_refused_without_echoing_it() {
        let mut checks = Checks::default();
        let tags = checks.tags(&["story\u{200B}time".to_owned(), "reading".to_owned()]);
        assert_eq!(tags.iter().map(|t| &**t).collect::<Vec<_>>(), vec!["reading"]);
        match checks.finish() {
            Err(ServiceError::Invalid(errors)) => {
                assert_eq!(errors[0].field, vec!["input".to_owned(), "tags".to_owned()]);
                assert_eq!(errors[0].code, UserErrorCode::Invalid);
                assert!(!errors[0].message.chars().any(is_deceptive_formatting));
            }
            other => panic!("the tag passed: {other:?}"),
        }
    }

    #[test]
    fn duplicate_tags_count_once_and_six_are_too_many() {
        let mut checks = Checks::default();
        let raw: Vec<String> = ["a1", "A1", "b2", "c3", "d4", "e5"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(checks.tags(&raw).len(), 5);
        assert!(checks.finish().is_ok());
        let mut checks = Checks::default();
        let raw: Vec<String> = ["a1", "b2", "c3", "d4", "e5", "f6"].iter().map(|s| (*s).to_owned()).collect();
        checks.tags(&raw);
        assert!(matches!(checks.finish(), Err(ServiceError::Invalid(e)) if e[0].code == UserErrorCode::TooLong));
    }
}
