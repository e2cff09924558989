//! Entity rows in OData JSON, both ways: rows written straight from the store's values
//! (decimals as exact JSON numbers, enums as member names, dates as ISO 8601), and request
//! bodies read into named values for the store to check.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use wharf_plugin_sdk::Value;

use super::Error;
use crate::entity::{Entity, FieldType};
use crate::plugin::entities::Fields;

/// One row as OData JSON: the selected fields, its ETag and any expanded relations.
#[derive(Debug)]
pub(super) struct RowJson<'a> {
    /// The row's entity.
    pub entity: &'a Entity,
    /// Every field's value, in field order.
    pub values: &'a [Value],
    /// The indexes of the fields to write.
    pub selected: &'a [usize],
    /// `@odata.etag`, when known.
    pub etag: Option<String>,
    /// Expanded navigation properties, by name.
    pub expanded: Vec<(&'a str, Expanded<'a>)>,
}

/// An expanded navigation property's value.
#[derive(Debug)]
pub(super) enum Expanded<'a> {
    /// A to-many relation.
    Many(Vec<RowJson<'a>>),
    /// A to-one relation, null when there is no related row.
    One(Option<Box<RowJson<'a>>>),
}

impl Serialize for RowJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(etag) = &self.etag {
            map.serialize_entry("@odata.etag", etag)?;
        }
        for &index in self.selected {
            let (Some(field), Some(value)) = (self.entity.fields.get(index), self.values.get(index)) else {
                continue;
            };
            map.serialize_key(&field.name)?;
            match (value, &field.field_type) {
                (Value::Null, _) => map.serialize_value(&())?,
                (Value::Integer(number), _) => map.serialize_value(number)?,
                (Value::Float(number), _) => map.serialize_value(number)?,
                (Value::Boolean(flag), _) => map.serialize_value(flag)?,
                // Decimals keep every digit: the stored text is written as the JSON number.
                (Value::Decimal(text) | Value::String(text), FieldType::Decimal { .. }) => {
                    match RawValue::from_string(text.clone()) {
                        Ok(number) => map.serialize_value(&number)?,
                        Err(_) => map.serialize_value(text)?,
                    }
                }
                (Value::String(text) | Value::Decimal(text) | Value::Date(text) | Value::DateTime(text), _) => {
                    map.serialize_value(text)?
                }
            }
        }
        for (name, expanded) in &self.expanded {
            match expanded {
                Expanded::Many(rows) => map.serialize_entry(name, rows)?,
                Expanded::One(row) => map.serialize_entry(name, row)?,
            }
        }
        map.end()
    }
}

/// A single entity's answer: its context URL and the row.
#[derive(Debug, serde::Serialize)]
pub(super) struct EntityJson<'a> {
    /// `@odata.context`.
    #[serde(rename = "@odata.context")]
    pub context: String,
    /// The row.
    #[serde(flatten)]
    pub row: RowJson<'a>,
}

