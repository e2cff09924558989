//! Whole data packages: D365's header and manifest bytes, the packages under
//! `tests/data/packages/<case>/` (each directory zipped as it is, at test time), packages Wharf
//! writes, and hostile zips built byte by byte.
//!
//! `expected/` holds the header and manifest documented in the wire spec (section 3), as D365
//! writes them: UTF-16 LE with a BOM, one line, `<X />` for empty elements.
//! `customer-groups-utf16-v1/` is in that style, with three entities listed out of execution
//! order and a value conversion table; `currencies-utf8-v2/` is in a third-party style: UTF-8
//! with a BOM and declaration, pretty-printed, elements out of order, newer and unknown
//! elements, and a UTF-16 BE header.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use wharf::formats::package::{
    EntityMap, Manifest, PackageEntity, PackageHeader, PackageReader, PackageVersion, PackageWriter, ValueMap,
    ZipLimits,
};
use wharf_tests::root;

fn data(path: &str) -> PathBuf {
    root().join("tests/data/packages").join(path)
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(data(path)).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// One entry of a hand-built zip. `declared_size` is what the headers claim it inflates to.
struct Entry {
    name: String,
    content: Vec<u8>,
    declared_size: u32,
}

fn entry(name: &str, content: &[u8]) -> Entry {
    let declared_size = u32::try_from(content.len()).expect("small");
    Entry { name: name.to_owned(), content: content.to_vec(), declared_size }
}

/// A zip of stored entries, written byte by byte so a test can write what no zip library
/// would: traversal names, duplicate names, sizes that lie.
fn zip_of(entries: &[Entry]) -> Vec<u8> {
    const UTF8_NAMES: u16 = 0x0800;
    const JANUARY_1980: u16 = 0x21;
    let mut bytes = Vec::new();
    let mut directory = Vec::new();
    for entry in entries {
        let offset = u32::try_from(bytes.len()).expect("small");
        let crc = crc32(&entry.content);
        let compressed = u32::try_from(entry.content.len()).expect("small");
        let name_length = u16::try_from(entry.name.len()).expect("short");
        let mut common = Vec::new();
        for half in [20, UTF8_NAMES, 0, 0, JANUARY_1980] {
            common.extend_from_slice(&u16::to_le_bytes(half));
        }
        for word in [crc, compressed, entry.declared_size] {
            common.extend_from_slice(&word.to_le_bytes());
        }
        common.extend_from_slice(&name_length.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());

        bytes.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        bytes.extend_from_slice(&common);
        bytes.extend_from_slice(entry.name.as_bytes());
        bytes.extend_from_slice(&entry.content);

        directory.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        directory.extend_from_slice(&20u16.to_le_bytes());
        directory.extend_from_slice(&common);
        // Comment length, start disk, internal and external attributes.
        directory.extend_from_slice(&[0; 10]);
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(entry.name.as_bytes());
    }
    let directory_offset = u32::try_from(bytes.len()).expect("small");
    let directory_size = u32::try_from(directory.len()).expect("small");
    let count = u16::try_from(entries.len()).expect("few");
    bytes.extend_from_slice(&directory);
    bytes.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for half in [0, 0, count, count] {
        bytes.extend_from_slice(&u16::to_le_bytes(half));
    }
    bytes.extend_from_slice(&directory_size.to_le_bytes());
    bytes.extend_from_slice(&directory_offset.to_le_bytes());
    bytes.extend_from_slice(&0u16.to_le_bytes());
    bytes
}

/// The zip CRC-32 (IEEE, reflected), bit by bit: slow, but the entries are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The files of `tests/data/packages/<case>/`, zipped in name order.
fn package_of(case: &str) -> Vec<u8> {
    let mut names: Vec<String> = std::fs::read_dir(data(case))
        .expect("case directory")
        .map(|file| file.expect("listable").file_name().into_string().expect("utf-8 name"))
        .collect();
    names.sort();
    let entries: Vec<Entry> = names.iter().map(|name| entry(name, &read(&format!("{case}/{name}")))).collect();
    zip_of(&entries)
}

fn open(bytes: Vec<u8>) -> anyhow::Result<PackageReader<Cursor<Vec<u8>>>> {
    PackageReader::open(Cursor::new(bytes), &ZipLimits::default())
}

fn extracted(reader: &mut PackageReader<Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut content = Vec::new();
    reader.extract(name, &mut content).unwrap_or_else(|error| panic!("{name}: {error:#}"));
    content
}

/// The manifest the wire spec documents (section 3.2), with the one field map it shows.
fn documented_manifest() -> Manifest {
    Manifest {
        definition_group_name: "Asset-Major-Types".to_owned(),
        description: "Asset-Major-Types".to_owned(),
        entities: vec![PackageEntity {
            entity_name: "Fixed asset major type".to_owned(),
            input_file_path: "Fixed asset major type.xlsx".to_owned(),
            source_format: "EXCEL".to_owned(),
            execution_unit: 1,
            level_in_execution_unit: 1,
            sequence_in_level: 1,
            run_business_logic: true,
            run_business_validation: true,
            validation_status: "Yes".to_owned(),
            field_maps: Some(vec![EntityMap::identity("DESCRIPTION")]),
            ..PackageEntity::default()
        }],
    }
}

#[test]
fn the_header_is_written_byte_for_byte_as_d365_writes_it() {
    let header = PackageHeader { description: "Asset-Major-Types".to_owned(), ..PackageHeader::default() };
    assert_eq!(header.to_bytes(), read("expected/PackageHeader.xml"));
    assert_eq!(PackageHeader::parse(&read("expected/PackageHeader.xml")).expect("valid"), header);
}

#[test]
fn the_manifest_is_written_byte_for_byte_as_d365_writes_it() {
    assert_eq!(documented_manifest().to_bytes(), read("expected/Manifest.xml"));
    assert_eq!(Manifest::parse(&read("expected/Manifest.xml")).expect("valid"), documented_manifest());
}

#[test]
fn a_utf16_version_1_package_reads_with_its_entities_in_execution_order() {
    let mut reader = open(package_of("customer-groups-utf16-v1")).expect("opens");
    let header = reader.header().expect("has a header");
    assert_eq!((header.description.as_str(), header.package_version), ("Customer setup", PackageVersion::V1));

    let manifest = reader.manifest().clone();
    assert_eq!(manifest.definition_group_name, "Customer setup");
    assert_eq!(manifest.description, "Customers & their groups");
    let listed: Vec<&str> = manifest.entities.iter().map(|entity| entity.entity_name.as_str()).collect();
    assert_eq!(listed, ["Customers V3", "Customer groups", "Terms of payment"]);
    let in_order: Vec<(&str, i32, i32, i32)> = manifest
        .entities_in_execution_order()
        .into_iter()
        .map(|entity| {
            let name = entity.entity_name.as_str();
            (name, entity.execution_unit, entity.level_in_execution_unit, entity.sequence_in_level)
        })
        .collect();
    assert_eq!(in_order, [("Terms of payment", 1, 1, 1), ("Customer groups", 1, 1, 2), ("Customers V3", 1, 2, 1)]);

    let groups = &manifest.entities[1];
    let maps = groups.field_maps.as_deref().expect("mapped");
    let sources: Vec<(&str, &str)> =
        maps.iter().map(|map| (map.xml_field.as_str(), map.entity_field.as_str())).collect();
    assert_eq!(
        sources,
        [
            ("CUSTOMERGROUPID", "CUSTOMERGROUPID"),
            ("PAYMENTTERM", "CLEARINGPERIODPAYMENTTERMNAME"),
            ("TAXINCLUDED", "ISSALESTAXINCLUDEDINPRICE")
        ]
    );
    let replacements = HashMap::from([("Y".to_owned(), "Yes".to_owned())]);
    let expected = ValueMap { replacements, default: Some("No".to_owned()) };
    assert_eq!(maps[2].value_map(), expected);

    for entity in &manifest.entities {
        let file = &entity.input_file_path;
        assert_eq!(extracted(&mut reader, file), read(&format!("customer-groups-utf16-v1/{file}")), "{file}");
    }
    // Read and written again, a D365-style manifest gives back its own bytes.
    assert_eq!(manifest.to_bytes(), read("customer-groups-utf16-v1/Manifest.xml"));
}

#[test]
fn a_pretty_printed_utf8_version_2_package_with_unknown_elements_reads() {
    let mut reader = open(package_of("currencies-utf8-v2")).expect("opens");
    let header = reader.header().expect("has a header");
    assert_eq!(header.package_version, PackageVersion::V2);
    assert_eq!(header.description, "LC-Currencies-1a2b3c4d");

    let manifest = reader.manifest().clone();
    let maps = vec![EntityMap::identity("CURRENCYCODE"), EntityMap::identity("NAME")];
    let currencies = PackageEntity {
        entity_name: "Currencies".to_owned(),
        input_file_path: "Currencies.csv".to_owned(),
        source_format: "CSV-Unicode".to_owned(),
        field_maps: Some(maps),
        default_refresh_type: Some("FullPush".to_owned()),
        disable: Some(false),
        skip_staging: Some(false),
        ..PackageEntity::default()
    };
    let expected = Manifest {
        definition_group_name: "LC-Currencies-1a2b3c4d".to_owned(),
        description: "Währungen – Zürich".to_owned(),
        entities: vec![currencies],
    };
    assert_eq!(manifest, expected);
    assert_eq!(extracted(&mut reader, "currencies.CSV"), read("currencies-utf8-v2/Currencies.csv"));
}

#[test]
fn a_package_wharf_writes_reads_back_the_same() {
    let manifest = Manifest::parse(&read("customer-groups-utf16-v1/Manifest.xml")).expect("valid");
    let header = PackageHeader { description: "Zürich & <Genève>".to_owned(), ..PackageHeader::default() };
    let mut writer = PackageWriter::new(Cursor::new(Vec::new()));
    for entity in &manifest.entities {
        let content = read(&format!("customer-groups-utf16-v1/{}", entity.input_file_path));
        writer.start_entity_file(&entity.input_file_path).expect("start").write_all(&content).expect("write");
    }
    let bytes = writer.finish(&manifest, &header).expect("finish").into_inner();

    let mut reader = open(bytes).expect("opens");
    assert_eq!(reader.manifest(), &manifest);
    assert_eq!(reader.header(), Some(&header));
    for entity in &manifest.entities {
        let file = &entity.input_file_path;
        assert_eq!(extracted(&mut reader, file), read(&format!("customer-groups-utf16-v1/{file}")), "{file}");
    }
}

#[test]
fn hostile_packages_are_refused_with_the_reason() {
    let manifest = read("expected/Manifest.xml");
    let with_manifest = |name: &str, content: &[u8]| zip_of(&[entry("Manifest.xml", &manifest), entry(name, content)]);
    let mut no_bom = read("expected/Manifest.xml");
    no_bom.drain(..2);
    let doctype = r#"<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><DataManagementPackageManifest><Description>&b;</Description></DataManagementPackageManifest>"#;
    let huge = Entry { declared_size: u32::MAX, ..entry("Huge.csv", b"tiny") };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("parent directory", with_manifest("../x.csv", b"x"), "refers to a parent directory"),
        ("backslash parent", with_manifest("..\\x.csv", b"x"), "refers to a parent directory"),
        ("absolute", with_manifest("/etc/x", b"x"), "is an absolute path"),
        ("drive letter", with_manifest("C:\\x", b"x"), "drive letter"),
        ("exact duplicate", with_manifest("Manifest.xml", &manifest), "two entries with the same name"),
        ("case duplicate", with_manifest("MANIFEST.XML", &manifest), "the same name on Windows"),
        ("declared bomb", zip_of(&[entry("Manifest.xml", &manifest), huge]), "a ratio above the limit"),
        ("not a zip", b"CODE,NAME\r\nUSD,US Dollar\r\n".to_vec(), "not a zip archive"),
        ("no manifest", zip_of(&[entry("Currencies.csv", b"CODE\r\n")]), "the package has no Manifest.xml"),
        ("doctype", zip_of(&[entry("Manifest.xml", doctype.as_bytes())]), "DOCTYPE"),
        ("utf-16 without bom", zip_of(&[entry("Manifest.xml", &no_bom)]), "UTF-16 without a byte order mark"),
        (
            "invalid utf-8",
            zip_of(&[entry("Manifest.xml", b"<DataManagementPackageManifest>\xC3(")]),
            "invalid UTF-8 at byte 31",
        ),
    ];
    for (case, bytes, reason) in cases {
        let error = open(bytes).map(|_| ()).expect_err(case);
        assert!(format!("{error:#}").contains(reason), "{case}: {error:#}");
    }
}

#[test]
fn a_package_with_more_entries_than_the_limit_is_refused() {
    let entries: Vec<Entry> = (0..6).map(|index| entry(&format!("{index}.csv"), b"x")).collect();
    let limits = ZipLimits { max_entries: 5, ..ZipLimits::default() };
    let error = PackageReader::open(Cursor::new(zip_of(&entries)), &limits).map(|_| ()).expect_err("six entries");
    assert_eq!(error.to_string(), "the archive has 6 entries, more than the limit of 5");
}

#[test]
fn an_entity_file_larger_than_it_declared_fails_when_read_not_before() {
    let lying = Entry { declared_size: 10, ..entry("Currencies.csv", &[b'x'; 4096]) };
    let mut reader = open(zip_of(&[entry("Manifest.xml", &read("expected/Manifest.xml")), lying])).expect("opens");
    let mut content = Vec::new();
    let error = reader.entry("Currencies.csv").expect("entry").read_to_end(&mut content).expect_err("lie");
    assert!(error.to_string().contains("\"Currencies.csv\""), "{error}");
    assert!(content.len() <= 11, "read {} bytes", content.len());
}
