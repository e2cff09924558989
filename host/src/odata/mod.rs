//! The OData v4 entity service over the entity store, as D365 F&O offers it under `/data`:
//! the service document, `$metadata`, entity sets with D365's query options, writes with
//! ETags, `$batch` with atomic change sets, and bound actions run by action plugins.
//!
//! Nothing here names HTTP framework types: a [`Request`] goes in and a [`Response`] comes out,
//! so the REST layer and `$batch` parts take the same path. Calls block (SQLite, WASM): run
//! them off the async threads.
//!
//! Conformance: OData 4.0 Minimal + Updatable with the query options D365 supports
//! (`reliability-security-odata.md` §D.1); what is parsed but not served answers 501.

pub mod actions;
pub mod batch;
mod json;
pub mod metadata;
mod query;
mod read;
pub mod syntax;
mod write;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::entity::{Catalog, Entity};
use crate::plugin::{ParamType, Registry, ValueType};
use crate::store::Store;
use json::Metadata;
use syntax::{QueryOptions, Segment};

pub use metadata::NAMESPACE;

/// How big answers and requests may get.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Rows per page before `@odata.nextLink` takes over; a client's `Prefer:
    /// odata.maxpagesize` can only lower it. D365 pages at 10,000.
    pub max_page_size: u64,
    /// Operations one `$batch` may hold; D365 allows 5,000.
    pub max_batch_operations: usize,
    /// Related rows one `$expand` of one row may return.
    pub max_expanded_rows: u64,
    /// The largest request body, a `$batch` above all.
    pub max_batch_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_page_size: 10_000,
            max_batch_operations: 5_000,
            max_expanded_rows: 10_000,
            max_batch_bytes: 64 * 1024 * 1024,
        }
    }
}

/// HTTP methods the service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Create, run an action, or send a batch.
    Post,
    /// Merge changes into an entity.
    Patch,
    /// Replace an entity.
    Put,
    /// Remove an entity.
    Delete,
}

impl Method {
    /// The method named `name`, if the service answers it.
    pub fn parse(name: &str) -> Option<Method> {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PATCH" | "MERGE" => Some(Method::Patch),
            "PUT" => Some(Method::Put),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }
}

/// One request to the service.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The resource path after the service root (`CustomersV3(dataAreaId='usmf',…)`), still
    /// percent-encoded.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The request headers that matter (`If-Match`, `Prefer`, `Content-Type`, `Accept`,
    /// `OData-MaxVersion`), any case.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
    /// Who calls.
    pub caller: &'a Caller,
    /// The service root as clients reach it, e.g. `https://host/data`.
    pub root: &'a str,
}

impl Request<'_> {
    /// The value of header `name`, if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(self.headers, name)
    }
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(header, _)| header.eq_ignore_ascii_case(name)).map(|(_, value)| value.trim())
}

/// The service's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Headers to send, besides `OData-Version`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The content type of every JSON answer.
pub const JSON: &str = "application/json; odata.metadata=minimal; charset=utf-8";

impl Response {
    fn json(status: u16, body: &impl serde::Serialize) -> Response {
        match serde_json::to_vec(body) {
            Ok(body) => Response { status, headers: vec![("Content-Type".into(), JSON.into())], body },
            Err(error) => Error::internal(&anyhow::Error::new(error)).into(),
        }
    }

    fn empty(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The answer with its JSON `Content-Type` naming the metadata level it was written at,
    /// which clients read to know what control information to expect (OData JSON Format 4.0
    /// §3.1).
    fn at_level(mut self, level: Metadata) -> Response {
        for (name, value) in &mut self.headers {
            if name.eq_ignore_ascii_case("Content-Type") && value == JSON {
                level.content_type().clone_into(value);
            }
        }
        self
    }
}

/// A request the service refuses, and what the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The HTTP status.
    pub status: u16,
    /// A sentence for the client.
    pub message: String,
}

impl Error {
    /// A failure with `status`.
    pub fn new(status: u16, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::new(400, message)
    }

