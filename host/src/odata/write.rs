//! Writing entity sets: `POST` creates, `PATCH` merges, `PUT` replaces, `DELETE` removes. Each
//! runs in a unit of work (its own, or its change set's); `If-Match` guards changes with the
//! row's ETag; the values are checked against the entity by the store and then by the
//! entity's filter plugin, as imported rows are.

use wharf_plugin_sdk::{BatchBuilder, Context, Value, ValueRef};

use super::json::{EntityJson, RowJson, body_fields, etag};
use super::query::Translator;
use super::read::row_company;
use super::syntax::Key;
use super::{Error, Request, Response, Service};
use crate::entity::{COMPANY_FIELD, Entity};
use crate::plugin::entities::Fields;
use crate::plugin::{Role, UnitOfWork as _};
use crate::store::StoreUnit;

impl Service {
    /// `POST /data/{Set}`: 201 with the created entity and its `Location`, or 204 with
    /// `Prefer: return=minimal`.
    pub(super) fn create(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        unit: &mut StoreUnit,
    ) -> Result<Response, Error> {
        let mut fields = body_fields(entity, request.body)?;
        if entity.company_scoped {
            let company = match fields.iter_mut().find(|(name, _)| name == COMPANY_FIELD) {
                Some((_, value)) => {
                    let company = value.as_str().map(str::to_ascii_lowercase).unwrap_or_default();
                    *value = Value::String(company.clone());
                    company
                }
                None => {
                    let company = self
                        .default_company(request.caller)
                        .ok_or_else(|| Error::new(403, "You may not write to any company."))?;
                    fields.insert(0, (COMPANY_FIELD.to_owned(), Value::String(company.clone())));
                    company
                }
            };
            if !request.caller.may_see(&company) {
                return Err(Error::new(403, format!("You may not write to company {company}.")));
            }
        }
        let complete = with_defaults(entity, fields);
        self.check_filter(entity, &complete)?;
        unit.insert(&entity.name, complete.clone()).map_err(write_error)?;
        let key: Fields = entity
            .key_fields()
            .filter_map(|field| complete.iter().find(|(name, _)| *name == field.name).cloned())
            .collect();
        let (row, version) = unit
            .versioned(&entity.name, &key)?
            .ok_or_else(|| Error::internal(&anyhow::anyhow!("a created {} cannot be read back", entity.name)))?;
        let location = format!("{}/{}({})", request.root, entity.entity_set, key_text(entity, &key));
        let tag = etag(version);
        if prefers_minimal(request) {
            return Ok(Response::empty(204)
                .with_header("Location", location.clone())
                .with_header("OData-EntityId", location)
                .with_header("ETag", tag)
                .with_header("Preference-Applied", "return=minimal"));
        }
        Ok(entity_response(request, entity, 201, &row, &tag).with_header("Location", location))
    }

    /// `PATCH` (merge the body into the row) or `PUT` (replace every field but the key).
    pub(super) fn update(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        unit: &mut StoreUnit,
    ) -> Result<Response, Error> {
        let (key, current, version) = self.current(request, entity, key, unit)?;
        check_if_match(request, version)?;
        let body = body_fields(entity, request.body)?;
        for (name, value) in &body {
            if let Some((_, key_value)) = key.iter().find(|(key_name, _)| key_name == name)
                && normalized(name, value) != *key_value
            {
                return Err(Error::bad_request(format!("Key field {name} cannot change; delete and create instead.")));
            }
        }
        let changes: Fields = if request.method == super::Method::Put {
            // Replace: every field the body leaves out goes back to its default.
            entity
                .fields
                .iter()
                .filter(|field| !key.iter().any(|(name, _)| *name == field.name))
                .map(|field| {
                    let value = body.iter().find(|(name, _)| *name == field.name).map(|(_, value)| value.clone());
                    (field.name.clone(), value.or_else(|| field.default.clone()).unwrap_or(Value::Null))
                })
                .collect()
        } else {
            body.into_iter().filter(|(name, _)| !key.iter().any(|(key_name, _)| key_name == name)).collect()
        };
        let mut merged = current;
        for (name, value) in &changes {
            if let Some((_, slot)) = merged.iter_mut().find(|(field, _)| field == name) {
                *slot = value.clone();
            }
        }
        self.check_filter(entity, &merged)?;
        unit.update(&entity.name, &key, changes).map_err(write_error)?;
        let (row, version) = unit
            .versioned(&entity.name, &key)?
            .ok_or_else(|| Error::internal(&anyhow::anyhow!("an updated {} cannot be read back", entity.name)))?;
        let tag = etag(version);
        if prefers_representation(request) {
            return Ok(entity_response(request, entity, 200, &row, &tag)
                .with_header("Preference-Applied", "return=representation"));
        }
        Ok(Response::empty(204).with_header("ETag", tag))
    }

