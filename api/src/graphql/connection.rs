//! Relay connections over the service layer's keyset pages.

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Context, Object, OutputType};

use crate::graphql::{OrGraphql, db};
use crate::service::page::{Cursor, Page, PageRequest, TotalCount};

/// The opaque cursor clients pass back as `after`.
pub struct OpaqueCursor(pub Cursor);

impl CursorType for OpaqueCursor {
    type Error = crate::error::ServiceError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        Cursor::decode(s).map(Self)
    }

    fn encode_cursor(&self) -> String {
        self.0.encode()
    }
}

/// The page a connection field asks for, counting the whole list in the same statement
/// when the query selects `totalCount`.
pub fn page_request(ctx: &Context<'_>, first: Option<i32>, after: Option<&str>) -> async_graphql::Result<PageRequest> {
    let request = PageRequest::new(first, after).gql()?;
    Ok(request.counting(ctx.look_ahead().field("totalCount").exists()))
}

/// The `totalCount` of a connection, counted only when selected.
pub struct ListTotal(TotalCount);

impl ListTotal {
    /// Wraps a page's deferred count.
    pub fn new(total: TotalCount) -> Self {
        Self(total)
    }
}

#[Object]
impl ListTotal {
    /// How many items the whole list holds, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        self.0.run(db(ctx)?).await.gql()
    }
}

/// A connection of `N` with `totalCount`, `edges`, `nodes` and `pageInfo`.
pub type Conn<N> = Connection<OpaqueCursor, N, ListTotal, EmptyFields>;

/// Wraps a page of rows as a connection of GraphQL objects.
pub fn connection<T, N: OutputType>(page: Page<T>, mut node: impl FnMut(T) -> N) -> Conn<N> {
    let mut connection =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, ListTotal(page.total));
    connection.edges.extend(page.items.into_iter().map(|(cursor, row)| Edge::new(OpaqueCursor(cursor), node(row))));
    connection
}