    /// 404: no such resource, or one outside the caller's companies.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(404, message)
    }

    /// 501: valid OData the service does not offer.
    pub fn not_implemented(message: impl Into<String>) -> Error {
        Error::new(501, message)
    }

    /// 500, logged with its details, which the client does not see.
    pub fn internal(error: &anyhow::Error) -> Error {
        tracing::error!("OData request failed: {error:#}");
        Error::new(500, "An error has occurred.")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast_ref::<crate::store::TooDeep>() {
            Some(too_deep) => Error::bad_request(format!("The query is too complex: {too_deep}.")),
            None => Error::internal(&error),
        }
    }
}

impl From<syntax::SyntaxError> for Error {
    fn from(error: syntax::SyntaxError) -> Self {
        Error::bad_request(format!("The URL is not valid OData: {error}."))
    }
}

impl From<Error> for Response {
    fn from(error: Error) -> Self {
        let mut headers = vec![("Content-Type".into(), JSON.into())];
        // The service answers 503 only for work that frees up within a second or so.
        if error.status == 503 {
            headers.push(("Retry-After".into(), "1".into()));
        }
        Response { status: error.status, headers, body: error_body(error.status, &error.message) }
    }
}

/// OData's error JSON, in the shape D365 answers (clients read `error.innererror.message`,
/// then `error.message`).
pub fn error_body(status: u16, message: &str) -> Vec<u8> {
    let kind = match status {
        400 => "Wharf.BadRequest",
        401 => "Wharf.Unauthorized",
        403 => "Wharf.Forbidden",
        404 => "Wharf.NotFound",
        405 => "Wharf.MethodNotAllowed",
        406 => "Wharf.NotAcceptable",
        409 => "Wharf.Conflict",
        412 => "Wharf.PreconditionFailed",
        413 => "Wharf.PayloadTooLarge",
        429 => "Wharf.TooManyRequests",
        501 => "Wharf.NotImplemented",
        _ => "Wharf.ServerError",
    };
    let body = json!({
        "error": {
            "code": "",
            "message": message,
            "innererror": { "message": message, "type": kind, "stacktrace": "" }
        }
    });
    body.to_string().into_bytes()
}

/// The OData service of one deployment.
#[derive(Debug, Clone)]
pub struct Service {
    store: Store,
    registry: Arc<Registry>,
    actions: actions::Actions,
    settings: Arc<Settings>,
    /// Where rows without a named company go, and what a caller sees without `cross-company`.
    default_company: Option<String>,
    /// Requests (and `$batch` operations) answered 501, since the service started.
    unsupported: Arc<AtomicU64>,
}

/// Where a request stands: sent on its own, or as an operation of a `$batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Top,
    InBatch,
}

/// What a request resolved to before it runs.
enum Target<'a> {
    ServiceDocument,
    Metadata,
    Batch,
    Collection(Arc<Entity>),
    Count(Arc<Entity>),
    Entity(Arc<Entity>, &'a syntax::Key),
    Property(Arc<Entity>, &'a syntax::Key, &'a str),
    /// `{Set}({key})/{Property}/$value`.
    RawValue(Arc<Entity>, &'a syntax::Key, &'a str),
    /// `{Set}({key})/{Navigation}`.
    Navigation(Arc<Entity>, &'a syntax::Key, &'a str),
    /// `{Set}({key})/{Navigation}/$count`.
    NavigationCount(Arc<Entity>, &'a syntax::Key, &'a str),
    Action(Arc<Entity>, Option<&'a syntax::Key>, &'a str),
}

