//! Replicas on one PostgreSQL database see each other through `GET /manage/replicas`: each
//! lists every replica with the plugin versions it serves, a version swapped into one
//! replica's plugin directory shows as skew on both, a replica that stops says so at once, and
//! one that stops beating without a word counts as gone once the timeout has passed.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use wharf::api::ServerConfig;
use wharf::backend::Postgres;
use wharf::backend::replicas::{self, ReplicaIdentity, ReplicaSettings};
use wharf_tests::plugin;

use crate::server::{FABRIKAM, OPS, TestServer};

/// Quick beats and a short timeout, so that the test sees a replica go within a second.
fn quick_replicas(config: &mut ServerConfig, database: &str) {
    config.database.url = Some(database.to_owned());
    config.database.replicas = ReplicaSettings {
        heartbeat: Duration::from_millis(100),
        timeout: Duration::from_millis(1_000),
        forget_after: Duration::from_secs(60 * 60),
    };
}

/// `GET /manage/replicas` on `server` as `token`.
fn replicas(server: &TestServer, token: &str) -> Value {
    let response = server.http.get(server.at("/manage/replicas")).bearer_auth(token).send().expect("answers");
    assert_eq!(response.status(), 200);
    response.json().expect("JSON")
}

/// The entry of replica `id` in a listing.
fn entry<'a>(listing: &'a Value, id: &Value) -> &'a Value {
    let value = listing["value"].as_array().expect("value");
    value.iter().find(|replica| replica["id"] == *id).unwrap_or_else(|| panic!("replica {id} is listed: {listing:#}"))
}

/// The company filter's version in a replica's entry.
fn filter_version(replica: &Value) -> Option<&str> {
    let plugins = replica["plugins"].as_array().expect("plugins");
    let filter = plugins.iter().find(|plugin| plugin["entity"] == "Customer" && plugin["role"] == "filter")?;
    filter["version"].as_str()
}

/// The skew entry of (Customer, filter) in a listing.
fn filter_skew(listing: &Value) -> &Value {
    let skew = listing["skew"].as_array().expect("skew");
    skew.iter()
        .find(|skew| skew["entity"] == "Customer" && skew["role"] == "filter")
        .unwrap_or_else(|| panic!("the company filter has a skew entry: {listing:#}"))
}

/// Installs the example company filter in `plugins` as `version`, the files renamed in as an
/// operator's deploy script would.
fn install_filter(plugins: &Path, version: &str) {
    let built = plugin("company-filter");
    let example = std::fs::read_to_string(built.with_extension("toml")).expect("manifest");
    let manifest = example.replace("version = \"1.0.0\"", &format!("version = \"{version}\""));
    assert!(manifest.contains(&format!("version = \"{version}\"")), "the example manifest changed:\n{example}");
    let staging = tempfile::tempdir_in(plugins.parent().expect("the deployment")).expect("staging");
    let (wasm, toml) = (staging.path().join("filter.wasm"), staging.path().join("filter.toml"));
    std::fs::copy(&built, &wasm).expect("stage the component");
    std::fs::write(&toml, manifest).expect("stage the manifest");
    std::fs::rename(&wasm, plugins.join("company-filter.wasm")).expect("component");
    std::fs::rename(&toml, plugins.join("company-filter.toml")).expect("manifest");
}

