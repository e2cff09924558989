//! Zip archives as untrusted input: limits against zip bombs, entry names that cannot escape a
//! directory or collide on Windows, and entry reading held to the size an entry declared.

use std::collections::HashMap;
use std::io::{self, Read, Seek};

use anyhow::{Context as _, Result, bail};
use zip::ZipArchive;
use zip::read::ZipFile;

/// Limits on a zip archive (a data package or an xlsx workbook), against zip bombs and
/// oversized documents. The defaults fit the largest real packages with room to spare; use
/// `ZipLimits::default()` unless a caller knows its documents are smaller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most entries an archive may have. Defends against an archive of millions of tiny
    /// entries, each cheap to store and each costing memory and a directory lookup. A package
    /// holds one file per entity; the largest the wire spec records has 228.
    pub max_entries: usize,
    /// Most bytes one entry may inflate to. Defends against a single entry that inflates to
    /// fill the disk or memory of whoever reads it whole.
    pub max_entry_bytes: u64,
    /// Most bytes all entries together may inflate to. Defends against many entries each under
    /// the per-entry limit that together are a bomb.
    pub max_total_bytes: u64,
    /// Highest inflated/compressed size ratio of an entry. Defends against the classic bomb: a
    /// small upload that inflates a thousandfold or more. Deflate cannot exceed about 1032:1,
    /// and real data (text, xlsx parts) stays far below 100:1.
    pub max_ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        Self { max_entries: 10_000, max_entry_bytes: 4 << 30, max_total_bytes: 16 << 30, max_ratio: 1_000 }
    }
}

/// Checks an archive's directory against `limits` and its entry names for path traversal
/// (`..`, absolute names, drive letters, backslashes) and for names that collide on Windows
/// (which ignores case), before anything is inflated.
///
/// The sizes checked are those the archive declares; [`super::PackageReader::entry`] then holds
/// each entry to its declared size while inflating, so a lying archive fails there instead.
pub fn check_zip<R: Read + Seek>(source: &mut R, limits: &ZipLimits) -> Result<()> {
    let archive = open_archive(source)?;
    check_archive(&archive, limits)
}

/// Reads a zip's directory, without checking it.
pub(super) fn open_archive<R: Read + Seek>(source: R) -> Result<ZipArchive<R>> {
    ZipArchive::new(source).context("not a zip archive (cannot read its directory)")
}

/// [`check_zip`] for an archive whose directory is already read.
pub(super) fn check_archive<R: Read + Seek>(archive: &ZipArchive<R>, limits: &ZipLimits) -> Result<()> {
    if archive.len() > limits.max_entries {
        bail!("the archive has {} entries, more than the limit of {}", archive.len(), limits.max_entries);
    }
    // The zip crate keeps one entry per exact name, so an exact duplicate shows only here.
    if archive.has_duplicate_names() {
        bail!("the archive has two entries with the same name");
    }
    let mut folded_names: HashMap<String, String> = HashMap::with_capacity(archive.len());
    let mut total_bytes: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).context("cannot read the archive's directory")?;
        let name = entry.name().with_context(|| format!("the name of entry {} cannot be decoded", index + 1))?;
        check_entry_name(&name)?;
        if let Some(earlier) = folded_names.insert(folded_name(&name), name.to_string()) {
            bail!("entries {earlier:?} and {name:?} have the same name on Windows, which ignores case");
        }
        if entry.encrypted() {
            bail!("entry {name:?} is encrypted");
        }
        let size = entry.size();
        if size > limits.max_entry_bytes {
            bail!("entry {name:?} inflates to {size} bytes, more than the limit of {}", limits.max_entry_bytes);
        }
        let compressed = entry.compressed_size();
        if size > compressed.saturating_mul(limits.max_ratio) {
            bail!(
                "entry {name:?} inflates from {compressed} to {size} bytes, a ratio above the limit of {}",
                limits.max_ratio
            );
        }
        total_bytes = total_bytes.saturating_add(size);
        if total_bytes > limits.max_total_bytes {
            bail!("the entries inflate to more than the limit of {} bytes in total", limits.max_total_bytes);
        }
    }
    Ok(())
}

