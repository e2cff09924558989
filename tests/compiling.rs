//! Loading is bounded: a component over the size limit is refused before it is parsed, and a
//! compile bomb (a small component that takes the compiler most of a minute and gigabytes) is
//! compiled in a compiler process that stops at the time or memory limit, while the server
//! goes on answering. What compiled once is loaded from the cache after a restart, and by
//! `wharf plugin check | run`, without starting a compiler.
//!
//! The compiler process is this test binary again, running [`compile_child_compiles_one_component`]
//! (as the `wharf` binary runs `wharf plugin compile`); a real server is this binary running
//! [`serve_child_serves_until_killed`].

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use wharf::auth::{Auth, AuthSettings, Companies, NewClient, Role};
use wharf::plugin::{Compiler, LoadLimits, NoEntities, Plugin, Runtime, RuntimeConfig};
use wharf::run::{Exit, execute};
use wharf_plugin_sdk::Context;
use wharf_tests::{install, plugin, root};

use crate::imports::deployment;

/// Set in a compiler process: the arguments of `wharf`, one a line.
const COMPILE_CHILD: &str = "WHARF_TEST_COMPILE_CHILD";

/// Set in a server process: its deployment directory.
const SERVE_CHILD: &str = "WHARF_TEST_COMPILING_SERVE_CHILD";

/// The URL the server process names itself by (its tokens' issuer and audience), whatever
/// port it listens on.
const PUBLIC_URL: &str = "http://wharf.compiling.test";

/// Values the compile bomb keeps live at once: a 7.5 MB component that took an unbounded
/// compile 48 s and 2.4 GiB of memory (debug build, dependencies optimised).
const BOMB_VALUES: usize = 2_500_000;

/// The compiler process's half of every test here: runs one `wharf` command line and exits
/// with its code, as the `wharf` binary would. Does nothing in a normal run.
#[test]
fn compile_child_compiles_one_component() {
    let Some(args) = std::env::var_os(COMPILE_CHILD) else { return };
    let args = args.into_string().expect("arguments are UTF-8");
    let argv = std::iter::once("wharf").chain(args.lines());
    let exit = match execute(argv, &mut std::io::stdout()) {
        Ok(exit) => exit,
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            failure.exit
        }
    };
    std::process::exit(exit as i32);
}

/// The server process's half of the server test: `wharf serve` over the deployment in
/// [`SERVE_CHILD`], compiling with this binary as `wharf` would with itself, until killed.
#[test]
fn serve_child_serves_until_killed() {
    let Some(dir) = std::env::var_os(SERVE_CHILD) else { return };
    // A parent that dies without killing its server closes this pipe; the server goes with it.
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(3);
    });
    Compiler::set_process_default(test_compiler(Arc::default()));
    let dir = dir.into_string().expect("a UTF-8 path");
    let argv = ["wharf", "serve", "--deployment", &dir, "--listen", "127.0.0.1:0", "--public-url", PUBLIC_URL];
    if let Err(failure) = execute(argv, &mut std::io::stdout()) {
        panic!("wharf serve failed: {:#}", failure.error);
    }
}

/// A compiler that is this test binary running [`compile_child_compiles_one_component`];
/// every process it starts is counted in `starts`.
fn test_compiler(starts: Arc<AtomicUsize>) -> Compiler {
    Compiler::custom("the test binary", move |args| {
        starts.fetch_add(1, Ordering::SeqCst);
        let lines: Vec<String> = args.iter().map(|arg| arg.to_str().expect("UTF-8 arguments").to_owned()).collect();
        let mut command = Command::new(this_binary());
        command
            .args(["--exact", "compiling::compile_child_compiles_one_component", "--nocapture", "--test-threads=1"])
            .env(COMPILE_CHILD, lines.join("\n"));
        command
    })
}

/// This test binary, through `/proc/self/exe` where there is one: it names the binary even
/// when a build has replaced its file since it started.
fn this_binary() -> PathBuf {
    let link = Path::new("/proc/self/exe");
    match link.exists() {
        true => link.to_owned(),
        false => std::env::current_exe().expect("the test binary"),
    }
}

/// A runtime with `limits` whose compiles run in counted compiler processes, and its counter.
fn bounded_runtime(cache: Option<&Path>, limits: LoadLimits) -> (Runtime, Arc<AtomicUsize>) {
    let starts = Arc::new(AtomicUsize::new(0));
    let config = RuntimeConfig {
        cache_dir: cache.map(Path::to_owned),
        load_limits: limits,
        compiler: Some(test_compiler(starts.clone())),
        ..RuntimeConfig::default()
    };
    (Runtime::new(&config, Arc::new(NoEntities)).expect("runtime"), starts)
}

