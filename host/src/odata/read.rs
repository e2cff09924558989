//! Reading entity sets: collections with D365's query options and server-driven paging,
//! `$count`, single entities by key, single properties, and first-level `$expand`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use wharf_plugin_sdk::Value;

use super::json::{EntityJson, Expanded, Metadata, RowJson, etag, etag_matches, key_text, value_type_name};
use super::query::Translator;
use super::syntax::{self, ExpandItem, Key, QueryOptions};
use super::{Error, Request, Response, Service, cross_company};
use crate::auth::{Caller, Companies};
use crate::entity::{COMPANY_FIELD, Catalog, Entity, FieldType, Relation};
use crate::plugin::entities::Fields;
use crate::store::{Comparison, Condition, Order, Query, QueryRow, Term};

/// What `$skiptoken` carries from one page to the next: where the last page ended and how
/// many rows `$top` still allows. Opaque to clients (base64url JSON).
#[derive(Debug, Serialize, Deserialize)]
struct PageToken {
    /// The sort values of the last row sent.
    after: Vec<serde_json::Value>,
    /// Rows `$top` still allows, when it was given.
    left: Option<u64>,
}

/// A collection answer.
#[derive(Serialize)]
struct Collection<'a> {
    #[serde(rename = "@odata.context", skip_serializing_if = "Option::is_none")]
    context: Option<String>,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    value: Vec<RowJson<'a>>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

/// The company a key names, for company-scoped entities.
pub(super) fn row_company(entity: &Entity, key: &Fields) -> Option<String> {
    if !entity.company_scoped {
        return None;
    }
    key.iter().find(|(name, _)| name == COMPANY_FIELD).and_then(|(_, value)| value.as_str().map(str::to_owned))
}

impl Service {
    /// The rows a caller may see: its default company, or with `cross-company=true` every
    /// company it is granted. Shared entities are not scoped.
    fn scope(&self, caller: &Caller, entity: &Entity, cross_company: bool) -> Condition {
        if !entity.company_scoped {
            return Condition::True;
        }
        let company = Term::Field(0);
        match (cross_company, &caller.companies) {
            (true, Companies::All) => Condition::True,
            (true, Companies::Only(companies)) => {
                Condition::In(company, companies.iter().map(|company| Value::String(company.clone())).collect())
            }
            (false, _) => match self.default_company(caller) {
                Some(default) => Condition::Compare(Comparison::Eq, company, Term::Value(Value::String(default))),
                None => Condition::Not(Box::new(Condition::True)),
            },
        }
    }

    /// The condition of a collection request: the caller's scope and `$filter`.
    fn condition(&self, request: &Request<'_>, entity: &Entity, options: &QueryOptions) -> Result<Condition, Error> {
        let scope = self.scope(request.caller, entity, cross_company(options));
        Ok(match &options.filter {
            Some(filter) => scope.and(Translator::new(entity).filter(filter)?),
            None => scope,
        })
    }

    /// `GET /data/{Set}`, or with `related` the rows a navigation path reaches
    /// (`/data/{Set}({key})/{Navigation}`): its condition stands in for the caller's company
    /// scope, as the row it starts from is in scope already.
    pub(super) fn read_collection(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        options: &QueryOptions,
        related: Option<Condition>,
        level: Metadata,
    ) -> Result<Response, Error> {
        let translator = Translator::new(entity);
        let condition = self.condition_within(request, entity, options, related)?;
        let (selected, _) = translator.select(&options.select)?;
        let order = translator.order(&options.orderby)?;
        let expand = self.expansions(entity, &options.expand)?;
        let page_size = self.page_size(request);
        let token = options.skiptoken.as_deref().map(decode_token).transpose()?;
        let mut query = Query { condition, order, after: None, offset: 0, limit: 0 };
        let sort = query.sort(entity);
        let left = match &token {
            Some(token) => {
                query.after = Some(token_values(entity, &sort, &token.after)?);
                token.left
            }
            None => {
                query.offset = options.skip.unwrap_or(0);
                options.top
            }
        };
        let wanted = left.map_or(page_size, |left| left.min(page_size));
        // One row more than a page says whether another page follows.
        query.limit = wanted.saturating_add(1);
        let mut rows = self.store.query(entity, &query)?;
        let more = rows.len() as u64 > wanted && left.is_none_or(|left| left > wanted);
        rows.truncate(usize::try_from(wanted).unwrap_or(usize::MAX));
        let next_link = match (more, rows.last()) {
            (true, Some(last)) => {
                let token = PageToken {
                    after: last.sort_values(&sort).iter().map(token_value).collect(),
                    left: left.map(|left| left - wanted),
                };
                Some(next_link(request, &token)?)
            }
            _ => None,
        };
        let count = if options.count { Some(self.store.query_count(entity, &query.condition)?) } else { None };
        let expanded = self.expand_rows(request, entity, &rows, &expand)?;
        let value = rows
            .iter()
            .zip(&expanded)
            .map(|(row, expanded)| RowJson {
                entity,
                values: &row.values,
                selected: &selected,
                etag: Some(etag(row.version)),
                expanded: expanded_json(expanded, level, request.root),
                metadata: level,
                root: request.root,
            })
            .collect();
        let context =
            level.has_context().then(|| context(request, &self.catalog(), entity, options, &selected, &expand));
        let mut response = Response::json(200, &Collection { context, count, value, next_link });
        if request.header("Prefer").and_then(max_page_size).is_some() {
            response = response.with_header("Preference-Applied", format!("odata.maxpagesize={page_size}"));
        }
        Ok(response)
    }

