//! The TOML form of an entity definition, checked field by field so every mistake names its
//! line.
//!
//! ```toml
//! name = "Customer"
//! entity_set = "Customers"
//! label = "Customers"
//! company = true
//! key = ["CustomerAccount"]
//! indexes = [["CustomerGroupId"]]
//!
//! [[field]]
//! name = "CustomerAccount"
//! type = "string"
//! max_length = 20
//!
//! [[relation]]
//! name = "CustomerGroup"
//! entity = "CustomerGroup"
//! fields = { CustomerGroupId = "CustomerGroupId" }
//! ```
//!
//! A relation's other end is checked by [`Catalog::new`](super::Catalog::new), which sees
//! every entity; everything else is checked here.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;
use toml::Spanned;
use wharf_plugin_sdk::Value;

use super::convert::{ParseOptions, parse_value};
use super::{COMPANY_FIELD, Entity, Field, FieldType, Relation};

/// D365's `dataAreaId` is four characters.
const COMPANY_MAX_LENGTH: u32 = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityFile {
    name: Spanned<String>,
    entity_set: Option<Spanned<String>>,
    label: Option<Spanned<String>>,
    #[serde(default = "yes")]
    company: bool,
    key: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    indexes: Vec<Spanned<Vec<Spanned<String>>>>,
    #[serde(rename = "field", default)]
    fields: Vec<Spanned<FieldFile>>,
    #[serde(rename = "relation", default)]
    relations: Vec<Spanned<RelationFile>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    name: String,
    #[serde(rename = "type")]
    field_type: Spanned<String>,
    #[serde(default)]
    required: bool,
    max_length: Option<Spanned<u32>>,
    scale: Option<Spanned<u32>>,
    #[serde(rename = "enum")]
    enum_name: Option<String>,
    values: Option<Spanned<Vec<String>>>,
    default: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelationFile {
    name: Spanned<String>,
    entity: Spanned<String>,
    /// This entity's field = the related entity's field; a table, so pairs come in name order.
    fields: Spanned<BTreeMap<String, String>>,
    #[serde(default)]
    many: bool,
}

/// An error at a place in the text.
struct Located<'t> {
    text: &'t str,
}

impl Located<'_> {
    fn at(&self, span: Range<usize>, message: impl std::fmt::Display) -> anyhow::Error {
        let line = self.text.get(..span.start).map_or(1, |before| before.matches('\n').count() + 1);
        anyhow!("line {line}: {message}")
    }
}

pub(super) fn parse(text: &str) -> Result<Entity> {
    // toml's own errors already carry the line and a caret.
    let file: EntityFile = toml::from_str(text)?;
    let located = Located { text };
    let name = file.name.get_ref().trim();
    if !is_identifier(name) {
        bail!(located.at(file.name.span(), format!("entity name {name:?} must be letters, digits and _")));
    }
    let entity_set = match &file.entity_set {
        Some(set) if !is_identifier(set.get_ref()) => {
            bail!(located.at(set.span(), format!("entity_set {:?} must be letters, digits and _", set.get_ref())))
        }
        Some(set) => set.get_ref().clone(),
        None => format!("{name}s"),
    };
    let label = match &file.label {
        Some(label) if label.get_ref().trim().is_empty() => bail!(located.at(label.span(), "label is empty")),
        Some(label) => label.get_ref().trim().to_owned(),
        None => name.to_owned(),
    };

    let mut fields = Vec::with_capacity(file.fields.len() + 1);
    if file.company {
        let company_type = FieldType::String { max_length: Some(COMPANY_MAX_LENGTH) };
        fields.push(Field { name: COMPANY_FIELD.into(), field_type: company_type, required: true, default: None });
    }
    let mut seen = HashSet::new();
    seen.insert(COMPANY_FIELD.to_ascii_lowercase());
    for spanned in &file.fields {
        let field = field(&located, spanned)?;
        if !seen.insert(field.name.to_ascii_lowercase()) {
            let message = if field.name.eq_ignore_ascii_case(COMPANY_FIELD) {
                format!("{COMPANY_FIELD} is added by `company = true`, do not declare it")
            } else {
                format!("field {} is declared twice", field.name)
            };
            bail!(located.at(spanned.span(), message));
        }
        fields.push(field);
    }
    if fields.iter().all(|field| field.name == COMPANY_FIELD) {
        bail!(located.at(file.name.span(), "an entity needs at least one [[field]]"));
    }

    let mut key = Vec::new();
    if file.company {
        key.push(0);
    }
    if file.key.get_ref().is_empty() {
        bail!(located.at(file.key.span(), "key names no field"));
    }
    for key_name in file.key.get_ref() {
        let index = fields
            .iter()
            .position(|field| field.name == *key_name.get_ref())
            .ok_or_else(|| located.at(key_name.span(), format!("key field {} is not declared", key_name.get_ref())))?;
        if key.contains(&index) {
            bail!(located.at(key_name.span(), format!("key field {} is listed twice", key_name.get_ref())));
        }
        if let Some(field) = fields.get_mut(index) {
            field.required = true;
        }
        key.push(index);
    }
    let indexes = indexes(&located, &file, &fields, &key)?;

    let mut relations = Vec::with_capacity(file.relations.len());
    for spanned in &file.relations {
        let relation = relation(&located, spanned, &fields)?;
        // Fields and relations share one namespace: `$select` and `$expand` name either.
        if !seen.insert(relation.name.to_ascii_lowercase()) {
            let message = if fields.iter().any(|field| field.name.eq_ignore_ascii_case(&relation.name)) {
                format!("relation {} has the name of a field", relation.name)
            } else {
                format!("relation {} is declared twice", relation.name)
            };
            bail!(located.at(spanned.get_ref().name.span(), message));
        }
        relations.push(relation);
    }

    Ok(Entity {
        name: name.to_owned(),
        entity_set,
        label,
        company_scoped: file.company,
        fields,
        key,
        indexes,
        relations,
    })
}