/// A compile bomb: a component holding one core module whose one function pushes `values`
/// constants and then adds them up, so that every one of them is live at once.
fn compile_bomb(values: usize) -> Vec<u8> {
    let mut body = vec![0]; // no locals
    for _ in 0..values {
        body.extend([0x41, 0x01]); // i32.const 1
    }
    body.extend(std::iter::repeat_n(0x6a, values - 1)); // i32.add
    body.extend([0x1a, 0x0b]); // drop, end
    let mut code = vec![1]; // one body
    leb128(&mut code, body.len());
    code.extend(body);
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    section(&mut module, 1, &[1, 0x60, 0, 0]); // one type: [] -> []
    section(&mut module, 3, &[1, 0]); // one function, of that type
    section(&mut module, 10, &code);
    let mut component = b"\0asm\x0d\0\x01\0".to_vec();
    section(&mut component, 1, &module); // a core module
    component
}

/// A valid, empty component padded with a custom section to `bytes` or a little more.
fn padded_component(bytes: usize) -> Vec<u8> {
    let mut padding = vec![7];
    padding.extend(b"padding");
    padding.resize(bytes, 0);
    let mut component = b"\0asm\x0d\0\x01\0".to_vec();
    section(&mut component, 0, &padding);
    component
}

fn section(out: &mut Vec<u8>, id: u8, payload: &[u8]) {
    out.push(id);
    leb128(out, payload.len());
    out.extend(payload);
}

fn leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            return out.push(byte);
        }
        out.push(byte | 0x80);
    }
}

/// The customer mapper's manifest, for components that are not the customer mapper.
fn manifest() -> wharf::plugin::Manifest {
    wharf::plugin::Manifest::read(&plugin("customer-csv-mapper").with_extension("toml")).expect("manifest")
}

/// Loads `wasm` with the customer mapper's manifest; returns the error and how long it took.
fn refusal(runtime: &Runtime, wasm: &[u8]) -> (String, Duration) {
    let started = Instant::now();
    let error = runtime.load_bytes(wasm, manifest()).expect_err("must be refused");
    (format!("{error:#}"), started.elapsed())
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "expected {expected:?} in: {text}");
}

/// Maps one customer: shows a loaded mapper works.
fn maps_a_customer(plugin: &Plugin) {
    let mapped = plugin.map(&Context::default(), &wharf_tests::one_customer()).expect("the mapper maps");
    assert_eq!(mapped.outputs[0].batch.len(), 1, "one customer: {mapped:?}");
}

#[test]
fn a_component_over_the_size_limit_is_refused_before_anything_compiles_it() {
    let (runtime, starts) = bounded_runtime(None, LoadLimits::default());
    let (error, took) = refusal(&runtime, &padded_component(33 * 1024 * 1024));
    assert_contains(&error, "the component is 33.0 MiB, over the 32 MiB limit on component size");
    assert_eq!(starts.load(Ordering::SeqCst), 0, "no compiler was started");
    assert!(took < Duration::from_secs(2), "refused at once, not after a compile: {took:?}");
}

#[test]
fn a_compile_bomb_is_stopped_at_the_memory_limit() {
    let limits =
        LoadLimits { max_compile_memory_mib: 256, max_compile_time: Duration::from_secs(60), ..LoadLimits::default() };
    let (runtime, starts) = bounded_runtime(None, limits);
    let (error, took) = refusal(&runtime, &compile_bomb(BOMB_VALUES));
    assert_contains(&error, "compiling the component needed more than the 256 MiB limit on compile memory");
    assert_eq!(starts.load(Ordering::SeqCst), 1);
    assert!(took < Duration::from_secs(60), "stopped by memory, not time: {took:?}");
    eprintln!("compile bomb stopped at 256 MiB after {took:?}");
}

#[test]
fn a_compile_bomb_is_stopped_at_the_time_limit() {
    let limits =
        LoadLimits { max_compile_memory_mib: 8192, max_compile_time: Duration::from_secs(2), ..LoadLimits::default() };
    let cache = tempfile::tempdir().expect("tempdir");
    let (runtime, starts) = bounded_runtime(Some(cache.path()), limits);
    let (error, took) = refusal(&runtime, &compile_bomb(BOMB_VALUES));
    assert_contains(&error, "compiling the component took over the 2s limit on compile time");
    assert_eq!(starts.load(Ordering::SeqCst), 1);
    // Not stopped before its limit, nor long after it (the unbounded compile takes 48 s); the
    // margin is for a loaded machine.
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(10), "stopped at its limit: {took:?}");
    let left: Vec<_> =
        std::fs::read_dir(cache.path()).expect("cache").filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(left, ["artifact.key"], "nothing compiled or half-compiled is left in the cache");
}

