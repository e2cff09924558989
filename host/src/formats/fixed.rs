//! Fixed-width text: each field at a fixed character position on its line, read into batches
//! of text cells. Reading only; Wharf exports to the other formats.

use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

use crate::formats::Batches;
use crate::formats::text::{self, DEFAULT_MAX_FIELD_BYTES, Encoding, Progress, SpanGuard, TextReader};

/// The buffer lines are read through.
const BUFFER_BYTES: usize = 64 * 1024;

/// One column of a fixed-width layout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedColumn {
    /// The column's name in the batches.
    pub name: String,
    /// The position of its first character on the line, counting from 1.
    pub start: usize,
    /// How many characters it spans.
    pub width: usize,
}

/// A fixed-width layout: where each column is on a line. Positions count characters, not
/// bytes, so non-ASCII text keeps its columns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FixedWidthOptions {
    /// The columns, in the order the batches have them (any order on the line, no overlaps).
    pub columns: Vec<FixedColumn>,
    /// Whether the first line is a header to skip.
    pub header: bool,
    /// How the file's text is encoded.
    pub encoding: Encoding,
    /// The most bytes one field may hold. A line may hold its columns at four bytes a character
    /// and this much after the last column; a longer line is an error.
    pub max_field_bytes: usize,
}

impl Default for FixedWidthOptions {
    fn default() -> FixedWidthOptions {
        FixedWidthOptions {
            columns: Vec::new(),
            header: false,
            encoding: Encoding::Auto,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
        }
    }
}

/// A column's characters on a line, 0-based and end-exclusive, with its place in the batch.
#[derive(Debug, Clone, Copy)]
struct Span {
    column: usize,
    start: usize,
    end: usize,
}

/// Checks a layout and gives its spans in line order. Columns must be named, unique, start at
/// 1 or later, be at least one character wide and not overlap.
fn layout(columns: &[FixedColumn]) -> Result<Vec<Span>> {
    if columns.is_empty() {
        bail!("a fixed-width layout needs at least one column");
    }
    let mut spans = Vec::with_capacity(columns.len());
    for (index, column) in columns.iter().enumerate() {
        let name = &column.name;
        if name.is_empty() {
            bail!("column {} has no name", index + 1);
        }
        if let Some(first) = columns.iter().take(index).position(|other| other.name == *name) {
            bail!("columns {} and {} are both named {name:?}", first + 1, index + 1);
        }
        if column.start == 0 {
            bail!("column {name:?} starts at 0; positions count from 1");
        }
        if column.width == 0 {
            bail!("column {name:?} has width 0");
        }
        let start = column.start - 1;
        let Some(end) = start.checked_add(column.width) else {
            bail!("column {name:?} ends past the longest possible line");
        };
        spans.push(Span { column: index, start, end });
    }
    spans.sort_by_key(|span| span.start);
    for pair in spans.windows(2) {
        if let [before, after] = pair
            && before.end > after.start
        {
            let name = |span: &Span| columns.get(span.column).map_or("", |column| column.name.as_str());
            bail!(
                "columns {:?} (characters {} to {}) and {:?} (from character {}) overlap",
                name(before),
                before.start + 1,
                before.end,
                name(after),
                after.start + 1
            );
        }
    }
    Ok(spans)
}

/// Reads fixed-width text as batches of at most `batch_size` rows, one row a line. A cell is
/// its characters without leading and trailing spaces; a line that ends before a column starts
/// has null there. Empty lines are skipped; CRLF and LF both end a line.
pub fn reader<'a, R: Read + Send + 'a>(
    input: R,
    options: &FixedWidthOptions,
    batch_size: usize,
) -> Result<Batches<'a>> {
    let spans = layout(&options.columns)?;
    let line_end = spans.iter().map(|span| span.end).max().unwrap_or_default();
    let max_line = line_end.saturating_mul(4).saturating_add(options.max_field_bytes).saturating_add(2);
    let text = text::decode(input, options.encoding)?;
    let lines = BufReader::with_capacity(BUFFER_BYTES, SpanGuard::new(text, b"\n", max_line, u64::MAX));
    let mut rows = FixedRows {
        lines,
        columns: options.columns.iter().map(|column| column.name.clone()).collect(),
        spans,
        line: Vec::new(),
        line_number: 0,
        records_read: 0,
        batch_size: batch_size.max(1),
        max_line,
        max_field_bytes: options.max_field_bytes,
        progress: Progress::default(),
    };
    if options.header && !rows.read_line()? {
        rows.progress.end();
    }
    Ok(Box::new(rows))
}