/// Refuses an entry name that could write or read outside the directory it is extracted to,
/// on Unix or on Windows (where D365 runs): empty names, NUL, absolute names (`/x`, `\x`,
/// `\\server\x`), drive letters and alternate data streams (any `:`), and `..` components
/// whichever separator they sit between, including Windows' spellings of `..` with trailing
/// dots or spaces.
pub(super) fn check_entry_name(name: &str) -> Result<()> {
    if name.is_empty() {
        bail!("an entry has an empty name");
    }
    if name.contains('\0') {
        bail!("entry name {name:?} contains a NUL character");
    }
    if name.starts_with(['/', '\\']) {
        bail!("entry name {name:?} is an absolute path");
    }
    if name.contains(':') {
        bail!("entry name {name:?} contains ':' (a drive letter or an alternate data stream on Windows)");
    }
    // Windows drops trailing dots and spaces from a path component, so `.. ` and `...` can
    // name the parent directory too; no legitimate file is named only dots and spaces.
    let climbs_out = name.split(['/', '\\']).any(|component| {
        component.len() >= 2 && component.chars().all(|character| character == '.' || character == ' ')
    });
    if climbs_out {
        bail!("entry name {name:?} refers to a parent directory");
    }
    Ok(())
}

/// The name Windows sees: case folded, either slash a separator.
pub(super) fn folded_name(name: &str) -> String {
    name.replace('\\', "/").to_lowercase()
}

/// The index of the entry named `name`, compared as Windows compares names.
pub(super) fn find_entry<R: Read + Seek>(archive: &ZipArchive<R>, name: &str) -> Option<usize> {
    let wanted = folded_name(name);
    archive.file_names().position(|entry_name| entry_name.is_ok_and(|entry_name| folded_name(&entry_name) == wanted))
}

/// Opens entry `index` for reading, held to at most `limit` bytes and to its declared size.
pub(super) fn open_entry<'a, R: Read + Seek>(
    archive: &'a mut ZipArchive<R>,
    index: usize,
    limit: u64,
) -> Result<BoundedEntry<ZipFile<'a, R>>> {
    let file = archive.by_index(index).context("cannot open the entry")?;
    let name = file.name().map(|name| name.to_string()).unwrap_or_default();
    let declared = file.size();
    Ok(BoundedEntry::new(file, name, declared, limit))
}

/// An entry being inflated, which fails once more bytes come out than it declared or than
/// the limit allows, whichever is smaller: a directory can lie about sizes, and the checks of
/// [`check_zip`] are only as good as the sizes it declares.
#[derive(Debug)]
pub(super) struct BoundedEntry<R> {
    inner: R,
    name: String,
    declared: u64,
    allowed: u64,
    inflated: u64,
}

impl<R: Read> BoundedEntry<R> {
    /// Wraps `inner`, the content of entry `name` that declared `declared` bytes, allowing at
    /// most `limit` bytes.
    pub(super) fn new(inner: R, name: String, declared: u64, limit: u64) -> Self {
        Self { inner, name, declared, allowed: declared.min(limit), inflated: 0 }
    }
}

