//! The OData v4 entity service over the entity store, as D365 F&O offers it under `/data`:
//! the service document, `$metadata`, entity sets with D365's query options, writes with
//! ETags, `$batch` with atomic change sets, and bound actions run by action plugins.
//!
//! Nothing here names HTTP framework types: a [`Request`] goes in and a [`Response`] comes out,
//! so the REST layer and `$batch` parts take the same path.

pub mod batch;
pub mod metadata;
pub mod syntax;
