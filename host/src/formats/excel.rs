//! Excel workbooks (`.xlsx`) ⇄ row batches: one sheet per entity, its field names in row 1,
//! read cell by cell (calamine) and written with rust_xlsxwriter.
//!
//! D365 names a sheet after the entity's label with `_` for spaces ([`sheet_name`]). Reading
//! streams a sheet's cells, so memory is one batch plus the workbook's shared-strings table
//! (bounded by the zip limits, which are checked before anything is inflated).

use std::fmt;
use std::io::SeekFrom;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::{self, JoinHandle};

use anyhow::{Context as _, Result, anyhow, bail};
use calamine::{Cell, DataRef, ExcelDateTime, Reader as _, Xlsx, XlsxCellReader};
use chrono::{DateTime, Datelike as _, NaiveDate, NaiveDateTime, Timelike as _, Utc};
use rust_xlsxwriter::{ExcelDateTime as WrittenDateTime, Format, Workbook as XlsxWorkbook, Worksheet, XlsxError};
use serde::Deserialize;
use wharf_plugin_sdk::{Batch, BatchBuilder, Value, ValueRef};

use super::package::{ZipLimits, check_zip};
use super::text::DEFAULT_MAX_FIELD_BYTES;
use super::{Batches, RowWriter, Sink, Source};

/// Most characters in a sheet name, as Excel allows.
const MAX_SHEET_NAME_CHARS: usize = 31;

/// Most rows in a sheet, the header included, as Excel allows.
const MAX_ROWS: u32 = 1_048_576;

/// Most columns in a sheet, as Excel allows.
const MAX_COLUMNS: usize = 16_384;

/// The largest integer a double holds exactly: bigger ones are written as text.
const MAX_EXACT_INTEGER: i64 = 1 << 53;

/// The sheet name D365 gives an entity's sheet: its label with `_` for spaces
/// (`Fixed asset major type` → `Fixed_asset_major_type`), and for the characters Excel forbids
/// in sheet names (`[]:*?/\`) and a leading or trailing apostrophe, cut to Excel's 31
/// characters. Use it to name the sheet of a workbook written for D365, or to find an entity's
/// sheet in one D365 wrote.
pub fn sheet_name(label: &str) -> String {
    let mut name: String = label
        .chars()
        .map(|character| match character {
            ' ' | '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            other => other,
        })
        .take(MAX_SHEET_NAME_CHARS)
        .collect();
    if name.starts_with('\'') {
        name.replace_range(..1, "_");
    }
    if name.ends_with('\'') {
        name.pop();
        name.push('_');
    }
    // Excel refuses an empty name and reserves "History" for its change tracking.
    if name.is_empty() || name.eq_ignore_ascii_case("history") {
        name.push('_');
    }
    name
}

/// How to read a workbook. Deserializes from a data project's settings, where any missing
/// field takes its default; the zip limits are not a setting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExcelOptions {
    /// The sheet to read (matched ignoring case, as Excel does); `None` reads the first.
    pub sheet: Option<String>,
    /// Most bytes one text cell may hold. D365 itself truncates text at 32,768 characters;
    /// the limit keeps a huge cell out of a batch. A cell is checked once calamine has read
    /// it, so the memory one cell can take is bounded by `zip.max_entry_bytes`.
    pub max_field_bytes: usize,
    /// Limits on the workbook's zip archive, checked before anything is inflated. The
    /// shared-strings table is held in memory whole, so `max_entry_bytes` bounds it.
    #[serde(skip)]
    pub zip: ZipLimits,
}

impl Default for ExcelOptions {
    fn default() -> Self {
        ExcelOptions {
            sheet: None,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            // Tighter than a package's entry limit: a workbook's shared strings are held whole.
            zip: ZipLimits { max_entry_bytes: 1 << 30, ..ZipLimits::default() },
        }
    }
}

/// Reads the rows of one sheet of the workbook in `input`, at most `batch_size` at a time.
///
/// Row 1 holds the field names, which must be distinct text without gaps; row `n + 1` is
/// record `n`. Cells map as: empty → `Null`; text → `String`; boolean → `Boolean`; a whole
/// number → `Integer`, any other number → `Decimal` in its shortest round-trip text; a date
/// cell → `Date` (`YYYY-MM-DD`), or `DateTime` (RFC 3339, `…Z`) when it has a time of day; a
/// duration → its number of days. An error cell (`#DIV/0!`), a value beyond the header's
/// columns, or a text cell over `max_field_bytes` is an error naming the cell. An empty row
/// between records is a record of nulls, so record numbers stay the sheet's row numbers minus
/// one; empty rows at the end are dropped.
///
/// calamine's cell reader borrows the workbook it reads, and an iterator cannot own both
/// without unsafe code, so the sheet is read on a worker thread that hands over one batch at
/// a time: memory stays at three batches (one being built, one waiting, the caller's). That is
/// why `input` must be `'static`; a caller that wants no thread, or has a borrowed input, uses
/// [`Workbook`] directly.
pub fn reader<R: Source + 'static>(input: R, options: &ExcelOptions, batch_size: usize) -> Result<Batches<'static>> {
    let mut workbook = Workbook::open(input, options)?;
    let sheet = workbook.find_sheet(options.sheet.as_deref())?;
    let (sender, receiver) = sync_channel(1);
    let worker = thread::Builder::new()
        .name("wharf-xlsx-reader".into())
        .spawn(move || {
            let batches = match workbook.batches(Some(&sheet), batch_size) {
                Ok(batches) => batches,
                Err(error) => {
                    // The receiver may be gone already; then nobody wants the error.
                    let _ = sender.send(Err(error));
                    return;
                }
            };
            for batch in batches {
                let failed = batch.is_err();
                if sender.send(batch).is_err() || failed {
                    return;
                }
            }
        })
        .context("cannot start the thread that reads the workbook")?;
    Ok(Box::new(WorkerBatches { receiver, worker: Some(worker) }))
}

/// The names of the sheets of the workbook in `input`, in workbook order, with the default
/// zip limits. To pick a sheet to read, see [`ExcelOptions::sheet`].
pub fn sheet_names<R: Source>(input: R) -> Result<Vec<String>> {
    Ok(Workbook::open(input, &ExcelOptions::default())?.sheet_names())
}

