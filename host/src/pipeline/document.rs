//! Document formats as projects and packages name them (`CSV`, `CSV-Unicode`, `XML-Element`,
//! …), with their options from the project, opened on files for reading and writing.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use wharf_plugin_sdk::{BatchBuilder, Row, ValueRef};

use crate::entity::Entity;
use crate::formats::csv::CsvOptions;
use crate::formats::excel::{ExcelOptions, ExcelWriterOptions};
use crate::formats::fixed::{FixedColumn, FixedWidthOptions};
use crate::formats::json::{JsonOptions, JsonShape};
use crate::formats::text::Encoding;
use crate::formats::xml::{XmlOptions, XmlStyle, XmlWriterOptions};
use crate::formats::{self, Batches, RowWriter};

/// A document format with its options.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentFormat {
    /// Delimited text: D365's `CSV` (UTF-8) and `CSV-Unicode` (UTF-16 LE with BOM).
    Csv(CsvOptions),
    /// D365's `<Document>` files, `XML-Element` or `XML-Attribute`.
    Xml {
        /// How records are written (both styles are read).
        style: XmlStyle,
        /// How records are read.
        options: XmlOptions,
    },
    /// A JSON array, NDJSON or an OData `{"value": [...]}` envelope.
    Json(JsonOptions),
    /// An `.xlsx` workbook, one sheet per entity.
    Excel(ExcelOptions),
    /// Fixed-width text.
    FixedWidth(FixedWidthOptions),
    /// The whole document as one row (`name`, `content`) for a mapper plugin: partner XML,
    /// JSON or text that only the plugin understands.
    Whole,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct CsvSettings {
    delimiter: Option<String>,
    text_qualifier: Option<String>,
    header: Option<bool>,
    columns: Vec<String>,
    max_field_bytes: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct XmlSettings {
    record: Option<String>,
    max_field_bytes: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct JsonSettings {
    shape: Option<String>,
    max_field_bytes: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ExcelSettings {
    sheet: Option<String>,
    max_field_bytes: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct FixedSettings {
    columns: Vec<FixedColumnSettings>,
    header: bool,
    max_field_bytes: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixedColumnSettings {
    name: String,
    start: usize,
    width: usize,
}

fn settings<T: for<'de> Deserialize<'de>>(options: &toml::Table, format: &str) -> Result<T> {
    options.clone().try_into().with_context(|| format!("invalid options for {format}"))
}

/// A one-character option (`delimiter = ";"`), with `tab` and `\t` for a tab.
fn single_byte(text: &str, option: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => bail!("{option} must be one ASCII character, not {text:?}"),
    }
}

impl DocumentFormat {
    /// The format named `name` (D365's names, any case, plus `JSON`, `FIXED` and `DOCUMENT`)
    /// with `options` from a project.
    pub fn parse(name: &str, options: &toml::Table) -> Result<DocumentFormat> {
        let upper = name.trim().to_ascii_uppercase();
        Ok(match upper.as_str() {
            "CSV" | "CSV-UNICODE" => {
                let settings: CsvSettings = settings(options, name)?;
                let mut csv = CsvOptions::default();
                if upper == "CSV-UNICODE" {
                    csv.encoding = Encoding::Utf16Le;
                }
                if let Some(delimiter) = &settings.delimiter {
                    csv.delimiter = single_byte(delimiter, "delimiter")?;
                }
                if let Some(qualifier) = &settings.text_qualifier {
                    csv.text_qualifier =
                        if qualifier.is_empty() { None } else { Some(single_byte(qualifier, "text_qualifier")?) };
                }
                csv.header = settings.header.unwrap_or(settings.columns.is_empty());
                csv.columns = settings.columns;
                if let Some(max) = settings.max_field_bytes {
                    csv.max_field_bytes = max;
                }
                DocumentFormat::Csv(csv)
            }
            "XML-ELEMENT" | "XML-ATTRIBUTE" | "XML" => {
                let settings: XmlSettings = settings(options, name)?;
                let mut xml = XmlOptions { record: settings.record, ..XmlOptions::default() };
                if let Some(max) = settings.max_field_bytes {
                    xml.max_field_bytes = max;
                }
                let style = if upper == "XML-ELEMENT" { XmlStyle::Element } else { XmlStyle::Attribute };
                DocumentFormat::Xml { style, options: xml }
            }
            "JSON" => {
                let settings: JsonSettings = settings(options, name)?;
                let shape = match settings.shape.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("array") => JsonShape::Array,
                    Some("ndjson") => JsonShape::Ndjson,
                    Some("odata") => JsonShape::OData,
                    Some(other) => bail!("unknown JSON shape {other:?} (array, ndjson or odata)"),
                };
                let mut json = JsonOptions { shape, ..JsonOptions::default() };
                if let Some(max) = settings.max_field_bytes {
                    json.max_field_bytes = max;
                }
                DocumentFormat::Json(json)
            }
            "EXCEL" | "XLSX" => {
                let settings: ExcelSettings = settings(options, name)?;
                let mut excel = ExcelOptions { sheet: settings.sheet, ..ExcelOptions::default() };
                if let Some(max) = settings.max_field_bytes {
                    excel.max_field_bytes = max;
                }
                DocumentFormat::Excel(excel)
            }
            "FIXED" | "FIXED-WIDTH" => {
                let settings: FixedSettings = settings(options, name)?;
                if settings.columns.is_empty() {
                    bail!("fixed-width needs `columns = [{{ name, start, width }}, …]`");
                }
                let columns = settings
                    .columns
                    .into_iter()
                    .map(|column| FixedColumn { name: column.name, start: column.start, width: column.width })
                    .collect();
                let mut fixed = FixedWidthOptions { columns, header: settings.header, ..FixedWidthOptions::default() };
                if let Some(max) = settings.max_field_bytes {
                    fixed.max_field_bytes = max;
                }
                DocumentFormat::FixedWidth(fixed)
            }
            "DOCUMENT" => DocumentFormat::Whole,
            _ => bail!(
                "unknown format {name:?} (CSV, CSV-Unicode, XML-Element, XML-Attribute, JSON, EXCEL, FIXED or DOCUMENT)"
            ),
        })
    }

    /// The name a data package's manifest gives this format.
    pub fn d365_name(&self) -> &'static str {
        match self {
            DocumentFormat::Csv(options) if options.encoding == Encoding::Utf16Le => "CSV-Unicode",
            DocumentFormat::Csv(_) => "CSV",
            DocumentFormat::Xml { style: XmlStyle::Element, .. } => "XML-Element",
            DocumentFormat::Xml { style: XmlStyle::Attribute, .. } => "XML-Attribute",
            DocumentFormat::Json(_) => "JSON",
            DocumentFormat::Excel(_) => "EXCEL",
            DocumentFormat::FixedWidth(_) => "FIXED",
            DocumentFormat::Whole => "DOCUMENT",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            DocumentFormat::Csv(_) => "csv",
            DocumentFormat::Xml { .. } => "xml",
            DocumentFormat::Json(_) => "json",
            DocumentFormat::Excel(_) => "xlsx",
            DocumentFormat::FixedWidth(_) | DocumentFormat::Whole => "txt",
        }
    }

    /// The format name a transform plugin sees in its document.
    pub fn plugin_name(&self) -> &'static str {
        match self {
            DocumentFormat::Whole => "text",
            other => other.extension(),
        }
    }

    /// Opens `path` for reading in batches of `batch_size`.
    pub fn open(&self, path: &Path, batch_size: usize) -> Result<OpenDocument> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let bytes_read = ReadCounter::default();
        let counted = Counted { inner: file, counter: bytes_read.clone() };
        let batches: Batches<'static> = match self {
            DocumentFormat::Csv(options) => formats::csv::reader(BufReader::new(counted), options, batch_size)?,
            DocumentFormat::Xml { options, .. } => formats::xml::reader(BufReader::new(counted), options, batch_size)?,
            DocumentFormat::Json(options) => formats::json::reader(BufReader::new(counted), options, batch_size)?,
            DocumentFormat::FixedWidth(options) => {
                formats::fixed::reader(BufReader::new(counted), options, batch_size)?
            }
            // A workbook is a zip: the reader seeks, so bytes read mean little; the file's
            // size is reported once it is open.
            DocumentFormat::Excel(options) => {
                bytes_read.0.store(counted.inner.metadata().map(|m| m.len()).unwrap_or(0), Ordering::Relaxed);
                formats::excel::reader(BufReader::new(counted.inner), options, batch_size)?
            }
            DocumentFormat::Whole => {
                let mut content = String::new();
                BufReader::new(counted)
                    .read_to_string(&mut content)
                    .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
                let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
                Box::new(std::iter::once(Ok(formats::document_batch(&name, &content))))
            }
        };
        Ok(OpenDocument { batches, bytes_read })
    }

    /// Reads all of `path` once, checking it parses, and counts its rows.
    pub fn count_rows(&self, path: &Path, batch_size: usize) -> Result<u64> {
        let mut rows = 0u64;
        for batch in self.open(path, batch_size)?.batches {
            rows += batch?.len() as u64;
        }
        Ok(rows)
    }

    /// Creates `path` and a writer of rows with `columns` for `entity`'s records.
    pub fn writer(&self, path: &Path, columns: &[String], entity: &Entity) -> Result<Box<dyn RowWriter>> {
        let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let output = BufWriter::new(file);
        match self {
            DocumentFormat::Csv(options) => formats::csv::writer(output, options, columns),
            DocumentFormat::Xml { style, .. } => {
                let record = entity.name.to_ascii_uppercase();
                formats::xml::writer(output, &XmlWriterOptions { style: *style, record }, columns)
            }
            DocumentFormat::Json(options) => formats::json::writer(output, options, columns),
            DocumentFormat::Excel(_) => {
                let sheet = formats::excel::sheet_name(&entity.label);
                formats::excel::writer(output, &ExcelWriterOptions { sheet }, columns)
            }
            DocumentFormat::FixedWidth(_) | DocumentFormat::Whole => {
                bail!("{} is read only: export to CSV, XML, JSON or EXCEL", self.d365_name())
            }
        }
    }
}

