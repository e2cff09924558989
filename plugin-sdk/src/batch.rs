//! Row batches in Wharf's compact row encoding: reading ([`Batch`], [`Row`]) and writing
//! ([`BatchBuilder`]).
//!
//! A batch is its column names plus one byte buffer: every cell of every row, then a `u32`
//! offset per cell, then the row count (layout in `wit/wharf.wit`, `row-batch`). Crossing the
//! host/plugin boundary then costs one copy of the buffer, and reading a cell is an offset
//! lookup that borrows from the buffer: no allocation per cell, none per row.

use std::fmt;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

use crate::error::RowError;
use crate::value::ValueRef;

const TAG_NULL: u8 = 0;
const TAG_STRING: u8 = 1;
const TAG_INTEGER: u8 = 2;
const TAG_DECIMAL: u8 = 3;
const TAG_FLOAT: u8 = 4;
const TAG_BOOLEAN: u8 = 5;
const TAG_DATE: u8 = 6;
const TAG_DATETIME: u8 = 7;

/// A batch of rows, read-only.
pub struct Batch {
    columns: Vec<String>,
    data: Vec<u8>,
    /// Where the offsets trailer starts, which is also where the cells end.
    cells_end: usize,
    rows: usize,
    hints: ColumnHints,
}

impl Clone for Batch {
    fn clone(&self) -> Self {
        let (columns, data) = (self.columns.clone(), self.data.clone());
        Batch { hints: ColumnHints::new(columns.len()), columns, data, cells_end: self.cells_end, rows: self.rows }
    }
}

impl PartialEq for Batch {
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns && self.data == other.data
    }
}

/// Guesses which column a by-name lookup wants. A mapper reads the same fields in the same
/// order row after row, so after column `c` the next lookup usually asks for the column it
/// asked for the last time after `c`. A right guess costs one comparison instead of a scan of
/// the column names, which inside WebAssembly (no vectorised `memcmp`) was a fifth of a
/// mapper's time. Every guess is checked, so a stale or raced hint only costs the scan.
struct ColumnHints {
    /// The column found last; `successors.len() - 1` before the first lookup.
    previous: AtomicU32,
    /// For each column (and "none yet", last), the column looked up after it last time.
    successors: Box<[AtomicU32]>,
}

impl ColumnHints {
    fn new(columns: usize) -> ColumnHints {
        ColumnHints {
            previous: AtomicU32::new(columns as u32),
            successors: (0..=columns).map(|_| AtomicU32::new(0)).collect(),
        }
    }
}

/// Why a byte buffer is not a valid batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError(String);

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed row batch: {}", self.0)
    }
}

impl std::error::Error for BatchError {}

impl Batch {
    /// Reads a batch from its column names and encoded rows, checking every cell: offsets in
    /// order and in bounds, known tags, payloads of the right size, text that is UTF-8.
    pub fn from_parts(columns: Vec<String>, data: Vec<u8>) -> Result<Batch, BatchError> {
        Batch::read(columns, data, Text::Check)
    }

    /// Like [`from_parts`](Self::from_parts) for a batch the host wrote, whose text is UTF-8
    /// by construction (it writes text only from `&str`): checks the structure, and trusts the
    /// text rather than validating every cell again inside the plugin.
    pub(crate) fn from_host_parts(columns: Vec<String>, data: Vec<u8>) -> Result<Batch, BatchError> {
        Batch::read(columns, data, Text::Trust)
    }

    fn read(columns: Vec<String>, data: Vec<u8>, text: Text) -> Result<Batch, BatchError> {
        let malformed = |message: String| Err(BatchError(message));
        let Some(trailer_start) = data.len().checked_sub(4) else {
            return malformed(format!("{} bytes is too short for the row count", data.len()));
        };
        let rows = read_u32(&data, trailer_start) as usize;
        let cell_count = rows.checked_mul(columns.len());
        let Some(cells_end) =
            cell_count.and_then(|cells| cells.checked_mul(4)).and_then(|bytes| trailer_start.checked_sub(bytes))
        else {
            return malformed(format!("{rows} rows of {} columns do not fit in {} bytes", columns.len(), data.len()));
        };
        let batch = Batch { hints: ColumnHints::new(columns.len()), columns, data, cells_end, rows };
        let cell_count = rows * batch.columns.len();
        let mut expected_start = 0;
        for cell in 0..cell_count {
            let (start, end) = batch.cell_bounds(cell);
            let place = || {
                let column = cell % batch.columns.len();
                format!("row {}, column {}", cell / batch.columns.len(), batch.columns[column])
            };
            if start != expected_start || end < start || end > cells_end {
                return malformed(format!("{}: cell offsets out of order or out of bounds", place()));
            }
            if let Err(problem) = check_cell(&batch.data[start..end], text) {
                return malformed(format!("{}: {problem}", place()));
            }
            expected_start = end;
        }
        if expected_start != cells_end {
            return malformed(format!("{} stray bytes after the last cell", cells_end - expected_start));
        }
        Ok(batch)
    }

