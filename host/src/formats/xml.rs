//! D365 XML data files ⇄ row batches: a root element (`<Document>`) holding one element per
//! record, named after the entity, whose fields are attributes (XML-Attribute style) or child
//! elements (XML-Element style). Read as a stream, so memory stays at one batch.
//!
//! Hostile input is refused rather than worked around: any `<!DOCTYPE` is an error, which
//! refuses entity expansion bombs ("billion laughs") and external entities
//! (`SYSTEM "file:///etc/passwd"`) outright, since a data file has no use for a DTD; an entity
//! reference other than the five XML ones is an error; nesting is limited; and the parser is
//! never handed more bytes than the field and record limits allow, so a 1 GB text node or
//! attribute costs a bounded amount of memory before it is refused.
//!
//! Errors name the line where the parser stopped, counted from the bytes it consumed (a cheap
//! count of newlines, exact for UTF-8 and UTF-16 alike), and the record and field when known.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, Read, Write};

use anyhow::{Context as _, Result, anyhow, bail};
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::reader::Reader;
use serde::Deserialize;
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

use super::text::{self, DEFAULT_MAX_FIELD_BYTES, Encoding};
use super::{Batches, RowWriter};

/// How to read an XML data file. Deserializes from a data project's settings, where any
/// missing field takes its default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XmlOptions {
    /// Read only the records whose element has this name (ASCII case-insensitive), and skip
    /// the root's other children; `None` reads every child of the root. Skipping rather than
    /// refusing lets a caller pick one entity out of a document that holds several; skipped
    /// elements must still be well-formed and within `max_depth`.
    pub record: Option<String>,
    /// Most bytes one field may hold, unescaped. D365 itself truncates text at 32,768
    /// characters; the limit defends memory against a huge text node or attribute.
    pub max_field_bytes: usize,
    /// Most bytes of the document one record may span. An attribute-style record is a single
    /// tag that the parser holds whole, so this (not `max_field_bytes`) bounds that tag; it
    /// also bounds markup between records.
    pub max_record_bytes: usize,
    /// Deepest nesting of elements, the root included. Defends the parser's stack of open
    /// elements against deeply nested input.
    pub max_depth: usize,
}

impl Default for XmlOptions {
    fn default() -> Self {
        XmlOptions { record: None, max_field_bytes: DEFAULT_MAX_FIELD_BYTES, max_record_bytes: 16 << 20, max_depth: 64 }
    }
}

/// Reads the records of an XML data file from `input`, at most `batch_size` at a time.
///
/// Attributes and child elements both become fields, in one record even; a batch's columns
/// are the fields its records have, in order of first appearance. An empty field (`NAME=""`,
/// `<NAME/>`, `<NAME></NAME>`) is `String("")`; an absent field, or an element marked
/// `xsi:nil="true"` (any prefix), is `Null`. Namespace prefixes are dropped: fields are named by
/// their local names. Text is kept as written, whitespace included.
///
/// The input is UTF-8, with or without a byte order mark, or UTF-16 with one. The XML
/// declaration's `encoding` is not trusted to switch to anything else.
pub fn reader<'a, R: Read + Send + 'a>(input: R, options: &XmlOptions, batch_size: usize) -> Result<Batches<'a>> {
    let decoded = decode(input)?;
    let mut parser = Reader::from_reader(MeteredInput::new(decoded));
    let config = parser.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.trim_text(false);
    Ok(Box::new(XmlBatches {
        parser,
        event_buffer: Vec::new(),
        options: options.clone(),
        batch_size: batch_size.max(1),
        depth: 0,
        root: RootState::NotSeen,
        records_read: 0,
        event_start: 0,
        record: None,
        field: None,
        skipping: false,
        batch: BatchInProgress::default(),
        done: false,
    }))
}

/// Turns `input` into UTF-8 with [`text::decode`], after refusing UTF-16 without a byte order
/// mark, which would otherwise reach the parser as UTF-8 with a NUL after every character.
fn decode<'a, R: Read + Send + 'a>(mut input: R) -> Result<Box<dyn Read + Send + 'a>> {
    let mut head = [0u8; 2];
    let mut filled = 0;
    while let Some(rest) = head.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error).context("cannot read the XML document"),
        }
    }
    let start = head.get(..filled).unwrap_or_default();
    if start == [b'<', 0] || start == [0, b'<'] {
        bail!("the XML document looks like UTF-16 without a byte order mark; only UTF-8 and UTF-16 with one are read");
    }
    let head = Cursor::new(head).take(filled as u64);
    Ok(Box::new(text::decode(head.chain(input), Encoding::Auto)?))
}

/// Slack over a field's remaining budget for the markup around its text (`<![CDATA[`, `]]>`).
const FIELD_MARKUP_SLACK: u64 = 64;

/// The document's bytes on their way to the parser, metered: the count of newlines gives an
/// error its line, and a budget, set before each event, stops the parser from buffering a
/// token (a text node, a tag) bigger than the limits allow.
struct MeteredInput<'a> {
    inner: BufReader<Box<dyn Read + Send + 'a>>,
    /// Bytes the parser has consumed.
    position: u64,
    /// 1 + the newlines the parser has consumed.
    line: u64,
    /// The parser may not ask for more once `position` passes this.
    budget_end: u64,
    /// Whether the parser asked for more than its budget (the I/O error it got is ours).
    over_budget: bool,
}