/// A document open for reading.
pub struct OpenDocument {
    /// Its batches.
    pub batches: Batches<'static>,
    /// How far into the file reading has got.
    pub bytes_read: ReadCounter,
}

impl std::fmt::Debug for OpenDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenDocument").field("bytes_read", &self.bytes_read).finish_non_exhaustive()
    }
}

/// Bytes read from a file so far, shared with the thread reporting progress.
#[derive(Debug, Clone, Default)]
pub struct ReadCounter(Arc<AtomicU64>);

impl ReadCounter {
    /// The bytes read so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counted<R> {
    inner: R,
    counter: ReadCounter,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.counter.0.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}

/// The rejected rows of one document: where they were, why, and their source values, as CSV
/// an operator can open, fix and import again.
pub struct ErrorFile {
    writer: Box<dyn RowWriter>,
    columns: Vec<String>,
    source_columns: Vec<String>,
    /// Rejected rows listed so far.
    listed: u64,
}

/// Rejected rows one error file lists. A plugin can reject far more rows than anyone reads,
/// and each listed row costs disk; past this the file says the rest are not listed.
pub const MAX_LISTED_ERRORS: u64 = 100_000;

impl std::fmt::Debug for ErrorFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErrorFile").field("source_columns", &self.source_columns).finish_non_exhaustive()
    }
}

