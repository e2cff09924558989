//! Delimited text, D365's `CSV` and `CSV-Unicode`: a streaming reader into batches of text
//! cells, and a writer.
//!
//! The csv crate parses; around it, [`SpanGuard`] bounds what it can buffer (it grows a field
//! until the field ends) and [`CsvInput`] refuses a document that ends inside a quoted field
//! (which csv-core would end silently, importing a truncated last record).

use std::fmt;
use std::io::{self, Read, Write};
use std::ops::ControlFlow;

use anyhow::{Context as _, Result, anyhow, bail};
use serde::{Deserialize, Deserializer};
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

use crate::formats::text::{self, DEFAULT_MAX_FIELD_BYTES, Encoding, LimitExceeded, Progress, SpanGuard, TextReader};
use crate::formats::{Batches, RowWriter};

/// The buffer the csv crate reads into and writes from.
const BUFFER_BYTES: usize = 64 * 1024;

/// The most bytes a header row may have. Threat: a file without a header row, or a hostile one,
/// whose first "row" is huge. 16,384 columns (Excel's most) of 64-byte names fit.
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// How a delimited file is laid out. `Default` is D365's `CSV`: comma, double-quote text
/// qualifier, a header row, UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvOptions {
    /// The byte between fields: D365 offers comma, semicolon, tab, vertical bar and colon.
    #[serde(deserialize_with = "one_ascii_character")]
    pub delimiter: u8,
    /// The byte that quotes a field holding delimiters, line breaks or itself (doubled);
    /// `None` reads quotes as text and writes no field that would need them.
    #[serde(deserialize_with = "optional_ascii_character")]
    pub text_qualifier: Option<u8>,
    /// Whether the first row names the columns.
    pub header: bool,
    /// The column names of a file without a header row; empty when there is one.
    pub columns: Vec<String>,
    /// How the file's text is encoded; `Utf16Le` is `CSV-Unicode` (read and written).
    pub encoding: Encoding,
    /// The most bytes one field may hold; a longer one is an error naming its record.
    pub max_field_bytes: usize,
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions {
            delimiter: b',',
            text_qualifier: Some(b'"'),
            header: true,
            columns: Vec::new(),
            encoding: Encoding::Auto,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
        }
    }
}

impl CsvOptions {
    /// The options of the delimited source data format D365 names `format`: `CSV` (UTF-8) or
    /// `CSV-Unicode` (UTF-16 LE with its byte order mark), in any case. Both are comma
    /// delimited with a header row and `"` as text qualifier.
    pub fn d365(format: &str) -> Result<CsvOptions> {
        match format.trim().to_ascii_uppercase().as_str() {
            "CSV" => Ok(CsvOptions::default()),
            "CSV-UNICODE" => Ok(CsvOptions { encoding: Encoding::Utf16Le, ..CsvOptions::default() }),
            _ => bail!("{format:?} is not a delimited format D365 names (CSV or CSV-Unicode)"),
        }
    }

    fn check(&self) -> Result<()> {
        let describe = |byte: u8| char::from(byte).escape_default().to_string();
        if matches!(self.delimiter, b'\r' | b'\n') {
            bail!("the delimiter cannot be a line break");
        }
        if let Some(qualifier) = self.text_qualifier
            && (matches!(qualifier, b'\r' | b'\n') || qualifier == self.delimiter)
        {
            bail!("the text qualifier {} cannot be a line break or the delimiter", describe(qualifier));
        }
        if self.header && !self.columns.is_empty() {
            bail!("`columns` names the fields of a file without a header row, but `header` says this one has one");
        }
        Ok(())
    }
}

fn one_ascii_character<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<u8, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.as_bytes() {
        [byte] if byte.is_ascii() => Ok(*byte),
        _ => Err(serde::de::Error::custom(format!("expected one ASCII character, found {text:?}"))),
    }
}

fn optional_ascii_character<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Option<u8>, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.as_bytes() {
        [] => Ok(None),
        [byte] if byte.is_ascii() => Ok(Some(*byte)),
        _ => Err(serde::de::Error::custom(format!("expected one ASCII character or \"\", found {text:?}"))),
    }
}

/// The raw bytes a field of `max_field_bytes` can take: its qualifiers, and every qualifier
/// inside it doubled.
fn raw_field_limit(max_field_bytes: usize) -> usize {
    max_field_bytes.saturating_mul(2).saturating_add(2)
}

/// The raw bytes a record of `columns` fields can take: each field at its limit, a delimiter
/// after it, and the line break.
fn raw_record_limit(columns: usize, max_field_bytes: usize) -> u64 {
    let field = raw_field_limit(max_field_bytes).saturating_add(1) as u64;
    field.saturating_mul(columns.max(1) as u64).saturating_add(2)
}