impl Service {
    /// The service over `store`'s entities, running actions and filters from `registry`.
    pub fn new(store: Store, registry: Arc<Registry>, settings: Settings, default_company: Option<String>) -> Service {
        let default_company = default_company.map(|company| company.to_ascii_lowercase());
        let actions = actions::Actions::new(registry.clone(), store.clone(), default_company.clone());
        Service {
            store,
            registry,
            actions,
            settings: Arc::new(settings),
            default_company,
            unsupported: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many requests and `$batch` operations were answered 501 (valid OData the service
    /// does not offer) since it started: what clients ask for that Wharf lacks.
    pub fn unsupported_requests(&self) -> u64 {
        self.unsupported.load(Ordering::Relaxed)
    }

    /// The answer to a refused request. A 501 is counted and logged at info, not as an error:
    /// a client asking for what the service does not offer is no fault of the server, and
    /// nothing an operator should be paged for.
    fn refusal(&self, request: &Request<'_>, error: Error) -> Response {
        if error.status == 501 {
            self.unsupported.fetch_add(1, Ordering::Relaxed);
            tracing::info!(path = request.path, query = request.query, "unsupported OData request: {}", error.message);
        }
        error.into()
    }

    /// The entities served.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.store.catalog()
    }

    /// Answers one request.
    pub fn handle(&self, request: &Request<'_>) -> Response {
        self.answer(request, Place::Top)
            .unwrap_or_else(|error| self.refusal(request, error))
            .with_header("OData-Version", "4.0")
    }

    /// Answers `request`, sent on its own or as an operation of a batch (`place`).
    fn answer(&self, request: &Request<'_>, place: Place) -> Result<Response, Error> {
        check_versions(request)?;
        let segments = syntax::parse_path(request.path)?;
        let options = syntax::parse_query(request.query)?;
        if let Some(option) = options.unsupported.first() {
            return Err(Error::not_implemented(format!("The query option {option} is not supported.")));
        }
        if let Some(format) = &options.format
            && !format.eq_ignore_ascii_case("json")
            && !format.starts_with("application/json")
        {
            return Err(Error::new(406, format!("$format={format} is not offered; use json.")));
        }
        let level = Metadata::requested(options.format.as_deref(), request.header("Accept"))?;
        let catalog = self.catalog();
        let response = match (self.target(&catalog, &segments)?, request.method) {
            (Target::ServiceDocument, Method::Get) => {
                let mut document = metadata::service_document(&catalog, request.root);
                if let Some(document) = document.as_object_mut().filter(|_| !level.has_context()) {
                    document.remove("@odata.context");
                }
                Ok(Response::json(200, &document))
            }
            (Target::Metadata, Method::Get) => Ok(Response {
                status: 200,
                headers: vec![("Content-Type".into(), "application/xml".into())],
                body: metadata::csdl(&catalog, &actions::declarations(&self.registry)).into_bytes(),
            }),
            // Decided on the resolved path, however the URL spells `$batch`: a batch inside a
            // batch would recurse once per level, as deep as a client cares to nest.
            (Target::Batch, Method::Post) if place == Place::InBatch => {
                Err(Error::bad_request("A batch cannot hold another batch."))
            }
            (Target::Batch, Method::Post) => self.batch(request),
            (Target::Collection(entity), Method::Get) => self.read_collection(request, &entity, &options, None, level),
            (Target::Count(entity), Method::Get) => self.count(request, &entity, &options, None),
            (Target::Entity(entity, key), Method::Get) => self.read_entity(request, &entity, key, &options, level),
            (Target::Property(entity, key, property), Method::Get) => {
                self.read_property(request, &entity, key, property, level)
            }
            (Target::RawValue(entity, key, property), Method::Get) => {
                self.read_raw_value(request, &entity, key, property)
            }
            (Target::Navigation(entity, key, name), Method::Get) => {
                self.read_navigation(request, &entity, key, name, &options, level)
            }
            (Target::NavigationCount(entity, key, name), Method::Get) => {
                self.count_navigation(request, &entity, key, name, &options)
            }
            (Target::Collection(entity), Method::Post) => {
                self.in_unit(|unit| self.create(request, &entity, level, unit))
            }
            (Target::Entity(entity, key), Method::Patch | Method::Put) => {
                self.in_unit(|unit| self.update(request, &entity, key, level, unit))
            }
            (Target::Entity(entity, key), Method::Delete) => {
                self.in_unit(|unit| self.delete(request, &entity, key, unit))
            }
            (Target::Action(entity, key, action), Method::Post) => self.action(request, &entity, key, action, level),
            _ => Err(Error::new(405, "The resource does not answer this method.")),
        }?;
        Ok(response.at_level(level))
    }

    /// What the path names.
    fn target<'s>(&self, catalog: &Catalog, segments: &'s [Segment]) -> Result<Target<'s>, Error> {
        let entity_set = |name: &str| {
            catalog
                .iter()
                .find(|entity| entity.entity_set == name)
                .cloned()
                .ok_or_else(|| Error::not_found(format!("There is no entity set {name}.")))
        };
        let action_name = |name: &'s str| name.strip_prefix(NAMESPACE).and_then(|rest| rest.strip_prefix('.'));
        Ok(match segments {
            [] => Target::ServiceDocument,
            [Segment::Metadata] => Target::Metadata,
            [Segment::Batch] => Target::Batch,
            [Segment::Name(set)] => Target::Collection(entity_set(set)?),
            [Segment::Name(set), Segment::Count] => Target::Count(entity_set(set)?),
            [Segment::Name(set), Segment::Key(key)] => Target::Entity(entity_set(set)?, key),
            [Segment::Name(set), Segment::Name(name)] => match action_name(name) {
                Some(action) => Target::Action(entity_set(set)?, None, action),
                None => return Err(Error::not_found(format!("{set} has no {name}."))),
            },
            [Segment::Name(set), Segment::Key(key), Segment::Name(name)] => {
                let entity = entity_set(set)?;
                match action_name(name) {
                    Some(action) => Target::Action(entity, Some(key), action),
                    None if is_navigation(&entity, name) => Target::Navigation(entity, key, name),
                    None => Target::Property(entity, key, name),
                }
            }
            [Segment::Name(set), Segment::Key(key), Segment::Name(name), Segment::Value] => {
                let entity = entity_set(set)?;
                if is_navigation(&entity, name) {
                    return Err(Error::bad_request(format!("{name} leads to entities, which have no $value.")));
                }
                Target::RawValue(entity, key, name)
            }
            [Segment::Name(set), Segment::Key(key), Segment::Name(name), Segment::Count] => {
                let entity = entity_set(set)?;
                if !entity.relations.iter().any(|relation| relation.name == *name && relation.many) {
                    return Err(Error::bad_request(format!("$count follows a collection; {name} is not one.")));
                }
                Target::NavigationCount(entity, key, name)
            }
            _ => return Err(Error::not_implemented("This resource path is not supported.")),
        })
    }