#[test]
fn a_compiler_process_refuses_an_invalid_component_as_this_process_would() {
    let (bounded, _) = bounded_runtime(None, LoadLimits::default());
    let truncated = &std::fs::read(plugin("customer-csv-mapper")).expect("read")[..4096];
    let (error, _) = refusal(&bounded, truncated);
    assert_contains(&error, "not a valid WebAssembly component");
    let (in_process, _) = refusal(&Runtime::standalone().expect("runtime"), truncated);
    assert_eq!(error, in_process, "the same refusal, wherever it was compiled");
}

#[test]
fn a_restart_loads_a_compiled_plugin_from_the_cache_without_starting_a_compiler() {
    let cache = tempfile::tempdir().expect("tempdir");
    let wasm = plugin("customer-csv-mapper");
    let (runtime, starts) = bounded_runtime(Some(cache.path()), LoadLimits::default());
    let started = Instant::now();
    maps_a_customer(&runtime.load(&wasm).expect("compiled in a compiler process"));
    let compiled = started.elapsed();
    assert_eq!(starts.load(Ordering::SeqCst), 1, "one compiler process");
    drop(runtime);

    // A restart: a new runtime on the same cache.
    let (runtime, starts) = bounded_runtime(Some(cache.path()), LoadLimits::default());
    let started = Instant::now();
    let plugin = runtime.load(&wasm).expect("loaded from the cache");
    let cached = started.elapsed();
    assert_eq!(starts.load(Ordering::SeqCst), 0, "no compiler process after a restart");
    maps_a_customer(&plugin);
    eprintln!("compiled in a compiler process: {compiled:?}; from the cache: {cached:?}");
    assert!(cached < Duration::from_millis(250), "a cache hit is a load, not a compile: {cached:?}");
}

/// Runs `wharf <args>` in this process; returns the exit code and what it printed (or the error).
fn wharf(args: &[&str]) -> (Exit, String) {
    let mut out = Vec::new();
    match execute(std::iter::once("wharf").chain(args.iter().copied()), &mut out) {
        Ok(exit) => (exit, String::from_utf8(out).expect("utf-8")),
        Err(failure) => (failure.exit, format!("{:#}", failure.error)),
    }
}

/// The compiled components in `dir`, with when each was written.
fn artifacts(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut artifacts: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "cwasm"))
        .map(|path| {
            let written = std::fs::metadata(&path).and_then(|meta| meta.modified()).expect("mtime");
            (path, written)
        })
        .collect();
    artifacts.sort();
    artifacts
}

#[test]
fn plugin_check_and_run_compile_once_into_the_cache_and_then_load_from_it() {
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_arg = cache.path().to_str().expect("a UTF-8 path");
    let wasm = plugin("customer-csv-mapper");
    let wasm = wasm.to_str().expect("a UTF-8 path");
    let input = root().join("tests/data/golden/customer-csv-mapper/input.csv");
    let input = input.to_str().expect("a UTF-8 path");

    let started = Instant::now();
    let (exit, out) = wharf(&["plugin", "check", "--cache", cache_arg, wasm]);
    let first = started.elapsed();
    assert_eq!(exit, Exit::Success, "{out}");
    let compiled = artifacts(cache.path());
    assert_eq!(compiled.len(), 1, "check compiled into the cache");

    let started = Instant::now();
    let (exit, out) = wharf(&["plugin", "check", "--cache", cache_arg, wasm]);
    let second = started.elapsed();
    assert_eq!(exit, Exit::Success, "{out}");
    let (exit, out) = wharf(&["plugin", "run", "--cache", cache_arg, wasm, "--input", input]);
    assert_eq!(exit, Exit::RowsRejected, "{out}");
    assert_eq!(artifacts(cache.path()), compiled, "check and run again loaded what the first check compiled");
    eprintln!("plugin check: {first:?} compiling, {second:?} from the cache");
}

#[test]
fn plugin_check_in_a_deployment_compiles_into_the_deployments_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("wharf.toml"), "plugins = \"components\"\n").expect("settings");
    let plugins = dir.path().join("components");
    std::fs::create_dir_all(&plugins).expect("plugin directory");
    let wasm = install("company-filter", &plugins, "company-filter", |manifest| manifest);

    let (exit, out) = wharf(&["plugin", "check", wasm.to_str().expect("a UTF-8 path")]);
    assert_eq!(exit, Exit::Success, "{out}");
    assert_eq!(artifacts(&dir.path().join("data/cache")).len(), 1, "compiled into the deployment's cache");
}

