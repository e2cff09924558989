//! Plugin manifests: the TOML file beside each `.wasm` naming the plugin, its roles, the
//! entities it serves, its configuration and its limits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use serde::de::{self, IntoDeserializer as _};
use serde::{Deserialize, Deserializer};

pub use super::complex::{ComplexType, Member, ValueType};

/// The contract version this host speaks; a component's exports must carry it.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// What a plugin does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Source rows → entity rows.
    Mapper,
    /// Keep or drop rows.
    Filter,
    /// Document → document.
    Transform,
    /// A named business operation.
    Action,
}

impl Role {
    /// Every role, in contract order.
    pub const ALL: [Role; 4] = [Role::Mapper, Role::Filter, Role::Transform, Role::Action];

    /// The role's name in WIT and manifests.
    pub fn name(self) -> &'static str {
        match self {
            Role::Mapper => "mapper",
            Role::Filter => "filter",
            Role::Transform => "transform",
            Role::Action => "action",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of an action's parameter or result, as callers see it (custom-service discovery,
/// `$metadata`) and as the host checks arguments before a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// An exact decimal number.
    Decimal,
    /// True or false.
    Boolean,
    /// A calendar date.
    Date,
    /// A point in time.
    Datetime,
    /// A GUID.
    Guid,
    /// A JSON object: any, or one with declared members (see [`ValueType`]).
    Object,
    /// A JSON array: of anything, or of objects with declared members.
    Array,
}

impl ParamType {
    /// The type's name in manifests and in custom-service discovery (`string`, `integer`, …).
    pub fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Decimal => "decimal",
            ParamType::Boolean => "boolean",
            ParamType::Date => "date",
            ParamType::Datetime => "datetime",
            ParamType::Guid => "guid",
            ParamType::Object => "object",
            ParamType::Array => "array",
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How callers reach one action (an `[action.<name>]` table): as an OData action bound to an
/// entity, or as a custom-service operation, with the parameters the host checks before the
/// plugin runs.
///
/// ```toml
/// [action.approve]
/// bound = "BillOfMaterialsHeader"   # one row of this entity's set; `collection = true` for the set
/// parameters = [{ name = "approver", type = "string" }]
/// returns = "boolean"               # without it the call answers with no content
///
/// [action.onHand]
/// service = "InventoryServices/InventoryService"
/// parameters = [{ name = "itemNumber", type = "string" }]
/// read_only = true                  # only reads: runs alongside other calls, cannot write
/// # An object with declared members: `$metadata` declares the complex type `InventoryOnHand`
/// # (an array of such objects: `type = "array"`), and the plugin's result must fit it.
/// # `returns = "object"` alone is any JSON object.
/// [action.onHand.returns]
/// type = "object"
/// type_name = "InventoryOnHand"
/// members = [
///     { name = "itemNumber", type = "string" },
///     { name = "availableQuantity", type = "decimal" },
///     { name = "note", type = "string", nullable = true },    # may be null or left out
///     { name = "warehouses", type = "array", type_name = "WarehouseOnHand", members = [
///         { name = "warehouseId", type = "string" },
///     ] },
/// ]
/// ```
///
/// A parameter declares members the same way:
/// `{ name = "request", type = "object", type_name = "ApprovalRequest", members = [...] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionBinding {
    /// Where the action is called.
    pub target: ActionTarget,
    /// Its parameters, in declaration order; every one is required.
    pub parameters: Vec<ActionParameter>,
    /// The type of its result; `None` when it returns nothing callers see.
    pub returns: Option<ValueType>,
    /// Whether it only reads. A writing action's unit of work is a write transaction, and
    /// those take turns; a read-only action's unit reads a snapshot alongside everything else
    /// and refuses writes.
    pub read_only: bool,
}

/// Where callers call an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionTarget {
    /// An OData action bound to `entity`: to one row
    /// (`POST /data/{Set}({keys})/Microsoft.Dynamics.DataEntities.{action}`), or with
    /// `collection` to the entity set (`POST /data/{Set}/Microsoft.Dynamics.DataEntities.{action}`).
    Entity {
        /// The entity, one of the manifest's `entities`.
        entity: String,
        /// Bound to the entity set rather than to one row.
        collection: bool,
    },
    /// A custom-service operation, `POST /api/services/{group}/{service}/{action}`.
    Service {
        /// The service group, e.g. `InventoryServices`.
        group: String,
        /// The service, e.g. `InventoryService`.
        service: String,
    },
}

