//! `Manifest.xml`: the data project a package belongs to, and per entity its data file, source
//! format, execution order, processing switches and field mapping.
//!
//! The element names are those of Microsoft's DataContract types (`DataManagementPackageManifest`,
//! `DataManagementPackageEntityData`, `EntityMap`, `EntityFieldConversion`, `EntityTransform`).
//! Reading is lenient, as D365's own reader is: any element order, unknown elements ignored at
//! every level, missing elements take their defaults. Writing reproduces D365's bytes.

use std::collections::HashMap;

use anyhow::{Context as _, Result};

use super::document::{DocumentReader, DocumentWriter, Element, decode, parse_boolean, parse_integer};

/// The contents of `Manifest.xml` (the .NET type `DataManagementPackageManifest`).
///
/// A template manifest (`DataManagementTemplatePackageManifest`) reads as one too; its
/// template-only elements are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The data project (definition group) the package was exported from or imports into.
    pub definition_group_name: String,
    /// Free text; D365 writes the data project name.
    pub description: String,
    /// The entities, in the order the manifest lists them. The order they run in is
    /// [`entities_in_execution_order`](Self::entities_in_execution_order).
    pub entities: Vec<PackageEntity>,
}

/// One entity of a package (the .NET type `DataManagementPackageEntityData`): which file holds
/// its rows, in which format, when it runs and how its fields map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageEntity {
    /// The DMF entity label, e.g. `Customer groups` (not the OData or AOT name).
    pub entity_name: String,
    /// The entity's data file inside the package, e.g. `Customer groups.csv`.
    pub input_file_path: String,
    /// The source data format of the file: `EXCEL`, `CSV`, `CSV-Unicode`, `XML-Element` and
    /// `XML-Attribute` are D365's; Wharf's own (`JSON`, `FIXED`) are free text too.
    pub source_format: String,
    /// The worksheet that holds the rows of an Excel file; empty means D365's default.
    pub excel_sheet_name: String,
    /// Execution units run in parallel with each other.
    pub execution_unit: i32,
    /// Within a unit, levels run one after another; entities on one level run in parallel.
    pub level_in_execution_unit: i32,
    /// Within a level, entities start in sequence order.
    pub sequence_in_level: i32,
    /// Whether a failure stops the rest of this execution unit.
    pub fail_execution_unit_on_error: bool,
    /// Whether a failure stops the rest of this level.
    pub fail_level_on_error: bool,
    /// Whether the entity's insert and update logic runs on import.
    pub run_business_logic: bool,
    /// Whether the entity's `validateWrite` runs on import.
    pub run_business_validation: bool,
    /// Whether the mapping was validated in the data project: `Yes` or `No`.
    pub validation_status: String,
    /// A sample file the data project was set up from; usually empty.
    pub sample_file_path: String,
    /// The definition group, which D365 leaves out of the manifests it writes.
    pub definition_group: Option<String>,
    /// The field map. `None` is `i:nil` or a missing `EntityMapList`: D365 then does not
    /// register the entity, and its import "succeeds" with no rows, so callers should treat
    /// `None` as an error or generate a map; `Some(vec![])` is an empty map.
    pub field_maps: Option<Vec<EntityMap>>,
    /// XSLT transforms applied to an XML source file; `None` is `i:nil`.
    pub transforms: Option<Vec<EntityTransform>>,
    /// `DefaultRefreshType` (e.g. `FullPush`), written by newer releases only.
    pub default_refresh_type: Option<String>,
    /// `Disable`, written by newer releases only.
    pub disable: Option<bool>,
    /// `SkipStaging` (write straight to the target), written by newer releases only.
    pub skip_staging: Option<bool>,
}

/// How one source field maps to one entity field (the .NET type `EntityMap`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityMap {
    /// The element of an array field (e.g. a dimension); 0 otherwise.
    pub array_index: i32,
    /// The staging (entity) field, in capitals, e.g. `CUSTGROUPID`.
    pub entity_field: String,
    /// The source field: a CSV column, an Excel header or an XML element or attribute
    /// (`XMLField` whatever the format).
    pub xml_field: String,
    /// Whether the field takes an automatic default instead of a source value.
    pub is_auto_default: bool,
    /// Whether the field is generated (e.g. from a number sequence) instead of read.
    pub is_auto_generated: bool,
    /// Whether the default value stands for null.
    pub is_default_value_equal_null: bool,
    /// Whether the source value is quoted by a text qualifier.
    pub use_text_qualifier: bool,
    /// The value conversion table; `None` is `i:nil`. See [`value_map`](Self::value_map).
    pub conversions: Option<Vec<EntityFieldConversion>>,
}