    /// Gives back the column names and encoded rows, e.g. to send them across the boundary.
    pub fn into_parts(self) -> (Vec<String>, Vec<u8>) {
        (self.columns, self.data)
    }

    /// The encoded rows.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The column names, in cell order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The position of the column named `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        let hints = &self.hints;
        let previous = (hints.previous.load(Relaxed) as usize).min(hints.successors.len() - 1);
        let guess = hints.successors[previous].load(Relaxed) as usize;
        let found = if self.columns.get(guess).is_some_and(|column| column == name) {
            Some(guess)
        } else {
            self.columns.iter().position(|column| column == name)
        };
        if let Some(column) = found {
            hints.successors[previous].store(column as u32, Relaxed);
            hints.previous.store(column as u32, Relaxed);
        }
        found
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Row `index`, if there is one.
    pub fn row(&self, index: usize) -> Option<Row<'_>> {
        (index < self.rows).then_some(Row { batch: self, index })
    }

    /// The rows in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> + '_ {
        (0..self.rows).map(move |index| Row { batch: self, index })
    }

    fn cell_bounds(&self, cell: usize) -> (usize, usize) {
        let start = read_u32(&self.data, self.cells_end + cell * 4) as usize;
        let end = if cell + 1 < self.rows * self.columns.len() {
            read_u32(&self.data, self.cells_end + (cell + 1) * 4) as usize
        } else {
            self.cells_end
        };
        (start, end)
    }

    fn cell(&self, row: usize, column: usize) -> ValueRef<'_> {
        let (start, end) = self.cell_bounds(row * self.columns.len() + column);
        decode_checked_cell(&self.data[start..end])
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<Vec<ValueRef<'_>>> =
            self.rows().map(|row| (0..self.columns.len()).map(|c| row.value(c)).collect()).collect();
        f.debug_struct("Batch").field("columns", &self.columns).field("rows", &rows).finish()
    }
}

/// One row of a [`Batch`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    batch: &'a Batch,
    index: usize,
}

impl<'a> Row<'a> {
    /// The row's index in its batch, 0-based. People see rows numbered otherwise: `wharf
    /// plugin run`, execution errors and error files show the 1-based data row of the whole
    /// document (the first row after the header is 1).
    pub fn index(&self) -> u32 {
        self.index as u32
    }

    /// The value in column position `column`.
    ///
    /// # Panics
    ///
    /// When the batch has no such column.
    pub fn value(&self, column: usize) -> ValueRef<'a> {
        assert!(column < self.batch.columns.len(), "column {column} is out of range");
        self.batch.cell(self.index, column)
    }

    /// The value of the column named `name`, or `None` when the batch has no such column.
    pub fn get(&self, name: &str) -> Option<ValueRef<'a>> {
        self.batch.column(name).map(|column| self.batch.cell(self.index, column))
    }

    /// The text in column `name`; null reads as `""`. An error names the row and field when
    /// the column is missing or holds a number or boolean.
    pub fn str(&self, name: &str) -> Result<&'a str, RowError> {
        match self.get(name) {
            None => Err(self.error(name, "the column is missing")),
            Some(ValueRef::Null) => Ok(""),
            Some(value) => {
                value.as_str().ok_or_else(|| self.error(name, format!("expected text, found a {}", value.type_name())))
            }
        }
    }

    /// The trimmed text in column `name`, or `None` when it is null or blank.
    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, RowError> {
        let text = self.str(name)?.trim();
        Ok((!text.is_empty()).then_some(text))
    }

    /// The trimmed text in column `name`; an error says the field is required when it is null
    /// or blank.
    pub fn required(&self, name: &str) -> Result<&'a str, RowError> {
        self.opt_str(name)?.ok_or_else(|| self.error(name, "a value is required"))
    }

    /// An error about `field` of this row.
    pub fn error(&self, field: &str, message: impl Into<String>) -> RowError {
        RowError::new(self.index(), message).field(field)
    }

    /// Column names with this row's values, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, ValueRef<'a>)> + 'a {
        let row = *self;
        let batch: &'a Batch = self.batch;
        batch.columns.iter().enumerate().map(move |(column, name)| (name.as_str(), row.value(column)))
    }
}

/// Builds a [`Batch`] row by row.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    columns: Vec<String>,
    cells: Vec<u8>,
    offsets: Vec<u32>,
    rows: u32,
}

