//! The operator's queue over HTTP: messages searched and paged by cursor, their timelines,
//! reprocessing and bulk deletes, jobs disabled, enabled and run now, and the overview.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::server::{Backend, FABRIKAM, GROUPS_JOB, OPS, TestServer, on_both_backends};

on_both_backends!(
    messages_are_searched_paged_reprocessed_and_deleted_over_http,
    a_disabled_job_keeps_its_messages_waiting_until_it_is_enabled,
    run_now_runs_a_job_before_its_recurrence_is_due,
);

/// A CSV of customer groups named after `prefix`, one with an id too long when `bad`.
fn groups(prefix: &str, bad: bool) -> String {
    let mut csv = format!(
        "CustomerGroupId,Description,PaymentTermId,IsSalesTaxIncludedInPrice\n{prefix}1,{prefix} group,Net30,No\n"
    );
    if bad {
        csv.push_str(&format!("{},Too long an id,Net30,No\n", "G".repeat(200)));
    }
    csv
}

fn enqueue(server: &TestServer, token: &str, activity: &str, external_id: &str, body: String) -> String {
    let response = server
        .http
        .post(server.at(&format!("/api/connector/enqueue/{activity}?company=USMF&entity=Customer%20groups")))
        .bearer_auth(token)
        .header("x-ms-dyn-externalidentifier", external_id)
        .body(body)
        .send()
        .expect("enqueue answers");
    assert_eq!(response.status(), 200);
    response.text().expect("a message id").trim_matches('"').to_owned()
}

fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let response = server.http.get(server.at(path)).bearer_auth(token).send().expect("answers");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn post(server: &TestServer, token: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = server.http.post(server.at(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().expect("answers");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn status_of(server: &TestServer, admin: &str, id: &str) -> String {
    let (_, message) = get(server, admin, &format!("/manage/messages/{id}"));
    message["Status"].as_str().unwrap_or_default().to_owned()
}

fn settled(status: &str) -> bool {
    !["Enqueued", "Processing", "Preprocessing", ""].contains(&status)
}

fn ids(page: &Value) -> Vec<String> {
    let messages = page["value"].as_array().cloned().unwrap_or_default();
    messages.iter().map(|message| message["MessageId"].as_str().unwrap_or_default().to_owned()).collect()
}

fn messages_are_searched_paged_reprocessed_and_deleted_over_http(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let good: Vec<String> = (0..5)
        .map(|index| {
            enqueue(&server, &token, GROUPS_JOB, &format!("good-{index}.csv"), groups(&format!("Q{index}"), false))
        })
        .collect();
    let bad = enqueue(&server, &token, GROUPS_JOB, "bad.csv", groups("Zebra", true));
    server.wait_for("every message to be processed", || {
        good.iter().chain([&bad]).all(|id| settled(&status_of(&server, &admin, id)))
    });
    assert_eq!(status_of(&server, &admin, &bad), "ProcessedWithErrors");

    // Pages of two by cursor visit the six once each, newest first.
    let filter = format!("activity={GROUPS_JOB}&status=Processed,ProcessedWithErrors&limit=2");
    let (mut seen, mut cursor) = (Vec::new(), String::new());
    loop {
        let (status, page) = get(&server, &admin, &format!("/manage/messages?{filter}&cursor={cursor}"));
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"]["count"], 6, "{page}");
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let mut expected: Vec<String> = good.iter().chain([&bad]).cloned().collect();
    expected.reverse();
    assert_eq!(seen, expected);
    let (status, _) = get(&server, &admin, &format!("/manage/messages?{filter}&cursor=bm9wZQ"));
    assert_eq!(status, 400, "a made-up cursor");
    let (status, _) = get(&server, &admin, "/manage/messages?status=Nonsense,Processed");
    assert_eq!(status, 400, "an unknown status");
    // The first list's parameters still answer as they did.
    let (_, listed) = get(&server, &admin, &format!("/manage/messages?activity={GROUPS_JOB}&limit=10&offset=1"));
    assert_eq!(ids(&listed).len(), 5, "{listed}");

    // Text finds a correlation id, or text inside a body.
    let (_, page) = get(&server, &admin, "/manage/messages?text=bad.csv");
    assert_eq!((ids(&page), &page["matched_by"]), (vec![bad.clone()], &json!("CorrelationId")), "{page}");
    let (_, page) = get(&server, &admin, "/manage/messages?text=zebra%20GROUP");
    assert_eq!((ids(&page), &page["matched_by"]), (vec![bad.clone()], &json!("Body")), "{page}");
    assert_eq!(page["body_search"]["stopped_by_budget"], false, "{page}");
    assert!(page["body_search"]["scanned"].as_u64().is_some_and(|scanned| scanned >= 6), "{page}");

    // A processed import is not reprocessed, and the answer says why; the failed one is.
    let (status, refused) = post(&server, &admin, &format!("/manage/messages/{}/reprocess", good[0]), None);
    assert_eq!(status, 409, "{refused}");
    assert!(refused.to_string().contains("only a failed import can be reprocessed"), "{refused}");
    let (status, outcome) = post(&server, &admin, &format!("/manage/messages/{bad}/reprocess"), None);
    assert_eq!((status, &outcome["to"]), (200, &json!("Enqueued")), "{outcome}");
    server.wait_for("the reprocessed message to be processed again", || {
        let (_, message) = get(&server, &admin, &format!("/manage/messages/{bad}"));
        message["RetryCount"] == 1 && settled(message["Status"].as_str().unwrap_or_default())
    });
    let (_, timeline) = get(&server, &admin, &format!("/manage/messages/{bad}/timeline"));
    let kinds: Vec<&str> =
        timeline["value"].as_array().expect("steps").iter().filter_map(|step| step["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"Enqueued"), "{timeline}");
    assert!(kinds.contains(&"OperatorAction") && kinds.contains(&"Failed"), "{timeline}");
    let action = timeline["value"].as_array().expect("steps").iter().find(|step| step["kind"] == "OperatorAction");
    assert_eq!(action.map(|step| &step["actor"]), Some(&json!(OPS)), "{timeline}");

    // A data-management client sees none of this.
    let (status, _) = post(&server, &token, &format!("/manage/messages/{bad}/reprocess"), None);
    assert_eq!(status, 403);

    // Delete every processed message of the job, and one by id.
    let filter = json!({ "activity": GROUPS_JOB, "statuses": ["Processed"] });
    let (status, outcome) =
        post(&server, &admin, "/manage/messages/bulk", Some(json!({ "action": "delete", "filter": filter })));
    assert_eq!((status, &outcome["changed"], &outcome["refused"]), (200, &json!(5), &json!(0)), "{outcome}");
    for id in &good {
        assert_eq!(get(&server, &admin, &format!("/manage/messages/{id}")).0, 404);
    }
    let response = server.http.delete(server.at(&format!("/manage/messages/{bad}"))).bearer_auth(&admin).send();
    assert_eq!(response.expect("answers").status(), 200);
    let (status, _) = post(&server, &admin, "/manage/messages/bulk", Some(json!({ "action": "delete" })));
    assert_eq!(status, 400, "neither ids nor a filter");

    let (status, overview) = get(&server, &admin, "/manage/overview");
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["buckets"].as_array().map(Vec::len), Some(12), "{overview}");
    let imported: u64 =
        overview["buckets"].as_array().expect("buckets").iter().filter_map(|bucket| bucket["imported"].as_u64()).sum();
    assert!(imported >= 6, "five good rows and the bad file's good one: {overview}");
    assert!(overview["recent_errors"].as_array().is_some_and(|errors| !errors.is_empty()), "{overview}");
}

fn a_disabled_job_keeps_its_messages_waiting_until_it_is_enabled(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let (status, answer) = post(&server, &admin, &format!("/manage/jobs/{GROUPS_JOB}/disable"), None);
    assert_eq!((status, &answer["enabled"]), (200, &json!(false)), "{answer}");
    let id = enqueue(&server, &token, GROUPS_JOB, "waiting.csv", groups("W", false));
    // The job processes every 100 ms when enabled.
    std::thread::sleep(Duration::from_millis(1_000));
    assert_eq!(status_of(&server, &admin, &id), "Enqueued", "a disabled job takes no message");
    let (status, refused) = post(&server, &admin, &format!("/manage/jobs/{GROUPS_JOB}/run"), None);
    assert_eq!(status, 409, "{refused}");
    let (_, runs) = get(&server, &admin, &format!("/manage/jobs/{GROUPS_JOB}/runs"));
    assert_eq!((&runs["enabled"], ids(&runs)), (&json!(false), vec![id.clone()]), "{runs}");
    let (_, overview) = get(&server, &admin, "/manage/overview");
    let waiting = overview["oldest_waiting"].as_array().cloned().unwrap_or_default();
    assert!(waiting.iter().any(|job| job["activity"] == GROUPS_JOB), "{overview}");

    let (status, _) = post(&server, &admin, &format!("/manage/jobs/{GROUPS_JOB}/enable"), None);
    assert_eq!(status, 200);
    server.wait_for("the waiting message to be processed", || status_of(&server, &admin, &id) == "Processed");
}

fn run_now_runs_a_job_before_its_recurrence_is_due(backend: Backend) {
    let server = TestServer::start_on(backend);
    let (token, admin) = (server.token(FABRIKAM), server.token(OPS));
    let activity = Uuid::new_v4().to_string();
    let job = json!({
        "activity": activity,
        "name": "Customer groups, hourly",
        "project": "Customer groups",
        "direction": "import",
        "mode": "file",
        "entity": "Customer groups",
        "processing": "1h",
        "monitoring": "1m",
        "authorized": [{ "client": FABRIKAM }],
    });
    let (status, created) = post(&server, &admin, "/manage/jobs", Some(job));
    assert_eq!(status, 201, "{created}");
    // Its first run comes at the scheduler's next tick; after that, not for an hour.
    std::thread::sleep(Duration::from_millis(500));
    let id = enqueue(&server, &token, &activity, "hourly.csv", groups("H", false));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(status_of(&server, &admin, &id), "Enqueued", "not due for an hour");
    let (status, run) = post(&server, &admin, &format!("/manage/jobs/{activity}/run"), None);
    assert_eq!((status, &run["queued"]), (202, &json!(true)), "{run}");
    server.wait_for("the run now to process the message", || status_of(&server, &admin, &id) == "Processed");
    let (status, _) = post(&server, &admin, &format!("/manage/jobs/{}/run", Uuid::new_v4()), None);
    assert_eq!(status, 404);
}
