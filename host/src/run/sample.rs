//! How `wharf plugin run` reads a sample document: the same format names and options a
//! project's `[[entity]]` takes (`format`, `[entity.options]`), as command-line flags, checked
//! by the same parser; and the hint for a CSV sample read with the wrong delimiter.

use std::path::Path;

use anyhow::{Result, bail};
use clap::Args;
use wharf_plugin_sdk::Batch;

use crate::formats::csv::CsvOptions;
use crate::pipeline::DocumentFormat;

/// The document options of `wharf plugin run`, named as in a project's `[entity.options]`.
#[derive(Debug, Clone, Default, Args)]
pub struct SampleArgs {
    /// How a mapper's or filter's sample is read, as a project names formats: CSV,
    /// CSV-Unicode, XML-Element, XML-Attribute, JSON, EXCEL, FIXED, or DOCUMENT for the whole
    /// file as one row (default: CSV for a .csv file, DOCUMENT for anything else; with an
    /// option below, the format its extension names).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// CSV: the character between fields: `,` (default), `;`, `|`, `:` or `tab`.
    #[arg(long, value_name = "CHAR", allow_hyphen_values = true)]
    pub delimiter: Option<String>,
    /// CSV: the character quoting fields that hold delimiters or line breaks (default `"`;
    /// `""` for none).
    #[arg(long, value_name = "CHAR")]
    pub text_qualifier: Option<String>,
    /// CSV and FIXED: whether the first line is a header (CSV default: true, or false with
    /// `--columns`; FIXED default: false).
    #[arg(long, value_name = "BOOL")]
    pub header: Option<bool>,
    /// CSV: the column names of a file without a header row (`a,b,c`). FIXED: every column
    /// as `name:start:width` (start 0-based, in characters).
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// XML: read only the records whose element has this name.
    #[arg(long, value_name = "ELEMENT")]
    pub record: Option<String>,
    /// EXCEL: the sheet to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// The most bytes one field may hold (default 1 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_field_bytes: Option<usize>,
}

impl SampleArgs {
    /// The format the flags name for `sample`: `None` when no flag is given, which reads a
    /// `.csv` file as CSV with the defaults and hands any other file whole to the plugin.
    pub fn format(&self, sample: &Path) -> Result<Option<DocumentFormat>> {
        let options = self.options()?;
        let name = match &self.format {
            Some(name) => name.clone(),
            None if options.is_empty() => return Ok(None),
            None => format_of_extension(sample)?.to_owned(),
        };
        DocumentFormat::parse(&name, &options).map(Some)
    }

    /// The options given, as a project's `[entity.options]` table would hold them.
    fn options(&self) -> Result<toml::Table> {
        let mut options = toml::Table::new();
        let mut text = |key: &str, value: &Option<String>| {
            if let Some(value) = value {
                options.insert(key.to_owned(), toml::Value::String(value.clone()));
            }
        };
        text("delimiter", &self.delimiter);
        text("text_qualifier", &self.text_qualifier);
        text("record", &self.record);
        text("sheet", &self.sheet);
        if let Some(header) = self.header {
            options.insert("header".into(), toml::Value::Boolean(header));
        }
        if let Some(max) = self.max_field_bytes {
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            options.insert("max_field_bytes".into(), toml::Value::Integer(max));
        }
        if !self.columns.is_empty() {
            let fixed =
                self.format.as_deref().is_some_and(|name| name.trim().to_ascii_uppercase().starts_with("FIXED"));
            let columns = if fixed {
                self.columns.iter().map(|column| fixed_column(column)).collect::<Result<_>>()?
            } else {
                self.columns.iter().map(|column| toml::Value::String(column.trim().to_owned())).collect()
            };
            options.insert("columns".into(), toml::Value::Array(columns));
        }
        Ok(options)
    }
}

/// A fixed-width column `name:start:width` as a project's `{ name, start, width }`.
fn fixed_column(column: &str) -> Result<toml::Value> {
    let parts: Vec<&str> = column.split(':').map(str::trim).collect();
    let number = |text: &str| text.parse::<i64>().ok().filter(|number| *number >= 0);
    match parts[..] {
        [name, start, width] if !name.is_empty() => match (number(start), number(width)) {
            (Some(start), Some(width)) => {
                let mut table = toml::Table::new();
                table.insert("name".into(), toml::Value::String(name.to_owned()));
                table.insert("start".into(), toml::Value::Integer(start));
                table.insert("width".into(), toml::Value::Integer(width));
                Ok(toml::Value::Table(table))
            }
            _ => bail!("fixed-width column {column:?}: start and width must be whole numbers"),
        },
        _ => bail!("fixed-width column {column:?} is not name:start:width"),
    }
}

