//! The entity store on PostgreSQL: one database that every replica of a deployment shares.
//!
//! The meta tables (`store_*`) come from the backend's migrations
//! (`migrations/postgres/V5__store.sql`); the tables of the entities themselves follow the
//! entity definitions (`tables`), named `entity_<Name>` as on SQLite.
//!
//! Every call is synchronous, as the store's callers are (writer threads, blocking tasks):
//! it runs on the database's runtime through [`Postgres::wait`].

mod executions;
mod files;
mod query;
mod read;
mod staging;
mod tables;
mod units;
mod values;
mod write;

use std::sync::{Arc, PoisonError, RwLock};

use anyhow::Result;

use super::changes::Turns;
use crate::backend::Postgres;
use crate::entity::{Catalog, Entity};
use crate::store::{Lease, LeaseLost};

pub(super) use read::RowReader;
pub(super) use units::Unit;
pub(super) use write::{WriteBatch, Writer};

/// Holds `lease`'s row until the transaction ends, or fails with [`LeaseLost`] when its
/// message no longer holds the receipt: the rescuer cannot hand the message to another replica
/// before this transaction has committed, and a transaction whose lease lapsed commits nothing.
async fn check_lease(transaction: &deadpool_postgres::Transaction<'_>, lease: &Lease) -> Result<()> {
    let held = transaction
        .query_opt(
            "SELECT 1 FROM queue_messages WHERE id = $1 AND pop_receipt = $2 \
             AND status IN ('Preprocessing', 'Processing') FOR SHARE",
            &[&lease.message, &lease.receipt],
        )
        .await?;
    match held {
        Some(_) => Ok(()),
        None => Err(LeaseLost(lease.message).into()),
    }
}

/// The store in one PostgreSQL database. Cheap to clone; every clone shares the pool and the
/// prepared catalog.
#[derive(Debug, Clone)]
pub(in crate::store) struct Database {
    postgres: Postgres,
    /// The entities given to the last successful `prepare`.
    catalog: Arc<RwLock<Arc<Catalog>>>,
    /// Writing units of work of this replica take turns here before they take a connection.
    turns: Arc<Turns>,
}

impl Database {
    /// The store in `postgres`; its meta tables are already there (the backend migrated them
    /// when it connected).
    pub(in crate::store) fn open(postgres: &Postgres) -> Result<Database> {
        Ok(Database { postgres: postgres.clone(), catalog: Arc::default(), turns: Arc::default() })
    }

    /// The catalog given to the last `prepare`.
    pub(in crate::store) fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set_catalog(&self, catalog: &Catalog) {
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog.clone());
    }

    /// Fails unless `entity` is the definition the store was last prepared with.
    fn check_prepared(&self, entity: &Entity) -> Result<()> {
        super::check_prepared(&self.catalog(), entity)
    }
}
