//! Requests that nest or chain without end get an answer, never a crashed server or a store
//! error (OWASP API4, unrestricted resource consumption: the stack and SQLite's limits).

use serde_json::Value;

use super::{get, odata_error, ok_json, send};
use crate::server::{FABRIKAM, OPS, TestServer};

/// A `$batch` body with boundary `b0` whose one operation posts `path` (a spelling of
/// `$batch`) holding another batch, `levels` deep; the innermost batch counts customer groups.
fn nested_batch(path: &str, levels: usize) -> String {
    let mut body = "--b{n}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n\
                    GET CustomerGroups/$count HTTP/1.1\r\n\r\n\r\n--b{n}--\r\n"
        .replace("{n}", &levels.to_string());
    for level in (0..levels).rev() {
        body = format!(
            "--b{level}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n\
             POST {path} HTTP/1.1\r\nContent-Type: multipart/mixed; boundary=b{inner}\r\n\r\n{body}\r\n--b{level}--\r\n",
            inner = level + 1
        );
    }
    body
}

#[test]
fn a_batch_inside_a_batch_is_refused_however_the_url_spells_it_and_however_deep() {
    let server = TestServer::start();
    let token = server.token(FABRIKAM);
    let root = server.at("/data");
    for path in ["$batch", "%24batch", "%24batch?x=1", &format!("{root}/%24batch"), "/data/%24batch", "/data/$batch"] {
        for levels in [1, 2_000] {
            let response = server
                .http
                .post(server.at("/data/$batch"))
                .bearer_auth(&token)
                .header("Content-Type", "multipart/mixed; boundary=b0")
                .body(nested_batch(path, levels))
                .send()
                .unwrap_or_else(|error| panic!("{path} x{levels}: the server did not answer: {error}"));
            assert_eq!(response.status(), 200, "{path} x{levels}: the outer batch answers");
            let text = response.text().expect("a batch answer");
            assert!(text.contains("HTTP/1.1 400"), "{path} x{levels}: the nested batch is refused: {text:.400}");
            assert!(text.contains("A batch cannot hold another batch."), "{path} x{levels}: {text:.400}");
        }
    }
    assert_eq!(server.http.get(server.at("/health")).send().expect("alive").text().expect("a body"), "ok");
}

/// `field eq '1' or field eq '2' or …`, `count` comparisons.
fn or_chain(count: usize) -> String {
    (0..count).map(|n| format!("CustomerGroupId eq '{n}'")).collect::<Vec<_>>().join(" or ")
}

#[test]
fn long_or_chains_answer_their_rows_and_chains_past_the_parsers_limit_answer_400() {
    let server = TestServer::start();
    let token = server.token(OPS);
    for id in ["5", "500", "998", "999"] {
        let body = serde_json::json!({ "dataAreaId": "usmf", "CustomerGroupId": id, "Description": "x" });
        let created = super::post(&server, &token, "/data/CustomerGroups", body.to_string());
        assert_eq!(created.status(), 201, "group {id}");
    }
    let rows = ok_json(
        get(&server, &token, &format!("/data/CustomerGroups?$select=CustomerGroupId&$filter={}", or_chain(999))),
        "999 ors",
    );
    let mut ids: Vec<&str> =
        rows["value"].as_array().expect("rows").iter().filter_map(|row| row["CustomerGroupId"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["5", "500", "998"], "the rows the chain names, and no other");
    let count = get(&server, &token, &format!("/data/CustomerGroups/$count?$filter={}", or_chain(999)));
    assert_eq!(count.text().expect("a count"), ids.len().to_string(), "$count agrees with the rows");

    let message = odata_error(
        get(&server, &token, &format!("/data/CustomerGroups?$filter={}", or_chain(1_001))),
        400,
        "1,001 ors",
    );
    assert!(message.contains("levels deep"), "{message}");
}

#[test]
fn arithmetic_chained_past_what_the_store_evaluates_answers_400() {
    let server = TestServer::start();
    let token = server.token(OPS);
    let chain = |count: usize| format!("length(Description){} eq 0", " add 1".repeat(count));
    let fine = get(&server, &token, &format!("/data/CustomerGroups?$filter={}", chain(100)));
    assert_eq!(fine.status(), 200, "a chain of 100 is evaluated");
    let body: Value = fine.json().expect("JSON");
    assert_eq!(body["value"], Value::Array(Vec::new()), "no description is -100 long");
    for count in [300, 999] {
        let message = odata_error(
            get(&server, &token, &format!("/data/CustomerGroups?$filter={}", chain(count))),
            400,
            &format!("a chain of {count}"),
        );
        assert!(message.contains("too complex") || message.contains("levels deep"), "{count}: {message}");
    }
    assert_eq!(send(&server, None, reqwest::Method::GET, "/health", Vec::new()).status(), 200);
}