impl BatchBuilder {
    /// An empty batch with these columns.
    pub fn new<C: Into<String>>(columns: impl IntoIterator<Item = C>) -> Self {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        BatchBuilder { columns, cells: Vec::new(), offsets: Vec::new(), rows: 0 }
    }

    /// Like [`new`](Self::new), with room for `rows` rows of about `bytes_per_row` bytes.
    pub fn with_capacity<C: Into<String>>(
        columns: impl IntoIterator<Item = C>,
        rows: usize,
        bytes_per_row: usize,
    ) -> Self {
        let mut builder = Self::new(columns);
        builder.cells.reserve(rows * bytes_per_row);
        builder.offsets.reserve(rows * builder.columns.len());
        builder
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The number of rows so far.
    pub fn len(&self) -> usize {
        self.rows as usize
    }

    /// Whether no row has been added.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Adds a row: one value per column, in column order.
    ///
    /// # Panics
    ///
    /// When `values` has more or fewer values than the batch has columns: that is a bug in
    /// the plugin, and it fails the call with this message.
    pub fn push_row(&mut self, values: &[ValueRef<'_>]) {
        assert!(
            values.len() == self.columns.len(),
            "a row of {} values for {} columns ({})",
            values.len(),
            self.columns.len(),
            self.columns.join(", ")
        );
        for value in values {
            self.push_cell(*value);
        }
        self.rows += 1;
    }

    fn push_cell(&mut self, value: ValueRef<'_>) {
        self.offsets.push(self.cells.len() as u32);
        let text = |cells: &mut Vec<u8>, tag: u8, text: &str| {
            cells.push(tag);
            cells.extend_from_slice(text.as_bytes());
        };
        match value {
            ValueRef::Null => self.cells.push(TAG_NULL),
            ValueRef::String(s) => text(&mut self.cells, TAG_STRING, s),
            ValueRef::Decimal(s) => text(&mut self.cells, TAG_DECIMAL, s),
            ValueRef::Date(s) => text(&mut self.cells, TAG_DATE, s),
            ValueRef::DateTime(s) => text(&mut self.cells, TAG_DATETIME, s),
            ValueRef::Integer(number) => {
                self.cells.push(TAG_INTEGER);
                self.cells.extend_from_slice(&number.to_le_bytes());
            }
            ValueRef::Float(number) => {
                self.cells.push(TAG_FLOAT);
                self.cells.extend_from_slice(&number.to_le_bytes());
            }
            ValueRef::Boolean(flag) => self.cells.extend_from_slice(&[TAG_BOOLEAN, u8::from(flag)]),
        }
    }

    /// The finished batch.
    pub fn finish(self) -> Batch {
        let BatchBuilder { columns, mut cells, offsets, rows } = self;
        let cells_end = cells.len();
        cells.reserve(offsets.len() * 4 + 4);
        for offset in offsets {
            cells.extend_from_slice(&offset.to_le_bytes());
        }
        cells.extend_from_slice(&rows.to_le_bytes());
        Batch { hints: ColumnHints::new(columns.len()), columns, data: cells, cells_end, rows: rows as usize }
    }
}

fn read_u32(data: &[u8], at: usize) -> u32 {
    let mut bytes = [0; 4];
    bytes.copy_from_slice(&data[at..at + 4]);
    u32::from_le_bytes(bytes)
}

/// Whether reading a batch validates its text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Check,
    Trust,
}

fn check_cell(cell: &[u8], text: Text) -> Result<(), String> {
    let Some((&tag, payload)) = cell.split_first() else {
        return Err("empty cell".into());
    };
    let fixed = |size: usize| {
        if payload.len() == size {
            Ok(())
        } else {
            Err(format!("a {}-byte payload where {size} bytes belong", payload.len()))
        }
    };
    match tag {
        TAG_NULL => fixed(0),
        TAG_INTEGER | TAG_FLOAT => fixed(8),
        TAG_BOOLEAN if payload == [0] || payload == [1] => Ok(()),
        TAG_BOOLEAN => Err("a boolean that is neither 0 nor 1".into()),
        TAG_STRING | TAG_DECIMAL | TAG_DATE | TAG_DATETIME if text == Text::Trust => Ok(()),
        TAG_STRING | TAG_DECIMAL | TAG_DATE | TAG_DATETIME => {
            std::str::from_utf8(payload).map(drop).map_err(|error| format!("text that is not UTF-8 ({error})"))
        }
        other => Err(format!("unknown cell tag {other}")),
    }
}

/// Decodes a cell that [`check_cell`] accepted when its batch was read.
fn decode_checked_cell(cell: &[u8]) -> ValueRef<'_> {
    let (tag, payload) = (cell[0], &cell[1..]);
    let eight = || {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(payload);
        bytes
    };
    match tag {
        TAG_STRING => ValueRef::String(checked_text(payload)),
        TAG_DECIMAL => ValueRef::Decimal(checked_text(payload)),
        TAG_DATE => ValueRef::Date(checked_text(payload)),
        TAG_DATETIME => ValueRef::DateTime(checked_text(payload)),
        TAG_INTEGER => ValueRef::Integer(i64::from_le_bytes(eight())),
        TAG_FLOAT => ValueRef::Float(f64::from_le_bytes(eight())),
        TAG_BOOLEAN => ValueRef::Boolean(payload[0] == 1),
        _ => ValueRef::Null,
    }
}