    /// Runs `work` in a unit of work committed when it succeeds.
    fn in_unit(
        &self,
        work: impl FnOnce(&mut crate::store::StoreUnit) -> Result<Response, Error>,
    ) -> Result<Response, Error> {
        let mut unit = self.store.unit()?;
        let response = work(&mut unit)?;
        crate::plugin::UnitOfWork::commit(Box::new(unit))?;
        Ok(response)
    }

    /// The company rows go to when a caller names none: the deployment's default company
    /// when the caller may see it, else the first company the caller may see.
    pub fn default_company(&self, caller: &Caller) -> Option<String> {
        actions::default_company(self.default_company.as_deref(), caller)
    }

    /// Answers a `$batch` request: each operation in turn, each change set in one unit of
    /// work that commits only when every operation in it succeeds.
    fn batch(&self, request: &Request<'_>) -> Result<Response, Error> {
        let content_type = request.header("Content-Type").unwrap_or_default();
        let limits = batch::Limits { max_operations: self.settings.max_batch_operations, ..batch::Limits::default() };
        let items =
            batch::parse(content_type, request.body, &limits).map_err(|error| Error::bad_request(error.to_string()))?;
        let mut responses = Vec::with_capacity(items.len());
        for item in &items {
            responses.push(match item {
                batch::Item::Operation(operation) => {
                    batch::ItemResponse::Operation(self.batch_operation(request, operation, None))
                }
                batch::Item::ChangeSet(operations) => {
                    batch::ItemResponse::ChangeSet(self.change_set(request, operations))
                }
            });
        }
        let (content_type, body) = batch::write(&responses);
        Ok(Response { status: 200, headers: vec![("Content-Type".into(), content_type)], body })
    }

