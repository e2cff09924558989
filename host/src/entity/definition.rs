//! The TOML form of an entity definition, checked field by field so every mistake names its
//! line.
//!
//! ```toml
//! name = "Customer"
//! entity_set = "Customers"
//! label = "Customers"
//! company = true
//! key = ["CustomerAccount"]
//!
//! [[field]]
//! name = "CustomerAccount"
//! type = "string"
//! max_length = 20
//! ```

use std::collections::HashSet;
use std::ops::Range;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;
use toml::Spanned;
use wharf_plugin_sdk::Value;

use super::convert::{ParseOptions, parse_value};
use super::{COMPANY_FIELD, Entity, Field, FieldType};

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
    #[serde(rename = "field", default)]
    fields: Vec<Spanned<FieldFile>>,
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
    Ok(Entity {
        name: name.to_owned(),
        entity_set,
        label,
        company_scoped: file.company,
        fields,
        key,
        indexes: Vec::new(),
        relations: Vec::new(),
    })
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
            FieldType::Enum { name: file.enum_name.clone().unwrap_or_else(|| name.to_owned()), values }
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
    fn a_shared_entity_has_no_company_field() {
        let shared = CUSTOMER.replace("label = \"Customers V3\"", "label = \"Customers V3\"\ncompany = false");
        let entity = parse(&shared).expect("valid");
        assert_eq!(entity.fields[0].name, "CustomerAccount");
        assert_eq!(entity.key, [0]);
    }
}
