//! Compiling a component within bounds. A component can make compiling it, not running it,
//! the attack: one function of a few megabytes whose values are all live at once takes
//! cranelift most of a minute and gigabytes (the compile bomb of `tests/compiling.rs`). So a
//! component over a size limit is refused before anything parses it, and, when a compiler
//! program is configured, compiling happens in a child process (`wharf plugin compile`) that
//! limits its own memory and that is killed at a time limit. The serving process neither grows
//! nor waits past the limits; a cache hit starts no process at all.

use std::ffi::OsString;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use serde::Deserialize;
use wasmtime::component::Component;
use wasmtime::{Engine, InstanceAllocationStrategy};

use super::cache::{ArtifactCache, deserialize};
use super::runtime::{RuntimeConfig, engine_config};

const MIB: u64 = 1024 * 1024;

/// What a component that does not compile is, whichever process compiled it.
const INVALID: &str = "not a valid WebAssembly component";

/// How much of a compiler process's stderr is kept for its error: the end, where it says why.
const STDERR_TAIL: usize = 16 * 1024;

/// How long a compiler process outlives its time limit when nobody kills it (its parent died):
/// the parent's kill normally comes first.
const ORPHAN_GRACE: Duration = Duration::from_secs(1);

/// Limits on loading one component, against components built to exhaust the compiler rather
/// than to run. `[loading]` in a deployment's `wharf.toml`.
///
/// The size limit always holds. The time and memory limits hold only where a
/// [`Compiler`] compiles in a process of its own (the `wharf` binary does); a runtime without
/// one compiles in its own process, where a compile can be neither stopped nor capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadLimits {
    /// The largest component accepted, in MiB (default 32), checked before it is parsed. The
    /// example plugins are well under 1 MiB; the compile bomb that took 48 s and 2.4 GiB is
    /// 7.5 MB.
    pub max_component_mib: u32,
    /// How long compiling one component may take (default 30 s); then it is stopped and the
    /// component refused.
    #[serde(with = "humantime_serde")]
    pub max_compile_time: Duration,
    /// The memory compiling one component may take, in MiB (default 1024): the compiler
    /// process's data limit (`RLIMIT_DATA`: heap and private writable mappings). Not an
    /// address-space limit, which wasmtime's reservations would exceed at once.
    pub max_compile_memory_mib: u32,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits { max_component_mib: 32, max_compile_time: Duration::from_secs(30), max_compile_memory_mib: 1024 }
    }
}

impl LoadLimits {
    fn check_size(&self, bytes: usize) -> Result<()> {
        if bytes as u64 > u64::from(self.max_component_mib) * MIB {
            bail!(
                "the component is {:.1} MiB, over the {} MiB limit on component size (max_component_mib)",
                bytes as f64 / MIB as f64,
                self.max_component_mib
            );
        }
        Ok(())
    }

    fn time_refusal(&self, elapsed: Duration) -> anyhow::Error {
        anyhow!(
            "compiling the component took over the {} limit on compile time (max_compile_time); it was stopped \
             after {:.1} s",
            humantime_serde::re::humantime::format_duration(self.max_compile_time),
            elapsed.as_secs_f64()
        )
    }

    fn memory_refusal(&self, elapsed: Duration) -> anyhow::Error {
        anyhow!(
            "compiling the component needed more than the {} MiB limit on compile memory (max_compile_memory_mib); \
             it was stopped after {:.1} s",
            self.max_compile_memory_mib,
            elapsed.as_secs_f64()
        )
    }
}

/// A program that compiles components in a process of its own: `wharf plugin compile`, under
/// whatever name. Cheap to clone.
#[derive(Clone)]
pub struct Compiler {
    /// What it is, for errors.
    name: String,
    command: Arc<MakeCommand>,
}

/// Makes the command that runs `wharf` with the given arguments.
type MakeCommand = dyn Fn(&[OsString]) -> Command + Send + Sync;

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Compiler").field(&self.name).finish()
    }
}

static PROCESS_DEFAULT: OnceLock<Compiler> = OnceLock::new();

impl Compiler {
    /// The `wharf` binary at `program`.
    pub fn wharf(program: impl Into<PathBuf>) -> Compiler {
        let program = program.into();
        Compiler::custom(program.display().to_string(), move |args| {
            let mut command = Command::new(&program);
            command.args(args);
            command
        })
    }

    /// This process's own binary, for when it is `wharf`. On Linux through `/proc/self/exe`,
    /// which names the running binary even after an upgrade replaced its file, so the
    /// compiler always makes artifacts this process can load.
    pub fn this_binary() -> Result<Compiler> {
        let link = Path::new("/proc/self/exe");
        let program = match link.exists() {
            true => link.to_owned(),
            false => std::env::current_exe().context("cannot find this program to compile plugins with")?,
        };
        Ok(Compiler::wharf(program))
    }

