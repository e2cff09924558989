//! Entity rows in OData JSON, both ways: rows written straight from the store's values
//! (decimals as exact JSON numbers, enums as member names, dates as ISO 8601), and request
//! bodies read into named values for the store to check.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use wharf_plugin_sdk::Value;

use super::Error;
use crate::entity::{Entity, FieldType};
use crate::plugin::entities::Fields;

/// How much control information a JSON answer carries: the client's `odata.metadata` (OData
/// JSON Format 4.0 §3.1), from `$format` or else `Accept`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Metadata {
    /// No `@odata.context`, ETags or links: only `@odata.nextLink` and `@odata.count` (§3.1.3).
    None,
    /// The context, ETags and paging (§3.1.1); what clients get unless they ask.
    #[default]
    Minimal,
    /// Everything a client could otherwise compute (§3.1.2): each entity's `@odata.type`,
    /// `@odata.id`, `@odata.editLink` and navigation links, and the type of every value whose
    /// JSON form does not show it.
    Full,
}

impl Metadata {
    /// What the client asked for: `$format` wins over `Accept` (OData 4.0 Part 2 §5.1.5). A
    /// JSON media type with an `odata.metadata` other than `none`, `minimal` or `full` is
    /// refused with 406, as ODataLib (and so D365) answers a format it cannot produce, rather
    /// than answered in a format the client did not ask for.
    pub(super) fn requested(format: Option<&str>, accept: Option<&str>) -> Result<Metadata, Error> {
        if let Some(format) = format {
            return Ok(Metadata::of_media_range(format)?.unwrap_or_default());
        }
        for range in accept.unwrap_or_default().split(',') {
            if let Some(metadata) = Metadata::of_media_range(range)? {
                return Ok(metadata);
            }
        }
        Ok(Metadata::default())
    }

    /// The level a media range asks for, if it is JSON (`json` alone is `$format`'s short form).
    fn of_media_range(range: &str) -> Result<Option<Metadata>, Error> {
        let mut parts = range.split(';').map(str::trim);
        let media_type = parts.next().unwrap_or_default().to_ascii_lowercase();
        if !matches!(media_type.as_str(), "json" | "application/json" | "application/*" | "*/*") {
            return Ok(None);
        }
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else { continue };
            // `metadata` without the prefix is OData 4.01's spelling; 4.0 clients send both.
            if !matches!(name.trim().to_ascii_lowercase().as_str(), "odata.metadata" | "metadata") {
                continue;
            }
            return match value.trim().trim_matches('"').to_ascii_lowercase().as_str() {
                "none" => Ok(Some(Metadata::None)),
                "minimal" => Ok(Some(Metadata::Minimal)),
                "full" => Ok(Some(Metadata::Full)),
                other => Err(Error::new(
                    406,
                    format!("odata.metadata={other} is not offered; ask for none, minimal or full."),
                )),
            };
        }
        Ok(Some(Metadata::Minimal))
    }

    /// The `Content-Type` of a JSON answer at this level.
    pub(super) fn content_type(self) -> &'static str {
        match self {
            Metadata::None => "application/json; odata.metadata=none; charset=utf-8",
            Metadata::Minimal => super::JSON,
            Metadata::Full => "application/json; odata.metadata=full; charset=utf-8",
        }
    }

    /// Whether `@odata.context` and ETags are written.
    pub(super) fn has_context(self) -> bool {
        self != Metadata::None
    }
}