/// The batches a worker thread reads; see [`reader`].
struct WorkerBatches {
    receiver: Receiver<Result<Batch>>,
    worker: Option<JoinHandle<()>>,
}

impl Iterator for WorkerBatches {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if let Ok(batch) = self.receiver.recv() {
            return Some(batch);
        }
        // The worker has hung up: it is done, or it panicked, which must not pass for the end
        // of the sheet.
        match self.worker.take()?.join() {
            Ok(()) => None,
            Err(_) => Some(Err(anyhow!("the xlsx reader failed unexpectedly on this workbook"))),
        }
    }
}

/// An open workbook whose sheets can be read one batch at a time, without a thread.
pub struct Workbook<R: Source> {
    xlsx: Xlsx<R>,
    max_field_bytes: usize,
}

impl<R: Source> fmt::Debug for Workbook<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workbook").field("sheets", &self.xlsx.sheet_names()).finish_non_exhaustive()
    }
}

impl<R: Source> Workbook<R> {
    /// Opens the workbook in `input`: checks its zip directory against `options.zip`, then
    /// reads its directory, shared strings and styles. `options.sheet` is not used here.
    pub fn open(mut input: R, options: &ExcelOptions) -> Result<Self> {
        check_zip(&mut input, &options.zip).context("the workbook is refused")?;
        input.seek(SeekFrom::Start(0)).context("cannot seek back to the start of the workbook")?;
        let xlsx = Xlsx::new(input).context("not a readable xlsx workbook")?;
        Ok(Workbook { xlsx, max_field_bytes: options.max_field_bytes })
    }

    /// The names of its sheets, in workbook order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.xlsx.sheet_names()
    }

    /// Reads sheet `sheet` (matched ignoring case; `None` for the first), `batch_size` rows at
    /// a time, as [`reader`] describes. The header is read here.
    pub fn batches(&mut self, sheet: Option<&str>, batch_size: usize) -> Result<SheetBatches<'_, R>> {
        let sheet = self.find_sheet(sheet)?;
        let cells = self.xlsx.worksheet_cells_reader(&sheet).with_context(|| format!("cannot read sheet {sheet:?}"))?;
        let mut batches = SheetBatches {
            cells,
            sheet,
            columns: Vec::new(),
            max_field_bytes: self.max_field_bytes,
            batch_size: batch_size.max(1),
            lookahead: None,
            last_row_read: 0,
            blank_rows_pending: 0,
            ready_row: None,
            cells_exhausted: false,
            done: false,
        };
        batches.read_header()?;
        Ok(batches)
    }

    /// The name of sheet `wanted`, or of the first sheet.
    fn find_sheet(&self, wanted: Option<&str>) -> Result<String> {
        let names = self.xlsx.sheet_names();
        let Some(wanted) = wanted else {
            return names.into_iter().next().ok_or_else(|| anyhow!("the workbook has no sheets"));
        };
        let wanted_folded = wanted.to_lowercase();
        if let Some(name) = names.iter().find(|name| name.to_lowercase() == wanted_folded) {
            return Ok(name.clone());
        }
        let available: Vec<String> = names.iter().map(|name| format!("{name:?}")).collect();
        bail!("the workbook has no sheet named {wanted:?}; its sheets are {}", available.join(", "))
    }
}

/// The batches of one sheet, read as its cells stream in; see [`Workbook::batches`].
pub struct SheetBatches<'w, R: Source> {
    cells: XlsxCellReader<'w, R>,
    sheet: String,
    columns: Vec<String>,
    max_field_bytes: usize,
    batch_size: usize,
    /// The first cell of the next row, read while finding where the current row ends.
    lookahead: Option<Cell<DataRef<'w>>>,
    /// The sheet row (from 0, the header) of the last row read.
    last_row_read: u32,
    /// Empty rows between the last row handed out and `ready_row`, to hand out as nulls.
    blank_rows_pending: u32,
    ready_row: Option<Vec<Value>>,
    cells_exhausted: bool,
    done: bool,
}

impl<R: Source> fmt::Debug for SheetBatches<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SheetBatches")
            .field("sheet", &self.sheet)
            .field("columns", &self.columns)
            .field("last_row_read", &self.last_row_read)
            .finish_non_exhaustive()
    }
}

impl<R: Source> Iterator for SheetBatches<'_, R> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if self.done {
            return None;
        }
        match self.fill_batch() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

