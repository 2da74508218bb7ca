//! Writing threads: posting, editing, replying, accepting an answer, closing,
//! endorsing and following.
//!
//! Rules: any member may post, reply, endorse and follow what they can see; the author,
//! a coordinator of the author's partner, or an administrator may edit, accept an answer
//! and close. The bot's own identity may do none of it.

use lkn_entity::vocabulary::{Language, MemberRole, ThreadKind, ThreadStatus, Visibility};
use lkn_entity::{endorsement, follow, member, reply, tag, thread, thread_tag};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode};
use crate::events::Event;
use crate::service::discord::{self, DiscordOrigin};
use crate::service::input::{Checks, Markdown, Tag, Title};
use crate::service::notifications::{self, Source};
use crate::service::search;
use crate::service::threads::query as threads;
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext, create_once, input_fingerprint};

/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest body of a thread or reply.
pub const MAX_BODY: usize = 20_000;

/// A thread to post.
#[derive(Debug, Clone, Serialize)]
pub struct NewThread {
    /// Question, idea or resource.
    pub kind: ThreadKind,
    /// 1 to 200 characters.
    pub title: String,
    /// Markdown, at most 20,000 characters.
    pub body: String,
    /// Up to five tags.
    pub tags: Vec<String>,
    /// The language it is written in.
    pub language: Language,
    /// Network-only or public.
    pub visibility: Visibility,
}

/// The member acting, or the refusal: anonymous callers must sign in; the bot alone and
/// any other service identity may not write.
fn writer(viewer: &Viewer) -> Result<&member::Model> {
    let member = viewer.require_member()?;
    if member.role == MemberRole::Bot {
        return Err(ServiceError::Forbidden);
    }
    Ok(member)
}

/// Whether `viewer` may edit, accept answers in and close `thread`.
fn may_moderate(viewer: &Viewer, thread: &thread::Model) -> bool {
    viewer.member().is_some_and(|m| m.id == thread.author_id) || viewer.coordinates(thread.partner_id)
}

/// A thread the viewer can see, locked for this write; an unknown or hidden one is a
/// user error on `field`.
async fn thread_for_write(txn: &DatabaseTransaction, viewer: &Viewer, id: i64, field: &str) -> Result<thread::Model> {
    let mut select = thread::Entity::find_by_id(id).filter(threads::visible_to(viewer));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::invalid(field, UserErrorCode::NotFound, "no thread with this id"))
}

/// Finds or creates tags by name and returns their ids.
async fn tag_ids(txn: &DatabaseTransaction, names: &[Tag]) -> Result<Vec<i64>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    tag::Entity::insert_many(
        names.iter().map(|name| tag::ActiveModel { name: Set(name.to_string()), ..Default::default() }),
    )
    .on_conflict(OnConflict::column(tag::Column::Name).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    let rows =
        tag::Entity::find().filter(tag::Column::Name.is_in(names.iter().map(|n| n.to_string()))).all(txn).await?;
    Ok(rows.into_iter().map(|t| t.id).collect())
}

