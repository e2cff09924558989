//! Every format reader on the sample documents under `tests/data/formats/<case>/`: `input.*`
//! read with `options.toml` must render as `expected.txt` (`UPDATE_EXPECT=1` rewrites it).
//!
//! `options.toml` names the reader with `format` and gives its options, which deserialize into
//! the reader's own options struct. It is the part of TOML whose values are JSON too (strings,
//! numbers, booleans, arrays, and `[[name]]` tables): this crate does not depend on `toml`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde_json::{Map, Value as Json};
use wharf::formats::{self, Batches};
use wharf_plugin_sdk::ValueRef;
use wharf_tests::{check_golden, root};

/// Rows per batch: few, so that the cases show rows splitting into batches.
const BATCH_ROWS: usize = 3;

fn check(case: &str) {
    let dir = root().join("tests/data/formats").join(case);
    let input = std::fs::read_dir(&dir)
        .expect("case directory")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| path.file_stem().is_some_and(|stem| stem == "input"))
        .expect("an input file");
    let input = BufReader::new(File::open(&input).expect("readable input"));
    let mut options = read_options(&dir.join("options.toml"));
    let format = options.remove("format").and_then(|format| format.as_str().map(str::to_owned));
    let options = Json::Object(options);
    // A reader called with the options deserialized into its own options struct.
    macro_rules! read_with {
        ($reader:path) => {{
            let options = serde_json::from_value(options).unwrap_or_else(|error| panic!("{case}: options: {error}"));
            $reader(input, &options, BATCH_ROWS)
        }};
    }
    let batches = match format.as_deref() {
        Some("csv") => read_with!(formats::csv::reader),
        Some("fixed-width") => read_with!(formats::fixed::reader),
        Some("json") => read_with!(formats::json::reader),
        Some("xml") => read_with!(formats::xml::reader),
        Some("excel") => read_with!(formats::excel::reader),
        other => panic!("{case}: unknown format {other:?}"),
    };
    check_golden(&render(batches), &dir.join("expected.txt"));
}

/// Reads `options.toml`: `key = value` lines whose values are JSON, and `[[name]]` headers, each
/// starting a table appended to the array `name` that takes the lines after it.
fn read_options(path: &Path) -> Map<String, Json> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut options = Map::new();
    let mut table: Option<String> = None;
    for (index, line) in text.lines().enumerate() {
        let place = || format!("{}:{}", path.display(), index + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("[[").and_then(|rest| rest.strip_suffix("]]")) {
            let array = options.entry(name.trim()).or_insert_with(|| Json::Array(Vec::new()));
            array
                .as_array_mut()
                .unwrap_or_else(|| panic!("{}: {name} is not a table array", place()))
                .push(Json::Object(Map::new()));
            table = Some(name.trim().to_owned());
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{}: expected `key = value`", place()));
        let value: Json = serde_json::from_str(value.trim()).unwrap_or_else(|error| panic!("{}: {error}", place()));
        let target = match &table {
            None => &mut options,
            Some(name) => options
                .get_mut(name)
                .and_then(Json::as_array_mut)
                .and_then(|tables| tables.last_mut())
                .and_then(Json::as_object_mut)
                .unwrap_or_else(|| panic!("{}: no table {name}", place())),
        };
        target.insert(key.trim().to_owned(), value);
    }
    options
}

/// The batches one after another: each batch's columns, then its rows numbered from 1 across
/// batches; an error where reading stopped.
fn render(batches: anyhow::Result<Batches<'_>>) -> String {
    let batches = match batches {
        Ok(batches) => batches,
        Err(error) => return format!("error: {error:#}\n"),
    };
    let mut text = String::new();
    let mut number = 0;
    for batch in batches {
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                text.push_str(&format!("error: {error:#}\n"));
                continue;
            }
        };
        text.push_str(&format!("batch: {}\n", batch.columns().join(" | ")));
        for row in batch.rows() {
            number += 1;
            let cells: Vec<String> = row.fields().map(|(_, value)| cell(value)).collect();
            text.push_str(&format!("{number}: {}\n", cells.join(" | ")));
        }
    }
    if text.is_empty() {
        text.push_str("no rows\n");
    }
    text
}

/// A cell with its type: text quoted (escapes visible), numbers and booleans bare, the rest
/// named.
fn cell(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "null".to_owned(),
        ValueRef::String(text) => serde_json::to_string(text).unwrap_or_default(),
        ValueRef::Integer(number) => number.to_string(),
        ValueRef::Boolean(flag) => flag.to_string(),
        ValueRef::Decimal(text) => format!("decimal {text}"),
        ValueRef::Float(number) => format!("float {number}"),
        ValueRef::Date(text) => format!("date {text}"),
        ValueRef::DateTime(text) => format!("datetime {text}"),
    }
}

#[test]
fn comma_csv_with_bom_and_crlf_keeps_quoted_delimiters_line_breaks_and_empty_fields() {
    check("csv-comma-bom-crlf");
}

#[test]
fn semicolon_csv_without_a_header_takes_its_column_names_from_the_options() {
    check("csv-semicolon-no-header");
}

#[test]
fn csv_unicode_reads_utf16le_after_its_byte_order_mark() {
    check("csv-unicode");
}

#[test]
fn pipe_delimited_csv_reads_quoted_bars_as_text() {
    check("csv-pipe");
}

#[test]
fn tab_delimited_csv_reads() {
    check("csv-tab");
}

#[test]
fn a_csv_cut_off_inside_a_quoted_field_is_an_error_after_the_rows_before_it() {
    check("csv-unclosed-quote");
}

#[test]
fn fixed_width_cuts_non_ascii_text_at_character_positions() {
    check("fixed-width-non-ascii");
}

#[test]
fn a_json_array_reads_typed_cells_and_the_union_of_each_batchs_fields() {
    check("json-array");
}

#[test]
fn ndjson_reads_one_object_per_line() {
    check("json-ndjson");
}

#[test]
fn an_odata_envelope_streams_its_value_array_and_skips_the_other_keys() {
    check("json-odata");
}

#[test]
fn xml_attribute_style_reads_attributes_as_fields_and_an_empty_one_as_empty_text() {
    check("xml-attribute");
}

#[test]
fn xml_element_style_unescapes_text_and_cdata_and_tells_empty_from_missing() {
    check("xml-element");
}

#[test]
fn xml_in_utf16_reads_after_its_byte_order_mark() {
    check("xml-utf16");
}

#[test]
fn xml_with_a_doctype_is_refused_before_any_entity_is_expanded() {
    check("xml-doctype");
}

#[test]
fn an_excel_workbook_reads_typed_cells_from_the_named_sheet() {
    check("excel-workbook");
}
