//! Bound actions and custom services, run by action plugins: finding the action a call
//! names, checking its parameters against the plugin's manifest before the plugin runs, and
//! running it in a unit of work that reaches only the companies the caller is granted.
//!
//! Pure of HTTP: the OData service calls [`Actions::invoke_bound`], the REST layer calls
//! [`Actions::discover`] and [`Actions::invoke_service`] for `/api/services`. Calls block
//! (SQLite, WASM): run them off the async threads.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json, json};
use wharf_plugin_sdk::{Context, Value};

use super::metadata::{ActionDecl, BoundTo};
use crate::auth::{Caller, Companies};
use crate::entity::convert::{ParseOptions, parse_value};
use crate::entity::{COMPANY_FIELD, Catalog, Entity, Field, FieldType};
use crate::plugin::entities::Fields;
use crate::plugin::manifest::{ActionBinding, ActionParameter, ActionTarget};
use crate::plugin::{CallError, CallErrorKind, Entities, ParamType, Plugin, Registry, UnitOfWork, ValueType};
use crate::store::Store;

/// The input member that carries the bound row's key to an instance-bound action; the SDK's
/// `Params::key` reads it. Clients cannot set it: members with `@` are annotations and are
/// dropped from what they send.
pub const KEY_MEMBER: &str = "@key";

/// Why an action call failed, by what the caller should be told.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No such action, service or bound row, or one in a company the caller may not see
    /// (404; the two look the same).
    #[error("{0}")]
    NotFound(String),
    /// The parameters do not match the action's declaration (400); the plugin did not run.
    #[error("{0}")]
    BadRequest(String),
    /// The action tried to change data of a company the caller is not granted (403);
    /// nothing it changed was committed.
    #[error("{0}")]
    Forbidden(String),
    /// The plugin ran and refused, with its own message (400); nothing was committed.
    ///
    /// D365 answers an X++ error in an action with 500 and the message in `innererror`.
    /// Wharf answers 400 with the same message in `message` and `innererror.message` (where
    /// D365's clients look first): the request was understood and refused by a business
    /// rule, so the same request would fail again, and a 5xx invites automatic retries.
    #[error("{0}")]
    Refused(String),
    /// The plugin could not finish: a trap, a time, memory or output limit, or a result
    /// that is not JSON (500); nothing was committed.
    #[error("action {action}: {error}")]
    Aborted {
        /// The action called.
        action: String,
        /// What stopped it.
        error: CallError,
    },
    /// The host failed around the call, e.g. reading the bound row (500).
    #[error("{0:#}")]
    Internal(anyhow::Error),
}

impl ActionError {
    /// The HTTP status and the message for the client. Details a client must not see (a
    /// trap's panic text, a host error) are logged here, once, and replaced by a sentence.
    pub fn answer(&self) -> (u16, String) {
        match self {
            ActionError::NotFound(message) => (404, message.clone()),
            ActionError::BadRequest(message) | ActionError::Refused(message) => (400, message.clone()),
            ActionError::Forbidden(message) => (403, message.clone()),
            ActionError::Aborted { action, error } => match &error.kind {
                // The plugin's share of the instance pool is taken: its callers retry, and
                // nobody else is affected (see `plugin::shares`).
                CallErrorKind::Busy { .. } => {
                    tracing::info!("action {action} refused: {error}");
                    (503, format!("The action {action} is busy with other calls; retry shortly."))
                }
                CallErrorKind::Timeout { .. } | CallErrorKind::Memory { .. } | CallErrorKind::Output { .. } => {
                    tracing::warn!("action {action} stopped: {error}");
                    let (plugin, kind) = (&error.plugin, &error.kind);
                    (500, format!("The action {action} of plugin {plugin} {kind}; nothing was changed."))
                }
                _ => {
                    tracing::error!("action {action} failed: {error}");
                    (500, format!("The action {action} failed in its plugin; nothing was changed."))
                }
            },
            ActionError::Internal(error) => {
                tracing::error!("action call failed: {error:#}");
                (500, "An error has occurred.".to_owned())
            }
        }
    }
}