    /// A compiler started by `command`, which gets the arguments of a `wharf` command line
    /// (`plugin compile …`) and must make a process that runs it: for a program that is not
    /// the `wharf` binary but runs its command line (`wharf::run::execute`), such as a test
    /// binary running itself again.
    pub fn custom(
        name: impl Into<String>,
        command: impl Fn(&[OsString]) -> Command + Send + Sync + 'static,
    ) -> Compiler {
        Compiler { name: name.into(), command: Arc::new(command) }
    }

    /// Makes `compiler` the one every [`RuntimeConfig::default`] of this process has. The
    /// `wharf` binary sets its own ([`Compiler::this_binary`]) before it runs a command; a
    /// library user that is not `wharf` leaves it unset, or sets a [`Compiler::custom`].
    /// Only the first call counts: the compiler is part of what the process is.
    pub fn set_process_default(compiler: Compiler) {
        let _ = PROCESS_DEFAULT.set(compiler);
    }

    /// The compiler set with [`Compiler::set_process_default`], if any.
    pub fn process_default() -> Option<Compiler> {
        PROCESS_DEFAULT.get().cloned()
    }

    /// Compiles `wasm` in a compiler process under `limits`, through a file in `scratch`.
    /// Returns the serialized component.
    fn compile(&self, limits: &LoadLimits, wasm: &[u8], scratch: &Path) -> Result<Vec<u8>> {
        // The compiler writes through the path; this process reads through its own handle, so
        // a file put in the path's place meanwhile is not what gets loaded.
        let mut out = tempfile::Builder::new()
            .prefix(".compiling-")
            .tempfile_in(scratch)
            .with_context(|| format!("cannot make a file in {} to compile into", scratch.display()))?;
        let args: Vec<OsString> = vec![
            "plugin".into(),
            "compile".into(),
            "--out".into(),
            out.path().into(),
            "--max-memory-mib".into(),
            limits.max_compile_memory_mib.to_string().into(),
            "--max-time-ms".into(),
            limits.max_compile_time.as_millis().to_string().into(),
        ];
        let mut command = (self.command)(&args);
        command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command.spawn().with_context(|| format!("cannot start the plugin compiler {}", self.name))?;
        let (stdin, stderr) = (child.stdin.take(), child.stderr.take());
        let (status, stderr) = std::thread::scope(|scope| {
            // A compiler that dies early closes its end: the write fails, and its status says why.
            scope.spawn(move || stdin.map(|mut stdin| stdin.write_all(wasm)));
            let stderr = scope.spawn(move || stderr.map(read_tail).unwrap_or_default());
            let status = wait_until(&mut child, started + limits.max_compile_time);
            (status, stderr.join().unwrap_or_default())
        });
        let elapsed = started.elapsed();
        let status = status.with_context(|| format!("lost the plugin compiler {}", self.name))?;
        let Some(status) = status else { return Err(limits.time_refusal(elapsed)) };
        if !status.success() {
            return Err(self.failure(limits, status, &stderr, elapsed));
        }
        let mut artifact = Vec::new();
        let file = out.as_file_mut();
        file.rewind().and_then(|()| file.read_to_end(&mut artifact)).context("cannot read the compiled component")?;
        if artifact.is_empty() {
            bail!("the plugin compiler {} wrote nothing (is it wharf?)", self.name);
        }
        tracing::debug!(
            bytes = wasm.len(),
            ms = elapsed.as_millis() as u64,
            "component compiled in a compiler process"
        );
        Ok(artifact)
    }

    /// Why a compiler process failed, from its status and what it said last.
    fn failure(&self, limits: &LoadLimits, status: ExitStatus, stderr: &str, elapsed: Duration) -> anyhow::Error {
        // Rust's allocator aborts with the first line when the data limit refuses it memory;
        // the compiler says the second when an allocation failed short of an abort.
        if stderr.contains("memory allocation of") || stderr.contains(OUT_OF_MEMORY) {
            return limits.memory_refusal(elapsed);
        }
        match stderr.rfind("error: ") {
            Some(start) => anyhow!("{}", stderr[start + "error: ".len()..].trim()),
            None => anyhow!("the plugin compiler {} failed ({status}): {}", self.name, stderr.trim()),
        }
    }
}

/// What the compiler process says when the memory limit stopped it short of an abort.
const OUT_OF_MEMORY: &str = "the compile ran out of memory";

