//! Conversions between the generated WIT types and Wharf's own, so WIT types stay in
//! `plugin`.

use wharf_plugin_sdk::{Context, Document, Value};

use super::bindings::types as wit;
use super::entities::Fields;

pub(super) fn context(ctx: &Context) -> wit::CallContext {
    wit::CallContext {
        entity: ctx.entity.clone(),
        company: ctx.company.clone(),
        job: ctx.job.clone(),
        message: ctx.message.clone(),
        correlation_id: ctx.correlation_id.clone(),
    }
}

pub(super) fn document_in(document: Document) -> wit::Document {
    wit::Document { format: document.format, name: document.name, content: document.content }
}

pub(super) fn document_out(document: wit::Document) -> Document {
    Document { format: document.format, name: document.name, content: document.content }
}

pub(super) fn value_out(value: Value) -> wit::Value {
    match value {
        Value::Null => wit::Value::Null,
        Value::String(text) => wit::Value::String(text),
        Value::Integer(number) => wit::Value::Integer(number),
        Value::Decimal(text) => wit::Value::Decimal(text),
        Value::Float(number) => wit::Value::Float(number),
        Value::Boolean(flag) => wit::Value::Boolean(flag),
        Value::Date(text) => wit::Value::Date(text),
        Value::DateTime(text) => wit::Value::Datetime(text),
    }
}

pub(super) fn value_in(value: wit::Value) -> Value {
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

pub(super) fn fields_in(fields: Vec<wit::Field>) -> Fields {
    fields.into_iter().map(|field| (field.name, value_in(field.value))).collect()
}

pub(super) fn fields_out(fields: Fields) -> Vec<wit::Field> {
    fields.into_iter().map(|(name, value)| wit::Field { name, value: value_out(value) }).collect()
}