impl<'a> MeteredInput<'a> {
    fn new(inner: Box<dyn Read + Send + 'a>) -> Self {
        MeteredInput { inner: BufReader::new(inner), position: 0, line: 1, budget_end: 0, over_budget: false }
    }

    /// Lets the parser consume `bytes` more (plus what is already buffered when it runs out).
    fn allow(&mut self, bytes: u64) {
        self.budget_end = self.position.saturating_add(bytes);
        self.over_budget = false;
    }
}

impl Read for MeteredInput<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let count = available.len().min(buffer.len());
        if let (Some(target), Some(source)) = (buffer.get_mut(..count), available.get(..count)) {
            target.copy_from_slice(source);
        }
        self.consume(count);
        Ok(count)
    }
}

impl BufRead for MeteredInput<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.position > self.budget_end {
            self.over_budget = true;
            return Err(io::Error::other("a token is longer than the limits allow"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        let buffered = self.inner.buffer();
        let consumed = buffered.get(..amount).unwrap_or(buffered);
        let newlines = consumed.iter().filter(|&&byte| byte == b'\n').count();
        self.line = self.line.saturating_add(newlines as u64);
        self.position = self.position.saturating_add(amount as u64);
        self.inner.consume(amount);
    }
}

/// Which limit the parser's current budget comes from, to name it when it is exceeded.
#[derive(Debug, Clone, Copy)]
enum Limit {
    Field,
    Record,
    OutsideRecords,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootState {
    NotSeen,
    Open,
    Closed,
}

/// What one event did.
enum Progress {
    Continue,
    RecordFinished,
    DocumentFinished,
}

/// A record being read: its fields so far, as (column in the batch, text; `None` is null).
struct RecordInProgress {
    number: u64,
    /// Where its start tag begins in the document, for the record budget.
    start: u64,
    cells: Vec<(usize, Option<String>)>,
}

/// An element-style field being read.
struct FieldInProgress {
    name: String,
    column: usize,
    text: String,
    nil: bool,
}

/// The records of the batch being built, and its columns so far.
#[derive(Default)]
struct BatchInProgress {
    columns: Vec<String>,
    column_indexes: HashMap<String, usize>,
    /// For each column, the last record that had it: finds a field repeated in a record.
    last_record_with_column: Vec<u64>,
    rows: Vec<Vec<(usize, Option<String>)>>,
}

impl BatchInProgress {
    /// The column for field `name` in record `record`, added if new; `None` when the record
    /// already had that field.
    fn column_for(&mut self, name: &str, record: u64) -> Option<usize> {
        let column = match self.column_indexes.get(name) {
            Some(&column) => column,
            None => {
                let column = self.columns.len();
                self.columns.push(name.to_owned());
                self.column_indexes.insert(name.to_owned(), column);
                self.last_record_with_column.push(0);
                column
            }
        };
        let last_record = self.last_record_with_column.get_mut(column)?;
        if *last_record == record {
            return None;
        }
        *last_record = record;
        Some(column)
    }