/// One declared parameter of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionParameter {
    /// The member of the JSON body that carries it.
    pub name: String,
    /// What its value must be.
    pub value_type: ValueType,
}

/// Resource caps for every call of a plugin.
///
/// They defend the host against a plugin that loops, hoards memory or floods its caller
/// (Redpanda's transforms cap memory and run time the same way; see
/// `shared/reference/plugin-engines.md`, section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Linear memory a call may grow to, in MiB.
    pub memory_mib: u32,
    /// Wall-clock time a call may run, in milliseconds.
    pub timeout_ms: u64,
    /// Bytes a call may return, in MiB.
    pub output_mib: u32,
}

impl Limits {
    /// The most any manifest may ask for; the pooling allocator reserves this per slot.
    pub const MAX: Limits = Limits { memory_mib: 1024, timeout_ms: 300_000, output_mib: 256 };

    /// Memory cap in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.memory_mib as usize * 1024 * 1024
    }

    /// Output cap in bytes.
    pub fn output_bytes(&self) -> usize {
        self.output_mib as usize * 1024 * 1024
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory_mib: 64, timeout_ms: 1000, output_mib: 16 }
    }
}

/// A plugin's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Unique among the loaded plugins: lowercase letters, digits and `-`.
    pub name: String,
    /// The plugin's own version, shown in logs and errors.
    pub version: String,
    /// What the component implements; checked against its real exports at load.
    pub roles: Vec<Role>,
    /// The entities it serves; for actions, also the only ones its unit of work may touch.
    pub entities: Vec<String>,
    /// For actions: the action names it answers to.
    pub actions: Vec<String>,
    /// For actions: how callers reach them, by action name. An action without a binding is
    /// not offered over HTTP (`wharf plugin run` still calls it).
    pub bindings: BTreeMap<String, ActionBinding>,
    /// Values the plugin reads with `host::config`.
    pub config: BTreeMap<String, String>,
    /// Caps for every call.
    pub limits: Limits,
    /// The web services the plugin may call (`[outbound]`), for mappers and actions.
    pub outbound: super::outbound::Permissions,
    /// How `wharf plugin build` builds a plugin that is not a Cargo crate (`[build]`); the
    /// runtime never reads it.
    pub build: Option<BuildCommand>,
    /// What `wharf plugin test` holds each case to (`[budgets]`); the runtime never reads it.
    pub budgets: Budgets,
}

/// `[budgets]`: what one golden case of `wharf plugin test` may cost at most. Each is optional;
/// a case's own `[budgets]` overrides the manifest's, key by key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Budgets {
    /// Fuel (about one per WebAssembly instruction) per input row.
    pub fuel_per_row: Option<u64>,
    /// The most linear memory one call may hold, in MiB.
    pub peak_memory_mib: Option<u32>,
    /// Wall-clock time of the case's calls together, in milliseconds.
    pub wall_ms: Option<u64>,
    /// The component's size, in KiB.
    pub component_kib: Option<u64>,
    /// Time to instantiate the component in a fresh store, in microseconds.
    pub instantiate_us: Option<u64>,
}

impl Budgets {
    /// These budgets with every one `other` sets taken from it.
    pub fn overridden_by(self, other: Budgets) -> Budgets {
        Budgets {
            fuel_per_row: other.fuel_per_row.or(self.fuel_per_row),
            peak_memory_mib: other.peak_memory_mib.or(self.peak_memory_mib),
            wall_ms: other.wall_ms.or(self.wall_ms),
            component_kib: other.component_kib.or(self.component_kib),
            instantiate_us: other.instantiate_us.or(self.instantiate_us),
        }
    }
}

