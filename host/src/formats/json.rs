//! JSON rows: a streaming reader of an array of objects, NDJSON (objects one after another) or
//! an OData `{"value": [...]}` envelope, and a writer of each shape.
//!
//! The reader tokenizes by itself rather than through serde_json: serde would hand over an
//! array only whole (an OData response can be gigabytes), would turn every decimal into an
//! `f64` (without `arbitrary_precision`, which this crate does not enable), and would buffer a
//! string before anything could check its size. Rows are flat objects, so the grammar is
//! small; nesting that is skipped (OData's other keys) is counted, never recursed into.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::ops::{ControlFlow, Range};

use anyhow::{Context as _, Result, anyhow, bail};
use serde::Deserialize;
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

use crate::formats::text::{self, DEFAULT_MAX_FIELD_BYTES, Encoding, Progress, TextReader};
use crate::formats::{Batches, RowWriter};

/// The buffer the document is read through.
const BUFFER_BYTES: usize = 64 * 1024;

/// The deepest nesting skipped inside an OData envelope. Threat: `[[[[…` a million levels
/// deep; skipping keeps a stack of open brackets, so its depth is capped like serde_json's.
const MAX_DEPTH: usize = 128;

/// The most distinct fields the records of one batch may have, Excel's most columns. Threat: a
/// record of endless fields, which every other row of its batch would be as wide as.
const MAX_COLUMNS: usize = 16_384;

/// The most cells (rows × columns) a batch is filled to; it ends early, with fewer rows than
/// asked for, when its records have this many. Threat: records that each bring new fields,
/// which make every row of the batch as wide as all of them (a batch of 1,000 rows of 1,000
/// distinct fields each would be a billion cells).
const MAX_BATCH_CELLS: usize = 1 << 20;

/// The default of `max_record_bytes`: 16 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 << 20;

/// How JSON rows are laid out in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum JsonShape {
    /// `[{...}, {...}]`.
    #[default]
    #[serde(rename = "array")]
    Array,
    /// One object per line (newline-delimited JSON).
    #[serde(rename = "ndjson")]
    Ndjson,
    /// `{"value": [{...}, {...}]}`, as OData services answer.
    #[serde(rename = "odata")]
    OData,
}

/// Options of JSON documents.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JsonOptions {
    /// The shape the writer writes. The reader tells the shape from the document itself.
    pub shape: JsonShape,
    /// The most bytes a field's value (or name) may hold.
    pub max_field_bytes: usize,
    /// The most bytes a record's names and values may hold together. Threat: a record of a
    /// million fields, each within `max_field_bytes`.
    pub max_record_bytes: usize,
}

impl Default for JsonOptions {
    fn default() -> JsonOptions {
        JsonOptions {
            shape: JsonShape::Array,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// Reads JSON rows as batches of at most `batch_size` rows: an array of objects, objects one
/// after another (NDJSON, or simply concatenated), or an OData envelope whose `value` array
/// holds them (its other keys, before or after, are skipped). A batch's columns are the fields
/// its records have, in order of first appearance; a field a record lacks is null. A batch
/// whose records bring so many different fields that it reaches a million cells ends early,
/// with fewer rows. Strings are
/// text, integers that fit 64 bits are integers, other numbers are decimals with their exact
/// text, and a nested object or array as a field's value is an error. UTF-8, or UTF-16 with a
/// byte order mark.
pub fn reader<'a, R: Read + Send + 'a>(input: R, options: &JsonOptions, batch_size: usize) -> Result<Batches<'a>> {
    let text = text::decode(input, Encoding::Auto)?;
    Ok(Box::new(JsonRows {
        scanner: Scanner { input: BufReader::with_capacity(BUFFER_BYTES, text), line: 1 },
        shape: Shape::Start,
        pending: Pending::default(),
        key: Vec::new(),
        value: Vec::new(),
        records_read: 0,
        batch_size: batch_size.max(1),
        max_field_bytes: options.max_field_bytes,
        max_record_bytes: options.max_record_bytes,
        progress: Progress::default(),
    }))
}

/// Where the reader is in the document's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Nothing read yet.
    Start,
    /// Inside a top-level array; `first` until a record was read.
    Array { first: bool },
    /// Between top-level objects.
    Lines,
    /// Inside an OData envelope's `value` array.
    Envelope { first: bool },
    /// Past the end of the rows.
    End,
}

/// What a top-level object turned out to be.
enum Object {
    Record,
    /// An OData envelope, whose `value` array has just been opened.
    Envelope,
}

struct JsonRows<R> {
    scanner: Scanner<R>,
    shape: Shape,
    pending: Pending,
    /// The field name being read; one buffer for the whole document.
    key: Vec<u8>,
    /// The field value being read; one buffer for the whole document.
    value: Vec<u8>,
    records_read: u64,
    batch_size: usize,
    max_field_bytes: usize,
    max_record_bytes: usize,
    progress: Progress,
}

impl<R: Read> Iterator for JsonRows<R> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if let ControlFlow::Break(item) = self.progress.before_reading() {
            return item;
        }
        let filled = self.fill_batch();
        let rows = self.pending.records();
        self.progress.after_reading(filled, rows, || self.pending.finish())
    }
}

impl<R: Read> JsonRows<R> {
    fn fill_batch(&mut self) -> Result<()> {
        while self.pending.records() < self.batch_size
            && self.pending.cells() < MAX_BATCH_CELLS
            && self.next_record()?
        {}
        Ok(())
    }

