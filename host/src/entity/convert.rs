//! Type conversion and validation: source cells (text from CSV and XML, typed from JSON and
//! Excel) become an entity's typed values, or row errors that say which field and why.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::Deserialize;
use wharf_plugin_sdk::{Batch, BatchBuilder, RowError, Value, ValueRef};

use super::{COMPANY_FIELD, Entity, Field, FieldType};

/// How text from a document is read as numbers and dates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParseOptions {
    /// Date formats tried after ISO 8601 (`2026-11-21`), in chrono's `strftime` syntax, e.g.
    /// `%m/%d/%Y` or `%d.%m.%Y`. For date-times, formats with a time part.
    pub date_formats: Vec<String>,
    /// The decimal separator, `.` or `,`.
    pub decimal_separator: char,
    /// When set, this digit-group separator is removed from numbers (`1,234.50`). When not
    /// set, a number containing one is rejected rather than guessed at.
    pub thousands_separator: Option<char>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { date_formats: Vec::new(), decimal_separator: '.', thousands_separator: None }
    }
}

/// A converted cell: borrowed from the source when it needed no change, else owned.
enum Cell<'a> {
    Borrowed(ValueRef<'a>),
    Owned(Value),
}

impl Cell<'_> {
    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Cell::Borrowed(value) => *value,
            Cell::Owned(value) => value.as_ref(),
        }
    }
}

/// Converts one source cell for `field`: `Ok(None)` when it has no value.
fn convert_cell<'a>(field: &Field, cell: ValueRef<'a>, options: &ParseOptions) -> Result<Option<Cell<'a>>, String> {
    let owned = |value: Result<Value, String>| value.map(|value| Some(Cell::Owned(value)));
    let text = match cell {
        ValueRef::Null => return Ok(None),
        ValueRef::String(text) | ValueRef::Decimal(text) => text,
        ValueRef::Integer(number) => {
            return match &field.field_type {
                FieldType::Integer => Ok(Some(Cell::Borrowed(cell))),
                FieldType::Boolean if number == 0 || number == 1 => Ok(Some(Cell::Owned(Value::Boolean(number == 1)))),
                _ => owned(parse_value(field, &number.to_string(), options)),
            };
        }
        ValueRef::Float(number) => return owned(parse_value(field, &number.to_string(), options)),
        ValueRef::Boolean(flag) => {
            return match &field.field_type {
                FieldType::Boolean => Ok(Some(Cell::Borrowed(cell))),
                _ => owned(parse_value(field, if flag { "Yes" } else { "No" }, options)),
            };
        }
        ValueRef::Date(text) | ValueRef::DateTime(text) => text,
    };
    if text.is_empty() && !matches!(field.field_type, FieldType::String { .. }) {
        return Ok(None);
    }
    // Strings, the common case, are checked and passed through without a copy.
    if let FieldType::String { max_length } = field.field_type {
        check_length(text, max_length)?;
        return Ok(Some(Cell::Borrowed(ValueRef::String(text))));
    }
    owned(parse_value(field, text, options))
}

fn check_length(text: &str, max_length: Option<u32>) -> Result<(), String> {
    match max_length {
        // Counting characters is only needed when the bytes might be too many.
        Some(max) if text.len() > max as usize && text.chars().count() > max as usize => {
            Err(format!("is {} characters long, at most {max} allowed", text.chars().count()))
        }
        _ => Ok(()),
    }
}

