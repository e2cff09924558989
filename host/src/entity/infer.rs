//! Drafts of entity definitions guessed from sample rows (the data file of a D365 package),
//! for an operator to review: field types from the values, string lengths from the longest
//! value, a key from the columns whose values are distinct.
//!
//! Everything here is a guess from the rows at hand, and the draft says so: it is TOML with
//! its reasons in comments, never a definition that goes live on its own.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};

use anyhow::{Result, bail};
use wharf_plugin_sdk::{Batch, ValueRef};

use super::convert::{ParseOptions, parse_value};
use super::{COMPANY_FIELD, Field, FieldType};

/// The string lengths a draft rounds up to: the sizes D365's own string types use most
/// (identifiers of 10 and 20, names of 60, descriptions up to 255, notes of 1000). A value
/// longer than the last gets no limit.
pub const STRING_LENGTHS: [u32; 7] = [10, 20, 30, 60, 100, 255, 1000];

/// How many leading columns may become the key. A key is almost always among the first
/// columns, and each candidate costs memory per row (see [`MAX_KEY_ROWS`]).
pub const KEY_CANDIDATES: usize = 8;

/// Rows over which key candidates are checked for distinct values: 8 bytes per row and
/// candidate, so at most 64 MiB for a file of any size.
pub const MAX_KEY_ROWS: u64 = 1_000_000;

/// What kind of value a cell holds, from the narrowest reading of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A whole number, written without leading zeros (`007` is an identifier, not seven).
    Integer,
    /// A number with a fractional part, with its number of decimals.
    Decimal(u32),
    /// `true` or `false`.
    Boolean,
    /// `Yes` or `No`: D365's `NoYes` enum, which its files write by name.
    NoYes,
    /// A calendar date.
    Date,
    /// A point in time.
    DateTime,
    /// Anything else.
    Text,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Decimal(_) => "decimal",
            Kind::Boolean => "true/false",
            Kind::NoYes => "Yes/No",
            Kind::Date => "date",
            Kind::DateTime => "date-time",
            Kind::Text => "text",
        }
    }

    /// The kind a column holding values of both kinds has: integers widen to decimals; any
    /// other mix is text.
    fn widen(self, other: Kind) -> Kind {
        match (self, other) {
            (left, right) if left == right => left,
            (Kind::Decimal(left), Kind::Decimal(right)) => Kind::Decimal(left.max(right)),
            (Kind::Integer, Kind::Decimal(scale)) | (Kind::Decimal(scale), Kind::Integer) => Kind::Decimal(scale),
            _ => Kind::Text,
        }
    }
}

/// What is known of one column after the rows so far.
#[derive(Debug, Clone)]
struct Column {
    /// The column's name in the file.
    source: String,
    /// The field it becomes.
    name: String,
    /// The kind of its values so far; `None` while it has had none.
    kind: Option<Kind>,
    /// Values seen of each kind, for the reviewer when the column turns out mixed.
    counts: Vec<(Kind, u64)>,
    /// Non-empty values.
    values: u64,
    /// The most characters of a value.
    longest: usize,
    /// Hashes of its values while it may still be the key.
    distinct: Option<HashSet<u64>>,
}

/// Rows of one entity's data file, summed up into a draft definition.
#[derive(Debug)]
pub struct Inference {
    columns: Vec<Column>,
    rows: u64,
    company_column: bool,
    date: Field,
    datetime: Field,
}

