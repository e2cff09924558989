//! Cell values, owned (`Value`) and borrowed from a batch (`ValueRef`).

use std::fmt;

/// One cell of a row, owned.
///
/// Decimals keep their text so no precision is lost; dates are ISO 8601 (`2026-11-21`) and
/// date-times RFC 3339 in UTC.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Text.
    String(String),
    /// A whole number.
    Integer(i64),
    /// An exact decimal number as text.
    Decimal(String),
    /// A binary floating-point number.
    Float(f64),
    /// True or false.
    Boolean(bool),
    /// A calendar date, `YYYY-MM-DD`.
    Date(String),
    /// A point in time, RFC 3339 in UTC.
    DateTime(String),
}

/// One cell of a row, borrowed from the batch it lives in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// No value.
    Null,
    /// Text.
    String(&'a str),
    /// A whole number.
    Integer(i64),
    /// An exact decimal number as text.
    Decimal(&'a str),
    /// A binary floating-point number.
    Float(f64),
    /// True or false.
    Boolean(bool),
    /// A calendar date, `YYYY-MM-DD`.
    Date(&'a str),
    /// A point in time, RFC 3339 in UTC.
    DateTime(&'a str),
}

impl Value {
    /// Borrows this value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::String(text) => ValueRef::String(text),
            Value::Integer(number) => ValueRef::Integer(*number),
            Value::Decimal(text) => ValueRef::Decimal(text),
            Value::Float(number) => ValueRef::Float(*number),
            Value::Boolean(flag) => ValueRef::Boolean(*flag),
            Value::Date(text) => ValueRef::Date(text),
            Value::DateTime(text) => ValueRef::DateTime(text),
        }
    }

    /// The text of a string, decimal, date or date-time value.
    pub fn as_str(&self) -> Option<&str> {
        self.as_ref().as_str()
    }
}

impl<'a> ValueRef<'a> {
    /// Copies this value out of its batch.
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::String(text) => Value::String(text.to_owned()),
            ValueRef::Integer(number) => Value::Integer(number),
            ValueRef::Decimal(text) => Value::Decimal(text.to_owned()),
            ValueRef::Float(number) => Value::Float(number),
            ValueRef::Boolean(flag) => Value::Boolean(flag),
            ValueRef::Date(text) => Value::Date(text.to_owned()),
            ValueRef::DateTime(text) => Value::DateTime(text.to_owned()),
        }
    }

    /// The text of a string, decimal, date or date-time value.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            ValueRef::String(text) | ValueRef::Decimal(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => {
                Some(text)
            }
            _ => None,
        }
    }

    /// Whether this is `Null`.
    pub fn is_null(self) -> bool {
        matches!(self, ValueRef::Null)
    }

    /// The name of this value's type, for error messages.
    pub fn type_name(self) -> &'static str {
        match self {
            ValueRef::Null => "null",
            ValueRef::String(_) => "string",
            ValueRef::Integer(_) => "integer",
            ValueRef::Decimal(_) => "decimal",
            ValueRef::Float(_) => "float",
            ValueRef::Boolean(_) => "boolean",
            ValueRef::Date(_) => "date",
            ValueRef::DateTime(_) => "datetime",
        }
    }
}

impl<'a> From<&'a str> for ValueRef<'a> {
    fn from(text: &'a str) -> Self {
        ValueRef::String(text)
    }
}

impl<'a> From<&'a String> for ValueRef<'a> {
    fn from(text: &'a String) -> Self {
        ValueRef::String(text)
    }
}

impl From<i64> for ValueRef<'_> {
    fn from(number: i64) -> Self {
        ValueRef::Integer(number)
    }
}

impl From<bool> for ValueRef<'_> {
    fn from(flag: bool) -> Self {
        ValueRef::Boolean(flag)
    }
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(value: &'a Value) -> Self {
        value.as_ref()
    }
}

impl<'a, T: Into<ValueRef<'a>>> From<Option<T>> for ValueRef<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(ValueRef::Null, Into::into)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::String(text)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Self {
        Value::Integer(number)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Value::Boolean(flag)
    }
}

impl fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueRef::Null => Ok(()),
            ValueRef::String(text) | ValueRef::Decimal(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => {
                f.write_str(text)
            }
            ValueRef::Integer(number) => write!(f, "{number}"),
            ValueRef::Float(number) => write!(f, "{number}"),
            ValueRef::Boolean(flag) => write!(f, "{flag}"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}
