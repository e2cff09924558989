//! Conversions between the generated WIT types and the SDK's own.

use crate::bindings::wharf::plugin::types as wit;
use crate::{Batch, Context, Document, PluginError, RowError, Value, ValueRef};

impl From<wit::CallContext> for Context {
    fn from(ctx: wit::CallContext) -> Self {
        Context {
            entity: ctx.entity,
            company: ctx.company,
            job: ctx.job,
            message: ctx.message,
            correlation_id: ctx.correlation_id,
        }
    }
}

impl From<PluginError> for wit::PluginError {
    fn from(error: PluginError) -> Self {
        wit::PluginError { message: error.message }
    }
}

impl From<RowError> for wit::RowError {
    fn from(error: RowError) -> Self {
        wit::RowError { row: error.row, field: error.field, message: error.message }
    }
}

impl From<wit::Document> for Document {
    fn from(document: wit::Document) -> Self {
        Document { format: document.format, name: document.name, content: document.content }
    }
}

impl From<Document> for wit::Document {
    fn from(document: Document) -> Self {
        wit::Document { format: document.format, name: document.name, content: document.content }
    }
}

impl From<Batch> for wit::RowBatch {
    fn from(batch: Batch) -> Self {
        let (columns, rows) = batch.into_parts();
        wit::RowBatch { columns, rows }
    }
}

/// The host builds every batch it sends; one it cannot read is a host bug, reported as such.
pub(crate) fn batch(input: wit::RowBatch) -> Result<Batch, wit::PluginError> {
    Batch::from_host_parts(input.columns, input.rows)
        .map_err(|error| wit::PluginError { message: format!("input batch: {error}") })
}

impl From<ValueRef<'_>> for wit::Value {
    fn from(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => wit::Value::Null,
            ValueRef::String(text) => wit::Value::String(text.into()),
            ValueRef::Integer(number) => wit::Value::Integer(number),
            ValueRef::Decimal(text) => wit::Value::Decimal(text.into()),
            ValueRef::Float(number) => wit::Value::Float(number),
            ValueRef::Boolean(flag) => wit::Value::Boolean(flag),
            ValueRef::Date(text) => wit::Value::Date(text.into()),
            ValueRef::DateTime(text) => wit::Value::Datetime(text.into()),
        }
    }
}

impl From<wit::Value> for Value {
    fn from(value: wit::Value) -> Self {
        match value {
            wit::Value::Null => Value::Null,
            wit::Value::String(text) => Value::String(text),
            wit::Value::Integer(number) => Value::Integer(number),
            wit::Value::Decimal(text) => Value::Decimal(text),
            wit::Value::Float(number) => Value::Float(number),
            wit::Value::Boolean(flag) => Value::Boolean(flag),
            wit::Value::Date(text) => Value::Date(text),
            wit::Value::Datetime(text) => Value::DateTime(text),
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "host calls exist only in wasm"))]
pub(crate) fn fields(fields: &[(&str, ValueRef<'_>)]) -> Vec<wit::Field> {
    fields.iter().map(|(name, value)| wit::Field { name: (*name).into(), value: (*value).into() }).collect()
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "host calls exist only in wasm"))]
pub(crate) fn record(fields: Vec<wit::Field>) -> crate::Record {
    crate::Record::new(fields.into_iter().map(|field| (field.name, field.value.into())).collect())
}
