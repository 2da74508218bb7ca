//! The founding partners and the network's launch figures: the seed data every database
//! starts from, taken from the press release that announced the network.

use chrono::{DateTime, Utc};
use lkn_entity::vocabulary::{Nation, PartnerKind};
use lkn_entity::{network_figure, partner};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Set};

use crate::error::Result;

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
