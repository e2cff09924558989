//! Text for the text formats (CSV, fixed-width, JSON): input bytes decoded to a UTF-8 stream,
//! the guard that keeps a reader's memory bounded on hostile input, and UTF-16 LE output for
//! D365's `CSV-Unicode`.

use std::fmt;
use std::io::{self, Read, Write};
use std::ops::ControlFlow;

use anyhow::{Context as _, Result, bail};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use serde::Deserialize;
use wharf_plugin_sdk::{Batch, ValueRef};

/// The default of every reader's `max_field_bytes`: 1 MiB. D365 itself truncates imported
/// text at 32,768 characters, so a longer field is a broken or hostile file, not data.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

pub(crate) const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
const UTF16LE_BOM: [u8; 2] = [0xFF, 0xFE];
const UTF16BE_BOM: [u8; 2] = [0xFE, 0xFF];

/// How a text document's bytes encode its characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Encoding {
    /// Told by the byte order mark: UTF-8 (the mark is skipped), UTF-16 LE or UTF-16 BE. Without
    /// a mark, UTF-8. Use it when files come from anywhere.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// UTF-8, with or without its byte order mark; a UTF-16 mark is an error.
    #[serde(rename = "utf-8")]
    Utf8,
    /// UTF-16 little-endian starting with its byte order mark `FF FE`: D365's `CSV-Unicode`,
    /// which refuses a file without the mark ("Selected file is not Unicode"), and so do we.
    #[serde(rename = "utf-16le")]
    Utf16Le,
}

/// A document's text as UTF-8, decoded while it is read. UTF-8 passes through unchanged, so
/// invalid UTF-8 reaches the format's reader, which says where it is instead of replacing it.
pub struct TextReader<R> {
    decoder: DecodeReaderBytes<Replayed<R>, Vec<u8>>,
}

/// An input with the bytes [`decode`] looked at put back in front.
type Replayed<R> = io::Chain<io::Take<io::Cursor<[u8; 3]>>, R>;

impl<R> fmt::Debug for TextReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextReader").finish_non_exhaustive()
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.decoder.read(buf)
    }
}

/// Decodes `input` as `encoding` says, to UTF-8 without a byte order mark. UTF-16 input that
/// is not valid UTF-16 (a lone surrogate) reads as U+FFFD. An empty input is an empty document
/// in every encoding.
pub fn decode<R: Read>(mut input: R, encoding: Encoding) -> Result<TextReader<R>> {
    let mut head = [0u8; 3];
    let head_len = read_head(&mut input, &mut head).context("cannot read the start of the document")?;
    let start = head.get(..head_len).unwrap_or_default();
    let utf16 = start.starts_with(&UTF16LE_BOM) || start.starts_with(&UTF16BE_BOM);
    match encoding {
        Encoding::Auto => {}
        Encoding::Utf8 if utf16 => bail!("the document is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8"),
        Encoding::Utf8 => {}
        Encoding::Utf16Le if head_len > 0 && !start.starts_with(&UTF16LE_BOM) => {
            let found = if start.starts_with(&UTF8_BOM) { "a UTF-8 byte order mark" } else { "no byte order mark" };
            bail!(
                "the document is not Unicode (UTF-16 LE starting with the byte order mark FF FE, as CSV-Unicode is): it has {found}"
            )
        }
        Encoding::Utf16Le => {}
    }
    // Every case sniffs the mark: once the checks above passed, the mark decides correctly, and
    // UTF-8 stays untouched so that the reader can report invalid bytes where they are.
    let decoder = DecodeReaderBytesBuilder::new()
        .utf8_passthru(true)
        .strip_bom(true)
        .build(io::Cursor::new(head).take(head_len as u64).chain(input));
    Ok(TextReader { decoder })
}

/// Reads up to `head.len()` bytes, fewer only at the end of the input.
fn read_head(input: &mut impl Read, head: &mut [u8; 3]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = head.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Empties `cells` and gives back its allocation for values of another lifetime. A row's cells
/// borrow the record a reader just read, which the next read overwrites; this way one buffer
/// serves every row of a document.
pub(crate) fn reuse_cells<'b>(mut cells: Vec<ValueRef<'_>>) -> Vec<ValueRef<'b>> {
    cells.clear();
    // Collecting an emptied vector into one of a type of the same layout keeps its allocation.
    cells.into_iter().map(|_| ValueRef::Null).collect()
}