/// Waits for `child` until `deadline`, then kills it. `None` when it was killed.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            // It may have exited just now; either way it is gone after the wait.
            let _ = child.kill();
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// The last [`STDERR_TAIL`] bytes of `stderr`, read to its end.
fn read_tail(mut stderr: impl std::io::Read) -> String {
    let mut tail = Vec::new();
    let mut buffer = [0; 4096];
    while let Ok(read) = stderr.read(&mut buffer) {
        if read == 0 {
            break;
        }
        tail.extend_from_slice(&buffer[..read]);
        if tail.len() > 2 * STDERR_TAIL {
            tail.drain(..tail.len() - STDERR_TAIL);
        }
    }
    let start = tail.len().saturating_sub(STDERR_TAIL);
    String::from_utf8_lossy(&tail[start..]).into_owned()
}

/// The compiled form of `wasm` (whose BLAKE3 is `content_hash`), within `limits`: from `cache`
/// when it holds one (nothing is compiled or started), else compiled by `compiler`, else
/// compiled here. What is compiled goes into `cache`.
pub(super) fn component(
    engine: &Engine,
    cache: Option<&ArtifactCache>,
    limits: &LoadLimits,
    compiler: Option<&Compiler>,
    wasm: &[u8],
    content_hash: &blake3::Hash,
) -> Result<Component> {
    limits.check_size(wasm.len())?;
    let here = || engine.precompile_component(wasm).map_err(anyhow::Error::from).context(INVALID);
    match (cache, compiler) {
        (Some(cache), Some(compiler)) => {
            cache.load(engine, content_hash, || compiler.compile(limits, wasm, cache.dir()))
        }
        (Some(cache), None) => cache.load(engine, content_hash, here),
        (None, Some(compiler)) => deserialize(engine, &compiler.compile(limits, wasm, &std::env::temp_dir())?),
        (None, None) => Component::from_binary(engine, wasm).map_err(anyhow::Error::from).context(INVALID),
    }
}

/// `wharf plugin compile`: the compiler process's side. Limits its own memory to
/// `max_memory_mib`, reads a component from stdin, and writes its compiled form to `out`,
/// made for the engine every runtime uses. Exits on its own past `max_time` (plus a grace),
/// in case the process that started it is gone and cannot kill it.
pub fn compile_to_file(out: &Path, max_memory_mib: u32, max_time: Duration) -> Result<()> {
    limit_memory(max_memory_mib)?;
    std::thread::Builder::new()
        .name("wharf-compile-limit".into())
        .spawn(move || {
            std::thread::sleep(max_time + ORPHAN_GRACE);
            eprintln!("error: compiling took over its limit of {} ms", max_time.as_millis());
            std::process::exit(1);
        })
        .context("cannot start the compile's timer")?;
    let mut wasm = Vec::new();
    std::io::stdin().lock().read_to_end(&mut wasm).context("cannot read the component from stdin")?;
    let engine = compile_engine()?;
    let artifact = engine.precompile_component(&wasm).map_err(anyhow::Error::from).map_err(|error| {
        let out_of_memory = error.chain().any(|cause| {
            cause.downcast_ref::<std::io::Error>().is_some_and(|error| error.kind() == std::io::ErrorKind::OutOfMemory)
        });
        if out_of_memory { error.context(OUT_OF_MEMORY) } else { error.context(INVALID) }
    })?;
    std::fs::write(out, artifact).with_context(|| format!("cannot write {}", out.display()))
}

/// The engine a compiler process compiles with: every runtime's configuration, whose
/// compilation settings the artifact must match, but with instances allocated on demand: a
/// compiler instantiates nothing, and the allocation strategy is no part of an artifact's
/// compatibility (wasmtime checks the target, compiler flags, tunables and features).
fn compile_engine() -> Result<Engine> {
    let mut config = engine_config(&RuntimeConfig::default());
    config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
    Engine::new(&config).map_err(anyhow::Error::from).context("cannot start the wasm engine")
}

#[cfg(unix)]
fn limit_memory(max_memory_mib: u32) -> Result<()> {
    let bytes = u64::from(max_memory_mib) * MIB;
    rlimit::setrlimit(rlimit::Resource::DATA, bytes, bytes).context("cannot limit the compiler's memory")?;
    // The allocator aborts at the limit; a core dump of the compile would only fill a disk.
    if let Err(error) = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0) {
        tracing::debug!("cannot turn off core dumps: {error}");
    }
    Ok(())
}

#[cfg(not(unix))]
fn limit_memory(max_memory_mib: u32) -> Result<()> {
    tracing::warn!("no memory limit for the compile on this platform (wanted {max_memory_mib} MiB)");
    Ok(())
}