impl<'w, R: Source> SheetBatches<'w, R> {
    fn next_cell(&mut self) -> Result<Option<Cell<DataRef<'w>>>> {
        if let Some(cell) = self.lookahead.take() {
            return Ok(Some(cell));
        }
        // Past the end of `<sheetData>`, calamine's reader would read on into the end of the
        // document and fail.
        if self.cells_exhausted {
            return Ok(None);
        }
        let after = u64::from(self.last_row_read) + 1;
        let cell =
            self.cells.next_cell().with_context(|| format!("sheet {:?} is corrupt after row {after}", self.sheet))?;
        self.cells_exhausted = cell.is_none();
        Ok(cell)
    }

    /// Reads row 1 into `columns`.
    fn read_header(&mut self) -> Result<()> {
        let mut names: Vec<Option<String>> = Vec::new();
        while let Some(cell) = self.next_cell()? {
            let (row, column) = cell.get_position();
            if row > 0 {
                self.lookahead = Some(cell);
                break;
            }
            let name = match cell.get_value() {
                DataRef::Empty => continue,
                DataRef::String(text) => text.as_str(),
                DataRef::SharedString(text) => text,
                other => bail!("header cell {} holds {other:?}, not a field name", cell_name(row, column)),
            };
            if name.len() > self.max_field_bytes {
                bail!(
                    "header cell {} is longer than {} bytes (max_field_bytes)",
                    cell_name(row, column),
                    self.max_field_bytes
                );
            }
            let index = column as usize;
            if index >= MAX_COLUMNS {
                bail!("header cell {} is beyond Excel's last column", cell_name(row, column));
            }
            if names.len() <= index {
                names.resize(index + 1, None);
            }
            if let Some(slot) = names.get_mut(index) {
                *slot = Some(name.to_owned());
            }
        }
        if names.is_empty() && self.lookahead.is_some() {
            bail!("sheet {:?} has no field names in row 1", self.sheet);
        }
        for (index, name) in names.into_iter().enumerate() {
            let column = u32::try_from(index).unwrap_or(u32::MAX);
            let Some(name) = name.filter(|name| !name.is_empty()) else {
                bail!("header cell {} is empty, but a column needs a field name", cell_name(0, column));
            };
            if let Some(earlier) = self.columns.iter().position(|earlier| *earlier == name) {
                let earlier = cell_name(0, u32::try_from(earlier).unwrap_or(u32::MAX));
                bail!("field name {name:?} is in both {earlier} and {}", cell_name(0, column));
            }
            self.columns.push(name);
        }
        Ok(())
    }

    fn fill_batch(&mut self) -> Result<Option<Batch>> {
        let mut builder = BatchBuilder::new(self.columns.iter().cloned());
        let nulls = vec![ValueRef::Null; self.columns.len()];
        while builder.len() < self.batch_size {
            if self.blank_rows_pending > 0 {
                self.blank_rows_pending -= 1;
                builder.push_row(&nulls);
            } else if let Some(values) = self.ready_row.take() {
                let values: Vec<ValueRef<'_>> = values.iter().map(Value::as_ref).collect();
                builder.push_row(&values);
            } else if self.cells_exhausted {
                break;
            } else {
                self.read_row()?;
            }
        }
        Ok((!builder.is_empty()).then(|| builder.finish()))
    }

    /// Reads the cells of the next row that has a value into `ready_row`, noting the empty
    /// rows before it; sets `cells_exhausted` at the end of the sheet.
    fn read_row(&mut self) -> Result<()> {
        let mut values = vec![Value::Null; self.columns.len()];
        let mut current_row: Option<u32> = None;
        let mut last_column: Option<u32> = None;
        let mut has_value = false;
        loop {
            let Some(cell) = self.next_cell()? else {
                break;
            };
            let (row, column) = cell.get_position();
            if current_row != Some(row) {
                if has_value {
                    self.lookahead = Some(cell);
                    break;
                }
                let previous = current_row.unwrap_or(self.last_row_read);
                if row <= previous {
                    bail!(
                        "cell {} comes after row {} in sheet {:?}: rows are out of order",
                        cell_name(row, column),
                        previous + 1,
                        self.sheet
                    );
                }
                current_row = Some(row);
                last_column = None;
            }
            if last_column.is_some_and(|last| column <= last) {
                bail!("cell {} is out of order in its row in sheet {:?}", cell_name(row, column), self.sheet);
            }
            last_column = Some(column);
            let value = self.convert(cell.get_value(), row, column)?;
            if matches!(value, Value::Null) {
                continue;
            }
            let Some(slot) = values.get_mut(column as usize) else {
                bail!(
                    "cell {} (record {row}) holds a value beyond the header's {} columns",
                    cell_name(row, column),
                    self.columns.len()
                );
            };
            *slot = value;
            has_value = true;
        }
        if let (true, Some(row)) = (has_value, current_row) {
            self.blank_rows_pending = row.saturating_sub(self.last_row_read).saturating_sub(1);
            self.last_row_read = row;
            self.ready_row = Some(values);
        }
        Ok(())
    }

    /// The value of the cell at (`row`, `column`).
    fn convert(&self, data: &DataRef<'_>, row: u32, column: u32) -> Result<Value> {
        let place = || {
            let name = self.columns.get(column as usize).map_or("beyond the header", String::as_str);
            format!("cell {} (record {row}, column {name})", cell_name(row, column))
        };
        let value = match data {
            DataRef::Empty => Value::Null,
            DataRef::String(text) => self.text(text, &place)?,
            DataRef::SharedString(text) => self.text(text, &place)?,
            DataRef::Bool(flag) => Value::Boolean(*flag),
            DataRef::Int(number) => Value::Integer(*number),
            DataRef::Float(number) => number_value(*number).with_context(place)?,
            DataRef::DateTime(datetime) if datetime.is_duration() => {
                number_value(datetime.as_f64()).with_context(place)?
            }
            DataRef::DateTime(datetime) => date_value(datetime).with_context(place)?,
            DataRef::DateTimeIso(text) => iso_value(text),
            DataRef::DurationIso(text) => self.text(text, &place)?,
            DataRef::Error(error) => bail!("{} holds the error {error}", place()),
        };
        Ok(value)
    }

    fn text(&self, text: &str, place: &dyn Fn() -> String) -> Result<Value> {
        if text.len() > self.max_field_bytes {
            bail!("{} is longer than {} bytes (max_field_bytes)", place(), self.max_field_bytes);
        }
        Ok(Value::String(text.to_owned()))
    }
}

/// A number cell's value: `Integer` when whole, else `Decimal` in the shortest text that
/// reads back as the same double.
fn number_value(number: f64) -> Result<Value> {
    if !number.is_finite() {
        bail!("holds {number}, which is not a number a row can carry");
    }
    // Both bounds are exact doubles (±2^63), so the cast below neither rounds nor saturates.
    if number.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&number) {
        return Ok(Value::Integer(number as i64));
    }
    Ok(Value::Decimal(number.to_string()))
}

/// A date cell's value: `Date`, or `DateTime` when it has a time of day.
fn date_value(datetime: &ExcelDateTime) -> Result<Value> {
    let serial = datetime.as_f64();
    // Excel's dates run from serial 0 to 9999-12-31; calamine would clamp anything else to an
    // edge of that range, and a wrong date is worse than an error.
    if !(0.0..2_958_466.0).contains(&serial) {
        bail!("holds date serial {serial}, outside the dates Excel can hold");
    }
    let (year, month, day, hour, minute, second, millisecond) = datetime.to_ymd_hms_milli();
    if NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day)).is_none() {
        bail!("holds {year:04}-{month:02}-{day:02}, a day that does not exist (Excel counts a 1900-02-29)");
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if (hour, minute, second, millisecond) == (0, 0, 0, 0) {
        return Ok(Value::Date(date));
    }
    let fraction = if millisecond > 0 { format!(".{millisecond:03}") } else { String::new() };
    Ok(Value::DateTime(format!("{date}T{hour:02}:{minute:02}:{second:02}{fraction}Z")))
}

