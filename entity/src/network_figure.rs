//! Figures reported for the network as a whole, each with its source (the combined audience of 13 million).

use sea_orm::entity::prelude::*;

/// One row of `network_figures`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_figures")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Which figure (`combined_audience`).
    #[sea_orm(unique)]
    pub key: String,
    /// The reported value.
    pub value: i64,
    /// Where it was reported.
    pub source: String,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