/// The rows of a fixed-width document, a batch at a time.
struct FixedRows<R> {
    lines: BufReader<SpanGuard<TextReader<R>>>,
    columns: Vec<String>,
    spans: Vec<Span>,
    /// The line being read, without its line break; one buffer for the whole document.
    line: Vec<u8>,
    line_number: u64,
    records_read: u64,
    batch_size: usize,
    max_line: usize,
    max_field_bytes: usize,
    progress: Progress,
}

impl<R: Read> Iterator for FixedRows<R> {
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

impl<R: Read> FixedRows<R> {
    /// Reads the next line into `self.line`; false at the end of the document.
    fn read_line(&mut self) -> Result<bool> {
        self.line.clear();
        let line_number = self.line_number + 1;
        match self.lines.read_until(b'\n', &mut self.line) {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(error) if text::limit_exceeded(&error).is_some() => {
                bail!("line {line_number} is longer than {} bytes, more than its columns can take", self.max_line)
            }
            Err(error) => return Err(error).with_context(|| format!("cannot read line {line_number}")),
        }
        self.line_number = line_number;
        for ending in [b'\n', b'\r'] {
            if self.line.last() == Some(&ending) {
                self.line.pop();
            }
        }
        Ok(true)
    }

    /// Adds rows to `builder` until it holds a batch or the document ends.
    fn fill(&mut self, builder: &mut BatchBuilder) -> Result<()> {
        let mut cells: Vec<ValueRef<'static>> = Vec::with_capacity(self.columns.len());
        while builder.len() < self.batch_size {
            if !self.read_line()? {
                self.progress.end();
                break;
            }
            if self.line.is_empty() {
                continue;
            }
            let mut row = text::reuse_cells(cells);
            row.resize(self.columns.len(), ValueRef::Null);
            self.records_read += 1;
            let place = || format!("record {} (line {})", self.records_read, self.line_number);
            let text = match std::str::from_utf8(&self.line) {
                Ok(text) => text,
                Err(error) => bail!("{}: not valid UTF-8 (byte {} of the line)", place(), error.valid_up_to() + 1),
            };
            let mut offsets = char_offsets(text);
            for span in &self.spans {
                let Some(start) = offsets.byte(span.start).filter(|&start| start < text.len()) else {
                    break;
                };
                let end = offsets.byte(span.end).unwrap_or(text.len());
                let cell = text.get(start..end).unwrap_or_default().trim_matches(' ');
                if cell.len() > self.max_field_bytes {
                    let name = self.columns.get(span.column).map_or("", String::as_str);
                    bail!(
                        "{}, field {name:?}: {} bytes, more than the limit of {}",
                        place(),
                        cell.len(),
                        self.max_field_bytes
                    );
                }
                if let Some(slot) = row.get_mut(span.column) {
                    *slot = ValueRef::String(cell);
                }
            }
            builder.push_row(&row);
            cells = text::reuse_cells(row);
        }
        Ok(())
    }
}

/// Byte offsets of character positions on a line, looked up in increasing order.
struct CharOffsets<I> {
    /// Character positions with their byte offsets, the line's end last.
    offsets: I,
    /// The last position passed, with its byte offset.
    current: (usize, usize),
}

fn char_offsets(text: &str) -> CharOffsets<impl Iterator<Item = (usize, usize)> + '_> {
    let offsets = text.char_indices().map(|(byte, _)| byte).chain(std::iter::once(text.len())).enumerate();
    CharOffsets { offsets, current: (0, 0) }
}