/// An ISO 8601 date cell's value (`t="d"`, rare in xlsx): `Date` or `DateTime`, or its text
/// when it is neither.
fn iso_value(text: &str) -> Value {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Value::Date(date.format("%Y-%m-%d").to_string());
    }
    let utc = DateTime::parse_from_rfc3339(text)
        .map(|datetime| datetime.with_timezone(&Utc).naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"));
    match utc {
        Ok(datetime) => Value::DateTime(datetime.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()),
        Err(_) => Value::String(text.to_owned()),
    }
}

/// A cell's A1 name, from 0-based row and column: (6, 1) → `B7`.
fn cell_name(row: u32, column: u32) -> String {
    let mut letters = Vec::new();
    let mut rest = u64::from(column) + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(char::from(b'A' + digit as u8));
        rest = (rest - 1) / 26;
    }
    let letters: String = letters.into_iter().rev().collect();
    format!("{letters}{}", u64::from(row) + 1)
}

/// How to write a single-sheet workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcelWriterOptions {
    /// The sheet's name; for D365, [`sheet_name`] of the entity's label.
    pub sheet: String,
}

/// Writes a single-sheet workbook to `output`: the header (bold) in row 1, then one row per
/// record. See [`ExcelWriter`] for how values are written, and for several sheets.
pub fn writer<'a, W: Sink + 'a>(
    output: W,
    options: &ExcelWriterOptions,
    columns: &[String],
) -> Result<Box<dyn RowWriter + 'a>> {
    let mut workbook = ExcelWriter::new(output);
    let sheet = workbook.add_sheet(&options.sheet, columns)?;
    Ok(Box::new(SheetWriter { workbook, sheet }))
}

/// A workbook being written, one sheet per entity (D365 workbooks have one sheet per entity;
/// a data package has one workbook per entity, so one sheet is the common case, see
/// [`writer`]).
///
/// Values are written as Excel types: integers and decimals as numbers (unless a double
/// cannot hold them exactly: integers beyond ±2^53 and decimals with more digits than a double
/// keeps are written as text, so no digit is lost), floats as numbers, booleans as booleans,
/// dates and date-times as Excel dates with a date format (to the millisecond, in UTC), text
/// as text. `Null` leaves the cell empty, and so does an empty string: Excel does not keep
/// empty text, so it reads back as `Null`.
///
/// rust_xlsxwriter keeps every cell in memory until [`finish`](Self::finish): its
/// constant-memory mode needs a crate feature Wharf does not enable. A sheet holds at most
/// 1,048,576 rows, the header included; a row beyond that is an error.
pub struct ExcelWriter<W: Sink> {
    output: W,
    workbook: XlsxWorkbook,
    sheets: Vec<SheetInProgress>,
    header_format: Format,
    date_format: Format,
    datetime_format: Format,
}

impl<W: Sink> fmt::Debug for ExcelWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExcelWriter").field("sheets", &self.sheets).finish_non_exhaustive()
    }
}

/// A sheet's columns and how many rows it has so far.
#[derive(Debug)]
struct SheetInProgress {
    name: String,
    columns: Vec<String>,
    /// Records written (the header not counted).
    rows_written: u32,
}

impl<W: Sink> ExcelWriter<W> {
    /// An empty workbook that [`finish`](Self::finish) writes to `output`.
    pub fn new(output: W) -> Self {
        ExcelWriter {
            output,
            workbook: XlsxWorkbook::new(),
            sheets: Vec::new(),
            header_format: Format::new().set_bold(),
            date_format: Format::new().set_num_format("yyyy-mm-dd"),
            datetime_format: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        }
    }

    /// Adds sheet `name` with `columns` as its header, and returns its index for
    /// [`write_batch`](Self::write_batch). The name must be a valid Excel sheet name, distinct
    /// (ignoring case) from the other sheets'.
    pub fn add_sheet(&mut self, name: &str, columns: &[String]) -> Result<usize> {
        if self.sheets.iter().any(|sheet| sheet.name.to_lowercase() == name.to_lowercase()) {
            bail!("the workbook already has a sheet named {name:?}");
        }
        if columns.len() > MAX_COLUMNS {
            bail!("{} columns do not fit in a sheet: Excel holds {MAX_COLUMNS}", columns.len());
        }
        let mut worksheet = Worksheet::new();
        worksheet.set_name(name).with_context(|| format!("{name:?} is not a valid sheet name"))?;
        for (column, field) in (0u16..).zip(columns) {
            worksheet
                .write_string_with_format(0, column, field, &self.header_format)
                .with_context(|| format!("cannot write field name {field:?} in the header"))?;
        }
        self.workbook.push_worksheet(worksheet);
        self.sheets.push(SheetInProgress { name: name.to_owned(), columns: columns.to_vec(), rows_written: 0 });
        Ok(self.sheets.len() - 1)
    }

    /// Appends the rows of `batch` to sheet `sheet` (an index from
    /// [`add_sheet`](Self::add_sheet)). Its columns must be that sheet's.
    pub fn write_batch(&mut self, sheet: usize, batch: &Batch) -> Result<()> {
        let (Some(state), Ok(worksheet)) = (self.sheets.get_mut(sheet), self.workbook.worksheet_from_index(sheet))
        else {
            bail!("the workbook has no sheet {sheet}");
        };
        if batch.columns() != state.columns.as_slice() {
            bail!(
                "the batch's columns ({}) are not sheet {:?}'s ({})",
                batch.columns().join(", "),
                state.name,
                state.columns.join(", ")
            );
        }
        let formats = CellFormats { date: &self.date_format, datetime: &self.datetime_format };
        for row in batch.rows() {
            let sheet_row = state.rows_written + 1;
            if sheet_row >= MAX_ROWS {
                bail!("sheet {:?} is full: Excel holds {MAX_ROWS} rows, the header included", state.name);
            }
            for (column, name) in (0u16..).zip(&state.columns) {
                let value = row.value(usize::from(column));
                write_cell(worksheet, sheet_row, column, value, &formats).with_context(|| {
                    format!(
                        "cannot write cell {} (row {sheet_row}, column {name})",
                        cell_name(sheet_row, u32::from(column))
                    )
                })?;
            }
            state.rows_written = sheet_row;
        }
        Ok(())
    }

    /// Writes the workbook to the output and flushes it.
    pub fn finish(mut self) -> Result<()> {
        self.workbook.save_to_writer(&mut self.output).context("cannot write the workbook")?;
        self.output.flush().context("cannot flush the workbook")
    }
}

