//! Data packages: the zips D365's Data Management Framework imports and exports, holding
//! `Manifest.xml`, `PackageHeader.xml` and one data file per entity, all at the root.
//!
//! [`PackageReader`] opens a package as untrusted input (zip limits and entry names checked
//! before anything is inflated, entries held to their declared sizes while inflating) and
//! parses its manifest; [`PackageWriter`] writes one the way D365 does. [`Manifest`] and
//! [`PackageHeader`] also read and write on their own.
mod archive;
mod document;
mod header;
mod manifest;

use std::collections::HashSet;
use std::io::{Read, Seek, Write};

use anyhow::{Context as _, Result, anyhow, bail};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

pub use self::archive::{ZipLimits, check_zip};
pub use self::header::{PACKAGE_MANIFEST_TYPE, PackageHeader, PackageVersion, TEMPLATE_MANIFEST_TYPE};
pub use self::manifest::{EntityFieldConversion, EntityMap, EntityTransform, Manifest, PackageEntity, ValueMap};

use self::archive::{check_archive, check_entry_name, find_entry, folded_name, open_archive, open_entry};

/// The manifest's name inside a package.
pub const MANIFEST_FILE_NAME: &str = "Manifest.xml";

/// The header's name inside a package.
pub const HEADER_FILE_NAME: &str = "PackageHeader.xml";

/// Most bytes `Manifest.xml` or `PackageHeader.xml` may have. They are parsed whole, so this
/// defends memory against a manifest inflated to gigabytes. A manifest is a few hundred bytes
/// per mapped field in UTF-16; a package of hundreds of entities stays in the low megabytes.
const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// An open data package: its parsed manifest and header, and its entity files to read.
#[derive(Debug)]
pub struct PackageReader<R: Read + Seek> {
    archive: ZipArchive<R>,
    limits: ZipLimits,
    manifest: Manifest,
    header: Option<PackageHeader>,
}

impl<R: Read + Seek> PackageReader<R> {
    /// Opens the package in `source`: checks the archive against `limits` (see [`check_zip`]),
    /// then reads and parses `Manifest.xml` and `PackageHeader.xml`, whose names are matched
    /// ignoring case as on Windows. A package without a manifest is an error.
    ///
    /// A package without `PackageHeader.xml` opens, with [`header`](Self::header) `None`: every
    /// package D365 writes has one, but nothing Wharf does with a package needs it, so a caller
    /// that must be as strict as D365 checks for it.
    pub fn open(source: R, limits: &ZipLimits) -> Result<Self> {
        let mut archive = open_archive(source)?;
        check_archive(&archive, limits)?;
        let manifest = read_document(&mut archive, MANIFEST_FILE_NAME, limits)?
            .ok_or_else(|| anyhow!("the package has no {MANIFEST_FILE_NAME}"))?;
        let manifest = Manifest::parse(&manifest)?;
        let header = match read_document(&mut archive, HEADER_FILE_NAME, limits)? {
            Some(header) => Some(PackageHeader::parse(&header)?),
            None => None,
        };
        Ok(Self { archive, limits: limits.clone(), manifest, header })
    }

    /// The parsed `Manifest.xml`.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The parsed `PackageHeader.xml`, or `None` when the package has none.
    pub fn header(&self) -> Option<&PackageHeader> {
        self.header.as_ref()
    }

    /// Reads entry `name` (an entity's `input_file_path`, say), found ignoring case as on
    /// Windows. The reader inflates as it is read, and fails once more bytes come out than the
    /// entry declared or than the per-entry limit allows.
    pub fn entry(&mut self, name: &str) -> Result<impl Read + '_> {
        let index = find_entry(&self.archive, name).ok_or_else(|| anyhow!("the package has no entry {name:?}"))?;
        open_entry(&mut self.archive, index, self.limits.max_entry_bytes)
            .with_context(|| format!("cannot read entry {name:?}"))
    }

    /// Copies entry `name` into `output`, returning the number of bytes copied; see
    /// [`entry`](Self::entry).
    pub fn extract(&mut self, name: &str, output: &mut impl Write) -> Result<u64> {
        let mut entry = self.entry(name)?;
        std::io::copy(&mut entry, output).with_context(|| format!("cannot extract entry {name:?}"))
    }
}

