//! A mapper that attacks its host in the way its manifest's `attack` config names, so the
//! tests can check each attack is stopped by its limit or by the sandbox.

use std::hint::black_box;

use wharf_plugin_sdk::{Batch, Context, Mapped, Mapper, PluginError, host};

/// The plugin.
pub struct Hostile;

/// What the `remember` attack keeps between calls: the last call's company and job, and how
/// many calls this instance has served.
static SEEN: std::sync::Mutex<Option<(String, u32)>> = std::sync::Mutex::new(None);

impl Mapper for Hostile {
    fn map(ctx: &Context, input: &Batch) -> Result<Mapped, PluginError> {
        let attack = host::config("attack").unwrap_or_default();
        match attack.as_str() {
            "loop" => loop {
                black_box(());
            },
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    black_box(&hoard);
                }
            }
            "output" => {
                let mut mapped = Mapped::new();
                let rows = mapped.entity("Hostile", &["Blob"]);
                let blob = "x".repeat(256 * 1024);
                let row = input.row(0).ok_or("need one input row")?;
                for _ in 0..8 {
                    mapped.push(rows, &row, &[blob.as_str().into()]);
                }
                Ok(mapped)
            }
            "panic" => panic!("the partner file had a surprise"),
            "recursion" => Err(PluginError::new(format!("returned from depth {}", recurse(black_box(1))))),
            "log-flood" => {
                for n in 0..1_000_000 {
                    host::log(host::Level::Info, &format!("line {n} of a flood"));
                }
                Ok(Mapped::new())
            }
            "exit" => std::process::exit(3),
            "entity" => {
                let mut mapped = Mapped::new();
                let rows = mapped.entity("NotMine", &["A"]);
                let row = input.row(0).ok_or("need one input row")?;
                mapped.push(rows, &row, &["a".into()]);
                Ok(mapped)
            }
            "sandbox" => Err(PluginError::new(probe_sandbox(input))),
            // Blocks in the host (`wasi:io/poll` on a clock), where the epoch cannot stop it.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(8));
                Ok(Mapped::new())
            }
            "clock" => Err(PluginError::new(probe_clocks())),
            // Output that is small to the guest and large to the host.
            "errors" => {
                let mut mapped = Mapped::new();
                let row = input.row(0).ok_or("need one input row")?;
                for _ in 0..30_000 {
                    mapped.reject(row.error("a", "x"));
                }
                Ok(mapped)
            }
            "error-rows" => {
                let mut mapped = Mapped::new();
                let row = input.row(0).ok_or("need one input row")?;
                for _ in 0..100 {
                    mapped.reject(row.error("a", "x"));
                }
                Ok(mapped)
            }
            "outputs" => {
                let mut mapped = Mapped::new();
                for _ in 0..30_000 {
                    mapped.entity("Hostile", &[]);
                }
                Ok(mapped)
            }
            // Remembers the context of its last call and counts its calls, and writes both
            // into every row: what an instance kept between calls would leak. A row keyed
            // `trap` panics.
            "remember" => {
                let here = format!("{}/{}", ctx.company.as_deref().unwrap_or("-"), ctx.job.as_deref().unwrap_or("-"));
                let mut seen = SEEN.lock().map_err(|_| "poisoned")?;
                let (previous, calls) = match seen.take() {
                    Some((previous, calls)) => (previous, calls + 1),
                    None => ("none".to_owned(), 1),
                };
                *seen = Some((here, calls));
                let mut mapped = Mapped::new();
                let rows = mapped.entity("Hostile", &["Key", "Previous", "Calls"]);
                for row in input.rows() {
                    let key = row.str("key").unwrap_or_default();
                    assert_ne!(key, "trap", "asked to trap");
                    mapped.push(rows, &row, &[key.into(), previous.as_str().into(), i64::from(calls).into()]);
                }
                Ok(mapped)
            }
            other => Err(PluginError::new(format!("unknown attack {other}"))),
        }
    }
}

wharf_plugin_sdk::export_mapper!(Hostile);

/// Recursion that keeps its frames on the wasm stack (not Rust's shadow stack in linear
/// memory), so it is the engine's stack limit that stops it. Subtraction keeps the compiler
/// from turning it into a loop.
#[allow(unconditional_recursion, reason = "running out of stack is the attack")]
fn recurse(depth: u64) -> u64 {
    let next = black_box(depth + 1);
    next.wrapping_sub(recurse(next))
}

/// What the plugin learns of time and randomness: the wall clock in milliseconds, how long a
/// 50 ms sleep took by the monotonic clock, and a hash keyed by `wasi:random`.
fn probe_clocks() -> String {
    use std::hash::BuildHasher as _;
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_millis());
    let started = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let slept = started.elapsed().as_millis();
    let random = std::collections::hash_map::RandomState::new().hash_one("wharf");
    format!("wall={wall} slept={slept} random={random}")
}

/// Tries every way out of the sandbox and reports what happened, one `name=outcome` per probe.
fn probe_sandbox(input: &Batch) -> String {
    let target = input.row(0).and_then(|row| row.str("address").ok()).unwrap_or("127.0.0.1:9").to_owned();
    let outcome = |result: Result<String, String>| match result {
        Ok(found) => format!("open:{found}"),
        Err(_) => "denied".to_owned(),
    };
    let file = std::fs::read_to_string("/etc/passwd").map(|text| text.len().to_string()).map_err(|e| e.to_string());
    let dir = std::fs::read_dir("/").map(|entries| entries.count().to_string()).map_err(|e| e.to_string());
    let write = std::fs::write("/tmp/wharf-escape", b"x").map(|()| "written".to_owned()).map_err(|e| e.to_string());
    let env = std::env::vars().next().map(|(key, _)| key).ok_or_else(|| "empty".to_owned());
    let args = std::env::args().nth(1).ok_or_else(|| "empty".to_owned());
    let socket = std::net::TcpStream::connect(&target).map(|_| "connected".to_owned()).map_err(|e| e.to_string());
    format!(
        "file={} dir={} write={} env={} args={} socket={}",
        outcome(file),
        outcome(dir),
        outcome(write),
        outcome(env),
        outcome(args),
        outcome(socket)
    )
}
