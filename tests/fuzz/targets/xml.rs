//! The XML reader (`formats::xml::reader`) on any bytes, with options picked by the input's
//! first byte: every record or only `CUSTCUSTOMERV3ENTITY` ones, and small limits.
//!
//! Checks, besides no panic, hang or runaway memory: the document yields the same error, and
//! when it reads to its end the same rows, whatever the batch size; and each batch of a document
//! that reads to its end, written back by the XML writer in either style, reads as the same
//! rows. The writer may refuse (a column name that is no XML name, a character XML 1.0 cannot
//! carry); what it writes must read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::formats::xml::{self, XmlOptions, XmlStyle, XmlWriterOptions};
use wharf_fuzz::{Nulls, assert_same_document, read_all, split_options};

/// Bit 0: only `CUSTCUSTOMERV3ENTITY` records; 1: fields of at most 16 bytes, records of at
/// most 256, nesting of at most 4; 2: write back in XML-Attribute style (else Element).
fn options(bits: u8) -> XmlOptions {
    let defaults = XmlOptions::default();
    let small = bits & 0x02 != 0;
    XmlOptions {
        record: (bits & 0x01 != 0).then(|| "custcustomerv3entity".to_owned()),
        max_field_bytes: if small { 16 } else { defaults.max_field_bytes },
        max_record_bytes: if small { 256 } else { defaults.max_record_bytes },
        max_depth: if small { 4 } else { defaults.max_depth },
    }
}

fuzz_target!(|data: &[u8]| {
    let (bits, document) = split_options(data);
    let options = options(bits);
    let batched = read_all(xml::reader(document, &options, 3), Nulls::Absent);
    let one_per_batch = read_all(xml::reader(document, &options, 1), Nulls::Absent);
    assert_same_document(&one_per_batch, &batched, 3, false);
    if batched.error.is_some() {
        return;
    }
    let style = if bits & 0x04 == 0 { XmlStyle::Element } else { XmlStyle::Attribute };
    let writer_options = XmlWriterOptions { style, record: "R".to_owned() };
    for batch in &batched.batches {
        let mut written = Vec::new();
        let Ok(mut writer) = xml::writer(&mut written, &writer_options, batch.columns()) else {
            continue;
        };
        if writer.write_batch(batch).is_err() {
            continue;
        }
        writer.finish().expect("the XML writer finishes");
        let reread = read_all(xml::reader(written.as_slice(), &XmlOptions::default(), 1000), Nulls::Absent);
        let written = String::from_utf8_lossy(&written);
        assert_eq!(reread.error, None, "the writer's XML does not read back: {written:?}");
        assert_eq!(
            reread.rows,
            wharf_fuzz::fields(batch, Nulls::Absent),
            "rows did not survive a write and a read: {written:?}"
        );
    }
});