impl From<ActionError> for super::Error {
    fn from(error: ActionError) -> Self {
        let (status, message) = error.answer();
        super::Error::new(status, message)
    }
}

/// The actions callers can reach, and the way to call them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Actions {
    registry: Arc<Registry>,
    store: Store,
    /// The company a custom-service call runs in when the caller names none.
    default_company: Option<String>,
}

/// One reachable action: its plugin, name and binding.
struct Exposed {
    plugin: Arc<Plugin>,
    action: String,
    binding: ActionBinding,
}

impl Actions {
    /// The actions of `registry`'s plugins over `store`'s entities; `default_company` is the
    /// deployment's.
    pub fn new(registry: Arc<Registry>, store: Store, default_company: Option<String>) -> Actions {
        let default_company = default_company.map(|company| company.to_ascii_lowercase());
        Actions { registry, store, default_company }
    }

    /// Custom-service discovery, as D365 answers `GET /api/services[/{group}[/{service}[/{operation}]]]`:
    /// `path` is those segments. Names match without regard to case.
    pub fn discover(&self, path: &[&str]) -> Result<Json, ActionError> {
        let operations: Vec<(String, String, Exposed)> = exposed(&self.registry)
            .into_iter()
            .filter_map(|exposed| match &exposed.binding.target {
                ActionTarget::Service { group, service } => Some((group.clone(), service.clone(), exposed)),
                ActionTarget::Entity { .. } => None,
            })
            .collect();
        let names = |names: Vec<&str>| {
            let mut unique: Vec<&str> = Vec::new();
            for name in names {
                if !unique.iter().any(|seen| same(seen, name)) {
                    unique.push(name);
                }
            }
            unique.sort_by_key(|name| name.to_ascii_lowercase());
            unique.into_iter().map(|name| json!({ "Name": name })).collect::<Vec<_>>()
        };
        // The operations under the path's group and service, as far as it names them.
        let under: Vec<&(String, String, Exposed)> = operations
            .iter()
            .filter(|(group, service, _)| {
                path.first().is_none_or(|wanted| same(group, wanted))
                    && path.get(1).is_none_or(|wanted| same(service, wanted))
            })
            .collect();
        if !path.is_empty() && under.is_empty() {
            return Err(no_service(path));
        }
        match path {
            [] => Ok(json!({ "ServiceGroups": names(under.iter().map(|(group, _, _)| group.as_str()).collect()) })),
            [_] => Ok(json!({ "Services": names(under.iter().map(|(_, service, _)| service.as_str()).collect()) })),
            [_, _] => Ok(json!({ "Operations": names(under.iter().map(|(_, _, op)| op.action.as_str()).collect()) })),
            [_, _, operation] => {
                let (_, _, exposed) =
                    under.iter().find(|(_, _, op)| same(&op.action, operation)).ok_or_else(|| no_service(path))?;
                let parameters: Vec<Json> = exposed
                    .binding
                    .parameters
                    .iter()
                    .map(|parameter| described(&parameter.name, &parameter.value_type))
                    .collect();
                let returns = match &exposed.binding.returns {
                    Some(returns) => described("return", returns),
                    None => json!({ "Name": "return", "Type": "void" }),
                };
                Ok(json!({ "Parameters": parameters, "Return": returns }))
            }
            _ => Err(no_service(path)),
        }
    }

    /// Calls custom-service operation `group/service/operation` with `params` (a JSON object
    /// keyed by parameter name; `null` for none) in `company` (the caller's default when
    /// `None`). Returns the operation's bare result, `null` when it declares none.
    pub fn invoke_service(
        &self,
        (group, service, operation): (&str, &str, &str),
        company: Option<&str>,
        params: Json,
        caller: &Caller,
    ) -> Result<Option<Box<RawValue>>, ActionError> {
        let exposed = exposed(&self.registry)
            .into_iter()
            .find(|exposed| {
                matches!(&exposed.binding.target, ActionTarget::Service { group: g, service: s }
                    if same(g, group) && same(s, service))
                    && same(&exposed.action, operation)
            })
            .ok_or_else(|| no_service(&[group, service, operation]))?;
        let company = match company.map(str::trim).filter(|company| !company.is_empty()) {
            Some(company) if caller.may_see(company) => Some(company.to_ascii_lowercase()),
            Some(company) => return Err(ActionError::NotFound(format!("No company {company} exists."))),
            None => default_company(self.default_company.as_deref(), caller),
        };
        let input = parameters(&exposed.action, &exposed.binding, params)?;
        let ctx = Context { company, ..Context::default() };
        self.run(&exposed, &ctx, input, caller)
    }