/// The declared secondary indexes as field positions, `dataAreaId` first for company-scoped
/// entities. An index that another index or the key already serves (because it is a prefix
/// of it) is refused: it would only slow down every write.
fn indexes(located: &Located<'_>, file: &EntityFile, fields: &[Field], key: &[usize]) -> Result<Vec<Vec<usize>>> {
    let mut indexes = Vec::with_capacity(file.indexes.len());
    for spanned in &file.indexes {
        if spanned.get_ref().is_empty() {
            bail!(located.at(spanned.span(), "an index names no field"));
        }
        let mut index = if file.company { vec![0] } else { Vec::new() };
        for field_name in spanned.get_ref() {
            let field_name_text = field_name.get_ref();
            if file.company && *field_name_text == COMPANY_FIELD {
                let message = format!("{COMPANY_FIELD} leads every index of a company-scoped entity; do not list it");
                bail!(located.at(field_name.span(), message));
            }
            let position = fields.iter().position(|field| field.name == *field_name_text).ok_or_else(|| {
                located.at(field_name.span(), format!("index field {field_name_text} is not declared"))
            })?;
            if index.contains(&position) {
                bail!(located.at(field_name.span(), format!("index field {field_name_text} is listed twice")));
            }
            index.push(position);
        }
        indexes.push((index, spanned.span()));
    }
    let names = |index: &[usize]| -> String {
        let names: Vec<&str> =
            index.iter().filter_map(|&position| fields.get(position)).map(|field| field.name.as_str()).collect();
        names.join(", ")
    };
    for (position, (index, span)) in indexes.iter().enumerate() {
        if key.starts_with(index) {
            let message =
                format!("index ({}) is a prefix of the key, whose unique index already serves it", names(index));
            bail!(located.at(span.clone(), message));
        }
        for (other_position, (other, _)) in indexes.iter().enumerate() {
            if other_position != position && other.starts_with(index) {
                let message = if other == index {
                    format!("index ({}) is declared twice", names(index))
                } else {
                    format!("index ({}) is a prefix of index ({}), which already serves it", names(index), names(other))
                };
                bail!(located.at(span.clone(), message));
            }
        }
    }
    // Each index ends with the key fields it lacks: rows with equal indexed values are then
    // in key order in the index, so a page filtered on the index's fields and ordered by key
    // (as OData pages are) is read from the index in order, up to its size, not sorted.
    let ends_with_key = |mut index: Vec<usize>| {
        index.extend(key.iter().filter(|position| !index.contains(position)).collect::<Vec<_>>());
        index
    };
    Ok(indexes.into_iter().map(|(index, _)| ends_with_key(index)).collect())
}

