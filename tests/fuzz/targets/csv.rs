//! The CSV reader (`formats::csv::reader`) on any bytes, with options picked by the input's
//! first byte: delimiter, text qualifier, header row, encoding and a small field limit.
//!
//! Checks, besides no panic, hang or runaway memory: the document yields the same rows and the
//! same error whatever the batch size; and a document that reads to its end, written back by
//! the CSV writer, reads as the same rows (a null as the empty field the writer makes of it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::formats::csv::{self, CsvOptions};
use wharf::formats::text::Encoding;
use wharf_fuzz::{Fields, Nulls, assert_same_document, fields, read_all, split_options};

const DELIMITERS: [u8; 5] = [b',', b';', b'\t', b'|', b':'];

/// Bits 0-2: the delimiter; 3: no text qualifier; 4: no header row (three named columns);
/// 5-6: the encoding; 7: fields of at most 8 bytes.
fn options(bits: u8) -> CsvOptions {
    let header = bits & 0x10 == 0;
    CsvOptions {
        delimiter: DELIMITERS[usize::from(bits & 0x07) % DELIMITERS.len()],
        text_qualifier: (bits & 0x08 == 0).then_some(b'"'),
        header,
        columns: if header { Vec::new() } else { vec!["A".into(), "B".into(), "C".into()] },
        encoding: match (bits >> 5) & 0x03 {
            1 => Encoding::Utf8,
            2 => Encoding::Utf16Le,
            _ => Encoding::Auto,
        },
        max_field_bytes: if bits & 0x80 == 0 { CsvOptions::default().max_field_bytes } else { 8 },
    }
}

fuzz_target!(|data: &[u8]| {
    let (bits, document) = split_options(data);
    let options = options(bits);
    let batched = read_all(csv::reader(document, &options, 3), Nulls::Absent);
    let one_per_batch = read_all(csv::reader(document, &options, 1), Nulls::Absent);
    assert_same_document(&one_per_batch, &batched, 3, true);
    if batched.error.is_some() || batched.batches.is_empty() {
        return;
    }
    let columns = batched.batches[0].columns().to_vec();
    let mut written = Vec::new();
    let mut writer = csv::writer(&mut written, &CsvOptions::default(), &columns).expect("a CSV writer");
    for batch in &batched.batches {
        assert_eq!(batch.columns(), columns.as_slice(), "batches of one CSV document differ in columns");
        writer.write_batch(batch).expect("the CSV writer writes what the reader read");
    }
    writer.finish().expect("the CSV writer finishes");
    let reread = read_all(csv::reader(written.as_slice(), &CsvOptions::default(), 1000), Nulls::Empty);
    let written = String::from_utf8_lossy(&written);
    assert_eq!(reread.error, None, "the writer's CSV does not read back: {written:?}");
    let rows: Vec<Fields> = batched.batches.iter().flat_map(|batch| fields(batch, Nulls::Empty)).collect();
    assert_eq!(reread.rows, rows, "rows did not survive a write and a read: {written:?}");
    let reread_columns = reread.batches.first().map(|batch| batch.columns());
    assert_eq!(reread_columns, Some(columns.as_slice()), "the header row did not survive a write and a read");
});