async fn set_tags(txn: &DatabaseTransaction, thread_id: i64, names: &[Tag]) -> Result<()> {
    thread_tag::Entity::delete_many().filter(thread_tag::Column::ThreadId.eq(thread_id)).exec(txn).await?;
    let ids = tag_ids(txn, names).await?;
    if !ids.is_empty() {
        thread_tag::Entity::insert_many(
            ids.into_iter().map(|tag_id| thread_tag::ActiveModel { thread_id: Set(thread_id), tag_id: Set(tag_id) }),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Reads a thread back after a write.
async fn reload(db: &impl ConnectionTrait, id: i64) -> Result<thread::Model> {
    thread::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("thread {id} vanished after a write")))
}

/// Posts a thread; the author follows it from the start.
#[tracing::instrument(skip(db, context, new), fields(kind = ?new.kind))]
pub async fn post_thread(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    new: NewThread,
    idempotency_key: Option<&str>,
) -> Result<thread::Model> {
    let author = writer(context.viewer)?.clone();
    let mut checks = Checks::default();
    let title = checks.take("title", Title::parse(&new.title));
    let body = checks.take("body", Markdown::parse("Body", &new.body, false));
    let tags = checks.tags(&new.tags);
    checks.finish()?;
    let hash = input_fingerprint(&new);
    let id = create_once(db, context, idempotency_key, "postThread", hash, async |write: &Write<'_>| {
        let txn = &**write;
        let created = thread::ActiveModel {
            kind: Set(new.kind),
            title_folded: Set(threads::fold_title(&title)),
            title: Set(title.into()),
            body: Set(body.into()),
            language: Set(new.language),
            status: Set(ThreadStatus::Open),
            visibility: Set(new.visibility),
            author_id: Set(author.id),
            partner_id: Set(author.partner_id),
            accepted_reply_id: Set(None),
            reply_count: Set(0),
            endorsement_count: Set(0),
            endorsing_partner_count: Set(0),
            version: Set(1),
            created_at: Set(context.now),
            updated_at: Set(context.now),
            last_activity_at: Set(context.now),
            first_reply_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        set_tags(txn, created.id, &tags).await?;
        search::reindex_thread(txn, created.id).await?;
        write.stage(Event::ThreadPosted { thread_id: created.id }).await?;
        follow::ActiveModel { thread_id: Set(created.id), member_id: Set(author.id), created_at: Set(context.now) }
            .insert(txn)
            .await?;
        if new.kind == ThreadKind::Question {
            notifications::announce(write, Source::QuestionPosted { thread_id: created.id }).await?;
        }
        write.audit("thread.post", "Thread", created.id, json!({ "kind": new.kind, "tags": tags })).await?;
        Ok(created.id)
    })
    .await?;
    reload(db, id).await
}

/// Changes to a thread; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ThreadEdit {
    /// The thread.
    pub thread_id: i64,
    /// The version the editor last saw.
    pub version: i32,
    /// A new title.
    pub title: Option<String>,
    /// A new body.
    pub body: Option<String>,
    /// New tags, replacing the old.
    pub tags: Option<Vec<String>>,
    /// A new language.
    pub language: Option<Language>,
    /// A new visibility.
    pub visibility: Option<Visibility>,
}

/// Edits a thread if nobody changed it since `version`.
#[tracing::instrument(skip(db, context, edit), fields(thread_id = edit.thread_id))]
pub async fn edit_thread(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    edit: ThreadEdit,
) -> Result<thread::Model> {
    writer(context.viewer)?;
    let mut checks = Checks::default();
    let title = edit.title.as_deref().map(|t| checks.take("title", Title::parse(t)));
    let body = edit.body.as_deref().map(|b| checks.take("body", Markdown::parse("Body", b, false)));
    let tags = edit.tags.as_deref().map(|t| checks.tags(t));
    checks.finish()?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let current = thread_for_write(txn, context.viewer, edit.thread_id, "threadId").await?;
    if !may_moderate(context.viewer, &current) {
        return Err(ServiceError::Forbidden);
    }
    if current.version != edit.version {
        return Err(ServiceError::invalid(
            "version",
            UserErrorCode::Conflict,
            format!("the thread changed since you loaded it (now version {}); reload and edit again", current.version),
        ));
    }
    let mut changed: thread::ActiveModel = current.clone().into();
    if let Some(title) = title {
        changed.title_folded = Set(threads::fold_title(&title));
        changed.title = Set(title.into());
    }
    if let Some(body) = body {
        changed.body = Set(body.into());
    }
    if let Some(language) = edit.language {
        changed.language = Set(language);
    }
    if let Some(visibility) = edit.visibility {
        changed.visibility = Set(visibility);
    }
    changed.version = Set(current.version + 1);
    changed.updated_at = Set(context.now);
    changed.update(txn).await?;
    if let Some(tags) = &tags {
        set_tags(txn, current.id, tags).await?;
    }
    search::reindex_thread(txn, current.id).await?;
    write.audit("thread.edit", "Thread", current.id, json!({ "version": current.version + 1 })).await?;
    notifications::announce(&write, Source::Edited { thread_id: current.id, version: current.version + 1 }).await?;
    write.commit().await?;
    reload(db, current.id).await
}

/// A reply to post.
#[derive(Debug, Clone, Serialize)]
pub struct NewReply {
    /// The thread replied to.
    pub thread_id: i64,
    /// Markdown, 1 to 20,000 characters.
    pub body: String,
}