    /// Runs action `action` bound to `entity`: on the row with `key`, or on the entity set
    /// when `key` is `None`. `company` is the caller's company, for actions on the set and on
    /// rows of shared entities; a company-scoped row's company is its key's. The action sees
    /// the row's key under [`KEY_MEMBER`]. Returns its result, `null` when it declares none.
    pub fn invoke_bound(
        &self,
        entity: &Entity,
        action: &str,
        key: Option<Fields>,
        company: Option<&str>,
        params: Json,
        caller: &Caller,
    ) -> Result<Option<Box<RawValue>>, ActionError> {
        let exposed = exposed(&self.registry)
            .into_iter()
            .find(|exposed| {
                exposed.action == action
                    && matches!(&exposed.binding.target, ActionTarget::Entity { entity: bound, collection }
                        if entity.answers_to(bound) && *collection == key.is_none())
            })
            .ok_or_else(|| {
                let on = if key.is_some() { "a row of" } else { "the entity set" };
                ActionError::NotFound(format!("There is no action {action} bound to {on} {}.", entity.entity_set))
            })?;
        let company = match &key {
            Some(key) if entity.company_scoped => {
                let company = key.iter().find(|(name, _)| name.eq_ignore_ascii_case(COMPANY_FIELD));
                let company = company.map(|(_, value)| value.to_string()).ok_or_else(|| {
                    ActionError::BadRequest(format!("The key of {} needs {COMPANY_FIELD}.", entity.name))
                })?;
                Some(company)
            }
            _ => company.map(str::to_owned),
        };
        let company = company.map(|company| company.to_ascii_lowercase());
        if let Some(company) = &company
            && !caller.may_see(company)
        {
            return Err(ActionError::NotFound(format!("There is no such {}.", entity.name)));
        }
        let mut input = parameters(action, &exposed.binding, params)?;
        if let Some(key) = &key {
            let row = self.store.lookup(&entity.name, key).map_err(ActionError::Internal)?;
            if row.is_none() {
                return Err(ActionError::NotFound(format!("There is no such {}.", entity.name)));
            }
            input.insert(KEY_MEMBER.to_owned(), fields_json(key));
        }
        let ctx = Context { entity: entity.name.clone(), company, ..Context::default() };
        self.run(&exposed, &ctx, input, caller)
    }

    /// Runs the plugin in a unit of work limited to the caller's companies.
    fn run(
        &self,
        exposed: &Exposed,
        ctx: &Context,
        input: Map<String, Json>,
        caller: &Caller,
    ) -> Result<Option<Box<RawValue>>, ActionError> {
        let granted = Granted { store: self.store.clone(), scope: Arc::new(Scope::new(self.store.catalog(), caller)) };
        let action = exposed.action.as_str();
        match exposed.plugin.invoke(ctx, action, &Json::Object(input), &granted) {
            Ok(output) => Ok(match &exposed.binding.returns {
                // A result with declared members was checked before its changes were committed
                // (see `Plugin::invoke`); of any other only the top is checked, and only after.
                Some(returns) => {
                    if let Err(problem) = check_type(returns.param_type, &shallow(&output)) {
                        // The changes are committed by now: the call succeeded, whatever it says.
                        let plugin = exposed.plugin.id();
                        tracing::warn!(plugin, "action {action} should return {returns} and {problem}");
                    }
                    Some(output).filter(|output| output.get() != "null")
                }
                None => None,
            }),
            Err(error) => Err(match (&error.kind, granted.scope.refused()) {
                (CallErrorKind::Failed(_), Some(company)) => ActionError::Forbidden(format!(
                    "The action {action} tried to change data of company {company}, which this caller may not \
                     see; nothing was changed."
                )),
                (CallErrorKind::Failed(message), None) => ActionError::Refused(message.clone()),
                (CallErrorKind::Unsupported(message), _) => ActionError::NotFound(message.clone()),
                _ => ActionError::Aborted { action: action.to_owned(), error },
            }),
        }
    }
}