/// `[build]`: the command that builds a plugin written in a language other than Rust.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildCommand {
    /// Run with `sh -c` in the plugin's folder.
    pub command: String,
    /// Where the command leaves the component, relative to the plugin's folder.
    pub output: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    name: String,
    version: String,
    roles: Vec<Role>,
    entities: Vec<String>,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default, rename = "action")]
    bindings: BTreeMap<String, BindingFile>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    outbound: super::outbound::Permissions,
    build: Option<BuildCommand>,
    #[serde(default)]
    budgets: Budgets,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    bound: Option<String>,
    #[serde(default)]
    collection: bool,
    service: Option<String>,
    #[serde(default)]
    parameters: Vec<ParameterFile>,
    returns: Option<ReturnsFile>,
    #[serde(default)]
    read_only: bool,
}

/// A type as a manifest writes it: a name, with the members of an object or of an array's
/// objects.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypeFile {
    #[serde(rename = "type")]
    param_type: ParamType,
    type_name: Option<String>,
    members: Option<Vec<MemberFile>>,
}

// Parameters and members spell out their type's keys: serde's `flatten` would let unknown
// keys through.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParameterFile {
    name: String,
    #[serde(rename = "type")]
    param_type: ParamType,
    type_name: Option<String>,
    members: Option<Vec<MemberFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    name: String,
    #[serde(rename = "type")]
    param_type: ParamType,
    type_name: Option<String>,
    members: Option<Vec<MemberFile>>,
    #[serde(default)]
    nullable: bool,
}

/// `returns`: a type's name (`returns = "object"`), or a table that also declares members.
struct ReturnsFile(TypeFile);

impl<'de> Deserialize<'de> for ReturnsFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Returns;
        impl<'de> de::Visitor<'de> for Returns {
            type Value = ReturnsFile;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a type such as \"object\", or a table with `type`, `type_name` and `members`")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<ReturnsFile, E> {
                let param_type = ParamType::deserialize(name.into_deserializer())?;
                Ok(ReturnsFile(TypeFile { param_type, type_name: None, members: None }))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, table: A) -> Result<ReturnsFile, A::Error> {
                TypeFile::deserialize(de::value::MapAccessDeserializer::new(table)).map(ReturnsFile)
            }
        }
        deserializer.deserialize_any(Returns)
    }
}

/// How deep declared objects may nest: a data contract of D365 nests a level or two, and a
/// bound keeps a hostile manifest from recursing the checks without end.
const MAX_NESTING: usize = 4;

/// The complex types a manifest declares so far, by name, with where each was first declared.
type Declared = BTreeMap<String, (Arc<ComplexType>, String)>;

impl TypeFile {
    /// The type declared at `at` (e.g. `action.approve.returns`), `depth` objects deep, its
    /// complex types checked and recorded in `declared`.
    fn value_type(self, at: &str, depth: usize, declared: &mut Declared) -> Result<ValueType> {
        let (type_name, members) = match (self.type_name, self.members) {
            (None, None) => return Ok(ValueType::plain(self.param_type)),
            (Some(type_name), Some(members)) => (type_name, members),
            (None, Some(_)) => {
                bail!("{at} declares members, so it needs `type_name`: the name `$metadata` gives its type")
            }
            (Some(type_name), None) => bail!("{at}: type_name {type_name} needs `members`, the type's members"),
        };
        if !matches!(self.param_type, ParamType::Object | ParamType::Array) {
            bail!("{at} is a {}; only an object, or an array of objects, declares members", self.param_type);
        }
        if !is_identifier(&type_name) {
            bail!("{at}: type_name '{type_name}' must be an identifier (letters, digits and '_')");
        }
        if members.is_empty() {
            bail!("{at}: type {type_name} declares no members; leave out `type_name` and `members` for any JSON");
        }
        if depth >= MAX_NESTING {
            bail!("{at}: objects nest deeper than {MAX_NESTING} levels");
        }
        let mut checked: Vec<Member> = Vec::with_capacity(members.len());
        for member in members {
            let name = member.name;
            if !is_identifier(&name) {
                bail!("{at}: member name '{name}' must be an identifier (letters, digits and '_')");
            }
            if checked.iter().any(|seen| seen.name == name) {
                bail!("{at} declares member {name} twice");
            }
            // A member is a property of a complex type, and OData 4.0 has no property type for
            // "any JSON" (see `odata::metadata::edm`).
            if matches!(member.param_type, ParamType::Object | ParamType::Array) && member.members.is_none() {
                bail!(
                    "{at}: member {name} is an {} without members; declare its `type_name` and `members`",
                    member.param_type
                );
            }
            let type_file =
                TypeFile { param_type: member.param_type, type_name: member.type_name, members: member.members };
            let value_type = type_file.value_type(&format!("{at}.members.{name}"), depth + 1, declared)?;
            checked.push(Member { name, value_type, nullable: member.nullable });
        }
        let complex = Arc::new(ComplexType { name: type_name.clone(), members: checked });
        if let Some((first, first_at)) = declared.get(&type_name) {
            if **first != *complex {
                bail!("type {type_name} is declared at {first_at} and again at {at} with other members");
            }
            // The same type again: one declaration serves both.
            return Ok(ValueType { param_type: self.param_type, complex: Some(first.clone()) });
        }
        declared.insert(type_name, (complex.clone(), at.to_owned()));
        Ok(ValueType { param_type: self.param_type, complex: Some(complex) })
    }
}

