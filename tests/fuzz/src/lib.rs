//! What the format targets share: a document read to its end as rows that can be compared
//! across batch sizes and across a write and a second read, and the option bits a fuzz input
//! starts with.
//!
//! A reader's batches depend on its batch size; what a document *yields* does not: the same
//! rows in the same order, then the same error or none. Rows are compared as their non-null fields, sorted, because the JSON and XML
//! readers give each batch the columns its own records have, in order of first appearance.

use anyhow::Result;
use wharf::formats::Batches;
use wharf_plugin_sdk::{Batch, ValueRef};

/// One row as its fields, `(column, value)` sorted, nulls left out. Values keep their type in
/// their `Debug` form: `String("1")` and `Integer(1)` differ.
pub type Fields = Vec<(String, String)>;

/// A document as a reader yielded it: its batches, its rows, and the error it ended with.
#[derive(Debug, Default)]
pub struct Document {
    /// The batches, in order.
    pub batches: Vec<Batch>,
    /// Every row of every batch, in order.
    pub rows: Vec<Fields>,
    /// The error that ended the document (`{:#}`, with its causes), if one did.
    pub error: Option<String>,
}

/// How nulls count when rows are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// A null is no field at all (JSON, XML: a missing field and a null one read the same).
    Absent,
    /// A null is the empty string (CSV, whose writer writes a null as an empty field).
    Empty,
}

/// Reads `batches` to their end, or to their first error, and checks that an error ends them:
/// a reader that yields rows after a failure would import a document that did not parse.
pub fn read_all(batches: Result<Batches<'_>>, nulls: Nulls) -> Document {
    let mut document = Document::default();
    let mut batches = match batches {
        Ok(batches) => batches,
        Err(error) => {
            document.error = Some(format!("{error:#}"));
            return document;
        }
    };
    for batch in batches.by_ref() {
        match batch {
            Ok(batch) => {
                assert!(!batch.is_empty(), "a reader yielded an empty batch");
                document.rows.extend(fields(&batch, nulls));
                document.batches.push(batch);
            }
            Err(error) => {
                document.error = Some(format!("{error:#}"));
                break;
            }
        }
    }
    if document.error.is_some() {
        assert!(batches.next().is_none(), "a reader yielded more after an error");
    }
    document
}

/// The rows of `batch` as [`Fields`].
pub fn fields(batch: &Batch, nulls: Nulls) -> Vec<Fields> {
    batch
        .rows()
        .map(|row| {
            let mut fields: Fields = batch
                .columns()
                .iter()
                .enumerate()
                .filter_map(|(index, column)| {
                    let value = match (row.value(index), nulls) {
                        (ValueRef::Null, Nulls::Absent) => return None,
                        (ValueRef::Null, Nulls::Empty) => ValueRef::String(""),
                        (value, _) => value,
                    };
                    Some((column.clone(), format!("{value:?}")))
                })
                .collect();
            fields.sort();
            fields
        })
        .collect()
}

/// Checks that reading with one row per batch yields what reading with `batch_size` did: the
/// same error, and the same rows if the document read to its end. With `rows_before_error`,
/// the rows before an error must match too (the text formats hand them over before the error;
/// the XML reader drops the batch it was filling, which the pipeline would discard anyway).
pub fn assert_same_document(one_per_batch: &Document, batched: &Document, batch_size: usize, rows_before_error: bool) {
    assert_eq!(one_per_batch.error, batched.error, "errors differ between batches of 1 and of {batch_size}");
    if batched.error.is_none() || rows_before_error {
        assert_eq!(one_per_batch.rows, batched.rows, "rows differ between batches of 1 and of {batch_size}");
    }
}

/// The fuzz input of a format target: an options byte, then the document. An empty input is
/// the document `""` with every option bit clear.
pub fn split_options(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((options, document)) => (*options, document),
        None => (0, data),
    }
}
