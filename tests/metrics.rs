//! `/metrics` read as Prometheus reads it: values after known traffic, labels free of ids and
//! secrets, access by token or on an address of its own, and the sample Grafana dashboard
//! querying only metrics a scrape has.
//!
//! The recorder is process-wide, shared by every server the tests start at once: each test
//! counts series whose labels are its own (a fresh job, entity or plugin), or checks deltas.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{PrometheusType, PrometheusValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::server::{Backend, FABRIKAM, OPS, TestServer, on_both_backends};

/// A sample's labels, as name and value.
type Labels = Vec<(String, String)>;

/// One scrape of `/metrics`, parsed.
struct Scrape {
    text: String,
    /// Every sample: its family, its labels, and its value (a histogram's count).
    samples: Vec<(String, Labels, f64)>,
    /// The families, with their type.
    families: Vec<(String, PrometheusType)>,
}

impl Scrape {
    /// Parses `text`, failing the test when it is not the Prometheus text format.
    fn parse(text: String) -> Scrape {
        let exposition =
            parse_prometheus(&text).unwrap_or_else(|error| panic!("not Prometheus text: {error:?}\n{text}"));
        let mut samples = Vec::new();
        let mut families = Vec::new();
        for (name, family) in &exposition.families {
            families.push((name.clone(), family.family_type.clone()));
            for sample in family.iter_samples() {
                let labels = sample.get_labelset().expect("a label set");
                let labels: Labels = labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let value = match &sample.value {
                    PrometheusValue::Counter(counter) => counter.value.as_f64(),
                    PrometheusValue::Gauge(value) | PrometheusValue::Unknown(value) => value.as_f64(),
                    PrometheusValue::Histogram(histogram) => histogram.count.unwrap_or(0) as f64,
                    PrometheusValue::Summary(summary) => summary.count.unwrap_or(0) as f64,
                };
                samples.push((name.clone(), labels, value));
            }
        }
        Scrape { text, samples, families }
    }

    /// The sum of `family`'s samples whose labels include `labels` (0 when there is none).
    fn value(&self, family: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(name, have, _)| {
                name == family && labels.iter().all(|(k, v)| have.iter().any(|(hk, hv)| hk == k && hv == v))
            })
            .map(|(_, _, value)| value)
            .sum()
    }

    /// Whether a family of this name is in the scrape.
    fn has(&self, family: &str) -> bool {
        self.families.iter().any(|(name, _)| name == family)
    }
}

/// `/metrics` at `url`, which must answer 200.
fn scrape_at(server: &TestServer, url: &str) -> Scrape {
    let response = server.http.get(url).send().expect("/metrics answers");
    assert_eq!(response.status(), 200, "/metrics at {url}");
    let content_type = response.headers()["content-type"].to_str().expect("a content type").to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    Scrape::parse(response.text().expect("a body"))
}

fn scrape(server: &TestServer) -> Scrape {
    scrape_at(server, &server.at("/metrics"))
}

/// A job made through the management API; returns its activity id.
fn create_job(server: &TestServer, job: Value) -> String {
    let activity = Uuid::new_v4().to_string();
    let mut job = job;
    job["activity"] = json!(activity);
    job["authorized"] = json!([{ "client": FABRIKAM }]);
    let response =
        server.http.post(server.at("/manage/jobs")).bearer_auth(server.token(OPS)).json(&job).send().expect("answers");
    assert_eq!(response.status(), 201, "{job}");
    activity
}

/// An import job of `project` that processes once an hour: its first run takes the empty
/// queue, and what is enqueued after it stays enqueued.
fn hourly_import(server: &TestServer, project: &str, entity: &str) -> String {
    let activity = create_job(
        server,
        json!({ "name": "Metrics import", "project": project, "direction": "import", "mode": "file",
                "entity": entity, "processing": "1h", "monitoring": "1h" }),
    );
    std::thread::sleep(Duration::from_millis(300));
    activity
}

fn enqueue(server: &TestServer, token: &str, activity: &str, external_id: &str, body: Vec<u8>) -> String {
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{activity}?company=USMF")))
        .bearer_auth(token)
        .header("x-ms-dyn-externalidentifier", external_id)
        .body(body)
        .send()
        .expect("enqueue answers");
    let status = response.status();
    let text = response.text().expect("a body");
    assert_eq!(status, 200, "enqueue: {text}");
    text.trim_matches('"').to_owned()
}