    /// A change set's operations in one unit of work: every response when all succeeded and
    /// committed, else the first failure alone (as D365 answers).
    fn change_set(&self, request: &Request<'_>, operations: &[batch::Operation]) -> Vec<batch::OperationResponse> {
        let mut unit = match self.store.unit() {
            Ok(unit) => unit,
            Err(error) => return vec![failed(None, Error::internal(&error))],
        };
        let mut responses: Vec<batch::OperationResponse> = Vec::with_capacity(operations.len());
        let mut locations: Vec<(String, String)> = Vec::new();
        for operation in operations {
            let url = match batch::resolve_reference(&operation.url, &locations) {
                Ok(url) => url,
                Err(error) => return vec![failed(operation.content_id.clone(), Error::bad_request(error.to_string()))],
            };
            let operation = batch::Operation { url, ..operation.clone() };
            let response = self.batch_operation(request, &operation, Some(&mut unit));
            if response.status >= 400 {
                return vec![response];
            }
            if let (Some(id), Some((_, location))) =
                (&operation.content_id, response.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("Location")))
            {
                locations.push((id.clone(), location.clone()));
            }
            responses.push(response);
        }
        match crate::plugin::UnitOfWork::commit(Box::new(unit)) {
            Ok(()) => responses,
            Err(error) => vec![failed(None, Error::internal(&error))],
        }
    }

    /// One operation of a batch, inside a change set's unit when given.
    fn batch_operation(
        &self,
        outer: &Request<'_>,
        operation: &batch::Operation,
        unit: Option<&mut crate::store::StoreUnit>,
    ) -> batch::OperationResponse {
        let response = match self.operation_request(outer, operation) {
            Ok((method, path, query)) => {
                let request = Request {
                    method,
                    path: &path,
                    query: &query,
                    headers: &operation.headers,
                    body: &operation.body,
                    caller: outer.caller,
                    root: outer.root,
                };
                match unit {
                    None => self
                        .answer(&request, Place::InBatch)
                        .unwrap_or_else(|error| self.refusal(&request, error))
                        .with_header("OData-Version", "4.0"),
                    Some(unit) => self
                        .change(&request, unit)
                        .unwrap_or_else(|error| self.refusal(&request, error))
                        .with_header("OData-Version", "4.0"),
                }
            }
            Err(error) => error.into(),
        };
        batch::OperationResponse {
            content_id: operation.content_id.clone(),
            status: response.status,
            headers: response.headers,
            body: response.body,
        }
    }

    /// A write inside a change set.
    fn change(&self, request: &Request<'_>, unit: &mut crate::store::StoreUnit) -> Result<Response, Error> {
        check_versions(request)?;
        let segments = syntax::parse_path(request.path)?;
        let options = syntax::parse_query(request.query)?;
        let level = Metadata::requested(options.format.as_deref(), request.header("Accept"))?;
        let catalog = self.catalog();
        let response = match (self.target(&catalog, &segments)?, request.method) {
            (Target::Collection(entity), Method::Post) => self.create(request, &entity, level, unit),
            (Target::Entity(entity, key), Method::Patch | Method::Put) => {
                self.update(request, &entity, key, level, unit)
            }
            (Target::Entity(entity, key), Method::Delete) => self.delete(request, &entity, key, unit),
            (Target::Action(..), _) => {
                Err(Error::not_implemented("Actions cannot run inside a change set; send them outside it."))
            }
            _ => Err(Error::bad_request("A change set holds only POST, PATCH, PUT and DELETE of entities.")),
        }?;
        Ok(response.at_level(level))
    }

    /// An operation's method, resource path and query, from its absolute or relative URL.
    fn operation_request(
        &self,
        outer: &Request<'_>,
        operation: &batch::Operation,
    ) -> Result<(Method, String, String), Error> {
        let method = Method::parse(&operation.method)
            .ok_or_else(|| Error::new(405, format!("{} is not a method the service answers.", operation.method)))?;
        let url = operation.url.as_str();
        let relative = if let Some(rest) = url.strip_prefix(outer.root) {
            rest
        } else if url.starts_with("http://") || url.starts_with("https://") {
            // Another host's URL: only the path after `/data` is this service's.
            let path_start = url
                .find("://")
                .map(|scheme| scheme + 3)
                .and_then(|start| url[start..].find('/').map(|slash| start + slash));
            let path = path_start.map_or("", |start| &url[start..]);
            path.strip_prefix("/data")
                .ok_or_else(|| Error::bad_request(format!("{url} is not a URL of this service.")))?
        } else {
            url.strip_prefix("/data").unwrap_or(url)
        };
        let relative = relative.trim_start_matches('/');
        let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
        Ok((method, path.to_owned(), query.to_owned()))
    }

    /// Runs a bound action.
    fn action(
        &self,
        request: &Request<'_>,
        entity: &Entity,
        key: Option<&syntax::Key>,
        action: &str,
        level: Metadata,
    ) -> Result<Response, Error> {
        let key = key.map(|key| query::Translator::new(entity).key(key)).transpose()?;
        // A row's action reaches what reading the row reaches.
        if let Some(company) = key.as_ref().and_then(|key| read::row_company(entity, key))
            && !self.in_scope(request, &company)
        {
            return Err(Error::not_found(format!("There is no such {}.", entity.name)));
        }
        let parameters = if request.body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_slice(request.body)
                .map_err(|error| Error::bad_request(format!("The parameters are not a JSON object: {error}.")))?
        };
        let company = self.default_company(request.caller);
        let returns = self.declared_result(entity, action, key.is_none());
        let result = self.actions.invoke_bound(entity, action, key, company.as_deref(), parameters, request.caller)?;
        let Some(result) = result else { return Ok(Response::empty(204)) };
        let plain = ValueType::plain(ParamType::String);
        let returns = returns.unwrap_or(plain);
        // An operation's result: `#{type-name}` (OData 4.0 Part 1 §10.16).
        let type_name = metadata::edm(&returns);
        let context =
            level.has_context().then(|| serde_json::Value::String(format!("{}/$metadata#{type_name}", request.root)));
        // The plugin's result is spliced in as it wrote it, not rebuilt: one with declared
        // members was checked against them before its changes were committed.
        let body = match (&returns.complex, returns.param_type) {
            // A complex value is its own members, the context first (OData 4.0 JSON Format
            // §11, "Individual Property": a complex property or operation result "is
            // represented as a complex value"), as D365 answers a data contract.
            (Some(_), ParamType::Object) => match context {
                Some(context) => {
                    let members = result.get().trim_start().strip_prefix('{').unwrap_or_default();
                    let separator = if members.trim_start().starts_with('}') { "" } else { "," };
                    format!("{{\"@odata.context\":{context}{separator}{members}")
                }
                None => result.get().to_owned(),
            },
            // Objects and arrays without members travel as the JSON text, as `$metadata`
            // declares them (see `metadata::edm`); a collection and a primitive in `value`.
            (None, ParamType::Object | ParamType::Array) => {
                wrapped(context, &serde_json::to_string(result.get()).map_err(anyhow::Error::from)?)
            }
            _ => wrapped(context, result.get()),
        };
        Ok(Response { status: 200, headers: vec![("Content-Type".into(), JSON.into())], body: body.into_bytes() })
    }

    /// The result type `$metadata` declares for action `action` bound to `entity`'s rows (or
    /// to its set, when `collection`).
    fn declared_result(&self, entity: &Entity, action: &str, collection: bool) -> Option<ValueType> {
        actions::declarations(&self.registry)
            .into_iter()
            .find(|declaration| {
                let (bound, on_set) = match &declaration.binding {
                    metadata::BoundTo::Entity(bound) => (bound, false),
                    metadata::BoundTo::Collection(bound) => (bound, true),
                };
                declaration.name == action && on_set == collection && entity.answers_to(bound)
            })
            .and_then(|declaration| declaration.returns)
    }
}