/// Where a reader's batches are: reading, or ended (the document's end, or a failure that
/// ends it). A reader that fails part-way through a batch hands over the rows before the
/// failure first and the failure next, so that what a document yields does not depend on the
/// batch size.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    ended: bool,
    /// The failure to hand over after the rows read before it.
    failure: Option<anyhow::Error>,
}

impl Progress {
    /// Says that the document ended: the batch being filled is the last.
    pub(crate) fn end(&mut self) {
        self.ended = true;
    }

    /// What the batches yield before reading more: a failure that waited behind the last
    /// rows, or their end.
    pub(crate) fn before_reading(&mut self) -> ControlFlow<Option<Result<Batch>>> {
        match self.failure.take() {
            Some(failure) => ControlFlow::Break(Some(Err(failure))),
            None if self.ended => ControlFlow::Break(None),
            None => ControlFlow::Continue(()),
        }
    }

    /// What the batches yield after reading `rows` rows, `filled` saying how that ended, and
    /// `batch` making them a batch.
    pub(crate) fn after_reading(
        &mut self,
        filled: Result<()>,
        rows: usize,
        batch: impl FnOnce() -> Batch,
    ) -> Option<Result<Batch>> {
        if let Err(failure) = filled {
            self.ended = true;
            if rows == 0 {
                return Some(Err(failure));
            }
            self.failure = Some(failure);
        }
        if rows == 0 {
            self.ended = true;
            return None;
        }
        Some(Ok(batch()))
    }
}

/// Which limit a [`SpanGuard`] stopped a document at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitExceeded {
    /// More than this many bytes without a separator byte.
    Span(usize),
    /// More than this many bytes in one record.
    Record(u64),
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitExceeded::Span(limit) => write!(f, "more than {limit} bytes without a separator"),
            LimitExceeded::Record(limit) => write!(f, "a record of more than {limit} bytes"),
        }
    }
}

impl std::error::Error for LimitExceeded {}

impl From<LimitExceeded> for io::Error {
    fn from(limit: LimitExceeded) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, limit)
    }
}

/// The limit a [`SpanGuard`] enforced, when that is what `error` is.
pub fn limit_exceeded(error: &io::Error) -> Option<LimitExceeded> {
    error.get_ref().and_then(|inner| inner.downcast_ref::<LimitExceeded>()).copied()
}

/// A `Read` adapter that bounds what a parser can be made to buffer, for parsers (the csv
/// crate, a line reader) that grow a field or a record until it ends.
///
/// Threat: a 1 GB field or line, or a record of a million fields, held in memory before any
/// check can see it. The guard counts the bytes between separator bytes (a field's or a line's
/// length) and the bytes of the current record, and fails the read that would pass either
/// limit. It delivers every byte before the one over the limit first, so the error reaches the
/// parser while it reads the offending record, not one read ahead of it.
pub struct SpanGuard<R> {
    inner: R,
    separators: [bool; 256],
    max_span: usize,
    max_record: u64,
    /// Bytes since the last separator; never above `max_span`.
    span: usize,
    /// Bytes handed to the reader so far.
    delivered: u64,
    /// Where the current record starts, in delivered bytes.
    record_start: u64,
    exceeded: Option<LimitExceeded>,
}

impl<R> fmt::Debug for SpanGuard<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanGuard")
            .field("max_span", &self.max_span)
            .field("max_record", &self.max_record)
            .field("delivered", &self.delivered)
            .finish_non_exhaustive()
    }
}

impl<R: Read> SpanGuard<R> {
    /// Guards `inner`: at most `max_span` bytes between two of `separators`, and at most
    /// `max_record` bytes from the start of a record (see
    /// [`start_record`](Self::start_record)) to the end of the bytes read so far.
    pub fn new(inner: R, separators: &[u8], max_span: usize, max_record: u64) -> SpanGuard<R> {
        let mut table = [false; 256];
        for &separator in separators {
            table[usize::from(separator)] = true;
        }
        SpanGuard {
            inner,
            separators: table,
            max_span,
            max_record,
            span: 0,
            delivered: 0,
            record_start: 0,
            exceeded: None,
        }
    }

    /// Says that the next record starts at byte `offset` of the guarded stream (the reader's
    /// own count of the bytes it consumed). Call it after every record, since a parser reads
    /// ahead of the record it returns.
    pub fn start_record(&mut self, offset: u64) {
        self.record_start = offset;
    }