/// One `[[relation]]`, checked against this entity's own fields.
fn relation(located: &Located<'_>, spanned: &Spanned<RelationFile>, fields: &[Field]) -> Result<Relation> {
    let file = spanned.get_ref();
    let name = file.name.get_ref().trim();
    if !is_identifier(name) {
        bail!(located.at(file.name.span(), format!("relation name {name:?} must be letters, digits and _")));
    }
    let entity = file.entity.get_ref().trim();
    if !is_identifier(entity) {
        bail!(
            located.at(file.entity.span(), format!("relation {name}: entity {entity:?} must be letters, digits and _"))
        );
    }
    let at = |message: String| located.at(file.fields.span(), format!("relation {name}: {message}"));
    if file.fields.get_ref().is_empty() {
        return Err(at("`fields` is empty; pair at least one field with a field of the related entity".to_owned()));
    }
    let mut pairs = Vec::with_capacity(file.fields.get_ref().len());
    for (this, related) in file.fields.get_ref() {
        if this.eq_ignore_ascii_case(COMPANY_FIELD) || related.eq_ignore_ascii_case(COMPANY_FIELD) {
            return Err(at(format!(
                "{COMPANY_FIELD} is matched between company-scoped entities without being listed; do not list it"
            )));
        }
        if !fields.iter().any(|field| field.name == *this) {
            return Err(at(format!("field {this} is not declared")));
        }
        pairs.push((this.clone(), related.trim().to_owned()));
    }
    Ok(Relation { name: name.to_owned(), entity: entity.to_owned(), fields: pairs, many: file.many })
}

fn field(located: &Located<'_>, spanned: &Spanned<FieldFile>) -> Result<Field> {
    let file = spanned.get_ref();
    let at = |message: String| located.at(spanned.span(), message);
    let name = file.name.trim();
    if !is_identifier(name) {
        return Err(at(format!("field name {name:?} must be letters, digits and _")));
    }
    let only_for = |present: bool, option: &str, types: &str| -> Result<()> {
        if present { Err(at(format!("field {name}: {option} applies only to {types}"))) } else { Ok(()) }
    };
    let type_name = file.field_type.get_ref().as_str();
    let field_type = match type_name {
        "string" => FieldType::String {
            max_length: match &file.max_length {
                Some(length) if *length.get_ref() == 0 => {
                    return Err(located.at(length.span(), format!("field {name}: max_length must be at least 1")));
                }
                length => length.as_ref().map(|length| *length.get_ref()),
            },
        },
        "integer" => FieldType::Integer,
        "decimal" => FieldType::Decimal { scale: file.scale.as_ref().map(|scale| *scale.get_ref()) },
        "boolean" => FieldType::Boolean,
        "date" => FieldType::Date,
        "datetime" => FieldType::DateTime,
        "guid" => FieldType::Guid,
        "enum" => {
            let values = file.values.as_ref().map(Spanned::get_ref).filter(|values| !values.is_empty());
            let values = values.ok_or_else(|| at(format!("field {name}: an enum needs `values`")))?.clone();
            let mut distinct = HashSet::new();
            if let Some(twice) = values.iter().find(|value| !distinct.insert(value.to_ascii_lowercase())) {
                return Err(at(format!("field {name}: enum value {twice} is listed twice")));
            }
            // OData names enum types and their members in `$metadata` and in literals
            // (`Microsoft.Dynamics.DataEntities.NoYes'Yes'`), where only identifiers fit.
            if let Some(odd) = values.iter().find(|value| !is_identifier(value)) {
                return Err(at(format!("field {name}: enum value {odd:?} must be letters, digits and _")));
            }
            let enum_name = file.enum_name.as_deref().map_or(name, str::trim);
            if !is_identifier(enum_name) {
                return Err(at(format!("field {name}: enum name {enum_name:?} must be letters, digits and _")));
            }
            FieldType::Enum { name: enum_name.to_owned(), values }
        }
        other => {
            let message = format!(
                "field {name}: unknown type {other:?} (expected string, integer, decimal, boolean, date, datetime, enum or guid)"
            );
            return Err(located.at(file.field_type.span(), message));
        }
    };
    only_for(file.max_length.is_some() && type_name != "string", "max_length", "strings")?;
    only_for(file.scale.is_some() && type_name != "decimal", "scale", "decimals")?;
    only_for((file.values.is_some() || file.enum_name.is_some()) && type_name != "enum", "values", "enums")?;
    let draft = Field { name: name.to_owned(), field_type, required: file.required, default: None };
    let default = match &file.default {
        None => None,
        Some(value) => {
            Some(default_value(&draft, value.get_ref()).map_err(|message| located.at(value.span(), message))?)
        }
    };
    Ok(Field { default, ..draft })
}

