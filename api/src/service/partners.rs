//! The network's partners: listing and lookup, by id and by slug. The founding list
//! they start from is [`crate::service::seed::founders`]'s.

use lkn_entity::partner;
use lkn_entity::vocabulary::{Nation, PartnerKind};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use crate::error::Result;
use crate::service::page::{self, Cursor, KeyKind, Page, PageRequest, SortKey};

/// Which partners a list shows.
#[derive(Debug, Clone, Default)]
pub struct PartnerQuery {
    /// Only partners in this nation.
    pub nation: Option<Nation>,
    /// Only partners of this kind.
    pub kind: Option<PartnerKind>,
}

/// Partners in name order, a page at a time. Partners are public: every caller sees all.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &impl ConnectionTrait,
    query: &PartnerQuery,
    request: &PageRequest,
) -> Result<Page<partner::Model>> {
    let mut select = partner::Entity::find();
    if let Some(nation) = query.nation {
        select = select.filter(partner::Column::Nation.eq(nation));
    }
    if let Some(kind) = query.kind {
        select = select.filter(partner::Column::Kind.eq(kind));
    }
    let filtered = select.clone().into_query();
    if let Some(cursor) = &request.after {
        select = select.filter(page::after(
            cursor,
            Some((Expr::col(partner::Column::Name), Order::Asc, KeyKind::Text)),
            Expr::col(partner::Column::Id),
            Order::Asc,
        )?);
    }
    let ordered = select
        .order_by_asc(partner::Column::Name)
        .order_by_asc(partner::Column::Id)
        .limit(request.first + 1)
        .into_query();
    let (rows, total) = page::fetch(db, request, filtered, ordered).await?;
    Ok(Page::from_rows(request, rows, |p| Cursor { key: Some(SortKey::Text(p.name.clone())), id: p.id }, total))
}

/// The partner directory held in memory, on PostgreSQL, for as long as nothing changes.
///
/// Every page of partners used to cost a statement for two dozen rows that change a few
/// times a year. Here the whole directory is read once, in `partners`' list order, and
/// served from memory until the database says it changed: a trigger on `partners`
/// notifies every process (see the migration `notify_partner_changes`). It is used only
/// while this process is listening for those notifications: losing the listener, or
/// listening again, forgets it, in case a change went unheard. A load that raced with a
/// change is not kept. On SQLite it holds nothing and every read goes to the database.
#[derive(Debug, Default)]
pub struct PartnerDirectory {
    enabled: bool,
    state: std::sync::RwLock<Held>,
}

/// What the directory holds, and whether it may be used.
#[derive(Debug, Default)]
struct Held {
    /// Bumped by every change heard: a load started before it is not kept.
    generation: u64,
    /// Whether changes can be heard now.
    listening: bool,
    /// Every partner in list order, once loaded.
    rows: Option<std::sync::Arc<Vec<partner::Model>>>,
}

impl PartnerDirectory {
    /// A directory for `db` that forgets itself on `events`' partner changes and
    /// restarts; it holds rows only on PostgreSQL.
    pub fn following(db: &sea_orm::DatabaseConnection, events: &crate::events::EventBus) -> std::sync::Arc<Self> {
        let directory = std::sync::Arc::new(Self {
            enabled: db.get_database_backend() == sea_orm::DbBackend::Postgres,
            ..Self::default()
        });
        if directory.enabled {
            let mut heard = events.subscribe();
            let watched = std::sync::Arc::downgrade(&directory);
            tokio::spawn(async move {
                use crate::events::Event;
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    let listening = match heard.recv().await {
                        Ok(Event::ListenerRestarted) => Some(true),
                        Ok(Event::ListenerLost) => Some(false),
                        Ok(Event::PartnersChanged) | Err(RecvError::Lagged(_)) => None,
                        Ok(_) => continue,
                        Err(RecvError::Closed) => return,
                    };
                    let Some(directory) = watched.upgrade() else { return };
                    directory.forget(listening);
                }
            });
        }
        directory
    }

    /// Drops the rows; `listening` says whether changes can be heard from now on.
    fn forget(&self, listening: Option<bool>) {
        if let Ok(mut held) = self.state.write() {
            held.generation += 1;
            held.rows = None;
            if let Some(listening) = listening {
                held.listening = listening;
            }
        }
    }

    /// Every partner in list order (name, then id), from memory when it is held.
    async fn all(&self, db: &impl ConnectionTrait) -> Result<Option<std::sync::Arc<Vec<partner::Model>>>> {
        if !self.enabled {
            return Ok(None);
        }
        let generation = match self.state.read() {
            Ok(held) if !held.listening => return Ok(None),
            Ok(held) if held.rows.is_some() => return Ok(held.rows.clone()),
            Ok(held) => held.generation,
            Err(_) => return Ok(None),
        };
        let rows = std::sync::Arc::new(
            partner::Entity::find()
                .order_by_asc(partner::Column::Name)
                .order_by_asc(partner::Column::Id)
                .all(db)
                .await?,
        );
        if let Ok(mut held) = self.state.write()
            && held.generation == generation
        {
            held.rows = Some(rows.clone());
        }
        Ok(Some(rows))
    }

    /// A page of partners, from memory when the directory is held.
    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        query: &PartnerQuery,
        request: &PageRequest,
    ) -> Result<Page<partner::Model>> {
        let Some(all) = self.all(db).await? else { return list(db, query, request).await };
        let matching: Vec<&partner::Model> = all
            .iter()
            .filter(|p| query.nation.is_none_or(|n| p.nation == n) && query.kind.is_none_or(|k| p.kind == k))
            .collect();
        let start = match &request.after {
            None => 0,
            Some(cursor) => {
                // The directory finds the page by id alone, but a cursor the database's
                // list would refuse is refused here too.
                cursor.fits(Some(KeyKind::Text))?;
                match matching.iter().position(|p| p.id == cursor.id) {
                    Some(at) => at + 1,
                    // The cursor's partner is gone: the database knows where the page starts.
                    None => return list(db, query, request).await,
                }
            }
        };
        let rows: Vec<partner::Model> =
            matching.iter().skip(start).take(request.first as usize + 1).map(|p| (*p).clone()).collect();
        let total = page::TotalCount::Known(matching.len() as i64);
        Ok(Page::from_rows(request, rows, |p| Cursor { key: Some(SortKey::Text(p.name.clone())), id: p.id }, total))
    }
}

/// Partners by id; unknown ids are simply absent. Partners are public.
pub async fn by_ids(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = i64>) -> Result<Vec<partner::Model>> {
    Ok(partner::Entity::find().filter(partner::Column::Id.is_in(ids)).all(db).await?)
}

/// A partner by its slug.
pub async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<partner::Model>> {
    Ok(partner::Entity::find().filter(partner::Column::Slug.eq(slug)).one(db).await?)
}
