//! Inbound and outbound folders, through a real `wharf serve` process: complete files of any
//! name are enqueued once and archived, unfinished and hostile ones are left alone, refused ones
//! go to the error folder with their reason, a kill between an enqueue and its archiving loses
//! and repeats nothing, an export lands whole in its outbound folder, acknowledged, and no
//! folder outside the configuration's roots is ever used.

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::crashes::{FAULT, ServeProcess, names, stored_messages};
use crate::server::{CUSTOMERS_EXPORT_JOB, FABRIKAM, GROUPS_JOB, OPS, SETUP_JOB};

/// A second customer-groups job, whose folder takes files written in place once they hold
/// still for a second.
const STEADY_JOB: &str = "3c0d9a4e-5b6f-4e1a-8c2d-7f9e0a1b2c3d";

/// A copy of the example deployment whose jobs have folders under `files/`, the one allowed
/// root: the customer-groups job takes only renamed files (`stable_for` is an hour) of at most
/// 100 kB, [`STEADY_JOB`] takes files that held still for a second, the setup-package job takes
/// packages, and the customers export writes to `files/out`.
fn prepare() -> ServeProcess {
    let mut server = ServeProcess::prepare(|dir| {
        std::fs::create_dir_all(dir.join("files")).expect("the folder root");
        std::fs::write(dir.join("server.toml"), "[jobs]\nfolder_roots = [\"files\"]\n").expect("write the config");
        let append = |job: &str, table: &str| {
            let path = dir.join("jobs").join(job);
            let text = std::fs::read_to_string(&path).expect("an example job");
            std::fs::write(&path, format!("{text}\n{table}")).expect("write the job");
        };
        append(
            "customer-groups.toml",
            "[inbound]\nfolder = \"files/groups\"\nstable_for = \"1h\"\nrescan = \"100ms\"\nmax_bytes = 100000\n",
        );
        append("contoso-setup.toml", "[inbound]\nfolder = \"files/packages\"\nrescan = \"100ms\"\n");
        append("customers-export.toml", "[outbound]\nfolder = \"files/out\"\n");
        let steady = format!(
            "activity = \"{STEADY_JOB}\"\nname = \"Steady groups\"\nproject = \"Customer groups\"\n\
             direction = \"import\"\nmode = \"file\"\nentity = \"Customer groups\"\nprocessing = \"100ms\"\n\n\
             [[authorized]]\nclient = \"{FABRIKAM}\"\n\n\
             [inbound]\nfolder = \"files/groups steady\"\nstable_for = \"1s\"\nrescan = \"100ms\"\n"
        );
        std::fs::write(dir.join("jobs/steady-groups.toml"), steady).expect("write the job");
    });
    server.config = Some(server.dir.path().join("server.toml"));
    server
}

impl ServeProcess {
    fn files(&self) -> PathBuf {
        self.dir.path().join("files")
    }

    /// Writes `bytes` outside the folders, then renames the file into `folder` as `name`, as
    /// a well-behaved sender does.
    fn drop_file(&self, folder: &str, name: &str, bytes: &[u8]) {
        let staging = self.dir.path().join("staging");
        std::fs::create_dir_all(&staging).expect("a staging directory");
        let temporary = staging.join(name);
        std::fs::write(&temporary, bytes).expect("write a file");
        std::fs::rename(&temporary, self.files().join(folder).join(name)).expect("rename it into the folder");
    }

    /// The messages of job `activity` the management API lists, newest first.
    fn job_messages(&self, admin: &str, activity: &str) -> Vec<Value> {
        let response = self
            .http
            .get(self.at(&format!("/manage/messages?activity={activity}&limit=1000")))
            .bearer_auth(admin)
            .send()
            .expect("answers");
        assert_eq!(response.status(), 200, "the messages of {activity}");
        let body: Value = response.json().expect("JSON");
        body["value"].as_array().expect("a list").clone()
    }

    /// The message of job `activity` whose external identifier is `name`, once it is processed.
    fn processed(&self, admin: &str, activity: &str, name: &str) -> Value {
        let mut found = Value::Null;
        self.wait_for(&format!("{name:?} to be processed"), 60, || {
            let messages = self.job_messages(admin, activity);
            let matching: Vec<&Value> =
                messages.iter().filter(|message| message["ExternalCorrelationId"] == name).collect();
            assert!(matching.len() <= 1, "{name:?} is enqueued more than once: {matching:?}");
            found = matching.first().map(|message| (*message).clone()).unwrap_or(Value::Null);
            found["Status"] == "Processed"
        });
        found
    }

