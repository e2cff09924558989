//! A data package as a client uploads it (`PackageReader::open`, then every entity file the
//! manifest names) on any bytes: the zip's directory, entry names and sizes, inflating, and the
//! manifest and header inside.
//!
//! Checks, besides no panic, hang or runaway memory: no entity file inflates past the per-entry
//! limit, whatever the archive declares.
#![no_main]

use std::io::{self, Cursor};

use libfuzzer_sys::fuzz_target;
use wharf::formats::package::{PackageReader, ZipLimits, check_zip};

/// Small, so that a fuzz input of a few kilobytes can reach every limit.
fn limits() -> ZipLimits {
    ZipLimits { max_entries: 16, max_entry_bytes: 64 << 10, max_total_bytes: 256 << 10, max_ratio: 100 }
}

fuzz_target!(|data: &[u8]| {
    let limits = limits();
    let checked = check_zip(&mut Cursor::new(data), &limits);
    let Ok(mut package) = PackageReader::open(Cursor::new(data), &limits) else {
        return;
    };
    assert!(checked.is_ok(), "a package opened that check_zip refuses: {checked:?}");
    let files: Vec<String> = package.manifest().entities.iter().map(|entity| entity.input_file_path.clone()).collect();
    for file in files {
        if let Ok(bytes) = package.extract(&file, &mut io::sink()) {
            assert!(bytes <= limits.max_entry_bytes, "{file:?} inflated to {bytes} bytes, past the per-entry limit");
        }
    }
});