/// Every action bound to an entity, as `$metadata` declares it, ordered by plugin and action
/// name.
pub fn declarations(registry: &Registry) -> Vec<ActionDecl> {
    exposed(registry)
        .into_iter()
        .filter_map(|exposed| {
            let ActionTarget::Entity { entity, collection } = exposed.binding.target else { return None };
            Some(ActionDecl {
                name: exposed.action,
                binding: if collection { BoundTo::Collection(entity) } else { BoundTo::Entity(entity) },
                parameters: exposed.binding.parameters.into_iter().map(|p| (p.name, p.value_type)).collect(),
                returns: exposed.binding.returns,
            })
        })
        .collect()
}

/// Every action with a binding, from the registry as it is now.
fn exposed(registry: &Registry) -> Vec<Exposed> {
    registry
        .actions()
        .into_iter()
        .filter_map(|(plugin, action)| {
            let binding = plugin.manifest().bindings.get(&action).cloned()?;
            Some(Exposed { plugin, action, binding })
        })
        .collect()
}

/// Whether two service, group or operation names are the same: D365 compares them without
/// regard to case.
fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn no_service(path: &[&str]) -> ActionError {
    ActionError::NotFound(format!("There is no custom service {}.", path.join("/")))
}

/// The company a caller works in when it names none: the deployment's default company when
/// the caller may see it, else the first company the caller is granted.
pub fn default_company(default: Option<&str>, caller: &Caller) -> Option<String> {
    match (default, &caller.companies) {
        (Some(company), _) if caller.may_see(company) => Some(company.to_ascii_lowercase()),
        (_, Companies::Only(companies)) => companies.iter().next().cloned(),
        (company, Companies::All) => company.map(str::to_ascii_lowercase),
    }
}

/// Checks `params` against the action's declared parameters and returns them as the plugin
/// gets them: every declared one, dates, date-times, GUIDs and decimal strings normalised.
/// Annotations (members with `@`, such as `@odata.type`) are dropped.
fn parameters(action: &str, binding: &ActionBinding, params: Json) -> Result<Map<String, Json>, ActionError> {
    let mut given = match params {
        Json::Null => Map::new(),
        Json::Object(members) => members,
        _ => {
            return Err(ActionError::BadRequest(format!(
                "The parameters of {action} must be a JSON object keyed by parameter name."
            )));
        }
    };
    given.retain(|name, _| !name.contains('@'));
    let declared = |name: &str| binding.parameters.iter().any(|parameter| parameter.name == name);
    if let Some(unknown) = given.keys().find(|name| !declared(name)) {
        let takes: Vec<&str> = binding.parameters.iter().map(|parameter| parameter.name.as_str()).collect();
        let takes = if takes.is_empty() { "none".to_owned() } else { takes.join(", ") };
        return Err(ActionError::BadRequest(format!("{action} has no parameter {unknown}; its parameters: {takes}.")));
    }
    let mut input = Map::new();
    for ActionParameter { name, value_type } in &binding.parameters {
        let value = match given.remove(name) {
            None | Some(Json::Null) => {
                return Err(ActionError::BadRequest(format!(
                    "Parameter {name} of {action} is missing; it takes {value_type}."
                )));
            }
            Some(value) => checked(value_type, value).map_err(|problem| {
                ActionError::BadRequest(format!("Parameter {name} of {action} must be {value_type}: {problem}."))
            })?,
        };
        input.insert(name.clone(), value);
    }
    Ok(input)
}

