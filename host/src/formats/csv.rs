//! CSV with a header row, read as batches of string cells; memory stays at one batch however
//! long the file.

use std::io::Read;

use anyhow::{Context as _, Result};
use wharf_plugin_sdk::{Batch, BatchBuilder, ValueRef};

/// Reads CSV with a header row from `reader`, `batch_size` rows at a time.
pub fn batches<R: Read>(reader: R, batch_size: usize) -> Result<CsvBatches<R>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(reader);
    let columns: Vec<String> =
        reader.headers().context("cannot read the CSV header")?.iter().map(str::to_owned).collect();
    Ok(CsvBatches { reader, columns, batch_size: batch_size.max(1), done: false })
}

/// The batches of a CSV document; see [`batches`].
#[derive(Debug)]
pub struct CsvBatches<R> {
    reader: csv::Reader<R>,
    columns: Vec<String>,
    batch_size: usize,
    done: bool,
}

impl<R: Read> Iterator for CsvBatches<R> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if self.done {
            return None;
        }
        let mut builder = BatchBuilder::new(self.columns.iter().cloned());
        let mut record = csv::StringRecord::new();
        while builder.len() < self.batch_size {
            match self.reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(anyhow::Error::from(error).context("malformed CSV")));
                }
            }
            if record.len() > self.columns.len() {
                self.done = true;
                let line = record.position().map_or(0, |position| position.line());
                let message = format!("line {line} has {} fields, the header {}", record.len(), self.columns.len());
                return Some(Err(anyhow::anyhow!(message)));
            }
            let mut cells: Vec<ValueRef<'_>> = record.iter().map(ValueRef::String).collect();
            // A short row reads as nulls for its missing trailing fields.
            cells.resize(self.columns.len(), ValueRef::Null);
            builder.push_row(&cells);
        }
        (!builder.is_empty()).then(|| Ok(builder.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_short_rows_read_as_expected() {
        let text = "a,b,c\n\"x, y\",\"line\nbreak\",z\n1,2\n";
        let batches: Vec<Batch> = batches(text.as_bytes(), 1).expect("header").collect::<Result<_>>().expect("valid");
        assert_eq!(batches.len(), 2);
        let first = batches[0].row(0).expect("row");
        assert_eq!(first.str("b"), Ok("line\nbreak"));
        assert_eq!(batches[1].row(0).and_then(|row| row.get("c")), Some(ValueRef::Null));
    }

    #[test]
    fn a_row_with_too_many_fields_is_an_error_with_its_line() {
        let error = batches("a\n1\n2,3\n".as_bytes(), 10).expect("header").find_map(Result::err).expect("error");
        assert!(error.to_string().contains("line 3"), "{error}");
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let error = batches(&b"a\n\xff\xfe\n"[..], 10).expect("header").find_map(Result::err).expect("error");
        assert!(format!("{error:#}").contains("UTF-8"), "{error:#}");
    }
}