#[allow(unsafe_code, reason = "every text cell was checked to be UTF-8 when its batch was read")]
fn checked_text(payload: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(payload).is_ok());
    // SAFETY: `Batch` is only made by `from_parts`, which runs `check_cell` (UTF-8 validation)
    // on every text cell; by `BatchBuilder::finish`, which writes text only from `&str`; or, in
    // a plugin, by `from_host_parts` on what the host's `BatchBuilder` wrote. All of them keep
    // `data` immutable for the batch's life.
    unsafe { std::str::from_utf8_unchecked(payload) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Batch {
        let mut builder = BatchBuilder::new(["Name", "Count", "Price", "Active", "Note"]);
        builder.push_row(&[
            "Contoso".into(),
            ValueRef::Integer(-3),
            ValueRef::Decimal("12.50"),
            true.into(),
            ValueRef::Null,
        ]);
        builder.push_row(&["Fabrikam ✓".into(), 7.into(), ValueRef::Float(0.5), false.into(), "".into()]);
        builder.finish()
    }

    #[test]
    fn encoded_batch_reads_back_every_value() {
        let batch = sample();
        let (columns, data) = batch.clone().into_parts();
        let read = Batch::from_parts(columns, data).expect("valid batch");
        assert_eq!(read, batch);
        let second = read.row(1).expect("two rows");
        assert_eq!(second.str("Name"), Ok("Fabrikam ✓"));
        assert_eq!(second.get("Count"), Some(ValueRef::Integer(7)));
        assert_eq!(second.opt_str("Note"), Ok(None));
        assert_eq!(read.row(0).and_then(|row| row.get("Note")), Some(ValueRef::Null));
        assert!(read.row(2).is_none());
    }

    #[test]
    fn accessors_name_row_and_field_in_errors() {
        let batch = sample();
        let row = batch.row(1).expect("two rows");
        let error = row.str("Count").expect_err("a number is not text");
        assert_eq!(error.row, 1);
        assert_eq!(error.field.as_deref(), Some("Count"));
        assert_eq!(row.required("Note").expect_err("blank").message, "a value is required");
        assert_eq!(row.str("Missing").expect_err("no column").message, "the column is missing");
    }

    #[test]
    fn every_truncation_and_corruption_is_rejected_without_panicking() {
        let (columns, data) = sample().into_parts();
        for length in 0..data.len() {
            assert!(Batch::from_parts(columns.clone(), data[..length].to_vec()).is_err());
        }
        for at in 0..data.len() {
            for byte in [0u8, 1, 7, 8, 0x80, 0xff] {
                let mut corrupt = data.clone();
                corrupt[at] = byte;
                // Either rejected or still a well-formed batch; never a panic or a bad read.
                if let Ok(batch) = Batch::from_parts(columns.clone(), corrupt) {
                    for row in batch.rows() {
                        row.fields().for_each(drop);
                    }
                }
            }
        }
    }

    #[test]
    fn column_lookups_stay_right_whatever_the_order() {
        let batch = sample();
        let names = ["Name", "Count", "Price", "Active", "Note"];
        // A steady order (the hints learn it), then orders that break every guess.
        let orders = [[4, 0, 2, 1, 3], [4, 0, 2, 1, 3], [0, 1, 2, 3, 4], [3, 3, 1, 4, 0], [2, 4, 1, 0, 3]];
        for order in orders {
            for index in order {
                assert_eq!(batch.column(names[index]), Some(index));
            }
            assert_eq!(batch.column("Missing"), None);
        }
        assert_eq!(BatchBuilder::new(Vec::<String>::new()).finish().column("Name"), None);
    }

    #[test]
    fn a_huge_row_count_is_rejected_not_allocated() {
        let data = u32::MAX.to_le_bytes().to_vec();
        let error = Batch::from_parts(vec!["A".into(), "B".into()], data).expect_err("too short");
        assert!(error.to_string().contains("do not fit"), "{error}");
    }

    #[test]
    #[should_panic(expected = "a row of 1 values for 5 columns")]
    fn a_row_of_the_wrong_width_is_a_bug() {
        BatchBuilder::new(["Name", "Count", "Price", "Active", "Note"]).push_row(&["x".into()]);
    }
}
