//! Cells in and out of SQLite: binding row values as parameters without copying them, reading
//! stored values back typed by their field, and checking values plugins hand in.

use anyhow::{Result, bail};
use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef as SqlValueRef};
use wharf_plugin_sdk::{Value, ValueRef};

use crate::entity::convert::{ParseOptions, parse_value};
use crate::entity::{COMPANY_FIELD, Entity, Field, FieldType};

/// A cell bound as a statement parameter. Text is borrowed from the batch, so binding a row
/// allocates nothing.
pub(super) struct Parameter<'a>(pub(super) ValueRef<'a>);

impl ToSql for Parameter<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            ValueRef::Null => SqlValueRef::Null,
            ValueRef::String(text) | ValueRef::Decimal(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => {
                SqlValueRef::Text(text.as_bytes())
            }
            ValueRef::Integer(number) => SqlValueRef::Integer(number),
            ValueRef::Boolean(flag) => SqlValueRef::Integer(i64::from(flag)),
            ValueRef::Float(number) => SqlValueRef::Real(number),
        }))
    }
}

/// Whether a converted cell has the variant the converter gives `field_type`, so that it
/// reads back as the same value. Null is checked separately (key fields must have a value).
pub(super) fn converted_cell_fits(field_type: &FieldType, value: ValueRef<'_>) -> bool {
    matches!(
        (field_type, value),
        (_, ValueRef::Null)
            | (FieldType::String { .. } | FieldType::Enum { .. } | FieldType::Guid, ValueRef::String(_))
            | (FieldType::Integer, ValueRef::Integer(_))
            | (FieldType::Decimal { .. }, ValueRef::Decimal(_))
            | (FieldType::Boolean, ValueRef::Boolean(_))
            | (FieldType::Date, ValueRef::Date(_))
            | (FieldType::DateTime, ValueRef::DateTime(_))
    )
}

/// A stored value read back as the value of `field`: integers and booleans from integers,
/// every other type from text. Anything else means the file was changed outside Wharf.
pub(super) fn stored_value<'a>(field: &Field, stored: SqlValueRef<'a>) -> Result<ValueRef<'a>> {
    let found = match stored {
        SqlValueRef::Null => return Ok(ValueRef::Null),
        SqlValueRef::Integer(number) => match field.field_type {
            FieldType::Integer => return Ok(ValueRef::Integer(number)),
            FieldType::Boolean => return Ok(ValueRef::Boolean(number != 0)),
            _ => "an integer",
        },
        SqlValueRef::Text(bytes) => {
            let Ok(text) = std::str::from_utf8(bytes) else {
                bail!("field {} holds text that is not UTF-8", field.name);
            };
            match field.field_type {
                FieldType::String { .. } | FieldType::Enum { .. } | FieldType::Guid => {
                    return Ok(ValueRef::String(text));
                }
                FieldType::Decimal { .. } => return Ok(ValueRef::Decimal(text)),
                FieldType::Date => return Ok(ValueRef::Date(text)),
                FieldType::DateTime => return Ok(ValueRef::DateTime(text)),
                FieldType::Integer | FieldType::Boolean => "text",
            }
        }
        SqlValueRef::Real(_) => "a floating-point number",
        SqlValueRef::Blob(_) => "a blob",
    };
    bail!("field {} ({}) holds {found}; was the store changed outside Wharf?", field.name, field.field_type.name())
}

/// Checks a value a plugin gives for `field` and returns it as the store keeps it.
///
/// Integer and boolean fields take only integers and booleans. Text-stored fields take a
/// string or their own variant (a decimal, a date, a date-time; a decimal field also takes an
/// integer), checked and normalised as if read from a document: lengths, scales, enum names,
/// GUID spelling. Companies are kept lowercase, as the converter keeps them.
pub(super) fn plugin_value(field: &Field, value: &Value) -> Result<Value> {
    let text = match (&field.field_type, value) {
        (_, Value::Null) => return Ok(Value::Null),
        (FieldType::Integer, Value::Integer(_)) | (FieldType::Boolean, Value::Boolean(_)) => {
            return Ok(value.clone());
        }
        (FieldType::Decimal { .. }, Value::Integer(number)) => number.to_string(),
        (FieldType::Decimal { .. }, Value::Decimal(text))
        | (FieldType::Date, Value::Date(text))
        | (FieldType::DateTime, Value::DateTime(text))
        | (
            FieldType::String { .. }
            | FieldType::Enum { .. }
            | FieldType::Guid
            | FieldType::Decimal { .. }
            | FieldType::Date
            | FieldType::DateTime,
            Value::String(text),
        ) => text.clone(),
        (field_type, value) => {
            bail!("field {}: a {} value where a {} belongs", field.name, value.as_ref().type_name(), field_type.name())
        }
    };
    let text = if field.name == COMPANY_FIELD { text.to_ascii_lowercase() } else { text };
    match parse_value(field, &text, &ParseOptions::default()) {
        Ok(parsed) => Ok(parsed),
        Err(message) => bail!("field {}: {message}", field.name),
    }
}