    /// Changes the record limit, e.g. once a header row has told how many fields a record has.
    pub fn set_max_record(&mut self, max_record: u64) {
        self.max_record = max_record;
    }

    /// How many of `bytes` may pass before a span grows past the limit (usually all of them),
    /// keeping the length of the span that is still open at their end.
    fn passable(&mut self, bytes: &[u8]) -> usize {
        let separators = &self.separators;
        let is_separator = |byte: &u8| separators[usize::from(*byte)];
        let mut start = 0;
        loop {
            let rest = bytes.get(start..).unwrap_or_default();
            let room = self.max_span - self.span;
            let Some(offset) = rest.iter().position(is_separator) else {
                if rest.len() > room {
                    return start + room;
                }
                self.span += rest.len();
                return bytes.len();
            };
            if offset > room {
                return start + room;
            }
            self.span = 0;
            start += offset + 1;
            let rest = bytes.get(start..).unwrap_or_default();
            // Spans inside `rest` are shorter than `rest`: when that is within the limit, only
            // the open span at the end matters, and the last separator tells its length.
            if rest.len() <= self.max_span {
                self.span = rest.iter().rev().position(is_separator).unwrap_or(rest.len());
                return bytes.len();
            }
        }
    }
}

impl<R: Read> Read for SpanGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(limit) = self.exceeded {
            return Err(limit.into());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let in_record = self.delivered.saturating_sub(self.record_start);
        let room = self.max_record.saturating_sub(in_record);
        if room == 0 {
            let limit = LimitExceeded::Record(self.max_record);
            self.exceeded = Some(limit);
            return Err(limit.into());
        }
        // Never read past the record limit: the bytes after it may belong to the next record,
        // and they must still be there if this one ends in time.
        let wanted = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let Some(window) = buf.get_mut(..wanted) else { return Ok(0) };
        let read = self.inner.read(window)?;
        let passed = self.passable(window.get(..read).unwrap_or_default());
        if passed < read {
            // The bytes after `passed` are dropped: the over-long span is an error whatever
            // follows it, reported when the parser asks for more.
            self.exceeded = Some(LimitExceeded::Span(self.max_span));
            if passed == 0 {
                return Err(LimitExceeded::Span(self.max_span).into());
            }
        }
        self.delivered += passed as u64;
        Ok(passed)
    }
}

/// Creates a [`Utf16LeWriter`] on `output`, writing the byte order mark `FF FE` first. Use it
/// for D365's `CSV-Unicode` and anything else that must be "Unicode" in Windows' sense.
pub fn encode_utf16le_bom<W: Write>(mut output: W) -> io::Result<Utf16LeWriter<W>> {
    output.write_all(&UTF16LE_BOM)?;
    Ok(Utf16LeWriter { output, pending: Vec::with_capacity(4), encoded: Vec::new() })
}

/// A `Write` that takes UTF-8 and writes it as UTF-16 LE (after the byte order mark that
/// [`encode_utf16le_bom`] wrote). A character split between two writes is joined; bytes that
/// are not UTF-8 are an error.
pub struct Utf16LeWriter<W> {
    output: W,
    /// The first bytes of a character whose last bytes have not been written yet.
    pending: Vec<u8>,
    /// The UTF-16 of one write, kept to reuse its allocation.
    encoded: Vec<u8>,
}

impl<W> fmt::Debug for Utf16LeWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Utf16LeWriter").field("pending", &self.pending).finish_non_exhaustive()
    }
}

impl<W: Write> Utf16LeWriter<W> {
    /// Flushes and gives back the output; an error when the text ended inside a character.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.pending.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the text ends inside a UTF-8 character"));
        }
        self.output.flush()?;
        Ok(self.output)
    }
}

/// Writes `text` to `output` as UTF-16 LE, through `encoded`.
fn encode_utf16le(output: &mut impl Write, encoded: &mut Vec<u8>, text: &str) -> io::Result<()> {
    encoded.clear();
    for unit in text.encode_utf16() {
        encoded.extend_from_slice(&unit.to_le_bytes());
    }
    output.write_all(encoded)
}

fn not_utf8() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "text to encode as UTF-16 is not valid UTF-8")
}

