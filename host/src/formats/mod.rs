//! Reading documents into row batches. Pure: no IO beyond the reader it is handed, nothing
//! about wasm, and no panic on any input.
pub mod csv;

use wharf_plugin_sdk::{Batch, BatchBuilder};

/// A document that is not tabular (partner XML, JSON, text) handed to a mapper whole: one
/// row with columns `name` and `content`.
pub fn document_batch(name: &str, content: &str) -> Batch {
    let mut builder = BatchBuilder::new(["name", "content"]);
    builder.push_row(&[name.into(), content.into()]);
    builder.finish()
}
