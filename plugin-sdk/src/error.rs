//! The two ways a plugin says no: one row (`RowError`) or the whole call (`PluginError`).

use std::fmt;

/// Why one input row was rejected. The row is left out; the others go on.
///
/// Make one with [`Row::error`](crate::Row::error), which attaches the row index and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row's index in the input batch, 0-based (the batch's first row is 0), as
    /// [`Row::index`](crate::Row::index) gives it. `wharf plugin run`, execution errors and
    /// error files show the 1-based data row of the whole document instead (the first row
    /// after the header is 1).
    pub row: u32,
    /// The field at fault, when there is one.
    pub field: Option<String>,
    /// A sentence an operator can act on.
    pub message: String,
}

impl RowError {
    /// An error about row `row` as a whole.
    pub fn new(row: u32, message: impl Into<String>) -> Self {
        RowError { row, field: None, message: message.into() }
    }

    /// The same error, blamed on `field`.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "batch row index {}, field {field}: {}", self.row, self.message),
            None => write!(f, "batch row index {}: {}", self.row, self.message),
        }
    }
}

impl std::error::Error for RowError {}

/// Why a whole call failed. Nothing the call produced is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    /// A sentence an operator can act on.
    pub message: String,
}

impl PluginError {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Self {
        PluginError { message: message.into() }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PluginError {}

impl From<RowError> for PluginError {
    fn from(error: RowError) -> Self {
        PluginError::new(error.to_string())
    }
}

impl From<String> for PluginError {
    fn from(message: String) -> Self {
        PluginError::new(message)
    }
}

impl From<&str> for PluginError {
    fn from(message: &str) -> Self {
        PluginError::new(message)
    }
}