/// Parses text as a value of `field`'s type. The error says what was wrong, without the field.
pub fn parse_value(field: &Field, text: &str, options: &ParseOptions) -> Result<Value, String> {
    let trimmed = text.trim();
    match &field.field_type {
        FieldType::String { max_length } => {
            check_length(text, *max_length)?;
            Ok(Value::String(text.to_owned()))
        }
        FieldType::Integer => {
            let digits = number_text(trimmed, options)?;
            if digits.contains('.') {
                return Err(format!("{trimmed:?} is not a whole number"));
            }
            digits.parse::<i64>().map(Value::Integer).map_err(|_| format!("{trimmed:?} is not a whole number in range"))
        }
        FieldType::Decimal { scale } => {
            let digits = number_text(trimmed, options)?;
            let fraction = digits.split_once('.').map_or(0, |(_, fraction)| fraction.len());
            match scale {
                Some(scale) if fraction > *scale as usize => {
                    Err(format!("{trimmed:?} has {fraction} decimals, at most {scale} allowed"))
                }
                _ => Ok(Value::Decimal(digits.into_owned())),
            }
        }
        FieldType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" => Ok(Value::Boolean(true)),
            "no" | "false" | "0" => Ok(Value::Boolean(false)),
            _ => Err(format!("{trimmed:?} is not Yes/No, true/false or 1/0")),
        },
        FieldType::Date => parse_date(trimmed, options).map(|date| Value::Date(date.format("%Y-%m-%d").to_string())),
        FieldType::DateTime => parse_datetime(trimmed, options)
            .map(|moment| Value::DateTime(moment.to_rfc3339_opts(SecondsFormat::AutoSi, true))),
        FieldType::Enum { name, values } => values
            .iter()
            .find(|value| value.eq_ignore_ascii_case(trimmed))
            .map(|value| Value::String(value.clone()))
            .ok_or_else(|| format!("{trimmed:?} is not a {name} value ({})", values.join(", "))),
        FieldType::Guid => parse_guid(trimmed).map(Value::String),
    }
}

/// A number's text with the separators of `options` normalised to a plain `-123.45`.
fn number_text<'t>(text: &'t str, options: &ParseOptions) -> Result<Cow<'t, str>, String> {
    let plain = text.bytes().all(|byte| byte.is_ascii_digit() || byte == b'-' || byte == b'.');
    let normalised = if plain && options.decimal_separator == '.' {
        Cow::Borrowed(text)
    } else {
        let mut normalised = String::with_capacity(text.len());
        for c in text.chars() {
            if Some(c) == options.thousands_separator {
                continue;
            } else if c == options.decimal_separator {
                normalised.push('.');
            } else if c == '.' || c == ',' {
                return Err(format!("{text:?} has a digit-group separator {c:?}, which this project does not accept"));
            } else {
                normalised.push(c);
            }
        }
        Cow::Owned(normalised)
    };
    let unsigned = normalised.strip_prefix('-').or_else(|| normalised.strip_prefix('+')).unwrap_or(&normalised);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || (unsigned.contains('.') && fraction.is_empty()) {
        return Err(format!("{text:?} is not a number"));
    }
    Ok(match normalised.strip_prefix('+') {
        Some(rest) => Cow::Owned(rest.to_owned()),
        None => normalised,
    })
}

fn parse_date(text: &str, options: &ParseOptions) -> Result<NaiveDate, String> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date);
    }
    // A date-time at midnight, as D365 writes dates in JSON and XML.
    if let Ok(moment) = parse_datetime(text, &ParseOptions::default())
        && moment.time() == chrono::NaiveTime::MIN
    {
        return Ok(moment.date_naive());
    }
    options
        .date_formats
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .ok_or_else(|| expected_date(text, "date", options))
}

fn parse_datetime(text: &str, options: &ParseOptions) -> Result<DateTime<Utc>, String> {
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Ok(moment.with_timezone(&Utc));
    }
    // Without an offset, a time is taken to be UTC, as D365 stores it.
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .into_iter()
        .chain(options.date_formats.iter().map(String::as_str))
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok());
    if let Some(naive) = naive {
        return Ok(naive.and_utc());
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Ok(date.and_time(chrono::NaiveTime::MIN).and_utc()),
        Err(_) => Err(expected_date(text, "date-time", options)),
    }
}

fn expected_date(text: &str, what: &str, options: &ParseOptions) -> String {
    let mut formats = vec!["ISO 8601".to_owned()];
    formats.extend(options.date_formats.iter().cloned());
    format!("{text:?} is not a {what} ({})", formats.join(", "))
}

/// A GUID in any of its usual spellings, as lowercase hyphenated text.
fn parse_guid(text: &str) -> Result<String, String> {
    let bare = text.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')).unwrap_or(text);
    let groups: Vec<&str> = bare.split('-').collect();
    let hex = |part: &str| part.bytes().all(|byte| byte.is_ascii_hexdigit());
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    let valid = (lengths == [8, 4, 4, 4, 12] || lengths == [32]) && groups.iter().all(|group| hex(group));
    if !valid {
        return Err(format!("{text:?} is not a GUID"));
    }
    let digits: String = groups.concat().to_ascii_lowercase();
    Ok(format!("{}-{}-{}-{}-{}", &digits[..8], &digits[8..12], &digits[12..16], &digits[16..20], &digits[20..]))
}