/// The formats date cells are written with.
struct CellFormats<'a> {
    date: &'a Format,
    datetime: &'a Format,
}

fn write_cell(
    worksheet: &mut Worksheet,
    row: u32,
    column: u16,
    value: ValueRef<'_>,
    formats: &CellFormats<'_>,
) -> Result<()> {
    match value {
        // Excel keeps no empty text: an empty string is an empty cell, like null.
        ValueRef::Null | ValueRef::String("") => {}
        ValueRef::String(text) => {
            worksheet.write_string(row, column, text)?;
        }
        ValueRef::Integer(number) if (-MAX_EXACT_INTEGER..=MAX_EXACT_INTEGER).contains(&number) => {
            // Exact: the number is within a double's integer range.
            worksheet.write_number(row, column, number as f64)?;
        }
        ValueRef::Integer(number) => {
            worksheet.write_string(row, column, number.to_string())?;
        }
        ValueRef::Decimal(text) => match exact_double(text) {
            Some(number) => {
                worksheet.write_number(row, column, number)?;
            }
            None => {
                worksheet.write_string(row, column, text)?;
            }
        },
        ValueRef::Float(number) if number.is_finite() => {
            worksheet.write_number(row, column, number)?;
        }
        ValueRef::Float(number) => bail!("Excel cannot hold the number {number}"),
        ValueRef::Boolean(flag) => {
            worksheet.write_boolean(row, column, flag)?;
        }
        ValueRef::Date(text) => {
            let date =
                NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("{text:?} is not a date"))?;
            let excel = excel_date(date)?;
            worksheet.write_datetime_with_format(row, column, excel, formats.date)?;
        }
        ValueRef::DateTime(text) => {
            let datetime = DateTime::parse_from_rfc3339(text)
                .with_context(|| format!("{text:?} is not an RFC 3339 date-time"))?
                .with_timezone(&Utc)
                .naive_utc();
            let excel = excel_date(datetime.date()).and_then(|date| {
                let millisecond = datetime.nanosecond().min(999_999_999) / 1_000_000;
                date.and_hms_milli(
                    datetime.hour() as u16,
                    datetime.minute() as u8,
                    datetime.second() as u8,
                    millisecond as u16,
                )
            })?;
            worksheet.write_datetime_with_format(row, column, excel, formats.datetime)?;
        }
    }
    Ok(())
}

/// `date` as rust_xlsxwriter's date, which covers Excel's years 1900 to 9999.
fn excel_date(date: NaiveDate) -> Result<WrittenDateTime, XlsxError> {
    let year = u16::try_from(date.year()).unwrap_or(0);
    WrittenDateTime::from_ymd(year, date.month() as u8, date.day() as u8)
}

/// The double a decimal's text stands for, when the double's shortest text is that decimal
/// (so writing it as a number loses no digit); `None` otherwise.
fn exact_double(text: &str) -> Option<f64> {
    let number: f64 = text.parse().ok()?;
    (number.is_finite() && canonical_decimal(&number.to_string()) == canonical_decimal(text)).then_some(number)
}

/// A plain decimal's text without a `+`, leading zeros, trailing fractional zeros, or the
/// sign of zero, so that equal decimals compare equal.
fn canonical_decimal(text: &str) -> String {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let zero = whole == "0" && fraction.is_empty();
    let sign = if negative && !zero { "-" } else { "" };
    if fraction.is_empty() { format!("{sign}{whole}") } else { format!("{sign}{whole}.{fraction}") }
}

/// The single-sheet writer [`writer`] returns.
struct SheetWriter<W: Sink> {
    workbook: ExcelWriter<W>,
    sheet: usize,
}

