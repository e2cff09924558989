//! The replay benchmark: `wharf serve`'s code over a copy of the example deployment with the
//! customer mapper serving and a Northwind customers job, messages enqueued over HTTP, then a
//! candidate version (a changed config value, so every message differs) replayed over them
//! beside the serving one, as `wharf plugin replay` and `POST /manage/plugins/replay` do:
//! both versions' dry runs of every message, compared. Measures messages replayed per second,
//! and each version's cost per row.
//!
//! Run with `cargo bench -p wharf --bench replay`; `cargo test` runs it in quick mode (5
//! messages of 10 rows). `WHARF_BENCH_MESSAGES` sets the messages (default 200),
//! `WHARF_BENCH_ROWS` the rows per message (default 100). It ends with
//! `bench: replay.messages_per_s = <value> messages/s`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result, ensure};
use wharf::releases::replay::{Replay, Selection, load_candidate};

mod support;
use support::{Report, Running, Scale, prepare, token};

/// The client enqueueing.
const CLIENT: &str = "northwind";
/// The Northwind customers job.
const JOB: &str = "3f2b8c1e-7d4a-4b5e-9c6f-1a2b3c4d5e6f";

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let messages: u32 = scale.setting("WHARF_BENCH_MESSAGES", 200, 5)?;
    let rows: usize = scale.setting("WHARF_BENCH_ROWS", 100, 10)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = tempfile::tempdir_in(root.join("target"))?;
    let dir = work.path().join("deployment");
    prepare(&root.join("examples/deployment"), &dir)?;
    let job = format!(
        "activity = \"{JOB}\"\nproject = \"Northwind customers\"\ndirection = \"import\"\nmode = \"file\"\n\
         entity = \"Customer\"\nprocessing = \"1h\"\n\n[[authorized]]\nclient = \"{CLIENT}\"\n"
    );
    std::fs::write(dir.join("jobs/northwind-customers.toml"), job)?;
    // The other benchmarks build the example plugins in the same target directory, so each
    // is compiled once for all of them.
    let built = wharf::run::plugin::build(
        &root.join("plugins/customer-csv-mapper"),
        &dir.join("plugins"),
        Some(&root.join("target/bench-plugins/plugins")),
    )?;
    let candidates = dir.join("candidates");
    std::fs::create_dir_all(&candidates)?;
    let manifest = std::fs::read_to_string(built.with_extension("toml"))?;
    let changed = manifest.replace("home_country = \"USA\"", "home_country = \"DEU\"");
    ensure!(changed != manifest, "the example manifest no longer sets home_country");
    std::fs::write(candidates.join("candidate.toml"), changed)?;
    std::fs::copy(&built, candidates.join("candidate.wasm"))?;

    let server = Running::start(&dir, CLIENT)?;
    enqueue(&server, messages, rows)?;
    let jobs = server.jobs.clone();
    let deployment = jobs.deployment();
    let activity = JOB.parse().context("the job's id")?;
    let job = jobs.job(activity).context("the job is loaded")?;
    let project = deployment.projects.require(&job.project)?;
    let candidate = load_candidate(&deployment.pipeline.registry, &candidates.join("candidate.wasm"))?;
    let replay = Replay {
        pipeline: &deployment.pipeline,
        job: &job,
        project,
        database: jobs.queue().database().context("the bench's server runs on the embedded queue")?,
        bodies: jobs.bodies(),
    };
    eprintln!("replaying {messages} messages of {rows} rows...");
    let started = Instant::now();
    let report = replay.run(Arc::clone(&candidate), Selection { since: None, limit: messages })?;
    let elapsed = started.elapsed();
    ensure!(report.summary.messages == u64::from(messages), "replayed {} messages", report.summary.messages);
    ensure!(report.summary.differing == u64::from(messages), "only {} messages differ", report.summary.differing);
    server.stop()?;

    let per_s = f64::from(messages) / elapsed.as_secs_f64();
    headlines.headline("replay.rows_per_message", rows as f64, "rows");
    headlines.headline("replay.serving_us_per_row", report.summary.serving.us_per_row, "µs");
    headlines.headline("replay.candidate_us_per_row", report.summary.candidate.us_per_row, "µs");
    headlines.headline("replay.messages_per_s", per_s, "messages/s");
    headlines.save()
}

/// Enqueues `messages` Northwind files of `rows` customers each, over HTTP.
fn enqueue(server: &Running, messages: u32, rows: usize) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let token = token(&http, &server.url, CLIENT, &server.secret).await?;
        for message in 0..messages {
            let mut csv = String::from("cust_no,company_name,street,postcode,city,country,phone,credit_limit\n");
            for row in 0..rows {
                let country = if row % 2 == 0 { "US" } else { "DE" };
                csv.push_str(&format!("c{message}x{row},Customer {row},1 Main St,98052,Redmond,{country},,100\n"));
            }
            let response = http
                .post(format!("{}/api/connector/enqueue/{JOB}?company=USMF&entity=Customer", server.url))
                .bearer_auth(&token)
                .header("x-ms-dyn-externalidentifier", format!("customers-{message}.csv"))
                .body(csv)
                .send()
                .await?;
            ensure!(response.status() == 200, "enqueue answered {}", response.status());
        }
        Ok(())
    })
}