/// Where an entity field's value comes from in a source batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSource {
    /// The source column, when the field is mapped.
    pub column: Option<String>,
    /// Source text → stored text, applied before conversion (D365's value conversions).
    pub values: HashMap<String, String>,
    /// The value used when the source has none (overrides the entity's default).
    pub default: Option<String>,
}

/// Turns source batches into an entity's typed rows: field map, value conversions,
/// defaults, type conversion and validation. Build one per entity and document.
#[derive(Debug, Clone)]
pub struct RowConverter {
    entity: Arc<Entity>,
    /// Per entity field, where its value comes from.
    sources: Vec<FieldSource>,
    /// Per entity field, the project's default parsed once.
    defaults: Vec<Option<Value>>,
    options: ParseOptions,
    /// The company given rows that name none.
    company: Option<String>,
    /// The only companies rows may name (lowercase), when the rows come from a client whose
    /// grants end somewhere; `None`: any.
    companies: Option<Arc<[String]>>,
}

impl RowConverter {
    /// A converter for `entity`. `sources` maps entity field names to their sources; fields it
    /// does not name are taken from the source column with the same name, any case (D365's
    /// automatic mapping).
    pub fn new(
        entity: Arc<Entity>,
        mut sources: HashMap<String, FieldSource>,
        options: ParseOptions,
        company: Option<String>,
    ) -> anyhow::Result<RowConverter> {
        let mut by_field = Vec::with_capacity(entity.fields.len());
        let mut defaults = Vec::with_capacity(entity.fields.len());
        for field in &entity.fields {
            let key = sources.keys().find(|name| name.eq_ignore_ascii_case(&field.name)).cloned();
            let source = key.and_then(|key| sources.remove(&key)).unwrap_or_default();
            let default = match &source.default {
                Some(text) => Some(
                    parse_value(field, text, &options)
                        .map_err(|message| anyhow::anyhow!("default of {}.{}: {message}", entity.name, field.name))?,
                ),
                None => field.default.clone(),
            };
            by_field.push(source);
            defaults.push(default);
        }
        if let Some(unknown) = sources.keys().next() {
            anyhow::bail!("the field map names {unknown}, which is not a field of {}", entity.name);
        }
        let company = company.map(|company| company.to_ascii_lowercase());
        Ok(RowConverter { entity, sources: by_field, defaults, options, company, companies: None })
    }

    /// Rejects rows that name a company outside `companies` (lowercase): an execution on a
    /// client's behalf writes only where that client may.
    pub fn only_companies(mut self, companies: Option<Arc<[String]>>) -> RowConverter {
        self.companies = companies;
        self
    }

    /// The entity rows are converted for.
    pub fn entity(&self) -> &Arc<Entity> {
        &self.entity
    }

    /// Converts `input`. Returns the rows that passed (columns: the entity's fields), the input
    /// row each came from, and one error per rejected row (its first problem).
    pub fn convert(&self, input: &Batch) -> (Batch, Vec<u32>, Vec<RowError>) {
        let columns = self.columns(input);
        let names = self.entity.fields.iter().map(|field| field.name.clone());
        let mut builder = BatchBuilder::with_capacity(names, input.len(), input.data().len());
        let mut source_rows = Vec::with_capacity(input.len());
        let mut errors = Vec::new();
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(columns.len());
        for row in input.rows() {
            cells.clear();
            let mut rejected = None;
            for (index, field) in self.entity.fields.iter().enumerate() {
                match self.cell(index, field, columns[index].map(|column| row.value(column))) {
                    Ok(value) => cells.push(value),
                    Err(message) => {
                        rejected = Some(RowError::new(row.index(), message).field(field.name.clone()));
                        break;
                    }
                }
            }
            match rejected {
                Some(error) => errors.push(error),
                None => {
                    let refs: Vec<ValueRef<'_>> = cells.iter().map(Cell::as_ref).collect();
                    builder.push_row(&refs);
                    source_rows.push(row.index());
                }
            }
        }
        (builder.finish(), source_rows, errors)
    }

    /// What row `row` of `input` holds for each entity field, by field name, after value
    /// conversions and before type conversion: what a rejected row looked like to the entity.
    pub fn source_values(&self, input: &Batch, row: usize) -> Vec<(String, Value)> {
        let Some(row) = input.row(row) else { return Vec::new() };
        let columns = self.columns(input);
        let fields = self.entity.fields.iter().zip(&self.sources).zip(columns);
        fields
            .filter_map(|((field, source), column)| {
                let cell = row.value(column?);
                let converted = cell.as_str().and_then(|text| source.values.get(text));
                let value = converted.map_or_else(|| cell.to_owned(), |text| Value::String(text.clone()));
                Some((field.name.clone(), value))
            })
            .collect()
    }