    /// Reads the next record into the pending batch; false after the last one.
    fn next_record(&mut self) -> Result<bool> {
        loop {
            match self.shape {
                Shape::End => return Ok(false),
                Shape::Start => match self.scanner.skip_whitespace()? {
                    None => self.shape = Shape::End,
                    Some(b'[') => {
                        self.scanner.bump();
                        self.shape = Shape::Array { first: true };
                    }
                    Some(b'{') => {
                        self.scanner.bump();
                        match self.record(true)? {
                            Object::Record => {
                                self.shape = Shape::Lines;
                                return Ok(true);
                            }
                            Object::Envelope => self.shape = Shape::Envelope { first: true },
                        }
                    }
                    Some(other) => bail!(
                        "the document is {}, not rows: an array of objects, objects one per line, or an OData \
                         {{\"value\": [...]}} envelope",
                        describe(other)
                    ),
                },
                Shape::Array { first } | Shape::Envelope { first } => {
                    let envelope = matches!(self.shape, Shape::Envelope { .. });
                    let after = self.records_read;
                    let mut byte = self.scanner.next_token().context("the array of rows is not closed")?;
                    if !first && byte == b',' {
                        self.scanner.bump();
                        byte = self.scanner.next_token().context("the array of rows is not closed")?;
                    } else if byte == b']' {
                        self.scanner.bump();
                        self.end_of_rows(envelope)?;
                        self.shape = Shape::End;
                        return Ok(false);
                    } else if !first {
                        bail!(
                            "expected , or ] after record {after} (line {}), found {}",
                            self.scanner.line,
                            describe(byte)
                        );
                    }
                    if byte != b'{' {
                        bail!("record {} (line {}) is {}, not an object", after + 1, self.scanner.line, describe(byte));
                    }
                    self.scanner.bump();
                    self.record(false)?;
                    self.shape =
                        if envelope { Shape::Envelope { first: false } } else { Shape::Array { first: false } };
                    return Ok(true);
                }
                Shape::Lines => match self.scanner.skip_whitespace()? {
                    None => self.shape = Shape::End,
                    Some(b'{') => {
                        self.scanner.bump();
                        self.record(false)?;
                        return Ok(true);
                    }
                    Some(other) => bail!(
                        "expected another object after record {} (line {}), found {}",
                        self.records_read,
                        self.scanner.line,
                        describe(other)
                    ),
                },
            }
        }
    }

    /// Reads an object whose `{` was just consumed as the next record; the first object of a
    /// document may be an OData envelope instead.
    fn record(&mut self, envelope_possible: bool) -> Result<Object> {
        let number = self.records_read + 1;
        self.pending.start_record();
        match self.object(envelope_possible) {
            Ok(Object::Record) => {
                self.pending.end_record();
                self.records_read = number;
                Ok(Object::Record)
            }
            Ok(Object::Envelope) => {
                // What the envelope held before `value` (`@odata.context`, …) is no row.
                self.pending.discard_record();
                Ok(Object::Envelope)
            }
            Err(error) => {
                self.pending.discard_record();
                Err(error.context(format!("record {number} (line {})", self.scanner.line)))
            }
        }
    }

    fn object(&mut self, envelope_possible: bool) -> Result<Object> {
        // A nested value is an error in a record but not in an envelope, and the first
        // object's `value` key tells which it is; until then the error waits.
        let mut nested: Option<String> = None;
        let mut first = true;
        loop {
            let byte = self.scanner.next_token()?;
            if first && byte == b'}' {
                self.scanner.bump();
                break;
            }
            if byte != b'"' {
                bail!("expected a field name in quotes, found {}", describe(byte));
            }
            self.scanner.bump();
            self.scanner.string(&mut self.key, self.max_field_bytes).context("a field name")?;
            let key = std::str::from_utf8(&self.key).map_err(|_| anyhow!("a field name is not valid UTF-8"))?;
            if self.scanner.next_token()? != b':' {
                bail!("expected : after field name {key:?}");
            }
            self.scanner.bump();
            match self.scanner.next_token()? {
                b'[' if envelope_possible && key == "value" => {
                    self.scanner.bump();
                    return Ok(Object::Envelope);
                }
                nesting @ (b'{' | b'[') if envelope_possible => {
                    self.scanner.skip_value()?;
                    nested.get_or_insert_with(|| format!("field {key:?} holds {}", describe(nesting)));
                }
                nesting @ (b'{' | b'[') => bail!("field {key:?} holds {}; {FLAT}", describe(nesting)),
                start => {
                    let value = self
                        .scanner
                        .scalar(start, &mut self.value, self.max_field_bytes)
                        .with_context(|| format!("field {key:?}"))?;
                    self.pending.push(key, value, self.max_record_bytes)?;
                }
            }
            first = false;
            match self.scanner.next_token()? {
                b',' => self.scanner.bump(),
                b'}' => {
                    self.scanner.bump();
                    break;
                }
                other => bail!("expected , or }} after field {key:?}, found {}", describe(other)),
            }
        }
        match nested {
            Some(nested) => bail!("{nested}; {FLAT}"),
            None => Ok(Object::Record),
        }
    }

    /// Reads what follows the rows' closing `]`: the rest of an envelope, then nothing.
    fn end_of_rows(&mut self, envelope: bool) -> Result<()> {
        if envelope {
            loop {
                match self.scanner.next_token().context("the OData envelope is not closed")? {
                    b',' => {
                        self.scanner.bump();
                        if self.scanner.next_token()? != b'"' {
                            bail!("expected a key in the OData envelope (line {})", self.scanner.line);
                        }
                        self.scanner.bump();
                        self.scanner.skip_string()?;
                        if self.scanner.next_token()? != b':' {
                            bail!("expected : after a key of the OData envelope (line {})", self.scanner.line);
                        }
                        self.scanner.bump();
                        self.scanner.skip_value().context("in the OData envelope")?;
                    }
                    b'}' => {
                        self.scanner.bump();
                        break;
                    }
                    other => bail!(
                        "expected , or }} in the OData envelope (line {}), found {}",
                        self.scanner.line,
                        describe(other)
                    ),
                }
            }
        }
        match self.scanner.skip_whitespace()? {
            None => Ok(()),
            Some(other) => bail!("{} after the end of the rows (line {})", describe(other), self.scanner.line),
        }
    }
}

