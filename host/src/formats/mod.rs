//! Documents ⇄ row batches: readers and writers for every source format, and data packages.
//!
//! Pure: no IO beyond the reader or writer it is handed, nothing about wasm, no panic on any
//! input, and memory bounded by one batch (never by the size of the document).
pub mod csv;
pub mod excel;
pub mod fixed;
pub mod json;
pub mod package;
pub mod text;
pub mod xml;

use std::io::{Read, Seek, Write};

use anyhow::Result;
use wharf_plugin_sdk::{Batch, BatchBuilder};

/// The batches of one document, in order. Rows are numbered from 1 across batches, in the
/// order they come (a record, not a line: a quoted CSV field may span lines).
pub type Batches<'a> = Box<dyn Iterator<Item = Result<Batch>> + Send + 'a>;

/// An input a reader can seek in: the xlsx reader needs it (a zip's directory is at its end).
pub trait Source: Read + Seek + Send {}

impl<T: Read + Seek + Send> Source for T {}

/// Writes rows into an output document, a batch at a time.
pub trait RowWriter: Send {
    /// Appends the rows of `batch`. Its columns are the ones the writer was created with, in
    /// that order.
    fn write_batch(&mut self, batch: &Batch) -> Result<()>;

    /// Completes the document (closing elements, a workbook's directory) and flushes it.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// An output a writer can seek in: the xlsx writer needs it.
pub trait Sink: Write + Seek + Send {}

impl<T: Write + Seek + Send> Sink for T {}

/// A document that is not tabular (partner XML, JSON, text) handed to a mapper whole: one
/// row with columns `name` and `content`.
pub fn document_batch(name: &str, content: &str) -> Batch {
    let mut builder = BatchBuilder::new(["name", "content"]);
    builder.push_row(&[name.into(), content.into()]);
    builder.finish()
}