    fn wait_for_file(&self, path: &Path) {
        self.wait_for(&format!("{}", path.display()), 60, || path.exists());
    }
}

/// Groups as the customer-groups project reads them, `rows` of them.
fn groups_csv(prefix: &str, rows: usize) -> String {
    let mut text = String::from("CustomerGroupId,Description\r\n");
    for index in 0..rows {
        text.push_str(&format!("{prefix}{index:04},Group {index} of {prefix}\r\n"));
    }
    text
}

#[test]
fn complete_files_of_any_name_are_enqueued_once_and_archived_and_unfinished_or_hostile_ones_are_left_alone() {
    let mut server = prepare();
    server.start();
    let admin = server.token(OPS);
    let groups = server.files().join("groups");

    // What must never be taken: a hidden file, a link to a file outside, a directory, a FIFO.
    let outside = server.dir.path().join("secret.csv");
    std::fs::write(&outside, groups_csv("SECRET", 1)).expect("a file outside the folders");
    std::fs::write(groups.join(".hidden.csv"), groups_csv("HIDDEN", 1)).expect("a hidden file");
    std::os::unix::fs::symlink(&outside, groups.join("link.csv")).expect("a symbolic link");
    std::fs::create_dir(groups.join("directory.csv")).expect("a directory");
    let not_utf8 = std::ffi::OsStr::from_bytes(b"latin1 \xe9t\xe9.csv");
    std::fs::write(groups.join(not_utf8), groups_csv("LATIN", 1)).expect("a name that is not UTF-8");
    let fifo = std::process::Command::new("mkfifo").arg(groups.join("pipe.csv")).status().expect("mkfifo runs");
    assert!(fifo.success(), "mkfifo");

    // Spaces and characters outside ASCII, renamed in: taken at once, though `stable_for` is an hour.
    let name = "Kundengruppen Ünïcødé 北京 groups.csv";
    let text = groups_csv("UNI", 3);
    server.drop_file("groups", name, text.as_bytes());
    let message = server.processed(&admin, GROUPS_JOB, name);
    assert_eq!(message["TotalRecords"], 3, "{message}");
    assert_eq!(message["EnqueueUser"], "inbound folder", "{message}");
    assert_eq!(std::fs::read_to_string(groups.join("archive").join(name)).expect("archived"), text);
    assert!(!groups.join(name).exists(), "the file left the inbound folder");

    // The same file again is the same enqueue: archived under a free name, no second message.
    server.drop_file("groups", name, text.as_bytes());
    server.wait_for("the repeat to be archived", 30, || names(&groups.join("archive")).len() == 2);
    std::thread::sleep(Duration::from_millis(500));
    let repeats = server.job_messages(&admin, GROUPS_JOB);
    assert_eq!(repeats.iter().filter(|message| message["ExternalCorrelationId"] == name).count(), 1, "{repeats:?}");

    // A file written in place, a row every 300 ms for 3 s, is not taken while it grows.
    let steady = server.files().join("groups steady");
    let growing = steady.join("written slowly é.csv");
    let mut file = std::fs::File::create(&growing).expect("create a file in place");
    file.write_all(b"CustomerGroupId,Description\r\n").expect("write");
    for index in 0..10 {
        file.write_all(format!("SLOW{index:04},Group {index}\r\n").as_bytes()).expect("write");
        file.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(300));
        assert!(growing.exists(), "a file still being written was taken after {} rows", index + 1);
    }
    drop(file);
    assert!(server.job_messages(&admin, STEADY_JOB).is_empty(), "nothing is enqueued while the file grows");
    let message = server.processed(&admin, STEADY_JOB, "written slowly é.csv");
    assert_eq!(message["TotalRecords"], 10, "every row the writer wrote: {message}");
    assert!(steady.join("archive/written slowly é.csv").exists());

    // The hostile entries are where they were; nothing else was enqueued or refused.
    for left in [".hidden.csv", "link.csv", "directory.csv", "pipe.csv"] {
        assert!(groups.join(left).symlink_metadata().is_ok(), "{left} was touched");
    }
    assert!(groups.join(not_utf8).exists(), "the file whose name is not UTF-8 was touched");
    assert_eq!(std::fs::read_to_string(&outside).expect("outside"), groups_csv("SECRET", 1));
    assert!(names(&groups.join("error")).is_empty(), "nothing refused: {:?}", names(&groups.join("error")));
    server.kill();
    let stored = stored_messages(&server.data().join("server.db"), GROUPS_JOB);
    let external: Vec<Option<&str>> = stored.values().map(|message| message.external_id.as_deref()).collect();
    assert_eq!(external, [Some(name)], "one message, of the one complete file");
}