/// Where a column's field name comes from: the package's field map (source column → staging
/// field), when it has one for the column.
pub type FieldNames<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Inference {
    /// An inference with no rows yet.
    pub fn new() -> Inference {
        let field = |field_type| Field { name: String::new(), field_type, required: false, default: None };
        Inference {
            columns: Vec::new(),
            rows: 0,
            company_column: false,
            date: field(FieldType::Date),
            datetime: field(FieldType::DateTime),
        }
    }

    /// Adds a batch of rows. Columns are matched by name, so batches may differ in columns
    /// (as XML and JSON records may); a column absent from a batch is empty in its rows.
    /// `field_name` gives a column's field name, else the column's own name is used.
    pub fn add(&mut self, batch: &Batch, field_name: FieldNames<'_>) -> Result<()> {
        let mut positions = Vec::with_capacity(batch.columns().len());
        for source in batch.columns() {
            if source.eq_ignore_ascii_case(COMPANY_FIELD) {
                // The company is `company = true`, not a field of the definition.
                self.company_column = true;
                positions.push(None);
                continue;
            }
            let index = match self.columns.iter().position(|column| column.source == *source) {
                Some(index) => index,
                None => self.add_column(source, field_name)?,
            };
            positions.push(Some(index));
        }
        let mut present = vec![false; self.columns.len()];
        for row in batch.rows() {
            self.rows += 1;
            present.iter_mut().for_each(|seen| *seen = false);
            for (position, index) in positions.iter().enumerate() {
                let Some(index) = *index else { continue };
                let value = row.value(position);
                let Some(kind) = self.kind(value) else { continue };
                present[index] = true;
                let text_length = characters(value);
                let row_number = self.rows;
                let column = &mut self.columns[index];
                column.values += 1;
                column.longest = column.longest.max(text_length);
                column.kind = Some(column.kind.map_or(kind, |known| known.widen(kind)));
                match column.counts.iter_mut().find(|(counted, _)| counted.label() == kind.label()) {
                    Some((_, count)) => *count += 1,
                    None => column.counts.push((kind, 1)),
                }
                if let Some(distinct) = column.distinct.as_mut()
                    && row_number <= MAX_KEY_ROWS
                    && !distinct.insert(hash(value))
                {
                    column.distinct = None;
                }
            }
            // A key has a value in every row.
            for (column, seen) in self.columns.iter_mut().zip(&present) {
                if !seen {
                    column.distinct = None;
                }
            }
        }
        Ok(())
    }

    fn add_column(&mut self, source: &str, field_name: FieldNames<'_>) -> Result<usize> {
        let name = field_name(source).unwrap_or_else(|| source.to_owned());
        let name = identifier(&name);
        if let Some(other) = self.columns.iter().find(|column| column.name.eq_ignore_ascii_case(&name)) {
            bail!("columns {:?} and {source:?} would both be field {name}", other.source);
        }
        // A column first seen after some rows had none of it cannot be the key.
        let may_be_key = self.rows == 0 && self.columns.len() < KEY_CANDIDATES;
        self.columns.push(Column {
            source: source.to_owned(),
            name,
            kind: None,
            counts: Vec::new(),
            values: 0,
            longest: 0,
            distinct: may_be_key.then(HashSet::new),
        });
        Ok(self.columns.len() - 1)
    }

    /// The kind of a cell, or `None` when it is empty.
    fn kind(&self, value: ValueRef<'_>) -> Option<Kind> {
        Some(match value {
            ValueRef::Null => return None,
            ValueRef::Integer(_) => Kind::Integer,
            ValueRef::Decimal(text) => Kind::Decimal(decimals(text)),
            ValueRef::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => Kind::Integer,
            ValueRef::Float(number) => Kind::Decimal(decimals(&number.to_string())),
            ValueRef::Boolean(_) => Kind::Boolean,
            ValueRef::Date(_) => Kind::Date,
            ValueRef::DateTime(_) => Kind::DateTime,
            ValueRef::String(text) => {
                let text = text.trim();
                if text.is_empty() {
                    return None;
                }
                self.text_kind(text)
            }
        })
    }

    /// The kind of a text value, read as an import would read it (the same parsers, default
    /// options), so a guessed type is one the text imports into.
    fn text_kind(&self, text: &str) -> Kind {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let plain_whole = |whole: &str| {
            !whole.is_empty()
                && whole.bytes().all(|byte| byte.is_ascii_digit())
                && (whole == "0" || !whole.starts_with('0'))
        };
        if plain_whole(digits) && digits.len() <= 18 {
            return Kind::Integer;
        }
        if let Some((whole, fraction)) = digits.split_once('.')
            && plain_whole(whole)
            && !fraction.is_empty()
            && fraction.bytes().all(|byte| byte.is_ascii_digit())
        {
            return Kind::Decimal(fraction.len() as u32);
        }
        if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
            return Kind::Boolean;
        }
        if text.eq_ignore_ascii_case("yes") || text.eq_ignore_ascii_case("no") {
            return Kind::NoYes;
        }
        let options = ParseOptions::default();
        if text.len() <= 10 && parse_value(&self.date, text, &options).is_ok() {
            return Kind::Date;
        }
        if parse_value(&self.datetime, text, &options).is_ok() {
            return Kind::DateTime;
        }
        Kind::Text
    }

    /// Rows added so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The draft definition of entity `label`, explained in comments for its reviewer;
    /// `origin` says where the rows came from (first comment line). An error when there were
    /// no rows to infer anything from, or no columns.
    pub fn draft(&self, label: &str, origin: &str) -> Result<String> {
        // A reader yields no batch for a file without rows, so an empty file and one with
        // only a header both come here without rows.
        if self.rows == 0 {
            bail!("{origin} has no rows: there is nothing to infer types from");
        }
        if self.columns.is_empty() {
            bail!("{origin} has no columns");
        }
        let name = entity_name(label)?;
        let key = self.columns.iter().find(|column| column.distinct.is_some());
        let mut out = String::new();
        let line = |out: &mut String, text: &str| {
            out.push_str(text);
            out.push('\n');
        };
        line(&mut out, &format!("# Drafted by `wharf entity from-package` from {origin}, {} rows.", self.rows));
        line(&mut out, "# REVIEW IT BEFORE USE, then move it into the deployment's entities/ directory.");
        line(&mut out, "# - Types are guessed from the values; a column with values of several kinds is a string.");
        line(
            &mut out,
            &format!(
                "# - String lengths are the longest value rounded up to the next of {} characters;",
                STRING_LENGTHS.map(|length| length.to_string()).join(", ")
            ),
        );
        line(&mut out, "#   a longer value leaves the length unlimited.");
        line(&mut out, "# - Field names are the package's (D365's staging names); packages match them ignoring case.");
        match key {
            Some(column) => {
                let checked = match self.rows > MAX_KEY_ROWS {
                    true => format!("in the first {MAX_KEY_ROWS} rows"),
                    false => "in every row".to_owned(),
                };
                line(
                    &mut out,
                    &format!(
                        "# - The key is {}: the first column with a value, a different one, {checked}. D365's manifest names no key.",
                        column.name
                    ),
                );
            }
            None => line(
                &mut out,
                &format!(
                    "# - NO KEY FOUND: none of the first {KEY_CANDIDATES} columns has a distinct value in every row. The key below is only the first column; set the real one (perhaps several fields)."
                ),
            ),
        }
        match self.company_column {
            true => line(&mut out, "# - company = true: the file has a DATAAREAID column."),
            false => line(
                &mut out,
                "# - company = true is a guess: D365 writes no company column even for company-specific entities.",
            ),
        }
        let key_name = key.or(self.columns.first()).map(|column| column.name.as_str()).unwrap_or_default();
        line(&mut out, "");
        line(&mut out, &format!("name = {}", quoted(&name)));
        line(&mut out, &format!("entity_set = {}", quoted(&format!("{name}s"))));
        line(&mut out, &format!("label = {}", quoted(label)));
        line(&mut out, "company = true");
        line(&mut out, &format!("key = [{}]", quoted(key_name)));
        for column in &self.columns {
            line(&mut out, "");
            self.write_field(&mut out, column);
        }
        Ok(out)
    }

    fn write_field(&self, out: &mut String, column: &Column) {
        let _ = writeln!(out, "[[field]]");
        if column.name != column.source {
            let _ = writeln!(out, "# from column {}", quoted(&column.source));
        }
        let _ = writeln!(out, "name = {}", quoted(&column.name));
        let seen = match column.counts.as_slice() {
            [] => "no values".to_owned(),
            [(kind, count)] => format!("{count} {} values", kind.label()),
            counts => {
                let kinds: Vec<String> =
                    counts.iter().map(|(kind, count)| format!("{count} {}", kind.label())).collect();
                format!("mixed: {}", kinds.join(", "))
            }
        };
        match column.kind {
            Some(Kind::Integer) => {
                let _ = writeln!(out, "type = \"integer\"  # {seen}");
            }
            Some(Kind::Decimal(scale)) => {
                let _ = writeln!(out, "type = \"decimal\"  # {seen}, at most {scale} decimals");
            }
            Some(Kind::Boolean) => {
                let _ = writeln!(out, "type = \"boolean\"  # {seen}");
            }
            Some(Kind::NoYes) => {
                let _ = writeln!(out, "type = \"enum\"  # {seen}: D365's NoYes");
                let _ = writeln!(out, "enum = \"NoYes\"");
                let _ = writeln!(out, "values = [\"No\", \"Yes\"]");
            }
            Some(Kind::Date) => {
                let _ = writeln!(out, "type = \"date\"  # {seen}");
            }
            Some(Kind::DateTime) => {
                let _ = writeln!(out, "type = \"datetime\"  # {seen}");
            }
            Some(Kind::Text) | None => {
                let _ = writeln!(out, "type = \"string\"  # {seen}");
                match rounded_length(column.longest) {
                    Some(length) => {
                        let _ = writeln!(out, "max_length = {length}  # longest value: {} characters", column.longest);
                    }
                    None if column.values == 0 => {
                        let _ = writeln!(out, "# no values: the type and length are unknown");
                    }
                    None => {
                        let _ = writeln!(out, "# no max_length: the longest value has {} characters", column.longest);
                    }
                }
            }
        }
    }
}