    fn take(&mut self) -> Batch {
        let BatchInProgress { columns, rows, .. } = std::mem::take(self);
        let mut builder = BatchBuilder::new(columns);
        let mut values: Vec<ValueRef<'_>> = Vec::with_capacity(builder.columns().len());
        for row in &rows {
            values.clear();
            values.resize(builder.columns().len(), ValueRef::Null);
            for (column, text) in row {
                if let (Some(value), Some(text)) = (values.get_mut(*column), text) {
                    *value = ValueRef::String(text);
                }
            }
            builder.push_row(&values);
        }
        builder.finish()
    }
}

/// The batches of an XML data file; see [`reader`].
struct XmlBatches<'a> {
    parser: Reader<MeteredInput<'a>>,
    event_buffer: Vec<u8>,
    options: XmlOptions,
    batch_size: usize,
    /// Elements open now.
    depth: usize,
    root: RootState,
    records_read: u64,
    /// Where the event being read begins.
    event_start: u64,
    record: Option<RecordInProgress>,
    field: Option<FieldInProgress>,
    /// Whether the open child of the root is a record of another name, being skipped.
    skipping: bool,
    batch: BatchInProgress,
    done: bool,
}

impl Iterator for XmlBatches<'_> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if self.done {
            return None;
        }
        loop {
            match self.next_event() {
                Ok(Progress::Continue) => {}
                Ok(Progress::RecordFinished) => {
                    if self.batch.rows.len() >= self.batch_size {
                        return Some(Ok(self.batch.take()));
                    }
                }
                Ok(Progress::DocumentFinished) => {
                    self.done = true;
                    return (!self.batch.rows.is_empty()).then(|| Ok(self.batch.take()));
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

impl XmlBatches<'_> {
    fn next_event(&mut self) -> Result<Progress> {
        // The event borrows the buffer while its handlers borrow `self`, so the buffer is
        // lent out for the duration and put back (keeping its allocation) afterwards.
        let mut buffer = std::mem::take(&mut self.event_buffer);
        buffer.clear();
        let progress = self.read_event(&mut buffer);
        self.event_buffer = buffer;
        progress
    }

    fn read_event(&mut self, buffer: &mut Vec<u8>) -> Result<Progress> {
        let (budget, limit) = self.budget();
        let input = self.parser.get_mut();
        input.allow(budget);
        self.event_start = input.position;
        let event = match self.parser.read_event_into(buffer) {
            Ok(event) => event,
            Err(error) if self.parser.get_ref().over_budget => return Err(self.limit_error(limit, error)),
            Err(error) => return Err(anyhow::Error::new(error).context(format!("malformed XML ({})", self.location()))),
        };
        match event {
            Event::Start(start) => self.open(&start, false),
            Event::Empty(start) => self.open(&start, true),
            Event::End(_) => Ok(self.close()),
            Event::Text(text) => self.text(&text.xml10_content()),
            Event::CData(cdata) => self.text(&cdata.xml10_content()),
            Event::GeneralRef(reference) => self.reference(&reference),
            Event::DocType(_) => Err(self.error(
                "the document has a DOCTYPE, which is refused: a data file needs no DTD, and \
                 DTD entities are how entity expansion bombs and external entities get in",
            )),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => Ok(Progress::Continue),
            Event::Eof => self.end_of_document(),
        }
    }

    /// How many bytes the next event may take, and which limit that comes from.
    fn budget(&self) -> (u64, Limit) {
        let position = self.parser.get_ref().position;
        let max_record = self.options.max_record_bytes as u64;
        let Some(record) = &self.record else {
            return (max_record, Limit::OutsideRecords);
        };
        let record_left = record.start.saturating_add(max_record).saturating_sub(position);
        if let Some(field) = &self.field {
            let field_left = (self.options.max_field_bytes.saturating_sub(field.text.len()) as u64)
                .saturating_add(FIELD_MARKUP_SLACK);
            if field_left < record_left {
                return (field_left, Limit::Field);
            }
        }
        (record_left, Limit::Record)
    }

    fn open(&mut self, start: &BytesStart<'_>, empty: bool) -> Result<Progress> {
        if self.depth >= self.options.max_depth {
            return Err(self.error(format!("elements nest deeper than {} levels", self.options.max_depth)));
        }
        match self.depth {
            0 if self.root == RootState::Closed => return Err(self.error("an element follows the root element")),
            0 => self.root = RootState::Open,
            1 => {
                let name = start.local_name();
                let wanted =
                    self.options.record.as_deref().is_none_or(|record| record.eq_ignore_ascii_case(name.as_ref()));
                if wanted {
                    self.begin_record(start)?;
                } else {
                    self.skipping = true;
                }
            }
            2 if self.record.is_some() => self.begin_field(start)?,
            _ if self.skipping => {}
            _ => {
                let name = start.local_name();
                return Err(self.error(format!("holds an element <{}>, but a field holds only text", name.as_ref())));
            }
        }
        self.depth += 1;
        Ok(if empty { self.close() } else { Progress::Continue })
    }

    fn begin_record(&mut self, start: &BytesStart<'_>) -> Result<()> {
        self.records_read += 1;
        let number = self.records_read;
        self.record = Some(RecordInProgress { number, start: self.event_start, cells: Vec::new() });
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|error| self.xml_error(error))?;
            if attribute.key.as_namespace_binding().is_some() {
                continue;
            }
            let name = attribute.key.local_name();
            let name = name.as_ref();
            let value = attribute
                .normalized_value_with(XmlVersion::Implicit1_0, 1, resolve_xml_entity)
                .map_err(|error| self.xml_error(error).context(format!("in field {name}")))?;
            if value.len() > self.options.max_field_bytes {
                return Err(self.error(format!(
                    "field {name} is longer than {} bytes (max_field_bytes)",
                    self.options.max_field_bytes
                )));
            }
            let column = self.batch.column_for(name, number);
            let Some(column) = column else {
                return Err(self.error(format!("field {name} appears twice")));
            };
            if let Some(record) = &mut self.record {
                record.cells.push((column, Some(value.into_owned())));
            }
        }
        Ok(())
    }

    fn begin_field(&mut self, start: &BytesStart<'_>) -> Result<()> {
        let name = start.local_name().as_ref().to_owned();
        let number = self.record.as_ref().map_or(0, |record| record.number);
        let Some(column) = self.batch.column_for(&name, number) else {
            return Err(self.error(format!("field {name} appears twice")));
        };
        // `xsi:nil="true"` is how .NET's serializers write a null element; any prefix will do.
        let nil = start
            .attributes()
            .flatten()
            .any(|attribute| attribute.key.local_name().as_ref() == "nil" && attribute.value.as_ref() == "true");
        self.field = Some(FieldInProgress { name, column, text: String::new(), nil });
        Ok(())
    }

    fn close(&mut self) -> Progress {
        self.depth = self.depth.saturating_sub(1);
        match self.depth {
            0 => {
                self.root = RootState::Closed;
                Progress::Continue
            }
            1 if self.skipping => {
                self.skipping = false;
                Progress::Continue
            }
            1 => match self.record.take() {
                Some(record) => {
                    self.batch.rows.push(record.cells);
                    Progress::RecordFinished
                }
                None => Progress::Continue,
            },
            2 => {
                if let (Some(field), Some(record)) = (self.field.take(), &mut self.record) {
                    let value = (!(field.nil && field.text.is_empty())).then_some(field.text);
                    record.cells.push((field.column, value));
                }
                Progress::Continue
            }
            _ => Progress::Continue,
        }
    }

    fn text(&mut self, text: &str) -> Result<Progress> {
        if let Some(field) = &mut self.field {
            field.text.push_str(text);
            if field.text.len() > self.options.max_field_bytes {
                return Err(
                    self.error(format!("is longer than {} bytes (max_field_bytes)", self.options.max_field_bytes))
                );
            }
            return Ok(Progress::Continue);
        }
        let whitespace = text.trim_matches(|character| matches!(character, ' ' | '\t' | '\r' | '\n')).is_empty();
        if self.skipping || whitespace {
            return Ok(Progress::Continue);
        }
        let place = if self.record.is_some() { "between the fields of a record" } else { "outside the records" };
        Err(self.error(format!("has text {place}: {:?}", text.chars().take(40).collect::<String>())))
    }

    fn reference(&mut self, reference: &BytesRef<'_>) -> Result<Progress> {
        let character = reference.resolve_char_ref().map_err(|error| self.xml_error(error))?;
        let mut encoded = [0u8; 4];
        let text = match character {
            Some(character) => &*character.encode_utf8(&mut encoded),
            None => match resolve_xml_entity(reference) {
                Some(text) => text,
                None => {
                    let name: &str = reference;
                    return Err(self.error(format!(
                        "has an unknown entity reference &{name}; (only &amp; &lt; &gt; &quot; &apos; and \
                         character references are known)"
                    )));
                }
            },
        };
        self.text(text)
    }

    fn end_of_document(&mut self) -> Result<Progress> {
        match self.root {
            RootState::NotSeen => Err(self.error("the document has no root element")),
            RootState::Open => Err(self.error(format!(
                "the document ends with {} element(s) still open: it is truncated or unbalanced",
                self.depth
            ))),
            RootState::Closed => Ok(Progress::DocumentFinished),
        }
    }

    /// Where the parser is: the line, and the record and field it is in.
    fn location(&self) -> Location<'_> {
        Location {
            line: self.parser.get_ref().line,
            record: self.record.as_ref().map(|record| record.number),
            field: self.field.as_ref().map(|field| field.name.as_str()),
        }
    }

    fn error(&self, message: impl fmt::Display) -> anyhow::Error {
        anyhow!("{}: {message}", self.location())
    }

    fn xml_error(&self, error: impl std::error::Error + Send + Sync + 'static) -> anyhow::Error {
        anyhow::Error::new(error).context(format!("malformed XML ({})", self.location()))
    }

    fn limit_error(&self, limit: Limit, error: quick_xml::Error) -> anyhow::Error {
        let message = match limit {
            Limit::Field => format!("is longer than {} bytes (max_field_bytes)", self.options.max_field_bytes),
            Limit::Record => {
                format!("the record is longer than {} bytes (max_record_bytes)", self.options.max_record_bytes)
            }
            Limit::OutsideRecords => format!(
                "a tag, or text between records, is longer than {} bytes (max_record_bytes)",
                self.options.max_record_bytes
            ),
        };
        anyhow::Error::new(error).context(format!("{}: {message}", self.location()))
    }
}

