//! The command line: parses arguments, runs a command, and maps its outcome to an exit code
//! scripts can rely on (see [`Exit`]).
pub mod client;
pub mod entity;
pub mod execution;
pub mod harness;
pub mod plugin;
pub mod replay;
pub mod sample;
pub mod scaffold;
pub mod serve;
pub mod staging;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes of `wharf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Done.
    Success = 0,
    /// The run failed: a plugin call (trap, limit, or an error it returned), a document, or
    /// the store.
    Failed = 1,
    /// The command line was wrong (clap's own code).
    Usage = 2,
    /// A plugin, manifest or input file could not be read, built or loaded.
    Unusable = 3,
    /// The run completed, but some rows were rejected.
    RowsRejected = 4,
    /// `wharf plugin replay`: the candidate would change what imports do (rows, rejects,
    /// failures or faults).
    CandidateDiffers = 5,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A command's failure, with the exit code it maps to.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What to tell the user.
    pub error: anyhow::Error,
}

impl Failure {
    /// A failure with this exit code.
    pub fn new(exit: Exit, error: impl Into<anyhow::Error>) -> Failure {
        Failure { exit, error: error.into() }
    }
}

/// A failure to read, build or load something.
pub fn unusable(error: impl Into<anyhow::Error>) -> Failure {
    Failure::new(Exit::Unusable, error)
}

/// A failed run.
pub fn failed(error: impl Into<anyhow::Error>) -> Failure {
    Failure::new(Exit::Failed, error)
}

/// What a command returns: an exit code, or a failure to report.
pub type Outcome = Result<Exit, Failure>;

#[derive(Debug, Parser)]
#[command(name = "wharf", version, about = "WebAssembly plugin-based data-integration engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build, inspect and try plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Import a document or data package with a data project.
    Import(execution::ImportArgs),
    /// Export a data project's entities to a file, directory or data package.
    Export(execution::ExportArgs),
    /// Run the server: recurring jobs, their queue and the REST API.
    Serve(serve::ServeArgs),
    /// Register and manage the clients that may call the server.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Draft entity definitions to review, from a data package.
    #[command(subcommand)]
    Entity(entity::EntityCommand),
    /// Review an execution stopped at staging: list, correct or drop rows, copy to the target.
    #[command(subcommand)]
    Staging(staging::StagingCommand),
}

/// Runs `wharf` with `args` (the first is the program name), writing results to `out`.
pub fn execute<I, T>(args: I, out: &mut dyn std::io::Write) -> Outcome
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Help and version requests are not errors.
        Err(error) if !error.use_stderr() => {
            write!(out, "{error}").map_err(unusable)?;
            return Ok(Exit::Success);
        }
        Err(error) => return Err(Failure::new(Exit::Usage, anyhow::anyhow!(error.render().to_string()))),
    };
    match cli.command {
        Command::Plugin(command) => plugin::run(command, out),
        Command::Import(args) => execution::import(args, out),
        Command::Export(args) => execution::export(args, out),
        Command::Serve(args) => serve::run(args, out),
        Command::Client(command) => client::run(command, out),
        Command::Entity(command) => entity::run(command, out),
        Command::Staging(command) => staging::run(command, out),
    }
}

/// Runs `wharf` with the process's arguments. Logs go to stderr, as text, or as one JSON
/// object per line when `WHARF_LOG_FORMAT=json` (for log pipelines); `RUST_LOG` filters them.
pub fn main() -> ExitCode {
    // Which plugins loaded is the registry's news for a long-running host; a command's own
    // output says what matters.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "wharf=info,wharf::plugin::registry=warn,warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match std::env::var("WHARF_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().init(),
        _ => logs.init(),
    }
    // This is `wharf`: it compiles plugins in processes of its own, under their load limits.
    match crate::plugin::Compiler::this_binary() {
        Ok(compiler) => crate::plugin::Compiler::set_process_default(compiler),
        Err(error) => tracing::warn!("plugins compile in this process, without time or memory limits: {error:#}"),
    }
    let outcome = execute(std::env::args_os(), &mut std::io::stdout().lock());
    match outcome {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            failure.exit.into()
        }
    }
}
