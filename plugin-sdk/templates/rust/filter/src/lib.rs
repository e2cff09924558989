//! Drops the rows whose status column holds one of the configured status words ("inactive",
//! "blocked"), and keeps every other row. Which column and which words come from the
//! manifest's `[config]`.

use wharf_plugin_sdk::{Batch, Context, Filter, PluginError, host};

/// The plugin.
pub struct Plugin;

impl Filter for Plugin {
    fn keep(_ctx: &Context, input: &Batch) -> Result<Vec<bool>, PluginError> {
        let status_column = host::config("status_column").unwrap_or_else(|| "Status".into());
        let drop_statuses = host::config("drop_statuses").unwrap_or_default();
        let dropped: Vec<&str> = drop_statuses.split(',').map(str::trim).filter(|word| !word.is_empty()).collect();
        // A missing column is a misconfiguration, not a reason to keep or drop everything.
        if input.column(&status_column).is_none() {
            return Err(PluginError::new(format!("the input has no {status_column} column to filter on")));
        }
        Ok(input
            .rows()
            .map(|row| {
                let status = row.get(&status_column).and_then(|value| value.as_str()).unwrap_or("").trim();
                !dropped.iter().any(|word| word.eq_ignore_ascii_case(status))
            })
            .collect())
    }
}

wharf_plugin_sdk::export_filter!(Plugin);

#[cfg(test)]
mod tests {
    use wharf_plugin_sdk::testing::TestHost;
    use wharf_plugin_sdk::{BatchBuilder, Context, Filter};

    use super::Plugin;

    #[test]
    fn drops_the_configured_statuses_and_keeps_the_rest() {
        // The manifest's config, as the host would give it.
        let _host = TestHost::new().config("status_column", "State").config("drop_statuses", "closed").install();
        let mut input = BatchBuilder::new(["Account", "State"]);
        input.push_row(&["A-1".into(), "open".into()]);
        input.push_row(&["A-2".into(), " Closed ".into()]);
        input.push_row(&["A-3".into(), "".into()]);
        let keep = Plugin::keep(&Context::default(), &input.finish()).expect("the batch filters");
        assert_eq!(keep, [true, false, true]);
    }

    #[test]
    fn refuses_a_batch_without_the_status_column() {
        let _host = TestHost::new().config("status_column", "State").install();
        let input = BatchBuilder::new(["Account"]).finish();
        let error = Plugin::keep(&Context::default(), &input).expect_err("no State column");
        assert!(error.message.contains("no State column"), "{error}");
    }
}