/// Where an error is, as "line 12, record 3, field NAME".
struct Location<'a> {
    line: u64,
    record: Option<u64>,
    field: Option<&'a str>,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(record) = self.record {
            write!(f, ", record {record}")?;
        }
        if let Some(field) = self.field {
            write!(f, ", field {field}")?;
        }
        Ok(())
    }
}

/// Where a written record puts its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlStyle {
    /// D365's XML-Attribute: `<CUSTOMER ACCOUNT="C1" NAME="Contoso" />`.
    Attribute,
    /// D365's XML-Element: `<CUSTOMER><ACCOUNT>C1</ACCOUNT><NAME>Contoso</NAME></CUSTOMER>`.
    Element,
}

/// How to write an XML data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlWriterOptions {
    /// Where fields go.
    pub style: XmlStyle,
    /// The element name of every record: the entity's name, usually uppercase
    /// (`CUSTCUSTOMERV3ENTITY`).
    pub record: String,
}

/// Writes an XML data file to `output`: `<?xml version="1.0" encoding="utf-8"?>`, then a
/// `<Document>` holding one element per row, in `options.style`.
///
/// `Null` fields are left out in both styles; an empty string is written (`NAME=""`,
/// `<NAME />`), so the reader tells them apart. Typed values are written as text (integers
/// as digits, floats in their shortest round-trip form, booleans as `true`/`false`, dates and
/// date-times as ISO 8601). Tabs, line feeds and carriage returns are written as character
/// references so that they survive attribute normalisation. Column and record names must be
/// XML names without a prefix; text holding a character XML 1.0 cannot carry (most control
/// characters) is an error.
pub fn writer<'a, W: Write + Send + 'a>(
    output: W,
    options: &XmlWriterOptions,
    columns: &[String],
) -> Result<Box<dyn RowWriter + 'a>> {
    check_name(&options.record).context("invalid record element name")?;
    for (index, column) in columns.iter().enumerate() {
        check_name(column).with_context(|| format!("invalid column name {column:?}"))?;
        if columns.get(..index).is_some_and(|earlier| earlier.contains(column)) {
            bail!("column {column} appears twice; a record cannot hold a field twice");
        }
    }
    let mut output = BufWriter::new(output);
    output
        .write_all(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Document>\n")
        .context("cannot write the XML header")?;
    Ok(Box::new(XmlWriter {
        output,
        style: options.style,
        record: options.record.clone(),
        columns: columns.to_vec(),
        rows_written: 0,
        line: String::new(),
        text: String::new(),
    }))
}

/// Checks that `name` is an XML name without a namespace prefix (the subset D365 uses:
/// letters, digits, `_`, `-`, `.`, not starting with a digit, `-` or `.`).
fn check_name(name: &str) -> Result<()> {
    let mut characters = name.chars();
    let valid_start = characters.next().is_some_and(|first| first.is_alphabetic() || first == '_');
    let valid_rest = characters.all(|character| character.is_alphanumeric() || matches!(character, '_' | '-' | '.'));
    if !(valid_start && valid_rest) {
        bail!("{name:?} is not an XML element or attribute name (letters, digits, _ - . and no leading digit)");
    }
    Ok(())
}

