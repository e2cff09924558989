//! Entities: the record types an operator declares (one TOML file each), and the
//! [`Catalog`] of a deployment's entities.
//!
//! A definition names the entity three ways, as D365 does: its `name` (the type, e.g.
//! `Customer`), its `entity_set` (the OData collection, `Customers`) and its `label` (what data
//! packages and `entity=` on enqueue use, `Customers`). Company-scoped entities get a leading
//! `dataAreaId` field that is part of their key.
pub mod convert;
mod definition;
pub mod infer;

use std::collections::HashMap;
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
    /// first when company-scoped, then the declared fields, then the key fields not among
    /// them), for queries that filter or sort by other fields than the key.
    pub indexes: Vec<Vec<usize>>,
    /// Navigation to related entities (OData navigation properties, `$expand`).
    pub relations: Vec<Relation>,
}

/// A declared link from one entity's rows to another's: a bill of materials to its lines.
///
/// [`Catalog::new`] guarantees that the related entity exists, that each pair of fields has
/// the same type on both sides, and that a relation that is not `many` matches the related
/// entity's whole key, so it finds at most one row.
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

impl Relation {
    /// Every pair of (field of `entity`, field of `related`) a related row must match:
    /// `dataAreaId` first when both entities are company-scoped, then the declared pairs.
    /// `entity` is the entity declaring the relation, `related` the one it leads to.
    pub fn field_pairs<'r>(&'r self, entity: &Entity, related: &Entity) -> Vec<(&'r str, &'r str)> {
        let company = (entity.company_scoped && related.company_scoped).then_some((COMPANY_FIELD, COMPANY_FIELD));
        company.into_iter().chain(self.fields.iter().map(|(this, other)| (this.as_str(), other.as_str()))).collect()
    }
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
    /// Whether values of both types are of one kind, so they can be compared for equality:
    /// the same type whatever its length or scale, and for enums the same enum.
    fn same_type(&self, other: &FieldType) -> bool {
        match (self, other) {
            (FieldType::Enum { name, .. }, FieldType::Enum { name: other_name, .. }) => name == other_name,
            _ => self.name() == other.name(),
        }
    }

    /// The type for messages: its name, and for enums the enum's name too.
    fn describe(&self) -> String {
        match self {
            FieldType::Enum { name, .. } => format!("enum {name}"),
            other => other.name().to_owned(),
        }
    }

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

    /// The field called exactly `name`, as definitions spell it.
    fn declared_field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
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
    /// A catalog of these entities. Names, labels and entity sets must not collide; relations
    /// must lead to entities of the catalog through fields of the same type, and a relation to
    /// at most one row must match its whole key; an enum name must mean the same values
    /// wherever it is used, and must not be the name of an entity.
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
        for entity in &catalog.entities {
            for relation in &entity.relations {
                catalog
                    .check_relation(entity, relation)
                    .with_context(|| format!("entity {}: relation {}", entity.name, relation.name))?;
            }
        }
        catalog.check_enums()?;
        Ok(catalog)
    }

    /// Checks that `relation` of `entity` leads somewhere: an entity of this catalog, fields
    /// it has with the same types, and its whole key unless the relation is `many`.
    fn check_relation(&self, entity: &Entity, relation: &Relation) -> Result<()> {
        let related = self.entities.iter().find(|other| other.name == relation.entity).with_context(|| {
            let known: Vec<&str> = self.entities.iter().map(|entity| entity.name.as_str()).collect();
            format!("no entity is named {} (known: {})", relation.entity, known.join(", "))
        })?;
        for (this_name, related_name) in &relation.fields {
            let this = entity.declared_field(this_name).with_context(|| format!("no field {this_name}"))?;
            let other = related
                .declared_field(related_name)
                .with_context(|| format!("entity {} has no field {related_name}", related.name))?;
            if !this.field_type.same_type(&other.field_type) {
                bail!(
                    "{this_name} is {} but {}.{related_name} is {}; related fields need the same type",
                    this.field_type.describe(),
                    related.name,
                    other.field_type.describe()
                );
            }
        }
        if !relation.many {
            // A relation to one row that matched only part of the key could find several.
            let pairs = relation.field_pairs(entity, related);
            let unmatched: Vec<&str> = related
                .key_fields()
                .map(|field| field.name.as_str())
                .filter(|key_name| pairs.iter().all(|(_, related_name)| related_name != key_name))
                .collect();
            if !unmatched.is_empty() {
                bail!(
                    "it leads to at most one {} row, so it must match that entity's whole key, but it leaves out {} \
                     (declare `many = true` for a relation to several rows)",
                    related.name,
                    unmatched.join(", ")
                );
            }
        }
        Ok(())
    }

    /// Checks that each enum name means one list of values, and that no enum takes an entity's
    /// name: OData's `$metadata` declares each enum type once, next to the entity types.
    fn check_enums(&self) -> Result<()> {
        // Enum names compare without case, as entity names do, keyed by the lowercase name.
        let mut enums: HashMap<String, (&str, &[String], &Entity, &Field)> = HashMap::new();
        for entity in &self.entities {
            for field in &entity.fields {
                let FieldType::Enum { name, values } = &field.field_type else { continue };
                if let Some(other) = self.entities.iter().find(|other| other.name.eq_ignore_ascii_case(name)) {
                    bail!(
                        "entity {}: field {}: enum {name} has the name of entity {}; name the enum with `enum = \"...\"`",
                        entity.name,
                        field.name,
                        other.name
                    );
                }
                let (first_name, first_values, first_entity, first_field) =
                    *enums.entry(name.to_ascii_lowercase()).or_insert((name, values, entity, field));
                if first_name != name {
                    bail!(
                        "entity {}: field {}: enum {name} is spelled {first_name} by {}.{}; spell it one way",
                        entity.name,
                        field.name,
                        first_entity.name,
                        first_field.name
                    );
                }
                if first_values != values.as_slice() {
                    bail!(
                        "entity {}: field {}: enum {name} has values ({}), but enum {first_name} of {}.{} has ({}); \
                         one enum name must mean one list of values, so give one of them another name with `enum = \"...\"`",
                        entity.name,
                        field.name,
                        values.join(", "),
                        first_entity.name,
                        first_field.name,
                        first_values.join(", ")
                    );
                }
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"
name = "Header"
key = ["OrderId"]

[[field]]
name = "OrderId"
type = "string"

[[field]]
name = "Status"
type = "enum"
enum = "OrderStatus"
values = ["Open", "Closed"]

[[relation]]
name = "Lines"
entity = "Line"
fields = { OrderId = "OrderId" }
many = true
"#;

    const LINE: &str = r#"
name = "Line"
key = ["OrderId", "LineNumber"]

[[field]]
name = "OrderId"
type = "string"

[[field]]
name = "LineNumber"
type = "integer"

[[relation]]
name = "Header"
entity = "Header"
fields = { OrderId = "OrderId" }
"#;

    fn catalog(definitions: &[&str]) -> Result<Catalog> {
        Catalog::new(definitions.iter().map(|text| Entity::parse(text, "test.toml").expect("valid")).collect())
    }

    fn error(definitions: &[&str]) -> String {
        format!("{:#}", catalog(definitions).expect_err("refused"))
    }

    #[test]
    fn relations_between_company_scoped_entities_match_the_company_too() {
        let catalog = catalog(&[HEADER, LINE]).expect("valid");
        let header = catalog.require("Header").expect("header");
        let line = catalog.require("Line").expect("line");
        let lines = &header.relations[0];
        assert_eq!(lines.field_pairs(header, line), [("dataAreaId", "dataAreaId"), ("OrderId", "OrderId")]);
        let shared = Entity { company_scoped: false, ..(**line).clone() };
        assert_eq!(lines.field_pairs(header, &shared), [("OrderId", "OrderId")]);
    }

    #[test]
    fn relations_must_lead_to_fields_of_the_same_type_of_a_known_entity() {
        assert_eq!(error(&[HEADER]), "entity Header: relation Lines: no entity is named Line (known: Header)");
        let other_field = HEADER.replace("{ OrderId = \"OrderId\" }", "{ OrderId = \"Order\" }");
        assert_eq!(error(&[&other_field, LINE]), "entity Header: relation Lines: entity Line has no field Order");
        let integer_key =
            LINE.replace("name = \"OrderId\"\ntype = \"string\"", "name = \"OrderId\"\ntype = \"integer\"");
        assert_eq!(
            error(&[HEADER, &integer_key]),
            "entity Header: relation Lines: OrderId is string but Line.OrderId is integer; related fields need the same type"
        );
    }

    #[test]
    fn a_relation_to_one_row_must_match_the_whole_key() {
        let one_line = HEADER.replace("many = true", "");
        assert_eq!(
            error(&[&one_line, LINE]),
            "entity Header: relation Lines: it leads to at most one Line row, so it must match that entity's whole \
             key, but it leaves out LineNumber (declare `many = true` for a relation to several rows)"
        );
        // A row of a shared entity cannot pick one company's row.
        let shared_line = LINE.replace("key =", "company = false\nkey =");
        assert!(
            error(&[HEADER, &shared_line])
                .starts_with("entity Line: relation Header: it leads to at most one Header row"),
        );
        assert!(error(&[HEADER, &shared_line]).contains("it leaves out dataAreaId"));
    }

    #[test]
    fn an_enum_name_means_one_list_of_values_and_is_not_an_entity_name() {
        let reordered = LINE.replace(
            "[[relation]]",
            "[[field]]\nname = \"State\"\ntype = \"enum\"\nenum = \"OrderStatus\"\nvalues = [\"Closed\", \"Open\"]\n\n[[relation]]",
        );
        assert_eq!(
            error(&[HEADER, &reordered]),
            "entity Line: field State: enum OrderStatus has values (Closed, Open), but enum OrderStatus of \
             Header.Status has (Open, Closed); one enum name must mean one list of values, so give one of them \
             another name with `enum = \"...\"`"
        );
        let same = reordered.replace("[\"Closed\", \"Open\"]", "[\"Open\", \"Closed\"]");
        assert!(catalog(&[HEADER, &same]).is_ok());
        let respelled = same.replace("enum = \"OrderStatus\"", "enum = \"orderstatus\"");
        assert!(error(&[HEADER, &respelled]).contains("enum orderstatus is spelled OrderStatus by Header.Status"));
        let entity_named = HEADER.replace("enum = \"OrderStatus\"", "enum = \"Line\"");
        assert!(error(&[&entity_named, LINE]).contains("enum Line has the name of entity Line"));
    }
}
