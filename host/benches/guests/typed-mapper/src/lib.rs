//! The customer plugin's mapping over typed WIT rows, so the benchmark can weigh that encoding
//! against Wharf's compact rows with the same mapping code on both.

use customer_csv_mapper::{Settings, Source, map_customer};
use exports::wharf_bench::typed_rows::mapper::{Batch, Guest, Mapped, RowError, Value};
use wharf_plugin_sdk::ValueRef;

wit_bindgen::generate!({ path: "../../typed-rows.wit", world: "typed-mapper" });

struct TypedMapper;

struct TypedRow<'a> {
    columns: &'a [String],
    values: &'a [Value],
    index: u32,
}

impl<'a> Source<'a> for TypedRow<'a> {
    fn text(&self, name: &str) -> Result<&'a str, wharf_plugin_sdk::RowError> {
        let column = self.columns.iter().position(|column| column == name);
        match column.and_then(|column| self.values.get(column)) {
            None => Err(self.error(name, "the column is missing".into())),
            Some(Value::Null) => Ok(""),
            Some(Value::String(text) | Value::Decimal(text) | Value::Date(text) | Value::Datetime(text)) => Ok(text),
            Some(_) => Err(self.error(name, "expected text".into())),
        }
    }

    fn error(&self, field: &str, message: String) -> wharf_plugin_sdk::RowError {
        wharf_plugin_sdk::RowError::new(self.index, message).field(field)
    }
}

fn value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::String(text) => Value::String(text.into()),
        ValueRef::Integer(number) => Value::Integer(number),
        ValueRef::Decimal(text) => Value::Decimal(text.into()),
        ValueRef::Float(number) => Value::Float(number),
        ValueRef::Boolean(flag) => Value::Boolean(flag),
        ValueRef::Date(text) => Value::Date(text.into()),
        ValueRef::DateTime(text) => Value::Datetime(text.into()),
    }
}

impl Guest for TypedMapper {
    fn map(input: Batch) -> Mapped {
        let settings = Settings { home_country: "USA".into(), account_prefix: "NW-".into() };
        let mut rows = Vec::with_capacity(input.rows.len());
        let (mut source_rows, mut errors) = (Vec::new(), Vec::new());
        let mut account = String::new();
        for (index, values) in input.rows.iter().enumerate() {
            let row = TypedRow { columns: &input.columns, values, index: index as u32 };
            match map_customer(&settings, &row, &mut account) {
                Ok(customer) => {
                    rows.push(customer.values(&account).into_iter().map(value).collect());
                    source_rows.push(index as u32);
                }
                Err(error) => errors.push(RowError { row: error.row, field: error.field, message: error.message }),
            }
        }
        let columns = customer_csv_mapper::CUSTOMER_FIELDS.iter().map(|field| field.to_string()).collect();
        Mapped { output: Batch { columns, rows }, source_rows, errors }
    }
}

export!(TypedMapper);