/// A `wharf serve` process (this binary, see [`serve_child_serves_until_killed`]); killed
/// when dropped.
struct ServeProcess {
    child: Child,
    url: String,
}

impl ServeProcess {
    fn start(deployment: &Path) -> ServeProcess {
        let mut child = Command::new(this_binary())
            .args(["--exact", "compiling::serve_child_serves_until_killed", "--nocapture", "--test-threads=1"])
            .env(SERVE_CHILD, deployment)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server process starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, listening) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(start) = line.find("listening on ") {
                    let address = line[start + "listening on ".len()..].split(' ').next().unwrap_or_default();
                    let _ = sender.send(address.to_owned());
                }
            }
        });
        let url = listening.recv_timeout(Duration::from_secs(120)).expect("the server listens");
        ServeProcess { child, url }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_server_keeps_answering_while_a_compile_bomb_is_compiled_and_refused() {
    let (dir, deployment) = deployment();
    drop(deployment);
    let settings = dir.path().join("wharf.toml");
    let mut text = std::fs::read_to_string(&settings).expect("settings");
    text.push_str("\n[loading]\nmax_compile_memory_mib = 256\nmax_compile_time = \"60s\"\n");
    std::fs::write(&settings, text).expect("settings");
    let data = dir.path().join("data");
    let auth_settings =
        AuthSettings { issuer: PUBLIC_URL.into(), audience: PUBLIC_URL.into(), ..AuthSettings::default() };
    let backend = wharf::backend::Backend::Sqlite;
    let auth =
        Auth::open(&backend, &data.join("server.db"), &data.join("keys/signing.pem"), auth_settings).expect("auth");
    let registration = NewClient {
        id: Some("ops".into()),
        name: "ops".into(),
        roles: [Role::Admin].into(),
        companies: Companies::All,
        enabled: true,
    };
    let (_, secret) = auth.add_client(registration).expect("the admin registers");
    drop(auth);

    let server = ServeProcess::start(dir.path());
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().expect("a client");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "ops"),
        ("client_secret", secret.as_str()),
        ("scope", &format!("{PUBLIC_URL}/.default")),
    ];
    let token: Value = http
        .post(format!("{}/tenant/oauth2/v2.0/token", server.url))
        .form(&form)
        .send()
        .and_then(|response| response.error_for_status())
        .and_then(|response| response.json())
        .expect("a token");
    let token = token["access_token"].as_str().expect("an access token").to_owned();
    let bomb_refusal = || -> Option<String> {
        let plugins: Value = http
            .get(format!("{}/manage/plugins", server.url))
            .bearer_auth(&token)
            .send()
            .and_then(|response| response.json())
            .ok()?;
        let bomb = plugins["value"].as_array()?.iter().find(|plugin| plugin["file"] == "bomb.wasm")?;
        bomb["last_refusal"]["reason"].as_str().map(str::to_owned)
    };

    // The bomb arrives as an operator would place it: manifest, then component, by rename.
    let staging = tempfile::tempdir_in(dir.path()).expect("staging");
    let staged = install("customer-csv-mapper", staging.path(), "bomb", |manifest| manifest);
    std::fs::write(&staged, compile_bomb(BOMB_VALUES)).expect("the bomb");
    let plugins = dir.path().join("plugins");
    std::fs::rename(staged.with_extension("toml"), plugins.join("bomb.toml")).expect("place the manifest");
    std::fs::rename(&staged, plugins.join("bomb.wasm")).expect("place the bomb");

    let started = Instant::now();
    let (mut answers, mut slowest) = (0, Duration::ZERO);
    // A refusal for another reason (the manifest read before its component landed) is not
    // the one awaited.
    let mut other_refusal = None;
    let reason = loop {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the bomb was not refused at a compile limit; last refusal: {other_refusal:?}"
        );
        let asked = Instant::now();
        let health = http.get(format!("{}/health", server.url)).send().expect("the server answers");
        assert_eq!((health.status().as_u16(), health.text().expect("a body").as_str()), (200, "ok"));
        (answers, slowest) = (answers + 1, slowest.max(asked.elapsed()));
        match bomb_refusal() {
            Some(reason) if reason.contains("limit on compile") => break reason,
            Some(reason) => other_refusal = Some(reason),
            None => {}
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_contains(&reason, "needed more than the 256 MiB limit on compile memory");
    eprintln!("{answers} health checks during the bomb ({:?}), the slowest {slowest:?}", started.elapsed());
    assert!(slowest < Duration::from_secs(1), "the server kept answering at once: slowest {slowest:?}");
}
