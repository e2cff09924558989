//! The OData `$batch` reader (`odata::batch::parse`) on any bytes: the input's first line is
//! the request's `Content-Type`, the rest its body. Read twice, with D365's limits and with
//! small ones that a fuzz input can reach.
//!
//! Checks, besides no panic, hang or runaway memory, what `parse` promises of what it returns:
//! no more operations than the limit, no operation body over the part limit, change sets that
//! are not empty and hold only POST, PUT, PATCH and DELETE with distinct Content-IDs made of
//! unreserved characters; and `resolve_reference` answers every operation's URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::odata::batch::{self, Item, Limits, Operation};

fn check_content_id(operation: &Operation) {
    if let Some(content_id) = &operation.content_id {
        let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        assert!(
            !content_id.is_empty() && content_id.chars().all(unreserved),
            "Content-ID {content_id:?} was let through"
        );
    }
}

fn check_reference(operation: &Operation, locations: &[(String, String)]) {
    let resolved = batch::resolve_reference(&operation.url, locations);
    if !operation.url.starts_with('$') {
        assert_eq!(resolved.as_deref(), Ok(operation.url.as_str()), "a URL without `$` changed");
    }
}

fn check(content_type: &str, body: &[u8], limits: &Limits) {
    let Ok(items) = batch::parse(content_type, body, limits) else {
        return;
    };
    assert!(batch::boundary(content_type).is_ok(), "a batch parsed whose Content-Type has no boundary");
    let mut operations = 0;
    for item in &items {
        match item {
            Item::Operation(operation) => {
                operations += 1;
                assert!(operation.body.len() <= limits.max_part_bytes, "an operation body is over the part limit");
                check_content_id(operation);
                check_reference(operation, &[]);
            }
            Item::ChangeSet(change_set) => {
                assert!(!change_set.is_empty(), "an empty change set was let through");
                let mut locations: Vec<(String, String)> = Vec::new();
                for operation in change_set {
                    operations += 1;
                    assert!(operation.body.len() <= limits.max_part_bytes, "an operation body is over the part limit");
                    assert!(
                        ["POST", "PUT", "PATCH", "DELETE"].contains(&operation.method.as_str()),
                        "a change set holds a {} request",
                        operation.method
                    );
                    check_content_id(operation);
                    check_reference(operation, &locations);
                    if let Some(content_id) = &operation.content_id {
                        assert!(
                            locations.iter().all(|(earlier, _)| earlier != content_id),
                            "Content-ID {content_id:?} is used twice in a change set"
                        );
                        locations.push((content_id.clone(), "https://wharf.example/data/Set(1)".to_owned()));
                    }
                }
            }
        }
    }
    assert!(operations <= limits.max_operations, "{operations} operations passed a limit of {}", limits.max_operations);
}

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.iter().position(|&byte| byte == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[][..]),
    };
    let content_type = String::from_utf8_lossy(content_type);
    let content_type = content_type.trim_end_matches('\r');
    check(content_type, body, &Limits::default());
    check(content_type, body, &Limits { max_operations: 3, max_part_bytes: 256 });
});
