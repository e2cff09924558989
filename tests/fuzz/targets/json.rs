//! The JSON rows reader (`formats::json::reader`) on any bytes, with options picked by the
//! input's first byte: small limits, and the shape the rows are written back in.
//!
//! Checks, besides no panic, hang or runaway memory: the document yields the same rows and the
//! same error whatever the batch size; and each batch of a document that reads to its end,
//! written back by the JSON writer as an array, NDJSON or an OData envelope, reads as the same
//! rows with the same types (integers stay integers, decimals keep their text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::formats::json::{self, JsonOptions, JsonShape};
use wharf_fuzz::{Nulls, assert_same_document, read_all, split_options};

/// Bit 0: fields of at most 16 bytes, records of at most 64; bits 1-2: the shape written back.
fn options(bits: u8) -> (JsonOptions, JsonShape) {
    let mut options = JsonOptions::default();
    if bits & 0x01 != 0 {
        options.max_field_bytes = 16;
        options.max_record_bytes = 64;
    }
    let shape = match (bits >> 1) & 0x03 {
        1 => JsonShape::Ndjson,
        2 => JsonShape::OData,
        _ => JsonShape::Array,
    };
    (options, shape)
}

fuzz_target!(|data: &[u8]| {
    let (bits, document) = split_options(data);
    let (options, shape) = options(bits);
    let batched = read_all(json::reader(document, &options, 3), Nulls::Absent);
    let one_per_batch = read_all(json::reader(document, &options, 1), Nulls::Absent);
    assert_same_document(&one_per_batch, &batched, 3, true);
    if batched.error.is_some() {
        return;
    }
    let writer_options = JsonOptions { shape, ..JsonOptions::default() };
    for batch in &batched.batches {
        let mut written = Vec::new();
        let mut writer = json::writer(&mut written, &writer_options, batch.columns()).expect("a JSON writer");
        writer.write_batch(batch).expect("the JSON writer writes what the reader read");
        writer.finish().expect("the JSON writer finishes");
        let reread = read_all(json::reader(written.as_slice(), &JsonOptions::default(), 1000), Nulls::Absent);
        let written = String::from_utf8_lossy(&written);
        assert_eq!(reread.error, None, "the writer's JSON does not read back: {written:?}");
        assert_eq!(
            reread.rows,
            wharf_fuzz::fields(batch, Nulls::Absent),
            "rows did not survive a write and a read: {written:?}"
        );
    }
});
