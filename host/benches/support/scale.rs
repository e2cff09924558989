//! How big a benchmark runs: its full sizes under `cargo bench`, tiny ones under `cargo test`,
//! so that the test command runs every benchmark end to end and a benchmark that breaks fails
//! CI instead of waiting for someone to measure.

use std::str::FromStr;

use anyhow::{Context as _, Result};

/// The sizes a benchmark runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Tiny sizes that take seconds even unoptimised, through the same code end to end (real
    /// plugins, a real server, a real store). Its figures say only that the benchmark works.
    Quick,
    /// The sizes the README's figures come from.
    Full,
}

impl Scale {
    /// `Full` when `cargo bench` started this binary, `Quick` otherwise or when
    /// `WHARF_BENCH_QUICK=1`. Cargo passes `--bench` to a `harness = false` target under
    /// `cargo bench` and not under `cargo test`, which builds and runs it because the target
    /// says `test = true`.
    pub fn of_this_run() -> Scale {
        let benching = std::env::args().skip(1).any(|argument| argument == "--bench");
        let quick_asked = std::env::var("WHARF_BENCH_QUICK").is_ok_and(|value| value == "1");
        let scale = if benching && !quick_asked { Scale::Full } else { Scale::Quick };
        if scale == Scale::Quick {
            eprintln!("quick mode: tiny sizes, to check that the benchmark works (`cargo bench` measures)");
        }
        scale
    }

    /// `full` or `quick`, by this scale.
    pub fn pick<T>(self, full: T, quick: T) -> T {
        match self {
            Scale::Full => full,
            Scale::Quick => quick,
        }
    }

    /// The environment variable `name` if set, else `full` or `quick`. A value that does not
    /// parse is an error: a mistyped size must not measure the default instead.
    pub fn setting<T>(self, name: &str, full: T, quick: T) -> Result<T>
    where
        T: FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        match std::env::var(name) {
            Ok(value) => value.parse().with_context(|| format!("{name}={value}")),
            Err(std::env::VarError::NotPresent) => Ok(self.pick(full, quick)),
            Err(error) => Err(error).context(name.to_owned()),
        }
    }
}
