//! The operator console in a real browser: headless Chromium driven over WebDriver through an
//! import gone wrong and its fix, with a screenshot of every page under
//! `target/console-screenshots/` for review.
//!
//! Debian's `chromium` and `chromium-driver` (one source, so one version) are installed by
//! `tests/external/install-chromium.sh` on first use.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use wharf::auth::Role;
use wharf_tests::{install, root};

use crate::server::{FABRIKAM, TestServer};

/// The Northwind customer job the test adds to the example deployment.
const NORTHWIND_JOB: &str = "4f6c3a52-9d1e-4b7a-8c2f-3e5d7a9b1c04";
const OPERATOR: &str = "night-operator";
/// How long the test waits for a page or an import before failing: a bound for a hung
/// server, not a figure of speed (the suite shares two cores with compilers and fuzzers).
const PATIENCE: Duration = Duration::from_secs(120);
/// The plugins page's cell naming the customer mapper's version serving.
const SERVING: &str = "#plugin-customer-csv-mapper td:nth-child(2)";

/// Three good customers: only the mapper's account prefix decides whether they fit the
/// entity's 20 characters.
const CUSTOMERS: &str = "cust_no,company_name,street,postcode,city,country,phone,credit_limit\n\
    c1001,Alfreds Futterkiste,Obere Str. 57,12209,Berlin,Germany,030-0074321,1500\n\
    c1002,Around the Horn,120 Hanover Sq.,WA1 1DP,London,uk,(171) 555-7788,25000.50\n\
    c1003,Great Lakes Food Market,2732 Baker Blvd.,97403,Eugene,USA,(503) 555-7555,10000\n";

/// The Chromium driver, installed once per run.
fn chromedriver() -> &'static Path {
    static DRIVER: OnceLock<PathBuf> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let status = Command::new("bash")
            .arg(root().join("tests/external/install-chromium.sh"))
            .status()
            .expect("bash runs tests/external/install-chromium.sh");
        assert!(status.success(), "tests/external/install-chromium.sh failed: Chromium is not installed");
        PathBuf::from("chromedriver")
    })
}

/// A chromedriver process on a free port; killed when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port").port();
        let child = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, url: format!("http://127.0.0.1:{port}"), _profile: tempfile::tempdir().expect("a profile") }
    }

    /// A headless Chromium session. As root, Chromium refuses to start in its sandbox.
    async fn session(&self) -> Client {
        let options = json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", format!("--user-data-dir={}", self._profile.path().display()),
            ],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector).capabilities(capabilities).connect(&self.url).await.expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The browser, the server it looks at, and where its screenshots go.
struct Console<'a> {
    client: Client,
    server: &'a TestServer,
    shots: PathBuf,
    taken: usize,
}

impl Console<'_> {
    async fn open(&self, path: &str) {
        self.client.goto(&self.server.at(path)).await.unwrap_or_else(|error| panic!("{path}: {error}"));
    }

    /// `selector`'s element, waited for: htmx swaps boosted pages in after the click returns,
    /// later still on a machine busy with other tests.
    async fn find(&self, selector: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(selector)).await {
            Ok(element) => element,
            Err(error) => {
                let url = self.client.current_url().await.map(|url| url.to_string()).unwrap_or_default();
                panic!("no {selector} on {url}: {error}")
            }
        }
    }

    async fn text(&self, selector: &str) -> String {
        self.find(selector).await.text().await.expect("an element's text")
    }

    async fn click(&self, selector: &str) {
        self.find(selector).await.click().await.unwrap_or_else(|error| panic!("{selector} does not click: {error}"));
    }

    async fn type_into(&self, selector: &str, text: &str) {
        self.find(selector).await.send_keys(text).await.expect("typing");
    }

    /// Reloads `path` until `selector`'s text satisfies `wanted`, failing after [`PATIENCE`].
    async fn wait_for(&self, path: &str, selector: &str, wanted: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            self.open(path).await;
            let text = match self.client.find(Locator::Css(selector)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if wanted(&text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path}: {selector} never showed what the test waits for; last {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Writes the page as it is now to `NN-name.png`.
    async fn screenshot(&mut self, name: &str) {
        self.taken += 1;
        let png = self.client.screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        std::fs::write(self.shots.join(format!("{:02}-{name}.png", self.taken)), png)
            .expect("the screenshot is written");
    }
}

/// Runs `work`, which blocks, on a thread of its own.
fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(work).join().expect("the blocking call finishes"))
}

/// Installs the customer mapper into `plugins` as `version` with `prefix`, by rename as an
/// operator's deployment tool would.
fn install_mapper(plugins: &Path, version: &str, prefix: &str) {
    let staging = tempfile::tempdir_in(plugins.parent().expect("the deployment")).expect("staging");
    let wasm = install("customer-csv-mapper", staging.path(), "customer-csv-mapper", |manifest| {
        manifest
            .replace("version = \"1.0.0\"", &format!("version = \"{version}\""))
            .replace("\"NW-\"", &format!("\"{prefix}\""))
    });
    std::fs::rename(wasm.with_extension("toml"), plugins.join("customer-csv-mapper.toml")).expect("the manifest");
    std::fs::rename(&wasm, plugins.join("customer-csv-mapper.wasm")).expect("the component");
}