fn groups(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from("CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text.into_bytes()
}

const ENQUEUE_ROUTE: &str = "/api/connector/enqueue/{activity}";

on_both_backends!(enqueues_show_in_the_enqueue_counter_and_the_depth_gauge_of_their_job);

fn enqueues_show_in_the_enqueue_counter_and_the_depth_gauge_of_their_job(backend: Backend) {
    let server = TestServer::start_on(backend);
    let activity = hourly_import(&server, "Customer groups", "Customer groups");
    let http = |scrape: &Scrape| {
        scrape.value("wharf_http_request_duration_seconds", &[("route", ENQUEUE_ROUTE), ("status", "200")])
    };
    let before = scrape(&server);
    let token = server.token(FABRIKAM);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(enqueue(&server, &token, &activity, &format!("groups-{n}.csv"), groups(&["10,Wholesale,Net30,No"])));
    }
    // An idempotent repeat adds no message, and is not counted.
    enqueue(&server, &token, &activity, "groups-0.csv", groups(&["10,Wholesale,Net30,No"]));

    let after = scrape(&server);
    let job = [("job", activity.as_str())];
    assert_eq!(after.value("wharf_queue_enqueued_total", &job), 3.0, "{}", after.text);
    let waiting = [("job", activity.as_str()), ("status", "Enqueued")];
    assert_eq!(after.value("wharf_queue_messages", &waiting), 3.0, "{}", after.text);
    let age = after.value("wharf_queue_oldest_message_age_seconds", &waiting);
    assert!((0.0..60.0).contains(&age), "the oldest waits for seconds, not {age}");
    assert!(http(&after) - http(&before) >= 4.0, "four enqueues answered: {} then {}", http(&before), http(&after));

    // Labels carry the route's template and the job, never a message id, a token or a secret.
    for id in &ids {
        assert!(!after.text.contains(id.as_str()), "message id {id} in the scrape");
    }
    assert!(!after.text.contains(&token), "the bearer token in the scrape");
    assert!(!after.text.contains(server.secret(FABRIKAM)), "a client secret in the scrape");
}

on_both_backends!(dequeues_acks_redeliveries_and_poisonings_are_counted_per_job);