/// Reads delimited text as batches of at most `batch_size` rows. Every cell is text: an empty
/// field is `""`, and the missing trailing fields of a short row are null. The header row (or
/// `options.columns`) gives the columns; it is read here, so a bad header fails at once.
pub fn reader<'a, R: Read + Send + 'a>(input: R, options: &CsvOptions, batch_size: usize) -> Result<Batches<'a>> {
    options.check()?;
    let text = text::decode(input, options.encoding)?;
    let separators = [options.delimiter, b'\n', b'\r'];
    let guard = SpanGuard::new(text, &separators, raw_field_limit(options.max_field_bytes), MAX_HEADER_BYTES);
    let input = CsvInput {
        inner: guard,
        qualifier: options.text_qualifier,
        delimiter: options.delimiter,
        quote: Quote::Outside,
        chunk: Vec::with_capacity(BUFFER_BYTES),
        chunk_start: 0,
        before_chunk: b'\n',
    };
    let source = csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .quote(options.text_qualifier.unwrap_or(b'"'))
        .quoting(options.text_qualifier.is_some())
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(BUFFER_BYTES)
        .from_reader(input);
    let mut rows = CsvRows {
        source,
        columns: Vec::new(),
        record: csv::ByteRecord::new(),
        records_read: 0,
        next_line: 1,
        batch_size: batch_size.max(1),
        max_field_bytes: options.max_field_bytes,
        progress: Progress::default(),
    };
    if options.header {
        if rows.read(None)? {
            let mut names = Vec::new();
            rows.text_fields(None, &mut names)?;
            rows.columns = names.iter().filter_map(|name| name.as_str()).map(str::to_owned).collect();
        } else {
            rows.progress.end();
        }
        check_names(&rows.columns, "the header row")?;
    } else {
        if options.columns.is_empty() {
            bail!("a CSV file without a header row needs its column names (`columns`)");
        }
        check_names(&options.columns, "`columns`")?;
        rows.columns = options.columns.clone();
    }
    rows.source.get_mut().inner.set_max_record(raw_record_limit(rows.columns.len(), options.max_field_bytes));
    Ok(Box::new(rows))
}

/// Refuses empty and repeated column names: a row could not say which field it means.
fn check_names(names: &[String], source: &str) -> Result<()> {
    let mut seen = std::collections::HashMap::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        if name.is_empty() {
            bail!("{source}: column {} has no name", index + 1);
        }
        if let Some(first) = seen.insert(name.as_str(), index) {
            bail!("{source}: columns {} and {} are both named {name:?}", first + 1, index + 1);
        }
    }
    Ok(())
}

type CsvSource<R> = csv::Reader<CsvInput<SpanGuard<TextReader<R>>>>;

/// The rows of a delimited document, a batch at a time.
struct CsvRows<R> {
    source: CsvSource<R>,
    columns: Vec<String>,
    /// The record being read; one buffer for the whole document.
    record: csv::ByteRecord,
    records_read: u64,
    /// The line after the last record read: where the next one starts, unless blank lines
    /// (which csv skips) come first.
    next_line: u64,
    batch_size: usize,
    max_field_bytes: usize,
    progress: Progress,
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if let ControlFlow::Break(item) = self.progress.before_reading() {
            return item;
        }
        let mut builder = BatchBuilder::new(self.columns.iter().cloned());
        let filled = self.fill(&mut builder);
        let rows = builder.len();
        self.progress.after_reading(filled, rows, || builder.finish())
    }
}

impl<R: Read> CsvRows<R> {
    /// Adds rows to `builder` until it holds a batch or the document ends.
    fn fill(&mut self, builder: &mut BatchBuilder) -> Result<()> {
        let mut cells: Vec<ValueRef<'static>> = Vec::with_capacity(self.columns.len());
        while builder.len() < self.batch_size {
            if !self.read(Some(self.records_read + 1))? {
                self.progress.end();
                break;
            }
            let mut row = text::reuse_cells(cells);
            self.text_fields(Some(self.records_read), &mut row)?;
            row.resize(self.columns.len(), ValueRef::Null);
            builder.push_row(&row);
            cells = text::reuse_cells(row);
        }
        Ok(())
    }