#[test]
fn a_refused_file_goes_to_the_error_folder_with_its_reason() {
    let mut server = prepare();
    server.start();
    let admin = server.token(OPS);
    let packages = server.files().join("packages");

    server.drop_file("packages", "not a package ü.zip", b"CustomerGroupId,Description\r\nX,not a zip\r\n");
    let error = packages.join("error");
    server.wait_for_file(&error.join("not a package ü.zip.error.txt"));
    let reason = std::fs::read_to_string(error.join("not a package ü.zip.error.txt")).expect("the reason");
    assert!(reason.contains("The data package is refused"), "{reason}");
    assert!(reason.contains("Contoso setup packages"), "the reason names the job: {reason}");
    assert!(error.join("not a package ü.zip").exists(), "the refused file is beside its reason");

    // Over the job's 100 kB: refused before anything is stored.
    let large = groups_csv("BIG", 5000);
    server.drop_file("groups", "too large.csv", large.as_bytes());
    let error = server.files().join("groups/error");
    server.wait_for_file(&error.join("too large.csv.error.txt"));
    let reason = std::fs::read_to_string(error.join("too large.csv.error.txt")).expect("the reason");
    assert!(reason.contains("over the job's limit of 100000 bytes"), "{reason}");

    // A sound package in the same folder goes through.
    let package = std::fs::read(server.dir.path().join("samples/contoso-setup.zip")).expect("the sample package");
    server.drop_file("packages", "contoso setup.zip", &package);
    server.processed(&admin, SETUP_JOB, "contoso setup.zip");
    assert!(packages.join("archive/contoso setup.zip").exists());
    let refused = server.job_messages(&admin, SETUP_JOB);
    assert_eq!(refused.len(), 1, "a refused file makes no message: {refused:?}");

    // No client names a folder: a job made through the management API may have none.
    let job = serde_json::json!({
        "activity": "9b2e4f60-1d3c-4a5b-8e7f-0a1b2c3d4e5f",
        "project": "Customer groups",
        "direction": "import",
        "mode": "file",
        "entity": "Customer groups",
        "inbound": { "folder": "/etc" },
    });
    let response = server.http.post(server.at("/manage/jobs")).bearer_auth(&admin).json(&job).send().expect("answers");
    assert_eq!(response.status(), 400, "a job with a folder from a client");
    let text = response.text().expect("a body");
    assert!(text.contains("folders are set in the deployment's jobs directory"), "{text}");
    server.kill();
}

#[test]
fn a_file_killed_after_its_claim_or_its_enqueue_is_enqueued_once_and_archived_after_a_restart() {
    // Killed after the claim (nothing enqueued yet) and after the enqueue (not yet archived).
    for (point, enqueued) in [("folder-after-claim", 0), ("folder-after-enqueue", 1)] {
        let mut server = prepare();
        server.fault = Some(point);
        server.start();
        let name = "crash groups ß.csv";
        server.drop_file("groups", name, groups_csv("CRASH", 4).as_bytes());
        let stopped = format!("{FAULT}: stopped at {point}");
        server.wait_for(&format!("the file to reach {point}"), 60, || {
            std::fs::read_to_string(server.log()).is_ok_and(|log| log.contains(&stopped))
        });
        server.kill();
        let groups = server.files().join("groups");
        assert!(groups.join(".processing").join(name).exists(), "{point}: the claimed file waits in .processing");
        assert!(names(&groups.join("archive")).is_empty(), "{point}: nothing was archived before the kill");
        let database = server.data().join("server.db");
        let at_kill = stored_messages(&database, GROUPS_JOB);
        assert_eq!(at_kill.len(), enqueued, "{point}: messages committed before the kill");

        server.fault = None;
        server.start();
        let admin = server.token(OPS);
        let message = server.processed(&admin, GROUPS_JOB, name);
        assert_eq!(message["TotalRecords"], 4, "{point}: {message}");
        let id = message["MessageId"].as_str().expect("an id");
        assert!(enqueued == 0 || at_kill.contains_key(id), "{point}: the message from before the kill");
        server.wait_for_file(&groups.join("archive").join(name));
        assert!(names(&groups.join(".processing")).is_empty(), "{point}: nothing is left claimed");
        server.kill();
        let stored = stored_messages(&database, GROUPS_JOB);
        assert_eq!(stored.len(), 1, "{point}: enqueued once, and not again after the restart: {stored:?}");
    }
}

