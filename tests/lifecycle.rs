//! The server's own life: a graceful stop lets the message under way finish, a restart picks
//! up where the last process stopped, and the retention removes old messages, executions and
//! their files.

use std::time::Duration;

use serde_json::Value;

use crate::server::{FABRIKAM, GROUPS_JOB, OPS, TestServer};

/// A CSV of `rows` customer groups with ids unique to `prefix`.
fn customer_groups(prefix: &str, rows: usize) -> String {
    let mut csv = String::from("CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice\n");
    for row in 0..rows {
        csv.push_str(&format!("{prefix}{row:07},Group {row},Net30,No\n"));
    }
    csv
}

fn enqueue(server: &TestServer, token: &str, body: String) -> String {
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{GROUPS_JOB}?entity=Customer%20groups")))
        .bearer_auth(token)
        .body(body)
        .send()
        .expect("enqueue answers");
    assert_eq!(response.status(), 200);
    response.text().expect("a message id").trim_matches('"').to_owned()
}

fn message(server: &TestServer, admin: &str, id: &str) -> Option<Value> {
    let response =
        server.http.get(server.at(&format!("/manage/messages/{id}"))).bearer_auth(admin).send().expect("answers");
    match response.status().as_u16() {
        200 => Some(response.json().expect("a message")),
        404 => None,
        status => panic!("GET message answered {status}"),
    }
}

#[test]
fn a_graceful_stop_lets_the_message_under_way_finish_before_the_process_ends() {
    let mut server = TestServer::start_with(|config| config.shutdown_grace = Duration::from_secs(120));
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let id = enqueue(&server, &token, customer_groups("G", 60_000));
    server.wait_for("processing to start", || {
        message(&server, &admin, &id).is_some_and(|message| message["Status"] == "Processing")
    });
    server.stop();
    // Read before any restart: a later monitoring pass would settle a message the stopped
    // process left behind, and hide whether the stop waited for it.
    let database = wharf::jobs::Database::open(&server.data().join("server.db")).expect("the server database opens");
    let query = id.clone();
    let (status, attempts) = database
        .read(move |connection| {
            let sql = "SELECT status, retry_count FROM queue_messages WHERE id = ?1";
            Ok(connection.query_row(sql, [&query], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?)
        })
        .expect("the message is stored");
    database.close();
    assert_eq!((status.as_str(), attempts), ("Processed", 1), "the stopped server finished the message first");

    server.restart();
    let admin = server.token(OPS);
    let message = message(&server, &admin, &id).expect("the message is kept");
    assert_eq!(message["Status"], "Processed", "{message}");
    assert_eq!(message["RetryCount"], 1, "finished by the stopped process, not processed again: {message}");
    assert_eq!(message["TotalRecords"], 60_000);
}

#[test]
fn the_retention_removes_old_messages_with_their_body_files_and_executions() {
    let server = TestServer::start_with(|config| {
        config.jobs.queue.retention = Duration::from_secs(5);
        config.jobs.queue.cleanup_interval = Duration::from_millis(100);
    });
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    // Over the inline limit, so the body is a file of its own.
    let id = enqueue(&server, &token, customer_groups("R", 20_000));
    let body = server.data().join("queue/bodies").join(&id);
    assert!(body.exists(), "a large body is kept in a file");
    server.wait_for("the message to be processed", || {
        message(&server, &admin, &id).is_some_and(|message| message["Status"] == "Processed")
    });
    let execution =
        message(&server, &admin, &id).expect("a message")["ExecutionId"].as_str().expect("an execution").to_owned();
    let execution_status = || {
        let url = server.at(&format!("/manage/executions/{}", execution.replace(' ', "%20")));
        server.http.get(url).bearer_auth(&admin).send().expect("answers").status()
    };
    assert_eq!(execution_status(), 200, "the execution is there before the retention ends");
    server.wait_for("the retention to remove it", || message(&server, &admin, &id).is_none());
    assert!(!body.exists(), "its body file goes with it");
    server.wait_for("the retention to remove its execution", || execution_status() == 404);
}