/// One row of a field's value conversion table (the .NET type `EntityFieldConversion`): a
/// source value and the staging value it becomes, kept as the text the manifest holds, for
/// each type D365 knows. A missing or `i:nil` value is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityFieldConversion {
    /// The type of the field the row converts.
    pub field_type: String,
    /// Whether this row gives the value used when the source value is empty.
    pub is_default: bool,
    /// `SourceStrValue`.
    pub source_str_value: Option<String>,
    /// `StagingStrValue`.
    pub staging_str_value: Option<String>,
    /// `SourceIntValue`.
    pub source_int_value: Option<String>,
    /// `StagingIntValue`.
    pub staging_int_value: Option<String>,
    /// `SourceRealValue`.
    pub source_real_value: Option<String>,
    /// `StagingRealValue`.
    pub staging_real_value: Option<String>,
    /// `SourceGuidValue`.
    pub source_guid_value: Option<String>,
    /// `StagingGuidValue`.
    pub staging_guid_value: Option<String>,
    /// `SourceDateValue`.
    pub source_date_value: Option<String>,
    /// `StagingDateValue`.
    pub staging_date_value: Option<String>,
    /// `SourceTimeValue`.
    pub source_time_value: Option<String>,
    /// `StagingTimeValue`.
    pub staging_time_value: Option<String>,
    /// `SourceUtcDateTime`.
    pub source_utc_date_time: Option<String>,
    /// `StagingUtcDateTime`.
    pub staging_utc_date_time: Option<String>,
}

/// An XSLT transform applied to an entity's XML source file (the .NET type `EntityTransform`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityTransform {
    /// Transforms run in this order.
    pub sequence_number: i32,
    /// The XSLT file's name as the user gave it.
    pub xslt_file_name: String,
    /// The XSLT file inside the package's `Resources` folder.
    pub xslt_resource_file_name: String,
}

/// A field's value conversions as the pipeline applies them: source text to staging text, and
/// the value an empty source takes. Built by [`EntityMap::value_map`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueMap {
    /// Source text → staging text.
    pub replacements: HashMap<String, String>,
    /// The staging value an empty source value becomes, if any.
    pub default: Option<String>,
}

impl ValueMap {
    /// The staging text for `source`: its replacement, the default when `source` is empty,
    /// or `source` itself. Source values match exactly (case and spaces included).
    pub fn apply<'a>(&'a self, source: &'a str) -> &'a str {
        if source.is_empty() {
            return self.default.as_deref().unwrap_or(source);
        }
        self.replacements.get(source).map_or(source, String::as_str)
    }
}

impl EntityFieldConversion {
    /// The row's source and staging text: the first type (in the order string, int, real,
    /// guid, date, time, UTC date-time) with either value present, a missing side read as
    /// empty. `None` when the row holds no value at all.
    pub fn source_and_staging(&self) -> Option<(&str, &str)> {
        let pairs = [
            (&self.source_str_value, &self.staging_str_value),
            (&self.source_int_value, &self.staging_int_value),
            (&self.source_real_value, &self.staging_real_value),
            (&self.source_guid_value, &self.staging_guid_value),
            (&self.source_date_value, &self.staging_date_value),
            (&self.source_time_value, &self.staging_time_value),
            (&self.source_utc_date_time, &self.staging_utc_date_time),
        ];
        pairs
            .into_iter()
            .find(|(source, staging)| source.is_some() || staging.is_some())
            .map(|(source, staging)| (source.as_deref().unwrap_or_default(), staging.as_deref().unwrap_or_default()))
    }
}

impl EntityMap {
    /// Maps source field `field` to the entity field of the same name, with no conversions:
    /// the map D365 generates when the names match, and what an exported package carries.
    pub fn identity(field: &str) -> Self {
        Self { entity_field: field.to_owned(), xml_field: field.to_owned(), ..Self::default() }
    }

    /// The field's conversion table as the pipeline applies it (see [`ValueMap::apply`]).
    ///
    /// The rule, D365's own being undocumented: every row with a non-empty source value
    /// replaces that value with its staging value (the first such row wins); the first row
    /// marked `IsDefault` also gives its staging value to empty source values. Rows that hold
    /// no value are ignored.
    pub fn value_map(&self) -> ValueMap {
        let mut map = ValueMap::default();
        for conversion in self.conversions.iter().flatten() {
            let Some((source, staging)) = conversion.source_and_staging() else {
                continue;
            };
            if conversion.is_default && map.default.is_none() {
                map.default = Some(staging.to_owned());
            }
            if !source.is_empty() {
                map.replacements.entry(source.to_owned()).or_insert_with(|| staging.to_owned());
            }
        }
        map
    }
}

