//! API2, broken authentication: a client the operator shuts out with `wharf client` on the
//! server's data directory is shut out of the running server at once, tokens and secret alike.
//!
//! The command runs in a process of its own, as an operator's shell would run it: this test
//! binary again, running [`cli_child_runs_one_wharf_command`], which calls
//! `wharf::run::execute(["wharf", …])`. The server runs in this process and keeps its own
//! connections to `data/server.db`, so it hears of the change only through the database.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use reqwest::Method;
use reqwest::blocking::Response;
use wharf::auth::Role;

use super::{ACTIONS, oauth_error, odata_error, send, token_request};
use crate::server::TestServer;

/// Set in a child process: the arguments of one `wharf` command, one a line.
const CLI_CHILD: &str = "WHARF_TEST_CLI_CHILD";

/// The child's half of [`wharf_in_another_process`]: runs one `wharf` command and prints what
/// it printed. Does nothing in a normal run.
#[test]
fn cli_child_runs_one_wharf_command() {
    let Some(args) = std::env::var_os(CLI_CHILD) else { return };
    let args = args.into_string().expect("arguments are UTF-8");
    let argv = std::iter::once("wharf".to_owned()).chain(args.lines().map(str::to_owned));
    let mut out = Vec::new();
    if let Err(failure) = wharf::run::execute(argv, &mut out) {
        panic!("wharf {} failed: {:#}", args.replace('\n', " "), failure.error);
    }
    println!("{}", String::from_utf8(out).expect("UTF-8 output"));
}

/// Runs `wharf <args> --deployment <the server's deployment>` in a process of its own and
/// returns what it printed; fails the test when the command fails.
fn wharf_in_another_process(server: &TestServer, args: &[&str]) -> String {
    let mut lines: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    lines.extend(["--deployment".to_owned(), server.dir.path().display().to_string()]);
    let output = Command::new(this_binary())
        .args(["--exact", "security::authentication::cli_child_runs_one_wharf_command", "--nocapture"])
        .args(["--test-threads=1"])
        .env(CLI_CHILD, lines.join("\n"))
        .stdin(Stdio::null())
        .output()
        .expect("the command's process runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "wharf {}: {}\n{stdout}\n{stderr}", args.join(" "), output.status);
    stdout
}

/// This test binary. On Linux through `/proc/self/exe`, which still names it when a build
/// running beside the tests has replaced its file since it started.
fn this_binary() -> PathBuf {
    let link = Path::new("/proc/self/exe");
    match link.exists() {
        true => link.to_owned(),
        false => std::env::current_exe().expect("the test binary"),
    }
}

/// A call only a data-management client with a working token gets a 200 for.
fn probe(server: &TestServer, token: &str) -> Response {
    send(server, Some(token), Method::POST, &format!("{ACTIONS}GetAzureWriteUrl"), "{}")
}

/// A v2 token request with client `id`'s `secret`.
fn token_with(server: &TestServer, id: &str, secret: &str) -> Response {
    let scope = format!("{}/.default", server.url);
    let form = [("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("scope", &scope)];
    token_request(server, "/tenant/oauth2/v2.0/token", &form, None)
}

/// Asserts that `token` and client `id`'s `secret` are both refused, the way a removed or
/// disabled client is refused.
fn assert_shut_out(server: &TestServer, id: &str, token: &str, secret: &str, what: &str) {
    let message = odata_error(probe(server, token), 403, &format!("{what}: the token"));
    assert!(message.contains("not registered"), "{what}: {message}");
    let error = oauth_error(token_with(server, id, secret), 401, &format!("{what}: the secret"));
    assert_eq!(error, "invalid_client", "{what}");
}

#[test]
fn a_client_removed_from_the_command_line_is_shut_out_of_the_running_server_at_once() {
    let mut server = TestServer::start();
    server.register("removed-app", &[Role::DataManagement], &["usmf"]);
    let (token, secret) = (server.token("removed-app"), server.secret("removed-app").to_owned());
    assert_eq!(probe(&server, &token).status(), 200, "before the removal");

    let out = wharf_in_another_process(&server, &["client", "remove", "removed-app"]);
    assert!(out.contains("removed removed-app"), "{out}");
    // No wait and no retry: the next request after the command returns is refused.
    assert_shut_out(&server, "removed-app", &token, &secret, "after the removal");
}

#[test]
fn a_client_disabled_from_the_command_line_is_shut_out_at_once_and_let_in_again_when_enabled() {
    let mut server = TestServer::start();
    server.register("paused-app", &[Role::DataManagement], &["usmf"]);
    let (token, secret) = (server.token("paused-app"), server.secret("paused-app").to_owned());
    assert_eq!(probe(&server, &token).status(), 200, "before disabling");

    let out = wharf_in_another_process(&server, &["client", "disable", "paused-app"]);
    assert!(out.contains("disabled paused-app"), "{out}");
    assert_shut_out(&server, "paused-app", &token, &secret, "after disabling");

    let out = wharf_in_another_process(&server, &["client", "enable", "paused-app"]);
    assert!(out.contains("enabled paused-app"), "{out}");
    assert_eq!(probe(&server, &token).status(), 200, "the token works again once enabled");
    assert_eq!(token_with(&server, "paused-app", &secret).status(), 200, "and so does the secret");
}

#[test]
fn a_secret_reset_from_the_command_line_stops_the_old_secret_at_once_and_the_new_one_works() {
    let mut server = TestServer::start();
    server.register("rotated-app", &[Role::DataManagement], &["usmf"]);
    let old = server.secret("rotated-app").to_owned();
    assert_eq!(token_with(&server, "rotated-app", &old).status(), 200, "before the reset");

    let out = wharf_in_another_process(&server, &["client", "reset-secret", "rotated-app"]);
    let new = out
        .lines()
        .find_map(|line| line.strip_prefix("client secret:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no new secret printed: {out}"));
    assert_ne!(new, old);
    let error = oauth_error(token_with(&server, "rotated-app", &old), 401, "the old secret");
    assert_eq!(error, "invalid_client");
    assert_eq!(token_with(&server, "rotated-app", new).status(), 200, "the new secret");
}
