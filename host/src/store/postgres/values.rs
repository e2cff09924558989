//! Cells in and out of PostgreSQL: the column type each field type is stored as, binding a
//! cell as a statement parameter (alone or in an array), and reading a column back as its
//! field's value.
//!
//! Column types, chosen so that every value reads back exactly as it was written:
//! - `integer` fields are `bigint`, `boolean` fields `boolean`;
//! - `decimal` fields are `numeric`: exact, comparable and indexable as numbers. `numeric`
//!   keeps the scale it was given, so `1.50` reads back as `1.50` (read it as `::text`,
//!   [`select_expression`], to get those digits: the driver has no exact decimal type);
//! - every other type is `text`: strings, enum names and GUIDs are text anyway, and dates and
//!   date-times keep their ISO 8601 text, which reads back byte for byte and sorts
//!   chronologically, as on SQLite.

use std::error::Error;

use anyhow::{Result, bail};
use bytes::{BufMut as _, BytesMut};
use tokio_postgres::Row;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use wharf_plugin_sdk::ValueRef;

use crate::entity::{Field, FieldType};
use crate::store::schema::quote;

/// The SQL type of the column that stores a field of `field_type`.
pub(super) fn sql_type(field_type: &FieldType) -> &'static str {
    match field_type {
        FieldType::Integer => "bigint",
        FieldType::Boolean => "boolean",
        FieldType::Decimal { .. } => "numeric",
        FieldType::String { .. } | FieldType::Date | FieldType::DateTime | FieldType::Enum { .. } | FieldType::Guid => {
            "text"
        }
    }
}

/// The driver's type of the column that stores a field of `field_type`, for statements that
/// name their parameters' types rather than let PostgreSQL infer them (`query_typed`).
pub(super) fn column_type(field_type: &FieldType) -> Type {
    match field_type {
        FieldType::Integer => Type::INT8,
        FieldType::Boolean => Type::BOOL,
        FieldType::Decimal { .. } => Type::NUMERIC,
        FieldType::String { .. } | FieldType::Date | FieldType::DateTime | FieldType::Enum { .. } | FieldType::Guid => {
            Type::TEXT
        }
    }
}

/// The select-list expression that reads `field`'s column so that [`stored_value`] can take
/// it: the quoted column, and for decimals its text (`"Amount"::text`), which has exactly the
/// digits the value was written with. The result column keeps the field's name.
pub(super) fn select_expression(field: &Field) -> String {
    match field.field_type {
        FieldType::Decimal { .. } => format!("{column}::text AS {column}", column = quote(&field.name)),
        _ => quote(&field.name),
    }
}

/// The select-list expressions of every field of `fields`, comma-separated, in order.
pub(super) fn select_list<'f>(fields: impl IntoIterator<Item = &'f Field>) -> String {
    fields.into_iter().map(select_expression).collect::<Vec<_>>().join(", ")
}

/// A cell bound as a statement parameter, or as an element of an array parameter (a
/// `Vec<Parameter>` binds to `text[]`, `numeric[]`, …). Text is borrowed from the batch, so
/// binding a row copies nothing before the driver encodes it.
///
/// It binds to the type PostgreSQL expects for the parameter: an integer to `bigint` (or a
/// smaller integer it fits), a boolean to `boolean`, a decimal to `numeric` (encoded exactly
/// from its text, so `"Amount" = $1` compares numbers and can use an index) or to `text`,
/// and text, dates and date-times to `text`. Null binds to anything. Any other pairing
/// fails the statement with an error that names both.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parameter<'a>(pub(super) ValueRef<'a>);

impl ToSql for Parameter<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        let text = |text: &str, out: &mut BytesMut| {
            if <&str as ToSql>::accepts(ty) { text.to_sql(ty, out) } else { Err(mismatch(self.0, ty)) }
        };
        match self.0 {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Integer(number) => {
                if *ty == Type::INT8 {
                    number.to_sql(ty, out)
                } else if *ty == Type::INT4 {
                    i32::try_from(number)?.to_sql(ty, out)
                } else if *ty == Type::INT2 {
                    i16::try_from(number)?.to_sql(ty, out)
                } else if *ty == Type::NUMERIC {
                    write_numeric(&number.to_string(), out)?;
                    Ok(IsNull::No)
                } else {
                    Err(mismatch(self.0, ty))
                }
            }
            ValueRef::Boolean(flag) if *ty == Type::BOOL => flag.to_sql(ty, out),
            ValueRef::Float(number) if *ty == Type::FLOAT8 => number.to_sql(ty, out),
            ValueRef::Decimal(digits) if *ty == Type::NUMERIC => {
                write_numeric(digits, out)?;
                Ok(IsNull::No)
            }
            ValueRef::String(value) | ValueRef::Decimal(value) | ValueRef::Date(value) | ValueRef::DateTime(value) => {
                text(value, out)
            }
            ValueRef::Boolean(_) | ValueRef::Float(_) => Err(mismatch(self.0, ty)),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT8, Type::INT4, Type::INT2, Type::BOOL, Type::FLOAT8, Type::NUMERIC].contains(ty)
            || <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

fn mismatch(value: ValueRef<'_>, ty: &Type) -> Box<dyn Error + Sync + Send> {
    format!("a {} value cannot be bound as {ty}", value.type_name()).into()
}

/// Whether `text` is a decimal PostgreSQL's `numeric` takes as it is: an optional `-`,
/// digits, and optionally `.` and more digits (what the entity converter produces).
pub(super) fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// Sign flags of the binary `numeric` format.
const NUMERIC_POSITIVE: u16 = 0x0000;
const NUMERIC_NEGATIVE: u16 = 0x4000;