    /// Reads the next record (`None`: the header row) into `self.record` and checks its
    /// width and field sizes; false at the end of the document.
    fn read(&mut self, record: Option<u64>) -> Result<bool> {
        match self.source.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(error) => return Err(self.describe(error, record)),
        }
        if let Some(number) = record {
            self.records_read = number;
            if self.record.len() > self.columns.len() {
                let place = self.place(record);
                bail!("{place} has {} fields, more than the {} columns", self.record.len(), self.columns.len());
            }
        }
        if self.record.as_slice().len() > self.max_field_bytes {
            let mut fields = self.record.iter().enumerate();
            if let Some((index, field)) = fields.find(|(_, field)| field.len() > self.max_field_bytes) {
                let (place, name) = (self.place(record), self.field_name(index));
                bail!("{place}, {name}: {} bytes, more than the limit of {}", field.len(), self.max_field_bytes);
            }
        }
        let next = self.source.position();
        let (next_byte, after_line) = (next.byte(), next.line());
        // csv counts a line when it consumes its `\n`: after an LF it is on the next line
        // already, after a CR (of a CRLF) it is not yet.
        let lf_consumed = self.source.get_ref().byte_before(next_byte) == Some(b'\n');
        self.next_line = if lf_consumed { after_line } else { after_line + 1 };
        self.source.get_mut().inner.start_record(next_byte);
        Ok(true)
    }

    /// Appends the fields of the record just read to `row` as text, or says which one is not
    /// UTF-8. The record is checked whole, once: a check per field cost a fifth of the reading.
    fn text_fields<'r>(&'r self, record: Option<u64>, row: &mut Vec<ValueRef<'r>>) -> Result<()> {
        let text = match std::str::from_utf8(self.record.as_slice()) {
            Ok(text) => text,
            Err(error) => {
                let at = error.valid_up_to();
                let mut ranges = (0..self.record.len()).filter_map(|index| Some((index, self.record.range(index)?)));
                let index = ranges.find(|(_, range)| range.contains(&at)).map_or(0, |(index, _)| index);
                return Err(self.not_utf8(record, index));
            }
        };
        for index in 0..self.record.len() {
            // Fields joined can be UTF-8 when one alone is not (a character split between two).
            match self.record.range(index).and_then(|range| text.get(range)) {
                Some(field) => row.push(ValueRef::String(field)),
                None => return Err(self.not_utf8(record, index)),
            }
        }
        Ok(())
    }

    fn not_utf8(&self, record: Option<u64>, index: usize) -> anyhow::Error {
        let field = self.record.get(index).unwrap_or_default();
        let byte = std::str::from_utf8(field).err().map_or(1, |error| error.valid_up_to() + 1);
        let (place, name) = (self.place(record), self.field_name(index));
        anyhow!("{place}, {name}: not valid UTF-8 (byte {byte} of the field)")
    }

    /// Where the record just read is: the line it starts on is where csv stopped, less the
    /// line breaks inside its fields and the one that ended it.
    fn place(&self, record: Option<u64>) -> Place {
        let end = self.source.position();
        let lf_consumed = self.source.get_ref().byte_before(end.byte()) == Some(b'\n');
        let inside = self.record.as_slice().iter().filter(|&&byte| byte == b'\n').count() as u64;
        Place { record, line: end.line().saturating_sub(inside + u64::from(lf_consumed)).max(1) }
    }

    fn field_name(&self, index: usize) -> String {
        match self.columns.get(index) {
            Some(name) => format!("field {name:?}"),
            None => format!("field {}", index + 1),
        }
    }

    /// Says what went wrong reading `record`, and where.
    fn describe(&self, error: csv::Error, record: Option<u64>) -> anyhow::Error {
        let here = Place { record, line: self.source.position().line() };
        let start = Place { record, line: self.next_line };
        let message = match error.kind() {
            csv::ErrorKind::Io(io_error) => match text::limit_exceeded(io_error) {
                Some(LimitExceeded::Span(_)) => {
                    Some(format!("{here}: a field is longer than the limit of {} bytes", self.max_field_bytes))
                }
                Some(LimitExceeded::Record(bytes)) if record.is_none() => {
                    Some(format!("{start} is longer than {bytes} bytes; is the first line a header row?"))
                }
                Some(LimitExceeded::Record(bytes)) => Some(format!(
                    "{start} is longer than {bytes} bytes, more than {} fields of at most {} bytes can take",
                    self.columns.len(),
                    self.max_field_bytes
                )),
                None if is_unclosed_quote(io_error) => {
                    Some(format!("{start}: a quoted field is not closed before the end of the document"))
                }
                None => None,
            },
            _ => None,
        };
        match message {
            Some(message) => anyhow!(message),
            None => anyhow::Error::new(error).context(format!("cannot read {here}")),
        }
    }
}

/// Where in a document: a record (`None`: the header row) and the line it starts on.
struct Place {
    record: Option<u64>,
    line: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record {
            Some(record) => write!(f, "record {record} (line {})", self.line),
            None => write!(f, "the header row (line {})", self.line),
        }
    }
}

/// Where [`CsvInput`] is relative to quoted fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Outside,
    Inside,
    /// Just after a qualifier inside a quoted field: the field's end, or the first of a
    /// doubled qualifier.
    AfterQualifier,
}

/// What the csv crate reads: the guarded text, watched for a document that ends inside a
/// quoted field, with the last bytes handed over kept to tell where errors are.
///
/// csv-core ends a quoted field at the end of the input as if it were closed, so a truncated
/// file would import its last record cut short. The watch follows csv-core's rules: a
/// qualifier opens a quoted field only at the start of a field (elsewhere it is text), and a
/// doubled qualifier inside one is a literal qualifier. Only qualifier bytes and the byte
/// before each are looked at.
struct CsvInput<R> {
    inner: R,
    qualifier: Option<u8>,
    delimiter: u8,
    quote: Quote,
    /// The bytes of the last read; csv has consumed every byte before them.
    chunk: Vec<u8>,
    /// Where `chunk` starts in the stream.
    chunk_start: u64,
    /// The byte before `chunk` (a line break before the first).
    before_chunk: u8,
}