impl<W: Write> Write for Utf16LeWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let Some(&first) = bytes.first() else { return Ok(0) };
        if !self.pending.is_empty() {
            // Completes the character the last write split, a byte at a time.
            self.pending.push(first);
            match std::str::from_utf8(&self.pending) {
                Ok(text) => encode_utf16le(&mut self.output, &mut self.encoded, text)?,
                Err(error) if error.error_len().is_none() => return Ok(1),
                Err(_) => return Err(not_utf8()),
            }
            self.pending.clear();
            return Ok(1);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                encode_utf16le(&mut self.output, &mut self.encoded, text)?;
                Ok(bytes.len())
            }
            Err(error) if error.valid_up_to() > 0 => {
                let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
                let text = std::str::from_utf8(valid).map_err(|_| not_utf8())?;
                encode_utf16le(&mut self.output, &mut self.encoded, text)?;
                Ok(valid.len())
            }
            Err(error) if error.error_len().is_none() => {
                // Fewer than four bytes: the start of one character.
                self.pending.extend_from_slice(bytes);
                Ok(bytes.len())
            }
            Err(_) => Err(not_utf8()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.output.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], encoding: Encoding) -> Result<Vec<u8>> {
        let mut text = Vec::new();
        decode(bytes, encoding)?.read_to_end(&mut text)?;
        Ok(text)
    }

    fn utf16le_with_bom(text: &str) -> Vec<u8> {
        let mut bytes = UTF16LE_BOM.to_vec();
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn auto_skips_a_utf8_byte_order_mark_and_keeps_the_rest() {
        assert_eq!(decoded(b"\xEF\xBB\xBFName\n\xC3\xA9", Encoding::Auto).expect("utf-8"), "Name\né".as_bytes());
        assert_eq!(decoded(b"ab", Encoding::Auto).expect("short"), b"ab");
        assert_eq!(decoded(b"", Encoding::Auto).expect("empty"), b"");
    }

    #[test]
    fn auto_decodes_utf16_of_either_byte_order() {
        assert_eq!(decoded(&utf16le_with_bom("Zürich,1"), Encoding::Auto).expect("le"), "Zürich,1".as_bytes());
        let mut big_endian = UTF16BE_BOM.to_vec();
        big_endian.extend("Zürich".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decoded(&big_endian, Encoding::Auto).expect("be"), "Zürich".as_bytes());
    }

    #[test]
    fn invalid_utf8_passes_through_for_the_reader_to_report() {
        assert_eq!(decoded(b"a\xFFb", Encoding::Auto).expect("passthrough"), b"a\xFFb");
        assert_eq!(decoded(b"\xEF\xBB\xBFa\xFFb", Encoding::Utf8).expect("passthrough"), b"a\xFFb");
    }

    #[test]
    fn csv_unicode_needs_the_utf16le_byte_order_mark() {
        assert_eq!(decoded(&utf16le_with_bom("Näme"), Encoding::Utf16Le).expect("unicode"), "Näme".as_bytes());
        let error = decoded(b"Name\r\n", Encoding::Utf16Le).expect_err("utf-8 given as unicode");
        assert!(error.to_string().contains("not Unicode"), "{error}");
        let error = decoded(b"\xEF\xBB\xBFName", Encoding::Utf16Le).expect_err("utf-8 with bom");
        assert!(error.to_string().contains("UTF-8 byte order mark"), "{error}");
        assert_eq!(decoded(b"", Encoding::Utf16Le).expect("empty"), b"");
    }

    #[test]
    fn a_reused_cell_buffer_keeps_its_allocation() {
        let text = String::from("x");
        let mut cells = Vec::with_capacity(8);
        cells.push(ValueRef::String(&text));
        let allocation = cells.as_ptr() as usize;
        let reused: Vec<ValueRef<'static>> = reuse_cells(cells);
        assert!(reused.is_empty());
        assert_eq!((reused.as_ptr() as usize, reused.capacity()), (allocation, 8));
    }

    #[test]
    fn a_utf16_file_given_as_utf8_is_refused() {
        let error = decoded(&utf16le_with_bom("Name"), Encoding::Utf8).expect_err("utf-16");
        assert!(error.to_string().contains("UTF-16"), "{error}");
    }

    fn guarded(bytes: &[u8], max_span: usize, max_record: u64) -> (Vec<u8>, Option<LimitExceeded>) {
        let mut guard = SpanGuard::new(bytes, b",\n", max_span, max_record);
        let mut delivered = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            match guard.read(&mut buf) {
                Ok(0) => return (delivered, None),
                Ok(read) => delivered.extend_from_slice(&buf[..read]),
                Err(error) => return (delivered, limit_exceeded(&error)),
            }
        }
    }

    #[test]
    fn spans_within_the_limit_pass_whole() {
        let text = b"abcd,efgh\nijkl,mnop\n,,\nqrst";
        assert_eq!(guarded(text, 4, u64::MAX), (text.to_vec(), None));
    }

    #[test]
    fn a_span_over_the_limit_stops_right_before_its_first_byte_too_many() {
        let (delivered, limit) = guarded(b"ab,cdefgh,ij", 4, u64::MAX);
        assert_eq!(delivered, b"ab,cdef");
        assert_eq!(limit, Some(LimitExceeded::Span(4)));
        let (delivered, limit) = guarded(b"abcdefghijklmnop", 3, u64::MAX);
        assert_eq!((delivered.as_slice(), limit), (&b"abc"[..], Some(LimitExceeded::Span(3))));
    }

    #[test]
    fn a_record_over_the_limit_is_stopped_where_the_limit_is() {
        let mut guard = SpanGuard::new(&b"a,b\nc,d,e,f,g\n"[..], b",\n", 10, 6);
        let mut first = [0u8; 4];
        guard.read_exact(&mut first).expect("first record");
        guard.start_record(4);
        let mut rest = Vec::new();
        let error = guard.read_to_end(&mut rest).expect_err("second record is too long");
        assert_eq!(rest, b"c,d,e,");
        assert_eq!(limit_exceeded(&error), Some(LimitExceeded::Record(6)));
    }

    #[test]
    fn utf16_output_has_the_mark_and_joins_characters_split_between_writes() {
        let mut writer = encode_utf16le_bom(Vec::new()).expect("bom");
        let text = "a€😀,\r\n".as_bytes();
        // One byte per write splits every multi-byte character.
        for byte in text {
            writer.write_all(std::slice::from_ref(byte)).expect("write");
        }
        writer.write_all("Zürich".as_bytes()).expect("write");
        let bytes = writer.finish().expect("complete");
        assert_eq!(bytes, utf16le_with_bom("a€😀,\r\nZürich"));
        assert_eq!(decoded(&bytes, Encoding::Utf16Le).expect("round trip"), "a€😀,\r\nZürich".as_bytes());
    }

    #[test]
    fn utf16_output_refuses_bytes_that_are_not_utf8() {
        let mut writer = encode_utf16le_bom(Vec::new()).expect("bom");
        assert!(writer.write_all(b"a\xFFb").is_err());
        let mut writer = encode_utf16le_bom(Vec::new()).expect("bom");
        writer.write_all(b"\xE2\x82").expect("first two bytes of a character");
        assert!(writer.finish().is_err(), "the text ended inside a character");
    }
}