/// An operator signs in, watches a customer CSV fail on its mapper's account prefix, reads the
/// rejected rows, drops a fixed mapper version into the plugin directory, reprocesses the
/// message and sees it succeed, restores the old version and signs out.
#[test]
fn an_operator_fixes_a_failed_import_from_the_console_in_a_real_browser() {
    let driver = Driver::start();
    let mut server = TestServer::start_with(|config| {
        // Version 1.0.0 prefixes accounts past the entity's 20 characters: every row is rejected.
        install_mapper(&config.deployment.join("plugins"), "1.0.0", "NORTHWIND-WHOLESALE-");
        let job = format!(
            "activity = \"{NORTHWIND_JOB}\"\nname = \"Northwind customers\"\nproject = \"Northwind customers\"\n\
             direction = \"import\"\nmode = \"file\"\nentity = \"Customer\"\nprocessing = \"100ms\"\n\
             [[authorized]]\nclient = \"{FABRIKAM}\"\n"
        );
        std::fs::write(config.deployment.join("jobs/northwind-customers.toml"), job).expect("the job");
    });
    server.register(OPERATOR, &[Role::Operator], &["*"]);
    let shots = root().join("target/console-screenshots");
    std::fs::create_dir_all(&shots).expect("the screenshot directory");

    let fabrikam = server.token(FABRIKAM);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let mut console = Console { client: driver.session().await, server: &server, shots, taken: 0 };

        console.open("/console").await;
        let url = console.client.current_url().await.expect("a URL");
        assert_eq!(url.path(), "/console/sign-in", "a browser without a session is sent to sign in");
        console.type_into("#client_id", OPERATOR).await;
        console.type_into("#client_secret", server.secret(OPERATOR)).await;
        console.screenshot("sign-in").await;
        console.click("#sign-in-submit").await;
        assert!(!console.text("#queue-depth").await.is_empty(), "signed in, the overview shows the queue");
        let url = console.client.current_url().await.expect("a URL");
        assert!(!url.as_str().contains(server.secret(OPERATOR)), "the secret never reaches a URL");
        console.screenshot("overview").await;

        // The server's HTTP client blocks: it runs beside the browser's runtime, not on it.
        let message = off_runtime(|| {
            let response = server
                .http
                .post(server.at(&format!("/api/connector/enqueue/{NORTHWIND_JOB}?entity=Customer")))
                .bearer_auth(&fabrikam)
                .header("x-ms-dyn-externalidentifier", "northwind-2026-12-07.csv")
                .body(CUSTOMERS)
                .send()
                .expect("the enqueue answers");
            assert!(response.status().is_success(), "enqueue: {}", response.status());
            response.text().expect("the message id").trim().trim_matches('"').to_owned()
        });

        let message_page = format!("/console/messages/{message}");
        let messages = format!("/console/messages?job={NORTHWIND_JOB}");
        console.wait_for(&messages, &format!("#message-{message}"), |row| row.contains("ProcessedWithErrors")).await;
        console.screenshot("messages").await;
        console.open(&message_page).await;
        assert!(console.text("#timeline").await.contains("Enqueued"), "the timeline starts at the enqueue");
        console.screenshot("message-failed").await;

        console.click("#message-execution").await;
        let rejected = console.text("#rejected-rows").await;
        assert!(rejected.contains("CustomerAccount"), "the rejected rows name the field: {rejected}");
        assert!(rejected.contains("c1001"), "and show the row's source values: {rejected}");
        console.screenshot("rejected-rows").await;

        // The fix: 1.1.0 keeps Northwind's accounts within 20 characters.
        install_mapper(&server.dir.path().join("plugins"), "1.1.0", "NW-");
        console.wait_for("/console/plugins", SERVING, |serving| serving.trim().ends_with("@1.1.0")).await;
        console.screenshot("plugins-fixed").await;

        console.open(&message_page).await;
        console.click("#message-reprocess-submit").await;
        assert!(console.text("#done").await.to_lowercase().contains("reprocess"), "the page says what was done");
        // Reprocessing queues the message again; it ends as processed, without errors this time.
        console.wait_for(&message_page, "#message-status", |status| status.trim() == "Processed").await;
        console.screenshot("message-reprocessed").await;
        let account = off_runtime(|| {
            server
                .http
                .get(server.at("/data/CustomersV3?$filter=CustomerAccount%20eq%20'NW-C1001'"))
                .bearer_auth(&fabrikam)
                .send()
                .and_then(|response| response.text())
                .expect("OData answers")
        });
        assert!(account.contains("Alfreds Futterkiste"), "the fixed mapper's customer is stored: {account}");

        console.open("/console/plugins").await;
        let calls = console.text("#plugin-calls").await;
        let fixed = calls.lines().find(|row| row.starts_with("customer-csv-mapper@1.1.0")).unwrap_or_default();
        assert!(fixed.split_whitespace().nth(1).is_some_and(|count| count != "0"), "1.1.0's calls count: {calls}");

        console.open("/console/plugins").await;
        console.click("#restore-customer-csv-mapper-submit").await;
        assert!(console.text("#done").await.to_lowercase().contains("restore"), "the page says what was done");
        console.wait_for("/console/plugins", SERVING, |serving| serving.trim().ends_with("@1.0.0")).await;
        console.screenshot("plugins-restored").await;

        console.click("#sign-out-submit").await;
        console.find("#client_id").await;
        console.open("/console").await;
        let url = console.client.current_url().await.expect("a URL");
        assert_eq!(url.path(), "/console/sign-in", "signed out, the console asks to sign in again");
        console.screenshot("signed-out").await;
        console.client.close().await.expect("the session closes");
    });
}
