//! `$metadata` of the example deployment against the OASIS CSDL schemas (with lxml), and read
//! by a real OData client (python-odata) from an HTTP server, as a client would.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;
use wharf::entity::Catalog;
use wharf::odata::metadata::{ActionDecl, BoundTo, csdl};
use wharf::plugin::{Manifest, ParamType, ValueType};
use wharf_tests::{external, root};

/// Validates the document (argument 2) against the schema (argument 1); on failure prints
/// the schema's complaints, one a line, and exits with 1. lxml resolves `edmx.xsd`'s import of
/// `edm.xsd` next to it, and never reaches for the network.
const VALIDATE: &str = r#"
import sys
from lxml import etree
schema = etree.XMLSchema(etree.parse(sys.argv[1]))
document = etree.parse(sys.argv[2])
if not schema.validate(document):
    for error in schema.error_log:
        print(f"line {error.line}: {error.message}")
    sys.exit(1)
print("valid")
"#;

/// Serves the document (argument 1) as `/data/$metadata` on a free port, lets python-odata
/// reflect the service from it, and prints what the client understood as JSON.
const REFLECT: &str = r#"
import http.server, json, sys, threading
from odata import ODataService
from odata.enumtype import EnumType

document = open(sys.argv[1], "rb").read()

class Metadata(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/data/$metadata":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(document)))
        self.end_headers()
        self.wfile.write(document)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
threading.Thread(target=server.serve_forever, daemon=True).start()
service = ODataService(f"http://127.0.0.1:{server.server_port}/data/", reflect_entities=True, quiet_progress=True)

sets = {}
for name, entity in service.entities.items():
    schema = entity.__odata_schema__
    navigation = {}
    for nav in schema["navigation_properties"]:
        reflected = getattr(entity, nav["name"])
        navigation[nav["name"]] = {
            "target": reflected.entitycls.__odata_schema__["name"],
            "collection": reflected.is_collection,
        }
    sets[name] = {
        "type": schema["type"],
        "keys": [p["name"] for p in schema["properties"] if p["is_primary_key"]],
        "navigation": navigation,
    }
enums = {
    name: [member.name for member in enum]
    for name, enum in service.types.items()
    if isinstance(enum, type) and issubclass(enum, EnumType)
}
actions = {name: sorted(action.parameters) for name, action in service.actions.items()}
print(json.dumps({"sets": sets, "enums": enums, "actions": actions}))
server.shutdown()
"#;

/// The result an example plugin's manifest declares for `action`.
fn declared_result(plugin: &str, action: &str) -> ValueType {
    let manifest = Manifest::read(&root().join(format!("plugins/{plugin}/wharf-plugin.toml"))).expect("manifest");
    manifest.bindings[action].returns.clone().expect("a declared result")
}

/// The example deployment's `$metadata`, with an action bound to a row and one bound to the
/// entity set, written to a file in `dir`. They take and return objects with and without
/// declared members: the bill-of-materials approval's result, and a collection of the
/// on-hand lookup's (which nests a collection of warehouses).
fn example_metadata(dir: &Path) -> PathBuf {
    let catalog = Catalog::load_dir(&root().join("examples/deployment/entities")).expect("example entities");
    let on_hand = declared_result("inventory-action", "onHand");
    let actions = [
        ActionDecl {
            name: "approve".into(),
            binding: BoundTo::Entity("BillOfMaterialsHeader".into()),
            parameters: vec![
                ("approver".into(), ValueType::plain(ParamType::String)),
                ("details".into(), ValueType::plain(ParamType::Object)),
                ("request".into(), declared_result("inventory-action", "reserve")),
            ],
            returns: Some(declared_result("bom-approval", "approve")),
        },
        ActionDecl {
            name: "reserve".into(),
            binding: BoundTo::Collection("InventoryOnHand".into()),
            parameters: vec![
                ("quantity".into(), ValueType::plain(ParamType::Decimal)),
                ("lines".into(), ValueType::plain(ParamType::Array)),
            ],
            returns: Some(ValueType { param_type: ParamType::Array, ..on_hand }),
        },
    ];
    let path = dir.join("metadata.xml");
    std::fs::write(&path, csdl(&catalog, &actions)).expect("write the document");
    path
}

/// Runs `script` with the external tools' Python; returns whether it succeeded and its output.
fn python(script: &str, arguments: &[&Path]) -> (bool, String) {
    let output = Command::new(external().join("venv/bin/python"))
        .arg("-c")
        .arg(script)
        .args(arguments)
        .output()
        .expect("the external tools' Python runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn validate(document: &Path) -> (bool, String) {
    python(VALIDATE, &[&external().join("odata-csdl/schemas/edmx.xsd"), document])
}

#[test]
fn the_example_metadata_is_valid_csdl() {
    let dir = TempDir::new().expect("temporary directory");
    let document = example_metadata(dir.path());
    let (valid, report) = validate(&document);
    assert!(valid, "the schemas refuse $metadata:\n{report}");
    assert_eq!(report.trim(), "valid");
}

/// The primitive types of OData 4.0 (CSDL 4.0 §4.4) that Wharf may name; `Edm.Untyped` is
/// 4.01's and a 4.0 client does not know it.
const PRIMITIVES_4_0: [&str; 16] = [
    "Edm.Binary",
    "Edm.Boolean",
    "Edm.Byte",
    "Edm.Date",
    "Edm.DateTimeOffset",
    "Edm.Decimal",
    "Edm.Double",
    "Edm.Duration",
    "Edm.Guid",
    "Edm.Int16",
    "Edm.Int32",
    "Edm.Int64",
    "Edm.SByte",
    "Edm.Single",
    "Edm.String",
    "Edm.TimeOfDay",
];

#[test]
fn every_type_the_metadata_names_is_an_odata_4_0_primitive_or_declared_in_it() {
    let dir = TempDir::new().expect("temporary directory");
    let document = std::fs::read_to_string(example_metadata(dir.path())).expect("read the document");
    let attribute = |name: &str, tag: &str| -> Vec<String> {
        document
            .split(&format!("<{tag} "))
            .skip(1)
            .filter_map(|element| format!(" {element}").split(&format!(" {name}=\"")).nth(1).map(str::to_owned))
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect()
    };
    let declared: Vec<String> = ["EntityType", "EnumType", "ComplexType"]
        .iter()
        .flat_map(|tag| attribute("Name", tag))
        .map(|name| format!("Microsoft.Dynamics.DataEntities.{name}"))
        .collect();
    let named: Vec<String> = ["Property", "NavigationProperty", "Parameter", "ReturnType"]
        .iter()
        .flat_map(|tag| attribute("Type", tag))
        .collect();
    assert!(named.iter().any(|name| name == "Edm.String"), "the scan finds types: {named:?}");
    // The declared objects are named by what they are, not as JSON text.
    for complex in [
        "Microsoft.Dynamics.DataEntities.BomApproval",
        "Microsoft.Dynamics.DataEntities.InventoryReservationResult",
        "Collection(Microsoft.Dynamics.DataEntities.InventoryOnHandResult)",
        "Collection(Microsoft.Dynamics.DataEntities.WarehouseOnHand)",
    ] {
        assert!(named.iter().any(|name| name == complex), "{complex} is not among {named:?}");
    }
    for name in &named {
        let element = name.strip_prefix("Collection(").and_then(|rest| rest.strip_suffix(')')).unwrap_or(name);
        assert!(
            PRIMITIVES_4_0.contains(&element) || declared.iter().any(|declared| declared == element),
            "{name} is neither an OData 4.0 primitive nor declared in the document"
        );
    }
}

#[test]
fn the_schema_check_refuses_broken_metadata() {
    let dir = TempDir::new().expect("temporary directory");
    let good = std::fs::read_to_string(example_metadata(dir.path())).expect("read the document");
    let broken = [
        // A property name that is not an identifier.
        ("name", good.replacen(r#"<Property Name="BOMName""#, r#"<Property Name="BOM Name""#, 1)),
        // An element CSDL does not have.
        ("element", good.replacen("<Key>", "<Keys>", 1).replacen("</Key>", "</Keys>", 1)),
        // A navigation property without its type.
        (
            "attribute",
            good.replacen(r#"Type="Collection(Microsoft.Dynamics.DataEntities.BillOfMaterialsLine)""#, "", 1),
        ),
    ];
    for (what, document) in broken {
        assert_ne!(document, good, "{what}: the document did not change");
        let path = dir.path().join(format!("broken-{what}.xml"));
        std::fs::write(&path, document).expect("write the broken document");
        let (valid, report) = validate(&path);
        assert!(!valid, "{what}: the schemas accept a broken document");
        assert!(report.contains("line "), "{what}: the refusal says where:\n{report}");
    }
}

#[test]
fn python_odata_reflects_the_entity_sets_relations_enums_and_actions() {
    let dir = TempDir::new().expect("temporary directory");
    let document = example_metadata(dir.path());
    let (read, output) = python(REFLECT, &[&document]);
    assert!(read, "python-odata cannot read $metadata:\n{output}");
    let reflected: serde_json::Value = serde_json::from_str(output.trim()).expect("the client's summary is JSON");

    let set = |name: &str| &reflected["sets"][name];
    assert_eq!(set("CustomersV3")["type"], "Microsoft.Dynamics.DataEntities.Customer");
    assert_eq!(set("CustomersV3")["keys"], serde_json::json!(["dataAreaId", "CustomerAccount"]));
    assert_eq!(set("BillOfMaterialsLines")["keys"], serde_json::json!(["dataAreaId", "BOMId", "LineNumber"]));
    assert_eq!(
        set("BillOfMaterialsHeaders")["navigation"]["Lines"],
        serde_json::json!({"target": "BillOfMaterialsLine", "collection": true})
    );
    assert_eq!(
        set("BillOfMaterialsLines")["navigation"]["Header"],
        serde_json::json!({"target": "BillOfMaterialsHeader", "collection": false})
    );
    assert_eq!(
        set("CustomersV3")["navigation"]["CustomerGroup"],
        serde_json::json!({"target": "CustomerGroup", "collection": false})
    );
    let catalog = Catalog::load_dir(&root().join("examples/deployment/entities")).expect("example entities");
    let sets = reflected["sets"].as_object().expect("sets");
    assert_eq!(sets.len(), catalog.iter().count(), "one entity set per entity: {sets:?}");

    assert_eq!(reflected["enums"]["Microsoft.Dynamics.DataEntities.NoYes"], serde_json::json!(["No", "Yes"]));
    assert_eq!(
        reflected["enums"]["Microsoft.Dynamics.DataEntities.CustVendorBlocked"],
        serde_json::json!(["No", "Invoice", "All"])
    );
    // python-odata takes only a binding parameter called `bindingParameter` for one; D365 calls
    // it `_this`, so the client lists the actions with `_this` among their parameters.
    assert_eq!(reflected["actions"]["approve"], serde_json::json!(["_this", "approver", "details", "request"]));
    assert_eq!(reflected["actions"]["reserve"], serde_json::json!(["_this", "lines", "quantity"]));
}