/// Inputs for the readers' tests.
#[cfg(test)]
pub(crate) mod test_input {
    use std::io::{self, Read};

    /// A document made up while it is read, never held whole: `head`, then `filler` over and
    /// over, `total` bytes in all. Reading more than `ceiling` bytes fails the test: the reader
    /// under test is holding far more than its limit instead of refusing the document.
    pub(crate) struct Generated {
        head: Vec<u8>,
        filler: Vec<u8>,
        total: u64,
        ceiling: u64,
        produced: u64,
    }

    impl Generated {
        pub(crate) fn new(head: &[u8], filler: &[u8], total: u64, ceiling: u64) -> Generated {
            Generated { head: head.to_vec(), filler: filler.to_vec(), total, ceiling, produced: 0 }
        }
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(self.produced <= self.ceiling, "read {} bytes of a generated document: unbounded", self.produced);
            let mut written = 0;
            for slot in buf.iter_mut().take(usize::try_from(self.total - self.produced).unwrap_or(usize::MAX)) {
                let at = self.produced as usize;
                let from_filler = at.checked_sub(self.head.len()).map(|at| at % self.filler.len().max(1));
                *slot = match from_filler {
                    None => self.head.get(at).copied().unwrap_or_default(),
                    Some(at) => self.filler.get(at).copied().unwrap_or_default(),
                };
                self.produced += 1;
                written += 1;
            }
            Ok(written)
        }
    }
}