#[test]
fn replicas_on_one_database_list_each_other_with_their_plugin_versions_and_show_skew() {
    let database = wharf::backend::testing::scratch().expect("a PostgreSQL schema for the test");
    let one = TestServer::start_with(|config| quick_replicas(config, &database));
    let mut two = one.replica(|config| quick_replicas(config, &database));
    let (admin_one, admin_two) = (one.token(OPS), two.token(OPS));

    let forbidden = one.http.get(one.at("/manage/replicas")).bearer_auth(one.token(FABRIKAM)).send().expect("answers");
    assert_eq!(forbidden.status(), 403, "the replicas route needs the admin role");

    // Both list both, once each has beaten; each knows which entry is its own.
    one.wait_for("both replicas listed on the first", || {
        replicas(&one, &admin_one)["value"].as_array().map(Vec::len) == Some(2)
    });
    let listing = replicas(&one, &admin_one);
    let (id_one, id_two) = (listing["this"].clone(), replicas(&two, &admin_two)["this"].clone());
    assert_ne!(id_one, id_two);
    for (id, server) in [(&id_one, &one), (&id_two, &two)] {
        let replica = entry(&listing, id);
        assert_eq!(replica["state"], "live", "{listing:#}");
        assert_eq!(replica["this"], *id == id_one);
        // Both are reached through the one public URL; each says where it listens.
        assert_eq!(replica["url"], server.public_url());
        assert_eq!(replica["listen"].as_str(), server.url.strip_prefix("http://"), "{replica:#}");
        assert_eq!(replica["wharf_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(filter_version(replica), Some("1.0.0"), "{replica:#}");
        assert!(!replica["host"].as_str().expect("a host name").is_empty());
    }
    assert_eq!(listing["skewed"], false, "{listing:#}");
    assert_eq!(filter_skew(&listing)["skewed"], false);

    // A new version dropped into the second replica's directory only: both see the skew.
    install_filter(&two.dir.path().join("plugins"), "1.1.0");
    let skewed = |server: &TestServer, token: &str| {
        let listing = replicas(server, token);
        (filter_version(entry(&listing, &id_two)) == Some("1.1.0")).then_some(listing)
    };
    two.wait_for("the new version listed on the first", || skewed(&one, &admin_one).is_some());
    for (server, token) in [(&one, &admin_one), (&two, &admin_two)] {
        let listing = skewed(server, token).expect("the new version stays listed");
        assert_eq!(filter_version(entry(&listing, &id_one)), Some("1.0.0"));
        assert_eq!(listing["skewed"], true, "{listing:#}");
        let skew = filter_skew(&listing);
        assert_eq!(skew["skewed"], true);
        let versions: Vec<(&str, Vec<Value>)> = skew["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|version| {
                let served_by = version["replicas"].as_array().expect("replicas").clone();
                (version["version"].as_str().expect("a version"), served_by)
            })
            .collect();
        let mut expected = vec![("1.0.0", vec![id_one.clone()]), ("1.1.0", vec![id_two.clone()])];
        expected.sort_by_key(|(version, _)| *version);
        let mut versions = versions;
        versions.sort_by_key(|(version, _)| *version);
        assert_eq!(versions, expected, "{listing:#}");
        // What both serve alike is not skew.
        let others = listing["skew"].as_array().expect("skew").iter().filter(|skew| skew["role"] != "filter");
        for other in others {
            assert_eq!(other["skewed"], false, "{other:#}");
        }
    }

    // A replica that stops says so: it is out of the skew at once.
    two.stop();
    let listing = replicas(&one, &admin_one);
    assert_eq!(entry(&listing, &id_two)["state"], "stopped", "{listing:#}");
    assert_eq!(entry(&listing, &id_one)["state"], "live");
    assert_eq!(listing["skewed"], false, "only the live replicas count: {listing:#}");
}

#[test]
fn a_replica_that_stops_beating_without_a_word_counts_as_gone_after_the_timeout() {
    let database = wharf::backend::testing::scratch().expect("a PostgreSQL schema for the test");
    let server = TestServer::start_with(|config| quick_replicas(config, &database));
    let admin = server.token(OPS);

    // Another replica's entry, written as its heartbeat would, and then never again: as a
    // replica killed, frozen or cut off from the database leaves it.
    let silent = ReplicaIdentity {
        id: uuid::Uuid::new_v4(),
        host: "elsewhere".to_owned(),
        url: "http://10.0.0.9:8080".to_owned(),
        listen: "10.0.0.9:8080".to_owned(),
        wharf_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let postgres = Postgres::connect(&database, 1).await.expect("the database");
        replicas::beat(&postgres, &silent, &[], Duration::from_secs(60 * 60)).await.expect("its last beat");
    });
    let id = Value::String(silent.id.to_string());

    let listing = replicas(&server, &admin);
    assert_eq!(entry(&listing, &id)["state"], "live", "{listing:#}");
    // It serves no company filter, so while it counts the replicas disagree.
    assert_eq!(filter_skew(&listing)["skewed"], true, "{listing:#}");

    server.wait_for("the silent replica is gone", || entry(&replicas(&server, &admin), &id)["state"] == "gone");
    let listing = replicas(&server, &admin);
    let gone = entry(&listing, &id);
    assert!(gone["unseen_ms"].as_i64().expect("unseen_ms") > 1_000, "{gone:#}");
    assert_eq!(gone["stopped_at"], Value::Null);
    assert_eq!(listing["timeout_ms"], 1_000);
    let this = entry(&listing, &listing["this"]);
    assert_eq!(this["state"], "live", "the server beats on: {listing:#}");
    assert_eq!(listing["skewed"], false, "a gone replica does not count: {listing:#}");
}

#[test]
fn a_server_on_sqlite_lists_itself_as_the_one_replica() {
    let server = TestServer::start();
    let listing = replicas(&server, &server.token(OPS));
    let value = listing["value"].as_array().expect("value");
    assert_eq!(value.len(), 1, "{listing:#}");
    let this = &value[0];
    assert_eq!(this["id"], listing["this"]);
    assert_eq!(this["this"], true);
    assert_eq!(this["state"], "live");
    assert_eq!(this["url"], server.url.as_str());
    assert_eq!(filter_version(this), Some("1.0.0"), "{this:#}");
    assert_eq!(listing["skewed"], false);
}