impl BindingFile {
    /// The binding of action `action`, its target checked for form (not yet against the
    /// manifest's entities), its complex types recorded in `declared`.
    fn binding(self, action: &str, declared: &mut Declared) -> Result<ActionBinding> {
        let target = match (self.bound, self.service) {
            (Some(entity), None) => ActionTarget::Entity { entity, collection: self.collection },
            (None, Some(path)) if !self.collection => {
                let (group, service) = path.split_once('/').unwrap_or((&path, ""));
                if !is_identifier(group) || !is_identifier(service) {
                    bail!(
                        "action.{action}.service '{path}' must be 'Group/Service', both identifiers (letters, \
                         digits and '_', not starting with a digit)"
                    );
                }
                ActionTarget::Service { group: group.to_owned(), service: service.to_owned() }
            }
            (None, Some(_)) => bail!("action.{action}: `collection` applies only to a `bound` action"),
            (Some(_), Some(_)) => bail!("action.{action} sets both `bound` and `service`; an action has one of them"),
            (None, None) => bail!("action.{action} needs `bound = \"<entity>\"` or `service = \"<Group>/<Service>\"`"),
        };
        let parameters = self
            .parameters
            .into_iter()
            .map(|parameter| {
                let at = format!("action.{action}.parameters.{}", parameter.name);
                let type_file = TypeFile {
                    param_type: parameter.param_type,
                    type_name: parameter.type_name,
                    members: parameter.members,
                };
                let value_type = type_file.value_type(&at, 0, declared)?;
                Ok(ActionParameter { name: parameter.name, value_type })
            })
            .collect::<Result<_>>()?;
        let returns = self
            .returns
            .map(|ReturnsFile(returns)| returns.value_type(&format!("action.{action}.returns"), 0, declared))
            .transpose()?;
        Ok(ActionBinding { target, parameters, returns, read_only: self.read_only })
    }
}

/// Whether `name` is an OData simple identifier (and so usable in URLs, `$metadata` and
/// custom-service paths): a letter or `_`, then letters, digits or `_`, at most 128.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

