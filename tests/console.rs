//! The operator console at `/console`, driven as a browser would over real HTTP: sign-in and
//! its session cookie, every page and action, roles, CSRF, expiry, escaping, the audit log.

use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header;
use serde_json::Value;
use wharf::auth::Role;

use crate::security::tokens::{issuer_header, issuer_token, trust_test_issuer};
use crate::server::{Backend, FABRIKAM, GROUPS_JOB, OPS, TestServer, on_both_backends};

/// An operator granted every company.
const OPERATOR: &str = "night-shift";

/// A browser: no redirects followed (the tests look at them), the session cookie kept by hand
/// so that its attributes can be checked.
struct Browser {
    http: Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(server: &TestServer) -> Browser {
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a client");
        Browser { http, base: server.url.clone(), cookie: None }
    }

    /// Posts the sign-in form with a client id and secret; keeps the session cookie it sets,
    /// if any.
    fn sign_in(&mut self, client_id: &str, secret: &str) -> Response {
        self.post_sign_in(&[("client_id", client_id), ("client_secret", secret)])
    }

    /// Posts the sign-in form with `fields`; keeps the session cookie it sets, if any.
    fn post_sign_in(&mut self, fields: &[(&str, &str)]) -> Response {
        let response = self
            .http
            .post(format!("{}/console/sign-in", self.base))
            .header(header::ORIGIN, &self.base)
            .form(fields)
            .send()
            .expect("the sign-in answers");
        if let Some(cookie) = set_cookie(&response) {
            self.cookie = cookie.split(';').next().map(str::to_owned);
        }
        response
    }

    fn signed_in(server: &TestServer, client_id: &str) -> Browser {
        let mut browser = Browser::new(server);
        let response = browser.sign_in(client_id, server.secret(client_id));
        assert_eq!(response.status(), 303, "{client_id} signs in");
        assert!(browser.cookie.is_some(), "{client_id} has a session");
        browser
    }

    fn get(&self, path: &str) -> Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.send().expect("the console answers")
    }

    /// The page at `path`, which must answer 200.
    fn page(&self, path: &str) -> String {
        let response = self.get(path);
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().expect("a page")
    }

    /// Posts `form` as the page's form would, with the session's CSRF token.
    fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf", &csrf));
        self.post_raw(path, &fields, Some(&self.base))
    }

    /// Posts exactly `form`, from `origin`.
    fn post_raw(&self, path: &str, form: &[(&str, &str)], origin: Option<&str>) -> Response {
        let mut request = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.send().expect("the console answers")
    }

    /// The session's CSRF token, as the overview's forms carry it.
    fn csrf(&self) -> String {
        let page = self.page("/console/audit");
        let start =
            page.find(r#"name="csrf" value=""#).expect("a form with the CSRF token") + r#"name="csrf" value=""#.len();
        page[start..].split('"').next().expect("the token").to_owned()
    }

    /// Follows the redirect of `response` and returns the page it leads to.
    fn follow(&self, response: Response) -> String {
        assert_eq!(response.status(), 303, "a redirect");
        let location = location(&response);
        assert!(location.starts_with("/console"), "{location}");
        self.page(&location)
    }
}