/// One row as OData JSON: the selected fields, its ETag and any expanded relations, with the
/// control information `metadata` asks for.
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
    /// How much control information to write.
    pub metadata: Metadata,
    /// The service root, for the URLs full metadata writes.
    pub root: &'a str,
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
        // Full metadata's URLs are absolute: clients resolve them without the context URL.
        let id = (self.metadata == Metadata::Full).then(|| self.id());
        if let Some(id) = &id {
            map.serialize_entry("@odata.type", &format!("#{}.{}", super::NAMESPACE, self.entity.name))?;
            map.serialize_entry("@odata.id", id)?;
        }
        if let Some(etag) = self.etag.as_ref().filter(|_| self.metadata.has_context()) {
            map.serialize_entry("@odata.etag", etag)?;
        }
        if let Some(id) = &id {
            map.serialize_entry("@odata.editLink", id)?;
        }
        for &index in self.selected {
            let (Some(field), Some(value)) = (self.entity.fields.get(index), self.values.get(index)) else {
                continue;
            };
            if self.metadata == Metadata::Full
                && *value != Value::Null
                && let Some(type_name) = value_type_name(&field.field_type)
            {
                map.serialize_entry(&format!("{}@odata.type", field.name), &type_name)?;
            }
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
        if let Some(id) = &id {
            for relation in &self.entity.relations {
                map.serialize_entry(
                    &format!("{}@odata.navigationLink", relation.name),
                    &format!("{id}/{}", relation.name),
                )?;
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

impl RowJson<'_> {
    /// The row's canonical URL, `{root}/{Set}({key})`: its `@odata.id` and edit link.
    fn id(&self) -> String {
        let key: Fields = self
            .entity
            .key
            .iter()
            .filter_map(|&index| {
                let field = self.entity.fields.get(index)?;
                Some((field.name.clone(), self.values.get(index)?.clone()))
            })
            .collect();
        format!("{}/{}({})", self.root, self.entity.entity_set, key_text(self.entity, &key))
    }
}

/// The `@odata.type` full metadata writes beside a value of `field_type`: none where JSON's
/// own type says it (strings and booleans), as ODataLib's full-metadata writer decides
/// (`JsonSharedUtils.ValueTypeMatchesJsonType`); built-in types by their unqualified name
/// (OData JSON Format 4.0 §4.5.3), enums by their qualified name.
pub(super) fn value_type_name(field_type: &FieldType) -> Option<String> {
    let name = match field_type {
        FieldType::String { .. } | FieldType::Boolean => return None,
        FieldType::Integer => "Int64",
        FieldType::Decimal { .. } => "Decimal",
        FieldType::Date => "Date",
        FieldType::DateTime => "DateTimeOffset",
        FieldType::Guid => "Guid",
        FieldType::Enum { name, .. } => return Some(format!("#{}.{name}", super::NAMESPACE)),
    };
    Some(format!("#{name}"))
}

/// A key as URL key-predicate text: `dataAreaId='usmf',CustomerAccount='C-1'`.
pub(super) fn key_text(entity: &Entity, key: &Fields) -> String {
    let parts: Vec<String> = key
        .iter()
        .map(|(name, value)| {
            let literal = match value {
                Value::Integer(number) => number.to_string(),
                Value::Boolean(flag) => flag.to_string(),
                Value::Decimal(text) => text.clone(),
                other => {
                    let text = other.to_string();
                    let guid = entity
                        .field_index(name)
                        .and_then(|index| entity.fields.get(index))
                        .is_some_and(|field| field.field_type == FieldType::Guid);
                    if guid {
                        text
                    } else {
                        format!("'{}'", percent_encoding::utf8_percent_encode(&text.replace('\'', "''"), KEY_ESCAPE))
                    }
                }
            };
            format!("{name}={literal}")
        })
        .collect();
    parts.join(",")
}

/// Characters a key's text cannot carry unescaped in a URL path.
const KEY_ESCAPE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// A single entity's answer: its context URL (unless the client asked for none) and the row.
#[derive(Debug, serde::Serialize)]
pub(super) struct EntityJson<'a> {
    /// `@odata.context`.
    #[serde(rename = "@odata.context", skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The row.
    #[serde(flatten)]
    pub row: RowJson<'a>,
}

/// The ETag of a row at `version`.
pub(super) fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// Whether an `If-Match` or `If-None-Match` list names the row at `version`: `*`, or its ETag
/// weak or strong (clients echo what they were given, and some drop the `W/`).
pub(super) fn etag_matches(list: &str, version: u64) -> bool {
    let current = etag(version);
    let strong = current.trim_start_matches("W/");
    list.split(',').map(str::trim).any(|tag| tag == "*" || tag == current || tag == strong)
}

/// What a write body says: the values it sets, by field, in the entity's spelling.
///
/// Every member must be a field of the entity (a body cannot set anything else: mass
/// assignment is refused, not ignored). Instance annotations (`@odata.type`, `@odata.etag`)
/// are read past; `@odata.type` must name this entity. Navigation properties (deep updates)
/// and `@odata.bind` are not supported.
pub(super) fn body_fields(entity: &Entity, body: &[u8]) -> Result<Fields, Error> {
    let (fields, _) = object_fields(entity, body_object(body)?, Nesting::Refused)?;
    Ok(fields)
}

/// Related rows written inline in a create, by navigation property (a deep insert).
pub(super) type Inline = Vec<(String, Vec<serde_json::Map<String, serde_json::Value>>)>;

/// What a create's body says: the entity's values as [`body_fields`] reads them, and the
/// related rows it carries inline under navigation properties (OData 4.0 Part 1 §11.4.2.2),
/// one level deep as D365 expands: an array for a to-many relation, an object (or null) for a
/// to-one relation.
pub(super) fn deep_body(entity: &Entity, body: &[u8]) -> Result<(Fields, Inline), Error> {
    object_fields(entity, body_object(body)?, Nesting::Allowed)
}

/// The fields of one related row of a deep insert, which may not nest further.
pub(super) fn inline_fields(
    entity: &Entity,
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<Fields, Error> {
    let (fields, _) = object_fields(entity, object, Nesting::TooDeep)?;
    Ok(fields)
}

/// Whether a body may carry related rows inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nesting {
    /// A create's body: a deep insert.
    Allowed,
    /// An update's body: deep updates are not offered.
    Refused,
    /// A related row inside a deep insert: one level is all D365 expands.
    TooDeep,
}

fn body_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    serde_json::from_slice(body).map_err(|error| Error::bad_request(format!("The body is not a JSON object: {error}.")))
}

