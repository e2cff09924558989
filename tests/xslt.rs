//! XSLT stylesheets run by the built-in sandboxed transform: applied in order on import and
//! export, confined to the stylesheet folder, and failing whole with the stylesheet and line.

use std::path::Path;

use serde_json::{Value, json};
use wharf::pipeline::{Input, RunOptions, Silent};
use wharf::run::{Exit, execute};
use wharf::store::ExecutionStatus;

use super::imports::{deployment, import, rows, sample};
use super::security::{get, job, message, ok_json, post};
use super::server::{FABRIKAM, OPS, TestServer};

/// Runs `wharf <args>`; returns the exit code and what it printed (or the error).
fn wharf(args: &[&str]) -> (Exit, String) {
    let mut out = Vec::new();
    let outcome = execute(std::iter::once("wharf").chain(args.iter().copied()), &mut out);
    match outcome {
        Ok(exit) => (exit, String::from_utf8(out).expect("utf-8")),
        Err(failure) => (failure.exit, format!("{:#}", failure.error)),
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn a_stylesheet_imports_the_same_rows_as_the_transform_plugin_it_replaces() {
    let (_dir, deployment) = deployment();
    let file = sample(&deployment, "fabrikam-orders.xml");
    import(&deployment, "Fabrikam orders (transformed)", &file, None);
    let (by_plugin_headers, by_plugin_lines) =
        (rows(&deployment, "SalesOrderHeader"), rows(&deployment, "SalesOrderLine"));
    let (_other_dir, other) = super::imports::deployment();
    let execution = import(&other, "Fabrikam orders (XSLT)", &sample(&other, "fabrikam-orders.xml"), None);
    assert_eq!(execution.status, ExecutionStatus::PartiallySucceeded, "the bad line is rejected, the rest imported");
    assert!(by_plugin_headers.iter().any(|row| row.contains("SalesOrderNumber=4711")), "{by_plugin_headers:?}");
    assert_eq!(rows(&other, "SalesOrderHeader"), by_plugin_headers);
    assert_eq!(rows(&other, "SalesOrderLine"), by_plugin_lines);
}

#[test]
fn wharf_import_applies_project_and_entity_stylesheets_in_order() {
    let (dir, deployment) = deployment();
    drop(deployment);
    // The second stylesheet only makes sense after the first: it renames what the first wrote.
    std::fs::write(
        dir.path().join("stylesheets/currency.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
  <xsl:template match="@CURRENCYCODE">
    <xsl:attribute name="CURRENCYCODE"><xsl:value-of select="translate(., 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/></xsl:attribute>
  </xsl:template>
</xsl:stylesheet>"#,
    )
    .expect("stylesheet");
    let project = dir.path().join("projects/fabrikam-orders-xslt.toml");
    let text = std::fs::read_to_string(&project).expect("project").replacen(
        "level = 1\n",
        "level = 1\nstylesheets = [\"currency.xsl\"]\n",
        1,
    );
    std::fs::write(&project, text).expect("project");
    let file = dir.path().join("samples/fabrikam-orders.xml");
    let args = ["import", path(&file), "--project", "Fabrikam orders (XSLT)", "--deployment", path(dir.path())];
    let (exit, out) = wharf(&args);
    assert_eq!(exit, Exit::RowsRejected, "one order has a bad line: {out}");
    let deployment = wharf::deployment::Deployment::open(dir.path(), None).expect("deployment");
    let headers = rows(&deployment, "SalesOrderHeader");
    assert!(headers.iter().any(|row| row.contains("SalesOrderNumber=4711") && row.contains("=USD")), "{headers:?}");
}

/// Imports the Fabrikam sample through stylesheet `name` with `content` (and any `extra`
/// files of the folder); returns the failure's message, checking that nothing was written.
fn failing(name: &str, content: &str, extra: &[(&str, &str)], document: Option<&str>) -> String {
    let (dir, deployment) = deployment();
    std::fs::write(dir.path().join("stylesheets").join(name), content).expect("stylesheet");
    for (extra, text) in extra {
        let path = dir.path().join(extra);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
        std::fs::write(path, text).expect("file");
    }
    let text = std::fs::read_to_string(dir.path().join("projects/fabrikam-orders-xslt.toml"))
        .expect("project")
        .replace("fabrikam-orders.xsl", name)
        .replace("Fabrikam orders (XSLT)", "broken");
    std::fs::write(dir.path().join("projects/broken.toml"), text).expect("project");
    drop(deployment);
    let deployment = wharf::deployment::Deployment::open(dir.path(), None).expect("deployment");
    let file = match document {
        Some(document) => {
            let file = dir.path().join("document.xml");
            std::fs::write(&file, document).expect("document");
            file
        }
        None => sample(&deployment, "fabrikam-orders.xml"),
    };
    let project = deployment.projects.require("broken").expect("project");
    let options = RunOptions { company: Some("usmf".into()), ..RunOptions::default() };
    let execution = deployment
        .pipeline
        .import(project, &Input::from_path(&file, None), &options, &Silent)
        .expect("the execution is recorded");
    let errors = deployment.pipeline.store.execution_errors(&execution.id, 0, 10).expect("errors");
    let error = errors.iter().map(|error| error.message.as_str()).collect::<Vec<_>>().join("\n");
    assert_eq!(execution.status, ExecutionStatus::Failed, "{name} with {extra:?}: {error}");
    assert!(rows(&deployment, "SalesOrderHeader").is_empty(), "nothing is written: {error}");
    assert!(error.contains(&format!("stylesheet {name}")), "the stylesheet is named: {error}");
    error
}

#[test]
fn a_malformed_stylesheet_fails_the_import_naming_its_line() {
    let error = failing(
        "malformed.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
         <xsl:template match=\"/\">\n<xsl:value-of select=\"1 +\"/>\n</xsl:template>\n</xsl:stylesheet>\n",
        &[],
        None,
    );
    assert!(error.contains("malformed.xsl line 3"), "{error}");
    let error = failing("unclosed.xsl", "<xsl:stylesheet version=\"1.0\"\n xmlns:xsl=\"x\">\n<a>\n", &[], None);
    assert!(error.contains("unclosed.xsl line"), "{error}");
}

#[test]
fn an_endless_recursion_fails_the_import_naming_the_template_line() {
    let error = failing(
        "loop.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
         <xsl:template match=\"/\"><xsl:call-template name=\"again\"/></xsl:template>\n\
         <xsl:template name=\"again\">\n<xsl:call-template name=\"again\"/>\n</xsl:template>\n\
         </xsl:stylesheet>\n",
        &[],
        None,
    );
    assert!(error.contains("infinite template recursion") && error.contains("loop.xsl line 4"), "{error}");
}

#[test]
fn an_exploding_output_is_stopped_by_the_sandbox_limits() {
    // Each step doubles a string: 2^40 bytes by the end, far past any limit.
    let error = failing(
        "bomb.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
         <xsl:template match=\"/\"><r><xsl:call-template name=\"grow\"/></r></xsl:template>\n\
         <xsl:template name=\"grow\"><xsl:param name=\"s\" select=\"'x'\"/><xsl:param name=\"n\" select=\"40\"/>\n\
         <xsl:choose><xsl:when test=\"$n = 0\"><xsl:value-of select=\"$s\"/></xsl:when><xsl:otherwise>\n\
         <xsl:call-template name=\"grow\"><xsl:with-param name=\"s\" select=\"concat($s, $s)\"/><xsl:with-param name=\"n\" select=\"$n - 1\"/></xsl:call-template>\n\
         </xsl:otherwise></xsl:choose></xsl:template>\n</xsl:stylesheet>\n",
        &[],
        None,
    );
    assert!(["memory", "time limit", "output", "bomb.xsl line 5"].iter().any(|sign| error.contains(sign)), "{error}");
}

#[test]
fn includes_and_documents_outside_the_stylesheet_folder_are_refused() {
    let sheet = |href: &str| {
        format!(
            "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
             <xsl:include href=\"{href}\"/>\n<xsl:template match=\"/\"><r/></xsl:template>\n</xsl:stylesheet>\n"
        )
    };
    let secret =
        [("secret.xsl", "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"/>")];
    for href in ["../secret.xsl", "/etc/passwd", "file:///etc/passwd", "http://127.0.0.1:9/x.xsl", "missing.xsl"] {
        let error = failing("escape.xsl", &sheet(href), &secret, None);
        assert!(error.contains("refused") || error.contains("not in the stylesheet folder"), "{href}: {error}");
    }
    let error = failing(
        "document.xsl",
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
         <xsl:template match=\"/\"><r><xsl:copy-of select=\"document('../projects/broken.toml')\"/></r></xsl:template>\n\
         </xsl:stylesheet>\n",
        &[],
        None,
    );
    assert!(error.contains("document() '../projects/broken.toml' refused"), "{error}");
}

#[test]
fn external_entities_in_the_document_are_never_fetched() {
    let document = "<?xml version=\"1.0\"?>\n<!DOCTYPE Orders SYSTEM \"http://127.0.0.1:9/orders.dtd\" [\n\
                    <!ENTITY secret SYSTEM \"file:///etc/hostname\">\n]>\n<Orders>&secret;</Orders>\n";
    let (dir, deployment) = deployment();
    std::fs::write(
        dir.path().join("stylesheets/text.xsl"),
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
         <xsl:template match=\"/\"><Document><SALESORDERHEADERV2ENTITY SALESORDERNUMBER=\"{string(/)}\"/></Document></xsl:template>\n\
         </xsl:stylesheet>\n",
    )
    .expect("stylesheet");
    let file = dir.path().join("entity.xml");
    std::fs::write(&file, document).expect("document");
    let text = std::fs::read_to_string(dir.path().join("projects/fabrikam-orders-xslt.toml"))
        .expect("project")
        .replace("fabrikam-orders.xsl", "text.xsl")
        .replace("Fabrikam orders (XSLT)", "entities");
    std::fs::write(dir.path().join("projects/entities.toml"), text).expect("project");
    drop(deployment);
    let deployment = wharf::deployment::Deployment::open(dir.path(), None).expect("deployment");
    let project = deployment.projects.require("entities").expect("project");
    let options = RunOptions { company: Some("usmf".into()), ..RunOptions::default() };
    let hostname = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let outcome = deployment.pipeline.import(
        project,
        &Input::from_path(&file, Some("SalesOrderHeader".into())),
        &options,
        &Silent,
    );
    let headers = rows(&deployment, "SalesOrderHeader");
    assert!(
        headers.iter().all(|row| hostname.trim().is_empty() || !row.contains(hostname.trim())),
        "the entity's file was read: {headers:?} {outcome:?}"
    );
}

/// Runs every conformance case (libxslt's REC, keys and numbers cases, and the D365-style
/// stylesheets) in the sandbox, and holds the pass rate recorded in
/// `tests/data/xslt/conformance.txt` with the failing cases and why (`UPDATE_EXPECT=1`
/// rewrites it).
#[test]
fn the_conformance_pass_rate_does_not_drop() {
    let plugin = wharf_tests::runtime().load(&wharf_tests::plugin("xslt-transform")).expect("the XSLT plugin loads");
    let data = wharf_tests::root().join("tests/data/xslt");
    let mut passed = 0;
    let mut failures = Vec::new();
    for suite in ["libxslt/REC", "libxslt/keys", "libxslt/numbers", "d365"] {
        let dir = data.join(suite);
        let mut files = std::collections::HashMap::new();
        let mut names: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("suite folder") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            if let Ok(text) = std::fs::read_to_string(&path) {
                files.insert(format!("xslt.file:{name}"), text);
            }
            names.push(name);
        }
        names.sort();
        for name in names.iter().filter(|name| name.ends_with(".xsl")) {
            let stem = name.trim_end_matches(".xsl");
            let (Ok(input), Ok(expected)) =
                (std::fs::read(dir.join(format!("{stem}.xml"))), std::fs::read(dir.join(format!("{stem}.out"))))
            else {
                continue;
            };
            let case = format!("{suite}/{stem}");
            let mut config = files.clone();
            config.insert("xslt.stylesheet".into(), name.clone());
            let document = wharf_plugin_sdk::Document { format: "xml".into(), name: None, content: input };
            let context = wharf_plugin_sdk::Context::default();
            match plugin.transform_with_config(&context, document, Some(std::sync::Arc::new(config))) {
                Ok(output) if output.content == expected => passed += 1,
                Ok(output) => {
                    failures.push(format!("{case}: output differs: {}", first_difference(&output.content, &expected)))
                }
                Err(error) => failures.push(format!("{case}: {}", error.to_string().replace('\n', " "))),
            }
        }
    }
    let total = passed + failures.len();
    println!("xslt conformance: {passed} of {total} cases pass");
    let report = format!(
        "# XSLT 1.0 conformance of the sandboxed engine (libxslt 1.1.43 + libxml2 2.14.6 in WebAssembly)\n\
         # Cases: libxslt's REC, keys and numbers tests and the D365-style stylesheets under d365/.\n\
         passed {passed} of {total}\n{}\n",
        failures.join("\n")
    );
    let file = data.join("conformance.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&file, &report).expect("bless");
        return;
    }
    let recorded = std::fs::read_to_string(&file).expect("tests/data/xslt/conformance.txt (UPDATE_EXPECT=1 writes it)");
    let recorded_passed: usize = recorded
        .lines()
        .find_map(|line| line.strip_prefix("passed ")?.split(' ').next()?.parse().ok())
        .expect("a `passed N of M` line");
    assert!(passed >= recorded_passed, "the pass rate dropped from {recorded_passed} to {passed}:\n{report}");
    assert!(failures.iter().all(|failure| !failure.starts_with("d365/")), "a D365-style case fails:\n{report}");
}

/// Where two outputs part, shortly.
fn first_difference(actual: &[u8], expected: &[u8]) -> String {
    let at = actual.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(actual.len().min(expected.len()));
    let show = |bytes: &[u8]| {
        String::from_utf8_lossy(&bytes[at.min(bytes.len())..(at + 40).min(bytes.len())]).replace('\n', "\\n")
    };
    format!("at byte {at}, got {:?}, expected {:?}", show(actual), show(expected))
}

/// The sales order numbers the server's OData service shows.
fn order_numbers(server: &TestServer, token: &str) -> Vec<String> {
    let orders = ok_json(get(server, token, "/data/SalesOrderHeadersV2?$select=SalesOrderNumber"), "the orders");
    let mut numbers: Vec<String> = orders["value"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|order| order["SalesOrderNumber"].as_str().expect("a number").to_owned())
        .collect();
    numbers.sort();
    numbers
}

/// Enqueues `document` to the job `activity` and waits until its message is done with;
/// returns the message as the management API shows it.
fn enqueue_and_settle(server: &TestServer, token: &str, ops: &str, activity: &str, document: Vec<u8>) -> Value {
    let enqueued = post(server, token, &format!("/api/connector/enqueue/{activity}"), document);
    let id = ok_json(enqueued, "an enqueue").as_str().expect("a message id").to_owned();
    server.wait_for("the message to be processed", || {
        !["Enqueued", "Processing"].contains(&message(server, ops, &id)["Status"].as_str().unwrap_or_default())
    });
    message(server, ops, &id)
}

#[test]
fn wharf_serve_imports_an_enqueued_document_through_the_projects_stylesheet_and_fails_one_that_loops() {
    let server = TestServer::start();
    let (token, ops) = (server.token(FABRIKAM), server.token(OPS));
    let activity = "7b3e9f41-2c6d-4e8a-9a1b-5d4c3f2e1a0b";
    let mut definition = job(activity, "Fabrikam orders (XSLT)", "import", "file", "usmf", FABRIKAM);
    // A job taking files names the entity they hold: the orders, whose lines stay behind.
    definition["entity"] = json!("Sales order headers V2");
    assert_eq!(post(&server, &ops, "/manage/jobs", definition.to_string()).status(), 201);

    let processed = enqueue_and_settle(
        &server,
        &token,
        &ops,
        activity,
        std::fs::read(server.dir.path().join("samples/fabrikam-orders.xml")).expect("sample"),
    );
    assert_eq!((&processed["Status"], &processed["TotalRecords"]), (&json!("Processed"), &json!(3)), "{processed}");
    assert_eq!(order_numbers(&server, &token), ["4711", "4712", "4713"], "the partner's orders, reshaped and imported");

    // Stylesheets are read at each execution: the deployment's copy now recurses forever.
    std::fs::write(
        server.dir.path().join("stylesheets/fabrikam-orders.xsl"),
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n\
         <xsl:template match=\"/\"><xsl:call-template name=\"again\"/></xsl:template>\n\
         <xsl:template name=\"again\">\n<xsl:call-template name=\"again\"/>\n</xsl:template>\n\
         </xsl:stylesheet>\n",
    )
    .expect("stylesheet");
    let document = "<Orders><Order number=\"9001\" buyer=\"FAB-01\" currency=\"EUR\" deliveryDate=\"01.12.2026\">\
                    <Lines><Line no=\"1\" sku=\"T0004\" qty=\"1\" price=\"3\" unit=\"ea\"/></Lines></Order></Orders>";
    let failed = enqueue_and_settle(&server, &token, &ops, activity, document.as_bytes().to_vec());
    // D365's status for a message that failed before a row reached staging.
    assert_eq!(failed["Status"], "PreProcessingError", "{failed}");
    assert_eq!(order_numbers(&server, &token), ["4711", "4712", "4713"], "nothing of the failed document is written");
    let execution = failed["ExecutionId"].as_str().expect("an execution");
    let errors = ok_json(get(&server, &ops, &format!("/manage/executions/{execution}/errors")), "errors");
    let text = errors.to_string();
    assert!(
        text.contains("stylesheet fabrikam-orders.xsl") && text.contains("infinite template recursion"),
        "the error names the stylesheet and the fault: {text}"
    );
    assert!(text.contains("fabrikam-orders.xsl line 4"), "and the line: {text}");
}

/// A copy of the example deployment whose plugin directory has no XSLT transform, finding
/// built-in plugins in `builtins`.
fn without_the_xslt_plugin(builtins: &Path) -> tempfile::TempDir {
    let (dir, deployment) = deployment();
    drop(deployment);
    for extension in ["wasm", "toml"] {
        std::fs::remove_file(dir.path().join(format!("plugins/xslt-transform.{extension}"))).expect("remove");
    }
    let settings = dir.path().join("wharf.toml");
    let text = std::fs::read_to_string(&settings).expect("settings");
    std::fs::write(&settings, format!("builtins = {:?}\n{text}", path(builtins))).expect("settings");
    dir
}

#[test]
fn a_deployment_without_its_own_copy_uses_the_built_in_xslt_transform() {
    let dir = without_the_xslt_plugin(wharf_tests::plugin_dir());
    let file = dir.path().join("samples/fabrikam-orders.xml");
    let args = ["import", path(&file), "--project", "Fabrikam orders (XSLT)", "--deployment", path(dir.path())];
    let (exit, out) = wharf(&args);
    assert_eq!(exit, Exit::RowsRejected, "one order has a bad line: {out}");
    let deployment = wharf::deployment::Deployment::open(dir.path(), None).expect("deployment");
    assert!(rows(&deployment, "SalesOrderHeader").iter().any(|row| row.contains("SalesOrderNumber=4711")));
}

#[test]
fn a_missing_built_in_xslt_transform_fails_with_the_command_that_builds_it() {
    let empty = tempfile::tempdir().expect("an empty folder");
    let dir = without_the_xslt_plugin(empty.path());
    let file = dir.path().join("samples/fabrikam-orders.xml");
    let args = ["import", path(&file), "--project", "Fabrikam orders (XSLT)", "--deployment", path(dir.path())];
    let (exit, out) = wharf(&args);
    assert_ne!(exit, Exit::Success, "{out}");
    assert!(out.contains("wharf plugin build plugins/xslt-transform --out ~/.cache/wharf/plugins"), "{out}");
    // Projects without stylesheets run as before.
    let groups = dir.path().join("samples/customer-groups.csv");
    let (exit, out) =
        wharf(&["import", path(&groups), "--project", "Customer groups", "--deployment", path(dir.path())]);
    assert_eq!(exit, Exit::Success, "{out}");
}