impl<R: Read> CsvInput<R> {
    /// The byte before `offset`, when csv has consumed up to `offset` (which is then within or
    /// at the end of the last read).
    fn byte_before(&self, offset: u64) -> Option<u8> {
        match offset.checked_sub(self.chunk_start)? {
            0 => Some(self.before_chunk),
            inside => self.chunk.get(usize::try_from(inside - 1).ok()?).copied(),
        }
    }

    fn track_quotes(&mut self) {
        let Some(qualifier) = self.qualifier else { return };
        let bytes = self.chunk.as_slice();
        let mut at = 0;
        while let Some(rest) = bytes.get(at..).filter(|rest| !rest.is_empty()) {
            match self.quote {
                Quote::Outside => {
                    let Some(offset) = find_byte(qualifier, rest) else { break };
                    let position = at + offset;
                    let before =
                        position.checked_sub(1).and_then(|index| bytes.get(index)).unwrap_or(&self.before_chunk);
                    if *before == self.delimiter || matches!(before, b'\n' | b'\r') {
                        self.quote = Quote::Inside;
                    }
                    at = position + 1;
                }
                Quote::Inside => {
                    let Some(offset) = find_byte(qualifier, rest) else { break };
                    self.quote = Quote::AfterQualifier;
                    at += offset + 1;
                }
                Quote::AfterQualifier => {
                    let doubled = rest.first() == Some(&qualifier);
                    self.quote = if doubled { Quote::Inside } else { Quote::Outside };
                    at += 1;
                }
            }
        }
    }
}

/// The position of the first `needle` in `haystack`, eight bytes at a time: every byte of a
/// document is searched for qualifiers, and a byte-by-byte search cost a sixth of the reading.
fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let pattern = ONES * u64::from(needle);
    let mut words = haystack.chunks_exact(8);
    for (index, word) in (&mut words).enumerate() {
        let Ok(word) = <[u8; 8]>::try_from(word) else { break };
        // A byte equal to the needle is a zero byte here; the lowest flagged byte is the first
        // zero (flags above it can be false, never below).
        let difference = u64::from_le_bytes(word) ^ pattern;
        let zeros = difference.wrapping_sub(ONES) & !difference & HIGHS;
        if zeros != 0 {
            return Some(index * 8 + (zeros.trailing_zeros() / 8) as usize);
        }
    }
    let tail = haystack.len() - words.remainder().len();
    words.remainder().iter().position(|&byte| byte == needle).map(|offset| tail + offset)
}

impl<R: Read> Read for CsvInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // csv drops a byte order mark at the start of its first read when that read holds 3
        // bytes or more. `text::decode` has dropped the document's mark already, so a U+FEFF
        // left is the first field's text: the first read hands over one byte.
        let first = self.chunk_start == 0 && self.chunk.is_empty();
        let buf = if first { buf.get_mut(..1).unwrap_or_default() } else { buf };
        let read = self.inner.read(buf)?;
        let bytes = buf.get(..read).unwrap_or_default();
        if bytes.is_empty() {
            if !buf.is_empty() && self.quote == Quote::Inside {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, UnclosedQuote));
            }
            return Ok(0);
        }
        self.chunk_start += self.chunk.len() as u64;
        self.before_chunk = self.chunk.last().copied().unwrap_or(self.before_chunk);
        self.chunk.clear();
        self.chunk.extend_from_slice(bytes);
        self.track_quotes();
        Ok(read)
    }
}

/// The document ended inside a quoted field.
#[derive(Debug)]
struct UnclosedQuote;

impl fmt::Display for UnclosedQuote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the document ends inside a quoted field")
    }
}

impl std::error::Error for UnclosedQuote {}

fn is_unclosed_quote(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<UnclosedQuote>())
}

/// Writes rows as delimited text with `columns`: a header row when `options.header`, CRLF line
/// ends (D365 rejects LF-only files), fields quoted only when they need it, and UTF-16 LE with
/// its byte order mark when `options.encoding` is `Utf16Le` (`CSV-Unicode`), else UTF-8
/// without one — unless the document's first field begins with U+FEFF, which a reader would
/// take for a byte order mark and drop: then the document starts with one.
pub fn writer<'a, W: Write + Send + 'a>(
    output: W,
    options: &CsvOptions,
    columns: &[String],
) -> Result<Box<dyn RowWriter + 'a>> {
    options.check()?;
    let output: Box<dyn Write + Send + 'a> = match options.encoding {
        Encoding::Utf16Le => Box::new(text::encode_utf16le_bom(output).context("cannot write the byte order mark")?),
        Encoding::Auto | Encoding::Utf8 => Box::new(MarkedIfNeeded { output, started: false }),
    };
    let mut builder = csv::WriterBuilder::new();
    builder.delimiter(options.delimiter).terminator(csv::Terminator::CRLF).buffer_capacity(BUFFER_BYTES);
    match options.text_qualifier {
        Some(qualifier) => builder.quote(qualifier).quote_style(csv::QuoteStyle::Necessary),
        None => builder.quote_style(csv::QuoteStyle::Never),
    };
    let mut writer = CsvWriter {
        output: builder.from_writer(output),
        columns: columns.to_vec(),
        delimiter: options.delimiter,
        quoting: options.text_qualifier.is_some(),
        number: Vec::new(),
        rows_written: 0,
    };
    if options.header {
        if let Some(column) =
            columns.iter().find(|column| !writer.quoting && !fits_unquoted(column.as_bytes(), writer.delimiter))
        {
            bail!("column name {column:?} {UNQUOTABLE}");
        }
        writer.output.write_record(columns).context("cannot write the header row")?;
    }
    Ok(Box::new(writer))
}