    /// The page size: the configured maximum, lowered by `Prefer: odata.maxpagesize`.
    fn page_size(&self, request: &Request<'_>) -> u64 {
        let preferred = request.header("Prefer").and_then(max_page_size);
        preferred.map_or(self.settings.max_page_size, |size| size.clamp(1, self.settings.max_page_size))
    }

    /// The condition of a collection request whose rows a navigation path may have narrowed
    /// already (see [`Service::read_collection`]).
    fn condition_within(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        options: &QueryOptions,
        related: Option<Condition>,
    ) -> Result<Condition, Error> {
        match (related, &options.filter) {
            (None, _) => self.condition(request, entity, options),
            (Some(related), None) => Ok(related),
            (Some(related), Some(filter)) => Ok(related.and(Translator::new(entity).filter(filter)?)),
        }
    }

    /// `GET /data/{Set}/$count` (or `{Set}({key})/{Navigation}/$count`, with `related` as for
    /// [`Service::read_collection`]): the bare number, as `text/plain`.
    pub(super) fn count(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        options: &QueryOptions,
        related: Option<Condition>,
    ) -> Result<Response, Error> {
        let condition = self.condition_within(request, entity, options, related)?;
        let count = self.store.query_count(entity, &condition)?;
        Ok(Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: count.to_string().into_bytes(),
        })
    }

    /// Whether a key naming `company` is in the request's scope, which is the scope of a
    /// collection read: the caller's default company, or with `cross-company=true` every
    /// company it is granted. D365 documents that "by default, OData returns only data that
    /// belongs to the user's default company" (spec §5, Company scope), and a key is no
    /// exception: d365fo.integrations answers a 404 by key with "try using the -CrossCompany
    /// parameter", which adds `cross-company=true` to the same URL.
    pub(super) fn in_scope(&self, request: &Request<'_>, company: &str) -> bool {
        let cross_company = syntax::parse_query(request.query).is_ok_and(|options| cross_company(&options));
        if cross_company {
            request.caller.may_see(company)
        } else {
            self.default_company(request.caller).as_deref() == Some(company)
        }
    }

    /// The row a key names, with its version, or 404 (also for companies outside the
    /// request's scope, see [`Service::in_scope`]).
    pub(super) fn keyed_row(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
    ) -> Result<(Fields, QueryRow), Error> {
        let key = Translator::new(entity).key(key)?;
        if let Some(company) = row_company(entity, &key)
            && !self.in_scope(request, &company)
        {
            return Err(not_found(entity));
        }
        let condition = key.iter().fold(Condition::True, |condition, (name, value)| {
            let index = entity.field_index(name).unwrap_or_default();
            condition.and(Condition::Compare(Comparison::Eq, Term::Field(index), Term::Value(value.clone())))
        });
        let query = Query { condition, order: Vec::new(), after: None, offset: 0, limit: 1 };
        let row = self.store.query(entity, &query)?.into_iter().next().ok_or_else(|| not_found(entity))?;
        Ok((key, row))
    }

    /// `GET /data/{Set}({key})`.
    pub(super) fn read_entity(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        options: &QueryOptions,
        level: Metadata,
    ) -> Result<Response, Error> {
        let (_, row) = self.keyed_row(request, entity, key)?;
        self.entity_answer(request, entity, &row, options, level)
    }

    /// One row as an entity answer with its `$select` and `$expand`, or 304 when the client
    /// holds it already: `If-None-Match` naming its ETag, or `*` (it exists), answers a `GET`
    /// with 304 Not Modified and the ETag (RFC 7232 §3.2, OData 4.0 Part 1 §8.2.5).
    fn entity_answer(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        row: &QueryRow,
        options: &QueryOptions,
        level: Metadata,
    ) -> Result<Response, Error> {
        if options.filter.is_some() || !options.orderby.is_empty() || options.top.is_some() || options.skip.is_some() {
            return Err(Error::bad_request(
                "$filter, $orderby, $top and $skip apply to collections, not to one entity.",
            ));
        }
        let tag = etag(row.version);
        if request.header("If-None-Match").is_some_and(|held| etag_matches(held, row.version)) {
            return Ok(Response::empty(304).with_header("ETag", tag));
        }
        let (selected, _) = Translator::new(entity).select(&options.select)?;
        let expand = self.expansions(entity, &options.expand)?;
        let expanded = self.expand_rows(request, entity, std::slice::from_ref(row), &expand)?.pop().unwrap_or_default();
        let body = EntityJson {
            context: level
                .has_context()
                .then(|| format!("{}/$entity", context(request, &self.catalog(), entity, options, &selected, &expand))),
            row: RowJson {
                entity,
                values: &row.values,
                selected: &selected,
                etag: Some(tag.clone()),
                expanded: expanded_json(&expanded, level, request.root),
                metadata: level,
                root: request.root,
            },
        };
        Ok(Response::json(200, &body).with_header("ETag", tag))
    }

    /// `GET /data/{Set}({key})/{Navigation}`: the related rows, answered as a collection with
    /// its query options (to-many) or as one entity (to-one, 204 when there is none, OData 4.0
    /// Part 1 §11.2.6). The context URL names the entity set the navigation property is bound
    /// to (§10.2).
    pub(super) fn read_navigation(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        name: &str,
        options: &QueryOptions,
        level: Metadata,
    ) -> Result<Response, Error> {
        let (related, condition, many) = self.navigation(request, entity, key, name)?;
        if many {
            return self.read_collection(request, &related.target, options, Some(condition), level);
        }
        let query = Query { condition, order: Vec::new(), after: None, offset: 0, limit: 1 };
        match self.store.query(&related.target, &query)?.into_iter().next() {
            Some(row) => self.entity_answer(request, &related.target, &row, options, level),
            None => Ok(Response::empty(204)),
        }
    }

    /// `GET /data/{Set}({key})/{Navigation}/$count`.
    pub(super) fn count_navigation(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        name: &str,
        options: &QueryOptions,
    ) -> Result<Response, Error> {
        let (related, condition, _) = self.navigation(request, entity, key, name)?;
        self.count(request, &related.target, options, Some(condition))
    }

    /// Where `{Set}({key})/{Navigation}` leads: the relation's rows, the condition those of
    /// this key's row meet, and whether there may be many. 404 when the row is out of reach.
    fn navigation(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        name: &str,
    ) -> Result<(RelatedRows, Condition, bool), Error> {
        let relation = entity
            .relations
            .iter()
            .find(|relation| relation.name == name)
            .ok_or_else(|| Error::not_found(format!("{} has no navigation property {name}.", entity.name)))?;
        let (_, row) = self.keyed_row(request, entity, key)?;
        let related = self.related_rows(request, entity, relation)?;
        let condition = related.condition(&row);
        Ok((related, condition, relation.many))
    }

    /// `GET /data/{Set}({key})/{Property}`.
    pub(super) fn read_property(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        property: &str,
        level: Metadata,
    ) -> Result<Response, Error> {
        let (index, field) = Translator::new(entity).field(property)?;
        let (key, row) = self.keyed_row(request, entity, key)?;
        let value = row.values.get(index).cloned().unwrap_or(Value::Null);
        if value == Value::Null {
            return Ok(Response::empty(204));
        }
        let selected = [index];
        let row_json = RowJson {
            entity,
            values: &row.values,
            selected: &selected,
            etag: None,
            expanded: Vec::new(),
            metadata: Metadata::Minimal,
            root: request.root,
        };
        let mut object = serde_json::to_value(&row_json).map_err(anyhow::Error::from)?;
        let value = object.get_mut(&field.name).map(serde_json::Value::take).unwrap_or_default();
        let mut answer = serde_json::Map::new();
        if level.has_context() {
            // The entity's canonical URL, then the property (Part 1 §10.13): the key as the
            // entity's key declares it, however the request spelled or ordered it.
            let key: Fields = entity
                .key_fields()
                .filter_map(|field| key.iter().find(|(name, _)| *name == field.name).cloned())
                .collect();
            let key_text = key_text(entity, &key);
            let context = format!("{}/$metadata#{}({key_text})/{}", request.root, entity.entity_set, field.name);
            answer.insert("@odata.context".into(), context.into());
        }
        if level == Metadata::Full
            && let Some(type_name) = value_type_name(&field.field_type)
        {
            answer.insert("@odata.type".into(), type_name.into());
        }
        answer.insert("value".into(), value);
        Ok(Response::json(200, &answer))
    }

    /// `GET /data/{Set}({key})/{Property}/$value`: the value alone as `text/plain` (OData 4.0
    /// Part 1 §11.2.4.1), in the form its JSON has without quotes; 204 when it is null.
    pub(super) fn read_raw_value(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: &Key,
        property: &str,
    ) -> Result<Response, Error> {
        let (index, _) = Translator::new(entity).field(property)?;
        let (_, row) = self.keyed_row(request, entity, key)?;
        match row.values.get(index) {
            None | Some(Value::Null) => Ok(Response::empty(204)),
            Some(value) => Ok(Response {
                status: 200,
                headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                body: value.to_string().into_bytes(),
            }),
        }
    }

    /// The relations `$expand` names, with their options checked.
    fn expansions<'e>(
        &self,
        entity: &'e Entity,
        items: &'e [ExpandItem],
    ) -> Result<Vec<(&'e Relation, &'e ExpandItem)>, Error> {
        let mut expansions = Vec::with_capacity(items.len());
        let mut star = None;
        for item in items {
            let [name] = item.path.as_slice() else {
                return Err(Error::not_implemented(
                    "$expand of a path is not supported; expand one navigation property.",
                ));
            };
            if name == "*" {
                if star.replace(item).is_some() {
                    return Err(Error::bad_request("$expand names * twice."));
                }
                continue;
            }
            let relation = entity
                .relations
                .iter()
                .find(|relation| relation.name == *name)
                .ok_or_else(|| Error::bad_request(format!("{} has no navigation property {name}.", entity.name)))?;
            if !item.options.expand.is_empty() {
                return Err(Error::not_implemented("Nested $expand is not supported; D365 expands one level."));
            }
            if let Some(option) = item.options.unsupported.first() {
                return Err(Error::not_implemented(format!(
                    "The query option {option} is not supported inside $expand."
                )));
            }
            if expansions.iter().any(|(seen, _): &(&Relation, &ExpandItem)| seen.name == relation.name) {
                return Err(Error::bad_request(format!("$expand names {name} twice.")));
            }
            expansions.push((relation, item));
        }
        // `*` expands every navigation property no other item names (OData 4.0 Part 2
        // §5.1.2); the ABNF gives it no options but `$levels`, which the service does not offer.
        if let Some(item) = star {
            if let Some(option) = item.options.unsupported.first() {
                return Err(Error::not_implemented(format!(
                    "The query option {option} is not supported inside $expand."
                )));
            }
            if item.options != QueryOptions::default() {
                return Err(Error::bad_request(
                    "$expand=* takes no options; name the navigation property to give it some.",
                ));
            }
            for relation in &entity.relations {
                if !expansions.iter().any(|(seen, _)| seen.name == relation.name) {
                    expansions.push((relation, item));
                }
            }
        }
        Ok(expansions)
    }

    /// How the rows `relation` leads to are found from a row of `entity`.
    fn related_rows(&self, request: &Request<'_>, entity: &Entity, relation: &Relation) -> Result<RelatedRows, Error> {
        let target = self.catalog().require(&relation.entity).map_err(Error::from)?.clone();
        let mut links = Vec::with_capacity(relation.fields.len() + 1);
        for (local, remote) in relation.field_pairs(entity, &target) {
            let (Some(local), Some(remote)) = (entity.field_index(local), target.field_index(remote)) else {
                return Err(anyhow::anyhow!("relation {} names a field that does not exist", relation.name).into());
            };
            links.push((local, remote));
        }
        // Between company-scoped entities the pairs match the row's company; a shared
        // entity's relation to company-scoped rows reaches the caller's companies.
        let scope =
            (!entity.company_scoped && target.company_scoped).then(|| self.scope(request.caller, &target, true));
        Ok(RelatedRows { target, links, scope })
    }

    /// For each row, the rows of each relation `$expand` names.
    fn expand_rows(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        rows: &[QueryRow],
        expansions: &[(&Relation, &ExpandItem)],
    ) -> Result<Vec<Vec<Expansion>>, Error> {
        let mut expanded: Vec<Vec<Expansion>> = rows.iter().map(|_| Vec::with_capacity(expansions.len())).collect();
        for (relation, item) in expansions {
            let related = self.related_rows(request, entity, relation)?;
            let target = &related.target;
            let translator = Translator::new(target);
            let (selected, _) = translator.select(&item.options.select)?;
            let order = translator.order(&item.options.orderby)?;
            let nested = match &item.options.filter {
                Some(filter) => translator.filter(filter)?,
                None => Condition::True,
            };
            let most = self.settings.max_expanded_rows;
            let limit = if relation.many { item.options.top.map_or(most, |top| top.min(most)) } else { 1 };
            for (row, expansions) in rows.iter().zip(expanded.iter_mut()) {
                let query = Query {
                    condition: related.condition(row).and(nested.clone()),
                    order: order.clone(),
                    after: None,
                    offset: item.options.skip.unwrap_or(0),
                    limit,
                };
                expansions.push(Expansion {
                    relation: relation.name.clone(),
                    entity: target.clone(),
                    selected: selected.clone(),
                    many: relation.many,
                    rows: self.store.query(target, &query)?,
                });
            }
        }
        Ok(expanded)
    }
}

