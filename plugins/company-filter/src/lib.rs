//! Keeps the rows of the company being imported and drops inactive records. The columns and
//! the status words that mean "inactive" come from the manifest's config.

use wharf_plugin_sdk::{Batch, Context, Filter, PluginError, host};

/// The plugin.
pub struct CompanyFilter;

impl Filter for CompanyFilter {
    fn keep(ctx: &Context, input: &Batch) -> Result<Vec<bool>, PluginError> {
        let company_column = host::config("company_column").unwrap_or_else(|| "dataAreaId".into());
        let status_column = host::config("status_column").unwrap_or_else(|| "Status".into());
        let inactive = host::config("inactive").unwrap_or_default();
        let inactive: Vec<&str> = inactive.split(',').map(str::trim).filter(|word| !word.is_empty()).collect();
        let company = ctx.company.as_deref();
        if company.is_some() && input.column(&company_column).is_none() {
            return Err(PluginError::new(format!("the input has no {company_column} column to filter on")));
        }
        Ok(input
            .rows()
            .map(|row| {
                let same_company = match (company, row.get(&company_column).and_then(|value| value.as_str())) {
                    (Some(wanted), Some(have)) => have.trim().eq_ignore_ascii_case(wanted),
                    (Some(_), None) => false,
                    (None, _) => true,
                };
                let status = row.get(&status_column).and_then(|value| value.as_str()).unwrap_or("").trim();
                let active = !inactive.iter().any(|word| word.eq_ignore_ascii_case(status));
                same_company && active
            })
            .collect())
    }
}

wharf_plugin_sdk::export_filter!(CompanyFilter);