/// The error file's own columns, before the source's. `RecordId` (D365's name for it) is the
/// rejected row's 1-based data row in the document, the first row after the header being 1;
/// plugins name rows by their 0-based index in a batch, which the import turns into this.
const ERROR_COLUMNS: [&str; 4] = ["RecordId", "Entity", "Field", "ErrorMessage"];

impl ErrorFile {
    /// Creates `path`, with the source's `columns` after the error columns.
    pub fn create(path: &Path, source_columns: &[String]) -> Result<ErrorFile> {
        let columns: Vec<String> =
            ERROR_COLUMNS.iter().map(|name| (*name).to_owned()).chain(source_columns.iter().cloned()).collect();
        let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let writer = formats::csv::writer(BufWriter::new(file), &CsvOptions::default(), &columns)?;
        Ok(ErrorFile { writer, columns, source_columns: source_columns.to_vec(), listed: 0 })
    }

    /// Adds a rejected row; `source` is its row in the source batch (matched by column name,
    /// since XML and JSON batches can differ in columns).
    pub fn write(
        &mut self,
        record: u64,
        entity: &str,
        field: Option<&str>,
        message: &str,
        source: Option<Row<'_>>,
    ) -> Result<()> {
        self.listed += 1;
        if self.listed > MAX_LISTED_ERRORS + 1 {
            return Ok(());
        }
        if self.listed > MAX_LISTED_ERRORS {
            let note = format!(
                "more rows were rejected: this file lists the first {MAX_LISTED_ERRORS}; the execution counts them all"
            );
            return self.write_row("", entity, None, &note, None);
        }
        self.write_row(&record.to_string(), entity, field, message, source)
    }

    fn write_row(
        &mut self,
        record: &str,
        entity: &str,
        field: Option<&str>,
        message: &str,
        source: Option<Row<'_>>,
    ) -> Result<()> {
        let mut cells: Vec<ValueRef<'_>> = vec![record.into(), entity.into(), field.into(), message.into()];
        cells.extend(
            self.source_columns.iter().map(|column| source.and_then(|row| row.get(column)).unwrap_or(ValueRef::Null)),
        );
        let mut builder = BatchBuilder::new(self.columns.iter().cloned());
        builder.push_row(&cells);
        self.writer.write_batch(&builder.finish())
    }

    /// Completes the file.
    pub fn finish(self) -> Result<()> {
        self.writer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_file_lists_the_first_rejected_rows_and_then_says_the_rest_are_not_listed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("errors.csv");
        let mut file = ErrorFile::create(&path, &["A".to_owned()]).expect("created");
        for record in 1..=MAX_LISTED_ERRORS + 10 {
            file.write(record, "E", Some("A"), "bad", None).expect("written");
        }
        file.finish().expect("finished");
        let text = std::fs::read_to_string(&path).expect("the file");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, 1 + MAX_LISTED_ERRORS + 1, "header, the listed rows, one note");
        let last = lines.last().expect("a last line");
        assert!(last.starts_with(",E,,more rows were rejected: this file lists the first 100000"), "{last}");
    }
}