/// The rows one relation leads to, as conditions on its target entity.
struct RelatedRows {
    /// The entity the relation leads to.
    target: std::sync::Arc<Entity>,
    /// Pairs of (field index in the row's entity, field index in the target) that must match.
    links: Vec<(usize, usize)>,
    /// The companies a shared entity's relation reaches, when it leads to company-scoped rows.
    scope: Option<Condition>,
}

impl RelatedRows {
    /// The condition the related rows of `row` meet.
    fn condition(&self, row: &QueryRow) -> Condition {
        let start = self.scope.clone().unwrap_or(Condition::True);
        self.links
            .iter()
            .fold(start, |condition, &(local, remote)| condition.and(equals(remote, row.values.get(local))))
    }
}

/// `field = value`, with a missing value matching nothing.
fn equals(field: usize, value: Option<&Value>) -> Condition {
    Condition::Compare(Comparison::Eq, Term::Field(field), Term::Value(value.cloned().unwrap_or(Value::Null)))
}

/// The related rows of one row for one expanded relation.
#[derive(Debug)]
struct Expansion {
    relation: String,
    entity: std::sync::Arc<Entity>,
    selected: Vec<usize>,
    many: bool,
    rows: Vec<QueryRow>,
}

/// One related row as JSON; with full metadata it carries its ETag as a row read alone does.
fn related_json<'a>(expansion: &'a Expansion, row: &'a QueryRow, level: Metadata, root: &'a str) -> RowJson<'a> {
    RowJson {
        entity: &expansion.entity,
        values: &row.values,
        selected: &expansion.selected,
        etag: (level == Metadata::Full).then(|| etag(row.version)),
        expanded: Vec::new(),
        metadata: level,
        root,
    }
}