/// Checks a default against the field's type, as if it came from a document.
fn default_value(field: &Field, value: &toml::Value) -> Result<Value, String> {
    let text = match value {
        toml::Value::String(text) => text.clone(),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) => number.to_string(),
        toml::Value::Boolean(flag) => flag.to_string(),
        toml::Value::Datetime(moment) => moment.to_string(),
        other => {
            return Err(format!("field {}: a default must be a single value, not {}", field.name, other.type_str()));
        }
    };
    parse_value(field, &text, &ParseOptions::default())
        .map_err(|message| format!("field {}: default {text:?}: {message}", field.name))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMER: &str = r#"
name = "Customer"
entity_set = "CustomersV3"
label = "Customers V3"
key = ["CustomerAccount"]

[[field]]
name = "CustomerAccount"
type = "string"
max_length = 20

[[field]]
name = "CreditLimit"
type = "decimal"
scale = 2
default = "0"

[[field]]
name = "Blocked"
type = "enum"
enum = "CustVendorBlocked"
values = ["No", "Invoice", "All"]
default = "No"
"#;

    #[test]
    fn a_company_scoped_entity_gets_data_area_id_first_in_its_key() {
        let entity = parse(CUSTOMER).expect("valid");
        assert_eq!(entity.entity_set, "CustomersV3");
        let names: Vec<&str> = entity.fields.iter().map(|field| field.name.as_str()).collect();
        assert_eq!(names, ["dataAreaId", "CustomerAccount", "CreditLimit", "Blocked"]);
        assert_eq!(entity.key, [0, 1]);
        assert!(entity.fields[1].required, "key fields are required");
        assert_eq!(entity.fields[2].default, Some(Value::Decimal("0".into())));
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).expect_err("invalid"))
    }

    #[test]
    fn mistakes_name_their_line() {
        let unknown_type = CUSTOMER.replace("type = \"decimal\"", "type = \"money\"");
        assert!(
            error(&unknown_type).starts_with("line 14: field CreditLimit: unknown type \"money\""),
            "{}",
            error(&unknown_type)
        );
        let undeclared_key = CUSTOMER.replace("key = [\"CustomerAccount\"]", "key = [\"Account\"]");
        assert!(error(&undeclared_key).starts_with("line 5: key field Account is not declared"));
        let bad_default = CUSTOMER.replace("default = \"0\"", "default = \"lots\"");
        assert!(error(&bad_default).starts_with("line 16: field CreditLimit: default \"lots\""));
        let duplicate = format!("{CUSTOMER}\n[[field]]\nname = \"creditlimit\"\ntype = \"integer\"\n");
        assert!(error(&duplicate).contains("field creditlimit is declared twice"), "{}", error(&duplicate));
        let misplaced = CUSTOMER.replace("scale = 2", "max_length = 2");
        assert!(error(&misplaced).contains("max_length applies only to strings"));
        let typo = CUSTOMER.replace("label =", "lable =");
        assert!(error(&typo).contains("line 4"), "{}", error(&typo));
    }

    #[test]
    fn indexes_get_the_company_first_and_relations_keep_their_field_pairs() {
        let text = CUSTOMER.replace(
            "key = [\"CustomerAccount\"]",
            "key = [\"CustomerAccount\"]\nindexes = [[\"Blocked\", \"CreditLimit\"], [\"CreditLimit\"]]",
        ) + r#"
[[relation]]
name = "Invoices"
entity = "CustInvoice"
fields = { CustomerAccount = "InvoiceAccount" }
many = true
"#;
        let entity = parse(&text).expect("valid");
        assert_eq!(entity.indexes, [vec![0, 3, 2, 1], vec![0, 2, 1]], "each ends with the key");
        assert_eq!(
            entity.relations,
            [Relation {
                name: "Invoices".into(),
                entity: "CustInvoice".into(),
                fields: vec![("CustomerAccount".into(), "InvoiceAccount".into())],
                many: true,
            }]
        );
    }

    #[test]
    fn index_and_relation_mistakes_name_their_line() {
        let with_indexes = |indexes: &str| {
            CUSTOMER
                .replace("key = [\"CustomerAccount\"]", &format!("key = [\"CustomerAccount\"]\nindexes = {indexes}"))
        };
        for (indexes, expected) in [
            ("[[\"Credit\"]]", "line 6: index field Credit is not declared"),
            ("[[]]", "line 6: an index names no field"),
            ("[[\"Blocked\", \"Blocked\"]]", "line 6: index field Blocked is listed twice"),
            ("[[\"dataAreaId\", \"Blocked\"]]", "line 6: dataAreaId leads every index"),
            ("[[\"CustomerAccount\"]]", "line 6: index (dataAreaId, CustomerAccount) is a prefix of the key"),
            ("[[\"Blocked\"], [\"Blocked\"]]", "line 6: index (dataAreaId, Blocked) is declared twice"),
            (
                "[[\"Blocked\"], [\"Blocked\", \"CreditLimit\"]]",
                "line 6: index (dataAreaId, Blocked) is a prefix of index (dataAreaId, Blocked, CreditLimit)",
            ),
        ] {
            let error = error(&with_indexes(indexes));
            assert!(error.starts_with(expected), "{indexes}: {error}");
        }

        let with_relation = |relation: &str| format!("{CUSTOMER}\n[[relation]]\n{relation}\n");
        for (relation, expected) in [
            (
                "name = \"Group\"\nentity = \"CustGroup\"\nfields = { Group = \"Id\" }",
                "line 28: relation Group: field Group is not declared",
            ),
            ("name = \"Group\"\nentity = \"CustGroup\"\nfields = {}", "line 28: relation Group: `fields` is empty"),
            (
                "name = \"Group\"\nentity = \"CustGroup\"\nfields = { dataAreaId = \"dataAreaId\" }",
                "line 28: relation Group: dataAreaId is matched between company-scoped entities",
            ),
            (
                "name = \"Blocked\"\nentity = \"CustGroup\"\nfields = { Blocked = \"Id\" }",
                "line 26: relation Blocked has the name of a field",
            ),
            (
                "name = \"Lines of\"\nentity = \"X\"\nfields = { Blocked = \"Id\" }",
                "line 26: relation name \"Lines of\" must be",
            ),
            ("name = \"Group\"\nentity = \"CustGroup\"\nfields = { Blocked = \"Id\" }\nmany = 2", "invalid type"),
        ] {
            let error = error(&with_relation(relation));
            assert!(error.contains(expected), "{relation}: {error}");
        }
        let twice = format!(
            "{CUSTOMER}\n[[relation]]\nname = \"G\"\nentity = \"E\"\nfields = {{ Blocked = \"Id\" }}\n\
             \n[[relation]]\nname = \"g\"\nentity = \"E\"\nfields = {{ Blocked = \"Id\" }}\n"
        );
        assert!(error(&twice).starts_with("line 31: relation g is declared twice"), "{}", error(&twice));
    }

    #[test]
    fn enum_names_and_values_must_be_identifiers() {
        let spaced = CUSTOMER.replace("values = [\"No\", \"Invoice\", \"All\"]", "values = [\"No\", \"On hold\"]");
        assert!(error(&spaced).contains("enum value \"On hold\" must be letters, digits and _"), "{}", error(&spaced));
        let dotted = CUSTOMER.replace("enum = \"CustVendorBlocked\"", "enum = \"Cust.Blocked\"");
        assert!(error(&dotted).contains("enum name \"Cust.Blocked\" must be letters"), "{}", error(&dotted));
    }

    #[test]
    fn a_shared_entity_has_no_company_field() {
        let shared = CUSTOMER.replace("label = \"Customers V3\"", "label = \"Customers V3\"\ncompany = false");
        let entity = parse(&shared).expect("valid");
        assert_eq!(entity.fields[0].name, "CustomerAccount");
        assert_eq!(entity.key, [0]);
    }
}