impl Manifest {
    /// Reads `Manifest.xml` from its bytes: UTF-16 (LE or BE) with a BOM or UTF-8 with or
    /// without one, with or without an XML declaration, on one line or pretty-printed.
    /// Elements may come in any order, unknown elements are ignored at every level and missing
    /// ones take their defaults. Errors name the element and, when known, the entity.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let text = decode(bytes).context("cannot decode Manifest.xml")?;
        Self::parse_text(&text).context("invalid Manifest.xml")
    }

    fn parse_text(text: &str) -> Result<Self> {
        let mut document = DocumentReader::new(text);
        document.root(&["DataManagementPackageManifest", "DataManagementTemplatePackageManifest"])?;
        let mut manifest = Self::default();
        while let Some(element) = document.next_child()? {
            match element.name.as_str() {
                "DefinitionGroupName" => manifest.definition_group_name = text_of(&mut document, &element)?,
                "Description" => manifest.description = text_of(&mut document, &element)?,
                "PackageEntityList" => {
                    manifest.entities =
                        read_list(&mut document, &element, "DataManagementPackageEntityData", read_entity)?
                            .unwrap_or_default();
                }
                _ => document.skip(&element)?,
            }
        }
        Ok(manifest)
    }

    /// `Manifest.xml` exactly as D365 writes it: UTF-16 LE with a BOM, one line, no XML
    /// declaration, elements in alphabetical order, `i:nil` for a `None` list and `<X />` for
    /// an empty string. The optional newer elements are written only when set.
    pub fn to_bytes(&self) -> Vec<u8> {
        let root = "DataManagementPackageManifest";
        let mut writer = DocumentWriter::root(root);
        writer.text("DefinitionGroupName", &self.definition_group_name);
        writer.text("Description", &self.description);
        write_list(&mut writer, "PackageEntityList", Some(&self.entities), write_entity);
        writer.end(root);
        writer.into_bytes()
    }

    /// The entities in the order the pipeline processes them: by execution unit, then level,
    /// then sequence; entities that tie keep their manifest order.
    pub fn entities_in_execution_order(&self) -> Vec<&PackageEntity> {
        let mut entities: Vec<&PackageEntity> = self.entities.iter().collect();
        entities
            .sort_by_key(|entity| (entity.execution_unit, entity.level_in_execution_unit, entity.sequence_in_level));
        entities
    }
}

/// Reads `element`'s text, naming the element in an error.
fn text_of(document: &mut DocumentReader<'_>, element: &Element) -> Result<String> {
    document.text(element).with_context(|| format!("invalid <{}>", element.name))
}

fn optional_text_of(document: &mut DocumentReader<'_>, element: &Element) -> Result<Option<String>> {
    document.optional_text(element).with_context(|| format!("invalid <{}>", element.name))
}

fn boolean_of(document: &mut DocumentReader<'_>, element: &Element) -> Result<bool> {
    let text = text_of(document, element)?;
    parse_boolean(&text).with_context(|| format!("invalid <{}>", element.name))
}

fn integer_of(document: &mut DocumentReader<'_>, element: &Element) -> Result<i32> {
    let text = text_of(document, element)?;
    parse_integer(&text).with_context(|| format!("invalid <{}>", element.name))
}