#[test]
fn an_export_lands_whole_in_its_outbound_folder_and_its_message_is_acknowledged() {
    let mut server = prepare();
    server.start();
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let out = server.files().join("out");

    // Every name a reader could see, with what it read the first time it saw it.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (out, stop) = (out.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seen: HashMap<String, Vec<u8>> = HashMap::new();
            while !stop.load(Ordering::Relaxed) {
                for name in names(&out).into_iter().filter(|name| !name.starts_with('.')) {
                    if !seen.contains_key(&name)
                        && let Ok(bytes) = std::fs::read(out.join(&name))
                    {
                        seen.insert(name, bytes);
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            seen
        })
    };
    let response = server.enqueue_setup_package(&token);
    assert_eq!(response.status(), 200, "the customers arrive, so the export finds rows");
    let started = Instant::now();
    server.wait_for("an exported file", 60, || names(&out).iter().any(|name| !name.starts_with('.')));
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let seen = watcher.join().expect("the reader thread");
    eprintln!("exported after {:?}: {:?}", started.elapsed(), seen.keys());

    for (name, first) in &seen {
        let last = std::fs::read(out.join(name)).expect("the file stays");
        assert_eq!(first, &last, "{name} was seen before it was whole");
        let text = String::from_utf8(last).expect("UTF-8");
        assert!(text.contains("CustomerAccount"), "{name}: {text}");
        assert!(name.starts_with("Customers to Fabrikam ") && name.ends_with(".csv"), "{name}");
        let id = name.trim_start_matches("Customers to Fabrikam ").trim_end_matches(".csv");
        let message = server.message(&admin, id);
        assert_eq!(message["Status"], "Acked", "{message}");
        assert_eq!(message["ExternalCorrelationId"], name.as_str(), "the file name is recorded: {message}");
        assert_eq!(message["AckUser"], "outbound folder", "{message}");
    }
    assert!(!seen.is_empty(), "a file was seen");
    let dequeue = server
        .http
        .get(server.at(&format!("/api/connector/dequeue/{CUSTOMERS_EXPORT_JOB}")))
        .bearer_auth(&token)
        .send()
        .expect("dequeue answers");
    assert_eq!(dequeue.status(), 204, "a delivered export is not handed out again");
    server.kill();
}

#[test]
fn wharf_serve_refuses_to_start_with_a_folder_outside_the_allowed_roots() {
    let (dir, _) = crate::imports::deployment();
    crate::server::copy_jobs(dir.path());
    std::fs::create_dir_all(dir.path().join("files")).expect("the folder root");
    let job = dir.path().join("jobs/customer-groups.toml");
    let text = std::fs::read_to_string(&job).expect("an example job");
    let serve = |config: &str| {
        std::fs::write(dir.path().join("server.toml"), config).expect("write the config");
        let args = ["wharf", "serve", "--config"].map(str::to_owned).into_iter().chain([
            dir.path().join("server.toml").display().to_string(),
            "--deployment".to_owned(),
            dir.path().display().to_string(),
            "--listen".to_owned(),
            "127.0.0.1:0".to_owned(),
        ]);
        let failure = wharf::run::execute(args, &mut Vec::new()).expect_err("the start is refused");
        format!("{:#}", failure.error)
    };
    let outside = dir.path().join("outside");
    std::fs::write(&job, format!("{text}\n[inbound]\nfolder = {:?}\n", outside.display().to_string())).expect("job");
    let error = serve("[jobs]\nfolder_roots = [\"files\"]\n");
    assert!(error.contains("is not inside any of the allowed folder roots"), "{error}");
    assert!(!outside.exists(), "nothing is created outside the roots");
    let error = serve("");
    assert!(error.contains("the server's configuration allows none"), "{error}");
    std::fs::write(&job, format!("{text}\n[inbound]\nfolder = \"files/../outside\"\n")).expect("job");
    let error = serve("[jobs]\nfolder_roots = [\"files\"]\n");
    assert!(error.contains("may not contain `..`"), "{error}");
}
