//! Maps a partner's customer list (`cust_no`, `name`, `country`, `credit_limit`) onto the
//! `Customer` entity: accounts get the configured prefix and are upper-cased, countries must
//! be ISO 3166 alpha-3 codes, credit limits must be numbers. A row that breaks a rule is
//! rejected with the field at fault; the others go on.

use wharf_plugin_sdk::{Batch, Context, Mapped, Mapper, PluginError, Row, RowError, ValueRef, host};

/// The `Customer` fields this mapper fills, in order.
const CUSTOMER_FIELDS: [&str; 4] = ["CustomerAccount", "OrganizationName", "AddressCountryRegionId", "CreditLimit"];

/// The plugin.
pub struct Plugin;

impl Mapper for Plugin {
    fn map(_ctx: &Context, input: &Batch) -> Result<Mapped, PluginError> {
        let prefix = host::config("account_prefix").unwrap_or_default();
        let mut mapped = Mapped::new();
        let customers = mapped.entity("Customer", &CUSTOMER_FIELDS);
        for row in input.rows() {
            match customer(&prefix, &row) {
                Ok(customer) => mapped.push(customers, &row, &customer.values()),
                Err(error) => mapped.reject(error),
            }
        }
        Ok(mapped)
    }
}

wharf_plugin_sdk::export_mapper!(Plugin);

/// One mapped customer.
struct Customer<'a> {
    account: String,
    name: &'a str,
    country: String,
    credit_limit: &'a str,
}

impl Customer<'_> {
    /// The values of [`CUSTOMER_FIELDS`], in order.
    fn values(&self) -> [ValueRef<'_>; 4] {
        [
            self.account.as_str().into(),
            self.name.into(),
            self.country.as_str().into(),
            ValueRef::Decimal(self.credit_limit),
        ]
    }
}

/// Maps one source row, or says which field is wrong.
fn customer<'a>(prefix: &str, row: &Row<'a>) -> Result<Customer<'a>, RowError> {
    let account = format!("{prefix}{}", row.required("cust_no")?.trim().to_uppercase());
    let name = row.required("name")?.trim();
    let country = row.required("country")?.trim();
    if country.len() != 3 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(row.error("country", format!("'{country}' is not a 3-letter country code")));
    }
    let country = country.to_ascii_uppercase();
    let credit_limit = match row.str("credit_limit")?.trim() {
        "" => "0",
        text if text.parse::<f64>().is_ok() => text,
        text => return Err(row.error("credit_limit", format!("'{text}' is not an amount"))),
    };
    Ok(Customer { account, name, country, credit_limit })
}

#[cfg(test)]
mod tests {
    use wharf_plugin_sdk::testing::TestHost;
    use wharf_plugin_sdk::{BatchBuilder, Context, Mapper, ValueRef};

    use super::Plugin;

    #[test]
    fn maps_good_rows_and_rejects_bad_ones_naming_the_field() {
        // The manifest's config, as the host would give it.
        let _host = TestHost::new().config("account_prefix", "T-").install();
        let mut input = BatchBuilder::new(["cust_no", "name", "country", "credit_limit"]);
        input.push_row(&["c-1".into(), "Contoso".into(), "usa".into(), "1500.50".into()]);
        input.push_row(&["c-2".into(), "Fabrikam".into(), "Germany".into(), "".into()]);
        let mapped = Plugin::map(&Context::default(), &input.finish()).expect("the batch maps");

        let customers = mapped.outputs()[0].batch();
        assert_eq!(customers.len(), 1);
        let row = customers.row(0).expect("one customer");
        assert_eq!(row.get("CustomerAccount"), Some(ValueRef::String("T-C-1")));
        assert_eq!(row.get("AddressCountryRegionId"), Some(ValueRef::String("USA")));
        assert_eq!(row.get("CreditLimit"), Some(ValueRef::Decimal("1500.50")));

        let errors = mapped.errors();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].row, errors[0].field.as_deref()), (1, Some("country")));
    }
}
