//! Members' profiles: a short bio, the languages they work in, the language LKN writes to
//! them in, and the topics they declare they know about (their expertise, as tags).
//!
//! Profiles are staff records, so they are seen where names are seen (see `members`):
//! by signed-in members and the bot, never by anonymous callers. Each member edits their
//! own. Declared expertise is one of the signals "who knows about X?" ranks by (see
//! `expertise`), so it is stored as tags in the same normalised form as threads' tags.

use std::collections::HashMap;

use lkn_entity::vocabulary::Language;
use lkn_entity::{member, member_expertise};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode};
use crate::service::input::{Checks, Tag, markdown};
use crate::service::write::{Write, WriteContext};

/// Longest bio, in characters.
pub const MAX_BIO: usize = 1_000;
/// The most topics a member may declare.
pub const MAX_EXPERTISE: usize = 20;

/// What a member changes in their profile; what is `None` stays as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// The name shown on their posts.
    pub display_name: Option<String>,
    /// A few lines about their work; blank removes it.
    pub bio: Option<String>,
    /// The languages they work in.
    pub languages: Option<Vec<Language>>,
    /// The language LKN writes to them in: English or Welsh.
    pub preferred_language: Option<Language>,
    /// The topics they know about, as typed; each becomes a tag. Replaces the list.
    pub expertise: Option<Vec<String>>,
}

/// The languages column (`EN,CY`) as languages, in the stored order; unknown codes are
/// skipped rather than failing a read.
pub fn languages_of(member: &member::Model) -> Vec<Language> {
    member.languages.split(',').filter_map(|code| Language::try_from_value(&code.trim().to_owned()).ok()).collect()
}

/// Languages as the column stores them: codes joined by commas, each once.
fn stored_languages(languages: &[Language]) -> String {
    let mut codes: Vec<String> = Vec::new();
    for code in languages.iter().map(|l| l.to_value()) {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes.join(",")
}

/// The declared expertise of each of these members, tags in alphabetical order: one
/// statement for any number of members.
pub async fn expertise_of(db: &impl ConnectionTrait, member_ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if member_ids.is_empty() {
        return Ok(out);
    }
    let rows = member_expertise::Entity::find()
        .filter(member_expertise::Column::MemberId.is_in(member_ids.iter().copied()))
        .order_by_asc(member_expertise::Column::MemberId)
        .order_by_asc(member_expertise::Column::Tag)
        .all(db)
        .await?;
    for row in rows {
        out.entry(row.member_id).or_default().push(row.tag);
    }
    Ok(out)
}

/// Declared topics parsed as tags: duplicates dropped, at most [`MAX_EXPERTISE`].
fn expertise_tags(checks: &mut Checks, raw: &[String]) -> Vec<Tag> {
    let mut tags: Vec<Tag> = Vec::new();
    for parsed in raw.iter().map(|raw| Tag::parse(raw)) {
        match parsed {
            Ok(tag) if !tags.contains(&tag) => tags.push(tag),
            Ok(_) => {}
            Err(fault) => checks.fail("expertise", fault.code, fault.message),
        }
    }
    if tags.len() > MAX_EXPERTISE {
        checks.fail("expertise", UserErrorCode::TooLong, format!("declare at most {MAX_EXPERTISE} topics"));
    }
    tags.sort();
    tags
}

/// Changes the viewer's own profile. Every field is checked before anything is written,
/// so bad input changes nothing; sending the same changes again changes nothing and adds
/// nothing to the audit trail.
#[tracing::instrument(skip_all)]
pub async fn update_profile(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    changes: ProfileChanges,
) -> Result<member::Model> {
    let me = context.viewer.require_member()?.clone();
    let mut checks = Checks::default();
    let name = changes.display_name.as_deref().map(|name| checks.line("displayName", "Name", name, 1, 200));
    let bio = changes.bio.as_deref().map(|bio| checks.take("bio", markdown("Bio", bio, false, MAX_BIO)));
    if changes.preferred_language.is_some_and(|l| !matches!(l, Language::English | Language::Welsh)) {
        checks.fail("preferredLanguage", UserErrorCode::Invalid, "LKN writes to members in English or Welsh");
    }
    let expertise = changes.expertise.as_deref().map(|raw| expertise_tags(&mut checks, raw));
    checks.finish()?;

    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let current = member::Entity::find_by_id(me.id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("member {} vanished during a write", me.id)))?;
    let mut changed: Vec<&str> = Vec::new();
    let mut row: member::ActiveModel = current.clone().into();
    if let Some(name) = name.filter(|name| *name != current.display_name) {
        row.display_name = Set(name);
        changed.push("displayName");
    }
    if let Some(bio) = bio.map(|bio| Some(bio).filter(|b| !b.is_empty())).filter(|bio| *bio != current.bio) {
        row.bio = Set(bio);
        changed.push("bio");
    }
    if let Some(languages) =
        changes.languages.map(|l| stored_languages(&l)).filter(|languages| *languages != current.languages)
    {
        row.languages = Set(languages);
        changed.push("languages");
    }
    if let Some(language) = changes.preferred_language.filter(|l| *l != current.preferred_language) {
        row.preferred_language = Set(language);
        changed.push("preferredLanguage");
    }
    if let Some(tags) = expertise {
        let declared = expertise_of(txn, &[me.id]).await?.remove(&me.id).unwrap_or_default();
        let wanted: Vec<String> = tags.into_iter().map(String::from).collect();
        if declared != wanted {
            member_expertise::Entity::delete_many()
                .filter(member_expertise::Column::MemberId.eq(me.id))
                .exec(txn)
                .await?;
            if !wanted.is_empty() {
                member_expertise::Entity::insert_many(wanted.iter().map(|tag| member_expertise::ActiveModel {
                    member_id: Set(me.id),
                    tag: Set(tag.clone()),
                    created_at: Set(write.now()),
                }))
                .exec_without_returning(txn)
                .await?;
            }
            changed.push("expertise");
        }
    }
    if changed.is_empty() {
        return Ok(current);
    }
    let updated = if row.is_changed() { row.update(txn).await? } else { current };
    write.audit("member.profile", "Member", me.id, json!({ "changed": changed })).await?;
    write.commit().await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_stored_once_each_in_the_order_given() {
        let stored = stored_languages(&[Language::Welsh, Language::English, Language::Welsh]);
        assert_eq!(stored, "CY,EN");
    }

    #[test]
    fn expertise_is_normalised_like_thread_tags_and_twenty_one_topics_are_too_many() {
        let mut checks = Checks::default();
        let raw = vec![" Story Time ".to_owned(), "story-time".to_owned(), "Local History".to_owned()];
        let tags = expertise_tags(&mut checks, &raw);
        assert_eq!(tags.iter().map(|t| &**t).collect::<Vec<_>>(), vec!["local-history", "story-time"]);
        assert!(checks.finish().is_ok());

        let mut checks = Checks::default();
        let raw: Vec<String> = (0..=MAX_EXPERTISE).map(|n| format!("topic-{n}")).collect();
        expertise_tags(&mut checks, &raw);
        assert!(matches!(checks.finish(), Err(ServiceError::Invalid(e)) if e[0].code == UserErrorCode::TooLong));
    }
}