/// Reads a small entry whole, or `None` when there is no such entry.
fn read_document<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    name: &str,
    limits: &ZipLimits,
) -> Result<Option<Vec<u8>>> {
    let Some(index) = find_entry(archive, name) else {
        return Ok(None);
    };
    let limit = limits.max_entry_bytes.min(MAX_DOCUMENT_BYTES);
    let mut entry = open_entry(archive, index, limit).with_context(|| format!("cannot read {name}"))?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).with_context(|| format!("cannot read {name}"))?;
    Ok(Some(bytes))
}

/// Writes a data package as D365 does: entity files first, then `Manifest.xml` and
/// `PackageHeader.xml`, all deflated, at the root.
#[derive(Debug)]
pub struct PackageWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    folded_names: HashSet<String>,
}

impl<W: Write + Seek> PackageWriter<W> {
    /// A package written to `sink`.
    pub fn new(sink: W) -> Self {
        // Entries over 4 GiB switch to zip64 on their own instead of failing.
        Self { zip: ZipWriter::new(sink).set_auto_large_file(), folded_names: HashSet::new() }
    }

    /// Starts the entity data file `name` (an entity's `input_file_path`) and returns where to
    /// write its bytes, until the next call or [`finish`](Self::finish). The name must be one
    /// [`check_zip`] accepts, must differ (ignoring case) from every other entry's, and must
    /// not be `Manifest.xml` or `PackageHeader.xml`, which `finish` writes.
    pub fn start_entity_file(&mut self, name: &str) -> Result<&mut impl Write> {
        check_entry_name(name)?;
        let folded = folded_name(name);
        if folded == folded_name(MANIFEST_FILE_NAME) || folded == folded_name(HEADER_FILE_NAME) {
            bail!("{name:?} is the package's own file, written by finish");
        }
        if !self.folded_names.insert(folded) {
            bail!("the package already has an entry named {name:?} (names are compared ignoring case)");
        }
        self.zip.start_file(name, file_options()).with_context(|| format!("cannot start entry {name:?}"))?;
        Ok(&mut self.zip)
    }

    /// Writes `Manifest.xml` and `PackageHeader.xml` and the zip's directory, and returns the
    /// sink.
    pub fn finish(mut self, manifest: &Manifest, header: &PackageHeader) -> Result<W> {
        // The order of D365's own packages: data files, then the manifest, then the header
        // (`ZipFile.CreateFromDirectory` lists the folder in name order).
        for (name, bytes) in [(MANIFEST_FILE_NAME, manifest.to_bytes()), (HEADER_FILE_NAME, header.to_bytes())] {
            self.zip.start_file(name, file_options()).with_context(|| format!("cannot start {name}"))?;
            self.zip.write_all(&bytes).with_context(|| format!("cannot write {name}"))?;
        }
        self.zip.finish().context("cannot finish the package")
    }
}

