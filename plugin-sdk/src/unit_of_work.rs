//! The unit of work an action runs in: reads and changes to the entities its manifest lists,
//! committed only when the action returns `Ok`.
//!
//! Compiled for anything but WebAssembly there is no host, and every call fails, unless the
//! test installed a [`TestHost`](crate::testing::TestHost) whose rows stand in for the
//! entities (changes are applied at once; there is no rollback).

#[cfg(target_arch = "wasm32")]
use crate::bindings::wharf::plugin::unit_of_work as wit;
#[cfg(target_arch = "wasm32")]
use crate::convert::{fields, record};
use crate::{PluginError, Record, ValueRef};

/// A list of named values: a key, search criteria, a new row or the changes to one.
pub type Fields<'a> = [(&'a str, ValueRef<'a>)];

/// Reads the row of `entity` whose key fields equal `key`, seeing this unit's own changes.
pub fn read(entity: &str, key: &Fields<'_>) -> Result<Option<Record>, PluginError> {
    #[cfg(target_arch = "wasm32")]
    return wit::read(entity, &fields(key)).map(|row| row.map(record)).map_err(PluginError::new);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::read(entity, key)
}

/// The rows of `entity` whose fields equal every criterion, at most `limit`, in key order.
pub fn find(entity: &str, criteria: &Fields<'_>, limit: u32) -> Result<Vec<Record>, PluginError> {
    #[cfg(target_arch = "wasm32")]
    return wit::find(entity, &fields(criteria), limit)
        .map(|rows| rows.into_iter().map(record).collect())
        .map_err(PluginError::new);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::find(entity, criteria, limit)
}

/// Adds a row to `entity`. Fails when its key is taken or a required field is missing.
pub fn insert(entity: &str, row: &Fields<'_>) -> Result<(), PluginError> {
    #[cfg(target_arch = "wasm32")]
    return wit::insert(entity, &fields(row)).map_err(PluginError::new);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::insert(entity, row)
}

/// Changes `changes` in the row of `entity` whose key fields equal `key`.
pub fn update(entity: &str, key: &Fields<'_>, changes: &Fields<'_>) -> Result<(), PluginError> {
    #[cfg(target_arch = "wasm32")]
    return wit::update(entity, &fields(key), &fields(changes)).map_err(PluginError::new);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::update(entity, key, changes)
}
