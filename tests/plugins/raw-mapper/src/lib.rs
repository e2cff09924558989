//! A mapper written against the raw contract, without the SDK, that returns what the SDK would
//! never produce, so the tests can check the host refuses each such result.

use exports::wharf::plugin::mapper::{EntityRows, Guest, Mapped};
use wharf::plugin::host;
use wharf::plugin::types::{CallContext, PluginError, RowBatch, RowError};

wit_bindgen::generate!({ path: "../../../wit", world: "wharf:plugin/mapper-plugin" });

struct RawMapper;

/// One row, one string cell holding `text`, in the compact row encoding.
fn one_cell(text: &[u8]) -> Vec<u8> {
    let mut rows = vec![1];
    rows.extend_from_slice(text);
    rows.extend_from_slice(&0u32.to_le_bytes());
    rows.extend_from_slice(&1u32.to_le_bytes());
    rows
}

/// A hundred thousand row errors whose messages all point at one 1 MiB buffer: 3.4 MB of guest
/// memory that would be 100 GB if the host copied every message. (Each alias is freed again
/// by the call's post-return, which a host that refuses the result never runs.)
fn aliased_errors() -> Vec<RowError> {
    let mut message = std::mem::ManuallyDrop::new("x".repeat(1 << 20));
    let (ptr, len, capacity) = (message.as_mut_ptr(), message.len(), message.capacity());
    (0..100_000)
        .map(|_| RowError {
            row: 0,
            field: None,
            // SAFETY: none; this plugin exists to hand the host memory it should refuse to copy.
            message: unsafe { String::from_raw_parts(ptr, len, capacity) },
        })
        .collect()
}

impl Guest for RawMapper {
    fn map(_ctx: CallContext, input: RowBatch) -> Result<Mapped, PluginError> {
        let attack = host::config("attack").unwrap_or_default();
        let columns = vec!["A".to_owned()];
        let (rows, source_rows, errors) = match attack.as_str() {
            "bad-utf8" => (one_cell(b"\xff\xfe"), vec![0], vec![]),
            "bad-offsets" => {
                let mut rows = one_cell(b"ok");
                let at = rows.len() - 8;
                rows[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
                (rows, vec![0], vec![])
            }
            "huge-row-count" => (u32::MAX.to_le_bytes().to_vec(), vec![0], vec![]),
            "source-out-of-range" => (one_cell(b"ok"), vec![input.rows.len() as u32 + 7], vec![]),
            "missing-source-rows" => (one_cell(b"ok"), vec![], vec![]),
            "error-out-of-range" => {
                (one_cell(b"ok"), vec![0], vec![RowError { row: 99, field: None, message: "x".into() }])
            }
            "aliased-errors" => (one_cell(b"ok"), vec![0], aliased_errors()),
            other => return Err(PluginError { message: format!("unknown attack {other}") }),
        };
        let batch = RowBatch { columns, rows };
        Ok(Mapped { outputs: vec![EntityRows { entity: "Hostile".into(), batch, source_rows }], errors })
    }
}

export!(RawMapper);