/// A row's expansions as JSON.
fn expanded_json<'a>(expansions: &'a [Expansion], level: Metadata, root: &'a str) -> Vec<(&'a str, Expanded<'a>)> {
    expansions
        .iter()
        .map(|expansion| {
            let json = |row| related_json(expansion, row, level, root);
            let value = if expansion.many {
                Expanded::Many(expansion.rows.iter().map(json).collect())
            } else {
                Expanded::One(expansion.rows.first().map(|row| Box::new(json(row))))
            };
            (expansion.relation.as_str(), value)
        })
        .collect()
}

fn not_found(entity: &Entity) -> Error {
    Error::not_found(format!("There is no such {} (or it belongs to a company you may not see).", entity.name))
}

/// `odata.maxpagesize=N` from a `Prefer` header.
fn max_page_size(prefer: &str) -> Option<u64> {
    prefer.split(',').find_map(|preference| {
        let (name, value) = preference.split_once('=')?;
        let name = name.trim();
        (name.eq_ignore_ascii_case("odata.maxpagesize") || name.eq_ignore_ascii_case("maxpagesize"))
            .then(|| value.trim().trim_matches('"').parse().ok())
            .flatten()
    })
}

/// The context URL of a collection: the set, with its projection when `$select` narrows it or
/// an expansion has its own `$select` (OData 4.0 Part 1 §10.7–10.10): `#Set(A,B,Nav,Nav(C))`,
/// D365's form. Each selected property once; an expanded navigation property by its name when
/// `$select` narrows the set (it is part of what each row holds, as D365 lists it), and with
/// its own projection in parentheses only when the expansion's `$select` narrows it. `Nav()`
/// is 4.01's mark of an expansion without options, which a 4.0 response leaves out.
fn context(
    request: &Request<'_>,
    catalog: &Catalog,
    entity: &Entity,
    options: &QueryOptions,
    selected: &[usize],
    expand: &[(&Relation, &ExpandItem)],
) -> String {
    let mut context = format!("{}/$metadata#{}", request.root, entity.entity_set);
    let narrowed = !options.select.is_empty() && selected.len() < entity.fields.len();
    let mut names: Vec<String> = Vec::new();
    if narrowed {
        names.extend(selected.iter().filter_map(|&index| entity.fields.get(index)).map(|field| field.name.clone()));
    }
    let explicitly_selected = Translator::new(entity).select(&options.select).map(|(_, relations)| relations);
    for relation in explicitly_selected.unwrap_or_default() {
        if !expand.iter().any(|(expanded, _)| expanded.name == relation) {
            names.push(relation);
        }
    }
    for (relation, item) in expand {
        if narrowed {
            names.push(relation.name.clone());
        }
        let Some(target) = catalog.get(&relation.entity) else { continue };
        let Ok((nested, _)) = Translator::new(target).select(&item.options.select) else { continue };
        if !item.options.select.is_empty() && nested.len() < target.fields.len() {
            let fields: Vec<&str> =
                nested.iter().filter_map(|&index| target.fields.get(index)).map(|field| field.name.as_str()).collect();
            names.push(format!("{}({})", relation.name, fields.join(",")));
        }
    }
    if !names.is_empty() {
        context.push('(');
        context.push_str(&names.join(","));
        context.push(')');
    }
    context
}

