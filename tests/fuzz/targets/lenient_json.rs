//! The lenient JSON body reader of the connector and service routes (`api::lenient_json`:
//! serde_json, then json5 for D365 clients' single-quoted JSON behind a nesting guard) on any
//! bytes.
//!
//! Checks, besides no panic, stack overflow (the fuzzer runs on a server thread's 2 MiB stack)
//! or hang: a body it accepts, written back as strict JSON, is accepted as the same value
//! (floats within a rounding of their last digit, as serde_json reads them without its
//! `float_roundtrip` feature).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wharf::api::lenient_json;

/// Whether `a` and `b` are the same JSON value, floats compared to 15 significant digits.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a == b || (a - b).abs() <= a.abs().max(b.abs()) * 1e-15,
            _ => false,
        },
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|((key_a, a), (key_b, b))| key_a == key_b && same(a, b))
        }
        (a, b) => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = lenient_json(data) else {
        return;
    };
    let strict = serde_json::to_vec(&value).expect("a JSON value serializes");
    match lenient_json(&strict) {
        Ok(reread) => assert!(same(&reread, &value), "{value} reads back as {reread}"),
        Err(error) => panic!("{value}, written as strict JSON, is refused: {error:?}"),
    }
});
