//! A data package's `Manifest.xml` and `PackageHeader.xml` parsers (`Manifest::parse`,
//! `PackageHeader::parse`) on any bytes: both read the same input.
//!
//! Checks, besides no panic, hang or runaway memory: what parses, written back as D365 writes
//! it (`to_bytes`), parses to the same value, and writing that again gives the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::formats::package::{Manifest, PackageHeader};

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = Manifest::parse(data) {
        let bytes = manifest.to_bytes();
        let reparsed = Manifest::parse(&bytes).expect("a written Manifest.xml parses");
        assert_eq!(reparsed, manifest, "Manifest.xml did not survive a write and a read");
        assert_eq!(reparsed.to_bytes(), bytes, "Manifest.xml is not written the same way twice");
    }
    if let Ok(header) = PackageHeader::parse(data) {
        let bytes = header.to_bytes();
        let reparsed = PackageHeader::parse(&bytes).expect("a written PackageHeader.xml parses");
        assert_eq!(reparsed, header, "PackageHeader.xml did not survive a write and a read");
        assert_eq!(reparsed.to_bytes(), bytes, "PackageHeader.xml is not written the same way twice");
    }
});