struct CsvWriter<W: Write> {
    output: csv::Writer<W>,
    columns: Vec<String>,
    delimiter: u8,
    quoting: bool,
    /// The text of the number being written; one buffer for the whole document.
    number: Vec<u8>,
    rows_written: u64,
}

/// UTF-8 output that starts with a byte order mark when its text begins with U+FEFF, which a
/// reader would otherwise take for the mark and drop. The CSV writer hands over its buffer
/// (`BUFFER_BYTES`) or the whole document at once, so the first write holds the first bytes.
struct MarkedIfNeeded<W> {
    output: W,
    started: bool,
}

impl<W: Write> Write for MarkedIfNeeded<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if !self.started && !bytes.is_empty() {
            self.started = true;
            if bytes.starts_with(&text::UTF8_BOM) {
                self.output.write_all(&text::UTF8_BOM)?;
            }
        }
        self.output.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.output.flush()
    }
}

/// Whether `field` can be written without a text qualifier: a delimiter or a line break would
/// split it, so writing it is an error rather than a corrupt file.
fn fits_unquoted(field: &[u8], delimiter: u8) -> bool {
    !field.iter().any(|&byte| byte == delimiter || matches!(byte, b'\r' | b'\n'))
}

const UNQUOTABLE: &str = "holds the delimiter or a line break, which a file without a text qualifier cannot";