/// Why a nested value cannot be a field.
const FLAT: &str = "a row's fields are text, numbers, booleans or null";

/// What a value starting with `byte` is, for error messages.
fn describe(byte: u8) -> String {
    match byte {
        b'"' => "a string".to_owned(),
        b'-' | b'0'..=b'9' => "a number".to_owned(),
        b't' | b'f' => "a boolean".to_owned(),
        b'n' => "null".to_owned(),
        b'[' => "an array".to_owned(),
        b'{' => "an object".to_owned(),
        byte if byte.is_ascii_graphic() => format!("{:?}", char::from(byte)),
        byte => format!("byte 0x{byte:02X}"),
    }
}

/// The JSON tokens of a document, read through a buffer; counts lines for error messages.
struct Scanner<R> {
    input: BufReader<TextReader<R>>,
    line: u64,
}

impl<R: Read> Scanner<R> {
    fn buffer(&mut self) -> Result<&[u8]> {
        self.input.fill_buf().context("cannot read the document")
    }

    fn bump(&mut self) {
        self.input.consume(1);
    }

    /// Skips whitespace and gives the byte after it, unconsumed; `None` at the end.
    fn skip_whitespace(&mut self) -> Result<Option<u8>> {
        loop {
            let buffer = self.input.fill_buf().context("cannot read the document")?;
            if buffer.is_empty() {
                return Ok(None);
            }
            let blank = buffer.iter().take_while(|&&byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r')).count();
            let lines = buffer.iter().take(blank).filter(|&&byte| byte == b'\n').count();
            let next = buffer.get(blank).copied();
            self.line += lines as u64;
            self.input.consume(blank);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// The next byte after whitespace, unconsumed; the end of the document is an error here.
    fn next_token(&mut self) -> Result<u8> {
        self.skip_whitespace()?.ok_or_else(|| anyhow!("the document ends early (truncated?)"))
    }

    fn next_byte(&mut self) -> Result<u8> {
        let byte = self.buffer()?.first().copied().ok_or_else(|| anyhow!("the document ends inside a string"))?;
        self.bump();
        Ok(byte)
    }

    /// Reads a scalar starting with `start` (not yet consumed), its text into `out`.
    fn scalar<'v>(&mut self, start: u8, out: &'v mut Vec<u8>, limit: usize) -> Result<ValueRef<'v>> {
        match start {
            b'"' => {
                self.bump();
                self.string(out, limit)?;
                let text = std::str::from_utf8(out)
                    .map_err(|error| anyhow!("not valid UTF-8 (byte {} of the text)", error.valid_up_to() + 1))?;
                Ok(ValueRef::String(text))
            }
            b'-' | b'0'..=b'9' => {
                self.number(out, limit)?;
                let text = std::str::from_utf8(out).map_err(|_| anyhow!("a number that is not ASCII"))?;
                let integer = !text.contains(['.', 'e', 'E']);
                Ok(match text.parse::<i64>() {
                    Ok(number) if integer => ValueRef::Integer(number),
                    _ => ValueRef::Decimal(text),
                })
            }
            b't' => self.literal(b"true").map(|()| ValueRef::Boolean(true)),
            b'f' => self.literal(b"false").map(|()| ValueRef::Boolean(false)),
            b'n' => self.literal(b"null").map(|()| ValueRef::Null),
            other => bail!("unexpected {}", describe(other)),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<()> {
        for &expected in word {
            if self.buffer()?.first() != Some(&expected) {
                bail!("expected {}", String::from_utf8_lossy(word));
            }
            self.bump();
        }
        Ok(())
    }

    /// Reads a number's text into `out` and checks it is JSON's grammar.
    fn number(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<()> {
        out.clear();
        loop {
            let buffer = self.input.fill_buf().context("cannot read the document")?;
            let taken = buffer
                .iter()
                .take_while(|&&byte| matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .count();
            if out.len().saturating_add(taken) > limit {
                bail!("a number longer than the limit of {limit} bytes");
            }
            out.extend_from_slice(buffer.get(..taken).unwrap_or_default());
            let more = taken > 0 && taken == buffer.len();
            self.input.consume(taken);
            if !more {
                break;
            }
        }
        if !is_json_number(out) {
            bail!("{:?} is not a JSON number", String::from_utf8_lossy(out));
        }
        Ok(())
    }

    /// Reads a string whose opening quote was consumed, unescaped, into `out`; more than `limit`
    /// bytes is an error as soon as it is read.
    fn string(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<()> {
        out.clear();
        loop {
            let buffer = self.input.fill_buf().context("cannot read the document")?;
            if buffer.is_empty() {
                bail!("the document ends inside a string");
            }
            let plain = buffer.iter().take_while(|&&byte| byte != b'"' && byte != b'\\' && byte >= 0x20).count();
            if out.len().saturating_add(plain) > limit {
                bail!("longer than the limit of {limit} bytes");
            }
            out.extend_from_slice(buffer.get(..plain).unwrap_or_default());
            let stop = buffer.get(plain).copied();
            self.input.consume(plain);
            let Some(stop) = stop else { continue };
            self.bump();
            match stop {
                b'"' => return Ok(()),
                b'\\' => self.escape(out)?,
                control => bail!("a control character (U+{control:04X}) inside a string, where JSON needs it escaped"),
            }
            if out.len() > limit {
                bail!("longer than the limit of {limit} bytes");
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let byte = match self.next_byte()? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let character = self.unicode_escape()?;
                out.extend_from_slice(character.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            other => bail!("an unknown escape \\{}", char::from(other).escape_default()),
        };
        out.push(byte);
        Ok(())
    }

    /// The character of a `\u` escape whose `\u` was consumed, joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char> {
        let unit = self.hex4()?;
        let code = match unit {
            0xD800..=0xDBFF => {
                if self.next_byte()? != b'\\' || self.next_byte()? != b'u' {
                    bail!("\\u{unit:04X} begins a surrogate pair that does not continue");
                }
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    bail!("\\u{unit:04X} is followed by \\u{low:04X}, not the second half of a surrogate pair");
                }
                0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
            }
            0xDC00..=0xDFFF => bail!("\\u{unit:04X} is half a surrogate pair"),
            _ => u32::from(unit),
        };
        char::from_u32(code).ok_or_else(|| anyhow!("\\u{unit:04X} is not a character"))
    }

    fn hex4(&mut self) -> Result<u16> {
        let mut unit = 0u16;
        for _ in 0..4 {
            let byte = self.next_byte()?;
            let digit = char::from(byte).to_digit(16).ok_or_else(|| anyhow!("a \\u escape needs four hex digits"))?;
            unit = unit * 16 + digit as u16;
        }
        Ok(unit)
    }

    /// Skips a string whose opening quote was consumed, keeping nothing.
    fn skip_string(&mut self) -> Result<()> {
        loop {
            let buffer = self.input.fill_buf().context("cannot read the document")?;
            if buffer.is_empty() {
                bail!("the document ends inside a string");
            }
            let plain = buffer.iter().take_while(|&&byte| byte != b'"' && byte != b'\\' && byte >= 0x20).count();
            let stop = buffer.get(plain).copied();
            self.input.consume(plain);
            match stop {
                None => {}
                Some(b'"') => {
                    self.bump();
                    return Ok(());
                }
                Some(b'\\') => {
                    self.bump();
                    self.next_byte()?;
                }
                Some(control) => {
                    bail!("a control character (U+{control:04X}) inside a string, where JSON needs it escaped")
                }
            }
        }
    }

    /// Skips one value of any kind, keeping nothing but a stack of the brackets open.
    fn skip_value(&mut self) -> Result<()> {
        let mut open = Vec::new();
        loop {
            let byte = self.next_token()?;
            match byte {
                b'{' | b'[' => {
                    self.bump();
                    if open.len() == MAX_DEPTH {
                        bail!("values nested deeper than {MAX_DEPTH} levels");
                    }
                    open.push(if byte == b'{' { b'}' } else { b']' });
                    continue;
                }
                b'}' | b']' if open.last() == Some(&byte) => {
                    self.bump();
                    open.pop();
                }
                b',' | b':' if !open.is_empty() => {
                    self.bump();
                    continue;
                }
                b'"' => {
                    self.bump();
                    self.skip_string()?;
                }
                b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                    let mut scratch = Vec::new();
                    self.scalar(byte, &mut scratch, DEFAULT_MAX_FIELD_BYTES)?;
                }
                other => bail!("unexpected {} (line {})", describe(other), self.line),
            }
            if open.is_empty() {
                return Ok(());
            }
        }
    }
}

/// Whether `text` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(text: &[u8]) -> bool {
    fn digits(text: &[u8]) -> (usize, &[u8]) {
        let count = text.iter().take_while(|byte| byte.is_ascii_digit()).count();
        (count, text.get(count..).unwrap_or_default())
    }
    let text = text.strip_prefix(b"-").unwrap_or(text);
    let rest = match text {
        [b'0', rest @ ..] => rest,
        [b'1'..=b'9', ..] => digits(text).1,
        _ => return false,
    };
    let rest = match rest.strip_prefix(b".") {
        Some(fraction) => match digits(fraction) {
            (0, _) => return false,
            (_, rest) => rest,
        },
        None => rest,
    };
    let rest = match rest {
        [b'e' | b'E', exponent @ ..] => {
            let exponent = exponent.strip_prefix(b"+").or_else(|| exponent.strip_prefix(b"-")).unwrap_or(exponent);
            match digits(exponent) {
                (0, _) => return false,
                (_, rest) => rest,
            }
        }
        _ => rest,
    };
    rest.is_empty()
}

/// A cell of a pending row; text lives in [`Pending::text`].
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Boolean(bool),
    Integer(i64),
    Decimal(Range<usize>),
    String(Range<usize>),
}

/// The records of the batch being read, until its columns (the union of their fields) are
/// known.
#[derive(Debug, Default)]
struct Pending {
    columns: Vec<String>,
    positions: HashMap<String, usize>,
    /// For each column, the last record (1-based within the batch) that had it: a record
    /// naming a field twice is an error.
    seen_in: Vec<usize>,
    /// The text of every string and decimal cell.
    text: String,
    cells: Vec<(usize, Cell)>,
    /// Where each record's cells end in `cells`.
    record_ends: Vec<usize>,
    /// Where the open record started: columns, text and cells before it.
    open: (usize, usize, usize),
    /// The names and values of the open record so far.
    open_bytes: usize,
}

impl Pending {
    fn records(&self) -> usize {
        self.record_ends.len()
    }

    /// The cells of the batch the records read would make.
    fn cells(&self) -> usize {
        self.records().saturating_mul(self.columns.len())
    }

    fn start_record(&mut self) {
        self.open = (self.columns.len(), self.text.len(), self.cells.len());
        self.open_bytes = 0;
    }

    fn push(&mut self, key: &str, value: ValueRef<'_>, max_record_bytes: usize) -> Result<()> {
        let record = self.records() + 1;
        let text = value.as_str().unwrap_or_default();
        self.open_bytes = self.open_bytes.saturating_add(key.len()).saturating_add(text.len());
        if self.open_bytes > max_record_bytes {
            bail!("more than {max_record_bytes} bytes of names and values");
        }
        let column = match self.positions.get(key) {
            Some(&column) => column,
            None => {
                if self.columns.len() == MAX_COLUMNS {
                    bail!("field {key:?} makes more than {MAX_COLUMNS} distinct fields in one batch");
                }
                self.positions.insert(key.to_owned(), self.columns.len());
                self.columns.push(key.to_owned());
                self.seen_in.push(0);
                self.columns.len() - 1
            }
        };
        match self.seen_in.get_mut(column) {
            Some(seen) if *seen == record => bail!("field {key:?} appears twice"),
            Some(seen) => *seen = record,
            None => {}
        }
        let start = self.text.len();
        self.text.push_str(text);
        let range = start..self.text.len();
        let cell = match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Boolean(flag) => Cell::Boolean(flag),
            ValueRef::Integer(number) => Cell::Integer(number),
            ValueRef::Decimal(_) => Cell::Decimal(range),
            _ => Cell::String(range),
        };
        self.cells.push((column, cell));
        Ok(())
    }

    fn end_record(&mut self) {
        self.record_ends.push(self.cells.len());
    }

    /// Forgets the open record, and the columns only it had.
    fn discard_record(&mut self) {
        let (columns, text, cells) = self.open;
        for (column, _) in self.cells.drain(cells..) {
            if let Some(seen) = self.seen_in.get_mut(column) {
                *seen = 0;
            }
        }
        for name in self.columns.drain(columns..) {
            self.positions.remove(&name);
        }
        self.seen_in.truncate(columns);
        self.text.truncate(text);
    }

    /// The batch of the records read, leaving this empty for the next.
    fn finish(&mut self) -> Batch {
        let mut builder = BatchBuilder::new(std::mem::take(&mut self.columns));
        let mut row = vec![ValueRef::Null; builder.columns().len()];
        let mut start = 0;
        for &end in &self.record_ends {
            row.fill(ValueRef::Null);
            for (column, cell) in self.cells.get(start..end).unwrap_or_default() {
                let text = |range: &Range<usize>| self.text.get(range.clone()).unwrap_or_default();
                let value = match cell {
                    Cell::Null => ValueRef::Null,
                    Cell::Boolean(flag) => ValueRef::Boolean(*flag),
                    Cell::Integer(number) => ValueRef::Integer(*number),
                    Cell::Decimal(range) => ValueRef::Decimal(text(range)),
                    Cell::String(range) => ValueRef::String(text(range)),
                };
                if let Some(slot) = row.get_mut(*column) {
                    *slot = value;
                }
            }
            builder.push_row(&row);
            start = end;
        }
        self.positions.clear();
        self.seen_in.clear();
        self.text.clear();
        self.cells.clear();
        self.record_ends.clear();
        builder.finish()
    }
}

/// Writes rows as JSON objects with `columns` as keys (null as `null`), in `options.shape`:
/// numbers as numbers (a decimal's text as it is, once checked to be a JSON number), booleans
/// as booleans, dates and date-times as strings. UTF-8.
pub fn writer<'a, W: Write + Send + 'a>(
    mut output: W,
    options: &JsonOptions,
    columns: &[String],
) -> Result<Box<dyn RowWriter + 'a>> {
    let keys = columns
        .iter()
        .map(|name| {
            serde_json::to_vec(name).map(|mut key| {
                key.push(b':');
                key
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .context("cannot write a column name")?;
    let opening: &[u8] = match options.shape {
        JsonShape::Array => b"[",
        JsonShape::OData => b"{\"value\":[",
        JsonShape::Ndjson => b"",
    };
    output.write_all(opening).context("cannot write JSON")?;
    Ok(Box::new(JsonWriter {
        output,
        shape: options.shape,
        columns: columns.to_vec(),
        keys,
        row: Vec::new(),
        rows_written: 0,
    }))
}

struct JsonWriter<W> {
    output: W,
    shape: JsonShape,
    columns: Vec<String>,
    /// Each column's name as a JSON string, with its colon.
    keys: Vec<Vec<u8>>,
    /// The row being written; one buffer for the whole document.
    row: Vec<u8>,
    rows_written: u64,
}

/// Appends `value` to `out` as JSON, or says why it cannot be.
fn write_value(out: &mut Vec<u8>, value: ValueRef<'_>) -> Result<()> {
    match value {
        ValueRef::Null => out.extend_from_slice(b"null"),
        ValueRef::Boolean(flag) => out.extend_from_slice(if flag { b"true" } else { b"false" }),
        ValueRef::Integer(number) => write!(out, "{number}")?,
        ValueRef::Decimal(text) if is_json_number(text.as_bytes()) => out.extend_from_slice(text.as_bytes()),
        ValueRef::Decimal(text) => bail!("the decimal {text:?} is not a JSON number"),
        ValueRef::Float(number) if number.is_finite() => serde_json::to_writer(out, &number)?,
        ValueRef::Float(number) => bail!("{number} has no JSON number"),
        ValueRef::String(text) | ValueRef::Date(text) | ValueRef::DateTime(text) => serde_json::to_writer(out, text)?,
    }
    Ok(())
}

impl<W: Write + Send> RowWriter for JsonWriter<W> {
    fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        if batch.columns() != self.columns.as_slice() {
            bail!("a batch with columns {:?} for a JSON writer of columns {:?}", batch.columns(), self.columns);
        }
        for row in batch.rows() {
            self.row.clear();
            match (self.shape, self.rows_written) {
                (JsonShape::Ndjson, _) => {}
                (_, 0) => self.row.push(b'\n'),
                _ => self.row.extend_from_slice(b",\n"),
            }
            self.rows_written += 1;
            self.row.push(b'{');
            for (index, (key, name)) in self.keys.iter().zip(&self.columns).enumerate() {
                if index > 0 {
                    self.row.push(b',');
                }
                self.row.extend_from_slice(key);
                write_value(&mut self.row, row.value(index))
                    .with_context(|| format!("row {}, field {name:?}", self.rows_written))?;
            }
            self.row.push(b'}');
            if self.shape == JsonShape::Ndjson {
                self.row.push(b'\n');
            }
            self.output.write_all(&self.row).context("cannot write JSON")?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let rows = self.rows_written > 0;
        let closing: &[u8] = match (self.shape, rows) {
            (JsonShape::Array, true) => b"\n]\n",
            (JsonShape::Array, false) => b"]\n",
            (JsonShape::OData, true) => b"\n]}\n",
            (JsonShape::OData, false) => b"]}\n",
            (JsonShape::Ndjson, _) => b"",
        };
        self.output.write_all(closing).context("cannot write JSON")?;
        self.output.flush().context("cannot write JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::text::test_input::Generated;
    use wharf_plugin_sdk::Value;

    fn read(text: &str, batch_size: usize) -> Result<Vec<Batch>> {
        reader(text.as_bytes(), &JsonOptions::default(), batch_size)?.collect()
    }

    /// Every batch as its columns and its rows of owned values.
    fn tables(batches: &[Batch]) -> Vec<(Vec<String>, Vec<Vec<Value>>)> {
        let rows = |batch: &Batch| -> Vec<Vec<Value>> {
            batch.rows().map(|row| row.fields().map(|(_, value)| value.to_owned()).collect()).collect()
        };
        batches.iter().map(|batch| (batch.columns().to_vec(), rows(batch))).collect()
    }

    fn error_of(text: &[u8]) -> String {
        let error = match reader(text, &JsonOptions::default(), 100) {
            Ok(mut batches) => batches.find_map(Result::err).expect("an error"),
            Err(error) => error,
        };
        format!("{error:#}")
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn text(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    #[test]
    fn every_shape_reads_the_same_rows() {
        let records = r#"{"Id": 1, "Name": "Zoë"} {"Id": 2, "Name": "Bob"}"#;
        let array = r#"[{"Id": 1, "Name": "Zoë"}, {"Id": 2, "Name": "Bob"}]"#;
        let ndjson = "{\"Id\": 1, \"Name\": \"Zoë\"}\r\n{\"Id\": 2, \"Name\": \"Bob\"}\n";
        let odata = r#"{"@odata.context": "https://host/data/$metadata#Customers",
            "value": [{"Id": 1, "Name": "Zoë"}, {"Id": 2, "Name": "Bob"}], "@odata.nextLink": {"skip": [1, 2]}}"#;
        let expected = vec![(
            names(&["Id", "Name"]),
            vec![vec![Value::Integer(1), text("Zoë")], vec![Value::Integer(2), text("Bob")]],
        )];
        for document in [records, array, ndjson, odata] {
            assert_eq!(tables(&read(document, 10).expect(document)), expected, "{document}");
        }
    }

    #[test]
    fn cells_keep_their_json_types_and_decimals_their_exact_text() {
        let document =
            r#"[{"a": "x", "b": -42, "c": 12.50, "d": 1e-7, "e": true, "f": null, "g": 123456789012345678901}]"#;
        let expected = vec![
            text("x"),
            Value::Integer(-42),
            Value::Decimal("12.50".into()),
            Value::Decimal("1e-7".into()),
            Value::Boolean(true),
            Value::Null,
            Value::Decimal("123456789012345678901".into()),
        ];
        assert_eq!(tables(&read(document, 10).expect("valid"))[0].1, vec![expected]);
    }

    #[test]
    fn a_batch_has_the_union_of_its_records_fields_and_missing_ones_are_null() {
        let document = r#"[{"a": 1, "b": ""}, {"c": 3, "a": 2}, {"d": 4}]"#;
        let batches = read(document, 2).expect("valid");
        assert_eq!(
            tables(&batches),
            vec![
                (
                    names(&["a", "b", "c"]),
                    vec![
                        vec![Value::Integer(1), text(""), Value::Null],
                        vec![Value::Integer(2), Value::Null, Value::Integer(3)]
                    ]
                ),
                (names(&["d"]), vec![vec![Value::Integer(4)]]),
            ]
        );
    }

    #[test]
    fn escapes_decode_to_their_characters() {
        let document = r#"[{"s": "q\" b\\ s\/ \b\f\n\r\t é\u00e9 \ud83d\ude00"}]"#;
        assert_eq!(
            tables(&read(document, 10).expect("valid"))[0].1,
            vec![vec![text("q\" b\\ s/ \u{8}\u{c}\n\r\t éé 😀")]]
        );
        let message = error_of(br#"[{"s": "\ud83d"}]"#);
        assert!(message.contains("record 1 (line 1): field \"s\": \\uD83D begins a surrogate pair"), "{message}");
    }

    #[test]
    fn a_nested_value_is_an_error_naming_record_and_field() {
        let message = error_of(b"[{\"a\": 1},\n {\"a\": 2, \"address\": {\"city\": \"Oslo\"}}]");
        assert!(message.contains("record 2 (line 2): field \"address\" holds an object"), "{message}");
        let message = error_of(br#"{"a": 1, "tags": [1]}"#);
        assert!(message.contains("record 1 (line 1): field \"tags\" holds an array"), "{message}");
    }

    #[test]
    fn truncated_json_is_an_error_saying_where() {
        for (document, expected) in [
            (&br#"[{"a": 1}, {"a": 2"#[..], "record 2 (line 1): the document ends early"),
            (br#"[{"a": "unfinished"#, "record 1 (line 1): field \"a\": the document ends inside a string"),
            (br#"[{"a": 1}"#, "the array of rows is not closed"),
            (br#"{"value": [{"a": 1}]"#, "the OData envelope is not closed"),
            (br#"[{"a": tru"#, "record 1 (line 1): field \"a\": expected true"),
        ] {
            let message = error_of(document);
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn the_rows_before_an_error_come_first_whatever_the_batch_size() {
        for batch_size in [1, 2, 10] {
            let document = br#"[{"a": 1}, {"a": 2}, {"a": 3, "b": 4}, {"a": {}}, {"a": 5}]"#;
            let mut batches = reader(&document[..], &JsonOptions::default(), batch_size).expect("reader");
            let rows: Vec<Batch> = batches.by_ref().map_while(Result::ok).collect();
            let values: Vec<Value> = rows
                .iter()
                .flat_map(|batch| batch.rows().filter_map(|row| row.get("a")).map(ValueRef::to_owned))
                .collect();
            assert_eq!(values, [Value::Integer(1), Value::Integer(2), Value::Integer(3)], "batch size {batch_size}");
            assert!(batches.next().is_none(), "the error was the last item");
        }
    }

    #[test]
    fn a_top_level_scalar_is_not_rows() {
        for (document, kind) in [("42", "a number"), ("\"text\"", "a string"), ("true", "a boolean"), ("null", "null")]
        {
            let message = error_of(document.as_bytes());
            assert!(message.contains(&format!("the document is {kind}, not rows")), "{message}");
        }
        let message = error_of(b"[1, 2]");
        assert!(message.contains("record 1 (line 1) is a number, not an object"), "{message}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(1_000_000);
        assert!(error_of(deep.as_bytes()).contains("record 1 (line 1) is an array"));
        let deep = format!("{{\"a\": {}", "[".repeat(1_000_000));
        let message = error_of(deep.as_bytes());
        assert!(message.contains("nested deeper than 128 levels"), "{message}");
    }

    #[test]
    fn malformed_json_is_an_error() {
        for (document, expected) in [
            (&br#"[{"a": 1,}]"#[..], "expected a field name in quotes"),
            (br#"[{"a": 01}]"#, "\"01\" is not a JSON number"),
            (br#"[{"a": 1} {"a": 2}]"#, "expected , or ] after record 1"),
            (br#"[{"a": 1}],"#, "',' after the end of the rows"),
            (br#"{"a": 1, "a": 2}"#, "field \"a\" appears twice"),
            (b"[{\"a\": \"tab\there\"}]", "control character (U+0009)"),
            (b"[{\"a\": \"\xFF\"}]", "field \"a\": not valid UTF-8"),
            (br#"[{"a": 1}, ]"#, "record 2 (line 1) is ']', not an object"),
        ] {
            let message = error_of(document);
            assert!(message.contains(expected), "{expected}: {message}");
        }
    }

    #[test]
    fn empty_documents_have_no_rows() {
        for document in ["", "  \n", "[]", "[ ]", r#"{"value": []}"#, r#"{"@odata.context": "x", "value": [], "n": 0}"#]
        {
            assert!(read(document, 10).expect(document).is_empty(), "{document}");
        }
    }

    #[test]
    fn an_empty_object_is_a_row_of_no_fields() {
        let batches = read("[{}, {\"a\": 1}]", 10).expect("valid");
        assert_eq!(tables(&batches), vec![(names(&["a"]), vec![vec![Value::Null], vec![Value::Integer(1)]])]);
    }

    #[test]
    fn utf16_and_a_byte_order_mark_are_read() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(r#"[{"Name": "Zoë"}]"#.encode_utf16().flat_map(u16::to_le_bytes));
        let batches: Vec<Batch> = reader(bytes.as_slice(), &JsonOptions::default(), 10)
            .expect("reader")
            .collect::<Result<_>>()
            .expect("valid");
        assert_eq!(tables(&batches)[0].1, vec![vec![text("Zoë")]]);
        assert_eq!(tables(&read("\u{feff}[{\"a\": 1}]", 10).expect("bom"))[0].1, vec![vec![Value::Integer(1)]]);
    }

    #[test]
    fn a_field_over_the_limit_is_an_error_naming_record_and_field() {
        let options = JsonOptions { max_field_bytes: 4, ..JsonOptions::default() };
        let error = reader(&br#"[{"a": "abcd"}, {"a": "ab\"cd"}]"#[..], &options, 10)
            .expect("reader")
            .find_map(Result::err)
            .expect("an error");
        assert!(
            format!("{error:#}").contains("record 2 (line 1): field \"a\": longer than the limit of 4 bytes"),
            "{error:#}"
        );
    }

    #[test]
    fn a_1_gb_string_is_refused_after_reading_little_of_it() {
        for filler in [&b"x"[..], b"\\\""] {
            let input = Generated::new(br#"{"value": [{"Id": 1, "Name": ""#, filler, 1 << 30, 8 << 20);
            let error =
                reader(input, &JsonOptions::default(), 10).expect("reader").find_map(Result::err).expect("error");
            assert!(
                format!("{error:#}").contains("record 1 (line 1): field \"Name\": longer than the limit"),
                "{error:#}"
            );
        }
    }

    #[test]
    fn a_record_of_endless_small_fields_is_refused() {
        let options = JsonOptions { max_record_bytes: 1 << 20, ..JsonOptions::default() };
        let value = "v".repeat(2000);
        let mut document = String::from("[{");
        for field in 0..1000 {
            document.push_str(&format!("\"field{field}\": \"{value}\", "));
        }
        let error = reader(document.as_bytes(), &options, 10).expect("reader").find_map(Result::err).expect("error");
        assert!(
            format!("{error:#}").contains("record 1 (line 1): more than 1048576 bytes of names and values"),
            "{error:#}"
        );
    }

    #[test]
    fn records_bringing_new_fields_end_their_batch_early() {
        let document: String = (0..3000).map(|field| format!("{{\"field{field}\": 1}}\n")).collect();
        let batches = read(&document, 100_000).expect("valid");
        assert_eq!(batches.iter().map(Batch::len).sum::<usize>(), 3000);
        assert!(
            batches.len() > 1 && batches.iter().all(|batch| batch.len() * batch.columns().len() <= MAX_BATCH_CELLS)
        );
    }

    #[test]
    fn a_record_of_more_fields_than_a_sheet_has_columns_is_refused() {
        let fields: Vec<String> = (0..20_000).map(|field| format!("\"f{field}\": 0")).collect();
        let message = error_of(format!("[{{{}}}]", fields.join(", ")).as_bytes());
        assert!(
            message.contains("record 1 (line 1): field \"f16384\" makes more than 16384 distinct fields"),
            "{message}"
        );
    }

    fn sample_batch() -> (Vec<String>, Batch) {
        let columns = names(&["Id", "Name", "Amount", "Active", "Note", "Rate", "Day"]);
        let mut builder = BatchBuilder::new(columns.clone());
        builder.push_row(&[
            ValueRef::Integer(1),
            "Zoë \"the\" \\ 😀\n\u{1}".into(),
            ValueRef::Decimal("-12.50"),
            true.into(),
            ValueRef::Null,
            ValueRef::Float(0.1),
            ValueRef::Date("2024-02-29"),
        ]);
        builder.push_row(&[
            ValueRef::Integer(i64::MIN),
            "".into(),
            ValueRef::Decimal("1e400"),
            false.into(),
            "".into(),
            ValueRef::Float(1e300),
            ValueRef::DateTime("2024-02-29T10:00:00Z"),
        ]);
        (columns, builder.finish())
    }

    fn written(shape: JsonShape, batches: &[&Batch], columns: &[String]) -> Result<String> {
        let mut output = Vec::new();
        let mut writer = writer(&mut output, &JsonOptions { shape, ..JsonOptions::default() }, columns)?;
        for batch in batches {
            writer.write_batch(batch)?;
        }
        writer.finish()?;
        Ok(String::from_utf8(output)?)
    }

    #[test]
    fn every_shape_written_reads_back_as_the_same_cells() {
        let (columns, batch) = sample_batch();
        // Floats come back as decimals and dates as text: JSON has no types for them.
        let expected = vec![(
            columns.clone(),
            vec![
                vec![
                    Value::Integer(1),
                    text("Zoë \"the\" \\ 😀\n\u{1}"),
                    Value::Decimal("-12.50".into()),
                    Value::Boolean(true),
                    Value::Null,
                    Value::Decimal("0.1".into()),
                    text("2024-02-29"),
                ],
                vec![
                    Value::Integer(i64::MIN),
                    text(""),
                    Value::Decimal("1e400".into()),
                    Value::Boolean(false),
                    text(""),
                    Value::Decimal("1e+300".into()),
                    text("2024-02-29T10:00:00Z"),
                ],
            ],
        )];
        for shape in [JsonShape::Array, JsonShape::Ndjson, JsonShape::OData] {
            let document = written(shape, &[&batch], &columns).expect("written");
            assert_eq!(tables(&read(&document, 10).expect(&document)), expected, "{document}");
        }
    }

    #[test]
    fn written_shapes_look_as_expected() {
        let columns = names(&["a"]);
        let mut builder = BatchBuilder::new(columns.clone());
        builder.push_row(&[ValueRef::Integer(1)]);
        builder.push_row(&[ValueRef::Null]);
        let batch = builder.finish();
        assert_eq!(written(JsonShape::Array, &[&batch], &columns).expect("array"), "[\n{\"a\":1},\n{\"a\":null}\n]\n");
        assert_eq!(written(JsonShape::Ndjson, &[&batch], &columns).expect("ndjson"), "{\"a\":1}\n{\"a\":null}\n");
        assert_eq!(
            written(JsonShape::OData, &[&batch], &columns).expect("odata"),
            "{\"value\":[\n{\"a\":1},\n{\"a\":null}\n]}\n"
        );
        assert_eq!(written(JsonShape::Array, &[], &columns).expect("empty"), "[]\n");
        assert!(read(&written(JsonShape::OData, &[], &columns).expect("empty"), 10).expect("reads").is_empty());
    }

    #[test]
    fn a_value_json_cannot_hold_is_an_error_naming_row_and_field() {
        let columns = names(&["Amount"]);
        for (value, expected) in
            [(ValueRef::Decimal("1,5"), "is not a JSON number"), (ValueRef::Float(f64::NAN), "has no JSON number")]
        {
            let mut builder = BatchBuilder::new(columns.clone());
            builder.push_row(&[ValueRef::Integer(0)]);
            builder.push_row(&[value]);
            let message =
                format!("{:#}", written(JsonShape::Array, &[&builder.finish()], &columns).expect_err("refused"));
            assert!(message.contains("row 2, field \"Amount\"") && message.contains(expected), "{message}");
        }
    }

    #[test]
    fn the_json_number_grammar_is_exact() {
        for valid in ["0", "-0", "12", "-12.50", "1e5", "1E+5", "1.5e-3", "0.0"] {
            assert!(is_json_number(valid.as_bytes()), "{valid}");
        }
        for invalid in ["", "-", "01", "1.", ".5", "+1", "1e", "1e+", "1.5.2", "0x10", "1,5", "NaN"] {
            assert!(!is_json_number(invalid.as_bytes()), "{invalid}");
        }
    }
}