/// The next page's URL: this request's query with `$skip`/`$top`/`$skiptoken` replaced by a
/// page token.
fn next_link(request: &Request<'_>, token: &PageToken) -> Result<String, Error> {
    let json = serde_json::to_vec(token).map_err(anyhow::Error::from)?;
    let mut query: Vec<&str> = request
        .query
        .split('&')
        .filter(|part| !part.is_empty())
        .filter(|part| {
            let name = part.split('=').next().unwrap_or_default().to_ascii_lowercase();
            !matches!(name.as_str(), "$skip" | "$top" | "$skiptoken" | "%24skip" | "%24top" | "%24skiptoken")
        })
        .collect();
    let token = format!("$skiptoken={}", URL_SAFE_NO_PAD.encode(json));
    query.push(&token);
    Ok(format!("{}/{}?{}", request.root, request.path.trim_start_matches('/'), query.join("&")))
}

fn decode_token(text: &str) -> Result<PageToken, Error> {
    let invalid = || Error::bad_request("$skiptoken is not a page token this service gave.");
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// A sort value in a page token: null, a number, a boolean or text.
fn token_value(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(number) => (*number).into(),
        Value::Boolean(flag) => (*flag).into(),
        Value::Float(number) => serde_json::Number::from_f64(*number).map_or(serde_json::Value::Null, Into::into),
        Value::String(text) | Value::Decimal(text) | Value::Date(text) | Value::DateTime(text) => text.clone().into(),
    }
}

/// A page token's sort values back as values of the sort fields.
fn token_values(entity: &Entity, sort: &[Order], values: &[serde_json::Value]) -> Result<Vec<Value>, Error> {
    let invalid = || Error::bad_request("$skiptoken does not match this query's order.");
    if values.len() != sort.len() {
        return Err(invalid());
    }
    sort.iter()
        .zip(values)
        .map(|(order, value)| {
            let field = entity.fields.get(order.field).ok_or_else(invalid)?;
            Ok(match (value, &field.field_type) {
                (serde_json::Value::Null, _) => Value::Null,
                (serde_json::Value::Number(number), FieldType::Integer) => {
                    Value::Integer(number.as_i64().ok_or_else(invalid)?)
                }
                (serde_json::Value::Bool(flag), FieldType::Boolean) => Value::Boolean(*flag),
                (serde_json::Value::String(text), FieldType::Decimal { .. }) => Value::Decimal(text.clone()),
                (serde_json::Value::String(text), _) => Value::String(text.clone()),
                _ => return Err(invalid()),
            })
        })
        .collect()
}