/// A cell as CSV text: null is empty; numbers, booleans, dates and date-times as their text.
fn render<'v>(value: ValueRef<'v>, number: &'v mut Vec<u8>) -> io::Result<&'v [u8]> {
    Ok(match value {
        ValueRef::Null => b"",
        ValueRef::String(text) | ValueRef::Decimal(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => {
            text.as_bytes()
        }
        ValueRef::Boolean(true) => b"true",
        ValueRef::Boolean(false) => b"false",
        ValueRef::Integer(integer) => {
            number.clear();
            write!(number, "{integer}")?;
            number
        }
        ValueRef::Float(float) => {
            number.clear();
            // Display is the shortest text that reads back as the same float.
            write!(number, "{float}")?;
            number
        }
    })
}

impl<W: Write + Send> RowWriter for CsvWriter<W> {
    fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns() != self.columns.as_slice() {
            bail!("a batch with columns {:?} for a CSV writer of columns {:?}", batch.columns(), self.columns);
        }
        for row in batch.rows() {
            self.rows_written += 1;
            for (index, name) in self.columns.iter().enumerate() {
                let field = render(row.value(index), &mut self.number)?;
                if !self.quoting && !fits_unquoted(field, self.delimiter) {
                    bail!("row {}, field {name:?}: {UNQUOTABLE}", self.rows_written);
                }
                self.output.write_field(field).with_context(|| format!("cannot write row {}", self.rows_written))?;
            }
            self.output
                .write_record(None::<&[u8]>)
                .with_context(|| format!("cannot write row {}", self.rows_written))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let mut output = self.output.into_inner().map_err(|error| error.into_error()).context("cannot write CSV")?;
        output.flush().context("cannot write CSV")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::text::test_input::Generated;

    fn read_all(text: &[u8], options: &CsvOptions, batch_size: usize) -> Result<Vec<Batch>> {
        reader(text, options, batch_size)?.collect()
    }

    /// Every row of every batch, as owned values (text; `None` for null).
    fn cells(batches: &[Batch]) -> Vec<Vec<Option<String>>> {
        let cell = |value: ValueRef<'_>| value.as_str().map(str::to_owned);
        batches.iter().flat_map(|batch| batch.rows().map(|row| row.fields().map(|(_, v)| cell(v)).collect())).collect()
    }

    fn texts(row: &[&str]) -> Vec<Option<String>> {
        row.iter().map(|text| Some((*text).to_owned())).collect()
    }

    fn error_of(text: &[u8], options: &CsvOptions) -> String {
        let error = match reader(text, options, 100) {
            Ok(mut batches) => batches.find_map(Result::err).expect("an error"),
            Err(error) => error,
        };
        format!("{error:#}")
    }

    fn utf16le_with_bom(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn a_quoted_delimiter_and_line_break_stay_in_their_field() {
        let text = b"Name,Note,City\r\n\"Contoso, Ltd.\",\"two\r\nlines\",\"say \"\"hi\"\"\"\r\n";
        let batches = read_all(text, &CsvOptions::default(), 10).expect("valid");
        assert_eq!(batches[0].columns(), ["Name", "Note", "City"]);
        assert_eq!(cells(&batches), vec![texts(&["Contoso, Ltd.", "two\r\nlines", "say \"hi\""])]);
    }

    #[test]
    fn crlf_lf_and_a_missing_last_line_break_read_the_same() {
        let expected = vec![texts(&["1", "a"]), texts(&["2", "b"])];
        for text in [&b"Id,Code\r\n1,a\r\n2,b\r\n"[..], b"Id,Code\n1,a\n2,b\n", b"Id,Code\n1,a\n2,b"] {
            assert_eq!(cells(&read_all(text, &CsvOptions::default(), 10).expect("valid")), expected);
        }
    }

    #[test]
    fn an_empty_field_is_empty_text_and_a_missing_trailing_field_is_null() {
        let batches = read_all(b"A,B,C\n1,,\n2\n\"\",x\n", &CsvOptions::default(), 10).expect("valid");
        let some = |text: &str| Some(text.to_owned());
        assert_eq!(
            cells(&batches),
            vec![vec![some("1"), some(""), some("")], vec![some("2"), None, None], vec![some(""), some("x"), None]]
        );
    }

    #[test]
    fn a_row_with_more_fields_than_the_header_is_an_error_naming_its_record_and_line() {
        let message = error_of(b"A,B\n1,2\n\n3,4,5\n", &CsvOptions::default());
        assert!(message.contains("record 2 (line 4) has 3 fields, more than the 2 columns"), "{message}");
    }

    #[test]
    fn errors_name_the_line_a_record_starts_on_whatever_the_line_ends() {
        for end in ["\n", "\r\n"] {
            let text = ["A,B", "1,\"x", "y\"", "", "2,3,4", ""].join(end);
            let message = error_of(text.as_bytes(), &CsvOptions::default());
            assert!(message.contains("record 2 (line 5) has 3 fields"), "{end:?}: {message}");
            let text = [&b"A,B"[..], b"1,2", b"\"x", b"y\",b\xFF"].join(end.as_bytes());
            let message = error_of(&text, &CsvOptions::default());
            assert!(message.contains("record 2 (line 3), field \"B\": not valid UTF-8"), "{end:?}: {message}");
        }
    }

    #[test]
    fn repeated_or_empty_header_names_are_errors() {
        let message = error_of(b"Id,Name,Id\n1,a,2\n", &CsvOptions::default());
        assert!(message.contains("columns 1 and 3 are both named \"Id\""), "{message}");
        let message = error_of(b"Id,,Name\n", &CsvOptions::default());
        assert!(message.contains("column 2 has no name"), "{message}");
    }

    #[test]
    fn every_delimiter_d365_offers_reads() {
        for delimiter in [b',', b';', b'\t', b'|', b':'] {
            let d = char::from(delimiter);
            let text = format!("Id{d}Name\r\n1{d}\"a{d}b\"\r\n");
            let options = CsvOptions { delimiter, ..CsvOptions::default() };
            let batches = read_all(text.as_bytes(), &options, 10).expect("valid");
            assert_eq!(cells(&batches), vec![texts(&["1", &format!("a{d}b")])], "delimiter {d:?}");
        }
    }

    #[test]
    fn a_file_without_a_header_row_takes_its_names_from_the_options() {
        let options = CsvOptions { header: false, columns: vec!["Id".into(), "Name".into()], ..CsvOptions::default() };
        let batches = read_all(b"1;a\n2;b\n", &CsvOptions { delimiter: b';', ..options }, 10).expect("valid");
        assert_eq!(batches[0].columns(), ["Id", "Name"]);
        assert_eq!(cells(&batches), vec![texts(&["1", "a"]), texts(&["2", "b"])]);
        let message = error_of(b"1,a\n", &CsvOptions { header: false, ..CsvOptions::default() });
        assert!(message.contains("needs its column names"), "{message}");
    }

    #[test]
    fn batches_hold_at_most_batch_size_rows_and_keep_counting_records_across_them() {
        let text = b"N\n1\n2\n3\n4\n5\n";
        let batches = read_all(text, &CsvOptions::default(), 2).expect("valid");
        assert_eq!(batches.iter().map(Batch::len).collect::<Vec<_>>(), [2, 2, 1]);
        let message = error_of(b"N\n1\n2\n3\n4\n5,6\n", &CsvOptions::default());
        assert!(message.contains("record 5 (line 6)"), "{message}");
    }

    #[test]
    fn the_rows_before_an_error_come_first_whatever_the_batch_size() {
        for batch_size in [1, 2, 10] {
            let mut batches = reader(&b"A\n1\n2\n3\n4,5\n6\n"[..], &CsvOptions::default(), batch_size).expect("header");
            let rows: Vec<Batch> = batches.by_ref().map_while(Result::ok).collect();
            assert_eq!(cells(&rows), vec![texts(&["1"]), texts(&["2"]), texts(&["3"])], "batch size {batch_size}");
            assert!(batches.next().is_none(), "the error was the last item");
        }
    }

    #[test]
    fn a_quote_left_open_at_the_end_of_the_document_is_an_error() {
        let message = error_of(b"A,B\n1,2\n3,\"never closed\n4,5\n", &CsvOptions::default());
        assert!(message.contains("record 2 (line 3): a quoted field is not closed"), "{message}");
    }

    #[test]
    fn the_word_at_a_time_search_finds_the_first_match_anywhere() {
        let haystack: Vec<u8> = (0..40u8).map(|byte| byte.wrapping_mul(37) | 0x80).collect();
        for at in 0..haystack.len() {
            let mut with_needle = haystack.clone();
            with_needle[at] = b'"';
            with_needle.push(b'"');
            assert_eq!(find_byte(b'"', &with_needle), Some(at));
        }
        assert_eq!(find_byte(b'"', &haystack), None);
        assert_eq!(find_byte(0, &[1, 1, 0, 0]), Some(2));
    }

    #[test]
    fn a_qualifier_inside_an_unquoted_field_is_text() {
        let text = b"Item,Size\n12\" ruler,\"3\"\" wide\"\n";
        let batches = read_all(text, &CsvOptions::default(), 10).expect("valid");
        assert_eq!(cells(&batches), vec![texts(&["12\" ruler", "3\" wide"])]);
    }

    #[test]
    fn without_a_text_qualifier_quotes_are_text() {
        let options = CsvOptions { text_qualifier: None, ..CsvOptions::default() };
        let batches = read_all(b"A,B\n\"x,y\"\n", &options, 10).expect("valid");
        assert_eq!(cells(&batches), vec![texts(&["\"x", "y\""])]);
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_record_field_and_byte() {
        let message = error_of(b"Id,Name\n1,ok\n2,ab\xFFc\n", &CsvOptions::default());
        assert!(
            message.contains("record 2 (line 3), field \"Name\": not valid UTF-8 (byte 3 of the field)"),
            "{message}"
        );
    }

    #[test]
    fn a_utf8_byte_order_mark_is_not_part_of_the_first_name() {
        let batches = read_all(b"\xEF\xBB\xBFId,Name\n1,a\n", &CsvOptions::default(), 10).expect("valid");
        assert_eq!(batches[0].columns(), ["Id", "Name"]);
    }

    #[test]
    fn a_utf16_file_reads_as_csv_unicode_and_as_auto() {
        let bytes = utf16le_with_bom("Name,City\r\nZoë,\"Zürich, CH\"\r\n");
        for options in [CsvOptions::d365("CSV-Unicode").expect("known"), CsvOptions::default()] {
            let batches = read_all(&bytes, &options, 10).expect("valid");
            assert_eq!(batches[0].columns(), ["Name", "City"]);
            assert_eq!(cells(&batches), vec![texts(&["Zoë", "Zürich, CH"])]);
        }
    }

    #[test]
    fn a_utf8_file_given_as_csv_unicode_is_refused_as_not_unicode() {
        let message = error_of(b"Name\r\nA\r\n", &CsvOptions::d365("csv-unicode").expect("known"));
        assert!(message.contains("not Unicode"), "{message}");
    }

    #[test]
    fn empty_documents_have_no_rows() {
        assert!(read_all(b"", &CsvOptions::default(), 10).expect("empty").is_empty());
        assert!(read_all(b"Id,Name\r\n", &CsvOptions::default(), 10).expect("header only").is_empty());
        let unicode = CsvOptions::d365("CSV-Unicode").expect("known");
        assert!(read_all(b"", &unicode, 10).expect("empty").is_empty());
    }

    #[test]
    fn a_field_over_the_limit_is_an_error_naming_record_and_field() {
        let options = CsvOptions { max_field_bytes: 8, ..CsvOptions::default() };
        let message = error_of(b"Id,Name\n1,abcdefgh\n2,\"abc,defghi\"\n", &options);
        assert!(message.contains("record 2 (line 3), field \"Name\": 10 bytes, more than the limit of 8"), "{message}");
    }

    #[test]
    fn a_10_mb_field_is_refused_with_its_record() {
        let mut text = b"Id,Name\n1,a\n2,".to_vec();
        text.resize(text.len() + (10 << 20), b'x');
        let message = error_of(&text, &CsvOptions::default());
        assert!(message.contains("record 2 (line 3): a field is longer than the limit of 1048576 bytes"), "{message}");
    }

    #[test]
    fn a_1_gb_field_is_refused_after_reading_little_of_it() {
        let limit = 1 << 20;
        // Unquoted, and quoted with delimiters inside (so no span is long, only the record).
        for (head, filler) in [(&b"Id,Name\n1,"[..], &b"x"[..]), (b"Id,Name\n1,\"", b"x,")] {
            let input = Generated::new(head, filler, 1 << 30, 16 * limit as u64);
            let mut batches = reader(input, &CsvOptions::default(), 10).expect("header");
            let error = batches.find_map(Result::err).expect("an error");
            assert!(format!("{error:#}").contains("record 1"), "{error:#}");
        }
    }

    #[test]
    fn a_1_gb_line_without_delimiters_is_refused_in_the_header_too() {
        let input = Generated::new(b"", b"x", 1 << 30, 16 << 20);
        let error = reader(input, &CsvOptions::default(), 10).err().expect("an error");
        assert!(format!("{error:#}").contains("the header row (line 1)"), "{error:#}");
    }

    fn round_trip(options: &CsvOptions, columns: &[String], rows: &[Vec<ValueRef<'_>>]) -> (Vec<u8>, Vec<Batch>) {
        let mut output = Vec::new();
        let mut builder = BatchBuilder::new(columns.iter().cloned());
        for row in rows {
            builder.push_row(row);
        }
        let mut writer = writer(&mut output, options, columns).expect("writer");
        writer.write_batch(&builder.finish()).expect("write");
        writer.finish().expect("finish");
        let batches = read_all(&output, options, 100).expect("reads back");
        (output, batches)
    }

    #[test]
    fn written_csv_has_crlf_and_quotes_only_fields_that_need_it() {
        let columns = vec!["Id".to_owned(), "Name".to_owned(), "Amount".to_owned(), "Active".to_owned()];
        let rows = vec![
            vec![ValueRef::Integer(1), "plain".into(), ValueRef::Decimal("12.50"), true.into()],
            vec![ValueRef::Integer(-2), "a, \"b\"\r\nc".into(), ValueRef::Float(0.1), ValueRef::Null],
        ];
        let (output, batches) = round_trip(&CsvOptions::default(), &columns, &rows);
        let text = String::from_utf8(output).expect("utf-8");
        assert_eq!(text, "Id,Name,Amount,Active\r\n1,plain,12.50,true\r\n-2,\"a, \"\"b\"\"\r\nc\",0.1,\r\n");
        assert_eq!(
            cells(&batches),
            vec![texts(&["1", "plain", "12.50", "true"]), texts(&["-2", "a, \"b\"\r\nc", "0.1", ""])]
        );
    }

    #[test]
    fn csv_unicode_output_is_utf16le_with_its_mark_and_reads_back() {
        let options = CsvOptions::d365("CSV-Unicode").expect("known");
        let columns = vec!["Name".to_owned(), "Note".to_owned()];
        let rows = vec![vec!["Zoë 😀".into(), "semi;colon|pipe".into()], vec!["".into(), "日本".into()]];
        let (output, batches) = round_trip(&options, &columns, &rows);
        assert_eq!(output.get(..6), Some(&[0xFF, 0xFE, b'N', 0, b'a', 0][..]));
        assert_eq!(cells(&batches), vec![texts(&["Zoë 😀", "semi;colon|pipe"]), texts(&["", "日本"])]);
    }

    #[test]
    fn a_first_field_that_begins_with_a_byte_order_mark_keeps_it_through_a_write_and_a_read() {
        let bom = "\u{feff}";
        let named = vec![format!("{bom}Id"), "Name".to_owned()];
        let (output, batches) = round_trip(&CsvOptions::default(), &named, &[vec!["1".into(), "a".into()]]);
        assert!(output.starts_with(&[0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF]), "{output:?}");
        assert_eq!(batches[0].columns(), named.as_slice());

        let headless = CsvOptions { header: false, columns: vec!["A".into(), "B".into()], ..CsvOptions::default() };
        let first = format!("{bom}x");
        let (output, batches) = round_trip(&headless, &headless.columns, &[vec![first.as_str().into(), "y".into()]]);
        assert_eq!(output.iter().filter(|&&byte| byte == 0xEF).count(), 2, "{output:?}");
        assert_eq!(cells(&batches), vec![texts(&[&first, "y"])]);

        let (output, _) = round_trip(&CsvOptions::default(), &["Id".to_owned()], &[vec![first.as_str().into()]]);
        assert!(output.starts_with(b"Id\r\n"), "only the document's first field can be taken for a mark");
    }

    #[test]
    fn a_writer_without_a_text_qualifier_refuses_a_field_it_cannot_hold() {
        let options = CsvOptions { text_qualifier: None, delimiter: b'|', ..CsvOptions::default() };
        let mut builder = BatchBuilder::new(["A"]);
        builder.push_row(&["x|y".into()]);
        let mut writer = writer(Vec::new(), &options, &["A".to_owned()]).expect("writer");
        let error = writer.write_batch(&builder.finish()).expect_err("unquotable");
        assert!(error.to_string().contains("row 1, field \"A\""), "{error}");
    }

    #[test]
    fn options_read_from_their_text_form() {
        let options: CsvOptions =
            serde_json::from_str(r#"{"delimiter": "\t", "text_qualifier": "", "encoding": "utf-16le"}"#)
                .expect("valid");
        assert_eq!(
            options,
            CsvOptions { delimiter: b'\t', text_qualifier: None, encoding: Encoding::Utf16Le, ..CsvOptions::default() }
        );
        assert!(serde_json::from_str::<CsvOptions>(r#"{"delimiter": ";;"}"#).is_err());
    }
}
