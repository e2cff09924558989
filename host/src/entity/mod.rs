//! Entities: the record types an operator declares (one TOML file each), and the
//! [`Catalog`] of a deployment's entities.
//!
//! A definition names the entity three ways, as D365 does: its `name` (the type, e.g.
//! `Customer`), its `entity_set` (the OData collection, `Customers`) and its `label` (what data
//! packages and `entity=` on enqueue use, `Customers`). Company-scoped entities get a leading
//! `dataAreaId` field that is part of their key.
pub mod convert;
mod definition;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use wharf_plugin_sdk::Value;

pub use convert::{ParseOptions, RowConverter};

/// The name of the company field of company-scoped entities.
pub const COMPANY_FIELD: &str = "dataAreaId";

/// A record type: typed fields and a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// The type name, e.g. `Customer`.
    pub name: String,
    /// The OData entity-set name, e.g. `Customers`.
    pub entity_set: String,
    /// The DMF label used by data packages and enqueue, e.g. `Customers`.
    pub label: String,
    /// Whether rows belong to a company (`dataAreaId`) or are shared by all.
    pub company_scoped: bool,
    /// The fields, `dataAreaId` first when company-scoped.
    pub fields: Vec<Field>,
    /// Indexes into `fields` of the key, `dataAreaId` first when company-scoped.
    pub key: Vec<usize>,
    /// Secondary indexes the store keeps, each a list of indexes into `fields` (`dataAreaId`
    /// first when company-scoped), for queries that filter or sort by other fields than the key.
    pub indexes: Vec<Vec<usize>>,
    /// Navigation to related entities (OData navigation properties, `$expand`).
    pub relations: Vec<Relation>,
}

/// A declared link from one entity's rows to another's: a bill of materials to its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The navigation property's name, e.g. `Lines`.
    pub name: String,
    /// The related entity's name, e.g. `BillOfMaterialsLine`.
    pub entity: String,
    /// Pairs of (this entity's field, the related entity's field) that must be equal. Between
    /// two company-scoped entities `dataAreaId` is always matched too.
    pub fields: Vec<(String, String)>,
    /// Whether a row has many related rows (a collection) or at most one.
    pub many: bool,
}

/// One typed field of an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The name, e.g. `CustomerAccount`.
    pub name: String,
    /// The type.
    pub field_type: FieldType,
    /// Whether a row without a value is rejected. Key fields are always required.
    pub required: bool,
    /// The value a row gets when it has none.
    pub default: Option<Value>,
}

/// The type of a field's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// Text, at most `max_length` characters when set.
    String {
        /// The most characters a value may have.
        max_length: Option<u32>,
    },
    /// A 64-bit whole number.
    Integer,
    /// An exact decimal number, with at most `scale` digits after the point when set.
    Decimal {
        /// The most fractional digits.
        scale: Option<u32>,
    },
    /// Yes or no.
    Boolean,
    /// A calendar date.
    Date,
    /// A point in time, kept in UTC.
    DateTime,
    /// One of a fixed list of names, e.g. D365's `NoYes`.
    Enum {
        /// The enum type's name, e.g. `NoYes`.
        name: String,
        /// The allowed names, in order.
        values: Vec<String>,
    },
    /// A GUID, kept lowercase without braces.
    Guid,
}

impl FieldType {
    /// The name used in definitions: `string`, `integer`, ….
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::String { .. } => "string",
            FieldType::Integer => "integer",
            FieldType::Decimal { .. } => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::Enum { .. } => "enum",
            FieldType::Guid => "guid",
        }
    }
}

impl Entity {
    /// Parses a definition; errors name the line. `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Entity> {
        definition::parse(text).with_context(|| format!("invalid entity definition {origin}"))
    }

    /// The index of field `name`, compared case-insensitively as D365 does.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|field| field.name.eq_ignore_ascii_case(name))
    }

    /// The key fields, in key order.
    pub fn key_fields(&self) -> impl Iterator<Item = &Field> {
        self.key.iter().filter_map(|&index| self.fields.get(index))
    }

    /// Whether this entity answers to `name` as its name, label or entity set.
    pub fn answers_to(&self, name: &str) -> bool {
        [&self.name, &self.label, &self.entity_set].iter().any(|known| known.eq_ignore_ascii_case(name))
    }
}

/// The entities of a deployment.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entities: Vec<Arc<Entity>>,
}

impl Catalog {
    /// A catalog of these entities; names, labels and entity sets must not collide.
    pub fn new(entities: Vec<Entity>) -> Result<Catalog> {
        let mut catalog = Catalog::default();
        for entity in entities {
            for name in [&entity.name, &entity.label, &entity.entity_set] {
                if let Some(other) = catalog.get(name) {
                    bail!("entity {} and entity {} both answer to {name}", other.name, entity.name);
                }
            }
            catalog.entities.push(Arc::new(entity));
        }
        Ok(catalog)
    }

    /// Reads every `*.toml` file of `dir`, in name order.
    pub fn load_dir(dir: &Path) -> Result<Catalog> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read entity directory {}", dir.display()))?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read entity directory {}", dir.display()))?;
        files.retain(|path| path.extension().is_some_and(|extension| extension == "toml"));
        files.sort();
        let entities = files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                Entity::parse(&text, &path.display().to_string())
            })
            .collect::<Result<_>>()?;
        Catalog::new(entities)
    }

    /// The entity answering to `name` (its name, label or entity set, any case).
    pub fn get(&self, name: &str) -> Option<&Arc<Entity>> {
        self.entities.iter().find(|entity| entity.answers_to(name))
    }

    /// The entity answering to `name`, or an error listing the known ones.
    pub fn require(&self, name: &str) -> Result<&Arc<Entity>> {
        self.get(name).with_context(|| {
            let known: Vec<&str> = self.entities.iter().map(|entity| entity.name.as_str()).collect();
            format!("unknown entity {name} (known: {})", known.join(", "))
        })
    }

    /// Every entity, in definition order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Entity>> {
        self.entities.iter()
    }
}
