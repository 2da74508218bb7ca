//! An organisation in the network: the British Library or one of its partner libraries.

use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// One row of `partners`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable, URL-safe handle used by the CLI, the bot and filters (`national-library-of-wales`).
    #[sea_orm(unique)]
    pub slug: String,
    /// Name as the partner uses it.
    pub name: String,
    /// What kind of organisation it is.
    pub kind: PartnerKind,
    /// Which of the four nations it serves.
    pub nation: Nation,
    /// The city, county or area it serves.
    pub area: String,
    /// Its public website, where known.
    pub website: Option<String>,
    /// Reported audience reach, where known; never estimated by LKN.
    pub audience_reach: Option<i64>,
    /// Where the audience figure comes from.
    pub audience_source: Option<String>,
    /// When the partner joined LKN.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