/// `{"@odata.context":…,"value":…}`: an operation's primitive or collection result (OData 4.0
/// JSON Format §11), without the context at `odata.metadata=none`.
fn wrapped(context: Option<serde_json::Value>, value: &str) -> String {
    match context {
        Some(context) => format!("{{\"@odata.context\":{context},\"value\":{value}}}"),
        None => format!("{{\"value\":{value}}}"),
    }
}

/// Whether `name` is one of `entity`'s navigation properties.
fn is_navigation(entity: &Entity, name: &str) -> bool {
    entity.relations.iter().any(|relation| relation.name == name)
}

/// A failed operation's response.
fn failed(content_id: Option<String>, error: Error) -> batch::OperationResponse {
    let response = Response::from(error);
    batch::OperationResponse { content_id, status: response.status, headers: response.headers, body: response.body }
}

/// Refuses a client that only speaks OData versions before 4.0.
fn check_versions(request: &Request<'_>) -> Result<(), Error> {
    if let Some(max) = request.header("OData-MaxVersion") {
        let major = max.split('.').next().and_then(|major| major.trim().parse::<u32>().ok());
        if major.is_some_and(|major| major < 4) {
            return Err(Error::bad_request(format!(
                "This service speaks OData 4.0; OData-MaxVersion {max} is below it."
            )));
        }
    }
    Ok(())
}

/// Whether query options name `cross-company=true`.
fn cross_company(options: &QueryOptions) -> bool {
    options
        .custom
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case("cross-company") && value.eq_ignore_ascii_case("true"))
}
