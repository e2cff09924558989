//! `PackageHeader.xml`: what kind of package this is and which manifest format it carries.

use anyhow::{Context as _, Result, bail};

use super::document::{DocumentReader, DocumentWriter, decode};

/// The `ManifestType` of an ordinary data package.
pub const PACKAGE_MANIFEST_TYPE: &str =
    "Microsoft.Dynamics.AX.Framework.Tools.DataManagement.Serialization.DataManagementPackageManifest";

/// The `ManifestType` of a template package, whose manifest also lists template source
/// entities.
pub const TEMPLATE_MANIFEST_TYPE: &str =
    "Microsoft.Dynamics.AX.Framework.Tools.DataManagement.Serialization.DataManagementTemplatePackageManifest";

/// The package format version, `<PackageVersion>`. D365 has written 1 and, in newer releases, 2;
/// both describe the same manifest, and both import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PackageVersion {
    /// Version 1, as the packages of the 2017 releases carry.
    #[default]
    V1,
    /// Version 2, as newer releases write.
    V2,
}

impl PackageVersion {
    /// The number D365 writes.
    pub fn number(self) -> i32 {
        match self {
            PackageVersion::V1 => 1,
            PackageVersion::V2 => 2,
        }
    }
}

/// The contents of `PackageHeader.xml` (the .NET type `DataManagementPackageHeader`).
///
/// The default is what D365 writes for an ordinary data package, with an empty description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageHeader {
    /// Free text; D365 writes the data project name.
    pub description: String,
    /// The .NET type of the manifest: [`PACKAGE_MANIFEST_TYPE`] or [`TEMPLATE_MANIFEST_TYPE`].
    pub manifest_type: String,
    /// `DefinitionGroup` for packages exported from a data project.
    pub package_type: String,
    /// The format version.
    pub package_version: PackageVersion,
}

impl Default for PackageHeader {
    fn default() -> Self {
        Self {
            description: String::new(),
            manifest_type: PACKAGE_MANIFEST_TYPE.to_owned(),
            package_type: "DefinitionGroup".to_owned(),
            package_version: PackageVersion::V1,
        }
    }
}

impl PackageHeader {
    /// Reads `PackageHeader.xml` from its bytes (UTF-16 with a BOM, or UTF-8). Elements may
    /// come in any order; unknown ones are ignored and missing ones take the
    /// [default](Self::default). A version other than 1 or 2 is an error.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let text = decode(bytes).context("cannot decode PackageHeader.xml")?;
        Self::parse_text(&text).context("invalid PackageHeader.xml")
    }

    fn parse_text(text: &str) -> Result<Self> {
        let mut document = DocumentReader::new(text);
        document.root(&["DataManagementPackageHeader"])?;
        let mut header = Self::default();
        while let Some(element) = document.next_child()? {
            match element.name.as_str() {
                "Description" => header.description = document.text(&element)?,
                "ManifestType" => header.manifest_type = document.text(&element)?,
                "PackageType" => header.package_type = document.text(&element)?,
                "PackageVersion" => {
                    let version = document.text(&element)?;
                    header.package_version = match version.trim() {
                        "1" => PackageVersion::V1,
                        "2" => PackageVersion::V2,
                        other => bail!("<PackageVersion> is {other:?}; only versions 1 and 2 are known"),
                    };
                }
                _ => document.skip(&element)?,
            }
        }
        Ok(header)
    }

    /// `PackageHeader.xml` exactly as D365 writes it: UTF-16 LE with a BOM, one line, no XML
    /// declaration, elements in alphabetical order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let root = "DataManagementPackageHeader";
        let mut writer = DocumentWriter::root(root);
        writer.text("Description", &self.description);
        writer.text("ManifestType", &self.manifest_type);
        writer.text("PackageType", &self.package_type);
        writer.integer("PackageVersion", self.package_version.number());
        writer.end(root);
        writer.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pretty_printed_utf8_header_with_a_declaration_and_unknown_elements_parses() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<DataManagementPackageHeader xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/dynamics/2015/01/DataManagement">
  <PackageVersion> 2 </PackageVersion>
  <Future><Nested>x</Nested></Future>
  <Description>Currencies &amp; rates</Description>
</DataManagementPackageHeader>"#;
        let header = PackageHeader::parse(xml.as_bytes()).expect("valid");
        let expected = PackageHeader {
            description: "Currencies & rates".to_owned(),
            package_version: PackageVersion::V2,
            ..PackageHeader::default()
        };
        assert_eq!(header, expected);
    }

    #[test]
    fn an_unknown_package_version_is_refused_by_name() {
        let xml = "<DataManagementPackageHeader><PackageVersion>3</PackageVersion></DataManagementPackageHeader>";
        let error = PackageHeader::parse(xml.as_bytes()).expect_err("version 3");
        assert_eq!(
            format!("{error:#}"),
            "invalid PackageHeader.xml: <PackageVersion> is \"3\"; only versions 1 and 2 are known"
        );
    }

    #[test]
    fn a_manifest_is_not_a_header() {
        let error = PackageHeader::parse(b"<DataManagementPackageManifest/>").expect_err("wrong root");
        assert!(format!("{error:#}").contains("expected <DataManagementPackageHeader>"), "{error:#}");
    }

    #[test]
    fn the_written_header_reads_back_the_same() {
        let header = PackageHeader {
            description: "Zürich <test> & \"quotes\"".to_owned(),
            manifest_type: TEMPLATE_MANIFEST_TYPE.to_owned(),
            package_type: "DefinitionGroup".to_owned(),
            package_version: PackageVersion::V2,
        };
        assert_eq!(PackageHeader::parse(&header.to_bytes()).expect("own output"), header);
    }
}
