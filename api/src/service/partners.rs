//! The network's partners: listing, lookup, and the founding partner list from the
//! press release, seeded once.

use chrono::{DateTime, Utc};
use lkn_entity::vocabulary::{Nation, PartnerKind};
use lkn_entity::{network_figure, partner};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Set,
};

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

/// A partner by its slug.
pub async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<partner::Model>> {
    Ok(partner::Entity::find().filter(partner::Column::Slug.eq(slug)).one(db).await?)
}

/// One partner of the founding list.
struct Founder {
    slug: &'static str,
    name: &'static str,
    kind: PartnerKind,
    nation: Nation,
    area: &'static str,
    website: &'static str,
}

/// The British Library and the partners named in the press release of 16 September 2016
/// announcing the Living Knowledge Network. Areas follow from each name; no audience
/// figure is given there, so none is stored: unknown stays unknown.
const FOUNDERS: &[Founder] = &[
    Founder {
        slug: "british-library",
        name: "British Library",
        kind: PartnerKind::NationalLibrary,
        nation: Nation::England,
        area: "London",
        website: "https://www.bl.uk",
    },
    Founder {
        slug: "birmingham-city-council",
        name: "Birmingham City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Birmingham",
        website: "https://www.birmingham.gov.uk",
    },
    Founder {
        slug: "bournemouth-borough-council",
        name: "Bournemouth Borough Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Bournemouth",
        website: "https://www.bcpcouncil.gov.uk",
    },
    Founder {
        slug: "edinburgh-council",
        name: "Edinburgh Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::Scotland,
        area: "Edinburgh",
        website: "https://www.edinburgh.gov.uk",
    },
    Founder {
        slug: "libraries-unlimited",
        name: "Libraries Unlimited",
        kind: PartnerKind::LibraryTrust,
        nation: Nation::England,
        area: "Devon",
        website: "https://www.librariesunlimited.org.uk",
    },
    Founder {
        slug: "glasgow-life",
        name: "Glasgow Life",
        kind: PartnerKind::LibraryTrust,
        nation: Nation::Scotland,
        area: "Glasgow",
        website: "https://www.glasgowlife.org.uk",
    },
    Founder {
        slug: "kirklees-council",
        name: "Kirklees Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Kirklees",
        website: "https://www.kirklees.gov.uk",
    },
    Founder {
        slug: "suffolk-libraries",
        name: "Suffolk's Libraries Industrial and Provident Society (IPS)",
        kind: PartnerKind::LibraryTrust,
        nation: Nation::England,
        area: "Suffolk",
        website: "https://www.suffolklibraries.co.uk",
    },
    Founder {
        slug: "leeds-city-council",
        name: "Leeds City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Leeds",
        website: "https://www.leeds.gov.uk",
    },
    Founder {
        slug: "liverpool-city-council",
        name: "Liverpool City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Liverpool",
        website: "https://liverpool.gov.uk",
    },
    Founder {
        slug: "manchester-city-council",
        name: "Manchester City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Manchester",
        website: "https://www.manchester.gov.uk",
    },
    Founder {
        slug: "newcastle-city-council",
        name: "Newcastle City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Newcastle upon Tyne",
        website: "https://www.newcastle.gov.uk",
    },
    Founder {
        slug: "harris-library-preston",
        name: "The Preston Harris Library",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Preston",
        website: "https://www.theharris.org.uk",
    },
    Founder {
        slug: "national-library-of-scotland",
        name: "National Library of Scotland",
        kind: PartnerKind::NationalLibrary,
        nation: Nation::Scotland,
        area: "Edinburgh",
        website: "https://www.nls.uk",
    },
    Founder {
        slug: "national-library-of-wales",
        name: "National Library of Wales",
        kind: PartnerKind::NationalLibrary,
        nation: Nation::Wales,
        area: "Aberystwyth",
        website: "https://www.library.wales",
    },
    Founder {
        slug: "first-for-wellbeing",
        name: "First for Wellbeing",
        kind: PartnerKind::LibraryTrust,
        nation: Nation::England,
        area: "Lancashire",
        website: "",
    },
    Founder {
        slug: "norfolk-county-council",
        name: "Norfolk County Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Norfolk",
        website: "https://www.norfolk.gov.uk",
    },
    Founder {
        slug: "northern-ireland-library-authorities",
        name: "Northern Ireland Library Authorities",
        kind: PartnerKind::PublicBody,
        nation: Nation::NorthernIreland,
        area: "Northern Ireland",
        website: "https://www.librariesni.org.uk",
    },
    Founder {
        slug: "portsmouth-city-council",
        name: "Portsmouth City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Portsmouth",
        website: "https://www.portsmouth.gov.uk",
    },
    Founder {
        slug: "reading-borough-council",
        name: "Reading Borough Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Reading",
        website: "https://www.reading.gov.uk",
    },
    Founder {
        slug: "sheffield-city-council",
        name: "Sheffield City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Sheffield",
        website: "https://www.sheffield.gov.uk",
    },
    Founder {
        slug: "wakefield-council",
        name: "Wakefield Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Wakefield",
        website: "https://www.wakefield.gov.uk",
    },
    Founder {
        slug: "middlesbrough-council",
        name: "Middlesbrough Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Middlesbrough",
        website: "https://www.middlesbrough.gov.uk",
    },
    Founder {
        slug: "hull-city-council",
        name: "Hull City Council",
        kind: PartnerKind::LocalAuthority,
        nation: Nation::England,
        area: "Kingston upon Hull",
        website: "https://www.hull.gov.uk",
    },
];

/// The network's combined audience as reported at its launch, and where.
pub const REPORTED_COMBINED_AUDIENCE: (i64, &str) =
    (13_000_000, "British Library press release announcing the Living Knowledge Network, 16 September 2016");

/// Inserts the founding partners and network figures that are missing; never duplicates
/// and never overwrites what administrators have changed since. Returns how many
/// partners were added.
#[tracing::instrument(skip(db))]
pub async fn seed_founders(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let before = PaginatorTrait::count(partner::Entity::find(), db).await?;
    let rows = FOUNDERS.iter().map(|f| partner::ActiveModel {
        slug: Set(f.slug.to_owned()),
        name: Set(f.name.to_owned()),
        kind: Set(f.kind),
        nation: Set(f.nation),
        area: Set(f.area.to_owned()),
        website: Set((!f.website.is_empty()).then(|| f.website.to_owned())),
        audience_reach: Set(None),
        audience_source: Set(None),
        created_at: Set(now),
        ..Default::default()
    });
    partner::Entity::insert_many(rows)
        .on_conflict(OnConflict::column(partner::Column::Slug).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    network_figure::Entity::insert(network_figure::ActiveModel {
        key: Set("combined_audience".to_owned()),
        value: Set(REPORTED_COMBINED_AUDIENCE.0),
        source: Set(REPORTED_COMBINED_AUDIENCE.1.to_owned()),
        ..Default::default()
    })
    .on_conflict(OnConflict::column(network_figure::Column::Key).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    let after = PaginatorTrait::count(partner::Entity::find(), db).await?;
    Ok(after - before)
}