/// An XML data file being written; see [`writer`].
struct XmlWriter<W: Write> {
    output: BufWriter<W>,
    style: XmlStyle,
    record: String,
    columns: Vec<String>,
    rows_written: u64,
    /// The record being written, sent to `output` whole.
    line: String,
    /// One value's text, before escaping.
    text: String,
}

impl<W: Write + Send> RowWriter for XmlWriter<W> {
    fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns() != self.columns.as_slice() {
            bail!(
                "the batch's columns ({}) are not the writer's ({})",
                batch.columns().join(", "),
                self.columns.join(", ")
            );
        }
        for row in batch.rows() {
            self.rows_written += 1;
            self.line.clear();
            self.line.push('<');
            self.line.push_str(&self.record);
            let mut has_elements = false;
            for (column, name) in self.columns.iter().enumerate() {
                self.text.clear();
                if !render(row.value(column), &mut self.text) {
                    continue;
                }
                if let Some(character) = self.text.chars().find(|&character| !is_xml_char(character)) {
                    bail!(
                        "row {}, field {name}: U+{:04X} cannot be written in XML 1.0",
                        self.rows_written,
                        u32::from(character)
                    );
                }
                match self.style {
                    XmlStyle::Attribute => {
                        self.line.push(' ');
                        self.line.push_str(name);
                        self.line.push_str("=\"");
                        escape_into(&mut self.line, &self.text, true);
                        self.line.push('"');
                    }
                    XmlStyle::Element => {
                        if !has_elements {
                            self.line.push('>');
                            has_elements = true;
                        }
                        self.line.push('<');
                        self.line.push_str(name);
                        if self.text.is_empty() {
                            self.line.push_str(" />");
                        } else {
                            self.line.push('>');
                            escape_into(&mut self.line, &self.text, false);
                            self.line.push_str("</");
                            self.line.push_str(name);
                            self.line.push('>');
                        }
                    }
                }
            }
            if has_elements {
                self.line.push_str("</");
                self.line.push_str(&self.record);
                self.line.push_str(">\n");
            } else {
                self.line.push_str(" />\n");
            }
            self.output.write_all(self.line.as_bytes()).context("cannot write an XML record")?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.output.write_all(b"</Document>\n").context("cannot write the end of the XML document")?;
        self.output.flush().context("cannot flush the XML document")
    }
}

/// Writes `value`'s text into `text`; false for `Null`, which has none.
fn render(value: ValueRef<'_>, text: &mut String) -> bool {
    use std::fmt::Write as _;
    match value {
        ValueRef::Null => return false,
        ValueRef::String(value) | ValueRef::Decimal(value) | ValueRef::Date(value) | ValueRef::DateTime(value) => {
            text.push_str(value);
        }
        // Writing to a `String` cannot fail, so there is no error to look at.
        ValueRef::Integer(number) => {
            let _ = write!(text, "{number}");
        }
        ValueRef::Float(number) => {
            let _ = write!(text, "{number}");
        }
        ValueRef::Boolean(flag) => text.push_str(if flag { "true" } else { "false" }),
    }
    true
}