fn set_cookie(response: &Response) -> Option<String> {
    response.headers().get(header::SET_COOKIE).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

fn location(response: &Response) -> String {
    response.headers().get(header::LOCATION).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
}

fn server_on(backend: Backend) -> TestServer {
    let mut server = TestServer::start_on(backend);
    server.register(OPERATOR, &[Role::Operator], &["*"]);
    server
}

/// Enqueues a customer-groups CSV to the example import job and waits until it is processed;
/// returns the message id.
fn import(server: &TestServer, body: &str) -> String {
    let token = server.token(FABRIKAM);
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups&company=usmf")))
        .bearer_auth(&token)
        .body(body.to_owned())
        .send()
        .expect("enqueue answers");
    assert_eq!(response.status(), 200);
    let id = response.text().expect("a message id").trim_matches('"').to_owned();
    let admin = server.token(OPS);
    server.wait_for("the message to be processed", || {
        let message: Value = server
            .http
            .get(server.at(&format!("/manage/messages/{id}")))
            .bearer_auth(&admin)
            .send()
            .expect("answers")
            .json()
            .expect("a message");
        message["Status"].as_str().is_some_and(|status| status.starts_with("Processed") || status.contains("Error"))
    });
    id
}

/// A CSV of customer groups whose second row is refused (its tax flag is not yes or no).
const BAD_ROWS: &str = "CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice\n\
                        CG1,Good,Net30,No\nCG2,Bad,Net30,Perhaps\n";

/// The audit log through the management API, newest first.
fn audit_log(server: &TestServer) -> Vec<Value> {
    let admin = server.token(OPS);
    let response = server
        .http
        .get(server.at("/manage/audit?limit=1000"))
        .bearer_auth(admin)
        .send()
        .expect("the audit log answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().expect("JSON");
    body["value"].as_array().expect("records").clone()
}

/// Asserts the console's security headers and that the page has no inline script or style.
fn assert_strict(path: &str, response: &Response) {
    let headers = response.headers();
    let csp = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|value| value.to_str().ok()).unwrap_or_default();
    assert_eq!(
        csp,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
         form-action 'self'; base-uri 'none'",
        "{path}"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin", "{path}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
}

fn assert_no_inline_code(path: &str, page: &str) {
    for (index, _) in page.match_indices("<script") {
        let tag = &page[index..index + page[index..].find('>').expect("a closed tag")];
        assert!(tag.contains(" src=\"/console/assets/"), "{path}: inline script {tag}");
    }
    assert!(!page.contains(" style="), "{path}: an inline style");
    assert!(!page.contains("<style"), "{path}: a style element");
    assert!(!page.contains(" onclick=") && !page.contains(" onload="), "{path}: an inline handler");
}

fn every_page_renders_for_an_operator_and_an_admin(backend: Backend) {
    let server = server_on(backend);
    let message = import(&server, BAD_ROWS);
    let admin = server.token(OPS);
    let found: Value = server
        .http
        .get(server.at(&format!("/manage/messages/{message}")))
        .bearer_auth(&admin)
        .send()
        .expect("answers")
        .json()
        .expect("a message");
    let execution = found["ExecutionId"].as_str().expect("the message's execution").to_owned();
    let pages = [
        "/console".to_owned(),
        "/console/jobs".to_owned(),
        format!("/console/jobs/{GROUPS_JOB}"),
        "/console/messages".to_owned(),
        format!("/console/messages?job={GROUPS_JOB}&status=ProcessedWithErrors&company=usmf&from=2020-01-01&q=CG2"),
        format!("/console/messages/{message}"),
        "/console/executions".to_owned(),
        format!("/console/executions/{execution}"),
        "/console/plugins".to_owned(),
        "/console/audit".to_owned(),
    ];
    for client in [OPERATOR, OPS] {
        let browser = Browser::signed_in(&server, client);
        for path in &pages {
            let response = browser.get(path);
            assert_eq!(response.status(), 200, "{client}: GET {path}");
            assert_strict(path, &response);
            let page = response.text().expect("a page");
            assert_no_inline_code(path, &page);
            assert!(page.contains(r#"<main id="main">"#) && page.contains(r#"id="sign-out""#), "{client}: {path}");
        }
        let detail = browser.page(&format!("/console/messages/{message}"));
        assert!(detail.contains("CG2,Bad,Net30,Perhaps"), "the body's preview");
        assert!(detail.contains(r#"id="message-status">ProcessedWithErrors<"#), "{detail}");
        let execution_page = browser.page(&format!("/console/executions/{execution}"));
        assert!(
            execution_page.contains(r#"id="rejected-rows""#) && execution_page.contains("Perhaps"),
            "{execution_page}"
        );
        let found = browser.page(&format!("/console/messages?q={message}"));
        assert!(found.contains(&format!(r#"id="message-{message}""#)), "search by message id");
        let body = browser.get(&format!("/console/messages/{message}/body"));
        assert_eq!(body.status(), 200);
        assert_eq!(body.text().expect("the body"), BAD_ROWS);
    }
    let clients = Browser::signed_in(&server, OPS).get("/console/clients");
    assert_eq!(clients.status(), 200);
    assert_strict("/console/clients", &clients);
    assert_no_inline_code("/console/clients", &clients.text().expect("a page"));
    let refused = Browser::signed_in(&server, OPERATOR).get("/console/clients");
    assert_eq!(refused.status(), 403, "only admins manage clients");
}

/// A console action: where it posts, its form, and the audit action it records.
type Action<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);

fn every_action_works_and_writes_one_audit_record(backend: Backend) {
    let mut server = server_on(backend);
    server.register("spare", &[Role::DataManagement], &["usmf"]);
    let message = import(&server, BAD_ROWS);
    let browser = Browser::signed_in(&server, OPS);
    let job = format!("/console/jobs/{GROUPS_JOB}");
    let actions: Vec<Action<'_>> = vec![
        (format!("{job}/disable"), vec![], "job.disable"),
        (format!("{job}/run"), vec![], "job.run"),
        (format!("{job}/enable"), vec![], "job.enable"),
        (format!("{job}/run"), vec![], "job.run"),
        (format!("/console/messages/{message}/requeue"), vec![], "message.requeue"),
        (format!("/console/messages/{message}/reprocess"), vec![], "message.reprocess"),
        (
            "/console/messages/bulk".to_owned(),
            vec![("action", "reprocess"), ("id", &message)],
            "message.bulk-reprocess",
        ),
        (
            "/console/messages/bulk".to_owned(),
            vec![("action", "requeue"), ("all", "yes"), ("filter_status", "Poisoned")],
            "message.bulk-requeue",
        ),
        ("/console/plugins/customer-csv-mapper/restore".to_owned(), vec![], "plugin.restore"),
        ("/console/clients/spare/disable".to_owned(), vec![], "client.disable"),
        ("/console/clients/spare/enable".to_owned(), vec![], "client.enable"),
        ("/console/clients/spare/secret".to_owned(), vec![], "client.secret"),
        (
            "/console/clients".to_owned(),
            vec![("id", "newcomer"), ("name", "Newcomer"), ("role", "data-management"), ("companies", "usmf")],
            "client.add",
        ),
        (format!("/console/messages/{message}/delete"), vec![], "message.delete"),
    ];
    for (path, form, action) in actions {
        let before = audit_log(&server).len();
        let response = browser.post(&path, &form);
        assert!(matches!(response.status().as_u16(), 200 | 303), "POST {path}: {}", response.status());
        let page = match response.status().as_u16() {
            303 => browser.follow(response),
            _ => response.text().expect("a page"),
        };
        assert!(page.contains(r#"id="done""#), "POST {path} leads to a page saying what happened");
        let log = audit_log(&server);
        assert_eq!(log.len(), before + 1, "POST {path} writes one audit record");
        assert_eq!(log[0]["action"], action, "{path}");
        assert_eq!(log[0]["client_id"], OPS, "{path}");
        assert!(
            log[0]["address"].as_str().is_some_and(|address| address.starts_with("127.0.0.1")),
            "{path}: {}",
            log[0]
        );
        assert!(!log[0]["outcome"].as_str().unwrap_or_default().is_empty(), "{path}");
    }
    let log = audit_log(&server);
    let outcome = |action: &str| {
        log.iter()
            .find(|record| record["action"] == action)
            .and_then(|record| record["outcome"].as_str())
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        outcome("message.reprocess").starts_with("ok"),
        "a failed import is reprocessed: {}",
        outcome("message.reprocess")
    );
    assert!(outcome("message.requeue").starts_with("refused"), "only a poisoned message is re-queued");
    assert!(outcome("message.delete").starts_with("ok") || outcome("message.delete").starts_with("refused"));
    let spare = server.auth.client("spare").expect("the client");
    assert!(spare.enabled, "disabled, then enabled again");
    let page = browser.follow(browser.post(&format!("/console/clients/{OPS}/disable"), &[]));
    assert!(page.contains("refused: A client cannot disable itself"), "{page}");
    assert!(server.auth.client(OPS).is_some_and(|ops| ops.enabled), "the admin signed in did not disable itself");
    assert!(server.auth.client("newcomer").is_some(), "the client was added");
    let admin = server.token(OPS);
    let jobs: Value = server
        .http
        .get(server.at("/manage/audit?limit=1"))
        .bearer_auth(&admin)
        .send()
        .expect("answers")
        .json()
        .expect("JSON");
    assert_eq!(jobs["value"].as_array().map(Vec::len), Some(1), "the management API pages the log");
    let page = browser.page("/console/audit");
    assert!(page.contains("client.add") && page.contains("newcomer"), "the console shows the log");
}

#[test]
fn a_data_management_client_gets_403_on_every_console_page_and_action() {
    let mut server = server_on(Backend::Sqlite);
    let mut browser = Browser::new(&server);
    let response = browser.sign_in(FABRIKAM, server.secret(FABRIKAM));
    assert_eq!(response.status(), 403, "a data-management client cannot sign in");
    assert!(set_cookie(&response).is_none(), "and gets no session");
    // A session whose client has since lost the operator role is refused on every request.
    server.register("demoted", &[Role::Operator], &["*"]);
    let browser = Browser::signed_in(&server, "demoted");
    let csrf = browser.csrf();
    let mut client = server.auth.client("demoted").expect("the client");
    client.roles = [Role::DataManagement].into_iter().collect();
    server.auth.set_client(&client).expect("the role changes");
    let pages = [
        "/console",
        "/console/jobs",
        "/console/messages",
        "/console/executions",
        "/console/plugins",
        "/console/clients",
        "/console/audit",
        &format!("/console/jobs/{GROUPS_JOB}"),
    ];
    for path in pages {
        let response = browser.get(path);
        assert_eq!(response.status(), 403, "GET {path}");
        assert!(response.text().expect("a page").contains("operator or admin role"), "{path} says why");
    }
    let job = format!("/console/jobs/{GROUPS_JOB}");
    let before = audit_log(&server).len();
    for path in [
        format!("{job}/disable"),
        format!("{job}/run"),
        "/console/messages/bulk".to_owned(),
        "/console/plugins/customer-csv-mapper/restore".to_owned(),
        "/console/clients".to_owned(),
        format!("/console/clients/{FABRIKAM}/disable"),
        "/console/sign-out".to_owned(),
    ] {
        let response = browser.post_raw(&path, &[("csrf", &csrf), ("action", "delete"), ("all", "yes")], None);
        assert_eq!(response.status(), 403, "POST {path}");
    }
    assert_eq!(audit_log(&server).len(), before, "nothing was done");
    assert!(server.auth.client(FABRIKAM).is_some_and(|client| client.enabled));
}

#[test]
fn without_a_session_pages_redirect_to_sign_in_and_htmx_gets_401() {
    let server = server_on(Backend::Sqlite);
    let browser = Browser::new(&server);
    for path in ["/console", "/console/messages", "/console/audit", "/console/clients"] {
        let response = browser.get(path);
        assert_eq!(response.status(), 303, "{path}");
        assert!(location(&response).starts_with("/console/sign-in"), "{path}");
    }
    let htmx = browser.http.get(server.at("/console/messages")).header("HX-Request", "true").send().expect("answers");
    assert_eq!(htmx.status(), 401);
    let forged = browser
        .http
        .get(server.at("/console"))
        .header(header::COOKIE, "wharf_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .send()
        .expect("answers");
    assert_eq!(forged.status(), 303, "an unknown session id signs nobody in");
    let post = browser.post_raw(&format!("/console/jobs/{GROUPS_JOB}/disable"), &[], None);
    assert_eq!(post.status(), 303, "an action without a session goes to the sign-in page");
    let sign_in = browser.page("/console/sign-in");
    assert!(sign_in.contains(r#"<label for="client_id">"#) && sign_in.contains(r#"<label for="client_secret">"#));
}

#[test]
fn a_wrong_secret_shows_the_sign_in_page_with_an_error_and_no_session() {
    let server = server_on(Backend::Sqlite);
    let mut browser = Browser::new(&server);
    let wrong = "not-the-secret-0123456789";
    let response = browser.sign_in(OPERATOR, wrong);
    assert_eq!(response.status(), 401);
    assert!(set_cookie(&response).is_none(), "no session");
    let page = response.text().expect("a page");
    assert!(page.contains(r#"id="sign-in-error""#), "{page}");
    assert!(!page.contains(wrong), "the secret is never echoed");
    assert!(page.contains(&format!(r#"value="{OPERATOR}""#)), "the client id is kept");
    let unknown = browser.sign_in("nobody-at-all", wrong);
    assert_eq!(unknown.status(), 401, "an unknown client is refused alike");
    assert!(browser.cookie.is_none());
}

#[test]
fn a_token_of_the_external_issuer_signs_an_operator_in_and_nobody_else() {
    let keys = tempfile::tempdir().expect("a directory for the key set");
    let mut server = TestServer::start_with(|config| trust_test_issuer(config, keys.path()));
    server.register(OPERATOR, &[Role::Operator], &["*"]);
    let header = issuer_header();
    let mut browser = Browser::new(&server);
    let page = browser.page("/console/sign-in");
    assert!(page.contains(r#"<label for="token">"#), "with an issuer configured, the form takes its token: {page}");

    let token = issuer_token(OPERATOR, &header);
    let response = browser.post_sign_in(&[("client_id", ""), ("client_secret", ""), ("token", &token)]);
    assert_eq!(response.status(), 303, "the issuer's token for an operator signs in");
    assert_eq!(location(&response), "/console");
    assert!(!location(&response).contains(&token), "no token in an address");
    assert!(browser.page("/console").contains(r#"id="queue-depth""#), "the overview, signed in");
    let audit = audit_log(&server);
    assert!(
        audit.iter().any(|record| record["action"] == "session.sign-in" && record["client_id"] == OPERATOR),
        "the sign-in is audited under the token's client: {audit:?}"
    );

    let mut other = Browser::new(&server);
    let data_management = other.post_sign_in(&[("token", &issuer_token(FABRIKAM, &header))]);
    assert_eq!(data_management.status(), 403, "a good token of a data-management client does not open the console");
    assert!(other.cookie.is_none());
    let mut forged_header = issuer_header();
    forged_header.kid = Some("k2".into());
    for (what, token) in [
        ("an unknown client", issuer_token("nobody-at-all", &header)),
        ("a key the issuer does not publish", issuer_token(OPERATOR, &forged_header)),
        ("a token cut short", token[..token.len() - 8].to_owned()),
        ("no token", String::new()),
    ] {
        let response = other.post_sign_in(&[("token", &token)]);
        assert_eq!(response.status(), 401, "{what}");
        assert!(other.cookie.is_none(), "{what}: no session");
    }
}

#[test]
fn without_an_external_issuer_a_token_field_signs_nobody_in() {
    let server = server_on(Backend::Sqlite);
    let mut browser = Browser::new(&server);
    assert!(!browser.page("/console/sign-in").contains(r#"name="token""#), "no token field without an issuer");
    // The same token a server trusting the issuer would take.
    let response = browser.post_sign_in(&[("token", &issuer_token(OPERATOR, &issuer_header()))]);
    assert_eq!(response.status(), 401);
    assert!(browser.cookie.is_none());
}

fn an_action_without_its_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let server = server_on(backend);
    let browser = Browser::signed_in(&server, OPERATOR);
    let csrf = browser.csrf();
    let path = format!("/console/jobs/{GROUPS_JOB}/disable");
    let other = Browser::signed_in(&server, OPS);
    let before = audit_log(&server).len();
    let refusals = [
        browser.post_raw(&path, &[], Some(&server.url)),
        browser.post_raw(&path, &[("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")], Some(&server.url)),
        browser.post_raw(&path, &[("csrf", &csrf)], Some("https://evil.example")),
    ];
    for response in refusals {
        assert_eq!(response.status(), 403);
        let page = response.text().expect("a page");
        assert!(page.contains(r#"id="refusal""#), "{page}");
    }
    // Another session's token does not do either.
    assert_eq!(browser.post_raw(&path, &[("csrf", &other.csrf())], Some(&server.url)).status(), 403);
    assert_eq!(audit_log(&server).len(), before, "nothing was recorded");
    let job = browser.page(&format!("/console/jobs/{GROUPS_JOB}"));
    assert!(job.contains(r#"id="job-state">enabled<"#), "the job was not disabled");
    // The token in htmx's header is accepted as the form field is.
    let response = browser
        .http
        .post(server.at(&path))
        .header(header::COOKIE, browser.cookie.as_deref().expect("a session"))
        .header("X-CSRF-Token", &csrf)
        .header("HX-Request", "true")
        .send()
        .expect("answers");
    assert_eq!(response.status(), 303);
    assert_eq!(audit_log(&server).len(), before + 1);
}

#[test]
fn an_idle_session_and_an_old_one_are_signed_out() {
    let mut server = TestServer::start_with(|config| {
        config.console.idle_timeout = Duration::from_millis(700);
        config.console.lifetime = Duration::from_secs(3);
    });
    server.register(OPERATOR, &[Role::Operator], &["*"]);
    let idle = Browser::signed_in(&server, OPERATOR);
    assert_eq!(idle.get("/console").status(), 200);
    std::thread::sleep(Duration::from_millis(1000));
    let response = idle.get("/console");
    assert_eq!(response.status(), 303, "idle too long");
    assert!(location(&response).contains("notice=signed-out"));
    let busy = Browser::signed_in(&server, OPERATOR);
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        assert_eq!(busy.get("/console/audit").status(), 200, "in use and young");
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(busy.get("/console/audit").status(), 303, "past its lifetime, however busy");
}

fn signing_out_ends_the_session_on_the_server(backend: Backend) {
    let server = server_on(backend);
    let browser = Browser::signed_in(&server, OPERATOR);
    let response = browser.post("/console/sign-out", &[]);
    assert_eq!(response.status(), 303);
    let cleared = set_cookie(&response).expect("the cookie is cleared");
    assert!(cleared.starts_with("wharf_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    // The old cookie, replayed, is good for nothing: the server forgot the session.
    let replayed = browser.get("/console");
    assert_eq!(replayed.status(), 303);
    assert!(location(&replayed).starts_with("/console/sign-in"));
    let log = audit_log(&server);
    assert_eq!(log[0]["action"], "session.sign-out");
    assert_eq!(log[1]["action"], "session.sign-in");
}

#[test]
fn a_disabled_client_is_signed_out_at_once() {
    let server = server_on(Backend::Sqlite);
    let browser = Browser::signed_in(&server, OPERATOR);
    assert_eq!(browser.get("/console").status(), 200);
    let mut client = server.auth.client(OPERATOR).expect("the client");
    client.enabled = false;
    server.auth.set_client(&client).expect("disabled");
    assert_eq!(browser.get("/console").status(), 303);
    client.enabled = true;
    server.auth.set_client(&client).expect("enabled again");
    assert_eq!(browser.get("/console").status(), 303, "its session ended for good");
}

#[test]
fn the_session_cookie_is_http_only_strict_scoped_and_secure_behind_https() {
    let server = server_on(Backend::Sqlite);
    let mut browser = Browser::new(&server);
    let response = browser.sign_in(OPERATOR, server.secret(OPERATOR));
    assert_eq!(location(&response), "/console");
    let cookie = set_cookie(&response).expect("a session cookie");
    let (pair, attributes) = cookie.split_once(';').expect("attributes");
    let value = pair.strip_prefix("wharf_session=").expect("the cookie's name");
    assert_eq!(value.len(), 43, "256 random bits, base64url");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=43200"] {
        assert!(attributes.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!attributes.contains("Secure"), "plain HTTP on 127.0.0.1: {cookie}");
    let mut behind_proxy = TestServer::start_with(|config| config.public_url = Some("https://wharf.example".into()));
    behind_proxy.register(OPERATOR, &[Role::Operator], &["*"]);
    let mut browser = Browser::new(&behind_proxy);
    browser.base = behind_proxy.url.clone();
    let response = browser
        .http
        .post(behind_proxy.at("/console/sign-in"))
        .form(&[("client_id", OPERATOR), ("client_secret", behind_proxy.secret(OPERATOR))])
        .send()
        .expect("answers");
    let cookie = set_cookie(&response).expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[test]
fn hostile_values_are_escaped_on_every_page() {
    let mut server = server_on(Backend::Sqlite);
    let hostile = "<script>alert(1)</script>";
    let registration = wharf::auth::NewClient {
        id: Some("hostile".into()),
        name: hostile.into(),
        roles: [Role::DataManagement].into_iter().collect(),
        companies: wharf::auth::Companies::All,
        enabled: true,
    };
    server.auth.add_client(registration).expect("registered");
    server.register("other", &[Role::DataManagement], &["usmf"]);
    let message = import(
        &server,
        &format!("{}CG9,{hostile},Net30,No\n", &BAD_ROWS[..BAD_ROWS.find('\n').expect("a header") + 1]),
    );
    let browser = Browser::signed_in(&server, OPS);
    for path in ["/console/clients".to_owned(), format!("/console/messages/{message}"), "/console".to_owned()] {
        let page = browser.page(&path);
        assert!(!page.contains(hostile), "{path} carries the value as markup");
        assert_no_inline_code(&path, &page);
    }
    assert!(browser.page("/console/clients").contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(browser.page(&format!("/console/messages/{message}")).contains("&lt;script&gt;"));
    // A hostile search is shown back escaped too.
    let search = browser.page("/console/messages?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert!(!search.contains(hostile));
}

#[test]
fn a_new_secret_is_shown_once_and_never_in_an_address() {
    let server = server_on(Backend::Sqlite);
    let browser = Browser::signed_in(&server, OPS);
    let response = browser
        .post("/console/clients", &[("id", "fresh"), ("name", "Fresh"), ("role", "operator"), ("companies", "*")]);
    assert_eq!(response.status(), 200, "the secret is answered at once, not through a redirect");
    assert!(location(&response).is_empty());
    let page = response.text().expect("a page");
    let start = page.find(r#"id="client-secret">"#).expect("the secret") + r#"id="client-secret">"#.len();
    let secret = page[start..].split('<').next().expect("the secret").to_owned();
    assert_eq!(secret.len(), 43);
    assert!(!browser.page("/console/clients").contains(&secret), "shown once");
    assert!(!browser.page("/console/audit").contains(&secret), "not in the log");
    let mut fresh = Browser::new(&server);
    assert_eq!(fresh.sign_in("fresh", &secret).status(), 303, "the secret works");
    let reset = browser.post("/console/clients/fresh/secret", &[]);
    assert_eq!(reset.status(), 200);
    let page = reset.text().expect("a page");
    assert!(page.contains(r#"id="client-secret""#) && !page.contains(&secret), "a new secret");
    assert_eq!(Browser::new(&server).sign_in("fresh", &secret).status(), 401, "the old secret stops working");
}

#[test]
fn the_assets_are_embedded_and_cached_for_good() {
    let server = server_on(Backend::Sqlite);
    let browser = Browser::signed_in(&server, OPERATOR);
    let page = browser.page("/console");
    for (prefix, content_type) in
        [("/console/assets/htmx-2.0.11.", "text/javascript"), ("/console/assets/console.", "text/css")]
    {
        let start = page.find(prefix).expect("the asset is linked");
        let path = page[start..].split('"').next().expect("its path");
        let response = Browser::new(&server).get(path);
        assert_eq!(response.status(), 200, "{path} needs no session");
        assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap_or_default().starts_with(content_type));
        assert!(response.headers()[header::CACHE_CONTROL].to_str().unwrap_or_default().contains("immutable"));
    }
    assert_eq!(Browser::new(&server).get("/console/assets/htmx.min.js").status(), 404, "only hashed names");
    assert!(page.contains(r#"name="htmx-config""#) && page.contains("includeIndicatorStyles&quot;:false"));
}

on_both_backends!(
    every_page_renders_for_an_operator_and_an_admin,
    every_action_works_and_writes_one_audit_record,
    an_action_without_its_csrf_token_is_refused_and_changes_nothing,
    signing_out_ends_the_session_on_the_server,
);

#[test]
fn a_refused_definition_file_shows_on_the_overview_with_its_reason_until_it_is_fixed() {
    let server = server_on(Backend::Sqlite);
    let browser = Browser::signed_in(&server, OPERATOR);
    let project = server.dir.path().join("projects/customer-groups.toml");
    let good = std::fs::read_to_string(&project).expect("the project");
    std::fs::write(&project, good.replace("[[entity]]", "[[entity]\n")).expect("a broken project");
    server.wait_for("the broken project is refused", || {
        browser.page("/console").contains("projects/customer-groups.toml")
    });
    let page = browser.page("/console");
    let refusals = &page[page.find("id=\"definition-refusals\"").expect("the refusals table")..];
    assert!(refusals.contains("invalid project projects/customer-groups.toml"), "the reason shows: {refusals}");
    std::fs::write(&project, good).expect("the project fixed");
    server.wait_for("the fixed project serves", || !browser.page("/console").contains("projects/customer-groups.toml"));
}