/// `value` if it is a `value_type`, with text forms normalised as the store keeps them; else
/// what is wrong with it.
fn checked(value_type: &ValueType, value: Json) -> Result<Json, String> {
    let param_type = value_type.param_type;
    if value_type.complex.is_some() {
        // An object with declared members is a complex type in `$metadata`, sent as JSON.
        return value_type.check(&value).map(|()| value);
    }
    let text_form = match param_type {
        ParamType::Decimal => Some(FieldType::Decimal { scale: None }),
        ParamType::Date => Some(FieldType::Date),
        ParamType::Datetime => Some(FieldType::DateTime),
        ParamType::Guid => Some(FieldType::Guid),
        _ => None,
    };
    match (text_form, &value) {
        (Some(field_type), Json::String(text)) => {
            let field = Field { name: String::new(), field_type, required: true, default: None };
            Ok(Json::String(parse_value(&field, text, &ParseOptions::default())?.to_string()))
        }
        // `$metadata` declares objects and arrays as Edm.String holding JSON (see
        // `metadata::edm`), so a typed client sends the JSON as text; the plugin gets it parsed.
        (None, Json::String(text)) if matches!(param_type, ParamType::Object | ParamType::Array) => {
            let parsed: Json = serde_json::from_str(text).map_err(|_| "got a string that is not JSON".to_owned())?;
            check_type(param_type, &parsed).map(|()| parsed)
        }
        _ => check_type(param_type, &value).map(|()| value),
    }
}

/// A parameter, result or member as custom-service discovery describes it: its name and
/// type, and the members of an object with declared members (the form D365 gives a data
/// contract's name, with its members added so a caller can see the contract).
fn described(name: &str, value_type: &ValueType) -> Json {
    let Some(complex) = &value_type.complex else {
        return json!({ "Name": name, "Type": value_type.param_type.name() });
    };
    let type_name = match value_type.param_type {
        ParamType::Array => format!("Collection({})", complex.name),
        _ => complex.name.clone(),
    };
    let members: Vec<Json> = complex.members.iter().map(|member| described(&member.name, &member.value_type)).collect();
    json!({ "Name": name, "Type": type_name, "Members": members })
}

/// Whether `value` has the JSON shape of `param_type` (text forms unchecked), or what it is.
/// The top of an action's result: scalars as they are, objects and arrays empty. Enough to
/// check its declared type and name its Edm type, without expanding a large result.
pub fn shallow(result: &RawValue) -> Json {
    match result.get().trim_start().as_bytes().first() {
        Some(b'{') => Json::Object(Map::new()),
        Some(b'[') => Json::Array(Vec::new()),
        _ => serde_json::from_str(result.get()).unwrap_or(Json::Null),
    }
}

fn check_type(param_type: ParamType, value: &Json) -> Result<(), String> {
    let fits = match param_type {
        ParamType::String | ParamType::Date | ParamType::Datetime | ParamType::Guid => value.is_string(),
        ParamType::Integer => value.is_i64(),
        ParamType::Decimal => value.is_number() || value.is_string(),
        ParamType::Boolean => value.is_boolean(),
        ParamType::Object => value.is_object(),
        ParamType::Array => value.is_array(),
    };
    if fits { Ok(()) } else { Err(kind(value)) }
}

/// What a JSON value is, for messages: "got a number".
fn kind(value: &Json) -> String {
    let kind = match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(number) if number.is_i64() || number.is_u64() => "a whole number",
        Json::Number(_) => "a number with a fraction",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    };
    format!("got {kind}")
}

/// A key as the JSON object an action reads: text as strings, numbers and booleans as such.
fn fields_json(fields: &Fields) -> Json {
    let members = fields
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::Null => Json::Null,
                Value::Integer(number) => Json::from(*number),
                Value::Float(number) => Json::from(*number),
                Value::Boolean(flag) => Json::Bool(*flag),
                Value::String(text) | Value::Decimal(text) | Value::Date(text) | Value::DateTime(text) => {
                    Json::String(text.clone())
                }
            };
            (name.clone(), value)
        })
        .collect();
    Json::Object(members)
}

/// Which companies one call may reach, and the first company it was refused.
struct Scope {
    catalog: Arc<Catalog>,
    /// The caller's companies, lowercase; `None` for all.
    companies: Option<BTreeSet<String>>,
    refused: Mutex<Option<String>>,
}