impl Manifest {
    /// Reads the manifest at `path`.
    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read manifest {}", path.display()))?;
        Manifest::parse(&text).with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses and checks a manifest; errors carry the line and column.
    pub fn parse(text: &str) -> Result<Manifest> {
        let file: ManifestFile = toml::from_str(text)?;
        let mut config = BTreeMap::new();
        for (key, value) in file.config {
            let text = match value {
                toml::Value::String(text) => text,
                toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => value.to_string(),
                other => bail!("config value {key} is a {}; use a string, number or boolean", other.type_str()),
            };
            config.insert(key, text);
        }
        let mut declared = Declared::new();
        let bindings = file
            .bindings
            .into_iter()
            .map(|(action, binding)| Ok((action.clone(), binding.binding(&action, &mut declared)?)))
            .collect::<Result<_>>()?;
        if let Some(entity) = file.entities.iter().find(|entity| declared.contains_key(*entity)) {
            let (_, at) = &declared[entity];
            bail!("{at}: type_name {entity} is also an entity's name; `$metadata` needs one name per type");
        }
        let manifest = Manifest {
            name: file.name,
            version: file.version,
            roles: file.roles,
            entities: file.entities,
            actions: file.actions,
            bindings,
            config,
            limits: file.limits,
            outbound: file.outbound,
            build: file.build,
            budgets: file.budgets,
        };
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<()> {
        let name_ok = |name: &str| {
            !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !name_ok(&self.name) {
            bail!("name '{}' must be 1-64 lowercase letters, digits or '-'", self.name);
        }
        if self.version.trim().is_empty() {
            bail!("version must not be empty");
        }
        if self.roles.is_empty() {
            bail!("roles must name at least one of: mapper, filter, transform, action");
        }
        let mut roles = self.roles.clone();
        roles.sort();
        roles.dedup();
        if roles.len() != self.roles.len() {
            bail!("roles lists a role twice");
        }
        if self.entities.is_empty() || self.entities.iter().any(|entity| entity.trim().is_empty()) {
            bail!("entities must name at least one entity, none of them blank");
        }
        if self.roles.contains(&Role::Action) == self.actions.is_empty() {
            bail!("an action plugin lists its actions in `actions`, and only an action plugin does");
        }
        for (action, binding) in &self.bindings {
            self.check_binding(action, binding)?;
        }
        let (limits, max) = (self.limits, Limits::MAX);
        if limits.memory_mib == 0 || limits.memory_mib > max.memory_mib {
            bail!("limits.memory_mib must be 1..={}", max.memory_mib);
        }
        if limits.timeout_ms == 0 || limits.timeout_ms > max.timeout_ms {
            bail!("limits.timeout_ms must be 1..={}", max.timeout_ms);
        }
        if limits.output_mib == 0 || limits.output_mib > max.output_mib {
            bail!("limits.output_mib must be 1..={}", max.output_mib);
        }
        self.outbound.check()?;
        if let Some(build) = &self.build {
            if build.command.trim().is_empty() {
                bail!("build.command must not be empty");
            }
            if build.output.as_os_str().is_empty() || build.output.is_absolute() {
                bail!("build.output must be a path inside the plugin's folder, such as \"plugin.wasm\"");
            }
        }
        if !self.outbound.allow.is_empty() && !self.roles.iter().any(|role| matches!(role, Role::Mapper | Role::Action))
        {
            bail!("[outbound] is for mappers and actions; this plugin is neither");
        }
        Ok(())
    }

    fn check_binding(&self, action: &str, binding: &ActionBinding) -> Result<()> {
        if !self.actions.iter().any(|listed| listed == action) {
            bail!("[action.{action}] is for an action not listed in `actions`");
        }
        if !is_identifier(action) {
            bail!("action {action} has a binding, so its name must be an identifier (letters, digits and '_')");
        }
        if let ActionTarget::Entity { entity, .. } = &binding.target
            && !self.entities.contains(entity)
        {
            bail!("action.{action} is bound to {entity}, which is not one of the manifest's `entities`");
        }
        let mut seen = BTreeSet::new();
        for parameter in &binding.parameters {
            let name = parameter.name.as_str();
            if name.starts_with('@') {
                bail!("action.{action}: parameter name {name} starts with '@', which is kept for the host (`@key`)");
            }
            if !is_identifier(name) {
                bail!("action.{action}: parameter name '{name}' must be an identifier (letters, digits and '_')");
            }
            if !seen.insert(name) {
                bail!("action.{action} declares parameter {name} twice");
            }
        }
        Ok(())
    }

    /// The custom-service operations this plugin offers, as `Group/Service/operation`.
    /// Callers' paths match them without regard to case.
    pub fn service_operations(&self) -> impl Iterator<Item = String> + '_ {
        self.bindings.iter().filter_map(|(action, binding)| match &binding.target {
            ActionTarget::Service { group, service } => Some(format!("{group}/{service}/{action}")),
            ActionTarget::Entity { .. } => None,
        })
    }

    /// Every complex type the plugin's actions declare, each name once.
    pub fn complex_types(&self) -> Vec<Arc<ComplexType>> {
        let mut types: Vec<Arc<ComplexType>> = Vec::new();
        for binding in self.bindings.values() {
            let parameters = binding.parameters.iter().map(|parameter| &parameter.value_type);
            for complex in parameters.chain(&binding.returns).flat_map(ValueType::complex_types) {
                if !types.iter().any(|known| known.name == complex.name) {
                    types.push(complex);
                }
            }
        }
        types
    }

    /// `name@version`, as logs and errors name the plugin.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = \"m\"\nversion = \"1\"\nroles = [\"mapper\"]\nentities = [\"Customer\"]\n";

    #[test]
    fn defaults_fill_what_a_minimal_manifest_leaves_out() {
        let manifest = Manifest::parse(MINIMAL).expect("valid");
        assert_eq!(manifest.limits, Limits::default());
        assert_eq!(manifest.budgets, Budgets::default());
        assert_eq!(manifest.id(), "m@1");
    }

    #[test]
    fn budgets_are_read_and_a_case_overrides_them_key_by_key() {
        let manifest =
            Manifest::parse(&format!("{MINIMAL}[budgets]\nfuel_per_row = 500\nwall_ms = 20\n")).expect("valid");
        let case = Budgets { wall_ms: Some(5), peak_memory_mib: Some(2), ..Budgets::default() };
        let budgets = manifest.budgets.overridden_by(case);
        assert_eq!((budgets.fuel_per_row, budgets.wall_ms, budgets.peak_memory_mib), (Some(500), Some(5), Some(2)));
    }

    #[test]
    fn errors_point_at_the_line() {
        let error = Manifest::parse(&format!("{MINIMAL}[limits]\nmemory_mib = \"lots\"\n")).expect_err("bad type");
        assert!(format!("{error:#}").contains("line 6"), "{error:#}");
    }

    #[test]
    fn unknown_roles_keys_and_limits_are_refused() {
        for (text, expected) in [
            (MINIMAL.replace("mapper", "mangler"), "unknown variant `mangler`"),
            (format!("{MINIMAL}colour = \"red\"\n"), "unknown field `colour`"),
            (format!("{MINIMAL}[limits]\nmemory_mib = 4096\n"), "memory_mib must be"),
            (MINIMAL.replace("\"m\"", "\"My Plugin\""), "lowercase"),
            (MINIMAL.replace("[\"mapper\"]", "[\"action\"]"), "lists its actions"),
            (format!("{MINIMAL}[build]\ncommand = \"make\"\n"), "missing field `output`"),
            (format!("{MINIMAL}[budgets]\nfuel = 10\n"), "unknown field `fuel`"),
            (format!("{MINIMAL}[build]\ncommand = \" \"\noutput = \"p.wasm\"\n"), "build.command must not be empty"),
            (format!("{MINIMAL}[build]\ncommand = \"make\"\noutput = \"/tmp/p.wasm\"\n"), "inside the plugin's folder"),
        ] {
            let error = format!("{:#}", Manifest::parse(&text).expect_err(expected));
            assert!(error.contains(expected), "{error}");
        }
    }

    const ACTIONS: &str = "name = \"bom\"\nversion = \"1\"\nroles = [\"action\"]\n\
        entities = [\"BillOfMaterialsHeader\", \"BillOfMaterialsLine\"]\nactions = [\"approve\", \"count\"]\n";

    #[test]
    fn action_tables_say_where_each_action_is_called_and_with_what() {
        let text = format!(
            "{ACTIONS}[action.approve]\nbound = \"BillOfMaterialsHeader\"\n\
             parameters = [{{ name = \"approver\", type = \"string\" }}, {{ name = \"at\", type = \"datetime\" }}]\n\
             returns = \"object\"\n[action.count]\nservice = \"Boms/BomService\"\n"
        );
        let manifest = Manifest::parse(&text).expect("valid");
        let approve = &manifest.bindings["approve"];
        assert_eq!(approve.target, ActionTarget::Entity { entity: "BillOfMaterialsHeader".into(), collection: false });
        let parameters: Vec<(&str, ValueType)> =
            approve.parameters.iter().map(|p| (p.name.as_str(), p.value_type.clone())).collect();
        assert_eq!(
            parameters,
            [("approver", ValueType::plain(ParamType::String)), ("at", ValueType::plain(ParamType::Datetime))]
        );
        assert_eq!(approve.returns, Some(ValueType::plain(ParamType::Object)));
        let count = &manifest.bindings["count"];
        assert_eq!(count.target, ActionTarget::Service { group: "Boms".into(), service: "BomService".into() });
        assert!(count.parameters.is_empty());
        assert_eq!(count.returns, None);
    }

    #[test]
    fn action_tables_that_cannot_be_served_are_refused_with_the_reason() {
        let bound = "bound = \"BillOfMaterialsHeader\"";
        for (table, expected) in [
            ("[action.reject]\nbound = \"BillOfMaterialsHeader\"\n", "not listed in `actions`"),
            ("[action.approve]\nbound = \"Customer\"\n", "not one of the manifest's `entities`"),
            ("[action.approve]\nservice = \"Boms\"\n", "must be 'Group/Service'"),
            ("[action.approve]\nservice = \"Boms/Bom Service\"\n", "must be 'Group/Service'"),
            ("[action.approve]\nservice = \"Boms/A/B\"\n", "must be 'Group/Service'"),
            ("[action.approve]\nservice = \"Boms/A\"\ncollection = true\n", "only to a `bound` action"),
            (
                "[action.approve]\nservice = \"Boms/A\"\nbound = \"BillOfMaterialsHeader\"\n",
                "both `bound` and `service`",
            ),
            ("[action.approve]\nreturns = \"object\"\n", "needs `bound"),
            (
                &format!("[action.approve]\n{bound}\nparameters = [{{ name = \"@key\", type = \"object\" }}]\n"),
                "kept for the host",
            ),
            (
                &format!("[action.approve]\n{bound}\nparameters = [{{ name = \"a b\", type = \"string\" }}]\n"),
                "must be an identifier",
            ),
            (
                &format!(
                    "[action.approve]\n{bound}\nparameters = [{{ name = \"a\", type = \"string\" }}, {{ name = \"a\", type = \"integer\" }}]\n"
                ),
                "declares parameter a twice",
            ),
            (
                &format!("[action.approve]\n{bound}\nparameters = [{{ name = \"a\", type = \"text\" }}]\n"),
                "unknown variant `text`",
            ),
            (&format!("[action.approve]\n{bound}\nreturn = \"object\"\n"), "unknown field `return`"),
        ] {
            let error = format!("{:#}", Manifest::parse(&format!("{ACTIONS}{table}")).expect_err(expected));
            assert!(error.contains(expected), "{table}: {error}");
        }
    }

    const APPROVAL: &str = "[action.approve]\nbound = \"BillOfMaterialsHeader\"\n\
        parameters = [{ name = \"request\", type = \"object\", type_name = \"ApprovalRequest\", members = [\n\
            { name = \"approver\", type = \"string\" },\n\
            { name = \"note\", type = \"string\", nullable = true },\n\
        ] }]\n\
        [action.approve.returns]\ntype = \"object\"\ntype_name = \"BomApproval\"\nmembers = [\n\
            { name = \"bomId\", type = \"string\" },\n\
            { name = \"lines\", type = \"array\", type_name = \"ApprovedLine\", members = [\n\
                { name = \"lineNumber\", type = \"integer\" },\n\
            ] },\n\
        ]\n\
        [action.count]\nservice = \"Boms/BomService\"\n\
        returns = { type = \"array\", type_name = \"ApprovedLine\", members = [{ name = \"lineNumber\", type = \"integer\" }] }\n";

    #[test]
    fn objects_and_arrays_of_objects_declare_their_members_with_a_type_name() {
        let manifest = Manifest::parse(&format!("{ACTIONS}{APPROVAL}")).expect("valid");
        let approve = &manifest.bindings["approve"];
        let request = approve.parameters[0].value_type.complex.as_ref().expect("declared members");
        assert_eq!(request.name, "ApprovalRequest");
        let members: Vec<(&str, bool)> = request.members.iter().map(|m| (m.name.as_str(), m.nullable)).collect();
        assert_eq!(members, [("approver", false), ("note", true)]);
        let returns = approve.returns.as_ref().expect("a result");
        assert_eq!(returns.param_type, ParamType::Object);
        let names: Vec<String> = returns.complex_types().iter().map(|complex| complex.name.clone()).collect();
        assert_eq!(names, ["BomApproval", "ApprovedLine"]);
        // The same type declared again with the same members is one type.
        let count = manifest.bindings["count"].returns.as_ref().expect("a result");
        assert_eq!(count.param_type, ParamType::Array);
        assert_eq!(count.complex_types(), returns.complex_types()[1..]);
    }

    #[test]
    fn declared_members_that_cannot_be_served_are_refused_with_the_reason() {
        let bound = "[action.approve]\nbound = \"BillOfMaterialsHeader\"\n";
        let returns = |table: &str| format!("{bound}returns = {{ {table} }}\n");
        let member = "members = [{ name = \"a\", type = \"string\" }]";
        for (table, expected) in [
            (
                returns(&format!("type = \"object\", {member}")),
                "action.approve.returns declares members, so it needs `type_name`",
            ),
            (returns("type = \"object\", type_name = \"A\""), "type_name A needs `members`"),
            (returns("type = \"object\", type_name = \"A\", members = []"), "type A declares no members"),
            (returns(&format!("type = \"string\", type_name = \"A\", {member}")), "is a string; only an object"),
            (
                returns(&format!("type = \"object\", type_name = \"A B\", {member}")),
                "type_name 'A B' must be an identifier",
            ),
            (
                returns("type = \"object\", type_name = \"A\", members = [{ name = \"a-b\", type = \"string\" }]"),
                "member name 'a-b' must be an identifier",
            ),
            (
                returns(
                    "type = \"object\", type_name = \"A\", members = [{ name = \"a\", type = \"string\" }, { name = \"a\", type = \"integer\" }]",
                ),
                "declares member a twice",
            ),
            (
                returns("type = \"object\", type_name = \"A\", members = [{ name = \"a\", type = \"object\" }]"),
                "action.approve.returns: member a is an object without members",
            ),
            (
                returns("type = \"object\", type_name = \"A\", members = [{ name = \"a\", type = \"text\" }]"),
                "unknown variant `text`",
            ),
            (
                returns(
                    "type = \"object\", type_name = \"A\", members = [{ name = \"a\", type = \"string\", optional = true }]",
                ),
                "unknown field `optional`",
            ),
            (returns("type = \"object\", name = \"A\""), "unknown field `name`"),
            (format!("{bound}returns = \"record\"\n"), "unknown variant `record`"),
            (
                returns(&format!("type = \"object\", type_name = \"BillOfMaterialsLine\", {member}")),
                "type_name BillOfMaterialsLine is also an entity's name",
            ),
            (
                format!(
                    "{bound}parameters = [{{ name = \"p\", type = \"object\", type_name = \"A\", {member} }}]\n\
                     returns = {{ type = \"object\", type_name = \"A\", members = [{{ name = \"b\", type = \"string\" }}] }}\n"
                ),
                "type A is declared at action.approve.parameters.p and again at action.approve.returns with other members",
            ),
            (
                returns(
                    "type = \"object\", type_name = \"A\", members = [{ name = \"b\", type = \"object\", type_name = \"B\", members = [\
                     { name = \"c\", type = \"object\", type_name = \"C\", members = [\
                     { name = \"d\", type = \"object\", type_name = \"D\", members = [\
                     { name = \"e\", type = \"object\", type_name = \"E\", members = [{ name = \"f\", type = \"string\" }] }] }] }] }]",
                ),
                "objects nest deeper than 4 levels",
            ),
        ] {
            let error = format!("{:#}", Manifest::parse(&format!("{ACTIONS}{table}")).expect_err(expected));
            assert!(error.contains(expected), "{table}: {error}");
        }
    }
}