fn object_fields(
    entity: &Entity,
    object: serde_json::Map<String, serde_json::Value>,
    nesting: Nesting,
) -> Result<(Fields, Inline), Error> {
    let mut fields = Fields::with_capacity(object.len());
    let mut inline = Inline::new();
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
        if let Some(relation) = entity.relations.iter().find(|relation| relation.name == name) {
            let rows = match (nesting, value, relation.many) {
                (Nesting::Refused, _, _) => {
                    return Err(Error::not_implemented(format!(
                        "Deep updates through {name} are not supported; write {name} through its own entity set."
                    )));
                }
                (Nesting::TooDeep, _, _) => {
                    return Err(Error::not_implemented(format!(
                        "A deep insert reaches one level; create {name} through its own entity set."
                    )));
                }
                (Nesting::Allowed, serde_json::Value::Array(rows), true) => rows,
                (Nesting::Allowed, serde_json::Value::Null, false) => Vec::new(),
                (Nesting::Allowed, row @ serde_json::Value::Object(_), false) => vec![row],
                (Nesting::Allowed, other, many) => {
                    let expected = if many { "an array of objects" } else { "an object or null" };
                    return Err(Error::bad_request(format!("{name} takes {expected}; {other} is not one.")));
                }
            };
            let rows = rows
                .into_iter()
                .map(|row| match row {
                    serde_json::Value::Object(row) => Ok(row),
                    other => Err(Error::bad_request(format!("{name} holds objects; {other} is not one."))),
                })
                .collect::<Result<_, _>>()?;
            inline.push((name, rows));
            continue;
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
    Ok((fields, inline))
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
            metadata: Metadata::Minimal,
            root: "https://host/data",
        };
        let text = serde_json::to_string(&row).expect("serializes");
        assert_eq!(
            text,
            r#"{"@odata.etag":"W/\"7\"","dataAreaId":"usmf","CustomerAccount":"C-1","CreditLimit":12345678901234567890.123456789,"Visits":null}"#
        );
    }

    #[test]
    fn metadata_levels_come_from_format_then_accept_and_unknown_levels_are_refused() {
        let level = |format: Option<&str>, accept: Option<&str>| Metadata::requested(format, accept);
        assert_eq!(level(None, None), Ok(Metadata::Minimal));
        assert_eq!(level(None, Some("application/json;odata.metadata=full")), Ok(Metadata::Full));
        assert_eq!(level(None, Some("application/json; odata.metadata=none; charset=utf-8")), Ok(Metadata::None));
        assert_eq!(level(None, Some("text/plain, application/json;metadata=full")), Ok(Metadata::Full));
        assert_eq!(level(None, Some("application/xml, */*")), Ok(Metadata::Minimal));
        assert_eq!(level(Some("json"), Some("application/json;odata.metadata=full")), Ok(Metadata::Minimal));
        assert_eq!(level(Some("application/json;odata.metadata=full"), None), Ok(Metadata::Full));
        let refused = level(None, Some("application/json;odata.metadata=verbose")).expect_err("no such level");
        assert_eq!(refused.status, 406, "{refused}");
        assert!(refused.message.contains("none, minimal or full"), "{refused}");
    }

    #[test]
    fn full_metadata_names_the_type_id_links_and_every_type_json_does_not_show() {
        let entity = customer();
        let values =
            [Value::String("usmf".into()), Value::String("C 1".into()), Value::Decimal("10.50".into()), Value::Null];
        let row = |metadata| RowJson {
            entity: &entity,
            values: &values,
            selected: &[0, 1, 2, 3],
            etag: Some(etag(7)),
            expanded: vec![],
            metadata,
            root: "https://host/data",
        };
        let id = "https://host/data/CustomersV3(dataAreaId='usmf',CustomerAccount='C%201')";
        let full = serde_json::to_string(&row(Metadata::Full)).expect("serializes");
        assert_eq!(
            full,
            format!(
                r##"{{"@odata.type":"#Microsoft.Dynamics.DataEntities.Customer","@odata.id":"{id}","@odata.etag":"W/\"7\"","@odata.editLink":"{id}","dataAreaId":"usmf","CustomerAccount":"C 1","CreditLimit@odata.type":"#Decimal","CreditLimit":10.50,"Visits":null}}"##
            )
        );
        let none = serde_json::to_string(&row(Metadata::None)).expect("serializes");
        assert_eq!(none, r#"{"dataAreaId":"usmf","CustomerAccount":"C 1","CreditLimit":10.50,"Visits":null}"#);
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