impl Scope {
    fn new(catalog: Arc<Catalog>, caller: &Caller) -> Scope {
        let companies = match &caller.companies {
            Companies::All => None,
            Companies::Only(companies) => Some(companies.iter().map(|company| company.to_ascii_lowercase()).collect()),
        };
        Scope { catalog, companies, refused: Mutex::new(None) }
    }

    /// The company `fields` name, when `entity` is company-scoped and they name one.
    fn company(&self, entity: &str, fields: &Fields) -> Option<String> {
        let entity = self.catalog.get(entity)?;
        if !entity.company_scoped {
            return None;
        }
        let (_, value) = fields.iter().find(|(name, _)| name.eq_ignore_ascii_case(COMPANY_FIELD))?;
        Some(value.to_string().to_ascii_lowercase())
    }

    fn may_see(&self, company: &str) -> bool {
        self.companies.as_ref().is_none_or(|companies| companies.contains(company))
    }

    /// Whether rows named by `fields` may be read: shared rows, and rows of granted companies.
    fn visible(&self, entity: &str, fields: &Fields) -> bool {
        self.company(entity, fields).is_none_or(|company| self.may_see(&company))
    }

    /// Refuses a write to a company the caller may not see, and remembers it.
    fn writable(&self, entity: &str, fields: &Fields) -> Result<()> {
        match self.company(entity, fields) {
            Some(company) if !self.may_see(&company) => {
                let mut refused = self.refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                refused.get_or_insert_with(|| company.clone());
                anyhow::bail!("company {company} is outside the caller's grants")
            }
            _ => Ok(()),
        }
    }

    fn refused(&self) -> Option<String> {
        self.refused.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// The criteria each `find` runs with: as given when they name a company or the entity is
    /// shared (or the caller sees every company), else once per granted company, in key order.
    fn criteria(&self, entity: &str, criteria: &Fields) -> Vec<Fields> {
        let scoped = self.catalog.get(entity).is_some_and(|entity| entity.company_scoped);
        let named = criteria.iter().any(|(name, _)| name.eq_ignore_ascii_case(COMPANY_FIELD));
        match &self.companies {
            Some(companies) if scoped && !named => companies
                .iter()
                .map(|company| {
                    let mut per_company = vec![(COMPANY_FIELD.to_owned(), Value::String(company.clone()))];
                    per_company.extend(criteria.iter().cloned());
                    per_company
                })
                .collect(),
            _ if self.visible(entity, criteria) => vec![criteria.clone()],
            _ => Vec::new(),
        }
    }
}

/// The store as one caller's action sees it: rows of companies the caller is not granted do
/// not exist for reads and refuse writes.
struct Granted {
    store: Store,
    scope: Arc<Scope>,
}

impl Entities for Granted {
    fn lookup(&self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        if !self.scope.visible(entity, key) {
            return Ok(None);
        }
        self.store.lookup(entity, key)
    }

    fn begin(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(GrantedUnit { unit: self.store.begin()?, scope: self.scope.clone() }))
    }

    fn begin_read(&self) -> Result<Box<dyn UnitOfWork>> {
        Ok(Box::new(GrantedUnit { unit: self.store.begin_read()?, scope: self.scope.clone() }))
    }
}

/// A unit of work limited to a caller's companies.
struct GrantedUnit {
    unit: Box<dyn UnitOfWork>,
    scope: Arc<Scope>,
}

impl UnitOfWork for GrantedUnit {
    fn read(&mut self, entity: &str, key: &Fields) -> Result<Option<Fields>> {
        if !self.scope.visible(entity, key) {
            return Ok(None);
        }
        self.unit.read(entity, key)
    }

    fn find(&mut self, entity: &str, criteria: &Fields, limit: usize) -> Result<Vec<Fields>> {
        let mut rows = Vec::new();
        for criteria in self.scope.criteria(entity, criteria) {
            let left = limit.saturating_sub(rows.len());
            if left == 0 {
                break;
            }
            rows.extend(self.unit.find(entity, &criteria, left)?);
        }
        Ok(rows)
    }

