//! The service document (`GET /data/`) and `$metadata` (CSDL XML, OData 4.0), both generated
//! from the entity catalog and the actions the action plugins declare.
//!
//! The CSDL follows D365 F&O: one schema, `Microsoft.Dynamics.DataEntities`, holding an entity
//! type per entity (named by the entity's name), an enum type per enum, the bound actions and
//! one entity container whose entity sets carry the entities' entity-set names. Everything is
//! written in the catalog's order, enums by name and actions by binding and name, so the same
//! deployment always gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, Event};
use serde_json::{Value, json};

use crate::entity::{Catalog, Entity, FieldType, Relation};
use crate::plugin::{ComplexType, ParamType, ValueType};

/// The namespace of every type, enum and action, as in D365.
pub const NAMESPACE: &str = "Microsoft.Dynamics.DataEntities";

/// The name of the entity container.
const CONTAINER: &str = "Container";

/// The name of a bound action's binding parameter, as D365 calls it.
const BINDING_PARAMETER: &str = "_this";

const EDMX_NAMESPACE: &str = "http://docs.oasis-open.org/odata/ns/edmx";
const EDM_NAMESPACE: &str = "http://docs.oasis-open.org/odata/ns/edm";

/// The Capabilities vocabulary, which the conformance-level annotation comes from.
const CAPABILITIES_URI: &str =
    "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml";
const CAPABILITIES: &str = "Org.OData.Capabilities.V1";

/// An action as `$metadata` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDecl {
    /// The action's name, e.g. `approve`; callers add the namespace.
    pub name: String,
    /// What the action is bound to.
    pub binding: BoundTo,
    /// The parameters after the binding parameter, by name, in order.
    pub parameters: Vec<(String, ValueType)>,
    /// The type of the result, `None` when the action returns nothing.
    pub returns: Option<ValueType>,
}

/// What a bound action is called on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundTo {
    /// One row of the entity named (by its name, label or entity set):
    /// `POST /data/{Set}({keys})/Microsoft.Dynamics.DataEntities.{action}`.
    Entity(String),
    /// The entity set of the entity named:
    /// `POST /data/{Set}/Microsoft.Dynamics.DataEntities.{action}`.
    Collection(String),
}

impl BoundTo {
    /// The entity, as the binding names it.
    fn entity(&self) -> &str {
        match self {
            BoundTo::Entity(entity) | BoundTo::Collection(entity) => entity,
        }
    }
}

/// The service document: every entity set, named and addressed by its entity-set name
/// (relative to `service_root`, e.g. `https://host/data`).
pub fn service_document(catalog: &Catalog, service_root: &str) -> Value {
    let sets: Vec<Value> = catalog
        .iter()
        .map(|entity| json!({"name": entity.entity_set, "kind": "EntitySet", "url": entity.entity_set}))
        .collect();
    json!({
        "@odata.context": format!("{}/$metadata", service_root.trim_end_matches('/')),
        "value": sets,
    })
}

/// `$metadata`: the CSDL XML document describing `catalog` and `actions`, with a complex type
/// for each object type the actions declare members for.
///
/// An action bound to an entity the catalog does not have, declared a second time with the
/// same name and binding, or declaring a complex type whose name another type of the document
/// has, is left out, so the document stays valid whatever the plugins declare.
pub fn csdl(catalog: &Catalog, actions: &[ActionDecl]) -> String {
    let mut output = Vec::new();
    // A Vec takes every write, so writing cannot fail.
    let _ = write_csdl(&mut output, catalog, actions);
    // quick-xml writes the &str it is given, so the output is UTF-8.
    String::from_utf8_lossy(&output).into_owned()
}