/// Replies to an open or answered thread.
#[tracing::instrument(skip(db, context, new), fields(thread_id = new.thread_id))]
pub async fn reply_to_thread(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    new: NewReply,
    idempotency_key: Option<&str>,
    origin: Option<&DiscordOrigin>,
) -> Result<reply::Model> {
    let author = writer(context.viewer)?.clone();
    let mut checks = Checks::default();
    let body = checks.take("body", Markdown::parse("Reply", &new.body, true));
    checks.finish()?;
    if let Some(origin) = origin {
        if !matches!(context.viewer, Viewer::Member { via_bot: Some(_), .. }) {
            return Err(ServiceError::invalid(
                "discordMessage",
                UserErrorCode::Invalid,
                "only the Discord bot says which Discord message a reply came from",
            ));
        }
        discord::check_origin(origin)?;
    }
    let hash = input_fingerprint(&new);
    let id = create_once(db, context, idempotency_key, "replyToThread", hash, async |write: &Write<'_>| {
        let txn = &**write;
        let target = thread_for_write(txn, context.viewer, new.thread_id, "threadId").await?;
        if target.status == ThreadStatus::Closed {
            return Err(ServiceError::invalid(
                "threadId",
                UserErrorCode::InvalidState,
                "this thread is closed to replies",
            ));
        }
        let created = reply::ActiveModel {
            thread_id: Set(target.id),
            author_id: Set(author.id),
            body: Set(body.into()),
            is_accepted: Set(false),
            created_at: Set(context.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        thread::Entity::update_many()
            .col_expr(thread::Column::ReplyCount, Expr::col(thread::Column::ReplyCount).add(1))
            .col_expr(thread::Column::LastActivityAt, Expr::value(context.now))
            .col_expr(thread::Column::FirstReplyAt, Expr::value(target.first_reply_at.unwrap_or(context.now)))
            .filter(thread::Column::Id.eq(target.id))
            .exec(txn)
            .await?;
        search::reindex_thread(txn, target.id).await?;
        if let Some(origin) = origin {
            discord::record_completed(txn, context, &(origin.key)(created.id), &origin.channel_id, &origin.message_id)
                .await?;
        }
        write.stage(Event::ReplyPosted { thread_id: target.id, reply_id: created.id }).await?;
        follow_in(write, target.id, author.id).await?;
        notifications::announce(write, Source::Reply { thread_id: target.id, reply_id: created.id }).await?;
        write.audit("thread.reply", "Reply", created.id, json!({ "threadId": target.id })).await?;
        Ok(created.id)
    })
    .await?;
    reply::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("reply {id} vanished after a write")))
}

/// Accepts a reply as the answer to its question, replacing any earlier choice.
#[tracing::instrument(skip(db, context))]
pub async fn accept_reply(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    reply_id: i64,
) -> Result<(reply::Model, thread::Model)> {
    writer(context.viewer)?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let not_found = || ServiceError::invalid("replyId", UserErrorCode::NotFound, "no reply with this id");
    let chosen = reply::Entity::find_by_id(reply_id).one(txn).await?.ok_or_else(not_found)?;
    let target = thread_for_write(txn, context.viewer, chosen.thread_id, "replyId").await.map_err(|_| not_found())?;
    if !may_moderate(context.viewer, &target) {
        return Err(ServiceError::Forbidden);
    }
    if target.kind != ThreadKind::Question {
        return Err(ServiceError::invalid(
            "replyId",
            UserErrorCode::InvalidState,
            "only a question has an accepted answer",
        ));
    }
    if target.status == ThreadStatus::Closed {
        return Err(ServiceError::invalid("replyId", UserErrorCode::InvalidState, "this thread is closed"));
    }
    if target.accepted_reply_id != Some(chosen.id) {
        reply::Entity::update_many()
            .col_expr(reply::Column::IsAccepted, Expr::value(false))
            .filter(reply::Column::ThreadId.eq(target.id))
            .exec(txn)
            .await?;
        reply::Entity::update_many()
            .col_expr(reply::Column::IsAccepted, Expr::value(true))
            .filter(reply::Column::Id.eq(chosen.id))
            .exec(txn)
            .await?;
        thread::Entity::update_many()
            .col_expr(thread::Column::AcceptedReplyId, Expr::value(chosen.id))
            .col_expr(thread::Column::Status, Expr::value(ThreadStatus::Answered))
            .col_expr(thread::Column::UpdatedAt, Expr::value(context.now))
            .filter(thread::Column::Id.eq(target.id))
            .exec(txn)
            .await?;
        write.audit("reply.accept", "Reply", chosen.id, json!({ "threadId": target.id })).await?;
        write.stage(Event::AnswerAccepted { thread_id: target.id, reply_id: chosen.id }).await?;
        notifications::announce(&write, Source::AnswerAccepted { thread_id: target.id, reply_id: chosen.id }).await?;
    }
    write.commit().await?;
    let accepted = reply::Entity::find_by_id(chosen.id).one(db).await?.ok_or_else(not_found)?;
    Ok((accepted, reload(db, target.id).await?))
}