    fn insert(&mut self, entity: &str, row: Fields) -> Result<()> {
        self.scope.writable(entity, &row)?;
        self.unit.insert(entity, row)
    }

    fn update(&mut self, entity: &str, key: &Fields, changes: Fields) -> Result<()> {
        self.scope.writable(entity, key)?;
        self.unit.update(entity, key, changes)
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.unit.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_busy_past_its_share_answers_503_and_a_stopped_one_500() {
        let aborted =
            |kind| ActionError::Aborted { action: "attack".into(), error: CallError { plugin: "p@1".into(), kind } };
        let (status, message) = aborted(CallErrorKind::Busy { waited_ms: 1000 }).answer();
        assert_eq!((status, message.as_str()), (503, "The action attack is busy with other calls; retry shortly."));
        let (status, message) = aborted(CallErrorKind::Timeout { limit_ms: 300, elapsed_ms: 301 }).answer();
        assert_eq!(status, 500);
        assert!(message.contains("stopped after 301 ms, at its time limit of 300 ms"), "{message}");
        let response =
            crate::odata::Response::from(crate::odata::Error::from(aborted(CallErrorKind::Busy { waited_ms: 1 })));
        assert!(response.headers.iter().any(|(name, value)| name == "Retry-After" && value == "1"), "{response:?}");
    }

    fn binding(parameters: &[(&str, ParamType)]) -> ActionBinding {
        ActionBinding {
            target: ActionTarget::Service { group: "G".into(), service: "S".into() },
            parameters: parameters
                .iter()
                .map(|(name, param_type)| ActionParameter {
                    name: (*name).into(),
                    value_type: ValueType::plain(*param_type),
                })
                .collect(),
            returns: None,
            read_only: false,
        }
    }

    #[test]
    fn text_forms_of_dates_guids_and_decimals_are_checked_and_normalised() {
        let binding = binding(&[
            ("on", ParamType::Date),
            ("at", ParamType::Datetime),
            ("id", ParamType::Guid),
            ("amount", ParamType::Decimal),
            ("count", ParamType::Integer),
            ("lines", ParamType::Array),
        ]);
        let given = json!({
            "on": "2026-11-21", "at": "2026-11-21T09:30:00+01:00", "id": "{0E984725-C51C-4BF4-9960-E1C80E27ABA0}",
            "amount": "+12.50", "count": 3, "lines": [1]
        });
        let input = parameters("plan", &binding, given).expect("valid");
        assert_eq!(
            Json::Object(input),
            json!({
                "on": "2026-11-21", "at": "2026-11-21T08:30:00Z", "id": "0e984725-c51c-4bf4-9960-e1c80e27aba0",
                "amount": "12.50", "count": 3, "lines": [1]
            })
        );
    }

    #[test]
    fn wrong_values_are_named_with_what_was_expected() {
        let binding = binding(&[("count", ParamType::Integer), ("on", ParamType::Date), ("tags", ParamType::Object)]);
        for (given, expected) in [
            (
                json!({ "count": 1.5, "on": "2026-11-21", "tags": {} }),
                "count of plan must be an integer: got a number with a fraction",
            ),
            (
                json!({ "count": 1, "on": "21.11.2026", "tags": {} }),
                "on of plan must be a date: \"21.11.2026\" is not a date",
            ),
            (json!({ "count": 1, "on": "2026-11-21", "tags": [] }), "tags of plan must be an object: got an array"),
            (json!({ "count": 1, "on": "2026-11-21" }), "Parameter tags of plan is missing; it takes an object."),
            (json!("count"), "must be a JSON object keyed by parameter name"),
        ] {
            let error = parameters("plan", &binding, given.clone()).expect_err("refused");
            assert!(
                matches!(&error, ActionError::BadRequest(message) if message.contains(expected)),
                "{given}: {error}"
            );
        }
        let none = ActionBinding { parameters: Vec::new(), ..binding };
        let error = parameters("ping", &none, json!({ "x": 1 })).expect_err("refused");
        assert_eq!(error.to_string(), "ping has no parameter x; its parameters: none.");
        assert!(parameters("ping", &none, Json::Null).expect("no parameters").is_empty());
    }
}