fn file_options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn manifest() -> Manifest {
        let entity = |name: &str, file: &str| PackageEntity {
            entity_name: name.to_owned(),
            input_file_path: file.to_owned(),
            source_format: "CSV-Unicode".to_owned(),
            field_maps: Some(vec![EntityMap::identity("CODE")]),
            ..PackageEntity::default()
        };
        Manifest {
            definition_group_name: "Project".to_owned(),
            description: "Project".to_owned(),
            entities: vec![entity("Currencies", "Currencies.csv"), entity("Zürich sites", "Zürich sites.csv")],
        }
    }

    fn header() -> PackageHeader {
        PackageHeader {
            description: "Project".to_owned(),
            package_version: PackageVersion::V2,
            ..PackageHeader::default()
        }
    }

    fn package(files: &[(&str, &[u8])], manifest: &Manifest, header: &PackageHeader) -> Vec<u8> {
        let mut writer = PackageWriter::new(Cursor::new(Vec::new()));
        for (name, content) in files {
            writer.start_entity_file(name).expect("start").write_all(content).expect("write");
        }
        writer.finish(manifest, header).expect("finish").into_inner()
    }

    /// A zip with exactly `entries`, for packages the writer would not produce.
    fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in entries {
            zip.start_file(*name, file_options()).expect("start");
            zip.write_all(content).expect("write");
        }
        zip.finish().expect("finish").into_inner()
    }

    #[test]
    fn a_written_package_reads_back_with_its_files_in_d365_order() {
        let files: [(&str, &[u8]); 2] =
            [("Currencies.csv", b"CODE\r\nUSD\r\n"), ("Zürich sites.csv", "CODE\r\nZÜR\r\n".as_bytes())];
        let bytes = package(&files, &manifest(), &header());

        let names: Vec<String> = ZipArchive::new(Cursor::new(&bytes))
            .expect("zip")
            .file_names()
            .map(|name| name.expect("utf-8").into_owned())
            .collect();
        assert_eq!(names, ["Currencies.csv", "Zürich sites.csv", "Manifest.xml", "PackageHeader.xml"]);

        let mut reader = PackageReader::open(Cursor::new(bytes), &ZipLimits::default()).expect("open");
        assert_eq!(reader.manifest(), &manifest());
        assert_eq!(reader.header(), Some(&header()));
        let mut content = String::new();
        reader.entry("zürich SITES.csv").expect("found ignoring case").read_to_string(&mut content).expect("read");
        assert_eq!(content, "CODE\r\nZÜR\r\n");
        let mut extracted = Vec::new();
        assert_eq!(reader.extract("Currencies.csv", &mut extracted).expect("extract"), 11);
        assert_eq!(extracted, b"CODE\r\nUSD\r\n");
    }

    #[test]
    fn a_missing_entry_is_named_in_the_error() {
        let bytes = package(&[], &manifest(), &header());
        let mut reader = PackageReader::open(Cursor::new(bytes), &ZipLimits::default()).expect("open");
        let error = reader.extract("Currencies.csv", &mut Vec::new()).expect_err("missing");
        assert_eq!(error.to_string(), "the package has no entry \"Currencies.csv\"");
    }

    #[test]
    fn the_writer_refuses_names_the_reader_would_refuse_or_that_it_writes_itself() {
        let mut writer = PackageWriter::new(Cursor::new(Vec::new()));
        writer.start_entity_file("Currencies.csv").expect("first");
        let refused = [
            ("currencies.CSV", "already has an entry"),
            ("manifest.xml", "the package's own file"),
            ("PackageHeader.XML", "the package's own file"),
            ("../Currencies.csv", "parent directory"),
            ("C:\\Currencies.csv", "drive letter"),
        ];
        for (name, reason) in refused {
            let error = writer.start_entity_file(name).map(|_| ()).expect_err(name);
            assert!(error.to_string().contains(reason), "{name}: {error}");
        }
    }

    #[test]
    fn a_package_without_a_manifest_is_refused() {
        let bytes = raw_zip(&[("PackageHeader.xml", &header().to_bytes()), ("Currencies.csv", b"CODE\r\n")]);
        let error = PackageReader::open(Cursor::new(bytes), &ZipLimits::default()).expect_err("no manifest");
        assert_eq!(error.to_string(), "the package has no Manifest.xml");
    }

    #[test]
    fn a_package_without_a_header_opens_without_one() {
        let bytes = raw_zip(&[("MANIFEST.XML", &manifest().to_bytes())]);
        let reader = PackageReader::open(Cursor::new(bytes), &ZipLimits::default()).expect("open");
        assert_eq!(reader.header(), None);
        assert_eq!(reader.manifest(), &manifest());
    }

    #[test]
    fn opening_checks_the_archive_before_reading_the_manifest() {
        let bytes = raw_zip(&[("Manifest.xml", &manifest().to_bytes()), ("..\\evil.csv", b"x")]);
        let error = PackageReader::open(Cursor::new(bytes), &ZipLimits::default()).expect_err("traversal");
        assert!(error.to_string().contains("parent directory"), "{error}");
    }

    #[test]
    fn an_invalid_manifest_fails_opening_with_the_reason() {
        let bytes = raw_zip(&[("Manifest.xml", b"<!DOCTYPE x><DataManagementPackageManifest/>")]);
        let error = PackageReader::open(Cursor::new(bytes), &ZipLimits::default()).expect_err("doctype");
        assert!(format!("{error:#}").starts_with("invalid Manifest.xml: the document has a DOCTYPE"), "{error:#}");
    }
}