/// Refuses the value of `field` (at `column` of `entity`) in record `record` of a batch when it
/// is not what the entity converter makes of that field, or when a key field has none.
pub(super) fn check_cell(entity: &Entity, record: usize, column: usize, value: ValueRef<'_>) -> Result<()> {
    let Some(field) = entity.fields.get(column) else {
        bail!("record {record} of {} has too many fields", entity.name)
    };
    if !converted_cell_fits(&field.field_type, value) {
        bail!(
            "record {record} of {}: field {} ({}) has a {} value",
            entity.name,
            field.name,
            field.field_type.name(),
            value.type_name()
        );
    }
    if value == ValueRef::Null && entity.key.contains(&column) {
        bail!("record {record} of {}: key field {} has no value", entity.name, field.name);
    }
    Ok(())
}

/// Refuses `rows` unless their columns are exactly the entity's fields, in order.
pub(super) fn check_columns(entity: &Entity, rows: &wharf_plugin_sdk::Batch) -> Result<()> {
    let columns_match = rows.columns().len() == entity.fields.len()
        && rows.columns().iter().zip(&entity.fields).all(|(column, field)| *column == field.name);
    if !columns_match {
        bail!(
            "a batch for {} has columns ({}), not the entity's fields ({})",
            entity.name,
            rows.columns().join(", "),
            entity.fields.iter().map(|field| field.name.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

/// The collation decimal fields compare and sort by on SQLite, where they are stored as text.
pub(super) const DECIMAL_COLLATION: &str = "wharf_decimal";

/// Orders two decimal texts by the numbers they write, exactly and whatever their length:
/// `CAST(… AS REAL)` keeps about 15 significant digits, so 28-digit amounts that differ in
/// their last digits compared equal. `1.50` equals `1.5` and `-0` equals `0`. Text that is not
/// a decimal (`[+-]digits[.digits]`) sorts after every decimal, by its bytes, so the order
/// stays total whatever a column holds.
pub(super) fn compare_decimals(left: &str, right: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (Decimal::parse(left), Decimal::parse(right)) {
        (Some(left), Some(right)) => left.cmp(&right),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => left.as_bytes().cmp(right.as_bytes()),
    }
}

/// A decimal text split into what its order depends on, borrowing the digits.
#[derive(Debug, PartialEq, Eq)]
struct Decimal<'a> {
    negative: bool,
    /// The whole part without leading zeros (empty for zero).
    whole: &'a [u8],
    /// The fraction without trailing zeros (empty when whole).
    fraction: &'a [u8],
}

impl<'a> Decimal<'a> {
    fn parse(text: &'a str) -> Option<Decimal<'a>> {
        let (negative, digits) = match text.as_bytes() {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            all => (false, all),
        };
        let (whole, fraction) = match digits.iter().position(|&byte| byte == b'.') {
            Some(dot) => (&digits[..dot], &digits[dot + 1..]),
            None => (digits, &digits[digits.len()..]),
        };
        let all_digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
        if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let whole = &whole[whole.iter().position(|&byte| byte != b'0').unwrap_or(whole.len())..];
        let fraction = &fraction[..fraction.iter().rposition(|&byte| byte != b'0').map_or(0, |last| last + 1)];
        let zero = whole.is_empty() && fraction.is_empty();
        Some(Decimal { negative: negative && !zero, whole, fraction })
    }

    /// The order of the numbers' sizes, sign aside.
    fn cmp_magnitude(&self, other: &Decimal<'_>) -> std::cmp::Ordering {
        self.whole
            .len()
            .cmp(&other.whole.len())
            .then_with(|| self.whole.cmp(other.whole))
            .then_with(|| self.fraction.cmp(other.fraction))
    }
}

impl Ord for Decimal<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self.negative, other.negative) {
            (false, true) => std::cmp::Ordering::Greater,
            (true, false) => std::cmp::Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::{Equal, Greater, Less};

    use super::compare_decimals;

    #[test]
    fn decimals_compare_as_the_numbers_they_write_at_any_length() {
        for (left, right, order) in [
            ("1234567890123456789012345678.1", "1234567890123456789012345678.2", Less),
            ("9999999999999999999999999999", "10000000000000000000000000000", Less),
            ("0.0000000000000000000000000001", "0", Greater),
            ("-0.0000000000000000000000000001", "0", Less),
            ("1.50", "1.5", Equal),
            ("-0", "0", Equal),
            ("+7", "007.000", Equal),
            ("-2", "-10", Greater),
            ("-1.25", "-1.3", Greater),
            ("0.05", "0.5", Less),
            (".5", "0.5", Equal),
            ("100", "99.999", Greater),
            ("12", "abc", Less),
            ("abc", "abd", Less),
            ("", "0", Greater),
            ("-", "0", Greater),
            ("1.2.3", "1", Greater),
        ] {
            assert_eq!(compare_decimals(left, right), order, "{left} against {right}");
            assert_eq!(compare_decimals(right, left), order.reverse(), "{right} against {left}");
        }
    }
}