    /// `DELETE /data/{Set}({key})`.
    pub(super) fn delete(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        unit: &mut StoreUnit,
    ) -> Result<Response, Error> {
        let (key, _, version) = self.current(request, entity, key, unit)?;
        check_if_match(request, version)?;
        unit.delete(&entity.name, &key)?;
        Ok(Response::empty(204))
    }

    /// The row a key names inside the unit, with its version; 404 when there is none or it
    /// belongs to a company the caller may not see.
    fn current(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        unit: &mut StoreUnit,
    ) -> Result<(Fields, Fields, u64), Error> {
        let key = Translator::new(entity).key(key)?;
        let missing = || {
            Error::not_found(format!("There is no such {} (or it belongs to a company you may not see).", entity.name))
        };
        if let Some(company) = row_company(entity, &key)
            && !request.caller.may_see(&company)
        {
            return Err(missing());
        }
        let (row, version) = unit.versioned(&entity.name, &key)?.ok_or_else(missing)?;
        Ok((key, row, version))
    }

    /// Runs the entity's filter plugin, if it has one, on the row about to be written: a row it
    /// drops is refused.
    fn check_filter(&self, entity: &Entity, row: &Fields) -> Result<(), Error> {
        let Some(filter) = self.registry.get(&entity.name, Role::Filter) else {
            return Ok(());
        };
        let mut builder = BatchBuilder::new(row.iter().map(|(name, _)| name.clone()));
        let cells: Vec<ValueRef<'_>> = row.iter().map(|(_, value)| value.as_ref()).collect();
        builder.push_row(&cells);
        let context = Context { entity: entity.name.clone(), company: row_company(entity, row), ..Context::default() };
        match filter.keep(&context, &builder.finish()) {
            Ok(keep) if keep.first() == Some(&true) => Ok(()),
            Ok(_) => Err(Error::bad_request(format!("{} refused this {}.", filter.id(), entity.name))),
            Err(error) => Err(Error::bad_request(format!("The {} filter failed: {error}", entity.name))),
        }
    }
}

/// The row with every field the body left out set to its default (the store refuses missing
/// required fields).
fn with_defaults(entity: &Entity, fields: Fields) -> Fields {
    entity
        .fields
        .iter()
        .filter_map(|field| {
            let value = fields.iter().find(|(name, _)| *name == field.name).map(|(_, value)| value.clone());
            value.or_else(|| field.default.clone()).map(|value| (field.name.clone(), value))
        })
        .collect()
}

/// A body value as the store keeps it in a key (companies in lowercase).
fn normalized(name: &str, value: &Value) -> Value {
    match value {
        Value::String(text) if name == COMPANY_FIELD => Value::String(text.to_ascii_lowercase()),
        other => other.clone(),
    }
}

/// `If-Match`: `*` or the row's current ETag; anything else is a lost update and answers 412.
fn check_if_match(request: &Request<'_>, version: u64) -> Result<(), Error> {
    let Some(expected) = request.header("If-Match") else {
        return Ok(());
    };
    let current = etag(version);
    let strong = current.trim_start_matches("W/");
    let matches = expected.split(',').map(str::trim).any(|tag| tag == "*" || tag == current || tag == strong);
    if matches {
        Ok(())
    } else {
        Err(Error::new(412, "The entity has changed since you read it (its ETag no longer matches If-Match)."))
    }
}

/// A store refusal as the client's error: a taken key is a conflict, everything else the
/// request's fault (the store only refuses values that break the entity's rules).
fn write_error(error: anyhow::Error) -> Error {
    if error.chain().any(|cause| cause.downcast_ref::<rusqlite::Error>().is_some()) {
        return Error::internal(&error);
    }
    let message = format!("{error:#}.");
    if message.contains("already exists") { Error::new(409, message) } else { Error::bad_request(message) }
}

fn prefers(request: &Request<'_>, wanted: &str) -> bool {
    request
        .header("Prefer")
        .is_some_and(|prefer| prefer.split(',').any(|preference| preference.trim().eq_ignore_ascii_case(wanted)))
}

fn prefers_minimal(request: &Request<'_>) -> bool {
    prefers(request, "return=minimal")
}

fn prefers_representation(request: &Request<'_>) -> bool {
    prefers(request, "return=representation")
}

/// A key as URL key-predicate text: `dataAreaId='usmf',CustomerAccount='C-1'`.
fn key_text(entity: &Entity, key: &Fields) -> String {
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
                        .is_some_and(|field| field.field_type == crate::entity::FieldType::Guid);
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

/// An entity answer with its context and ETag.
fn entity_response(request: &Request<'_>, entity: &Entity, status: u16, row: &Fields, tag: &str) -> Response {
    let values: Vec<Value> = row.iter().map(|(_, value)| value.clone()).collect();
    let selected: Vec<usize> = (0..entity.fields.len()).collect();
    let body = EntityJson {
        context: format!("{}/$metadata#{}/$entity", request.root, entity.entity_set),
        row: RowJson { entity, values: &values, selected: &selected, etag: Some(tag.to_owned()), expanded: Vec::new() },
    };
    Response::json(status, &body).with_header("ETag", tag)
}
