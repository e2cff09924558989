//! What a plugin's native tests give it in place of the Wharf host: the manifest's
//! configuration values, and entity rows for [`host::lookup`](crate::host::lookup) and the
//! [`unit_of_work`](crate::unit_of_work).
//!
//! Off WebAssembly there is no host: without a [`TestHost`], `config` finds nothing and
//! lookups and the unit of work fail. A test installs one for its own thread (Rust runs each
//! test on a thread of its own, so tests never see each other's) and it stays in place until
//! the guard [`install`](TestHost::install) returns is dropped:
//!
//! ```
//! use wharf_plugin_sdk::testing::TestHost;
//! use wharf_plugin_sdk::{Value, ValueRef, host, unit_of_work};
//!
//! let host = TestHost::new()
//!     .config("home_country", "USA")
//!     .row("CustomerGroup", &[("CustomerGroupId", "DOM".into()), ("Description", "Domestic".into())])
//!     .install();
//!
//! assert_eq!(host::config("home_country").as_deref(), Some("USA"));
//! let group = host::lookup("CustomerGroup", &[("CustomerGroupId", ValueRef::from("DOM"))])?;
//! assert_eq!(group.and_then(|row| row.get("Description").cloned()), Some(Value::from("Domestic")));
//!
//! // An action's changes land in the same rows, for the test to check.
//! unit_of_work::insert("CustomerGroup", &[("CustomerGroupId", "INTL".into())])?;
//! assert_eq!(host.rows("CustomerGroup").len(), 2);
//! # Ok::<(), wharf_plugin_sdk::PluginError>(())
//! ```
//!
//! Rows are matched field by field: a key or criterion matches a row whose fields named in
//! it hold equal values. Nothing checks entity definitions (required fields, types, keys), so
//! a test of those belongs against the real host (`wharf plugin test` with an
//! `entities.json`).

use std::cell::RefCell;

use crate::host::Level;
use crate::{PluginError, Record, Value, ValueRef};

thread_local! {
    /// The host the current thread's test installed, if any.
    static INSTALLED: RefCell<Option<TestHost>> = const { RefCell::new(None) };
}

/// A stand-in for the Wharf host in native tests: configuration values and entity rows.
#[derive(Debug, Clone, Default)]
pub struct TestHost {
    config: Vec<(String, String)>,
    rows: Vec<(String, Record)>,
    log: Vec<(Level, String)>,
}

impl TestHost {
    /// A host with no configuration and no rows.
    pub fn new() -> TestHost {
        TestHost::default()
    }

    /// Sets configuration value `key`, as the manifest's `[config]` table would.
    pub fn config(mut self, key: &str, value: &str) -> TestHost {
        self.config.retain(|(name, _)| name != key);
        self.config.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds a row of `entity` with these fields.
    pub fn row(mut self, entity: &str, fields: &[(&str, Value)]) -> TestHost {
        let fields = fields.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect();
        self.rows.push((entity.to_owned(), Record::new(fields)));
        self
    }

    /// Makes this the host of the current thread until the returned guard is dropped; the
    /// host installed before (if any) comes back then.
    pub fn install(self) -> InstalledHost {
        let previous = INSTALLED.with(|installed| installed.borrow_mut().replace(self));
        InstalledHost { previous }
    }
}

/// The installed [`TestHost`] of the current thread; dropping it uninstalls it.
#[derive(Debug)]
pub struct InstalledHost {
    previous: Option<TestHost>,
}

impl InstalledHost {
    /// The rows of `entity` as they are now, changes through the unit of work included.
    pub fn rows(&self, entity: &str) -> Vec<Record> {
        with_host(|host| host.rows.iter().filter(|(name, _)| name == entity).map(|(_, row)| row.clone()).collect())
            .unwrap_or_default()
    }

    /// The lines the plugin logged through [`host::log`](crate::host::log), in order.
    pub fn log(&self) -> Vec<(Level, String)> {
        with_host(|host| host.log.clone()).unwrap_or_default()
    }
}

impl Drop for InstalledHost {
    fn drop(&mut self) {
        let previous = self.previous.take();
        INSTALLED.with(|installed| *installed.borrow_mut() = previous);
    }
}

/// Runs `f` on the current thread's host; `None` when no test installed one.
fn with_host<T>(f: impl FnOnce(&mut TestHost) -> T) -> Option<T> {
    INSTALLED.with(|installed| installed.borrow_mut().as_mut().map(f))
}

/// Whether `row` holds every named value.
fn matches(row: &Record, fields: &[(&str, ValueRef<'_>)]) -> bool {
    fields.iter().all(|(name, value)| row.get(name).map(Value::as_ref) == Some(*value))
}

fn no_host(entity: &str) -> PluginError {
    PluginError::new(format!(
        "{entity} is out of reach: off WebAssembly there is no Wharf host; a native test gives rows \
         with wharf_plugin_sdk::testing::TestHost"
    ))
}

/// Records a log line; `false` when no test host is installed.
pub(crate) fn log(level: Level, message: &str) -> bool {
    with_host(|host| host.log.push((level, message.to_owned()))).is_some()
}

/// The configuration value `key` of the installed host.
pub(crate) fn config(key: &str) -> Option<String> {
    with_host(|host| host.config.iter().find(|(name, _)| name == key).map(|(_, value)| value.clone())).flatten()
}

/// The first row of `entity` matching `key`.
pub(crate) fn read(entity: &str, key: &[(&str, ValueRef<'_>)]) -> Result<Option<Record>, PluginError> {
    with_host(|host| {
        host.rows.iter().find(|(name, row)| name == entity && matches(row, key)).map(|(_, row)| row.clone())
    })
    .ok_or_else(|| no_host(entity))
}

/// At most `limit` rows of `entity` matching `criteria`.
pub(crate) fn find(entity: &str, criteria: &[(&str, ValueRef<'_>)], limit: u32) -> Result<Vec<Record>, PluginError> {
    with_host(|host| {
        host.rows
            .iter()
            .filter(|(name, row)| name == entity && matches(row, criteria))
            .take(limit as usize)
            .map(|(_, row)| row.clone())
            .collect()
    })
    .ok_or_else(|| no_host(entity))
}

/// Adds a row to `entity`.
pub(crate) fn insert(entity: &str, fields: &[(&str, ValueRef<'_>)]) -> Result<(), PluginError> {
    let record =
        Record::new(fields.iter().map(|(name, value)| ((*name).to_owned(), ValueRef::to_owned(*value))).collect());
    with_host(|host| host.rows.push((entity.to_owned(), record))).ok_or_else(|| no_host(entity))
}

/// Changes `changes` in the first row of `entity` matching `key`.
pub(crate) fn update(
    entity: &str,
    key: &[(&str, ValueRef<'_>)],
    changes: &[(&str, ValueRef<'_>)],
) -> Result<(), PluginError> {
    with_host(|host| {
        let (_, row) = host
            .rows
            .iter_mut()
            .find(|(name, row)| name == entity && matches(row, key))
            .ok_or_else(|| PluginError::new(format!("no {entity} row has that key")))?;
        let mut fields = row.fields().to_vec();
        for (name, value) in changes {
            match fields.iter_mut().find(|(field, _)| field == name) {
                Some((_, old)) => *old = ValueRef::to_owned(*value),
                None => fields.push(((*name).to_owned(), ValueRef::to_owned(*value))),
            }
        }
        *row = Record::new(fields);
        Ok(())
    })
    .ok_or_else(|| no_host(entity))?
}