fn dequeues_acks_redeliveries_and_poisonings_are_counted_per_job(backend: Backend) {
    let server = TestServer::start_on_with(backend, |config| {
        config.jobs.queue.visibility_timeout = Duration::from_millis(200);
        config.jobs.queue.max_deliveries = 2;
    });
    // Two export jobs, each of whose first run queues one package.
    let export = || {
        create_job(
            &server,
            json!({ "name": "Metrics export", "project": "Contoso export", "direction": "export",
                    "mode": "package", "company": "usmf", "processing": "1h", "monitoring": "1h" }),
        )
    };
    let (acked, poisoned) = (export(), export());
    let token = server.token(FABRIKAM);
    let dequeue = |activity: &str| {
        let response = server
            .http
            .get(server.at(&format!("/api/connector/dequeue/{activity}")))
            .bearer_auth(&token)
            .send()
            .expect("dequeue answers");
        match response.status().as_u16() {
            200 => Some(response.json::<Value>().expect("a dequeue answer")),
            204 => None,
            status => panic!("dequeue answered {status}"),
        }
    };
    let first = |activity: &str| {
        let mut lease = None;
        server.wait_for("an export to dequeue", || {
            lease = dequeue(activity);
            lease.is_some()
        });
        lease.expect("a lease")
    };

    // One package leased and acknowledged.
    let lease = first(&acked);
    let body = json!({ "CorrelationId": lease["CorrelationId"], "PopReceipt": lease["PopReceipt"] });
    let url = server.at(&format!("/api/connector/ack/{acked}"));
    let response = server.http.post(url).bearer_auth(&token).json(&body).send().expect("ack answers");
    assert_eq!(response.status(), 200, "ack");

    // The other leased, leased again once visible (a redelivery), and then, out of
    // deliveries, poisoned instead of leased a third time.
    let lease = first(&poisoned);
    std::thread::sleep(Duration::from_millis(300));
    let again = dequeue(&poisoned).expect("the unacknowledged message comes back");
    assert_eq!(again["CorrelationId"], lease["CorrelationId"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(dequeue(&poisoned).is_none(), "a message out of deliveries is not leased");

    let after = scrape(&server);
    let count = |family: &str, activity: &str| after.value(family, &[("job", activity)]);
    let depth =
        |activity: &str, status: &str| after.value("wharf_queue_messages", &[("job", activity), ("status", status)]);
    assert_eq!(count("wharf_queue_enqueued_total", &acked), 1.0, "{}", after.text);
    assert_eq!(count("wharf_queue_dequeued_total", &acked), 1.0, "{}", after.text);
    assert_eq!(count("wharf_queue_acked_total", &acked), 1.0, "{}", after.text);
    assert_eq!(count("wharf_queue_redelivered_total", &acked), 0.0, "{}", after.text);
    assert_eq!(depth(&acked, "Acked"), 1.0, "{}", after.text);
    assert_eq!(count("wharf_queue_dequeued_total", &poisoned), 2.0, "{}", after.text);
    assert_eq!(count("wharf_queue_redelivered_total", &poisoned), 1.0, "{}", after.text);
    assert_eq!(count("wharf_queue_poisoned_total", &poisoned), 1.0, "{}", after.text);
    assert_eq!(count("wharf_queue_acked_total", &poisoned), 0.0, "{}", after.text);
    assert_eq!(depth(&poisoned, "Poisoned"), 1.0, "{}", after.text);
    assert_eq!(depth(&poisoned, "Dequeued"), 0.0, "{}", after.text);
}

/// Writes an entity named `name` (customer groups' fields) and an import project of it into
/// the deployment `dir`, before the server opens it.
fn write_entity(dir: &Path, name: &str) {
    let entity = std::fs::read_to_string(dir.join("entities/customer-group.toml")).expect("the groups entity");
    let entity = entity
        .replace("entity = \"CustomerGroup\"", &format!("entity = \"{name}\""))
        .replace("name = \"CustomerGroup\"", &format!("name = \"{name}\""))
        .replace("entity_set = \"CustomerGroups\"", &format!("entity_set = \"{name}s\""))
        .replace("label = \"Customer groups\"", &format!("label = \"{name}\""));
    std::fs::write(dir.join(format!("entities/{name}.toml")), entity).expect("an entity");
    let project = format!(
        "name = \"{name} import\"\noperation = \"import\"\n\n[[entity]]\nentity = \"{name}\"\nformat = \"CSV\"\n"
    );
    std::fs::write(dir.join(format!("projects/{name}.toml")), project).expect("a project");
}

on_both_backends!(an_import_with_a_rejected_row_counts_rows_per_entity_and_its_execution_by_outcome);

fn an_import_with_a_rejected_row_counts_rows_per_entity_and_its_execution_by_outcome(backend: Backend) {
    let entity = format!("MetricsGroup{}", &Uuid::new_v4().simple().to_string()[..8]);
    let server = TestServer::start_on_with(backend, |config| write_entity(&config.deployment, &entity));
    let activity = create_job(
        &server,
        json!({ "name": "Metrics rows", "project": format!("{entity} import"), "direction": "import",
                "mode": "file", "entity": entity, "processing": "100ms", "monitoring": "1m" }),
    );
    let partial = [("operation", "import"), ("outcome", "PartiallySucceeded")];
    let before = scrape(&server).value("wharf_executions_total", &partial);
    let body = groups(&["40,Government,Net30,No", "THIS-ID-IS-FAR-TOO-LONG,Too long an id,Net30,No"]);
    enqueue(&server, &server.token(FABRIKAM), &activity, "rows.csv", body);

    let labels = [("entity", entity.as_str())];
    let processed = [("job", activity.as_str()), ("status", "ProcessedWithErrors")];
    // The execution is counted as it ends, and the message settles just after.
    server.wait_for("the message to settle", || scrape(&server).value("wharf_queue_messages", &processed) == 1.0);
    let after = scrape(&server);
    assert_eq!(after.value("wharf_rows_read_total", &labels), 2.0, "{}", after.text);
    assert_eq!(after.value("wharf_rows_imported_total", &labels), 1.0, "{}", after.text);
    assert_eq!(after.value("wharf_rows_rejected_total", &labels), 1.0, "{}", after.text);
    assert!(after.value("wharf_executions_total", &partial) > before, "{}", after.text);
    assert_eq!(after.value("wharf_queue_claimed_total", &[("job", &activity)]), 1.0, "{}", after.text);
    assert!(after.value("wharf_store_write_duration_seconds", &[]) > 0.0, "{}", after.text);
    assert_eq!(after.value("wharf_queue_messages", &[("job", &activity), ("status", "Processing")]), 0.0);
}

/// Copies the hostile test plugin as `name`, attacking by `attack`, into `dir`.
fn hostile_as(dir: &Path, name: &str, attack: &str) -> std::path::PathBuf {
    wharf_tests::install("hostile", dir, name, |manifest| {
        manifest.replace("attack = \"none\"", &format!("attack = \"{attack}\""))
    })
}

fn call_once(file: &Path) -> wharf::plugin::CallError {
    let plugin = wharf_tests::runtime().load(file).expect("the plugin loads");
    let mut input = wharf_plugin_sdk::BatchBuilder::new(["a"]);
    input.push_row(&["1".into()]);
    plugin.map(&wharf_plugin_sdk::Context::default(), &input.finish()).expect_err("the attack fails")
}

#[test]
fn a_plugin_trap_and_a_time_limit_show_in_the_plugin_counters_of_that_version() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("a directory");
    let suffix = &Uuid::new_v4().simple().to_string()[..8];
    let (trapper, looper) = (format!("metrics-panic-{suffix}"), format!("metrics-loop-{suffix}"));
    let trapped = call_once(&hostile_as(dir.path(), &trapper, "panic"));
    assert!(matches!(trapped.kind, wharf::plugin::CallErrorKind::Trap(_)), "{trapped}");
    let stopped = call_once(&hostile_as(dir.path(), &looper, "loop"));
    assert!(matches!(stopped.kind, wharf::plugin::CallErrorKind::Timeout { .. }), "{stopped}");

    let after = scrape(&server);
    let value = |family: &str, plugin: &str, extra: &[(&str, &str)]| {
        let mut labels = vec![("plugin", plugin), ("version", "0.1.0")];
        labels.extend_from_slice(extra);
        after.value(family, &labels)
    };
    assert_eq!(value("wharf_plugin_calls_total", &trapper, &[]), 1.0, "{}", after.text);
    assert_eq!(value("wharf_plugin_traps_total", &trapper, &[]), 1.0, "{}", after.text);
    assert_eq!(value("wharf_plugin_limit_hits_total", &trapper, &[]), 0.0, "{}", after.text);
    assert_eq!(value("wharf_plugin_call_duration_seconds", &trapper, &[]), 1.0, "{}", after.text);
    assert_eq!(value("wharf_plugin_calls_total", &looper, &[]), 1.0, "{}", after.text);
    assert_eq!(value("wharf_plugin_traps_total", &looper, &[]), 0.0, "{}", after.text);
    assert_eq!(value("wharf_plugin_limit_hits_total", &looper, &[("limit", "time")]), 1.0, "{}", after.text);
}

#[test]
fn plugin_reloads_and_refused_versions_are_counted() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("a directory");
    let name = format!("metrics-reload-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let registry = wharf::plugin::Registry::new(wharf_tests::runtime().clone());
    let file = hostile_as(dir.path(), &name, "none");
    registry.load_file(&file).expect("the first version loads");
    let manifest = std::fs::read_to_string(file.with_extension("toml")).expect("its manifest");
    std::fs::write(file.with_extension("toml"), manifest.replace("version = \"0.1.0\"", "version = \"0.2.0\""))
        .expect("a new version");
    registry.load_file(&file).expect("the second version swaps in");
    std::fs::write(&file, b"not a component").expect("a broken version");
    registry.load_file(&file).expect_err("a broken version is refused");

    let after = scrape(&server);
    assert_eq!(after.value("wharf_plugin_reloads_total", &[("plugin", &name)]), 1.0, "{}", after.text);
    assert_eq!(after.value("wharf_plugin_load_failures_total", &[("plugin", &name)]), 1.0, "{}", after.text);
}

#[test]
fn a_request_that_matches_no_route_is_labelled_unmatched_never_by_its_path() {
    let server = TestServer::start();
    let probe = format!("/no/such/{}", Uuid::new_v4());
    assert_eq!(server.http.get(server.at(&probe)).send().expect("answers").status(), 404);
    let after = scrape(&server);
    assert!(!after.text.contains(&probe), "the raw path in the scrape");
    let unmatched = [("route", "unmatched"), ("method", "GET"), ("status", "404")];
    assert!(after.value("wharf_http_request_duration_seconds", &unmatched) >= 1.0, "{}", after.text);
}

#[test]
fn a_token_guards_metrics_when_one_is_set() {
    let secret = format!("scrape-{}", Uuid::new_v4());
    let server = TestServer::start_with(|config| config.metrics.token = Some(secret.clone()));
    let get = |bearer: Option<&str>| {
        let mut request = server.http.get(server.at("/metrics"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send().expect("answers")
    };
    assert_eq!(get(None).status(), 401);
    assert_eq!(get(Some("scrape-wrong")).status(), 401);
    assert_eq!(get(Some(&server.token(OPS))).status(), 401, "an API token is not the scrape token");
    let response = get(Some(&secret));
    assert_eq!(response.status(), 200);
    let text = response.text().expect("a body");
    Scrape::parse(text.clone());
    assert!(!text.contains(&secret), "the scrape token in the scrape");
}

#[test]
fn metrics_on_an_address_of_their_own_are_not_on_the_main_one() {
    // A free port, found by binding and letting go of it.
    let address = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("an address");
    let server = TestServer::start_with(|config| config.metrics.listen = Some(address));
    assert_eq!(server.http.get(server.at("/metrics")).send().expect("answers").status(), 404);
    let scraped = scrape_at(&server, &format!("http://{address}/metrics"));
    assert!(scraped.has("wharf_http_request_duration_seconds"), "{}", scraped.text);
}

#[test]
fn metrics_turned_off_are_not_served() {
    let server = TestServer::start_with(|config| config.metrics.enabled = false);
    assert_eq!(server.http.get(server.at("/metrics")).send().expect("answers").status(), 404);
}

/// The names of the metric families a PromQL expression reads: `wharf_…` identifiers, with a
/// histogram's `_bucket`, `_sum` and `_count` series named by their family.
fn queried_families(expression: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = expression;
    while let Some(start) = rest.find("wharf_") {
        let tail = &rest[start..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        let name = &tail[..end];
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|suffix| name.strip_suffix(suffix)).unwrap_or(name);
        names.insert(family.to_owned());
        rest = &tail[end..];
    }
    names
}

/// Every `expr` in the dashboard's panels.
fn expressions(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, member) in object {
                match (key.as_str(), member) {
                    ("expr", Value::String(expression)) => found.push(expression.clone()),
                    _ => expressions(member, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| expressions(item, found)),
        _ => {}
    }
}

#[test]
fn the_sample_dashboard_queries_every_metric_and_a_scrape_has_each_after_traffic_that_makes_it() {
    let path = wharf_tests::root().join("examples/grafana-dashboard.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the dashboard")).expect("dashboard JSON");
    let mut found = Vec::new();
    expressions(&dashboard, &mut found);
    assert!(found.len() >= 10, "the dashboard's queries: {found:?}");
    let queried: BTreeSet<String> = found.iter().flat_map(|expression| queried_families(expression)).collect();
    let exported: BTreeSet<String> = wharf::metrics::ALL.iter().map(|name| name.to_string()).collect();
    let unshown: Vec<&String> = exported.difference(&queried).collect();
    assert!(unshown.is_empty(), "metrics the dashboard does not show: {unshown:?}");

    // The traffic of the tests above, in this process: an import with rows, exports leased,
    // acknowledged and poisoned, plugin faults, a reload. Then every family the dashboard
    // queries must be in a scrape, so a metric renamed on one side only fails here.
    an_import_with_a_rejected_row_counts_rows_per_entity_and_its_execution_by_outcome(Backend::Sqlite);
    dequeues_acks_redeliveries_and_poisonings_are_counted_per_job(Backend::Sqlite);
    a_plugin_trap_and_a_time_limit_show_in_the_plugin_counters_of_that_version();
    plugin_reloads_and_refused_versions_are_counted();
    let server = TestServer::start();
    let scraped = scrape(&server);
    let missing: Vec<&String> = queried.iter().filter(|name| !scraped.has(name)).collect();
    assert!(missing.is_empty(), "the dashboard queries families no scrape has: {missing:?}\n{}", scraped.text);
}