/// Closes a thread to new replies. Closing a closed thread changes nothing.
#[tracing::instrument(skip(db, context))]
pub async fn close_thread(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    thread_id: i64,
) -> Result<thread::Model> {
    writer(context.viewer)?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let target = thread_for_write(txn, context.viewer, thread_id, "threadId").await?;
    if !may_moderate(context.viewer, &target) {
        return Err(ServiceError::Forbidden);
    }
    if target.status != ThreadStatus::Closed {
        thread::Entity::update_many()
            .col_expr(thread::Column::Status, Expr::value(ThreadStatus::Closed))
            .col_expr(thread::Column::UpdatedAt, Expr::value(context.now))
            .col_expr(thread::Column::Version, Expr::col(thread::Column::Version).add(1))
            .filter(thread::Column::Id.eq(target.id))
            .exec(txn)
            .await?;
        write.audit("thread.close", "Thread", target.id, json!({})).await?;
        notifications::announce(&write, Source::Closed { thread_id: target.id }).await?;
    }
    write.commit().await?;
    reload(db, thread_id).await
}

/// Endorses a thread once per member; endorsing again changes nothing.
#[tracing::instrument(skip(db, context))]
pub async fn endorse_thread(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    thread_id: i64,
) -> Result<thread::Model> {
    let member = writer(context.viewer)?.clone();
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let target = thread_for_write(txn, context.viewer, thread_id, "threadId").await?;
    if target.author_id == member.id {
        return Err(ServiceError::invalid(
            "threadId",
            UserErrorCode::InvalidState,
            "you cannot endorse your own thread",
        ));
    }
    let inserted = endorsement::Entity::insert(endorsement::ActiveModel {
        thread_id: Set(target.id),
        member_id: Set(member.id),
        partner_id: Set(member.partner_id),
        created_at: Set(context.now),
    })
    .on_conflict(
        OnConflict::columns([endorsement::Column::ThreadId, endorsement::Column::MemberId]).do_nothing().to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted > 0 {
        let partners = endorsement::Entity::find()
            .select_only()
            .column(endorsement::Column::PartnerId)
            .distinct()
            .filter(endorsement::Column::ThreadId.eq(target.id))
            .count(txn)
            .await?;
        thread::Entity::update_many()
            .col_expr(thread::Column::EndorsementCount, Expr::col(thread::Column::EndorsementCount).add(1))
            .col_expr(thread::Column::EndorsingPartnerCount, Expr::value(partners as i32))
            .filter(thread::Column::Id.eq(target.id))
            .exec(txn)
            .await?;
        write.audit("thread.endorse", "Thread", target.id, json!({})).await?;
        notifications::announce(&write, Source::Endorsed { thread_id: target.id, partner_id: member.partner_id })
            .await?;
    }
    write.commit().await?;
    reload(db, thread_id).await
}

/// Starts or stops following a thread; repeating either changes nothing.
#[tracing::instrument(skip(db, context))]
pub async fn set_following(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    thread_id: i64,
    following: bool,
) -> Result<thread::Model> {
    let member = writer(context.viewer)?.clone();
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let target = thread_for_write(txn, context.viewer, thread_id, "threadId").await?;
    let changed = if following {
        follow_in(&write, target.id, member.id).await?
    } else {
        follow::Entity::delete_many()
            .filter(follow::Column::ThreadId.eq(target.id))
            .filter(follow::Column::MemberId.eq(member.id))
            .exec(txn)
            .await?
            .rows_affected
    };
    if changed > 0 {
        let action = if following { "thread.follow" } else { "thread.unfollow" };
        write.audit(action, "Thread", target.id, json!({})).await?;
    }
    write.commit().await?;
    Ok(target)
}

/// Makes `member_id` follow `thread_id` in `write`, if they do not yet; how many rows that
/// added (0 or 1).
async fn follow_in(write: &Write<'_>, thread_id: i64, member_id: i64) -> Result<u64> {
    Ok(follow::Entity::insert(follow::ActiveModel {
        thread_id: Set(thread_id),
        member_id: Set(member_id),
        created_at: Set(write.now()),
    })
    .on_conflict(OnConflict::columns([follow::Column::ThreadId, follow::Column::MemberId]).do_nothing().to_owned())
    .exec_without_returning(&**write)
    .await?)
}