impl<W: Sink> RowWriter for SheetWriter<W> {
    fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        self.workbook.write_batch(self.sheet, batch)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.workbook.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write as _};

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    use super::*;

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|&name| name.to_owned()).collect()
    }

    fn batch(names: &[&str], rows: &[Vec<ValueRef<'_>>]) -> Batch {
        let mut builder = BatchBuilder::new(columns(names));
        for row in rows {
            builder.push_row(row);
        }
        builder.finish()
    }

    /// A workbook of one sheet, `sheet`, written by [`writer`].
    fn written_workbook(sheet: &str, names: &[&str], rows: &[Vec<ValueRef<'_>>]) -> Vec<u8> {
        let mut output = Cursor::new(Vec::new());
        let options = ExcelWriterOptions { sheet: sheet.into() };
        let mut writer = writer(&mut output, &options, &columns(names)).expect("writer");
        writer.write_batch(&batch(names, rows)).expect("rows written");
        writer.finish().expect("finished");
        output.into_inner()
    }

    /// A minimal workbook made by hand around `rows`, the XML inside a sheet's `<sheetData>`,
    /// for cells the writer never makes (errors, gaps, disorder, corruption).
    fn handmade_workbook(sheet_data: &str) -> Vec<u8> {
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let package_relationships = "http://schemas.openxmlformats.org/package/2006/relationships";
        let office = "application/vnd.openxmlformats-officedocument.spreadsheetml";
        let content_types = [
            r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
            r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
            r#"<Default Extension="xml" ContentType="application/xml"/>"#,
            &format!(r#"<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>"#),
            &format!(r#"<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{office}.worksheet+xml"/>"#),
            "</Types>",
        ]
        .concat();
        let relationship = |target: &str, kind: &str| {
            let relationship = format!(r#"<Relationship Id="rId1" Type="{relationships}/{kind}" Target="{target}"/>"#);
            format!(r#"<Relationships xmlns="{package_relationships}">{relationship}</Relationships>"#)
        };
        let entries = [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", relationship("xl/workbook.xml", "officeDocument")),
            (
                "xl/workbook.xml",
                format!(
                    r#"<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>{}</sheets></workbook>"#,
                    r#"<sheet name="Data" sheetId="1" r:id="rId1"/>"#
                ),
            ),
            ("xl/_rels/workbook.xml.rels", relationship("worksheets/sheet1.xml", "worksheet")),
            (
                "xl/worksheets/sheet1.xml",
                format!(r#"<worksheet xmlns="{main}"><sheetData>{sheet_data}</sheetData></worksheet>"#),
            ),
        ];
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in entries {
            zip.start_file(name, SimpleFileOptions::default()).expect("entry");
            zip.write_all(content.as_bytes()).expect("content");
        }
        zip.finish().expect("zip").into_inner()
    }

    /// An inline text cell.
    fn text_cell(reference: &str, text: &str) -> String {
        format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    fn read(workbook: Vec<u8>, options: &ExcelOptions, batch_size: usize) -> Result<Vec<Batch>> {
        reader(Cursor::new(workbook), options, batch_size)?.collect()
    }

    fn read_error(workbook: Vec<u8>, options: &ExcelOptions) -> String {
        match read(workbook, options, 100) {
            Ok(batches) => panic!("expected an error, read {batches:?}"),
            Err(error) => format!("{error:#}"),
        }
    }

    /// Every row of `batches`, as owned values.
    fn rows(batches: &[Batch]) -> Vec<Vec<Value>> {
        batches
            .iter()
            .flat_map(|batch| batch.rows().map(|row| row.fields().map(|(_, value)| value.to_owned()).collect()))
            .collect()
    }

    fn text(value: &str) -> Value {
        Value::String(value.to_owned())
    }

    #[test]
    fn a_sheet_is_named_after_the_label_as_d365_does() {
        assert_eq!(sheet_name("Fixed asset major type"), "Fixed_asset_major_type");
        assert_eq!(sheet_name("a[b]c:d*e?f/g\\h"), "a_b_c_d_e_f_g_h");
        assert_eq!(sheet_name("Customer payment journal line entity"), "Customer_payment_journal_line_e");
        assert_eq!(sheet_name("Zoë’s ledger entries for the year 2026"), "Zoë’s_ledger_entries_for_the_ye");
        assert_eq!(sheet_name("'quoted'"), "_quoted_");
        assert_eq!(sheet_name(""), "_");
        assert_eq!(sheet_name("History"), "History_");
    }

    #[test]
    fn a_written_workbook_reads_back_with_the_same_cells() {
        let tricky = "Zoë & <日本> \"quoted\" 'single'\ttab\nline";
        let names = ["TEXT", "INTEGER", "DECIMAL", "FLOAT", "FLAG", "DAY", "MOMENT", "MISSING"];
        let workbook = written_workbook(
            "Customers",
            &names,
            &[
                vec![
                    ValueRef::String(tricky),
                    ValueRef::Integer(42),
                    ValueRef::Decimal("12.50"),
                    ValueRef::Float(0.1),
                    ValueRef::Boolean(true),
                    ValueRef::Date("2026-11-21"),
                    ValueRef::DateTime("2026-11-21T08:30:15.250Z"),
                    ValueRef::Null,
                ],
                vec![
                    ValueRef::String("plain"),
                    ValueRef::Integer(-9_007_199_254_740_992),
                    ValueRef::Decimal("-0.001"),
                    ValueRef::Float(1.5e10),
                    ValueRef::Boolean(false),
                    ValueRef::Date("1999-12-31"),
                    ValueRef::DateTime("2000-01-01T23:59:59+02:00"),
                    ValueRef::Null,
                ],
            ],
        );
        let batches = read(workbook, &ExcelOptions::default(), 100).expect("valid");
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].columns(), columns(&names));
        assert_eq!(
            rows(&batches),
            [
                vec![
                    text(tricky),
                    Value::Integer(42),
                    Value::Decimal("12.5".into()),
                    Value::Decimal("0.1".into()),
                    Value::Boolean(true),
                    Value::Date("2026-11-21".into()),
                    Value::DateTime("2026-11-21T08:30:15.250Z".into()),
                    Value::Null,
                ],
                vec![
                    text("plain"),
                    Value::Integer(-9_007_199_254_740_992),
                    Value::Decimal("-0.001".into()),
                    Value::Integer(15_000_000_000),
                    Value::Boolean(false),
                    Value::Date("1999-12-31".into()),
                    Value::DateTime("2000-01-01T21:59:59Z".into()),
                    Value::Null,
                ],
            ]
        );
    }

    #[test]
    fn an_empty_string_reads_back_as_null_because_excel_keeps_no_empty_text() {
        let workbook = written_workbook("Sheet", &["A", "B"], &[vec![ValueRef::String(""), ValueRef::String("b")]]);
        let batches = read(workbook, &ExcelOptions::default(), 100).expect("valid");
        assert_eq!(rows(&batches), [vec![Value::Null, text("b")]]);
    }

    #[test]
    fn numbers_a_double_cannot_hold_exactly_are_written_as_text() {
        let workbook = written_workbook(
            "Sheet",
            &["BIG", "PRECISE"],
            &[vec![ValueRef::Integer(1 << 60), ValueRef::Decimal("12345678901234567890.5")]],
        );
        let batches = read(workbook, &ExcelOptions::default(), 100).expect("valid");
        assert_eq!(rows(&batches), [vec![text("1152921504606846976"), text("12345678901234567890.5")]]);
    }

    #[test]
    fn rows_come_in_batches_of_the_requested_size() {
        let data: Vec<Vec<ValueRef<'_>>> = (1..=5).map(|number| vec![ValueRef::Integer(number)]).collect();
        let workbook = written_workbook("Sheet", &["N"], &data);
        let batches = read(workbook, &ExcelOptions::default(), 2).expect("valid");
        assert_eq!(batches.iter().map(Batch::len).collect::<Vec<_>>(), [2, 2, 1]);
        assert_eq!(rows(&batches), (1..=5).map(|number| vec![Value::Integer(number)]).collect::<Vec<_>>());
    }

    #[test]
    fn a_reader_dropped_after_its_first_batch_stops_its_worker() {
        let data: Vec<Vec<ValueRef<'_>>> = (1..=50).map(|number| vec![ValueRef::Integer(number)]).collect();
        let workbook = written_workbook("Sheet", &["N"], &data);
        let mut batches = reader(Cursor::new(workbook), &ExcelOptions::default(), 10).expect("reader");
        let first = batches.next().expect("a batch").expect("valid");
        assert_eq!(rows(&[first]), (1..=10).map(|number| vec![Value::Integer(number)]).collect::<Vec<_>>());
        // Dropping must not wait for, or leave blocked, the worker holding the other batches.
        drop(batches);
    }

    #[test]
    fn a_workbook_with_several_sheets_reads_the_one_asked_for() {
        let mut output = Cursor::new(Vec::new());
        let mut workbook = ExcelWriter::new(&mut output);
        let first = workbook.add_sheet("Customer_groups", &columns(&["GROUP"])).expect("sheet");
        let second = workbook.add_sheet("Customers", &columns(&["ACCOUNT"])).expect("sheet");
        workbook.write_batch(second, &batch(&["ACCOUNT"], &[vec!["C1".into()]])).expect("rows");
        workbook.write_batch(first, &batch(&["GROUP"], &[vec!["G1".into()]])).expect("rows");
        assert!(workbook.add_sheet("CUSTOMERS", &columns(&["X"])).is_err(), "names differ ignoring case");
        workbook.finish().expect("finished");
        let bytes = output.into_inner();

        assert_eq!(sheet_names(Cursor::new(bytes.clone())).expect("names"), ["Customer_groups", "Customers"]);
        let first_sheet = read(bytes.clone(), &ExcelOptions::default(), 10).expect("valid");
        assert_eq!(rows(&first_sheet), [vec![text("G1")]]);
        let options = ExcelOptions { sheet: Some("customers".into()), ..ExcelOptions::default() };
        let second_sheet = read(bytes.clone(), &options, 10).expect("valid");
        assert_eq!(second_sheet[0].columns(), ["ACCOUNT"]);
        assert_eq!(rows(&second_sheet), [vec![text("C1")]]);

        let options = ExcelOptions { sheet: Some("Vendors".into()), ..ExcelOptions::default() };
        let error = reader(Cursor::new(bytes), &options, 10).map(|_| ()).expect_err("no such sheet");
        let error = format!("{error:#}");
        assert!(error.contains("\"Vendors\"") && error.contains("\"Customer_groups\", \"Customers\""), "{error}");
    }

    #[test]
    fn an_empty_row_between_records_is_a_record_of_nulls_and_trailing_empty_rows_are_dropped() {
        let sheet = [
            format!(r#"<row r="1">{}{}</row>"#, text_cell("A1", "A"), text_cell("B1", "B")),
            format!(r#"<row r="2">{}</row>"#, text_cell("A2", "x")),
            r#"<row r="3"><c r="A3" s="0"/></row>"#.to_owned(),
            format!(r#"<row r="5">{}</row>"#, text_cell("B5", "y")),
            r#"<row r="6"><c r="A6" s="0"/><c r="B6" s="0"/></row><row r="9"><c r="C9" s="0"/></row>"#.to_owned(),
        ]
        .concat();
        let batches = read(handmade_workbook(&sheet), &ExcelOptions::default(), 2).expect("valid");
        assert_eq!(
            rows(&batches),
            [
                vec![text("x"), Value::Null],
                vec![Value::Null, Value::Null],
                vec![Value::Null, Value::Null],
                vec![Value::Null, text("y")]
            ]
        );
    }

    #[test]
    fn a_value_beyond_the_header_is_an_error_naming_the_cell() {
        let sheet = format!(
            r#"<row r="1">{}</row><row r="2">{}{}</row>"#,
            text_cell("A1", "A"),
            text_cell("A2", "x"),
            text_cell("C2", "stray")
        );
        let error = read_error(handmade_workbook(&sheet), &ExcelOptions::default());
        assert!(error.contains("cell C2 (record 1) holds a value beyond the header's 1 columns"), "{error}");
    }

    #[test]
    fn an_error_cell_is_an_error_naming_the_cell_and_column() {
        let sheet = format!(
            r#"<row r="1">{}{}</row><row r="7"><c r="B7" t="e"><v>#DIV/0!</v></c></row>"#,
            text_cell("A1", "A"),
            text_cell("B1", "RATIO")
        );
        let error = read_error(handmade_workbook(&sheet), &ExcelOptions::default());
        assert!(error.contains("cell B7 (record 6, column RATIO) holds the error #DIV/0!"), "{error}");
    }

    #[test]
    fn a_text_cell_over_the_limit_is_an_error_naming_the_cell() {
        let workbook = written_workbook("Sheet", &["A", "NOTE"], &[vec!["ok".into(), "x".repeat(100).as_str().into()]]);
        let options = ExcelOptions { max_field_bytes: 99, ..ExcelOptions::default() };
        let error = read_error(workbook, &options);
        assert!(error.contains("cell B2 (record 1, column NOTE) is longer than 99 bytes"), "{error}");
    }

    #[test]
    fn a_header_with_a_gap_a_repeat_or_a_number_is_an_error() {
        let gap = format!(r#"<row r="1">{}{}</row>"#, text_cell("A1", "A"), text_cell("C1", "C"));
        assert!(read_error(handmade_workbook(&gap), &ExcelOptions::default()).contains("header cell B1 is empty"));
        let repeat = format!(r#"<row r="1">{}{}</row>"#, text_cell("A1", "A"), text_cell("B1", "A"));
        assert!(
            read_error(handmade_workbook(&repeat), &ExcelOptions::default()).contains("\"A\" is in both A1 and B1")
        );
        let number = r#"<row r="1"><c r="A1"><v>7</v></c></row>"#;
        assert!(read_error(handmade_workbook(number), &ExcelOptions::default()).contains("header cell A1 holds"));
        let missing = format!(r#"<row r="2">{}</row>"#, text_cell("A2", "x"));
        assert!(read_error(handmade_workbook(&missing), &ExcelOptions::default()).contains("no field names in row 1"));
    }

    #[test]
    fn an_empty_sheet_and_a_header_only_sheet_have_no_batches() {
        assert!(read(handmade_workbook(""), &ExcelOptions::default(), 10).expect("valid").is_empty());
        assert!(read(written_workbook("Sheet", &[], &[]), &ExcelOptions::default(), 10).expect("valid").is_empty());
        let header_only = format!(r#"<row r="1">{}</row>"#, text_cell("A1", "A"));
        assert!(read(handmade_workbook(&header_only), &ExcelOptions::default(), 10).expect("valid").is_empty());
    }

    #[test]
    fn cells_out_of_order_are_an_error() {
        let sheet = format!(
            r#"<row r="1">{}{}</row><row r="3">{}</row><row r="2">{}</row>"#,
            text_cell("A1", "A"),
            text_cell("B1", "B"),
            text_cell("A3", "x"),
            text_cell("A2", "y")
        );
        assert!(read_error(handmade_workbook(&sheet), &ExcelOptions::default()).contains("cell A2 comes after row 3"));
        let sheet = format!(
            r#"<row r="1">{}{}</row><row r="2">{}{}</row>"#,
            text_cell("A1", "A"),
            text_cell("B1", "B"),
            text_cell("B2", "x"),
            text_cell("A2", "y")
        );
        assert!(read_error(handmade_workbook(&sheet), &ExcelOptions::default()).contains("cell A2 is out of order"));
    }

    #[test]
    fn a_file_that_is_not_a_zip_is_refused() {
        let error = read_error(b"ACCOUNT,NAME\nC1,Contoso\n".to_vec(), &ExcelOptions::default());
        assert!(error.contains("the workbook is refused") && error.contains("not a zip archive"), "{error}");
    }

    #[test]
    fn a_zip_that_is_not_a_workbook_is_refused() {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("readme.txt", SimpleFileOptions::default()).expect("entry");
        zip.write_all(b"hello").expect("content");
        let bytes = zip.finish().expect("zip").into_inner();
        assert!(read_error(bytes, &ExcelOptions::default()).contains("not a readable xlsx workbook"));
    }

    #[test]
    fn a_corrupt_sheet_is_an_error() {
        let sheet =
            format!(r#"<row r="1">{}</row><row r="2"><c r="A2" t="inlineStr"><is><t>trunc"#, text_cell("A1", "A"));
        let error = read_error(handmade_workbook(&sheet), &ExcelOptions::default());
        assert!(error.contains("sheet \"Data\" is corrupt after row 1"), "{error}");
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_inflated() {
        // Four megabytes of one repeated row compress to a few kilobytes: over a 1 MiB entry
        // limit and over the ratio limit.
        let row = format!(r#"<row>{}</row>"#, r#"<c t="inlineStr"><is><t>0</t></is></c>"#);
        let workbook = handmade_workbook(&row.repeat(4 << 20 >> 6));
        assert!(workbook.len() < 256 << 10, "{} bytes", workbook.len());
        let options = ExcelOptions {
            zip: ZipLimits { max_entry_bytes: 1 << 20, ..ZipLimits::default() },
            ..ExcelOptions::default()
        };
        let error = read_error(workbook.clone(), &options);
        assert!(
            error.contains("the workbook is refused") && error.contains("more than the limit of 1048576"),
            "{error}"
        );
        let options =
            ExcelOptions { zip: ZipLimits { max_ratio: 50, ..ZipLimits::default() }, ..ExcelOptions::default() };
        let error = read_error(workbook, &options);
        assert!(error.contains("a ratio above the limit of 50"), "{error}");
    }

    #[test]
    fn a_full_sheet_refuses_another_row() {
        let mut output = Cursor::new(Vec::new());
        let mut workbook = ExcelWriter::new(&mut output);
        let sheet = workbook.add_sheet("Sheet", &columns(&["N"])).expect("sheet");
        workbook.sheets[sheet].rows_written = MAX_ROWS - 2;
        let two_rows = batch(&["N"], &[vec![ValueRef::Integer(1)], vec![ValueRef::Integer(2)]]);
        let error = workbook.write_batch(sheet, &two_rows).expect_err("full");
        assert!(error.to_string().contains("is full: Excel holds 1048576 rows"), "{error}");
        assert_eq!(workbook.sheets[sheet].rows_written, MAX_ROWS - 1);
    }

    #[test]
    fn values_excel_cannot_hold_are_write_errors_naming_the_cell() {
        let mut output = Cursor::new(Vec::new());
        let mut workbook = ExcelWriter::new(&mut output);
        let sheet = workbook.add_sheet("Sheet", &columns(&["A", "B"])).expect("sheet");
        for (value, expected) in [
            (ValueRef::Float(f64::NAN), "Excel cannot hold the number NaN"),
            (ValueRef::Date("1850-01-01"), "outside Excel range"),
            (ValueRef::Date("21/11/2026"), "is not a date"),
            (ValueRef::DateTime("2026-11-21 08:00"), "is not an RFC 3339 date-time"),
        ] {
            let error =
                workbook.write_batch(sheet, &batch(&["A", "B"], &[vec![ValueRef::Null, value]])).expect_err("refused");
            let error = format!("{error:#}");
            assert!(error.contains("cell B2 (row 1, column B)") && error.contains(expected), "{error}");
        }
        let long_text = "x".repeat(40_000);
        let error = workbook
            .write_batch(sheet, &batch(&["A", "B"], &[vec![long_text.as_str().into(), ValueRef::Null]]))
            .expect_err("too long");
        assert!(format!("{error:#}").contains("cell A2"), "{error:#}");
    }

    #[test]
    fn an_invalid_sheet_name_is_refused() {
        let mut output = Cursor::new(Vec::new());
        let options = ExcelWriterOptions { sheet: "a/b".into() };
        assert!(writer(&mut output, &options, &columns(&["A"])).is_err());
        let options = ExcelWriterOptions { sheet: "x".repeat(32) };
        assert!(writer(&mut output, &options, &columns(&["A"])).is_err());
    }

    #[test]
    fn the_workbook_can_be_read_without_a_thread() {
        let workbook = written_workbook("Sheet", &["A"], &[vec!["x".into()], vec!["y".into()]]);
        let mut workbook = Workbook::open(Cursor::new(workbook), &ExcelOptions::default()).expect("open");
        assert_eq!(workbook.sheet_names(), ["Sheet"]);
        let batches: Vec<Batch> = workbook.batches(None, 1).expect("header").collect::<Result<_>>().expect("valid");
        assert_eq!(rows(&batches), [vec![text("x")], vec![text("y")]]);
    }

    #[test]
    fn options_deserialize_with_the_default_zip_limits() {
        let options: ExcelOptions = serde_json::from_str(r#"{"sheet": "Customers"}"#).expect("valid");
        assert_eq!(options, ExcelOptions { sheet: Some("Customers".into()), ..ExcelOptions::default() });
        assert!(serde_json::from_str::<ExcelOptions>(r#"{"zip": {}}"#).is_err());
    }

    #[test]
    fn cells_are_named_in_a1_style() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(6, 1), "B7");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(cell_name(u32::MAX, u32::MAX), "MWLQKWV4294967296");
    }
}
