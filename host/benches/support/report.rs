//! Where a benchmark's headline figures go: a `bench: <name> = <value> <unit>` line on stdout
//! for people and CI logs, and one JSON object per figure appended to
//! `target/bench-results/results.jsonl` (the benchmark, its scale, the commit, the time), from
//! which `target/bench-results/<benchmark>.svg` is drawn again at the end of each run: every
//! figure of that benchmark over its full runs, so that runs can be compared.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::Scale;

/// One figure of one run, as `results.jsonl` holds it.
#[derive(Debug, Serialize, Deserialize)]
struct Figure {
    benchmark: String,
    scale: String,
    commit: String,
    time: String,
    name: String,
    value: f64,
    unit: String,
}

/// The headline figures of one run of a benchmark.
pub struct Report {
    benchmark: String,
    scale: Scale,
    figures: Vec<(String, f64, String)>,
}

impl Report {
    /// The figures of benchmark `benchmark` (its target's name) at `scale`.
    pub fn new(benchmark: &str, scale: Scale) -> Report {
        Report { benchmark: benchmark.to_owned(), scale, figures: Vec::new() }
    }

    /// Prints `bench: <name> = <value> <unit>` and keeps the figure for the results file.
    pub fn headline(&mut self, name: impl Into<String>, value: f64, unit: &str) {
        let name = name.into();
        let digits = if value.fract() == 0.0 || value.abs() >= 1000.0 { 0 } else { 3 };
        println!("bench: {name} = {value:.digits$} {unit}");
        self.figures.push((name, value, unit.to_owned()));
    }

    /// Appends the figures to the results file and redraws this benchmark's plot.
    pub fn save(self) -> anyhow::Result<()> {
        let dir = results_dir();
        std::fs::create_dir_all(&dir)?;
        let scale = self.scale.pick("full", "quick").to_owned();
        let (commit, time) = (commit(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("results.jsonl"))?;
        let mut lines = String::new();
        for (name, value, unit) in self.figures {
            let figure = Figure {
                benchmark: self.benchmark.clone(),
                scale: scale.clone(),
                commit: commit.clone(),
                time: time.clone(),
                name,
                value,
                unit,
            };
            lines.push_str(&serde_json::to_string(&figure)?);
            lines.push('\n');
        }
        // One write, so that benchmarks finishing together do not interleave their lines.
        file.write_all(lines.as_bytes())?;
        let plot = dir.join(format!("{}.svg", self.benchmark));
        draw(&dir.join("results.jsonl"), &self.benchmark, self.scale, &plot)?;
        println!("results: {} (plot: {})", dir.join("results.jsonl").display(), plot.display());
        Ok(())
    }
}

/// `target/bench-results` of the workspace.
fn results_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("..")).join("target/bench-results")
}

/// The checked-out commit, with `+` when the work tree has changes; `unknown` outside git.
fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let Some(commit) = git(&["rev-parse", "--short=10", "HEAD"]) else { return "unknown".into() };
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|status| !status.is_empty());
    if dirty { format!("{commit}+") } else { commit }
}

/// Draws each figure of `benchmark` at `scale` over its runs in `results` into `plot`, one
/// panel per figure, the runs in order along each panel.
fn draw(results: &Path, benchmark: &str, scale: Scale, plot: &Path) -> anyhow::Result<()> {
    let scale = scale.pick("full", "quick");
    let mut series: Vec<(String, String, Vec<f64>)> = Vec::new();
    for line in std::fs::read_to_string(results)?.lines() {
        // A line another version of this module wrote differently is skipped, not fatal.
        let Ok(figure) = serde_json::from_str::<Figure>(line) else { continue };
        if figure.benchmark != benchmark || figure.scale != scale || !figure.value.is_finite() {
            continue;
        }
        match series.iter_mut().find(|(name, ..)| *name == figure.name) {
            Some((.., values)) => values.push(figure.value),
            None => series.push((figure.name, figure.unit, vec![figure.value])),
        }
    }
    const COLUMNS: usize = 3;
    let rows = series.len().div_ceil(COLUMNS).max(1);
    let root = SVGBackend::new(plot, (1200, 220 * rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    for (area, (name, unit, values)) in root.split_evenly((rows, COLUMNS)).iter().zip(&series) {
        let (low, high) = values.iter().fold((f64::MAX, f64::MIN), |(low, high), &v| (low.min(v), high.max(v)));
        let pad = ((high - low) * 0.1).max(high.abs() * 0.05).max(1e-9);
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{name} ({unit})"), ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(20)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..(values.len().max(2) - 1) as f64, (low - pad)..(high + pad))?;
        chart.configure_mesh().x_desc("run").max_light_lines(0).draw()?;
        let points = || values.iter().enumerate().map(|(run, &value)| (run as f64, value));
        chart.draw_series(LineSeries::new(points(), &BLUE))?;
        chart.draw_series(points().map(|point| Circle::new(point, 3, BLUE.filled())))?;
    }
    root.present()?;
    Ok(())
}