/// The ETag of a row at `version`.
pub(super) fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// What a write body says: the values it sets, by field, in the entity's spelling.
///
/// Every member must be a field of the entity (a body cannot set anything else: mass
/// assignment is refused, not ignored). Instance annotations (`@odata.type`, `@odata.etag`)
/// are read past; `@odata.type` must name this entity. Navigation properties (deep inserts)
/// and `@odata.bind` are not supported.
pub(super) fn body_fields(entity: &Entity, body: &[u8]) -> Result<Fields, Error> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body)
        .map_err(|error| Error::bad_request(format!("The body is not a JSON object: {error}.")))?;
    let mut fields = Fields::with_capacity(object.len());
    for (name, value) in object {
        if name == "@odata.type" || name == "odata.type" {
            // A URI fragment (`#Namespace.Type`) by the JSON format; ODataLib, and so D365,
            // also takes the bare qualified name, which clients such as python-odata send.
            let expected = format!("{}.{}", super::NAMESPACE, entity.name);
            let named = value.as_str().map(|text| text.strip_prefix('#').unwrap_or(text));
            if named != Some(expected.as_str()) {
                return Err(Error::bad_request(format!(
                    "@odata.type {value} does not match the entity type #{expected}."
                )));
            }
            continue;
        }
        if name.contains("@odata.bind") {
            return Err(Error::not_implemented("Binding related entities with @odata.bind is not supported."));
        }
        if name.starts_with('@') || name.contains("@odata.") {
            continue;
        }
        if entity.relations.iter().any(|relation| relation.name == name) {
            return Err(Error::not_implemented(format!(
                "Deep inserts and updates through {name} are not supported; write {name} through its own entity set."
            )));
        }
        let Some(field) = entity.fields.iter().find(|field| field.name == name) else {
            return Err(Error::bad_request(format!("{} has no property {name}.", entity.name)));
        };
        let value = match (value, &field.field_type) {
            (serde_json::Value::Null, _) => Value::Null,
            (serde_json::Value::Bool(flag), FieldType::Boolean) => Value::Boolean(flag),
            (serde_json::Value::Number(number), FieldType::Integer) => match number.as_i64() {
                Some(number) => Value::Integer(number),
                None => return Err(Error::bad_request(format!("{name}: {number} is not a whole number in range."))),
            },
            (serde_json::Value::Number(number), FieldType::Decimal { .. }) => Value::Decimal(number.to_string()),
            // Decimals as strings are what IEEE754Compatible clients send.
            (serde_json::Value::String(text), _) => Value::String(text),
            (other, field_type) => {
                return Err(Error::bad_request(format!(
                    "{name} holds {} values; {other} is not one.",
                    field_type.name()
                )));
            }
        };
        fields.push((field.name.clone(), value));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Entity;

    fn customer() -> Entity {
        Entity::parse(
            r#"
name = "Customer"
entity_set = "CustomersV3"
key = ["CustomerAccount"]
[[field]]
name = "CustomerAccount"
type = "string"
[[field]]
name = "CreditLimit"
type = "decimal"
[[field]]
name = "Visits"
type = "integer"
"#,
            "test",
        )
        .expect("valid")
    }

    #[test]
    fn decimals_keep_every_digit_and_nulls_stay_null() {
        let entity = customer();
        let values = [
            Value::String("usmf".into()),
            Value::String("C-1".into()),
            Value::Decimal("12345678901234567890.123456789".into()),
            Value::Null,
        ];
        let row = RowJson {
            entity: &entity,
            values: &values,
            selected: &[0, 1, 2, 3],
            etag: Some(etag(7)),
            expanded: vec![],
        };
        let text = serde_json::to_string(&row).expect("serializes");
        assert_eq!(
            text,
            r#"{"@odata.etag":"W/\"7\"","dataAreaId":"usmf","CustomerAccount":"C-1","CreditLimit":12345678901234567890.123456789,"Visits":null}"#
        );
    }

    #[test]
    fn bodies_name_only_fields_and_carry_typed_values() {
        let entity = customer();
        let fields = body_fields(
            &entity,
            br##"{"@odata.type":"#Microsoft.Dynamics.DataEntities.Customer","CustomerAccount":"C-1","CreditLimit":10.5,"Visits":3}"##,
        )
        .expect("valid");
        let bare = body_fields(&entity, br#"{"@odata.type":"Microsoft.Dynamics.DataEntities.Customer"}"#);
        assert_eq!(bare.expect("the bare name is accepted too"), Vec::new());
        assert_eq!(
            fields,
            vec![
                ("CustomerAccount".to_owned(), Value::String("C-1".into())),
                ("CreditLimit".to_owned(), Value::Decimal("10.5".into())),
                ("Visits".to_owned(), Value::Integer(3)),
            ]
        );
        for (body, expected) in [
            (&br#"{"IsAdmin":true}"#[..], "has no property IsAdmin"),
            (br#"{"Visits":1.5}"#, "not a whole number"),
            (br#"{"Visits":true}"#, "holds integer values"),
            (br#"[1]"#, "not a JSON object"),
            (br##"{"@odata.type":"#Other.Type"}"##, "does not match"),
            (br#"{"@odata.type":"Other.Type"}"#, "does not match"),
        ] {
            let error = body_fields(&entity, body).expect_err(expected);
            assert!(error.message.contains(expected), "{}", error.message);
        }
    }
}