impl<I: Iterator<Item = (usize, usize)>> CharOffsets<I> {
    /// The byte offset of character `position` (the line's length for the position just past
    /// its end); `None` beyond that. Positions must not decrease between calls.
    fn byte(&mut self, position: usize) -> Option<usize> {
        while self.current.0 < position {
            self.current = self.offsets.next()?;
        }
        (self.current.0 == position).then_some(self.current.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::text::test_input::Generated;

    fn column(name: &str, start: usize, width: usize) -> FixedColumn {
        FixedColumn { name: name.to_owned(), start, width }
    }

    fn options() -> FixedWidthOptions {
        FixedWidthOptions {
            columns: vec![column("Id", 1, 4), column("Name", 5, 8), column("City", 13, 6)],
            ..FixedWidthOptions::default()
        }
    }

    fn rows(text: &[u8], options: &FixedWidthOptions) -> Result<Vec<Vec<Option<String>>>> {
        let mut rows = Vec::new();
        for batch in reader(text, options, 2)? {
            for row in batch?.rows() {
                rows.push(row.fields().map(|(_, value)| value.as_str().map(str::to_owned)).collect());
            }
        }
        Ok(rows)
    }

    fn some(texts: &[&str]) -> Vec<Option<String>> {
        texts.iter().map(|text| Some((*text).to_owned())).collect()
    }

    #[test]
    fn cells_are_cut_at_character_positions_and_trimmed() {
        let text = "0001Zoë     Zürich\r\n  2 Jürgen  Köln  \n";
        assert_eq!(
            rows(text.as_bytes(), &options()).expect("valid"),
            vec![some(&["0001", "Zoë", "Zürich"]), some(&["2", "Jürgen", "Köln"])]
        );
    }

    #[test]
    fn a_short_line_has_nulls_for_the_columns_it_does_not_reach() {
        let text = b"0003Short\n0004        \n0005";
        let expected = vec![
            vec![Some("0003".to_owned()), Some("Short".to_owned()), None],
            vec![Some("0004".to_owned()), Some(String::new()), None],
            vec![Some("0005".to_owned()), None, None],
        ];
        assert_eq!(rows(text, &options()).expect("valid"), expected);
    }

    #[test]
    fn columns_may_be_listed_in_any_order_and_leave_gaps() {
        let options = FixedWidthOptions {
            columns: vec![column("City", 10, 5), column("Id", 1, 3)],
            ..FixedWidthOptions::default()
        };
        assert_eq!(rows(b"007 skip Paris!\n", &options).expect("valid"), vec![some(&["Paris", "007"])]);
    }

    #[test]
    fn the_header_line_is_skipped_and_empty_lines_are_not_records() {
        let options = FixedWidthOptions { header: true, ..options() };
        let text = b"ID  NAME    CITY\n\n0001Ann     Oslo\r\n\r\n0002Bob     Rome\n";
        assert_eq!(
            rows(text, &options).expect("valid"),
            vec![some(&["0001", "Ann", "Oslo"]), some(&["0002", "Bob", "Rome"])]
        );
        let error = rows(b"ID\n\n0001Ann\n\xFF\n", &options).expect_err("invalid");
        assert!(error.to_string().contains("record 2 (line 4): not valid UTF-8"), "{error}");
    }

    #[test]
    fn a_bad_layout_is_refused_with_the_reason() {
        let cases = [
            (vec![column("A", 1, 5), column("B", 4, 2)], "overlap"),
            (vec![column("A", 1, 0)], "width 0"),
            (vec![column("A", 0, 2)], "positions count from 1"),
            (vec![column("A", 1, 2), column("A", 3, 2)], "both named \"A\""),
            (vec![column("", 1, 2)], "no name"),
            (vec![], "at least one column"),
        ];
        for (columns, reason) in cases {
            let options = FixedWidthOptions { columns, ..FixedWidthOptions::default() };
            let error = reader(&b""[..], &options, 10).err().expect("refused");
            assert!(error.to_string().contains(reason), "{error}");
        }
    }

    #[test]
    fn utf16_input_keeps_its_columns() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("0001Zoë     Zürich\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let options = FixedWidthOptions { encoding: Encoding::Utf16Le, ..options() };
        assert_eq!(rows(&bytes, &options).expect("valid"), vec![some(&["0001", "Zoë", "Zürich"])]);
    }

    #[test]
    fn a_field_over_the_limit_is_an_error_naming_record_and_field() {
        let options = FixedWidthOptions { max_field_bytes: 4, ..options() };
        let error = rows(b"0001Ann\n0002Bernhard\n", &options).expect_err("too long");
        assert!(error.to_string().contains("record 2 (line 2), field \"Name\": 8 bytes"), "{error}");
    }

    #[test]
    fn an_empty_document_has_no_rows() {
        assert!(rows(b"", &options()).expect("empty").is_empty());
        assert!(rows(b"HEADER\n", &FixedWidthOptions { header: true, ..options() }).expect("header only").is_empty());
    }

    #[test]
    fn a_1_gb_line_is_refused_after_reading_little_of_it() {
        let input = Generated::new(b"0001Ann     Oslo\n0002", b"x", 1 << 30, 8 << 20);
        let error = reader(input, &options(), 10).expect("layout").find_map(Result::err).expect("an error");
        assert!(error.to_string().contains("line 2 is longer than"), "{error}");
    }
}