/// Writes decimal `text` in the binary form of `numeric`: base-10,000 digit groups around the
/// decimal point, the weight of the first group, the sign, and the display scale (the number
/// of digits after the point as written, so `1.50` stays `1.50`).
fn write_numeric(text: &str, out: &mut BytesMut) -> Result<(), Box<dyn Error + Sync + Send>> {
    if !is_decimal(text) {
        return Err(format!("{text:?} is not a decimal number").into());
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(unsigned) => (true, unsigned),
        None => (false, text),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let whole = whole.trim_start_matches('0');
    // The whole part padded on the left and the fraction on the right to groups of four.
    let whole_groups = whole.len().div_ceil(4);
    let fraction_groups = fraction.len().div_ceil(4);
    let padding = whole_groups * 4 - whole.len();
    let digits: Vec<u8> = std::iter::repeat_n(b'0', padding)
        .chain(whole.bytes())
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', fraction_groups * 4 - fraction.len()))
        .collect();
    let groups: Vec<i16> = digits
        .chunks(4)
        .map(|chunk| chunk.iter().fold(0i16, |group, digit| group * 10 + i16::from(digit - b'0')))
        .collect();
    let scale = u16::try_from(fraction.len()).ok().filter(|scale| *scale <= 0x3FFF);
    let Some(scale) = scale else {
        return Err(format!("{text:?} has more decimals than PostgreSQL keeps").into());
    };
    let weight = i32::try_from(whole_groups).map_err(|_| "too many digits")? - 1;
    // Leading and trailing zero groups carry nothing: the weight and the scale place the rest.
    let first = groups.iter().position(|group| *group != 0);
    let last = groups.iter().rposition(|group| *group != 0);
    let (groups, weight, sign) = match (first, last) {
        (Some(first), Some(last)) => (
            groups.get(first..=last).unwrap_or_default(),
            weight - i32::try_from(first).map_err(|_| "too many digits")?,
            if negative { NUMERIC_NEGATIVE } else { NUMERIC_POSITIVE },
        ),
        // Zero has no digit groups and no sign.
        _ => (&[][..], 0, NUMERIC_POSITIVE),
    };
    let count = i16::try_from(groups.len()).map_err(|_| format!("{text:?} has more digits than PostgreSQL keeps"))?;
    let weight = i16::try_from(weight).map_err(|_| format!("{text:?} is too large for PostgreSQL"))?;
    out.put_i16(count);
    out.put_i16(weight);
    out.put_u16(sign);
    out.put_u16(scale);
    for group in groups {
        out.put_i16(*group);
    }
    Ok(())
}

/// Column `column` of `row` read back as the value of `field`: integers from `bigint`,
/// booleans from `boolean`, and every other type from text (decimals as their text, selected
/// with [`select_expression`]). Anything else means the table was changed outside Wharf.
pub(super) fn stored_value<'r>(field: &Field, row: &'r Row, column: usize) -> Result<ValueRef<'r>> {
    let read = match field.field_type {
        FieldType::Integer => row.try_get::<_, Option<i64>>(column).map(|value| value.map(ValueRef::Integer)),
        FieldType::Boolean => row.try_get::<_, Option<bool>>(column).map(|value| value.map(ValueRef::Boolean)),
        FieldType::Decimal { .. } => row.try_get::<_, Option<&str>>(column).map(|value| value.map(ValueRef::Decimal)),
        FieldType::Date => row.try_get::<_, Option<&str>>(column).map(|value| value.map(ValueRef::Date)),
        FieldType::DateTime => row.try_get::<_, Option<&str>>(column).map(|value| value.map(ValueRef::DateTime)),
        FieldType::String { .. } | FieldType::Enum { .. } | FieldType::Guid => {
            row.try_get::<_, Option<&str>>(column).map(|value| value.map(ValueRef::String))
        }
    };
    match read {
        Ok(value) => Ok(value.unwrap_or(ValueRef::Null)),
        Err(error) => bail!(
            "field {} ({}) cannot be read: {error}; was the store changed outside Wharf?",
            field.name,
            field.field_type.name()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(text: &str) -> Vec<u8> {
        let mut out = BytesMut::new();
        write_numeric(text, &mut out).expect("a decimal");
        out.to_vec()
    }

    fn words(words: &[u16]) -> Vec<u8> {
        words.iter().flat_map(|word| word.to_be_bytes()).collect()
    }

    #[test]
    fn decimals_encode_as_base_10000_groups_with_their_written_scale() {
        // ndigits, weight, sign, dscale, digits…
        assert_eq!(numeric("1.50"), words(&[2, 0, 0, 2, 1, 5000]));
        assert_eq!(numeric("-12345.6"), words(&[3, 1, 0x4000, 1, 1, 2345, 6000]));
        assert_eq!(numeric("0.000"), words(&[0, 0, 0, 3]));
        assert_eq!(numeric("-0"), words(&[0, 0, 0, 0]));
        assert_eq!(numeric("0.00012"), words(&[2, 0xFFFF, 0, 5, 1, 2000]));
        assert_eq!(numeric("10000"), words(&[1, 1, 0, 0, 1]));
        assert_eq!(numeric("007"), words(&[1, 0, 0, 0, 7]));
    }

    #[test]
    fn text_that_is_not_a_decimal_is_refused() {
        for text in ["", "-", "1.", ".5", "1e5", "1,5", "+1", "١٢"] {
            assert!(!is_decimal(text), "{text:?}");
            assert!(write_numeric(text, &mut BytesMut::new()).is_err(), "{text:?}");
        }
    }
}