/// The format a sample's extension names, for options given without `--format`.
fn format_of_extension(sample: &Path) -> Result<&'static str> {
    let extension = sample.extension().map(|ext| ext.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    Ok(match extension.as_str() {
        "csv" | "tsv" | "txt" => "CSV",
        "xml" => "XML-Element",
        "json" | "ndjson" => "JSON",
        "xlsx" => "EXCEL",
        _ => bail!("cannot tell the format of {} from its extension: add --format", sample.display()),
    })
}

/// Delimiters a CSV file often has instead of the one it was read with, most likely first:
/// the byte, the `--delimiter` flag's value, the project option's value.
const LIKELY_DELIMITERS: [(u8, &str, &str); 4] =
    [(b';', "';'", ";"), (b'\t', "tab", "tab"), (b'|', "'|'", "|"), (b',', "','", ",")];

/// Says which delimiter to try when a CSV sample with a header row read as one column whose
/// name holds a likely delimiter other than the one used. `None` when the sample read as
/// more than one column, or nothing suggests another delimiter.
pub fn delimiter_hint(batches: &[Batch], options: &CsvOptions) -> Option<String> {
    let [header] = batches.first()?.columns() else { return None };
    if !options.header {
        return None;
    }
    let (_, flag, option) =
        LIKELY_DELIMITERS.iter().find(|(byte, ..)| *byte != options.delimiter && header.as_bytes().contains(byte))?;
    Some(format!(
        "the CSV reads as one column, {header:?}: try --delimiter {flag} \
         (in a project's [entity.options] or a case's [csv]: delimiter = \"{option}\")"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::csv;

    fn read(text: &str, options: &CsvOptions) -> Vec<Batch> {
        csv::reader(text.as_bytes(), options, 16).and_then(|batches| batches.collect()).expect("CSV")
    }

    #[test]
    fn a_semicolon_file_read_with_commas_names_the_delimiter_to_try() {
        let options = CsvOptions::default();
        let hint = delimiter_hint(&read("id;name\n1;Contoso\n", &options), &options).expect("a hint");
        assert!(hint.contains("try --delimiter ';'"), "{hint}");
        let tabs = delimiter_hint(&read("id\tname\n1\tContoso\n", &options), &options).expect("a hint");
        assert!(tabs.contains("try --delimiter tab"), "{tabs}");
    }

    #[test]
    fn no_hint_when_the_sample_has_several_columns_or_nothing_to_suggest() {
        let options = CsvOptions::default();
        assert_eq!(delimiter_hint(&read("id,name\n1,Contoso\n", &options), &options), None);
        assert_eq!(delimiter_hint(&read("id\n1\n", &options), &options), None);
    }

    #[test]
    fn flags_become_a_projects_options_checked_by_its_parser() {
        let args = SampleArgs {
            delimiter: Some(";".into()),
            header: Some(false),
            columns: vec!["a".into(), "b".into()],
            ..SampleArgs::default()
        };
        let Some(DocumentFormat::Csv(options)) = args.format(Path::new("sample.csv")).expect("valid") else {
            panic!("a CSV format");
        };
        assert_eq!((options.delimiter, options.header, options.columns.len()), (b';', false, 2));

        let tab = SampleArgs { delimiter: Some("tab".into()), ..SampleArgs::default() };
        assert!(matches!(
            tab.format(Path::new("x.csv")),
            Ok(Some(DocumentFormat::Csv(CsvOptions { delimiter: b'\t', .. })))
        ));

        let wrong = SampleArgs { delimiter: Some(";;".into()), ..SampleArgs::default() };
        let error = format!("{:#}", wrong.format(Path::new("x.csv")).expect_err("two characters"));
        assert!(error.contains("one ASCII character"), "{error}");

        let misplaced =
            SampleArgs { format: Some("JSON".into()), delimiter: Some(";".into()), ..SampleArgs::default() };
        let error = format!("{:#}", misplaced.format(Path::new("x.json")).expect_err("JSON has no delimiter"));
        assert!(error.contains("delimiter"), "{error}");

        assert_eq!(SampleArgs::default().format(Path::new("x.csv")).expect("no flags"), None);
    }

    #[test]
    fn fixed_width_columns_are_name_start_width() {
        let args = SampleArgs {
            format: Some("FIXED".into()),
            columns: vec!["id:0:4".into(), "name:4:20".into()],
            ..SampleArgs::default()
        };
        let Some(DocumentFormat::FixedWidth(options)) = args.format(Path::new("x.txt")).expect("valid") else {
            panic!("a fixed-width format");
        };
        assert_eq!(options.columns.len(), 2);
        let bad = SampleArgs { format: Some("FIXED".into()), columns: vec!["id:0".into()], ..SampleArgs::default() };
        assert!(format!("{:#}", bad.format(Path::new("x.txt")).expect_err("no width")).contains("name:start:width"));
    }
}