/// Whether XML 1.0 can carry `character`, escaped or not.
fn is_xml_char(character: char) -> bool {
    matches!(character, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Appends `text` to `out`, escaped for an attribute value (`attribute`) or element content.
/// Tabs and line breaks become character references in attributes, where a parser would
/// otherwise normalise them to spaces, and carriage returns everywhere, where it would
/// otherwise turn `\r\n` into `\n`.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::text::test_input::Generated;

    fn read_all(document: &[u8], options: &XmlOptions, batch_size: usize) -> Result<Vec<Batch>> {
        reader(document, options, batch_size)?.collect()
    }

    fn read_error(document: &[u8], options: &XmlOptions) -> String {
        let outcome = reader(document, options, 100).and_then(|batches| batches.collect::<Result<Vec<Batch>>>());
        match outcome {
            Ok(batches) => panic!("expected an error, read {batches:?}"),
            Err(error) => format!("{error:#}"),
        }
    }

    /// Every row of `batches` as (column, cell) pairs, nulls included.
    fn cells(batches: &[Batch]) -> Vec<Vec<(String, Option<String>)>> {
        let mut rows = Vec::new();
        for batch in batches {
            for row in batch.rows() {
                let cells = batch
                    .columns()
                    .iter()
                    .enumerate()
                    .map(|(index, name)| {
                        let value = row.value(index);
                        assert!(matches!(value, ValueRef::String(_) | ValueRef::Null), "{value:?}");
                        (name.clone(), value.as_str().map(str::to_owned))
                    })
                    .collect();
                rows.push(cells);
            }
        }
        rows
    }

    fn cell(name: &str, text: Option<&str>) -> (String, Option<String>) {
        (name.to_owned(), text.map(str::to_owned))
    }

    #[test]
    fn attribute_style_records_read_as_rows() {
        let document = br#"<?xml version="1.0" encoding="utf-8"?>
<Document><CUSTOMER ACCOUNT="C1" NAME="Contoso"/><CUSTOMER ACCOUNT="C2" NAME="Fabrikam"/></Document>"#;
        let batches = read_all(document, &XmlOptions::default(), 10).expect("valid");
        assert_eq!(
            cells(&batches),
            [
                vec![cell("ACCOUNT", Some("C1")), cell("NAME", Some("Contoso"))],
                vec![cell("ACCOUNT", Some("C2")), cell("NAME", Some("Fabrikam"))],
            ]
        );
    }

    #[test]
    fn element_style_records_read_as_rows_with_text_kept_as_written() {
        let document = concat!(
            "<Document>\n  <CUSTOMER>\n    <ACCOUNT>C1</ACCOUNT>\n",
            "    <NAME>  Contoso\nLtd </NAME>\n  </CUSTOMER>\n</Document>\n"
        );
        let batches = read_all(document.as_bytes(), &XmlOptions::default(), 10).expect("valid");
        assert_eq!(cells(&batches), [vec![cell("ACCOUNT", Some("C1")), cell("NAME", Some("  Contoso\nLtd "))]]);
    }

    #[test]
    fn attributes_and_child_elements_mix_in_one_record() {
        let document = br#"<Document><CUSTOMER ACCOUNT="C1"><NAME>Contoso</NAME></CUSTOMER></Document>"#;
        let batches = read_all(document, &XmlOptions::default(), 10).expect("valid");
        assert_eq!(cells(&batches), [vec![cell("ACCOUNT", Some("C1")), cell("NAME", Some("Contoso"))]]);
    }

    #[test]
    fn an_empty_field_is_an_empty_string_and_an_absent_or_nil_field_is_null() {
        let document = br#"<Document xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
<R A="" B="b"><C/><D></D></R>
<R A="a"><D i:nil="true"/></R>
</Document>"#;
        let batches = read_all(document, &XmlOptions::default(), 10).expect("valid");
        assert_eq!(
            cells(&batches),
            [
                vec![cell("A", Some("")), cell("B", Some("b")), cell("C", Some("")), cell("D", Some(""))],
                vec![cell("A", Some("a")), cell("B", None), cell("C", None), cell("D", None)],
            ]
        );
    }

    #[test]
    fn entities_character_references_and_cdata_are_unescaped() {
        let document = concat!(
            r#"<Document><R A="x &amp; &lt;y&gt; &quot;q&quot; &#233;&#x20AC;">"#,
            r#"<B>1 &lt; 2 &amp;&amp; caf&#xE9;</B><C><![CDATA[<not> & markup]]></C></R></Document>"#
        );
        let batches = read_all(document.as_bytes(), &XmlOptions::default(), 10).expect("valid");
        assert_eq!(
            cells(&batches),
            [vec![
                cell("A", Some("x & <y> \"q\" é€")),
                cell("B", Some("1 < 2 && café")),
                cell("C", Some("<not> & markup"))
            ]]
        );
    }

    #[test]
    fn namespace_prefixes_are_dropped_and_declarations_are_not_fields() {
        let document = concat!(
            r#"<d:Document xmlns:d="urn:d" xmlns:f="urn:f">"#,
            r#"<d:R xmlns="urn:x" f:A="1"><f:B>2</f:B></d:R></d:Document>"#
        );
        let batches = read_all(document.as_bytes(), &XmlOptions::default(), 10).expect("valid");
        assert_eq!(cells(&batches), [vec![cell("A", Some("1")), cell("B", Some("2"))]]);
    }

    #[test]
    fn a_batch_has_the_union_of_its_records_fields_in_order_of_first_appearance() {
        let document = br#"<Document><R A="1"/><R B="2" A="3"/><R C="4"/></Document>"#;
        let batches = read_all(document, &XmlOptions::default(), 2).expect("valid");
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].columns(), ["A", "B"]);
        assert_eq!(batches[1].columns(), ["C"]);
        assert_eq!(
            cells(&batches),
            [
                vec![cell("A", Some("1")), cell("B", None)],
                vec![cell("A", Some("3")), cell("B", Some("2"))],
                vec![cell("C", Some("4"))],
            ]
        );
    }

    #[test]
    fn only_records_with_the_chosen_name_are_read_and_others_are_skipped() {
        let document =
            br#"<Document><other X="1"><deep><er/></deep></other><Customer A="1"/><CUSTOMER A="2"/></Document>"#;
        let options = XmlOptions { record: Some("customer".into()), ..XmlOptions::default() };
        let batches = read_all(document, &options, 10).expect("valid");
        assert_eq!(cells(&batches), [vec![cell("A", Some("1"))], vec![cell("A", Some("2"))]]);
    }

    #[test]
    fn an_empty_document_element_has_no_batches() {
        let batches = read_all(b"<Document/>", &XmlOptions::default(), 10).expect("valid");
        assert!(batches.is_empty());
    }

    #[test]
    fn utf8_with_a_byte_order_mark_reads_like_utf8() {
        let document = "\u{FEFF}<Document><R A=\"Zoë\"/></Document>";
        let batches = read_all(document.as_bytes(), &XmlOptions::default(), 10).expect("valid");
        assert_eq!(cells(&batches), [vec![cell("A", Some("Zoë"))]]);
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_transcoded_whatever_the_declaration_says() {
        let text =
            "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\r\n<Document><R A=\"Zoë €\"><B>日本</B></R></Document>";
        let little_endian: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let big_endian: Vec<u8> =
            [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        for document in [little_endian, big_endian] {
            let batches = read_all(&document, &XmlOptions::default(), 10).expect("valid");
            assert_eq!(cells(&batches), [vec![cell("A", Some("Zoë €")), cell("B", Some("日本"))]]);
        }
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_refused() {
        let document: Vec<u8> = "<Document/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(read_error(&document, &XmlOptions::default()).contains("without a byte order mark"));
    }

    #[test]
    fn invalid_utf8_is_an_error_with_its_line() {
        let error = read_error(b"<Document>\n<R A=\"\xff\"/></Document>", &XmlOptions::default());
        assert!(error.contains("line 2"), "{error}");
    }

    #[test]
    fn a_doctype_with_internal_entities_is_refused() {
        let document = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Document><R A="&lol3;"/></Document>"#;
        let error = read_error(document, &XmlOptions::default());
        assert!(error.contains("DOCTYPE, which is refused") && error.contains("line 6"), "{error}");
    }

    #[test]
    fn a_doctype_with_an_external_entity_is_refused() {
        let document = concat!(
            r#"<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
            "<Document><R><A>&xxe;</A></R></Document>"
        );
        let error = read_error(document.as_bytes(), &XmlOptions::default());
        assert!(error.contains("DOCTYPE, which is refused"), "{error}");
    }

    #[test]
    fn an_unknown_entity_reference_is_an_error_naming_record_and_field() {
        let error = read_error(b"<Document><R><A>x</A><B>&nbsp;</B></R></Document>", &XmlOptions::default());
        assert!(error.contains("record 1, field B") && error.contains("&nbsp;"), "{error}");
        let error = read_error(br#"<Document><R A="&bogus;"/></Document>"#, &XmlOptions::default());
        assert!(error.contains("record 1") && error.contains("field A"), "{error}");
    }

    #[test]
    fn mismatched_end_tags_are_an_error_naming_the_line() {
        let error = read_error(b"<Document>\n<R>\n<A>1</B>\n</R>\n</Document>", &XmlOptions::default());
        assert!(error.contains("line 3") && error.contains("malformed XML"), "{error}");
    }

    #[test]
    fn a_truncated_document_is_an_error() {
        let error = read_error(b"<Document>\n<R A=\"1\"/>\n<R>", &XmlOptions::default());
        assert!(error.contains("truncated") && error.contains("line 3"), "{error}");
        let error = read_error(b"<Document><R A=\"1", &XmlOptions::default());
        assert!(error.contains("malformed XML"), "{error}");
        let error = read_error(b"", &XmlOptions::default());
        assert!(error.contains("no root element"), "{error}");
    }

    #[test]
    fn a_second_root_element_is_an_error() {
        let error = read_error(b"<Document/><Document/>", &XmlOptions::default());
        assert!(error.contains("follows the root element"), "{error}");
    }

    #[test]
    fn text_between_fields_is_an_error() {
        let error = read_error(b"<Document><R>stray<A>1</A></R></Document>", &XmlOptions::default());
        assert!(error.contains("record 1") && error.contains("stray"), "{error}");
    }

    #[test]
    fn an_element_inside_a_field_is_an_error() {
        let error = read_error(b"<Document><R><A><B>1</B></A></R></Document>", &XmlOptions::default());
        assert!(error.contains("record 1, field A") && error.contains("<B>"), "{error}");
    }

    #[test]
    fn a_field_repeated_in_a_record_is_an_error() {
        let error = read_error(br#"<Document><R A="1"><A>2</A></R></Document>"#, &XmlOptions::default());
        assert!(error.contains("field A appears twice"), "{error}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_an_error() {
        let depth = 10_000;
        let document = format!("<Document><other>{}{}</other></Document>", "<a>".repeat(depth), "</a>".repeat(depth));
        let options = XmlOptions { record: Some("R".into()), ..XmlOptions::default() };
        let error = read_error(document.as_bytes(), &options);
        assert!(error.contains("deeper than 64 levels"), "{error}");
    }

    #[test]
    fn a_field_longer_than_the_limit_is_an_error_naming_record_and_field() {
        let options = XmlOptions { max_field_bytes: 8, ..XmlOptions::default() };
        let error = read_error(b"<Document><R><A>12345678</A></R><R><A>123&amp;56789</A></R></Document>", &options);
        assert!(error.contains("record 2, field A") && error.contains("max_field_bytes"), "{error}");
        let error = read_error(br#"<Document><R A="123456789"/></Document>"#, &options);
        assert!(error.contains("record 1") && error.contains("field A is longer"), "{error}");
    }

    const GIGABYTE: u64 = 1 << 30;

    #[test]
    fn a_one_gigabyte_text_node_is_refused_after_reading_about_the_field_limit() {
        let document = Generated::new(b"<Document><R><A>", b"x", GIGABYTE, 256 << 10);
        let options = XmlOptions { max_field_bytes: 64 << 10, ..XmlOptions::default() };
        let error = read_error_from(document, &options);
        assert!(error.contains("record 1, field A") && error.contains("max_field_bytes"), "{error}");
    }

    #[test]
    fn a_one_gigabyte_attribute_is_refused_after_reading_about_the_record_limit() {
        let document = Generated::new(b"<Document><R A=\"", b"x", GIGABYTE, 512 << 10);
        let options = XmlOptions { max_field_bytes: 64 << 10, max_record_bytes: 128 << 10, ..XmlOptions::default() };
        let error = read_error_from(document, &options);
        assert!(error.contains("max_record_bytes"), "{error}");
    }

    #[test]
    fn a_one_gigabyte_line_of_records_streams_in_bounded_batches() {
        // The records fill a single line: each batch must come out as soon as it is full, not
        // at the end of the line.
        let document = Generated::new(b"<Document>", b"<R A=\"1\"/>", GIGABYTE, 64 << 10);
        let mut batches = reader(document, &XmlOptions::default(), 1000).expect("reader");
        for _ in 0..2 {
            let batch = batches.next().expect("a batch").expect("valid");
            assert_eq!(batch.len(), 1000);
            assert_eq!(batch.row(999).and_then(|row| row.get("A")), Some(ValueRef::String("1")));
        }
    }

    fn read_error_from(document: Generated, options: &XmlOptions) -> String {
        let outcome = reader(document, options, 100).and_then(|batches| batches.collect::<Result<Vec<Batch>>>());
        match outcome {
            Ok(_) => panic!("expected an error"),
            Err(error) => format!("{error:#}"),
        }
    }

    #[test]
    fn options_deserialize_with_defaults_for_missing_fields_and_refuse_unknown_ones() {
        let options: XmlOptions = serde_json::from_str(r#"{"record": "CUSTOMER", "max_depth": 8}"#).expect("valid");
        assert_eq!(options, XmlOptions { record: Some("CUSTOMER".into()), max_depth: 8, ..XmlOptions::default() });
        assert!(serde_json::from_str::<XmlOptions>(r#"{"recrod": "CUSTOMER"}"#).is_err());
    }

    fn write_document(style: XmlStyle, columns: &[&str], rows: &[Vec<ValueRef<'_>>]) -> Result<String> {
        let columns: Vec<String> = columns.iter().map(|&name| name.to_owned()).collect();
        let mut output = Vec::new();
        let options = XmlWriterOptions { style, record: "CUSTOMER".into() };
        let mut writer = writer(&mut output, &options, &columns)?;
        let mut builder = BatchBuilder::new(columns.clone());
        for row in rows {
            builder.push_row(row);
        }
        writer.write_batch(&builder.finish())?;
        writer.finish()?;
        Ok(String::from_utf8(output).expect("UTF-8"))
    }

    #[test]
    fn the_attribute_style_writer_omits_nulls_and_escapes() {
        let text = write_document(
            XmlStyle::Attribute,
            &["A", "B", "C"],
            &[vec!["x & \"y\" <z>\n".into(), ValueRef::Null, "".into()], vec![ValueRef::Null; 3]],
        )
        .expect("written");
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Document>\n\
             <CUSTOMER A=\"x &amp; &quot;y&quot; &lt;z&gt;&#10;\" C=\"\" />\n<CUSTOMER />\n</Document>\n"
        );
    }

    #[test]
    fn the_element_style_writer_omits_nulls_and_writes_empty_elements() {
        let text =
            write_document(XmlStyle::Element, &["A", "B", "C"], &[vec!["a<b".into(), ValueRef::Null, "".into()]])
                .expect("written");
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Document>\n\
             <CUSTOMER><A>a&lt;b</A><C /></CUSTOMER>\n</Document>\n"
        );
    }

    #[test]
    fn typed_values_are_written_as_their_text() {
        let text = write_document(
            XmlStyle::Attribute,
            &["I", "D", "F", "B", "DA", "DT"],
            &[vec![
                ValueRef::Integer(-42),
                ValueRef::Decimal("12.50"),
                ValueRef::Float(0.1),
                ValueRef::Boolean(true),
                ValueRef::Date("2026-11-21"),
                ValueRef::DateTime("2026-11-21T08:30:00Z"),
            ]],
        )
        .expect("written");
        assert!(
            text.contains(
                r#"<CUSTOMER I="-42" D="12.50" F="0.1" B="true" DA="2026-11-21" DT="2026-11-21T08:30:00Z" />"#
            ),
            "{text}"
        );
    }

    #[test]
    fn both_styles_round_trip_text_empty_and_null() {
        let tricky = "Zoë & \"Ω\" <日本> 'q'\ttab\r\nline ]]> end";
        let rows = [
            vec![ValueRef::String(tricky), ValueRef::String(""), ValueRef::Null],
            vec![ValueRef::Null, ValueRef::String("  spaced  "), ValueRef::String("x")],
        ];
        for style in [XmlStyle::Attribute, XmlStyle::Element] {
            let text = write_document(style, &["A", "B", "C"], &rows).expect("written");
            let batches = read_all(text.as_bytes(), &XmlOptions::default(), 10).expect("valid");
            let mut read_rows = cells(&batches);
            // The second record's batch columns are in its own order; compare by name.
            for row in &mut read_rows {
                row.sort();
            }
            assert_eq!(
                read_rows,
                [
                    vec![cell("A", Some(tricky)), cell("B", Some("")), cell("C", None)],
                    vec![cell("A", None), cell("B", Some("  spaced  ")), cell("C", Some("x"))],
                ],
                "{style:?}: {text}"
            );
        }
    }

    #[test]
    fn a_character_xml_cannot_carry_is_a_write_error() {
        let error = write_document(XmlStyle::Element, &["A"], &[vec!["bell\u{7}".into()]]).expect_err("refused");
        assert!(error.to_string().contains("row 1, field A: U+0007"), "{error}");
    }

    #[test]
    fn invalid_or_repeated_names_are_refused_by_the_writer() {
        for columns in [&["A B"][..], &["1A"], &["x:y"], &[""], &["A", "A"]] {
            assert!(write_document(XmlStyle::Attribute, columns, &[]).is_err(), "{columns:?}");
        }
    }
}
