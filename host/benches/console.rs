//! The operator console's message page: a filtered page of 50 over a queue of 1,000,000
//! messages, over real HTTP against `wharf serve`'s code, p99 in milliseconds.
//!
//! The queue is filled through its own SQL in one transaction (one statement generating the
//! rows; tiny inline bodies), not by a million enqueues: what is measured is the page, not the
//! filling. The messages spread over three jobs, eleven statuses, two companies and the last
//! six days. Each session then pages through one filter (a job and a status; a job, two
//! statuses and a date range; a status and a date range; the whole queue) by cursor, deep into
//! the queue, one request at a time as a person clicking "next" does.
//!
//! The page measured is the console's HTML page (`/console/messages`), asked for with the
//! session cookie of an operator signed in through the console's form, and rendered in full;
//! the management API's JSON search (`/manage/messages`) is measured beside it with the same
//! filters, so the rendering's share shows.
//!
//! Run with `cargo bench -p wharf --bench console`; `cargo test` runs it in quick mode (2,000
//! messages). `WHARF_BENCH_MESSAGES` sets the queue's size, `WHARF_BENCH_SESSIONS` the sessions
//! (default 100, each `WHARF_BENCH_DEPTH` pages deep, default 20). It ends with
//! `bench: console.messages_page.p99_ms = <n> ms`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use wharf::auth::Role;
use wharf::jobs::MessageStatus;

mod support;
use support::{Report, Running, Scale, prepare, token};

/// The example jobs the messages belong to, and one that no longer exists.
const JOBS: [&str; 3] = [
    "6d31e09f-0249-459f-94f0-aad9c2c47b64",
    "b0b5401e-56ca-4dc8-b566-84389a001236",
    "5acd8121-d4e1-4cf8-b31f-9713de3e3627",
];
/// An admin client, for the console and the management API.
const ADMIN: &str = "console-bench";
/// The span the messages' enqueue times cover.
const SPAN: Duration = Duration::from_secs(6 * 24 * 60 * 60);

fn main() -> Result<()> {
    let scale = Scale::of_this_run();
    let mut headlines = Report::new(env!("CARGO_CRATE_NAME"), scale);
    let messages: u64 = scale.setting("WHARF_BENCH_MESSAGES", 1_000_000, 2_000)?;
    let sessions: usize = scale.setting("WHARF_BENCH_SESSIONS", 100, 8)?;
    let depth: usize = scale.setting("WHARF_BENCH_DEPTH", 20, 4)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("workspace")?.to_owned();
    let work = tempfile::tempdir_in(root.join("target"))?;
    let dir = work.path().join("deployment");
    prepare(&root.join("examples/deployment"), &dir)?;
    let server = Running::start_as(&dir, ADMIN, &[Role::Admin], |_| {})?;

    let now = chrono::Utc::now().timestamp_millis();
    eprintln!("filling the queue with {messages} messages ...");
    let started = Instant::now();
    fill(&server, messages, now)?;
    eprintln!("filled in {:.1} s", started.elapsed().as_secs_f64());

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("bench-client").build()?;
    let (console, api) = runtime.block_on(async {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let token = token(&http, &server.url, ADMIN, &server.secret).await?;
        let cookie = sign_in(&server.url, ADMIN, &server.secret).await?;
        let day = 24 * 60 * 60 * 1000;
        let (from, to) = (iso(now - 4 * day), iso(now - day));
        // Each filter as the console's form sends it, and as the management API takes it.
        let filters = [
            (format!("job={}&status=Processed", JOBS[0]), format!("activity={}&status=Processed", JOBS[0])),
            (
                format!("job={}&status=ProcessedWithErrors&from={from}&to={to}", JOBS[1]),
                format!("activity={}&status=ProcessedWithErrors,PreProcessingError&from={from}&to={to}", JOBS[1]),
            ),
            (format!("status=Enqueued&from={from}&to={to}"), format!("status=Enqueued&from={from}&to={to}")),
            (String::new(), String::new()),
        ];
        let (mut console, mut api) = (Vec::new(), Vec::new());
        let (mut pages, mut rows) = (0_usize, 0_usize);
        for session in 0..sessions {
            let (console_filter, api_filter) = &filters[session % filters.len()];
            let mut cursor = String::new();
            for _ in 0..depth {
                let url = format!("{}/console/messages?{console_filter}&cursor={cursor}", server.url);
                let began = Instant::now();
                let response = http.get(&url).header(reqwest::header::COOKIE, &cookie).send().await?;
                ensure!(response.status() == 200, "{url} answered {}", response.status());
                let page = response.text().await?;
                console.push(began.elapsed());
                pages += 1;
                rows += page.matches("<tr id=\"message-").count();
                match next_cursor(&page) {
                    Some(next) => cursor = next,
                    None => break,
                }
            }
            let mut cursor = String::new();
            for _ in 0..depth {
                let url = format!("{}/manage/messages?{api_filter}&limit=50&cursor={cursor}", server.url);
                let began = Instant::now();
                let response = http.get(&url).bearer_auth(&token).send().await?;
                ensure!(response.status() == 200, "{url} answered {}", response.status());
                let page: serde_json::Value = response.json().await?;
                api.push(began.elapsed());
                match page["next"].as_str() {
                    Some(next) => cursor = next.to_owned(),
                    None => break,
                }
            }
        }
        ensure!(rows > 0, "no console page held a message");
        eprintln!("{pages} console pages, {rows} messages");
        anyhow::Ok((console, api))
    })?;
    server.stop()?;

    let (console, api) = (percentiles(console), percentiles(api));
    headlines.headline("manage.messages_page.p99_ms", api(99.0), "ms");
    headlines.headline("console.messages_page.p50_ms", console(50.0), "ms");
    headlines.headline("console.messages_page.p99_ms", console(99.0), "ms");
    headlines.headline("console.messages_page.queue", messages as f64, "messages");
    headlines.save()
}

