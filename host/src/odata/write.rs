//! Writing entity sets: `POST` creates, `PATCH` merges, `PUT` replaces, `DELETE` removes. Each
//! runs in a unit of work (its own, or its change set's); `If-Match` guards changes with the
//! row's ETag; the values are checked against the entity by the store and then by the
//! entity's filter plugin, as imported rows are.

use wharf_plugin_sdk::{BatchBuilder, Context, Value, ValueRef};

use super::json::{
    EntityJson, Expanded, Metadata, RowJson, body_fields, deep_body, etag, etag_matches, inline_fields, key_text,
};
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
    /// `Prefer: return=minimal`. Related rows inline in the body (a deep insert) are created in
    /// the same unit of work, linked to the new row through the relation's fields, and come
    /// back expanded in the answer (OData 4.0 Part 1 §11.4.2.2): all are created or none.
    pub(super) fn create(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        metadata: Metadata,
        unit: &mut StoreUnit,
    ) -> Result<Response, Error> {
        let (fields, inline) = deep_body(entity, request.body)?;
        let (key, row, version) = self.insert(request, entity, fields, unit)?;
        let catalog = self.catalog();
        let mut created = Vec::with_capacity(inline.len());
        for (name, objects) in inline {
            let relation = entity
                .relations
                .iter()
                .find(|relation| relation.name == name)
                .ok_or_else(|| Error::bad_request(format!("{} has no navigation property {name}.", entity.name)))?;
            let target = catalog.require(&relation.entity).map_err(Error::from)?.clone();
            let mut rows = Vec::with_capacity(objects.len());
            for object in objects {
                let mut fields = inline_fields(&target, object)?;
                // The relation's fields tie the related row to this one: it takes this row's
                // values, and may repeat them but not contradict them.
                for (local, remote) in relation.field_pairs(entity, &target) {
                    let value =
                        row.iter().find(|(name, _)| name == local).map_or(Value::Null, |(_, value)| value.clone());
                    match fields.iter().find(|(name, _)| name == remote) {
                        Some((_, given)) if normalized(remote, given) != value => {
                            return Err(Error::bad_request(format!(
                                "{name}: {remote} is {given}, but the {} it belongs to has {value}.",
                                entity.name
                            )));
                        }
                        Some(_) => {}
                        None => fields.push((remote.to_owned(), value)),
                    }
                }
                let (_, related, version) = self.insert(request, &target, fields, unit)?;
                rows.push((related.into_iter().map(|(_, value)| value).collect::<Vec<Value>>(), version));
            }
            created.push((relation, target, rows));
        }
        let location = format!("{}/{}({})", request.root, entity.entity_set, key_text(entity, &key));
        let tag = etag(version);
        if prefers_minimal(request) {
            return Ok(Response::empty(204)
                .with_header("Location", location.clone())
                .with_header("OData-EntityId", location)
                .with_header("ETag", tag)
                .with_header("Preference-Applied", "return=minimal"));
        }
        let selections: Vec<Vec<usize>> =
            created.iter().map(|(_, target, _)| (0..target.fields.len()).collect()).collect();
        let expanded = created
            .iter()
            .zip(&selections)
            .map(|((relation, target, rows), selected)| {
                let json = |row| created_json(target, selected, row, metadata, request.root);
                let value = if relation.many {
                    Expanded::Many(rows.iter().map(json).collect())
                } else {
                    Expanded::One(rows.first().map(|row| Box::new(json(row))))
                };
                (relation.name.as_str(), value)
            })
            .collect();
        Ok(entity_response(request, entity, 201, &row, &tag, metadata, expanded).with_header("Location", location))
    }

    /// Inserts one new row into the unit: the company filled in (the caller's default when
    /// the body names none) and checked against the caller's grants, defaults filled in, the
    /// entity's filter run. Returns the row's key, the row as stored and its version.
    fn insert(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        mut fields: Fields,
        unit: &mut StoreUnit,
    ) -> Result<(Fields, Fields, u64), Error> {
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
        Ok((key, row, version))
    }

    /// `PATCH` (merge the body into the row) or `PUT` (replace every field but the key).
    pub(super) fn update(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        metadata: Metadata,
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
            return Ok(entity_response(request, entity, 200, &row, &tag, metadata, Vec::new())
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

    /// The row a key names inside the unit, with its version; 404 when there is none or its
    /// company is outside the request's scope (the caller's default company, or with
    /// `cross-company=true` its granted ones: see [`Service::in_scope`]).
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
            && !self.in_scope(request, &company)
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
/// `If-None-Match` guards a change the other way (RFC 7232 §3.2): `*` or the current ETag
/// means the client expected no such row, or any other version, and answers 412 too.
fn check_if_match(request: &Request<'_>, version: u64) -> Result<(), Error> {
    if let Some(expected) = request.header("If-Match")
        && !etag_matches(expected, version)
    {
        return Err(Error::new(412, "The entity has changed since you read it (its ETag no longer matches If-Match)."));
    }
    if request.header("If-None-Match").is_some_and(|unexpected| etag_matches(unexpected, version)) {
        return Err(Error::new(412, "The entity exists in the version If-None-Match names."));
    }
    Ok(())
}

/// A store refusal as the client's error: a taken key is a conflict, everything else the
/// request's fault (the store only refuses values that break the entity's rules).
fn write_error(error: anyhow::Error) -> Error {
    if crate::store::failed_in_database(&error) {
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

/// A row a deep insert created, as JSON: its values in field order and its version.
fn created_json<'a>(
    entity: &'a Entity,
    selected: &'a [usize],
    (values, version): &'a (Vec<Value>, u64),
    metadata: Metadata,
    root: &'a str,
) -> RowJson<'a> {
    RowJson { entity, values, selected, etag: Some(etag(*version)), expanded: Vec::new(), metadata, root }
}

/// An entity answer with its context and ETag, and the related rows a deep insert created.
fn entity_response(
    request: &Request<'_>,
    entity: &Entity,
    status: u16,
    row: &Fields,
    tag: &str,
    metadata: Metadata,
    expanded: Vec<(&str, Expanded<'_>)>,
) -> Response {
    let values: Vec<Value> = row.iter().map(|(_, value)| value.clone()).collect();
    let selected: Vec<usize> = (0..entity.fields.len()).collect();
    let body = EntityJson {
        context: metadata.has_context().then(|| format!("{}/$metadata#{}/$entity", request.root, entity.entity_set)),
        row: RowJson {
            entity,
            values: &values,
            selected: &selected,
            etag: Some(tag.to_owned()),
            expanded,
            metadata,
            root: request.root,
        },
    };
    Response::json(status, &body).with_header("ETag", tag)
}