fn write_csdl(output: impl io::Write, catalog: &Catalog, actions: &[ActionDecl]) -> io::Result<()> {
    let mut writer = Writer::new_with_indent(output, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    element(&mut writer, "edmx:Edmx", &[("Version", "4.0"), ("xmlns:edmx", EDMX_NAMESPACE)], |writer| {
        element(writer, "edmx:Reference", &[("Uri", CAPABILITIES_URI)], |writer| {
            empty(writer, "edmx:Include", &[("Namespace", CAPABILITIES)])
        })?;
        element(writer, "edmx:DataServices", &[], |writer| {
            element(writer, "Schema", &[("Namespace", NAMESPACE), ("xmlns", EDM_NAMESPACE)], |writer| {
                write_schema(writer, catalog, actions)
            })
        })
    })
}

fn write_schema<W: io::Write>(writer: &mut Writer<W>, catalog: &Catalog, actions: &[ActionDecl]) -> io::Result<()> {
    for (name, values) in enums(catalog) {
        element(writer, "EnumType", &[("Name", name)], |writer| {
            // Values count from 0 in declaration order, the order D365 gives its enums.
            for (value, member) in values.iter().enumerate() {
                empty(writer, "Member", &[("Name", member), ("Value", &value.to_string())])?;
            }
            Ok(())
        })?;
    }
    for entity in catalog.iter() {
        write_entity_type(writer, catalog, entity)?;
    }
    // Bindings may name an entity by its name, label or entity set; sorting and de-duplicating
    // by the entity's name orders and counts them the same whichever it is.
    let mut bound: Vec<(&Entity, &ActionDecl)> = actions
        .iter()
        .filter_map(|action| catalog.get(action.binding.entity()).map(|entity| (entity.as_ref(), action)))
        .collect();
    bound.sort_by(|a, b| action_order(a).cmp(&action_order(b)));
    bound.dedup_by(|a, b| action_order(a) == action_order(b));
    let mut taken: BTreeSet<&str> = catalog.iter().map(|entity| entity.name.as_str()).collect();
    taken.extend(enums(catalog).into_keys());
    let mut complex_types: BTreeMap<String, Arc<ComplexType>> = BTreeMap::new();
    bound.retain(|(_, action)| {
        let declared = action_complex_types(action);
        let fits = declared.iter().all(|complex| {
            !taken.contains(complex.name.as_str())
                && complex_types.get(&complex.name).is_none_or(|known| **known == **complex)
        });
        if fits {
            complex_types.extend(declared.into_iter().map(|complex| (complex.name.clone(), complex)));
        }
        fits
    });
    for complex in complex_types.values() {
        write_complex_type(writer, complex)?;
    }
    for (entity, action) in bound {
        write_action(writer, entity, action)?;
    }
    // A container needs at least one entity set.
    if catalog.iter().next().is_some() {
        write_container(writer, catalog)?;
    }
    Ok(())
}

/// Bound actions in the order `$metadata` lists them: by entity, those bound to one row first,
/// then by name.
fn action_order<'a>((entity, action): &(&'a Entity, &'a ActionDecl)) -> (&'a str, bool, &'a str) {
    (&entity.name, matches!(action.binding, BoundTo::Collection(_)), &action.name)
}

/// Every enum of the catalog by name, with its values. The catalog has checked that one name
/// means one list of values.
fn enums(catalog: &Catalog) -> BTreeMap<&str, &[String]> {
    catalog
        .iter()
        .flat_map(|entity| entity.fields.iter())
        .filter_map(|field| match &field.field_type {
            FieldType::Enum { name, values } => Some((name.as_str(), values.as_slice())),
            _ => None,
        })
        .collect()
}

fn write_entity_type<W: io::Write>(writer: &mut Writer<W>, catalog: &Catalog, entity: &Entity) -> io::Result<()> {
    element(writer, "EntityType", &[("Name", &entity.name)], |writer| {
        element(writer, "Key", &[], |writer| {
            for field in entity.key_fields() {
                empty(writer, "PropertyRef", &[("Name", &field.name)])?;
            }
            Ok(())
        })?;
        for field in &entity.fields {
            let type_name = property_type(&field.field_type);
            let mut attributes = vec![("Name", field.name.clone()), ("Type", type_name)];
            if field.required {
                attributes.push(("Nullable", "false".to_owned()));
            }
            match &field.field_type {
                FieldType::String { max_length: Some(max_length) } => {
                    attributes.push(("MaxLength", max_length.to_string()));
                }
                // The store keeps every digit it is given, so no Precision is declared (in
                // CSDL its absence means any number of digits; D365 declares 32, a limit Wharf
                // does not have). OData 4.0 takes a missing Scale for 0, so a decimal without
                // a declared scale says `variable`.
                FieldType::Decimal { scale } => {
                    attributes.push(("Scale", scale.map_or_else(|| "variable".to_owned(), |scale| scale.to_string())));
                }
                _ => {}
            }
            let attributes: Vec<(&str, &str)> =
                attributes.iter().map(|(name, value)| (*name, value.as_str())).collect();
            empty(writer, "Property", &attributes)?;
        }
        for relation in &entity.relations {
            let Some(related) = catalog.get(&relation.entity) else { continue };
            write_navigation_property(writer, entity, relation, related)?;
        }
        Ok(())
    })
}