impl<R: Read> Read for BoundedEntry<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        // One byte more than allowed is asked for, so that an oversized entry is caught
        // instead of silently cut short.
        let room = self.allowed.saturating_sub(self.inflated).saturating_add(1);
        let length = usize::try_from(room).map_or(buffer.len(), |room| room.min(buffer.len()));
        let window = buffer.get_mut(..length).unwrap_or_default();
        let count = self
            .inner
            .read(window)
            .map_err(|error| io::Error::new(error.kind(), format!("entry {:?}: {error}", self.name)))?;
        self.inflated = self.inflated.saturating_add(count as u64);
        if self.inflated > self.allowed {
            let message = if self.allowed < self.declared {
                format!("entry {:?} inflates to more than the limit of {} bytes", self.name, self.allowed)
            } else {
                format!("entry {:?} inflates to more than the {} bytes it declared", self.name, self.declared)
            };
            return Err(io::Error::new(io::ErrorKind::InvalidData, message));
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, content) in entries {
            zip.start_file(*name, options).expect("start");
            zip.write_all(content).expect("write");
        }
        zip.finish().expect("finish").into_inner()
    }

    fn check(bytes: &[u8], limits: &ZipLimits) -> Result<()> {
        check_zip(&mut Cursor::new(bytes), limits)
    }

    /// Replaces every occurrence of `from` in `bytes` with `to`, of the same length.
    fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) {
        assert_eq!(from.len(), to.len());
        let mut found = 0;
        for start in 0..=bytes.len() - from.len() {
            if bytes[start..start + from.len()] == *from {
                bytes[start..start + from.len()].copy_from_slice(to);
                found += 1;
            }
        }
        assert!(found > 0, "nothing to patch");
    }

    #[test]
    fn names_that_escape_the_directory_or_confuse_windows_are_refused() {
        let refused = [
            ("", "empty name"),
            ("../x", "parent directory"),
            ("a/../../x", "parent directory"),
            ("..\\x", "parent directory"),
            ("a\\..\\x", "parent directory"),
            (".. /x", "parent directory"),
            ("a/.../x", "parent directory"),
            ("/etc/x", "absolute path"),
            ("\\x", "absolute path"),
            ("\\\\server\\share\\x", "absolute path"),
            ("C:\\x", "drive letter"),
            ("C:x", "drive letter"),
            ("data.csv:stream", "alternate data stream"),
            ("x\0.csv", "NUL"),
        ];
        for (name, reason) in refused {
            let error = check_entry_name(name).expect_err(name);
            assert!(error.to_string().contains(reason), "{name:?}: {error}");
        }
        for name in ["Customer groups.csv", "Resources/flatten.xslt", "a..b.csv", "./x.csv", "Ünïcode 東京.xlsx"] {
            check_entry_name(name).unwrap_or_else(|error| panic!("{name:?}: {error}"));
        }
    }

    #[test]
    fn a_zip_with_a_traversal_name_is_refused_before_inflating() {
        let bytes = zip_of(&[("Manifest.xml", b"<m/>"), ("../../etc/cron.d/x", b"boom")]);
        let error = check(&bytes, &ZipLimits::default()).expect_err("traversal");
        assert_eq!(error.to_string(), "entry name \"../../etc/cron.d/x\" refers to a parent directory");
    }

    #[test]
    fn names_differing_only_in_case_or_slash_are_duplicates() {
        let bytes = zip_of(&[("Data/Groups.csv", b"1"), ("data\\GROUPS.CSV", b"2")]);
        let error = check(&bytes, &ZipLimits::default()).expect_err("case duplicate");
        assert!(error.to_string().contains("have the same name on Windows"), "{error}");
    }

    #[test]
    fn exact_duplicate_names_are_refused() {
        // The zip crate will not write a duplicate, so the second name is patched into the first.
        let mut bytes = zip_of(&[("a.csv", b"first"), ("b.csv", b"second")]);
        patch(&mut bytes, b"b.csv", b"a.csv");
        let error = check(&bytes, &ZipLimits::default()).expect_err("duplicate");
        assert_eq!(error.to_string(), "the archive has two entries with the same name");
    }

    #[test]
    fn too_many_entries_are_refused() {
        let names: Vec<String> = (0..5).map(|index| format!("{index}.csv")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|name| (name.as_str(), &b"x"[..])).collect();
        let limits = ZipLimits { max_entries: 4, ..ZipLimits::default() };
        let error = check(&zip_of(&entries), &limits).expect_err("five entries");
        assert_eq!(error.to_string(), "the archive has 5 entries, more than the limit of 4");
        check(&zip_of(&entries[..4]), &limits).expect("four entries");
    }

    #[test]
    fn an_entry_that_inflates_too_far_is_refused() {
        let zeros = vec![0u8; 1 << 20];
        let bytes = zip_of(&[("zeros.csv", &zeros)]);
        let ratio = ZipLimits { max_ratio: 100, ..ZipLimits::default() };
        let error = check(&bytes, &ratio).expect_err("ratio");
        assert!(error.to_string().contains("a ratio above the limit of 100"), "{error}");
        let size = ZipLimits { max_entry_bytes: 1 << 19, ..ZipLimits::default() };
        let error = check(&bytes, &size).expect_err("size");
        assert_eq!(error.to_string(), "entry \"zeros.csv\" inflates to 1048576 bytes, more than the limit of 524288");
        // Deflate tops out near 1032:1, which a megabyte of zeros reaches.
        check(&bytes, &ZipLimits { max_ratio: 1100, ..ZipLimits::default() }).expect("within the limits");
    }

    #[test]
    fn entries_under_the_entry_limit_are_refused_when_their_total_is_over() {
        let content = vec![7u8; 600];
        let bytes = zip_of(&[("a.csv", &content), ("b.csv", &content), ("c.csv", &content)]);
        let limits = ZipLimits { max_entry_bytes: 1000, max_total_bytes: 1500, ..ZipLimits::default() };
        let error = check(&bytes, &limits).expect_err("total");
        assert_eq!(error.to_string(), "the entries inflate to more than the limit of 1500 bytes in total");
    }

    #[test]
    fn bytes_that_are_not_a_zip_are_refused() {
        let error = check(b"MAJORTYPEID,DESCRIPTION\r\nA,B\r\n", &ZipLimits::default()).expect_err("csv");
        assert!(error.to_string().contains("not a zip archive"), "{error}");
        assert!(check(b"", &ZipLimits::default()).is_err());
    }

    #[test]
    fn an_entry_that_lies_about_its_size_fails_while_inflating() {
        let zeros = vec![0u8; 1 << 20];
        let mut bytes = zip_of(&[("zeros.csv", &zeros)]);
        // Declare 1,000 bytes instead of 1 MiB in the local header and the directory.
        patch(&mut bytes, &(1u32 << 20).to_le_bytes(), &1000u32.to_le_bytes());
        let mut archive = open_archive(Cursor::new(bytes)).expect("zip");
        check_archive(&archive, &ZipLimits::default()).expect("the declared sizes look harmless");
        let index = find_entry(&archive, "ZEROS.CSV").expect("found ignoring case");
        let mut entry = open_entry(&mut archive, index, u64::MAX).expect("open");
        let mut inflated = Vec::new();
        let error = entry.read_to_end(&mut inflated).expect_err("lie");
        assert!(error.to_string().contains("\"zeros.csv\""), "{error}");
        assert!(error.to_string().contains("declared"), "{error}");
        assert!(inflated.len() <= 1001, "read {} bytes", inflated.len());
    }

    /// An endless stream of bytes that counts how many were pulled from it.
    struct Endless {
        pulled: u64,
    }

    impl Read for Endless {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            buffer.fill(b'x');
            self.pulled += buffer.len() as u64;
            Ok(buffer.len())
        }
    }

    #[test]
    fn the_bounded_reader_stops_an_endless_entry_one_byte_past_its_allowance() {
        let mut entry = BoundedEntry::new(Endless { pulled: 0 }, "lie.csv".to_owned(), 1000, u64::MAX);
        let error = io::copy(&mut entry, &mut io::sink()).expect_err("endless");
        assert_eq!(error.to_string(), "entry \"lie.csv\" inflates to more than the 1000 bytes it declared");
        assert_eq!(entry.inner.pulled, 1001);

        let mut entry = BoundedEntry::new(Endless { pulled: 0 }, "big.csv".to_owned(), u64::MAX, 4096);
        let error = io::copy(&mut entry, &mut io::sink()).expect_err("endless");
        assert_eq!(error.to_string(), "entry \"big.csv\" inflates to more than the limit of 4096 bytes");
        assert_eq!(entry.inner.pulled, 4097);
    }

    #[test]
    fn the_bounded_reader_passes_an_honest_entry_whole() {
        let mut entry = BoundedEntry::new(&b"exactly"[..], "honest.csv".to_owned(), 7, 7);
        let mut content = String::new();
        entry.read_to_string(&mut content).expect("honest");
        assert_eq!(content, "exactly");
    }
}