impl Default for Inference {
    fn default() -> Self {
        Inference::new()
    }
}

/// The next of [`STRING_LENGTHS`] that holds `longest` characters, or `None` past the last
/// (or for a column with no values).
pub fn rounded_length(longest: usize) -> Option<u32> {
    if longest == 0 {
        return None;
    }
    STRING_LENGTHS.into_iter().find(|length| *length as usize >= longest)
}

/// An entity name made of a label: its words run together, each capitalised
/// (`Fixed asset major type` → `FixedAssetMajorType`).
pub fn entity_name(label: &str) -> Result<String> {
    let mut name = String::new();
    for word in label.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    if name.is_empty() {
        bail!("no entity name can be made of the label {label:?}: it has no ASCII letters or digits");
    }
    if name.starts_with(|first: char| first.is_ascii_digit()) {
        name.insert(0, '_');
    }
    Ok(name)
}

/// `name` as a field name: every character that is not a letter, digit or `_` becomes `_`.
fn identifier(name: &str) -> String {
    let mut identifier: String =
        name.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !identifier.starts_with(|first: char| first.is_ascii_alphabetic() || first == '_') {
        identifier.insert(0, '_');
    }
    identifier
}

/// `text` as a TOML string, escaped by the `toml` crate.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// How many characters a value has as text.
fn characters(value: ValueRef<'_>) -> usize {
    match value {
        ValueRef::String(text) | ValueRef::Decimal(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => {
            text.trim().chars().count()
        }
        ValueRef::Integer(number) => number.to_string().len(),
        ValueRef::Float(number) => number.to_string().len(),
        ValueRef::Boolean(value) => value.to_string().len(),
        ValueRef::Null => 0,
    }
}

/// The decimals of a number's text.
fn decimals(text: &str) -> u32 {
    text.split_once('.').map_or(0, |(_, fraction)| fraction.trim().len() as u32)
}

/// A value's hash for the key check: of its trimmed text, so `7` and `7.0` of one column
/// (an Excel number, a CSV text) count as one value.
fn hash(value: ValueRef<'_>) -> u64 {
    let mut hasher = DefaultHasher::new();
    match value {
        ValueRef::String(text) | ValueRef::Decimal(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => {
            text.trim().hash(&mut hasher)
        }
        ValueRef::Integer(number) => number.to_string().hash(&mut hasher),
        ValueRef::Float(number) => number.to_string().hash(&mut hasher),
        ValueRef::Boolean(value) => value.hash(&mut hasher),
        ValueRef::Null => {}
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use wharf_plugin_sdk::BatchBuilder;

    use super::*;
    use crate::entity::Entity;

    fn batch(columns: &[&str], rows: &[&[&str]]) -> Batch {
        let mut builder = BatchBuilder::new(columns.iter().copied());
        for row in rows {
            let cells: Vec<ValueRef<'_>> =
                row.iter().map(|cell| if cell.is_empty() { ValueRef::Null } else { ValueRef::String(cell) }).collect();
            builder.push_row(&cells);
        }
        builder.finish()
    }

    fn draft(columns: &[&str], rows: &[&[&str]]) -> String {
        let mut inference = Inference::new();
        inference.add(&batch(columns, rows), &|_| None).expect("added");
        inference.draft("Test rows", "rows.csv").expect("a draft")
    }

    #[test]
    fn each_kind_of_value_gets_its_type_and_the_draft_is_a_valid_definition() {
        let text = draft(
            &["ID", "COUNT", "PRICE", "ACTIVE", "BLOCKED", "SINCE", "STAMP", "CODE", "NOTE"],
            &[
                &["A-1", "3", "1.5", "true", "Yes", "2024-01-31", "2024-01-31T10:00:00Z", "007", "x"],
                &["A-2", "-12", "20", "FALSE", "No", "2023-12-01", "2024-02-01T00:00:00+01:00", "010", ""],
            ],
        );
        let entity = Entity::parse(&text, "draft").unwrap_or_else(|error| panic!("{error:#}\n{text}"));
        let types: Vec<(&str, &FieldType)> =
            entity.fields.iter().map(|field| (field.name.as_str(), &field.field_type)).collect();
        let no_yes = FieldType::Enum { name: "NoYes".to_owned(), values: vec!["No".to_owned(), "Yes".to_owned()] };
        assert_eq!(
            types,
            [
                ("dataAreaId", &FieldType::String { max_length: Some(4) }),
                ("ID", &FieldType::String { max_length: Some(10) }),
                ("COUNT", &FieldType::Integer),
                ("PRICE", &FieldType::Decimal { scale: None }),
                ("ACTIVE", &FieldType::Boolean),
                ("BLOCKED", &no_yes),
                ("SINCE", &FieldType::Date),
                ("STAMP", &FieldType::DateTime),
                ("CODE", &FieldType::String { max_length: Some(10) }),
                ("NOTE", &FieldType::String { max_length: Some(10) }),
            ],
            "{text}"
        );
        assert_eq!((entity.name.as_str(), entity.label.as_str()), ("TestRows", "Test rows"));
        assert_eq!(entity.key_fields().map(|field| field.name.as_str()).collect::<Vec<_>>(), ["dataAreaId", "ID"]);
        assert!(text.contains("type = \"decimal\"  # mixed: 1 decimal, 1 integer, at most 1 decimals"), "{text}");
    }

    #[test]
    fn a_mixed_column_is_a_string_and_says_what_it_held() {
        let text = draft(&["K", "MIXED"], &[&["1", "12"], &["2", "abc"], &["3", "2.5"]]);
        assert!(text.contains("type = \"string\"  # mixed: 1 integer, 1 text, 1 decimal"), "{text}");
        assert!(text.contains("key = [\"K\"]"), "{text}");
    }

    #[test]
    fn lengths_round_up_to_the_next_common_size_and_past_the_last_have_none() {
        let cases = [(0, None), (1, Some(10)), (10, Some(10)), (11, Some(20)), (61, Some(100)), (1000, Some(1000))];
        for (longest, expected) in cases {
            assert_eq!(rounded_length(longest), expected, "{longest}");
        }
        assert_eq!(rounded_length(1001), None);
        let long = "x".repeat(5000);
        let text = draft(&["K", "TEXT"], &[&["1", &long]]);
        assert!(text.contains("# no max_length: the longest value has 5000 characters"), "{text}");
        Entity::parse(&text, "draft").expect("valid");
    }

    #[test]
    fn a_key_is_a_column_with_a_distinct_value_in_every_row_or_the_draft_says_there_is_none() {
        let text = draft(&["GROUP", "ID"], &[&["a", "1"], &["a", "2"], &["b", "3"]]);
        assert!(text.contains("key = [\"ID\"]"), "{text}");
        let text = draft(&["ID", "NAME"], &[&["1", "x"], &["", "y"]]);
        assert!(text.contains("key = [\"NAME\"]"), "a column with an empty value is no key: {text}");
        let text = draft(&["A", "B"], &[&["1", "x"], &["1", "x"]]);
        assert!(text.contains("NO KEY FOUND") && text.contains("key = [\"A\"]"), "{text}");
    }

    #[test]
    fn field_names_come_from_the_map_a_company_column_is_no_field_and_odd_names_are_made_fit() {
        let mut inference = Inference::new();
        let rows = batch(&["DATAAREAID", "Group id", "CODE"], &[&["usmf", "G1", "c"]]);
        let names = |column: &str| (column == "CODE").then(|| "CURRENCYCODE".to_owned());
        inference.add(&rows, &names).expect("added");
        let text = inference.draft("Groups", "groups.csv").expect("a draft");
        assert!(text.contains("the file has a DATAAREAID column"), "{text}");
        let entity = Entity::parse(&text, "draft").expect("valid");
        let fields: Vec<&str> = entity.fields.iter().map(|field| field.name.as_str()).collect();
        assert_eq!(fields, ["dataAreaId", "Group_id", "CURRENCYCODE"]);
    }

    #[test]
    fn no_rows_and_no_columns_are_errors_not_drafts() {
        let mut inference = Inference::new();
        inference.add(&batch(&["A"], &[]), &|_| None).expect("added");
        let error = inference.draft("Empty", "empty.csv").expect_err("no rows");
        assert_eq!(error.to_string(), "empty.csv has no rows: there is nothing to infer types from");
        let mut inference = Inference::new();
        inference.add(&batch(&["DATAAREAID"], &[&["usmf"]]), &|_| None).expect("added");
        let error = inference.draft("Companies", "companies.csv").expect_err("no columns");
        assert_eq!(error.to_string(), "companies.csv has no columns");
        let error = entity_name("—").expect_err("no letters");
        assert!(error.to_string().contains("no ASCII letters or digits"), "{error}");
    }

    #[test]
    fn two_columns_that_become_one_field_are_refused() {
        let mut inference = Inference::new();
        let error = inference.add(&batch(&["A B", "A_B"], &[]), &|_| None).expect_err("collide");
        assert_eq!(error.to_string(), "columns \"A B\" and \"A_B\" would both be field A_B");
    }
}