fn write_navigation_property<W: io::Write>(
    writer: &mut Writer<W>,
    entity: &Entity,
    relation: &Relation,
    related: &Entity,
) -> io::Result<()> {
    let target = format!("{NAMESPACE}.{}", related.name);
    let type_name = if relation.many { format!("Collection({target})") } else { target };
    let mut attributes = vec![("Name", relation.name.as_str()), ("Type", type_name.as_str())];
    // The store does not enforce that a related row exists, so a single related row may be
    // missing.
    if !relation.many {
        attributes.push(("Nullable", "true"));
    }
    if let Some(partner) = partner(entity, relation, related) {
        attributes.push(("Partner", &partner.name));
    }
    // CSDL allows referential constraints only on single-valued navigation properties: the
    // declaring type is the dependent, the target the principal. A collection's constraint is
    // stated by its partner, when it has one.
    if relation.many {
        return empty(writer, "NavigationProperty", &attributes);
    }
    element(writer, "NavigationProperty", &attributes, |writer| {
        for (property, referenced) in relation.field_pairs(entity, related) {
            empty(writer, "ReferentialConstraint", &[("Property", property), ("ReferencedProperty", referenced)])?;
        }
        Ok(())
    })
}

/// The relation of `related` that leads back to `entity` over the same fields, when there is
/// exactly one: OData's partner navigation property.
fn partner<'e>(entity: &Entity, relation: &Relation, related: &'e Entity) -> Option<&'e Relation> {
    let mut back = related.relations.iter().filter(|candidate| {
        !std::ptr::eq(*candidate, relation)
            && candidate.entity == entity.name
            && candidate.fields.len() == relation.fields.len()
            && candidate
                .fields
                .iter()
                .all(|(there, here)| relation.fields.iter().any(|pair| pair.0 == *here && pair.1 == *there))
    });
    let first = back.next()?;
    // Two candidates leave the partner unclear.
    back.next().is_none().then_some(first)
}

/// Every complex type `action`'s parameters and result declare.
fn action_complex_types(action: &ActionDecl) -> Vec<Arc<ComplexType>> {
    let parameters = action.parameters.iter().map(|(_, value_type)| value_type);
    parameters.chain(&action.returns).flat_map(ValueType::complex_types).collect()
}

/// A declared object type: a property per member, `Nullable="false"` unless the member may be
/// null.
fn write_complex_type<W: io::Write>(writer: &mut Writer<W>, complex: &ComplexType) -> io::Result<()> {
    element(writer, "ComplexType", &[("Name", &complex.name)], |writer| {
        for member in &complex.members {
            let type_name = edm(&member.value_type);
            let mut attributes = vec![("Name", member.name.as_str()), ("Type", type_name.as_str())];
            if !member.nullable {
                attributes.push(("Nullable", "false"));
            }
            attributes.extend_from_slice(facets(member.value_type.param_type));
            empty(writer, "Property", &attributes)?;
        }
        Ok(())
    })
}

fn write_action<W: io::Write>(writer: &mut Writer<W>, entity: &Entity, action: &ActionDecl) -> io::Result<()> {
    let bound_type = match &action.binding {
        BoundTo::Entity(_) => format!("{NAMESPACE}.{}", entity.name),
        BoundTo::Collection(_) => format!("Collection({NAMESPACE}.{})", entity.name),
    };
    element(writer, "Action", &[("Name", &action.name), ("IsBound", "true")], |writer| {
        empty(writer, "Parameter", &[("Name", BINDING_PARAMETER), ("Type", &bound_type), ("Nullable", "false")])?;
        for (name, value_type) in &action.parameters {
            let type_name = edm(value_type);
            let mut attributes = vec![("Name", name.as_str()), ("Type", type_name.as_str())];
            attributes.extend_from_slice(facets(value_type.param_type));
            empty(writer, "Parameter", &attributes)?;
        }
        if let Some(returns) = &action.returns {
            let type_name = edm(returns);
            let mut attributes = vec![("Type", type_name.as_str())];
            attributes.extend_from_slice(facets(returns.param_type));
            empty(writer, "ReturnType", &attributes)?;
        }
        Ok(())
    })
}

