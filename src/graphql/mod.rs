//! The GraphQL schema: query roots, types, per-request DataLoaders, limits and the error
//! policy. Transport-free: `http` mounts it on axum, `finstage schema` prints its SDL.

mod browse;
mod company;
mod error;
mod listing;
mod loaders;
mod metrics;
mod mutation;
mod node;
mod persisted;
mod plan;
mod registration;
mod request;
mod subscription;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::apollo_persisted_queries::ApolloPersistedQueries;
use async_graphql::{MergedObject, Schema, SchemaBuilder};

pub use browse::{MAX_PAGE, listing_cursor_before};
pub use company::MAX_LAST;
pub use error::{ApiError, is_request_error};
pub use loaders::with_loaders;
pub use persisted::PersistedQueries;
pub use request::{Caller, RegistrationLimiter};
pub use subscription::Subscription;

use crate::db::Db;
use crate::registration::Registrations;
use crate::results::StatusFeed;

/// Deepest selection accepted: the schema itself needs 3 levels; GraphiQL's introspection
/// query needs 12.
pub const MAX_DEPTH: usize = 12;
/// Ceiling on estimated work (fields × list sizes): room for 100 companies × 3 statement
/// kinds × 5 years of every line item (about 36,000), not for 100 companies × 200 quarters.
pub const MAX_COMPLEXITY: usize = 50_000;
/// Most directives on one field (GHSA-5gc2-7c65-8fq8: many directives are costly to check).
pub const MAX_DIRECTIVES: usize = 5;

#[derive(MergedObject, Default)]
pub struct Query(
    company::CompanyQuery,
    listing::ListingQuery,
    node::NodeQuery,
    browse::BrowseQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(mutation::RegistrationMutation);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with everything resolvers need as schema data: the database pool, the
/// registration writer and rate limiter, the status feed and how subscribers re-read stored
/// statuses; the persisted queries' store; introspection on or off. The caller (`Caller`) is
/// request data, set by the HTTP layer.
pub fn build_schema(
    db: Db,
    registrations: Registrations,
    limiter: Arc<RegistrationLimiter>,
    feed: StatusFeed,
    status_recheck: Duration,
    persisted: PersistedQueries,
    introspection: bool,
) -> AppSchema {
    let builder = builder().extension(ApolloPersistedQueries::new(persisted));
    let builder = if introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder
        .data(subscription::StatusWatch::new(db.clone(), status_recheck))
        .data(db)
        .data(registrations)
        .data(limiter)
        .data(feed)
        .finish()
}

/// The schema definition in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .extension(error::ErrorCodes)
        .extension(request::CachePolicy)
        .extension(plan::ReadPlanner)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(MAX_DIRECTIVES)
}
