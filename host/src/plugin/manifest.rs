//! Plugin manifests: the TOML file beside each `.wasm` naming the plugin, its roles, the
//! entities it serves, its configuration and its limits.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;

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
    /// Any JSON object.
    Object,
    /// Any JSON array.
    Array,
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
    /// Values the plugin reads with `host::config`.
    pub config: BTreeMap<String, String>,
    /// Caps for every call.
    pub limits: Limits,
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
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    limits: Limits,
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
        let manifest = Manifest {
            name: file.name,
            version: file.version,
            roles: file.roles,
            entities: file.entities,
            actions: file.actions,
            config,
            limits: file.limits,
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
        Ok(())
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
        assert_eq!(manifest.id(), "m@1");
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
        ] {
            let error = format!("{:#}", Manifest::parse(&text).expect_err(expected));
            assert!(error.contains(expected), "{error}");
        }
    }
}