fn write_container<W: io::Write>(writer: &mut Writer<W>, catalog: &Catalog) -> io::Result<()> {
    element(writer, "EntityContainer", &[("Name", CONTAINER)], |writer| {
        // Minimal is the level whose every rule the service keeps; it serves much of the
        // Intermediate level too, but not all of it (parameter aliases, for one).
        let level = format!("{CAPABILITIES}.ConformanceLevelType/Minimal");
        let term = format!("{CAPABILITIES}.ConformanceLevel");
        empty(writer, "Annotation", &[("Term", &term), ("EnumMember", &level)])?;
        for entity in catalog.iter() {
            let entity_type = format!("{NAMESPACE}.{}", entity.name);
            element(writer, "EntitySet", &[("Name", &entity.entity_set), ("EntityType", &entity_type)], |writer| {
                for relation in &entity.relations {
                    let Some(related) = catalog.get(&relation.entity) else { continue };
                    empty(
                        writer,
                        "NavigationPropertyBinding",
                        &[("Path", &relation.name), ("Target", &related.entity_set)],
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}

/// The CSDL type of a field.
fn property_type(field_type: &FieldType) -> String {
    match field_type {
        FieldType::String { .. } => "Edm.String".to_owned(),
        FieldType::Integer => "Edm.Int64".to_owned(),
        FieldType::Decimal { .. } => "Edm.Decimal".to_owned(),
        FieldType::Boolean => "Edm.Boolean".to_owned(),
        FieldType::Date => "Edm.Date".to_owned(),
        FieldType::DateTime => "Edm.DateTimeOffset".to_owned(),
        FieldType::Guid => "Edm.Guid".to_owned(),
        FieldType::Enum { name, .. } => format!("{NAMESPACE}.{name}"),
    }
}

/// The CSDL type of an action's parameter or result, or of a complex type's member.
///
/// An object with declared members is its complex type, and an array of them a collection of
/// it: typed clients generate a class from it, as they do for D365's data contracts.
///
/// A manifest's `object` and `array` without members say "any JSON", and OData 4.0 has no
/// type for that: Edm.Untyped is 4.01's, the abstract Edm.ComplexType needs an `@odata.type`
/// naming a concrete type, and an open complex type per action would be answered as bare
/// members (JSON Format §11), where D365's clients and run-time OData clients such as
/// python-odata read an action's result from `value`. So such values travel as Edm.String
/// holding the JSON text: every 4.0 client, typed or not, reads it from `value` and hands the
/// caller a string to parse; a parameter may be sent either way (see `actions::checked`).
pub(super) fn edm(value_type: &ValueType) -> String {
    match (&value_type.complex, value_type.param_type) {
        (Some(complex), ParamType::Array) => format!("Collection({NAMESPACE}.{})", complex.name),
        (Some(complex), _) => format!("{NAMESPACE}.{}", complex.name),
        (None, param_type) => primitive(param_type).to_owned(),
    }
}

/// The Edm primitive type of a type without declared members.
fn primitive(param_type: ParamType) -> &'static str {
    match param_type {
        ParamType::String | ParamType::Object | ParamType::Array => "Edm.String",
        ParamType::Integer => "Edm.Int64",
        ParamType::Decimal => "Edm.Decimal",
        ParamType::Boolean => "Edm.Boolean",
        ParamType::Date => "Edm.Date",
        ParamType::Datetime => "Edm.DateTimeOffset",
        ParamType::Guid => "Edm.Guid",
    }
}

/// The facets of an action's parameter or result beyond its type: a decimal's scale is open,
/// as for a decimal field without a declared scale.
fn facets(param_type: ParamType) -> &'static [(&'static str, &'static str)] {
    match param_type {
        ParamType::Decimal => &[("Scale", "variable")],
        _ => &[],
    }
}

/// Writes `<name attributes>`, then what `content` writes, then `</name>`.
fn element<W: io::Write>(
    writer: &mut Writer<W>,
    name: &str,
    attributes: &[(&str, &str)],
    content: impl FnOnce(&mut Writer<W>) -> io::Result<()>,
) -> io::Result<()> {
    writer.create_element(name).with_attributes(attributes.iter().copied()).write_inner_content(content)?;
    Ok(())
}

/// Writes `<name attributes/>`; quick-xml escapes the attribute values.
fn empty<W: io::Write>(writer: &mut Writer<W>, name: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
    writer.create_element(name).with_attributes(attributes.iter().copied()).write_empty()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Entity;

    const HEADER: &str = r#"
name = "Header"
entity_set = "Headers"
key = ["OrderId"]

[[field]]
name = "OrderId"
type = "string"
max_length = 20

[[field]]
name = "Amount"
type = "decimal"
scale = 2

[[field]]
name = "Weight"
type = "decimal"

[[field]]
name = "Status"
type = "enum"
enum = "NoYes"
values = ["No", "Yes"]
required = true

[[field]]
name = "Placed"
type = "date"

[[field]]
name = "Changed"
type = "datetime"

[[field]]
name = "Lines"
type = "integer"

[[field]]
name = "Rush"
type = "boolean"

[[field]]
name = "Party"
type = "guid"

[[relation]]
name = "OrderLines"
entity = "Line"
fields = { OrderId = "OrderId" }
many = true
"#;

    const LINE: &str = r#"
name = "Line"
entity_set = "Lines"
key = ["OrderId", "LineNumber"]

[[field]]
name = "OrderId"
type = "string"
max_length = 20

[[field]]
name = "LineNumber"
type = "integer"

[[relation]]
name = "Header"
entity = "Header"
fields = { OrderId = "OrderId" }
"#;

    fn catalog() -> Catalog {
        let entities = [HEADER, LINE].iter().map(|text| Entity::parse(text, "test.toml").expect("valid")).collect();
        Catalog::new(entities).expect("valid catalog")
    }

    fn approve() -> ActionDecl {
        ActionDecl {
            name: "approve".into(),
            binding: BoundTo::Entity("Header".into()),
            parameters: vec![
                ("comment".into(), ValueType::plain(ParamType::String)),
                ("details".into(), ValueType::plain(ParamType::Object)),
            ],
            returns: Some(ValueType::plain(ParamType::Boolean)),
        }
    }

    fn close_all() -> ActionDecl {
        ActionDecl {
            name: "closeAll".into(),
            // By entity set, as a manifest may name it.
            binding: BoundTo::Collection("Headers".into()),
            parameters: vec![("fee".into(), ValueType::plain(ParamType::Decimal))],
            returns: Some(ValueType::plain(ParamType::Array)),
        }
    }

    const EXPECTED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml">
    <edmx:Include Namespace="Org.OData.Capabilities.V1"/>
  </edmx:Reference>
  <edmx:DataServices>
    <Schema Namespace="Microsoft.Dynamics.DataEntities" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="NoYes">
        <Member Name="No" Value="0"/>
        <Member Name="Yes" Value="1"/>
      </EnumType>
      <EntityType Name="Header">
        <Key>
          <PropertyRef Name="dataAreaId"/>
          <PropertyRef Name="OrderId"/>
        </Key>
        <Property Name="dataAreaId" Type="Edm.String" Nullable="false" MaxLength="4"/>
        <Property Name="OrderId" Type="Edm.String" Nullable="false" MaxLength="20"/>
        <Property Name="Amount" Type="Edm.Decimal" Scale="2"/>
        <Property Name="Weight" Type="Edm.Decimal" Scale="variable"/>
        <Property Name="Status" Type="Microsoft.Dynamics.DataEntities.NoYes" Nullable="false"/>
        <Property Name="Placed" Type="Edm.Date"/>
        <Property Name="Changed" Type="Edm.DateTimeOffset"/>
        <Property Name="Lines" Type="Edm.Int64"/>
        <Property Name="Rush" Type="Edm.Boolean"/>
        <Property Name="Party" Type="Edm.Guid"/>
        <NavigationProperty Name="OrderLines" Type="Collection(Microsoft.Dynamics.DataEntities.Line)" Partner="Header"/>
      </EntityType>
      <EntityType Name="Line">
        <Key>
          <PropertyRef Name="dataAreaId"/>
          <PropertyRef Name="OrderId"/>
          <PropertyRef Name="LineNumber"/>
        </Key>
        <Property Name="dataAreaId" Type="Edm.String" Nullable="false" MaxLength="4"/>
        <Property Name="OrderId" Type="Edm.String" Nullable="false" MaxLength="20"/>
        <Property Name="LineNumber" Type="Edm.Int64" Nullable="false"/>
        <NavigationProperty Name="Header" Type="Microsoft.Dynamics.DataEntities.Header" Nullable="true" Partner="OrderLines">
          <ReferentialConstraint Property="dataAreaId" ReferencedProperty="dataAreaId"/>
          <ReferentialConstraint Property="OrderId" ReferencedProperty="OrderId"/>
        </NavigationProperty>
      </EntityType>
      <Action Name="approve" IsBound="true">
        <Parameter Name="_this" Type="Microsoft.Dynamics.DataEntities.Header" Nullable="false"/>
        <Parameter Name="comment" Type="Edm.String"/>
        <Parameter Name="details" Type="Edm.String"/>
        <ReturnType Type="Edm.Boolean"/>
      </Action>
      <Action Name="closeAll" IsBound="true">
        <Parameter Name="_this" Type="Collection(Microsoft.Dynamics.DataEntities.Header)" Nullable="false"/>
        <Parameter Name="fee" Type="Edm.Decimal" Scale="variable"/>
        <ReturnType Type="Edm.String"/>
      </Action>
      <EntityContainer Name="Container">
        <Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel" EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>
        <EntitySet Name="Headers" EntityType="Microsoft.Dynamics.DataEntities.Header">
          <NavigationPropertyBinding Path="OrderLines" Target="Lines"/>
        </EntitySet>
        <EntitySet Name="Lines" EntityType="Microsoft.Dynamics.DataEntities.Line">
          <NavigationPropertyBinding Path="Header" Target="Headers"/>
        </EntitySet>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

    #[test]
    fn the_csdl_declares_types_keys_enums_relations_actions_and_sets() {
        assert_eq!(csdl(&catalog(), &[close_all(), approve()]), EXPECTED);
    }

    #[test]
    fn actions_bound_to_unknown_entities_or_declared_twice_are_left_out() {
        let unknown = ActionDecl { binding: BoundTo::Entity("Invoice".into()), ..approve() };
        // The same action, its entity named by its entity set this time.
        let again = ActionDecl { binding: BoundTo::Entity("Headers".into()), ..approve() };
        let document = csdl(&catalog(), &[approve(), unknown, close_all(), again]);
        assert_eq!(document, EXPECTED);
    }

    #[test]
    fn values_that_are_not_identifiers_are_escaped() {
        let hostile =
            ActionDecl { parameters: vec![("a\"<b>&c".into(), ValueType::plain(ParamType::String))], ..approve() };
        let document = csdl(&catalog(), &[hostile]);
        assert!(document.contains(r#"<Parameter Name="a&quot;&lt;b&gt;&amp;c" Type="Edm.String"/>"#), "{document}");
    }

    fn complex(name: &str, members: &[(&str, ValueType, bool)]) -> Arc<ComplexType> {
        let members = members
            .iter()
            .map(|(name, value_type, nullable)| crate::plugin::Member {
                name: (*name).into(),
                value_type: value_type.clone(),
                nullable: *nullable,
            })
            .collect();
        Arc::new(ComplexType { name: name.into(), members })
    }

    /// `approve` answering a `Approval` with its lines, and `closeAll` a collection of them.
    fn with_complex_types() -> [ActionDecl; 2] {
        let line = complex("ApprovedLine", &[("LineNumber", ValueType::plain(ParamType::Integer), false)]);
        let lines = ValueType { param_type: ParamType::Array, complex: Some(line.clone()) };
        let approval = complex(
            "Approval",
            &[
                ("OrderId", ValueType::plain(ParamType::String), false),
                ("Fee", ValueType::plain(ParamType::Decimal), true),
                ("Lines", lines.clone(), false),
            ],
        );
        let request = complex("Request", &[("Approver", ValueType::plain(ParamType::String), false)]);
        let approve = ActionDecl {
            parameters: vec![("request".into(), ValueType { param_type: ParamType::Object, complex: Some(request) })],
            returns: Some(ValueType { param_type: ParamType::Object, complex: Some(approval) }),
            ..approve()
        };
        [approve, ActionDecl { returns: Some(lines), ..close_all() }]
    }

    #[test]
    fn declared_objects_are_complex_types_that_parameters_and_results_name() {
        let document = csdl(&catalog(), &with_complex_types());
        let expected = r#"      <ComplexType Name="Approval">
        <Property Name="OrderId" Type="Edm.String" Nullable="false"/>
        <Property Name="Fee" Type="Edm.Decimal" Scale="variable"/>
        <Property Name="Lines" Type="Collection(Microsoft.Dynamics.DataEntities.ApprovedLine)" Nullable="false"/>
      </ComplexType>
      <ComplexType Name="ApprovedLine">
        <Property Name="LineNumber" Type="Edm.Int64" Nullable="false"/>
      </ComplexType>
      <ComplexType Name="Request">
        <Property Name="Approver" Type="Edm.String" Nullable="false"/>
      </ComplexType>
      <Action Name="approve" IsBound="true">
        <Parameter Name="_this" Type="Microsoft.Dynamics.DataEntities.Header" Nullable="false"/>
        <Parameter Name="request" Type="Microsoft.Dynamics.DataEntities.Request"/>
        <ReturnType Type="Microsoft.Dynamics.DataEntities.Approval"/>
      </Action>
      <Action Name="closeAll" IsBound="true">
        <Parameter Name="_this" Type="Collection(Microsoft.Dynamics.DataEntities.Header)" Nullable="false"/>
        <Parameter Name="fee" Type="Edm.Decimal" Scale="variable"/>
        <ReturnType Type="Collection(Microsoft.Dynamics.DataEntities.ApprovedLine)"/>
      </Action>
"#;
        assert!(document.contains(expected), "{document}");
    }

    #[test]
    fn an_action_whose_complex_type_name_another_type_has_is_left_out() {
        let [approve, close_all] = with_complex_types();
        // Another plugin's `ApprovedLine` with other members, and a type named like an entity.
        let other_line = complex("ApprovedLine", &[("Number", ValueType::plain(ParamType::String), false)]);
        let clashing = ActionDecl {
            returns: Some(ValueType { param_type: ParamType::Array, complex: Some(other_line) }),
            ..close_all.clone()
        };
        let entity_named = complex("Line", &[("Number", ValueType::plain(ParamType::String), false)]);
        let shadowing = ActionDecl {
            name: "shadow".into(),
            returns: Some(ValueType { param_type: ParamType::Object, complex: Some(entity_named) }),
            ..approve.clone()
        };
        let document = csdl(&catalog(), &[approve.clone(), clashing, shadowing]);
        assert_eq!(document.matches("<ComplexType ").count(), 3, "{document}");
        assert!(!document.contains("closeAll") && !document.contains("shadow"), "{document}");
        assert!(document.contains(r#"<Property Name="LineNumber" Type="Edm.Int64" Nullable="false"/>"#));
        assert_eq!(csdl(&catalog(), &[approve, close_all]), csdl(&catalog(), &with_complex_types()));
    }

    #[test]
    fn an_empty_catalog_has_no_entity_container() {
        let document = csdl(&Catalog::default(), &[]);
        assert!(document.contains("<Schema Namespace=\"Microsoft.Dynamics.DataEntities\""), "{document}");
        assert!(!document.contains("EntityContainer"), "a container needs an entity set: {document}");
    }

    #[test]
    fn the_service_document_lists_every_entity_set() {
        let expected = json!({
            "@odata.context": "https://wharf.example/data/$metadata",
            "value": [
                {"name": "Headers", "kind": "EntitySet", "url": "Headers"},
                {"name": "Lines", "kind": "EntitySet", "url": "Lines"},
            ],
        });
        assert_eq!(service_document(&catalog(), "https://wharf.example/data/"), expected);
        assert_eq!(service_document(&catalog(), "https://wharf.example/data"), expected);
    }
}