    /// Per entity field, the column of `input` it reads, when there is one.
    fn columns(&self, input: &Batch) -> Vec<Option<usize>> {
        self.entity
            .fields
            .iter()
            .zip(&self.sources)
            .map(|(field, source)| {
                let wanted = source.column.as_deref().unwrap_or(&field.name);
                input.columns().iter().position(|column| column.eq_ignore_ascii_case(wanted))
            })
            .collect()
    }

    fn cell<'a>(&'a self, index: usize, field: &Field, cell: Option<ValueRef<'a>>) -> Result<Cell<'a>, String> {
        let source = &self.sources[index];
        let cell = cell.unwrap_or(ValueRef::Null);
        let cell = match cell.as_str().and_then(|text| source.values.get(text)) {
            Some(converted) => ValueRef::String(converted),
            None => cell,
        };
        let value = match convert_cell(field, cell, &self.options)? {
            Some(value) => Some(value),
            None if field.name == COMPANY_FIELD => self.company.as_deref().map(|c| Cell::Borrowed(ValueRef::String(c))),
            None => self.defaults[index].as_ref().map(|value| Cell::Borrowed(value.as_ref())),
        };
        if field.name == COMPANY_FIELD
            && let Some(companies) = &self.companies
            && let Some(company) = value.as_ref().and_then(|value| value.as_ref().as_str())
            && !companies.iter().any(|allowed| allowed.eq_ignore_ascii_case(company))
        {
            return Err(format!(
                "company {company} is not one this execution may write into ({})",
                companies.join(", ")
            ));
        }
        match value {
            // Companies are compared without case, as D365 does; they are kept lowercase.
            Some(Cell::Borrowed(ValueRef::String(company)))
                if field.name == COMPANY_FIELD && company.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                Ok(Cell::Owned(Value::String(company.to_ascii_lowercase())))
            }
            Some(value) if field.required && value.as_ref() == ValueRef::String("") => {
                Err("is required and empty".into())
            }
            Some(value) => Ok(value),
            None if field.name == COMPANY_FIELD => Err("no company: the row names none and none was given".into()),
            None if field.required => Err("is required and missing".into()),
            None => Ok(Cell::Borrowed(ValueRef::Null)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(field_type: FieldType) -> Field {
        Field { name: "F".into(), field_type, required: false, default: None }
    }

    fn parse(field_type: FieldType, text: &str, options: &ParseOptions) -> Result<Value, String> {
        parse_value(&field(field_type), text, options)
    }

    #[test]
    fn decimals_with_thousands_separators_are_rejected_unless_configured() {
        let strict = ParseOptions::default();
        let decimal = || FieldType::Decimal { scale: Some(2) };
        assert_eq!(parse(decimal(), "1234.50", &strict), Ok(Value::Decimal("1234.50".into())));
        assert!(parse(decimal(), "1,234.50", &strict).expect_err("separator").contains("digit-group separator"));
        let us = ParseOptions { thousands_separator: Some(','), ..ParseOptions::default() };
        assert_eq!(parse(decimal(), "1,234.50", &us), Ok(Value::Decimal("1234.50".into())));
        let german = ParseOptions { decimal_separator: ',', thousands_separator: Some('.'), ..ParseOptions::default() };
        assert_eq!(parse(decimal(), "-1.234,5", &german), Ok(Value::Decimal("-1234.5".into())));
        assert!(parse(decimal(), "1.005", &strict).expect_err("scale").contains("at most 2"));
        for junk in ["", "-", "1.", ".5", "1e3", "12a", "--1"] {
            assert!(parse(decimal(), junk, &strict).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn dates_are_read_in_iso_and_configured_forms() {
        let options = ParseOptions { date_formats: vec!["%m/%d/%Y".into()], ..ParseOptions::default() };
        for text in ["2026-11-21", "11/21/2026", "2026-11-21T00:00:00Z", "2026-11-21T00:00:00"] {
            assert_eq!(parse(FieldType::Date, text, &options), Ok(Value::Date("2026-11-21".into())), "{text}");
        }
        assert!(parse(FieldType::Date, "21.11.2026", &options).expect_err("unknown form").contains("%m/%d/%Y"));
        assert!(parse(FieldType::Date, "2026-02-30", &options).is_err());
        let moment = parse(FieldType::DateTime, "2026-11-21T10:30:00+01:00", &options);
        assert_eq!(moment, Ok(Value::DateTime("2026-11-21T09:30:00Z".into())));
        assert_eq!(
            parse(FieldType::DateTime, "2026-11-21 10:30:00", &options),
            Ok(Value::DateTime("2026-11-21T10:30:00Z".into()))
        );
    }

    #[test]
    fn guids_enums_and_booleans_take_their_canonical_form() {
        let options = ParseOptions::default();
        let guid = parse(FieldType::Guid, "{6D31E09F-0249-459F-94F0-AAD9C2C47B64}", &options);
        assert_eq!(guid, Ok(Value::String("6d31e09f-0249-459f-94f0-aad9c2c47b64".into())));
        assert!(parse(FieldType::Guid, "6D31E09F-0249-459F-94F0", &options).is_err());
        let no_yes = FieldType::Enum { name: "NoYes".into(), values: vec!["No".into(), "Yes".into()] };
        assert_eq!(parse(no_yes.clone(), "yes", &options), Ok(Value::String("Yes".into())));
        assert!(parse(no_yes, "maybe", &options).expect_err("not a value").contains("No, Yes"));
        assert_eq!(parse(FieldType::Boolean, "No", &options), Ok(Value::Boolean(false)));
    }

    #[test]
    fn string_length_counts_characters_not_bytes() {
        let short = FieldType::String { max_length: Some(3) };
        assert_eq!(parse(short.clone(), "äöü", &ParseOptions::default()), Ok(Value::String("äöü".into())));
        assert!(parse(short, "abcd", &ParseOptions::default()).expect_err("too long").contains("at most 3"));
    }

    fn customer() -> Arc<Entity> {
        let text = r#"
name = "Customer"
key = ["Account"]
[[field]]
name = "Account"
type = "string"
[[field]]
name = "Name"
type = "string"
[[field]]
name = "Limit"
type = "decimal"
default = "100"
"#;
        Arc::new(Entity::parse(text, "test").expect("valid"))
    }

    #[test]
    fn rows_are_mapped_defaulted_and_rejected_with_their_field() {
        let mut input = BatchBuilder::new(["ACCOUNT", "CustName", "Limit", "DATAAREAID"]);
        input.push_row(&["C1".into(), "Contoso".into(), ValueRef::Null, ValueRef::Null]);
        input.push_row(&["".into(), "Empty key".into(), "5".into(), "USMF".into()]);
        input.push_row(&["C3".into(), "".into(), "five".into(), "usmf".into()]);
        input.push_row(&["C4".into(), ValueRef::Null, "7.5".into(), "DAT".into()]);
        let sources =
            HashMap::from([("Name".to_owned(), FieldSource { column: Some("custname".into()), ..Default::default() })]);
        let converter =
            RowConverter::new(customer(), sources, ParseOptions::default(), Some("USMF".into())).expect("valid");
        let (rows, source_rows, errors) = converter.convert(&input.finish());
        assert_eq!(source_rows, [0, 3]);
        let first: Vec<Value> = rows.row(0).expect("row").fields().map(|(_, value)| value.to_owned()).collect();
        let expected = ["usmf".into(), "C1".into(), "Contoso".into(), Value::Decimal("100".into())];
        assert_eq!(first, expected);
        assert_eq!(rows.row(1).and_then(|row| row.get("dataAreaId")), Some(ValueRef::String("dat")));
        assert_eq!(rows.row(1).and_then(|row| row.get("Name")), Some(ValueRef::Null));
        let rendered: Vec<String> =
            errors.iter().map(|e| format!("{} {}: {}", e.row, e.field.as_deref().unwrap_or(""), e.message)).collect();
        assert_eq!(rendered, ["1 Account: is required and empty", "2 Limit: \"five\" is not a number"]);
    }

    #[test]
    fn a_field_map_naming_an_unknown_field_is_refused() {
        let sources = HashMap::from([("Nmae".to_owned(), FieldSource::default())]);
        let error = RowConverter::new(customer(), sources, ParseOptions::default(), None).expect_err("typo");
        assert!(error.to_string().contains("Nmae"), "{error}");
    }
}