/// The `percent`th percentile of `latencies`, in milliseconds.
fn percentiles(mut latencies: Vec<Duration>) -> impl Fn(f64) -> f64 {
    latencies.sort();
    move |percent: f64| {
        let index = ((latencies.len().max(1) - 1) as f64 * percent / 100.0).round() as usize;
        latencies.get(index).map_or(0.0, |latency| latency.as_secs_f64() * 1e3)
    }
}

/// Signs in through the console's form, as a browser does, and answers the session cookie.
async fn sign_in(url: &str, client_id: &str, secret: &str) -> Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let response = http
        .post(format!("{url}/console/sign-in"))
        .form(&[("client_id", client_id), ("client_secret", secret)])
        .send()
        .await?;
    ensure!(response.status() == 303, "the console's sign-in answered {}", response.status());
    let cookie = response.headers().get(reqwest::header::SET_COOKIE).context("the sign-in set no cookie")?;
    Ok(cookie.to_str()?.split(';').next().unwrap_or_default().to_owned())
}

/// The cursor of the console page's "Next page" link, if it has one.
fn next_cursor(page: &str) -> Option<String> {
    let link = &page[page.find("id=\"next-page\"")?..];
    let href = &link[link.find("href=\"")? + 6..];
    let href = &href[..href.find('"')?];
    let cursor = href.split("cursor=").nth(1)?.split('&').next()?;
    Some(cursor.to_owned())
}

/// `millis` as RFC 3339, for a query string.
fn iso(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Adds `count` messages to the server's SQLite queue in one statement: ids and blobs made from
/// the row number, jobs, statuses and companies in turn, enqueue times spread over [`SPAN`]
/// before `now` in insertion order, and a body of a few bytes kept inline.
fn fill(server: &Running, count: u64, now: i64) -> Result<()> {
    let database = server.jobs.queue().database().context("the benchmark fills a SQLite queue")?.clone();
    let span = i64::try_from(SPAN.as_millis())?;
    let statuses =
        MessageStatus::ALL.iter().map(|status| format!("'{}'", status.as_str())).collect::<Vec<_>>().join(", ");
    let jobs = JOBS.iter().map(|job| format!("'{job}'")).collect::<Vec<_>>().join(", ");
    let count = i64::try_from(count)?;
    database.write_blocking(move |connection| {
        connection.execute_batch(&format!(
            "CREATE TEMP TABLE bench_statuses (k INTEGER PRIMARY KEY, status TEXT);
             INSERT INTO bench_statuses (status) VALUES ({});
             CREATE TEMP TABLE bench_jobs (k INTEGER PRIMARY KEY, activity TEXT);
             INSERT INTO bench_jobs (activity) VALUES ({});",
            statuses.replace(", ", "), ("),
            jobs.replace(", ", "), (")
        ))?;
        connection.execute(
            "WITH RECURSIVE rows(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM rows WHERE n + 1 < ?1)
             INSERT INTO queue_messages (id, activity, operation, entity, company, external_id, body_hash,
                 body_size, body, blob, status, enqueued_at, enqueue_user, retry_count)
             SELECT printf('%08x-0000-4000-8000-%012x', n, n),
                 (SELECT activity FROM bench_jobs WHERE bench_jobs.k = n % 3 + 1),
                 'Import', 'Customer groups', CASE n % 2 WHEN 0 THEN 'usmf' ELSE 'demf' END,
                 'file-' || n || '.csv', zeroblob(32), 24, CAST('id,name\n' || n || ',Group\n' AS BLOB),
                 printf('%08x-0000-4000-9000-%012x', n, n),
                 (SELECT status FROM bench_statuses WHERE bench_statuses.k = (n / 3) % 11 + 1),
                 ?2 - ?3 + (n * ?3) / ?1, 'bench', 1
             FROM rows",
            rusqlite::params![count, now, span],
        )?;
        connection.execute_batch("DROP TABLE bench_statuses; DROP TABLE bench_jobs;")?;
        Ok(())
    })
}