/// Reads a list element: `None` when it is `i:nil`, otherwise every child named `item`, each
/// read by `read_item` with its 1-based position (other children, and `i:nil` items, are
/// skipped).
fn read_list<T: Default>(
    document: &mut DocumentReader<'_>,
    list: &Element,
    item: &str,
    read_item: fn(&mut DocumentReader<'_>, usize) -> Result<T>,
) -> Result<Option<Vec<T>>> {
    if list.nil {
        document.skip(list)?;
        return Ok(None);
    }
    let mut items = Vec::new();
    if list.empty {
        return Ok(Some(items));
    }
    while let Some(element) = document.next_child()? {
        if element.name != item || element.nil {
            document.skip(&element)?;
            continue;
        }
        // An item written `<X />` has no children, so it is all defaults; `read_item` must not
        // be called for it, as it would read on into the next sibling.
        let read = if element.empty { T::default() } else { read_item(document, items.len() + 1)? };
        items.push(read);
    }
    Ok(Some(items))
}

fn read_entity(document: &mut DocumentReader<'_>, position: usize) -> Result<PackageEntity> {
    let mut entity = PackageEntity::default();
    while let Some(element) = document.next_child()? {
        if let Err(error) = read_entity_element(document, &element, &mut entity) {
            // D365 writes `EntityName` after `EntityMapList`, so the name is known only for
            // errors that come after it.
            let which = match entity.entity_name.as_str() {
                "" => format!("entity {position}"),
                name => format!("entity {position} ({name:?})"),
            };
            return Err(error.context(which));
        }
    }
    Ok(entity)
}

fn read_entity_element(document: &mut DocumentReader<'_>, element: &Element, entity: &mut PackageEntity) -> Result<()> {
    match element.name.as_str() {
        "DefaultRefreshType" => entity.default_refresh_type = optional_text_of(document, element)?,
        "DefinitionGroup" => entity.definition_group = optional_text_of(document, element)?,
        "Disable" => entity.disable = Some(boolean_of(document, element)?),
        "EntityMapList" => entity.field_maps = read_list(document, element, "EntityMap", read_entity_map)?,
        "EntityName" => entity.entity_name = text_of(document, element)?,
        "EntityTransformList" => {
            entity.transforms = read_list(document, element, "EntityTransform", read_entity_transform)?;
        }
        "ExcelSheetName" => entity.excel_sheet_name = text_of(document, element)?,
        "ExecutionUnit" => entity.execution_unit = integer_of(document, element)?,
        "FailExecutionUnitOnError" => entity.fail_execution_unit_on_error = boolean_of(document, element)?,
        "FailLevelOnError" => entity.fail_level_on_error = boolean_of(document, element)?,
        "InputFilePath" => entity.input_file_path = text_of(document, element)?,
        "LevelInExecutionUnit" => entity.level_in_execution_unit = integer_of(document, element)?,
        "RunBusinessLogic" => entity.run_business_logic = boolean_of(document, element)?,
        "RunBusinessValidation" => entity.run_business_validation = boolean_of(document, element)?,
        "SampleFilePath" => entity.sample_file_path = text_of(document, element)?,
        "SequenceInLevel" => entity.sequence_in_level = integer_of(document, element)?,
        "SkipStaging" => entity.skip_staging = Some(boolean_of(document, element)?),
        "SourceFormat" => entity.source_format = text_of(document, element)?,
        "ValidationStatus" => entity.validation_status = text_of(document, element)?,
        _ => document.skip(element)?,
    }
    Ok(())
}

fn read_entity_map(document: &mut DocumentReader<'_>, position: usize) -> Result<EntityMap> {
    let mut map = EntityMap::default();
    while let Some(element) = document.next_child()? {
        read_entity_map_element(document, &element, &mut map).with_context(|| match map.entity_field.as_str() {
            "" => format!("<EntityMap> {position}"),
            field => format!("<EntityMap> {position} ({field})"),
        })?;
    }
    Ok(map)
}

fn read_entity_map_element(document: &mut DocumentReader<'_>, element: &Element, map: &mut EntityMap) -> Result<()> {
    match element.name.as_str() {
        "ArrayIndex" => map.array_index = integer_of(document, element)?,
        "EntityField" => map.entity_field = text_of(document, element)?,
        "EntityFieldConversionList" => {
            map.conversions = read_list(document, element, "EntityFieldConversion", read_conversion)?;
        }
        "IsAutoDefault" => map.is_auto_default = boolean_of(document, element)?,
        "IsAutoGenerated" => map.is_auto_generated = boolean_of(document, element)?,
        "IsDefaultValueEqualNull" => map.is_default_value_equal_null = boolean_of(document, element)?,
        "UseTextQualifier" => map.use_text_qualifier = boolean_of(document, element)?,
        "XMLField" => map.xml_field = text_of(document, element)?,
        _ => document.skip(element)?,
    }
    Ok(())
}

fn read_conversion(document: &mut DocumentReader<'_>, position: usize) -> Result<EntityFieldConversion> {
    let mut conversion = EntityFieldConversion::default();
    while let Some(element) = document.next_child()? {
        read_conversion_element(document, &element, &mut conversion)
            .with_context(|| format!("<EntityFieldConversion> {position}"))?;
    }
    Ok(conversion)
}

fn read_conversion_element(
    document: &mut DocumentReader<'_>,
    element: &Element,
    conversion: &mut EntityFieldConversion,
) -> Result<()> {
    let value = match element.name.as_str() {
        "FieldType" => {
            conversion.field_type = text_of(document, element)?;
            return Ok(());
        }
        "IsDefault" => {
            conversion.is_default = boolean_of(document, element)?;
            return Ok(());
        }
        "SourceStrValue" => &mut conversion.source_str_value,
        "StagingStrValue" => &mut conversion.staging_str_value,
        "SourceIntValue" => &mut conversion.source_int_value,
        "StagingIntValue" => &mut conversion.staging_int_value,
        "SourceRealValue" => &mut conversion.source_real_value,
        "StagingRealValue" => &mut conversion.staging_real_value,
        "SourceGuidValue" => &mut conversion.source_guid_value,
        "StagingGuidValue" => &mut conversion.staging_guid_value,
        "SourceDateValue" => &mut conversion.source_date_value,
        "StagingDateValue" => &mut conversion.staging_date_value,
        "SourceTimeValue" => &mut conversion.source_time_value,
        "StagingTimeValue" => &mut conversion.staging_time_value,
        "SourceUtcDateTime" => &mut conversion.source_utc_date_time,
        "StagingUtcDateTime" => &mut conversion.staging_utc_date_time,
        _ => return document.skip(element),
    };
    *value = optional_text_of(document, element)?;
    Ok(())
}

fn read_entity_transform(document: &mut DocumentReader<'_>, position: usize) -> Result<EntityTransform> {
    let mut transform = EntityTransform::default();
    while let Some(element) = document.next_child()? {
        read_entity_transform_element(document, &element, &mut transform)
            .with_context(|| format!("<EntityTransform> {position}"))?;
    }
    Ok(transform)
}

fn read_entity_transform_element(
    document: &mut DocumentReader<'_>,
    element: &Element,
    transform: &mut EntityTransform,
) -> Result<()> {
    match element.name.as_str() {
        "SequenceNumber" => transform.sequence_number = integer_of(document, element)?,
        "XsltFileName" => transform.xslt_file_name = text_of(document, element)?,
        "XsltResourceFileName" => transform.xslt_resource_file_name = text_of(document, element)?,
        _ => document.skip(element)?,
    }
    Ok(())
}

/// Writes a list element: `i:nil` for `None`, `<X />` for an empty list.
fn write_list<T>(
    writer: &mut DocumentWriter,
    name: &str,
    items: Option<&[T]>,
    write_item: fn(&mut DocumentWriter, &T),
) {
    match items {
        None => writer.nil(name),
        Some([]) => writer.empty(name),
        Some(items) => {
            writer.start(name);
            items.iter().for_each(|item| write_item(writer, item));
            writer.end(name);
        }
    }
}

// The writers below list elements in ordinal (alphabetical) order, as DataContractSerializer
// orders the members of a type that sets no explicit order.

fn write_entity(writer: &mut DocumentWriter, entity: &PackageEntity) {
    writer.start("DataManagementPackageEntityData");
    if let Some(refresh_type) = &entity.default_refresh_type {
        writer.text("DefaultRefreshType", refresh_type);
    }
    if let Some(definition_group) = &entity.definition_group {
        writer.text("DefinitionGroup", definition_group);
    }
    if let Some(disable) = entity.disable {
        writer.boolean("Disable", disable);
    }
    write_list(writer, "EntityMapList", entity.field_maps.as_deref(), write_entity_map);
    writer.text("EntityName", &entity.entity_name);
    write_list(writer, "EntityTransformList", entity.transforms.as_deref(), write_entity_transform);
    writer.text("ExcelSheetName", &entity.excel_sheet_name);
    writer.integer("ExecutionUnit", entity.execution_unit);
    writer.boolean("FailExecutionUnitOnError", entity.fail_execution_unit_on_error);
    writer.boolean("FailLevelOnError", entity.fail_level_on_error);
    writer.text("InputFilePath", &entity.input_file_path);
    writer.integer("LevelInExecutionUnit", entity.level_in_execution_unit);
    writer.boolean("RunBusinessLogic", entity.run_business_logic);
    writer.boolean("RunBusinessValidation", entity.run_business_validation);
    writer.text("SampleFilePath", &entity.sample_file_path);
    writer.integer("SequenceInLevel", entity.sequence_in_level);
    if let Some(skip_staging) = entity.skip_staging {
        writer.boolean("SkipStaging", skip_staging);
    }
    writer.text("SourceFormat", &entity.source_format);
    writer.text("ValidationStatus", &entity.validation_status);
    writer.end("DataManagementPackageEntityData");
}

fn write_entity_map(writer: &mut DocumentWriter, map: &EntityMap) {
    writer.start("EntityMap");
    writer.integer("ArrayIndex", map.array_index);
    writer.text("EntityField", &map.entity_field);
    write_list(writer, "EntityFieldConversionList", map.conversions.as_deref(), write_conversion);
    writer.boolean("IsAutoDefault", map.is_auto_default);
    writer.boolean("IsAutoGenerated", map.is_auto_generated);
    writer.boolean("IsDefaultValueEqualNull", map.is_default_value_equal_null);
    writer.boolean("UseTextQualifier", map.use_text_qualifier);
    writer.text("XMLField", &map.xml_field);
    writer.end("EntityMap");
}

/// A `None` value is written `i:nil`, as DataContractSerializer writes a null string (no
/// genuine package with conversions was available to confirm it).
fn write_conversion(writer: &mut DocumentWriter, conversion: &EntityFieldConversion) {
    writer.start("EntityFieldConversion");
    writer.text("FieldType", &conversion.field_type);
    writer.boolean("IsDefault", conversion.is_default);
    let values = [
        ("SourceDateValue", &conversion.source_date_value),
        ("SourceGuidValue", &conversion.source_guid_value),
        ("SourceIntValue", &conversion.source_int_value),
        ("SourceRealValue", &conversion.source_real_value),
        ("SourceStrValue", &conversion.source_str_value),
        ("SourceTimeValue", &conversion.source_time_value),
        ("SourceUtcDateTime", &conversion.source_utc_date_time),
        ("StagingDateValue", &conversion.staging_date_value),
        ("StagingGuidValue", &conversion.staging_guid_value),
        ("StagingIntValue", &conversion.staging_int_value),
        ("StagingRealValue", &conversion.staging_real_value),
        ("StagingStrValue", &conversion.staging_str_value),
        ("StagingTimeValue", &conversion.staging_time_value),
        ("StagingUtcDateTime", &conversion.staging_utc_date_time),
    ];
    for (name, value) in values {
        writer.optional_text(name, value.as_deref());
    }
    writer.end("EntityFieldConversion");
}

fn write_entity_transform(writer: &mut DocumentWriter, transform: &EntityTransform) {
    writer.start("EntityTransform");
    writer.integer("SequenceNumber", transform.sequence_number);
    writer.text("XsltFileName", &transform.xslt_file_name);
    writer.text("XsltResourceFileName", &transform.xslt_resource_file_name);
    writer.end("EntityTransform");
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: &str = r#"<DataManagementPackageManifest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/dynamics/2015/01/DataManagement">"#;

    fn utf16_le(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        text.encode_utf16().for_each(|unit| bytes.extend_from_slice(&unit.to_le_bytes()));
        bytes
    }

    fn entity(name: &str, unit: i32, level: i32, sequence: i32) -> PackageEntity {
        PackageEntity {
            entity_name: name.to_owned(),
            execution_unit: unit,
            level_in_execution_unit: level,
            sequence_in_level: sequence,
            ..PackageEntity::default()
        }
    }

    #[test]
    fn a_d365_manifest_reads_into_the_model() {
        let xml = format!(
            "{OPEN}<DefinitionGroupName>Groups</DefinitionGroupName><Description>Customer groups</Description><PackageEntityList><DataManagementPackageEntityData><EntityMapList><EntityMap><ArrayIndex>0</ArrayIndex><EntityField>CUSTGROUPID</EntityField><EntityFieldConversionList i:nil=\"true\" /><IsAutoDefault>false</IsAutoDefault><IsAutoGenerated>true</IsAutoGenerated><IsDefaultValueEqualNull>false</IsDefaultValueEqualNull><UseTextQualifier>true</UseTextQualifier><XMLField>GROUP</XMLField></EntityMap></EntityMapList><EntityName>Customer groups</EntityName><EntityTransformList i:nil=\"true\" /><ExcelSheetName /><ExecutionUnit>2</ExecutionUnit><FailExecutionUnitOnError>true</FailExecutionUnitOnError><FailLevelOnError>false</FailLevelOnError><InputFilePath>Customer groups.csv</InputFilePath><LevelInExecutionUnit>3</LevelInExecutionUnit><RunBusinessLogic>true</RunBusinessLogic><RunBusinessValidation>false</RunBusinessValidation><SampleFilePath /><SequenceInLevel>4</SequenceInLevel><SourceFormat>CSV-Unicode</SourceFormat><ValidationStatus>Yes</ValidationStatus></DataManagementPackageEntityData></PackageEntityList></DataManagementPackageManifest>"
        );
        let manifest = Manifest::parse(&utf16_le(&xml)).expect("valid");
        let expected = Manifest {
            definition_group_name: "Groups".to_owned(),
            description: "Customer groups".to_owned(),
            entities: vec![PackageEntity {
                input_file_path: "Customer groups.csv".to_owned(),
                source_format: "CSV-Unicode".to_owned(),
                fail_execution_unit_on_error: true,
                run_business_logic: true,
                validation_status: "Yes".to_owned(),
                field_maps: Some(vec![EntityMap {
                    xml_field: "GROUP".to_owned(),
                    is_auto_generated: true,
                    use_text_qualifier: true,
                    ..EntityMap::identity("CUSTGROUPID")
                }]),
                ..entity("Customer groups", 2, 3, 4)
            }],
        };
        assert_eq!(manifest, expected);
        // What was read writes back to the same bytes.
        assert_eq!(manifest.to_bytes(), utf16_le(&xml));
    }

    #[test]
    fn elements_in_any_order_with_unknown_ones_at_every_level_read_the_same() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<m:DataManagementPackageManifest xmlns:m="http://schemas.microsoft.com/dynamics/2015/01/DataManagement">
  <!-- written by hand -->
  <TemplateId>T1</TemplateId>
  <PackageEntityList>
    <Unknown><DataManagementPackageEntityData><EntityName>not an entity</EntityName></DataManagementPackageEntityData></Unknown>
    <DataManagementPackageEntityData>
      <SourceFormat>CSV</SourceFormat>
      <SkipStaging>true</SkipStaging>
      <EntityName>Currencies</EntityName>
      <Extra a="1"><Deeper><EntityName>ignored</EntityName></Deeper></Extra>
      <EntityMapList>
        <EntityMap>
          <XMLField>CODE</XMLField>
          <Note>ignored</Note>
          <EntityField>CURRENCYCODE</EntityField>
          <EntityFieldConversionList>
            <EntityFieldConversion>
              <StagingStrValue>USD</StagingStrValue>
              <Future/>
              <SourceStrValue>$</SourceStrValue>
            </EntityFieldConversion>
          </EntityFieldConversionList>
        </EntityMap>
      </EntityMapList>
      <DefaultRefreshType>FullPush</DefaultRefreshType>
      <Disable>0</Disable>
    </DataManagementPackageEntityData>
  </PackageEntityList>
  <m:DefinitionGroupName>Rates</m:DefinitionGroupName>
</m:DataManagementPackageManifest>
"#;
        let manifest = Manifest::parse(xml.as_bytes()).expect("valid");
        let conversion = EntityFieldConversion {
            source_str_value: Some("$".to_owned()),
            staging_str_value: Some("USD".to_owned()),
            ..EntityFieldConversion::default()
        };
        let expected = Manifest {
            definition_group_name: "Rates".to_owned(),
            description: String::new(),
            entities: vec![PackageEntity {
                source_format: "CSV".to_owned(),
                skip_staging: Some(true),
                default_refresh_type: Some("FullPush".to_owned()),
                disable: Some(false),
                field_maps: Some(vec![EntityMap {
                    xml_field: "CODE".to_owned(),
                    conversions: Some(vec![conversion]),
                    ..EntityMap::identity("CURRENCYCODE")
                }]),
                ..entity("Currencies", 0, 0, 0)
            }],
        };
        assert_eq!(manifest, expected);
    }

    #[test]
    fn nil_empty_and_missing_lists_stay_distinct() {
        let xml = format!(
            "{OPEN}<PackageEntityList><DataManagementPackageEntityData><EntityMapList i:nil=\"true\" /><EntityName>Nil</EntityName></DataManagementPackageEntityData><DataManagementPackageEntityData><EntityMapList /><EntityName>Empty</EntityName><EntityTransformList></EntityTransformList></DataManagementPackageEntityData><DataManagementPackageEntityData><EntityName>Missing</EntityName></DataManagementPackageEntityData></PackageEntityList></DataManagementPackageManifest>"
        );
        let manifest = Manifest::parse(xml.as_bytes()).expect("valid");
        let maps: Vec<_> = manifest.entities.iter().map(|entity| entity.field_maps.clone()).collect();
        assert_eq!(maps, vec![None, Some(vec![]), None]);
        let transforms: Vec<_> = manifest.entities.iter().map(|entity| entity.transforms.clone()).collect();
        assert_eq!(transforms, vec![None, Some(vec![]), None]);
    }

    #[test]
    fn an_invalid_value_is_reported_with_its_element_and_entity() {
        let xml = format!(
            "{OPEN}<PackageEntityList><DataManagementPackageEntityData><EntityName>First</EntityName></DataManagementPackageEntityData><DataManagementPackageEntityData><EntityName>Vendors</EntityName><ExecutionUnit>one</ExecutionUnit></DataManagementPackageEntityData></PackageEntityList></DataManagementPackageManifest>"
        );
        let error = Manifest::parse(xml.as_bytes()).expect_err("not a number");
        assert_eq!(
            format!("{error:#}"),
            "invalid Manifest.xml: entity 2 (\"Vendors\"): invalid <ExecutionUnit>: \"one\" is not an integer"
        );
    }

    #[test]
    fn an_invalid_field_map_is_reported_with_its_position_and_field() {
        let xml = format!(
            "{OPEN}<PackageEntityList><DataManagementPackageEntityData><EntityMapList><EntityMap /><EntityMap><EntityField>ACCOUNTNUM</EntityField><IsAutoDefault>yes</IsAutoDefault></EntityMap></EntityMapList></DataManagementPackageEntityData></PackageEntityList></DataManagementPackageManifest>"
        );
        let error = Manifest::parse(xml.as_bytes()).expect_err("not a boolean");
        assert_eq!(
            format!("{error:#}"),
            "invalid Manifest.xml: entity 1: <EntityMap> 2 (ACCOUNTNUM): invalid <IsAutoDefault>: \"yes\" is not a boolean (true or false)"
        );
    }

    #[test]
    fn malformed_xml_and_a_doctype_are_errors_not_panics() {
        let unclosed = format!("{OPEN}<Description>x</DataManagementPackageManifest>");
        let error = Manifest::parse(unclosed.as_bytes()).expect_err("mismatched end");
        assert!(format!("{error:#}").contains("malformed XML at line 1, column"), "{error:#}");
        let doctype = format!(
            "<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{OPEN}<Description>&x;</Description></DataManagementPackageManifest>"
        );
        let error = Manifest::parse(doctype.as_bytes()).expect_err("doctype");
        assert!(format!("{error:#}").contains("DOCTYPE"), "{error:#}");
        let truncated = &OPEN[..40];
        assert!(Manifest::parse(truncated.as_bytes()).is_err());
    }

    #[test]
    fn written_lists_are_nil_for_none_and_an_empty_element_for_an_empty_list() {
        let manifest = Manifest {
            entities: vec![PackageEntity {
                field_maps: Some(vec![EntityMap {
                    conversions: Some(vec![EntityFieldConversion {
                        field_type: "String".to_owned(),
                        is_default: true,
                        source_str_value: Some(String::new()),
                        staging_str_value: Some("DEFAULT".to_owned()),
                        ..EntityFieldConversion::default()
                    }]),
                    ..EntityMap::identity("F")
                }]),
                transforms: Some(vec![]),
                definition_group: Some("G".to_owned()),
                default_refresh_type: Some("FullPush".to_owned()),
                disable: Some(false),
                skip_staging: Some(true),
                ..entity("E", 1, 1, 1)
            }],
            ..Manifest::default()
        };
        let expected = format!(
            "{OPEN}<DefinitionGroupName /><Description /><PackageEntityList><DataManagementPackageEntityData><DefaultRefreshType>FullPush</DefaultRefreshType><DefinitionGroup>G</DefinitionGroup><Disable>false</Disable><EntityMapList><EntityMap><ArrayIndex>0</ArrayIndex><EntityField>F</EntityField><EntityFieldConversionList><EntityFieldConversion><FieldType>String</FieldType><IsDefault>true</IsDefault><SourceDateValue i:nil=\"true\" /><SourceGuidValue i:nil=\"true\" /><SourceIntValue i:nil=\"true\" /><SourceRealValue i:nil=\"true\" /><SourceStrValue /><SourceTimeValue i:nil=\"true\" /><SourceUtcDateTime i:nil=\"true\" /><StagingDateValue i:nil=\"true\" /><StagingGuidValue i:nil=\"true\" /><StagingIntValue i:nil=\"true\" /><StagingRealValue i:nil=\"true\" /><StagingStrValue>DEFAULT</StagingStrValue><StagingTimeValue i:nil=\"true\" /><StagingUtcDateTime i:nil=\"true\" /></EntityFieldConversion></EntityFieldConversionList><IsAutoDefault>false</IsAutoDefault><IsAutoGenerated>false</IsAutoGenerated><IsDefaultValueEqualNull>false</IsDefaultValueEqualNull><UseTextQualifier>false</UseTextQualifier><XMLField>F</XMLField></EntityMap></EntityMapList><EntityName>E</EntityName><EntityTransformList /><ExcelSheetName /><ExecutionUnit>1</ExecutionUnit><FailExecutionUnitOnError>false</FailExecutionUnitOnError><FailLevelOnError>false</FailLevelOnError><InputFilePath /><LevelInExecutionUnit>1</LevelInExecutionUnit><RunBusinessLogic>false</RunBusinessLogic><RunBusinessValidation>false</RunBusinessValidation><SampleFilePath /><SequenceInLevel>1</SequenceInLevel><SkipStaging>true</SkipStaging><SourceFormat /><ValidationStatus /></DataManagementPackageEntityData></PackageEntityList></DataManagementPackageManifest>"
        );
        assert_eq!(manifest.to_bytes(), utf16_le(&expected));
        assert_eq!(Manifest::parse(&manifest.to_bytes()).expect("own output"), manifest);
    }

    #[test]
    fn a_manifest_with_every_element_and_awkward_text_round_trips() {
        let conversion = EntityFieldConversion {
            field_type: "Date".to_owned(),
            source_date_value: Some("31/12/2026".to_owned()),
            staging_date_value: Some("2026-12-31".to_owned()),
            source_utc_date_time: Some(String::new()),
            ..EntityFieldConversion::default()
        };
        let manifest = Manifest {
            definition_group_name: "Zürich & <Genève> \"quoted\" 'single' 東京 😀".to_owned(),
            description: "tab\tnew\nline".to_owned(),
            entities: vec![
                PackageEntity {
                    input_file_path: "Ünïcode <&> file.xml".to_owned(),
                    source_format: "XML-Element".to_owned(),
                    excel_sheet_name: "Sheet 1".to_owned(),
                    fail_level_on_error: true,
                    run_business_validation: true,
                    sample_file_path: "sample.xml".to_owned(),
                    validation_status: "No".to_owned(),
                    field_maps: Some(vec![EntityMap {
                        array_index: 3,
                        is_auto_default: true,
                        is_default_value_equal_null: true,
                        conversions: Some(vec![conversion]),
                        ..EntityMap::identity("DIMENSION")
                    }]),
                    transforms: Some(vec![EntityTransform {
                        sequence_number: 1,
                        xslt_file_name: "flatten.xslt".to_owned(),
                        xslt_resource_file_name: "Resources/flatten.xslt".to_owned(),
                    }]),
                    ..entity("Sales orders", -1, i32::MAX, i32::MIN)
                },
                entity("Second", 0, 0, 0),
            ],
        };
        assert_eq!(Manifest::parse(&manifest.to_bytes()).expect("own output"), manifest);
    }

    #[test]
    fn entities_run_by_unit_then_level_then_sequence_keeping_ties_in_manifest_order() {
        let manifest = Manifest {
            entities: vec![
                entity("unit 2", 2, 1, 1),
                entity("unit 1 level 2", 1, 2, 1),
                entity("unit 1 level 1 sequence 2", 1, 1, 2),
                entity("unit 1 level 1 sequence 1, first", 1, 1, 1),
                entity("unit 1 level 1 sequence 1, second", 1, 1, 1),
            ],
            ..Manifest::default()
        };
        let order: Vec<&str> =
            manifest.entities_in_execution_order().into_iter().map(|entity| entity.entity_name.as_str()).collect();
        assert_eq!(
            order,
            [
                "unit 1 level 1 sequence 1, first",
                "unit 1 level 1 sequence 1, second",
                "unit 1 level 1 sequence 2",
                "unit 1 level 2",
                "unit 2"
            ]
        );
    }

    #[test]
    fn conversions_become_replacements_and_a_default_for_empty_values() {
        let row = |source: Option<&str>, staging: Option<&str>, is_default: bool| EntityFieldConversion {
            is_default,
            source_str_value: source.map(str::to_owned),
            staging_str_value: staging.map(str::to_owned),
            ..EntityFieldConversion::default()
        };
        let integer_row = EntityFieldConversion {
            source_int_value: Some("1".to_owned()),
            staging_int_value: Some("100".to_owned()),
            ..EntityFieldConversion::default()
        };
        let map = EntityMap {
            conversions: Some(vec![
                row(Some("Y"), Some("Yes"), false),
                row(Some("Y"), Some("ignored, Y is taken"), false),
                row(None, None, false),
                row(Some(""), Some("Unknown"), true),
                row(Some("N"), Some("No"), true),
                integer_row,
            ]),
            ..EntityMap::identity("FLAG")
        };
        let value_map = map.value_map();
        assert_eq!(
            value_map,
            ValueMap {
                replacements: HashMap::from([
                    ("Y".to_owned(), "Yes".to_owned()),
                    ("N".to_owned(), "No".to_owned()),
                    ("1".to_owned(), "100".to_owned()),
                ]),
                default: Some("Unknown".to_owned()),
            }
        );
        assert_eq!(value_map.apply("Y"), "Yes");
        assert_eq!(value_map.apply("y"), "y");
        assert_eq!(value_map.apply(""), "Unknown");
        assert_eq!(value_map.apply("other"), "other");
        assert_eq!(EntityMap::identity("F").value_map(), ValueMap::default());
    }
}
